/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The store's messages: ingest, pages, search, reading one and marking read. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-store.h"
#include "picky-store-private.h"

/* ---- Worker thread ---- */

typedef struct {
  GPtrArray *batch;
  gint64 state_channel;
  char *state_key;
  char *state_value;
  GPtrArray *added;
  GHashTable *touched;           /* the conversations the batch changed */
} IngestArgs;

typedef struct {
  PickyPageQuery query;
  GStrv apps;                    /* the query's own copy */
  char *text;
} PageArgs;

static void
ingest_args_free (gpointer data)
{
  IngestArgs *ingest = data;

  g_clear_pointer (&ingest->batch, g_ptr_array_unref);
  g_clear_pointer (&ingest->added, g_ptr_array_unref);
  g_clear_pointer (&ingest->touched, g_hash_table_unref);
  g_free (ingest->state_key);
  g_free (ingest->state_value);
  g_free (ingest);
}

static void
page_args_free (gpointer data)
{
  PageArgs *page = data;

  g_strfreev (page->apps);
  g_free (page->text);
  g_free (page);
}

/* Returns the id of the message with this key hash in this channel, or 0. */
static gint64
worker_find_message (PickyStoreWorker    *w,
                     PickyMessage        *message,
                     const char          *key_hash,
                     PickyMessageStatus  *status,
                     GError             **error)
{
  sqlite3_stmt *stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_FIND_MESSAGE);
  gint64 id = 0;
  int rc;

  sqlite3_bind_int64 (stmt, 1, picky_message_get_channel_id (message));
  sqlite3_bind_text (stmt, 2, key_hash, -1, SQLITE_STATIC);
  rc = picky_store_worker_step (w, stmt, error);
  if (rc == SQLITE_ROW)
    {
      id = sqlite3_column_int64 (stmt, 0);
      if (status != NULL &&
          !picky_message_status_from_string ((const char *) sqlite3_column_text (stmt, 1), status))
        *status = PICKY_MESSAGE_STATUS_NONE;
    }
  sqlite3_reset (stmt);

  return rc == 0 ? -1 : id;
}

/* Seals @value under message @id into @index of @stmt, or binds NULL. */
void
picky_store_worker_bind_sealed (PickyStoreWorker *w,
                                sqlite3_stmt     *stmt,
                                int               index,
                                const char       *value,
                                const char       *column,
                                gint64            id)
{
  g_autoptr(GBytes) sealed = NULL;

  if (value != NULL)
    sealed = picky_cipher_encrypt (w->cipher, value, "messages", column, id);
  picky_store_bind_blob (stmt, index, sealed);
}

static gboolean
worker_insert_message (PickyStoreWorker   *w,
                       const char         *app,
                       PickyStoreContact  *contact,
                       PickyMessage       *message,
                       const char         *key_hash,
                       GError            **error)
{
  sqlite3_stmt *stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_INSERT_MESSAGE);
  PickyMessageStatus status = picky_message_get_status (message);
  gint64 id;

  sqlite3_bind_int64 (stmt, 1, picky_message_get_channel_id (message));
  sqlite3_bind_text (stmt, 2, key_hash, -1, SQLITE_STATIC);
  if (contact != NULL)
    sqlite3_bind_int64 (stmt, 3, contact->id);
  sqlite3_bind_int (stmt, 4, picky_message_get_direction (message));
  sqlite3_bind_text (stmt, 5, picky_message_kind_to_string (picky_message_get_kind (message)),
                     -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, picky_message_get_text (message), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 7, picky_message_get_timestamp (message));
  sqlite3_bind_int64 (stmt, 8, picky_message_get_received (message));
  if (status != PICKY_MESSAGE_STATUS_NONE)
    sqlite3_bind_text (stmt, 9, picky_message_status_to_string (status), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 10, picky_message_get_error (message), -1, SQLITE_STATIC);
  if (!picky_store_worker_run_done (w, stmt, error))
    return FALSE;

  if (sqlite3_changes (w->db) == 0)
    {
      /* A redelivery: the stored row wins, nothing changes. */
      id = worker_find_message (w, message, key_hash, NULL, error);
      if (id < 0)
        return FALSE;
      picky_message_set_id (message, id);
      picky_message_set_is_new (message, FALSE);
      return TRUE;
    }

  id = sqlite3_last_insert_rowid (w->db);
  picky_message_set_id (message, id);
  picky_message_set_is_new (message, TRUE);
  if (picky_message_get_text (message) != NULL)
    w->unindexed++;
  picky_message_set_unread (message, picky_message_get_direction (message) == PICKY_DIRECTION_IN);

  /* The key, media and related key are sealed under the row id, which the
   * insert has only just given. */
  stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_SEAL_MESSAGE);
  sqlite3_bind_int64 (stmt, 1, id);
  picky_store_worker_bind_sealed (w, stmt, 2, picky_message_get_provider_key (message), "provider_key", id);
  picky_store_worker_bind_sealed (w, stmt, 3, picky_message_get_media (message), "media", id);
  picky_store_worker_bind_sealed (w, stmt, 4, picky_message_get_related_key (message), "related_key", id);
  if (!picky_store_worker_run_done (w, stmt, error))
    return FALSE;

  /* The channel's newest customer message, which proves that its
   * provider reaches us (the Channels page shows it). */
  if (picky_message_get_direction (message) == PICKY_DIRECTION_IN)
    {
      stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_NOTE_LAST_IN);
      sqlite3_bind_int64 (stmt, 1, picky_message_get_channel_id (message));
      sqlite3_bind_int64 (stmt, 2, picky_message_get_timestamp (message));
      if (!picky_store_worker_run_done (w, stmt, error))
        return FALSE;
    }

  return picky_store_worker_add_rollups (w, app, contact, message, error) &&
         picky_store_worker_touch_conversation (w, contact, message, error);
}

