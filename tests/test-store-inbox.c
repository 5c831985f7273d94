/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the Inbox asks of the store and the list model over it: unread marks, replies, live batches. */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "picky-message-list.h"
#include "picky-store-private.h"
#include "picky-store.h"
#include "picky-test-util.h"

#define T0 1770000000

typedef struct {
  char        *dir;
  char        *path;
  PickyCipher *cipher;
  PickyStore  *store;
  gint64       channel;
} Fixture;

static PickyMessage *
make_message (gint64         channel,
              const char    *key,
              const char    *contact,
              PickyDirection direction,
              const char    *text,
              gint64         timestamp)
{
  PickyMessage *message = picky_message_new ();

  picky_message_set_channel_id (message, channel);
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_provider_id (message, contact);
  picky_message_set_direction (message, direction);
  picky_message_set_text (message, text);
  picky_message_set_timestamp (message, timestamp);
  picky_message_set_received (message, timestamp);
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

static GPtrArray *
list (Fixture        *fixture,
      PickyPageQuery *query)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *page;

  picky_store_list_messages_async (fixture->store, query, NULL, picky_test_got_result_cb, &result);
  page = picky_store_list_messages_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return page;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  static const guint8 key_bytes[PICKY_CIPHER_KEY_SIZE] = { 7, 7, 7, 7, 7, 7, 7, 7, 1, 2, 3, 4 };
  g_autoptr(GBytes) key = g_bytes_new_static (key_bytes, sizeof key_bytes);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("picky-store-inbox-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "messages.db", NULL);
  fixture->cipher = picky_cipher_new (key, &error);
  g_assert_no_error (error);

  picky_store_open_async (fixture->path, fixture->cipher, NULL, picky_test_got_result_cb, &result);
  fixture->store = picky_store_open_finish (picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  picky_store_add_channel_async (fixture->store, "telegram", "bot", "Support", "{}", NULL, picky_test_got_result_cb, &result);
  fixture->channel = picky_store_add_channel_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  picky_store_close (fixture->store);
  g_assert_finalize_object (fixture->store);
  g_clear_object (&fixture->cipher);

  dir = g_dir_open (fixture->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (fixture->dir, name, NULL);

      g_unlink (file);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

/* Incoming messages are stored unread, replies not; marking a contact read
 * clears only theirs, and unread-only pages follow. */
static void
test_unread (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyPageQuery unread = { .direction = -1, .limit = 100, .unread_only = TRUE };
  gint64 ann;

  g_ptr_array_add (batch, make_message (fixture->channel, "a1", "ann", PICKY_DIRECTION_IN, "one", T0));
  g_ptr_array_add (batch, make_message (fixture->channel, "a2", "ann", PICKY_DIRECTION_IN, "two", T0 + 1));
  g_ptr_array_add (batch, make_message (fixture->channel, "a3", "ann", PICKY_DIRECTION_OUT, "reply", T0 + 2));
  g_ptr_array_add (batch, make_message (fixture->channel, "b1", "ben", PICKY_DIRECTION_IN, "hi", T0 + 3));
  ingest (fixture, batch);
  g_assert_true (picky_message_get_unread (batch->pdata[0]));
  g_assert_false (picky_message_get_unread (batch->pdata[2]));
  ann = picky_message_get_contact_id (batch->pdata[0]);

  page = list (fixture, &unread);
  g_assert_cmpuint (page->len, ==, 3);
  g_clear_pointer (&page, g_ptr_array_unref);

  picky_store_mark_read_async (fixture->store, ann, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpint (picky_store_mark_read_finish (fixture->store, picky_test_wait_result (&result), &error), ==, 2);
  g_assert_no_error (error);
  g_clear_object (&result);

  page = list (fixture, &unread);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (picky_message_get_text (page->pdata[0]), ==, "hi");
  g_assert_true (picky_message_get_unread (page->pdata[0]));

  /* Once more: nothing left to mark. */
  picky_store_mark_read_async (fixture->store, ann, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpint (picky_store_mark_read_finish (fixture->store, picky_test_wait_result (&result), &error), ==, 0);
}

/* A reply's row moves queued → failed → queued → sent, keeps its id, and
 * takes the provider's key so the provider's later reports find it. */
static void
test_outgoing (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyMessage) stored = NULL;
  PickyPageQuery query = { .direction = -1, .limit = 100 };
  PickyMessage *status;
  gint64 id;

  g_signal_connect (fixture->store, "messages-changed", G_CALLBACK (picky_test_collect_cb), seen);
  g_ptr_array_add (batch, make_message (fixture->channel, "local:1", "ann", PICKY_DIRECTION_OUT, "On its way", T0));
  ingest (fixture, batch);
  id = picky_message_get_id (batch->pdata[0]);

  picky_store_update_outgoing_async (fixture->store, id, PICKY_MESSAGE_STATUS_FAILED, NULL,
                                     "The server did not answer", NULL, picky_test_got_result_cb, &result);
  stored = picky_store_update_outgoing_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpint (picky_message_get_status (stored), ==, PICKY_MESSAGE_STATUS_FAILED);
  g_assert_cmpstr (picky_message_get_error (stored), ==, "The server did not answer");
  g_clear_object (&stored);

  picky_store_update_outgoing_async (fixture->store, id, PICKY_MESSAGE_STATUS_QUEUED, NULL, NULL,
                                     NULL, picky_test_got_result_cb, &result);
  g_clear_object (&stored);
  stored = picky_store_update_outgoing_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_clear_object (&result);
  g_assert_cmpint (picky_message_get_status (stored), ==, PICKY_MESSAGE_STATUS_QUEUED);
  g_assert_null (picky_message_get_error (stored));
  g_clear_object (&stored);

  picky_store_update_outgoing_async (fixture->store, id, PICKY_MESSAGE_STATUS_SENT, "ann:77", NULL,
                                     NULL, picky_test_got_result_cb, &result);
  stored = picky_store_update_outgoing_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_cmpint (picky_message_get_id (stored), ==, id);
  g_assert_cmpstr (picky_message_get_provider_key (stored), ==, "ann:77");

  /* The provider's delivery report finds the row by its key. */
  g_ptr_array_set_size (batch, 0);
  status = picky_message_new ();
  picky_message_set_op (status, PICKY_MESSAGE_OP_STATUS);
  picky_message_set_channel_id (status, fixture->channel);
  picky_message_set_provider_key (status, "ann:77");
  picky_message_set_status (status, PICKY_MESSAGE_STATUS_DELIVERED);
  g_ptr_array_add (batch, status);
  ingest (fixture, batch);

  all = list (fixture, &query);
  g_assert_cmpuint (all->len, ==, 1);
  g_assert_cmpint (picky_message_get_status (all->pdata[0]), ==, PICKY_MESSAGE_STATUS_DELIVERED);

  /* Each change was announced: three recorded sends and the report. */
  while (seen->len < 4)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (picky_message_get_id (seen->pdata[3]), ==, id);
  g_assert_cmpint (picky_message_get_status (seen->pdata[3]), ==, PICKY_MESSAGE_STATUS_DELIVERED);
  g_signal_handlers_disconnect_by_data (fixture->store, seen);

  /* An incoming message is no reply. */
  g_ptr_array_set_size (batch, 0);
  g_ptr_array_add (batch, make_message (fixture->channel, "in:1", "ann", PICKY_DIRECTION_IN, "thanks", T0 + 5));
  ingest (fixture, batch);
  picky_store_update_outgoing_async (fixture->store, picky_message_get_id (batch->pdata[0]),
                                     PICKY_MESSAGE_STATUS_SENT, NULL, NULL, NULL, picky_test_got_result_cb, &result);
  g_clear_object (&stored);
  stored = picky_store_update_outgoing_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_null (stored);
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
}

static void
test_get_message (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyMessage) message = NULL;

  g_ptr_array_add (batch, make_message (fixture->channel, "k1", "ann", PICKY_DIRECTION_IN, "Hallo", T0));
  picky_message_set_contact_name (batch->pdata[0], "Ann Example");
  ingest (fixture, batch);

  picky_store_get_message_async (fixture->store, picky_message_get_id (batch->pdata[0]), NULL, picky_test_got_result_cb, &result);
  message = picky_store_get_message_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (picky_message_get_text (message), ==, "Hallo");
  g_assert_cmpstr (picky_message_get_contact_name (message), ==, "Ann Example");
  g_assert_cmpstr (picky_message_get_app (message), ==, "telegram");
  g_clear_object (&result);

  picky_store_get_message_async (fixture->store, 4242, NULL, picky_test_got_result_cb, &result);
  g_assert_null (picky_store_get_message_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
}

typedef struct {
  guint calls;
  guint position;
  guint removed;
  guint added;
} Changes;

static void
on_items_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     Changes    *changes)
{
  changes->calls++;
  changes->position = position;
  changes->removed = removed;
  changes->added = added;
}

static void
wait_loaded (PickyMessageList *list)
{
  while (picky_message_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
}

/* Pages on demand, never all rows; a batch lands in one items-changed, in
 * order even when it holds an older message among newer ones. */
static void
test_list_live (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PickyMessageList) list = picky_message_list_new (fixture->store, PICKY_DIRECTION_IN);
  g_autoptr(PickyMessage) first = NULL;
  Changes changes = { 0, };

  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *key = g_strdup_printf ("m%u", i);

      g_ptr_array_add (batch, make_message (fixture->channel, key, i % 2 ? "ann" : "ben", PICKY_DIRECTION_IN,
                                            i % 10 == 0 ? "invoice due" : "hello", T0 + 10 * i));
    }
  ingest (fixture, batch);

  picky_message_list_set_filter (list, NULL, 0, FALSE, NULL);
  wait_loaded (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 100);
  first = g_list_model_get_item (G_LIST_MODEL (list), 99);
  /* Asking for a row near the end fetched the next page. */
  wait_loaded (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 200);
  g_clear_object (&first);

  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed_cb), &changes);
  g_ptr_array_set_size (batch, 0);
  g_ptr_array_add (batch, make_message (fixture->channel, "n1", "ann", PICKY_DIRECTION_IN, "new one", T0 + 100000));
  g_ptr_array_add (batch, make_message (fixture->channel, "n2", "ann", PICKY_DIRECTION_IN, "new two", T0 + 100001));
  g_ptr_array_add (batch, make_message (fixture->channel, "n3", "ann", PICKY_DIRECTION_OUT, "a reply", T0 + 100002));
  ingest (fixture, batch);
  while (changes.calls == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (changes.calls, ==, 1);
  g_assert_cmpuint (changes.position, ==, 0);
  g_assert_cmpuint (changes.removed, ==, 0);
  g_assert_cmpuint (changes.added, ==, 2);
  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpstr (picky_message_get_text (first), ==, "new two");
  g_clear_object (&first);

  /* A late arrival among loaded rows: one change spanning where it went. */
  changes.calls = 0;
  g_ptr_array_set_size (batch, 0);
  g_ptr_array_add (batch, make_message (fixture->channel, "late", "ben", PICKY_DIRECTION_IN, "late", T0 + 9985));
  ingest (fixture, batch);
  while (changes.calls == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (changes.added, ==, changes.removed + 1);
  first = g_list_model_get_item (G_LIST_MODEL (list), changes.position);
  g_assert_cmpstr (picky_message_get_text (first), ==, "late");
  g_clear_object (&first);
  g_signal_handlers_disconnect_by_data (list, &changes);

  /* Filters: search and unread combine. */
  picky_message_list_set_filter (list, (const char *[]) { "telegram", NULL }, fixture->channel, FALSE, "invoice");
  wait_loaded (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 100);
  while (!picky_message_list_get_complete (list))
    {
      picky_message_list_load_more (list);
      wait_loaded (list);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 100);
  picky_message_list_set_filter (list, (const char *[]) { "whatsapp", NULL }, 0, FALSE, NULL);
  wait_loaded (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  /* Chips add up: any of the apps chosen. */
  picky_message_list_set_filter (list, (const char *[]) { "whatsapp", "telegram", NULL }, 0, FALSE, "invoice");
  wait_loaded (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 100);
  picky_message_list_set_filter (list, (const char *[]) { "whatsapp", "viber", NULL }, 0, FALSE, NULL);
  wait_loaded (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
}

/* The message at @position, read again from the store if its page was
 * dropped: a blank stands in until items-changed says it arrived. */
static PickyMessage *
get_loaded (PickyMessageList *list,
            guint             position)
{
  PickyMessage *message = g_list_model_get_item (G_LIST_MODEL (list), position);

  while (picky_message_get_id (message) == 0)
    {
      g_object_unref (message);
      g_main_context_iteration (NULL, TRUE);
      message = g_list_model_get_item (G_LIST_MODEL (list), position);
    }

  return message;
}

/* Scrolling far keeps only a bounded window of messages; rows scrolled away
 * from come back from the store at the same positions, also after a live
 * row moved them all down by one. */
static void
test_list_bounded (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PickyMessageList) list = picky_message_list_new (fixture->store, PICKY_DIRECTION_IN);
  g_autoptr(PickyMessage) blank = NULL;
  Changes changes = { 0, };
  guint max_resident = 0;
  guint n;

  for (guint i = 0; i < 3000; i++)
    {
      g_autofree char *key = g_strdup_printf ("m%u", i);

      g_ptr_array_add (batch, make_message (fixture->channel, key, i % 3 ? "ann" : "ben", PICKY_DIRECTION_IN,
                                            key, T0 + 10 * i));
    }
  ingest (fixture, batch);

  picky_message_list_set_filter (list, NULL, 0, FALSE, NULL);
  wait_loaded (list);
  for (guint position = 0; position < 3000; position++)
    {
      g_autoptr(PickyMessage) message = get_loaded (list, position);
      g_autofree char *expected = g_strdup_printf ("m%u", 2999 - position);

      g_assert_cmpstr (picky_message_get_text (message), ==, expected);
      wait_loaded (list);
      max_resident = MAX (max_resident, picky_message_list_get_n_resident (list));
    }
  g_assert_true (picky_message_list_get_complete (list));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3000);
  g_assert_cmpuint (max_resident, <=, 1100);
  g_assert_cmpuint (picky_message_list_get_n_resident (list), <, 3000);

  /* The top was dropped: a blank stands in, and a live row still goes to
   * the top without reading it. */
  blank = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpint (picky_message_get_id (blank), ==, 0);
  g_ptr_array_set_size (batch, 0);
  g_ptr_array_add (batch, make_message (fixture->channel, "live", "ann", PICKY_DIRECTION_IN, "live", T0 + 100000));
  ingest (fixture, batch);
  n = g_list_model_get_n_items (G_LIST_MODEL (list));
  while (n == 3000)
    {
      g_main_context_iteration (NULL, TRUE);
      n = g_list_model_get_n_items (G_LIST_MODEL (list));
    }
  g_assert_cmpuint (n, ==, 3001);

  /* Pages read again fill their blanks in place: a view is told nothing
   * moved, so it keeps its rows and its place. */
  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed_cb), &changes);
  for (guint position = 0; position < 3001; position += 7)
    {
      g_autoptr(PickyMessage) message = get_loaded (list, 3000 - position);
      g_autofree char *expected = g_strdup_printf ("m%u", position);

      g_assert_cmpstr (picky_message_get_text (message), ==, expected);
      g_assert_cmpuint (picky_message_list_get_n_resident (list), <=, 1100);
    }
  {
    g_autoptr(PickyMessage) top = get_loaded (list, 0);

    g_assert_cmpstr (picky_message_get_text (top), ==, "live");
  }
  g_assert_cmpuint (changes.calls, ==, 0);
  g_signal_handlers_disconnect_by_data (list, &changes);
}

/* What a list view holds of the model: the messages it was given, kept
 * as they are until an items-changed says otherwise. A blank it was given
 * must be filled in place. */
typedef struct {
  GListModel *model;
  GPtrArray  *items;              /* PickyMessage */
  guint       depth;              /* items-changed being handled */
} Mirror;

static void
on_mirror_changed_cb (GListModel *model,
                      guint       position,
                      guint       removed,
                      guint       added,
                      Mirror     *mirror)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  /* A model must not change again while it announces a change. */
  g_assert_cmpuint (mirror->depth, ==, 0);
  mirror->depth++;

  g_assert_cmpuint (position + removed, <=, mirror->items->len);
  g_ptr_array_remove_range (mirror->items, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (mirror->items, position + i, g_list_model_get_item (model, position + i));
  g_assert_cmpuint (mirror->items->len, ==, g_list_model_get_n_items (model));

  /* No message shows twice: a view keys the rows it reuses by item. */
  for (guint i = 0; i < mirror->items->len; i++)
    {
      PickyMessage *item = mirror->items->pdata[i];
      gint64 id = picky_message_get_id (item);

      if (id != 0)
        g_assert_true (g_hash_table_add (seen, g_memdup2 (&id, sizeof id)));
    }

  mirror->depth--;
}

/* Rows the view holds must still be what the model holds: a row may only
 * move or be replaced with an items-changed that says so. */
static void
check_mirror (Mirror *mirror)
{
  g_assert_cmpuint (mirror->items->len, ==, g_list_model_get_n_items (mirror->model));
  for (guint i = 0; i < mirror->items->len; i++)
    {
      gint64 held = picky_message_get_id (mirror->items->pdata[i]);
      g_autoptr(PickyMessage) message = NULL;

      if (held == 0)
        continue;
      message = g_list_model_get_item (mirror->model, i);
      if (picky_message_get_id (message) != 0)
        g_assert_cmpint (picky_message_get_id (message), ==, held);
    }
}

/* Live batches at random places among rows that are resident, dropped or
 * being read again, with a view looking here and there in between: every
 * change is announced consistently, and in the end the list holds exactly
 * the store's incoming messages, newest first. */
static void
test_list_consistent (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PickyMessageList) messages = picky_message_list_new (fixture->store, PICKY_DIRECTION_IN);
  g_autoptr(GPtrArray) truth = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261124);
  Mirror mirror = { G_LIST_MODEL (messages), g_ptr_array_new_with_free_func (g_object_unref), 0 };
  PickyPageQuery everything = { .direction = PICKY_DIRECTION_IN, .limit = 100000 };
  guint n_keys = 0;

  for (guint i = 0; i < 2500; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%u", n_keys++);

      g_ptr_array_add (batch, make_message (fixture->channel, key, i % 5 ? "ann" : "ben", PICKY_DIRECTION_IN,
                                            key, T0 + g_rand_int_range (rand, 0, 100000)));
    }
  ingest (fixture, batch);

  /* The view starts with what the list already holds. */
  on_mirror_changed_cb (G_LIST_MODEL (messages), 0, 0, g_list_model_get_n_items (G_LIST_MODEL (messages)), &mirror);
  g_signal_connect (messages, "items-changed", G_CALLBACK (on_mirror_changed_cb), &mirror);
  picky_message_list_set_filter (messages, NULL, 0, FALSE, NULL);
  wait_loaded (messages);

  for (guint round = 0; round < 120; round++)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (messages));
      guint from = n > 0 ? g_rand_int_range (rand, 0, n) : 0;
      guint size = g_rand_int_range (rand, 1, 8);

      /* A view shows some rows: far down, near the top, at the end. */
      for (guint i = from; i < MIN (n, from + 30); i++)
        g_object_unref (g_list_model_get_item (G_LIST_MODEL (messages), i));

      /* A batch, newest, oldest or anywhere, some of it outgoing. */
      g_ptr_array_set_size (batch, 0);
      for (guint k = 0; k < size; k++)
        {
          g_autofree char *key = g_strdup_printf ("k%u", n_keys++);
          gint64 timestamp = T0 + g_rand_int_range (rand, -1000, 101000);
          PickyDirection direction = g_rand_int_range (rand, 0, 4) == 0 ? PICKY_DIRECTION_OUT : PICKY_DIRECTION_IN;

          g_ptr_array_add (batch, make_message (fixture->channel, key, "ann", direction, key, timestamp));
        }
      ingest (fixture, batch);

      /* Sometimes everything on its way arrives, sometimes not. */
      if (round % 3 == 0)
        while (g_main_context_iteration (NULL, FALSE))
          ;
      if (round % 10 == 0)
        check_mirror (&mirror);
    }

  /* Read every row, as a view scrolling to the end would. */
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (messages)) || !picky_message_list_get_complete (messages); i++)
    {
      if (i >= g_list_model_get_n_items (G_LIST_MODEL (messages)))
        {
          picky_message_list_load_more (messages);
          wait_loaded (messages);
          i--;
          continue;
        }
      g_object_unref (get_loaded (messages, i));
    }
  check_mirror (&mirror);

  truth = list (fixture, &everything);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (messages)), ==, truth->len);
  for (guint i = 0; i < truth->len; i++)
    {
      g_autoptr(PickyMessage) message = get_loaded (messages, i);

      g_assert_cmpstr (picky_message_get_text (message), ==, picky_message_get_text (truth->pdata[i]));
    }
  /* What the view was given shows the same: every blank was filled. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  for (guint i = 0; i < truth->len; i++)
    g_assert_cmpstr (picky_message_get_text (mirror.items->pdata[i]), ==, picky_message_get_text (truth->pdata[i]));

  g_signal_handlers_disconnect_by_data (messages, &mirror);
  g_ptr_array_unref (mirror.items);
}

static void
on_added_thread_cb (PickyStore *store,
                    GPtrArray  *messages,
                    GThread   **thread)
{
  *thread = g_thread_self ();
}

/* messages-added reaches its handlers on the thread of the store's main
 * context even when that thread was busy elsewhere, owning no main loop,
 * when the batch was committed: handlers touch widgets. */
