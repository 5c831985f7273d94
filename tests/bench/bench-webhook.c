/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark of webhook ingest: signed posts of one kind (WhatsApp, Messenger, Viber, LINE) over 32 keep-alive connections against the store's ceiling, then memory over short connections. */

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "bench-common.h"
#include "picky-line-channel.h"
#include "picky-messenger-channel.h"
#include "picky-viber-channel.h"
#include "picky-whatsapp-channel.h"

#define CONNECTIONS 32
#define SHORT_THREADS 8
#define APP_SECRET "bench-app-secret"
#define VIBER_TOKEN "bench-viber-auth-token"
#define PHONE_ID "109876543210987"

typedef struct
{
  char         *path;
  GMutex        lock;
  GCond         cond;
  guint         port;
  gboolean      failed;
  gint          stop;
  GMainContext *context;
} Listener;

typedef struct
{
  guint   port;
  GArray *latencies;   /* double, ms */
  guint   n_acked;
} Client;

/* The kind whose webhooks are posted, from --kind. */
typedef enum
{
  KIND_WHATSAPP,
  KIND_MESSENGER,
  KIND_VIBER,
  KIND_LINE,
} Kind;

static const char *const kind_names[] = { "whatsapp", "messenger", "viber", "line" };
static const char *const kind_paths[] = { "/whatsapp", "/messenger", "/viber", "/line" };

static Kind kind = KIND_WHATSAPP;
static guint64 next_index;
static guint64 next_short;
static guint64 n_short;

static GAsyncResult *
wait_on (GMainContext  *context,
         GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (context, TRUE);
  return *slot;
}

static void
listener_ready (Listener *listener,
                guint     port,
                gboolean  failed)
{
  g_mutex_lock (&listener->lock);
  listener->port = port;
  listener->failed = failed;
  g_cond_signal (&listener->cond);
  g_mutex_unlock (&listener->lock);
}

/* The console's side: store, listener and channel on a main context of
 * their own, as they would run on the console's main thread. */
static gpointer
listener_thread (gpointer data)
{
  Listener *listener = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(PickyCipher) cipher = bench_cipher ();
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(PickyWebhookServer) server = NULL;
  g_autoptr(PickyChannel) channel = NULL;
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) added = NULL;
  g_autoptr(GError) error = NULL;
  const char *settings = kind == KIND_WHATSAPP ? "{\"phone_number_id\":\"" PHONE_ID "\"}"
                         : kind == KIND_MESSENGER ? "{\"page_id\":\"" PHONE_ID "\"}" : "{}";
  const char *app = kind == KIND_WHATSAPP ? "whatsapp-business" : kind_names[kind];
  gint64 channel_id;

  g_main_context_push_thread_default (context);
  listener->context = context;

  picky_store_open_async (listener->path, cipher, NULL, bench_got_result_cb, &opened);
  store = picky_store_open_finish (wait_on (context, &opened), &error);
  if (store == NULL)
    g_error ("%s", error->message);
  picky_store_add_channel_async (store, app, kind_names[kind], "Bench", settings,
                                 NULL, bench_got_result_cb, &added);
  channel_id = picky_store_add_channel_finish (store, wait_on (context, &added), &error);
  if (channel_id <= 0)
    g_error ("%s", error->message);

  server = picky_webhook_server_new ();
  g_object_set (server, "max-connections", CONNECTIONS * 2, NULL);
  if (!picky_webhook_server_start (server, "127.0.0.1", 0, &error))
    g_error ("%s", error->message);

  /* No keyring is needed: the secret is handed over as the keyring would. */
  channel = g_object_new (kind == KIND_WHATSAPP ? PICKY_TYPE_WHATSAPP_CHANNEL :
                          kind == KIND_MESSENGER ? PICKY_TYPE_MESSENGER_CHANNEL :
                          kind == KIND_VIBER ? PICKY_TYPE_VIBER_CHANNEL : PICKY_TYPE_LINE_CHANNEL,
                          "id", channel_id,
                          "app", app,
                          "name", "Bench",
                          "settings", settings,
                          "store", store,
                          "webhook-server", server,
                          NULL);
  picky_channel_start (channel);
  while (picky_channel_get_state (channel) == PICKY_CHANNEL_STATE_CONNECTING)
    g_main_context_iteration (context, TRUE);
  if (kind == KIND_WHATSAPP)
    picky_whatsapp_channel_set_app_secret (PICKY_WHATSAPP_CHANNEL (channel), APP_SECRET);
  else if (kind == KIND_MESSENGER)
    picky_messenger_channel_set_app_secret (PICKY_MESSENGER_CHANNEL (channel), APP_SECRET);
  else if (kind == KIND_VIBER)
    picky_viber_channel_set_token (PICKY_VIBER_CHANNEL (channel), VIBER_TOKEN);
  else
    picky_line_channel_set_channel_secret (PICKY_LINE_CHANNEL (channel), APP_SECRET);

  listener_ready (listener, picky_webhook_server_get_port (server), FALSE);
  while (!g_atomic_int_get (&listener->stop))
    g_main_context_iteration (context, TRUE);

  picky_channel_stop (channel);
  picky_webhook_server_stop (server);
  picky_store_close (store);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);

  return NULL;
}

