/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The store's conversations: kept with their messages, listed, marked Done, read or unread. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-search-key.h"
#include "picky-store.h"
#include "picky-store-private.h"

/* A conversation with its last message's text and kind. */
#define CONVERSATION_COLUMNS \
  "c.id, c.channel_id, c.contact_id, c.last_time, c.last_message_id, c.last_out, c.unread," \
  " c.waiting_since, c.done, m.text, m.kind"
#define CONVERSATION_FROM \
  " FROM conversations c LEFT JOIN messages m ON m.id = c.last_message_id"
#define CONVERSATION_JOIN " LEFT JOIN messages m ON m.id = c.last_message_id"

/* One conversation by id: what a live webhook's write touched. */
const char picky_store_sql_read_conversation[] =
  "SELECT " CONVERSATION_COLUMNS CONVERSATION_FROM " WHERE c.id = ?1";

/* ---- Worker thread ---- */

static void
conversation_unref0 (gpointer conversation)
{
  if (conversation != NULL)
    g_object_unref (conversation);
}

/* The values are NULL until the ids are read back: then each id's
 * conversation as it was committed. */
GHashTable *
picky_store_conversation_ids_new (void)
{
  return g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, conversation_unref0);
}

static void
ids_add (GHashTable *ids,
         gint64      id)
{
  if (!g_hash_table_contains (ids, &id))
    g_hash_table_insert (ids, g_memdup2 (&id, sizeof id), NULL);
}

/* Notes that the write under way changed @conversation_id, in its own
 * set @ids. */
static void
worker_note_in (PickyStoreWorker *w,
                GHashTable       *ids,
                gint64            conversation_id)
{
  ids_add (ids, conversation_id);
  /* Each write has a set of its own: its group reads them all back at once. */
  if (w->group_touched != NULL &&
      (w->group_touched->len == 0 ||
       g_ptr_array_index (w->group_touched, w->group_touched->len - 1) != ids))
    g_ptr_array_add (w->group_touched, g_hash_table_ref (ids));
}

static void
worker_note_touched (PickyStoreWorker *w,
                     gint64            conversation_id)
{
  if (w->touched != NULL)
    worker_note_in (w, w->touched, conversation_id);
}

/* Notes the conversations a query names (their ids in its first column)
 * in @ids, for a write that changes or drops them outside of ingest. */
gboolean
picky_store_worker_note_conversations (PickyStoreWorker  *w,
                                       GHashTable        *ids,
                                       const char        *sql,
                                       gint64             arg,
                                       GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_prepare (w, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, arg);
  while ((rc = picky_store_worker_step (w, stmt, error)) == SQLITE_ROW)
    {
      ids_add (ids, sqlite3_column_int64 (stmt, 0));
    }
  sqlite3_finalize (stmt);

  return rc != 0;
}

gboolean
picky_store_worker_touch_conversation (PickyStoreWorker   *w,
                                       PickyStoreContact  *contact,
                                       PickyMessage       *message,
                                       GError            **error)
{
  sqlite3_stmt *stmt;
  int rc;

  /* A reaction is no activity: a thumbs-up to our reply asks nothing of
   * anyone, so it neither moves the conversation nor makes anyone wait. */
  if (contact == NULL || picky_message_get_kind (message) == PICKY_MESSAGE_KIND_REACTION)
    return TRUE;

  stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_TOUCH_CONVERSATION);
  sqlite3_bind_int64 (stmt, 1, picky_message_get_channel_id (message));
  sqlite3_bind_int64 (stmt, 2, contact->id);
  sqlite3_bind_int64 (stmt, 3, picky_message_get_timestamp (message));
  sqlite3_bind_int64 (stmt, 4, picky_message_get_id (message));
  sqlite3_bind_int (stmt, 5, picky_message_get_direction (message));
  sqlite3_bind_int (stmt, 6, !picky_message_status_is_pending (picky_message_get_status (message)));
  rc = picky_store_worker_step (w, stmt, error);
  if (rc == SQLITE_ROW)
    worker_note_touched (w, sqlite3_column_int64 (stmt, 0));
  sqlite3_reset (stmt);

  return rc != 0;
}

