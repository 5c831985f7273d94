/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A report over a range of days in the admin's time zone, for one contact or for all. */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>

#include "picky-app-catalog.h"
#include "picky-report.h"
#include "picky-time-format.h"

typedef struct {
  const char *app;                 /* interned */
  guint       n_in;
  guint       n_out;
} AppTotals;

struct _PickyReport
{
  GObject      parent_instance;

  /* what the report is of */
  gint64       contact_id;
  char        *app;
  char        *name;
  char        *phone;
  GTimeZone   *tz;
  GDate        first;
  GDate        last;
  guint        n_days;
  gint64       first_epoch_day;    /* the first day as days since 1970-01-01 */
  gint64       from;               /* local midnights, unix seconds */
  gint64       to;

  /* the numbers */
  guint       *day_in;
  guint       *day_out;
  guint        total_in;
  guint        total_out;
  GArray      *apps;               /* AppTotals */
  gint64       first_timestamp;
  gint64       last_timestamp;
  guint        responses[PICKY_STORE_FINE_BUCKETS];
  guint        response_count;
  guint        replies[PICKY_STORE_FINE_BUCKETS];
  guint        reply_count;
  gboolean     working_hours;
  guint        awaiting;
  gint64       oldest_wait;
  gint64       first_ever;
  gint64       last_ever;
  guint        heat[7][24];
  guint        heat_max;
  GArray      *summaries;          /* PickyContactSummary, overall only */
  GArray      *top[2];             /* guint indices into summaries */
};

G_DEFINE_FINAL_TYPE (PickyReport, picky_report, G_TYPE_OBJECT)

G_DEFINE_QUARK (picky-report-error-quark, picky_report_error)

static gint64
epoch_day (const GDate *date)
{
  GDate epoch;

  g_date_clear (&epoch, 1);
  g_date_set_dmy (&epoch, 1, G_DATE_JANUARY, 1970);
  return (gint64) g_date_get_julian (date) - (gint64) g_date_get_julian (&epoch);
}

static gint64
floor_div (gint64 a,
           gint64 b)
{
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static void
reset_numbers (PickyReport *self)
{
  g_clear_pointer (&self->day_in, g_free);
  g_clear_pointer (&self->day_out, g_free);
  g_clear_pointer (&self->summaries, g_array_unref);
  g_array_set_size (self->apps, 0);
  for (guint t = 0; t < G_N_ELEMENTS (self->top); t++)
    g_array_set_size (self->top[t], 0);
  self->day_in = g_new0 (guint, self->n_days);
  self->day_out = g_new0 (guint, self->n_days);
  self->total_in = self->total_out = 0;
  self->first_timestamp = self->last_timestamp = 0;
  self->response_count = 0;
  self->reply_count = 0;
  self->working_hours = FALSE;
  self->awaiting = 0;
  self->oldest_wait = -1;
  self->first_ever = self->last_ever = 0;
  self->heat_max = 0;
  memset (self->responses, 0, sizeof self->responses);
  memset (self->replies, 0, sizeof self->replies);
  memset (self->heat, 0, sizeof self->heat);
}

static void
add_app (PickyReport *self,
         const char  *app,
         guint        n_in,
         guint        n_out)
{
  AppTotals totals = { app, n_in, n_out };

  for (guint i = 0; i < self->apps->len; i++)
    {
      AppTotals *known = &g_array_index (self->apps, AppTotals, i);

      if (known->app == app)
        {
          known->n_in += n_in;
          known->n_out += n_out;
          return;
        }
    }
  g_array_append_val (self->apps, totals);
}

static int
compare_volume (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  GArray *summaries = user_data;
  const PickyContactSummary *x = &g_array_index (summaries, PickyContactSummary, *(const guint *) a);
  const PickyContactSummary *y = &g_array_index (summaries, PickyContactSummary, *(const guint *) b);
  guint vx = x->n_in + x->n_out;
  guint vy = y->n_in + y->n_out;

  if (vx != vy)
    return vx > vy ? -1 : 1;
  return x->contact_id < y->contact_id ? -1 : x->contact_id > y->contact_id;
}

static int
compare_slowest (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  GArray *summaries = user_data;
  const PickyContactSummary *x = &g_array_index (summaries, PickyContactSummary, *(const guint *) a);
  const PickyContactSummary *y = &g_array_index (summaries, PickyContactSummary, *(const guint *) b);

  if (x->response_median != y->response_median)
    return x->response_median > y->response_median ? -1 : 1;
  return x->contact_id < y->contact_id ? -1 : x->contact_id > y->contact_id;
}

static void
fill_top (PickyReport    *self,
          PickyReportTop  top)
{
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < self->summaries->len; i++)
    {
      const PickyContactSummary *summary = &g_array_index (self->summaries, PickyContactSummary, i);

      if (top == PICKY_REPORT_TOP_VOLUME ? summary->n_in + summary->n_out > 0
                                         : summary->response_median >= 0)
        g_array_append_val (all, i);
    }

  g_array_sort_with_data (all, top == PICKY_REPORT_TOP_VOLUME ? compare_volume : compare_slowest,
                          self->summaries);

  g_array_append_vals (self->top[top], all->data, MIN (all->len, PICKY_REPORT_TOP_SIZE));
}

