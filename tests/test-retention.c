/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Retention and the service's audit entries: purges at start and on a change of the setting, channels and switches recorded. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>

#include "picky-service.h"
#include "picky-test-util.h"

#define DAY 86400
/* A bot token that must never reach the audit trail. */
#define CANARY_TOKEN "424242:CanaryTokenThatMustNotLeak"

typedef struct {
  char *dir;
  char *path;
  GSettings *settings;
  PickyService *service;
  guint finished;
  gint64 removed;
  gint64 progress_done;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("picky-retention-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "picky-console.db", NULL);
  fixture->settings = g_settings_new (APPLICATION_ID);
  g_settings_set_int (fixture->settings, "retention-days", 0);
}

static void
stop_service (Fixture *fixture)
{
  if (fixture->service == NULL)
    return;

  picky_service_shutdown (fixture->service);
  while (g_main_context_iteration (NULL, FALSE));
  g_clear_object (&fixture->service);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  stop_service (fixture);
  g_settings_reset (fixture->settings, "retention-days");
  g_clear_object (&fixture->settings);
  picky_test_remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static void
on_progress_cb (PickyRetention *retention,
                gint64          done,
                gint64          total,
                Fixture        *fixture)
{
  fixture->progress_done = done;
}

static void
on_finished_cb (PickyRetention *retention,
                gint64          removed,
                const char     *error_message,
                Fixture        *fixture)
{
  g_assert_null (error_message);
  fixture->finished++;
  fixture->removed = removed;
}

static void
start_service (Fixture  *fixture,
               gboolean  receiving)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  fixture->service = picky_service_new (fixture->path);
  picky_service_start_async (fixture->service, receiving, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_service_start_finish (fixture->service, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
}

static gint64
count_messages (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyStore *store = picky_service_get_store (fixture->service);
  gint64 count;

  picky_store_count_messages_async (store, NULL, picky_test_got_result_cb, &result);
  count = picky_store_count_messages_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return count;
}

static GPtrArray *
list_audit (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyStore *store = picky_service_get_store (fixture->service);
  GPtrArray *entries;

  picky_store_list_audit_async (store, NULL, picky_test_got_result_cb, &result);
  entries = picky_store_list_audit_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return entries;
}

/* The newest entry of @action, or NULL. */
static PickyAuditEntry *
find_entry (GPtrArray  *entries,
            const char *action)
{
  for (guint i = 0; i < entries->len; i++)
    if (g_str_equal (picky_audit_entry_get_action (entries->pdata[i]), action))
      return entries->pdata[i];

  return NULL;
}

static gboolean
finished_twice (gpointer data)
{
  Fixture *fixture = data;

  return fixture->finished >= 2;
}

static gboolean
finished_once (gpointer data)
{
  Fixture *fixture = data;

  return fixture->finished >= 1;
}

static void
test_retention_applied (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  PickyStore *store;
  PickyRetention *retention;
  PickyAuditEntry *entry;
  gint64 channel;

  /* Messages of 100, 20 and 0 days ago, stored by a console that keeps all. */
  start_service (fixture, FALSE);
  store = picky_service_get_store (fixture->service);
  picky_store_add_channel_async (store, "telegram", "telegram", "Support", "{}", NULL, picky_test_got_result_cb, &result);
  channel = picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  for (guint i = 0; i < 30; i++)
    {
      PickyMessage *message = picky_message_new ();
      g_autofree char *key = g_strdup_printf ("k%u", i);
      gint64 age = i < 10 ? 100 * DAY : i < 20 ? 20 * DAY : 60;

      picky_message_set_channel_id (message, channel);
      picky_message_set_provider_key (message, key);
      picky_message_set_contact_provider_id (message, i < 10 ? "old-timer" : "regular");
      picky_message_set_direction (message, PICKY_DIRECTION_IN);
      picky_message_set_text (message, "hello");
      picky_message_set_timestamp (message, now - age);
      picky_message_set_received (message, now - age);
      g_ptr_array_add (batch, message);
    }
  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (store, picky_test_wait_result (&result), &error), ==, 30);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_nonnull (picky_service_get_retention (fixture->service));
  stop_service (fixture);

  /* A console that receives applies the setting as it starts. */
  g_settings_set_int (fixture->settings, "retention-days", 30);
  fixture->service = picky_service_new (fixture->path);
  picky_service_start_async (fixture->service, TRUE, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_service_start_finish (fixture->service, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  retention = picky_service_get_retention (fixture->service);
  g_signal_connect (retention, "progress", G_CALLBACK (on_progress_cb), fixture);
  g_signal_connect (retention, "finished", G_CALLBACK (on_finished_cb), fixture);
  g_assert_true (picky_test_wait_until (finished_once, fixture, 20000));
  g_assert_cmpint (fixture->removed, ==, 10);
  g_assert_cmpint (fixture->progress_done, ==, 10);
  g_assert_false (picky_retention_get_running (retention));
  g_assert_cmpint (count_messages (fixture), ==, 20);

  /* A change is recorded and applied at once. */
  g_settings_set_int (fixture->settings, "retention-days", 7);
  g_assert_true (picky_test_wait_until (finished_twice, fixture, 20000));
  g_assert_cmpint (fixture->removed, ==, 10);
  g_assert_cmpint (count_messages (fixture), ==, 10);

  /* And so is a switch flipped, once, by the console that receives. */
  picky_access_set_read (picky_service_get_access (fixture->service), "whatsapp", FALSE);
  picky_access_set_read (picky_service_get_access (fixture->service), "whatsapp", TRUE);

  entries = list_audit (fixture);
  entry = find_entry (entries, "retention-change");
  g_assert_nonnull (entry);
  g_assert_cmpstr (picky_audit_entry_get_detail (entry), ==, "7 days");
  entry = find_entry (entries, "purge");
  g_assert_nonnull (entry);
  g_assert_cmpstr (picky_audit_entry_get_object (entry), ==, "older than 7 days");
  g_assert_cmpstr (picky_audit_entry_get_detail (entry), ==, "10 messages, 0 contacts");
  /* The oldest: the data key made at the first start, then that start's
   * purge. */
  g_assert_cmpstr (picky_audit_entry_get_action (entries->pdata[entries->len - 1]), ==, "data-key-create");
  g_assert_cmpstr (picky_audit_entry_get_object (entries->pdata[entries->len - 2]), ==, "older than 30 days");
  g_assert_cmpstr (picky_audit_entry_get_detail (entries->pdata[entries->len - 2]), ==, "10 messages, 1 contacts");
  entry = find_entry (entries, "access-change");
  g_assert_nonnull (entry);
  g_assert_cmpstr (picky_audit_entry_get_object (entry), ==, "whatsapp");
  g_assert_cmpstr (picky_audit_entry_get_detail (entry), ==, "read on");
  g_assert_cmpstr (picky_audit_entry_get_detail (entries->pdata[1]), ==, "read off");
}

static void
on_done_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static void
test_channels_audited (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GHashTable) secrets = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) none = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *object = NULL;
  gint64 id;

  start_service (fixture, FALSE);
  g_hash_table_insert (secrets, (gpointer) "token", (gpointer) CANARY_TOKEN);
  picky_service_add_channel_async (fixture->service, "telegram", "telegram", "Front desk",
                                   "{\"api_base\":\"http://127.0.0.1:9\"}", secrets, NULL, on_done_cb, &result);
  id = picky_service_add_channel_finish (fixture->service, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  g_clear_object (&result);
  picky_service_update_channel_async (fixture->service, id, "Back desk", NULL, secrets, NULL, on_done_cb, &result);
  g_assert_true (picky_service_update_channel_finish (fixture->service, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  picky_service_update_channel_async (fixture->service, id, "Side desk", NULL, none, NULL, on_done_cb, &result);
  g_assert_true (picky_service_update_channel_finish (fixture->service, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  picky_service_remove_channel_async (fixture->service, id, NULL, on_done_cb, &result);
  g_assert_true (picky_service_remove_channel_finish (fixture->service, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* A switch flipped in a console that only lists channels is left to
   * the one that receives. */
  picky_access_set_push (picky_service_get_access (fixture->service), "telegram", FALSE);
  picky_access_set_push (picky_service_get_access (fixture->service), "telegram", TRUE);

  entries = list_audit (fixture);
  object = g_strdup_printf ("channel %" G_GINT64_FORMAT, id);
  {
    const char *expected[][2] = {
      { "channel-remove", NULL },
      { "channel-edit", NULL },
      { "secret-change", "token" },
      { "channel-edit", NULL },
      { "channel-add", "kind telegram" },
    };

    /* Ensure the audit writes queued from callbacks have landed. */
    while (g_main_context_iteration (NULL, FALSE));
    g_clear_pointer (&entries, g_ptr_array_unref);
    entries = list_audit (fixture);
    /* After the data key the service made at its start. */
    g_assert_cmpuint (entries->len, ==, G_N_ELEMENTS (expected) + 1);
    g_assert_cmpstr (picky_audit_entry_get_action (entries->pdata[entries->len - 1]), ==, "data-key-create");
    for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
      {
        g_assert_cmpstr (picky_audit_entry_get_action (entries->pdata[i]), ==, expected[i][0]);
        g_assert_cmpstr (picky_audit_entry_get_object (entries->pdata[i]), ==, object);
        if (expected[i][1] != NULL)
          g_assert_cmpstr (picky_audit_entry_get_detail (entries->pdata[i]), ==, expected[i][1]);
        g_assert_null (strstr (picky_audit_entry_get_detail (entries->pdata[i]), "Canary"));
      }
  }
}

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  ADD ("/picky/retention/applied", test_retention_applied);
  ADD ("/picky/retention/channels-audited", test_channels_audited);

  return g_test_run ();
}