gboolean
picky_store_worker_reply_sent (PickyStoreWorker    *w,
                               gint64               message_id,
                               PickyMessageStatus   from,
                               PickyMessageStatus   to,
                               GError             **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 channel_id = 0, contact_id = 0;
  PickyStoreChannel *channel;
  PickyStoreContact *contact;
  sqlite3_stmt *stmt;
  gboolean reaction = FALSE;
  int rc;

  /* Only the move out of the outbox answers: a delivery report for a reply
   * sent long ago must not end a wait that began after it. */
  if (!picky_message_status_is_pending (from) || picky_message_status_is_pending (to) ||
      to == PICKY_MESSAGE_STATUS_NONE)
    return TRUE;

  stmt = picky_store_worker_prepare (w,
                                     "SELECT channel_id, contact_id, kind = 'reaction' FROM messages"
                                     " WHERE id = ?1 AND direction = 1 AND contact_id IS NOT NULL",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, message_id);
  rc = picky_store_worker_step (w, stmt, error);
  if (rc == SQLITE_ROW)
    {
      channel_id = sqlite3_column_int64 (stmt, 0);
      contact_id = sqlite3_column_int64 (stmt, 1);
      reaction = sqlite3_column_int (stmt, 2) != 0;
    }
  sqlite3_finalize (stmt);
  if (rc == 0)
    return FALSE;

  channel = g_hash_table_lookup (w->channels, &channel_id);
  contact = picky_store_worker_get_contact (w, contact_id);
  if (rc != SQLITE_ROW || reaction || channel == NULL || contact == NULL)
    return TRUE;

  /* The customer waited until the reply went out, so that is when their
   * wait ends, however long ago it was written or first failed. */
  if (!picky_store_worker_answer_wait (w, channel->app, contact, channel_id, now, error))
    return FALSE;

  stmt = picky_store_worker_prepare (w,
                                     "UPDATE conversations SET waiting_since = NULL"
                                     " WHERE channel_id = ?1 AND contact_id = ?2 AND waiting_since IS NOT NULL"
                                     " RETURNING id",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, channel_id);
  sqlite3_bind_int64 (stmt, 2, contact_id);
  while ((rc = picky_store_worker_step (w, stmt, error)) == SQLITE_ROW)
    worker_note_touched (w, sqlite3_column_int64 (stmt, 0));
  sqlite3_finalize (stmt);

  return rc != 0;
}

gboolean
picky_store_worker_note_edit (PickyStoreWorker   *w,
                              PickyStoreContact  *contact,
                              PickyMessage       *message,
                              GError            **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (contact == NULL || w->touched == NULL)
    return TRUE;

  stmt = picky_store_worker_prepare (w,
                                     "SELECT id FROM conversations WHERE channel_id = ?1"
                                     " AND contact_id = ?2 AND last_message_id = ?3",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, picky_message_get_channel_id (message));
  sqlite3_bind_int64 (stmt, 2, contact->id);
  sqlite3_bind_int64 (stmt, 3, picky_message_get_id (message));
  rc = picky_store_worker_step (w, stmt, error);
  if (rc == SQLITE_ROW)
    worker_note_touched (w, sqlite3_column_int64 (stmt, 0));
  sqlite3_finalize (stmt);

  return rc != 0;
}

gboolean
picky_store_worker_clear_unread (PickyStoreWorker  *w,
                                 gint64             contact_id,
                                 gint64             channel_id,
                                 GError           **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = picky_store_worker_prepare (w,
                                     "UPDATE conversations SET unread = 0"
                                     " WHERE contact_id = ?1 AND (?2 = 0 OR channel_id = ?2)"
                                     " AND unread > 0 RETURNING id",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, contact_id);
  sqlite3_bind_int64 (stmt, 2, channel_id);
  while ((rc = picky_store_worker_step (w, stmt, error)) == SQLITE_ROW)
    worker_note_touched (w, sqlite3_column_int64 (stmt, 0));
  sqlite3_finalize (stmt);

  return rc != 0;
}

/* A conversation from a row of CONVERSATION_COLUMNS, with its contact's
 * details from the worker's cache. */
static PickyConversation *
conversation_from_row (PickyStoreWorker *w,
                       sqlite3_stmt     *stmt)
{
  PickyConversation *conversation = picky_conversation_new ();
  gint64 channel_id = sqlite3_column_int64 (stmt, 1);
  gint64 contact_id = sqlite3_column_int64 (stmt, 2);
  PickyStoreChannel *channel = g_hash_table_lookup (w->channels, &channel_id);
  PickyStoreContact *contact = picky_store_worker_get_contact (w, contact_id);
  PickyMessageKind kind = PICKY_MESSAGE_KIND_UNSUPPORTED;

  picky_conversation_set_id (conversation, sqlite3_column_int64 (stmt, 0));
  picky_conversation_set_channel_id (conversation, channel_id);
  picky_conversation_set_contact_id (conversation, contact_id);
  picky_conversation_set_app (conversation, channel != NULL ? channel->app : NULL);
  if (contact != NULL)
    {
      picky_conversation_set_name (conversation, contact->name);
      picky_conversation_set_number (conversation, contact->phone);
      picky_conversation_set_provider_id (conversation, contact->provider_id);
    }
  picky_conversation_set_last_time (conversation, sqlite3_column_int64 (stmt, 3));
  picky_conversation_set_last_message_id (conversation, sqlite3_column_int64 (stmt, 4));
  picky_conversation_set_last_is_ours (conversation, sqlite3_column_int (stmt, 5) != 0);
  picky_conversation_set_unread (conversation, (guint) sqlite3_column_int64 (stmt, 6));
  picky_conversation_set_waiting_since (conversation, sqlite3_column_int64 (stmt, 7));
  picky_conversation_set_done (conversation, sqlite3_column_int (stmt, 8) != 0);
  picky_conversation_set_last_text (conversation, (const char *) sqlite3_column_text (stmt, 9));
  if (sqlite3_column_type (stmt, 10) != SQLITE_NULL)
    picky_message_kind_from_string ((const char *) sqlite3_column_text (stmt, 10), &kind);
  picky_conversation_set_last_kind (conversation, kind);

  return conversation;
}

