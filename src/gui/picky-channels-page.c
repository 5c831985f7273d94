/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Channels page: connected messaging apps and their access switches. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-add-channel-dialog.h"
#include "picky-app-catalog.h"
#include "picky-bidi.h"
#include "picky-channels-page.h"
#include "picky-clock.h"
#include "picky-pair-dialog.h"
#include "picky-relay-channel.h"
#include "picky-time-format.h"

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
  AdwPreferencesGroup  *phones_group;
  GtkListBox           *phones_list;
  GtkListBox           *relay_apps_list;
  AdwExpanderRow       *relay_apps_row;

  /* owned */
  PickyService         *service;
  GCancellable         *cancellable;
  GHashTable           *app_rows;     /* app id → AdwActionRow, borrowed from the group */
  gboolean              bound;
  guint                 phones_timeout;
  char                 *phones_shown;  /* what the phone rows show, to rebuild only on change */
  GHashTable           *relay_switches; /* app id → GtkSwitch, borrowed from the expander */
  gboolean              updating_relay;
};

G_DEFINE_FINAL_TYPE (PickyChannelsPage, picky_channels_page, ADW_TYPE_BIN)

/* The switches of a row are kept on the row under these keys. */
#define READ_SWITCH "picky-read-switch"
#define PUSH_SWITCH "picky-push-switch"
/* Phone rows keep their device's id and name. */
#define DEVICE_ID "picky-device-id"
#define DEVICE_NAME "picky-device-name"

/* Phones register on their own: the list looks again this often. */
#define PHONES_REFRESH_SECONDS 10

/* How a channel's state reads: as it is, or as something to act on. */
typedef enum {
  STATE_FINE,
  STATE_WARNING,  /* it tries again on its own */
  STATE_ERROR,    /* the admin must change something */
} StateSeverity;

/* The channel's row keeps its state's icon and its channel under these keys. */
#define STATE_ICON "picky-state-icon"
#define CHANNEL "picky-channel"

static char *
describe_channel (PickyChannel  *channel,
                  StateSeverity *severity)
{
  const char *error = picky_channel_get_last_error (channel);
  const char *sender = picky_channel_class_get_webhook_sender (G_OBJECT_TYPE (channel));
  g_autofree char *waiting = NULL;
  const char *state;

  *severity = STATE_FINE;
  switch (picky_channel_get_state (channel))
    {
    case PICKY_CHANNEL_STATE_STOPPED:
      state = _("Stopped");
      break;
    case PICKY_CHANNEL_STATE_CONNECTING:
      state = _("Connecting…");
      break;
    case PICKY_CHANNEL_STATE_ONLINE:
      /* Ready is not yet connected: until the provider's first message
       * arrives, nobody knows that its dashboard points here. */
      if (sender != NULL && picky_channel_get_last_message_time (channel) == 0)
        {
          /* Translators: %s is who sends the channel's webhooks, e.g. "Meta", "Viber" or "LINE" */
          g_autofree char *who = picky_bidi_isolate (sender);

          waiting = g_strdup_printf (_("Waiting for the first message from %s"), who);
          state = waiting;
        }
      else
        {
          state = _("Online");
        }
      break;
    case PICKY_CHANNEL_STATE_BACKING_OFF:
      state = _("Waiting to reconnect");
      *severity = STATE_WARNING;
      break;
    case PICKY_CHANNEL_STATE_AUTH_FAILED:
      state = _("Token rejected");
      *severity = STATE_ERROR;
      break;
    case PICKY_CHANNEL_STATE_DISABLED:
      state = _("Reading switched off");
      break;
    default:
      state = "";
      break;
    }

  if (error != NULL && error[0] != '\0')
    {
      /* The error is often the provider's own English (or a number): it
       * keeps its order inside an Arabic sentence. */
      g_autofree char *why = picky_bidi_isolate (error);

      /* Translators: a channel's state, then why, e.g. "Waiting to reconnect — The server did not answer" */
      return g_strdup_printf (_("%s — %s"), state, why);
    }

  return g_strdup (state);
}