static gboolean
worker_edit_message (PickyStoreWorker   *w,
                     const char         *app,
                     PickyStoreContact  *contact,
                     PickyMessage       *message,
                     const char         *key_hash,
                     GError            **error)
{
  sqlite3_stmt *stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_EDIT_MESSAGE);
  int rc;

  sqlite3_bind_int64 (stmt, 1, picky_message_get_channel_id (message));
  sqlite3_bind_text (stmt, 2, key_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, picky_message_get_text (message), -1, SQLITE_STATIC);
  rc = picky_store_worker_step (w, stmt, error);
  if (rc == SQLITE_ROW)
    {
      picky_message_set_id (message, sqlite3_column_int64 (stmt, 0));
      picky_message_set_is_new (message, FALSE);
    }
  sqlite3_reset (stmt);

  if (rc == 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    return picky_store_worker_note_edit (w, contact, message, error);

  /* The edit of a message we never saw (it predates the channel, or its
   * delivery was lost): the edited text is the best copy there is. */
  return worker_insert_message (w, app, contact, message, key_hash, error);
}

static gboolean
worker_move_status (PickyStoreWorker  *w,
                    PickyMessage      *message,
                    const char        *key_hash,
                    GError           **error)
{
  PickyMessageStatus from = PICKY_MESSAGE_STATUS_NONE;
  PickyMessageStatus to = picky_message_get_status (message);
  gint64 id = worker_find_message (w, message, key_hash, &from, error);
  sqlite3_stmt *stmt;

  if (id < 0)
    return FALSE;

  picky_message_set_id (message, id);
  picky_message_set_is_new (message, FALSE);
  if (id == 0 || !picky_message_status_can_move (from, to))
    return TRUE;

  stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_SET_STATUS);
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_text (stmt, 2, picky_message_status_to_string (to), -1, SQLITE_STATIC);
  if (to == PICKY_MESSAGE_STATUS_FAILED)
    sqlite3_bind_text (stmt, 3, picky_message_get_error (message), -1, SQLITE_STATIC);

  return picky_store_worker_run_done (w, stmt, error) &&
         picky_store_worker_reply_sent (w, id, from, to, error);
}

