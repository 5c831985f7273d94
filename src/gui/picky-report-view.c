/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A report on screen: its numbers, its charts, and export and print. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-app-catalog.h"
#include "picky-disclosure-dialog.h"
#include "picky-erase-dialog.h"
#include "picky-report-draw.h"
#include "picky-report-export.h"
#include "picky-report-view.h"
#include "picky-window.h"

struct _PickyReportView
{
  AdwBin               parent_instance;

  /* template widgets */
  GtkScrolledWindow   *scroller;
  GtkLabel            *title_label;
  GtkLabel            *range_label;
  GtkWidget           *conversation_button;
  GtkWidget           *privacy_box;
  GtkRevealer         *progress_revealer;
  GtkProgressBar      *progress_bar;
  AdwPreferencesGroup *summary_group;
  GtkDrawingArea      *daily_area;
  GtkDrawingArea      *heat_area;
  GtkToggleButton     *table_button;
  GtkGrid             *daily_table;
  GtkWidget           *heat_table_scroller;
  GtkGrid             *heat_table;
  AdwPreferencesGroup *top_volume_group;
  AdwPreferencesGroup *top_slowest_group;

  /* owned */
  PickyReport         *report;
  PickyStore          *store;
  GCancellable        *export_cancellable;
  GPtrArray           *rows;           /* (row, group) pairs added for the report */
  char                *exported;       /* the path of the last export */
};

G_DEFINE_FINAL_TYPE (PickyReportView, picky_report_view, ADW_TYPE_BIN)

enum {
  SIGNAL_CONTACT_ERASED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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

static gboolean
on_daily_area_query_tooltip_cb (PickyReportView *self,
                                int              x,
                                int              y,
                                gboolean         keyboard,
                                GtkTooltip      *tooltip)
{
  GtkWidget *area = GTK_WIDGET (self->daily_area);
  PickyReportStyle style;
  g_autofree char *day = NULL;
  g_autofree char *text = NULL;
  guint n_in, n_out;
  GDate date;
  int index;

  if (self->report == NULL || keyboard)
    return FALSE;

  style_from_widget (area, &style);
  index = picky_report_daily_day_at (self->report, gtk_widget_get_width (area), gtk_widget_get_height (area),
                                     &style, x, y);
  if (index < 0)
    return FALSE;

  picky_report_get_dates (self->report, &date, NULL);
  g_date_add_days (&date, index);
  picky_report_get_day (self->report, index, &n_in, &n_out);
  day = picky_report_format_day (&date);
  /* Translators: the tooltip of a day in the daily chart: the day, then messages received and sent */
  text = g_strdup_printf (_("%s\nReceived: %u\nSent: %u"), day, n_in, n_out);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static gboolean
on_heat_area_query_tooltip_cb (PickyReportView *self,
                               int              x,
                               int              y,
                               gboolean         keyboard,
                               GtkTooltip      *tooltip)
{
  GtkWidget *area = GTK_WIDGET (self->heat_area);
  PickyReportStyle style;
  g_autofree char *text = NULL;
  guint weekday, hour, heat;

  if (self->report == NULL || keyboard)
    return FALSE;

  style_from_widget (area, &style);
  if (!picky_report_heatmap_cell_at (self->report, gtk_widget_get_width (area), gtk_widget_get_height (area),
                                     &style, x, y, &weekday, &hour))
    return FALSE;

  heat = picky_report_get_heat (self->report, weekday, hour);
  /* Translators: the tooltip of a heatmap cell: weekday, the hour's start and end, messages */
  text = g_strdup_printf (ngettext ("%s %02u:00–%02u:00\n%u message", "%s %02u:00–%02u:00\n%u messages", heat),
                          picky_report_weekday_name (weekday), hour, (hour + 1) % 24, heat);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
clear_grid (GtkGrid *grid)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))) != NULL)
    gtk_grid_remove (grid, child);
}

static void
attach_cell (GtkGrid    *grid,
             const char *text,
             int         column,
             int         row,
             gboolean    heading,
             gboolean    number)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), number ? 1.0 : 0.0);
  if (heading)
    gtk_widget_add_css_class (label, "heading");
  if (number)
    gtk_widget_add_css_class (label, "numeric");
  gtk_grid_attach (grid, label, column, row, 1, 1);
}

