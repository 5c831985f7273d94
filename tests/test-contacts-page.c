/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Contacts page in a real window: every column sorts, search finds names and numbers, reports open and export. */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "picky-app-catalog.h"
#include "picky-contact-item.h"
#include "picky-languages.h"
#include "picky-contacts-page.h"
#include "picky-list-row.h"
#include "picky-report-draw.h"
#include "picky-report-view.h"
#include "picky-test-gui.h"

#define N_CONTACTS 60

/* What a fixture adds to the usual store and window. */
enum {
  WITH_OLD_CONTACT = 1 << 0,   /* one more contact, who wrote only 100 days ago */
  NARROW = 1 << 1,             /* a window 360 pixels wide */
  GERMAN = 1 << 2,             /* the window in German */
};

typedef struct {
  char              *dir;
  PickyService      *service;
  GtkWindow         *window;
  PickyContactsPage *page;
  gboolean           done;
  gint64             expected_contact;
} Fixture;

static const char *first_names[] = { "Ana", "Jörg", "Émilie", "Ravi", "Zoë", "Kofi", "Ölçer", "Lena", "Omar", "Yuki" };
static const char *last_names[] = { "Müller", "Souza", "Dubois", "Kumar", "Mensah", "Levi" };

static gboolean
is_done (gpointer data)
{
  return ((Fixture *) data)->done;
}

static void
on_started_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (picky_service_start_finish (PICKY_SERVICE (object), result, &error));
  g_assert_no_error (error);
  fixture->done = TRUE;
}

static void
on_done_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static gboolean
is_loaded (gpointer data)
{
  Fixture *fixture = data;

  return !picky_contacts_page_get_loading (fixture->page) &&
         g_list_model_get_n_items (picky_contacts_page_get_model (fixture->page)) == N_CONTACTS;
}

static gboolean
is_loaded_plus_one (gpointer data)
{
  Fixture *fixture = data;

  return !picky_contacts_page_get_loading (fixture->page) &&
         g_list_model_get_n_items (picky_contacts_page_get_model (fixture->page)) == N_CONTACTS + 1;
}

/* Contacts with names in several scripts, numbers spelt in several ways,
 * and message counts and reply times that differ, within the last week. */
static void
fill_store (Fixture *fixture,
            guint    flags)
{
  PickyStore *store = picky_service_get_store (fixture->service);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 channel;

  picky_store_add_channel_async (store, "telegram", "telegram", "Desk", "{}", NULL, on_done_cb, &result);
  g_assert_true (picky_test_wait_until (has_result, &result, 10000));
  channel = picky_store_add_channel_finish (store, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  for (guint c = 0; c < N_CONTACTS; c++)
    {
      g_autofree char *name = g_strdup_printf ("%s %s %u", first_names[c % G_N_ELEMENTS (first_names)],
                                               last_names[c % G_N_ELEMENTS (last_names)], c);
      g_autofree char *phone = g_strdup_printf ("+49 170 %03u %04u", c * 7 % 1000, c * 37 % 10000);
      g_autofree char *provider_id = g_strdup_printf ("p%u", c);
      /* Incoming messages 1 + c % 9, one reply after (c * 53 % 600) seconds. */
      guint n_in = 1 + c % 9;
      gint64 t = now - 3 * 86400 + c * 60;

      for (guint m = 0; m <= n_in; m++)
        {
          PickyMessage *message = picky_message_new ();
          g_autofree char *key = g_strdup_printf ("%u-%u", c, m);
          gboolean in = m < n_in;

          picky_message_set_channel_id (message, channel);
          picky_message_set_provider_key (message, key);
          picky_message_set_contact_provider_id (message, provider_id);
          picky_message_set_contact_name (message, name);
          picky_message_set_contact_phone (message, phone);
          picky_message_set_direction (message, in ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT);
          picky_message_set_text (message, "hello");
          picky_message_set_timestamp (message, in ? t + m : t + n_in + c * 53 % 600);
          picky_message_set_received (message, t);
          g_ptr_array_add (batch, message);
        }
    }

  if (flags & WITH_OLD_CONTACT)
    {
      PickyMessage *message = picky_message_new ();

      picky_message_set_channel_id (message, channel);
      picky_message_set_provider_key (message, "old-1");
      picky_message_set_contact_provider_id (message, "old");
      picky_message_set_contact_name (message, "Old Timer");
      picky_message_set_direction (message, PICKY_DIRECTION_IN);
      picky_message_set_text (message, "hello, long ago");
      picky_message_set_timestamp (message, now - 100 * 86400);
      picky_message_set_received (message, now - 100 * 86400);
      g_ptr_array_add (batch, message);
    }

  picky_store_ingest_async (store, batch, NULL, on_done_cb, &result);
  g_assert_true (picky_test_wait_until (has_result, &result, 20000));
  picky_store_ingest_finish (store, result, &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *db = NULL;
  guint flags = GPOINTER_TO_UINT (data);

  if (flags & GERMAN)
    {
      /* Before any widget is built, as `LANGUAGE=de picky-console` starts. */
      g_setenv ("LANGUAGE", "de", TRUE);
      picky_languages_bind_textdomain ();
    }

  /* Each test starts from the default order. */
  {
    g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);

    g_settings_reset (settings, "contacts-sort");
    g_settings_reset (settings, "contacts-sort-descending");
  }

  fixture->dir = g_dir_make_tmp ("picky-contacts-XXXXXX", NULL);
  db = g_build_filename (fixture->dir, "console.db", NULL);
  fixture->service = picky_service_new (db);
  picky_service_start_async (fixture->service, FALSE, NULL, on_started_cb, fixture);
  g_assert_true (picky_test_wait_until (is_done, fixture, 20000));
  fill_store (fixture, flags);

  fixture->window = GTK_WINDOW (gtk_window_new ());
  if (flags & NARROW)
    gtk_window_set_default_size (fixture->window, 360, 720);
  else
    gtk_window_set_default_size (fixture->window, 900, 700);
  fixture->page = g_object_new (PICKY_TYPE_CONTACTS_PAGE, NULL);
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->page));
  picky_contacts_page_set_service (fixture->page, fixture->service);
  gtk_window_present (fixture->window);
  picky_test_gui_wait_mapped (GTK_WIDGET (fixture->page));
  g_assert_true (picky_test_wait_until (is_loaded, fixture, 20000));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (fixture->window);
  picky_service_shutdown (fixture->service);
  g_clear_object (&fixture->service);
  picky_test_remove_tree (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
  if (GPOINTER_TO_UINT (data) & GERMAN)
    {
      g_unsetenv ("LANGUAGE");
      picky_languages_bind_textdomain ();
    }
}

