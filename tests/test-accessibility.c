/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every page and dialog as a screen reader and a keyboard user meet them: names, mnemonics, Tab stops, width. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "picky-add-channel-dialog.h"
#include "picky-conversation-view.h"
#include "picky-disclosure-dialog.h"
#include "picky-erase-dialog.h"
#include "picky-pair-dialog.h"
#include "picky-preferences-window.h"
#include "picky-report-view.h"
#include "picky-test-gui.h"
#include "picky-window.h"

#define N_CONTACTS 12

typedef struct {
  PickyApplication *app;
  PickyWindow      *window;
  gint64            contact;
  gint64            message;
} Fixture;

/* The roles of what holds controls rather than being one: the controls in
 * them are checked, not they. */
static gboolean
is_container_role (GtkAccessibleRole role)
{
  switch (role)
    {
    case GTK_ACCESSIBLE_ROLE_GENERIC:
    case GTK_ACCESSIBLE_ROLE_GROUP:
    case GTK_ACCESSIBLE_ROLE_LIST:
    case GTK_ACCESSIBLE_ROLE_GRID:
    case GTK_ACCESSIBLE_ROLE_TREE_GRID:
    case GTK_ACCESSIBLE_ROLE_WINDOW:
    case GTK_ACCESSIBLE_ROLE_DIALOG:
    case GTK_ACCESSIBLE_ROLE_ALERT_DIALOG:
    case GTK_ACCESSIBLE_ROLE_TAB_PANEL:
    case GTK_ACCESSIBLE_ROLE_TAB_LIST:
    case GTK_ACCESSIBLE_ROLE_MENU:
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
is_hidden_role (GtkAccessibleRole role)
{
  return role == GTK_ACCESSIBLE_ROLE_NONE || role == GTK_ACCESSIBLE_ROLE_PRESENTATION;
}

/* What a screen reader announces when @widget has the focus: GTK leaves
 * widgets without a role (the text inside an entry) out of the tree, so
 * their nearest presented ancestor stands for them. */
static GtkWidget *
presented_widget (GtkWidget *widget)
{
  /* The text inside an entry or an entry row is the entry, for a user. */
  if (GTK_IS_TEXT (widget))
    {
      for (GtkWidget *up = gtk_widget_get_parent (widget); up != NULL; up = gtk_widget_get_parent (up))
        if (GTK_IS_EDITABLE (up))
          return up;
    }

  while (widget != NULL && is_hidden_role (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget))))
    widget = gtk_widget_get_parent (widget);

  return widget;
}

/* Whether Tab or a click can give @widget the focus: it is shown and
 * focusable, and nothing above it keeps the focus out (a button's
 * content never takes it). */
static gboolean
can_take_focus (GtkWidget *widget,
                GtkWidget *root)
{
  if (!gtk_widget_get_focusable (widget) || !gtk_widget_get_mapped (widget))
    return FALSE;

  for (GtkWidget *up = gtk_widget_get_parent (widget); up != NULL; up = gtk_widget_get_parent (up))
    if (!gtk_widget_get_can_focus (up) || GTK_IS_BUTTON (up))
      return FALSE;

  return TRUE;
}

static gboolean
has_mnemonic (const char *name)
{
  for (const char *p = name; *p != '\0'; p++)
    if (p[0] == '_' && g_ascii_isalnum (p[1]) && (p == name || !g_ascii_isalnum (p[-1])))
      return TRUE;

  return FALSE;
}

static gboolean
is_type_name (const char *name)
{
  return (g_str_has_prefix (name, "Gtk") || g_str_has_prefix (name, "Adw") || g_str_has_prefix (name, "Picky")) &&
         strchr (name, ' ') == NULL;
}

static gboolean
has_letter (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_isalpha (g_utf8_get_char (p)))
      return TRUE;

  return FALSE;
}

/* Whether @needle stands in @haystack as whole words. */
static gboolean
contains_words (const char *haystack,
                const char *needle)
{
  gsize len = strlen (needle);

  for (const char *at = strstr (haystack, needle); at != NULL; at = strstr (at + 1, needle))
    if ((at == haystack || at[-1] == ' ') && (at[len] == '\0' || at[len] == ' '))
      return TRUE;

  return FALSE;
}

/* "Port Port", "Pair a Phone Pair a Phone", or a label that repeats words
 * of the label it is given with ("Relay WhatsApp from phones WhatsApp").
 * The cells of a row (more than two parts) may well say the same: two
 * dates, two counts. */
static gboolean
repeats_itself (GStrv parts)
{
  guint n = g_strv_length (parts);

  for (guint i = 0; i < n && n <= 2; i++)
    for (guint j = 0; j < n; j++)
      {
        g_autofree char *a = g_utf8_casefold (parts[i], -1);
        g_autofree char *b = g_utf8_casefold (parts[j], -1);

        if (i != j && has_letter (b) && contains_words (a, b))
          return TRUE;
      }

  for (guint i = 0; i < n; i++)
    {
      gsize len = strlen (parts[i]);

      /* One label that says the same thing twice. */
      if (len % 2 == 1 && parts[i][len / 2] == ' ' && strncmp (parts[i], parts[i] + len / 2 + 1, len / 2) == 0)
        return TRUE;
    }

  return FALSE;
}

