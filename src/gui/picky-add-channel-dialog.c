/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Adding a channel: its settings, a connection test, its secrets into the keyring, then what to do at the provider. */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "picky-add-channel-dialog.h"
#include "picky-window.h"

/* The rows of one kind, built from its description. */
typedef struct
{
  GType      type;
  GtkWidget *group;  /* AdwPreferencesGroup, borrowed from the box */
  GPtrArray *rows;   /* one entry row per field, in the kind's order; borrowed */
} KindGroup;

struct _PickyAddChannelDialog
{
  AdwWindow          parent_instance;

  /* template widgets */
  GtkButton         *cancel_button;
  GtkButton         *add_button;
  GtkStack          *stack;
  GtkLabel          *added_label;
  GtkLabel          *added_error_label;
  AdwPreferencesGroup *setup_page_group;
  GtkSpinner        *spinner;
  GtkBox            *groups_box;
  AdwPreferencesGroup *general_group;
  AdwComboRow       *kind_row;
  AdwEntryRow       *name_row;
  AdwPreferencesGroup *setup_group;
  GtkLabel          *error_label;

  /* owned */
  PickyService      *service;
  GCancellable      *cancellable;
  GArray            *kinds;        /* KindGroup, in the order of the Kind row */
  GtkStringList     *titles;       /* the Kind row's model */
  JsonObject        *settings;     /* the edited channel's, members of no field included */
  JsonObject        *pending_settings; /* a new channel's, tested or about to be added */
  GHashTable        *secrets;      /* the ones being stored, until the channel is there */
  PickyChannelSetup *setup;        /* what to do at the provider, once added */
  gint64             channel_id;
  gboolean           editing;      /* channel_id is an existing channel being changed */
  gboolean           test_failed;  /* the fields as they are failed the test: Add Anyway */
};

G_DEFINE_FINAL_TYPE (PickyAddChannelDialog, picky_add_channel_dialog, ADW_TYPE_WINDOW)

static void
clear_kind_group (gpointer data)
{
  g_clear_pointer (&((KindGroup *) data)->rows, g_ptr_array_unref);
}

static KindGroup *
selected_kind (PickyAddChannelDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->kind_row);

  if (selected >= self->kinds->len)
    return NULL;

  return &g_array_index (self->kinds, KindGroup, selected);
}

static char *
row_text (GtkWidget *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static void
on_field_changed_cb (PickyAddChannelDialog *self)
{
  KindGroup *kind = selected_kind (self);
  g_autofree char *name = row_text (GTK_WIDGET (self->name_row));
  gboolean complete = kind != NULL && name[0] != '\0' && (self->channel_id == 0 || self->editing);
  GPtrArray *fields;

  /* Changed fields deserve a test of their own before Add Anyway. */
  if (self->test_failed)
    {
      self->test_failed = FALSE;
      gtk_button_set_label (self->add_button, _("_Add"));
    }

  if (kind == NULL)
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), FALSE);
      return;
    }

  fields = picky_channel_class_get_fields (kind->type);
  for (guint i = 0; i < fields->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (kind->rows, i);
      g_autofree char *text = row_text (row);
      gboolean ok = picky_channel_field_accepts (g_ptr_array_index (fields, i), text, self->editing);

      complete &= ok;

      /* Only a wrong value is marked: an empty field is simply not done yet. */
      if (!ok && text[0] != '\0')
        gtk_widget_add_css_class (row, "error");
      else
        gtk_widget_remove_css_class (row, "error");
    }

  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), complete);
}

static void
on_kind_row_selected_cb (PickyAddChannelDialog *self)
{
  KindGroup *selected = selected_kind (self);

  for (guint i = 0; i < self->kinds->len; i++)
    {
      KindGroup *kind = &g_array_index (self->kinds, KindGroup, i);

      gtk_widget_set_visible (kind->group, kind == selected);
    }

  on_field_changed_cb (self);
}

/* A row per field, as the kind describes it, in a group of its own that
 * shows while the kind is chosen. */
