/* SPDX-License-Identifier: GPL-3.0-or-later */
/* WhatsApp Business Cloud API: signed webhooks in, the Graph API out. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "picky-bidi.h"
#include "picky-channel-private.h"
#include "picky-json.h"
#include "picky-meta-webhook.h"
#include "picky-pacer.h"
#include "picky-signature.h"
#include "picky-whatsapp-channel.h"

#define HTTP_TIMEOUT_S 30
#define BACKOFF_MIN_MS 2000
#define SEND_ATTEMPTS 5
/* Error 131056: WhatsApp takes about one message every 6 seconds from a
 * business to the same number. */
#define PAIR_PAUSE_MS 6000

struct _PickyWhatsAppChannel
{
  PickyChannel  parent_instance;

  /* owned */
  SoupSession  *session;
  GCancellable *run_cancellable;
  char         *phone_number_id;
  char         *app_secret;
  char         *verify_token;
  char         *access_token;
  /* Who waits after 131056, and everyone after a throughput limit. */
  PickyPacer   *pacer;
  guint         n_throttled;
  gboolean      running;
  gboolean      ready;
  gboolean      listener_failed;
  guint64       n_unknown;
};

G_DEFINE_FINAL_TYPE (PickyWhatsAppChannel, picky_whatsapp_channel, PICKY_TYPE_CHANNEL)


/* One webhook POST while its messages are being committed. */
typedef struct
{
  PickyWebhookRequest *request;
  GPtrArray           *messages;
} Delivery;

typedef struct
{
  char   *recipient;
  char   *text;
  char   *context_id;
  guint   attempt;
  gboolean paced;
  GSource *wait;
} SendData;

static void send_attempt (GTask *task);

static void
delivery_free (Delivery *delivery)
{
  g_clear_object (&delivery->request);
  g_clear_pointer (&delivery->messages, g_ptr_array_unref);
  g_free (delivery);
}

static void
send_data_free (SendData *data)
{
  if (data->wait != NULL)
    {
      g_source_destroy (data->wait);
      g_source_unref (data->wait);
    }
  g_free (data->recipient);
  g_free (data->text);
  g_free (data->context_id);
  g_free (data);
}

/* Timestamps come as strings of seconds; a number is taken too. */
static gint64
get_time_member (JsonObject *object,
                 const char *name,
                 gint64      fallback)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_ascii_strtoll (json_node_get_string (node), NULL, 10);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);

  return fallback;
}

/**
 * picky_whatsapp_channel_check_signature:
 * @body: the raw request body, exactly as received
 * @header: (nullable): the X-Hub-Signature-256 header
 * @app_secret: (nullable): the Meta app's secret
 *
 * Returns: whether @header is "sha256=" and the HMAC-SHA256 of @body under
 *   @app_secret in lower-case hex, as Meta sends it; always %FALSE without a secret
 */
gboolean
picky_whatsapp_channel_check_signature (GBytes     *body,
                                        const char *header,
                                        const char *app_secret)
{
  return picky_meta_check_signature (body, header, app_secret);
}

/**
 * picky_whatsapp_channel_generate_verify_token:
 *
 * Returns: (transfer full): 32 random URL-safe characters for the admin
 *   to paste into Meta's dashboard
 */
char *
picky_whatsapp_channel_generate_verify_token (void)
{
  return picky_meta_generate_verify_token ();
}

/* Fills kind, text, media and related key from one messages[] element.
 * Every type yields a row; those without words keep a NULL text, which the
 * inbox shows as a placeholder for the kind. */
