/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Phone relay devices: paired phones post their apps' notifications and fetch replies to send. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sodium.h>

#include "picky-bidi.h"
#include "picky-app-catalog.h"
#include "picky-channel-private.h"
#include "picky-json.h"
#include "picky-relay-channel.h"
#include "picky-relay-channel-private.h"

#define TOKEN_BYTES 32
#define MAX_FIELD_LENGTH 1024
#define MAX_TEXT_LENGTH 65536
/* No 0/O or 1/I/L: the code is read off a screen and typed on a phone. */
#define CODE_ALPHABET "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#define CODE_LENGTH 8
/* RFC 6585; libsoup 3.2 has no name for it. */
#define HTTP_TOO_MANY_REQUESTS 429

/* Every running relay channel on one listener is a member of "/relay/": a
 * phone relays the notifications of all its apps to one address, and each
 * one goes to the relay channel of its app. */
struct _PickyRelayChannel
{
  PickyChannel  parent_instance;

  /* owned */
  GHashTable   *sending;          /* gint64* message id → GTask, until the phone acknowledges */
  GHashTable   *waiters;          /* gint64* device id → GPtrArray of Call, parked outbox
                                   * polls; one table for all members, while a member */
  guint64       n_unsupported;
  gboolean      running;
};

G_DEFINE_FINAL_TYPE (PickyRelayChannel, picky_relay_channel, PICKY_TYPE_CHANNEL)

/* One request on its way through authentication and the store. */
typedef struct _Call Call;
typedef void (*CallStep) (Call *call);

struct _Call
{
  GPtrArray           *members;    /* the path's relay channels, as they come and go */
  PickyStore          *store;
  PickyAccess         *access;
  GHashTable          *waiters;    /* the members' parked polls */
  PickyWebhookRequest *request;
  CallStep             next;       /* what runs once the device is known */
  char                *token;      /* a new device's, answered once */
  PickyDevice         *device;
  JsonObject          *root;
  GPtrArray           *batch;
  guint                n_dropped;
  guint                wait;
  GSource             *timeout;
  gboolean             parked;
};

static void list_outbox (Call *call);

/* ---- Calls ---- */

static PickyRelayChannel *
find_channel (GPtrArray  *members,
              const char *app)
{
  for (guint i = 0; i < members->len; i++)
    {
      PickyRelayChannel *channel = g_ptr_array_index (members, i);

      if (g_strcmp0 (picky_channel_get_app (PICKY_CHANNEL (channel)), app) == 0)
        return channel;
    }

  return NULL;
}

/* A request holds what it needs itself: the channels may stop while it
 * waits for the store. */
static Call *
call_new (GPtrArray           *members,
          PickyWebhookRequest *request)
{
  PickyRelayChannel *member = g_ptr_array_index (members, 0);
  PickyAccess *access = picky_channel_get_access (PICKY_CHANNEL (member));
  Call *call = g_new0 (Call, 1);

  call->members = g_ptr_array_ref (members);
  call->store = g_object_ref (picky_channel_get_store (PICKY_CHANNEL (member)));
  call->access = access != NULL ? g_object_ref (access) : NULL;
  call->waiters = g_hash_table_ref (member->waiters);
  call->request = g_object_ref (request);

  return call;
}

static void
call_free (Call *call)
{
  if (call->timeout != NULL)
    {
      g_source_destroy (call->timeout);
      g_source_unref (call->timeout);
    }
  if (call->token != NULL)
    sodium_memzero (call->token, strlen (call->token));
  g_free (call->token);
  g_clear_pointer (&call->device, picky_device_free);
  g_clear_pointer (&call->root, json_object_unref);
  g_clear_pointer (&call->batch, g_ptr_array_unref);
  g_object_unref (call->request);
  g_hash_table_unref (call->waiters);
  g_clear_object (&call->access);
  g_object_unref (call->store);
  g_ptr_array_unref (call->members);
  g_free (call);
}

/* ---- Answers ---- */

static void
respond_json (Call        *call,
              guint        status,
              JsonBuilder *builder)
{
  g_autofree char *text = picky_json_builder_to_string (builder);

  picky_webhook_request_respond (call->request, status, "application/json", text, -1);
}

/* Errors are short machine words the phone can act on, never details. */
static void
respond_error (Call       *call,
               guint       status,
               const char *word)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, word);
  json_builder_end_object (builder);
  respond_json (call, status, builder);
}

