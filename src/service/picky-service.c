/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Everything that runs behind the window: keyring, store, access switches and channels. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-bidi.h"
#include "picky-cipher.h"
#include "picky-service.h"

struct _PickyService
{
  GObject               parent_instance;

  /* owned */
  char                 *db_path;
  PickyAccess          *access;
  PickyVault           *vault;
  PickyStore           *store;
  PickyRetention       *retention;
  PickyChannelRegistry *registry;
  PickyWebhookServer   *webhook_server;
  GSettings            *settings;
  GError               *error;
  GPtrArray            *joined_starts;
  gboolean              start_channels;
  gboolean              starting;
  double                open_progress;
  guint                 listener_retry_id;
  guint                 listener_retry_ms;
};

/* How often a listener whose port is taken tries again. */
#define LISTENER_RETRY_MS 5000

G_DEFINE_FINAL_TYPE (PickyService, picky_service, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_READY,
  PROP_ERROR_MESSAGE,
  PROP_STARTING,
  PROP_OPEN_PROGRESS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
picky_service_set_error (PickyService *self,
                         const GError *error)
{
  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
}

static void
set_starting (PickyService *self,
              gboolean      starting)
{
  if (self->starting == starting)
    return;

  self->starting = starting;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTING]);
}

static void
set_open_progress (PickyService *self,
                   double        fraction)
{
  if (self->open_progress == fraction)
    return;

  self->open_progress = fraction;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPEN_PROGRESS]);
}

static void
on_open_progress_cb (double   fraction,
                     gpointer user_data)
{
  set_open_progress (user_data, fraction);
}

static void
on_audited_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!picky_store_audit_finish (PICKY_STORE (object), result, &error))
    g_warning ("An audit entry could not be written: %s", error->message);
}

/* Records @action on a channel in the audit trail; the object is named by
 * its id only. */
static void
audit_channel (PickyService *self,
               const char   *action,
               gint64        channel_id,
               const char   *detail)
{
  g_autofree char *object = g_strdup_printf ("channel %" G_GINT64_FORMAT, channel_id);

  picky_store_audit_async (self->store, action, object, detail, NULL, on_audited_cb, NULL);
}

/* Every process with a service sees a switch move; only the one that
 * receives messages records it, so that it is recorded once. */
static void
on_access_changed_cb (PickyService     *self,
                      const char       *app_id,
                      PickyAccessRight  right,
                      gboolean          enabled)
{
  g_autofree char *detail = NULL;

  if (self->store == NULL || !self->start_channels)
    return;

  detail = g_strdup_printf ("%s %s", right == PICKY_ACCESS_RIGHT_READ ? "read" : "send", enabled ? "on" : "off");
  picky_store_audit_async (self->store, "access-change", app_id, detail, NULL, on_audited_cb, NULL);
}

/* Ends the start under way, and every start asked for meanwhile, alike. */
static void
finish_start (GTask  *task,
              GError *error)
{
  PickyService *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) joined = g_steal_pointer (&self->joined_starts);

  picky_service_set_error (self, error);
  set_starting (self, FALSE);
  if (error == NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);

  for (guint i = 0; joined != NULL && i < joined->len; i++)
    {
      GTask *other = g_ptr_array_index (joined, i);

      if (error != NULL)
        g_task_return_error (other, g_error_copy (error));
      else
        g_task_return_boolean (other, TRUE);
    }

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void start_webhook_server (PickyService *self);

static gboolean
on_listener_retry_cb (gpointer user_data)
{
  PickyService *self = user_data;

  self->listener_retry_id = 0;
  start_webhook_server (self);
  return G_SOURCE_REMOVE;
}

/* A listener that cannot bind (the port is taken) must not keep the
 * console from starting: its bind error says why, the channels that need
 * it show that, and binding is tried again until it works. */
static void
start_webhook_server (PickyService *self)
{
  g_autofree char *address = g_settings_get_string (self->settings, "webhook-address");
  guint port = (guint) g_settings_get_int (self->settings, "webhook-port");

  g_clear_handle_id (&self->listener_retry_id, g_source_remove);

  if (!picky_webhook_server_start (self->webhook_server, address, port, NULL))
    self->listener_retry_id = g_timeout_add (self->listener_retry_ms, on_listener_retry_cb, self);
}

