/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark of the Inbox in the real window: first frame, scrolling the conversations, memory, live batches, search. */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <libsecret/secret.h>

#include "bench-common.h"
#include "picky-application.h"
#include "picky-inbox-page.h"
#include "picky-conversation-list.h"
#include "picky-vault.h"
#include "picky-window.h"

/* Contacts the live messages are drawn from, at random. */
#define INBOX_CONTACTS 60000
#define LIVE_TOTAL 10000
#define LIVE_BATCH 100
/* 1,000 messages a second: a batch of 100 every 100 ms. */
#define LIVE_INTERVAL_MS 100

static const char *words[] = {
  "hello", "order", "delivery", "tomorrow", "price", "thanks", "please", "invoice", "where",
  "package", "photo", "refund", "pedido", "gracias", "lieferung", "rechnung", "नमस्ते", "ऑर्डर",
  "مرحبا", "شكرا", "📦", "👍",
};

typedef struct {
  gint64            start_us;
  PickyApplication *app;
  PickyService     *service;
  PickyStore       *store;
  PickyWindow      *window;
  PickyInboxPage   *page;
  GListModel       *list;
  GtkListView      *view;
  GtkAdjustment    *adjustment;
  GdkFrameClock    *clock;
  gint64            channel;
  guint64           n_messages;
  gint64            n_existing;     /* in a reused file before the run */
  guint             max_frames;     /* 0: until the oldest message */
  double            step_pages;     /* scrolled per frame, in views' heights */
  guint64           run;            /* 0 while generating; a run's own number for live keys */

  /* phases */
  gboolean          first_frame_seen;
  double            first_frame_ms;
  gint64            frame_start;
  GArray           *frame_ms;       /* double */
  gboolean          scrolling;
  guint             stuck_frames;
  double            last_value;
  GArray           *live_ms;        /* double */
  GArray           *live_sent;      /* gint64 µs, per batch */
  GArray           *live_newest;    /* gint64 message id per batch, 0 until stored */
  guint             live_shown;     /* batches seen on screen, in order */
  guint             live_timer;
  guint             live_done;      /* messages sent */
  gboolean          finished;
} Bench;

static double
rss_mb (void)
{
  g_autofree char *statm = NULL;
  long pages = 0;
  long resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL) ||
      sscanf (statm, "%ld %ld", &pages, &resident) != 2)
    return -1;

  return resident * (double) sysconf (_SC_PAGESIZE) / (1024.0 * 1024.0);
}

/* Whether a GL driver is mapped into the process: libGL or a Mesa DRI driver. */
static gboolean
gl_driver_loaded (void)
{
  g_autofree char *maps = NULL;

  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return FALSE;

  return strstr (maps, "/libGL") != NULL || strstr (maps, "/libEGL") != NULL ||
         strstr (maps, "_dri.so") != NULL;
}

