/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The base of every channel: its identity, its state for the UI, sending replies, and the description of its kind. */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "picky-channel-private.h"

typedef struct
{
  /* owned */
  gint64             id;
  char              *app;
  char              *name;
  char              *settings;
  PickyChannelState  state;
  char              *last_error;
  gint64             last_message_time;
  PickyStore        *store;
  PickyVault        *vault;
  PickyAccess       *access;
  PickyWebhookServer *webhook_server;
  char              *webhook_path;   /* the path it joined, while it did */
  double             backoff_scale;
  GHashTable        *trial_secrets;  /* a channel not yet added: its secrets, not the keyring's */
} PickyChannelPrivate;

struct _PickyChannelField
{
  char                   *key;            /* settings member, or the secret's kind in the keyring */
  PickyChannelFieldKind   kind;
  PickyChannelFieldFlags  flags;
  char                   *label;          /* untranslated */
  char                   *default_value;
  char                   *help;           /* untranslated */
};

struct _PickyChannelSetup
{
  char      *title;
  char      *description;
  GPtrArray *labels;
  GPtrArray *values;
};

/* What a kind says about itself, kept on its GType rather than in the
 * class structure so that a subclass never inherits its parent's. */
typedef struct
{
  const char *kind;
  const char *app;          /* NULL: one channel of the kind per app, chosen when it is made */
  const char *title;        /* untranslated, as all texts here */
  const char *description;
  gboolean    addable;
  GPtrArray  *fields;       /* PickyChannelField */
  const char *sender;       /* who sends its webhooks, a name such as "Meta"; NULL: not fed by webhooks */
  const char *setup_secret; /* the generated secret its setup shows, kept in the keyring */
} KindInfo;

static PickyChannelSetup *picky_channel_setup_copy (PickyChannelSetup *setup);
static GQuark kind_info_quark (void);

