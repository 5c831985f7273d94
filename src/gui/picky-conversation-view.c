/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A conversation with one contact: bubbles, older history on scroll up, and the composer. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-app-catalog.h"
#include "picky-bidi.h"
#include "picky-conversation-view.h"
#include "picky-message-bubble.h"
#include "picky-reaction-index.h"

#define PAGE_SIZE 50
/* How far back opening looks for the first unread message or a search
 * result before it settles for what it has: 20 pages, 1,000 messages. */
#define MAX_SEEK_PAGES 20

struct _PickyConversationView
{
  AdwBin             parent_instance;

  /* template widgets */
  GtkButton         *back_button;
  GtkLabel          *title_label;
  GtkLabel          *subtitle_label;
  GtkButton         *unread_button;
  GtkButton         *done_button;
  GtkToggleButton   *details_button;
  GtkScrolledWindow *scroller;
  GtkListView       *message_view;
  GtkButton         *jump_button;
  GtkLabel          *hint_label;
  GtkWidget         *composer_box;
  GtkTextView       *composer_view;
  GtkLabel          *placeholder_label;
  GtkButton         *send_button;

  /* owned */
  PickyService      *service;
  PickyOutbox       *outbox;
  GListStore        *messages;      /* PickyMessage, oldest first */
  PickyReactionIndex *reactions;    /* puts reactions with their messages */
  GCancellable      *cancellable;   /* of the open conversation's loads */
  PickyChannel      *channel;       /* of the open conversation, if it still exists */
  PickyConversation *conversation;  /* the open one */
  char              *app;
  char              *contact_provider_id;
  char              *hint;
  gint64             contact_id;
  gint64             channel_id;
  gint64             oldest_timestamp;  /* of the oldest message read, shown or not */
  gint64             oldest_id;
  gint64             target_id;         /* a search result to show, highlighted; 0: none */
  guint              seek_pages;        /* pages read while looking for where to open */
  guint              position_id;       /* tick callback that puts the opening position in view */
  guint              open_position;
  guint              position_frames;
  gboolean           at_end_first;
  gboolean           positioning;       /* until the conversation is shown where it opens */
  gboolean           loading;
  gboolean           complete;
};

G_DEFINE_FINAL_TYPE (PickyConversationView, picky_conversation_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CAN_SEND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  OPENED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void load_older                  (PickyConversationView *self);
static void on_conversations_changed_cb (PickyConversationView *self,
                                         GPtrArray             *conversations);

static gboolean
same_day (PickyMessage *a,
          PickyMessage *b)
{
  g_autoptr(GDateTime) da = g_date_time_new_from_unix_local (picky_message_get_timestamp (a));
  g_autoptr(GDateTime) db = g_date_time_new_from_unix_local (picky_message_get_timestamp (b));

  return da != NULL && db != NULL &&
         g_date_time_get_year (da) == g_date_time_get_year (db) &&
         g_date_time_get_day_of_year (da) == g_date_time_get_day_of_year (db);
}

static void
scroll_to_end (PickyConversationView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));

  if (n > 0)
    gtk_widget_activate_action (GTK_WIDGET (self->message_view), "list.scroll-to-item", "u", n - 1);
}

/* Why the admin cannot reply here, or NULL when they can. */
static char *
explain_composer (PickyConversationView *self)
{
  PickyAccess *access;

  if (self->service == NULL || self->contact_id == 0)
    return g_strdup (_("Choose a conversation to reply"));
  if (self->contact_provider_id == NULL)
    return g_strdup (_("This conversation has no contact to reply to"));
  if (self->channel == NULL)
    return g_strdup (_("The channel of this conversation was removed, so replies cannot be sent"));

  access = picky_service_get_access (self->service);
  if (!picky_access_can_push (access, self->app))
    /* Translators: %s is an app such as WhatsApp */
    return g_strdup_printf (_("Sending to %s is switched off. Switch it on under Channels to reply."),
                            picky_app_catalog_get_display_name (self->app));

  if (picky_channel_get_state (self->channel) != PICKY_CHANNEL_STATE_ONLINE)
    {
      const char *error = picky_channel_get_last_error (self->channel);

      if (error != NULL && *error != '\0')
        {
          g_autofree char *why = picky_bidi_isolate (error);

          /* Translators: %s is the channel's own words for what is wrong */
          return g_strdup_printf (_("The channel is offline, so replies cannot be sent: %s"), why);
        }
      return g_strdup (_("The channel is offline, so replies cannot be sent"));
    }

  return NULL;
}

