/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Takes a PNG of every page and dialog over a generated store, for build-aux/screenshots.sh. */

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "picky-add-channel-dialog.h"
#include "picky-channel-private.h"
#include "picky-disclosure-dialog.h"
#include "picky-erase-dialog.h"
#include "picky-pair-dialog.h"
#include "picky-test-gui.h"
#include "picky-window.h"

static const char *first_names[] = {
  "Ana", "Jörg", "Émilie", "Ravi", "Zoë", "Kofi", "Ölçer", "Lena", "Omar", "Yuki", "Mariana", "Sven",
};
static const char *last_names[] = {
  "Müller", "Souza", "Dubois", "Kumar", "Mensah", "Levi", "Nakamura", "Andersson", "Haddad",
};
static const char *incoming[] = {
  "Hello, is my order on its way?",
  "Can I still change the delivery address to my office?",
  "Thanks, that was quick!",
  "The parcel arrived but one of the cups is broken. What can I do?",
  "Do you open on Saturday?",
  "👍",
};
static const char *outgoing[] = {
  "Yes, it left our warehouse this morning.",
  "Of course, please send us the new address.",
  "You are welcome!",
  "Sorry about that: we will send a new one today.",
};

/* Where the pictures go, and the window's size. */
static const char *out_dir;
static int width = 1280;
static int height = 800;

typedef struct {
  PickyApplication *app;
  PickyWindow      *window;
  gint64            contact;
  char             *contact_label;
  gint64            message;
  gint64            whatsapp;
} Shots;

/* Added as the Add Channel dialog adds one, secrets in the keyring; the
 * provider addresses lead nowhere, so each shows the state it is in when
 * its provider cannot be reached. */
static gint64
add_channel (PickyService *service,
             const char   *kind,
             const char   *name,
             const char   *settings,
             const char   *secret_key,
             const char   *secret_key2)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonNode) root = json_from_string (settings, NULL);
  g_autofree char *prepared = NULL;
  gint64 id;

  g_hash_table_insert (secrets, g_strdup (secret_key), g_strdup ("screenshot-secret-0123456789"));
  if (secret_key2 != NULL)
    g_hash_table_insert (secrets, g_strdup (secret_key2), g_strdup ("screenshot-secret-9876543210"));
  /* What the kind generates, as the dialog has it made (WhatsApp's verify
   * token, which the Edit dialog shows again). */
  picky_channel_class_prepare_settings (picky_channel_registry_get_kind_type (picky_service_get_registry (service), kind),
                                        json_node_get_object (root), secrets);
  prepared = json_to_string (root, FALSE);
  picky_service_add_channel_async (service, kind, kind, name, prepared, secrets, NULL,
                                   picky_test_got_result_cb, &result);
  id = picky_service_add_channel_finish (service, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return id;
}

/* Three channels and 60 customers over four weeks, most answered, some
 * waiting, in several scripts and with a photo now and then. */
static void
fill_store (Shots *shots)
{
  PickyStore *store = picky_service_get_store (picky_application_get_service (shots->app));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 channels[3];
  GRand *rand = g_rand_new_with_seed (17);

  PickyService *service = picky_application_get_service (shots->app);

  channels[0] = add_channel (service, "telegram", "Shop Support", "{\"api_base\":\"http://127.0.0.1:9\"}",
                             "token", NULL);
  channels[1] = add_channel (service, "whatsapp", "WhatsApp +49 30 1234567",
                             "{\"phone_number_id\":\"104512345678901\",\"graph_base\":\"http://127.0.0.1:9\","
                             "\"graph_version\":\"v19.0\"}", "access-token", "app-secret");
  shots->whatsapp = channels[1];
  channels[2] = add_channel (service, "viber", "Viber Shop", "{\"api_base\":\"http://127.0.0.1:9\"}",
                             "token", NULL);

  for (guint c = 0; c < 60; c++)
    {
      g_autofree char *name = g_strdup_printf ("%s %s", first_names[c % G_N_ELEMENTS (first_names)],
                                               last_names[c % G_N_ELEMENTS (last_names)]);
      g_autofree char *phone = g_strdup_printf ("+49 170 %03u %04u", c * 7 % 1000, c * 37 % 10000);
      g_autofree char *provider_id = g_strdup_printf ("customer-%u", c);
      gint64 t = now - (gint64) g_rand_int_range (rand, 600, 28 * 86400);
      guint n = 1 + g_rand_int_range (rand, 0, 8);

      for (guint m = 0; m < n; m++)
        {
          PickyMessage *message = picky_message_new ();
          g_autofree char *key = g_strdup_printf ("%u-%u", c, m);
          /* The newest message of every fifth customer waits for a reply. */
          gboolean in = m % 2 == 0 || (c % 5 == 0 && m == n - 1);

          picky_message_set_channel_id (message, channels[c % 3]);
          picky_message_set_provider_key (message, key);
          picky_message_set_contact_provider_id (message, provider_id);
          picky_message_set_contact_name (message, name);
          picky_message_set_contact_phone (message, phone);
          picky_message_set_direction (message, in ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT);
          picky_message_set_text (message, in ? incoming[(c + m) % G_N_ELEMENTS (incoming)]
                                              : outgoing[(c + m) % G_N_ELEMENTS (outgoing)]);
          picky_message_set_timestamp (message, MIN (now - 60, t + m * 240));
          picky_message_set_received (message, MIN (now - 60, t + m * 240));
          g_ptr_array_add (batch, message);
        }
    }
  g_rand_free (rand);

  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  picky_store_ingest_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  /* Stored past the channels, which note their newest customer message as
   * it arrives through them: the Channels page would say that none came. */
  for (guint i = 0; i < batch->len; i++)
    {
      PickyMessage *message = batch->pdata[i];

      if (picky_message_get_direction (message) == PICKY_DIRECTION_IN)
        picky_channel_note_message_time (picky_channel_registry_lookup (picky_service_get_registry (service),
                                                                        picky_message_get_channel_id (message)),
                                         picky_message_get_timestamp (message));
    }
  shots->message = picky_message_get_id (batch->pdata[0]);
  shots->contact = picky_message_get_contact_id (batch->pdata[0]);
  shots->contact_label = g_strdup (picky_message_get_contact_name (batch->pdata[0]));
}

