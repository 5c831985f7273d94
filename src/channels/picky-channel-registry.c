/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The channel kinds the console knows, and the running channels made from the store's rows. */

#include "config.h"

#include <stdlib.h>
#include <glib/gi18n.h>

#include "picky-bidi.h"
#include "picky-channel-private.h"
#include "picky-channel-registry.h"
#include "picky-instagram-channel.h"
#include "picky-line-channel.h"
#include "picky-messenger-channel.h"
#include "picky-relay-channel.h"
#include "picky-telegram-channel.h"
#include "picky-viber-channel.h"
#include "picky-whatsapp-channel.h"

struct _PickyChannelRegistry
{
  GObject      parent_instance;

  /* owned */
  PickyStore  *store;
  PickyVault  *vault;
  PickyAccess *access;
  PickyWebhookServer *webhook_server;
  GHashTable  *kinds;      /* kind name → GType */
  GListStore  *channels;   /* PickyChannel, in the store's order */
};

G_DEFINE_FINAL_TYPE (PickyChannelRegistry, picky_channel_registry, G_TYPE_OBJECT)

/* The one list of kinds. Adding a kind means one line here: each kind
 * names and describes itself in its class_init, the store keeps the kind
 * as a plain string, and the pages only see PickyChannel. */
static GType (* const builtin_kinds[]) (void) = {
  picky_instagram_channel_get_type,
  picky_line_channel_get_type,
  picky_messenger_channel_get_type,
  picky_relay_channel_get_type,
  picky_telegram_channel_get_type,
  picky_viber_channel_get_type,
  picky_whatsapp_channel_get_type,
};

static int
compare_kinds (const void *a,
               const void *b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

static PickyChannel *
find_channel (PickyChannelRegistry *self,
              gint64                id,
              guint                *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->channels));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PickyChannel) channel = g_list_model_get_item (G_LIST_MODEL (self->channels), i);

      if (picky_channel_get_id (channel) == id)
        {
          if (position != NULL)
            *position = i;
          return channel;
        }
    }

  return NULL;
}

/* One channel's newest message, looked up while a load finishes. */
typedef struct
{
  GTask        *task;     /* the load's; owned */
  PickyChannel *channel;  /* owned */
} LastMessageLookup;

static void
on_last_message_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  LastMessageLookup *lookup = user_data;
  guint *pending = g_task_get_task_data (lookup->task);
  g_autoptr(GError) error = NULL;
  gint64 last;

  last = picky_store_get_channel_last_message_finish (PICKY_STORE (object), result, &error);
  if (last > 0)
    picky_channel_note_message_time (lookup->channel, last);
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Channel %" G_GINT64_FORMAT ": no last message time: %s",
               picky_channel_get_id (lookup->channel), error->message);

  if (--*pending == 0)
    g_task_return_boolean (lookup->task, TRUE);

  g_object_unref (lookup->task);
  g_object_unref (lookup->channel);
  g_free (lookup);
}