static gint64
value_of (PickyContactItem *item,
          guint             column)
{
  switch (column)
    {
    case 1: return picky_contact_item_get_n_in (item);
    case 2: return picky_contact_item_get_n_out (item);
    case 3: return picky_contact_item_get_first_seen (item);
    case 4: return picky_contact_item_get_last_seen (item);
    case 5: return picky_contact_item_get_median_response (item);
    default: g_assert_not_reached ();
    }
}

/* The contact the column view shows at @position: its rows stay in place
 * while contacts move through them. */
static PickyContactItem *
shown_contact (GListModel *rows,
               guint       position)
{
  g_autoptr(PickyListRow) row = g_list_model_get_item (rows, position);

  return g_object_ref (picky_list_row_get_item (row));
}

/* Clicking each header sorts by it, both ways, and the rows the column
 * view shows follow. */
static void
test_contacts_sort (Fixture       *fixture,
                    gconstpointer  data)
{
  GtkColumnView *view = GTK_COLUMN_VIEW (picky_test_gui_find_named (GTK_WIDGET (fixture->window),
                                                                    GTK_TYPE_COLUMN_VIEW, "Contacts"));
  GListModel *columns = gtk_column_view_get_columns (view);
  GListModel *rows = G_LIST_MODEL (gtk_column_view_get_model (view));

  g_assert_cmpuint (g_list_model_get_n_items (columns), ==, 6);
  for (guint c = 0; c < 6; c++)
    for (int direction = 0; direction < 2; direction++)
      {
        g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, c);

        gtk_column_view_sort_by_column (view, column, direction == 0 ? GTK_SORT_ASCENDING : GTK_SORT_DESCENDING);
        picky_test_spin (20);
        g_assert_cmpuint (g_list_model_get_n_items (rows), ==, N_CONTACTS);

        for (guint i = 1; i < N_CONTACTS; i++)
          {
            g_autoptr(PickyContactItem) a = shown_contact (rows, i - 1);
            g_autoptr(PickyContactItem) b = shown_contact (rows, i);
            int order;

            if (c == 0)
              order = g_utf8_collate (picky_contact_item_get_label (a), picky_contact_item_get_label (b));
            else
              order = value_of (a, c) < value_of (b, c) ? -1 : value_of (a, c) > value_of (b, c);
            if (direction == 1)
              order = -order;
            g_assert_cmpint (order, <=, 0);
          }
      }

  /* The values differ from contact to contact, so a sort that did nothing would fail. */
  {
    g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, 1);
    g_autoptr(PickyContactItem) top = NULL;

    gtk_column_view_sort_by_column (view, column, GTK_SORT_DESCENDING);
    top = shown_contact (rows, 0);
    g_assert_cmpuint (picky_contact_item_get_n_in (top), ==, 9);
  }
}

static guint
count_rows (Fixture *fixture)
{
  GtkWidget *entry = picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_SEARCH_ENTRY,
                                                "Search Contacts");

  /* The entry reports a change after a short typing pause, which a busy
   * machine stretches past any fixed wait: reported here at once, as the
   * pause's end would. */
  g_signal_emit_by_name (entry, "search-changed");
  picky_test_spin (100);
  return g_list_model_get_n_items (picky_contacts_page_get_model (fixture->page));
}

typedef struct {
  Fixture    *fixture;
  const char *name;
} ShowsOnly;

