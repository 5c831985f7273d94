/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The contact beside a conversation: name, number, app, first contact, message counts and the report. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-app-catalog.h"
#include "picky-bidi.h"
#include "picky-clock.h"
#include "picky-contact-panel.h"
#include "picky-time-format.h"

struct _PickyContactPanel
{
  AdwBin             parent_instance;

  /* template widgets */
  GtkLabel          *name_label;
  GtkLabel          *number_label;
  GtkImage          *app_icon;
  GtkLabel          *app_label;
  GtkLabel          *first_label;
  GtkLabel          *counts_label;
  GtkButton         *report_button;

  /* owned */
  PickyStore        *store;
  PickyConversation *conversation;
  GCancellable      *cancellable;   /* of the open conversation's counts */
};

G_DEFINE_FINAL_TYPE (PickyContactPanel, picky_contact_panel, ADW_TYPE_BIN)

static void
show_counts (PickyContactPanel *self,
             GArray            *days)
{
  guint n_in = 0;
  guint n_out = 0;
  gint64 first = 0;
  g_autofree char *in_text = NULL;
  g_autofree char *counts = NULL;

  for (guint i = 0; i < days->len; i++)
    {
      const PickyReportDay *day = &g_array_index (days, PickyReportDay, i);

      n_in += day->n_in;
      n_out += day->n_out;
      if (day->first_timestamp > 0 && (first == 0 || day->first_timestamp < first))
        first = day->first_timestamp;
    }

  if (first > 0)
    {
      g_autofree char *text = picky_time_format_day (first, picky_clock_get_now (picky_clock_get_default ()), NULL);

      gtk_label_set_label (self->first_label, text);
    }
  else
    gtk_label_set_label (self->first_label, "—");

  /* Translators: the first half of a contact's message counts, e.g. "12 from the customer" */
  in_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u from the customer", "%u from the customer", n_in), n_in);
  /* Translators: a contact's message counts: "12 from the customer" and then the replies, e.g. "12 from the customer, 8 replies" */
  counts = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s, %u reply", "%s, %u replies", n_out), in_text, n_out);
  gtk_label_set_label (self->counts_label, counts);
}

static void
on_counts_loaded_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(PickyContactPanel) self = user_data;
  g_autoptr(GArray) days = NULL;
  g_autoptr(GError) error = NULL;

  days = picky_store_report_contact_finish (PICKY_STORE (object), result, &error);
  if (days != NULL)
    show_counts (self, days);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gtk_label_set_label (self->counts_label, error->message);
}

static void
load_counts (PickyContactPanel *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->store == NULL || self->conversation == NULL)
    return;

  self->cancellable = g_cancellable_new ();
  /* From the rollups, which hold every day of the contact in a few rows. */
  picky_store_report_contact_async (self->store, picky_conversation_get_contact_id (self->conversation),
                                    0, g_get_real_time () / G_USEC_PER_SEC + 86400, self->cancellable,
                                    on_counts_loaded_cb, g_object_ref (self));
}

static void
show_conversation (PickyContactPanel *self)
{
  PickyConversation *conversation = self->conversation;
  const PickyAppInfo *app = picky_app_catalog_lookup (picky_conversation_get_app (conversation));
  const char *number = picky_conversation_get_number (conversation);
  /* Right to left, "+49 170 123" would read "123 170 49+". */
  g_autofree char *isolated = picky_bidi_isolate (number);

  gtk_label_set_label (self->name_label, picky_conversation_get_display_name (conversation));
  gtk_label_set_label (self->number_label, number != NULL && *number != '\0' ? isolated : _("Not known"));
  gtk_image_set_from_icon_name (self->app_icon, app != NULL ? picky_app_info_get_icon_name (app) : NULL);
  gtk_label_set_label (self->app_label, app != NULL ? picky_app_info_get_display_name (app)
                                                    : picky_conversation_get_app (conversation));
}

/* Every new message changes the counts: read again with the conversation. */
static void
on_conversation_changed_cb (PickyContactPanel *self)
{
  show_conversation (self);
  load_counts (self);
}

static void
on_report_button_clicked_cb (PickyContactPanel *self)
{
  if (self->conversation != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-report", "x",
                                picky_conversation_get_contact_id (self->conversation));
}

static void
picky_contact_panel_dispose (GObject *object)
{
  PickyContactPanel *self = PICKY_CONTACT_PANEL (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->conversation != NULL)
    g_signal_handlers_disconnect_by_data (self->conversation, self);
  g_clear_object (&self->conversation);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (picky_contact_panel_parent_class)->dispose (object);
}

static void
picky_contact_panel_class_init (PickyContactPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_contact_panel_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-contact-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyContactPanel, name_label);
  gtk_widget_class_bind_template_child (widget_class, PickyContactPanel, number_label);
  gtk_widget_class_bind_template_child (widget_class, PickyContactPanel, app_icon);
  gtk_widget_class_bind_template_child (widget_class, PickyContactPanel, app_label);
  gtk_widget_class_bind_template_child (widget_class, PickyContactPanel, first_label);
  gtk_widget_class_bind_template_child (widget_class, PickyContactPanel, counts_label);
  gtk_widget_class_bind_template_child (widget_class, PickyContactPanel, report_button);
  gtk_widget_class_bind_template_callback (widget_class, on_report_button_clicked_cb);
}

static void
picky_contact_panel_init (PickyContactPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * picky_contact_panel_set_store:
 * @store: where the counts are read from
 */
void
picky_contact_panel_set_store (PickyContactPanel *self,
                               PickyStore        *store)
{
  g_return_if_fail (PICKY_IS_CONTACT_PANEL (self));
  g_return_if_fail (PICKY_IS_STORE (store));

  g_set_object (&self->store, store);
}

/**
 * picky_contact_panel_set_conversation:
 * @conversation: (nullable): whose contact is shown; the panel follows its changes
 */
void
picky_contact_panel_set_conversation (PickyContactPanel *self,
                                      PickyConversation *conversation)
{
  g_return_if_fail (PICKY_IS_CONTACT_PANEL (self));

  if (self->conversation != NULL)
    g_signal_handlers_disconnect_by_data (self->conversation, self);
  g_set_object (&self->conversation, conversation);
  if (conversation == NULL)
    return;

  g_signal_connect_object (conversation, "changed", G_CALLBACK (on_conversation_changed_cb), self,
                           G_CONNECT_SWAPPED);
  show_conversation (self);
  gtk_label_set_label (self->first_label, "");
  gtk_label_set_label (self->counts_label, "");
  load_counts (self);
}

/**
 * picky_contact_panel_get_counts_text:
 *
 * Returns: the message counts as shown
 */
const char *
picky_contact_panel_get_counts_text (PickyContactPanel *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_PANEL (self), NULL);

  return gtk_label_get_label (self->counts_label);
}