static void
respond_store_error (Call         *call,
                     const GError *error)
{
  g_debug ("Relay request failed in the store: %s", error->message);
  /* 503: the phone keeps what it sent and tries again later. */
  respond_error (call, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable");
}

/* ---- Request bodies ---- */

/* json-glib 1.6 warns on a missing member; absent is normal here. */
static gboolean
get_boolean_member (JsonObject *object,
                    const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

static gint64
get_int_member (JsonObject *object,
                const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;

  return json_node_get_int (node);
}

static gboolean
is_short_text (const char *text,
               gsize       max_length)
{
  return text == NULL || (strlen (text) <= max_length && g_utf8_validate (text, -1, NULL));
}

/* Keeps the body's object in @call, for the step after authentication. */
static JsonObject *
parse_body (Call *call)
{
  call->root = picky_json_parse_object (picky_webhook_request_get_body (call->request),
                                        PICKY_WEBHOOK_MAX_JSON_DEPTH);
  return call->root;
}

/* ---- Registration ---- */

static void
on_registered_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyDevice) device = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  device = picky_store_register_device_finish (PICKY_STORE (object), result, &error);
  if (g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_LIMIT))
    {
      respond_error (call, HTTP_TOO_MANY_REQUESTS, "too-many-pending");
      call_free (call);
      return;
    }
  if (device == NULL)
    {
      respond_store_error (call, error);
      call_free (call);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_int_value (builder, device->id);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, call->token);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, device->state == PICKY_DEVICE_STATE_TRUSTED ? "trusted" : "pending");
  json_builder_end_object (builder);
  respond_json (call, SOUP_STATUS_CREATED, builder);
  call_free (call);
}

static void
handle_register (Call *call)
{
  const char *values[PICKY_RELAY_REGISTER_N_FIELDS];

  if (!picky_relay_channel_read_register (parse_body (call), values))
    {
      respond_error (call, SOUP_STATUS_BAD_REQUEST, "malformed");
      call_free (call);
      return;
    }

  /* The token is answered once and kept nowhere but in the phone: the
   * store sees it only to hash it. */
  call->token = picky_relay_channel_generate_token ();
  picky_store_register_device_async (call->store, call->token,
                                     values[0] != NULL && values[0][0] != '\0' ? values[0] : NULL,
                                     values[1], values[2], values[3], values[4],
                                     NULL, on_registered_cb, call);
}

/* ---- Authentication ---- */

static void
on_authenticated_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;

  call->device = picky_store_authenticate_device_finish (PICKY_STORE (object), result, &error);
  if (call->device == NULL)
    {
      if (g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND))
        respond_error (call, SOUP_STATUS_UNAUTHORIZED, "unknown-token");
      else
        respond_store_error (call, error);
      call_free (call);
      return;
    }

  /* Nothing from a phone the admin has not trusted is stored or handed
   * out, and it learns nothing but its own state. */
  if (call->device->state != PICKY_DEVICE_STATE_TRUSTED)
    {
      respond_error (call, SOUP_STATUS_FORBIDDEN,
                     call->device->state == PICKY_DEVICE_STATE_REVOKED ? "revoked" : "pending");
      call_free (call);
      return;
    }

  call->next (call);
}

static void
authenticate (Call     *call,
              CallStep  next)
{
  const char *header = picky_webhook_request_get_header (call->request, "Authorization");

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0 || header[7] == '\0')
    {
      respond_error (call, SOUP_STATUS_UNAUTHORIZED, "unknown-token");
      call_free (call);
      return;
    }

  call->next = next;
  picky_store_authenticate_device_async (call->store, header + 7, NULL, on_authenticated_cb, call);
}

/* ---- Notifications ---- */

static void
respond_counts (Call  *call,
                guint  n_new)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "new");
  json_builder_add_int_value (builder, n_new);
  json_builder_set_member_name (builder, "duplicate");
  json_builder_add_int_value (builder, call->batch->len - n_new);
  json_builder_set_member_name (builder, "dropped");
  json_builder_add_int_value (builder, call->n_dropped);
  json_builder_end_object (builder);
  respond_json (call, SOUP_STATUS_OK, builder);
}

