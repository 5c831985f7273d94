/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the webhook listener over raw sockets on 127.0.0.1: what it answers, when it closes, whom it sheds, how paths fan out. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <sys/resource.h>

#include "picky-webhook-server.h"

#define N_SLOW 1000
#define N_VALID 60

typedef struct
{
  PickyWebhookServer *server;
  guint               port;
  guint               n_handled;
  PickyWebhookRequest *held;        /* a request the handler keeps unanswered */
} Fixture;

/* What a client saw: the bytes answered, whether the server closed, and how soon. */
typedef struct
{
  GString  *response;
  gboolean  closed;
  gint64    elapsed_ms;
} Seen;

typedef struct
{
  guint   port;
  GBytes *request;
} Exchange;

static void
seen_free (Seen *seen)
{
  g_string_free (seen->response, TRUE);
  g_free (seen);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Seen, seen_free)

static void
exchange_free (Exchange *exchange)
{
  g_bytes_unref (exchange->request);
  g_free (exchange);
}

/* ---- The route the tests own ---- */

static void
handle_cb (PickyWebhookServer  *server,
           PickyWebhookRequest *request,
           gpointer             user_data)
{
  Fixture *fixture = user_data;
  GBytes *body = picky_webhook_request_get_body (request);
  g_autofree char *answer = NULL;

  fixture->n_handled++;
  if (g_str_has_suffix (picky_webhook_request_get_path (request), "/hold"))
    {
      g_set_object (&fixture->held, request);
      return;
    }

  if (g_strcmp0 (picky_webhook_request_get_method (request), "GET") == 0)
    answer = g_strdup_printf ("q=%s|mode=%s", picky_webhook_request_get_query (request, "q"),
                              picky_webhook_request_get_query (request, "hub.mode"));
  else
    answer = g_strdup_printf ("got %" G_GSIZE_FORMAT ": %.*s|sig=%s", g_bytes_get_size (body),
                              (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL),
                              picky_webhook_request_get_header (request, "x-hub-signature-256"));
  picky_webhook_request_respond (request, 200, "text/plain", answer, -1);
}

/* Answers with the names of the members, in the order it got them. */
static void
fan_out_cb (PickyWebhookServer  *server,
            PickyWebhookRequest *request,
            GPtrArray           *members)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < members->len; i++)
    g_string_append_printf (names, "%s%s", i > 0 ? "," : "",
                            g_action_get_name (G_ACTION (g_ptr_array_index (members, i))));
  picky_webhook_request_respond (request, 200, "text/plain", names->str, -1);
}

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->server = picky_webhook_server_new ();
  picky_webhook_server_add_route (fixture->server, "/hook", handle_cb, fixture, NULL);
  g_assert_true (picky_webhook_server_start (fixture->server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  fixture->port = picky_webhook_server_get_port (fixture->server);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->held);
  g_assert_finalize_object (fixture->server);
}

/* ---- A raw client in a thread of its own, so the listener on this
 * thread's main context keeps serving while it waits. ---- */

static void
exchange_thread (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Exchange *exchange = task_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  Seen *seen = g_new0 (Seen, 1);
  gint64 started = g_get_monotonic_time ();
  gsize length = 0;
  const char *data = g_bytes_get_data (exchange->request, &length);
  GSocket *socket;
  char buffer[8192];
  gssize n;

  seen->response = g_string_new (NULL);
  /* A server that waits for more bytes is seen as not closing. */
  g_socket_client_set_timeout (client, 3);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", exchange->port, NULL, &error);
  g_assert_no_error (error);
  socket = g_socket_connection_get_socket (connection);
  g_socket_send_with_blocking (socket, data, length, TRUE, NULL, NULL);

  while ((n = g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_string_append_len (seen->response, buffer, n);
  seen->closed = n == 0;
  seen->elapsed_ms = (g_get_monotonic_time () - started) / 1000;

  g_task_return_pointer (task, seen, (GDestroyNotify) seen_free);
}

static Seen *
exchange_len (Fixture    *fixture,
              const char *request,
              gsize       length)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);
  Exchange *data = g_new0 (Exchange, 1);

  data->port = fixture->port;
  data->request = g_bytes_new (request, length);
  g_task_set_task_data (task, data, (GDestroyNotify) exchange_free);
  g_task_run_in_thread (task, exchange_thread);

  while (!g_task_get_completed (task))
    g_main_context_iteration (NULL, TRUE);

  return g_task_propagate_pointer (task, NULL);
}

static Seen *
exchange (Fixture    *fixture,
          const char *request)
{
  return exchange_len (fixture, request, strlen (request));
}

