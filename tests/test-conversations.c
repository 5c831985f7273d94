/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Conversations: the table kept with the messages, its operations and filters, the list model. */

#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "picky-conversation-list.h"
#include "picky-search-key.h"
#include "picky-store-private.h"
#include "picky-store.h"
#include "picky-test-util.h"

#define T0 1770000000

typedef struct {
  char        *dir;
  char        *path;
  PickyCipher *cipher;
  PickyStore  *store;
  gint64       telegram;
  gint64       whatsapp;
  GPtrArray   *emissions;        /* GPtrArray of PickyConversation, one per conversations-changed */
} Fixture;

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
  picky_message_set_received (message, timestamp);
  /* Ours as the provider reports a reply sent from the phone: gone out. */
  if (direction == PICKY_DIRECTION_OUT)
    picky_message_set_status (message, PICKY_MESSAGE_STATUS_SENT);
  return message;
}

static PickyMessage *
make_reaction (gint64      channel,
               const char *key,
               const char *contact,
               const char *to_key,
               gint64      timestamp)
{
  PickyMessage *message = make_message (channel, key, contact, PICKY_DIRECTION_IN, "👍", timestamp);

  picky_message_set_kind (message, PICKY_MESSAGE_KIND_REACTION);
  picky_message_set_related_key (message, to_key);
  return message;
}

/* Drains what the worker handed to the main context: the signals of a
 * write are queued before its result. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
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
  drain ();
}

static void
ingest_one (Fixture      *fixture,
            PickyMessage *message)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (batch, message);
  ingest (fixture, batch);
}

static GPtrArray *
list (Fixture                      *fixture,
      const PickyConversationQuery *query)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *page;

  picky_store_list_conversations_async (fixture->store, query, NULL, picky_test_got_result_cb, &result);
  page = picky_store_list_conversations_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return page;
}

static GPtrArray *
list_filter (Fixture                 *fixture,
             PickyConversationFilter  filter)
{
  PickyConversationQuery query = { .filter = filter, .limit = 1000 };

  return list (fixture, &query);
}

static PickyConversation *
get_conversation (Fixture  *fixture,
                  gint64    id,
                  GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  picky_store_get_conversation_async (fixture->store, id, NULL, picky_test_got_result_cb, &result);
  return picky_store_get_conversation_finish (fixture->store, picky_test_wait_result (&result), error);
}

static gboolean
set_done (Fixture   *fixture,
          gint64     id,
          gboolean   done,
          GError   **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  gboolean ok;

  picky_store_set_conversation_done_async (fixture->store, id, done, NULL, picky_test_got_result_cb, &result);
  ok = picky_store_set_conversation_done_finish (fixture->store, picky_test_wait_result (&result), error);
  drain ();
  return ok;
}

static void
mark_unread (Fixture *fixture,
             gint64   id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_store_mark_conversation_unread_async (fixture->store, id, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_mark_conversation_unread_finish (fixture->store, picky_test_wait_result (&result),
                                                              &error));
  g_assert_no_error (error);
  drain ();
}

static gint64
mark_conversation_read (Fixture *fixture,
                        gint64   id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 count;

  picky_store_mark_conversation_read_async (fixture->store, id, NULL, picky_test_got_result_cb, &result);
  count = picky_store_mark_conversation_read_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  drain ();
  return count;
}

static gint64
mark_contact_read (Fixture *fixture,
                   gint64   contact_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 count;

  picky_store_mark_read_async (fixture->store, contact_id, NULL, picky_test_got_result_cb, &result);
  count = picky_store_mark_read_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  drain ();
  return count;
}

static void
update_outgoing (Fixture            *fixture,
                 gint64              id,
                 PickyMessageStatus  status)
{
  g_autoptr(PickyMessage) stored =
    picky_test_update_outgoing (fixture->store, id, status,
                                status == PICKY_MESSAGE_STATUS_FAILED ? "The provider refused it" : NULL);

  drain ();
}

/* One integer read straight from the file, as another program would. */
static gint64
query_int (Fixture    *fixture,
           const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return value;
}

static void
on_conversations_changed_cb (PickyStore *store,
                             GPtrArray  *conversations,
                             Fixture    *fixture)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < conversations->len; i++)
    g_ptr_array_add (copy, g_object_ref (conversations->pdata[i]));
  g_ptr_array_add (fixture->emissions, copy);
}

static gint64
add_channel (PickyStore *store,
             const char *app,
             const char *name)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  picky_store_add_channel_async (store, app, app, name, "{}", NULL, picky_test_got_result_cb, &result);
  id = picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return id;
}

static PickyStore *
open_store (const char   *path,
            PickyCipher  *cipher,
            GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &result);
  return picky_store_open_finish (picky_test_wait_result (&result), error);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("picky-conversations-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "messages.db", NULL);
  fixture->cipher = picky_test_cipher ();
  fixture->emissions = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);

  fixture->store = open_store (fixture->path, fixture->cipher, &error);
  g_assert_no_error (error);
  g_signal_connect (fixture->store, "conversations-changed", G_CALLBACK (on_conversations_changed_cb), fixture);
  fixture->telegram = add_channel (fixture->store, "telegram", "Support");
  fixture->whatsapp = add_channel (fixture->store, "whatsapp", "Sales");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  picky_store_close (fixture->store);
  drain ();
  g_assert_finalize_object (fixture->store);
  g_clear_object (&fixture->cipher);
  g_ptr_array_unref (fixture->emissions);
  picky_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

static PickyConversation *
find_in (GPtrArray *conversations,
         gint64     contact_id)
{
  for (guint i = 0; i < conversations->len; i++)
    if (picky_conversation_get_contact_id (conversations->pdata[i]) == contact_id)
      return conversations->pdata[i];

  return NULL;
}

/* One row per contact and channel, newest activity first, with the last
 * message's first line, whose it is, the unread count and the wait; a
 * reaction changes none of it. */
static void
test_grouping (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) all = NULL;
  PickyConversation *ann, *ben;
  PickyMessage *named;

  /* A message older than the last one, stored later: it is not the last. */
  g_ptr_array_add (batch, make_message (fixture->telegram, "a1", "ann", PICKY_DIRECTION_IN, "Hello", T0));
  g_ptr_array_add (batch, make_message (fixture->telegram, "a2", "ann", PICKY_DIRECTION_IN, "Where is it?", T0 + 10));
  g_ptr_array_add (batch, make_message (fixture->telegram, "a0", "ann", PICKY_DIRECTION_IN, "Earlier", T0 - 100));
  g_ptr_array_add (batch, make_message (fixture->telegram, "a3", "ann", PICKY_DIRECTION_OUT,
                                        "It comes tomorrow\nKind regards", T0 + 20));
  named = make_message (fixture->telegram, "b1", "ben", PICKY_DIRECTION_IN, "Hi there", T0 + 30);
  picky_message_set_contact_name (named, "Ben Okafor");
  picky_message_set_contact_phone (named, "+49 151 2345678");
  g_ptr_array_add (batch, named);
  ingest (fixture, batch);
  ingest_one (fixture, make_reaction (fixture->telegram, "b2", "ben", "b1", T0 + 500));
  /* The same customer number on another app is another conversation. */
  ingest_one (fixture, make_message (fixture->whatsapp, "w1", "ann", PICKY_DIRECTION_IN, "On WhatsApp", T0 + 5));

  all = list_filter (fixture, PICKY_CONVERSATION_FILTER_ALL);
  g_assert_cmpuint (all->len, ==, 3);
  ben = all->pdata[0];
  ann = all->pdata[1];
  g_assert_cmpint (picky_conversation_get_channel_id (ann), ==, fixture->telegram);
  g_assert_cmpint (picky_conversation_get_channel_id (all->pdata[2]), ==, fixture->whatsapp);
  g_assert_cmpstr (picky_conversation_get_app (all->pdata[2]), ==, "whatsapp");

  g_assert_cmpstr (picky_conversation_get_display_name (ann), ==, "ann");
  g_assert_cmpstr (picky_conversation_get_last_text (ann), ==, "It comes tomorrow");
  g_assert_true (picky_conversation_get_last_is_ours (ann));
  g_assert_cmpint (picky_conversation_get_last_time (ann), ==, T0 + 20);
  g_assert_cmpint (picky_conversation_get_last_message_id (ann), ==, picky_message_get_id (batch->pdata[3]));
  g_assert_cmpuint (picky_conversation_get_unread (ann), ==, 3);
  g_assert_cmpint (picky_conversation_get_waiting_since (ann), ==, 0);
  g_assert_false (picky_conversation_get_done (ann));

  g_assert_cmpstr (picky_conversation_get_display_name (ben), ==, "Ben Okafor");
  g_assert_cmpstr (picky_conversation_get_number (ben), ==, "+49 151 2345678");
  g_assert_cmpstr (picky_conversation_get_provider_id (ben), ==, "ben");
  g_assert_cmpstr (picky_conversation_get_last_text (ben), ==, "Hi there");
  g_assert_false (picky_conversation_get_last_is_ours (ben));
  g_assert_cmpint (picky_conversation_get_last_time (ben), ==, T0 + 30);
  g_assert_cmpuint (picky_conversation_get_unread (ben), ==, 1);
  g_assert_cmpint (picky_conversation_get_waiting_since (ben), ==, T0 + 30);

  /* The customer writes after our reply: waiting from that message on,
   * however many follow. */
  ingest_one (fixture, make_message (fixture->telegram, "a4", "ann", PICKY_DIRECTION_IN, "Thanks", T0 + 40));
  ingest_one (fixture, make_message (fixture->telegram, "a5", "ann", PICKY_DIRECTION_IN, "One more", T0 + 50));
  g_clear_pointer (&all, g_ptr_array_unref);
  all = list_filter (fixture, PICKY_CONVERSATION_FILTER_ALL);
  ann = all->pdata[0];
  g_assert_cmpint (picky_conversation_get_contact_id (ann), ==, picky_message_get_contact_id (batch->pdata[0]));
  g_assert_cmpint (picky_conversation_get_waiting_since (ann), ==, T0 + 40);
  g_assert_false (picky_conversation_get_last_is_ours (ann));
  g_assert_cmpuint (picky_conversation_get_unread (ann), ==, 5);
}

