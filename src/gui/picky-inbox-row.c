/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One row of the Inbox list: app, contact, first line of text, time and unread dot. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "picky-app-catalog.h"
#include "picky-clock.h"
#include "picky-inbox-row.h"
#include "picky-time-format.h"

struct _PickyInboxRow
{
  GtkWidget     parent_instance;

  /* template widgets */
  GtkImage     *app_icon;
  GtkLabel     *name_label;
  GtkLabel     *time_label;
  GtkLabel     *preview_label;
  GtkImage     *unread_dot;

  /* owned */
  PickyMessage *message;
  char         *highlight;
  char         *preview;
};

G_DEFINE_FINAL_TYPE (PickyInboxRow, picky_inbox_row, GTK_TYPE_WIDGET)

static void on_message_changed_cb (PickyInboxRow *self);
static void on_clock_tick_cb      (PickyInboxRow *self,
                                   gint64         now);
static void show_message          (PickyInboxRow *self,
                                   gint64         now);

/* The first line only: a row has room for one. */
static char *
first_line (const char *text)
{
  const char *end = strchr (text, '\n');

  return end != NULL ? g_strndup (text, end - text) : g_strdup (text);
}

static char *
make_preview (PickyMessage *message)
{
  const char *text = picky_message_get_text (message);
  PickyMessageKind kind = picky_message_get_kind (message);
  g_autofree char *line = text != NULL ? first_line (text) : NULL;

  if (kind == PICKY_MESSAGE_KIND_TEXT)
    return g_strdup (line != NULL ? line : "");
  if (line != NULL && *line != '\0')
    /* Translators: a media placeholder, then its caption, e.g. "📷 Photo: Receipt" */
    return g_strdup_printf (_("%s: %s"), picky_inbox_describe_kind (kind), line);

  return g_strdup (picky_inbox_describe_kind (kind));
}

static void
picky_inbox_row_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), PICKY_TYPE_INBOX_ROW);
  /* The template's unnamed box is a child too. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (picky_inbox_row_parent_class)->dispose (object);
}

static void
picky_inbox_row_finalize (GObject *object)
{
  PickyInboxRow *self = PICKY_INBOX_ROW (object);

  if (self->message != NULL)
    g_signal_handlers_disconnect_by_func (self->message, on_message_changed_cb, self);
  g_clear_object (&self->message);
  g_free (self->highlight);
  g_free (self->preview);

  G_OBJECT_CLASS (picky_inbox_row_parent_class)->finalize (object);
}

static void
picky_inbox_row_class_init (PickyInboxRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_inbox_row_dispose;
  object_class->finalize = picky_inbox_row_finalize;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "inboxrow");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-inbox-row.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyInboxRow, app_icon);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxRow, preview_label);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxRow, unread_dot);
}

static void
picky_inbox_row_init (PickyInboxRow *self)
{
  GtkBoxLayout *layout;

  gtk_widget_init_template (GTK_WIDGET (self));

  layout = GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self)));
  gtk_box_layout_set_spacing (layout, 12);
  g_signal_connect_object (picky_clock_get_default (), "tick", G_CALLBACK (on_clock_tick_cb), self,
                           G_CONNECT_SWAPPED);
}

GtkWidget *
picky_inbox_row_new (void)
{
  return g_object_new (PICKY_TYPE_INBOX_ROW, NULL);
}

/**
 * picky_inbox_row_set_message:
 * @message: (nullable): the message the row shows
 * @highlight: (nullable): search words to mark in the text
 * @now: the current time, so that every row of a frame agrees on it
 */
/* The message was read from the store, edited or read by the admin. */
static void
on_message_changed_cb (PickyInboxRow *self)
{
  show_message (self, picky_clock_get_now (picky_clock_get_default ()));
}

/* The minute turned: "5 min" becomes "6 min". */
static void
on_clock_tick_cb (PickyInboxRow *self,
                  gint64         now)
{
  if (self->message != NULL)
    show_message (self, now);
}

