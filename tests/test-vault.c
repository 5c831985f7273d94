/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the vault against a real keyring, and without any keyring at all. */

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "picky-cipher.h"
#include "picky-store.h"
#include "picky-vault.h"
#include "picky-test-util.h"

#define DATA_KEY_SCHEMA "io.github.pickyconsole.PickyConsole.DataKey"
#define SECRET_SCHEMA "io.github.pickyconsole.PickyConsole.Secret"
/* For the vaults of tests that need no real database. */
#define TEST_DATABASE_ID "0123456789abcdef0123456789abcdef"
#define UNAVAILABLE_MESSAGE "The system keyring is not available. Picky Console keeps tokens " \
                            "only there; start or unlock your keyring and try again."

/* Two databases sharing the session's keyring, as two data folders do. */
typedef struct {
  char       *dir;
  char       *ids[2];
  PickyVault *vaults[2];
  PickyVault *vault;            /* the first of them */
  /* The session's keyring is shared with the other tests: a data key from
   * before database ids found there is put back afterwards. */
  char       *saved_data_key;
} Fixture;

static gboolean
vault_store (PickyVault  *vault,
             gint64       channel_id,
             const char  *kind,
             const char  *secret,
             GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  picky_vault_store_secret_async (vault, channel_id, kind, secret, NULL, picky_test_got_result_cb, &result);
  picky_test_wait_result (&result);

  return picky_vault_store_secret_finish (vault, result, error);
}

static char *
vault_lookup (PickyVault  *vault,
              gint64       channel_id,
              const char  *kind,
              GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  picky_vault_lookup_secret_async (vault, channel_id, kind, NULL, picky_test_got_result_cb, &result);
  picky_test_wait_result (&result);

  return picky_vault_lookup_secret_finish (vault, result, error);
}

static gboolean
vault_clear (PickyVault  *vault,
             gint64       channel_id,
             GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  picky_vault_clear_channel_async (vault, channel_id, NULL, picky_test_got_result_cb, &result);
  picky_test_wait_result (&result);

  return picky_vault_clear_channel_finish (vault, result, error);
}

static GBytes *
vault_get_key (PickyVault  *vault,
               gboolean     may_create,
               GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  picky_vault_get_data_key_async (vault, may_create, NULL, picky_test_got_result_cb, &result);
  picky_test_wait_result (&result);

  return picky_vault_get_data_key_finish (vault, result, error);
}

/* What another program sees: `secret-tool lookup ATTR VALUE…`. Returns its
 * output, or %NULL when it found nothing. */
static char *
secret_tool_lookup (const char *database_id,
                    const char *channel_id,
                    const char *kind)
{
  const char *argv[] = { "timeout", "20", "secret-tool", "lookup", "database", database_id,
                         "channel-id", channel_id, "kind", kind, NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);

  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_assert_cmpstr (out, ==, "");
      return NULL;
    }

  return g_steal_pointer (&out);
}

/* A database's key, or with a %NULL @database_id every key: those of every
 * database and the one from before ids. */
static GHashTable *
data_key_attributes (const char *database_id)
{
  GHashTable *attributes = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (attributes, (gpointer) "xdg:schema", (gpointer) DATA_KEY_SCHEMA);
  g_hash_table_insert (attributes, (gpointer) "kind", (gpointer) "data-key");
  if (database_id != NULL)
    g_hash_table_insert (attributes, (gpointer) "database", (gpointer) database_id);

  return attributes;
}

static gboolean
has_database (SecretItem *item)
{
  g_autoptr(GHashTable) attributes = secret_item_get_attributes (item);

  return g_hash_table_contains (attributes, "database");
}

static GList *
search_items (GHashTable *attributes)
{
  g_autoptr(GError) error = NULL;
  GList *items;

  items = secret_service_search_sync (NULL, NULL, attributes,
                                      SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK | SECRET_SEARCH_LOAD_SECRETS,
                                      NULL, &error);
  g_assert_no_error (error);

  return items;
}

/* Deletes the items @attributes find; with @legacy_only, only those from
 * before database ids. */
static void
delete_items (GHashTable *attributes,
              gboolean    legacy_only)
{
  GList *items = search_items (attributes);

  for (GList *l = items; l != NULL; l = l->next)
    {
      g_autoptr(GError) error = NULL;

      if (legacy_only && has_database (l->data))
        continue;
      secret_item_delete_sync (l->data, NULL, &error);
      g_assert_no_error (error);
    }
  g_list_free_full (items, g_object_unref);
}

