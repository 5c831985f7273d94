/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the Telegram channel against a fake Bot API server and a real store. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "fakes/picky-fake-telegram.h"
#include "picky-access.h"
#include "picky-channel-registry.h"
#include "picky-store.h"
#include "picky-telegram-channel.h"
#include "picky-vault.h"
#include "picky-test-util.h"

/* Shaped like a real token, so every redaction rule has to catch it. */
#define CANARY_TOKEN "7001234567:AAcanaryCANARYcanaryCANARY_tok-en99"

/* Every log line of the process, for the canary check. */
static GMutex log_lock;
static GString *log_text;

typedef struct
{
  char              *tmpdir;
  PickyFakeTelegram *server;
  PickyStore        *store;
  PickyVault        *vault;
  GSettings         *settings;
  PickyAccess       *access;
  gint64             channel_id;
  PickyChannel      *channel;
} Fixture;

static GLogWriterOutput
capture_log_writer (GLogLevelFlags   log_level,
                    const GLogField *fields,
                    gsize            n_fields,
                    gpointer         user_data)
{
  g_mutex_lock (&log_lock);
  for (gsize i = 0; i < n_fields; i++)
    if (fields[i].length < 0)
      g_string_append_printf (log_text, "%s=%s\n", fields[i].key, (const char *) fields[i].value);
    else
      {
        g_string_append_printf (log_text, "%s=", fields[i].key);
        g_string_append_len (log_text, fields[i].value, fields[i].length);
        g_string_append_c (log_text, '\n');
      }
  g_mutex_unlock (&log_lock);

  /* Debug lines are only captured; warnings still go through, and stay fatal. */
  if (log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
    return G_LOG_WRITER_HANDLED;

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

typedef struct
{
  PickyFakeTelegram *server;
  const char        *method;
  guint              count;
} CountWait;

static gboolean
count_reached (gpointer data)
{
  CountWait *wait = data;

  return picky_fake_telegram_count (wait->server, wait->method) >= wait->count;
}

static gboolean
wait_for_requests (Fixture    *fixture,
                   const char *method,
                   guint       count,
                   guint       timeout_ms)
{
  CountWait wait = { fixture->server, method, count };

  return picky_test_wait_until (count_reached, &wait, timeout_ms);
}

typedef struct
{
  PickyChannel      *channel;
  PickyChannelState  state;
} StateWait;

static gboolean
state_reached (gpointer data)
{
  StateWait *wait = data;

  return picky_channel_get_state (wait->channel) == wait->state;
}

static gboolean
wait_for_state (Fixture           *fixture,
                PickyChannelState  state,
                guint              timeout_ms)
{
  StateWait wait = { fixture->channel, state };

  return picky_test_wait_until (state_reached, &wait, timeout_ms);
}

static JsonObject *
parse_body (PickyFakeRequest *request,
            JsonParser       *parser)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (request->body, &length);

  g_assert_true (json_parser_load_from_data (parser, data, length, NULL));
  return json_node_get_object (json_parser_get_root (parser));
}

static gint64
request_offset (PickyFakeRequest *request)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *body = parse_body (request, parser);

  return json_object_get_int_member_with_default (body, "offset", 0);
}