static int
connect_to (guint port)
{
  struct sockaddr_in address = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  int one = 1;

  address.sin_family = AF_INET;
  address.sin_port = htons (port);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
    g_error ("Cannot connect to the listener: %s", g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  return fd;
}

static void
write_all (int         fd,
           const char *data,
           gsize       length)
{
  while (length > 0)
    {
      gssize n = write (fd, data, length);

      if (n <= 0)
        g_error ("The listener closed the connection: %s", g_strerror (errno));
      data += n;
      length -= n;
    }
}

/* Reads one response and returns its status; the body is skipped. */
static guint
read_response (int      fd,
               GString *buffer)
{
  char *end;
  const char *length_header;
  gsize body_length = 0;
  gsize head;
  guint status;

  g_string_truncate (buffer, 0);
  while ((end = strstr (buffer->str, "\r\n\r\n")) == NULL)
    {
      char chunk[4096];
      gssize n = read (fd, chunk, sizeof chunk);

      if (n <= 0)
        g_error ("The listener closed the connection while answering");
      g_string_append_len (buffer, chunk, n);
    }

  head = end - buffer->str + 4;
  status = (guint) g_ascii_strtoull (buffer->str + 9, NULL, 10);
  length_header = g_strstr_len (buffer->str, head, "Content-Length: ");
  if (length_header != NULL)
    body_length = g_ascii_strtoull (length_header + 16, NULL, 10);
  while (buffer->len < head + body_length)
    {
      char chunk[4096];
      gssize n = read (fd, chunk, sizeof chunk);

      if (n <= 0)
        g_error ("The listener closed the connection while answering");
      g_string_append_len (buffer, chunk, n);
    }

  return status;
}

/* Frames @body as the kind's servers post it, signed with its secret. */
static void
frame_request (GString    *request,
               const char *body,
               gsize       length,
               gboolean    close_after)
{
  const char *key = kind == KIND_VIBER ? VIBER_TOKEN : APP_SECRET;
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) key, strlen (key));
  g_autofree char *signature = NULL;
  guint8 digest[32];
  gsize digest_length = sizeof digest;

  g_hmac_update (hmac, (const guchar *) body, length);
  if (kind == KIND_VIBER)
    signature = g_strconcat ("X-Viber-Content-Signature: ", g_hmac_get_string (hmac), NULL);
  else if (kind != KIND_LINE)
    signature = g_strconcat ("X-Hub-Signature-256: sha256=", g_hmac_get_string (hmac), NULL);
  else
    {
      g_autofree char *encoded = NULL;

      g_hmac_get_digest (hmac, digest, &digest_length);
      encoded = g_base64_encode (digest, digest_length);
      signature = g_strconcat ("x-line-signature: ", encoded, NULL);
    }
  g_string_printf (request,
                   "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   "%s%s\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
                   kind_paths[kind],
                   close_after ? "Connection: close\r\n" : "", signature, length);
  g_string_append_len (request, body, length);
}

/* One text message from @name at @phone as the kind's webhook carries it;
 * Viber keys it by @number, the others by @id. */