static void
delete_data_key (const char *database_id)
{
  g_autoptr(GHashTable) attributes = data_key_attributes (database_id);

  delete_items (attributes, database_id == NULL);
}

/* With a %NULL @database_id, a key as versions from before ids stored it. */
static void
store_raw_data_key (const char *database_id,
                    const char *text)
{
  g_autoptr(GHashTable) attributes = data_key_attributes (database_id);
  g_autoptr(SecretValue) value = secret_value_new (text, -1, "text/plain");
  g_autoptr(GError) error = NULL;

  secret_service_store_sync (NULL, NULL, attributes, SECRET_COLLECTION_DEFAULT,
                             "Picky Console: key that protects stored personal details",
                             value, NULL, &error);
  g_assert_no_error (error);
}

/* The key of @database_id, or with %NULL the one from before ids. */
static char *
read_raw_data_key (const char *database_id,
                   guint      *n_items)
{
  g_autoptr(GHashTable) attributes = data_key_attributes (database_id);
  GList *items = search_items (attributes);
  char *text = NULL;

  *n_items = 0;
  for (GList *l = items; l != NULL; l = l->next)
    {
      SecretValue *value;

      if (database_id == NULL && has_database (l->data))
        continue;
      if ((*n_items)++ > 0)
        continue;
      value = secret_item_get_secret (l->data);
      text = g_strdup (secret_value_get_text (value));
      secret_value_unref (value);
    }
  g_list_free_full (items, g_object_unref);

  return text;
}

/* A channel secret as versions from before database ids stored it. */
static void
store_legacy_secret (const char *channel_id,
                     const char *kind,
                     const char *label,
                     const char *text)
{
  g_autoptr(GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(SecretValue) value = secret_value_new (text, -1, "text/plain");
  g_autoptr(GError) error = NULL;

  g_hash_table_insert (attributes, (gpointer) "xdg:schema", (gpointer) SECRET_SCHEMA);
  g_hash_table_insert (attributes, (gpointer) "channel-id", (gpointer) channel_id);
  g_hash_table_insert (attributes, (gpointer) "kind", (gpointer) kind);
  secret_service_store_sync (NULL, NULL, attributes, SECRET_COLLECTION_DEFAULT, label, value, NULL, &error);
  g_assert_no_error (error);
}

/* Every item of channel @channel_id: every database's and the old ones. */
static GList *
search_channel (const char *channel_id)
{
  g_autoptr(GHashTable) query = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (query, (gpointer) "xdg:schema", (gpointer) SECRET_SCHEMA);
  g_hash_table_insert (query, (gpointer) "channel-id", (gpointer) channel_id);
  return search_items (query);
}

/* A real database's id, from a store opened on a new file in @dir. */
static char *
new_database_id (const char *dir,
                 const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(PickyCipher) cipher = picky_test_cipher ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GError) error = NULL;

  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &result);
  store = picky_store_open_finish (picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  picky_store_close (store);

  return g_strdup (picky_store_get_database_id (store));
}

