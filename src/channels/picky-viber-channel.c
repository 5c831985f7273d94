/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Viber bots (REST Bot API): signed callbacks in, send_message out. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "picky-bidi.h"
#include "picky-channel-private.h"
#include "picky-json.h"
#include "picky-signature.h"
#include "picky-viber-channel.h"

#define SIGNATURE_HEADER "X-Viber-Content-Signature"
#define HTTP_TIMEOUT_S 30
/* Viber cuts a sender name longer than this. */
#define SENDER_NAME_MAX 28
/* The listener's public address, as phones and providers reach it. */
#define PUBLIC_URL_KEY "relay-public-url"

struct _PickyViberChannel
{
  PickyChannel  parent_instance;

  /* owned */
  SoupSession  *session;
  GSettings    *settings;
  GCancellable *run_cancellable;
  GCancellable *register_cancellable;
  char         *token;
  /* Users whose last word was "unsubscribed": Viber refuses them anything
   * until they write or subscribe again, so a reply fails at once with
   * that reason instead of going out to be refused. */
  GHashTable   *unsubscribed;
  /* Users whose stored unsubscription, if there was one, has been removed
   * since the channel was made: their next messages need no write. */
  GHashTable   *reachable;
  gboolean      running;
  gboolean      ready;
  gboolean      listener_failed;
  gboolean      register_failed;
  char         *registered_url;   /* what Viber last accepted as the callback address */
  guint64       n_events;
};

G_DEFINE_FINAL_TYPE (PickyViberChannel, picky_viber_channel, PICKY_TYPE_CHANNEL)

static void update_state (PickyViberChannel *self);
static void register_webhook (PickyViberChannel *self);

/* One callback while its message is being committed. */
typedef struct
{
  PickyWebhookRequest *request;
  GPtrArray           *messages;
  PickyViberChannel   *channel;
  char                *reachable;   /* the user whose unsubscription the commit removes */
} Delivery;

static void
delivery_free (Delivery *delivery)
{
  g_clear_object (&delivery->request);
  g_clear_object (&delivery->channel);
  g_free (delivery->reachable);
  g_clear_pointer (&delivery->messages, g_ptr_array_unref);
  g_free (delivery);
}

/**
 * picky_viber_channel_check_signature:
 * @body: the raw request body, exactly as received
 * @header: (nullable): the X-Viber-Content-Signature header
 * @token: (nullable): the bot's auth token
 *
 * Returns: whether @header is the HMAC-SHA256 of @body under @token in
 *   lower-case hex, as Viber sends it; always %FALSE without a token
 */
gboolean
picky_viber_channel_check_signature (GBytes     *body,
                                     const char *header,
                                     const char *token)
{
  guint8 expected[PICKY_SIGNATURE_SIZE];
  guint8 given[PICKY_SIGNATURE_SIZE];

  g_return_val_if_fail (body != NULL, FALSE);

  if (token == NULL || *token == '\0' || !picky_signature_decode_hex (header, given))
    return FALSE;

  picky_signature_compute (body, token, expected);
  return picky_signature_equal (expected, given, PICKY_SIGNATURE_SIZE);
}

/* Message tokens exceed 2^53, so they are read as int64, never as double. */
static char *
dup_token (JsonObject *object)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, "message_token") : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (json_node_get_value_type (node) == G_TYPE_STRING && *json_node_get_string (node) != '\0')
    return g_strdup (json_node_get_string (node));

  return NULL;
}

static gint64
get_seconds (JsonObject *object,
             gint64      fallback)
{
  JsonNode *node = json_object_get_member (object, "timestamp");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;

  /* Viber counts milliseconds. */
  return json_node_get_int (node) / 1000;
}

/* Fills kind, text and media from the "message" member. Types without
 * words keep a NULL text, which the inbox shows as a placeholder. */