static GPtrArray *
list_messages (Fixture *fixture)
{
  PickyPageQuery query = { 0, 0, NULL, 0, 0, -1, 100 };
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

static PickyChannel *
create_channel (Fixture    *fixture,
                const char *settings)
{
  return g_object_new (PICKY_TYPE_TELEGRAM_CHANNEL,
                       "id", fixture->channel_id,
                       "app", "telegram",
                       "name", "Acme Support",
                       "settings", settings,
                       "store", fixture->store,
                       "vault", fixture->vault,
                       "access", fixture->access,
                       "poll-timeout", 1,
                       "backoff-scale", 0.01,
                       NULL);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  static const guint8 key_bytes[PICKY_CIPHER_KEY_SIZE] = {
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13,
  };
  g_autoptr(GBytes) key = g_bytes_new_static (key_bytes, sizeof key_bytes);
  g_autoptr(PickyCipher) cipher = NULL;
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) added = NULL;
  g_autoptr(GAsyncResult) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *settings = NULL;

  fixture->tmpdir = g_dir_make_tmp ("picky-telegram-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->server = picky_fake_telegram_new ();
  picky_fake_telegram_set_idle_delay (fixture->server, 100);

  cipher = picky_cipher_new (key, &error);
  g_assert_no_error (error);
  path = g_build_filename (fixture->tmpdir, "messages.db", NULL);
  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &opened);
  fixture->store = picky_store_open_finish (picky_test_wait_result (&opened), &error);
  g_assert_no_error (error);

  fixture->settings = g_settings_new (APPLICATION_ID);
  fixture->access = picky_access_new (fixture->settings);
  picky_access_set_read (fixture->access, "telegram", TRUE);
  picky_access_set_push (fixture->access, "telegram", TRUE);
  picky_access_reset_dropped (fixture->access, "telegram");

  settings = g_strdup_printf ("{\"api_base\":\"%s\"}", picky_fake_telegram_get_base_url (fixture->server));
  picky_store_add_channel_async (fixture->store, "telegram", "telegram", "Acme Support", settings,
                                 NULL, picky_test_got_result_cb, &added);
  fixture->channel_id = picky_store_add_channel_finish (fixture->store, picky_test_wait_result (&added), &error);
  g_assert_no_error (error);

  fixture->vault = picky_vault_new (picky_store_get_database_id (fixture->store));
  picky_vault_store_secret_async (fixture->vault, fixture->channel_id, "token", CANARY_TOKEN,
                                  NULL, picky_test_got_result_cb, &stored);
  g_assert_true (picky_vault_store_secret_finish (fixture->vault, picky_test_wait_result (&stored), &error));
  g_assert_no_error (error);

  fixture->channel = create_channel (fixture, settings);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  picky_channel_stop (fixture->channel);
  /* Let cancelled requests report back before the objects go. */
  picky_test_spin (50);
  g_assert_finalize_object (fixture->channel);

  picky_store_close (fixture->store);
  g_clear_object (&fixture->store);
  g_clear_object (&fixture->vault);
  g_clear_object (&fixture->access);
  g_clear_object (&fixture->settings);
  g_clear_object (&fixture->server);
  picky_test_remove_tree (fixture->tmpdir);
  g_free (fixture->tmpdir);
}

static GPtrArray *
parse_sample (const char *sample,
              gint64     *next_offset,
              guint      *n_updates)
{
  g_autoptr(GBytes) bytes = picky_fake_telegram_load_sample (sample);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  GPtrArray *messages;
  JsonObject *root;

  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                             g_bytes_get_size (bytes), NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  messages = picky_telegram_channel_parse_updates (json_object_get_member (root, "result"),
                                                   7, "telegram", next_offset, n_updates, &error);
  g_assert_no_error (error);

  return messages;
}

static void
test_parse_mixed (void)
{
  g_autoptr(GPtrArray) messages = NULL;
  gint64 next_offset = 0;
  guint n_updates = 0;
  PickyMessage *message;

  messages = parse_sample ("telegram-getupdates-mixed.wire.json", &next_offset, &n_updates);

  g_assert_cmpint (next_offset, ==, 734901209);
  g_assert_cmpuint (n_updates, ==, 7);
  /* Four new messages and one edit; my_chat_member and callback_query skipped. */
  g_assert_cmpuint (messages->len, ==, 5);

  message = find_message (messages, "5123987654:513");
  g_assert_nonnull (message);
  g_assert_cmpint (picky_message_get_op (message), ==, PICKY_MESSAGE_OP_INSERT);
  g_assert_cmpstr (picky_message_get_text (message), ==, "/start");
  g_assert_cmpstr (picky_message_get_contact_name (message), ==, "عمر حداد");
  g_assert_cmpint (picky_message_get_channel_id (message), ==, 7);

  message = find_message (messages, "6012345678:512");
  g_assert_nonnull (message);
  g_assert_cmpint (picky_message_get_op (message), ==, PICKY_MESSAGE_OP_EDIT);
  g_assert_true (g_str_has_suffix (picky_message_get_text (message), "🙏"));

  message = find_message (messages, "7234509876:514");
  g_assert_nonnull (message);
  g_assert_cmpint (picky_message_get_kind (message), ==, PICKY_MESSAGE_KIND_IMAGE);
  g_assert_cmpstr (picky_message_get_text (message), ==, "Reçu de paiement 🧾 – commande 4480");
  /* The largest size is the picture. */
  g_assert_nonnull (strstr (picky_message_get_media (message), "AQADT_pLjHX2JiCL"));

  message = find_message (messages, "-4087654321:515");
  g_assert_nonnull (message);
  g_assert_cmpstr (picky_message_get_contact_provider_id (message), ==, "-4087654321");
  g_assert_cmpstr (picky_message_get_contact_name (message), ==, "Support Crew 🚚");
  g_assert_nonnull (strstr (picky_message_get_media (message), "Jamal Ortiz"));

  message = find_message (messages, "-1002233445566:88");
  g_assert_nonnull (message);
  g_assert_cmpint (picky_message_get_kind (message), ==, PICKY_MESSAGE_KIND_DOCUMENT);
  g_assert_nonnull (strstr (picky_message_get_media (message), "invoice-2026-04.pdf"));
  g_assert_cmpint (picky_message_get_timestamp (message), ==, 1777010240);
}

