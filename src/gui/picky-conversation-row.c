/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One row of the Inbox: a conversation with its app, contact, last line, time, unread count and wait. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "picky-app-catalog.h"
#include "picky-bidi.h"
#include "picky-clock.h"
#include "picky-conversation-row.h"
#include "picky-inbox-row.h"
#include "picky-text-cell.h"
#include "picky-time-format.h"

struct _PickyConversationRow
{
  GtkWidget          parent_instance;

  /* template widgets */
  GtkImage          *app_icon;
  PickyTextCell     *name_label;
  PickyTextCell     *time_label;
  PickyTextCell     *preview_label;
  PickyTextCell     *unread_badge;
  PickyTextCell     *state_label;

  /* owned */
  PickyConversation *conversation;
  char              *preview;
};

G_DEFINE_FINAL_TYPE (PickyConversationRow, picky_conversation_row, GTK_TYPE_WIDGET)

static void show_conversation (PickyConversationRow *self,
                               gint64                now);

/**
 * picky_conversation_describe_last:
 *
 * Returns: (transfer full): the first line of the conversation's last
 *   message as a row shows it, "You: …" when it is ours, a media
 *   placeholder for a message without text
 */
char *
picky_conversation_describe_last (PickyConversation *conversation)
{
  const char *text = picky_conversation_get_last_text (conversation);
  PickyMessageKind kind = picky_conversation_get_last_kind (conversation);
  g_autofree char *line = NULL;
  g_autofree char *shown = NULL;

  if (text != NULL)
    {
      const char *end = strchr (text, '\n');

      g_autofree char *first = end != NULL ? g_strndup (text, end - text) : g_strdup (text);

      /* Set into "You: %s", an English reply must not take the colon or
       * its own full stop to the other end in an Arabic window. */
      line = picky_bidi_isolate (first);
    }

  if (kind == PICKY_MESSAGE_KIND_TEXT)
    shown = g_strdup (line != NULL ? line : "");
  else if (line != NULL && *line != '\0')
    /* Translators: a media placeholder, then its caption, e.g. "📷 Photo: Receipt" */
    shown = g_strdup_printf (_("%s: %s"), picky_inbox_describe_kind (kind), line);
  else
    shown = g_strdup (picky_inbox_describe_kind (kind));

  if (picky_conversation_get_last_is_ours (conversation))
    /* Translators: the last message of a conversation when we wrote it, e.g. "You: On its way" */
    return g_strdup_printf (_("You: %s"), shown);

  return g_steal_pointer (&shown);
}

static void
on_conversation_changed_cb (PickyConversationRow *self)
{
  show_conversation (self, picky_clock_get_now (picky_clock_get_default ()));
}

/* The minute turned: "5 min" becomes "6 min", "Waiting 5 min" too. */
static void
on_clock_tick_cb (PickyConversationRow *self,
                  gint64                now)
{
  if (self->conversation != NULL)
    show_conversation (self, now);
}

