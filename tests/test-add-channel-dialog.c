/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Add Channel dialog in a real window: each kind's fields, secrets into the keyring only. */

#include "config.h"

#include <glib/gi18n.h>

#include "fakes/picky-fake-telegram.h"
#include "picky-add-channel-dialog.h"
#include "picky-instagram-channel.h"
#include "picky-line-channel.h"
#include "picky-telegram-channel.h"
#include "picky-test-gui.h"
#include "picky-test-kind.h"
#include "picky-whatsapp-channel.h"

#define CANARY_TOKEN "7001234567:AAHdialogCANARYdialogCANARYdialog99"
#define CANARY_SECRET "app-secret-CANARY-dialog"

typedef struct {
  char                  *dir;
  PickyFakeTelegram     *server;
  PickyService          *service;
  PickyAddChannelDialog *dialog;
  gboolean               done;
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

  g_assert_true (picky_service_start_finish (PICKY_SERVICE (object), result, NULL));
  fixture->done = TRUE;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *db = NULL;

  fixture->dir = g_dir_make_tmp ("picky-dialog-XXXXXX", NULL);
  db = g_build_filename (fixture->dir, "console.db", NULL);
  fixture->server = picky_fake_telegram_new ();
  picky_fake_telegram_set_idle_delay (fixture->server, 100);
  fixture->service = picky_service_new (db);
  picky_service_start_async (fixture->service, FALSE, NULL, on_started_cb, fixture);
  g_assert_true (picky_test_wait_until (is_done, fixture, 20000));

  fixture->dialog = picky_add_channel_dialog_new (NULL, fixture->service);
  g_object_add_weak_pointer (G_OBJECT (fixture->dialog), (gpointer *) &fixture->dialog);
  gtk_window_present (GTK_WINDOW (fixture->dialog));
  picky_test_gui_wait_mapped (GTK_WIDGET (fixture->dialog));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (fixture->dialog));
  picky_service_shutdown (fixture->service);
  g_clear_object (&fixture->service);
  g_clear_object (&fixture->server);
  g_clear_pointer (&fixture->dir, g_free);
}

static GtkWidget *
row (Fixture    *fixture,
     const char *title)
{
  g_autoptr(GPtrArray) all = picky_test_gui_find_all (GTK_WIDGET (fixture->dialog), ADW_TYPE_PREFERENCES_ROW);
  GtkWidget *found;

  /* Kinds share labels (Meta's App Secret): the one shown is meant. */
  for (guint i = 0; i < all->len; i++)
    {
      g_autofree char *name = picky_test_gui_accessible_name (g_ptr_array_index (all, i));

      if (g_strcmp0 (name, title) == 0 && gtk_widget_is_visible (g_ptr_array_index (all, i)))
        return g_ptr_array_index (all, i);
    }

  found = picky_test_gui_find_named (GTK_WIDGET (fixture->dialog), ADW_TYPE_PREFERENCES_ROW, title);
  if (found == NULL)
    g_error ("no row named “%s”", title);
  return found;
}

static void
type_into (Fixture    *fixture,
           const char *title,
           const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row (fixture, title)), text);
}

/* The dialog's main button, called Add, Save or Done as the dialog goes on.
 * GTK 4.8 names a button with a mnemonic twice, underscore included. */
static GtkWidget *
button (Fixture    *fixture,
        const char *name)
{
  GtkWidget *found = picky_test_gui_find_named (GTK_WIDGET (fixture->dialog), GTK_TYPE_BUTTON, name);

  if (found == NULL)
    g_error ("no button named “%s”", name);
  return found;
}

/* What another program finds for the fixture's database: earlier tests'
 * databases have a channel of this number too. */
static char *
lookup_secret (Fixture    *fixture,
               gint64      channel_id,
               const char *kind)
{
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, channel_id);
  const char *argv[] = { "timeout", "20", "secret-tool", "lookup",
                         "database", picky_store_get_database_id (picky_service_get_store (fixture->service)),
                         "channel-id", id, "kind", kind, NULL };
  char *out = NULL;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &out, NULL, NULL, NULL));
  return out;
}

