/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Preferences: the choices the console remembers for the admin, such as the language. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-languages.h"
#include "picky-preferences-window.h"

struct _PickyPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* template widgets */
  AdwComboRow *language_row;
  GtkSwitch   *background_switch;

  /* owned */
  GSettings   *settings;
  GStrv        codes;      /* codes[i] belongs to row item i + 1; item 0 is the system default */
};

G_DEFINE_FINAL_TYPE (PickyPreferencesWindow, picky_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
on_language_row_selected_cb (PickyPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->language_row);
  const char *code = selected == 0 ? "" : self->codes[selected - 1];
  g_autofree char *stored = g_settings_get_string (self->settings, "language");

  if (selected == GTK_INVALID_LIST_POSITION || g_strcmp0 (stored, code) == 0)
    return;

  g_settings_set_string (self->settings, "language", code);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("The language will change the next time Picky Console starts")));
}

static void
picky_preferences_window_fill_languages (PickyPreferencesWindow *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *stored = g_settings_get_string (self->settings, "language");
  guint selected = 0;

  gtk_string_list_append (names, _("System default"));
  for (guint i = 0; self->codes[i] != NULL; i++)
    {
      g_autofree char *name = picky_languages_get_native_name (self->codes[i]);

      gtk_string_list_append (names, name);
      if (g_strcmp0 (stored, self->codes[i]) == 0)
        selected = i + 1;
    }

  adw_combo_row_set_model (self->language_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->language_row, selected);
}

static void
picky_preferences_window_finalize (GObject *object)
{
  PickyPreferencesWindow *self = PICKY_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_pointer (&self->codes, g_strfreev);

  G_OBJECT_CLASS (picky_preferences_window_parent_class)->finalize (object);
}

static void
picky_preferences_window_class_init (PickyPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = picky_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyPreferencesWindow, language_row);
  gtk_widget_class_bind_template_child (widget_class, PickyPreferencesWindow, background_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_language_row_selected_cb);
}

static void
picky_preferences_window_init (PickyPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APPLICATION_ID);
  self->codes = picky_languages_get_shipped ();
  picky_preferences_window_fill_languages (self);
  g_settings_bind (self->settings, "run-in-background",
                   self->background_switch, "active", G_SETTINGS_BIND_DEFAULT);
}

/**
 * picky_preferences_window_new:
 * @parent: (nullable): the window the preferences belong to
 *
 * Returns: (transfer full): a new preferences window
 */
PickyPreferencesWindow *
picky_preferences_window_new (GtkWindow *parent)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  return g_object_new (PICKY_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       NULL);
}
