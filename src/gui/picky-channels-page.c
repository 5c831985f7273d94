/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Channels page: connected messaging apps and their access switches. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-add-channel-dialog.h"
#include "picky-app-catalog.h"
#include "picky-channels-page.h"

struct _PickyChannelsPage
{
  AdwBin                parent_instance;

  /* template widgets */
  AdwPreferencesGroup  *keyring_group;
  AdwActionRow         *keyring_row;
  GtkButton            *retry_button;
  AdwPreferencesGroup  *channels_group;
  GtkListBox           *channels_list;
  AdwPreferencesGroup  *apps_group;

  /* owned */
  PickyService         *service;
  GCancellable         *cancellable;
  GHashTable           *app_rows;     /* app id → AdwActionRow, borrowed from the group */
  gboolean              bound;
};

G_DEFINE_FINAL_TYPE (PickyChannelsPage, picky_channels_page, ADW_TYPE_BIN)

/* The switches of a row are kept on the row under these keys. */
#define READ_SWITCH "picky-read-switch"
#define PUSH_SWITCH "picky-push-switch"

static char *
describe_channel (PickyChannel *channel)
{
  const char *error = picky_channel_get_last_error (channel);
  const char *state;

  switch (picky_channel_get_state (channel))
    {
    case PICKY_CHANNEL_STATE_STOPPED:
      state = _("Stopped");
      break;
    case PICKY_CHANNEL_STATE_CONNECTING:
      state = _("Connecting…");
      break;
    case PICKY_CHANNEL_STATE_ONLINE:
      state = _("Online");
      break;
    case PICKY_CHANNEL_STATE_BACKING_OFF:
      state = _("Waiting to reconnect");
      break;
    case PICKY_CHANNEL_STATE_AUTH_FAILED:
      state = _("Token rejected");
      break;
    case PICKY_CHANNEL_STATE_DISABLED:
      state = _("Reading switched off");
      break;
    default:
      state = "";
      break;
    }

  if (error != NULL && error[0] != '\0')
    /* Translators: a channel's state, then why, e.g. "Waiting to reconnect — The server did not answer" */
    return g_strdup_printf (_("%s — %s"), state, error);

  return g_strdup (state);
}

static void
update_channel_row (AdwActionRow *row,
                    GParamSpec   *pspec,
                    PickyChannel *channel)
{
  g_autofree char *subtitle = describe_channel (channel);
  gint64 last = picky_channel_get_last_message_time (channel);

  if (last > 0)
    {
      g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (last);
      g_autofree char *when = g_date_time_format (time, "%x %X");
      g_autofree char *with_time = NULL;

      /* Translators: a channel's state, then the time of its last message */
      with_time = g_strdup_printf (_("%s · last message %s"), subtitle, when);
      g_free (subtitle);
      subtitle = g_steal_pointer (&with_time);
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), picky_channel_get_name (channel));
  adw_action_row_set_subtitle (row, subtitle);
}

static void
on_channel_removed_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(PickyChannelsPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!picky_service_remove_channel_finish (PICKY_SERVICE (object), result, &error))
    {
      GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_APPLICATION_WINDOW);
      GtkWidget *dialog;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      dialog = adw_message_dialog_new (GTK_WINDOW (window), _("The Channel Could Not Be Removed"),
                                       error->message);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

static void
on_remove_response_cb (AdwMessageDialog *dialog,
                       const char       *response,
                       gpointer          user_data)
{
  PickyChannelsPage *self = PICKY_CHANNELS_PAGE (user_data);
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "picky-channel-id"));

  if (g_strcmp0 (response, "remove") != 0 || self->service == NULL)
    return;

  picky_service_remove_channel_async (self->service, id, self->cancellable,
                                      on_channel_removed_cb, g_object_ref (self));
}