static void
check_names (GtkWidget *root,
             const char *where,
             GString    *problems)
{
  g_autoptr(GPtrArray) all = picky_test_gui_find_all (root, GTK_TYPE_WIDGET);
  g_autoptr(GHashTable) checked = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < all->len; i++)
    {
      GtkWidget *focusable = g_ptr_array_index (all, i);
      GtkWidget *widget;
      g_autofree char *name = NULL;
      g_auto(GStrv) parts = NULL;
      const char *problem = NULL;

      /* A menu button takes no focus itself (its inner button does), but a
       * screen reader presents it around that button, by its own name or
       * else by its type's. */
      if (GTK_IS_MENU_BUTTON (focusable) && gtk_widget_get_mapped (focusable))
        widget = focusable;
      else if (!can_take_focus (focusable, root))
        continue;
      else
        widget = presented_widget (focusable);
      if (widget == NULL || is_container_role (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget))) ||
          !g_hash_table_add (checked, widget))
        continue;

      name = picky_test_gui_accessible_name (widget);
      parts = picky_test_gui_accessible_name_parts (widget);
      if (*name == '\0')
        problem = "has no name";
      else if (has_mnemonic (name))
        problem = "has a mnemonic underscore in its name";
      else if (is_type_name (name))
        problem = "is named by its type";
      else if (repeats_itself (parts))
        problem = "repeats itself";

      if (problem != NULL)
        {
          g_string_append_printf (problems, "%s: %s \"%s\" %s (in", where, G_OBJECT_TYPE_NAME (widget), name, problem);
          for (GtkWidget *up = gtk_widget_get_parent (widget); up != NULL && up != root; up = gtk_widget_get_parent (up))
            if (G_OBJECT_TYPE (up) > G_TYPE_FUNDAMENTAL_MAX && !g_str_has_prefix (G_OBJECT_TYPE_NAME (up), "GtkBox"))
              {
                g_string_append_printf (problems, " %s", G_OBJECT_TYPE_NAME (up));
                if (g_str_has_prefix (G_OBJECT_TYPE_NAME (up), "Picky"))
                  break;
              }
          g_string_append (problems, ")\n");
        }
    }
}

/* Two mnemonics on the same key in one window (or one open menu) leave
 * Alt+key to reach only one of them. */
static void
check_mnemonics (GtkWidget  *root,
                 const char *where,
                 GString    *problems)
{
  g_autoptr(GPtrArray) labels = picky_test_gui_find_all (root, GTK_TYPE_LABEL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = g_ptr_array_index (labels, i);
      guint keyval = gtk_label_get_mnemonic_keyval (label);
      g_autofree char *key = NULL;
      GtkLabel *other;

      if (keyval == GDK_KEY_VoidSymbol || !gtk_widget_get_mapped (GTK_WIDGET (label)))
        continue;

      key = g_strdup_printf ("%p:%u", (void *) gtk_widget_get_native (GTK_WIDGET (label)), gdk_keyval_to_lower (keyval));
      other = g_hash_table_lookup (seen, key);
      if (other != NULL)
        g_string_append_printf (problems, "%s: \"%s\" and \"%s\" share Alt+%s\n", where,
                                gtk_label_get_text (other), gtk_label_get_text (label),
                                gdk_keyval_name (gdk_keyval_to_lower (keyval)));
      else
        g_hash_table_insert (seen, g_steal_pointer (&key), label);
    }
}

static void
check_window (GtkWidget  *root,
              const char *where,
              GString    *problems)
{
  g_test_message ("checking %s", where);
  check_names (root, where, problems);
  check_mnemonics (root, where, problems);
}

static PickyMessage *
new_message (gint64          channel,
             guint           contact,
             guint           n,
             PickyDirection  direction,
             const char     *text,
             gint64          time)
{
  static const char *names[] = { "Ana Müller", "Jörg Souza", "Émilie Dubois", "Ravi Kumar", "Zoë Mensah", "Kofi Levi" };
  PickyMessage *message = picky_message_new ();
  g_autofree char *name = g_strdup_printf ("%s %u", names[contact % G_N_ELEMENTS (names)], contact);
  g_autofree char *phone = g_strdup_printf ("+49 170 %03u %04u", contact * 7 % 1000, contact * 37 % 10000);
  g_autofree char *provider_id = g_strdup_printf ("c%u", contact);
  g_autofree char *key = g_strdup_printf ("%u-%u", contact, n);

  picky_message_set_channel_id (message, channel);
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_provider_id (message, provider_id);
  picky_message_set_contact_name (message, name);
  picky_message_set_contact_phone (message, phone);
  picky_message_set_direction (message, direction);
  picky_message_set_text (message, text);
  picky_message_set_timestamp (message, time);
  picky_message_set_received (message, time);
  return message;
}

/* A channel and a few conversations, some waiting, some answered. */
static void
fill_store (Fixture *fixture)
{
  PickyStore *store = picky_service_get_store (picky_application_get_service (fixture->app));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 channel;

  picky_store_add_channel_async (store, "telegram", "telegram", "Front Desk", "{}", NULL,
                                 picky_test_got_result_cb, &result);
  channel = picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  for (guint c = 0; c < N_CONTACTS; c++)
    {
      gint64 t = now - (N_CONTACTS - c) * 3600;

      g_ptr_array_add (batch, new_message (channel, c, 0, PICKY_DIRECTION_IN, "Hello, is my order on its way?", t));
      if (c % 3 != 0)
        g_ptr_array_add (batch, new_message (channel, c, 1, PICKY_DIRECTION_OUT, "Yes, it left today.", t + 300));
    }

  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  picky_store_ingest_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  fixture->message = picky_message_get_id (batch->pdata[0]);
  fixture->contact = picky_message_get_contact_id (batch->pdata[0]);
}