static PickyChannel *
only_channel (Fixture *fixture)
{
  GListModel *channels = picky_channel_registry_get_channels (picky_service_get_registry (fixture->service));
  g_autoptr(PickyChannel) channel = NULL;

  if (g_list_model_get_n_items (channels) != 1)
    return NULL;

  channel = g_list_model_get_item (channels, 0);
  return channel;
}

static gboolean
dialog_closed (gpointer data)
{
  return ((Fixture *) data)->dialog == NULL;
}

/* The channel exists, and what the kind asks to do next is shown. */
static gboolean
offers_done (gpointer data)
{
  Fixture *fixture = data;

  return picky_test_gui_find_named (GTK_WIDGET (fixture->dialog), GTK_TYPE_BUTTON, "Done") != NULL;
}

static gboolean
offers_add_anyway (gpointer data)
{
  Fixture *fixture = data;

  return picky_test_gui_find_named (GTK_WIDGET (fixture->dialog), GTK_TYPE_BUTTON,
                                    "Add Anyway") != NULL;
}

static GtkWidget *
visible_label_containing (GtkWidget  *root,
                          const char *text)
{
  g_autoptr(GPtrArray) labels = picky_test_gui_find_all (root, GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    {
      GtkWidget *label = g_ptr_array_index (labels, i);

      if (gtk_widget_is_visible (label) && strstr (gtk_label_get_text (GTK_LABEL (label)), text) != NULL)
        return label;
    }

  return NULL;
}

static gboolean
shows_verify_token (gpointer data)
{
  Fixture *fixture = data;
  g_autoptr(GPtrArray) rows = picky_test_gui_find_all (GTK_WIDGET (fixture->dialog), ADW_TYPE_ACTION_ROW);

  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (adw_preferences_row_get_title (g_ptr_array_index (rows, i)), _("Verify Token")) == 0 &&
        gtk_widget_is_visible (g_ptr_array_index (rows, i)))
      return TRUE;

  return FALSE;
}

/* The button named @name puts @expected on the clipboard. */
static void
copy_and_check (Fixture    *fixture,
                const char *name,
                const char *expected)
{
  picky_test_gui_assert_copies (button (fixture, name), expected);
}

/* By title, not position: the kinds are offered sorted, and a new kind
 * may come before any of them. */
static void
select_kind (Fixture *fixture,
             GType    type)
{
  AdwComboRow *kind = ADW_COMBO_ROW (row (fixture, _("Kind")));
  GListModel *titles = adw_combo_row_get_model (kind);

  for (guint i = 0; i < g_list_model_get_n_items (titles); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (titles), i),
                   picky_channel_class_get_title (type)) == 0)
      {
        adw_combo_row_set_selected (kind, i);
        return;
      }

  g_error ("the Kind row does not offer %s", g_type_name (type));
}

static void
test_dialog_telegram (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *me = "{\"ok\":true,\"result\":{\"id\":7001234567,\"is_bot\":true,"
                   "\"first_name\":\"Acme Support\",\"username\":\"acme_support_bot\"}}";
  g_autoptr(GBytes) body = g_bytes_new_static (me, strlen (me));
  g_autofree char *secret = NULL;
  PickyChannel *channel;

  /* Telegram comes with the public Bot API preset. */
  select_kind (fixture, PICKY_TYPE_TELEGRAM_CHANNEL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, _("Bot API Server")))), ==,
                   "https://api.telegram.org");
  g_assert_false (gtk_widget_get_sensitive (button (fixture, "Add")));

  type_into (fixture, _("Name"), "  Front desk ");
  type_into (fixture, _("Bot Token"), CANARY_TOKEN);
  g_assert_true (gtk_widget_get_sensitive (button (fixture, "Add")));

  /* A server address that is not a web address cannot be added. */
  type_into (fixture, _("Bot API Server"), "api.telegram.org");
  g_assert_false (gtk_widget_get_sensitive (button (fixture, "Add")));
  g_assert_true (gtk_widget_has_css_class (row (fixture, _("Bot API Server")), "error"));
  type_into (fixture, _("Bot API Server"), picky_fake_telegram_get_base_url (fixture->server));
  g_assert_true (gtk_widget_get_sensitive (button (fixture, "Add")));

  picky_fake_telegram_queue (fixture->server, "getMe", 200, body, NULL);
  gtk_widget_activate (button (fixture, "Add"));
  g_assert_true (picky_test_wait_until (dialog_closed, fixture, 20000));

  /* The connection was tested, and the token lives in the keyring only. */
  g_assert_cmpuint (picky_fake_telegram_count (fixture->server, "getMe"), ==, 1);
  channel = only_channel (fixture);
  g_assert_nonnull (channel);
  g_assert_cmpstr (picky_channel_get_name (channel), ==, "Front desk");
  g_assert_null (strstr (picky_channel_get_settings (channel), "AAHdialog"));
  secret = lookup_secret (fixture, picky_channel_get_id (channel), "token");
  g_assert_cmpstr (secret, ==, CANARY_TOKEN);
}

