/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the Messenger and Instagram channels over real HTTP on 127.0.0.1. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "picky-access.h"
#include "picky-instagram-channel.h"
#include "picky-messenger-channel.h"
#include "picky-store.h"
#include "picky-vault.h"
#include "picky-webhook-server.h"
#include "picky-test-util.h"

/* The key the signed samples were made with. */
#define APP_SECRET "test-app-secret"
#define VERIFY_TOKEN "verify-Zx81_qQ0tWm3"
#define PAGE_TOKEN "EAAB-page-token-93ad"
#define PAGE_ID "112233445566778"
#define IG_ID "17841405822304914"
#define PSID "6701234567890123"
#define PSID_IMAGE "7012345678901234"
#define IGSID "1598765432109876"
#define TEXT_MID "m_NcTTN6KFAQdEmQg3OMJmYxhcABm6jof8efD0nHCY_1Kgd2vd_Er1uyZAlIa_ZnYd7chlN_Xc-1HSyGbDS1GHXy"
#define SENT_MID "m_8d5vFldPGYYJvW5hANsbEvrSFagEaBp0vXnJaE_9I0MyTLUyi0kn1Gnt11CuZyzaA3U2OLzu6UQBGSyLvVSskU"

typedef struct
{
  char               *tmpdir;
  PickyStore         *store;
  PickyVault         *vault;
  GSettings          *settings;
  PickyAccess        *access;
  PickyWebhookServer *server;
  guint               port;
  gboolean            instagram;
  const char         *app;
  const char         *path;
  PickyChannel       *channel;
  SoupServer         *api;          /* the fake Graph API */
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

/* Sends @request as it is and returns the whole answer. */
static char *
exchange (Fixture *fixture,
          GBytes  *request)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  char *response;
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
  return response;
}

static guint
status_of (const char *response)
{
  return (guint) g_ascii_strtoull (response + 9, NULL, 10);
}

static guint
post_raw (Fixture *fixture,
          GBytes  *request)
{
  g_autofree char *response = exchange (fixture, request);

  return status_of (response);
}

/* Sends @body to the kind's path with @signature (no header when %NULL)
 * and any @extra header lines, as Meta's servers would. */
static guint
post_with (Fixture    *fixture,
           GBytes     *body,
           const char *signature,
           const char *extra)
{
  GString *text = g_string_new (NULL);
  gsize length = g_bytes_get_size (body);
  g_autoptr(GBytes) request = NULL;

  g_string_append_printf (text, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                "Content-Type: application/json\r\n", fixture->path);
  if (signature != NULL)
    g_string_append_printf (text, "X-Hub-Signature-256: %s\r\n", signature);
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
      const char *secret)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));

  g_hmac_update (hmac, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return g_strconcat ("sha256=", g_hmac_get_string (hmac), NULL);
}

/* Posts @json signed with the app's secret. */
static guint
post_signed (Fixture    *fixture,
             const char *json)
{
  g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));
  g_autofree char *signature = sign (body, APP_SECRET);

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
  return picky_messenger_channel_is_ready (data);
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
                   g_strdup_printf ("%s %s|%s|%.*s", soup_server_message_get_method (message), path,
                                    soup_message_headers_get_one (headers, "Authorization"),
                                    (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL)));
  soup_server_message_set_status (message, status != 0 ? status : 200, NULL);
  if (reply != NULL)
    soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, reply, strlen (reply));
}

static void
queue_reply (Fixture *fixture,
             guint    status,
             char    *body)
{
  g_queue_push_tail (&fixture->api_statuses, GUINT_TO_POINTER (status));
  g_queue_push_tail (&fixture->api_replies, body);
}

