/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the report charts: round tick values, date steps that fit, hit-testing, words for screen readers, and the PDF's axes read back. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>

#include "picky-languages.h"
#include "picky-report.h"
#include "picky-report-draw.h"
#include "picky-report-export.h"
#include "picky-test-util.h"

/* ---- Ticks ---- */

static gboolean
is_round (guint step)
{
  while (step % 10 == 0)
    step /= 10;
  return step == 1 || step == 2 || step == 5;
}

/* The next round step below @step, or 0. */
static guint
round_below (guint step)
{
  guint scale = 1;

  while (step % 10 == 0)
    {
      step /= 10;
      scale *= 10;
    }
  if (step == 5)
    return 2 * scale;
  if (step == 2)
    return scale;
  return scale / 2 > 0 && scale >= 10 ? scale / 2 : 0;
}

static void
test_draw_ticks_examples (void)
{
  static const struct {
    guint most, max_ticks, step, top;
  } cases[] = {
    { 0, 5, 1, 1 },          /* an empty axis still runs from 0 to 1 */
    { 1, 5, 1, 1 },
    { 2, 5, 1, 2 },
    { 7, 5, 2, 8 },
    { 9, 4, 5, 10 },
    { 10, 5, 2, 10 },
    { 11, 5, 5, 15 },
    { 48, 5, 10, 50 },
    { 57, 6, 10, 60 },
    { 101, 5, 50, 150 },
    { 999, 4, 500, 1000 },
    { 1234, 6, 500, 1500 },
    { 38000, 5, 10000, 40000 },
    { 7, 1, 10, 10 },
    { 7, 0, 10, 10 },        /* at least one step, whatever the room */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint step = 0, top = 0;

      picky_report_choose_ticks (cases[i].most, cases[i].max_ticks, &step, &top);
      g_test_message ("most %u, %u ticks: step %u, top %u", cases[i].most, cases[i].max_ticks, step, top);
      g_assert_cmpuint (step, ==, cases[i].step);
      g_assert_cmpuint (top, ==, cases[i].top);
    }
}

/* Every count up to 20,000 and every room from 1 to 12 ticks: the step is
 * round, the axis covers the count with no empty step above it, the ticks
 * fit, and no rounder-finer step would have fitted. */
static void
test_draw_ticks_all (void)
{
  for (guint most = 1; most <= 20000; most += most < 300 ? 1 : 7)
    for (guint max_ticks = 1; max_ticks <= 12; max_ticks++)
      {
        guint step = 0, top = 0, finer;

        picky_report_choose_ticks (most, max_ticks, &step, &top);
        g_assert_true (is_round (step));
        g_assert_cmpuint (top % step, ==, 0);
        g_assert_cmpuint (top, >=, most);
        g_assert_cmpuint (top - step, <, most);
        g_assert_cmpuint (top / step, <=, max_ticks);
        finer = round_below (step);
        if (finer > 0)
          g_assert_cmpuint ((most + finer - 1) / finer, >, max_ticks);
      }
}

/* ---- Date steps ---- */

