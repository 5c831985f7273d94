/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The webhook listener: a SoupServer with the limits it lacks, and routes that channels own. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "picky-webhook-server.h"

#define DEFAULT_HEADER_TIMEOUT_MS 10000
#define DEFAULT_BODY_TIMEOUT_MS 30000
#define DEFAULT_MAX_CONNECTIONS 256
#define STATE_KEY "picky-webhook-state"

/* Written by hand: by the time a body turns out too long, libsoup has not
 * started an answer of its own, and reading on would cost what the limit
 * is there to save. */
#define TOO_LARGE_RESPONSE \
  "HTTP/1.1 413 Request Entity Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"

typedef struct
{
  char                *prefix;
  PickyWebhookHandler  handler;
  gpointer             user_data;
  GDestroyNotify       destroy;
} Route;

/* What the listener knows about one request while it is being read. */
typedef struct
{
  PickyWebhookServer *server;    /* weak */
  SoupServerMessage  *message;   /* borrowed: the state lives on it */
  GSource            *timeout;
  guint64             received;
  gboolean            over_connection_limit;
  gboolean            cut_off;
} MessageState;

struct _PickyWebhookServer
{
  GObject       parent_instance;

  /* owned */
  SoupServer   *server;
  GMainContext *context;
  GPtrArray    *routes;        /* Route */
  GHashTable   *messages;      /* SoupServerMessage, weakly: one per open connection */
  guint         port;

  /* limits */
  guint64       max_body_size;
  guint         header_timeout;
  guint         body_timeout;
  guint         max_connections;
};

G_DEFINE_FINAL_TYPE (PickyWebhookServer, picky_webhook_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAX_BODY_SIZE,
  PROP_HEADER_TIMEOUT,
  PROP_BODY_TIMEOUT,
  PROP_MAX_CONNECTIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
route_free (Route *route)
{
  if (route->destroy != NULL)
    route->destroy (route->user_data);
  g_free (route->prefix);
  g_free (route);
}

/* "/whatsapp" owns "/whatsapp" and "/whatsapp/…"; "/relay/" owns what
 * starts with it. The longest prefix wins. */
static Route *
find_route (PickyWebhookServer *self,
            const char         *path)
{
  Route *best = NULL;
  gsize best_length = 0;

  for (guint i = 0; i < self->routes->len; i++)
    {
      Route *route = g_ptr_array_index (self->routes, i);
      gsize length = strlen (route->prefix);

      if (strncmp (path, route->prefix, length) != 0)
        continue;
      if (route->prefix[length - 1] != '/' && path[length] != '\0' && path[length] != '/')
        continue;
      if (length > best_length)
        {
          best = route;
          best_length = length;
        }
    }

  return best;
}

static void
clear_timeout (MessageState *state)
{
  if (state->timeout != NULL)
    {
      g_source_destroy (state->timeout);
      g_clear_pointer (&state->timeout, g_source_unref);
    }
}

static void
message_state_free (MessageState *state)
{
  clear_timeout (state);
  g_clear_weak_pointer (&state->server);
  g_free (state);
}

static void
cut_connection (SoupServerMessage *message)
{
  GSocket *socket = soup_server_message_get_socket (message);

  /* Shutting down, not closing: libsoup still owns the socket and sees a
   * plain end of stream, so it drops the request through its usual path. */
  if (socket != NULL)
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
}

static gboolean
on_timeout_cb (gpointer user_data)
{
  MessageState *state = user_data;

  g_clear_pointer (&state->timeout, g_source_unref);
  g_debug ("Webhook listener: a client took too long, closing its connection");
  cut_connection (state->message);

  return G_SOURCE_REMOVE;
}

static void
start_timeout (MessageState *state,
               guint         ms)
{
  clear_timeout (state);
  if (ms == 0 || state->server == NULL)
    return;

  state->timeout = g_timeout_source_new (ms);
  g_source_set_callback (state->timeout, on_timeout_cb, state, NULL);
  g_source_attach (state->timeout, state->server->context);
}

static void
reject (SoupServerMessage *message,
        guint              status)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

  /* An unread body would be taken for the next request: close instead. */
  soup_message_headers_replace (headers, "Connection", "close");
  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC, "", 0);
}

static void
refuse_too_large (MessageState *state)
{
  GSocket *socket = soup_server_message_get_socket (state->message);

  state->cut_off = TRUE;
  clear_timeout (state);
  if (socket != NULL)
    g_socket_send (socket, TOO_LARGE_RESPONSE, strlen (TOO_LARGE_RESPONSE), NULL, NULL);
  cut_connection (state->message);
}

