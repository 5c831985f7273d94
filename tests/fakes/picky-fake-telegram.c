/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A fake Telegram Bot API server for tests, on 127.0.0.1 in a thread of its own. */

#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "picky-fake-telegram.h"

/* The server runs on its own thread and main context: a SoupSession and a
 * SoupServer sharing one context can wait on each other forever. Everything
 * below the lock is shared with the test's thread. */
struct _PickyFakeTelegram
{
  GObject       parent_instance;

  /* owned, server thread only */
  SoupServer   *server;
  GHashTable   *live;        /* SoupServerMessage → itself, while a client waits */

  /* owned, set once */
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  guint         port;
  char         *base_url;

  /* owned, under lock */
  GMutex        lock;
  GCond         cond;
  gboolean      ready;
  GQueue        replies;     /* Reply */
  GPtrArray    *requests;    /* PickyFakeRequest */
  guint         idle_delay;
};

G_DEFINE_FINAL_TYPE (PickyFakeTelegram, picky_fake_telegram, G_TYPE_OBJECT)

typedef struct
{
  char   *method;
  guint   status;
  GBytes *body;
  char   *retry_after;
} Reply;

typedef struct
{
  PickyFakeTelegram *self;
  SoupServerMessage *message;
} Held;

typedef struct
{
  PickyFakeTelegram *self;
  gboolean           listening;
  gboolean           done;
} Switch;

static void
reply_free (Reply *reply)
{
  g_free (reply->method);
  g_bytes_unref (reply->body);
  g_free (reply->retry_after);
  g_free (reply);
}

void
picky_fake_request_free (PickyFakeRequest *request)
{
  g_free (request->method);
  g_free (request->path);
  g_bytes_unref (request->body);
  g_free (request);
}

static PickyFakeRequest *
copy_request (const PickyFakeRequest *request)
{
  PickyFakeRequest *copy = g_new0 (PickyFakeRequest, 1);

  copy->method = g_strdup (request->method);
  copy->path = g_strdup (request->path);
  copy->body = g_bytes_ref (request->body);
  copy->time = request->time;

  return copy;
}

static void
respond (SoupServerMessage *message,
         guint              status,
         GBytes            *body,
         const char        *retry_after)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (body, &length);

  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, data, length);
  if (retry_after != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                  "Retry-After", retry_after);
}

static gboolean
on_idle_delay_cb (gpointer user_data)
{
  Held *held = user_data;

  /* A client that gave up must not be answered. */
  if (g_hash_table_contains (held->self->live, held->message))
    {
      g_autoptr(GBytes) empty = g_bytes_new_static ("{\"ok\":true,\"result\":[]}", 23);

      respond (held->message, SOUP_STATUS_OK, empty, NULL);
      soup_server_message_unpause (held->message);
    }

  return G_SOURCE_REMOVE;
}

/* Also when the server stops before the poll timed out. */
static void
held_free (gpointer data)
{
  Held *held = data;

  g_object_unref (held->message);
  g_free (held);
}

static void
on_request_done_cb (SoupServer        *server,
                    SoupServerMessage *message,
                    gpointer           user_data)
{
  PickyFakeTelegram *self = user_data;

  g_hash_table_remove (self->live, message);
}

