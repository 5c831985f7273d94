/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The application: app-wide actions, the About window and window creation. */

#include "config.h"

#include <glib/gi18n.h>

#include <gio/gunixinputstream.h>
#include <unistd.h>

#include "picky-accessible.h"
#include "picky-application.h"
#include "picky-languages.h"
#include "picky-notifier.h"
#include "picky-command.h"
#include "picky-command-bus.h"
#include "picky-command-line.h"
#include "picky-conversation-command.h"
#include "picky-preferences-window.h"
#include "picky-privacy-command.h"
#include "picky-report-command.h"
#include "picky-window.h"

struct _PickyApplication
{
  AdwApplication parent_instance;

  /* owned */
  PickyService  *service;
  PickyNotifier *notifier;
  PickyCommandBus *commands;
  GSettings     *settings;
  gboolean       held;
};

G_DEFINE_FINAL_TYPE (PickyApplication, picky_application, ADW_TYPE_APPLICATION)

static void
picky_application_about (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  PickyApplication *self = user_data;
  static const char *developers[] = {
    "The Picky Console developers",
    NULL
  };
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  AdwAboutWindow *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "application-name", _("Picky Console"),
                        "application-icon", APPLICATION_ID,
                        "developer-name", _("The Picky Console developers"),
                        "version", PACKAGE_VERSION,
                        "website", PACKAGE_WEBSITE,
                        "issue-url", PACKAGE_WEBSITE "/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "copyright", _("© 2026 The Picky Console developers"),
                        "developers", developers,
                        /* Translators: put your names here, one per line. */
                        "translator-credits", _("translator-credits"),
                        "transient-for", window,
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
picky_application_preferences (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  PickyApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  PickyPreferencesWindow *preferences;

  preferences = picky_preferences_window_new (window);
  picky_preferences_window_set_service (preferences, self->service);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
picky_application_quit (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  PickyApplication *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* Closing rather than destroying lets each window save its state. */
  for (GList *l = windows; l != NULL;)
    {
      GtkWindow *window = l->data;

      l = l->next;
      gtk_window_close (window);
    }

  /* Ends a console kept running in the background, too. */
  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_actions[] = {
  { "about", picky_application_about },
  { "preferences", picky_application_preferences },
  { "quit", picky_application_quit },
};

static void
picky_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (picky_window_new (PICKY_APPLICATION (app)));

  gtk_window_present (window);
}

static void
on_service_started_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The Channels page shows the error and offers to try again. */
  if (!picky_service_start_finish (PICKY_SERVICE (object), result, &error))
    g_message ("The console could not start its channels: %s", error->message);
}

/* The build folder this binary runs from, when it runs from one: there,
 * <build>/src/picky-console has its compiled schema in <build>/data. */
static char *
find_build_dir (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *src = NULL;
  g_autofree char *build = NULL;
  g_autofree char *compiled = NULL;

  if (exe == NULL)
    return NULL;

  src = g_path_get_dirname (exe);
  build = g_path_get_dirname (src);
  compiled = g_build_filename (build, "data", "gschemas.compiled", NULL);
  if (!g_file_test (compiled, G_FILE_TEST_IS_REGULAR))
    return NULL;

  return g_steal_pointer (&build);
}

/**
 * picky_application_check_settings:
 * @error: return location for what is missing and how to run the console
 *
 * GSettings aborts the process when a schema is missing, which is what
 * running the binary straight from its build folder meets; this says so
 * in words instead, before any setting is read.
 *
 * Returns: whether the console's settings schema is installed
 */
gboolean
picky_application_check_settings (GError **error)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autofree char *build = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema != NULL)
    return TRUE;

  build = find_build_dir ();
  /* Translators: the first %s is a schema id; the others are the build
   * folder, or “BUILD” when it is not known. Keep the commands as they are. */
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               _("The settings schema %s is not installed. To run Picky Console from its build "
                 "folder, start it with “meson devenv -C %s picky-console”, or set "
                 "GSETTINGS_SCHEMA_DIR=%s/data"),
               APPLICATION_ID, build != NULL ? build : "BUILD", build != NULL ? build : "BUILD");
  return FALSE;
}

static int
picky_application_handle_local_options (GApplication *app,
                                        GVariantDict *options)
{
  g_autoptr(GInputStream) secrets_in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  g_autoptr(GError) error = NULL;
  int status;

  /* --help has been answered by now, without any setting. */
  if (!picky_application_check_settings (&error) ||
      !picky_command_line_apply_keyring_timeout (options, &error))
    {
      picky_command_print_error (error->message);
      return 1;
    }

  /* Headless running, provisioning and report exports never touch GTK:
   * they must work where there is no display at all. */
  status = picky_privacy_command_run (options);
  if (status >= 0)
    return status;
  status = picky_report_command_run (options);
  if (status >= 0)
    return status;

  status = picky_conversation_command_run (options, secrets_in);
  if (status >= 0)
    return status;

  return picky_command_line_run (options, secrets_in);
}