static void
clear_channels (Fixture *fixture)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture->vaults); i++)
    for (gint64 channel = 1; channel <= 8; channel++)
      {
        g_autoptr(GError) error = NULL;

        vault_clear (fixture->vaults[i], channel, &error);
        g_assert_no_error (error);
      }
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint n_items;

  fixture->dir = g_dir_make_tmp ("picky-vault-XXXXXX", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (fixture->vaults); i++)
    {
      g_autofree char *name = g_strdup_printf ("shop-%u.db", i);

      fixture->ids[i] = new_database_id (fixture->dir, name);
      fixture->vaults[i] = picky_vault_new (fixture->ids[i]);
    }
  fixture->vault = fixture->vaults[0];
  g_assert_cmpstr (fixture->ids[0], !=, fixture->ids[1]);

  fixture->saved_data_key = read_raw_data_key (NULL, &n_items);
  delete_data_key (NULL);
  clear_channels (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  clear_channels (fixture);

  delete_data_key (NULL);
  if (fixture->saved_data_key != NULL)
    store_raw_data_key (NULL, fixture->saved_data_key);
  g_clear_pointer (&fixture->saved_data_key, g_free);

  for (guint i = 0; i < G_N_ELEMENTS (fixture->vaults); i++)
    {
      delete_data_key (fixture->ids[i]);
      g_assert_finalize_object (fixture->vaults[i]);
      g_free (fixture->ids[i]);
    }

  picky_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static void
test_secret_roundtrip (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  g_autofree char *replaced = NULL;
  g_autofree char *absent = NULL;

  g_assert_true (vault_store (fixture->vault, 3, "token", "123456:AAE-first-token", &error));
  g_assert_no_error (error);

  value = vault_lookup (fixture->vault, 3, "token", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "123456:AAE-first-token");

  /* Storing again replaces the secret of that kind. */
  g_assert_true (vault_store (fixture->vault, 3, "token", "123456:AAE-second-token", &error));
  replaced = vault_lookup (fixture->vault, 3, "token", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (replaced, ==, "123456:AAE-second-token");

  /* Nothing stored is no error. */
  absent = vault_lookup (fixture->vault, 3, "app-secret", &error);
  g_assert_no_error (error);
  g_assert_null (absent);
}

static void
test_secret_outside (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *seen = NULL;
  g_autofree char *other = NULL;

  g_assert_true (vault_store (fixture->vault, 3, "token", "123456:AAE-outside-token", &error));
  g_assert_no_error (error);

  seen = secret_tool_lookup (fixture->ids[0], "3", "token");
  g_assert_cmpstr (seen, ==, "123456:AAE-outside-token");

  other = secret_tool_lookup (fixture->ids[0], "4", "token");
  g_assert_null (other);
}

static void
test_secret_attributes (Fixture       *fixture,
                        gconstpointer  data)
{
  const char *secret = "123456:AAE-attribute-token";
  g_autoptr(GHashTable) query = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(GList) keys = NULL;
  g_autoptr(SecretValue) value = NULL;
  g_autofree char *label = NULL;
  GHashTableIter iter;
  gpointer attr_value;
  GList *items;

  g_assert_true (vault_store (fixture->vault, 3, "token", secret, &error));
  g_assert_no_error (error);

  g_hash_table_insert (query, (gpointer) "channel-id", (gpointer) "3");
  g_hash_table_insert (query, (gpointer) "database", fixture->ids[0]);
  items = search_items (query);
  g_assert_cmpuint (g_list_length (items), ==, 1);

  /* Only the three agreed attributes, and the schema name libsecret adds so
   * that our items never match another program's. */
  attributes = secret_item_get_attributes (items->data);
  keys = g_list_sort (g_hash_table_get_keys (attributes), (GCompareFunc) strcmp);
  g_assert_cmpuint (g_list_length (keys), ==, 4);
  g_assert_cmpstr (g_list_nth_data (keys, 0), ==, "channel-id");
  g_assert_cmpstr (g_list_nth_data (keys, 1), ==, "database");
  g_assert_cmpstr (g_list_nth_data (keys, 2), ==, "kind");
  g_assert_cmpstr (g_list_nth_data (keys, 3), ==, "xdg:schema");
  g_assert_cmpstr (g_hash_table_lookup (attributes, "database"), ==, fixture->ids[0]);
  g_assert_cmpstr (g_hash_table_lookup (attributes, "channel-id"), ==, "3");
  g_assert_cmpstr (g_hash_table_lookup (attributes, "kind"), ==, "token");
  g_assert_cmpstr (g_hash_table_lookup (attributes, "xdg:schema"), ==, SECRET_SCHEMA);

  g_hash_table_iter_init (&iter, attributes);
  while (g_hash_table_iter_next (&iter, NULL, &attr_value))
    g_assert_null (strstr (attr_value, "AAE"));

  label = secret_item_get_label (items->data);
  g_assert_cmpstr (label, ==, "Picky Console: access token for channel 3");

  value = secret_item_get_secret (items->data);
  g_assert_cmpstr (secret_value_get_text (value), ==, secret);

  g_list_free_full (items, g_object_unref);
}

static void
test_secret_label (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GHashTable) query = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *label = NULL;
  GList *items;

  picky_vault_store_secret_with_label_async (fixture->vault, 4, "token",
                                             "Picky Console: Telegram bot token for channel 4",
                                             "777:labelled-token", NULL, picky_test_got_result_cb, &result);
  picky_test_wait_result (&result);
  g_assert_true (picky_vault_store_secret_finish (fixture->vault, result, &error));
  g_assert_no_error (error);

  g_hash_table_insert (query, (gpointer) "channel-id", (gpointer) "4");
  g_hash_table_insert (query, (gpointer) "database", fixture->ids[0]);
  items = search_items (query);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  label = secret_item_get_label (items->data);
  g_assert_cmpstr (label, ==, "Picky Console: Telegram bot token for channel 4");
  g_list_free_full (items, g_object_unref);
}

/* A label that happens to hold the secret is replaced, and the call still
 * ends in its callback: "tok" is part of "access token". */
static void
test_secret_label_holds_secret (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GHashTable) query = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *label = NULL;
  g_autofree char *value = NULL;
  GList *items;

  picky_vault_store_secret_with_label_async (fixture->vault, 5, "token",
                                             "Picky Console: bot token for channel 5 of shop-front-42",
                                             "shop-front-42", NULL, picky_test_got_result_cb, &result);
  picky_test_wait_result (&result);
  g_assert_true (picky_vault_store_secret_finish (fixture->vault, result, &error));
  g_assert_no_error (error);

  g_hash_table_insert (query, (gpointer) "channel-id", (gpointer) "5");
  g_hash_table_insert (query, (gpointer) "database", fixture->ids[0]);
  items = search_items (query);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  label = secret_item_get_label (items->data);
  g_assert_cmpstr (label, ==, "Picky Console channel 5");
  g_list_free_full (items, g_object_unref);

  value = vault_lookup (fixture->vault, 5, "token", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "shop-front-42");
  g_assert_true (vault_clear (fixture->vault, 5, &error));
}

