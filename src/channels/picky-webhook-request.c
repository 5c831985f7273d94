/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One request the webhook listener received, held open until its handler answers. */

#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "picky-webhook-request.h"

struct _PickyWebhookRequest
{
  GObject              parent_instance;

  /* owned */
  PickyHttpConnection *connection;
  char                *method;
  char                *path;
  GHashTable          *query;       /* decoded names and values, or NULL */
  GHashTable          *headers;     /* lower-case name → value, repeated ones joined */
  GBytes              *body;

  guint                serial;
  gboolean             answered;
};

G_DEFINE_FINAL_TYPE (PickyWebhookRequest, picky_webhook_request, G_TYPE_OBJECT)

static void
picky_webhook_request_dispose (GObject *object)
{
  PickyWebhookRequest *self = PICKY_WEBHOOK_REQUEST (object);

  /* Never leave a client waiting forever because a handler forgot it. */
  if (!self->answered && self->connection != NULL)
    picky_webhook_request_respond (self, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL, NULL, 0);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (picky_webhook_request_parent_class)->dispose (object);
}

static void
picky_webhook_request_finalize (GObject *object)
{
  PickyWebhookRequest *self = PICKY_WEBHOOK_REQUEST (object);

  g_free (self->method);
  g_free (self->path);
  g_clear_pointer (&self->query, g_hash_table_unref);
  g_clear_pointer (&self->headers, g_hash_table_unref);
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
  self->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * picky_webhook_request_new:
 * @connection: the connection the request came on
 * @serial: the request's number on @connection
 * @parser: the parser that read the whole request; its body is taken
 *
 * Keeps a copy of what the handler may ask for, since the connection goes
 * on to the next request once this one is answered.
 *
 * Returns: (transfer full): a request that answers on @connection once
 */
PickyWebhookRequest *
picky_webhook_request_new (PickyHttpConnection *connection,
                           guint                serial,
                           PickyHttpParser     *parser)
{
  PickyWebhookRequest *self;
  const char *target;
  const char *question;
  const char *name;
  const char *value;

  g_return_val_if_fail (PICKY_IS_HTTP_CONNECTION (connection), NULL);
  g_return_val_if_fail (parser != NULL, NULL);

  self = g_object_new (PICKY_TYPE_WEBHOOK_REQUEST, NULL);
  self->connection = g_object_ref (connection);
  self->serial = serial;
  self->method = g_strdup (picky_http_parser_get_method (parser));

  /* The query is decoded as forms are, as libsoup's server did. */
  target = picky_http_parser_get_target (parser);
  question = strchr (target, '?');
  if (question != NULL)
    {
      self->path = g_strndup (target, question - target);
      self->query = soup_form_decode (question + 1);
    }
  else
    self->path = g_strdup (target);

  for (guint i = 0; picky_http_parser_get_field (parser, i, &name, &value); i++)
    {
      const char *earlier = g_hash_table_lookup (self->headers, name);

      g_hash_table_replace (self->headers, g_strdup (name),
                            earlier != NULL ? g_strconcat (earlier, ", ", value, NULL) : g_strdup (value));
    }

  self->body = picky_http_parser_steal_body (parser);

  return self;
}

const char *
picky_webhook_request_get_method (PickyWebhookRequest *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_REQUEST (self), NULL);

  return self->method;
}

/* The path as sent, without the query. */
const char *
picky_webhook_request_get_path (PickyWebhookRequest *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_REQUEST (self), NULL);

  return self->path;
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
  g_autofree char *lower = NULL;

  g_return_val_if_fail (PICKY_IS_WEBHOOK_REQUEST (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  lower = g_ascii_strdown (name, -1);
  return g_hash_table_lookup (self->headers, lower);
}

/**
 * picky_webhook_request_get_body:
 * @self: a #PickyWebhookRequest
 *
 * Returns: (transfer none): the raw body bytes exactly as they arrived
 *   (dechunked), which is what signatures are computed over
 */
GBytes *
picky_webhook_request_get_body (PickyWebhookRequest *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_REQUEST (self), NULL);

  return self->body;
}

/* Whether the request was answered, or its client has gone. */
gboolean
picky_webhook_request_is_answered (PickyWebhookRequest *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_REQUEST (self), TRUE);

  return self->answered || !picky_http_connection_is_waiting (self->connection, self->serial);
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

  picky_http_connection_respond (self->connection, self->serial, status, NULL,
                                 content_type != NULL ? content_type : "text/plain", body, length);
}
