/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Facebook Messenger pages (Meta webhooks, object "page"): signed events
 * in, the Graph Send API out. Instagram derives from it. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "picky-bidi.h"
#include "picky-channel-private.h"
#include "picky-json.h"
#include "picky-messenger-channel.h"
#include "picky-meta-webhook.h"

#define HTTP_TIMEOUT_S 30
/* Read receipts name a time, not messages: this many of our latest
 * messages per customer are remembered to apply them to. */
#define SENT_REMEMBERED 64

typedef struct
{
  SoupSession  *session;
  GCancellable *run_cancellable;
  char         *account_id;
  char         *app_secret;
  char         *verify_token;
  char         *access_token;
  GHashTable   *sent;          /* customer id → GQueue of Sent, oldest first */
  gboolean      running;
  gboolean      ready;
  gboolean      listener_failed;
  guint64       n_unknown;
} PickyMessengerChannelPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (PickyMessengerChannel, picky_messenger_channel, PICKY_TYPE_CHANNEL)

#define PRIV(self) ((PickyMessengerChannelPrivate *) picky_messenger_channel_get_instance_private (PICKY_MESSENGER_CHANNEL (self)))

typedef struct
{
  char   *mid;
  gint64  time_ms;
} Sent;

/* One webhook POST while its messages are being committed. */
typedef struct
{
  PickyWebhookRequest *request;
  GPtrArray           *messages;
} Delivery;

static void update_state (PickyMessengerChannel *self);

static void
sent_free (Sent *sent)
{
  g_free (sent->mid);
  g_free (sent);
}

static void
sent_queue_free (GQueue *queue)
{
  g_queue_free_full (queue, (GDestroyNotify) sent_free);
}

static void
delivery_free (Delivery *delivery)
{
  g_clear_object (&delivery->request);
  g_clear_pointer (&delivery->messages, g_ptr_array_unref);
  g_free (delivery);
}

static gint64
get_int (JsonObject *object,
         const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;

  return json_node_get_int (node);
}

static PickyMessage *
new_message (PickyMessageOp  op,
             const char     *key,
             gint64          channel_id,
             const char     *app,
             gint64          time_ms)
{
  PickyMessage *message = picky_message_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  picky_message_set_op (message, op);
  picky_message_set_channel_id (message, channel_id);
  picky_message_set_app (message, app);
  picky_message_set_provider_key (message, key);
  /* Meta counts milliseconds. */
  picky_message_set_timestamp (message, time_ms >= 0 ? time_ms / 1000 : now);
  picky_message_set_received (message, now);

  return message;
}

static PickyMessage *
new_status (const char         *mid,
            PickyMessageStatus  status,
            gint64              channel_id,
            const char          *app,
            gint64              time_ms)
{
  PickyMessage *message = new_message (PICKY_MESSAGE_OP_STATUS, mid, channel_id, app, time_ms);

  picky_message_set_direction (message, PICKY_DIRECTION_OUT);
  picky_message_set_status (message, status);

  return message;
}

/* Text and attachments of a "message": attachments become placeholders
 * that keep their type and address, the first one giving the kind. */
static void
describe_message (JsonObject   *payload,
                  PickyMessage *message)
{
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
  JsonArray *attachments = picky_json_get_array (payload, "attachments");
  JsonObject *quick_reply = picky_json_get_object (payload, "quick_reply");
  JsonObject *reply_to = picky_json_get_object (payload, "reply_to");
  g_autoptr(JsonBuilder) media = NULL;
  g_autofree char *media_json = NULL;

  picky_message_set_kind (message, PICKY_MESSAGE_KIND_TEXT);
  picky_message_set_text (message, picky_json_get_string (payload, "text"));
  if (picky_json_get_string (reply_to, "mid") != NULL)
    picky_message_set_related_key (message, picky_json_get_string (reply_to, "mid"));

  if ((attachments == NULL || json_array_get_length (attachments) == 0) && quick_reply == NULL)
    return;

  media = json_builder_new ();
  json_builder_begin_object (media);
  if (quick_reply != NULL)
    {
      static const char *const reply_members[] = { "payload", NULL };

      json_builder_set_member_name (media, "type");
      json_builder_add_string_value (media, "quick_reply");
      picky_json_copy_members (media, quick_reply, reply_members);
    }
  if (attachments != NULL && json_array_get_length (attachments) > 0)
    {
      if (quick_reply == NULL)
        {
          JsonNode *first = json_array_get_element (attachments, 0);
          const char *type = JSON_NODE_HOLDS_OBJECT (first) ? picky_json_get_string (json_node_get_object (first), "type") : NULL;

          json_builder_set_member_name (media, "type");
          json_builder_add_string_value (media, type != NULL ? type : "unknown");
          picky_message_set_kind (message, PICKY_MESSAGE_KIND_UNSUPPORTED);
          for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
            if (g_strcmp0 (type, kinds[i].type) == 0)
              picky_message_set_kind (message, kinds[i].kind);
        }

      json_builder_set_member_name (media, "attachments");
      json_builder_begin_array (media);
      for (guint i = 0; i < json_array_get_length (attachments); i++)
        {
          static const char *const type_members[] = { "type", NULL };
          static const char *const payload_members[] = { "url", "title", "sticker_id", NULL };
          JsonNode *node = json_array_get_element (attachments, i);
          JsonObject *attachment, *details;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            continue;
          attachment = json_node_get_object (node);
          details = picky_json_get_object (attachment, "payload");
          json_builder_begin_object (media);
          picky_json_copy_members (media, attachment, type_members);
          if (details != NULL)
            picky_json_copy_members (media, details, payload_members);
          json_builder_end_object (media);
        }
      json_builder_end_array (media);
    }
  json_builder_end_object (media);
  media_json = picky_json_builder_to_string (media);
  picky_message_set_media (message, media_json);
}