/* Values no provider issues end with an error in the callback, and nothing
 * is stored. */
static void
test_secret_unusable (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *values[] = { "", "tok", "two\nlines-of-it", "tab\tinside-it" };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *value = NULL;

      g_assert_false (vault_store (fixture->vault, 6, "token", values[i], &error));
      g_assert_error (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_INVALID_SECRET);
      g_assert_nonnull (strstr (error->message, "“token”"));
      g_assert_null (strstr (error->message, "tok\""));
      g_clear_error (&error);

      value = vault_lookup (fixture->vault, 6, "token", &error);
      g_assert_no_error (error);
      g_assert_null (value);
    }

  g_assert_true (picky_vault_check_secret ("token", "12345678", NULL));
}

static void
test_secret_clear (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *app_secret = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *kept = NULL;

  g_assert_true (vault_store (fixture->vault, 3, "token", "token-of-three", &error));
  g_assert_true (vault_store (fixture->vault, 3, "app-secret", "app-secret-of-three", &error));
  g_assert_true (vault_store (fixture->vault, 4, "token", "token-of-four", &error));
  g_assert_no_error (error);

  g_assert_true (vault_clear (fixture->vault, 3, &error));
  g_assert_no_error (error);

  token = vault_lookup (fixture->vault, 3, "token", &error);
  g_assert_no_error (error);
  g_assert_null (token);
  app_secret = vault_lookup (fixture->vault, 3, "app-secret", &error);
  g_assert_no_error (error);
  g_assert_null (app_secret);
  outside = secret_tool_lookup (fixture->ids[0], "3", "token");
  g_assert_null (outside);

  /* Another channel's secrets stay. */
  kept = secret_tool_lookup (fixture->ids[0], "4", "token");
  g_assert_cmpstr (kept, ==, "token-of-four");

  /* Clearing what is already gone is no error. */
  g_assert_true (vault_clear (fixture->vault, 3, &error));
  g_assert_no_error (error);
}

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;

  return memmem (contents, length, needle, strlen (needle)) != NULL;
}

/* Counts the files under @dir and fails on any that holds @needle. */
static guint
assert_no_file_contains (const char *dir,
                         const char *needle)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n_files = 0;

  if (handle == NULL)
    return 0;

  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          n_files += assert_no_file_contains (path, needle);
          continue;
        }

      n_files++;
      if (file_contains (path, needle))
        g_error ("%s holds a secret in plain text", path);
    }

  return n_files;
}

static void
test_secret_canary (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *canary = g_strdup_printf ("picky-canary-%08x%08x", g_random_int (), g_random_int ());
  g_autofree char *keyring = g_build_filename (g_get_user_data_dir (), "keyrings", "login.keyring", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autofree char *key_text = NULL;
  guint n_files = 0;
  guint n_items;

  g_assert_true (vault_store (fixture->vault, 4, "token", canary, &error));
  g_assert_no_error (error);
  key = vault_get_key (fixture->vault, TRUE, &error);
  g_assert_no_error (error);
  key_text = read_raw_data_key (fixture->ids[0], &n_items);
  g_assert_nonnull (key_text);

  /* The keyring file exists where the search looks, so finding nothing
   * means something. */
  g_assert_true (g_file_test (keyring, G_FILE_TEST_IS_REGULAR));

  n_files += assert_no_file_contains (g_get_user_data_dir (), canary);
  n_files += assert_no_file_contains (g_get_user_config_dir (), canary);
  n_files += assert_no_file_contains (g_get_user_cache_dir (), canary);
  n_files += assert_no_file_contains (g_get_user_data_dir (), key_text);
  g_assert_cmpuint (n_files, >, 0);
}

static void
test_data_key_create (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) missing = NULL;
  g_autoptr(GBytes) created = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GBytes) again_may_create = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *expected = NULL;
  guint n_items;

  /* Absent and not to be created: encrypted rows would be unreadable. */
  missing = vault_get_key (fixture->vault, FALSE, &error);
  g_assert_error (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_KEY_MISSING);
  g_assert_null (missing);
  g_assert_null (read_raw_data_key (fixture->ids[0], &n_items));
  g_assert_cmpuint (n_items, ==, 0);
  g_clear_error (&error);

  created = vault_get_key (fixture->vault, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (created), ==, 32);

  again = vault_get_key (fixture->vault, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (created, again));

  again_may_create = vault_get_key (fixture->vault, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (created, again_may_create));

  /* Kept as base64 text, one item only. */
  stored = read_raw_data_key (fixture->ids[0], &n_items);
  expected = g_base64_encode (g_bytes_get_data (created, NULL), 32);
  g_assert_cmpuint (n_items, ==, 1);
  g_assert_cmpstr (stored, ==, expected);
}

