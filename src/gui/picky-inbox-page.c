/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inbox page: the live list of conversations, their search, and the open one beside it. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-app-catalog.h"
#include "picky-clock.h"
#include "picky-contact-panel.h"
#include "picky-conversation-list.h"
#include "picky-conversation-row.h"
#include "picky-inbox-page.h"
#include "picky-inbox-row.h"

/* How many people and messages a search shows of each. */
#define SEARCH_LIMIT 50

struct _PickyInboxPage
{
  AdwBin                 parent_instance;

  /* template widgets */
  AdwLeaflet            *leaflet;
  GtkWidget             *list_pane;
  GtkSearchBar          *search_bar;
  GtkSearchEntry        *search_entry;
  GtkFlowBox            *chips_box;
  GtkToggleButton       *all_chip;       /* active exactly when no app chip is */
  GtkDropDown           *status_dropdown;
  GtkDropDown           *channel_dropdown;
  GtkStack              *list_stack;
  AdwStatusPage         *empty_page;
  GtkWidget             *channels_button;
  AdwStatusPage         *placeholder_page;
  GtkScrolledWindow     *list_scroller;
  GtkListView           *list_view;
  GtkWidget             *people_heading;
  GtkListBox            *people_list;
  GtkWidget             *messages_heading;
  GtkListBox            *messages_list;
  GtkButton             *new_button;
  GtkStack              *conversation_stack;
  PickyConversationView *conversation_view;
  AdwFlap               *details_flap;
  PickyContactPanel     *contact_panel;

  /* owned */
  PickyService          *service;
  PickyOutbox           *outbox;
  PickyConversationList *conversations;
  GCancellable          *cancellable;
  GCancellable          *search_cancellable;  /* of the search under way */
  GPtrArray             *message_hits;        /* PickyConversationHit, as the messages found list them */
  guint                  search_pending;      /* 0, 1 or 2 halves of a search still to come */
  GArray                *channel_ids;    /* gint64, one per dropdown item after "All" */
  GPtrArray             *chips;          /* GtkToggleButton, borrowed: All Apps, then the catalog's */
  GHashTable            *present_apps;   /* app ids with a channel or messages */
  guint                  n_new;
  guint                  follow_top_id;  /* idle that shows a batch that came in at the top */
  gboolean               syncing_chips;
};

G_DEFINE_FINAL_TYPE (PickyInboxPage, picky_inbox_page, ADW_TYPE_BIN)

/* The apps whose chips are on; empty when every app is shown. */
static GStrv
chosen_apps (PickyInboxPage *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < self->chips->len; i++)
    {
      GtkWidget *chip = self->chips->pdata[i];
      const char *app = g_object_get_data (G_OBJECT (chip), "picky-app-id");

      if (app != NULL && gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (chip)))
        g_strv_builder_add (builder, app);
    }

  return g_strv_builder_end (builder);
}

static gboolean
filters_active (PickyInboxPage *self)
{
  return !gtk_toggle_button_get_active (self->all_chip) ||
         gtk_drop_down_get_selected (self->status_dropdown) != PICKY_CONVERSATION_FILTER_OPEN ||
         gtk_drop_down_get_selected (self->channel_dropdown) > 0 ||
         *gtk_editable_get_text (GTK_EDITABLE (self->search_entry)) != '\0';
}

static void
update_list_stack (PickyInboxPage *self)
{
  guint n = self->conversations != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->conversations)) : 0;
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  const char *shown;

  if (*search != '\0')
    shown = self->search_pending > 0 ||
            gtk_list_box_get_row_at_index (self->people_list, 0) != NULL ||
            gtk_list_box_get_row_at_index (self->messages_list, 0) != NULL ? "results" : "none";
  else if (n > 0)
    shown = "list";
  else
    shown = filters_active (self) ? "none" : "empty";
  gtk_stack_set_visible_child_name (self->list_stack, shown);

  /* Beside an empty list that shows its own picture, the conversation
   * side shows none: one picture for one empty Inbox. */
  adw_status_page_set_icon_name (self->placeholder_page,
                                 g_str_equal (shown, "list") ? "picky-inbox-symbolic" : NULL);
}

/* With a channel connected, an empty Inbox is waiting for customers, and
 * sending the admin to connect one would be wrong. */