/* The conversation @id as stored, or NULL: with NOT_FOUND on @error when
 * there is none. */
static PickyConversation *
worker_load_conversation (PickyStoreWorker  *w,
                          gint64             id,
                          GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_prepare (w, "SELECT " CONVERSATION_COLUMNS CONVERSATION_FROM
                                                   " WHERE c.id = ?1", error);
  PickyConversation *conversation = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, id);
  rc = picky_store_worker_step (w, stmt, error);
  if (rc == SQLITE_ROW)
    conversation = conversation_from_row (w, stmt);
  sqlite3_finalize (stmt);

  if (rc == SQLITE_DONE)
    g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                 _("No conversation with the number %lld exists"), (long long) id);

  return conversation;
}

static int
compare_conversations_cb (gconstpointer a,
                          gconstpointer b)
{
  return picky_conversation_compare (*(PickyConversation **) a, *(PickyConversation **) b);
}

/* The conversations @ids as stored now, by id; one that is gone (purged
 * or erased) as a gone conversation. NULL when they cannot be read. */
static GHashTable *
worker_read_conversations (PickyStoreWorker *w,
                           GHashTable       *ids)
{
  g_autoptr(GHashTable) read = picky_store_conversation_ids_new ();
  GHashTableIter iter;
  gpointer key;

  /* One prepared statement, run for each: a statement written for the
   * set would be parsed again for every group of writes. */
  g_hash_table_iter_init (&iter, ids);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      sqlite3_stmt *stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_READ_CONVERSATION);
      PickyConversation *conversation;
      int rc;

      sqlite3_bind_int64 (stmt, 1, *(gint64 *) key);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        conversation = conversation_from_row (w, stmt);
      else if (rc == SQLITE_DONE)
        {
          /* Gone (purged or erased): announced as gone, so that a list
           * showing it lets it go; it sorts last, having no activity. */
          conversation = picky_conversation_new ();
          picky_conversation_set_id (conversation, *(gint64 *) key);
          picky_conversation_set_gone (conversation, TRUE);
        }
      else
        {
          g_warning ("The changed conversations could not be read: %s", sqlite3_errstr (rc));
          sqlite3_reset (stmt);
          return NULL;
        }
      sqlite3_reset (stmt);
      g_hash_table_insert (read, g_memdup2 (key, sizeof (gint64)), conversation);
    }

  return g_steal_pointer (&read);
}

/* Fills the values of @ids from @read. */
static void
ids_fill (GHashTable *ids,
          GHashTable *read)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, ids);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_hash_table_iter_replace (&iter, g_object_ref (g_hash_table_lookup (read, key)));
}

/* Reads back, before a group's commit, every conversation its writes
 * touched, into each write's set (PickyStoreWorker.group_touched): one
 * statement for the group instead of one per write, and their done
 * functions need no database, so they can run wherever the commit becomes
 * durable. */
gboolean
picky_store_worker_read_back_conversations (PickyStoreWorker  *w,
                                            GPtrArray         *sets,
                                            GError           **error)
{
  g_autoptr(GHashTable) all = picky_store_conversation_ids_new ();
  g_autoptr(GHashTable) read = NULL;
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < sets->len; i++)
    {
      g_hash_table_iter_init (&iter, g_ptr_array_index (sets, i));
      while (g_hash_table_iter_next (&iter, &key, NULL))
        ids_add (all, *(gint64 *) key);
    }
  if (g_hash_table_size (all) == 0)
    return TRUE;

  read = worker_read_conversations (w, all);
  if (read == NULL)
    {
      picky_store_set_sqlite_error (error, w->db, sqlite3_errcode (w->db));
      return FALSE;
    }
  for (guint i = 0; i < sets->len; i++)
    ids_fill (g_ptr_array_index (sets, i), read);

  return TRUE;
}

void
picky_store_worker_emit_conversations (PickyStoreWorker *w,
                                       GTask            *task,
                                       GHashTable       *ids)
{
  g_autoptr(GPtrArray) conversations = NULL;
  GHashTableIter iter;
  gpointer value;

  if (ids == NULL || g_hash_table_size (ids) == 0)
    return;

  /* Not read back with a group (a long operation's own commit): read now,
   * on the worker. */
  g_hash_table_iter_init (&iter, ids);
  g_hash_table_iter_next (&iter, NULL, &value);
  if (value == NULL)
    {
      g_autoptr(GHashTable) read = NULL;

      g_return_if_fail (g_thread_self () == w->thread);
      read = worker_read_conversations (w, ids);

      if (read == NULL)
        return;
      ids_fill (ids, read);
    }

  conversations = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_iter_init (&iter, ids);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (conversations, g_object_ref (value));

  /* Newest first, as a list shows them. */
  g_ptr_array_sort (conversations, compare_conversations_cb);
  picky_store_worker_emit (w, task, PICKY_STORE_SIGNAL_CONVERSATIONS_CHANGED, conversations);
}

typedef struct {
  PickyConversationQuery query;
  GStrv apps;                    /* the query's own copy */
} ListConversationsArgs;

static void
list_conversations_args_free (gpointer data)
{
  ListConversationsArgs *args = data;

  g_strfreev (args->apps);
  g_free (args);
}

