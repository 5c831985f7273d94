/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the Viber bot channel over real HTTP on 127.0.0.1. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "picky-access.h"
#include "picky-store.h"
#include "picky-vault.h"
#include "picky-viber-channel.h"
#include "picky-webhook-server.h"
#include "picky-test-util.h"

/* The key the signed samples were made with. */
#define TOKEN "test-app-secret"
#define TOKEN_B "another-bots-token-4f0c"
#define SAMPLE_KEY "5902763418875209473"
#define SAMPLE_SENDER "Ux7bq4oD2YwZk3Hc1N9rTg=="
#define OUR_KEY "5902763418875210001"

typedef struct
{
  char               *tmpdir;
  PickyStore         *store;
  PickyVault         *vault;
  GSettings          *settings;
  PickyAccess        *access;
  PickyWebhookServer *server;
  guint               port;
  PickyChannel       *channel;      /* signs with TOKEN */
  PickyChannel       *channel_b;    /* signs with TOKEN_B, when a test adds it */
  SoupServer         *api;          /* the fake Viber API */
  GQueue              api_replies;  /* char *: the next bodies it answers with */
  guint               api_status;   /* and their HTTP status */
  GPtrArray          *api_requests;
} Fixture;

static GBytes *
load_data (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

static char *
load_text (const char *name)
{
  g_autoptr(GBytes) bytes = load_data (name);

  return g_strstrip (g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes)));
}

/* ---- A raw HTTP client in a thread of its own, so the listener on this
 * thread's main context keeps serving while it waits. ---- */

typedef struct
{
  guint   port;
  GBytes *request;
} Exchange;

static void
exchange_free (Exchange *exchange)
{
  g_bytes_unref (exchange->request);
  g_free (exchange);
}

static void
exchange_thread (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Exchange *exchange = task_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  gsize length = 0;
  const char *data = g_bytes_get_data (exchange->request, &length);
  char buffer[8192];
  gssize n;

  g_socket_client_set_timeout (client, 10);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", exchange->port, NULL, &error);
  if (connection == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             data, length, NULL, NULL, NULL);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   buffer, sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (response, buffer, n);

  g_task_return_pointer (task, g_string_free (g_steal_pointer (&response), FALSE), g_free);
}

/* Sends @body to /viber with @signature (none when %NULL) and returns the
 * HTTP status of the answer. */
static guint
post (Fixture    *fixture,
      GBytes     *body,
      const char *signature)
{
  GString *text = g_string_new (NULL);
  gsize length = g_bytes_get_size (body);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *response = NULL;
  Exchange *exchange = g_new0 (Exchange, 1);

  g_string_append (text, "POST /viber HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                         "Content-Type: application/json\r\n");
  if (signature != NULL)
    g_string_append_printf (text, "X-Viber-Content-Signature: %s\r\n", signature);
  g_string_append_printf (text, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", length);
  g_string_append_len (text, g_bytes_get_data (body, NULL), length);

  exchange->port = fixture->port;
  exchange->request = g_string_free_to_bytes (text);
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, exchange, (GDestroyNotify) exchange_free);
  g_task_run_in_thread (task, exchange_thread);
  while (!g_task_get_completed (task))
    g_main_context_iteration (NULL, TRUE);

  response = g_task_propagate_pointer (task, &error);
  g_assert_no_error (error);
  g_assert_nonnull (response);
  g_assert_true (g_str_has_prefix (response, "HTTP/1.1 "));
  return (guint) g_ascii_strtoull (response + 9, NULL, 10);
}

static guint
post_sample (Fixture    *fixture,
             const char *sample)
{
  g_autofree char *body_name = g_strconcat (sample, ".body", NULL);
  g_autofree char *sig_name = g_strconcat (sample, ".sig", NULL);
  g_autoptr(GBytes) body = load_data (body_name);
  g_autofree char *signature = load_text (sig_name);

  return post (fixture, body, signature);
}

static char *
sign (GBytes     *body,
      const char *token)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) token, strlen (token));

  g_hmac_update (hmac, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return g_strdup (g_hmac_get_string (hmac));
}

/* ---- Store helpers ---- */

