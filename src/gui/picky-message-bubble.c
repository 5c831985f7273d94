/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One message of a conversation: a bubble with its media, marks and delivery status. */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "picky-clock.h"
#include "picky-inbox-row.h"
#include "picky-time-format.h"
#include "picky-message-bubble.h"

struct _PickyMessageBubble
{
  GtkWidget     parent_instance;

  /* children */
  GtkWidget    *day_label;
  GtkWidget    *bubble;
  GtkWidget    *text_label;
  GtkWidget    *media_label;
  GtkWidget    *failed_icon;
  GtkWidget    *meta_label;
  GtkWidget    *reactions_label;
  GtkWidget    *retry_button;

  /* owned */
  PickyMessage *message;
  char         *status_text;
  gboolean      new_day;
  gboolean      can_retry;
};

G_DEFINE_FINAL_TYPE (PickyMessageBubble, picky_message_bubble, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CAN_RETRY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  RETRY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Scalar members of the media object, such as file name, size, duration
 * or coordinates; the provider's file ids mean nothing to the admin. */
static char *
describe_media (const char *media_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GList) members = NULL;
  JsonObject *object;

  if (media_json == NULL ||
      !json_parser_load_from_data (parser, media_json, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;

  object = json_node_get_object (json_parser_get_root (parser));
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (object, l->data);
      g_autofree char *value = NULL;

      if (!JSON_NODE_HOLDS_VALUE (node) || g_str_has_suffix (l->data, "id"))
        continue;
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        value = g_strdup (json_node_get_string (node));
      else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
        value = g_strdup_printf ("%g", json_node_get_double (node));
      else if (json_node_get_value_type (node) == G_TYPE_INT64)
        value = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      else
        continue;

      if (out->len > 0)
        g_string_append (out, " · ");
      g_string_append_printf (out, "%s: %s", (const char *) l->data, value);
    }

  return out->len > 0 ? g_strdup (out->str) : NULL;
}

static char *
describe_status (PickyMessage *message)
{
  switch (picky_message_get_status (message))
    {
    case PICKY_MESSAGE_STATUS_QUEUED:
      /* Translators: a reply's delivery status under its bubble: waiting
       * to be sent */
      return g_strdup (_("Queued"));
    case PICKY_MESSAGE_STATUS_SENT:
      /* Translators: a reply's delivery status: the provider took it */
      return g_strdup (_("Sent"));
    case PICKY_MESSAGE_STATUS_DELIVERED:
      return g_strdup (_("Delivered"));
    case PICKY_MESSAGE_STATUS_READ:
      /* Translators: a reply's delivery status: the customer has read it
       * (past participle, not the verb) */
      return g_strdup (_("Read"));
    case PICKY_MESSAGE_STATUS_FAILED:
      if (picky_message_get_error (message) != NULL)
        /* Translators: a reply's delivery status with the reason it failed */
        return g_strdup_printf (_("Failed: %s"), picky_message_get_error (message));
      return g_strdup (_("Failed"));
    case PICKY_MESSAGE_STATUS_NONE:
    default:
      return NULL;
    }
}

static void
on_retry_clicked_cb (PickyMessageBubble *self)
{
  if (self->message != NULL)
    g_signal_emit (self, signals[RETRY], 0, self->message);
}

static void show_message (PickyMessageBubble *self);

static void
show_day (PickyMessageBubble *self,
          gint64              now)
{
  g_autofree char *day = NULL;

  gtk_widget_set_visible (self->day_label, self->new_day);
  if (!self->new_day)
    return;

  day = picky_time_format_day (picky_message_get_timestamp (self->message), now, NULL);
  gtk_label_set_label (GTK_LABEL (self->day_label), day);
}

/* At midnight "Today" becomes "Yesterday". */
static void
on_clock_tick_cb (PickyMessageBubble *self,
                  gint64              now)
{
  if (self->message != NULL)
    show_day (self, now);
}

static void
update_retry (PickyMessageBubble *self)
{
  gtk_widget_set_sensitive (self->retry_button, self->can_retry);
  gtk_widget_set_tooltip_text (self->retry_button,
                               self->can_retry ? NULL : _("Replies cannot be sent now; the reason is under the conversation"));
}

static void
picky_message_bubble_dispose (GObject *object)
{
  PickyMessageBubble *self = PICKY_MESSAGE_BUBBLE (object);

  if (self->message != NULL)
    g_signal_handlers_disconnect_by_func (self->message, show_message, self);
  g_clear_pointer (&self->day_label, gtk_widget_unparent);
  g_clear_pointer (&self->bubble, gtk_widget_unparent);

  G_OBJECT_CLASS (picky_message_bubble_parent_class)->dispose (object);
}

static void
picky_message_bubble_finalize (GObject *object)
{
  PickyMessageBubble *self = PICKY_MESSAGE_BUBBLE (object);

  g_clear_object (&self->message);
  g_free (self->status_text);

  G_OBJECT_CLASS (picky_message_bubble_parent_class)->finalize (object);
}

static void
picky_message_bubble_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  PickyMessageBubble *self = PICKY_MESSAGE_BUBBLE (object);

  switch (prop_id)
    {
    case PROP_CAN_RETRY:
      g_value_set_boolean (value, self->can_retry);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_message_bubble_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  PickyMessageBubble *self = PICKY_MESSAGE_BUBBLE (object);

  switch (prop_id)
    {
    case PROP_CAN_RETRY:
      if (self->can_retry != g_value_get_boolean (value))
        {
          self->can_retry = g_value_get_boolean (value);
          update_retry (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_message_bubble_class_init (PickyMessageBubbleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_message_bubble_dispose;
  object_class->finalize = picky_message_bubble_finalize;
  object_class->get_property = picky_message_bubble_get_property;
  object_class->set_property = picky_message_bubble_set_property;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "messagebubble");

  /**
   * PickyMessageBubble:can-retry:
   *
   * Whether a failed reply can be sent again now; not while sending is off.
   */
  properties[PROP_CAN_RETRY] =
    g_param_spec_boolean ("can-retry", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PickyMessageBubble::retry:
   * @message: the failed reply
   *
   * The admin asked to send a failed reply again.
   */
  signals[RETRY] =
    g_signal_new ("retry",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, PICKY_TYPE_MESSAGE);
}

static void
picky_message_bubble_init (PickyMessageBubble *self)
{
  GtkBoxLayout *layout = GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self)));
  GtkWidget *meta_box;

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (layout, 6);

  self->day_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->day_label, "dim-label");
  gtk_widget_add_css_class (self->day_label, "caption-heading");
  gtk_widget_set_parent (self->day_label, GTK_WIDGET (self));

  self->bubble = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  gtk_widget_add_css_class (self->bubble, "bubble");
  gtk_widget_set_parent (self->bubble, GTK_WIDGET (self));

  self->text_label = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->text_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (self->text_label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (self->text_label), 0);
  gtk_label_set_max_width_chars (GTK_LABEL (self->text_label), 50);
  gtk_box_append (GTK_BOX (self->bubble), self->text_label);

  self->media_label = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->media_label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->media_label), 0);
  gtk_widget_add_css_class (self->media_label, "caption");
  gtk_box_append (GTK_BOX (self->bubble), self->media_label);

  meta_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  gtk_widget_set_halign (meta_box, GTK_ALIGN_END);
  self->failed_icon = gtk_image_new_from_icon_name ("dialog-error-symbolic");
  gtk_widget_add_css_class (self->failed_icon, "error");
  gtk_widget_set_valign (self->failed_icon, GTK_ALIGN_START);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->failed_icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Not delivered"), -1);
  gtk_box_append (GTK_BOX (meta_box), self->failed_icon);
  self->meta_label = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->meta_label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->meta_label), 1);
  gtk_widget_add_css_class (self->meta_label, "caption");
  gtk_box_append (GTK_BOX (meta_box), self->meta_label);
  gtk_box_append (GTK_BOX (self->bubble), meta_box);

  self->reactions_label = gtk_label_new (NULL);
  gtk_widget_set_halign (self->reactions_label, GTK_ALIGN_START);
  gtk_widget_add_css_class (self->reactions_label, "reactions");
  gtk_box_append (GTK_BOX (self->bubble), self->reactions_label);

  self->retry_button = gtk_button_new_with_mnemonic (_("_Retry"));
  gtk_widget_set_halign (self->retry_button, GTK_ALIGN_END);
  gtk_widget_add_css_class (self->retry_button, "pill");
  gtk_widget_add_css_class (self->retry_button, "small");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->retry_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Send the message again"), -1);
  /* Named by what it does alone, not by that and its short label after it. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->retry_button), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  g_signal_connect_swapped (self->retry_button, "clicked", G_CALLBACK (on_retry_clicked_cb), self);
  gtk_box_append (GTK_BOX (self->bubble), self->retry_button);
  update_retry (self);

  g_signal_connect_object (picky_clock_get_default (), "tick", G_CALLBACK (on_clock_tick_cb), self,
                           G_CONNECT_SWAPPED);
}

GtkWidget *
picky_message_bubble_new (void)
{
  return g_object_new (PICKY_TYPE_MESSAGE_BUBBLE, NULL);
}

/**
 * picky_message_bubble_set_message:
 * @message: (nullable): the message shown
 * @new_day: whether the message is the first of its day, which puts the
 *   day above it
 */