/**
 * picky_messenger_channel_parse_event:
 * @event: one element of an entry's "messaging"
 * @account_id: the page or Instagram account the entry is for
 * @channel_id: the channel that serves it
 * @app: the app id stored with the messages
 *
 * Turns a customer's message into an insert keyed by its mid, an echo of
 * the page's own message (sent here or elsewhere) into an outgoing insert,
 * a reaction into a reaction row on the message it names, an edit into an
 * edit, a tapped button into a text, and receipts that name messages into
 * status moves. A read receipt that names only a time yields nothing here;
 * the channel applies it to the messages it remembers.
 *
 * Returns: (transfer container) (element-type PickyMessage): the messages
 */
GPtrArray *
picky_messenger_channel_parse_event (JsonObject *event,
                                     const char *account_id,
                                     gint64      channel_id,
                                     const char *app)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  const char *sender = picky_json_get_string (picky_json_get_object (event, "sender"), "id");
  const char *recipient = picky_json_get_string (picky_json_get_object (event, "recipient"), "id");
  gint64 time_ms = get_int (event, "timestamp");
  JsonObject *payload;

  g_return_val_if_fail (event != NULL, NULL);

  if (sender == NULL || *sender == '\0')
    return g_steal_pointer (&messages);

  if ((payload = picky_json_get_object (event, "message")) != NULL)
    {
      const char *mid = picky_json_get_string (payload, "mid");
      gboolean echo = json_object_get_boolean_member_with_default (payload, "is_echo", FALSE);
      const char *customer = echo ? recipient : sender;
      PickyMessage *message;

      if (mid == NULL || *mid == '\0' || customer == NULL || *customer == '\0')
        return g_steal_pointer (&messages);

      message = new_message (PICKY_MESSAGE_OP_INSERT, mid, channel_id, app, time_ms);
      picky_message_set_contact_provider_id (message, customer);
      describe_message (payload, message);
      if (echo)
        {
          /* The page wrote it, here or in Meta's own inbox. */
          picky_message_set_direction (message, PICKY_DIRECTION_OUT);
          picky_message_set_status (message, PICKY_MESSAGE_STATUS_SENT);
        }
      else
        picky_message_set_direction (message, PICKY_DIRECTION_IN);
      g_ptr_array_add (messages, message);
    }
  else if ((payload = picky_json_get_object (event, "reaction")) != NULL)
    {
      const char *mid = picky_json_get_string (payload, "mid");
      g_autofree char *key = NULL;
      PickyMessage *message;

      if (mid == NULL || *mid == '\0')
        return g_steal_pointer (&messages);

      /* A reaction has no id of its own: who, on what and when make one,
       * so a redelivery is stored once and a later change wins. */
      key = g_strdup_printf ("reaction:%s:%s:%" G_GINT64_FORMAT, sender, mid, time_ms);
      message = new_message (PICKY_MESSAGE_OP_INSERT, key, channel_id, app, time_ms);
      picky_message_set_contact_provider_id (message, sender);
      picky_message_set_direction (message, PICKY_DIRECTION_IN);
      picky_message_set_kind (message, PICKY_MESSAGE_KIND_REACTION);
      picky_message_set_related_key (message, mid);
      if (g_strcmp0 (picky_json_get_string (payload, "action"), "unreact") != 0)
        picky_message_set_text (message, picky_json_get_string (payload, "emoji"));
      g_ptr_array_add (messages, message);
    }
  else if ((payload = picky_json_get_object (event, "message_edit")) != NULL)
    {
      const char *mid = picky_json_get_string (payload, "mid");
      PickyMessage *message;

      if (mid == NULL || *mid == '\0' || picky_json_get_string (payload, "text") == NULL)
        return g_steal_pointer (&messages);

      message = new_message (PICKY_MESSAGE_OP_EDIT, mid, channel_id, app, time_ms);
      picky_message_set_contact_provider_id (message, sender);
      picky_message_set_direction (message, PICKY_DIRECTION_IN);
      picky_message_set_text (message, picky_json_get_string (payload, "text"));
      g_ptr_array_add (messages, message);
    }
  else if ((payload = picky_json_get_object (event, "postback")) != NULL)
    {
      const char *mid = picky_json_get_string (payload, "mid");
      g_autofree char *key = mid != NULL && *mid != '\0'
                             ? g_strdup (mid)
                             : g_strdup_printf ("postback:%s:%" G_GINT64_FORMAT, sender, time_ms);
      g_autoptr(JsonBuilder) media = json_builder_new ();
      g_autofree char *media_json = NULL;
      static const char *const postback_members[] = { "payload", NULL };
      PickyMessage *message;

      /* The button's title is what the customer saw and chose. */
      message = new_message (PICKY_MESSAGE_OP_INSERT, key, channel_id, app, time_ms);
      picky_message_set_contact_provider_id (message, sender);
      picky_message_set_direction (message, PICKY_DIRECTION_IN);
      picky_message_set_kind (message, PICKY_MESSAGE_KIND_TEXT);
      picky_message_set_text (message, picky_json_get_string (payload, "title"));
      json_builder_begin_object (media);
      json_builder_set_member_name (media, "type");
      json_builder_add_string_value (media, "postback");
      picky_json_copy_members (media, payload, postback_members);
      json_builder_end_object (media);
      media_json = picky_json_builder_to_string (media);
      picky_message_set_media (message, media_json);
      g_ptr_array_add (messages, message);
    }
  else if ((payload = picky_json_get_object (event, "delivery")) != NULL)
    {
      JsonArray *mids = picky_json_get_array (payload, "mids");

      for (guint i = 0; mids != NULL && i < json_array_get_length (mids); i++)
        {
          JsonNode *node = json_array_get_element (mids, i);

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
              *json_node_get_string (node) != '\0')
            g_ptr_array_add (messages, new_status (json_node_get_string (node), PICKY_MESSAGE_STATUS_DELIVERED,
                                                   channel_id, app, time_ms));
        }
    }
  else if ((payload = picky_json_get_object (event, "read")) != NULL)
    {
      /* Instagram names the message read; Messenger only a time. */
      const char *mid = picky_json_get_string (payload, "mid");

      if (mid != NULL && *mid != '\0')
        g_ptr_array_add (messages, new_status (mid, PICKY_MESSAGE_STATUS_READ, channel_id, app, time_ms));
    }

  (void) account_id;
  return g_steal_pointer (&messages);
}

