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

  return g_test_run ();
}
