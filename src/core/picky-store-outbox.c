/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The store's outgoing messages: how each send went, and the replies waiting for relay phones. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-store.h"
#include "picky-store-private.h"

/* ---- Worker thread ---- */

/* Hands @message alone to messages-changed. */
static void
worker_emit_changed (PickyStoreWorker *w,
                     GTask            *task,
                     PickyMessage     *message)
{
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (changed, g_object_ref (message));
  picky_store_worker_emit (w, task, PICKY_STORE_SIGNAL_MESSAGES_CHANGED, changed);
}

/* The console's own outgoing rows: the status is set as the send went,
 * without the forward-only rule of provider reports, since a retry takes a
 * failed message back to queued. The provider's @key for a sent message,
 * if it gave one, is stored hashed and sealed like any other. A message
 * that is not there, or not outgoing, changes nothing. */
static gboolean
worker_set_outgoing (PickyStoreWorker    *w,
                     gint64               id,
                     PickyMessageStatus   status,
                     const char          *error_text,
                     const char          *key,
                     GError             **error)
{
  g_autofree char *key_hash = NULL;
  PickyMessageStatus from = PICKY_MESSAGE_STATUS_NONE;
  gint64 channel_id = 0;
  sqlite3_stmt *stmt;
  int rc;

  /* The key is found by its hash within the channel, so the channel is
   * read first; the status before, to know whether the reply goes out now. */
  stmt = picky_store_worker_prepare (w, "SELECT channel_id, status FROM messages WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = picky_store_worker_step (w, stmt, error);
  if (rc == SQLITE_ROW)
    {
      channel_id = sqlite3_column_int64 (stmt, 0);
      if (!picky_message_status_from_string ((const char *) sqlite3_column_text (stmt, 1), &from))
        from = PICKY_MESSAGE_STATUS_NONE;
    }
  sqlite3_finalize (stmt);
  if (rc == 0)
    return FALSE;
  if (key != NULL)
    key_hash = picky_store_message_hash (w->cipher, channel_id, key);

  stmt = picky_store_worker_prepare (w,
                                     "UPDATE messages SET status = ?2, error = ?3,"
                                     " key_hash = coalesce (?4, key_hash),"
                                     " provider_key_enc = coalesce (?5, provider_key_enc)"
                                     " WHERE id = ?1 AND direction = 1",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_text (stmt, 2, picky_message_status_to_string (status), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, error_text, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, key_hash, -1, SQLITE_STATIC);
  picky_store_worker_bind_sealed (w, stmt, 5, key, "provider_key", id);

  return picky_store_worker_finish (w, stmt, error) >= 0 &&
         picky_store_worker_reply_sent (w, id, from, status, error);
}

typedef struct {
  gint64 message_id;
  PickyMessageStatus status;
  char *provider_key;
  char *error_text;
  PickyMessage *message;         /* what the write returns once committed */
  GHashTable *touched;           /* the conversation whose wait a sent reply ended */
} UpdateOutgoingArgs;

static void
update_outgoing_args_free (gpointer data)
{
  UpdateOutgoingArgs *args = data;

  g_free (args->provider_key);
  g_free (args->error_text);
  g_clear_object (&args->message);
  g_clear_pointer (&args->touched, g_hash_table_unref);
  g_free (args);
}

/* A write, since a reply that goes out ends the customer's wait in the
 * same transaction as its status. */
static gboolean
update_outgoing_write (PickyStoreWorker  *w,
                       GTask             *task,
                       GError           **error)
{
  UpdateOutgoingArgs *args = g_task_get_task_data (task);
  gboolean ok;

  w->touched = args->touched;
  ok = worker_set_outgoing (w, args->message_id, args->status, args->error_text, args->provider_key, error);
  w->touched = NULL;
  if (!ok)
    return FALSE;

  args->message = picky_store_worker_load_message (w, args->message_id, error);
  if (args->message == NULL)
    return FALSE;
  if (picky_message_get_direction (args->message) != PICKY_DIRECTION_OUT)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("Message %lld is not an outgoing one"), (long long) args->message_id);
      return FALSE;
    }

  return TRUE;
}

static void
update_outgoing_done (PickyStoreWorker *w,
                      GTask            *task)
{
  UpdateOutgoingArgs *args = g_task_get_task_data (task);

  worker_emit_changed (w, task, args->message);
  picky_store_worker_emit_conversations (w, task, args->touched);
  g_task_return_pointer (task, g_steal_pointer (&args->message), g_object_unref);
}

