/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The webhook listener: a strict HTTP/1.1 server with its own limits, and the paths that channels join. */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>

#include "picky-bidi.h"
#include "picky-http-connection.h"
#include "picky-webhook-server.h"

#define DEFAULT_HEADER_TIMEOUT_MS 10000
#define DEFAULT_BODY_TIMEOUT_MS 30000
#define DEFAULT_MAX_CONNECTIONS 256
/* Connections the kernel queues before they are accepted: a burst of
 * them must not be refused before the shedding below can see them. */
#define LISTEN_BACKLOG 1024
/* Accepts per wake-up, so that serving goes on during a flood. */
#define ACCEPTS_PER_WAKEUP 64
/* How long accepting pauses when the process is out of descriptors and no
 * connection can be shed. */
#define ACCEPT_PAUSE_MS 100

typedef struct
{
  char                *prefix;
  PickyWebhookHandler  handler;
  gpointer             user_data;
  GDestroyNotify       destroy;
} Route;

/* A path that channels joined: the route's data, whose handler is
 * fan_out_cb. */
typedef struct
{
  PickyWebhookFanout  fanout;
  GPtrArray          *members;   /* borrowed: each leaves before it goes */
} Path;

struct _PickyWebhookServer
{
  GObject       parent_instance;

  /* owned */
  GSocket      *socket;
  GSource      *accept_source;
  GSource      *accept_pause;
  GMainContext *context;
  GPtrArray    *routes;        /* Route */
  GPtrArray    *connections;   /* PickyHttpConnection, open ones */
  guint         port;
  char         *bind_error;

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
  PROP_BIND_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void start_accepting (PickyWebhookServer *self);

static void
route_free (Route *route)
{
  if (route->destroy != NULL)
    route->destroy (route->user_data);
  g_free (route->prefix);
  g_free (route);
}

static void
path_free (Path *path)
{
  g_ptr_array_unref (path->members);
  g_free (path);
}

static void
fan_out_cb (PickyWebhookServer  *server,
            PickyWebhookRequest *request,
            gpointer             user_data)
{
  Path *path = user_data;
  /* Should the handler make the last member leave, the path goes, but
   * the list it was given stays readable. */
  g_autoptr(GPtrArray) members = g_ptr_array_ref (path->members);

  path->fanout (server, request, members);
}

static gboolean
is_valid_prefix (const char *prefix)
{
  return prefix != NULL && prefix[0] == '/' && prefix[1] != '\0';
}

static guint
lookup_route (PickyWebhookServer *self,
              const char         *prefix)
{
  for (guint i = 0; i < self->routes->len; i++)
    if (g_strcmp0 (((Route *) g_ptr_array_index (self->routes, i))->prefix, prefix) == 0)
      return i;

  return G_MAXUINT;
}

static Path *
lookup_path (PickyWebhookServer *self,
             const char         *prefix)
{
  guint i = lookup_route (self, prefix);
  Route *route = i != G_MAXUINT ? g_ptr_array_index (self->routes, i) : NULL;

  return route != NULL && route->handler == fan_out_cb ? route->user_data : NULL;
}

static void
set_bind_error (PickyWebhookServer *self,
                const char         *bind_error)
{
  if (g_strcmp0 (self->bind_error, bind_error) == 0)
    return;

  g_free (self->bind_error);
  self->bind_error = g_strdup (bind_error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BIND_ERROR]);
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

/* The target without its query. */
static char *
dup_path (PickyHttpParser *parser)
{
  const char *target = picky_http_parser_get_target (parser);

  return g_strndup (target, strcspn (target, "?"));
}

/* A media type without its parameters: "application/json; charset=utf-8". */
static gboolean
is_json (const char *content_type)
{
  g_autofree char *type = NULL;

  if (content_type == NULL)
    return FALSE;
  type = g_strndup (content_type, strcspn (content_type, ";"));
  return g_ascii_strcasecmp (g_strstrip (type), "application/json") == 0;
}

static gboolean
check_head_cb (PickyHttpConnection *connection,
               PickyHttpParser     *parser,
               guint                serial,
               gpointer             user_data)
{
  PickyWebhookServer *self = user_data;
  g_autofree char *path = dup_path (parser);
  const char *method = picky_http_parser_get_method (parser);
  guint status = 0;
  const char *extra = NULL;

  if (find_route (self, path) == NULL)
    status = 404;
  else if (g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "POST") != 0)
    {
      status = 405;
      extra = "Allow: GET, POST\r\n";
    }
  else if (g_strcmp0 (method, "POST") == 0 && !is_json (picky_http_parser_get_header (parser, "Content-Type")))
    status = 415;

