/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Channels page in a real window: access switches, the channel list, removal. */

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "fakes/picky-fake-telegram.h"
#include "picky-channels-page.h"
#include "picky-test-gui.h"

#define CANARY "7001234567:AAHpageCANARYpageCANARYpageCANARY77"

typedef struct {
  char              *dir;
  PickyFakeTelegram *server;
  PickyService      *service;
  GtkWindow         *window;
  PickyChannelsPage *page;
  gint64             channel_id;
  gboolean           done;
} Fixture;

static gboolean
is_done (gpointer data)
{
  return ((Fixture *) data)->done;
}

static void
on_started_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (picky_service_start_finish (PICKY_SERVICE (object), result, &error));
  g_assert_no_error (error);
  fixture->done = TRUE;
}

static void
on_added_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(GError) error = NULL;

  fixture->channel_id = picky_service_add_channel_finish (PICKY_SERVICE (object), result, &error);
  g_assert_no_error (error);
  fixture->done = TRUE;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *db = NULL;
  g_autofree char *settings = NULL;
  g_autoptr(GHashTable) secrets = g_hash_table_new (g_str_hash, g_str_equal);

  fixture->dir = g_dir_make_tmp ("picky-page-XXXXXX", NULL);
  db = g_build_filename (fixture->dir, "console.db", NULL);
  fixture->server = picky_fake_telegram_new ();
  picky_fake_telegram_set_idle_delay (fixture->server, 100);

  fixture->service = picky_service_new (db);
  picky_service_start_async (fixture->service, TRUE, NULL, on_started_cb, fixture);
  g_assert_true (picky_test_wait_until (is_done, fixture, 20000));

  fixture->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (fixture->window, 800, 900);
  fixture->page = g_object_new (PICKY_TYPE_CHANNELS_PAGE, NULL);
  picky_channels_page_set_service (fixture->page, fixture->service);
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->page));
  gtk_window_present (fixture->window);
  picky_test_gui_wait_mapped (GTK_WIDGET (fixture->page));

  settings = g_strdup_printf ("{\"api_base\": \"%s\"}", picky_fake_telegram_get_base_url (fixture->server));
  g_hash_table_insert (secrets, (gpointer) "token", (gpointer) CANARY);
  fixture->done = FALSE;
  picky_service_add_channel_async (fixture->service, "telegram", "telegram", "Front desk", settings,
                                   secrets, NULL, on_added_cb, fixture);
  g_assert_true (picky_test_wait_until (is_done, fixture, 20000));
  g_assert_cmpint (fixture->channel_id, >, 0);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);

  gtk_window_destroy (fixture->window);
  picky_service_shutdown (fixture->service);
  g_clear_object (&fixture->service);
  g_clear_object (&fixture->server);
  g_settings_reset (settings, "read-disabled-apps");
  g_settings_reset (settings, "push-disabled-apps");
  g_clear_pointer (&fixture->dir, g_free);
}

static GtkSwitch *
find_switch (GtkWidget  *root,
             const char *name)
{
  return GTK_SWITCH (picky_test_gui_find_named (root, GTK_TYPE_SWITCH, name));
}

static AdwActionRow *
find_row (GtkWidget  *root,
          const char *name)
{
  return ADW_ACTION_ROW (picky_test_gui_find_named (root, ADW_TYPE_ACTION_ROW, name));
}

typedef struct {
  Fixture    *fixture;
  const char *text;
} SubtitleWait;

static gboolean
row_says (gpointer data)
{
  SubtitleWait *wait = data;
  AdwActionRow *row = find_row (GTK_WIDGET (wait->fixture->page), "Front desk");

  return row != NULL && g_str_has_prefix (adw_action_row_get_subtitle (row), wait->text);
}

typedef struct {
  GtkSwitch *widget;
  gboolean   active;
} SwitchWait;

static gboolean
switch_is (gpointer data)
{
  SwitchWait *wait = data;

  return gtk_switch_get_active (wait->widget) == wait->active;
}

/* As the switch's accessible "toggle" action does: activation, which
 * animates the switch to its new state. */
static void
toggle (GtkSwitch *widget)
{
  SwitchWait wait = { widget, !gtk_switch_get_active (widget) };

  gtk_widget_activate (GTK_WIDGET (widget));
  g_assert_true (picky_test_wait_until (switch_is, &wait, 3000));
}

