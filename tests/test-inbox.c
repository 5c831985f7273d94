/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The live Inbox in a real window: conversations, their filters and search, the open one, replies, notifications. */

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <gdk/x11/gdkx.h>

#include "fakes/picky-fake-telegram.h"
#include "picky-clock.h"
#include "picky-contact-panel.h"
#include "picky-conversation-list.h"
#include "picky-conversation-row.h"
#include "picky-conversation-view.h"
#include "picky-inbox-page.h"
#include "picky-inbox-row.h"
#include "picky-message-bubble.h"
#include "picky-test-gui.h"
#include "picky-text-cell.h"
#include "picky-window.h"

#define T0 1770000000

/* A stand-in for the desktop's notification server: it owns
 * org.gtk.Notifications on the session bus, which is where GLib sends an
 * application's notifications when that name has an owner. */
typedef struct {
  GPtrArray *calls;     /* GVariant (sa{sv}) per AddNotification: id, notification */
} NotificationServer;

static const char notifications_xml[] =
  "<node><interface name='org.gtk.Notifications'>"
  "<method name='AddNotification'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='a{sv}' direction='in'/></method>"
  "<method name='RemoveNotification'><arg type='s' direction='in'/><arg type='s' direction='in'/></method>"
  "</interface></node>";

static void
on_notification_call_cb (GDBusConnection       *connection,
                         const char            *sender,
                         const char            *path,
                         const char            *interface,
                         const char            *method,
                         GVariant              *parameters,
                         GDBusMethodInvocation *invocation,
                         gpointer               user_data)
{
  NotificationServer *server = user_data;

  if (g_strcmp0 (method, "AddNotification") == 0)
    {
      const char *id;
      g_autoptr(GVariant) notification = NULL;

      g_variant_get (parameters, "(&s&s@a{sv})", NULL, &id, &notification);
      g_ptr_array_add (server->calls, g_variant_ref_sink (g_variant_new ("(s@a{sv})", id, notification)));
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
start_notification_server (NotificationServer *server)
{
  static const GDBusInterfaceVTable vtable = { on_notification_call_cb, NULL, NULL, { 0 } };
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (notifications_xml, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  server->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_dbus_connection_register_object (bus, "/org/gtk/Notifications", info->interfaces[0],
                                     &vtable, server, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.gtk.Notifications", 4),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

typedef struct {
  NotificationServer server;
  PickyApplication *app;
  PickyService     *service;
  PickyStore       *store;
  PickyWindow      *window;
  PickyInboxPage   *page;
} Fixture;

static gint64
add_channel (Fixture    *fixture,
             const char *app)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  picky_store_add_channel_async (fixture->store, app, app, app, "{}", NULL, picky_test_got_result_cb, &result);
  id = picky_store_add_channel_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return id;
}

static PickyMessage *
make_message (gint64      channel,
              const char *key,
              const char *contact,
              const char *text,
              gint64      timestamp)
{
  PickyMessage *message = picky_message_new ();

  picky_message_set_channel_id (message, channel);
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_provider_id (message, contact);
  picky_message_set_contact_name (message, contact);
  picky_message_set_direction (message, PICKY_DIRECTION_IN);
  picky_message_set_kind (message, PICKY_MESSAGE_KIND_TEXT);
  picky_message_set_text (message, text);
  picky_message_set_timestamp (message, timestamp);
  picky_message_set_received (message, timestamp);
  return message;
}

static void
ingest (Fixture   *fixture,
        GPtrArray *batch)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &result);
  picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
}

/* Fills @n messages from @contact on @channel, a minute apart from @start. */
static void
fill (Fixture    *fixture,
      gint64      channel,
      const char *contact,
      const char *text,
      guint       n,
      gint64      start)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("%s:%" G_GINT64_FORMAT ":%u", contact, start, i);

      g_ptr_array_add (batch, make_message (channel, key, contact, text, start + 60 * i));
      if (batch->len == 500 || i == n - 1)
        {
          ingest (fixture, batch);
          g_ptr_array_set_size (batch, 0);
        }
    }
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  /* Owned before the first notification, so GLib sends them all here; a
   * session bus without any notification server makes each one a warning. */
  start_notification_server (&fixture->server);
  fixture->app = picky_test_gui_application ();
  fixture->service = picky_application_get_service (fixture->app);
  picky_test_gui_wait_service_ready (fixture->service);
  fixture->store = picky_service_get_store (fixture->service);
}

static void
open_window (Fixture *fixture)
{
  fixture->window = picky_window_new (fixture->app);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1000, 700);
  gtk_window_present (GTK_WINDOW (fixture->window));
  picky_test_gui_wait_mapped (GTK_WIDGET (fixture->window));
  fixture->page = PICKY_INBOX_PAGE (picky_test_gui_find_only (GTK_WIDGET (fixture->window),
                                                              PICKY_TYPE_INBOX_PAGE));
  g_assert_nonnull (fixture->page);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->window != NULL)
    gtk_window_destroy (GTK_WINDOW (fixture->window));
  picky_test_spin (50);
  g_clear_object (&fixture->app);
  g_clear_pointer (&fixture->server.calls, g_ptr_array_unref);
}

static gboolean
list_settled (gpointer data)
{
  PickyConversationList *list = data;

  return list != NULL && !picky_conversation_list_get_loading (list) &&
         g_list_model_get_n_items (G_LIST_MODEL (list)) > 0;
}

static gboolean
list_idle (gpointer data)
{
  return !picky_conversation_list_get_loading (data);
}

static PickyConversationList *
wait_list (Fixture *fixture)
{
  PickyConversationList *list = NULL;

  for (guint i = 0; i < 200 && (list = (PickyConversationList *) picky_inbox_page_get_conversations (fixture->page)) == NULL; i++)
    picky_test_spin (20);
  g_assert_nonnull (list);
  g_assert_true (picky_test_wait_until (list_idle, list, 10000));
  return list;
}

typedef struct {
  guint calls;
  guint position;
  guint removed;
  guint added;
} Changes;

static void
on_items_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     Changes    *changes)
{
  changes->calls++;
  changes->position = position;
  changes->removed = removed;
  changes->added = added;
}

static gboolean
changed_once (gpointer data)
{
  return ((Changes *) data)->calls > 0;
}

/* Where the row of @conversation is, seen from the list's scroller; FALSE
 * when no row on screen shows it. */
static gboolean
row_offset (Fixture           *fixture,
            PickyConversation *conversation,
            double            *y)
{
  g_autoptr(GPtrArray) rows = picky_test_gui_find_all (GTK_WIDGET (fixture->page), PICKY_TYPE_CONVERSATION_ROW);

  for (guint i = 0; i < rows->len; i++)
    {
      GtkWidget *scroller = gtk_widget_get_ancestor (rows->pdata[i], GTK_TYPE_SCROLLED_WINDOW);
      graphene_rect_t bounds;

      if (picky_conversation_row_get_conversation (rows->pdata[i]) == conversation &&
          gtk_widget_get_mapped (rows->pdata[i]) &&
          gtk_widget_compute_bounds (rows->pdata[i], scroller, &bounds))
        {
          *y = bounds.origin.y;
          return TRUE;
        }
    }

  return FALSE;
}

/* A new message moves its conversation to the top in one change over the
 * rows between, and a row on screen shows it; a batch of several moves and
 * a newcomer is one change too, and an admin scrolled down keeps the row
 * they look at where it was, the selection, and a button that says how
 * many conversations have news. */
