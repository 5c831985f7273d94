/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Phones group of the Channels page in a real window: pairing, trust, revocation. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "picky-channels-page.h"
#include "picky-clock.h"
#include "picky-pair-dialog.h"
#include "picky-relay-channel.h"
#include "picky-test-gui.h"

typedef struct {
  char              *dir;
  PickyService      *service;
  GtkWindow         *window;
  PickyChannelsPage *page;
  GAsyncResult      *result;
} Fixture;

typedef struct {
  Fixture    *fixture;
  const char *name;
} Lookup;

static gboolean
result_arrived (gpointer data)
{
  return ((Fixture *) data)->result != NULL;
}

static void
on_result_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  ((Fixture *) user_data)->result = g_object_ref (result);
}

static GAsyncResult *
wait_result (Fixture *fixture)
{
  g_clear_object (&fixture->result);
  g_assert_true (picky_test_wait_until (result_arrived, fixture, 15000));
  return fixture->result;
}

static PickyStore *
store (Fixture *fixture)
{
  return picky_service_get_store (fixture->service);
}

static PickyDevice *
register_device (Fixture    *fixture,
                 const char *code,
                 const char *make,
                 const char *model)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = g_strdup_printf ("token-of-%s", model);
  PickyDevice *device;

  g_clear_object (&fixture->result);
  picky_store_register_device_async (store (fixture), token, code, make, model, "Android 14",
                                     "+49 30 1234567", NULL, on_result_cb, fixture);
  device = picky_store_register_device_finish (store (fixture), wait_result (fixture), &error);
  g_assert_no_error (error);

  return device;
}

static PickyDeviceState
device_state (Fixture *fixture,
              gint64   id)
{
  g_autoptr(GPtrArray) devices = NULL;

  g_clear_object (&fixture->result);
  picky_store_list_devices_async (store (fixture), NULL, on_result_cb, fixture);
  devices = picky_store_list_devices_finish (store (fixture), wait_result (fixture), NULL);
  for (guint i = 0; i < devices->len; i++)
    {
      PickyDevice *device = g_ptr_array_index (devices, i);

      if (device->id == id)
        return device->state;
    }

  g_assert_not_reached ();
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *name)
{
  return picky_test_gui_find_named (root, GTK_TYPE_BUTTON, name);
}

static gboolean
button_present (gpointer data)
{
  Lookup *lookup = data;

  return find_button (GTK_WIDGET (lookup->fixture->page), lookup->name) != NULL;
}

static gboolean
button_absent (gpointer data)
{
  return !button_present (data);
}

static AdwActionRow *
find_row (GtkWidget  *root,
          const char *name)
{
  return ADW_ACTION_ROW (picky_test_gui_find_named (root, ADW_TYPE_ACTION_ROW, name));
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
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *db = NULL;

  fixture->dir = g_dir_make_tmp ("picky-phones-XXXXXX", NULL);
  db = g_build_filename (fixture->dir, "console.db", NULL);
  fixture->service = picky_service_new (db);
  picky_service_start_async (fixture->service, FALSE, NULL, NULL, NULL);
  picky_test_gui_wait_service_ready (fixture->service);

  fixture->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (fixture->window, 800, 1200);
  fixture->page = g_object_new (PICKY_TYPE_CHANNELS_PAGE, NULL);
  picky_channels_page_set_service (fixture->page, fixture->service);
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->page));
  gtk_window_present (fixture->window);
  picky_test_gui_wait_mapped (GTK_WIDGET (fixture->page));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);

  gtk_window_destroy (fixture->window);
  picky_service_shutdown (fixture->service);
  g_clear_object (&fixture->result);
  g_clear_object (&fixture->service);
  g_settings_reset (settings, "relay-public-url");
  g_clear_pointer (&fixture->dir, g_free);
}

/* A phone without a code waits for trust; Trust makes it trusted, Revoke
 * asks first and then revokes it for good. */