static GPtrArray *
list_messages (Fixture *fixture,
               gint64   channel_id)
{
  PickyPageQuery query = { 0, 0, NULL, channel_id, 0, -1, 100 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *messages;

  picky_store_list_messages_async (fixture->store, &query, NULL, picky_test_got_result_cb, &result);
  messages = picky_store_list_messages_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return messages;
}

static gint64
count_messages (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 count;

  picky_store_count_messages_async (fixture->store, NULL, picky_test_got_result_cb, &result);
  count = picky_store_count_messages_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return count;
}

static gboolean
channel_ready (gpointer data)
{
  return picky_viber_channel_is_ready (data);
}

static char *
channel_settings (Fixture *fixture)
{
  g_autoslist(GUri) uris = soup_server_get_uris (fixture->api);

  return g_strdup_printf ("{\"api_base\":\"http://127.0.0.1:%d/pa/\"}", g_uri_get_port (uris->data));
}

/* The running channel of the stored channel @id, as a start makes it. */
static PickyChannel *
start_channel (Fixture *fixture,
               gint64   id)
{
  g_autofree char *settings = channel_settings (fixture);
  PickyChannel *channel;

  channel = g_object_new (PICKY_TYPE_VIBER_CHANNEL,
                          "id", id,
                          "app", "viber",
                          "name", "Acme Viber",
                          "settings", settings,
                          "store", fixture->store,
                          "vault", fixture->vault,
                          "access", fixture->access,
                          "webhook-server", fixture->server,
                          NULL);
  picky_channel_start (channel);
  g_assert_true (picky_test_wait_until (channel_ready, channel, 10000));

  return channel;
}

static PickyChannel *
add_channel (Fixture    *fixture,
             const char *token)
{
  g_autoptr(GAsyncResult) added = NULL;
  g_autoptr(GAsyncResult) cleared = NULL;
  g_autoptr(GAsyncResult) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *settings = channel_settings (fixture);
  gint64 id;

  picky_store_add_channel_async (fixture->store, "viber", "viber", "Acme Viber",
                                 settings, NULL, picky_test_got_result_cb, &added);
  id = picky_store_add_channel_finish (fixture->store, picky_test_wait_result (&added), &error);
  g_assert_no_error (error);

  /* Ids start at 1 in every fresh database: secrets of an earlier test go. */
  picky_vault_clear_channel_async (fixture->vault, id, NULL, picky_test_got_result_cb, &cleared);
  g_assert_true (picky_vault_clear_channel_finish (fixture->vault, picky_test_wait_result (&cleared), &error));
  picky_vault_store_secret_async (fixture->vault, id, "token", token, NULL, picky_test_got_result_cb, &stored);
  g_assert_true (picky_vault_store_secret_finish (fixture->vault, picky_test_wait_result (&stored), &error));
  g_assert_no_error (error);

  return start_channel (fixture, id);
}

static void
on_api_request_cb (SoupServer        *server,
                   SoupServerMessage *message,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  Fixture *fixture = user_data;
  g_autofree char *reply = g_queue_pop_head (&fixture->api_replies);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (message));

  g_ptr_array_add (fixture->api_requests,
                   g_strdup_printf ("%s %s|%s|%.*s", soup_server_message_get_method (message), path,
                                    soup_message_headers_get_one (headers, "X-Viber-Auth-Token"),
                                    (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL)));
  soup_server_message_set_status (message, fixture->api_status, NULL);
  if (reply != NULL)
    soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, reply, strlen (reply));
}