/* ---- Remembering our messages for receipts that name a time ---- */

static void
remember_sent (PickyMessengerChannel *self,
               const char            *customer,
               const char            *mid,
               gint64                 time_ms)
{
  PickyMessengerChannelPrivate *priv = PRIV (self);
  GQueue *queue = g_hash_table_lookup (priv->sent, customer);
  Sent *sent;

  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (priv->sent, g_strdup (customer), queue);
    }
  for (GList *l = queue->head; l != NULL; l = l->next)
    if (g_strcmp0 (((Sent *) l->data)->mid, mid) == 0)
      return;

  sent = g_new0 (Sent, 1);
  sent->mid = g_strdup (mid);
  sent->time_ms = time_ms;
  g_queue_push_tail (queue, sent);
  while (g_queue_get_length (queue) > SENT_REMEMBERED)
    sent_free (g_queue_pop_head (queue));
}

/* A watermark says: everything sent to this customer until then. Delivered
 * ones stay remembered for the read that follows; read ones are done. */
static void
apply_watermark (PickyMessengerChannel *self,
                 const char            *customer,
                 gint64                 watermark,
                 PickyMessageStatus     status,
                 GPtrArray             *batch)
{
  PickyMessengerChannelPrivate *priv = PRIV (self);
  GQueue *queue = customer != NULL ? g_hash_table_lookup (priv->sent, customer) : NULL;
  GList *l;

  if (queue == NULL || watermark < 0)
    return;

  l = queue->head;
  while (l != NULL)
    {
      Sent *sent = l->data;
      GList *next = l->next;

      if (sent->time_ms <= watermark)
        {
          g_ptr_array_add (batch, new_status (sent->mid, status, picky_channel_get_id (PICKY_CHANNEL (self)),
                                              picky_channel_get_app (PICKY_CHANNEL (self)), watermark));
          if (status == PICKY_MESSAGE_STATUS_READ)
            {
              sent_free (sent);
              g_queue_delete_link (queue, l);
            }
        }
      l = next;
    }
}

/* ---- The shared path ---- */

/* Every running channel of a kind on one listener is a member of its path:
 * Meta posts all pages of an app to one callback URL, each entry going to
 * the channel of its page or account id. */

static const char *
get_verify_token (gpointer member)
{
  return PRIV (member)->verify_token;
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
      /* Meta retries anything but a 2xx, and storing is idempotent. */
      g_message ("Meta webhook not stored, asking for a retry: %s", error->message);
      picky_webhook_request_respond (delivery->request, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL, NULL, 0);
    }
  else
    picky_webhook_request_respond (delivery->request, SOUP_STATUS_OK, NULL, NULL, 0);

  delivery_free (delivery);
}

static PickyMessengerChannel *
find_signer (GPtrArray  *signers,
             const char *account_id)
{
  for (guint i = 0; account_id != NULL && i < signers->len; i++)
    if (g_strcmp0 (PRIV (g_ptr_array_index (signers, i))->account_id, account_id) == 0)
      return g_ptr_array_index (signers, i);

  return NULL;
}