/* The last state conversations-changed told of conversation @id, or NULL. */
static PickyConversation *
last_emitted (Fixture *fixture,
              gint64   id)
{
  for (guint i = fixture->emissions->len; i > 0; i--)
    {
      GPtrArray *emission = fixture->emissions->pdata[i - 1];

      for (guint j = 0; j < emission->len; j++)
        if (picky_conversation_get_id (emission->pdata[j]) == id)
          return emission->pdata[j];
    }

  return NULL;
}

/* A reply that is queued or failed has not reached the customer: they are
 * still waiting, in the list and in the waits reports count, until the
 * reply goes out; then the wait ends at the time it went out. A delivery
 * report that comes after the customer wrote again ends nothing. */
static void
test_failed_reply (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(PickyMessage) reply = make_message (fixture->telegram, "r1", "ann", PICKY_DIRECTION_OUT, "On its way",
                                                T0 + 10);
  g_autoptr(PickyConversation) conversation = NULL;
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id, reply_id, before, after;

  ingest_one (fixture, make_message (fixture->telegram, "a1", "ann", PICKY_DIRECTION_IN, "Where is it?", T0));
  picky_message_set_status (reply, PICKY_MESSAGE_STATUS_QUEUED);
  ingest_one (fixture, g_object_ref (reply));
  reply_id = picky_message_get_id (reply);
  g_assert_cmpint (reply_id, >, 0);

  waiting = list_filter (fixture, PICKY_CONVERSATION_FILTER_WAITING);
  g_assert_cmpuint (waiting->len, ==, 1);
  id = picky_conversation_get_id (waiting->pdata[0]);
  g_assert_true (picky_conversation_get_last_is_ours (waiting->pdata[0]));
  g_assert_cmpint (picky_conversation_get_waiting_since (waiting->pdata[0]), ==, T0);
  g_assert_cmpint (query_int (fixture, "SELECT count (*) FROM waits WHERE ended IS NULL"), ==, 1);

  /* It fails: still waiting since the customer's message. */
  update_outgoing (fixture, reply_id, PICKY_MESSAGE_STATUS_FAILED);
  conversation = get_conversation (fixture, id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (picky_conversation_get_waiting_since (conversation), ==, T0);
  g_clear_object (&conversation);
  g_assert_cmpint (query_int (fixture, "SELECT count (*) FROM waits WHERE ended IS NULL"), ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT count (*) FROM waits WHERE answered = 1"), ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT coalesce (sum (n), 0) FROM response_hours"), ==, 0);

  /* Retried, queued again: still waiting. */
  update_outgoing (fixture, reply_id, PICKY_MESSAGE_STATUS_QUEUED);
  conversation = get_conversation (fixture, id, &error);
  g_assert_cmpint (picky_conversation_get_waiting_since (conversation), ==, T0);
  g_clear_object (&conversation);

  /* Sent: the wait ends now, and the list is told. */
  before = g_get_real_time () / G_USEC_PER_SEC;
  update_outgoing (fixture, reply_id, PICKY_MESSAGE_STATUS_SENT);
  after = g_get_real_time () / G_USEC_PER_SEC;
  conversation = get_conversation (fixture, id, &error);
  g_assert_cmpint (picky_conversation_get_waiting_since (conversation), ==, 0);
  g_clear_object (&conversation);
  g_assert_nonnull (last_emitted (fixture, id));
  g_assert_cmpint (picky_conversation_get_waiting_since (last_emitted (fixture, id)), ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count (*) FROM waits WHERE ended IS NULL"), ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT answered FROM waits"), ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT ended FROM waits"), >=, before);
  g_assert_cmpint (query_int (fixture, "SELECT ended FROM waits"), <=, after);
  g_assert_cmpint (query_int (fixture, "SELECT sum (n) FROM response_hours"), ==, 1);
  g_clear_pointer (&waiting, g_ptr_array_unref);
  waiting = list_filter (fixture, PICKY_CONVERSATION_FILTER_WAITING);
  g_assert_cmpuint (waiting->len, ==, 0);

  /* The customer writes again; the old reply's delivery answers nothing. */
  ingest_one (fixture, make_message (fixture->telegram, "a2", "ann", PICKY_DIRECTION_IN, "Thanks, and?", T0 + 20));
  update_outgoing (fixture, reply_id, PICKY_MESSAGE_STATUS_DELIVERED);
  conversation = get_conversation (fixture, id, &error);
  g_assert_cmpint (picky_conversation_get_waiting_since (conversation), ==, T0 + 20);
  g_assert_cmpint (query_int (fixture, "SELECT count (*) FROM waits WHERE ended IS NULL"), ==, 1);
}

/* Done ends the wait and is kept as a mark; the customer's next message
 * reopens the conversation, our own does not. */
static void
test_done (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GPtrArray) open = NULL;
  g_autoptr(GPtrArray) done = NULL;
  g_autoptr(PickyConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  ingest_one (fixture, make_message (fixture->telegram, "a1", "ann", PICKY_DIRECTION_IN, "Broken", T0));
  ingest_one (fixture, make_message (fixture->telegram, "b1", "ben", PICKY_DIRECTION_IN, "Hi", T0 + 1));
  open = list_filter (fixture, PICKY_CONVERSATION_FILTER_OPEN);
  g_assert_cmpuint (open->len, ==, 2);
  id = picky_conversation_get_id (open->pdata[1]);
  g_clear_pointer (&open, g_ptr_array_unref);

  g_assert_true (set_done (fixture, id, TRUE, &error));
  g_assert_no_error (error);
  open = list_filter (fixture, PICKY_CONVERSATION_FILTER_OPEN);
  done = list_filter (fixture, PICKY_CONVERSATION_FILTER_DONE);
  g_assert_cmpuint (open->len, ==, 1);
  g_assert_cmpuint (done->len, ==, 1);
  g_assert_cmpint (picky_conversation_get_id (done->pdata[0]), ==, id);
  g_assert_true (picky_conversation_get_done (done->pdata[0]));
  g_assert_cmpint (picky_conversation_get_waiting_since (done->pdata[0]), ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count (*) FROM done_marks"), ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT conversation_id FROM done_marks"), ==, id);
  g_assert_cmpint (query_int (fixture, "SELECT time FROM done_marks"), >=, g_get_real_time () / G_USEC_PER_SEC - 60);

  /* Marking it again changes nothing and adds no mark. */
  g_assert_true (set_done (fixture, id, TRUE, &error));
  g_assert_cmpint (query_int (fixture, "SELECT count (*) FROM done_marks"), ==, 1);

  /* Our reply leaves it Done; the customer's next message reopens it. */
  ingest_one (fixture, make_message (fixture->telegram, "a2", "ann", PICKY_DIRECTION_OUT, "Fixed", T0 + 10));
  conversation = get_conversation (fixture, id, &error);
  g_assert_no_error (error);
  g_assert_true (picky_conversation_get_done (conversation));
  g_clear_object (&conversation);
  ingest_one (fixture, make_message (fixture->telegram, "a3", "ann", PICKY_DIRECTION_IN, "Broken again", T0 + 20));
  conversation = get_conversation (fixture, id, &error);
  g_assert_false (picky_conversation_get_done (conversation));
  g_assert_cmpint (picky_conversation_get_waiting_since (conversation), ==, T0 + 20);
  g_clear_object (&conversation);

  /* Done and reopened by hand: the wait stays ended until the customer
   * writes again. */
  g_assert_true (set_done (fixture, id, TRUE, &error));
  g_assert_true (set_done (fixture, id, FALSE, &error));
  g_assert_no_error (error);
  conversation = get_conversation (fixture, id, &error);
  g_assert_false (picky_conversation_get_done (conversation));
  g_assert_cmpint (picky_conversation_get_waiting_since (conversation), ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count (*) FROM done_marks"), ==, 2);

  g_assert_false (set_done (fixture, 9999, TRUE, &error));
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (get_conversation (fixture, 9999, &error));
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
}

