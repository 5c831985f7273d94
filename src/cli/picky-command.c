/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every command without a window shares: the service run in a main loop until it is done. */

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "picky-command.h"
#include "picky-command-bus.h"

/* Receiving is meant to end with a signal; any other command stopped
 * before it is done ends with what a shell reports for a process the
 * signal ended, so that a script does not take it for success. */
static void
stop (PickyCommand *self,
      int           signal_number)
{
  self->status = self->started == NULL ? 0 : 128 + signal_number;
  g_main_loop_quit (self->loop);
}

static gboolean
on_sigint_cb (gpointer user_data)
{
  stop (user_data, SIGINT);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigterm_cb (gpointer user_data)
{
  stop (user_data, SIGTERM);
  return G_SOURCE_CONTINUE;
}

/* Receiving without a window, the listener's state is what an admin
 * watching the log needs most: a port that is taken is said at once, and
 * so is the moment the listener could bind after all. */
static void
on_bind_error_changed_cb (PickyWebhookServer *server,
                          GParamSpec         *pspec,
                          PickyCommand       *self)
{
  const char *error = picky_webhook_server_get_bind_error (server);

  if (error != NULL)
    {
      g_autofree char *message =
        g_strdup_printf ("%s. %s", error,
                         _("Messages that arrive through it are not received; binding is tried again until it works."));

      picky_command_print_error (message);
    }
  else
    {
      picky_command_print_error (_("The webhook listener is listening again."));
    }
}

static void
receive (PickyCommand *self)
{
  PickyWebhookServer *server = picky_service_get_webhook_server (self->service);

  g_printerr ("%s\n", _("Receiving messages without a window. Press Ctrl+C to stop."));
  if (picky_webhook_server_get_bind_error (server) != NULL)
    on_bind_error_changed_cb (server, NULL, self);
  g_signal_connect (server, "notify::bind-error", G_CALLBACK (on_bind_error_changed_cb), self);
}

static void
on_service_started_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  PickyCommand *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!picky_service_start_finish (self->service, result, &error))
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

          picky_command_fail (self, message);
          return;
        }

      picky_command_fail (self, error->message);
      return;
    }

  if (self->started == NULL)
    receive (self);
  else
    self->started (self);
}

/**
 * picky_command_run:
 * @self: the command, its fields unset
 * @started: (nullable): the command's work, once the service has started;
 *   %NULL to receive messages until interrupted
 *
 * Starts a service of its own (its channels only when receiving), runs a
 * main loop until the command is done, fails, or is stopped by SIGINT or
 * SIGTERM, then shuts the service down, so that the store finishes what
 * it accepted. No window and no GTK are involved.
 *
 * Returns: the exit status: 0 when done (or when receiving is
 *   interrupted), 1 when failed, 128 + the signal when interrupted
 */
int
picky_command_run (PickyCommand     *self,
                   PickyCommandFunc  started)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(PickyService) service = picky_service_new (NULL);
  g_autoptr(PickyCommandBus) bus = NULL;
  g_autoptr(GError) error = NULL;
  guint sigint_id, sigterm_id;

  g_return_val_if_fail (self != NULL, 1);

  /* A receiving console is the one the other commands talk to, and the
   * only one: a second would open the same database twice. */
  if (started == NULL)
    {
      bus = picky_command_bus_claim (service, &error);
      if (bus == NULL)
        {
          picky_command_print_error (error->message);
          return 1;
        }
    }

  self->loop = loop;
  self->service = service;
  self->started = started;
  self->status = 1;

  sigint_id = g_unix_signal_add (SIGINT, on_sigint_cb, self);
  sigterm_id = g_unix_signal_add (SIGTERM, on_sigterm_cb, self);

  picky_service_start_async (service, started == NULL, NULL, on_service_started_cb, self);
  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_signal_handlers_disconnect_by_data (picky_service_get_webhook_server (service), self);

  /* Stops the channels and lets the store finish what it had accepted. */
  picky_service_shutdown (service);

  self->loop = NULL;
  self->service = NULL;
  return self->status;
}

static void
on_served_service_started_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  PickyCommand *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!picky_service_start_finish (PICKY_SERVICE (object), result, &error))
    {
      picky_command_fail (self, error->message);
      return;
    }

  self->started (self);
}