static void
handle_entry (GPtrArray  *signers,
              JsonObject *entry,
              GPtrArray  *batch,
              PickyStore **store)
{
  const char *account_id = picky_json_get_string (entry, "id");
  PickyMessengerChannel *channel = find_signer (signers, account_id);
  JsonArray *events = picky_json_get_array (entry, "messaging");
  guint n_events = events != NULL ? json_array_get_length (events) : 0;

  if (channel == NULL)
    {
      /* A page of the same app that no channel here serves: acknowledged,
       * so Meta stops retrying, and counted by each channel of that app. */
      for (guint i = 0; i < signers->len; i++)
        PRIV (g_ptr_array_index (signers, i))->n_unknown += MAX (1, n_events);
      return;
    }

  for (guint i = 0; i < n_events; i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      g_autoptr(GPtrArray) messages = NULL;
      JsonObject *event, *receipt;
      const char *sender;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      event = json_node_get_object (node);
      messages = picky_messenger_channel_parse_event (event, account_id,
                                                      picky_channel_get_id (PICKY_CHANNEL (channel)),
                                                      picky_channel_get_app (PICKY_CHANNEL (channel)));

      if (!picky_channel_can_read (PICKY_CHANNEL (channel)))
        {
          guint n = 0;

          for (guint m = 0; m < messages->len; m++)
            n += picky_message_get_op (g_ptr_array_index (messages, m)) == PICKY_MESSAGE_OP_INSERT;
          if (n > 0)
            picky_access_count_dropped (picky_channel_get_access (PICKY_CHANNEL (channel)),
                                        picky_channel_get_app (PICKY_CHANNEL (channel)), n);
          continue;
        }

      sender = picky_json_get_string (picky_json_get_object (event, "sender"), "id");
      if ((receipt = picky_json_get_object (event, "read")) != NULL && picky_json_get_string (receipt, "mid") == NULL)
        apply_watermark (channel, sender, get_int (receipt, "watermark"), PICKY_MESSAGE_STATUS_READ, batch);
      else if ((receipt = picky_json_get_object (event, "delivery")) != NULL && picky_json_get_array (receipt, "mids") == NULL)
        apply_watermark (channel, sender, get_int (receipt, "watermark"), PICKY_MESSAGE_STATUS_DELIVERED, batch);

      for (guint m = 0; m < messages->len; m++)
        {
          PickyMessage *message = g_ptr_array_index (messages, m);

          if (picky_message_get_op (message) == PICKY_MESSAGE_OP_INSERT)
            {
              picky_channel_note_message_time (PICKY_CHANNEL (channel), picky_message_get_timestamp (message));
              if (picky_message_get_direction (message) == PICKY_DIRECTION_OUT)
                remember_sent (channel, picky_message_get_contact_provider_id (message),
                               picky_message_get_provider_key (message), get_int (event, "timestamp"));
            }
          g_ptr_array_add (batch, g_object_ref (message));
        }
      *store = picky_channel_get_store (PICKY_CHANNEL (channel));
    }
}

static void
handle_notification (GPtrArray           *members,
                     PickyWebhookRequest *request)
{
  GBytes *body = picky_webhook_request_get_body (request);
  const char *header = picky_webhook_request_get_header (request, PICKY_META_SIGNATURE_HEADER);
  g_autoptr(GPtrArray) signers = g_ptr_array_new ();
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  PickyMessengerChannelClass *klass;
  PickyStore *store = NULL;
  guint8 given[PICKY_SIGNATURE_SIZE];
  JsonArray *entries;
  Delivery *delivery;

  if (header == NULL)
    {
      picky_webhook_request_respond (request, SOUP_STATUS_UNAUTHORIZED, NULL, NULL, 0);
      return;
    }

  /* The signature decides before a single byte of JSON is looked at. A
   * channel without its app secret signs nothing. */
  if (picky_meta_decode_signature (header, given))
    for (guint i = 0; i < members->len; i++)
      {
        PickyMessengerChannelPrivate *priv = PRIV (g_ptr_array_index (members, i));
        guint8 expected[PICKY_SIGNATURE_SIZE];

        if (priv->app_secret == NULL)
          continue;
        picky_signature_compute (body, priv->app_secret, expected);
        if (picky_signature_equal (expected, given, PICKY_SIGNATURE_SIZE))
          g_ptr_array_add (signers, g_ptr_array_index (members, i));
      }

  if (signers->len == 0)
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

  /* Another product's object on this path is acknowledged and left alone. */
  klass = PICKY_MESSENGER_CHANNEL_GET_CLASS (g_ptr_array_index (signers, 0));
  batch = g_ptr_array_new_with_free_func (g_object_unref);
  entries = g_strcmp0 (picky_json_get_string (root, "object"), klass->object) == 0
            ? picky_json_get_array (root, "entry") : NULL;
  for (guint e = 0; entries != NULL && e < json_array_get_length (entries); e++)
    {
      JsonNode *entry = json_array_get_element (entries, e);

      if (JSON_NODE_HOLDS_OBJECT (entry))
        handle_entry (signers, json_node_get_object (entry), batch, &store);
    }

  if (batch->len == 0 || store == NULL)
    {
      picky_webhook_request_respond (request, SOUP_STATUS_OK, NULL, NULL, 0);
      return;
    }

  /* Answered only once committed: a 200 promises the messages are safe. */
  delivery = g_new0 (Delivery, 1);
  delivery->request = g_object_ref (request);
  delivery->messages = g_steal_pointer (&batch);
  picky_store_ingest_async (store, delivery->messages, NULL, on_delivery_ingested_cb, delivery);
}