static void
open_store (Fixture *fixture)
{
  static const guint8 key_bytes[PICKY_CIPHER_KEY_SIZE] = { 5, 5, 5, 5, 5, 5, 5, 5, 3, 3, 3, 3, 3, 3, 3, 3,
                                                           5, 5, 5, 5, 5, 5, 5, 5, 3, 3, 3, 3, 3, 3, 3, 3 };
  g_autoptr(GBytes) key = g_bytes_new_static (key_bytes, sizeof key_bytes);
  g_autoptr(PickyCipher) cipher = NULL;
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (fixture->tmpdir, "messages.db", NULL);

  cipher = picky_cipher_new (key, &error);
  g_assert_no_error (error);
  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &opened);
  fixture->store = picky_store_open_finish (picky_test_wait_result (&opened), &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->tmpdir = g_dir_make_tmp ("picky-viber-XXXXXX", &error);
  g_assert_no_error (error);

  open_store (fixture);

  fixture->settings = g_settings_new (APPLICATION_ID);
  fixture->access = picky_access_new (fixture->settings);
  picky_access_set_read (fixture->access, "viber", TRUE);
  picky_access_reset_dropped (fixture->access, "viber");
  fixture->vault = picky_vault_new (picky_store_get_database_id (fixture->store));

  fixture->server = picky_webhook_server_new ();
  g_assert_true (picky_webhook_server_start (fixture->server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  fixture->port = picky_webhook_server_get_port (fixture->server);

  fixture->api_status = 200;
  fixture->api_requests = g_ptr_array_new_with_free_func (g_free);
  fixture->api = soup_server_new (NULL, NULL);
  soup_server_add_handler (fixture->api, NULL, on_api_request_cb, fixture, NULL);
  g_assert_true (soup_server_listen_local (fixture->api, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);

  fixture->channel = add_channel (fixture, TOKEN);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_settings_reset (fixture->settings, "relay-public-url");
  picky_channel_stop (fixture->channel);
  g_assert_finalize_object (fixture->channel);
  if (fixture->channel_b != NULL)
    {
      picky_channel_stop (fixture->channel_b);
      g_assert_finalize_object (fixture->channel_b);
    }
  g_assert_false (picky_webhook_server_has_route (fixture->server, PICKY_VIBER_WEBHOOK_PATH));
  g_assert_finalize_object (fixture->server);
  g_assert_finalize_object (fixture->api);
  g_queue_clear_full (&fixture->api_replies, g_free);
  g_ptr_array_unref (fixture->api_requests);

  picky_store_close (fixture->store);
  g_clear_object (&fixture->store);
  g_clear_object (&fixture->vault);
  g_clear_object (&fixture->access);
  g_clear_object (&fixture->settings);
  picky_test_remove_tree (fixture->tmpdir);
  g_free (fixture->tmpdir);
}

/* ---- Tests ---- */

static void
test_signature_worked_example (void)
{
  g_autoptr(GBytes) body = g_bytes_new_static ("{\"event\":\"webhook\",\"timestamp\":1777013000000,"
                                               "\"chat_hostname\":\"SN-CHAT-11_\",\"message_token\":5902763418875200000}", 111);

  g_assert_true (picky_viber_channel_check_signature (body,
    "f92f27e98f7470408873ea9cfc8acaafab8fe4fe9384cd9e68aeba6711e5e4dd", TOKEN));
  g_assert_false (picky_viber_channel_check_signature (body,
    "F92F27E98F7470408873EA9CFC8ACAAFAB8FE4FE9384CD9E68AEBA6711E5E4DD", TOKEN));
  /* Meta's spelling is not Viber's. */
  g_assert_false (picky_viber_channel_check_signature (body,
    "sha256=f92f27e98f7470408873ea9cfc8acaafab8fe4fe9384cd9e68aeba6711e5e4dd", TOKEN));
  g_assert_false (picky_viber_channel_check_signature (body,
    "f92f27e98f7470408873ea9cfc8acaafab8fe4fe9384cd9e68aeba6711e5e4dd", NULL));
}

static void
test_sample_message (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) messages = NULL;
  PickyMessage *message;

  g_assert_cmpuint (post_sample (fixture, "viber-webhook"), ==, 200);
  messages = list_messages (fixture, picky_channel_get_id (fixture->channel));
  g_assert_cmpuint (messages->len, ==, 1);
  message = g_ptr_array_index (messages, 0);
  g_assert_cmpstr (picky_message_get_provider_key (message), ==, SAMPLE_KEY);
  g_assert_cmpstr (picky_message_get_contact_provider_id (message), ==, SAMPLE_SENDER);
  g_assert_cmpstr (picky_message_get_contact_name (message), ==, "Олена Коваль");
  g_assert_cmpstr (picky_message_get_text (message), ==, "Привіт! Де моє замовлення №4492? 📦");
  g_assert_cmpint (picky_message_get_direction (message), ==, PICKY_DIRECTION_IN);
  g_assert_cmpint (picky_message_get_timestamp (message), ==, 1777013000);

  /* Viber redelivers until it gets a 200; the token keeps it one row. */
  g_assert_cmpuint (post_sample (fixture, "viber-webhook"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 1);
}

static void
test_signature_refused (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GBytes) body = load_data ("viber-webhook.body");
  g_autofree char *good = load_text ("viber-webhook.sig");
  g_autofree char *upper = g_ascii_strup (good, -1);
  g_autofree char *wrong = sign (body, "not-the-token");
  g_autofree char *changed = NULL;
  g_autoptr(GBytes) changed_body = NULL;
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  g_assert_cmpuint (post (fixture, body, NULL), ==, 401);
  g_assert_cmpuint (post (fixture, body, upper), ==, 403);
  g_assert_cmpuint (post (fixture, body, wrong), ==, 403);
  g_assert_cmpuint (post (fixture, body, ""), ==, 403);
  changed = g_strconcat ("sha256=", good, NULL);
  g_assert_cmpuint (post (fixture, body, changed), ==, 403);

  /* One byte of the body changed under the sample's signature. */
  text[strlen (text) - 3] = 'X';
  changed_body = g_bytes_new (text, strlen (text));
  g_assert_cmpuint (post (fixture, changed_body, good), ==, 403);

  g_assert_cmpint (count_messages (fixture), ==, 0);
}

static void
test_receipts (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GBytes) seen = NULL;
  g_autofree char *seen_sig = NULL;
  PickyMessage *message = picky_message_new ();

  /* Our reply, as the outbox leaves it once Viber took it. */
  picky_message_set_channel_id (message, picky_channel_get_id (fixture->channel));
  picky_message_set_provider_key (message, OUR_KEY);
  picky_message_set_contact_provider_id (message, SAMPLE_SENDER);
  picky_message_set_direction (message, PICKY_DIRECTION_OUT);
  picky_message_set_text (message, "Your order ships today.");
  picky_message_set_timestamp (message, 1777013030);
  picky_message_set_received (message, 1777013030);
  picky_message_set_status (message, PICKY_MESSAGE_STATUS_SENT);
  g_ptr_array_add (batch, message);
  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error), ==, 1);
  g_assert_no_error (error);

  g_assert_cmpuint (post_sample (fixture, "viber-webhook-delivered"), ==, 200);
  messages = list_messages (fixture, picky_channel_get_id (fixture->channel));
  g_assert_cmpuint (messages->len, ==, 1);
  g_assert_cmpint (picky_message_get_status (g_ptr_array_index (messages, 0)), ==, PICKY_MESSAGE_STATUS_DELIVERED);
  g_clear_pointer (&messages, g_ptr_array_unref);

  seen = g_bytes_new_static ("{\"event\":\"seen\",\"timestamp\":1777013050000,\"chat_hostname\":\"SN-CHAT-11_\","
                             "\"message_token\":" OUR_KEY ",\"user_id\":\"" SAMPLE_SENDER "\"}", 145);
  seen_sig = sign (seen, TOKEN);
  g_assert_cmpuint (post (fixture, seen, seen_sig), ==, 200);
  messages = list_messages (fixture, picky_channel_get_id (fixture->channel));
  g_assert_cmpint (picky_message_get_status (g_ptr_array_index (messages, 0)), ==, PICKY_MESSAGE_STATUS_READ);
}