static void
picky_report_finalize (GObject *object)
{
  PickyReport *self = PICKY_REPORT (object);

  g_free (self->app);
  g_free (self->name);
  g_free (self->phone);
  g_clear_pointer (&self->tz, g_time_zone_unref);
  g_clear_pointer (&self->day_in, g_free);
  g_clear_pointer (&self->day_out, g_free);
  g_clear_pointer (&self->apps, g_array_unref);
  g_clear_pointer (&self->summaries, g_array_unref);
  for (guint t = 0; t < G_N_ELEMENTS (self->top); t++)
    g_clear_pointer (&self->top[t], g_array_unref);

  G_OBJECT_CLASS (picky_report_parent_class)->finalize (object);
}

static void
picky_report_class_init (PickyReportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = picky_report_finalize;
}

static void
picky_report_init (PickyReport *self)
{
  self->apps = g_array_new (FALSE, TRUE, sizeof (AppTotals));
  for (guint t = 0; t < G_N_ELEMENTS (self->top); t++)
    self->top[t] = g_array_new (FALSE, FALSE, sizeof (guint));
}

/**
 * picky_report_parse_date:
 * @text: a date as YYYY-MM-DD
 * @date: (out caller-allocates): the date
 *
 * Returns: whether @text is exactly such a date and a real one
 */
gboolean
picky_report_parse_date (const char  *text,
                         GDate       *date,
                         GError     **error)
{
  guint year, month, day;
  char tail;

  g_return_val_if_fail (date != NULL, FALSE);

  g_date_clear (date, 1);
  if (text != NULL && strlen (text) == 10 && text[4] == '-' && text[7] == '-' &&
      g_ascii_isdigit (text[0]) && g_ascii_isdigit (text[1]) && g_ascii_isdigit (text[2]) &&
      g_ascii_isdigit (text[3]) && g_ascii_isdigit (text[5]) && g_ascii_isdigit (text[6]) &&
      g_ascii_isdigit (text[8]) && g_ascii_isdigit (text[9]) &&
      sscanf (text, "%4u-%2u-%2u%c", &year, &month, &day, &tail) == 3 &&
      g_date_valid_dmy (day, month, year) && year >= 1970)
    {
      g_date_set_dmy (date, day, month, year);
      return TRUE;
    }

  g_set_error (error, PICKY_REPORT_ERROR, PICKY_REPORT_ERROR_BAD_DATE,
               _("“%s” is not a date; write it as YYYY-MM-DD, for example 2026-03-29"),
               text != NULL ? text : "");
  return FALSE;
}

/**
 * picky_report_resolve_range:
 * @name: "7d", "30d", "90d", "this-month" or "last-month"
 * @now: the current time in the admin's time zone
 * @first: (out caller-allocates): the first day of the range
 * @last: (out caller-allocates): the last day of the range, included
 *
 * Returns: whether @name is a range the console knows
 */