/* The charts' numbers as tables: built only when asked for, as a long
 * range makes a table of many rows. */
static void
fill_tables (PickyReportView *self)
{
  GDate first;

  clear_grid (self->daily_table);
  clear_grid (self->heat_table);
  if (self->report == NULL || !gtk_toggle_button_get_active (self->table_button))
    return;

  attach_cell (self->daily_table, C_("table", "Day"), 0, 0, TRUE, FALSE);
  attach_cell (self->daily_table, C_("messages", "Received"), 1, 0, TRUE, TRUE);
  attach_cell (self->daily_table, C_("messages", "Sent"), 2, 0, TRUE, TRUE);
  picky_report_get_dates (self->report, &first, NULL);
  for (guint d = 0; d < picky_report_get_n_days (self->report); d++)
    {
      GDate date = first;
      g_autofree char *day = NULL;
      g_autofree char *in = NULL;
      g_autofree char *out = NULL;
      guint n_in, n_out;

      g_date_add_days (&date, d);
      picky_report_get_day (self->report, d, &n_in, &n_out);
      day = picky_report_format_day (&date);
      in = g_strdup_printf ("%u", n_in);
      out = g_strdup_printf ("%u", n_out);
      attach_cell (self->daily_table, day, 0, d + 1, FALSE, FALSE);
      attach_cell (self->daily_table, in, 1, d + 1, FALSE, TRUE);
      attach_cell (self->daily_table, out, 2, d + 1, FALSE, TRUE);
    }

  for (guint hour = 0; hour < 24; hour++)
    {
      g_autofree char *text = g_strdup_printf ("%02u", hour);

      attach_cell (self->heat_table, text, hour + 1, 0, TRUE, TRUE);
    }
  for (guint day = 0; day < 7; day++)
    {
      attach_cell (self->heat_table, picky_report_weekday_name (day), 0, day + 1, TRUE, FALSE);
      for (guint hour = 0; hour < 24; hour++)
        {
          g_autofree char *text = g_strdup_printf ("%u", picky_report_get_heat (self->report, day, hour));

          attach_cell (self->heat_table, text, hour + 1, day + 1, FALSE, TRUE);
        }
    }
}

static void
on_table_button_toggled_cb (PickyReportView *self)
{
  gboolean table = gtk_toggle_button_get_active (self->table_button);

  gtk_widget_set_visible (GTK_WIDGET (self->daily_area), !table);
  gtk_widget_set_visible (GTK_WIDGET (self->heat_area), !table);
  gtk_widget_set_visible (GTK_WIDGET (self->daily_table), table);
  gtk_widget_set_visible (self->heat_table_scroller, table);
  fill_tables (self);
}

static void
clear_rows (PickyReportView *self)
{
  for (guint i = 0; i + 1 < self->rows->len; i += 2)
    adw_preferences_group_remove (self->rows->pdata[i + 1], self->rows->pdata[i]);
  g_ptr_array_set_size (self->rows, 0);
}

static GtkWidget *
add_row (PickyReportView     *self,
         AdwPreferencesGroup *group,
         const char          *title,
         const char          *value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (value);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  /* Selectable for copying with the pointer, but the row is the one Tab
   * stop and says the value with its title: a stop per value made a
   * report two dozen presses long. */
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_can_focus (label, FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, value, -1);
  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->rows, row);
  g_ptr_array_add (self->rows, group);

  return row;
}

/* Rows go into one group of the page; a top list's rows open their
 * contact's report. */
typedef struct {
  PickyReportView     *self;
  AdwPreferencesGroup *group;
  gboolean            is_top;
  PickyReportTop       top;
  guint                index;
} Rows;

static void
add_row_cb (const char *title,
            const char *value,
            gpointer    user_data)
{
  Rows *rows = user_data;
  GtkWidget *row = add_row (rows->self, rows->group, title, value);

  if (rows->is_top)
    {
      const PickyContactSummary *summary = picky_report_get_top (rows->self->report, rows->top, rows->index++);

      /* The target first: an action that takes one must never see none. */
      gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "x", summary->contact_id);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "contacts.show-contact");
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
    }
}