static void
test_inbox_live_batch (Fixture       *fixture,
                       gconstpointer  data)
{
  gint64 channel = add_channel (fixture, "telegram");
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(PickyConversation) first = NULL;
  Changes changes = { 0, };
  PickyConversationList *list;
  gboolean newest_shown = FALSE;
  gulong handler;

  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *key = g_strdup_printf ("old:%u", i);
      g_autofree char *contact = g_strdup_printf ("c%04u", i);

      g_ptr_array_add (batch, make_message (channel, key, contact, "older news", T0 + i));
    }
  ingest (fixture, batch);
  g_ptr_array_set_size (batch, 0);
  open_window (fixture);
  list = wait_list (fixture);
  g_assert_true (picky_test_wait_until (list_settled, list, 10000));
  picky_test_spin (200);

  /* Pages, not every conversation: the view asked for what it shows. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), <, 1000);
  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpstr (picky_conversation_get_display_name (first), ==, "c0999");
  g_clear_object (&first);

  handler = g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed_cb), &changes);
  g_ptr_array_add (batch, make_message (channel, "new:0", "c0990", "fresh news", T0 + 200000));
  ingest (fixture, batch);
  g_assert_true (picky_test_wait_until (changed_once, &changes, 5000));
  picky_test_spin (100);
  g_signal_handler_disconnect (list, handler);

  /* From row 9 to the top: the ten rows from the top to its old place. */
  g_assert_cmpuint (changes.calls, ==, 1);
  g_assert_cmpuint (changes.position, ==, 0);
  g_assert_cmpuint (changes.removed, ==, 10);
  g_assert_cmpuint (changes.added, ==, 10);
  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpstr (picky_conversation_get_display_name (first), ==, "c0990");
  g_assert_cmpuint (picky_conversation_get_unread (first), ==, 2);

  /* And a row on screen shows it. */
  picky_test_spin (200);
  rows = picky_test_gui_find_all (GTK_WIDGET (fixture->page), PICKY_TYPE_CONVERSATION_ROW);
  for (guint i = 0; i < rows->len; i++)
    if (picky_conversation_row_get_conversation (rows->pdata[i]) == first &&
        g_strcmp0 (picky_conversation_row_get_preview (rows->pdata[i]), "fresh news") == 0 &&
        gtk_widget_get_mapped (rows->pdata[i]))
      newest_shown = TRUE;
  g_assert_true (newest_shown);
  g_clear_object (&first);

  {
    g_autoptr(PickyConversation) watched = NULL;
    g_autoptr(PickyConversation) chosen = NULL;
    g_autoptr(GPtrArray) views = picky_test_gui_find_all (GTK_WIDGET (fixture->page), GTK_TYPE_LIST_VIEW);
    GtkListView *view = NULL;
    GtkSelectionModel *selection = NULL;
    const char *movers[] = { "c0995", "c0949", "c0930", "c0919", "newcomer" };
    GtkWidget *news;
    double before = 0;
    double after = 0;
    guint position;

    for (guint i = 0; i < views->len; i++)
      {
        GtkSelectionModel *model = gtk_list_view_get_model (views->pdata[i]);

        if (GTK_IS_SINGLE_SELECTION (model) &&
            gtk_single_selection_get_model (GTK_SINGLE_SELECTION (model)) == G_LIST_MODEL (list))
          {
            view = views->pdata[i];
            selection = model;
          }
      }
    g_assert_nonnull (view);

    /* The admin reads row 30 and has row 33 selected. */
    watched = g_list_model_get_item (G_LIST_MODEL (list), 30);
    chosen = g_list_model_get_item (G_LIST_MODEL (list), 33);
    gtk_widget_activate_action (GTK_WIDGET (view), "list.scroll-to-item", "u", 30);
    gtk_selection_model_select_item (selection, 33, TRUE);
    picky_test_spin (300);
    g_assert_true (row_offset (fixture, watched, &before));
    g_assert_cmpfloat (gtk_adjustment_get_value (gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view))), >, 1.0);

    /* One conversation above the watched row, three below it and one new. */
    g_ptr_array_set_size (batch, 0);
    for (guint i = 0; i < G_N_ELEMENTS (movers); i++)
      {
        g_autofree char *key = g_strdup_printf ("batch:%u", i);

        g_ptr_array_add (batch, make_message (channel, key, movers[i], "batch news", T0 + 300000 + i));
      }
    changes.calls = 0;
    handler = g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed_cb), &changes);
    ingest (fixture, batch);
    g_assert_true (picky_test_wait_until (changed_once, &changes, 5000));
    picky_test_spin (300);
    g_signal_handler_disconnect (list, handler);

    g_assert_cmpuint (changes.calls, ==, 1);
    g_assert_cmpuint (changes.position, ==, 0);
    first = g_list_model_get_item (G_LIST_MODEL (list), 0);
    g_assert_cmpstr (picky_conversation_get_display_name (first), ==, "newcomer");
    g_assert_true (picky_conversation_list_find (list, picky_conversation_get_id (watched), &position));
    g_assert_cmpuint (position, ==, 34);

    /* Still where it was on screen, and still the chosen row selected. */
    g_assert_true (row_offset (fixture, watched, &after));
    g_assert_cmpfloat (fabs (after - before), <=, 1.0);
    g_assert_true (gtk_single_selection_get_selected_item (GTK_SINGLE_SELECTION (selection)) == (gpointer) chosen);
    news = picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_BUTTON, "5 conversations with news");
    g_assert_nonnull (news);
    g_assert_true (gtk_widget_get_visible (news));
  }
}

static guint
count_all (PickyConversationList *list)
{
  /* Loads every page the filters leave. */
  g_assert_true (picky_test_wait_until (list_idle, list, 10000));
  while (!picky_conversation_list_get_complete (list))
    {
      picky_conversation_list_load_more (list);
      g_assert_true (picky_test_wait_until (list_idle, list, 10000));
    }
  return g_list_model_get_n_items (G_LIST_MODEL (list));
}

static GtkToggleButton *
find_toggle (Fixture    *fixture,
             const char *name)
{
  GtkWidget *toggle = picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_TOGGLE_BUTTON, name);

  g_assert_nonnull (toggle);
  return GTK_TOGGLE_BUTTON (toggle);
}

/* The filter chip of an app, by the app's name as the Inbox shows it. */
static GtkToggleButton *
find_chip (Fixture    *fixture,
           const char *app_name)
{
  g_autofree char *name = g_strdup_printf ("Show %s messages", app_name);

  return find_toggle (fixture, name);
}

static GtkToggleButton *
find_all_chip (Fixture *fixture)
{
  return find_toggle (fixture, "Show messages of every app");
}

static GtkDropDown *
find_status (Fixture *fixture)
{
  GtkWidget *dropdown = picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_DROP_DOWN,
                                                   "Which conversations to show");

  g_assert_nonnull (dropdown);
  return GTK_DROP_DOWN (dropdown);
}

