/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the LINE channel over real HTTP on 127.0.0.1. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "picky-access.h"
#include "picky-line-channel.h"
#include "picky-store.h"
#include "picky-vault.h"
#include "picky-webhook-server.h"
#include "picky-test-util.h"

/* The key the signed samples were made with. */
#define SECRET "test-app-secret"
#define ACCESS_TOKEN "line-channel-access-token-7d1e"
#define USER "Ua3ce9d97dcbee500fe7ee5fc324bdb2e"
#define FOLLOWER "U1142a21c402364f9572b85a8e48f687a"
#define GROUP "Cb165c58ac5831be38cb8cb4ba2e75198"
/* The token of USER's last replyable event in the sample. */
#define LAST_REPLY_TOKEN "032634f087e51b429fe8110102c995f1"

typedef struct
{
  char               *tmpdir;
  PickyStore         *store;
  PickyVault         *vault;
  GSettings          *settings;
  PickyAccess        *access;
  PickyWebhookServer *server;
  guint               port;
  PickyChannel       *channel;
  SoupServer         *api;          /* the fake LINE Messaging API */
  GQueue              api_replies;  /* char *: the next bodies it answers with */
  GQueue              api_statuses; /* GUINT_TO_POINTER: and their HTTP status, 200 when empty */
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

/* Sends @request as it is and returns the HTTP status of the answer. */
static guint
post_raw (Fixture *fixture,
          GBytes  *request)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *response = NULL;
  Exchange *exchange = g_new0 (Exchange, 1);

  exchange->port = fixture->port;
  exchange->request = g_bytes_ref (request);
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

/* Sends @body to /line with @signature (no header when %NULL) and any
 * @extra header lines, as LINE's servers would. */
static guint
post_with (Fixture    *fixture,
           GBytes     *body,
           const char *signature,
           const char *extra)
{
  GString *text = g_string_new (NULL);
  gsize length = g_bytes_get_size (body);
  g_autoptr(GBytes) request = NULL;

  g_string_append (text, "POST /line HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                         "Content-Type: application/json; charset=utf-8\r\n");
  if (signature != NULL)
    g_string_append_printf (text, "x-line-signature: %s\r\n", signature);
  if (extra != NULL)
    g_string_append (text, extra);
  g_string_append_printf (text, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", length);
  g_string_append_len (text, g_bytes_get_data (body, NULL), length);
  request = g_string_free_to_bytes (text);

  return post_raw (fixture, request);
}

static guint
post (Fixture    *fixture,
      GBytes     *body,
      const char *signature)
{
  return post_with (fixture, body, signature, NULL);
}

static guint
post_sample (Fixture *fixture)
{
  g_autoptr(GBytes) body = load_data ("line-webhook.body");
  g_autofree char *signature = load_text ("line-webhook.sig");

  return post (fixture, body, signature);
}

static char *
sign (GBytes     *body,
      const char *secret)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
  guint8 digest[32];
  gsize length = sizeof digest;

  g_hmac_update (hmac, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_hmac_get_digest (hmac, digest, &length);
  return g_base64_encode (digest, length);
}

/* Posts @json signed with the channel's secret. */
static guint
post_signed (Fixture    *fixture,
             const char *json)
{
  g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));
  g_autofree char *signature = sign (body, SECRET);

  return post (fixture, body, signature);
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
  return picky_line_channel_is_ready (data);
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
  guint status = GPOINTER_TO_UINT (g_queue_pop_head (&fixture->api_statuses));
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (message));

  g_ptr_array_add (fixture->api_requests,
                   g_strdup_printf ("%s %s|%s|%s|%.*s", soup_server_message_get_method (message), path,
                                    soup_message_headers_get_one (headers, "Authorization"),
                                    soup_message_headers_get_one (headers, "X-Line-Retry-Key") != NULL ? "retry-key" : "-",
                                    (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL)));
  soup_server_message_set_status (message, status != 0 ? status : 200, NULL);
  if (reply != NULL)
    soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, reply, strlen (reply));
}