static void
add_kind (PickyAddChannelDialog *self,
          GType                  type)
{
  GPtrArray *fields = picky_channel_class_get_fields (type);
  const char *description = picky_channel_class_get_description (type);
  GtkWidget *previous;
  KindGroup kind;

  kind.type = type;
  kind.group = adw_preferences_group_new ();
  kind.rows = g_ptr_array_new ();
  if (description != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (kind.group), description);

  for (guint i = 0; i < fields->len; i++)
    {
      PickyChannelField *field = g_ptr_array_index (fields, i);
      const char *help = picky_channel_field_get_help (field);
      const char *value = picky_channel_field_get_default_value (field);
      GtkWidget *row;

      if (picky_channel_field_get_kind (field) == PICKY_CHANNEL_FIELD_SECRET)
        row = adw_password_entry_row_new ();
      else
        row = adw_entry_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), picky_channel_field_get_label (field));
      if (picky_channel_field_get_flags (field) & PICKY_CHANNEL_FIELD_FLAGS_DIGITS)
        adw_entry_row_set_input_purpose (ADW_ENTRY_ROW (row), GTK_INPUT_PURPOSE_DIGITS);
      if (value != NULL)
        gtk_editable_set_text (GTK_EDITABLE (row), value);
      if (help != NULL)
        {
          gtk_widget_set_tooltip_text (row, help);
          gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                          GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, help,
                                          -1);
        }
      g_signal_connect_object (row, "changed", G_CALLBACK (on_field_changed_cb), self, G_CONNECT_SWAPPED);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (kind.group), row);
      g_ptr_array_add (kind.rows, row);
    }

  previous = self->kinds->len > 0
             ? g_array_index (self->kinds, KindGroup, self->kinds->len - 1).group
             : GTK_WIDGET (self->general_group);
  gtk_box_insert_child_after (self->groups_box, kind.group, previous);
  gtk_widget_set_visible (kind.group, FALSE);

  g_array_append_val (self->kinds, kind);
  gtk_string_list_append (self->titles, picky_channel_class_get_title (type));
}

/* The kinds the registry says an admin adds by filling in their fields. */
static void
add_addable_kinds (PickyAddChannelDialog *self)
{
  PickyChannelRegistry *registry = picky_service_get_registry (self->service);
  g_auto(GStrv) kinds = picky_channel_registry_dup_kinds (registry);

  for (guint i = 0; kinds[i] != NULL; i++)
    {
      GType type = picky_channel_registry_get_kind_type (registry, kinds[i]);

      if (picky_channel_class_get_addable (type))
        add_kind (self, type);
    }
}

static void
set_busy (PickyAddChannelDialog *self,
          gboolean               busy)
{
  gboolean editable = !busy && (self->channel_id == 0 || self->editing);

  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->general_group), editable);
  for (guint i = 0; i < self->kinds->len; i++)
    gtk_widget_set_sensitive (g_array_index (self->kinds, KindGroup, i).group, editable);
}

static void
show_message (PickyAddChannelDialog *self,
              const char            *message,
              const char            *style)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->error_label), "warning");
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), style);
  gtk_label_set_text (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
}

static void
show_error (PickyAddChannelDialog *self,
            const char            *message)
{
  show_message (self, message, "error");
}

static void
on_copy_button_clicked_cb (GtkButton *button,
                           gpointer   user_data)
{
  const char *value = g_object_get_data (G_OBJECT (button), "picky-value");

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), value);
}

/* What the kind says the admin must do at the provider, each value with
 * a button to copy it, in @group. */
static void
fill_setup_group (PickyAddChannelDialog *self,
                  AdwPreferencesGroup   *group)
{
  guint n;

  adw_preferences_group_set_title (group, picky_channel_setup_get_title (self->setup));
  adw_preferences_group_set_description (group, picky_channel_setup_get_description (self->setup));

  n = picky_channel_setup_get_n_values (self->setup);
  for (guint i = 0; i < n; i++)
    {
      const char *label = picky_channel_setup_get_label (self->setup, i);
      const char *value = picky_channel_setup_get_value (self->setup, i);
      /* Translators: a button's name, e.g. "Copy Verify Token" */
      g_autofree char *copy_label = g_strdup_printf (_("Copy %s"), label);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), label);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);

      gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (copy, copy_label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (copy),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, copy_label,
                                      -1);
      gtk_widget_add_css_class (copy, "flat");
      g_object_set_data_full (G_OBJECT (copy), "picky-value", g_strdup (value), g_free);
      g_signal_connect (copy, "clicked", G_CALLBACK (on_copy_button_clicked_cb), NULL);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), copy);

      adw_preferences_group_add (group, row);
    }

  gtk_widget_set_visible (GTK_WIDGET (group), TRUE);
}

/* From here on the channel exists: nothing is left to cancel, and the
 * button only closes the dialog. */
static void
offer_close (PickyAddChannelDialog *self)
{
  gtk_button_set_label (self->add_button, _("_Done"));
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), FALSE);
  set_busy (self, FALSE);
}

/* The channel is added; what the admin must still do at the provider gets
 * the whole dialog, else the dialog is done. @warning says what did not
 * work, such as a failed test. */