static void
describe_message (JsonObject   *object,
                  PickyMessage *message)
{
  static const char *const file_members[] = {
    "id", "mime_type", "sha256", "filename", "voice", "animated", "url", NULL,
  };
  static const struct {
    const char       *type;
    PickyMessageKind  kind;
  } files[] = {
    { "image", PICKY_MESSAGE_KIND_IMAGE },
    { "video", PICKY_MESSAGE_KIND_VIDEO },
    { "audio", PICKY_MESSAGE_KIND_AUDIO },
    { "document", PICKY_MESSAGE_KIND_DOCUMENT },
    { "sticker", PICKY_MESSAGE_KIND_STICKER },
  };
  const char *type = picky_json_get_string (object, "type");
  JsonObject *payload = type != NULL ? picky_json_get_object (object, type) : NULL;
  JsonObject *context = picky_json_get_object (object, "context");
  g_autoptr(JsonBuilder) media = json_builder_new ();
  g_autofree char *media_json = NULL;

  json_builder_begin_object (media);
  json_builder_set_member_name (media, "type");
  json_builder_add_string_value (media, type != NULL ? type : "unknown");

  if (context != NULL && picky_json_get_string (context, "id") != NULL)
    picky_message_set_related_key (message, picky_json_get_string (context, "id"));

  if (g_strcmp0 (type, "text") == 0)
    {
      picky_message_set_kind (message, PICKY_MESSAGE_KIND_TEXT);
      picky_message_set_text (message, picky_json_get_string (payload, "body"));
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    if (g_strcmp0 (type, files[i].type) == 0 && payload != NULL)
      {
        picky_message_set_kind (message, files[i].kind);
        picky_message_set_text (message, picky_json_get_string (payload, "caption"));
        picky_json_copy_members (media, payload, file_members);
        json_builder_end_object (media);
        media_json = picky_json_builder_to_string (media);
        picky_message_set_media (message, media_json);
        return;
      }

  if (g_strcmp0 (type, "location") == 0 && payload != NULL)
    {
      static const char *const location_members[] = { "latitude", "longitude", "name", "address", "url", NULL };

      picky_message_set_kind (message, PICKY_MESSAGE_KIND_LOCATION);
      picky_message_set_text (message, picky_json_get_string (payload, "name"));
      picky_json_copy_members (media, payload, location_members);
    }
  else if (g_strcmp0 (type, "reaction") == 0 && payload != NULL)
    {
      /* Attached to our message; no emoji member means it was taken back,
       * kept as a reaction with no text so the latest one wins. */
      picky_message_set_kind (message, PICKY_MESSAGE_KIND_REACTION);
      picky_message_set_related_key (message, picky_json_get_string (payload, "message_id"));
      picky_message_set_text (message, picky_json_get_string (payload, "emoji"));
      return;
    }
  else if (g_strcmp0 (type, "contacts") == 0)
    {
      JsonArray *cards = picky_json_get_array (object, "contacts");
      g_autoptr(GString) names = g_string_new (NULL);

      picky_message_set_kind (message, PICKY_MESSAGE_KIND_CONTACT);
      for (guint i = 0; cards != NULL && i < json_array_get_length (cards); i++)
        {
          JsonNode *card = json_array_get_element (cards, i);
          const char *name = JSON_NODE_HOLDS_OBJECT (card)
                             ? picky_json_get_string (picky_json_get_object (json_node_get_object (card), "name"), "formatted_name")
                             : NULL;

          if (name == NULL)
            continue;
          if (names->len > 0)
            g_string_append (names, ", ");
          g_string_append (names, name);
        }
      picky_message_set_text (message, names->len > 0 ? names->str : NULL);
    }
  else if (g_strcmp0 (type, "interactive") == 0 && payload != NULL)
    {
      const char *kind = picky_json_get_string (payload, "type");
      JsonObject *reply = kind != NULL ? picky_json_get_object (payload, kind) : NULL;

      picky_message_set_kind (message, PICKY_MESSAGE_KIND_TEXT);
      picky_message_set_text (message, picky_json_get_string (reply, "title"));
      if (reply != NULL)
        {
          static const char *const reply_members[] = { "id", "description", NULL };

          picky_json_copy_members (media, reply, reply_members);
        }
    }
  else if (g_strcmp0 (type, "button") == 0 && payload != NULL)
    {
      static const char *const button_members[] = { "payload", NULL };

      picky_message_set_kind (message, PICKY_MESSAGE_KIND_TEXT);
      picky_message_set_text (message, picky_json_get_string (payload, "text"));
      picky_json_copy_members (media, payload, button_members);
    }
  else
    {
      JsonArray *errors = picky_json_get_array (object, "errors");

      /* "unsupported" and types newer than this console. */
      picky_message_set_kind (message, PICKY_MESSAGE_KIND_UNSUPPORTED);
      if (errors != NULL && json_array_get_length (errors) > 0 &&
          JSON_NODE_HOLDS_OBJECT (json_array_get_element (errors, 0)))
        {
          JsonObject *first = json_node_get_object (json_array_get_element (errors, 0));

          json_builder_set_member_name (media, "error_code");
          json_builder_add_int_value (media, json_object_get_int_member_with_default (first, "code", 0));
        }
    }

  json_builder_end_object (media);
  media_json = picky_json_builder_to_string (media);
  picky_message_set_media (message, media_json);
}

static PickyMessage *
parse_status (JsonObject *object,
              gint64      channel_id,
              const char *app,
              gint64      now)
{
  g_autoptr(PickyMessage) message = NULL;
  const char *id = picky_json_get_string (object, "id");
  PickyMessageStatus status;
  JsonArray *errors;

  if (id == NULL || *id == '\0' ||
      !picky_message_status_from_string (picky_json_get_string (object, "status"), &status) ||
      status < PICKY_MESSAGE_STATUS_SENT)
    return NULL;

  message = picky_message_new ();
  picky_message_set_op (message, PICKY_MESSAGE_OP_STATUS);
  picky_message_set_channel_id (message, channel_id);
  picky_message_set_app (message, app);
  picky_message_set_provider_key (message, id);
  picky_message_set_direction (message, PICKY_DIRECTION_OUT);
  picky_message_set_status (message, status);
  picky_message_set_timestamp (message, get_time_member (object, "timestamp", now));
  picky_message_set_received (message, now);

  errors = picky_json_get_array (object, "errors");
  if (status == PICKY_MESSAGE_STATUS_FAILED && errors != NULL && json_array_get_length (errors) > 0 &&
      JSON_NODE_HOLDS_OBJECT (json_array_get_element (errors, 0)))
    {
      JsonObject *first = json_node_get_object (json_array_get_element (errors, 0));
      const char *details = picky_json_get_string (picky_json_get_object (first, "error_data"), "details");
      const char *title = picky_json_get_string (first, "title");
      g_autofree char *text = NULL;

      if (details == NULL)
        details = picky_json_get_string (first, "message");
      /* The code comes first: it is what a later report groups by. */
      text = g_strdup_printf ("%" G_GINT64_FORMAT ": %s%s%s",
                              json_object_get_int_member_with_default (first, "code", 0),
                              title != NULL ? title : "",
                              details != NULL && g_strcmp0 (details, title) != 0 ? " — " : "",
                              details != NULL && g_strcmp0 (details, title) != 0 ? details : "");
      picky_message_set_error (message, text);
    }

  return g_steal_pointer (&message);
}

/**
 * picky_whatsapp_channel_parse_value:
 * @value: the "value" of one change whose field is "messages"
 * @channel_id: the channel its phone_number_id belongs to
 * @app: the app id stored with the messages
 *
 * Turns messages[] into inserts (reactions as reaction rows attached to
 * the message they name) and statuses[] into status moves.
 *
 * Returns: (transfer container) (element-type PickyMessage): the messages
 */
GPtrArray *
picky_whatsapp_channel_parse_value (JsonObject *value,
                                    gint64      channel_id,
                                    const char *app)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  JsonArray *contacts, *items, *statuses;

  g_return_val_if_fail (value != NULL, NULL);

  /* Names by phone and by business-scoped id: a user with a username may
   * come with an empty phone. */
  contacts = picky_json_get_array (value, "contacts");
  for (guint i = 0; contacts != NULL && i < json_array_get_length (contacts); i++)
    {
      JsonNode *node = json_array_get_element (contacts, i);
      JsonObject *contact;
      const char *name, *wa_id, *user_id;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      contact = json_node_get_object (node);
      name = picky_json_get_string (picky_json_get_object (contact, "profile"), "name");
      wa_id = picky_json_get_string (contact, "wa_id");
      user_id = picky_json_get_string (contact, "user_id");
      if (name == NULL)
        continue;
      if (wa_id != NULL && *wa_id != '\0')
        g_hash_table_insert (names, (gpointer) wa_id, (gpointer) name);
      if (user_id != NULL && *user_id != '\0')
        g_hash_table_insert (names, (gpointer) user_id, (gpointer) name);
    }

  items = picky_json_get_array (value, "messages");
  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      g_autoptr(PickyMessage) message = NULL;
      g_autofree char *phone = NULL;
      JsonObject *object;
      const char *id, *from, *from_user_id, *contact_key;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      object = json_node_get_object (node);
      id = picky_json_get_string (object, "id");
      from = picky_json_get_string (object, "from");
      from_user_id = picky_json_get_string (object, "from_user_id");
      contact_key = from != NULL && *from != '\0' ? from : from_user_id;
      if (id == NULL || *id == '\0' || contact_key == NULL || *contact_key == '\0')
        continue;

      message = picky_message_new ();
      picky_message_set_op (message, PICKY_MESSAGE_OP_INSERT);
      picky_message_set_channel_id (message, channel_id);
      picky_message_set_app (message, app);
      picky_message_set_provider_key (message, id);
      picky_message_set_contact_provider_id (message, contact_key);
      picky_message_set_contact_name (message, g_hash_table_lookup (names, contact_key));
      if (from != NULL && *from != '\0')
        {
          phone = g_strconcat ("+", from, NULL);
          picky_message_set_contact_phone (message, phone);
        }
      picky_message_set_direction (message, PICKY_DIRECTION_IN);
      picky_message_set_timestamp (message, get_time_member (object, "timestamp", now));
      picky_message_set_received (message, now);
      describe_message (object, message);
      g_ptr_array_add (messages, g_steal_pointer (&message));
    }

  statuses = picky_json_get_array (value, "statuses");
  for (guint i = 0; statuses != NULL && i < json_array_get_length (statuses); i++)
    {
      JsonNode *node = json_array_get_element (statuses, i);
      PickyMessage *message;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      message = parse_status (json_node_get_object (node), channel_id, app, now);
      if (message != NULL)
        g_ptr_array_add (messages, message);
    }

  return g_steal_pointer (&messages);
}