/* Read and unread by conversation and by contact, with the messages. */
static void
test_unread (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) unread = NULL;
  g_autoptr(PickyConversation) conversation = NULL;
  gint64 ann_tg, ann_wa, contact;

  g_ptr_array_add (batch, make_message (fixture->telegram, "a1", "ann", PICKY_DIRECTION_IN, "one", T0));
  g_ptr_array_add (batch, make_message (fixture->telegram, "a2", "ann", PICKY_DIRECTION_IN, "two", T0 + 1));
  g_ptr_array_add (batch, make_message (fixture->telegram, "a3", "ann", PICKY_DIRECTION_OUT, "reply", T0 + 2));
  g_ptr_array_add (batch, make_message (fixture->whatsapp, "w1", "ann", PICKY_DIRECTION_IN, "other app", T0 + 3));
  ingest (fixture, batch);
  ingest_one (fixture, make_reaction (fixture->telegram, "a4", "ann", "a3", T0 + 4));
  contact = picky_message_get_contact_id (batch->pdata[0]);

  unread = list_filter (fixture, PICKY_CONVERSATION_FILTER_UNREAD);
  g_assert_cmpuint (unread->len, ==, 2);
  ann_wa = picky_conversation_get_id (unread->pdata[0]);
  ann_tg = picky_conversation_get_id (unread->pdata[1]);
  /* The reaction is not counted. */
  g_assert_cmpuint (picky_conversation_get_unread (unread->pdata[1]), ==, 2);
  g_clear_pointer (&unread, g_ptr_array_unref);

  /* Reading one conversation reads its messages, reactions too, and no others. */
  g_assert_cmpint (mark_conversation_read (fixture, ann_tg), ==, 3);
  unread = list_filter (fixture, PICKY_CONVERSATION_FILTER_UNREAD);
  g_assert_cmpuint (unread->len, ==, 1);
  g_assert_cmpint (picky_conversation_get_id (unread->pdata[0]), ==, ann_wa);
  g_clear_pointer (&unread, g_ptr_array_unref);
  g_assert_cmpint (query_int (fixture, "SELECT count (*) FROM messages WHERE unread = 1"), ==, 1);

  /* Mark as Unread: the customer's newest message, not our reply. */
  mark_unread (fixture, ann_tg);
  conversation = get_conversation (fixture, ann_tg, NULL);
  g_assert_cmpuint (picky_conversation_get_unread (conversation), ==, 1);
  g_clear_object (&conversation);
  g_assert_cmpint (query_int (fixture, "SELECT unread FROM messages WHERE id = 2"), ==, 1);
  /* Twice is once. */
  mark_unread (fixture, ann_tg);
  conversation = get_conversation (fixture, ann_tg, NULL);
  g_assert_cmpuint (picky_conversation_get_unread (conversation), ==, 1);
  g_clear_object (&conversation);

  /* Reading the contact reads their conversation; a contact is one per
   * app, so the same number on WhatsApp is another. */
  g_assert_cmpint (mark_contact_read (fixture, contact), ==, 1);
  unread = list_filter (fixture, PICKY_CONVERSATION_FILTER_UNREAD);
  g_assert_cmpuint (unread->len, ==, 1);
  g_assert_cmpint (picky_conversation_get_id (unread->pdata[0]), ==, ann_wa);
  g_assert_cmpint (query_int (fixture, "SELECT sum (unread) FROM conversations"), ==, 1);

  /* A conversation of only our messages has nothing to mark unread. */
  ingest_one (fixture, make_message (fixture->telegram, "c1", "cat", PICKY_DIRECTION_OUT, "Offer", T0 + 9));
  g_clear_pointer (&unread, g_ptr_array_unref);
  unread = list_filter (fixture, PICKY_CONVERSATION_FILTER_ALL);
  mark_unread (fixture, picky_conversation_get_id (unread->pdata[0]));
  g_assert_cmpint (query_int (fixture, "SELECT sum (unread) FROM conversations"), ==, 1);
}

/* Filters combine with apps and channels; pages continue by keyset. */
static void
test_filters (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) page = NULL;
  const char *whatsapp_only[] = { "whatsapp", NULL };
  const char *both[] = { "telegram", "whatsapp", NULL };
  PickyConversationQuery query = { .filter = PICKY_CONVERSATION_FILTER_ALL, .limit = 1000 };
  gint64 seen_last = G_MAXINT64;
  guint total = 0;

  /* Twelve customers on Telegram, the even ones answered, all at the same
   * second, so that paging needs the id to continue; three on WhatsApp. */
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *key = g_strdup_printf ("t%u", i);
      g_autofree char *reply = g_strdup_printf ("r%u", i);
      g_autofree char *who = g_strdup_printf ("tg%u", i);

      g_ptr_array_add (batch, make_message (fixture->telegram, key, who, PICKY_DIRECTION_IN, "question", T0));
      if (i % 2 == 0)
        g_ptr_array_add (batch, make_message (fixture->telegram, reply, who, PICKY_DIRECTION_OUT, "answer", T0));
    }
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *key = g_strdup_printf ("w%u", i);
      g_autofree char *who = g_strdup_printf ("wa%u", i);

      g_ptr_array_add (batch, make_message (fixture->whatsapp, key, who, PICKY_DIRECTION_IN, "hola", T0 + 100 + i));
    }
  ingest (fixture, batch);

  page = list (fixture, &query);
  g_assert_cmpuint (page->len, ==, 15);
  g_clear_pointer (&page, g_ptr_array_unref);

  query.filter = PICKY_CONVERSATION_FILTER_WAITING;
  page = list (fixture, &query);
  g_assert_cmpuint (page->len, ==, 9);
  g_clear_pointer (&page, g_ptr_array_unref);

  query.apps = whatsapp_only;
  page = list (fixture, &query);
  g_assert_cmpuint (page->len, ==, 3);
  for (guint i = 0; i < page->len; i++)
    g_assert_cmpstr (picky_conversation_get_app (page->pdata[i]), ==, "whatsapp");
  g_assert_cmpint (picky_conversation_get_last_time (page->pdata[0]), ==, T0 + 102);
  g_clear_pointer (&page, g_ptr_array_unref);

  query.apps = both;
  query.channel_id = fixture->telegram;
  page = list (fixture, &query);
  g_assert_cmpuint (page->len, ==, 6);
  g_clear_pointer (&page, g_ptr_array_unref);

  /* Pages of five over everything, in order, each row once. */
  query.apps = NULL;
  query.channel_id = 0;
  query.filter = PICKY_CONVERSATION_FILTER_ALL;
  query.limit = 5;
  for (;;)
    {
      page = list (fixture, &query);
      for (guint i = 0; i < page->len; i++)
        {
          PickyConversation *conversation = page->pdata[i];
          gint64 key = picky_conversation_get_last_time (conversation) * 1000 + picky_conversation_get_id (conversation);

          g_assert_cmpint (key, <, seen_last);
          seen_last = key;
          total++;
        }
      if (page->len < 5)
        break;
      query.before_time = picky_conversation_get_last_time (page->pdata[4]);
      query.before_id = picky_conversation_get_id (page->pdata[4]);
      g_clear_pointer (&page, g_ptr_array_unref);
    }
  g_assert_cmpuint (total, ==, 15);
}

/* One conversations-changed per committed batch, with each changed
 * conversation once, as stored; an edit of the last message is a change. */
static void
test_signal (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PickyMessage) edit = NULL;
  g_autoptr(PickyMessage) old_edit = NULL;
  GPtrArray *emitted;

  g_ptr_array_add (batch, make_message (fixture->telegram, "a1", "ann", PICKY_DIRECTION_IN, "one", T0));
  g_ptr_array_add (batch, make_message (fixture->telegram, "a2", "ann", PICKY_DIRECTION_IN, "two", T0 + 1));
  g_ptr_array_add (batch, make_message (fixture->telegram, "b1", "ben", PICKY_DIRECTION_IN, "hi", T0 + 2));
  ingest (fixture, batch);
  g_assert_cmpuint (fixture->emissions->len, ==, 1);
  emitted = fixture->emissions->pdata[0];
  g_assert_cmpuint (emitted->len, ==, 2);
  g_assert_cmpstr (picky_conversation_get_last_text (emitted->pdata[0]), ==, "hi");
  g_assert_cmpstr (picky_conversation_get_last_text (emitted->pdata[1]), ==, "two");
  g_assert_cmpuint (picky_conversation_get_unread (emitted->pdata[1]), ==, 2);

  /* A redelivery changes nothing and says nothing. */
  ingest_one (fixture, make_message (fixture->telegram, "a1", "ann", PICKY_DIRECTION_IN, "one", T0));
  g_assert_cmpuint (fixture->emissions->len, ==, 1);

  /* The last message edited: its conversation shows the new text. */
  edit = make_message (fixture->telegram, "a2", "ann", PICKY_DIRECTION_IN, "two, edited", T0 + 1);
  picky_message_set_op (edit, PICKY_MESSAGE_OP_EDIT);
  ingest_one (fixture, g_object_ref (edit));
  g_assert_cmpuint (fixture->emissions->len, ==, 2);
  emitted = fixture->emissions->pdata[1];
  g_assert_cmpuint (emitted->len, ==, 1);
  g_assert_cmpstr (picky_conversation_get_last_text (emitted->pdata[0]), ==, "two, edited");

  /* An older one edited: the conversation's row is as it was. */
  old_edit = make_message (fixture->telegram, "a1", "ann", PICKY_DIRECTION_IN, "one, edited", T0);
  picky_message_set_op (old_edit, PICKY_MESSAGE_OP_EDIT);
  ingest_one (fixture, g_object_ref (old_edit));
  g_assert_cmpuint (fixture->emissions->len, ==, 2);

  /* Reads and Done marks are announced too. */
  mark_conversation_read (fixture, picky_conversation_get_id (emitted->pdata[0]));
  g_assert_cmpuint (fixture->emissions->len, ==, 3);
  g_assert_cmpuint (picky_conversation_get_unread (((GPtrArray *) fixture->emissions->pdata[2])->pdata[0]), ==, 0);
  set_done (fixture, picky_conversation_get_id (emitted->pdata[0]), TRUE, NULL);
  g_assert_cmpuint (fixture->emissions->len, ==, 4);
  g_assert_true (picky_conversation_get_done (((GPtrArray *) fixture->emissions->pdata[3])->pdata[0]));
}

