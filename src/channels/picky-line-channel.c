/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LINE Messaging API: signed webhooks in, reply and push out. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "picky-bidi.h"
#include "picky-channel-private.h"
#include "picky-json.h"
#include "picky-line-channel.h"
#include "picky-signature.h"

#define SIGNATURE_HEADER "x-line-signature"
#define HTTP_TIMEOUT_S 30
/* LINE keeps a reply token valid for about a minute and promises no exact
 * figure; past this age a reply goes out through the push API instead. */
#define REPLY_TOKEN_TTL_S 50

struct _PickyLineChannel
{
  PickyChannel  parent_instance;

  /* owned */
  SoupSession  *session;
  GCancellable *run_cancellable;
  char         *channel_secret;
  char         *access_token;
  GHashTable   *reply_tokens;   /* chat key → ReplyToken */
  GHashTable   *unfollowed;     /* user ids that blocked the account */
  /* Users whose stored unfollow, if there was one, has been removed since
   * the channel was made: their next events need no write. */
  GHashTable   *reachable;
  gboolean      running;
  gboolean      ready;
  gboolean      listener_failed;
  guint64       n_events;
};

G_DEFINE_FINAL_TYPE (PickyLineChannel, picky_line_channel, PICKY_TYPE_CHANNEL)

static void update_state (PickyLineChannel *self);

typedef struct
{
  char   *token;
  gint64  received;   /* monotonic µs */
} ReplyToken;

/* One webhook POST while its messages and follow changes are being
 * committed: answered when the last of its writes is done. */
typedef struct
{
  PickyWebhookRequest *request;
  GPtrArray           *messages;
  PickyLineChannel    *channel;
  GPtrArray           *reachable;   /* users whose unfollow the writes remove */
  guint                pending;
  gboolean             failed;
} Delivery;

typedef struct
{
  char     *to;
  char     *text;
  char     *reply_token;   /* NULL: push */
} SendData;

static void send_now (GTask *task);

static void
reply_token_free (ReplyToken *reply)
{
  g_free (reply->token);
  g_free (reply);
}

static void
delivery_free (Delivery *delivery)
{
  g_clear_object (&delivery->request);
  g_clear_object (&delivery->channel);
  g_clear_pointer (&delivery->messages, g_ptr_array_unref);
  g_clear_pointer (&delivery->reachable, g_ptr_array_unref);
  g_free (delivery);
}

static void
send_data_free (SendData *data)
{
  g_free (data->to);
  g_free (data->text);
  g_free (data->reply_token);
  g_free (data);
}

/**
 * picky_line_channel_check_signature:
 * @body: the raw request body, exactly as received
 * @header: (nullable): the x-line-signature header
 * @channel_secret: (nullable): the LINE channel's secret
 *
 * Returns: whether @header is the base64 HMAC-SHA256 of @body under
 *   @channel_secret; always %FALSE without a secret
 */
gboolean
picky_line_channel_check_signature (GBytes     *body,
                                    const char *header,
                                    const char *channel_secret)
{
  guint8 expected[PICKY_SIGNATURE_SIZE];
  guint8 given[PICKY_SIGNATURE_SIZE];

  g_return_val_if_fail (body != NULL, FALSE);

  if (channel_secret == NULL || *channel_secret == '\0' || !picky_signature_decode_base64 (header, given))
    return FALSE;

  picky_signature_compute (body, channel_secret, expected);
  return picky_signature_equal (expected, given, PICKY_SIGNATURE_SIZE);
}

/* LINE counts milliseconds. */
static gint64
get_seconds (JsonObject *object,
             gint64      fallback)
{
  JsonNode *node = json_object_get_member (object, "timestamp");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;

  return json_node_get_int (node) / 1000;
}

/* A group or room is one conversation, whoever in it writes. */
static const char *
get_chat_key (JsonObject *event)
{
  JsonObject *source = picky_json_get_object (event, "source");
  const char *type = picky_json_get_string (source, "type");

  if (g_strcmp0 (type, "group") == 0)
    return picky_json_get_string (source, "groupId");
  if (g_strcmp0 (type, "room") == 0)
    return picky_json_get_string (source, "roomId");

  return picky_json_get_string (source, "userId");
}

/* Fills kind, text and media from a "message" object. Types without
 * words keep a NULL text, which the inbox shows as a placeholder. */
