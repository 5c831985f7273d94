/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Exports of a report: CSV of contacts or of messages, and PDF, written whole or not at all. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cairo-pdf.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "picky-main-context.h"
#include "picky-report-draw.h"
#include "picky-report-export.h"

/* Messages asked from the store at a time: large enough that paging costs
 * little next to writing, small enough to keep memory flat. */
#define PAGE_SIZE 5000

/* A4 in points. */
#define PAGE_WIDTH 595.276
#define PAGE_HEIGHT 841.89

typedef struct {
  PickyReport         *report;
  PickyStore          *store;
  PickyReportFormat    format;
  char                *path;
  GMainContext        *caller;
  PickyReportProgress  progress;
  gpointer             progress_data;
  GDestroyNotify       progress_destroy;
  double               last_fraction;
} ExportData;

typedef struct {
  GTask  *task;
  double  fraction;
} ProgressCall;

typedef struct {
  GDestroyNotify destroy;
  gpointer       data;
} DestroyCall;

static gboolean
destroy_call_cb (gpointer user_data)
{
  DestroyCall *call = user_data;

  call->destroy (call->data);
  return G_SOURCE_REMOVE;
}

static void
export_data_free (gpointer data)
{
  ExportData *export = data;

  /* The task may end on the export's thread; what the caller handed in,
   * perhaps a widget, is let go of on the caller's own context. */
  if (export->progress_destroy != NULL)
    {
      DestroyCall *call = g_new0 (DestroyCall, 1);

      call->destroy = export->progress_destroy;
      call->data = export->progress_data;
      picky_main_context_dispatch (export->caller, destroy_call_cb, call, g_free);
    }
  g_clear_object (&export->report);
  g_clear_object (&export->store);
  g_clear_pointer (&export->caller, g_main_context_unref);
  g_free (export->path);
  g_free (export);
}

static gboolean
progress_call_cb (gpointer data)
{
  ProgressCall *call = data;
  ExportData *export = g_task_get_task_data (call->task);

  export->progress (call->fraction, export->progress_data);
  return G_SOURCE_REMOVE;
}

static void
progress_call_free (gpointer data)
{
  ProgressCall *call = data;

  g_object_unref (call->task);
  g_free (call);
}

/* From the export's thread: tells the caller, at most once per percent. */
static void
report_progress (GTask  *task,
                 double  fraction)
{
  ExportData *export = g_task_get_task_data (task);
  ProgressCall *call;

  fraction = CLAMP (fraction, 0.0, 1.0);
  if (export->progress == NULL || (fraction - export->last_fraction < 0.01 && fraction < 1.0))
    return;
  export->last_fraction = fraction;

  call = g_new0 (ProgressCall, 1);
  call->task = g_object_ref (task);
  call->fraction = fraction;
  picky_main_context_dispatch (export->caller, progress_call_cb, call, progress_call_free);
}

/**
 * picky_report_csv_append:
 * @line: a CSV line being built
 * @field: (nullable): the next field; %NULL is an empty one
 *
 * Appends a field as RFC 4180 has it: quoted, with quotes doubled, when it
 * holds a comma, a quote or a line break.
 */
void
picky_report_csv_append (GString    *line,
                         const char *field)
{
  g_return_if_fail (line != NULL);

  if (line->len > 0 && line->str[line->len - 1] != '\n')
    g_string_append_c (line, ',');
  if (field == NULL)
    return;

  if (strpbrk (field, ",\"\r\n") == NULL)
    {
      g_string_append (line, field);
      return;
    }

  g_string_append_c (line, '"');
  for (const char *p = field; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (line, '"');
      g_string_append_c (line, *p);
    }
  g_string_append_c (line, '"');
}

/* Longest a contact's name may be in a file name, in characters: with the
 * rest, well within the 255 bytes file systems allow. */
#define EXPORT_NAME_MAX_WHO 64

/**
 * picky_report_dup_export_name:
 * @extension: "csv" or "pdf", without the dot
 *
 * The name offered for an export of @report, in the console's language:
 * the application, whom the report is about and its days, as
 * "Picky Console – All contacts – 2026-11-05 to 2026-12-04.csv". A
 * contact's name loses what file systems refuse (slashes, colons, quotes,
 * control characters…) and is shortened when very long.
 *
 * Returns: (transfer full): a file name without a folder
 */
