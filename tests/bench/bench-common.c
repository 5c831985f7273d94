/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the benchmarks share: the same generated rows, and the plain-loop SQLite ceiling over them. */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "bench-common.h"
#include "picky-store-private.h"

/* splitmix64: the same message index always yields the same message,
 * so the ceiling and the store get identical rows. */
guint64
rng_next (Rng *rng)
{
  guint64 z = (rng->state += 0x9e3779b97f4a7c15ULL);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

guint
rng_below (Rng   *rng,
           guint  n)
{
  return rng_next (rng) % n;
}

guint64 n_messages = 5000000;
gboolean bench_all_incoming = FALSE;
gboolean bench_even_contacts = FALSE;

void
make_row (guint64   index,
          BenchRow *row)
{
  Rng rng = { index * 2654435761ULL + 17 };
  guint script = rng_below (&rng, 100);
  guint n_words;
  const char **words;
  guint n_list;

  /* Evenly over the year, newest last, as they arrive. */
  row->timestamp = START + (gint64) ((double) index / n_messages * N_DAYS * 86400);
  /* Some contacts write far more than others. */
  row->contact = (guint) ((double) rng_below (&rng, N_CONTACTS) * rng_below (&rng, 1000) / 1000.0);
  /* Every contact writes, so that each has a conversation. */
  if (bench_even_contacts)
    row->contact = rng_below (&rng, N_CONTACTS);
  row->direction = rng_below (&rng, 100) < 55 ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT;
  /* Webhooks bring incoming messages only; the ceiling must insert the same. */
  if (bench_all_incoming)
    row->direction = PICKY_DIRECTION_IN;
  g_snprintf (row->key, sizeof row->key, "bench:%" G_GUINT64_FORMAT, index);
  g_snprintf (row->contact_id, sizeof row->contact_id, "%u", row->contact);
  g_snprintf (row->name, sizeof row->name, "Contact number %u", row->contact);
  g_snprintf (row->phone, sizeof row->phone, "+9198%08u", row->contact);

  if (script < 60)
    words = latin_words, n_list = G_N_ELEMENTS (latin_words);
  else if (script < 80)
    words = devanagari_words, n_list = G_N_ELEMENTS (devanagari_words);
  else
    words = arabic_words, n_list = G_N_ELEMENTS (arabic_words);

  n_words = rng_below (&rng, 100) < 5 ? 20 + rng_below (&rng, 40) : 1 + rng_below (&rng, 12);
  g_string_truncate (row->text, 0);
  for (guint i = 0; i < n_words; i++)
    {
      if (i > 0)
        g_string_append_c (row->text, ' ');
      g_string_append (row->text, words[rng_below (&rng, n_list)]);
    }
  if (rng_below (&rng, 10) == 0)
    {
      g_string_append_c (row->text, ' ');
      g_string_append (row->text, emoji[rng_below (&rng, G_N_ELEMENTS (emoji))]);
    }
}

const char *
contact_app (guint contact)
{
  return contact % 2 ? "whatsapp" : "telegram";
}

gint64
contact_channel (guint contact)
{
  return contact % 2 ? 2 : 1;
}

double
now_s (void)
{
  return g_get_monotonic_time () / (double) G_USEC_PER_SEC;
}

gint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gint64) st.st_size : 0;
}

void
remove_database (const char *path)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *name = g_strconcat (path, suffixes[i], NULL);

      g_remove (name);
    }
}

PickyCipher *
bench_cipher (void)
{
  g_autoptr(GBytes) key = picky_cipher_generate_key ();

  return picky_cipher_new (key, NULL);
}

/* ---- The ceiling: the store's statements in a plain loop ---- */

typedef struct {
  gint64 id;
} CeilingContact;

static void
check (sqlite3 *db,
       int      rc)
{
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    g_error ("SQLite: %s", sqlite3_errmsg (db));
}

static void
run (sqlite3      *db,
     sqlite3_stmt *stmt)
{
  check (db, sqlite3_step (stmt));
  sqlite3_reset (stmt);
}

/* One message, or with @n_in and @n_out 0 one response time, into the
 * day, hour, month and year rollups, as picky-store-contacts.c counts them. */