/* ---- The shared path ---- */

/* Every running WhatsApp channel on one listener is a member of
 * "/whatsapp": Meta posts one app's numbers to one callback URL, and each
 * change goes to the channel of its phone_number_id. */

static guint
count_items (JsonObject *value)
{
  JsonArray *messages = picky_json_get_array (value, "messages");
  JsonArray *statuses = picky_json_get_array (value, "statuses");

  return (messages != NULL ? json_array_get_length (messages) : 0) +
         (statuses != NULL ? json_array_get_length (statuses) : 0);
}

static PickyWhatsAppChannel *
find_signer (GPtrArray  *signers,
             const char *phone_number_id)
{
  for (guint i = 0; phone_number_id != NULL && i < signers->len; i++)
    {
      PickyWhatsAppChannel *channel = g_ptr_array_index (signers, i);

      if (g_strcmp0 (channel->phone_number_id, phone_number_id) == 0)
        return channel;
    }

  return NULL;
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
      g_message ("WhatsApp webhook not stored, asking for a retry: %s", error->message);
      picky_webhook_request_respond (delivery->request, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                     NULL, NULL, 0);
    }
  else
    picky_webhook_request_respond (delivery->request, SOUP_STATUS_OK, NULL, NULL, 0);

  delivery_free (delivery);
}