static void
update_empty_page (PickyInboxPage *self)
{
  PickyChannelRegistry *registry = self->service != NULL ? picky_service_get_registry (self->service) : NULL;
  gboolean connected = registry != NULL &&
                       g_list_model_get_n_items (picky_channel_registry_get_channels (registry)) > 0;

  gtk_widget_set_visible (self->channels_button, !connected);
  adw_status_page_set_description (self->empty_page,
                                   connected ? _("Messages from your customers appear here as they arrive.")
                                             : _("Messages from your customers appear here as they arrive. Connect a Telegram bot, a WhatsApp number or a phone on the Channels page to start receiving them."));
}

static void
update_new_button (PickyInboxPage *self)
{
  g_autofree char *label = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->new_button), self->n_new > 0);
  if (self->n_new == 0)
    return;

  label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u conversation with news", "%u conversations with news",
                                       self->n_new),
                           self->n_new);
  gtk_button_set_label (self->new_button, label);
}

static gboolean
at_top (PickyInboxPage *self)
{
  return gtk_adjustment_get_value (gtk_scrolled_window_get_vadjustment (self->list_scroller)) < 1.0;
}

static void
scroll_to_top (PickyInboxPage *self)
{
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->list_scroller), 0);
  self->n_new = 0;
  update_new_button (self);
}

static void
on_new_button_clicked_cb (PickyInboxPage *self)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->conversations)) > 0)
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", 0);
  scroll_to_top (self);
}

static void
on_scroll_value_changed_cb (PickyInboxPage *self)
{
  if (self->n_new > 0 && at_top (self))
    {
      self->n_new = 0;
      update_new_button (self);
    }
}

static gboolean
follow_top_cb (gpointer data)
{
  PickyInboxPage *self = data;

  self->follow_top_id = 0;
  if (g_list_model_get_n_items (G_LIST_MODEL (self->conversations)) > 0)
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", 0);

  return G_SOURCE_REMOVE;
}

static void
on_conversations_items_changed_cb (PickyInboxPage *self)
{
  update_list_stack (self);
}

/* News put conversations on top of a list that had rows: pages append, a
 * new filter starts from empty, so only a batch of news comes here. */
static void
on_conversations_raised_cb (PickyInboxPage *self,
                            guint           n_raised)
{
  /* The view keeps its rows where they are when new ones come above; an
   * admin reading further down gets a button instead of a jump. */
  if (!at_top (self))
    {
      self->n_new += n_raised;
      update_new_button (self);
    }
  else if (self->follow_top_id == 0)
    {
      /* Not from within the model's signal: the view must not be asked to
       * move while it is still taking in a change. High priority, so that
       * the next frame already shows the new top. */
      self->follow_top_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, follow_top_cb, self, NULL);
    }
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              PickyInboxPage           *self)
{
  gtk_list_item_set_child (item, picky_conversation_row_new ());
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             PickyInboxPage           *self)
{
  picky_conversation_row_set_conversation (PICKY_CONVERSATION_ROW (gtk_list_item_get_child (item)),
                                           gtk_list_item_get_item (item));
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               PickyInboxPage           *self)
{
  picky_conversation_row_set_conversation (PICKY_CONVERSATION_ROW (gtk_list_item_get_child (item)), NULL);
}

static void run_search                  (PickyInboxPage *self);
static void update_conversation_actions (PickyInboxPage *self);

static PickyConversationFilter
current_filter (PickyInboxPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->status_dropdown);

  return selected <= PICKY_CONVERSATION_FILTER_ALL ? (PickyConversationFilter) selected
                                                   : PICKY_CONVERSATION_FILTER_OPEN;
}

static gint64
current_channel (PickyInboxPage *self)
{
  guint channel = gtk_drop_down_get_selected (self->channel_dropdown);

  if (channel != GTK_INVALID_LIST_POSITION && channel > 0 && channel <= self->channel_ids->len)
    return g_array_index (self->channel_ids, gint64, channel - 1);
  return 0;
}