static void
on_webhook_setting_changed_cb (PickyService *self)
{
  if (picky_webhook_server_is_listening (self->webhook_server) || self->listener_retry_id != 0)
    start_webhook_server (self);
}

static void
on_registry_loaded_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyService *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!picky_channel_registry_load_finish (self->registry, result, &error))
    {
      finish_start (task, error);
      return;
    }

  if (self->start_channels)
    {
      start_webhook_server (self);
      picky_channel_registry_start_all (self->registry);
      /* Only where messages are received: a one-off command purges nothing. */
      picky_retention_start (self->retention);
    }

  finish_start (task, NULL);
}

static void
on_business_hours_set_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* FALSE without an error: the hours were already counted in. */
  if (!picky_store_set_business_hours_finish (PICKY_STORE (object), result, &error) && error != NULL)
    g_message ("Business hours not applied to the reports: %s", error->message);
}

/* The store counts waits again only when the hours really changed. */
static void
apply_business_hours (PickyService *self)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  g_autoptr(PickyBusinessHours) hours = picky_business_hours_new_from_settings (self->settings, tz);

  if (self->store != NULL)
    picky_store_set_business_hours_async (self->store, hours, NULL, on_business_hours_set_cb, NULL);
}

static void
on_settings_changed_cb (PickyService *self,
                        const char   *key)
{
  if (g_str_has_prefix (key, "business-"))
    apply_business_hours (self);
}

static void
on_store_opened_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyService *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  self->store = picky_store_open_finish (result, &error);
  set_open_progress (self, -1);
  if (self->store == NULL)
    {
      finish_start (task, error);
      return;
    }

  /* The key went into the keyring before there was a store to record
   * it in; never the key itself. */
  if (picky_vault_created_data_key (self->vault))
    picky_store_audit_async (self->store, "data-key-create", "data key", "stored in the system keyring",
                             NULL, on_audited_cb, NULL);

  /* Queued before anything that reads a report, which then counts waits
   * as the settings say. */
  apply_business_hours (self);

  self->retention = picky_retention_new (self->store, self->settings);
  self->registry = picky_channel_registry_new (self->store, self->vault, self->access);
  picky_channel_registry_set_webhook_server (self->registry, self->webhook_server);
  picky_channel_registry_load_async (self->registry, cancellable,
                                     on_registry_loaded_cb, g_steal_pointer (&task));
}

static void
on_data_key_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyService *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GBytes) key = NULL;
  g_autoptr(PickyCipher) cipher = NULL;
  GError *error = NULL;

  key = picky_vault_get_data_key_finish (self->vault, result, &error);
  if (key == NULL)
    {
      finish_start (task, error);
      return;
    }

  cipher = picky_cipher_new (key, &error);
  if (cipher == NULL)
    {
      finish_start (task, error);
      return;
    }

  /* The task holds the service, so it outlives the progress reports,
   * which end before the open's callback. */
  set_open_progress (self, 0);
  picky_store_open_with_progress_async (self->db_path, cipher, on_open_progress_cb, self, cancellable,
                                        on_store_opened_cb, g_steal_pointer (&task));
}

static void
on_store_identified_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyService *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  g_autofree char *database_id = NULL;
  gboolean sealed = FALSE;

  database_id = picky_store_identify_finish (result, &sealed, &error);
  if (database_id == NULL)
    {
      finish_start (task, error);
      return;
    }

  /* The database's id names its data key and its channels' secrets. */
  picky_vault_set_database_id (self->vault, database_id);

  /* A new key is made only while nothing in the database was sealed or
   * hashed with one: once something was, a key missing from the keyring
   * must be reported, since a fresh key would silently make every name
   * unreadable and every contact unfindable. A file without such rows,
   * e.g. one with channels only, may still get its first key. */
  picky_vault_get_data_key_async (self->vault, !sealed, cancellable,
                                  on_data_key_cb, g_steal_pointer (&task));
}