static void
ceiling_add_counts (sqlite3      *db,
                    sqlite3_stmt *contact_day,
                    sqlite3_stmt *daily,
                    sqlite3_stmt *contact_hour,
                    sqlite3_stmt *contact_span,
                    gint64        contact_id,
                    const char   *app,
                    gint64        timestamp,
                    int           n_in,
                    int           n_out,
                    gint64        response)
{
  for (guint t = 0; t < 2; t++)
    {
      sqlite3_stmt *stmt = t == 0 ? contact_day : daily;

      if (t == 0)
        sqlite3_bind_int64 (stmt, 1, contact_id);
      else
        sqlite3_bind_text (stmt, 1, app, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, timestamp / 86400);
      sqlite3_bind_int (stmt, 3, n_in);
      sqlite3_bind_int (stmt, 4, n_out);
      sqlite3_bind_int64 (stmt, 5, timestamp);
      sqlite3_bind_int64 (stmt, 6, MAX (response, 0));
      sqlite3_bind_int (stmt, 7, response >= 0);
      sqlite3_bind_int (stmt, 8, response >= 0 ? (int) picky_store_response_bucket (response) : -1);
      run (db, stmt);
    }

  sqlite3_bind_int64 (contact_hour, 1, contact_id);
  sqlite3_bind_int64 (contact_hour, 2, timestamp / 3600);
  sqlite3_bind_int (contact_hour, 3, n_in);
  sqlite3_bind_int (contact_hour, 4, n_out);
  sqlite3_bind_int64 (contact_hour, 5, timestamp);
  sqlite3_bind_int64 (contact_hour, 6, MAX (response, 0));
  sqlite3_bind_int (contact_hour, 7, response >= 0);
  run (db, contact_hour);

  for (int level = PICKY_STORE_SPAN_MONTH; level <= PICKY_STORE_SPAN_YEAR; level++)
    {
      sqlite3_bind_int (contact_span, 1, level);
      sqlite3_bind_int64 (contact_span, 2, picky_store_span_floor (level, timestamp / 3600));
      sqlite3_bind_int64 (contact_span, 3, contact_id);
      sqlite3_bind_int (contact_span, 4, n_in);
      sqlite3_bind_int (contact_span, 5, n_out);
      sqlite3_bind_int64 (contact_span, 6, timestamp);
      sqlite3_bind_int (contact_span, 7, response >= 0 ? (int) picky_store_fine_bucket (response) : -1);
      run (db, contact_span);
    }
}

static void
ceiling_add_time (sqlite3      *db,
                  sqlite3_stmt *stmt,
                  gint64        contact_id,
                  gint64        timestamp,
                  gint64        seconds)
{
  sqlite3_bind_int64 (stmt, 1, contact_id);
  sqlite3_bind_int64 (stmt, 2, timestamp / 3600);
  sqlite3_bind_int (stmt, 3, picky_store_fine_bucket (seconds));
  run (db, stmt);
}