static gboolean
is_phone_size (gpointer data)
{
  return gtk_widget_get_width (data) <= 360 && gtk_widget_get_height (data) >= 700;
}

static void
test_dialog_whatsapp (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *secret = NULL;
  g_autofree char *verify = NULL;
  PickyChannel *channel;
  GtkWidget *path;
  GtkWidget *verify_row;

  select_kind (fixture, PICKY_TYPE_WHATSAPP_CHANNEL);
  g_assert_false (gtk_widget_get_visible (gtk_widget_get_ancestor (row (fixture, _("Bot Token")),
                                                                   ADW_TYPE_PREFERENCES_GROUP)));
  g_assert_true (gtk_widget_get_visible (gtk_widget_get_ancestor (row (fixture, _("App Secret")),
                                                                  ADW_TYPE_PREFERENCES_GROUP)));

  type_into (fixture, _("Name"), "Sales line");
  type_into (fixture, _("Phone Number ID"), "106540352242922");
  type_into (fixture, _("Access Token"), "EAAG-access-CANARY");
  g_assert_false (gtk_widget_get_sensitive (button (fixture, "Add")));
  type_into (fixture, _("App Secret"), CANARY_SECRET);
  g_assert_true (gtk_widget_get_sensitive (button (fixture, "Add")));

  gtk_widget_activate (button (fixture, "Add"));
  g_assert_true (picky_test_wait_until (offers_done, fixture, 20000));
  path = row (fixture, _("Callback Path"));
  picky_test_gui_wait_mapped (path);

  channel = only_channel (fixture);
  g_assert_nonnull (channel);
  g_assert_cmpstr (picky_channel_get_app (channel), ==, "whatsapp");
  g_assert_nonnull (strstr (picky_channel_get_settings (channel), "\"phone_number_id\":\"106540352242922\""));
  g_assert_nonnull (strstr (picky_channel_get_settings (channel), "\"graph_version\""));
  g_assert_null (strstr (picky_channel_get_settings (channel), "CANARY"));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (path)), ==, "/whatsapp");

  /* The verify token shown once is the one the keyring holds. */
  verify_row = row (fixture, _("Verify Token"));
  verify = lookup_secret (fixture, picky_channel_get_id (channel), "verify-token");
  g_assert_cmpuint (strlen (verify), >=, 20);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (verify_row)), ==, verify);
  secret = lookup_secret (fixture, picky_channel_get_id (channel), "app-secret");
  g_assert_cmpstr (secret, ==, CANARY_SECRET);

  /* The setup has the dialog to itself: the form is gone, nothing is left
   * to cancel, and each value has its Copy button. */
  g_assert_false (gtk_widget_get_mapped (row (fixture, _("Phone Number ID"))));
  g_assert_false (gtk_widget_get_visible (button (fixture, "Cancel")));
  copy_and_check (fixture, "Copy Verify Token", verify);
  copy_and_check (fixture, "Copy Callback Path", "/whatsapp");

  /* All of it in view, at phone size too. */
  picky_test_gui_assert_in_view (button (fixture, "Copy Verify Token"));
  picky_test_gui_assert_in_view (button (fixture, "Done"));
  gtk_window_set_default_size (GTK_WINDOW (fixture->dialog), 360, 720);
  g_assert_true (picky_test_wait_until (is_phone_size, fixture->dialog, 5000));
  picky_test_gui_assert_in_view (verify_row);
  picky_test_gui_assert_in_view (button (fixture, "Copy Verify Token"));

  gtk_widget_activate (button (fixture, "Done"));
  g_assert_true (picky_test_wait_until (dialog_closed, fixture, 5000));

  /* The verify token is no credential of ours: the Edit dialog shows it again. */
  fixture->dialog = picky_add_channel_dialog_new_for_channel (NULL, fixture->service, channel);
  g_object_add_weak_pointer (G_OBJECT (fixture->dialog), (gpointer *) &fixture->dialog);
  gtk_window_present (GTK_WINDOW (fixture->dialog));
  picky_test_gui_wait_mapped (GTK_WIDGET (fixture->dialog));
  g_assert_true (picky_test_wait_until (shows_verify_token, fixture, 20000));
  verify_row = row (fixture, _("Verify Token"));
  picky_test_gui_wait_mapped (verify_row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (verify_row)), ==, verify);
  copy_and_check (fixture, "Copy Verify Token", verify);
  /* On a phone too, without scrolling past the form. */
  gtk_window_set_default_size (GTK_WINDOW (fixture->dialog), 360, 720);
  g_assert_true (picky_test_wait_until (is_phone_size, fixture->dialog, 5000));
  picky_test_gui_assert_in_view (verify_row);
  picky_test_gui_assert_in_view (button (fixture, "Copy Verify Token"));
}

