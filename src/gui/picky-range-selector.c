/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The days a list or report covers: 7, 30 or 90 days, this or last month, or chosen on calendars. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-range-selector.h"
#include "picky-report.h"

struct _PickyRangeSelector
{
  GtkBox        parent_instance;

  /* template widgets */
  GtkDropDown  *preset_dropdown;
  GtkMenuButton *custom_button;
  GtkPopover   *custom_popover;
  GtkCalendar  *from_calendar;
  GtkCalendar  *to_calendar;

  /* owned */
  GDate         first;
  GDate         last;
};

G_DEFINE_FINAL_TYPE (PickyRangeSelector, picky_range_selector, GTK_TYPE_BOX)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* In the order of the drop-down's items; the last is the custom range. */
static const char *presets[] = { "7d", "30d", "90d", "this-month", "last-month" };

static void
date_from_calendar (GtkCalendar *calendar,
                    GDate       *date)
{
  g_autoptr(GDateTime) time = gtk_calendar_get_date (calendar);

  g_date_clear (date, 1);
  g_date_set_dmy (date, g_date_time_get_day_of_month (time), g_date_time_get_month (time),
                  g_date_time_get_year (time));
}

static void
calendar_from_date (GtkCalendar *calendar,
                    const GDate *date)
{
  g_autoptr(GDateTime) time = g_date_time_new_local (g_date_get_year (date), g_date_get_month (date),
                                                     g_date_get_day (date), 12, 0, 0);

  gtk_calendar_select_day (calendar, time);
}

static void
apply_preset (PickyRangeSelector *self)
{
  guint selected = gtk_drop_down_get_selected (self->preset_dropdown);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  gtk_widget_set_visible (GTK_WIDGET (self->custom_button), selected >= G_N_ELEMENTS (presets));
  if (selected >= G_N_ELEMENTS (presets))
    {
      /* The calendars start from the range shown so far. */
      calendar_from_date (self->from_calendar, &self->first);
      calendar_from_date (self->to_calendar, &self->last);
      gtk_menu_button_popup (self->custom_button);
      return;
    }

  picky_report_resolve_range (presets[selected], now, &self->first, &self->last, NULL);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_preset_dropdown_selected_cb (PickyRangeSelector *self)
{
  apply_preset (self);
}

static void
on_apply_button_clicked_cb (PickyRangeSelector *self)
{
  GDate first, last;

  date_from_calendar (self->from_calendar, &first);
  date_from_calendar (self->to_calendar, &last);
  /* Either order means the days between. */
  if (g_date_compare (&first, &last) > 0)
    {
      GDate swap = first;

      first = last;
      last = swap;
    }

  gtk_popover_popdown (self->custom_popover);
  picky_range_selector_set_custom (self, &first, &last);
}

static void
picky_range_selector_class_init (PickyRangeSelectorClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  /**
   * PickyRangeSelector::changed:
   *
   * Emitted when the days chosen change.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-range-selector.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyRangeSelector, preset_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PickyRangeSelector, custom_button);
  gtk_widget_class_bind_template_child (widget_class, PickyRangeSelector, custom_popover);
  gtk_widget_class_bind_template_child (widget_class, PickyRangeSelector, from_calendar);
  gtk_widget_class_bind_template_child (widget_class, PickyRangeSelector, to_calendar);
  gtk_widget_class_bind_template_callback (widget_class, on_preset_dropdown_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_apply_button_clicked_cb);
}

static void
picky_range_selector_init (PickyRangeSelector *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  gtk_widget_init_template (GTK_WIDGET (self));

  picky_report_resolve_range (presets[gtk_drop_down_get_selected (self->preset_dropdown)], now,
                              &self->first, &self->last, NULL);
}

/**
 * picky_range_selector_get_dates:
 * @first: (out caller-allocates): the first day chosen
 * @last: (out caller-allocates): the last day chosen, included
 */
void
picky_range_selector_get_dates (PickyRangeSelector *self,
                                GDate              *first,
                                GDate              *last)
{
  g_return_if_fail (PICKY_IS_RANGE_SELECTOR (self));

  if (first != NULL)
    *first = self->first;
  if (last != NULL)
    *last = self->last;
}

/**
 * picky_range_selector_set_custom:
 *
 * Chooses a custom range of days, as the calendars do.
 */
void
picky_range_selector_set_custom (PickyRangeSelector *self,
                                 const GDate        *first,
                                 const GDate        *last)
{
  g_return_if_fail (PICKY_IS_RANGE_SELECTOR (self));
  g_return_if_fail (g_date_valid (first) && g_date_valid (last));
  g_return_if_fail (g_date_compare (first, last) <= 0);

  self->first = *first;
  self->last = *last;

  g_signal_handlers_block_by_func (self->preset_dropdown, on_preset_dropdown_selected_cb, self);
  gtk_drop_down_set_selected (self->preset_dropdown, G_N_ELEMENTS (presets));
  g_signal_handlers_unblock_by_func (self->preset_dropdown, on_preset_dropdown_selected_cb, self);
  gtk_widget_set_visible (GTK_WIDGET (self->custom_button), TRUE);

  g_signal_emit (self, signals[CHANGED], 0);
}
