/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window in a real X window: pages, switcher, narrow layout, menus, saved size. */

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "picky-contacts-page.h"
#include "picky-preferences-window.h"
#include "picky-test-gui.h"
#include "picky-window.h"

static const char *page_names[] = { "inbox", "contacts", "channels" };
/* What the switcher's buttons are called, in the same order. */
static const char *page_titles[] = { "Inbox", "Contacts", "Channels" };

typedef struct {
  PickyApplication *app;
  PickyWindow      *window;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->app = picky_test_gui_application ();
  fixture->window = picky_window_new (fixture->app);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1000, 700);
  gtk_window_present (GTK_WINDOW (fixture->window));
  picky_test_gui_wait_mapped (GTK_WIDGET (fixture->window));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_object (&fixture->app);
}

static GtkWidget *
visible_page_widget (PickyWindow *window)
{
  /* The pages' stack is the one the header's switcher switches. */
  AdwViewSwitcherTitle *title = ADW_VIEW_SWITCHER_TITLE (picky_test_gui_find_only (GTK_WIDGET (window),
                                                                                   ADW_TYPE_VIEW_SWITCHER_TITLE));

  return adw_view_stack_get_visible_child (adw_view_switcher_title_get_stack (title));
}

static gboolean
shows_status_page (GtkWidget *page)
{
  g_autoptr(GPtrArray) status_pages = picky_test_gui_find_all (page, ADW_TYPE_STATUS_PAGE);

  for (guint i = 0; i < status_pages->len; i++)
    if (gtk_widget_get_mapped (g_ptr_array_index (status_pages, i)))
      return TRUE;

  return FALSE;
}

static void
test_window_pages_by_action (Fixture       *fixture,
                             gconstpointer  data)
{
  g_assert_cmpstr (picky_window_get_visible_page (fixture->window), ==, "inbox");

  for (guint i = G_N_ELEMENTS (page_names); i > 0; i--)
    {
      const char *name = page_names[i - 1];

      gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", name);
      picky_test_spin (50);
      g_assert_cmpstr (picky_window_get_visible_page (fixture->window), ==, name);
      g_assert_true (gtk_widget_get_mapped (visible_page_widget (fixture->window)));
      /* Inbox and Contacts start with an empty state that says what to do;
       * Channels always lists the apps and their switches. */
      if (g_strcmp0 (name, "channels") == 0)
        g_assert_nonnull (picky_test_gui_find_named (visible_page_widget (fixture->window),
                                                     GTK_TYPE_SWITCH, "Read WhatsApp messages"));
      else
        g_assert_true (shows_status_page (visible_page_widget (fixture->window)));
    }
}

/* The header's switcher title holds a wide and a narrow switcher and shows
 * one of them; the bottom bar holds one. The first is the one in use, and
 * the first button of a name is found in it. */
static GtkToggleButton *
switcher_button (GtkWidget  *switcher,
                 const char *title)
{
  GtkWidget *button = picky_test_gui_find_named (switcher, GTK_TYPE_TOGGLE_BUTTON, title);

  g_assert_nonnull (button);
  return GTK_TOGGLE_BUTTON (button);
}

typedef struct {
  PickyWindow *window;
  const char  *name;
} PageWait;

static gboolean
page_shown (gpointer data)
{
  PageWait *wait = data;

  return g_strcmp0 (picky_window_get_visible_page (wait->window), wait->name) == 0;
}

static void
click_through_switcher (PickyWindow *window,
                        GtkWidget   *switcher)
{
  for (guint i = G_N_ELEMENTS (page_names); i > 0; i--)
    {
      GtkToggleButton *button = switcher_button (switcher, page_titles[i - 1]);
      PageWait wait = { window, page_names[i - 1] };

      /* Activation presses the button for a moment before it clicks, and
       * only once the button is on screen. */
      picky_test_gui_wait_mapped (GTK_WIDGET (button));
      gtk_widget_activate (GTK_WIDGET (button));
      g_assert_true (picky_test_wait_until (page_shown, &wait, 2000));
      g_assert_true (gtk_toggle_button_get_active (button));
    }
}

static void
test_window_pages_by_switcher (Fixture       *fixture,
                               gconstpointer  data)
{
  GtkWidget *title = picky_test_gui_find_only (GTK_WIDGET (fixture->window),
                                               ADW_TYPE_VIEW_SWITCHER_TITLE);

  click_through_switcher (fixture->window, title);
}

static gboolean
bar_revealed (gpointer data)
{
  return adw_view_switcher_bar_get_reveal (data);
}

static gboolean
bar_hidden (gpointer data)
{
  return !adw_view_switcher_bar_get_reveal (data);
}

