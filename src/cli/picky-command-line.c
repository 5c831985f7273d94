/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Commands that run without a window: receiving headless, and channel provisioning by script. */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "picky-command.h"
#include "picky-command-bus.h"
#include "picky-command-line.h"

/* One provisioning command: what it needs besides the service. */
typedef struct {
  PickyCommand  command;
  GVariantDict *options;
  GInputStream *secrets_in;
  GHashTable   *secrets;   /* read before asking a running console, if any */
} Run;

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
      picky_command_fail (&run->command, error->message);
      return;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      gint64 id;
      const char *app, *kind, *name, *settings;
      PickyChannel *channel;
      PickyChannelState state = PICKY_CHANNEL_STATE_STOPPED;
      g_autofree char *last_error = NULL;
      const char *error_text = NULL;

      g_variant_get (g_ptr_array_index (rows, i), "(x&s&s&s&s)", &id, &app, &kind, &name, &settings);
      channel = picky_channel_registry_lookup (picky_service_get_registry (run->command.service), id);
      if (channel != NULL)
        {
          state = picky_channel_get_state (channel);
          error_text = picky_channel_get_last_error (channel);
        }
      last_error = picky_command_dup_field (error_text);

      /* Tab-separated for scripts: id, kind, app, name, settings (never a
       * secret), state and the last error (empty when there is none). */
      picky_command_print (&run->command, "%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s\t%s\t%s\n", id, kind, app, name, settings,
               picky_channel_state_to_string (state), last_error);
    }

  picky_command_done (&run->command);
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
      picky_command_fail (&run->command, error->message);
      return;
    }

  picky_command_print (&run->command, "%" G_GINT64_FORMAT "\n", id);
  picky_command_done (&run->command);
}

static void
on_channel_removed_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  picky_service_remove_channel_finish (PICKY_SERVICE (object), result, &error);
  picky_command_finish (&run->command, error);
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

  if (!picky_channel_registry_has_kind (picky_service_get_registry (run->command.service), kind))
    {
      g_auto(GStrv) kinds = picky_channel_registry_dup_kinds (picky_service_get_registry (run->command.service));
      g_autofree char *known = g_strjoinv (", ", kinds);
      g_autofree char *message = g_strdup_printf (_("Unknown channel kind “%s”; known kinds: %s"), kind, known);

      picky_command_fail (&run->command, message);
      return;
    }

  if (name == NULL || name[0] == '\0')
    {
      picky_command_fail (&run->command, _("A new channel needs a name: add --name=NAME"));
      return;
    }

  settings_json = settings_to_json (settings, &error);
  if (settings_json == NULL)
    {
      picky_command_fail (&run->command, error->message);
      return;
    }

  /* A relay channel has no secret of its own: each phone holds its token. */
  if (g_strcmp0 (kind, "relay") == 0)
    {
      if (app == NULL)
        {
          picky_command_fail (&run->command, _("A relay channel needs the app it relays: add --app=APP, e.g. --app=whatsapp"));
          return;
        }
      secrets = g_hash_table_new (g_str_hash, g_str_equal);
    }
  else if (run->secrets != NULL)
    {
      secrets = g_hash_table_ref (run->secrets);
    }
  else if (run->secrets_in == NULL)
    {
      /* Asked over the bus without them: the asking process's input is
       * out of reach here. */
      picky_command_fail (&run->command, _("No secret was given on standard input: write KIND=VALUE lines, for example token=…"));
      return;
    }
  else
    {
      secrets = read_secrets (run->secrets_in, &error);
    }
  if (secrets == NULL)
    {
      picky_command_fail (&run->command, error->message);
      return;
    }

  /* A kind serves the app of the same name unless told otherwise. */
  picky_service_add_channel_async (run->command.service, kind, app != NULL ? app : kind, name, settings_json,
                                   secrets, NULL, on_channel_added_cb, run);
}

