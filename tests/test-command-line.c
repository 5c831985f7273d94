/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The console's commands run as a script would: provisioning channels and receiving headless. */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "fakes/picky-fake-telegram.h"
#include "picky-store.h"
#include "picky-test-util.h"

#define CANARY "7001234567:AAHcanaryCANARYcanaryCANARYcanary42"

typedef struct {
  char              *home;   /* private XDG dirs of the console under test */
  PickyFakeTelegram *server;
  const char        *data;   /* when set, the data dir of the next consoles instead */
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->home = g_dir_make_tmp ("picky-cli-XXXXXX", NULL);
  fixture->server = picky_fake_telegram_new ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->server);
  picky_test_remove_tree (fixture->home);
  g_clear_pointer (&fixture->home, g_free);
}

/* The console under test: no display at all, its own data and config
 * dirs, and the session's keyring. */
static GSubprocessLauncher *
launcher_new (Fixture *fixture)
{
  GSubprocessLauncher *launcher = picky_test_console_launcher ();
  g_autofree char *data = fixture->data != NULL ? g_strdup (fixture->data)
                                                : g_build_filename (fixture->home, "data", NULL);
  g_autofree char *config = g_build_filename (fixture->home, "config", NULL);

  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
  return launcher;
}

#define run_console(fixture, input, out, err, ...) \
  picky_test_run_console (launcher_new (fixture), input, out, err, __VA_ARGS__)

/* The id of the database the console under test made, which its secrets
 * carry: earlier tests' databases have a channel of the same number. */
static char *
database_id (Fixture *fixture)
{
  g_autofree char *path = g_build_filename (fixture->home, "data", "picky-console", "picky-console.db", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *id;

  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  picky_store_identify_async (path, NULL, picky_test_got_result_cb, &result);
  id = picky_store_identify_finish (picky_test_wait_result (&result), NULL, &error);
  g_assert_no_error (error);

  return id;
}

static char *
secret_tool_lookup (Fixture    *fixture,
                    const char *channel_id)
{
  g_autofree char *out = NULL;
  g_autofree char *database = database_id (fixture);
  const char *argv[] = { "timeout", "20", "secret-tool", "lookup", "database", database,
                         "channel-id", channel_id, "kind", "token", NULL };
  g_autoptr(GError) error = NULL;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, NULL, &error);
  g_assert_no_error (error);

  return g_strdup (out != NULL ? out : "");
}

static gboolean
tree_contains (const char *path,
               const char *needle)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        {
          if (tree_contains (child, needle))
            return TRUE;
        }
      else if (g_file_get_contents (child, &contents, &length, NULL) &&
               g_strstr_len (contents, length, needle) != NULL)
        {
          return TRUE;
        }
    }

  return FALSE;
}