static gboolean
shows_only (gpointer data)
{
  ShowsOnly *shows = data;
  GListModel *rows = picky_contacts_page_get_model (shows->fixture->page);
  g_autoptr(PickyContactItem) item = NULL;

  if (g_list_model_get_n_items (rows) != 1)
    return FALSE;
  item = g_list_model_get_item (rows, 0);
  return g_strcmp0 (picky_contact_item_get_name (item), shows->name) == 0;
}

/* Names are stored encrypted; the search still finds them, in any case,
 * and numbers in any spelling. */
static void
test_contacts_search (Fixture       *fixture,
                      gconstpointer  data)
{
  GtkEditable *entry = GTK_EDITABLE (picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_SEARCH_ENTRY,
                                                                   "Search Contacts"));
  guint expected = 0;

  for (guint c = 0; c < N_CONTACTS; c++)
    if (c % G_N_ELEMENTS (last_names) == 0)
      expected++;

  gtk_editable_set_text (entry, "MÜLLER");
  g_assert_cmpuint (count_rows (fixture), ==, expected);

  gtk_editable_set_text (entry, "ZOË MENSAH 4");
  {
    g_autoptr(PickyContactItem) item = NULL;

    g_assert_cmpuint (count_rows (fixture), ==, 1);
    item = g_list_model_get_item (picky_contacts_page_get_model (fixture->page), 0);
    g_assert_cmpstr (picky_contact_item_get_name (item), ==, "Zoë Mensah 4");
  }

  /* Contact 13's number is +49 170 091 0481. */
  gtk_editable_set_text (entry, "0910481");
  g_assert_cmpuint (count_rows (fixture), ==, 1);
  gtk_editable_set_text (entry, "+49 (170) 091-0481");
  g_assert_cmpuint (count_rows (fixture), ==, 1);
  /* 0049 and a national 0 are other spellings; accents may be left out.
   * Each query shows another contact than the one before, so that a wait
   * cannot end on the previous result. */
  {
    ShowsOnly zoe = { fixture, "Zoë Mensah 4" };
    ShowsOnly ravi = { fixture, "Ravi Souza 13" };

    gtk_editable_set_text (entry, "zoe mensah 4");
    g_assert_true (picky_test_wait_until (shows_only, &zoe, 10000));
    gtk_editable_set_text (entry, "0049 170 091 0481");
    g_assert_true (picky_test_wait_until (shows_only, &ravi, 10000));
    gtk_editable_set_text (entry, "Zoe Mensah 4");
    g_assert_true (picky_test_wait_until (shows_only, &zoe, 10000));
    gtk_editable_set_text (entry, "0170 091 0481");
    g_assert_true (picky_test_wait_until (shows_only, &ravi, 10000));
  }

  gtk_editable_set_text (entry, "nobody at all");
  g_assert_cmpuint (count_rows (fixture), ==, 0);
  gtk_editable_set_text (entry, "");
  g_assert_cmpuint (count_rows (fixture), ==, N_CONTACTS);
}

static void
count_changes_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *changes)
{
  (*changes)++;
}

/* The cell of the column view showing @text. */
static GtkWidget *
find_cell (GtkColumnView *view,
           const char    *text)
{
  g_autoptr(GPtrArray) widgets = picky_test_gui_find_all (GTK_WIDGET (view), GTK_TYPE_WIDGET);

  for (guint i = 0; i < widgets->len; i++)
    if (g_strcmp0 (picky_test_gui_text_of (widgets->pdata[i]), text) == 0)
      return widgets->pdata[i];
  return NULL;
}

static void
search_for (Fixture    *fixture,
            const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (picky_test_gui_find_named (GTK_WIDGET (fixture->window),
                                                                  GTK_TYPE_SEARCH_ENTRY, "Search Contacts")),
                         text);
  count_rows (fixture);
}

/* A search moves contacts through the column view's rows instead of
 * replacing the rows (which made a keystroke over 50,000 contacts take
 * half a second): the first row's cells stay and show the first contact
 * found. Text set at once, first deleted and then inserted, changes the
 * list once, and the selection goes with its contact. */
static guint
position_of (GListModel *rows,
             const char *name)
{
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(PickyContactItem) item = shown_contact (rows, i);

      if (g_strcmp0 (picky_contact_item_get_name (item), name) == 0)
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

static void
assert_first_cell_shows_top (GtkWidget  *cell,
                             GListModel *rows)
{
  g_autoptr(PickyContactItem) top = shown_contact (rows, 0);
  const PickyAppInfo *app = picky_app_catalog_lookup (picky_contact_item_get_app (top));
  GtkWidget *icon;
  g_autofree char *wrong = NULL;

  g_assert_nonnull (cell);
  g_assert_cmpstr (picky_test_gui_text_of (cell), ==, picky_contact_item_get_label (top));
  /* The app's icon beside the name goes with it, and says which app it is. */
  g_assert_nonnull (app);
  icon = gtk_widget_get_first_child (gtk_widget_get_parent (cell));
  g_assert_true (GTK_IS_IMAGE (icon));
  g_assert_cmpstr (gtk_image_get_icon_name (GTK_IMAGE (icon)), ==, picky_app_info_get_icon_name (app));
  wrong = gtk_test_accessible_check_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                              picky_app_info_get_display_name (app));
  g_assert_null (wrong);
}

