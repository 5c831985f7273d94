/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the webhook listener and the WhatsApp channel over real HTTP on 127.0.0.1. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "picky-access.h"
#include "picky-json.h"
#include "picky-store.h"
#include "picky-vault.h"
#include "picky-webhook-server.h"
#include "picky-whatsapp-channel.h"
#include "picky-test-util.h"

#define APP_SECRET "test-app-secret"
#define VERIFY_TOKEN "verify-me-0123456789abcdefghijkl"
#define ACCESS_TOKEN "EAAtestACCESStoken"
#define PHONE_A "109876543210987"
#define PHONE_B "118273645509182"
#define WAMID_READ "wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBQwNTBGRUM5NERCQ0EzQTBBQUMzNgA="
#define WAMID_FAILED "wamid.HBgLMTU1NTMzMzIyMTEVAgARGBQ5OEIyQ0MyQkQ4MTgzMTk0NzhEQQA="

/* Scales the channel's waits in the pacing tests: the 6 s pair pause
 * becomes 1.2 s, long enough for a reply to another customer to go first. */
#define PACING_SCALE 0.2

typedef struct
{
  char               *tmpdir;
  PickyStore         *store;
  PickyVault         *vault;
  GSettings          *settings;
  PickyAccess        *access;
  PickyWebhookServer *server;
  guint               port;
  PickyChannel       *channel;      /* serves PHONE_A */
  PickyChannel       *channel_b;    /* serves PHONE_B, when a test adds it */
  SoupServer         *graph;        /* the fake Graph API, when a test needs it */
  GQueue              graph_replies;
  GPtrArray          *graph_requests;
  GArray             *graph_times;  /* gint64: when each request came, monotonic µs */
  double              backoff_scale;
} Fixture;

typedef struct
{
  guint  status;
  char  *body;
} GraphReply;

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

  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* ---- A raw HTTP client in a thread of its own, so the listener on this
 * thread's main context keeps serving while it waits. ---- */

typedef struct
{
  guint   port;
  GBytes *request;
  gsize   send_limit;    /* 0: all of it */
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

  if (exchange->send_limit > 0)
    length = MIN (length, exchange->send_limit);

  g_socket_client_set_timeout (client, 10);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", exchange->port, NULL, &error);
  if (connection == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* A server that cuts a request short may close before all is written. */
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             data, length, NULL, NULL, NULL);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   buffer, sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (response, buffer, n);

  g_task_return_pointer (task, g_string_free (g_steal_pointer (&response), FALSE), g_free);
}

/* Sends @request as it is and returns the whole response, or NULL. */
static char *
exchange (Fixture *fixture,
          GBytes  *request,
          gsize    send_limit)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);
  Exchange *data = g_new0 (Exchange, 1);
  g_autoptr(GError) error = NULL;
  char *response;

  data->port = fixture->port;
  data->request = g_bytes_ref (request);
  data->send_limit = send_limit;
  g_task_set_task_data (task, data, (GDestroyNotify) exchange_free);
  g_task_run_in_thread (task, exchange_thread);

  while (!g_task_get_completed (task))
    g_main_context_iteration (NULL, TRUE);

  response = g_task_propagate_pointer (task, &error);
  g_assert_no_error (error);
  return response;
}

static guint
status_of (const char *response)
{
  g_assert_nonnull (response);
  g_assert_true (g_str_has_prefix (response, "HTTP/1.1 "));
  return (guint) g_ascii_strtoull (response + 9, NULL, 10);
}

static GBytes *
build_post (const char *path,
            const char *content_type,
            const char *signature,
            GBytes     *body)
{
  GString *request = g_string_new (NULL);
  gsize length = g_bytes_get_size (body);

  g_string_append_printf (request, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n", path);
  if (content_type != NULL)
    g_string_append_printf (request, "Content-Type: %s\r\n", content_type);
  if (signature != NULL)
    g_string_append_printf (request, "X-Hub-Signature-256: %s\r\n", signature);
  g_string_append_printf (request, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", length);
  g_string_append_len (request, g_bytes_get_data (body, NULL), length);

  return g_string_free_to_bytes (request);
}

static char *
sign (GBytes *body)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) APP_SECRET, strlen (APP_SECRET));

  g_hmac_update (hmac, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return g_strconcat ("sha256=", g_hmac_get_string (hmac), NULL);
}