static void
picky_service_dispose (GObject *object)
{
  PickyService *self = PICKY_SERVICE (object);

  picky_service_shutdown (self);
  g_clear_handle_id (&self->listener_retry_id, g_source_remove);
  g_clear_object (&self->registry);
  if (self->webhook_server != NULL)
    picky_webhook_server_stop (self->webhook_server);
  g_clear_object (&self->webhook_server);
  g_clear_object (&self->settings);
  g_clear_object (&self->retention);
  g_clear_object (&self->store);
  g_clear_object (&self->vault);
  g_clear_object (&self->access);

  G_OBJECT_CLASS (picky_service_parent_class)->dispose (object);
}

static void
picky_service_finalize (GObject *object)
{
  PickyService *self = PICKY_SERVICE (object);

  g_clear_pointer (&self->db_path, g_free);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (picky_service_parent_class)->finalize (object);
}

static void
picky_service_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  PickyService *self = PICKY_SERVICE (object);

  switch (prop_id)
    {
    case PROP_READY:
      g_value_set_boolean (value, picky_service_get_ready (self));
      break;

    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error != NULL ? self->error->message : NULL);
      break;

    case PROP_STARTING:
      g_value_set_boolean (value, self->starting);
      break;

    case PROP_OPEN_PROGRESS:
      g_value_set_double (value, self->open_progress);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_service_class_init (PickyServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_service_dispose;
  object_class->finalize = picky_service_finalize;
  object_class->get_property = picky_service_get_property;

  properties[PROP_READY] =
    g_param_spec_boolean ("ready", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* While the keyring is asked for the data key, which may wait on an
   * unlock prompt, the window says so instead of looking empty. */
  properties[PROP_STARTING] =
    g_param_spec_boolean ("starting", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* While the database is opened: 0 until an update of an earlier
   * version's file tells how far it has come, then that share; -1 when no
   * open is under way. A window shows it when opening takes a while. */
  properties[PROP_OPEN_PROGRESS] =
    g_param_spec_double ("open-progress", NULL, NULL,
                         -1, 1, -1,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
picky_service_init (PickyService *self)
{
  self->access = picky_access_new (NULL);
  g_signal_connect_object (self->access, "changed", G_CALLBACK (on_access_changed_cb), self, G_CONNECT_SWAPPED);
  self->vault = picky_vault_new (NULL);
  self->webhook_server = picky_webhook_server_new ();
  self->listener_retry_ms = LISTENER_RETRY_MS;
  self->open_progress = -1;
  self->settings = g_settings_new (APPLICATION_ID);
  g_signal_connect_object (self->settings, "changed::webhook-address",
                           G_CALLBACK (on_webhook_setting_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::webhook-port",
                           G_CALLBACK (on_webhook_setting_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed",
                           G_CALLBACK (on_settings_changed_cb), self, G_CONNECT_SWAPPED);
}

/**
 * picky_service_new:
 * @db_path: (nullable): the database file, or %NULL for the default place
 *
 * Returns: (transfer full): a service, not started yet
 */
PickyService *
picky_service_new (const char *db_path)
{
  PickyService *self = g_object_new (PICKY_TYPE_SERVICE, NULL);

  self->db_path = db_path != NULL ? g_strdup (db_path) : picky_store_default_path ();
  return self;
}

/**
 * picky_service_get_ready:
 *
 * Returns: whether the keyring gave its key, the store is open and the
 * channels are loaded
 */
gboolean
picky_service_get_ready (PickyService *self)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), FALSE);

  return self->registry != NULL && self->error == NULL;
}

/**
 * picky_service_get_starting:
 *
 * Returns: whether a start is under way: the keyring is asked for the
 *   data key (perhaps showing an unlock prompt), or the store is opened
 */
gboolean
picky_service_get_starting (PickyService *self)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), FALSE);

  return self->starting;
}

/**
 * picky_service_get_open_progress:
 *
 * Returns: how far opening the database has come: -1 when it is not being
 *   opened, 0 while it is and nothing more is known, else the share done
 *   of bringing an earlier version's file up to date
 */
double
picky_service_get_open_progress (PickyService *self)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), -1);

  return self->open_progress;
}