static void
on_notifications_ingested_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  guint n_new;

  n_new = picky_store_ingest_finish (PICKY_STORE (object), result, &error);
  if (error != NULL)
    {
      respond_store_error (call, error);
      call_free (call);
      return;
    }

  for (guint i = 0; i < call->batch->len; i++)
    {
      PickyMessage *message = g_ptr_array_index (call->batch, i);
      PickyRelayChannel *channel = find_channel (call->members, picky_message_get_app (message));

      if (channel != NULL && picky_message_get_is_new (message))
        picky_channel_note_message_time (PICKY_CHANNEL (channel), picky_message_get_timestamp (message));
    }

  respond_counts (call, n_new);
  call_free (call);
}

static PickyMessage *
message_from_notification (gint64             device_id,
                           PickyRelayChannel *channel,
                           JsonObject        *item)
{
  const char *key = picky_json_get_string (item, "key");
  const char *sender = picky_json_get_string (item, "sender");
  const char *conversation = picky_json_get_string (item, "conversation");
  const char *text = picky_json_get_string (item, "text");
  gint64 posted = get_int_member (item, "posted");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *provider_key = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", device_id, key);
  g_autofree char *contact_id = NULL;
  PickyMessage *message = picky_message_new ();

  /* A direct chat is named after the sender; a group after itself. */
  if (conversation == NULL || conversation[0] == '\0')
    conversation = sender != NULL && sender[0] != '\0' ? sender : "?";
  contact_id = picky_relay_channel_make_contact_id (device_id, conversation);

  picky_message_set_op (message, PICKY_MESSAGE_OP_INSERT);
  picky_message_set_direction (message, PICKY_DIRECTION_IN);
  picky_message_set_kind (message, PICKY_MESSAGE_KIND_TEXT);
  picky_message_set_channel_id (message, picky_channel_get_id (PICKY_CHANNEL (channel)));
  picky_message_set_app (message, picky_channel_get_app (PICKY_CHANNEL (channel)));
  picky_message_set_provider_key (message, provider_key);
  picky_message_set_contact_provider_id (message, contact_id);
  picky_message_set_contact_name (message, conversation);
  /* The text stays exactly what was written, so search and exports see the
   * customer's words only; a group member who wrote it goes into the media
   * details as "from" {name}, as Telegram's do, which the store seals. */
  picky_message_set_text (message, text != NULL ? text : "");
  if (get_boolean_member (item, "group") && sender != NULL && sender[0] != '\0')
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autofree char *media = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "from");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, sender);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      media = picky_json_builder_to_string (builder);
      picky_message_set_media (message, media);
    }
  /* Milliseconds, as Android's notifications carry them. */
  picky_message_set_timestamp (message, posted > 0 ? posted / 1000 : now);
  picky_message_set_received (message, now);

  return message;
}

static gboolean
is_valid_notification (JsonObject *item)
{
  const char *key = picky_json_get_string (item, "key");
  const char *package = picky_json_get_string (item, "package");

  return key != NULL && key[0] != '\0' && strlen (key) <= MAX_FIELD_LENGTH &&
         package != NULL && strlen (package) <= MAX_FIELD_LENGTH &&
         is_short_text (picky_json_get_string (item, "sender"), MAX_FIELD_LENGTH) &&
         is_short_text (picky_json_get_string (item, "conversation"), MAX_FIELD_LENGTH) &&
         is_short_text (picky_json_get_string (item, "text"), MAX_TEXT_LENGTH) &&
         g_utf8_validate (key, -1, NULL);
}

/**
 * picky_relay_channel_read_register:
 * @body: (nullable): a register body
 * @values: (out caller-allocates) (array fixed-size=5): its pairing code,
 *   make, model, os and phone number, each %NULL when absent
 *
 * Returns: whether @body is an object whose fields are absent or short UTF-8
 */
gboolean
picky_relay_channel_read_register (JsonObject  *body,
                                   const char **values)
{
  static const char *const fields[PICKY_RELAY_REGISTER_N_FIELDS] = {
    "pairing_code", "make", "model", "os", "phone_number",
  };

  if (body == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      values[i] = picky_json_get_string (body, fields[i]);
      if (!is_short_text (values[i], MAX_FIELD_LENGTH))
        return FALSE;
    }

  return TRUE;
}

/**
 * picky_relay_channel_check_notifications:
 * @body: (nullable): a notifications body
 *
 * The whole batch is refused when one item is malformed: storing part of
 * it would leave the phone unsure which part to send again.
 *
 * Returns: %SOUP_STATUS_OK when every item may be stored, else the status
 *   to answer
 */