static guint
post (Fixture    *fixture,
      GBytes     *body,
      const char *signature)
{
  g_autoptr(GBytes) request = build_post ("/whatsapp", "application/json", signature, body);
  g_autofree char *response = exchange (fixture, request, 0);

  return status_of (response);
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

static PickyMessage *
find_message (GPtrArray  *messages,
              const char *key)
{
  for (guint i = 0; i < messages->len; i++)
    if (g_strcmp0 (picky_message_get_provider_key (g_ptr_array_index (messages, i)), key) == 0)
      return g_ptr_array_index (messages, i);

  return NULL;
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

static void
store_secret (Fixture    *fixture,
              gint64      channel_id,
              const char *kind,
              const char *secret)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_vault_store_secret_async (fixture->vault, channel_id, kind, secret, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_vault_store_secret_finish (fixture->vault, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
}

static gboolean
channel_ready (gpointer data)
{
  return picky_whatsapp_channel_is_ready (data);
}

static PickyChannel *
add_channel (Fixture    *fixture,
             const char *phone_number_id,
             gboolean    with_secret)
{
  g_autoptr(GAsyncResult) added = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *settings = NULL;
  g_autoslist(GUri) graph_uris = fixture->graph != NULL ? soup_server_get_uris (fixture->graph) : NULL;
  PickyChannel *channel;
  gint64 id;

  settings = g_strdup_printf ("{\"phone_number_id\":\"%s\",\"business_account_id\":\"102938475610293\","
                              "\"graph_base\":\"http://127.0.0.1:%u\",\"graph_version\":\"v25.0\"}",
                              phone_number_id,
                              graph_uris != NULL ? g_uri_get_port (graph_uris->data) : 9);
  picky_store_add_channel_async (fixture->store, "whatsapp-business", "whatsapp", "Acme WhatsApp",
                                 settings, NULL, picky_test_got_result_cb, &added);
  id = picky_store_add_channel_finish (fixture->store, picky_test_wait_result (&added), &error);
  g_assert_no_error (error);

  /* Ids start at 1 in every fresh database: secrets of an earlier test go. */
  {
    g_autoptr(GAsyncResult) cleared = NULL;

    picky_vault_clear_channel_async (fixture->vault, id, NULL, picky_test_got_result_cb, &cleared);
    g_assert_true (picky_vault_clear_channel_finish (fixture->vault, picky_test_wait_result (&cleared), &error));
  }
  if (with_secret)
    store_secret (fixture, id, "app-secret", APP_SECRET);
  store_secret (fixture, id, "verify-token", VERIFY_TOKEN);
  store_secret (fixture, id, "access-token", ACCESS_TOKEN);

  channel = g_object_new (PICKY_TYPE_WHATSAPP_CHANNEL,
                          "id", id,
                          "app", "whatsapp-business",
                          "name", "Acme WhatsApp",
                          "settings", settings,
                          "store", fixture->store,
                          "vault", fixture->vault,
                          "access", fixture->access,
                          "webhook-server", fixture->server,
                          "backoff-scale", fixture->backoff_scale,
                          NULL);
  picky_channel_start (channel);
  g_assert_true (picky_test_wait_until (channel_ready, channel, 10000));

  return channel;
}

static void
on_graph_request_cb (SoupServer        *server,
                     SoupServerMessage *message,
                     const char        *path,
                     GHashTable        *query,
                     gpointer           user_data)
{
  Fixture *fixture = user_data;
  GraphReply *reply = g_queue_pop_head (&fixture->graph_replies);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (message));
  gint64 now = g_get_monotonic_time ();

  g_array_append_val (fixture->graph_times, now);
  g_ptr_array_add (fixture->graph_requests,
                   g_strdup_printf ("%s %s|%s|%.*s", soup_server_message_get_method (message), path,
                                    soup_message_headers_get_one (headers, "Authorization"),
                                    (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL)));
  if (reply == NULL)
    {
      soup_server_message_set_status (message, 500, NULL);
      return;
    }

  soup_server_message_set_status (message, reply->status, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY,
                                    reply->body, strlen (reply->body));
  g_free (reply->body);
  g_free (reply);
}

static void
queue_graph_reply (Fixture    *fixture,
                   guint       status,
                   const char *sample)
{
  GraphReply *reply = g_new0 (GraphReply, 1);

  reply->status = status;
  reply->body = load_text (sample);
  g_queue_push_tail (&fixture->graph_replies, reply);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  static const guint8 key_bytes[PICKY_CIPHER_KEY_SIZE] = { 7, 7, 7, 7, 7, 7, 7, 7, 9, 9, 9, 9, 9, 9, 9, 9,
                                                           7, 7, 7, 7, 7, 7, 7, 7, 9, 9, 9, 9, 9, 9, 9, 9 };
  g_autoptr(GBytes) key = g_bytes_new_static (key_bytes, sizeof key_bytes);
  g_autoptr(PickyCipher) cipher = NULL;
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  gboolean with_graph = GPOINTER_TO_INT (data) & 1;
  gboolean with_secret = !(GPOINTER_TO_INT (data) & 2);

  fixture->tmpdir = g_dir_make_tmp ("picky-whatsapp-XXXXXX", &error);
  g_assert_no_error (error);

  cipher = picky_cipher_new (key, &error);
  g_assert_no_error (error);
  path = g_build_filename (fixture->tmpdir, "messages.db", NULL);
  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &opened);
  fixture->store = picky_store_open_finish (picky_test_wait_result (&opened), &error);
  g_assert_no_error (error);

  fixture->settings = g_settings_new (APPLICATION_ID);
  fixture->access = picky_access_new (fixture->settings);
  picky_access_set_read (fixture->access, "whatsapp-business", TRUE);
  picky_access_set_push (fixture->access, "whatsapp-business", TRUE);
  picky_access_reset_dropped (fixture->access, "whatsapp-business");
  fixture->vault = picky_vault_new (picky_store_get_database_id (fixture->store));

  fixture->server = picky_webhook_server_new ();
  g_assert_true (picky_webhook_server_start (fixture->server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  fixture->port = picky_webhook_server_get_port (fixture->server);
  g_assert_cmpuint (fixture->port, >, 0);

  fixture->graph_requests = g_ptr_array_new_with_free_func (g_free);
  fixture->graph_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  /* Pacing tests keep waits long enough to tell apart, the others short. */
  fixture->backoff_scale = (GPOINTER_TO_INT (data) & 4) != 0 ? PACING_SCALE : 0.001;
  if (with_graph)
    {
      fixture->graph = soup_server_new (NULL, NULL);
      soup_server_add_handler (fixture->graph, NULL, on_graph_request_cb, fixture, NULL);
      g_assert_true (soup_server_listen_local (fixture->graph, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
    }

  fixture->channel = add_channel (fixture, PHONE_A, with_secret);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  GraphReply *reply;

  picky_channel_stop (fixture->channel);
  g_assert_finalize_object (fixture->channel);
  if (fixture->channel_b != NULL)
    {
      picky_channel_stop (fixture->channel_b);
      g_assert_finalize_object (fixture->channel_b);
    }
  g_assert_false (picky_webhook_server_has_route (fixture->server, PICKY_WHATSAPP_WEBHOOK_PATH));
  g_assert_finalize_object (fixture->server);
  if (fixture->graph != NULL)
    g_assert_finalize_object (fixture->graph);
  while ((reply = g_queue_pop_head (&fixture->graph_replies)) != NULL)
    {
      g_free (reply->body);
      g_free (reply);
    }
  g_ptr_array_unref (fixture->graph_requests);
  g_array_unref (fixture->graph_times);

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
  g_autoptr(GBytes) body = g_bytes_new_static ("{\"object\":\"whatsapp_business_account\",\"entry\":[]}", 49);
  g_autoptr(GBytes) escaped = g_bytes_new_static ("{\"text\":\"caf\\u00e9\"}", 20);

  g_assert_true (picky_whatsapp_channel_check_signature (body,
    "sha256=c84a394cc475525991e78ff16e430b02e47f953877d2af0ade26956ce6f384dc", APP_SECRET));
  /* Meta sends lower-case hex; the same digest in upper case is not its
   * signature, so another spelling of the header cannot slip through. */
  g_assert_false (picky_whatsapp_channel_check_signature (body,
    "sha256=C84A394CC475525991E78FF16E430B02E47F953877D2AF0ADE26956CE6F384DC", APP_SECRET));
  g_assert_true (picky_whatsapp_channel_check_signature (escaped,
    "sha256=03a188fdd88ca2b5e9096727c5129f9be1065ab33f39bedda391f3161a305c1f", APP_SECRET));
  g_assert_false (picky_whatsapp_channel_check_signature (escaped,
    "sha256=0fa954d7ce127c0274623db3e729f781cc9ac98e7895afa78a14f8d5a5a762a1", APP_SECRET));
  g_assert_false (picky_whatsapp_channel_check_signature (body,
    "sha256=c84a394cc475525991e78ff16e430b02e47f953877d2af0ade26956ce6f384dc", NULL));
}

static void
test_verify_token_generated (void)
{
  g_autofree char *a = picky_whatsapp_channel_generate_verify_token ();
  g_autofree char *b = picky_whatsapp_channel_generate_verify_token ();

  g_assert_cmpuint (strlen (a), ==, 32);
  g_assert_cmpstr (a, !=, b);
  for (const char *c = a; *c != '\0'; c++)
    g_assert_true (g_ascii_isalnum (*c) || *c == '-' || *c == '_');
}

/* A message or status without an id has no key to store it under. */
static void
test_parse_empty_id (void)
{
  const char *json = "{\"messages\":[{\"from\":\"15557654321\",\"id\":\"\",\"timestamp\":\"1777011060\","
                     "\"type\":\"text\",\"text\":{\"body\":\"hi\"}}],"
                     "\"statuses\":[{\"id\":\"\",\"status\":\"read\",\"timestamp\":\"1777011060\"}]}";
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) messages = NULL;

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  messages = picky_whatsapp_channel_parse_value (json_node_get_object (json_parser_get_root (parser)), 1, "whatsapp");

  g_assert_cmpuint (messages->len, ==, 0);
}

static gboolean
check_syntax (const char *text,
              guint       max_depth)
{
  return picky_json_check_syntax (text, strlen (text), max_depth);
}

static void
test_json_syntax (void)
{
  g_autoptr(GBytes) sample = load_data ("whatsapp-webhook-text.body");
  g_autoptr(GString) hidden = g_string_new ("{\"a\":/*\"*/");
  g_autoptr(GString) quote = g_string_new ("\"");
  g_autoptr(GString) balanced = g_string_new (NULL);

  g_assert_true (picky_json_check_syntax (g_bytes_get_data (sample, NULL), g_bytes_get_size (sample), 64));

  /* Depth counts containers, not brackets inside strings. */
  g_assert_true (check_syntax ("{\"a\":[1,{\"b\":\"[[[[[[\"}]}", 3));
  g_assert_false (check_syntax ("{\"a\":[1,{\"b\":\"[[[[[[\"}]}", 2));
  g_assert_false (check_syntax ("[[[[[", 4));
  g_assert_true (check_syntax (" {\"k\\\"\\\\\\u00e9\": [true, false, null, -0.5e+3, 10, \"\\/\"]}\n", 2));
  g_assert_true (check_syntax ("\"just a string\"", 0));
  g_assert_true (check_syntax ("{}", 1));
  g_assert_true (check_syntax ("[]", 1));

  /* What json-glib would take but the standard does not: each could make
   * the bytes look shallower than they are, so each is refused. */
  for (guint i = 0; i < 200000; i++)
    {
      g_string_append_c (hidden, '[');
      g_string_append_c (quote, '[');
    }
  for (guint i = 0; i < 100000; i++)
    g_string_prepend_c (balanced, '[');
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (balanced, ']');
  g_assert_false (picky_json_check_syntax (hidden->str, hidden->len, 64));
  g_assert_false (picky_json_check_syntax (quote->str, quote->len, 64));
  g_assert_false (picky_json_check_syntax (balanced->str, balanced->len, 64));
  g_assert_false (check_syntax ("{\"a\": 1 /* c */}", 64));
  g_assert_false (check_syntax ("{\"a\": 1} // c", 64));
  g_assert_false (check_syntax ("{'a': 1}", 64));
  g_assert_false (check_syntax ("{a: 1}", 64));
  g_assert_false (check_syntax ("[1,]", 64));
  g_assert_false (check_syntax ("{\"a\":1,}", 64));
  g_assert_false (check_syntax ("[01]", 64));
  g_assert_false (check_syntax ("[1.]", 64));
  g_assert_false (check_syntax ("[.5]", 64));
  g_assert_false (check_syntax ("[1e]", 64));
  g_assert_false (check_syntax ("[+1]", 64));
  g_assert_false (check_syntax ("[NaN]", 64));
  g_assert_false (check_syntax ("[tru]", 64));
  g_assert_false (check_syntax ("[1 2]", 64));
  g_assert_false (check_syntax ("{} {}", 64));
  g_assert_false (check_syntax ("[}", 64));
  g_assert_false (check_syntax ("{]", 64));
  g_assert_false (check_syntax ("]", 64));
  g_assert_false (check_syntax ("{\"a\" 1}", 64));
  g_assert_false (check_syntax ("{\"a\":}", 64));
  g_assert_false (check_syntax ("[\"\\x41\"]", 64));
  g_assert_false (check_syntax ("[\"\\u12\"]", 64));

  /* A UTF-16 surrogate only as half of a pair: json-glib refuses a lone
   * high one, and makes text that is not UTF-8 of a lone low one. */
  g_assert_true (check_syntax ("[\"\\ud83d\\ude00\"]", 64));
  g_assert_false (check_syntax ("[\"\\ud800\"]", 64));
  g_assert_false (check_syntax ("[\"\\ude00\"]", 64));
  g_assert_false (check_syntax ("[\"\\ud83d\\u0041\"]", 64));
  g_assert_false (check_syntax ("[\"\\ud83d\"]", 64));
  g_assert_false (check_syntax ("{\"id\": \"\\u0000wamid.1\"}", 64));
  g_assert_false (check_syntax ("[\"\\\\ud83d\\ude00\"]", 64));

  /* A number only within a double's range: beyond it json-glib makes it
   * infinity, and a message's details written from it are not JSON. */
  g_assert_true (check_syntax ("[1e308, -1.5e-400, 123456789012345678901234567890]", 64));
  g_assert_false (check_syntax ("[1e999]", 64));
  g_assert_false (check_syntax ("{\"width\": -1281e9990}", 64));
  g_assert_false (check_syntax ("[\"tab\there\"]", 64));
  g_assert_false (check_syntax ("[\"open", 64));
  g_assert_false (check_syntax ("[\"\\", 64));
  g_assert_false (check_syntax ("[\"\xc3\x28\"]", 64));  /* invalid UTF-8 */
  g_assert_false (check_syntax ("", 64));
  g_assert_false (check_syntax ("   ", 64));
  g_assert_false (picky_json_check_syntax ("[1]\0", 4, 64));
}

/* Bodies that once made json-glib recurse until the stack overflowed: a
 * signed one is refused as bad JSON, and the listener keeps serving. */
static void
test_hostile_nesting (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *openers[] = { "{\"a\":/*\"*/", "\"", "{\"entry\": " };

  for (guint k = 0; k < G_N_ELEMENTS (openers); k++)
    {
      g_autoptr(GString) text = g_string_new (openers[k]);
      g_autoptr(GBytes) body = NULL;
      g_autofree char *signature = NULL;

      for (guint i = 0; i < 200000; i++)
        g_string_append_c (text, '[');
      body = g_bytes_new (text->str, text->len);
      signature = sign (body);
      g_assert_cmpuint (post (fixture, body, signature), ==, 400);
    }

  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-text"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 1);
}

static void
test_sample_text (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) messages = NULL;
  PickyMessage *message;

  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-text"), ==, 200);
  messages = list_messages (fixture, picky_channel_get_id (fixture->channel));
  g_assert_cmpuint (messages->len, ==, 1);
  message = g_ptr_array_index (messages, 0);
  g_assert_cmpstr (picky_message_get_provider_key (message), ==,
                   "wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQ4MjcyODNFMEFEODQxNzM1ODE1NgA=");
  g_assert_cmpstr (picky_message_get_contact_provider_id (message), ==, "15551234567");
  g_assert_cmpstr (picky_message_get_contact_name (message), ==, "Priya Sharma");
  g_assert_cmpstr (picky_message_get_text (message), ==, "नमस्ते! क्या मेरा ऑर्डर A-4471/2 आज पहुँचेगा? 🙏");
  g_assert_cmpint (picky_message_get_timestamp (message), ==, 1777011000);
  g_assert_cmpint (picky_message_get_direction (message), ==, PICKY_DIRECTION_IN);

  /* Meta redelivers: nothing changes. */
  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-text"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 1);
}

static void
test_sample_media (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) messages = NULL;
  PickyMessage *image, *voice, *document, *location;

  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-media-and-location"), ==, 200);
  messages = list_messages (fixture, picky_channel_get_id (fixture->channel));
  g_assert_cmpuint (messages->len, ==, 4);
  image = find_message (messages, "wamid.HBgLMTU1NTc2NTQzMjEVAgASGBQyRjg2NzAyODI0QzFDMDk5NzI0QwA=");
  voice = find_message (messages, "wamid.HBgLMTU1NTc2NTQzMjEVAgASGBQ3MjAxNEIzQ0UxMDdGODBFMjIyRgA=");
  document = find_message (messages, "wamid.HBgLMTU1NTc2NTQzMjEVAgARGBQ5NDBGMUY4MzZGOTlFRUUzNjkyRgA=");
  g_assert_nonnull (image);
  g_assert_nonnull (voice);
  g_assert_nonnull (document);
  for (guint i = 0; i < messages->len; i++)
    g_assert_cmpstr (picky_message_get_contact_provider_id (g_ptr_array_index (messages, i)), ==, "15557654321");

  g_assert_cmpint (picky_message_get_kind (image), ==, PICKY_MESSAGE_KIND_IMAGE);
  g_assert_cmpstr (picky_message_get_text (image), ==, "صورة الإيصال 🧾");
  g_assert_nonnull (strstr (picky_message_get_media (image), "\"1487209345512345\""));
  g_assert_cmpint (picky_message_get_kind (voice), ==, PICKY_MESSAGE_KIND_AUDIO);
  g_assert_null (picky_message_get_text (voice));
  g_assert_nonnull (strstr (picky_message_get_media (voice), "\"voice\":true"));
  g_assert_cmpint (picky_message_get_kind (document), ==, PICKY_MESSAGE_KIND_DOCUMENT);
  g_assert_cmpstr (picky_message_get_text (document), ==, "الفاتورة");

  location = NULL;
  for (guint i = 0; i < messages->len; i++)
    if (picky_message_get_kind (g_ptr_array_index (messages, i)) == PICKY_MESSAGE_KIND_LOCATION)
      location = g_ptr_array_index (messages, i);
  g_assert_nonnull (location);
  g_assert_nonnull (strstr (picky_message_get_media (location), "\"latitude\""));

  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-media-and-location"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 4);
}

static void
add_outgoing (Fixture    *fixture,
              const char *key,
              const char *recipient)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyMessage *message = picky_message_new ();

  picky_message_set_channel_id (message, picky_channel_get_id (fixture->channel));
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_provider_id (message, recipient);
  picky_message_set_direction (message, PICKY_DIRECTION_OUT);
  picky_message_set_text (message, "Your order ships today.");
  picky_message_set_timestamp (message, 1777011190);
  picky_message_set_received (message, 1777011190);
  picky_message_set_status (message, PICKY_MESSAGE_STATUS_QUEUED);
  g_ptr_array_add (batch, message);

  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error), ==, 1);
  g_assert_no_error (error);
}