static void
describe_message (JsonObject   *payload,
                  PickyMessage *message)
{
  static const char *const file_members[] = {
    "media", "thumbnail", "file_name", "size", "duration", "sticker_id", NULL,
  };
  static const struct {
    const char       *type;
    PickyMessageKind  kind;
  } files[] = {
    { "picture", PICKY_MESSAGE_KIND_IMAGE },
    { "video", PICKY_MESSAGE_KIND_VIDEO },
    { "file", PICKY_MESSAGE_KIND_DOCUMENT },
    { "sticker", PICKY_MESSAGE_KIND_STICKER },
  };
  const char *type = picky_json_get_string (payload, "type");
  g_autoptr(JsonBuilder) media = json_builder_new ();
  g_autofree char *media_json = NULL;

  if (g_strcmp0 (type, "text") == 0)
    {
      picky_message_set_kind (message, PICKY_MESSAGE_KIND_TEXT);
      picky_message_set_text (message, picky_json_get_string (payload, "text"));
      return;
    }

  json_builder_begin_object (media);
  json_builder_set_member_name (media, "type");
  json_builder_add_string_value (media, type != NULL ? type : "unknown");

  picky_message_set_kind (message, PICKY_MESSAGE_KIND_UNSUPPORTED);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    if (g_strcmp0 (type, files[i].type) == 0)
      {
        picky_message_set_kind (message, files[i].kind);
        picky_message_set_text (message, picky_json_get_string (payload, "text"));
        picky_json_copy_members (media, payload, file_members);
      }

  if (g_strcmp0 (type, "location") == 0)
    {
      static const char *const location_members[] = { "lat", "lon", NULL };
      JsonObject *location = picky_json_get_object (payload, "location");

      picky_message_set_kind (message, PICKY_MESSAGE_KIND_LOCATION);
      if (location != NULL)
        picky_json_copy_members (media, location, location_members);
    }
  else if (g_strcmp0 (type, "contact") == 0)
    {
      JsonObject *contact = picky_json_get_object (payload, "contact");

      picky_message_set_kind (message, PICKY_MESSAGE_KIND_CONTACT);
      picky_message_set_text (message, picky_json_get_string (contact, "name"));
    }
  else if (g_strcmp0 (type, "url") == 0)
    {
      /* A link is words the customer sent. */
      picky_message_set_kind (message, PICKY_MESSAGE_KIND_TEXT);
      picky_message_set_text (message, picky_json_get_string (payload, "media"));
    }

  json_builder_end_object (media);
  media_json = picky_json_builder_to_string (media);
  picky_message_set_media (message, media_json);
}

/**
 * picky_viber_channel_parse_event:
 * @root: one callback's object
 * @channel_id: the channel whose token signed it
 * @app: the app id stored with the message
 *
 * Turns a "message" event into an insert and "delivered", "seen" and
 * "failed" into status moves of our message with that token.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL for events
 *   that store nothing
 */
PickyMessage *
picky_viber_channel_parse_event (JsonObject *root,
                                 gint64      channel_id,
                                 const char *app)
{
  g_autoptr(PickyMessage) message = NULL;
  g_autofree char *token = NULL;
  const char *event;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_return_val_if_fail (root != NULL, NULL);

  event = picky_json_get_string (root, "event");
  token = dup_token (root);
  if (token == NULL)
    return NULL;

  if (g_strcmp0 (event, "message") == 0)
    {
      JsonObject *sender = picky_json_get_object (root, "sender");
      JsonObject *payload = picky_json_get_object (root, "message");
      const char *id = picky_json_get_string (sender, "id");

      if (id == NULL || *id == '\0' || payload == NULL)
        return NULL;

      message = picky_message_new ();
      picky_message_set_op (message, PICKY_MESSAGE_OP_INSERT);
      picky_message_set_channel_id (message, channel_id);
      picky_message_set_app (message, app);
      picky_message_set_provider_key (message, token);
      picky_message_set_contact_provider_id (message, id);
      picky_message_set_contact_name (message, picky_json_get_string (sender, "name"));
      picky_message_set_direction (message, PICKY_DIRECTION_IN);
      picky_message_set_timestamp (message, get_seconds (root, now));
      picky_message_set_received (message, now);
      describe_message (payload, message);
      return g_steal_pointer (&message);
    }

  if (g_strcmp0 (event, "delivered") == 0 || g_strcmp0 (event, "seen") == 0 ||
      g_strcmp0 (event, "failed") == 0)
    {
      message = picky_message_new ();
      picky_message_set_op (message, PICKY_MESSAGE_OP_STATUS);
      picky_message_set_channel_id (message, channel_id);
      picky_message_set_app (message, app);
      picky_message_set_provider_key (message, token);
      picky_message_set_direction (message, PICKY_DIRECTION_OUT);
      picky_message_set_status (message,
                                g_strcmp0 (event, "delivered") == 0 ? PICKY_MESSAGE_STATUS_DELIVERED :
                                g_strcmp0 (event, "seen") == 0 ? PICKY_MESSAGE_STATUS_READ :
                                PICKY_MESSAGE_STATUS_FAILED);
      picky_message_set_timestamp (message, get_seconds (root, now));
      picky_message_set_received (message, now);
      if (g_strcmp0 (event, "failed") == 0)
        picky_message_set_error (message, picky_json_get_string (root, "desc"));
      return g_steal_pointer (&message);
    }

  return NULL;
}

