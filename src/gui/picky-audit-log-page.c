/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit log in Preferences: entries newest first, a filter by action, CSV export and verification. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-audit-log-page.h"
#include "picky-clock.h"
#include "picky-time-format.h"

/* The actions the store records, with what to call them; an action missing
 * here (from a newer version) shows as recorded. */
static const struct {
  const char *action;
  const char *label;
} action_labels[] = {
  { "channel-add", N_("Channel added") },
  { "channel-edit", N_("Channel edited") },
  { "channel-remove", N_("Channel removed") },
  { "secret-change", N_("Token or secret changed") },
  { "access-change", N_("Access switch flipped") },
  { "phone-pair", N_("Phone paired") },
  { "phone-trust", N_("Phone trusted") },
  { "phone-revoke", N_("Phone revoked") },
  { "data-key-create", N_("Data key created") },
  { "export", N_("Data exported") },
  { "export-contact", N_("Contact data exported") },
  { "disclose", N_("Data disclosed") },
  { "erase-contact", N_("Contact erased") },
  { "purge", N_("Old messages deleted") },
  { "retention-change", N_("Retention changed") },
};

struct _PickyAuditLogPage
{
  GtkBox              parent_instance;

  /* template widgets */
  GtkDropDown        *filter_dropdown;
  GtkWidget          *verify_button;
  GtkWidget          *export_button;
  GtkLabel           *verify_label;
  GtkStack           *stack;
  GtkListView        *list_view;

  /* owned */
  PickyStore         *store;
  GCancellable       *cancellable;
  GListStore         *entries;
  GtkCustomFilter    *filter;
  GtkFilterListModel *filtered;
  GPtrArray          *actions;     /* actions[i] belongs to filter item i + 1; item 0 shows all */
  gboolean            loading;
};

G_DEFINE_FINAL_TYPE (PickyAuditLogPage, picky_audit_log_page, GTK_TYPE_BOX)

static const char *
get_action_label (const char *action)
{
  for (guint i = 0; i < G_N_ELEMENTS (action_labels); i++)
    if (g_str_equal (action_labels[i].action, action))
      return _(action_labels[i].label);

  return action;
}

static const char *
get_filter_action (PickyAuditLogPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->filter_dropdown);

  if (selected == 0 || selected == GTK_INVALID_LIST_POSITION || selected > self->actions->len)
    return NULL;

  return g_ptr_array_index (self->actions, selected - 1);
}

static gboolean
filter_entry_cb (gpointer item,
                 gpointer user_data)
{
  PickyAuditLogPage *self = user_data;
  const char *action = get_filter_action (self);

  return action == NULL || g_strcmp0 (picky_audit_entry_get_action (item), action) == 0;
}

static void
on_filter_dropdown_selected_cb (PickyAuditLogPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* The filter offers the actions the log holds, sorted by what they are
 * called, so that it never offers one that would show nothing. */
static int
compare_action_labels (gconstpointer a,
                       gconstpointer b)
{
  return g_utf8_collate (get_action_label (*(const char **) a), get_action_label (*(const char **) b));
}

static void
fill_filter (PickyAuditLogPage *self)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *previous = g_strdup (get_filter_action (self));
  guint selected = 0;

  g_ptr_array_set_size (self->actions, 0);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->entries)); i++)
    {
      g_autoptr(PickyAuditEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->entries), i);
      const char *action = picky_audit_entry_get_action (entry);

      if (g_hash_table_add (seen, (gpointer) action))
        g_ptr_array_add (self->actions, g_strdup (action));
    }
  g_ptr_array_sort (self->actions, compare_action_labels);

  gtk_string_list_append (names, _("All Actions"));
  for (guint i = 0; i < self->actions->len; i++)
    {
      gtk_string_list_append (names, get_action_label (g_ptr_array_index (self->actions, i)));
      if (g_strcmp0 (previous, g_ptr_array_index (self->actions, i)) == 0)
        selected = i + 1;
    }

  gtk_drop_down_set_model (self->filter_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->filter_dropdown, selected);
}

