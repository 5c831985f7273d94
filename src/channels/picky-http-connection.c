/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One accepted connection of the webhook listener: reads and parses requests, writes answers, keeps alive or closes. */

#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "picky-http-connection.h"

#define READ_SIZE (16 * 1024)
/* What a waiting connection buffers of a next, pipelined request. */
#define MAX_PENDING_INPUT (64 * 1024)
/* After a refusal, what is still read (and dropped) before closing, so
 * that the answer is not lost to a reset for unread data. */
#define MAX_DRAIN (256 * 1024)
#define DRAIN_TIMEOUT_MS 2000

#define CONTINUE_RESPONSE "HTTP/1.1 100 Continue\r\n\r\n"

struct _PickyHttpConnection
{
  GObject                             parent_instance;

  /* owned */
  GSocket                            *socket;
  GMainContext                       *context;
  GSource                            *watch;
  GIOCondition                        watching;
  GSource                            *timer;
  PickyHttpParser                    *parser;
  GByteArray                         *input;     /* received, not parsed yet */
  GByteArray                         *output;    /* not written yet */

  /* borrowed */
  const PickyHttpConnectionHandlers  *handlers;
  gpointer                            user_data;

  PickyHttpLimits                     limits;
  PickyHttpConnectionState            state;
  guint                               serial;
  gboolean                            keep_alive;
  gboolean                            processing;
  gint64                              since;
  gsize                               drained;
};

G_DEFINE_FINAL_TYPE (PickyHttpConnection, picky_http_connection, G_TYPE_OBJECT)

static void process (PickyHttpConnection *self);
static void update_watch (PickyHttpConnection *self);

static const char *day_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* libsoup 3.2.3's table lacks some that the listener sends (431). */
static const char *
reason_phrase (guint status)
{
  switch (status)
    {
    case 413:
      return "Request Entity Too Large";
    case 417:
      return "Expectation Failed";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return soup_status_get_phrase (status);
    }
}

/* The IMF-fixdate of RFC 9110, in English whatever the locale. */
static void
append_date (GString *response)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  g_string_append_printf (response, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                          day_names[g_date_time_get_day_of_week (now) - 1],
                          g_date_time_get_day_of_month (now),
                          month_names[g_date_time_get_month (now) - 1],
                          g_date_time_get_year (now),
                          g_date_time_get_hour (now),
                          g_date_time_get_minute (now),
                          g_date_time_get_second (now));
}

/**
 * picky_http_format_response:
 * @status: the status
 * @extra_headers: (nullable): whole header lines, each ending in CRLF
 * @content_type: (nullable): the body's type; none is sent when %NULL
 * @length: the body's length
 * @close: whether the connection closes after the answer
 *
 * Returns: (transfer full): an HTTP/1.1 response head, with no Server field
 */
char *
picky_http_format_response (guint       status,
                            const char *extra_headers,
                            const char *content_type,
                            gsize       length,
                            gboolean    close)
{
  GString *response = g_string_sized_new (160);

  g_string_append_printf (response, "HTTP/1.1 %u %s\r\n", status, reason_phrase (status));
  append_date (response);
  if (content_type != NULL)
    g_string_append_printf (response, "Content-Type: %s\r\n", content_type);
  g_string_append_printf (response, "Content-Length: %" G_GSIZE_FORMAT "\r\n", length);
  if (close)
    g_string_append (response, "Connection: close\r\n");
  if (extra_headers != NULL)
    g_string_append (response, extra_headers);
  g_string_append (response, "\r\n");

  return g_string_free (response, FALSE);
}

static void
clear_timer (PickyHttpConnection *self)
{
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
}

static void
clear_watch (PickyHttpConnection *self)
{
  if (self->watch != NULL)
    {
      g_source_destroy (self->watch);
      g_clear_pointer (&self->watch, g_source_unref);
    }
  self->watching = 0;
}

static gboolean
on_timer_cb (gpointer user_data)
{
  PickyHttpConnection *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  g_debug ("Webhook listener: a client took too long, closing its connection");
  picky_http_connection_close (self);

  return G_SOURCE_REMOVE;
}

/* One timer per connection: the header, body, write or drain deadline,
 * whichever the state calls for. */
static void
start_timer (PickyHttpConnection *self,
             guint                ms)
{
  clear_timer (self);
  if (ms == 0)
    return;

  self->timer = g_timeout_source_new (ms);
  g_source_set_callback (self->timer, on_timer_cb, self, NULL);
  g_source_attach (self->timer, self->context);
}

static void
set_state (PickyHttpConnection      *self,
           PickyHttpConnectionState  state)
{
  self->state = state;
  self->since = g_get_monotonic_time ();
}