/* Renders @window as it is on screen, header bar included. */
static void
take (GtkWidget  *window,
      const char *name)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = g_strdup_printf ("%s/%s.png", out_dir, name);
  int w, h;

  picky_test_spin (700);
  w = gtk_widget_get_width (window);
  h = gtk_widget_get_height (window);
  paintable = gtk_widget_paintable_new (window);
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w, h));
  g_assert_true (gdk_texture_save_to_png (texture, file));
  g_print ("%s\n", file);
}

static void
show_page (Shots      *shots,
           const char *page)
{
  gtk_widget_activate_action (GTK_WIDGET (shots->window), "win.show-page", "s", page);
  picky_test_spin (300);
}

/* A dialog at the size it opens with, or the screen's when that is smaller. */
static void
take_dialog (GtkWindow  *dialog,
             const char *name)
{
  int w = 0, h = 0;

  /* On a phone a dialog has the screen at most. */
  gtk_window_get_default_size (dialog, &w, &h);
  gtk_window_set_default_size (dialog, w > 0 ? MIN (w, width) : width < 600 ? width : -1,
                               h > 0 ? MIN (h, height) : -1);
  gtk_window_present (dialog);
  picky_test_gui_wait_mapped (GTK_WIDGET (dialog));
  take (GTK_WIDGET (dialog), name);
  gtk_window_destroy (dialog);
  picky_test_spin (100);
}

/* A shown window that was not in @before. */
static GtkWindow *
new_toplevel (GPtrArray *before)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (!g_ptr_array_find (before, window, NULL) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }

  return NULL;
}