static void
test_contacts_search_keeps_rows (Fixture       *fixture,
                                 gconstpointer  data)
{
  GtkColumnView *view = GTK_COLUMN_VIEW (picky_test_gui_find_named (GTK_WIDGET (fixture->window),
                                                                    GTK_TYPE_COLUMN_VIEW, "Contacts"));
  GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gtk_column_view_get_model (view));
  GListModel *rows = G_LIST_MODEL (selection);
  GListModel *shown = picky_contacts_page_get_model (fixture->page);
  g_autoptr(PickyContactItem) top = shown_contact (rows, 0);
  GtkWidget *cell;
  guint changes = 0;

  picky_test_spin (100);
  /* The newest conversation is neither an Omar's nor a Müller's. */
  g_assert_null (strstr (picky_contact_item_get_name (top), "Omar"));
  g_assert_null (strstr (picky_contact_item_get_name (top), "Müller"));
  cell = find_cell (view, picky_contact_item_get_label (top));
  g_assert_nonnull (cell);
  g_object_add_weak_pointer (G_OBJECT (cell), (gpointer *) &cell);
  g_assert_cmpuint (position_of (rows, "Omar Müller 48"), >, 1);
  gtk_single_selection_set_selected (selection, position_of (rows, "Omar Müller 48"));

  search_for (fixture, "Omar");
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 6);
  assert_first_cell_shows_top (cell, rows);
  g_assert_cmpuint (gtk_single_selection_get_selected (selection), ==, 1);
  g_assert_cmpuint (position_of (rows, "Omar Müller 48"), ==, 1);

  g_signal_connect (shown, "items-changed", G_CALLBACK (count_changes_cb), &changes);
  search_for (fixture, "MÜLLER");
  g_assert_cmpuint (changes, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 10);
  assert_first_cell_shows_top (cell, rows);
  g_assert_cmpuint (gtk_single_selection_get_selected (selection), ==, position_of (rows, "Omar Müller 48"));

  /* Omar Müller 48 is not a Zoë: nothing is selected. */
  search_for (fixture, "Zoë");
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 6);
  assert_first_cell_shows_top (cell, rows);
  g_assert_cmpuint (gtk_single_selection_get_selected (selection), ==, GTK_INVALID_LIST_POSITION);
  g_signal_handlers_disconnect_by_func (shown, count_changes_cb, &changes);
  g_object_remove_weak_pointer (G_OBJECT (cell), (gpointer *) &cell);
}

static gboolean
report_shown (gpointer data)
{
  PickyReportView *view = data;

  return gtk_widget_get_mapped (GTK_WIDGET (view)) && picky_report_view_get_report (view) != NULL;
}

static gboolean
not_busy (gpointer data)
{
  return !picky_report_view_get_busy (data);
}

/* Activating a row opens its report; its export writes a file. */
static void
test_contacts_report (Fixture       *fixture,
                      gconstpointer  data)
{
  GtkColumnView *view = GTK_COLUMN_VIEW (picky_test_gui_find_named (GTK_WIDGET (fixture->window),
                                                                    GTK_TYPE_COLUMN_VIEW, "Contacts"));
  PickyReportView *report_view = PICKY_REPORT_VIEW (picky_test_gui_find_only (GTK_WIDGET (fixture->window),
                                                                              PICKY_TYPE_REPORT_VIEW));
  GListModel *rows = G_LIST_MODEL (gtk_column_view_get_model (view));
  g_autoptr(PickyContactItem) item = shown_contact (rows, 5);
  g_autofree char *path = g_build_filename (fixture->dir, "report.csv", NULL);
  g_autofree char *contents = NULL;
  PickyReport *report;

  g_signal_emit_by_name (view, "activate", 5);
  g_assert_true (picky_test_wait_until (report_shown, report_view, 10000));
  report = picky_report_view_get_report (report_view);
  g_assert_cmpint (picky_report_get_contact_id (report), ==, picky_contact_item_get_id (item));
  g_assert_cmpuint (picky_report_get_total_in (report), ==, picky_contact_item_get_n_in (item));
  g_assert_cmpuint (picky_report_get_total_out (report), ==, 1);

  picky_report_view_export (report_view, "csv-summary", path);
  g_assert_true (picky_report_view_get_busy (report_view));
  g_assert_true (picky_test_wait_until (not_busy, report_view, 10000));
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, picky_contact_item_get_name (item)));

  /* Print draws the same two pages, into a PDF here instead of a printer. */
  {
    g_autofree char *printed = g_build_filename (fixture->dir, "printed.pdf", NULL);
    const char *argv[] = { "pdftotext", printed, "-", NULL };
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *in = g_strdup_printf ("%u", picky_contact_item_get_n_in (item));
    int status = 0;

    g_assert_true (picky_report_view_print_to_file (report_view, printed, &error));
    g_assert_no_error (error);
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &text, NULL, &status, &error);
    g_assert_no_error (error);
    g_assert_nonnull (strstr (text, picky_contact_item_get_name (item)));
    g_assert_nonnull (strstr (text, "Page 2 of 2"));
    g_assert_nonnull (strstr (text, in));
  }

  /* Back to the list. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report_view), "contacts.show-list", NULL));
  picky_test_spin (50);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (view)));
}

/* A hidden page leaves new messages alone, so that summarising every
 * contact never competes with the page being looked at, and catches up as
 * soon as it is shown again. */