static guint
count_answers (const char *response)
{
  guint n = 0;

  for (const char *at = strstr (response, "HTTP/1.1 "); at != NULL; at = strstr (at + 1, "HTTP/1.1 "))
    n++;
  return n;
}

#define HEAD "POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"

typedef struct
{
  const char *name;
  const char *request;
  gsize       length;    /* 0: strlen */
  const char *status_line;
} Refusal;

/* Each leaves the server nothing to wait for: it must answer and close at
 * once, without a timeout. */
static const Refusal refusals[] = {
  { "length and chunked", HEAD "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0,
    "HTTP/1.1 400 Bad Request\r\n" },
  { "two lengths", HEAD "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "two equal lengths", HEAD "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "length +16", HEAD "Content-Length: +16\r\n\r\n{\"object\":\"x\"}..", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "length 16x", HEAD "Content-Length:  16x\r\n\r\n{\"object\":\"x\"}..", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "length -1", HEAD "Content-Length: -1\r\n\r\n", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "length overflow", HEAD "Content-Length: 99999999999999999999999\r\n\r\n", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "encoding folded", HEAD "Transfer-Encoding:\r\n chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "encoding space before colon", HEAD "Transfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0,
    "HTTP/1.1 400 Bad Request\r\n" },
  { "encoding twice", HEAD "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0,
    "HTTP/1.1 400 Bad Request\r\n" },
  { "encoding gzip", HEAD "Transfer-Encoding: gzip\r\n\r\n", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "encoding list", HEAD "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "bare LF head", "POST /hook HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\nContent-Length: 2\n\n{}", 0,
    "HTTP/1.1 400 Bad Request\r\n" },
  { "bare LF one field", HEAD "Content-Length: 2\n\r\n{}", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "bare LF chunk size", HEAD "Transfer-Encoding: chunked\r\n\r\n2\n{}\r\n0\r\n\r\n", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "bare LF chunk end", HEAD "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\n0\r\n\r\n", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "chunk size overflow", HEAD "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff0\r\n", 0,
    "HTTP/1.1 400 Bad Request\r\n" },
  { "chunk size junk", HEAD "Transfer-Encoding: chunked\r\n\r\n2 junk\r\n{}\r\n0\r\n\r\n", 0,
    "HTTP/1.1 400 Bad Request\r\n" },
  { "no colon", HEAD "Content-Length 2\r\n\r\n{}", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "NUL", HEAD "X-A: a\0b\r\nContent-Length: 2\r\n\r\n{}", sizeof (HEAD "X-A: a\0b\r\nContent-Length: 2\r\n\r\n{}") - 1,
    "HTTP/1.1 400 Bad Request\r\n" },
  { "absolute target", "GET http://127.0.0.1/hook HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 0,
    "HTTP/1.1 400 Bad Request\r\n" },
  { "no host", "GET /hook HTTP/1.1\r\n\r\n", 0, "HTTP/1.1 400 Bad Request\r\n" },
  { "too large", HEAD "Content-Length: 5242880\r\n\r\n", 0, "HTTP/1.1 413 Request Entity Too Large\r\n" },
  { "chunk too large", HEAD "Transfer-Encoding: chunked\r\n\r\n500000\r\n", 0, "HTTP/1.1 413 Request Entity Too Large\r\n" },
};

static void
test_refused (Fixture       *fixture,
              gconstpointer  data)
{
  for (gsize i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      const Refusal *refusal = &refusals[i];
      g_autoptr(Seen) seen = NULL;

      g_test_message ("%s", refusal->name);
      seen = exchange_len (fixture, refusal->request,
                           refusal->length > 0 ? refusal->length : strlen (refusal->request));
      g_assert_true (g_str_has_prefix (seen->response->str, refusal->status_line));
      g_assert_nonnull (strstr (seen->response->str, "\r\nConnection: close\r\n"));
      g_assert_nonnull (strstr (seen->response->str, "\r\nContent-Length: 0\r\n"));
      g_assert_cmpuint (count_answers (seen->response->str), ==, 1);
      g_assert_true (seen->closed);
      g_assert_cmpint (seen->elapsed_ms, <, 2000);
    }

  /* None of them reached the handler, and the listener still serves. */
  g_assert_cmpuint (fixture->n_handled, ==, 0);
  {
    g_autoptr(Seen) seen = exchange (fixture, HEAD "Connection: close\r\nContent-Length: 2\r\n\r\n{}");

    g_assert_true (g_str_has_prefix (seen->response->str, "HTTP/1.1 200 OK\r\n"));
  }
}