static void
handle_request_cb (SoupServer        *server,
                   SoupServerMessage *message,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  PickyFakeTelegram *self = user_data;
  PickyFakeRequest *request = g_new0 (PickyFakeRequest, 1);
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  const char *slash = strrchr (path, '/');
  Reply *reply = NULL;
  guint idle_delay;

  request->method = g_strdup (slash != NULL ? slash + 1 : path);
  request->path = g_strdup (path);
  request->body = soup_message_body_flatten (body);
  request->time = g_get_monotonic_time ();

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->requests, request);
  for (GList *l = self->replies.head; l != NULL; l = l->next)
    {
      Reply *candidate = l->data;

      /* Method names are case-insensitive in the Bot API. */
      if (g_ascii_strcasecmp (candidate->method, request->method) == 0)
        {
          reply = candidate;
          g_queue_delete_link (&self->replies, l);
          break;
        }
    }
  idle_delay = self->idle_delay;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (reply != NULL)
    {
      respond (message, reply->status, reply->body, reply->retry_after);
      reply_free (reply);
      return;
    }

  if (g_ascii_strcasecmp (request->method, "getUpdates") == 0)
    {
      /* Nothing queued: behave like a long poll that times out empty. */
      Held *held = g_new0 (Held, 1);
      g_autoptr(GSource) source = g_timeout_source_new (idle_delay);

      held->self = self;
      held->message = g_object_ref (message);
      g_hash_table_add (self->live, message);
      soup_server_message_pause (message);
      /* On the server's own context, not the test's. */
      g_source_set_callback (source, on_idle_delay_cb, held, held_free);
      g_source_set_name (source, "[picky-fake-telegram] long poll");
      g_source_attach (source, self->context);
      return;
    }

  {
    g_autoptr(GBytes) not_found =
      g_bytes_new_static ("{\"ok\":false,\"error_code\":404,\"description\":\"Not Found\"}", 56);

    respond (message, SOUP_STATUS_NOT_FOUND, not_found, NULL);
  }
}

static void
start_server (PickyFakeTelegram *self)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, self->port);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  self->server = soup_server_new ("server-header", "picky-fake-telegram", NULL);
  soup_server_add_handler (self->server, NULL, handle_request_cb, self, NULL);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (on_request_done_cb), self);
  g_signal_connect (self->server, "request-aborted", G_CALLBACK (on_request_done_cb), self);

  if (!soup_server_listen (self->server, address, 0, &error))
    g_error ("Fake Telegram server cannot listen: %s", error->message);

  uris = soup_server_get_uris (self->server);
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
stop_server (PickyFakeTelegram *self)
{
  if (self->server == NULL)
    return;

  soup_server_disconnect (self->server);
  g_signal_handlers_disconnect_by_data (self->server, self);
  g_clear_object (&self->server);
  g_hash_table_remove_all (self->live);
}

static gpointer
server_thread (gpointer user_data)
{
  PickyFakeTelegram *self = user_data;

  g_main_context_push_thread_default (self->context);
  start_server (self);

  g_mutex_lock (&self->lock);
  self->ready = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_main_loop_run (self->loop);

  stop_server (self);
  g_main_context_pop_thread_default (self->context);

  return NULL;
}

static gboolean
switch_listening_cb (gpointer user_data)
{
  Switch *change = user_data;
  PickyFakeTelegram *self = change->self;

  if (change->listening && self->server == NULL)
    start_server (self);
  else if (!change->listening)
    stop_server (self);

  g_mutex_lock (&self->lock);
  change->done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  return G_SOURCE_REMOVE;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
picky_fake_telegram_finalize (GObject *object)
{
  PickyFakeTelegram *self = PICKY_FAKE_TELEGRAM (object);

  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (self->thread);

  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_hash_table_unref (self->live);
  g_queue_clear_full (&self->replies, (GDestroyNotify) reply_free);
  g_ptr_array_unref (self->requests);
  g_free (self->base_url);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (picky_fake_telegram_parent_class)->finalize (object);
}

static void
picky_fake_telegram_class_init (PickyFakeTelegramClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = picky_fake_telegram_finalize;
}

static void
picky_fake_telegram_init (PickyFakeTelegram *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->replies);
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) picky_fake_request_free);
  self->live = g_hash_table_new (NULL, NULL);
  self->idle_delay = 200;
}

/**
 * picky_fake_telegram_new:
 *
 * Returns: (transfer full): a server already listening on a free port
 */
PickyFakeTelegram *
picky_fake_telegram_new (void)
{
  PickyFakeTelegram *self = g_object_new (PICKY_TYPE_FAKE_TELEGRAM, NULL);

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("picky-fake-telegram", server_thread, self);

  g_mutex_lock (&self->lock);
  while (!self->ready)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  self->base_url = g_strdup_printf ("http://127.0.0.1:%u", self->port);

  return self;
}

const char *
picky_fake_telegram_get_base_url (PickyFakeTelegram *self)
{
  g_return_val_if_fail (PICKY_IS_FAKE_TELEGRAM (self), NULL);

  return self->base_url;
}