static gboolean
strv_has (GSettings  *settings,
          const char *key,
          const char *value)
{
  g_auto(GStrv) values = g_settings_get_strv (settings, key);

  return g_strv_contains ((const char * const *) values, value);
}

static void
test_page_read_switch (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  GtkSwitch *read = find_switch (GTK_WIDGET (fixture->page), "Read Telegram messages");
  SubtitleWait online = { fixture, _("Online") };
  SubtitleWait off = { fixture, _("Reading switched off") };
  guint before;

  g_assert_nonnull (read);
  g_assert_true (gtk_switch_get_active (read));
  g_assert_true (picky_test_wait_until (row_says, &online, 10000));
  g_assert_cmpuint (picky_fake_telegram_count (fixture->server, "getUpdates"), >, 0);

  toggle (read);
  g_assert_true (strv_has (settings, "read-disabled-apps", "telegram"));
  g_assert_true (picky_test_wait_until (row_says, &off, 2000));

  /* Reading off: the poller stops at once and stays stopped. */
  picky_test_spin (300);
  before = picky_fake_telegram_count (fixture->server, "getUpdates");
  picky_test_spin (1000);
  g_assert_cmpuint (picky_fake_telegram_count (fixture->server, "getUpdates"), ==, before);

  toggle (read);
  g_assert_false (strv_has (settings, "read-disabled-apps", "telegram"));
  g_assert_true (picky_test_wait_until (row_says, &online, 10000));
  picky_test_spin (500);
  g_assert_cmpuint (picky_fake_telegram_count (fixture->server, "getUpdates"), >, before);
}

static void
test_page_send_switch (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  GtkSwitch *send = find_switch (GTK_WIDGET (fixture->page), "Send WhatsApp messages");

  g_assert_nonnull (send);
  toggle (send);
  g_assert_true (strv_has (settings, "push-disabled-apps", "whatsapp"));
  g_assert_false (strv_has (settings, "push-disabled-apps", "telegram"));

  /* A change made elsewhere shows on the switch at once. */
  g_settings_reset (settings, "push-disabled-apps");
  picky_test_spin (100);
  g_assert_true (gtk_switch_get_active (send));
}

static GtkWindow *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }

  return NULL;
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *name)
{
  return picky_test_gui_find_named (root, GTK_TYPE_BUTTON, name);
}

static gboolean
row_gone (gpointer data)
{
  Fixture *fixture = data;

  return find_row (GTK_WIDGET (fixture->page), "Front desk") == NULL;
}

static void
test_page_remove (Fixture       *fixture,
                  gconstpointer  data)
{
  AdwActionRow *row = find_row (GTK_WIDGET (fixture->page), "Front desk");
  GtkWidget *remove;
  GtkWindow *dialog;
  g_autofree char *out = NULL;
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, fixture->channel_id);
  /* Earlier tests' databases have a channel of this number too. */
  const char *argv[] = { "timeout", "20", "secret-tool", "lookup",
                         "database", picky_store_get_database_id (picky_service_get_store (fixture->service)),
                         "channel-id", id, "kind", "token", NULL };

  g_assert_nonnull (row);
  remove = find_button (GTK_WIDGET (row), "Remove channel Front desk");
  g_assert_nonnull (remove);

  /* Nothing happens without confirmation. */
  gtk_widget_activate (remove);
  picky_test_spin (400);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  picky_test_spin (200);
  g_assert_nonnull (find_row (GTK_WIDGET (fixture->page), "Front desk"));

  gtk_widget_activate (remove);
  picky_test_spin (400);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "remove");
  g_assert_true (picky_test_wait_until (row_gone, fixture, 10000));

  /* Its token left the keyring with it. */
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &out, NULL, NULL, NULL));
  g_assert_cmpstr (out, ==, "");
}

static gboolean
service_done (gpointer data)
{
  PickyService *service = data;

  return picky_service_get_ready (service) || picky_service_get_error (service) != NULL;
}

static gboolean
trouble_hidden (gpointer data)
{
  return !gtk_widget_get_visible (data);
}