/* ---- The shared path ---- */

/* Who unsubscribed is kept in the channel's state in the store, one key
 * per user, so that it outlives a restart; subscribing again removes it. */
#define UNSUBSCRIBED_PREFIX "unsubscribed:"

/* Whether a reply can reach a user follows their last event: they leave
 * with "unsubscribed" and come back by subscribing, opening the
 * conversation or writing. Kept whatever the read switch says, since it
 * stores nothing of theirs and only spares a refused send.
 *
 * Returns: (transfer full) (nullable): the state key to write, with
 *   *@value "1" for unsubscribed and %NULL to remove it; %NULL when the
 *   event says nothing about it */
static char *
note_subscription (PickyViberChannel  *self,
                   JsonObject         *root,
                   const char        **value)
{
  const char *event = picky_json_get_string (root, "event");
  const char *user_id = NULL;

  *value = NULL;
  if (g_strcmp0 (event, "unsubscribed") == 0)
    {
      user_id = picky_json_get_string (root, "user_id");
      if (user_id == NULL || *user_id == '\0')
        return NULL;
      g_hash_table_add (self->unsubscribed, g_strdup (user_id));
      g_hash_table_remove (self->reachable, user_id);
      *value = "1";
      return g_strconcat (UNSUBSCRIBED_PREFIX, user_id, NULL);
    }

  if (g_strcmp0 (event, "subscribed") == 0 || g_strcmp0 (event, "conversation_started") == 0)
    user_id = picky_json_get_string (picky_json_get_object (root, "user"), "id");
  else if (g_strcmp0 (event, "message") == 0)
    user_id = picky_json_get_string (picky_json_get_object (root, "sender"), "id");

  if (user_id == NULL || *user_id == '\0')
    return NULL;

  /* Removed from the store even when not known here: it may have been
   * recorded before a restart; once per user and start is enough. */
  g_hash_table_remove (self->unsubscribed, user_id);
  if (!g_hash_table_add (self->reachable, g_strdup (user_id)))
    return NULL;
  return g_strconcat (UNSUBSCRIBED_PREFIX, user_id, NULL);
}

/* The unsubscription a failed commit did not remove is removed again by
 * the retry that the 503 asks for. */
static void
forget_reachable (Delivery *delivery)
{
  if (delivery->reachable != NULL)
    g_hash_table_remove (delivery->channel->reachable, delivery->reachable);
}

static void
on_subscription_stored_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  Delivery *delivery = user_data;
  g_autoptr(GError) error = NULL;

  /* Viber retries anything but a 200, and the write is idempotent. */
  if (!picky_store_set_channel_state_finish (PICKY_STORE (object), result, &error))
    {
      g_message ("Viber subscription change not stored, asking for a retry: %s", error->message);
      forget_reachable (delivery);
      picky_webhook_request_respond (delivery->request, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL, NULL, 0);
    }
  else
    picky_webhook_request_respond (delivery->request, SOUP_STATUS_OK, NULL, NULL, 0);

  delivery_free (delivery);
}

/* Answers an event that stores no message: once the subscription change
 * it carries, if any, is committed. */
static void
acknowledge (PickyViberChannel   *self,
             PickyWebhookRequest *request,
             const char          *state_key,
             const char          *state_value)
{
  PickyStore *store = picky_channel_get_store (PICKY_CHANNEL (self));
  Delivery *delivery;

  if (state_key == NULL || store == NULL)
    {
      picky_webhook_request_respond (request, SOUP_STATUS_OK, NULL, NULL, 0);
      return;
    }

  delivery = g_new0 (Delivery, 1);
  delivery->request = g_object_ref (request);
  delivery->channel = g_object_ref (self);
  if (state_value == NULL)
    delivery->reachable = g_strdup (state_key + strlen (UNSUBSCRIBED_PREFIX));
  picky_store_set_channel_state_async (store, picky_channel_get_id (PICKY_CHANNEL (self)),
                                       state_key, state_value, NULL,
                                       on_subscription_stored_cb, delivery);
}

/* Every running Viber channel on one listener is a member of "/viber":
 * each bot's callbacks are signed with its own token, which says whose
 * they are. */

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
      /* Viber retries anything but a 200, and storing is idempotent; the
       * retry removes the unsubscription again. */
      g_message ("Viber callback not stored, asking for a retry: %s", error->message);
      forget_reachable (delivery);
      picky_webhook_request_respond (delivery->request, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                     NULL, NULL, 0);
    }
  else
    picky_webhook_request_respond (delivery->request, SOUP_STATUS_OK, NULL, NULL, 0);

  delivery_free (delivery);
}