static gboolean list_loaded (gpointer data);

/* Erasing a contact takes their conversations and Done marks; a purge
 * takes conversations left without messages and recounts the rest. Both
 * say so through conversations-changed, and an open list follows. */
static void
test_privacy (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 old = now - 40 * 86400;
  gint64 ann;
  gint64 ben_conversation;
  GPtrArray *emitted;
  g_autoptr(PickyConversationList) model = picky_conversation_list_new (fixture->store);

  g_ptr_array_add (batch, make_message (fixture->telegram, "a1", "ann", PICKY_DIRECTION_IN, "old", old));
  g_ptr_array_add (batch, make_message (fixture->telegram, "a2", "ann", PICKY_DIRECTION_IN, "new", now));
  g_ptr_array_add (batch, make_message (fixture->telegram, "b1", "ben", PICKY_DIRECTION_IN, "old only", old));
  g_ptr_array_add (batch, make_message (fixture->telegram, "c1", "cat", PICKY_DIRECTION_IN, "hi", now));
  /* An old reaction of Ann's goes too, but was never counted as unread. */
  g_ptr_array_add (batch, make_message (fixture->telegram, "a0", "ann", PICKY_DIRECTION_IN, "👍", old));
  picky_message_set_kind (batch->pdata[4], PICKY_MESSAGE_KIND_REACTION);
  picky_message_set_related_key (batch->pdata[4], "a1");
  ingest (fixture, batch);
  ann = picky_message_get_contact_id (batch->pdata[0]);
  all = list_filter (fixture, PICKY_CONVERSATION_FILTER_ALL);
  g_assert_cmpuint (all->len, ==, 3);
  set_done (fixture, picky_conversation_get_id (find_in (all, picky_message_get_contact_id (batch->pdata[2]))),
            TRUE, &error);
  g_assert_no_error (error);
  ben_conversation = picky_conversation_get_id (find_in (all, picky_message_get_contact_id (batch->pdata[2])));
  picky_conversation_list_set_filter (model, PICKY_CONVERSATION_FILTER_ALL, NULL, 0);
  g_assert_true (picky_test_wait_until (list_loaded, model, 5000));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 3);
  g_ptr_array_set_size (fixture->emissions, 0);

  picky_store_purge_async (fixture->store, 30, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpint (picky_store_purge_finish (fixture->store, picky_test_wait_result (&result), &error), ==, 3);
  g_assert_no_error (error);
  g_clear_object (&result);
  drain ();

  /* Ben's conversation is announced gone, Ann's with one unread left. */
  g_assert_cmpuint (fixture->emissions->len, ==, 1);
  emitted = fixture->emissions->pdata[0];
  g_assert_cmpuint (emitted->len, ==, 2);
  g_assert_cmpint (picky_conversation_get_contact_id (emitted->pdata[0]), ==, ann);
  g_assert_cmpuint (picky_conversation_get_unread (emitted->pdata[0]), ==, 1);
  g_assert_false (picky_conversation_get_gone (emitted->pdata[0]));
  g_assert_cmpint (picky_conversation_get_id (emitted->pdata[1]), ==, ben_conversation);
  g_assert_true (picky_conversation_get_gone (emitted->pdata[1]));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 2);
  g_assert_false (picky_conversation_list_find (model, ben_conversation, NULL));
  g_clear_pointer (&all, g_ptr_array_unref);
  all = list_filter (fixture, PICKY_CONVERSATION_FILTER_ALL);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_null (find_in (all, picky_message_get_contact_id (batch->pdata[2])));
  g_assert_cmpuint (picky_conversation_get_unread (find_in (all, ann)), ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT count (*) FROM done_marks"), ==, 0);

  set_done (fixture, picky_conversation_get_id (find_in (all, ann)), TRUE, &error);
  g_ptr_array_set_size (fixture->emissions, 0);
  picky_store_erase_contact_async (fixture->store, ann, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_erase_contact_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  drain ();
  g_assert_cmpuint (fixture->emissions->len, ==, 1);
  emitted = fixture->emissions->pdata[0];
  g_assert_cmpuint (emitted->len, ==, 1);
  g_assert_true (picky_conversation_get_gone (emitted->pdata[0]));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1);
  g_clear_pointer (&all, g_ptr_array_unref);
  all = list_filter (fixture, PICKY_CONVERSATION_FILTER_ALL);
  g_assert_cmpuint (all->len, ==, 1);
  g_assert_cmpstr (picky_conversation_get_provider_id (all->pdata[0]), ==, "cat");
  g_assert_cmpint (query_int (fixture, "SELECT count (*) FROM done_marks"), ==, 0);
}

typedef struct {
  guint position;
  guint removed;
  guint added;
} Change;

static void
on_items_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     GArray     *changes)
{
  Change change = { position, removed, added };

  g_array_append_val (changes, change);
}

static gboolean
list_loaded (gpointer data)
{
  return !picky_conversation_list_get_loading (data);
}

/* The model: pages on demand; a new message moves its conversation to the
 * top as one change over the rows down to its old place, keeping the row's
 * object; a batch of several moves is one change too; Done
 * leaves the Open list; a conversation read in the Unread list stays. */
