/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the message store: ingest, channels, rollups, search, paging, erasure, migrations. */

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "picky-store.h"
#include "picky-store-private.h"
#include "picky-test-util.h"

#define DAY PICKY_STORE_DAY
/* A fixed, recent Monday noon: reports count whole UTC days from here. */
#define T0 ((gint64) 1700000000 / DAY * DAY + 12 * 3600)

typedef struct {
  char *dir;
  char *path;
  PickyCipher *cipher;
  PickyStore *store;
  gint64 channel;
  GPtrArray *emissions;
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
messages_added_cb (PickyStore *store,
                   GPtrArray  *added,
                   Fixture    *fixture)
{
  g_ptr_array_add (fixture->emissions, g_ptr_array_ref (added));
}

static PickyStore *
open_store (const char  *path,
            PickyCipher *cipher,
            GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &result);
  return picky_store_open_finish (picky_test_wait_result (&result), error);
}

static gint64
add_channel (PickyStore *store,
             const char *app,
             const char *name)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  picky_store_add_channel_async (store, app, "bot", name, "{\"poll\":true}", NULL, picky_test_got_result_cb, &result);
  id = picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);

  return id;
}

static void
fixture_reopen (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  if (fixture->store != NULL)
    {
      picky_store_close (fixture->store);
      /* Pending signal emissions hold the store. */
      while (g_main_context_iteration (NULL, FALSE));
      g_assert_finalize_object (fixture->store);
    }
  fixture->store = open_store (fixture->path, fixture->cipher, &error);
  g_assert_no_error (error);
  g_signal_connect (fixture->store, "messages-added", G_CALLBACK (messages_added_cb), fixture);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("picky-store-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "picky-console", "picky-console.db", NULL);
  fixture->cipher = fixtures_cipher ();
  fixture->emissions = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  fixture_reopen (fixture);
  fixture->channel = add_channel (fixture->store, "telegram", "Support bot");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->store != NULL)
    {
      picky_store_close (fixture->store);
      /* Pending signal emissions hold the store. */
      while (g_main_context_iteration (NULL, FALSE));
      g_assert_finalize_object (fixture->store);
    }
  g_assert_finalize_object (fixture->cipher);
  g_ptr_array_unref (fixture->emissions);
  picky_test_remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static PickyMessage *
make_message (gint64          channel,
              const char     *key,
              const char     *contact,
              PickyDirection  direction,
              const char     *text,
              gint64          timestamp)
{
  PickyMessage *message = picky_message_new ();

  picky_message_set_channel_id (message, channel);
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_provider_id (message, contact);
  picky_message_set_direction (message, direction);
  picky_message_set_text (message, text);
  picky_message_set_timestamp (message, timestamp);
  picky_message_set_received (message, timestamp + 1);
  /* Ours as the provider reports a reply sent from elsewhere: gone out. */
  if (direction == PICKY_DIRECTION_OUT)
    picky_message_set_status (message, PICKY_MESSAGE_STATUS_SENT);

  return message;
}

static guint
ingest (Fixture    *fixture,
        GPtrArray  *batch,
        GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &result);
  return picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), error);
}

static guint
ingest_one (Fixture      *fixture,
            PickyMessage *message)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  guint n_new;

  g_ptr_array_add (batch, message);
  n_new = ingest (fixture, batch, &error);
  g_assert_no_error (error);

  return n_new;
}

static GPtrArray *
list_page (Fixture              *fixture,
           const PickyPageQuery *query)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *page;

  picky_store_list_messages_async (fixture->store, query, NULL, picky_test_got_result_cb, &result);
  page = picky_store_list_messages_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return page;
}

static GPtrArray *
search (Fixture              *fixture,
        const char           *words,
        const PickyPageQuery *query)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyPageQuery all = { .direction = -1, .limit = 50 };
  GPtrArray *page;

  picky_store_search_async (fixture->store, words, query != NULL ? query : &all, NULL,
                            picky_test_got_result_cb, &result);
  page = picky_store_search_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return page;
}

static PickyMessage *
find_by_key (Fixture    *fixture,
             const char *key)
{
  PickyPageQuery query = { .direction = -1, .limit = 1000 };
  g_autoptr(GPtrArray) page = list_page (fixture, &query);

  for (guint i = 0; i < page->len; i++)
    if (g_strcmp0 (picky_message_get_provider_key (page->pdata[i]), key) == 0)
      return g_object_ref (page->pdata[i]);

  return NULL;
}

static gint64
count_messages (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 count;

  picky_store_count_messages_async (fixture->store, NULL, picky_test_got_result_cb, &result);
  count = picky_store_count_messages_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return count;
}

static char *
read_file (const char *path,
           gsize      *length)
{
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, length, NULL))
    {
      *length = 0;
      return g_strdup ("");
    }

  return contents;
}

/* Whether @needle occurs in the database file or its log. */
static gboolean
file_contains (const char *path,
               const char *needle)
{
  const char *suffixes[] = { "", "-wal", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *name = g_strconcat (path, suffixes[i], NULL);
      gsize length;
      g_autofree char *contents = read_file (name, &length);

      if (memmem (contents, length, needle, strlen (needle)) != NULL)
        return TRUE;
    }

  return FALSE;
}

static void
test_store_open_files (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  g_autofree char *default_path = picky_store_default_path ();
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  GStatBuf st;

  ingest_one (fixture, make_message (fixture->channel, "k1", "u1", PICKY_DIRECTION_IN, "hi", T0));

  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_true (g_str_has_suffix (default_path, "/picky-console/picky-console.db"));
  g_assert_true (g_str_has_prefix (default_path, g_get_user_data_dir ()));

  g_assert_cmpint (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, PICKY_STORE_SCHEMA_VERSION);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

/* A folder and a file that other users can read, as a copy, a restore from
 * backup or an older build may leave them, are tightened on open; so are
 * the log and index files another connection already made from them. */
static void
test_store_open_loose_modes (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (fixture->path, "-shm", NULL);
  sqlite3 *db = NULL;

  picky_store_close (fixture->store);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (fixture->path, 0644), ==, 0);

  /* A reader that stays open makes the -wal and -shm from the file's mode. */
  g_assert_cmpint (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "SELECT count(*) FROM channels", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpuint (file_mode (wal), ==, 0644);
  g_assert_cmpuint (file_mode (shm), ==, 0644);

  fixture_reopen (fixture);
  ingest_one (fixture, make_message (fixture->channel, "k1", "u1", PICKY_DIRECTION_IN, "hi", T0));

  g_assert_cmpuint (file_mode (dir), ==, 0700);
  g_assert_cmpuint (file_mode (fixture->path), ==, 0600);
  g_assert_cmpuint (file_mode (wal), ==, 0600);
  g_assert_cmpuint (file_mode (shm), ==, 0600);
  sqlite3_close (db);

  /* Files made anew after the tightening inherit the tight mode. */
  picky_store_close (fixture->store);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  fixture_reopen (fixture);
  ingest_one (fixture, make_message (fixture->channel, "k2", "u1", PICKY_DIRECTION_IN, "hi", T0));
  g_assert_cmpuint (file_mode (wal), ==, 0600);
  g_assert_cmpuint (file_mode (shm), ==, 0600);
}

static void
test_store_ingest_duplicate (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) again = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  GPtrArray *added;
  gint64 ids[3];

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *key = g_strdup_printf ("msg-%u", i);

      g_ptr_array_add (batch, make_message (fixture->channel, key, "u1", PICKY_DIRECTION_IN, "hello", T0 + i));
      g_ptr_array_add (again, make_message (fixture->channel, key, "u1", PICKY_DIRECTION_IN, "changed", T0 + i));
    }
  /* The same key twice in one batch is one message. */
  g_ptr_array_add (batch, make_message (fixture->channel, "msg-0", "u1", PICKY_DIRECTION_IN, "dupe", T0));

  g_assert_cmpuint (ingest (fixture, batch, &error), ==, 3);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      ids[i] = picky_message_get_id (batch->pdata[i]);
      g_assert_cmpint (ids[i], >, 0);
      g_assert_true (picky_message_get_is_new (batch->pdata[i]));
      g_assert_cmpint (picky_message_get_contact_id (batch->pdata[i]), >, 0);
      g_assert_cmpstr (picky_message_get_app (batch->pdata[i]), ==, "telegram");
    }
  g_assert_false (picky_message_get_is_new (batch->pdata[3]));
  g_assert_cmpint (picky_message_get_id (batch->pdata[3]), ==, ids[0]);

  /* Redelivered: nothing new, nothing changed, the same ids. */
  g_assert_cmpuint (ingest (fixture, again, &error), ==, 0);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_false (picky_message_get_is_new (again->pdata[i]));
      g_assert_cmpint (picky_message_get_id (again->pdata[i]), ==, ids[i]);
    }
  g_assert_cmpint (count_messages (fixture), ==, 3);

  /* The signal came once, with the three new messages only. */
  while (g_main_context_iteration (NULL, FALSE));
  g_assert_cmpuint (fixture->emissions->len, ==, 1);
  added = fixture->emissions->pdata[0];
  g_assert_cmpuint (added->len, ==, 3);
  g_assert_true (added->pdata[0] == batch->pdata[0]);

  {
    g_autoptr(PickyMessage) stored = find_by_key (fixture, "msg-1");

    g_assert_cmpstr (picky_message_get_text (stored), ==, "hello");
  }

  /* The same key in another channel is another message. */
  {
    gint64 other = add_channel (fixture->store, "whatsapp", "Sales");

    g_assert_cmpuint (ingest_one (fixture, make_message (other, "msg-1", "u1", PICKY_DIRECTION_IN, "x", T0)), ==, 1);
    g_assert_cmpint (count_messages (fixture), ==, 4);
  }
}

static void
ingest_status (Fixture            *fixture,
               const char         *key,
               PickyMessageStatus  status,
               const char         *error_text)
{
  PickyMessage *message = picky_message_new ();

  picky_message_set_op (message, PICKY_MESSAGE_OP_STATUS);
  picky_message_set_channel_id (message, fixture->channel);
  picky_message_set_provider_key (message, key);
  picky_message_set_status (message, status);
  picky_message_set_error (message, error_text);
  g_assert_cmpuint (ingest_one (fixture, message), ==, 0);
}

static PickyMessageStatus
stored_status (Fixture    *fixture,
               const char *key)
{
  g_autoptr(PickyMessage) stored = find_by_key (fixture, key);

  g_assert_nonnull (stored);
  return picky_message_get_status (stored);
}

static void
test_store_ingest_status (Fixture       *fixture,
                          gconstpointer  data)
{
  for (guint i = 0; i < 2; i++)
    {
      PickyMessage *message = make_message (fixture->channel, i == 0 ? "out-1" : "out-2", "u1", PICKY_DIRECTION_OUT,
                                            i == 0 ? "Thanks!" : "Bye", T0 + i);

      picky_message_set_status (message, PICKY_MESSAGE_STATUS_QUEUED);
      ingest_one (fixture, message);
    }
  g_assert_cmpint (stored_status (fixture, "out-1"), ==, PICKY_MESSAGE_STATUS_QUEUED);

  ingest_status (fixture, "out-1", PICKY_MESSAGE_STATUS_SENT, NULL);
  g_assert_cmpint (stored_status (fixture, "out-1"), ==, PICKY_MESSAGE_STATUS_SENT);
  ingest_status (fixture, "out-1", PICKY_MESSAGE_STATUS_READ, NULL);
  g_assert_cmpint (stored_status (fixture, "out-1"), ==, PICKY_MESSAGE_STATUS_READ);

  /* Late and repeated statuses never downgrade read. */
  ingest_status (fixture, "out-1", PICKY_MESSAGE_STATUS_DELIVERED, NULL);
  ingest_status (fixture, "out-1", PICKY_MESSAGE_STATUS_SENT, NULL);
  ingest_status (fixture, "out-1", PICKY_MESSAGE_STATUS_FAILED, "too late");
  g_assert_cmpint (stored_status (fixture, "out-1"), ==, PICKY_MESSAGE_STATUS_READ);

  /* A failure keeps its error text, and ends the message. */
  ingest_status (fixture, "out-2", PICKY_MESSAGE_STATUS_FAILED, "Recipient blocked the bot");
  ingest_status (fixture, "out-2", PICKY_MESSAGE_STATUS_DELIVERED, NULL);
  {
    g_autoptr(PickyMessage) stored = find_by_key (fixture, "out-2");

    g_assert_cmpint (picky_message_get_status (stored), ==, PICKY_MESSAGE_STATUS_FAILED);
    g_assert_cmpstr (picky_message_get_error (stored), ==, "Recipient blocked the bot");
  }

  /* A status for a message never stored changes nothing. */
  ingest_status (fixture, "unknown", PICKY_MESSAGE_STATUS_READ, NULL);
  g_assert_cmpint (count_messages (fixture), ==, 2);
}