static void
test_sample_status (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) again = NULL;
  const char *late_body;
  g_autoptr(GBytes) late = NULL;
  g_autofree char *late_signature = NULL;
  PickyMessage *read, *failed;

  add_outgoing (fixture, WAMID_READ, "15551234567");
  add_outgoing (fixture, WAMID_FAILED, "15553332211");

  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-status"), ==, 200);
  messages = list_messages (fixture, picky_channel_get_id (fixture->channel));
  g_assert_cmpuint (messages->len, ==, 2);
  read = find_message (messages, WAMID_READ);
  failed = find_message (messages, WAMID_FAILED);
  g_assert_cmpint (picky_message_get_status (read), ==, PICKY_MESSAGE_STATUS_READ);
  g_assert_cmpint (picky_message_get_status (failed), ==, PICKY_MESSAGE_STATUS_FAILED);
  g_assert_true (g_str_has_prefix (picky_message_get_error (failed), "131026: "));
  g_assert_nonnull (strstr (picky_message_get_error (failed), "Message Undeliverable."));

  /* A late "delivered" never takes back "read". */
  late_body = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"field\":\"messages\","
              "\"value\":{\"metadata\":{\"phone_number_id\":\"" PHONE_A "\"},\"statuses\":[{\"id\":\"" WAMID_READ "\","
              "\"status\":\"delivered\",\"timestamp\":\"1777011300\",\"recipient_id\":\"15551234567\"}]}}]}]}";
  late = g_bytes_new_static (late_body, strlen (late_body));
  late_signature = sign (late);
  g_assert_cmpuint (post (fixture, late, late_signature), ==, 200);
  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-status"), ==, 200);
  again = list_messages (fixture, picky_channel_get_id (fixture->channel));
  g_assert_cmpuint (again->len, ==, 2);
  g_assert_cmpint (picky_message_get_status (find_message (again, WAMID_READ)), ==, PICKY_MESSAGE_STATUS_READ);
}

