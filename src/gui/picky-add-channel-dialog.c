/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Adding a channel: its settings, its secrets into the keyring, then a connection test. */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "picky-add-channel-dialog.h"
#include "picky-telegram-channel.h"
#include "picky-whatsapp-channel.h"
#include "picky-window.h"

struct _PickyAddChannelDialog
{
  AdwWindow      parent_instance;

  /* template widgets */
  GtkButton     *add_button;
  GtkSpinner    *spinner;
  AdwComboRow   *kind_row;
  AdwEntryRow   *name_row;
  AdwActionRow  *path_row;
  AdwActionRow  *verify_row;
  GtkWidget     *webhook_group;
  GtkLabel      *error_label;

  /* owned */
  PickyService  *service;
  GCancellable  *cancellable;
  char          *verify_token;
  gint64         channel_id;
  gboolean       editing;      /* channel_id is an existing channel being changed */
};

G_DEFINE_FINAL_TYPE (PickyAddChannelDialog, picky_add_channel_dialog, ADW_TYPE_WINDOW)

/* What each kind asks for. Adding a kind is a line here and its rows in the
 * template; the rest of the dialog is generic. */
static const struct {
  const char *kind;
  const char *app;
  const char *title;
  const char *group;
  GType     (*get_type) (void);
} kinds[] = {
  { "telegram", "telegram", N_("Telegram Bot"), "telegram_group", picky_telegram_channel_get_type },
  { "whatsapp", "whatsapp", N_("WhatsApp Business Number"), "whatsapp_group", picky_whatsapp_channel_get_type },
};

typedef enum {
  FIELD_SETTING,
  FIELD_SECRET,
  FIELD_URL,          /* a setting that must be an http(s) address */
  FIELD_OPTIONAL,     /* a setting that may stay empty */
} FieldType;

static const struct {
  const char *kind;
  const char *row;
  const char *key;    /* the settings member, or the secret's kind in the keyring */
  FieldType   type;
  const char *preset;
} fields[] = {
  { "telegram", "token_row", "token", FIELD_SECRET, NULL },
  { "telegram", "server_row", "api_base", FIELD_URL, PICKY_TELEGRAM_DEFAULT_API_BASE },
  { "whatsapp", "phone_id_row", "phone_number_id", FIELD_SETTING, NULL },
  { "whatsapp", "account_row", "business_account_id", FIELD_OPTIONAL, NULL },
  { "whatsapp", "access_token_row", "access-token", FIELD_SECRET, NULL },
  { "whatsapp", "app_secret_row", "app-secret", FIELD_SECRET, NULL },
  { "whatsapp", "graph_row", "graph_base", FIELD_URL, PICKY_WHATSAPP_DEFAULT_GRAPH_BASE },
  { "whatsapp", "version_row", "graph_version", FIELD_SETTING, PICKY_WHATSAPP_DEFAULT_GRAPH_VERSION },
};

static const char *
selected_kind (PickyAddChannelDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->kind_row);

  return selected < G_N_ELEMENTS (kinds) ? kinds[selected].kind : kinds[0].kind;
}

static GtkWidget *
child (PickyAddChannelDialog *self,
       const char            *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (self), PICKY_TYPE_ADD_CHANNEL_DIALOG, name));
}

static char *
field_text (PickyAddChannelDialog *self,
            const char            *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (child (self, row)))));
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

static void
on_field_changed_cb (PickyAddChannelDialog *self)
{
  const char *kind = selected_kind (self);
  g_autofree char *name = field_text (self, "name_row");
  gboolean complete = name[0] != '\0' && (self->channel_id == 0 || self->editing);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *text = NULL;
      gboolean ok;

      if (g_strcmp0 (fields[i].kind, kind) != 0)
        continue;

      text = field_text (self, fields[i].row);
      if (fields[i].type == FIELD_URL)
        ok = is_web_address (text);
      else if (fields[i].type == FIELD_OPTIONAL || (fields[i].type == FIELD_SECRET && self->editing))
        ok = TRUE;
      else
        ok = text[0] != '\0';
      complete &= ok;

      /* Only a wrong address is marked: an empty field is simply not done yet. */
      if (fields[i].type == FIELD_URL && !ok)
        gtk_widget_add_css_class (child (self, fields[i].row), "error");
      else
        gtk_widget_remove_css_class (child (self, fields[i].row), "error");
    }

  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), complete);
}