static void
update_channel_row (AdwActionRow *row,
                    GParamSpec   *pspec,
                    PickyChannel *channel)
{
  StateSeverity severity;
  g_autofree char *subtitle = describe_channel (channel, &severity);
  gint64 last = picky_channel_get_last_message_time (channel);
  GtkWidget *icon = g_object_get_data (G_OBJECT (row), STATE_ICON);

  if (last > 0)
    {
      g_autofree char *when = picky_time_format_day_time (last, picky_clock_get_now (picky_clock_get_default ()),
                                                          NULL);
      g_autofree char *with_time = NULL;

      /* Translators: a channel's state, then the time of its last message */
      with_time = g_strdup_printf (_("%s · last message %s"), subtitle, when);
      g_free (subtitle);
      subtitle = g_steal_pointer (&with_time);
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), picky_channel_get_name (channel));
  adw_action_row_set_subtitle (row, subtitle);

  /* Trouble shows in its colour and with an icon, not only in words. */
  gtk_widget_set_visible (icon, severity != STATE_FINE);
  gtk_image_set_from_icon_name (GTK_IMAGE (icon), severity == STATE_ERROR ? "dialog-error-symbolic"
                                                                         : "dialog-warning-symbolic");
  if (severity == STATE_ERROR)
    gtk_widget_add_css_class (GTK_WIDGET (row), "channel-error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "channel-error");
  if (severity == STATE_WARNING)
    gtk_widget_add_css_class (GTK_WIDGET (row), "channel-warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "channel-warning");
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  severity == STATE_ERROR ? _("Error") : _("Warning"),
                                  -1);
}

static void
on_clock_tick_cb (PickyClock   *clock,
                  gint64        now,
                  AdwActionRow *row)
{
  update_channel_row (row, NULL, g_object_get_data (G_OBJECT (row), CHANNEL));
}

/* Tells the admin why @heading's change failed; a cancelled one needs no word. */
static void
present_error (PickyChannelsPage *self,
               const char        *heading,
               const GError      *error)
{
  GtkWidget *window;
  GtkWidget *dialog;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  window = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_WINDOW);
  dialog = adw_message_dialog_new (GTK_WINDOW (window), heading, error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Asks before something that cannot be undone: Cancel is the default and
 * what Escape does; @response is the destructive answer. */
static AdwMessageDialog *
new_confirmation (PickyChannelsPage *self,
                  const char        *heading,
                  const char        *body,
                  const char        *response,
                  const char        *label)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_WINDOW);
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (window), heading, body));

  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), response, label, NULL);
  adw_message_dialog_set_response_appearance (dialog, response, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");

  return dialog;
}

static void
on_channel_removed_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(PickyChannelsPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!picky_service_remove_channel_finish (PICKY_SERVICE (object), result, &error))
    present_error (self, _("The Channel Could Not Be Removed"), error);
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
  /* The channel's name may be in either direction, and "?" would otherwise
   * join the name's end rather than the sentence's. */
  g_autofree char *name = picky_bidi_isolate (picky_channel_get_name (channel));
  g_autofree char *heading = g_strdup_printf (_("Remove “%s”?"), name);
  AdwMessageDialog *dialog;

  dialog = new_confirmation (self, heading,
                             _("The channel stops receiving and its tokens are deleted from the keyring. Messages already received stay in the console."),
                             "remove", _("_Remove"));
  g_object_set_data (G_OBJECT (dialog), "picky-channel-id",
                     GSIZE_TO_POINTER (picky_channel_get_id (channel)));
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_edit_button_clicked_cb (GtkButton    *button,
                           PickyChannel *channel)
{
  PickyChannelsPage *self = PICKY_CHANNELS_PAGE (gtk_widget_get_ancestor (GTK_WIDGET (button),
                                                                           PICKY_TYPE_CHANNELS_PAGE));
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_WINDOW);
  PickyAddChannelDialog *dialog;

  g_return_if_fail (self->service != NULL);

  dialog = picky_add_channel_dialog_new_for_channel (GTK_WINDOW (window), self->service, channel);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
