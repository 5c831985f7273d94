/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Conversations from the command line: listing them for scripts, and replying to one. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-command.h"
#include "picky-command-bus.h"
#include "picky-conversation-command.h"
#include "picky-outbox.h"

/* A page of conversations read at a time while listing. */
#define PAGE_SIZE 500

/* One --list-conversations or --send: what it needs besides the service. */
typedef struct {
  PickyCommand             command;
  PickyConversationQuery   query;
  gint64                   conversation_id;
  char                    *text;
  PickyOutbox             *outbox;
} Run;

static char *
format_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) time = NULL;

  if (unix_seconds <= 0)
    return g_strdup ("");

  time = g_date_time_new_from_unix_utc (unix_seconds);
  return time != NULL ? g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("");
}

static void list_page (Run *run);

static void
on_conversations_listed_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = picky_store_list_conversations_finish (PICKY_STORE (object), result, &error);
  PickyConversation *last = NULL;

  if (page == NULL)
    {
      picky_command_fail (&run->command, error->message);
      return;
    }

  for (guint i = 0; i < page->len; i++)
    {
      PickyConversation *conversation = g_ptr_array_index (page, i);
      const char *name = picky_conversation_get_name (conversation);
      g_autofree char *who = NULL;
      g_autofree char *waiting = format_time (picky_conversation_get_waiting_since (conversation));

      if (name == NULL || *name == '\0')
        name = picky_conversation_get_number (conversation);
      if (name == NULL || *name == '\0')
        name = picky_conversation_get_provider_id (conversation);
      who = picky_command_dup_field (name);

      /* For scripts: id, app, channel, contact, unread, waiting since
       * (UTC, empty when nobody waits), open or done; never translated. */
      picky_command_print (&run->command, "%" G_GINT64_FORMAT "\t%s\t%" G_GINT64_FORMAT "\t%s\t%u\t%s\t%s\n",
               picky_conversation_get_id (conversation),
               picky_conversation_get_app (conversation),
               picky_conversation_get_channel_id (conversation),
               who,
               picky_conversation_get_unread (conversation),
               waiting,
               picky_conversation_get_done (conversation) ? "done" : "open");
      last = conversation;
    }

  if (page->len < run->query.limit || last == NULL)
    {
      picky_command_done (&run->command);
      return;
    }

  run->query.before_time = picky_conversation_get_last_time (last);
  run->query.before_id = picky_conversation_get_id (last);
  list_page (run);
}

static void
list_page (Run *run)
{
  picky_store_list_conversations_async (picky_service_get_store (run->command.service), &run->query,
                                        NULL, on_conversations_listed_cb, run);
}

static void
list_conversations (PickyCommand *command)
{
  list_page ((Run *) command);
}

static void
on_reply_sent_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyMessage) message = picky_outbox_send_finish (PICKY_OUTBOX (object), result, &error);

  if (message == NULL)
    {
      picky_command_fail (&run->command, error->message);
      return;
    }

  if (picky_message_get_status (message) == PICKY_MESSAGE_STATUS_FAILED)
    {
      g_autofree char *reason = g_strdup_printf (_("The reply was not sent: %s"),
                                                 picky_message_get_error (message) != NULL
                                                 ? picky_message_get_error (message) : _("no reason given"));

      picky_command_fail (&run->command, reason);
      return;
    }

  /* For scripts: the outcome and the stored message's id. */
  picky_command_print (&run->command, "%s\t%" G_GINT64_FORMAT "\n",
           picky_message_get_status (message) == PICKY_MESSAGE_STATUS_QUEUED ? "queued" : "sent",
           picky_message_get_id (message));
  picky_command_done (&run->command);
}