guint
picky_relay_channel_check_notifications (JsonObject *body)
{
  JsonArray *items = picky_json_get_array (body, "notifications");

  if (items == NULL)
    return SOUP_STATUS_BAD_REQUEST;
  if (json_array_get_length (items) > PICKY_RELAY_MAX_BATCH)
    return SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *item = json_array_get_element (items, i);

      if (!JSON_NODE_HOLDS_OBJECT (item) || !is_valid_notification (json_node_get_object (item)))
        return SOUP_STATUS_BAD_REQUEST;
    }

  return SOUP_STATUS_OK;
}

/**
 * picky_relay_channel_check_ack:
 * @body: (nullable): an acknowledgement body
 *
 * Returns: whether @body names a reply by a positive id, says "sent" or
 *   "failed", and carries an error that is absent or short UTF-8
 */
gboolean
picky_relay_channel_check_ack (JsonObject *body)
{
  const char *status = picky_json_get_string (body, "status");

  return body != NULL && get_int_member (body, "id") > 0 &&
         (g_strcmp0 (status, "sent") == 0 || g_strcmp0 (status, "failed") == 0) &&
         is_short_text (picky_json_get_string (body, "error"), MAX_FIELD_LENGTH);
}

static void
store_notifications (Call *call)
{
  g_autoptr(GHashTable) dropped = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *items = picky_json_get_array (call->root, "notifications");
  GHashTableIter iter;
  gpointer app, count;

  call->batch = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      const PickyAppInfo *info = picky_app_catalog_lookup_package (picky_json_get_string (item, "package"));
      PickyRelayChannel *channel = info != NULL ? find_channel (call->members, picky_app_info_get_id (info)) : NULL;
      const char *app_id;

      /* An app the console does not know, or has no relay channel for:
       * counted by every relay channel. */
      if (channel == NULL)
        {
          for (guint m = 0; m < call->members->len; m++)
            ((PickyRelayChannel *) g_ptr_array_index (call->members, m))->n_unsupported++;
          call->n_dropped++;
          continue;
        }

      /* Read off: acknowledged so the phone does not resend, never stored. */
      app_id = picky_app_info_get_id (info);
      if (call->access != NULL && !picky_access_can_read (call->access, app_id))
        {
          g_hash_table_insert (dropped, (gpointer) app_id,
                               GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (dropped, app_id)) + 1));
          call->n_dropped++;
          continue;
        }

      g_ptr_array_add (call->batch, message_from_notification (call->device->id, channel, item));
    }

  g_hash_table_iter_init (&iter, dropped);
  while (g_hash_table_iter_next (&iter, &app, &count))
    picky_access_count_dropped (call->access, app, GPOINTER_TO_UINT (count));

  if (call->batch->len == 0)
    {
      respond_counts (call, 0);
      call_free (call);
      return;
    }

  /* Answered only once committed: the phone forgets what got a 200. */
  picky_store_ingest_async (call->store, call->batch, NULL, on_notifications_ingested_cb, call);
}

static void
handle_notifications (Call *call)
{
  guint status = picky_relay_channel_check_notifications (parse_body (call));

  if (status != SOUP_STATUS_OK)
    {
      respond_error (call, status, status == SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE ? "too-many" : "malformed");
      call_free (call);
      return;
    }

  authenticate (call, store_notifications);
}

/* ---- Outbox ---- */

static void
unpark (Call *call)
{
  GPtrArray *waiting;

  if (!call->parked)
    return;

  call->parked = FALSE;
  waiting = g_hash_table_lookup (call->waiters, &call->device->id);
  if (waiting != NULL)
    g_ptr_array_remove (waiting, call);
  if (call->timeout != NULL)
    {
      g_source_destroy (call->timeout);
      g_clear_pointer (&call->timeout, g_source_unref);
    }
}

/* Answers a parked poll with whatever the outbox holds now. */
static void
flush_poll (Call *call)
{
  unpark (call);
  call->wait = 0;
  list_outbox (call);
}

static gboolean
on_poll_timeout_cb (gpointer user_data)
{
  Call *call = user_data;

  /* The source ends itself by returning; unpark must not destroy it. */
  g_clear_pointer (&call->timeout, g_source_unref);
  flush_poll (call);

  return G_SOURCE_REMOVE;
}

static void
park (Call *call)
{
  GPtrArray *waiting = g_hash_table_lookup (call->waiters, &call->device->id);

  if (waiting == NULL)
    {
      waiting = g_ptr_array_new ();
      g_hash_table_insert (call->waiters, g_memdup2 (&call->device->id, sizeof (gint64)), waiting);
    }
  g_ptr_array_add (waiting, call);
  call->parked = TRUE;

  call->timeout = g_timeout_source_new_seconds (call->wait);
  g_source_set_callback (call->timeout, on_poll_timeout_cb, call, NULL);
  g_source_attach (call->timeout, g_main_context_get_thread_default ());
}