static gboolean
worker_ingest_one (PickyStoreWorker  *w,
                   PickyMessage      *message,
                   GError           **error)
{
  gint64 channel_id = picky_message_get_channel_id (message);
  PickyStoreChannel *channel = g_hash_table_lookup (w->channels, &channel_id);
  PickyStoreContact *contact = NULL;
  g_autofree char *key_hash = NULL;

  if (channel == NULL || channel->removed)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("No channel with the number %lld exists to store messages for"),
                   (long long) channel_id);
      return FALSE;
    }

  if (picky_message_get_provider_key (message) == NULL)
    {
      g_set_error_literal (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_FAILED,
                           _("A message without its provider’s key cannot be stored"));
      return FALSE;
    }

  picky_message_set_app (message, channel->app);
  key_hash = picky_store_message_hash (w->cipher, channel_id, picky_message_get_provider_key (message));

  if (picky_message_get_contact_provider_id (message) != NULL)
    {
      contact = picky_store_worker_ensure_contact (w, channel->app, message, error);
      if (contact == NULL)
        return FALSE;
      picky_message_set_contact_id (message, contact->id);
    }

  switch (picky_message_get_op (message))
    {
    case PICKY_MESSAGE_OP_INSERT:
      return worker_insert_message (w, channel->app, contact, message, key_hash, error);
    case PICKY_MESSAGE_OP_EDIT:
      return worker_edit_message (w, channel->app, contact, message, key_hash, error);
    case PICKY_MESSAGE_OP_STATUS:
      return worker_move_status (w, message, key_hash, error);
    default:
      g_assert_not_reached ();
    }
}

static gboolean
ingest_write (PickyStoreWorker  *w,
              GTask             *task,
              GError           **error)
{
  IngestArgs *args = g_task_get_task_data (task);
  gboolean ok = TRUE;

  w->touched = args->touched;
  for (guint i = 0; ok && i < args->batch->len; i++)
    ok = worker_ingest_one (w, g_ptr_array_index (args->batch, i), error);
  w->touched = NULL;

  if (ok && args->state_key != NULL)
    return picky_store_worker_set_state (w, args->state_channel, args->state_key, args->state_value, error);

  return ok;
}

static void
ingest_done (PickyStoreWorker *w,
             GTask            *task)
{
  IngestArgs *args = g_task_get_task_data (task);
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_object_unref);
  guint n_new = 0;

  args->added = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < args->batch->len; i++)
    {
      PickyMessage *message = g_ptr_array_index (args->batch, i);

      if (picky_message_get_is_new (message))
        {
          g_ptr_array_add (args->added, g_object_ref (message));
          n_new++;
        }
      else if (picky_message_get_id (message) > 0 &&
               picky_message_get_op (message) != PICKY_MESSAGE_OP_INSERT)
        {
          g_ptr_array_add (changed, g_object_ref (message));
        }
    }

  if (n_new > 0)
    picky_store_worker_emit (w, task, PICKY_STORE_SIGNAL_MESSAGES_ADDED, args->added);
  if (changed->len > 0)
    picky_store_worker_emit (w, task, PICKY_STORE_SIGNAL_MESSAGES_CHANGED, changed);
  picky_store_worker_emit_conversations (w, task, args->touched);

  g_task_return_int (task, n_new);
}

PickyMessage *
picky_store_worker_message_from_row (PickyStoreWorker *w,
                                     sqlite3_stmt     *stmt)
{
  PickyMessage *message = picky_message_new ();
  gint64 id = sqlite3_column_int64 (stmt, 0);
  gint64 channel_id = sqlite3_column_int64 (stmt, 1);
  gint64 contact_id = sqlite3_column_int64 (stmt, 3);
  /* Keys that do not open are left out like media: the message can still
   * be read, only not matched to a reaction or reply. */
  g_autofree char *key = picky_store_worker_decrypt (w, stmt, 2, "messages", "provider_key", id, NULL);
  g_autofree char *related = picky_store_worker_decrypt (w, stmt, 8, "messages", "related_key", id, NULL);
  PickyStoreChannel *channel = g_hash_table_lookup (w->channels, &channel_id);
  PickyStoreContact *contact = picky_store_worker_get_contact (w, contact_id);
  PickyMessageKind kind = PICKY_MESSAGE_KIND_UNSUPPORTED;
  PickyMessageStatus status = PICKY_MESSAGE_STATUS_NONE;

  picky_message_set_id (message, id);
  picky_message_set_channel_id (message, channel_id);
  picky_message_set_app (message, channel != NULL ? channel->app : NULL);
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_id (message, contact_id);
  if (contact != NULL)
    {
      picky_message_set_contact_provider_id (message, contact->provider_id);
      picky_message_set_contact_name (message, contact->name);
      picky_message_set_contact_phone (message, contact->phone);
    }
  picky_message_set_direction (message, sqlite3_column_int (stmt, 4));
  picky_message_kind_from_string ((const char *) sqlite3_column_text (stmt, 5), &kind);
  picky_message_set_kind (message, kind);
  picky_message_set_text (message, (const char *) sqlite3_column_text (stmt, 6));
  if (sqlite3_column_type (stmt, 7) != SQLITE_NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *media = picky_store_worker_decrypt (w, stmt, 7, "messages", "media", id, &error);

      /* Shown as a message without its media details, like a contact
       * whose name does not decrypt. */
      if (error != NULL)
        g_debug ("Message %" G_GINT64_FORMAT ": %s", id, error->message);
      picky_message_set_media (message, media);
    }
  picky_message_set_related_key (message, related);
  picky_message_set_timestamp (message, sqlite3_column_int64 (stmt, 9));
  picky_message_set_received (message, sqlite3_column_int64 (stmt, 10));
  if (sqlite3_column_type (stmt, 11) != SQLITE_NULL)
    picky_message_status_from_string ((const char *) sqlite3_column_text (stmt, 11), &status);
  picky_message_set_status (message, status);
  picky_message_set_error (message, (const char *) sqlite3_column_text (stmt, 12));
  picky_message_set_edited (message, sqlite3_column_int (stmt, 13) != 0);
  picky_message_set_unread (message, sqlite3_column_int (stmt, 14) != 0);

  return message;
}