static void
test_sample_multi_entry (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) in_a = NULL;
  g_autoptr(GPtrArray) in_b = NULL;

  fixture->channel_b = add_channel (fixture, PHONE_B, TRUE);

  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-multi-entry"), ==, 200);
  in_a = list_messages (fixture, picky_channel_get_id (fixture->channel));
  in_b = list_messages (fixture, picky_channel_get_id (fixture->channel_b));
  g_assert_cmpuint (in_a->len, ==, 1);
  g_assert_cmpuint (in_b->len, ==, 1);
  g_assert_cmpstr (picky_message_get_contact_name (g_ptr_array_index (in_a, 0)), ==, "Léa Dubois");
  g_assert_cmpstr (picky_message_get_contact_name (g_ptr_array_index (in_b, 0)), ==, "Jamal Ortiz");
  g_assert_cmpuint (picky_whatsapp_channel_get_n_unknown (PICKY_WHATSAPP_CHANNEL (fixture->channel)), ==, 0);

  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-multi-entry"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 2);
}

static void
test_unknown_number (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) in_a = NULL;

  /* Only PHONE_A is served: Jamal's number is acknowledged and counted. */
  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-multi-entry"), ==, 200);
  in_a = list_messages (fixture, picky_channel_get_id (fixture->channel));
  g_assert_cmpuint (in_a->len, ==, 1);
  g_assert_cmpint (count_messages (fixture), ==, 1);
  g_assert_cmpuint (picky_whatsapp_channel_get_n_unknown (PICKY_WHATSAPP_CHANNEL (fixture->channel)), ==, 1);
}