static void
test_parse_placeholders (void)
{
  const char *json =
    "[{\"update_id\":5,\"message\":{\"message_id\":1,\"chat\":{\"id\":9,\"type\":\"private\",\"first_name\":\"A\"},"
    "\"date\":100,\"sticker\":{\"file_id\":\"S\",\"emoji\":\"\\ud83d\\ude00\"}}},"
    "{\"update_id\":6,\"message\":{\"message_id\":2,\"chat\":{\"id\":9,\"type\":\"private\"},"
    "\"date\":101,\"voice\":{\"file_id\":\"V\",\"duration\":3}}},"
    "{\"update_id\":7,\"message\":{\"message_id\":3,\"chat\":{\"id\":9,\"type\":\"private\"},"
    "\"date\":102,\"location\":{\"latitude\":48.85,\"longitude\":2.35}}},"
    "{\"update_id\":8,\"channel_post\":{\"message_id\":4,\"chat\":{\"id\":-1009,\"type\":\"channel\",\"title\":\"News\"},"
    "\"date\":103,\"text\":\"hi\"}},"
    "{\"update_id\":9,\"poll\":{\"id\":\"x\"}}]";
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  gint64 next_offset = 0;

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  messages = picky_telegram_channel_parse_updates (json_parser_get_root (parser), 1, "telegram",
                                                   &next_offset, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (next_offset, ==, 10);
  g_assert_cmpuint (messages->len, ==, 4);
  g_assert_cmpint (picky_message_get_kind (g_ptr_array_index (messages, 0)), ==, PICKY_MESSAGE_KIND_STICKER);
  g_assert_null (picky_message_get_text (g_ptr_array_index (messages, 0)));
  g_assert_cmpint (picky_message_get_kind (g_ptr_array_index (messages, 1)), ==, PICKY_MESSAGE_KIND_AUDIO);
  g_assert_cmpint (picky_message_get_kind (g_ptr_array_index (messages, 2)), ==, PICKY_MESSAGE_KIND_LOCATION);
  g_assert_nonnull (strstr (picky_message_get_media (g_ptr_array_index (messages, 2)), "48.85"));
  g_assert_cmpstr (picky_message_get_contact_name (g_ptr_array_index (messages, 3)), ==, "News");
}

/* The offset only moves forward, even when an update id has no successor. */
static void
test_parse_largest_id (void)
{
  const char *json = "[{\"update_id\":9223372036854775807,\"poll\":{\"id\":\"x\"}}]";
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  gint64 next_offset = 100;
  guint n_updates = 0;

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  messages = picky_telegram_channel_parse_updates (json_parser_get_root (parser), 1, "telegram",
                                                   &next_offset, &n_updates, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (n_updates, ==, 1);
  g_assert_cmpuint (messages->len, ==, 0);
  g_assert_cmpint (next_offset, >=, 100);
}

static void
test_redact (void)
{
  g_autofree char *url = picky_telegram_channel_redact ("POST https://api.telegram.org/bot" CANARY_TOKEN "/getUpdates failed");
  g_autofree char *bare = picky_telegram_channel_redact ("token " CANARY_TOKEN " is wrong");
  g_autofree char *plain = picky_telegram_channel_redact ("Connection refused");

  g_assert_cmpstr (url, ==, "POST https://api.telegram.org/bot<redacted>/getUpdates failed");
  g_assert_cmpstr (bare, ==, "token <redacted> is wrong");
  g_assert_cmpstr (plain, ==, "Connection refused");
}

static void
test_updates_mixed (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  PickyMessage *edited;

  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 200, "telegram-getupdates-text.wire.json", NULL);
  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 200, "telegram-getupdates-mixed.wire.json", NULL);
  /* Redelivered, as after a crash between storing and the next poll. */
  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 200, "telegram-getupdates-mixed.wire.json", NULL);

  picky_channel_start (fixture->channel);
  g_assert_true (wait_for_requests (fixture, "getUpdates", 4, 10000));
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_ONLINE);

  requests = picky_fake_telegram_dup_requests (fixture->server, "getUpdates");
  g_assert_cmpint (request_offset (g_ptr_array_index (requests, 0)), ==, 0);
  g_assert_cmpint (request_offset (g_ptr_array_index (requests, 1)), ==, 734901202);
  g_assert_cmpint (request_offset (g_ptr_array_index (requests, 2)), ==, 734901209);
  g_assert_cmpint (request_offset (g_ptr_array_index (requests, 3)), ==, 734901209);

  messages = list_messages (fixture);
  g_assert_cmpuint (messages->len, ==, 5);
  g_assert_nonnull (find_message (messages, "5123987654:513"));
  g_assert_nonnull (find_message (messages, "7234509876:514"));
  g_assert_nonnull (find_message (messages, "-4087654321:515"));
  g_assert_nonnull (find_message (messages, "-1002233445566:88"));
  edited = find_message (messages, "6012345678:512");
  g_assert_nonnull (edited);
  g_assert_true (g_str_has_suffix (picky_message_get_text (edited), "🙏"));
  g_assert_cmpint (picky_channel_get_last_message_time (fixture->channel), ==, 1777010240);
}

