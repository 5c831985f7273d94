/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The privacy commands without a window: erase a contact, purge, disclose, export a contact, the audit log. */

#include "config.h"

#include <unistd.h>
#include <glib/gi18n.h>

#include "picky-command.h"
#include "picky-disclosure.h"
#include "picky-privacy-command.h"
#include "picky-report.h"

typedef enum {
  ACTION_ERASE,
  ACTION_ERASE_PREVIEW,
  ACTION_PURGE,
  ACTION_DISCLOSE,
  ACTION_EXPORT_CONTACT,
  ACTION_AUDIT_LOG,
  ACTION_VERIFY,
} Action;

/* One run: what it needs besides the service. */
typedef struct {
  PickyCommand             command;
  Action                   action;
  gint64                   contact_id;
  guint                    days;
  const char              *output;
  PickyDisclosureRequest  *request;
} Run;

static void
on_erased_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  if (picky_store_erase_contact_finish (PICKY_STORE (object), result, &error))
    g_print (_("Contact %lld erased\n"), (long long) run->contact_id);
  picky_command_finish (&run->command, error);
}

/* Without --yes: what erasing would remove, every kind counted (a script
 * reads the same lines for every contact), and a failure, so that nothing
 * run after it takes the contact for erased. */
static void
on_erase_summarized_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyErasureSummary) summary = picky_store_summarize_erasure_finish (PICKY_STORE (object), result,
                                                                                &error);
  g_autofree char *message = NULL;

  if (summary == NULL)
    {
      picky_command_finish (&run->command, error);
      return;
    }

  g_print (_("Erasing contact %lld would remove:\n"), (long long) run->contact_id);
  g_print ("  ");
  g_print (g_dngettext (GETTEXT_PACKAGE, "%'u message from them", "%'u messages from them", summary->n_in),
           (guint) summary->n_in);
  g_print ("\n  ");
  g_print (g_dngettext (GETTEXT_PACKAGE, "%'u reply to them", "%'u replies to them", summary->n_out),
           (guint) summary->n_out);
  g_print ("\n  %s\n  ", _("Their name, number and ids on the messaging app"));
  g_print (g_dngettext (GETTEXT_PACKAGE, "The details of %'u photo, video or file",
                        "The details of %'u photos, videos or files", summary->n_media),
           (guint) summary->n_media);
  g_print ("\n  ");
  g_print (g_dngettext (GETTEXT_PACKAGE, "%'u reply not yet sent, which will not be sent",
                        "%'u replies not yet sent, which will not be sent", summary->n_outbox),
           (guint) summary->n_outbox);
  g_print ("\n  %s\n", _("Their share of every report and of the search index"));

  message = g_strdup_printf (_("Nothing was erased; add --yes to erase contact %lld"), (long long) run->contact_id);
  picky_command_fail (&run->command, message);
}

static void
on_purged_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  gint64 count = picky_store_purge_finish (PICKY_STORE (object), result, &error);

  if (count >= 0)
    g_print (g_dngettext (GETTEXT_PACKAGE, "%lld message deleted\n", "%lld messages deleted\n", count),
             (long long) count);
  picky_command_finish (&run->command, error);
}

/* Long purges say how far they are, on a terminal, on one line that is
 * rewritten and cleared at the end. */
static void
purge_progress_cb (gint64   done,
                   gint64   total,
                   gpointer user_data)
{
  if (!isatty (STDERR_FILENO) || total == 0)
    return;

  if (done < total)
    {
      /* Translators: progress of a purge, e.g. "Deleting old messages: 20000 of 500000" */
      g_autofree char *line = g_strdup_printf (_("Deleting old messages: %lld of %lld"),
                                               (long long) done, (long long) total);

      g_printerr ("\r%s", line);
    }
  else
    g_printerr ("\r\033[K");
}

static void
on_disclosed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  picky_disclosure_write_finish (result, &error);
  picky_command_finish (&run->command, error);
}

static void
on_contact_exported_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  picky_store_export_contact_finish (PICKY_STORE (object), result, &error);
  picky_command_finish (&run->command, error);
}

/* A field of a tab-separated line: tabs and line breaks would split it. */
static char *
tsv_field (const char *text)
{
  char *field = g_strdup (text != NULL ? text : "");

  for (char *p = field; *p != '\0'; p++)
    if (*p == '\t' || *p == '\n' || *p == '\r')
      *p = ' ';

  return field;
}

static void
on_audit_listed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = picky_store_list_audit_finish (PICKY_STORE (object), result, &error);

  if (entries == NULL)
    {
      picky_command_finish (&run->command, error);
      return;
    }

  /* Oldest first, as a log reads; the columns are fixed for scripts. */
  for (guint i = entries->len; i-- > 0;)
    {
      PickyAuditEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *time = picky_store_audit_format_time (picky_audit_entry_get_time (entry));
      g_autofree char *object_text = tsv_field (picky_audit_entry_get_object (entry));
      g_autofree char *detail = tsv_field (picky_audit_entry_get_detail (entry));

      g_print ("%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s\n", picky_audit_entry_get_id (entry), time,
               picky_audit_entry_get_action (entry), object_text, detail);
    }
  picky_command_done (&run->command);
}