char *
picky_report_dup_export_name (PickyReport *report,
                              const char  *extension)
{
  g_autofree char *title = NULL;
  g_autofree char *who = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GString) clean = NULL;
  char first[16], last[16];
  GDate first_day, last_day;

  g_return_val_if_fail (PICKY_IS_REPORT (report), NULL);
  g_return_val_if_fail (extension != NULL, NULL);

  if (picky_report_get_contact_id (report) == 0)
    who = g_strdup (_("All contacts"));
  else
    {
      title = picky_report_dup_title (report);
      who = g_utf8_make_valid (title, -1);
    }
  if (g_utf8_strlen (who, -1) > EXPORT_NAME_MAX_WHO)
    {
      char *end = g_utf8_offset_to_pointer (who, EXPORT_NAME_MAX_WHO);

      *end = '\0';
    }

  picky_report_get_dates (report, &first_day, &last_day);
  g_date_strftime (first, sizeof first, "%Y-%m-%d", &first_day);
  g_date_strftime (last, sizeof last, "%Y-%m-%d", &last_day);
  /* Translators: the file name offered for an exported report: the
   * application, whom it is about, its first and last day */
  name = g_strdup_printf (_("Picky Console – %s – %s to %s"), who, first, last);

  /* What Windows, macOS or Linux refuse, or file managers show badly. */
  clean = g_string_new (NULL);
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || c == 0x7f || (c < 0x80 && strchr ("/\\:*?\"<>|", (int) c) != NULL))
        g_string_append_c (clean, c == '/' || c == '\\' || c == ':' || c == '|' ? '-' : '_');
      else
        g_string_append_unichar (clean, c);
    }
  /* No hidden file, and no trailing dot or space, which Windows drops. */
  while (clean->len > 0 && (clean->str[0] == '.' || clean->str[0] == ' '))
    g_string_erase (clean, 0, 1);
  while (clean->len > 0 && (clean->str[clean->len - 1] == '.' || clean->str[clean->len - 1] == ' '))
    g_string_truncate (clean, clean->len - 1);

  g_string_append_printf (clean, ".%s", extension);
  return g_string_free (g_steal_pointer (&clean), FALSE);
}

static void
csv_end_line (GString *line)
{
  g_string_append (line, "\r\n");
}

static void
csv_append_int (GString *line,
                gint64   value)
{
  char text[32];

  g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, value);
  picky_report_csv_append (line, text);
}

static void
csv_append_time (GString     *line,
                 PickyReport *report,
                 gint64       timestamp)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *text = NULL;

  if (timestamp == 0)
    {
      picky_report_csv_append (line, NULL);
      return;
    }

  utc = g_date_time_new_from_unix_utc (timestamp);
  local = g_date_time_to_timezone (utc, picky_report_get_timezone (report));
  text = g_date_time_format (local, "%Y-%m-%dT%H:%M:%S%:z");
  picky_report_csv_append (line, text);
}

static void
csv_append_seconds (GString *line,
                    gint64   seconds)
{
  if (seconds < 0)
    picky_report_csv_append (line, NULL);
  else
    csv_append_int (line, seconds);
}

static gboolean
write_line (FILE     *out,
            GString  *line,
            GError  **error)
{
  if (fwrite (line->str, 1, line->len, out) != line->len)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("The export could not be written: %s"), g_strerror (saved));
      return FALSE;
    }

  g_string_truncate (line, 0);
  return TRUE;
}

static void
append_summary (GString                   *line,
                PickyReport               *report,
                const PickyContactSummary *summary)
{
  csv_append_int (line, summary->contact_id);
  picky_report_csv_append (line, summary->app);
  picky_report_csv_append (line, summary->name);
  picky_report_csv_append (line, summary->phone);
  csv_append_int (line, summary->n_in);
  csv_append_int (line, summary->n_out);
  csv_append_time (line, report, summary->first_timestamp);
  csv_append_time (line, report, summary->last_timestamp);
  csv_append_seconds (line, summary->response_median);
  csv_append_seconds (line, summary->response_p90);
  csv_append_seconds (line, summary->reply_median);
  csv_append_seconds (line, summary->reply_p90);
  csv_append_int (line, summary->awaiting);
  csv_append_seconds (line, summary->oldest_wait);
  picky_report_csv_append (line, picky_report_get_working_hours (report) ? "true" : "false");
  csv_end_line (line);
}

