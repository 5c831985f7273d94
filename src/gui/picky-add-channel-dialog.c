/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Adding a channel: its settings, its secrets into the keyring, then a connection test. */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "picky-add-channel-dialog.h"
#include "picky-telegram-channel.h"
#include "picky-window.h"

struct _PickyAddChannelDialog
{
  AdwWindow     parent_instance;

  /* template widgets */
  GtkButton    *add_button;
  GtkSpinner   *spinner;
  AdwEntryRow  *name_row;
  AdwEntryRow  *token_row;
  AdwEntryRow  *server_row;
  GtkLabel     *error_label;

  /* owned */
  PickyService *service;
  GCancellable *cancellable;
  gint64        channel_id;
};

G_DEFINE_FINAL_TYPE (PickyAddChannelDialog, picky_add_channel_dialog, ADW_TYPE_WINDOW)

static gboolean
server_is_valid (const char *text)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);

  return uri != NULL &&
         (g_strcmp0 (g_uri_get_scheme (uri), "https") == 0 ||
          g_strcmp0 (g_uri_get_scheme (uri), "http") == 0) &&
         g_uri_get_host (uri) != NULL;
}

static void
on_field_changed_cb (PickyAddChannelDialog *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  const char *token = gtk_editable_get_text (GTK_EDITABLE (self->token_row));
  const char *server = gtk_editable_get_text (GTK_EDITABLE (self->server_row));
  gboolean server_ok = server_is_valid (server);

  if (server_ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->server_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->server_row), "error");

  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button),
                            self->channel_id == 0 && name[0] != '\0' &&
                            token[0] != '\0' && server_ok);
}

static void
set_busy (PickyAddChannelDialog *self,
          gboolean               busy)
{
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), !busy && self->channel_id == 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->name_row), !busy && self->channel_id == 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->token_row), !busy && self->channel_id == 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), !busy && self->channel_id == 0);
}

static void
show_error (PickyAddChannelDialog *self,
            const char            *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
}

static void
on_connection_tested_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(PickyAddChannelDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *username = NULL;
  g_autofree char *bot_name = NULL;
  GtkWindow *parent;

  bot_name = picky_telegram_channel_test_connection_finish (PICKY_TELEGRAM_CHANNEL (object), result,
                                                            &username, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  if (bot_name == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The channel was added, but the connection test failed: %s"),
                                                  error->message);

      show_error (self, message);
      gtk_button_set_label (GTK_BUTTON (self->add_button), _("_Close"));
      return;
    }

  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (PICKY_IS_WINDOW (parent))
    {
      g_autofree char *title = g_strdup_printf (_("Connected to %s (@%s)"), bot_name,
                                                username != NULL ? username : "");

      picky_window_add_toast (PICKY_WINDOW (parent), adw_toast_new (title));
    }

  gtk_window_close (GTK_WINDOW (self));
}

static void
on_channel_added_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(PickyAddChannelDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  PickyChannel *channel;

  self->channel_id = picky_service_add_channel_finish (self->service, result, &error);
  if (self->channel_id <= 0)
    {
      self->channel_id = 0;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      set_busy (self, FALSE);
      show_error (self, error->message);
      return;
    }

  channel = picky_channel_registry_lookup (picky_service_get_registry (self->service), self->channel_id);
  if (!PICKY_IS_TELEGRAM_CHANNEL (channel))
    {
      gtk_window_close (GTK_WINDOW (self));
      return;
    }

  picky_telegram_channel_test_connection_async (PICKY_TELEGRAM_CHANNEL (channel), self->cancellable,
                                                on_connection_tested_cb, g_object_ref (self));
}

static void
on_add_button_clicked_cb (PickyAddChannelDialog *self)
{
  g_autoptr(GHashTable) secrets = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *settings = NULL;
  g_autofree char *name = NULL;

  /* After a failed test the channel exists; the button then only closes. */
  if (self->channel_id != 0)
    {
      gtk_window_close (GTK_WINDOW (self));
      return;
    }

  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  secrets = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (secrets, (gpointer) "token",
                       (gpointer) gtk_editable_get_text (GTK_EDITABLE (self->token_row)));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "api_base");
  json_builder_add_string_value (builder, gtk_editable_get_text (GTK_EDITABLE (self->server_row)));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  settings = json_to_string (root, FALSE);

  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  set_busy (self, TRUE);
  picky_service_add_channel_async (self->service, "telegram", "telegram", name, settings, secrets,
                                   self->cancellable, on_channel_added_cb, g_object_ref (self));
}

static void
picky_add_channel_dialog_dispose (GObject *object)
{
  PickyAddChannelDialog *self = PICKY_ADD_CHANNEL_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->service);

  G_OBJECT_CLASS (picky_add_channel_dialog_parent_class)->dispose (object);
}

static void
picky_add_channel_dialog_class_init (PickyAddChannelDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_add_channel_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-add-channel-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, add_button);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, token_row);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, server_row);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_add_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
picky_add_channel_dialog_init (PickyAddChannelDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), PICKY_TELEGRAM_DEFAULT_API_BASE);
}

/**
 * picky_add_channel_dialog_new:
 * @parent: the window it belongs to
 * @service: a started service
 *
 * Returns: (transfer full): a dialog that adds a Telegram bot channel
 */
PickyAddChannelDialog *
picky_add_channel_dialog_new (GtkWindow    *parent,
                              PickyService *service)
{
  PickyAddChannelDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PICKY_IS_SERVICE (service), NULL);

  self = g_object_new (PICKY_TYPE_ADD_CHANNEL_DIALOG, "transient-for", parent, NULL);
  self->service = g_object_ref (service);
  return self;
}