/* A reply was put in @device_id's outbox: parked polls look again. */
static void
wake_polls (GHashTable *waiters,
            gint64      device_id)
{
  GPtrArray *waiting = g_hash_table_lookup (waiters, &device_id);

  while (waiting != NULL && waiting->len > 0)
    {
      Call *call = g_ptr_array_index (waiting, 0);

      unpark (call);
      list_outbox (call);
    }
}

static void
add_reply (JsonBuilder  *builder,
           PickyMessage *message)
{
  const char *conversation = NULL;
  const PickyAppInfo *info = picky_app_catalog_lookup (picky_message_get_app (message));
  gint64 device_id;

  picky_relay_channel_parse_contact_id (picky_message_get_contact_provider_id (message),
                                        &device_id, &conversation);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, picky_message_get_id (message));
  json_builder_set_member_name (builder, "app");
  json_builder_add_string_value (builder, picky_message_get_app (message));
  json_builder_set_member_name (builder, "package");
  json_builder_add_string_value (builder, info != NULL ? picky_app_info_get_packages (info)[0] : "");
  json_builder_set_member_name (builder, "conversation");
  json_builder_add_string_value (builder, conversation != NULL ? conversation : "");
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, picky_message_get_text (message));
  json_builder_set_member_name (builder, "created");
  json_builder_add_int_value (builder, picky_message_get_timestamp (message));
  json_builder_end_object (builder);
}

static void
on_outbox_listed_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) replies = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint n = 0;

  replies = picky_store_list_relay_replies_finish (PICKY_STORE (object), result, &error);
  if (replies == NULL)
    {
      respond_store_error (call, error);
      call_free (call);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "replies");
  json_builder_begin_array (builder);
  for (guint i = 0; i < replies->len; i++)
    {
      PickyMessage *message = g_ptr_array_index (replies, i);

      /* Push switched off after the reply was queued: held back, not sent. */
      if (call->access != NULL &&
          !picky_access_can_push (call->access, picky_message_get_app (message)))
        continue;
      add_reply (builder, message);
      n++;
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  if (n == 0 && call->wait > 0 && !picky_webhook_request_is_answered (call->request))
    {
      park (call);
      return;
    }

  respond_json (call, SOUP_STATUS_OK, builder);
  call_free (call);
}

static void
list_outbox (Call *call)
{
  picky_store_list_relay_replies_async (call->store, call->device->id, NULL,
                                        on_outbox_listed_cb, call);
}

static void
handle_outbox (Call *call)
{
  const char *wait = picky_webhook_request_get_query (call->request, "wait");
  guint64 seconds = 0;

  if (wait != NULL && !g_ascii_string_to_unsigned (wait, 10, 0, G_MAXUINT32, &seconds, NULL))
    {
      respond_error (call, SOUP_STATUS_BAD_REQUEST, "malformed");
      call_free (call);
      return;
    }
  call->wait = MIN (seconds, PICKY_RELAY_MAX_WAIT);

  authenticate (call, list_outbox);
}

static void
on_acked_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyMessage) message = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  PickyMessageStatus status;
  gint64 id;

  message = picky_store_ack_relay_reply_finish (PICKY_STORE (object), result, &error);
  if (message == NULL)
    {
      if (g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND))
        respond_error (call, SOUP_STATUS_NOT_FOUND, "unknown-reply");
      else
        respond_store_error (call, error);
      call_free (call);
      return;
    }

  /* The send that handed the reply over ends with the phone's word. */
  id = picky_message_get_id (message);
  status = picky_message_get_status (message);
  for (guint i = 0; i < call->members->len; i++)
    {
      PickyRelayChannel *channel = g_ptr_array_index (call->members, i);
      GTask *task = g_hash_table_lookup (channel->sending, &id);

      if (task == NULL)
        continue;

      /* The table owns the key, not the task: removing frees only the key. */
      g_hash_table_remove (channel->sending, &id);
      if (status == PICKY_MESSAGE_STATUS_FAILED)
        {
          /* The phone's own words, in whatever language it runs in. */
          g_autofree char *why = picky_bidi_isolate (picky_message_get_error (message) != NULL
                                                     ? picky_message_get_error (message)
                                                     : _("no reason given"));

          g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                                   _("The phone could not send the reply: %s"), why);
        }
      else
        g_task_return_pointer (task, g_strdup (picky_message_get_provider_key (message)), g_free);
      g_object_unref (task);
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, id);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, picky_message_status_to_string (status));
  json_builder_end_object (builder);
  respond_json (call, SOUP_STATUS_OK, builder);
  call_free (call);
}

