/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the message store across processes: writers killed mid-ingest, a file that cannot grow, consoles opening one file at once. */

#include "config.h"

#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "picky-store.h"
#include "picky-store-private.h"
#include "picky-test-util.h"

#define BATCH 20
#define IN_FLIGHT 4
#define ROUNDS 6
#define OPENERS 4
#define OPEN_ROUNDS 20

typedef struct {
  PickyStore *store;
  const char *round;
  guint next;
  guint running;
  GError *error;
} Writer;

static GPtrArray *
make_batch (const char *round,
            guint       number)
{
  GPtrArray *batch = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < BATCH; i++)
    {
      PickyMessage *message = picky_message_new ();
      g_autofree char *key = g_strdup_printf ("%s-%u-%u", round, number, i);
      g_autofree char *contact = g_strdup_printf ("c%u", (number * BATCH + i) % 97);
      g_autofree char *text = g_strdup_printf ("message %u of batch %u, round %s", i, number, round);

      picky_message_set_channel_id (message, 1);
      picky_message_set_provider_key (message, key);
      picky_message_set_contact_provider_id (message, contact);
      picky_message_set_contact_name (message, "Writer Contact");
      picky_message_set_text (message, text);
      picky_message_set_timestamp (message, 1700000000 + number);
      picky_message_set_received (message, 1700000000 + number);
      g_ptr_array_add (batch, message);
    }

  return batch;
}

typedef struct {
  Writer *writer;
  guint number;
} BatchCall;

static void writer_start_batch (Writer *writer);

static void
writer_ingested_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autofree BatchCall *call = user_data;
  Writer *writer = call->writer;
  guint number = call->number;

  writer->running--;
  picky_store_ingest_finish (writer->store, result, &writer->error);
  if (writer->error != NULL)
    return;

  /* Only now is the batch promised to be durable. */
  printf ("%u\n", number);
  fflush (stdout);
  writer_start_batch (writer);
}

static void
writer_start_batch (Writer *writer)
{
  g_autoptr(GPtrArray) batch = make_batch (writer->round, writer->next);
  BatchCall *call = g_new0 (BatchCall, 1);

  call->writer = writer;
  call->number = writer->next++;
  writer->running++;
  picky_store_ingest_async (writer->store, batch, NULL, writer_ingested_cb, call);
}

/* The child: ingests batches as fast as it can until it is killed, and
 * reports each batch on stdout once its ingest has finished. */
static int
run_writer (const char *path,
            const char *round)
{
  g_autoptr(PickyCipher) cipher = picky_test_cipher ();
  g_autoptr(GAsyncResult) result = NULL;
  Writer writer = { 0 };

  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &result);
  writer.store = picky_store_open_finish (picky_test_wait_result (&result), &writer.error);
  if (writer.store == NULL)
    {
      g_printerr ("%s\n", writer.error->message);
      return 1;
    }
  writer.round = round;

  for (guint i = 0; i < IN_FLIGHT; i++)
    writer_start_batch (&writer);
  while (writer.error == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_printerr ("%s\n", writer.error->message);
  return 1;
}

/* The child: waits for the parent's go on stdin, so that all of them start
 * together, then opens the store as a starting console does and adds a
 * channel named after @name. */
static int
run_opener (const char *path,
            const char *name)
{
  g_autoptr(PickyCipher) cipher = picky_test_cipher ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GError) error = NULL;
  char go;

  if (read (STDIN_FILENO, &go, 1) != 1)
    return 2;

  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &result);
  store = picky_store_open_finish (picky_test_wait_result (&result), &error);
  if (store != NULL)
    {
      g_clear_object (&result);
      picky_store_add_channel_async (store, "telegram", "bot", name, NULL, NULL,
                                     picky_test_got_result_cb, &result);
      picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error);
      picky_store_close (store);
    }
  if (error != NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  return 0;
}

static char *
make_database (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "store.db", NULL);
  g_autoptr(PickyCipher) cipher = picky_test_cipher ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GError) error = NULL;

  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &result);
  store = picky_store_open_finish (picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  picky_store_add_channel_async (store, "telegram", "bot", "Bot", NULL, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpint (picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error), ==, 1);
  g_assert_no_error (error);
  picky_store_close (store);

  return g_steal_pointer (&path);
}

static char *
query_text (sqlite3    *db,
            const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);

  return text;
}

static void remove_database (const char *dir,
                             const char *path);