static void
wait_until (gboolean (*condition) (gpointer), gpointer data)
{
  while (!condition (data))
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
service_ready (gpointer data)
{
  return picky_service_get_ready (data) || picky_service_get_error (data) != NULL;
}

static PickyMessage *
make_message (Bench   *bench,
              guint64  i,
              gint64   timestamp,
              guint32 *seed)
{
  PickyMessage *message = picky_message_new ();
  g_autofree char *key = g_strdup_printf ("bench:%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT,
                                          bench->run, i);
  g_autofree char *contact = NULL;
  GString *text = g_string_new (NULL);
  guint n_words;

  *seed = *seed * 1103515245 + 12345;
  contact = g_strdup_printf ("%u", (*seed >> 8) % INBOX_CONTACTS + 1000);
  n_words = 3 + (*seed >> 4) % 9;
  for (guint w = 0; w < n_words; w++)
    {
      *seed = *seed * 1103515245 + 12345;
      if (w > 0)
        g_string_append_c (text, ' ');
      g_string_append (text, words[(*seed >> 8) % G_N_ELEMENTS (words)]);
    }

  picky_message_set_channel_id (message, bench->channel);
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_provider_id (message, contact);
  picky_message_set_contact_name (message, contact);
  picky_message_set_direction (message, (*seed >> 3) % 4 == 0 ? PICKY_DIRECTION_OUT : PICKY_DIRECTION_IN);
  picky_message_set_kind (message, (*seed >> 5) % 20 == 0 ? PICKY_MESSAGE_KIND_IMAGE : PICKY_MESSAGE_KIND_TEXT);
  picky_message_set_text (message, text->str);
  picky_message_set_timestamp (message, timestamp);
  picky_message_set_received (message, timestamp);
  g_string_free (text, TRUE);
  return message;
}

/* Fills the store up to the asked number of messages, as bench-store
 * does: the rows of bench-common (every one of its 50,000 contacts
 * writing, each on one of two channels, so as many conversations) through
 * the store's ingest with many batches in flight, which the worker commits
 * as groups. Leaves the first channel for the live part. */
static void
prepare_store (Bench *bench)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) channels = NULL;

  picky_store_list_channels_async (bench->store, NULL, bench_got_result_cb, &result);
  channels = picky_store_list_channels_finish (bench->store, bench_wait_for (&result), &error);
  g_clear_object (&result);
  if (channels == NULL || channels->len == 0)
    {
      /* The channels bench-common's rows belong to, in its order. */
      for (guint i = 0; i < 2; i++)
        {
          picky_store_add_channel_async (bench->store, i == 0 ? "telegram" : "whatsapp", "bench", "Bench", "{}",
                                         NULL, bench_got_result_cb, &result);
          picky_store_add_channel_finish (bench->store, bench_wait_for (&result), &error);
          if (error != NULL)
            g_error ("%s", error->message);
          g_clear_object (&result);
        }
      picky_store_list_channels_async (bench->store, NULL, bench_got_result_cb, &result);
      g_clear_pointer (&channels, g_ptr_array_unref);
      channels = picky_store_list_channels_finish (bench->store, bench_wait_for (&result), &error);
      g_clear_object (&result);
    }
  g_variant_get (channels->pdata[0], "(xssss)", &bench->channel, NULL, NULL, NULL, NULL);

  if ((guint64) bench->n_existing < bench->n_messages)
    {
      n_messages = bench->n_messages;
      bench_even_contacts = TRUE;
      bench_fill_store (bench->store);
    }
}

/* Messages already in a reused file, counted on the benchmark's own
 * connection, closed before the console opens the file: counting reads every
 * page of an index, which must not be left in the console's page cache. */
static gint64
count_existing (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return 0;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, "SELECT count(*) FROM messages", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return count;
}

/* The data key of a store an earlier process generated, kept in
 * "@path.key" beside it, is put into this session's keyring under the
 * database's id, as the console stored it there, so that a store can be
 * measured in a later session than the one that made it. */