static void
test_rejected (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GBytes) body = load_data ("whatsapp-webhook-text.body");
  g_autofree char *good = load_text ("whatsapp-webhook-text.sig");
  g_autofree char *wrong = g_strdup (good);
  g_autofree char *short_sig = g_strndup (good, strlen (good) - 2);
  g_autofree char *non_hex = g_strdup (good);
  g_autofree char *upper_hex = g_ascii_strup (good + strlen ("sha256="), -1);
  g_autofree char *upper = g_strconcat ("sha256=", upper_hex, NULL);
  g_autofree char *sha1 = g_strconcat ("sha1=", good + strlen ("sha256="), NULL);
  g_autofree char *changed_data = g_memdup2 (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autoptr(GBytes) changed = NULL;

  wrong[strlen (wrong) - 1] = wrong[strlen (wrong) - 1] == '0' ? '1' : '0';
  non_hex[strlen (non_hex) - 1] = 'g';
  changed_data[100] ^= 1;
  changed = g_bytes_new (changed_data, g_bytes_get_size (body));

  g_assert_cmpuint (post (fixture, body, NULL), ==, 401);
  g_assert_cmpuint (post (fixture, body, sha1), ==, 403);
  g_assert_cmpuint (post (fixture, body, short_sig), ==, 403);
  g_assert_cmpuint (post (fixture, body, non_hex), ==, 403);
  g_assert_cmpuint (post (fixture, body, upper), ==, 403);
  g_assert_cmpuint (post (fixture, body, wrong), ==, 403);
  g_assert_cmpuint (post (fixture, changed, good), ==, 403);
  g_assert_cmpint (count_messages (fixture), ==, 0);

  /* The control: the same body with its own signature is taken. */
  g_assert_cmpuint (post (fixture, body, good), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 1);
}

