/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The languages shipped with the console and the user's stored choice among them. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GStrv        picky_languages_get_shipped     (void);
char        *picky_languages_get_native_name (const char *code);
gboolean     picky_languages_is_shipped      (const char *code);
const char  *picky_languages_apply_preference (GSettings *settings);
void         picky_languages_bind_textdomain (void);
const char  *picky_languages_get_script_font (void);

G_END_DECLS