static void
fill (PickyReportView *self)
{
  g_autofree char *title = picky_report_dup_title (self->report);
  g_autofree char *range = picky_report_dup_range_text (self->report);
  gboolean overall = picky_report_get_contact_id (self->report) == 0;
  Rows summary = { self, self->summary_group };
  Rows volume = { self, self->top_volume_group, TRUE, PICKY_REPORT_TOP_VOLUME, 0 };
  Rows slowest = { self, self->top_slowest_group, TRUE, PICKY_REPORT_TOP_SLOWEST, 0 };
  g_autofree char *daily = picky_report_describe_daily (self->report);
  g_autofree char *heat = picky_report_describe_heatmap (self->report);

  gtk_label_set_text (self->title_label, title);
  gtk_label_set_text (self->range_label, range);
  /* The flow box's own child, so that no empty slot is left. */
  gtk_widget_set_visible (gtk_widget_get_parent (self->conversation_button), !overall);
  gtk_widget_set_visible (self->privacy_box, !overall);

  clear_rows (self);
  picky_report_foreach_summary_row (self->report, add_row_cb, &summary);
  gtk_widget_set_visible (GTK_WIDGET (self->top_volume_group), overall);
  picky_report_foreach_top_row (self->report, PICKY_REPORT_TOP_VOLUME, add_row_cb, &volume);
  gtk_widget_set_visible (GTK_WIDGET (self->top_slowest_group), overall);
  picky_report_foreach_top_row (self->report, PICKY_REPORT_TOP_SLOWEST, add_row_cb, &slowest);

  /* The charts in words for screen readers, and as tables if chosen. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->daily_area), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, daily, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->heat_area), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, heat, -1);
  fill_tables (self);

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

/* The news of a finished export, with the file a click away. */
static void
show_exported (PickyReportView *self)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_WINDOW);
  AdwToast *toast;
  GtkWidget *title;
  GtkWidget *label;
  GtkWidget *folder;

  if (!PICKY_IS_WINDOW (window))
    return;

  /* AdwToast has room for one button: Show in Folder goes with the title. */
  title = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  label = gtk_label_new (_("Report exported"));
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  folder = gtk_button_new_with_mnemonic (_("Show in _Folder"));
  gtk_widget_add_css_class (folder, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (folder), "report.show-in-folder");
  gtk_box_append (GTK_BOX (title), label);
  gtk_box_append (GTK_BOX (title), folder);

  toast = adw_toast_new (_("Report exported"));
  adw_toast_set_custom_title (toast, title);
  adw_toast_set_button_label (toast, _("_Open"));
  adw_toast_set_action_name (toast, "report.open-export");
  picky_window_add_toast (PICKY_WINDOW (window), toast);
}

static void
on_opened_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(PickyReportView) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (G_IS_DBUS_CONNECTION (object))
    {
      g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);

      ok = reply != NULL;
      /* No file manager answers the standard interface: open the folder. */
      if (!ok && self->exported != NULL)
        {
          g_autofree char *dir = g_path_get_dirname (self->exported);
          g_autoptr(GFile) file = g_file_new_for_path (dir);
          g_autofree char *uri = g_file_get_uri (file);

          g_clear_error (&error);
          g_app_info_launch_default_for_uri_async (uri, NULL, NULL, on_opened_cb, g_object_ref (self));
          return;
        }
    }
  else
    ok = g_app_info_launch_default_for_uri_finish (result, &error);

  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_message (self, _("The Export Could Not Be Opened"), error->message);
}

static void
picky_report_view_open_export (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  PickyReportView *self = PICKY_REPORT_VIEW (widget);
  g_autoptr(GFile) file = NULL;
  g_autofree char *uri = NULL;

  if (self->exported == NULL)
    return;

  file = g_file_new_for_path (self->exported);
  uri = g_file_get_uri (file);
  g_app_info_launch_default_for_uri_async (uri, NULL, NULL, on_opened_cb, g_object_ref (self));
}

