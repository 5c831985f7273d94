/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One request the webhook listener received, held open until its handler answers. */

#include "config.h"

#include <string.h>

#include "picky-webhook-request.h"

struct _PickyWebhookRequest
{
  GObject            parent_instance;

  /* owned */
  SoupServerMessage *message;
  GHashTable        *query;
  GBytes            *body;
  gulong             finished_id;
  gboolean           answered;
};

G_DEFINE_FINAL_TYPE (PickyWebhookRequest, picky_webhook_request, G_TYPE_OBJECT)

/* A client that hangs up while its request waits for a commit leaves a
 * finished message behind; answering it then must do nothing. */
static void
on_message_finished_cb (PickyWebhookRequest *self)
{
  self->answered = TRUE;
}

static void
picky_webhook_request_dispose (GObject *object)
{
  PickyWebhookRequest *self = PICKY_WEBHOOK_REQUEST (object);

  /* Never leave a client waiting forever because a handler forgot it. */
  if (!self->answered && self->message != NULL)
    picky_webhook_request_respond (self, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL, NULL, 0);

  if (self->message != NULL)
    g_clear_signal_handler (&self->finished_id, self->message);
  g_clear_object (&self->message);

  G_OBJECT_CLASS (picky_webhook_request_parent_class)->dispose (object);
}

static void
picky_webhook_request_finalize (GObject *object)
{
  PickyWebhookRequest *self = PICKY_WEBHOOK_REQUEST (object);

  g_clear_pointer (&self->query, g_hash_table_unref);
  g_clear_pointer (&self->body, g_bytes_unref);

  G_OBJECT_CLASS (picky_webhook_request_parent_class)->finalize (object);
}

static void
picky_webhook_request_class_init (PickyWebhookRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_webhook_request_dispose;
  object_class->finalize = picky_webhook_request_finalize;
}

static void
picky_webhook_request_init (PickyWebhookRequest *self)
{
}

/**
 * picky_webhook_request_new:
 * @message: a paused message whose body has been read
 * @query: (nullable) (element-type utf8 utf8): its decoded query
 *
 * Returns: (transfer full): a request that answers @message once
 */
PickyWebhookRequest *
picky_webhook_request_new (SoupServerMessage *message,
                           GHashTable        *query)
{
  PickyWebhookRequest *self;
  SoupMessageBody *body;

  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (message), NULL);

  self = g_object_new (PICKY_TYPE_WEBHOOK_REQUEST, NULL);
  self->message = g_object_ref (message);
  self->query = query != NULL ? g_hash_table_ref (query) : NULL;
  body = soup_server_message_get_request_body (message);
  self->body = soup_message_body_flatten (body);
  self->finished_id = g_signal_connect_swapped (message, "finished",
                                                G_CALLBACK (on_message_finished_cb), self);

  return self;
}

const char *
picky_webhook_request_get_method (PickyWebhookRequest *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_REQUEST (self), NULL);

  return soup_server_message_get_method (self->message);
}

const char *
picky_webhook_request_get_path (PickyWebhookRequest *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_REQUEST (self), NULL);

  return g_uri_get_path (soup_server_message_get_uri (self->message));
}

/**
 * picky_webhook_request_get_query:
 * @self: a #PickyWebhookRequest
 * @name: a query parameter, e.g. "hub.challenge"
 *
 * Returns: (nullable): its decoded value
 */
const char *
picky_webhook_request_get_query (PickyWebhookRequest *self,
                                 const char          *name)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_REQUEST (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return self->query != NULL ? g_hash_table_lookup (self->query, name) : NULL;
}

/**
 * picky_webhook_request_get_header:
 * @self: a #PickyWebhookRequest
 * @name: a header name, in any case
 *
 * Returns: (nullable): the header's value; repeated headers are joined with ", "
 */
const char *
picky_webhook_request_get_header (PickyWebhookRequest *self,
                                  const char          *name)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_REQUEST (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return soup_message_headers_get_list (soup_server_message_get_request_headers (self->message), name);
}

/**
 * picky_webhook_request_get_body:
 * @self: a #PickyWebhookRequest
 *
 * Returns: (transfer none): the raw body bytes exactly as they arrived,
 *   which is what signatures are computed over
 */
GBytes *
picky_webhook_request_get_body (PickyWebhookRequest *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_REQUEST (self), NULL);

  return self->body;
}

gboolean
picky_webhook_request_is_answered (PickyWebhookRequest *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_REQUEST (self), TRUE);

  return self->answered;
}

/**
 * picky_webhook_request_respond:
 * @self: a #PickyWebhookRequest
 * @status: the HTTP status
 * @content_type: (nullable): the body's type; "text/plain" when %NULL
 * @body: (nullable): the response body
 * @length: its length, or -1 when it is a string
 *
 * Answers the request and lets the listener send the answer. Only the
 * first call counts, and a call after the client hung up does nothing, so
 * a handler may answer from any completion callback without checking.
 */
void
picky_webhook_request_respond (PickyWebhookRequest *self,
                               guint                status,
                               const char          *content_type,
                               const char          *body,
                               gssize               length)
{
  g_return_if_fail (PICKY_IS_WEBHOOK_REQUEST (self));

  if (self->answered)
    return;
  self->answered = TRUE;

  if (body == NULL)
    body = "", length = 0;
  if (length < 0)
    length = strlen (body);

  soup_server_message_set_status (self->message, status, NULL);
  soup_server_message_set_response (self->message,
                                    content_type != NULL ? content_type : "text/plain",
                                    SOUP_MEMORY_COPY, body, length);
  soup_server_message_unpause (self->message);
}