/* Filters shared by paging and search, as SQL and in binding order. */
static void
append_filters (GString              *sql,
                const PickyPageQuery *query)
{
  if (query->contact_id != 0)
    g_string_append (sql, " AND m.contact_id = :contact");
  if (query->channel_id != 0)
    g_string_append (sql, " AND m.channel_id = :channel");
  if (query->apps != NULL && query->apps[0] != NULL)
    {
      g_string_append (sql, " AND m.channel_id IN (SELECT id FROM channels WHERE app IN (");
      for (guint i = 0; query->apps[i] != NULL; i++)
        g_string_append_printf (sql, "%s:app%u", i > 0 ? ", " : "", i);
      g_string_append (sql, "))");
    }
  if (query->direction >= 0)
    g_string_append (sql, " AND m.direction = :direction");
  if (query->unread_only)
    g_string_append (sql, " AND m.unread = 1");
}

static void
bind_filters (sqlite3_stmt         *stmt,
              const PickyPageQuery *query)
{
  picky_store_bind_named_int64 (stmt, ":contact", query->contact_id);
  picky_store_bind_named_int64 (stmt, ":channel", query->channel_id);
  picky_store_bind_named_int64 (stmt, ":direction", query->direction);
  picky_store_bind_named_int64 (stmt, ":before_ts", query->before_timestamp);
  picky_store_bind_named_int64 (stmt, ":before_id", query->before_id);
  picky_store_bind_named_int64 (stmt, ":limit", query->limit);
  for (guint i = 0; query->apps != NULL && query->apps[i] != NULL; i++)
    {
      char name[24];

      g_snprintf (name, sizeof name, ":app%u", i);
      sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, name), query->apps[i], -1, SQLITE_STATIC);
    }
}

static void
run_message_query (PickyStoreWorker     *w,
                   GTask                *task,
                   const char           *sql,
                   const PickyPageQuery *query,
                   const char           *match)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_filters (stmt, query);
      if (match != NULL)
        sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":match"), match, -1, SQLITE_STATIC);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        g_ptr_array_add (messages, picky_store_worker_message_from_row (w, stmt));
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&messages), (GDestroyNotify) g_ptr_array_unref);
}

/* Newest first by (timestamp, id): the index on (…, timestamp, id) yields the
 * page directly, whatever its depth, because no row before it is counted. */
static void
list_messages_run (PickyStoreWorker *w,
                   GTask            *task)
{
  PageArgs *args = g_task_get_task_data (task);
  g_autoptr(GString) sql = g_string_new ("SELECT " PICKY_STORE_MESSAGE_COLUMNS " FROM messages m WHERE 1");

  append_filters (sql, &args->query);
  if (args->query.before_timestamp != 0 || args->query.before_id != 0)
    g_string_append (sql, " AND m.timestamp <= :before_ts"
                          " AND (m.timestamp < :before_ts OR m.id < :before_id)");
  g_string_append (sql, " ORDER BY m.timestamp DESC, m.id DESC LIMIT :limit");

  run_message_query (w, task, sql->str, &args->query, NULL);
}

/* Each word of the admin's query becomes a quoted FTS5 string, so that no
 * input is read as query syntax; the words must all occur. */