static void
on_got_headers_cb (SoupServerMessage *message,
                   gpointer           user_data)
{
  MessageState *state = g_object_get_data (G_OBJECT (message), STATE_KEY);
  PickyWebhookServer *self = state->server;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  const char *method = soup_server_message_get_method (message);
  const char *path = g_uri_get_path (soup_server_message_get_uri (message));
  const char *content_type;

  clear_timeout (state);
  if (self == NULL)
    {
      reject (message, SOUP_STATUS_SERVICE_UNAVAILABLE);
      return;
    }

  if (state->over_connection_limit)
    {
      reject (message, SOUP_STATUS_SERVICE_UNAVAILABLE);
      return;
    }

  if (find_route (self, path) == NULL)
    {
      reject (message, SOUP_STATUS_NOT_FOUND);
      return;
    }

  if (g_strcmp0 (method, SOUP_METHOD_GET) != 0 && g_strcmp0 (method, SOUP_METHOD_POST) != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "Allow", "GET, POST");
      reject (message, SOUP_STATUS_METHOD_NOT_ALLOWED);
      return;
    }

  if (g_strcmp0 (method, SOUP_METHOD_POST) == 0)
    {
      content_type = soup_message_headers_get_content_type (headers, NULL);
      if (content_type == NULL || g_ascii_strcasecmp (content_type, "application/json") != 0)
        {
          reject (message, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
          return;
        }
    }

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (headers) > self->max_body_size)
    {
      /* A status set here still lets libsoup read the whole body first. */
      refuse_too_large (state);
      return;
    }

  start_timeout (state, self->body_timeout);
}

static void
on_got_chunk_cb (SoupServerMessage *message,
                 GBytes            *chunk,
                 gpointer           user_data)
{
  MessageState *state = g_object_get_data (G_OBJECT (message), STATE_KEY);

  state->received += g_bytes_get_size (chunk);
  if (state->cut_off || state->server == NULL || state->received <= state->server->max_body_size)
    return;

  /* A chunked body that outgrows the limit: no Content-Length warned us. */
  refuse_too_large (state);
}

static void
on_message_gone_cb (gpointer  user_data,
                    GObject  *where_the_message_was)
{
  PickyWebhookServer *self = user_data;

  g_hash_table_remove (self->messages, where_the_message_was);
}

static void
forget_message (PickyWebhookServer *self,
                SoupServerMessage  *message)
{
  if (g_hash_table_remove (self->messages, message))
    g_object_weak_unref (G_OBJECT (message), on_message_gone_cb, self);
}

static void
on_request_started_cb (SoupServer        *server,
                       SoupServerMessage *message,
                       gpointer           user_data)
{
  PickyWebhookServer *self = user_data;
  MessageState *state = g_new0 (MessageState, 1);

  state->message = message;
  g_set_weak_pointer (&state->server, self);
  g_object_set_data_full (G_OBJECT (message), STATE_KEY, state, (GDestroyNotify) message_state_free);

  /* libsoup starts reading the next request on a kept-alive connection at
   * once, so this one timer covers both an idle connection and headers that
   * never finish. */
  start_timeout (state, self->header_timeout);

  /* Every open connection has exactly one message in progress, even when
   * idle, so counting live messages counts connections. */
  g_hash_table_add (self->messages, message);
  g_object_weak_ref (G_OBJECT (message), on_message_gone_cb, self);
  if (g_hash_table_size (self->messages) > self->max_connections)
    state->over_connection_limit = TRUE;

  g_signal_connect (message, "got-headers", G_CALLBACK (on_got_headers_cb), NULL);
  g_signal_connect (message, "got-chunk", G_CALLBACK (on_got_chunk_cb), NULL);
}

static void
on_request_done_cb (SoupServer        *server,
                    SoupServerMessage *message,
                    gpointer           user_data)
{
  PickyWebhookServer *self = user_data;
  MessageState *state = g_object_get_data (G_OBJECT (message), STATE_KEY);

  if (state != NULL)
    clear_timeout (state);
  forget_message (self, message);
}

static void
handle_request_cb (SoupServer        *server,
                   SoupServerMessage *message,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  PickyWebhookServer *self = user_data;
  MessageState *state = g_object_get_data (G_OBJECT (message), STATE_KEY);
  g_autoptr(PickyWebhookRequest) request = NULL;
  Route *route;

  if (state != NULL)
    clear_timeout (state);

  /* The route may have gone while the body was read. */
  route = find_route (self, path);
  if (route == NULL)
    {
      reject (message, SOUP_STATUS_NOT_FOUND);
      return;
    }

  soup_server_message_pause (message);
  request = picky_webhook_request_new (message, query);
  route->handler (self, request, route->user_data);
}