static void
on_channels_listed_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyChannelRegistry *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) restart = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func (g_object_unref);
  guint *pending;
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->channels));
  gboolean was_running;

  rows = picky_store_list_channels_finish (PICKY_STORE (object), result, &error);
  if (rows == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      GVariant *row = g_ptr_array_index (rows, i);
      g_autoptr(PickyChannel) channel = NULL;
      g_autoptr(GError) local_error = NULL;
      const char *app, *kind, *name, *settings;
      gint64 id;

      g_variant_get (row, "(x&s&s&s&s)", &id, &app, &kind, &name, &settings);

      /* A channel that already runs keeps running; only its name may change
       * without a restart. Settings are fixed at construction, so a channel
       * whose settings were edited is replaced, running if the old one ran. */
      if ((channel = find_channel (self, id, NULL)) != NULL)
        {
          g_object_ref (channel);
          if (g_strcmp0 (picky_channel_get_settings (channel), settings) == 0)
            {
              picky_channel_set_name (channel, name);
              g_ptr_array_add (kept, g_steal_pointer (&channel));
              continue;
            }

          was_running = picky_channel_get_state (channel) != PICKY_CHANNEL_STATE_STOPPED;
          g_clear_object (&channel);
        }
      else
        {
          was_running = FALSE;
        }

      channel = picky_channel_registry_create_channel (self, id, app, kind, name, settings, &local_error);
      if (channel == NULL)
        {
          /* A kind from a newer console must not hide the other channels. */
          g_message ("Channel %" G_GINT64_FORMAT " skipped: %s", id, local_error->message);
          continue;
        }
      g_ptr_array_add (kept, g_object_ref (channel));
      g_ptr_array_add (fresh, g_object_ref (channel));
      if (was_running)
        g_ptr_array_add (restart, g_steal_pointer (&channel));
    }

  for (guint i = 0; i < n_old; i++)
    {
      g_autoptr(PickyChannel) channel = g_list_model_get_item (G_LIST_MODEL (self->channels), i);

      if (!g_ptr_array_find (kept, channel, NULL))
        picky_channel_stop (channel);
    }

  /* One items-changed for the whole reload. */
  g_list_store_splice (self->channels, 0, n_old, kept->pdata, kept->len);
  for (guint i = 0; i < restart->len; i++)
    picky_channel_start (g_ptr_array_index (restart, i));

  if (fresh->len == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* The time of the last message is the store's, not only this run's, so
   * that it survives a restart; the load is done when every new channel
   * knows it. */
  pending = g_new (guint, 1);
  *pending = fresh->len;
  g_task_set_task_data (task, pending, g_free);
  for (guint i = 0; i < fresh->len; i++)
    {
      LastMessageLookup *lookup = g_new0 (LastMessageLookup, 1);
      PickyChannel *channel = g_ptr_array_index (fresh, i);

      lookup->task = g_object_ref (task);
      lookup->channel = g_object_ref (channel);
      picky_store_get_channel_last_message_async (self->store, picky_channel_get_id (channel),
                                                  g_task_get_cancellable (task),
                                                  on_last_message_cb, lookup);
    }
}

static void
picky_channel_registry_dispose (GObject *object)
{
  PickyChannelRegistry *self = PICKY_CHANNEL_REGISTRY (object);

  if (self->channels != NULL)
    picky_channel_registry_stop_all (self);
  g_clear_object (&self->channels);
  g_clear_object (&self->store);
  g_clear_object (&self->vault);
  g_clear_object (&self->access);
  g_clear_object (&self->webhook_server);

  G_OBJECT_CLASS (picky_channel_registry_parent_class)->dispose (object);
}

static void
picky_channel_registry_finalize (GObject *object)
{
  PickyChannelRegistry *self = PICKY_CHANNEL_REGISTRY (object);

  g_clear_pointer (&self->kinds, g_hash_table_unref);

  G_OBJECT_CLASS (picky_channel_registry_parent_class)->finalize (object);
}

static void
picky_channel_registry_class_init (PickyChannelRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_channel_registry_dispose;
  object_class->finalize = picky_channel_registry_finalize;
}

static void
picky_channel_registry_init (PickyChannelRegistry *self)
{
  self->kinds = g_hash_table_new (g_str_hash, g_str_equal);
  self->channels = g_list_store_new (PICKY_TYPE_CHANNEL);

  for (guint i = 0; i < G_N_ELEMENTS (builtin_kinds); i++)
    picky_channel_registry_register_kind (self, builtin_kinds[i] ());
}

/**
 * picky_channel_registry_new:
 * @store: (nullable): the message store handed to every channel
 * @vault: (nullable): the keyring handed to every channel
 * @access: (nullable): the read and push switches handed to every channel
 *
 * Returns: (transfer full): a registry that knows the built-in kinds
 */
