/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the privacy core: the audit chain, erasure, purges, a contact's export and disclosure. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "picky-disclosure.h"
#include "picky-store.h"
#include "picky-store-private.h"
#include "picky-test-util.h"

#define DAY PICKY_STORE_DAY

typedef struct {
  char *dir;
  char *path;
  PickyCipher *cipher;
  PickyStore *store;
  gint64 channel;
} Fixture;

/* The key the migration fixtures under data/ were written with. */
static PickyCipher *
fixtures_cipher (void)
{
  guint8 raw[PICKY_CIPHER_KEY_SIZE];
  g_autoptr(GBytes) key = NULL;

  for (guint i = 0; i < sizeof raw; i++)
    raw[i] = i * 7 + 1;
  key = g_bytes_new (raw, sizeof raw);

  return picky_cipher_new (key, NULL);
}

static void
close_store (Fixture *fixture)
{
  if (fixture->store == NULL)
    return;

  picky_store_close (fixture->store);
  /* Pending signal emissions hold the store. */
  while (g_main_context_iteration (NULL, FALSE));
  g_assert_finalize_object (fixture->store);
  fixture->store = NULL;
}

static void
open_store (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  close_store (fixture);
  picky_store_open_async (fixture->path, fixture->cipher, NULL, picky_test_got_result_cb, &result);
  fixture->store = picky_store_open_finish (picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("picky-privacy-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "picky-console.db", NULL);
  fixture->cipher = fixtures_cipher ();
  open_store (fixture);
  picky_store_add_channel_async (fixture->store, "telegram", "bot", "Helpdesk Kanal", "{}", NULL,
                                 picky_test_got_result_cb, &result);
  fixture->channel = picky_store_add_channel_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  close_store (fixture);
  g_assert_finalize_object (fixture->cipher);
  picky_test_remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static PickyMessage *
make_message (Fixture        *fixture,
              const char     *key,
              const char     *contact,
              PickyDirection  direction,
              const char     *text,
              gint64          timestamp)
{
  PickyMessage *message = picky_message_new ();

  picky_message_set_channel_id (message, fixture->channel);
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_provider_id (message, contact);
  picky_message_set_direction (message, direction);
  picky_message_set_text (message, text);
  picky_message_set_timestamp (message, timestamp);
  picky_message_set_received (message, timestamp + 1);
  if (direction == PICKY_DIRECTION_OUT)
    picky_message_set_status (message, PICKY_MESSAGE_STATUS_QUEUED);

  return message;
}

static void
ingest (Fixture   *fixture,
        GPtrArray *batch)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &result);
  picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
}

static gboolean
file_contains (const char *path,
               const char *needle)
{
  const char *suffixes[] = { "", "-wal", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *name = g_strconcat (path, suffixes[i], NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (g_file_get_contents (name, &contents, &length, NULL) &&
          memmem (contents, length, needle, strlen (needle)) != NULL)
        return TRUE;
    }

  return FALSE;
}

static void
exec_sql (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_exec (db, sql, NULL, NULL, &message);
  g_assert_cmpstr (message, ==, NULL);
  sqlite3_close (db);
}

static void
audit (Fixture    *fixture,
       const char *action,
       const char *object,
       const char *detail)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_store_audit_async (fixture->store, action, object, detail, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_audit_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
}

static GPtrArray *
list_audit (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *entries;

  picky_store_list_audit_async (fixture->store, NULL, picky_test_got_result_cb, &result);
  entries = picky_store_list_audit_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return entries;
}

/* The number of entries; *broken the first entry not as written, or 0. */
static gint64
verify_audit (Fixture *fixture,
              gint64  *broken)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 count;

  picky_store_verify_audit_async (fixture->store, NULL, picky_test_got_result_cb, &result);
  count = picky_store_verify_audit_finish (fixture->store, picky_test_wait_result (&result), broken, &error);
  g_assert_no_error (error);

  return count;
}

static void
test_audit_chain (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *copy = g_build_filename (fixture->dir, "copy.db", NULL);
  g_autofree char *csv = g_build_filename (fixture->dir, "audit.csv", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 broken = -1;

  audit (fixture, "channel-add", "channel 1", "telegram");
  audit (fixture, "access-change", "telegram", "read off");
  audit (fixture, "retention-change", NULL, "90 days");

  entries = list_audit (fixture);
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_cmpstr (picky_audit_entry_get_action (entries->pdata[0]), ==, "retention-change");
  g_assert_cmpstr (picky_audit_entry_get_object (entries->pdata[0]), ==, "");
  g_assert_cmpstr (picky_audit_entry_get_action (entries->pdata[2]), ==, "channel-add");
  g_assert_cmpstr (picky_audit_entry_get_object (entries->pdata[2]), ==, "channel 1");
  g_assert_cmpstr (picky_audit_entry_get_detail (entries->pdata[1]), ==, "read off");
  g_assert_cmpint (picky_audit_entry_get_time (entries->pdata[0]), >=, g_get_real_time () / G_USEC_PER_SEC - 60);
  g_assert_cmpint (verify_audit (fixture, &broken), ==, 3);
  g_assert_cmpint (broken, ==, 0);

  picky_store_export_audit_async (fixture->store, csv, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_export_audit_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_true (g_file_get_contents (csv, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "id,time,action,object,detail,previous_sha256\r\n3,"));
  g_assert_nonnull (strstr (contents, ",access-change,telegram,read off,"));

  /* An edited entry is named; the copy shows that a removed last one is
   * noticed too. */
  close_store (fixture);
  {
    g_autofree char *sql = g_strdup_printf ("VACUUM INTO '%s'", copy);

    exec_sql (fixture->path, sql);
  }
  exec_sql (fixture->path, "UPDATE audit_log SET detail = 'read on' WHERE id = 2");
  open_store (fixture);
  g_assert_cmpint (verify_audit (fixture, &broken), ==, 3);
  g_assert_cmpint (broken, ==, 2);

  close_store (fixture);
  exec_sql (copy, "DELETE FROM audit_log WHERE id = 3");
  g_free (fixture->path);
  fixture->path = g_strdup (copy);
  open_store (fixture);
  g_assert_cmpint (verify_audit (fixture, &broken), ==, 2);
  g_assert_cmpint (broken, ==, 3);
}

/* Entries from before the chain are chained by the migration, and new
 * ones chain on. */
static void
test_audit_migrate (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *fixture_sql = g_test_build_filename (G_TEST_DIST, "data", "store-v9.sql", NULL);
  g_autofree char *sql = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  gint64 broken = -1;

  close_store (fixture);
  g_unlink (fixture->path);
  g_assert_true (g_file_get_contents (fixture_sql, &sql, NULL, NULL));
  exec_sql (fixture->path, sql);
  open_store (fixture);

  g_assert_cmpint (verify_audit (fixture, &broken), ==, 2);
  g_assert_cmpint (broken, ==, 0);
  audit (fixture, "purge", "older than 30 days", "0 messages, 0 contacts");
  entries = list_audit (fixture);
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_cmpstr (picky_audit_entry_get_action (entries->pdata[1]), ==, "erase-contact");
  g_assert_cmpstr (picky_audit_entry_get_detail (entries->pdata[1]), ==, "contact 7: 12 messages");
  g_assert_cmpint (verify_audit (fixture, &broken), ==, 3);
  g_assert_cmpint (broken, ==, 0);

  close_store (fixture);
  exec_sql (fixture->path, "UPDATE audit_log SET time = time + 1 WHERE id = 1");
  open_store (fixture);
  verify_audit (fixture, &broken);
  g_assert_cmpint (broken, ==, 1);
}

/* A contact with a name, a number, words of their own, a photo and a reply
 * waiting; another contact who must stay. */
static gint64
add_victim (Fixture *fixture,
            gint64   now)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  PickyMessage *message;

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *key = g_strdup_printf ("m%u", i);
      gboolean victim = i % 3 == 0;
      g_autofree char *text = g_strdup_printf (victim ? "quixotically zanzibarian %u" : "ordinary question %u", i);

      message = make_message (fixture, key, victim ? "victim-7" : "other-8", PICKY_DIRECTION_IN, text,
                              now - 3 * DAY + i);
      picky_message_set_contact_name (message, victim ? "Quentin Vanishing" : "Olga Staying");
      picky_message_set_contact_phone (message, victim ? "+4915112345678" : "+4915199999999");
      g_ptr_array_add (batch, message);
    }
  message = make_message (fixture, "photo", "victim-7", PICKY_DIRECTION_IN, NULL, now - DAY);
  picky_message_set_kind (message, PICKY_MESSAGE_KIND_IMAGE);
  picky_message_set_media (message, "{\"file_name\":\"passport-scan.jpg\",\"size\":1024}");
  g_ptr_array_add (batch, message);
  g_ptr_array_add (batch, make_message (fixture, "reply", "victim-7", PICKY_DIRECTION_OUT,
                                        "we will call you back", now - DAY + 60));
  ingest (fixture, batch);

  return picky_message_get_contact_id (batch->pdata[0]);
}

static void
test_erase_no_trace (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(PickyErasureSummary) summary = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 victim = add_victim (fixture, now);
  gint64 broken = -1;

  g_assert_true (file_contains (fixture->path, "zanzibarian"));

  picky_store_summarize_erasure_async (fixture->store, victim, NULL, picky_test_got_result_cb, &result);
  summary = picky_store_summarize_erasure_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpint (summary->contact_id, ==, victim);
  g_assert_cmpstr (summary->name, ==, "Quentin Vanishing");
  g_assert_cmpstr (summary->phone, ==, "+4915112345678");
  g_assert_cmpint (summary->n_in, ==, 101);
  g_assert_cmpint (summary->n_out, ==, 1);
  g_assert_cmpint (summary->n_media, ==, 1);
  g_assert_cmpint (summary->n_outbox, ==, 1);
  g_assert_cmpint (summary->n_conversations, ==, 1);

  picky_store_erase_contact_async (fixture->store, victim, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_erase_contact_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* The store is still open: the words must be gone from the log too. */
  g_assert_false (file_contains (fixture->path, "zanzibarian"));
  g_assert_false (file_contains (fixture->path, "quixotically"));
  g_assert_false (file_contains (fixture->path, "passport-scan"));
  g_assert_false (file_contains (fixture->path, "Quentin"));
  g_assert_false (file_contains (fixture->path, "4915112345678"));
  g_assert_false (file_contains (fixture->path, "victim-7"));
  g_assert_true (file_contains (fixture->path, "ordinary"));

  picky_store_summarize_erasure_async (fixture->store, victim, NULL, picky_test_got_result_cb, &result);
  g_assert_null (picky_store_summarize_erasure_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);

  entries = list_audit (fixture);
  g_assert_cmpuint (entries->len, ==, 1);
  g_assert_cmpstr (picky_audit_entry_get_action (entries->pdata[0]), ==, "erase-contact");
  g_assert_true (g_str_has_prefix (picky_audit_entry_get_object (entries->pdata[0]), "contact "));
  g_assert_cmpstr (picky_audit_entry_get_detail (entries->pdata[0]), ==, "102 messages, 0 outbox items");
  g_assert_cmpint (verify_audit (fixture, &broken), ==, 1);
  g_assert_cmpint (broken, ==, 0);
}

typedef struct {
  guint  calls;
  gint64 done;
  gint64 total;
} Progress;

static void
progress_cb (gint64   done,
             gint64   total,
             gpointer user_data)
{
  Progress *progress = user_data;

  g_assert_cmpint (done, >=, progress->done);
  progress->calls++;
  progress->done = done;
  progress->total = total;
}

/* The row ids of each search index table's blocks, joined: the same
 * string later means the table was not rewritten. */
static GPtrArray *
index_blocks (const char *path)
{
  GPtrArray *blocks = g_ptr_array_new_with_free_func (g_free);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  for (guint k = 0; k < PICKY_STORE_FTS_SHARDS; k++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT group_concat (id) FROM messages_fts_%u_data", k);
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      g_ptr_array_add (blocks, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      sqlite3_finalize (stmt);
    }
  sqlite3_close (db);

  return blocks;
}

/* Erasing a contact merges only the search index table that held their
 * words; a search still finds every other contact's messages, newest
 * first across the tables and page by page, and each table agrees with
 * the messages it indexes. */
static void
test_erase_one_index_table (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 victim = 0, last_id = G_MAXINT64;
  guint victim_shard, found = 0;
  sqlite3 *db = NULL;

  /* 40 contacts across the tables, in batches, so that each table has
   * several segments to merge. */
  for (guint b = 0; b < 5; b++)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint c = 0; c < 40; c++)
        {
          g_autofree char *key = g_strdup_printf ("b%u-c%u", b, c);
          g_autofree char *contact = g_strdup_printf ("customer-%u", c);
          g_autofree char *text = g_strdup_printf (c == 7 ? "gemeinsam zanzibarian %u" : "gemeinsam frage %u", b);

          g_ptr_array_add (batch, make_message (fixture, key, contact, PICKY_DIRECTION_IN, text,
                                                now - DAY + b * 40 + c));
        }
      ingest (fixture, batch);
      victim = picky_message_get_contact_id (batch->pdata[7]);
      /* A search indexes the batch: a segment in each table it reached. */
      {
        PickyPageQuery query = { .direction = -1, .limit = 1 };
        g_autoptr(GPtrArray) hits = NULL;

        picky_store_search_async (fixture->store, "gemeinsam", &query, NULL, picky_test_got_result_cb, &result);
        hits = picky_store_search_finish (fixture->store, picky_test_wait_result (&result), &error);
        g_assert_no_error (error);
        g_clear_object (&result);
      }
    }
  victim_shard = picky_store_fts_shard (victim);

  before = index_blocks (fixture->path);
  picky_store_erase_contact_async (fixture->store, victim, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_erase_contact_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  after = index_blocks (fixture->path);

  g_assert_false (file_contains (fixture->path, "zanzibarian"));
  for (guint k = 0; k < PICKY_STORE_FTS_SHARDS; k++)
    if (k == victim_shard)
      g_assert_cmpstr (before->pdata[k], !=, after->pdata[k]);
    else
      g_assert_cmpstr (before->pdata[k], ==, after->pdata[k]);

  /* Pages of 7 over 195 hits from every table. */
  for (;;)
    {
      PickyPageQuery query = { .direction = -1, .limit = 7, .before_id = last_id == G_MAXINT64 ? 0 : last_id };
      g_autoptr(GPtrArray) hits = NULL;

      picky_store_search_async (fixture->store, "gemeinsam", &query, NULL, picky_test_got_result_cb, &result);
      hits = picky_store_search_finish (fixture->store, picky_test_wait_result (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      if (hits->len == 0)
        break;
      for (guint i = 0; i < hits->len; i++)
        {
          g_assert_cmpint (picky_message_get_id (hits->pdata[i]), <, last_id);
          g_assert_cmpint (picky_message_get_contact_id (hits->pdata[i]), !=, victim);
          last_id = picky_message_get_id (hits->pdata[i]);
          found++;
        }
    }
  g_assert_cmpuint (found, ==, 195);

  /* The erasure turned the index's triggers off for its own deletion
   * only: a message stored afterwards is found, in its contact's table. */
  {
    g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr(GPtrArray) hits = NULL;
    PickyPageQuery query = { .direction = -1, .limit = 10 };

    g_ptr_array_add (batch, make_message (fixture, "after", "customer-3", PICKY_DIRECTION_IN, "quetzalcoatlus",
                                          now - DAY + 500));
    ingest (fixture, batch);
    picky_store_search_async (fixture->store, "quetzalcoatlus", &query, NULL, picky_test_got_result_cb, &result);
    hits = picky_store_search_finish (fixture->store, picky_test_wait_result (&result), &error);
    g_assert_no_error (error);
    g_clear_object (&result);
    g_assert_cmpuint (hits->len, ==, 1);
  }

  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  picky_test_assert_index_consistent (db);
  sqlite3_close (db);
}

static void
test_purge_progress (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PickyErasureSummary) summary = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  Progress progress = { 0 };
  gint64 gone, kept;

  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *key = g_strdup_printf ("old%u", i);
      g_autofree char *fresh = g_strdup_printf ("new%u", i);

      g_ptr_array_add (batch, make_message (fixture, key, i % 2 ? "gone" : "kept", PICKY_DIRECTION_IN,
                                            "paleolithic remark", now - 100 * DAY - i));
      if (i % 2 == 0)
        g_ptr_array_add (batch, make_message (fixture, fresh, "kept", PICKY_DIRECTION_IN, "fresh", now - i));
    }
  ingest (fixture, batch);
  gone = picky_message_get_contact_id (batch->pdata[2]);
  kept = picky_message_get_contact_id (batch->pdata[0]);

  picky_store_purge_with_progress_async (fixture->store, 30, progress_cb, &progress, NULL, NULL,
                                         picky_test_got_result_cb, &result);
  g_assert_cmpint (picky_store_purge_finish (fixture->store, picky_test_wait_result (&result), &error), ==, 50);
  g_assert_no_error (error);
  g_clear_object (&result);
  while (g_main_context_iteration (NULL, FALSE));
  g_assert_cmpuint (progress.calls, >=, 2);
  g_assert_cmpint (progress.done, ==, 50);
  g_assert_cmpint (progress.total, ==, 50);
  g_assert_false (file_contains (fixture->path, "paleolithic"));

  /* A contact left without messages goes; the other stays. */
  picky_store_summarize_erasure_async (fixture->store, gone, NULL, picky_test_got_result_cb, &result);
  g_assert_null (picky_store_summarize_erasure_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_object (&result);
  picky_store_summarize_erasure_async (fixture->store, kept, NULL, picky_test_got_result_cb, &result);
  summary = picky_store_summarize_erasure_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (summary->n_in, ==, 25);

  entries = list_audit (fixture);
  g_assert_cmpuint (entries->len, ==, 1);
  g_assert_cmpstr (picky_audit_entry_get_action (entries->pdata[0]), ==, "purge");
  g_assert_cmpstr (picky_audit_entry_get_object (entries->pdata[0]), ==, "older than 30 days");
  g_assert_cmpstr (picky_audit_entry_get_detail (entries->pdata[0]), ==, "50 messages, 1 contacts");
}

static JsonObject *
load_json (const char *path,
           JsonParser *parser)
{
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_export_contact (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "contact.json", NULL);
  g_autofree char *missing = g_build_filename (fixture->dir, "missing.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 victim = add_victim (fixture, now);
  JsonObject *root, *contact, *photo;
  JsonArray *messages;

  picky_store_export_contact_async (fixture->store, victim, path, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_export_contact_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  root = load_json (path, parser);
  g_assert_cmpstr (json_object_get_string_member (root, "format"), ==, "picky-console-contact-export");
  g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 1);
  contact = json_object_get_object_member (root, "contact");
  g_assert_cmpint (json_object_get_int_member (contact, "id"), ==, victim);
  g_assert_cmpstr (json_object_get_string_member (contact, "app"), ==, "telegram");
  g_assert_cmpstr (json_object_get_string_member (contact, "app_id"), ==, "victim-7");
  g_assert_cmpstr (json_object_get_string_member (contact, "name"), ==, "Quentin Vanishing");
  g_assert_cmpstr (json_object_get_string_member (contact, "number"), ==, "+4915112345678");
  messages = json_object_get_array_member (root, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 102);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "text"), ==,
                   "quixotically zanzibarian 0");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "channel"), ==,
                   "Helpdesk Kanal");
  photo = json_array_get_object_element (messages, 100);
  g_assert_cmpstr (json_object_get_string_member (photo, "kind"), ==, "image");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (photo, "media"), "file_name"), ==,
                   "passport-scan.jpg");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 101), "direction"), ==, "out");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 101), "status"), ==, "queued");
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "Olga"));
  g_assert_null (strstr (contents, "ordinary"));

  picky_store_export_contact_async (fixture->store, 9999, missing, NULL, picky_test_got_result_cb, &result);
  g_assert_false (picky_store_export_contact_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));

  entries = list_audit (fixture);
  g_assert_cmpuint (entries->len, ==, 1);
  g_assert_cmpstr (picky_audit_entry_get_action (entries->pdata[0]), ==, "export-contact");
  g_assert_cmpstr (picky_audit_entry_get_detail (entries->pdata[0]), ==, "102 messages");
}