double
run_ceiling (const char  *path,
             PickyCipher *cipher)
{
  g_autoptr(GError) error = NULL;
  CeilingContact *contacts = g_new0 (CeilingContact, N_CONTACTS);
  BenchRow row = { .text = g_string_new (NULL) };
  sqlite3 *db = NULL;
  sqlite3_stmt *insert, *seal, *add_contact, *set_provider_id, *set_name, *set_phone;
  sqlite3_stmt *last_wait, *insert_wait, *end_wait, *wait_messages, *reply_hour;
  g_autoptr(GArray) written = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *contact_day, *daily;
  sqlite3_stmt *contact_hour, *response_hour, *conversation, *contact_span;
  PickyStoreIndexer *indexer;
  double start;

  picky_store_vfs_register ();
  check (db, sqlite3_open (path, &db));
  if (!picky_store_schema_configure (db, &error) || !picky_store_schema_migrate (db, cipher, &error))
    g_error ("%s", error->message);
  check (db, sqlite3_exec (db, "INSERT INTO channels (app, kind, name) VALUES"
                               " ('telegram', 'bot', 'T'), ('whatsapp', 'cloud', 'W')",
                           NULL, NULL, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_insert_message, -1, &insert, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_seal_message, -1, &seal, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_insert_contact, -1, &add_contact, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_set_contact_provider_id, -1, &set_provider_id, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_set_contact_name, -1, &set_name, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_set_contact_phone, -1, &set_phone, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_last_wait, -1, &last_wait, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_insert_wait, -1, &insert_wait, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_end_wait, -1, &end_wait, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_wait_messages, -1, &wait_messages, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_add_reply_hour, -1, &reply_hour, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_add_contact_day, -1, &contact_day, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_add_daily, -1, &daily, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_add_contact_hour, -1, &contact_hour, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_add_response_hour, -1, &response_hour, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_add_contact_span, -1, &contact_span, NULL));
  check (db, sqlite3_prepare_v2 (db, picky_store_sql_touch_conversation, -1, &conversation, NULL));
  indexer = picky_store_indexer_new (db, &error);
  if (indexer == NULL)
    g_error ("%s", error->message);

  start = now_s ();
  for (guint64 i = 0; i < n_messages; i++)
    {
      CeilingContact *contact;
      g_autofree char *key_hash = NULL;
      g_autoptr(GBytes) sealed_key = NULL;
      gboolean incoming;
      gint64 response = -1;
      gint64 row_id;

      if (i % 1000 == 0)
        check (db, sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL));

      make_row (i, &row);
      contact = &contacts[row.contact];
      incoming = row.direction == PICKY_DIRECTION_IN;
      if (contact->id == 0)
        {
          g_autoptr(GBytes) provider_id = NULL;
          g_autoptr(GBytes) name = NULL;
          g_autoptr(GBytes) phone = NULL;
          g_autofree char *provider_hash = NULL;
          g_autofree char *hash = NULL;

          provider_hash = picky_store_contact_hash (cipher, contact_app (row.contact), row.contact_id);
          sqlite3_bind_text (add_contact, 1, contact_app (row.contact), -1, SQLITE_STATIC);
          sqlite3_bind_text (add_contact, 2, provider_hash, -1, SQLITE_STATIC);
          run (db, add_contact);
          contact->id = sqlite3_last_insert_rowid (db);

          provider_id = picky_cipher_encrypt (cipher, row.contact_id, "contacts", "provider_id", contact->id);
          sqlite3_bind_int64 (set_provider_id, 1, contact->id);
          sqlite3_bind_blob (set_provider_id, 2, g_bytes_get_data (provider_id, NULL),
                             g_bytes_get_size (provider_id), SQLITE_TRANSIENT);
          run (db, set_provider_id);

          name = picky_cipher_encrypt (cipher, row.name, "contacts", "name", contact->id);
          sqlite3_bind_int64 (set_name, 1, contact->id);
          sqlite3_bind_blob (set_name, 2, g_bytes_get_data (name, NULL), g_bytes_get_size (name), SQLITE_TRANSIENT);
          run (db, set_name);

          phone = picky_cipher_encrypt (cipher, row.phone, "contacts", "phone", contact->id);
          hash = picky_cipher_lookup_hash (cipher, "phone", row.phone);
          sqlite3_bind_int64 (set_phone, 1, contact->id);
          sqlite3_bind_blob (set_phone, 2, g_bytes_get_data (phone, NULL), g_bytes_get_size (phone), SQLITE_TRANSIENT);
          sqlite3_bind_text (set_phone, 3, hash, -1, SQLITE_STATIC);
          run (db, set_phone);
        }

      key_hash = picky_store_message_hash (cipher, contact_channel (row.contact), row.key);
      sqlite3_bind_int64 (insert, 1, contact_channel (row.contact));
      sqlite3_bind_text (insert, 2, key_hash, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (insert, 3, contact->id);
      sqlite3_bind_int (insert, 4, row.direction);
      sqlite3_bind_text (insert, 5, "text", -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 6, row.text->str, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (insert, 7, row.timestamp);
      sqlite3_bind_int64 (insert, 8, row.timestamp);
      if (!incoming)
        sqlite3_bind_text (insert, 9, "queued", -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (insert, 9);
      run (db, insert);
      row_id = sqlite3_last_insert_rowid (db);

      /* The store seals the key under the new row id, as here. */
      sealed_key = picky_cipher_encrypt (cipher, row.key, "messages", "provider_key",
                                         sqlite3_last_insert_rowid (db));
      sqlite3_bind_int64 (seal, 1, sqlite3_last_insert_rowid (db));
      sqlite3_bind_blob (seal, 2, g_bytes_get_data (sealed_key, NULL), g_bytes_get_size (sealed_key),
                         SQLITE_TRANSIENT);
      run (db, seal);

      ceiling_add_counts (db, contact_day, daily, contact_hour, contact_span, contact->id, contact_app (row.contact),
                          row.timestamp, incoming ? 1 : 0, incoming ? 0 : 1, -1);

      /* The conversation's latest wait: a customer message starts one
       * unless it is open, our reply ends it, as the store does. */
      {
        gint64 wait_id = 0, first_id = 0, started = 0;
        gboolean open = FALSE;

        sqlite3_bind_int64 (last_wait, 1, contact->id);
        sqlite3_bind_int64 (last_wait, 2, contact_channel (row.contact));
        if (sqlite3_step (last_wait) == SQLITE_ROW)
          {
            wait_id = sqlite3_column_int64 (last_wait, 0);
            first_id = sqlite3_column_int64 (last_wait, 1);
            started = sqlite3_column_int64 (last_wait, 2);
            open = sqlite3_column_int (last_wait, 3) != 0;
          }
        sqlite3_reset (last_wait);

        if (incoming && !open)
          {
            sqlite3_bind_int64 (insert_wait, 1, contact->id);
            sqlite3_bind_int64 (insert_wait, 2, contact_channel (row.contact));
            sqlite3_bind_int64 (insert_wait, 3, row_id);
            sqlite3_bind_int64 (insert_wait, 4, row.timestamp);
            run (db, insert_wait);
          }
        else if (!incoming && open)
          {
            response = MAX (0, row.timestamp - started);
            sqlite3_bind_int64 (end_wait, 1, wait_id);
            sqlite3_bind_int64 (end_wait, 2, row.timestamp);
            sqlite3_bind_int (end_wait, 3, 1);
            run (db, end_wait);
            ceiling_add_counts (db, contact_day, daily, contact_hour, contact_span, contact->id, contact_app (row.contact),
                                started, 0, 0, response);
            ceiling_add_time (db, response_hour, contact->id, started, response);

            sqlite3_bind_int64 (wait_messages, 1, contact->id);
            sqlite3_bind_int64 (wait_messages, 2, contact_channel (row.contact));
            sqlite3_bind_int64 (wait_messages, 3, started);
            sqlite3_bind_int64 (wait_messages, 4, first_id);
            while (sqlite3_step (wait_messages) == SQLITE_ROW)
              g_array_append_vals (written, (gint64[]) { sqlite3_column_int64 (wait_messages, 0) }, 1);
            sqlite3_reset (wait_messages);
            for (guint w = 0; w < written->len; w++)
              {
                gint64 t = g_array_index (written, gint64, w);

                ceiling_add_time (db, reply_hour, contact->id, t, MAX (0, row.timestamp - t));
              }
            g_array_set_size (written, 0);
          }
      }

      /* And its conversation, as the store keeps it. */
      sqlite3_bind_int64 (conversation, 1, contact_channel (row.contact));
      sqlite3_bind_int64 (conversation, 2, contact->id);
      sqlite3_bind_int64 (conversation, 3, row.timestamp);
      sqlite3_bind_int64 (conversation, 4, row_id);
      sqlite3_bind_int (conversation, 5, row.direction);
      sqlite3_bind_int (conversation, 6, 1);
      run (db, conversation);

      /* Each transaction's messages are indexed for search as the store
       * indexes a batch of them. */
      if (i % 1000 == 999 || i == n_messages - 1)
        {
          if (picky_store_indexer_run (indexer, &error) < 0)
            g_error ("%s", error->message);
          check (db, sqlite3_exec (db, "COMMIT", NULL, NULL, NULL));
        }
    }

  {
    double elapsed = now_s () - start;

    sqlite3_finalize (insert);
    sqlite3_finalize (seal);
    sqlite3_finalize (add_contact);
    sqlite3_finalize (set_provider_id);
    sqlite3_finalize (set_name);
    sqlite3_finalize (set_phone);
    sqlite3_finalize (last_wait);
    sqlite3_finalize (insert_wait);
    sqlite3_finalize (end_wait);
    sqlite3_finalize (wait_messages);
    sqlite3_finalize (reply_hour);
    sqlite3_finalize (contact_day);
    sqlite3_finalize (daily);
    sqlite3_finalize (contact_hour);
    sqlite3_finalize (response_hour);
    sqlite3_finalize (contact_span);
    sqlite3_finalize (conversation);
    picky_store_indexer_free (indexer);
    sqlite3_close (db);
    g_string_free (row.text, TRUE);
    g_free (contacts);

    return n_messages / elapsed;
  }
}

/* Peak resident memory of the process so far, in MiB. */
double
peak_rss_mb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmHWM:")) == NULL)
    return 0;

  return g_ascii_strtod (line + strlen ("VmHWM:"), NULL) / 1024.0;
}

#define IN_FLIGHT 64

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
          /* A year of history: our replies in it went out. */
          if (row.direction == PICKY_DIRECTION_OUT)
            picky_message_set_status (message, PICKY_MESSAGE_STATUS_SENT);
          g_ptr_array_add (batch, message);
        }

      feeder->running++;
      picky_store_ingest_async (feeder->store, batch, NULL, ingested_cb, feeder);
    }

  g_string_free (row.text, TRUE);
}

