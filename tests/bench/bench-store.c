/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark of the message store: ingest against a plain-loop ceiling, reports, search, paging, erasure, purges. */

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "bench-common.h"
#include "picky-store.h"
#include "picky-store-private.h"

static gint64
count_rows (const char *path,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count = -1;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return count;
}

/* The conversation list: pages of every filter at random depths, with
 * apps and a channel now and then; then search by name, by number in
 * several spellings and by text, as the Inbox's search asks. */
static void
bench_conversations (PickyStore *store,
                     const char *path,
                     Rng        *rng)
{
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) names = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) numbers = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) texts = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *whatsapp[] = { "whatsapp", NULL };
  gint64 n_conversations = count_rows (path, "SELECT count (*) FROM conversations");
  guint found = 0;
  double t0;

  printf ("conversations: %" G_GINT64_FORMAT "\n", n_conversations);

  /* One in a hundred marked Done, so that the Done filter has pages. */
  for (gint64 id = 1; id <= n_conversations; id += 100)
    {
      picky_store_set_conversation_done_async (store, id, TRUE, NULL, bench_got_result_cb, &result);
      picky_store_set_conversation_done_finish (store, bench_wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
    }

  for (guint i = 0; i < 500; i++)
    {
      PickyConversationQuery query = {
        .filter = i % 5,
        .apps = i % 3 == 0 ? whatsapp : NULL,
        .channel_id = i % 7 == 0 ? 1 : 0,
        .limit = 100,
      };
      g_autoptr(GPtrArray) page = NULL;

      if (i % 2 == 1)
        {
          query.before_time = START + rng_below (rng, N_DAYS * 86400);
          query.before_id = G_MAXINT64;
        }
      t0 = now_s ();
      picky_store_list_conversations_async (store, &query, NULL, bench_got_result_cb, &result);
      page = picky_store_list_conversations_finish (store, bench_wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      g_array_append_vals (samples, (double[]) { (now_s () - t0) * 1000 }, 1);
    }
  printf ("conversations_page_p50_ms: %.3f\n", bench_percentile (samples, 0.5));
  printf ("conversations_page_p95_ms: %.3f\n", bench_percentile (samples, 0.95));
  fflush (stdout);

  /* The first search reads every contact's sealed name into memory. */
  {
    PickyConversationQuery query = { .filter = PICKY_CONVERSATION_FILTER_ALL };
    g_autoptr(GPtrArray) hits = NULL;

    t0 = now_s ();
    picky_store_search_conversations_async (store, "warm", &query, NULL, bench_got_result_cb, &result);
    hits = picky_store_search_conversations_finish (store, bench_wait_for (&result), &error);
    g_assert_no_error (error);
    g_clear_object (&result);
    printf ("conversation_search_first_ms: %.1f\n", (now_s () - t0) * 1000);
  }

  for (guint i = 0; i < 300; i++)
    {
      PickyConversationQuery query = { .filter = PICKY_CONVERSATION_FILTER_ALL, .limit = 50 };
      guint contact = rng_below (rng, N_CONTACTS);
      g_autofree char *text = NULL;
      g_autoptr(GPtrArray) hits = NULL;
      GArray *kind;

      switch (i % 3)
        {
        case 0:
          text = g_strdup_printf ("contact NUMBER %u", contact);
          kind = names;
          break;
        case 1:
          /* +91 98…, 0091 98… and the national 098…, as people type them. */
          text = i % 2 ? g_strdup_printf ("+91 98 %04u %04u", contact / 10000, contact % 10000)
                       : (i % 4 ? g_strdup_printf ("0091-98-%08u", contact)
                                : g_strdup_printf ("098 %04u-%04u", contact / 10000, contact % 10000));
          kind = numbers;
          break;
        default:
          text = g_strdup (latin_words[rng_below (rng, G_N_ELEMENTS (latin_words))]);
          kind = texts;
          break;
        }

      t0 = now_s ();
      if (kind == texts)
        {
          picky_store_search_conversation_messages_async (store, text, &query, NULL, bench_got_result_cb, &result);
          hits = picky_store_search_conversation_messages_finish (store, bench_wait_for (&result), &error);
        }
      else
        {
          picky_store_search_conversations_async (store, text, &query, NULL, bench_got_result_cb, &result);
          hits = picky_store_search_conversations_finish (store, bench_wait_for (&result), &error);
        }
      g_assert_no_error (error);
      g_clear_object (&result);
      g_array_append_vals (kind, (double[]) { (now_s () - t0) * 1000 }, 1);
      found += hits->len > 0;
    }
  printf ("conversation_search_found: %u/300\n", found);
  printf ("conversation_search_name_p95_ms: %.3f\n", bench_percentile (names, 0.95));
  printf ("conversation_search_number_p95_ms: %.3f\n", bench_percentile (numbers, 0.95));
  printf ("conversation_search_text_p95_ms: %.3f\n", bench_percentile (texts, 0.95));
  printf ("conversation_search_p95_ms: %.3f\n",
          MAX (bench_percentile (names, 0.95),
               MAX (bench_percentile (numbers, 0.95), bench_percentile (texts, 0.95))));
  fflush (stdout);
}

/* The process's processor time, user and system, in seconds: on a loaded
 * machine the erasure's wall time says more about the other processes. */
static double
cpu_s (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/* Whether @needle occurs in the file at @path or its -wal. */
static gboolean
database_contains (const char *path,
                   const char *needle)
{
  const char *suffixes[] = { "", "-wal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *name = g_strconcat (path, suffixes[i], NULL);
      g_autoptr(GMappedFile) file = g_mapped_file_new (name, FALSE, NULL);

      if (file != NULL && g_mapped_file_get_length (file) > 0 &&
          memmem (g_mapped_file_get_contents (file), g_mapped_file_get_length (file), needle, strlen (needle)) != NULL)
        return TRUE;
    }

  return FALSE;
}

/* Erasure and retention, last since they change the store (a kept one
 * loses the contact and its oldest tenth): a contact with 10,000 messages,
 * each holding a word nobody else wrote, is erased, and the file and its
 * log searched for the word, their name, number and provider id; then the oldest 10 % of the messages are
 * purged. */
static void
bench_privacy (PickyStore *store,
               const char *path)
{
  static const char word[] = "zyzzogetonic";
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 contact = 0, removed, days;
  double t0, c0;

  for (guint b = 0; b < 20; b++)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < 500; i++)
        {
          PickyMessage *message = picky_message_new ();
          g_autofree char *key = g_strdup_printf ("erasee-%u-%u", b, i);
          g_autofree char *text = g_strdup_printf ("%s question number %u", word, b * 500 + i);

          picky_message_set_channel_id (message, 1);
          picky_message_set_provider_key (message, key);
          picky_message_set_contact_provider_id (message, "bench-erasee");
          picky_message_set_contact_name (message, "Erasmus Erasee");
          picky_message_set_contact_phone (message, "+4917099887766");
          picky_message_set_direction (message, PICKY_DIRECTION_IN);
          picky_message_set_text (message, text);
          picky_message_set_timestamp (message, START + (gint64) (b * 500 + i) * (N_DAYS * 86400 / 10000));
          picky_message_set_received (message, picky_message_get_timestamp (message));
          g_ptr_array_add (batch, message);
        }
      picky_store_ingest_async (store, batch, NULL, bench_got_result_cb, &result);
      picky_store_ingest_finish (store, bench_wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      contact = picky_message_get_contact_id (batch->pdata[0]);
    }

  t0 = now_s ();
  c0 = cpu_s ();
  picky_store_erase_contact_async (store, contact, NULL, bench_got_result_cb, &result);
  picky_store_erase_contact_finish (store, bench_wait_for (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  printf ("erase_contact_ms: %.1f\n", (now_s () - t0) * 1000);
  printf ("erase_contact_cpu_ms: %.1f\n", (cpu_s () - c0) * 1000);
  /* Their word, name, number and id with the provider: none may be left. */
  printf ("erase_word_in_file: %d\n",
          database_contains (path, word) || database_contains (path, "Erasmus Erasee") ||
          database_contains (path, "4917099887766") || database_contains (path, "bench-erasee"));
  fflush (stdout);

  /* The generated messages span N_DAYS evenly: the cutoff a tenth in. */
  days = (g_get_real_time () / G_USEC_PER_SEC - (START + N_DAYS * 86400 / 10)) / 86400;
  t0 = now_s ();
  picky_store_purge_async (store, (guint) days, NULL, bench_got_result_cb, &result);
  removed = picky_store_purge_finish (store, bench_wait_for (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  printf ("purge_rows: %" G_GINT64_FORMAT "\n", removed);
  printf ("purge_rows_per_s: %.0f\n", removed / (now_s () - t0));
  fflush (stdout);
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
  g_autofree char *kept_path = NULL;
  GOptionEntry entries[] = {
    { "store", 0, 0, G_OPTION_ARG_FILENAME, &kept_path,
      "A store to reuse, as an earlier run with this option left it, or to generate and keep", "PATH" },
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
  store_path = kept_path != NULL ? g_canonicalize_filename (kept_path, NULL) : g_build_filename (dir, "store.db", NULL);
  remove_database (ceiling_path);
  cipher = kept_path != NULL ? bench_cipher_for_store (store_path) : bench_cipher ();

  printf ("messages: %" G_GUINT64_FORMAT "\n", n_messages);
  fflush (stdout);

  /* A store an earlier process generated is measured as it is: neither
   * that process's heap nor the generating counts here. */
  if (kept_path != NULL)
    store = bench_reopen_store (store_path, cipher);
  if (store != NULL)
    {
      printf ("reused_store: 1\n");
    }
  else if (kept_path != NULL)
    {
      /* A store to keep is made by the plain loop, which runs the store's
       * own statements, in half the time of making it twice; its rate is
       * the ceiling, and ingest is measured by runs without --store. */
      remove_database (store_path);
      ceiling = run_ceiling (store_path, cipher);
      printf ("ceiling_msgs_per_s: %.0f\n", ceiling);
      store = bench_reopen_store (store_path, cipher);
      g_assert_nonnull (store);
    }
  else
    {
      remove_database (store_path);
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
    }
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
  fflush (stdout);

  bench_conversations (store, store_path, &rng);
  bench_privacy (store, store_path);

  picky_store_close (store);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  {
    g_autofree char *wal = g_strconcat (store_path, "-wal", NULL);

    bytes = file_size (store_path) + file_size (wal);
  }
  printf ("bytes_per_message: %.1f\n", (double) bytes / n_messages);

  if (!keep && kept_path == NULL)
    remove_database (store_path);
  if (!keep && base_dir == NULL)
    g_rmdir (dir);

  return 0;
}