static const char *
get_verify_token (gpointer member)
{
  return ((PickyWhatsAppChannel *) member)->verify_token;
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
   * channel without its app secret signs nothing, so with none configured
   * every POST ends here. */
  if (picky_meta_decode_signature (header, given))
    for (guint i = 0; i < members->len; i++)
      {
        PickyWhatsAppChannel *channel = g_ptr_array_index (members, i);
        guint8 expected[PICKY_SIGNATURE_SIZE];

        if (channel->app_secret == NULL || *channel->app_secret == '\0')
          continue;
        picky_signature_compute (body, channel->app_secret, expected);
        if (picky_signature_equal (expected, given, PICKY_SIGNATURE_SIZE))
          g_ptr_array_add (signers, channel);
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

  batch = g_ptr_array_new_with_free_func (g_object_unref);
  entries = picky_json_get_array (root, "entry");
  for (guint e = 0; entries != NULL && e < json_array_get_length (entries); e++)
    {
      JsonNode *entry = json_array_get_element (entries, e);
      JsonArray *changes;

      if (!JSON_NODE_HOLDS_OBJECT (entry))
        continue;
      changes = picky_json_get_array (json_node_get_object (entry), "changes");
      for (guint c = 0; changes != NULL && c < json_array_get_length (changes); c++)
        {
          JsonNode *change = json_array_get_element (changes, c);
          JsonObject *value;
          PickyWhatsAppChannel *channel;
          g_autoptr(GPtrArray) messages = NULL;
          const char *phone_number_id;

          if (!JSON_NODE_HOLDS_OBJECT (change) ||
              g_strcmp0 (picky_json_get_string (json_node_get_object (change), "field"), "messages") != 0)
            continue;
          value = picky_json_get_object (json_node_get_object (change), "value");
          if (value == NULL)
            continue;

          phone_number_id = picky_json_get_string (picky_json_get_object (value, "metadata"), "phone_number_id");
          channel = find_signer (signers, phone_number_id);
          if (channel == NULL)
            {
              /* A number of the same app that no channel here serves:
               * acknowledged, so Meta stops retrying, and counted by
               * each channel of that app. */
              for (guint i = 0; i < signers->len; i++)
                ((PickyWhatsAppChannel *) g_ptr_array_index (signers, i))->n_unknown += MAX (1, count_items (value));
              g_debug ("WhatsApp webhook for an unknown phone number id");
              continue;
            }

          if (!picky_channel_can_read (PICKY_CHANNEL (channel)))
            {
              PickyAccess *access = picky_channel_get_access (PICKY_CHANNEL (channel));
              guint n = count_items (value);

              if (n > 0)
                picky_access_count_dropped (access, picky_channel_get_app (PICKY_CHANNEL (channel)), n);
              continue;
            }

          messages = picky_whatsapp_channel_parse_value (value, picky_channel_get_id (PICKY_CHANNEL (channel)),
                                                         picky_channel_get_app (PICKY_CHANNEL (channel)));
          for (guint m = 0; m < messages->len; m++)
            {
              PickyMessage *message = g_ptr_array_index (messages, m);

              if (picky_message_get_op (message) == PICKY_MESSAGE_OP_INSERT)
                picky_channel_note_message_time (PICKY_CHANNEL (channel), picky_message_get_timestamp (message));
              g_ptr_array_add (batch, g_object_ref (message));
            }
          store = picky_channel_get_store (PICKY_CHANNEL (channel));
        }
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
  else
    handle_notification (members, request);
}

/* ---- Running ---- */

static void
update_state (PickyWhatsAppChannel *self)
{
  PickyChannel *channel = PICKY_CHANNEL (self);

  if (!self->running)
    picky_channel_set_state (channel, PICKY_CHANNEL_STATE_STOPPED);
  else if (!self->ready)
    picky_channel_set_state (channel, PICKY_CHANNEL_STATE_CONNECTING);
  else if (self->app_secret == NULL)
    {
      picky_channel_set_last_error (channel, _("No app secret is stored for this channel, so every webhook is rejected. Add the app secret and start the channel again."));
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_AUTH_FAILED);
    }
  else if (!picky_channel_is_webhook_member (channel))
    {
      picky_channel_set_last_error (channel, _("The webhook listener is not running, so no WhatsApp messages can arrive"));
      picky_channel_set_state (channel, PICKY_CHANNEL_STATE_BACKING_OFF);
    }
  else if (picky_webhook_server_get_bind_error (picky_channel_get_webhook_server (channel)) != NULL)
    {
      /* The listener's owner keeps trying to bind; this follows it. */
      self->listener_failed = TRUE;
      picky_channel_set_last_error (channel, picky_webhook_server_get_bind_error (picky_channel_get_webhook_server (channel)));
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

typedef struct
{
  PickyWhatsAppChannel *self;
  GCancellable         *cancellable;
  guint                 next;
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
  PickyWhatsAppChannel *self = load->self;
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
      g_autofree char *reason = g_strdup_printf (_("Cannot read the WhatsApp secrets from the keyring: %s"), why);

      picky_channel_set_last_error (PICKY_CHANNEL (self), reason);
      picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_AUTH_FAILED);
      secret_load_free (load);
      return;
    }

  switch (load->next)
    {
    case 0: slot = &self->app_secret; break;
    case 1: slot = &self->verify_token; break;
    default: slot = &self->access_token; break;
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
  PickyWhatsAppChannel *self = load->self;
  PickyVault *vault = picky_channel_get_vault (PICKY_CHANNEL (self));

  if (load->next < G_N_ELEMENTS (secret_kinds) && vault != NULL)
    {
      picky_vault_lookup_secret_async (vault, picky_channel_get_id (PICKY_CHANNEL (self)),
                                       secret_kinds[load->next], load->cancellable,
                                       on_secret_looked_up_cb, load);
      return;
    }

  self->ready = TRUE;
  picky_channel_set_last_error (PICKY_CHANNEL (self), NULL);
  update_state (self);
  secret_load_free (load);
}

static void
picky_whatsapp_channel_start (PickyChannel *channel)
{
  PickyWhatsAppChannel *self = PICKY_WHATSAPP_CHANNEL (channel);
  SecretLoad *load;

  if (self->running)
    return;

  self->running = TRUE;
  self->ready = FALSE;
  self->run_cancellable = g_cancellable_new ();
  g_free (self->phone_number_id);
  self->phone_number_id = picky_channel_dup_setting (channel, "phone_number_id", NULL);
  picky_channel_set_last_error (channel, NULL);
  if (!picky_channel_is_webhook_member (channel))
    self->n_unknown = 0;
  picky_channel_join_webhook (channel, PICKY_WHATSAPP_WEBHOOK_PATH, handle_webhook_cb);
  update_state (self);

  load = g_new0 (SecretLoad, 1);
  load->self = g_object_ref (self);
  load->cancellable = g_object_ref (self->run_cancellable);
  load_next_secret (load);
}

static void
picky_whatsapp_channel_stop (PickyChannel *channel)
{
  PickyWhatsAppChannel *self = PICKY_WHATSAPP_CHANNEL (channel);

  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
  g_clear_object (&self->run_cancellable);
  picky_channel_leave_webhook (channel);
  self->running = FALSE;
  self->ready = FALSE;
  g_clear_pointer (&self->app_secret, g_free);
  g_clear_pointer (&self->verify_token, g_free);
  update_state (self);
}

static void
on_access_changed_cb (PickyWhatsAppChannel *self)
{
  if (self->running && self->ready)
    update_state (self);
}

static void
on_bind_error_changed_cb (PickyWhatsAppChannel *self)
{
  if (self->running && self->ready)
    update_state (self);
}

/* ---- Sending ---- */

static char *
graph_url (PickyWhatsAppChannel *self)
{
  g_autofree char *base = picky_channel_dup_setting (PICKY_CHANNEL (self), "graph_base",
                                                     PICKY_WHATSAPP_DEFAULT_GRAPH_BASE);
  g_autofree char *version = picky_channel_dup_setting (PICKY_CHANNEL (self), "graph_version",
                                                        PICKY_WHATSAPP_DEFAULT_GRAPH_VERSION);

  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';

  return g_strdup_printf ("%s/%s/%s/messages", base, version, self->phone_number_id);
}

static GBytes *
build_send_body (SendData *data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "messaging_product");
  json_builder_add_string_value (builder, "whatsapp");
  json_builder_set_member_name (builder, "recipient_type");
  json_builder_add_string_value (builder, "individual");
  json_builder_set_member_name (builder, "to");
  json_builder_add_string_value (builder, data->recipient);
  if (data->context_id != NULL)
    {
      json_builder_set_member_name (builder, "context");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "message_id");
      json_builder_add_string_value (builder, data->context_id);
      json_builder_end_object (builder);
    }
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "text");
  json_builder_set_member_name (builder, "text");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "preview_url");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "body");
  json_builder_add_string_value (builder, data->text);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return picky_json_builder_to_bytes (builder);
}