static void
store_secret (Fixture    *fixture,
              gint64      id,
              const char *key,
              const char *value)
{
  g_autoptr(GAsyncResult) stored = NULL;
  g_autoptr(GError) error = NULL;

  picky_vault_store_secret_async (fixture->vault, id, key, value, NULL, picky_test_got_result_cb, &stored);
  g_assert_true (picky_vault_store_secret_finish (fixture->vault, picky_test_wait_result (&stored), &error));
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  static const guint8 key_bytes[PICKY_CIPHER_KEY_SIZE] = { 9, 9, 9, 9, 9, 9, 9, 9, 3, 3, 3, 3, 3, 3, 3, 3,
                                                           9, 9, 9, 9, 9, 9, 9, 9, 3, 3, 3, 3, 3, 3, 3, 3 };
  g_autoptr(GBytes) key = g_bytes_new_static (key_bytes, sizeof key_bytes);
  g_autoptr(PickyCipher) cipher = NULL;
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) added = NULL;
  g_autoptr(GAsyncResult) cleared = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *settings = NULL;
  g_autoslist(GUri) uris = NULL;
  gint64 id;

  fixture->instagram = GPOINTER_TO_INT (data);
  fixture->app = fixture->instagram ? "instagram" : "messenger";
  fixture->path = fixture->instagram ? PICKY_INSTAGRAM_WEBHOOK_PATH : PICKY_MESSENGER_WEBHOOK_PATH;
  fixture->tmpdir = g_dir_make_tmp ("picky-messenger-XXXXXX", &error);
  g_assert_no_error (error);

  cipher = picky_cipher_new (key, &error);
  g_assert_no_error (error);
  path = g_build_filename (fixture->tmpdir, "messages.db", NULL);
  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &opened);
  fixture->store = picky_store_open_finish (picky_test_wait_result (&opened), &error);
  g_assert_no_error (error);

  fixture->settings = g_settings_new (APPLICATION_ID);
  fixture->access = picky_access_new (fixture->settings);
  picky_access_set_read (fixture->access, fixture->app, TRUE);
  picky_access_reset_dropped (fixture->access, fixture->app);
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
  settings = g_strdup_printf ("{\"page_id\":\"%s\",\"graph_base\":\"http://127.0.0.1:%d/\"}",
                              fixture->instagram ? IG_ID : PAGE_ID, g_uri_get_port (uris->data));

  picky_store_add_channel_async (fixture->store, fixture->app, fixture->app, "Acme", settings, NULL,
                                 picky_test_got_result_cb, &added);
  id = picky_store_add_channel_finish (fixture->store, picky_test_wait_result (&added), &error);
  g_assert_no_error (error);

  /* Ids start at 1 in every fresh database: secrets of an earlier test go. */
  picky_vault_clear_channel_async (fixture->vault, id, NULL, picky_test_got_result_cb, &cleared);
  g_assert_true (picky_vault_clear_channel_finish (fixture->vault, picky_test_wait_result (&cleared), &error));
  store_secret (fixture, id, "app-secret", APP_SECRET);
  store_secret (fixture, id, "verify-token", VERIFY_TOKEN);
  store_secret (fixture, id, "access-token", PAGE_TOKEN);

  fixture->channel = g_object_new (fixture->instagram ? PICKY_TYPE_INSTAGRAM_CHANNEL : PICKY_TYPE_MESSENGER_CHANNEL,
                                   "id", id,
                                   "app", fixture->app,
                                   "name", "Acme",
                                   "settings", settings,
                                   "store", fixture->store,
                                   "vault", fixture->vault,
                                   "access", fixture->access,
                                   "webhook-server", fixture->server,
                                   NULL);
  picky_channel_start (fixture->channel);
  g_assert_true (picky_test_wait_until (channel_ready, fixture->channel, 10000));
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_ONLINE);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  picky_channel_stop (fixture->channel);
  g_assert_finalize_object (fixture->channel);
  g_assert_false (picky_webhook_server_has_route (fixture->server, fixture->path));
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