static void
test_added_main_thread (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GThread *handler_thread = NULL;

  g_signal_connect (fixture->store, "messages-added", G_CALLBACK (on_added_thread_cb), &handler_thread);
  g_ptr_array_add (batch, make_message (fixture->channel, "t1", "ann", PICKY_DIRECTION_IN, "hi", T0));
  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &result);

  /* Busy, not iterating: the store's thread commits meanwhile. */
  g_usleep (500 * 1000);
  g_assert_null (handler_thread);

  picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  while (handler_thread == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (handler_thread == g_thread_self ());
  g_signal_handlers_disconnect_by_data (fixture->store, &handler_thread);
}

/* The version 2 fixture migrates with every old message read. */
static void
test_migrate_unread (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *sql_path = g_test_build_filename (G_TEST_DIST, "data", "store-v2.sql", NULL);
  g_autofree char *path = g_build_filename (fixture->dir, "v2.db", NULL);
  g_autofree char *sql = NULL;
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  PickyPageQuery unread = { .direction = -1, .limit = 100, .unread_only = TRUE };
  sqlite3 *db = NULL;

  g_assert_true (g_file_get_contents (sql_path, &sql, NULL, NULL));
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  picky_store_open_async (path, fixture->cipher, NULL, picky_test_got_result_cb, &result);
  store = picky_store_open_finish (picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  picky_store_list_messages_async (store, &unread, NULL, picky_test_got_result_cb, &result);
  page = picky_store_list_messages_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 0);
  picky_store_close (store);
  g_unlink (path);
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/picky/store/inbox/unread", test_unread);
  ADD ("/picky/store/inbox/outgoing", test_outgoing);
  ADD ("/picky/store/inbox/get-message", test_get_message);
  ADD ("/picky/store/inbox/list-bounded", test_list_bounded);
  ADD ("/picky/store/inbox/list-live", test_list_live);
  ADD ("/picky/store/inbox/list-consistent", test_list_consistent);
  ADD ("/picky/store/inbox/added-main-thread", test_added_main_thread);
  ADD ("/picky/store/inbox/migrate-unread", test_migrate_unread);

  return g_test_run ();
}
