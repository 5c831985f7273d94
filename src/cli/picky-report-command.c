/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The --export-report command: a report written as CSV or PDF without a window, for scheduled runs. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-command.h"
#include "picky-report-command.h"
#include "picky-report-export.h"

/* One export: what it needs besides the service. */
typedef struct {
  PickyCommand       command;
  PickyReport       *report;
  PickyReportFormat  format;
  const char        *output;
} Run;

static void
on_exported_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  picky_report_export_finish (PICKY_REPORT (object), result, &error);
  picky_command_finish (&run->command, error);
}

static void
on_report_loaded_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  if (!picky_report_load_finish (run->report, result, &error))
    {
      picky_command_fail (&run->command, error->message);
      return;
    }

  /* A report of a contact learns its app from the store: none means no such contact. */
  if (picky_report_get_contact_id (run->report) != 0 && picky_report_get_app (run->report) == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("No contact with the number %lld exists"),
                                                  (long long) picky_report_get_contact_id (run->report));

      picky_command_fail (&run->command, message);
      return;
    }

  picky_report_export_async (run->report, picky_service_get_store (run->command.service), run->format,
                             run->output, NULL, NULL, NULL, NULL, on_exported_cb, run);
}

static void
load_report (PickyCommand *command)
{
  Run *run = (Run *) command;

  picky_report_load_async (run->report, picky_service_get_store (command->service), NULL,
                           on_report_loaded_cb, run);
}

/* Checks the options and turns them into a report to load; every mistake
 * is reported before the keyring or the database are touched. */
static PickyReport *
report_from_options (GVariantDict       *options,
                     PickyReportFormat  *format,
                     char              **output,
                     GError            **error)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  g_autoptr(GDateTime) now = g_date_time_new_now (tz);
  const char *range = NULL, *from = NULL, *to = NULL, *kind = "csv", *rows = "summary";
  const char *path = NULL;
  gint64 contact = 0;
  GDate first, last;

  g_variant_dict_lookup (options, "range", "&s", &range);
  g_variant_dict_lookup (options, "from", "&s", &from);
  g_variant_dict_lookup (options, "to", "&s", &to);
  g_variant_dict_lookup (options, "format", "&s", &kind);
  g_variant_dict_lookup (options, "rows", "&s", &rows);
  g_variant_dict_lookup (options, "output", "^&ay", &path);
  g_variant_dict_lookup (options, "contact", "x", &contact);

  if (path == NULL || *path == '\0')
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--export-report needs --output FILE"));
      return NULL;
    }

  if (g_str_equal (kind, "pdf"))
    *format = PICKY_REPORT_FORMAT_PDF;
  else if (g_str_equal (kind, "csv") && g_str_equal (rows, "summary"))
    *format = PICKY_REPORT_FORMAT_CSV_SUMMARY;
  else if (g_str_equal (kind, "csv") && g_str_equal (rows, "messages"))
    *format = PICKY_REPORT_FORMAT_CSV_MESSAGES;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("Unknown format “%s” or rows “%s”: use --format csv or pdf, and --rows summary or messages"),
                   kind, rows);
      return NULL;
    }

  if (contact < 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--contact needs the number of a contact, or leave it out for all contacts"));
      return NULL;
    }

  if (range != NULL && (from != NULL || to != NULL))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("Give either --range or --from and --to, not both"));
      return NULL;
    }
  if (range != NULL)
    {
      if (!picky_report_resolve_range (range, now, &first, &last, error))
        return NULL;
    }
  else if (from != NULL && to != NULL)
    {
      if (!picky_report_parse_date (from, &first, error) || !picky_report_parse_date (to, &last, error))
        return NULL;
      if (g_date_compare (&first, &last) > 0)
        {
          g_set_error (error, PICKY_REPORT_ERROR, PICKY_REPORT_ERROR_BAD_RANGE,
                       _("The range ends (%s) before it starts (%s)"), to, from);
          return NULL;
        }
    }
  else
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--export-report needs --range NAME, or --from and --to dates (YYYY-MM-DD)"));
      return NULL;
    }

  *output = g_strdup (path);
  return picky_report_new (contact, tz, &first, &last);
}

/**
 * picky_report_command_add_options:
 * @application: the console's application
 *
 * Declares the options of --export-report.
 */
void
picky_report_command_add_options (GApplication *application)
{
  static const GOptionEntry entries[] = {
    { "export-report", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Write a report to a file without opening a window"), NULL },
    { "contact", 0, 0, G_OPTION_ARG_INT64, NULL,
      N_("The contact to report on; all contacts when left out"), N_("ID") },
    { "range", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("The days to report: 7d, 30d, 90d, this-month or last-month"), N_("NAME") },
    { "from", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("The first day to report"), N_("YYYY-MM-DD") },
    { "to", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("The last day to report"), N_("YYYY-MM-DD") },
    { "format", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("csv or pdf"), N_("FORMAT") },
    { "rows", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("For CSV: summary (a row per contact) or messages (a row per message)"), N_("ROWS") },
    { "output", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_("The file to write"), N_("FILE") },
    { NULL }
  };

  g_return_if_fail (G_IS_APPLICATION (application));

  g_application_add_main_option_entries (application, entries);
}

/**
 * picky_report_command_run:
 * @options: the parsed command-line options
 *
 * Writes the report the options ask for, without a window and without
 * GTK, so that a weekly report can be scheduled.
 *
 * Returns: the exit status, or -1 when --export-report was not given
 */
int
picky_report_command_run (GVariantDict *options)
{
  g_autoptr(PickyReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  PickyReportFormat format = PICKY_REPORT_FORMAT_CSV_SUMMARY;
  Run run = { 0 };

  g_return_val_if_fail (options != NULL, 1);

  if (!g_variant_dict_contains (options, "export-report"))
    {
      const char *own[] = { "contact", "range", "from", "to", "format", "rows", "output" };

      for (guint i = 0; i < G_N_ELEMENTS (own); i++)
        if (g_variant_dict_contains (options, own[i]))
          {
            picky_command_print_error (_("--contact, --range, --from, --to, --format, --rows and --output belong to --export-report"));
            return 1;
          }
      return -1;
    }

  report = report_from_options (options, &format, &output, &error);
  if (report == NULL)
    {
      picky_command_print_error (error->message);
      return 2;
    }

  run.report = report;
  run.format = format;
  run.output = output;

  return picky_command_run (&run.command, load_report);
}