static gboolean
is_rate_limit (gint64 code)
{
  return code == 4 || code == 80007 || code == 130429 || code == 131056;
}

static gboolean
is_temporary (gint64 code)
{
  return code == 1 || code == 2 || code == 131000 || code == 131016;
}

static gboolean
on_retry_cb (gpointer user_data)
{
  GTask *task = user_data;
  SendData *data = g_task_get_task_data (task);

  g_clear_pointer (&data->wait, g_source_unref);
  send_attempt (task);
  return G_SOURCE_REMOVE;
}

static void
wait_then_send (GTask  *task,
                gint64  wait_us)
{
  SendData *data = g_task_get_task_data (task);

  data->wait = g_timeout_source_new ((guint) ((wait_us + 999) / 1000));
  g_source_set_callback (data->wait, on_retry_cb, g_object_ref (task), g_object_unref);
  g_source_attach (data->wait, g_task_get_context (task));
}

/* Keeps the message queued and tries the same request again, up to
 * SEND_ATTEMPTS times in all: 131056 holds this recipient for the pair
 * pause, a throughput limit holds the whole number with a growing wait,
 * anything else waits with exponential backoff. Replies to other
 * customers go on while one recipient is held. */
static gboolean
retry_later (GTask      *task,
             gint64      code,
             const char *reason)
{
  PickyWhatsAppChannel *self = g_task_get_source_object (task);
  SendData *data = g_task_get_task_data (task);
  gint64 now = g_get_monotonic_time ();
  guint ms;

  if (data->attempt >= SEND_ATTEMPTS)
    return FALSE;

  g_debug ("WhatsApp send: %s; trying again later", reason);
  if (code == 131056)
    {
      ms = picky_channel_backoff_ms (PICKY_CHANNEL (self), 0, PAIR_PAUSE_MS, PAIR_PAUSE_MS);
      picky_pacer_hold (self->pacer, data->recipient, now + (gint64) ms * 1000);
      send_attempt (task);
      return TRUE;
    }

  picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_BACKING_OFF);
  if (is_rate_limit (code))
    {
      ms = picky_channel_backoff_ms (PICKY_CHANNEL (self), self->n_throttled++, BACKOFF_MIN_MS, 0);
      picky_pacer_hold (self->pacer, NULL, now + (gint64) ms * 1000);
      send_attempt (task);
      return TRUE;
    }

  ms = picky_channel_backoff_ms (PICKY_CHANNEL (self), data->attempt - 1, BACKOFF_MIN_MS, 0);
  wait_then_send (task, (gint64) ms * 1000);
  return TRUE;
}