static void
test_store_ingest_edit (Fixture       *fixture,
                        gconstpointer  data)
{
  PickyMessage *edit;
  gint64 id;

  ingest_one (fixture, make_message (fixture->channel, "e1", "u1", PICKY_DIRECTION_IN, "original wording", T0));
  {
    g_autoptr(PickyMessage) stored = find_by_key (fixture, "e1");
    id = picky_message_get_id (stored);
  }

  edit = make_message (fixture->channel, "e1", "u1", PICKY_DIRECTION_IN, "corrected wording", T0 + 60);
  picky_message_set_op (edit, PICKY_MESSAGE_OP_EDIT);
  g_object_ref (edit);
  g_assert_cmpuint (ingest_one (fixture, edit), ==, 0);
  g_assert_cmpint (picky_message_get_id (edit), ==, id);
  g_object_unref (edit);

  {
    g_autoptr(PickyMessage) stored = find_by_key (fixture, "e1");
    g_autoptr(GPtrArray) old_hits = search (fixture, "original", NULL);
    g_autoptr(GPtrArray) new_hits = search (fixture, "corrected", NULL);

    g_assert_cmpstr (picky_message_get_text (stored), ==, "corrected wording");
    /* The original time stays: an edit is not a new message. */
    g_assert_cmpint (picky_message_get_timestamp (stored), ==, T0);
    g_assert_cmpuint (old_hits->len, ==, 0);
    g_assert_cmpuint (new_hits->len, ==, 1);
  }

  /* The edit of a message never seen is stored as that message. */
  edit = make_message (fixture->channel, "e2", "u1", PICKY_DIRECTION_IN, "first seen edited", T0 + 5);
  picky_message_set_op (edit, PICKY_MESSAGE_OP_EDIT);
  g_assert_cmpuint (ingest_one (fixture, edit), ==, 1);
  g_assert_cmpint (count_messages (fixture), ==, 2);
}

typedef struct {
  GAsyncResult *result;
} Pending;

static void
test_store_ingest_group (Fixture       *fixture,
                         gconstpointer  data)
{
  Pending pending[40] = { { 0 } };
  guint total_new = 0;
  guint emitted = 0;

  /* Many callers at once, one of them with a bad channel: it fails alone. */
  for (guint b = 0; b < G_N_ELEMENTS (pending); b++)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
      gint64 channel = b == 7 ? 999 : fixture->channel;

      for (guint i = 0; i < 1 + b % 5; i++)
        {
          g_autofree char *key = g_strdup_printf ("g-%u-%u", b, i);
          g_autofree char *contact = g_strdup_printf ("c%u", b % 3);

          g_ptr_array_add (batch, make_message (channel, key, contact, PICKY_DIRECTION_IN, "x", T0 + b));
        }
      picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &pending[b].result);
    }

  for (guint b = 0; b < G_N_ELEMENTS (pending); b++)
    {
      g_autoptr(GError) error = NULL;
      guint n_new = picky_store_ingest_finish (fixture->store, picky_test_wait_result (&pending[b].result), &error);

      if (b == 7)
        g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
      else
        {
          g_assert_no_error (error);
          g_assert_cmpuint (n_new, ==, 1 + b % 5);
        }
      total_new += n_new;
      g_object_unref (pending[b].result);
    }

  while (g_main_context_iteration (NULL, FALSE));
  for (guint i = 0; i < fixture->emissions->len; i++)
    emitted += ((GPtrArray *) fixture->emissions->pdata[i])->len;
  g_assert_cmpuint (fixture->emissions->len, ==, G_N_ELEMENTS (pending) - 1);
  g_assert_cmpuint (emitted, ==, total_new);
  g_assert_cmpint (count_messages (fixture), ==, total_new);

  /* Committed means durable: a fresh connection sees every row. */
  fixture_reopen (fixture);
  g_assert_cmpint (count_messages (fixture), ==, total_new);
}

/* Reads the channel state @key of the fixture's channel. */
static char *
state_of (Fixture    *fixture,
          const char *key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *value;

  picky_store_get_channel_state_async (fixture->store, fixture->channel, key, NULL, picky_test_got_result_cb, &result);
  value = picky_store_get_channel_state_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return value;
}

static void
test_store_channels (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) channels = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *value = NULL;
  gint64 second = add_channel (fixture->store, "whatsapp", "Sales line");
  gint64 id;
  const char *app, *kind, *name, *settings;

  picky_store_update_channel_async (fixture->store, second, "Sales", NULL, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_update_channel_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  picky_store_list_channels_async (fixture->store, NULL, picky_test_got_result_cb, &result);
  channels = picky_store_list_channels_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (channels->len, ==, 2);
  g_assert_true (g_variant_is_of_type (channels->pdata[1], G_VARIANT_TYPE ("(xssss)")));
  g_variant_get (channels->pdata[1], "(x&s&s&s&s)", &id, &app, &kind, &name, &settings);
  g_assert_cmpint (id, ==, second);
  g_assert_cmpstr (app, ==, "whatsapp");
  g_assert_cmpstr (kind, ==, "bot");
  g_assert_cmpstr (name, ==, "Sales");
  g_assert_cmpstr (settings, ==, "{\"poll\":true}");
  g_clear_pointer (&channels, g_ptr_array_unref);

  /* State alone, and together with a batch in one transaction. */
  picky_store_set_channel_state_async (fixture->store, fixture->channel, "offset", "100", NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_set_channel_state_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  g_ptr_array_add (batch, make_message (fixture->channel, "s1", "u1", PICKY_DIRECTION_IN, "x", T0));
  picky_store_ingest_with_state_async (fixture->store, batch, fixture->channel, "offset", "101",
                                       NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error), ==, 1);
  g_assert_no_error (error);
  g_clear_object (&result);

  /* A batch that fails leaves the offset where it was. */
  g_ptr_array_add (batch, make_message (999, "s2", "u1", PICKY_DIRECTION_IN, "x", T0));
  picky_store_ingest_with_state_async (fixture->store, batch, fixture->channel, "offset", "102",
                                       NULL, picky_test_got_result_cb, &result);
  picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_object (&result);

  fixture_reopen (fixture);
  value = state_of (fixture, "offset");
  g_assert_cmpstr (value, ==, "101");
  g_clear_pointer (&value, g_free);

  value = state_of (fixture, "missing");
  g_assert_null (value);

  /* Removed: gone from the list, refuses messages, keeps its history. */
  picky_store_remove_channel_async (fixture->store, fixture->channel, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_remove_channel_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  picky_store_list_channels_async (fixture->store, NULL, picky_test_got_result_cb, &result);
  channels = picky_store_list_channels_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_clear_object (&result);
  g_assert_cmpuint (channels->len, ==, 1);
  g_assert_cmpint (count_messages (fixture), ==, 1);

  g_ptr_array_set_size (batch, 0);
  g_ptr_array_add (batch, make_message (fixture->channel, "s3", "u1", PICKY_DIRECTION_IN, "x", T0));
  ingest (fixture, batch, &error);
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  picky_store_update_channel_async (fixture->store, 12345, "x", NULL, NULL, picky_test_got_result_cb, &result);
  g_assert_false (picky_store_update_channel_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
}

static gint64
channel_last_in (PickyStore *store,
                 gint64      channel)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 last;

  picky_store_get_channel_last_message_async (store, channel, NULL, picky_test_got_result_cb, &result);
  last = picky_store_get_channel_last_message_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return last;
}

static GStrv
message_apps (PickyStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GStrv apps;

  picky_store_list_message_apps_async (store, NULL, picky_test_got_result_cb, &result);
  apps = picky_store_list_message_apps_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return apps;
}

/* A channel's newest customer message by its own time (not a reply, not a
 * late older one), also after a restart; the apps with messages, also
 * through a removed channel, and none for a channel without any. */
static void
test_store_channel_last_in (Fixture       *fixture,
                            gconstpointer  data)
{
  gint64 whatsapp = add_channel (fixture->store, "whatsapp", "Sales");
  gint64 viber = add_channel (fixture->store, "viber", "Quiet");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) apps = NULL;

  g_assert_cmpint (channel_last_in (fixture->store, fixture->channel), ==, 0);
  apps = message_apps (fixture->store);
  g_assert_cmpuint (g_strv_length (apps), ==, 0);
  g_clear_pointer (&apps, g_strfreev);

  ingest_one (fixture, make_message (fixture->channel, "t1", "u1", PICKY_DIRECTION_IN, "hi", T0 + 100));
  ingest_one (fixture, make_message (fixture->channel, "t2", "u1", PICKY_DIRECTION_OUT, "hello", T0 + 200));
  ingest_one (fixture, make_message (fixture->channel, "t3", "u2", PICKY_DIRECTION_IN, "late", T0 + 50));
  ingest_one (fixture, make_message (whatsapp, "w1", "u3", PICKY_DIRECTION_IN, "ola", T0 + 300));
  g_assert_cmpint (channel_last_in (fixture->store, fixture->channel), ==, T0 + 100);
  g_assert_cmpint (channel_last_in (fixture->store, whatsapp), ==, T0 + 300);
  g_assert_cmpint (channel_last_in (fixture->store, viber), ==, 0);

  picky_store_remove_channel_async (fixture->store, whatsapp, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_remove_channel_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  fixture_reopen (fixture);

  g_assert_cmpint (channel_last_in (fixture->store, fixture->channel), ==, T0 + 100);
  apps = message_apps (fixture->store);
  g_assert_cmpuint (g_strv_length (apps), ==, 2);
  g_assert_cmpstr (apps[0], ==, "telegram");
  g_assert_cmpstr (apps[1], ==, "whatsapp");
}

static void
test_store_encryption (Fixture       *fixture,
                       gconstpointer  data)
{
  PickyMessage *message = make_message (fixture->channel, "p1", "user-77", PICKY_DIRECTION_IN,
                                        "plain text stays", T0);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  PickyPageQuery query = { .direction = -1, .limit = 10 };
  const char *name, *phone;

  picky_message_set_contact_name (message, "Zebediah Quuxworth");
  picky_message_set_contact_phone (message, "+49 30 5550123");
  ingest_one (fixture, message);

  /* Read back decrypted. */
  {
    g_autoptr(GPtrArray) page = list_page (fixture, &query);

    g_assert_cmpuint (page->len, ==, 1);
    g_assert_cmpstr (picky_message_get_contact_name (page->pdata[0]), ==, "Zebediah Quuxworth");
  }

  /* Found by phone in another spelling, through the keyed hash. */
  picky_store_list_contacts_async (fixture->store, NULL, "+4930 555-0123", 0, 10, NULL, picky_test_got_result_cb, &result);
  contacts = picky_store_list_contacts_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (contacts->len, ==, 1);
  g_variant_get (contacts->pdata[0], "(x&s&s&s&s)", NULL, NULL, NULL, &name, &phone);
  g_assert_cmpstr (name, ==, "Zebediah Quuxworth");
  g_assert_cmpstr (phone, ==, "+49 30 5550123");

  /* A new name replaces the old one. */
  message = make_message (fixture->channel, "p2", "user-77", PICKY_DIRECTION_IN, "again", T0 + 1);
  picky_message_set_contact_name (message, "Zeb Q.");
  ingest_one (fixture, message);

  fixture_reopen (fixture);
  {
    g_autoptr(GPtrArray) page = list_page (fixture, &query);

    g_assert_cmpuint (page->len, ==, 2);
    g_assert_cmpstr (picky_message_get_contact_name (page->pdata[0]), ==, "Zeb Q.");
    g_assert_cmpstr (picky_message_get_contact_phone (page->pdata[0]), ==, "+49 30 5550123");
  }

  picky_store_close (fixture->store);
  g_assert_false (file_contains (fixture->path, "Zebediah"));
  g_assert_false (file_contains (fixture->path, "Zeb Q."));
  g_assert_false (file_contains (fixture->path, "5550123"));
  /* The scan itself works: message text is plain by design. */
  g_assert_true (file_contains (fixture->path, "plain text stays"));
}

static void
test_store_encryption_wrong_key (Fixture       *fixture,
                                 gconstpointer  data)
{
  guint8 raw[PICKY_CIPHER_KEY_SIZE] = { 9 };
  g_autoptr(GBytes) key = g_bytes_new (raw, sizeof raw);
  g_autoptr(PickyCipher) other = picky_cipher_new (key, NULL);
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyMessage *message = make_message (fixture->channel, "w1", "user-1", PICKY_DIRECTION_IN, "x", T0);

  picky_message_set_contact_name (message, "Ada");
  ingest_one (fixture, message);
  picky_store_close (fixture->store);
  g_clear_object (&fixture->store);

  /* With another key the contact cannot be read, and nothing is written
   * that would mix two keys. */
  store = open_store (fixture->path, other, &error);
  g_assert_no_error (error);
  g_ptr_array_add (batch, make_message (fixture->channel, "w2", "user-1", PICKY_DIRECTION_IN, "y", T0 + 1));
  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  picky_store_ingest_finish (store, picky_test_wait_result (&result), &error);
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CORRUPT);
  picky_store_close (store);
}