static gboolean
write_summary_csv (GTask         *task,
                   FILE          *out,
                   GCancellable  *cancellable,
                   GError       **error)
{
  ExportData *export = g_task_get_task_data (task);
  PickyReport *report = export->report;
  GArray *summaries = picky_report_get_summaries (report);
  g_autoptr(GString) line = g_string_new (NULL);

  /* Column names stay English: scripts read them. Times are working
   * seconds when business_hours_only says so. */
  g_string_append (line, "contact_id,app,name,phone,messages_in,messages_out,first_message,"
                         "last_message,median_first_response_s,p90_first_response_s,"
                         "median_reply_s,p90_reply_s,awaiting_reply,oldest_wait_s,"
                         "business_hours_only\r\n");

  if (summaries == NULL)
    {
      PickyContactSummary one = {
        .contact_id = picky_report_get_contact_id (report),
        .app = picky_report_get_app (report),
        .name = (char *) picky_report_get_name (report),
        .phone = (char *) picky_report_get_phone (report),
        .n_in = picky_report_get_total_in (report),
        .n_out = picky_report_get_total_out (report),
        .first_timestamp = picky_report_get_first_timestamp (report),
        .last_timestamp = picky_report_get_last_timestamp (report),
        .response_median = picky_report_get_response_median (report),
        .response_p90 = picky_report_get_response_p90 (report),
        .reply_median = picky_report_get_reply_median (report),
        .reply_p90 = picky_report_get_reply_p90 (report),
        .awaiting = picky_report_get_awaiting (report),
        .oldest_wait = picky_report_get_oldest_wait (report),
      };

      append_summary (line, report, &one);
      return write_line (out, line, error);
    }

  for (guint i = 0; i < summaries->len; i++)
    {
      const PickyContactSummary *summary = &g_array_index (summaries, PickyContactSummary, i);

      /* A contact still waiting from before the range is listed too. */
      if (summary->n_in + summary->n_out == 0 && summary->awaiting == 0)
        continue;
      append_summary (line, report, summary);
      if (line->len > 65536 && !write_line (out, line, error))
        return FALSE;
      if (i % 1024 == 0)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
          report_progress (task, (double) i / summaries->len);
        }
    }

  return write_line (out, line, error);
}

static void
got_page_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/* Pages through the messages of the range, newest first, on a main context
 * of this thread: the store answers where it was asked. */