/**
 * picky_service_get_error:
 *
 * Returns: (nullable): why the last start failed, in words for the admin
 */
const GError *
picky_service_get_error (PickyService *self)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), NULL);

  return self->error;
}

PickyStore *
picky_service_get_store (PickyService *self)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), NULL);

  return self->store;
}

/**
 * picky_service_get_retention:
 *
 * Returns: (transfer none) (nullable): what applies the retention-days
 *   setting, once the store is open: its progress and finished signals
 *   tell of long purges
 */
PickyRetention *
picky_service_get_retention (PickyService *self)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), NULL);

  return self->retention;
}

PickyVault *
picky_service_get_vault (PickyService *self)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), NULL);

  return self->vault;
}

PickyAccess *
picky_service_get_access (PickyService *self)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), NULL);

  return self->access;
}

/**
 * picky_service_get_webhook_server:
 *
 * Returns: (transfer none): the webhook listener; it listens once the
 *   service started its channels, at the address and port in GSettings
 */
PickyWebhookServer *
picky_service_get_webhook_server (PickyService *self)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), NULL);

  return self->webhook_server;
}

/**
 * picky_service_get_listener_error:
 *
 * Returns: (nullable): why the webhook listener does not listen, e.g.
 *   "Listener unavailable: 127.0.0.1 port 8080 is in use", while binding is
 *   retried; %NULL when it listens or was never started
 */
const char *
picky_service_get_listener_error (PickyService *self)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), NULL);

  return picky_webhook_server_get_bind_error (self->webhook_server);
}

/**
 * picky_service_set_listener_retry_interval:
 * @interval_ms: how long a listener that could not bind waits before it
 *   tries again; 5 seconds unless set
 */
void
picky_service_set_listener_retry_interval (PickyService *self,
                                           guint         interval_ms)
{
  g_return_if_fail (PICKY_IS_SERVICE (self));
  g_return_if_fail (interval_ms > 0);

  self->listener_retry_ms = interval_ms;
}

PickyChannelRegistry *
picky_service_get_registry (PickyService *self)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), NULL);

  return self->registry;
}

/**
 * picky_service_start_async:
 * @self: a #PickyService
 * @start_channels: whether the channels start receiving, or are only listed
 *
 * Fetches the data key from the keyring, opens the store and loads the
 * channels. When the keyring is unavailable or locked this fails with a
 * #PickyVaultError and may simply be called again (the admin's *Try Again*);
 * a keyring that waits on an unlock prompt fails once the vault's unlock
 * timeout is over. A call made while a start is under way ends with it.
 */
void
picky_service_start_async (PickyService        *self,
                           gboolean             start_channels,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PICKY_IS_SERVICE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_service_start_async);

  if (self->registry != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* A second store and registry would race the first for the same file. */
  if (self->starting)
    {
      if (self->joined_starts == NULL)
        self->joined_starts = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (self->joined_starts, g_steal_pointer (&task));
      return;
    }

  self->start_channels = start_channels;
  set_starting (self, TRUE);
  picky_service_set_error (self, NULL);

  picky_store_identify_async (self->db_path, cancellable,
                              on_store_identified_cb, g_steal_pointer (&task));
}

gboolean
picky_service_start_finish (PickyService  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * picky_service_shutdown:
 *
 * Stops every channel and closes the store; pending commits are finished
 * first by the store, so nothing acknowledged is lost.
 */
void
picky_service_shutdown (PickyService *self)
{
  g_return_if_fail (PICKY_IS_SERVICE (self));

  if (self->registry != NULL)
    picky_channel_registry_stop_all (self->registry);
  if (self->retention != NULL)
    picky_retention_stop (self->retention);
  if (self->store != NULL)
    picky_store_close (self->store);
}

static void
return_no_such_channel (GTask  *task,
                        gint64  channel_id)
{
  /* The number is formatted first: a format macro inside the message would
   * split it for translators. */
  g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, channel_id);

  g_task_return_new_error (task, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                           _("There is no channel with the number %s"), number);
}