static void
on_entries_listed_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(PickyAuditLogPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = picky_store_list_audit_finish (PICKY_STORE (object), result, &error);

  if (entries == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      self->loading = FALSE;
      gtk_label_set_text (self->verify_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->verify_label), TRUE);
      return;
    }

  g_list_store_splice (self->entries, 0, g_list_model_get_n_items (G_LIST_MODEL (self->entries)),
                       entries->pdata, entries->len);
  fill_filter (self);
  gtk_stack_set_visible_child_name (self->stack, entries->len > 0 ? "list" : "empty");
  self->loading = FALSE;
}

static void
reload (PickyAuditLogPage *self)
{
  self->loading = TRUE;
  picky_store_list_audit_async (self->store, self->cancellable, on_entries_listed_cb, g_object_ref (self));
}

static void
on_verified_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PickyAuditLogPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gint64 broken = 0;
  gint64 count = picky_store_verify_audit_finish (PICKY_STORE (object), result, &broken, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  gtk_widget_set_sensitive (self->verify_button, TRUE);
  gtk_widget_remove_css_class (GTK_WIDGET (self->verify_label), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->verify_label), "error");

  if (count < 0)
    {
      text = g_strdup_printf (_("The log could not be verified: %s"), error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->verify_label), "error");
    }
  else if (broken > 0)
    {
      /* Translators: %lld is the number of the first entry that does not fit the chain */
      text = g_strdup_printf (_("Broken at entry %lld: it, or the entry before it, was changed or removed after it was written. Entries from there on cannot be trusted."),
                              (long long) broken);
      gtk_widget_add_css_class (GTK_WIDGET (self->verify_label), "error");
    }
  else
    {
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Intact: the %'u entry is as it was written.",
                                           "Intact: all %'u entries are as they were written.",
                                           count),
                              (guint) count);
      gtk_widget_add_css_class (GTK_WIDGET (self->verify_label), "success");
    }

  gtk_label_set_text (self->verify_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->verify_label), TRUE);
}

static void
on_verify_button_clicked_cb (PickyAuditLogPage *self)
{
  gtk_widget_set_sensitive (self->verify_button, FALSE);
  gtk_label_set_text (self->verify_label, _("Verifying…"));
  gtk_widget_set_visible (GTK_WIDGET (self->verify_label), TRUE);
  picky_store_verify_audit_async (self->store, self->cancellable, on_verified_cb, g_object_ref (self));
}

static void
on_back_button_clicked_cb (PickyAuditLogPage *self)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_PREFERENCES_WINDOW);

  if (window != NULL)
    adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (window));
}

static void
show_toast (PickyAuditLogPage *self,
            const char        *text)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_PREFERENCES_WINDOW);

  if (window != NULL)
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (window), adw_toast_new (text));
}

static void
on_exported_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PickyAuditLogPage) self = user_data;
  g_autoptr(GError) error = NULL;

  gtk_widget_set_sensitive (self->export_button, TRUE);
  if (!picky_store_export_audit_finish (PICKY_STORE (object), result, &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      text = g_strdup_printf (_("The audit log could not be exported: %s"), error->message);
      show_toast (self, text);
      return;
    }

  show_toast (self, _("Audit log exported"));
}

static void
on_save_response_cb (GtkNativeDialog *dialog,
                     int              response,
                     gpointer         user_data)
{
  PickyAuditLogPage *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        picky_audit_log_page_export (self, path);
    }

  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_export_button_clicked_cb (PickyAuditLogPage *self)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_WINDOW);
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Export Audit Log"), GTK_WINDOW (window),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  /* Translators: the file name offered for the exported audit log */
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), _("audit-log.csv"));
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_save_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *details = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (title), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (details), 0);
  gtk_label_set_wrap (GTK_LABEL (details), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (details), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (details), TRUE);
  gtk_widget_add_css_class (details, "dim-label");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), details);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  user_data)
{
  PickyAuditEntry *entry = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *title = gtk_widget_get_first_child (box);
  GtkWidget *details = gtk_widget_get_next_sibling (title);
  g_autofree char *when = picky_time_format_day_time (picky_audit_entry_get_time (entry),
                                                      picky_clock_get_now (picky_clock_get_default ()), NULL);
  g_autofree char *heading = NULL;
  g_autofree char *text = NULL;
  const char *object = picky_audit_entry_get_object (entry);
  const char *detail = picky_audit_entry_get_detail (entry);

  if (object != NULL && object[0] != '\0')
    /* Translators: an audit entry's heading: what was done, to what, e.g. "Channel removed · channel 3" */
    heading = g_strdup_printf (_("%s · %s"), get_action_label (picky_audit_entry_get_action (entry)), object);
  else
    heading = g_strdup (get_action_label (picky_audit_entry_get_action (entry)));

  /* Translators: an audit entry's number, time and details, e.g. "#12 · 2026-12-04 09:30:00 · 120 messages" */
  if (detail != NULL && detail[0] != '\0')
    text = g_strdup_printf (_("#%lld · %s · %s"), (long long) picky_audit_entry_get_id (entry), when, detail);
  else
    text = g_strdup_printf (_("#%lld · %s"), (long long) picky_audit_entry_get_id (entry), when);

  gtk_label_set_text (GTK_LABEL (title), heading);
  gtk_label_set_text (GTK_LABEL (details), text);
}

