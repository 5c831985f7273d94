/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every page and dialog in a pseudo-translation 40 % longer than English: no button label, column header or row title cut off. */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "picky-add-channel-dialog.h"
#include "picky-disclosure-dialog.h"
#include "picky-pair-dialog.h"
#include "picky-test-gui.h"
#include "picky-window.h"

typedef struct {
  PickyApplication *app;
  PickyWindow      *window;
  gint64            message;
  gint64            contact;
  GPtrArray        *cut;       /* what was found cut off, as text */
} Walk;

static void
fill_store (Walk *walk)
{
  PickyStore *store = picky_service_get_store (picky_application_get_service (walk->app));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 channel;

  picky_store_add_channel_async (store, "telegram", "telegram", "Desk", "{}", NULL,
                                 picky_test_got_result_cb, &result);
  channel = picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  for (guint i = 0; i < 6; i++)
    {
      PickyMessage *message = picky_message_new ();
      g_autofree char *key = g_strdup_printf ("m%u", i);

      picky_message_set_channel_id (message, channel);
      picky_message_set_provider_key (message, key);
      picky_message_set_contact_provider_id (message, "p1");
      picky_message_set_contact_name (message, "Ana Müller");
      picky_message_set_contact_phone (message, "+49 170 1234567");
      picky_message_set_direction (message, i % 2 == 0 ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT);
      picky_message_set_text (message, "Hello, is my order on its way?");
      picky_message_set_timestamp (message, now - 10 * 86400 + i * 3600);
      picky_message_set_received (message, now - 10 * 86400 + i * 3600);
      g_ptr_array_add (batch, message);
    }
  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  picky_store_ingest_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  walk->message = picky_message_get_id (batch->pdata[0]);
  walk->contact = picky_message_get_contact_id (batch->pdata[0]);
}

static void
check (Walk       *walk,
       GtkWidget  *root,
       const char *where)
{
  picky_test_spin (400);
  picky_test_gui_find_cut_labels (root, where, walk->cut);
}

static void
check_dialog (Walk       *walk,
              GtkWindow  *dialog,
              int         width,
              const char *where)
{
  gtk_window_set_default_size (dialog, width < 600 ? width : -1, -1);
  gtk_window_present (dialog);
  picky_test_gui_wait_mapped (GTK_WIDGET (dialog));
  check (walk, GTK_WIDGET (dialog), where);
  gtk_window_destroy (dialog);
  picky_test_spin (100);
}

/* The shown toplevel of @type, or %NULL. */
static GtkWindow *
find_shown (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

static gboolean
is_shown (gpointer data)
{
  return find_shown (GPOINTER_TO_SIZE (data)) != NULL;
}

/* The window of @type that an action opened (the Shortcuts window is made
 * with the main window and only shown): checked at @width when that is a
 * phone's (else at the size it opens at), then closed. */
static void
check_opened (Walk       *walk,
              GType       type,
              int         width,
              const char *where)
{
  GtkWindow *found;

  g_assert_true (picky_test_wait_until (is_shown, GSIZE_TO_POINTER (type), 10000));
  found = find_shown (type);
  if (width > 0 && width < 600)
    {
      /* Opened at its own size; shown again at a phone's. */
      gtk_widget_set_visible (GTK_WIDGET (found), FALSE);
      gtk_window_set_default_size (found, width, 720);
      gtk_window_present (found);
    }
  picky_test_gui_wait_mapped (GTK_WIDGET (found));
  check (walk, GTK_WIDGET (found), where);
  g_test_message ("%s: %d px wide", where, gtk_widget_get_width (GTK_WIDGET (found)));
  /* GTK 4.8's Shortcuts window keeps a minimum width of its own (its
   * search page's two columns), wider than a phone; its labels are
   * checked at that width. */
  if (width > 0 && width < 600 && type != GTK_TYPE_SHORTCUTS_WINDOW)
    g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (found)), <=, width);
  gtk_window_close (found);
  picky_test_spin (100);
}

static void
show_page (Walk       *walk,
           const char *page)
{
  gtk_widget_activate_action (GTK_WIDGET (walk->window), "win.show-page", "s", page);
}

