/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Disclosing a contact's data on a verified demand: who asks, why, which days and which fields. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "picky-disclosure.h"
#include "picky-disclosure-dialog.h"
#include "picky-report.h"
#include "picky-window.h"

/* The fields a disclosure may hold, in the order the dialog offers them. */
static const struct {
  PickyDisclosureField  field;
  const char           *title;
  const char           *subtitle;
} fields[] = {
  { PICKY_DISCLOSURE_FIELD_NAME, N_("Name"), N_("The contact’s name on the messaging app") },
  { PICKY_DISCLOSURE_FIELD_NUMBER, N_("Number"), N_("The contact’s phone number or account id") },
  { PICKY_DISCLOSURE_FIELD_MESSAGES, N_("Message Texts"), N_("What was written, both ways") },
  { PICKY_DISCLOSURE_FIELD_TIMES, N_("Times"), N_("When each message was sent") },
  { PICKY_DISCLOSURE_FIELD_MEDIA, N_("Media Details"), N_("Kind, name and size of photos, videos and files, never their content") },
  { PICKY_DISCLOSURE_FIELD_CHANNEL, N_("Channel"), N_("The messaging app and channel the messages came through") },
};

/* The requesters, in the order of the requester row's items. */
static const PickyDisclosureRequester requesters[] = {
  PICKY_DISCLOSURE_REQUESTER_AUTHORITY,
  PICKY_DISCLOSURE_REQUESTER_PAYMENT_PARTNER,
  PICKY_DISCLOSURE_REQUESTER_FRAUD_TEAM,
};

struct _PickyDisclosureDialog
{
  AdwWindow            parent_instance;

  /* template widgets */
  GtkWidget           *disclose_button;
  GtkSpinner          *spinner;
  GtkLabel            *intro_label;
  AdwComboRow         *requester_row;
  AdwEntryRow         *reference_row;
  AdwEntryRow         *reason_row;
  AdwEntryRow         *from_row;
  AdwEntryRow         *to_row;
  AdwPreferencesGroup *fields_group;
  GtkLabel            *error_label;

  /* owned */
  PickyStore          *store;
  GTimeZone           *tz;
  GCancellable        *cancellable;
  GtkCheckButton      *checks[G_N_ELEMENTS (fields)];
  char                *label;
  gint64               contact_id;
  gboolean             busy;
};

G_DEFINE_FINAL_TYPE (PickyDisclosureDialog, picky_disclosure_dialog, ADW_TYPE_WINDOW)

static void
show_error (PickyDisclosureDialog *self,
            const char            *message)
{
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static char *
dup_stripped (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static guint
get_fields (PickyDisclosureDialog *self)
{
  guint chosen = 0;

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (gtk_check_button_get_active (self->checks[i]))
      chosen |= fields[i].field;

  return chosen;
}

/* Marks a date row whose text is not a date, and says whether it is one. */
static gboolean
check_date (AdwEntryRow *row,
            GDate       *date)
{
  g_autofree char *text = dup_stripped (row);
  gboolean valid = picky_report_parse_date (text, date, NULL);

  if (valid || text[0] == '\0')
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");

  return valid;
}

/* Everything the demand must name, and the period and the fields, are given. */
static gboolean
is_complete (PickyDisclosureDialog *self,
             GDate                 *first,
             GDate                 *last)
{
  g_autofree char *reason = dup_stripped (self->reason_row);
  /* Both rows are checked, so that each shows whether it holds a date. */
  gboolean dates = check_date (self->from_row, first) & check_date (self->to_row, last);

  if (dates && g_date_compare (first, last) > 0)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->to_row), "error");
      dates = FALSE;
    }

  return reason[0] != '\0' && dates && get_fields (self) != 0;
}

static void
update_sensitivity (PickyDisclosureDialog *self)
{
  GDate first, last;

  gtk_widget_set_sensitive (self->disclose_button, !self->busy && is_complete (self, &first, &last));
}