static void
queue_reply (Fixture    *fixture,
             guint       status,
             char       *body)
{
  g_queue_push_tail (&fixture->api_statuses, GUINT_TO_POINTER (status));
  g_queue_push_tail (&fixture->api_replies, body);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  static const guint8 key_bytes[PICKY_CIPHER_KEY_SIZE] = { 7, 7, 7, 7, 7, 7, 7, 7, 3, 3, 3, 3, 3, 3, 3, 3,
                                                           7, 7, 7, 7, 7, 7, 7, 7, 3, 3, 3, 3, 3, 3, 3, 3 };
  g_autoptr(GBytes) key = g_bytes_new_static (key_bytes, sizeof key_bytes);
  g_autoptr(PickyCipher) cipher = NULL;
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) added = NULL;
  g_autoptr(GAsyncResult) cleared = NULL;
  g_autoptr(GAsyncResult) stored = NULL;
  g_autoptr(GAsyncResult) stored_token = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *settings = NULL;
  g_autoslist(GUri) uris = NULL;
  gint64 id;

  fixture->tmpdir = g_dir_make_tmp ("picky-line-XXXXXX", &error);
  g_assert_no_error (error);

  cipher = picky_cipher_new (key, &error);
  g_assert_no_error (error);
  path = g_build_filename (fixture->tmpdir, "messages.db", NULL);
  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &opened);
  fixture->store = picky_store_open_finish (picky_test_wait_result (&opened), &error);
  g_assert_no_error (error);

  fixture->settings = g_settings_new (APPLICATION_ID);
  fixture->access = picky_access_new (fixture->settings);
  picky_access_set_read (fixture->access, "line", TRUE);
  picky_access_reset_dropped (fixture->access, "line");
  fixture->vault = picky_vault_new (picky_store_get_database_id (fixture->store));

  fixture->server = picky_webhook_server_new ();
  g_assert_true (picky_webhook_server_start (fixture->server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  fixture->port = picky_webhook_server_get_port (fixture->server);

  fixture->api_requests = g_ptr_array_new_with_free_func (g_free);
  fixture->api = soup_server_new (NULL, NULL);
  soup_server_add_handler (fixture->api, NULL, on_api_request_cb, fixture, NULL);
  g_assert_true (soup_server_listen_local (fixture->api, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (fixture->api);
  settings = g_strdup_printf ("{\"api_base\":\"http://127.0.0.1:%d/\"}", g_uri_get_port (uris->data));

  picky_store_add_channel_async (fixture->store, "line", "line", "Acme LINE",
                                 settings, NULL, picky_test_got_result_cb, &added);
  id = picky_store_add_channel_finish (fixture->store, picky_test_wait_result (&added), &error);
  g_assert_no_error (error);

  /* Ids start at 1 in every fresh database: secrets of an earlier test go. */
  picky_vault_clear_channel_async (fixture->vault, id, NULL, picky_test_got_result_cb, &cleared);
  g_assert_true (picky_vault_clear_channel_finish (fixture->vault, picky_test_wait_result (&cleared), &error));
  picky_vault_store_secret_async (fixture->vault, id, "channel-secret", SECRET, NULL, picky_test_got_result_cb, &stored);
  g_assert_true (picky_vault_store_secret_finish (fixture->vault, picky_test_wait_result (&stored), &error));
  picky_vault_store_secret_async (fixture->vault, id, "access-token", ACCESS_TOKEN, NULL,
                                  picky_test_got_result_cb, &stored_token);
  g_assert_true (picky_vault_store_secret_finish (fixture->vault, picky_test_wait_result (&stored_token), &error));
  g_assert_no_error (error);

  fixture->channel = g_object_new (PICKY_TYPE_LINE_CHANNEL,
                                   "id", id,
                                   "app", "line",
                                   "name", "Acme LINE",
                                   "settings", settings,
                                   "store", fixture->store,
                                   "vault", fixture->vault,
                                   "access", fixture->access,
                                   "webhook-server", fixture->server,
                                   NULL);
  picky_channel_start (fixture->channel);
  g_assert_true (picky_test_wait_until (channel_ready, fixture->channel, 10000));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  picky_channel_stop (fixture->channel);
  g_assert_finalize_object (fixture->channel);
  g_assert_false (picky_webhook_server_has_route (fixture->server, PICKY_LINE_WEBHOOK_PATH));
  g_assert_finalize_object (fixture->server);
  g_assert_finalize_object (fixture->api);
  g_queue_clear_full (&fixture->api_replies, g_free);
  g_queue_clear (&fixture->api_statuses);
  g_ptr_array_unref (fixture->api_requests);

  picky_store_close (fixture->store);
  g_clear_object (&fixture->store);
  g_clear_object (&fixture->vault);
  g_clear_object (&fixture->access);
  g_clear_object (&fixture->settings);
  picky_test_remove_tree (fixture->tmpdir);
  g_free (fixture->tmpdir);
}

static PickyMessage *
find_message (GPtrArray  *messages,
              const char *key)
{
  for (guint i = 0; i < messages->len; i++)
    if (g_strcmp0 (picky_message_get_provider_key (g_ptr_array_index (messages, i)), key) == 0)
      return g_ptr_array_index (messages, i);

  return NULL;
}

/* ---- Tests ---- */

static void
test_signature_worked_example (void)
{
  g_autoptr(GBytes) body = g_bytes_new_static ("{\"destination\":\"U0123456789abcdef0123456789abcdef\",\"events\":[]}", 63);

  g_assert_true (picky_line_channel_check_signature (body, "slkC5M6SdQywj8wesSP7ulxFvGbufL+FWymfixser1c=", SECRET));
  g_assert_false (picky_line_channel_check_signature (body, "slkC5M6SdQywj8wesSP7ulxFvGbufL+FWymfixser1c=", "other"));
  g_assert_false (picky_line_channel_check_signature (body, "slkC5M6SdQywj8wesSP7ulxFvGbufL+FWymfixser1c=", NULL));
  /* Without its pad, with a stray character, twice, or as hex: no signature. */
  g_assert_false (picky_line_channel_check_signature (body, "slkC5M6SdQywj8wesSP7ulxFvGbufL+FWymfixser1c", SECRET));
  g_assert_false (picky_line_channel_check_signature (body, "slkC5M6SdQywj8wesSP7ulxFvGbufL+FWymfixs*er1c=", SECRET));
  g_assert_false (picky_line_channel_check_signature (body,
    "slkC5M6SdQywj8wesSP7ulxFvGbufL+FWymfixser1c=, slkC5M6SdQywj8wesSP7ulxFvGbufL+FWymfixser1c=", SECRET));
  g_assert_false (picky_line_channel_check_signature (body,
    "b2490be4ce92750cb08fc31eb123fbba5c45bc66ee7cbf855b299f8b1b2bd5c7", SECRET));
  g_assert_false (picky_line_channel_check_signature (body, NULL, SECRET));
}

static void
test_sample (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  PickyMessage *message;
  JsonObject *media;

  g_assert_cmpuint (post_sample (fixture), ==, 200);
  messages = list_messages (fixture, picky_channel_get_id (fixture->channel));
  /* Two texts, an image and a sticker; the follow stores nothing. */
  g_assert_cmpuint (messages->len, ==, 4);
  g_assert_cmpuint (picky_line_channel_get_n_events (PICKY_LINE_CHANNEL (fixture->channel)), ==, 5);

  message = find_message (messages, "584712093385629441");
  g_assert_nonnull (message);
  g_assert_cmpstr (picky_message_get_contact_provider_id (message), ==, USER);
  g_assert_cmpstr (picky_message_get_text (message), ==, "こんにちは！注文番号4471の配送状況を教えてください🙏");
  g_assert_cmpint (picky_message_get_kind (message), ==, PICKY_MESSAGE_KIND_TEXT);
  g_assert_cmpint (picky_message_get_direction (message), ==, PICKY_DIRECTION_IN);
  g_assert_cmpint (picky_message_get_timestamp (message), ==, 1777014000);

  message = find_message (messages, "584712117230125057");
  g_assert_nonnull (message);
  g_assert_cmpint (picky_message_get_kind (message), ==, PICKY_MESSAGE_KIND_IMAGE);
  g_assert_null (picky_message_get_text (message));
  g_assert_true (json_parser_load_from_data (parser, picky_message_get_media (message), -1, NULL));
  media = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (media, "type"), ==, "image");
  g_assert_cmpstr (json_object_get_string_member (media, "provider"), ==, "line");

  message = find_message (messages, "584712127765921793");
  g_assert_nonnull (message);
  g_assert_cmpint (picky_message_get_kind (message), ==, PICKY_MESSAGE_KIND_STICKER);
  g_assert_true (json_parser_load_from_data (parser, picky_message_get_media (message), -1, NULL));
  media = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (media, "stickerId"), ==, "52002734");
  g_assert_cmpstr (json_object_get_string_member (media, "packageId"), ==, "11537");

  /* A group is one conversation, whoever in it writes. */
  message = find_message (messages, "584712169536176129");
  g_assert_nonnull (message);
  g_assert_cmpstr (picky_message_get_contact_provider_id (message), ==, GROUP);
  g_assert_cmpstr (picky_message_get_text (message), ==, "สวัสดีครับ ขอสอบถามเรื่องการจัดส่งครับ 🚚");

  /* Redelivered: the message ids keep it four rows. */
  g_assert_cmpuint (post_sample (fixture), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 4);
}

static void
test_verify_ping (Fixture       *fixture,
                  gconstpointer  data)
{
  g_assert_cmpuint (post_signed (fixture, "{\"destination\":\"U0123456789abcdef0123456789abcdef\",\"events\":[]}"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 0);
}

static void
test_signature_refused (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GBytes) body = load_data ("line-webhook.body");
  g_autofree char *good = load_text ("line-webhook.sig");
  g_autofree char *wrong = sign (body, "not-the-secret");
  g_autofree char *twice = g_strdup_printf ("x-line-signature: %s\r\n", good);
  g_autoptr(GBytes) changed_body = NULL;
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autoptr(GBytes) empty = g_bytes_new_static ("{\"destination\":\"U0\",\"events\":[]}", 32);

  g_assert_cmpuint (post (fixture, body, NULL), ==, 401);
  g_assert_cmpuint (post (fixture, empty, NULL), ==, 401);
  g_assert_cmpuint (post (fixture, body, wrong), ==, 403);
  g_assert_cmpuint (post (fixture, body, ""), ==, 403);
  /* The same valid header twice is not a signature LINE sends. */
  g_assert_cmpuint (post_with (fixture, body, good, twice), ==, 403);

  /* One byte of the body changed under the sample's signature. */
  text[strlen (text) - 5] = 'X';
  changed_body = g_bytes_new (text, strlen (text));
  g_assert_cmpuint (post (fixture, changed_body, good), ==, 403);

  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (post (fixture, body, good), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 4);
}

#define POSTBACK "{\"destination\":\"U523cf6941fa1c257c6f561c5cb347611\",\"events\":[{\"type\":\"postback\"," \
                     "\"postback\":{\"data\":\"track=4471\"},\"webhookEventId\":\"01KPOSTBACK0000000000000000\"," \
                     "\"deliveryContext\":{\"isRedelivery\":%s},\"timestamp\":1777014100000," \
                     "\"source\":{\"type\":\"user\",\"userId\":\"" USER "\"},\"replyToken\":\"abc\",\"mode\":\"active\"}," \
                     "{\"type\":\"unsend\",\"unsend\":{\"messageId\":\"1\"},\"webhookEventId\":\"01KUNSEND\"," \
                     "\"timestamp\":1777014100001,\"source\":{\"type\":\"user\",\"userId\":\"" USER "\"},\"mode\":\"active\"}]}"

static void
test_postback (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *first = g_strdup_printf (POSTBACK, "false");
  g_autofree char *again = g_strdup_printf (POSTBACK, "true");
  g_autoptr(GPtrArray) messages = NULL;

  g_assert_cmpuint (post_signed (fixture, first), ==, 200);
  g_assert_cmpuint (post_signed (fixture, again), ==, 200);
  messages = list_messages (fixture, picky_channel_get_id (fixture->channel));
  g_assert_cmpuint (messages->len, ==, 1);
  g_assert_cmpstr (picky_message_get_text (g_ptr_array_index (messages, 0)), ==, "track=4471");
  g_assert_cmpstr (picky_message_get_contact_provider_id (g_ptr_array_index (messages, 0)), ==, USER);
}

static void
test_read_off (Fixture       *fixture,
               gconstpointer  data)
{
  picky_access_set_read (fixture->access, "line", FALSE);
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_DISABLED);

  /* Acknowledged so LINE stops redelivering, yet neither stored nor forgotten. */
  g_assert_cmpuint (post_sample (fixture), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (picky_access_get_dropped (fixture->access, "line"), ==, 4);

  picky_access_set_read (fixture->access, "line", TRUE);
  g_assert_cmpuint (post_sample (fixture), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 4);
}

/* Bodies that are no JSON to take, signed properly: refused, and the
 * listener keeps serving. */
static void
test_hostile (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GString) deep = g_string_new ("{\"events\":");
  g_autoptr(GBytes) deep_body = NULL;
  g_autoptr(GBytes) sample = load_data ("line-webhook.body");
  g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (sample, 0, g_bytes_get_size (sample) / 2);
  g_autoptr(GBytes) bad_utf8 = g_bytes_new_static ("{\"events\":[{\"type\":\"message\",\"message\":{\"type\":\"text\","
                                                   "\"id\":\"1\",\"text\":\"\xc3\x28\"},\"source\":{\"type\":\"user\","
                                                   "\"userId\":\"U1\"}}]}", 117);
  g_autofree char *headers = g_strdup_printf ("POST /line HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                              "Content-Type: application/json\r\nx-line-signature: AA==\r\n"
                                              "Content-Length: %d\r\n\r\n", 5 * 1024 * 1024);
  GString *big = g_string_new (headers);
  g_autoptr(GBytes) big_request = NULL;
  g_autofree char *deep_sig = NULL;
  g_autofree char *utf8_sig = NULL;
  g_autofree char *truncated_sig = sign (truncated, SECRET);

  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  deep_body = g_bytes_new (deep->str, deep->len);
  deep_sig = sign (deep_body, SECRET);
  g_assert_cmpuint (post (fixture, deep_body, deep_sig), ==, 400);

  utf8_sig = sign (bad_utf8, SECRET);
  g_assert_cmpuint (post (fixture, bad_utf8, utf8_sig), ==, 400);
  g_assert_cmpuint (post (fixture, truncated, truncated_sig), ==, 400);

  /* 5 MiB announced: refused after the headers. */
  g_string_set_size (big, big->len + 64 * 1024);
  memset (big->str + strlen (headers), 'x', 64 * 1024);
  big_request = g_string_free_to_bytes (big);
  g_assert_cmpuint (post_raw (fixture, big_request), ==, 413);

  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (post_sample (fixture), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 4);
}

