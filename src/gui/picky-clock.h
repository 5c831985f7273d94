/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one minute tick that every relative time on screen follows. */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define PICKY_TYPE_CLOCK (picky_clock_get_type ())

G_DECLARE_FINAL_TYPE (PickyClock, picky_clock, PICKY, CLOCK, GObject)

PickyClock *picky_clock_get_default (void);
gint64      picky_clock_get_now     (PickyClock *self);
void        picky_clock_set_now     (PickyClock *self,
                                     gint64      now);

G_END_DECLS