static void
handle_webhook_cb (PickyWebhookServer  *server,
                   PickyWebhookRequest *request,
                   GPtrArray           *members)
{
  if (g_strcmp0 (picky_webhook_request_get_method (request), SOUP_METHOD_GET) == 0)
    picky_meta_handle_verify (request, members, get_verify_token);
  else if (g_strcmp0 (picky_webhook_request_get_method (request), SOUP_METHOD_POST) == 0)
    handle_notification (members, request);
  else
    picky_webhook_request_respond (request, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL, NULL, 0);
}

/* ---- Running ---- */

static void
update_state (PickyMessengerChannel *self)
{
  PickyMessengerChannelPrivate *priv = PRIV (self);
  PickyChannel *channel = PICKY_CHANNEL (self);
  PickyWebhookServer *server = picky_channel_get_webhook_server (channel);

  if (!priv->running)
    picky_channel_set_state (channel, PICKY_CHANNEL_STATE_STOPPED);
  else if (!priv->ready)
    picky_channel_set_state (channel, PICKY_CHANNEL_STATE_CONNECTING);
  else if (priv->app_secret == NULL)
    {
      picky_channel_set_last_error (channel, _("No app secret is stored for this channel, so every webhook is rejected. Add the app secret and start the channel again."));
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_AUTH_FAILED);
    }
  else if (!picky_channel_is_webhook_member (channel))
    {
      picky_channel_set_last_error (channel, _("The webhook listener is not running, so no messages can arrive"));
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_BACKING_OFF);
    }
  else if (picky_webhook_server_get_bind_error (server) != NULL)
    {
      /* The listener's owner keeps trying to bind; this follows it. */
      priv->listener_failed = TRUE;
      picky_channel_set_last_error (channel, picky_webhook_server_get_bind_error (server));
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_BACKING_OFF);
    }
  else
    {
      if (priv->listener_failed)
        picky_channel_set_last_error (channel, NULL);
      priv->listener_failed = FALSE;
      picky_channel_set_state (channel, picky_channel_can_read (channel) ? PICKY_CHANNEL_STATE_ONLINE
                                                                         : PICKY_CHANNEL_STATE_DISABLED);
    }
}

typedef struct
{
  PickyMessengerChannel *self;
  GCancellable          *cancellable;
  guint                  next;
} SecretLoad;

static const char *const secret_kinds[] = { "app-secret", "verify-token", "access-token" };

static void load_next_secret (SecretLoad *load);

static void
secret_load_free (SecretLoad *load)
{
  g_object_unref (load->self);
  g_object_unref (load->cancellable);
  g_free (load);
}

static void
on_secret_looked_up_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  SecretLoad *load = user_data;
  PickyMessengerChannelPrivate *priv = PRIV (load->self);
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;
  char **slot;

  secret = picky_vault_lookup_secret_finish (PICKY_VAULT (object), result, &error);
  if (g_cancellable_is_cancelled (load->cancellable))
    {
      secret_load_free (load);
      return;
    }
  if (error != NULL)
    {
      g_autofree char *why = picky_bidi_isolate (error->message);
      g_autofree char *reason = g_strdup_printf (_("Cannot read the channel’s secrets from the keyring: %s"), why);

      picky_channel_set_last_error (PICKY_CHANNEL (load->self), reason);
      picky_channel_set_state (PICKY_CHANNEL (load->self), PICKY_CHANNEL_STATE_AUTH_FAILED);
      secret_load_free (load);
      return;
    }

  switch (load->next)
    {
    case 0: slot = &priv->app_secret; break;
    case 1: slot = &priv->verify_token; break;
    default: slot = &priv->access_token; break;
    }
  g_free (*slot);
  *slot = secret != NULL && *secret != '\0' ? g_steal_pointer (&secret) : NULL;

  load->next++;
  load_next_secret (load);
}

/* The secrets are read once per start and kept in memory: a request must
 * not wait for the keyring, and a flood must not hammer it. */
static void
load_next_secret (SecretLoad *load)
{
  PickyMessengerChannelPrivate *priv = PRIV (load->self);
  PickyVault *vault = picky_channel_get_vault (PICKY_CHANNEL (load->self));

  if (load->next < G_N_ELEMENTS (secret_kinds) && vault != NULL)
    {
      picky_vault_lookup_secret_async (vault, picky_channel_get_id (PICKY_CHANNEL (load->self)),
                                       secret_kinds[load->next], load->cancellable,
                                       on_secret_looked_up_cb, load);
      return;
    }

  priv->ready = TRUE;
  picky_channel_set_last_error (PICKY_CHANNEL (load->self), NULL);
  update_state (load->self);
  secret_load_free (load);
}