static char *
send_text (Fixture     *fixture,
           const char  *to,
           const char  *text,
           GError     **error)
{
  g_autoptr(PickyMessage) message = picky_message_new ();
  g_autoptr(GAsyncResult) result = NULL;

  picky_message_set_channel_id (message, picky_channel_get_id (fixture->channel));
  picky_message_set_app (message, fixture->app);
  picky_message_set_contact_provider_id (message, to);
  picky_message_set_direction (message, PICKY_DIRECTION_OUT);
  picky_message_set_text (message, text);
  picky_channel_send_async (fixture->channel, message, NULL, picky_test_got_result_cb, &result);
  return picky_channel_send_finish (fixture->channel, picky_test_wait_result (&result), error);
}

/* Our reply as the outbox leaves it once Meta took it. */
static void
store_reply (Fixture    *fixture,
             const char *to,
             const char *mid)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyMessage *message = picky_message_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  picky_message_set_channel_id (message, picky_channel_get_id (fixture->channel));
  picky_message_set_app (message, fixture->app);
  picky_message_set_provider_key (message, mid);
  picky_message_set_contact_provider_id (message, to);
  picky_message_set_direction (message, PICKY_DIRECTION_OUT);
  picky_message_set_text (message, "Yes, size M is in stock 👍");
  picky_message_set_timestamp (message, now);
  picky_message_set_received (message, now);
  picky_message_set_status (message, PICKY_MESSAGE_STATUS_SENT);
  g_ptr_array_add (batch, message);
  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error), ==, 1);
}

static PickyMessageStatus
status_of_message (Fixture    *fixture,
                   const char *key)
{
  g_autoptr(GPtrArray) messages = list_messages (fixture, picky_channel_get_id (fixture->channel));
  PickyMessage *message = find_message (messages, key);

  g_assert_nonnull (message);
  return picky_message_get_status (message);
}

/* ---- Tests ---- */

static void
test_sample_page (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) messages = NULL;
  PickyMessage *message;

  g_assert_cmpuint (post_sample (fixture, "messenger-webhook"), ==, 200);
  messages = list_messages (fixture, picky_channel_get_id (fixture->channel));
  /* A text and a picture; the read receipt names nothing we sent. */
  g_assert_cmpuint (messages->len, ==, 2);

  message = find_message (messages, TEXT_MID);
  g_assert_nonnull (message);
  g_assert_cmpstr (picky_message_get_contact_provider_id (message), ==, PSID);
  g_assert_cmpstr (picky_message_get_text (message), ==, "Hi! Is the blue jacket still in stock? 🧥 Size M please");
  g_assert_cmpint (picky_message_get_direction (message), ==, PICKY_DIRECTION_IN);
  g_assert_cmpint (picky_message_get_timestamp (message), ==, 1777012000);

  message = find_message (messages, "m_5oOKVqYX7Enwvq4VNAKjKs1Pawtn3LG8Zv5Ypu8D0fzFwE7IHgYIruiqFhojmAIDdN87xg3_Q_XBmTepo6uKZy");
  g_assert_nonnull (message);
  g_assert_cmpstr (picky_message_get_contact_provider_id (message), ==, PSID_IMAGE);
  g_assert_cmpint (picky_message_get_kind (message), ==, PICKY_MESSAGE_KIND_IMAGE);
  g_assert_null (picky_message_get_text (message));
  g_assert_nonnull (strstr (picky_message_get_media (message), "481516234_n.jpg"));

  /* Meta retries until it gets a 2xx; the mids keep it two rows. */
  g_assert_cmpuint (post_sample (fixture, "messenger-webhook"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 2);
}

