/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of phone relay devices over real HTTP on 127.0.0.1: pairing, trust, notifications, outbox. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "picky-access.h"
#include "picky-outbox.h"
#include "picky-relay-channel.h"
#include "picky-store.h"
#include "picky-webhook-server.h"
#include "picky-test-util.h"

#define CANARY_MAKE "CanaryMakeQx7"
#define CANARY_MODEL "CanaryModelZ9"
#define CANARY_PHONE "+49 151 7777 3141"
#define WHATSAPP "com.whatsapp"
#define TELEGRAM "org.telegram.messenger"

typedef struct
{
  char                 *tmpdir;
  char                 *path;
  PickyStore           *store;
  GSettings            *settings;
  PickyAccess          *access;
  PickyWebhookServer   *server;
  PickyChannelRegistry *registry;
  PickyOutbox          *outbox;
  SoupSession          *session;
  gint64                whatsapp_id;
} Fixture;

typedef struct
{
  guint     status;
  JsonNode *root;
} Answer;

static void
answer_clear (Answer *answer)
{
  g_clear_pointer (&answer->root, json_node_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Answer, answer_clear)

/* One HTTP exchange through libsoup's async API, so the listener on the
 * same main context keeps serving while the client waits. */
static void
start_request (Fixture       *fixture,
               const char    *method,
               const char    *path,
               const char    *token,
               const char    *body,
               GAsyncResult **result)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s",
                                          picky_webhook_server_get_port (fixture->server), path);
  g_autoptr(SoupMessage) message = soup_message_new (method, uri);

  if (token != NULL)
    {
      g_autofree char *header = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", header);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }

  soup_session_send_and_read_async (fixture->session, message, G_PRIORITY_DEFAULT, NULL,
                                    picky_test_got_result_cb, result);
}

static Answer
finish_request (Fixture      *fixture,
                GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  SoupMessage *message = soup_session_get_async_result_message (fixture->session, result);
  Answer answer = { 0, NULL };

  bytes = soup_session_send_and_read_finish (fixture->session, result, &error);
  g_assert_no_error (error);
  answer.status = soup_message_get_status (message);
  if (g_bytes_get_size (bytes) > 0 &&
      json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL))
    answer.root = json_node_ref (json_parser_get_root (parser));

  return answer;
}

static Answer
request (Fixture    *fixture,
         const char *method,
         const char *path,
         const char *token,
         const char *body)
{
  g_autoptr(GAsyncResult) result = NULL;

  start_request (fixture, method, path, token, body, &result);
  return finish_request (fixture, picky_test_wait_result (&result));
}

static gint64
member_int (Answer     *answer,
            const char *name)
{
  g_assert_nonnull (answer->root);
  return json_object_get_int_member (json_node_get_object (answer->root), name);
}

static const char *
member_string (Answer     *answer,
               const char *name)
{
  g_assert_nonnull (answer->root);
  return json_object_get_string_member (json_node_get_object (answer->root), name);
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

static gint64
add_channel (Fixture    *fixture,
             const char *app)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  picky_store_add_channel_async (fixture->store, app, "relay", "Phones", "{}", NULL, picky_test_got_result_cb, &result);
  id = picky_store_add_channel_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return id;
}