G_DEFINE_QUARK (picky-channel-error-quark, picky_channel_error)
G_DEFINE_QUARK (picky-channel-kind-info, kind_info)
G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (PickyChannel, picky_channel, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (PickyChannelField, picky_channel_field, picky_channel_field_copy, picky_channel_field_free)
G_DEFINE_BOXED_TYPE (PickyChannelSetup, picky_channel_setup, picky_channel_setup_copy, picky_channel_setup_free)

enum {
  PROP_0,
  PROP_ID,
  PROP_APP,
  PROP_NAME,
  PROP_SETTINGS,
  PROP_STATE,
  PROP_LAST_ERROR,
  PROP_LAST_MESSAGE_TIME,
  PROP_STORE,
  PROP_VAULT,
  PROP_ACCESS,
  PROP_WEBHOOK_SERVER,
  PROP_BACKOFF_SCALE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Written by hand rather than by glib-mkenums: one enum does not justify a
 * generated file, and the nicks double as stable names for logs. */
static const GEnumValue state_values[] = {
  { PICKY_CHANNEL_STATE_STOPPED, "PICKY_CHANNEL_STATE_STOPPED", "stopped" },
  { PICKY_CHANNEL_STATE_CONNECTING, "PICKY_CHANNEL_STATE_CONNECTING", "connecting" },
  { PICKY_CHANNEL_STATE_ONLINE, "PICKY_CHANNEL_STATE_ONLINE", "online" },
  { PICKY_CHANNEL_STATE_BACKING_OFF, "PICKY_CHANNEL_STATE_BACKING_OFF", "backing-off" },
  { PICKY_CHANNEL_STATE_AUTH_FAILED, "PICKY_CHANNEL_STATE_AUTH_FAILED", "auth-failed" },
  { PICKY_CHANNEL_STATE_DISABLED, "PICKY_CHANNEL_STATE_DISABLED", "disabled" },
  { 0, NULL, NULL },
};

GType
picky_channel_state_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      GType type = g_enum_register_static (g_intern_static_string ("PickyChannelState"),
                                           state_values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

/**
 * picky_channel_state_to_string:
 * @state: a #PickyChannelState
 *
 * Returns: the state's stable nick, such as "backing-off", for logs
 */
const char *
picky_channel_state_to_string (PickyChannelState state)
{
  g_return_val_if_fail (state <= PICKY_CHANNEL_STATE_DISABLED, NULL);

  return state_values[state].value_nick;
}

/* g_set_str() is newer than the GLib we build against. */
static gboolean
replace_string (char       **field,
                const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
picky_channel_real_send_async (PickyChannel        *self,
                               PickyMessage        *message,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_task_report_new_error (self, callback, user_data, picky_channel_real_send_async,
                           PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_NOT_SUPPORTED,
                           _("This channel cannot send messages"));
}

static char *
picky_channel_real_send_finish (PickyChannel  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static KindInfo *
ensure_kind_info (GType type)
{
  KindInfo *info = g_type_get_qdata (type, kind_info_quark ());

  if (info == NULL)
    {
      info = g_new0 (KindInfo, 1);
      info->addable = TRUE;
      info->fields = g_ptr_array_new_with_free_func ((GDestroyNotify) picky_channel_field_free);
      g_type_set_qdata (type, kind_info_quark (), info);
    }

  return info;
}

/* The description is written by class_init, so the class must exist
 * before it is read. The reference is kept: a static type's class lives
 * as long as the process anyway. */
static KindInfo *
lookup_kind_info (GType type)
{
  g_return_val_if_fail (g_type_is_a (type, PICKY_TYPE_CHANNEL), NULL);

  if (g_type_class_peek (type) == NULL)
    g_type_class_ref (type);

  return ensure_kind_info (type);
}

static gboolean
is_web_address (const char *text)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);

  return uri != NULL &&
         (g_strcmp0 (g_uri_get_scheme (uri), "https") == 0 ||
          g_strcmp0 (g_uri_get_scheme (uri), "http") == 0) &&
         g_uri_get_host (uri) != NULL && g_uri_get_host (uri)[0] != '\0';
}

static PickyChannelSetup *
picky_channel_setup_copy (PickyChannelSetup *setup)
{
  PickyChannelSetup *copy = picky_channel_setup_new (setup->title, setup->description);

  for (guint i = 0; i < setup->labels->len; i++)
    picky_channel_setup_add_value (copy, g_ptr_array_index (setup->labels, i),
                                   g_ptr_array_index (setup->values, i));

  return copy;
}

static void
picky_channel_real_test_connection_async (PickyChannel        *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_task_report_new_error (self, callback, user_data, picky_channel_real_test_connection_async,
                           PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_NOT_SUPPORTED,
                           _("This channel cannot test its connection"));
}

static char *
picky_channel_real_test_connection_finish (PickyChannel  *self,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
picky_channel_dispose (GObject *object)
{
  PickyChannel *self = PICKY_CHANNEL (object);
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  picky_channel_leave_webhook (self);
  g_clear_object (&priv->store);
  g_clear_object (&priv->vault);
  g_clear_object (&priv->access);
  g_clear_object (&priv->webhook_server);

  G_OBJECT_CLASS (picky_channel_parent_class)->dispose (object);
}

static void
picky_channel_finalize (GObject *object)
{
  PickyChannel *self = PICKY_CHANNEL (object);
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_free (priv->app);
  g_free (priv->name);
  g_free (priv->settings);
  g_free (priv->last_error);
  g_clear_pointer (&priv->trial_secrets, g_hash_table_unref);

  G_OBJECT_CLASS (picky_channel_parent_class)->finalize (object);
}

static void
picky_channel_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  PickyChannel *self = PICKY_CHANNEL (object);
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, priv->id);
      break;
    case PROP_APP:
      g_value_set_string (value, priv->app);
      break;
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    case PROP_SETTINGS:
      g_value_set_string (value, priv->settings);
      break;
    case PROP_STATE:
      g_value_set_enum (value, priv->state);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, priv->last_error);
      break;
    case PROP_LAST_MESSAGE_TIME:
      g_value_set_int64 (value, priv->last_message_time);
      break;
    case PROP_STORE:
      g_value_set_object (value, priv->store);
      break;
    case PROP_VAULT:
      g_value_set_object (value, priv->vault);
      break;
    case PROP_ACCESS:
      g_value_set_object (value, priv->access);
      break;
    case PROP_WEBHOOK_SERVER:
      g_value_set_object (value, priv->webhook_server);
      break;
    case PROP_BACKOFF_SCALE:
      g_value_set_double (value, priv->backoff_scale);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_channel_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  PickyChannel *self = PICKY_CHANNEL (object);
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ID:
      priv->id = g_value_get_int64 (value);
      break;
    case PROP_APP:
      priv->app = g_value_dup_string (value);
      break;
    case PROP_NAME:
      picky_channel_set_name (self, g_value_get_string (value));
      break;
    case PROP_SETTINGS:
      priv->settings = g_value_dup_string (value);
      break;
    case PROP_STORE:
      priv->store = g_value_dup_object (value);
      break;
    case PROP_VAULT:
      priv->vault = g_value_dup_object (value);
      break;
    case PROP_ACCESS:
      priv->access = g_value_dup_object (value);
      break;
    case PROP_WEBHOOK_SERVER:
      priv->webhook_server = g_value_dup_object (value);
      break;
    case PROP_BACKOFF_SCALE:
      priv->backoff_scale = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_channel_class_init (PickyChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_channel_dispose;
  object_class->finalize = picky_channel_finalize;
  object_class->get_property = picky_channel_get_property;
  object_class->set_property = picky_channel_set_property;

  klass->send_async = picky_channel_real_send_async;
  klass->send_finish = picky_channel_real_send_finish;
  klass->test_connection_async = picky_channel_real_test_connection_async;
  klass->test_connection_finish = picky_channel_real_test_connection_finish;

  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL,
                        0, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_APP] =
    g_param_spec_string ("app", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* A JSON object holding no secret, e.g. {"api_base": "…"}. */
  properties[PROP_SETTINGS] =
    g_param_spec_string ("settings", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       PICKY_TYPE_CHANNEL_STATE, PICKY_CHANNEL_STATE_STOPPED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* Translated and free of secrets, so the UI may show it verbatim. */
  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LAST_MESSAGE_TIME] =
    g_param_spec_int64 ("last-message-time", NULL, NULL,
                        0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         PICKY_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VAULT] =
    g_param_spec_object ("vault", NULL, NULL,
                         PICKY_TYPE_VAULT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACCESS] =
    g_param_spec_object ("access", NULL, NULL,
                         PICKY_TYPE_ACCESS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* The listener whose paths channels fed by webhooks join. */
  properties[PROP_WEBHOOK_SERVER] =
    g_param_spec_object ("webhook-server", NULL, NULL,
                         PICKY_TYPE_WEBHOOK_SERVER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /* Multiplies every backoff wait; tests shorten them with it. */
  properties[PROP_BACKOFF_SCALE] =
    g_param_spec_double ("backoff-scale", NULL, NULL,
                         0.0001, 1.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
picky_channel_init (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  priv->backoff_scale = 1.0;
}

/**
 * picky_channel_backoff_ms:
 * @self: a #PickyChannel
 * @n_failures: how many tries in a row failed before this wait, less one
 * @first_ms: the first wait
 * @at_least_ms: a wait the provider asked for, or 0
 *
 * Exponential backoff with "equal jitter": the step doubles from @first_ms
 * up to a minute, half of it fixed and half random, so that consoles
 * restarted together do not retry in lockstep.
 *
 * Returns: milliseconds to wait, scaled by the `backoff-scale` property
 */
guint
picky_channel_backoff_ms (PickyChannel *self,
                          guint         n_failures,
                          guint         first_ms,
                          guint         at_least_ms)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);
  guint step;
  guint ms;

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), first_ms);

  step = MIN (first_ms << MIN (n_failures, 6), PICKY_CHANNEL_BACKOFF_MAX_MS);
  ms = step / 2 + g_random_int_range (0, step / 2 + 1);
  ms = MAX (ms, at_least_ms);

  return MAX (1, (guint) (ms * priv->backoff_scale));
}

gint64
picky_channel_get_id (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), 0);

  return priv->id;
}

