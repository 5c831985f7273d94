/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Business hours: the working days and hours in a time zone, and the working time between two instants. */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "picky-business-hours.h"

#define MINUTES_PER_DAY (24 * 60)

struct _PickyBusinessHours
{
  guint      days;           /* PickyWeekdays */
  guint      start;          /* minutes after local midnight */
  guint      end;            /* the same; at or before start: on the next day */
  GTimeZone *tz;
};

G_DEFINE_BOXED_TYPE (PickyBusinessHours, picky_business_hours,
                     picky_business_hours_ref, picky_business_hours_unref)

static void
business_hours_clear (gpointer data)
{
  PickyBusinessHours *self = data;

  g_time_zone_unref (self->tz);
}

static gint64
floor_div (gint64 a,
           gint64 b)
{
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* The local day (days since 1970-01-01 on the wall clock) at @t. */
static gint64
local_day (GTimeZone *tz,
           gint64     t)
{
  int interval = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, t);

  return floor_div (t + g_time_zone_get_offset (tz, interval), 86400);
}

/* The instant the wall clock shows @wall (seconds since 1970-01-01 as if it
 * were UTC). A time the clock skips is moved past the gap, and of a time it
 * shows twice the standard (later) one is taken, as GTimeZone does. */
static gint64
wall_to_unix (GTimeZone *tz,
              gint64     wall)
{
  int interval = g_time_zone_adjust_time (tz, G_TIME_TYPE_STANDARD, &wall);

  return wall - g_time_zone_get_offset (tz, interval);
}

/**
 * picky_business_hours_new:
 * @days: the working days, #PickyWeekdays
 * @start_minute: when a working day starts, minutes after midnight
 * @end_minute: when it ends; at or before @start_minute it ends on the
 *   next day (a night shift: 22:00 to 06:00; the same as the start: a
 *   whole day)
 * @tz: the time zone the wall clock is in
 *
 * Returns: (transfer full): business hours, immutable
 */
PickyBusinessHours *
picky_business_hours_new (guint      days,
                          guint      start_minute,
                          guint      end_minute,
                          GTimeZone *tz)
{
  PickyBusinessHours *self;

  g_return_val_if_fail (tz != NULL, NULL);
  g_return_val_if_fail (start_minute < MINUTES_PER_DAY && end_minute <= MINUTES_PER_DAY, NULL);

  self = g_atomic_rc_box_new0 (PickyBusinessHours);
  self->days = days & PICKY_WEEKDAYS_ALL;
  self->start = start_minute;
  self->end = end_minute;
  self->tz = g_time_zone_ref (tz);

  return self;
}

/**
 * picky_business_hours_new_from_settings:
 * @settings: the console's settings
 * @tz: the time zone of the computer
 *
 * Returns: (transfer full) (nullable): the business hours the admin set,
 *   or %NULL when waits count every hour
 */
PickyBusinessHours *
picky_business_hours_new_from_settings (GSettings *settings,
                                        GTimeZone *tz)
{
  g_autoptr(GVariant) days = NULL;
  GVariantIter iter;
  gint32 day;
  guint mask = 0;
  int start, end;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (tz != NULL, NULL);

  if (!g_settings_get_boolean (settings, "business-hours"))
    return NULL;

  days = g_settings_get_value (settings, "business-days");
  g_variant_iter_init (&iter, days);
  while (g_variant_iter_next (&iter, "i", &day))
    if (day >= 1 && day <= 7)
      mask |= 1u << (day - 1);

  start = CLAMP (g_settings_get_int (settings, "business-hours-start"), 0, MINUTES_PER_DAY - 1);
  end = CLAMP (g_settings_get_int (settings, "business-hours-end"), 0, MINUTES_PER_DAY);

  return picky_business_hours_new (mask, start, end, tz);
}