static void
format_body (GString    *body,
             const char *name,
             const char *phone,
             const char *id,
             guint64     number,
             gint64      timestamp,
             const char *text)
{
  if (kind == KIND_WHATSAPP)
    g_string_printf (body,
                     "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102938475610293\","
                     "\"changes\":[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":"
                     "{\"display_phone_number\":\"15550101234\",\"phone_number_id\":\"" PHONE_ID "\"},"
                     "\"contacts\":[{\"profile\":{\"name\":\"%s\"},\"wa_id\":\"%s\"}],"
                     "\"messages\":[{\"from\":\"%s\",\"id\":\"wamid.%s\","
                     "\"timestamp\":\"%" G_GINT64_FORMAT "\",\"type\":\"text\",\"text\":{\"body\":\"%s\"}}]},"
                     "\"field\":\"messages\"}]}]}",
                     name, phone, phone, id, timestamp, text);
  else if (kind == KIND_MESSENGER)
    g_string_printf (body,
                     "{\"object\":\"page\",\"entry\":[{\"id\":\"" PHONE_ID "\",\"time\":%" G_GINT64_FORMAT "000,"
                     "\"messaging\":[{\"sender\":{\"id\":\"%s\"},\"recipient\":{\"id\":\"" PHONE_ID "\"},"
                     "\"timestamp\":%" G_GINT64_FORMAT "000,\"message\":{\"mid\":\"m_%s\",\"text\":\"%s\"}}]}]}",
                     timestamp, phone, timestamp, id, text);
  else if (kind == KIND_VIBER)
    g_string_printf (body,
                     "{\"event\":\"message\",\"timestamp\":%" G_GINT64_FORMAT "000,\"chat_hostname\":\"SN-CHAT-11_\","
                     "\"message_token\":%" G_GUINT64_FORMAT ",\"sender\":{\"id\":\"%s\",\"name\":\"%s\","
                     "\"language\":\"en\",\"country\":\"US\",\"api_version\":10},"
                     "\"message\":{\"type\":\"text\",\"text\":\"%s\"},\"silent\":false}",
                     timestamp, G_GUINT64_CONSTANT (5902763417999999999) + number, phone, name, text);
  else
    g_string_printf (body,
                     "{\"destination\":\"U523cf6941fa1c257c6f561c5cb347611\",\"events\":[{\"type\":\"message\","
                     "\"message\":{\"type\":\"text\",\"id\":\"%s\",\"text\":\"%s\"},"
                     "\"webhookEventId\":\"01B%s\",\"deliveryContext\":{\"isRedelivery\":false},"
                     "\"timestamp\":%" G_GINT64_FORMAT "000,\"source\":{\"type\":\"user\",\"userId\":\"U%s\"},"
                     "\"replyToken\":\"r%s\",\"mode\":\"active\"}]}",
                     id, text, id, timestamp, phone, id);
}

static gpointer
client_thread (gpointer data)
{
  Client *client = data;
  BenchRow row = { .text = g_string_new (NULL) };
  GString *body = g_string_new (NULL);
  GString *request = g_string_new (NULL);
  GString *response = g_string_new (NULL);
  int fd = connect_to (client->port);
  guint64 index;

  while ((index = g_atomic_pointer_add (&next_index, 1)) < n_messages)
    {
      g_autofree char *id = g_strdup_printf ("bench%" G_GUINT64_FORMAT, index);
      double started;
      guint status;

      make_row (index, &row);
      format_body (body, row.name, row.phone + 1, id, index + 1, row.timestamp, row.text->str);
      frame_request (request, body->str, body->len, FALSE);

      started = now_s ();
      write_all (fd, request->str, request->len);
      status = read_response (fd, response);
      if (status != 200)
        g_error ("The listener answered %u", status);
      g_array_append_vals (client->latencies, (double[]) { (now_s () - started) * 1000 }, 1);
      client->n_acked++;
    }

  close (fd);
  g_string_free (row.text, TRUE);
  g_string_free (body, TRUE);
  g_string_free (request, TRUE);
  g_string_free (response, TRUE);
  return NULL;
}

