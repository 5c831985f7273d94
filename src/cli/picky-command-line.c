/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Commands that run without a window: receiving headless, and channel provisioning by script. */

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "picky-command-line.h"
#include "picky-service.h"

/* One run of a command: a main loop of its own, since no window and no
 * GTK are involved, and the exit status it ends with. */
typedef struct {
  GMainLoop    *loop;
  PickyService *service;
  GVariantDict *options;
  GInputStream *secrets_in;
  int           status;
} Run;

static void
fail (Run        *run,
      const char *message)
{
  g_printerr ("picky-console: %s\n", message);
  run->status = 1;
  g_main_loop_quit (run->loop);
}

static void
done (Run *run)
{
  run->status = 0;
  g_main_loop_quit (run->loop);
}

static gboolean
on_stop_signal_cb (gpointer user_data)
{
  Run *run = user_data;

  done (run);
  return G_SOURCE_CONTINUE;
}

static void
on_channels_listed_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = picky_store_list_channels_finish (PICKY_STORE (object), result, &error);

  if (rows == NULL)
    {
      fail (run, error->message);
      return;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      gint64 id;
      const char *app, *kind, *name, *settings;

      g_variant_get (g_ptr_array_index (rows, i), "(x&s&s&s&s)", &id, &app, &kind, &name, &settings);
      /* Tab-separated for scripts: id, kind, app, name, settings (never a secret). */
      g_print ("%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s\n", id, kind, app, name, settings);
    }

  done (run);
}

static void
on_channel_added_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  gint64 id = picky_service_add_channel_finish (PICKY_SERVICE (object), result, &error);

  if (id <= 0)
    {
      fail (run, error->message);
      return;
    }

  g_print ("%" G_GINT64_FORMAT "\n", id);
  done (run);
}

static void
on_channel_removed_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  if (!picky_service_remove_channel_finish (PICKY_SERVICE (object), result, &error))
    {
      fail (run, error->message);
      return;
    }

  done (run);
}

/* Secrets come only from standard input, one KIND=VALUE per line, so that
 * they never appear in a process list or a shell history. */
static GHashTable *
read_secrets (GInputStream  *in,
              GError       **error)
{
  g_autoptr(GHashTable) secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GDataInputStream) data = g_data_input_stream_new (in);
  char *line;
  gsize length;

  while ((line = g_data_input_stream_read_line_utf8 (data, &length, NULL, error)) != NULL)
    {
      g_autofree char *owned = line;
      char *equals;

      g_strstrip (owned);
      if (owned[0] == '\0' || owned[0] == '#')
        continue;

      equals = strchr (owned, '=');
      if (equals == NULL || equals == owned || equals[1] == '\0')
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("Each line on standard input must be a secret as KIND=VALUE, for example token=…"));
          return NULL;
        }

      *equals = '\0';
      g_hash_table_replace (secrets, g_strdup (owned), g_strdup (equals + 1));
    }

  if (error != NULL && *error != NULL)
    return NULL;

  if (g_hash_table_size (secrets) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("No secret was given on standard input: write KIND=VALUE lines, for example token=…"));
      return NULL;
    }

  return g_steal_pointer (&secrets);
}

