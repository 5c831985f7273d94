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

/* The unit the dates under the daily chart step by. */
typedef enum {
  PICKY_REPORT_DATE_STEP_DAYS,     /* labels on days */
  PICKY_REPORT_DATE_STEP_WEEKS,    /* labels on Mondays */
  PICKY_REPORT_DATE_STEP_MONTHS,   /* labels on the first of a month */
} PickyReportDateStep;

void   picky_report_style_init_paper  (PickyReportStyle       *style);
void   picky_report_style_init_colors (PickyReportStyle       *style,
                                       gboolean                dark);

void   picky_report_choose_ticks      (guint                   most,
                                       guint                   max_ticks,
                                       guint                  *step,
                                       guint                  *top);
PickyReportDateStep picky_report_choose_date_step (guint        n_days,
                                       guint                   max_labels,
                                       guint                  *every);
gboolean picky_report_date_has_label  (const GDate            *date,
                                       PickyReportDateStep     unit,
                                       guint                   every);
char  *picky_report_format_axis_date  (const GDate            *date,
                                       PickyReportDateStep     unit);
char  *picky_report_format_day        (const GDate            *date);

int    picky_report_daily_day_at      (PickyReport            *report,
                                       double                  width,
                                       double                  height,
                                       const PickyReportStyle *style,
                                       double                  x,
                                       double                  y);
gboolean picky_report_heatmap_cell_at (PickyReport            *report,
                                       double                  width,
                                       double                  height,
                                       const PickyReportStyle *style,
                                       double                  x,
                                       double                  y,
                                       guint                  *weekday,
                                       guint                  *hour);
const char *picky_report_weekday_name (guint                   weekday);
char  *picky_report_describe_daily    (PickyReport            *report);
char  *picky_report_describe_heatmap  (PickyReport            *report);

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