static void
finish_added (PickyAddChannelDialog *self,
              const char            *warning)
{
  if (self->setup == NULL && warning == NULL)
    {
      gtk_window_close (GTK_WINDOW (self));
      return;
    }

  if (self->setup == NULL)
    {
      /* Added as the admin chose: worth a word, not an alarm. */
      show_message (self, warning, "warning");
      offer_close (self);
      return;
    }

  gtk_label_set_label (self->added_label, _("Channel Added"));
  gtk_label_set_label (self->added_error_label, warning != NULL ? warning : "");
  gtk_widget_set_visible (GTK_WIDGET (self->added_error_label), warning != NULL);
  fill_setup_group (self, self->setup_page_group);
  gtk_stack_set_visible_child_name (self->stack, "setup");
  offer_close (self);
}

static void
add_channel (PickyAddChannelDialog *self);

/* After an edit: the saved channel is tested with what the keyring holds now. */
static void
on_connection_tested_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(PickyAddChannelDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  GtkWindow *parent;

  answer = picky_channel_test_connection_finish (PICKY_CHANNEL (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (answer == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The changes were saved, but the connection test failed: %s"),
                                                  error->message);

      show_error (self, message);
      offer_close (self);
      return;
    }

  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (PICKY_IS_WINDOW (parent))
    picky_window_add_toast (PICKY_WINDOW (parent), adw_toast_new (answer));

  gtk_window_close (GTK_WINDOW (self));
}

/* Before anything is stored: a channel is added only when its test
 * passes, or when the admin chooses Add Anyway after a failed one. */
static void
on_trial_tested_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PickyAddChannelDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *message = NULL;
  GtkWindow *parent;

  answer = picky_service_test_channel_finish (PICKY_SERVICE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (answer == NULL)
    {
      g_clear_pointer (&self->secrets, g_hash_table_unref);
      set_busy (self, FALSE);
      message = g_strdup_printf (_("The connection test failed: %s. Correct the fields, or add the channel anyway."),
                                 error->message);
      show_error (self, message);
      self->test_failed = TRUE;
      gtk_button_set_label (self->add_button, _("Add _Anyway"));
      return;
    }

  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (PICKY_IS_WINDOW (parent))
    picky_window_add_toast (PICKY_WINDOW (parent), adw_toast_new (answer));

  add_channel (self);
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
  gboolean was_editing = self->editing;
  gboolean untested = self->test_failed;

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
      g_clear_pointer (&self->secrets, g_hash_table_unref);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      set_busy (self, FALSE);
      show_error (self, error->message);
      return;
    }

  /* Edited or added, the form has nothing more to say. */
  self->editing = FALSE;
  self->test_failed = FALSE;

  channel = picky_channel_registry_lookup (picky_service_get_registry (self->service), self->channel_id);
  if (!was_editing)
    {
      if (channel != NULL)
        self->setup = picky_channel_dup_setup_instructions (channel, self->secrets);
      g_clear_pointer (&self->secrets, g_hash_table_unref);
      finish_added (self, untested ? _("The channel was added without a passing connection test.") : NULL);
      return;
    }
  g_clear_pointer (&self->secrets, g_hash_table_unref);

  if (channel != NULL && picky_channel_class_can_test_connection (G_OBJECT_TYPE (channel)))
    {
      picky_channel_test_connection_async (channel, self->cancellable,
                                           on_connection_tested_cb, g_object_ref (self));
      return;
    }

  gtk_window_close (GTK_WINDOW (self));
}

static void
add_channel (PickyAddChannelDialog *self)
{
  KindGroup *kind = selected_kind (self);
  g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), self->pending_settings);
  g_autofree char *settings_json = json_to_string (root, FALSE);
  g_autofree char *name = row_text (GTK_WIDGET (self->name_row));

  g_return_if_fail (kind != NULL);

  picky_service_add_channel_async (self->service, picky_channel_class_get_kind (kind->type),
                                   picky_channel_class_get_app (kind->type), name, settings_json,
                                   self->secrets, self->cancellable, on_channel_saved_cb,
                                   g_object_ref (self));
}

