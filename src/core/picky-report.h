/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A report over a range of days in the admin's time zone, for one contact or for all. */

#pragma once

#include <gio/gio.h>

#include "picky-store.h"

G_BEGIN_DECLS

#define PICKY_REPORT_ERROR (picky_report_error_quark ())

typedef enum {
  PICKY_REPORT_ERROR_BAD_DATE,     /* not a date of the form YYYY-MM-DD */
  PICKY_REPORT_ERROR_BAD_RANGE,    /* an unknown range name, or the end before the start */
} PickyReportError;

/* The lists of the overall report. */
typedef enum {
  PICKY_REPORT_TOP_VOLUME,         /* most messages in and out first */
  PICKY_REPORT_TOP_SLOWEST,        /* slowest median first response first */
} PickyReportTop;

/* How many contacts each top list holds at most. */
#define PICKY_REPORT_TOP_SIZE 10

#define PICKY_TYPE_REPORT (picky_report_get_type ())

G_DECLARE_FINAL_TYPE (PickyReport, picky_report, PICKY, REPORT, GObject)

GQuark       picky_report_error_quark        (void);

gboolean     picky_report_parse_date         (const char          *text,
                                              GDate               *date,
                                              GError             **error);
gboolean     picky_report_resolve_range      (const char          *name,
                                              GDateTime           *now,
                                              GDate               *first,
                                              GDate               *last,
                                              GError             **error);
gint64       picky_report_local_midnight     (GTimeZone           *tz,
                                              const GDate         *date);
char        *picky_report_format_duration    (gint64               seconds);

PickyReport *picky_report_new                (gint64               contact_id,
                                              GTimeZone           *tz,
                                              const GDate         *first,
                                              const GDate         *last);
void         picky_report_set_contact        (PickyReport         *self,
                                              const char          *app,
                                              const char          *name,
                                              const char          *phone);
void         picky_report_fill               (PickyReport         *self,
                                              const PickyReportHours *hours,
                                              GArray              *summaries);
void         picky_report_load_async         (PickyReport         *self,
                                              PickyStore          *store,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean     picky_report_load_finish        (PickyReport         *self,
                                              GAsyncResult        *result,
                                              GError             **error);

gint64       picky_report_get_contact_id     (PickyReport         *self);
const char  *picky_report_get_app            (PickyReport         *self);
const char  *picky_report_get_name           (PickyReport         *self);
const char  *picky_report_get_phone          (PickyReport         *self);
char        *picky_report_dup_title          (PickyReport         *self);
char        *picky_report_dup_range_text     (PickyReport         *self);
GTimeZone   *picky_report_get_timezone       (PickyReport         *self);
void         picky_report_get_dates          (PickyReport         *self,
                                              GDate               *first,
                                              GDate               *last);
gint64       picky_report_get_from           (PickyReport         *self);
gint64       picky_report_get_to             (PickyReport         *self);

guint        picky_report_get_n_days         (PickyReport         *self);
void         picky_report_get_day            (PickyReport         *self,
                                              guint                index,
                                              guint               *n_in,
                                              guint               *n_out);
guint        picky_report_get_total_in       (PickyReport         *self);
guint        picky_report_get_total_out      (PickyReport         *self);
guint        picky_report_get_n_apps         (PickyReport         *self);
const char  *picky_report_get_app_totals     (PickyReport         *self,
                                              guint                index,
                                              guint               *n_in,
                                              guint               *n_out);
gint64       picky_report_get_first_timestamp (PickyReport        *self);
gint64       picky_report_get_last_timestamp (PickyReport         *self);
int          picky_report_get_busiest_day    (PickyReport         *self,
                                              guint               *count);
guint        picky_report_get_response_count (PickyReport         *self);
gint64       picky_report_get_response_median (PickyReport        *self);
gint64       picky_report_get_response_p90   (PickyReport         *self);
guint        picky_report_get_reply_count    (PickyReport         *self);
gint64       picky_report_get_reply_median   (PickyReport         *self);
gint64       picky_report_get_reply_p90      (PickyReport         *self);
guint        picky_report_get_awaiting       (PickyReport         *self);
gint64       picky_report_get_oldest_wait    (PickyReport         *self);
gboolean     picky_report_get_working_hours  (PickyReport         *self);
gint64       picky_report_get_first_ever     (PickyReport         *self);
gint64       picky_report_get_last_ever      (PickyReport         *self);
char        *picky_report_dup_definitions    (PickyReport         *self);
guint        picky_report_get_heat           (PickyReport         *self,
                                              guint                weekday,
                                              guint                hour);
guint        picky_report_get_heat_max       (PickyReport         *self);
guint        picky_report_get_n_top          (PickyReport         *self,
                                              PickyReportTop       top);
const PickyContactSummary *picky_report_get_top (PickyReport      *self,
                                              PickyReportTop       top,
                                              guint                index);
GArray      *picky_report_get_summaries      (PickyReport         *self);

char        *picky_report_format_time        (PickyReport         *self,
                                              gint64               timestamp);

/* One row of a report: a title and its value, both for showing. */
typedef void (*PickyReportRowFunc) (const char *title,
                                    const char *value,
                                    gpointer    user_data);

void         picky_report_foreach_summary_row (PickyReport        *self,
                                               PickyReportRowFunc  func,
                                               gpointer            user_data);
void         picky_report_foreach_top_row    (PickyReport         *self,
                                              PickyReportTop       top,
                                              PickyReportRowFunc   func,
                                              gpointer             user_data);

G_END_DECLS