static char *
send_text (Fixture     *fixture,
           const char  *to,
           const char  *text,
           GError     **error)
{
  g_autoptr(PickyMessage) message = picky_message_new ();
  g_autoptr(GAsyncResult) result = NULL;

  picky_message_set_channel_id (message, picky_channel_get_id (fixture->channel));
  picky_message_set_app (message, "line");
  picky_message_set_contact_provider_id (message, to);
  picky_message_set_direction (message, PICKY_DIRECTION_OUT);
  picky_message_set_text (message, text);
  picky_channel_send_async (fixture->channel, message, NULL, picky_test_got_result_cb, &result);
  return picky_channel_send_finish (fixture->channel, picky_test_wait_result (&result), error);
}

static JsonObject *
request_body (Fixture *fixture,
              guint    index)
{
  const char *request = g_ptr_array_index (fixture->api_requests, index);
  const char *body = strchr (strchr (strchr (request, '|') + 1, '|') + 1, '|') + 1;
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static const char *
first_text (JsonObject *body)
{
  JsonArray *messages = json_object_get_array_member (body, "messages");

  g_assert_cmpuint (json_array_get_length (messages), ==, 1);
  return json_object_get_string_member (json_array_get_object_element (messages, 0), "text");
}

static void
test_send_reply_then_push (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) push = NULL;

  g_assert_cmpuint (post_sample (fixture), ==, 200);

  queue_reply (fixture, 200, g_strdup ("{\"sentMessages\":[{\"id\":\"584712300093718001\"}]}"));
  first = send_text (fixture, USER, "ご注文4471は本日発送済みです📦", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, "584712300093718001");

  /* The token is spent: the next answer is pushed. */
  queue_reply (fixture, 200, load_text ("line-push-response.json"));
  second = send_text (fixture, USER, "配達は明日の午前中の予定です🚚", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second, ==, "584712300093718529");

  g_assert_cmpuint (fixture->api_requests->len, ==, 2);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (fixture->api_requests, 0),
                                   "POST /v2/bot/message/reply|Bearer " ACCESS_TOKEN "|-|"));
  reply = request_body (fixture, 0);
  g_assert_cmpstr (json_object_get_string_member (reply, "replyToken"), ==, LAST_REPLY_TOKEN);
  g_assert_false (json_object_has_member (reply, "to"));
  g_assert_cmpstr (first_text (reply), ==, "ご注文4471は本日発送済みです📦");

  /* A push carries a retry key, so a lost answer never sends it twice. */
  g_assert_true (g_str_has_prefix (g_ptr_array_index (fixture->api_requests, 1),
                                   "POST /v2/bot/message/push|Bearer " ACCESS_TOKEN "|retry-key|"));
  push = request_body (fixture, 1);
  g_assert_cmpstr (json_object_get_string_member (push, "to"), ==, USER);
  g_assert_cmpstr (first_text (push), ==, "配達は明日の午前中の予定です🚚");
}