static void
test_store_rollups (Fixture       *fixture,
                    gconstpointer  data)
{
  enum { N_CONTACTS = 12, N_DAYS = 20, N_MESSAGES = 1500 };
  guint n_in[N_CONTACTS][N_DAYS] = { { 0 } };
  guint n_out[N_CONTACTS][N_DAYS] = { { 0 } };
  gint64 resp_sum[N_CONTACTS] = { 0 };
  guint resp_count[N_CONTACTS] = { 0 };
  gint64 pending[N_CONTACTS];
  guint total_in = 0, total_out = 0;
  gint64 contact_ids[N_CONTACTS] = { 0 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  gint64 t = T0;

  for (guint c = 0; c < N_CONTACTS; c++)
    pending[c] = -1;

  /* Brute force alongside: the expected counts are computed here from the
   * very messages ingested, in time order. */
  for (guint i = 0; i < N_MESSAGES; i++)
    {
      guint c = g_rand_int_range (rand, 0, N_CONTACTS);
      gboolean in = g_rand_boolean (rand);
      g_autofree char *key = g_strdup_printf ("r%u", i);
      g_autofree char *contact = g_strdup_printf ("contact-%u", c);
      guint day;

      t += g_rand_int_range (rand, 1, (N_DAYS - 1) * DAY / N_MESSAGES);
      day = (t - T0 / DAY * DAY) / DAY;
      g_assert_cmpuint (day, <, N_DAYS);
      if (in)
        {
          n_in[c][day]++;
          total_in++;
          if (pending[c] < 0)
            pending[c] = t;
        }
      else
        {
          n_out[c][day]++;
          total_out++;
          if (pending[c] >= 0)
            {
              resp_sum[c] += t - pending[c];
              resp_count[c]++;
              pending[c] = -1;
            }
        }
      g_ptr_array_add (batch, make_message (fixture->channel, key, contact,
                                            in ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT, "m", t));
      /* A reaction is stored but not counted. */
      if (i % 50 == 0)
        {
          g_autofree char *rkey = g_strdup_printf ("react%u", i);
          PickyMessage *reaction = make_message (fixture->channel, rkey, contact, PICKY_DIRECTION_IN, "👍", t);

          picky_message_set_kind (reaction, PICKY_MESSAGE_KIND_REACTION);
          picky_message_set_related_key (reaction, key);
          g_ptr_array_add (batch, reaction);
        }

      if (batch->len >= 37 || i == N_MESSAGES - 1)
        {
          ingest (fixture, batch, &error);
          g_assert_no_error (error);
          for (guint j = 0; j < batch->len; j++)
            {
              const char *pid = picky_message_get_contact_provider_id (batch->pdata[j]);
              contact_ids[atoi (pid + strlen ("contact-"))] = picky_message_get_contact_id (batch->pdata[j]);
            }
          g_ptr_array_set_size (batch, 0);
        }
    }

  for (guint c = 0; c < N_CONTACTS; c++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GArray) days = NULL;
      PickyReportDay total;
      guint want_in = 0, want_out = 0;

      picky_store_report_contact_async (fixture->store, contact_ids[c], T0 - DAY, T0 + N_DAYS * DAY,
                                        NULL, picky_test_got_result_cb, &result);
      days = picky_store_report_contact_finish (fixture->store, picky_test_wait_result (&result), &error);
      g_assert_no_error (error);

      for (guint i = 0; i < days->len; i++)
        {
          PickyReportDay *day = &g_array_index (days, PickyReportDay, i);
          guint d = day->day - T0 / DAY;

          g_assert_cmpuint (day->n_in, ==, n_in[c][d]);
          g_assert_cmpuint (day->n_out, ==, n_out[c][d]);
          g_assert_cmpint (floor (day->first_timestamp / (double) DAY), ==, day->day);
        }
      for (guint d = 0; d < N_DAYS; d++)
        {
          want_in += n_in[c][d];
          want_out += n_out[c][d];
        }

      picky_store_report_sum (days, &total);
      g_assert_cmpuint (total.n_in, ==, want_in);
      g_assert_cmpuint (total.n_out, ==, want_out);
      g_assert_cmpint (total.response_sum, ==, resp_sum[c]);
      g_assert_cmpuint (total.response_count, ==, resp_count[c]);
      {
        guint hist_total = 0;

        for (guint b = 0; b < PICKY_STORE_RESPONSE_BUCKETS; b++)
          hist_total += total.response_histogram[b];
        g_assert_cmpuint (hist_total, ==, resp_count[c]);
      }
      if (resp_count[c] > 0)
        g_assert_cmpint (picky_store_report_response_percentile (&total, 0.5), >, 0);
    }

  /* Overall, all apps and this app; a window of one day. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GArray) days = NULL;
    PickyReportDay total;
    guint day3_in = 0;

    picky_store_report_overall_async (fixture->store, NULL, T0 - DAY, T0 + N_DAYS * DAY,
                                      NULL, picky_test_got_result_cb, &result);
    days = picky_store_report_overall_finish (fixture->store, picky_test_wait_result (&result), &error);
    g_assert_no_error (error);
    picky_store_report_sum (days, &total);
    g_assert_cmpuint (total.n_in, ==, total_in);
    g_assert_cmpuint (total.n_out, ==, total_out);
    g_clear_object (&result);
    g_clear_pointer (&days, g_array_unref);

    for (guint c = 0; c < N_CONTACTS; c++)
      day3_in += n_in[c][3];
    picky_store_report_overall_async (fixture->store, "telegram", T0 / DAY * DAY + 3 * DAY,
                                      T0 / DAY * DAY + 4 * DAY, NULL, picky_test_got_result_cb, &result);
    days = picky_store_report_overall_finish (fixture->store, picky_test_wait_result (&result), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (days->len, ==, 1);
    g_assert_cmpuint (g_array_index (days, PickyReportDay, 0).n_in, ==, day3_in);
    g_clear_object (&result);
    g_clear_pointer (&days, g_array_unref);

    picky_store_report_overall_async (fixture->store, "whatsapp", T0 - DAY, T0 + N_DAYS * DAY,
                                      NULL, picky_test_got_result_cb, &result);
    days = picky_store_report_overall_finish (fixture->store, picky_test_wait_result (&result), &error);
    g_assert_cmpuint (days->len, ==, 0);
  }
}

static void
test_store_search_scripts (Fixture       *fixture,
                           gconstpointer  data)
{
  const struct {
    const char *text;
    const char *query;
  } cases[] = {
    { "Le café est très bon aujourd’hui", "cafe" },
    { "Grüße aus München", "grüße münchen" },
    { "नमस्ते, मेरा ऑर्डर कहाँ है?", "ऑर्डर" },
    { "مرحبا، أين طلبي؟", "طلبي" },
    { "Order arrived 🎉 thanks", "🎉" },
    { "Сколько стоит доставка?", "доставка" },
  };
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *key = g_strdup_printf ("f%u", i);

      g_ptr_array_add (batch, make_message (fixture->channel, key, "u1", PICKY_DIRECTION_IN,
                                            cases[i].text, T0 + i));
    }
  ingest (fixture, batch, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) hits = search (fixture, cases[i].query, NULL);

      g_assert_cmpuint (hits->len, ==, 1);
      g_assert_cmpstr (picky_message_get_text (hits->pdata[0]), ==, cases[i].text);
    }

  /* No match, and FTS syntax in the input is taken literally. */
  {
    g_autoptr(GPtrArray) none = search (fixture, "nonexistentword", NULL);
    g_autoptr(GPtrArray) syntax = search (fixture, "\"café* OR NEAR(", NULL);
    g_autoptr(GPtrArray) empty = search (fixture, "   ", NULL);

    g_assert_cmpuint (none->len, ==, 0);
    g_assert_cmpuint (syntax->len, ==, 0);
    g_assert_cmpuint (empty->len, ==, 0);
  }

  /* Newest first, paged with before_id, and captions count as text. */
  g_ptr_array_set_size (batch, 0);
  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *key = g_strdup_printf ("cap%u", i);
      PickyMessage *photo = make_message (fixture->channel, key, "u2", PICKY_DIRECTION_IN,
                                          "invoice photo", T0 + 100 + i);

      picky_message_set_kind (photo, PICKY_MESSAGE_KIND_IMAGE);
      picky_message_set_media (photo, "{\"mime\":\"image/jpeg\"}");
      g_ptr_array_add (batch, photo);
    }
  ingest (fixture, batch, &error);
  g_assert_no_error (error);
  {
    PickyPageQuery page = { .direction = -1, .limit = 4 };
    g_autoptr(GPtrArray) first = search (fixture, "invoice", &page);
    g_autoptr(GPtrArray) second = NULL;

    g_assert_cmpuint (first->len, ==, 4);
    g_assert_cmpstr (picky_message_get_provider_key (first->pdata[0]), ==, "cap6");
    page.before_id = picky_message_get_id (first->pdata[3]);
    second = search (fixture, "invoice", &page);
    g_assert_cmpuint (second->len, ==, 3);
    g_assert_cmpstr (picky_message_get_provider_key (second->pdata[2]), ==, "cap0");
    g_assert_cmpint (picky_message_get_kind (second->pdata[2]), ==, PICKY_MESSAGE_KIND_IMAGE);
  }
}

static void
collect_pages (Fixture        *fixture,
               PickyPageQuery *query,
               GPtrArray      *all)
{
  for (;;)
    {
      g_autoptr(GPtrArray) page = list_page (fixture, query);
      PickyMessage *last;

      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (all, g_object_ref (page->pdata[i]));
      if (page->len < query->limit)
        break;
      last = page->pdata[page->len - 1];
      query->before_timestamp = picky_message_get_timestamp (last);
      query->before_id = picky_message_get_id (last);
    }
}

static void
test_store_page_ties (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  PickyPageQuery query = { .direction = -1, .limit = 4 };
  guint n_in_u1 = 0;

  /* 31 messages on 5 timestamps, inserted out of order. */
  for (guint i = 0; i < 31; i++)
    {
      g_autofree char *key = g_strdup_printf ("t%u", i);
      gboolean in = i % 3 != 0;
      const char *contact = i % 2 ? "u1" : "u2";

      if (in && i % 2)
        n_in_u1++;
      g_ptr_array_add (batch, make_message (fixture->channel, key, contact,
                                            in ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT,
                                            "tie", T0 + (i * 7) % 5));
    }
  ingest (fixture, batch, &error);
  g_assert_no_error (error);

  collect_pages (fixture, &query, all);
  g_assert_cmpuint (all->len, ==, 31);
  for (guint i = 0; i < all->len; i++)
    {
      PickyMessage *m = all->pdata[i];

      gint64 *id = g_new (gint64, 1);

      *id = picky_message_get_id (m);
      g_assert_false (g_hash_table_contains (seen, id));
      g_hash_table_add (seen, id);
      if (i > 0)
        {
          PickyMessage *prev = all->pdata[i - 1];
          gboolean older = picky_message_get_timestamp (m) < picky_message_get_timestamp (prev) ||
                           (picky_message_get_timestamp (m) == picky_message_get_timestamp (prev) &&
                            picky_message_get_id (m) < picky_message_get_id (prev));

          g_assert_true (older);
        }
    }

  /* Filtered: one contact's incoming messages only. */
  g_ptr_array_set_size (all, 0);
  {
    PickyPageQuery filtered = { .direction = PICKY_DIRECTION_IN, .limit = 2,
                                .contact_id = picky_message_get_contact_id (batch->pdata[1]),
                                .channel_id = fixture->channel,
                                .apps = (const char *[]) { "telegram", NULL } };

    collect_pages (fixture, &filtered, all);
  }
  g_assert_cmpuint (all->len, ==, n_in_u1);
  for (guint i = 0; i < all->len; i++)
    {
      g_assert_cmpint (picky_message_get_direction (all->pdata[i]), ==, PICKY_DIRECTION_IN);
      g_assert_cmpstr (picky_message_get_contact_provider_id (all->pdata[i]), ==, "u1");
    }

  {
    PickyPageQuery other_app = { .direction = -1, .limit = 10,
                                 .apps = (const char *[]) { "whatsapp", "viber", NULL } };
    g_autoptr(GPtrArray) none = list_page (fixture, &other_app);

    g_assert_cmpuint (none->len, ==, 0);
  }
}

/* Live traffic commits one webhook at a time. The log's pages must still
 * reach the database file while the store stays open and writing (they are
 * copied on a connection of their own), and the log must stay bounded. */
static void
test_store_checkpoint (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  GStatBuf st;
  goffset db_before;

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  db_before = st.st_size;

  /* Long texts, so that a few hundred commits pass the ten thousand log
   * pages after which a checkpoint is asked for. */
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *key = g_strdup_printf ("c%u", i);
      g_autofree char *contact = g_strdup_printf ("user-%u", i % 100);
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint w = 0; text->len < 60000; w++)
        g_string_append_printf (text, "word%u-%u ", i, w);
      g_assert_cmpuint (ingest_one (fixture, make_message (fixture->channel, key, contact, PICKY_DIRECTION_IN,
                                                            text->str, T0 + i)), ==, 1);
    }

  /* Copying runs beside the writes: wait for it a little. */
  for (guint tries = 0; tries < 200; tries++)
    {
      g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
      if (st.st_size > db_before + 512 * 1024)
        break;
      g_usleep (50 * G_TIME_SPAN_MILLISECOND);
    }
  g_assert_cmpint (st.st_size, >, db_before + 512 * 1024);
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_size, <, 80 * 1024 * 1024);

  /* Closing copies the rest: another program reads every message. */
  fixture_reopen (fixture);
  g_assert_cmpint (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count (*) FROM messages", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 300);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static char *query_text (const char *path,
                         const char *sql);

/* The count of messages stored but not yet in the search index. */
static gint64
count_unindexed (Fixture *fixture)
{
  g_autofree char *count = query_text (fixture->path, "SELECT count (*) FROM messages_unindexed");

  return g_ascii_strtoll (count, NULL, 10);
}

/* New messages are indexed for search in batches: until then they are
 * listed as unindexed, and a search indexes them before it looks; a batch
 * of 500 is indexed as soon as it is stored, a few once nothing else has
 * come for a while. */
static void
test_store_index_deferred (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  gint64 saved = picky_store_index_idle_us;
  gint64 deadline;

  picky_store_index_idle_us = (gint64) G_USEC_PER_SEC * 3600;
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *key = g_strdup_printf ("d%u", i);

      ingest_one (fixture, make_message (fixture->channel, key, "u1", PICKY_DIRECTION_IN, "deferred words", T0 + i));
    }
  g_assert_cmpint (count_unindexed (fixture), ==, 3);
  {
    g_autoptr(GPtrArray) hits = search (fixture, "deferred", NULL);

    g_assert_cmpuint (hits->len, ==, 3);
  }
  g_assert_cmpint (count_unindexed (fixture), ==, 0);

  for (guint i = 0; i < 500; i++)
    {
      g_autofree char *key = g_strdup_printf ("b%u", i);
      g_autofree char *contact = g_strdup_printf ("u%u", i % 40);

      g_ptr_array_add (batch, make_message (fixture->channel, key, contact, PICKY_DIRECTION_IN, "batched", T0 + i));
    }
  g_assert_cmpuint (ingest (fixture, batch, &error), ==, 500);
  g_assert_no_error (error);
  /* A job after the batch runs once the worker is done with it. */
  g_assert_cmpint (count_messages (fixture), ==, 503);
  g_assert_cmpint (count_unindexed (fixture), ==, 0);

  picky_store_index_idle_us = 10 * 1000;
  ingest_one (fixture, make_message (fixture->channel, "idle", "u1", PICKY_DIRECTION_IN, "quiet", T0 + 600));
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (count_unindexed (fixture) > 0 && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  g_assert_cmpint (count_unindexed (fixture), ==, 0);
  picky_store_index_idle_us = saved;
}