char *
picky_store_build_match (const char *text)
{
  g_auto(GStrv) words = g_strsplit_set (text, " \t\n\r", -1);
  GString *match = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *escaped = NULL;
      g_auto(GStrv) quotes = NULL;

      if (*words[i] == '\0')
        continue;

      quotes = g_strsplit (words[i], "\"", -1);
      escaped = g_strjoinv ("\"\"", quotes);
      if (match->len > 0)
        g_string_append_c (match, ' ');
      g_string_append_printf (match, "\"%s\"", escaped);
    }

  return g_string_free (match, match->len == 0);
}

guint
picky_store_fts_shard (gint64 contact_id)
{
  return (guint) (MAX (contact_id, 0) % PICKY_STORE_FTS_SHARDS);
}

sqlite3_stmt *
picky_store_fts_prepare_insert (sqlite3 *db,
                                guint    shard,
                                int     *rc)
{
  g_autofree char *sql = g_strdup_printf ("INSERT INTO messages_fts_%u (rowid, text) VALUES (?1, ?2)", shard);
  sqlite3_stmt *stmt = NULL;

  *rc = sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  return stmt;
}

gint64
picky_store_fts_index_rows (sqlite3       *db,
                            sqlite3_stmt  *read,
                            sqlite3_stmt **insert,
                            GError       **error)
{
  gint64 count = 0;
  int rc;

  while ((rc = sqlite3_step (read)) == SQLITE_ROW)
    {
      sqlite3_stmt *write = insert[picky_store_fts_shard (sqlite3_column_int64 (read, 1))];

      sqlite3_bind_int64 (write, 1, sqlite3_column_int64 (read, 0));
      sqlite3_bind_value (write, 2, sqlite3_column_value (read, 2));
      rc = sqlite3_step (write);
      sqlite3_reset (write);
      if (rc != SQLITE_DONE)
        break;
      count++;
    }
  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, db, rc);
      return -1;
    }

  return count;
}

void
picky_store_fts_append_union (GString    *sql,
                              const char *arm,
                              int         shard)
{
  gboolean first = TRUE;

  for (guint k = 0; k < PICKY_STORE_FTS_SHARDS; k++)
    {
      g_autoptr(GString) one = NULL;
      g_autofree char *table = NULL;

      if (shard >= 0 && k != (guint) shard)
        continue;

      one = g_string_new (arm);
      table = g_strdup_printf ("messages_fts_%u", k);
      g_string_replace (one, "messages_fts", table, 0);
      if (!first)
        g_string_append (sql, " UNION ALL ");
      g_string_append (sql, one->str);
      first = FALSE;
    }
}

/* Newest first by arrival (row id): FTS5 walks its doclists in rowid order
 * and stops at the page, where ordering by timestamp would have to rank
 * every match first. Each index table's hits come in that order, and
 * SQLite merges them as they come, so a page reads about as many rows of
 * each as it shows. The order is by the index's own row id (the 16th
 * column): by m.id, each table's hits would be sorted first. A page
 * continues below before_id; a contact's messages are in one table. */