static void
handle_webhook_cb (PickyWebhookServer  *server,
                   PickyWebhookRequest *request,
                   GPtrArray           *members)
{
  GBytes *body = picky_webhook_request_get_body (request);
  const char *header = picky_webhook_request_get_header (request, SIGNATURE_HEADER);
  PickyViberChannel *signer = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(PickyMessage) message = NULL;
  g_autofree char *state_key = NULL;
  const char *state_value = NULL;
  Delivery *delivery;
  guint8 given[PICKY_SIGNATURE_SIZE];

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
   * member is compared, so the time taken names none. */
  if (picky_signature_decode_hex (header, given))
    for (guint i = 0; i < members->len; i++)
      {
        PickyViberChannel *channel = g_ptr_array_index (members, i);
        guint8 expected[PICKY_SIGNATURE_SIZE];

        if (channel->token == NULL)
          continue;
        picky_signature_compute (body, channel->token, expected);
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

  /* subscribed, unsubscribed, conversation_started and the "webhook" test
   * of set_webhook are acknowledged and counted. */
  signer->n_events++;
  state_key = note_subscription (signer, root, &state_value);

  if (!picky_channel_can_read (PICKY_CHANNEL (signer)))
    {
      if (g_strcmp0 (picky_json_get_string (root, "event"), "message") == 0)
        picky_access_count_dropped (picky_channel_get_access (PICKY_CHANNEL (signer)),
                                    picky_channel_get_app (PICKY_CHANNEL (signer)), 1);
      acknowledge (signer, request, state_key, state_value);
      return;
    }

  message = picky_viber_channel_parse_event (root, picky_channel_get_id (PICKY_CHANNEL (signer)),
                                             picky_channel_get_app (PICKY_CHANNEL (signer)));
  if (message == NULL || picky_channel_get_store (PICKY_CHANNEL (signer)) == NULL)
    {
      acknowledge (signer, request, state_key, state_value);
      return;
    }

  if (picky_message_get_op (message) == PICKY_MESSAGE_OP_INSERT)
    picky_channel_note_message_time (PICKY_CHANNEL (signer), picky_message_get_timestamp (message));

  /* Answered only once committed: a 200 promises the message is safe. */
  delivery = g_new0 (Delivery, 1);
  delivery->request = g_object_ref (request);
  delivery->messages = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (delivery->messages, g_steal_pointer (&message));
  /* A message from someone who had unsubscribed clears it in the same
   * transaction. */
  if (state_key != NULL)
    {
      delivery->channel = g_object_ref (signer);
      delivery->reachable = g_strdup (state_key + strlen (UNSUBSCRIBED_PREFIX));
    }
  if (state_key != NULL)
    picky_store_ingest_with_state_async (picky_channel_get_store (PICKY_CHANNEL (signer)), delivery->messages,
                                         picky_channel_get_id (PICKY_CHANNEL (signer)), state_key, state_value,
                                         NULL, on_delivery_ingested_cb, delivery);
  else
    picky_store_ingest_async (picky_channel_get_store (PICKY_CHANNEL (signer)), delivery->messages,
                              NULL, on_delivery_ingested_cb, delivery);
}

/* ---- Running ---- */

static void
update_state (PickyViberChannel *self)
{
  PickyChannel *channel = PICKY_CHANNEL (self);
  PickyWebhookServer *server = picky_channel_get_webhook_server (channel);

  if (!self->running)
    picky_channel_set_state (channel, PICKY_CHANNEL_STATE_STOPPED);
  else if (!self->ready)
    picky_channel_set_state (channel, PICKY_CHANNEL_STATE_CONNECTING);
  else if (self->token == NULL)
    {
      picky_channel_set_last_error (channel, _("No auth token is stored for this Viber bot, so every callback is rejected. Add the token and start the channel again."));
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_AUTH_FAILED);
    }
  else if (!picky_channel_is_webhook_member (channel))
    {
      picky_channel_set_last_error (channel, _("The webhook listener is not running, so no Viber messages can arrive"));
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

/* The token is read once per start and kept in memory: a callback must
 * not wait for the keyring, and a flood must not hammer it. */
static void
on_token_looked_up_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(PickyViberChannel) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  token = picky_vault_lookup_secret_finish (PICKY_VAULT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !self->running)
    return;
  if (error != NULL)
    {
      g_autofree char *why = picky_bidi_isolate (error->message);
      g_autofree char *reason = g_strdup_printf (_("Cannot read the Viber auth token from the keyring: %s"), why);

      picky_channel_set_last_error (PICKY_CHANNEL (self), reason);
      picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_AUTH_FAILED);
      return;
    }

  g_free (self->token);
  self->token = token != NULL && *token != '\0' ? g_steal_pointer (&token) : NULL;
  self->ready = TRUE;
  picky_channel_set_last_error (PICKY_CHANNEL (self), NULL);
  update_state (self);
  register_webhook (self);
}