/* A WhatsApp channel added as the Add Channel dialog adds one, its verify
 * token generated, so that its Edit dialog shows the setup again. Added
 * once; the tests share the store. */
static PickyChannel *
whatsapp_channel (Fixture *fixture)
{
  static gint64 id;
  PickyService *service = picky_application_get_service (fixture->app);
  PickyChannelRegistry *registry = picky_service_get_registry (service);

  if (id == 0)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GHashTable) secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_autoptr(JsonObject) settings = json_object_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *json = NULL;

      json_object_set_string_member (settings, "phone_number_id", "104512345678901");
      json_object_set_string_member (settings, "graph_base", "http://127.0.0.1:9");
      g_hash_table_insert (secrets, g_strdup ("access-token"), g_strdup ("access-token-0123456789"));
      g_hash_table_insert (secrets, g_strdup ("app-secret"), g_strdup ("app-secret-0123456789"));
      picky_channel_class_prepare_settings (picky_channel_registry_get_kind_type (registry, "whatsapp"),
                                            settings, secrets);
      root = json_node_init_object (json_node_alloc (), settings);
      json = json_to_string (root, FALSE);
      picky_service_add_channel_async (service, "whatsapp", "whatsapp", "WhatsApp +49 30 1234567", json, secrets,
                                       NULL, picky_test_got_result_cb, &result);
      id = picky_service_add_channel_finish (service, picky_test_wait_result (&result), &error);
      g_assert_no_error (error);
    }

  return picky_channel_registry_lookup (registry, id);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  static const char *muted[] = { "telegram", NULL };

  /* No notification server in this session: the messages stay quiet. */
  g_settings_set_strv (settings, "notify-muted-apps", muted);
  fixture->app = picky_test_gui_application ();
  picky_test_gui_wait_service_ready (picky_application_get_service (fixture->app));
  /* The tests share one store, filled once. */
  {
    static gint64 contact;
    static gint64 message;

    if (message == 0)
      {
        fill_store (fixture);
        contact = fixture->contact;
        message = fixture->message;
      }
    fixture->contact = contact;
    fixture->message = message;
  }

  fixture->window = picky_window_new (fixture->app);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1000, 700);
  gtk_window_present (GTK_WINDOW (fixture->window));
  picky_test_gui_wait_mapped (GTK_WIDGET (fixture->window));
  picky_test_spin (300);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_object (&fixture->app);
}

static void
show_page (Fixture    *fixture,
           const char *name)
{
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", name);
  picky_test_spin (300);
  g_assert_cmpstr (picky_window_get_visible_page (fixture->window), ==, name);
}

/* One check of a window, a dialog or an open menu, as it is shown. */
typedef void (*CheckFunc) (GtkWidget  *root,
                           const char *where,
                           GString    *problems);

/* Checks a dialog while it is open, then closes it. */
static void
check_dialog (GtkWindow  *dialog,
              const char *where,
              CheckFunc   check,
              GString    *problems)
{
  gtk_window_present (dialog);
  picky_test_gui_wait_mapped (GTK_WIDGET (dialog));
  picky_test_spin (300);
  check (GTK_WIDGET (dialog), where, problems);
  gtk_window_destroy (dialog);
  picky_test_spin (50);
}

static void
check_preferences (Fixture   *fixture,
                   CheckFunc  check,
                   GString   *problems)
{
  PickyPreferencesWindow *preferences = picky_preferences_window_new (GTK_WINDOW (fixture->window));
  g_autoptr(GPtrArray) pages = NULL;

  picky_preferences_window_set_service (preferences, picky_application_get_service (fixture->app));
  gtk_window_present (GTK_WINDOW (preferences));
  picky_test_gui_wait_mapped (GTK_WIDGET (preferences));
  picky_test_spin (300);

  pages = picky_test_gui_find_all (GTK_WIDGET (preferences), ADW_TYPE_PREFERENCES_PAGE);
  for (guint i = 0; i < pages->len; i++)
    {
      g_autofree char *where = NULL;

      /* A page inside a page (a subpage's) is shown by its own. */
      if (!ADW_IS_VIEW_STACK (gtk_widget_get_parent (pages->pdata[i])))
        continue;
      where = g_strdup_printf ("Preferences, %s", adw_preferences_page_get_title (pages->pdata[i]));
      adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (preferences), pages->pdata[i]);
      picky_test_spin (300);
      check (GTK_WIDGET (preferences), where, problems);
    }

  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* The menu behind the header's menu button, open. */
static void
check_main_menu (Fixture   *fixture,
                 CheckFunc  check,
                 GString   *problems)
{
  g_autoptr(GPtrArray) buttons = picky_test_gui_find_all (GTK_WIDGET (fixture->window), GTK_TYPE_MENU_BUTTON);
  GtkMenuButton *button = NULL;

  /* F10 opens it, in any language. */
  for (guint i = 0; i < buttons->len; i++)
    if (gtk_menu_button_get_primary (buttons->pdata[i]))
      button = buttons->pdata[i];
  g_assert_nonnull (button);
  gtk_menu_button_popup (button);
  picky_test_spin (300);
  check (GTK_WIDGET (gtk_menu_button_get_popover (button)), "Main menu", problems);
  gtk_menu_button_popdown (button);
}