static void
take_action (Shots      *shots,
             const char *action,
             const char *name)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func (g_object_unref);
  GtkWindow *window;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    g_ptr_array_add (before, g_list_model_get_item (toplevels, i));

  if (g_str_has_prefix (action, "app."))
    g_action_group_activate_action (G_ACTION_GROUP (shots->app), action + 4, NULL);
  else
    gtk_widget_activate_action (GTK_WIDGET (shots->window), action, NULL);
  picky_test_spin (500);
  window = new_toplevel (before);
  if (window == NULL)
    {
      g_printerr ("%s opened no window; no %s.png\n", action, name);
      return;
    }
  gtk_window_set_default_size (window, MIN (width, 800), MIN (height, 640));
  picky_test_gui_wait_mapped (GTK_WIDGET (window));
  take (GTK_WIDGET (window), name);
  gtk_window_destroy (window);
  picky_test_spin (100);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = g_dir_make_tmp ("picky-shots-XXXXXX", NULL);
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  g_autoptr(GDate) last = g_date_new ();
  g_autoptr(GDate) first = NULL;
  static const char *muted[] = { "telegram", "whatsapp", "viber", NULL };
  Shots shots = { 0 };

  if (argc < 2)
    {
      g_printerr ("Usage: %s FOLDER [WIDTHxHEIGHT]\n", argv[0]);
      return 2;
    }
  out_dir = argv[1];
  if (argc > 2 && sscanf (argv[2], "%dx%d", &width, &height) != 2)
    {
      g_printerr ("Not a size: %s\n", argv[2]);
      return 2;
    }
  g_mkdir_with_parents (out_dir, 0755);

  /* A store of its own, never the user's. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  argc = 1;
  picky_test_gui_init (&argc, &argv);
  settings = g_settings_new (APPLICATION_ID);
  /* No notification server in a headless session. */
  g_settings_set_strv (settings, "notify-muted-apps", muted);
  g_settings_set_int (settings, "window-width", width);
  g_settings_set_int (settings, "window-height", height);

  shots.app = picky_test_gui_application ();
  picky_test_gui_wait_service_ready (picky_application_get_service (shots.app));
  fill_store (&shots);

  shots.window = picky_window_new (shots.app);
  gtk_window_present (GTK_WINDOW (shots.window));
  picky_test_gui_wait_mapped (GTK_WIDGET (shots.window));
  picky_test_spin (1500);

  show_page (&shots, "inbox");
  take (GTK_WIDGET (shots.window), "inbox");
  picky_window_open_message (shots.window, shots.message);
  take (GTK_WIDGET (shots.window), "inbox-conversation");
  show_page (&shots, "contacts");
  take (GTK_WIDGET (shots.window), "contacts");
  /* A selected row, in both styles: the rows' texts take its colours. */
  {
    GtkWidget *view = picky_test_gui_find_named (GTK_WIDGET (shots.window), GTK_TYPE_COLUMN_VIEW, _("Contacts"));

    if (view != NULL && gtk_widget_get_mapped (view))
      {
        gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (gtk_column_view_get_model (GTK_COLUMN_VIEW (view))), 1);
        take (GTK_WIDGET (shots.window), "contacts-selected");
      }
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    take (GTK_WIDGET (shots.window), "contacts-dark");
    show_page (&shots, "inbox");
    take (GTK_WIDGET (shots.window), "inbox-dark");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
    show_page (&shots, "contacts");
  }
  gtk_widget_activate_action (GTK_WIDGET (shots.window), "win.show-report", "x", shots.contact);
  picky_test_spin (1500);
  take (GTK_WIDGET (shots.window), "contacts-report");
  show_page (&shots, "channels");
  take (GTK_WIDGET (shots.window), "channels");

  take_action (&shots, "app.preferences", "preferences");
  take_action (&shots, "app.about", "about");
  /* The application attaches it to its windows by its own id's resource
   * path, which a test application's id does not have. */
  {
    g_autoptr(GtkBuilder) builder =
      gtk_builder_new_from_resource ("/io/github/pickyconsole/PickyConsole/gtk/help-overlay.ui");
    GtkWindow *overlay = GTK_WINDOW (gtk_builder_get_object (builder, "help_overlay"));

    gtk_window_set_transient_for (overlay, GTK_WINDOW (shots.window));
    /* Its Preferences and Quit show the application's accelerators. */
    gtk_window_set_application (overlay, GTK_APPLICATION (shots.app));
    take_dialog (overlay, "shortcuts");
  }

  g_date_set_time_t (last, time (NULL));
  first = g_date_copy (last);
  g_date_subtract_days (first, 30);
  take_dialog (GTK_WINDOW (picky_add_channel_dialog_new (GTK_WINDOW (shots.window),
                                                         picky_application_get_service (shots.app))),
               "add-channel");
  /* Editing a WhatsApp channel shows its verify token again. */
  take_dialog (GTK_WINDOW (picky_add_channel_dialog_new_for_channel (
                 GTK_WINDOW (shots.window), picky_application_get_service (shots.app),
                 picky_channel_registry_lookup (picky_service_get_registry (picky_application_get_service (shots.app)),
                                                shots.whatsapp))),
               "edit-channel");
  take_dialog (GTK_WINDOW (picky_pair_dialog_new (GTK_WINDOW (shots.window),
                                                  picky_service_get_store (picky_application_get_service (shots.app)),
                                                  settings)),
               "pair-phone");
  /* Shown, as in the console, once it says what goes: before that it is
   * a heading over an empty body. */
  take_dialog (picky_test_gui_erase_dialog_ready (GTK_WINDOW (shots.window),
                                                  picky_service_get_store (picky_application_get_service (shots.app)),
                                                  shots.contact, shots.contact_label),
               "erase-contact");
  take_dialog (GTK_WINDOW (picky_disclosure_dialog_new (GTK_WINDOW (shots.window),
                                                        picky_service_get_store (picky_application_get_service (shots.app)),
                                                        shots.contact, shots.contact_label, tz, first, last)),
               "disclose");

  gtk_window_destroy (GTK_WINDOW (shots.window));
  g_clear_object (&shots.app);
  g_free (shots.contact_label);
  picky_test_remove_tree (data_home);
  return 0;
}