static void
on_conversation_found_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyConversation) conversation = picky_store_get_conversation_finish (PICKY_STORE (object),
                                                                                   result, &error);

  if (conversation == NULL)
    {
      if (g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND))
        {
          g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, run->conversation_id);
          g_autofree char *message = g_strdup_printf (_("There is no conversation with the number %s"), number);

          picky_command_fail (&run->command, message);
          return;
        }
      picky_command_fail (&run->command, error->message);
      return;
    }

  /* The same outbox as the window's: stored as queued first, then sent
   * through the channel, which honours the Send switch. */
  run->outbox = picky_outbox_new (picky_service_get_store (run->command.service),
                                  picky_service_get_registry (run->command.service));
  picky_outbox_send_async (run->outbox, picky_conversation_get_channel_id (conversation),
                           picky_conversation_get_provider_id (conversation), run->text,
                           NULL, on_reply_sent_cb, run);
}

static void
send_reply (PickyCommand *command)
{
  Run *run = (Run *) command;

  picky_store_get_conversation_async (picky_service_get_store (command->service), run->conversation_id,
                                      NULL, on_conversation_found_cb, run);
}

/* The reply's text from standard input, for texts a shell would mangle;
 * the line break that ends the last line is not part of it. */
static char *
read_text (GInputStream  *in,
           GError       **error)
{
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autofree char *text = NULL;
  gsize length;

  if (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
    return NULL;

  length = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out));
  text = g_strndup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)), length);
  if (length > 0 && text[length - 1] == '\n')
    text[--length] = '\0';
  if (length > 0 && text[length - 1] == '\r')
    text[--length] = '\0';

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The reply on standard input is not valid UTF-8 text"));
      return NULL;
    }

  return g_steal_pointer (&text);
}

static gboolean
is_blank (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;

  return TRUE;
}

/**
 * picky_conversation_command_add_options:
 * @application: the console's application
 *
 * Declares the options of --list-conversations and --send.
 */
void
picky_conversation_command_add_options (GApplication *application)
{
  static const GOptionEntry entries[] = {
    { "list-conversations", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("List the conversations, one per line: id, app, channel, contact, unread, waiting since, open or done"), NULL },
    { "waiting", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("With --list-conversations: only those where the customer waits for a reply"), NULL },
    { "unread", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("With --list-conversations: only those with unread messages"), NULL },
    { "send", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Send a reply to a conversation and wait until it is sent or has failed"), NULL },
    { "conversation", 0, 0, G_OPTION_ARG_INT64, NULL,
      N_("The conversation to reply to"), N_("ID") },
    { "text", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("The reply; read from standard input when left out"), N_("TEXT") },
    { NULL }
  };

  g_return_if_fail (G_IS_APPLICATION (application));

  g_application_add_main_option_entries (application, entries);
}

static void
run_free (Run *run)
{
  g_clear_object (&run->outbox);
  g_free (run->text);
  g_free (run);
}

/* The command the options ask for, checked: %NULL with *status -1 when
 * they ask for neither, 2 when they are wrong (said on standard error). A
 * reply without --text is read from @text_in. */
static Run *
run_new (GVariantDict      *options,
         GInputStream      *text_in,
         PickyCommandFunc  *started,
         int               *status)
{
  g_autoptr(GError) error = NULL;
  const char *text = NULL;
  Run *run;

  *status = 2;

  if (g_variant_dict_contains (options, "list-conversations"))
    {
      gboolean waiting = g_variant_dict_contains (options, "waiting");
      gboolean unread = g_variant_dict_contains (options, "unread");

      if (waiting && unread)
        {
          picky_command_print_error (_("--waiting and --unread cannot be combined"));
          return NULL;
        }
      run = g_new0 (Run, 1);
      run->query.filter = waiting ? PICKY_CONVERSATION_FILTER_WAITING
                        : unread ? PICKY_CONVERSATION_FILTER_UNREAD
                        : PICKY_CONVERSATION_FILTER_ALL;
      run->query.limit = PAGE_SIZE;
      *started = list_conversations;
      return run;
    }

  if (g_variant_dict_contains (options, "waiting") || g_variant_dict_contains (options, "unread"))
    {
      picky_command_print_error (_("--waiting and --unread belong to --list-conversations"));
      return NULL;
    }

  if (!g_variant_dict_contains (options, "send"))
    {
      if (g_variant_dict_contains (options, "conversation") || g_variant_dict_contains (options, "text"))
        {
          picky_command_print_error (_("--conversation and --text belong to --send"));
          return NULL;
        }
      *status = -1;
      return NULL;
    }

  run = g_new0 (Run, 1);
  *started = send_reply;
  if (!g_variant_dict_lookup (options, "conversation", "x", &run->conversation_id) || run->conversation_id <= 0)
    {
      picky_command_print_error (_("--send needs the conversation to reply to: add --conversation=ID (see --list-conversations)"));
      run_free (run);
      return NULL;
    }

  if (g_variant_dict_lookup (options, "text", "&s", &text))
    run->text = g_strdup (text);
  else if (text_in != NULL)
    run->text = read_text (text_in, &error);
  else
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         _("The reply is empty: give it with --text=TEXT or on standard input"));
  if (run->text == NULL)
    {
      picky_command_print_error (error->message);
      run_free (run);
      return NULL;
    }
  if (is_blank (run->text))
    {
      picky_command_print_error (_("The reply is empty: give it with --text=TEXT or on standard input"));
      run_free (run);
      return NULL;
    }

  return run;
}