typedef struct {
  gint64 message_id;
  gint64 device_id;
} QueueRelayReplyArgs;

static gboolean
queue_relay_reply_write (PickyStoreWorker  *w,
                         GTask             *task,
                         GError           **error)
{
  QueueRelayReplyArgs *args = g_task_get_task_data (task);
  sqlite3_stmt *stmt = NULL;
  gboolean trusted = FALSE;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT trusted = 1 AND revoked = 0 FROM devices WHERE id = ?1",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, args->device_id);
      rc = sqlite3_step (stmt);
      trusted = rc == SQLITE_ROW && sqlite3_column_int (stmt, 0) != 0;
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return FALSE;
    }
  if (!trusted)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("No trusted phone with the number %lld exists to send this reply"),
                   (long long) args->device_id);
      return FALSE;
    }

  /* A retry of a failed reply puts the same row back in the outbox. */
  stmt = picky_store_worker_prepare (w,
                                     "INSERT INTO relay_outbox (message_id, device_id) VALUES (?1, ?2)"
                                     " ON CONFLICT (message_id) DO UPDATE SET device_id = excluded.device_id,"
                                     " state = 0",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, args->message_id);
  sqlite3_bind_int64 (stmt, 2, args->device_id);

  return picky_store_worker_finish (w, stmt, error) >= 0;
}

typedef struct {
  gint64 device_id;
} ListRelayRepliesArgs;

static void
list_relay_replies_run (PickyStoreWorker *w,
                        GTask            *task)
{
  ListRelayRepliesArgs *args = g_task_get_task_data (task);
  g_autoptr(GPtrArray) replies = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db,
                           "SELECT " PICKY_STORE_MESSAGE_COLUMNS " FROM relay_outbox o"
                           " JOIN messages m ON m.id = o.message_id"
                           " WHERE o.device_id = ?1 AND o.state = 0 ORDER BY o.message_id",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    sqlite3_bind_int64 (stmt, 1, args->device_id);
  while (picky_store_next_row (stmt, &rc))
    g_ptr_array_add (replies, picky_store_worker_message_from_row (w, stmt));
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&replies), (GDestroyNotify) g_ptr_array_unref);
}

typedef struct {
  gint64 device_id;
  gint64 message_id;
  gboolean sent;
  char *error_text;
  gboolean moved;                /* the acknowledgement changed the message */
  PickyMessage *message;         /* what the write returns once committed */
  GHashTable *touched;           /* the conversation whose wait a sent reply ended */
} AckRelayReplyArgs;

static void
ack_relay_reply_args_free (gpointer data)
{
  AckRelayReplyArgs *args = data;

  g_free (args->error_text);
  g_clear_object (&args->message);
  g_clear_pointer (&args->touched, g_hash_table_unref);
  g_free (args);
}

static gboolean
ack_relay_reply_write (PickyStoreWorker  *w,
                       GTask             *task,
                       GError           **error)
{
  AckRelayReplyArgs *args = g_task_get_task_data (task);
  PickyMessageStatus status = args->sent ? PICKY_MESSAGE_STATUS_SENT : PICKY_MESSAGE_STATUS_FAILED;
  sqlite3_stmt *stmt = NULL;
  int state = -1;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT state FROM relay_outbox WHERE message_id = ?1 AND device_id = ?2",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, args->message_id);
      sqlite3_bind_int64 (stmt, 2, args->device_id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        state = sqlite3_column_int (stmt, 0);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return FALSE;
    }
  if (state < 0)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("No reply with the number %lld waits for this phone"), (long long) args->message_id);
      return FALSE;
    }

  /* Only the first word counts: a phone that repeats its acknowledgement
   * after a lost answer must not move the reply again. */
  if (state == 0)
    {
      gboolean ok;

      w->touched = args->touched;
      ok = picky_store_worker_exec_int (w,
                                        args->sent
                                        ? "UPDATE relay_outbox SET state = 1 WHERE message_id = ?1"
                                        : "UPDATE relay_outbox SET state = 2 WHERE message_id = ?1",
                                        args->message_id, error) >= 0 &&
           worker_set_outgoing (w, args->message_id, status, args->sent ? NULL : args->error_text,
                                NULL, error);
      w->touched = NULL;
      if (!ok)
        return FALSE;
      args->moved = TRUE;
    }

  args->message = picky_store_worker_load_message (w, args->message_id, error);
  return args->message != NULL;
}