static void
test_inbox_filters (Fixture       *fixture,
                    gconstpointer  data)
{
  gint64 telegram = add_channel (fixture, "telegram");
  gint64 whatsapp = add_channel (fixture, "whatsapp");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyConversationList *list;
  g_autofree char *markup = NULL;

  fill (fixture, telegram, "tara", "hello from telegram", 12, T0);
  fill (fixture, whatsapp, "walt", "hello from whatsapp", 15, T0 + 30);
  fill (fixture, whatsapp, "wendy", "where is my invoice", 7, T0 + 50);
  fill (fixture, telegram, "tom", "Invoice paid, thanks", 4, T0 + 70);

  open_window (fixture);
  list = wait_list (fixture);
  /* One row per conversation, however many messages. */
  g_assert_cmpuint (count_all (list), ==, 4);

  gtk_toggle_button_set_active (find_chip (fixture, "WhatsApp"), TRUE);
  g_assert_cmpuint (count_all (list), ==, 2);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
    {
      g_autoptr(PickyConversation) conversation = g_list_model_get_item (G_LIST_MODEL (list), i);

      g_assert_cmpstr (picky_conversation_get_app (conversation), ==, "whatsapp");
    }

  /* Chips add up; All Apps goes off. */
  gtk_toggle_button_set_active (find_chip (fixture, "Telegram"), TRUE);
  g_assert_cmpuint (count_all (list), ==, 4);
  g_assert_false (gtk_toggle_button_get_active (find_all_chip (fixture)));
  gtk_toggle_button_set_active (find_chip (fixture, "WhatsApp"), FALSE);
  g_assert_cmpuint (count_all (list), ==, 2);

  /* Unread combines with the chip: Tara, the first contact, has read hers. */
  picky_store_mark_read_async (fixture->store, 1, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpint (picky_store_mark_read_finish (fixture->store, picky_test_wait_result (&result), &error), ==, 12);
  g_clear_object (&result);
  gtk_drop_down_set_selected (find_status (fixture), PICKY_CONVERSATION_FILTER_UNREAD);
  g_assert_cmpuint (count_all (list), ==, 1);

  /* All Apps turns the chips off again; the last chip turned off brings it back. */
  gtk_toggle_button_set_active (find_all_chip (fixture), TRUE);
  g_assert_false (gtk_toggle_button_get_active (find_chip (fixture, "Telegram")));
  g_assert_cmpuint (count_all (list), ==, 3);
  gtk_toggle_button_set_active (find_chip (fixture, "WhatsApp"), TRUE);
  g_assert_cmpuint (count_all (list), ==, 2);
  gtk_toggle_button_set_active (find_chip (fixture, "WhatsApp"), FALSE);
  g_assert_true (gtk_toggle_button_get_active (find_all_chip (fixture)));
  gtk_drop_down_set_selected (find_status (fixture), PICKY_CONVERSATION_FILTER_ALL);
  g_assert_cmpuint (count_all (list), ==, 4);

  markup = picky_inbox_highlight_markup ("Invoice paid, thanks", "invoice");
  g_assert_cmpstr (markup, ==, "<span weight=\"bold\" underline=\"single\">Invoice</span> paid, thanks");
}

static PickyConversationView *
open_first (Fixture *fixture)
{
  PickyConversationList *list = wait_list (fixture);
  g_autoptr(GPtrArray) views = picky_test_gui_find_all (GTK_WIDGET (fixture->page), GTK_TYPE_LIST_VIEW);
  GtkListView *view = NULL;

  /* The channel drop-down holds a list view of its own. */
  for (guint i = 0; i < views->len; i++)
    {
      GtkSelectionModel *model = gtk_list_view_get_model (views->pdata[i]);

      if (GTK_IS_SINGLE_SELECTION (model) &&
          gtk_single_selection_get_model (GTK_SINGLE_SELECTION (model)) == G_LIST_MODEL (list))
        view = views->pdata[i];
    }
  g_assert_nonnull (view);

  g_assert_true (picky_test_wait_until (list_settled, list, 10000));
  /* What a click or Enter on the first row does. */
  g_signal_emit_by_name (view, "activate", 0);
  return picky_inbox_page_get_conversation (fixture->page);
}

static gint64
count_unread (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  PickyPageQuery query = { .direction = -1, .limit = 1000, .unread_only = TRUE };

  picky_store_list_messages_async (fixture->store, &query, NULL, picky_test_got_result_cb, &result);
  page = picky_store_list_messages_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return page->len;
}

typedef struct {
  Fixture *fixture;
  gint64   expected;
} UnreadWait;

static gboolean
unread_is (gpointer data)
{
  UnreadWait *wait = data;

  return count_unread (wait->fixture) == wait->expected;
}

static gboolean
conversation_filled (gpointer data)
{
  return g_list_model_get_n_items (picky_conversation_view_get_messages (data)) > 0;
}

static void
test_inbox_conversation_read (Fixture       *fixture,
                              gconstpointer  data)
{
  gint64 channel = add_channel (fixture, "telegram");
  PickyConversationView *conversation;
  g_autoptr(PickyConversation) item = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  UnreadWait wait = { fixture, 3 };
  guint n_checked = 0;

  fill (fixture, channel, "carol", "one of three", 3, T0);
  fill (fixture, channel, "dave", "other", 2, T0 - 1000);
  g_assert_cmpint (count_unread (fixture), ==, 5);

  open_window (fixture);
  conversation = open_first (fixture);
  g_assert_true (picky_test_wait_until (conversation_filled, conversation, 5000));
  g_assert_cmpuint (g_list_model_get_n_items (picky_conversation_view_get_messages (conversation)), ==, 3);

  /* Carol's three are read; Dave's two are not. */
  wait.expected = 2;
  g_assert_true (picky_test_wait_until (unread_is, &wait, 5000));
  picky_test_spin (200);
  item = g_list_model_get_item (picky_inbox_page_get_conversations (fixture->page), 0);
  g_assert_cmpuint (picky_conversation_get_unread (item), ==, 0);

  /* The rows on screen lose their badge for Carol only. */
  rows = picky_test_gui_find_all (GTK_WIDGET (fixture->page), PICKY_TYPE_CONVERSATION_ROW);
  for (guint i = 0; i < rows->len; i++)
    {
      PickyConversation *shown = picky_conversation_row_get_conversation (rows->pdata[i]);
      g_autofree char *name = NULL;

      if (shown == NULL || !gtk_widget_get_mapped (rows->pdata[i]))
        continue;
      name = picky_test_gui_accessible_name (rows->pdata[i]);
      if (g_strcmp0 (picky_conversation_get_display_name (shown), "carol") == 0)
        g_assert_null (strstr (name, "unread"));
      else
        g_assert_nonnull (strstr (name, "2 unread"));
      n_checked++;
    }
  g_assert_cmpuint (n_checked, ==, 2);
}

static PickyMessage *
make_reaction (gint64      channel,
               const char *key,
               const char *contact,
               const char *target_key,
               const char *emoji,
               gint64      timestamp)
{
  PickyMessage *reaction = make_message (channel, key, contact, emoji, timestamp);

  picky_message_set_kind (reaction, PICKY_MESSAGE_KIND_REACTION);
  picky_message_set_related_key (reaction, target_key);
  return reaction;
}

/* The bubble on screen that shows the message with @text, if any. */
static PickyMessageBubble *
find_bubble (Fixture    *fixture,
             const char *text)
{
  g_autoptr(GPtrArray) bubbles = picky_test_gui_find_all (GTK_WIDGET (fixture->page), PICKY_TYPE_MESSAGE_BUBBLE);

  for (guint i = 0; i < bubbles->len; i++)
    {
      PickyMessage *shown = picky_message_bubble_get_message (bubbles->pdata[i]);

      if (shown != NULL && g_strcmp0 (picky_message_get_text (shown), text) == 0 &&
          gtk_widget_get_mapped (bubbles->pdata[i]))
        return bubbles->pdata[i];
    }

  return NULL;
}

typedef struct {
  Fixture    *fixture;
  const char *text;        /* of the message reacted to */
  const char *reactions;   /* what its bubble shows */
} BubbleWait;

static gboolean
bubble_shows (gpointer data)
{
  BubbleWait *wait = data;
  PickyMessageBubble *bubble = find_bubble (wait->fixture, wait->text);

  return bubble != NULL && g_strcmp0 (picky_message_bubble_get_reactions_text (bubble), wait->reactions) == 0;
}

/* A reaction shows on the message it reacts to, not as a row of its own;
 * one whose message is not in the conversation keeps its own row. */
static void
test_inbox_conversation_reactions (Fixture       *fixture,
                                   gconstpointer  data)
{
  gint64 channel = add_channel (fixture, "telegram");
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  PickyConversationView *conversation;
  GListModel *rows;
  BubbleWait wait = { fixture, NULL, NULL };

  g_ptr_array_add (batch, make_message (channel, "c1", "carol", "Where is my parcel?", T0));
  g_ptr_array_add (batch, make_message (channel, "c2", "carol", "It says delivered", T0 + 60));
  g_ptr_array_add (batch, make_reaction (channel, "r1", "carol", "c1", "👍", T0 + 120));
  g_ptr_array_add (batch, make_reaction (channel, "r2", "carol", "long-gone", "❤️", T0 + 180));
  ingest (fixture, batch);

  open_window (fixture);
  conversation = open_first (fixture);
  g_assert_true (picky_test_wait_until (conversation_filled, conversation, 5000));
  rows = picky_conversation_view_get_messages (conversation);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 3);
  wait.text = "Where is my parcel?";
  wait.reactions = "👍";
  g_assert_true (picky_test_wait_until (bubble_shows, &wait, 5000));
  {
    g_autoptr(PickyMessage) last = g_list_model_get_item (rows, 2);

    g_assert_cmpint (picky_message_get_kind (last), ==, PICKY_MESSAGE_KIND_REACTION);
    g_assert_cmpstr (picky_message_get_text (last), ==, "❤️");
  }

  /* A live reaction changes the bubble on screen and adds no row. */
  g_ptr_array_set_size (batch, 0);
  g_ptr_array_add (batch, make_reaction (channel, "r3", "carol", "c2", "😮", T0 + 240));
  ingest (fixture, batch);
  wait.text = "It says delivered";
  wait.reactions = "😮";
  g_assert_true (picky_test_wait_until (bubble_shows, &wait, 5000));
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 3);
}

typedef struct {
  Fixture    *fixture;
  const char *text;        /* of a message */
  gboolean    day_shown;   /* whether its bubble shows the day above it */
  const char *expected;    /* the day it shows */
} DayWait;

static gboolean
day_heading_is (gpointer data)
{
  DayWait *wait = data;
  PickyMessageBubble *bubble = find_bubble (wait->fixture, wait->text);

  return bubble != NULL && (picky_message_bubble_get_day_text (bubble) != NULL) == wait->day_shown;
}

/* A day heading belongs to the first row of a day, also when the row that
 * had it goes while both are on screen (as a reaction's own row goes once
 * older history brings the message it reacts to). */
static void
test_inbox_conversation_day_heading (Fixture       *fixture,
                                     gconstpointer  data)
{
  gint64 channel = add_channel (fixture, "telegram");
  gint64 day_two = T0 + 2 * 86400;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  PickyConversationView *conversation;
  GListModel *rows;
  DayWait wait = { fixture, "day two", FALSE };

  g_ptr_array_add (batch, make_message (channel, "a", "carol", "day one", T0));
  g_ptr_array_add (batch, make_reaction (channel, "r", "carol", "gone", "👍", day_two));
  g_ptr_array_add (batch, make_message (channel, "b", "carol", "day two", day_two + 60));
  ingest (fixture, batch);

  open_window (fixture);
  conversation = open_first (fixture);
  g_assert_true (picky_test_wait_until (conversation_filled, conversation, 5000));
  rows = picky_conversation_view_get_messages (conversation);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 3);
  g_assert_true (picky_test_wait_until (day_heading_is, &wait, 5000));

  g_list_store_remove (G_LIST_STORE (rows), 1);
  wait.day_shown = TRUE;
  g_assert_true (picky_test_wait_until (day_heading_is, &wait, 5000));
}

typedef struct {
  GListModel         *model;
  PickyMessageStatus  status;
} StatusWait;

static gboolean
last_status_is (gpointer data)
{
  StatusWait *wait = data;
  guint n = g_list_model_get_n_items (wait->model);
  g_autoptr(PickyMessage) last = n > 0 ? g_list_model_get_item (wait->model, n - 1) : NULL;

  return last != NULL && picky_message_get_direction (last) == PICKY_DIRECTION_OUT &&
         picky_message_get_status (last) == wait->status;
}