static void
store_ack (Call *call)
{
  const char *status = picky_json_get_string (call->root, "status");

  picky_store_ack_relay_reply_async (call->store, call->device->id, get_int_member (call->root, "id"),
                                     g_strcmp0 (status, "sent") == 0, picky_json_get_string (call->root, "error"),
                                     NULL, on_acked_cb, call);
}

static void
handle_ack (Call *call)
{
  if (!picky_relay_channel_check_ack (parse_body (call)))
    {
      respond_error (call, SOUP_STATUS_BAD_REQUEST, "malformed");
      call_free (call);
      return;
    }

  authenticate (call, store_ack);
}

/* ---- Routing ---- */

static void
handle_request_cb (PickyWebhookServer  *server,
                   PickyWebhookRequest *request,
                   GPtrArray           *members)
{
  const char *path = picky_webhook_request_get_path (request) + strlen (PICKY_RELAY_PATH);
  gboolean post = g_strcmp0 (picky_webhook_request_get_method (request), SOUP_METHOD_POST) == 0;
  static const struct {
    const char *path;
    gboolean    post;
    CallStep    handle;
  } endpoints[] = {
    { "v1/register", TRUE, handle_register },
    { "v1/notifications", TRUE, handle_notifications },
    { "v1/outbox", FALSE, handle_outbox },
    { "v1/outbox/ack", TRUE, handle_ack },
  };

  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    {
      if (strcmp (path, endpoints[i].path) != 0)
        continue;

      if (post != endpoints[i].post)
        picky_webhook_request_respond (request, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL, NULL, 0);
      else
        endpoints[i].handle (call_new (members, request));
      return;
    }

  picky_webhook_request_respond (request, SOUP_STATUS_NOT_FOUND, NULL, NULL, 0);
}

static void
join_path (PickyRelayChannel *self)
{
  PickyChannel *channel = PICKY_CHANNEL (self);
  PickyRelayChannel *first;

  if (self->waiters != NULL || picky_channel_get_store (channel) == NULL ||
      !picky_channel_join_webhook (channel, PICKY_RELAY_PATH, handle_request_cb))
    return;

  /* The members share one table of parked polls, since a reply of any
   * app wakes the polls of its phone; the first to join makes it. */
  first = g_ptr_array_index (picky_webhook_server_get_members (picky_channel_get_webhook_server (channel),
                                                               PICKY_RELAY_PATH), 0);
  if (first != self)
    self->waiters = g_hash_table_ref (first->waiters);
  else
    self->waiters = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                           (GDestroyNotify) g_ptr_array_unref);
  self->n_unsupported = 0;
}

static void
leave_path (PickyRelayChannel *self)
{
  PickyChannel *channel = PICKY_CHANNEL (self);
  g_autoptr(GHashTable) waiters = g_steal_pointer (&self->waiters);

  if (waiters == NULL)
    return;

  picky_channel_leave_webhook (channel);
  if (picky_webhook_server_get_members (picky_channel_get_webhook_server (channel), PICKY_RELAY_PATH) != NULL)
    return;

  /* The path went with the last channel; polls still parked are answered
   * now, so no phone hangs on a path that is gone. */
  while (g_hash_table_size (waiters) > 0)
    {
      GHashTableIter iter;
      GPtrArray *waiting;

      g_hash_table_iter_init (&iter, waiters);
      g_hash_table_iter_next (&iter, NULL, (gpointer *) &waiting);
      if (waiting->len == 0)
        {
          g_hash_table_iter_remove (&iter);
          continue;
        }
      flush_poll (g_ptr_array_index (waiting, 0));
    }
}

/* ---- Running ---- */