/* Adding and editing a channel share their steps: row, secrets, reload. */
typedef struct {
  gint64      channel_id;
  gboolean    editing;
  GHashTable *secrets;
  GList      *pending_kinds;
  GError     *error;
} ChannelData;

static void
channel_data_free (ChannelData *data)
{
  g_clear_pointer (&data->secrets, g_hash_table_unref);
  g_list_free (data->pending_kinds);
  g_clear_error (&data->error);
  g_free (data);
}

/* Every secret is checked before anything is stored, so that a bad one
 * leaves neither a row nor the other secrets behind. */
static gboolean
check_secrets (GHashTable  *secrets,
               GError     **error)
{
  g_autoptr(GList) kinds = g_hash_table_get_keys (secrets);

  kinds = g_list_sort (kinds, (GCompareFunc) g_strcmp0);
  for (GList *l = kinds; l != NULL; l = l->next)
    if (!picky_vault_check_secret (l->data, g_hash_table_lookup (secrets, l->data), error))
      return FALSE;

  return TRUE;
}

static void
on_added_channel_loaded_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyService *self = g_task_get_source_object (task);
  ChannelData *data = g_task_get_task_data (task);
  PickyChannel *channel;
  GError *error = NULL;

  if (!picky_channel_registry_load_finish (self->registry, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (data->editing)
    audit_channel (self, "channel-edit", data->channel_id, NULL);
  else
    {
      PickyChannel *added = picky_channel_registry_lookup (self->registry, data->channel_id);
      g_autofree char *detail = added != NULL ? g_strdup_printf ("kind %s", picky_channel_get_kind (added)) : NULL;

      audit_channel (self, "channel-add", data->channel_id, detail);
    }
  if (data->editing && g_hash_table_size (data->secrets) > 0)
    {
      g_autoptr(GList) kinds = g_list_sort (g_hash_table_get_keys (data->secrets), (GCompareFunc) g_strcmp0);
      g_autoptr(GString) detail = g_string_new (NULL);

      /* Which secrets, never their values. */
      for (GList *l = kinds; l != NULL; l = l->next)
        g_string_append_printf (detail, "%s%s", detail->len > 0 ? ", " : "", (const char *) l->data);
      audit_channel (self, "secret-change", data->channel_id, detail->str);
    }

  channel = picky_channel_registry_lookup (self->registry, data->channel_id);
  if (channel != NULL && !data->editing && self->start_channels)
    {
      picky_channel_start (channel);
    }
  else if (channel != NULL && data->editing && g_hash_table_size (data->secrets) > 0 &&
           picky_channel_get_state (channel) != PICKY_CHANNEL_STATE_STOPPED)
    {
      /* Channels read their secrets when they start. */
      picky_channel_stop (channel);
      picky_channel_start (channel);
    }

  g_task_return_int (task, data->channel_id);
}

static void
on_rolled_back_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyService *self = g_task_get_source_object (task);
  ChannelData *data = g_task_get_task_data (task);

  /* The keyring refused a secret: the row goes too, so no channel is left
   * that could never connect. The keyring's error is what the admin sees. */
  picky_store_remove_channel_finish (self->store, result, NULL);
  g_task_return_error (task, g_steal_pointer (&data->error));
}

static void store_next_secret (GTask *task);

static void
on_secret_stored_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyService *self = g_task_get_source_object (task);
  ChannelData *data = g_task_get_task_data (task);

  if (!picky_vault_store_secret_finish (self->vault, result, &data->error))
    {
      /* An edited channel keeps its row and its other secrets. */
      if (data->editing)
        {
          g_task_return_error (task, g_steal_pointer (&data->error));
          return;
        }

      picky_vault_clear_channel_async (self->vault, data->channel_id, NULL, NULL, NULL);
      picky_store_remove_channel_async (self->store, data->channel_id, NULL,
                                        on_rolled_back_cb, g_steal_pointer (&task));
      return;
    }

  store_next_secret (g_steal_pointer (&task));
}