static void
on_filters_changed_cb (PickyInboxPage *self)
{
  guint channel = gtk_drop_down_get_selected (self->channel_dropdown);
  g_auto(GStrv) apps = NULL;
  gint64 channel_id = 0;

  if (self->conversations == NULL)
    return;

  if (channel != GTK_INVALID_LIST_POSITION && channel > 0 && channel <= self->channel_ids->len)
    channel_id = g_array_index (self->channel_ids, gint64, channel - 1);

  self->n_new = 0;
  update_new_button (self);
  apps = chosen_apps (self);
  picky_conversation_list_set_filter (self->conversations, current_filter (self), (const char * const *) apps,
                                      channel_id);
  run_search (self);
  update_list_stack (self);
}

/* App chips add up; "All Apps" is on exactly when none of them is, so
 * choosing it turns them off and turning the last one off brings it back. */
static void
on_app_chip_toggled_cb (GtkToggleButton *chip,
                        PickyInboxPage  *self)
{
  g_auto(GStrv) apps = NULL;

  if (self->syncing_chips)
    return;

  self->syncing_chips = TRUE;
  if (chip == self->all_chip && gtk_toggle_button_get_active (chip))
    {
      for (guint i = 1; i < self->chips->len; i++)
        gtk_toggle_button_set_active (self->chips->pdata[i], FALSE);
    }
  apps = chosen_apps (self);
  gtk_toggle_button_set_active (self->all_chip, apps[0] == NULL);
  self->syncing_chips = FALSE;

  on_filters_changed_cb (self);
}

/* Only apps the console hears from get a chip: a row of twelve apps of
 * which two are connected would hide the two among the ten. */
static gboolean
chip_shown_cb (GtkFlowBoxChild *child,
               gpointer         user_data)
{
  PickyInboxPage *self = user_data;
  const char *app = g_object_get_data (G_OBJECT (gtk_flow_box_child_get_child (child)), "picky-app-id");

  return app == NULL || g_hash_table_contains (self->present_apps, app);
}

static void
add_chip (PickyInboxPage *self,
          GtkWidget      *chip)
{
  GtkWidget *child = gtk_flow_box_child_new ();

  /* The chip takes the focus, not the box around it. */
  gtk_widget_set_focusable (child, FALSE);
  gtk_flow_box_child_set_child (GTK_FLOW_BOX_CHILD (child), chip);
  gtk_flow_box_append (self->chips_box, child);
  g_ptr_array_add (self->chips, chip);
  g_signal_connect (chip, "toggled", G_CALLBACK (on_app_chip_toggled_cb), self);
}

static void
add_app_chips (PickyInboxPage *self)
{
  const PickyAppInfo * const *apps = picky_app_catalog_list ();
  GtkWidget *all = gtk_toggle_button_new_with_label (_("All Apps"));

  self->all_chip = GTK_TOGGLE_BUTTON (all);
  gtk_widget_add_css_class (all, "chip");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (all), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (all), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Show messages of every app"), -1);
  /* Its label names it too, which a screen reader would read after the name. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (all), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  add_chip (self, all);

  for (guint i = 0; apps[i] != NULL; i++)
    {
      const char *name = picky_app_info_get_display_name (apps[i]);
      g_autofree char *label = NULL;
      GtkWidget *chip = gtk_toggle_button_new ();
      GtkWidget *content = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);

      gtk_box_append (GTK_BOX (content), gtk_image_new_from_icon_name (picky_app_info_get_icon_name (apps[i])));
      gtk_box_append (GTK_BOX (content), gtk_label_new (name));
      gtk_button_set_child (GTK_BUTTON (chip), content);
      gtk_widget_add_css_class (chip, "chip");
      /* Translators: the accessible name of a filter chip, e.g. "Show WhatsApp messages";
       * several chips can be on at once */
      label = g_strdup_printf (_("Show %s messages"), name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (chip), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
      gtk_widget_set_tooltip_text (chip, label);
      g_object_set_data_full (G_OBJECT (chip), "picky-app-id", g_strdup (picky_app_info_get_id (apps[i])), g_free);
      add_chip (self, chip);
    }
  gtk_flow_box_set_filter_func (self->chips_box, chip_shown_cb, self, NULL);
}

/* An app shows its chip from its first channel or message on. */
static void
add_present_app (PickyInboxPage *self,
                 const char     *app)
{
  if (app == NULL || g_hash_table_contains (self->present_apps, app))
    return;

  g_hash_table_add (self->present_apps, g_strdup (app));
  gtk_flow_box_invalidate_filter (self->chips_box);
}