/* The index a list is read from, in its order. SQLite's planner, without
 * statistics, would take the channel index for an app and sort the whole
 * app's conversations, or the done index for the few waiting ones; the
 * filter's own index with the channel checked on it costs one page at any
 * depth. Only a channel's open or whole list reads the channel index,
 * where nearly every row is one to show. */
static const char *
conversation_index (const PickyConversationQuery *query)
{
  if (query->channel_id != 0 &&
      (query->filter == PICKY_CONVERSATION_FILTER_ALL || query->filter == PICKY_CONVERSATION_FILTER_OPEN))
    return "conversations_channel";

  switch (query->filter)
    {
    case PICKY_CONVERSATION_FILTER_OPEN:
    case PICKY_CONVERSATION_FILTER_DONE:
      return "conversations_done";
    case PICKY_CONVERSATION_FILTER_WAITING:
      return "conversations_waiting";
    case PICKY_CONVERSATION_FILTER_UNREAD:
      return "conversations_unread";
    case PICKY_CONVERSATION_FILTER_ALL:
    default:
      return "conversations_time";
    }
}

/* "FROM conversations c" read off conversation_index(), with @join. */
static void
append_from (GString                      *sql,
             const PickyConversationQuery *query,
             const char                   *join)
{
  g_string_append_printf (sql, " FROM conversations c INDEXED BY %s%s WHERE 1",
                          conversation_index (query), join);
}

/* A query's filter, apps and channel as SQL over "c", in binding order.
 * The apps become the ids of their channels, from the worker's cache. */
static void
append_filters (PickyStoreWorker             *w,
                GString                      *sql,
                const PickyConversationQuery *query)
{
  switch (query->filter)
    {
    case PICKY_CONVERSATION_FILTER_OPEN:
      g_string_append (sql, " AND c.done = 0");
      break;
    case PICKY_CONVERSATION_FILTER_WAITING:
      g_string_append (sql, " AND c.waiting_since IS NOT NULL AND c.done = 0");
      break;
    case PICKY_CONVERSATION_FILTER_UNREAD:
      g_string_append (sql, " AND c.unread > 0");
      break;
    case PICKY_CONVERSATION_FILTER_DONE:
      g_string_append (sql, " AND c.done = 1");
      break;
    case PICKY_CONVERSATION_FILTER_ALL:
    default:
      break;
    }
  if (query->channel_id != 0)
    {
      /* A unary "+" keeps the planner on the chosen index. */
      g_string_append (sql, g_str_equal (conversation_index (query), "conversations_channel")
                            ? " AND c.channel_id = :channel" : " AND +c.channel_id = :channel");
    }
  if (query->apps != NULL && query->apps[0] != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;
      guint n = 0;

      g_string_append (sql, " AND +c.channel_id IN (");
      g_hash_table_iter_init (&iter, w->channels);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          PickyStoreChannel *channel = value;

          if (channel->app != NULL && g_strv_contains (query->apps, channel->app))
            g_string_append_printf (sql, "%s%" G_GINT64_FORMAT, n++ > 0 ? ", " : "", *(gint64 *) key);
        }
      g_string_append (sql, ")");
    }
}

static void
bind_filters (sqlite3_stmt                 *stmt,
              const PickyConversationQuery *query)
{
  picky_store_bind_named_int64 (stmt, ":channel", query->channel_id);
  picky_store_bind_named_int64 (stmt, ":before_time", query->before_time);
  picky_store_bind_named_int64 (stmt, ":before_id", query->before_id);
  picky_store_bind_named_int64 (stmt, ":limit", query->limit);
}

/* Newest first by (last time, id), each filter read off an index in that
 * order, so that a page costs the same at any depth. */
static void
list_conversations_run (PickyStoreWorker *w,
                        GTask            *task)
{
  ListConversationsArgs *args = g_task_get_task_data (task);
  const PickyConversationQuery *query = &args->query;
  g_autoptr(GPtrArray) conversations = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GString) sql = g_string_new ("SELECT " CONVERSATION_COLUMNS);
  sqlite3_stmt *stmt = NULL;
  int rc;

  append_from (sql, query, CONVERSATION_JOIN);
  append_filters (w, sql, query);
  if (query->before_time != 0 || query->before_id != 0)
    g_string_append (sql, " AND c.last_time <= :before_time"
                          " AND (c.last_time < :before_time OR c.id < :before_id)");
  g_string_append (sql, " ORDER BY c.last_time DESC, c.id DESC LIMIT :limit");

  rc = sqlite3_prepare_v2 (w->db, sql->str, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    bind_filters (stmt, query);
  while (picky_store_next_row (stmt, &rc))
    g_ptr_array_add (conversations, conversation_from_row (w, stmt));
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&conversations), (GDestroyNotify) g_ptr_array_unref);
}

typedef struct {
  PickyConversationQuery query;
  GStrv apps;                    /* the query's own copy */
  char *text;
} SearchConversationsArgs;

static void
search_conversations_args_free (gpointer data)
{
  SearchConversationsArgs *args = data;

  g_strfreev (args->apps);
  g_free (args->text);
  g_free (args);
}

/* Beyond this many matching contacts, the list is walked in its order
 * and each row checked, rather than the contacts' rows read and sorted. */
