/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Desktop notifications for new incoming messages while the window is not in use. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-app-catalog.h"
#include "picky-inbox-row.h"
#include "picky-notifier.h"
#include "picky-window.h"

struct _PickyNotifier
{
  GObject         parent_instance;

  /* borrowed: the application owns the notifier */
  GtkApplication *application;

  /* owned */
  PickyService   *service;
  GSettings      *settings;
  gboolean        connected;
};

G_DEFINE_FINAL_TYPE (PickyNotifier, picky_notifier, G_TYPE_OBJECT)

static gboolean
window_in_use (PickyNotifier *self)
{
  GtkWindow *window = gtk_application_get_active_window (self->application);

  return window != NULL && gtk_widget_get_visible (GTK_WIDGET (window)) && gtk_window_is_active (window);
}

static void
notify_one (PickyNotifier *self,
            PickyMessage  *message,
            gboolean       privacy)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *id = g_strdup_printf ("contact-%" G_GINT64_FORMAT, picky_message_get_contact_id (message));
  const char *app = picky_app_catalog_get_display_name (picky_message_get_app (message));
  const char *text = picky_message_get_text (message);

  /* Translators: a notification's title: contact, then app, e.g. "Ana Souza (WhatsApp)" */
  title = g_strdup_printf (_("%s (%s)"), picky_message_get_display_name (message), app != NULL ? app : picky_message_get_app (message));
  notification = g_notification_new (title);
  if (privacy)
    g_notification_set_body (notification, _("New message"));
  else if (text != NULL && *text != '\0')
    g_notification_set_body (notification, text);
  else
    g_notification_set_body (notification, picky_inbox_describe_kind (picky_message_get_kind (message)));
  g_notification_set_default_action_and_target (notification, "app.open-message", "x",
                                                picky_message_get_id (message));
  /* One per contact: a second message replaces the first instead of piling up. */
  g_application_send_notification (G_APPLICATION (self->application), id, notification);
}

static void
notify_group (PickyNotifier *self,
              GPtrArray     *messages)
{
  g_autoptr(GNotification) notification = NULL;
  g_autoptr(GString) names = g_string_new (NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *title = NULL;
  PickyMessage *newest = messages->pdata[messages->len - 1];

  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new message", "%u new messages", messages->len),
                           messages->len);
  for (guint i = 0; i < messages->len && g_hash_table_size (seen) < 3; i++)
    {
      const char *name = picky_message_get_display_name (messages->pdata[i]);

      if (!g_hash_table_add (seen, (gpointer) name))
        continue;
      if (names->len > 0)
        g_string_append (names, ", ");
      g_string_append (names, name);
    }

  notification = g_notification_new (title);
  /* Translators: the body of a grouped notification: some of the senders' names */
  {
    g_autofree char *body = g_strdup_printf (_("From %s"), names->str);

    g_notification_set_body (notification, body);
  }
  g_notification_set_default_action_and_target (notification, "app.open-message", "x",
                                                picky_message_get_id (newest));
  g_application_send_notification (G_APPLICATION (self->application), "messages", notification);
}

static void
on_messages_added_cb (PickyNotifier *self,
                      GPtrArray     *messages)
{
  g_auto(GStrv) muted = NULL;
  g_autoptr(GPtrArray) wanted = NULL;
  gboolean privacy;

  if (window_in_use (self))
    return;

  muted = g_settings_get_strv (self->settings, "notify-muted-apps");
  privacy = g_settings_get_boolean (self->settings, "notify-privacy");
  wanted = g_ptr_array_new ();
  for (guint i = 0; i < messages->len; i++)
    {
      PickyMessage *message = messages->pdata[i];

      if (picky_message_get_direction (message) == PICKY_DIRECTION_IN &&
          picky_message_get_kind (message) != PICKY_MESSAGE_KIND_REACTION &&
          !g_strv_contains ((const char * const *) muted, picky_message_get_app (message)))
        g_ptr_array_add (wanted, message);
    }

  if (wanted->len > PICKY_NOTIFIER_GROUP_AFTER)
    notify_group (self, wanted);
  else
    for (guint i = 0; i < wanted->len; i++)
      notify_one (self, wanted->pdata[i], privacy);
}

static void
connect_store (PickyNotifier *self)
{
  if (self->connected || !picky_service_get_ready (self->service))
    return;

  self->connected = TRUE;
  g_signal_connect_object (picky_service_get_store (self->service), "messages-added",
                           G_CALLBACK (on_messages_added_cb), self, G_CONNECT_SWAPPED);
}

static void
open_message (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  PickyNotifier *self = user_data;
  GtkWindow *window;

  g_application_activate (G_APPLICATION (self->application));
  window = gtk_application_get_active_window (self->application);
  if (PICKY_IS_WINDOW (window))
    picky_window_open_message (PICKY_WINDOW (window), g_variant_get_int64 (parameter));
}

static void
picky_notifier_dispose (GObject *object)
{
  PickyNotifier *self = PICKY_NOTIFIER (object);

  g_clear_object (&self->service);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (picky_notifier_parent_class)->dispose (object);
}

static void
picky_notifier_class_init (PickyNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_notifier_dispose;
}

static void
picky_notifier_init (PickyNotifier *self)
{
  self->settings = g_settings_new (APPLICATION_ID);
}

/**
 * picky_notifier_new:
 * @application: sends the notifications and gets the app.open-message
 *   action their clicks activate
 * @service: whose store announces new messages
 *
 * Returns: (transfer full): a notifier, working once the service is ready
 */
PickyNotifier *
picky_notifier_new (GtkApplication *application,
                    PickyService   *service)
{
  static const GActionEntry actions[] = {
    { "open-message", open_message, "x" },
  };
  PickyNotifier *self;

  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (PICKY_IS_SERVICE (service), NULL);

  self = g_object_new (PICKY_TYPE_NOTIFIER, NULL);
  self->application = application;
  self->service = g_object_ref (service);
  g_action_map_add_action_entries (G_ACTION_MAP (application), actions, G_N_ELEMENTS (actions), self);
  g_signal_connect_object (service, "notify::ready", G_CALLBACK (connect_store), self, G_CONNECT_SWAPPED);
  connect_store (self);

  return self;
}