static void
test_sample_instagram (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) messages = NULL;
  PickyMessage *message;

  g_assert_cmpuint (post_sample (fixture, "instagram-webhook"), ==, 200);
  messages = list_messages (fixture, picky_channel_get_id (fixture->channel));
  g_assert_cmpuint (messages->len, ==, 2);

  message = find_message (messages, "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0wKPaEpCejiUKb4GEQnFNGaftcLOIadn5rPvi2xqw");
  g_assert_nonnull (message);
  g_assert_cmpstr (picky_message_get_contact_provider_id (message), ==, IGSID);
  g_assert_cmpstr (picky_message_get_text (message), ==, "क्या यह ड्रेस लाल रंग में भी है? ❤️");
  g_assert_cmpint (picky_message_get_direction (message), ==, PICKY_DIRECTION_IN);

  /* Our own answer, written in Meta's inbox: outgoing, to the customer. */
  message = find_message (messages, "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0Hx1SSRkRXQvQMcPLPPJS46lMUEZQPghOpzGpdCGA");
  g_assert_nonnull (message);
  g_assert_cmpint (picky_message_get_direction (message), ==, PICKY_DIRECTION_OUT);
  g_assert_cmpstr (picky_message_get_contact_provider_id (message), ==, IGSID);
  g_assert_cmpstr (picky_message_get_text (message), ==, "Yes! It comes in red and navy.");

  /* Instagram's read receipt names the message. */
  g_assert_cmpuint (post_signed (fixture,
    "{\"object\":\"instagram\",\"entry\":[{\"time\":1777012030000,\"id\":\"" IG_ID "\",\"messaging\":[{\"sender\":{\"id\":\"" IGSID "\"},"
    "\"recipient\":{\"id\":\"" IG_ID "\"},\"timestamp\":1777012030000,\"read\":{\"mid\":"
    "\"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0Hx1SSRkRXQvQMcPLPPJS46lMUEZQPghOpzGpdCGA\"}}]}]}"), ==, 200);
  g_assert_cmpint (status_of_message (fixture, "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0Hx1SSRkRXQvQMcPLPPJS46lMUEZQPghOpzGpdCGA"),
                   ==, PICKY_MESSAGE_STATUS_READ);

  /* A page's body is no Instagram webhook, even signed by the same app. */
  g_assert_cmpuint (post_sample (fixture, "messenger-webhook"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 2);
}

static void
test_verify (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *good = g_strdup_printf ("GET %s?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" VERIFY_TOKEN
                                           " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", fixture->path);
  g_autofree char *bad = g_strdup_printf ("GET %s?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=nope"
                                          " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", fixture->path);
  g_autoptr(GBytes) good_request = g_bytes_new (good, strlen (good));
  g_autoptr(GBytes) bad_request = g_bytes_new (bad, strlen (bad));
  g_autofree char *answer = exchange (fixture, good_request);

  g_assert_cmpuint (status_of (answer), ==, 200);
  g_assert_true (g_str_has_suffix (answer, "\r\n\r\n1158201444"));
  g_assert_cmpuint (post_raw (fixture, bad_request), ==, 403);
}

static void
test_signature_refused (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GBytes) body = load_data ("messenger-webhook.body");
  g_autofree char *good = load_text ("messenger-webhook.sig");
  g_autofree char *upper = g_ascii_strup (good + strlen ("sha256="), -1);
  g_autofree char *upper_header = g_strconcat ("sha256=", upper, NULL);
  g_autofree char *wrong = sign (body, "not-the-secret");
  g_autofree char *twice = g_strdup_printf ("X-Hub-Signature-256: %s\r\n", good);
  g_autoptr(GBytes) changed_body = NULL;
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  g_assert_cmpuint (post (fixture, body, NULL), ==, 401);
  /* The legacy SHA-1 header alone proves nothing. */
  g_assert_cmpuint (post_with (fixture, body, NULL, "X-Hub-Signature: sha1=0000\r\n"), ==, 401);
  g_assert_cmpuint (post (fixture, body, wrong), ==, 403);
  g_assert_cmpuint (post (fixture, body, upper_header), ==, 403);
  g_assert_cmpuint (post (fixture, body, good + strlen ("sha256=")), ==, 403);
  g_assert_cmpuint (post_with (fixture, body, good, twice), ==, 403);

  /* One byte of the body changed under the sample's signature. */
  text[strlen (text) - 6] = 'X';
  changed_body = g_bytes_new (text, strlen (text));
  g_assert_cmpuint (post (fixture, changed_body, good), ==, 403);

  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (post (fixture, body, good), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 2);
}