static void
test_other_events (Fixture       *fixture,
                   gconstpointer  data)
{
  static const char *const bodies[] = {
    "{\"event\":\"webhook\",\"timestamp\":1777013000000,\"chat_hostname\":\"SN-CHAT-11_\",\"message_token\":5902763418875200000}",
    "{\"event\":\"subscribed\",\"timestamp\":1777013001000,\"message_token\":5902763418875200001,\"user\":{\"id\":\"" SAMPLE_SENDER "\",\"name\":\"Олена\"}}",
    "{\"event\":\"unsubscribed\",\"timestamp\":1777013002000,\"message_token\":5902763418875200002,\"user_id\":\"" SAMPLE_SENDER "\"}",
    "{\"event\":\"conversation_started\",\"timestamp\":1777013003000,\"message_token\":5902763418875200003,\"type\":\"open\",\"user\":{\"id\":\"" SAMPLE_SENDER "\"},\"subscribed\":false}",
  };
  guint64 before = picky_viber_channel_get_n_events (PICKY_VIBER_CHANNEL (fixture->channel));

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(GBytes) body = g_bytes_new_static (bodies[i], strlen (bodies[i]));
      g_autofree char *signature = sign (body, TOKEN);

      g_assert_cmpuint (post (fixture, body, signature), ==, 200);
    }

  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (picky_viber_channel_get_n_events (PICKY_VIBER_CHANNEL (fixture->channel)), ==,
                    before + G_N_ELEMENTS (bodies));
}

