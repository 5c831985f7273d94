/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Whether a webhook listener could bind, and why not: shared by its owner and the channels it serves. */

#include "config.h"

#include "picky-listener-state.h"

struct _PickyListenerState
{
  GObject  parent_instance;

  /* owned */
  char    *error;
};

G_DEFINE_FINAL_TYPE (PickyListenerState, picky_listener_state, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define STATE_KEY "picky-listener-state"

static void
picky_listener_state_finalize (GObject *object)
{
  PickyListenerState *self = PICKY_LISTENER_STATE (object);

  g_clear_pointer (&self->error, g_free);

  G_OBJECT_CLASS (picky_listener_state_parent_class)->finalize (object);
}

static void
picky_listener_state_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  PickyListenerState *self = PICKY_LISTENER_STATE (object);

  switch (prop_id)
    {
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_listener_state_class_init (PickyListenerStateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = picky_listener_state_finalize;
  object_class->get_property = picky_listener_state_get_property;

  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
picky_listener_state_init (PickyListenerState *self)
{
}

/**
 * picky_listener_state_get_for_server:
 * @server: a webhook listener
 *
 * The one state object of @server, made on first use and kept as long as
 * @server lives. Whoever binds @server records here whether that worked;
 * channels whose messages arrive through it follow it, so a port that is
 * taken shows on them instead of a false "online".
 *
 * Returns: (transfer none): the state of @server
 */
PickyListenerState *
picky_listener_state_get_for_server (PickyWebhookServer *server)
{
  PickyListenerState *self;

  g_return_val_if_fail (PICKY_IS_WEBHOOK_SERVER (server), NULL);

  self = g_object_get_data (G_OBJECT (server), STATE_KEY);
  if (self == NULL)
    {
      self = g_object_new (PICKY_TYPE_LISTENER_STATE, NULL);
      g_object_set_data_full (G_OBJECT (server), STATE_KEY, self, g_object_unref);
    }

  return self;
}

/**
 * picky_listener_state_get_error:
 *
 * Returns: (nullable): why the listener does not listen, in words for the
 *   admin, or %NULL while nothing stands in its way
 */
const char *
picky_listener_state_get_error (PickyListenerState *self)
{
  g_return_val_if_fail (PICKY_IS_LISTENER_STATE (self), NULL);

  return self->error;
}

/**
 * picky_listener_state_set_error:
 * @error: (nullable): why binding failed, or %NULL once it worked
 */
void
picky_listener_state_set_error (PickyListenerState *self,
                                const char         *error)
{
  g_return_if_fail (PICKY_IS_LISTENER_STATE (self));

  if (g_strcmp0 (self->error, error) == 0)
    return;

  g_free (self->error);
  self->error = g_strdup (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}