/**
 * picky_channel_get_kind:
 * @self: a #PickyChannel
 *
 * Returns: (nullable): the kind as the store names it, e.g. "telegram"
 */
const char *
picky_channel_get_kind (PickyChannel *self)
{
  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);

  return picky_channel_class_get_kind (G_OBJECT_TYPE (self));
}

const char *
picky_channel_get_app (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);

  return priv->app;
}

const char *
picky_channel_get_name (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);

  return priv->name;
}

void
picky_channel_set_name (PickyChannel *self,
                        const char   *name)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_if_fail (PICKY_IS_CHANNEL (self));

  if (replace_string (&priv->name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

PickyChannelState
picky_channel_get_state (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), PICKY_CHANNEL_STATE_STOPPED);

  return priv->state;
}

const char *
picky_channel_get_last_error (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);

  return priv->last_error;
}

gint64
picky_channel_get_last_message_time (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), 0);

  return priv->last_message_time;
}

const char *
picky_channel_get_settings (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);

  return priv->settings;
}

PickyStore *
picky_channel_get_store (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);

  return priv->store;
}

PickyVault *
picky_channel_get_vault (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);

  return priv->vault;
}

PickyAccess *
picky_channel_get_access (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);

  return priv->access;
}

/**
 * picky_channel_get_webhook_server:
 * @self: a #PickyChannel
 *
 * Returns: (transfer none) (nullable): the listener whose paths the
 *   channel joins
 */
PickyWebhookServer *
picky_channel_get_webhook_server (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);

  return priv->webhook_server;
}

/**
 * picky_channel_start:
 * @self: a #PickyChannel
 *
 * Begins receiving. Progress and trouble show in #PickyChannel:state and
 * #PickyChannel:last-error rather than in a callback, because a channel
 * runs until it is stopped.
 */
void
picky_channel_start (PickyChannel *self)
{
  g_return_if_fail (PICKY_IS_CHANNEL (self));

  if (PICKY_CHANNEL_GET_CLASS (self)->start != NULL)
    PICKY_CHANNEL_GET_CLASS (self)->start (self);
}

/**
 * picky_channel_stop:
 * @self: a #PickyChannel
 *
 * Cancels whatever the channel has in flight and leaves it stopped.
 */
void
picky_channel_stop (PickyChannel *self)
{
  g_return_if_fail (PICKY_IS_CHANNEL (self));

  if (PICKY_CHANNEL_GET_CLASS (self)->stop != NULL)
    PICKY_CHANNEL_GET_CLASS (self)->stop (self);
}

/**
 * picky_channel_can_read:
 * @self: a #PickyChannel
 *
 * Whether read access is on for the channel's app, so that what arrives
 * may be stored; a channel made without access switches always reads.
 *
 * Returns: %TRUE if the channel may store incoming messages
 */
gboolean
picky_channel_can_read (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), FALSE);

  return priv->access == NULL || picky_access_can_read (priv->access, priv->app);
}

/**
 * picky_channel_send_async:
 * @self: a #PickyChannel
 * @message: the outgoing reply: recipient in contact-provider-id, and text
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the provider has accepted or refused the message
 * @user_data: data for @callback
 *
 * Sends a reply. When push access for the channel's app is off this fails
 * at once with the access error and nothing reaches the provider.
 */
