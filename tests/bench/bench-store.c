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

#define IN_FLIGHT 64

/* ---- The store ---- */

typedef struct {
  PickyStore *store;
  guint64 next;
  guint running;
  Rng sizes;
} Feeder;

static void feed (Feeder *feeder);

static void
ingested_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Feeder *feeder = user_data;
  g_autoptr(GError) error = NULL;

  picky_store_ingest_finish (feeder->store, result, &error);
  if (error != NULL)
    g_error ("Ingest failed: %s", error->message);
  feeder->running--;
  feed (feeder);
}

/* Keeps IN_FLIGHT batches of 1..100 messages queued, as many webhook
 * requests and pollers would. */
static void
feed (Feeder *feeder)
{
  BenchRow row = { .text = g_string_new (NULL) };

  while (feeder->running < IN_FLIGHT && feeder->next < n_messages)
    {
      guint size = 1 + rng_below (&feeder->sizes, 100);
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < size && feeder->next < n_messages; i++)
        {
          PickyMessage *message = picky_message_new ();

          make_row (feeder->next++, &row);
          picky_message_set_channel_id (message, contact_channel (row.contact));
          picky_message_set_provider_key (message, row.key);
          picky_message_set_contact_provider_id (message, row.contact_id);
          picky_message_set_contact_name (message, row.name);
          picky_message_set_contact_phone (message, row.phone);
          picky_message_set_direction (message, row.direction);
          picky_message_set_text (message, row.text->str);
          picky_message_set_timestamp (message, row.timestamp);
          picky_message_set_received (message, row.timestamp);
          if (row.direction == PICKY_DIRECTION_OUT)
            picky_message_set_status (message, PICKY_MESSAGE_STATUS_QUEUED);
          g_ptr_array_add (batch, message);
        }

      feeder->running++;
      picky_store_ingest_async (feeder->store, batch, NULL, ingested_cb, feeder);
    }

  g_string_free (row.text, TRUE);
}

static void
got_result_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *slot;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
percentile (GArray *samples,
            double  fraction)
{
  g_array_sort (samples, compare_doubles);
  return g_array_index (samples, double, (guint) (fraction * (samples->len - 1)));
}

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
  Feeder feeder = { 0 };
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

  picky_store_open_async (store_path, cipher, NULL, got_result_cb, &result);
  store = picky_store_open_finish (wait_for (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  for (guint i = 0; i < 2; i++)
    {
      picky_store_add_channel_async (store, i == 0 ? "telegram" : "whatsapp", "bot", "B", NULL,
                                     NULL, got_result_cb, &result);
      picky_store_add_channel_finish (store, wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
    }

  feeder.store = store;
  feeder.sizes.state = 99;
  start = now_s ();
  feed (&feeder);
  while (feeder.running > 0)
    g_main_context_iteration (NULL, TRUE);
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
                                        NULL, got_result_cb, &result);
      days = picky_store_report_contact_finish (store, wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      g_array_append_vals (samples, (double[]) { (now_s () - t0) * 1000 }, 1);
    }
  printf ("report_contact_p50_ms: %.3f\n", percentile (samples, 0.5));
  printf ("report_contact_p95_ms: %.3f\n", percentile (samples, 0.95));
  g_array_set_size (samples, 0);

  {
    gint64 end = START + N_DAYS * 86400;
    g_autoptr(GArray) days = NULL;
    double t0 = now_s ();

    picky_store_report_overall_async (store, NULL, end - 30 * 86400, end, NULL, got_result_cb, &result);
    days = picky_store_report_overall_finish (store, wait_for (&result), &error);
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
      picky_store_search_async (store, word, &page, NULL, got_result_cb, &result);
      hits = picky_store_search_finish (store, wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      g_array_append_vals (samples, (double[]) { (now_s () - t0) * 1000 }, 1);
      search_hits += hits->len;
    }
  printf ("search_hits_avg: %.1f\n", search_hits / 100.0);
  printf ("search_p50_ms: %.3f\n", percentile (samples, 0.5));
  printf ("search_p95_ms: %.3f\n", percentile (samples, 0.95));
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

      picky_store_list_messages_async (store, &page, NULL, got_result_cb, &result);
      rows = picky_store_list_messages_finish (store, wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      g_array_append_vals (samples, (double[]) { (now_s () - t0) * 1000 }, 1);
    }
  printf ("page_p50_ms: %.3f\n", percentile (samples, 0.5));
  printf ("page_p95_ms: %.3f\n", percentile (samples, 0.95));

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