/* Resident memory now, in MiB: growth over a run shows what each
 * connection leaves behind, which the peak does not. */
static double
current_rss_mb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmRSS:")) == NULL)
    return 0;

  return g_ascii_strtod (line + strlen ("VmRSS:"), NULL) / 1024.0;
}

/* One signed post per connection, closed after the answer, as a proxy that
 * keeps no connections open sends them. The message is the same each time:
 * storing it again changes nothing, so only the listener's memory moves. */
static gpointer
short_client_thread (gpointer data)
{
  guint port = GPOINTER_TO_UINT (data);
  g_autoptr(GString) request = g_string_new (NULL);
  g_autoptr(GString) response = g_string_new (NULL);
  g_autoptr(GString) body = g_string_new (NULL);

  format_body (body, "Short", "15550009999", "bench-short", 0, 1700000000, "again");
  frame_request (request, body->str, body->len, TRUE);

  while (g_atomic_pointer_add (&next_short, 1) < n_short)
    {
      int fd = connect_to (port);
      guint status;

      write_all (fd, request->str, request->len);
      status = read_response (fd, response);
      if (status != 200)
        g_error ("The listener answered %u to a short connection", status);
      close (fd);
    }

  return NULL;
}

/* Runs @count short connections from SHORT_THREADS threads; returns the rate. */
static double
run_short (guint   port,
           guint64 count)
{
  GThread *threads[SHORT_THREADS];
  double start = now_s ();

  next_short = 0;
  n_short = count;
  for (guint t = 0; t < SHORT_THREADS; t++)
    threads[t] = g_thread_new ("short", short_client_thread, GUINT_TO_POINTER (port));
  for (guint t = 0; t < SHORT_THREADS; t++)
    g_thread_join (threads[t]);

  return count / (now_s () - start);
}

static gint64
count_rows (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count = -1;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, "SELECT count(*) FROM messages", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return count;
}

/* The CPU time the console's threads have spent, in microseconds per
 * message: where a message's cost goes, which the machine's load moves
 * less than the rate. Threads are told apart by name (see g_thread_new()
 * in the store and here). */
