/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Business hours: the working days and hours in a time zone, and the working time between two instants. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Bits of the working days, Monday first. */
typedef enum {
  PICKY_WEEKDAY_MONDAY    = 1 << 0,
  PICKY_WEEKDAY_TUESDAY   = 1 << 1,
  PICKY_WEEKDAY_WEDNESDAY = 1 << 2,
  PICKY_WEEKDAY_THURSDAY  = 1 << 3,
  PICKY_WEEKDAY_FRIDAY    = 1 << 4,
  PICKY_WEEKDAY_SATURDAY  = 1 << 5,
  PICKY_WEEKDAY_SUNDAY    = 1 << 6,
} PickyWeekdays;

#define PICKY_WEEKDAYS_ALL 0x7f

typedef struct _PickyBusinessHours PickyBusinessHours;

#define PICKY_TYPE_BUSINESS_HOURS (picky_business_hours_get_type ())

GType               picky_business_hours_get_type      (void) G_GNUC_CONST;

PickyBusinessHours *picky_business_hours_new           (guint                     days,
                                                        guint                     start_minute,
                                                        guint                     end_minute,
                                                        GTimeZone                *tz);
PickyBusinessHours *picky_business_hours_new_from_settings (GSettings             *settings,
                                                        GTimeZone                *tz);
PickyBusinessHours *picky_business_hours_new_from_string (const char              *text);
PickyBusinessHours *picky_business_hours_ref           (PickyBusinessHours       *self);
void                picky_business_hours_unref         (PickyBusinessHours       *self);

guint               picky_business_hours_get_days      (const PickyBusinessHours *self);
guint               picky_business_hours_get_start     (const PickyBusinessHours *self);
guint               picky_business_hours_get_end       (const PickyBusinessHours *self);
GTimeZone          *picky_business_hours_get_timezone  (const PickyBusinessHours *self);
char               *picky_business_hours_to_string     (const PickyBusinessHours *self);
gboolean            picky_business_hours_equal         (const PickyBusinessHours *a,
                                                        const PickyBusinessHours *b);

gint64              picky_business_hours_count         (const PickyBusinessHours *self,
                                                        gint64                    from,
                                                        gint64                    to);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyBusinessHours, picky_business_hours_unref)

G_END_DECLS