static void
test_list (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PickyConversationList) model = picky_conversation_list_new (fixture->store);
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(PickyConversation) moved = NULL;
  g_autoptr(PickyConversation) top = NULL;
  g_autoptr(PickyConversation) first = NULL;
  Change *change;
  guint position;

  for (guint i = 0; i < 250; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%u", i);
      g_autofree char *who = g_strdup_printf ("c%u", i);

      g_ptr_array_add (batch, make_message (fixture->telegram, key, who, PICKY_DIRECTION_IN, "hello", T0 + i));
    }
  ingest (fixture, batch);

  /* The first page is a screenful, so that a view has few rows to make
   * before its first frame. */
  picky_conversation_list_set_filter (model, PICKY_CONVERSATION_FILTER_OPEN, NULL, 0);
  g_assert_true (picky_test_wait_until (list_loaded, model, 5000));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 40);
  g_assert_false (picky_conversation_list_get_complete (model));

  /* A view near the end reads on, once the main loop has nothing more
   * urgent: the rows a view binds for its first frame do not bring in the
   * next page before that frame. */
  g_clear_object (&first);
  first = g_list_model_get_item (G_LIST_MODEL (model), 30);
  g_assert_true (picky_conversation_list_get_loading (model));
  g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 40);
  g_assert_true (picky_test_wait_until (list_loaded, model, 5000));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 90);
  /* Later pages are smaller and read at once. */
  while (g_list_model_get_n_items (G_LIST_MODEL (model)) < 250)
    {
      guint before = g_list_model_get_n_items (G_LIST_MODEL (model));

      g_clear_object (&first);
      first = g_list_model_get_item (G_LIST_MODEL (model), before - 1);
      g_assert_true (picky_conversation_list_get_loading (model));
      g_assert_true (picky_test_wait_until (list_loaded, model, 5000));
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, MIN (before + 50, 250));
    }
  g_assert_true (picky_conversation_list_get_complete (model));
  g_clear_object (&first);

  /* c100 writes again: it leaves row 149 and comes in on top. */
  moved = g_list_model_get_item (G_LIST_MODEL (model), 149);
  g_assert_cmpstr (picky_conversation_get_provider_id (moved), ==, "c100");
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed_cb), changes);
  ingest_one (fixture, make_message (fixture->telegram, "again", "c100", PICKY_DIRECTION_IN, "still there?", T0 + 1000));
  g_assert_cmpuint (changes->len, ==, 1);
  change = &g_array_index (changes, Change, 0);
  g_assert_cmpuint (change->position, ==, 0);
  g_assert_cmpuint (change->removed, ==, 150);
  g_assert_cmpuint (change->added, ==, 150);
  top = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_assert_true (top == moved);
  g_assert_cmpstr (picky_conversation_get_last_text (top), ==, "still there?");
  g_assert_cmpuint (picky_conversation_get_unread (top), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 250);

  /* Three conversations write in one batch: one change, from the top down
   * to the lowest row that moved; a row between keeps its object, one
   * place lower for the one that came from below it. */
  {
    g_autoptr(GPtrArray) several = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr(PickyConversation) kept = g_list_model_get_item (G_LIST_MODEL (model), 120);
    g_autoptr(PickyConversation) below = NULL;
    const char *movers[] = { "c240", "c200", "c50" };

    for (guint i = 0; i < G_N_ELEMENTS (movers); i++)
      {
        g_autofree char *key = g_strdup_printf ("several%u", i);

        g_ptr_array_add (several, make_message (fixture->telegram, key, movers[i], PICKY_DIRECTION_IN, "news", T0 + 1100 + i));
      }
    g_array_set_size (changes, 0);
    ingest (fixture, several);
    g_assert_cmpuint (changes->len, ==, 1);
    change = &g_array_index (changes, Change, 0);
    /* c50 was at row 199: c100 on top, then c249 down to c101, c99 down. */
    g_assert_cmpuint (change->position, ==, 0);
    g_assert_cmpuint (change->removed, ==, 200);
    g_assert_cmpuint (change->added, ==, 200);
    g_clear_object (&top);
    top = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_assert_cmpstr (picky_conversation_get_provider_id (top), ==, "c50");
    g_clear_object (&top);
    top = g_list_model_get_item (G_LIST_MODEL (model), 3);
    g_assert_true (top == moved);
    below = g_list_model_get_item (G_LIST_MODEL (model), 121);
    g_assert_true (below == kept);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 250);
  }

  /* A change that keeps the order changes no rows. */
  g_array_set_size (changes, 0);
  mark_conversation_read (fixture, picky_conversation_get_id (top));
  g_assert_cmpuint (changes->len, ==, 0);
  g_assert_cmpuint (picky_conversation_get_unread (top), ==, 0);

  /* A new conversation comes in on top. */
  ingest_one (fixture, make_message (fixture->telegram, "new", "newcomer", PICKY_DIRECTION_IN, "hi", T0 + 2000));
  g_assert_cmpuint (changes->len, ==, 1);
  g_assert_cmpuint (g_array_index (changes, Change, 0).position, ==, 0);
  g_assert_cmpuint (g_array_index (changes, Change, 0).added, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 251);

  /* Done leaves the Open list. */
  g_array_set_size (changes, 0);
  set_done (fixture, picky_conversation_get_id (top), TRUE, NULL);
  g_assert_cmpuint (changes->len, ==, 1);
  g_assert_cmpuint (g_array_index (changes, Change, 0).position, ==, 4);
  g_assert_cmpuint (g_array_index (changes, Change, 0).removed, ==, 1);
  g_assert_cmpuint (g_array_index (changes, Change, 0).added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 250);
  g_assert_false (picky_conversation_list_find (model, picky_conversation_get_id (top), NULL));

  /* In the Unread list a conversation read stays until the filter changes. */
  picky_conversation_list_set_filter (model, PICKY_CONVERSATION_FILTER_UNREAD, NULL, 0);
  g_assert_true (picky_test_wait_until (list_loaded, model, 5000));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 40);
  g_clear_object (&first);
  first = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_assert_cmpstr (picky_conversation_get_provider_id (first), ==, "newcomer");
  mark_conversation_read (fixture, picky_conversation_get_id (first));
  g_assert_true (picky_conversation_list_find (model, picky_conversation_get_id (first), &position));
  g_assert_cmpuint (position, ==, 0);
  g_assert_cmpuint (picky_conversation_get_unread (first), ==, 0);

  /* The page the view's prefetch asked for may still come after the test. */
  g_signal_handlers_disconnect_by_data (model, changes);
}