static void
show_conversation (PickyConversationRow *self,
                   gint64                now)
{
  PickyConversation *conversation = self->conversation;
  const PickyAppInfo *app = picky_app_catalog_lookup (picky_conversation_get_app (conversation));
  const char *app_name = app != NULL ? picky_app_info_get_display_name (app) : picky_conversation_get_app (conversation);
  const char *icon_name = app != NULL ? picky_app_info_get_icon_name (app) : "mail-unread-symbolic";
  const char *name = picky_conversation_get_display_name (conversation);
  guint unread = picky_conversation_get_unread (conversation);
  gint64 waiting = picky_conversation_get_waiting_since (conversation);
  g_autofree char *when = picky_time_format_short (picky_conversation_get_last_time (conversation), now, NULL);
  g_autofree char *count = NULL;
  g_autofree char *state = NULL;
  g_autoptr(GString) label = g_string_new (NULL);

  g_free (self->preview);
  self->preview = picky_conversation_describe_last (conversation);

  /* GtkImage queues a resize for any icon set, the same included. */
  if (g_strcmp0 (gtk_image_get_icon_name (self->app_icon), icon_name) != 0)
    gtk_image_set_from_icon_name (self->app_icon, icon_name);
  picky_text_cell_set_text (self->name_label, name != NULL ? name : "");
  picky_text_cell_set_text (self->time_label, when);
  picky_text_cell_set_text (self->preview_label, self->preview);

  count = unread > 99 ? g_strdup ("99+") : g_strdup_printf ("%u", unread);
  picky_text_cell_set_text (self->unread_badge, count);
  gtk_widget_set_visible (GTK_WIDGET (self->unread_badge), unread > 0);
  if (unread > 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->name_label), "unread");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_label), "unread");

  if (picky_conversation_get_done (conversation))
    /* Translators: a conversation's state in the Inbox: marked Done, it
     * needs nothing more (not a button) */
    state = g_strdup (_("Done"));
  else if (waiting > 0)
    state = picky_inbox_format_waiting (waiting, now);
  picky_text_cell_set_text (self->state_label, state != NULL ? state : "");
  gtk_widget_set_visible (GTK_WIDGET (self->state_label), state != NULL);
  if (waiting > 0 && !picky_conversation_get_done (conversation))
    gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "waiting");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "waiting");

  /* Read in the order the eye takes it: who, where, what, when, then what
   * needs doing. */
  /* Translators: how a screen reader reads an Inbox row: contact, app, last message, time */
  g_string_printf (label, _("%s, %s, %s, %s"), name != NULL ? name : "", app_name != NULL ? app_name : "",
                   self->preview, when);
  if (unread > 0)
    {
      g_string_append (label, ", ");
      g_string_append_printf (label, g_dngettext (GETTEXT_PACKAGE, "%u unread", "%u unread", unread), unread);
    }
  if (state != NULL)
    g_string_append_printf (label, ", %s", state);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label->str, -1);
}

static void
picky_conversation_row_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), PICKY_TYPE_CONVERSATION_ROW);
  /* The template's unnamed box is a child too. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (picky_conversation_row_parent_class)->dispose (object);
}

static void
picky_conversation_row_finalize (GObject *object)
{
  PickyConversationRow *self = PICKY_CONVERSATION_ROW (object);

  if (self->conversation != NULL)
    g_signal_handlers_disconnect_by_func (self->conversation, on_conversation_changed_cb, self);
  g_clear_object (&self->conversation);
  g_free (self->preview);

  G_OBJECT_CLASS (picky_conversation_row_parent_class)->finalize (object);
}

static void
picky_conversation_row_class_init (PickyConversationRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_conversation_row_dispose;
  object_class->finalize = picky_conversation_row_finalize;

  /* Text cells, not labels: scrolling binds every visible row to another
   * conversation each frame, and a new text in a cell only redraws it (see
   * picky-text-cell.c). */
  g_type_ensure (PICKY_TYPE_TEXT_CELL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "inboxrow");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyConversationRow, app_icon);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationRow, preview_label);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationRow, unread_badge);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationRow, state_label);
}

static void
picky_conversation_row_init (PickyConversationRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self))), 12);
  /* One timer for every row: the rows follow its tick. */
  g_signal_connect_object (picky_clock_get_default (), "tick", G_CALLBACK (on_clock_tick_cb), self,
                           G_CONNECT_SWAPPED);
}

GtkWidget *
picky_conversation_row_new (void)
{
  return g_object_new (PICKY_TYPE_CONVERSATION_ROW, NULL);
}

/**
 * picky_conversation_row_set_conversation:
 * @conversation: (nullable): the conversation the row shows; it follows
 *   the conversation's changes
 */
void
picky_conversation_row_set_conversation (PickyConversationRow *self,
                                         PickyConversation    *conversation)
{
  g_return_if_fail (PICKY_IS_CONVERSATION_ROW (self));

  if (self->conversation != NULL)
    g_signal_handlers_disconnect_by_func (self->conversation, on_conversation_changed_cb, self);
  g_set_object (&self->conversation, conversation);
  if (conversation == NULL)
    return;

  g_signal_connect_swapped (conversation, "changed", G_CALLBACK (on_conversation_changed_cb), self);
  show_conversation (self, picky_clock_get_now (picky_clock_get_default ()));
}

PickyConversation *
picky_conversation_row_get_conversation (PickyConversationRow *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION_ROW (self), NULL);

  return self->conversation;
}

/**
 * picky_conversation_row_get_preview:
 *
 * Returns: (nullable): the line of the last message the row shows
 */
const char *
picky_conversation_row_get_preview (PickyConversationRow *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION_ROW (self), NULL);

  return self->preview;
}