static void
on_field_changed_cb (PickyDisclosureDialog *self)
{
  update_sensitivity (self);
}

static void
set_busy (PickyDisclosureDialog *self,
          gboolean               busy)
{
  self->busy = busy;
  gtk_spinner_set_spinning (self->spinner, busy);
  update_sensitivity (self);
}

static void
on_written_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(PickyDisclosureDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  GtkWindow *parent;

  if (!picky_disclosure_write_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      set_busy (self, FALSE);
      show_error (self, error->message);
      return;
    }

  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (PICKY_IS_WINDOW (parent))
    picky_window_add_toast (PICKY_WINDOW (parent), adw_toast_new (_("Disclosure written, with its cover page")));
  gtk_window_destroy (GTK_WINDOW (self));
}

/* The PDF goes beside the JSON, under the same name. */
static char *
pdf_path_for (const char *json_path)
{
  g_autofree char *base = g_str_has_suffix (json_path, ".json")
                          ? g_strndup (json_path, strlen (json_path) - strlen (".json"))
                          : g_strdup (json_path);

  return g_strconcat (base, ".pdf", NULL);
}

/**
 * picky_disclosure_dialog_write:
 * @path: the JSON file to write; the PDF goes beside it, ending in .pdf
 *
 * Writes the disclosure the form describes: what the Disclose button does
 * once a file is chosen.
 */
void
picky_disclosure_dialog_write (PickyDisclosureDialog *self,
                               const char            *path)
{
  g_autoptr(PickyDisclosureRequest) request = NULL;
  g_autofree char *reference = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *pdf = NULL;
  GDate first, last, after;
  guint selected;

  g_return_if_fail (PICKY_IS_DISCLOSURE_DIALOG (self));
  g_return_if_fail (path != NULL);

  if (self->busy || !is_complete (self, &first, &last))
    return;

  reference = dup_stripped (self->reference_row);
  reason = dup_stripped (self->reason_row);
  selected = adw_combo_row_get_selected (self->requester_row);
  /* The last day is included: up to the midnight after it. */
  after = last;
  g_date_add_days (&after, 1);
  request = picky_disclosure_request_new (self->contact_id,
                                          requesters[MIN (selected, G_N_ELEMENTS (requesters) - 1)],
                                          reference, reason,
                                          picky_report_local_midnight (self->tz, &first),
                                          picky_report_local_midnight (self->tz, &after),
                                          get_fields (self));
  pdf = pdf_path_for (path);

  show_error (self, NULL);
  set_busy (self, TRUE);
  picky_disclosure_write_async (self->store, request, path, pdf, self->cancellable, on_written_cb,
                                g_object_ref (self));
}

static void
on_save_response_cb (GtkNativeDialog *dialog,
                     int              response,
                     gpointer         user_data)
{
  PickyDisclosureDialog *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        picky_disclosure_dialog_write (self, path);
    }

  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_disclose_button_clicked_cb (PickyDisclosureDialog *self)
{
  g_autofree char *reference = dup_stripped (self->reference_row);
  g_autofree char *name = NULL;
  GtkFileChooserNative *dialog;

  /* Translators: the file name offered for a disclosure; keep it short */
  name = g_strdup_printf (_("disclosure-%s.json"), reference[0] != '\0' ? reference : self->label);
  g_strdelimit (name, "/\\:", '-');

  dialog = gtk_file_chooser_native_new (_("Save Disclosure"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_save_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
add_field_rows (PickyDisclosureDialog *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(fields[i].title));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(fields[i].subtitle));
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      /* Named once, after its field, instead of by the row's title and
       * subtitle read after a name of its own. */
      gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _(fields[i].title), -1);
      gtk_accessible_reset_relation (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
      g_signal_connect_object (check, "toggled", G_CALLBACK (on_field_changed_cb), self, G_CONNECT_SWAPPED);
      adw_preferences_group_add (self->fields_group, row);
      self->checks[i] = GTK_CHECK_BUTTON (check);
    }
}