/* Answers without a handler: a refusal, after which the connection closes
 * because whatever follows cannot be trusted to be a request. */
static void
refuse (PickyHttpConnection *self,
        guint                status)
{
  picky_http_connection_respond (self, self->serial, status, NULL, NULL, NULL, 0);
}

static void
drop_input (PickyHttpConnection *self,
            gsize                length)
{
  if (length > 0)
    g_byte_array_remove_range (self->input, 0, length);
}

static void
start_next_request (PickyHttpConnection *self)
{
  picky_http_parser_reset (self->parser);
  set_state (self, PICKY_HTTP_CONNECTION_IDLE);
  /* One timer covers an idle kept-alive connection and a head that never
   * completes, as libsoup's did. */
  start_timer (self, self->limits.header_timeout);
}

/* Half-closes after the last answer and reads on for a moment, so that a
 * client still sending gets the answer instead of a reset. */
static void
start_closing (PickyHttpConnection *self)
{
  g_socket_shutdown (self->socket, FALSE, TRUE, NULL);
  g_byte_array_set_size (self->input, 0);
  set_state (self, PICKY_HTTP_CONNECTION_CLOSING);
  start_timer (self, DRAIN_TIMEOUT_MS);
}

/* Returns FALSE when the connection broke. */
static gboolean
flush_output (PickyHttpConnection *self)
{
  while (self->output->len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (self->socket, (const char *) self->output->data, self->output->len,
                                NULL, &error);

      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return TRUE;
          g_debug ("Webhook listener: cannot answer: %s", error->message);
          return FALSE;
        }
      g_byte_array_remove_range (self->output, 0, n);
    }

  return TRUE;
}

static void
handle_head (PickyHttpConnection *self)
{
  set_state (self, PICKY_HTTP_CONNECTION_BODY);
  start_timer (self, self->limits.body_timeout);
  if (!self->handlers->check_head (self, self->parser, self->serial, self->user_data))
    return;

  /* Clients that wait for leave to send the body get it, unless the body
   * is there already. */
  if (picky_http_parser_get_expects_continue (self->parser) &&
      picky_http_parser_has_body (self->parser) && self->input->len == 0)
    g_byte_array_append (self->output, (const guint8 *) CONTINUE_RESPONSE, strlen (CONTINUE_RESPONSE));
}

/* Feeds what was received to the parser and acts on each step, until it
 * needs more bytes or a handler holds the request. Callbacks may answer or
 * close from within, so the state is read afresh on every turn. */
static void
process (PickyHttpConnection *self)
{
  gboolean more = TRUE;

  if (self->processing)
    return;
  self->processing = TRUE;
  g_object_ref (self);

  while (more)
    {
      PickyHttpResult result;
      gsize consumed = 0;

      switch (self->state)
        {
        case PICKY_HTTP_CONNECTION_IDLE:
        case PICKY_HTTP_CONNECTION_HEAD:
          if (self->input->len == 0)
            {
              more = FALSE;
              break;
            }
          result = picky_http_parser_feed (self->parser, self->input->data, self->input->len, &consumed);
          drop_input (self, consumed);
          if (result == PICKY_HTTP_NEED_MORE)
            {
              if (self->state == PICKY_HTTP_CONNECTION_IDLE)
                self->state = PICKY_HTTP_CONNECTION_HEAD;
              more = FALSE;
            }
          else if (result == PICKY_HTTP_HEAD)
            {
              self->serial++;
              handle_head (self);
            }
          else
            refuse (self, picky_http_parser_get_status (self->parser));
          break;

        case PICKY_HTTP_CONNECTION_BODY:
          result = picky_http_parser_feed (self->parser, self->input->data, self->input->len, &consumed);
          drop_input (self, consumed);
          if (result == PICKY_HTTP_NEED_MORE)
            more = FALSE;
          else if (result == PICKY_HTTP_DONE)
            {
              clear_timer (self);
              self->keep_alive = picky_http_parser_get_keep_alive (self->parser);
              set_state (self, PICKY_HTTP_CONNECTION_WAITING);
              self->handlers->dispatch (self, self->parser, self->serial, self->user_data);
            }
          else
            refuse (self, picky_http_parser_get_status (self->parser));
          break;

        case PICKY_HTTP_CONNECTION_WRITING:
          if (!flush_output (self))
            {
              picky_http_connection_close (self);
              break;
            }
          if (self->output->len > 0)
            {
              more = FALSE;
              break;
            }
          if (self->keep_alive)
            start_next_request (self);
          else
            start_closing (self);
          break;

        case PICKY_HTTP_CONNECTION_WAITING:
        case PICKY_HTTP_CONNECTION_CLOSING:
        case PICKY_HTTP_CONNECTION_CLOSED:
        default:
          more = FALSE;
          break;
        }
    }

  /* A 100 Continue waits in the output while the body is read. */
  if (self->state == PICKY_HTTP_CONNECTION_BODY && self->output->len > 0 && !flush_output (self))
    picky_http_connection_close (self);

  self->processing = FALSE;
  update_watch (self);
  g_object_unref (self);
}