static void
on_app_probed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PickyInboxPage) self = user_data;
  g_auto(GStrv) apps = NULL;
  g_autoptr(GError) error = NULL;

  apps = picky_store_list_message_apps_finish (PICKY_STORE (object), result, &error);
  for (guint i = 0; apps != NULL && apps[i] != NULL; i++)
    add_present_app (self, apps[i]);
  if (apps == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Looking for the apps with messages: %s", error->message);
}

/* Apps whose channel is gone still have their messages. */
static void
probe_apps (PickyInboxPage *self)
{
  picky_store_list_message_apps_async (picky_service_get_store (self->service), self->cancellable,
                                       on_app_probed_cb, g_object_ref (self));
}

static void
setup_choice_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  ellipsize)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (GPOINTER_TO_INT (ellipsize))
    gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (item, label);
}

static void
bind_choice_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  ellipsize)
{
  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)),
                       gtk_string_object_get_string (gtk_list_item_get_item (item)));
}

/* A drop-down is as wide as its longest choice; on a phone the two of
 * them side by side must fit in 360 pixels, so the choice shown shortens
 * with an ellipsis, and the list that opens shows each whole. */
static void
let_shrink (GtkDropDown *dropdown)
{
  g_autoptr(GtkListItemFactory) shown = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkListItemFactory) listed = gtk_signal_list_item_factory_new ();

  g_signal_connect (shown, "setup", G_CALLBACK (setup_choice_cb), GINT_TO_POINTER (TRUE));
  g_signal_connect (shown, "bind", G_CALLBACK (bind_choice_cb), NULL);
  g_signal_connect (listed, "setup", G_CALLBACK (setup_choice_cb), GINT_TO_POINTER (FALSE));
  g_signal_connect (listed, "bind", G_CALLBACK (bind_choice_cb), NULL);
  gtk_drop_down_set_factory (dropdown, shown);
  gtk_drop_down_set_list_factory (dropdown, listed);
}

static void
fill_channels (PickyInboxPage *self)
{
  PickyChannelRegistry *registry = picky_service_get_registry (self->service);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  GListModel *channels;

  gtk_string_list_append (names, _("All Channels"));
  g_array_set_size (self->channel_ids, 0);
  if (registry != NULL)
    {
      channels = picky_channel_registry_get_channels (registry);
      for (guint i = 0; i < g_list_model_get_n_items (channels); i++)
        {
          g_autoptr(PickyChannel) channel = g_list_model_get_item (channels, i);
          gint64 id = picky_channel_get_id (channel);

          gtk_string_list_append (names, picky_channel_get_name (channel));
          g_array_append_val (self->channel_ids, id);
          add_present_app (self, picky_channel_get_app (channel));
        }
    }

  /* Setting the model resets the choice to "All"; the list follows. */
  gtk_drop_down_set_model (self->channel_dropdown, G_LIST_MODEL (names));
  update_empty_page (self);
}

static void
on_marked_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The list follows through conversations-changed. */
  if (picky_store_mark_read_finish (PICKY_STORE (object), result, &error) < 0 &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Marking read: %s", error->message);
}

static void
mark_conversation_read (PickyInboxPage *self)
{
  gint64 contact_id = picky_conversation_view_get_contact_id (self->conversation_view);

  if (contact_id > 0)
    picky_store_mark_read_async (picky_service_get_store (self->service), contact_id,
                                 self->cancellable, on_marked_read_cb, NULL);
}

static void
show_opened (PickyInboxPage *self)
{
  update_conversation_actions (self);
  gtk_stack_set_visible_child_name (self->conversation_stack, "conversation");
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->conversation_stack));
  picky_contact_panel_set_conversation (self->contact_panel,
                                        picky_conversation_view_get_conversation (self->conversation_view));
}

static void
open_conversation (PickyInboxPage    *self,
                   PickyConversation *conversation,
                   gint64             target_id)
{
  picky_conversation_view_open_conversation (self->conversation_view, conversation, target_id);
  show_opened (self);
}

