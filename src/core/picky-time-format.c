/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one way the window writes a date or a time: the locale's, without seconds, relative to today. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-bidi.h"
#include "picky-time-format.h"

/* The local time zone, looked up again once a minute. GLib reads the
 * system's zone file for each g_date_time_new_from_unix_local(), and rows
 * format their times on every bind: at a thousand messages a second that
 * alone kept the window from drawing. */
static GTimeZone *
local_zone (void)
{
  static GTimeZone *zone;
  static gint64 looked_up;
  gint64 now = g_get_monotonic_time ();

  if (zone == NULL || now - looked_up > 60 * G_USEC_PER_SEC)
    {
      g_clear_pointer (&zone, g_time_zone_unref);
      zone = g_time_zone_new_local ();
      looked_up = now;
    }

  return zone;
}

static GDateTime *
in_zone (gint64     timestamp,
         GTimeZone *zone)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (timestamp);

  return utc != NULL ? g_date_time_to_timezone (utc, zone != NULL ? zone : local_zone ()) : NULL;
}

/* Calendar days from @then to @now in their zone: 0 today, 1 yesterday;
 * counted on the calendar, so leap years and the turn of the year need no
 * care. */
static int
days_between (GDateTime *then,
              GDateTime *now)
{
  GDate a, b;

  g_date_clear (&a, 1);
  g_date_clear (&b, 1);
  g_date_set_dmy (&a, g_date_time_get_day_of_month (then), g_date_time_get_month (then),
                  g_date_time_get_year (then));
  g_date_set_dmy (&b, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
  return g_date_days_between (&a, &b);
}

/* The clock time, never with seconds. Isolated, as dates are: in a language
 * written right to left, "2026-12-04, 05:05" would otherwise come out as
 * "05:05 2026-12-04" and "5:05 PM" as "PM 5:05". */
static char *
format_clock (GDateTime *time)
{
  /* Translators: a time of day as strftime() writes it, without seconds;
   * "%H:%M" or "%l:%M %p" */
  g_autofree char *clock = g_date_time_format (time, C_("time", "%H:%M"));

  return picky_bidi_isolate (clock);
}

/* A date as the language writes it. */
static char *
format_date (GDateTime *time)
{
  /* Translators: a date as strftime() writes it; "%x" is the locale's own
   * short date, which a translation may replace with its usual form, so
   * that dates match the window's language */
  /* xgettext:no-c-format */
  g_autofree char *date = g_date_time_format (time, C_("date", "%x"));

  return picky_bidi_isolate (date);
}

/* In the language of the window, which may differ from the locale's (the
 * language is a preference of its own, see picky-languages.c). */
static const char *
weekday_name (GDateTime *time)
{
  static const char *const names[] = {
    NC_("weekday", "Monday"),
    NC_("weekday", "Tuesday"),
    NC_("weekday", "Wednesday"),
    NC_("weekday", "Thursday"),
    NC_("weekday", "Friday"),
    NC_("weekday", "Saturday"),
    NC_("weekday", "Sunday"),
  };

  return g_dpgettext2 (NULL, "weekday", names[g_date_time_get_day_of_week (time) - 1]);
}

/* Today, Yesterday, a weekday within the last week, else the date. */
static char *
format_day (GDateTime *then,
            GDateTime *today)
{
  int days = days_between (then, today);

  if (days == 0)
    return g_strdup (C_("day", "Today"));
  if (days == 1)
    return g_strdup (C_("day", "Yesterday"));
  if (days > 1 && days < 7)
    return g_strdup (weekday_name (then));

  return format_date (then);
}

/**
 * picky_time_format_day:
 * @timestamp: unix seconds
 * @now: the time to count days from, in unix seconds
 * @zone: (nullable): the zone to count days in, %NULL for the computer's
 *
 * Returns: (transfer full): the day of @timestamp, as a day separator says
 *   it: "Today", "Yesterday", a weekday within the last week, else the date
 *   in the language's form
 */
char *
picky_time_format_day (gint64     timestamp,
                       gint64     now,
                       GTimeZone *zone)
{
  g_autoptr(GDateTime) then = in_zone (timestamp, zone);
  g_autoptr(GDateTime) today = in_zone (now, zone);

  if (then == NULL || today == NULL)
    return g_strdup ("");

  return format_day (then, today);
}

/**
 * picky_time_format_short:
 *
 * Returns: (transfer full): how long ago @timestamp was, as short as a list
 *   is read at a glance: "Now", "2 min", the time today, "Yesterday", a
 *   weekday, or the date
 */
char *
picky_time_format_short (gint64     timestamp,
                         gint64     now,
                         GTimeZone *zone)
{
  g_autoptr(GDateTime) then = in_zone (timestamp, zone);
  g_autoptr(GDateTime) today = in_zone (now, zone);
  gint64 ago = now - timestamp;

  if (then == NULL || today == NULL)
    return g_strdup ("");

  if (ago < 60)
    /* Translators: when a message came, in a list: less than a minute ago */
    return g_strdup (C_("time", "Now"));
  if (ago < 3600)
    /* Translators: when a message came, in a list: "%d min" ago, as short
     * as a list's corner needs */
    return g_strdup_printf (ngettext ("%d min", "%d min", ago / 60), (int) (ago / 60));
  if (days_between (then, today) == 0)
    return format_clock (then);

  return format_day (then, today);
}

/**
 * picky_time_format_day_time:
 *
 * Returns: (transfer full): the day of @timestamp as picky_time_format_day()
 *   says it and its time without seconds: "Today, 14:05",
 *   "Monday, 09:30", "20.11.2026, 17:45"
 */
char *
picky_time_format_day_time (gint64     timestamp,
                            gint64     now,
                            GTimeZone *zone)
{
  g_autoptr(GDateTime) then = in_zone (timestamp, zone);
  g_autoptr(GDateTime) today = in_zone (now, zone);
  g_autofree char *day = NULL;
  g_autofree char *clock = NULL;

  if (then == NULL || today == NULL)
    return g_strdup ("");

  day = format_day (then, today);
  clock = format_clock (then);
  /* Translators: a day ("Today", "Monday", a date), then a time of day */
  return g_strdup_printf (C_("day and time", "%s, %s"), day, clock);
}

/**
 * picky_time_format_clock:
 *
 * Returns: (transfer full): the time of day of @timestamp, without seconds,
 *   as the language writes it
 */
char *
picky_time_format_clock (gint64     timestamp,
                         GTimeZone *zone)
{
  g_autoptr(GDateTime) then = in_zone (timestamp, zone);

  return then != NULL ? format_clock (then) : g_strdup ("");
}

/**
 * picky_time_format_absolute:
 *
 * For what outlives the day it is read on, such as a report that is
 * printed: no "Today", only the date and the time without seconds.
 *
 * Returns: (transfer full): the date of @timestamp and its time, in @zone
 */
char *
picky_time_format_absolute (gint64     timestamp,
                            GTimeZone *zone)
{
  g_autoptr(GDateTime) then = in_zone (timestamp, zone);
  g_autofree char *date = NULL;
  g_autofree char *clock = NULL;

  if (then == NULL)
    return g_strdup ("");

  date = format_date (then);
  clock = format_clock (then);
  return g_strdup_printf (C_("day and time", "%s, %s"), date, clock);
}

/* A calendar day (a report's day, which has no time) as a time at noon, so
 * that the date is the same whichever zone would format it. */
static GDateTime *
at_noon (const GDate *date)
{
  return g_date_time_new_utc (g_date_get_year (date), g_date_get_month (date), g_date_get_day (date), 12, 0, 0);
}

/**
 * picky_time_format_date:
 * @date: a valid calendar day
 *
 * For a day that is named on its own or as one end of a range, such as a
 * report's first and last day: the date alone, in the language's form, with
 * no "Today" (a report is read on other days too) and no weekday.
 *
 * Returns: (transfer full): @date as the language writes it, isolated
 */
char *
picky_time_format_date (const GDate *date)
{
  g_autoptr(GDateTime) noon = NULL;

  g_return_val_if_fail (date != NULL && g_date_valid (date), NULL);

  noon = at_noon (date);
  return noon != NULL ? format_date (noon) : g_strdup ("");
}

/**
 * picky_time_format_full_date:
 * @date: a valid calendar day
 *
 * For a day read by itself, where its weekday tells as much as its date:
 * a chart's tooltip, a row of its table.
 *
 * Returns: (transfer full): the weekday and the date of @date, e.g.
 *   "Friday, 12/04/26", "Freitag, 04.12.2026"
 */
char *
picky_time_format_full_date (const GDate *date)
{
  g_autoptr(GDateTime) noon = NULL;
  g_autofree char *day = NULL;

  g_return_val_if_fail (date != NULL && g_date_valid (date), NULL);

  noon = at_noon (date);
  if (noon == NULL)
    return g_strdup ("");
  day = format_date (noon);
  /* Translators: a weekday, then a date: "Friday, 12/04/26" */
  return g_strdup_printf (C_("weekday and date", "%s, %s"), weekday_name (noon), day);
}
