/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Drawing a report with cairo and pango: its charts, and its pages for PDF and print. */

#pragma once

#include <cairo.h>

#include "picky-report.h"

G_BEGIN_DECLS

/* Colours as RGBA in 0…1; the GUI fills them from its style, paper uses
 * picky_report_style_init_paper(). */
typedef struct {
  double   foreground[4];   /* text and axes */
  double   incoming[4];     /* bars of messages in, and the heat */
  double   outgoing[4];     /* bars of messages out */
  double   grid[4];         /* lines behind the bars, empty heat cells */
  gboolean rtl;             /* days and hours run from right to left */
} PickyReportStyle;

void   picky_report_style_init_paper  (PickyReportStyle       *style);

void   picky_report_draw_daily        (PickyReport            *report,
                                       cairo_t                *cr,
                                       double                  width,
                                       double                  height,
                                       const PickyReportStyle *style);
void   picky_report_draw_heatmap      (PickyReport            *report,
                                       cairo_t                *cr,
                                       double                  width,
                                       double                  height,
                                       const PickyReportStyle *style);

guint  picky_report_get_n_pages       (PickyReport            *report);
void   picky_report_draw_page         (PickyReport            *report,
                                       cairo_t                *cr,
                                       guint                   page,
                                       double                  width,
                                       double                  height,
                                       const PickyReportStyle *style);


G_END_DECLS