static void
update_composer (PickyConversationView *self)
{
  gboolean could_send = self->hint == NULL;

  g_free (self->hint);
  self->hint = explain_composer (self);
  if (could_send != (self->hint == NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_SEND]);

  gtk_widget_set_sensitive (self->composer_box, self->hint == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.send", self->hint == NULL);
  gtk_label_set_label (self->hint_label, self->hint != NULL ? self->hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->hint_label), self->hint != NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->composer_view),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  self->hint != NULL ? self->hint : _("Ctrl+Enter sends the reply"),
                                  -1);
}

static void
on_access_changed_cb (PickyConversationView *self,
                      const char            *app_id)
{
  if (g_strcmp0 (app_id, self->app) == 0)
    update_composer (self);
}

static void
on_sent_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(PickyConversationView) self = user_data;
  g_autoptr(PickyMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  /* A failed send is shown on its bubble; only a reply that could not even
   * be stored is told here. */
  message = picky_outbox_send_finish (PICKY_OUTBOX (object), result, &error);
  if (message == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      gtk_label_set_label (self->hint_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->hint_label), TRUE);
    }
}

static void
on_retried_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(PickyMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  /* Busy means it is on its way already: the second click does nothing. */
  message = picky_outbox_retry_finish (PICKY_OUTBOX (object), result, &error);
  if (message == NULL && !g_error_matches (error, PICKY_OUTBOX_ERROR, PICKY_OUTBOX_ERROR_BUSY))
    g_debug ("Retry: %s", error->message);
}

static void
on_bubble_retry_cb (PickyMessageBubble    *bubble,
                    PickyMessage          *message,
                    PickyConversationView *self)
{
  if (self->outbox == NULL || self->hint != NULL)
    return;

  picky_outbox_retry_async (self->outbox, message, NULL, on_retried_cb, NULL);
}

/* Whether the message at @position is the first of its day, which puts
 * the day above it. */
static gboolean
starts_day (PickyConversationView *self,
            PickyMessage          *message,
            guint                  position)
{
  g_autoptr(PickyMessage) previous = NULL;

  if (position > 0)
    previous = g_list_model_get_item (G_LIST_MODEL (self->messages), position - 1);

  return previous == NULL || !same_day (previous, message);
}

static void
setup_bubble_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 PickyConversationView    *self)
{
  GtkWidget *bubble = picky_message_bubble_new ();

  g_signal_connect_object (bubble, "retry", G_CALLBACK (on_bubble_retry_cb), self, 0);
  /* Retry is for when sending works; the reason it does not is under the list. */
  g_object_bind_property (self, "can-send", bubble, "can-retry", G_BINDING_SYNC_CREATE);
  gtk_list_item_set_child (item, bubble);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_bubble_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                PickyConversationView    *self)
{
  PickyMessage *message = gtk_list_item_get_item (item);

  picky_message_bubble_set_message (PICKY_MESSAGE_BUBBLE (gtk_list_item_get_child (item)), message,
                                    starts_day (self, message, gtk_list_item_get_position (item)));
  picky_message_bubble_set_highlighted (PICKY_MESSAGE_BUBBLE (gtk_list_item_get_child (item)),
                                        self->target_id != 0 && picky_message_get_id (message) == self->target_id);
}

/* A reaction goes with the message it reacts to once that is shown; until
 * then, or when that message is too old to be read, it has a row of its
 * own. Returns the messages of @messages, oldest first, that get rows. */