void
picky_message_bubble_set_message (PickyMessageBubble *self,
                                  PickyMessage       *message,
                                  gboolean            new_day)
{
  g_return_if_fail (PICKY_IS_MESSAGE_BUBBLE (self));

  if (self->message != NULL)
    g_signal_handlers_disconnect_by_func (self->message, show_message, self);
  g_set_object (&self->message, message);
  self->new_day = new_day;
  g_clear_pointer (&self->status_text, g_free);
  if (message == NULL)
    return;

  /* Edits and delivery reports change the message in place. */
  g_signal_connect_swapped (message, "changed", G_CALLBACK (show_message), self);
  show_message (self);
}

static void
show_message (PickyMessageBubble *self)
{
  PickyMessage *message = self->message;
  const char *reactions;
  gboolean failed;
  gboolean outgoing;
  PickyMessageKind kind;
  const char *text;
  g_autofree char *media = NULL;
  g_autofree char *time = NULL;
  g_autoptr(GString) meta = NULL;
  g_autoptr(GString) accessible = NULL;

  g_clear_pointer (&self->status_text, g_free);
  outgoing = picky_message_get_direction (message) == PICKY_DIRECTION_OUT;
  kind = picky_message_get_kind (message);
  text = picky_message_get_text (message);

  show_day (self, picky_clock_get_now (picky_clock_get_default ()));

  gtk_widget_set_halign (self->bubble, kind == PICKY_MESSAGE_KIND_REACTION ? GTK_ALIGN_CENTER
                                       : outgoing ? GTK_ALIGN_END : GTK_ALIGN_START);
  gtk_widget_remove_css_class (self->bubble, outgoing ? "incoming" : "outgoing");
  gtk_widget_add_css_class (self->bubble, outgoing ? "outgoing" : "incoming");

  if (kind == PICKY_MESSAGE_KIND_REACTION)
    /* Translators: a reaction in a conversation, e.g. "Reacted 👍" */
    media = g_strdup_printf (_("Reacted %s"), text != NULL ? text : "");
  else if (kind != PICKY_MESSAGE_KIND_TEXT)
    {
      g_autofree char *details = describe_media (picky_message_get_media (message));

      media = details != NULL ? g_strdup_printf ("%s · %s", picky_inbox_describe_kind (kind), details)
                              : g_strdup (picky_inbox_describe_kind (kind));
    }
  gtk_label_set_label (GTK_LABEL (self->text_label), text != NULL && kind != PICKY_MESSAGE_KIND_REACTION ? text : "");
  gtk_widget_set_visible (self->text_label, text != NULL && *text != '\0' && kind != PICKY_MESSAGE_KIND_REACTION);
  gtk_label_set_label (GTK_LABEL (self->media_label), media);
  gtk_widget_set_visible (self->media_label, media != NULL);

  time = picky_time_format_clock (picky_message_get_timestamp (message), NULL);
  meta = g_string_new (time);
  if (picky_message_get_edited (message))
    g_string_append_printf (meta, " · %s", _("edited"));
  if (outgoing)
    {
      self->status_text = describe_status (message);
      if (self->status_text != NULL)
        g_string_append_printf (meta, " · %s", self->status_text);
    }
  gtk_label_set_label (GTK_LABEL (self->meta_label), meta->str);
  reactions = picky_message_get_reactions (message);
  gtk_label_set_label (GTK_LABEL (self->reactions_label), reactions);
  gtk_widget_set_visible (self->reactions_label, reactions != NULL);
  /* A failed reply must not pass for a sent one at a glance: the error
   * colour and icon on the bubble, and said first to a screen reader. */
  failed = outgoing && picky_message_get_status (message) == PICKY_MESSAGE_STATUS_FAILED;
  gtk_widget_set_visible (self->retry_button, failed);
  gtk_widget_set_visible (self->failed_icon, failed);
  if (failed)
    {
      gtk_widget_add_css_class (self->bubble, "failed");
      gtk_widget_remove_css_class (self->meta_label, "dim-label");
      gtk_widget_add_css_class (self->meta_label, "error");
    }
  else
    {
      gtk_widget_remove_css_class (self->bubble, "failed");
      gtk_widget_remove_css_class (self->meta_label, "error");
      gtk_widget_add_css_class (self->meta_label, "dim-label");
    }

  /* Translators: who wrote a message, read out by a screen reader before
   * its text: "You" is the business, "Customer" the person it talks to */
  accessible = g_string_new (outgoing ? _("You") : _("Customer"));
  g_string_append_printf (accessible, ": %s", text != NULL ? text : "");
  if (media != NULL)
    g_string_append_printf (accessible, ", %s", media);
  g_string_append_printf (accessible, ", %s", meta->str);
  if (reactions != NULL)
    {
      g_string_append (accessible, ", ");
      /* Translators: read after a message by screen readers, e.g. "Reactions: 👍 ❤️" */
      g_string_append_printf (accessible, _("Reactions: %s"), reactions);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible->str, -1);
  if (failed)
    {
      g_autofree char *description = NULL;

      if (picky_message_get_error (message) != NULL)
        /* Translators: read by screen readers after a reply that failed, with the reason */
        description = g_strdup_printf (_("This reply was not delivered: %s"), picky_message_get_error (message));
      else
        description = g_strdup (_("This reply was not delivered"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
    }
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

PickyMessage *
picky_message_bubble_get_message (PickyMessageBubble *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE_BUBBLE (self), NULL);

  return self->message;
}

/**
 * picky_message_bubble_get_status_text:
 *
 * Returns: (nullable): the delivery status shown, for outgoing messages
 */
const char *
picky_message_bubble_get_status_text (PickyMessageBubble *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE_BUBBLE (self), NULL);

  return self->status_text;
}

/**
 * picky_message_bubble_get_reactions_text:
 *
 * Returns: (nullable): the reactions shown under the message
 */
const char *
picky_message_bubble_get_reactions_text (PickyMessageBubble *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE_BUBBLE (self), NULL);

  return gtk_widget_get_visible (self->reactions_label) ? gtk_label_get_label (GTK_LABEL (self->reactions_label))
                                                        : NULL;
}