static void
open_message (PickyInboxPage *self,
              PickyMessage   *message)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->conversations));

  /* Most often the conversation is near the top of the list already. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PickyConversation) conversation = g_list_model_get_item (G_LIST_MODEL (self->conversations), i);

      if (picky_conversation_get_contact_id (conversation) == picky_message_get_contact_id (message) &&
          picky_conversation_get_channel_id (conversation) == picky_message_get_channel_id (message))
        {
          open_conversation (self, conversation, 0);
          return;
        }
    }

  picky_conversation_view_open (self->conversation_view, message);
  show_opened (self);
}

static void
on_list_view_activate_cb (PickyInboxPage *self,
                          guint           position)
{
  g_autoptr(PickyConversation) conversation = g_list_model_get_item (G_LIST_MODEL (self->conversations), position);

  if (conversation != NULL)
    open_conversation (self, conversation, 0);
}

/* A message for the conversation the admin is looking at is read at once. */
static void
on_store_messages_added_cb (PickyInboxPage *self,
                            GPtrArray      *messages)
{
  gint64 contact_id = picky_conversation_view_get_contact_id (self->conversation_view);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  for (guint i = 0; i < messages->len; i++)
    add_present_app (self, picky_message_get_app (messages->pdata[i]));

  if (contact_id == 0 || !gtk_widget_get_mapped (GTK_WIDGET (self->conversation_view)) ||
      !GTK_IS_WINDOW (root) || !gtk_window_is_active (GTK_WINDOW (root)))
    return;

  for (guint i = 0; i < messages->len; i++)
    if (picky_message_get_contact_id (messages->pdata[i]) == contact_id &&
        picky_message_get_unread (messages->pdata[i]))
      {
        mark_conversation_read (self);
        return;
      }
}