gboolean
picky_report_resolve_range (const char  *name,
                            GDateTime   *now,
                            GDate       *first,
                            GDate       *last,
                            GError     **error)
{
  GDate today;

  g_return_val_if_fail (now != NULL, FALSE);
  g_return_val_if_fail (first != NULL && last != NULL, FALSE);

  g_date_clear (&today, 1);
  g_date_set_dmy (&today, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
  *first = today;
  *last = today;

  if (g_strcmp0 (name, "7d") == 0)
    g_date_subtract_days (first, 6);
  else if (g_strcmp0 (name, "30d") == 0)
    g_date_subtract_days (first, 29);
  else if (g_strcmp0 (name, "90d") == 0)
    g_date_subtract_days (first, 89);
  else if (g_strcmp0 (name, "this-month") == 0)
    g_date_set_day (first, 1);
  else if (g_strcmp0 (name, "last-month") == 0)
    {
      g_date_set_day (first, 1);
      g_date_subtract_months (first, 1);
      *last = *first;
      g_date_set_day (last, g_date_get_days_in_month (g_date_get_month (first), g_date_get_year (first)));
    }
  else
    {
      g_set_error (error, PICKY_REPORT_ERROR, PICKY_REPORT_ERROR_BAD_RANGE,
                   _("“%s” is not a range; use 7d, 30d, 90d, this-month or last-month"),
                   name != NULL ? name : "");
      return FALSE;
    }

  return TRUE;
}

/**
 * picky_report_local_midnight:
 *
 * Returns: the first second of @date in @tz as unix time; when midnight
 *   itself is skipped by a daylight-saving change, the first existing time
 */
gint64
picky_report_local_midnight (GTimeZone   *tz,
                             const GDate *date)
{
  g_autoptr(GDateTime) midnight = NULL;

  g_return_val_if_fail (tz != NULL, 0);
  g_return_val_if_fail (g_date_valid (date), 0);

  midnight = g_date_time_new (tz, g_date_get_year (date), g_date_get_month (date),
                              g_date_get_day (date), 0, 0, 0);
  return g_date_time_to_unix (midnight);
}

/**
 * picky_report_format_duration:
 * @seconds: a duration, or -1 for none
 *
 * Returns: (transfer full): the duration as people read it, e.g. "4 min 10 s"
 */
char *
picky_report_format_duration (gint64 seconds)
{
  if (seconds < 0)
    /* Translators: no first-response time was measured */
    return g_strdup (C_("duration", "—"));
  if (seconds < 60)
    /* Translators: a duration in seconds */
    return g_strdup_printf (C_("duration", "%d s"), (int) seconds);
  if (seconds < 3600)
    /* Translators: a duration in minutes and seconds */
    return g_strdup_printf (C_("duration", "%d min %d s"), (int) (seconds / 60), (int) (seconds % 60));
  if (seconds < 86400)
    /* Translators: a duration in hours and minutes */
    return g_strdup_printf (C_("duration", "%d h %d min"), (int) (seconds / 3600), (int) (seconds % 3600 / 60));
  /* Translators: a duration in days and hours */
  return g_strdup_printf (C_("duration", "%d d %d h"), (int) (seconds / 86400), (int) (seconds % 86400 / 3600));
}

/**
 * picky_report_new:
 * @contact_id: the contact, or 0 for all contacts
 * @tz: the admin's time zone, in which days and hours are counted
 * @first: the first day of the range
 * @last: the last day of the range, included
 *
 * Returns: (transfer full): an empty report; fill it with
 *   picky_report_load_async() or picky_report_fill()
 */
PickyReport *
picky_report_new (gint64       contact_id,
                  GTimeZone   *tz,
                  const GDate *first,
                  const GDate *last)
{
  PickyReport *self;
  GDate after;

  g_return_val_if_fail (tz != NULL, NULL);
  g_return_val_if_fail (g_date_valid (first) && g_date_valid (last), NULL);
  g_return_val_if_fail (g_date_compare (first, last) <= 0, NULL);

  self = g_object_new (PICKY_TYPE_REPORT, NULL);
  self->contact_id = contact_id;
  self->tz = g_time_zone_ref (tz);
  self->first = *first;
  self->last = *last;
  self->n_days = g_date_days_between (first, last) + 1;
  self->first_epoch_day = epoch_day (first);
  after = *last;
  g_date_add_days (&after, 1);
  self->from = picky_report_local_midnight (tz, first);
  self->to = picky_report_local_midnight (tz, &after);
  reset_numbers (self);

  return self;
}

/**
 * picky_report_set_contact:
 *
 * Names the contact the report is of, for its title.
 */
void
picky_report_set_contact (PickyReport *self,
                          const char  *app,
                          const char  *name,
                          const char  *phone)
{
  g_return_if_fail (PICKY_IS_REPORT (self));

  g_free (self->app);
  g_free (self->name);
  g_free (self->phone);
  self->app = g_strdup (app);
  self->name = name != NULL && *name != '\0' ? g_strdup (name) : NULL;
  self->phone = phone != NULL && *phone != '\0' ? g_strdup (phone) : NULL;
}

/**
 * picky_report_fill:
 * @hours: the store's hours over the report's range
 * @summaries: (nullable) (element-type PickyContactSummary): every contact
 *   over the range, for the top lists of the overall report
 *
 * Counts the hours into the days and hours of the week of the report's
 * time zone. Days follow the zone's offset at each hour, so a day of a
 * daylight-saving change has 23 or 25 hours, as it has on the clock.
 */
void
picky_report_fill (PickyReport            *self,
                   const PickyReportHours *hours,
                   GArray                 *summaries)
{
  g_return_if_fail (PICKY_IS_REPORT (self));
  g_return_if_fail (hours != NULL);

  reset_numbers (self);

  for (guint i = 0; i < hours->hours->len; i++)
    {
      const PickyReportHour *hour = &g_array_index (hours->hours, PickyReportHour, i);
      gint64 start = hour->hour * 3600;
      int interval = g_time_zone_find_interval (self->tz, G_TIME_TYPE_UNIVERSAL, start);
      gint64 local = start + g_time_zone_get_offset (self->tz, interval);
      gint64 day = floor_div (local, 86400);
      gint64 index = day - self->first_epoch_day;
      guint weekday = (guint) ((day % 7 + 7 + 3) % 7);   /* 1970-01-01 was a Thursday */
      guint hour_of_day = (guint) (floor_div (local, 3600) - day * 24);

      if (index < 0 || index >= self->n_days)
        continue;

      self->day_in[index] += hour->n_in;
      self->day_out[index] += hour->n_out;
      self->total_in += hour->n_in;
      self->total_out += hour->n_out;
      add_app (self, hour->app, hour->n_in, hour->n_out);
      if (self->first_timestamp == 0 || hour->first_timestamp < self->first_timestamp)
        self->first_timestamp = hour->first_timestamp;
      self->last_timestamp = MAX (self->last_timestamp, hour->last_timestamp);
      self->heat[weekday][hour_of_day] += hour->n_in + hour->n_out;
      self->heat_max = MAX (self->heat_max, self->heat[weekday][hour_of_day]);
    }

  memcpy (self->responses, hours->responses, sizeof self->responses);
  memcpy (self->replies, hours->replies, sizeof self->replies);
  for (guint b = 0; b < PICKY_STORE_FINE_BUCKETS; b++)
    {
      self->response_count += self->responses[b];
      self->reply_count += self->replies[b];
    }
  self->working_hours = hours->working_hours;
  self->awaiting = hours->awaiting;
  self->oldest_wait = hours->oldest_wait;
  self->first_ever = hours->first_ever;
  self->last_ever = hours->last_ever;

  if (summaries != NULL)
    {
      self->summaries = g_array_ref (summaries);
      fill_top (self, PICKY_REPORT_TOP_VOLUME);
      fill_top (self, PICKY_REPORT_TOP_SLOWEST);
    }
}

/* ---- Loading from the store ---- */

typedef struct {
  PickyStore *store;
  PickyReportHours *hours;
} LoadData;

static void
load_data_free (gpointer data)
{
  LoadData *load = data;

  g_clear_object (&load->store);
  g_clear_pointer (&load->hours, picky_report_hours_free);
  g_free (load);
}

static void
on_summaries_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyReport *self = g_task_get_source_object (task);
  LoadData *load = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) summaries = picky_store_summarize_contacts_finish (PICKY_STORE (object), result, &error);

  if (summaries == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  picky_report_fill (self, load->hours, summaries);
  g_task_return_boolean (task, TRUE);
}