static void
describe_message (JsonObject   *payload,
                  PickyMessage *message)
{
  static const char *const detail_members[] = {
    "duration", "fileName", "fileSize", "packageId", "stickerId", "stickerResourceType",
    "title", "address", "latitude", "longitude", NULL,
  };
  static const struct {
    const char       *type;
    PickyMessageKind  kind;
  } kinds[] = {
    { "image", PICKY_MESSAGE_KIND_IMAGE },
    { "video", PICKY_MESSAGE_KIND_VIDEO },
    { "audio", PICKY_MESSAGE_KIND_AUDIO },
    { "file", PICKY_MESSAGE_KIND_DOCUMENT },
    { "sticker", PICKY_MESSAGE_KIND_STICKER },
    { "location", PICKY_MESSAGE_KIND_LOCATION },
  };
  const char *type = picky_json_get_string (payload, "type");
  JsonObject *provider = picky_json_get_object (payload, "contentProvider");
  g_autoptr(JsonBuilder) media = json_builder_new ();
  g_autofree char *media_json = NULL;

  if (g_strcmp0 (type, "text") == 0)
    {
      picky_message_set_kind (message, PICKY_MESSAGE_KIND_TEXT);
      picky_message_set_text (message, picky_json_get_string (payload, "text"));
      return;
    }

  picky_message_set_kind (message, PICKY_MESSAGE_KIND_UNSUPPORTED);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (type, kinds[i].type) == 0)
      picky_message_set_kind (message, kinds[i].kind);
  if (g_strcmp0 (type, "file") == 0)
    picky_message_set_text (message, picky_json_get_string (payload, "fileName"));
  else if (g_strcmp0 (type, "location") == 0)
    picky_message_set_text (message, picky_json_get_string (payload, "title"));

  json_builder_begin_object (media);
  json_builder_set_member_name (media, "type");
  json_builder_add_string_value (media, type != NULL ? type : "unknown");
  picky_json_copy_members (media, payload, detail_members);
  /* The content itself is fetched by message id, from LINE or from the
   * address an external provider gave. */
  if (provider != NULL)
    {
      static const char *const provider_members[] = { "originalContentUrl", "previewImageUrl", NULL };

      json_builder_set_member_name (media, "provider");
      json_builder_add_string_value (media, picky_json_get_string (provider, "type"));
      picky_json_copy_members (media, provider, provider_members);
    }
  json_builder_end_object (media);
  media_json = picky_json_builder_to_string (media);
  picky_message_set_media (message, media_json);
}

/**
 * picky_line_channel_parse_event:
 * @event: one element of "events"
 * @channel_id: the channel whose secret signed it
 * @app: the app id stored with the message
 *
 * Turns "message" events into inserts keyed by the message id and
 * "postback" events (a button the customer tapped) into inserts keyed by
 * the event id, so a redelivery is stored once.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL for events
 *   that store nothing (follow, unfollow, join, unknown ones)
 */
PickyMessage *
picky_line_channel_parse_event (JsonObject *event,
                                gint64      channel_id,
                                const char *app)
{
  g_autoptr(PickyMessage) message = NULL;
  const char *type, *chat, *key = NULL;
  JsonObject *payload = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_return_val_if_fail (event != NULL, NULL);

  type = picky_json_get_string (event, "type");
  chat = get_chat_key (event);
  if (chat == NULL || *chat == '\0')
    return NULL;

  if (g_strcmp0 (type, "message") == 0)
    {
      payload = picky_json_get_object (event, "message");
      key = picky_json_get_string (payload, "id");
    }
  else if (g_strcmp0 (type, "postback") == 0)
    {
      payload = picky_json_get_object (event, "postback");
      key = picky_json_get_string (event, "webhookEventId");
    }
  if (payload == NULL || key == NULL || *key == '\0')
    return NULL;

  message = picky_message_new ();
  picky_message_set_op (message, PICKY_MESSAGE_OP_INSERT);
  picky_message_set_channel_id (message, channel_id);
  picky_message_set_app (message, app);
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_provider_id (message, chat);
  picky_message_set_direction (message, PICKY_DIRECTION_IN);
  picky_message_set_timestamp (message, get_seconds (event, now));
  picky_message_set_received (message, now);

  if (g_strcmp0 (type, "message") == 0)
    {
      const char *quoted = picky_json_get_string (payload, "quotedMessageId");

      describe_message (payload, message);
      if (quoted != NULL)
        picky_message_set_related_key (message, quoted);
    }
  else
    {
      g_autoptr(JsonBuilder) media = json_builder_new ();
      g_autofree char *media_json = NULL;

      /* What the tapped button carries is the customer's answer. */
      picky_message_set_kind (message, PICKY_MESSAGE_KIND_TEXT);
      picky_message_set_text (message, picky_json_get_string (payload, "data"));
      json_builder_begin_object (media);
      json_builder_set_member_name (media, "type");
      json_builder_add_string_value (media, "postback");
      json_builder_end_object (media);
      media_json = picky_json_builder_to_string (media);
      picky_message_set_media (message, media_json);
    }

  return g_steal_pointer (&message);
}