static void
test_no_secret (Fixture       *fixture,
                gconstpointer  data)
{
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_AUTH_FAILED);
  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-text"), ==, 403);
  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-media-and-location"), ==, 403);
  g_assert_cmpint (count_messages (fixture), ==, 0);
}

static guint
get (Fixture    *fixture,
     const char *path_and_query,
     char      **body)
{
  g_autofree char *text = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                                           path_and_query);
  g_autoptr(GBytes) request = g_bytes_new (text, strlen (text));
  g_autofree char *response = exchange (fixture, request, 0);
  const char *end = strstr (response, "\r\n\r\n");

  if (body != NULL)
    *body = g_strdup (end != NULL ? end + 4 : "");
  return status_of (response);
}

static void
test_verify (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *body = NULL;
  g_autofree char *wrong_body = NULL;

  g_assert_cmpuint (get (fixture, "/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token="
                         VERIFY_TOKEN, &body), ==, 200);
  g_assert_cmpstr (body, ==, "1158201444");

  g_assert_cmpuint (get (fixture, "/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess",
                         &wrong_body), ==, 403);
  g_assert_null (strstr (wrong_body, "1158201444"));
  g_assert_cmpuint (get (fixture, "/whatsapp?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token="
                         VERIFY_TOKEN, NULL), ==, 403);
}

static void
test_read_off (Fixture       *fixture,
               gconstpointer  data)
{
  picky_access_set_read (fixture->access, "whatsapp-business", FALSE);
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_DISABLED);

  /* Acknowledged so Meta stops retrying, yet neither stored nor forgotten. */
  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-media-and-location"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 0);
  g_assert_cmpuint (picky_access_get_dropped (fixture->access, "whatsapp-business"), ==, 4);

  picky_access_set_read (fixture->access, "whatsapp-business", TRUE);
  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-text"), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 1);
}

static void
test_limits (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *headers = g_strdup_printf ("POST /whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Content-Type: application/json\r\nX-Hub-Signature-256: sha256=00\r\n"
                                              "Content-Length: %d\r\n\r\n", 5 * 1024 * 1024);
  GString *big = g_string_new (headers);
  g_autoptr(GBytes) big_request = NULL;
  g_autoptr(GString) nested = g_string_sized_new (100000);
  g_autoptr(GBytes) nested_body = NULL;
  g_autofree char *nested_signature = NULL;
  g_autofree char *response = NULL;
  g_autoptr(GBytes) body = load_data ("whatsapp-webhook-text.body");
  g_autoptr(GBytes) text_request = NULL;
  static const char put_text[] = "PUT /whatsapp HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  g_autoptr(GBytes) put = g_bytes_new_static (put_text, sizeof put_text - 1);
  g_autoptr(GBytes) elsewhere = NULL;
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL;

  /* 5 MiB announced: refused after the headers and only 64 KiB sent. */
  g_string_set_size (big, big->len + 64 * 1024);
  memset (big->str + strlen (headers), 'x', 64 * 1024);
  big_request = g_string_free_to_bytes (big);
  response = exchange (fixture, big_request, 0);
  g_assert_cmpuint (status_of (response), ==, 413);

  /* 100,000 "[" signed properly: refused before json-glib recurses. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (nested, '[');
  nested_body = g_bytes_new (nested->str, nested->len);
  nested_signature = sign (nested_body);
  g_assert_cmpuint (post (fixture, nested_body, nested_signature), ==, 400);

  /* Wrong content type, method and path. */
  text_request = build_post ("/whatsapp", "text/plain", "sha256=00", body);
  r1 = exchange (fixture, text_request, 0);
  g_assert_cmpuint (status_of (r1), ==, 415);
  r2 = exchange (fixture, put, 0);
  g_assert_cmpuint (status_of (r2), ==, 405);
  elsewhere = build_post ("/elsewhere", "application/json", "sha256=00", body);
  r3 = exchange (fixture, elsewhere, 0);
  g_assert_cmpuint (status_of (r3), ==, 404);

  g_assert_cmpint (count_messages (fixture), ==, 0);
  /* Still serving after all of it. */
  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-text"), ==, 200);
}

typedef struct
{
  GSocket *socket;
  gboolean closed;
} SlowClient;

static gboolean
slow_client_closed (gpointer data)
{
  SlowClient *slow = data;
  char buffer[256];
  gssize n;

  n = g_socket_receive (slow->socket, buffer, sizeof buffer, NULL, NULL);
  if (n == 0)
    slow->closed = TRUE;

  return slow->closed;
}

static void
test_slow_client (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  const char *partial = "POST /whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty";
  SlowClient slow = { NULL, FALSE };
  gint64 started;

  g_object_set (fixture->server, "header-timeout", 600, NULL);

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", fixture->port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             partial, strlen (partial), NULL, NULL, &error);
  g_assert_no_error (error);
  slow.socket = g_socket_connection_get_socket (connection);
  g_socket_set_blocking (slow.socket, FALSE);

  /* Others are served while the slow one dawdles … */
  started = g_get_monotonic_time ();
  g_assert_cmpuint (post_sample (fixture, "whatsapp-webhook-text"), ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 500 * 1000);
  g_assert_cmpint (count_messages (fixture), ==, 1);

  /* … and it is cut off once its time is up. */
  g_assert_true (picky_test_wait_until (slow_client_closed, &slow, 5000));
}