static gboolean
write_messages_csv (GTask         *task,
                    FILE          *out,
                    GCancellable  *cancellable,
                    GError       **error)
{
  ExportData *export = g_task_get_task_data (task);
  PickyReport *report = export->report;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GString) line = g_string_new (NULL);
  PickyPageQuery query = {
    .before_timestamp = picky_report_get_to (report),
    .before_id = 0,
    .contact_id = picky_report_get_contact_id (report),
    .direction = -1,
    .limit = PAGE_SIZE,
  };
  gint64 from = picky_report_get_from (report);
  double expected = MAX (1.0, (double) picky_report_get_total_in (report) + picky_report_get_total_out (report));
  guint64 written = 0;
  gboolean ok = TRUE;
  gboolean more = TRUE;

  g_string_append (line, "message_id,time,contact_id,contact_name,app,direction,kind,status,text\r\n");

  g_main_context_push_thread_default (context);
  while (ok && more)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GPtrArray) page = NULL;

      picky_store_list_messages_async (export->store, &query, cancellable, got_page_cb, &result);
      while (result == NULL)
        g_main_context_iteration (context, TRUE);
      page = picky_store_list_messages_finish (export->store, result, error);
      if (page == NULL)
        {
          ok = FALSE;
          break;
        }

      more = page->len == PAGE_SIZE;
      for (guint i = 0; i < page->len; i++)
        {
          PickyMessage *message = g_ptr_array_index (page, i);
          PickyMessageStatus status = picky_message_get_status (message);

          if (picky_message_get_timestamp (message) < from)
            {
              more = FALSE;
              break;
            }

          csv_append_int (line, picky_message_get_id (message));
          csv_append_time (line, report, picky_message_get_timestamp (message));
          csv_append_int (line, picky_message_get_contact_id (message));
          picky_report_csv_append (line, picky_message_get_contact_name (message));
          picky_report_csv_append (line, picky_message_get_app (message));
          picky_report_csv_append (line, picky_message_get_direction (message) == PICKY_DIRECTION_IN ? "in" : "out");
          picky_report_csv_append (line, picky_message_kind_to_string (picky_message_get_kind (message)));
          picky_report_csv_append (line, status != PICKY_MESSAGE_STATUS_NONE
                                         ? picky_message_status_to_string (status) : NULL);
          picky_report_csv_append (line, picky_message_get_text (message));
          csv_end_line (line);
          written++;

          query.before_timestamp = picky_message_get_timestamp (message);
          query.before_id = picky_message_get_id (message);
        }

      ok = write_line (out, line, error) && !g_cancellable_set_error_if_cancelled (cancellable, error);
      report_progress (task, written / expected);
    }
  g_main_context_pop_thread_default (context);

  return ok && write_line (out, line, error);
}