/* ---- The shared path ---- */

/* Every running LINE channel on one listener is a member of "/line": each
 * channel's webhooks are signed with its own secret, which says whose
 * they are. */

/* Who unfollowed is kept in the channel's state in the store, one key per
 * user, so that it outlives a restart; following again or writing
 * removes it. */
#define UNFOLLOWED_PREFIX "unfollowed:"

/* One write of a follow change: the state key and "1" for unfollowed or
 * NULL to remove it. */
typedef struct
{
  char       *key;
  const char *value;
} StateChange;

static void
state_change_free (StateChange *change)
{
  g_free (change->key);
  g_free (change);
}

/* Answers once every write of @delivery is done; a write that failed
 * asks LINE to redeliver, and the redelivery removes the unfollows
 * again. */
static void
delivery_finish_one (Delivery *delivery)
{
  if (--delivery->pending > 0)
    return;

  if (delivery->failed)
    {
      for (guint i = 0; delivery->reachable != NULL && i < delivery->reachable->len; i++)
        g_hash_table_remove (delivery->channel->reachable, g_ptr_array_index (delivery->reachable, i));
      picky_webhook_request_respond (delivery->request, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL, NULL, 0);
    }
  else
    picky_webhook_request_respond (delivery->request, SOUP_STATUS_OK, NULL, NULL, 0);

  delivery_free (delivery);
}

static void
on_delivery_ingested_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  Delivery *delivery = user_data;
  g_autoptr(GError) error = NULL;

  picky_store_ingest_finish (PICKY_STORE (object), result, &error);
  if (error != NULL)
    {
      /* LINE redelivers what got no 200 (when the admin turned it on), and
       * storing is idempotent. */
      g_message ("LINE webhook not stored, asking for a retry: %s", error->message);
      delivery->failed = TRUE;
    }

  delivery_finish_one (delivery);
}

static void
on_follow_stored_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Delivery *delivery = user_data;
  g_autoptr(GError) error = NULL;

  if (!picky_store_set_channel_state_finish (PICKY_STORE (object), result, &error))
    {
      g_message ("LINE follow change not stored, asking for a retry: %s", error->message);
      delivery->failed = TRUE;
    }

  delivery_finish_one (delivery);
}

/* Whether a push can reach a user follows their last event: they leave
 * with "unfollow" and come back by following or writing again. Kept
 * whatever the read switch says, since it stores nothing of theirs and
 * only spares a refused send. Adds the write it needs, if any, to
 * @changes. */
static void
note_follow (PickyLineChannel *self,
             JsonObject       *event,
             GPtrArray        *changes)
{
  const char *type = picky_json_get_string (event, "type");
  const char *source_type = picky_json_get_string (picky_json_get_object (event, "source"), "type");
  const char *user = picky_json_get_string (picky_json_get_object (event, "source"), "userId");
  StateChange *change;

  /* Only a one-to-one chat is keyed by the user: that is whom a push to a
   * blocked account fails for. */
  if (user == NULL || *user == '\0' || (source_type != NULL && g_strcmp0 (source_type, "user") != 0))
    return;

  if (g_strcmp0 (type, "unfollow") == 0)
    {
      g_hash_table_add (self->unfollowed, g_strdup (user));
      g_hash_table_remove (self->reachable, user);
      change = g_new0 (StateChange, 1);
      change->key = g_strconcat (UNFOLLOWED_PREFIX, user, NULL);
      change->value = "1";
      g_ptr_array_add (changes, change);
      return;
    }

  if (g_strcmp0 (type, "follow") != 0 && g_strcmp0 (type, "message") != 0 && g_strcmp0 (type, "postback") != 0)
    return;

  /* Removed from the store even when not known here: it may have been
   * recorded before a restart; once per user and start is enough. */
  g_hash_table_remove (self->unfollowed, user);
  if (!g_hash_table_add (self->reachable, g_strdup (user)))
    return;
  change = g_new0 (StateChange, 1);
  change->key = g_strconcat (UNFOLLOWED_PREFIX, user, NULL);
  g_ptr_array_add (changes, change);
}

/* Unfollow forgets the chat's reply token; a replyable event leaves a
 * token for the next answer to that chat. */