static gboolean
composer_ready (gpointer data)
{
  return picky_conversation_view_get_hint (data) == NULL;
}

static gboolean
composer_blocked (gpointer data)
{
  return picky_conversation_view_get_hint (data) != NULL;
}

static gint64
add_telegram (Fixture           *fixture,
              PickyFakeTelegram *server)
{
  g_autoptr(GHashTable) secrets = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *settings = g_strdup_printf ("{\"api_base\":\"%s\"}",
                                               picky_fake_telegram_get_base_url (server));
  gint64 id;

  g_hash_table_insert (secrets, (char *) "token", (char *) "7001234567:AAtestTESTtestTESTtestTEST_tok-en00");
  picky_access_set_push (picky_service_get_access (fixture->service), "telegram", TRUE);
  picky_access_set_read (picky_service_get_access (fixture->service), "telegram", TRUE);
  picky_service_add_channel_async (fixture->service, "telegram", "telegram", "Acme", settings, secrets,
                                   NULL, picky_test_got_result_cb, &result);
  id = picky_service_add_channel_finish (fixture->service, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return id;
}

static void
test_inbox_composer_send (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(PickyFakeTelegram) server = picky_fake_telegram_new ();
  g_autoptr(GPtrArray) requests = NULL;
  PickyConversationView *conversation;
  GtkTextView *composer;
  GListModel *messages;
  StatusWait wait;
  gint64 channel;

  picky_fake_telegram_set_idle_delay (server, 100);
  channel = add_telegram (fixture, server);
  fill (fixture, channel, "6012345678", "Where is my parcel?", 1, T0);

  open_window (fixture);
  conversation = open_first (fixture);
  g_assert_true (picky_test_wait_until (conversation_filled, conversation, 5000));
  g_assert_true (picky_test_wait_until (composer_ready, conversation, 10000));

  picky_fake_telegram_queue_sample (server, "sendMessage", 200, "telegram-sendmessage-response.wire.json", NULL);
  composer = GTK_TEXT_VIEW (picky_test_gui_find_named (GTK_WIDGET (conversation), GTK_TYPE_TEXT_VIEW, "Reply"));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (composer)));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (composer), "On its way 🚚", -1);
  gtk_widget_activate_action (GTK_WIDGET (composer), "conversation.send", NULL);

  messages = picky_conversation_view_get_messages (conversation);
  wait = (StatusWait) { messages, PICKY_MESSAGE_STATUS_QUEUED };
  /* Queued shows before the provider has answered; sent follows. */
  g_assert_true (picky_test_wait_until (last_status_is, &wait, 5000) ||
                 (wait.status = PICKY_MESSAGE_STATUS_SENT, last_status_is (&wait)));
  wait.status = PICKY_MESSAGE_STATUS_SENT;
  g_assert_true (picky_test_wait_until (last_status_is, &wait, 10000));
  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, 2);

  requests = picky_fake_telegram_dup_requests (server, "sendMessage");
  g_assert_cmpuint (requests->len, ==, 1);
  g_assert_nonnull (strstr (g_bytes_get_data (((PickyFakeRequest *) requests->pdata[0])->body, NULL),
                            "On its way"));
  g_assert_cmpint (gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (composer)), ==, 0);
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  fixture->window = NULL;
  picky_service_shutdown (fixture->service);
}

static void
test_inbox_composer_push_off (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(PickyFakeTelegram) server = picky_fake_telegram_new ();
  PickyConversationView *conversation;
  GtkWidget *composer;
  GtkLabel *hint;
  gint64 channel;

  picky_fake_telegram_set_idle_delay (server, 100);
  channel = add_telegram (fixture, server);
  fill (fixture, channel, "6012345678", "Hello?", 1, T0);

  open_window (fixture);
  conversation = open_first (fixture);
  g_assert_true (picky_test_wait_until (composer_ready, conversation, 10000));

  picky_access_set_push (picky_service_get_access (fixture->service), "telegram", FALSE);
  g_assert_true (picky_test_wait_until (composer_blocked, conversation, 2000));
  composer = picky_test_gui_find_named (GTK_WIDGET (conversation), GTK_TYPE_TEXT_VIEW, "Reply");
  g_assert_false (gtk_widget_is_sensitive (composer));
  g_assert_nonnull (strstr (picky_conversation_view_get_hint (conversation), "switched off"));
  /* The reason is on screen, and read out as what it says. */
  hint = GTK_LABEL (picky_test_gui_find_named (GTK_WIDGET (conversation), GTK_TYPE_LABEL,
                                               picky_conversation_view_get_hint (conversation)));
  g_assert_nonnull (hint);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (hint)));

  picky_access_set_push (picky_service_get_access (fixture->service), "telegram", TRUE);
  g_assert_true (picky_test_wait_until (composer_ready, conversation, 2000));
  g_assert_true (gtk_widget_is_sensitive (composer));
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  fixture->window = NULL;
  picky_service_shutdown (fixture->service);
}

typedef struct {
  NotificationServer *server;
  guint               count;
} CallWait;

static gboolean
calls_reached (gpointer data)
{
  CallWait *wait = data;

  return wait->server->calls->len >= wait->count;
}

static char *
notification_string (GVariant   *call,
                     const char *key)
{
  g_autoptr(GVariant) notification = g_variant_get_child_value (call, 1);
  const char *value = NULL;

  if (!g_variant_lookup (notification, key, "&s", &value))
    return NULL;
  return g_strdup (value);
}

static void
test_inbox_notify (Fixture       *fixture,
                   gconstpointer  data)
{
  NotificationServer *server = &fixture->server;
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  const char *muted[] = { "whatsapp", NULL };
  gint64 telegram, whatsapp;
  CallWait wait = { server, 1 };
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  g_autofree char *action = NULL;

  telegram = add_channel (fixture, "telegram");
  whatsapp = add_channel (fixture, "whatsapp");
  g_settings_set_strv (settings, "notify-muted-apps", muted);
  g_settings_set_boolean (settings, "notify-privacy", FALSE);

  /* No window is in use: a new message is announced. */
  fill (fixture, telegram, "Erin", "Is the shop open today?", 1, T0);
  g_assert_true (picky_test_wait_until (calls_reached, &wait, 5000));
  title = notification_string (server->calls->pdata[0], "title");
  body = notification_string (server->calls->pdata[0], "body");
  action = notification_string (server->calls->pdata[0], "default-action");
  g_assert_cmpstr (title, ==, "Erin (Telegram)");
  g_assert_cmpstr (body, ==, "Is the shop open today?");
  g_assert_cmpstr (action, ==, "app.open-message");

  /* A muted app's message raises none. */
  fill (fixture, whatsapp, "Frank", "hello", 1, T0 + 10);
  picky_test_spin (500);
  g_assert_cmpuint (server->calls->len, ==, 1);

  /* Privacy: the contact, never the text. */
  g_settings_set_boolean (settings, "notify-privacy", TRUE);
  fill (fixture, telegram, "Gina", "my card number is 1234", 1, T0 + 20);
  wait.count = 2;
  g_assert_true (picky_test_wait_until (calls_reached, &wait, 5000));
  g_clear_pointer (&body, g_free);
  body = notification_string (server->calls->pdata[1], "body");
  g_assert_cmpstr (body, ==, "New message");

  /* Many at once make one. */
  fill (fixture, telegram, "Hal", "burst", 6, T0 + 30);
  wait.count = 3;
  g_assert_true (picky_test_wait_until (calls_reached, &wait, 5000));
  picky_test_spin (300);
  g_assert_cmpuint (server->calls->len, ==, 3);
  g_clear_pointer (&title, g_free);
  title = notification_string (server->calls->pdata[2], "title");
  g_assert_cmpstr (title, ==, "6 new messages");

  g_settings_reset (settings, "notify-muted-apps");
  g_settings_reset (settings, "notify-privacy");
}

/* ---- The conversation view: where it opens, failed replies, times ---- */

static gboolean
conversation_settled (gpointer data)
{
  return !picky_conversation_view_get_opening (data) &&
         g_list_model_get_n_items (picky_conversation_view_get_messages (data)) > 0;
}

static gint64
first_contact_id (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  PickyPageQuery query = { .direction = -1, .limit = 1 };

  picky_store_list_messages_async (fixture->store, &query, NULL, picky_test_got_result_cb, &result);
  page = picky_store_list_messages_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 1);
  return picky_message_get_contact_id (page->pdata[0]);
}

static void
mark_contact_read (Fixture *fixture,
                   gint64   contact_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_store_mark_read_async (fixture->store, contact_id, NULL, picky_test_got_result_cb, &result);
  picky_store_mark_read_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
}

/* Whether the bubble of @text is wholly inside the part of the
 * conversation scrolled into view. */