/* A failed test adds nothing; Add Anyway adds the channel as it is. */
static void
test_dialog_add_anyway (Fixture       *fixture,
                        gconstpointer  data)
{
  const char *rejected = "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}";
  const char *me = "{\"ok\":true,\"result\":{\"id\":7001234567,\"is_bot\":true,"
                   "\"first_name\":\"Acme Support\",\"username\":\"acme_support_bot\"}}";
  g_autoptr(GBytes) rejected_body = g_bytes_new_static (rejected, strlen (rejected));
  g_autoptr(GBytes) me_body = g_bytes_new_static (me, strlen (me));
  GListModel *channels = picky_channel_registry_get_channels (picky_service_get_registry (fixture->service));
  g_autofree char *secret = NULL;
  GtkWidget *error;
  PickyChannel *channel;

  select_kind (fixture, PICKY_TYPE_TELEGRAM_CHANNEL);
  type_into (fixture, _("Name"), "Front desk");
  type_into (fixture, _("Bot Token"), CANARY_TOKEN);
  type_into (fixture, _("Bot API Server"), picky_fake_telegram_get_base_url (fixture->server));

  picky_fake_telegram_queue (fixture->server, "getMe", 401, rejected_body, NULL);
  gtk_widget_activate (button (fixture, "Add"));
  g_assert_true (picky_test_wait_until (offers_add_anyway, fixture, 20000));

  /* Nothing was stored, and the dialog says why. */
  g_assert_cmpuint (picky_fake_telegram_count (fixture->server, "getMe"), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (channels), ==, 0);
  error = visible_label_containing (GTK_WIDGET (fixture->dialog), _("Telegram rejected the bot token"));
  g_assert_nonnull (error);
  g_assert_true (gtk_widget_get_visible (button (fixture, "Cancel")));

  /* A changed field is tested again before it may be added anyway. */
  type_into (fixture, _("Name"), "Front desk 2");
  g_assert_null (picky_test_gui_find_named (GTK_WIDGET (fixture->dialog), GTK_TYPE_BUTTON,
                                            "Add Anyway"));
  picky_fake_telegram_queue (fixture->server, "getMe", 401, rejected_body, NULL);
  gtk_widget_activate (button (fixture, "Add"));
  g_assert_true (picky_test_wait_until (offers_add_anyway, fixture, 20000));
  g_assert_cmpuint (picky_fake_telegram_count (fixture->server, "getMe"), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (channels), ==, 0);

  /* The admin's choice: added without a further test, and only Done is left. */
  picky_fake_telegram_queue (fixture->server, "getMe", 200, me_body, NULL);
  gtk_widget_activate (button (fixture, "Add Anyway"));
  g_assert_true (picky_test_wait_until (offers_done, fixture, 20000));
  g_assert_cmpuint (picky_fake_telegram_count (fixture->server, "getMe"), ==, 2);
  channel = only_channel (fixture);
  g_assert_nonnull (channel);
  g_assert_cmpstr (picky_channel_get_name (channel), ==, "Front desk 2");
  secret = lookup_secret (fixture, picky_channel_get_id (channel), "token");
  g_assert_cmpstr (secret, ==, CANARY_TOKEN);
  g_assert_false (gtk_widget_get_visible (button (fixture, "Cancel")));
  error = visible_label_containing (GTK_WIDGET (fixture->dialog),
                                    _("The channel was added without a passing connection test."));
  g_assert_nonnull (error);
  g_assert_true (gtk_widget_has_css_class (error, "warning"));
  g_assert_false (gtk_widget_has_css_class (error, "error"));

  gtk_widget_activate (button (fixture, "Done"));
  g_assert_true (picky_test_wait_until (dialog_closed, fixture, 5000));
  g_assert_cmpuint (g_list_model_get_n_items (channels), ==, 1);
}