/* The command the options ask for, once the service has started. */
static void
provision (PickyCommand *command)
{
  Run *run = (Run *) command;
  gint64 remove_id = 0;

  if (g_variant_dict_contains (run->options, "list-channels"))
    picky_store_list_channels_async (picky_service_get_store (command->service), NULL,
                                     on_channels_listed_cb, run);
  else if (g_variant_dict_contains (run->options, "add-channel"))
    add_channel (run);
  else if (g_variant_dict_lookup (run->options, "remove-channel", "x", &remove_id))
    picky_service_remove_channel_async (command->service, remove_id, NULL, on_channel_removed_cb, run);
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

/* Hands --add-channel or --remove-channel to the console that runs, if
 * any, so that the database is never opened twice and the new channel
 * starts there at once. Secrets are read here, from this process's
 * standard input, and kept in @run for the case that no console runs.
 *
 * Returns: the command's exit status, or -1 when no console runs */
static int
forward_provisioning (Run *run)
{
  GVariantDict request;
  const char *text = NULL;
  g_autofree const char **settings = NULL;
  gint64 id;

  g_variant_dict_init (&request, NULL);
  if (g_variant_dict_lookup (run->options, "remove-channel", "x", &id))
    {
      g_variant_dict_insert (&request, "remove-channel", "x", id);
      return picky_command_bus_forward (g_variant_dict_end (&request));
    }

  g_variant_dict_lookup (run->options, "add-channel", "&s", &text);
  g_variant_dict_insert (&request, "add-channel", "s", text);
  if (g_variant_dict_lookup (run->options, "name", "&s", &text))
    g_variant_dict_insert (&request, "name", "s", text);
  if (g_variant_dict_lookup (run->options, "app", "&s", &text))
    g_variant_dict_insert (&request, "app", "s", text);
  if (g_variant_dict_lookup (run->options, "setting", "^a&s", &settings))
    g_variant_dict_insert (&request, "setting", "^as", settings);

  /* A relay channel has no secret of its own. */
  g_variant_dict_lookup (run->options, "add-channel", "&s", &text);
  if (g_strcmp0 (text, "relay") != 0)
    {
      g_autoptr(GError) error = NULL;
      GVariantBuilder secrets;
      GHashTableIter iter;
      gpointer key, value;

      run->secrets = read_secrets (run->secrets_in, &error);
      if (run->secrets == NULL)
        {
          g_variant_dict_clear (&request);
          picky_command_print_error (error->message);
          return 1;
        }

      g_variant_builder_init (&secrets, G_VARIANT_TYPE ("a{ss}"));
      g_hash_table_iter_init (&iter, run->secrets);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_variant_builder_add (&secrets, "{ss}", key, value);
      g_variant_dict_insert_value (&request, "secrets", g_variant_builder_end (&secrets));
    }

  return picky_command_bus_forward (g_variant_dict_end (&request));
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
  Run run = { .options = options, .secrets_in = secrets_in };

  g_return_val_if_fail (options != NULL, 1);
  g_return_val_if_fail (G_IS_INPUT_STREAM (secrets_in), 1);

  /* The states are what the console that runs knows; asking it also
   * keeps the database from being opened twice. */
  if (g_variant_dict_contains (options, "list-channels"))
    {
      GVariantDict request;
      int status;

      g_variant_dict_init (&request, NULL);
      g_variant_dict_insert (&request, "list-channels", "b", TRUE);
      status = picky_command_bus_forward (g_variant_dict_end (&request));
      if (status >= 0)
        return status;
    }

  if (!g_variant_dict_contains (options, "list-channels") &&
      (g_variant_dict_contains (options, "add-channel") ||
       g_variant_dict_contains (options, "remove-channel")))
    {
      int status = forward_provisioning (&run);

      if (status >= 0)
        {
          g_clear_pointer (&run.secrets, g_hash_table_unref);
          return status;
        }
    }

  if (g_variant_dict_contains (options, "list-channels") ||
      g_variant_dict_contains (options, "add-channel") ||
      g_variant_dict_contains (options, "remove-channel"))
    {
      int status = picky_command_run (&run.command, provision);

      g_clear_pointer (&run.secrets, g_hash_table_unref);
      return status;
    }

  if (g_variant_dict_contains (options, "name") ||
      g_variant_dict_contains (options, "setting") ||
      g_variant_dict_contains (options, "app"))
    {
      picky_command_print_error (_("--name, --app and --setting belong to --add-channel"));
      return 1;
    }

  if (g_variant_dict_contains (options, "headless"))
    return picky_command_run (&run.command, NULL);

  return -1;
}

static void
run_free (Run *run)
{
  g_variant_dict_unref (run->options);
  g_clear_pointer (&run->secrets, g_hash_table_unref);
  g_free (run);
}

/**
 * picky_command_line_serve:
 * @options: the options another process asked a running console for
 * @service: the running console's service
 * @ended: called with the outcome once the command has ended
 * @user_data: data for @ended
 *
 * Runs --list-channels for another process, with the states of the
 * channels this console runs, and --add-channel and --remove-channel
 * with the secrets that process read from its standard input.
 *
 * Returns: whether @options ask for it
 */
gboolean
picky_command_line_serve (GVariantDict          *options,
                          PickyService          *service,
                          PickyCommandEndedFunc  ended,
                          gpointer               user_data)
{
  g_autoptr(GVariant) secrets = NULL;
  Run *run;

  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (PICKY_IS_SERVICE (service), FALSE);

  if (!g_variant_dict_contains (options, "list-channels") &&
      !g_variant_dict_contains (options, "add-channel") &&
      !g_variant_dict_contains (options, "remove-channel"))
    return FALSE;

  run = g_new0 (Run, 1);
  run->options = g_variant_dict_ref (options);
  secrets = g_variant_dict_lookup_value (options, "secrets", G_VARIANT_TYPE ("a{ss}"));
  if (secrets != NULL)
    {
      GVariantIter iter;
      const char *key, *value;

      run->secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_variant_iter_init (&iter, secrets);
      while (g_variant_iter_next (&iter, "{&s&s}", &key, &value))
        g_hash_table_replace (run->secrets, g_strdup (key), g_strdup (value));
    }
  picky_command_serve (&run->command, service, provision, (GDestroyNotify) run_free, ended, user_data);
  return TRUE;
}