static void
test_pseudo_walk (gconstpointer data)
{
  int width = GPOINTER_TO_INT (data);
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  static const char *muted[] = { "telegram", NULL };
  static gboolean filled;
  static gint64 message, contact;
  PickyStore *store;
  Walk walk = { 0 };
  g_autofree char *at = g_strdup_printf ("%d px", width);

  g_settings_set_strv (settings, "notify-muted-apps", muted);
  g_settings_set_int (settings, "window-width", width);
  g_settings_set_int (settings, "window-height", width < 600 ? 720 : 800);
  walk.cut = g_ptr_array_new_with_free_func (g_free);
  walk.app = picky_test_gui_application ();
  picky_test_gui_wait_service_ready (picky_application_get_service (walk.app));
  /* The store stays on disk from one width to the next. */
  if (!filled)
    {
      fill_store (&walk);
      message = walk.message;
      contact = walk.contact;
      filled = TRUE;
    }
  store = picky_service_get_store (picky_application_get_service (walk.app));
  walk.window = picky_window_new (walk.app);
  gtk_window_present (GTK_WINDOW (walk.window));
  picky_test_gui_wait_mapped (GTK_WIDGET (walk.window));

  show_page (&walk, "inbox");
  check (&walk, GTK_WIDGET (walk.window), "Inbox");
  picky_window_open_message (walk.window, message);
  check (&walk, GTK_WIDGET (walk.window), "Conversation");
  show_page (&walk, "contacts");
  check (&walk, GTK_WIDGET (walk.window), "Contacts");
  gtk_widget_activate_action (GTK_WIDGET (walk.window), "win.show-report", "x", contact);
  picky_test_spin (1000);
  check (&walk, GTK_WIDGET (walk.window), "Report");
  show_page (&walk, "channels");
  check (&walk, GTK_WIDGET (walk.window), "Channels");

  check_dialog (&walk, GTK_WINDOW (picky_add_channel_dialog_new (GTK_WINDOW (walk.window),
                                                                 picky_application_get_service (walk.app))),
                width, "Add Channel");
  check_dialog (&walk, GTK_WINDOW (picky_pair_dialog_new (GTK_WINDOW (walk.window), store, settings)),
                width, "Pair a Phone");
  check_dialog (&walk, picky_test_gui_erase_dialog_ready (GTK_WINDOW (walk.window), store, contact, "Ana Müller"),
                width, "Erase");

  {
    g_autoptr(GTimeZone) tz = g_time_zone_new_utc ();
    g_autoptr(GDate) last = g_date_new_dmy (4, G_DATE_DECEMBER, 2026);
    g_autoptr(GDate) first = g_date_new_dmy (4, G_DATE_NOVEMBER, 2026);

    check_dialog (&walk, GTK_WINDOW (picky_disclosure_dialog_new (GTK_WINDOW (walk.window), store, contact,
                                                                  "Ana Müller", tz, first, last)),
                  width, "Disclosure");
  }
  g_action_group_activate_action (G_ACTION_GROUP (walk.app), "preferences", NULL);
  check_opened (&walk, ADW_TYPE_PREFERENCES_WINDOW, 0, "Preferences");
  g_action_group_activate_action (G_ACTION_GROUP (walk.app), "about", NULL);
  check_opened (&walk, ADW_TYPE_ABOUT_WINDOW, width, "About");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (walk.window), "win.show-help-overlay", NULL));
  check_opened (&walk, GTK_TYPE_SHORTCUTS_WINDOW, width, "Shortcuts");

  for (guint i = 0; i < walk.cut->len; i++)
    g_test_message ("%s: %s", at, (char *) walk.cut->pdata[i]);
  g_assert_cmpuint (walk.cut->len, ==, 0);

  gtk_window_destroy (GTK_WINDOW (walk.window));
  picky_test_spin (100);
  g_ptr_array_unref (walk.cut);
  g_clear_object (&walk.app);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = g_dir_make_tmp ("picky-pseudo-XXXXXX", NULL);
  g_autofree char *localedir = g_build_filename (data_home, "locale", NULL);
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autofree char *script = g_build_filename (srcdir != NULL ? srcdir : ".", "pseudo-translate.py", NULL);
  g_autofree char *pot = g_build_filename (srcdir != NULL ? srcdir : ".", "..", "po", "picky-console.pot", NULL);
  const char *generate[] = { "/usr/bin/python3", script, pot, localedir, "xx", NULL };
  g_autoptr(GError) error = NULL;
  int wait_status = 0;
  int status;

  /* A made-up language, made now from the template: its catalogue only. */
  g_spawn_sync (NULL, (char **) generate, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
  g_setenv ("PICKY_LOCALEDIR", localedir, TRUE);
  g_setenv ("LANGUAGE", "xx", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  picky_test_gui_init (&argc, &argv);

  g_test_add_data_func ("/picky/pseudo/360", GINT_TO_POINTER (360), test_pseudo_walk);
  g_test_add_data_func ("/picky/pseudo/1280", GINT_TO_POINTER (1280), test_pseudo_walk);

  status = g_test_run ();
  picky_test_remove_tree (data_home);
  return status;
}