/* Asks the file manager to show the file selected in its folder, through
 * the interface every desktop's file manager offers. */
static void
picky_report_view_show_in_folder (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  PickyReportView *self = PICKY_REPORT_VIEW (widget);
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *uri = NULL;
  const char *uris[2] = { NULL, NULL };

  if (self->exported == NULL)
    return;

  file = g_file_new_for_path (self->exported);
  uri = g_file_get_uri (file);
  uris[0] = uri;
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (bus == NULL)
    return;
  g_dbus_connection_call (bus, "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                          "org.freedesktop.FileManager1", "ShowItems",
                          g_variant_new ("(^ass)", uris, ""), NULL, G_DBUS_CALL_FLAGS_NONE, 5000,
                          NULL, on_opened_cb, g_object_ref (self));
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
    show_exported (self);

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
  g_autofree char *name = NULL;
  GtkFileChooserNative *dialog;

  if (self->report == NULL)
    return;

  name = picky_report_dup_export_name (self->report, g_str_equal (format, "pdf") ? "pdf" : "csv");

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

/* What the privacy dialogs call the contact: their name, else their number. */
static const char *
get_contact_label (PickyReportView *self)
{
  const char *name = picky_report_get_name (self->report);
  const char *phone = picky_report_get_phone (self->report);

  if (name != NULL && name[0] != '\0')
    return name;
  if (phone != NULL && phone[0] != '\0')
    return phone;
  return _("Unnamed contact");
}

static gboolean
has_contact (PickyReportView *self)
{
  return self->report != NULL && self->store != NULL && picky_report_get_contact_id (self->report) > 0;
}

typedef struct {
  PickyReportView *self;
  gint64           contact_id;
  char            *label;
} EraseContactData;

static void
erase_contact_data_free (EraseContactData *data)
{
  g_object_unref (data->self);
  g_free (data->label);
  g_free (data);
}

static void
on_contact_erased_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  EraseContactData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!picky_store_erase_contact_finish (PICKY_STORE (object), result, &error))
    {
      /* Rolled back: nothing of the contact went. */
      show_message (data->self, _("The Contact Could Not Be Erased"), error->message);
    }
  else
    {
      /* Translators: a toast after erasing, e.g. "Ana Müller was erased" */
      g_autofree char *text = g_strdup_printf (_("%s was erased"), data->label);

      show_message (data->self, text, NULL);
      g_signal_emit (data->self, signals[SIGNAL_CONTACT_ERASED], 0, data->contact_id);
    }

  erase_contact_data_free (data);
}

static void
on_erase_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      PickyReportView  *self)
{
  EraseContactData *data;

  if (!g_str_equal (response, "erase") || !has_contact (self))
    return;

  /* Not cancellable: an erasure once confirmed runs to its end even if the
   * view goes away, and is one transaction in the store either way. */
  data = g_new0 (EraseContactData, 1);
  data->self = g_object_ref (self);
  data->contact_id = picky_report_get_contact_id (self->report);
  data->label = g_strdup (get_contact_label (self));
  picky_store_erase_contact_async (self->store, data->contact_id, NULL, on_contact_erased_cb, data);
}

static void
picky_report_view_erase_contact (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  PickyReportView *self = PICKY_REPORT_VIEW (widget);
  GtkWidget *window = gtk_widget_get_ancestor (widget, GTK_TYPE_WINDOW);
  PickyEraseDialog *dialog;

  if (!has_contact (self))
    return;

  dialog = picky_erase_dialog_new (GTK_WINDOW (window), self->store, picky_report_get_contact_id (self->report),
                                   get_contact_label (self));
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_erase_response_cb), self, 0);
}

static void
on_contact_exported_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(PickyReportView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!picky_store_export_contact_finish (PICKY_STORE (object), result, &error))
    show_message (self, _("The Contact Data Could Not Be Exported"), error->message);
  else
    show_message (self, _("Contact data exported"), NULL);
}