static cairo_status_t
write_pdf_cb (void                *closure,
              const unsigned char *data,
              unsigned int         length)
{
  return fwrite (data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static gboolean
write_pdf (GTask         *task,
           FILE          *out,
           GCancellable  *cancellable,
           GError       **error)
{
  ExportData *export = g_task_get_task_data (task);
  guint n_pages = picky_report_get_n_pages (export->report);
  g_autofree char *title = picky_report_dup_title (export->report);
  PickyReportStyle style;
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;

  picky_report_style_init_paper (&style);
  surface = cairo_pdf_surface_create_for_stream (write_pdf_cb, out, PAGE_WIDTH, PAGE_HEIGHT);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Picky Console");
  cr = cairo_create (surface);

  for (guint page = 0; page < n_pages; page++)
    {
      if (g_cancellable_is_cancelled (cancellable))
        break;
      picky_report_draw_page (export->report, cr, page, PAGE_WIDTH, PAGE_HEIGHT, &style);
      cairo_show_page (cr);
      report_progress (task, (page + 1.0) / n_pages);
    }

  cairo_destroy (cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("The PDF could not be written: %s"), cairo_status_to_string (status));
      return FALSE;
    }

  return TRUE;
}

/* The export is written to a hidden file next to the target and renamed
 * over it only once complete and on disk: a cancelled or failed export
 * leaves nothing behind, and an earlier file of the same name intact. */
static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportData *export = task_data;
  g_autofree char *dir = g_path_get_dirname (export->path);
  g_autofree char *base = g_path_get_basename (export->path);
  g_autofree char *hidden = g_strconcat (".", base, ".XXXXXX", NULL);
  g_autofree char *temp = g_build_filename (dir, hidden, NULL);
  g_autoptr(GError) error = NULL;
  FILE *out = NULL;
  gboolean ok;
  int fd;

  fd = g_mkstemp_full (temp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                               _("The export could not be created in “%s”: %s"), dir, g_strerror (saved));
      return;
    }
  out = fdopen (fd, "w");
  if (out == NULL)
    {
      close (fd);
      g_unlink (temp);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", g_strerror (errno));
      return;
    }
  setvbuf (out, NULL, _IOFBF, 1 << 16);

  switch (export->format)
    {
    case PICKY_REPORT_FORMAT_CSV_SUMMARY:
      ok = write_summary_csv (task, out, cancellable, &error);
      break;
    case PICKY_REPORT_FORMAT_CSV_MESSAGES:
      ok = write_messages_csv (task, out, cancellable, &error);
      break;
    case PICKY_REPORT_FORMAT_PDF:
    default:
      ok = write_pdf (task, out, cancellable, &error);
      break;
    }

  if (ok && (fflush (out) != 0 || fsync (fileno (out)) != 0))
    {
      int saved = errno;

      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("The export could not be written: %s"), g_strerror (saved));
      ok = FALSE;
    }
  if (fclose (out) != 0 && ok)
    {
      int saved = errno;

      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("The export could not be written: %s"), g_strerror (saved));
      ok = FALSE;
    }
  if (ok && g_cancellable_set_error_if_cancelled (cancellable, &error))
    ok = FALSE;
  if (ok && g_rename (temp, export->path) != 0)
    {
      int saved = errno;

      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("The export could not be saved as “%s”: %s"), export->path, g_strerror (saved));
      ok = FALSE;
    }

  if (!ok)
    {
      g_unlink (temp);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static const char *
format_name (PickyReportFormat format)
{
  switch (format)
    {
    case PICKY_REPORT_FORMAT_CSV_SUMMARY:
      return "summary-csv";
    case PICKY_REPORT_FORMAT_CSV_MESSAGES:
      return "messages-csv";
    case PICKY_REPORT_FORMAT_PDF:
    default:
      return "pdf";
    }
}

static void
on_export_audited_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!picky_store_audit_finish (PICKY_STORE (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* On the caller's context once the file has its name: the export is
 * recorded with its scope (whose report, which period, which format),
 * never what it holds, before the caller hears it is done. */
static void
on_export_written_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportData *export = g_task_get_task_data (G_TASK (result));
  gint64 contact_id = picky_report_get_contact_id (export->report);
  g_autofree char *object_text = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (export->store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  object_text = contact_id > 0 ? g_strdup_printf ("contact %" G_GINT64_FORMAT, contact_id)
                               : g_strdup ("all contacts");
  from = picky_store_audit_format_time (picky_report_get_from (export->report));
  to = picky_store_audit_format_time (picky_report_get_to (export->report));
  detail = g_strdup_printf ("format %s; from %s; until %s", format_name (export->format), from, to);
  picky_store_audit_async (export->store, "export-report", object_text, detail, NULL, on_export_audited_cb,
                           g_steal_pointer (&task));
}

/**
 * picky_report_export_async:
 * @report: a loaded report
 * @store: (nullable): where messages are read from (needed for
 *   %PICKY_REPORT_FORMAT_CSV_MESSAGES only) and the export is recorded
 *   in the audit trail; without one nothing is recorded
 * @path: the file to write; replaced only when the export succeeds
 * @progress: (nullable) (scope notified): told the share done, on the
 *   caller's main context
 *
 * Writes the report on a thread of its own, so a long export never holds
 * up the caller; cancelling it leaves no file.
 */
void
picky_report_export_async (PickyReport          *report,
                           PickyStore           *store,
                           PickyReportFormat     format,
                           const char           *path,
                           PickyReportProgress   progress,
                           gpointer              progress_data,
                           GDestroyNotify        progress_destroy,
                           GCancellable         *cancellable,
                           GAsyncReadyCallback   callback,
                           gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) written = NULL;
  ExportData *export;

  g_return_if_fail (PICKY_IS_REPORT (report));
  g_return_if_fail (store != NULL || format != PICKY_REPORT_FORMAT_CSV_MESSAGES);
  g_return_if_fail (store == NULL || PICKY_IS_STORE (store));
  g_return_if_fail (path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (report, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_report_export_async);
  written = g_task_new (report, cancellable, on_export_written_cb, g_steal_pointer (&task));

  export = g_new0 (ExportData, 1);
  export->report = g_object_ref (report);
  export->store = store != NULL ? g_object_ref (store) : NULL;
  export->format = format;
  export->path = g_strdup (path);
  export->caller = g_main_context_ref_thread_default ();
  export->progress = progress;
  export->progress_data = progress_data;
  export->progress_destroy = progress_destroy;
  export->last_fraction = -1.0;
  g_task_set_task_data (written, export, export_data_free);

  g_task_run_in_thread (written, export_thread);
}

gboolean
picky_report_export_finish (PickyReport   *report,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (PICKY_IS_REPORT (report), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, report), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