/* Version 8's fixture gets its conversation table built from the messages. */
static void
test_migrate (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *fixture_sql = g_test_build_filename (G_TEST_DIST, "data", "store-v8.sql", NULL);
  g_autofree char *path = g_build_filename (fixture->dir, "v8.db", NULL);
  g_autofree char *sql = NULL;
  g_autoptr(PickyCipher) cipher = NULL;
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  PickyConversationQuery query = { .filter = PICKY_CONVERSATION_FILTER_WAITING };
  guint8 raw[PICKY_CIPHER_KEY_SIZE];
  g_autoptr(GBytes) key = NULL;
  PickyConversation *conversation;
  sqlite3 *db = NULL;
  char *message = NULL;

  /* The key the fixtures were written with. */
  for (guint i = 0; i < sizeof raw; i++)
    raw[i] = i * 7 + 1;
  key = g_bytes_new (raw, sizeof raw);
  cipher = picky_cipher_new (key, &error);
  g_assert_no_error (error);

  g_file_get_contents (fixture_sql, &sql, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_exec (db, sql, NULL, NULL, &message);
  g_assert_cmpstr (message, ==, NULL);
  sqlite3_close (db);

  store = open_store (path, cipher, &error);
  g_assert_no_error (error);
  picky_store_list_conversations_async (store, &query, NULL, picky_test_got_result_cb, &result);
  page = picky_store_list_conversations_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  g_assert_cmpuint (page->len, ==, 1);
  conversation = page->pdata[0];
  g_assert_cmpint (picky_conversation_get_channel_id (conversation), ==, 1);
  g_assert_cmpint (picky_conversation_get_contact_id (conversation), ==, 1);
  g_assert_cmpstr (picky_conversation_get_provider_id (conversation), ==, "1001");
  g_assert_cmpint (picky_conversation_get_last_message_id (conversation), ==, 4);
  g_assert_cmpstr (picky_conversation_get_last_text (conversation), ==, "Danke, angekommen");
  g_assert_false (picky_conversation_get_last_is_ours (conversation));
  g_assert_cmpint (picky_conversation_get_last_time (conversation), ==, 1700002000);
  g_assert_cmpuint (picky_conversation_get_unread (conversation), ==, 1);
  g_assert_cmpint (picky_conversation_get_waiting_since (conversation), ==, 1700002000);
  g_assert_false (picky_conversation_get_done (conversation));

  /* And it is kept from there on: our reply ends the wait. */
  {
    g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr(PickyConversation) after = NULL;

    g_ptr_array_add (batch, make_message (1, "tg:1:9", "1001", PICKY_DIRECTION_OUT, "Gern", 1700003000));
    picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
    picky_store_ingest_finish (store, picky_test_wait_result (&result), &error);
    g_assert_no_error (error);
    g_clear_object (&result);
    picky_store_get_conversation_async (store, picky_conversation_get_id (conversation), NULL,
                                        picky_test_got_result_cb, &result);
    after = picky_store_get_conversation_finish (store, picky_test_wait_result (&result), &error);
    g_assert_no_error (error);
    g_assert_true (picky_conversation_get_last_is_ours (after));
    g_assert_cmpint (picky_conversation_get_waiting_since (after), ==, 0);
    g_assert_cmpint (picky_conversation_get_last_message_id (after), >, 4);
  }

  picky_store_close (store);
  drain ();
}

static GPtrArray *
search_people (Fixture    *fixture,
               const char *text)
{
  PickyConversationQuery query = { .filter = PICKY_CONVERSATION_FILTER_ALL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *found;

  picky_store_search_conversations_async (fixture->store, text, &query, NULL, picky_test_got_result_cb, &result);
  found = picky_store_search_conversations_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return found;
}

static guint
count_people (Fixture    *fixture,
              const char *text)
{
  g_autoptr(GPtrArray) found = search_people (fixture, text);

  return found->len;
}

/* Folding and digits: any case and accent, any spelling of a number. */
static void
test_search_key (void)
{
  g_autofree char *jose = picky_search_key_fold ("  José MARTÍNEZ ");
  g_autofree char *query = picky_search_key_fold ("jose martinez");
  g_autofree char *plus = picky_search_key_digits ("+49 (151) 234-5678");
  g_autofree char *zeros = picky_search_key_digits_query ("0049 151 234");
  g_autofree char *national = picky_search_key_digits_query ("0151/234 56");
  g_autofree char *invalid = picky_search_key_fold ("\xff\xfe broken");
  g_autofree char *not_a_number = picky_search_key_digits_query ("Anna 151");

  g_assert_cmpstr (jose, ==, query);
  g_assert_cmpstr (plus, ==, "491512345678");
  g_assert_cmpstr (zeros, ==, "49151234");
  g_assert_cmpstr (national, ==, "15123456");
  g_assert_nonnull (invalid);
  g_assert_null (not_a_number);
  g_assert_true (picky_search_key_matches (plus, plus, "x", zeros));
  g_assert_true (picky_search_key_matches (plus, plus, "x", national));
  g_assert_false (picky_search_key_matches ("anna", NULL, "ben", NULL));
}

/* People by name or number, and messages by text with their conversation. */
static void
test_search (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyConversationQuery query = { .filter = PICKY_CONVERSATION_FILTER_ALL };
  PickyConversationHit *hit;
  PickyMessage *message;

  message = make_message (fixture->whatsapp, "w1", "4915123456789", PICKY_DIRECTION_IN, "Mi pedido no llegó", T0);
  picky_message_set_contact_name (message, "José Martínez");
  picky_message_set_contact_phone (message, "+49 151 2345 6789");
  g_ptr_array_add (batch, message);
  message = make_message (fixture->telegram, "t1", "anna_s", PICKY_DIRECTION_IN, "Where is my parcel?", T0 + 10);
  picky_message_set_contact_name (message, "Anna Schmidt");
  g_ptr_array_add (batch, message);
  g_ptr_array_add (batch, make_message (fixture->telegram, "t2", "tg777", PICKY_DIRECTION_IN, "parcel lost", T0 + 20));
  g_ptr_array_add (batch, make_message (fixture->telegram, "t3", "anna_s", PICKY_DIRECTION_OUT, "Your parcel comes", T0 + 30));
  ingest (fixture, batch);

  found = search_people (fixture, "anna");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (picky_conversation_get_display_name (found->pdata[0]), ==, "Anna Schmidt");
  g_clear_pointer (&found, g_ptr_array_unref);
  g_assert_cmpuint (count_people (fixture, "JOSE"), ==, 1);
  g_assert_cmpuint (count_people (fixture, "martinez"), ==, 1);
  g_assert_cmpuint (count_people (fixture, "Martínez"), ==, 1);
  g_assert_cmpuint (count_people (fixture, "+49 151 23456789"), ==, 1);
  g_assert_cmpuint (count_people (fixture, "0049-151-2345"), ==, 1);
  g_assert_cmpuint (count_people (fixture, "0151 2345 6789"), ==, 1);
  g_assert_cmpuint (count_people (fixture, "tg777"), ==, 1);
  g_assert_cmpuint (count_people (fixture, "nobody"), ==, 0);
  g_assert_cmpuint (count_people (fixture, "   "), ==, 0);
  g_assert_cmpuint (count_people (fixture, "\xff\xfe"), ==, 0);
  /* Newest first; the channel narrows. */
  found = search_people (fixture, "a");
  g_assert_cmpuint (found->len, ==, 2);
  g_assert_cmpstr (picky_conversation_get_provider_id (found->pdata[0]), ==, "anna_s");
  g_clear_pointer (&found, g_ptr_array_unref);
  query.channel_id = fixture->whatsapp;
  picky_store_search_conversations_async (fixture->store, "a", &query, NULL, picky_test_got_result_cb, &result);
  found = picky_store_search_conversations_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (picky_conversation_get_display_name (found->pdata[0]), ==, "José Martínez");

  /* A new name is found at once. */
  message = make_message (fixture->telegram, "t4", "tg777", PICKY_DIRECTION_IN, "It is me", T0 + 40);
  picky_message_set_contact_name (message, "Zoë Quinn");
  ingest_one (fixture, message);
  g_assert_cmpuint (count_people (fixture, "zoe"), ==, 1);

  /* Messages by text, newest first, each with its conversation. */
  query.channel_id = 0;
  picky_store_search_conversation_messages_async (fixture->store, "parcel", &query, NULL,
                                                  picky_test_got_result_cb, &result);
  hits = picky_store_search_conversation_messages_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (hits->len, ==, 3);
  hit = hits->pdata[0];
  g_assert_cmpstr (picky_message_get_text (hit->message), ==, "Your parcel comes");
  g_assert_cmpint (picky_message_get_id (hit->message), ==, picky_message_get_id (batch->pdata[3]));
  g_assert_cmpstr (picky_conversation_get_display_name (hit->conversation), ==, "Anna Schmidt");
  hit = hits->pdata[1];
  g_assert_cmpstr (picky_conversation_get_display_name (hit->conversation), ==, "Zoë Quinn");
  g_assert_true (((PickyConversationHit *) hits->pdata[2])->conversation == ((PickyConversationHit *) hits->pdata[0])->conversation);

  /* The next page goes on below the last hit. */
  g_clear_pointer (&hits, g_ptr_array_unref);
  query.limit = 1;
  query.before_id = picky_message_get_id (batch->pdata[3]);
  picky_store_search_conversation_messages_async (fixture->store, "parcel", &query, NULL,
                                                  picky_test_got_result_cb, &result);
  hits = picky_store_search_conversation_messages_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpstr (picky_message_get_text (((PickyConversationHit *) hits->pdata[0])->message), ==, "parcel lost");
}

static void
on_progress_cb (double   fraction,
                gpointer user_data)
{
  GArray *fractions = user_data;

  g_array_append_val (fractions, fraction);
}

/* A database of version 8 with thousands of messages: opening it tells how
 * far building the conversations has come, and builds what ingest kept. */
static void
test_migrate_progress (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GArray) fractions = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  sqlite3 *db = NULL;

  for (guint b = 0; b < 12; b++)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < 500; i++)
        {
          g_autofree char *key = g_strdup_printf ("m%u-%u", b, i);
          g_autofree char *who = g_strdup_printf ("c%d", g_rand_int_range (rand, 0, 40));

          g_ptr_array_add (batch, make_message (g_rand_boolean (rand) ? fixture->telegram : fixture->whatsapp, key, who,
                                                g_rand_int_range (rand, 0, 3) == 0 ? PICKY_DIRECTION_OUT
                                                                                   : PICKY_DIRECTION_IN,
                                                "text", T0 + b * 1000 + g_rand_int_range (rand, 0, 2000)));
        }
      ingest (fixture, batch);
    }
  before = list_filter (fixture, PICKY_CONVERSATION_FILTER_ALL);
  g_assert_cmpuint (before->len, >, 40);
  picky_store_close (fixture->store);
  drain ();
  g_clear_object (&fixture->store);

  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, PICKY_TEST_SQL_BACK_TO_V8,
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  picky_store_open_with_progress_async (fixture->path, fixture->cipher, on_progress_cb, fractions, NULL,
                                        picky_test_got_result_cb, &result);
  fixture->store = picky_store_open_finish (picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_test_message ("%u reports, the last %.2f", fractions->len, g_array_index (fractions, double, fractions->len - 1));
  g_assert_cmpuint (fractions->len, >=, 2);
  for (guint i = 1; i < fractions->len; i++)
    g_assert_cmpfloat (g_array_index (fractions, double, i), >, g_array_index (fractions, double, i - 1));
  /* The estimate is within a factor of two of the work. */
  g_assert_cmpfloat (g_array_index (fractions, double, fractions->len - 1), >=, 0.5);
  g_assert_cmpfloat (g_array_index (fractions, double, fractions->len - 1), <=, 0.99);

  after = list_filter (fixture, PICKY_CONVERSATION_FILTER_ALL);
  g_assert_cmpuint (after->len, ==, before->len);
  for (guint i = 0; i < after->len; i++)
    {
      PickyConversation *a = after->pdata[i];
      PickyConversation *b = before->pdata[i];

      g_assert_cmpint (picky_conversation_get_channel_id (a), ==, picky_conversation_get_channel_id (b));
      g_assert_cmpint (picky_conversation_get_contact_id (a), ==, picky_conversation_get_contact_id (b));
      g_assert_cmpint (picky_conversation_get_last_message_id (a), ==, picky_conversation_get_last_message_id (b));
      g_assert_cmpint (picky_conversation_get_last_is_ours (a), ==, picky_conversation_get_last_is_ours (b));
      g_assert_cmpuint (picky_conversation_get_unread (a), ==, picky_conversation_get_unread (b));
      g_assert_cmpint (picky_conversation_get_waiting_since (a), ==, picky_conversation_get_waiting_since (b));
    }
}

/* Many contacts matching: the newest page of them, in order. */
static void
test_search_many (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyConversationQuery query = { .filter = PICKY_CONVERSATION_FILTER_WAITING, .limit = 20 };

  for (guint i = 0; i < 700; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%u", i);
      g_autofree char *who = g_strdup_printf ("id%u", i);
      g_autofree char *name = g_strdup_printf ("Kunde %u", i);
      PickyMessage *message = make_message (fixture->telegram, key, who,
                                            i % 3 == 0 ? PICKY_DIRECTION_OUT : PICKY_DIRECTION_IN, "hallo", T0 + i);

      picky_message_set_contact_name (message, name);
      g_ptr_array_add (batch, message);
    }
  ingest (fixture, batch);

  found = search_people (fixture, "KUNDE");
  g_assert_cmpuint (found->len, ==, 50);
  for (guint i = 0; i < found->len; i++)
    {
      g_autofree char *name = g_strdup_printf ("Kunde %u", 699 - i);

      g_assert_cmpstr (picky_conversation_get_display_name (found->pdata[i]), ==, name);
    }

  /* With a filter: the waiting ones only, newest first. */
  picky_store_search_conversations_async (fixture->store, "kunde", &query, NULL, picky_test_got_result_cb, &result);
  waiting = picky_store_search_conversations_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (waiting->len, ==, 20);
  g_assert_cmpstr (picky_conversation_get_display_name (waiting->pdata[0]), ==, "Kunde 698");
  g_assert_cmpstr (picky_conversation_get_display_name (waiting->pdata[1]), ==, "Kunde 697");
  g_assert_cmpstr (picky_conversation_get_display_name (waiting->pdata[2]), ==, "Kunde 695");

  /* Few match: the same order. */
  g_clear_pointer (&found, g_ptr_array_unref);
  found = search_people (fixture, "kunde 69");
  g_assert_cmpuint (found->len, ==, 11);
  g_assert_cmpstr (picky_conversation_get_display_name (found->pdata[0]), ==, "Kunde 699");
  g_assert_cmpstr (picky_conversation_get_display_name (found->pdata[10]), ==, "Kunde 69");
}