void
picky_channel_send_async (PickyChannel        *self,
                          PickyMessage        *message,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);
  g_autoptr(GError) error = NULL;

  g_return_if_fail (PICKY_IS_CHANNEL (self));
  g_return_if_fail (PICKY_IS_MESSAGE (message));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (priv->access != NULL &&
      !picky_access_check_push (priv->access, priv->app, &error))
    {
      g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

      g_task_set_source_tag (task, picky_channel_send_async);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  PICKY_CHANNEL_GET_CLASS (self)->send_async (self, message, cancellable, callback, user_data);
}

/**
 * picky_channel_send_finish:
 * @self: a #PickyChannel
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the provider key of the sent message, or %NULL
 */
char *
picky_channel_send_finish (PickyChannel  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);

  /* The access refusal was reported by the base class, not the subclass. */
  if (g_task_is_valid (result, self) &&
      g_task_get_source_tag (G_TASK (result)) == picky_channel_send_async)
    return g_task_propagate_pointer (G_TASK (result), error);

  return PICKY_CHANNEL_GET_CLASS (self)->send_finish (self, result, error);
}

/**
 * picky_channel_test_connection_async:
 * @self: a #PickyChannel
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with what answered, or why nothing did
 * @user_data: data for @callback
 *
 * Asks the provider whether the channel's stored secrets work, reading
 * them from the keyring anew. A kind that cannot check fails with
 * %PICKY_CHANNEL_ERROR_NOT_SUPPORTED; see
 * picky_channel_class_can_test_connection().
 */
void
picky_channel_test_connection_async (PickyChannel        *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (PICKY_IS_CHANNEL (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  PICKY_CHANNEL_GET_CLASS (self)->test_connection_async (self, cancellable, callback, user_data);
}

/**
 * picky_channel_test_connection_finish:
 * @self: a #PickyChannel
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a translated sentence naming who answered,
 *   such as the bot, or %NULL with @error set
 */
char *
picky_channel_test_connection_finish (PickyChannel  *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);

  return PICKY_CHANNEL_GET_CLASS (self)->test_connection_finish (self, result, error);
}

/**
 * picky_channel_dup_setup_instructions:
 * @self: a #PickyChannel
 * @secrets: (nullable): the secrets just stored for @self, kind → value
 *
 * Returns: (transfer full) (nullable): what the admin must now do at the
 *   provider for @self to receive messages, or %NULL when nothing
 */
PickyChannelSetup *
picky_channel_dup_setup_instructions (PickyChannel *self,
                                      GHashTable   *secrets)
{
  PickyChannelClass *klass;

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);

  klass = PICKY_CHANNEL_GET_CLASS (self);
  if (klass->dup_setup_instructions == NULL)
    return NULL;

  return klass->dup_setup_instructions (self, secrets);
}

static void
on_setup_secret_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyChannel *self = PICKY_CHANNEL (object);
  const char *kind = g_task_get_task_data (task);
  g_autoptr(GHashTable) secrets = NULL;
  g_autoptr(GError) error = NULL;
  char *secret;

  secret = picky_channel_lookup_secret_finish (self, result, &error);
  if (secret == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  secrets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (secrets, (gpointer) kind, secret);
  g_task_return_pointer (task, picky_channel_dup_setup_instructions (self, secrets),
                         (GDestroyNotify) picky_channel_setup_free);
}

/**
 * picky_channel_dup_stored_setup_async:
 * @self: a stored #PickyChannel
 *
 * Reads the secret the kind's setup shows (such as a Meta verify token)
 * from the keyring again, for an admin who set up the provider later.
 * A kind without one answers %NULL and no error.
 */
void
picky_channel_dup_stored_setup_async (PickyChannel        *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  KindInfo *info;

  g_return_if_fail (PICKY_IS_CHANNEL (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_channel_dup_stored_setup_async);

  info = lookup_kind_info (G_OBJECT_TYPE (self));
  if (info == NULL || info->setup_secret == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  g_task_set_task_data (task, (gpointer) info->setup_secret, NULL);
  picky_channel_lookup_secret_async (self, info->setup_secret,
                                     _("The keyring holds no setup value for this channel"),
                                     cancellable, on_setup_secret_cb, g_steal_pointer (&task));
}

/**
 * picky_channel_dup_stored_setup_finish:
 *
 * Returns: (transfer full) (nullable): the setup instructions, or %NULL
 *   when the kind has none or with @error set
 */
PickyChannelSetup *
picky_channel_dup_stored_setup_finish (PickyChannel  *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_channel_use_secrets:
 * @self: a channel that is not stored (id 0)
 * @secrets: (element-type utf8 utf8): secret kind → secret
 *
 * Makes @self read its secrets from @secrets instead of the keyring, so
 * that a channel's connection can be tested before it is added and
 * anything is stored.
 */
void
picky_channel_use_secrets (PickyChannel *self,
                           GHashTable   *secrets)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_if_fail (PICKY_IS_CHANNEL (self));
  g_return_if_fail (priv->id == 0);
  g_return_if_fail (secrets != NULL);

  g_clear_pointer (&priv->trial_secrets, g_hash_table_unref);
  priv->trial_secrets = g_hash_table_ref (secrets);
}

/**
 * picky_channel_set_state:
 * @self: a #PickyChannel
 * @state: the new state
 *
 * For subclasses. Notifies only when the state really changes.
 */
void
picky_channel_set_state (PickyChannel      *self,
                         PickyChannelState  state)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_if_fail (PICKY_IS_CHANNEL (self));
  g_return_if_fail (state <= PICKY_CHANNEL_STATE_DISABLED);

  if (priv->state == state)
    return;

  g_debug ("Channel %" G_GINT64_FORMAT ": %s → %s", priv->id,
           picky_channel_state_to_string (priv->state),
           picky_channel_state_to_string (state));
  priv->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/**
 * picky_channel_set_last_error:
 * @self: a #PickyChannel
 * @last_error: (nullable): a translated sentence holding no secret, or %NULL
 *
 * For subclasses. Notifies only when the text really changes.
 */
void
picky_channel_set_last_error (PickyChannel *self,
                              const char   *last_error)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_if_fail (PICKY_IS_CHANNEL (self));

  if (replace_string (&priv->last_error, last_error))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

/**
 * picky_channel_note_message_time:
 * @self: a #PickyChannel
 * @unix_seconds: when a message that just arrived was sent
 *
 * For subclasses. Raises #PickyChannel:last-message-time to @unix_seconds
 * if that is later: a batch may hold older messages, redelivered or held
 * back, and the Channels page shows when the newest one came.
 */
void
picky_channel_note_message_time (PickyChannel *self,
                                 gint64        unix_seconds)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_if_fail (PICKY_IS_CHANNEL (self));

  if (unix_seconds <= priv->last_message_time)
    return;

  priv->last_message_time = unix_seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_MESSAGE_TIME]);
}