static void
test_phones_trust_revoke (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(PickyDevice) device = register_device (fixture, NULL, "Google", "Pixel 8");
  Lookup trust = { fixture, "Trust phone Google Pixel 8" };
  Lookup revoke = { fixture, "Revoke phone Google Pixel 8" };
  GtkWindow *dialog;
  AdwActionRow *row;

  g_assert_cmpint (device->state, ==, PICKY_DEVICE_STATE_PENDING);
  picky_channels_page_reload_phones (fixture->page);
  g_assert_true (picky_test_wait_until (button_present, &trust, 10000));
  row = find_row (GTK_WIDGET (fixture->page), "Google Pixel 8");
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "+49 30 1234567"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), _("Waiting for your trust")));
  g_assert_true (button_present (&revoke));

  gtk_widget_activate (find_button (GTK_WIDGET (fixture->page), trust.name));
  g_assert_true (picky_test_wait_until (button_absent, &trust, 10000));
  g_assert_cmpint (device_state (fixture, device->id), ==, PICKY_DEVICE_STATE_TRUSTED);
  row = find_row (GTK_WIDGET (fixture->page), "Google Pixel 8");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), _("Trusted")));

  /* Cancelled: nothing changes. */
  gtk_widget_activate (find_button (GTK_WIDGET (fixture->page), revoke.name));
  picky_test_spin (300);
  dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  picky_test_spin (300);
  g_assert_cmpint (device_state (fixture, device->id), ==, PICKY_DEVICE_STATE_TRUSTED);

  gtk_widget_activate (find_button (GTK_WIDGET (fixture->page), revoke.name));
  picky_test_spin (300);
  dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "revoke");
  g_assert_true (picky_test_wait_until (button_absent, &revoke, 10000));
  g_assert_cmpint (device_state (fixture, device->id), ==, PICKY_DEVICE_STATE_REVOKED);
  row = find_row (GTK_WIDGET (fixture->page), "Google Pixel 8");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), _("Revoked")));
}

static gboolean
pair_dialog_shown (gpointer data)
{
  return find_toplevel (PICKY_TYPE_PAIR_DIALOG) != NULL;
}

static gboolean
dialog_ready (gpointer data)
{
  return picky_pair_dialog_get_ready (data);
}

/* Pair a Phone shows a code the store accepts once, and its QR code. */
static void
test_phones_pair (Fixture       *fixture,
                  gconstpointer  data)
{
  Lookup pair = { fixture, "Pair a Phone" };
  g_autoptr(PickyDevice) first = NULL;
  g_autoptr(PickyDevice) second = NULL;
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autofree char *qr = NULL;
  GdkPaintable *paintable;
  PickyPairDialog *dialog;
  g_autoptr(GPtrArray) labels = NULL;
  gboolean shown = FALSE;
  GtkPicture *picture;

  g_settings_set_string (settings, "relay-public-url", "https://console.example.com");
  g_assert_true (button_present (&pair));
  gtk_widget_activate (find_button (GTK_WIDGET (fixture->page), pair.name));
  /* A button activated from the keyboard clicks after a short flash. */
  g_assert_true (picky_test_wait_until (pair_dialog_shown, NULL, 5000));
  dialog = PICKY_PAIR_DIALOG (find_toplevel (PICKY_TYPE_PAIR_DIALOG));
  g_assert_nonnull (dialog);
  g_assert_true (picky_test_wait_until (dialog_ready, dialog, 10000));

  labels = picky_test_gui_find_all (GTK_WIDGET (dialog), GTK_TYPE_LABEL);
  for (guint i = 0; i < labels->len; i++)
    if (g_strcmp0 (gtk_label_get_text (g_ptr_array_index (labels, i)), picky_pair_dialog_get_code (dialog)) == 0)
      shown = TRUE;
  g_assert_true (shown);
  picture = GTK_PICTURE (picky_test_gui_find_named (GTK_WIDGET (dialog), GTK_TYPE_PICTURE,
                                                    "QR code with the console’s address and the pairing code"));
  paintable = gtk_picture_get_paintable (picture);
  g_assert_nonnull (paintable);
  /* A square of whole modules, quiet zone included. */
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==,
                   gdk_paintable_get_intrinsic_height (paintable));
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable) % 6, ==, 0);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), >=, (21 + 8) * 6);

  qr = picky_pair_dialog_dup_qr_text (dialog);
  g_assert_true (g_str_has_prefix (qr, "pickyrelay:?url=https%3A%2F%2Fconsole.example.com&code="));
  g_assert_true (g_str_has_suffix (qr, picky_pair_dialog_get_code (dialog)));

  first = register_device (fixture, picky_pair_dialog_get_code (dialog), "Fairphone", "5");
  g_assert_cmpint (first->state, ==, PICKY_DEVICE_STATE_TRUSTED);
  second = register_device (fixture, picky_pair_dialog_get_code (dialog), "Nokia", "G22");
  g_assert_cmpint (second->state, ==, PICKY_DEVICE_STATE_PENDING);

  /* Closing the dialog shows the new phones. */
  gtk_window_close (GTK_WINDOW (dialog));
  {
    Lookup trusted = { fixture, "Revoke phone Fairphone 5" };
    Lookup pending = { fixture, "Trust phone Nokia G22" };

    g_assert_true (picky_test_wait_until (button_present, &trusted, 10000));
    g_assert_true (button_present (&pending));
  }
}