static char *
pdf_text (const char *path)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "pdftotext", "-layout", path, "-", NULL };
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  return g_steal_pointer (&out);
}

static void
test_disclose_fields (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *json_path = g_build_filename (fixture->dir, "disclosure.json", NULL);
  g_autofree char *pdf_path = g_build_filename (fixture->dir, "disclosure.pdf", NULL);
  g_autoptr(PickyDisclosureRequest) request = NULL;
  g_autoptr(PickyDisclosureRequest) bad = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *text = NULL;
  g_autofree char *flat = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 victim = add_victim (fixture, now);
  const char *detail;

  /* A period without the first 150 seconds of the contact's history. */
  request = picky_disclosure_request_new (victim, PICKY_DISCLOSURE_REQUESTER_AUTHORITY, "AZ 4711/26",
                                          "Court order on fraud", now - 3 * DAY + 150, now,
                                          PICKY_DISCLOSURE_FIELD_NAME | PICKY_DISCLOSURE_FIELD_MESSAGES);
  bad = picky_disclosure_request_copy (request);
  g_clear_pointer (&bad->reason, g_free);
  bad->reason = g_strdup ("  ");
  picky_disclosure_write_async (fixture->store, bad, json_path, pdf_path, NULL, picky_test_got_result_cb, &result);
  g_assert_false (picky_disclosure_write_finish (picky_test_wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_clear_object (&result);
  g_assert_false (g_file_test (json_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (pdf_path, G_FILE_TEST_EXISTS));

  picky_disclosure_write_async (fixture->store, request, json_path, pdf_path, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_disclosure_write_finish (picky_test_wait_result (&result), &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, json, -1);
  text = pdf_text (pdf_path);
  /* pdftotext breaks long lines; the hash is checked without them. */
  flat = g_strjoinv ("", (char *[]) { text, NULL });
  for (char *p = flat, *q = flat;; p++)
    {
      if (*p != '\n' && *p != ' ')
        *q++ = *p;
      if (*p == '\0')
        break;
    }

  /* What was ticked is in both files. */
  g_assert_nonnull (strstr (json, "Quentin Vanishing"));
  g_assert_nonnull (strstr (text, "Quentin Vanishing"));
  g_assert_nonnull (strstr (json, "quixotically zanzibarian 150"));
  g_assert_nonnull (strstr (text, "quixotically zanzibarian 150"));
  g_assert_nonnull (strstr (json, "we will call you back"));
  /* The cover: who, their reference, why, and the JSON's hash. */
  g_assert_nonnull (strstr (text, "AZ 4711/26"));
  g_assert_nonnull (strstr (text, "Court order on fraud"));
  g_assert_nonnull (strstr (text, "An authority"));
  g_assert_nonnull (strstr (flat, hash));

  /* What was not ticked, or is outside the period, is in neither. */
  {
    const char *absent[] = { "4915112345678", "victim-7", "passport-scan", "Helpdesk Kanal", "telegram",
                             "\"time\"", "zanzibarian 147", "Olga", "ordinary" };

    for (guint i = 0; i < G_N_ELEMENTS (absent); i++)
      {
        g_test_message ("looking for %s", absent[i]);
        g_assert_null (strstr (json, absent[i]));
        g_assert_null (strstr (text, absent[i]));
      }
  }

  /* The audit trail has the demand, not the content. */
  entries = list_audit (fixture);
  g_assert_cmpuint (entries->len, ==, 1);
  g_assert_cmpstr (picky_audit_entry_get_action (entries->pdata[0]), ==, "disclose");
  detail = picky_audit_entry_get_detail (entries->pdata[0]);
  g_assert_nonnull (strstr (detail, "requester authority"));
  g_assert_nonnull (strstr (detail, "AZ 4711/26"));
  g_assert_nonnull (strstr (detail, "fields name,messages"));
  g_assert_nonnull (strstr (detail, hash));
  g_assert_null (strstr (detail, "Quentin"));
  g_assert_null (strstr (detail, "zanzibarian"));
}

static void
test_disclose_parse (void)
{
  g_autoptr(GError) error = NULL;
  PickyDisclosureRequester requester;
  g_autofree char *names = NULL;

  g_assert_cmpuint (picky_disclosure_fields_from_string ("name, messages", &error), ==,
                    PICKY_DISCLOSURE_FIELD_NAME | PICKY_DISCLOSURE_FIELD_MESSAGES);
  g_assert_no_error (error);
  g_assert_cmpuint (picky_disclosure_fields_from_string ("name,address", &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "address"));
  g_clear_error (&error);
  g_assert_cmpuint (picky_disclosure_fields_from_string ("", &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  names = picky_disclosure_fields_to_string (PICKY_DISCLOSURE_FIELD_ALL);
  g_assert_cmpstr (names, ==, "name,number,messages,times,media,channel");
  g_assert_true (picky_disclosure_requester_from_string ("fraud-team", &requester));
  g_assert_cmpint (requester, ==, PICKY_DISCLOSURE_REQUESTER_FRAUD_TEAM);
  g_assert_false (picky_disclosure_requester_from_string ("police", &requester));
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/picky/privacy/audit/chain", test_audit_chain);
  ADD ("/picky/privacy/audit/migrate", test_audit_migrate);
  ADD ("/picky/privacy/erase/no-trace", test_erase_no_trace);
  ADD ("/picky/privacy/erase/one-index-table", test_erase_one_index_table);
  ADD ("/picky/privacy/purge/progress", test_purge_progress);
  ADD ("/picky/privacy/export-contact", test_export_contact);
  ADD ("/picky/privacy/disclose/fields", test_disclose_fields);
  g_test_add_func ("/picky/privacy/disclose/parse", test_disclose_parse);
#undef ADD

  return g_test_run ();
}