/**
 * picky_channel_dup_setting:
 * @self: a #PickyChannel
 * @key: a member of the settings object
 * @default_value: (nullable): returned when the member is absent or not a string
 *
 * Returns: (transfer full) (nullable): the string value of @key
 */
char *
picky_channel_dup_setting (PickyChannel *self,
                           const char   *key,
                           const char   *default_value)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  JsonNode *member;

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  if (priv->settings == NULL || *priv->settings == '\0')
    return g_strdup (default_value);

  /* Settings are written by the console itself; a damaged value falls back
   * to the default so the channel still starts and can show its error. */
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, priv->settings, -1, NULL))
    return g_strdup (default_value);

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return g_strdup (default_value);

  member = json_object_get_member (json_node_get_object (root), key);
  if (member == NULL || json_node_get_value_type (member) != G_TYPE_STRING)
    return g_strdup (default_value);

  return json_node_dup_string (member);
}

static void
on_secret_looked_up_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *missing = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;

  secret = picky_vault_lookup_secret_finish (PICKY_VAULT (object), result, &error);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (secret == NULL || secret[0] == '\0')
    g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_NO_SECRET, "%s", missing);
  else
    g_task_return_pointer (task, g_steal_pointer (&secret), g_free);
}

/**
 * picky_channel_lookup_secret_async:
 * @self: a #PickyChannel
 * @kind: the secret's kind in the keyring, e.g. "token"
 * @missing: the translated message for a secret that is not stored
 *
 * Reads one of the channel's secrets from the keyring. A channel without a
 * vault, or a secret that is absent or empty, fails with
 * %PICKY_CHANNEL_ERROR_NO_SECRET and @missing.
 */
void
picky_channel_lookup_secret_async (PickyChannel        *self,
                                   const char          *kind,
                                   const char          *missing,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PICKY_IS_CHANNEL (self));
  g_return_if_fail (kind != NULL && missing != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_channel_lookup_secret_async);
  g_task_set_task_data (task, g_strdup (missing), g_free);

  if (priv->trial_secrets != NULL)
    {
      const char *secret = g_hash_table_lookup (priv->trial_secrets, kind);

      if (secret == NULL || secret[0] == '\0')
        g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_NO_SECRET, "%s", missing);
      else
        g_task_return_pointer (task, g_strdup (secret), g_free);
      return;
    }

  if (priv->vault == NULL)
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_NO_SECRET, "%s", missing);
      return;
    }

  picky_vault_lookup_secret_async (priv->vault, priv->id, kind, cancellable,
                                   on_secret_looked_up_cb, g_steal_pointer (&task));
}

/**
 * picky_channel_lookup_secret_finish:
 *
 * Returns: (transfer full): the secret, or %NULL with @error set
 */