  if (status == 0)
    return TRUE;

  picky_http_connection_respond (connection, serial, status, extra, "text/plain", "", 0);
  return FALSE;
}

static void
dispatch_cb (PickyHttpConnection *connection,
             PickyHttpParser     *parser,
             guint                serial,
             gpointer             user_data)
{
  PickyWebhookServer *self = user_data;
  g_autoptr(PickyWebhookRequest) request = NULL;
  g_autofree char *path = dup_path (parser);
  Route *route;

  /* The route may have gone while the body was read. */
  route = find_route (self, path);
  if (route == NULL)
    {
      picky_http_connection_respond (connection, serial, 404, NULL, "text/plain", "", 0);
      return;
    }

  request = picky_webhook_request_new (connection, serial, parser);
  route->handler (self, request, route->user_data);
}

static void
closed_cb (PickyHttpConnection *connection,
           gpointer             user_data)
{
  PickyWebhookServer *self = user_data;

  g_ptr_array_remove_fast (self->connections, connection);
}

static const PickyHttpConnectionHandlers handlers = {
  check_head_cb,
  dispatch_cb,
  closed_cb,
};

/* At the cap, the connection that has sent least goes: one already
 * answered and draining, then an idle one (kept alive, or opened and
 * silent), then one with part of a head, least bytes first; the oldest
 * among equals. A request being read or answered is never cut. */
static PickyHttpConnection *
find_victim (PickyWebhookServer *self)
{
  PickyHttpConnection *victim = NULL;
  guint victim_rank = G_MAXUINT;
  guint64 victim_received = 0;
  gint64 victim_since = 0;

  for (guint i = 0; i < self->connections->len; i++)
    {
      PickyHttpConnection *connection = g_ptr_array_index (self->connections, i);
      guint64 received = picky_http_connection_get_received (connection);
      gint64 since = picky_http_connection_get_since (connection);
      guint rank;

      switch (picky_http_connection_get_state (connection))
        {
        case PICKY_HTTP_CONNECTION_CLOSING:
          rank = 0;
          break;
        case PICKY_HTTP_CONNECTION_IDLE:
          rank = 1;
          received = 0;
          break;
        case PICKY_HTTP_CONNECTION_HEAD:
          rank = 2;
          break;
        case PICKY_HTTP_CONNECTION_BODY:
        case PICKY_HTTP_CONNECTION_WAITING:
        case PICKY_HTTP_CONNECTION_WRITING:
        case PICKY_HTTP_CONNECTION_CLOSED:
        default:
          continue;
        }

      if (victim == NULL || rank < victim_rank ||
          (rank == victim_rank && (received < victim_received ||
                                   (received == victim_received && since < victim_since))))
        {
          victim = connection;
          victim_rank = rank;
          victim_received = received;
          victim_since = since;
        }
    }

  return victim;
}

static gboolean
shed_one (PickyWebhookServer *self)
{
  PickyHttpConnection *victim = find_victim (self);

  if (victim == NULL)
    return FALSE;
  g_debug ("Webhook listener: at %u connections, closing the one that sent least", self->max_connections);
  picky_http_connection_close (victim);
  return TRUE;
}

/* Every connection is busy with a real request: the newcomer waits for
 * nothing and is told to come back. */