/**
 * picky_report_view_export_contact:
 * @path: the JSON file to write
 *
 * Writes everything the console holds about the contact shown: what Export
 * Contact Data does once a file is chosen.
 */
void
picky_report_view_export_contact (PickyReportView *self,
                                  const char      *path)
{
  g_return_if_fail (PICKY_IS_REPORT_VIEW (self));
  g_return_if_fail (has_contact (self));
  g_return_if_fail (path != NULL);

  picky_store_export_contact_async (self->store, picky_report_get_contact_id (self->report), path, NULL,
                                    on_contact_exported_cb, g_object_ref (self));
}

static void
on_export_contact_response_cb (GtkNativeDialog *dialog,
                               int              response,
                               gpointer         user_data)
{
  PickyReportView *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && has_contact (self))
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        picky_report_view_export_contact (self, path);
    }

  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
picky_report_view_export_contact_action (GtkWidget  *widget,
                                         const char *action_name,
                                         GVariant   *parameter)
{
  PickyReportView *self = PICKY_REPORT_VIEW (widget);
  GtkWidget *window = gtk_widget_get_ancestor (widget, GTK_TYPE_WINDOW);
  g_autofree char *name = NULL;
  GtkFileChooserNative *dialog;

  if (!has_contact (self))
    return;

  /* Translators: the file name offered for a contact's data; keep it short */
  name = g_strdup_printf (_("contact-%s.json"), get_contact_label (self));
  g_strdelimit (name, "/\\:", '-');

  dialog = gtk_file_chooser_native_new (_("Export Contact Data"), GTK_WINDOW (window),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_export_contact_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
picky_report_view_disclose (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  PickyReportView *self = PICKY_REPORT_VIEW (widget);
  GtkWidget *window = gtk_widget_get_ancestor (widget, GTK_TYPE_WINDOW);
  PickyDisclosureDialog *dialog;
  GDate first, last;

  if (!has_contact (self))
    return;

  /* The report's days are offered as the period, to be narrowed to the demand's. */
  picky_report_get_dates (self->report, &first, &last);
  dialog = picky_disclosure_dialog_new (GTK_WINDOW (window), self->store, picky_report_get_contact_id (self->report),
                                        get_contact_label (self), picky_report_get_timezone (self->report),
                                        &first, &last);
  gtk_window_present (GTK_WINDOW (dialog));
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
  g_clear_pointer (&self->exported, g_free);

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
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, scroller);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, title_label);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, range_label);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, conversation_button);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, privacy_box);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, summary_group);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, daily_area);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, heat_area);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, table_button);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, daily_table);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, heat_table_scroller);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, heat_table);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, top_volume_group);
  gtk_widget_class_bind_template_child (widget_class, PickyReportView, top_slowest_group);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_daily_area_query_tooltip_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_heat_area_query_tooltip_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_table_button_toggled_cb);

  gtk_widget_class_install_action (widget_class, "report.export", "s", picky_report_view_export_action);
  gtk_widget_class_install_action (widget_class, "report.print", NULL, picky_report_view_print_action);
  gtk_widget_class_install_action (widget_class, "report.open-export", NULL, picky_report_view_open_export);
  gtk_widget_class_install_action (widget_class, "report.show-in-folder", NULL, picky_report_view_show_in_folder);
  gtk_widget_class_install_action (widget_class, "report.show-conversation", NULL,
                                   picky_report_view_show_conversation);
  gtk_widget_class_install_action (widget_class, "report.erase-contact", NULL, picky_report_view_erase_contact);
  gtk_widget_class_install_action (widget_class, "report.export-contact", NULL,
                                   picky_report_view_export_contact_action);
  gtk_widget_class_install_action (widget_class, "report.disclose", NULL, picky_report_view_disclose);

  /**
   * PickyReportView::contact-erased:
   * @contact_id: the contact that is gone
   *
   * The contact shown was erased; the report no longer has anything to show.
   */
  signals[SIGNAL_CONTACT_ERASED] =
    g_signal_new ("contact-erased", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT64);
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
  /* Each report starts at its top, not where the last one was left. */
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);
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
  g_free (self->exported);
  self->exported = g_strdup (path);
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
