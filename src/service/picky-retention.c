/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Retention: messages older than the retention-days setting purged at start and once a day. */

#include "config.h"


#include "picky-retention.h"

/* How often a running console applies the setting again. */
#define RETENTION_INTERVAL_S (24 * 3600)

struct _PickyRetention
{
  GObject       parent_instance;

  /* owned */
  PickyStore   *store;
  GSettings    *settings;
  GCancellable *cancellable;
  guint         timeout_id;
  gboolean      running;
  /* The setting changed while a purge ran: apply it once that is done. */
  gboolean      again;
  gboolean      started;
};

G_DEFINE_FINAL_TYPE (PickyRetention, picky_retention, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  PROGRESS,
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_running (PickyRetention *self,
             gboolean        running)
{
  if (self->running == running)
    return;

  self->running = running;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
progress_cb (gint64   done,
             gint64   total,
             gpointer user_data)
{
  PickyRetention *self = user_data;

  g_signal_emit (self, signals[PROGRESS], 0, done, total);
}

static void
on_purged_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(PickyRetention) self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 removed = picky_store_purge_finish (PICKY_STORE (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (error != NULL)
    g_warning ("Old messages could not be deleted: %s", error->message);
  set_running (self, FALSE);
  g_signal_emit (self, signals[FINISHED], 0, removed, error != NULL ? error->message : NULL);

  if (self->again)
    picky_retention_apply (self);
}

static gboolean
on_interval_cb (gpointer user_data)
{
  picky_retention_apply (user_data);
  return G_SOURCE_CONTINUE;
}

static void
on_audited_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!picky_store_audit_finish (PICKY_STORE (object), result, &error))
    g_warning ("The retention change could not be recorded: %s", error->message);
}

/* A change is recorded and applied at once, not at the next day, by the
 * console that receives messages: every process sees the setting change,
 * and it is recorded once. */
static void
on_days_changed_cb (PickyRetention *self)
{
  guint days = picky_retention_get_days (self);
  g_autofree char *detail = days == 0 ? g_strdup ("forever") : g_strdup_printf ("%u days", days);

  if (!self->started)
    return;

  picky_store_audit_async (self->store, "retention-change", "retention-days", detail, NULL, on_audited_cb, NULL);
  picky_retention_apply (self);
}

static void
picky_retention_dispose (GObject *object)
{
  PickyRetention *self = PICKY_RETENTION (object);

  picky_retention_stop (self);
  g_clear_object (&self->settings);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (picky_retention_parent_class)->dispose (object);
}

static void
picky_retention_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PickyRetention *self = PICKY_RETENTION (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_retention_class_init (PickyRetentionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_retention_dispose;
  object_class->get_property = picky_retention_get_property;

  /**
   * PickyRetention:running:
   *
   * Whether a purge is under way.
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PickyRetention::progress:
   * @done: messages deleted so far
   * @total: messages to delete
   *
   * After each batch of a purge, so that a long one can show how far it is.
   */
  signals[PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);
  /**
   * PickyRetention::finished:
   * @removed: messages deleted, or -1
   * @error_message: (nullable): why the purge failed
   */
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_STRING);
}

static void
picky_retention_init (PickyRetention *self)
{
}

/**
 * picky_retention_new:
 * @settings: the console's settings, with retention-days
 *
 * Purges nothing, and records no change of the setting, until
 * picky_retention_start().
 */
PickyRetention *
picky_retention_new (PickyStore *store,
                     GSettings  *settings)
{
  PickyRetention *self;

  g_return_val_if_fail (PICKY_IS_STORE (store), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (PICKY_TYPE_RETENTION, NULL);
  self->store = g_object_ref (store);
  self->settings = g_object_ref (settings);
  g_signal_connect_object (settings, "changed::retention-days", G_CALLBACK (on_days_changed_cb), self,
                           G_CONNECT_SWAPPED);

  return self;
}

/**
 * picky_retention_start:
 *
 * Applies the setting now and then once a day.
 */
void
picky_retention_start (PickyRetention *self)
{
  g_return_if_fail (PICKY_IS_RETENTION (self));

  if (self->started)
    return;

  self->started = TRUE;
  self->timeout_id = g_timeout_add_seconds (RETENTION_INTERVAL_S, on_interval_cb, self);
  picky_retention_apply (self);
}

/* Stops the daily purge and cancels one under way; what it committed stays. */
void
picky_retention_stop (PickyRetention *self)
{
  g_return_if_fail (PICKY_IS_RETENTION (self));

  self->started = FALSE;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  set_running (self, FALSE);
}

/**
 * picky_retention_apply:
 *
 * Purges what the setting no longer keeps, unless it keeps everything; a
 * call while a purge runs applies the setting again once it is done.
 */
void
picky_retention_apply (PickyRetention *self)
{
  guint days;

  g_return_if_fail (PICKY_IS_RETENTION (self));

  if (self->running)
    {
      self->again = TRUE;
      return;
    }

  self->again = FALSE;
  days = picky_retention_get_days (self);
  if (days == 0)
    return;

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_running (self, TRUE);
  picky_store_purge_with_progress_async (self->store, days, progress_cb, g_object_ref (self), g_object_unref,
                                         self->cancellable, on_purged_cb, g_object_ref (self));
}

gboolean
picky_retention_get_running (PickyRetention *self)
{
  g_return_val_if_fail (PICKY_IS_RETENTION (self), FALSE);

  return self->running;
}

/* The setting: 0 keeps messages for ever. */
guint
picky_retention_get_days (PickyRetention *self)
{
  g_return_val_if_fail (PICKY_IS_RETENTION (self), 0);

  return (guint) MAX (g_settings_get_int (self->settings, "retention-days"), 0);
}