static void
note_event (PickyLineChannel *self,
            JsonObject       *event)
{
  const char *type = picky_json_get_string (event, "type");
  const char *chat = get_chat_key (event);
  const char *token = picky_json_get_string (event, "replyToken");
  JsonObject *context = picky_json_get_object (event, "deliveryContext");
  ReplyToken *reply;

  if (chat == NULL || *chat == '\0')
    return;

  if (g_strcmp0 (type, "unfollow") == 0)
    {
      g_hash_table_remove (self->reply_tokens, chat);
      return;
    }

  /* A redelivered event's token has likely expired already. */
  if (token == NULL || *token == '\0' ||
      (context != NULL && json_object_get_boolean_member_with_default (context, "isRedelivery", FALSE)))
    return;

  reply = g_new0 (ReplyToken, 1);
  reply->token = g_strdup (token);
  reply->received = g_get_monotonic_time ();
  g_hash_table_replace (self->reply_tokens, g_strdup (chat), reply);
}

static void
handle_webhook_cb (PickyWebhookServer  *server,
                   PickyWebhookRequest *request,
                   GPtrArray           *members)
{
  GBytes *body = picky_webhook_request_get_body (request);
  const char *header = picky_webhook_request_get_header (request, SIGNATURE_HEADER);
  PickyLineChannel *signer = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) state_change_free);
  PickyStore *store;
  JsonArray *events;
  Delivery *delivery;
  guint8 given[PICKY_SIGNATURE_SIZE];
  guint n_messages = 0;

  if (g_strcmp0 (picky_webhook_request_get_method (request), SOUP_METHOD_POST) != 0)
    {
      picky_webhook_request_respond (request, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL, NULL, 0);
      return;
    }

  if (header == NULL)
    {
      picky_webhook_request_respond (request, SOUP_STATUS_UNAUTHORIZED, NULL, NULL, 0);
      return;
    }

  /* The signature decides before a single byte of JSON is looked at; every
   * member is compared, so the time taken names none. A repeated header
   * arrives joined and decodes to nothing. */
  if (picky_signature_decode_base64 (header, given))
    for (guint i = 0; i < members->len; i++)
      {
        PickyLineChannel *channel = g_ptr_array_index (members, i);
        guint8 expected[PICKY_SIGNATURE_SIZE];

        if (channel->channel_secret == NULL)
          continue;
        picky_signature_compute (body, channel->channel_secret, expected);
        if (picky_signature_equal (expected, given, PICKY_SIGNATURE_SIZE) && signer == NULL)
          signer = channel;
      }

  if (signer == NULL)
    {
      picky_webhook_request_respond (request, SOUP_STATUS_FORBIDDEN, NULL, NULL, 0);
      return;
    }

  root = picky_json_parse_object (body, PICKY_WEBHOOK_MAX_JSON_DEPTH);
  if (root == NULL)
    {
      picky_webhook_request_respond (request, SOUP_STATUS_BAD_REQUEST, NULL, NULL, 0);
      return;
    }

  /* An empty list is the Verify button of LINE's console: a 200 is all
   * it asks. */
  batch = g_ptr_array_new_with_free_func (g_object_unref);
  events = picky_json_get_array (root, "events");
  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      PickyMessage *message;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      signer->n_events++;
      note_follow (signer, json_node_get_object (node), changes);
      message = picky_line_channel_parse_event (json_node_get_object (node),
                                                picky_channel_get_id (PICKY_CHANNEL (signer)),
                                                picky_channel_get_app (PICKY_CHANNEL (signer)));
      if (message == NULL)
        {
          note_event (signer, json_node_get_object (node));
          continue;
        }
      n_messages++;
      if (!picky_channel_can_read (PICKY_CHANNEL (signer)))
        {
          g_object_unref (message);
          continue;
        }
      note_event (signer, json_node_get_object (node));
      picky_channel_note_message_time (PICKY_CHANNEL (signer), picky_message_get_timestamp (message));
      g_ptr_array_add (batch, message);
    }

  /* Acknowledged so LINE stops redelivering, yet counted. */
  if (!picky_channel_can_read (PICKY_CHANNEL (signer)) && n_messages > 0)
    picky_access_count_dropped (picky_channel_get_access (PICKY_CHANNEL (signer)),
                                picky_channel_get_app (PICKY_CHANNEL (signer)), n_messages);

  store = picky_channel_get_store (PICKY_CHANNEL (signer));
  if ((batch->len == 0 && changes->len == 0) || store == NULL)
    {
      picky_webhook_request_respond (request, SOUP_STATUS_OK, NULL, NULL, 0);
      return;
    }

  /* Answered only once committed: a 200 promises the messages and follow
   * changes are safe. The store runs the writes in the order given. */
  delivery = g_new0 (Delivery, 1);
  delivery->request = g_object_ref (request);
  delivery->channel = g_object_ref (signer);
  delivery->reachable = g_ptr_array_new_with_free_func (g_free);
  delivery->pending = changes->len + (batch->len > 0 ? 1 : 0);
  for (guint i = 0; i < changes->len; i++)
    {
      StateChange *change = g_ptr_array_index (changes, i);

      if (change->value == NULL)
        g_ptr_array_add (delivery->reachable, g_strdup (change->key + strlen (UNFOLLOWED_PREFIX)));
      picky_store_set_channel_state_async (store, picky_channel_get_id (PICKY_CHANNEL (signer)),
                                           change->key, change->value, NULL, on_follow_stored_cb, delivery);
    }
  if (batch->len > 0)
    {
      delivery->messages = g_steal_pointer (&batch);
      picky_store_ingest_async (store, delivery->messages, NULL, on_delivery_ingested_cb, delivery);
    }
}