static char *
settings_to_json (const char * const  *settings,
                  GError             **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  for (guint i = 0; settings != NULL && settings[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (settings[i], "=", 2);

      if (g_strv_length (pair) != 2 || pair[0][0] == '\0')
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("A setting must be given as KEY=VALUE, not “%s”"), settings[i]);
          return NULL;
        }

      json_builder_set_member_name (builder, pair[0]);
      json_builder_add_string_value (builder, pair[1]);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void
add_channel (Run *run)
{
  const char *kind = NULL;
  const char *name = NULL;
  const char *app = NULL;
  g_autofree const char **settings = NULL;
  g_autofree char *settings_json = NULL;
  g_autoptr(GHashTable) secrets = NULL;
  g_autoptr(GError) error = NULL;

  g_variant_dict_lookup (run->options, "add-channel", "&s", &kind);
  g_variant_dict_lookup (run->options, "name", "&s", &name);
  g_variant_dict_lookup (run->options, "app", "&s", &app);
  g_variant_dict_lookup (run->options, "setting", "^a&s", &settings);

  if (!picky_channel_registry_has_kind (picky_service_get_registry (run->service), kind))
    {
      g_auto(GStrv) kinds = picky_channel_registry_dup_kinds (picky_service_get_registry (run->service));
      g_autofree char *known = g_strjoinv (", ", kinds);
      g_autofree char *message = g_strdup_printf (_("Unknown channel kind “%s”; known kinds: %s"), kind, known);

      fail (run, message);
      return;
    }

  if (name == NULL || name[0] == '\0')
    {
      fail (run, _("A new channel needs a name: add --name=NAME"));
      return;
    }

  settings_json = settings_to_json (settings, &error);
  if (settings_json == NULL)
    {
      fail (run, error->message);
      return;
    }

  /* A relay channel has no secret of its own: each phone holds its token. */
  if (g_strcmp0 (kind, "relay") == 0)
    {
      if (app == NULL)
        {
          fail (run, _("A relay channel needs the app it relays: add --app=APP, e.g. --app=whatsapp"));
          return;
        }
      secrets = g_hash_table_new (g_str_hash, g_str_equal);
    }
  else
    {
      secrets = read_secrets (run->secrets_in, &error);
    }
  if (secrets == NULL)
    {
      fail (run, error->message);
      return;
    }

  /* A kind serves the app of the same name unless told otherwise. */
  picky_service_add_channel_async (run->service, kind, app != NULL ? app : kind, name, settings_json,
                                   secrets, NULL, on_channel_added_cb, run);
}

/* Running headless, the listener's state is what an admin watching the
 * log needs most: a port that is taken is said at once, and so is the
 * moment the listener could bind after all. */
static void
on_bind_error_changed_cb (PickyWebhookServer *server,
                          GParamSpec         *pspec,
                          Run                *run)
{
  const char *error = picky_webhook_server_get_bind_error (server);

  if (error != NULL)
    g_printerr ("picky-console: %s. %s\n", error,
                _("Messages that arrive through it are not received; binding is tried again until it works."));
  else
    g_printerr ("picky-console: %s\n", _("The webhook listener is listening again."));
}

static void
on_service_started_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  gint64 remove_id = 0;

  if (!picky_service_start_finish (run->service, result, &error))
    {
      /* Without a window nobody may see the keyring's prompt: say how
       * else it gets unlocked, and how to wait longer. */
      if (g_error_matches (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_LOCKED))
        {
          g_autofree char *message =
            g_strdup_printf ("%s\n%s", error->message,
                             _("Unlock it by logging in to the desktop session this console "
                               "runs in, or by answering the keyring’s prompt on its display, "
                               "then start Picky Console again. --keyring-timeout=SECONDS "
                               "waits longer for the prompt."));

          fail (run, message);
          return;
        }

      fail (run, error->message);
      return;
    }

  if (g_variant_dict_contains (run->options, "list-channels"))
    picky_store_list_channels_async (picky_service_get_store (run->service), NULL,
                                     on_channels_listed_cb, run);
  else if (g_variant_dict_contains (run->options, "add-channel"))
    add_channel (run);
  else if (g_variant_dict_lookup (run->options, "remove-channel", "x", &remove_id))
    picky_service_remove_channel_async (run->service, remove_id, NULL, on_channel_removed_cb, run);
  else
    {
      PickyWebhookServer *server = picky_service_get_webhook_server (run->service);

      g_printerr ("%s\n", _("Receiving messages without a window. Press Ctrl+C to stop."));
      if (picky_webhook_server_get_bind_error (server) != NULL)
        on_bind_error_changed_cb (server, NULL, run);
      g_signal_connect (server, "notify::bind-error", G_CALLBACK (on_bind_error_changed_cb), run);
    }
}