static void
test_contacts_hidden (Fixture       *fixture,
                      gconstpointer  data)
{
  PickyStore *store = picky_service_get_store (fixture->service);
  g_autoptr(GPtrArray) channels = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PickyMessage *message = picky_message_new ();
  gint64 channel;

  picky_store_list_channels_async (store, NULL, on_done_cb, &result);
  g_assert_true (picky_test_wait_until (has_result, &result, 10000));
  channels = picky_store_list_channels_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (channels->len, ==, 1);
  g_variant_get (channels->pdata[0], "(xssss)", &channel, NULL, NULL, NULL, NULL);
  g_clear_object (&result);

  gtk_widget_set_visible (GTK_WIDGET (fixture->window), FALSE);
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (fixture->page)));

  picky_message_set_channel_id (message, channel);
  picky_message_set_provider_key (message, "late-1");
  picky_message_set_contact_provider_id (message, "late");
  picky_message_set_contact_name (message, "Late Comer");
  picky_message_set_direction (message, PICKY_DIRECTION_IN);
  picky_message_set_text (message, "hello");
  picky_message_set_timestamp (message, g_get_real_time () / G_USEC_PER_SEC - 60);
  picky_message_set_received (message, g_get_real_time () / G_USEC_PER_SEC - 60);
  g_ptr_array_add (batch, message);
  picky_store_ingest_async (store, batch, NULL, on_done_cb, &result);
  g_assert_true (picky_test_wait_until (has_result, &result, 10000));
  picky_store_ingest_finish (store, result, &error);
  g_assert_no_error (error);

  /* Longer than the quiet spell after which a shown page refreshes. */
  picky_test_spin (3000);
  g_assert_false (picky_contacts_page_get_loading (fixture->page));
  g_assert_cmpuint (g_list_model_get_n_items (picky_contacts_page_get_model (fixture->page)), ==, N_CONTACTS);

  gtk_window_present (fixture->window);
  picky_test_gui_wait_mapped (GTK_WIDGET (fixture->page));
  g_assert_true (picky_contacts_page_get_loading (fixture->page));
  g_assert_true (picky_test_wait_until (is_loaded_plus_one, fixture, 20000));
}

static gboolean
lists_old_contact (Fixture *fixture)
{
  GListModel *rows = picky_contacts_page_get_model (fixture->page);

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(PickyContactItem) item = g_list_model_get_item (rows, i);

      if (g_strcmp0 (picky_contact_item_get_name (item), "Old Timer") == 0)
        {
          g_assert_cmpuint (picky_contact_item_get_n_in (item) + picky_contact_item_get_n_out (item), ==, 0);
          return TRUE;
        }
    }
  return FALSE;
}

/* A contact without messages in the range is not listed until Show All
 * Contacts is switched on, and goes again when it is switched off. */
static void
test_contacts_show_all (Fixture       *fixture,
                        gconstpointer  data)
{
  GtkSwitch *show_all = GTK_SWITCH (picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_SWITCH,
                                                               "Show All Contacts"));
  GListModel *rows = picky_contacts_page_get_model (fixture->page);

  g_assert_false (gtk_switch_get_active (show_all));
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, N_CONTACTS);
  g_assert_false (lists_old_contact (fixture));

  /* As a click does: the switch slides over, then changes state. */
  g_assert_true (gtk_widget_activate (GTK_WIDGET (show_all)));
  picky_test_spin (500);
  g_assert_true (gtk_switch_get_active (show_all));
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, N_CONTACTS + 1);
  g_assert_true (lists_old_contact (fixture));

  /* A search still applies to everyone shown. */
  gtk_editable_set_text (GTK_EDITABLE (picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_SEARCH_ENTRY,
                                                                  "Search Contacts")), "old tim");
  g_assert_cmpuint (count_rows (fixture), ==, 1);
  gtk_editable_set_text (GTK_EDITABLE (picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_SEARCH_ENTRY,
                                                                  "Search Contacts")), "");
  g_assert_cmpuint (count_rows (fixture), ==, N_CONTACTS + 1);

  /* As a click does: the switch slides over, then changes state. */
  g_assert_true (gtk_widget_activate (GTK_WIDGET (show_all)));
  picky_test_spin (500);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, N_CONTACTS);
  g_assert_false (lists_old_contact (fixture));
}