/* ---- Running ---- */

static void
update_state (PickyLineChannel *self)
{
  PickyChannel *channel = PICKY_CHANNEL (self);
  PickyWebhookServer *server = picky_channel_get_webhook_server (channel);

  if (!self->running)
    picky_channel_set_state (channel, PICKY_CHANNEL_STATE_STOPPED);
  else if (!self->ready)
    picky_channel_set_state (channel, PICKY_CHANNEL_STATE_CONNECTING);
  else if (self->channel_secret == NULL)
    {
      picky_channel_set_last_error (channel, _("No channel secret is stored for this LINE channel, so every webhook is rejected. Add the secret and start the channel again."));
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_AUTH_FAILED);
    }
  else if (!picky_channel_is_webhook_member (channel))
    {
      picky_channel_set_last_error (channel, _("The webhook listener is not running, so no LINE messages can arrive"));
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_BACKING_OFF);
    }
  else if (picky_webhook_server_get_bind_error (server) != NULL)
    {
      /* The listener's owner keeps trying to bind; this follows it. */
      self->listener_failed = TRUE;
      picky_channel_set_last_error (channel, picky_webhook_server_get_bind_error (server));
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_BACKING_OFF);
    }
  else
    {
      if (self->listener_failed)
        picky_channel_set_last_error (channel, NULL);
      self->listener_failed = FALSE;
      picky_channel_set_state (channel, picky_channel_can_read (channel) ? PICKY_CHANNEL_STATE_ONLINE
                                                                         : PICKY_CHANNEL_STATE_DISABLED);
    }
}

/* The secret is read once per start and kept in memory: a webhook must
 * not wait for the keyring, and a flood must not hammer it. */
static void
on_secret_looked_up_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(PickyLineChannel) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;

  secret = picky_vault_lookup_secret_finish (PICKY_VAULT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !self->running)
    return;
  if (error != NULL)
    {
      g_autofree char *why = picky_bidi_isolate (error->message);
      g_autofree char *reason = g_strdup_printf (_("Cannot read the LINE channel secret from the keyring: %s"), why);

      picky_channel_set_last_error (PICKY_CHANNEL (self), reason);
      picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_AUTH_FAILED);
      return;
    }

  g_free (self->channel_secret);
  self->channel_secret = secret != NULL && *secret != '\0' ? g_steal_pointer (&secret) : NULL;
  self->ready = TRUE;
  picky_channel_set_last_error (PICKY_CHANNEL (self), NULL);
  update_state (self);
}

static void
picky_line_channel_start (PickyChannel *channel)
{
  PickyLineChannel *self = PICKY_LINE_CHANNEL (channel);
  PickyVault *vault = picky_channel_get_vault (channel);

  if (self->running)
    return;

  self->running = TRUE;
  self->ready = FALSE;
  self->run_cancellable = g_cancellable_new ();
  picky_channel_set_last_error (channel, NULL);
  if (!picky_channel_is_webhook_member (channel))
    self->n_events = 0;
  picky_channel_join_webhook (channel, PICKY_LINE_WEBHOOK_PATH, handle_webhook_cb);
  update_state (self);

  if (vault == NULL)
    {
      self->ready = TRUE;
      update_state (self);
      return;
    }
  picky_vault_lookup_secret_async (vault, picky_channel_get_id (channel), "channel-secret",
                                   self->run_cancellable, on_secret_looked_up_cb, g_object_ref (self));
}

static void
picky_line_channel_stop (PickyChannel *channel)
{
  PickyLineChannel *self = PICKY_LINE_CHANNEL (channel);

  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
  g_clear_object (&self->run_cancellable);
  picky_channel_leave_webhook (channel);
  self->running = FALSE;
  self->ready = FALSE;
  g_clear_pointer (&self->channel_secret, g_free);
  g_hash_table_remove_all (self->reply_tokens);
  update_state (self);
}