static void
test_window_narrow (Fixture       *fixture,
                    gconstpointer  data)
{
  AdwViewSwitcherBar *bar = ADW_VIEW_SWITCHER_BAR (picky_test_gui_find_only (GTK_WIDGET (fixture->window),
                                                                             ADW_TYPE_VIEW_SWITCHER_BAR));

  g_assert_true (picky_test_wait_until (bar_hidden, bar, 2000));

  /* At phone width the switcher leaves the header bar for a bottom bar. */
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 360, 640);
  g_assert_true (picky_test_wait_until (bar_revealed, bar, 5000));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->window)), <=, 400);
  click_through_switcher (fixture->window, GTK_WIDGET (bar));

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1000, 700);
  g_assert_true (picky_test_wait_until (bar_hidden, bar, 5000));
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }

  return NULL;
}

static void
test_window_menu_windows (Fixture       *fixture,
                          gconstpointer  data)
{
  GtkWindow *about;
  GtkWindow *preferences;
  GtkWindow *shortcuts;

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "about", NULL);
  picky_test_spin (100);
  about = find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_nonnull (about);
  g_assert_cmpstr (adw_about_window_get_version (ADW_ABOUT_WINDOW (about)), ==, PACKAGE_VERSION);
  g_assert_cmpint (adw_about_window_get_license_type (ADW_ABOUT_WINDOW (about)), ==, GTK_LICENSE_GPL_3_0);
  g_assert_cmpstr (adw_about_window_get_website (ADW_ABOUT_WINDOW (about)), ==, PACKAGE_WEBSITE);
  gtk_window_destroy (about);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  picky_test_spin (100);
  preferences = find_toplevel (PICKY_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (preferences);
  g_assert_true (gtk_window_get_transient_for (preferences) == GTK_WINDOW (fixture->window));
  gtk_window_destroy (preferences);

  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-help-overlay", NULL);
  picky_test_spin (100);
  shortcuts = find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  g_assert_nonnull (shortcuts);
  gtk_widget_set_visible (GTK_WIDGET (shortcuts), FALSE);
}

static void
test_window_german (Fixture       *fixture,
                    gconstpointer  data)
{
  static const char *german[] = { "Posteingang", "Kontakte", "Kanäle" };
  GtkWidget *title = picky_test_gui_find_only (GTK_WIDGET (fixture->window),
                                               ADW_TYPE_VIEW_SWITCHER_TITLE);

  if (g_strcmp0 (g_getenv ("LANGUAGE"), "de") != 0)
    {
      g_test_skip ("run with LANGUAGE=de");
      return;
    }

  /* What a screen reader says is German too, not only what is drawn. */
  for (guint i = 0; i < G_N_ELEMENTS (german); i++)
    switcher_button (title, german[i]);
}

static int wanted_width;

static gboolean
has_wanted_width (gpointer data)
{
  /* The default size includes the client-side decorations' margins. */
  return ABS (gtk_widget_get_width (data) - wanted_width) <= 32;
}

/* Runs in a child process, as a separate start of the console would. */
static void
run_instance (int save_width,
              int save_height,
              int expect_width,
              int expect_height)
{
  g_autoptr(PickyApplication) app = picky_test_gui_application ();
  PickyWindow *window = picky_window_new (app);
  int width = 0;
  int height = 0;

  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, expect_width);
  g_assert_cmpint (height, ==, expect_height);

  gtk_window_present (GTK_WINDOW (window));
  picky_test_gui_wait_mapped (GTK_WIDGET (window));
  wanted_width = expect_width;
  g_assert_true (picky_test_wait_until (has_wanted_width, window, 5000));

  gtk_window_set_default_size (GTK_WINDOW (window), save_width, save_height);
  wanted_width = save_width;
  g_assert_true (picky_test_wait_until (has_wanted_width, window, 5000));
  gtk_window_close (GTK_WINDOW (window));
  g_settings_sync ();
}