static void
test_send_stale_token (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autoptr(JsonObject) push = NULL;

  g_assert_cmpuint (post_sample (fixture), ==, 200);

  /* LINE refuses a token it no longer honours; the push reaches the group all the same. */
  queue_reply (fixture, 400, g_strdup ("{\"message\":\"Invalid reply token\"}"));
  queue_reply (fixture, 200, load_text ("line-push-response.json"));
  key = send_text (fixture, GROUP, "ขอบคุณครับ", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "584712300093718529");

  g_assert_cmpuint (fixture->api_requests->len, ==, 2);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (fixture->api_requests, 0), "POST /v2/bot/message/reply|"));
  push = request_body (fixture, 1);
  g_assert_cmpstr (json_object_get_string_member (push, "to"), ==, GROUP);
}

static void
test_send_errors (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) invalid = NULL;
  g_autoptr(GError) limited = NULL;
  g_autoptr(GError) broken = NULL;
  g_autoptr(GError) token = NULL;

  /* No reply token is known: each goes to the push API. */
  queue_reply (fixture, 400, load_text ("line-error-400.json"));
  g_assert_null (send_text (fixture, USER, "Hello", &invalid));
  g_assert_error (invalid, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED);
  g_assert_nonnull (strstr (invalid->message, "messages[0].text"));

  queue_reply (fixture, 429, load_text ("line-error-429.json"));
  g_assert_null (send_text (fixture, USER, "Hello", &limited));
  g_assert_error (limited, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (limited->message, "rate limit"));

  queue_reply (fixture, 500, NULL);
  g_assert_null (send_text (fixture, USER, "Hello", &broken));
  g_assert_error (broken, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE);

  queue_reply (fixture, 401, load_text ("line-error-401.json"));
  g_assert_null (send_text (fixture, USER, "Hello", &token));
  g_assert_error (token, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAUTHORIZED);
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_AUTH_FAILED);

  g_assert_cmpuint (fixture->api_requests->len, ==, 4);
}