static void
on_hours_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyReport *self = g_task_get_source_object (task);
  LoadData *load = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  load->hours = picky_store_report_hours_finish (PICKY_STORE (object), result, &error);
  if (load->hours == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (self->contact_id != 0)
    {
      picky_report_fill (self, load->hours, NULL);
      g_task_return_boolean (task, TRUE);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  picky_store_summarize_contacts_full_async (load->store, self->from, self->to, cancellable,
                                             on_summaries_cb, g_steal_pointer (&task));
}

static void
on_contact_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyReport *self = g_task_get_source_object (task);
  LoadData *load = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) contacts = picky_store_list_contacts_finish (PICKY_STORE (object), result, &error);
  GCancellable *cancellable;

  if (contacts == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (contacts->len > 0)
    {
      gint64 id;
      const char *app, *provider_id, *name, *phone;

      g_variant_get (g_ptr_array_index (contacts, 0), "(x&s&s&s&s)", &id, &app, &provider_id, &name, &phone);
      if (id == self->contact_id)
        picky_report_set_contact (self, app, name, phone);
    }

  cancellable = g_task_get_cancellable (task);
  picky_store_report_hours_async (load->store, self->contact_id, self->from, self->to, cancellable,
                                  on_hours_cb, g_steal_pointer (&task));
}

