/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark of reports: the contacts list, a contact's whole report, and CSV export of every message. */

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <time.h>
#include <glib/gstdio.h>

#include "bench-common.h"
#include "picky-report.h"
#include "picky-report-export.h"

/* Batches as bench-store sends them: the rows end up the same. */
static PickyReport *
load_report (PickyStore *store,
             gint64      contact_id,
             GTimeZone  *tz,
             const GDate *first,
             const GDate *last)
{
  g_autoptr(PickyReport) report = picky_report_new (contact_id, tz, first, last);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_report_load_async (report, store, NULL, bench_got_result_cb, &result);
  if (!picky_report_load_finish (report, bench_wait_for (&result), &error))
    g_error ("Report failed: %s", error->message);

  return g_steal_pointer (&report);
}

/* The process's CPU time: the store's worker does the work, and set
 * against the wall clock it tells work from waiting for a core on a busy
 * machine. */
static double
cpu_ms (void)
{
  struct timespec t;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

/* Everything the per-contact report shows, for the busiest contact over
 * the whole year in a zone with daylight saving: its name, the hours
 * counted into days and hours of the week, the percentiles. */
static void
measure_report_view (PickyStore  *store,
                     gint64       busiest,
                     guint        most,
                     GTimeZone   *tz,
                     const GDate *first,
                     const GDate *last,
                     const char  *business_hours)
{
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) cpu_samples = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(PickyReport) report = NULL;
      double t0 = now_s ();
      double c0 = cpu_ms ();

      report = load_report (store, busiest, tz, first, last);
      g_array_append_vals (samples, (double[]) { (now_s () - t0) * 1000 }, 1);
      g_array_append_vals (cpu_samples, (double[]) { cpu_ms () - c0 }, 1);
      g_assert_cmpuint (picky_report_get_total_in (report) + picky_report_get_total_out (report), ==, most);
    }
  printf ("report_view_business_hours: %s\n", business_hours);
  printf ("report_view_p50_ms: %.3f\n", bench_percentile (samples, 0.5));
  printf ("report_view_ms: %.3f\n", bench_percentile (samples, 0.95));
  printf ("report_view_cpu_ms: %.3f\n", bench_percentile (cpu_samples, 0.95));
  fflush (stdout);
}

/* Sets @hours and waits for every stored wait to be counted again, asking
 * the store for one contact's days all along as a window would: returns
 * the seconds it took (-1 when they were set already), and in @wait_ms
 * the longest any of those asks waited behind the recount. */
