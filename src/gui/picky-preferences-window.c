/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Preferences: the choices the console remembers for the admin, such as the language. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-app-catalog.h"
#include "picky-audit-log-page.h"
#include "picky-business-hours-group.h"
#include "picky-languages.h"
#include "picky-preferences-window.h"

/* What Keep Messages offers, in days, in the order of its items; the item
 * after them asks for a number of days. 0 keeps messages for ever. */
static const int retention_presets[] = { 0, 30, 90, 365, 730 };

struct _PickyPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* template widgets */
  AdwComboRow *language_row;
  GtkSwitch   *background_switch;
  AdwEntryRow *address_row;
  GtkSpinButton *port_button;
  GtkSwitch   *privacy_switch;
  AdwExpanderRow *muted_row;
  AdwComboRow *retention_row;
  AdwActionRow *retention_days_row;
  GtkSpinButton *retention_days_button;

  /* owned */
  PickyService *service;
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
on_address_row_apply_cb (PickyPreferencesWindow *self)
{
  g_autofree char *address = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->address_row))));
  g_autoptr(GInetAddress) parsed = g_inet_address_new_from_string (address);

  /* Only a literal address: a name could resolve to anything, and binding
   * to every interface must be a deliberate "0.0.0.0" or "::". */
  if (parsed == NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->address_row), "error");
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                        adw_toast_new (_("Enter an IP address such as 127.0.0.1")));
      return;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self->address_row), "error");
  g_settings_set_string (self->settings, "webhook-address", address);
}

static void
picky_preferences_window_load_address (PickyPreferencesWindow *self)
{
  g_autofree char *address = g_settings_get_string (self->settings, "webhook-address");

  gtk_editable_set_text (GTK_EDITABLE (self->address_row), address);
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
on_retention_row_selected_cb (PickyPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->retention_row);
  gboolean custom = selected >= G_N_ELEMENTS (retention_presets);
  int days;

  if (selected == GTK_INVALID_LIST_POSITION)
    return;

  gtk_widget_set_visible (GTK_WIDGET (self->retention_days_row), custom);
  days = custom ? gtk_spin_button_get_value_as_int (self->retention_days_button)
                : retention_presets[selected];
  if (g_settings_get_int (self->settings, "retention-days") != days)
    g_settings_set_int (self->settings, "retention-days", days);
}

static void
on_retention_days_changed_cb (PickyPreferencesWindow *self)
{
  int days = gtk_spin_button_get_value_as_int (self->retention_days_button);

  if (gtk_widget_get_visible (GTK_WIDGET (self->retention_days_row)) &&
      g_settings_get_int (self->settings, "retention-days") != days)
    g_settings_set_int (self->settings, "retention-days", days);
}

/* A stored number of days that is one of the presets shows as that preset,
 * any other as the number itself. */
static void
picky_preferences_window_load_retention (PickyPreferencesWindow *self)
{
  int days = g_settings_get_int (self->settings, "retention-days");
  guint selected = G_N_ELEMENTS (retention_presets);

  for (guint i = 0; i < G_N_ELEMENTS (retention_presets); i++)
    if (retention_presets[i] == days)
      selected = i;

  if (selected == G_N_ELEMENTS (retention_presets))
    gtk_spin_button_set_value (self->retention_days_button, days);
  gtk_widget_set_visible (GTK_WIDGET (self->retention_days_row), selected == G_N_ELEMENTS (retention_presets));
  adw_combo_row_set_selected (self->retention_row, selected);
}

static void
on_audit_row_activated_cb (PickyPreferencesWindow *self)
{
  PickyStore *store = self->service != NULL ? picky_service_get_store (self->service) : NULL;
  PickyAuditLogPage *page;

  if (store == NULL)
    {
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                        adw_toast_new (_("The audit log can be read once the database is open")));
      return;
    }

  page = picky_audit_log_page_new (store);
  adw_preferences_window_present_subpage (ADW_PREFERENCES_WINDOW (self), GTK_WIDGET (page));
}