/* Every page, a conversation and a report open, the main menu, the
 * preferences and every dialog, each checked by @check. */
static void
check_everything (Fixture   *fixture,
                  CheckFunc  check,
                  GString   *problems)
{
  PickyService *service = picky_application_get_service (fixture->app);
  PickyStore *store = picky_service_get_store (service);
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  g_autoptr(GDate) last = g_date_new ();
  g_autoptr(GDate) first = NULL;

  g_date_set_time_t (last, time (NULL));
  first = g_date_copy (last);
  g_date_subtract_days (first, 7);

  show_page (fixture, "inbox");
  check (GTK_WIDGET (fixture->window), "Inbox", problems);
  picky_window_open_message (fixture->window, fixture->message);
  picky_test_spin (500);
  check (GTK_WIDGET (fixture->window), "Inbox, a conversation open", problems);

  show_page (fixture, "contacts");
  check (GTK_WIDGET (fixture->window), "Contacts", problems);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-report", "x", fixture->contact);
  picky_test_spin (1000);
  check (GTK_WIDGET (fixture->window), "Contacts, a report open", problems);

  show_page (fixture, "channels");
  check (GTK_WIDGET (fixture->window), "Channels", problems);

  check_main_menu (fixture, check, problems);
  check_preferences (fixture, check, problems);

  check_dialog (GTK_WINDOW (picky_add_channel_dialog_new (GTK_WINDOW (fixture->window), service)),
                "Add Channel", check, problems);
  check_dialog (GTK_WINDOW (picky_add_channel_dialog_new_for_channel (GTK_WINDOW (fixture->window), service,
                                                                      whatsapp_channel (fixture))),
                "Edit Channel", check, problems);
  check_dialog (GTK_WINDOW (picky_pair_dialog_new (GTK_WINDOW (fixture->window), store, settings)),
                "Pair a Phone", check, problems);
  check_dialog (GTK_WINDOW (picky_erase_dialog_new (GTK_WINDOW (fixture->window), store, fixture->contact,
                                                    "Ana Müller 0")),
                "Erase Contact", check, problems);
  check_dialog (GTK_WINDOW (picky_disclosure_dialog_new (GTK_WINDOW (fixture->window), store, fixture->contact,
                                                         "Ana Müller 0", tz, first, last)),
                "Disclose", check, problems);
}

/* None may offer a control a screen reader cannot name, names a
 * mnemonic's underscore or reads twice, and no two share a mnemonic. */
static void
test_accessibility_names (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GString) problems = g_string_new (NULL);

  check_everything (fixture, check_window, problems);
  if (problems->len > 0)
    g_test_message ("%s", problems->str);
  g_assert_cmpstr (problems->str, ==, "");

  /* The list that holds the contacts' rows is not named by the text of
   * every row it shows (its view carries the name). */
  {
    GtkWidget *view = picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_COLUMN_VIEW, _("Contacts"));
    GtkWidget *rows = NULL;
    g_autofree char *name = NULL;

    g_assert_nonnull (view);
    for (GtkWidget *child = gtk_widget_get_first_child (view); child != NULL && rows == NULL;
         child = gtk_widget_get_next_sibling (child))
      if (GTK_IS_LIST_VIEW (child))
        rows = child;
    g_assert_nonnull (rows);
    name = picky_test_gui_accessible_name (rows);
    g_assert_cmpstr (name, ==, "");
  }
}

static GtkWidget *
list_of (GtkWidget *widget)
{
  GtkWidget *list = gtk_widget_get_ancestor (widget, GTK_TYPE_COLUMN_VIEW);

  return list != NULL ? list : gtk_widget_get_ancestor (widget, GTK_TYPE_LIST_VIEW);
}

static gboolean
in_header (GtkWidget *widget)
{
  return gtk_widget_get_ancestor (widget, ADW_TYPE_HEADER_BAR) != NULL ||
         gtk_widget_get_ancestor (widget, GTK_TYPE_HEADER_BAR) != NULL;
}

static const char *
str_or_empty (const char *text)
{
  return text != NULL ? text : "";
}

static gboolean
has_focusable_child (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    if ((gtk_widget_get_focusable (child) && gtk_widget_get_visible (child)) || has_focusable_child (child))
      return TRUE;

  return FALSE;
}

/* Tab once round @root, as a keyboard user does: the header first, every
 * list one stop (the arrows move inside it), a list before what it opened,
 * and nothing that is only a slot for a control (a flow box's child). */
