/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A report on screen: its numbers, its charts, and export and print. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-app-catalog.h"
#include "picky-report-draw.h"
#include "picky-report-export.h"
#include "picky-report-view.h"
#include "picky-window.h"

struct _PickyReportView
{
  AdwBin               parent_instance;

  /* template widgets */
  GtkLabel            *title_label;
  GtkLabel            *range_label;
  GtkWidget           *conversation_button;
  GtkRevealer         *progress_revealer;
  GtkProgressBar      *progress_bar;
  AdwPreferencesGroup *summary_group;
  GtkDrawingArea      *daily_area;
  GtkDrawingArea      *heat_area;
  AdwPreferencesGroup *top_volume_group;
  AdwPreferencesGroup *top_slowest_group;

  /* owned */
  PickyReport         *report;
  PickyStore          *store;
  GCancellable        *export_cancellable;
  GPtrArray           *rows;           /* (row, group) pairs added for the report */
};

G_DEFINE_FINAL_TYPE (PickyReportView, picky_report_view, ADW_TYPE_BIN)

/* Text and grid in the widget's own colour; bars and heat in the palette
 * pair that colour-blind readers tell apart, lighter in the dark style. */
static void
style_from_widget (GtkWidget        *widget,
                   PickyReportStyle *style)
{
  GdkRGBA fg;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  *style = (PickyReportStyle) {
    .foreground = { fg.red, fg.green, fg.blue, fg.alpha },
    .grid = { fg.red, fg.green, fg.blue, 0.12 },
    .rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL,
  };
  picky_report_style_init_colors (style, adw_style_manager_get_dark (adw_style_manager_get_default ()));
}

static void
draw_daily (GtkDrawingArea *area,
            cairo_t        *cr,
            int             width,
            int             height,
            gpointer        user_data)
{
  PickyReportView *self = user_data;
  PickyReportStyle style;

  if (self->report == NULL)
    return;
  style_from_widget (GTK_WIDGET (area), &style);
  picky_report_draw_daily (self->report, cr, width, height, &style);
}

static void
draw_heat (GtkDrawingArea *area,
           cairo_t        *cr,
           int             width,
           int             height,
           gpointer        user_data)
{
  PickyReportView *self = user_data;
  PickyReportStyle style;

  if (self->report == NULL)
    return;
  style_from_widget (GTK_WIDGET (area), &style);
  picky_report_draw_heatmap (self->report, cr, width, height, &style);
}

static void
clear_rows (PickyReportView *self)
{
  for (guint i = 0; i + 1 < self->rows->len; i += 2)
    adw_preferences_group_remove (self->rows->pdata[i + 1], self->rows->pdata[i]);
  g_ptr_array_set_size (self->rows, 0);
}

static void
add_row (PickyReportView     *self,
         AdwPreferencesGroup *group,
         const char          *title,
         const char          *value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (value);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->rows, row);
  g_ptr_array_add (self->rows, group);
}

/* Rows go into one group of the page. */
typedef struct {
  PickyReportView     *self;
  AdwPreferencesGroup *group;
} Rows;

static void
add_row_cb (const char *title,
            const char *value,
            gpointer    user_data)
{
  Rows *rows = user_data;

  add_row (rows->self, rows->group, title, value);
}

static void
fill (PickyReportView *self)
{
  g_autofree char *title = picky_report_dup_title (self->report);
  g_autofree char *range = picky_report_dup_range_text (self->report);
  gboolean overall = picky_report_get_contact_id (self->report) == 0;
  Rows summary = { self, self->summary_group };
  Rows volume = { self, self->top_volume_group };
  Rows slowest = { self, self->top_slowest_group };

  gtk_label_set_text (self->title_label, title);
  gtk_label_set_text (self->range_label, range);
  /* The flow box's own child, so that no empty slot is left. */
  gtk_widget_set_visible (gtk_widget_get_parent (self->conversation_button), !overall);

  clear_rows (self);
  picky_report_foreach_summary_row (self->report, add_row_cb, &summary);
  gtk_widget_set_visible (GTK_WIDGET (self->top_volume_group), overall);
  picky_report_foreach_top_row (self->report, PICKY_REPORT_TOP_VOLUME, add_row_cb, &volume);
  gtk_widget_set_visible (GTK_WIDGET (self->top_slowest_group), overall);
  picky_report_foreach_top_row (self->report, PICKY_REPORT_TOP_SLOWEST, add_row_cb, &slowest);

  gtk_widget_queue_draw (GTK_WIDGET (self->daily_area));
  gtk_widget_queue_draw (GTK_WIDGET (self->heat_area));
}

static void
show_message (PickyReportView *self,
              const char      *heading,
              const char      *body)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_WINDOW);

  if (PICKY_IS_WINDOW (window) && body == NULL)
    {
      picky_window_add_toast (PICKY_WINDOW (window), adw_toast_new (heading));
    }
  else
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (window), heading, body);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

static void
set_busy (PickyReportView *self,
          gboolean         busy)
{
  gtk_revealer_set_reveal_child (self->progress_revealer, busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "report.export", !busy);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
}