static void
on_send_reply_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyWhatsAppChannel *self = g_task_get_source_object (task);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autofree char *details = NULL;
  const char *said = NULL;
  guint status;
  gint64 code;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (bytes == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          !retry_later (task, -1, error->message))
        {
          g_autofree char *why = picky_bidi_isolate (error->message);

          g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                                   _("Cannot reach the WhatsApp Graph API: %s"), why);
        }
      return;
    }

  status = soup_message_get_status (message);
  root = picky_json_parse_object (bytes, PICKY_WEBHOOK_MAX_JSON_DEPTH);

  if (SOUP_STATUS_IS_SUCCESSFUL (status) && root != NULL)
    {
      JsonArray *sent = picky_json_get_array (root, "messages");
      JsonNode *first = sent != NULL && json_array_get_length (sent) > 0 ? json_array_get_element (sent, 0) : NULL;
      const char *id = first != NULL && JSON_NODE_HOLDS_OBJECT (first)
                       ? picky_json_get_string (json_node_get_object (first), "id") : NULL;

      if (id != NULL)
        {
          self->n_throttled = 0;
          if (picky_channel_get_state (PICKY_CHANNEL (self)) == PICKY_CHANNEL_STATE_BACKING_OFF)
            update_state (self);
          g_task_return_pointer (task, g_strdup (id), g_free);
          return;
        }
    }

  /* Decisions rest on the Graph error code, not on HTTP status or wording. */
  code = picky_meta_parse_graph_error (root, NULL, &said);
  /* Meta's English, isolated in a sentence of the window's language. */
  details = picky_bidi_isolate (said != NULL ? said : soup_status_get_phrase (status));

  if (code == 190 || code == 0)
    {
      g_clear_pointer (&self->access_token, g_free);
      picky_channel_set_last_error (PICKY_CHANNEL (self),
                                    _("WhatsApp rejected the access token. Enter a current token for this channel."));
      picky_channel_set_state (PICKY_CHANNEL (self), PICKY_CHANNEL_STATE_AUTH_FAILED);
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAUTHORIZED,
                               _("WhatsApp rejected the access token: %s"), details);
      return;
    }

  if (is_rate_limit (code) || is_temporary (code) || (code < 0 && status >= 500))
    {
      if (retry_later (task, code, details))
        return;
      /* Out of tries: the reply fails with the reason, never silently. */
      if (code == 131056)
        g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                                 _("WhatsApp kept refusing more messages to this customer so soon after the last; send it again in a minute: %s"),
                                 details);
      else if (is_rate_limit (code))
        g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                                 _("WhatsApp kept asking this number to send more slowly; send it again later: %s"),
                                 details);
      else
        g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_UNAVAILABLE,
                                 _("WhatsApp could not take the message after several tries: %s"), details);
      return;
    }

  if (code == 100)
    g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                             _("WhatsApp refused the message because a value in it is not valid, often the recipient’s number: %s"),
                             details);
  else if (code == 131047)
    g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                             _("More than 24 hours have passed since the customer last wrote; WhatsApp now accepts only an approved template message"));
  else
    {
      /* Built apart: a format macro inside a message hides it from xgettext. */
      g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, code);

      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                               _("WhatsApp could not send the message (error %s): %s"), number, details);
    }
}