static void
add_pairing_code (Fixture    *fixture,
                  const char *code,
                  gint64      expires)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_store_add_pairing_code_async (fixture->store, code, expires, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_add_pairing_code_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
set_device_state (Fixture          *fixture,
                  gint64            id,
                  PickyDeviceState  state)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_store_set_device_state_async (fixture->store, id, state, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_set_device_state_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
}

/* Registers a phone; returns its token and sets @device_id and @state. */
static char *
register_phone (Fixture     *fixture,
                const char  *code,
                gint64      *device_id,
                char       **state)
{
  g_autofree char *body = NULL;
  g_auto(Answer) answer = { 0, NULL };

  if (code != NULL)
    body = g_strdup_printf ("{\"pairing_code\": \"%s\", \"make\": \"" CANARY_MAKE "\","
                            " \"model\": \"" CANARY_MODEL "\", \"os\": \"Android 14\","
                            " \"phone_number\": \"" CANARY_PHONE "\"}", code);
  else
    body = g_strdup ("{\"make\": \"" CANARY_MAKE "\", \"model\": \"" CANARY_MODEL "\","
                     " \"os\": \"Android 14\", \"phone_number\": \"" CANARY_PHONE "\"}");

  answer = request (fixture, "POST", "/relay/v1/register", NULL, body);
  g_assert_cmpuint (answer.status, ==, SOUP_STATUS_CREATED);
  *device_id = member_int (&answer, "device_id");
  if (state != NULL)
    *state = g_strdup (member_string (&answer, "state"));

  return g_strdup (member_string (&answer, "token"));
}

static char *
register_trusted (Fixture *fixture,
                  gint64  *device_id)
{
  g_autofree char *code = picky_relay_channel_generate_pairing_code ();
  g_autofree char *state = NULL;
  char *token;

  add_pairing_code (fixture, code, g_get_real_time () / G_USEC_PER_SEC + 600);
  token = register_phone (fixture, code, device_id, &state);
  g_assert_cmpstr (state, ==, "trusted");

  return token;
}

static char *
notification (const char *key,
              const char *package,
              const char *conversation,
              const char *text)
{
  return g_strdup_printf ("{\"key\": \"%s\", \"package\": \"%s\", \"sender\": \"%s\","
                          " \"conversation\": \"%s\", \"text\": \"%s\","
                          " \"posted\": 1700000000000, \"group\": false}",
                          key, package, conversation, conversation, text);
}

static Answer
post_notifications (Fixture    *fixture,
                    const char *token,
                    const char *items)
{
  g_autofree char *body = g_strdup_printf ("{\"notifications\": [%s]}", items);

  return request (fixture, "POST", "/relay/v1/notifications", token, body);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = picky_cipher_generate_key ();
  g_autoptr(PickyCipher) cipher = picky_cipher_new (key, &error);

  g_assert_no_error (error);
  fixture->tmpdir = g_dir_make_tmp ("picky-relay-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->tmpdir, "console.db", NULL);

  picky_store_open_async (fixture->path, cipher, NULL, picky_test_got_result_cb, &result);
  fixture->store = picky_store_open_finish (picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  fixture->settings = g_settings_new (APPLICATION_ID);
  fixture->access = picky_access_new (fixture->settings);
  fixture->server = picky_webhook_server_new ();
  g_assert_true (picky_webhook_server_start (fixture->server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);

  fixture->whatsapp_id = add_channel (fixture, "whatsapp");
  add_channel (fixture, "telegram");

  fixture->registry = picky_channel_registry_new (fixture->store, NULL, fixture->access);
  picky_channel_registry_set_webhook_server (fixture->registry, fixture->server);
  picky_channel_registry_load_async (fixture->registry, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_channel_registry_load_finish (fixture->registry, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  picky_channel_registry_start_all (fixture->registry);
  g_assert_true (picky_webhook_server_has_route (fixture->server, PICKY_RELAY_PATH));

  fixture->outbox = picky_outbox_new (fixture->store, fixture->registry);
  fixture->session = soup_session_new_with_options ("timeout", 30, NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->session);
  g_clear_object (&fixture->outbox);
  picky_channel_registry_stop_all (fixture->registry);
  g_assert_false (picky_webhook_server_has_route (fixture->server, PICKY_RELAY_PATH));
  g_clear_object (&fixture->registry);
  picky_webhook_server_stop (fixture->server);
  g_clear_object (&fixture->server);
  g_clear_object (&fixture->access);
  g_settings_reset (fixture->settings, "read-disabled-apps");
  g_settings_reset (fixture->settings, "push-disabled-apps");
  g_clear_object (&fixture->settings);
  picky_store_close (fixture->store);
  g_clear_object (&fixture->store);
  g_free (fixture->path);
  g_free (fixture->tmpdir);
}

/* ---- Pairing ---- */

static void
test_pairing_code (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *code = picky_relay_channel_generate_pairing_code ();
  g_autofree char *typed = g_ascii_strdown (code, -1);
  g_autofree char *token = NULL;
  g_autofree char *second_token = NULL;
  g_autofree char *late_token = NULL;
  g_autofree char *state = NULL;
  g_autofree char *second_state = NULL;
  g_autofree char *late_state = NULL;
  gint64 id = 0, second = 0, late = 0;

  g_assert_cmpuint (strlen (code), ==, 9);
  add_pairing_code (fixture, code, g_get_real_time () / G_USEC_PER_SEC + 600);

  /* Case does not count; the code is used up by the first phone. */
  token = register_phone (fixture, typed, &id, &state);
  g_assert_cmpstr (state, ==, "trusted");
  g_assert_cmpuint (strlen (token), ==, 43);
  g_assert_null (strpbrk (token, "+/="));

  second_token = register_phone (fixture, code, &second, &second_state);
  g_assert_cmpstr (second_state, ==, "pending");
  g_assert_cmpint (second, !=, id);
  g_assert_cmpstr (second_token, !=, token);

  /* An expired code pairs nothing. */
  add_pairing_code (fixture, "EXPD-CODE", g_get_real_time () / G_USEC_PER_SEC - 1);
  late_token = register_phone (fixture, "EXPD-CODE", &late, &late_state);
  g_assert_cmpstr (late_state, ==, "pending");
}

static void
test_pairing_pending (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *token = NULL;
  g_autofree char *state = NULL;
  g_autofree char *item = notification ("n-1", WHATSAPP, "Anna", "Hallo");
  g_auto(Answer) refused = { 0, NULL };
  g_auto(Answer) outbox = { 0, NULL };
  g_auto(Answer) accepted = { 0, NULL };
  gint64 id = 0;

  token = register_phone (fixture, NULL, &id, &state);
  g_assert_cmpstr (state, ==, "pending");

  refused = post_notifications (fixture, token, item);
  g_assert_cmpuint (refused.status, ==, SOUP_STATUS_FORBIDDEN);
  g_assert_cmpstr (member_string (&refused, "error"), ==, "pending");
  g_assert_cmpint (count_messages (fixture), ==, 0);
  outbox = request (fixture, "GET", "/relay/v1/outbox", token, NULL);
  g_assert_cmpuint (outbox.status, ==, SOUP_STATUS_FORBIDDEN);

  set_device_state (fixture, id, PICKY_DEVICE_STATE_TRUSTED);
  accepted = post_notifications (fixture, token, item);
  g_assert_cmpuint (accepted.status, ==, SOUP_STATUS_OK);
  g_assert_cmpint (member_int (&accepted, "new"), ==, 1);
  g_assert_cmpint (count_messages (fixture), ==, 1);
}

/* Phones without a code may only queue up so far; a code still pairs. */
static void
test_pending_limit (Fixture       *fixture,
                    gconstpointer  data)
{
  const char *body = "{\"make\": \"Flood\", \"model\": \"X\"}";
  g_auto(Answer) refused = { 0, NULL };
  g_autofree char *token = NULL;
  gint64 id = 0;

  for (guint i = 0; i < PICKY_STORE_MAX_PENDING_DEVICES; i++)
    {
      g_auto(Answer) answer = request (fixture, "POST", "/relay/v1/register", NULL, body);

      g_assert_cmpuint (answer.status, ==, SOUP_STATUS_CREATED);
    }

  refused = request (fixture, "POST", "/relay/v1/register", NULL, body);
  g_assert_cmpuint (refused.status, ==, 429);
  g_assert_cmpstr (member_string (&refused, "error"), ==, "too-many-pending");

  token = register_trusted (fixture, &id);
  g_assert_cmpint (id, ==, PICKY_STORE_MAX_PENDING_DEVICES + 1);
}

static void
test_revoke (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *token = NULL;
  g_autofree char *first = notification ("n-1", WHATSAPP, "Anna", "Hallo");
  g_autofree char *second = notification ("n-2", WHATSAPP, "Anna", "Noch da?");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Answer) before = { 0, NULL };
  g_auto(Answer) after = { 0, NULL };
  g_auto(Answer) outbox = { 0, NULL };
  gint64 id = 0;

  token = register_trusted (fixture, &id);
  before = post_notifications (fixture, token, first);
  g_assert_cmpuint (before.status, ==, SOUP_STATUS_OK);
  g_assert_cmpint (count_messages (fixture), ==, 1);

  set_device_state (fixture, id, PICKY_DEVICE_STATE_REVOKED);
  after = post_notifications (fixture, token, second);
  g_assert_cmpuint (after.status, ==, SOUP_STATUS_FORBIDDEN);
  g_assert_cmpstr (member_string (&after, "error"), ==, "revoked");
  g_assert_cmpint (count_messages (fixture), ==, 1);
  outbox = request (fixture, "GET", "/relay/v1/outbox", token, NULL);
  g_assert_cmpuint (outbox.status, ==, SOUP_STATUS_FORBIDDEN);

  /* Revoked stays revoked: trusting it again is refused. */
  picky_store_set_device_state_async (fixture->store, id, PICKY_DEVICE_STATE_TRUSTED, NULL, picky_test_got_result_cb, &result);
  g_assert_false (picky_store_set_device_state_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND);
  g_clear_object (&result);

  picky_store_list_devices_async (fixture->store, NULL, picky_test_got_result_cb, &result);
  devices = picky_store_list_devices_finish (fixture->store, picky_test_wait_result (&result), NULL);
  g_assert_cmpuint (devices->len, ==, 1);
  g_assert_cmpint (((PickyDevice *) devices->pdata[0])->state, ==, PICKY_DEVICE_STATE_REVOKED);
  g_assert_cmpstr (((PickyDevice *) devices->pdata[0])->make, ==, CANARY_MAKE);
  g_assert_cmpstr (((PickyDevice *) devices->pdata[0])->phone, ==, CANARY_PHONE);
}

static void
test_unknown_token (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *item = notification ("n-1", WHATSAPP, "Anna", "Hallo");
  g_autofree char *forged = picky_relay_channel_generate_token ();
  g_auto(Answer) none = { 0, NULL };
  g_auto(Answer) wrong = { 0, NULL };
  g_auto(Answer) malformed = { 0, NULL };
  g_auto(Answer) wrong_method = { 0, NULL };
  g_autoptr(GString) deep = g_string_new ("{\"notifications\": ");
  g_auto(Answer) too_deep = { 0, NULL };
  g_autofree char *token = NULL;
  gint64 id = 0;

  none = post_notifications (fixture, NULL, item);
  g_assert_cmpuint (none.status, ==, SOUP_STATUS_UNAUTHORIZED);
  wrong = post_notifications (fixture, forged, item);
  g_assert_cmpuint (wrong.status, ==, SOUP_STATUS_UNAUTHORIZED);

  token = register_trusted (fixture, &id);
  malformed = request (fixture, "POST", "/relay/v1/notifications", token, "{\"notifications\": [{\"key\": 1}]}");
  g_assert_cmpuint (malformed.status, ==, SOUP_STATUS_BAD_REQUEST);
  wrong_method = request (fixture, "GET", "/relay/v1/notifications", token, NULL);
  g_assert_cmpuint (wrong_method.status, ==, SOUP_STATUS_METHOD_NOT_ALLOWED);

  for (guint i = 0; i < 10000; i++)
    g_string_append_c (deep, '[');
  too_deep = request (fixture, "POST", "/relay/v1/notifications", token, deep->str);
  g_assert_cmpuint (too_deep.status, ==, SOUP_STATUS_BAD_REQUEST);
  g_assert_cmpint (count_messages (fixture), ==, 0);
}

/* Bodies that hide their nesting from a scan that does not follow JSON's
 * grammar; no credentials are needed to send them, so they are refused
 * before anyone is known, and the listener keeps serving. */
static void
test_hostile_nesting (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *openers[] = { "{\"a\":/*\"*/", "\"" };
  const char *paths[] = { "/relay/v1/register", "/relay/v1/notifications" };
  g_autofree char *token = NULL;
  gint64 id = 0;

  for (guint p = 0; p < G_N_ELEMENTS (paths); p++)
    for (guint k = 0; k < G_N_ELEMENTS (openers); k++)
      {
        g_autoptr(GString) text = g_string_new (openers[k]);
        g_auto(Answer) answer = { 0, NULL };

        for (guint i = 0; i < 200000; i++)
          g_string_append_c (text, '[');
        answer = request (fixture, "POST", paths[p], NULL, text->str);
        g_assert_cmpuint (answer.status, >=, 400);
        g_assert_cmpuint (answer.status, <, 500);
      }

  token = register_trusted (fixture, &id);
  g_assert_nonnull (token);
}

/* ---- Notifications ---- */

static void
test_notifications_duplicate (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *token = NULL;
  g_autofree char *first = notification ("0|com.whatsapp|7|anna", WHATSAPP, "Anna", "Wo ist mein Paket?");
  g_autofree char *group = g_strdup ("{\"key\": \"0|com.whatsapp|9|team\", \"package\": \"com.whatsapp\","
                                     " \"sender\": \"Ben\", \"conversation\": \"Team\", \"text\": \"Morgen?\","
                                     " \"posted\": 1700000060000, \"group\": true}");
  g_autofree char *both = g_strconcat (first, ", ", first, ", ", group, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  PickyPageQuery query = { .direction = -1, .limit = 10 };
  g_auto(Answer) once = { 0, NULL };
  g_auto(Answer) again = { 0, NULL };
  g_autofree char *expected_contact = NULL;
  gint64 id = 0;

  token = register_trusted (fixture, &id);
  once = post_notifications (fixture, token, both);
  g_assert_cmpuint (once.status, ==, SOUP_STATUS_OK);
  g_assert_cmpint (member_int (&once, "new"), ==, 2);
  g_assert_cmpint (member_int (&once, "duplicate"), ==, 1);
  g_assert_cmpint (member_int (&once, "dropped"), ==, 0);

  again = post_notifications (fixture, token, first);
  g_assert_cmpint (member_int (&again, "new"), ==, 0);
  g_assert_cmpint (member_int (&again, "duplicate"), ==, 1);
  g_assert_cmpint (count_messages (fixture), ==, 2);

  picky_store_list_messages_async (fixture->store, &query, NULL, picky_test_got_result_cb, &result);
  page = picky_store_list_messages_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 2);
  /* Newest first: the group message as written, its sender in the media
   * details. */
  g_assert_cmpstr (picky_message_get_text (page->pdata[0]), ==, "Morgen?");
  g_assert_cmpstr (picky_message_get_media (page->pdata[0]), ==, "{\"from\":{\"name\":\"Ben\"}}");
  g_assert_null (picky_message_get_media (page->pdata[1]));
  g_assert_cmpstr (picky_message_get_text (page->pdata[1]), ==, "Wo ist mein Paket?");
  g_assert_cmpstr (picky_message_get_app (page->pdata[1]), ==, "whatsapp");
  g_assert_cmpint (picky_message_get_timestamp (page->pdata[1]), ==, 1700000000);
  g_assert_cmpstr (picky_message_get_contact_name (page->pdata[1]), ==, "Anna");
  expected_contact = picky_relay_channel_make_contact_id (id, "Anna");
  g_assert_cmpstr (picky_message_get_contact_provider_id (page->pdata[1]), ==, expected_contact);
}

static void
test_notifications_read_off (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *token = NULL;
  g_autofree char *whatsapp = notification ("w-1", WHATSAPP, "Anna", "Hallo");
  g_autofree char *telegram = notification ("t-1", TELEGRAM, "Carl", "Hi");
  g_autofree char *unknown = notification ("u-1", "com.example.chat", "Dora", "Hey");
  g_autofree char *items = g_strconcat (whatsapp, ", ", telegram, ", ", unknown, NULL);
  PickyChannel *channel = picky_channel_registry_lookup (fixture->registry, fixture->whatsapp_id);
  g_auto(Answer) answer = { 0, NULL };
  gint64 id = 0;

  token = register_trusted (fixture, &id);
  picky_access_set_read (fixture->access, "whatsapp", FALSE);
  g_assert_cmpint (picky_channel_get_state (channel), ==, PICKY_CHANNEL_STATE_DISABLED);

  answer = post_notifications (fixture, token, items);
  g_assert_cmpuint (answer.status, ==, SOUP_STATUS_OK);
  g_assert_cmpint (member_int (&answer, "new"), ==, 1);
  g_assert_cmpint (member_int (&answer, "duplicate"), ==, 0);
  g_assert_cmpint (member_int (&answer, "dropped"), ==, 2);
  g_assert_cmpint (count_messages (fixture), ==, 1);
  g_assert_cmpuint (picky_access_get_dropped (fixture->access, "whatsapp"), ==, 1);
  g_assert_cmpuint (picky_access_get_dropped (fixture->access, "telegram"), ==, 0);
  g_assert_cmpuint (picky_relay_channel_get_n_unsupported (PICKY_RELAY_CHANNEL (channel)), ==, 1);
  picky_access_reset_dropped (fixture->access, "whatsapp");
}

/* ---- Outbox ---- */

static void
send_reply (Fixture       *fixture,
            const char    *contact_id,
            const char    *text,
            GAsyncResult **result)
{
  picky_outbox_send_async (fixture->outbox, fixture->whatsapp_id, contact_id, text, NULL, picky_test_got_result_cb, result);
}

static gboolean
poll_for_one (Fixture    *fixture,
              const char *token,
              gint64     *reply_id,
              const char *text)
{
  g_auto(Answer) answer = request (fixture, "GET", "/relay/v1/outbox?wait=0", token, NULL);
  JsonArray *replies;

  g_assert_cmpuint (answer.status, ==, SOUP_STATUS_OK);
  replies = json_object_get_array_member (json_node_get_object (answer.root), "replies");
  if (json_array_get_length (replies) == 0)
    return FALSE;

  g_assert_cmpuint (json_array_get_length (replies), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (replies, 0), "text"), ==, text);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (replies, 0), "conversation"), ==, "Anna");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (replies, 0), "package"), ==, WHATSAPP);
  *reply_id = json_object_get_int_member (json_array_get_object_element (replies, 0), "id");

  return TRUE;
}