static void
test_read_off (Fixture       *fixture,
               gconstpointer  data)
{
  picky_access_set_read (fixture->access, "viber", FALSE);
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_DISABLED);

  /* Acknowledged so Viber stops retrying, yet neither stored nor forgotten. */
  g_assert_cmpuint (post_sample (fixture, "viber-webhook"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (picky_access_get_dropped (fixture->access, "viber"), ==, 1);

  picky_access_set_read (fixture->access, "viber", TRUE);
  g_assert_cmpuint (post_sample (fixture, "viber-webhook"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 1);
}

/* Several bots on one listener: each callback goes to the bot whose token
 * signed it. */
static void
test_two_bots (Fixture       *fixture,
               gconstpointer  data)
{
  const char *text = "{\"event\":\"message\",\"timestamp\":1777013100000,\"message_token\":5902763418875209999,"
                     "\"sender\":{\"id\":\"Zq1w2e3r4t5y6u7i8o9p0A==\",\"name\":\"Jamal\"},"
                     "\"message\":{\"type\":\"text\",\"text\":\"Hola\"}}";
  g_autoptr(GBytes) body = g_bytes_new_static (text, strlen (text));
  g_autofree char *signature = sign (body, TOKEN_B);
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;

  fixture->channel_b = add_channel (fixture, TOKEN_B);

  g_assert_cmpuint (post (fixture, body, signature), ==, 200);
  g_assert_cmpuint (post_sample (fixture, "viber-webhook"), ==, 200);

  first = list_messages (fixture, picky_channel_get_id (fixture->channel));
  second = list_messages (fixture, picky_channel_get_id (fixture->channel_b));
  g_assert_cmpuint (first->len, ==, 1);
  g_assert_cmpstr (picky_message_get_provider_key (g_ptr_array_index (first, 0)), ==, SAMPLE_KEY);
  g_assert_cmpuint (second->len, ==, 1);
  g_assert_cmpstr (picky_message_get_text (g_ptr_array_index (second, 0)), ==, "Hola");

  /* The route stays while one bot still runs. */
  picky_channel_stop (fixture->channel_b);
  g_assert_true (picky_webhook_server_has_route (fixture->server, PICKY_VIBER_WEBHOOK_PATH));
  g_assert_cmpuint (post (fixture, body, signature), ==, 403);
}

/* Signed bodies that are no JSON to take: refused, and the listener keeps serving. */
static void
test_hostile (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GString) deep = g_string_new ("{\"event\":");
  g_autoptr(GBytes) deep_body = NULL;
  g_autoptr(GBytes) bad_utf8 = g_bytes_new_static ("{\"event\":\"message\",\"message_token\":1,"
                                                   "\"sender\":{\"id\":\"x\"},\"message\":{\"type\":\"text\",\"text\":\"\xc3\x28\"}}", 95);
  g_autofree char *deep_sig = NULL;
  g_autofree char *utf8_sig = NULL;

  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  deep_body = g_bytes_new (deep->str, deep->len);
  deep_sig = sign (deep_body, TOKEN);
  g_assert_cmpuint (post (fixture, deep_body, deep_sig), ==, 400);

  utf8_sig = sign (bad_utf8, TOKEN);
  g_assert_cmpuint (post (fixture, bad_utf8, utf8_sig), ==, 400);

  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (post_sample (fixture, "viber-webhook"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 1);
}

static char *
send_text (Fixture     *fixture,
           const char  *text,
           GError     **error)
{
  g_autoptr(PickyMessage) message = picky_message_new ();
  g_autoptr(GAsyncResult) result = NULL;

  picky_message_set_channel_id (message, picky_channel_get_id (fixture->channel));
  picky_message_set_app (message, "viber");
  picky_message_set_contact_provider_id (message, SAMPLE_SENDER);
  picky_message_set_direction (message, PICKY_DIRECTION_OUT);
  picky_message_set_text (message, text);
  picky_channel_send_async (fixture->channel, message, NULL, picky_test_got_result_cb, &result);
  return picky_channel_send_finish (fixture->channel, picky_test_wait_result (&result), error);
}

static void
test_send (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *request, *body;
  JsonObject *sent;

  g_queue_push_tail (&fixture->api_replies, load_text ("viber-send-response.json"));
  key = send_text (fixture, "Замовлення №4492 вже в дорозі 🚚", &error);
  g_assert_no_error (error);
  /* Past 2^53: a double would have lost the last digits. */
  g_assert_cmpstr (key, ==, OUR_KEY);

  g_assert_cmpuint (fixture->api_requests->len, ==, 1);
  request = g_ptr_array_index (fixture->api_requests, 0);
  g_assert_true (g_str_has_prefix (request, "POST /pa/send_message|" TOKEN "|"));
  body = strchr (strchr (request, '|') + 1, '|') + 1;
  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  sent = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (sent, "receiver"), ==, SAMPLE_SENDER);
  g_assert_cmpstr (json_object_get_string_member (sent, "type"), ==, "text");
  g_assert_cmpstr (json_object_get_string_member (sent, "text"), ==, "Замовлення №4492 вже в дорозі 🚚");
  g_assert_cmpint (json_object_get_int_member (sent, "min_api_version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (sent, "sender"), "name"), ==,
                   "Acme Viber");
}

static void
test_send_errors (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) too_many = NULL;
  g_autoptr(GError) unsubscribed = NULL;
  g_autoptr(GError) broken = NULL;
  g_autoptr(GError) token = NULL;
  char *key;

  /* Viber answers errors with HTTP 200 and a status in the body. */
  g_queue_push_tail (&fixture->api_replies, load_text ("viber-error-response.json"));
  key = send_text (fixture, "Hello", &too_many);
  g_assert_null (key);
  g_assert_error (too_many, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (too_many->message, "Too many requests"));

  g_queue_push_tail (&fixture->api_replies,
                     g_strdup ("{\"status\":6,\"status_message\":\"notSubscribed\",\"chat_hostname\":\"SN-CHAT-11_\"}"));
  g_assert_null (send_text (fixture, "Hello", &unsubscribed));
  g_assert_error (unsubscribed, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED);

  fixture->api_status = 502;
  g_assert_null (send_text (fixture, "Hello", &broken));
  g_assert_error (broken, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE);

  fixture->api_status = 200;
  g_queue_push_tail (&fixture->api_replies,
                     g_strdup ("{\"status\":2,\"status_message\":\"invalidAuthToken\"}"));
  g_assert_null (send_text (fixture, "Hello", &token));
  g_assert_error (token, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAUTHORIZED);
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_AUTH_FAILED);

  g_assert_cmpuint (fixture->api_requests->len, ==, 4);
}

