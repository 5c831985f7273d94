/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Names and numbers prepared for searching: any case, any accents, any spelling of a number. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *picky_search_key_fold         (const char *text);
char     *picky_search_key_digits       (const char *number);
char     *picky_search_key_digits_query (const char *text);
gboolean  picky_search_key_matches      (const char *folded,
                                         const char *digits,
                                         const char *folded_query,
                                         const char *digits_query);

G_END_DECLS