static GPtrArray *
take_in (PickyConversationView *self,
         GPtrArray             *messages)
{
  GPtrArray *rows = g_ptr_array_new ();

  for (guint i = 0; i < messages->len; i++)
    if (picky_message_get_kind (messages->pdata[i]) != PICKY_MESSAGE_KIND_REACTION)
      picky_reaction_index_add_target (self->reactions, messages->pdata[i]);

  for (guint i = 0; i < messages->len; i++)
    if (picky_message_get_kind (messages->pdata[i]) != PICKY_MESSAGE_KIND_REACTION ||
        picky_reaction_index_add_reaction (self->reactions, messages->pdata[i]) == PICKY_REACTION_PENDING)
      g_ptr_array_add (rows, messages->pdata[i]);

  return rows;
}

/* Rows of reactions whose message has come since go. */
static void
drop_resolved_rows (PickyConversationView *self)
{
  g_autoptr(GPtrArray) resolved = picky_reaction_index_take_resolved (self->reactions);

  for (guint i = 0; i < resolved->len; i++)
    {
      guint position;

      if (g_list_store_find (self->messages, resolved->pdata[i], &position))
        g_list_store_remove (self->messages, position);
    }
}

static gboolean
at_end (PickyConversationView *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);

  return gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
         gtk_adjustment_get_upper (adjustment) - 24;
}

static void
update_jump_button (PickyConversationView *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->jump_button),
                          g_list_model_get_n_items (G_LIST_MODEL (self->messages)) > 0 && !at_end (self));
}

/* Where a conversation opens: the search result it was opened for, else
 * the customer's first unread message. FALSE when that may be further back
 * than what is loaded. */
static gboolean
find_open_position (PickyConversationView *self,
                    guint                 *position)
{
  GListModel *model = G_LIST_MODEL (self->messages);
  guint n = g_list_model_get_n_items (model);
  gboolean found = FALSE;

  for (guint i = n; i > 0; i--)
    {
      g_autoptr(PickyMessage) message = g_list_model_get_item (model, i - 1);

      if (self->target_id != 0)
        {
          if (picky_message_get_id (message) == self->target_id)
            {
              *position = i - 1;
              return TRUE;
            }
          continue;
        }

      if (picky_message_get_direction (message) != PICKY_DIRECTION_IN)
        continue;
      if (!picky_message_get_unread (message))
        return found;
      *position = i - 1;
      found = TRUE;
    }

  /* Unread up to the oldest loaded, or no target yet: older pages may hold more. */
  if (!self->complete)
    return FALSE;
  if (self->target_id == 0 && !found)
    *position = n > 0 ? n - 1 : 0;
  return self->target_id == 0 || found;
}

/* Whether the row at @position is laid out wholly inside the view. */
static gboolean
row_in_view (PickyConversationView *self,
             guint                  position)
{
  g_autoptr(PickyMessage) wanted = g_list_model_get_item (G_LIST_MODEL (self->messages), position);
  double height = gtk_widget_get_height (GTK_WIDGET (self->scroller));

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->message_view));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      GtkWidget *bubble = gtk_widget_get_first_child (row);
      graphene_rect_t bounds;

      if (!PICKY_IS_MESSAGE_BUBBLE (bubble) || picky_message_bubble_get_message (PICKY_MESSAGE_BUBBLE (bubble)) != wanted)
        continue;
      if (!gtk_widget_get_mapped (bubble) ||
          !gtk_widget_compute_bounds (bubble, GTK_WIDGET (self->scroller), &bounds))
        return FALSE;
      return bounds.origin.y >= -1 && bounds.origin.y + bounds.size.height <= height + 1;
    }

  return FALSE;
}

/* A list view lays out only what is near the view, and finds where a row
 * far away is only once rows have been measured: so scrolling to a row
 * takes a few frames. First the end, then back up to the opening row,
 * which the view then puts at the top, the unread messages reading
 * downwards from there. */