/* A message edited or erased before it was indexed leaves the index as it
 * should be: its old words not found, its new ones found, an erased
 * contact's not at all, and every index table consistent with its
 * messages. */
static void
test_store_index_unindexed_changes (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 saved = picky_store_index_idle_us;
  PickyMessage *edit;
  sqlite3 *db = NULL;
  gint64 erased;

  picky_store_index_idle_us = (gint64) G_USEC_PER_SEC * 3600;
  g_ptr_array_add (batch, make_message (fixture->channel, "a1", "u1", PICKY_DIRECTION_IN, "alpha words", T0));
  g_ptr_array_add (batch, make_message (fixture->channel, "b1", "u2", PICKY_DIRECTION_IN, "bravo words", T0 + 1));
  g_ptr_array_add (batch, make_message (fixture->channel, "b2", "u2", PICKY_DIRECTION_IN, "bravo again", T0 + 2));
  g_assert_cmpuint (ingest (fixture, batch, &error), ==, 3);
  g_assert_no_error (error);
  erased = picky_message_get_contact_id (batch->pdata[1]);

  edit = make_message (fixture->channel, "a1", "u1", PICKY_DIRECTION_IN, "charlie words", T0);
  picky_message_set_op (edit, PICKY_MESSAGE_OP_EDIT);
  ingest_one (fixture, edit);
  g_assert_cmpint (count_unindexed (fixture), ==, 3);

  picky_store_erase_contact_async (fixture->store, erased, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_erase_contact_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);

  {
    g_autoptr(GPtrArray) old_hits = search (fixture, "alpha", NULL);
    g_autoptr(GPtrArray) new_hits = search (fixture, "charlie", NULL);
    g_autoptr(GPtrArray) erased_hits = search (fixture, "bravo", NULL);

    g_assert_cmpuint (old_hits->len, ==, 0);
    g_assert_cmpuint (new_hits->len, ==, 1);
    g_assert_cmpuint (erased_hits->len, ==, 0);
  }
  g_assert_cmpint (count_unindexed (fixture), ==, 0);

  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  picky_test_assert_index_consistent (db);
  sqlite3_close (db);
  picky_store_index_idle_us = saved;
}

/* A file layer over the system's that, once armed, holds the first
 * connection to take the checkpoint lock of a log (the second of its
 * shared-memory locks) until released: another console's checkpoint under
 * way, for as long as the test wants. */
static sqlite3_vfs *held_real_vfs;
static sqlite3_vfs held_vfs;
static sqlite3_io_methods held_methods;
static GMutex held_lock;
static GCond held_cond;
static gboolean held_armed, held_inside, held_release;

typedef struct {
  sqlite3_file base;
  sqlite3_file *real;
} HeldFile;

static int
held_shm_lock (sqlite3_file *file,
               int           offset,
               int           n,
               int           flags)
{
  HeldFile *self = (HeldFile *) file;
  int rc = self->real->pMethods->xShmLock (self->real, offset, n, flags);

  if (rc == SQLITE_OK && offset == 1 && (flags & SQLITE_SHM_LOCK) && (flags & SQLITE_SHM_EXCLUSIVE))
    {
      g_mutex_lock (&held_lock);
      if (held_armed)
        {
          held_armed = FALSE;
          held_inside = TRUE;
          g_cond_broadcast (&held_cond);
          while (!held_release)
            g_cond_wait (&held_cond, &held_lock);
        }
      g_mutex_unlock (&held_lock);
    }

  return rc;
}

#define HELD_PASS(name, ...) self->real->pMethods->name (self->real, ## __VA_ARGS__)

static int held_close (sqlite3_file *f) { HeldFile *self = (HeldFile *) f; int rc = HELD_PASS (xClose); g_free (self->real); return rc; }
static int held_read (sqlite3_file *f, void *b, int n, sqlite3_int64 o) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xRead, b, n, o); }
static int held_write (sqlite3_file *f, const void *b, int n, sqlite3_int64 o) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xWrite, b, n, o); }
static int held_truncate (sqlite3_file *f, sqlite3_int64 n) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xTruncate, n); }
static int held_file_sync (sqlite3_file *f, int flags) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xSync, flags); }
static int held_size (sqlite3_file *f, sqlite3_int64 *n) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xFileSize, n); }
static int held_flock (sqlite3_file *f, int l) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xLock, l); }
static int held_funlock (sqlite3_file *f, int l) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xUnlock, l); }
static int held_reserved (sqlite3_file *f, int *r) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xCheckReservedLock, r); }
static int held_control (sqlite3_file *f, int op, void *a) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xFileControl, op, a); }
static int held_sector (sqlite3_file *f) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xSectorSize); }
static int held_device (sqlite3_file *f) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xDeviceCharacteristics); }
static int held_shm_map (sqlite3_file *f, int r, int sz, int e, void volatile **p) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xShmMap, r, sz, e, p); }
static void held_shm_barrier (sqlite3_file *f) { HeldFile *self = (HeldFile *) f; HELD_PASS (xShmBarrier); }
static int held_shm_unmap (sqlite3_file *f, int d) { HeldFile *self = (HeldFile *) f; return HELD_PASS (xShmUnmap, d); }

static int
held_open (sqlite3_vfs  *vfs,
           const char   *name,
           sqlite3_file *file,
           int           flags,
           int          *out_flags)
{
  HeldFile *self = (HeldFile *) file;
  int rc;

  self->real = g_malloc0 (held_real_vfs->szOsFile);
  rc = held_real_vfs->xOpen (held_real_vfs, name, self->real, flags, out_flags);
  if (rc != SQLITE_OK || self->real->pMethods == NULL)
    {
      g_free (self->real);
      self->base.pMethods = NULL;
      return rc;
    }
  held_methods = (sqlite3_io_methods) {
    .iVersion = 2, .xClose = held_close, .xRead = held_read, .xWrite = held_write,
    .xTruncate = held_truncate, .xSync = held_file_sync, .xFileSize = held_size, .xLock = held_flock,
    .xUnlock = held_funlock, .xCheckReservedLock = held_reserved, .xFileControl = held_control,
    .xSectorSize = held_sector, .xDeviceCharacteristics = held_device, .xShmMap = held_shm_map,
    .xShmLock = held_shm_lock, .xShmBarrier = held_shm_barrier, .xShmUnmap = held_shm_unmap,
  };
  self->base.pMethods = &held_methods;

  return rc;
}

static gpointer
held_checkpoint_thread (gpointer data)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (data, &db, SQLITE_OPEN_READWRITE, "picky-test-held"), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "SELECT count (*) FROM sqlite_schema", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  sqlite3_close (db);

  return NULL;
}

static guint held_timeout;

static gboolean
release_held_cb (gpointer data)
{
  held_timeout = 0;
  g_mutex_lock (&held_lock);
  held_release = TRUE;
  g_cond_broadcast (&held_cond);
  g_mutex_unlock (&held_lock);

  return G_SOURCE_REMOVE;
}

/* An erasure while another checkpoint of the log is under way (the
 * checkpointer's, after a burst) still leaves none of the contact's words
 * in the file or its log: SQLite answers its own checkpoint as busy at
 * once, and the erasure asks again until that one is done. */
static void
test_store_erase_busy_log (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;
  gint64 victim;

  held_real_vfs = sqlite3_vfs_find (NULL);
  held_vfs = *held_real_vfs;
  held_vfs.zName = "picky-test-held";
  held_vfs.szOsFile = sizeof (HeldFile);
  held_vfs.xOpen = held_open;
  g_assert_cmpint (sqlite3_vfs_register (&held_vfs, 0), ==, SQLITE_OK);

  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *key = g_strdup_printf ("busy-%u", i);
      g_autofree char *text = g_strdup_printf ("quokkaesque question %u", i);

      g_ptr_array_add (batch, make_message (fixture->channel, key, "erasee", PICKY_DIRECTION_IN, text, T0 + i));
    }
  g_assert_cmpuint (ingest (fixture, batch, &error), ==, 50);
  g_assert_no_error (error);
  victim = picky_message_get_contact_id (batch->pdata[0]);
  g_ptr_array_unref (search (fixture, "quokkaesque", NULL));

  held_armed = TRUE;
  held_inside = FALSE;
  held_release = FALSE;
  thread = g_thread_new ("held-checkpoint", held_checkpoint_thread, fixture->path);
  g_mutex_lock (&held_lock);
  while (!held_inside)
    g_cond_wait (&held_cond, &held_lock);
  g_mutex_unlock (&held_lock);

  held_timeout = g_timeout_add (300, release_held_cb, NULL);
  picky_store_erase_contact_async (fixture->store, victim, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_erase_contact_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  /* An erasure that did not wait is back before the release. */
  g_clear_handle_id (&held_timeout, g_source_remove);
  release_held_cb (NULL);
  g_thread_join (thread);
  sqlite3_vfs_unregister (&held_vfs);

  g_assert_false (file_contains (fixture->path, "quokkaesque"));
}

/* Under steady webhooks the log is seldom started over, so it stays longer
 * than the thousand pages after which a checkpoint is asked for; one is
 * still asked for only after a thousand new pages, not after every commit
 * (each of which then copied the pages every commit rewrites again). */
static void
test_store_checkpoint_new_pages (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  gint taken = g_atomic_int_get (&picky_store_checkpoints_taken);
  GStatBuf st;
  guint n_frames;

  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *key = g_strdup_printf ("n%u", i);
      g_autofree char *contact = g_strdup_printf ("new-%u", i);

      g_assert_cmpuint (ingest_one (fixture, make_message (fixture->channel, key, contact, PICKY_DIRECTION_IN,
                                                            "hello again", T0 + i)), ==, 1);
    }
  /* The last request may still be under way. */
  picky_test_spin (300);

  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  n_frames = st.st_size / (4096 + 24);
  g_test_message ("%d checkpoints for 400 commits, a log of %u pages",
                  g_atomic_int_get (&picky_store_checkpoints_taken) - taken, n_frames);
  g_assert_cmpuint (n_frames, >, 2000);
  g_assert_cmpint (g_atomic_int_get (&picky_store_checkpoints_taken) - taken, >=, 1);
  g_assert_cmpint (g_atomic_int_get (&picky_store_checkpoints_taken) - taken, <=, 40);
}