#define MAX_LISTED_CONTACTS 500

/* The ids of the contacts whose name or number holds the query. Names are
 * sealed in the file, so every contact is read into memory once, with its
 * name and number prepared; a keystroke then only compares. */
static GHashTable *
worker_match_contacts (PickyStoreWorker  *w,
                       const char        *folded_query,
                       const char        *digits_query,
                       GError           **error)
{
  g_autoptr(GHashTable) matched = g_hash_table_new (g_int64_hash, g_int64_equal);
  GHashTableIter iter;
  gpointer value;

  if (!w->contacts_complete)
    {
      if (!picky_store_worker_cache_all_contacts (w, error))
        return NULL;
      w->contacts_complete = TRUE;
    }

  g_hash_table_iter_init (&iter, w->contacts_by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PickyStoreContact *contact = value;

      if (contact->search_folded == NULL)
        {
          g_autofree char *name = picky_search_key_fold (contact->name);
          g_autofree char *id = picky_search_key_fold (contact->provider_id);

          contact->search_folded = g_strconcat (name, "\n", id, NULL);
        }
      if (contact->search_digits == NULL)
        {
          g_autofree char *phone = picky_search_key_digits (contact->phone);
          g_autofree char *id = picky_search_key_digits (contact->provider_id);

          contact->search_digits = g_strconcat (phone, "\n", id, NULL);
        }
      if (picky_search_key_matches (contact->search_folded, contact->search_digits, folded_query, digits_query))
        g_hash_table_add (matched, &contact->id);
    }

  return g_steal_pointer (&matched);
}

/* Conversations whose contact's name or number holds the query, newest
 * first. */
static void
search_conversations_run (PickyStoreWorker *w,
                          GTask            *task)
{
  SearchConversationsArgs *args = g_task_get_task_data (task);
  g_autoptr(GPtrArray) conversations = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) matched = NULL;
  g_autoptr(GString) sql = NULL;
  g_autofree char *folded = picky_search_key_fold (args->text);
  g_autofree char *digits = picky_search_key_digits_query (args->text);
  GError *error = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (*folded == '\0')
    {
      g_task_return_pointer (task, g_steal_pointer (&conversations), (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  matched = worker_match_contacts (w, folded, digits, &error);
  if (matched == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_hash_table_size (matched) == 0)
    {
      g_task_return_pointer (task, g_steal_pointer (&conversations), (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  if (g_hash_table_size (matched) <= MAX_LISTED_CONTACTS)
    {
      GHashTableIter iter;
      gpointer key;
      guint n = 0;

      /* The few contacts' conversations, read by contact and sorted. */
      sql = g_string_new ("SELECT " CONVERSATION_COLUMNS " FROM conversations c INDEXED BY conversations_contact"
                          CONVERSATION_JOIN " WHERE c.contact_id IN (");
      g_hash_table_iter_init (&iter, matched);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_string_append_printf (sql, "%s%" G_GINT64_FORMAT, n++ > 0 ? ", " : "", *(gint64 *) key);
      g_string_append (sql, ")");
      append_filters (w, sql, &args->query);
      g_string_append (sql, " ORDER BY c.last_time DESC, c.id DESC LIMIT :limit");

      rc = sqlite3_prepare_v2 (w->db, sql->str, -1, &stmt, NULL);
      if (rc == SQLITE_OK)
        bind_filters (stmt, &args->query);
      while (picky_store_next_row (stmt, &rc))
        g_ptr_array_add (conversations, conversation_from_row (w, stmt));
      sqlite3_finalize (stmt);
    }
  else
    {
      /* Many match: the list in its order, each row's contact checked,
       * until the page is full. */
      sql = g_string_new ("SELECT " CONVERSATION_COLUMNS);
      append_from (sql, &args->query, CONVERSATION_JOIN);
      append_filters (w, sql, &args->query);
      g_string_append (sql, " ORDER BY c.last_time DESC, c.id DESC");

      rc = sqlite3_prepare_v2 (w->db, sql->str, -1, &stmt, NULL);
      if (rc == SQLITE_OK)
        bind_filters (stmt, &args->query);
      while (conversations->len < args->query.limit && picky_store_next_row (stmt, &rc))
        {
          gint64 contact_id = sqlite3_column_int64 (stmt, 2);

          if (g_hash_table_contains (matched, &contact_id))
            g_ptr_array_add (conversations, conversation_from_row (w, stmt));
        }
      sqlite3_finalize (stmt);
      if (rc == SQLITE_ROW)
        rc = SQLITE_DONE;
    }

  if (rc != SQLITE_DONE)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&conversations), (GDestroyNotify) g_ptr_array_unref);
}

static void
hits_free (gpointer data)
{
  g_ptr_array_unref (data);
}

/* Messages whose text holds every word, newest first by arrival as
 * picky_store_search_async() gives them, each with its conversation. */
static void
search_messages_run (PickyStoreWorker *w,
                     GTask            *task)
{
  SearchConversationsArgs *args = g_task_get_task_data (task);
  g_autoptr(GPtrArray) hits = g_ptr_array_new_with_free_func ((GDestroyNotify) picky_conversation_hit_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  g_autofree char *match = picky_store_build_match (args->text);
  g_autoptr(GString) arm = NULL;
  g_autoptr(GString) sql = NULL;
  g_autoptr(GError) error = NULL;
  PickyConversationQuery filters = args->query;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (match == NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&hits), hits_free);
      return;
    }
  if (!picky_store_worker_index_messages (w, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Paging by arrival: before_id is the last hit's message id. Every
   * index table's hits, merged by the index's row id (the 17th column). */
  filters.before_time = 0;
  arm = g_string_new ("SELECT " PICKY_STORE_MESSAGE_COLUMNS ", c.id, f.rowid FROM messages_fts f"
                      " JOIN messages m ON m.id = f.rowid"
                      " JOIN conversations c ON c.channel_id = m.channel_id AND c.contact_id = m.contact_id"
                      " WHERE messages_fts MATCH :match");
  append_filters (w, arm, &filters);
  if (filters.before_id != 0)
    g_string_append (arm, " AND f.rowid < :before_id");
  sql = g_string_new (NULL);
  picky_store_fts_append_union (sql, arm->str, -1);
  g_string_append (sql, " ORDER BY 17 DESC LIMIT :limit");

  rc = sqlite3_prepare_v2 (w->db, sql->str, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_filters (stmt, &filters);
      sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":match"), match, -1, SQLITE_STATIC);
    }
  while (picky_store_next_row (stmt, &rc))
    {
      PickyConversationHit *hit = g_new0 (PickyConversationHit, 1);
      gint64 id = sqlite3_column_int64 (stmt, 15);
      PickyConversation *conversation = g_hash_table_lookup (seen, &id);

      hit->message = picky_store_worker_message_from_row (w, stmt);
      g_ptr_array_add (hits, hit);
      if (conversation == NULL)
        {
          conversation = worker_load_conversation (w, id, &error);
          if (conversation == NULL)
            break;
          g_hash_table_insert (seen, g_memdup2 (&id, sizeof id), conversation);
        }
      hit->conversation = g_object_ref (conversation);
    }
  sqlite3_finalize (stmt);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (rc != SQLITE_DONE)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&hits), hits_free);
}