create_channel_row (gpointer item,
                    gpointer user_data)
{
  PickyChannel *channel = item;
  const PickyAppInfo *app = picky_app_catalog_lookup (picky_channel_get_app (channel));
  g_autofree char *remove_label = g_strdup_printf (_("Remove channel %s"), picky_channel_get_name (channel));
  g_autofree char *edit_label = g_strdup_printf (_("Edit channel %s"), picky_channel_get_name (channel));
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  GtkWidget *icon;
  GtkWidget *edit;
  GtkWidget *remove;

  if (app != NULL)
    adw_action_row_set_icon_name (row, picky_app_info_get_icon_name (app));
  /* No limit: the state's reason, e.g. which port is taken, is what the
   * admin acts on, and it must not be cut short in a narrow window. */
  adw_action_row_set_subtitle_lines (row, 0);

  icon = gtk_image_new ();
  gtk_widget_add_css_class (icon, "state-icon");
  g_object_set_data (G_OBJECT (row), STATE_ICON, icon);
  adw_action_row_add_suffix (row, icon);

  edit = gtk_button_new_from_icon_name ("document-edit-symbolic");
  gtk_widget_set_valign (edit, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (edit, _("Edit Channel"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (edit),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, edit_label,
                                  -1);
  gtk_widget_add_css_class (edit, "flat");
  g_signal_connect_object (edit, "clicked", G_CALLBACK (on_edit_button_clicked_cb), channel, 0);
  adw_action_row_add_suffix (row, edit);

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
  /* "Today" becomes "Yesterday" at midnight. */
  g_object_set_data_full (G_OBJECT (row), CHANNEL, g_object_ref (channel), g_object_unref);
  g_signal_connect_object (picky_clock_get_default (), "tick", G_CALLBACK (on_clock_tick_cb), row, 0);

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
      /* The row is no Tab stop: the Read switch, which the count is
       * about, says it. */
      gtk_accessible_update_property (g_object_get_data (G_OBJECT (row), READ_SWITCH),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, sentence, -1);
    }
  else
    {
      adw_action_row_set_subtitle (row, NULL);
      gtk_accessible_reset_property (g_object_get_data (G_OBJECT (row), READ_SWITCH),
                                     GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
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
  /* Translators: the captions of a channel's two access switches: whether the
   * console may send on it and read from it (the permission, not a message
   * that "has been read") */
  GtkWidget *caption = gtk_label_new (push ? C_("access switch", "Send")
                                           : C_("access switch", "Read"));
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
      /* The row does nothing itself; its switches, which name the app,
       * are the Tab stops. */
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_widget_set_focusable (row, FALSE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), read);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), push);
      g_object_set_data (G_OBJECT (row), READ_SWITCH, gtk_widget_get_last_child (read));
      g_object_set_data (G_OBJECT (row), PUSH_SWITCH, gtk_widget_get_last_child (push));
      adw_preferences_group_add (self->apps_group, row);
      g_hash_table_insert (self->app_rows, (gpointer) picky_app_info_get_id (apps[i]), row);
    }
}

static char *
dup_device_name (const PickyDevice *device)
{
  g_autofree char *name = g_strstrip (g_strdup_printf ("%s %s",
                                                       device->make != NULL ? device->make : "",
                                                       device->model != NULL ? device->model : ""));

  if (name[0] == '\0')
    return g_strdup (_("Unknown phone"));

  return g_steal_pointer (&name);
}

static char *
describe_device (const PickyDevice *device)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  if (device->phone != NULL && device->phone[0] != '\0')
    g_ptr_array_add (parts, g_strdup (device->phone));

  switch (device->state)
    {
    case PICKY_DEVICE_STATE_PENDING:
      g_ptr_array_add (parts, g_strdup (_("Waiting for your trust")));
      break;
    case PICKY_DEVICE_STATE_TRUSTED:
      g_ptr_array_add (parts, g_strdup (_("Trusted")));
      break;
    case PICKY_DEVICE_STATE_REVOKED:
      g_ptr_array_add (parts, g_strdup (_("Revoked")));
      break;
    default:
      break;
    }

  if (device->last_seen > 0)
    {
      g_autofree char *when = picky_time_format_day_time (device->last_seen,
                                                          picky_clock_get_now (picky_clock_get_default ()),
                                                          NULL);

      /* Translators: when a relay phone last reached the console */
      g_ptr_array_add (parts, g_strdup_printf (_("last seen %s"), when));
    }

  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

