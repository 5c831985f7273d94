/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The privacy dialogs in a real window: erasing a contact, disclosing their data, the audit log. */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "picky-audit-log-page.h"
#include "picky-contact-item.h"
#include "picky-contacts-page.h"
#include "picky-disclosure-dialog.h"
#include "picky-erase-dialog.h"
#include "picky-list-row.h"
#include "picky-preferences-window.h"
#include "picky-report-view.h"
#include "picky-test-gui.h"
#include "picky-window.h"

/* The contact the tests erase or disclose, with words found nowhere else. */
#define ANA_NAME "Ana Quillfeather"
#define ANA_PHONE "+49 170 5550101"
#define ANA_WORD "zebrafinch"
#define ANA_REPLY "marmalade"
#define BOB_NAME "Bob Other"

typedef struct {
  char              *dir;
  PickyService      *service;
  GtkWindow         *window;
  PickyContactsPage *page;
  gint64             ana;
  gboolean           done;
} Fixture;

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

static PickyStore *
get_store (Fixture *fixture)
{
  return picky_service_get_store (fixture->service);
}

static PickyMessage *
new_message (gint64          channel,
             const char     *contact,
             const char     *name,
             const char     *phone,
             const char     *key,
             PickyDirection  direction,
             const char     *text,
             gint64          time)
{
  PickyMessage *message = picky_message_new ();

  picky_message_set_channel_id (message, channel);
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_provider_id (message, contact);
  picky_message_set_contact_name (message, name);
  picky_message_set_contact_phone (message, phone);
  picky_message_set_direction (message, direction);
  picky_message_set_text (message, text);
  picky_message_set_timestamp (message, time);
  picky_message_set_received (message, time);
  return message;
}

/* Ana: three messages in (one a photo), two replies; Bob: one message. */
static void
fill_store (Fixture *fixture)
{
  PickyStore *store = get_store (fixture);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC - 2 * 86400;
  PickyMessage *photo;
  gint64 channel;

  picky_store_add_channel_async (store, "telegram", "telegram", "Desk", "{}", NULL, picky_test_got_result_cb, &result);
  channel = picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  g_ptr_array_add (batch, new_message (channel, "ana", ANA_NAME, ANA_PHONE, "a1", PICKY_DIRECTION_IN,
                                       "hello, my " ANA_WORD " escaped", now));
  g_ptr_array_add (batch, new_message (channel, "ana", ANA_NAME, ANA_PHONE, "a2", PICKY_DIRECTION_OUT,
                                       "we have " ANA_REPLY, now + 60));
  g_ptr_array_add (batch, new_message (channel, "ana", ANA_NAME, ANA_PHONE, "a3", PICKY_DIRECTION_IN,
                                       "thanks", now + 120));
  photo = new_message (channel, "ana", ANA_NAME, ANA_PHONE, "a4", PICKY_DIRECTION_IN, NULL, now + 180);
  picky_message_set_kind (photo, PICKY_MESSAGE_KIND_IMAGE);
  picky_message_set_media (photo, "{\"mime\":\"image/jpeg\",\"file_name\":\"" ANA_WORD ".jpg\"}");
  g_ptr_array_add (batch, photo);
  g_ptr_array_add (batch, new_message (channel, "ana", ANA_NAME, ANA_PHONE, "a5", PICKY_DIRECTION_OUT,
                                       "bye", now + 240));
  g_ptr_array_add (batch, new_message (channel, "bob", BOB_NAME, "+44 7700 900123", "b1", PICKY_DIRECTION_IN,
                                       "hi there", now + 300));

  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  picky_store_ingest_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  fixture->ana = picky_message_get_contact_id (batch->pdata[0]);
  g_assert_cmpint (fixture->ana, >, 0);
}