static void
test_offset_restored (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(PickyChannel) second = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autofree char *settings = NULL;

  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 200, "telegram-getupdates-text.wire.json", NULL);
  picky_channel_start (fixture->channel);
  g_assert_true (wait_for_requests (fixture, "getUpdates", 2, 10000));
  picky_channel_stop (fixture->channel);

  /* A new channel object, as after a restart, starts where the last left off. */
  g_object_get (fixture->channel, "settings", &settings, NULL);
  second = create_channel (fixture, settings);
  picky_channel_start (second);
  g_assert_true (wait_for_requests (fixture, "getUpdates", 3, 10000));
  picky_channel_stop (second);

  requests = picky_fake_telegram_dup_requests (fixture->server, "getUpdates");
  g_assert_cmpint (request_offset (g_ptr_array_index (requests, 2)), ==, 734901202);
}

static void
test_error_429 (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  PickyFakeRequest *first, *second;

  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 429, "telegram-error-429-short.wire.json", "1");
  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 200, "telegram-getupdates-text.wire.json", NULL);

  picky_channel_start (fixture->channel);
  g_assert_true (wait_for_requests (fixture, "getUpdates", 3, 10000));

  requests = picky_fake_telegram_dup_requests (fixture->server, "getUpdates");
  first = g_ptr_array_index (requests, 0);
  second = g_ptr_array_index (requests, 1);
  /* The very same request, after at least retry_after seconds. */
  g_assert_true (g_bytes_equal (first->body, second->body));
  g_assert_cmpint (second->time - first->time, >=, G_USEC_PER_SEC - 20000);
  g_assert_cmpint (request_offset (g_ptr_array_index (requests, 2)), ==, 734901202);

  messages = list_messages (fixture);
  g_assert_cmpuint (messages->len, ==, 1);
  g_assert_nonnull (find_message (messages, "6012345678:512"));
}