static double
set_hours_timed (PickyStore         *store,
                 PickyBusinessHours *hours,
                 double             *wait_ms)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  double start = now_s ();

  *wait_ms = 0;
  picky_store_set_business_hours_async (store, hours, NULL, bench_got_result_cb, &result);
  while (result == NULL)
    {
      g_autoptr(GAsyncResult) probe = NULL;
      g_autoptr(GArray) days = NULL;
      double t0 = now_s ();

      picky_store_report_contact_async (store, 1, START, START + N_DAYS * 86400, NULL, bench_got_result_cb, &probe);
      days = picky_store_report_contact_finish (store, bench_wait_for (&probe), &error);
      g_assert_no_error (error);
      *wait_ms = MAX (*wait_ms, (now_s () - t0) * 1000);
      g_usleep (20 * G_TIME_SPAN_MILLISECOND);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  if (!picky_store_set_business_hours_finish (store, result, &error))
    {
      if (error != NULL)
        g_error ("Business hours not set: %s", error->message);
      return -1;
    }

  return now_s () - start;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) options = g_option_context_new ("- benchmark reports");
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyCipher) cipher = NULL;
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) cpu_samples = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) summaries = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(PickyReport) all = NULL;
  g_autoptr(PickyBusinessHours) hours = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *store_path = NULL;
  g_autofree char *csv_path = NULL;
  g_autofree char *base_dir = NULL;
  g_autofree char *kept_path = NULL;
  gint64 messages = 5000000;
  gboolean keep = FALSE;
  gboolean skip_csv = FALSE;
  GOptionEntry entries[] = {
    { "messages", 0, 0, G_OPTION_ARG_INT64, &messages, "Messages to store (default 5000000)", "N" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &base_dir, "Folder for the database files", "DIR" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &keep, "Keep the database files", NULL },
    { "skip-csv", 0, 0, G_OPTION_ARG_NONE, &skip_csv, "Leave out the CSV export of every message", NULL },
    { "store", 0, 0, G_OPTION_ARG_FILENAME, &kept_path,
      "A store bench-store --store generated (with its .key file), opened (and migrated) instead of "
      "filling a new one; it is changed", "FILE" },
    { NULL }
  };
  gint64 busiest = 0;
  guint most = 0;
  GDate first, last;
  double start;

  setlocale (LC_ALL, "C.UTF-8");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  n_messages = MAX (messages, 1000);

  dir = base_dir != NULL ? g_strdup (base_dir) : g_dir_make_tmp ("bench-report-XXXXXX", &error);
  g_assert_no_error (error);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_error ("Cannot create %s", dir);
  store_path = kept_path != NULL ? g_canonicalize_filename (kept_path, NULL) : g_build_filename (dir, "report.db", NULL);
  csv_path = g_build_filename (dir, "messages.csv", NULL);
  if (kept_path == NULL)
    remove_database (store_path);
  cipher = kept_path != NULL ? bench_cipher_for_store (store_path) : bench_cipher ();

  printf ("messages: %" G_GUINT64_FORMAT "\n", n_messages);
  fflush (stdout);

  hours = picky_business_hours_new (0x1f, 9 * 60, 17 * 60, tz);
  if (kept_path != NULL)
    {
      /* Opening migrates an older store: that time is the migration's. */
      start = now_s ();
      store = bench_reopen_store (store_path, cipher);
      if (store == NULL)
        g_error ("%s holds fewer than %" G_GUINT64_FORMAT " messages", store_path, n_messages);
      printf ("reused_store: 1\n");
      printf ("open_s: %.1f\n", now_s () - start);
      fflush (stdout);
    }
  else
    {
      store = bench_open_store (store_path, cipher);

      /* Business hours on from the start, so that the ingest counts working
       * time and every report below reads it: weekdays 09:00 to 17:00. */
      picky_store_set_business_hours_async (store, hours, NULL, bench_got_result_cb, &result);
      if (!picky_store_set_business_hours_finish (store, bench_wait_for (&result), &error))
        g_error ("Business hours not set");
      g_clear_object (&result);

      start = now_s ();
      bench_fill_store (store);
      printf ("fill_msgs_per_s: %.0f\n", n_messages / (now_s () - start));
      fflush (stdout);
    }

  /* The contacts list over the whole year: every contact, names
   * decrypted; the first run decrypts, later ones find them in memory. */
  g_date_clear (&first, 1);
  g_date_clear (&last, 1);
  g_date_set_dmy (&first, 1, G_DATE_JANUARY, 2023);
  g_date_set_dmy (&last, 31, G_DATE_DECEMBER, 2023);
  for (guint i = 0; i < 5; i++)
    {
      double t0 = now_s ();
      double c0 = cpu_ms ();

      g_clear_pointer (&summaries, g_array_unref);
      picky_store_summarize_contacts_async (store, picky_report_local_midnight (tz, &first),
                                            picky_report_local_midnight (tz, &last) + 86400,
                                            NULL, bench_got_result_cb, &result);
      summaries = picky_store_summarize_contacts_finish (store, bench_wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      if (i == 0)
        printf ("contacts_list_first_ms: %.1f\n", (now_s () - t0) * 1000);
      else
        {
          g_array_append_vals (samples, (double[]) { (now_s () - t0) * 1000 }, 1);
          g_array_append_vals (cpu_samples, (double[]) { cpu_ms () - c0 }, 1);
        }
    }
  printf ("contacts: %u\n", summaries->len);
  printf ("contacts_list_ms: %.1f\n", bench_percentile (samples, 0.5));
  printf ("contacts_list_cpu_ms: %.1f\n", bench_percentile (cpu_samples, 0.5));
  g_array_set_size (samples, 0);

  for (guint i = 0; i < summaries->len; i++)
    {
      const PickyContactSummary *summary = &g_array_index (summaries, PickyContactSummary, i);

      if (summary->n_in + summary->n_out > most)
        {
          most = summary->n_in + summary->n_out;
          busiest = summary->contact_id;
        }
    }
  printf ("busiest_contact_messages: %u\n", most);

  /* A kept store has the hours it was generated with (none): it is
   * measured so first, then switched on over every stored wait (the
   * recount timed), and measured again below. */
  if (kept_path != NULL)
    {
      double seconds, wait_ms;

      measure_report_view (store, busiest, most, tz, &first, &last, "off");
      /* A store this ran on before has them on already. */
      seconds = set_hours_timed (store, hours, &wait_ms);
      if (seconds >= 0)
        {
          printf ("business_hours_recount_s: %.1f\n", seconds);
          printf ("business_hours_recount_wait_ms_max: %.1f\n", wait_ms);
        }
      fflush (stdout);
    }
  measure_report_view (store, busiest, most, tz, &first, &last, "on");

  {
    GDate month_first = last;
    double t0;

    g_date_set_day (&month_first, 1);
    t0 = now_s ();
    g_clear_pointer (&all, g_object_unref);
    all = load_report (store, 0, tz, &month_first, &last);
    printf ("report_overall_month_ms: %.1f\n", (now_s () - t0) * 1000);
  }

  /* One row per message, every message, to a file. */
  if (!skip_csv)
    {
      guint64 rows;
      double t0;

      g_clear_pointer (&all, g_object_unref);
      all = load_report (store, 0, tz, &first, &last);
      t0 = now_s ();
      picky_report_export_async (all, store, PICKY_REPORT_FORMAT_CSV_MESSAGES, csv_path, NULL, NULL, NULL,
                                 NULL, bench_got_result_cb, &result);
      if (!picky_report_export_finish (all, bench_wait_for (&result), &error))
        g_error ("Export failed: %s", error->message);
      g_clear_object (&result);
      rows = picky_report_get_total_in (all) + picky_report_get_total_out (all);
      printf ("csv_rows: %" G_GUINT64_FORMAT "\n", rows);
      printf ("csv_rows_per_s: %.0f\n", rows / (now_s () - t0));
      printf ("csv_bytes_per_row: %.1f\n", (double) file_size (csv_path) / rows);
    }

  /* Business hours off again: every stored wait counted anew, while the
   * store goes on answering. A kept store was counted so above, switching
   * them on, and is left with them on. */
  if (kept_path == NULL)
    {
      double wait_ms;
      double seconds = set_hours_timed (store, NULL, &wait_ms);

      printf ("business_hours_recount_s: %.1f\n", seconds);
      printf ("business_hours_recount_wait_ms_max: %.1f\n", wait_ms);
    }

  picky_store_close (store);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_remove (csv_path);
  if (!keep && kept_path == NULL)
    remove_database (store_path);
  if (!keep && base_dir == NULL)
    g_rmdir (dir);

  return 0;
}