/**
 * picky_report_load_async:
 * @store: the store to read the rollups from
 *
 * Fills the report from the store's hourly rollups; for a contact whose
 * name was not set, the name comes from the store too.
 */
void
picky_report_load_async (PickyReport         *self,
                         PickyStore          *store,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LoadData *load;

  g_return_if_fail (PICKY_IS_REPORT (self));
  g_return_if_fail (PICKY_IS_STORE (store));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_report_load_async);
  load = g_new0 (LoadData, 1);
  load->store = g_object_ref (store);
  g_task_set_task_data (task, load, load_data_free);

  if (self->contact_id != 0 && self->app == NULL)
    picky_store_list_contacts_async (store, NULL, NULL, self->contact_id - 1, 1, cancellable,
                                     on_contact_cb, g_steal_pointer (&task));
  else
    picky_store_report_hours_async (store, self->contact_id, self->from, self->to, cancellable,
                                    on_hours_cb, g_steal_pointer (&task));
}

gboolean
picky_report_load_finish (PickyReport   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Reading the numbers ---- */

gint64
picky_report_get_contact_id (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->contact_id;
}

const char *
picky_report_get_app (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), NULL);

  return self->app;
}

const char *
picky_report_get_name (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), NULL);

  return self->name;
}

const char *
picky_report_get_phone (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), NULL);

  return self->phone;
}

/**
 * picky_report_dup_title:
 *
 * Returns: (transfer full): the contact's name, else their number, else
 *   their number in the console; "All Contacts" for the overall report
 */
char *
picky_report_dup_title (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), NULL);

  if (self->contact_id == 0)
    return g_strdup (_("All Contacts"));
  if (self->name != NULL)
    return g_strdup (self->name);
  if (self->phone != NULL)
    return g_strdup (self->phone);
  /* Translators: a contact without a known name or number */
  return g_strdup_printf (_("Contact %lld"), (long long) self->contact_id);
}

/**
 * picky_report_dup_range_text:
 *
 * Returns: (transfer full): the range of days, e.g. "03/01/26 – 03/31/26"
 */
char *
picky_report_dup_range_text (PickyReport *self)
{
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;

  g_return_val_if_fail (PICKY_IS_REPORT (self), NULL);

  /* In the window's language, isolated, as every date it shows; only the
   * CSV keeps ISO 8601, for scripts. */
  first = picky_time_format_date (&self->first);
  last = picky_time_format_date (&self->last);
  /* Translators: a report's range of days, first – last */
  return g_strdup_printf (_("%s – %s"), first, last);
}

GTimeZone *
picky_report_get_timezone (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), NULL);

  return self->tz;
}

void
picky_report_get_dates (PickyReport *self,
                        GDate       *first,
                        GDate       *last)
{
  g_return_if_fail (PICKY_IS_REPORT (self));

  if (first != NULL)
    *first = self->first;
  if (last != NULL)
    *last = self->last;
}

/**
 * picky_report_get_from:
 *
 * Returns: the start of the first day, unix seconds
 */
gint64
picky_report_get_from (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->from;
}

/**
 * picky_report_get_to:
 *
 * Returns: the start of the day after the last, unix seconds
 */
gint64
picky_report_get_to (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->to;
}

guint
picky_report_get_n_days (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->n_days;
}

void
picky_report_get_day (PickyReport *self,
                      guint        index,
                      guint       *n_in,
                      guint       *n_out)
{
  g_return_if_fail (PICKY_IS_REPORT (self));
  g_return_if_fail (index < self->n_days);

  if (n_in != NULL)
    *n_in = self->day_in[index];
  if (n_out != NULL)
    *n_out = self->day_out[index];
}