#define FOLLOWING "{\"destination\":\"U523cf6941fa1c257c6f561c5cb347611\",\"events\":[{\"type\":\"%s\"," \
                     "\"webhookEventId\":\"01KFOLLOW%s\",\"deliveryContext\":{\"isRedelivery\":false}," \
                     "\"timestamp\":1777014200000,\"source\":{\"type\":\"user\",\"userId\":\"" FOLLOWER "\"}," \
                     "\"mode\":\"active\"}]}"

static void
test_send_unfollowed (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *unfollow = g_strdup_printf (FOLLOWING, "unfollow", "1");
  g_autofree char *follow = g_strdup_printf (FOLLOWING, "follow", "2");
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;

  g_assert_cmpuint (post_signed (fixture, unfollow), ==, 200);
  g_assert_null (send_text (fixture, FOLLOWER, "Hello", &error));
  g_assert_error (error, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED);
  g_assert_cmpuint (fixture->api_requests->len, ==, 0);

  /* Added again: replies reach them. */
  g_assert_cmpuint (post_signed (fixture, follow), ==, 200);
  queue_reply (fixture, 200, load_text ("line-push-response.json"));
  key = send_text (fixture, FOLLOWER, "Welcome back", NULL);
  g_assert_cmpstr (key, ==, "584712300093718529");
  g_assert_cmpint (count_messages (fixture), ==, 0);
}