static void
test_store_erase (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 victim;

  /* Enough rows that the index spans several pages. */
  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *key = g_strdup_printf ("x%u", i);
      gboolean secret = i % 4 == 0;
      g_autofree char *text = g_strdup_printf (secret ? "xylophonic grapefruit %u" : "ordinary question %u", i);
      PickyMessage *message = make_message (fixture->channel, key, secret ? "victim" : "other",
                                            PICKY_DIRECTION_IN, text, T0 + i);

      picky_message_set_contact_name (message, secret ? "Quentin Erasable" : "Olga Other");
      g_ptr_array_add (batch, message);
    }
  ingest (fixture, batch, &error);
  g_assert_no_error (error);
  victim = picky_message_get_contact_id (batch->pdata[0]);
  g_assert_true (file_contains (fixture->path, "xylophonic"));

  picky_store_erase_contact_async (fixture->store, victim, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_erase_contact_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  g_assert_cmpint (count_messages (fixture), ==, 300);
  {
    g_autoptr(GPtrArray) hits = search (fixture, "xylophonic", NULL);
    g_autoptr(GPtrArray) kept = search (fixture, "ordinary", NULL);

    g_assert_cmpuint (hits->len, ==, 0);
    g_assert_cmpuint (kept->len, ==, 50);
  }
  picky_store_report_contact_async (fixture->store, victim, T0 - DAY, T0 + DAY, NULL, picky_test_got_result_cb, &result);
  {
    g_autoptr(GArray) days = picky_store_report_contact_finish (fixture->store, picky_test_wait_result (&result), &error);

    g_assert_cmpuint (days->len, ==, 0);
  }
  g_clear_object (&result);
  picky_store_report_overall_async (fixture->store, NULL, T0 - DAY, T0 + DAY, NULL, picky_test_got_result_cb, &result);
  {
    g_autoptr(GArray) days = picky_store_report_overall_finish (fixture->store, picky_test_wait_result (&result), &error);
    PickyReportDay total;

    picky_store_report_sum (days, &total);
    g_assert_cmpuint (total.n_in, ==, 300);
  }
  g_clear_object (&result);

  picky_store_erase_contact_async (fixture->store, victim, NULL, picky_test_got_result_cb, &result);
  g_assert_false (picky_store_erase_contact_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  picky_store_close (fixture->store);
  g_assert_false (file_contains (fixture->path, "xylophonic"));
  g_assert_false (file_contains (fixture->path, "grapefruit"));
  g_assert_false (file_contains (fixture->path, "victim"));
  g_assert_true (file_contains (fixture->path, "ordinary"));

  /* The audit entry names the row, never the person. */
  g_assert_cmpint (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT action, detail FROM audit_log", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "erase-contact");
  g_assert_null (strstr ((const char *) sqlite3_column_text (stmt, 1), "Quentin"));
  g_assert_nonnull (strstr ((const char *) sqlite3_column_text (stmt, 1), "100 messages"));
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
test_store_purge (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *key = g_strdup_printf ("old%u", i);

      /* One a day, back to 59 days ago. */
      g_ptr_array_add (batch, make_message (fixture->channel, key, "u1", PICKY_DIRECTION_IN,
                                            i >= 45 ? "ancient history" : "recent", now - i * DAY));
    }
  ingest (fixture, batch, &error);
  g_assert_no_error (error);

  /* Keep today and the last 30 whole days. */
  picky_store_purge_async (fixture->store, 30, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpint (picky_store_purge_finish (fixture->store, picky_test_wait_result (&result), &error), ==, 29);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpint (count_messages (fixture), ==, 31);

  {
    g_autoptr(GPtrArray) hits = search (fixture, "ancient", NULL);

    g_assert_cmpuint (hits->len, ==, 0);
  }
  picky_store_report_contact_async (fixture->store, picky_message_get_contact_id (batch->pdata[0]),
                                    now - 100 * DAY, now + DAY, NULL, picky_test_got_result_cb, &result);
  {
    g_autoptr(GArray) days = picky_store_report_contact_finish (fixture->store, picky_test_wait_result (&result), &error);
    PickyReportDay total;

    picky_store_report_sum (days, &total);
    g_assert_cmpuint (total.n_in, ==, 31);
  }

  picky_store_close (fixture->store);
  g_assert_false (file_contains (fixture->path, "ancient"));
}

/* The segments of search index table @k, as ids: they change when it is merged. */
static char *
index_segments (Fixture *fixture,
                guint    k)
{
  g_autofree char *sql = g_strdup_printf ("SELECT group_concat (id) FROM messages_fts_%u_data", k);

  return query_text (fixture->path, sql);
}

static void
purge (Fixture *fixture,
       guint    days,
       gint64   expected)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_store_purge_async (fixture->store, days, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpint (picky_store_purge_finish (fixture->store, picky_test_wait_result (&result), &error), ==, expected);
  g_assert_no_error (error);
}

/* A purge merges only the index tables it deleted words from (merging
 * rewrites a whole table), none when nothing went, and also those an
 * earlier purge noted and did not get to merge. */
static void
test_store_purge_merge (Fixture       *fixture,
                        gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *first = NULL, *second = NULL, *third = NULL;
  g_autofree char *before = NULL, *after = NULL;
  gint64 u1, u2, u3;

  /* Three contacts, three tables, each indexed in three transactions (a
   * search indexes what was stored before it). */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *old = g_strdup_printf ("old%u", i);
      g_autofree char *two = g_strdup_printf ("two%u", i);
      g_autofree char *three = g_strdup_printf ("three%u", i);

      ingest_one (fixture, make_message (fixture->channel, old, "u1", PICKY_DIRECTION_IN, "ancient", now - 90 * DAY));
      ingest_one (fixture, make_message (fixture->channel, two, "u2", PICKY_DIRECTION_IN, "fresh", now));
      ingest_one (fixture, make_message (fixture->channel, three, "u3", PICKY_DIRECTION_IN, "fresh", now));
      g_ptr_array_unref (search (fixture, "fresh", NULL));
    }
  g_free (before);
  before = query_text (fixture->path, "SELECT min (id) FROM contacts");
  u1 = g_ascii_strtoll (before, NULL, 10);
  u2 = u1 + 1;
  u3 = u1 + 2;
  g_assert_cmpuint (picky_store_fts_shard (u2), !=, picky_store_fts_shard (u1));
  first = index_segments (fixture, picky_store_fts_shard (u1));
  second = index_segments (fixture, picky_store_fts_shard (u2));
  third = index_segments (fixture, picky_store_fts_shard (u3));

  /* Nothing that old: no table is rewritten. */
  purge (fixture, 365, 0);
  after = index_segments (fixture, picky_store_fts_shard (u1));
  g_assert_cmpstr (after, ==, first);
  g_clear_pointer (&after, g_free);

  /* u1's words go: their table is merged, the others are not. */
  purge (fixture, 30, 3);
  after = index_segments (fixture, picky_store_fts_shard (u1));
  g_assert_cmpstr (after, !=, first);
  g_clear_pointer (&after, g_free);
  after = index_segments (fixture, picky_store_fts_shard (u2));
  g_assert_cmpstr (after, ==, second);
  g_clear_pointer (&after, g_free);

  /* A purge cut off after its deletions left u3's table noted. */
  {
    g_autofree char *note = g_strdup_printf ("INSERT INTO meta (key, value) VALUES ('unmerged-index', %u)",
                                             1u << picky_store_fts_shard (u3));
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, note, NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close (db);
  }
  purge (fixture, 365, 0);
  after = index_segments (fixture, picky_store_fts_shard (u3));
  g_assert_cmpstr (after, !=, third);
  g_clear_pointer (&after, g_free);
  after = index_segments (fixture, picky_store_fts_shard (u2));
  g_assert_cmpstr (after, ==, second);
  g_free (before);
  before = query_text (fixture->path, "SELECT count (*) FROM meta WHERE key = 'unmerged-index'");
  g_assert_cmpstr (before, ==, "0");

  picky_store_close (fixture->store);
  g_assert_false (file_contains (fixture->path, "ancient"));
}

/* The first-response histograms of the month and year rollups: written
 * and read back, and a damaged one read as far as it is well-formed. */
static void
test_store_hist (void)
{
  gint32 counts[PICKY_STORE_FINE_BUCKETS] = { 0 };
  gint32 back[PICKY_STORE_FINE_BUCKETS] = { 0 };
  g_autofree guint8 *data = NULL;
  gsize length = 0;
  guint8 hostile[] = { 200, 1, 0, 0, 0,        /* a bucket out of range */
                       3, 0xff, 0xff, 0xff, 0xff, /* a count past G_MAXINT32 */
                       5, 2, 0, 0, 0,
                       7, 1, 0 };              /* truncated */

  g_assert_null (picky_store_hist_write (counts, &length));
  g_assert_cmpuint (length, ==, 0);
  picky_store_hist_read (NULL, 0, back, 1);

  counts[0] = 1;
  counts[17] = 70000;
  counts[PICKY_STORE_FINE_BUCKETS - 1] = 3;
  counts[40] = -2;   /* taken away past nothing: not written */
  data = picky_store_hist_write (counts, &length);
  g_assert_cmpuint (length, ==, 15);
  picky_store_hist_read (data, length, back, 1);
  picky_store_hist_read (data, length, back, 1);
  picky_store_hist_read (data, length, back, -1);
  for (guint b = 0; b < PICKY_STORE_FINE_BUCKETS; b++)
    g_assert_cmpint (back[b], ==, MAX (counts[b], 0));

  memset (back, 0, sizeof back);
  picky_store_hist_read (hostile, sizeof hostile, back, 1);
  g_assert_cmpint (back[3], ==, G_MAXINT32);
  g_assert_cmpint (back[5], ==, 2);
  g_assert_cmpint (back[7], ==, 0);
  g_assert_cmpint (back[200 % PICKY_STORE_FINE_BUCKETS], ==, 0);
  picky_store_hist_read (hostile, 4, back, 1);   /* shorter than one entry */
  g_assert_cmpint (back[0], ==, 0);
}

/* Month and year spans: their first hours, across year ends and before
 * 1970. */
static void
test_store_spans (void)
{
  /* 2024-02-29 12:00 UTC is in February 2024 and the year 2024. */
  gint64 leap = 1709208000 / 3600;

  g_assert_cmpint (picky_store_span_floor (1, leap), ==, 1706745600 / 3600);
  g_assert_cmpint (picky_store_span_next (1, leap), ==, 1709251200 / 3600);
  g_assert_cmpint (picky_store_span_floor (2, leap), ==, 1704067200 / 3600);
  g_assert_cmpint (picky_store_span_next (2, leap), ==, 1735689600 / 3600);
  /* December's next month is January. */
  g_assert_cmpint (picky_store_span_next (1, 1703980800 / 3600), ==, 1704067200 / 3600);
  /* 1969-12-31 23:00 UTC. */
  g_assert_cmpint (picky_store_span_floor (1, -1), ==, -31 * 24);
  g_assert_cmpint (picky_store_span_floor (2, -1), ==, -365 * 24);
  g_assert_cmpint (picky_store_span_next (2, -1), ==, 0);
  g_assert_cmpint (picky_store_span_floor (0, 12345), ==, 12345);
}

static void
test_store_closed (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

  picky_store_close (fixture->store);
  g_ptr_array_add (batch, make_message (fixture->channel, "c1", "u1", PICKY_DIRECTION_IN, "x", T0));
  g_assert_cmpuint (ingest (fixture, batch, &error), ==, 0);
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED);
}

static void
exec_file (const char *db_path,
           const char *sql_path)
{
  g_autofree char *sql = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;
  char *message = NULL;

  g_file_get_contents (sql_path, &sql, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  sqlite3_exec (db, sql, NULL, NULL, &message);
  g_assert_cmpstr (message, ==, NULL);
  sqlite3_close (db);
}

/* 128 random bits in lowercase hex, as version 8 makes them. */
static gboolean
is_database_id (const char *id)
{
  if (id == NULL || strlen (id) != 32)
    return FALSE;

  for (const char *c = id; *c != '\0'; c++)
    if (!g_ascii_isxdigit (*c) || g_ascii_isupper (*c))
      return FALSE;

  return TRUE;
}

static gint64
vfs_count (sqlite3    *db,
           const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);

  return value;
}

/* The store's file layer gathers the log's appends: whatever it holds back,
 * a commit is in the file when it returns, as a connection through the
 * system's own layer sees — with the log synced at every commit or not,
 * for commits larger than what it gathers at once, frames rewritten within
 * a transaction, and a checkpoint that empties the log. */
static void
test_store_vfs (Fixture       *fixture,
                gconstpointer  data)
{
  const char *modes[] = { "FULL", "NORMAL" };

  g_assert_true (picky_store_vfs_register ());
  g_assert_cmpstr (sqlite3_vfs_find (NULL)->zName, ==, "picky");

  for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
    {
      g_autofree char *path = g_strdup_printf ("%s/vfs-%s.db", fixture->dir, modes[m]);
      g_autofree char *pragmas = g_strdup_printf ("PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;"
                                                  " PRAGMA wal_autocheckpoint = 0;", modes[m]);
      sqlite3 *ours = NULL;
      sqlite3 *plain = NULL;

      g_test_message ("synchronous = %s", modes[m]);
      g_assert_cmpint (sqlite3_open (path, &ours), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_exec (ours, pragmas, NULL, NULL, NULL), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_exec (ours, "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)", NULL, NULL, NULL),
                       ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_open_v2 (path, &plain, SQLITE_OPEN_READONLY, "unix"), ==, SQLITE_OK);

      /* One commit of about 6 MB: three times what is gathered at once. */
      g_assert_cmpint (sqlite3_exec (ours,
                                     "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)"
                                     " INSERT INTO t (body) SELECT randomblob (4000) FROM n",
                                     NULL, NULL, NULL), ==, SQLITE_OK);
      g_assert_cmpint (vfs_count (plain, "SELECT count (*) FROM t"), ==, 1500);

      /* Small commits, each seen at once. */
      for (guint i = 0; i < 20; i++)
        {
          g_assert_cmpint (sqlite3_exec (ours, "INSERT INTO t (body) VALUES (zeroblob (100))", NULL, NULL, NULL),
                           ==, SQLITE_OK);
          g_assert_cmpint (vfs_count (plain, "SELECT count (*) FROM t"), ==, 1501 + i);
        }

      /* The same pages written again in one transaction. */
      g_assert_cmpint (sqlite3_exec (ours,
                                     "BEGIN;"
                                     " UPDATE t SET body = zeroblob (50) WHERE id % 3 = 0;"
                                     " UPDATE t SET body = randomblob (60) WHERE id % 3 = 0;"
                                     " DELETE FROM t WHERE id % 5 = 0;"
                                     "COMMIT",
                                     NULL, NULL, NULL), ==, SQLITE_OK);
      g_assert_cmpint (vfs_count (plain, "SELECT count (*) FROM t WHERE length (body) = 60"),
                       ==, vfs_count (ours, "SELECT count (*) FROM t WHERE id % 3 = 0"));
      g_assert_cmpint (vfs_count (plain, "SELECT count (*) FROM t"), ==, vfs_count (ours, "SELECT count (*) FROM t"));

      g_assert_cmpint (sqlite3_exec (ours, "PRAGMA wal_checkpoint (TRUNCATE)", NULL, NULL, NULL), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_exec (ours, "INSERT INTO t (body) VALUES (zeroblob (7))", NULL, NULL, NULL),
                       ==, SQLITE_OK);
      g_assert_cmpint (vfs_count (plain, "SELECT count (*) FROM t WHERE length (body) = 7"), ==, 1);
      g_assert_cmpint (vfs_count (plain, "SELECT count (*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"),
                       ==, 1);

      sqlite3_close (plain);
      sqlite3_close (ours);
    }
}

/* A sync that waits until the test opens it, and fails when told to. */
static GMutex sync_lock;
static GCond sync_cond;
static gboolean sync_open;
static int sync_fail;
static guint sync_calls;

static int
held_sync (int fd)
{
  g_mutex_lock (&sync_lock);
  sync_calls++;
  while (!sync_open)
    g_cond_wait (&sync_cond, &sync_lock);
  g_mutex_unlock (&sync_lock);

  if (sync_fail != 0)
    {
      errno = sync_fail;
      return -1;
    }
  return fdatasync (fd);
}

static void
set_sync_open (gboolean open)
{
  g_mutex_lock (&sync_lock);
  sync_open = open;
  g_cond_broadcast (&sync_cond);
  g_mutex_unlock (&sync_lock);
}

static gint64
committed_messages (Fixture *fixture)
{
  g_autofree char *count = query_text (fixture->path, "SELECT count (*) FROM messages");

  return g_ascii_strtoll (count, NULL, 10);
}

/* Holds every sync from now on until set_sync_open(); returns the sync to
 * put back. */
static PickyStoreSyncFunc
hold_syncs (void)
{
  PickyStoreSyncFunc saved = picky_store_sync_file;

  sync_open = FALSE;
  sync_fail = 0;
  sync_calls = 0;
  picky_store_sync_file = held_sync;
  return saved;
}

/* Ingests @batch, one message keyed @key, and returns once it is committed
 * (its answer waits for the held sync). */
static void
ingest_committed (Fixture       *fixture,
                  GPtrArray     *batch,
                  const char    *key,
                  GAsyncResult **result)
{
  g_ptr_array_add (batch, make_message (fixture->channel, key, "u1", PICKY_DIRECTION_IN, key, T0));
  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, result);
  g_assert_true (picky_test_wait_until ((gboolean (*) (gpointer)) committed_messages, fixture, 5000));
}