static gboolean
contacts_loaded (gpointer data)
{
  Fixture *fixture = data;

  return !picky_contacts_page_get_loading (fixture->page) &&
         g_list_model_get_n_items (picky_contacts_page_get_model (fixture->page)) == 2;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *db = NULL;

  fixture->dir = g_dir_make_tmp ("picky-privacy-XXXXXX", NULL);
  db = g_build_filename (fixture->dir, "console.db", NULL);
  fixture->service = picky_service_new (db);
  picky_service_start_async (fixture->service, FALSE, NULL, on_started_cb, fixture);
  g_assert_true (picky_test_wait_until (is_done, fixture, 20000));
  fill_store (fixture);

  fixture->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (fixture->window, 900, 700);
  fixture->page = g_object_new (PICKY_TYPE_CONTACTS_PAGE, NULL);
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->page));
  picky_contacts_page_set_service (fixture->page, fixture->service);
  gtk_window_present (fixture->window);
  picky_test_gui_wait_mapped (GTK_WIDGET (fixture->page));
  g_assert_true (picky_test_wait_until (contacts_loaded, fixture, 20000));
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
}

static gboolean
report_shown (gpointer data)
{
  PickyReportView *view = data;

  return gtk_widget_get_mapped (GTK_WIDGET (view)) && picky_report_view_get_report (view) != NULL;
}

/* Opens Ana's report as a double click on her row would. */
static PickyReportView *
open_report (Fixture *fixture)
{
  GtkColumnView *view = GTK_COLUMN_VIEW (picky_test_gui_find_named (GTK_WIDGET (fixture->window),
                                                                    GTK_TYPE_COLUMN_VIEW, "Contacts"));
  PickyReportView *report_view = PICKY_REPORT_VIEW (picky_test_gui_find_only (GTK_WIDGET (fixture->window),
                                                                              PICKY_TYPE_REPORT_VIEW));
  GListModel *rows = G_LIST_MODEL (gtk_column_view_get_model (view));

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      /* The column view's rows stay while contacts move through them. */
      g_autoptr(PickyListRow) row = g_list_model_get_item (rows, i);

      if (picky_contact_item_get_id (picky_list_row_get_item (row)) == fixture->ana)
        g_signal_emit_by_name (view, "activate", i);
    }

  g_assert_true (picky_test_wait_until (report_shown, report_view, 10000));
  g_assert_cmpint (picky_report_get_contact_id (picky_report_view_get_report (report_view)), ==, fixture->ana);
  return report_view;
}

/* The one window of @type that is shown, e.g. a dialog a button opened. */
static GtkWidget *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  GtkWidget *found = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (window))
        {
          g_assert_null (found);
          found = window;
        }
    }

  return found;
}

static gboolean
window_gone (gpointer data)
{
  return find_toplevel (GPOINTER_TO_SIZE (data)) == NULL;
}