/* The command as a console that runs is asked for it, the reply's text
 * included, since it cannot read this process's standard input. */
static GVariant *
run_to_request (Run *run)
{
  GVariantDict request;

  g_variant_dict_init (&request, NULL);
  if (run->text == NULL)
    {
      g_variant_dict_insert (&request, "list-conversations", "b", TRUE);
      if (run->query.filter == PICKY_CONVERSATION_FILTER_WAITING)
        g_variant_dict_insert (&request, "waiting", "b", TRUE);
      else if (run->query.filter == PICKY_CONVERSATION_FILTER_UNREAD)
        g_variant_dict_insert (&request, "unread", "b", TRUE);
    }
  else
    {
      g_variant_dict_insert (&request, "send", "b", TRUE);
      g_variant_dict_insert (&request, "conversation", "x", run->conversation_id);
      g_variant_dict_insert (&request, "text", "s", run->text);
    }

  return g_variant_dict_end (&request);
}

/**
 * picky_conversation_command_run:
 * @options: the parsed command-line options
 * @text_in: where a reply without --text is read from, normally standard input
 *
 * Lists conversations or sends a reply, without a window and without GTK:
 * through the console that runs, if one does, else with a service of its
 * own.
 *
 * Returns: the exit status, or -1 when neither command was given
 */
int
picky_conversation_command_run (GVariantDict *options,
                                GInputStream *text_in)
{
  PickyCommandFunc started = NULL;
  Run *run;
  int status;

  g_return_val_if_fail (options != NULL, 1);
  g_return_val_if_fail (G_IS_INPUT_STREAM (text_in), 1);

  run = run_new (options, text_in, &started, &status);
  if (run == NULL)
    return status;

  status = picky_command_bus_forward (run_to_request (run));
  if (status < 0)
    status = picky_command_run (&run->command, started);

  run_free (run);
  return status;
}

/**
 * picky_conversation_command_serve:
 * @options: the options another process asked a running console for
 * @service: the running console's service
 * @ended: called with the outcome once the command has ended
 * @user_data: data for @ended
 *
 * Runs --list-conversations or --send for another process.
 *
 * Returns: whether @options ask for one of them
 */
gboolean
picky_conversation_command_serve (GVariantDict          *options,
                                  PickyService          *service,
                                  PickyCommandEndedFunc  ended,
                                  gpointer               user_data)
{
  PickyCommandFunc started = NULL;
  Run *run;
  int status;

  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (PICKY_IS_SERVICE (service), FALSE);

  run = run_new (options, NULL, &started, &status);
  if (run == NULL)
    return FALSE;

  picky_command_serve (&run->command, service, started, (GDestroyNotify) run_free, ended, user_data);
  return TRUE;
}