static void
picky_disclosure_dialog_dispose (GObject *object)
{
  PickyDisclosureDialog *self = PICKY_DISCLOSURE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (picky_disclosure_dialog_parent_class)->dispose (object);
}

static void
picky_disclosure_dialog_finalize (GObject *object)
{
  PickyDisclosureDialog *self = PICKY_DISCLOSURE_DIALOG (object);

  g_clear_pointer (&self->tz, g_time_zone_unref);
  g_free (self->label);

  G_OBJECT_CLASS (picky_disclosure_dialog_parent_class)->finalize (object);
}

static void
picky_disclosure_dialog_class_init (PickyDisclosureDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_disclosure_dialog_dispose;
  object_class->finalize = picky_disclosure_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-disclosure-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyDisclosureDialog, disclose_button);
  gtk_widget_class_bind_template_child (widget_class, PickyDisclosureDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, PickyDisclosureDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, PickyDisclosureDialog, requester_row);
  gtk_widget_class_bind_template_child (widget_class, PickyDisclosureDialog, reference_row);
  gtk_widget_class_bind_template_child (widget_class, PickyDisclosureDialog, reason_row);
  gtk_widget_class_bind_template_child (widget_class, PickyDisclosureDialog, from_row);
  gtk_widget_class_bind_template_child (widget_class, PickyDisclosureDialog, to_row);
  gtk_widget_class_bind_template_child (widget_class, PickyDisclosureDialog, fields_group);
  gtk_widget_class_bind_template_child (widget_class, PickyDisclosureDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_disclose_button_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
picky_disclosure_dialog_init (PickyDisclosureDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  add_field_rows (self);
}

static void
set_date (AdwEntryRow *row,
          const GDate *date)
{
  char text[16];

  g_snprintf (text, sizeof text, "%04u-%02u-%02u", g_date_get_year (date), g_date_get_month (date),
              g_date_get_day (date));
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

/**
 * picky_disclosure_dialog_new:
 * @parent: (nullable): the window the dialog belongs to
 * @store: where the contact's data is read from
 * @contact_id: whose data is asked for
 * @label: what to call the contact: their name, or their number
 * @tz: the time zone the days of the period are days of
 * @first: the first day offered for the period
 * @last: the last day offered, included
 *
 * Returns: (transfer full): a new dialog; nothing is ticked, so nothing
 *   is disclosed until the admin says what
 */
PickyDisclosureDialog *
picky_disclosure_dialog_new (GtkWindow   *parent,
                             PickyStore  *store,
                             gint64       contact_id,
                             const char  *label,
                             GTimeZone   *tz,
                             const GDate *first,
                             const GDate *last)
{
  PickyDisclosureDialog *self;
  g_autofree char *intro = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PICKY_IS_STORE (store), NULL);
  g_return_val_if_fail (contact_id > 0, NULL);
  g_return_val_if_fail (label != NULL, NULL);
  g_return_val_if_fail (tz != NULL, NULL);
  g_return_val_if_fail (first != NULL && g_date_valid (first), NULL);
  g_return_val_if_fail (last != NULL && g_date_valid (last), NULL);

  self = g_object_new (PICKY_TYPE_DISCLOSURE_DIALOG, "transient-for", parent, NULL);
  self->store = g_object_ref (store);
  self->tz = g_time_zone_ref (tz);
  self->contact_id = contact_id;
  self->label = g_strdup (label);

  /* Translators: the introduction of the disclosure dialog; %s is the contact */
  intro = g_strdup_printf (_("Disclose data of %s only on a verified demand from an authority, the payment gateway partner or the fraud monitoring team. "
                             "A JSON file and a PDF with a cover page are written; the audit log records who asked, why and what was disclosed, but not the content."),
                           label);
  gtk_label_set_text (self->intro_label, intro);
  set_date (self->from_row, first);
  set_date (self->to_row, last);
  update_sensitivity (self);

  return self;
}