static void
test_head_too_large (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GString) long_line = g_string_new ("GET /hook?");
  g_autoptr(GString) long_field = g_string_new ("GET /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: ");
  g_autoptr(Seen) line_seen = NULL;
  g_autoptr(Seen) field_seen = NULL;

  for (guint i = 0; i < 20000; i++)
    {
      g_string_append_c (long_line, 'a');
      g_string_append_c (long_field, 'b');
    }

  line_seen = exchange (fixture, long_line->str);
  g_assert_true (g_str_has_prefix (line_seen->response->str, "HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  g_assert_true (line_seen->closed);

  field_seen = exchange (fixture, long_field->str);
  g_assert_true (g_str_has_prefix (field_seen->response->str, "HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  g_assert_true (field_seen->closed);
}

/* Kept alive: pipelined requests each get their answer, in order, on one
 * connection, which closes after the one that asks for it. */
static void
test_keep_alive (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(Seen) seen = exchange (fixture,
                                   HEAD "Content-Length: 2\r\nX-Hub-Signature-256: sha256=aa\r\n\r\n{}"
                                   HEAD "Transfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n"
                                   "GET /hook?q=a%20b+c&hub.mode=subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "Connection: close\r\n\r\n"
                                   HEAD "Content-Length: 2\r\n\r\n{}");
  const char *second;
  const char *third;

  g_assert_cmpuint (count_answers (seen->response->str), ==, 3);
  g_assert_cmpuint (fixture->n_handled, ==, 3);
  g_assert_true (seen->closed);

  /* Correct HTTP/1.1 answers: reason phrase, length, type, no Server. */
  g_assert_true (g_str_has_prefix (seen->response->str, "HTTP/1.1 200 OK\r\nDate: "));
  g_assert_nonnull (strstr (seen->response->str, "Content-Type: text/plain\r\nContent-Length: 23\r\n\r\n"
                                                  "got 2: {}|sig=sha256=aa"));
  g_assert_null (strstr (seen->response->str, "Server:"));

  second = strstr (seen->response->str + 1, "HTTP/1.1 ");
  g_assert_nonnull (strstr (second, "got 5: [1,2]|sig=(null)"));
  g_assert_null (g_strstr_len (seen->response->str, second - seen->response->str, "Connection: close"));

  /* The query is decoded as a form is. */
  third = strstr (second + 1, "HTTP/1.1 ");
  g_assert_nonnull (strstr (third, "Connection: close\r\n"));
  g_assert_true (g_str_has_suffix (third, "q=a b c|mode=subscribe"));
}

static void
test_expect_continue (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(Seen) seen = NULL;
  g_autoptr(Seen) refused = NULL;

  /* A client that waits for leave to send its body gets it; this one then
   * sends nothing and is closed when the body's time is up. */
  g_object_set (fixture->server, "body-timeout", 300, NULL);
  seen = exchange (fixture, HEAD "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  g_assert_cmpstr (seen->response->str, ==, "HTTP/1.1 100 Continue\r\n\r\n");
  g_assert_true (seen->closed);

  refused = exchange (fixture, HEAD "Expect: something\r\nContent-Length: 2\r\n\r\n{}");
  g_assert_true (g_str_has_prefix (refused->response->str, "HTTP/1.1 417 Expectation Failed\r\n"));
  g_assert_true (refused->closed);
}

static gboolean
held_request (gpointer data)
{
  Fixture *fixture = data;

  return fixture->held != NULL;
}

static gboolean
held_request_answered (gpointer data)
{
  Fixture *fixture = data;

  return picky_webhook_request_is_answered (fixture->held);
}

static gboolean
wait_until (gboolean (*done) (gpointer),
            gpointer  data,
            guint     ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * 1000;

  while (!done (data) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  return done (data);
}

/* A client that hangs up while its request waits (a relay phone's long
 * poll) leaves a request that counts as answered. */
static void
test_hang_up (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  const char *request = "GET /hook/hold HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", fixture->port, NULL, &error);
  g_assert_no_error (error);
  g_socket_send (g_socket_connection_get_socket (connection), request, strlen (request), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wait_until (held_request, fixture, 5000));
  g_assert_false (picky_webhook_request_is_answered (fixture->held));

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  g_assert_true (wait_until (held_request_answered, fixture, 5000));
  /* Answering now does nothing, and breaks nothing. */
  picky_webhook_request_respond (fixture->held, 200, NULL, NULL, 0);
}

/* ---- Shedding ---- */

typedef struct
{
  guint port;
  guint n_ok;
  guint n_other;
} ValidLoad;

static void
valid_load_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  ValidLoad *load = task_data;

  for (guint i = 0; i < N_VALID; i++)
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GSocketConnection) connection = NULL;
      g_autoptr(GString) response = g_string_new (NULL);
      const char *request = HEAD "Connection: close\r\nX-Hub-Signature-256: sha256=ab\r\nContent-Length: 2\r\n\r\n{}";
      char buffer[4096];
      gssize n;

      g_socket_client_set_timeout (client, 5);
      connection = g_socket_client_connect_to_host (client, "127.0.0.1", load->port, NULL, NULL);
      if (connection != NULL)
        {
          GSocket *socket = g_socket_connection_get_socket (connection);

          g_socket_send_with_blocking (socket, request, strlen (request), TRUE, NULL, NULL);
          while ((n = g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL)) > 0)
            g_string_append_len (response, buffer, n);
        }
      if (g_str_has_prefix (response->str, "HTTP/1.1 200 OK\r\n") && g_str_has_suffix (response->str, "got 2: {}|sig=sha256=ab"))
        load->n_ok++;
      else
        load->n_other++;
    }

  g_task_return_boolean (task, TRUE);
}