/* A write is answered only once a sync of the log has begun after its
 * commit and ended: while the disk has not confirmed it, the messages are
 * in the file (another connection reads them) but the ingest has no
 * answer, and groups committed meanwhile are answered by one sync; a sync
 * that fails fails the writes it covered. */
static void
test_store_durable_answer (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GPtrArray) first = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) second = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) third = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result1 = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GError) error = NULL;
  PickyStoreSyncFunc saved = hold_syncs ();

  ingest_committed (fixture, first, "d1", &result1);
  picky_test_spin (200);
  g_assert_null (result1);

  /* The next group commits while the first waits for the disk. */
  g_ptr_array_add (second, make_message (fixture->channel, "d2", "u2", PICKY_DIRECTION_IN, "two", T0 + 1));
  picky_store_ingest_async (fixture->store, second, NULL, picky_test_got_result_cb, &result2);
  picky_test_spin (200);
  g_assert_cmpint (committed_messages (fixture), ==, 2);
  g_assert_null (result1);
  g_assert_null (result2);

  set_sync_open (TRUE);
  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result1), &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result2), &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (sync_calls, <=, 2);

  /* The disk refuses: the write is not confirmed to its sender. */
  sync_fail = EIO;
  g_ptr_array_add (third, make_message (fixture->channel, "d3", "u3", PICKY_DIRECTION_IN, "three", T0 + 2));
  g_assert_cmpuint (ingest (fixture, third, &error), ==, 0);
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_IO);

  sync_fail = 0;
  picky_store_sync_file = saved;
}

/* A synced write is answered at once, not after the group the worker is
 * writing meanwhile: with a long batch being written, the first answer
 * comes while that batch is still uncommitted. */
static void
test_store_answer_while_writing (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GPtrArray) first = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) long_batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result1 = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GError) error = NULL;
  PickyStoreSyncFunc saved = hold_syncs ();

  ingest_committed (fixture, first, "a1", &result1);

  /* A second or more of writing, from many senders. */
  for (guint i = 0; i < 5000; i++)
    {
      g_autofree char *key = g_strdup_printf ("b%u", i);
      g_autofree char *sender = g_strdup_printf ("s%u", i % 500);

      g_ptr_array_add (long_batch, make_message (fixture->channel, key, sender, PICKY_DIRECTION_IN, "more", T0 + 1 + i));
    }
  picky_store_ingest_async (fixture->store, long_batch, NULL, picky_test_got_result_cb, &result2);
  picky_test_spin (50);
  set_sync_open (TRUE);

  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result1), &error), ==, 1);
  g_assert_no_error (error);
  g_assert_null (result2);
  g_assert_cmpint (committed_messages (fixture), ==, 1);

  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result2), &error), ==, 5000);
  g_assert_no_error (error);
  picky_store_sync_file = saved;
}

/* Queues 3,000 messages from one sender into @batch, for the worker to be
 * busy with while the writes queued next wait behind them. */
static void
queue_busy_batch (Fixture       *fixture,
                  GPtrArray     *batch,
                  GAsyncResult **result)
{
  for (guint i = 0; i < 3000; i++)
    {
      g_autofree char *key = g_strdup_printf ("long-%u", i);

      g_ptr_array_add (batch, make_message (fixture->channel, key, "busy", PICKY_DIRECTION_IN, "busy", T0 + i));
    }
  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, result);
}

/* Channel state writes join a group of ingests as they do (a LINE user's
 * first message since the start comes with one): one for a channel that
 * does not exist fails alone, the state and messages around it are
 * stored. */
static void
test_store_state_in_group (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GPtrArray) long_batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) long_result = NULL;
  g_autoptr(GAsyncResult) batch_result = NULL;
  GAsyncResult *results[3] = { NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  /* The worker is busy with this while the others queue up behind it. */
  queue_busy_batch (fixture, long_batch, &long_result);

  picky_store_set_channel_state_async (fixture->store, fixture->channel, "before", "1", NULL,
                                       picky_test_got_result_cb, &results[0]);
  picky_store_set_channel_state_async (fixture->store, 999, "nowhere", "1", NULL, picky_test_got_result_cb, &results[1]);
  g_ptr_array_add (batch, make_message (fixture->channel, "in-group", "grouped", PICKY_DIRECTION_IN, "hi", T0 + 5000));
  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &batch_result);
  picky_store_set_channel_state_async (fixture->store, fixture->channel, "after", "2", NULL,
                                       picky_test_got_result_cb, &results[2]);

  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&long_result), &error), ==, 3000);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      gboolean stored = picky_store_set_channel_state_finish (fixture->store, picky_test_wait_result (&results[i]), &error);

      if (i == 1)
        {
          g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
          g_assert_false (stored);
          g_clear_error (&error);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_true (stored);
        }
      g_object_unref (results[i]);
    }
  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&batch_result), &error), ==, 1);
  g_assert_no_error (error);

  g_assert_cmpint (count_messages (fixture), ==, 3001);
  before = state_of (fixture, "before");
  after = state_of (fixture, "after");
  g_assert_cmpstr (before, ==, "1");
  g_assert_cmpstr (after, ==, "2");
}

/* A group of ingests runs without a savepoint for each; when one fails
 * half-way, the group is written again with one, and the failed batch's
 * first message, contact and conversation are gone while the others are
 * stored and announced. */
static void
test_store_ingest_group_rerun (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GPtrArray) long_batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *batches[3];
  GAsyncResult *results[3] = { NULL };
  g_autoptr(GAsyncResult) long_result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contacts = NULL;
  g_autofree char *conversations = NULL;
  gulong handler;

  handler = g_signal_connect (fixture->store, "conversations-changed", G_CALLBACK (picky_test_collect_cb), seen);

  /* The worker is busy with this while the three queue up behind it. */
  queue_busy_batch (fixture, long_batch, &long_result);

  for (guint b = 0; b < 3; b++)
    {
      g_autofree char *key = g_strdup_printf ("r%u", b);
      g_autofree char *contact = g_strdup_printf ("rerun-%u", b);

      batches[b] = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (batches[b], make_message (fixture->channel, key, contact, PICKY_DIRECTION_IN, "hello", T0 + 5000));
    }
  /* The middle batch's second message has no key: it fails after its
   * first message, contact and conversation were written. */
  g_ptr_array_add (batches[1], make_message (fixture->channel, "r1-bad", "rerun-1", PICKY_DIRECTION_IN, "bad", T0 + 5001));
  picky_message_set_provider_key (batches[1]->pdata[1], NULL);
  for (guint b = 0; b < 3; b++)
    picky_store_ingest_async (fixture->store, batches[b], NULL, picky_test_got_result_cb, &results[b]);

  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&long_result), &error), ==, 3000);
  g_assert_no_error (error);
  for (guint b = 0; b < 3; b++)
    {
      guint n_new = picky_store_ingest_finish (fixture->store, picky_test_wait_result (&results[b]), &error);

      if (b == 1)
        {
          g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_FAILED);
          g_clear_error (&error);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_cmpuint (n_new, ==, 1);
        }
      g_object_unref (results[b]);
      g_ptr_array_unref (batches[b]);
    }

  g_assert_cmpint (count_messages (fixture), ==, 3002);
  contacts = query_text (fixture->path, "SELECT count (*) FROM contacts");
  g_assert_cmpstr (contacts, ==, "3");
  conversations = query_text (fixture->path, "SELECT count (*) FROM conversations");
  g_assert_cmpstr (conversations, ==, "3");

  /* Announced: the three stored conversations, none gone, none twice. */
  while (g_main_context_iteration (NULL, FALSE));
  g_assert_cmpuint (seen->len, ==, 3);
  for (guint i = 0; i < seen->len; i++)
    g_assert_false (picky_conversation_get_gone (seen->pdata[i]));
  g_signal_handler_disconnect (fixture->store, handler);

  /* The failed contact's next message creates it afresh. */
  g_assert_cmpuint (ingest_one (fixture, make_message (fixture->channel, "r1-again", "rerun-1", PICKY_DIRECTION_IN,
                                                       "hello again", T0 + 5002)), ==, 1);
  g_free (contacts);
  contacts = query_text (fixture->path, "SELECT count (*) FROM contacts");
  g_assert_cmpstr (contacts, ==, "4");
}

/* Every earlier schema version, from its fixture, opens as the current one
 * with its data intact and searchable. */
static void
test_store_migrate (Fixture       *fixture,
                    gconstpointer  data)
{
  for (int version = 1; version < PICKY_STORE_SCHEMA_VERSION; version++)
    {
      g_autofree char *name = g_strdup_printf ("store-v%d.sql", version);
      g_autofree char *fixture_sql = g_test_build_filename (G_TEST_DIST, "data", name, NULL);
      g_autofree char *path = g_strdup_printf ("%s/v%d.db", fixture->dir, version);
      g_autoptr(PickyStore) store = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) page = NULL;
      g_autoptr(GPtrArray) hits = NULL;
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GArray) days = NULL;
      PickyPageQuery query = { .direction = -1, .limit = 100 };
      g_autoptr(PickyReportHours) hours = NULL;
      const PickyReportHour *hour;
      PickyReportDay total;
      sqlite3 *db = NULL;
      sqlite3_stmt *stmt = NULL;
      g_autofree char *id = NULL;

      g_test_message ("migrating from version %d", version);
      exec_file (path, fixture_sql);

      store = open_store (path, fixture->cipher, &error);
      g_assert_no_error (error);

      picky_store_list_messages_async (store, &query, NULL, picky_test_got_result_cb, &result);
      page = picky_store_list_messages_finish (store, picky_test_wait_result (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      g_assert_cmpuint (page->len, ==, 4);
      g_assert_cmpstr (picky_message_get_text (page->pdata[0]), ==, "Danke, angekommen");
      g_assert_cmpstr (picky_message_get_app (page->pdata[0]), ==, "telegram");
      g_assert_cmpstr (picky_message_get_contact_provider_id (page->pdata[0]), ==, "1001");
      g_assert_cmpint (picky_message_get_status (page->pdata[1]), ==, PICKY_MESSAGE_STATUS_READ);

      picky_store_search_async (store, "lieferung", &query, NULL, picky_test_got_result_cb, &result);
      hits = picky_store_search_finish (store, picky_test_wait_result (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      g_assert_cmpuint (hits->len, ==, 1);
      /* The channel's newest customer message, however the version kept it. */
      g_assert_cmpint (channel_last_in (store, 1), ==, 1700002000);

      picky_store_report_contact_async (store, 1, 0, G_MAXINT32, NULL, picky_test_got_result_cb, &result);
      days = picky_store_report_contact_finish (store, picky_test_wait_result (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      picky_store_report_sum (days, &total);
      g_assert_cmpuint (total.n_in, ==, 2);
      g_assert_cmpuint (total.n_out, ==, 2);

      /* The hourly rollups are backfilled from the messages: one hour, the
       * 300 s reply counted, the later reply to a reply not. */
      picky_store_report_hours_async (store, 1, 0, G_MAXINT32, NULL, picky_test_got_result_cb, &result);
      hours = picky_store_report_hours_finish (store, picky_test_wait_result (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      g_assert_cmpuint (hours->hours->len, ==, 1);
      hour = &g_array_index (hours->hours, PickyReportHour, 0);
      g_assert_cmpint (hour->hour, ==, 1700000000 / 3600);
      g_assert_cmpstr (hour->app, ==, "telegram");
      g_assert_cmpuint (hour->n_in, ==, 2);
      g_assert_cmpuint (hour->n_out, ==, 2);
      g_assert_cmpint (hour->first_timestamp, ==, 1700000000);
      g_assert_cmpint (hour->last_timestamp, ==, 1700002000);
      g_assert_cmpint (hour->response_sum, ==, 300);
      g_assert_cmpuint (hour->response_count, ==, 1);
      g_assert_cmpuint (hours->responses[picky_store_fine_bucket (300)], ==, 1);
      /* Version 11's waits: message 1's answered, message 4's still open,
       * or ended by the Done mark of version 10's fixture; its reply time. */
      g_assert_cmpuint (hours->replies[picky_store_fine_bucket (300)], ==, 1);
      g_assert_cmpuint (hours->awaiting, ==, version >= 10 ? 0 : 1);
      g_assert_cmpint (hours->first_ever, ==, 1700000000);
      g_assert_cmpint (hours->last_ever, ==, 1700002000);
      g_assert_cmpint (picky_store_fine_percentile (hours->responses, 0.5), >=, 270);
      g_assert_cmpint (picky_store_fine_percentile (hours->responses, 0.5), <=, 330);

      /* The contacts list reads the year 2023 from the spans the
       * migration built: contact 1's row, the reply among its times. */
      {
        g_autoptr(GArray) summaries = NULL;
        const PickyContactSummary *summary;

        picky_store_summarize_contacts_async (store, 1672531200, 1704067200, NULL, picky_test_got_result_cb,
                                              &result);
        summaries = picky_store_summarize_contacts_finish (store, picky_test_wait_result (&result), &error);
        g_assert_no_error (error);
        g_clear_object (&result);
        g_assert_cmpuint (summaries->len, >=, 1);
        summary = &g_array_index (summaries, PickyContactSummary, 0);
        g_assert_cmpint (summary->contact_id, ==, 1);
        g_assert_cmpuint (summary->n_in, ==, 2);
        g_assert_cmpuint (summary->n_out, ==, 2);
        g_assert_cmpint (summary->first_timestamp, ==, 1700000000);
        g_assert_cmpint (summary->last_timestamp, ==, 1700002000);
        g_assert_cmpint (summary->response_median, ==, picky_store_fine_bucket_value (picky_store_fine_bucket (300)));
      }

      /* Every migrated file has an id of its own. */
      g_assert_true (is_database_id (picky_store_get_database_id (store)));
      id = g_strdup (picky_store_get_database_id (store));

      /* Ingest goes on where the old version left off. */
      g_ptr_array_add (batch, make_message (1, "tg:1:4", "1001", PICKY_DIRECTION_IN, "Noch eine Frage", 1700003000));
      g_ptr_array_add (batch, make_message (1, "tg:1:5", "1001", PICKY_DIRECTION_IN, "new", 1700003001));
      picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
      g_assert_cmpuint (picky_store_ingest_finish (store, picky_test_wait_result (&result), &error), ==, 1);
      g_assert_no_error (error);
      g_clear_object (&result);
      g_clear_pointer (&hits, g_ptr_array_unref);
      picky_store_search_async (store, "new", &query, NULL, picky_test_got_result_cb, &result);
      hits = picky_store_search_finish (store, picky_test_wait_result (&result), &error);
      g_assert_no_error (error);
      g_assert_cmpuint (hits->len, ==, 1);
      picky_store_close (store);

      /* The contact's plaintext provider id is gone from the file and its log;
       * the id's random hex holds those digits once in 2,000 files or so. */
      if (strstr (id, "1001") == NULL)
        g_assert_false (file_contains (path, "1001"));

      g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, PICKY_STORE_SCHEMA_VERSION);
      sqlite3_finalize (stmt);
      g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
      sqlite3_finalize (stmt);
      sqlite3_close (db);
    }
}

static void
test_store_migrate_newer (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "newer.db", NULL);
  g_autoptr(GError) error = NULL;
  PickyStore *store;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = open_store (path, fixture->cipher, &error);
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NEWER);
  g_assert_null (store);
}

static void
test_store_not_a_database (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "garbage.db", NULL);
  g_autoptr(GError) error = NULL;
  PickyStore *store;
  char garbage[8192];

  memset (garbage, 'Z', sizeof garbage);
  g_file_set_contents (path, garbage, sizeof garbage, NULL);
  store = open_store (path, fixture->cipher, &error);
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CORRUPT);
  g_assert_null (store);
}

static GPtrArray *
list_contacts (PickyStore *store,
               const char *phone)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *contacts;

  picky_store_list_contacts_async (store, NULL, phone, 0, 100, NULL, picky_test_got_result_cb, &result);
  contacts = picky_store_list_contacts_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return contacts;
}