typedef struct {
  GtkWidget  *root;
  const char *text;
} LabelWait;

static gboolean
label_shown (gpointer data)
{
  LabelWait *wait = data;
  g_autoptr(GPtrArray) labels = picky_test_gui_find_all (wait->root, GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    if (gtk_widget_is_visible (g_ptr_array_index (labels, i)) &&
        g_strcmp0 (gtk_label_get_text (g_ptr_array_index (labels, i)), wait->text) == 0)
      return TRUE;

  return FALSE;
}

static gboolean
is_allocated (gpointer data)
{
  return gtk_widget_get_height (data) > 0;
}

/* The dialog opens with the QR code and the code in view, counts the code's
 * life down, copies the code and the address, and offers a new code once it
 * expired. */
static void
test_phones_pair_countdown (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  PickyClock *clock = picky_clock_get_default ();
  LabelWait wait = { NULL, NULL };
  g_autofree char *first_code = NULL;
  PickyPairDialog *dialog;
  GtkWidget *picture;
  GtkWidget *copy_code;
  gint64 expires;

  g_settings_set_string (settings, "relay-public-url", "https://console.example.com");
  gtk_widget_activate (find_button (GTK_WIDGET (fixture->page), "Pair a Phone"));
  g_assert_true (picky_test_wait_until (pair_dialog_shown, NULL, 5000));
  dialog = PICKY_PAIR_DIALOG (find_toplevel (PICKY_TYPE_PAIR_DIALOG));
  g_assert_true (picky_test_wait_until (dialog_ready, dialog, 10000));
  picky_test_gui_wait_mapped (GTK_WIDGET (dialog));
  wait.root = GTK_WIDGET (dialog);

  /* Sized to its content: the whole QR code and the code itself in view. */
  picture = picky_test_gui_find_named (GTK_WIDGET (dialog), GTK_TYPE_PICTURE,
                                       "QR code with the console’s address and the pairing code");
  g_assert_true (picky_test_wait_until (is_allocated, picture, 5000));
  g_assert_cmpint (gtk_widget_get_height (picture), >=,
                   gdk_paintable_get_intrinsic_height (gtk_picture_get_paintable (GTK_PICTURE (picture))));
  g_assert_cmpint (gtk_widget_get_width (picture), >=,
                   gdk_paintable_get_intrinsic_width (gtk_picture_get_paintable (GTK_PICTURE (picture))));
  g_assert_cmpfloat (gtk_widget_get_opacity (picture), ==, 1);
  picky_test_gui_assert_in_view (picture);
  copy_code = picky_test_gui_find_named (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, "Copy Pairing Code");
  picky_test_gui_assert_in_view (copy_code);

  picky_test_gui_assert_copies (copy_code, picky_pair_dialog_get_code (dialog));
  picky_test_gui_assert_copies (picky_test_gui_find_named (GTK_WIDGET (dialog), GTK_TYPE_BUTTON,
                                                           "Copy Console Address"),
                                "https://console.example.com");

  /* Ten minutes, counted down. */
  expires = picky_pair_dialog_get_expires (dialog);
  g_assert_cmpint (expires - g_get_real_time () / G_USEC_PER_SEC, <=, PICKY_RELAY_PAIRING_LIFETIME);
  picky_clock_set_now (clock, expires - 125);
  wait.text = "in 2:05";
  g_assert_true (label_shown (&wait));
  picky_clock_set_now (clock, expires - 1);
  wait.text = "in 0:01";
  g_assert_true (label_shown (&wait));

  /* Expired: no code to copy or scan, and a new one on offer. */
  picky_clock_set_now (clock, expires);
  wait.text = _("Expired");
  g_assert_true (label_shown (&wait));
  wait.text = picky_pair_dialog_get_code (dialog);
  g_assert_false (label_shown (&wait));
  g_assert_false (gtk_widget_is_sensitive (copy_code));
  g_assert_cmpfloat (gtk_widget_get_opacity (picture), ==, 0);

  first_code = g_strdup (picky_pair_dialog_get_code (dialog));
  gtk_widget_activate (picky_test_gui_find_named (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, "New Code"));
  wait.text = "in 10:00";
  g_assert_true (picky_test_wait_until (label_shown, &wait, 10000));
  g_assert_true (picky_pair_dialog_get_ready (dialog));
  g_assert_cmpstr (picky_pair_dialog_get_code (dialog), !=, first_code);
  g_assert_cmpint (picky_pair_dialog_get_expires (dialog), ==, expires + PICKY_RELAY_PAIRING_LIFETIME);
  wait.text = picky_pair_dialog_get_code (dialog);
  g_assert_true (label_shown (&wait));
  g_assert_true (gtk_widget_is_sensitive (copy_code));
  g_assert_cmpfloat (gtk_widget_get_opacity (picture), ==, 1);

  picky_clock_set_now (clock, 0);
  gtk_window_close (GTK_WINDOW (dialog));
}

static guint
count_relay_channels (Fixture    *fixture,
                      const char *app)
{
  GListModel *channels = picky_channel_registry_get_channels (picky_service_get_registry (fixture->service));
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (channels); i++)
    {
      g_autoptr(PickyChannel) channel = g_list_model_get_item (channels, i);

      if (PICKY_IS_RELAY_CHANNEL (channel) && g_strcmp0 (picky_channel_get_app (channel), app) == 0)
        n++;
    }

  return n;
}