/* Returns FALSE when the connection is to go. */
static gboolean
receive (PickyHttpConnection *self)
{
  g_autoptr(GError) error = NULL;
  guint8 buffer[READ_SIZE];
  gssize n;

  n = g_socket_receive (self->socket, (char *) buffer, sizeof buffer, NULL, &error);
  if (n < 0)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return TRUE;
      g_debug ("Webhook listener: a connection failed: %s", error->message);
      return FALSE;
    }
  if (n == 0)
    return FALSE;

  if (self->state == PICKY_HTTP_CONNECTION_CLOSING)
    {
      self->drained += n;
      return self->drained < MAX_DRAIN;
    }

  g_byte_array_append (self->input, buffer, n);
  return TRUE;
}

static gboolean
on_socket_cb (GSocket      *socket,
              GIOCondition  condition,
              gpointer      user_data)
{
  PickyHttpConnection *self = user_data;

  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    {
      if (!receive (self))
        {
          /* A client that hangs up while its request waits for a commit:
           * the request is then answered by nobody. */
          picky_http_connection_close (self);
          return G_SOURCE_CONTINUE;
        }
    }

  process (self);
  return G_SOURCE_CONTINUE;
}

/* Watches for what the state needs: reading while a request comes in (and
 * while one waits, to notice a hang-up), writing while an answer is out. */
static void
update_watch (PickyHttpConnection *self)
{
  GIOCondition wanted = 0;

  switch (self->state)
    {
    case PICKY_HTTP_CONNECTION_IDLE:
    case PICKY_HTTP_CONNECTION_HEAD:
    case PICKY_HTTP_CONNECTION_BODY:
    case PICKY_HTTP_CONNECTION_CLOSING:
      wanted = G_IO_IN;
      break;
    case PICKY_HTTP_CONNECTION_WAITING:
      if (self->input->len < MAX_PENDING_INPUT)
        wanted = G_IO_IN;
      break;
    case PICKY_HTTP_CONNECTION_WRITING:
    case PICKY_HTTP_CONNECTION_CLOSED:
    default:
      break;
    }
  if (self->output->len > 0 && self->state != PICKY_HTTP_CONNECTION_CLOSED)
    wanted |= G_IO_OUT;

  if (wanted == self->watching)
    return;

  clear_watch (self);
  if (wanted == 0)
    return;

  self->watching = wanted;
  self->watch = g_socket_create_source (self->socket, wanted, NULL);
  g_source_set_callback (self->watch, G_SOURCE_FUNC (on_socket_cb), self, NULL);
  g_source_attach (self->watch, self->context);
}

static void
picky_http_connection_dispose (GObject *object)
{
  PickyHttpConnection *self = PICKY_HTTP_CONNECTION (object);

  clear_timer (self);
  clear_watch (self);
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);

  G_OBJECT_CLASS (picky_http_connection_parent_class)->dispose (object);
}

static void
picky_http_connection_finalize (GObject *object)
{
  PickyHttpConnection *self = PICKY_HTTP_CONNECTION (object);

  g_clear_pointer (&self->parser, picky_http_parser_free);
  g_clear_pointer (&self->input, g_byte_array_unref);
  g_clear_pointer (&self->output, g_byte_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (picky_http_connection_parent_class)->finalize (object);
}

static void
picky_http_connection_class_init (PickyHttpConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_http_connection_dispose;
  object_class->finalize = picky_http_connection_finalize;
}

static void
picky_http_connection_init (PickyHttpConnection *self)
{
  self->input = g_byte_array_new ();
  self->output = g_byte_array_new ();
  self->since = g_get_monotonic_time ();
}

/**
 * picky_http_connection_new:
 * @socket: an accepted socket
 * @limits: body size and timeouts
 * @handlers: what the listener does with heads and requests; must outlive
 *   the connection's open time
 * @user_data: data for @handlers
 *
 * Returns: (transfer full): a connection, served on the thread-default
 *   main context once picky_http_connection_start() is called
 */
PickyHttpConnection *
picky_http_connection_new (GSocket                           *socket,
                           const PickyHttpLimits             *limits,
                           const PickyHttpConnectionHandlers *handlers,
                           gpointer                           user_data)
{
  PickyHttpConnection *self;

  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);
  g_return_val_if_fail (limits != NULL, NULL);
  g_return_val_if_fail (handlers != NULL, NULL);

  self = g_object_new (PICKY_TYPE_HTTP_CONNECTION, NULL);
  self->socket = g_object_ref (socket);
  g_socket_set_blocking (socket, FALSE);
  self->context = g_main_context_ref_thread_default ();
  self->limits = *limits;
  self->handlers = handlers;
  self->user_data = user_data;
  self->parser = picky_http_parser_new (limits->max_body);

  return self;
}