static void
check_tab_stops (GtkWidget  *root,
                 const char *where,
                 GString    *problems)
{
  g_autoptr(GString) order = g_string_new (NULL);
  g_autoptr(GPtrArray) stops = g_ptr_array_new ();
  g_autoptr(GHashTable) lists_left = g_hash_table_new (NULL, NULL);
  GtkWidget *first = NULL;
  GtkWidget *previous_list = NULL;
  gboolean left_header = FALSE;
  guint detail_at = G_MAXUINT;
  guint list_at = G_MAXUINT;

  /* An open menu goes by the arrows. */
  if (!GTK_IS_WINDOW (root))
    return;

  gtk_root_set_focus (GTK_ROOT (root), NULL);
  for (guint press = 0; press < 200; press++)
    {
      GtkWidget *focus;
      GtkWidget *list;
      g_autofree char *name = NULL;

      g_signal_emit_by_name (root, "move-focus", GTK_DIR_TAB_FORWARD);
      picky_test_spin (5);
      focus = gtk_root_get_focus (GTK_ROOT (root));
      if (focus == NULL)
        continue;
      if (focus == first)
        break;
      if (first == NULL)
        first = focus;
      g_ptr_array_add (stops, focus);

      name = picky_test_gui_accessible_name (presented_widget (focus));
      g_string_append_printf (order, "%s%s", order->len > 0 ? " → " : "", *name != '\0' ? name : G_OBJECT_TYPE_NAME (focus));

      if (*name == '\0')
        {
          g_string_append_printf (problems, "%s: Tab stops at an unnamed %s (in", where, G_OBJECT_TYPE_NAME (focus));
          for (GtkWidget *up = gtk_widget_get_parent (focus); up != NULL && up != root; up = gtk_widget_get_parent (up))
            if (g_str_has_prefix (G_OBJECT_TYPE_NAME (up), "Picky") || gtk_widget_get_name (up)[0] != '\0')
              {
                g_string_append_printf (problems, " %s", G_OBJECT_TYPE_NAME (up));
                break;
              }
          g_string_append (problems, ")\n");
        }
      else if (stops->len > 1 && focus == stops->pdata[stops->len - 2])
        {
          g_string_append_printf (problems, "%s: Tab does not move on from \"%s\"\n", where, name);
          break;
        }
      else if (GTK_IS_LABEL (focus) && stops->len > 1 && ADW_IS_ACTION_ROW (stops->pdata[stops->len - 2]) &&
               gtk_widget_is_ancestor (focus, stops->pdata[stops->len - 2]))
        g_string_append_printf (problems, "%s: the row \"%s\" and its text \"%s\" are two Tab stops\n", where,
                                picky_test_gui_accessible_name (stops->pdata[stops->len - 2]), name);
      else if (ADW_IS_ACTION_ROW (focus) && !gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (focus)) &&
               has_focusable_child (focus) && *str_or_empty (adw_action_row_get_subtitle (ADW_ACTION_ROW (focus))) == '\0' &&
               !gtk_test_accessible_has_property (GTK_ACCESSIBLE (focus), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION))
        g_string_append_printf (problems, "%s: the row \"%s\" neither acts nor tells anything, but is a Tab stop before its controls\n",
                                where, name);

      if (GTK_IS_FLOW_BOX_CHILD (focus))
        g_string_append_printf (problems, "%s: a flow box's slot is a Tab stop of its own (before \"%s\")\n", where,
                                gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (focus)) != NULL
                                ? G_OBJECT_TYPE_NAME (gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (focus))) : "");

      if (in_header (focus))
        {
          if (left_header && gtk_widget_get_ancestor (focus, ADW_TYPE_VIEW_SWITCHER_BAR) == NULL)
            g_string_append_printf (problems, "%s: \"%s\" in the header comes after the page\n", where, name);
        }
      else if (gtk_widget_get_ancestor (focus, ADW_TYPE_VIEW_SWITCHER_BAR) == NULL)
        left_header = TRUE;

      list = list_of (focus);
      if (list != NULL && list == previous_list)
        g_string_append_printf (problems, "%s: Tab walks from row to row in \"%s\"\n", where,
                                picky_test_gui_accessible_name (list));
      else if (list != NULL && g_hash_table_contains (lists_left, list))
        g_string_append_printf (problems, "%s: \"%s\" is two Tab stops\n", where, picky_test_gui_accessible_name (list));
      if (previous_list != NULL && list != previous_list)
        g_hash_table_add (lists_left, previous_list);
      previous_list = list;

      if (list != NULL && list_at == G_MAXUINT)
        list_at = stops->len;
      if (detail_at == G_MAXUINT && (gtk_widget_get_ancestor (focus, PICKY_TYPE_CONVERSATION_VIEW) != NULL ||
                                     gtk_widget_get_ancestor (focus, PICKY_TYPE_REPORT_VIEW) != NULL))
        detail_at = stops->len;
    }

  g_test_message ("%s: %u Tab stops: %s", where, stops->len, order->str);
  if (detail_at < list_at && list_at != G_MAXUINT)
    g_string_append_printf (problems, "%s: what the list opened comes before the list\n", where);
}

/* A keyboard user reaches everything with Tab in the order it is read,
 * and a list of hundreds of rows costs one press. */
static void
test_accessibility_tab_stops (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GString) problems = g_string_new (NULL);

  check_everything (fixture, check_tab_stops, problems);

  if (problems->len > 0)
    g_test_message ("%s", problems->str);
  g_assert_cmpstr (problems->str, ==, "");
}

/* What pressing Tab (or Shift+Tab) does: GtkWindow's key binding emits
 * move-focus. */
static GtkWidget *
press_tab (Fixture          *fixture,
           GtkDirectionType  direction)
{
  g_signal_emit_by_name (fixture->window, "move-focus", direction);
  picky_test_spin (10);
  return gtk_root_get_focus (GTK_ROOT (fixture->window));
}