static void
test_outbox_push_on (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *token = NULL;
  g_autofree char *contact = NULL;
  g_autofree char *item = notification ("n-1", WHATSAPP, "Anna", "Hallo");
  g_autofree char *ack = NULL;
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(GAsyncResult) polled = NULL;
  g_autoptr(PickyMessage) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Answer) posted = { 0, NULL };
  g_auto(Answer) long_poll = { 0, NULL };
  g_auto(Answer) acked = { 0, NULL };
  g_auto(Answer) acked_again = { 0, NULL };
  gint64 id = 0, reply = 0, again = 0;
  gint64 started;

  token = register_trusted (fixture, &id);
  posted = post_notifications (fixture, token, item);
  g_assert_cmpuint (posted.status, ==, SOUP_STATUS_OK);
  contact = picky_relay_channel_make_contact_id (id, "Anna");

  /* A poll that waits is answered as soon as a reply arrives. */
  started = g_get_monotonic_time ();
  start_request (fixture, "GET", "/relay/v1/outbox?wait=20", token, NULL, &polled);
  /* Long enough for the poll to be parked before the reply comes. */
  picky_test_spin (300);
  send_reply (fixture, contact, "Kommt morgen", &sent);
  long_poll = finish_request (fixture, picky_test_wait_result (&polled));
  g_assert_cmpuint (long_poll.status, ==, SOUP_STATUS_OK);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (long_poll.root),
                                                                         "replies")), ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 10 * G_USEC_PER_SEC);
  g_assert_null (sent);

  /* Handed out again until acknowledged. */
  g_assert_true (poll_for_one (fixture, token, &reply, "Kommt morgen"));
  g_assert_true (poll_for_one (fixture, token, &again, "Kommt morgen"));
  g_assert_cmpint (reply, ==, again);

  ack = g_strdup_printf ("{\"id\": %" G_GINT64_FORMAT ", \"status\": \"sent\"}", reply);
  acked = request (fixture, "POST", "/relay/v1/outbox/ack", token, ack);
  g_assert_cmpuint (acked.status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (member_string (&acked, "status"), ==, "sent");

  stored = picky_outbox_send_finish (fixture->outbox, picky_test_wait_result (&sent), &error);
  g_assert_no_error (error);
  g_assert_cmpint (picky_message_get_id (stored), ==, reply);
  g_assert_cmpint (picky_message_get_status (stored), ==, PICKY_MESSAGE_STATUS_SENT);

  /* Never twice after a "sent": not polled again, a repeated ack changes nothing. */
  g_assert_false (poll_for_one (fixture, token, &again, NULL));
  acked_again = request (fixture, "POST", "/relay/v1/outbox/ack", token,
                         "{\"id\": 999999, \"status\": \"failed\", \"error\": \"x\"}");
  g_assert_cmpuint (acked_again.status, ==, SOUP_STATUS_NOT_FOUND);
  {
    g_auto(Answer) repeated = request (fixture, "POST", "/relay/v1/outbox/ack", token,
                                       ack);

    g_assert_cmpuint (repeated.status, ==, SOUP_STATUS_OK);
    g_assert_cmpstr (member_string (&repeated, "status"), ==, "sent");
  }
}