/* ---- The randomized equivalence test ---- */

#define N_CUSTOMERS 6

/* What the test did besides ingesting, in order with the messages: a Done
 * mark or a reopening, or (@sent) a queued reply going out, after the
 * message @after_id was stored. */
typedef struct {
  gint64   channel_id;
  gint64   contact_id;
  gint64   after_id;
  gboolean done;
  gboolean sent;
} Mark;

/* A conversation as a brute-force grouping of the messages sees it. */
typedef struct {
  gint64   channel_id;
  gint64   contact_id;
  gint64   last_time;
  gint64   last_id;
  gboolean last_out;
  guint    unread;
  gint64   waiting_since;
  gboolean done;
  guint    marks;
} Expected;

typedef struct {
  gint64 id;
  gint64 channel_id;
  gint64 contact_id;
  int    direction;
  gboolean reaction;
  gint64 timestamp;
  gboolean unread;
} Row;

static Expected *
expected_for (GArray *expected,
              gint64  channel_id,
              gint64  contact_id)
{
  Expected fresh = { channel_id, contact_id, 0, 0, FALSE, 0, 0, FALSE, 0 };

  for (guint i = 0; i < expected->len; i++)
    {
      Expected *e = &g_array_index (expected, Expected, i);

      if (e->channel_id == channel_id && e->contact_id == contact_id)
        return e;
    }

  g_array_append_val (expected, fresh);
  return &g_array_index (expected, Expected, expected->len - 1);
}

/* Every message, by id, read from the file, with the marks in between:
 * the rules of schema version 9 applied one event at a time. */
static GArray *
brute_force (Fixture    *fixture,
             GArray     *marks,
             GHashTable *queued)
{
  GArray *expected = g_array_new (FALSE, TRUE, sizeof (Expected));
  g_autoptr(GArray) rows = g_array_new (FALSE, TRUE, sizeof (Row));
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  guint m = 0;

  g_assert_cmpint (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT id, channel_id, contact_id, direction, kind = 'reaction',"
                                       " timestamp, unread FROM messages WHERE contact_id IS NOT NULL ORDER BY id",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      Row row = {
        sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 1), sqlite3_column_int64 (stmt, 2),
        sqlite3_column_int (stmt, 3), sqlite3_column_int (stmt, 4) != 0, sqlite3_column_int64 (stmt, 5),
        sqlite3_column_int (stmt, 6) != 0,
      };

      g_array_append_val (rows, row);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  for (guint r = 0; r <= rows->len; r++)
    {
      gint64 upto = r < rows->len ? g_array_index (rows, Row, r).id : G_MAXINT64;

      /* The marks made before this message was stored. */
      for (; m < marks->len && g_array_index (marks, Mark, m).after_id < upto; m++)
        {
          Mark *mark = &g_array_index (marks, Mark, m);
          Expected *e = expected_for (expected, mark->channel_id, mark->contact_id);

          /* A reply that goes out ends the wait, and leaves Done as it is. */
          if (mark->sent)
            {
              e->waiting_since = 0;
              continue;
            }
          if (mark->done && !e->done)
            {
              e->marks++;
              e->waiting_since = 0;
            }
          e->done = mark->done;
        }

      if (r < rows->len)
        {
          Row *row = &g_array_index (rows, Row, r);
          Expected *e;

          if (row->reaction)
            continue;
          e = expected_for (expected, row->channel_id, row->contact_id);
          if (row->timestamp > e->last_time || (row->timestamp == e->last_time && row->id > e->last_id))
            {
              e->last_time = row->timestamp;
              e->last_id = row->id;
              e->last_out = row->direction == PICKY_DIRECTION_OUT;
            }
          e->unread += row->unread;
          if (row->direction == PICKY_DIRECTION_OUT)
            {
              /* A reply stored as queued answers nothing until it is sent. */
              if (!g_hash_table_contains (queued, &row->id))
                e->waiting_since = 0;
            }
          else
            {
              if (e->waiting_since == 0)
                e->waiting_since = row->timestamp;
              e->done = FALSE;
            }
        }
    }

  return expected;
}

static gint64
max_message_id (Fixture *fixture)
{
  return query_int (fixture, "SELECT coalesce (max (id), 0) FROM messages");
}

/* Compares the table, as listed, with the brute force, with what the
 * signals said and with two list models; says what differs, or NULL. */
static char *
compare (Fixture               *fixture,
         GArray                *marks,
         GHashTable            *queued,
         GHashTable            *mirror,
         PickyConversationList *all_model,
         PickyConversationList *open_model)
{
  g_autoptr(GArray) expected = brute_force (fixture, marks, queued);
  g_autoptr(GPtrArray) all = list_filter (fixture, PICKY_CONVERSATION_FILTER_ALL);
  g_autoptr(GPtrArray) open = list_filter (fixture, PICKY_CONVERSATION_FILTER_OPEN);
  guint n_expected = 0;

  for (guint i = 0; i < expected->len; i++)
    n_expected += g_array_index (expected, Expected, i).last_id != 0;
  if (all->len != n_expected)
    return g_strdup_printf ("%u conversations stored, %u expected", all->len, n_expected);

  for (guint i = 0; i < all->len; i++)
    {
      PickyConversation *c = all->pdata[i];
      Expected *e = expected_for (expected, picky_conversation_get_channel_id (c),
                                  picky_conversation_get_contact_id (c));
      PickyConversation *signalled;
      gint64 id = picky_conversation_get_id (c);
      g_autofree char *marks_sql = g_strdup_printf ("SELECT count (*) FROM done_marks WHERE conversation_id = %"
                                                    G_GINT64_FORMAT, id);

      if (picky_conversation_get_last_time (c) != e->last_time ||
          picky_conversation_get_last_message_id (c) != e->last_id ||
          picky_conversation_get_last_is_ours (c) != e->last_out ||
          picky_conversation_get_unread (c) != e->unread ||
          picky_conversation_get_waiting_since (c) != e->waiting_since ||
          picky_conversation_get_done (c) != e->done)
        return g_strdup_printf ("conversation %" G_GINT64_FORMAT " (channel %" G_GINT64_FORMAT ", contact %"
                                G_GINT64_FORMAT "): stored last %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
                                " ours %d unread %u waiting %" G_GINT64_FORMAT " done %d; expected last %"
                                G_GINT64_FORMAT "/%" G_GINT64_FORMAT " ours %d unread %u waiting %"
                                G_GINT64_FORMAT " done %d",
                                id, e->channel_id, e->contact_id,
                                picky_conversation_get_last_time (c), picky_conversation_get_last_message_id (c),
                                picky_conversation_get_last_is_ours (c), picky_conversation_get_unread (c),
                                picky_conversation_get_waiting_since (c), picky_conversation_get_done (c),
                                e->last_time, e->last_id, e->last_out, e->unread, e->waiting_since, e->done);
      if (query_int (fixture, marks_sql) != e->marks)
        return g_strdup_printf ("conversation %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " Done marks, %u expected",
                                id, query_int (fixture, marks_sql), e->marks);

      signalled = g_hash_table_lookup (mirror, &id);
      if (signalled == NULL ||
          picky_conversation_get_last_message_id (signalled) != e->last_id ||
          picky_conversation_get_unread (signalled) != e->unread ||
          picky_conversation_get_waiting_since (signalled) != e->waiting_since ||
          picky_conversation_get_done (signalled) != e->done ||
          g_strcmp0 (picky_conversation_get_last_text (signalled), picky_conversation_get_last_text (c)) != 0)
        return g_strdup_printf ("conversation %" G_GINT64_FORMAT ": conversations-changed did not tell its "
                                "last state", id);
    }

  /* The models, kept by the signals alone, list what the store lists. */
  for (guint k = 0; k < 2; k++)
    {
      GListModel *model = G_LIST_MODEL (k == 0 ? all_model : open_model);
      GPtrArray *listed = k == 0 ? all : open;

      if (g_list_model_get_n_items (model) != listed->len)
        return g_strdup_printf ("the %s model has %u rows, the store lists %u", k == 0 ? "All" : "Open",
                                g_list_model_get_n_items (model), listed->len);
      for (guint i = 0; i < listed->len; i++)
        {
          g_autoptr(PickyConversation) row = g_list_model_get_item (model, i);

          if (picky_conversation_get_id (row) != picky_conversation_get_id (listed->pdata[i]) ||
              picky_conversation_get_last_time (row) != picky_conversation_get_last_time (listed->pdata[i]) ||
              picky_conversation_get_unread (row) != picky_conversation_get_unread (listed->pdata[i]))
            return g_strdup_printf ("row %u of the %s model is conversation %" G_GINT64_FORMAT
                                    ", the store lists %" G_GINT64_FORMAT, i, k == 0 ? "All" : "Open",
                                    picky_conversation_get_id (row),
                                    picky_conversation_get_id (listed->pdata[i]));
        }
    }

  return NULL;
}