static void
update_state (PickyRelayChannel *self)
{
  PickyChannel *channel = PICKY_CHANNEL (self);

  if (!self->running)
    picky_channel_set_state (channel, PICKY_CHANNEL_STATE_STOPPED);
  else if (!picky_channel_is_webhook_member (channel))
    {
      picky_channel_set_last_error (channel, _("The webhook listener is not running, so no phone can relay messages"));
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_BACKING_OFF);
    }
  else if (picky_webhook_server_get_bind_error (picky_channel_get_webhook_server (channel)) != NULL)
    {
      /* The listener's owner keeps trying to bind; this follows it. */
      picky_channel_set_last_error (channel, picky_webhook_server_get_bind_error (picky_channel_get_webhook_server (channel)));
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_BACKING_OFF);
    }
  else if (!picky_channel_can_read (channel))
    picky_channel_set_state (channel, PICKY_CHANNEL_STATE_DISABLED);
  else
    {
      picky_channel_set_last_error (channel, NULL);
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_ONLINE);
    }
}

static void
on_access_changed_cb (PickyRelayChannel *self,
                      const char        *app_id)
{
  if (g_strcmp0 (app_id, picky_channel_get_app (PICKY_CHANNEL (self))) == 0)
    update_state (self);
}

static void
picky_relay_channel_start (PickyChannel *channel)
{
  PickyRelayChannel *self = PICKY_RELAY_CHANNEL (channel);

  self->running = TRUE;
  join_path (self);
  update_state (self);
}

static void
picky_relay_channel_stop (PickyChannel *channel)
{
  PickyRelayChannel *self = PICKY_RELAY_CHANNEL (channel);

  self->running = FALSE;
  leave_path (self);
  update_state (self);
}

static void
on_reply_queued_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyRelayChannel *self = g_task_get_source_object (task);
  PickyMessage *message = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gint64 id = picky_message_get_id (message);
  gint64 device_id = 0;

  if (!picky_store_queue_relay_reply_finish (PICKY_STORE (object), result, &error))
    {
      if (g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND))
        g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                                 _("The phone of this conversation is not trusted any more"));
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Held until the phone acknowledges: "sent" means the phone sent it. */
  g_hash_table_insert (self->sending, g_memdup2 (&id, sizeof id), g_steal_pointer (&task));
  picky_relay_channel_parse_contact_id (picky_message_get_contact_provider_id (message), &device_id, NULL);
  if (self->waiters != NULL)
    wake_polls (self->waiters, device_id);
}

static void
picky_relay_channel_send_async (PickyChannel        *channel,
                                PickyMessage        *message,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  PickyStore *store = picky_channel_get_store (channel);
  g_autoptr(GTask) task = g_task_new (channel, cancellable, callback, user_data);
  gint64 device_id;

  g_task_set_source_tag (task, picky_relay_channel_send_async);
  g_task_set_task_data (task, g_object_ref (message), g_object_unref);

  if (store == NULL || picky_message_get_id (message) <= 0 ||
      !picky_relay_channel_parse_contact_id (picky_message_get_contact_provider_id (message),
                                             &device_id, NULL))
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_NOT_SUPPORTED,
                               _("This reply has no stored conversation on a relay phone"));
      return;
    }

  picky_store_queue_relay_reply_async (store, picky_message_get_id (message), device_id,
                                       NULL, on_reply_queued_cb, g_steal_pointer (&task));
}

/* ---- Object ---- */

static void
picky_relay_channel_constructed (GObject *object)
{
  PickyRelayChannel *self = PICKY_RELAY_CHANNEL (object);
  PickyWebhookServer *server;
  PickyAccess *access;

  G_OBJECT_CLASS (picky_relay_channel_parent_class)->constructed (object);

  access = picky_channel_get_access (PICKY_CHANNEL (self));
  if (access != NULL)
    g_signal_connect_object (access, "changed",
                             G_CALLBACK (on_access_changed_cb), self, G_CONNECT_SWAPPED);

  server = picky_channel_get_webhook_server (PICKY_CHANNEL (self));
  if (server != NULL)
    g_signal_connect_object (server, "notify::bind-error",
                             G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
}

static void
picky_relay_channel_dispose (GObject *object)
{
  PickyRelayChannel *self = PICKY_RELAY_CHANNEL (object);

  leave_path (self);
  self->running = FALSE;

  /* The replies stay in the phone's outbox and its acknowledgement still
   * moves them in the store; only this wait for it ends. */
  if (self->sending != NULL)
    {
      GHashTableIter iter;
      GTask *task;

      g_hash_table_iter_init (&iter, self->sending);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &task))
        {
          g_hash_table_iter_remove (&iter);
          g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                                   _("The relay channel closed before the phone confirmed the reply"));
          g_object_unref (task);
        }
    }

  G_OBJECT_CLASS (picky_relay_channel_parent_class)->dispose (object);
}