static void
clear_list_box (GtkListBox *box)
{
  GtkWidget *row;

  while ((row = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_list_box_remove (box, row);
}

/* One search is a half for people and a half for messages; the results
 * show once both are in, so that the groups do not jump as they arrive. */
static void
search_half_done (PickyInboxPage *self)
{
  gboolean people = gtk_list_box_get_row_at_index (self->people_list, 0) != NULL;
  gboolean messages = gtk_list_box_get_row_at_index (self->messages_list, 0) != NULL;

  if (self->search_pending > 0)
    self->search_pending--;
  gtk_widget_set_visible (self->people_heading, people);
  gtk_widget_set_visible (GTK_WIDGET (self->people_list), people);
  gtk_widget_set_visible (self->messages_heading, messages);
  gtk_widget_set_visible (GTK_WIDGET (self->messages_list), messages);
  update_list_stack (self);
}

static void
on_people_found_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PickyInboxPage) self = user_data;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;

  found = picky_store_search_conversations_finish (PICKY_STORE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (found == NULL)
    g_debug ("Searching people: %s", error->message);

  for (guint i = 0; found != NULL && i < found->len; i++)
    {
      GtkWidget *row = picky_conversation_row_new ();

      picky_conversation_row_set_conversation (PICKY_CONVERSATION_ROW (row), found->pdata[i]);
      gtk_list_box_append (self->people_list, row);
    }
  search_half_done (self);
}

static void
on_messages_found_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(PickyInboxPage) self = user_data;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;
  const char *words = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  gint64 now = picky_clock_get_now (picky_clock_get_default ());

  found = picky_store_search_conversation_messages_finish (PICKY_STORE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (found == NULL)
    g_debug ("Searching messages: %s", error->message);

  g_clear_pointer (&self->message_hits, g_ptr_array_unref);
  self->message_hits = found != NULL ? g_ptr_array_ref (found) : NULL;
  for (guint i = 0; found != NULL && i < found->len; i++)
    {
      PickyConversationHit *hit = found->pdata[i];
      GtkWidget *row = picky_inbox_row_new ();

      picky_inbox_row_set_message (PICKY_INBOX_ROW (row), hit->message, words, now);
      gtk_list_box_append (self->messages_list, row);
    }
  search_half_done (self);
}

/* People by name or number and messages by text, within the app and
 * channel filters but whatever their state: a search looks for someone. */
static void
run_search (PickyInboxPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_auto(GStrv) apps = chosen_apps (self);
  PickyConversationQuery query = { 0, };
  PickyStore *store;

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  clear_list_box (self->people_list);
  clear_list_box (self->messages_list);
  g_clear_pointer (&self->message_hits, g_ptr_array_unref);
  self->search_pending = 0;

  if (self->service == NULL || !picky_service_get_ready (self->service) || *text == '\0')
    return;

  store = picky_service_get_store (self->service);
  self->search_cancellable = g_cancellable_new ();
  query.filter = PICKY_CONVERSATION_FILTER_ALL;
  query.apps = (const char * const *) apps;
  query.channel_id = current_channel (self);
  query.limit = SEARCH_LIMIT;
  self->search_pending = 2;
  picky_store_search_conversations_async (store, text, &query, self->search_cancellable,
                                          on_people_found_cb, g_object_ref (self));
  picky_store_search_conversation_messages_async (store, text, &query, self->search_cancellable,
                                                  on_messages_found_cb, g_object_ref (self));
}

static void
on_people_list_row_activated_cb (PickyInboxPage *self,
                                 GtkListBoxRow  *row)
{
  PickyConversationRow *shown = PICKY_CONVERSATION_ROW (gtk_list_box_row_get_child (row));

  open_conversation (self, picky_conversation_row_get_conversation (shown), 0);
}

/* A message found opens its conversation scrolled to it, highlighted. */
static void
on_messages_list_row_activated_cb (PickyInboxPage *self,
                                   GtkListBoxRow  *row)
{
  int index = gtk_list_box_row_get_index (row);
  PickyConversationHit *hit;

  if (self->message_hits == NULL || index < 0 || (guint) index >= self->message_hits->len)
    return;

  hit = self->message_hits->pdata[index];
  open_conversation (self, hit->conversation, picky_message_get_id (hit->message));
}

static void
on_search_entry_stop_search_cb (PickyInboxPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

static void
picky_inbox_page_search (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  PickyInboxPage *self = PICKY_INBOX_PAGE (widget);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static PickyStore *
get_store (PickyInboxPage *self)
{
  return self->service != NULL && picky_service_get_ready (self->service) ? picky_service_get_store (self->service)
                                                                         : NULL;
}

static gint64
open_conversation_id (PickyInboxPage *self)
{
  PickyConversation *conversation = picky_conversation_view_get_conversation (self->conversation_view);

  return conversation != NULL ? picky_conversation_get_id (conversation) : 0;
}

static void
update_conversation_actions (PickyInboxPage *self)
{
  gboolean open = open_conversation_id (self) != 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "inbox.toggle-done", open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "inbox.mark-unread", open);
}

static void
on_done_set_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The list and the view follow through conversations-changed. */
  if (!picky_store_set_conversation_done_finish (PICKY_STORE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("A conversation could not be marked Done: %s", error->message);
}

static void
picky_inbox_page_toggle_done (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  PickyInboxPage *self = PICKY_INBOX_PAGE (widget);
  PickyConversation *conversation = picky_conversation_view_get_conversation (self->conversation_view);

  if (get_store (self) == NULL || open_conversation_id (self) == 0)
    return;

  picky_store_set_conversation_done_async (get_store (self), picky_conversation_get_id (conversation),
                                           !picky_conversation_get_done (conversation), self->cancellable,
                                           on_done_set_cb, NULL);
}

static void
on_unread_set_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!picky_store_mark_conversation_unread_finish (PICKY_STORE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("A conversation could not be marked unread: %s", error->message);
}

static void
picky_inbox_page_mark_unread (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  PickyInboxPage *self = PICKY_INBOX_PAGE (widget);

  if (get_store (self) == NULL || open_conversation_id (self) == 0)
    return;

  picky_store_mark_conversation_unread_async (get_store (self), open_conversation_id (self), self->cancellable,
                                              on_unread_set_cb, NULL);
  /* Left for later: back to the list, where it shows unread again. */
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* The conversation above or below the open one in the list, as the keys
 * move through mail. */
static void
picky_inbox_page_step (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  PickyInboxPage *self = PICKY_INBOX_PAGE (widget);
  int step = g_variant_get_int32 (parameter);
  guint n = self->conversations != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->conversations)) : 0;
  guint position = 0;
  g_autoptr(PickyConversation) next = NULL;

  if (n == 0)
    return;

  if (open_conversation_id (self) != 0 &&
      picky_conversation_list_find (self->conversations, open_conversation_id (self), &position))
    {
      if ((step < 0 && position == 0) || (step > 0 && position + 1 >= n))
        return;
      position += step;
    }
  else if (step < 0)
    position = 0;

  next = g_list_model_get_item (G_LIST_MODEL (self->conversations), position);
  gtk_selection_model_select_item (gtk_list_view_get_model (self->list_view), position, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", position);
  open_conversation (self, next, 0);
}

static void
picky_inbox_page_back (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  PickyInboxPage *self = PICKY_INBOX_PAGE (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
update_back_button (PickyInboxPage *self)
{
  gboolean folded = adw_leaflet_get_folded (self->leaflet);


  /* Side by side, the list is in view already: no way back to show. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "inbox.back", folded);
  picky_conversation_view_set_back_visible (self->conversation_view, folded);
}

static void
start_inbox (PickyInboxPage *self)
{
  g_autoptr(GtkListItemFactory) factory = NULL;
  g_autoptr(GtkSingleSelection) selection = NULL;

  if (self->conversations != NULL || !picky_service_get_ready (self->service))
    return;

  self->conversations = picky_conversation_list_new (picky_service_get_store (self->service));
  self->outbox = picky_outbox_new (picky_service_get_store (self->service),
                                   picky_service_get_registry (self->service));
  picky_conversation_view_set_service (self->conversation_view, self->service, self->outbox);
  picky_contact_panel_set_store (self->contact_panel, picky_service_get_store (self->service));

  g_signal_connect_object (picky_service_get_store (self->service), "messages-added",
                           G_CALLBACK (on_store_messages_added_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (picky_channel_registry_get_channels (picky_service_get_registry (self->service)),
                           "items-changed", G_CALLBACK (fill_channels), self, G_CONNECT_SWAPPED);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), self);
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->conversations)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  /* After the view's own handler, so that the view has taken in the new
   * rows when this one looks at where it is scrolled. */
  g_signal_connect_object (self->conversations, "items-changed",
                           G_CALLBACK (on_conversations_items_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->conversations, "raised",
                           G_CALLBACK (on_conversations_raised_cb), self, G_CONNECT_SWAPPED);

  fill_channels (self);
  on_filters_changed_cb (self);
  probe_apps (self);
}

static void
picky_inbox_page_dispose (GObject *object)
{
  PickyInboxPage *self = PICKY_INBOX_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->follow_top_id, g_source_remove);
  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  g_clear_object (&self->conversations);
  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_pointer (&self->message_hits, g_ptr_array_unref);
  g_clear_object (&self->outbox);
  g_clear_object (&self->service);

  G_OBJECT_CLASS (picky_inbox_page_parent_class)->dispose (object);
}

static void
picky_inbox_page_finalize (GObject *object)
{
  PickyInboxPage *self = PICKY_INBOX_PAGE (object);

  g_clear_pointer (&self->channel_ids, g_array_unref);
  g_clear_pointer (&self->chips, g_ptr_array_unref);
  g_clear_pointer (&self->present_apps, g_hash_table_unref);

  G_OBJECT_CLASS (picky_inbox_page_parent_class)->finalize (object);
}

static void
picky_inbox_page_class_init (PickyInboxPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_inbox_page_dispose;
  object_class->finalize = picky_inbox_page_finalize;

  g_type_ensure (PICKY_TYPE_CONVERSATION_VIEW);
  g_type_ensure (PICKY_TYPE_CONTACT_PANEL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-inbox-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, list_pane);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, search_bar);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, chips_box);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, channel_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, channels_button);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, placeholder_page);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, list_scroller);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, people_heading);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, people_list);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, messages_heading);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, messages_list);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, new_button);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, conversation_stack);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, conversation_view);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, details_flap);
  gtk_widget_class_bind_template_child (widget_class, PickyInboxPage, contact_panel);
  gtk_widget_class_bind_template_callback (widget_class, on_filters_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_search_entry_stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_new_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_list_view_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_people_list_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_messages_list_row_activated_cb);

  gtk_widget_class_install_action (widget_class, "inbox.search", NULL, picky_inbox_page_search);
  gtk_widget_class_install_action (widget_class, "inbox.back", NULL, picky_inbox_page_back);
  gtk_widget_class_install_action (widget_class, "inbox.toggle-done", NULL, picky_inbox_page_toggle_done);
  gtk_widget_class_install_action (widget_class, "inbox.mark-unread", NULL, picky_inbox_page_mark_unread);
  gtk_widget_class_install_action (widget_class, "inbox.step", "i", picky_inbox_page_step);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK, "inbox.toggle-done", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_u, GDK_CONTROL_MASK, "inbox.mark-unread", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, GDK_ALT_MASK, "inbox.step", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, GDK_ALT_MASK, "inbox.step", "i", -1);
}