static void
on_add_button_clicked_cb (PickyAddChannelDialog *self)
{
  KindGroup *kind = selected_kind (self);
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *settings_json = NULL;
  g_autofree char *name = NULL;
  GPtrArray *fields;

  if (self->channel_id != 0 && !self->editing)
    {
      gtk_window_close (GTK_WINDOW (self));
      return;
    }

  g_return_if_fail (kind != NULL);

  /* Members no field shows, such as ones the kind generated, stay. */
  settings = json_object_new ();
  if (self->settings != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (self->settings);

      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (settings, l->data,
                                json_node_copy (json_object_get_member (self->settings, l->data)));
    }
  g_clear_pointer (&self->secrets, g_hash_table_unref);
  self->secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fields = picky_channel_class_get_fields (kind->type);
  for (guint i = 0; i < fields->len; i++)
    {
      PickyChannelField *field = g_ptr_array_index (fields, i);
      const char *key = picky_channel_field_get_key (field);
      g_autofree char *text = row_text (g_ptr_array_index (kind->rows, i));

      /* When editing, an empty secret keeps the one in the keyring, and an
       * empty setting is left out. */
      if (text[0] == '\0')
        {
          json_object_remove_member (settings, key);
          continue;
        }

      if (picky_channel_field_get_kind (field) == PICKY_CHANNEL_FIELD_SECRET)
        g_hash_table_insert (self->secrets, g_strdup (key), g_steal_pointer (&text));
      else
        json_object_set_string_member (settings, key, text);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  set_busy (self, TRUE);

  if (self->editing)
    {
      root = json_node_init_object (json_node_alloc (), settings);
      settings_json = json_to_string (root, FALSE);
      name = row_text (GTK_WIDGET (self->name_row));
      picky_service_update_channel_async (self->service, self->channel_id, name, settings_json,
                                          self->secrets, self->cancellable, on_channel_saved_cb,
                                          g_object_ref (self));
      return;
    }

  picky_channel_class_prepare_settings (kind->type, settings, self->secrets);
  g_clear_pointer (&self->pending_settings, json_object_unref);
  self->pending_settings = json_object_ref (settings);

  if (self->test_failed || !picky_channel_class_can_test_connection (kind->type))
    {
      add_channel (self);
      return;
    }

  root = json_node_init_object (json_node_alloc (), settings);
  settings_json = json_to_string (root, FALSE);
  picky_service_test_channel_async (self->service, picky_channel_class_get_kind (kind->type),
                                    picky_channel_class_get_app (kind->type), settings_json,
                                    self->secrets, self->cancellable, on_trial_tested_cb,
                                    g_object_ref (self));
}

/* AdwComboRow's own items cut a name off after 20 characters
 * ("WhatsApp Business N…"); these wrap instead, in any language. */
static void
on_kind_item_setup_cb (GtkSignalListItemFactory *factory,
                       GtkListItem              *item)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 32);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), check);
  gtk_list_item_set_child (item, box);
}

/* The chosen kind is ticked in the list, as in AdwComboRow's own. The row
 * shows only the title: its child is a box, so the tick is hidden there. */
static void
update_kind_tick (GtkListItem *item,
                  GParamSpec  *pspec,
                  AdwComboRow *kind_row)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *check = gtk_widget_get_last_child (box);
  gboolean in_popover = gtk_widget_get_ancestor (box, GTK_TYPE_POPOVER) != NULL;

  gtk_widget_set_visible (check, in_popover);
  gtk_widget_set_opacity (check, gtk_list_item_get_position (item) == adw_combo_row_get_selected (kind_row));
}

static void
on_kind_item_bind_cb (GtkSignalListItemFactory *factory,
                      GtkListItem              *item,
                      PickyAddChannelDialog    *self)
{
  GtkStringObject *title = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);

  gtk_label_set_label (GTK_LABEL (gtk_widget_get_first_child (box)), gtk_string_object_get_string (title));
  g_signal_connect_object (self->kind_row, "notify::selected", G_CALLBACK (update_kind_tick), item,
                           G_CONNECT_SWAPPED);
  update_kind_tick (item, NULL, self->kind_row);
}

static void
on_kind_item_unbind_cb (GtkSignalListItemFactory *factory,
                        GtkListItem              *item,
                        PickyAddChannelDialog    *self)
{
  g_signal_handlers_disconnect_by_func (self->kind_row, update_kind_tick, item);
}