typedef struct {
  gint64 conversation_id;
} GetConversationArgs;

static void
get_conversation_run (PickyStoreWorker *w,
                      GTask            *task)
{
  GetConversationArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  PickyConversation *conversation = worker_load_conversation (w, args->conversation_id, &error);

  if (conversation == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, conversation, g_object_unref);
}

/* The channel and contact of conversation @id, or FALSE with NOT_FOUND. */
static gboolean
worker_find_conversation (PickyStoreWorker  *w,
                          gint64             id,
                          gint64            *channel_id,
                          gint64            *contact_id,
                          GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_prepare (w, "SELECT channel_id, contact_id FROM conversations"
                                                   " WHERE id = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, id);
  rc = picky_store_worker_step (w, stmt, error);
  if (rc == SQLITE_ROW)
    {
      *channel_id = sqlite3_column_int64 (stmt, 0);
      *contact_id = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_finalize (stmt);

  if (rc == SQLITE_DONE)
    g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                 _("No conversation with the number %lld exists"), (long long) id);

  return rc == SQLITE_ROW;
}

/* The arguments of the writes on one conversation: Done, unread, read. */
typedef struct {
  gint64 conversation_id;
  gboolean done;
  gint64 count;
  GHashTable *touched;
} ConversationWriteArgs;

static void
conversation_write_args_free (gpointer data)
{
  ConversationWriteArgs *args = data;

  g_clear_pointer (&args->touched, g_hash_table_unref);
  g_free (args);
}

/* A Done mark ends the customer's wait as a reply does: a report starts
 * their next wait with their next message. */
static gboolean
set_done_write (PickyStoreWorker  *w,
                GTask             *task,
                GError           **error)
{
  ConversationWriteArgs *args = g_task_get_task_data (task);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 channel_id, contact_id;
  sqlite3_stmt *stmt;

  if (!worker_find_conversation (w, args->conversation_id, &channel_id, &contact_id, error))
    return FALSE;

  stmt = picky_store_worker_prepare (w,
                                     "UPDATE conversations SET done = ?2,"
                                     " waiting_since = CASE WHEN ?2 THEN NULL ELSE waiting_since END"
                                     " WHERE id = ?1 AND done <> ?2",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, args->conversation_id);
  sqlite3_bind_int (stmt, 2, args->done ? 1 : 0);
  args->count = picky_store_worker_finish (w, stmt, error);
  if (args->count < 0)
    return FALSE;
  if (args->count == 0)
    return TRUE;

  worker_note_in (w, args->touched, args->conversation_id);
  if (!args->done)
    return TRUE;

  stmt = picky_store_worker_prepare (w, "INSERT INTO done_marks (conversation_id, time) VALUES (?1, ?2)",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, args->conversation_id);
  sqlite3_bind_int64 (stmt, 2, now);
  return picky_store_worker_finish (w, stmt, error) >= 0 &&
         picky_store_worker_end_wait (w, contact_id, channel_id, now, error);
}

/* The customer's newest message is marked unread again; the conversation
 * counts it. */
static gboolean
mark_unread_write (PickyStoreWorker  *w,
                   GTask             *task,
                   GError           **error)
{
  ConversationWriteArgs *args = g_task_get_task_data (task);
  gint64 channel_id, contact_id;
  sqlite3_stmt *stmt;

  if (!worker_find_conversation (w, args->conversation_id, &channel_id, &contact_id, error))
    return FALSE;

  stmt = picky_store_worker_prepare (w,
                                     "UPDATE messages SET unread = 1 WHERE unread = 0 AND id ="
                                     " (SELECT id FROM messages WHERE contact_id = ?2 AND channel_id = ?1"
                                     "  AND direction = 0 AND kind <> 'reaction'"
                                     "  ORDER BY timestamp DESC, id DESC LIMIT 1)",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, channel_id);
  sqlite3_bind_int64 (stmt, 2, contact_id);
  args->count = picky_store_worker_finish (w, stmt, error);
  if (args->count <= 0)
    return args->count == 0;

  worker_note_in (w, args->touched, args->conversation_id);
  return picky_store_worker_exec_int (w, "UPDATE conversations SET unread = unread + 1 WHERE id = ?1",
                                      args->conversation_id, error) >= 0;
}

static gboolean
mark_read_write (PickyStoreWorker  *w,
                 GTask             *task,
                 GError           **error)
{
  ConversationWriteArgs *args = g_task_get_task_data (task);
  gint64 channel_id, contact_id;
  sqlite3_stmt *stmt;

  if (!worker_find_conversation (w, args->conversation_id, &channel_id, &contact_id, error))
    return FALSE;

  stmt = picky_store_worker_prepare (w,
                                     "UPDATE messages SET unread = 0"
                                     " WHERE unread = 1 AND contact_id = ?2 AND channel_id = ?1",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, channel_id);
  sqlite3_bind_int64 (stmt, 2, contact_id);
  args->count = picky_store_worker_finish (w, stmt, error);
  if (args->count < 0)
    return FALSE;

  w->touched = args->touched;
  if (!picky_store_worker_clear_unread (w, contact_id, channel_id, error))
    {
      w->touched = NULL;
      return FALSE;
    }
  w->touched = NULL;
  return TRUE;
}

static void
conversation_write_done (PickyStoreWorker *w,
                         GTask            *task)
{
  ConversationWriteArgs *args = g_task_get_task_data (task);

  picky_store_worker_emit_conversations (w, task, args->touched);
  g_task_return_int (task, args->count);
}

/* ---- Main thread ---- */

/**
 * picky_conversation_hit_free:
 *
 * Frees a search hit and lets go of its conversation and message.
 */
void
picky_conversation_hit_free (PickyConversationHit *hit)
{
  if (hit == NULL)
    return;

  g_clear_object (&hit->conversation);
  g_clear_object (&hit->message);
  g_free (hit);
}

/**
 * picky_store_list_conversations_async:
 *
 * A page of conversations, newest activity first, older than (before_time,
 * before_id) when those are set: pass the last conversation's last time
 * and id to get the next page.
 */
void
picky_store_list_conversations_async (PickyStore                   *self,
                                      const PickyConversationQuery *query,
                                      GCancellable                 *cancellable,
                                      GAsyncReadyCallback           callback,
                                      gpointer                      user_data)
{
  ListConversationsArgs *args = g_new0 (ListConversationsArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (query != NULL);

  args->query = *query;
  args->apps = g_strdupv ((char **) query->apps);
  args->query.apps = (const char * const *) args->apps;
  if (args->query.limit == 0)
    args->query.limit = 50;
  task = picky_store_task_new (self, picky_store_list_conversations_async, args,
                               list_conversations_args_free, cancellable, callback, user_data);
  picky_store_queue_job (self, task, list_conversations_run, NULL, NULL);
}

/**
 * picky_store_list_conversations_finish:
 *
 * Returns: (transfer container) (element-type PickyConversation): the page
 */
GPtrArray *
picky_store_list_conversations_finish (PickyStore    *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_get_conversation_async:
 * @conversation_id: the conversation's id, as picky_conversation_get_id()
 *   gives it
 *
 * Reads one conversation, with its contact's details.
 */
void
picky_store_get_conversation_async (PickyStore          *self,
                                    gint64               conversation_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GetConversationArgs *args = g_new0 (GetConversationArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->conversation_id = conversation_id;
  task = picky_store_task_new (self, picky_store_get_conversation_async, args, g_free, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, get_conversation_run, NULL, NULL);
}

/**
 * picky_store_get_conversation_finish:
 *
 * Returns: (transfer full): the conversation, or %NULL with
 *   %PICKY_STORE_ERROR_NOT_FOUND when there is none with that id
 */
PickyConversation *
picky_store_get_conversation_finish (PickyStore    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
queue_conversation_write (PickyStore          *self,
                          gpointer             tag,
                          PickyStoreJobWrite   write,
                          gint64               conversation_id,
                          gboolean             done,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  ConversationWriteArgs *args = g_new0 (ConversationWriteArgs, 1);
  GTask *task;

  args->conversation_id = conversation_id;
  args->done = done;
  args->touched = picky_store_conversation_ids_new ();
  task = picky_store_task_new (self, tag, args, conversation_write_args_free, cancellable, callback,
                               user_data);
  picky_store_queue_job (self, task, NULL, write, conversation_write_done);
}

/**
 * picky_store_set_conversation_done_async:
 * @done: %TRUE to mark it Done, %FALSE to reopen it
 *
 * Marks a conversation Done (resolved), which ends the customer's wait and
 * is kept as a Done mark with the time, or reopens it. The customer's next
 * message reopens it by itself.
 */
void
picky_store_set_conversation_done_async (PickyStore          *self,
                                         gint64               conversation_id,
                                         gboolean             done,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));

  queue_conversation_write (self, picky_store_set_conversation_done_async, set_done_write,
                            conversation_id, done, cancellable, callback, user_data);
}

/**
 * picky_store_set_conversation_done_finish:
 *
 * Returns: %TRUE once stored, also when it already was so; %FALSE with
 *   %PICKY_STORE_ERROR_NOT_FOUND for a conversation that does not exist
 */
gboolean
picky_store_set_conversation_done_finish (PickyStore    *self,
                                          GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_int (G_TASK (result), error) >= 0;
}

void
picky_store_mark_conversation_unread_async (PickyStore          *self,
                                            gint64               conversation_id,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));

  queue_conversation_write (self, picky_store_mark_conversation_unread_async, mark_unread_write,
                            conversation_id, FALSE, cancellable, callback, user_data);
}

/**
 * picky_store_mark_conversation_unread_finish:
 *
 * Returns: %TRUE once stored, also when nothing changed; %FALSE with
 *   %PICKY_STORE_ERROR_NOT_FOUND for a conversation that does not exist
 */
gboolean
picky_store_mark_conversation_unread_finish (PickyStore    *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_int (G_TASK (result), error) >= 0;
}

void
picky_store_mark_conversation_read_async (PickyStore          *self,
                                          gint64               conversation_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));

  queue_conversation_write (self, picky_store_mark_conversation_read_async, mark_read_write,
                            conversation_id, FALSE, cancellable, callback, user_data);
}