static void
test_receipts (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *mid = NULL;
  g_autofree char *read = NULL;
  g_autofree char *delivery = NULL;
  gint64 later = g_get_real_time () / 1000 + 60000;

  queue_reply (fixture, 200, load_text ("messenger-send-response.json"));
  mid = send_text (fixture, PSID, "Yes, size M is in stock 👍", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mid, ==, SENT_MID);
  store_reply (fixture, PSID, mid);

  delivery = g_strdup_printf ("{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE_ID "\",\"time\":%" G_GINT64_FORMAT ","
                              "\"messaging\":[{\"sender\":{\"id\":\"" PSID "\"},\"recipient\":{\"id\":\"" PAGE_ID "\"},"
                              "\"timestamp\":%" G_GINT64_FORMAT ",\"delivery\":{\"mids\":[\"" SENT_MID "\"],"
                              "\"watermark\":%" G_GINT64_FORMAT "}}]}]}", later, later, later);
  g_assert_cmpuint (post_signed (fixture, delivery), ==, 200);
  g_assert_cmpint (status_of_message (fixture, SENT_MID), ==, PICKY_MESSAGE_STATUS_DELIVERED);

  /* Messenger's read receipt names only a time: everything sent before it. */
  read = g_strdup_printf ("{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE_ID "\",\"time\":%" G_GINT64_FORMAT ","
                          "\"messaging\":[{\"sender\":{\"id\":\"" PSID "\"},\"recipient\":{\"id\":\"" PAGE_ID "\"},"
                          "\"timestamp\":%" G_GINT64_FORMAT ",\"read\":{\"watermark\":%" G_GINT64_FORMAT "}}]}]}",
                          later, later, later);
  g_assert_cmpuint (post_signed (fixture, read), ==, 200);
  g_assert_cmpint (status_of_message (fixture, SENT_MID), ==, PICKY_MESSAGE_STATUS_READ);

  /* Its echo is the same message, not a second one. */
  g_assert_cmpuint (post_signed (fixture,
    "{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE_ID "\",\"time\":1777012010000,\"messaging\":[{\"sender\":{\"id\":\"" PAGE_ID "\"},"
    "\"recipient\":{\"id\":\"" PSID "\"},\"timestamp\":1777012010000,\"message\":{\"mid\":\"" SENT_MID "\","
    "\"text\":\"Yes, size M is in stock 👍\",\"is_echo\":true,\"app_id\":1234}}]}]}"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 1);
  g_assert_cmpint (status_of_message (fixture, SENT_MID), ==, PICKY_MESSAGE_STATUS_READ);
}

#define REACTION "{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE_ID "\",\"time\":1777012020000,\"messaging\":[{" \
                 "\"sender\":{\"id\":\"" PSID "\"},\"recipient\":{\"id\":\"" PAGE_ID "\"},\"timestamp\":%s," \
                 "\"reaction\":{\"reaction\":\"love\",\"emoji\":\"\\u2764\",\"action\":\"%s\",\"mid\":\"" TEXT_MID "\"}}]}]}"

static void
test_reactions_and_edits (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *react = g_strdup_printf (REACTION, "1777012020000", "react");
  g_autofree char *unreact = g_strdup_printf (REACTION, "1777012030000", "unreact");
  g_autoptr(GPtrArray) messages = NULL;
  guint n_reactions = 0;

  g_assert_cmpuint (post_sample (fixture, "messenger-webhook"), ==, 200);
  g_assert_cmpuint (post_signed (fixture, react), ==, 200);
  g_assert_cmpuint (post_signed (fixture, react), ==, 200);
  g_assert_cmpuint (post_signed (fixture, unreact), ==, 200);
  g_assert_cmpuint (post_signed (fixture,
    "{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE_ID "\",\"time\":1777012040000,\"messaging\":[{\"sender\":{\"id\":\"" PSID "\"},"
    "\"recipient\":{\"id\":\"" PAGE_ID "\"},\"timestamp\":1777012040000,\"message_edit\":{\"mid\":\"" TEXT_MID "\","
    "\"text\":\"Is the blue jacket in stock in size L?\",\"num_edit\":1}}]}]}"), ==, 200);

  messages = list_messages (fixture, picky_channel_get_id (fixture->channel));
  for (guint i = 0; i < messages->len; i++)
    {
      PickyMessage *message = g_ptr_array_index (messages, i);

      if (picky_message_get_kind (message) != PICKY_MESSAGE_KIND_REACTION)
        continue;
      n_reactions++;
      g_assert_cmpstr (picky_message_get_related_key (message), ==, TEXT_MID);
    }
  /* The redelivered reaction is stored once; taking it back is a row of its own. */
  g_assert_cmpuint (n_reactions, ==, 2);
  g_assert_cmpstr (picky_message_get_text (find_message (messages, TEXT_MID)), ==, "Is the blue jacket in stock in size L?");
}

static void
test_read_off (Fixture       *fixture,
               gconstpointer  data)
{
  picky_access_set_read (fixture->access, fixture->app, FALSE);
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_DISABLED);

  /* Acknowledged so Meta stops retrying, yet neither stored nor forgotten. */
  g_assert_cmpuint (post_sample (fixture, "messenger-webhook"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (picky_access_get_dropped (fixture->access, fixture->app), ==, 2);

  picky_access_set_read (fixture->access, fixture->app, TRUE);
  g_assert_cmpuint (post_sample (fixture, "messenger-webhook"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 2);
}

static void
test_unknown_page (Fixture       *fixture,
                   gconstpointer  data)
{
  g_assert_cmpuint (post_signed (fixture,
    "{\"object\":\"page\",\"entry\":[{\"id\":\"999\",\"time\":1777012000000,\"messaging\":[{\"sender\":{\"id\":\"" PSID "\"},"
    "\"recipient\":{\"id\":\"999\"},\"timestamp\":1777012000000,\"message\":{\"mid\":\"m_other\",\"text\":\"hi\"}}]}]}"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (picky_messenger_channel_get_n_unknown (PICKY_MESSENGER_CHANNEL (fixture->channel)), ==, 1);
}

/* Bodies that are no JSON to take, signed properly: refused, and the
 * listener keeps serving. */
static void
test_hostile (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GString) deep = g_string_new ("{\"entry\":");
  g_autoptr(GBytes) deep_body = NULL;
  g_autoptr(GBytes) sample = load_data ("messenger-webhook.body");
  g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (sample, 0, g_bytes_get_size (sample) / 2);
  static const char bad_utf8_text[] = "{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE_ID "\",\"messaging\":[{\"sender\":{\"id\":\"1\"},"
                                      "\"message\":{\"mid\":\"m_1\",\"text\":\"\xc3\x28\"}}]}]}";
  g_autoptr(GBytes) bad_utf8 = g_bytes_new_static (bad_utf8_text, sizeof bad_utf8_text - 1);
  g_autofree char *headers = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                              "Content-Type: application/json\r\nX-Hub-Signature-256: sha256=00\r\n"
                                              "Content-Length: %d\r\n\r\n", fixture->path, 5 * 1024 * 1024);
  GString *big = g_string_new (headers);
  g_autoptr(GBytes) big_request = NULL;
  g_autofree char *deep_sig = NULL;
  g_autofree char *utf8_sig = sign (bad_utf8, APP_SECRET);
  g_autofree char *truncated_sig = sign (truncated, APP_SECRET);

  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  deep_body = g_bytes_new (deep->str, deep->len);
  deep_sig = sign (deep_body, APP_SECRET);
  g_assert_cmpuint (post (fixture, deep_body, deep_sig), ==, 400);
  g_assert_cmpuint (post (fixture, bad_utf8, utf8_sig), ==, 400);
  g_assert_cmpuint (post (fixture, truncated, truncated_sig), ==, 400);

  /* 5 MiB announced: refused after the headers. */
  g_string_set_size (big, big->len + 64 * 1024);
  memset (big->str + strlen (headers), 'x', 64 * 1024);
  big_request = g_string_free_to_bytes (big);
  g_assert_cmpuint (post_raw (fixture, big_request), ==, 413);

  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (post_sample (fixture, "messenger-webhook"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 2);
}

static void
test_send (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *mid = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *request, *body;
  JsonObject *sent;

  queue_reply (fixture, 200, load_text ("messenger-send-response.json"));
  mid = send_text (fixture, PSID, "Yes, size M is in stock 👍", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mid, ==, SENT_MID);

  g_assert_cmpuint (fixture->api_requests->len, ==, 1);
  request = g_ptr_array_index (fixture->api_requests, 0);
  g_assert_true (g_str_has_prefix (request, "POST /v25.0/me/messages|Bearer " PAGE_TOKEN "|"));
  body = strchr (strchr (request, '|') + 1, '|') + 1;
  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  sent = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (sent, "recipient"), "id"), ==, PSID);
  g_assert_cmpstr (json_object_get_string_member (sent, "messaging_type"), ==, "RESPONSE");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (sent, "message"), "text"), ==,
                   "Yes, size M is in stock 👍");
}