static void
picky_relay_channel_finalize (GObject *object)
{
  PickyRelayChannel *self = PICKY_RELAY_CHANNEL (object);

  g_clear_pointer (&self->sending, g_hash_table_unref);

  G_OBJECT_CLASS (picky_relay_channel_parent_class)->finalize (object);
}

static void
picky_relay_channel_class_init (PickyRelayChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PickyChannelClass *channel_class = PICKY_CHANNEL_CLASS (klass);

  object_class->constructed = picky_relay_channel_constructed;
  object_class->dispose = picky_relay_channel_dispose;
  object_class->finalize = picky_relay_channel_finalize;

  channel_class->start = picky_relay_channel_start;
  channel_class->stop = picky_relay_channel_stop;
  channel_class->send_async = picky_relay_channel_send_async;

  picky_channel_class_set_kind (channel_class, "relay", NULL, N_("Phone Relay"));
  picky_channel_class_set_description (channel_class,
                                       N_("Messages that paired phones forward from their apps."));
  /* One channel per app, made and removed by the phone switches of the
   * Channels page rather than filled in by the admin. */
  picky_channel_class_set_addable (channel_class, FALSE);
}

static void
picky_relay_channel_init (PickyRelayChannel *self)
{
  /* Message id → its send task; the task's reference is taken out by
   * whoever removes it, so only the keys are freed by the table. */
  self->sending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
}

/**
 * picky_relay_channel_generate_pairing_code:
 *
 * Returns: (transfer full): a fresh code of 8 letters and digits that are
 *   hard to confuse, as "ABCD-EF23", from the system's secure random source
 */
char *
picky_relay_channel_generate_pairing_code (void)
{
  GString *code = g_string_new (NULL);

  for (guint i = 0; i < CODE_LENGTH; i++)
    {
      if (i == CODE_LENGTH / 2)
        g_string_append_c (code, '-');
      g_string_append_c (code, CODE_ALPHABET[randombytes_uniform (strlen (CODE_ALPHABET))]);
    }

  return g_string_free (code, FALSE);
}

/**
 * picky_relay_channel_generate_token:
 *
 * Returns: (transfer full): 32 random bytes, base64url without padding
 */
char *
picky_relay_channel_generate_token (void)
{
  guchar bytes[TOKEN_BYTES];
  char *token;

  randombytes_buf (bytes, sizeof bytes);
  token = g_base64_encode (bytes, sizeof bytes);
  sodium_memzero (bytes, sizeof bytes);
  g_strdelimit (token, "+", '-');
  g_strdelimit (token, "/", '_');
  if (strchr (token, '=') != NULL)
    *strchr (token, '=') = '\0';

  return token;
}

/**
 * picky_relay_channel_make_contact_id:
 *
 * Returns: (transfer full): the contact id of a conversation on a device,
 *   "<device id>:<conversation>": the same name on two phones is two people
 */
char *
picky_relay_channel_make_contact_id (gint64      device_id,
                                     const char *conversation)
{
  g_return_val_if_fail (conversation != NULL, NULL);

  return g_strdup_printf ("%" G_GINT64_FORMAT ":%s", device_id, conversation);
}

/**
 * picky_relay_channel_parse_contact_id:
 * @conversation: (out) (optional) (transfer none): points into @contact_id
 *
 * Returns: whether @contact_id names a conversation on a relay device
 */
gboolean
picky_relay_channel_parse_contact_id (const char  *contact_id,
                                      gint64      *device_id,
                                      const char **conversation)
{
  const char *colon = contact_id != NULL ? strchr (contact_id, ':') : NULL;
  g_autofree char *number = NULL;
  guint64 id;

  if (colon == NULL)
    return FALSE;

  number = g_strndup (contact_id, colon - contact_id);
  if (!g_ascii_string_to_unsigned (number, 10, 1, G_MAXINT64, &id, NULL))
    return FALSE;

  *device_id = (gint64) id;
  if (conversation != NULL)
    *conversation = colon + 1;

  return TRUE;
}

/**
 * picky_relay_channel_get_n_unsupported:
 *
 * Returns: notifications dropped on this listener since the channel
 *   started, because their app is unknown or has no relay channel
 */
guint64
picky_relay_channel_get_n_unsupported (PickyRelayChannel *self)
{
  g_return_val_if_fail (PICKY_IS_RELAY_CHANNEL (self), 0);

  return self->waiters != NULL ? self->n_unsupported : 0;
}