/**
 * picky_fake_telegram_queue:
 * @self: a #PickyFakeTelegram
 * @method: the method whose next request gets this answer
 * @status: the HTTP status
 * @body: the exact response bytes
 * @retry_after: (nullable): a Retry-After header value
 *
 * Answers are used once each, in the order queued per method.
 */
void
picky_fake_telegram_queue (PickyFakeTelegram *self,
                           const char        *method,
                           guint              status,
                           GBytes            *body,
                           const char        *retry_after)
{
  Reply *reply = g_new0 (Reply, 1);

  g_return_if_fail (PICKY_IS_FAKE_TELEGRAM (self));

  reply->method = g_strdup (method);
  reply->status = status;
  reply->body = g_bytes_ref (body);
  reply->retry_after = g_strdup (retry_after);

  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->replies, reply);
  g_mutex_unlock (&self->lock);
}

/**
 * picky_fake_telegram_load_sample:
 * @sample: a file name under the tests' data folder
 *
 * Returns: (transfer full): the file's exact bytes
 */
GBytes *
picky_fake_telegram_load_sample (const char *sample)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", sample, NULL);
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &data, &length, &error))
    g_error ("Cannot read sample %s: %s", sample, error->message);

  return g_bytes_new_take (data, length);
}

void
picky_fake_telegram_queue_sample (PickyFakeTelegram *self,
                                  const char        *method,
                                  guint              status,
                                  const char        *sample,
                                  const char        *retry_after)
{
  g_autoptr(GBytes) body = picky_fake_telegram_load_sample (sample);

  picky_fake_telegram_queue (self, method, status, body, retry_after);
}

/**
 * picky_fake_telegram_set_idle_delay:
 * @self: a #PickyFakeTelegram
 * @ms: how long an unanswered getUpdates is held before it gets an empty result
 */
void
picky_fake_telegram_set_idle_delay (PickyFakeTelegram *self,
                                    guint              ms)
{
  g_return_if_fail (PICKY_IS_FAKE_TELEGRAM (self));

  g_mutex_lock (&self->lock);
  self->idle_delay = ms;
  g_mutex_unlock (&self->lock);
}

/**
 * picky_fake_telegram_set_listening:
 * @self: a #PickyFakeTelegram
 * @listening: %FALSE closes the port and every connection, %TRUE opens
 *   the same port again
 *
 * Simulates the network going down and coming back.
 */
void
picky_fake_telegram_set_listening (PickyFakeTelegram *self,
                                   gboolean           listening)
{
  Switch change = { self, listening, FALSE };

  g_return_if_fail (PICKY_IS_FAKE_TELEGRAM (self));

  g_main_context_invoke (self->context, switch_listening_cb, &change);

  g_mutex_lock (&self->lock);
  while (!change.done)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

guint
picky_fake_telegram_count (PickyFakeTelegram *self,
                           const char        *method)
{
  guint count = 0;

  g_return_val_if_fail (PICKY_IS_FAKE_TELEGRAM (self), 0);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->requests->len; i++)
    {
      PickyFakeRequest *request = g_ptr_array_index (self->requests, i);

      if (method == NULL || g_ascii_strcasecmp (request->method, method) == 0)
        count++;
    }
  g_mutex_unlock (&self->lock);

  return count;
}

/**
 * picky_fake_telegram_dup_requests:
 * @self: a #PickyFakeTelegram
 * @method: (nullable): only requests of this method, or all
 *
 * Returns: (transfer full) (element-type PickyFakeRequest): copies of the
 *   requests received so far, oldest first
 */
GPtrArray *
picky_fake_telegram_dup_requests (PickyFakeTelegram *self,
                                  const char        *method)
{
  GPtrArray *copies = g_ptr_array_new_with_free_func ((GDestroyNotify) picky_fake_request_free);

  g_return_val_if_fail (PICKY_IS_FAKE_TELEGRAM (self), copies);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->requests->len; i++)
    {
      PickyFakeRequest *request = g_ptr_array_index (self->requests, i);

      if (method == NULL || g_ascii_strcasecmp (request->method, method) == 0)
        g_ptr_array_add (copies, copy_request (request));
    }
  g_mutex_unlock (&self->lock);

  return copies;
}