static void
ack_relay_reply_done (PickyStoreWorker *w,
                      GTask            *task)
{
  AckRelayReplyArgs *args = g_task_get_task_data (task);

  if (args->moved)
    worker_emit_changed (w, task, args->message);
  picky_store_worker_emit_conversations (w, task, args->touched);

  g_task_return_pointer (task, g_steal_pointer (&args->message), g_object_unref);
}

/* ---- Main thread ---- */

/**
 * picky_store_update_outgoing_async:
 * @id: the row id of a message the console sends
 * @status: where its send stands: queued, sent or failed
 * @provider_key: (nullable): the key the provider gave it once sent, which
 *   replaces the local one so that the provider's status reports find it
 * @error_text: (nullable): why it failed, in words for the admin
 *
 * Records how a send went and emits #PickyStore::messages-changed with the
 * row as it now is.
 */
void
picky_store_update_outgoing_async (PickyStore          *self,
                                   gint64               id,
                                   PickyMessageStatus   status,
                                   const char          *provider_key,
                                   const char          *error_text,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  UpdateOutgoingArgs *args = g_new0 (UpdateOutgoingArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (status > PICKY_MESSAGE_STATUS_NONE && status <= PICKY_MESSAGE_STATUS_FAILED);

  args->message_id = id;
  args->status = status;
  args->provider_key = g_strdup (provider_key);
  args->error_text = g_strdup (error_text);
  args->touched = picky_store_conversation_ids_new ();
  task = picky_store_task_new (self, picky_store_update_outgoing_async, args, update_outgoing_args_free,
                               cancellable, callback, user_data);
  /* The result must reach the sender even if it stopped waiting: the row
   * has changed either way. */
  g_task_set_check_cancellable (task, FALSE);
  picky_store_queue_job (self, task, NULL, update_outgoing_write, update_outgoing_done);
}

/**
 * picky_store_update_outgoing_finish:
 *
 * Returns: (transfer full): the message as stored now, or %NULL
 */
PickyMessage *
picky_store_update_outgoing_finish (PickyStore    *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_queue_relay_reply_async (PickyStore          *self,
                                     gint64               message_id,
                                     gint64               device_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  QueueRelayReplyArgs *args = g_new0 (QueueRelayReplyArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (message_id > 0);

  args->message_id = message_id;
  args->device_id = device_id;
  task = picky_store_task_new (self, picky_store_queue_relay_reply_async, args, g_free, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, NULL, queue_relay_reply_write, picky_store_boolean_done);
}

gboolean
picky_store_queue_relay_reply_finish (PickyStore    *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
picky_store_list_relay_replies_async (PickyStore          *self,
                                      gint64               device_id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  ListRelayRepliesArgs *args = g_new0 (ListRelayRepliesArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->device_id = device_id;
  task = picky_store_task_new (self, picky_store_list_relay_replies_async, args, g_free,
                               cancellable, callback, user_data);
  picky_store_queue_job (self, task, list_relay_replies_run, NULL, NULL);
}

/**
 * picky_store_list_relay_replies_finish:
 *
 * Returns: (transfer full) (element-type PickyMessage): the waiting replies
 */
GPtrArray *
picky_store_list_relay_replies_finish (PickyStore    *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_ack_relay_reply_async (PickyStore          *self,
                                   gint64               device_id,
                                   gint64               message_id,
                                   gboolean             sent,
                                   const char          *error_text,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  AckRelayReplyArgs *args = g_new0 (AckRelayReplyArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->device_id = device_id;
  args->message_id = message_id;
  args->sent = sent;
  args->error_text = g_strdup (error_text);
  args->touched = picky_store_conversation_ids_new ();
  task = picky_store_task_new (self, picky_store_ack_relay_reply_async, args,
                               ack_relay_reply_args_free, cancellable, callback, user_data);
  picky_store_queue_job (self, task, NULL, ack_relay_reply_write, ack_relay_reply_done);
}

/**
 * picky_store_ack_relay_reply_finish:
 *
 * Returns: (transfer full): the reply as stored after the acknowledgement
 */
PickyMessage *
picky_store_ack_relay_reply_finish (PickyStore    *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