static void
test_provision (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *setting = g_strdup_printf ("api_base=%s",
                                              picky_fake_telegram_get_base_url (fixture->server));
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *id = NULL;
  int status;

  status = run_console (fixture, "# the bot's token\ntoken=" CANARY "\n", &out, &err,
                        "--add-channel=telegram", "--name=Shop front", "--setting", setting, NULL);
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpint (status, ==, 0);
  id = g_strstrip (g_strdup (out));
  g_assert_cmpint (g_ascii_strtoll (id, NULL, 10), >, 0);

  /* The token went to the keyring and nowhere else. */
  secret = secret_tool_lookup (fixture, id);
  g_assert_cmpstr (secret, ==, CANARY);
  g_assert_false (tree_contains (fixture->home, CANARY));
  g_assert_false (tree_contains (fixture->home, "AAHcanary"));

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = run_console (fixture, NULL, &out, &err, "--list-channels", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\ttelegram\ttelegram\tShop front\t"));
  g_assert_nonnull (strstr (out, picky_fake_telegram_get_base_url (fixture->server)));
  g_assert_null (strstr (out, CANARY));

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = run_console (fixture, NULL, &out, &err, "--remove-channel", id, NULL);
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpint (status, ==, 0);

  g_clear_pointer (&secret, g_free);
  secret = secret_tool_lookup (fixture, id);
  g_assert_cmpstr (secret, ==, "");

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = run_console (fixture, NULL, &out, &err, "--list-channels", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "");
}

static void
test_errors (Fixture       *fixture,
             gconstpointer  data)
{
  struct {
    const char *input;
    const char *args[4];
    const char *message;
  } cases[] = {
    { "token=x\n", { "--add-channel=fax", "--name=A", NULL }, "Unknown channel kind “fax”" },
    { "token=x\n", { "--add-channel=telegram", NULL }, "needs a name" },
    { "", { "--add-channel=telegram", "--name=A", NULL }, "No secret was given" },
    { "just-a-token\n", { "--add-channel=telegram", "--name=A", NULL }, "KIND=VALUE" },
    { "token=x\n", { "--add-channel=telegram", "--name=A", "--setting=api_base" }, "KEY=VALUE" },
    { NULL, { "--remove-channel=4242", NULL }, "no channel with the number 4242" },
    { NULL, { "--name=A", NULL }, "belong to --add-channel" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int status;

      status = run_console (fixture, cases[i].input, &out, &err,
                            cases[i].args[0], cases[i].args[1], cases[i].args[2], NULL);
      g_assert_cmpint (status, !=, 0);
      g_assert_nonnull (strstr (err, cases[i].message));
    }
}

/* A secret no provider would issue is refused with a message naming it,
 * before any row or secret is stored; "tok" is also part of the label
 * "access token", which once left the console waiting for ever. */
static void
test_unusable_secret (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *inputs[] = {
    "access-token=tok\napp-secret=0123456789abcdef0123456789abcdef\nverify-token=vt\n",
    "access-token=EAAtestACCESStoken\napp-secret=0123456789abcdef\t0123456789abcdef\n",
  };
  const char *messages[] = {
    "The secret “access-token” is too short to be a real one: it needs at least 8 characters",
    "The secret “app-secret” contains a line break or another control character",
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int status;

      status = run_console (fixture, inputs[i], &out, &err,
                            "--add-channel=whatsapp", "--name=tok", NULL);
      g_assert_cmpint (status, ==, 1);
      g_assert_nonnull (strstr (err, messages[i]));
      g_assert_cmpstr (out, ==, "");

      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--list-channels", NULL), ==, 0);
      g_assert_cmpstr (out, ==, "");
    }
}

/* Straight from a build folder the schema is not installed: --help still
 * answers, and a command says what is missing instead of aborting. */
static void
test_no_schema (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *empty = g_build_filename (fixture->home, "no-schemas", NULL);
  const char *commands[] = { "--help", "--list-channels", "--headless" };

  g_assert_cmpint (g_mkdir_with_parents (empty, 0700), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher = launcher_new (fixture);
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", empty, TRUE);
      process = g_subprocess_launcher_spawn (launcher, &error, "timeout", "60",
                                             g_getenv ("PICKY_CONSOLE"), commands[i], NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
      g_assert_no_error (error);
      if (i == 0)
        {
          g_assert_cmpint (picky_test_exit_status (process, err), ==, 0);
          g_assert_nonnull (strstr (out, "--add-channel=KIND"));
          continue;
        }

      g_assert_cmpint (picky_test_exit_status (process, err), ==, 1);
      g_assert_nonnull (strstr (err, "The settings schema io.github.pickyconsole.PickyConsole is not installed"));
      g_assert_nonnull (strstr (err, "meson devenv -C "));
      g_assert_nonnull (strstr (err, "GSETTINGS_SCHEMA_DIR="));
      g_assert_null (strstr (err, "GLib-GIO-ERROR"));
    }
}

/* --headless with its port taken says so on standard error, with the
 * address and why, and keeps running to try again. */
static void
test_headless_port_taken (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GSocketService) holder = g_socket_service_new ();
  g_autoptr(GSubprocessLauncher) launcher = launcher_new (fixture);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) err = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (fixture->home, "config", "glib-2.0", "settings", NULL);
  g_autofree char *keyfile = g_build_filename (dir, "keyfile", NULL);
  g_autofree char *settings = NULL;
  g_autofree char *expected = NULL;
  char *line;
  gboolean said = FALSE;
  guint16 port;

  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (holder), NULL, &error);
  g_assert_no_error (error);
  settings = g_strdup_printf ("[io/github/pickyconsole/PickyConsole]\nwebhook-address='127.0.0.1'\n"
                              "webhook-port=%u\n", port);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (keyfile, settings, -1, &error));

  /* "timeout" ends a console that never says it, so the read below ends.
   * In the foreground: otherwise it passes the SIGTERM below to its whole
   * process group as well, and the console, already stopping, gets it a
   * second time after its handler is gone (and dies of it on a busy
   * machine). */
  process = g_subprocess_launcher_spawn (launcher, &error, "timeout", "--foreground", "30",
                                         g_getenv ("PICKY_CONSOLE"), "--headless", NULL);
  g_assert_no_error (error);
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));
  expected = g_strdup_printf ("picky-console: Listener unavailable: 127.0.0.1 port %u is in use.", port);
  while (!said && (line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error)) != NULL)
    {
      said = g_str_has_prefix (line, expected);
      g_free (line);
    }
  g_assert_no_error (error);
  g_assert_true (said);

  /* It keeps running, and stops cleanly when asked. */
  g_assert_null (g_subprocess_get_identifier (process) == NULL ? "exited" : NULL);
  g_subprocess_send_signal (process, SIGTERM);
  g_assert_true (g_subprocess_wait (process, NULL, &error));
  g_assert_cmpint (picky_test_exit_status (process, NULL), ==, 0);
}