static gboolean
position_cb (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       data)
{
  PickyConversationView *self = data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  guint wanted = self->at_end_first ? n - 1 : self->open_position;

  if (n == 0 || self->open_position >= n)
    goto done;

  if (!row_in_view (self, wanted) || (wanted == n - 1 && !at_end (self)))
    {
      if (++self->position_frames < 60)
        {
          if (wanted == n - 1)
            gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller),
                                      gtk_adjustment_get_upper (gtk_scrolled_window_get_vadjustment (self->scroller)));
          gtk_widget_activate_action (GTK_WIDGET (self->message_view), "list.scroll-to-item", "u", wanted);
          return G_SOURCE_CONTINUE;
        }
    }
  else if (self->at_end_first && self->open_position != n - 1)
    {
      self->at_end_first = FALSE;
      self->position_frames = 0;
      gtk_widget_activate_action (GTK_WIDGET (self->message_view), "list.scroll-to-item", "u", self->open_position);
      return G_SOURCE_CONTINUE;
    }

done:
  self->position_id = 0;
  update_jump_button (self);
  g_signal_emit (self, signals[OPENED], 0);

  return G_SOURCE_REMOVE;
}

/* Once enough history is loaded, shows the conversation where it opens. */
static void
settle_position (PickyConversationView *self)
{
  guint position = 0;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  gboolean found = find_open_position (self, &position);

  if (!found && !self->complete && self->seek_pages < MAX_SEEK_PAGES)
    {
      self->seek_pages++;
      load_older (self);
      return;
    }

  self->positioning = FALSE;
  if (!found)
    /* A target older than we looked: the oldest loaded; no unread: the newest. */
    position = self->target_id != 0 ? 0 : (n > 0 ? n - 1 : 0);

  if (n == 0)
    {
      g_signal_emit (self, signals[OPENED], 0);
      return;
    }

  self->open_position = position;
  self->at_end_first = TRUE;
  self->position_frames = 0;
  self->position_id = gtk_widget_add_tick_callback (GTK_WIDGET (self->message_view), position_cb, self, NULL);
}

static void
on_older_loaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PickyConversationView) self = user_data;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  page = picky_store_list_messages_finish (PICKY_STORE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->loading = FALSE;
  if (page == NULL)
    {
      self->complete = TRUE;
      gtk_label_set_label (self->hint_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->hint_label), TRUE);
      if (self->positioning)
        settle_position (self);
      return;
    }

  self->complete = page->len < PAGE_SIZE;
  /* The page comes newest first; the conversation reads oldest first. */
  for (guint i = 0; i < page->len / 2; i++)
    {
      gpointer swap = page->pdata[i];

      page->pdata[i] = page->pdata[page->len - 1 - i];
      page->pdata[page->len - 1 - i] = swap;
    }
  if (page->len > 0)
    {
      self->oldest_timestamp = picky_message_get_timestamp (page->pdata[0]);
      self->oldest_id = picky_message_get_id (page->pdata[0]);
    }
  rows = take_in (self, page);
  g_list_store_splice (self->messages, 0, 0, rows->pdata, rows->len);
  drop_resolved_rows (self);

  if (self->positioning)
    settle_position (self);
}

static void
load_older (PickyConversationView *self)
{
  PickyPageQuery query = { 0, };

  if (self->loading || self->complete || self->service == NULL || self->contact_id == 0)
    return;

  /* From the oldest message read, which may be a reaction without a row. */
  query.before_timestamp = self->oldest_timestamp;
  query.before_id = self->oldest_id;
  query.contact_id = self->contact_id;
  query.channel_id = self->channel_id;
  query.direction = -1;
  query.limit = PAGE_SIZE;

  self->loading = TRUE;
  picky_store_list_messages_async (picky_service_get_store (self->service), &query, self->cancellable,
                                   on_older_loaded_cb, g_object_ref (self));
}

static void
on_scroller_edge_reached_cb (PickyConversationView *self,
                             GtkPositionType        position)
{
  if (position == GTK_POS_TOP)
    load_older (self);
}