/* A message of FOLLOWER's, keyed by @id. */
#define FOLLOWER_WRITES "{\"destination\":\"U523cf6941fa1c257c6f561c5cb347611\",\"events\":[{\"type\":\"message\"," \
                           "\"message\":{\"type\":\"text\",\"id\":\"%s\",\"text\":\"I am back\"}," \
                           "\"webhookEventId\":\"01KMSG%s\",\"deliveryContext\":{\"isRedelivery\":false}," \
                           "\"timestamp\":1777014300000,\"source\":{\"type\":\"user\",\"userId\":\"" FOLLOWER "\"}," \
                           "\"mode\":\"active\"}]}"

/* The console started again: a new channel object over the same store,
 * knowing nothing but what the store and keyring hold. */
static void
restart_channel (Fixture *fixture)
{
  gint64 id = picky_channel_get_id (fixture->channel);
  g_autofree char *settings = g_strdup (picky_channel_get_settings (fixture->channel));

  picky_channel_stop (fixture->channel);
  g_assert_finalize_object (fixture->channel);
  fixture->channel = g_object_new (PICKY_TYPE_LINE_CHANNEL,
                                   "id", id,
                                   "app", "line",
                                   "name", "Acme LINE",
                                   "settings", settings,
                                   "store", fixture->store,
                                   "vault", fixture->vault,
                                   "access", fixture->access,
                                   "webhook-server", fixture->server,
                                   NULL);
  picky_channel_start (fixture->channel);
  g_assert_true (picky_test_wait_until (channel_ready, fixture->channel, 10000));
}