static void
test_store_kill_mid_ingest (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("picky-kill-XXXXXX", &error);
  g_autofree char *path = make_database (dir);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", &error);
  g_autoptr(GPtrArray) promised = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GRand) rand = g_rand_new ();
  g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "PICKY_TEST_WRITER", path, TRUE);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autoptr(PickyCipher) cipher = picky_test_cipher ();
  g_autofree char *integrity = NULL;
  guint killed_with_work = 0;

  g_assert_no_error (error);

  for (guint round = 0; round < ROUNDS; round++)
    {
      g_autofree char *round_name = g_strdup_printf ("r%u", round);
      const char *argv[] = { self_exe, round_name, NULL };
      g_autoptr(GIOChannel) channel = NULL;
      g_autofree char *output = NULL;
      g_auto(GStrv) lines = NULL;
      GPid pid;
      int out_fd;
      int status;

      g_spawn_async_with_pipes (NULL, (char **) argv, env, G_SPAWN_DO_NOT_REAP_CHILD,
                                NULL, NULL, &pid, NULL, &out_fd, NULL, &error);
      g_assert_no_error (error);

      /* Somewhere between opening and the middle of the stream. Every
       * other round waits until the writer has promised a batch first: a
       * delay counted from the start alone may end, on a busy machine,
       * before the child has opened the store at all. */
      if (round % 2 == 0)
        {
          struct pollfd promise = { out_fd, POLLIN, 0 };

          g_assert_cmpint (poll (&promise, 1, 60000), ==, 1);
          g_usleep (g_rand_int_range (rand, 0, 250) * 1000);
        }
      else
        g_usleep (g_rand_int_range (rand, 50, 300) * 1000);
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFSIGNALED (status));
      g_spawn_close_pid (pid);

      /* Everything printed before the kill reached the pipe. */
      channel = g_io_channel_unix_new (out_fd);
      g_io_channel_set_close_on_unref (channel, TRUE);
      g_io_channel_read_to_end (channel, &output, NULL, &error);
      g_assert_no_error (error);
      lines = g_strsplit (output, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        if (*lines[i] != '\0')
          g_ptr_array_add (promised, g_strdup_printf ("%s-%s", round_name, lines[i]));
      if (lines[0] != NULL && *lines[0] != '\0')
        killed_with_work++;
    }

  g_test_message ("%u batches promised over %u rounds", promised->len, ROUNDS);
  /* The test means nothing unless writers were killed while writing. */
  g_assert_cmpuint (killed_with_work, >=, ROUNDS / 2);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  integrity = query_text (db, "PRAGMA integrity_check");
  g_assert_cmpstr (integrity, ==, "ok");
  g_clear_pointer (&integrity, g_free);
  /* The search index agrees with the messages it indexes. */
  picky_test_assert_index_consistent (db);

  /* Messages are found by the keyed hash of their key, as the store does. */
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM messages WHERE channel_id = 1 AND key_hash = ?1",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < promised->len; i++)
    {
      guint found = 0;

      for (guint m = 0; m < BATCH; m++)
        {
          g_autofree char *key = g_strdup_printf ("%s-%u", (char *) promised->pdata[i], m);
          g_autofree char *hash = picky_store_message_hash (cipher, 1, key);

          sqlite3_reset (stmt);
          sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
          g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
          found += sqlite3_column_int (stmt, 0);
        }
      if (found != BATCH)
        g_error ("Batch %s has %u of %d messages", (char *) promised->pdata[i], found, BATCH);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  remove_database (dir, path);
}

static void
remove_database (const char *dir,
                 const char *path)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *name = g_strconcat (path, suffixes[i], NULL);

      g_remove (name);
    }
  g_rmdir (dir);
}

static int
query_int (sqlite3    *db,
           const char *sql)
{
  g_autofree char *text = query_text (db, sql);

  g_assert_nonnull (text);
  return atoi (text);
}

/* Consoles started together on a fresh file: each migrates the schema it
 * found inside its own write transaction, so none of them sees another's
 * half-done work or gives up while another holds the file. */