static void
picky_viber_channel_start (PickyChannel *channel)
{
  PickyViberChannel *self = PICKY_VIBER_CHANNEL (channel);
  PickyVault *vault = picky_channel_get_vault (channel);

  if (self->running)
    return;

  self->running = TRUE;
  self->ready = FALSE;
  self->run_cancellable = g_cancellable_new ();
  picky_channel_set_last_error (channel, NULL);
  if (!picky_channel_is_webhook_member (channel))
    self->n_events = 0;
  picky_channel_join_webhook (channel, PICKY_VIBER_WEBHOOK_PATH, handle_webhook_cb);
  update_state (self);

  if (vault == NULL)
    {
      self->ready = TRUE;
      update_state (self);
      return;
    }
  picky_vault_lookup_secret_async (vault, picky_channel_get_id (channel), "token",
                                   self->run_cancellable, on_token_looked_up_cb, g_object_ref (self));
}

static void
picky_viber_channel_stop (PickyChannel *channel)
{
  PickyViberChannel *self = PICKY_VIBER_CHANNEL (channel);

  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
  g_clear_object (&self->run_cancellable);
  if (self->register_cancellable != NULL)
    g_cancellable_cancel (self->register_cancellable);
  g_clear_object (&self->register_cancellable);
  self->register_failed = FALSE;
  picky_channel_leave_webhook (channel);
  self->running = FALSE;
  self->ready = FALSE;
  g_clear_pointer (&self->token, g_free);
  update_state (self);
}

static void
on_changed_cb (PickyViberChannel *self)
{
  if (self->running && self->ready)
    update_state (self);
}

/* ---- Calling the API ---- */

/* Every call is a POST of JSON with the token in a header; %NULL when the
 * configured API address is no URL. */
static SoupMessage *
new_api_call (PickyViberChannel *self,
              const char        *method,
              GBytes            *body)
{
  g_autofree char *base = picky_channel_dup_setting (PICKY_CHANNEL (self), "api_base",
                                                     PICKY_VIBER_DEFAULT_API_BASE);
  g_autofree char *url = NULL;
  SoupMessage *message;

  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  url = g_strconcat (base, "/", method, NULL);
  message = soup_message_new (SOUP_METHOD_POST, url);
  if (message == NULL)
    return NULL;

  soup_message_headers_replace (soup_message_get_request_headers (message), "X-Viber-Auth-Token", self->token);
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  return message;
}

/* ---- Registering the callback address ---- */

static void
fail_registration (PickyViberChannel *self,
                   const char        *reason)
{
  g_autofree char *why = picky_bidi_isolate (reason);
  g_autofree char *text = g_strdup_printf (_("Viber was not told where to send this bot’s messages: %s"), why);

  self->register_failed = TRUE;
  picky_channel_set_last_error (PICKY_CHANNEL (self), text);
}

/* One set_webhook call on its way. */
typedef struct
{
  PickyViberChannel *self;
  char              *url;
} SetWebhookCall;

static void
set_webhook_call_free (SetWebhookCall *call)
{
  g_object_unref (call->self);
  g_free (call->url);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SetWebhookCall, set_webhook_call_free)

static void
on_webhook_set_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(SetWebhookCall) call = user_data;
  PickyViberChannel *self = call->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) root = NULL;
  JsonNode *status;
  const char *details;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !self->running)
    return;
  if (bytes == NULL)
    {
      fail_registration (self, error->message);
      return;
    }

  root = picky_json_parse_object (bytes, PICKY_WEBHOOK_MAX_JSON_DEPTH);
  status = root != NULL ? json_object_get_member (root, "status") : NULL;
  if (status == NULL || !JSON_NODE_HOLDS_VALUE (status) || json_node_get_value_type (status) != G_TYPE_INT64)
    {
      fail_registration (self, _("The Viber API gave an answer without a status"));
      return;
    }

  details = picky_json_get_string (root, "status_message");
  switch (json_node_get_int (status))
    {
    case 0:
      g_free (self->registered_url);
      self->registered_url = g_strdup (call->url);
      if (self->register_failed)
        picky_channel_set_last_error (PICKY_CHANNEL (self), NULL);
      self->register_failed = FALSE;
      break;
    case 1:
      /* Viber tries the address at once and wants HTTPS with a valid certificate. */
      fail_registration (self, _("Viber could not reach the console’s public address over HTTPS. Check that address and the reverse proxy or tunnel behind it."));
      break;
    case 2:
      g_clear_pointer (&self->token, g_free);
      picky_channel_set_last_error (PICKY_CHANNEL (self),
                                    _("Viber rejected the auth token. Enter the bot’s current token for this channel."));
      picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_AUTH_FAILED);
      break;
    default:
      fail_registration (self, details != NULL ? details : "");
      break;
    }
}