static void
on_changed_cb (PickyLineChannel *self)
{
  if (self->running && self->ready)
    update_state (self);
}

/* ---- Sending ---- */

/* A reply token is used once; a stale one is dropped unused. */
static char *
take_reply_token (PickyLineChannel *self,
                  const char       *chat)
{
  ReplyToken *reply = g_hash_table_lookup (self->reply_tokens, chat);
  char *token = NULL;

  if (reply == NULL)
    return NULL;
  if (g_get_monotonic_time () - reply->received < REPLY_TOKEN_TTL_S * G_USEC_PER_SEC)
    token = g_steal_pointer (&reply->token);
  g_hash_table_remove (self->reply_tokens, chat);

  return token;
}

static GBytes *
build_send_body (SendData *data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  if (data->reply_token != NULL)
    {
      json_builder_set_member_name (builder, "replyToken");
      json_builder_add_string_value (builder, data->reply_token);
    }
  else
    {
      json_builder_set_member_name (builder, "to");
      json_builder_add_string_value (builder, data->to);
    }
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "text");
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, data->text);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return picky_json_builder_to_bytes (builder);
}

/* The first detail names the field at fault; the message alone is vague. */
static char *
dup_error_text (JsonObject *root,
                guint       status)
{
  const char *message = picky_json_get_string (root, "message");
  JsonArray *details = picky_json_get_array (root, "details");
  JsonNode *first = details != NULL && json_array_get_length (details) > 0 ? json_array_get_element (details, 0) : NULL;

  if (message == NULL)
    message = soup_status_get_phrase (status);
  if (first != NULL && JSON_NODE_HOLDS_OBJECT (first))
    {
      JsonObject *detail = json_node_get_object (first);
      const char *text = picky_json_get_string (detail, "message");
      const char *property = picky_json_get_string (detail, "property");

      if (text != NULL && property != NULL)
        return g_strdup_printf ("%s (%s: %s)", message, property, text);
      if (text != NULL)
        return g_strdup_printf ("%s (%s)", message, text);
    }

  return g_strdup (message);
}

/* Isolated: LINE's English goes into a sentence of the window's language. */
static char *
dup_error_details (JsonObject *root,
                   guint       status)
{
  g_autofree char *details = dup_error_text (root, status);

  return picky_bidi_isolate (details);
}

static void
on_send_reply_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyLineChannel *self = g_task_get_source_object (task);
  SendData *data = g_task_get_task_data (task);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autofree char *details = NULL;
  guint status;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (bytes == NULL)
    {
      g_autofree char *why = picky_bidi_isolate (error->message);

      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                               _("Cannot reach the LINE Messaging API: %s"), why);
      return;
    }

  status = soup_message_get_status (message);
  root = picky_json_parse_object (bytes, PICKY_WEBHOOK_MAX_JSON_DEPTH);
  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      JsonArray *sent = picky_json_get_array (root, "sentMessages");
      JsonNode *first = sent != NULL && json_array_get_length (sent) > 0 ? json_array_get_element (sent, 0) : NULL;
      const char *id = first != NULL && JSON_NODE_HOLDS_OBJECT (first)
                       ? picky_json_get_string (json_node_get_object (first), "id") : NULL;

      if (id == NULL)
        {
          g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                                   _("LINE accepted the message but gave no message id"));
          return;
        }
      g_task_return_pointer (task, g_strdup (id), g_free);
      return;
    }

  /* An expired or used reply token is refused as a bad request; the push
   * API reaches the same chat without one. */
  if (status == SOUP_STATUS_BAD_REQUEST && data->reply_token != NULL)
    {
      g_debug ("LINE refused the reply token; pushing instead");
      g_clear_pointer (&data->reply_token, g_free);
      send_now (task);
      return;
    }

  details = dup_error_details (root, status);
  switch (status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
      g_clear_pointer (&self->access_token, g_free);
      picky_channel_set_last_error (PICKY_CHANNEL (self),
                                    _("LINE rejected the channel access token. Issue a new long-lived token in the LINE Developers Console and enter it for this channel."));
      picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_AUTH_FAILED);
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAUTHORIZED,
                               _("LINE rejected the channel access token: %s"), details);
      break;
    case SOUP_STATUS_FORBIDDEN:
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                               _("This LINE channel may not send this message; check its plan and permissions in the LINE Developers Console: %s"),
                               details);
      break;
    case 429:  /* Too Many Requests, which libsoup names not */
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                               _("LINE asks to slow down, or this month’s message quota is used up: %s"), details);
      break;
    case SOUP_STATUS_BAD_REQUEST:
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                               _("LINE refused the message: %s"), details);
      break;
    default:
      {
        /* Built apart: a format macro inside a message hides it from xgettext. */
        g_autofree char *number = g_strdup_printf ("%u", status);

        g_task_return_new_error (task, PICKY_CHANNEL_ERROR,
                                 status >= 500 ? PICKY_CHANNEL_ERROR_UNAVAILABLE : PICKY_CHANNEL_ERROR_FAILED,
                                 _("LINE could not send the message (HTTP %s): %s"), number, details);
      }
      break;
    }
}

