/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Preferences in a real window: the language choice is stored and announced. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-preferences-window.h"
#include "picky-test-gui.h"

static PickyPreferencesWindow *
open_preferences (void)
{
  PickyPreferencesWindow *window = picky_preferences_window_new (NULL);

  gtk_window_present (GTK_WINDOW (window));
  picky_test_gui_wait_mapped (GTK_WIDGET (window));
  return window;
}

static AdwComboRow *
language_row (PickyPreferencesWindow *window)
{
  return ADW_COMBO_ROW (picky_test_gui_find_named (GTK_WIDGET (window), ADW_TYPE_COMBO_ROW, "Language"));
}

static guint
find_item (AdwComboRow *row,
           const char  *name)
{
  GListModel *model = adw_combo_row_get_model (row);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (model, i);

      if (g_strcmp0 (gtk_string_object_get_string (item), name) == 0)
        return i;
    }

  return GTK_INVALID_LIST_POSITION;
}

static gboolean
shows_label (GtkWidget  *root,
             const char *text)
{
  g_autoptr(GPtrArray) labels = picky_test_gui_find_all (root, GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    if (g_strcmp0 (gtk_label_get_label (g_ptr_array_index (labels, i)), text) == 0 &&
        gtk_widget_get_mapped (g_ptr_array_index (labels, i)))
      return TRUE;

  return FALSE;
}

typedef struct {
  GtkWidget  *root;
  const char *text;
} LabelWait;

static gboolean
label_shown (gpointer data)
{
  LabelWait *wait = data;

  return shows_label (wait->root, wait->text);
}

static void
test_preferences_language (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  PickyPreferencesWindow *window;
  AdwComboRow *row;
  guint german;
  LabelWait toast = { NULL, _("The language will change the next time Picky Console starts") };

  g_settings_set_string (settings, "language", "");

  window = open_preferences ();
  row = language_row (window);
  g_assert_nonnull (row);

  /* The system default comes first, then every language by its own name. */
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, 0);
  g_assert_cmpuint (find_item (row, _("System default")), ==, 0);
  german = find_item (row, "Deutsch");
  g_assert_cmpuint (german, !=, GTK_INVALID_LIST_POSITION);
  g_assert_false (shows_label (GTK_WIDGET (window), toast.text));

  adw_combo_row_set_selected (row, german);
  {
    g_autofree char *stored = g_settings_get_string (settings, "language");
    g_assert_cmpstr (stored, ==, "de");
  }
  toast.root = GTK_WIDGET (window);
  g_assert_true (picky_test_wait_until (label_shown, &toast, 2000));
  gtk_window_destroy (GTK_WINDOW (window));

  /* Opened again, the stored choice is shown; going back to the default clears it. */
  window = open_preferences ();
  row = language_row (window);
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, german);
  adw_combo_row_set_selected (row, 0);
  {
    g_autofree char *stored = g_settings_get_string (settings, "language");
    g_assert_cmpstr (stored, ==, "");
  }
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_preferences_background (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  PickyPreferencesWindow *window;
  GtkSwitch *widget;

  g_settings_set_boolean (settings, "run-in-background", FALSE);
  window = open_preferences ();
  widget = GTK_SWITCH (picky_test_gui_find_named (GTK_WIDGET (window), GTK_TYPE_SWITCH,
                                                    "Keep Receiving When Closed"));
  g_assert_nonnull (widget);
  g_assert_false (gtk_switch_get_active (widget));

  gtk_switch_set_active (widget, TRUE);
  g_assert_true (g_settings_get_boolean (settings, "run-in-background"));

  /* A switch per app, called what it does, not only after its row. */
  g_assert_nonnull (picky_test_gui_find_named (GTK_WIDGET (window), GTK_TYPE_SWITCH,
                                               "Notify about WhatsApp messages"));

  gtk_window_destroy (GTK_WINDOW (window));
  g_settings_set_boolean (settings, "run-in-background", FALSE);
}

