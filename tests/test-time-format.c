/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the one date and time formatter, in English, German and Arabic. */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "picky-languages.h"
#include "picky-time-format.h"

/* Friday, 4 December 2026, 14:05:30 in the zone of the tests. */
#define NOW_LOCAL "2026-12-04T14:05:30"

typedef struct {
  GTimeZone *zone;
  gint64     now;
} Fixture;

static gint64
at (Fixture    *fixture,
    const char *local)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_iso8601 (local, fixture->zone);

  g_assert_nonnull (time);
  return g_date_time_to_unix (time);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  const char *language = data;

  /* Berlin: an offset of its own, and summer time between the dates. */
  fixture->zone = g_time_zone_new_identifier ("Europe/Berlin");
  g_assert_nonnull (fixture->zone);
  fixture->now = at (fixture, NOW_LOCAL);

  if (language != NULL)
    g_setenv ("LANGUAGE", language, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  picky_languages_bind_textdomain ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_unsetenv ("LANGUAGE");
  g_clear_pointer (&fixture->zone, g_time_zone_unref);
}

typedef struct {
  const char *local;
  const char *day;
  const char *day_time;
  const char *short_form;
} Case;

static void
check_cases (Fixture    *fixture,
             const Case *cases,
             gsize       n_cases)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      gint64 when = at (fixture, cases[i].local);
      g_autofree char *day = picky_time_format_day (when, fixture->now, fixture->zone);
      g_autofree char *day_time = picky_time_format_day_time (when, fixture->now, fixture->zone);
      g_autofree char *short_form = picky_time_format_short (when, fixture->now, fixture->zone);

      g_test_message ("%s", cases[i].local);
      g_assert_cmpstr (day, ==, cases[i].day);
      g_assert_cmpstr (day_time, ==, cases[i].day_time);
      g_assert_cmpstr (short_form, ==, cases[i].short_form);
    }
}

static void
test_format_english (Fixture       *fixture,
                     gconstpointer  data)
{
  /* The C locale's own date, as the English window shows it. */
  static const Case cases[] = {
    { "2026-12-04T14:05:10", "Today", "Today, 14:05", "Now" },
    { "2026-12-04T13:50:00", "Today", "Today, 13:50", "15 min" },
    { "2026-12-04T00:00:00", "Today", "Today, 00:00", "00:00" },
    { "2026-12-03T23:59:59", "Yesterday", "Yesterday, 23:59", "Yesterday" },
    { "2026-11-30T09:30:00", "Monday", "Monday, 09:30", "Monday" },
    { "2026-11-28T08:00:00", "Saturday", "Saturday, 08:00", "Saturday" },
    { "2026-11-27T17:45:00", "11/27/26", "11/27/26, 17:45", "11/27/26" },
    /* Summer time: the wall clock of that day, not of today. */
    { "2026-07-01T12:00:00", "07/01/26", "07/01/26, 12:00", "07/01/26" },
    { "2025-12-31T23:00:00", "12/31/25", "12/31/25, 23:00", "12/31/25" },
  };
  g_autofree char *absolute = picky_time_format_absolute (at (fixture, "2026-12-04T14:05:30"), fixture->zone);
  g_autofree char *utc = NULL;
  g_autoptr(GTimeZone) zone = g_time_zone_new_utc ();

  g_autofree char *clock = picky_time_format_clock (at (fixture, "2026-07-01T09:07:59"), fixture->zone);

  check_cases (fixture, cases, G_N_ELEMENTS (cases));
  g_assert_cmpstr (clock, ==, "09:07");

  /* What outlives the day: no Today, no seconds. */
  g_assert_cmpstr (absolute, ==, "12/04/26, 14:05");
  /* The zone asked for, not the computer's. */
  utc = picky_time_format_absolute (at (fixture, "2026-12-04T14:05:30"), zone);
  g_assert_cmpstr (utc, ==, "12/04/26, 13:05");
}

static void
test_format_german (Fixture       *fixture,
                    gconstpointer  data)
{
  static const Case cases[] = {
    { "2026-12-04T14:05:10", "Heute", "Heute, 14:05", "Jetzt" },
    { "2026-12-04T13:50:00", "Heute", "Heute, 13:50", "15 Min." },
    { "2026-12-03T23:59:59", "Gestern", "Gestern, 23:59", "Gestern" },
    { "2026-11-30T09:30:00", "Montag", "Montag, 09:30", "Montag" },
    { "2026-11-28T08:00:00", "Samstag", "Samstag, 08:00", "Samstag" },
    { "2026-11-27T17:45:00", "27.11.2026", "27.11.2026, 17:45", "27.11.2026" },
    { "2026-07-01T12:00:00", "01.07.2026", "01.07.2026, 12:00", "01.07.2026" },
  };
  g_autofree char *absolute = picky_time_format_absolute (at (fixture, "2026-12-04T14:05:30"), fixture->zone);

  check_cases (fixture, cases, G_N_ELEMENTS (cases));
  g_assert_cmpstr (absolute, ==, "04.12.2026, 14:05");
}