static void
send_attempt (GTask *task)
{
  PickyWhatsAppChannel *self = g_task_get_source_object (task);
  SendData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autofree char *url = graph_url (self);
  g_autofree char *authorization = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;

  /* A held recipient waits its turn; the slot taken is kept when the wait ends. */
  if (!data->paced)
    {
      gint64 wait_us = picky_pacer_reserve (self->pacer, data->recipient, g_get_monotonic_time (), 0, 0, 0);

      if (wait_us > 0)
        {
          data->paced = TRUE;
          wait_then_send (task, wait_us);
          return;
        }
    }
  data->paced = FALSE;

  message = soup_message_new (SOUP_METHOD_POST, url);
  if (message == NULL)
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                               _("The Graph API address is not valid"));
      return;
    }

  data->attempt++;
  body = build_send_body (data);
  authorization = g_strconcat ("Bearer ", self->access_token, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "Authorization", authorization);
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT, cancellable,
                                    on_send_reply_cb, g_object_ref (task));
}

static void
on_send_token_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyWhatsAppChannel *self = g_task_get_source_object (task);
  GError *error = NULL;
  char *token = picky_channel_lookup_secret_finish (PICKY_CHANNEL (self), result, &error);

  if (token == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_free (self->access_token);
  self->access_token = token;
  send_attempt (task);
}

static void
picky_whatsapp_channel_send_async (PickyChannel        *channel,
                                   PickyMessage        *message,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  PickyWhatsAppChannel *self = PICKY_WHATSAPP_CHANNEL (channel);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *recipient = picky_message_get_contact_provider_id (message);
  const char *text = picky_message_get_text (message);
  const char *related = picky_message_get_related_key (message);
  SendData *data;

  g_task_set_source_tag (task, picky_whatsapp_channel_send_async);

  if (recipient == NULL || *recipient == '\0' || text == NULL || *text == '\0')
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_REJECTED,
                               _("A WhatsApp reply needs a recipient and a text"));
      return;
    }

  if (self->phone_number_id == NULL)
    {
      g_free (self->phone_number_id);
      self->phone_number_id = picky_channel_dup_setting (channel, "phone_number_id", NULL);
    }
  if (self->phone_number_id == NULL || *self->phone_number_id == '\0')
    {
      g_task_return_new_error (task, PICKY_CHANNEL_ERROR, PICKY_CHANNEL_ERROR_FAILED,
                               _("This WhatsApp channel has no phone number id"));
      return;
    }

  data = g_new0 (SendData, 1);
  data->recipient = g_strdup (recipient[0] == '+' ? recipient + 1 : recipient);
  data->text = g_strdup (text);
  if (related != NULL && g_str_has_prefix (related, "wamid."))
    data->context_id = g_strdup (related);
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);

  if (self->access_token != NULL)
    {
      send_attempt (task);
      return;
    }
  picky_channel_lookup_secret_async (channel, "access-token",
                                     _("No access token is stored for this WhatsApp channel"),
                                     cancellable, on_send_token_cb, g_steal_pointer (&task));
}

/* ---- Object ---- */