static void reload_phones (PickyChannelsPage *self);

static void
on_device_state_set_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(PickyChannelsPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!picky_store_set_device_state_finish (PICKY_STORE (object), result, &error))
    {
      present_error (self, _("The Phone Could Not Be Changed"), error);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    }

  reload_phones (self);
}

static void
set_device_state (PickyChannelsPage *self,
                  gint64             device_id,
                  PickyDeviceState   state)
{
  PickyStore *store = self->service != NULL ? picky_service_get_store (self->service) : NULL;

  if (store == NULL)
    return;

  picky_store_set_device_state_async (store, device_id, state, self->cancellable,
                                      on_device_state_set_cb, g_object_ref (self));
}

static void
on_trust_button_clicked_cb (GtkButton         *button,
                            PickyChannelsPage *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  set_device_state (self, GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (button), DEVICE_ID)),
                    PICKY_DEVICE_STATE_TRUSTED);
}

static void
on_revoke_response_cb (AdwMessageDialog  *dialog,
                       const char        *response,
                       PickyChannelsPage *self)
{
  if (g_strcmp0 (response, "revoke") != 0)
    return;

  set_device_state (self, GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), DEVICE_ID)),
                    PICKY_DEVICE_STATE_REVOKED);
}

static void
on_revoke_button_clicked_cb (GtkButton         *button,
                             PickyChannelsPage *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), DEVICE_NAME);
  g_autofree char *heading = g_strdup_printf (_("Revoke “%s”?"), name);
  AdwMessageDialog *dialog;

  dialog = new_confirmation (self, heading,
                             _("The phone can no longer relay messages or send replies, and replies still waiting for it fail. To use it again, pair it anew. Messages it relayed stay in the console."),
                             "revoke", _("_Revoke"));
  g_object_set_data (G_OBJECT (dialog), DEVICE_ID, g_object_get_data (G_OBJECT (button), DEVICE_ID));
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_revoke_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
create_device_button (PickyChannelsPage *self,
                      const PickyDevice *device,
                      const char        *name,
                      gboolean           trust)
{
  g_autofree char *label = NULL;
  GtkWidget *button = gtk_button_new_with_mnemonic (trust ? _("_Trust") : _("Re_voke"));

  /* Translators: the accessible name of a button on a phone's row, e.g. "Trust phone Pixel 8" */
  label = g_strdup_printf (trust ? _("Trust phone %s") : _("Revoke phone %s"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  /* The button is also labelled by its mnemonic label, which a screen reader
   * would read again after the name. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_widget_set_tooltip_text (button, label);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, trust ? "suggested-action" : "destructive-action");
  g_object_set_data (G_OBJECT (button), DEVICE_ID, GSIZE_TO_POINTER (device->id));
  g_object_set_data_full (G_OBJECT (button), DEVICE_NAME, g_strdup (name), g_free);
  g_signal_connect_object (button, "clicked",
                           trust ? G_CALLBACK (on_trust_button_clicked_cb) : G_CALLBACK (on_revoke_button_clicked_cb),
                           self, 0);

  return button;
}

static GtkWidget *
create_phone_row (PickyChannelsPage *self,
                  const PickyDevice *device)
{
  g_autofree char *name = dup_device_name (device);
  g_autofree char *subtitle = describe_device (device);
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  adw_action_row_set_icon_name (ADW_ACTION_ROW (row), "phone-symbolic");
  if (device->state == PICKY_DEVICE_STATE_PENDING)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), create_device_button (self, device, name, TRUE));
  if (device->state != PICKY_DEVICE_STATE_REVOKED)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), create_device_button (self, device, name, FALSE));
  g_object_set_data (G_OBJECT (row), DEVICE_ID, GSIZE_TO_POINTER (device->id));

  return row;
}

static void
on_devices_listed_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(PickyChannelsPage) self = user_data;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) shown = g_string_new (NULL);
  GtkListBoxRow *row;

  devices = picky_store_list_devices_finish (PICKY_STORE (object), result, &error);
  if (devices == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Phones could not be listed: %s", error->message);
      return;
    }

  /* Rebuilt whole, since a phone list is short, but only when it changed:
   * a rebuild under the pointer would swallow a click on Trust or Revoke. */
  for (guint i = 0; i < devices->len; i++)
    {
      PickyDevice *device = g_ptr_array_index (devices, i);

      g_string_append_printf (shown, "%" G_GINT64_FORMAT " %d %" G_GINT64_FORMAT " %s\x1f%s\x1f%s\n",
                              device->id, device->state, device->last_seen,
                              device->make != NULL ? device->make : "",
                              device->model != NULL ? device->model : "",
                              device->phone != NULL ? device->phone : "");
    }
  if (g_strcmp0 (shown->str, self->phones_shown) == 0)
    return;
  g_free (self->phones_shown);
  self->phones_shown = g_string_free (g_steal_pointer (&shown), FALSE);

  while ((row = gtk_list_box_get_row_at_index (self->phones_list, 0)) != NULL)
    gtk_list_box_remove (self->phones_list, GTK_WIDGET (row));
  for (guint i = 0; i < devices->len; i++)
    gtk_list_box_append (self->phones_list, create_phone_row (self, g_ptr_array_index (devices, i)));
}

static void
reload_phones (PickyChannelsPage *self)
{
  PickyStore *store = self->service != NULL ? picky_service_get_store (self->service) : NULL;

  if (store == NULL || !picky_service_get_ready (self->service))
    return;

  picky_store_list_devices_async (store, self->cancellable, on_devices_listed_cb, g_object_ref (self));
}

static gboolean
on_phones_timeout_cb (gpointer user_data)
{
  PickyChannelsPage *self = user_data;

  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    reload_phones (self);

  return G_SOURCE_CONTINUE;
}

static void
on_pair_dialog_destroy_cb (PickyChannelsPage *self)
{
  reload_phones (self);
}

static void
picky_channels_page_pair (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  PickyChannelsPage *self = PICKY_CHANNELS_PAGE (widget);
  GtkWidget *window = gtk_widget_get_ancestor (widget, GTK_TYPE_WINDOW);
  PickyPairDialog *dialog;

  g_return_if_fail (self->service != NULL);
  g_return_if_fail (picky_service_get_store (self->service) != NULL);

  dialog = picky_pair_dialog_new (GTK_WINDOW (window), picky_service_get_store (self->service),
                                  picky_access_get_settings (picky_service_get_access (self->service)));
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (on_pair_dialog_destroy_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Relayed apps: phones are listened to for an app only while it has a
 * relay channel, one per app, which these switches add and remove. */
static GPtrArray *
find_relay_channels (PickyChannelsPage *self,
                     const char        *app_id)
{
  GListModel *channels = picky_channel_registry_get_channels (picky_service_get_registry (self->service));
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (channels); i++)
    {
      g_autoptr(PickyChannel) channel = g_list_model_get_item (channels, i);

      if (PICKY_IS_RELAY_CHANNEL (channel) && g_strcmp0 (picky_channel_get_app (channel), app_id) == 0)
        g_ptr_array_add (found, g_steal_pointer (&channel));
    }

  return found;
}

static void
update_relay_switches (PickyChannelsPage *self)
{
  GHashTableIter iter;
  gpointer app_id, widget;

  if (self->service == NULL || picky_service_get_registry (self->service) == NULL)
    return;

  self->updating_relay = TRUE;
  g_hash_table_iter_init (&iter, self->relay_switches);
  while (g_hash_table_iter_next (&iter, &app_id, &widget))
    {
      g_autoptr(GPtrArray) found = find_relay_channels (self, app_id);

      gtk_switch_set_active (widget, found->len > 0);
    }
  self->updating_relay = FALSE;
}

static void
on_relay_channel_changed_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(PickyChannelsPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (g_task_get_source_tag (G_TASK (result)) == picky_service_add_channel_async)
    picky_service_add_channel_finish (PICKY_SERVICE (object), result, &error);
  else
    picky_service_remove_channel_finish (PICKY_SERVICE (object), result, &error);

  if (error != NULL)
    present_error (self, _("The Relayed Apps Could Not Be Changed"), error);

  /* A refusal puts the switch back; a success shows already. */
  update_relay_switches (self);
}

static void
on_relay_switch_active_cb (GtkSwitch         *widget,
                           GParamSpec        *pspec,
                           PickyChannelsPage *self)
{
  const char *app_id = g_object_get_data (G_OBJECT (widget), "picky-app-id");
  g_autoptr(GPtrArray) found = NULL;

  if (self->updating_relay || self->service == NULL || !picky_service_get_ready (self->service))
    return;

  found = find_relay_channels (self, app_id);
  if (gtk_switch_get_active (widget) && found->len == 0)
    {
      g_autoptr(GHashTable) no_secrets = g_hash_table_new (g_str_hash, g_str_equal);
      g_autofree char *name = NULL;

      /* Translators: the name of the channel of an app's messages relayed by phones, e.g. "WhatsApp from phones" */
      name = g_strdup_printf (_("%s from phones"), picky_app_catalog_get_display_name (app_id));
      picky_service_add_channel_async (self->service, "relay", app_id, name, "{}", no_secrets,
                                       self->cancellable, on_relay_channel_changed_cb, g_object_ref (self));
    }
  else if (!gtk_switch_get_active (widget))
    {
      for (guint i = 0; i < found->len; i++)
        picky_service_remove_channel_async (self->service,
                                            picky_channel_get_id (g_ptr_array_index (found, i)),
                                            self->cancellable, on_relay_channel_changed_cb,
                                            g_object_ref (self));
    }
}

static void
fill_relay_apps (PickyChannelsPage *self)
{
  const PickyAppInfo * const *apps = picky_app_catalog_list ();

  for (guint i = 0; apps[i] != NULL; i++)
    {
      const char *name = picky_app_info_get_display_name (apps[i]);
      g_autofree char *label = NULL;
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *widget = gtk_switch_new ();

      /* Translators: the accessible name of a switch, e.g. "Relay WhatsApp from phones" */
      label = g_strdup_printf (_("Relay %s from phones"), name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                      -1);
      gtk_widget_set_tooltip_text (widget, label);
      gtk_widget_set_valign (widget, GTK_ALIGN_CENTER);
      g_object_set_data_full (G_OBJECT (widget), "picky-app-id",
                              g_strdup (picky_app_info_get_id (apps[i])), g_free);
      g_signal_connect_object (widget, "notify::active", G_CALLBACK (on_relay_switch_active_cb), self, 0);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_icon_name (ADW_ACTION_ROW (row), picky_app_info_get_icon_name (apps[i]));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), widget);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), widget);
      /* The row labels the switch with its title too, which a screen reader
       * would read after the switch's own name. */
      gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
      adw_expander_row_add_row (self->relay_apps_row, row);
      g_hash_table_insert (self->relay_switches, (gpointer) picky_app_info_get_id (apps[i]), widget);
    }
}