static void
picky_audit_log_page_dispose (GObject *object)
{
  PickyAuditLogPage *self = PICKY_AUDIT_LOG_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (picky_audit_log_page_parent_class)->dispose (object);
}

static void
picky_audit_log_page_finalize (GObject *object)
{
  PickyAuditLogPage *self = PICKY_AUDIT_LOG_PAGE (object);

  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->entries);
  g_clear_pointer (&self->actions, g_ptr_array_unref);

  G_OBJECT_CLASS (picky_audit_log_page_parent_class)->finalize (object);
}

static void
picky_audit_log_page_class_init (PickyAuditLogPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_audit_log_page_dispose;
  object_class->finalize = picky_audit_log_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-audit-log-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyAuditLogPage, filter_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PickyAuditLogPage, verify_button);
  gtk_widget_class_bind_template_child (widget_class, PickyAuditLogPage, export_button);
  gtk_widget_class_bind_template_child (widget_class, PickyAuditLogPage, verify_label);
  gtk_widget_class_bind_template_child (widget_class, PickyAuditLogPage, stack);
  gtk_widget_class_bind_template_child (widget_class, PickyAuditLogPage, list_view);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_dropdown_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_verify_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_back_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_export_button_clicked_cb);
}

static void
picky_audit_log_page_init (PickyAuditLogPage *self)
{
  g_autoptr(GtkNoSelection) selection = NULL;
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->actions = g_ptr_array_new_with_free_func (g_free);
  self->entries = g_list_store_new (PICKY_TYPE_AUDIT_ENTRY);
  self->filter = gtk_custom_filter_new (filter_entry_cb, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->entries)),
                                              g_object_ref (GTK_FILTER (self->filter)));
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
}

/**
 * picky_audit_log_page_new:
 * @store: whose audit log to show
 *
 * Returns: (transfer full): a page showing the log, newest entry first
 */
PickyAuditLogPage *
picky_audit_log_page_new (PickyStore *store)
{
  PickyAuditLogPage *self;

  g_return_val_if_fail (PICKY_IS_STORE (store), NULL);

  self = g_object_new (PICKY_TYPE_AUDIT_LOG_PAGE, NULL);
  self->store = g_object_ref (store);
  reload (self);
  return self;
}

/**
 * picky_audit_log_page_get_model:
 *
 * Returns: (transfer none): the entries as shown: filtered, newest first
 */
GListModel *
picky_audit_log_page_get_model (PickyAuditLogPage *self)
{
  g_return_val_if_fail (PICKY_IS_AUDIT_LOG_PAGE (self), NULL);

  return G_LIST_MODEL (self->filtered);
}

/**
 * picky_audit_log_page_get_loading:
 *
 * Returns: whether the entries are being read from the store
 */
gboolean
picky_audit_log_page_get_loading (PickyAuditLogPage *self)
{
  g_return_val_if_fail (PICKY_IS_AUDIT_LOG_PAGE (self), FALSE);

  return self->loading;
}

/**
 * picky_audit_log_page_export:
 * @path: the CSV file to write
 *
 * Writes the whole log as CSV: what Export does once a file is chosen.
 */
void
picky_audit_log_page_export (PickyAuditLogPage *self,
                             const char        *path)
{
  g_return_if_fail (PICKY_IS_AUDIT_LOG_PAGE (self));
  g_return_if_fail (path != NULL);

  gtk_widget_set_sensitive (self->export_button, FALSE);
  picky_store_export_audit_async (self->store, path, self->cancellable, on_exported_cb, g_object_ref (self));
}