static void
picky_messenger_channel_start (PickyChannel *channel)
{
  PickyMessengerChannel *self = PICKY_MESSENGER_CHANNEL (channel);
  PickyMessengerChannelPrivate *priv = PRIV (self);
  SecretLoad *load;

  if (priv->running)
    return;

  priv->running = TRUE;
  priv->ready = FALSE;
  priv->run_cancellable = g_cancellable_new ();
  g_free (priv->account_id);
  priv->account_id = picky_channel_dup_setting (channel, "page_id", NULL);
  picky_channel_set_last_error (channel, NULL);
  if (!picky_channel_is_webhook_member (channel))
    priv->n_unknown = 0;
  picky_channel_join_webhook (channel, PICKY_MESSENGER_CHANNEL_GET_CLASS (self)->path, handle_webhook_cb);
  update_state (self);

  load = g_new0 (SecretLoad, 1);
  load->self = g_object_ref (self);
  load->cancellable = g_object_ref (priv->run_cancellable);
  load_next_secret (load);
}

static void
picky_messenger_channel_stop (PickyChannel *channel)
{
  PickyMessengerChannel *self = PICKY_MESSENGER_CHANNEL (channel);
  PickyMessengerChannelPrivate *priv = PRIV (self);

  if (priv->run_cancellable != NULL)
    g_cancellable_cancel (priv->run_cancellable);
  g_clear_object (&priv->run_cancellable);
  picky_channel_leave_webhook (channel);
  priv->running = FALSE;
  priv->ready = FALSE;
  g_clear_pointer (&priv->app_secret, g_free);
  g_clear_pointer (&priv->verify_token, g_free);
  update_state (self);
}

static void
on_changed_cb (PickyMessengerChannel *self)
{
  if (PRIV (self)->running && PRIV (self)->ready)
    update_state (self);
}

/* ---- Sending ---- */

static GBytes *
build_send_body (const char *recipient,
                 const char *text)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "recipient");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, recipient);
  json_builder_end_object (builder);
  /* An answer to the customer's message, allowed inside the 24 hours
   * after it. */
  json_builder_set_member_name (builder, "messaging_type");
  json_builder_add_string_value (builder, "RESPONSE");
  json_builder_set_member_name (builder, "message");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return picky_json_builder_to_bytes (builder);
}

/* Decisions rest on the Graph error code and subcode, not on HTTP status
 * or wording. */
static void
return_send_error (GTask      *task,
                   guint       status,
                   JsonObject *root)
{
  PickyMessengerChannel *self = g_task_get_source_object (task);
  /* The product's name and the provider's words, often English, set into
   * sentences of the window's language: isolated, so that neither takes the
   * punctuation around it along in a language written right to left. */
  g_autofree char *product = picky_bidi_isolate (PICKY_MESSENGER_CHANNEL_GET_CLASS (self)->product);
  g_autofree char *details = NULL;
  const char *said = NULL;
  gint64 subcode = -1;
  gint64 code = picky_meta_parse_graph_error (root, &subcode, &said);

  details = picky_bidi_isolate (said != NULL ? said : soup_status_get_phrase (status));

  if (code == 190)
    {
      g_autofree char *reason = g_strdup_printf (_("%s rejected the page access token. Enter a current token for this channel."), product);

      g_clear_pointer (&PRIV (self)->access_token, g_free);
      picky_channel_set_last_error (PICKY_CHANNEL (self), reason);
      picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_AUTH_FAILED);
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAUTHORIZED,
                               _("%s rejected the page access token: %s"), product, details);
    }
  else if (subcode == 2018278 || (code == 10 && subcode < 0))
    g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                             _("More than 24 hours have passed since the customer last wrote; %s accepts a reply only after they write again"),
                             product);
  else if (code == 551)
    g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                             _("This person isn’t available on %s right now, for example because they blocked the page"),
                             product);
  else if (subcode == 2018001 || code == 100)
    g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                             _("%s knows no such recipient for this page: %s"), product, details);
  else if (code == 4 || code == 613 || code == 32 || code == 80006 || code == 1 || code == 2 ||
           (code < 0 && status >= 500))
    g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                             _("%s asks to slow down or is briefly unavailable; the message stays queued: %s"),
                             product, details);
  else if (code == 10 || code == 3 || (code >= 200 && code <= 299))
    g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                             _("The page access token lacks a permission this needs; grant it to the app in Meta’s dashboard: %s"),
                             details);
  else
    {
      /* Built apart: a format macro inside a message hides it from xgettext. */
      g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, code);

      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                               _("%s could not send the message (error %s): %s"), product, number, details);
    }
}

static void
on_send_reply_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyMessengerChannel *self = g_task_get_source_object (task);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) root = NULL;
  const char *mid, *recipient;
  guint status;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (bytes == NULL)
    {
      g_autofree char *why = picky_bidi_isolate (error->message);

      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                               _("Cannot reach the Graph API: %s"), why);
      return;
    }

  status = soup_message_get_status (message);
  root = picky_json_parse_object (bytes, PICKY_WEBHOOK_MAX_JSON_DEPTH);
  mid = picky_json_get_string (root, "message_id");
  if (!SOUP_STATUS_IS_SUCCESSFUL (status) || mid == NULL || *mid == '\0')
    {
      return_send_error (task, status, root);
      return;
    }

  /* Kept for the read receipt that names only a time. */
  recipient = g_task_get_task_data (task);
  remember_sent (self, recipient, mid, g_get_real_time () / 1000);
  g_task_return_pointer (task, g_strdup (mid), g_free);
}