/* Viber keeps one callback address per bot. It is set whenever the
 * channel starts with its token and whenever the public address changes,
 * so that the bot follows the console; without a public address there is
 * nothing to tell, and the admin may have set one elsewhere. */
static void
register_webhook (PickyViberChannel *self)
{
  g_autofree char *public_url = NULL;
  g_autofree char *url = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  SetWebhookCall *call;
  static const char *const event_types[] = {
    "delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started",
  };

  if (self->register_cancellable != NULL)
    g_cancellable_cancel (self->register_cancellable);
  g_clear_object (&self->register_cancellable);
  g_clear_pointer (&self->registered_url, g_free);

  if (!self->running || !self->ready || self->token == NULL || self->settings == NULL)
    return;
  public_url = g_settings_get_string (self->settings, PUBLIC_URL_KEY);
  g_strstrip (public_url);
  while (g_str_has_suffix (public_url, "/"))
    public_url[strlen (public_url) - 1] = '\0';
  if (*public_url == '\0')
    return;
  url = g_strconcat (public_url, PICKY_VIBER_WEBHOOK_PATH, NULL);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, url);
  json_builder_set_member_name (builder, "event_types");
  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (event_types); i++)
    json_builder_add_string_value (builder, event_types[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "send_name");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "send_photo");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_end_object (builder);
  body = picky_json_builder_to_bytes (builder);

  message = new_api_call (self, "set_webhook", body);
  if (message == NULL)
    {
      fail_registration (self, _("The Viber API address is not valid"));
      return;
    }

  call = g_new0 (SetWebhookCall, 1);
  call->self = g_object_ref (self);
  call->url = g_steal_pointer (&url);
  self->register_cancellable = g_cancellable_new ();
  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT, self->register_cancellable,
                                    on_webhook_set_cb, call);
}

static void
on_public_url_changed_cb (PickyViberChannel *self)
{
  register_webhook (self);
}

/* ---- Sending ---- */

static GBytes *
build_send_body (PickyViberChannel *self,
                 const char        *receiver,
                 const char        *text)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *name = picky_channel_get_name (PICKY_CHANNEL (self));
  g_autofree char *sender = NULL;

  if (name == NULL || *name == '\0')
    name = "Viber Bot";
  sender = g_utf8_substring (name, 0, MIN ((glong) SENDER_NAME_MAX, g_utf8_strlen (name, -1)));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "receiver");
  json_builder_add_string_value (builder, receiver);
  json_builder_set_member_name (builder, "min_api_version");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "sender");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, sender);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "text");
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);

  return picky_json_builder_to_bytes (builder);
}

/* Viber reports errors in the body's "status", whatever the HTTP status;
 * the decision rests on the number, never on its wording. */
static void
return_send_error (GTask      *task,
                   gint64      code,
                   const char *said)
{
  PickyViberChannel *self = g_task_get_source_object (task);
  /* Viber's English, isolated in a sentence of the window's language. */
  g_autofree char *details = picky_bidi_isolate (said);
  g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, code);

  switch (code)
    {
    case 2:
      g_clear_pointer (&self->token, g_free);
      picky_channel_set_last_error (PICKY_CHANNEL (self),
                                    _("Viber rejected the auth token. Enter the bot’s current token for this channel."));
      picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_AUTH_FAILED);
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAUTHORIZED,
                               _("Viber rejected the auth token: %s"), details);
      break;
    case 5:
    case 11:
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                               _("This customer is not on Viber with a device that can receive the message"));
      break;
    case 6:
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                               _("This customer has not subscribed to the bot or has unsubscribed; Viber accepts a message only after they write again"));
      break;
    case 7:
    case 8:
    case 9:
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                               _("Viber says the bot’s account is blocked, suspended or gone: %s"), details);
      break;
    case 12:
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                               _("Viber refuses more messages to this customer until they reply: %s"), details);
      break;
    case 3:
    case 4:
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                               _("Viber refused the message as malformed (error %s): %s"), number, details);
      break;
    default:
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                               _("Viber could not send the message (error %s): %s"), number, details);
      break;
    }
}