typedef struct {
  PickyFakeTelegram *server;
  guint              n;
} CountWait;

static gboolean
wait_for_polls (CountWait *wait,
                guint      timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (picky_fake_telegram_count (wait->server, "getUpdates") < wait->n)
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_usleep (20 * 1000);
    }

  return TRUE;
}

static void
on_exited_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *exited = TRUE;
}

static void
test_headless (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *setting = g_strdup_printf ("api_base=%s",
                                              picky_fake_telegram_get_base_url (fixture->server));
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) polls = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *id = NULL;
  g_autofree char *second = NULL;
  CountWait wait = { fixture->server, 2 };
  gboolean exited = FALSE;
  gint64 deadline;

  g_assert_cmpint (run_console (fixture, "token=" CANARY "\n", &out, &err,
                                "--add-channel=telegram", "--name=Night shift",
                                "--setting", setting, NULL), ==, 0);
  id = g_strstrip (g_strdup (out));

  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 200,
                                    "telegram-getupdates-mixed.wire.json", NULL);
  picky_fake_telegram_set_idle_delay (fixture->server, 200);

  launcher = launcher_new (fixture);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PICKY_CONSOLE"),
                                         "--headless", NULL);
  g_assert_no_error (error);

  /* The second poll asks past the updates of the first, which the channel
   * does only after they were committed to the store. */
  g_assert_true (wait_for_polls (&wait, 20000));
  polls = picky_fake_telegram_dup_requests (fixture->server, "getUpdates");
  second = g_strndup (g_bytes_get_data (((PickyFakeRequest *) g_ptr_array_index (polls, 1))->body, NULL),
                      g_bytes_get_size (((PickyFakeRequest *) g_ptr_array_index (polls, 1))->body));
  g_assert_nonnull (strstr (second, "734901209"));

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait_async (process, NULL, on_exited_cb, &exited);
  deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (!exited && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE), g_usleep (10 * 1000);

  g_assert_true (exited);
  g_assert_cmpint (picky_test_exit_status (process, NULL), ==, 0);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--remove-channel", id, NULL), ==, 0);
}

/* Starts --headless and waits until the fake's updates are stored. */
static GSubprocess *
start_headless (Fixture *fixture)
{
  g_autoptr(GSubprocessLauncher) launcher = launcher_new (fixture);
  GSubprocess *process = NULL;
  g_autoptr(GError) error = NULL;
  CountWait wait = { fixture->server, picky_fake_telegram_count (fixture->server, "getUpdates") + 2 };

  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PICKY_CONSOLE"), "--headless", NULL);
  g_assert_no_error (error);
  g_assert_true (wait_for_polls (&wait, 20000));

  return process;
}