static void
on_export_progress (double   fraction,
                    gpointer user_data)
{
  PickyReportView *self = user_data;

  /* Progress can still arrive after the view was closed. */
  if (self->report != NULL)
    gtk_progress_bar_set_fraction (self->progress_bar, fraction);
}

static void
on_exported_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PickyReportView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (self->report == NULL)
    return;

  if (!picky_report_export_finish (PICKY_REPORT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->export_cancellable != NULL)
        show_message (self, _("The Report Could Not Be Exported"), error->message);
    }
  else
    show_message (self, _("Report exported"), NULL);

  g_clear_object (&self->export_cancellable);
  if (gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    set_busy (self, FALSE);
}

static void
on_cancel_button_clicked_cb (PickyReportView *self)
{
  if (self->export_cancellable != NULL)
    g_cancellable_cancel (self->export_cancellable);
}

static void
on_save_response_cb (GtkNativeDialog *dialog,
                     int              response,
                     gpointer         user_data)
{
  PickyReportView *self = user_data;
  const char *format = g_object_get_data (G_OBJECT (dialog), "picky-format");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        picky_report_view_export (self, format, path);
    }

  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
picky_report_view_export_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  PickyReportView *self = PICKY_REPORT_VIEW (widget);
  const char *format = g_variant_get_string (parameter, NULL);
  GtkWidget *window = gtk_widget_get_ancestor (widget, GTK_TYPE_WINDOW);
  g_autofree char *title = NULL;
  g_autofree char *name = NULL;
  GtkFileChooserNative *dialog;

  if (self->report == NULL)
    return;

  title = picky_report_dup_title (self->report);
  /* Translators: the file name offered for an exported report; keep it short */
  name = g_strdup_printf (_("report-%s.%s"), title, g_str_equal (format, "pdf") ? "pdf" : "csv");
  g_strdelimit (name, "/\\:", '-');

  dialog = gtk_file_chooser_native_new (_("Export Report"), GTK_WINDOW (window),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_object_set_data_full (G_OBJECT (dialog), "picky-format", g_strdup (format), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_save_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_begin_print_cb (GtkPrintOperation *operation,
                   GtkPrintContext   *context,
                   PickyReportView   *self)
{
  gtk_print_operation_set_n_pages (operation, picky_report_get_n_pages (self->report));
}

/* Printing draws the very pages of the PDF, on paper colours. */
static void
on_draw_page_cb (GtkPrintOperation *operation,
                 GtkPrintContext   *context,
                 int                page,
                 PickyReportView   *self)
{
  PickyReportStyle style;

  picky_report_style_init_paper (&style);
  style.rtl = gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL;
  picky_report_draw_page (self->report, gtk_print_context_get_cairo_context (context), page,
                          gtk_print_context_get_width (context), gtk_print_context_get_height (context),
                          &style);
}

static void
on_print_done_cb (GtkPrintOperation       *operation,
                  GtkPrintOperationResult  result,
                  PickyReportView         *self)
{
  g_autoptr(GError) error = NULL;

  if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    {
      gtk_print_operation_get_error (operation, &error);
      show_message (self, _("The Report Could Not Be Printed"), error != NULL ? error->message : NULL);
    }
}

static GtkPrintOperation *
new_print_operation (PickyReportView *self)
{
  g_autofree char *title = picky_report_dup_title (self->report);
  GtkPrintOperation *operation = gtk_print_operation_new ();

  gtk_print_operation_set_job_name (operation, title);
  gtk_print_operation_set_embed_page_setup (operation, TRUE);
  g_signal_connect_object (operation, "begin-print", G_CALLBACK (on_begin_print_cb), self, 0);
  g_signal_connect_object (operation, "draw-page", G_CALLBACK (on_draw_page_cb), self, 0);
  g_signal_connect_object (operation, "done", G_CALLBACK (on_print_done_cb), self, 0);

  return operation;
}

static void
picky_report_view_print_action (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *parameter)
{
  PickyReportView *self = PICKY_REPORT_VIEW (widget);
  GtkWidget *window = gtk_widget_get_ancestor (widget, GTK_TYPE_WINDOW);
  g_autoptr(GtkPrintOperation) operation = NULL;
  g_autoptr(GError) error = NULL;

  if (self->report == NULL)
    return;

  operation = new_print_operation (self);
  /* Never hold up the window while the dialog or the printer work. */
  gtk_print_operation_set_allow_async (operation, TRUE);
  if (gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                               GTK_WINDOW (window), &error) == GTK_PRINT_OPERATION_RESULT_ERROR)
    show_message (self, _("The Report Could Not Be Printed"), error->message);
}

static void
on_last_message_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PickyReportView) self = user_data;
  g_autoptr(GPtrArray) page = picky_store_list_messages_finish (PICKY_STORE (object), result, NULL);
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_WINDOW);

  if (page != NULL && page->len > 0 && PICKY_IS_WINDOW (window))
    picky_window_open_message (PICKY_WINDOW (window), picky_message_get_id (g_ptr_array_index (page, 0)));
}