static void
send_now (GTask *task)
{
  PickyLineChannel *self = g_task_get_source_object (task);
  SendData *data = g_task_get_task_data (task);
  g_autofree char *base = picky_channel_dup_setting (PICKY_CHANNEL (self), "api_base",
                                                     PICKY_LINE_DEFAULT_API_BASE);
  g_autofree char *url = NULL;
  g_autofree char *authorization = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  SoupMessageHeaders *headers;

  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  url = g_strconcat (base, data->reply_token != NULL ? "/v2/bot/message/reply" : "/v2/bot/message/push", NULL);
  message = soup_message_new (SOUP_METHOD_POST, url);
  if (message == NULL)
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                               _("The LINE API address is not valid"));
      return;
    }

  headers = soup_message_get_request_headers (message);
  authorization = g_strconcat ("Bearer ", self->access_token, NULL);
  soup_message_headers_replace (headers, "Authorization", authorization);
  if (data->reply_token == NULL)
    {
      /* A push LINE took but whose answer was lost is not sent twice. */
      g_autofree char *key = g_uuid_string_random ();

      soup_message_headers_replace (headers, "X-Line-Retry-Key", key);
    }
  body = build_send_body (data);
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    on_send_reply_cb, g_object_ref (task));
}

static void
on_send_token_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyLineChannel *self = g_task_get_source_object (task);
  GError *error = NULL;
  char *token = picky_channel_lookup_secret_finish (PICKY_CHANNEL (self), result, &error);

  if (token == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_free (self->access_token);
  self->access_token = token;
  send_now (task);
}

static void
return_unfollowed (GTask *task)
{
  g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                           _("This customer has blocked the LINE account; LINE delivers nothing until they add it again"));
}

/* Takes over @task, whose recipient may be written to. */
static void
send_prepared (GTask *task)
{
  PickyLineChannel *self = g_task_get_source_object (task);
  SendData *data = g_task_get_task_data (task);

  /* A reply costs nothing against the monthly quota, a push does. */
  data->reply_token = take_reply_token (self, data->to);

  if (self->access_token != NULL)
    {
      send_now (task);
      g_object_unref (task);
      return;
    }
  picky_channel_lookup_secret_async (PICKY_CHANNEL (self), "access-token",
                                     _("No channel access token is stored for this LINE channel"),
                                     g_task_get_cancellable (task), on_send_token_cb, task);
}

static void
on_follow_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *value = picky_store_get_channel_state_finish (PICKY_STORE (object), result, &error);

  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (value != NULL)
    {
      return_unfollowed (task);
      return;
    }

  send_prepared (g_steal_pointer (&task));
}

static void
picky_line_channel_send_async (PickyChannel        *channel,
                               PickyMessage        *message,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  PickyLineChannel *self = PICKY_LINE_CHANNEL (channel);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *to = picky_message_get_contact_provider_id (message);
  const char *text = picky_message_get_text (message);
  SendData *data;

  g_task_set_source_tag (task, picky_line_channel_send_async);

  if (to == NULL || *to == '\0' || text == NULL || *text == '\0')
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                               _("A LINE reply needs a recipient and a text"));
      return;
    }
  if (g_hash_table_contains (self->unfollowed, to))
    {
      return_unfollowed (task);
      return;
    }

  data = g_new0 (SendData, 1);
  data->to = g_strdup (to);
  data->text = g_strdup (text);
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);

  /* Known here only since this start; the store knows from before, unless
   * they followed or wrote since. */
  if (picky_channel_get_store (channel) != NULL && !g_hash_table_contains (self->reachable, to))
    {
      g_autofree char *key = g_strconcat (UNFOLLOWED_PREFIX, to, NULL);

      picky_store_get_channel_state_async (picky_channel_get_store (channel), picky_channel_get_id (channel),
                                           key, cancellable, on_follow_read_cb, g_steal_pointer (&task));
      return;
    }

  send_prepared (g_steal_pointer (&task));
}

/* ---- Object ---- */