/* A fresh dialog, for a channel to edit or after a kind was registered. */
static void
reopen_dialog (Fixture      *fixture,
               PickyChannel *channel)
{
  gtk_window_destroy (GTK_WINDOW (fixture->dialog));
  if (channel != NULL)
    fixture->dialog = picky_add_channel_dialog_new_for_channel (NULL, fixture->service, channel);
  else
    fixture->dialog = picky_add_channel_dialog_new (NULL, fixture->service);
  g_object_add_weak_pointer (G_OBJECT (fixture->dialog), (gpointer *) &fixture->dialog);
  gtk_window_present (GTK_WINDOW (fixture->dialog));
  picky_test_gui_wait_mapped (GTK_WIDGET (fixture->dialog));
}

/* The rows shown for @type are its fields, in order, and nothing else. */
static void
assert_rows_describe (Fixture *fixture,
                      GType    type)
{
  GPtrArray *fields = picky_channel_class_get_fields (type);
  const char *first = picky_channel_field_get_label (g_ptr_array_index (fields, 0));
  GtkWidget *group = gtk_widget_get_ancestor (row (fixture, first), ADW_TYPE_PREFERENCES_GROUP);
  g_autoptr(GPtrArray) rows = picky_test_gui_find_all (group, ADW_TYPE_PREFERENCES_ROW);

  g_assert_true (gtk_widget_get_visible (group));
  g_assert_cmpuint (rows->len, ==, fields->len);
  for (guint i = 0; i < fields->len; i++)
    {
      PickyChannelField *field = g_ptr_array_index (fields, i);
      GtkWidget *shown = g_ptr_array_index (rows, i);
      g_autofree char *name = picky_test_gui_accessible_name (shown);
      const char *value = picky_channel_field_get_default_value (field);

      g_assert_cmpstr (name, ==, picky_channel_field_get_label (field));
      g_assert_cmpint (ADW_IS_PASSWORD_ENTRY_ROW (shown), ==,
                       picky_channel_field_get_kind (field) == PICKY_CHANNEL_FIELD_SECRET);
      g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (shown)), ==, value != NULL ? value : "");
      g_assert_cmpstr (gtk_widget_get_tooltip_text (shown), ==, picky_channel_field_get_help (field));
    }
}

static gboolean
layout_done (gpointer data)
{
  return gtk_widget_get_width (data) > 0;
}

/* The Kind row shows the whole name of the kind chosen, however long,
 * where AdwComboRow's own item cut it off after 20 characters. */
static void
assert_kind_title_whole (Fixture *fixture,
                         GType    type)
{
  const char *title = picky_channel_class_get_title (type);
  g_autoptr(GPtrArray) labels = NULL;
  GtkWidget *shown = NULL;

  select_kind (fixture, type);
  /* The row's own, not the one in its closed list. */
  labels = picky_test_gui_find_all (row (fixture, _("Kind")), GTK_TYPE_LABEL);
  for (guint i = 0; i < labels->len; i++)
    if (g_strcmp0 (gtk_label_get_text (g_ptr_array_index (labels, i)), title) == 0 &&
        gtk_widget_get_ancestor (g_ptr_array_index (labels, i), GTK_TYPE_POPOVER) == NULL)
      shown = g_ptr_array_index (labels, i);
  g_assert_nonnull (shown);
  g_assert_true (picky_test_wait_until (layout_done, shown, 5000));
  picky_test_spin (100);
  g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (shown))));
}