static void
test_error_401 (Fixture       *fixture,
                gconstpointer  data)
{
  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 401, "telegram-error-401.wire.json", NULL);

  picky_channel_start (fixture->channel);
  g_assert_true (wait_for_state (fixture, PICKY_CHANNEL_STATE_AUTH_FAILED, 10000));
  g_assert_nonnull (picky_channel_get_last_error (fixture->channel));

  /* No retry loop: nothing more reaches the server. */
  picky_test_spin (1500);
  g_assert_cmpuint (picky_fake_telegram_count (fixture->server, "getUpdates"), ==, 1);
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_AUTH_FAILED);
}

static void
test_error_409 (Fixture       *fixture,
                gconstpointer  data)
{
  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 409, "telegram-error-409-conflict.wire.json", NULL);

  picky_channel_start (fixture->channel);
  g_assert_true (wait_for_state (fixture, PICKY_CHANNEL_STATE_BACKING_OFF, 10000));
  g_assert_nonnull (picky_channel_get_last_error (fixture->channel));
  g_assert_nonnull (strstr (picky_channel_get_last_error (fixture->channel), "Another program"));

  /* After the pause it polls again and recovers. */
  g_assert_true (wait_for_state (fixture, PICKY_CHANNEL_STATE_ONLINE, 10000));
  g_assert_null (picky_channel_get_last_error (fixture->channel));
  g_assert_cmpuint (picky_fake_telegram_count (fixture->server, "getUpdates"), >=, 2);
}

static void
test_error_network (Fixture       *fixture,
                    gconstpointer  data)
{
  guint before;

  picky_fake_telegram_set_listening (fixture->server, FALSE);
  picky_channel_start (fixture->channel);
  g_assert_true (wait_for_state (fixture, PICKY_CHANNEL_STATE_BACKING_OFF, 10000));
  g_assert_nonnull (picky_channel_get_last_error (fixture->channel));
  before = picky_fake_telegram_count (fixture->server, "getUpdates");
  g_assert_cmpuint (before, ==, 0);

  picky_fake_telegram_set_listening (fixture->server, TRUE);
  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 200, "telegram-getupdates-text.wire.json", NULL);
  g_assert_true (wait_for_requests (fixture, "getUpdates", 2, 10000));
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_ONLINE);
  g_assert_null (picky_channel_get_last_error (fixture->channel));
}

static void
test_send_migrate (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(PickyMessage) reply = picky_message_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(JsonParser) first_parser = json_parser_new ();
  g_autoptr(JsonParser) second_parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  JsonObject *first, *second;

  picky_fake_telegram_queue_sample (fixture->server, "sendMessage", 400, "telegram-error-400-migrated.wire.json", NULL);
  picky_fake_telegram_queue_sample (fixture->server, "sendMessage", 200, "telegram-sendmessage-response.wire.json", NULL);

  picky_message_set_direction (reply, PICKY_DIRECTION_OUT);
  picky_message_set_contact_provider_id (reply, "-4087654321");
  picky_message_set_text (reply, "आपका ऑर्डर #4471 रास्ते में है 🚚");
  picky_channel_send_async (fixture->channel, reply, NULL, picky_test_got_result_cb, &result);
  key = picky_channel_send_finish (fixture->channel, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (key, ":517"));

  requests = picky_fake_telegram_dup_requests (fixture->server, "sendMessage");
  g_assert_cmpuint (requests->len, ==, 2);
  first = parse_body (g_ptr_array_index (requests, 0), first_parser);
  second = parse_body (g_ptr_array_index (requests, 1), second_parser);
  g_assert_cmpint (json_object_get_int_member (first, "chat_id"), ==, -4087654321);
  g_assert_cmpint (json_object_get_int_member (second, "chat_id"), ==, -1003344556677);
  g_assert_cmpstr (json_object_get_string_member (second, "text"), ==, "आपका ऑर्डर #4471 रास्ते में है 🚚");
}

typedef struct
{
  guint n_done;
  guint n_failed;
} SendCount;