static gboolean
bubble_in_view (Fixture    *fixture,
                const char *text)
{
  PickyMessageBubble *bubble = find_bubble (fixture, text);
  GtkWidget *scroller = bubble != NULL ? gtk_widget_get_ancestor (GTK_WIDGET (bubble), GTK_TYPE_SCROLLED_WINDOW)
                                       : NULL;
  graphene_rect_t bounds;

  if (bubble == NULL || !gtk_widget_get_mapped (GTK_WIDGET (bubble)) ||
      !gtk_widget_compute_bounds (GTK_WIDGET (bubble), scroller, &bounds))
    return FALSE;

  return bounds.origin.y >= -1 && bounds.origin.y + bounds.size.height <= gtk_widget_get_height (scroller) + 1;
}

typedef struct {
  Fixture    *fixture;
  const char *text;
} InViewWait;

static gboolean
in_view (gpointer data)
{
  InViewWait *wait = data;

  return bubble_in_view (wait->fixture, wait->text);
}

static GtkWidget *
find_jump_button (Fixture *fixture)
{
  GtkWidget *button = picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_BUTTON, "Jump to Newest");

  g_assert_nonnull (button);
  return button;
}

static gboolean
widget_hidden (gpointer data)
{
  return !gtk_widget_get_mapped (data);
}

/* A long conversation opens at the customer's first unread message, not at
 * its oldest nor past it; Jump to Newest brings the newest into view. */
static void
test_inbox_conversation_first_unread (Fixture       *fixture,
                                      gconstpointer  data)
{
  gint64 channel = add_channel (fixture, "telegram");
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  PickyConversationView *conversation;
  InViewWait wait = { fixture, "first unread" };
  UnreadWait unread = { fixture, 0 };
  GtkWidget *jump;

  fill (fixture, channel, "dora", "read before", 120, T0);
  mark_contact_read (fixture, first_contact_id (fixture));
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *key = g_strdup_printf ("unread:%u", i);
      g_autofree char *text = i == 0 ? g_strdup ("first unread") : i == 39 ? g_strdup ("newest")
                                     : g_strdup_printf ("unread %u", i);

      g_ptr_array_add (batch, make_message (channel, key, "dora", text, T0 + 120 * 60 + 60 * i));
    }
  ingest (fixture, batch);

  open_window (fixture);
  conversation = open_first (fixture);
  g_assert_true (picky_test_wait_until (conversation_settled, conversation, 10000));
  g_assert_true (picky_test_wait_until (in_view, &wait, 5000));
  /* Not scrolled past it to the end: the newest is out of view. */
  g_assert_false (bubble_in_view (fixture, "newest"));
  /* Read once shown. */
  g_assert_true (picky_test_wait_until (unread_is, &unread, 5000));

  jump = find_jump_button (fixture);
  g_assert_true (picky_test_wait_until ((gboolean (*) (gpointer)) gtk_widget_get_mapped, jump, 5000));
  g_signal_emit_by_name (jump, "clicked");
  wait.text = "newest";
  g_assert_true (picky_test_wait_until (in_view, &wait, 5000));
  g_assert_true (picky_test_wait_until (widget_hidden, jump, 5000));
}

/* All read: it opens at the newest, with nothing to jump to. */
static void
test_inbox_conversation_newest (Fixture       *fixture,
                                gconstpointer  data)
{
  gint64 channel = add_channel (fixture, "telegram");
  PickyConversationView *conversation;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  InViewWait wait = { fixture, "the last word" };

  fill (fixture, channel, "emil", "all read", 80, T0);
  g_ptr_array_add (batch, make_message (channel, "last", "emil", "the last word", T0 + 100 * 60));
  ingest (fixture, batch);
  mark_contact_read (fixture, first_contact_id (fixture));

  open_window (fixture);
  conversation = open_first (fixture);
  g_assert_true (picky_test_wait_until (conversation_settled, conversation, 10000));
  g_assert_true (picky_test_wait_until (in_view, &wait, 5000));
  picky_test_spin (100);
  g_assert_false (gtk_widget_get_mapped (find_jump_button (fixture)));
}

static char *
accessible_description (GtkWidget *widget)
{
  if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION))
    return NULL;
  /* Checked against a value it cannot have, the check hands back the value. */
  return gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                             "\x01");
}

static gboolean
widget_sensitive (gpointer data)
{
  return gtk_widget_is_sensitive (data);
}

static gboolean
widget_insensitive (gpointer data)
{
  return !gtk_widget_is_sensitive (data);
}

/* A failed reply looks failed, is said to be, and offers Retry only while
 * sending is on. */
static void
test_inbox_conversation_failed_reply (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr(PickyFakeTelegram) server = picky_fake_telegram_new ();
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  PickyConversationView *conversation;
  PickyMessageBubble *bubble;
  PickyMessageBubble *fine;
  PickyMessage *reply;
  GtkWidget *retry;
  g_autofree char *description = NULL;
  g_autofree char *fine_description = NULL;
  gint64 channel;

  picky_fake_telegram_set_idle_delay (server, 100);
  channel = add_telegram (fixture, server);
  g_ptr_array_add (batch, make_message (channel, "q", "6012345678", "Where is my parcel?", T0));
  reply = make_message (channel, "local:1", "6012345678", "It left today", T0 + 60);
  picky_message_set_direction (reply, PICKY_DIRECTION_OUT);
  picky_message_set_status (reply, PICKY_MESSAGE_STATUS_FAILED);
  picky_message_set_error (reply, "Forbidden: bot was blocked by the user");
  g_ptr_array_add (batch, reply);
  reply = make_message (channel, "local:2", "6012345678", "Sorry for the wait", T0 + 120);
  picky_message_set_direction (reply, PICKY_DIRECTION_OUT);
  picky_message_set_status (reply, PICKY_MESSAGE_STATUS_SENT);
  g_ptr_array_add (batch, reply);
  ingest (fixture, batch);

  open_window (fixture);
  conversation = open_first (fixture);
  g_assert_true (picky_test_wait_until (conversation_settled, conversation, 10000));
  g_assert_true (picky_test_wait_until (composer_ready, conversation, 10000));
  picky_test_spin (100);

  bubble = find_bubble (fixture, "It left today");
  fine = find_bubble (fixture, "Sorry for the wait");
  g_assert_nonnull (bubble);
  g_assert_nonnull (fine);
  g_assert_true (picky_message_bubble_get_failed (bubble));
  g_assert_false (picky_message_bubble_get_failed (fine));
  description = accessible_description (GTK_WIDGET (bubble));
  g_assert_cmpstr (description, ==, "This reply was not delivered: Forbidden: bot was blocked by the user");
  fine_description = accessible_description (GTK_WIDGET (fine));
  g_assert_null (fine_description);
  /* The error icon is on screen, named for what it means. */
  g_assert_true (gtk_widget_get_mapped (picky_test_gui_find_named (GTK_WIDGET (bubble), GTK_TYPE_IMAGE,
                                                                  "Not delivered")));
  retry = picky_test_gui_find_named (GTK_WIDGET (fine), GTK_TYPE_BUTTON, "Send the message again");
  g_assert_true (retry == NULL || !gtk_widget_get_mapped (retry));

  retry = picky_test_gui_find_named (GTK_WIDGET (bubble), GTK_TYPE_BUTTON, "Send the message again");
  g_assert_nonnull (retry);
  g_assert_true (gtk_widget_get_mapped (retry));
  g_assert_true (gtk_widget_is_sensitive (retry));

  picky_access_set_push (picky_service_get_access (fixture->service), "telegram", FALSE);
  g_assert_true (picky_test_wait_until (widget_insensitive, retry, 2000));
  picky_access_set_push (picky_service_get_access (fixture->service), "telegram", TRUE);
  g_assert_true (picky_test_wait_until (widget_sensitive, retry, 2000));

  gtk_window_destroy (GTK_WINDOW (fixture->window));
  fixture->window = NULL;
  picky_service_shutdown (fixture->service);
}

static PickyConversationRow *
find_row_named (Fixture    *fixture,
                const char *part)
{
  g_autoptr(GPtrArray) rows = picky_test_gui_find_all (GTK_WIDGET (fixture->page), PICKY_TYPE_CONVERSATION_ROW);

  for (guint i = 0; i < rows->len; i++)
    {
      g_autofree char *name = picky_test_gui_accessible_name (rows->pdata[i]);

      if (gtk_widget_get_mapped (rows->pdata[i]) && strstr (name, part) != NULL)
        return rows->pdata[i];
    }
  return NULL;
}

typedef struct {
  Fixture    *fixture;
  const char *part;
} RowWait;

static gboolean
row_named (gpointer data)
{
  RowWait *wait = data;

  return find_row_named (wait->fixture, wait->part) != NULL;
}

static gboolean
day_text_is (gpointer data)
{
  DayWait *wait = data;
  PickyMessageBubble *bubble = find_bubble (wait->fixture, wait->text);

  return bubble != NULL && g_strcmp0 (picky_message_bubble_get_day_text (bubble), wait->expected) == 0;
}

/* Relative times follow the clock, one shared tick for every row: driven
 * here instead of waited for. Day separators follow it too. */