static void
picky_line_channel_constructed (GObject *object)
{
  PickyLineChannel *self = PICKY_LINE_CHANNEL (object);
  PickyWebhookServer *server;
  PickyAccess *access;

  G_OBJECT_CLASS (picky_line_channel_parent_class)->constructed (object);

  self->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_S,
                                                 "user-agent", "picky-console/" PACKAGE_VERSION,
                                                 NULL);

  access = picky_channel_get_access (PICKY_CHANNEL (self));
  if (access != NULL)
    g_signal_connect_object (access, "changed", G_CALLBACK (on_changed_cb), self, G_CONNECT_SWAPPED);

  server = picky_channel_get_webhook_server (PICKY_CHANNEL (self));
  if (server != NULL)
    g_signal_connect_object (server, "notify::bind-error",
                             G_CALLBACK (on_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
picky_line_channel_dispose (GObject *object)
{
  PickyLineChannel *self = PICKY_LINE_CHANNEL (object);

  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
  g_clear_object (&self->run_cancellable);
  picky_channel_leave_webhook (PICKY_CHANNEL (self));
  self->running = FALSE;
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (picky_line_channel_parent_class)->dispose (object);
}

static void
picky_line_channel_finalize (GObject *object)
{
  PickyLineChannel *self = PICKY_LINE_CHANNEL (object);

  g_free (self->channel_secret);
  g_free (self->access_token);
  g_hash_table_unref (self->reply_tokens);
  g_hash_table_unref (self->unfollowed);
  g_hash_table_unref (self->reachable);

  G_OBJECT_CLASS (picky_line_channel_parent_class)->finalize (object);
}

static void
picky_line_channel_class_init (PickyLineChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PickyChannelClass *channel_class = PICKY_CHANNEL_CLASS (klass);

  object_class->constructed = picky_line_channel_constructed;
  object_class->dispose = picky_line_channel_dispose;
  object_class->finalize = picky_line_channel_finalize;

  channel_class->start = picky_line_channel_start;
  channel_class->stop = picky_line_channel_stop;
  channel_class->send_async = picky_line_channel_send_async;

  picky_channel_class_set_kind (channel_class, "line", "line", N_("LINE Official Account"));
  picky_channel_class_set_webhook_sender (channel_class, "LINE");
  picky_channel_class_set_description (channel_class,
                                       N_("From the Messaging API channel in the LINE Developers Console: the channel secret and a long-lived channel access token. Both are stored in your system keyring only."));
  picky_channel_class_add_field (channel_class, "channel-secret", PICKY_CHANNEL_FIELD_SECRET,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("Channel Secret"), NULL,
                                 N_("Under Basic settings; it proves that a webhook comes from LINE."));
  picky_channel_class_add_field (channel_class, "access-token", PICKY_CHANNEL_FIELD_SECRET,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("Channel Access Token"), NULL,
                                 N_("Under Messaging API, issue a long-lived channel access token and copy it."));
  picky_channel_class_add_field (channel_class, "api_base", PICKY_CHANNEL_FIELD_URL,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("API Server"),
                                 PICKY_LINE_DEFAULT_API_BASE,
                                 N_("Change it only to reach LINE through a proxy of your own."));
}

static void
picky_line_channel_init (PickyLineChannel *self)
{
  self->reply_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) reply_token_free);
  self->unfollowed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->reachable = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * picky_line_channel_is_ready:
 * @self: a #PickyLineChannel
 *
 * Returns: whether it runs and has read its secret from the keyring
 */
gboolean
picky_line_channel_is_ready (PickyLineChannel *self)
{
  g_return_val_if_fail (PICKY_IS_LINE_CHANNEL (self), FALSE);

  return self->running && self->ready;
}

/**
 * picky_line_channel_get_n_events:
 * @self: a #PickyLineChannel
 *
 * Returns: how many events of any type arrived, signed by this channel,
 *   since it started
 */
guint64
picky_line_channel_get_n_events (PickyLineChannel *self)
{
  g_return_val_if_fail (PICKY_IS_LINE_CHANNEL (self), 0);

  return self->n_events;
}

/**
 * picky_line_channel_set_channel_secret:
 * @self: a #PickyLineChannel
 * @channel_secret: (nullable): the LINE channel's secret
 *
 * Replaces the secret held in memory, as after the admin stored a new one
 * in the keyring; %NULL makes the channel reject every webhook.
 */
void
picky_line_channel_set_channel_secret (PickyLineChannel *self,
                                       const char       *channel_secret)
{
  g_return_if_fail (PICKY_IS_LINE_CHANNEL (self));

  g_free (self->channel_secret);
  self->channel_secret = channel_secret != NULL && *channel_secret != '\0' ? g_strdup (channel_secret) : NULL;
  if (self->running && self->ready)
    update_state (self);
}