static void
on_jump_button_clicked_cb (PickyConversationView *self)
{
  scroll_to_end (self);
}

static void
on_composer_changed_cb (PickyConversationView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer_view);

  gtk_widget_set_visible (GTK_WIDGET (self->placeholder_label), gtk_text_buffer_get_char_count (buffer) == 0);
}

static void
on_messages_added_cb (PickyConversationView *self,
                      GPtrArray             *messages)
{
  g_autoptr(GPtrArray) mine = g_ptr_array_new ();
  g_autoptr(GPtrArray) rows = NULL;
  gboolean follow = at_end (self);

  for (guint i = 0; i < messages->len; i++)
    if (self->contact_id != 0 && picky_message_get_contact_id (messages->pdata[i]) == self->contact_id &&
        picky_message_get_channel_id (messages->pdata[i]) == self->channel_id)
      g_ptr_array_add (mine, messages->pdata[i]);

  if (mine->len == 0)
    return;

  rows = take_in (self, mine);
  g_list_store_splice (self->messages, g_list_model_get_n_items (G_LIST_MODEL (self->messages)), 0,
                       rows->pdata, rows->len);
  drop_resolved_rows (self);
  if (follow)
    scroll_to_end (self);
}

/* See PickyStore::messages-changed for what each change carries. */
static void
on_messages_changed_cb (PickyConversationView *self,
                        GPtrArray             *messages)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));

  for (guint k = 0; k < messages->len; k++)
    {
      PickyMessage *change = messages->pdata[k];

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(PickyMessage) item = g_list_model_get_item (G_LIST_MODEL (self->messages), i);

          if (picky_message_get_id (item) != picky_message_get_id (change))
            continue;

          if (picky_message_get_op (change) == PICKY_MESSAGE_OP_EDIT)
            {
              picky_message_set_text (item, picky_message_get_text (change));
              picky_message_set_edited (item, TRUE);
            }
          else if (picky_message_get_op (change) == PICKY_MESSAGE_OP_INSERT ||
                   picky_message_status_can_move (picky_message_get_status (item),
                                                  picky_message_get_status (change)))
            {
              picky_message_set_status (item, picky_message_get_status (change));
              picky_message_set_error (item, picky_message_get_error (change));
            }
          if (picky_message_get_op (change) == PICKY_MESSAGE_OP_INSERT &&
              picky_message_get_provider_key (change) != NULL)
            picky_message_set_provider_key (item, picky_message_get_provider_key (change));
          /* Its bubble follows the message; the rows stay as they are. A
           * reply just sent has its key now, which reactions refer to. */
          picky_message_changed (item);
          picky_reaction_index_add_target (self->reactions, item);
          drop_resolved_rows (self);
          break;
        }
    }
}

static void
picky_conversation_view_send_action (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *parameter)
{
  picky_conversation_view_send (PICKY_CONVERSATION_VIEW (widget));
}

static void
picky_conversation_view_dispose (GObject *object)
{
  PickyConversationView *self = PICKY_CONVERSATION_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->position_id != 0 && self->message_view != NULL)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->message_view), self->position_id);
  self->position_id = 0;
  g_clear_object (&self->channel);
  g_clear_object (&self->conversation);
  g_clear_object (&self->outbox);
  g_clear_object (&self->service);
  g_clear_object (&self->messages);
  g_clear_object (&self->reactions);

  G_OBJECT_CLASS (picky_conversation_view_parent_class)->dispose (object);
}

static void
picky_conversation_view_finalize (GObject *object)
{
  PickyConversationView *self = PICKY_CONVERSATION_VIEW (object);

  g_free (self->app);
  g_free (self->contact_provider_id);
  g_free (self->hint);

  G_OBJECT_CLASS (picky_conversation_view_parent_class)->finalize (object);
}