guint
picky_report_get_total_in (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->total_in;
}

guint
picky_report_get_total_out (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->total_out;
}

guint
picky_report_get_n_apps (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->apps->len;
}

/**
 * picky_report_get_app_totals:
 *
 * Returns: the app id of the @index-th app with messages in the range
 */
const char *
picky_report_get_app_totals (PickyReport *self,
                             guint        index,
                             guint       *n_in,
                             guint       *n_out)
{
  const AppTotals *totals;

  g_return_val_if_fail (PICKY_IS_REPORT (self), NULL);
  g_return_val_if_fail (index < self->apps->len, NULL);

  totals = &g_array_index (self->apps, AppTotals, index);
  if (n_in != NULL)
    *n_in = totals->n_in;
  if (n_out != NULL)
    *n_out = totals->n_out;
  return totals->app;
}

/**
 * picky_report_get_first_timestamp:
 *
 * Returns: the time of the first message in the range, 0 when none
 */
gint64
picky_report_get_first_timestamp (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->first_timestamp;
}

gint64
picky_report_get_last_timestamp (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->last_timestamp;
}

/**
 * picky_report_get_busiest_day:
 * @count: (out) (optional): its messages in and out
 *
 * Returns: the index of the day with the most messages (the first of
 *   equals), or -1 when the range has none
 */
int
picky_report_get_busiest_day (PickyReport *self,
                              guint       *count)
{
  int best = -1;
  guint most = 0;

  g_return_val_if_fail (PICKY_IS_REPORT (self), -1);

  for (guint d = 0; d < self->n_days; d++)
    if (self->day_in[d] + self->day_out[d] > most)
      {
        most = self->day_in[d] + self->day_out[d];
        best = d;
      }

  if (count != NULL)
    *count = most;
  return best;
}

guint
picky_report_get_response_count (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->response_count;
}

/**
 * picky_report_get_response_median:
 *
 * Returns: the median first-response time in seconds, within 10 %, or -1
 */
gint64
picky_report_get_response_median (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), -1);

  return picky_store_fine_percentile (self->responses, 0.5);
}

gint64
picky_report_get_response_p90 (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), -1);

  return picky_store_fine_percentile (self->responses, 0.9);
}

/**
 * picky_report_get_reply_count:
 *
 * Returns: how many customer messages written in the range have a reply
 */
guint
picky_report_get_reply_count (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->reply_count;
}

/**
 * picky_report_get_reply_median:
 *
 * Returns: the median reply time in seconds, within 10 %, or -1
 */
gint64
picky_report_get_reply_median (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), -1);

  return picky_store_fine_percentile (self->replies, 0.5);
}

gint64
picky_report_get_reply_p90 (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), -1);

  return picky_store_fine_percentile (self->replies, 0.9);
}

/**
 * picky_report_get_awaiting:
 *
 * Returns: how many waits for a first response were still open at the
 *   range's end (or now, when the range ends later)
 */
guint
picky_report_get_awaiting (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->awaiting;
}

/**
 * picky_report_get_oldest_wait:
 *
 * Returns: how long the oldest of the open waits had lasted at the range's
 *   end (or now), in seconds, or -1 when none was open
 */
gint64
picky_report_get_oldest_wait (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), -1);

  return self->oldest_wait;
}

/**
 * picky_report_get_working_hours:
 *
 * Returns: whether waits count only business hours
 */
gboolean
picky_report_get_working_hours (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), FALSE);

  return self->working_hours;
}

/**
 * picky_report_get_first_ever:
 *
 * Returns: the time of the contact's first message ever (of anyone's, for
 *   the overall report), whatever the range, or 0 when none
 */
gint64
picky_report_get_first_ever (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->first_ever;
}

/**
 * picky_report_get_last_ever:
 *
 * Returns: the time of the last message so far, or 0 when none
 */
gint64
picky_report_get_last_ever (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->last_ever;
}

/**
 * picky_report_get_heat:
 * @weekday: 0 for Monday to 6 for Sunday
 * @hour: 0 to 23, local time
 *
 * Returns: the messages in and out in that hour of the week over the range
 */