/**
 * picky_message_bubble_get_day_text:
 *
 * Returns: (nullable): the day shown above the message, if it is the first
 *   of its day
 */
const char *
picky_message_bubble_get_day_text (PickyMessageBubble *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE_BUBBLE (self), NULL);

  return gtk_widget_get_visible (self->day_label) ? gtk_label_get_label (GTK_LABEL (self->day_label)) : NULL;
}

/**
 * picky_message_bubble_get_failed:
 *
 * Returns: whether the bubble shows a reply that was not delivered
 */
gboolean
picky_message_bubble_get_failed (PickyMessageBubble *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE_BUBBLE (self), FALSE);

  return gtk_widget_has_css_class (self->bubble, "failed");
}

/**
 * picky_message_bubble_set_highlighted:
 *
 * Marks the bubble as the one a search result led to.
 */
void
picky_message_bubble_set_highlighted (PickyMessageBubble *self,
                                      gboolean            highlighted)
{
  g_return_if_fail (PICKY_IS_MESSAGE_BUBBLE (self));

  if (highlighted)
    gtk_widget_add_css_class (self->bubble, "highlighted");
  else
    gtk_widget_remove_css_class (self->bubble, "highlighted");
}

gboolean
picky_message_bubble_get_highlighted (PickyMessageBubble *self)
{
  g_return_val_if_fail (PICKY_IS_MESSAGE_BUBBLE (self), FALSE);

  return gtk_widget_has_css_class (self->bubble, "highlighted");
}