void
picky_inbox_row_set_message (PickyInboxRow *self,
                             PickyMessage  *message,
                             const char    *highlight,
                             gint64         now)
{
  g_return_if_fail (PICKY_IS_INBOX_ROW (self));

  if (self->message != NULL)
    g_signal_handlers_disconnect_by_func (self->message, on_message_changed_cb, self);
  g_set_object (&self->message, message);
  g_free (self->highlight);
  self->highlight = g_strdup (highlight);
  g_clear_pointer (&self->preview, g_free);
  if (message == NULL)
    return;

  g_signal_connect_swapped (message, "changed", G_CALLBACK (on_message_changed_cb), self);
  show_message (self, now);
}

static void
show_message (PickyInboxRow *self,
              gint64         now)
{
  PickyMessage *message = self->message;
  const PickyAppInfo *app;
  const char *name;
  const char *app_name;
  g_autofree char *markup = NULL;
  g_autofree char *when = NULL;
  g_autofree char *label = NULL;

  g_clear_pointer (&self->preview, g_free);

  app = picky_app_catalog_lookup (picky_message_get_app (message));
  app_name = app != NULL ? picky_app_info_get_display_name (app) : picky_message_get_app (message);
  name = picky_message_get_display_name (message);

  self->preview = make_preview (message);
  markup = picky_inbox_highlight_markup (self->preview, self->highlight);
  when = picky_time_format_short (picky_message_get_timestamp (message), now, NULL);

  gtk_image_set_from_icon_name (self->app_icon, app != NULL ? picky_app_info_get_icon_name (app)
                                                            : "mail-unread-symbolic");
  gtk_label_set_label (self->name_label, name);
  gtk_label_set_label (self->time_label, when);
  gtk_label_set_markup (self->preview_label, markup);
  gtk_widget_set_opacity (GTK_WIDGET (self->unread_dot), picky_message_get_unread (message) ? 1.0 : 0.0);

  /* Translators: how a screen reader reads an Inbox row: contact, app, text, time */
  label = g_strdup_printf (_("%s, %s, %s, %s"), name, app_name != NULL ? app_name : "",
                           self->preview, when);
  if (picky_message_get_unread (message))
    {
      g_autofree char *unread = NULL;

      /* Translators: an Inbox row's accessible name when the message is unread */
      unread = g_strdup_printf (_("Unread: %s"), label);
      g_free (label);
      label = g_steal_pointer (&unread);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

PickyMessage *
picky_inbox_row_get_message (PickyInboxRow *self)
{
  g_return_val_if_fail (PICKY_IS_INBOX_ROW (self), NULL);

  return self->message;
}

/**
 * picky_inbox_row_get_preview:
 *
 * Returns: the line of text the row shows, without highlight
 */
const char *
picky_inbox_row_get_preview (PickyInboxRow *self)
{
  g_return_val_if_fail (PICKY_IS_INBOX_ROW (self), NULL);

  return self->preview;
}

/**
 * picky_inbox_format_waiting:
 *
 * Returns: (transfer full): how long the customer has waited for an
 *   answer since @since: "Waiting 12 min", "Waiting 3 h", "Waiting 2 days"
 */
char *
picky_inbox_format_waiting (gint64 since,
                            gint64 now)
{
  gint64 ago = MAX (now - since, 0);

  if (ago < 3600)
    {
      int minutes = MAX (ago / 60, 1);

      /* Translators: how long a customer has waited for a reply, in minutes */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Waiting %d min", "Waiting %d min", minutes), minutes);
    }
  if (ago < 86400)
    {
      int hours = ago / 3600;

      /* Translators: how long a customer has waited for a reply, in hours */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Waiting %d h", "Waiting %d h", hours), hours);
    }

  /* Translators: how long a customer has waited for a reply, in days */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Waiting %d day", "Waiting %d days", (int) (ago / 86400)),
                          (int) (ago / 86400));
}

/**
 * picky_inbox_describe_kind:
 *
 * Returns: what stands for a message without text of this kind
 */
const char *
picky_inbox_describe_kind (PickyMessageKind kind)
{
  switch (kind)
    {
    case PICKY_MESSAGE_KIND_TEXT:
      return "";
    case PICKY_MESSAGE_KIND_IMAGE:
      return _("📷 Photo");
    case PICKY_MESSAGE_KIND_AUDIO:
      return _("🎤 Voice message");
    case PICKY_MESSAGE_KIND_VIDEO:
      return _("🎬 Video");
    case PICKY_MESSAGE_KIND_DOCUMENT:
      return _("📄 Document");
    case PICKY_MESSAGE_KIND_STICKER:
      return _("Sticker");
    case PICKY_MESSAGE_KIND_LOCATION:
      return _("📍 Location");
    case PICKY_MESSAGE_KIND_CONTACT:
      return _("👤 Contact");
    case PICKY_MESSAGE_KIND_REACTION:
      return _("Reaction");
    case PICKY_MESSAGE_KIND_UNSUPPORTED:
    default:
      return _("A message the console cannot show");
    }
}

static void
append_escaped (GString    *out,
                const char *text,
                gsize       length)
{
  g_autofree char *escaped = NULL;

  if (length == 0)
    return;

  escaped = g_markup_escape_text (text, length);
  g_string_append (out, escaped);
}

/**
 * picky_inbox_highlight_markup:
 * @words: (nullable): space-separated words to mark, in any case
 *
 * Returns: (transfer full): @text as Pango markup, with every occurrence of
 *   each word marked
 */
char *
picky_inbox_highlight_markup (const char *text,
                              const char *words)
{
  g_auto(GStrv) list = NULL;
  g_autofree char *folded_text = NULL;
  g_autoptr(GPtrArray) present = g_ptr_array_new ();
  g_autoptr(GArray) lengths = g_array_new (FALSE, FALSE, sizeof (glong));
  GString *out;
  const char *p = text;
  const char *run = text;

  if (words == NULL || *words == '\0')
    return g_markup_escape_text (text, -1);

  /* Rows are bound while the admin scrolls: the words that do not occur
   * at all are set aside first, and most texts need no mark then. */
  folded_text = g_utf8_casefold (text, -1);
  list = g_strsplit_set (words, " \t\n", -1);
  for (guint i = 0; list[i] != NULL; i++)
    {
      char *folded = g_utf8_casefold (list[i], -1);
      glong n_chars = g_utf8_strlen (folded, -1);

      g_free (list[i]);
      list[i] = folded;
      if (n_chars > 0 && strstr (folded_text, folded) != NULL)
        {
          g_ptr_array_add (present, folded);
          g_array_append_val (lengths, n_chars);
        }
    }
  if (present->len == 0)
    return g_markup_escape_text (text, -1);

  out = g_string_new (NULL);
  while (*p != '\0')
    {
      gsize matched = 0;

      /* Compare the casefolded text at this character with each word, a
       * character at a time, so the mark lands on the original spelling. */
      for (guint i = 0; i < present->len && matched == 0; i++)
        {
          const char *end = p;
          g_autofree char *folded = NULL;

          for (glong c = 0; c < g_array_index (lengths, glong, i) && *end != '\0'; c++)
            end = g_utf8_next_char (end);
          folded = g_utf8_casefold (p, end - p);
          if (strcmp (folded, present->pdata[i]) == 0)
            matched = end - p;
        }

      if (matched == 0)
        {
          p = g_utf8_next_char (p);
          continue;
        }

      append_escaped (out, run, p - run);
      g_string_append (out, "<span weight=\"bold\" underline=\"single\">");
      append_escaped (out, p, matched);
      g_string_append (out, "</span>");
      p += matched;
      run = p;
    }
  append_escaped (out, run, p - run);

  return g_string_free (out, FALSE);
}