static void
store_next_secret (GTask *task)
{
  PickyService *self = g_task_get_source_object (task);
  ChannelData *data = g_task_get_task_data (task);
  const char *kind;

  if (data->pending_kinds == NULL)
    {
      picky_channel_registry_load_async (self->registry, g_task_get_cancellable (task),
                                         on_added_channel_loaded_cb, task);
      return;
    }

  kind = data->pending_kinds->data;
  data->pending_kinds = g_list_delete_link (data->pending_kinds, data->pending_kinds);
  picky_vault_store_secret_async (self->vault, data->channel_id, kind,
                                  g_hash_table_lookup (data->secrets, kind),
                                  g_task_get_cancellable (task),
                                  on_secret_stored_cb, task);
}

static void
on_channel_row_added_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  GTask *task = user_data;
  PickyService *self = g_task_get_source_object (task);
  ChannelData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->channel_id = picky_store_add_channel_finish (self->store, result, &error);
  if (data->channel_id <= 0)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  store_next_secret (task);
}

/**
 * picky_service_add_channel_async:
 * @self: a started #PickyService
 * @kind: a kind the registry knows, e.g. "telegram"
 * @app: the app id the channel serves
 * @name: the name the admin gave it
 * @settings_json: its settings, a JSON object holding no secret
 * @secrets: (element-type utf8 utf8): secret kind → secret, for the keyring only
 *
 * Adds the channel's row, puts its secrets in the keyring, and starts it.
 * A secret picky_vault_check_secret() refuses fails it before anything is
 * stored. If the keyring refuses, the row is removed again and nothing is
 * stored anywhere else.
 */
void
picky_service_add_channel_async (PickyService        *self,
                                 const char          *kind,
                                 const char          *app,
                                 const char          *name,
                                 const char          *settings_json,
                                 GHashTable          *secrets,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ChannelData *data;
  GError *error = NULL;

  g_return_if_fail (PICKY_IS_SERVICE (self));
  g_return_if_fail (self->registry != NULL);
  g_return_if_fail (kind != NULL && app != NULL && name != NULL);
  g_return_if_fail (secrets != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_service_add_channel_async);

  if (!picky_channel_registry_has_kind (self->registry, kind))
    {
      g_autofree char *shown = picky_bidi_isolate (kind);

      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_NOT_SUPPORTED,
                               _("This version of Picky Console does not know channels of the kind “%s”"), shown);
      return;
    }

  if (!check_secrets (secrets, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  data = g_new0 (ChannelData, 1);
  data->secrets = g_hash_table_ref (secrets);
  data->pending_kinds = g_hash_table_get_keys (secrets);
  g_task_set_task_data (task, data, (GDestroyNotify) channel_data_free);

  picky_store_add_channel_async (self->store, app, kind, name,
                                 settings_json != NULL ? settings_json : "{}",
                                 cancellable, on_channel_row_added_cb, g_steal_pointer (&task));
}

gint64
picky_service_add_channel_finish (PickyService  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  return g_task_propagate_int (G_TASK (result), error);
}

static void
on_trial_tested_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *answer;

  answer = picky_channel_test_connection_finish (PICKY_CHANNEL (object), result, &error);
  if (answer == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, answer, g_free);
}

/**
 * picky_service_test_channel_async:
 * @self: a started #PickyService
 * @kind: a kind the registry knows whose class can test its connection
 * @app: the app id the channel would serve
 * @settings_json: its settings, a JSON object holding no secret
 * @secrets: (element-type utf8 utf8): secret kind → secret, used and not stored
 *
 * Asks the provider whether a channel would work before it is added: a
 * channel that is neither stored nor started tests with @secrets.
 */