static void
assert_sorted_by_last_seen (GListModel *rows,
                            gboolean    descending)
{
  for (guint i = 1; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(PickyContactItem) a = g_list_model_get_item (rows, i - 1);
      g_autoptr(PickyContactItem) b = g_list_model_get_item (rows, i);

      if (descending)
        g_assert_cmpint (picky_contact_item_get_last_seen (a), >=, picky_contact_item_get_last_seen (b));
      else
        g_assert_cmpint (picky_contact_item_get_last_seen (a), <=, picky_contact_item_get_last_seen (b));
    }
}

/* The list starts with the latest conversation on top; an order chosen by
 * a header is kept for the next time the page is made. */
static void
test_contacts_sort_remembered (Fixture       *fixture,
                               gconstpointer  data)
{
  GtkColumnView *view = GTK_COLUMN_VIEW (picky_test_gui_find_named (GTK_WIDGET (fixture->window),
                                                                    GTK_TYPE_COLUMN_VIEW, "Contacts"));
  GListModel *rows = picky_contacts_page_get_model (fixture->page);
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(GtkColumnViewColumn) in_column = g_list_model_get_item (gtk_column_view_get_columns (view), 1);
  GtkWindow *window;
  PickyContactsPage *page;

  /* The store lists contacts oldest first; the page turns that round. */
  assert_sorted_by_last_seen (rows, TRUE);

  gtk_column_view_sort_by_column (view, in_column, GTK_SORT_ASCENDING);
  picky_test_spin (20);
  g_assert_cmpstr (g_settings_get_string (settings, "contacts-sort"), ==, "in");
  g_assert_false (g_settings_get_boolean (settings, "contacts-sort-descending"));

  /* A new page, as after a restart, sorts by messages in, fewest first. */
  window = GTK_WINDOW (gtk_window_new ());
  page = g_object_new (PICKY_TYPE_CONTACTS_PAGE, NULL);
  gtk_window_set_child (window, GTK_WIDGET (page));
  picky_contacts_page_set_service (page, fixture->service);
  gtk_window_present (window);
  picky_test_gui_wait_mapped (GTK_WIDGET (page));
  while (picky_contacts_page_get_loading (page) ||
         g_list_model_get_n_items (picky_contacts_page_get_model (page)) < N_CONTACTS)
    g_main_context_iteration (NULL, TRUE);
  {
    GListModel *again = picky_contacts_page_get_model (page);
    g_autoptr(PickyContactItem) top = g_list_model_get_item (again, 0);
    g_autoptr(PickyContactItem) bottom = g_list_model_get_item (again, N_CONTACTS - 1);

    g_assert_cmpuint (picky_contact_item_get_n_in (top), ==, 1);
    g_assert_cmpuint (picky_contact_item_get_n_in (bottom), ==, 9);
  }
  gtk_window_destroy (window);

  /* And back: the latest first. */
  {
    g_autoptr(GtkColumnViewColumn) last_seen = g_list_model_get_item (gtk_column_view_get_columns (view), 4);

    gtk_column_view_sort_by_column (view, last_seen, GTK_SORT_DESCENDING);
    picky_test_spin (20);
    g_assert_cmpstr (g_settings_get_string (settings, "contacts-sort"), ==, "last-seen");
    g_assert_true (g_settings_get_boolean (settings, "contacts-sort-descending"));
    assert_sorted_by_last_seen (rows, TRUE);
  }
}

static gboolean
shows_contact (gpointer data)
{
  Fixture *fixture = data;
  PickyReportView *view = PICKY_REPORT_VIEW (picky_test_gui_find_only (GTK_WIDGET (fixture->window),
                                                                       PICKY_TYPE_REPORT_VIEW));
  PickyReport *report = picky_report_view_get_report (view);

  return report_shown (view) && picky_report_get_contact_id (report) == fixture->expected_contact;
}

/* The All Contacts report: its top-ten rows open their contact's report,
 * which starts at its top; its charts carry their numbers in words, and
 * Show as Table shows them as tables. */