char *
picky_channel_lookup_secret_finish (PickyChannel  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (PICKY_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_channel_class_set_kind:
 * @klass: the class being initialised
 * @kind: the kind as the store names it, e.g. "telegram"
 * @app: (nullable): the app of every channel of the kind, or %NULL for a
 *   kind with one channel per app, chosen when it is made
 * @title: the kind's name for people, untranslated, e.g. N_("Telegram Bot")
 *
 * For subclasses, in class_init.
 */
void
picky_channel_class_set_kind (PickyChannelClass *klass,
                              const char        *kind,
                              const char        *app,
                              const char        *title)
{
  KindInfo *info;

  g_return_if_fail (PICKY_IS_CHANNEL_CLASS (klass));
  g_return_if_fail (kind != NULL && kind[0] != '\0');
  g_return_if_fail (title != NULL);

  info = ensure_kind_info (G_TYPE_FROM_CLASS (klass));
  info->kind = g_intern_string (kind);
  info->app = g_intern_string (app);
  info->title = g_intern_string (title);
}

/**
 * picky_channel_class_set_description:
 * @klass: the class being initialised
 * @description: untranslated: where the admin finds what the fields ask for
 *
 * For subclasses, in class_init.
 */
void
picky_channel_class_set_description (PickyChannelClass *klass,
                                     const char        *description)
{
  g_return_if_fail (PICKY_IS_CHANNEL_CLASS (klass));

  ensure_kind_info (G_TYPE_FROM_CLASS (klass))->description = g_intern_string (description);
}

/**
 * picky_channel_class_set_addable:
 * @klass: the class being initialised
 * @addable: whether the admin adds channels of the kind by filling in its
 *   fields; %TRUE unless set
 *
 * For subclasses, in class_init. Relay channels, for one, are made by the
 * switches of the Channels page.
 */
void
picky_channel_class_set_addable (PickyChannelClass *klass,
                                 gboolean           addable)
{
  g_return_if_fail (PICKY_IS_CHANNEL_CLASS (klass));

  ensure_kind_info (G_TYPE_FROM_CLASS (klass))->addable = !!addable;
}

/**
 * picky_channel_class_set_webhook_sender:
 * @klass: the class being initialised
 * @sender: who sends the kind's webhooks, a name that is not translated,
 *   e.g. "Meta"
 *
 * For subclasses fed by webhooks, in class_init: until the first message
 * comes, such a channel is only ready, and the Channels page says whom it
 * waits for.
 */
void
picky_channel_class_set_webhook_sender (PickyChannelClass *klass,
                                        const char        *sender)
{
  g_return_if_fail (PICKY_IS_CHANNEL_CLASS (klass));

  ensure_kind_info (G_TYPE_FROM_CLASS (klass))->sender = g_intern_string (sender);
}

/**
 * picky_channel_class_set_setup_secret:
 * @klass: the class being initialised
 * @kind: the secret's kind in the keyring, one that prepare_settings
 *   generates, e.g. "verify-token"
 *
 * For subclasses, in class_init: the secret is no credential of ours but
 * what the admin pastes at the provider, so the setup instructions may be
 * shown again later (picky_channel_dup_stored_setup_async()).
 */
void
picky_channel_class_set_setup_secret (PickyChannelClass *klass,
                                      const char        *kind)
{
  g_return_if_fail (PICKY_IS_CHANNEL_CLASS (klass));

  ensure_kind_info (G_TYPE_FROM_CLASS (klass))->setup_secret = g_intern_string (kind);
}

/**
 * picky_channel_class_add_field:
 * @klass: the class being initialised
 * @key: the member of the settings, or for a secret its kind in the keyring
 * @kind: what the field holds
 * @flags: hints for entering it
 * @label: untranslated, e.g. N_("Bot Token")
 * @default_value: (nullable): what a new channel starts with
 * @help: (nullable): untranslated: where to find the value, or what it does
 *
 * For subclasses, in class_init: fields are asked for in the order added.
 */
void
picky_channel_class_add_field (PickyChannelClass      *klass,
                               const char             *key,
                               PickyChannelFieldKind   kind,
                               PickyChannelFieldFlags  flags,
                               const char             *label,
                               const char             *default_value,
                               const char             *help)
{
  PickyChannelField *field;

  g_return_if_fail (PICKY_IS_CHANNEL_CLASS (klass));
  g_return_if_fail (key != NULL && key[0] != '\0');
  g_return_if_fail (kind <= PICKY_CHANNEL_FIELD_SECRET);
  g_return_if_fail (label != NULL && label[0] != '\0');
  /* A secret typed once must never sit in the source as a default. */
  g_return_if_fail (kind != PICKY_CHANNEL_FIELD_SECRET || default_value == NULL);

  field = g_new0 (PickyChannelField, 1);
  field->key = g_strdup (key);
  field->kind = kind;
  field->flags = flags;
  field->label = g_strdup (label);
  field->default_value = g_strdup (default_value);
  field->help = g_strdup (help);
  g_ptr_array_add (ensure_kind_info (G_TYPE_FROM_CLASS (klass))->fields, field);
}

/**
 * picky_channel_class_get_kind:
 * @type: a subtype of #PickyChannel
 *
 * Returns: (nullable): the kind as the store names it, e.g. "telegram"
 */
const char *
picky_channel_class_get_kind (GType type)
{
  KindInfo *info = lookup_kind_info (type);

  return info != NULL ? info->kind : NULL;
}

/**
 * picky_channel_class_get_app:
 * @type: a subtype of #PickyChannel
 *
 * Returns: (nullable): the app of every channel of the kind, or %NULL
 *   when each channel of the kind is made for an app of its own
 */
const char *
picky_channel_class_get_app (GType type)
{
  KindInfo *info = lookup_kind_info (type);

  return info != NULL ? info->app : NULL;
}

/**
 * picky_channel_class_get_title:
 * @type: a subtype of #PickyChannel
 *
 * Returns: (nullable): the kind's translated name, e.g. "Telegram Bot"
 */
const char *
picky_channel_class_get_title (GType type)
{
  KindInfo *info = lookup_kind_info (type);

  return info != NULL && info->title != NULL ? _(info->title) : NULL;
}

/**
 * picky_channel_class_get_description:
 * @type: a subtype of #PickyChannel
 *
 * Returns: (nullable): translated: where the admin finds what the fields
 *   ask for
 */
const char *
picky_channel_class_get_description (GType type)
{
  KindInfo *info = lookup_kind_info (type);

  return info != NULL && info->description != NULL ? _(info->description) : NULL;
}

/**
 * picky_channel_class_get_webhook_sender:
 * @type: a subtype of #PickyChannel
 *
 * Returns: (nullable): who sends the kind's webhooks, e.g. "Meta", or
 *   %NULL for a kind not fed by webhooks
 */
const char *
picky_channel_class_get_webhook_sender (GType type)
{
  KindInfo *info = lookup_kind_info (type);

  return info != NULL ? info->sender : NULL;
}

/**
 * picky_channel_class_get_addable:
 * @type: a subtype of #PickyChannel
 *
 * Returns: whether the admin adds channels of the kind by filling in its
 *   fields, as in the Add Channel dialog
 */
gboolean
picky_channel_class_get_addable (GType type)
{
  KindInfo *info = lookup_kind_info (type);

  return info != NULL && info->kind != NULL && info->addable;
}

/**
 * picky_channel_class_get_fields:
 * @type: a subtype of #PickyChannel
 *
 * Returns: (transfer none) (element-type PickyChannelField): what the kind
 *   asks for, in order; empty for a kind that asks for nothing
 */
GPtrArray *
picky_channel_class_get_fields (GType type)
{
  KindInfo *info = lookup_kind_info (type);

  g_return_val_if_fail (info != NULL, NULL);

  return info->fields;
}

/**
 * picky_channel_class_can_test_connection:
 * @type: a subtype of #PickyChannel
 *
 * Returns: whether picky_channel_test_connection_async() can check a
 *   channel of the kind
 */
gboolean
picky_channel_class_can_test_connection (GType type)
{
  PickyChannelClass *klass;

  g_return_val_if_fail (lookup_kind_info (type) != NULL, FALSE);

  klass = g_type_class_peek (type);
  return klass->test_connection_async != picky_channel_real_test_connection_async;
}

/**
 * picky_channel_class_prepare_settings:
 * @type: a subtype of #PickyChannel
 * @settings: a new channel's settings, as the admin gave them
 * @secrets: (element-type utf8 utf8): its secrets, kind → value, both
 *   freed with g_free() by the table
 *
 * Adds what the kind generates for a new channel instead of asking for,
 * such as a token to paste into the provider's dashboard.
 */
void
picky_channel_class_prepare_settings (GType       type,
                                      JsonObject *settings,
                                      GHashTable *secrets)
{
  PickyChannelClass *klass;

  g_return_if_fail (lookup_kind_info (type) != NULL);
  g_return_if_fail (settings != NULL);
  g_return_if_fail (secrets != NULL);

  klass = g_type_class_peek (type);
  if (klass->prepare_settings != NULL)
    klass->prepare_settings (klass, settings, secrets);
}

PickyChannelField *
picky_channel_field_copy (const PickyChannelField *field)
{
  PickyChannelField *copy;

  g_return_val_if_fail (field != NULL, NULL);

  copy = g_new0 (PickyChannelField, 1);
  copy->key = g_strdup (field->key);
  copy->kind = field->kind;
  copy->flags = field->flags;
  copy->label = g_strdup (field->label);
  copy->default_value = g_strdup (field->default_value);
  copy->help = g_strdup (field->help);

  return copy;
}

void
picky_channel_field_free (PickyChannelField *field)
{
  if (field == NULL)
    return;

  g_free (field->key);
  g_free (field->label);
  g_free (field->default_value);
  g_free (field->help);
  g_free (field);
}

const char *
picky_channel_field_get_key (const PickyChannelField *field)
{
  g_return_val_if_fail (field != NULL, NULL);

  return field->key;
}

PickyChannelFieldKind
picky_channel_field_get_kind (const PickyChannelField *field)
{
  g_return_val_if_fail (field != NULL, PICKY_CHANNEL_FIELD_SETTING);

  return field->kind;
}

PickyChannelFieldFlags
picky_channel_field_get_flags (const PickyChannelField *field)
{
  g_return_val_if_fail (field != NULL, PICKY_CHANNEL_FIELD_FLAGS_NONE);

  return field->flags;
}

/**
 * picky_channel_field_get_label:
 * @field: a #PickyChannelField
 *
 * Returns: the field's translated label, e.g. "Bot Token"
 */
const char *
picky_channel_field_get_label (const PickyChannelField *field)
{
  g_return_val_if_fail (field != NULL, NULL);

  return _(field->label);
}

const char *
picky_channel_field_get_default_value (const PickyChannelField *field)
{
  g_return_val_if_fail (field != NULL, NULL);

  return field->default_value;
}

/**
 * picky_channel_field_get_help:
 * @field: a #PickyChannelField
 *
 * Returns: (nullable): translated: where to find the value, or what it does
 */
const char *
picky_channel_field_get_help (const PickyChannelField *field)
{
  g_return_val_if_fail (field != NULL, NULL);

  return field->help != NULL ? _(field->help) : NULL;
}

/**
 * picky_channel_field_accepts:
 * @field: a #PickyChannelField
 * @text: the value typed, without surrounding space
 * @secret_kept: whether an empty secret keeps the one already stored, as
 *   when a channel is edited
 *
 * Returns: whether @text may be stored for @field: a required setting is
 *   not empty, an address is an http(s) URL with a host
 */
gboolean
picky_channel_field_accepts (const PickyChannelField *field,
                             const char              *text,
                             gboolean                 secret_kept)
{
  g_return_val_if_fail (field != NULL, FALSE);

  if (text == NULL)
    text = "";

  switch (field->kind)
    {
    case PICKY_CHANNEL_FIELD_URL:
      return is_web_address (text);
    case PICKY_CHANNEL_FIELD_OPTIONAL:
      return TRUE;
    case PICKY_CHANNEL_FIELD_SECRET:
      return secret_kept || text[0] != '\0';
    case PICKY_CHANNEL_FIELD_SETTING:
    default:
      return text[0] != '\0';
    }
}

/**
 * picky_channel_setup_new:
 * @title: translated, e.g. "Connect the Webhook"
 * @description: translated: what to do with the values
 *
 * For subclasses' dup_setup_instructions.
 *
 * Returns: (transfer full): instructions without values yet
 */
PickyChannelSetup *
picky_channel_setup_new (const char *title,
                         const char *description)
{
  PickyChannelSetup *setup = g_new0 (PickyChannelSetup, 1);

  setup->title = g_strdup (title);
  setup->description = g_strdup (description);
  setup->labels = g_ptr_array_new_with_free_func (g_free);
  setup->values = g_ptr_array_new_with_free_func (g_free);

  return setup;
}

/**
 * picky_channel_setup_add_value:
 * @setup: a #PickyChannelSetup
 * @label: translated, e.g. "Verify Token"
 * @value: what the admin copies into the provider's dashboard
 */
void
picky_channel_setup_add_value (PickyChannelSetup *setup,
                               const char        *label,
                               const char        *value)
{
  g_return_if_fail (setup != NULL);
  g_return_if_fail (label != NULL && value != NULL);

  g_ptr_array_add (setup->labels, g_strdup (label));
  g_ptr_array_add (setup->values, g_strdup (value));
}

void
picky_channel_setup_free (PickyChannelSetup *setup)
{
  if (setup == NULL)
    return;

  g_free (setup->title);
  g_free (setup->description);
  g_ptr_array_unref (setup->labels);
  g_ptr_array_unref (setup->values);
  g_free (setup);
}

const char *
picky_channel_setup_get_title (PickyChannelSetup *setup)
{
  g_return_val_if_fail (setup != NULL, NULL);

  return setup->title;
}

const char *
picky_channel_setup_get_description (PickyChannelSetup *setup)
{
  g_return_val_if_fail (setup != NULL, NULL);

  return setup->description;
}

guint
picky_channel_setup_get_n_values (PickyChannelSetup *setup)
{
  g_return_val_if_fail (setup != NULL, 0);

  return setup->values->len;
}

const char *
picky_channel_setup_get_label (PickyChannelSetup *setup,
                               guint              position)
{
  g_return_val_if_fail (setup != NULL, NULL);
  g_return_val_if_fail (position < setup->labels->len, NULL);

  return g_ptr_array_index (setup->labels, position);
}

const char *
picky_channel_setup_get_value (PickyChannelSetup *setup,
                               guint              position)
{
  g_return_val_if_fail (setup != NULL, NULL);
  g_return_val_if_fail (position < setup->values->len, NULL);

  return g_ptr_array_index (setup->values, position);
}

/**
 * picky_channel_join_webhook:
 * @self: a #PickyChannel
 * @prefix: the path of the kind on the listener, such as "/whatsapp"
 * @fanout: the kind's one handler of that path
 *
 * For subclasses fed by webhooks, on start: makes the channel a member of
 * @prefix, which every running channel of its kind shares. Joining again
 * changes nothing.
 *
 * Returns: whether the channel is a member; %FALSE when it has no listener
 */
gboolean
picky_channel_join_webhook (PickyChannel       *self,
                            const char         *prefix,
                            PickyWebhookFanout  fanout)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), FALSE);
  g_return_val_if_fail (prefix != NULL, FALSE);

  if (priv->webhook_server == NULL)
    return FALSE;

  if (priv->webhook_path == NULL)
    {
      picky_webhook_server_join (priv->webhook_server, prefix, fanout, self);
      priv->webhook_path = g_strdup (prefix);
    }

  return TRUE;
}

/**
 * picky_channel_leave_webhook:
 * @self: a #PickyChannel
 *
 * For subclasses, on stop: leaves the path the channel joined, if any.
 */
void
picky_channel_leave_webhook (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);
  g_autofree char *path = NULL;

  g_return_if_fail (PICKY_IS_CHANNEL (self));

  path = g_steal_pointer (&priv->webhook_path);
  if (path != NULL)
    picky_webhook_server_leave (priv->webhook_server, path, self);
}

/**
 * picky_channel_is_webhook_member:
 * @self: a #PickyChannel
 *
 * Returns: whether the channel joined a path of its listener and has not
 *   left it
 */
gboolean
picky_channel_is_webhook_member (PickyChannel *self)
{
  PickyChannelPrivate *priv = picky_channel_get_instance_private (self);

  g_return_val_if_fail (PICKY_IS_CHANNEL (self), FALSE);

  return priv->webhook_path != NULL;
}