static void
on_remove_button_clicked_cb (GtkButton    *button,
                             PickyChannel *channel)
{
  PickyChannelsPage *self = PICKY_CHANNELS_PAGE (gtk_widget_get_ancestor (GTK_WIDGET (button),
                                                                           PICKY_TYPE_CHANNELS_PAGE));
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_WINDOW);
  g_autofree char *heading = g_strdup_printf (_("Remove “%s”?"), picky_channel_get_name (channel));
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (window), heading,
                                   _("The channel stops receiving and its tokens are deleted from the keyring. Messages already received stay in the console."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "picky-channel-id",
                     GSIZE_TO_POINTER (picky_channel_get_id (channel)));
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
create_channel_row (gpointer item,
                    gpointer user_data)
{
  PickyChannel *channel = item;
  const PickyAppInfo *app = picky_app_catalog_lookup (picky_channel_get_app (channel));
  g_autofree char *remove_label = g_strdup_printf (_("Remove channel %s"), picky_channel_get_name (channel));
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  GtkWidget *remove;

  if (app != NULL)
    adw_action_row_set_icon_name (row, picky_app_info_get_icon_name (app));
  adw_action_row_set_subtitle_lines (row, 3);

  remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (remove, _("Remove Channel"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label,
                                  -1);
  gtk_widget_add_css_class (remove, "flat");
  g_signal_connect_object (remove, "clicked", G_CALLBACK (on_remove_button_clicked_cb), channel, 0);
  adw_action_row_add_suffix (row, remove);

  update_channel_row (row, NULL, channel);
  g_signal_connect_object (channel, "notify::state", G_CALLBACK (update_channel_row), row, G_CONNECT_SWAPPED);
  g_signal_connect_object (channel, "notify::last-error", G_CALLBACK (update_channel_row), row, G_CONNECT_SWAPPED);
  g_signal_connect_object (channel, "notify::last-message-time", G_CALLBACK (update_channel_row), row, G_CONNECT_SWAPPED);
  g_signal_connect_object (channel, "notify::name", G_CALLBACK (update_channel_row), row, G_CONNECT_SWAPPED);

  return GTK_WIDGET (row);
}

static void
update_app_row (PickyChannelsPage *self,
                const char        *app_id)
{
  PickyAccess *access = picky_service_get_access (self->service);
  AdwActionRow *row = g_hash_table_lookup (self->app_rows, app_id);
  guint64 dropped;

  if (row == NULL)
    return;

  gtk_switch_set_active (g_object_get_data (G_OBJECT (row), READ_SWITCH),
                         picky_access_can_read (access, app_id));
  gtk_switch_set_active (g_object_get_data (G_OBJECT (row), PUSH_SWITCH),
                         picky_access_can_push (access, app_id));

  dropped = picky_access_get_dropped (access, app_id);
  if (dropped > 0)
    {
      g_autofree char *sentence = picky_access_format_dropped (app_id, dropped);

      adw_action_row_set_subtitle (row, sentence);
    }
  else
    {
      adw_action_row_set_subtitle (row, NULL);
    }
}

static void
on_access_changed_cb (PickyChannelsPage *self,
                      const char        *app_id)
{
  update_app_row (self, app_id);
}

static void
on_switch_active_cb (GtkSwitch         *widget,
                     GParamSpec        *pspec,
                     PickyChannelsPage *self)
{
  const char *app_id = g_object_get_data (G_OBJECT (widget), "picky-app-id");
  PickyAccess *access;
  gboolean active = gtk_switch_get_active (widget);

  if (self->service == NULL)
    return;

  access = picky_service_get_access (self->service);
  if (g_object_get_data (G_OBJECT (widget), "picky-push") != NULL)
    {
      if (picky_access_can_push (access, app_id) != active)
        picky_access_set_push (access, app_id, active);
    }
  else if (picky_access_can_read (access, app_id) != active)
    {
      picky_access_set_read (access, app_id, active);
    }
}

static GtkWidget *
create_switch (PickyChannelsPage  *self,
               const PickyAppInfo *app,
               gboolean            push)
{
  const char *name = picky_app_info_get_display_name (app);
  g_autofree char *label = NULL;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *caption = gtk_label_new (push ? _("Send") : _("Read"));
  GtkWidget *widget = gtk_switch_new ();

  /* Translators: the accessible name of a switch, e.g. "Read WhatsApp messages" */
  label = g_strdup_printf (push ? _("Send %s messages") : _("Read %s messages"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  gtk_widget_set_tooltip_text (widget, label);
  gtk_widget_set_halign (widget, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (caption, "caption");
  gtk_widget_add_css_class (caption, "dim-label");
  gtk_accessible_update_property (GTK_ACCESSIBLE (caption),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), caption);
  gtk_box_append (GTK_BOX (box), widget);

  g_object_set_data_full (G_OBJECT (widget), "picky-app-id",
                          g_strdup (picky_app_info_get_id (app)), g_free);
  if (push)
    g_object_set_data (G_OBJECT (widget), "picky-push", GINT_TO_POINTER (TRUE));
  g_signal_connect_object (widget, "notify::active", G_CALLBACK (on_switch_active_cb), self, 0);

  return box;
}

static void
fill_apps (PickyChannelsPage *self)
{
  const PickyAppInfo * const *apps = picky_app_catalog_list ();

  for (guint i = 0; apps[i] != NULL; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *read = create_switch (self, apps[i], FALSE);
      GtkWidget *push = create_switch (self, apps[i], TRUE);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), picky_app_info_get_display_name (apps[i]));
      adw_action_row_set_icon_name (ADW_ACTION_ROW (row), picky_app_info_get_icon_name (apps[i]));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), read);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), push);
      g_object_set_data (G_OBJECT (row), READ_SWITCH, gtk_widget_get_last_child (read));
      g_object_set_data (G_OBJECT (row), PUSH_SWITCH, gtk_widget_get_last_child (push));
      adw_preferences_group_add (self->apps_group, row);
      g_hash_table_insert (self->app_rows, (gpointer) picky_app_info_get_id (apps[i]), row);
    }
}