static void
test_send_errors (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) no_user = NULL;
  g_autoptr(GError) window = NULL;
  g_autoptr(GError) limited = NULL;
  g_autoptr(GError) token = NULL;

  queue_reply (fixture, 400, load_text ("messenger-error.json"));
  g_assert_null (send_text (fixture, PSID, "Hello", &no_user));
  g_assert_error (no_user, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED);
  g_assert_nonnull (strstr (no_user->message, "No matching user found"));

  queue_reply (fixture, 400, g_strdup ("{\"error\":{\"message\":\"(#10) This message is sent outside of allowed window.\","
                                       "\"type\":\"OAuthException\",\"code\":10,\"error_subcode\":2018278,\"fbtrace_id\":\"A1\"}}"));
  g_assert_null (send_text (fixture, PSID, "Hello", &window));
  g_assert_error (window, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED);
  g_assert_nonnull (strstr (window->message, "24 hours"));

  queue_reply (fixture, 400, g_strdup ("{\"error\":{\"message\":\"(#613) Calls to this api have exceeded the rate limit.\","
                                       "\"type\":\"OAuthException\",\"code\":613,\"fbtrace_id\":\"A2\"}}"));
  g_assert_null (send_text (fixture, PSID, "Hello", &limited));
  g_assert_error (limited, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE);

  queue_reply (fixture, 401, g_strdup ("{\"error\":{\"message\":\"Error validating access token\","
                                       "\"type\":\"OAuthException\",\"code\":190,\"error_subcode\":463,\"fbtrace_id\":\"A3\"}}"));
  g_assert_null (send_text (fixture, PSID, "Hello", &token));
  g_assert_error (token, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAUTHORIZED);
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_AUTH_FAILED);

  g_assert_cmpuint (fixture->api_requests->len, ==, 4);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, GINT_TO_POINTER (FALSE), fixture_set_up, func, fixture_tear_down)
#define ADD_INSTAGRAM(path, func) \
  g_test_add (path, Fixture, GINT_TO_POINTER (TRUE), fixture_set_up, func, fixture_tear_down)

  ADD ("/picky/messenger/sample/page", test_sample_page);
  ADD ("/picky/messenger/verify", test_verify);
  ADD ("/picky/messenger/signature/refused", test_signature_refused);
  ADD ("/picky/messenger/receipts", test_receipts);
  ADD ("/picky/messenger/reactions-and-edits", test_reactions_and_edits);
  ADD ("/picky/messenger/access/read-off", test_read_off);
  ADD ("/picky/messenger/unknown-page", test_unknown_page);
  ADD ("/picky/messenger/hostile", test_hostile);
  ADD ("/picky/messenger/send/text", test_send);
  ADD ("/picky/messenger/send/errors", test_send_errors);
  ADD_INSTAGRAM ("/picky/instagram/sample", test_sample_instagram);
  ADD_INSTAGRAM ("/picky/instagram/verify", test_verify);

  return g_test_run ();
}
