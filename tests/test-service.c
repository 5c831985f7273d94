/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of PickyService's start against a real keyring: when a data key may be made, and when not. */

#include "config.h"

#include <locale.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "picky-service.h"
#include "picky-test-util.h"

#define DATA_KEY_SCHEMA "io.github.pickyconsole.PickyConsole.DataKey"

typedef struct {
  char *dir;
  char *path;
  /* The session's keyring is shared with the other tests: a data key found
   * there is put back afterwards. */
  char *saved_data_key;
} Fixture;

static GHashTable *
data_key_attributes (void)
{
  GHashTable *attributes = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (attributes, (gpointer) "xdg:schema", (gpointer) DATA_KEY_SCHEMA);
  g_hash_table_insert (attributes, (gpointer) "kind", (gpointer) "data-key");

  return attributes;
}

static char *
read_raw_data_key (guint *n_items)
{
  g_autoptr(GHashTable) attributes = data_key_attributes ();
  g_autoptr(GError) error = NULL;
  GList *items;
  char *text = NULL;

  items = secret_service_search_sync (NULL, NULL, attributes,
                                      SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK | SECRET_SEARCH_LOAD_SECRETS,
                                      NULL, &error);
  g_assert_no_error (error);

  *n_items = g_list_length (items);
  if (items != NULL)
    {
      SecretValue *value = secret_item_get_secret (items->data);

      text = g_strdup (secret_value_get_text (value));
      secret_value_unref (value);
    }
  g_list_free_full (items, g_object_unref);

  return text;
}

static void
delete_data_key (void)
{
  g_autoptr(GHashTable) attributes = data_key_attributes ();
  g_autoptr(GError) error = NULL;

  secret_service_clear_sync (NULL, NULL, attributes, NULL, &error);
  g_assert_no_error (error);
}