static void
picky_conversation_view_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  PickyConversationView *self = PICKY_CONVERSATION_VIEW (object);

  switch (prop_id)
    {
    case PROP_CAN_SEND:
      g_value_set_boolean (value, self->hint == NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_conversation_view_class_init (PickyConversationViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_conversation_view_dispose;
  object_class->finalize = picky_conversation_view_finalize;
  object_class->get_property = picky_conversation_view_get_property;

  /**
   * PickyConversationView:can-send:
   *
   * Whether replies can be sent in the open conversation now.
   */
  properties[PROP_CAN_SEND] =
    g_param_spec_boolean ("can-send", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PickyConversationView::opened:
   *
   * The open conversation is shown where it opens, at its first unread
   * message, the newest or the search result; what it shows may be
   * marked read now.
   */
  signals[OPENED] =
    g_signal_new ("opened",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-conversation-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, back_button);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, title_label);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, unread_button);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, done_button);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, details_button);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, scroller);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, message_view);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, jump_button);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, placeholder_label);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, hint_label);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, composer_box);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, composer_view);
  gtk_widget_class_bind_template_child (widget_class, PickyConversationView, send_button);
  gtk_widget_class_bind_template_callback (widget_class, on_scroller_edge_reached_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_jump_button_clicked_cb);

  gtk_widget_class_install_action (widget_class, "conversation.send", NULL,
                                   picky_conversation_view_send_action);
}

static void
picky_conversation_view_init (PickyConversationView *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkNoSelection) selection = NULL;
  GtkEventController *shortcuts;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->messages = g_list_store_new (PICKY_TYPE_MESSAGE);
  self->reactions = picky_reaction_index_new ();
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->messages)));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_bubble_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_bubble_cb), self);
  gtk_list_view_set_factory (self->message_view, factory);
  gtk_list_view_set_model (self->message_view, GTK_SELECTION_MODEL (selection));

  /* Ctrl+Enter sends from the text itself, where plain Enter is a new line. */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Return, GDK_CONTROL_MASK),
                                                          gtk_named_action_new ("conversation.send")));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_KP_Enter, GDK_CONTROL_MASK),
                                                          gtk_named_action_new ("conversation.send")));
  gtk_widget_add_controller (GTK_WIDGET (self->composer_view), shortcuts);

  g_signal_connect_object (gtk_text_view_get_buffer (self->composer_view), "changed",
                           G_CALLBACK (on_composer_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "value-changed",
                           G_CALLBACK (update_jump_button), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "notify::upper",
                           G_CALLBACK (update_jump_button), self, G_CONNECT_SWAPPED);

  update_composer (self);
}

/**
 * picky_conversation_view_set_service:
 * @service: the console's service, ready
 * @outbox: sends the replies
 */