static void
search_run (PickyStoreWorker *w,
            GTask            *task)
{
  PageArgs *args = g_task_get_task_data (task);
  g_autofree char *match = picky_store_build_match (args->text);
  g_autoptr(GString) arm = NULL;
  g_autoptr(GString) sql = NULL;
  GError *error = NULL;

  if (match == NULL)
    {
      g_task_return_pointer (task, g_ptr_array_new_with_free_func (g_object_unref),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  if (!picky_store_worker_index_messages (w, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  arm = g_string_new ("SELECT " PICKY_STORE_MESSAGE_COLUMNS ", f.rowid FROM messages_fts f"
                      " JOIN messages m ON m.id = f.rowid"
                      " WHERE messages_fts MATCH :match");
  append_filters (arm, &args->query);
  if (args->query.before_id != 0)
    g_string_append (arm, " AND f.rowid < :before_id");
  sql = g_string_new (NULL);
  picky_store_fts_append_union (sql, arm->str,
                                args->query.contact_id != 0 ? (int) picky_store_fts_shard (args->query.contact_id) : -1);
  g_string_append (sql, " ORDER BY 16 DESC LIMIT :limit");

  run_message_query (w, task, sql->str, &args->query, match);
}

static void
count_messages_run (PickyStoreWorker *w,
                    GTask            *task)
{
  sqlite3_stmt *stmt = NULL;
  gint64 count = 0;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT count(*) FROM messages", -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);

  if (rc != SQLITE_ROW)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_int (task, count);
}

PickyMessage *
picky_store_worker_load_message (PickyStoreWorker  *w,
                                 gint64             id,
                                 GError           **error)
{
  sqlite3_stmt *stmt = NULL;
  PickyMessage *message = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT " PICKY_STORE_MESSAGE_COLUMNS " FROM messages m WHERE m.id = ?1",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        message = picky_store_worker_message_from_row (w, stmt);
    }
  sqlite3_finalize (stmt);

  if (rc == SQLITE_DONE)
    g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                 _("No message with the number %lld exists"), (long long) id);
  else if (rc != SQLITE_ROW)
    picky_store_set_sqlite_error (error, w->db, rc);

  return message;
}

typedef struct {
  gint64 message_id;
} GetMessageArgs;

static void
get_message_run (PickyStoreWorker *w,
                 GTask            *task)
{
  GetMessageArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  PickyMessage *message = picky_store_worker_load_message (w, args->message_id, &error);

  if (message == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, message, g_object_unref);
}

typedef struct {
  gint64 contact_id;
  gint64 count;
  GHashTable *touched;
} MarkReadArgs;

static void
mark_read_args_free (gpointer data)
{
  MarkReadArgs *args = data;

  g_clear_pointer (&args->touched, g_hash_table_unref);
  g_free (args);
}

/* The unread messages are found along the contact's index (there is no
 * index of unread messages, see schema version 14); the contact's
 * conversations are read in the same transaction. */
static gboolean
mark_read_write (PickyStoreWorker  *w,
                 GTask             *task,
                 GError           **error)
{
  MarkReadArgs *args = g_task_get_task_data (task);
  gboolean ok;

  args->count = picky_store_worker_exec_int (w,
                                             "UPDATE messages SET unread = 0"
                                             " WHERE unread = 1 AND contact_id = ?1",
                                             args->contact_id, error);
  if (args->count < 0)
    return FALSE;

  w->touched = args->touched;
  ok = picky_store_worker_clear_unread (w, args->contact_id, 0, error);
  w->touched = NULL;
  return ok;
}

static void
mark_read_done (PickyStoreWorker *w,
                GTask            *task)
{
  MarkReadArgs *args = g_task_get_task_data (task);

  picky_store_worker_emit_conversations (w, task, args->touched);
  g_task_return_int (task, args->count);
}

/* ---- Main thread ---- */

static void
ingest_common (PickyStore          *self,
               GPtrArray           *batch,
               gint64               channel_id,
               const char          *key,
               const char          *value,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  IngestArgs *args = g_new0 (IngestArgs, 1);
  GTask *task;

  args->batch = g_ptr_array_ref (batch);
  args->state_channel = channel_id;
  args->state_key = g_strdup (key);
  args->state_value = g_strdup (value);
  args->touched = picky_store_conversation_ids_new ();
  task = picky_store_task_new (self, picky_store_ingest_async, args, ingest_args_free,
                               cancellable, callback, user_data);
  /* Once committed, the result must reach the caller even if it cancelled
   * meanwhile: it tells which messages are stored. */
  g_task_set_check_cancellable (task, FALSE);

  /* An ingest's changes are all in the database, the batch's messages
   * and the touched conversations, which a second run sets again. */
  picky_store_queue_rerunnable_write (self, task, ingest_write, ingest_done);
}

/**
 * picky_store_ingest_async:
 * @batch: (element-type PickyMessage): messages to store; the store sets
 *   their id, contact id, app and whether each is new, so leave them alone
 *   until the call finishes
 *
 * Stores a batch idempotently. It completes only once the batch is durably
 * committed, together with whatever other batches were waiting.
 */
void
picky_store_ingest_async (PickyStore          *self,
                          GPtrArray           *batch,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (batch != NULL);

  ingest_common (self, batch, 0, NULL, NULL, cancellable, callback, user_data);
}

void
picky_store_ingest_with_state_async (PickyStore          *self,
                                     GPtrArray           *batch,
                                     gint64               channel_id,
                                     const char          *key,
                                     const char          *value,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (batch != NULL);
  g_return_if_fail (key != NULL);

  ingest_common (self, batch, channel_id, key, value, cancellable, callback, user_data);
}

/**
 * picky_store_ingest_finish:
 *
 * Returns: how many messages of the batch were new
 */
guint
picky_store_ingest_finish (PickyStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  gssize n_new;

  g_return_val_if_fail (PICKY_IS_STORE (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  n_new = g_task_propagate_int (G_TASK (result), error);
  return MAX (n_new, 0);
}

static void
page_common (PickyStore           *self,
             gpointer              tag,
             PickyStoreJobRun      run,
             const char           *text,
             const PickyPageQuery *query,
             GCancellable         *cancellable,
             GAsyncReadyCallback   callback,
             gpointer              user_data)
{
  PageArgs *args = g_new0 (PageArgs, 1);
  GTask *task;

  args->query = *query;
  args->apps = g_strdupv ((char **) query->apps);
  args->query.apps = (const char * const *) args->apps;
  args->text = g_strdup (text);
  if (args->query.limit == 0)
    args->query.limit = 50;
  task = picky_store_task_new (self, tag, args, page_args_free, cancellable, callback, user_data);

  picky_store_queue_job (self, task, run, NULL, NULL);
}

/**
 * picky_store_list_messages_async:
 *
 * A page of messages, newest first, older than (before_timestamp,
 * before_id) when those are set: pass the last message's timestamp and id
 * to get the next page.
 */
void
picky_store_list_messages_async (PickyStore           *self,
                                 const PickyPageQuery *query,
                                 GCancellable         *cancellable,
                                 GAsyncReadyCallback   callback,
                                 gpointer              user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (query != NULL);

  page_common (self, picky_store_list_messages_async, list_messages_run, NULL, query,
               cancellable, callback, user_data);
}

/**
 * picky_store_list_messages_finish:
 *
 * Returns: (transfer container) (element-type PickyMessage): the page
 */
GPtrArray *
picky_store_list_messages_finish (PickyStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_search_async:
 * @query: words that must all occur in a message's text or caption
 * @page: filters and the page; only before_id counts for paging, since
 *   results come newest first by arrival
 */
void
picky_store_search_async (PickyStore           *self,
                          const char           *query,
                          const PickyPageQuery *page,
                          GCancellable         *cancellable,
                          GAsyncReadyCallback   callback,
                          gpointer              user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (query != NULL);
  g_return_if_fail (page != NULL);

  page_common (self, picky_store_search_async, search_run, query, page,
               cancellable, callback, user_data);
}

/**
 * picky_store_search_finish:
 *
 * Returns: (transfer container) (element-type PickyMessage): the page
 */
GPtrArray *
picky_store_search_finish (PickyStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_count_messages_async (PickyStore          *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  task = picky_store_task_new (self, picky_store_count_messages_async, NULL, NULL, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, count_messages_run, NULL, NULL);
}

/**
 * picky_store_count_messages_finish:
 *
 * Returns: the number of stored messages, or -1
 */
gint64
picky_store_count_messages_finish (PickyStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

/**
 * picky_store_get_message_async:
 * @id: the message's row id
 *
 * Reads one message, with its contact's details.
 */
void
picky_store_get_message_async (PickyStore          *self,
                               gint64               id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GetMessageArgs *args = g_new0 (GetMessageArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->message_id = id;
  task = picky_store_task_new (self, picky_store_get_message_async, args, g_free, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, get_message_run, NULL, NULL);
}

/**
 * picky_store_get_message_finish:
 *
 * Returns: (transfer full): the message, or %NULL with
 *   %PICKY_STORE_ERROR_NOT_FOUND when there is none with that id
 */
PickyMessage *
picky_store_get_message_finish (PickyStore    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_mark_read_async:
 * @contact_id: whose conversation was shown
 *
 * Clears the unread mark of every message of the contact.
 */
void
picky_store_mark_read_async (PickyStore          *self,
                             gint64               contact_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  MarkReadArgs *args;
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (contact_id > 0);

  args = g_new0 (MarkReadArgs, 1);
  args->contact_id = contact_id;
  args->touched = picky_store_conversation_ids_new ();
  task = picky_store_task_new (self, picky_store_mark_read_async, args, mark_read_args_free,
                               cancellable, callback, user_data);
  picky_store_queue_job (self, task, NULL, mark_read_write, mark_read_done);
}

/**
 * picky_store_mark_read_finish:
 *
 * Returns: how many messages were unread, or -1 on error
 */
gint64
picky_store_mark_read_finish (PickyStore    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}
