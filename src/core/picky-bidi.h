/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Values put into translated text keep their own order in either writing direction. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, as UTF-8. */
#define PICKY_BIDI_FSI "\xe2\x81\xa8"
#define PICKY_BIDI_PDI "\xe2\x81\xa9"

gboolean picky_bidi_ui_is_rtl      (void);
char    *picky_bidi_isolate        (const char *text);
char    *picky_bidi_isolate_within (const char *text,
                                    gboolean    rtl);

G_END_DECLS