/* The dialog asks what each kind describes, a kind only tests know included. */
static void
test_dialog_kinds (Fixture       *fixture,
                   gconstpointer  data)
{
  PickyChannelRegistry *registry = picky_service_get_registry (fixture->service);
  g_autofree char *secret = NULL;
  PickyChannel *channel;
  GtkWidget *group;

  select_kind (fixture, PICKY_TYPE_WHATSAPP_CHANNEL);
  assert_rows_describe (fixture, PICKY_TYPE_WHATSAPP_CHANNEL);
  select_kind (fixture, PICKY_TYPE_TELEGRAM_CHANNEL);
  assert_rows_describe (fixture, PICKY_TYPE_TELEGRAM_CHANNEL);
  select_kind (fixture, PICKY_TYPE_LINE_CHANNEL);
  assert_rows_describe (fixture, PICKY_TYPE_LINE_CHANNEL);
  select_kind (fixture, PICKY_TYPE_MESSENGER_CHANNEL);
  assert_rows_describe (fixture, PICKY_TYPE_MESSENGER_CHANNEL);
  select_kind (fixture, PICKY_TYPE_INSTAGRAM_CHANNEL);
  assert_rows_describe (fixture, PICKY_TYPE_INSTAGRAM_CHANNEL);

  /* At phone width too. */
  gtk_window_set_default_size (GTK_WINDOW (fixture->dialog), 360, 720);
  gtk_widget_set_size_request (GTK_WIDGET (fixture->dialog), 360, -1);
  assert_kind_title_whole (fixture, PICKY_TYPE_INSTAGRAM_CHANNEL);
  assert_kind_title_whole (fixture, PICKY_TYPE_WHATSAPP_CHANNEL);
  assert_kind_title_whole (fixture, PICKY_TYPE_MESSENGER_CHANNEL);

  picky_channel_registry_register_kind (registry, PICKY_TYPE_TEST_KIND_CHANNEL);
  reopen_dialog (fixture, NULL);
  select_kind (fixture, PICKY_TYPE_TEST_KIND_CHANNEL);
  assert_rows_describe (fixture, PICKY_TYPE_TEST_KIND_CHANNEL);
  group = gtk_widget_get_ancestor (row (fixture, "Signing Key"), ADW_TYPE_PREFERENCES_GROUP);
  g_assert_cmpstr (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (group)), ==,
                   "Only tests know this kind.");
  g_assert_false (gtk_widget_get_visible (gtk_widget_get_ancestor (row (fixture, _("Bot Token")),
                                                                   ADW_TYPE_PREFERENCES_GROUP)));

  /* Its address is checked and its secret is required, as the kind says. */
  type_into (fixture, _("Name"), "Hook");
  g_assert_false (gtk_widget_get_sensitive (button (fixture, "Add")));
  type_into (fixture, "Signing Key", "signing-key-CANARY-of-the-test-kind");
  g_assert_true (gtk_widget_get_sensitive (button (fixture, "Add")));
  type_into (fixture, "Endpoint", "127.0.0.1:9");
  g_assert_false (gtk_widget_get_sensitive (button (fixture, "Add")));
  g_assert_true (gtk_widget_has_css_class (row (fixture, "Endpoint"), "error"));
  type_into (fixture, "Endpoint", PICKY_TEST_KIND_DEFAULT_ENDPOINT);

  /* Added without a connection test, which the kind does not offer; with
   * nothing to do at the provider, the dialog is done. */
  gtk_widget_activate (button (fixture, "Add"));
  g_assert_true (picky_test_wait_until (dialog_closed, fixture, 20000));
  channel = only_channel (fixture);
  g_assert_nonnull (channel);
  g_assert_cmpstr (picky_channel_get_kind (channel), ==, PICKY_TEST_KIND);
  g_assert_cmpstr (picky_channel_get_app (channel), ==, "viber");
  g_assert_cmpstr (picky_channel_get_settings (channel), ==, "{\"endpoint\":\"" PICKY_TEST_KIND_DEFAULT_ENDPOINT "\"}");
  secret = lookup_secret (fixture, picky_channel_get_id (channel), "signing-key");
  g_assert_cmpstr (secret, ==, "signing-key-CANARY-of-the-test-kind");
}

static gboolean
is_online (gpointer data)
{
  PickyChannel *channel = only_channel (data);

  return channel != NULL && picky_channel_get_state (channel) == PICKY_CHANNEL_STATE_ONLINE;
}

