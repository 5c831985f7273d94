/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Replies: stored as queued first, then sent through their channel, once at a time. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-outbox.h"

struct _PickyOutbox
{
  GObject               parent_instance;

  /* owned */
  PickyStore           *store;
  PickyChannelRegistry *registry;
  GHashTable           *sending;     /* gint64* ids of the messages on their way */
};

G_DEFINE_FINAL_TYPE (PickyOutbox, picky_outbox, G_TYPE_OBJECT)

G_DEFINE_QUARK (picky-outbox-error-quark, picky_outbox_error)

static void
finish_sending (PickyOutbox *self,
                gint64       id)
{
  g_hash_table_remove (self->sending, &id);
}

static void
on_recorded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyOutbox *self = g_task_get_source_object (task);
  PickyMessage *message = g_task_get_task_data (task);
  GError *error = NULL;
  PickyMessage *stored;

  finish_sending (self, picky_message_get_id (message));
  stored = picky_store_update_outgoing_finish (self->store, result, &error);
  if (stored == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, stored, g_object_unref);
}

static void
record_result (GTask              *task,
               PickyMessageStatus  status,
               const char         *provider_key,
               const char         *reason)
{
  PickyOutbox *self = g_task_get_source_object (task);
  PickyMessage *message = g_task_get_task_data (task);

  picky_store_update_outgoing_async (self->store, picky_message_get_id (message), status,
                                     provider_key, reason, NULL, on_recorded_cb, task);
}

static void
on_sent_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;

  key = picky_channel_send_finish (PICKY_CHANNEL (object), result, &error);
  if (key == NULL)
    record_result (task, PICKY_MESSAGE_STATUS_FAILED, NULL, error->message);
  else
    record_result (task, PICKY_MESSAGE_STATUS_SENT, key, NULL);
}

/* The row is stored and marked as on its way: hand it to the channel. A
 * send is never cancelled halfway, or nobody would know whether the
 * customer got it. */
static void
send_stored (GTask *task)
{
  PickyOutbox *self = g_task_get_source_object (task);
  PickyMessage *message = g_task_get_task_data (task);
  PickyChannel *channel = picky_channel_registry_lookup (self->registry,
                                                         picky_message_get_channel_id (message));

  if (channel == NULL)
    {
      record_result (task, PICKY_MESSAGE_STATUS_FAILED, NULL,
                     _("The channel of this conversation was removed"));
      return;
    }

  picky_channel_send_async (channel, message, NULL, on_sent_cb, task);
}

static void
on_ingested_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  PickyOutbox *self = g_task_get_source_object (task);
  PickyMessage *message = g_task_get_task_data (task);
  GError *error = NULL;
  gint64 id;

  picky_store_ingest_finish (self->store, result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  id = picky_message_get_id (message);
  g_hash_table_add (self->sending, g_memdup2 (&id, sizeof id));
  send_stored (task);
}

static void
on_requeued_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  PickyOutbox *self = g_task_get_source_object (task);
  PickyMessage *message = g_task_get_task_data (task);
  g_autoptr(PickyMessage) stored = NULL;
  GError *error = NULL;

  stored = picky_store_update_outgoing_finish (self->store, result, &error);
  if (stored == NULL)
    {
      finish_sending (self, picky_message_get_id (message));
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  send_stored (task);
}

static void
picky_outbox_dispose (GObject *object)
{
  PickyOutbox *self = PICKY_OUTBOX (object);

  g_clear_object (&self->store);
  g_clear_object (&self->registry);

  G_OBJECT_CLASS (picky_outbox_parent_class)->dispose (object);
}

static void
picky_outbox_finalize (GObject *object)
{
  PickyOutbox *self = PICKY_OUTBOX (object);

  g_clear_pointer (&self->sending, g_hash_table_unref);

  G_OBJECT_CLASS (picky_outbox_parent_class)->finalize (object);
}

static void
picky_outbox_class_init (PickyOutboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_outbox_dispose;
  object_class->finalize = picky_outbox_finalize;
}

static void
picky_outbox_init (PickyOutbox *self)
{
  self->sending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
}

/**
 * picky_outbox_new:
 *
 * Returns: (transfer full): an outbox sending through @registry's channels
 */
