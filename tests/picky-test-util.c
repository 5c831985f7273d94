/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every test shares: running the main context until something happens, a fixed data key, temporary folders. */

#include "config.h"

#include <glib/gstdio.h>

#include "picky-test-util.h"
#include "picky-store-private.h"

/* Longer than any single operation of the tests takes on a busy machine. */
#define RESULT_TIMEOUT_S 30

/**
 * picky_test_got_result_cb:
 * @user_data: a `GAsyncResult **`, %NULL until the result arrives
 *
 * A #GAsyncReadyCallback that keeps the result for picky_test_wait_result().
 */
void
picky_test_got_result_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/**
 * picky_test_collect_cb:
 * @objects: (element-type GObject): what a signal such as the store's
 *   messages-changed or conversations-changed hands on
 * @seen: where they are kept, each referenced
 *
 * A signal handler that collects what each emission carries.
 */
void
picky_test_collect_cb (GObject   *emitter,
                       GPtrArray *objects,
                       GPtrArray *seen)
{
  for (guint i = 0; i < objects->len; i++)
    g_ptr_array_add (seen, g_object_ref (objects->pdata[i]));
}

static gboolean
on_tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/**
 * picky_test_wait_until:
 * @condition: (nullable): checked after each iteration; %NULL waits the
 *   whole time
 *
 * Runs the main context until @condition holds or @timeout_ms pass. It
 * wakes up every 10 ms, for conditions that other threads change.
 *
 * Returns: whether @condition held
 */
gboolean
picky_test_wait_until (gboolean (*condition) (gpointer data),
                       gpointer   data,
                       guint      timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint tick = g_timeout_add (10, on_tick_cb, NULL);
  gboolean held;

  while (!(held = condition != NULL && condition (data)) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);

  return held;
}

/**
 * picky_test_spin:
 *
 * Lets the main context run for @ms milliseconds, for layout, frames or
 * something that must not happen.
 */
void
picky_test_spin (guint ms)
{
  picky_test_wait_until (NULL, NULL, ms);
}

static gboolean
result_arrived (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

/**
 * picky_test_wait_result:
 * @slot: filled by picky_test_got_result_cb()
 *
 * Runs the main context until the result arrives; a result that never
 * comes fails the test instead of hanging it.
 *
 * Returns: (transfer none): the result, still owned by @slot
 */
GAsyncResult *
picky_test_wait_result (GAsyncResult **slot)
{
  g_assert_true (picky_test_wait_until (result_arrived, slot, RESULT_TIMEOUT_S * 1000));

  return *slot;
}

/**
 * picky_test_cipher:
 *
 * Returns: (transfer full): a cipher with the one fixed key of the tests,
 *   so that a helper process opens what a test wrote
 */
PickyCipher *
picky_test_cipher (void)
{
  static const guint8 key_bytes[PICKY_CIPHER_KEY_SIZE] = {
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
  };
  g_autoptr(GBytes) key = g_bytes_new_static (key_bytes, sizeof key_bytes);
  g_autoptr(GError) error = NULL;
  PickyCipher *cipher = picky_cipher_new (key, &error);

  g_assert_no_error (error);
  return cipher;
}

/**
 * picky_test_remove_tree:
 *
 * Removes @path and, if it is a folder, all below it; a link is removed,
 * never what it points to.
 */
void
picky_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_remove (path);
      return;
    }

  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      picky_test_remove_tree (child);
    }
  g_rmdir (path);
}

/**
 * picky_test_keyring_missing:
 *
 * Tells whether a Secret Service runs on the session bus, without
 * activating one: an activated keyring starts locked and would ask for a
 * password.
 *
 * Returns: (transfer full) (nullable): why there is no keyring to test
 *   against, for g_test_skip(); %NULL when there is one
 */
char *
picky_test_keyring_missing (void)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_owner = FALSE;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus == NULL)
    return g_strdup_printf ("no D-Bus session bus (%s); run the test in build-aux/headless-session.sh",
                            error->message);

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", "org.freedesktop.secrets"),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                       5000, NULL, &error);
  if (reply == NULL)
    return g_strdup_printf ("the session bus does not answer (%s)", error->message);

  g_variant_get (reply, "(b)", &has_owner);
  if (!has_owner)
    return g_strdup ("no Secret Service on the session bus; run the test in build-aux/headless-session.sh");

  return NULL;
}

/**
 * picky_test_keyring_owner:
 *
 * Returns: (transfer full): the unique bus name of the Secret Service, which
 *   tells whether the same keyring daemon still serves
 */
char *
picky_test_keyring_owner (void)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  char *owner = NULL;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetNameOwner",
                                       g_variant_new ("(s)", "org.freedesktop.secrets"),
                                       G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE,
                                       5000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(s)", &owner);

  return owner;
}

/**
 * picky_test_lock_keyring:
 *
 * Locks the login keyring, as a screen locker does, so that the next call
 * that needs it shows an unlock prompt. Only for a keyring of the test's
 * own (tests/private-keyring.sh), since nothing unlocks it again.
 */