static void
forget_messages (PickyWebhookServer *self)
{
  GHashTableIter iter;
  gpointer message;

  g_hash_table_iter_init (&iter, self->messages);
  while (g_hash_table_iter_next (&iter, &message, NULL))
    {
      g_object_weak_unref (message, on_message_gone_cb, self);
      g_hash_table_iter_remove (&iter);
    }
}

static void
picky_webhook_server_dispose (GObject *object)
{
  PickyWebhookServer *self = PICKY_WEBHOOK_SERVER (object);

  picky_webhook_server_stop (self);
  if (self->routes != NULL)
    g_ptr_array_set_size (self->routes, 0);

  G_OBJECT_CLASS (picky_webhook_server_parent_class)->dispose (object);
}

static void
picky_webhook_server_finalize (GObject *object)
{
  PickyWebhookServer *self = PICKY_WEBHOOK_SERVER (object);

  g_clear_pointer (&self->routes, g_ptr_array_unref);
  g_clear_pointer (&self->messages, g_hash_table_unref);

  G_OBJECT_CLASS (picky_webhook_server_parent_class)->finalize (object);
}

static void
picky_webhook_server_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  PickyWebhookServer *self = PICKY_WEBHOOK_SERVER (object);

  switch (prop_id)
    {
    case PROP_MAX_BODY_SIZE:
      g_value_set_uint64 (value, self->max_body_size);
      break;
    case PROP_HEADER_TIMEOUT:
      g_value_set_uint (value, self->header_timeout);
      break;
    case PROP_BODY_TIMEOUT:
      g_value_set_uint (value, self->body_timeout);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_webhook_server_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  PickyWebhookServer *self = PICKY_WEBHOOK_SERVER (object);

  switch (prop_id)
    {
    case PROP_MAX_BODY_SIZE:
      self->max_body_size = g_value_get_uint64 (value);
      break;
    case PROP_HEADER_TIMEOUT:
      self->header_timeout = g_value_get_uint (value);
      break;
    case PROP_BODY_TIMEOUT:
      self->body_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_CONNECTIONS:
      self->max_connections = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_webhook_server_class_init (PickyWebhookServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_webhook_server_dispose;
  object_class->finalize = picky_webhook_server_finalize;
  object_class->get_property = picky_webhook_server_get_property;
  object_class->set_property = picky_webhook_server_set_property;

  /* Bytes; a longer body is answered 413 before it is read. */
  properties[PROP_MAX_BODY_SIZE] =
    g_param_spec_uint64 ("max-body-size", NULL, NULL,
                         1, G_MAXUINT64, PICKY_WEBHOOK_MAX_BODY_SIZE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* Milliseconds an open connection may go without complete headers. */
  properties[PROP_HEADER_TIMEOUT] =
    g_param_spec_uint ("header-timeout", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_HEADER_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* Milliseconds from complete headers to a complete body. */
  properties[PROP_BODY_TIMEOUT] =
    g_param_spec_uint ("body-timeout", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_BODY_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* Connections beyond this many are answered 503 and closed. */
  properties[PROP_MAX_CONNECTIONS] =
    g_param_spec_uint ("max-connections", NULL, NULL,
                       1, G_MAXUINT, DEFAULT_MAX_CONNECTIONS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
picky_webhook_server_init (PickyWebhookServer *self)
{
  self->routes = g_ptr_array_new_with_free_func ((GDestroyNotify) route_free);
  self->messages = g_hash_table_new (NULL, NULL);
  self->max_body_size = PICKY_WEBHOOK_MAX_BODY_SIZE;
  self->header_timeout = DEFAULT_HEADER_TIMEOUT_MS;
  self->body_timeout = DEFAULT_BODY_TIMEOUT_MS;
  self->max_connections = DEFAULT_MAX_CONNECTIONS;
}

/**
 * picky_webhook_server_new:
 *
 * Returns: (transfer full): a listener with no routes, not listening yet
 */
PickyWebhookServer *
picky_webhook_server_new (void)
{
  return g_object_new (PICKY_TYPE_WEBHOOK_SERVER, NULL);
}

/**
 * picky_webhook_server_start:
 * @self: a #PickyWebhookServer
 * @address: an IP address to bind, usually 127.0.0.1
 * @port: the port, or 0 for any free one
 * @error: return location for a #GError
 *
 * Listens on @address:@port, serving on the thread-default main context
 * of the caller. A running listener is stopped first, so this also moves it.
 *
 * Returns: whether the listener is bound
 */
gboolean
picky_webhook_server_start (PickyWebhookServer  *self,
                            const char          *address,
                            guint                port,
                            GError             **error)
{
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GError) local_error = NULL;
  GSList *listeners;

  g_return_val_if_fail (PICKY_IS_WEBHOOK_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);

  picky_webhook_server_stop (self);

  socket_address = g_inet_socket_address_new_from_string (address, port);
  if (socket_address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IP address the webhook listener can use"), address);
      return FALSE;
    }

  /* No server header: nothing tells a scanner which libsoup answers. */
  self->server = soup_server_new ("server-header", NULL, NULL);
  self->context = g_main_context_ref_thread_default ();
  g_signal_connect (self->server, "request-started", G_CALLBACK (on_request_started_cb), self);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (on_request_done_cb), self);
  g_signal_connect (self->server, "request-aborted", G_CALLBACK (on_request_done_cb), self);
  soup_server_add_handler (self->server, "/", handle_request_cb, self, NULL);

  if (!soup_server_listen (self->server, socket_address, 0, &local_error))
    {
      g_set_error (error, G_IO_ERROR, local_error->code,
                   _("The webhook listener cannot use %s port %u: %s"),
                   address, port, local_error->message);
      picky_webhook_server_stop (self);
      return FALSE;
    }

  listeners = soup_server_get_listeners (self->server);
  self->port = port;
  if (listeners != NULL)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);

      if (G_IS_INET_SOCKET_ADDRESS (local))
        self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);

  return TRUE;
}

/**
 * picky_webhook_server_stop:
 * @self: a #PickyWebhookServer
 *
 * Closes the listening socket and every connection. Routes stay.
 */
void
picky_webhook_server_stop (PickyWebhookServer *self)
{
  g_return_if_fail (PICKY_IS_WEBHOOK_SERVER (self));

  if (self->server != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }
  forget_messages (self);
  g_clear_pointer (&self->context, g_main_context_unref);
  self->port = 0;
}

gboolean
picky_webhook_server_is_listening (PickyWebhookServer *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_SERVER (self), FALSE);

  return self->server != NULL;
}

/**
 * picky_webhook_server_get_port:
 * @self: a #PickyWebhookServer
 *
 * Returns: the port it listens on, or 0 when it does not
 */
guint
picky_webhook_server_get_port (PickyWebhookServer *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_SERVER (self), 0);

  return self->port;
}

guint
picky_webhook_server_get_n_connections (PickyWebhookServer *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_SERVER (self), 0);

  return g_hash_table_size (self->messages);
}