guint
picky_report_get_heat (PickyReport *self,
                       guint        weekday,
                       guint        hour)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);
  g_return_val_if_fail (weekday < 7 && hour < 24, 0);

  return self->heat[weekday][hour];
}

guint
picky_report_get_heat_max (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);

  return self->heat_max;
}

guint
picky_report_get_n_top (PickyReport    *self,
                        PickyReportTop  top)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), 0);
  g_return_val_if_fail (top <= PICKY_REPORT_TOP_SLOWEST, 0);

  return self->top[top]->len;
}

/**
 * picky_report_get_top:
 *
 * Returns: (transfer none): the @index-th contact of the list @top
 */
const PickyContactSummary *
picky_report_get_top (PickyReport    *self,
                      PickyReportTop  top,
                      guint           index)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), NULL);
  g_return_val_if_fail (top <= PICKY_REPORT_TOP_SLOWEST, NULL);
  g_return_val_if_fail (index < self->top[top]->len, NULL);

  return &g_array_index (self->summaries, PickyContactSummary,
                         g_array_index (self->top[top], guint, index));
}

/**
 * picky_report_get_summaries:
 *
 * Returns: (transfer none) (nullable) (element-type PickyContactSummary):
 *   every contact over the range, for the overall report
 */
GArray *
picky_report_get_summaries (PickyReport *self)
{
  g_return_val_if_fail (PICKY_IS_REPORT (self), NULL);

  return self->summaries;
}

/**
 * picky_report_format_time:
 *
 * Returns: (transfer full): @timestamp in the report's time zone, or a
 *   dash for 0
 */
char *
picky_report_format_time (PickyReport *report,
                          gint64       timestamp)
{
  g_return_val_if_fail (PICKY_IS_REPORT (report), NULL);

  if (timestamp == 0)
    return g_strdup (C_("time", "—"));

  /* Absolute, for a report is printed and read on other days too. */
  return picky_time_format_absolute (timestamp, picky_report_get_timezone (report));
}

/**
 * picky_report_foreach_summary_row:
 * @func: called with each row's title and value, in order
 *
 * The summary rows of the report, as the window shows them and the PDF
 * prints them: totals, the range's first and last message beside the
 * first and last contact ever, busiest day, response and reply times (in
 * business hours when those are set, and titled so), the waits still open,
 * and each app's messages in and out.
 */
void
picky_report_foreach_summary_row (PickyReport        *self,
                                  PickyReportRowFunc  func,
                                  gpointer            user_data)
{
  g_autofree char *in = NULL;
  g_autofree char *out = NULL;
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;
  g_autofree char *first_ever = NULL;
  g_autofree char *last_ever = NULL;
  g_autofree char *median = NULL;
  g_autofree char *p90 = NULL;
  g_autofree char *reply_median = NULL;
  g_autofree char *reply_p90 = NULL;
  g_autofree char *awaiting = NULL;
  g_autofree char *busiest = NULL;
  gboolean working = self->working_hours;
  guint count = 0;
  int day;

  g_return_if_fail (PICKY_IS_REPORT (self));

  in = g_strdup_printf ("%u", self->total_in);
  out = g_strdup_printf ("%u", self->total_out);
  first = picky_report_format_time (self, picky_report_get_first_timestamp (self));
  last = picky_report_format_time (self, picky_report_get_last_timestamp (self));
  first_ever = picky_report_format_time (self, self->first_ever);
  last_ever = picky_report_format_time (self, self->last_ever);
  median = picky_report_format_duration (picky_report_get_response_median (self));
  p90 = picky_report_format_duration (picky_report_get_response_p90 (self));
  reply_median = picky_report_format_duration (picky_report_get_reply_median (self));
  reply_p90 = picky_report_format_duration (picky_report_get_reply_p90 (self));
  if (self->awaiting > 0)
    {
      g_autofree char *oldest = picky_report_format_duration (self->oldest_wait);

      /* Translators: waits for a first reply still open at the end of a
       * report's range, and how long the oldest had lasted by then */
      awaiting = g_strdup_printf (ngettext ("%u, waiting %s", "%u, the oldest waiting %s", self->awaiting),
                                  self->awaiting, oldest);
    }
  else
    {
      /* Translators: no customer was waiting for a reply */
      awaiting = g_strdup (C_("awaiting", "None"));
    }
  day = picky_report_get_busiest_day (self, &count);
  if (day >= 0)
    {
      g_autofree char *text = NULL;
      GDate date;

      picky_report_get_dates (self, &date, NULL);
      g_date_add_days (&date, day);
      text = picky_time_format_date (&date);
      /* Translators: the busiest day of a report and its number of messages */
      busiest = g_strdup_printf (ngettext ("%s (%u message)", "%s (%u messages)", count), text, count);
    }
  else
    {
      busiest = g_strdup (C_("day", "—"));
    }

  func (_("Messages in"), in, user_data);
  func (_("Messages out"), out, user_data);
  func (_("First message in range"), first, user_data);
  func (_("Last message in range"), last, user_data);
  func (_("First contact ever"), first_ever, user_data);
  func (_("Last contact"), last_ever, user_data);
  func (_("Busiest day"), busiest, user_data);
  func (working ? _("Median first response (business hours)") : _("Median first response"), median, user_data);
  func (working ? _("90th percentile first response (business hours)") : _("90th percentile first response"),
        p90, user_data);
  func (working ? _("Median reply time (business hours)") : _("Median reply time"), reply_median, user_data);
  func (working ? _("90th percentile reply time (business hours)") : _("90th percentile reply time"),
        reply_p90, user_data);
  func (working ? _("Awaiting reply (business hours)") : _("Awaiting reply"), awaiting, user_data);

  for (guint i = 0; i < picky_report_get_n_apps (self); i++)
    {
      guint n_in, n_out;
      const char *app = picky_report_get_app_totals (self, i, &n_in, &n_out);
      const char *name = picky_app_catalog_get_display_name (app);
      /* Translators: messages in and out of one app in a report */
      g_autofree char *value = g_strdup_printf (_("%u in, %u out"), n_in, n_out);

      func (name != NULL ? name : app, value, user_data);
    }
}