static void
test_inbox_times_refresh (Fixture       *fixture,
                          gconstpointer  data)
{
  PickyClock *clock = picky_clock_get_default ();
  gint64 now = T0 + 30 * 86400;
  gint64 channel = add_channel (fixture, "telegram");
  PickyConversationView *conversation;
  RowWait wait = { fixture, "5 min" };
  DayWait day = { fixture, "just now", FALSE, "Today" };

  /* Noon, so that a day later is a day later in any time zone. */
  now -= now % 86400;
  now += 12 * 3600;
  picky_clock_set_now (clock, now);
  fill (fixture, channel, "fritz", "just now", 1, now - 5 * 60);

  open_window (fixture);
  wait_list (fixture);
  g_assert_true (picky_test_wait_until (row_named, &wait, 5000));

  picky_clock_set_now (clock, now + 60);
  wait.part = "6 min";
  g_assert_true (picky_test_wait_until (row_named, &wait, 2000));
  picky_clock_set_now (clock, now + 3 * 60);
  wait.part = "8 min";
  g_assert_true (picky_test_wait_until (row_named, &wait, 2000));

  conversation = open_first (fixture);
  g_assert_true (picky_test_wait_until (conversation_settled, conversation, 10000));
  g_assert_true (picky_test_wait_until (day_text_is, &day, 5000));
  picky_clock_set_now (clock, now + 86400);
  day.expected = "Yesterday";
  g_assert_true (picky_test_wait_until (day_text_is, &day, 2000));
  picky_clock_set_now (clock, 0);
}

/* Ctrl+F searches the Inbox from any page, the focus in the search. */
static void
test_inbox_search_from_anywhere (Fixture       *fixture,
                                 gconstpointer  data)
{
  GtkWidget *entry;
  GtkWidget *focus;

  open_window (fixture);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "channels");
  g_assert_cmpstr (picky_window_get_visible_page (fixture->window), ==, "channels");

  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.search", NULL);
  picky_test_spin (100);
  g_assert_cmpstr (picky_window_get_visible_page (fixture->window), ==, "inbox");
  entry = picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_SEARCH_ENTRY, "Search people and messages");
  g_assert_nonnull (entry);
  /* The search bar slides in. */
  g_assert_true (picky_test_wait_until ((gboolean (*) (gpointer)) gtk_widget_get_mapped, entry, 2000));
  focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
  g_assert_nonnull (focus);
  g_assert_true (focus == entry || gtk_widget_is_ancestor (focus, entry));
}

/* Chips for the apps the console hears from, no others; an empty Inbox
 * with a channel connected does not ask for one; side by side, no back arrow. */
static void
test_inbox_chips_and_empty (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(PickyFakeTelegram) server = picky_fake_telegram_new ();
  GtkWidget *telegram;
  GtkWidget *whatsapp;
  GtkWidget *back;

  open_window (fixture);
  wait_list (fixture);
  picky_test_spin (200);
  g_assert_true (gtk_widget_get_mapped (picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_BUTTON,
                                                                   "Go to Channels")));
  back = picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_BUTTON, "Back to the Inbox");
  g_assert_nonnull (back);
  g_assert_false (gtk_widget_get_visible (back));

  picky_fake_telegram_set_idle_delay (server, 100);
  add_telegram (fixture, server);
  picky_test_spin (300);
  g_assert_false (gtk_widget_get_mapped (picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_BUTTON,
                                                                    "Go to Channels")));
  telegram = picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_TOGGLE_BUTTON, "Show Telegram messages");
  whatsapp = picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_TOGGLE_BUTTON, "Show WhatsApp messages");
  g_assert_nonnull (telegram);
  g_assert_nonnull (whatsapp);
  g_assert_true (gtk_widget_get_mapped (telegram));
  g_assert_false (gtk_widget_get_mapped (whatsapp));

  gtk_window_destroy (GTK_WINDOW (fixture->window));
  fixture->window = NULL;
  picky_service_shutdown (fixture->service);
}

/* ---- Conversations: grouping, Done, Unread, moving between them, search ---- */

static PickyMessage *
make_named (gint64      channel,
            const char *key,
            const char *contact,
            const char *name,
            const char *phone,
            const char *text,
            gint64      timestamp)
{
  PickyMessage *message = make_message (channel, key, contact, text, timestamp);

  picky_message_set_contact_name (message, name);
  picky_message_set_contact_phone (message, phone);
  return message;
}

typedef struct {
  PickyContactPanel *panel;
  const char        *counts;
} PanelWait;

static gboolean
counts_shown (gpointer data)
{
  PanelWait *wait = data;

  return g_strcmp0 (picky_contact_panel_get_counts_text (wait->panel), wait->counts) == 0;
}

static GtkWidget *find_button (GtkWidget  *root,
                               const char *name);

/* Five messages of Rosa's are one row, with their count, her last line,
 * and the customer waiting; our reply turns it to "You: …", and she waits
 * no more. */
static void
test_inbox_grouping (Fixture       *fixture,
                     gconstpointer  data)
{
  gint64 channel = add_channel (fixture, "whatsapp");
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  PickyClock *clock = picky_clock_get_default ();
  PickyConversationList *list;
  PickyConversationRow *rosa;
  PickyMessage *reply;
  g_autofree char *name = NULL;
  RowWait wait = { fixture, "Rosa Martínez" };
  PanelWait panel_wait = { NULL, "5 from the customer, 1 reply" };

  picky_clock_set_now (clock, T0 + 3600);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *key = g_strdup_printf ("rosa:%u", i);
      g_autofree char *text = g_strdup_printf ("Question %u\nwith a second line", i + 1);

      g_ptr_array_add (batch, make_named (channel, key, "34600111222", "Rosa Martínez", "+34 600 111 222", text,
                                          T0 + 60 * i));
    }
  g_ptr_array_add (batch, make_named (channel, "anna:0", "4915112345678", "Anna Schmidt", "+49 151 12345678",
                                      "Hallo", T0 - 600));
  ingest (fixture, batch);
  g_ptr_array_set_size (batch, 0);

  open_window (fixture);
  list = wait_list (fixture);
  g_assert_cmpuint (count_all (list), ==, 2);
  g_assert_true (picky_test_wait_until (row_named, &wait, 5000));
  rosa = find_row_named (fixture, "Rosa Martínez");
  name = picky_test_gui_accessible_name (GTK_WIDGET (rosa));
  /* The last line only, the count of unread, and since when she waits. */
  g_assert_cmpstr (picky_conversation_row_get_preview (rosa), ==, "Question 5");
  g_assert_nonnull (strstr (name, "5 unread"));
  g_assert_nonnull (strstr (name, "Waiting 1 h"));
  g_assert_true (gtk_widget_get_mapped (picky_test_gui_find_named (GTK_WIDGET (rosa), PICKY_TYPE_TEXT_CELL, "5")));

  reply = make_named (channel, "local:1", "34600111222", "Rosa Martínez", NULL, "We are on it", T0 + 1800);
  picky_message_set_direction (reply, PICKY_DIRECTION_OUT);
  picky_message_set_status (reply, PICKY_MESSAGE_STATUS_SENT);
  picky_message_set_unread (reply, FALSE);
  g_ptr_array_add (batch, reply);
  ingest (fixture, batch);
  wait.part = "You: We are on it";
  g_assert_true (picky_test_wait_until (row_named, &wait, 5000));
  g_clear_pointer (&name, g_free);
  name = picky_test_gui_accessible_name (GTK_WIDGET (find_row_named (fixture, "You: We are on it")));
  g_assert_null (strstr (name, "Waiting"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2);

  /* Beside the conversation: who it is, how much each side wrote, and the
   * way to the report. */
  panel_wait.panel = PICKY_CONTACT_PANEL (picky_test_gui_find_only (GTK_WIDGET (fixture->page),
                                                                    PICKY_TYPE_CONTACT_PANEL));
  open_first (fixture);
  g_assert_true (picky_test_wait_until (counts_shown, &panel_wait, 5000));
  g_assert_true (gtk_widget_get_mapped (picky_test_gui_find_named (GTK_WIDGET (panel_wait.panel), GTK_TYPE_LABEL,
                                                                   "+34 600 111 222")));
  g_signal_emit_by_name (find_button (GTK_WIDGET (panel_wait.panel), "Open Report"), "clicked");
  g_assert_cmpstr (picky_window_get_visible_page (fixture->window), ==, "contacts");
  picky_clock_set_now (clock, 0);
}

typedef struct {
  GListModel *list;
  guint       count;
} CountWait;

static gboolean
count_is (gpointer data)
{
  CountWait *wait = data;

  return g_list_model_get_n_items (wait->list) == wait->count;
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *name)
{
  GtkWidget *button = picky_test_gui_find_named (root, GTK_TYPE_BUTTON, name);

  g_assert_nonnull (button);
  return button;
}

static gboolean
conversation_done (gpointer data)
{
  PickyConversation *conversation = picky_conversation_view_get_conversation (data);

  return conversation != NULL && picky_conversation_get_done (conversation);
}