static void
store_raw_data_key (const char *text)
{
  g_autoptr(GHashTable) attributes = data_key_attributes ();
  g_autoptr(SecretValue) value = secret_value_new (text, -1, "text/plain");
  g_autoptr(GError) error = NULL;

  secret_service_store_sync (NULL, NULL, attributes, SECRET_COLLECTION_DEFAULT,
                             "Picky Console: key that protects stored personal details",
                             value, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint n_items;

  fixture->dir = g_dir_make_tmp ("picky-service-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "picky-console.db", NULL);
  fixture->saved_data_key = read_raw_data_key (&n_items);
  delete_data_key ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  delete_data_key ();
  if (fixture->saved_data_key != NULL)
    store_raw_data_key (fixture->saved_data_key);
  g_clear_pointer (&fixture->saved_data_key, g_free);

  picky_test_remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

/* Starts a service on @path without its channels; returns it started, or
 * NULL with @error set. */
static PickyService *
start_service (const char  *path,
               GError     **error)
{
  g_autoptr(PickyService) service = picky_service_new (path);
  g_autoptr(GAsyncResult) result = NULL;

  picky_service_start_async (service, FALSE, NULL, picky_test_got_result_cb, &result);
  picky_test_wait_result (&result);
  if (!picky_service_start_finish (service, result, error))
    return NULL;

  return g_steal_pointer (&service);
}

static void
stop_service (PickyService *service)
{
  picky_service_shutdown (service);
  /* Pending signal emissions of the store hold it. */
  while (g_main_context_iteration (NULL, FALSE));
  g_object_unref (service);
}

static void
ingest_contact (PickyService *service)
{
  PickyStore *store = picky_service_get_store (service);
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyMessage *message = picky_message_new ();
  gint64 channel;

  picky_store_add_channel_async (store, "whatsapp", "cloud", "Sales", "{}", NULL, picky_test_got_result_cb, &result);
  picky_test_wait_result (&result);
  channel = picky_store_add_channel_finish (store, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  picky_message_set_channel_id (message, channel);
  picky_message_set_provider_key (message, "wamid.S1");
  picky_message_set_contact_provider_id (message, "15551234567");
  picky_message_set_contact_name (message, "Wanda");
  picky_message_set_direction (message, PICKY_DIRECTION_IN);
  picky_message_set_text (message, "Hello");
  picky_message_set_timestamp (message, 1700000000);
  picky_message_set_received (message, 1700000000);
  g_ptr_array_add (batch, message);
  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  picky_test_wait_result (&result);
  g_assert_cmpuint (picky_store_ingest_finish (store, result, &error), ==, 1);
  g_assert_no_error (error);
}

/* A database that exists but holds nothing sealed (channels only) gets its
 * first key: the file's existence alone decides nothing. */
static void
test_key_created_for_unsealed (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  PickyService *service;
  guint n_items;

  /* A file the console made, with a channel, and then lost its key. */
  service = start_service (fixture->path, &error);
  g_assert_no_error (error);
  {
    PickyStore *store = picky_service_get_store (service);
    g_autoptr(GAsyncResult) result = NULL;

    picky_store_add_channel_async (store, "telegram", "bot", "Support", "{}", NULL, picky_test_got_result_cb, &result);
    picky_test_wait_result (&result);
    g_assert_cmpint (picky_store_add_channel_finish (store, result, &error), >, 0);
    g_assert_no_error (error);
  }
  stop_service (service);
  first = read_raw_data_key (&n_items);
  g_assert_cmpuint (n_items, ==, 1);
  delete_data_key ();
  g_assert_true (g_file_test (fixture->path, G_FILE_TEST_EXISTS));

  service = start_service (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_true (picky_service_get_ready (service));
  stop_service (service);

  second = read_raw_data_key (&n_items);
  g_assert_cmpuint (n_items, ==, 1);
  g_assert_nonnull (second);
  g_assert_cmpstr (second, !=, first);
}

/* Once something is sealed with a key, a missing key is reported and no
 * new one is made; the data stays readable once the key is back. */
static void
test_key_missing_with_sealed (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *none = NULL;
  PickyService *service;
  guint n_items;

  service = start_service (fixture->path, &error);
  g_assert_no_error (error);
  ingest_contact (service);
  stop_service (service);

  key = read_raw_data_key (&n_items);
  g_assert_nonnull (key);
  delete_data_key ();

  service = start_service (fixture->path, &error);
  g_assert_error (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_KEY_MISSING);
  g_assert_null (service);
  none = read_raw_data_key (&n_items);
  g_assert_null (none);
  g_assert_cmpuint (n_items, ==, 0);
  g_clear_error (&error);

  /* The key back in the keyring: the same contact, readable. */
  store_raw_data_key (key);
  service = start_service (fixture->path, &error);
  g_assert_no_error (error);
  {
    PickyStore *store = picky_service_get_store (service);
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GPtrArray) contacts = NULL;
    const char *provider_id, *name;

    picky_store_list_contacts_async (store, NULL, NULL, 0, 10, NULL, picky_test_got_result_cb, &result);
    picky_test_wait_result (&result);
    contacts = picky_store_list_contacts_finish (store, result, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (contacts->len, ==, 1);
    g_variant_get (contacts->pdata[0], "(x&s&s&s&s)", NULL, NULL, &provider_id, &name, NULL);
    g_assert_cmpstr (provider_id, ==, "15551234567");
    g_assert_cmpstr (name, ==, "Wanda");
  }
  stop_service (service);
}

static gboolean
channels_show (gpointer data)
{
  PickyChannel **channels = ((gpointer *) data)[0];
  const char *error = ((gpointer *) data)[1];
  PickyChannelState state = error != NULL ? PICKY_CHANNEL_STATE_BACKING_OFF : PICKY_CHANNEL_STATE_ONLINE;

  for (guint i = 0; i < 2; i++)
    if (picky_channel_get_state (channels[i]) != state ||
        g_strcmp0 (picky_channel_get_last_error (channels[i]), error) != 0)
      return FALSE;

  return TRUE;
}

static gint64
add_channel (PickyService *service,
             const char   *kind,
             const char   *settings,
             GHashTable   *secrets)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  picky_service_add_channel_async (service, kind, "whatsapp", kind, settings, secrets,
                                   NULL, picky_test_got_result_cb, &result);
  id = picky_service_add_channel_finish (service, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return id;
}

/* A port that another program holds: the channels that receive through the
 * listener say so, with the address and why, and come online by
 * themselves once the port is free. */
static void
test_listener_port_taken (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(GSocket) holder = NULL;
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GHashTable) no_secrets = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) secrets = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  PickyService *service;
  PickyChannel *channels[2];
  gpointer wait[2] = { channels, NULL };
  gint64 ids[2];
  guint port;

  holder = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (holder, any, FALSE, &error));
  g_assert_true (g_socket_listen (holder, &error));
  bound = g_socket_get_local_address (holder, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_settings_set_string (settings, "webhook-address", "127.0.0.1");
  g_settings_set_int (settings, "webhook-port", (int) port);

  service = picky_service_new (fixture->path);
  picky_service_set_listener_retry_interval (service, 100);
  picky_service_start_async (service, TRUE, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_service_start_finish (service, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);

  g_hash_table_insert (secrets, (gpointer) "app-secret", (gpointer) "test-app-secret");
  g_hash_table_insert (secrets, (gpointer) "verify-token", (gpointer) "verify-me-0123456789");
  g_hash_table_insert (secrets, (gpointer) "access-token", (gpointer) "EAAtestACCESStoken");
  ids[0] = add_channel (service, "relay", "{}", no_secrets);
  ids[1] = add_channel (service, "whatsapp", "{\"phone_number_id\":\"106540352242922\"}", secrets);
  for (guint i = 0; i < 2; i++)
    channels[i] = picky_channel_registry_lookup (picky_service_get_registry (service), ids[i]);

  expected = g_strdup_printf ("Listener unavailable: 127.0.0.1 port %u is in use", port);
  wait[1] = expected;
  g_assert_true (picky_test_wait_until (channels_show, wait, 10000));
  g_assert_cmpstr (picky_service_get_listener_error (service), ==, expected);
  g_assert_false (picky_webhook_server_is_listening (picky_service_get_webhook_server (service)));

  /* Still refused after several tries while the port stays taken. */
  picky_test_spin (500);
  g_assert_true (channels_show (wait));

  g_socket_close (holder, &error);
  g_assert_no_error (error);
  wait[1] = NULL;
  g_assert_true (picky_test_wait_until (channels_show, wait, 10000));
  g_assert_null (picky_service_get_listener_error (service));
  g_assert_true (picky_webhook_server_is_listening (picky_service_get_webhook_server (service)));
  g_assert_cmpuint (picky_webhook_server_get_port (picky_service_get_webhook_server (service)), ==, port);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GAsyncResult) removed = NULL;

      picky_service_remove_channel_async (service, ids[i], NULL, picky_test_got_result_cb, &removed);
      g_assert_true (picky_service_remove_channel_finish (service, picky_test_wait_result (&removed), &error));
    }
  stop_service (service);
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C");
  g_test_init (&argc, &argv, NULL);

  ADD ("/picky/service/data-key/created-for-unsealed", test_key_created_for_unsealed);
  ADD ("/picky/service/data-key/missing-with-sealed", test_key_missing_with_sealed);
  ADD ("/picky/service/listener/port-taken", test_listener_port_taken);

  return g_test_run ();
}