static void
on_mirror_cb (PickyStore *store,
              GPtrArray  *conversations,
              GHashTable *mirror)
{
  for (guint i = 0; i < conversations->len; i++)
    {
      PickyConversation *conversation = conversations->pdata[i];
      gint64 id = picky_conversation_get_id (conversation);

      g_hash_table_insert (mirror, g_memdup2 (&id, sizeof id), g_object_ref (conversation));
    }
}

/* After random ingests (out of order, redelivered, reactions, edits),
 * replies (some queued, then failed, retried or sent), reads by contact and
 * by conversation, Mark as Unread, Done and reopen, the table is what
 * grouping the messages gives, step by step.
 * PICKY_TEST_SEED repeats a run. */
static void
test_random (Fixture       *fixture,
             gconstpointer  data)
{
  const char *env = g_getenv ("PICKY_TEST_SEED");
  guint32 seed = env != NULL ? (guint32) g_ascii_strtoull (env, NULL, 10) : g_random_int ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GArray) marks = g_array_new (FALSE, TRUE, sizeof (Mark));
  g_autoptr(GHashTable) mirror = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  /* The replies stored as queued, and those of them not sent yet. */
  g_autoptr(GHashTable) queued = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GArray) pending = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(PickyConversationList) all_model = picky_conversation_list_new (fixture->store);
  g_autoptr(PickyConversationList) open_model = picky_conversation_list_new (fixture->store);
  guint n_keys = 0;

  g_test_message ("seed %u (set PICKY_TEST_SEED=%u to repeat)", seed, seed);
  g_signal_connect (fixture->store, "conversations-changed", G_CALLBACK (on_mirror_cb), mirror);
  picky_conversation_list_set_filter (all_model, PICKY_CONVERSATION_FILTER_ALL, NULL, 0);
  picky_conversation_list_set_filter (open_model, PICKY_CONVERSATION_FILTER_OPEN, NULL, 0);
  g_assert_true (picky_test_wait_until (list_loaded, all_model, 5000));
  g_assert_true (picky_test_wait_until (list_loaded, open_model, 5000));

  for (guint step = 0; step < 400; step++)
    {
      guint op = g_rand_int_range (rand, 0, 100);
      g_autofree char *mismatch = NULL;

      if (op < 60)
        {
          g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
          guint n = g_rand_int_range (rand, 1, 6);

          for (guint i = 0; i < n; i++)
            {
              gint64 channel = g_rand_boolean (rand) ? fixture->telegram : fixture->whatsapp;
              g_autofree char *who = g_strdup_printf ("c%d", g_rand_int_range (rand, 0, N_CUSTOMERS));
              gint64 timestamp = T0 + step * 10 + g_rand_int_range (rand, -200, 30);
              guint kind = g_rand_int_range (rand, 0, 100);
              PickyMessage *message;
              char *key;

              if (kind < 8 && n_keys > 0)
                {
                  /* A redelivery or an edit of a stored message, on its own channel. */
                  const char *old = g_ptr_array_index (keys, g_rand_int_range (rand, 0, n_keys));
                  g_auto(GStrv) parts = g_strsplit (old, "|", 3);

                  message = make_message (g_ascii_strtoll (parts[0], NULL, 10), parts[2], parts[1],
                                          PICKY_DIRECTION_IN, "edited\nsecond line", timestamp);
                  if (kind < 4)
                    picky_message_set_op (message, PICKY_MESSAGE_OP_EDIT);
                  g_ptr_array_add (batch, message);
                  continue;
                }

              key = g_strdup_printf ("k%u-%u", step, i);
              message = make_message (channel, key, who,
                                      g_rand_int_range (rand, 0, 3) == 0 ? PICKY_DIRECTION_OUT : PICKY_DIRECTION_IN,
                                      kind < 50 ? "short" : "first line\nsecond line", timestamp);
              if (kind >= 90)
                {
                  picky_message_set_kind (message, PICKY_MESSAGE_KIND_REACTION);
                  picky_message_set_related_key (message, "k0-0");
                }
              else if (kind >= 85)
                {
                  /* The edit of a message never seen is stored as new. */
                  picky_message_set_op (message, PICKY_MESSAGE_OP_EDIT);
                }
              if (kind < 85 && picky_message_get_direction (message) == PICKY_DIRECTION_OUT &&
                  g_rand_boolean (rand))
                picky_message_set_status (message, PICKY_MESSAGE_STATUS_QUEUED);
              g_ptr_array_add (batch, message);
              if (kind < 85 && picky_message_get_direction (message) == PICKY_DIRECTION_IN)
                {
                  g_ptr_array_add (keys, g_strdup_printf ("%" G_GINT64_FORMAT "|%s|%s", channel, who, key));
                  n_keys++;
                }
              g_free (key);
            }
          ingest (fixture, batch);
          for (guint i = 0; i < batch->len; i++)
            {
              PickyMessage *message = batch->pdata[i];
              gint64 id = picky_message_get_id (message);

              if (picky_message_get_is_new (message) &&
                  picky_message_get_status (message) == PICKY_MESSAGE_STATUS_QUEUED)
                {
                  g_hash_table_add (queued, g_memdup2 (&id, sizeof id));
                  g_array_append_val (pending, id);
                }
            }
        }
      else if (op < 66 && pending->len > 0)
        {
          /* A queued reply fails, is retried, or goes out. */
          guint index = g_rand_int_range (rand, 0, pending->len);
          gint64 id = g_array_index (pending, gint64, index);
          guint outcome = g_rand_int_range (rand, 0, 3);
          g_autofree char *channel_sql = g_strdup_printf ("SELECT channel_id FROM messages WHERE id = %"
                                                          G_GINT64_FORMAT, id);
          g_autofree char *contact_sql = g_strdup_printf ("SELECT contact_id FROM messages WHERE id = %"
                                                          G_GINT64_FORMAT, id);

          update_outgoing (fixture, id, outcome == 0 ? PICKY_MESSAGE_STATUS_SENT
                                        : outcome == 1 ? PICKY_MESSAGE_STATUS_FAILED
                                        : PICKY_MESSAGE_STATUS_QUEUED);
          if (outcome == 0)
            {
              Mark mark = { query_int (fixture, channel_sql), query_int (fixture, contact_sql),
                            max_message_id (fixture), FALSE, TRUE };

              g_array_append_val (marks, mark);
              g_array_remove_index_fast (pending, index);
            }
        }
      else
        {
          g_autoptr(GPtrArray) all = list_filter (fixture, PICKY_CONVERSATION_FILTER_ALL);
          PickyConversation *c;
          gint64 id;

          if (all->len == 0)
            continue;
          c = all->pdata[g_rand_int_range (rand, 0, all->len)];
          id = picky_conversation_get_id (c);

          if (op < 70)
            {
              Mark mark = { picky_conversation_get_channel_id (c), picky_conversation_get_contact_id (c),
                            max_message_id (fixture), g_rand_int_range (rand, 0, 4) != 0, FALSE };

              g_assert_true (set_done (fixture, id, mark.done, NULL));
              g_array_append_val (marks, mark);
            }
          else if (op < 80)
            mark_unread (fixture, id);
          else if (op < 90)
            mark_conversation_read (fixture, id);
          else
            mark_contact_read (fixture, picky_conversation_get_contact_id (c));
        }

      mismatch = compare (fixture, marks, queued, mirror, all_model, open_model);
      if (mismatch != NULL)
        {
          g_test_fail_printf ("seed %u, step %u: %s (set PICKY_TEST_SEED=%u to repeat)", seed, step, mismatch, seed);
          return;
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/picky/conversations/grouping", test_grouping);
  ADD ("/picky/conversations/done", test_done);
  ADD ("/picky/conversations/failed-reply", test_failed_reply);
  ADD ("/picky/conversations/unread", test_unread);
  ADD ("/picky/conversations/filters", test_filters);
  ADD ("/picky/conversations/signal", test_signal);
  ADD ("/picky/conversations/privacy", test_privacy);
  ADD ("/picky/conversations/list", test_list);
  ADD ("/picky/conversations/migrate", test_migrate);
  ADD ("/picky/conversations/migrate-progress", test_migrate_progress);
  ADD ("/picky/conversations/search", test_search);
  ADD ("/picky/conversations/search-many", test_search_many);
  ADD ("/picky/conversations/random", test_random);
  g_test_add_func ("/picky/conversations/search-key", test_search_key);

#undef ADD

  return g_test_run ();
}