static void
on_paced_sent_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  SendCount *count = user_data;
  g_autofree char *key = picky_channel_send_finish (PICKY_CHANNEL (object), result, NULL);

  count->n_done++;
  if (key == NULL)
    count->n_failed++;
}

static gboolean
all_sent (gpointer data)
{
  SendCount *count = data;

  return count->n_done == 25;
}

/* One message a second to a chat and twenty a minute to a group (the
 * channel's waits are scaled down a hundredfold here): replies queued at
 * once go out spaced, never bunched. */
static void
test_send_pacing (Fixture       *fixture,
                  gconstpointer  data)
{
  const gint64 interval = 1000 * 1000 / 100;
  const gint64 minute = 60 * 1000 * 1000 / 100;
  SendCount count = { 0, };
  g_autoptr(GPtrArray) requests = NULL;
  GArray *private_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *group_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 started;

  for (guint i = 0; i < 25; i++)
    picky_fake_telegram_queue_sample (fixture->server, "sendMessage", 200,
                                      "telegram-sendmessage-response.wire.json", NULL);

  started = g_get_monotonic_time ();
  for (guint i = 0; i < 25; i++)
    {
      g_autoptr(PickyMessage) reply = picky_message_new ();

      picky_message_set_direction (reply, PICKY_DIRECTION_OUT);
      picky_message_set_contact_provider_id (reply, i < 4 ? "6012345678" : "-4087654321");
      picky_message_set_text (reply, "Thank you");
      picky_channel_send_async (fixture->channel, reply, NULL, on_paced_sent_cb, &count);
    }
  g_assert_true (picky_test_wait_until (all_sent, &count, 20000));
  g_assert_cmpuint (count.n_failed, ==, 0);

  requests = picky_fake_telegram_dup_requests (fixture->server, "sendMessage");
  g_assert_cmpuint (requests->len, ==, 25);
  for (guint i = 0; i < requests->len; i++)
    {
      PickyFakeRequest *request = g_ptr_array_index (requests, i);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *body = parse_body (request, parser);

      if (json_object_get_int_member (body, "chat_id") == 6012345678)
        g_array_append_val (private_times, request->time);
      else
        g_array_append_val (group_times, request->time);
    }
  g_assert_cmpuint (private_times->len, ==, 4);
  g_assert_cmpuint (group_times->len, ==, 21);

  /* All were queued at once, so the k-th to a chat cannot go before k
   * intervals have passed, nor the 21st to the group before a minute. */
  for (guint i = 0; i < private_times->len; i++)
    g_assert_cmpint (g_array_index (private_times, gint64, i) - started, >=, i * interval);
  for (guint i = 0; i < group_times->len; i++)
    g_assert_cmpint (g_array_index (group_times, gint64, i) - started, >=, i * interval);
  g_assert_cmpint (g_array_index (group_times, gint64, 20) - started, >=, minute);

  g_array_unref (private_times);
  g_array_unref (group_times);
}

static void
test_send_push_off (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(PickyMessage) reply = picky_message_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;

  picky_access_set_push (fixture->access, "telegram", FALSE);
  picky_message_set_contact_provider_id (reply, "6012345678");
  picky_message_set_text (reply, "hello");
  picky_channel_send_async (fixture->channel, reply, NULL, picky_test_got_result_cb, &result);
  key = picky_channel_send_finish (fixture->channel, picky_test_wait_result (&result), &error);

  g_assert_error (error, PICKY_ACCESS_ERROR, PICKY_ACCESS_ERROR_PUSH_OFF);
  g_assert_null (key);
  picky_test_spin (200);
  g_assert_cmpuint (picky_fake_telegram_count (fixture->server, NULL), ==, 0);
}