static void
on_audit_verified_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  gint64 broken = 0;
  gint64 count = picky_store_verify_audit_finish (PICKY_STORE (object), result, &broken, &error);

  if (count < 0)
    picky_command_finish (&run->command, error);
  else if (broken > 0)
    {
      g_autofree char *message =
        g_strdup_printf (_("The audit log is broken at entry %lld: it, or the entry before it, was changed or removed after it was written"),
                         (long long) broken);

      picky_command_fail (&run->command, message);
    }
  else
    {
      g_print (g_dngettext (GETTEXT_PACKAGE, "The audit log is intact: %lld entry\n",
                            "The audit log is intact: %lld entries\n", count),
               (long long) count);
      picky_command_done (&run->command);
    }
}

static void
start (PickyCommand *command)
{
  Run *run = (Run *) command;
  PickyStore *store = picky_service_get_store (command->service);

  switch (run->action)
    {
    case ACTION_ERASE:
      picky_store_erase_contact_async (store, run->contact_id, NULL, on_erased_cb, run);
      break;
    case ACTION_ERASE_PREVIEW:
      picky_store_summarize_erasure_async (store, run->contact_id, NULL, on_erase_summarized_cb, run);
      break;
    case ACTION_PURGE:
      picky_store_purge_with_progress_async (store, run->days, purge_progress_cb, NULL, NULL, NULL,
                                             on_purged_cb, run);
      break;
    case ACTION_DISCLOSE:
      {
        g_autofree char *pdf = g_strconcat (run->output, ".pdf", NULL);

        picky_disclosure_write_async (store, run->request, run->output, pdf, NULL, on_disclosed_cb, run);
      }
      break;
    case ACTION_EXPORT_CONTACT:
      picky_store_export_contact_async (store, run->contact_id, run->output, NULL, on_contact_exported_cb, run);
      break;
    case ACTION_VERIFY:
      picky_store_verify_audit_async (store, NULL, on_audit_verified_cb, run);
      break;
    case ACTION_AUDIT_LOG:
    default:
      picky_store_list_audit_async (store, NULL, on_audit_listed_cb, run);
      break;
    }
}

static gboolean
bad_value (GError     **error,
           const char  *message)
{
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
  return FALSE;
}

static gboolean
need_yes (GVariantDict  *options,
          const char    *message,
          GError       **error)
{
  if (g_variant_dict_contains (options, "yes"))
    return TRUE;

  return bad_value (error, message);
}

static gboolean
need_output (GVariantDict  *options,
             Run           *run,
             const char    *message,
             GError       **error)
{
  if (!g_variant_dict_lookup (options, "output", "^&ay", &run->output) || run->output[0] == '\0')
    return bad_value (error, message);

  return TRUE;
}

/* Checks the demand's options and makes the request; the contact is
 * checked by the store. */
static PickyDisclosureRequest *
request_from_options (GVariantDict  *options,
                      GError       **error)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  const char *from = NULL, *to = NULL, *fields_text = NULL, *requester_text = NULL;
  const char *reference = NULL, *reason = NULL;
  PickyDisclosureRequester requester;
  g_autoptr(PickyDisclosureRequest) request = NULL;
  gint64 contact = 0;
  GDate first, last;
  guint fields;

  g_variant_dict_lookup (options, "contact", "x", &contact);
  g_variant_dict_lookup (options, "from", "&s", &from);
  g_variant_dict_lookup (options, "to", "&s", &to);
  g_variant_dict_lookup (options, "fields", "&s", &fields_text);
  g_variant_dict_lookup (options, "requester", "&s", &requester_text);
  g_variant_dict_lookup (options, "reference", "&s", &reference);
  g_variant_dict_lookup (options, "reason", "&s", &reason);

  if (contact <= 0)
    {
      bad_value (error, _("--disclose needs --contact ID"));
      return NULL;
    }
  if (from == NULL || to == NULL)
    {
      bad_value (error, _("--disclose needs --from and --to dates (YYYY-MM-DD)"));
      return NULL;
    }
  if (!picky_report_parse_date (from, &first, error) || !picky_report_parse_date (to, &last, error))
    return NULL;
  if (g_date_compare (&first, &last) > 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("The range ends (%s) before it starts (%s)"), to, from);
      return NULL;
    }
  if (!picky_disclosure_requester_from_string (requester_text, &requester))
    {
      bad_value (error, _("--requester must be authority, payment-partner or fraud-team"));
      return NULL;
    }
  fields = picky_disclosure_fields_from_string (fields_text, error);
  if (fields == 0)
    return NULL;

  /* The last day is included: up to the midnight after it. */
  g_date_add_days (&last, 1);
  request = picky_disclosure_request_new (contact, requester, reference, reason,
                                          picky_report_local_midnight (tz, &first),
                                          picky_report_local_midnight (tz, &last), fields);
  if (!picky_disclosure_request_check (request, error))
    return NULL;

  return g_steal_pointer (&request);
}

/* Every mistake is reported before the keyring or the database are
 * touched, so a refused command changes nothing. */