static void
refuse_connection (GSocket *socket)
{
  g_autofree char *head = picky_http_format_response (503, "Retry-After: 1\r\n", NULL, 0, TRUE);

  g_socket_set_blocking (socket, FALSE);
  g_socket_send (socket, head, strlen (head), NULL, NULL);
  g_socket_shutdown (socket, FALSE, TRUE, NULL);
  g_socket_close (socket, NULL);
}

static void
add_connection (PickyWebhookServer *self,
                GSocket            *socket)
{
  PickyHttpLimits limits = { self->max_body_size, self->header_timeout, self->body_timeout };
  PickyHttpConnection *connection;

  if (self->connections->len >= self->max_connections && !shed_one (self))
    {
      refuse_connection (socket);
      return;
    }

  connection = picky_http_connection_new (socket, &limits, &handlers, self);
  g_ptr_array_add (self->connections, connection);
  picky_http_connection_start (connection);
}

static gboolean
on_accept_pause_done_cb (gpointer user_data)
{
  PickyWebhookServer *self = user_data;

  g_clear_pointer (&self->accept_pause, g_source_unref);
  start_accepting (self);
  return G_SOURCE_REMOVE;
}

static void
stop_accepting (PickyWebhookServer *self)
{
  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  if (self->accept_pause != NULL)
    {
      g_source_destroy (self->accept_pause);
      g_clear_pointer (&self->accept_pause, g_source_unref);
    }
}

static gboolean
on_acceptable_cb (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  PickyWebhookServer *self = user_data;

  for (guint i = 0; i < ACCEPTS_PER_WAKEUP; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) accepted = g_socket_accept (self->socket, NULL, &error);

      if (accepted != NULL)
        {
          add_connection (self, accepted);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES) && shed_one (self))
        continue;

      /* Out of descriptors with nothing to shed, or another failure: the
       * connection stays queued, and accepting resumes in a moment. */
      g_debug ("Webhook listener: cannot accept: %s", error->message);
      stop_accepting (self);
      self->accept_pause = g_timeout_source_new (ACCEPT_PAUSE_MS);
      g_source_set_callback (self->accept_pause, on_accept_pause_done_cb, self, NULL);
      g_source_attach (self->accept_pause, self->context);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
start_accepting (PickyWebhookServer *self)
{
  self->accept_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_acceptable_cb), self, NULL);
  g_source_attach (self->accept_source, self->context);
}

static void
close_connections (PickyWebhookServer *self)
{
  /* Closing removes each from the array through closed_cb. */
  while (self->connections->len > 0)
    {
      g_autoptr(PickyHttpConnection) connection =
        g_object_ref (g_ptr_array_index (self->connections, self->connections->len - 1));

      picky_http_connection_close (connection);
    }
}

/* Closes the listening socket and every connection, and forgets where it
 * listened. */
static void
close_listener (PickyWebhookServer *self)
{
  stop_accepting (self);
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
  close_connections (self);
  g_clear_pointer (&self->context, g_main_context_unref);
  self->port = 0;
}

/* Binds and listens; @error says why not, in the words of the system. */
static gboolean
listen_on (PickyWebhookServer  *self,
           const char          *address,
           guint                port,
           GError             **error)
{
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) local_error = NULL;

  socket_address = g_inet_socket_address_new_from_string (address, port);
  if (socket_address == NULL)
    {
      g_autofree char *shown = picky_bidi_isolate (address);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IP address the webhook listener can use"), shown);
      return FALSE;
    }

  self->socket = g_socket_new (g_socket_address_get_family (socket_address),
                               G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &local_error);
  if (self->socket != NULL)
    {
      g_socket_set_blocking (self->socket, FALSE);
      g_socket_set_listen_backlog (self->socket, LISTEN_BACKLOG);
    }
  if (self->socket == NULL ||
      !g_socket_bind (self->socket, socket_address, TRUE, &local_error) ||
      !g_socket_listen (self->socket, &local_error) ||
      (local = g_socket_get_local_address (self->socket, &local_error)) == NULL)
    {
      /* An address like 127.0.0.1 and GIO's English would run into the
       * words around them in a language written right to left. */
      g_autofree char *shown = picky_bidi_isolate (address);
      g_autofree char *why = picky_bidi_isolate (local_error->message);

      g_set_error (error, G_IO_ERROR, local_error->code,
                   _("The webhook listener cannot use %s port %u: %s"), shown, port, why);
      close_listener (self);
      return FALSE;
    }

  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  self->context = g_main_context_ref_thread_default ();
  start_accepting (self);

  return TRUE;
}