static void
test_read_off (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *json = NULL;
  guint before;
  gint64 sent_at;

  picky_channel_start (fixture->channel);
  g_assert_true (wait_for_requests (fixture, "getUpdates", 1, 10000));
  g_assert_true (wait_for_state (fixture, PICKY_CHANNEL_STATE_ONLINE, 10000));

  picky_access_set_read (fixture->access, "telegram", FALSE);
  g_assert_cmpint (picky_channel_get_state (fixture->channel), ==, PICKY_CHANNEL_STATE_DISABLED);
  before = picky_fake_telegram_count (fixture->server, "getUpdates");
  sent_at = g_get_real_time () / G_USEC_PER_SEC;

  /* A customer writes while reading is off. */
  json = g_strdup_printf ("{\"ok\":true,\"result\":[{\"update_id\":734901300,\"message\":{\"message_id\":600,"
                          "\"from\":{\"id\":6012345678,\"is_bot\":false,\"first_name\":\"Priya\"},"
                          "\"chat\":{\"id\":6012345678,\"first_name\":\"Priya\",\"type\":\"private\"},"
                          "\"date\":%" G_GINT64_FORMAT ",\"text\":\"sent while reading was off\"}}]}",
                          sent_at);
  body = g_bytes_new (json, strlen (json));
  picky_fake_telegram_queue (fixture->server, "getUpdates", 200, body, NULL);

  picky_test_spin (1200);
  g_assert_cmpuint (picky_fake_telegram_count (fixture->server, "getUpdates"), ==, before);

  picky_access_set_read (fixture->access, "telegram", TRUE);
  g_assert_true (wait_for_requests (fixture, "getUpdates", before + 2, 10000));

  /* Confirmed past, counted, never stored. */
  requests = picky_fake_telegram_dup_requests (fixture->server, "getUpdates");
  g_assert_cmpint (request_offset (g_ptr_array_index (requests, before + 1)), ==, 734901301);
  messages = list_messages (fixture);
  g_assert_null (find_message (messages, "6012345678:600"));
  g_assert_cmpuint (messages->len, ==, 0);
  g_assert_cmpuint (picky_access_get_dropped (fixture->access, "telegram"), ==, 1);
}

static void
test_registry_load (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(PickyChannelRegistry) registry = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyChannel) channel = NULL;
  GListModel *channels;

  registry = picky_channel_registry_new (fixture->store, fixture->vault, fixture->access);
  g_assert_true (picky_channel_registry_has_kind (registry, "telegram"));

  picky_channel_registry_load_async (registry, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_channel_registry_load_finish (registry, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);

  channels = picky_channel_registry_get_channels (registry);
  g_assert_cmpuint (g_list_model_get_n_items (channels), ==, 1);
  channel = g_list_model_get_item (channels, 0);
  g_assert_true (PICKY_IS_TELEGRAM_CHANNEL (channel));
  g_assert_cmpint (picky_channel_get_id (channel), ==, fixture->channel_id);
  g_assert_cmpstr (picky_channel_get_name (channel), ==, "Acme Support");
  g_assert_true (picky_channel_registry_lookup (registry, fixture->channel_id) == channel);

  picky_channel_registry_start_all (registry);
  g_assert_true (wait_for_requests (fixture, "getUpdates", 1, 10000));
  picky_channel_registry_stop_all (registry);
  g_assert_cmpint (picky_channel_get_state (channel), ==, PICKY_CHANNEL_STATE_STOPPED);
}

static gboolean
file_holds (const char *path,
            const char *needle)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &data, &length, NULL))
    return FALSE;

  return memmem (data, length, needle, strlen (needle)) != NULL;
}

static guint
count_files_holding (const char *dir_path,
                     const char *needle)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint found = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir_path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        found += count_files_holding (child, needle);
      else if (g_file_test (child, G_FILE_TEST_IS_REGULAR) && file_holds (child, needle))
        {
          g_test_message ("canary found in %s", child);
          found++;
        }
    }

  return found;
}

/* Runs the paths that log most — network errors, auth failure, conflict, a
 * bad API address — and then looks for the token everywhere it could leak. */