static void
test_connection_cap (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) first = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *response = NULL;
  g_autoptr(GBytes) body = load_data ("whatsapp-webhook-text.body");
  g_autofree char *signature = load_text ("whatsapp-webhook-text.sig");
  g_autoptr(GBytes) request = build_post ("/whatsapp", "application/json", signature, body);
  SlowClient slow = { NULL, FALSE };

  g_object_set (fixture->server, "max-connections", 1, NULL);
  first = g_socket_client_connect_to_host (client, "127.0.0.1", fixture->port, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (picky_test_wait_until ((gboolean (*) (gpointer)) picky_webhook_server_get_n_connections,
                             fixture->server, 2000));

  /* The second connection is over the cap: the silent first one makes
   * room for it, and is closed. */
  response = exchange (fixture, request, 0);
  g_assert_cmpuint (status_of (response), ==, 200);
  g_assert_cmpint (count_messages (fixture), ==, 1);
  slow.socket = g_socket_connection_get_socket (first);
  g_socket_set_blocking (slow.socket, FALSE);
  g_assert_true (picky_test_wait_until (slow_client_closed, &slow, 2000));
}

static char *
send_reply (Fixture  *fixture,
            GError  **error)
{
  g_autoptr(PickyMessage) message = picky_message_new ();
  g_autoptr(GAsyncResult) result = NULL;

  picky_message_set_contact_provider_id (message, "15551234567");
  picky_message_set_text (message, "Your order A-4471/2 arrives today 🙏");
  picky_message_set_related_key (message, "wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQ4MjcyODNFMEFEODQxNzM1ODE1NgA=");
  picky_channel_send_async (fixture->channel, message, NULL, picky_test_got_result_cb, &result);

  return picky_channel_send_finish (fixture->channel, picky_test_wait_result (&result), error);
}

static void
test_send (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *wamid = NULL;
  const char *request;

  queue_graph_reply (fixture, 200, "whatsapp-send-response.json");
  wamid = send_reply (fixture, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wamid, ==, "wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBQ2Mjg3Q0NFRDkwNDFERkYwMkNFRQA=");

  g_assert_cmpuint (fixture->graph_requests->len, ==, 1);
  request = g_ptr_array_index (fixture->graph_requests, 0);
  g_assert_true (g_str_has_prefix (request, "POST /v25.0/" PHONE_A "/messages|Bearer " ACCESS_TOKEN "|"));
  g_assert_nonnull (strstr (request, "\"to\":\"15551234567\""));
  g_assert_nonnull (strstr (request, "\"messaging_product\":\"whatsapp\""));
  g_assert_nonnull (strstr (request, "\"context\":{\"message_id\":\"wamid."));
}

static void
test_send_rate_limited (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *wamid = NULL;

  /* 130429 keeps the message queued: the same request goes again. */
  queue_graph_reply (fixture, 400, "whatsapp-error-rate-limit.json");
  queue_graph_reply (fixture, 400, "whatsapp-error-rate-limit.json");
  queue_graph_reply (fixture, 200, "whatsapp-send-response.json");
  wamid = send_reply (fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (wamid);
  g_assert_cmpuint (fixture->graph_requests->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (fixture->graph_requests, 0), ==, g_ptr_array_index (fixture->graph_requests, 2));
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_ONLINE);
}

static void
send_to_async (Fixture       *fixture,
               const char    *recipient,
               GAsyncResult **result)
{
  g_autoptr(PickyMessage) message = picky_message_new ();

  picky_message_set_contact_provider_id (message, recipient);
  picky_message_set_text (message, "Your order A-4471/2 arrives today 🙏");
  picky_channel_send_async (fixture->channel, message, NULL, picky_test_got_result_cb, result);
}

static const char *
request_recipient (Fixture *fixture,
                   guint    position)
{
  const char *request = g_ptr_array_index (fixture->graph_requests, position);

  if (strstr (request, "\"to\":\"15551234567\"") != NULL)
    return "A";
  if (strstr (request, "\"to\":\"15557654321\"") != NULL)
    return "B";
  return "?";
}

static gint64
request_time (Fixture *fixture,
              guint    position)
{
  return g_array_index (fixture->graph_times, gint64, position);
}

static void
queue_pair_limit (Fixture *fixture)
{
  GraphReply *reply = g_new0 (GraphReply, 1);

  reply->status = 400;
  reply->body = g_strdup ("{\"error\":{\"message\":\"(#131056) (Business Account, Consumer Account) pair rate limit hit\","
                          "\"type\":\"OAuthException\",\"code\":131056,\"error_data\":{\"messaging_product\":\"whatsapp\","
                          "\"details\":\"Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time\"}}}");
  g_queue_push_tail (&fixture->graph_replies, reply);
}

static gboolean
has_requests (gpointer data)
{
  Fixture *fixture = data;

  return fixture->graph_requests->len > 0;
}

/* 131056: this customer waits at least the pair pause before the next
 * try, and so does a second reply to them; a reply to someone else goes
 * at once. */
static void
test_send_pair_limit (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GAsyncResult) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL, *a2 = NULL, *b = NULL;
  gint64 pause = (gint64) (6000 * PACING_SCALE) * 1000;

  queue_pair_limit (fixture);
  for (guint i = 0; i < 3; i++)
    queue_graph_reply (fixture, 200, "whatsapp-send-response.json");

  send_to_async (fixture, "15551234567", &first);
  g_assert_true (picky_test_wait_until (has_requests, fixture, 10000));
  send_to_async (fixture, "15557654321", &other);
  b = picky_channel_send_finish (fixture->channel, picky_test_wait_result (&other), &error);
  g_assert_no_error (error);
  g_assert_nonnull (b);

  /* A second reply to the held customer queues behind the pause. */
  send_to_async (fixture, "15551234567", &second);
  a = picky_channel_send_finish (fixture->channel, picky_test_wait_result (&first), &error);
  g_assert_no_error (error);
  a2 = picky_channel_send_finish (fixture->channel, picky_test_wait_result (&second), &error);
  g_assert_no_error (error);

  g_assert_cmpuint (fixture->graph_requests->len, ==, 4);
  g_assert_cmpstr (request_recipient (fixture, 0), ==, "A");
  g_assert_cmpstr (request_recipient (fixture, 1), ==, "B");
  g_assert_cmpstr (request_recipient (fixture, 2), ==, "A");
  g_assert_cmpstr (request_recipient (fixture, 3), ==, "A");
  g_assert_cmpint (request_time (fixture, 2) - request_time (fixture, 0), >=, pause);
  g_assert_cmpint (request_time (fixture, 3) - request_time (fixture, 0), >=, pause);
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_ONLINE);
}

