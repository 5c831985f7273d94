/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The store's channels and the state each keeps, such as a poller's offset. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-store.h"
#include "picky-store-private.h"

/* ---- Worker thread ---- */

void
picky_store_channel_free (gpointer data)
{
  PickyStoreChannel *channel = data;

  g_free (channel->app);
  g_free (channel);
}

gboolean
picky_store_worker_set_state (PickyStoreWorker  *w,
                              gint64             channel_id,
                              const char        *key,
                              const char        *value,
                              GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_SET_STATE);

  if (!g_hash_table_contains (w->channels, &channel_id))
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("No channel with the number %lld exists"), (long long) channel_id);
      return FALSE;
    }

  /* No value is no row, so that keys that come and go (one per customer
   * who unsubscribed from a Viber bot) do not pile up. */
  if (value == NULL)
    stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_CLEAR_STATE);

  sqlite3_bind_int64 (stmt, 1, channel_id);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
  if (value != NULL)
    sqlite3_bind_text (stmt, 3, value, -1, SQLITE_STATIC);

  return picky_store_worker_run_done (w, stmt, error);
}

typedef struct {
  gint64 channel_id;
  char *key;
  char *value;
} SetChannelStateArgs;

static void
set_channel_state_args_free (gpointer data)
{
  SetChannelStateArgs *args = data;

  g_free (args->key);
  g_free (args->value);
  g_free (args);
}

static gboolean
state_write (PickyStoreWorker  *w,
             GTask             *task,
             GError           **error)
{
  SetChannelStateArgs *args = g_task_get_task_data (task);

  return picky_store_worker_set_state (w, args->channel_id, args->key, args->value, error);
}

gboolean
picky_store_worker_load_channels (PickyStoreWorker  *w,
                                  GError           **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT id, app, removed FROM channels", -1, &stmt, NULL);
  while (picky_store_next_row (stmt, &rc))
    {
      PickyStoreChannel *channel = g_new0 (PickyStoreChannel, 1);
      gint64 *id = g_new (gint64, 1);

      *id = sqlite3_column_int64 (stmt, 0);
      channel->app = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      channel->removed = sqlite3_column_int (stmt, 2) != 0;
      g_hash_table_insert (w->channels, id, channel);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return FALSE;
    }

  return TRUE;
}

typedef struct {
  char *app;
  char *kind;
  char *name;
  char *settings;
} AddChannelArgs;

static void
add_channel_args_free (gpointer data)
{
  AddChannelArgs *args = data;

  g_free (args->app);
  g_free (args->kind);
  g_free (args->name);
  g_free (args->settings);
  g_free (args);
}

static void
add_channel_run (PickyStoreWorker *w,
                 GTask            *task)
{
  AddChannelArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  sqlite3_stmt *stmt;
  PickyStoreChannel *channel;
  gint64 *id;

  stmt = picky_store_worker_prepare (w,
                                     "INSERT INTO channels (app, kind, name, settings)"
                                     " VALUES (?1, ?2, ?3, ?4)",
                                     &error);
  if (stmt == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  sqlite3_bind_text (stmt, 1, args->app, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, args->kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, args->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, args->settings != NULL ? args->settings : "{}", -1, SQLITE_STATIC);
  if (picky_store_worker_finish (w, stmt, &error) < 0)
    {
      g_task_return_error (task, error);
      return;
    }

  id = g_new (gint64, 1);
  *id = sqlite3_last_insert_rowid (w->db);
  channel = g_new0 (PickyStoreChannel, 1);
  channel->app = g_strdup (args->app);
  g_hash_table_insert (w->channels, id, channel);

  g_task_return_int (task, *id);
}

/* The channel @id unless it is unknown or removed, else NULL with @error
 * set to NOT_FOUND. */
static PickyStoreChannel *
worker_live_channel (PickyStoreWorker  *w,
                     gint64             id,
                     GError           **error)
{
  PickyStoreChannel *channel = g_hash_table_lookup (w->channels, &id);

  if (channel == NULL || channel->removed)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("No channel with the number %lld exists"), (long long) id);
      return NULL;
    }

  return channel;
}

typedef struct {
  gint64 channel_id;
  char *name;
  char *settings;
} UpdateChannelArgs;

static void
update_channel_args_free (gpointer data)
{
  UpdateChannelArgs *args = data;

  g_free (args->name);
  g_free (args->settings);
  g_free (args);
}