static gboolean
is_inside (GtkWidget *widget,
           GtkWidget *ancestor)
{
  return widget != NULL && (widget == ancestor || gtk_widget_is_ancestor (widget, ancestor));
}

/* From the header to the conversations takes the filters on the way and
 * nothing else; the list is one Tab stop, with the arrows inside it, and
 * the conversation comes after it. */
static void
test_accessibility_inbox_tab_order (Fixture       *fixture,
                                    gconstpointer  data)
{
  GtkWidget *list = picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_LIST_VIEW, _("Conversations"));
  GtkWidget *header = picky_test_gui_find_only (GTK_WIDGET (fixture->window), ADW_TYPE_HEADER_BAR);
  GtkWidget *status = picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_DROP_DOWN,
                                                 _("Which conversations to show"));
  GtkWidget *channel = picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_DROP_DOWN,
                                                  _("Show conversations of channel"));
  GtkWidget *focus;
  gboolean passed_status = FALSE;
  gboolean passed_channel = FALSE;
  guint presses = 0;

  show_page (fixture, "inbox");
  g_assert_nonnull (list);
  g_assert_nonnull (status);
  g_assert_nonnull (channel);
  picky_window_open_message (fixture->window, fixture->message);
  picky_test_spin (300);

  /* The first stop in the window is in the header. */
  gtk_root_set_focus (GTK_ROOT (fixture->window), NULL);
  focus = press_tab (fixture, GTK_DIR_TAB_FORWARD);
  g_assert_true (is_inside (focus, header));

  while (!is_inside (focus, list))
    {
      g_assert_cmpuint (++presses, <=, 30);
      passed_status |= is_inside (focus, status);
      passed_channel |= is_inside (focus, channel);
      focus = press_tab (fixture, GTK_DIR_TAB_FORWARD);
    }
  g_test_message ("%u Tab presses from the header to the conversations", presses);
  g_assert_true (passed_status);
  g_assert_true (passed_channel);
  /* The header's switcher and menu, two filters, the apps' chips. */
  g_assert_cmpuint (presses, <=, 12);

  /* One press leaves the list, wherever in it the focus is; the next stop
   * is the open conversation, and Shift+Tab goes back into the list. */
  g_assert_true (gtk_widget_child_focus (list, GTK_DIR_DOWN));
  g_assert_true (is_inside (gtk_root_get_focus (GTK_ROOT (fixture->window)), list));
  focus = press_tab (fixture, GTK_DIR_TAB_FORWARD);
  g_assert_false (is_inside (focus, list));
  g_assert_nonnull (gtk_widget_get_ancestor (focus, PICKY_TYPE_CONVERSATION_VIEW));
  focus = press_tab (fixture, GTK_DIR_TAB_BACKWARD);
  g_assert_true (is_inside (focus, list));
  focus = press_tab (fixture, GTK_DIR_TAB_BACKWARD);
  g_assert_false (is_inside (focus, list));
}

/* The Contacts page as the Inbox: the header, the search and the range
 * filters, then the list as one stop (a report takes the list's place). */
static void
test_accessibility_contacts_tab_order (Fixture       *fixture,
                                       gconstpointer  data)
{
  GtkWidget *header = picky_test_gui_find_only (GTK_WIDGET (fixture->window), ADW_TYPE_HEADER_BAR);
  GtkWidget *list;
  GtkWidget *focus;
  guint presses = 0;

  show_page (fixture, "contacts");
  picky_test_spin (500);
  list = picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_COLUMN_VIEW, _("Contacts"));
  g_assert_nonnull (list);

  gtk_root_set_focus (GTK_ROOT (fixture->window), NULL);
  focus = press_tab (fixture, GTK_DIR_TAB_FORWARD);
  g_assert_true (is_inside (focus, header));
  while (!is_inside (focus, list))
    {
      g_assert_cmpuint (++presses, <=, 30);
      focus = press_tab (fixture, GTK_DIR_TAB_FORWARD);
    }
  g_test_message ("%u Tab presses from the header to the contacts", presses);
  /* The switcher and menu, the search, the range, Show All, All Contacts Report. */
  g_assert_cmpuint (presses, <=, 8);

  /* One press leaves the list from any row, and Shift+Tab comes back. */
  g_assert_true (gtk_widget_child_focus (list, GTK_DIR_DOWN));
  g_assert_true (is_inside (gtk_root_get_focus (GTK_ROOT (fixture->window)), list));
  focus = press_tab (fixture, GTK_DIR_TAB_FORWARD);
  g_assert_false (is_inside (focus, list));
  focus = press_tab (fixture, GTK_DIR_TAB_BACKWARD);
  g_assert_true (is_inside (focus, list));
}

/* The README promises a phone-sized window: nothing in the header or on
 * any page may keep the window wider than 360 pixels. */
