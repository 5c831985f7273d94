/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window in Arabic: mirrored, bubbles on the other sides, values that keep their order. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "picky-contacts-page.h"
#include "picky-erase-dialog.h"
#include "picky-report-view.h"
#include "picky-test-gui.h"
#include "picky-webhook-server.h"
#include "picky-window.h"

#define FSI "\xe2\x81\xa8"
#define PDI "\xe2\x81\xa9"
#define PHONE "+49 170 1234567"

typedef struct {
  PickyApplication *app;
  PickyWindow      *window;
  gint64            message;
  gint64            contact;
} Fixture;

/* One customer who wrote first ten days ago (so that First Seen is a
 * date, not a weekday) and three days ago, in Arabic, and our reply in
 * English, as a mixed team writes. */
static void
fill_store (Fixture *fixture)
{
  PickyStore *store = picky_service_get_store (picky_application_get_service (fixture->app));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  static const struct { gint64 ago; PickyDirection direction; const char *text; } messages[] = {
    { 10 * 86400, PICKY_DIRECTION_IN, "مرحبا" },
    { 3 * 86400, PICKY_DIRECTION_IN, "هل طلبي في الطريق؟" },
    { 3 * 86400 - 60, PICKY_DIRECTION_OUT, "Yes, it left today." },
  };
  static gint64 message_id, contact_id;
  gint64 channel;

  /* The store stays on disk from one case to the next. */
  if (message_id != 0)
    {
      fixture->message = message_id;
      fixture->contact = contact_id;
      return;
    }

  picky_store_add_channel_async (store, "telegram", "telegram", "Desk", "{}", NULL,
                                 picky_test_got_result_cb, &result);
  channel = picky_store_add_channel_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      PickyMessage *message = picky_message_new ();
      g_autofree char *key = g_strdup_printf ("m%u", i);

      picky_message_set_channel_id (message, channel);
      picky_message_set_provider_key (message, key);
      picky_message_set_contact_provider_id (message, "p1");
      picky_message_set_contact_name (message, "Ana Müller");
      picky_message_set_contact_phone (message, PHONE);
      picky_message_set_direction (message, messages[i].direction);
      picky_message_set_text (message, messages[i].text);
      picky_message_set_timestamp (message, now - messages[i].ago);
      picky_message_set_received (message, now - messages[i].ago);
      g_ptr_array_add (batch, message);
    }
  picky_store_ingest_async (store, batch, NULL, picky_test_got_result_cb, &result);
  picky_store_ingest_finish (store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  fixture->message = message_id = picky_message_get_id (batch->pdata[1]);
  fixture->contact = contact_id = picky_message_get_contact_id (batch->pdata[1]);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  static const char *muted[] = { "telegram", NULL };

  /* No notification server in a headless session. */
  g_settings_set_strv (settings, "notify-muted-apps", muted);
  g_settings_set_int (settings, "window-width", 1280);
  g_settings_set_int (settings, "window-height", 800);
  fixture->app = picky_test_gui_application ();
  picky_test_gui_wait_service_ready (picky_application_get_service (fixture->app));
  fill_store (fixture);
  fixture->window = picky_window_new (fixture->app);
  gtk_window_present (GTK_WINDOW (fixture->window));
  picky_test_gui_wait_mapped (GTK_WIDGET (fixture->window));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  picky_test_spin (100);
  g_clear_object (&fixture->app);
}

/* Every widget under @root that @match accepts, depth first. */
static void
collect (GtkWidget  *root,
         gboolean  (*match) (GtkWidget *widget),
         GPtrArray  *found)
{
  if (!gtk_widget_get_mapped (root))
    return;
  if (match (root))
    g_ptr_array_add (found, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect (child, match, found);
}

static gboolean
is_bubble (GtkWidget *widget)
{
  return gtk_widget_has_css_class (widget, "bubble");
}

/* A cell that says a date and a time: the Arabic comma of "%s، %s". */
static gboolean
is_date_time_label (GtkWidget *widget)
{
  const char *text = picky_test_gui_text_of (widget);

  return text != NULL && strstr (text, "، " FSI) != NULL && g_str_has_prefix (text, FSI);
}

static gboolean
is_phone_label (GtkWidget *widget)
{
  return GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), "+49") != NULL;
}

typedef struct {
  GtkWidget *root;
  gboolean (*match) (GtkWidget *widget);
  guint      at_least;
} Wanted;

static gboolean
found_enough (gpointer data)
{
  Wanted *wanted = data;
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect (wanted->root, wanted->match, found);
  return found->len >= wanted->at_least;
}

static GPtrArray *
wait_for (GtkWidget *root,
          gboolean (*match) (GtkWidget *widget),
          guint      at_least)
{
  Wanted wanted = { root, match, at_least };
  GPtrArray *found = g_ptr_array_new ();

  g_assert_true (picky_test_wait_until (found_enough, &wanted, 10000));
  collect (root, match, found);
  return found;
}