/* Arabic is written right to left: each date and time is isolated, so that
 * "27/11/2026، 17:45" does not come out as "17:45 27/11/2026", while the
 * Arabic words around them are left as they are. */
static void
test_format_arabic (Fixture       *fixture,
                    gconstpointer  data)
{
#define ISO(x) "\u2068" x "\u2069"
  static const Case cases[] = {
    { "2026-12-04T14:05:10", "اليوم", "اليوم، " ISO ("14:05"), "الآن" },
    { "2026-11-27T17:45:00", ISO ("27/11/2026"), ISO ("27/11/2026") "، " ISO ("17:45"), ISO ("27/11/2026") },
  };
  g_autofree char *absolute = picky_time_format_absolute (at (fixture, "2026-12-04T14:05:30"), fixture->zone);
  g_autofree char *clock = picky_time_format_clock (at (fixture, "2026-07-01T09:07:59"), fixture->zone);

  check_cases (fixture, cases, G_N_ELEMENTS (cases));
  g_assert_cmpstr (clock, ==, ISO ("09:07"));
  g_assert_cmpstr (absolute, ==, ISO ("04/12/2026") "، " ISO ("14:05"));
#undef ISO
}

static void
set_day (GDate *date,
         int    day,
         int    month,
         int    year)
{
  g_date_clear (date, 1);
  g_date_set_dmy (date, day, month, year);
}

/* A report's calendar days: the date alone for a range's ends and its
 * busiest day, the weekday and the date for a day read by itself; never
 * "Today", for a report is read on other days too. */
static void
test_format_dates (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *language = data;
  GDate today, leap;
  g_autofree char *date = NULL;
  g_autofree char *full = NULL;
  g_autofree char *leap_date = NULL;
  g_autofree char *leap_full = NULL;

  set_day (&today, 4, G_DATE_DECEMBER, 2026);
  set_day (&leap, 29, G_DATE_FEBRUARY, 2028);
  date = picky_time_format_date (&today);
  full = picky_time_format_full_date (&today);
  leap_date = picky_time_format_date (&leap);
  leap_full = picky_time_format_full_date (&leap);

  if (language == NULL)
    {
      g_assert_cmpstr (date, ==, "12/04/26");
      g_assert_cmpstr (full, ==, "Friday, 12/04/26");
      g_assert_cmpstr (leap_full, ==, "Tuesday, 02/29/28");
    }
  else if (g_str_equal (language, "de"))
    {
      g_assert_cmpstr (date, ==, "04.12.2026");
      g_assert_cmpstr (full, ==, "Freitag, 04.12.2026");
      g_assert_cmpstr (leap_date, ==, "29.02.2028");
      g_assert_cmpstr (leap_full, ==, "Dienstag, 29.02.2028");
    }
  else
    {
      /* Right to left: the date isolated, the weekday and the comma Arabic. */
      g_assert_cmpstr (date, ==, "\u2068" "04/12/2026" "\u2069");
      g_assert_cmpstr (full, ==, "الجمعة، " "\u2068" "04/12/2026" "\u2069");
    }
}

/* A timestamp GLib cannot place gives an empty text, not a crash. */
static void
test_format_out_of_range (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *day = picky_time_format_day (G_MAXINT64, fixture->now, fixture->zone);
  g_autofree char *day_time = picky_time_format_day_time (G_MININT64, fixture->now, fixture->zone);
  g_autofree char *absolute = picky_time_format_absolute (G_MAXINT64, NULL);

  g_assert_cmpstr (day, ==, "");
  g_assert_cmpstr (day_time, ==, "");
  g_assert_cmpstr (absolute, ==, "");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* The C locale with UTF-8: the languages come from LANGUAGE alone. */
  setlocale (LC_ALL, "C.UTF-8");

  g_test_add ("/picky/time-format/english", Fixture, NULL,
              fixture_set_up, test_format_english, fixture_tear_down);
  g_test_add ("/picky/time-format/german", Fixture, "de",
              fixture_set_up, test_format_german, fixture_tear_down);
  g_test_add ("/picky/time-format/arabic", Fixture, "ar",
              fixture_set_up, test_format_arabic, fixture_tear_down);
  g_test_add ("/picky/time-format/dates/english", Fixture, NULL,
              fixture_set_up, test_format_dates, fixture_tear_down);
  g_test_add ("/picky/time-format/dates/german", Fixture, "de",
              fixture_set_up, test_format_dates, fixture_tear_down);
  g_test_add ("/picky/time-format/dates/arabic", Fixture, "ar",
              fixture_set_up, test_format_dates, fixture_tear_down);
  g_test_add ("/picky/time-format/out-of-range", Fixture, NULL,
              fixture_set_up, test_format_out_of_range, fixture_tear_down);

  return g_test_run ();
}