static void
test_page_trouble (void)
{
  g_autofree char *dir = g_dir_make_tmp ("picky-page-XXXXXX", NULL);
  g_autofree char *blocked = g_build_filename (dir, "data", NULL);
  g_autofree char *db = g_build_filename (blocked, "console.db", NULL);
  g_autoptr(PickyService) service = picky_service_new (db);
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  PickyChannelsPage *page = g_object_new (PICKY_TYPE_CHANNELS_PAGE, NULL);
  AdwActionRow *row;
  GtkWidget *group;
  GtkWidget *retry;
  GtkWidget *add;

  /* A file where the data folder should be: the store cannot open. */
  g_assert_true (g_file_set_contents (blocked, "", 0, NULL));
  picky_service_start_async (service, TRUE, NULL, NULL, NULL);
  g_assert_true (picky_test_wait_until (service_done, service, 20000));
  g_assert_nonnull (picky_service_get_error (service));

  picky_channels_page_set_service (page, service);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);
  picky_test_gui_wait_mapped (GTK_WIDGET (page));

  row = find_row (GTK_WIDGET (page), _("The Messages Could Not Be Opened"));
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, picky_service_get_error (service)->message);
  group = gtk_widget_get_ancestor (GTK_WIDGET (row), ADW_TYPE_PREFERENCES_GROUP);
  g_assert_true (gtk_widget_get_visible (group));
  add = find_button (GTK_WIDGET (page), "Add Channel");
  g_assert_nonnull (add);
  g_assert_false (gtk_widget_is_sensitive (add));

  /* Once the cause is gone, Try Again brings the page to life. */
  g_assert_cmpint (g_unlink (blocked), ==, 0);
  /* GTK 4.8 names a button with a mnemonic twice, underscore included. */
  retry = find_button (GTK_WIDGET (row), "Try Again");
  g_assert_nonnull (retry);
  gtk_widget_activate (retry);
  g_assert_true (picky_test_wait_until (trouble_hidden, group, 20000));
  g_assert_true (picky_service_get_ready (service));
  g_assert_true (gtk_widget_is_sensitive (add));

  gtk_window_destroy (window);
  picky_service_shutdown (service);
}

typedef struct {
  GtkWidget  *page;
  const char *name;
  const char *text;
} RowWait;

static gboolean
named_row_says (gpointer data)
{
  RowWait *wait = data;
  AdwActionRow *row = find_row (wait->page, wait->name);

  return row != NULL && g_str_has_prefix (adw_action_row_get_subtitle (row), wait->text);
}

/* The state icon of a channel's row, found as a screen reader finds it. */
static GtkWidget *
state_icon (AdwActionRow *row,
            const char   *name)
{
  return picky_test_gui_find_named (GTK_WIDGET (row), GTK_TYPE_IMAGE, name);
}

static PickyChannelsPage *
show_page (PickyService *service,
           GtkWindow   **window)
{
  PickyChannelsPage *page = g_object_new (PICKY_TYPE_CHANNELS_PAGE, NULL);

  *window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (*window, 800, 900);
  picky_channels_page_set_service (page, service);
  gtk_window_set_child (*window, GTK_WIDGET (page));
  gtk_window_present (*window);
  picky_test_gui_wait_mapped (GTK_WIDGET (page));
  return page;
}