/* Holding the application keeps it, and so the channels, running with no
 * window open; app.quit still ends it. */
static void
update_background_hold (PickyApplication *self)
{
  gboolean wanted = g_settings_get_boolean (self->settings, "run-in-background");

  if (wanted == self->held)
    return;

  self->held = wanted;
  if (wanted)
    g_application_hold (G_APPLICATION (self));
  else
    g_application_release (G_APPLICATION (self));
}

static void
picky_application_shutdown (GApplication *app)
{
  PickyApplication *self = PICKY_APPLICATION (app);

  g_clear_pointer (&self->commands, picky_command_bus_free);
  if (self->service != NULL)
    picky_service_shutdown (self->service);

  G_APPLICATION_CLASS (picky_application_parent_class)->shutdown (app);
}

/* A script's own font before the interface font (see
 * picky_languages_get_script_font()); Latin text still comes from the
 * interface font. Windows pass the family on to everything in them. */
static void
use_script_font (void)
{
  const char *family = picky_languages_get_script_font ();
  g_autofree char *interface_font = NULL;
  g_autoptr(PangoFontDescription) description = NULL;
  g_autoptr(GtkCssProvider) provider = NULL;
  g_autofree char *css = NULL;

  if (family == NULL)
    return;
  g_object_get (gtk_settings_get_default (), "gtk-font-name", &interface_font, NULL);
  description = pango_font_description_from_string (interface_font != NULL ? interface_font : "Sans");
  css = g_strdup_printf ("window, tooltip { font-family: \"%s\", \"%s\"; }", family,
                         pango_font_description_get_family (description) != NULL
                         ? pango_font_description_get_family (description) : "Sans");
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, css, -1);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
picky_application_startup (GApplication *app)
{
  PickyApplication *self = PICKY_APPLICATION (app);

  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (picky_application_parent_class)->startup (app);

  gtk_window_set_default_icon_name (APPLICATION_ID);
  picky_accessible_init ();
  use_script_font ();

  g_action_map_add_action_entries (G_ACTION_MAP (app),
                                   app_actions, G_N_ELEMENTS (app_actions),
                                   app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences",
                                         preferences_accels);

  /* Made here rather than in init: the service reads GSettings, which
   * --help and a missing schema must not reach. */
  self->service = picky_service_new (NULL);
  self->notifier = picky_notifier_new (GTK_APPLICATION (app), self->service);
  picky_service_start_async (self->service, TRUE, NULL, on_service_started_cb, NULL);

  /* --send, --list-channels and --list-conversations run in this process
   * while it runs, rather than open the database a second time. */
  if (g_application_get_dbus_connection (app) != NULL)
    {
      g_autoptr(GError) error = NULL;

      self->commands = picky_command_bus_export (g_application_get_dbus_connection (app), self->service, &error);
      if (self->commands == NULL)
        g_message ("The console cannot answer commands from other processes: %s", error->message);
    }

  self->settings = g_settings_new (APPLICATION_ID);
  g_signal_connect_object (self->settings, "changed::run-in-background",
                           G_CALLBACK (update_background_hold), self, G_CONNECT_SWAPPED);
  update_background_hold (self);
}

static void
picky_application_dispose (GObject *object)
{
  PickyApplication *self = PICKY_APPLICATION (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->notifier);
  g_clear_object (&self->service);

  G_OBJECT_CLASS (picky_application_parent_class)->dispose (object);
}

static void
picky_application_class_init (PickyApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = picky_application_activate;
  app_class->startup = picky_application_startup;
  app_class->shutdown = picky_application_shutdown;
  app_class->handle_local_options = picky_application_handle_local_options;
  object_class->dispose = picky_application_dispose;
}

static void
picky_application_init (PickyApplication *self)
{
  picky_command_line_add_options (G_APPLICATION (self));
  picky_report_command_add_options (G_APPLICATION (self));
  picky_conversation_command_add_options (G_APPLICATION (self));
  picky_privacy_command_add_options (G_APPLICATION (self));
}

/**
 * picky_application_new:
 *
 * Returns: (transfer full): the console's application object
 */
PickyApplication *
picky_application_new (void)
{
  return g_object_new (PICKY_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "resource-base-path", "/io/github/pickyconsole/PickyConsole",
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}

/**
 * picky_application_get_service:
 * @self: a #PickyApplication
 *
 * Returns: (transfer none) (nullable): the keyring, store and channels
 *   behind the windows; %NULL until the application started up
 */
PickyService *
picky_application_get_service (PickyApplication *self)
{
  g_return_val_if_fail (PICKY_IS_APPLICATION (self), NULL);

  return self->service;
}