static void
test_window_state_persists (void)
{
  g_autofree char *config = NULL;
  g_autofree char *keyfile = NULL;
  g_autofree char *contents = NULL;

  if (g_test_subprocess ())
    {
      const char *step = g_getenv ("PICKY_TEST_STEP");

      if (g_strcmp0 (step, "first") == 0)
        run_instance (812, 555, 1000, 700);
      else
        run_instance (1000, 700, 812, 555);
      return;
    }

  /* A keyfile backend in a fresh config dir stands in for dconf: it is what
   * outlives the process. */
  config = g_dir_make_tmp ("picky-window-XXXXXX", NULL);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "keyfile", TRUE);

  g_setenv ("PICKY_TEST_STEP", "first", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();

  keyfile = g_build_filename (config, "glib-2.0", "settings", "keyfile", NULL);
  g_assert_true (g_file_get_contents (keyfile, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "window-width=812"));

  g_setenv ("PICKY_TEST_STEP", "second", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();

  g_unlink (keyfile);
}

typedef struct {
  PickyApplication *app;
  gboolean          alive_after_close;
  gboolean          closed;
} Background;

static gboolean
close_windows_cb (gpointer data)
{
  Background *background = data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (background->app));

  g_assert_nonnull (windows);
  gtk_window_close (windows->data);
  background->closed = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
check_alive_cb (gpointer data)
{
  Background *background = data;

  /* Reached only while g_application_run() still runs. */
  background->alive_after_close = background->closed;
  g_action_group_activate_action (G_ACTION_GROUP (background->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
run_until_closed (gboolean    keep_running,
                  Background *background)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autofree char *id = g_strdup_printf ("%s.Background%d", APPLICATION_ID, keep_running);
  guint close_id, check_id;

  g_settings_set_boolean (settings, "run-in-background", keep_running);

  background->app = picky_application_new ();
  g_application_set_application_id (G_APPLICATION (background->app), id);
  g_application_set_flags (G_APPLICATION (background->app), G_APPLICATION_NON_UNIQUE);

  close_id = g_timeout_add (500, close_windows_cb, background);
  check_id = g_timeout_add (1500, check_alive_cb, background);
  g_assert_cmpint (g_application_run (G_APPLICATION (background->app), 0, NULL), ==, 0);

  g_clear_object (&background->app);
  g_settings_set_boolean (settings, "run-in-background", FALSE);
  if (!background->alive_after_close)
    g_source_remove (check_id);
  if (!background->closed)
    g_source_remove (close_id);
}

static void
test_window_background (void)
{
  Background with = { 0 };
  Background without = { 0 };

  /* Chosen in Preferences: closing the window leaves the console running. */
  run_until_closed (TRUE, &with);
  g_assert_true (with.closed);
  g_assert_true (with.alive_after_close);

  /* By default, closing the last window ends it. */
  run_until_closed (FALSE, &without);
  g_assert_true (without.closed);
  g_assert_false (without.alive_after_close);
}

static gboolean
contacts_listed (gpointer data)
{
  return g_list_model_get_n_items (picky_contacts_page_get_model (data)) == 1;
}

/* Contacts and Channels are made when first shown, not at start-up,
 * where the Inbox's first page is what the admin waits for; then they
 * work as ever. */
static void
test_window_pages_when_shown (void)
{
  g_autoptr(PickyApplication) app = picky_test_gui_application ();
  PickyService *service = picky_application_get_service (app);
  PickyStore *store;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyMessage *message = picky_message_new ();
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  const char *muted[] = { "telegram", NULL };
  PickyContactsPage *contacts;
  PickyWindow *window;
  gint64 channel;

  /* No notification server in a headless session. */
  g_settings_set_strv (settings, "notify-muted-apps", muted);
  picky_test_gui_wait_service_ready (service);
  store = picky_service_get_store (service);
  picky_store_add_channel_async (store, "telegram", "bot", "Support", "{}", NULL, picky_test_got_result_cb, &result);
  channel = picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  picky_message_set_channel_id (message, channel);
  picky_message_set_provider_key (message, "m1");
  picky_message_set_contact_provider_id (message, "c1");
  picky_message_set_contact_name (message, "Ada");
  picky_message_set_direction (message, PICKY_DIRECTION_IN);
  picky_message_set_text (message, "hello");
  picky_message_set_timestamp (message, g_get_real_time () / G_USEC_PER_SEC - 60);
  picky_message_set_received (message, picky_message_get_timestamp (message));
  g_ptr_array_add (batch, message);
  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  picky_store_ingest_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  window = picky_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  picky_test_gui_wait_mapped (GTK_WIDGET (window));
  picky_test_spin (500);
  {
    g_autoptr(GPtrArray) none = picky_test_gui_find_all (GTK_WIDGET (window), PICKY_TYPE_CONTACTS_PAGE);

    g_assert_cmpuint (none->len, ==, 0);
  }
  g_assert_null (picky_test_gui_find_named (GTK_WIDGET (window), GTK_TYPE_SWITCH, "Read WhatsApp messages"));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "contacts");
  contacts = PICKY_CONTACTS_PAGE (picky_test_gui_find_only (GTK_WIDGET (window), PICKY_TYPE_CONTACTS_PAGE));
  g_assert_true (picky_test_wait_until (contacts_listed, contacts, 5000));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "channels");
  picky_test_spin (50);
  g_assert_nonnull (picky_test_gui_find_named (GTK_WIDGET (window), GTK_TYPE_SWITCH, "Read WhatsApp messages"));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  picky_test_gui_init (&argc, &argv);

  g_test_add ("/picky/window/pages-by-action", Fixture, NULL,
              fixture_set_up, test_window_pages_by_action, fixture_tear_down);
  g_test_add ("/picky/window/pages-by-switcher", Fixture, NULL,
              fixture_set_up, test_window_pages_by_switcher, fixture_tear_down);
  g_test_add ("/picky/window/narrow", Fixture, NULL,
              fixture_set_up, test_window_narrow, fixture_tear_down);
  g_test_add ("/picky/window/menu-windows", Fixture, NULL,
              fixture_set_up, test_window_menu_windows, fixture_tear_down);
  g_test_add ("/picky/window/german", Fixture, NULL,
              fixture_set_up, test_window_german, fixture_tear_down);
  g_test_add_func ("/picky/window/pages-when-shown", test_window_pages_when_shown);
  g_test_add_func ("/picky/window/state-persists", test_window_state_persists);
  g_test_add_func ("/picky/window/background", test_window_background);

  return g_test_run ();
}