static void
test_store_open_concurrent (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", &error);

  g_assert_no_error (error);

  for (guint round = 0; round < OPEN_ROUNDS; round++)
    {
      g_autofree char *dir = g_dir_make_tmp ("picky-open-XXXXXX", &error);
      g_autofree char *path = g_build_filename (dir, "store.db", NULL);
      g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "PICKY_TEST_OPENER", path, TRUE);
      GPid pids[OPENERS];
      int in_fds[OPENERS];
      int err_fds[OPENERS];
      g_autofree char *integrity = NULL;
      sqlite3 *db = NULL;

      g_assert_no_error (error);
      for (guint i = 0; i < OPENERS; i++)
        {
          g_autofree char *name = g_strdup_printf ("opener %u", i);
          const char *argv[] = { self_exe, name, NULL };

          g_spawn_async_with_pipes (NULL, (char **) argv, env, G_SPAWN_DO_NOT_REAP_CHILD,
                                    NULL, NULL, &pids[i], &in_fds[i], NULL, &err_fds[i], &error);
          g_assert_no_error (error);
        }

      /* Go, all at once. */
      for (guint i = 0; i < OPENERS; i++)
        {
          g_assert_cmpint (write (in_fds[i], "g", 1), ==, 1);
          close (in_fds[i]);
        }

      for (guint i = 0; i < OPENERS; i++)
        {
          g_autoptr(GIOChannel) channel = g_io_channel_unix_new (err_fds[i]);
          g_autofree char *output = NULL;
          int status;

          g_io_channel_set_close_on_unref (channel, TRUE);
          g_io_channel_read_to_end (channel, &output, NULL, &error);
          g_assert_no_error (error);
          g_assert_cmpint (waitpid (pids[i], &status, 0), ==, pids[i]);
          g_spawn_close_pid (pids[i]);
          if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
            g_error ("Round %u: opener %u failed: %s", round, i, output);
        }

      g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
      g_assert_cmpint (query_int (db, "PRAGMA user_version"), ==, PICKY_STORE_SCHEMA_VERSION);
      integrity = query_text (db, "PRAGMA integrity_check");
      g_assert_cmpstr (integrity, ==, "ok");
      /* Every console's channel is there, each once. */
      g_assert_cmpint (query_int (db, "SELECT count(DISTINCT name) FROM channels"), ==, OPENERS);
      g_assert_cmpint (query_int (db, "SELECT count(*) FROM channels"), ==, OPENERS);
      sqlite3_close (db);

      remove_database (dir, path);
    }
}

static void
fill_until_full (const char *path)
{
  g_autoptr(PickyCipher) cipher = picky_test_cipher ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PickyStore) store = NULL;
  g_autoptr(GError) error = NULL;
  struct rlimit limit = { 512 * 1024, 512 * 1024 };

  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

  picky_store_open_async (path, cipher, NULL, picky_test_got_result_cb, &result);
  store = picky_store_open_finish (picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 10000 && error == NULL; i++)
    {
      g_autoptr(GPtrArray) batch = make_batch ("full", i);

      g_clear_object (&result);
      picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
      picky_store_ingest_finish (store, picky_test_wait_result (&result), &error);
    }

  g_assert_nonnull (error);
  g_assert_true (g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_FULL) ||
                 g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_IO));
  printf ("store failed with a storage error: %s\n", error->message);
  g_clear_object (&result);
  picky_store_close (store);
}

/* In a subprocess whose files may not grow past a limit, as on a full disk:
 * ingest fails with an error, the process lives on, and the file is sound. */
static void
test_store_disk_full (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = g_dir_make_tmp ("picky-full-XXXXXX", &error);
      g_autofree char *path = make_database (dir);
      g_autofree char *integrity = NULL;
      sqlite3 *db = NULL;

      fill_until_full (path);

      g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
      integrity = query_text (db, "PRAGMA integrity_check");
      sqlite3_close (db);
      g_assert_cmpstr (integrity, ==, "ok");
      remove_database (dir, path);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*store failed with a storage error*");
}

int
main (int   argc,
      char *argv[])
{
  const char *writer_path = g_getenv ("PICKY_TEST_WRITER");
  const char *opener_path = g_getenv ("PICKY_TEST_OPENER");

  setlocale (LC_ALL, "C.UTF-8");
  if (writer_path != NULL && argc == 2)
    return run_writer (writer_path, argv[1]);
  if (opener_path != NULL && argc == 2)
    return run_opener (opener_path, argv[1]);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/picky/store/crash/kill-mid-ingest", test_store_kill_mid_ingest);
  g_test_add_func ("/picky/store/crash/disk-full", test_store_disk_full);
  g_test_add_func ("/picky/store/open/concurrent", test_store_open_concurrent);

  return g_test_run ();
}