static void
stop_headless (GSubprocess *process)
{
  gboolean exited = FALSE;
  gint64 deadline;

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait_async (process, NULL, on_exited_cb, &exited);
  deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (!exited && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE), g_usleep (10 * 1000);
  g_assert_true (exited);
  g_assert_cmpint (picky_test_exit_status (process, NULL), ==, 0);
}

/* Runs --headless until the fake's updates are stored, then stops it. */
static void
receive_once (Fixture *fixture)
{
  g_autoptr(GSubprocess) process = start_headless (fixture);

  stop_headless (process);
}

static gboolean
dir_is_empty (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);

  g_assert_nonnull (dir);
  return g_dir_read_name (dir) == NULL;
}

static char *
request_text (PickyFakeRequest *request)
{
  return g_strndup (g_bytes_get_data (request->body, NULL), g_bytes_get_size (request->body));
}

/* Conversations listed for scripts, and a reply sent through the outbox
 * from the command line: to the fake Bot API, or failed with its reason. */
static void
test_conversations (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *setting = g_strdup_printf ("api_base=%s",
                                              picky_fake_telegram_get_base_url (fixture->server));
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *channel_id = NULL;
  g_autofree char *conversation = NULL;
  g_autofree char *option = NULL;
  g_autoptr(GPtrArray) sent = NULL;
  g_auto(GStrv) fields = NULL;
  g_autofree char *body = NULL;

  g_assert_cmpint (run_console (fixture, "token=" CANARY "\n", &out, &err,
                                "--add-channel=telegram", "--name=Night shift",
                                "--setting", setting, NULL), ==, 0);
  channel_id = g_strstrip (g_strdup (out));

  /* Listed with its state and last error; nothing runs it here. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--list-channels", NULL), ==, 0);
  g_assert_true (g_str_has_suffix (out, "\tstopped\t\n"));

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--list-conversations", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "");

  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 200,
                                    "telegram-getupdates-text.wire.json", NULL);
  picky_fake_telegram_set_idle_delay (fixture->server, 200);
  receive_once (fixture);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--list-conversations", NULL), ==, 0);
  /* One line: the one conversation. */
  g_assert_true (strchr (out, '\n') == out + strlen (out) - 1);
  fields = g_strsplit (g_strchomp (out), "\t", -1);
  g_assert_cmpuint (g_strv_length (fields), ==, 7);
  conversation = g_strdup (fields[0]);
  g_assert_cmpint (g_ascii_strtoll (conversation, NULL, 10), >, 0);
  g_assert_cmpstr (fields[1], ==, "telegram");
  g_assert_cmpstr (fields[2], ==, channel_id);
  g_assert_cmpstr (fields[3], ==, "Priya Sharma");
  g_assert_cmpstr (fields[4], ==, "1");
  g_assert_true (g_str_has_suffix (fields[5], "Z"));
  g_assert_cmpstr (fields[6], ==, "open");

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *filtered = NULL;
      g_autofree char *filtered_err = NULL;

      g_assert_cmpint (run_console (fixture, NULL, &filtered, &filtered_err,
                                    i == 0 ? "--waiting" : "--unread", "--list-conversations", NULL), ==, 0);
      g_assert_true (g_str_has_prefix (filtered, conversation));
    }

  /* Sent: the outcome on standard output, the text on the wire. */
  option = g_strconcat ("--conversation=", conversation, NULL);
  picky_fake_telegram_queue_sample (fixture->server, "sendMessage", 200,
                                    "telegram-sendmessage-response.wire.json", NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--send", option,
                                "--text=Namaste, it ships today", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "sent\t"));
  sent = picky_fake_telegram_dup_requests (fixture->server, "sendMessage");
  g_assert_cmpuint (sent->len, ==, 1);
  body = request_text (g_ptr_array_index (sent, 0));
  g_assert_nonnull (strstr (body, "\"chat_id\":6012345678"));
  g_assert_nonnull (strstr (body, "\"text\":\"Namaste, it ships today\""));

  /* Our reply ended the wait. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--list-conversations", "--waiting", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "");

  /* Refused: the reason on standard error, a failing status; the text
   * came from standard input. */
  picky_fake_telegram_queue_sample (fixture->server, "sendMessage", 403,
                                    "telegram-error-403-blocked.wire.json", NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, "Are you there?\n", &out, &err, "--send", option, NULL), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "blocked by the user"));
  g_clear_pointer (&sent, g_ptr_array_unref);
  sent = picky_fake_telegram_dup_requests (fixture->server, "sendMessage");
  g_assert_cmpuint (sent->len, ==, 2);
  g_free (body);
  body = request_text (g_ptr_array_index (sent, 1));
  g_assert_nonnull (strstr (body, "\"text\":\"Are you there?\""));

  /* Mistakes are said, and nothing is sent. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--send", "--conversation=999999", "--text=Hi", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "999999"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, "  \n", &out, &err, "--send", option, NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--send", "--text=Hi", NULL), ==, 2);
  g_clear_pointer (&sent, g_ptr_array_unref);
  sent = picky_fake_telegram_dup_requests (fixture->server, "sendMessage");
  g_assert_cmpuint (sent->len, ==, 2);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--remove-channel", channel_id, NULL), ==, 0);
}

static void
set_send_off (Fixture    *fixture,
              const char *apps)
{
  g_autofree char *dir = g_build_filename (fixture->home, "config", "glib-2.0", "settings", NULL);
  g_autofree char *keyfile = g_build_filename (dir, "keyfile", NULL);
  g_autofree char *settings = g_strdup_printf ("[io/github/pickyconsole/PickyConsole]\n"
                                               "push-disabled-apps=%s\n", apps);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (keyfile, settings, -1, &error));
  g_assert_no_error (error);
}

/* While --headless runs, the listing, sending and provisioning commands
 * are its work:
 * they reach the fake through its channel, show the states it knows, and
 * never open a database of their own (given an empty data dir, they leave
 * it empty). A second receiving console is refused. */