static void
print_thread_cpu (guint64 messages)
{
  static const char *const names[] = { "picky-store", "picky-checkpt", "picky-sync", "listener" };
  static const char *const labels[] = { "store_worker", "checkpointer", "syncer", "listener" };
  double ticks[G_N_ELEMENTS (names)] = { 0 };
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;

  if (dir == NULL)
    return;
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", tid, "stat", NULL);
      g_autofree char *stat = NULL;
      const char *open_paren, *close_paren;
      unsigned long user = 0, system = 0;

      if (!g_file_get_contents (path, &stat, NULL, NULL) ||
          (open_paren = strchr (stat, '(')) == NULL || (close_paren = strrchr (stat, ')')) == NULL)
        continue;
      /* Fields 14 and 15 of proc(5), after the name in parentheses. */
      if (sscanf (close_paren + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &user, &system) != 2)
        continue;
      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        if ((gsize) (close_paren - open_paren - 1) == strlen (names[i]) &&
            strncmp (open_paren + 1, names[i], strlen (names[i])) == 0)
          ticks[i] += user + system;
    }
  g_dir_close (dir);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    printf ("cpu_us_per_msg_%s: %.0f\n", labels[i], ticks[i] * 1e6 / sysconf (_SC_CLK_TCK) / messages);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) options = g_option_context_new ("- benchmark webhook ingest");
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyCipher) cipher = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *ceiling_path = NULL;
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (double));
  gint64 messages = 200000;
  gint64 short_connections = 100000;
  g_autofree char *kind_name = NULL;
  GOptionEntry entries[] = {
    { "kind", 0, 0, G_OPTION_ARG_STRING, &kind_name, "Whose webhooks: whatsapp (default), messenger, viber or line", "KIND" },
    { "messages", 0, 0, G_OPTION_ARG_INT64, &messages, "Messages to post (default 200,000)", "N" },
    { "short", 0, 0, G_OPTION_ARG_INT64, &short_connections,
      "Short connections for the memory figure (default 100,000)", "N" },
    { NULL },
  };
  Listener listener = { 0 };
  GThread *server_thread;
  GThread *threads[CONNECTIONS];
  Client clients[CONNECTIONS];
  double ceiling, rate, start, elapsed, p99, short_rate, rss_before, rss_growth;
  guint n_acked = 0;
  gint64 stored;

  setlocale (LC_ALL, "C.UTF-8");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  for (kind = 0; kind_name != NULL && kind < G_N_ELEMENTS (kind_names); kind++)
    if (g_strcmp0 (kind_name, kind_names[kind]) == 0)
      break;
  if (kind_name == NULL)
    kind = KIND_WHATSAPP;
  else if (kind == G_N_ELEMENTS (kind_names))
    {
      g_printerr ("Unknown kind “%s”: whatsapp, messenger, viber or line\n", kind_name);
      return 2;
    }

  n_messages = MAX (messages, 1000);
  bench_all_incoming = TRUE;
  dir = g_dir_make_tmp ("picky-bench-webhook-XXXXXX", &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  ceiling_path = g_build_filename (dir, "ceiling.db", NULL);
  listener.path = g_build_filename (dir, "webhook.db", NULL);
  cipher = bench_cipher ();

  printf ("messages: %" G_GUINT64_FORMAT "\n", n_messages);
  ceiling = run_ceiling (ceiling_path, cipher);
  remove_database (ceiling_path);

  g_mutex_init (&listener.lock);
  g_cond_init (&listener.cond);
  server_thread = g_thread_new ("listener", listener_thread, &listener);
  g_mutex_lock (&listener.lock);
  while (listener.port == 0 && !listener.failed)
    g_cond_wait (&listener.cond, &listener.lock);
  g_mutex_unlock (&listener.lock);

  start = now_s ();
  for (guint c = 0; c < CONNECTIONS; c++)
    {
      clients[c] = (Client) { listener.port, g_array_new (FALSE, FALSE, sizeof (double)), 0 };
      threads[c] = g_thread_new ("load", client_thread, &clients[c]);
    }
  for (guint c = 0; c < CONNECTIONS; c++)
    {
      g_thread_join (threads[c]);
      g_array_append_vals (latencies, clients[c].latencies->data, clients[c].latencies->len);
      n_acked += clients[c].n_acked;
      g_array_unref (clients[c].latencies);
    }
  elapsed = now_s () - start;
  print_thread_cpu (n_messages);

  /* A first round settles the allocator and the store's caches, so the
   * growth over the measured round is what connections leave behind. */
  short_connections = MAX (short_connections, 1000);
  run_short (listener.port, short_connections / 10);
  rss_before = current_rss_mb ();
  short_rate = run_short (listener.port, short_connections);
  rss_growth = (current_rss_mb () - rss_before) * 100000.0 / short_connections;

  g_atomic_int_set (&listener.stop, 1);
  g_main_context_wakeup (listener.context);
  g_thread_join (server_thread);

  /* The short connections posted one message, over and over. */
  stored = count_rows (listener.path) - 1;
  if (n_acked != n_messages || stored != (gint64) n_messages)
    g_error ("%u acknowledged and %" G_GINT64_FORMAT " stored of %" G_GUINT64_FORMAT,
             n_acked, stored, n_messages);

  p99 = bench_percentile (latencies, 0.99);
  rate = n_messages / elapsed;

  printf ("webhook_msgs_per_s: %.0f\n", rate);
  printf ("ceiling_msgs_per_s: %.0f\n", ceiling);
  printf ("webhook_ratio: %.2f\n", rate / ceiling);
  printf ("ack_p99_ms: %.2f\n", p99);
  printf ("rss_mb: %.1f\n", peak_rss_mb ());
  printf ("short_connections: %" G_GINT64_FORMAT "\n", short_connections);
  printf ("short_connections_per_s: %.0f\n", short_rate);
  printf ("rss_mb_growth_per_100k: %.1f\n", rss_growth);

  remove_database (listener.path);
  g_rmdir (dir);
  g_free (listener.path);
  g_mutex_clear (&listener.lock);
  g_cond_clear (&listener.cond);

  return 0;
}