void
picky_http_connection_start (PickyHttpConnection *self)
{
  g_return_if_fail (PICKY_IS_HTTP_CONNECTION (self));

  start_next_request (self);
  update_watch (self);
}

/**
 * picky_http_connection_close:
 * @self: a #PickyHttpConnection
 *
 * Closes the socket at once. A request still waiting for its answer stays
 * unanswered, and the closed handler runs.
 */
void
picky_http_connection_close (PickyHttpConnection *self)
{
  g_return_if_fail (PICKY_IS_HTTP_CONNECTION (self));

  if (self->state == PICKY_HTTP_CONNECTION_CLOSED)
    return;

  g_object_ref (self);
  set_state (self, PICKY_HTTP_CONNECTION_CLOSED);
  clear_timer (self);
  clear_watch (self);
  g_socket_close (self->socket, NULL);
  g_byte_array_set_size (self->input, 0);
  g_byte_array_set_size (self->output, 0);
  self->handlers->closed (self, self->user_data);
  g_object_unref (self);
}

/**
 * picky_http_connection_respond:
 * @self: a #PickyHttpConnection
 * @serial: the request's number on this connection
 * @status: the HTTP status
 * @extra_headers: (nullable): whole header lines, each ending in CRLF
 * @content_type: (nullable): the body's type
 * @body: (nullable): the body
 * @length: its length
 *
 * Answers request @serial. Before its body was read (from check_head, or
 * for a refusal) the connection closes after the answer; otherwise it stays
 * open if the client asked so.
 *
 * Returns: whether the answer was taken: %FALSE when the request was
 *   answered already or the client is gone
 */
gboolean
picky_http_connection_respond (PickyHttpConnection *self,
                               guint                serial,
                               guint                status,
                               const char          *extra_headers,
                               const char          *content_type,
                               const char          *body,
                               gsize                length)
{
  g_autofree char *head = NULL;

  g_return_val_if_fail (PICKY_IS_HTTP_CONNECTION (self), FALSE);

  if (serial != self->serial)
    return FALSE;
  switch (self->state)
    {
    case PICKY_HTTP_CONNECTION_IDLE:
    case PICKY_HTTP_CONNECTION_HEAD:
    case PICKY_HTTP_CONNECTION_BODY:
      /* The rest of the request is unread: it would be taken for the next. */
      self->keep_alive = FALSE;
      break;
    case PICKY_HTTP_CONNECTION_WAITING:
      break;
    case PICKY_HTTP_CONNECTION_WRITING:
    case PICKY_HTTP_CONNECTION_CLOSING:
    case PICKY_HTTP_CONNECTION_CLOSED:
    default:
      return FALSE;
    }

  if (body == NULL)
    length = 0;
  head = picky_http_format_response (status, extra_headers, content_type, length, !self->keep_alive);
  g_byte_array_append (self->output, (const guint8 *) head, strlen (head));
  if (length > 0)
    g_byte_array_append (self->output, (const guint8 *) body, length);

  set_state (self, PICKY_HTTP_CONNECTION_WRITING);
  /* A client that reads no answer is not waited for forever either. */
  start_timer (self, self->limits.body_timeout);
  process (self);

  return TRUE;
}

/* Whether request @serial still waits for its answer with the client there. */
gboolean
picky_http_connection_is_waiting (PickyHttpConnection *self,
                                  guint                serial)
{
  g_return_val_if_fail (PICKY_IS_HTTP_CONNECTION (self), FALSE);

  return self->serial == serial && self->state == PICKY_HTTP_CONNECTION_WAITING;
}

PickyHttpConnectionState
picky_http_connection_get_state (PickyHttpConnection *self)
{
  g_return_val_if_fail (PICKY_IS_HTTP_CONNECTION (self), PICKY_HTTP_CONNECTION_CLOSED);

  return self->state;
}

/* Bytes of the request in progress so far. */
guint64
picky_http_connection_get_received (PickyHttpConnection *self)
{
  g_return_val_if_fail (PICKY_IS_HTTP_CONNECTION (self), 0);

  return picky_http_parser_get_received (self->parser);
}

/* The monotonic time at which the connection entered its state. */
gint64
picky_http_connection_get_since (PickyHttpConnection *self)
{
  g_return_val_if_fail (PICKY_IS_HTTP_CONNECTION (self), 0);

  return self->since;
}