static void
on_kind_row_selected_cb (PickyAddChannelDialog *self)
{
  const char *kind = selected_kind (self);

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    gtk_widget_set_visible (child (self, kinds[i].group), g_strcmp0 (kinds[i].kind, kind) == 0);

  on_field_changed_cb (self);
}

static void
set_busy (PickyAddChannelDialog *self,
          gboolean               busy)
{
  gboolean editable = !busy && (self->channel_id == 0 || self->editing);

  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), !busy);
  gtk_widget_set_sensitive (child (self, "general_group"), editable);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    gtk_widget_set_sensitive (child (self, kinds[i].group), editable);
}

static void
show_error (PickyAddChannelDialog *self,
            const char            *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
}

/* From here on the channel exists: the button only closes the dialog. */
static void
offer_close (PickyAddChannelDialog *self)
{
  gtk_button_set_label (self->add_button, _("_Done"));
  set_busy (self, FALSE);
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

  if (bot_name == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The channel was added, but the connection test failed: %s"),
                                                  error->message);

      show_error (self, message);
      offer_close (self);
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
on_channel_saved_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(PickyAddChannelDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  PickyChannel *channel;
  gboolean saved;

  if (self->editing)
    {
      saved = picky_service_update_channel_finish (self->service, result, &error);
    }
  else
    {
      self->channel_id = picky_service_add_channel_finish (self->service, result, &error);
      saved = self->channel_id > 0;
      if (!saved)
        self->channel_id = 0;
    }

  if (!saved)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      set_busy (self, FALSE);
      show_error (self, error->message);
      return;
    }

  /* Edited and tested, the dialog has nothing more to say. */
  self->editing = FALSE;

  channel = picky_channel_registry_lookup (picky_service_get_registry (self->service), self->channel_id);
  if (PICKY_IS_TELEGRAM_CHANNEL (channel))
    {
      picky_telegram_channel_test_connection_async (PICKY_TELEGRAM_CHANNEL (channel), self->cancellable,
                                                    on_connection_tested_cb, g_object_ref (self));
      return;
    }

  /* Meta calls us, not the other way round: what the admin needs now is
   * what to paste into the dashboard. */
  if (self->verify_token != NULL)
    {
      adw_action_row_set_subtitle (self->path_row, PICKY_WHATSAPP_WEBHOOK_PATH);
      adw_action_row_set_subtitle (self->verify_row, self->verify_token);
      gtk_widget_set_visible (self->webhook_group, TRUE);
    }
  offer_close (self);
}

static void
on_copy_button_clicked_cb (PickyAddChannelDialog *self)
{
  g_return_if_fail (self->verify_token != NULL);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->verify_token);
}

static void
on_add_button_clicked_cb (PickyAddChannelDialog *self)
{
  const char *kind = selected_kind (self);
  const char *app = kind;
  g_autoptr(GHashTable) secrets = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *settings = NULL;
  g_autofree char *name = NULL;

  if (self->channel_id != 0 && !self->editing)
    {
      gtk_window_close (GTK_WINDOW (self));
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kinds[i].kind, kind) == 0)
      app = kinds[i].app;

  secrets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  json_builder_begin_object (builder);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *text = NULL;

      if (g_strcmp0 (fields[i].kind, kind) != 0)
        continue;

      text = field_text (self, fields[i].row);
      if (fields[i].type == FIELD_SECRET)
        {
          /* When editing, an empty secret keeps the one in the keyring. */
          if (text[0] != '\0')
            g_hash_table_insert (secrets, (gpointer) fields[i].key, g_steal_pointer (&text));
        }
      else if (text[0] != '\0')
        {
          json_builder_set_member_name (builder, fields[i].key);
          json_builder_add_string_value (builder, text);
        }
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  settings = json_to_string (root, FALSE);

  if (g_strcmp0 (kind, "whatsapp") == 0 && !self->editing)
    {
      g_free (self->verify_token);
      self->verify_token = picky_whatsapp_channel_generate_verify_token ();
      g_hash_table_insert (secrets, (gpointer) "verify-token", g_strdup (self->verify_token));
    }

  name = field_text (self, "name_row");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  set_busy (self, TRUE);
  if (self->editing)
    picky_service_update_channel_async (self->service, self->channel_id, name, settings, secrets,
                                        self->cancellable, on_channel_saved_cb, g_object_ref (self));
  else
    picky_service_add_channel_async (self->service, kind, app, name, settings, secrets,
                                     self->cancellable, on_channel_saved_cb, g_object_ref (self));
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
picky_add_channel_dialog_finalize (GObject *object)
{
  PickyAddChannelDialog *self = PICKY_ADD_CHANNEL_DIALOG (object);

  g_clear_pointer (&self->verify_token, g_free);

  G_OBJECT_CLASS (picky_add_channel_dialog_parent_class)->finalize (object);
}