/* Where @needle of @label's text is drawn, from the left, with the text on
 * one line in the label's direction (a wrapped label could put the two
 * things compared on different lines). */
static int
x_of (GtkWidget  *label,
      const char *text,
      const char *needle)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (label, text);
  const char *at = strstr (text, needle);
  PangoRectangle pos;

  g_assert_nonnull (at);
  pango_layout_index_to_pos (layout, at - text, &pos);
  return MIN (pos.x, pos.x + pos.width) / PANGO_SCALE;
}

static void
test_rtl_direction (Fixture       *fixture,
                    gconstpointer  data)
{
  g_assert_cmpint (gtk_widget_get_default_direction (), ==, GTK_TEXT_DIR_RTL);
  g_assert_cmpint (gtk_widget_get_direction (GTK_WIDGET (fixture->window)), ==, GTK_TEXT_DIR_RTL);
}

/* The customer's messages at the start of the line, on the right; ours on
 * the left. */
static void
test_rtl_bubbles (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) bubbles = NULL;
  guint n_in = 0, n_out = 0;

  picky_window_open_message (fixture->window, fixture->message);
  bubbles = wait_for (GTK_WIDGET (fixture->window), is_bubble, 3);
  picky_test_spin (300);

  for (guint i = 0; i < bubbles->len; i++)
    {
      GtkWidget *bubble = bubbles->pdata[i];
      GtkWidget *view = gtk_widget_get_parent (gtk_widget_get_parent (bubble));
      graphene_rect_t bounds;
      double view_width = gtk_widget_get_width (view);

      g_assert_true (gtk_widget_compute_bounds (bubble, view, &bounds));
      g_assert_cmpfloat (bounds.size.width, <, view_width / 2);
      if (gtk_widget_has_css_class (bubble, "incoming"))
        {
          g_assert_cmpfloat (bounds.origin.x, >, view_width / 2);
          n_in++;
        }
      else if (gtk_widget_has_css_class (bubble, "outgoing"))
        {
          g_assert_cmpfloat (bounds.origin.x + bounds.size.width, <, view_width / 2);
          n_out++;
        }
    }
  g_assert_cmpuint (n_in, >=, 2);
  g_assert_cmpuint (n_out, ==, 1);
}

/* A date-time cell of the contacts list carries isolates around its date
 * and its time, and reads date first, from the right. */
static void
test_rtl_date_time_cell (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) cells = NULL;
  GtkWidget *cell;
  const char *text;
  g_auto(GStrv) parts = NULL;

  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "contacts");
  cells = wait_for (GTK_WIDGET (fixture->window), is_date_time_label, 1);
  cell = cells->pdata[0];
  text = picky_test_gui_text_of (cell);
  g_test_message ("%s", text);

  /* FSI date PDI، FSI time PDI */
  parts = g_strsplit (text, "، ", 2);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  g_assert_true (g_str_has_prefix (parts[0], FSI) && g_str_has_suffix (parts[0], PDI));
  g_assert_true (g_str_has_prefix (parts[1], FSI) && g_str_has_suffix (parts[1], PDI));
  g_assert_nonnull (strchr (parts[0], '/'));
  g_assert_nonnull (strchr (parts[1], ':'));
  /* Right to left: the date, read first, is on the right of the time. */
  g_assert_cmpint (x_of (cell, text, parts[0] + 3), >, x_of (cell, text, parts[1] + 3));
}

/* A "+49" number in an Arabic sentence keeps its groups in their order:
 * without an isolate it would read "1234567 170 49+". */