static void
update_service_state (PickyChannelsPage *self)
{
  const GError *error = picky_service_get_error (self->service);
  PickyChannelRegistry *registry = picky_service_get_registry (self->service);
  gboolean ready = picky_service_get_ready (self->service);
  gboolean starting = picky_service_get_starting (self->service);

  /* While the keyring may show its unlock prompt, the page says what it
   * waits for and for how long, rather than looking empty. */
  gtk_widget_set_visible (GTK_WIDGET (self->keyring_group), error != NULL || starting);
  if (starting)
    {
      guint seconds = picky_vault_get_unlock_timeout (picky_service_get_vault (self->service));
      g_autofree char *waiting = NULL;

      if (seconds > 0)
        waiting = g_strdup_printf (ngettext ("If your keyring is locked, a prompt asks for its "
                                             "password. The console waits for it up to %u second.",
                                             "If your keyring is locked, a prompt asks for its "
                                             "password. The console waits for it up to %u seconds.",
                                             seconds),
                                   seconds);
      else
        waiting = g_strdup (_("If your keyring is locked, a prompt asks for its password."));

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->keyring_row),
                                     _("Waiting for the Keyring"));
      adw_action_row_set_subtitle (self->keyring_row, waiting);
      gtk_widget_remove_css_class (GTK_WIDGET (self->keyring_row), "error");
    }
  else if (error != NULL)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->keyring_row),
                                     error->domain == PICKY_VAULT_ERROR
                                     ? _("The Keyring Is Not Available")
                                     : _("The Messages Could Not Be Opened"));
      adw_action_row_set_subtitle (self->keyring_row, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->keyring_row), "error");
    }
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button), !starting);
  gtk_widget_set_sensitive (GTK_WIDGET (self->retry_button), !starting);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "channels.add", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "channels.pair", ready);
  gtk_widget_set_sensitive (GTK_WIDGET (self->phones_list), ready);
  gtk_widget_set_sensitive (GTK_WIDGET (self->relay_apps_list), ready);
  reload_phones (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->channels_list), ready);

  if (registry != NULL && !self->bound)
    {
      self->bound = TRUE;
      gtk_list_box_bind_model (self->channels_list, picky_channel_registry_get_channels (registry),
                               create_channel_row, self, NULL);
      g_signal_connect_object (picky_channel_registry_get_channels (registry), "items-changed",
                               G_CALLBACK (update_relay_switches), self, G_CONNECT_SWAPPED);
      update_relay_switches (self);
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
  g_clear_handle_id (&self->phones_timeout, g_source_remove);
  g_clear_object (&self->service);
  g_clear_pointer (&self->app_rows, g_hash_table_unref);
  g_clear_pointer (&self->phones_shown, g_free);
  g_clear_pointer (&self->relay_switches, g_hash_table_unref);

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
  gtk_widget_class_bind_template_child (widget_class, PickyChannelsPage, phones_group);
  gtk_widget_class_bind_template_child (widget_class, PickyChannelsPage, phones_list);
  gtk_widget_class_bind_template_child (widget_class, PickyChannelsPage, relay_apps_list);
  gtk_widget_class_bind_template_child (widget_class, PickyChannelsPage, relay_apps_row);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_button_clicked_cb);

  gtk_widget_class_install_action (widget_class, "channels.add", NULL, picky_channels_page_add);
  gtk_widget_class_install_action (widget_class, "channels.pair", NULL, picky_channels_page_pair);
}