static void
test_running_console (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *setting = g_strdup_printf ("api_base=%s",
                                              picky_fake_telegram_get_base_url (fixture->server));
  g_autofree char *elsewhere = g_build_filename (fixture->home, "elsewhere", NULL);
  g_autoptr(GSubprocess) console = NULL;
  g_autoptr(GPtrArray) sent = NULL;
  g_auto(GStrv) fields = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *channel_id = NULL;
  g_autofree char *conversation = NULL;
  g_autofree char *option = NULL;
  g_autofree char *body = NULL;
  g_autofree char *added_id = NULL;
  g_autofree char *added_row = NULL;
  g_autofree char *secret = NULL;

  g_assert_cmpint (run_console (fixture, "token=" CANARY "\n", &out, &err,
                                "--add-channel=telegram", "--name=Night shift",
                                "--setting", setting, NULL), ==, 0);
  channel_id = g_strstrip (g_strdup (out));

  picky_fake_telegram_queue_sample (fixture->server, "getUpdates", 200,
                                    "telegram-getupdates-text.wire.json", NULL);
  picky_fake_telegram_set_idle_delay (fixture->server, 200);
  console = start_headless (fixture);

  g_assert_cmpint (g_mkdir_with_parents (elsewhere, 0700), ==, 0);
  fixture->data = elsewhere;

  /* The state of the channel it runs, not "stopped". */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--list-channels", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, channel_id));
  g_assert_true (g_str_has_suffix (out, "\tonline\t\n"));

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--list-conversations", "--waiting", NULL), ==, 0);
  fields = g_strsplit (g_strchomp (out), "\t", -1);
  g_assert_cmpuint (g_strv_length (fields), ==, 7);
  g_assert_cmpstr (fields[3], ==, "Priya Sharma");
  conversation = g_strdup (fields[0]);
  option = g_strconcat ("--conversation=", conversation, NULL);

  /* Sent once, by the running console, with the text from standard input. */
  picky_fake_telegram_queue_sample (fixture->server, "sendMessage", 200,
                                    "telegram-sendmessage-response.wire.json", NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, "Namaste, it ships today\n", &out, &err, "--send", option, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "sent\t"));
  g_assert_cmpstr (err, ==, "");
  sent = picky_fake_telegram_dup_requests (fixture->server, "sendMessage");
  g_assert_cmpuint (sent->len, ==, 1);
  body = request_text (g_ptr_array_index (sent, 0));
  g_assert_nonnull (strstr (body, "\"chat_id\":6012345678"));
  g_assert_nonnull (strstr (body, "\"text\":\"Namaste, it ships today\""));

  /* The reply ended the wait in the running console's database. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--list-conversations", "--waiting", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "");

  /* Refused by the provider: its reason, a failing status. */
  picky_fake_telegram_queue_sample (fixture->server, "sendMessage", 403,
                                    "telegram-error-403-blocked.wire.json", NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--send", option, "--text=Are you there?", NULL), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "blocked by the user"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--send", "--conversation=999999", "--text=Hi", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "999999"));
  g_clear_pointer (&sent, g_ptr_array_unref);
  sent = picky_fake_telegram_dup_requests (fixture->server, "sendMessage");
  g_assert_cmpuint (sent->len, ==, 2);

  /* Channels are added and removed by the running console too: the new
   * one runs there at once, its token in the keyring, and no database is
   * opened here. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, "token=" CANARY "\n", &out, &err,
                                "--add-channel=telegram", "--name=Day shift",
                                "--setting", setting, NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  added_id = g_strstrip (g_strdup (out));
  g_assert_cmpint (g_ascii_strtoll (added_id, NULL, 10), >, g_ascii_strtoll (channel_id, NULL, 10));
  secret = secret_tool_lookup (fixture, added_id);
  g_assert_cmpstr (secret, ==, CANARY);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--list-channels", NULL), ==, 0);
  added_row = g_strconcat (added_id, "\ttelegram\ttelegram\tDay shift\t", NULL);
  g_assert_nonnull (strstr (out, added_row));
  g_assert_null (strstr (out, "\tstopped\t"));

  /* Without its secret on standard input: refused, nothing added. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--add-channel=telegram", "--name=Nobody", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "No secret was given"));

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--remove-channel", added_id, NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_clear_pointer (&secret, g_free);
  secret = secret_tool_lookup (fixture, added_id);
  g_assert_cmpstr (secret, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--list-channels", NULL), ==, 0);
  g_assert_null (strstr (out, "Day shift"));
  g_assert_null (strstr (out, "Nobody"));
  g_assert_true (g_str_has_prefix (out, channel_id));
  g_assert_true (dir_is_empty (elsewhere));

  /* Only one console receives. */
  fixture->data = NULL;
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--headless", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "running already"));

  g_assert_true (dir_is_empty (elsewhere));

  /* With Send off, nothing goes on the wire and the reason is said. */
  stop_headless (console);
  g_clear_object (&console);
  set_send_off (fixture, "['telegram']");
  console = start_headless (fixture);
  fixture->data = elsewhere;
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--send", option, "--text=Still there?", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "Sending to Telegram is switched off in Channels."));
  g_assert_true (dir_is_empty (elsewhere));
  stop_headless (console);

  /* Without a running console the command opens the database itself:
   * the same refusal, and still nothing on the wire. */
  fixture->data = NULL;
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--send", option, "--text=Still there?", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "Sending to Telegram is switched off in Channels."));
  g_clear_pointer (&sent, g_ptr_array_unref);
  sent = picky_fake_telegram_dup_requests (fixture->server, "sendMessage");
  g_assert_cmpuint (sent->len, ==, 2);

  /* And an empty data dir gets a database of its own: the check above
   * would have seen one. */
  fixture->data = elsewhere;
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--list-conversations", NULL), ==, 0);
  g_assert_false (dir_is_empty (elsewhere));
  fixture->data = NULL;

  set_send_off (fixture, "@as []");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--remove-channel", channel_id, NULL), ==, 0);
}