static void
test_token_canary (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(PickyChannel) bad = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  const char *dirs[] = {
    g_get_user_data_dir (), g_get_user_config_dir (), g_get_user_cache_dir (),
    g_get_user_state_dir (), g_get_user_runtime_dir (), fixture->tmpdir,
  };

  picky_fake_telegram_set_listening (fixture->server, FALSE);
  picky_channel_start (fixture->channel);
  g_assert_true (wait_for_state (fixture, PICKY_CHANNEL_STATE_BACKING_OFF, 10000));
  picky_fake_telegram_set_listening (fixture->server, TRUE);
  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 409, "telegram-error-409-conflict.wire.json", NULL);
  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 401, "telegram-error-401.wire.json", NULL);
  g_assert_true (wait_for_state (fixture, PICKY_CHANNEL_STATE_AUTH_FAILED, 10000));
  g_assert_null (strstr (picky_channel_get_last_error (fixture->channel), CANARY_TOKEN));

  /* A broken address fails in GLib's URI parser, whose errors may quote the URL. */
  bad = create_channel (fixture, "{\"api_base\":\"http://[127.0.0.1\"}");
  picky_channel_test_connection_async (bad, NULL, picky_test_got_result_cb, &result);
  name = picky_channel_test_connection_finish (bad, picky_test_wait_result (&result), &error);
  g_assert_null (name);
  g_assert_nonnull (error);
  g_assert_null (strstr (error->message, CANARY_TOKEN));
  g_assert_null (strstr (error->message, "AAcanary"));

  g_mutex_lock (&log_lock);
  g_assert_cmpuint (log_text->len, >, 0);
  g_assert_null (strstr (log_text->str, CANARY_TOKEN));
  g_assert_null (strstr (log_text->str, "AAcanary"));
  g_mutex_unlock (&log_lock);

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    g_assert_cmpuint (count_files_holding (dirs[i], "AAcanary"), ==, 0);
}

static void
test_connection (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *me = "{\"ok\":true,\"result\":{\"id\":7001234567,\"is_bot\":true,"
                   "\"first_name\":\"Acme Support\",\"username\":\"acme_support_bot\"}}";
  g_autoptr(GBytes) body = g_bytes_new_static (me, strlen (me));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *said = NULL;

  /* The kind says it can test, and the test names the bot. */
  g_assert_true (picky_channel_class_can_test_connection (PICKY_TYPE_TELEGRAM_CHANNEL));
  picky_fake_telegram_queue (fixture->server, "getMe", 200, body, NULL);
  picky_channel_test_connection_async (fixture->channel, NULL, picky_test_got_result_cb, &result);
  said = picky_channel_test_connection_finish (fixture->channel, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (said, ==, "Connected to Acme Support (@acme_support_bot)");

  /* The token travels in the path, as the Bot API wants. */
  requests = picky_fake_telegram_dup_requests (fixture->server, "getMe");
  g_assert_cmpuint (requests->len, ==, 1);
  g_assert_cmpstr (((PickyFakeRequest *) g_ptr_array_index (requests, 0))->path, ==,
                   "/bot" CANARY_TOKEN "/getMe");
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  log_text = g_string_new (NULL);
  g_log_set_writer_func (capture_log_writer, NULL, NULL);
  g_log_set_debug_enabled (TRUE);

  g_test_add_func ("/picky/telegram/parse/mixed", test_parse_mixed);
  g_test_add_func ("/picky/telegram/parse/placeholders", test_parse_placeholders);
  g_test_add_func ("/picky/telegram/parse/largest-id", test_parse_largest_id);
  g_test_add_func ("/picky/telegram/redact", test_redact);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/picky/telegram/updates/mixed", test_updates_mixed);
  ADD ("/picky/telegram/updates/offset-restored", test_offset_restored);
  ADD ("/picky/telegram/errors/429", test_error_429);
  ADD ("/picky/telegram/errors/401", test_error_401);
  ADD ("/picky/telegram/errors/409", test_error_409);
  ADD ("/picky/telegram/errors/network", test_error_network);
  ADD ("/picky/telegram/send/migrate", test_send_migrate);
  ADD ("/picky/telegram/send/push-off", test_send_push_off);
  ADD ("/picky/telegram/send/pacing", test_send_pacing);
  ADD ("/picky/telegram/access/read-off", test_read_off);
  ADD ("/picky/telegram/registry/load", test_registry_load);
  ADD ("/picky/telegram/connection", test_connection);
  /* Last, so that it sees the log of every test before it. */
  ADD ("/picky/telegram/token/canary", test_token_canary);
#undef ADD

  return g_test_run ();
}