/**
 * picky_command_serve:
 * @self: the command, its fields unset, in memory @free_func frees
 * @service: the service of the console that is running
 * @started: the command's work
 * @free_func: frees the command's struct once it has ended
 * @ended: called with the outcome when the command has ended
 * @user_data: data for @ended
 *
 * Runs a command that another process asked for, on the service of the
 * console that runs, so that the database is never opened twice. What
 * the command prints is collected and handed to @ended with the exit
 * status, as it would have been printed and returned by the process that
 * asked. A service still starting is waited for.
 */
void
picky_command_serve (PickyCommand          *self,
                     PickyService          *service,
                     PickyCommandFunc       started,
                     GDestroyNotify         free_func,
                     PickyCommandEndedFunc  ended,
                     gpointer               user_data)
{
  g_return_if_fail (self != NULL && PICKY_IS_SERVICE (service) && started != NULL);
  g_return_if_fail (free_func != NULL && ended != NULL);

  self->service = g_object_ref (service);
  self->started = started;
  self->status = 1;
  self->out = g_string_new (NULL);
  self->err = g_string_new (NULL);
  self->ended = ended;
  self->ended_data = user_data;
  self->free_func = free_func;

  if (picky_service_get_ready (service))
    {
      started (self);
      return;
    }

  /* A start that failed (a locked keyring) is the window's to retry,
   * where its prompt can be answered. */
  if (!picky_service_get_starting (service))
    {
      const GError *error = picky_service_get_error (service);

      picky_command_fail (self, error != NULL ? error->message : _("The running console has not started yet"));
      return;
    }

  picky_service_start_async (service, TRUE, NULL, on_served_service_started_cb, self);
}

static void
end (PickyCommand *self,
     int           status)
{
  self->status = status;
  if (self->ended == NULL)
    {
      g_main_loop_quit (self->loop);
      return;
    }

  self->ended (status, self->out->str, self->err->str, self->ended_data);
  g_string_free (self->out, TRUE);
  g_string_free (self->err, TRUE);
  g_clear_object (&self->service);
  self->free_func (self);
}

/**
 * picky_command_print:
 * @self: the command
 * @format: a printf() format
 *
 * Prints to standard output, or to what a served command hands back.
 */
void
picky_command_print (PickyCommand *self,
                     const char   *format,
                     ...)
{
  g_autofree char *text = NULL;
  va_list args;

  g_return_if_fail (self != NULL && format != NULL);

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  if (self->out != NULL)
    g_string_append (self->out, text);
  else
    g_print ("%s", text);
}

/**
 * picky_command_done:
 * @self: the command
 *
 * Ends the run with status 0.
 */
void
picky_command_done (PickyCommand *self)
{
  g_return_if_fail (self != NULL && (self->loop != NULL || self->ended != NULL));

  end (self, 0);
}

/**
 * picky_command_fail:
 * @self: the command
 * @message: what went wrong, in the user's words
 *
 * Says @message on standard error and ends the run with status 1.
 */
void
picky_command_fail (PickyCommand *self,
                    const char   *message)
{
  g_return_if_fail (self != NULL && (self->loop != NULL || self->ended != NULL));

  if (self->err != NULL)
    g_string_append_printf (self->err, "picky-console: %s\n", message);
  else
    picky_command_print_error (message);
  end (self, 1);
}

/**
 * picky_command_finish:
 * @self: the command
 * @error: (nullable): why its last step failed, or %NULL
 *
 * Ends the run as its last step went: done without @error, failed with
 * its message otherwise.
 */
void
picky_command_finish (PickyCommand *self,
                      const GError *error)
{
  if (error != NULL)
    picky_command_fail (self, error->message);
  else
    picky_command_done (self);
}

/**
 * picky_command_print_error:
 * @message: what went wrong, in the user's words
 *
 * Says @message on standard error the way every command does, after the
 * program's name, so that a script's log shows where it came from.
 */
void
picky_command_print_error (const char *message)
{
  g_return_if_fail (message != NULL);

  g_printerr ("picky-console: %s\n", message);
}

/**
 * picky_command_dup_field:
 * @text: (nullable): a value to print in a tab-separated line
 *
 * Returns: (transfer full): @text with tabs and line breaks made spaces,
 *   so that a line a script reads stays one record; "" for %NULL
 */
char *
picky_command_dup_field (const char *text)
{
  char *field = g_strdup (text != NULL ? text : "");

  for (char *p = field; *p != '\0'; p++)
    if (*p == '\t' || *p == '\n' || *p == '\r')
      *p = ' ';

  return field;
}
