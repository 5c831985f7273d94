/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A listener process SIGKILLed under load: every message it answered 200 is in the database. */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "picky-store.h"
#include "picky-store-private.h"
#include "picky-vault.h"
#include "picky-test-util.h"

#define APP_SECRET "test-app-secret"
#define PHONE_ID "109876543210987"
#define ROUNDS 5
#define CLIENTS 6

typedef struct
{
  guint       port;
  guint       round;
  guint       client;
  GMutex     *lock;
  GPtrArray  *acked;       /* wamids answered 200 */
  gint       *stop;
  guint       n_sent;
} Client;

static char *
make_body (const char *wamid,
           guint       n)
{
  return g_strdup_printf ("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102938475610293\","
                          "\"changes\":[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":"
                          "{\"display_phone_number\":\"15550101234\",\"phone_number_id\":\"" PHONE_ID "\"},"
                          "\"contacts\":[{\"profile\":{\"name\":\"Load %u\"},\"wa_id\":\"1555%07u\"}],"
                          "\"messages\":[{\"from\":\"1555%07u\",\"id\":\"%s\",\"timestamp\":\"1777011000\","
                          "\"type\":\"text\",\"text\":{\"body\":\"message %u\"}}]},\"field\":\"messages\"}]}]}",
                          n % 50, n % 50, n % 50, wamid, n);
}

/* One POST per connection; returns the status, or 0 when the listener died. */
static guint
post_once (guint       port,
           const char *body)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) APP_SECRET, strlen (APP_SECRET));
  g_autofree char *request = NULL;
  char response[256];
  gsize got = 0;
  gssize n;

  g_hmac_update (hmac, (const guchar *) body, strlen (body));
  request = g_strdup_printf ("POST /whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                             "Content-Type: application/json\r\nX-Hub-Signature-256: sha256=%s\r\n"
                             "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s",
                             g_hmac_get_string (hmac), strlen (body), body);

  g_socket_client_set_timeout (socket_client, 5);
  connection = g_socket_client_connect_to_host (socket_client, "127.0.0.1", port, NULL, NULL);
  if (connection == NULL ||
      !g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                  request, strlen (request), NULL, NULL, NULL))
    return 0;

  while (got < sizeof response - 1 &&
         (n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   response + got, sizeof response - 1 - got, NULL, NULL)) > 0)
    got += n;
  response[got] = '\0';

  if (!g_str_has_prefix (response, "HTTP/1.1 "))
    return 0;
  return (guint) g_ascii_strtoull (response + 9, NULL, 10);
}

static gpointer
client_thread (gpointer data)
{
  Client *client = data;

  while (!g_atomic_int_get (client->stop))
    {
      g_autofree char *wamid = g_strdup_printf ("wamid.kill-%u-%u-%u", client->round, client->client, client->n_sent);
      g_autofree char *body = make_body (wamid, client->n_sent);
      guint status;

      client->n_sent++;
      status = post_once (client->port, body);
      if (status == 200)
        {
          g_mutex_lock (client->lock);
          g_ptr_array_add (client->acked, g_steal_pointer (&wamid));
          g_mutex_unlock (client->lock);
        }
      else if (status == 0)
        break;
      else
        g_error ("The listener answered %u", status);
    }

  return NULL;
}

static gint64
prepare_database (const char *path)
{
  g_autoptr(PickyCipher) cipher = picky_test_cipher ();
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(PickyVault) vault = NULL;
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) added = NULL;
  g_autoptr(GAsyncResult) stored = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &opened);
  store = picky_store_open_finish (picky_test_wait_result (&opened), &error);
  g_assert_no_error (error);
  picky_store_add_channel_async (store, "whatsapp-business", "whatsapp", "Kill test",
                                 "{\"phone_number_id\":\"" PHONE_ID "\"}", NULL, picky_test_got_result_cb, &added);
  id = picky_store_add_channel_finish (store, picky_test_wait_result (&added), &error);
  g_assert_no_error (error);
  picky_store_close (store);

  /* The listener finds the secret under the same database's id. */
  vault = picky_vault_new (picky_store_get_database_id (store));
  picky_vault_store_secret_async (vault, id, "app-secret", APP_SECRET, NULL, picky_test_got_result_cb, &stored);
  g_assert_true (picky_vault_store_secret_finish (vault, picky_test_wait_result (&stored), &error));
  g_assert_no_error (error);

  return id;
}

static void
test_kill_under_load (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("picky-webhook-kill-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "messages.db", NULL);
  g_autoptr(GPtrArray) acked = g_ptr_array_new_with_free_func (g_free);
  GMutex lock;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autoptr(PickyCipher) cipher = picky_test_cipher ();
  gint64 channel_id;
  guint missing = 0;
  guint kills = 0;

  g_assert_no_error (error);
  g_mutex_init (&lock);
  channel_id = prepare_database (path);

  for (guint round = 0; round < ROUNDS; round++)
    {
      g_autoptr(GSubprocess) listener = NULL;
      g_autoptr(GDataInputStream) out = NULL;
      g_autofree char *line = NULL;
      GThread *threads[CLIENTS];
      Client clients[CLIENTS];
      gint stop = 0;
      guint port;
      guint before = acked->len;

      listener = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                   PICKY_WEBHOOK_LISTENER, path, NULL);
      g_assert_no_error (error);
      out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (listener));
      line = g_data_input_stream_read_line (out, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (line);
      port = (guint) g_ascii_strtoull (line, NULL, 10);
      g_assert_cmpuint (port, >, 0);

      for (guint c = 0; c < CLIENTS; c++)
        {
          clients[c] = (Client) { port, round, c, &lock, acked, &stop, 0 };
          threads[c] = g_thread_new ("load", client_thread, &clients[c]);
        }

      /* Killed while requests are in every stage: read, parsed, committing. */
      g_usleep (g_random_int_range (150, 450) * 1000);
      g_subprocess_force_exit (listener);
      g_subprocess_wait (listener, NULL, NULL);
      kills++;
      g_atomic_int_set (&stop, 1);
      for (guint c = 0; c < CLIENTS; c++)
        g_thread_join (threads[c]);

      g_test_message ("round %u: %u acknowledged", round, acked->len - before);
      g_assert_cmpuint (acked->len, >, before);
    }

  g_assert_cmpuint (kills, ==, ROUNDS);

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);

  /* Messages are found by the keyed hash of their wamid, as the store does. */
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM messages WHERE key_hash = ?",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < acked->len; i++)
    {
      g_autofree char *hash = picky_store_message_hash (cipher, channel_id, g_ptr_array_index (acked, i));

      sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      if (sqlite3_column_int (stmt, 0) != 1)
        missing++;
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  g_test_message ("%u messages acknowledged over %u kills", acked->len, kills);
  g_assert_cmpuint (missing, ==, 0);

  for (const char *suffix = ""; suffix != NULL; suffix = g_str_equal (suffix, "") ? "-wal" : g_str_equal (suffix, "-wal") ? "-shm" : NULL)
    {
      g_autofree char *name = g_strconcat (path, suffix, NULL);

      g_unlink (name);
    }
  g_rmdir (dir);
  g_mutex_clear (&lock);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/picky/webhook/kill-under-load", test_kill_under_load);

  return g_test_run ();
}
