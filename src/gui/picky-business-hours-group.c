/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Preferences group "Business Hours": whether report waits count working time only, and which. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-business-hours-group.h"

/* The times offered, every half hour. */
#define STEP_MINUTES 30
#define N_TIMES (24 * 60 / STEP_MINUTES)

struct _PickyBusinessHoursGroup
{
  AdwPreferencesGroup parent_instance;

  /* template widgets */
  AdwExpanderRow *enabled_row;
  GtkBox         *days_box;
  AdwComboRow    *start_row;
  AdwComboRow    *end_row;

  /* owned */
  GSettings      *settings;
  GtkToggleButton *days[7];
};

G_DEFINE_FINAL_TYPE (PickyBusinessHoursGroup, picky_business_hours_group, ADW_TYPE_PREFERENCES_GROUP)

static void
on_day_toggled_cb (PickyBusinessHoursGroup *self)
{
  g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("ai"));

  for (guint d = 0; d < G_N_ELEMENTS (self->days); d++)
    if (gtk_toggle_button_get_active (self->days[d]))
      g_variant_builder_add (builder, "i", (gint32) d + 1);

  g_settings_set_value (self->settings, "business-days", g_variant_builder_end (builder));
}

static void
on_time_selected_cb (AdwComboRow             *row,
                     GParamSpec              *pspec,
                     PickyBusinessHoursGroup *self)
{
  guint selected = adw_combo_row_get_selected (row);
  const char *key = row == self->start_row ? "business-hours-start" : "business-hours-end";

  if (selected != GTK_INVALID_LIST_POSITION &&
      g_settings_get_int (self->settings, key) != (int) (selected * STEP_MINUTES))
    g_settings_set_int (self->settings, key, selected * STEP_MINUTES);
}

static void
load_days (PickyBusinessHoursGroup *self)
{
  g_autoptr(GVariant) days = g_settings_get_value (self->settings, "business-days");
  gboolean on[7] = { FALSE };
  GVariantIter iter;
  gint32 day;

  g_variant_iter_init (&iter, days);
  while (g_variant_iter_next (&iter, "i", &day))
    if (day >= 1 && day <= 7)
      on[day - 1] = TRUE;

  for (guint d = 0; d < G_N_ELEMENTS (self->days); d++)
    {
      g_signal_handlers_block_by_func (self->days[d], on_day_toggled_cb, self);
      gtk_toggle_button_set_active (self->days[d], on[d]);
      g_signal_handlers_unblock_by_func (self->days[d], on_day_toggled_cb, self);
    }
}

static void
load_time (AdwComboRow *row,
           GSettings   *settings,
           const char  *key)
{
  int minutes = g_settings_get_int (settings, key);

  adw_combo_row_set_selected (row, (guint) CLAMP (minutes / STEP_MINUTES, 0, N_TIMES - 1));
}

static void
on_settings_changed_cb (PickyBusinessHoursGroup *self,
                        const char              *key)
{
  if (g_str_equal (key, "business-days"))
    load_days (self);
  else if (g_str_equal (key, "business-hours-start"))
    load_time (self->start_row, self->settings, key);
  else if (g_str_equal (key, "business-hours-end"))
    load_time (self->end_row, self->settings, key);
}

static void
fill_days (PickyBusinessHoursGroup *self)
{
  /* Translators: short weekday names on the day buttons of business hours;
   * seven of them share a row 300 pixels wide, so keep each to a few letters
   * (the full name is the button's tooltip), e.g. a single letter in Arabic */
  const char *short_names[7] = {
    NC_("weekday", "Mon"), NC_("weekday", "Tue"), NC_("weekday", "Wed"), NC_("weekday", "Thu"),
    NC_("weekday", "Fri"), NC_("weekday", "Sat"), NC_("weekday", "Sun"),
  };
  const char *names[7] = {
    NC_("weekday", "Monday"), NC_("weekday", "Tuesday"), NC_("weekday", "Wednesday"),
    NC_("weekday", "Thursday"), NC_("weekday", "Friday"), NC_("weekday", "Saturday"), NC_("weekday", "Sunday"),
  };

  for (guint d = 0; d < G_N_ELEMENTS (self->days); d++)
    {
      GtkWidget *button = gtk_toggle_button_new_with_label (g_dpgettext2 (NULL, "weekday", short_names[d]));

      /* The short name is what fits seven to a phone's row; the full one
       * is what a pointer and a screen reader get. */
      gtk_widget_set_tooltip_text (button, g_dpgettext2 (NULL, "weekday", names[d]));
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      g_dpgettext2 (NULL, "weekday", names[d]), -1);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_add_css_class (button, "circular");
      g_signal_connect_swapped (button, "toggled", G_CALLBACK (on_day_toggled_cb), self);
      gtk_box_append (self->days_box, button);
      self->days[d] = GTK_TOGGLE_BUTTON (button);
    }
}

static void
fill_times (PickyBusinessHoursGroup *self)
{
  g_autoptr(GtkStringList) times = gtk_string_list_new (NULL);

  for (guint i = 0; i < N_TIMES; i++)
    {
      g_autofree char *text = g_strdup_printf ("%02u:%02u", i * STEP_MINUTES / 60, i * STEP_MINUTES % 60);

      gtk_string_list_append (times, text);
    }

  adw_combo_row_set_model (self->start_row, G_LIST_MODEL (times));
  adw_combo_row_set_model (self->end_row, G_LIST_MODEL (times));
}

static void
picky_business_hours_group_dispose (GObject *object)
{
  PickyBusinessHoursGroup *self = PICKY_BUSINESS_HOURS_GROUP (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (picky_business_hours_group_parent_class)->dispose (object);
}

static void
picky_business_hours_group_class_init (PickyBusinessHoursGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_business_hours_group_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-business-hours-group.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyBusinessHoursGroup, enabled_row);
  gtk_widget_class_bind_template_child (widget_class, PickyBusinessHoursGroup, days_box);
  gtk_widget_class_bind_template_child (widget_class, PickyBusinessHoursGroup, start_row);
  gtk_widget_class_bind_template_child (widget_class, PickyBusinessHoursGroup, end_row);
}

static void
picky_business_hours_group_init (PickyBusinessHoursGroup *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APPLICATION_ID);
  fill_days (self);
  fill_times (self);
  load_days (self);
  load_time (self->start_row, self->settings, "business-hours-start");
  load_time (self->end_row, self->settings, "business-hours-end");
  g_settings_bind (self->settings, "business-hours", self->enabled_row, "enable-expansion",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect (self->start_row, "notify::selected", G_CALLBACK (on_time_selected_cb), self);
  g_signal_connect (self->end_row, "notify::selected", G_CALLBACK (on_time_selected_cb), self);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_settings_changed_cb), self,
                           G_CONNECT_SWAPPED);
}