void
picky_conversation_view_set_service (PickyConversationView *self,
                                     PickyService          *service,
                                     PickyOutbox           *outbox)
{
  PickyStore *store;

  g_return_if_fail (PICKY_IS_CONVERSATION_VIEW (self));
  g_return_if_fail (PICKY_IS_SERVICE (service));
  g_return_if_fail (PICKY_IS_OUTBOX (outbox));
  g_return_if_fail (self->service == NULL);

  self->service = g_object_ref (service);
  self->outbox = g_object_ref (outbox);
  store = picky_service_get_store (service);
  g_signal_connect_object (store, "messages-added", G_CALLBACK (on_messages_added_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (store, "messages-changed", G_CALLBACK (on_messages_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (store, "conversations-changed", G_CALLBACK (on_conversations_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (picky_service_get_access (service), "changed",
                           G_CALLBACK (on_access_changed_cb), self, G_CONNECT_SWAPPED);
  update_composer (self);
}

/**
 * picky_conversation_view_open:
 * @message: any message of the contact whose conversation is shown
 *
 * Shows the conversation with the contact of @message, newest at the
 * bottom, at the first unread message or else the newest; older history
 * loads as the admin scrolls up.
 */
void
picky_conversation_view_open (PickyConversationView *self,
                              PickyMessage          *message)
{
  picky_conversation_view_open_at (self, message, 0);
}

/**
 * picky_conversation_view_open_at:
 * @message: any message of the contact whose conversation is shown
 * @target_id: the message to show highlighted, as a search result; 0 for
 *   none
 *
 * As picky_conversation_view_open(), scrolled to @target_id.
 */
void
picky_conversation_view_open_at (PickyConversationView *self,
                                 PickyMessage          *message,
                                 gint64                 target_id)
{
  g_autoptr(PickyConversation) conversation = picky_conversation_new ();

  g_return_if_fail (PICKY_IS_CONVERSATION_VIEW (self));
  g_return_if_fail (PICKY_IS_MESSAGE (message));

  /* Its row id comes with the first change the store reports for it. */
  picky_conversation_set_contact_id (conversation, picky_message_get_contact_id (message));
  picky_conversation_set_channel_id (conversation, picky_message_get_channel_id (message));
  picky_conversation_set_app (conversation, picky_message_get_app (message));
  picky_conversation_set_provider_id (conversation, picky_message_get_contact_provider_id (message));
  picky_conversation_set_name (conversation, picky_message_get_display_name (message));
  picky_conversation_view_open_conversation (self, conversation, target_id);
}

static void
show_conversation_state (PickyConversationView *self)
{
  gboolean done = self->conversation != NULL && picky_conversation_get_done (self->conversation);
  const char *name = done ? _("Reopen") : _("Mark as Done");

  gtk_button_set_icon_name (self->done_button, done ? "edit-undo-symbolic" : "object-select-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->done_button), done ? _("Reopen (Ctrl+D)") : _("Mark as Done (Ctrl+D)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->done_button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

/* The open conversation as stored after a change: Done, reopened by the
 * customer, its name learnt. */
static void
on_conversations_changed_cb (PickyConversationView *self,
                             GPtrArray             *conversations)
{
  if (self->conversation == NULL)
    return;

  for (guint i = 0; i < conversations->len; i++)
    {
      PickyConversation *changed = conversations->pdata[i];

      /* One that went (erased, purged) has nothing left to show. */
      if (picky_conversation_get_gone (changed))
        continue;
      if (picky_conversation_get_id (self->conversation) != 0
          ? picky_conversation_get_id (changed) != picky_conversation_get_id (self->conversation)
          : picky_conversation_get_contact_id (changed) != self->contact_id ||
            picky_conversation_get_channel_id (changed) != self->channel_id)
        continue;

      if (changed != self->conversation)
        {
          picky_conversation_fill (self->conversation, changed);
          picky_conversation_changed (self->conversation);
        }
      show_conversation_state (self);
      return;
    }
}

/**
 * picky_conversation_view_open_conversation:
 * @conversation: the conversation shown; the view follows its changes
 * @target_id: a message to show highlighted, as a search result; 0 for none
 *
 * Shows @conversation, newest at the bottom, at @target_id, else at the
 * first unread message, else at the newest; older history loads as the
 * admin scrolls up.
 */
void
picky_conversation_view_open_conversation (PickyConversationView *self,
                                           PickyConversation     *conversation,
                                           gint64                 target_id)
{
  const char *app_name;
  PickyChannelRegistry *registry;

  g_return_if_fail (PICKY_IS_CONVERSATION_VIEW (self));
  g_return_if_fail (PICKY_IS_CONVERSATION (conversation));
  g_return_if_fail (self->service != NULL);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->channel != NULL)
    g_signal_handlers_disconnect_by_data (self->channel, self);
  g_clear_object (&self->channel);
  g_set_object (&self->conversation, conversation);

  self->contact_id = picky_conversation_get_contact_id (conversation);
  self->channel_id = picky_conversation_get_channel_id (conversation);
  g_free (self->app);
  self->app = g_strdup (picky_conversation_get_app (conversation));
  g_free (self->contact_provider_id);
  self->contact_provider_id = g_strdup (picky_conversation_get_provider_id (conversation));
  self->loading = FALSE;
  self->complete = FALSE;
  self->positioning = TRUE;
  self->seek_pages = 0;
  self->target_id = target_id;
  if (self->position_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->message_view), self->position_id);
  self->position_id = 0;
  self->oldest_timestamp = 0;
  self->oldest_id = 0;
  picky_reaction_index_clear (self->reactions);
  g_list_store_remove_all (self->messages);

  app_name = picky_app_catalog_get_display_name (self->app);
  gtk_label_set_label (self->title_label, picky_conversation_get_display_name (conversation));
  gtk_label_set_label (self->subtitle_label, app_name != NULL ? app_name : self->app);
  gtk_widget_set_visible (GTK_WIDGET (self->done_button), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->unread_button), TRUE);
  show_conversation_state (self);

  registry = picky_service_get_registry (self->service);
  if (registry != NULL)
    self->channel = picky_channel_registry_lookup (registry, self->channel_id);
  if (self->channel != NULL)
    {
      g_object_ref (self->channel);
      g_signal_connect_object (self->channel, "notify::state", G_CALLBACK (update_composer), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->channel, "notify::last-error", G_CALLBACK (update_composer), self, G_CONNECT_SWAPPED);
    }

  update_composer (self);
  load_older (self);
}

/**
 * picky_conversation_view_get_conversation:
 *
 * Returns: (transfer none) (nullable): the conversation shown
 */
PickyConversation *
picky_conversation_view_get_conversation (PickyConversationView *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION_VIEW (self), NULL);

  return self->conversation;
}

gint64
picky_conversation_view_get_contact_id (PickyConversationView *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION_VIEW (self), 0);

  return self->contact_id;
}

/**
 * picky_conversation_view_get_messages:
 *
 * Returns: (transfer none): the messages shown, oldest first
 */
GListModel *
picky_conversation_view_get_messages (PickyConversationView *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION_VIEW (self), NULL);

  return G_LIST_MODEL (self->messages);
}

/**
 * picky_conversation_view_get_hint:
 *
 * Returns: (nullable): why the composer is insensitive, as the admin reads it
 */
const char *
picky_conversation_view_get_hint (PickyConversationView *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION_VIEW (self), NULL);

  return self->hint;
}

/**
 * picky_conversation_view_send:
 *
 * Sends the composer's text as a reply, as Ctrl+Enter does; does nothing
 * when the composer is empty or cannot send.
 */
void
picky_conversation_view_send (PickyConversationView *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  g_return_if_fail (PICKY_IS_CONVERSATION_VIEW (self));

  if (self->hint != NULL || self->outbox == NULL)
    return;

  buffer = gtk_text_view_get_buffer (self->composer_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
  if (*text == '\0')
    return;

  gtk_text_buffer_set_text (buffer, "", 0);
  picky_outbox_send_async (self->outbox, self->channel_id, self->contact_provider_id, text,
                           self->cancellable, on_sent_cb, g_object_ref (self));
}

/**
 * picky_conversation_view_get_opening:
 *
 * Returns: whether the open conversation is still being read up to where
 *   it opens
 */
gboolean
picky_conversation_view_get_opening (PickyConversationView *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION_VIEW (self), FALSE);

  return self->positioning || self->position_id != 0;
}

/**
 * picky_conversation_view_set_back_visible:
 *
 * Shows the back arrow, for a layout where the conversation is shown
 * instead of the list rather than beside it.
 */
void
picky_conversation_view_set_back_visible (PickyConversationView *self,
                                          gboolean               visible)
{
  g_return_if_fail (PICKY_IS_CONVERSATION_VIEW (self));

  gtk_widget_set_visible (GTK_WIDGET (self->back_button), visible);
}

/**
 * picky_conversation_view_get_details_button:
 *
 * Returns: (transfer none): the toggle in the header that shows the
 *   contact, for a layout with no room for the contact beside the
 *   conversation; hidden until shown
 */
GtkWidget *
picky_conversation_view_get_details_button (PickyConversationView *self)
{
  g_return_val_if_fail (PICKY_IS_CONVERSATION_VIEW (self), NULL);

  return GTK_WIDGET (self->details_button);
}