static gboolean
run_from_options (GVariantDict  *options,
                  Run           *run,
                  GError       **error)
{
  gint64 id = 0;
  gint days = -1;

  if (g_variant_dict_lookup (options, "erase-contact", "x", &id))
    {
      run->action = ACTION_ERASE;
      run->contact_id = id;
      if (id <= 0)
        return bad_value (error, _("--erase-contact needs the number of a contact"));
      /* Without --yes it only says what would go. */
      if (!g_variant_dict_contains (options, "yes"))
        run->action = ACTION_ERASE_PREVIEW;
      return TRUE;
    }

  if (g_variant_dict_contains (options, "purge"))
    {
      run->action = ACTION_PURGE;
      if (!g_variant_dict_lookup (options, "older-than", "i", &days) || days < 1)
        return bad_value (error, _("--purge needs --older-than DAYS, a whole number of at least 1"));
      run->days = days;
      return need_yes (options, _("Purging deletes every older message for good; add --yes to do it"), error);
    }

  if (g_variant_dict_contains (options, "disclose"))
    {
      run->action = ACTION_DISCLOSE;
      run->request = request_from_options (options, error);
      return run->request != NULL &&
             need_output (options, run, _("--disclose needs --output FILE (the PDF is written beside it)"), error);
    }

  if (g_variant_dict_lookup (options, "export-contact", "x", &id))
    {
      run->action = ACTION_EXPORT_CONTACT;
      run->contact_id = id;
      if (id <= 0)
        return bad_value (error, _("--export-contact needs the number of a contact"));
      return need_output (options, run, _("--export-contact needs --output FILE"), error);
    }

  run->action = g_variant_dict_contains (options, "verify") ? ACTION_VERIFY : ACTION_AUDIT_LOG;
  return TRUE;
}

/**
 * picky_privacy_command_add_options:
 * @application: the console's application
 *
 * Declares the options of the privacy commands; --contact, --from, --to
 * and --output are --export-report's, shared.
 */
void
picky_privacy_command_add_options (GApplication *application)
{
  static const GOptionEntry entries[] = {
    { "erase-contact", 0, 0, G_OPTION_ARG_INT64, NULL,
      N_("Erase a contact with everything stored about them"), N_("ID") },
    { "purge", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Delete old messages, and contacts left without any"), NULL },
    { "older-than", 0, 0, G_OPTION_ARG_INT, NULL,
      N_("For --purge: delete messages older than this many days"), N_("DAYS") },
    { "yes", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Confirm --erase-contact or --purge"), NULL },
    { "disclose", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Write a scoped disclosure of a contact’s data as JSON and PDF"), NULL },
    { "fields", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("For --disclose: name, number, messages, times, media, channel, comma-separated"), N_("FIELDS") },
    { "requester", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("For --disclose: authority, payment-partner or fraud-team"), N_("WHO") },
    { "reference", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("For --disclose: the requester’s case or ticket number"), N_("TEXT") },
    { "reason", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("For --disclose: why the data is disclosed"), N_("TEXT") },
    { "export-contact", 0, 0, G_OPTION_ARG_INT64, NULL,
      N_("Write everything stored about a contact as JSON"), N_("ID") },
    { "audit-log", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Print the audit log, tab-separated"), NULL },
    { "verify", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("For --audit-log: check that no entry was changed or removed"), NULL },
    { NULL }
  };

  g_return_if_fail (G_IS_APPLICATION (application));

  g_application_add_main_option_entries (application, entries);
}

/**
 * picky_privacy_command_run:
 * @options: the parsed command-line options
 *
 * Runs the privacy command the options ask for, without a window and
 * without GTK.
 *
 * Returns: the exit status (2 for a refused command line), or -1 when no
 *   privacy command was given
 */
int
picky_privacy_command_run (GVariantDict *options)
{
  static const char * const commands[] = { "erase-contact", "purge", "disclose", "export-contact", "audit-log" };
  static const char * const own[] = { "older-than", "yes", "fields", "requester", "reference", "reason", "verify" };
  g_autoptr(GError) error = NULL;
  Run run = { 0 };
  guint given = 0;
  int status;

  g_return_val_if_fail (options != NULL, 1);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    given += g_variant_dict_contains (options, commands[i]);
  if (given == 0)
    {
      for (guint i = 0; i < G_N_ELEMENTS (own); i++)
        if (g_variant_dict_contains (options, own[i]))
          {
            picky_command_print_error (_("--older-than, --yes, --fields, --requester, --reference, --reason and --verify "
                                         "belong to --purge, --erase-contact, --disclose or --audit-log"));
            return 2;
          }
      return -1;
    }
  if (given > 1)
    {
      picky_command_print_error (_("Give one of --erase-contact, --purge, --disclose, --export-contact and --audit-log at a time"));
      return 2;
    }

  if (!run_from_options (options, &run, &error))
    {
      picky_command_print_error (error->message);
      picky_disclosure_request_free (run.request);
      return 2;
    }

  status = picky_command_run (&run.command, start);
  picky_disclosure_request_free (run.request);
  return status;
}