static guint
post_signed (Fixture    *fixture,
             const char *text)
{
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));
  g_autofree char *signature = sign (body, TOKEN);

  return post (fixture, body, signature);
}

static void
test_sample_subscribed (Fixture       *fixture,
                        gconstpointer  data)
{
  guint64 before = picky_viber_channel_get_n_events (PICKY_VIBER_CHANNEL (fixture->channel));

  g_assert_cmpuint (post_sample (fixture, "viber-webhook-subscribed"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (picky_viber_channel_get_n_events (PICKY_VIBER_CHANNEL (fixture->channel)), ==, before + 1);
}

/* After "unsubscribed" a reply fails with the reason and never reaches
 * the API; subscribing, opening the conversation or writing again lifts it. */
static void
test_send_unsubscribed (Fixture       *fixture,
                        gconstpointer  data)
{
  static const char *const returns[] = {
    NULL, /* the subscribed sample */
    "{\"event\":\"conversation_started\",\"timestamp\":1777013003000,\"message_token\":5902763418875200003,"
    "\"type\":\"open\",\"user\":{\"id\":\"" SAMPLE_SENDER "\"},\"subscribed\":false}",
    NULL, /* the message sample */
  };
  g_autofree char *still_here = NULL;
  const char *unsubscribed = "{\"event\":\"unsubscribed\",\"timestamp\":1777013002000,"
                             "\"message_token\":5902763418875200002,\"user_id\":\"" SAMPLE_SENDER "\"}";

  for (guint i = 0; i < G_N_ELEMENTS (returns); i++)
    {
      g_autoptr(GError) refused = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *key = NULL;
      guint n_requests = fixture->api_requests->len;

      g_assert_cmpuint (post_signed (fixture, unsubscribed), ==, 200);
      g_assert_null (send_text (fixture, "Hello again", &refused));
      g_assert_error (refused, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED);
      g_assert_nonnull (strstr (refused->message, "unsubscribed"));
      g_assert_cmpuint (fixture->api_requests->len, ==, n_requests);

      if (i == 0)
        g_assert_cmpuint (post_sample (fixture, "viber-webhook-subscribed"), ==, 200);
      else if (i == 1)
        g_assert_cmpuint (post_signed (fixture, returns[i]), ==, 200);
      else
        g_assert_cmpuint (post_sample (fixture, "viber-webhook"), ==, 200);

      g_queue_push_tail (&fixture->api_replies, load_text ("viber-send-response.json"));
      key = send_text (fixture, "Hello again", &error);
      g_assert_no_error (error);
      g_assert_cmpstr (key, ==, OUR_KEY);
      g_assert_cmpuint (fixture->api_requests->len, ==, n_requests + 1);
    }

  /* Another bot's unsubscribed user is none of this one's business. */
  g_assert_cmpuint (post_signed (fixture, "{\"event\":\"unsubscribed\",\"timestamp\":1777013009000,"
                                          "\"message_token\":5902763418875200009,\"user_id\":\"someone-else\"}"), ==, 200);
  g_queue_push_tail (&fixture->api_replies, load_text ("viber-send-response.json"));
  still_here = send_text (fixture, "Still here", NULL);
  g_assert_cmpstr (still_here, ==, OUR_KEY);
}

/* Stops the channel and closes the store, then opens both again, as
 * quitting and starting the console does. */
static void
restart (Fixture *fixture)
{
  gint64 id = picky_channel_get_id (fixture->channel);

  picky_channel_stop (fixture->channel);
  g_assert_finalize_object (fixture->channel);
  picky_store_close (fixture->store);
  g_clear_object (&fixture->store);

  open_store (fixture);
  fixture->channel = start_channel (fixture, id);
}

/* Who unsubscribed is stored: after a restart a reply still fails with
 * the reason, until the user subscribes, opens the conversation or
 * writes, which is stored too. */
static void
test_unsubscribed_restart (Fixture       *fixture,
                           gconstpointer  data)
{
  static const char *const returns[] = {
    NULL, /* the subscribed sample */
    "{\"event\":\"conversation_started\",\"timestamp\":1777013003000,\"message_token\":5902763418875200003,"
    "\"type\":\"open\",\"user\":{\"id\":\"" SAMPLE_SENDER "\"},\"subscribed\":false}",
    NULL, /* the message sample */
  };
  const char *unsubscribed = "{\"event\":\"unsubscribed\",\"timestamp\":1777013002000,"
                             "\"message_token\":5902763418875200002,\"user_id\":\"" SAMPLE_SENDER "\"}";

  for (guint i = 0; i < G_N_ELEMENTS (returns); i++)
    {
      g_autoptr(GError) refused = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *key = NULL;
      guint n_requests;

      g_assert_cmpuint (post_signed (fixture, unsubscribed), ==, 200);
      restart (fixture);

      n_requests = fixture->api_requests->len;
      g_assert_null (send_text (fixture, "Hello again", &refused));
      g_assert_error (refused, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED);
      g_assert_nonnull (strstr (refused->message, "unsubscribed"));
      g_assert_cmpuint (fixture->api_requests->len, ==, n_requests);

      if (i == 0)
        g_assert_cmpuint (post_sample (fixture, "viber-webhook-subscribed"), ==, 200);
      else if (i == 1)
        g_assert_cmpuint (post_signed (fixture, returns[i]), ==, 200);
      else
        g_assert_cmpuint (post_sample (fixture, "viber-webhook"), ==, 200);
      restart (fixture);

      n_requests = fixture->api_requests->len;
      g_queue_push_tail (&fixture->api_replies, load_text ("viber-send-response.json"));
      key = send_text (fixture, "Hello again", &error);
      g_assert_no_error (error);
      g_assert_cmpstr (key, ==, OUR_KEY);
      g_assert_cmpuint (fixture->api_requests->len, ==, n_requests + 1);
    }
}

static gboolean
has_n_requests (gpointer data)
{
  Fixture *fixture = data;

  return fixture->api_requests->len >= GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (fixture->settings), "n"));
}