static void
send_now (GTask  *task,
          GBytes *body)
{
  PickyMessengerChannel *self = g_task_get_source_object (task);
  g_autofree char *base = picky_channel_dup_setting (PICKY_CHANNEL (self), "graph_base", PICKY_META_DEFAULT_GRAPH_BASE);
  g_autofree char *version = picky_channel_dup_setting (PICKY_CHANNEL (self), "graph_version",
                                                        PICKY_META_DEFAULT_GRAPH_VERSION);
  g_autofree char *url = NULL;
  g_autofree char *authorization = NULL;
  g_autoptr(SoupMessage) message = NULL;

  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  url = g_strdup_printf ("%s/%s/me/messages", base, version);
  message = soup_message_new (SOUP_METHOD_POST, url);
  if (message == NULL)
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                               _("The Graph API address is not valid"));
      return;
    }

  authorization = g_strconcat ("Bearer ", PRIV (self)->access_token, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", authorization);
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  soup_session_send_and_read_async (PRIV (self)->session, message, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    on_send_reply_cb, g_object_ref (task));
}

typedef struct
{
  GTask  *task;
  GBytes *body;
} TokenWait;

static void
on_send_token_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  TokenWait *wait = user_data;
  g_autoptr(GTask) task = wait->task;
  g_autoptr(GBytes) body = wait->body;
  PickyMessengerChannel *self = g_task_get_source_object (task);
  GError *error = NULL;
  char *token = picky_channel_lookup_secret_finish (PICKY_CHANNEL (self), result, &error);

  g_free (wait);
  if (token == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_free (PRIV (self)->access_token);
  PRIV (self)->access_token = token;
  send_now (task, body);
}

static void
picky_messenger_channel_send_async (PickyChannel        *channel,
                                    PickyMessage        *message,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  PickyMessengerChannel *self = PICKY_MESSENGER_CHANNEL (channel);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *recipient = picky_message_get_contact_provider_id (message);
  const char *text = picky_message_get_text (message);
  g_autoptr(GBytes) body = NULL;
  TokenWait *wait;

  g_task_set_source_tag (task, picky_messenger_channel_send_async);

  if (recipient == NULL || *recipient == '\0' || text == NULL || *text == '\0')
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                               _("A reply needs a recipient and a text"));
      return;
    }

  g_task_set_task_data (task, g_strdup (recipient), g_free);
  body = build_send_body (recipient, text);
  if (PRIV (self)->access_token != NULL)
    {
      send_now (task, body);
      return;
    }

  wait = g_new0 (TokenWait, 1);
  wait->task = g_steal_pointer (&task);
  wait->body = g_steal_pointer (&body);
  picky_channel_lookup_secret_async (channel, "access-token",
                                     _("No page access token is stored for this channel"),
                                     cancellable, on_send_token_cb, wait);
}

/* ---- Object ---- */

