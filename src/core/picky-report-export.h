/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Exports of a report: CSV of contacts or of messages, and PDF, written whole or not at all. */

#pragma once

#include <gio/gio.h>

#include "picky-report.h"
#include "picky-store.h"

G_BEGIN_DECLS

typedef enum {
  PICKY_REPORT_FORMAT_CSV_SUMMARY,   /* one row per contact */
  PICKY_REPORT_FORMAT_CSV_MESSAGES,  /* one row per message of the contact, or of all */
  PICKY_REPORT_FORMAT_PDF,
} PickyReportFormat;

/* Called on the caller's main context as the export goes on. */
typedef void (*PickyReportProgress) (double   fraction,
                                     gpointer user_data);

void     picky_report_export_async  (PickyReport          *report,
                                     PickyStore           *store,
                                     PickyReportFormat     format,
                                     const char           *path,
                                     PickyReportProgress   progress,
                                     gpointer              progress_data,
                                     GDestroyNotify        progress_destroy,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data);
gboolean picky_report_export_finish (PickyReport          *report,
                                     GAsyncResult         *result,
                                     GError              **error);

void     picky_report_csv_append    (GString              *line,
                                     const char           *field);

char    *picky_report_dup_export_name (PickyReport        *report,
                                       const char         *extension);

G_END_DECLS
