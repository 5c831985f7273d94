/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The days a list or report covers: 7, 30 or 90 days, this or last month, or chosen on calendars. */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PICKY_TYPE_RANGE_SELECTOR (picky_range_selector_get_type ())

G_DECLARE_FINAL_TYPE (PickyRangeSelector, picky_range_selector, PICKY, RANGE_SELECTOR, GtkBox)

void picky_range_selector_get_dates  (PickyRangeSelector *self,
                                      GDate              *first,
                                      GDate              *last);
void picky_range_selector_set_custom (PickyRangeSelector *self,
                                      const GDate        *first,
                                      const GDate        *last);

G_END_DECLS