/* Returns the file's id; @found tells whether anything in it is sealed. */
static char *
identify (const char *path,
          gboolean   *found)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *id;

  picky_store_identify_async (path, NULL, picky_test_got_result_cb, &result);
  id = picky_store_identify_finish (picky_test_wait_result (&result), found, &error);
  g_assert_no_error (error);
  g_assert_nonnull (id);

  return id;
}

static gboolean
peek (const char *path)
{
  g_autofree char *id = NULL;
  gboolean found = FALSE;

  id = identify (path, &found);
  return found;
}

static char *
query_text (const char *path,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return value;
}

/* A WhatsApp contact's provider id is the customer's phone number: it is
 * kept sealed, found by a keyed hash, and never written as text. */
static void
test_store_encryption_provider_id (Fixture       *fixture,
                                   gconstpointer  data)
{
  gint64 whatsapp = add_channel (fixture->store, "whatsapp", "Sales");
  PickyMessage *message = make_message (whatsapp, "wamid.A1", "15551234567", PICKY_DIRECTION_IN,
                                        "Is my order on its way?", T0);
  g_autoptr(GPtrArray) contacts = NULL;
  g_autofree char *types = NULL;
  PickyPageQuery query = { .direction = -1, .limit = 10 };
  const char *provider_id, *phone;
  gint64 contact_id, id;

  picky_message_set_contact_name (message, "Wanda Whatsapp");
  picky_message_set_contact_phone (message, "+15551234567");
  ingest_one (fixture, message);
  contact_id = picky_message_get_contact_id (message);
  g_assert_cmpint (contact_id, >, 0);

  /* While open, in the log too. */
  g_assert_false (file_contains (fixture->path, "15551234567"));
  g_assert_false (file_contains (fixture->path, "5551234567"));

  /* Found by phone in another spelling, the id decrypted. */
  contacts = list_contacts (fixture->store, "+1 (555) 123-4567");
  g_assert_cmpuint (contacts->len, ==, 1);
  g_variant_get (contacts->pdata[0], "(x&s&s&s&s)", &id, NULL, &provider_id, NULL, &phone);
  g_assert_cmpint (id, ==, contact_id);
  g_assert_cmpstr (provider_id, ==, "15551234567");
  g_assert_cmpstr (phone, ==, "+15551234567");
  g_clear_pointer (&contacts, g_ptr_array_unref);

  /* A redelivery and a later message, after the cache is gone, find the
   * same row; the same id on another app is another contact. */
  g_assert_cmpuint (ingest_one (fixture, make_message (whatsapp, "wamid.A1", "15551234567",
                                                       PICKY_DIRECTION_IN, "Is my order on its way?", T0)), ==, 0);
  fixture_reopen (fixture);
  message = make_message (whatsapp, "wamid.A2", "15551234567", PICKY_DIRECTION_IN, "Hello?", T0 + 60);
  g_assert_cmpuint (ingest_one (fixture, message), ==, 1);
  g_assert_cmpint (picky_message_get_contact_id (message), ==, contact_id);
  message = make_message (fixture->channel, "tg:9", "15551234567", PICKY_DIRECTION_IN, "hi", T0 + 61);
  g_assert_cmpuint (ingest_one (fixture, message), ==, 1);
  g_assert_cmpint (picky_message_get_contact_id (message), !=, contact_id);

  contacts = list_contacts (fixture->store, NULL);
  g_assert_cmpuint (contacts->len, ==, 2);
  {
    g_autoptr(GPtrArray) page = list_page (fixture, &query);

    g_assert_cmpuint (page->len, ==, 3);
    for (guint i = 0; i < page->len; i++)
      g_assert_cmpstr (picky_message_get_contact_provider_id (page->pdata[i]), ==, "15551234567");
  }

  g_assert_false (file_contains (fixture->path, "15551234567"));
  picky_store_close (fixture->store);
  g_assert_false (file_contains (fixture->path, "15551234567"));
  g_assert_false (file_contains (fixture->path, "5551234567"));
  g_assert_false (file_contains (fixture->path, "Wanda"));
  types = query_text (fixture->path, "SELECT group_concat (typeof (provider_id_enc)) FROM contacts");
  g_assert_cmpstr (types, ==, "blob,blob");
}

/* The sender of a group message lives in the media description, which is
 * sealed like a contact's details and read back as it was. */
static void
test_store_encryption_media (Fixture       *fixture,
                             gconstpointer  data)
{
  const char *media = "{\"type\":\"contact\",\"phone_number\":\"+4917012345\","
                      "\"from\":{\"id\":77,\"name\":\"Gudrun Gruppe\"}}";
  PickyMessage *message = make_message (fixture->channel, "-100:5", "-100", PICKY_DIRECTION_IN,
                                        "card", T0);
  g_autoptr(PickyMessage) stored = NULL;

  picky_message_set_kind (message, PICKY_MESSAGE_KIND_CONTACT);
  picky_message_set_media (message, media);
  ingest_one (fixture, message);
  /* A redelivery keeps the sealed copy. */
  message = make_message (fixture->channel, "-100:5", "-100", PICKY_DIRECTION_IN, "card", T0);
  picky_message_set_media (message, media);
  g_assert_cmpuint (ingest_one (fixture, message), ==, 0);

  fixture_reopen (fixture);
  stored = find_by_key (fixture, "-100:5");
  g_assert_cmpstr (picky_message_get_media (stored), ==, media);

  picky_store_close (fixture->store);
  g_assert_false (file_contains (fixture->path, "Gudrun"));
  g_assert_false (file_contains (fixture->path, "4917012345"));
  g_assert_true (file_contains (fixture->path, "card"));
}

/* Version 5 kept provider ids and media in plaintext; after the migration
 * they are sealed, still read back, and the contacts are still found. */
static void
test_store_migrate_sealed (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *fixture_sql = g_test_build_filename (G_TEST_DIST, "data", "store-v5.sql", NULL);
  g_autofree char *path = g_build_filename (fixture->dir, "v5.db", NULL);
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *types = NULL;
  PickyPageQuery query = { .direction = -1, .limit = 10 };
  const char *provider_id;
  gint64 id;

  exec_file (path, fixture_sql);
  g_assert_true (file_contains (path, "4915112345678"));
  g_assert_true (file_contains (path, "Gruppenmitglied"));
  /* Nothing in it is sealed yet: a new key could be made for it. */
  g_assert_false (peek (path));

  /* Opened twice: the second time finds nothing left to convert. */
  store = open_store (path, fixture->cipher, &error);
  g_assert_no_error (error);
  picky_store_close (store);
  g_clear_object (&store);
  store = open_store (path, fixture->cipher, &error);
  g_assert_no_error (error);

  contacts = list_contacts (store, NULL);
  g_assert_cmpuint (contacts->len, ==, 2);
  g_variant_get (contacts->pdata[1], "(x&s&s&s&s)", &id, NULL, &provider_id, NULL, NULL);
  g_assert_cmpint (id, ==, 2);
  g_assert_cmpstr (provider_id, ==, "4915112345678");

  picky_store_list_messages_async (store, &query, NULL, picky_test_got_result_cb, &result);
  page = picky_store_list_messages_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (page->len, ==, 4);
  g_assert_cmpstr (picky_message_get_media (page->pdata[3]), ==,
                   "{\"from\":{\"id\":4242,\"name\":\"Gruppenmitglied Erna\"}}");

  /* The migrated contact is found by its hash: no second row. */
  {
    PickyMessage *message = make_message (2, "wamid.M1", "4915112345678", PICKY_DIRECTION_IN, "Hallo", 1700005000);

    g_ptr_array_add (batch, message);
    picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
    g_assert_cmpuint (picky_store_ingest_finish (store, picky_test_wait_result (&result), &error), ==, 1);
    g_assert_no_error (error);
    g_assert_cmpint (picky_message_get_contact_id (message), ==, 2);
  }
  picky_store_close (store);

  g_assert_false (file_contains (path, "4915112345678"));
  g_assert_false (file_contains (path, "Gruppenmitglied"));
  g_assert_false (file_contains (path, "1001"));
  g_assert_true (peek (path));
  types = query_text (path, "SELECT typeof (provider_id_enc) || typeof (media) FROM contacts, messages"
                            " WHERE contacts.id = 1 AND messages.id = 1");
  g_assert_cmpstr (types, ==, "blobblob");
  g_clear_pointer (&types, g_free);
  types = query_text (path, "SELECT count (*) FROM pragma_table_info ('contacts') WHERE name = 'provider_id'");
  g_assert_cmpstr (types, ==, "0");
}

/* The wamid of tests/data/whatsapp-webhook-text.body, and that of a reply
 * to the same customer: base64 that holds the number 15551234567. */
#define WAMID_IN "wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQ4MjcyODNFMEFEODQxNzM1ODE1NgA="
#define WAMID_OUT "wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBQwNTBGRUM5NERCQ0EzQTBBQUMzNgA="

/* Neither a wamid nor the number inside it, in plain or base64 form. */
static void
assert_no_wamid (const char *path)
{
  g_assert_false (file_contains (path, "HBgLMTU1NTEyMzQ1Njc"));
  g_assert_false (file_contains (path, "MTU1NTEyMzQ1Nj"));
  g_assert_false (file_contains (path, "15551234567"));
}

/* Provider keys are matched by their keyed hash and kept only sealed, yet
 * redelivery, edits, reactions, statuses and the outbox's key mapping all
 * still find their message. */