static void
update_channel_run (PickyStoreWorker *w,
                    GTask            *task)
{
  UpdateChannelArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  sqlite3_stmt *stmt;

  if (worker_live_channel (w, args->channel_id, &error) == NULL ||
      (stmt = picky_store_worker_prepare (w,
                                          "UPDATE channels SET name = coalesce (?2, name),"
                                          " settings = coalesce (?3, settings) WHERE id = ?1",
                                          &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  sqlite3_bind_int64 (stmt, 1, args->channel_id);
  sqlite3_bind_text (stmt, 2, args->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, args->settings, -1, SQLITE_STATIC);
  if (picky_store_worker_finish (w, stmt, &error) < 0)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

typedef struct {
  gint64 channel_id;
} RemoveChannelArgs;

/* The row stays, marked removed: its messages remain part of the history
 * and the reports; only ingest and the channel list forget it. Its state
 * goes, with any left by channels removed before. One transaction, so that
 * the file never says removed while the cached channel still takes
 * messages. */
static void
remove_channel_run (PickyStoreWorker *w,
                    GTask            *task)
{
  RemoveChannelArgs *args = g_task_get_task_data (task);
  PickyStoreChannel *channel;
  GError *error = NULL;

  channel = worker_live_channel (w, args->channel_id, &error);
  if (channel == NULL ||
      !picky_store_exec (w->db, "BEGIN IMMEDIATE", &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (picky_store_worker_exec_int (w, "UPDATE channels SET removed = 1 WHERE id = ?1",
                                   args->channel_id, &error) < 0 ||
      !picky_store_exec (w->db,
                         "DELETE FROM channel_state WHERE channel_id NOT IN"
                         " (SELECT id FROM channels WHERE removed = 0)",
                         &error) ||
      !picky_store_exec (w->db, "COMMIT", &error))
    {
      sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
      g_task_return_error (task, error);
      return;
    }

  channel->removed = TRUE;
  g_task_return_boolean (task, TRUE);
}

static void
list_channels_run (PickyStoreWorker *w,
                   GTask            *task)
{
  g_autoptr(GPtrArray) channels = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db,
                           "SELECT id, app, kind, name, settings FROM channels"
                           " WHERE removed = 0 ORDER BY id",
                           -1, &stmt, NULL);
  while (picky_store_next_row (stmt, &rc))
    g_ptr_array_add (channels,
                     g_variant_ref_sink (g_variant_new ("(xssss)",
                                                        sqlite3_column_int64 (stmt, 0),
                                                        sqlite3_column_text (stmt, 1),
                                                        sqlite3_column_text (stmt, 2),
                                                        sqlite3_column_text (stmt, 3),
                                                        sqlite3_column_text (stmt, 4))));
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&channels), (GDestroyNotify) g_ptr_array_unref);
}

typedef struct {
  gint64 channel_id;
  char *key;
} GetChannelStateArgs;

static void
get_channel_state_args_free (gpointer data)
{
  GetChannelStateArgs *args = data;

  g_free (args->key);
  g_free (args);
}

static void
get_state_run (PickyStoreWorker *w,
               GTask            *task)
{
  GetChannelStateArgs *args = g_task_get_task_data (task);
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db,
                           "SELECT value FROM channel_state WHERE channel_id = ?1 AND key = ?2",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, args->channel_id);
      sqlite3_bind_text (stmt, 2, args->key, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, value, g_free);
}

/* Channels are few and the key index starts with the channel: one
 * look-up per channel, removed ones included, whose messages stay. */
static void
message_apps_run (PickyStoreWorker *w,
                  GTask            *task)
{
  g_autoptr(GStrvBuilder) apps = g_strv_builder_new ();
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db,
                           "SELECT DISTINCT app FROM channels c"
                           " WHERE EXISTS (SELECT 1 FROM messages m WHERE m.channel_id = c.id)"
                           " ORDER BY app",
                           -1, &stmt, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_strv_builder_add (apps, (const char *) sqlite3_column_text (stmt, 0));
      rc = SQLITE_OK;
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_strv_builder_end (apps), (GDestroyNotify) g_strfreev);
}

/* The newest incoming message by its own time, as a channel notes it on
 * arrival, so that a restart shows the same: kept on the channel's row as
 * messages are stored (see worker_insert_message()). */
static void
last_message_run (PickyStoreWorker *w,
                  GTask            *task)
{
  gint64 *channel_id = g_task_get_task_data (task);
  sqlite3_stmt *stmt = NULL;
  gint64 value = 0;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT last_in FROM channels WHERE id = ?1", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, *channel_id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        value = sqlite3_column_int64 (stmt, 0);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_int (task, value);
}

/* ---- Main thread ---- */

void
picky_store_add_channel_async (PickyStore          *self,
                               const char          *app,
                               const char          *kind,
                               const char          *name,
                               const char          *settings_json,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  AddChannelArgs *args = g_new0 (AddChannelArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (app != NULL);
  g_return_if_fail (kind != NULL);
  g_return_if_fail (name != NULL);

  args->app = g_strdup (app);
  args->kind = g_strdup (kind);
  args->name = g_strdup (name);
  args->settings = g_strdup (settings_json);
  task = picky_store_task_new (self, picky_store_add_channel_async, args, add_channel_args_free,
                               cancellable, callback, user_data);
  picky_store_queue_job (self, task, add_channel_run, NULL, NULL);
}

/**
 * picky_store_add_channel_finish:
 *
 * Returns: the new channel's id, or 0
 */
gint64
picky_store_add_channel_finish (PickyStore    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  gssize id;

  g_return_val_if_fail (PICKY_IS_STORE (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  id = g_task_propagate_int (G_TASK (result), error);
  return MAX (id, 0);
}

/**
 * picky_store_update_channel_async:
 * @name: (nullable): the new name, or %NULL to keep it
 * @settings_json: (nullable): the new settings, or %NULL to keep them
 */
void
picky_store_update_channel_async (PickyStore          *self,
                                  gint64               channel_id,
                                  const char          *name,
                                  const char          *settings_json,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  UpdateChannelArgs *args = g_new0 (UpdateChannelArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->channel_id = channel_id;
  args->name = g_strdup (name);
  args->settings = g_strdup (settings_json);
  task = picky_store_task_new (self, picky_store_update_channel_async, args,
                               update_channel_args_free, cancellable, callback, user_data);
  picky_store_queue_job (self, task, update_channel_run, NULL, NULL);
}

gboolean
picky_store_update_channel_finish (PickyStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * picky_store_remove_channel_async:
 *
 * The channel leaves the list and takes no more messages; its messages stay.
 */
void
picky_store_remove_channel_async (PickyStore          *self,
                                  gint64               channel_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  RemoveChannelArgs *args = g_new0 (RemoveChannelArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->channel_id = channel_id;
  task = picky_store_task_new (self, picky_store_remove_channel_async, args, g_free, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, remove_channel_run, NULL, NULL);
}

gboolean
picky_store_remove_channel_finish (PickyStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
picky_store_list_channels_async (PickyStore          *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  task = picky_store_task_new (self, picky_store_list_channels_async, NULL, NULL, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, list_channels_run, NULL, NULL);
}

/**
 * picky_store_list_channels_finish:
 *
 * Returns: (transfer container) (element-type GVariant): one (xssss) per channel
 */
GPtrArray *
picky_store_list_channels_finish (PickyStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_set_channel_state_async:
 *
 * Completes once the value is durably committed; it shares the group
 * commit of the batches waiting at the same time. A %NULL @value removes
 * @key.
 */
void
picky_store_set_channel_state_async (PickyStore          *self,
                                     gint64               channel_id,
                                     const char          *key,
                                     const char          *value,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  SetChannelStateArgs *args = g_new0 (SetChannelStateArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (key != NULL);

  args->channel_id = channel_id;
  args->key = g_strdup (key);
  args->value = g_strdup (value);
  task = picky_store_task_new (self, picky_store_set_channel_state_async, args,
                               set_channel_state_args_free, cancellable, callback, user_data);
  /* It changes nothing but the database, so that a group of webhooks
   * carrying such changes (a LINE user's first message since the start,
   * a Viber unsubscription) still runs without a savepoint for each. */
  picky_store_queue_rerunnable_write (self, task, state_write, picky_store_boolean_done);
}

gboolean
picky_store_set_channel_state_finish (PickyStore    *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
picky_store_get_channel_state_async (PickyStore          *self,
                                     gint64               channel_id,
                                     const char          *key,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GetChannelStateArgs *args = g_new0 (GetChannelStateArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (key != NULL);

  args->channel_id = channel_id;
  args->key = g_strdup (key);
  task = picky_store_task_new (self, picky_store_get_channel_state_async, args,
                               get_channel_state_args_free, cancellable, callback, user_data);
  picky_store_queue_job (self, task, get_state_run, NULL, NULL);
}

/**
 * picky_store_get_channel_state_finish:
 *
 * Returns: (transfer full) (nullable): the value, or %NULL when none is set
 */
char *
picky_store_get_channel_state_finish (PickyStore    *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_get_channel_last_message_async:
 * @self: a #PickyStore
 * @channel_id: a channel
 *
 * Looks up when the newest message from a customer on @channel_id was sent.
 */
void
picky_store_get_channel_last_message_async (PickyStore          *self,
                                            gint64               channel_id,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  task = picky_store_task_new (self, picky_store_get_channel_last_message_async,
                               g_memdup2 (&channel_id, sizeof channel_id), g_free,
                               cancellable, callback, user_data);
  picky_store_queue_job (self, task, last_message_run, NULL, NULL);
}

/**
 * picky_store_get_channel_last_message_finish:
 *
 * Returns: the message's time in unix seconds, 0 when the channel has none,
 *   or -1 with @error set
 */
gint64
picky_store_get_channel_last_message_finish (PickyStore    *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

/**
 * picky_store_list_message_apps_async:
 * @self: a store
 *
 * Looks up which apps have messages stored, also through channels that
 * have been removed.
 */
void
picky_store_list_message_apps_async (PickyStore          *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  task = picky_store_task_new (self, picky_store_list_message_apps_async, NULL, NULL,
                               cancellable, callback, user_data);
  picky_store_queue_job (self, task, message_apps_run, NULL, NULL);
}

/**
 * picky_store_list_message_apps_finish:
 *
 * Returns: (transfer full): the apps' ids, sorted, or %NULL with @error set
 */
GStrv
picky_store_list_message_apps_finish (PickyStore    *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
