/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark of the Contacts page in a real window: loading, sorting and searching --contacts N contacts. */

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <time.h>
#include <glib/gstdio.h>

#include "bench-common.h"
#include "picky-contacts-page.h"

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* The main thread's own CPU time: set against the wall clock, it tells
 * work from waiting for a core on a busy machine. */
static double
cpu_ms (void)
{
  struct timespec t;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

static void
started_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  if (!picky_service_start_finish (PICKY_SERVICE (object), result, &error))
    g_error ("The service did not start: %s", error->message);
  *done = TRUE;
}

static GtkWidget *
find (GtkWidget *root,
      GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) options = g_option_context_new ("- benchmark the Contacts page");
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyService) service = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *dir = NULL;
  g_autofree char *db = NULL;
  gint64 contacts = 50000;
  GOptionEntry entries[] = {
    { "contacts", 0, 0, G_OPTION_ARG_INT64, &contacts, "Contacts to store (default 50000)", "N" },
    { NULL }
  };
  static const char *names[] = { "Ana", "Jörg", "Émilie", "Ravi", "Zoë", "Kofi", "Ölçer", "Lena", "Omar", "Yuki" };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gboolean started = FALSE;
  GtkWindow *window;
  PickyContactsPage *page;
  GtkColumnView *view;
  GtkEditable *entry;
  GListModel *rows;
  GListModel *columns;
  gint64 channel;
  double t0, worst = 0;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  adw_init ();

  dir = g_dir_make_tmp ("bench-contacts-XXXXXX", &error);
  g_assert_no_error (error);
  db = g_build_filename (dir, "console.db", NULL);
  service = picky_service_new (db);
  picky_service_start_async (service, FALSE, NULL, started_cb, &started);
  while (!started)
    g_main_context_iteration (NULL, TRUE);

  picky_store_add_channel_async (picky_service_get_store (service), "telegram", "telegram", "Desk", "{}",
                                 NULL, bench_got_result_cb, &result);
  channel = picky_store_add_channel_finish (picky_service_get_store (service), bench_wait_for (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  /* Two messages per contact within the last week: a question and a reply. */
  for (gint64 c = 0; c < contacts; c++)
    for (guint m = 0; m < 2; m++)
      {
        PickyMessage *message = picky_message_new ();
        g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT "-%u", c, m);
        g_autofree char *provider_id = g_strdup_printf ("p%" G_GINT64_FORMAT, c);
        g_autofree char *name = g_strdup_printf ("%s %" G_GINT64_FORMAT, names[c % G_N_ELEMENTS (names)], c);
        g_autofree char *phone = g_strdup_printf ("+49 170 %07" G_GINT64_FORMAT, c * 7919 % 10000000);

        picky_message_set_channel_id (message, channel);
        picky_message_set_provider_key (message, key);
        picky_message_set_contact_provider_id (message, provider_id);
        picky_message_set_contact_name (message, name);
        picky_message_set_contact_phone (message, phone);
        picky_message_set_direction (message, m == 0 ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT);
        picky_message_set_text (message, "hello");
        picky_message_set_timestamp (message, now - 5 * 86400 + c % 86400 + m * (c % 3600));
        picky_message_set_received (message, now);
        g_ptr_array_add (batch, message);
        if (batch->len == 2000)
          {
            picky_store_ingest_async (picky_service_get_store (service), batch, NULL, bench_got_result_cb, &result);
            picky_store_ingest_finish (picky_service_get_store (service), bench_wait_for (&result), &error);
            g_assert_no_error (error);
            g_clear_object (&result);
            g_ptr_array_set_size (batch, 0);
          }
      }
  if (batch->len > 0)
    {
      picky_store_ingest_async (picky_service_get_store (service), batch, NULL, bench_got_result_cb, &result);
      picky_store_ingest_finish (picky_service_get_store (service), bench_wait_for (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
    }

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 1000, 800);
  page = g_object_new (PICKY_TYPE_CONTACTS_PAGE, NULL);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);
  rows = picky_contacts_page_get_model (page);

  /* From the store's first answer to every contact listed. */
  t0 = now_ms ();
  picky_contacts_page_set_service (page, service);
  while (picky_contacts_page_get_loading (page) || g_list_model_get_n_items (rows) < (guint) contacts)
    g_main_context_iteration (NULL, TRUE);
  printf ("contacts: %u\n", g_list_model_get_n_items (rows));
  printf ("contacts_load_ms: %.1f\n", now_ms () - t0);

  /* Every column, both ways: the sort itself and the frame after it. */
  view = GTK_COLUMN_VIEW (find (GTK_WIDGET (page), GTK_TYPE_COLUMN_VIEW));
  columns = gtk_column_view_get_columns (view);
  for (guint c = 0; c < g_list_model_get_n_items (columns); c++)
    for (int way = 0; way < 2; way++)
      {
        g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, c);
        double ms;

        t0 = now_ms ();
        gtk_column_view_sort_by_column (view, column, way == 0 ? GTK_SORT_ASCENDING : GTK_SORT_DESCENDING);
        g_list_model_get_n_items (rows);
        while (g_main_context_iteration (NULL, FALSE))
          ;
        ms = now_ms () - t0;
        worst = MAX (worst, ms);
      }
  printf ("sort_worst_ms: %.1f\n", worst);

  /* Typing a name letter by letter, then a number. */
  entry = GTK_EDITABLE (find (GTK_WIDGET (page), GTK_TYPE_SEARCH_ENTRY));
  worst = 0;
  {
    const char *steps[] = { "z", "zo", "zoë", "zoë 4", "zoë 42", "", "+49 170", "+49 170 12", "" };

    for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
      {
        double ms, cpu0 = cpu_ms ();

        t0 = now_ms ();
        gtk_editable_set_text (entry, steps[i]);
        /* As the entry does after its typing pause. */
        g_signal_emit_by_name (entry, "search-changed");
        g_list_model_get_n_items (rows);
        while (g_main_context_iteration (NULL, FALSE))
          ;
        ms = now_ms () - t0;
        if (g_getenv ("BENCH_VERBOSE") != NULL)
          printf ("# \"%s\": %.1f ms (%.1f ms on the main thread's CPU), %u rows\n", steps[i], ms,
                  cpu_ms () - cpu0, g_list_model_get_n_items (rows));
        worst = MAX (worst, ms);
      }
  }
  printf ("search_keystroke_ms_max: %.1f\n", worst);

  gtk_window_destroy (window);
  picky_service_shutdown (service);
  {
    const char *suffixes[] = { "", "-wal", "-shm" };

    for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
      {
        g_autofree char *name = g_strconcat (db, suffixes[i], NULL);

        g_remove (name);
      }
  }
  g_rmdir (dir);

  return 0;
}