static void
click (GtkWidget  *root,
       const char *name)
{
  GtkWidget *button = picky_test_gui_find_named (root, GTK_TYPE_BUTTON, name);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static gboolean
window_shown (gpointer data)
{
  return find_toplevel (GPOINTER_TO_SIZE (data)) != NULL;
}

/* The titles of the rows in the list named @name, as "|a|b|". */
static char *
list_items (GtkWidget  *root,
            const char *name)
{
  GtkWidget *list = picky_test_gui_find_named (root, GTK_TYPE_LIST_BOX, name);
  g_autoptr(GPtrArray) rows = NULL;
  GString *items = g_string_new ("|");

  g_assert_nonnull (list);
  rows = picky_test_gui_find_all (list, ADW_TYPE_PREFERENCES_ROW);
  for (guint i = 0; i < rows->len; i++)
    g_string_append_printf (items, "%s|", adw_preferences_row_get_title (rows->pdata[i]));

  return g_string_free (items, FALSE);
}

static gboolean
ana_gone (gpointer data)
{
  Fixture *fixture = data;
  GListModel *model = picky_contacts_page_get_model (fixture->page);

  if (picky_contacts_page_get_loading (fixture->page) || g_list_model_get_n_items (model) != 1)
    return FALSE;

  {
    g_autoptr(PickyContactItem) item = g_list_model_get_item (model, 0);

    return g_strcmp0 (picky_contact_item_get_name (item), BOB_NAME) == 0;
  }
}

static guint
count_messages (Fixture *fixture,
                gint64   contact_id)
{
  PickyPageQuery query = { .direction = -1, .limit = 100, .contact_id = contact_id };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;

  picky_store_list_messages_async (get_store (fixture), &query, NULL, picky_test_got_result_cb, &result);
  page = picky_store_list_messages_finish (get_store (fixture), picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return page->len;
}

/* Erase Contact… on the report says what goes before anything goes; Cancel
 * keeps everything, Erase takes the contact out of the list and the store. */
static void
test_erase_contact (Fixture       *fixture,
                    gconstpointer  data)
{
  PickyReportView *report_view = open_report (fixture);
  AdwMessageDialog *dialog;
  g_autofree char *items = NULL;
  const char *body;

  /* The dialog shows once it can say what goes, and only then may erase. */
  click (GTK_WIDGET (report_view), "Erase Contact…");
  g_assert_true (picky_test_wait_until (window_shown, GSIZE_TO_POINTER (PICKY_TYPE_ERASE_DIALOG), 10000));
  dialog = ADW_MESSAGE_DIALOG (find_toplevel (PICKY_TYPE_ERASE_DIALOG));
  g_assert_true (picky_erase_dialog_get_ready (PICKY_ERASE_DIALOG (dialog)));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Erase " ANA_NAME "?");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "erase"));
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "erase"), ==, ADW_RESPONSE_DESTRUCTIVE);

  body = adw_message_dialog_get_body (dialog);
  g_test_message ("%s", body);
  g_assert_nonnull (strstr (body, ANA_NAME " (" ANA_PHONE ")"));
  g_assert_nonnull (strstr (body, "exported earlier"));
  g_assert_nonnull (strstr (body, "not affected"));
  items = list_items (GTK_WIDGET (dialog), "What Is Erased");
  g_test_message ("%s", items);
  g_assert_nonnull (strstr (items, "|3 messages from them|"));
  g_assert_nonnull (strstr (items, "|2 replies to them|"));
  g_assert_nonnull (strstr (items, "|The details of 1 photo, video or file|"));
  g_assert_nonnull (strstr (items, "|Their name, number"));
  /* No outbox row for a contact without queued replies. */
  g_assert_null (strstr (items, "not yet sent"));

  /* Cancel changes nothing. */
  click (GTK_WIDGET (dialog), "Cancel");
  g_assert_true (picky_test_wait_until (window_gone, GSIZE_TO_POINTER (PICKY_TYPE_ERASE_DIALOG), 5000));
  g_assert_cmpuint (count_messages (fixture, fixture->ana), ==, 5);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (report_view)));

  click (GTK_WIDGET (report_view), "Erase Contact…");
  g_assert_true (picky_test_wait_until (window_shown, GSIZE_TO_POINTER (PICKY_TYPE_ERASE_DIALOG), 10000));
  dialog = ADW_MESSAGE_DIALOG (find_toplevel (PICKY_TYPE_ERASE_DIALOG));
  click (GTK_WIDGET (dialog), "Erase Contact");

  /* The list shows Bob alone, the report is gone, and so are Ana's rows. */
  g_assert_true (picky_test_wait_until (ana_gone, fixture, 10000));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (report_view)));
  g_assert_cmpuint (count_messages (fixture, fixture->ana), ==, 0);
}