/**
 * picky_store_mark_conversation_read_finish:
 *
 * Returns: how many messages were unread, or -1 on error
 */
gint64
picky_store_mark_conversation_read_finish (PickyStore    *self,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

static void
queue_search (PickyStore                   *self,
              gpointer                      tag,
              PickyStoreJobRun              run,
              const char                   *text,
              const PickyConversationQuery *query,
              GCancellable                 *cancellable,
              GAsyncReadyCallback           callback,
              gpointer                      user_data)
{
  SearchConversationsArgs *args = g_new0 (SearchConversationsArgs, 1);
  GTask *task;

  args->query = *query;
  args->apps = g_strdupv ((char **) query->apps);
  args->query.apps = (const char * const *) args->apps;
  if (args->query.limit == 0)
    args->query.limit = 50;
  args->text = g_strdup (text);
  task = picky_store_task_new (self, tag, args, search_conversations_args_free, cancellable, callback,
                               user_data);
  picky_store_queue_job (self, task, run, NULL, NULL);
}

/**
 * picky_store_search_conversations_async:
 * @text: part of a contact's name in any case and with or without accents,
 *   or of their number in any spelling (+49 / 0049 / 0151, spaces, dashes)
 * @query: the filter, apps and channel to search in, and how many at most;
 *   the paging fields are not used
 *
 * Finds conversations by their contact, newest activity first. Names are
 * sealed in the file, so they are matched in memory on the store's thread.
 */
void
picky_store_search_conversations_async (PickyStore                   *self,
                                        const char                   *text,
                                        const PickyConversationQuery *query,
                                        GCancellable                 *cancellable,
                                        GAsyncReadyCallback           callback,
                                        gpointer                      user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (text != NULL);
  g_return_if_fail (query != NULL);

  queue_search (self, picky_store_search_conversations_async, search_conversations_run, text, query,
                cancellable, callback, user_data);
}

/**
 * picky_store_search_conversations_finish:
 *
 * Returns: (transfer container) (element-type PickyConversation): the matches
 */
GPtrArray *
picky_store_search_conversations_finish (PickyStore    *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_search_conversation_messages_async:
 * @text: words that must all occur in a message's text or caption
 * @query: the filter, apps and channel of the conversations searched; a
 *   next page continues below before_id, the last hit's message id
 *
 * Finds messages by their text, newest first by arrival, each with its
 * conversation, so that a view can open the conversation at the message.
 */
void
picky_store_search_conversation_messages_async (PickyStore                   *self,
                                                const char                   *text,
                                                const PickyConversationQuery *query,
                                                GCancellable                 *cancellable,
                                                GAsyncReadyCallback           callback,
                                                gpointer                      user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (text != NULL);
  g_return_if_fail (query != NULL);

  queue_search (self, picky_store_search_conversation_messages_async, search_messages_run, text, query,
                cancellable, callback, user_data);
}

/**
 * picky_store_search_conversation_messages_finish:
 *
 * Returns: (transfer container) (element-type PickyConversationHit): the hits
 */
GPtrArray *
picky_store_search_conversation_messages_finish (PickyStore    *self,
                                                 GAsyncResult  *result,
                                                 GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