static gboolean
whatsapp_relayed (gpointer data)
{
  return count_relay_channels (data, "whatsapp") == 1;
}

static gboolean
whatsapp_not_relayed (gpointer data)
{
  return count_relay_channels (data, "whatsapp") == 0;
}

/* Relayed Apps: a switch per app adds and removes its relay channel. */
static void
test_phones_relayed_apps (Fixture       *fixture,
                          gconstpointer  data)
{
  GtkSwitch *whatsapp = GTK_SWITCH (picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_SWITCH,
                                                               "Relay WhatsApp from phones"));
  GtkSwitch *telegram = GTK_SWITCH (picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_SWITCH,
                                                               "Relay Telegram from phones"));

  g_assert_nonnull (whatsapp);
  g_assert_nonnull (telegram);
  g_assert_false (gtk_switch_get_active (whatsapp));

  gtk_switch_set_active (whatsapp, TRUE);
  g_assert_true (picky_test_wait_until (whatsapp_relayed, fixture, 10000));
  g_assert_nonnull (find_row (GTK_WIDGET (fixture->page), "WhatsApp from phones"));
  g_assert_cmpuint (count_relay_channels (fixture, "telegram"), ==, 0);
  g_assert_false (gtk_switch_get_active (telegram));

  gtk_switch_set_active (whatsapp, FALSE);
  g_assert_true (picky_test_wait_until (whatsapp_not_relayed, fixture, 10000));
  picky_test_spin (200);
  g_assert_false (gtk_switch_get_active (whatsapp));
  g_assert_null (find_row (GTK_WIDGET (fixture->page), "WhatsApp from phones"));
}

/* The QR image itself: dark modules where libqrencode puts them. */
static void
test_phones_qr (void)
{
  g_autoptr(GdkTexture) texture = picky_pair_dialog_render_qr ("pickyrelay:?url=x&code=ABCD-EFGH", 2, NULL);
  g_autofree guchar *pixels = NULL;
  int side;

  g_assert_nonnull (texture);
  side = gdk_texture_get_width (texture);
  g_assert_cmpint (side, ==, gdk_texture_get_height (texture));
  pixels = g_malloc (side * side * 4);
  gdk_texture_download (texture, pixels, side * 4);
  /* The quiet zone is white; the top-left finder pattern starts dark. */
  g_assert_cmpuint (pixels[0], ==, 0xff);
  g_assert_cmpuint (pixels[(4 * 2) * side * 4 + (4 * 2) * 4], !=, 0xff);
}

int
main (int   argc,
      char *argv[])
{
  picky_test_gui_init (&argc, &argv);

  g_test_add ("/picky/phones/trust-revoke", Fixture, NULL,
              fixture_set_up, test_phones_trust_revoke, fixture_tear_down);
  g_test_add ("/picky/phones/pair", Fixture, NULL,
              fixture_set_up, test_phones_pair, fixture_tear_down);
  g_test_add ("/picky/phones/relayed-apps", Fixture, NULL,
              fixture_set_up, test_phones_relayed_apps, fixture_tear_down);
  g_test_add ("/picky/phones/pair-countdown", Fixture, NULL,
              fixture_set_up, test_phones_pair_countdown, fixture_tear_down);
  g_test_add_func ("/picky/phones/qr", test_phones_qr);

  return g_test_run ();
}