static void
test_outbox_failed (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *token = NULL;
  g_autofree char *contact = NULL;
  g_autofree char *ack = NULL;
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(PickyMessage) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Answer) acked = { 0, NULL };
  gint64 id = 0, reply = 0;

  token = register_trusted (fixture, &id);
  contact = picky_relay_channel_make_contact_id (id, "Anna");
  send_reply (fixture, contact, "Kommt morgen", &sent);
  while (!poll_for_one (fixture, token, &reply, "Kommt morgen"))
    g_main_context_iteration (NULL, FALSE);

  ack = g_strdup_printf ("{\"id\": %" G_GINT64_FORMAT ", \"status\": \"failed\", \"error\": \"no signal\"}", reply);
  acked = request (fixture, "POST", "/relay/v1/outbox/ack", token, ack);
  g_assert_cmpuint (acked.status, ==, SOUP_STATUS_OK);

  stored = picky_outbox_send_finish (fixture->outbox, picky_test_wait_result (&sent), &error);
  g_assert_no_error (error);
  g_assert_cmpint (picky_message_get_status (stored), ==, PICKY_MESSAGE_STATUS_FAILED);
  g_assert_nonnull (strstr (picky_message_get_error (stored), "no signal"));
}

static void
test_outbox_push_off (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *token = NULL;
  g_autofree char *contact = NULL;
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(PickyMessage) stored = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id = 0, reply = 0;

  token = register_trusted (fixture, &id);
  contact = picky_relay_channel_make_contact_id (id, "Anna");
  picky_access_set_push (fixture->access, "whatsapp", FALSE);

  send_reply (fixture, contact, "Darf nicht raus", &sent);
  stored = picky_outbox_send_finish (fixture->outbox, picky_test_wait_result (&sent), &error);
  g_assert_no_error (error);
  g_assert_cmpint (picky_message_get_status (stored), ==, PICKY_MESSAGE_STATUS_FAILED);
  g_assert_false (poll_for_one (fixture, token, &reply, NULL));

  /* Switched back on, still nothing: the refused reply was never queued. */
  picky_access_set_push (fixture->access, "whatsapp", TRUE);
  g_assert_false (poll_for_one (fixture, token, &reply, NULL));
}

