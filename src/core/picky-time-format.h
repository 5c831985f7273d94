/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one way the window writes a date or a time: the locale's, without seconds, relative to today. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *picky_time_format_day       (gint64     timestamp,
                                   gint64     now,
                                   GTimeZone *zone);
char *picky_time_format_short     (gint64     timestamp,
                                   gint64     now,
                                   GTimeZone *zone);
char *picky_time_format_day_time  (gint64     timestamp,
                                   gint64     now,
                                   GTimeZone *zone);
char *picky_time_format_clock     (gint64     timestamp,
                                   GTimeZone *zone);
char *picky_time_format_absolute  (gint64     timestamp,
                                   GTimeZone *zone);
char *picky_time_format_date      (const GDate *date);
char *picky_time_format_full_date (const GDate *date);

G_END_DECLS
