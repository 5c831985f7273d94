/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The admin's per-app switches: whether the console reads from and sends to each app. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-access.h"
#include "picky-app-catalog.h"

struct _PickyAccess
{
  GObject parent_instance;

  /* owned */
  GSettings  *settings;
  /* Sets of app ids switched off, by PickyAccessRight: channels ask for every
   * incoming message, so the answer must not cost a settings read. */
  GHashTable *disabled[2];
  GHashTable *dropped;       /* app id → guint64 * */
};

G_DEFINE_FINAL_TYPE (PickyAccess, picky_access, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (PickyAccessRight, picky_access_right,
                    G_DEFINE_ENUM_VALUE (PICKY_ACCESS_RIGHT_READ, "read"),
                    G_DEFINE_ENUM_VALUE (PICKY_ACCESS_RIGHT_PUSH, "push"))

G_DEFINE_QUARK (picky-access-error-quark, picky_access_error)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CHANGED,
  DROPPED_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Switches are stored as lists of what is off, so that an app added in a
 * later version starts switched on, as every app does by default. */
static const char *keys[] = {
  [PICKY_ACCESS_RIGHT_READ] = "read-disabled-apps",
  [PICKY_ACCESS_RIGHT_PUSH] = "push-disabled-apps",
};

static GHashTable *
new_app_set (const char * const *apps)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; apps != NULL && apps[i] != NULL; i++)
    g_hash_table_add (set, g_strdup (apps[i]));

  return set;
}

static void
emit_changed (PickyAccess      *self,
              const char       *app_id,
              PickyAccessRight  right,
              gboolean          enabled)
{
  g_signal_emit (self, signals[CHANGED], g_quark_from_string (app_id), app_id, right, enabled);
}

/* Every change reaches the cache through here, whoever made it (this object,
 * another GSettings user, dconf from outside), so each real change is
 * signalled exactly once and a write that changes nothing is not signalled. */
static void
apply_disabled (PickyAccess         *self,
                PickyAccessRight     right,
                const char * const  *apps)
{
  g_autoptr(GHashTable) old = g_steal_pointer (&self->disabled[right]);
  g_autoptr(GPtrArray) now_enabled = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) now_disabled = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer app_id;

  self->disabled[right] = new_app_set (apps);

  g_hash_table_iter_init (&iter, old);
  while (g_hash_table_iter_next (&iter, &app_id, NULL))
    if (!g_hash_table_contains (self->disabled[right], app_id))
      g_ptr_array_add (now_enabled, g_strdup (app_id));

  for (guint i = 0; apps != NULL && apps[i] != NULL; i++)
    if (!g_hash_table_contains (old, apps[i]) &&
        !g_ptr_array_find_with_equal_func (now_disabled, apps[i], g_str_equal, NULL))
      g_ptr_array_add (now_disabled, g_strdup (apps[i]));

  /* The cache is complete before the first handler runs, so handlers that
   * ask can_read() or can_push() already see the new state. */
  for (guint i = 0; i < now_disabled->len; i++)
    emit_changed (self, g_ptr_array_index (now_disabled, i), right, FALSE);
  for (guint i = 0; i < now_enabled->len; i++)
    emit_changed (self, g_ptr_array_index (now_enabled, i), right, TRUE);
}

static void
on_settings_changed_cb (PickyAccess *self,
                        const char  *key,
                        GSettings   *settings)
{
  for (guint right = 0; right < G_N_ELEMENTS (keys); right++)
    if (g_strcmp0 (key, keys[right]) == 0)
      {
        g_auto(GStrv) apps = g_settings_get_strv (self->settings, key);

        apply_disabled (self, right, (const char * const *) apps);
      }
}

static void
set_right (PickyAccess      *self,
           PickyAccessRight  right,
           const char       *app_id,
           gboolean          enabled)
{
  g_auto(GStrv) stored = g_settings_get_strv (self->settings, keys[right]);
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) apps = NULL;

  /* Edit what is stored rather than the cache: another GSettings user may
   * have written since, and its change must not be undone. */
  if (g_strv_contains ((const char * const *) stored, app_id) != enabled)
    {
      apply_disabled (self, right, (const char * const *) stored);
      return;
    }

  builder = g_strv_builder_new ();
  for (guint i = 0; stored[i] != NULL; i++)
    if (g_strcmp0 (stored[i], app_id) != 0)
      g_strv_builder_add (builder, stored[i]);
  if (!enabled)
    g_strv_builder_add (builder, app_id);
  apps = g_strv_builder_end (builder);

  g_settings_set_strv (self->settings, keys[right], (const char * const *) apps);

  /* Backends deliver changed:: later, from the main loop; the switch must
   * take effect now, for the very next message. */
  apply_disabled (self, right, (const char * const *) apps);
}