void
picky_service_test_channel_async (PickyService        *self,
                                  const char          *kind,
                                  const char          *app,
                                  const char          *settings_json,
                                  GHashTable          *secrets,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(PickyChannel) channel = NULL;
  GError *error = NULL;

  g_return_if_fail (PICKY_IS_SERVICE (self));
  g_return_if_fail (self->registry != NULL);
  g_return_if_fail (kind != NULL && app != NULL);
  g_return_if_fail (secrets != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_service_test_channel_async);

  channel = picky_channel_registry_create_channel (self->registry, 0, app, kind, "",
                                                   settings_json != NULL ? settings_json : "{}",
                                                   &error);
  if (channel == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  picky_channel_use_secrets (channel, secrets);
  picky_channel_test_connection_async (channel, cancellable, on_trial_tested_cb, g_steal_pointer (&task));
}

/**
 * picky_service_test_channel_finish:
 *
 * Returns: (transfer full) (nullable): the provider's answer as a sentence
 *   for a toast, or %NULL with @error set
 */
char *
picky_service_test_channel_finish (PickyService  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_channel_row_updated_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  GTask *task = user_data;
  PickyService *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!picky_store_update_channel_finish (self->store, result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  store_next_secret (task);
}

/**
 * picky_service_update_channel_async:
 * @self: a started #PickyService
 * @channel_id: the channel to change
 * @name: (nullable): its new name, or %NULL to keep it
 * @settings_json: (nullable): its new settings, or %NULL to keep them
 * @secrets: (element-type utf8 utf8): the secrets to replace; others are kept
 *
 * Changes a channel. A channel whose settings changed is replaced by a new
 * one, and a running channel whose secrets changed restarts to read them.
 */
void
picky_service_update_channel_async (PickyService        *self,
                                    gint64               channel_id,
                                    const char          *name,
                                    const char          *settings_json,
                                    GHashTable          *secrets,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ChannelData *data;
  GError *error = NULL;

  g_return_if_fail (PICKY_IS_SERVICE (self));
  g_return_if_fail (self->registry != NULL);
  g_return_if_fail (secrets != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_service_update_channel_async);

  if (picky_channel_registry_lookup (self->registry, channel_id) == NULL)
    {
      return_no_such_channel (task, channel_id);
      return;
    }

  if (!check_secrets (secrets, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  data = g_new0 (ChannelData, 1);
  data->channel_id = channel_id;
  data->editing = TRUE;
  data->secrets = g_hash_table_ref (secrets);
  data->pending_kinds = g_hash_table_get_keys (secrets);
  g_task_set_task_data (task, data, (GDestroyNotify) channel_data_free);

  picky_store_update_channel_async (self->store, channel_id, name, settings_json, cancellable,
                                    on_channel_row_updated_cb, g_steal_pointer (&task));
}

gboolean
picky_service_update_channel_finish (PickyService  *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_int (G_TASK (result), error) > 0;
}

static void
on_removed_channel_loaded_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyService *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!picky_channel_registry_load_finish (self->registry, result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_channel_row_removed_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyService *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!picky_store_remove_channel_finish (self->store, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  audit_channel (self, "channel-remove", GPOINTER_TO_SIZE (g_task_get_task_data (task)), NULL);

  picky_channel_registry_load_async (self->registry, cancellable,
                                     on_removed_channel_loaded_cb, g_steal_pointer (&task));
}

static void
on_secrets_cleared_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyService *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  gint64 channel_id = GPOINTER_TO_SIZE (g_task_get_task_data (task));
  GError *error = NULL;

  /* Secrets go first: a channel whose secrets could not be removed stays
   * listed, so the admin can try again rather than leave a token behind. */
  if (!picky_vault_clear_channel_finish (self->vault, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  picky_store_remove_channel_async (self->store, channel_id, cancellable,
                                    on_channel_row_removed_cb, g_steal_pointer (&task));
}

/**
 * picky_service_remove_channel_async:
 *
 * Stops the channel, removes its secrets from the keyring and its row.
 */
void
picky_service_remove_channel_async (PickyService        *self,
                                    gint64               channel_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  PickyChannel *channel;

  g_return_if_fail (PICKY_IS_SERVICE (self));
  g_return_if_fail (self->registry != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_service_remove_channel_async);
  g_task_set_task_data (task, GSIZE_TO_POINTER (channel_id), NULL);

  channel = picky_channel_registry_lookup (self->registry, channel_id);
  if (channel == NULL)
    {
      return_no_such_channel (task, channel_id);
      return;
    }

  picky_channel_stop (channel);
  picky_vault_clear_channel_async (self->vault, channel_id, cancellable,
                                   on_secrets_cleared_cb, g_steal_pointer (&task));
}

gboolean
picky_service_remove_channel_finish (PickyService  *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (PICKY_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