/* ---- At rest ---- */

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;

  return memmem (contents, length, needle, strlen (needle)) != NULL;
}

/* Every regular file under @dir, recursively. */
static void
collect_files (const char *dir,
               GPtrArray  *files)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect_files (path, files);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (files, g_steal_pointer (&path));
    }
}

static void
test_at_rest (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *token = NULL;
  g_autofree char *pending_token = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *dirs[] = { fixture->tmpdir, g_get_user_data_dir (), g_get_user_config_dir (),
                         g_get_user_cache_dir (), g_get_user_state_dir () };
  gint64 id = 0, pending = 0;
  guint checked = 0;

  token = register_trusted (fixture, &id);
  pending_token = register_phone (fixture, NULL, &pending, NULL);
  /* The conversation names the customer: a contact detail, sealed too. */
  {
    g_autofree char *item = notification ("n-1", WHATSAPP, "CanaryConversationK4", "Hallo");
    g_auto(Answer) answer = post_notifications (fixture, token, item);

    g_assert_cmpint (member_int (&answer, "new"), ==, 1);
  }
  picky_store_close (fixture->store);

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    collect_files (dirs[i], files);

  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);

      if (g_str_has_prefix (path, fixture->tmpdir))
        checked++;
      g_assert_false (file_contains (path, token));
      g_assert_false (file_contains (path, pending_token));
      g_assert_false (file_contains (path, CANARY_MAKE));
      g_assert_false (file_contains (path, CANARY_MODEL));
      g_assert_false (file_contains (path, CANARY_PHONE));
      /* Its digits in any spelling; long enough that the hex of a keyed
       * hash cannot hold them by chance, as four digits could. */
      g_assert_false (file_contains (path, "77773141"));
      g_assert_false (file_contains (path, "CanaryConversationK4"));
    }
  /* The database and its log were among them. */
  g_assert_cmpuint (checked, >=, 1);
  g_assert_true (g_file_test (fixture->path, G_FILE_TEST_IS_REGULAR));
}