static void
test_accessibility_narrow (Fixture       *fixture,
                           gconstpointer  data)
{
  int minimum = 0;

  for (guint i = 0; i < 3; i++)
    {
      static const char *pages[] = { "inbox", "contacts", "channels" };

      show_page (fixture, pages[i]);
      gtk_widget_measure (GTK_WIDGET (fixture->window), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
      g_test_message ("%s: the window is at least %d pixels wide", pages[i], minimum);
      g_assert_cmpint (minimum, <=, 360);
    }

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 360, 720);
  picky_test_spin (500);
  /* The window's frame around the widgets is part of the 360 pixels. */
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->window)), <=, 360);

  /* At that width every page shows its buttons whole and no text past the
   * window's edge. */
  {
    g_autoptr(GPtrArray) cut = g_ptr_array_new_with_free_func (g_free);

    for (guint i = 0; i < 3; i++)
      {
        static const char *pages[] = { "inbox", "contacts", "channels" };

        show_page (fixture, pages[i]);
        picky_test_spin (300);
        picky_test_gui_find_cut_labels (GTK_WIDGET (fixture->window), pages[i], cut);
        picky_test_gui_find_overflowing_labels (GTK_WIDGET (fixture->window), pages[i], cut);
      }
    for (guint i = 0; i < cut->len; i++)
      g_test_message ("%s", (char *) cut->pdata[i]);
    g_assert_cmpuint (cut->len, ==, 0);
  }
}

/* What keeps @root wide: the deepest widgets whose minimum width comes
 * close to @limit, for the message of a failing test. */
static void
describe_wide (GtkWidget *root,
               int        limit,
               GString   *out)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      int minimum = 0;

      gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
      if (gtk_widget_get_visible (child) && minimum >= limit - 60)
        {
          g_string_append_printf (out, "  %s %s: %d\n", G_OBJECT_TYPE_NAME (child),
                                  GTK_IS_LABEL (child) ? gtk_label_get_text (GTK_LABEL (child)) : "", minimum);
          describe_wide (child, limit, out);
        }
    }
}

/* A dialog fits a phone's 360 pixels, the window's frame included, in
 * every language: nothing in it may ask for more. */
static void
check_dialog_width (GtkWindow  *dialog,
                    const char *where,
                    GString    *problems)
{
  GtkWidget *content;
  g_autoptr(GPtrArray) labels = NULL;
  g_autoptr(GPtrArray) cut = g_ptr_array_new_with_free_func (g_free);
  int minimum = 0;

  gtk_window_set_default_size (dialog, 360, 720);
  gtk_window_present (dialog);
  picky_test_gui_wait_mapped (GTK_WIDGET (dialog));
  picky_test_spin (300);

  /* A phone shows the content without the desktop's window frame, as
   * libadwaita's own dialogs count their 360 pixels. */
  content = ADW_IS_WINDOW (dialog) ? adw_window_get_content (ADW_WINDOW (dialog)) : GTK_WIDGET (dialog);
  gtk_widget_measure (content, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_test_message ("%s: at least %d pixels wide", where, minimum);
  if (minimum > 360)
    {
      g_string_append_printf (problems, "%s is at least %d pixels wide:\n", where, minimum);
      describe_wide (content, 360, problems);
    }

  /* Nothing below its bottom edge that no scrolling reaches. */
  gtk_widget_measure (content, GTK_ORIENTATION_VERTICAL, gtk_widget_get_width (content), &minimum, NULL, NULL, NULL);
  if (minimum > gtk_widget_get_height (content))
    g_string_append_printf (problems, "%s needs %d pixels of height at 360 pixels wide but has %d\n", where, minimum,
                            gtk_widget_get_height (content));

  /* Nothing in it cut short at that width: a title, a button, a value. */
  labels = picky_test_gui_find_all (GTK_WIDGET (dialog), GTK_TYPE_LABEL);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = g_ptr_array_index (labels, i);

      if (gtk_widget_get_mapped (GTK_WIDGET (label)) && pango_layout_is_ellipsized (gtk_label_get_layout (label)))
        g_string_append_printf (problems, "%s: \"%s\" is cut short at 360 pixels\n", where, gtk_label_get_text (label));
    }
  /* Nor a button's label, a column's header or a row's title narrower
   * than its text (a label need not be ellipsized to lose letters), nor
   * text laid out past the window's edge. */
  picky_test_gui_find_cut_labels (GTK_WIDGET (dialog), where, cut);
  picky_test_gui_find_overflowing_labels (GTK_WIDGET (dialog), where, cut);
  for (guint i = 0; i < cut->len; i++)
    if (strstr (cut->pdata[i], "ellipsized") == NULL)
      g_string_append_printf (problems, "%s at 360 pixels\n", (char *) cut->pdata[i]);

  gtk_window_destroy (dialog);
  picky_test_spin (50);
}

static void
test_accessibility_narrow_dialogs (Fixture       *fixture,
                                   gconstpointer  data)
{
  PickyService *service = picky_application_get_service (fixture->app);
  PickyStore *store = picky_service_get_store (service);
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  g_autoptr(GDate) last = g_date_new ();
  g_autoptr(GDate) first = NULL;
  PickyChannel *channel = whatsapp_channel (fixture);

  g_date_set_time_t (last, time (NULL));
  first = g_date_copy (last);
  g_date_subtract_days (first, 30);
  g_assert_nonnull (channel);

  check_dialog_width (GTK_WINDOW (picky_add_channel_dialog_new (GTK_WINDOW (fixture->window), service)),
                      "Add Channel", problems);
  check_dialog_width (GTK_WINDOW (picky_add_channel_dialog_new_for_channel (GTK_WINDOW (fixture->window), service,
                                                                            channel)),
                      "Edit Channel", problems);
  check_dialog_width (GTK_WINDOW (picky_pair_dialog_new (GTK_WINDOW (fixture->window), store, settings)),
                      "Pair a Phone", problems);
  check_dialog_width (picky_test_gui_erase_dialog_ready (GTK_WINDOW (fixture->window), store, fixture->contact,
                                                         "Ana Müller 0"),
                      "Erase Contact", problems);
  check_dialog_width (GTK_WINDOW (picky_disclosure_dialog_new (GTK_WINDOW (fixture->window), store, fixture->contact,
                                                               "Ana Müller 0", tz, first, last)),
                      "Disclose", problems);
  {
    PickyPreferencesWindow *preferences = picky_preferences_window_new (GTK_WINDOW (fixture->window));

    picky_preferences_window_set_service (preferences, service);
    check_dialog_width (GTK_WINDOW (preferences), "Preferences", problems);
  }

  if (problems->len > 0)
    g_test_message ("%s", problems->str);
  g_assert_cmpstr (problems->str, ==, "");
}