static void
on_stored_setup_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PickyAddChannelDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  PickyChannelSetup *setup;

  setup = picky_channel_dup_stored_setup_finish (PICKY_CHANNEL (object), result, &error);
  if (setup == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("No setup to show again: %s", error->message);
      return;
    }

  g_clear_pointer (&self->setup, picky_channel_setup_free);
  self->setup = setup;
  fill_setup_group (self, self->setup_group);
  /* It is what an admin opens the dialog again for: on top, where a phone
   * shows it without scrolling, the form below. */
  gtk_box_reorder_child_after (self->groups_box, GTK_WIDGET (self->setup_group), NULL);
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

  g_clear_pointer (&self->kinds, g_array_unref);
  g_clear_object (&self->titles);
  g_clear_pointer (&self->settings, json_object_unref);
  g_clear_pointer (&self->pending_settings, json_object_unref);
  g_clear_pointer (&self->secrets, g_hash_table_unref);
  g_clear_pointer (&self->setup, picky_channel_setup_free);

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
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, add_button);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, added_label);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, added_error_label);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, setup_page_group);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, groups_box);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, general_group);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, kind_row);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, setup_group);
  gtk_widget_class_bind_template_child (widget_class, PickyAddChannelDialog, error_label);

  gtk_widget_class_bind_template_callback (widget_class, on_add_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_kind_row_selected_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
picky_add_channel_dialog_init (PickyAddChannelDialog *self)
{
  g_autoptr(GtkListItemFactory) factory = NULL;

  self->kinds = g_array_new (FALSE, FALSE, sizeof (KindGroup));
  g_array_set_clear_func (self->kinds, clear_kind_group);
  self->titles = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (on_kind_item_setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (on_kind_item_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (on_kind_item_unbind_cb), self);
  adw_combo_row_set_factory (self->kind_row, factory);

  self->cancellable = g_cancellable_new ();
}

/* The kinds come from the service's registry, so the rows are built once
 * it is known. */
static PickyAddChannelDialog *
create_dialog (GtkWindow    *parent,
               PickyService *service,
               PickyChannel *channel)
{
  PickyAddChannelDialog *self;

  self = g_object_new (PICKY_TYPE_ADD_CHANNEL_DIALOG, "transient-for", parent, NULL);
  self->service = g_object_ref (service);

  add_addable_kinds (self);
  /* A kind made elsewhere, such as a relay, can still be renamed here. */
  if (channel != NULL && !picky_channel_class_get_addable (G_OBJECT_TYPE (channel)))
    add_kind (self, G_OBJECT_TYPE (channel));
  adw_combo_row_set_model (self->kind_row, G_LIST_MODEL (self->titles));

  return self;
}

/**
 * picky_add_channel_dialog_new:
 * @parent: the window it belongs to
 * @service: a started service
 *
 * Returns: (transfer full): a dialog that adds a channel of any kind the
 *   service's registry lets an admin add
 */
PickyAddChannelDialog *
picky_add_channel_dialog_new (GtkWindow    *parent,
                              PickyService *service)
{
  PickyAddChannelDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PICKY_IS_SERVICE (service), NULL);

  self = create_dialog (parent, service, NULL);
  on_kind_row_selected_cb (self);

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
  KindGroup *kind = NULL;
  GPtrArray *fields;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PICKY_IS_SERVICE (service), NULL);
  g_return_val_if_fail (PICKY_IS_CHANNEL (channel), NULL);

  self = create_dialog (parent, service, channel);
  self->channel_id = picky_channel_get_id (channel);
  self->editing = TRUE;

  for (guint i = 0; i < self->kinds->len; i++)
    if (g_array_index (self->kinds, KindGroup, i).type == G_OBJECT_TYPE (channel))
      {
        kind = &g_array_index (self->kinds, KindGroup, i);
        adw_combo_row_set_selected (self->kind_row, i);
      }
  g_assert (kind != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->kind_row), FALSE);

  gtk_window_set_title (GTK_WINDOW (self), _("Edit Channel"));
  gtk_button_set_label (self->add_button, _("_Save"));
  adw_preferences_group_set_description (self->general_group,
                                         _("Leave a token or secret empty to keep the one in the keyring."));
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), picky_channel_get_name (channel));

  settings = json_from_string (picky_channel_get_settings (channel), NULL);
  if (settings != NULL && JSON_NODE_HOLDS_OBJECT (settings))
    {
      object = json_node_get_object (settings);
      self->settings = json_object_ref (object);
    }
  fields = picky_channel_class_get_fields (kind->type);
  for (guint i = 0; object != NULL && i < fields->len; i++)
    {
      PickyChannelField *field = g_ptr_array_index (fields, i);
      const char *key = picky_channel_field_get_key (field);

      if (picky_channel_field_get_kind (field) != PICKY_CHANNEL_FIELD_SECRET &&
          json_object_has_member (object, key))
        gtk_editable_set_text (GTK_EDITABLE (g_ptr_array_index (kind->rows, i)),
                               json_object_get_string_member_with_default (object, key, ""));
    }

  on_kind_row_selected_cb (self);

  /* The verify token is what the admin pastes at the provider, not a
   * credential of ours: it can be seen again here. */
  picky_channel_dup_stored_setup_async (channel, self->cancellable, on_stored_setup_cb, g_object_ref (self));

  return self;
}