static void
test_data_key_concurrent (Fixture       *fixture,
                          gconstpointer  data)
{
  GAsyncResult *slots[3] = { NULL, };
  GBytes *keys[3] = { NULL, };
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  guint n_items;

  /* Three first calls at once: one key is created and all three get it. */
  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    picky_vault_get_data_key_async (fixture->vault, TRUE, NULL, picky_test_got_result_cb, &slots[i]);

  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    {
      keys[i] = picky_vault_get_data_key_finish (fixture->vault, picky_test_wait_result (&slots[i]), &error);
      g_assert_no_error (error);
      g_clear_object (&slots[i]);
    }

  g_assert_true (g_bytes_equal (keys[0], keys[1]));
  g_assert_true (g_bytes_equal (keys[0], keys[2]));
  stored = read_raw_data_key (fixture->ids[0], &n_items);
  g_assert_cmpuint (n_items, ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_bytes_unref (keys[i]);
}

static void
test_data_key_damaged (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autofree char *stored = NULL;
  guint n_items;

  store_raw_data_key (fixture->ids[0], "c2hvcnQ=");

  key = vault_get_key (fixture->vault, TRUE, &error);
  g_assert_error (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_FAILED);
  g_assert_null (key);

  /* The damaged key is left for the admin to restore, never replaced. */
  stored = read_raw_data_key (fixture->ids[0], &n_items);
  g_assert_cmpuint (n_items, ==, 1);
  g_assert_cmpstr (stored, ==, "c2hvcnQ=");
}

/* Databases sharing one keyring */

/* Two data folders, each with its "channel 1": neither replaces, finds or
 * removes the other's token. */
static void
test_database_separate (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *gone = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *kept_outside = NULL;

  g_assert_true (vault_store (fixture->vaults[0], 1, "token", "111111:first-shop-token", &error));
  g_assert_no_error (error);
  g_assert_true (vault_store (fixture->vaults[1], 1, "token", "222222:second-shop-token", &error));
  g_assert_no_error (error);

  first = vault_lookup (fixture->vaults[0], 1, "token", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, "111111:first-shop-token");
  second = vault_lookup (fixture->vaults[1], 1, "token", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second, ==, "222222:second-shop-token");
  outside = secret_tool_lookup (fixture->ids[0], "1", "token");
  g_assert_cmpstr (outside, ==, "111111:first-shop-token");

  /* Removing the first folder's channel 1 leaves the second's. */
  g_assert_true (vault_clear (fixture->vaults[0], 1, &error));
  g_assert_no_error (error);
  gone = vault_lookup (fixture->vaults[0], 1, "token", &error);
  g_assert_no_error (error);
  g_assert_null (gone);
  kept = vault_lookup (fixture->vaults[1], 1, "token", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kept, ==, "222222:second-shop-token");
  kept_outside = secret_tool_lookup (fixture->ids[1], "1", "token");
  g_assert_cmpstr (kept_outside, ==, "222222:second-shop-token");
}

/* A token stored before databases had ids is found by the first database
 * that asks for it, moved to it with its label, and from then on found
 * only with that database's id. */
static void
test_database_legacy_secret (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *taken = NULL;
  g_autofree char *again = NULL;
  g_autofree char *other = NULL;
  g_autofree char *label = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  GList *items;

  store_legacy_secret ("3", "token", "Picky Console: Telegram bot token for channel 3", "333333:old-token");

  taken = vault_lookup (fixture->vaults[0], 3, "token", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (taken, ==, "333333:old-token");

  items = search_channel ("3");
  g_assert_cmpuint (g_list_length (items), ==, 1);
  attributes = secret_item_get_attributes (items->data);
  g_assert_cmpstr (g_hash_table_lookup (attributes, "database"), ==, fixture->ids[0]);
  g_assert_cmpstr (g_hash_table_lookup (attributes, "kind"), ==, "token");
  label = secret_item_get_label (items->data);
  g_assert_cmpstr (label, ==, "Picky Console: Telegram bot token for channel 3");
  g_list_free_full (items, g_object_unref);

  again = vault_lookup (fixture->vaults[0], 3, "token", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, "333333:old-token");

  /* The second database's channel 3 is another channel. */
  other = vault_lookup (fixture->vaults[1], 3, "token", &error);
  g_assert_no_error (error);
  g_assert_null (other);
}

/* Removing a channel removes its tokens from before ids too. */
static void
test_database_legacy_clear (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GList *items;

  store_legacy_secret ("4", "token", "Picky Console: access token for channel 4", "444444:old-token");
  store_legacy_secret ("4", "app-secret", "Picky Console: app secret for channel 4", "444444:old-app-secret");
  g_assert_true (vault_store (fixture->vaults[1], 4, "token", "444444:second-shop-token", &error));
  g_assert_no_error (error);

  g_assert_true (vault_clear (fixture->vaults[0], 4, &error));
  g_assert_no_error (error);

  items = search_channel ("4");
  g_assert_cmpuint (g_list_length (items), ==, 1);
  g_assert_true (has_database (items->data));
  g_list_free_full (items, g_object_unref);
}

/* Each database has its own data key. The key every database shared
 * before ids is copied to a database that has sealed rows and no key of
 * its own, and kept for the others; a database with nothing sealed gets a
 * new key instead. */
static void
test_database_data_keys (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GBytes) legacy = picky_cipher_generate_key ();
  g_autofree char *legacy_text = g_base64_encode (g_bytes_get_data (legacy, NULL), 32);
  g_autofree char *copied = NULL;
  g_autofree char *kept = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) first_again = NULL;
  g_autoptr(GBytes) fresh = NULL;
  g_autoptr(GBytes) second = NULL;
  guint n_items;

  store_raw_data_key (NULL, legacy_text);

  first = vault_get_key (fixture->vaults[0], FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (first, legacy));
  copied = read_raw_data_key (fixture->ids[0], &n_items);
  g_assert_cmpuint (n_items, ==, 1);
  g_assert_cmpstr (copied, ==, legacy_text);
  kept = read_raw_data_key (NULL, &n_items);
  g_assert_cmpuint (n_items, ==, 1);
  g_assert_cmpstr (kept, ==, legacy_text);

  /* Its own key from now on, even with the old one gone. */
  delete_data_key (NULL);
  first_again = vault_get_key (fixture->vaults[0], FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (first_again, legacy));

  /* The second database has nothing sealed: a key of its own. */
  store_raw_data_key (NULL, legacy_text);
  fresh = vault_get_key (fixture->vaults[1], TRUE, &error);
  g_assert_no_error (error);
  g_assert_false (g_bytes_equal (fresh, legacy));
  second = vault_get_key (fixture->vaults[1], FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (second, fresh));
}