/**
 * picky_business_hours_new_from_string:
 * @text: what picky_business_hours_to_string() made
 *
 * Returns: (transfer full) (nullable): the business hours, or %NULL when
 *   @text is not of that form or names a zone this computer lacks
 */
PickyBusinessHours *
picky_business_hours_new_from_string (const char *text)
{
  g_autoptr(GTimeZone) tz = NULL;
  guint days, start, end;
  char zone[256];

  if (text == NULL || sscanf (text, "days=%u start=%u end=%u tz=%255s", &days, &start, &end, zone) != 4 ||
      start >= MINUTES_PER_DAY || end > MINUTES_PER_DAY)
    return NULL;

  tz = g_time_zone_new_identifier (zone);
  if (tz == NULL)
    return NULL;

  return picky_business_hours_new (days, start, end, tz);
}

PickyBusinessHours *
picky_business_hours_ref (PickyBusinessHours *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

void
picky_business_hours_unref (PickyBusinessHours *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, business_hours_clear);
}

guint
picky_business_hours_get_days (const PickyBusinessHours *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->days;
}

guint
picky_business_hours_get_start (const PickyBusinessHours *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->start;
}

guint
picky_business_hours_get_end (const PickyBusinessHours *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->end;
}

/**
 * picky_business_hours_get_timezone:
 *
 * Returns: (transfer none): the time zone of the wall clock
 */
GTimeZone *
picky_business_hours_get_timezone (const PickyBusinessHours *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->tz;
}

/**
 * picky_business_hours_to_string:
 *
 * Returns: (transfer full): the business hours in one line, for keeping
 *   with the rollups counted under them
 */
char *
picky_business_hours_to_string (const PickyBusinessHours *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_strdup_printf ("days=%u start=%u end=%u tz=%s", self->days, self->start, self->end,
                          g_time_zone_get_identifier (self->tz));
}

/**
 * picky_business_hours_equal:
 * @a: (nullable): business hours, or %NULL for none
 * @b: (nullable): the same
 *
 * Returns: whether @a and @b count the same working time
 */
gboolean
picky_business_hours_equal (const PickyBusinessHours *a,
                            const PickyBusinessHours *b)
{
  g_autofree char *text_a = NULL;
  g_autofree char *text_b = NULL;

  if (a == NULL || b == NULL)
    return a == b;

  text_a = picky_business_hours_to_string (a);
  text_b = picky_business_hours_to_string (b);
  return g_str_equal (text_a, text_b);
}

/**
 * picky_business_hours_count:
 * @self: (nullable): business hours, or %NULL to count every second
 * @from: unix seconds
 * @to: unix seconds
 *
 * Each working day's hours are turned into instants through the time zone
 * on that very day, so a working day that spans a change of the clocks is
 * an hour shorter or longer, as it is for the people working it.
 *
 * Returns: the working seconds in [@from, @to), 0 when @to is not later
 */
gint64
picky_business_hours_count (const PickyBusinessHours *self,
                            gint64                    from,
                            gint64                    to)
{
  gint64 total = 0;
  gint64 first_day, last_day;

  if (to <= from)
    return 0;
  if (self == NULL)
    return to - from;
  if (self->days == 0)
    return 0;

  /* From the day before: a night shift that began then may still run. */
  first_day = local_day (self->tz, from) - 1;
  last_day = local_day (self->tz, to);
  for (gint64 day = first_day; day <= last_day; day++)
    {
      guint weekday = (guint) ((day % 7 + 7 + 3) % 7);   /* 1970-01-01 was a Thursday */
      gint64 start, end;

      if ((self->days & (1u << weekday)) == 0)
        continue;

      start = wall_to_unix (self->tz, day * 86400 + self->start * 60);
      end = wall_to_unix (self->tz, day * 86400 + self->end * 60 + (self->end <= self->start ? 86400 : 0));
      start = MAX (start, from);
      end = MIN (end, to);
      if (end > start)
        total += end - start;
    }

  return total;
}