static void
restore_data_key (const char *path)
{
  static const SecretSchema data_key_schema = {
    "io.github.pickyconsole.PickyConsole.DataKey", SECRET_SCHEMA_NONE,
    {
      { "database", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };
  g_autofree char *key_path = g_strconcat (path, ".key", NULL);
  g_autofree char *key = NULL;
  g_autofree char *encoded = NULL;
  g_autofree char *database_id = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  if (!g_file_get_contents (key_path, &key, &length, NULL))
    return;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, "SELECT value FROM meta WHERE key = 'database-id'", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    database_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  if (database_id == NULL)
    g_error ("%s has no database id", path);

  encoded = g_base64_encode ((const guchar *) key, length);
  if (!secret_password_store_sync (&data_key_schema, SECRET_COLLECTION_DEFAULT, "bench-inbox data key",
                                   encoded, NULL, &error,
                                   "database", database_id, "kind", "data-key", NULL))
    g_error ("Cannot put the data key into the keyring: %s", error->message);
}

static void start_live (Bench *bench);

static void
on_update_cb (GdkFrameClock *clock,
              Bench         *bench)
{
  bench->frame_start = g_get_monotonic_time ();

  if (bench->scrolling)
    {
      double value = gtk_adjustment_get_value (bench->adjustment);
      double step = gtk_adjustment_get_page_size (bench->adjustment) * bench->step_pages;

      /* One step down per frame, from the newest towards the oldest. */
      gtk_adjustment_set_value (bench->adjustment, value + step);
    }
  else if (bench->live_timer != 0 || bench->live_shown < bench->live_newest->len)
    /* Every frame is painted while batches come in: a frame that is not
     * painted would not say when the batch reached the screen. */
    gtk_widget_queue_draw (GTK_WIDGET (bench->view));
}

static void
finish_scrolling (Bench *bench)
{
  bench->scrolling = FALSE;
  printf ("scroll_frames: %u\n", bench->frame_ms->len);
  printf ("scroll_rows_loaded: %u\n", g_list_model_get_n_items (bench->list));
  printf ("scroll_reached_oldest: %d\n", picky_conversation_list_get_complete (PICKY_CONVERSATION_LIST (bench->list)) &&
                                          bench->stuck_frames > 120);
  printf ("frame_p95_ms: %.2f\n", bench_percentile (bench->frame_ms, 0.95));
  printf ("frame_max_ms: %.2f\n", bench_percentile (bench->frame_ms, 1.0));
  printf ("rss_mb_scrolled: %.1f\n", rss_mb ());
  fflush (stdout);

  gtk_adjustment_set_value (bench->adjustment, 0);
  start_live (bench);
}

static void
on_after_paint_cb (GdkFrameClock *clock,
                   Bench         *bench)
{
  gint64 now = g_get_monotonic_time ();

  if (!bench->first_frame_seen)
    {
      if (bench->list == NULL || g_list_model_get_n_items (bench->list) == 0)
        return;
      bench->first_frame_seen = TRUE;
      bench->first_frame_ms = (now - bench->start_us) / 1000.0;
      printf ("startup_first_frame_ms: %.1f\n", bench->first_frame_ms);
      printf ("rss_mb_start: %.1f\n", rss_mb ());
      fflush (stdout);
      bench->scrolling = TRUE;
      bench->last_value = -1;
      return;
    }

  if (bench->scrolling)
    {
      double value = gtk_adjustment_get_value (bench->adjustment);
      double work = (now - bench->frame_start) / 1000.0;

      g_array_append_val (bench->frame_ms, work);
      bench->stuck_frames = value <= bench->last_value ? bench->stuck_frames + 1 : 0;
      bench->last_value = value;
      /* The end: as many frames as asked, or the oldest message reached
       * and nothing more to load for two seconds. */
      if ((bench->max_frames > 0 && bench->frame_ms->len >= bench->max_frames) ||
          (bench->stuck_frames > 120 &&
           (bench->max_frames > 0 || picky_conversation_list_get_complete (PICKY_CONVERSATION_LIST (bench->list)))))
        finish_scrolling (bench);
      return;
    }

  /* A batch is on screen when the conversation at the top shows its
   * newest message or a later one: the batches are stored in order. */
  if (bench->live_shown < bench->live_newest->len && bench->list != NULL &&
      g_list_model_get_n_items (bench->list) > 0)
    {
      g_autoptr(PickyConversation) top = g_list_model_get_item (bench->list, 0);
      gint64 shown_id = picky_conversation_get_last_message_id (top);


      while (bench->live_shown < bench->live_newest->len &&
             g_array_index (bench->live_newest, gint64, bench->live_shown) > 0 &&
             shown_id >= g_array_index (bench->live_newest, gint64, bench->live_shown))
        {
          double ms = (now - g_array_index (bench->live_sent, gint64, bench->live_shown)) / 1000.0;

          g_array_append_val (bench->live_ms, ms);
          bench->live_shown++;
        }
      if (bench->live_shown * LIVE_BATCH >= LIVE_TOTAL)
        bench->finished = TRUE;
    }
}

static void
on_live_ingested_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Bench *bench = user_data;
  g_autoptr(GError) error = NULL;

  picky_store_ingest_finish (bench->store, result, &error);
  if (error != NULL)
    g_error ("Ingest failed: %s", error->message);
}

/* Which batch a live message belongs to, from its key. */
static guint
live_batch_of (Bench        *bench,
               PickyMessage *message)
{
  const char *key = picky_message_get_provider_key (message);
  const char *number = key != NULL ? strrchr (key, ':') : NULL;
  guint64 i;

  if (number == NULL)
    return G_MAXUINT;
  i = g_ascii_strtoull (number + 1, NULL, 10);
  if (i < bench->n_messages + 1000000000)
    return G_MAXUINT;
  return (i - bench->n_messages - 1000000000) / LIVE_BATCH;
}

static void
on_live_added_cb (PickyStore *store,
                  GPtrArray  *messages,
                  Bench      *bench)
{
  for (guint i = 0; i < messages->len; i++)
    {
      guint batch = live_batch_of (bench, messages->pdata[i]);

      if (batch < bench->live_newest->len)
        g_array_index (bench->live_newest, gint64, batch) =
          MAX (g_array_index (bench->live_newest, gint64, batch), picky_message_get_id (messages->pdata[i]));
    }
  gtk_widget_queue_draw (GTK_WIDGET (bench->view));
}

/* One batch of incoming messages from contacts drawn at random, newer than
 * everything, timed from the ingest call to the frame that shows the
 * newest of them at the top of the list. */
/* Batches the window could not show in time do not hold the run up: what
 * was shown is reported, and how many were. */
static gboolean
give_up_cb (gpointer data)
{
  ((Bench *) data)->finished = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
inject_live_cb (gpointer data)
{
  Bench *bench = data;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint32 seed = 7 + bench->live_done;
  gint64 sent = g_get_monotonic_time ();
  gint64 none = 0;

  if (bench->live_done >= LIVE_TOTAL)
    {
      bench->live_timer = 0;
      g_timeout_add_seconds (30, give_up_cb, bench);
      return G_SOURCE_REMOVE;
    }

  /* Each batch newer than the one before, and its last message the newest
   * of all, so that its conversation is the one that goes to the top. */
  now += 1 + 2 * (bench->live_done / LIVE_BATCH);
  for (guint k = 0; k < LIVE_BATCH; k++)
    {
      PickyMessage *message = make_message (bench, bench->n_messages + 1000000000 + bench->live_done + k,
                                            k + 1 == LIVE_BATCH ? now + 1 : now, &seed);

      picky_message_set_direction (message, PICKY_DIRECTION_IN);
      g_ptr_array_add (batch, message);
    }
  bench->live_done += LIVE_BATCH;
  g_array_append_val (bench->live_sent, sent);
  g_array_append_val (bench->live_newest, none);
  picky_store_ingest_async (bench->store, batch, NULL, on_live_ingested_cb, bench);

  return G_SOURCE_CONTINUE;
}

static void
start_live (Bench *bench)
{
  inject_live_cb (bench);
  bench->live_timer = g_timeout_add (LIVE_INTERVAL_MS, inject_live_cb, bench);
}

/* The searches an admin types with the window open: a contact's name,
 * their number as people write it, and words of the messages, each timed
 * from the call to the results in hand on the main thread. */
static void
measure_search (Bench *bench)
{
  g_autoptr(GArray) names = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) numbers = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) texts = g_array_new (FALSE, FALSE, sizeof (double));
  guint32 seed = 99;
  guint found = 0;

  for (guint i = 0; i < 300; i++)
    {
      PickyConversationQuery query = { .filter = PICKY_CONVERSATION_FILTER_ALL, .limit = 50 };
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) hits = NULL;
      g_autofree char *text = NULL;
      guint contact;
      GArray *kind;
      gint64 t0;

      seed = seed * 1103515245 + 12345;
      contact = (seed >> 8) % N_CONTACTS;
      /* The generated contacts as bench-store searches them: by name, by
       * number as people type it, and messages by a word. */
      switch (i % 3)
        {
        case 0:
          text = g_strdup_printf ("contact NUMBER %u", contact);
          kind = names;
          break;
        case 1:
          text = i % 2 ? g_strdup_printf ("+91 98 %04u %04u", contact / 10000, contact % 10000)
                       : g_strdup_printf ("098 %04u-%04u", contact / 10000, contact % 10000);
          kind = numbers;
          break;
        default:
          text = g_strdup (latin_words[(seed >> 4) % G_N_ELEMENTS (latin_words)]);
          kind = texts;
          break;
        }

      t0 = g_get_monotonic_time ();
      if (kind == texts)
        {
          picky_store_search_conversation_messages_async (bench->store, text, &query, NULL, bench_got_result_cb, &result);
          hits = picky_store_search_conversation_messages_finish (bench->store, bench_wait_for (&result), &error);
        }
      else
        {
          picky_store_search_conversations_async (bench->store, text, &query, NULL, bench_got_result_cb, &result);
          hits = picky_store_search_conversations_finish (bench->store, bench_wait_for (&result), &error);
        }
      if (hits == NULL)
        g_error ("Search failed: %s", error->message);
      g_array_append_vals (kind, (double[]) { (g_get_monotonic_time () - t0) / 1000.0 }, 1);
      found += hits->len > 0;
    }

  printf ("conversation_search_found: %u/300\n", found);
  printf ("conversation_search_name_p95_ms: %.2f\n", bench_percentile (names, 0.95));
  printf ("conversation_search_number_p95_ms: %.2f\n", bench_percentile (numbers, 0.95));
  printf ("conversation_search_text_p95_ms: %.2f\n", bench_percentile (texts, 0.95));
  printf ("conversation_search_p95_ms: %.2f\n",
          MAX (bench_percentile (names, 0.95), MAX (bench_percentile (numbers, 0.95), bench_percentile (texts, 0.95))));
  fflush (stdout);
}