void
picky_test_lock_keyring (void)
{
  static const char *login[] = { "/org/freedesktop/secrets/collection/login", NULL };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) property = NULL;
  g_autoptr(GVariant) locked = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (g_getenv ("PICKY_PRIVATE_KEYRING"));

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                       "org.freedesktop.Secret.Service", "Lock",
                                       g_variant_new ("(^ao)", login),
                                       G_VARIANT_TYPE ("(aoo)"), G_DBUS_CALL_FLAGS_NONE,
                                       5000, NULL, &error);
  g_assert_no_error (error);

  property = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", login[0],
                                          "org.freedesktop.DBus.Properties", "Get",
                                          g_variant_new ("(ss)", "org.freedesktop.Secret.Collection", "Locked"),
                                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE,
                                          5000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (property, "(v)", &locked);
  g_assert_true (g_variant_get_boolean (locked));
}

/**
 * picky_test_console_launcher:
 *
 * A launcher for the console under test (`PICKY_CONSOLE`) with no display:
 * standard input, output and error are pipes, and neither X11 nor Wayland
 * is reachable, as on a server or in a cron job.
 *
 * Returns: (transfer full): the launcher, for the caller's environment
 */
GSubprocessLauncher *
picky_test_console_launcher (void)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                             G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                             G_SUBPROCESS_FLAGS_STDERR_PIPE);

  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  return launcher;
}

/**
 * picky_test_run_console:
 * @launcher: (transfer full): from picky_test_console_launcher()
 * @input: (nullable): what the console reads on standard input
 * @out: (out) (optional): its standard output
 * @err: (out) (optional): its standard error
 * @first: the first argument, then more, then %NULL
 *
 * Runs the console to its end. A console that hangs is ended after a
 * minute; one that is ended by a signal (a crash, a sanitizer's abort,
 * the minute) fails the test with what it wrote to standard error, which
 * is where the sanitizers say what they found.
 *
 * Returns: the console's exit status
 */
int
picky_test_run_console (GSubprocessLauncher *launcher,
                        const char          *input,
                        char               **out,
                        char               **err,
                        const char          *first,
                        ...)
{
  g_autoptr(GSubprocessLauncher) owned = launcher;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *own_out = NULL;
  g_autofree char *own_err = NULL;
  va_list args;
  int status;

  /* "timeout" re-raises the signal that ended the console, so a crash
   * still shows as one. */
  g_ptr_array_add (argv, (char *) "timeout");
  g_ptr_array_add (argv, (char *) "60");
  g_ptr_array_add (argv, (char *) g_getenv ("PICKY_CONSOLE"));
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (owned, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &own_out, &own_err, &error);
  g_assert_no_error (error);

  status = picky_test_exit_status (process, own_err);
  if (out != NULL)
    *out = g_steal_pointer (&own_out);
  if (err != NULL)
    *err = g_steal_pointer (&own_err);

  return status;
}

/**
 * picky_test_exit_status:
 * @process: a process that has ended
 * @err: (nullable): what it wrote to standard error, if the test read it
 *
 * The exit status of @process. One that a signal ended (a crash, a
 * sanitizer's abort, a timeout) fails the test, saying which signal and
 * what @err holds, which is where the sanitizers say what they found.
 *
 * Returns: the exit status
 */
int
picky_test_exit_status (GSubprocess *process,
                        const char  *err)
{
  if (!g_subprocess_get_if_exited (process))
    {
      g_test_message ("the process was ended by signal %d; its standard error:\n%s",
                      g_subprocess_get_if_signaled (process) ? g_subprocess_get_term_sig (process) : -1,
                      err != NULL ? err : "(not read)");
      g_assert_true (g_subprocess_get_if_exited (process));
    }

  return g_subprocess_get_exit_status (process);
}

/**
 * picky_test_update_outgoing:
 * @error_text: (nullable): the provider's reason, for a failed send
 *
 * Records how the send of our reply @id went, as a channel does.
 *
 * Returns: (transfer full): the reply as stored, with @status
 */
PickyMessage *
picky_test_update_outgoing (PickyStore         *store,
                            gint64              id,
                            PickyMessageStatus  status,
                            const char         *error_text)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyMessage *stored;

  picky_store_update_outgoing_async (store, id, status, NULL, error_text, NULL,
                                     picky_test_got_result_cb, &result);
  stored = picky_store_update_outgoing_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (stored);
  g_assert_cmpint (picky_message_get_status (stored), ==, status);
  return stored;
}

/* Each of the search index's tables agrees with the messages it indexes
 * (FTS5's integrity check, on @db, a connection of the test's own). */
void
picky_test_assert_index_consistent (sqlite3 *db)
{
  for (guint k = 0; k < PICKY_STORE_FTS_SHARDS; k++)
    {
      g_autofree char *check = g_strdup_printf ("INSERT INTO messages_fts_%u (messages_fts_%u)"
                                                " VALUES ('integrity-check')", k, k);

      g_assert_cmpint (sqlite3_exec (db, check, NULL, NULL, NULL), ==, SQLITE_OK);
    }
}