/* Done takes a conversation out of Open and into Done; the customer's next
 * message reopens it; the header button says which it will do. */
static void
test_inbox_done_reopen (Fixture       *fixture,
                        gconstpointer  data)
{
  gint64 channel = add_channel (fixture, "telegram");
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  PickyConversationView *conversation;
  PickyConversationList *list;
  CountWait wait;
  GtkWidget *done;

  fill (fixture, channel, "gil", "is it fixed?", 2, T0);
  fill (fixture, channel, "hana", "thanks!", 1, T0 - 100);

  open_window (fixture);
  list = wait_list (fixture);
  g_assert_cmpuint (count_all (list), ==, 2);
  conversation = open_first (fixture);
  g_assert_true (picky_test_wait_until (conversation_settled, conversation, 10000));

  done = find_button (GTK_WIDGET (conversation), "Mark as Done");
  g_assert_true (gtk_widget_get_mapped (done));
  g_assert_true (gtk_widget_is_sensitive (done));
  g_signal_emit_by_name (done, "clicked");
  wait = (CountWait) { G_LIST_MODEL (list), 1 };
  g_assert_true (picky_test_wait_until (count_is, &wait, 5000));
  g_assert_true (picky_test_wait_until (conversation_done, conversation, 5000));
  /* The same button reopens now, and is named for it. */
  g_assert_true (find_button (GTK_WIDGET (conversation), "Reopen") == done);

  gtk_drop_down_set_selected (find_status (fixture), PICKY_CONVERSATION_FILTER_DONE);
  g_assert_cmpuint (count_all (list), ==, 1);
  {
    g_autoptr(PickyConversation) item = g_list_model_get_item (G_LIST_MODEL (list), 0);

    g_assert_cmpstr (picky_conversation_get_display_name (item), ==, "gil");
    g_assert_true (picky_conversation_get_done (item));
  }

  /* Gil writes again: out of Done, into Open. */
  g_ptr_array_add (batch, make_message (channel, "again", "gil", "no, it is not", T0 + 5000));
  ingest (fixture, batch);
  wait = (CountWait) { G_LIST_MODEL (list), 0 };
  g_assert_true (picky_test_wait_until (count_is, &wait, 5000));
  gtk_drop_down_set_selected (find_status (fixture), PICKY_CONVERSATION_FILTER_OPEN);
  g_assert_cmpuint (count_all (list), ==, 2);
  g_assert_false (picky_conversation_get_done (picky_conversation_view_get_conversation (conversation)));
  g_assert_true (find_button (GTK_WIDGET (conversation), "Mark as Done") == done);

  /* And the shortcut does what the button does. */
  gtk_widget_activate_action (GTK_WIDGET (conversation), "inbox.toggle-done", NULL);
  g_assert_true (picky_test_wait_until (conversation_done, conversation, 5000));
}

static gboolean
first_unread_is (gpointer data)
{
  CountWait *wait = data;
  g_autoptr(PickyConversation) first = g_list_model_get_item (wait->list, 0);

  return first != NULL && picky_conversation_get_unread (first) == wait->count;
}

/* Mark as Unread brings the badge back; Alt+Down and Alt+Up step through
 * the list. */
static void
test_inbox_unread_and_step (Fixture       *fixture,
                            gconstpointer  data)
{
  gint64 channel = add_channel (fixture, "telegram");
  PickyConversationView *conversation;
  PickyConversationList *list;
  CountWait wait;

  fill (fixture, channel, "ivy", "first", 1, T0);
  fill (fixture, channel, "jon", "second", 1, T0 - 100);
  fill (fixture, channel, "kim", "third", 1, T0 - 200);

  open_window (fixture);
  list = wait_list (fixture);
  conversation = open_first (fixture);
  wait = (CountWait) { G_LIST_MODEL (list), 0 };
  g_assert_true (picky_test_wait_until (first_unread_is, &wait, 5000));

  g_signal_emit_by_name (find_button (GTK_WIDGET (conversation), "Mark as Unread"), "clicked");
  wait.count = 1;
  g_assert_true (picky_test_wait_until (first_unread_is, &wait, 5000));

  gtk_widget_activate_action (GTK_WIDGET (fixture->page), "inbox.step", "i", 1);
  g_assert_cmpstr (picky_conversation_get_display_name (picky_conversation_view_get_conversation (conversation)),
                   ==, "jon");
  gtk_widget_activate_action (GTK_WIDGET (fixture->page), "inbox.step", "i", 1);
  g_assert_cmpstr (picky_conversation_get_display_name (picky_conversation_view_get_conversation (conversation)),
                   ==, "kim");
  /* Past the end stays at the end. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->page), "inbox.step", "i", 1);
  g_assert_cmpstr (picky_conversation_get_display_name (picky_conversation_view_get_conversation (conversation)),
                   ==, "kim");
  gtk_widget_activate_action (GTK_WIDGET (fixture->page), "inbox.step", "i", -1);
  g_assert_cmpstr (picky_conversation_get_display_name (picky_conversation_view_get_conversation (conversation)),
                   ==, "jon");
}

static GtkListBox *
find_results (Fixture    *fixture,
              const char *name)
{
  GtkWidget *box = picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_LIST_BOX, name);

  g_assert_nonnull (box);
  return GTK_LIST_BOX (box);
}

static guint
count_rows (GtkListBox *box)
{
  guint n = 0;

  while (gtk_list_box_get_row_at_index (box, n) != NULL)
    n++;
  return n;
}

typedef struct {
  GtkListBox *box;
  guint       count;
} RowsWait;

static gboolean
rows_are (gpointer data)
{
  RowsWait *wait = data;

  return gtk_widget_get_mapped (GTK_WIDGET (wait->box)) && count_rows (wait->box) == wait->count;
}

static void
search_for (Fixture    *fixture,
            const char *text)
{
  GtkWidget *entry = picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_SEARCH_ENTRY,
                                                "Search people and messages");

  g_assert_nonnull (entry);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.search", NULL);
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
}

static char *
first_result_name (GtkListBox *box)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (box, 0);

  return row != NULL ? picky_test_gui_accessible_name (gtk_list_box_row_get_child (row)) : g_strdup ("");
}

/* Search finds people by name in any case and by number in any spelling,
 * and messages by their words, in two groups; a message found opens its
 * conversation scrolled to it, highlighted. */
static void
test_inbox_search (Fixture       *fixture,
                   gconstpointer  data)
{
  gint64 channel = add_channel (fixture, "whatsapp");
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  PickyConversationView *conversation = NULL;
  GtkListBox *people;
  GtkListBox *messages;
  RowsWait wait;
  InViewWait view = { fixture, "my parcel number is 4711" };
  g_autofree char *name = NULL;
  PickyMessageBubble *bubble;

  g_ptr_array_add (batch, make_named (channel, "a0", "4915112345678", "Anna Schmidt", "+49 151 12345678",
                                      "Guten Tag", T0));
  g_ptr_array_add (batch, make_named (channel, "b0", "34600111222", "Rosa Martínez", "+34 600 111 222",
                                      "my parcel number is 4711", T0 + 10));
  for (guint i = 0; i < 80; i++)
    {
      g_autofree char *key = g_strdup_printf ("b%u", i + 1);

      g_ptr_array_add (batch, make_named (channel, key, "34600111222", "Rosa Martínez", "+34 600 111 222",
                                          "and more", T0 + 20 + i));
    }
  ingest (fixture, batch);

  open_window (fixture);
  wait_list (fixture);

  /* "anna" finds Anna Schmidt, whatever the case. */
  search_for (fixture, "anna");
  people = find_results (fixture, "People found");
  messages = find_results (fixture, "Messages found");
  wait = (RowsWait) { people, 1 };
  g_assert_true (picky_test_wait_until (rows_are, &wait, 5000));
  name = first_result_name (people);
  g_assert_nonnull (strstr (name, "Anna Schmidt"));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (messages)));

  /* A number as the customer would spell it. */
  search_for (fixture, "0151 1234");
  wait = (RowsWait) { people, 1 };
  g_assert_true (picky_test_wait_until (rows_are, &wait, 5000));
  g_clear_pointer (&name, g_free);
  name = first_result_name (people);
  g_assert_nonnull (strstr (name, "Anna Schmidt"));

  /* Words of a message: the messages group, which opens at it. */
  search_for (fixture, "parcel");
  wait = (RowsWait) { messages, 1 };
  g_assert_true (picky_test_wait_until (rows_are, &wait, 5000));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (people)));
  g_signal_emit_by_name (gtk_list_box_get_row_at_index (messages, 0), "activate");
  conversation = picky_inbox_page_get_conversation (fixture->page);
  g_assert_true (picky_test_wait_until (conversation_settled, conversation, 10000));
  g_assert_true (picky_test_wait_until (in_view, &view, 5000));
  bubble = find_bubble (fixture, "my parcel number is 4711");
  g_assert_true (picky_message_bubble_get_highlighted (bubble));
  g_assert_false (picky_message_bubble_get_highlighted (find_bubble (fixture, "and more")));
}