static void
picky_webhook_server_dispose (GObject *object)
{
  PickyWebhookServer *self = PICKY_WEBHOOK_SERVER (object);

  close_listener (self);
  if (self->routes != NULL)
    g_ptr_array_set_size (self->routes, 0);

  G_OBJECT_CLASS (picky_webhook_server_parent_class)->dispose (object);
}

static void
picky_webhook_server_finalize (GObject *object)
{
  PickyWebhookServer *self = PICKY_WEBHOOK_SERVER (object);

  g_clear_pointer (&self->routes, g_ptr_array_unref);
  g_clear_pointer (&self->connections, g_ptr_array_unref);
  g_free (self->bind_error);

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
    case PROP_BIND_ERROR:
      g_value_set_string (value, self->bind_error);
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
  /* At this many connections, a newcomer sheds the one that has sent
   * least; only when every one is busy with a request is it answered 503. */
  properties[PROP_MAX_CONNECTIONS] =
    g_param_spec_uint ("max-connections", NULL, NULL,
                       1, G_MAXUINT, DEFAULT_MAX_CONNECTIONS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* Why the last start could not bind, in words for the admin, such as
   * "Listener unavailable: 127.0.0.1 port 8765 is in use"; %NULL once a
   * start worked or the listener was stopped. Channels whose messages come
   * through the listener show it instead of a false "online". */
  properties[PROP_BIND_ERROR] =
    g_param_spec_string ("bind-error", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
picky_webhook_server_init (PickyWebhookServer *self)
{
  self->routes = g_ptr_array_new_with_free_func ((GDestroyNotify) route_free);
  self->connections = g_ptr_array_new_with_free_func (g_object_unref);
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
 * #PickyWebhookServer:bind-error follows the outcome.
 *
 * Returns: whether the listener is bound
 */
gboolean
picky_webhook_server_start (PickyWebhookServer  *self,
                            const char          *address,
                            guint                port,
                            GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *reason = NULL;

  g_return_val_if_fail (PICKY_IS_WEBHOOK_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);

  close_listener (self);

  if (listen_on (self, address, port, &local_error))
    {
      set_bind_error (self, NULL);
      return TRUE;
    }

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    {
      g_autofree char *shown = picky_bidi_isolate (address);

      reason = g_strdup_printf (_("Listener unavailable: %s port %u is in use"), shown, port);
    }
  else
    {
      g_autofree char *why = picky_bidi_isolate (local_error->message);

      reason = g_strdup_printf (_("Listener unavailable: %s"), why);
    }
  set_bind_error (self, reason);
  g_propagate_error (error, g_steal_pointer (&local_error));

  return FALSE;
}

/**
 * picky_webhook_server_stop:
 * @self: a #PickyWebhookServer
 *
 * Closes the listening socket and every connection. Routes and the
 * members of paths stay.
 */
void
picky_webhook_server_stop (PickyWebhookServer *self)
{
  g_return_if_fail (PICKY_IS_WEBHOOK_SERVER (self));

  close_listener (self);
  set_bind_error (self, NULL);
}

gboolean
picky_webhook_server_is_listening (PickyWebhookServer *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_SERVER (self), FALSE);

  return self->socket != NULL;
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

  return self->connections->len;
}

/**
 * picky_webhook_server_get_bind_error:
 * @self: a #PickyWebhookServer
 *
 * Returns: (nullable): why the last start could not bind, or %NULL
 */
const char *
picky_webhook_server_get_bind_error (PickyWebhookServer *self)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_SERVER (self), NULL);

  return self->bind_error;
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
  g_return_if_fail (is_valid_prefix (prefix));
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
  guint i;

  g_return_if_fail (PICKY_IS_WEBHOOK_SERVER (self));
  g_return_if_fail (prefix != NULL);

  i = lookup_route (self, prefix);
  if (i != G_MAXUINT)
    g_ptr_array_remove_index (self->routes, i);
}

gboolean
picky_webhook_server_has_route (PickyWebhookServer *self,
                                const char         *prefix)
{
  g_return_val_if_fail (PICKY_IS_WEBHOOK_SERVER (self), FALSE);
  g_return_val_if_fail (prefix != NULL, FALSE);

  return lookup_route (self, prefix) != G_MAXUINT;
}

/**
 * picky_webhook_server_join:
 * @self: a #PickyWebhookServer
 * @prefix: the path, as for picky_webhook_server_add_route()
 * @fanout: the handler of the path, the same for every member
 * @member: (type GObject): who joins, usually a channel; it must leave
 *   before it is finalized
 *
 * Makes @member one of those that share @prefix, such as every channel
 * of one kind: Meta posts all numbers of an app to one callback URL, and
 * a phone relays all its apps to one address. The first member makes the
 * route, which replaces a route of its own at @prefix; each request under
 * it goes to @fanout with the members. The checks of
 * picky_webhook_server_add_route() come first.
 */
void
picky_webhook_server_join (PickyWebhookServer *self,
                           const char         *prefix,
                           PickyWebhookFanout  fanout,
                           gpointer            member)
{
  Path *path;

  g_return_if_fail (PICKY_IS_WEBHOOK_SERVER (self));
  g_return_if_fail (is_valid_prefix (prefix));
  g_return_if_fail (fanout != NULL);
  g_return_if_fail (G_IS_OBJECT (member));

  path = lookup_path (self, prefix);
  if (path == NULL)
    {
      path = g_new0 (Path, 1);
      path->fanout = fanout;
      path->members = g_ptr_array_new ();
      picky_webhook_server_add_route (self, prefix, fan_out_cb, path, (GDestroyNotify) path_free);
    }

  g_return_if_fail (path->fanout == fanout);
  g_return_if_fail (!g_ptr_array_find (path->members, member, NULL));

  g_ptr_array_add (path->members, member);
}

/**
 * picky_webhook_server_leave:
 * @self: a #PickyWebhookServer
 * @prefix: a path that @member joined
 * @member: (type GObject): who leaves
 *
 * The route goes with the last member: with nobody to serve them,
 * requests under @prefix are answered 404. Leaving a path one is not a
 * member of does nothing, so a channel may leave on stop and again on
 * dispose.
 */
void
picky_webhook_server_leave (PickyWebhookServer *self,
                            const char         *prefix,
                            gpointer            member)
{
  Path *path;

  g_return_if_fail (PICKY_IS_WEBHOOK_SERVER (self));
  g_return_if_fail (prefix != NULL);

  path = lookup_path (self, prefix);
  if (path == NULL || !g_ptr_array_remove (path->members, member))
    return;

  if (path->members->len == 0)
    picky_webhook_server_remove_route (self, prefix);
}

/**
 * picky_webhook_server_get_members:
 * @self: a #PickyWebhookServer
 * @prefix: a path
 *
 * Returns: (transfer none) (nullable) (element-type GObject): who joined
 *   @prefix, in the order they joined, or %NULL when nobody did
 */
GPtrArray *
picky_webhook_server_get_members (PickyWebhookServer *self,
                                  const char         *prefix)
{
  Path *path;

  g_return_val_if_fail (PICKY_IS_WEBHOOK_SERVER (self), NULL);
  g_return_val_if_fail (prefix != NULL, NULL);

  path = lookup_path (self, prefix);
  return path != NULL ? path->members : NULL;
}