/**
 * bench_fill_store:
 * @store: an open store with the two channels of bench_open_store()
 *
 * Stores every generated row through picky_store_ingest_async(), with
 * IN_FLIGHT batches queued at a time, and returns once all are committed.
 */
void
bench_fill_store (PickyStore *store)
{
  Feeder feeder = { .store = store, .sizes = { 99 } };

  feed (&feeder);
  while (feeder.running > 0)
    g_main_context_iteration (NULL, TRUE);
}

void
bench_got_result_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

GAsyncResult *
bench_wait_for (GAsyncResult **slot)
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

double
bench_percentile (GArray *samples,
                  double  fraction)
{
  if (samples->len == 0)
    return 0;

  g_array_sort (samples, compare_doubles);
  return g_array_index (samples, double, (guint) (fraction * (samples->len - 1)));
}

/**
 * bench_open_store:
 *
 * Returns: (transfer full): the store at @path with the Telegram and the
 * WhatsApp channel the generated rows belong to
 */
PickyStore *
bench_open_store (const char  *path,
                  PickyCipher *cipher)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyStore *store;

  picky_store_open_async (path, cipher, NULL, bench_got_result_cb, &result);
  store = picky_store_open_finish (bench_wait_for (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  for (guint i = 0; i < 2; i++)
    {
      picky_store_add_channel_async (store, i == 0 ? "telegram" : "whatsapp", "bot", "B", NULL,
                                     NULL, bench_got_result_cb, &result);
      picky_store_add_channel_finish (store, bench_wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
    }

  return store;
}

/**
 * bench_cipher_for_store:
 * @path: a database kept for later runs (`--store`)
 *
 * Returns: (transfer full): the data key of that database, kept in
 *   "@path.key" beside it and made when missing, so that a later process
 *   can open what an earlier one generated
 */
PickyCipher *
bench_cipher_for_store (const char *path)
{
  g_autofree char *key_path = g_strconcat (path, ".key", NULL);
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GError) error = NULL;
  gchar *contents = NULL;
  gsize length = 0;

  if (g_file_get_contents (key_path, &contents, &length, NULL))
    {
      key = g_bytes_new_take (contents, length);
    }
  else
    {
      key = picky_cipher_generate_key ();
      if (!g_file_set_contents_full (key_path, g_bytes_get_data (key, NULL), g_bytes_get_size (key),
                                     G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
        g_error ("Cannot keep the key: %s", error->message);
    }

  return picky_cipher_new (key, NULL);
}

/**
 * bench_reopen_store:
 *
 * Returns: (transfer full): the store an earlier run generated at @path,
 *   or %NULL when it holds fewer than n_messages messages
 */
PickyStore *
bench_reopen_store (const char  *path,
                    PickyCipher *cipher)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyStore) store = NULL;
  gint64 count;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;

  picky_store_open_async (path, cipher, NULL, bench_got_result_cb, &result);
  store = picky_store_open_finish (bench_wait_for (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  picky_store_count_messages_async (store, NULL, bench_got_result_cb, &result);
  count = picky_store_count_messages_finish (store, bench_wait_for (&result), &error);
  g_assert_no_error (error);
  if (count < (gint64) n_messages)
    {
      picky_store_close (store);
      return NULL;
    }

  return g_steal_pointer (&store);
}