/* Without a keyring */

static void
assert_nothing_written (void)
{
  const char *dirs[] = { g_get_user_data_dir (), g_get_user_config_dir (), g_get_user_cache_dir () };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    g_assert_cmpuint (assert_no_file_contains (dirs[i], "picky"), ==, 0);
}

static void
assert_every_call_unavailable (void)
{
  g_autoptr(PickyVault) vault = picky_vault_new (TEST_DATABASE_ID);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autofree char *value = NULL;

  g_assert_false (vault_store (vault, 3, "token", "123456:AAE-nowhere", &error));
  g_assert_error (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_UNAVAILABLE);
  g_assert_cmpstr (error->message, ==, UNAVAILABLE_MESSAGE);
  g_clear_error (&error);

  value = vault_lookup (vault, 3, "token", &error);
  g_assert_error (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_UNAVAILABLE);
  g_assert_null (value);
  g_clear_error (&error);

  key = vault_get_key (vault, TRUE, &error);
  g_assert_error (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_UNAVAILABLE);
  g_assert_null (key);
  g_clear_error (&error);

  g_assert_false (vault_clear (vault, 3, &error));
  g_assert_error (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_UNAVAILABLE);
  g_clear_error (&error);

  /* Not even a fallback file: tokens live in the keyring or nowhere. */
  assert_nothing_written ();
}