/* What a screen reader reads of what was never shown: the buttons of the
 * report, the range's drop-down and the report's flow boxes, from the
 * moment their page is made (Contacts and Channels are made when first
 * shown; the report is never shown here), not from their own showing. */
static void
test_accessibility_never_shown (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GPtrArray) buttons = NULL;
  g_autoptr(GPtrArray) cells = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  guint unshown = 0;

  g_assert_cmpstr (picky_window_get_visible_page (fixture->window), ==, "inbox");
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "channels");
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "contacts");
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "inbox");
  buttons = picky_test_gui_find_all (GTK_WIDGET (fixture->window), GTK_TYPE_BUTTON);
  cells = picky_test_gui_find_all (GTK_WIDGET (fixture->window), GTK_TYPE_FLOW_BOX_CHILD);
  for (guint i = 0; i < buttons->len; i++)
    {
      GtkWidget *button = g_ptr_array_index (buttons, i);
      g_autofree char *name = NULL;
      g_auto(GStrv) parts = NULL;

      if (gtk_widget_get_mapped (button))
        continue;

      /* A drop-down's toggle, the report's range: named by its drop-down. */
      if (GTK_IS_DROP_DOWN (gtk_widget_get_parent (button)))
        {
          name = picky_test_gui_accessible_name (button);
          if (*name == '\0' || is_type_name (name))
            g_string_append_printf (problems, "a drop-down's toggle has no name\n");
          continue;
        }
      if (gtk_button_get_label (GTK_BUTTON (button)) == NULL)
        continue;

      unshown++;
      name = picky_test_gui_accessible_name (button);
      parts = picky_test_gui_accessible_name_parts (button);
      if (has_mnemonic (name))
        g_string_append_printf (problems, "\"%s\" has a mnemonic underscore in its name\n", name);
      else if (repeats_itself (parts))
        g_string_append_printf (problems, "\"%s\" repeats itself\n", name);
    }

  /* The report's buttons sit in flow boxes: one Tab stop each, not two. */
  for (guint i = 0; i < cells->len; i++)
    {
      GtkWidget *cell = g_ptr_array_index (cells, i);
      GtkFlowBox *box = GTK_FLOW_BOX (gtk_widget_get_parent (cell));

      if (!gtk_widget_get_mapped (cell) && gtk_flow_box_get_selection_mode (box) == GTK_SELECTION_NONE &&
          gtk_widget_get_focusable (cell))
        g_string_append_printf (problems, "a flow box cell around %s takes a Tab stop of its own\n",
                                G_OBJECT_TYPE_NAME (gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (cell))));
    }

  g_test_message ("%u buttons with labels never shown", unshown);
  /* "_All Contacts Report", "_Print…", "Show as _Table" and more. */
  g_assert_cmpuint (unshown, >=, 5);
  if (problems->len > 0)
    g_test_message ("%s", problems->str);
  g_assert_cmpstr (problems->str, ==, "");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = g_dir_make_tmp ("picky-a11y-XXXXXX", NULL);
  int status;

  /* A store of its own, so that the other window tests still find an
   * empty one at the default place. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  picky_test_gui_init (&argc, &argv);

  g_test_add ("/picky/accessibility/never-shown", Fixture, NULL,
              fixture_set_up, test_accessibility_never_shown, fixture_tear_down);
  g_test_add ("/picky/accessibility/names", Fixture, NULL,
              fixture_set_up, test_accessibility_names, fixture_tear_down);
  g_test_add ("/picky/accessibility/tab-stops", Fixture, NULL,
              fixture_set_up, test_accessibility_tab_stops, fixture_tear_down);
  g_test_add ("/picky/accessibility/inbox-tab-order", Fixture, NULL,
              fixture_set_up, test_accessibility_inbox_tab_order, fixture_tear_down);
  g_test_add ("/picky/accessibility/contacts-tab-order", Fixture, NULL,
              fixture_set_up, test_accessibility_contacts_tab_order, fixture_tear_down);
  g_test_add ("/picky/accessibility/narrow", Fixture, NULL,
              fixture_set_up, test_accessibility_narrow, fixture_tear_down);
  g_test_add ("/picky/accessibility/narrow-dialogs", Fixture, NULL,
              fixture_set_up, test_accessibility_narrow_dialogs, fixture_tear_down);

  status = g_test_run ();
  picky_test_remove_tree (data_home);
  return status;
}