static void
picky_add_channel_dialog_class_init (PickyAddChannelDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_add_channel_dialog_dispose;
  object_class->finalize = picky_add_channel_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-add-channel-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, add_button);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, kind_row);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, path_row);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, verify_row);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, webhook_group);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, error_label);

  /* Looked up by name from the tables above. */
  gtk_widget_class_bind_template_child_full (widget_class, "general_group", FALSE, 0);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    gtk_widget_class_bind_template_child_full (widget_class, kinds[i].group, FALSE, 0);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    gtk_widget_class_bind_template_child_full (widget_class, fields[i].row, FALSE, 0);

  gtk_widget_class_bind_template_callback (widget_class, on_add_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_kind_row_selected_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
picky_add_channel_dialog_init (PickyAddChannelDialog *self)
{
  g_autoptr(GtkStringList) titles = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    gtk_string_list_append (titles, _(kinds[i].title));
  adw_combo_row_set_model (self->kind_row, G_LIST_MODEL (titles));

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (fields[i].preset != NULL)
      gtk_editable_set_text (GTK_EDITABLE (child (self, fields[i].row)), fields[i].preset);

  on_kind_row_selected_cb (self);
}

/**
 * picky_add_channel_dialog_new:
 * @parent: the window it belongs to
 * @service: a started service
 *
 * Returns: (transfer full): a dialog that adds a Telegram bot or a
 * WhatsApp Business number
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

/**
 * picky_add_channel_dialog_new_for_channel:
 * @parent: the window it belongs to
 * @service: a started service
 * @channel: the channel to change
 *
 * Returns: (transfer full): a dialog that changes @channel's name, settings
 * and, where new ones are typed, its secrets
 */
PickyAddChannelDialog *
picky_add_channel_dialog_new_for_channel (GtkWindow    *parent,
                                          PickyService *service,
                                          PickyChannel *channel)
{
  PickyAddChannelDialog *self;
  g_autoptr(JsonNode) settings = NULL;
  JsonObject *object = NULL;
  const char *kind = NULL;

  g_return_val_if_fail (PICKY_IS_CHANNEL (channel), NULL);

  self = picky_add_channel_dialog_new (parent, service);
  self->channel_id = picky_channel_get_id (channel);
  self->editing = TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (G_TYPE_CHECK_INSTANCE_TYPE (channel, kinds[i].get_type ()))
      {
        kind = kinds[i].kind;
        adw_combo_row_set_selected (self->kind_row, i);
      }
  gtk_widget_set_sensitive (GTK_WIDGET (self->kind_row), FALSE);

  gtk_window_set_title (GTK_WINDOW (self), _("Edit Channel"));
  gtk_button_set_label (self->add_button, _("_Save"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (child (self, "general_group")),
                                         _("Leave a token or secret empty to keep the one in the keyring."));
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), picky_channel_get_name (channel));

  settings = json_from_string (picky_channel_get_settings (channel), NULL);
  if (settings != NULL && JSON_NODE_HOLDS_OBJECT (settings))
    object = json_node_get_object (settings);
  for (guint i = 0; object != NULL && i < G_N_ELEMENTS (fields); i++)
    if (g_strcmp0 (fields[i].kind, kind) == 0 && fields[i].type != FIELD_SECRET &&
        json_object_has_member (object, fields[i].key))
      gtk_editable_set_text (GTK_EDITABLE (child (self, fields[i].row)),
                             json_object_get_string_member_with_default (object, fields[i].key, ""));

  on_kind_row_selected_cb (self);
  return self;
}