static void
test_unavailable_no_bus (void)
{
  g_autofree char *dir = g_dir_make_tmp ("picky-vault-XXXXXX", NULL);
  g_autofree char *address = g_strdup_printf ("unix:path=%s/no-such-bus", dir);

  g_assert_nonnull (dir);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

  assert_every_call_unavailable ();

  g_rmdir (dir);
}

static void
on_dbus_child_setup (gpointer user_data)
{
  /* Should the test abort before it ends the daemon itself. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
test_unavailable_no_service (void)
{
  g_autofree char *dir = g_dir_make_tmp ("picky-vault-XXXXXX", NULL);
  g_autofree char *config_path = g_build_filename (dir, "bus.conf", NULL);
  g_autofree char *config = NULL;
  g_autofree char *config_arg = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_owner = TRUE;

  /* A bus with no service directories: nothing can be activated on it,
   * so no keyring can appear while the test runs. */
  config = g_strdup_printf ("<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                            " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                            "<busconfig>\n"
                            "  <type>session</type>\n"
                            "  <listen>unix:dir=%s</listen>\n"
                            "  <auth>EXTERNAL</auth>\n"
                            "  <policy context=\"default\">\n"
                            "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                            "    <allow eavesdrop=\"true\"/>\n"
                            "    <allow own=\"*\"/>\n"
                            "  </policy>\n"
                            "</busconfig>\n", dir);
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);

  config_arg = g_strconcat ("--config-file=", config_path, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, on_dbus_child_setup, NULL, NULL);
  daemon = g_subprocess_launcher_spawn (launcher, &error,
                                        "dbus-daemon", config_arg, "--nofork", "--print-address=1", NULL);
  g_assert_no_error (error);

  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (daemon));
  address = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (address);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

  /* The test means something only if this bus is really the one used and
   * no Secret Service is on it. */
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  owned = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", "org.freedesktop.secrets"),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                       5000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (owned, "(b)", &has_owner);
  g_assert_false (has_owner);

  assert_every_call_unavailable ();

  g_subprocess_send_signal (daemon, SIGTERM);
  g_subprocess_wait (daemon, NULL, &error);
  g_assert_no_error (error);

  g_remove (config_path);
  g_rmdir (dir);
}

/* With a locked keyring whose unlock prompt nobody answers */

#define LOCKED_TIMEOUT_S 2

/* Gave up with a message that says why, once its time was up and soon
 * after; the prompt was left open rather than dismissed, since dismissing
 * it makes gnome-keyring 42 abort: the same daemon still serves. */
static void
assert_gave_up (const GError *error,
                gint64        start,
                const char   *owner)
{
  gint64 elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_autofree char *owner_now = picky_test_keyring_owner ();

  g_assert_error (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_LOCKED);
  g_assert_cmpstr (error->message, ==,
                   "The system keyring is still locked: nobody answered its unlock prompt within "
                   "2 seconds. Picky Console keeps tokens only there; unlock your keyring and try again.");
  g_assert_cmpint (elapsed_ms, >=, LOCKED_TIMEOUT_S * 1000 - 50);
  g_assert_cmpint (elapsed_ms, <, LOCKED_TIMEOUT_S * 1000 + 5000);
  g_assert_cmpstr (owner_now, ==, owner);
}

static void
test_locked_lookup (void)
{
  g_autoptr(PickyVault) vault = picky_vault_new (TEST_DATABASE_ID);
  g_autofree char *owner = picky_test_keyring_owner ();
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  gint64 start;

  picky_vault_set_unlock_timeout (vault, LOCKED_TIMEOUT_S);
  g_assert_cmpuint (picky_vault_get_unlock_timeout (vault), ==, LOCKED_TIMEOUT_S);

  /* Stored while unlocked: reading it back needs the keyring unlocked. */
  g_assert_true (vault_store (vault, 7, "token", "7001234567:AAHlockedLOCKEDlocked", &error));
  g_assert_no_error (error);
  picky_test_lock_keyring ();

  start = g_get_monotonic_time ();
  value = vault_lookup (vault, 7, "token", &error);
  assert_gave_up (error, start, owner);
  g_assert_null (value);
}

static void
test_locked_store_and_key (void)
{
  g_autoptr(PickyVault) vault = picky_vault_new (TEST_DATABASE_ID);
  g_autofree char *owner = picky_test_keyring_owner ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;
  gint64 start;

  picky_test_lock_keyring ();
  picky_vault_set_unlock_timeout (vault, LOCKED_TIMEOUT_S);

  start = g_get_monotonic_time ();
  g_assert_false (vault_store (vault, 8, "token", "7001234567:AAHlockedLOCKEDlocked", &error));
  assert_gave_up (error, start, owner);
  g_clear_error (&error);

  /* No key stored yet: making one needs the keyring unlocked. */
  start = g_get_monotonic_time ();
  key = vault_get_key (vault, TRUE, &error);
  assert_gave_up (error, start, owner);
  g_assert_null (key);
}