static void
set_text (GtkWidget  *root,
          const char *name,
          const char *text)
{
  GtkWidget *row = picky_test_gui_find_named (root, ADW_TYPE_ENTRY_ROW, name);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

static void
tick (GtkWidget  *root,
      const char *name)
{
  GtkWidget *check = picky_test_gui_find_named (root, GTK_TYPE_CHECK_BUTTON, name);

  g_assert_nonnull (check);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
}

static char *
read_pdf_text (const char *path)
{
  const char *argv[] = { "pdftotext", path, "-", NULL };
  g_autoptr(GError) error = NULL;
  char *text = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &text, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return text;
}

/* Disclose… asks who demands it and why before it can go on, and only the
 * fields ticked reach the JSON and the PDF. */
static void
test_disclose (Fixture       *fixture,
               gconstpointer  data)
{
  PickyReportView *report_view = open_report (fixture);
  g_autofree char *json_path = g_build_filename (fixture->dir, "disclosure.json", NULL);
  g_autofree char *pdf_path = g_build_filename (fixture->dir, "disclosure.pdf", NULL);
  g_autofree char *json = NULL;
  g_autofree char *pdf = NULL;
  GtkWidget *dialog;
  GtkWidget *disclose;
  AdwComboRow *requester;

  click (GTK_WIDGET (report_view), "Disclose…");
  dialog = find_toplevel (PICKY_TYPE_DISCLOSURE_DIALOG);
  g_assert_nonnull (dialog);
  picky_test_gui_wait_mapped (dialog);
  disclose = picky_test_gui_find_named (dialog, GTK_TYPE_BUTTON, "Disclose…");
  g_assert_nonnull (disclose);

  /* Nothing ticked and no reason: the action waits for both. */
  g_assert_false (gtk_widget_is_sensitive (disclose));
  set_text (dialog, "Reference (Case or Ticket Number)", "CASE-4711");
  tick (dialog, "Message Texts");
  tick (dialog, "Times");
  g_assert_false (gtk_widget_is_sensitive (disclose));
  set_text (dialog, "Reason (Required)", "   ");
  g_assert_false (gtk_widget_is_sensitive (disclose));
  set_text (dialog, "Reason (Required)", "Court order 12/2026");
  g_assert_true (gtk_widget_is_sensitive (disclose));

  /* A day that is not one is refused, and so is a period running backwards. */
  set_text (dialog, "First Day", "2026-02-30");
  g_assert_false (gtk_widget_is_sensitive (disclose));
  set_text (dialog, "First Day", "2099-01-01");
  g_assert_false (gtk_widget_is_sensitive (disclose));
  set_text (dialog, "First Day", "2020-01-01");
  g_assert_true (gtk_widget_is_sensitive (disclose));

  requester = ADW_COMBO_ROW (picky_test_gui_find_named (dialog, ADW_TYPE_COMBO_ROW, "Requested By"));
  g_assert_nonnull (requester);
  adw_combo_row_set_selected (requester, 2);

  /* What the button does once the file chooser gives a file. */
  picky_disclosure_dialog_write (PICKY_DISCLOSURE_DIALOG (dialog), json_path);
  g_assert_true (picky_test_wait_until (window_gone, GSIZE_TO_POINTER (PICKY_TYPE_DISCLOSURE_DIALOG), 20000));

  g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
  g_test_message ("%s", json);
  pdf = read_pdf_text (pdf_path);
  g_test_message ("%s", pdf);

  /* The texts and the demand are in; the name, number, media and channel are not. */
  g_assert_nonnull (strstr (json, ANA_WORD));
  g_assert_nonnull (strstr (json, ANA_REPLY));
  g_assert_nonnull (strstr (json, "CASE-4711"));
  g_assert_nonnull (strstr (json, "Court order 12/2026"));
  g_assert_nonnull (strstr (pdf, "CASE-4711"));
  g_assert_nonnull (strstr (pdf, "Court order 12/2026"));
  for (guint i = 0; i < 2; i++)
    {
      const char *text = i == 0 ? json : pdf;

      g_assert_null (strstr (text, "Quillfeather"));
      g_assert_null (strstr (text, "5550101"));
      g_assert_null (strstr (text, "image/jpeg"));
      g_assert_null (strstr (text, "Desk"));
      g_assert_null (strstr (text, BOB_NAME));
      g_assert_null (strstr (text, "hi there"));
    }
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static gboolean
audit_loaded (gpointer data)
{
  PickyAuditLogPage *page = data;

  return !picky_audit_log_page_get_loading (page) &&
         g_list_model_get_n_items (picky_audit_log_page_get_model (page)) > 0;
}

static gboolean
label_visible (gpointer data)
{
  return gtk_widget_get_visible (data) &&
         !g_str_has_suffix (gtk_label_get_text (GTK_LABEL (data)), "…");
}

/* Preferences → Privacy → Audit Log lists the erasure newest first, filters
 * by action, and Verify says the chain is intact. */
static void
test_audit_log (Fixture       *fixture,
                gconstpointer  data)
{
  PickyStore *store = get_store (fixture);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *csv_path = g_build_filename (fixture->dir, "audit.csv", NULL);
  g_autofree char *csv = NULL;
  PickyPreferencesWindow *window;
  PickyAuditLogPage *page;
  GtkWidget *row;
  GtkWidget *verify;
  GtkLabel *result_label;
  GtkDropDown *filter;
  GListModel *model;
  gint64 erased_id = 0;

  /* An erasure and a purge, so that the log has two kinds of entries. */
  picky_store_erase_contact_async (store, fixture->ana, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_erase_contact_finish (store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  picky_store_purge_async (store, 3650, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpint (picky_store_purge_finish (store, picky_test_wait_result (&result), &error), ==, 0);
  g_assert_no_error (error);

  window = picky_preferences_window_new (fixture->window);
  picky_preferences_window_set_service (window, fixture->service);
  gtk_window_present (GTK_WINDOW (window));
  picky_test_gui_wait_mapped (GTK_WIDGET (window));

  row = picky_test_gui_find_named (GTK_WIDGET (window), ADW_TYPE_ACTION_ROW, "Audit Log");
  g_assert_nonnull (row);
  g_signal_emit_by_name (row, "activated");
  page = PICKY_AUDIT_LOG_PAGE (picky_test_gui_find_only (GTK_WIDGET (window), PICKY_TYPE_AUDIT_LOG_PAGE));
  picky_test_gui_wait_mapped (GTK_WIDGET (page));
  g_assert_true (picky_test_wait_until (audit_loaded, page, 10000));

  /* Newest first: the purge, then the erasure. */
  model = picky_audit_log_page_get_model (page);
  g_assert_cmpuint (g_list_model_get_n_items (model), >=, 2);
  {
    g_autoptr(PickyAuditEntry) first = g_list_model_get_item (model, 0);
    g_autoptr(PickyAuditEntry) second = g_list_model_get_item (model, 1);

    g_assert_cmpstr (picky_audit_entry_get_action (first), ==, "purge");
    g_assert_cmpstr (picky_audit_entry_get_action (second), ==, "erase-contact");
    g_assert_cmpint (picky_audit_entry_get_id (first), >, picky_audit_entry_get_id (second));
    erased_id = picky_audit_entry_get_id (second);
  }

  /* The filter offers the actions recorded; one of them shows only its entries. */
  filter = GTK_DROP_DOWN (picky_test_gui_find_named (GTK_WIDGET (page), GTK_TYPE_DROP_DOWN, "Filter by Action"));
  g_assert_nonnull (filter);
  {
    GListModel *names = gtk_drop_down_get_model (filter);
    guint erased = GTK_INVALID_LIST_POSITION;

    for (guint i = 0; i < g_list_model_get_n_items (names); i++)
      if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (names), i), "Contact erased") == 0)
        erased = i;
    g_assert_cmpuint (erased, !=, GTK_INVALID_LIST_POSITION);
    gtk_drop_down_set_selected (filter, erased);
    g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
    gtk_drop_down_set_selected (filter, 0);
    g_assert_cmpuint (g_list_model_get_n_items (model), >=, 2);
  }

  verify = picky_test_gui_find_named (GTK_WIDGET (page), GTK_TYPE_BUTTON, "Verify");
  g_assert_nonnull (verify);
  result_label = GTK_LABEL (picky_test_gui_find_named (GTK_WIDGET (page), GTK_TYPE_LABEL, "Verification Result"));
  g_assert_nonnull (result_label);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (result_label)));
  g_signal_emit_by_name (verify, "clicked");
  g_assert_true (picky_test_wait_until (label_visible, result_label, 10000));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (result_label), "Intact"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (result_label), "success"));

  /* An entry edited behind the console's back: Verify names it. */
  {
    g_autofree char *db_path = g_build_filename (fixture->dir, "console.db", NULL);
    g_autofree char *sql = g_strdup_printf ("UPDATE audit_log SET detail = 'nothing happened' WHERE id = %lld",
                                            (long long) erased_id);
    g_autofree char *expected = g_strdup_printf ("Broken at entry %lld:", (long long) erased_id);
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_changes (db), ==, 1);
    sqlite3_close (db);

    g_signal_emit_by_name (verify, "clicked");
    g_assert_true (picky_test_wait_until (label_visible, result_label, 10000));
    g_test_message ("%s", gtk_label_get_text (result_label));
    g_assert_true (g_str_has_prefix (gtk_label_get_text (result_label), expected));
    g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (result_label), "error"));
  }

  /* Export writes every entry, the erasure among them. */
  picky_audit_log_page_export (page, csv_path);
  g_assert_true (picky_test_wait_until (file_exists, csv_path, 10000));
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_nonnull (strstr (csv, "erase-contact"));
  g_assert_nonnull (strstr (csv, "purge"));

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
retention_ready (gpointer data)
{
  PickyService *service = data;

  return picky_service_get_ready (service) && picky_service_get_retention (service) != NULL;
}