static void
picky_messenger_channel_constructed (GObject *object)
{
  PickyMessengerChannel *self = PICKY_MESSENGER_CHANNEL (object);
  PickyWebhookServer *server;
  PickyAccess *access;

  G_OBJECT_CLASS (picky_messenger_channel_parent_class)->constructed (object);

  PRIV (self)->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_S,
                                                        "user-agent", "picky-console/" PACKAGE_VERSION,
                                                        NULL);

  access = picky_channel_get_access (PICKY_CHANNEL (self));
  if (access != NULL)
    g_signal_connect_object (access, "changed", G_CALLBACK (on_changed_cb), self, G_CONNECT_SWAPPED);

  server = picky_channel_get_webhook_server (PICKY_CHANNEL (self));
  if (server != NULL)
    g_signal_connect_object (server, "notify::bind-error", G_CALLBACK (on_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
picky_messenger_channel_dispose (GObject *object)
{
  PickyMessengerChannelPrivate *priv = PRIV (object);

  if (priv->run_cancellable != NULL)
    g_cancellable_cancel (priv->run_cancellable);
  g_clear_object (&priv->run_cancellable);
  picky_channel_leave_webhook (PICKY_CHANNEL (object));
  priv->running = FALSE;
  if (priv->session != NULL)
    soup_session_abort (priv->session);
  g_clear_object (&priv->session);

  G_OBJECT_CLASS (picky_messenger_channel_parent_class)->dispose (object);
}

static void
picky_messenger_channel_finalize (GObject *object)
{
  PickyMessengerChannelPrivate *priv = PRIV (object);

  g_free (priv->account_id);
  g_free (priv->app_secret);
  g_free (priv->verify_token);
  g_free (priv->access_token);
  g_hash_table_unref (priv->sent);

  G_OBJECT_CLASS (picky_messenger_channel_parent_class)->finalize (object);
}

/* Meta calls us: the verify token that proves it is us is made here, not
 * typed, and shown once to paste there. */
static void
picky_messenger_channel_prepare_settings (PickyChannelClass *klass,
                                          JsonObject        *settings,
                                          GHashTable        *secrets)
{
  g_hash_table_insert (secrets, g_strdup ("verify-token"), picky_meta_generate_verify_token ());
}

static PickyChannelSetup *
picky_messenger_channel_dup_setup_instructions (PickyChannel *channel,
                                                GHashTable   *secrets)
{
  return picky_meta_dup_setup (secrets, PICKY_MESSENGER_CHANNEL_GET_CLASS (channel)->path);
}

/**
 * picky_messenger_channel_class_add_fields:
 * @channel_class: a Messenger or Instagram class being initialised
 * @account_label: untranslated: what the account id is called
 * @account_help: untranslated: where to find it
 *
 * The fields both kinds ask for; only the account's name differs.
 */
void
picky_messenger_channel_class_add_fields (PickyChannelClass *channel_class,
                                          const char        *account_label,
                                          const char        *account_help)
{
  picky_channel_class_add_field (channel_class, "page_id", PICKY_CHANNEL_FIELD_SETTING,
                                 PICKY_CHANNEL_FIELD_FLAGS_DIGITS, account_label, NULL, account_help);
  picky_channel_class_add_field (channel_class, "access-token", PICKY_CHANNEL_FIELD_SECRET,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("Page Access Token"), NULL,
                                 N_("A long-lived token of the page, with the pages_messaging permission (for Instagram, instagram_manage_messages too)."));
  picky_channel_class_add_field (channel_class, "app-secret", PICKY_CHANNEL_FIELD_SECRET,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("App Secret"), NULL,
                                 N_("Under App Settings, Basic; it proves that a webhook comes from Meta."));
  picky_channel_class_add_field (channel_class, "graph_base", PICKY_CHANNEL_FIELD_URL,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("Graph API Server"),
                                 PICKY_META_DEFAULT_GRAPH_BASE,
                                 N_("Change it only to reach Meta through a proxy of your own."));
  picky_channel_class_add_field (channel_class, "graph_version", PICKY_CHANNEL_FIELD_SETTING,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("Graph API Version"),
                                 PICKY_META_DEFAULT_GRAPH_VERSION,
                                 N_("The version of the Graph API that requests ask for."));
}

static void
picky_messenger_channel_class_init (PickyMessengerChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PickyChannelClass *channel_class = PICKY_CHANNEL_CLASS (klass);

  object_class->constructed = picky_messenger_channel_constructed;
  object_class->dispose = picky_messenger_channel_dispose;
  object_class->finalize = picky_messenger_channel_finalize;

  channel_class->start = picky_messenger_channel_start;
  channel_class->stop = picky_messenger_channel_stop;
  channel_class->send_async = picky_messenger_channel_send_async;
  channel_class->prepare_settings = picky_messenger_channel_prepare_settings;
  channel_class->dup_setup_instructions = picky_messenger_channel_dup_setup_instructions;

  klass->object = "page";
  klass->path = PICKY_MESSENGER_WEBHOOK_PATH;
  klass->product = "Messenger";

  picky_channel_class_set_kind (channel_class, "messenger", "messenger", N_("Facebook Page (Messenger)"));
  picky_channel_class_set_webhook_sender (channel_class, "Meta");
  picky_channel_class_set_setup_secret (channel_class, "verify-token");
  picky_channel_class_set_description (channel_class,
                                       N_("From your app in Meta’s developer dashboard: the Facebook page’s ID, a page access token and the app secret. The token and the secret are stored in your system keyring only."));
  picky_messenger_channel_class_add_fields (channel_class, N_("Page ID"),
                                            N_("On the page’s About section, under Page transparency, or in Messenger’s API settings beside the page."));
}

static void
picky_messenger_channel_init (PickyMessengerChannel *self)
{
  PRIV (self)->sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) sent_queue_free);
}

/**
 * picky_messenger_channel_is_ready:
 * @self: a #PickyMessengerChannel
 *
 * Returns: whether it runs and has read its secrets from the keyring
 */
gboolean
picky_messenger_channel_is_ready (PickyMessengerChannel *self)
{
  g_return_val_if_fail (PICKY_IS_MESSENGER_CHANNEL (self), FALSE);

  return PRIV (self)->running && PRIV (self)->ready;
}

/**
 * picky_messenger_channel_get_n_unknown:
 * @self: a #PickyMessengerChannel
 *
 * Returns: how many events arrived since the channel started, signed by
 *   its app, for a page or account no channel on the listener serves
 */
guint64
picky_messenger_channel_get_n_unknown (PickyMessengerChannel *self)
{
  g_return_val_if_fail (PICKY_IS_MESSENGER_CHANNEL (self), 0);

  return PRIV (self)->n_unknown;
}

/**
 * picky_messenger_channel_set_app_secret:
 * @self: a #PickyMessengerChannel
 * @app_secret: (nullable): the Meta app's secret
 *
 * Replaces the app secret held in memory, as after the admin stored a new
 * one in the keyring; %NULL makes the channel reject every webhook.
 */
void
picky_messenger_channel_set_app_secret (PickyMessengerChannel *self,
                                        const char            *app_secret)
{
  PickyMessengerChannelPrivate *priv;

  g_return_if_fail (PICKY_IS_MESSENGER_CHANNEL (self));

  priv = PRIV (self);
  g_free (priv->app_secret);
  priv->app_secret = app_secret != NULL && *app_secret != '\0' ? g_strdup (app_secret) : NULL;
  if (priv->running && priv->ready)
    update_state (self);
}