static gboolean
raise_file_limit (void)
{
  struct rlimit limit;

  /* 1,000 slow sockets here and as many accepted by the listener. */
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  if (limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);
    }
  if (limit.rlim_cur < 2 * N_SLOW + 200)
    {
      g_test_skip ("Not enough file descriptors for 1,000 slow sockets");
      return FALSE;
    }
  return TRUE;
}

/* 1,000 slow sockets, half silent and half stuck in the middle of a head,
 * and valid requests are all served while they stay open: at the cap the
 * listener sheds those that sent least instead of refusing newcomers. */
static void
test_shedding (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GPtrArray) slow = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GTask) task = NULL;
  ValidLoad load = { fixture->port, 0, 0 };
  const char *partial = "POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty";
  guint n_open = 0;

  if (!raise_file_limit ())
    return;

  for (guint i = 0; i < N_SLOW; i++)
    {
      g_autoptr(GError) error = NULL;
      GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", fixture->port);

      g_assert_no_error (error);
      g_assert_true (g_socket_connect (socket, address, NULL, &error));
      g_assert_no_error (error);
      if (i % 2 == 1)
        g_socket_send (socket, partial, strlen (partial), NULL, NULL);
      g_ptr_array_add (slow, socket);

      /* Let the listener take them in as they come. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  g_assert_cmpuint (picky_webhook_server_get_n_connections (fixture->server), <=, 256);

  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, &load, NULL);
  g_task_run_in_thread (task, valid_load_thread);
  while (!g_task_get_completed (task))
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (load.n_ok, ==, N_VALID);
  g_assert_cmpuint (load.n_other, ==, 0);
  g_assert_cmpuint (fixture->n_handled, ==, N_VALID);

  /* The shed ones were closed, not left hanging: the rest are still open. */
  for (guint i = 0; i < slow->len; i++)
    {
      GSocket *socket = g_ptr_array_index (slow, i);
      char byte;

      g_socket_set_blocking (socket, FALSE);
      if (g_socket_receive (socket, &byte, 1, NULL, NULL) != 0)
        n_open++;
    }
  g_assert_cmpuint (n_open, <=, 256);
  g_assert_cmpuint (n_open, >, 0);
}

/* When every connection is busy with a real request, a newcomer is told
 * to come back rather than left waiting. */
static void
test_all_busy (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Seen) seen = NULL;
  const char *request = "GET /hook/hold HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

  g_object_set (fixture->server, "max-connections", 1, NULL);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", fixture->port, NULL, &error);
  g_assert_no_error (error);
  g_socket_send (g_socket_connection_get_socket (connection), request, strlen (request), NULL, &error);
  g_assert_true (wait_until (held_request, fixture, 5000));

  seen = exchange (fixture, HEAD "Content-Length: 2\r\n\r\n{}");
  g_assert_true (g_str_has_prefix (seen->response->str, "HTTP/1.1 503 Service Unavailable\r\n"));
  g_assert_true (seen->closed);
  g_assert_false (picky_webhook_request_is_answered (fixture->held));
}

#define SHARED_GET "GET /shared/v1/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

/* Members share a path: each request reaches the path's one handler with
 * whoever is in it, until the last one leaves and takes the route along. */