typedef struct {
  GtkWidget  *entry;
  const char *text;
} EntryWait;

static gboolean
entry_holds (gpointer data)
{
  EntryWait *wait = data;

  return g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (wait->entry)), wait->text) == 0;
}

static gboolean
focus_within (gpointer data)
{
  GtkWidget *widget = data;
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (widget));

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

/* Typing while the conversation list has the focus starts a search with
 * what was typed: real key presses, through the X server as a keyboard
 * makes them (XTest, by xdotool), into the focused window. */
static void
test_inbox_search_by_typing (Fixture       *fixture,
                             gconstpointer  data)
{
  gint64 channel = add_channel (fixture, "whatsapp");
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *xdotool = g_find_program_in_path ("xdotool");
  g_autofree char *xid = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *list_view;
  GtkWidget *entry;
  GtkListBox *people;
  EntryWait typed;
  RowsWait wait;
  int status = -1;

  if (!GDK_IS_X11_DISPLAY (gdk_display_get_default ()) || xdotool == NULL)
    {
      g_test_skip ("Needs an X display and xdotool (build-aux/setup.sh --tests)");
      return;
    }

  g_ptr_array_add (batch, make_named (channel, "a0", "4915112345678", "Anna Schmidt", "+49 151 12345678",
                                      "Guten Tag", T0));
  g_ptr_array_add (batch, make_named (channel, "b0", "34600111222", "Rosa Martínez", "+34 600 111 222",
                                      "Hola", T0 + 10));
  ingest (fixture, batch);
  open_window (fixture);
  wait_list (fixture);

  entry = picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_SEARCH_ENTRY,
                                     "Search people and messages");
  list_view = picky_test_gui_find_named (GTK_WIDGET (fixture->page), GTK_TYPE_LIST_VIEW, "Conversations");
  g_assert_nonnull (entry);
  g_assert_nonnull (list_view);
  g_assert_false (gtk_widget_get_mapped (entry));
  g_assert_true (gtk_widget_grab_focus (list_view));
  g_assert_true (picky_test_wait_until (focus_within, list_view, 2000));

  xid = g_strdup_printf ("%lu", (unsigned long) gdk_x11_surface_get_xid (
                                  gtk_native_get_surface (GTK_NATIVE (fixture->window))));
  {
    const char *argv[] = { "timeout", "20", xdotool, "windowfocus", "--sync", xid,
                           "type", "--delay", "40", "rosa", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                 &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, &error));
  }

  /* The search bar opened with the letters in its entry, and found her. */
  typed = (EntryWait) { entry, "rosa" };
  g_assert_true (picky_test_wait_until (entry_holds, &typed, 5000));
  /* The search bar slides in. */
  g_assert_true (picky_test_wait_until ((gboolean (*) (gpointer)) gtk_widget_get_mapped, entry, 2000));
  people = find_results (fixture, "People found");
  wait = (RowsWait) { people, 1 };
  g_assert_true (picky_test_wait_until (rows_are, &wait, 5000));
  name = first_result_name (people);
  g_assert_nonnull (strstr (name, "Rosa Martínez"));
  g_assert_true (focus_within (entry));
}

/* Another console that holds the file while it brings it up to date: it
 * takes the write lock the moment this console starts opening it. */
typedef struct {
  sqlite3 *db;
} Holder;

static void
on_open_progress_cb (PickyService *service,
                     GParamSpec   *pspec,
                     Holder       *holder)
{
  g_autofree char *path = picky_store_default_path ();

  if (holder->db != NULL || picky_service_get_open_progress (service) != 0)
    return;
  g_assert_cmpint (sqlite3_open (path, &holder->db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (holder->db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
}

static GtkWidget *
find_preparing (Fixture *fixture)
{
  return picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_PROGRESS_BAR,
                                    "Preparing Your Messages…");
}

static gboolean
preparing_shown (gpointer data)
{
  GtkWidget *bar = find_preparing (data);

  return bar != NULL && gtk_widget_get_mapped (bar);
}

static gboolean
preparing_gone (gpointer data)
{
  Fixture *fixture = data;
  GtkWidget *bar = find_preparing (fixture);

  return picky_service_get_ready (fixture->service) && (bar == NULL || !gtk_widget_get_mapped (bar));
}

/* A database of an earlier version is brought up to date when the console
 * opens it; when that takes longer than a moment (here: another console
 * holds the file meanwhile) the window says it is preparing the messages,
 * with a progress bar, and then shows the Inbox with the conversations. */
static void
test_inbox_preparing (Fixture       *fixture,
                      gconstpointer  data)
{
  gint64 channel = add_channel (fixture, "telegram");
  g_autofree char *path = picky_store_default_path ();
  PickyConversationList *list;
  Holder holder = { NULL };
  sqlite3 *db = NULL;

  fill (fixture, channel, "Rosa Martínez", "Wo bleibt mein Paket?", 3, 1770000000);
  fill (fixture, channel, "Anna Schmidt", "Danke!", 2, 1770000500);
  g_clear_object (&fixture->app);
  fixture->service = NULL;
  fixture->store = NULL;
  picky_test_spin (100);

  /* Back to version 8, before conversations and waits. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, PICKY_TEST_SQL_BACK_TO_V8,
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  fixture->app = picky_test_gui_application ();
  fixture->service = picky_application_get_service (fixture->app);
  g_signal_connect (fixture->service, "notify::open-progress", G_CALLBACK (on_open_progress_cb), &holder);
  open_window (fixture);
  g_assert_true (picky_test_wait_until (preparing_shown, fixture, 4000));
  g_assert_nonnull (holder.db);
  g_assert_false (picky_service_get_ready (fixture->service));

  /* The other console is done: the update runs, and the Inbox lists the
   * conversations it built. */
  g_assert_cmpint (sqlite3_exec (holder.db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (holder.db);
  g_assert_true (picky_test_wait_until (preparing_gone, fixture, 20000));
  g_signal_handlers_disconnect_by_data (fixture->service, &holder);
  fixture->store = picky_service_get_store (fixture->service);
  list = wait_list (fixture);
  g_assert_true (picky_test_wait_until (list_settled, list, 10000));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (fixture->page)));
}

typedef void (*TestFunc) (Fixture *fixture, gconstpointer data);

/* Each case in a process of its own with its own data folder, so that each
 * starts from an empty message store. */
static void
run_isolated (gconstpointer data)
{
  TestFunc func = (TestFunc) data;
  g_autofree char *dir = NULL;

  if (g_test_subprocess ())
    {
      Fixture fixture = { NULL, };

      fixture_set_up (&fixture, NULL);
      func (&fixture, NULL);
      fixture_tear_down (&fixture, NULL);
      return;
    }

  dir = g_dir_make_tmp ("picky-inbox-XXXXXX", NULL);
  g_assert_nonnull (dir);
  g_setenv ("XDG_DATA_HOME", dir, TRUE);
  g_test_trap_subprocess (NULL, 90 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

#define ADD(path, func) g_test_add_data_func (path, (gconstpointer) func, run_isolated)

int
main (int   argc,
      char *argv[])
{
  picky_test_gui_init (&argc, &argv);

  ADD ("/picky/inbox/live/batch", test_inbox_live_batch);
  ADD ("/picky/inbox/filters/apps-and-status", test_inbox_filters);
  ADD ("/picky/inbox/conversation/read", test_inbox_conversation_read);
  ADD ("/picky/inbox/conversations/grouping", test_inbox_grouping);
  ADD ("/picky/inbox/conversations/done-reopen", test_inbox_done_reopen);
  ADD ("/picky/inbox/conversations/unread-and-step", test_inbox_unread_and_step);
  ADD ("/picky/inbox/search/people-and-messages", test_inbox_search);
  ADD ("/picky/inbox/conversation/reactions", test_inbox_conversation_reactions);
  ADD ("/picky/inbox/conversation/day-heading", test_inbox_conversation_day_heading);
  ADD ("/picky/inbox/conversation/first-unread", test_inbox_conversation_first_unread);
  ADD ("/picky/inbox/conversation/newest", test_inbox_conversation_newest);
  ADD ("/picky/inbox/conversation/failed-reply", test_inbox_conversation_failed_reply);
  ADD ("/picky/inbox/times/refresh", test_inbox_times_refresh);
  ADD ("/picky/inbox/search/from-anywhere", test_inbox_search_from_anywhere);
  ADD ("/picky/inbox/search/by-typing", test_inbox_search_by_typing);
  ADD ("/picky/inbox/chips-and-empty", test_inbox_chips_and_empty);
  ADD ("/picky/inbox/composer/send", test_inbox_composer_send);
  ADD ("/picky/inbox/composer/push-off", test_inbox_composer_push_off);
  ADD ("/picky/inbox/notify/inactive-and-muted", test_inbox_notify);
  ADD ("/picky/inbox/preparing", test_inbox_preparing);

  return g_test_run ();
}