/* The conversation opens at the contact's latest message. */
static void
picky_report_view_show_conversation (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *parameter)
{
  PickyReportView *self = PICKY_REPORT_VIEW (widget);
  PickyPageQuery query = { .direction = -1, .limit = 1 };

  if (self->report == NULL || picky_report_get_contact_id (self->report) == 0)
    return;

  query.contact_id = picky_report_get_contact_id (self->report);
  picky_store_list_messages_async (self->store, &query, NULL, on_last_message_cb, g_object_ref (self));
}

static void
picky_report_view_dispose (GObject *object)
{
  PickyReportView *self = PICKY_REPORT_VIEW (object);

  if (self->export_cancellable != NULL)
    g_cancellable_cancel (self->export_cancellable);
  g_clear_object (&self->export_cancellable);
  g_clear_object (&self->report);
  g_clear_object (&self->store);
  g_clear_pointer (&self->rows, g_ptr_array_unref);

  G_OBJECT_CLASS (picky_report_view_parent_class)->dispose (object);
}

static void
picky_report_view_class_init (PickyReportViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_report_view_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-report-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, title_label);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, range_label);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, conversation_button);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, summary_group);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, daily_area);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, heat_area);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, top_volume_group);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, top_slowest_group);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_button_clicked_cb);

  gtk_widget_class_install_action (widget_class, "report.export", "s", picky_report_view_export_action);
  gtk_widget_class_install_action (widget_class, "report.print", NULL, picky_report_view_print_action);
  gtk_widget_class_install_action (widget_class, "report.show-conversation", NULL,
                                   picky_report_view_show_conversation);
}

static void
picky_report_view_init (PickyReportView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->rows = g_ptr_array_new ();
  gtk_drawing_area_set_draw_func (self->daily_area, draw_daily, self, NULL);
  gtk_drawing_area_set_draw_func (self->heat_area, draw_heat, self, NULL);
}

/**
 * picky_report_view_set_report:
 * @report: a loaded report
 * @store: where an export of messages reads them from
 */
void
picky_report_view_set_report (PickyReportView *self,
                              PickyReport     *report,
                              PickyStore      *store)
{
  g_return_if_fail (PICKY_IS_REPORT_VIEW (self));
  g_return_if_fail (PICKY_IS_REPORT (report));
  g_return_if_fail (PICKY_IS_STORE (store));

  g_set_object (&self->report, report);
  g_set_object (&self->store, store);
  fill (self);
}

/**
 * picky_report_view_get_report:
 *
 * Returns: (transfer none) (nullable): the report shown
 */
PickyReport *
picky_report_view_get_report (PickyReportView *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT_VIEW (self), NULL);

  return self->report;
}

/**
 * picky_report_view_export:
 * @format: "csv-summary", "csv-messages" or "pdf"
 * @path: the file to write
 *
 * Exports the report shown, with progress and a Cancel button; what the
 * Export menu does once a file is chosen.
 */
void
picky_report_view_export (PickyReportView *self,
                          const char      *format,
                          const char      *path)
{
  PickyReportFormat kind = PICKY_REPORT_FORMAT_PDF;

  g_return_if_fail (PICKY_IS_REPORT_VIEW (self));
  g_return_if_fail (self->report != NULL);
  g_return_if_fail (self->export_cancellable == NULL);

  if (g_str_equal (format, "csv-summary"))
    kind = PICKY_REPORT_FORMAT_CSV_SUMMARY;
  else if (g_str_equal (format, "csv-messages"))
    kind = PICKY_REPORT_FORMAT_CSV_MESSAGES;

  self->export_cancellable = g_cancellable_new ();
  set_busy (self, TRUE);
  picky_report_export_async (self->report, self->store, kind, path,
                             on_export_progress, g_object_ref (self), g_object_unref,
                             self->export_cancellable, on_exported_cb, g_object_ref (self));
}

/**
 * picky_report_view_print_to_file:
 * @path: a PDF file to write
 *
 * Runs the print operation of the Print button without its dialog,
 * straight into a PDF: what a print preview or a test sees.
 *
 * Returns: whether the pages were written
 */
gboolean
picky_report_view_print_to_file (PickyReportView  *self,
                                 const char       *path,
                                 GError          **error)
{
  g_autoptr(GtkPrintOperation) operation = NULL;

  g_return_val_if_fail (PICKY_IS_REPORT_VIEW (self), FALSE);
  g_return_val_if_fail (self->report != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  operation = new_print_operation (self);
  gtk_print_operation_set_export_filename (operation, path);
  return gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_EXPORT, NULL, error)
         != GTK_PRINT_OPERATION_RESULT_ERROR;
}

/**
 * picky_report_view_get_busy:
 *
 * Returns: whether an export is running
 */
gboolean
picky_report_view_get_busy (PickyReportView *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT_VIEW (self), FALSE);

  return self->export_cancellable != NULL;
}
