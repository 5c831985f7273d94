/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Erasing a contact: what goes, counted by the store, confirmed, then erased for good. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-bidi.h"
#include "picky-erase-dialog.h"

struct _PickyEraseDialog
{
  AdwMessageDialog  parent_instance;

  /* owned */
  PickyStore       *store;
  GCancellable     *cancellable;
  char             *label;
  gint64            contact_id;
  gboolean          ready;
};

G_DEFINE_FINAL_TYPE (PickyEraseDialog, picky_erase_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
add_item (GtkListBox *list,
          const char *text)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), text);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_append (list, row);
}

/* The body says whose data goes and what stays; the list below it says
 * what goes, one kind per row. */
static void
describe_erasure (PickyEraseDialog          *self,
                  const PickyErasureSummary *summary)
{
  g_autofree char *who = NULL;
  g_autofree char *body = NULL;
  g_autofree char *name = picky_bidi_isolate (self->label);
  GtkWidget *list = gtk_list_box_new ();

  if (summary->phone != NULL && summary->phone[0] != '\0' && g_strcmp0 (summary->phone, self->label) != 0)
    {
      /* A "+49 170 …" number set right to left would read "… 170 49+". */
      g_autofree char *phone = picky_bidi_isolate (summary->phone);

      /* Translators: a contact's name and number, e.g. "Ana Müller (+49 170 1234567)" */
      who = g_strdup_printf (_("%s (%s)"), name, phone);
    }
  else
    who = g_steal_pointer (&name);

  /* Translators: the body of the erase confirmation; %s is the contact */
  body = g_strdup_printf (_("Everything Picky Console holds about %s is removed for good. "
                            "Files exported earlier, such as reports, contact data and disclosures, are not affected."),
                          who);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), body);

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL, _("What Is Erased"), -1);
  /* Only the kinds the contact has: the admin reads exactly what goes. */
  if (summary->n_in > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u message from them",
                                                            "%'u messages from them", summary->n_in),
                                               (guint) summary->n_in);
      add_item (GTK_LIST_BOX (list), text);
    }
  if (summary->n_out > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u reply to them",
                                                            "%'u replies to them", summary->n_out),
                                               (guint) summary->n_out);
      add_item (GTK_LIST_BOX (list), text);
    }
  add_item (GTK_LIST_BOX (list), _("Their name, number and ids on the messaging app"));
  if (summary->n_media > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The details of %'u photo, video or file",
                                                            "The details of %'u photos, videos or files",
                                                            summary->n_media),
                                               (guint) summary->n_media);
      add_item (GTK_LIST_BOX (list), text);
    }
  if (summary->n_outbox > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'u reply not yet sent, which will not be sent",
                                                            "%'u replies not yet sent, which will not be sent",
                                                            summary->n_outbox),
                                               (guint) summary->n_outbox);
      add_item (GTK_LIST_BOX (list), text);
    }
  add_item (GTK_LIST_BOX (list), _("Their share of every report and of the search index"));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), list);
}

static void
on_summarized_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PickyEraseDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyErasureSummary) summary = NULL;

  summary = picky_store_summarize_erasure_finish (PICKY_STORE (object), result, &error);
  if (summary == NULL)
    {
      g_autofree char *body = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      body = g_strdup_printf (_("What belongs to this contact could not be counted: %s"), error->message);
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), body);
    }
  else
    {
      describe_erasure (self, summary);
      /* Only now: a confirmation must say what it confirms. */
      self->ready = TRUE;
      adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "erase", TRUE);
    }

  /* Shown once its text is complete, so that the window is sized for it. */
  gtk_window_present (GTK_WINDOW (self));
}

static void
picky_erase_dialog_dispose (GObject *object)
{
  PickyEraseDialog *self = PICKY_ERASE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (picky_erase_dialog_parent_class)->dispose (object);
}

static void
picky_erase_dialog_finalize (GObject *object)
{
  PickyEraseDialog *self = PICKY_ERASE_DIALOG (object);

  g_free (self->label);

  G_OBJECT_CLASS (picky_erase_dialog_parent_class)->finalize (object);
}

static void
picky_erase_dialog_class_init (PickyEraseDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_erase_dialog_dispose;
  object_class->finalize = picky_erase_dialog_finalize;
}

static void
picky_erase_dialog_init (PickyEraseDialog *self)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (self);

  self->cancellable = g_cancellable_new ();

  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "erase", _("_Erase Contact"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "erase", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_enabled (dialog, "erase", FALSE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
}

/**
 * picky_erase_dialog_new:
 * @parent: (nullable): the window the dialog belongs to
 * @store: where the contact's data is counted
 * @contact_id: the contact to erase
 * @label: what to call the contact: their name, or their number
 *
 * A confirmation that shows itself once the store has counted what goes
 * (the count takes moments even for thousands of messages). It erases
 * nothing itself: the caller erases on the "erase" response, so that
 * closing the dialog can never stop an erasure half-way.
 *
 * Returns: (transfer none): the dialog, owned by GTK's list of windows
 *   until it is closed
 */
PickyEraseDialog *
picky_erase_dialog_new (GtkWindow  *parent,
                        PickyStore *store,
                        gint64      contact_id,
                        const char *label)
{
  PickyEraseDialog *self;
  g_autofree char *name = NULL;
  g_autofree char *heading = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (PICKY_IS_STORE (store), NULL);
  g_return_val_if_fail (contact_id > 0, NULL);
  g_return_val_if_fail (label != NULL, NULL);

  name = picky_bidi_isolate (label);
  /* Translators: the heading of the erase confirmation, e.g. "Erase Ana Müller?" */
  heading = g_strdup_printf (_("Erase %s?"), name);
  self = g_object_new (PICKY_TYPE_ERASE_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "heading", heading,
                       NULL);
  self->store = g_object_ref (store);
  self->contact_id = contact_id;
  self->label = g_strdup (label);

  picky_store_summarize_erasure_async (store, contact_id, self->cancellable, on_summarized_cb,
                                       g_object_ref (self));
  return self;
}

/**
 * picky_erase_dialog_get_ready:
 *
 * Returns: whether the dialog says what goes and may be confirmed
 */
gboolean
picky_erase_dialog_get_ready (PickyEraseDialog *self)
{
  g_return_val_if_fail (PICKY_IS_ERASE_DIALOG (self), FALSE);

  return self->ready;
}