static PickyService *
start_service (const char *db)
{
  PickyService *service = picky_service_new (db);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_service_set_listener_retry_interval (service, 100);
  picky_service_start_async (service, TRUE, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_service_start_finish (service, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  return service;
}

/* What each state says, in which colour and with which icon: a webhook
 * channel is only waiting until its first message, trouble is coloured,
 * and the last message's time comes back after a restart. */
static void
test_page_states (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autofree char *db = g_build_filename (fixture->dir, "console.db", NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) holder = NULL;
  g_autoptr(GHashTable) secrets = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *rejected = "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}";
  g_autoptr(GBytes) rejected_body = g_bytes_new_static (rejected, strlen (rejected));
  g_autofree char *waiting = g_strdup_printf (_("Waiting for the first message from %s"), "Meta");
  GtkWidget *page = GTK_WIDGET (fixture->page);
  RowWait wait = { page, "Sales line", NULL };
  PickyMessage *message;
  AdwActionRow *row;
  PickyChannel *channel;
  PickyStore *store;
  GtkWindow *window;
  gint64 id;

  /* Another program holds the listener's port. */
  holder = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (holder, any, FALSE, &error));
  g_assert_true (g_socket_listen (holder, &error));
  bound = g_socket_get_local_address (holder, &error);
  g_assert_no_error (error);
  g_settings_set_string (settings, "webhook-address", "127.0.0.1");
  g_settings_set_int (settings, "webhook-port",
                      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  picky_service_set_listener_retry_interval (fixture->service, 100);

  g_hash_table_insert (secrets, (gpointer) "app-secret", (gpointer) "test-app-secret");
  g_hash_table_insert (secrets, (gpointer) "verify-token", (gpointer) "verify-me-0123456789");
  g_hash_table_insert (secrets, (gpointer) "access-token", (gpointer) "EAAtestACCESStoken");
  fixture->done = FALSE;
  picky_service_add_channel_async (fixture->service, "whatsapp", "whatsapp", "Sales line",
                                   "{\"phone_number_id\":\"106540352242922\"}", secrets,
                                   NULL, on_added_cb, fixture);
  g_assert_true (picky_test_wait_until (is_done, fixture, 20000));
  id = fixture->channel_id;
  channel = picky_channel_registry_lookup (picky_service_get_registry (fixture->service), id);
  picky_channel_start (channel);

  /* Listener unavailable: it tries again by itself, a warning. */
  wait.text = _("Waiting to reconnect");
  g_assert_true (picky_test_wait_until (named_row_says, &wait, 20000));
  row = find_row (page, "Sales line");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "channel-warning"));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), "channel-error"));
  g_assert_true (gtk_widget_get_visible (state_icon (row, _("Warning"))));

  /* Listening, but Meta has not called yet: not Online. */
  g_clear_object (&holder);
  wait.text = waiting;
  g_assert_true (picky_test_wait_until (named_row_says, &wait, 20000));
  g_assert_cmpint (picky_channel_get_state (channel), ==, PICKY_CHANNEL_STATE_ONLINE);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, waiting);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), "channel-warning"));
  g_assert_false (gtk_widget_get_visible (state_icon (row, _("Warning"))));

  /* A rejected bot token is the admin's to fix: an error. The fixture's
   * Telegram channel polls, and its next poll is refused. */
  picky_fake_telegram_queue (fixture->server, "getUpdates", 401, rejected_body, NULL);
  wait.name = "Front desk";
  wait.text = _("Token rejected");
  g_assert_true (picky_test_wait_until (named_row_says, &wait, 20000));
  row = find_row (page, "Front desk");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "channel-error"));
  g_assert_true (gtk_widget_get_visible (state_icon (row, _("Error"))));

  /* A message the store holds for the WhatsApp channel… */
  store = picky_service_get_store (fixture->service);
  message = picky_message_new ();
  picky_message_set_channel_id (message, id);
  picky_message_set_provider_key (message, "wamid.STATE1");
  picky_message_set_contact_provider_id (message, "15551234567");
  picky_message_set_direction (message, PICKY_DIRECTION_IN);
  picky_message_set_text (message, "Hello");
  picky_message_set_timestamp (message, 1700000000);
  picky_message_set_received (message, 1700000000);
  g_ptr_array_add (batch, message);
  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (store, picky_test_wait_result (&result), &error), ==, 1);
  g_assert_no_error (error);

  /* …is its last message after a restart, and it no longer waits. */
  gtk_window_destroy (fixture->window);
  picky_service_shutdown (fixture->service);
  g_clear_object (&fixture->service);
  fixture->service = start_service (db);
  fixture->page = show_page (fixture->service, &window);
  fixture->window = window;
  channel = picky_channel_registry_lookup (picky_service_get_registry (fixture->service), id);
  g_assert_cmpint (picky_channel_get_last_message_time (channel), ==, 1700000000);
  picky_channel_start (channel);
  wait.page = GTK_WIDGET (fixture->page);
  wait.name = "Sales line";
  wait.text = _("Online");
  g_assert_true (picky_test_wait_until (named_row_says, &wait, 20000));
  row = find_row (GTK_WIDGET (fixture->page), "Sales line");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), _("last message")));
  picky_channel_stop (channel);

  g_settings_reset (settings, "webhook-address");
  g_settings_reset (settings, "webhook-port");
}

int
main (int   argc,
      char *argv[])
{
  picky_test_gui_init (&argc, &argv);

  g_test_add ("/picky/channels-page/read-switch", Fixture, NULL,
              fixture_set_up, test_page_read_switch, fixture_tear_down);
  g_test_add ("/picky/channels-page/send-switch", Fixture, NULL,
              fixture_set_up, test_page_send_switch, fixture_tear_down);
  g_test_add ("/picky/channels-page/remove", Fixture, NULL,
              fixture_set_up, test_page_remove, fixture_tear_down);
  g_test_add ("/picky/channels-page/states", Fixture, NULL,
              fixture_set_up, test_page_states, fixture_tear_down);
  g_test_add_func ("/picky/channels-page/trouble", test_page_trouble);

  return g_test_run ();
}