static void
test_contacts_overall (Fixture       *fixture,
                       gconstpointer  data)
{
  PickyReportView *report_view = PICKY_REPORT_VIEW (picky_test_gui_find_only (GTK_WIDGET (fixture->window),
                                                                              PICKY_TYPE_REPORT_VIEW));
  g_autoptr(GPtrArray) scrollers = picky_test_gui_find_all (GTK_WIDGET (report_view), GTK_TYPE_SCROLLED_WINDOW);
  /* The outermost, found first: the whole report's. */
  GtkScrolledWindow *scroller = GTK_SCROLLED_WINDOW (g_ptr_array_index (scrollers, 0));
  GtkWidget *daily = picky_test_gui_find_named (GTK_WIDGET (report_view), GTK_TYPE_DRAWING_AREA,
                                                "Messages in and out per day");
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (scroller);
  GtkWidget *row;
  PickyReport *overall;
  const PickyContactSummary *top;
  g_autofree char *description = NULL;
  g_autofree char *row_name = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "contacts.show-overall", NULL));
  fixture->expected_contact = 0;
  g_assert_true (picky_test_wait_until (shows_contact, fixture, 10000));
  overall = picky_report_view_get_report (report_view);
  top = picky_report_get_top (overall, PICKY_REPORT_TOP_VOLUME, 0);

  /* The daily chart read out: every message of the week is in it. */
  description = picky_report_describe_daily (overall);
  g_assert_null (gtk_test_accessible_check_property (GTK_ACCESSIBLE (daily), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                                     description));
  {
    g_autofree char *totals = g_strdup_printf ("%u received and %u sent in all.",
                                               picky_report_get_total_in (overall),
                                               picky_report_get_total_out (overall));

    g_assert_true (g_str_has_prefix (description, totals));
  }

  /* As a table: the same numbers, the chart hidden. */
  {
    GtkToggleButton *table_button = GTK_TOGGLE_BUTTON (picky_test_gui_find_named (GTK_WIDGET (report_view),
                                                                                  GTK_TYPE_TOGGLE_BUTTON,
                                                                                  "Show as Table"));
    GtkWidget *table;
    guint total_in = 0;

    gtk_toggle_button_set_active (table_button, TRUE);
    picky_test_spin (50);
    table = picky_test_gui_find_named (GTK_WIDGET (report_view), GTK_TYPE_GRID, "Messages in and out per day");
    g_assert_true (gtk_widget_get_mapped (table));
    g_assert_false (gtk_widget_get_mapped (daily));
    /* Column 1 holds the messages received per day, under its heading. */
    g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (table), 1, 0))), ==, "Received");
    for (guint d = 0; d < picky_report_get_n_days (overall); d++)
      total_in += g_ascii_strtoull (gtk_label_get_text (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (table), 1, d + 1))),
                                    NULL, 10);
    g_assert_cmpuint (total_in, ==, picky_report_get_total_in (overall));
    gtk_toggle_button_set_active (table_button, FALSE);
    picky_test_spin (50);
    g_assert_true (gtk_widget_get_mapped (daily));
  }

  /* Scrolled down to the top lists, a click on the first opens that contact. */
  row_name = g_strdup (top->name);
  row = picky_test_gui_find_named (GTK_WIDGET (report_view), ADW_TYPE_ACTION_ROW, row_name);
  g_assert_nonnull (row);
  picky_test_spin (100);
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), >, 0);
  fixture->expected_contact = top->contact_id;
  g_assert_true (gtk_widget_activate (row));
  g_assert_true (picky_test_wait_until (shows_contact, fixture, 10000));
  g_assert_cmpstr (picky_report_get_name (picky_report_view_get_report (report_view)), ==, row_name);
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), ==, 0);
}

static gboolean
is_unmapped (gpointer widget)
{
  return !gtk_widget_get_mapped (widget);
}

/* At 360 pixels each contact is a two-line row of a list instead of a row
 * of clipped columns; activating one opens its report. */
static void
test_contacts_narrow (Fixture       *fixture,
                      gconstpointer  data)
{
  GtkWidget *list = picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_LIST_VIEW, "Contacts");
  GtkWidget *table = picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_COLUMN_VIEW, "Contacts");
  PickyReportView *report_view = PICKY_REPORT_VIEW (picky_test_gui_find_only (GTK_WIDGET (fixture->window),
                                                                              PICKY_TYPE_REPORT_VIEW));
  g_autoptr(PickyContactItem) item = g_list_model_get_item (picky_contacts_page_get_model (fixture->page), 2);

  picky_test_spin (100);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->window)), <=, 400);
  g_assert_true (gtk_widget_get_mapped (list));
  g_assert_true (picky_test_wait_until (is_unmapped, table, 2000));
  g_assert_cmpint (gtk_widget_get_width (list), <=, 400);

  g_signal_emit_by_name (list, "activate", 2);
  g_assert_true (picky_test_wait_until (report_shown, report_view, 10000));
  g_assert_cmpint (picky_report_get_contact_id (picky_report_view_get_report (report_view)), ==,
                   picky_contact_item_get_id (item));
}