static GtkListView *
find_list_view (GtkWidget  *widget,
                GListModel *list)
{
  if (GTK_IS_LIST_VIEW (widget))
    {
      GtkSelectionModel *model = gtk_list_view_get_model (GTK_LIST_VIEW (widget));

      if (GTK_IS_SINGLE_SELECTION (model) &&
          gtk_single_selection_get_model (GTK_SINGLE_SELECTION (model)) == list)
        return GTK_LIST_VIEW (widget);
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkListView *found = find_list_view (child, list);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
list_known (gpointer data)
{
  Bench *bench = data;

  bench->list = picky_inbox_page_get_conversations (bench->page);
  return bench->list != NULL;
}

static gboolean
is_finished (gpointer data)
{
  return ((Bench *) data)->finished;
}

/* The window, as the application's activate makes it, and its Inbox page. */
static void
open_window (Bench *bench)
{
  bench->window = picky_window_new (bench->app);
  gtk_window_set_default_size (GTK_WINDOW (bench->window), 1000, 800);
  gtk_window_present (GTK_WINDOW (bench->window));
  {
    GtkWidget *stack = GTK_WIDGET (bench->window);
    GPtrArray *todo = g_ptr_array_new ();

    /* The page is deep in the window; walk down to it. */
    bench->page = NULL;
    g_ptr_array_add (todo, stack);
    while (todo->len > 0 && bench->page == NULL)
      {
        GtkWidget *widget = g_ptr_array_steal_index (todo, 0);

        if (PICKY_IS_INBOX_PAGE (widget))
          bench->page = PICKY_INBOX_PAGE (widget);
        for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
          g_ptr_array_add (todo, child);
      }
    g_ptr_array_unref (todo);
  }
}

static gboolean
view_mapped (gpointer data)
{
  Bench *bench = data;

  if (bench->view == NULL && bench->list != NULL)
    bench->view = find_list_view (GTK_WIDGET (bench->window), bench->list);
  return bench->view != NULL && gtk_widget_get_mapped (GTK_WIDGET (bench->view));
}

int
main (int   argc,
      char *argv[])
{
  Bench bench = { 0, };
  g_autoptr(GOptionContext) context = g_option_context_new ("— benchmark of the Inbox window");
  g_autoptr(GError) error = NULL;
  g_autofree char *store_path = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *db_dir = NULL;
  g_autofree char *db_path = NULL;
  gint64 messages = 1000000;
  int frames = 0;
  double step = 12;
  gboolean generate_only = FALSE;
  gboolean reused;
  GOptionEntry entries[] = {
    { "messages", 0, 0, G_OPTION_ARG_INT64, &messages, "Messages in the store (default 1000000)", "N" },
    { "store", 0, 0, G_OPTION_ARG_FILENAME, &store_path, "A database file to create or reuse", "PATH" },
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Scroll frames at most; 0, the default, scrolls to the oldest message", "N" },
    { "step", 0, 0, G_OPTION_ARG_DOUBLE, &step, "Scrolled per frame, in heights of the list (default 12, a fling)", "PAGES" },
    { "generate-only", 0, 0, G_OPTION_ARG_NONE, &generate_only, "Only fill the --store file and end, so that a later run measures a store an earlier process made (its data key is kept in PATH.key beside it)", NULL },
    { NULL }
  };

  bench.start_us = g_get_monotonic_time ();
  /* The window draws in software with cairo, as under Xvfb. GDK on X11
   * would still load a GL driver only to pick a window visual; Mesa's
   * software driver maps libLLVM, some 50 MB resident that the cairo
   * renderer never uses, so it is kept out. gl_driver_loaded reports it. */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  if (g_strcmp0 (g_getenv ("GSK_RENDERER"), "cairo") == 0)
    g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (generate_only && store_path == NULL)
    {
      g_printerr ("--generate-only needs --store\n");
      return 2;
    }
  bench.n_messages = messages;
  bench.run = 0;
  bench.max_frames = MAX (frames, 0);
  bench.step_pages = step > 0 ? step : 12;
  bench.frame_ms = g_array_new (FALSE, FALSE, sizeof (double));
  bench.live_ms = g_array_new (FALSE, FALSE, sizeof (double));
  bench.live_sent = g_array_new (FALSE, FALSE, sizeof (gint64));
  bench.live_newest = g_array_new (FALSE, FALSE, sizeof (gint64));

  /* The console opens its database in the data folder; a given file is
   * reached from a private data folder through a link. */
  data_dir = g_dir_make_tmp ("picky-bench-inbox-XXXXXX", NULL);
  db_dir = g_build_filename (data_dir, "picky-console", NULL);
  g_mkdir_with_parents (db_dir, 0700);
  db_path = g_build_filename (db_dir, "picky-console.db", NULL);
  if (store_path != NULL)
    {
      g_autofree char *absolute = g_canonicalize_filename (store_path, NULL);
      gint64 before = g_get_monotonic_time ();

      /* Counting is the benchmark's own work, not start-up. */
      bench.n_existing = count_existing (absolute);
      if (!generate_only)
        restore_data_key (absolute);
      bench.start_us += g_get_monotonic_time () - before;
      /* A missing file is created through the link by the store itself. */
      if (symlink (absolute, db_path) != 0)
        g_error ("Cannot link %s", absolute);
    }
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);

  adw_init ();
  {
    g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
    const char *muted[] = { "telegram", NULL };

    /* Notifications are not part of what is measured. */
    const char *all_muted[] = { "telegram", "whatsapp", NULL };

    g_settings_set_strv (settings, "notify-muted-apps", generate_only ? all_muted : muted);
  }
  bench.app = picky_application_new ();
  g_application_set_application_id (G_APPLICATION (bench.app), "io.github.pickyconsole.PickyConsole.Bench");
  g_application_set_flags (G_APPLICATION (bench.app), G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (bench.app), NULL, &error))
    g_error ("%s", error->message);
  bench.service = picky_application_get_service (bench.app);
  /* A console started on a full store makes its window while the service
   * opens the store, as startup() starts the service and activate() makes
   * the window: so does the benchmark when it has nothing to add. */
  reused = store_path != NULL && !generate_only && (guint64) bench.n_existing >= bench.n_messages;
  if (reused)
    open_window (&bench);
  wait_until (service_ready, bench.service);
  if (!picky_service_get_ready (bench.service))
    g_error ("The console could not start: %s", picky_service_get_error (bench.service)->message);
  bench.store = picky_service_get_store (bench.service);

  if (generate_only)
    {
      g_autoptr(PickyVault) vault = picky_vault_new (picky_store_get_database_id (bench.store));
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GBytes) key = NULL;
      g_autoptr(PickyCipher) cipher = NULL;
      double rate;

      /* The console made the file and its data key; the rows are written
       * with the store's own statements, a thousand a transaction, which
       * ingest on this machine is many times slower than. */
      picky_vault_get_data_key_async (vault, FALSE, NULL, bench_got_result_cb, &result);
      key = picky_vault_get_data_key_finish (vault, bench_wait_for (&result), &error);
      if (key == NULL || (cipher = picky_cipher_new (key, &error)) == NULL)
        g_error ("No data key: %s", error->message);
      {
        g_autofree char *key_path = g_strconcat (store_path, ".key", NULL);

        if (!g_file_set_contents_full (key_path, g_bytes_get_data (key, NULL), g_bytes_get_size (key),
                                       G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
          g_error ("Cannot keep the key: %s", error->message);
      }
      picky_service_shutdown (bench.service);
      if (bench.n_existing == 0)
        {
          n_messages = bench.n_messages;
          bench_even_contacts = TRUE;
          rate = run_ceiling (db_path, cipher);
          printf ("generated_msgs_per_s: %.0f\n", rate);
        }
      g_object_unref (bench.app);
      g_unlink (db_path);
      g_rmdir (db_dir);
      g_rmdir (data_dir);
      printf ("generated_messages: %" G_GUINT64_FORMAT "\n", bench.n_messages);
      return 0;
    }

  {
    gint64 before = g_get_monotonic_time ();

    prepare_store (&bench);
    /* Generating is not start-up: the clock starts again once the store
     * holds its messages, as it would for a console started on them. */
    if (g_get_monotonic_time () - before > 1000000)
      printf ("generated_s: %.1f\n", (g_get_monotonic_time () - before) / 1e6);
    if (!reused)
      bench.start_us += g_get_monotonic_time () - before;
  }
  /* A reused file also holds the live messages of the runs before. */
  printf ("messages: %" G_GUINT64_FORMAT "\n", MAX (bench.n_messages, (guint64) bench.n_existing));
  printf ("contacts_drawn_from: %d\n", N_CONTACTS);
  fflush (stdout);
  /* Live messages of every run are new to a reused store. */
  bench.run = g_get_real_time ();

  if (!reused)
    open_window (&bench);

  wait_until (list_known, &bench);
  wait_until (view_mapped, &bench);
  bench.adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (bench.view));
  bench.clock = gtk_widget_get_frame_clock (GTK_WIDGET (bench.window));
  g_signal_connect (bench.clock, "update", G_CALLBACK (on_update_cb), &bench);
  g_signal_connect (bench.clock, "after-paint", G_CALLBACK (on_after_paint_cb), &bench);
  g_signal_connect (bench.store, "messages-added", G_CALLBACK (on_live_added_cb), &bench);
  gdk_frame_clock_begin_updating (bench.clock);

  wait_until (is_finished, &bench);
  gdk_frame_clock_end_updating (bench.clock);
  g_clear_handle_id (&bench.live_timer, g_source_remove);

  printf ("rss_mb_end: %.1f\n", rss_mb ());
  {
    sqlite3_int64 used = 0;
    sqlite3_int64 peak = 0;

    /* What of it is SQLite's: the page cache, mostly. */
    sqlite3_status64 (SQLITE_STATUS_MEMORY_USED, &used, &peak, FALSE);
    printf ("sqlite_mb_end: %.1f\n", used / (1024.0 * 1024.0));
  }
  printf ("gl_driver_loaded: %d\n", gl_driver_loaded ());
  printf ("live_batches: %u\n", bench.live_sent->len);
  printf ("live_batches_shown: %u\n", bench.live_ms->len);
  printf ("live_batch_to_screen_ms_p95: %.1f\n", bench_percentile (bench.live_ms, 0.95));
  fflush (stdout);
  measure_search (&bench);

  /* Batches still on their way must not reach a window that is gone. */
  g_signal_handlers_disconnect_by_data (bench.store, &bench);
  g_signal_handlers_disconnect_by_data (bench.clock, &bench);
  gtk_window_destroy (GTK_WINDOW (bench.window));
  picky_service_shutdown (bench.service);
  g_object_unref (bench.app);
  g_unlink (db_path);
  g_rmdir (db_dir);
  g_rmdir (data_dir);
  return 0;
}