/* A version 4 database: its device had no token to check, so it is revoked. */
static void
test_migrate_v4 (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *fixture_sql = g_test_build_filename (G_TEST_DIST, "data", "store-v4.sql", NULL);
  g_autofree char *path = g_build_filename (fixture->tmpdir, "v4.db", NULL);
  g_autofree char *sql = NULL;
  g_autoptr(GBytes) key = picky_cipher_generate_key ();
  g_autoptr(PickyCipher) cipher = picky_cipher_new (key, NULL);
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyDevice) device = NULL;
  PickyDevice *old;
  sqlite3 *db = NULL;

  g_file_get_contents (fixture_sql, &sql, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &result);
  store = picky_store_open_finish (picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  picky_store_list_devices_async (store, NULL, picky_test_got_result_cb, &result);
  devices = picky_store_list_devices_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (devices->len, ==, 1);
  old = devices->pdata[0];
  g_assert_cmpint (old->id, ==, 1);
  g_assert_cmpint (old->state, ==, PICKY_DEVICE_STATE_REVOKED);
  g_assert_cmpint (old->last_seen, ==, 1700002000);
  g_assert_null (old->make);

  /* The new tables work on the migrated file. */
  picky_store_add_pairing_code_async (store, "ABCD-EFGH", G_MAXINT32, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_add_pairing_code_finish (store, picky_test_wait_result (&result), &error));
  g_clear_object (&result);
  picky_store_register_device_async (store, "token", "abcdefgh", "Make", "Model", "OS", "", NULL,
                                     picky_test_got_result_cb, &result);
  device = picky_store_register_device_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (device->id, ==, 2);
  g_assert_cmpint (device->state, ==, PICKY_DEVICE_STATE_TRUSTED);
  picky_store_close (store);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/picky/relay/pairing/code", test_pairing_code);
  ADD ("/picky/relay/pairing/pending", test_pairing_pending);
  ADD ("/picky/relay/pairing/pending-limit", test_pending_limit);
  ADD ("/picky/relay/pairing/revoke", test_revoke);
  ADD ("/picky/relay/pairing/unknown-token", test_unknown_token);
  ADD ("/picky/relay/hostile/nesting", test_hostile_nesting);
  ADD ("/picky/relay/notifications/duplicate", test_notifications_duplicate);
  ADD ("/picky/relay/notifications/read-off", test_notifications_read_off);
  ADD ("/picky/relay/outbox/push-on", test_outbox_push_on);
  ADD ("/picky/relay/outbox/failed", test_outbox_failed);
  ADD ("/picky/relay/outbox/push-off", test_outbox_push_off);
  ADD ("/picky/relay/at-rest", test_at_rest);
  ADD ("/picky/relay/migrate/v4", test_migrate_v4);

#undef ADD

  return g_test_run ();
}