static void
picky_preferences_window_dispose (GObject *object)
{
  PickyPreferencesWindow *self = PICKY_PREFERENCES_WINDOW (object);

  g_clear_object (&self->service);

  G_OBJECT_CLASS (picky_preferences_window_parent_class)->dispose (object);
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

  object_class->dispose = picky_preferences_window_dispose;
  object_class->finalize = picky_preferences_window_finalize;

  g_type_ensure (PICKY_TYPE_BUSINESS_HOURS_GROUP);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyPreferencesWindow, language_row);
  gtk_widget_class_bind_template_child (widget_class, PickyPreferencesWindow, background_switch);
  gtk_widget_class_bind_template_child (widget_class, PickyPreferencesWindow, address_row);
  gtk_widget_class_bind_template_child (widget_class, PickyPreferencesWindow, port_button);
  gtk_widget_class_bind_template_callback (widget_class, on_address_row_apply_cb);
  gtk_widget_class_bind_template_child (widget_class, PickyPreferencesWindow, privacy_switch);
  gtk_widget_class_bind_template_child (widget_class, PickyPreferencesWindow, muted_row);
  gtk_widget_class_bind_template_callback (widget_class, on_language_row_selected_cb);
  gtk_widget_class_bind_template_child (widget_class, PickyPreferencesWindow, retention_row);
  gtk_widget_class_bind_template_child (widget_class, PickyPreferencesWindow, retention_days_row);
  gtk_widget_class_bind_template_child (widget_class, PickyPreferencesWindow, retention_days_button);
  gtk_widget_class_bind_template_callback (widget_class, on_retention_row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_retention_days_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_audit_row_activated_cb);
}

static void
on_notify_switch_active_cb (GtkSwitch              *widget,
                            GParamSpec             *pspec,
                            PickyPreferencesWindow *self)
{
  const char *app_id = g_object_get_data (G_OBJECT (widget), "picky-app-id");
  g_auto(GStrv) muted = g_settings_get_strv (self->settings, "notify-muted-apps");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) updated = NULL;
  gboolean active = gtk_switch_get_active (widget);

  /* The switch says "notify", the key lists the apps that do not. */
  if (active != g_strv_contains ((const char * const *) muted, app_id))
    return;

  for (guint i = 0; muted[i] != NULL; i++)
    if (g_strcmp0 (muted[i], app_id) != 0)
      g_strv_builder_add (builder, muted[i]);
  if (!active)
    g_strv_builder_add (builder, app_id);
  updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "notify-muted-apps", (const char * const *) updated);
}

static void
picky_preferences_window_fill_muted (PickyPreferencesWindow *self)
{
  const PickyAppInfo * const *apps = picky_app_catalog_list ();
  g_auto(GStrv) muted = g_settings_get_strv (self->settings, "notify-muted-apps");

  for (guint i = 0; apps[i] != NULL; i++)
    {
      const char *name = picky_app_info_get_display_name (apps[i]);
      g_autofree char *label = NULL;
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *widget = gtk_switch_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_icon_name (ADW_ACTION_ROW (row), picky_app_info_get_icon_name (apps[i]));
      gtk_widget_set_valign (widget, GTK_ALIGN_CENTER);
      gtk_switch_set_active (GTK_SWITCH (widget),
                             !g_strv_contains ((const char * const *) muted, picky_app_info_get_id (apps[i])));
      /* Translators: the accessible name of a switch, e.g. "Notify about WhatsApp messages" */
      label = g_strdup_printf (_("Notify about %s messages"), name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
      g_object_set_data_full (G_OBJECT (widget), "picky-app-id", g_strdup (picky_app_info_get_id (apps[i])), g_free);
      g_signal_connect_object (widget, "notify::active", G_CALLBACK (on_notify_switch_active_cb), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), widget);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), widget);
      /* The row labels the switch with its title too, which a screen reader
       * would read after the switch's own name. */
      gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
      adw_expander_row_add_row (self->muted_row, row);
    }
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
  g_settings_bind (self->settings, "webhook-port",
                   self->port_button, "value", G_SETTINGS_BIND_DEFAULT);
  picky_preferences_window_load_address (self);
  g_settings_bind (self->settings, "notify-privacy",
                   self->privacy_switch, "active", G_SETTINGS_BIND_DEFAULT);
  picky_preferences_window_fill_muted (self);
  picky_preferences_window_load_retention (self);
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

/**
 * picky_preferences_window_set_service:
 * @service: the keyring, store and channels behind the window
 *
 * Gives the Privacy page the store whose audit log it shows.
 */
void
picky_preferences_window_set_service (PickyPreferencesWindow *self,
                                      PickyService           *service)
{
  g_return_if_fail (PICKY_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (service == NULL || PICKY_IS_SERVICE (service));

  g_set_object (&self->service, service);
}