static void
wait_for_requests (Fixture *fixture,
                   guint    n)
{
  g_object_set_data (G_OBJECT (fixture->settings), "n", GUINT_TO_POINTER (n));
  g_assert_true (picky_test_wait_until (has_n_requests, fixture, 10000));
  g_assert_cmpuint (fixture->api_requests->len, ==, n);
}

static gboolean
has_last_error (gpointer data)
{
  return picky_channel_get_last_error (data) != NULL;
}

static gboolean
is_registered (gpointer data)
{
  return picky_viber_channel_get_registered_url (data) != NULL;
}

static void
assert_set_webhook (Fixture    *fixture,
                    guint       position,
                    const char *url)
{
  const char *request = g_ptr_array_index (fixture->api_requests, position);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *sent;
  JsonArray *types;
  g_autoptr(GString) joined = g_string_new (NULL);

  g_assert_true (g_str_has_prefix (request, "POST /pa/set_webhook|" TOKEN "|"));
  g_assert_true (json_parser_load_from_data (parser, strchr (strchr (request, '|') + 1, '|') + 1, -1, NULL));
  sent = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (sent, "url"), ==, url);
  types = json_object_get_array_member (sent, "event_types");
  for (guint i = 0; i < json_array_get_length (types); i++)
    g_string_append_printf (joined, "%s ", json_array_get_string_element (types, i));
  g_assert_cmpstr (joined->str, ==, "delivered seen failed subscribed unsubscribed conversation_started ");
}