static void
test_preferences_webhook (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autofree char *address = NULL;
  PickyPreferencesWindow *window;
  AdwEntryRow *row;
  GtkSpinButton *port;

  g_settings_reset (settings, "webhook-address");
  g_settings_reset (settings, "webhook-port");
  window = open_preferences ();
  row = ADW_ENTRY_ROW (picky_test_gui_find_named (GTK_WIDGET (window), ADW_TYPE_ENTRY_ROW, "Listening Address"));
  port = GTK_SPIN_BUTTON (picky_test_gui_find_named (GTK_WIDGET (window), GTK_TYPE_SPIN_BUTTON, "Port"));
  g_assert_nonnull (row);
  g_assert_nonnull (port);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "127.0.0.1");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (port), ==, 8765);

  /* A host name is refused: the listener binds to what the admin wrote. */
  gtk_editable_set_text (GTK_EDITABLE (row), "example.org");
  g_signal_emit_by_name (row, "apply");
  address = g_settings_get_string (settings, "webhook-address");
  g_assert_cmpstr (address, ==, "127.0.0.1");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "error"));

  gtk_editable_set_text (GTK_EDITABLE (row), " 0.0.0.0 ");
  g_signal_emit_by_name (row, "apply");
  g_clear_pointer (&address, g_free);
  address = g_settings_get_string (settings, "webhook-address");
  g_assert_cmpstr (address, ==, "0.0.0.0");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), "error"));

  gtk_spin_button_set_value (port, 9090);
  g_assert_cmpint (g_settings_get_int (settings, "webhook-port"), ==, 9090);

  gtk_window_destroy (GTK_WINDOW (window));
  g_settings_reset (settings, "webhook-address");
  g_settings_reset (settings, "webhook-port");
}

/* Keep Messages stores days in retention-days: a preset as its number, any
 * other number through the row that asks for it, and shows what is stored. */
static void
test_preferences_retention (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  PickyPreferencesWindow *window;
  AdwComboRow *row;
  GtkSpinButton *days;

  g_settings_reset (settings, "retention-days");
  window = open_preferences ();
  row = ADW_COMBO_ROW (picky_test_gui_find_named (GTK_WIDGET (window), ADW_TYPE_COMBO_ROW, "Keep Messages"));
  days = GTK_SPIN_BUTTON (picky_test_gui_find_named (GTK_WIDGET (window), GTK_TYPE_SPIN_BUTTON, "Days to Keep"));
  g_assert_nonnull (row);
  g_assert_nonnull (days);

  /* Forever by default, and the number of days is asked for only when chosen. */
  g_assert_cmpint (g_settings_get_int (settings, "retention-days"), ==, 0);
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, find_item (row, _("Forever")));
  g_assert_false (gtk_widget_get_visible (gtk_widget_get_ancestor (GTK_WIDGET (days), ADW_TYPE_ACTION_ROW)));

  adw_combo_row_set_selected (row, find_item (row, _("90 days")));
  g_assert_cmpint (g_settings_get_int (settings, "retention-days"), ==, 90);
  adw_combo_row_set_selected (row, find_item (row, _("2 years")));
  g_assert_cmpint (g_settings_get_int (settings, "retention-days"), ==, 730);

  adw_combo_row_set_selected (row, find_item (row, _("A number of days")));
  g_assert_true (gtk_widget_get_visible (gtk_widget_get_ancestor (GTK_WIDGET (days), ADW_TYPE_ACTION_ROW)));
  g_assert_cmpint (g_settings_get_int (settings, "retention-days"), ==, gtk_spin_button_get_value_as_int (days));
  gtk_spin_button_set_value (days, 45);
  g_assert_cmpint (g_settings_get_int (settings, "retention-days"), ==, 45);
  gtk_window_destroy (GTK_WINDOW (window));

  /* Opened again: the number stays a number, a preset shows as the preset. */
  window = open_preferences ();
  row = ADW_COMBO_ROW (picky_test_gui_find_named (GTK_WIDGET (window), ADW_TYPE_COMBO_ROW, "Keep Messages"));
  days = GTK_SPIN_BUTTON (picky_test_gui_find_named (GTK_WIDGET (window), GTK_TYPE_SPIN_BUTTON, "Days to Keep"));
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, find_item (row, _("A number of days")));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (days), ==, 45);
  gtk_window_destroy (GTK_WINDOW (window));

  g_settings_set_int (settings, "retention-days", 365);
  window = open_preferences ();
  row = ADW_COMBO_ROW (picky_test_gui_find_named (GTK_WIDGET (window), ADW_TYPE_COMBO_ROW, "Keep Messages"));
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, find_item (row, _("1 year")));
  g_assert_cmpint (g_settings_get_int (settings, "retention-days"), ==, 365);
  gtk_window_destroy (GTK_WINDOW (window));

  g_settings_reset (settings, "retention-days");
}

int
main (int   argc,
      char *argv[])
{
  picky_test_gui_init (&argc, &argv);

  g_test_add_func ("/picky/preferences/language", test_preferences_language);
  g_test_add_func ("/picky/preferences/background", test_preferences_background);
  g_test_add_func ("/picky/preferences/webhook", test_preferences_webhook);
  g_test_add_func ("/picky/preferences/retention", test_preferences_retention);

  return g_test_run ();
}