static void
picky_channels_page_init (PickyChannelsPage *self)
{
  GtkWidget *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->app_rows = g_hash_table_new (g_str_hash, g_str_equal);
  self->relay_switches = g_hash_table_new (g_str_hash, g_str_equal);

  placeholder = gtk_label_new (_("No channels yet. Add a Telegram bot or a WhatsApp Business number to start receiving messages."));
  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 18);
  gtk_widget_set_margin_bottom (placeholder, 18);
  gtk_widget_set_margin_start (placeholder, 12);
  gtk_widget_set_margin_end (placeholder, 12);
  gtk_list_box_set_placeholder (self->channels_list, placeholder);

  placeholder = gtk_label_new (_("No phones yet. Pair a phone to relay the messages of its apps."));
  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 18);
  gtk_widget_set_margin_bottom (placeholder, 18);
  gtk_widget_set_margin_start (placeholder, 12);
  gtk_widget_set_margin_end (placeholder, 12);
  gtk_list_box_set_placeholder (self->phones_list, placeholder);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "channels.add", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "channels.pair", FALSE);
  self->phones_timeout = g_timeout_add_seconds (PHONES_REFRESH_SECONDS, on_phones_timeout_cb, self);
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
  fill_relay_apps (self);
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
  g_signal_connect_object (service, "notify::starting",
                           G_CALLBACK (update_service_state), self, G_CONNECT_SWAPPED);
  update_service_state (self);
}

/**
 * picky_channels_page_reload_phones:
 * @self: a #PickyChannelsPage
 *
 * Lists the phones again now rather than at the next periodic look, e.g.
 * right after a phone registered.
 */
void
picky_channels_page_reload_phones (PickyChannelsPage *self)
{
  g_return_if_fail (PICKY_IS_CHANNELS_PAGE (self));

  reload_phones (self);
}