PickyChannelRegistry *
picky_channel_registry_new (PickyStore  *store,
                            PickyVault  *vault,
                            PickyAccess *access)
{
  PickyChannelRegistry *self;

  g_return_val_if_fail (store == NULL || PICKY_IS_STORE (store), NULL);
  g_return_val_if_fail (vault == NULL || PICKY_IS_VAULT (vault), NULL);
  g_return_val_if_fail (access == NULL || PICKY_IS_ACCESS (access), NULL);

  self = g_object_new (PICKY_TYPE_CHANNEL_REGISTRY, NULL);
  g_set_object (&self->store, store);
  g_set_object (&self->vault, vault);
  g_set_object (&self->access, access);

  return self;
}

/**
 * picky_channel_registry_set_webhook_server:
 * @self: a #PickyChannelRegistry
 * @server: (nullable): the listener handed to channels created from now on
 */
void
picky_channel_registry_set_webhook_server (PickyChannelRegistry *self,
                                           PickyWebhookServer   *server)
{
  g_return_if_fail (PICKY_IS_CHANNEL_REGISTRY (self));
  g_return_if_fail (server == NULL || PICKY_IS_WEBHOOK_SERVER (server));

  g_set_object (&self->webhook_server, server);
}

/**
 * picky_channel_registry_register_kind:
 * @self: a #PickyChannelRegistry
 * @channel_type: a concrete subtype of #PickyChannel that names its kind
 *
 * Makes rows of @channel_type's kind become channels of @channel_type.
 */
void
picky_channel_registry_register_kind (PickyChannelRegistry *self,
                                      GType                 channel_type)
{
  const char *kind;

  g_return_if_fail (PICKY_IS_CHANNEL_REGISTRY (self));
  g_return_if_fail (g_type_is_a (channel_type, PICKY_TYPE_CHANNEL));
  g_return_if_fail (!G_TYPE_IS_ABSTRACT (channel_type));

  kind = picky_channel_class_get_kind (channel_type);
  g_return_if_fail (kind != NULL);

  /* The kind is an interned string, as long-lived as the type. */
  g_hash_table_replace (self->kinds, (gpointer) kind, GSIZE_TO_POINTER (channel_type));
}

/**
 * picky_channel_registry_get_kind_type:
 * @self: a #PickyChannelRegistry
 * @kind: a kind as the store names it, e.g. "telegram"
 *
 * Returns: the type of channels of @kind, or %G_TYPE_INVALID for a kind
 *   this console does not know; read its description with
 *   picky_channel_class_get_title() and the like
 */
GType
picky_channel_registry_get_kind_type (PickyChannelRegistry *self,
                                      const char           *kind)
{
  g_return_val_if_fail (PICKY_IS_CHANNEL_REGISTRY (self), G_TYPE_INVALID);
  g_return_val_if_fail (kind != NULL, G_TYPE_INVALID);

  return GPOINTER_TO_SIZE (g_hash_table_lookup (self->kinds, kind));
}

gboolean
picky_channel_registry_has_kind (PickyChannelRegistry *self,
                                 const char           *kind)
{
  g_return_val_if_fail (PICKY_IS_CHANNEL_REGISTRY (self), FALSE);
  g_return_val_if_fail (kind != NULL, FALSE);

  return g_hash_table_contains (self->kinds, kind);
}

/**
 * picky_channel_registry_dup_kinds:
 * @self: a #PickyChannelRegistry
 *
 * Returns: (transfer full): the registered kinds, sorted
 */
GStrv
picky_channel_registry_dup_kinds (PickyChannelRegistry *self)
{
  g_autofree const char **keys = NULL;
  GStrv kinds;

  g_return_val_if_fail (PICKY_IS_CHANNEL_REGISTRY (self), NULL);

  keys = (const char **) g_hash_table_get_keys_as_array (self->kinds, NULL);
  kinds = g_strdupv ((char **) keys);
  qsort (kinds, g_strv_length (kinds), sizeof (char *), compare_kinds);

  return kinds;
}