/* Viber is told the public address with the callback path: when the
 * address is set, when it changes and when the channel starts. */
static void
test_set_webhook (Fixture       *fixture,
                  gconstpointer  data)
{
  /* No public address, nothing to tell. */
  g_assert_cmpuint (fixture->api_requests->len, ==, 0);

  g_queue_push_tail (&fixture->api_replies,
                     g_strdup ("{\"status\":0,\"status_message\":\"ok\",\"event_types\":[\"delivered\"]}"));
  g_settings_set_string (fixture->settings, "relay-public-url", "https://console.example.com/");
  wait_for_requests (fixture, 1);
  assert_set_webhook (fixture, 0, "https://console.example.com/viber");
  g_assert_true (picky_test_wait_until (is_registered, fixture->channel, 10000));
  g_assert_cmpstr (picky_viber_channel_get_registered_url (PICKY_VIBER_CHANNEL (fixture->channel)), ==,
                   "https://console.example.com/viber");
  g_assert_null (picky_channel_get_last_error (fixture->channel));

  /* Viber could not reach it: the Channels page says so. */
  g_queue_push_tail (&fixture->api_replies,
                     g_strdup ("{\"status\":1,\"status_message\":\"Result[HttpRequest[POST /viber], code=404]\"}"));
  g_settings_set_string (fixture->settings, "relay-public-url", "https://wrong.example.com");
  g_assert_true (picky_test_wait_until (has_last_error, fixture->channel, 10000));
  assert_set_webhook (fixture, 1, "https://wrong.example.com/viber");
  g_assert_null (picky_viber_channel_get_registered_url (PICKY_VIBER_CHANNEL (fixture->channel)));
  g_assert_nonnull (strstr (picky_channel_get_last_error (fixture->channel), "HTTPS"));
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_ONLINE);

  /* Started again, it tries again, and success clears the error. */
  g_queue_push_tail (&fixture->api_replies, g_strdup ("{\"status\":0,\"status_message\":\"ok\"}"));
  picky_channel_stop (fixture->channel);
  picky_channel_start (fixture->channel);
  wait_for_requests (fixture, 3);
  assert_set_webhook (fixture, 2, "https://wrong.example.com/viber");
  g_assert_true (picky_test_wait_until (is_registered, fixture->channel, 10000));
  g_assert_null (picky_channel_get_last_error (fixture->channel));
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  g_test_add_func ("/picky/viber/signature/worked-example", test_signature_worked_example);
  ADD ("/picky/viber/sample/message", test_sample_message);
  ADD ("/picky/viber/signature/refused", test_signature_refused);
  ADD ("/picky/viber/sample/receipts", test_receipts);
  ADD ("/picky/viber/events/others", test_other_events);
  ADD ("/picky/viber/access/read-off", test_read_off);
  ADD ("/picky/viber/fanout/two-bots", test_two_bots);
  ADD ("/picky/viber/hostile", test_hostile);
  ADD ("/picky/viber/send/text", test_send);
  ADD ("/picky/viber/send/errors", test_send_errors);
  ADD ("/picky/viber/sample/subscribed", test_sample_subscribed);
  ADD ("/picky/viber/send/unsubscribed", test_send_unsubscribed);
  ADD ("/picky/viber/send/unsubscribed-restart", test_unsubscribed_restart);
  ADD ("/picky/viber/webhook/set", test_set_webhook);

  return g_test_run ();
}