static void
test_draw_date_step_examples (void)
{
  static const struct {
    guint               n_days, max_labels;
    PickyReportDateStep unit;
    guint               every;
  } cases[] = {
    { 1, 1, PICKY_REPORT_DATE_STEP_DAYS, 1 },
    { 7, 10, PICKY_REPORT_DATE_STEP_DAYS, 1 },
    { 14, 7, PICKY_REPORT_DATE_STEP_DAYS, 2 },
    { 30, 12, PICKY_REPORT_DATE_STEP_WEEKS, 1 },
    { 30, 30, PICKY_REPORT_DATE_STEP_DAYS, 1 },
    { 30, 3, PICKY_REPORT_DATE_STEP_WEEKS, 2 },
    { 90, 12, PICKY_REPORT_DATE_STEP_WEEKS, 2 },
    { 90, 4, PICKY_REPORT_DATE_STEP_MONTHS, 1 },
    { 365, 14, PICKY_REPORT_DATE_STEP_MONTHS, 1 },
    { 365, 13, PICKY_REPORT_DATE_STEP_MONTHS, 2 },
    { 365, 7, PICKY_REPORT_DATE_STEP_MONTHS, 2 },
    { 365, 5, PICKY_REPORT_DATE_STEP_MONTHS, 3 },
    { 365, 2, PICKY_REPORT_DATE_STEP_MONTHS, 12 },
    { 3650, 11, PICKY_REPORT_DATE_STEP_MONTHS, 12 },
    { 3650, 4, PICKY_REPORT_DATE_STEP_MONTHS, 60 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint every = 0;
      PickyReportDateStep unit = picky_report_choose_date_step (cases[i].n_days, cases[i].max_labels, &every);

      g_test_message ("%u days, %u labels: unit %d every %u", cases[i].n_days, cases[i].max_labels, unit, every);
      g_assert_cmpint (unit, ==, cases[i].unit);
      g_assert_cmpuint (every, ==, cases[i].every);
    }
}

static void
test_draw_date_labels (void)
{
  GDate date;

  g_date_clear (&date, 1);
  /* 2026-12-07 is a Monday. */
  g_date_set_dmy (&date, 7, G_DATE_DECEMBER, 2026);
  g_assert_true (picky_report_date_has_label (&date, PICKY_REPORT_DATE_STEP_WEEKS, 1));
  g_assert_true (picky_report_date_has_label (&date, PICKY_REPORT_DATE_STEP_DAYS, 1));
  g_assert_false (picky_report_date_has_label (&date, PICKY_REPORT_DATE_STEP_MONTHS, 1));
  /* Every second Monday: exactly one of two neighbouring Mondays. */
  {
    GDate next = date;

    g_date_add_days (&next, 7);
    g_assert_cmpint (picky_report_date_has_label (&date, PICKY_REPORT_DATE_STEP_WEEKS, 2), !=,
                     picky_report_date_has_label (&next, PICKY_REPORT_DATE_STEP_WEEKS, 2));
  }
  g_date_add_days (&date, 1);
  g_assert_false (picky_report_date_has_label (&date, PICKY_REPORT_DATE_STEP_WEEKS, 1));

  g_date_set_dmy (&date, 1, G_DATE_JANUARY, 2027);
  for (guint every = 1; every <= 12; every++)
    g_assert_true (picky_report_date_has_label (&date, PICKY_REPORT_DATE_STEP_MONTHS, every));
  g_date_set_dmy (&date, 1, G_DATE_APRIL, 2027);
  g_assert_true (picky_report_date_has_label (&date, PICKY_REPORT_DATE_STEP_MONTHS, 3));
  g_assert_false (picky_report_date_has_label (&date, PICKY_REPORT_DATE_STEP_MONTHS, 2));
  g_assert_false (picky_report_date_has_label (&date, PICKY_REPORT_DATE_STEP_MONTHS, 6));
}

/* For every range from 1 to 4,000 days starting on any day of 2026 and any
 * room: the labels the chart draws fit the room, and a range of more than
 * two months never goes without labels beyond its first day. */
static void
test_draw_date_steps_fit (void)
{
  for (guint n_days = 1; n_days <= 4000; n_days += n_days < 100 ? 1 : 13 + n_days / 100)
    for (guint max_labels = 1; max_labels <= 16; max_labels++)
      {
        guint every = 0;
        PickyReportDateStep unit = picky_report_choose_date_step (n_days, max_labels, &every);

        for (guint start = 0; start < 365; start += 5)
          {
            GDate date;
            guint n_labels = 0;

            g_date_clear (&date, 1);
            g_date_set_dmy (&date, 1, G_DATE_JANUARY, 2026);
            g_date_add_days (&date, start);
            for (guint d = 0; d < n_days; d++)
              {
                n_labels += picky_report_date_has_label (&date, unit, every);
                g_date_add_days (&date, 1);
              }
            if (n_labels > max_labels)
              g_error ("%u days from day %u with room for %u: %u labels (unit %d every %u)",
                       n_days, start, max_labels, n_labels, unit, every);
            if (n_days >= 62 && max_labels >= 8)
              g_assert_cmpuint (n_labels, >=, 2);
          }
      }
}

static void
test_draw_date_format (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("LANGUAGE"));
  g_autofree char *day = NULL;
  g_autofree char *month = NULL;
  g_autofree char *full = NULL;
  g_autofree char *de_day = NULL;
  g_autofree char *de_month = NULL;
  g_autofree char *de_full = NULL;
  GDate date;

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, 4, G_DATE_DECEMBER, 2026);
  day = picky_report_format_axis_date (&date, PICKY_REPORT_DATE_STEP_DAYS);
  month = picky_report_format_axis_date (&date, PICKY_REPORT_DATE_STEP_MONTHS);
  full = picky_report_format_day (&date);
  g_assert_cmpstr (day, ==, "Dec 4");
  g_assert_cmpstr (month, ==, "Dec 2026");
  /* The window's one date form, the C locale's in English. */
  g_assert_cmpstr (full, ==, "Friday, 12/04/26");

  /* In German, with the console's own catalogue. */
  g_setenv ("LANGUAGE", "de", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  picky_languages_bind_textdomain ();
  de_day = picky_report_format_axis_date (&date, PICKY_REPORT_DATE_STEP_DAYS);
  de_month = picky_report_format_axis_date (&date, PICKY_REPORT_DATE_STEP_MONTHS);
  de_full = picky_report_format_day (&date);
  if (saved != NULL)
    g_setenv ("LANGUAGE", saved, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  setlocale (LC_ALL, "C");

  g_assert_cmpstr (de_day, ==, "4. Dez");
  g_assert_cmpstr (de_month, ==, "Dez 2026");
  g_assert_cmpstr (de_full, ==, "Freitag, 04.12.2026");
}

/* ---- Reports from a store ---- */

typedef struct {
  char        *dir;
  PickyCipher *cipher;
  PickyStore  *store;
  gint64       channel;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *path = NULL;

  fixture->cipher = picky_test_cipher ();
  fixture->dir = g_dir_make_tmp ("picky-report-draw-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (fixture->dir, "picky-console.db", NULL);
  picky_store_open_async (path, fixture->cipher, NULL, picky_test_got_result_cb, &result);
  fixture->store = picky_store_open_finish (picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  picky_store_add_channel_async (fixture->store, "telegram", "bot", "Desk", "{}", NULL, picky_test_got_result_cb, &result);
  fixture->channel = picky_store_add_channel_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  picky_store_close (fixture->store);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (fixture->store);
  g_clear_object (&fixture->cipher);
  picky_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

/* Day d of March 2026 (UTC) gets d messages in at 10:00 and d / 2 out at
 * 11:00, for d in @days. */
static void
ingest_days (Fixture     *fixture,
             const guint *days,
             guint        n_days)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n_days; i++)
    {
      g_autoptr(GDateTime) morning = g_date_time_new_utc (2026, 3, days[i], 10, 0, 0);

      for (guint m = 0; m < days[i] + days[i] / 2; m++)
        {
          PickyMessage *message = picky_message_new ();
          g_autofree char *key = g_strdup_printf ("%u-%u", days[i], m);
          gboolean in = m < days[i];

          picky_message_set_channel_id (message, fixture->channel);
          picky_message_set_provider_key (message, key);
          picky_message_set_contact_provider_id (message, "ana");
          picky_message_set_contact_name (message, "Ana Souza");
          picky_message_set_direction (message, in ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT);
          picky_message_set_text (message, "hello");
          picky_message_set_timestamp (message, g_date_time_to_unix (morning) + (in ? 0 : 3600) + m);
          picky_message_set_received (message, g_date_time_to_unix (morning));
          g_ptr_array_add (batch, message);
        }
    }

  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &result);
  picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
}

static PickyReport *
load_march (Fixture    *fixture,
            const char *first_day,
            const char *last_day)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(PickyReport) report = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GDate first, last;

  g_assert_true (picky_report_parse_date (first_day, &first, NULL));
  g_assert_true (picky_report_parse_date (last_day, &last, NULL));
  report = picky_report_new (0, utc, &first, &last);
  picky_report_load_async (report, fixture->store, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_report_load_finish (report, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);

  return g_steal_pointer (&report);
}

static char *
pdf_text (PickyReport *report,
          const char  *path)
{
  const char *argv[] = { "pdftotext", "-layout", path, "-", NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = 0;

  picky_report_export_async (report, NULL, PICKY_REPORT_FORMAT_PDF, path, NULL, NULL, NULL, NULL,
                             picky_test_got_result_cb, &result);
  g_assert_true (picky_report_export_finish (report, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  return out;
}

/* The words of @text, one per element. */
static gboolean
has_word (const char *text,
          const char *word)
{
  g_auto(GStrv) words = g_regex_split_simple ("\\s+", text, 0, 0);

  return g_strv_contains ((const char * const *) words, word);
}

/* The PDF's chart has round tick values up to a top above the busiest day,
 * the legend and dates; pdftotext reads them back. */
static void
test_draw_pdf_axes (Fixture       *fixture,
                    gconstpointer  data)
{
  static const guint days[] = { 2, 9, 17, 23, 28 };   /* 28 in on the busiest day */
  g_autofree char *path = g_build_filename (fixture->dir, "report.pdf", NULL);
  g_autoptr(PickyReport) report = NULL;
  g_autofree char *text = NULL;
  guint step, top;

  ingest_days (fixture, days, G_N_ELEMENTS (days));
  report = load_march (fixture, "2026-03-01", "2026-03-31");
  g_assert_cmpuint (picky_report_get_total_in (report), ==, 2 + 9 + 17 + 23 + 28);

  text = pdf_text (report, path);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "Received"));
  g_assert_nonnull (strstr (text, "Sent"));
  g_assert_nonnull (strstr (text, "messages in one hour of the week"));
  g_assert_null (strstr (text, "No messages in this range"));

  /* The page gives the chart room for at most seven ticks: steps of 5 up
   * to 30 over a busiest day of 28. */
  picky_report_choose_ticks (28, 7, &step, &top);
  g_assert_cmpuint (step, ==, 5);
  g_assert_cmpuint (top, ==, 30);
  for (guint value = 0; value <= 30; value += 5)
    {
      g_autofree char *tick = g_strdup_printf ("%u", value);

      g_assert_true (has_word (text, tick));
    }
  g_assert_false (has_word (text, "35"));

  /* A month of days on A4 steps by weeks: Mondays, March 2 … 30. */
  g_assert_nonnull (strstr (text, "Mar 2"));
  g_assert_nonnull (strstr (text, "Mar 9"));
  g_assert_nonnull (strstr (text, "Mar 30"));
  g_assert_null (strstr (text, "Mar 3 "));
}

/* @text with every run of white space one space: pdftotext breaks the
 * lines where the page did. */
static char *
flatten (const char *text)
{
  g_autoptr(GRegex) space = g_regex_new ("\\s+", 0, 0, NULL);

  return g_regex_replace_literal (space, text, -1, 0, " ", 0, NULL);
}

/* The first page ends with what the times mean, business hours included
 * once they are set. */
static void
test_draw_pdf_footnote (Fixture       *fixture,
                        gconstpointer  data)
{
  static const guint days[] = { 2, 9 };
  g_autofree char *path = g_build_filename (fixture->dir, "footnote.pdf", NULL);
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(PickyBusinessHours) hours = picky_business_hours_new (0x1f, 9 * 60, 17 * 60, utc);
  g_autoptr(PickyReport) report = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *flat = NULL;

  ingest_days (fixture, days, G_N_ELEMENTS (days));
  report = load_march (fixture, "2026-03-01", "2026-03-31");
  text = pdf_text (report, path);
  flat = flatten (text);
  g_test_message ("%s", flat);
  g_assert_nonnull (strstr (flat, "First response: a customer’s wait starts at their first message"));
  g_assert_nonnull (strstr (flat, "Reply time: for every customer message"));
  g_assert_nonnull (strstr (flat, "Awaiting reply: waits still open at the end of the range"));
  g_assert_null (strstr (flat, "business hours only"));
  g_clear_object (&report);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&flat, g_free);

  picky_store_set_business_hours_async (fixture->store, hours, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_set_business_hours_finish (fixture->store, picky_test_wait_result (&result),
                                                        &error));
  g_assert_no_error (error);
  report = load_march (fixture, "2026-03-01", "2026-03-31");
  text = pdf_text (report, path);
  flat = flatten (text);
  g_assert_nonnull (strstr (flat, "Times count business hours only, as set in Preferences."));
}

/* A range without messages says so instead of drawing an empty grid. */
static void
test_draw_pdf_empty (Fixture       *fixture,
                     gconstpointer  data)
{
  static const guint days[] = { 5 };
  g_autofree char *path = g_build_filename (fixture->dir, "empty.pdf", NULL);
  g_autoptr(PickyReport) report = NULL;
  g_autofree char *text = NULL;

  ingest_days (fixture, days, G_N_ELEMENTS (days));
  report = load_march (fixture, "2026-03-10", "2026-03-20");
  g_assert_cmpuint (picky_report_get_total_in (report), ==, 0);

  text = pdf_text (report, path);
  g_assert_nonnull (strstr (text, "No messages in this range"));
  g_assert_null (strstr (text, "Received"));
}

/* The day under the pointer is the day whose bars are there, in both
 * reading directions; the heatmap's cells likewise. */
static void
test_draw_hit (Fixture       *fixture,
               gconstpointer  data)
{
  static const guint days[] = { 3, 4 };
  g_autoptr(PickyReport) report = NULL;
  PickyReportStyle style;
  int last = -1;
  guint seen = 0;
  guint weekday, hour;

  ingest_days (fixture, days, G_N_ELEMENTS (days));
  report = load_march (fixture, "2026-03-01", "2026-03-10");
  picky_report_style_init_paper (&style);

  g_assert_cmpint (picky_report_daily_day_at (report, 600, 200, &style, 599, 5), ==, -1);   /* the legend */
  for (double x = 0; x < 600; x += 1)
    {
      int day = picky_report_daily_day_at (report, 600, 200, &style, x, 100);

      if (day < 0)
        continue;
      g_assert_cmpint (day, >=, last);
      if (day != last)
        seen++;
      last = day;
    }
  g_assert_cmpint (last, ==, 9);
  g_assert_cmpuint (seen, ==, 10);
  g_assert_cmpint (picky_report_daily_day_at (report, 600, 200, &style, 599, 100), ==, 9);

  style.rtl = TRUE;
  g_assert_cmpint (picky_report_daily_day_at (report, 600, 200, &style, 1, 100), ==, 9);
  style.rtl = FALSE;

  /* The top end cell: Monday, 23:00. */
  g_assert_true (picky_report_heatmap_cell_at (report, 600, 200, &style, 599, 1, &weekday, &hour));
  g_assert_cmpuint (weekday, ==, 0);
  g_assert_cmpuint (hour, ==, 23);
  g_assert_false (picky_report_heatmap_cell_at (report, 600, 200, &style, 599, 199, &weekday, &hour));
}

/* What a screen reader hears holds the numbers of every day and hour with
 * messages. */
static void
test_draw_describe (Fixture       *fixture,
                    gconstpointer  data)
{
  static const guint days[] = { 3, 4 };
  g_autoptr(PickyReport) report = NULL;
  g_autoptr(PickyReport) empty = NULL;
  g_autofree char *daily = NULL;
  g_autofree char *heat = NULL;
  g_autofree char *nothing = NULL;

  ingest_days (fixture, days, G_N_ELEMENTS (days));
  report = load_march (fixture, "2026-03-01", "2026-03-10");
  daily = picky_report_describe_daily (report);
  heat = picky_report_describe_heatmap (report);
  g_test_message ("%s\n%s", daily, heat);
  g_assert_nonnull (strstr (daily, "7 received and 3 sent in all."));
  g_assert_nonnull (strstr (daily, "Tuesday, 03/03/26: 3 received, 1 sent."));
  g_assert_nonnull (strstr (daily, "Wednesday, 03/04/26: 4 received, 2 sent."));
  g_assert_null (strstr (daily, "Mar 5"));
  g_assert_nonnull (strstr (heat, "At most 4 messages in one hour of the week."));
  g_assert_nonnull (strstr (heat, "Tue: 10:00 3, 11:00 1."));
  g_assert_nonnull (strstr (heat, "Wed: 10:00 4, 11:00 2."));

  empty = load_march (fixture, "2026-03-20", "2026-03-21");
  nothing = picky_report_describe_daily (empty);
  g_assert_cmpstr (nothing, ==, "No messages in this range");
}

/* The name offered for an export: who and which days, in the console's
 * language, with nothing a file system refuses. */
static void
test_draw_export_name (void)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(PickyReport) overall = NULL;
  g_autoptr(PickyReport) contact = NULL;
  g_autoptr(PickyReport) hostile = NULL;
  g_autoptr(PickyReport) long_name = NULL;
  g_autofree char *saved = g_strdup (g_getenv ("LANGUAGE"));
  g_autofree char *name = NULL;
  g_autofree char *german = NULL;
  g_autoptr(GString) very_long = g_string_new (NULL);
  GDate first, last;

  g_assert_true (picky_report_parse_date ("2026-11-05", &first, NULL));
  g_assert_true (picky_report_parse_date ("2026-12-04", &last, NULL));
  overall = picky_report_new (0, utc, &first, &last);
  name = picky_report_dup_export_name (overall, "csv");
  g_assert_cmpstr (name, ==, "Picky Console – All contacts – 2026-11-05 to 2026-12-04.csv");

  contact = picky_report_new (7, utc, &first, &last);
  picky_report_set_contact (contact, "telegram", "Jörg Müller", "+49 170 1234567");
  g_free (name);
  name = picky_report_dup_export_name (contact, "pdf");
  g_assert_cmpstr (name, ==, "Picky Console – Jörg Müller – 2026-11-05 to 2026-12-04.pdf");

  /* Slashes, colons, quotes, wildcards and control characters. */
  hostile = picky_report_new (8, utc, &first, &last);
  picky_report_set_contact (hostile, "telegram", "../a/b\\c: \"d\" *e?* <f> |g|\n\t\x7fĀ/", NULL);
  g_free (name);
  name = picky_report_dup_export_name (hostile, "csv");
  g_assert_cmpstr (name, ==, "Picky Console – ..-a-b-c- _d_ _e__ _f_ -g-___Ā- – 2026-11-05 to 2026-12-04.csv");
  g_assert_null (strpbrk (name, "/\\:*?\"<>|\n\t"));

  /* A contact without a name goes by number. */
  g_free (name);
  picky_report_set_contact (hostile, "telegram", NULL, "+49 170 1234567");
  name = picky_report_dup_export_name (hostile, "csv");
  g_assert_cmpstr (name, ==, "Picky Console – +49 170 1234567 – 2026-11-05 to 2026-12-04.csv");

  /* A very long name is shortened, never mid-character. */
  for (guint i = 0; i < 200; i++)
    g_string_append (very_long, "ü");
  long_name = picky_report_new (9, utc, &first, &last);
  picky_report_set_contact (long_name, "telegram", very_long->str, NULL);
  g_free (name);
  name = picky_report_dup_export_name (long_name, "csv");
  g_assert_true (g_utf8_validate (name, -1, NULL));
  g_assert_cmpuint (strlen (name), <=, 255);
  g_assert_true (g_str_has_suffix (name, "üü – 2026-11-05 to 2026-12-04.csv"));

  g_setenv ("LANGUAGE", "de", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  picky_languages_bind_textdomain ();
  german = picky_report_dup_export_name (overall, "csv");
  if (saved != NULL)
    g_setenv ("LANGUAGE", saved, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  setlocale (LC_ALL, "C");
  g_assert_cmpstr (german, ==, "Picky Console – Alle Kontakte – 2026-11-05 bis 2026-12-04.csv");
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/picky/report-draw/ticks/examples", test_draw_ticks_examples);
  g_test_add_func ("/picky/report-draw/ticks/all", test_draw_ticks_all);
  g_test_add_func ("/picky/report-draw/dates/examples", test_draw_date_step_examples);
  g_test_add_func ("/picky/report-draw/dates/labels", test_draw_date_labels);
  g_test_add_func ("/picky/report-draw/dates/fit", test_draw_date_steps_fit);
  g_test_add_func ("/picky/report-draw/dates/format", test_draw_date_format);
  g_test_add_func ("/picky/report-draw/export-name", test_draw_export_name);
  ADD ("/picky/report-draw/pdf/axes", test_draw_pdf_axes);
  ADD ("/picky/report-draw/pdf/footnote", test_draw_pdf_footnote);
  ADD ("/picky/report-draw/pdf/empty", test_draw_pdf_empty);
  ADD ("/picky/report-draw/hit", test_draw_hit);
  ADD ("/picky/report-draw/describe", test_draw_describe);

  return g_test_run ();
}