/* On a display with a locked keyring its unlock prompt is shown there and
 * nobody answers it. Each command gives up when --keyring-timeout says,
 * says why and how to go on, and exits with 1. */
static void
test_locked_keyring (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *report = g_build_filename (fixture->home, "report.csv", NULL);
  g_autofree char *output = g_strconcat ("--output=", report, NULL);
  const char *commands[][4] = {
    { "--headless", NULL },
    { "--list-channels", NULL },
    { "--export-report", "--range=7d", output, NULL },
  };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  /* Installed and used while unlocked: the data key is in the keyring. */
  g_assert_cmpint (run_console (fixture, NULL, &out, &err, "--list-channels", NULL), ==, 0);
  picky_test_lock_keyring ();

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher = launcher_new (fixture);
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(GError) error = NULL;
      gint64 start;

      g_test_message ("%s", commands[i][0]);
      /* "timeout" ends a console that waits for ever, as it did. */
      g_ptr_array_add (argv, (gpointer) "timeout");
      g_ptr_array_add (argv, (gpointer) "30");
      g_ptr_array_add (argv, (gpointer) g_getenv ("PICKY_CONSOLE"));
      g_ptr_array_add (argv, (gpointer) "--keyring-timeout=2");
      for (guint j = 0; commands[i][j] != NULL; j++)
        g_ptr_array_add (argv, (gpointer) commands[i][j]);
      g_ptr_array_add (argv, NULL);

      g_subprocess_launcher_setenv (launcher, "DISPLAY", g_getenv ("DISPLAY"), TRUE);
      start = g_get_monotonic_time ();
      process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
      g_assert_no_error (error);
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
      g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
      g_assert_no_error (error);

      g_assert_cmpstr (err, ==,
                       "picky-console: The system keyring is still locked: nobody answered its unlock "
                       "prompt within 2 seconds. Picky Console keeps tokens only there; unlock your "
                       "keyring and try again.\n"
                       "Unlock it by logging in to the desktop session this console runs in, or by "
                       "answering the keyring’s prompt on its display, then start Picky Console again. "
                       "--keyring-timeout=SECONDS waits longer for the prompt.\n");
      g_assert_cmpstr (out, ==, "");
      g_assert_cmpint (picky_test_exit_status (process, err), ==, 1);
      g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_TIME_SPAN_SECOND);
    }

  g_assert_false (g_file_test (report, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("PICKY_PRIVATE_KEYRING") != NULL)
    {
      /* tests/private-keyring.sh gives this run a keyring it may lock. */
      g_test_add ("/picky/command-line/locked-keyring", Fixture, NULL,
                  fixture_set_up, test_locked_keyring, fixture_tear_down);
      return g_test_run ();
    }

  g_test_add ("/picky/command-line/provision", Fixture, NULL,
              fixture_set_up, test_provision, fixture_tear_down);
  g_test_add ("/picky/command-line/errors", Fixture, NULL,
              fixture_set_up, test_errors, fixture_tear_down);
  g_test_add ("/picky/command-line/unusable-secret", Fixture, NULL,
              fixture_set_up, test_unusable_secret, fixture_tear_down);
  g_test_add ("/picky/command-line/no-schema", Fixture, NULL,
              fixture_set_up, test_no_schema, fixture_tear_down);
  g_test_add ("/picky/command-line/headless-port-taken", Fixture, NULL,
              fixture_set_up, test_headless_port_taken, fixture_tear_down);
  g_test_add ("/picky/command-line/conversations", Fixture, NULL,
              fixture_set_up, test_conversations, fixture_tear_down);
  g_test_add ("/picky/command-line/headless", Fixture, NULL,
              fixture_set_up, test_headless, fixture_tear_down);
  g_test_add ("/picky/command-line/running-console", Fixture, NULL,
              fixture_set_up, test_running_console, fixture_tear_down);

  return g_test_run ();
}