static void
assert_send_refused (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  guint n_requests = fixture->api_requests->len;

  g_assert_null (send_text (fixture, FOLLOWER, "Hello", &error));
  g_assert_error (error, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED);
  g_assert_nonnull (strstr (error->message, "blocked the LINE account"));
  g_assert_cmpuint (fixture->api_requests->len, ==, n_requests);
}

static void
assert_send_pushed (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  guint n_requests = fixture->api_requests->len;

  queue_reply (fixture, 200, load_text ("line-push-response.json"));
  key = send_text (fixture, FOLLOWER, "Welcome back", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "584712300093718529");
  g_assert_cmpuint (fixture->api_requests->len, ==, n_requests + 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (fixture->api_requests, n_requests), "POST /v2/bot/message/push|"));
}

static void
test_unfollow_survives_restart (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *unfollow = g_strdup_printf (FOLLOWING, "unfollow", "1");
  g_autofree char *follow = g_strdup_printf (FOLLOWING, "follow", "2");
  g_autofree char *unfollow_again = g_strdup_printf (FOLLOWING, "unfollow", "3");
  g_autofree char *writes = g_strdup_printf (FOLLOWER_WRITES, "600000000000000001", "4");

  /* Answered only once stored: a restart right after the 200 keeps it. */
  g_assert_cmpuint (post_signed (fixture, unfollow), ==, 200);
  restart_channel (fixture);
  assert_send_refused (fixture);
  restart_channel (fixture);
  assert_send_refused (fixture);

  /* Following again clears it, for good. */
  g_assert_cmpuint (post_signed (fixture, follow), ==, 200);
  assert_send_pushed (fixture);
  restart_channel (fixture);
  assert_send_pushed (fixture);

  /* So does a message of theirs after another unfollow. */
  g_assert_cmpuint (post_signed (fixture, unfollow_again), ==, 200);
  restart_channel (fixture);
  assert_send_refused (fixture);
  g_assert_cmpuint (post_signed (fixture, writes), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 1);
  restart_channel (fixture);
  assert_send_pushed (fixture);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  g_test_add_func ("/picky/line/signature/worked-example", test_signature_worked_example);
  ADD ("/picky/line/sample/events", test_sample);
  ADD ("/picky/line/verify-ping", test_verify_ping);
  ADD ("/picky/line/signature/refused", test_signature_refused);
  ADD ("/picky/line/events/postback", test_postback);
  ADD ("/picky/line/access/read-off", test_read_off);
  ADD ("/picky/line/hostile", test_hostile);
  ADD ("/picky/line/send/reply-then-push", test_send_reply_then_push);
  ADD ("/picky/line/send/stale-token", test_send_stale_token);
  ADD ("/picky/line/send/errors", test_send_errors);
  ADD ("/picky/line/send/unfollowed", test_send_unfollowed);
  ADD ("/picky/line/send/unfollow-survives-restart", test_unfollow_survives_restart);

  return g_test_run ();
}