static gboolean
on_cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* The caller's cancellable ends the wait too, long before the timeout. */
static void
test_locked_cancel (void)
{
  g_autoptr(PickyVault) vault = picky_vault_new (TEST_DATABASE_ID);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *owner = picky_test_keyring_owner ();
  g_autofree char *owner_now = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;
  gint64 start;

  picky_test_lock_keyring ();
  picky_vault_set_unlock_timeout (vault, 60);

  start = g_get_monotonic_time ();
  picky_vault_get_data_key_async (vault, TRUE, cancellable, picky_test_got_result_cb, &result);
  g_timeout_add (200, on_cancel_cb, cancellable);
  picky_test_wait_result (&result);
  key = picky_vault_get_data_key_finish (vault, result, &error);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (key);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_TIME_SPAN_SECOND);
  owner_now = picky_test_keyring_owner ();
  g_assert_cmpstr (owner_now, ==, owner);
}

static void
skip_without_keyring (gconstpointer data)
{
  g_test_skip (data);
}

/* Without a keyring each test reports itself skipped, with the reason,
 * instead of the first one aborting the run. */
static void
add_keyring_test (const char  *path,
                  void       (*test) (Fixture *, gconstpointer),
                  const char  *missing)
{
  if (missing != NULL)
    g_test_add_data_func (path, missing, skip_without_keyring);
  else
    g_test_add (path, Fixture, NULL, fixture_set_up, test, fixture_tear_down);
}

int
main (int   argc,
      char *argv[])
{
  /* Without a keyring the test runs in its own process: the bus connection
   * it opens would otherwise be the one every later test reuses. */
  gboolean no_keyring = g_strcmp0 (g_getenv ("PICKY_TEST_NO_KEYRING"), "1") == 0;
  g_autofree char *missing = NULL;

  setlocale (LC_ALL, "C");
  if (no_keyring)
    g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  else
    g_test_init (&argc, &argv, NULL);

  if (g_getenv ("PICKY_PRIVATE_KEYRING") != NULL)
    {
      /* tests/private-keyring.sh gives this run a keyring it may lock. */
      g_test_add_func ("/picky/vault/locked/lookup", test_locked_lookup);
      g_test_add_func ("/picky/vault/locked/store-and-key", test_locked_store_and_key);
      g_test_add_func ("/picky/vault/locked/cancel", test_locked_cancel);
      return g_test_run ();
    }

  if (no_keyring)
    {
      /* No bus first: once a bus was reached, its connection is cached. */
      g_test_add_func ("/picky/vault/unavailable/no-bus", test_unavailable_no_bus);
      g_test_add_func ("/picky/vault/unavailable/no-service", test_unavailable_no_service);
      return g_test_run ();
    }

  missing = picky_test_keyring_missing ();
  add_keyring_test ("/picky/vault/secret/roundtrip", test_secret_roundtrip, missing);
  add_keyring_test ("/picky/vault/secret/outside", test_secret_outside, missing);
  add_keyring_test ("/picky/vault/secret/attributes", test_secret_attributes, missing);
  add_keyring_test ("/picky/vault/secret/label", test_secret_label, missing);
  add_keyring_test ("/picky/vault/secret/label-holds-secret", test_secret_label_holds_secret, missing);
  add_keyring_test ("/picky/vault/secret/unusable", test_secret_unusable, missing);
  add_keyring_test ("/picky/vault/secret/clear", test_secret_clear, missing);
  add_keyring_test ("/picky/vault/secret/canary", test_secret_canary, missing);
  add_keyring_test ("/picky/vault/data-key/create", test_data_key_create, missing);
  add_keyring_test ("/picky/vault/data-key/concurrent", test_data_key_concurrent, missing);
  add_keyring_test ("/picky/vault/data-key/damaged", test_data_key_damaged, missing);
  add_keyring_test ("/picky/vault/database/separate", test_database_separate, missing);
  add_keyring_test ("/picky/vault/database/legacy-secret", test_database_legacy_secret, missing);
  add_keyring_test ("/picky/vault/database/legacy-clear", test_database_legacy_clear, missing);
  add_keyring_test ("/picky/vault/database/data-keys", test_database_data_keys, missing);

  return g_test_run ();
}