static void
on_added_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (picky_service_add_channel_finish (PICKY_SERVICE (object), result, &error), >, 0);
  g_assert_no_error (error);
  fixture->done = TRUE;
}

static void
test_dialog_edit (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *me = "{\"ok\":true,\"result\":{\"id\":7001234567,\"is_bot\":true,"
                   "\"first_name\":\"Acme Support\",\"username\":\"acme_support_bot\"}}";
  g_autoptr(GBytes) body = g_bytes_new_static (me, strlen (me));
  g_autoptr(PickyFakeTelegram) second = picky_fake_telegram_new ();
  g_autoptr(GHashTable) secrets = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *settings = g_strdup_printf ("{\"api_base\":\"%s\"}",
                                               picky_fake_telegram_get_base_url (fixture->server));
  g_autofree char *secret = NULL;
  PickyChannel *before;
  PickyChannel *after;
  gint64 id;

  /* A running channel, as the console has it. */
  g_hash_table_insert (secrets, (gpointer) "token", (gpointer) CANARY_TOKEN);
  fixture->done = FALSE;
  picky_service_add_channel_async (fixture->service, "telegram", "telegram", "Front desk", settings,
                                   secrets, NULL, on_added_cb, fixture);
  g_assert_true (picky_test_wait_until (is_done, fixture, 20000));
  before = only_channel (fixture);
  g_assert_nonnull (before);
  id = picky_channel_get_id (before);
  picky_channel_start (before);
  g_assert_true (picky_test_wait_until (is_online, fixture, 10000));

  reopen_dialog (fixture, before);

  /* The channel's own values, and no secret shown. */
  g_assert_false (gtk_widget_get_sensitive (row (fixture, _("Kind"))));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, _("Name")))), ==, "Front desk");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, _("Bot API Server")))), ==,
                   picky_fake_telegram_get_base_url (fixture->server));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, _("Bot Token")))), ==, "");
  g_assert_true (gtk_widget_get_sensitive (button (fixture, "Save")));

  /* Moving it to another server replaces the running channel, token kept. */
  type_into (fixture, _("Name"), "Front desk (new server)");
  type_into (fixture, _("Bot API Server"), picky_fake_telegram_get_base_url (second));
  picky_fake_telegram_set_idle_delay (second, 100);
  picky_fake_telegram_queue (second, "getMe", 200, body, NULL);
  gtk_widget_activate (button (fixture, "Save"));
  g_assert_true (picky_test_wait_until (dialog_closed, fixture, 20000));

  after = only_channel (fixture);
  g_assert_nonnull (after);
  g_assert_cmpint (picky_channel_get_id (after), ==, id);
  g_assert_true (after != before);
  g_assert_cmpstr (picky_channel_get_name (after), ==, "Front desk (new server)");
  g_assert_true (picky_test_wait_until (is_online, fixture, 10000));
  g_assert_cmpuint (picky_fake_telegram_count (second, "getMe"), ==, 1);
  g_assert_cmpuint (picky_fake_telegram_count (second, "getUpdates"), >, 0);
  secret = lookup_secret (fixture, id, "token");
  g_assert_cmpstr (secret, ==, CANARY_TOKEN);
  picky_channel_stop (after);
}

int
main (int   argc,
      char *argv[])
{
  picky_test_gui_init (&argc, &argv);

  g_test_add ("/picky/add-channel-dialog/telegram", Fixture, NULL,
              fixture_set_up, test_dialog_telegram, fixture_tear_down);
  g_test_add ("/picky/add-channel-dialog/whatsapp", Fixture, NULL,
              fixture_set_up, test_dialog_whatsapp, fixture_tear_down);
  g_test_add ("/picky/add-channel-dialog/add-anyway", Fixture, NULL,
              fixture_set_up, test_dialog_add_anyway, fixture_tear_down);
  g_test_add ("/picky/add-channel-dialog/edit", Fixture, NULL,
              fixture_set_up, test_dialog_edit, fixture_tear_down);
  g_test_add ("/picky/add-channel-dialog/kinds", Fixture, NULL,
              fixture_set_up, test_dialog_kinds, fixture_tear_down);

  return g_test_run ();
}