/**
 * picky_command_line_add_options:
 * @application: the console's application
 *
 * Declares the options of the commands that run without a window.
 */
void
picky_command_line_add_options (GApplication *application)
{
  static const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Receive messages without a window until interrupted"), NULL },
    { "list-channels", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("List the channels, one per line"), NULL },
    { "add-channel", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Add a channel of this kind; its secrets are read from standard input as KIND=VALUE lines"),
      N_("KIND") },
    { "name", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("The name of the channel to add"), N_("NAME") },
    { "app", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("The app the channel to add serves, if not the kind's own"), N_("APP") },
    { "setting", 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
      N_("A setting of the channel to add, such as api_base=URL; may be repeated"), N_("KEY=VALUE") },
    { "remove-channel", 0, 0, G_OPTION_ARG_INT64, NULL,
      N_("Remove the channel with this number and its secrets"), N_("ID") },
    { "keyring-timeout", 0, 0, G_OPTION_ARG_INT, NULL,
      N_("How many seconds to wait for the keyring to be unlocked before giving up; "
         "0 waits for ever (default: 60)"), N_("SECONDS") },
    { NULL }
  };

  g_return_if_fail (G_IS_APPLICATION (application));

  g_application_add_main_option_entries (application, entries);
}

/**
 * picky_command_line_apply_keyring_timeout:
 * @options: the parsed command-line options
 * @error: return location for a #G_OPTION_ERROR
 *
 * Makes --keyring-timeout, if given, the unlock timeout of every vault
 * made from now on, headless or with a window.
 *
 * Returns: whether the option was absent or valid
 */
gboolean
picky_command_line_apply_keyring_timeout (GVariantDict  *options,
                                          GError       **error)
{
  gint32 seconds;

  g_return_val_if_fail (options != NULL, FALSE);

  if (!g_variant_dict_lookup (options, "keyring-timeout", "i", &seconds))
    return TRUE;

  if (seconds < 0 || (guint) seconds > G_MAXUINT / 1000)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--keyring-timeout needs a number of seconds, or 0 to wait for ever, not %d"),
                   (int) seconds);
      return FALSE;
    }

  picky_vault_set_default_unlock_timeout ((guint) seconds);
  return TRUE;
}

/**
 * picky_command_line_run:
 * @options: the parsed command-line options
 * @secrets_in: where secrets are read from, normally standard input
 *
 * Runs the command the options ask for, if any, without a window and
 * without GTK, so that it works over SSH and from scripts.
 *
 * Returns: the exit status, or -1 when no such command was given
 */
int
picky_command_line_run (GVariantDict *options,
                        GInputStream *secrets_in)
{
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(PickyService) service = NULL;
  gboolean headless = g_variant_dict_contains (options, "headless");
  guint sigint_id, sigterm_id;
  Run run = { 0 };

  g_return_val_if_fail (options != NULL, 1);
  g_return_val_if_fail (G_IS_INPUT_STREAM (secrets_in), 1);

  if (!headless &&
      !g_variant_dict_contains (options, "list-channels") &&
      !g_variant_dict_contains (options, "add-channel") &&
      !g_variant_dict_contains (options, "remove-channel"))
    {
      if (g_variant_dict_contains (options, "name") ||
          g_variant_dict_contains (options, "setting") ||
          g_variant_dict_contains (options, "app"))
        {
          g_printerr ("picky-console: %s\n", _("--name, --app and --setting belong to --add-channel"));
          return 1;
        }
      return -1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  service = picky_service_new (NULL);
  run.loop = loop;
  run.service = service;
  run.options = options;
  run.secrets_in = secrets_in;
  run.status = 1;

  sigint_id = g_unix_signal_add (SIGINT, on_stop_signal_cb, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, on_stop_signal_cb, &run);

  picky_service_start_async (service, headless, NULL, on_service_started_cb, &run);
  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_signal_handlers_disconnect_by_data (picky_service_get_webhook_server (service), &run);

  /* Stops the channels and lets the store finish what it had accepted. */
  picky_service_shutdown (service);

  return run.status;
}