/**
 * picky_report_dup_definitions:
 *
 * What the report's times mean, in a few sentences for a footnote: the PDF
 * prints it under the summary, and the README says the same.
 *
 * Returns: (transfer full): the definitions, in the console's language
 */
char *
picky_report_dup_definitions (PickyReport *self)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (PICKY_IS_REPORT (self), NULL);

  g_string_append (text, _("First response: a customer’s wait starts at their first message after your "
                           "last reply (or after the conversation was marked done, or at their first "
                           "message ever) and ends at your next reply; it counts in the period it started."));
  g_string_append_c (text, ' ');
  g_string_append (text, _("Reply time: for every customer message, the time until your next reply, "
                           "in the period the message was written."));
  g_string_append_c (text, ' ');
  g_string_append (text, _("Awaiting reply: waits still open at the end of the range (or now, if it ends "
                           "later), with how long the oldest had lasted; they are no response time."));
  g_string_append_c (text, ' ');
  g_string_append (text, _("Medians and 90th percentiles are within a tenth of the exact times."));
  if (self->working_hours)
    {
      g_string_append_c (text, ' ');
      g_string_append (text, _("Times count business hours only, as set in Preferences."));
    }

  return g_string_free (text, FALSE);
}

/**
 * picky_report_foreach_top_row:
 * @func: called with each contact's name and value, in order
 *
 * The rows of the list @top: each contact by name, number or id, with
 * their messages in and out or their median first response.
 */
void
picky_report_foreach_top_row (PickyReport        *self,
                              PickyReportTop      top,
                              PickyReportRowFunc  func,
                              gpointer            user_data)
{
  g_return_if_fail (PICKY_IS_REPORT (self));
  g_return_if_fail (top <= PICKY_REPORT_TOP_SLOWEST);

  for (guint i = 0; i < picky_report_get_n_top (self, top); i++)
    {
      const PickyContactSummary *summary = picky_report_get_top (self, top, i);
      g_autofree char *fallback = g_strdup_printf (_("Contact %lld"), (long long) summary->contact_id);
      const char *label = summary->name != NULL ? summary->name
                          : summary->phone != NULL ? summary->phone : fallback;
      g_autofree char *value = NULL;

      if (top == PICKY_REPORT_TOP_VOLUME)
        value = g_strdup_printf (_("%u in, %u out"), summary->n_in, summary->n_out);
      else
        value = picky_report_format_duration (summary->response_median);
      func (label, value, user_data);
    }
}