static void
picky_inbox_page_init (PickyInboxPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->channel_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->chips = g_ptr_array_new ();
  self->present_apps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  add_app_chips (self);
  let_shrink (self->status_dropdown);
  let_shrink (self->channel_dropdown);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self->list_pane));
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->list_scroller), "value-changed",
                           G_CALLBACK (on_scroll_value_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->leaflet, "notify::folded", G_CALLBACK (update_back_button), self,
                           G_CONNECT_SWAPPED);
  /* Read once it is shown where it opens: opening looks for the first
   * unread message, which marking read first would hide. */
  g_signal_connect_object (self->conversation_view, "opened", G_CALLBACK (mark_conversation_read), self,
                           G_CONNECT_SWAPPED);
  update_conversation_actions (self);
  /* Folded, the contact is a toggle away; side by side, always there. */
  g_object_bind_property (self->details_flap, "folded",
                          picky_conversation_view_get_details_button (self->conversation_view), "visible",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->details_flap, "reveal-flap",
                          picky_conversation_view_get_details_button (self->conversation_view), "active",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  update_back_button (self);
  update_list_stack (self);
  update_empty_page (self);
}

/**
 * picky_inbox_page_set_service:
 * @service: the console's service, started or starting
 *
 * Lists the service's messages once its store is open.
 */