static void
picky_access_constructed (GObject *object)
{
  PickyAccess *self = PICKY_ACCESS (object);

  G_OBJECT_CLASS (picky_access_parent_class)->constructed (object);

  if (self->settings == NULL)
    self->settings = g_settings_new (APPLICATION_ID);

  g_signal_connect_object (self->settings, "changed",
                           G_CALLBACK (on_settings_changed_cb), self,
                           G_CONNECT_SWAPPED);

  for (guint right = 0; right < G_N_ELEMENTS (keys); right++)
    {
      g_auto(GStrv) apps = g_settings_get_strv (self->settings, keys[right]);

      g_clear_pointer (&self->disabled[right], g_hash_table_unref);
      self->disabled[right] = new_app_set ((const char * const *) apps);
    }
}

static void
picky_access_dispose (GObject *object)
{
  PickyAccess *self = PICKY_ACCESS (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (picky_access_parent_class)->dispose (object);
}

static void
picky_access_finalize (GObject *object)
{
  PickyAccess *self = PICKY_ACCESS (object);

  for (guint right = 0; right < G_N_ELEMENTS (self->disabled); right++)
    g_clear_pointer (&self->disabled[right], g_hash_table_unref);
  g_clear_pointer (&self->dropped, g_hash_table_unref);

  G_OBJECT_CLASS (picky_access_parent_class)->finalize (object);
}

static void
picky_access_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  PickyAccess *self = PICKY_ACCESS (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_access_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  PickyAccess *self = PICKY_ACCESS (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_access_class_init (PickyAccessClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = picky_access_constructed;
  object_class->dispose = picky_access_dispose;
  object_class->finalize = picky_access_finalize;
  object_class->get_property = picky_access_get_property;
  object_class->set_property = picky_access_set_property;

  /**
   * PickyAccess:settings:
   *
   * The application's settings, which hold the switches. %NULL at
   * construction means the console's own schema.
   */
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PickyAccess::changed:
   * @self: the access switches
   * @app_id: the app whose switch moved
   * @right: which switch moved
   * @enabled: its new position
   *
   * Emitted once for every switch that really moved, whoever moved it. The
   * detail is the app id, so a channel can connect to "changed::telegram".
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  PICKY_TYPE_ACCESS_RIGHT,
                  G_TYPE_BOOLEAN);

  /**
   * PickyAccess::dropped-changed:
   * @self: the access switches
   * @app_id: the app whose count of dropped messages changed
   *
   * Emitted when messages were counted as dropped or the count was reset.
   * The detail is the app id.
   */
  signals[DROPPED_CHANGED] =
    g_signal_new ("dropped-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
picky_access_init (PickyAccess *self)
{
  self->dropped = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * picky_access_new:
 * @settings: (nullable): settings of the console's schema, or %NULL for the
 *   default ones
 *
 * Returns: (transfer full): the switches, read from @settings
 */
PickyAccess *
picky_access_new (GSettings *settings)
{
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (PICKY_TYPE_ACCESS,
                       "settings", settings,
                       NULL);
}

/**
 * picky_access_get_settings:
 * @self: the access switches
 *
 * Returns: (transfer none): the settings that hold the switches
 */
GSettings *
picky_access_get_settings (PickyAccess *self)
{
  g_return_val_if_fail (PICKY_IS_ACCESS (self), NULL);

  return self->settings;
}

/**
 * picky_access_can_read:
 * @self: the access switches
 * @app_id: an app id such as "telegram"
 *
 * Returns: whether messages of @app_id may be fetched, accepted and stored
 */
gboolean
picky_access_can_read (PickyAccess *self,
                       const char  *app_id)
{
  g_return_val_if_fail (PICKY_IS_ACCESS (self), FALSE);
  g_return_val_if_fail (app_id != NULL, FALSE);

  return !g_hash_table_contains (self->disabled[PICKY_ACCESS_RIGHT_READ], app_id);
}

/**
 * picky_access_can_push:
 * @self: the access switches
 * @app_id: an app id such as "telegram"
 *
 * Returns: whether anything may be sent to @app_id
 */
gboolean
picky_access_can_push (PickyAccess *self,
                       const char  *app_id)
{
  g_return_val_if_fail (PICKY_IS_ACCESS (self), FALSE);
  g_return_val_if_fail (app_id != NULL, FALSE);

  return !g_hash_table_contains (self->disabled[PICKY_ACCESS_RIGHT_PUSH], app_id);
}

/**
 * picky_access_set_read:
 * @self: the access switches
 * @app_id: an app id
 * @enabled: whether @app_id may be read
 *
 * Stores the switch and applies it at once; #PickyAccess::changed is
 * emitted when it moved.
 */
void
picky_access_set_read (PickyAccess *self,
                       const char  *app_id,
                       gboolean     enabled)
{
  g_return_if_fail (PICKY_IS_ACCESS (self));
  g_return_if_fail (app_id != NULL && app_id[0] != '\0');

  set_right (self, PICKY_ACCESS_RIGHT_READ, app_id, !!enabled);
}

/**
 * picky_access_set_push:
 * @self: the access switches
 * @app_id: an app id
 * @enabled: whether anything may be sent to @app_id
 *
 * Stores the switch and applies it at once; #PickyAccess::changed is
 * emitted when it moved.
 */
void
picky_access_set_push (PickyAccess *self,
                       const char  *app_id,
                       gboolean     enabled)
{
  g_return_if_fail (PICKY_IS_ACCESS (self));
  g_return_if_fail (app_id != NULL && app_id[0] != '\0');

  set_right (self, PICKY_ACCESS_RIGHT_PUSH, app_id, !!enabled);
}

/**
 * picky_access_check_push:
 * @self: the access switches
 * @app_id: the app a message is about to be sent to
 * @error: return location for a #PICKY_ACCESS_ERROR_PUSH_OFF error
 *
 * What a channel calls before it sends; the error's message is meant for
 * the admin as it is.
 *
 * Returns: %TRUE when sending to @app_id is allowed
 */
gboolean
picky_access_check_push (PickyAccess  *self,
                         const char   *app_id,
                         GError      **error)
{
  g_return_val_if_fail (PICKY_IS_ACCESS (self), FALSE);
  g_return_val_if_fail (app_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (picky_access_can_push (self, app_id))
    return TRUE;

  /* Translators: %s is the name of a messaging app such as “Telegram”;
   * “Channels” is the name of the page where the switch is. */
  g_set_error (error, PICKY_ACCESS_ERROR, PICKY_ACCESS_ERROR_PUSH_OFF,
               _("Sending to %s is switched off in Channels."),
               picky_app_catalog_get_display_name (app_id));
  return FALSE;
}

/**
 * picky_access_count_dropped:
 * @self: the access switches
 * @app_id: the app the messages came from
 * @n_messages: how many were acknowledged and dropped
 *
 * Counts messages a channel received while reading of @app_id was off, so
 * the admin can learn how many were not read. The count lasts until
 * picky_access_reset_dropped(), across switching reading on again.
 */
void
picky_access_count_dropped (PickyAccess *self,
                            const char  *app_id,
                            guint        n_messages)
{
  guint64 *count;

  g_return_if_fail (PICKY_IS_ACCESS (self));
  g_return_if_fail (app_id != NULL);

  if (n_messages == 0)
    return;

  count = g_hash_table_lookup (self->dropped, app_id);
  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (self->dropped, g_strdup (app_id), count);
    }
  *count += n_messages;

  g_signal_emit (self, signals[DROPPED_CHANGED], g_quark_from_string (app_id), app_id);
}

/**
 * picky_access_get_dropped:
 * @self: the access switches
 * @app_id: an app id
 *
 * Returns: how many messages of @app_id were dropped since the last reset
 */
guint64
picky_access_get_dropped (PickyAccess *self,
                          const char  *app_id)
{
  guint64 *count;

  g_return_val_if_fail (PICKY_IS_ACCESS (self), 0);
  g_return_val_if_fail (app_id != NULL, 0);

  count = g_hash_table_lookup (self->dropped, app_id);

  return count != NULL ? *count : 0;
}

/**
 * picky_access_reset_dropped:
 * @self: the access switches
 * @app_id: an app id
 *
 * Forgets the count of dropped messages of @app_id, once the admin has
 * seen it.
 */
void
picky_access_reset_dropped (PickyAccess *self,
                            const char  *app_id)
{
  g_return_if_fail (PICKY_IS_ACCESS (self));
  g_return_if_fail (app_id != NULL);

  if (g_hash_table_remove (self->dropped, app_id))
    g_signal_emit (self, signals[DROPPED_CHANGED], g_quark_from_string (app_id), app_id);
}

/**
 * picky_access_format_dropped:
 * @app_id: an app id
 * @n_messages: how many of its messages were dropped
 *
 * Returns: (transfer full): a sentence for the admin telling how many
 * messages of @app_id were not read while its reading was off
 */
char *
picky_access_format_dropped (const char *app_id,
                             guint64     n_messages)
{
  g_return_val_if_fail (app_id != NULL, NULL);

  /* Translators: %lu is a number of messages, %s the name of a messaging
   * app such as “Telegram”. */
  return g_strdup_printf (ngettext ("%lu message from %s was not read while reading was switched off.",
                                    "%lu messages from %s were not read while reading was switched off.",
                                    n_messages),
                          (unsigned long) n_messages,
                          picky_app_catalog_get_display_name (app_id));
}