static void
picky_whatsapp_channel_constructed (GObject *object)
{
  PickyWhatsAppChannel *self = PICKY_WHATSAPP_CHANNEL (object);
  PickyWebhookServer *server;
  PickyAccess *access;

  G_OBJECT_CLASS (picky_whatsapp_channel_parent_class)->constructed (object);

  self->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_S,
                                                 "user-agent", "picky-console/" PACKAGE_VERSION,
                                                 NULL);

  access = picky_channel_get_access (PICKY_CHANNEL (self));
  if (access != NULL)
    g_signal_connect_object (access, "changed",
                             G_CALLBACK (on_access_changed_cb), self, G_CONNECT_SWAPPED);

  server = picky_channel_get_webhook_server (PICKY_CHANNEL (self));
  if (server != NULL)
    g_signal_connect_object (server, "notify::bind-error",
                             G_CALLBACK (on_bind_error_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
picky_whatsapp_channel_dispose (GObject *object)
{
  PickyWhatsAppChannel *self = PICKY_WHATSAPP_CHANNEL (object);

  if (self->run_cancellable != NULL)
    g_cancellable_cancel (self->run_cancellable);
  g_clear_object (&self->run_cancellable);
  picky_channel_leave_webhook (PICKY_CHANNEL (self));
  self->running = FALSE;
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (picky_whatsapp_channel_parent_class)->dispose (object);
}

static void
picky_whatsapp_channel_finalize (GObject *object)
{
  PickyWhatsAppChannel *self = PICKY_WHATSAPP_CHANNEL (object);

  g_free (self->phone_number_id);
  g_free (self->app_secret);
  g_free (self->verify_token);
  g_free (self->access_token);
  picky_pacer_free (self->pacer);

  G_OBJECT_CLASS (picky_whatsapp_channel_parent_class)->finalize (object);
}

/* Meta calls us, not the other way round: the verify token that proves
 * it is us is made here, not typed, and shown once to paste there. */
static void
picky_whatsapp_channel_prepare_settings (PickyChannelClass *klass,
                                         JsonObject        *settings,
                                         GHashTable        *secrets)
{
  g_hash_table_insert (secrets, g_strdup ("verify-token"), picky_whatsapp_channel_generate_verify_token ());
}

static PickyChannelSetup *
picky_whatsapp_channel_dup_setup_instructions (PickyChannel *channel,
                                               GHashTable   *secrets)
{
  return picky_meta_dup_setup (secrets, PICKY_WHATSAPP_WEBHOOK_PATH);
}

static void
picky_whatsapp_channel_class_init (PickyWhatsAppChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PickyChannelClass *channel_class = PICKY_CHANNEL_CLASS (klass);

  object_class->constructed = picky_whatsapp_channel_constructed;
  object_class->dispose = picky_whatsapp_channel_dispose;
  object_class->finalize = picky_whatsapp_channel_finalize;

  channel_class->start = picky_whatsapp_channel_start;
  channel_class->stop = picky_whatsapp_channel_stop;
  channel_class->send_async = picky_whatsapp_channel_send_async;
  channel_class->prepare_settings = picky_whatsapp_channel_prepare_settings;
  channel_class->dup_setup_instructions = picky_whatsapp_channel_dup_setup_instructions;

  picky_channel_class_set_kind (channel_class, "whatsapp", "whatsapp", N_("WhatsApp Business Number"));
  picky_channel_class_set_webhook_sender (channel_class, "Meta");
  picky_channel_class_set_setup_secret (channel_class, "verify-token");
  picky_channel_class_set_description (channel_class,
                                       N_("From your app in Meta’s developer dashboard: the phone number ID, the WhatsApp Business account ID, a permanent access token and the app secret. The token and the secret are stored in your system keyring only."));
  picky_channel_class_add_field (channel_class, "phone_number_id", PICKY_CHANNEL_FIELD_SETTING,
                                 PICKY_CHANNEL_FIELD_FLAGS_DIGITS, N_("Phone Number ID"), NULL,
                                 N_("Under WhatsApp, API Setup, below the business phone number."));
  picky_channel_class_add_field (channel_class, "business_account_id", PICKY_CHANNEL_FIELD_OPTIONAL,
                                 PICKY_CHANNEL_FIELD_FLAGS_DIGITS, N_("Business Account ID (optional)"), NULL,
                                 N_("Under WhatsApp, API Setup, beside the phone number ID."));
  picky_channel_class_add_field (channel_class, "access-token", PICKY_CHANNEL_FIELD_SECRET,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("Access Token"), NULL,
                                 N_("A system user’s permanent token from Meta Business Settings; the temporary one of API Setup expires within a day."));
  picky_channel_class_add_field (channel_class, "app-secret", PICKY_CHANNEL_FIELD_SECRET,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("App Secret"), NULL,
                                 N_("Under App Settings, Basic; it proves that a webhook comes from Meta."));
  picky_channel_class_add_field (channel_class, "graph_base", PICKY_CHANNEL_FIELD_URL,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("Graph API Server"),
                                 PICKY_WHATSAPP_DEFAULT_GRAPH_BASE,
                                 N_("Change it only to reach Meta through a proxy of your own."));
  picky_channel_class_add_field (channel_class, "graph_version", PICKY_CHANNEL_FIELD_SETTING,
                                 PICKY_CHANNEL_FIELD_FLAGS_NONE, N_("Graph API Version"),
                                 PICKY_WHATSAPP_DEFAULT_GRAPH_VERSION,
                                 N_("The version of the Graph API that requests ask for."));
}

static void
picky_whatsapp_channel_init (PickyWhatsAppChannel *self)
{
  self->pacer = picky_pacer_new ();
}

/**
 * picky_whatsapp_channel_is_ready:
 * @self: a #PickyWhatsAppChannel
 *
 * Returns: whether it runs and has read its secrets from the keyring
 */
gboolean
picky_whatsapp_channel_is_ready (PickyWhatsAppChannel *self)
{
  g_return_val_if_fail (PICKY_IS_WHATSAPP_CHANNEL (self), FALSE);

  return self->running && self->ready;
}

/**
 * picky_whatsapp_channel_get_n_unknown:
 * @self: a #PickyWhatsAppChannel
 *
 * Returns: how many messages and statuses arrived since the channel
 *   started, signed by its app, for a phone number id no channel on the
 *   listener serves
 */
guint64
picky_whatsapp_channel_get_n_unknown (PickyWhatsAppChannel *self)
{
  g_return_val_if_fail (PICKY_IS_WHATSAPP_CHANNEL (self), 0);

  return picky_channel_is_webhook_member (PICKY_CHANNEL (self)) ? self->n_unknown : 0;
}

/**
 * picky_whatsapp_channel_set_app_secret:
 * @self: a #PickyWhatsAppChannel
 * @app_secret: (nullable): the Meta app's secret
 *
 * Replaces the app secret held in memory, as after the admin stored a new
 * one in the keyring; %NULL makes the channel reject every webhook.
 */
void
picky_whatsapp_channel_set_app_secret (PickyWhatsAppChannel *self,
                                       const char           *app_secret)
{
  g_return_if_fail (PICKY_IS_WHATSAPP_CHANNEL (self));

  g_free (self->app_secret);
  self->app_secret = app_secret != NULL && *app_secret != '\0' ? g_strdup (app_secret) : NULL;
  if (self->running && self->ready)
    update_state (self);
}