static void
on_send_reply_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autofree char *token = NULL;
  const char *details;
  JsonNode *status;
  gint64 code;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (bytes == NULL)
    {
      g_autofree char *why = picky_bidi_isolate (error->message);

      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                               _("Cannot reach the Viber API: %s"), why);
      return;
    }

  root = picky_json_parse_object (bytes, PICKY_WEBHOOK_MAX_JSON_DEPTH);
  status = root != NULL ? json_object_get_member (root, "status") : NULL;
  if (status == NULL || !JSON_NODE_HOLDS_VALUE (status) || json_node_get_value_type (status) != G_TYPE_INT64)
    {
      guint http = soup_message_get_status (message);
      g_autofree char *phrase = picky_bidi_isolate (soup_status_get_phrase (http));

      g_task_return_new_error (task, PICKY_CHANNEL_ERROR,
                               http >= 500 ? PICKY_CHANNEL_ERROR_UNAVAILABLE : PICKY_CHANNEL_ERROR_FAILED,
                               _("The Viber API gave an answer without a status: %s"), phrase);
      return;
    }

  code = json_node_get_int (status);
  details = picky_json_get_string (root, "status_message");
  if (details == NULL)
    details = "";
  if (code != 0)
    {
      return_send_error (task, code, details);
      return;
    }

  token = dup_token (root);
  if (token == NULL)
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                               _("Viber accepted the message but gave no message token"));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&token), g_free);
}

static void
send_now (GTask *task)
{
  PickyViberChannel *self = g_task_get_source_object (task);
  GBytes *body = g_task_get_task_data (task);
  g_autoptr(SoupMessage) message = new_api_call (self, "send_message", body);

  if (message == NULL)
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                               _("The Viber API address is not valid"));
      return;
    }

  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    on_send_reply_cb, g_object_ref (task));
}

static void
on_send_token_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyViberChannel *self = g_task_get_source_object (task);
  GError *error = NULL;
  char *token = picky_channel_lookup_secret_finish (PICKY_CHANNEL (self), result, &error);

  if (token == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_free (self->token);
  self->token = token;
  send_now (task);
}

static void
return_unsubscribed (GTask *task)
{
  g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                           _("This customer unsubscribed from the bot on Viber; a reply reaches them only after they write again or subscribe"));
}

/* Takes over @task. */
static void
send_with_token (GTask *task)
{
  PickyViberChannel *self = g_task_get_source_object (task);

  if (self->token != NULL)
    {
      send_now (task);
      g_object_unref (task);
      return;
    }
  picky_channel_lookup_secret_async (PICKY_CHANNEL (self), "token", _("No auth token is stored for this Viber bot"),
                                     g_task_get_cancellable (task), on_send_token_cb, task);
}

static void
on_subscription_read_cb (GObject      *object,
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
      return_unsubscribed (task);
      return;
    }

  send_with_token (g_steal_pointer (&task));
}

static void
picky_viber_channel_send_async (PickyChannel        *channel,
                                PickyMessage        *message,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  PickyViberChannel *self = PICKY_VIBER_CHANNEL (channel);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *receiver = picky_message_get_contact_provider_id (message);
  const char *text = picky_message_get_text (message);

  g_task_set_source_tag (task, picky_viber_channel_send_async);

  if (receiver == NULL || *receiver == '\0' || text == NULL || *text == '\0')
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                               _("A Viber reply needs a recipient and a text"));
      return;
    }

  g_task_set_task_data (task, build_send_body (self, receiver, text), (GDestroyNotify) g_bytes_unref);
  if (g_hash_table_contains (self->unsubscribed, receiver))
    {
      return_unsubscribed (task);
      return;
    }

  /* Known here only since this start; the store knows from before. */
  if (picky_channel_get_store (channel) != NULL)
    {
      g_autofree char *key = g_strconcat (UNSUBSCRIBED_PREFIX, receiver, NULL);

      picky_store_get_channel_state_async (picky_channel_get_store (channel), picky_channel_get_id (channel),
                                           key, cancellable, on_subscription_read_cb,
                                           g_steal_pointer (&task));
      return;
    }

  send_with_token (g_steal_pointer (&task));
}

/* ---- Object ---- */