/**
 * picky_webhook_server_add_route:
 * @self: a #PickyWebhookServer
 * @prefix: a path such as "/whatsapp" (that path and below it) or
 *   "/relay/" (every path that starts with it)
 * @handler: called for each request under @prefix
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data when the route goes
 *
 * Gives @prefix to a channel. The listener has already checked method
 * (GET or POST), content type (POST bodies are application/json), body
 * size and timeouts; the handler checks signatures and answers through
 * picky_webhook_request_respond(), as late as it likes. A prefix that is
 * taken already is replaced.
 */
void
picky_webhook_server_add_route (PickyWebhookServer  *self,
                                const char          *prefix,
                                PickyWebhookHandler  handler,
                                gpointer             user_data,
                                GDestroyNotify       destroy)
{
  Route *route;

  g_return_if_fail (PICKY_IS_WEBHOOK_SERVER (self));
  g_return_if_fail (prefix != NULL && prefix[0] == '/' && prefix[1] != '\0');
  g_return_if_fail (handler != NULL);

  picky_webhook_server_remove_route (self, prefix);

  route = g_new0 (Route, 1);
  route->prefix = g_strdup (prefix);
  route->handler = handler;
  route->user_data = user_data;
  route->destroy = destroy;
  g_ptr_array_add (self->routes, route);
}

void
picky_webhook_server_remove_route (PickyWebhookServer *self,
                                   const char         *prefix)
{
  g_return_if_fail (PICKY_IS_WEBHOOK_SERVER (self));
  g_return_if_fail (prefix != NULL);

  for (guint i = 0; i < self->routes->len; i++)
    if (g_strcmp0 (((Route *) g_ptr_array_index (self->routes, i))->prefix, prefix) == 0)
      {
        g_ptr_array_remove_index (self->routes, i);
        return;
      }
}

gboolean
picky_webhook_server_has_route (PickyWebhookServer *self,
                                const char         *prefix)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_SERVER (self), FALSE);
  g_return_val_if_fail (prefix != NULL, FALSE);

  for (guint i = 0; i < self->routes->len; i++)
    if (g_strcmp0 (((Route *) g_ptr_array_index (self->routes, i))->prefix, prefix) == 0)
      return TRUE;

  return FALSE;
}