/* A throughput limit holds the whole number, not only the one customer. */
static void
test_send_throughput (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL, *b = NULL;
  /* The first backoff step is at least half of 2 s, scaled. */
  gint64 least = (gint64) (1000 * PACING_SCALE) * 1000;

  queue_graph_reply (fixture, 400, "whatsapp-error-rate-limit.json");
  queue_graph_reply (fixture, 200, "whatsapp-send-response.json");
  queue_graph_reply (fixture, 200, "whatsapp-send-response.json");

  send_to_async (fixture, "15551234567", &first);
  g_assert_true (picky_test_wait_until (has_requests, fixture, 10000));
  while (picky_channel_get_state (fixture->channel) != PICKY_CHANNEL_STATE_BACKING_OFF)
    g_main_context_iteration (NULL, TRUE);
  send_to_async (fixture, "15557654321", &other);

  b = picky_channel_send_finish (fixture->channel, picky_test_wait_result (&other), &error);
  g_assert_no_error (error);
  a = picky_channel_send_finish (fixture->channel, picky_test_wait_result (&first), &error);
  g_assert_no_error (error);

  g_assert_cmpuint (fixture->graph_requests->len, ==, 3);
  for (guint i = 1; i < 3; i++)
    g_assert_cmpint (request_time (fixture, i) - request_time (fixture, 0), >=, least);
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_ONLINE);
}

/* Out of tries, the reply fails with WhatsApp's reason: never dropped. */
static void
test_send_pair_limit_gives_up (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *wamid = NULL;

  for (guint i = 0; i < 5; i++)
    queue_pair_limit (fixture);
  wamid = send_reply (fixture, &error);
  g_assert_null (wamid);
  g_assert_error (error, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "too many messages sent from this phone number"));
  g_assert_cmpuint (fixture->graph_requests->len, ==, 5);
}

static void
test_send_errors (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) invalid = NULL;
  g_autoptr(GError) window = NULL;
  g_autoptr(GError) expired = NULL;
  g_autoptr(GError) push_off = NULL;
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  GraphReply *reply = g_new0 (GraphReply, 1);

  queue_graph_reply (fixture, 400, "whatsapp-error-invalid-recipient.json");
  a = send_reply (fixture, &invalid);
  g_assert_null (a);
  g_assert_error (invalid, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED);
  g_assert_nonnull (strstr (invalid->message, "Parameter 'to' is not a valid"));

  reply->status = 400;
  reply->body = g_strdup ("{\"error\":{\"message\":\"(#131047) Re-engagement message\",\"code\":131047,"
                          "\"error_data\":{\"details\":\"Message failed to send because more than 24 hours have passed\"}}}");
  g_queue_push_tail (&fixture->graph_replies, reply);
  b = send_reply (fixture, &window);
  g_assert_error (window, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED);
  g_assert_nonnull (strstr (window->message, "template"));

  queue_graph_reply (fixture, 401, "whatsapp-error.json");
  c = send_reply (fixture, &expired);
  g_assert_error (expired, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAUTHORIZED);
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_AUTH_FAILED);
  g_assert_cmpuint (fixture->graph_requests->len, ==, 3);

  /* Push off: fails at once, nothing reaches the Graph API. */
  picky_access_set_push (fixture->access, "whatsapp-business", FALSE);
  d = send_reply (fixture, &push_off);
  g_assert_error (push_off, PICKY_ACCESS_ERROR, PICKY_ACCESS_ERROR_PUSH_OFF);
  g_assert_cmpuint (fixture->graph_requests->len, ==, 3);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/picky/whatsapp/signature/worked-example", test_signature_worked_example);
  g_test_add_func ("/picky/whatsapp/verify-token/generated", test_verify_token_generated);
  g_test_add_func ("/picky/webhook/json-syntax", test_json_syntax);
  g_test_add_func ("/picky/whatsapp/parse/empty-id", test_parse_empty_id);
#define ADD(path, flags, func) \
  g_test_add (path, Fixture, GINT_TO_POINTER (flags), fixture_set_up, func, fixture_tear_down)
  ADD ("/picky/whatsapp/sample/text", 0, test_sample_text);
  ADD ("/picky/whatsapp/sample/media-and-location", 0, test_sample_media);
  ADD ("/picky/whatsapp/sample/status", 0, test_sample_status);
  ADD ("/picky/whatsapp/sample/multi-entry", 0, test_sample_multi_entry);
  ADD ("/picky/whatsapp/route/unknown-number", 0, test_unknown_number);
  ADD ("/picky/whatsapp/hostile/nesting", 0, test_hostile_nesting);
  ADD ("/picky/whatsapp/rejected/signatures", 0, test_rejected);
  ADD ("/picky/whatsapp/rejected/no-app-secret", 2, test_no_secret);
  ADD ("/picky/whatsapp/verify", 0, test_verify);
  ADD ("/picky/whatsapp/access/read-off", 0, test_read_off);
  ADD ("/picky/webhook/limits", 0, test_limits);
  ADD ("/picky/webhook/slow-client", 0, test_slow_client);
  ADD ("/picky/webhook/connection-cap", 0, test_connection_cap);
  ADD ("/picky/whatsapp/send/ok", 1, test_send);
  ADD ("/picky/whatsapp/send/rate-limited", 1, test_send_rate_limited);
  ADD ("/picky/whatsapp/send/errors", 1, test_send_errors);
  ADD ("/picky/whatsapp/pacing/pair-limit", 1 | 4, test_send_pair_limit);
  ADD ("/picky/whatsapp/pacing/pair-limit-gives-up", 1, test_send_pair_limit_gives_up);
  ADD ("/picky/whatsapp/pacing/throughput", 1 | 4, test_send_throughput);
#undef ADD

  return g_test_run ();
}