static gboolean
shows_label (GtkWidget  *root,
             const char *text)
{
  g_autoptr(GPtrArray) labels = picky_test_gui_find_all (root, GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    if (g_strcmp0 (gtk_label_get_label (g_ptr_array_index (labels, i)), text) == 0 &&
        gtk_widget_get_mapped (g_ptr_array_index (labels, i)))
      return TRUE;

  return FALSE;
}

static gboolean
toast_shown (gpointer data)
{
  return shows_label (data, "3 old messages deleted");
}

/* A shorter Keep Messages purges at once; the window shows how far it got
 * and says when it is done. */
static void
test_purge_progress (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(PickyApplication) app = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 old = g_get_real_time () / G_USEC_PER_SEC - 400 * 86400;
  PickyService *service;
  PickyStore *store;
  PickyWindow *window;
  GtkProgressBar *bar;
  gint64 channel;

  static const char *muted[] = { "telegram", NULL };

  /* No notification server in this session: the old messages stay quiet. */
  g_settings_set_strv (settings, "notify-muted-apps", muted);
  g_settings_set_int (settings, "retention-days", 0);
  app = picky_test_gui_application ();
  service = picky_application_get_service (app);
  g_assert_true (picky_test_wait_until (retention_ready, service, 30000));
  store = picky_service_get_store (service);

  /* Only old messages: the purge leaves the shared database as it found it. */
  picky_store_add_channel_async (store, "telegram", "telegram", "Old Desk", "{}", NULL, picky_test_got_result_cb, &result);
  channel = picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *key = g_strdup_printf ("old-%u", i);

      g_ptr_array_add (batch, new_message (channel, "old", "Old Timer", NULL, key, PICKY_DIRECTION_IN,
                                           "long ago", old + i));
    }
  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  picky_store_ingest_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  window = picky_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  picky_test_gui_wait_mapped (GTK_WIDGET (window));
  bar = GTK_PROGRESS_BAR (picky_test_gui_find_named (GTK_WIDGET (window), GTK_TYPE_PROGRESS_BAR,
                                                     "Deleting Old Messages"));
  g_assert_nonnull (bar);
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (gtk_widget_get_parent (GTK_WIDGET (bar)))));

  /* What Preferences → Privacy → Keep Messages → 1 year stores. */
  g_settings_set_int (settings, "retention-days", 365);
  g_assert_true (picky_test_wait_until (toast_shown, window, 20000));
  g_assert_cmpstr (gtk_progress_bar_get_text (bar), ==, "Deleting old messages: 3 of 3");
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (bar), ==, 1.0);
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (gtk_widget_get_parent (GTK_WIDGET (bar)))));

  g_settings_set_int (settings, "retention-days", 0);
  picky_store_remove_channel_async (store, channel, NULL, picky_test_got_result_cb, &result);
  picky_store_remove_channel_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  gtk_window_destroy (GTK_WINDOW (window));
  g_settings_reset (settings, "notify-muted-apps");
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  picky_test_gui_init (&argc, &argv);

  ADD ("/picky/privacy/erase", test_erase_contact);
  ADD ("/picky/privacy/disclose", test_disclose);
  ADD ("/picky/privacy/audit-log", test_audit_log);
  g_test_add_func ("/picky/privacy/purge-progress", test_purge_progress);

  return g_test_run ();
}
