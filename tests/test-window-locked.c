/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window while the keyring's unlock prompt is open: usable, saying what it waits for, then giving up. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-service.h"
#include "picky-test-gui.h"
#include "picky-window.h"

#define TIMEOUT_S 3

static const char *page_names[] = { "contacts", "inbox", "channels" };
/* What the switcher's buttons are called, in the same order. */
static const char *page_titles[] = { "Contacts", "Inbox", "Channels" };

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

static gboolean
service_settled (gpointer data)
{
  return !picky_service_get_starting (data);
}

static gboolean
service_starting (gpointer data)
{
  return picky_service_get_starting (data);
}

static AdwActionRow *
find_row (PickyWindow *window,
          const char  *title)
{
  return ADW_ACTION_ROW (picky_test_gui_find_named (GTK_WIDGET (window), ADW_TYPE_ACTION_ROW, title));
}

/* The switcher's buttons switch pages as clicks do, which only a window
 * whose main loop runs can answer; it ends on the Channels page. */
static void
click_through_pages (PickyWindow *window)
{
  GtkWidget *switcher = picky_test_gui_find_only (GTK_WIDGET (window), ADW_TYPE_VIEW_SWITCHER_TITLE);

  for (guint i = 0; i < G_N_ELEMENTS (page_names); i++)
    {
      GtkWidget *button = picky_test_gui_find_named (switcher, GTK_TYPE_TOGGLE_BUTTON, page_titles[i]);
      PageWait wait = { window, page_names[i] };

      g_assert_nonnull (button);
      picky_test_gui_wait_mapped (button);
      gtk_widget_activate (button);
      g_assert_true (picky_test_wait_until (page_shown, &wait, 2000));
    }
}

/* Waits on the Channels page, with no Try Again, while the prompt is open. */
static void
assert_waiting (PickyWindow  *window,
                PickyService *service)
{
  AdwActionRow *row = find_row (window, "Waiting for the Keyring");
  GtkWidget *retry;

  g_assert_true (picky_service_get_starting (service));
  g_assert_nonnull (row);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (row)));
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==,
                   "If your keyring is locked, a prompt asks for its password. "
                   "The console waits for it up to 3 seconds.");
  retry = picky_test_gui_find_named (GTK_WIDGET (row), GTK_TYPE_BUTTON, "Try Again");
  g_assert_nonnull (retry);
  g_assert_false (gtk_widget_get_visible (retry));
}

/* Then the page says why it gave up, and offers to try again. */
static GtkWidget *
assert_gave_up (PickyWindow  *window,
                PickyService *service,
                gint64        start)
{
  AdwActionRow *row;
  GtkWidget *retry;

  g_assert_true (picky_test_wait_until (service_settled, service, 20000));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, TIMEOUT_S * G_TIME_SPAN_SECOND - 50000);
  g_assert_false (picky_service_get_ready (service));

  row = find_row (window, "The Keyring Is Not Available");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==,
                   "The system keyring is still locked: nobody answered its unlock prompt within "
                   "3 seconds. Picky Console keeps tokens only there; unlock your keyring and try again.");
  retry = picky_test_gui_find_named (GTK_WIDGET (row), GTK_TYPE_BUTTON, "Try Again");
  g_assert_nonnull (retry);
  g_assert_true (gtk_widget_get_visible (retry));
  g_assert_true (gtk_widget_is_sensitive (retry));

  return retry;
}

static void
test_window_locked_keyring (void)
{
  g_autoptr(PickyApplication) app = NULL;
  g_autofree char *owner = picky_test_keyring_owner ();
  g_autofree char *owner_now = NULL;
  PickyService *service;
  PickyWindow *window;
  GtkWidget *retry;
  gint64 start;

  picky_test_lock_keyring ();
  picky_vault_set_default_unlock_timeout (TIMEOUT_S);

  /* Starting up asks the keyring for the data key, and its prompt opens. */
  start = g_get_monotonic_time ();
  app = picky_test_gui_application ();
  service = picky_application_get_service (app);
  window = picky_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  picky_test_gui_wait_mapped (GTK_WIDGET (window));

  click_through_pages (window);
  assert_waiting (window, service);

  retry = assert_gave_up (window, service, start);

  /* Trying again waits again, for as long, with the prompt still open. */
  start = g_get_monotonic_time ();
  /* Activation presses the button for a moment before it clicks. */
  gtk_widget_activate (retry);
  g_assert_true (picky_test_wait_until (service_starting, service, 2000));
  picky_test_spin (50);
  assert_waiting (window, service);
  click_through_pages (window);
  assert_gave_up (window, service, start);

  /* The prompt was left open, not dismissed, which gnome-keyring 42
   * answers by aborting: the same daemon still serves. */
  owner_now = picky_test_keyring_owner ();
  g_assert_cmpstr (owner_now, ==, owner);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
skip_without_private_keyring (gconstpointer data)
{
  g_test_skip (data);
}

int
main (int   argc,
      char *argv[])
{
  picky_test_gui_init (&argc, &argv);

  /* tests/private-keyring.sh gives this run a keyring it may lock. */
  if (g_getenv ("PICKY_PRIVATE_KEYRING") == NULL)
    {
      g_test_add_data_func ("/picky/window-locked/keyring",
                            "needs a keyring of its own; run it through tests/private-keyring.sh",
                            skip_without_private_keyring);
      return g_test_run ();
    }

  g_test_add_func ("/picky/window-locked/keyring", test_window_locked_keyring);

  return g_test_run ();
}
