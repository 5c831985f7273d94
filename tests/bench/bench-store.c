/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark of the message store: ingest against a plain-loop ceiling, reports, search, paging. */

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "bench-common.h"
#include "picky-store.h"
#include "picky-store-private.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) options = g_option_context_new ("- benchmark the message store");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *ceiling_path = NULL;
  g_autofree char *store_path = NULL;
  g_autoptr(PickyCipher) cipher = NULL;
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  gint64 messages = 5000000;
  g_autofree char *base_dir = NULL;
  gboolean keep = FALSE;
  GOptionEntry entries[] = {
    { "messages", 0, 0, G_OPTION_ARG_INT64, &messages, "Messages to store (default 5000000)", "N" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &base_dir, "Folder for the database files", "DIR" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &keep, "Keep the database files", NULL },
    { NULL }
  };
  Rng rng = { 12345 };
  double ceiling, ingest, start;
  guint search_hits = 0;
  gint64 bytes;

  setlocale (LC_ALL, "C.UTF-8");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  n_messages = MAX (messages, 1000);

  dir = base_dir != NULL ? g_strdup (base_dir) : g_dir_make_tmp ("bench-store-XXXXXX", &error);
  g_assert_no_error (error);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_error ("Cannot create %s", dir);
  g_free (base_dir);
  ceiling_path = g_build_filename (dir, "ceiling.db", NULL);
  store_path = g_build_filename (dir, "store.db", NULL);
  remove_database (ceiling_path);
  remove_database (store_path);
  cipher = bench_cipher ();

  printf ("messages: %" G_GUINT64_FORMAT "\n", n_messages);
  fflush (stdout);

  ceiling = run_ceiling (ceiling_path, cipher);
  printf ("ceiling_msgs_per_s: %.0f\n", ceiling);
  fflush (stdout);
  remove_database (ceiling_path);

  store = bench_open_store (store_path, cipher);
  start = now_s ();
  bench_fill_store (store);
  ingest = n_messages / (now_s () - start);
  printf ("ingest_msgs_per_s: %.0f\n", ingest);
  printf ("ingest_ratio: %.2f\n", ingest / ceiling);
  fflush (stdout);

  /* Per-contact reports over the whole history, through the async API. */
  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr(GArray) days = NULL;
      double t0 = now_s ();

      picky_store_report_contact_async (store, 1 + rng_below (&rng, N_CONTACTS), 0, G_MAXINT32,
                                        NULL, bench_got_result_cb, &result);
      days = picky_store_report_contact_finish (store, bench_wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      g_array_append_vals (samples, (double[]) { (now_s () - t0) * 1000 }, 1);
    }
  printf ("report_contact_p50_ms: %.3f\n", bench_percentile (samples, 0.5));
  printf ("report_contact_p95_ms: %.3f\n", bench_percentile (samples, 0.95));
  g_array_set_size (samples, 0);

  {
    gint64 end = START + N_DAYS * 86400;
    g_autoptr(GArray) days = NULL;
    double t0 = now_s ();

    picky_store_report_overall_async (store, NULL, end - 30 * 86400, end, NULL, bench_got_result_cb, &result);
    days = picky_store_report_overall_finish (store, bench_wait_for (&result), &error);
    g_assert_no_error (error);
    g_clear_object (&result);
    printf ("report_overall_30d_ms: %.3f\n", (now_s () - t0) * 1000);
  }

  for (guint i = 0; i < 100; i++)
    {
      PickyPageQuery page = { .direction = -1, .limit = 50 };
      const char *word;
      g_autoptr(GPtrArray) hits = NULL;
      double t0;
      guint script = rng_below (&rng, 3);

      if (script == 0)
        word = latin_words[rng_below (&rng, G_N_ELEMENTS (latin_words))];
      else if (script == 1)
        word = devanagari_words[rng_below (&rng, G_N_ELEMENTS (devanagari_words))];
      else
        word = arabic_words[rng_below (&rng, G_N_ELEMENTS (arabic_words))];

      t0 = now_s ();
      picky_store_search_async (store, word, &page, NULL, bench_got_result_cb, &result);
      hits = picky_store_search_finish (store, bench_wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      g_array_append_vals (samples, (double[]) { (now_s () - t0) * 1000 }, 1);
      search_hits += hits->len;
    }
  printf ("search_hits_avg: %.1f\n", search_hits / 100.0);
  printf ("search_p50_ms: %.3f\n", bench_percentile (samples, 0.5));
  printf ("search_p95_ms: %.3f\n", bench_percentile (samples, 0.95));
  g_array_set_size (samples, 0);

  for (guint i = 0; i < 200; i++)
    {
      PickyPageQuery page = {
        .direction = -1,
        .limit = 200,
        .before_timestamp = START + rng_below (&rng, N_DAYS * 86400),
        .before_id = G_MAXINT64,
      };
      g_autoptr(GPtrArray) rows = NULL;
      double t0 = now_s ();

      picky_store_list_messages_async (store, &page, NULL, bench_got_result_cb, &result);
      rows = picky_store_list_messages_finish (store, bench_wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      g_array_append_vals (samples, (double[]) { (now_s () - t0) * 1000 }, 1);
    }
  printf ("page_p50_ms: %.3f\n", bench_percentile (samples, 0.5));
  printf ("page_p95_ms: %.3f\n", bench_percentile (samples, 0.95));

  picky_store_close (store);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  {
    g_autofree char *wal = g_strconcat (store_path, "-wal", NULL);

    bytes = file_size (store_path) + file_size (wal);
  }
  printf ("bytes_per_message: %.1f\n", (double) bytes / n_messages);

  if (!keep)
    remove_database (store_path);
  if (!keep && base_dir == NULL)
    g_rmdir (dir);

  return 0;
}