static void
test_store_encryption_message_key (Fixture       *fixture,
                                   gconstpointer  data)
{
  gint64 whatsapp = add_channel (fixture->store, "whatsapp", "Sales");
  PickyMessage *message = make_message (whatsapp, WAMID_IN, "15551234567", PICKY_DIRECTION_IN,
                                        "Kommt meine Bestellung heute?", T0);
  g_autoptr(PickyMessage) stored = NULL;
  g_autoptr(PickyMessage) sent = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id, reply_id;

  g_assert_cmpuint (ingest_one (fixture, message), ==, 1);
  id = picky_message_get_id (message);
  assert_no_wamid (fixture->path);

  /* Redelivered, also after the worker's caches are gone: the same row. */
  message = make_message (whatsapp, WAMID_IN, "15551234567", PICKY_DIRECTION_IN, "Kommt meine Bestellung heute?", T0);
  g_assert_cmpuint (ingest_one (fixture, g_object_ref (message)), ==, 0);
  g_assert_cmpint (picky_message_get_id (message), ==, id);
  g_object_unref (message);
  fixture_reopen (fixture);
  g_assert_cmpuint (ingest_one (fixture, make_message (whatsapp, WAMID_IN, "15551234567", PICKY_DIRECTION_IN,
                                                       "Kommt meine Bestellung heute?", T0)), ==, 0);
  g_assert_cmpint (count_messages (fixture), ==, 1);

  /* An edit finds it by the hash. */
  message = make_message (whatsapp, WAMID_IN, "15551234567", PICKY_DIRECTION_IN, "Kommt sie morgen?", T0);
  picky_message_set_op (message, PICKY_MESSAGE_OP_EDIT);
  g_assert_cmpuint (ingest_one (fixture, message), ==, 0);

  /* A reaction points at it; the related key comes back opened. */
  message = make_message (whatsapp, "wamid.REACTION1", "15551234567", PICKY_DIRECTION_IN, "👍", T0 + 5);
  picky_message_set_kind (message, PICKY_MESSAGE_KIND_REACTION);
  picky_message_set_related_key (message, WAMID_IN);
  g_assert_cmpuint (ingest_one (fixture, message), ==, 1);

  /* A reply is stored with a local key, then gets the provider's key once
   * sent; a status report by that key moves it on. */
  message = make_message (whatsapp, "local-1", "15551234567", PICKY_DIRECTION_OUT, "Ja, heute", T0 + 10);
  g_assert_cmpuint (ingest_one (fixture, g_object_ref (message)), ==, 1);
  reply_id = picky_message_get_id (message);
  g_object_unref (message);
  picky_store_update_outgoing_async (fixture->store, reply_id, PICKY_MESSAGE_STATUS_SENT, WAMID_OUT, NULL,
                                     NULL, picky_test_got_result_cb, &result);
  sent = picky_store_update_outgoing_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (picky_message_get_provider_key (sent), ==, WAMID_OUT);
  message = picky_message_new ();
  picky_message_set_op (message, PICKY_MESSAGE_OP_STATUS);
  picky_message_set_channel_id (message, whatsapp);
  picky_message_set_provider_key (message, WAMID_OUT);
  picky_message_set_status (message, PICKY_MESSAGE_STATUS_READ);
  g_assert_cmpuint (ingest_one (fixture, message), ==, 0);

  stored = find_by_key (fixture, WAMID_OUT);
  g_assert_nonnull (stored);
  g_assert_cmpint (picky_message_get_id (stored), ==, reply_id);
  g_assert_cmpint (picky_message_get_status (stored), ==, PICKY_MESSAGE_STATUS_READ);
  g_clear_object (&stored);
  stored = find_by_key (fixture, WAMID_IN);
  g_assert_nonnull (stored);
  g_assert_cmpint (picky_message_get_id (stored), ==, id);
  g_assert_cmpstr (picky_message_get_text (stored), ==, "Kommt sie morgen?");
  g_assert_true (picky_message_get_edited (stored));
  g_clear_object (&stored);
  stored = find_by_key (fixture, "wamid.REACTION1");
  g_assert_nonnull (stored);
  g_assert_cmpstr (picky_message_get_related_key (stored), ==, WAMID_IN);
  g_assert_cmpint (count_messages (fixture), ==, 3);

  assert_no_wamid (fixture->path);
  g_assert_false (file_contains (fixture->path, "REACTION1"));
  picky_store_close (fixture->store);
  assert_no_wamid (fixture->path);
}

/* Version 6 kept the messages' provider and related keys in plaintext;
 * after the migration they are hashed and sealed, and still read back. */
static void
test_store_migrate_keys (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *fixture_sql = g_test_build_filename (G_TEST_DIST, "data", "store-v6.sql", NULL);
  g_autofree char *path = g_build_filename (fixture->dir, "v6.db", NULL);
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  PickyPageQuery query = { .direction = -1, .limit = 10 };

  exec_file (path, fixture_sql);
  g_assert_true (file_contains (path, "tg:1:3"));

  store = open_store (path, fixture->cipher, &error);
  g_assert_no_error (error);

  picky_store_list_messages_async (store, &query, NULL, picky_test_got_result_cb, &result);
  page = picky_store_list_messages_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (page->len, ==, 4);
  for (guint i = 0; i < page->len; i++)
    {
      g_autofree char *key = g_strdup_printf ("tg:1:%u", page->len - i);

      g_assert_cmpstr (picky_message_get_provider_key (page->pdata[i]), ==, key);
    }
  g_assert_cmpstr (picky_message_get_related_key (page->pdata[0]), ==, "tg:1:3");
  g_assert_cmpstr (picky_message_get_media (page->pdata[3]), ==,
                   "{\"from\":{\"id\":4242,\"name\":\"Gruppenmitglied Erna\"}}");

  /* A migrated message is found by its hash: a redelivery adds nothing. */
  g_ptr_array_add (batch, make_message (1, "tg:1:2", "1001", PICKY_DIRECTION_OUT, "Sie kommt morgen", 1700000300));
  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (store, picky_test_wait_result (&result), &error), ==, 0);
  g_assert_no_error (error);
  picky_store_close (store);

  g_assert_false (file_contains (path, "tg:1:"));
  value = query_text (path, "SELECT count (*) FROM messages WHERE length (key_hash) = 64"
                            " AND typeof (provider_key_enc) = 'blob'");
  g_assert_cmpstr (value, ==, "4");
  g_clear_pointer (&value, g_free);
  value = query_text (path, "SELECT typeof (related_key_enc) FROM messages WHERE id = 4");
  g_assert_cmpstr (value, ==, "blob");
}

/* Without the key, a file tells whether anything in it needs that key:
 * only when nothing does may a new key be made. */
static void
test_store_peek (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (fixture->dir, "missing", "missing.db", NULL);

  /* A new file is made, private, since its id must exist before the key. */
  g_assert_false (peek (missing));
  g_assert_true (g_file_test (missing, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (file_mode (missing), ==, 0600);

  /* A channel alone holds nothing sealed. */
  g_assert_false (peek (fixture->path));

  ingest_one (fixture, make_message (fixture->channel, "k1", "u1", PICKY_DIRECTION_IN, "hi", T0));
  g_assert_true (peek (fixture->path));
  picky_store_close (fixture->store);
  g_assert_true (peek (fixture->path));
}

/* A database has one id for good: reopening and identifying read the same,
 * a copy of the file has it too (and so shares its secrets), another file
 * has another. */
static void
test_store_id (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *id = g_strdup (picky_store_get_database_id (fixture->store));
  g_autofree char *identified = NULL;
  g_autofree char *copy = g_build_filename (fixture->dir, "copy.db", NULL);
  g_autofree char *other = g_build_filename (fixture->dir, "other.db", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_assert_true (is_database_id (id));
  identified = identify (fixture->path, NULL);
  g_assert_cmpstr (identified, ==, id);

  picky_store_close (fixture->store);
  g_assert_cmpstr (picky_store_get_database_id (fixture->store), ==, id);
  g_file_get_contents (fixture->path, &contents, &length, &error);
  g_assert_no_error (error);
  g_file_set_contents (copy, contents, length, &error);
  g_assert_no_error (error);
  store = open_store (copy, fixture->cipher, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (picky_store_get_database_id (store), ==, id);
  picky_store_close (store);
  g_clear_object (&store);

  store = open_store (other, fixture->cipher, &error);
  g_assert_no_error (error);
  g_assert_true (is_database_id (picky_store_get_database_id (store)));
  g_assert_cmpstr (picky_store_get_database_id (store), !=, id);
  picky_store_close (store);
  g_clear_object (&store);

  fixture_reopen (fixture);
  g_assert_cmpstr (picky_store_get_database_id (fixture->store), ==, id);
}

/* Consoles that start on a new file at the same moment agree on its id,
 * and the store that opens it afterwards keeps it. */
static void
test_store_id_concurrent (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "new", "new.db", NULL);
  GAsyncResult *results[6] = { NULL, };
  char *ids[G_N_ELEMENTS (results)] = { NULL, };
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    picky_store_identify_async (path, NULL, picky_test_got_result_cb, &results[i]);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      ids[i] = picky_store_identify_finish (picky_test_wait_result (&results[i]), NULL, &error);
      g_assert_no_error (error);
      g_assert_true (is_database_id (ids[i]));
      g_assert_cmpstr (ids[i], ==, ids[0]);
      g_clear_object (&results[i]);
    }

  store = open_store (path, fixture->cipher, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (picky_store_get_database_id (store), ==, ids[0]);
  picky_store_close (store);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_free (ids[i]);
}

/* A file of version 7 gets its id from whichever comes first, the service's
 * identification or the migration, and keeps it; one of a newer version is
 * refused before anything is written to it. */
static void
test_store_migrate_id (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *fixture_sql = g_test_build_filename (G_TEST_DIST, "data", "store-v7.sql", NULL);
  g_autofree char *path = g_build_filename (fixture->dir, "v7.db", NULL);
  g_autofree char *newer = g_build_filename (fixture->dir, "newer.db", NULL);
  g_autofree char *id = NULL;
  g_autofree char *value = NULL;
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean sealed = FALSE;
  sqlite3 *db = NULL;

  exec_file (path, fixture_sql);
  id = identify (path, &sealed);
  g_assert_true (is_database_id (id));
  g_assert_true (sealed);
  value = query_text (path, "PRAGMA user_version");
  g_assert_cmpstr (value, ==, "7");
  g_clear_pointer (&value, g_free);

  store = open_store (path, fixture->cipher, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (picky_store_get_database_id (store), ==, id);
  picky_store_close (store);
  value = query_text (path, "PRAGMA user_version");
  g_assert_cmpint (g_ascii_strtoll (value, NULL, 10), ==, PICKY_STORE_SCHEMA_VERSION);
  g_clear_pointer (&value, g_free);
  value = query_text (path, "SELECT count (*) FROM meta");
  g_assert_cmpstr (value, ==, "1");
  g_clear_pointer (&value, g_free);

  g_assert_cmpint (sqlite3_open (newer, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  picky_store_identify_async (newer, NULL, picky_test_got_result_cb, &result);
  g_assert_null (picky_store_identify_finish (picky_test_wait_result (&result), NULL, &error));
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NEWER);
  value = query_text (newer, "SELECT count (*) FROM sqlite_master");
  g_assert_cmpstr (value, ==, "0");
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  ADD ("/picky/store/open/files", test_store_open_files);
  ADD ("/picky/store/open/loose-modes", test_store_open_loose_modes);
  ADD ("/picky/store/open/closed", test_store_closed);
  ADD ("/picky/store/open/not-a-database", test_store_not_a_database);
  ADD ("/picky/store/ingest/duplicate", test_store_ingest_duplicate);
  ADD ("/picky/store/ingest/status", test_store_ingest_status);
  ADD ("/picky/store/ingest/edit", test_store_ingest_edit);
  ADD ("/picky/store/ingest/group-commit", test_store_ingest_group);
  ADD ("/picky/store/channels", test_store_channels);
  ADD ("/picky/store/channels/last-in", test_store_channel_last_in);
  ADD ("/picky/store/encryption/no-plaintext", test_store_encryption);
  ADD ("/picky/store/encryption/wrong-key", test_store_encryption_wrong_key);
  ADD ("/picky/store/encryption/provider-id", test_store_encryption_provider_id);
  ADD ("/picky/store/encryption/media", test_store_encryption_media);
  ADD ("/picky/store/encryption/message-key", test_store_encryption_message_key);
  ADD ("/picky/store/encryption/peek", test_store_peek);
  ADD ("/picky/store/rollups/brute-force", test_store_rollups);
  ADD ("/picky/store/search/scripts", test_store_search_scripts);
  ADD ("/picky/store/page/ties", test_store_page_ties);
  ADD ("/picky/store/erase/no-trace", test_store_erase);
  ADD ("/picky/store/erase/busy-log", test_store_erase_busy_log);
  ADD ("/picky/store/purge", test_store_purge);
  ADD ("/picky/store/purge/merge", test_store_purge_merge);
  ADD ("/picky/store/checkpoint/while-writing", test_store_checkpoint);
  ADD ("/picky/store/checkpoint/new-pages", test_store_checkpoint_new_pages);
  ADD ("/picky/store/index/deferred", test_store_index_deferred);
  ADD ("/picky/store/index/unindexed-changes", test_store_index_unindexed_changes);
  ADD ("/picky/store/vfs/commits-visible", test_store_vfs);
  ADD ("/picky/store/sync/durable-answer", test_store_durable_answer);
  ADD ("/picky/store/sync/answer-while-writing", test_store_answer_while_writing);
  ADD ("/picky/store/ingest/group-rerun", test_store_ingest_group_rerun);
  ADD ("/picky/store/ingest/state-in-group", test_store_state_in_group);
  g_test_add_func ("/picky/store/hist", test_store_hist);
  g_test_add_func ("/picky/store/spans", test_store_spans);
  ADD ("/picky/store/migrate/fixtures", test_store_migrate);
  ADD ("/picky/store/migrate/newer", test_store_migrate_newer);
  ADD ("/picky/store/migrate/sealed", test_store_migrate_sealed);
  ADD ("/picky/store/migrate/keys", test_store_migrate_keys);
  ADD ("/picky/store/migrate/id", test_store_migrate_id);
  ADD ("/picky/store/id/lasting", test_store_id);
  ADD ("/picky/store/id/concurrent", test_store_id_concurrent);

  return g_test_run ();
}