/**
 * picky_channel_registry_create_channel:
 * @self: a #PickyChannelRegistry
 * @id: the channel's row id
 * @app: the app id, e.g. "telegram"
 * @kind: a registered kind
 * @name: the channel's display name
 * @settings_json: (nullable): the channel's settings, holding no secret
 * @error: return location for a #GError
 *
 * Makes a stopped channel without adding it to the list.
 *
 * Returns: (transfer full) (nullable): the channel, or %NULL for an unknown kind
 */
PickyChannel *
picky_channel_registry_create_channel (PickyChannelRegistry  *self,
                                       gint64                 id,
                                       const char            *app,
                                       const char            *kind,
                                       const char            *name,
                                       const char            *settings_json,
                                       GError               **error)
{
  gpointer type;

  g_return_val_if_fail (PICKY_IS_CHANNEL_REGISTRY (self), NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  if (!g_hash_table_lookup_extended (self->kinds, kind, NULL, &type))
    {
      g_autofree char *shown = picky_bidi_isolate (kind);

      g_set_error (error, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_NOT_SUPPORTED,
                   _("This version of Picky Console does not know channels of the kind “%s”"), shown);
      return NULL;
    }

  return g_object_new (GPOINTER_TO_SIZE (type),
                       "id", id,
                       "app", app,
                       "name", name,
                       "settings", settings_json,
                       "store", self->store,
                       "vault", self->vault,
                       "access", self->access,
                       "webhook-server", self->webhook_server,
                       NULL);
}

/**
 * picky_channel_registry_load_async:
 * @self: a #PickyChannelRegistry
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the list matches the store
 * @user_data: data for @callback
 *
 * Reads the channel rows and brings the list in line with them: new rows
 * become stopped channels, channels of removed rows are stopped and
 * dropped, channels that exist already are kept (renamed if need be), and
 * channels whose settings changed are replaced and restarted if they ran.
 */
void
picky_channel_registry_load_async (PickyChannelRegistry *self,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PICKY_IS_CHANNEL_REGISTRY (self));
  g_return_if_fail (PICKY_IS_STORE (self->store));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_channel_registry_load_async);

  picky_store_list_channels_async (self->store, cancellable,
                                   on_channels_listed_cb, g_steal_pointer (&task));
}

gboolean
picky_channel_registry_load_finish (PickyChannelRegistry  *self,
                                    GAsyncResult          *result,
                                    GError               **error)
{
  g_return_val_if_fail (PICKY_IS_CHANNEL_REGISTRY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * picky_channel_registry_get_channels:
 * @self: a #PickyChannelRegistry
 *
 * Returns: (transfer none): a list model of #PickyChannel
 */
GListModel *
picky_channel_registry_get_channels (PickyChannelRegistry *self)
{
  g_return_val_if_fail (PICKY_IS_CHANNEL_REGISTRY (self), NULL);

  return G_LIST_MODEL (self->channels);
}

/**
 * picky_channel_registry_lookup:
 * @self: a #PickyChannelRegistry
 * @id: a channel's row id
 *
 * Returns: (transfer none) (nullable): the channel with @id
 */
PickyChannel *
picky_channel_registry_lookup (PickyChannelRegistry *self,
                               gint64                id)
{
  g_return_val_if_fail (PICKY_IS_CHANNEL_REGISTRY (self), NULL);

  return find_channel (self, id, NULL);
}

void
picky_channel_registry_start_all (PickyChannelRegistry *self)
{
  guint n;

  g_return_if_fail (PICKY_IS_CHANNEL_REGISTRY (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->channels));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PickyChannel) channel = g_list_model_get_item (G_LIST_MODEL (self->channels), i);

      picky_channel_start (channel);
    }
}

void
picky_channel_registry_stop_all (PickyChannelRegistry *self)
{
  guint n;

  g_return_if_fail (PICKY_IS_CHANNEL_REGISTRY (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->channels));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PickyChannel) channel = g_list_model_get_item (G_LIST_MODEL (self->channels), i);

      picky_channel_stop (channel);
    }
}