PickyOutbox *
picky_outbox_new (PickyStore           *store,
                  PickyChannelRegistry *registry)
{
  PickyOutbox *self;

  g_return_val_if_fail (PICKY_IS_STORE (store), NULL);
  g_return_val_if_fail (PICKY_IS_CHANNEL_REGISTRY (registry), NULL);

  self = g_object_new (PICKY_TYPE_OUTBOX, NULL);
  self->store = g_object_ref (store);
  self->registry = g_object_ref (registry);

  return self;
}

/**
 * picky_outbox_send_async:
 * @channel_id: the channel the conversation is on
 * @contact_provider_id: the recipient, as the channel names contacts
 * @text: the reply
 *
 * Stores the reply as a queued outgoing message under a local key, which
 * shows it at once through #PickyStore::messages-added, then sends it. The
 * stored row moves to sent, with the provider's key, or to failed, with the
 * reason; the callback gets the row as it ends up.
 */
void
picky_outbox_send_async (PickyOutbox         *self,
                         gint64               channel_id,
                         const char          *contact_provider_id,
                         const char          *text,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *key = g_strconcat ("local:", uuid, NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  PickyMessage *message = picky_message_new ();
  GTask *task;

  g_return_if_fail (PICKY_IS_OUTBOX (self));
  g_return_if_fail (contact_provider_id != NULL);
  g_return_if_fail (text != NULL);

  picky_message_set_op (message, PICKY_MESSAGE_OP_INSERT);
  picky_message_set_direction (message, PICKY_DIRECTION_OUT);
  picky_message_set_kind (message, PICKY_MESSAGE_KIND_TEXT);
  picky_message_set_status (message, PICKY_MESSAGE_STATUS_QUEUED);
  picky_message_set_channel_id (message, channel_id);
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_provider_id (message, contact_provider_id);
  picky_message_set_text (message, text);
  picky_message_set_timestamp (message, now);
  picky_message_set_received (message, now);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_outbox_send_async);
  g_task_set_task_data (task, message, g_object_unref);

  g_ptr_array_add (batch, g_object_ref (message));
  picky_store_ingest_async (self->store, batch, NULL, on_ingested_cb, task);
}

/**
 * picky_outbox_send_finish:
 *
 * Returns: (transfer full): the stored reply, sent or failed, or %NULL when
 *   it could not even be stored
 */
PickyMessage *
picky_outbox_send_finish (PickyOutbox   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (PICKY_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_outbox_retry_async:
 * @message: a stored reply whose send failed
 *
 * Sends the same row again: it goes back to queued and on as for a new
 * reply. A message already on its way fails with %PICKY_OUTBOX_ERROR_BUSY,
 * so no reply ever goes out twice at the same time.
 */
void
picky_outbox_retry_async (PickyOutbox         *self,
                          PickyMessage        *message,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;
  gint64 id;

  g_return_if_fail (PICKY_IS_OUTBOX (self));
  g_return_if_fail (PICKY_IS_MESSAGE (message));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_outbox_retry_async);
  g_task_set_task_data (task, g_object_ref (message), g_object_unref);

  id = picky_message_get_id (message);
  if (g_hash_table_contains (self->sending, &id))
    {
      g_task_return_new_error (task, PICKY_OUTBOX_ERROR, PICKY_OUTBOX_ERROR_BUSY,
                               _("The message is being sent already"));
      g_object_unref (task);
      return;
    }
  if (picky_message_get_status (message) != PICKY_MESSAGE_STATUS_FAILED)
    {
      g_task_return_new_error (task, PICKY_OUTBOX_ERROR, PICKY_OUTBOX_ERROR_NOT_FAILED,
                               _("Only a message that could not be sent can be sent again"));
      g_object_unref (task);
      return;
    }

  g_hash_table_add (self->sending, g_memdup2 (&id, sizeof id));
  picky_store_update_outgoing_async (self->store, id, PICKY_MESSAGE_STATUS_QUEUED, NULL, NULL,
                                     NULL, on_requeued_cb, task);
}

/**
 * picky_outbox_retry_finish:
 *
 * Returns: (transfer full): the stored reply, sent or failed again, or %NULL
 */
PickyMessage *
picky_outbox_retry_finish (PickyOutbox   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (PICKY_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_outbox_is_sending:
 *
 * Returns: whether the message with @message_id is on its way
 */
gboolean
picky_outbox_is_sending (PickyOutbox *self,
                         gint64       message_id)
{
  g_return_val_if_fail (PICKY_IS_OUTBOX (self), FALSE);

  return g_hash_table_contains (self->sending, &message_id);
}