static void
picky_viber_channel_constructed (GObject *object)
{
  PickyViberChannel *self = PICKY_VIBER_CHANNEL (object);
  PickyWebhookServer *server;
  PickyAccess *access;
  GSettingsSchemaSource *source;
  g_autoptr(GSettingsSchema) schema = NULL;

  G_OBJECT_CLASS (picky_viber_channel_parent_class)->constructed (object);

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

  /* Without the console's schema (a benchmark) there is no public address. */
  source = g_settings_schema_source_get_default ();
  schema = source != NULL ? g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE) : NULL;
  if (schema == NULL)
    return;
  self->settings = g_settings_new (APPLICATION_ID);
  g_signal_connect_object (self->settings, "changed::" PUBLIC_URL_KEY,
                           G_CALLBACK (on_public_url_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
picky_viber_channel_dispose (GObject *object)
{
  PickyViberChannel *self = PICKY_VIBER_CHANNEL (object);

  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
  g_clear_object (&self->run_cancellable);
  if (self->register_cancellable != NULL)
    g_cancellable_cancel (self->register_cancellable);
  g_clear_object (&self->register_cancellable);
  picky_channel_leave_webhook (PICKY_CHANNEL (self));
  self->running = FALSE;
  g_clear_object (&self->settings);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (picky_viber_channel_parent_class)->dispose (object);
}

static void
picky_viber_channel_finalize (GObject *object)
{
  PickyViberChannel *self = PICKY_VIBER_CHANNEL (object);

  g_free (self->token);
  g_free (self->registered_url);
  g_clear_pointer (&self->unsubscribed, g_hash_table_unref);
  g_clear_pointer (&self->reachable, g_hash_table_unref);

  G_OBJECT_CLASS (picky_viber_channel_parent_class)->finalize (object);
}

static void
picky_viber_channel_class_init (PickyViberChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PickyChannelClass *channel_class = PICKY_CHANNEL_CLASS (klass);

  object_class->constructed = picky_viber_channel_constructed;
  object_class->dispose = picky_viber_channel_dispose;
  object_class->finalize = picky_viber_channel_finalize;

  channel_class->start = picky_viber_channel_start;
  channel_class->stop = picky_viber_channel_stop;
  channel_class->send_async = picky_viber_channel_send_async;

  picky_channel_class_set_kind (channel_class, "viber", "viber", N_("Viber Bot"));
  picky_channel_class_set_webhook_sender (channel_class, "Viber");
  picky_channel_class_set_description (channel_class,
                                       N_("A Viber bot’s auth token, from the bot’s page in the Viber Admin Panel. It is stored in your system keyring only and proves that a callback comes from Viber."));
  picky_channel_class_add_field (channel_class, "token", PICKY_CHANNEL_FIELD_SECRET,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("Auth Token"), NULL,
                                 N_("In the Viber Admin Panel, open the bot and copy the token shown under its name."));
  picky_channel_class_add_field (channel_class, "api_base", PICKY_CHANNEL_FIELD_URL,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("API Server"),
                                 PICKY_VIBER_DEFAULT_API_BASE,
                                 N_("Change it only to reach Viber through a proxy of your own."));
}

static void
picky_viber_channel_init (PickyViberChannel *self)
{
  self->unsubscribed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->reachable = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * picky_viber_channel_is_ready:
 * @self: a #PickyViberChannel
 *
 * Returns: whether it runs and has read its token from the keyring
 */
gboolean
picky_viber_channel_is_ready (PickyViberChannel *self)
{
  g_return_val_if_fail (PICKY_IS_VIBER_CHANNEL (self), FALSE);

  return self->running && self->ready;
}

/**
 * picky_viber_channel_get_registered_url:
 * @self: a #PickyViberChannel
 *
 * Returns: (nullable): the callback address Viber last accepted for this
 *   bot since the channel started or the public address changed
 */
const char *
picky_viber_channel_get_registered_url (PickyViberChannel *self)
{
  g_return_val_if_fail (PICKY_IS_VIBER_CHANNEL (self), NULL);

  return self->registered_url;
}

/**
 * picky_viber_channel_get_n_events:
 * @self: a #PickyViberChannel
 *
 * Returns: how many signed callbacks of any event arrived for this bot
 *   since it started
 */
guint64
picky_viber_channel_get_n_events (PickyViberChannel *self)
{
  g_return_val_if_fail (PICKY_IS_VIBER_CHANNEL (self), 0);

  return self->n_events;
}

/**
 * picky_viber_channel_set_token:
 * @self: a #PickyViberChannel
 * @token: (nullable): the bot's auth token
 *
 * Replaces the token held in memory, as after the admin stored a new one
 * in the keyring; %NULL makes the channel reject every callback.
 */
void
picky_viber_channel_set_token (PickyViberChannel *self,
                               const char        *token)
{
  g_return_if_fail (PICKY_IS_VIBER_CHANNEL (self));

  g_free (self->token);
  self->token = token != NULL && *token != '\0' ? g_strdup (token) : NULL;
  if (self->running && self->ready)
    update_state (self);
}
