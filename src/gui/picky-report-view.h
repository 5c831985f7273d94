/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A report on screen: its numbers, its charts, and export and print. */

#pragma once

#include <adwaita.h>

#include "picky-report.h"

G_BEGIN_DECLS

#define PICKY_TYPE_REPORT_VIEW (picky_report_view_get_type ())

G_DECLARE_FINAL_TYPE (PickyReportView, picky_report_view, PICKY, REPORT_VIEW, AdwBin)

void         picky_report_view_set_report (PickyReportView *self,
                                           PickyReport     *report,
                                           PickyStore      *store);
PickyReport *picky_report_view_get_report (PickyReportView *self);
void         picky_report_view_export     (PickyReportView *self,
                                           const char      *format,
                                           const char      *path);
gboolean     picky_report_view_print_to_file (PickyReportView *self,
                                              const char      *path,
                                              GError         **error);
gboolean     picky_report_view_get_busy   (PickyReportView *self);
void         picky_report_view_export_contact (PickyReportView *self,
                                               const char      *path);

G_END_DECLS