static void
test_rtl_phone_in_sentence (Fixture       *fixture,
                            gconstpointer  data)
{
  PickyStore *store = picky_service_get_store (picky_application_get_service (fixture->app));
  PickyEraseDialog *dialog = picky_erase_dialog_new (GTK_WINDOW (fixture->window), store, fixture->contact,
                                                     "Ana Müller");
  g_autoptr(GPtrArray) labels = NULL;
  GtkLabel *body;
  const char *text;

  gtk_window_present (GTK_WINDOW (dialog));
  labels = wait_for (GTK_WIDGET (dialog), is_phone_label, 1);
  body = labels->pdata[0];
  text = gtk_label_get_text (body);
  g_test_message ("%s", text);

  g_assert_nonnull (strstr (text, FSI PHONE PDI));
  g_assert_nonnull (strstr (text, FSI "Ana Müller" PDI));
  g_assert_cmpint (x_of (GTK_WIDGET (body), text, "+49"), <, x_of (GTK_WIDGET (body), text, "1234567"));
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static gboolean
report_shown (gpointer data)
{
  PickyReportView *view = data;

  return gtk_widget_get_mapped (GTK_WIDGET (view)) && picky_report_view_get_report (view) != NULL;
}

/* Whether @text is one isolate holding digits, for a date. */
static gboolean
is_isolated_date (const char *text)
{
  return g_str_has_prefix (text, FSI) && g_str_has_suffix (text, PDI) && strchr (text, '/') != NULL &&
         g_utf8_strlen (text, -1) > 2;
}

/* A report's range and busiest day are dates set into Arabic text: each
 * date isolated, so that "04/11/2026 – 04/12/2026" keeps its ends in place. */
static void
test_rtl_report_dates (Fixture       *fixture,
                       gconstpointer  data)
{
  GtkWidget *page;
  PickyReportView *view;
  g_autoptr(GPtrArray) labels = NULL;
  g_auto(GStrv) ends = NULL;
  const char *range = NULL;
  const char *busiest = NULL;
  GtkLabel *range_label = NULL;
  GtkLabel *busiest_label = NULL;

  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "contacts");
  page = picky_test_gui_find_only (GTK_WIDGET (fixture->window), PICKY_TYPE_CONTACTS_PAGE);
  view = PICKY_REPORT_VIEW (picky_test_gui_find_only (page, PICKY_TYPE_REPORT_VIEW));
  g_assert_true (gtk_widget_activate_action (page, "contacts.show-contact", "x", fixture->contact));
  g_assert_true (picky_test_wait_until (report_shown, view, 10000));

  labels = picky_test_gui_find_all (GTK_WIDGET (view), GTK_TYPE_LABEL);
  for (guint i = 0; i < labels->len; i++)
    {
      const char *text = gtk_label_get_text (labels->pdata[i]);

      if (strstr (text, " – ") != NULL && g_str_has_prefix (text, FSI))
        {
          range = text;
          range_label = labels->pdata[i];
        }
      /* "%s (%u messages)" in Arabic: the date first. */
      else if (g_str_has_prefix (text, FSI) && strchr (text, '(') != NULL)
        {
          busiest = text;
          busiest_label = labels->pdata[i];
        }
    }
  g_test_message ("%s | %s", range, busiest);

  g_assert_nonnull (range);
  ends = g_strsplit (range, " – ", 2);
  g_assert_true (is_isolated_date (ends[0]));
  g_assert_true (is_isolated_date (ends[1]));
  g_assert_nonnull (busiest);
  g_assert_nonnull (strstr (busiest, PDI " ("));
  /* Read from the right: the busiest day's date before its count, the
   * range's first day before its last. */
  g_assert_cmpint (x_of (GTK_WIDGET (busiest_label), busiest, "/"), >, x_of (GTK_WIDGET (busiest_label), busiest, "("));
  g_assert_cmpint (x_of (GTK_WIDGET (range_label), range, ends[0]), >, x_of (GTK_WIDGET (range_label), range, ends[1]));
}

/* The Channels page's confirmation and a channel error set a name, an
 * address and GIO's English into Arabic sentences, each isolated. */
static void
test_rtl_channel_texts (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(PickyWebhookServer) server = picky_webhook_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) buttons = NULL;
  GtkWidget *remove = NULL;
  GtkWindow *dialog = NULL;
  GListModel *toplevels;

  g_assert_false (picky_webhook_server_start (server, "no-such-address", 0, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, FSI "no-such-address" PDI));

  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "channels");
  picky_test_spin (200);
  buttons = picky_test_gui_find_all (GTK_WIDGET (fixture->window), GTK_TYPE_BUTTON);
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_widget_get_tooltip_text (buttons->pdata[i]), _("Remove Channel")) == 0 &&
        gtk_widget_get_mapped (buttons->pdata[i]))
      remove = buttons->pdata[i];
  g_assert_nonnull (remove);
  g_signal_emit_by_name (remove, "clicked");
  picky_test_spin (300);

  toplevels = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        dialog = window;
    }
  g_assert_nonnull (dialog);
  g_test_message ("%s", adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)));
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), FSI "Desk" PDI));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  picky_test_spin (100);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = g_dir_make_tmp ("picky-rtl-XXXXXX", NULL);
  int status;

  /* Arabic as `LANGUAGE=ar picky-console` starts it, from a store of its own. */
  g_setenv ("LANGUAGE", "ar", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  picky_test_gui_init (&argc, &argv);

  g_test_add ("/picky/rtl/direction", Fixture, NULL, fixture_set_up, test_rtl_direction, fixture_tear_down);
  g_test_add ("/picky/rtl/bubbles", Fixture, NULL, fixture_set_up, test_rtl_bubbles, fixture_tear_down);
  g_test_add ("/picky/rtl/date-time-cell", Fixture, NULL, fixture_set_up, test_rtl_date_time_cell,
              fixture_tear_down);
  g_test_add ("/picky/rtl/phone-in-sentence", Fixture, NULL, fixture_set_up, test_rtl_phone_in_sentence,
              fixture_tear_down);

  g_test_add ("/picky/rtl/report-dates", Fixture, NULL, fixture_set_up, test_rtl_report_dates, fixture_tear_down);
  g_test_add ("/picky/rtl/channel-texts", Fixture, NULL, fixture_set_up, test_rtl_channel_texts,
              fixture_tear_down);

  status = g_test_run ();
  picky_test_remove_tree (data_home);
  return status;
}