static void
test_fan_out (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GSimpleAction) a = g_simple_action_new ("a", NULL);
  g_autoptr(GSimpleAction) b = g_simple_action_new ("b", NULL);
  g_autoptr(Seen) both = NULL;
  g_autoptr(Seen) one = NULL;
  g_autoptr(Seen) again = NULL;
  g_autoptr(Seen) gone = NULL;
  g_autoptr(Seen) own = NULL;

  g_assert_null (picky_webhook_server_get_members (fixture->server, "/shared/"));
  picky_webhook_server_join (fixture->server, "/shared/", fan_out_cb, a);
  picky_webhook_server_join (fixture->server, "/shared/", fan_out_cb, b);
  g_assert_cmpuint (picky_webhook_server_get_members (fixture->server, "/shared/")->len, ==, 2);
  both = exchange (fixture, SHARED_GET);
  g_assert_true (g_str_has_prefix (both->response->str, "HTTP/1.1 200 OK\r\n"));
  g_assert_true (g_str_has_suffix (both->response->str, "\r\n\r\na,b"));

  /* The other member still gets every request; leaving twice is no harm. */
  picky_webhook_server_leave (fixture->server, "/shared/", a);
  one = exchange (fixture, SHARED_GET);
  g_assert_true (g_str_has_suffix (one->response->str, "\r\n\r\nb"));
  picky_webhook_server_leave (fixture->server, "/shared/", a);
  again = exchange (fixture, SHARED_GET);
  g_assert_true (g_str_has_suffix (again->response->str, "\r\n\r\nb"));
  g_assert_true (picky_webhook_server_has_route (fixture->server, "/shared/"));

  picky_webhook_server_leave (fixture->server, "/shared/", b);
  g_assert_false (picky_webhook_server_has_route (fixture->server, "/shared/"));
  g_assert_null (picky_webhook_server_get_members (fixture->server, "/shared/"));
  gone = exchange (fixture, SHARED_GET);
  g_assert_true (g_str_has_prefix (gone->response->str, "HTTP/1.1 404 Not Found\r\n"));

  /* A route of its own beside the path was never touched. */
  own = exchange (fixture, "GET /hook?q=x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  g_assert_true (g_str_has_suffix (own->response->str, "q=x|mode=(null)"));
  g_assert_cmpuint (fixture->n_handled, ==, 1);
}

/* A port that is taken shows as the listener's bind error, notified once
 * per change, until a start works. */
static void
test_bind_error (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(PickyWebhookServer) other = picky_webhook_server_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = g_strdup_printf ("Listener unavailable: 127.0.0.1 port %u is in use", fixture->port);
  guint n_notified = 0;

  g_signal_connect (other, "notify::bind-error", G_CALLBACK (count_cb), &n_notified);
  g_assert_false (picky_webhook_server_start (other, "127.0.0.1", fixture->port, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_cmpstr (picky_webhook_server_get_bind_error (other), ==, expected);
  g_assert_cmpuint (n_notified, ==, 1);
  g_assert_false (picky_webhook_server_is_listening (other));

  /* Trying again on the same taken port is no news. */
  g_assert_false (picky_webhook_server_start (other, "127.0.0.1", fixture->port, NULL));
  g_assert_cmpuint (n_notified, ==, 1);

  g_assert_true (picky_webhook_server_start (other, "127.0.0.1", 0, NULL));
  g_assert_null (picky_webhook_server_get_bind_error (other));
  g_assert_cmpuint (n_notified, ==, 2);

  /* An address that is none is said as such; a stop clears it. */
  g_assert_false (picky_webhook_server_start (other, "localhost", 0, NULL));
  g_assert_cmpstr (picky_webhook_server_get_bind_error (other), ==,
                   "Listener unavailable: “localhost” is not an IP address the webhook listener can use");
  picky_webhook_server_stop (other);
  g_assert_null (picky_webhook_server_get_bind_error (other));
  g_assert_cmpuint (n_notified, ==, 4);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/picky/webhook-server/refused", test_refused);
  ADD ("/picky/webhook-server/head-too-large", test_head_too_large);
  ADD ("/picky/webhook-server/keep-alive", test_keep_alive);
  ADD ("/picky/webhook-server/expect-continue", test_expect_continue);
  ADD ("/picky/webhook-server/hang-up", test_hang_up);
  ADD ("/picky/webhook-server/shedding", test_shedding);
  ADD ("/picky/webhook-server/all-busy", test_all_busy);
  ADD ("/picky/webhook-server/fan-out", test_fan_out);
  ADD ("/picky/webhook-server/bind-error", test_bind_error);
#undef ADD

  return g_test_run ();
}