static void
update_service_state (PickyChannelsPage *self)
{
  const GError *error = picky_service_get_error (self->service);
  PickyChannelRegistry *registry = picky_service_get_registry (self->service);
  gboolean ready = picky_service_get_ready (self->service);

  gtk_widget_set_visible (GTK_WIDGET (self->keyring_group), error != NULL);
  if (error != NULL)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->keyring_row),
                                     error->domain == PICKY_VAULT_ERROR
                                     ? _("The Keyring Is Not Available")
                                     : _("The Messages Could Not Be Opened"));
      adw_action_row_set_subtitle (self->keyring_row, error->message);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->retry_button), TRUE);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "channels.add", ready);
  gtk_widget_set_sensitive (GTK_WIDGET (self->channels_list), ready);

  if (registry != NULL && !self->bound)
    {
      self->bound = TRUE;
      gtk_list_box_bind_model (self->channels_list, picky_channel_registry_get_channels (registry),
                               create_channel_row, self, NULL);
    }
}

static void
on_service_started_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(PickyChannelsPage) self = user_data;

  /* The error, if any, is the service's and shown from there. */
  picky_service_start_finish (PICKY_SERVICE (object), result, NULL);
  update_service_state (self);
}

static void
on_retry_button_clicked_cb (PickyChannelsPage *self)
{
  g_return_if_fail (self->service != NULL);

  gtk_widget_set_sensitive (GTK_WIDGET (self->retry_button), FALSE);
  picky_service_start_async (self->service, TRUE, self->cancellable,
                             on_service_started_cb, g_object_ref (self));
}

static void
picky_channels_page_add (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  PickyChannelsPage *self = PICKY_CHANNELS_PAGE (widget);
  GtkWidget *window = gtk_widget_get_ancestor (widget, GTK_TYPE_WINDOW);
  PickyAddChannelDialog *dialog;

  g_return_if_fail (self->service != NULL);

  dialog = picky_add_channel_dialog_new (GTK_WINDOW (window), self->service);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
picky_channels_page_dispose (GObject *object)
{
  PickyChannelsPage *self = PICKY_CHANNELS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->service);
  g_clear_pointer (&self->app_rows, g_hash_table_unref);

  G_OBJECT_CLASS (picky_channels_page_parent_class)->dispose (object);
}

static void
picky_channels_page_class_init (PickyChannelsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_channels_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-channels-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyChannelsPage, keyring_group);
  gtk_widget_class_bind_template_child (widget_class, PickyChannelsPage, keyring_row);
  gtk_widget_class_bind_template_child (widget_class, PickyChannelsPage, retry_button);
  gtk_widget_class_bind_template_child (widget_class, PickyChannelsPage, channels_group);
  gtk_widget_class_bind_template_child (widget_class, PickyChannelsPage, channels_list);
  gtk_widget_class_bind_template_child (widget_class, PickyChannelsPage, apps_group);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_button_clicked_cb);

  gtk_widget_class_install_action (widget_class, "channels.add", NULL, picky_channels_page_add);
}

static void
picky_channels_page_init (PickyChannelsPage *self)
{
  GtkWidget *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->app_rows = g_hash_table_new (g_str_hash, g_str_equal);

  placeholder = gtk_label_new (_("No channels yet. Add a Telegram bot to start receiving messages."));
  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 18);
  gtk_widget_set_margin_bottom (placeholder, 18);
  gtk_widget_set_margin_start (placeholder, 12);
  gtk_widget_set_margin_end (placeholder, 12);
  gtk_list_box_set_placeholder (self->channels_list, placeholder);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "channels.add", FALSE);
}

/**
 * picky_channels_page_set_service:
 * @self: a #PickyChannelsPage
 * @service: the console's service, started or starting
 *
 * Shows the service's channels and access switches, and its keyring
 * trouble when it could not start.
 */
void
picky_channels_page_set_service (PickyChannelsPage *self,
                                 PickyService      *service)
{
  g_return_if_fail (PICKY_IS_CHANNELS_PAGE (self));
  g_return_if_fail (PICKY_IS_SERVICE (service));
  g_return_if_fail (self->service == NULL);

  self->service = g_object_ref (service);
  fill_apps (self);
  for (const PickyAppInfo * const *app = picky_app_catalog_list (); *app != NULL; app++)
    update_app_row (self, picky_app_info_get_id (*app));

  g_signal_connect_object (picky_service_get_access (service), "changed",
                           G_CALLBACK (on_access_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (picky_service_get_access (service), "dropped-changed",
                           G_CALLBACK (on_access_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (service, "notify::ready",
                           G_CALLBACK (update_service_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (service, "notify::error-message",
                           G_CALLBACK (update_service_state), self, G_CONNECT_SWAPPED);
  update_service_state (self);
}