void
picky_inbox_page_set_service (PickyInboxPage *self,
                              PickyService   *service)
{
  g_return_if_fail (PICKY_IS_INBOX_PAGE (self));
  g_return_if_fail (PICKY_IS_SERVICE (service));
  g_return_if_fail (self->service == NULL);

  self->service = g_object_ref (service);
  g_signal_connect_object (service, "notify::ready", G_CALLBACK (start_inbox), self, G_CONNECT_SWAPPED);
  start_inbox (self);
}

/**
 * picky_inbox_page_get_conversations:
 *
 * Returns: (transfer none) (nullable): the conversations shown, newest
 *   activity first, once the service is ready
 */
GListModel *
picky_inbox_page_get_conversations (PickyInboxPage *self)
{
  g_return_val_if_fail (PICKY_IS_INBOX_PAGE (self), NULL);

  return G_LIST_MODEL (self->conversations);
}

PickyConversationView *
picky_inbox_page_get_conversation (PickyInboxPage *self)
{
  g_return_val_if_fail (PICKY_IS_INBOX_PAGE (self), NULL);

  return self->conversation_view;
}

/**
 * picky_inbox_page_get_n_new:
 *
 * Returns: how many conversations moved above the rows the admin is reading
 */
guint
picky_inbox_page_get_n_new (PickyInboxPage *self)
{
  g_return_val_if_fail (PICKY_IS_INBOX_PAGE (self), 0);

  return self->n_new;
}

static void
on_message_loaded_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(PickyInboxPage) self = user_data;
  g_autoptr(PickyMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  message = picky_store_get_message_finish (PICKY_STORE (object), result, &error);
  if (message != NULL)
    open_message (self, message);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Opening a message: %s", error->message);
}

/**
 * picky_inbox_page_open_message:
 *
 * Opens the conversation @message_id belongs to, as a notification's click does.
 */
void
picky_inbox_page_open_message (PickyInboxPage *self,
                               gint64          message_id)
{
  g_return_if_fail (PICKY_IS_INBOX_PAGE (self));

  if (self->service == NULL || !picky_service_get_ready (self->service))
    return;

  picky_store_get_message_async (picky_service_get_store (self->service), message_id,
                                 self->cancellable, on_message_loaded_cb, g_object_ref (self));
}

/**
 * picky_inbox_page_start_search:
 *
 * Opens the search bar with the focus in it, as Ctrl+F does anywhere in
 * the window.
 */
void
picky_inbox_page_start_search (PickyInboxPage *self)
{
  g_return_if_fail (PICKY_IS_INBOX_PAGE (self));

  gtk_widget_activate_action (GTK_WIDGET (self), "inbox.search", NULL);
}