/* The label under @root whose text is @text, or %NULL. */
static GtkWidget *
find_label_text (GtkWidget  *root,
                 const char *text)
{
  g_autoptr(GPtrArray) labels = picky_test_gui_find_all (root, GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    if (g_strcmp0 (gtk_label_get_text (labels->pdata[i]), text) == 0)
      return labels->pdata[i];
  return NULL;
}

/* A report's range, its busiest day and the days of Show as Table read as
 * the window's language writes dates, English (the C locale's) and German,
 * not in ISO 8601. The expected texts are spelt out here, not asked of the
 * formatter. */
static void
test_contacts_report_dates (Fixture       *fixture,
                            gconstpointer  data)
{
  static const char *const german_weekdays[] = {
    "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag",
  };
  gboolean german = GPOINTER_TO_UINT (data) & GERMAN;
  const char *date_format = german ? "%d.%m.%Y" : "%m/%d/%y";
  GtkColumnView *view = GTK_COLUMN_VIEW (picky_test_gui_find_named (GTK_WIDGET (fixture->window),
                                                                    GTK_TYPE_COLUMN_VIEW, "Kontakte"));
  PickyReportView *report_view = PICKY_REPORT_VIEW (picky_test_gui_find_only (GTK_WIDGET (fixture->window),
                                                                              PICKY_TYPE_REPORT_VIEW));
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) toggles = NULL;
  g_autofree char *range = NULL;
  g_autofree char *busiest = NULL;
  g_autofree char *first_day = NULL;
  GtkToggleButton *table_button = NULL;
  GtkWidget *busiest_row = NULL;
  GtkWidget *table;
  PickyReport *report;
  GDate first, last, day;
  char first_text[32], last_text[32], day_text[32];
  guint count = 0;
  int index;

  if (!german)
    view = GTK_COLUMN_VIEW (picky_test_gui_find_named (GTK_WIDGET (fixture->window), GTK_TYPE_COLUMN_VIEW,
                                                       "Contacts"));
  g_assert_nonnull (view);
  g_signal_emit_by_name (view, "activate", 5);
  g_assert_true (picky_test_wait_until (report_shown, report_view, 10000));
  report = picky_report_view_get_report (report_view);

  picky_report_get_dates (report, &first, &last);
  g_date_strftime (first_text, sizeof first_text, date_format, &first);
  g_date_strftime (last_text, sizeof last_text, date_format, &last);
  range = g_strdup_printf ("%s – %s", first_text, last_text);
  g_assert_nonnull (find_label_text (GTK_WIDGET (report_view), range));

  index = picky_report_get_busiest_day (report, &count);
  g_assert_cmpint (index, >=, 0);
  g_assert_cmpuint (count, >, 1);
  day = first;
  g_date_add_days (&day, index);
  g_date_strftime (day_text, sizeof day_text, date_format, &day);
  busiest = g_strdup_printf (german ? "%s (%u Nachrichten)" : "%s (%u messages)", day_text, count);
  rows = picky_test_gui_find_all (GTK_WIDGET (report_view), ADW_TYPE_ACTION_ROW);
  for (guint i = 0; i < rows->len; i++)
    if (g_str_equal (adw_preferences_row_get_title (rows->pdata[i]), german ? "Meistbeschäftigter Tag" : "Busiest day"))
      busiest_row = rows->pdata[i];
  g_assert_nonnull (busiest_row);
  g_assert_nonnull (find_label_text (busiest_row, busiest));

  /* Show as Table: each day with its weekday. */
  toggles = picky_test_gui_find_all (GTK_WIDGET (report_view), GTK_TYPE_TOGGLE_BUTTON);
  for (guint i = 0; i < toggles->len; i++)
    if (g_strcmp0 (gtk_button_get_label (toggles->pdata[i]), german ? "Als _Tabelle zeigen" : "Show as _Table") == 0)
      table_button = toggles->pdata[i];
  g_assert_nonnull (table_button);
  gtk_toggle_button_set_active (table_button, TRUE);
  picky_test_spin (50);
  table = picky_test_gui_find_named (GTK_WIDGET (report_view), GTK_TYPE_GRID,
                                     german ? "Eingegangene und gesendete Nachrichten pro Tag"
                                            : "Messages in and out per day");
  g_date_strftime (first_text, sizeof first_text, german ? "%d.%m.%Y" : "%A, %m/%d/%y", &first);
  if (german)
    first_day = g_strdup_printf ("%s, %s", german_weekdays[g_date_get_weekday (&first) - 1], first_text);
  else
    first_day = g_strdup (first_text);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (table), 0, 1))), ==, first_day);
  gtk_toggle_button_set_active (table_button, FALSE);
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
#define ADD_WITH(path, flags, func) \
  g_test_add (path, Fixture, GUINT_TO_POINTER (flags), fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  picky_test_gui_init (&argc, &argv);

  ADD ("/picky/contacts-page/sort", test_contacts_sort);
  ADD ("/picky/contacts-page/search", test_contacts_search);
  ADD ("/picky/contacts-page/search-keeps-rows", test_contacts_search_keeps_rows);
  ADD ("/picky/contacts-page/report", test_contacts_report);
  ADD ("/picky/contacts-page/hidden", test_contacts_hidden);
  ADD_WITH ("/picky/contacts-page/show-all", WITH_OLD_CONTACT, test_contacts_show_all);
  ADD ("/picky/contacts-page/sort-remembered", test_contacts_sort_remembered);
  ADD_WITH ("/picky/contacts-page/narrow", NARROW, test_contacts_narrow);
  ADD ("/picky/contacts-page/overall", test_contacts_overall);
  ADD ("/picky/contacts-page/report-dates/english", test_contacts_report_dates);
  ADD_WITH ("/picky/contacts-page/report-dates/german", GERMAN, test_contacts_report_dates);

  return g_test_run ();
}
