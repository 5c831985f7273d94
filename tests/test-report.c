/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of reports against brute force in zones with daylight saving, and of their CSV and PDF exports. */

#include "config.h"

#include <locale.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "picky-languages.h"
#include "picky-report.h"
#include "picky-report-export.h"
#include "picky-store-private.h"
#include "picky-test-util.h"

#define N_CONTACTS 9
#define N_CHANNELS 3

/* One generated event, as the brute force sees it: a message, or a
 * conversation marked done. */
typedef struct {
  guint    contact;
  guint    channel;    /* index into Fixture.channels */
  gboolean in;
  gboolean done;
  gint64   timestamp;
  char    *text;
} Sent;

/* Brute-force business hours: every minute of a span classified by the
 * wall clock, and counted up, so that working time between two instants
 * is a difference of two sums. */
typedef struct {
  gboolean  on;
  gint64    base;      /* the first minute, unix seconds */
  GArray   *sums;      /* gint64: working minutes before base + 60 i */
} BruteHours;

typedef struct {
  char        *dir;
  PickyCipher *cipher;
  PickyStore  *store;
  gint64       channels[N_CHANNELS];
  GArray      *sent;     /* Sent, in ingest order */
  gint64       contact_ids[N_CONTACTS];
  BruteHours   hours;
  gint64       now;      /* what the store counts open waits up to at most */
} Fixture;

static const char *contact_names[N_CONTACTS] = {
  "Ana Souza", "Jörg Müller", "李雷", "Fatima, \"Fa\" Zahra", "Ravi Kumar",
  "Émilie Dubois", "Олег", "Kofi Mensah", "Noa Levi",
};

static void
sent_clear (gpointer data)
{
  Sent *sent = data;

  g_free (sent->text);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autofree char *path = NULL;
  guint8 raw[PICKY_CIPHER_KEY_SIZE];
  /* Two numbers of one app: a contact who writes to both has two
   * conversations, each with waits of its own. */
  const char *apps[N_CHANNELS] = { "telegram", "whatsapp", "whatsapp" };

  for (guint i = 0; i < sizeof raw; i++)
    raw[i] = i * 13 + 5;
  key = g_bytes_new (raw, sizeof raw);
  fixture->cipher = picky_cipher_new (key, &error);
  g_assert_no_error (error);

  fixture->dir = g_dir_make_tmp ("picky-report-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (fixture->dir, "picky-console.db", NULL);
  picky_store_open_async (path, fixture->cipher, NULL, picky_test_got_result_cb, &result);
  fixture->store = picky_store_open_finish (picky_test_wait_result (&result), &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (apps); i++)
    {
      g_clear_object (&result);
      picky_store_add_channel_async (fixture->store, apps[i], "bot", apps[i], "{}", NULL, picky_test_got_result_cb, &result);
      fixture->channels[i] = picky_store_add_channel_finish (fixture->store, picky_test_wait_result (&result), &error);
      g_assert_no_error (error);
    }

  fixture->sent = g_array_new (FALSE, TRUE, sizeof (Sent));
  g_array_set_clear_func (fixture->sent, sent_clear);
  fixture->now = g_get_real_time () / G_USEC_PER_SEC;
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  picky_store_close (fixture->store);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (fixture->store);
  g_assert_finalize_object (fixture->cipher);
  g_array_unref (fixture->sent);
  g_clear_pointer (&fixture->hours.sums, g_array_unref);
  picky_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

/* Ingests @n messages from @start on, at random gaps averaging @gap
 * seconds, in time order. Odd contacts write to both numbers of their app
 * now and then. */
static void
generate (Fixture *fixture,
          guint    n,
          gint64   start,
          gint64   gap,
          guint32  seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t = start;

  for (guint i = 0; i < n; i++)
    {
      PickyMessage *message = picky_message_new ();
      Sent sent = { 0 };
      g_autofree char *key = g_strdup_printf ("m%u-%u", seed, i);
      g_autofree char *provider_id = NULL;

      /* Bursts and quiet spells, so that some replies take seconds and
       * some take days. */
      t += g_rand_int_range (rand, 0, 100) < 80 ? g_rand_int_range (rand, 1, gap)
                                                : g_rand_int_range (rand, gap, gap * 20);
      sent.contact = g_rand_int_range (rand, 0, 100) < 30 ? 0 : g_rand_int_range (rand, 0, N_CONTACTS);
      sent.channel = sent.contact % 2 == 1 && g_rand_int_range (rand, 0, 100) < 20 ? 2 : sent.contact % 2;
      sent.in = g_rand_int_range (rand, 0, 100) < 55;
      sent.timestamp = t;
      sent.text = g_strdup_printf (i % 7 == 0 ? "Zeile %u,\n\"zitiert\" 📦" : "message %u", i);

      provider_id = g_strdup_printf ("c%u", sent.contact);
      picky_message_set_channel_id (message, fixture->channels[sent.channel]);
      picky_message_set_provider_key (message, key);
      picky_message_set_contact_provider_id (message, provider_id);
      picky_message_set_contact_name (message, contact_names[sent.contact]);
      picky_message_set_direction (message, sent.in ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT);
      picky_message_set_text (message, sent.text);
      picky_message_set_timestamp (message, t);
      picky_message_set_received (message, t);
      g_ptr_array_add (batch, message);
      g_array_append_val (fixture->sent, sent);
    }

  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error), ==, n);
  g_assert_no_error (error);

  for (guint i = 0; i < batch->len; i++)
    {
      Sent *sent = &g_array_index (fixture->sent, Sent, fixture->sent->len - n + i);

      fixture->contact_ids[sent->contact] = picky_message_get_contact_id (g_ptr_array_index (batch, i));
    }
}

/* Marks every other conversation Done, now, between two batches: the
 * waits open then end without a reply, and the customer's next message
 * starts a new one. */
static void
mark_done (Fixture *fixture,
           guint32  seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  PickyConversationQuery query = { .filter = PICKY_CONVERSATION_FILTER_ALL, .limit = 100 };
  guint marked = 0;

  picky_store_list_conversations_async (fixture->store, &query, NULL, picky_test_got_result_cb, &result);
  conversations = picky_store_list_conversations_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (conversations->len, >, 4);

  for (guint i = 0; i < conversations->len; i++)
    {
      PickyConversation *conversation = g_ptr_array_index (conversations, i);
      Sent sent = { .done = TRUE, .timestamp = fixture->now };

      if (g_rand_boolean (rand))
        continue;
      while (fixture->contact_ids[sent.contact] != picky_conversation_get_contact_id (conversation))
        sent.contact++;
      while (fixture->channels[sent.channel] != picky_conversation_get_channel_id (conversation))
        sent.channel++;

      g_clear_object (&result);
      picky_store_set_conversation_done_async (fixture->store, picky_conversation_get_id (conversation), TRUE,
                                               NULL, picky_test_got_result_cb, &result);
      g_assert_true (picky_store_set_conversation_done_finish (fixture->store, picky_test_wait_result (&result),
                                                               &error));
      g_assert_no_error (error);
      g_array_append_val (fixture->sent, sent);
      marked++;
    }
  g_assert_cmpuint (marked, >, 0);
}

/* The brute force's working minutes under @hours, from two days before
 * @first to two days after @last: each minute by its wall-clock time. */
static void
brute_hours_set (Fixture            *fixture,
                 PickyBusinessHours *hours,
                 gint64              first,
                 gint64              last)
{
  GTimeZone *tz;
  guint days, start, end;
  gint64 sum = 0;

  g_clear_pointer (&fixture->hours.sums, g_array_unref);
  fixture->hours.on = hours != NULL;
  if (hours == NULL)
    return;

  tz = picky_business_hours_get_timezone (hours);
  days = picky_business_hours_get_days (hours);
  start = picky_business_hours_get_start (hours);
  end = picky_business_hours_get_end (hours);
  fixture->hours.base = (first / 60 - 2 * 1440) * 60;
  fixture->hours.sums = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (gint64 minute = fixture->hours.base; minute <= last + 2 * 86400; minute += 60)
    {
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (minute);
      g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);
      guint weekday = g_date_time_get_day_of_week (local) - 1;    /* Monday 0 */
      guint yesterday = (weekday + 6) % 7;
      guint of_day = g_date_time_get_hour (local) * 60 + g_date_time_get_minute (local);
      gboolean working;

      if (end > start)
        working = (days & (1u << weekday)) && of_day >= start && of_day < end;
      else
        working = ((days & (1u << weekday)) && of_day >= start) ||
                  ((days & (1u << yesterday)) && of_day < end);

      g_array_append_val (fixture->hours.sums, sum);
      sum += working ? 1 : 0;
    }
  g_array_append_val (fixture->hours.sums, sum);
}

/* Working seconds in [@a, @b), or every second without business hours. */
static gint64
brute_seconds (Fixture *fixture,
               gint64   a,
               gint64   b)
{
  gint64 total = 0;

  if (b <= a)
    return 0;
  if (!fixture->hours.on)
    return b - a;

  /* Whole minutes by the sums; the parts of the first and last minute by
   * their own minute's state. */
  for (gint64 t = a; t < b;)
    {
      gint64 index = (t - fixture->hours.base) / 60;
      gint64 minute_end = fixture->hours.base + (index + 1) * 60;
      gint64 whole;

      g_assert_cmpint (index, >=, 0);
      g_assert_cmpint (index + 1, <, fixture->hours.sums->len);
      if (t == minute_end - 60 && b >= minute_end)
        {
          whole = MIN ((b - t) / 60, (gint64) fixture->hours.sums->len - 1 - index);
          total += 60 * (g_array_index (fixture->hours.sums, gint64, index + whole) -
                         g_array_index (fixture->hours.sums, gint64, index));
          t += whole * 60;
        }
      else
        {
          gint64 until = MIN (b, minute_end);

          if (g_array_index (fixture->hours.sums, gint64, index + 1) > g_array_index (fixture->hours.sums, gint64, index))
            total += until - t;
          t = until;
        }
    }

  return total;
}

/* Every wait and every reply time of the generated history, by the
 * definitions and nothing else: per conversation, a customer message
 * starts a wait unless one is open, our reply ends it with a first
 * response and gives each customer message of the wait its reply time, a
 * done mark ends it with neither. */
typedef struct {
  guint    contact;
  gint64   start;
  gint64   end;        /* -1 while open */
  gboolean answered;
} Wait;

typedef struct {
  guint  contact;
  gint64 written;
  gint64 replied;
} Reply;

static void
brute_waits (Fixture *fixture,
             GArray  *waits,
             GArray  *replies)
{
  gint64 open[N_CONTACTS][N_CHANNELS];
  GArray *pending[N_CONTACTS][N_CHANNELS];

  for (guint c = 0; c < N_CONTACTS; c++)
    for (guint ch = 0; ch < N_CHANNELS; ch++)
      {
        open[c][ch] = -1;
        pending[c][ch] = g_array_new (FALSE, FALSE, sizeof (gint64));
      }

  for (guint i = 0; i < fixture->sent->len; i++)
    {
      const Sent *sent = &g_array_index (fixture->sent, Sent, i);
      GArray *waiting = pending[sent->contact][sent->channel];
      gint64 *wait = &open[sent->contact][sent->channel];

      if (sent->in && !sent->done)
        {
          if (*wait < 0)
            *wait = sent->timestamp;
          g_array_append_val (waiting, sent->timestamp);
          continue;
        }
      if (*wait < 0)
        continue;

      g_array_append_vals (waits, &(Wait) { sent->contact, *wait, sent->timestamp, !sent->done }, 1);
      for (guint p = 0; p < waiting->len && !sent->done; p++)
        g_array_append_vals (replies, &(Reply) { sent->contact, g_array_index (waiting, gint64, p),
                                                 sent->timestamp }, 1);
      g_array_set_size (waiting, 0);
      *wait = -1;
    }

  for (guint c = 0; c < N_CONTACTS; c++)
    for (guint ch = 0; ch < N_CHANNELS; ch++)
      {
        if (open[c][ch] >= 0)
          g_array_append_vals (waits, &(Wait) { c, open[c][ch], -1, FALSE }, 1);
        g_array_unref (pending[c][ch]);
      }
}

static PickyReport *
load_report (Fixture     *fixture,
             gint64       contact_id,
             GTimeZone   *tz,
             const GDate *first,
             const GDate *last)
{
  g_autoptr(PickyReport) report = picky_report_new (contact_id, tz, first, last);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_report_load_async (report, fixture->store, NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_report_load_finish (report, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);

  return g_steal_pointer (&report);
}

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* The exact nearest-rank percentile of @times. */
static gint64
exact_percentile (GArray *times,
                  double  fraction)
{
  guint rank;

  if (times->len == 0)
    return -1;
  g_array_sort (times, compare_int64);
  rank = (guint) ceil (fraction * times->len);
  rank = CLAMP (rank, 1, times->len);
  return g_array_index (times, gint64, rank - 1);
}

static void
assert_within_10_percent (gint64 approximate,
                          gint64 exact)
{
  if (exact <= 0)
    g_assert_cmpint (approximate, ==, exact);
  else
    g_assert_cmpfloat (fabs ((double) (approximate - exact)) / exact, <=, 0.10);
}

/* What the brute force makes of the waits of @contact (N_CONTACTS: all)
 * over [@from, @to): first-response times of the waits that started in
 * it, reply times of the messages written in it, and the waits open at
 * its end, or now. */
typedef struct {
  GArray *responses;
  GArray *replies;
  guint   awaiting;
  gint64  oldest;
} BruteTimes;

static void
brute_times (Fixture    *fixture,
             GArray     *waits,
             GArray     *replies,
             guint       contact,
             gint64      from,
             gint64      to,
             BruteTimes *out)
{
  gint64 at = MIN (to, fixture->now);
  gint64 oldest_start = G_MAXINT64;

  out->responses = g_array_new (FALSE, FALSE, sizeof (gint64));
  out->replies = g_array_new (FALSE, FALSE, sizeof (gint64));
  out->awaiting = 0;
  out->oldest = -1;

  for (guint i = 0; i < waits->len; i++)
    {
      const Wait *wait = &g_array_index (waits, Wait, i);

      if (contact < N_CONTACTS && wait->contact != contact)
        continue;
      if (wait->answered && wait->start >= from && wait->start < to)
        {
          gint64 secs = brute_seconds (fixture, wait->start, wait->end);

          g_array_append_val (out->responses, secs);
        }
      if (wait->start < at && (wait->end < 0 || wait->end >= at))
        {
          out->awaiting++;
          oldest_start = MIN (oldest_start, wait->start);
        }
    }
  if (out->awaiting > 0)
    out->oldest = brute_seconds (fixture, oldest_start, at);

  for (guint i = 0; i < replies->len; i++)
    {
      const Reply *reply = &g_array_index (replies, Reply, i);

      if ((contact == N_CONTACTS || reply->contact == contact) && reply->written >= from && reply->written < to)
        {
          gint64 secs = brute_seconds (fixture, reply->written, reply->replied);

          g_array_append_val (out->replies, secs);
        }
    }
}

static void
brute_times_clear (BruteTimes *times)
{
  g_clear_pointer (&times->responses, g_array_unref);
  g_clear_pointer (&times->replies, g_array_unref);
}

/* Recomputes everything a report shows from the generated messages, with
 * GDateTime doing the time-zone arithmetic, and compares. */
static void
check_against_brute_force (Fixture     *fixture,
                           guint        contact,     /* N_CONTACTS: all */
                           GTimeZone   *tz,
                           const GDate *first,
                           const GDate *last)
{
  gint64 contact_id = contact < N_CONTACTS ? fixture->contact_ids[contact] : 0;
  g_autoptr(PickyReport) report = load_report (fixture, contact_id, tz, first, last);
  guint n_days = g_date_days_between (first, last) + 1;
  g_autofree guint *day_in = g_new0 (guint, n_days);
  g_autofree guint *day_out = g_new0 (guint, n_days);
  guint heat[7][24] = { { 0 } };
  guint app_in[2] = { 0 }, app_out[2] = { 0 };
  guint volume[N_CONTACTS] = { 0 };
  g_autoptr(GArray) waits = g_array_new (FALSE, FALSE, sizeof (Wait));
  g_autoptr(GArray) replies = g_array_new (FALSE, FALSE, sizeof (Reply));
  BruteTimes times;
  gint64 first_ts = 0, last_ts = 0, first_ever = 0, last_ever = 0;
  guint total_in = 0, total_out = 0;
  int busiest = -1;
  guint most = 0;

  for (guint i = 0; i < fixture->sent->len; i++)
    {
      const Sent *sent = &g_array_index (fixture->sent, Sent, i);
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (sent->timestamp);
      g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);
      GDate date;
      int index;

      if (sent->done || (contact < N_CONTACTS && sent->contact != contact))
        continue;

      if (first_ever == 0)
        first_ever = sent->timestamp;
      last_ever = sent->timestamp;

      g_date_clear (&date, 1);
      g_date_set_dmy (&date, g_date_time_get_day_of_month (local), g_date_time_get_month (local),
                      g_date_time_get_year (local));
      index = g_date_days_between (first, &date);
      if (index < 0 || index >= (int) n_days)
        continue;

      if (sent->in)
        {
          day_in[index]++;
          total_in++;
          app_in[sent->contact % 2]++;
        }
      else
        {
          day_out[index]++;
          total_out++;
          app_out[sent->contact % 2]++;
        }
      volume[sent->contact]++;
      heat[g_date_time_get_day_of_week (local) - 1][g_date_time_get_hour (local)]++;
      if (first_ts == 0)
        first_ts = sent->timestamp;
      last_ts = sent->timestamp;
    }

  for (guint d = 0; d < n_days; d++)
    {
      guint n_in, n_out;

      picky_report_get_day (report, d, &n_in, &n_out);
      g_assert_cmpuint (n_in, ==, day_in[d]);
      g_assert_cmpuint (n_out, ==, day_out[d]);
      if (day_in[d] + day_out[d] > most)
        {
          most = day_in[d] + day_out[d];
          busiest = d;
        }
    }
  g_assert_cmpuint (picky_report_get_n_days (report), ==, n_days);
  g_assert_cmpuint (picky_report_get_total_in (report), ==, total_in);
  g_assert_cmpuint (picky_report_get_total_out (report), ==, total_out);
  g_assert_cmpint (picky_report_get_first_timestamp (report), ==, first_ts);
  g_assert_cmpint (picky_report_get_last_timestamp (report), ==, last_ts);
  g_assert_cmpint (picky_report_get_first_ever (report), ==, first_ever);
  g_assert_cmpint (picky_report_get_last_ever (report), ==, last_ever);
  g_assert_cmpint (picky_report_get_busiest_day (report, NULL), ==, busiest);

  for (guint d = 0; d < 7; d++)
    for (guint h = 0; h < 24; h++)
      g_assert_cmpuint (picky_report_get_heat (report, d, h), ==, heat[d][h]);

  for (guint a = 0; a < picky_report_get_n_apps (report); a++)
    {
      guint n_in, n_out;
      const char *app = picky_report_get_app_totals (report, a, &n_in, &n_out);
      guint which = g_str_equal (app, "telegram") ? 0 : 1;

      g_assert_cmpuint (n_in, ==, app_in[which]);
      g_assert_cmpuint (n_out, ==, app_out[which]);
    }

  brute_waits (fixture, waits, replies);
  brute_times (fixture, waits, replies, contact, picky_report_get_from (report), picky_report_get_to (report),
               &times);
  g_assert_cmpint (picky_report_get_working_hours (report), ==, fixture->hours.on);
  g_assert_cmpuint (picky_report_get_response_count (report), ==, times.responses->len);
  assert_within_10_percent (picky_report_get_response_median (report), exact_percentile (times.responses, 0.5));
  assert_within_10_percent (picky_report_get_response_p90 (report), exact_percentile (times.responses, 0.9));
  g_assert_cmpuint (picky_report_get_reply_count (report), ==, times.replies->len);
  assert_within_10_percent (picky_report_get_reply_median (report), exact_percentile (times.replies, 0.5));
  assert_within_10_percent (picky_report_get_reply_p90 (report), exact_percentile (times.replies, 0.9));
  g_assert_cmpuint (picky_report_get_awaiting (report), ==, times.awaiting);
  g_assert_cmpint (picky_report_get_oldest_wait (report), ==, times.oldest);
  brute_times_clear (&times);

  if (contact == N_CONTACTS && total_in + total_out > 0)
    {
      const PickyContactSummary *top = picky_report_get_top (report, PICKY_REPORT_TOP_VOLUME, 0);
      GArray *summaries = picky_report_get_summaries (report);
      guint best = 0;

      for (guint c = 1; c < N_CONTACTS; c++)
        if (volume[c] > volume[best] ||
            (volume[c] == volume[best] && fixture->contact_ids[c] < fixture->contact_ids[best]))
          best = c;
      g_assert_cmpint (top->contact_id, ==, fixture->contact_ids[best]);
      g_assert_cmpuint (top->n_in + top->n_out, ==, volume[best]);
      g_assert_cmpstr (top->name, ==, contact_names[best]);

      /* The contacts list's times come another way, per contact. */
      for (guint i = 0; i < summaries->len; i++)
        {
          const PickyContactSummary *summary = &g_array_index (summaries, PickyContactSummary, i);
          guint c = 0;

          while (c < N_CONTACTS && fixture->contact_ids[c] != summary->contact_id)
            c++;
          g_assert_cmpuint (c, <, N_CONTACTS);
          brute_times (fixture, waits, replies, c, picky_report_get_from (report), picky_report_get_to (report),
                       &times);
          assert_within_10_percent (summary->response_median, exact_percentile (times.responses, 0.5));
          assert_within_10_percent (summary->response_p90, exact_percentile (times.responses, 0.9));
          assert_within_10_percent (summary->reply_median, exact_percentile (times.replies, 0.5));
          assert_within_10_percent (summary->reply_p90, exact_percentile (times.replies, 0.9));
          g_assert_cmpuint (summary->awaiting, ==, times.awaiting);
          g_assert_cmpint (summary->oldest_wait, ==, times.oldest);
          brute_times_clear (&times);
        }
    }
}

static void
check_random_ranges (Fixture    *fixture,
                     const char *zone,
                     guint       year,
                     guint       month,
                     guint       day,
                     guint       span,
                     guint32     seed)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (zone);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  GDate start;

  g_assert_nonnull (tz);
  g_date_clear (&start, 1);
  g_date_set_dmy (&start, day, month, year);

  for (guint i = 0; i < 40; i++)
    {
      GDate first = start, last;
      guint contact = g_rand_int_range (rand, 0, N_CONTACTS + 1);

      g_date_add_days (&first, g_rand_int_range (rand, 0, span - 1));
      last = first;
      g_date_add_days (&last, g_rand_int_range (rand, 0, span / 2));
      check_against_brute_force (fixture, contact, tz, &first, &last);
    }

  /* The whole span, for every contact and for all. */
  {
    GDate last = start;

    g_date_add_days (&last, span);
    for (guint c = 0; c <= N_CONTACTS; c++)
      check_against_brute_force (fixture, c, tz, &start, &last);
  }
}

/* Berlin moves to summer time on 2026-03-29 (that day has 23 hours) and
 * back on 2026-10-25 (25 hours). */
static void
test_report_berlin (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) spring = g_date_time_new (tz, 2026, 3, 20, 0, 0, 0);
  g_autoptr(GDateTime) autumn = g_date_time_new (tz, 2026, 10, 18, 0, 0, 0);

  generate (fixture, 1500, g_date_time_to_unix (spring), 900, 1);
  mark_done (fixture, 31);
  generate (fixture, 1500, g_date_time_to_unix (autumn), 900, 2);
  check_random_ranges (fixture, "Europe/Berlin", 2026, 3, 20, 18, 3);
  check_random_ranges (fixture, "Europe/Berlin", 2026, 10, 18, 18, 4);
  /* The same messages counted in UTC days too. */
  check_random_ranges (fixture, "UTC", 2026, 3, 20, 18, 5);
}

/* São Paulo started summer time at midnight on 2018-11-04, so that day
 * begins at 01:00, and ended it on 2019-02-17. */
static void
test_report_sao_paulo (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("America/Sao_Paulo");
  g_autoptr(GDateTime) spring = g_date_time_new (tz, 2018, 10, 28, 0, 0, 0);
  g_autoptr(GDateTime) autumn = g_date_time_new (tz, 2019, 2, 10, 0, 0, 0);
  g_autoptr(GDateTime) skipped = g_date_time_new (tz, 2018, 11, 4, 0, 30, 0);
  GDate day;

  g_date_clear (&day, 1);
  g_date_set_dmy (&day, 4, 11, 2018);
  /* The day of the change starts at the first time that exists: 01:00 local, 03:00 UTC. */
  g_assert_cmpint (picky_report_local_midnight (tz, &day), ==, 1541300400);
  g_assert_nonnull (skipped);

  generate (fixture, 1500, g_date_time_to_unix (spring), 900, 6);
  generate (fixture, 1500, g_date_time_to_unix (autumn), 900, 7);
  check_random_ranges (fixture, "America/Sao_Paulo", 2018, 10, 28, 16, 8);
  check_random_ranges (fixture, "America/Sao_Paulo", 2019, 2, 10, 16, 9);
}

static void
set_business_hours (Fixture            *fixture,
                    PickyBusinessHours *hours,
                    gboolean            expect_recount)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  picky_store_set_business_hours_async (fixture->store, hours, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpint (picky_store_set_business_hours_finish (fixture->store, picky_test_wait_result (&result), &error),
                   ==, expect_recount);
  g_assert_no_error (error);
}

/* Business hours across midnight and across both changes of the clocks:
 * a night shift every day (Saturday night holds the spring change) beside
 * weekdays 09:00–17:30. Set before the messages come, the ingest counts
 * working time; set afterwards, every time is counted again; both must
 * give what the wall clock, minute by minute, says. */
static void
test_report_business_hours (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) spring = g_date_time_new (tz, 2026, 3, 20, 0, 0, 0);
  g_autoptr(GDateTime) autumn = g_date_time_new (tz, 2026, 10, 18, 0, 0, 0);
  g_autoptr(GDateTime) end = g_date_time_new (tz, 2026, 11, 20, 0, 0, 0);
  g_autoptr(PickyBusinessHours) night = picky_business_hours_new (PICKY_WEEKDAYS_ALL, 20 * 60, 4 * 60, tz);
  g_autoptr(PickyBusinessHours) office = picky_business_hours_new (0x1f, 9 * 60, 17 * 60 + 30, tz);
  g_autoptr(GTimeZone) sao_paulo = g_time_zone_new_identifier ("America/Sao_Paulo");
  g_autoptr(PickyBusinessHours) late = picky_business_hours_new (0x3f, 22 * 60, 6 * 60, sao_paulo);

  /* Two contacts a transaction: the recounts below take several. */
  picky_store_recount_chunk = 2;
  set_business_hours (fixture, night, TRUE);
  set_business_hours (fixture, night, FALSE);
  brute_hours_set (fixture, night, g_date_time_to_unix (spring), g_date_time_to_unix (end));
  generate (fixture, 1500, g_date_time_to_unix (spring), 900, 21);
  mark_done (fixture, 32);
  generate (fixture, 1500, g_date_time_to_unix (autumn), 900, 22);
  check_random_ranges (fixture, "Europe/Berlin", 2026, 3, 20, 18, 23);
  check_random_ranges (fixture, "Europe/Berlin", 2026, 10, 18, 18, 24);

  set_business_hours (fixture, office, TRUE);
  brute_hours_set (fixture, office, g_date_time_to_unix (spring), g_date_time_to_unix (end));
  check_random_ranges (fixture, "Europe/Berlin", 2026, 3, 20, 18, 25);

  /* A night shift in another zone, its days skipping Sunday. */
  set_business_hours (fixture, late, TRUE);
  brute_hours_set (fixture, late, g_date_time_to_unix (spring), g_date_time_to_unix (end));
  check_random_ranges (fixture, "America/Sao_Paulo", 2026, 10, 18, 18, 26);

  /* And back to every second. */
  set_business_hours (fixture, NULL, TRUE);
  brute_hours_set (fixture, NULL, 0, 0);
  check_random_ranges (fixture, "Europe/Berlin", 2026, 10, 18, 18, 27);
  picky_store_recount_chunk = 100;
}

static void
on_recounted_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GArray *order = user_data;
  g_autoptr(GError) error = NULL;
  int answer = picky_store_set_business_hours_finish (PICKY_STORE (object), result, &error) ? 1 : 0;

  g_assert_no_error (error);
  g_array_append_val (order, answer);
}

static void
on_summarized_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GArray *order = user_data;
  g_autoptr(GArray) summaries = picky_store_summarize_contacts_finish (PICKY_STORE (object), result, NULL);
  int answer = 2;

  g_assert_nonnull (summaries);
  g_array_append_val (order, answer);
}

/* Switching business hours counts the stored waits a chunk of contacts at
 * a time: the contacts list asked for meanwhile comes before the recount
 * ends, and hours switched again while one runs supersede it. */
static void
test_report_business_hours_chunks (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) spring = g_date_time_new (tz, 2026, 3, 20, 0, 0, 0);
  g_autoptr(GDateTime) end = g_date_time_new (tz, 2026, 5, 20, 0, 0, 0);
  g_autoptr(PickyBusinessHours) office = picky_business_hours_new (0x1f, 9 * 60, 17 * 60 + 30, tz);
  g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (int));

  picky_store_recount_chunk = 1;
  generate (fixture, 1500, g_date_time_to_unix (spring), 900, 51);

  picky_store_set_business_hours_async (fixture->store, office, NULL, on_recounted_cb, order);
  picky_store_summarize_contacts_async (fixture->store, g_date_time_to_unix (spring), g_date_time_to_unix (end),
                                        NULL, on_summarized_cb, order);
  while (order->len < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (g_array_index (order, int, 0), ==, 2);
  g_assert_cmpint (g_array_index (order, int, 1), ==, 1);
  brute_hours_set (fixture, office, g_date_time_to_unix (spring), g_date_time_to_unix (end));
  check_random_ranges (fixture, "Europe/Berlin", 2026, 3, 20, 18, 52);

  /* Office hours off and on again before the first recount is done: the
   * last word counts, the one it superseded says it did not. */
  g_array_set_size (order, 0);
  picky_store_set_business_hours_async (fixture->store, NULL, NULL, on_recounted_cb, order);
  picky_store_set_business_hours_async (fixture->store, office, NULL, on_recounted_cb, order);
  while (order->len < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (g_array_index (order, int, 0), ==, 0);
  g_assert_cmpint (g_array_index (order, int, 1), ==, 1);
  check_random_ranges (fixture, "Europe/Berlin", 2026, 3, 20, 18, 53);
  set_business_hours (fixture, office, FALSE);
  picky_store_recount_chunk = 100;
}

/* The case: a customer wrote in October and was not answered; in
 * December she wrote again and had her reply three minutes later, then a
 * second one. December shows a reply time of 3 minutes and no
 * first-response time (her wait began in October, and is October's). */
static void
test_report_example (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  const struct { int month, day, hour, minute; gboolean in; } history[] = {
    { 10, 8, 9, 12, TRUE }, { 10, 9, 17, 40, TRUE },
    { 12, 1, 10, 0, TRUE }, { 12, 1, 10, 3, FALSE }, { 12, 2, 8, 30, FALSE },
  };
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyReport) december = NULL;
  g_autoptr(PickyReport) october = NULL;
  gint64 times[G_N_ELEMENTS (history)];
  gint64 contact_id;
  GDate first, last;

  for (guint i = 0; i < G_N_ELEMENTS (history); i++)
    {
      g_autoptr(GDateTime) time = g_date_time_new (tz, 2025, history[i].month, history[i].day,
                                                   history[i].hour, history[i].minute, 0);
      g_autofree char *key = g_strdup_printf ("ex%u", i);
      PickyMessage *message = picky_message_new ();

      picky_message_set_channel_id (message, fixture->channels[1]);
      picky_message_set_provider_key (message, key);
      picky_message_set_contact_provider_id (message, "4915112345678");
      picky_message_set_contact_name (message, "Maria");
      picky_message_set_direction (message, history[i].in ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT);
      picky_message_set_text (message, "…");
      times[i] = g_date_time_to_unix (time);
      picky_message_set_timestamp (message, times[i]);
      picky_message_set_received (message, times[i]);
      g_ptr_array_add (batch, message);
    }
  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error), ==, 5);
  g_assert_no_error (error);
  contact_id = picky_message_get_contact_id (batch->pdata[0]);

  picky_report_parse_date ("2025-11-05", &first, NULL);
  picky_report_parse_date ("2025-12-04", &last, NULL);
  december = load_report (fixture, contact_id, tz, &first, &last);
  g_assert_cmpuint (picky_report_get_total_in (december), ==, 1);
  g_assert_cmpuint (picky_report_get_total_out (december), ==, 2);
  g_assert_cmpuint (picky_report_get_reply_count (december), ==, 1);
  assert_within_10_percent (picky_report_get_reply_median (december), 180);
  g_assert_cmpuint (picky_report_get_response_count (december), ==, 0);
  g_assert_cmpint (picky_report_get_response_median (december), ==, -1);
  g_assert_cmpuint (picky_report_get_awaiting (december), ==, 0);
  /* Beside the range's own first and last message, her first ever. */
  g_assert_cmpint (picky_report_get_first_timestamp (december), ==, times[2]);
  g_assert_cmpint (picky_report_get_first_ever (december), ==, times[0]);
  g_assert_cmpint (picky_report_get_last_ever (december), ==, times[4]);

  picky_report_parse_date ("2025-10-01", &first, NULL);
  picky_report_parse_date ("2025-10-31", &last, NULL);
  october = load_report (fixture, contact_id, tz, &first, &last);
  g_assert_cmpuint (picky_report_get_response_count (october), ==, 1);
  g_assert_cmpint (picky_report_get_response_median (october), >, 50 * 86400);
  /* Both October messages waited into December: open at October's end. */
  g_assert_cmpuint (picky_report_get_awaiting (october), ==, 1);
  g_assert_cmpint (picky_report_get_oldest_wait (october), >, 20 * 86400);
}

/* Records how the send of reply @id went. */
static void
update_outgoing (Fixture            *fixture,
                 gint64              id,
                 PickyMessageStatus  status)
{
  g_autoptr(PickyMessage) stored =
    picky_test_update_outgoing (fixture->store, id, status,
                                status == PICKY_MESSAGE_STATUS_FAILED ? "No connection" : NULL);
}

/* A customer wrote two hours ago; our reply, written an hour later, failed
 * and was retried: until it went out the customer counts as waiting and no
 * first response is counted; once sent, the wait ended then, two hours
 * after it began (not at the hour the reply was written). */
static void
test_report_failed_reply (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_utc ();
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyReport) report = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) before = g_date_time_add_days (now, -2);
  g_autoptr(GDateTime) after = g_date_time_add_days (now, 1);
  gint64 start = fixture->now - 7200;
  gint64 contact_id, reply_id, sent_at;
  GDate first, last;

  for (guint i = 0; i < 2; i++)
    {
      PickyMessage *message = picky_message_new ();

      picky_message_set_channel_id (message, fixture->channels[0]);
      picky_message_set_provider_key (message, i == 0 ? "question" : "answer");
      picky_message_set_contact_provider_id (message, "ana");
      picky_message_set_contact_name (message, contact_names[0]);
      picky_message_set_direction (message, i == 0 ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT);
      picky_message_set_text (message, i == 0 ? "Where is my parcel?" : "It left today");
      picky_message_set_timestamp (message, start + i * 3600);
      picky_message_set_received (message, start + i * 3600);
      if (i == 1)
        picky_message_set_status (message, PICKY_MESSAGE_STATUS_QUEUED);
      g_ptr_array_add (batch, message);
    }
  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error), ==, 2);
  g_assert_no_error (error);
  contact_id = picky_message_get_contact_id (batch->pdata[0]);
  reply_id = picky_message_get_id (batch->pdata[1]);
  g_date_clear (&first, 1);
  g_date_clear (&last, 1);
  g_date_set_dmy (&first, g_date_time_get_day_of_month (before), g_date_time_get_month (before),
                  g_date_time_get_year (before));
  g_date_set_dmy (&last, g_date_time_get_day_of_month (after), g_date_time_get_month (after),
                  g_date_time_get_year (after));

  for (guint step = 0; step < 3; step++)
    {
      update_outgoing (fixture, reply_id, step == 1 ? PICKY_MESSAGE_STATUS_QUEUED : PICKY_MESSAGE_STATUS_FAILED);
      g_clear_object (&report);
      report = load_report (fixture, contact_id, tz, &first, &last);
      g_assert_cmpuint (picky_report_get_total_out (report), ==, 1);
      g_assert_cmpuint (picky_report_get_awaiting (report), ==, 1);
      g_assert_cmpint (picky_report_get_oldest_wait (report), >=, 7200);
      g_assert_cmpuint (picky_report_get_response_count (report), ==, 0);
      g_assert_cmpuint (picky_report_get_reply_count (report), ==, 0);
    }

  update_outgoing (fixture, reply_id, PICKY_MESSAGE_STATUS_SENT);
  /* A report counts a wait that ends in the second it looks at as still
   * open then; look once that second is over. */
  sent_at = g_get_real_time () / G_USEC_PER_SEC;
  while (g_get_real_time () / G_USEC_PER_SEC <= sent_at)
    g_usleep (G_USEC_PER_SEC / 20);
  g_clear_object (&report);
  report = load_report (fixture, contact_id, tz, &first, &last);
  g_assert_cmpuint (picky_report_get_awaiting (report), ==, 0);
  g_assert_cmpuint (picky_report_get_response_count (report), ==, 1);
  assert_within_10_percent (picky_report_get_response_median (report), 7200);
  g_assert_cmpuint (picky_report_get_reply_count (report), ==, 1);
  assert_within_10_percent (picky_report_get_reply_median (report), 7200);
}

static void
test_report_dates (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) now = g_date_time_new (tz, 2026, 3, 10, 15, 0, 0);
  const char *bad[] = { "2026-02-30", "2026-3-01", "20260301", "2026-03-01x", "yesterday", "", "1969-12-31" };
  GDate first, last;
  g_autofree char *duration = NULL;

  g_assert_true (picky_report_parse_date ("2026-03-29", &first, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_date_get_day (&first), ==, 29);
  g_assert_cmpuint (g_date_get_month (&first), ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (picky_report_parse_date (bad[i], &first, &error));
      g_assert_error (error, PICKY_REPORT_ERROR, PICKY_REPORT_ERROR_BAD_DATE);
      g_clear_error (&error);
    }

  g_assert_true (picky_report_resolve_range ("last-month", now, &first, &last, NULL));
  g_assert_cmpuint (g_date_get_day (&first), ==, 1);
  g_assert_cmpuint (g_date_get_month (&first), ==, 2);
  g_assert_cmpuint (g_date_get_day (&last), ==, 28);
  g_assert_true (picky_report_resolve_range ("7d", now, &first, &last, NULL));
  g_assert_cmpuint (g_date_get_day (&first), ==, 4);
  g_assert_cmpuint (g_date_get_day (&last), ==, 10);
  g_assert_true (picky_report_resolve_range ("this-month", now, &first, &last, NULL));
  g_assert_cmpuint (g_date_get_day (&first), ==, 1);
  g_assert_false (picky_report_resolve_range ("fortnight", now, &first, &last, &error));
  g_assert_error (error, PICKY_REPORT_ERROR, PICKY_REPORT_ERROR_BAD_RANGE);

  duration = picky_report_format_duration (3725);
  g_assert_cmpstr (duration, ==, "1 h 2 min");
}

/* ---- Exports ---- */

static gboolean
export (PickyReport        *report,
        PickyStore         *store,
        PickyReportFormat   format,
        const char         *path,
        GCancellable       *cancellable,
        GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  picky_report_export_async (report, store, format, path, NULL, NULL, NULL, cancellable,
                             picky_test_got_result_cb, &result);
  return picky_report_export_finish (report, picky_test_wait_result (&result), error);
}

/* Reads @path with Python's csv module, a standard reader, into rows. */
static JsonArray *
read_csv (const char *path)
{
  const char *argv[] = {
    "/usr/bin/python3", "-c",
    "import csv, json, sys\n"
    "with open(sys.argv[1], newline='', encoding='utf-8') as f:\n"
    "    print(json.dumps(list(csv.reader(f, strict=True))))\n",
    path, NULL,
  };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);

  return json_array_ref (json_node_get_array (json_parser_get_root (parser)));
}

static const char *
cell (JsonArray *rows,
      guint      row,
      guint      column)
{
  return json_array_get_string_element (json_array_get_array_element (rows, row), column);
}

static void
test_report_csv_messages (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) start = g_date_time_new (tz, 2026, 3, 25, 0, 0, 0);
  g_autofree char *path = g_build_filename (fixture->dir, "messages.csv", NULL);
  g_autoptr(PickyReport) report = NULL;
  g_autoptr(JsonArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  GDate first, last;

  generate (fixture, 1500, g_date_time_to_unix (start), 300, 11);
  picky_report_parse_date ("2026-03-27", &first, NULL);
  picky_report_parse_date ("2026-03-30", &last, NULL);
  report = load_report (fixture, fixture->contact_ids[3], tz, &first, &last);

  g_assert_true (export (report, fixture->store, PICKY_REPORT_FORMAT_CSV_MESSAGES, path, NULL, &error));
  g_assert_no_error (error);

  /* Newest first, every message of the contact in the range. */
  for (guint i = fixture->sent->len; i-- > 0;)
    {
      Sent *sent = &g_array_index (fixture->sent, Sent, i);

      if (sent->contact == 3 && sent->timestamp >= picky_report_get_from (report) &&
          sent->timestamp < picky_report_get_to (report))
        g_ptr_array_add (expected, sent);
    }
  g_assert_cmpuint (expected->len, >, 10);

  rows = read_csv (path);
  g_assert_cmpuint (json_array_get_length (rows), ==, expected->len + 1);
  g_assert_cmpstr (cell (rows, 0, 0), ==, "message_id");
  g_assert_cmpstr (cell (rows, 0, 8), ==, "text");
  for (guint i = 0; i < expected->len; i++)
    {
      Sent *sent = g_ptr_array_index (expected, i);
      g_autoptr(GDateTime) time = g_date_time_new_from_iso8601 (cell (rows, i + 1, 1), NULL);
      g_autofree char *contact_id = g_strdup_printf ("%" G_GINT64_FORMAT, fixture->contact_ids[3]);

      g_assert_nonnull (time);
      g_assert_cmpint (g_date_time_to_unix (time), ==, sent->timestamp);
      g_assert_cmpstr (cell (rows, i + 1, 2), ==, contact_id);
      g_assert_cmpstr (cell (rows, i + 1, 3), ==, contact_names[3]);
      g_assert_cmpstr (cell (rows, i + 1, 4), ==, "whatsapp");
      g_assert_cmpstr (cell (rows, i + 1, 5), ==, sent->in ? "in" : "out");
      g_assert_cmpstr (cell (rows, i + 1, 8), ==, sent->text);
    }
}

/* A number of seconds, or an empty cell for none (-1). */
static void
assert_cell_seconds (JsonArray *rows,
                     guint      row,
                     guint      column,
                     gint64     expected)
{
  g_autofree char *text = expected >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, expected) : g_strdup ("");

  g_assert_cmpstr (cell (rows, row, column), ==, text);
}

static void
test_report_csv_summary (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("America/Sao_Paulo");
  g_autoptr(GDateTime) start = g_date_time_new (tz, 2018, 11, 1, 0, 0, 0);
  g_autofree char *path = g_build_filename (fixture->dir, "contacts.csv", NULL);
  g_autoptr(PickyReport) report = NULL;
  g_autoptr(JsonArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  GDate first, last;
  guint seen = 0;

  generate (fixture, 800, g_date_time_to_unix (start), 600, 12);
  picky_report_parse_date ("2018-11-02", &first, NULL);
  picky_report_parse_date ("2018-11-05", &last, NULL);
  report = load_report (fixture, 0, tz, &first, &last);

  g_assert_true (export (report, NULL, PICKY_REPORT_FORMAT_CSV_SUMMARY, path, NULL, &error));
  g_assert_no_error (error);

  rows = read_csv (path);
  g_assert_cmpstr (cell (rows, 0, 4), ==, "messages_in");
  g_assert_cmpstr (cell (rows, 0, 8), ==, "median_first_response_s");
  g_assert_cmpstr (cell (rows, 0, 9), ==, "p90_first_response_s");
  g_assert_cmpstr (cell (rows, 0, 10), ==, "median_reply_s");
  g_assert_cmpstr (cell (rows, 0, 11), ==, "p90_reply_s");
  g_assert_cmpstr (cell (rows, 0, 12), ==, "awaiting_reply");
  g_assert_cmpstr (cell (rows, 0, 13), ==, "oldest_wait_s");
  for (guint r = 1; r < json_array_get_length (rows); r++)
    for (guint c = 0; c < N_CONTACTS; c++)
      {
        g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, fixture->contact_ids[c]);
        g_autoptr(PickyReport) one = NULL;
        g_autofree char *n_in = NULL;
        g_autofree char *n_out = NULL;

        if (g_strcmp0 (cell (rows, r, 0), id) != 0)
          continue;
        one = load_report (fixture, fixture->contact_ids[c], tz, &first, &last);
        n_in = g_strdup_printf ("%u", picky_report_get_total_in (one));
        n_out = g_strdup_printf ("%u", picky_report_get_total_out (one));
        g_assert_cmpstr (cell (rows, r, 2), ==, contact_names[c]);
        g_assert_cmpstr (cell (rows, r, 4), ==, n_in);
        g_assert_cmpstr (cell (rows, r, 5), ==, n_out);
        assert_cell_seconds (rows, r, 8, picky_report_get_response_median (one));
        assert_cell_seconds (rows, r, 9, picky_report_get_response_p90 (one));
        assert_cell_seconds (rows, r, 10, picky_report_get_reply_median (one));
        assert_cell_seconds (rows, r, 11, picky_report_get_reply_p90 (one));
        assert_cell_seconds (rows, r, 12, picky_report_get_awaiting (one));
        assert_cell_seconds (rows, r, 13, picky_report_get_oldest_wait (one));
        g_assert_cmpstr (cell (rows, r, 14), ==, "false");
        seen++;
      }
  g_assert_cmpuint (seen, ==, json_array_get_length (rows) - 1);
  g_assert_cmpuint (seen, ==, N_CONTACTS);
}

static char *
run_tool (const char *tool,
          const char *arg1,
          const char *arg2)
{
  const char *argv[] = { tool, arg1, arg2, NULL };
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  return out;
}

static void
test_report_pdf (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) start = g_date_time_new (tz, 2026, 3, 25, 0, 0, 0);
  g_autofree char *path = g_build_filename (fixture->dir, "report.pdf", NULL);
  g_autoptr(PickyReport) report = NULL;
  g_autoptr(PickyReport) overall = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *info = NULL;
  g_autofree char *text = NULL;
  const char *pages;
  g_autofree char *in = NULL;
  g_autofree char *out = NULL;
  GDate first, last;

  generate (fixture, 500, g_date_time_to_unix (start), 1200, 13);
  picky_report_parse_date ("2026-03-25", &first, NULL);
  picky_report_parse_date ("2026-04-05", &last, NULL);
  report = load_report (fixture, fixture->contact_ids[1], tz, &first, &last);
  g_assert_cmpuint (picky_report_get_total_in (report), >, 0);

  g_assert_true (export (report, NULL, PICKY_REPORT_FORMAT_PDF, path, NULL, &error));
  g_assert_no_error (error);

  info = run_tool ("pdfinfo", path, NULL);
  pages = strstr (info, "Pages:");
  g_assert_nonnull (pages);
  g_assert_cmpint (g_ascii_strtoll (pages + strlen ("Pages:"), NULL, 10), ==, 2);
  g_assert_nonnull (strstr (info, "Jörg Müller"));

  text = run_tool ("pdftotext", path, "-");
  in = g_strdup_printf ("%u", picky_report_get_total_in (report));
  out = g_strdup_printf ("%u", picky_report_get_total_out (report));
  g_assert_nonnull (strstr (text, "Jörg Müller"));
  g_assert_nonnull (strstr (text, "Messages in"));
  g_assert_nonnull (strstr (text, in));
  g_assert_nonnull (strstr (text, out));
  /* The range as the window writes dates, not ISO 8601 as the CSV does. */
  g_assert_nonnull (strstr (text, "03/25/26 – 04/05/26"));
  g_assert_nonnull (strstr (text, "Page 2 of 2"));

  /* The overall report lists its top contacts on the second page. */
  overall = load_report (fixture, 0, tz, &first, &last);
  g_assert_true (export (overall, NULL, PICKY_REPORT_FORMAT_PDF, path, NULL, &error));
  g_free (text);
  text = run_tool ("pdftotext", path, "-");
  g_assert_nonnull (strstr (text, "All Contacts"));
  g_assert_nonnull (strstr (text, "Most Messages"));
  g_assert_nonnull (strstr (text, picky_report_get_top (overall, PICKY_REPORT_TOP_VOLUME, 0)->name));
}

/* Ingests @n messages of one contact, every other one ours, an hour apart
 * from @start on. */
static gint64
ingest_contact (Fixture    *fixture,
                const char *name,
                const char *text,
                guint       n,
                gint64      start)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      PickyMessage *message = picky_message_new ();
      g_autofree char *key = g_strdup_printf ("%s-%u", name, i);

      picky_message_set_channel_id (message, fixture->channels[0]);
      picky_message_set_provider_key (message, key);
      picky_message_set_contact_provider_id (message, name);
      picky_message_set_contact_name (message, name);
      picky_message_set_direction (message, i % 2 == 0 ? PICKY_DIRECTION_IN : PICKY_DIRECTION_OUT);
      picky_message_set_text (message, text);
      picky_message_set_timestamp (message, start + i * 3600);
      picky_message_set_received (message, start + i * 3600);
      g_ptr_array_add (batch, message);
    }
  picky_store_ingest_async (fixture->store, batch, NULL, picky_test_got_result_cb, &result);
  g_assert_cmpuint (picky_store_ingest_finish (fixture->store, picky_test_wait_result (&result), &error), ==, n);
  g_assert_no_error (error);

  return picky_message_get_contact_id (batch->pdata[0]);
}

/* Every font of @path is embedded; returns pdffonts' listing. */
static char *
assert_fonts_embedded (const char *path)
{
  char *fonts = run_tool ("pdffonts", path, NULL);
  g_auto(GStrv) lines = g_strsplit (fonts, "\n", -1);
  guint n_fonts = 0;

  g_test_message ("%s", fonts);
  /* name type encoding emb sub uni object ID; the first two lines are the header */
  for (guint i = 2; lines[i] != NULL; i++)
    {
      g_auto(GStrv) columns = NULL;
      const char *words[16];
      guint n = 0;

      if (lines[i][0] == '\0')
        continue;
      columns = g_strsplit_set (lines[i], " ", -1);
      for (guint c = 0; columns[c] != NULL && n < G_N_ELEMENTS (words); c++)
        if (columns[c][0] != '\0')
          words[n++] = columns[c];
      g_assert_cmpuint (n, >=, 7);
      /* emb sub uni ID gen: "emb" is the fifth word from the end */
      g_assert_cmpstr (words[n - 5], ==, "yes");
      n_fonts++;
    }
  g_assert_cmpuint (n_fonts, >, 0);

  return fonts;
}

/* @text without white space and the directional marks pdftotext puts
 * around runs of text written right to left, nor those of isolates: it
 * spaces out the letters of an Arabic word where their glyphs join. */
static char *
squeeze (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
          (c >= 0x2066 && c <= 0x2069))
        continue;
      g_string_append_unichar (out, c);
    }

  return g_string_free (out, FALSE);
}

/* Reports in Arabic and about contacts named in Arabic and Hindi: the PDF
 * embeds fonts with the glyphs of both scripts, and their text comes back
 * through pdftotext, in the order it is read. */
static void
test_report_pdf_scripts (Fixture       *fixture,
                         gconstpointer  data)
{
  static const char arabic_name[] = "محمد العلي";
  static const char hindi_name[] = "प्रिया शर्मा";
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) start = g_date_time_new (tz, 2026, 3, 25, 9, 0, 0);
  g_autofree char *path = g_build_filename (fixture->dir, "report-ar.pdf", NULL);
  g_autofree char *hindi_path = g_build_filename (fixture->dir, "report-hi.pdf", NULL);
  g_autoptr(PickyReport) overall = NULL;
  g_autoptr(PickyReport) hindi = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fonts = NULL;
  g_autofree char *hindi_fonts = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *text = NULL;
  g_autofree char *name = NULL;
  g_autofree char *hindi_text = NULL;
  gint64 hindi_id;
  GDate first, last;

  ingest_contact (fixture, arabic_name, "مرحبا، هل طلبي في الطريق؟", 12, g_date_time_to_unix (start));
  hindi_id = ingest_contact (fixture, hindi_name, "नमस्ते, मेरा ऑर्डर कहाँ है?", 8, g_date_time_to_unix (start) + 1800);
  picky_report_parse_date ("2026-03-25", &first, NULL);
  picky_report_parse_date ("2026-04-05", &last, NULL);

  /* The overall report in Arabic, its top contacts in both scripts. */
  g_setenv ("LANGUAGE", "ar", TRUE);
  picky_languages_bind_textdomain ();
  overall = load_report (fixture, 0, tz, &first, &last);
  g_assert_true (export (overall, NULL, PICKY_REPORT_FORMAT_PDF, path, NULL, &error));
  g_assert_no_error (error);
  /* A report in English about the contact named in Hindi. */
  g_unsetenv ("LANGUAGE");
  picky_languages_bind_textdomain ();
  hindi = load_report (fixture, hindi_id, tz, &first, &last);
  g_assert_true (export (hindi, NULL, PICKY_REPORT_FORMAT_PDF, hindi_path, NULL, &error));
  g_assert_no_error (error);

  /* DejaVu has Arabic letters; only Noto has Devanagari. */
  fonts = assert_fonts_embedded (path);
  g_assert_nonnull (strstr (fonts, "Devanagari"));
  hindi_fonts = assert_fonts_embedded (hindi_path);
  g_assert_nonnull (strstr (hindi_fonts, "Devanagari"));

  raw = run_tool ("pdftotext", path, "-");
  g_test_message ("%s", raw);
  text = squeeze (raw);
  name = squeeze (arabic_name);
  g_assert_nonnull (strstr (text, name));
  g_free (name);
  name = squeeze (hindi_name);
  g_assert_nonnull (strstr (text, name));
  /* "Page 2 of 2" as the Arabic catalogue says it, in the order it is read. */
  g_assert_nonnull (strstr (text, "الصفحة2من2"));
  hindi_text = run_tool ("pdftotext", hindi_path, "-");
  g_assert_nonnull (strstr (hindi_text, hindi_name));
  g_assert_nonnull (strstr (hindi_text, "Messages in"));
}

static void
cancel_on_progress_cb (double   fraction,
                       gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

/* A cancelled export leaves no file, and keeps an earlier file of the
 * same name as it was. */
static void
test_report_cancel (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_utc ();
  g_autofree char *path = g_build_filename (fixture->dir, "all.csv", NULL);
  g_autofree char *kept = g_build_filename (fixture->dir, "kept.csv", NULL);
  g_autoptr(PickyReport) report = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  GDate first, last;

  generate (fixture, 30000, 1700000000, 60, 14);
  picky_report_parse_date ("2023-11-01", &first, NULL);
  picky_report_parse_date ("2023-12-31", &last, NULL);
  report = load_report (fixture, 0, tz, &first, &last);

  /* Cancelled as soon as it reports any progress: well before the end. */
  picky_report_export_async (report, fixture->store, PICKY_REPORT_FORMAT_CSV_MESSAGES, path,
                             cancel_on_progress_cb, g_object_ref (cancellable), g_object_unref,
                             cancellable, picky_test_got_result_cb, &result);
  g_assert_false (picky_report_export_finish (report, picky_test_wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  g_clear_object (&result);

  g_file_set_contents (kept, "earlier\r\n", -1, NULL);
  g_cancellable_cancel (cancellable);
  g_assert_false (export (report, fixture->store, PICKY_REPORT_FORMAT_PDF, kept, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_file_get_contents (kept, &contents, NULL, NULL);
  g_assert_cmpstr (contents, ==, "earlier\r\n");

  /* No hidden temporary file is left either. */
  dir = g_dir_open (fixture->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_prefix (name, "."));

  /* A folder that does not exist fails with a message, and no file. */
  g_clear_error (&error);
  g_free (path);
  path = g_build_filename (fixture->dir, "missing", "all.csv", NULL);
  g_assert_false (export (report, NULL, PICKY_REPORT_FORMAT_CSV_SUMMARY, path, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

/* Erasing a contact removes their hours too: their report is empty and
 * the overall report no longer counts them. */
static void
test_report_erase (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_utc ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyReport) before = NULL;
  g_autoptr(PickyReport) gone = NULL;
  g_autoptr(PickyReport) after = NULL;
  g_autoptr(PickyReport) victim = NULL;
  GArray *summaries;
  GDate first, last;

  generate (fixture, 1000, 1700000000, 600, 15);
  picky_report_parse_date ("2023-11-01", &first, NULL);
  picky_report_parse_date ("2023-12-31", &last, NULL);
  before = load_report (fixture, 0, tz, &first, &last);
  victim = load_report (fixture, fixture->contact_ids[2], tz, &first, &last);
  g_assert_cmpuint (picky_report_get_total_in (victim), >, 0);

  picky_store_erase_contact_async (fixture->store, fixture->contact_ids[2], NULL, picky_test_got_result_cb, &result);
  g_assert_true (picky_store_erase_contact_finish (fixture->store, picky_test_wait_result (&result), &error));
  g_assert_no_error (error);

  gone = load_report (fixture, fixture->contact_ids[2], tz, &first, &last);
  g_assert_cmpuint (picky_report_get_total_in (gone) + picky_report_get_total_out (gone), ==, 0);
  g_assert_cmpuint (picky_report_get_response_count (gone), ==, 0);
  g_assert_cmpuint (picky_report_get_reply_count (gone), ==, 0);
  g_assert_cmpuint (picky_report_get_awaiting (gone), ==, 0);
  after = load_report (fixture, 0, tz, &first, &last);
  g_assert_cmpuint (picky_report_get_total_in (after), ==,
                    picky_report_get_total_in (before) - picky_report_get_total_in (victim));
  g_assert_cmpuint (picky_report_get_response_count (after), ==,
                    picky_report_get_response_count (before) - picky_report_get_response_count (victim));
  g_assert_cmpuint (picky_report_get_reply_count (after), ==,
                    picky_report_get_reply_count (before) - picky_report_get_reply_count (victim));
  g_assert_cmpuint (picky_report_get_awaiting (after), ==,
                    picky_report_get_awaiting (before) - picky_report_get_awaiting (victim));
  summaries = picky_report_get_summaries (after);
  g_assert_cmpuint (summaries->len, ==, N_CONTACTS - 1);
  for (guint i = 0; i < summaries->len; i++)
    g_assert_cmpint (g_array_index (summaries, PickyContactSummary, i).contact_id, !=, fixture->contact_ids[2]);
}

/* The contacts list over the hours [from, to) of @first … @last in @tz
 * against brute force: each contact's messages in and out, first and last
 * message, counted from what was sent and is still stored; the median
 * first response against the contact's own hourly report. */
static void
check_contacts_list (Fixture     *fixture,
                     GTimeZone   *tz,
                     const GDate *first,
                     const GDate *last)
{
  GDate after = *last;
  gint64 from, to, a, b;
  g_autoptr(GArray) summaries = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint n_in[N_CONTACTS] = { 0 }, n_out[N_CONTACTS] = { 0 };
  gint64 first_ts[N_CONTACTS] = { 0 }, last_ts[N_CONTACTS] = { 0 };
  gboolean listed[N_CONTACTS] = { FALSE };

  g_date_add_days (&after, 1);
  from = picky_report_local_midnight (tz, first);
  to = picky_report_local_midnight (tz, &after);
  /* The list counts whole hours, as the rollups hold them. */
  a = picky_store_floor_hour (from);
  b = picky_store_floor_hour (to - 1) + 1;

  for (guint i = 0; i < fixture->sent->len; i++)
    {
      const Sent *sent = &g_array_index (fixture->sent, Sent, i);
      gint64 hour = picky_store_floor_hour (sent->timestamp);

      if (sent->done || hour < a || hour >= b)
        continue;
      if (sent->in)
        n_in[sent->contact]++;
      else
        n_out[sent->contact]++;
      if (first_ts[sent->contact] == 0 || sent->timestamp < first_ts[sent->contact])
        first_ts[sent->contact] = sent->timestamp;
      last_ts[sent->contact] = MAX (last_ts[sent->contact], sent->timestamp);
    }

  picky_store_summarize_contacts_async (fixture->store, from, to, NULL, picky_test_got_result_cb, &result);
  summaries = picky_store_summarize_contacts_finish (fixture->store, picky_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  for (guint i = 0; i < summaries->len; i++)
    {
      const PickyContactSummary *summary = &g_array_index (summaries, PickyContactSummary, i);
      g_autoptr(PickyReportHours) hours = NULL;
      guint c = 0;

      while (c < N_CONTACTS && fixture->contact_ids[c] != summary->contact_id)
        c++;
      g_assert_cmpuint (c, <, N_CONTACTS);
      listed[c] = TRUE;
      g_assert_cmpuint (summary->n_in, ==, n_in[c]);
      g_assert_cmpuint (summary->n_out, ==, n_out[c]);
      g_assert_cmpint (summary->first_timestamp, ==, first_ts[c]);
      g_assert_cmpint (summary->last_timestamp, ==, last_ts[c]);

      picky_store_report_hours_async (fixture->store, summary->contact_id, from, to, NULL,
                                      picky_test_got_result_cb, &result);
      hours = picky_store_report_hours_finish (fixture->store, picky_test_wait_result (&result), &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      g_assert_cmpint (summary->response_median, ==, picky_store_fine_percentile (hours->responses, 0.5));
      g_assert_cmpint (summary->response_p90, ==, picky_store_fine_percentile (hours->responses, 0.9));
    }

  /* Nobody with messages in the range is missing, and every contact
   * still stored is listed, with or without messages in the range. */
  for (guint c = 0; c < N_CONTACTS; c++)
    {
      g_assert_true (listed[c] || n_in[c] + n_out[c] == 0);
      g_assert_true (listed[c] || fixture->contact_ids[c] == 0);
    }
}

/* Drops the sent messages that @keep says no to. */
static void
forget_sent (Fixture  *fixture,
             gboolean (*keep) (const Sent *sent, gint64 value),
             gint64    value)
{
  for (guint i = fixture->sent->len; i-- > 0;)
    if (!keep (&g_array_index (fixture->sent, Sent, i), value))
      g_array_remove_index (fixture->sent, i);
}

static gboolean
sent_since (const Sent *sent,
            gint64      cutoff)
{
  return sent->timestamp >= cutoff;
}

static gboolean
sent_not_by (const Sent *sent,
             gint64      contact)
{
  return sent->contact != (guint) contact;
}

/* The month and year rollups the contacts list reads, against brute force
 * over ranges of a day to three years in zones a whole and a half hour
 * off UTC, after ingests in and out of time order, purges and erasures. */
static void
test_report_contacts_rollup (Fixture       *fixture,
                             gconstpointer  data)
{
  static const char *zones[] = { "Europe/Berlin", "Asia/Kolkata", "America/Sao_Paulo", "UTC" };
  const char *env = g_getenv ("PICKY_TEST_SEED");
  guint32 seed = env != NULL ? (guint32) g_ascii_strtoull (env, NULL, 10) : g_random_int ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  gint64 today = picky_store_floor_day (fixture->now);

  g_test_message ("seed %u (set PICKY_TEST_SEED=%u to repeat)", seed, seed);

  /* Three years up to now, then older messages arriving late. */
  generate (fixture, 1200, (today - 1100) * 86400, 30000, seed);
  for (guint step = 0; step < 6; step++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      for (guint i = 0; i < 12; i++)
        {
          g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (zones[g_rand_int_range (rand, 0, G_N_ELEMENTS (zones))]);
          static const guint lengths[] = { 3, 45, 400, 1200 };
          GDate first, last;

          g_date_clear (&first, 1);
          g_date_set_julian (&first, 719163 + today - g_rand_int_range (rand, 0, 1150));
          last = first;
          g_date_add_days (&last, g_rand_int_range (rand, 0, lengths[g_rand_int_range (rand, 0, 4)]));
          check_contacts_list (fixture, tz, &first, &last);
        }

      switch (step % 3)
        {
        case 0:
          generate (fixture, 150, (today - g_rand_int_range (rand, 30, 1000)) * 86400, 20000, seed + 1 + step);
          break;
        case 1:
          {
            guint days = g_rand_int_range (rand, 300, 1000);

            picky_store_purge_async (fixture->store, days, NULL, picky_test_got_result_cb, &result);
            picky_store_purge_finish (fixture->store, picky_test_wait_result (&result), &error);
            g_assert_no_error (error);
            forget_sent (fixture, sent_since, (today - days) * 86400);
            /* A contact with no message left goes with them; one erased
             * and written again by old messages that arrived late can go
             * so entirely. */
            for (guint c = 0; c < N_CONTACTS; c++)
              {
                gboolean left = FALSE;

                for (guint i = 0; i < fixture->sent->len && !left; i++)
                  left = g_array_index (fixture->sent, Sent, i).contact == c;
                if (!left)
                  fixture->contact_ids[c] = 0;
              }
          }
          break;
        default:
          {
            guint c = g_rand_int_range (rand, 1, N_CONTACTS);

            if (fixture->contact_ids[c] == 0)
              break;
            picky_store_erase_contact_async (fixture->store, fixture->contact_ids[c], NULL,
                                             picky_test_got_result_cb, &result);
            g_assert_true (picky_store_erase_contact_finish (fixture->store, picky_test_wait_result (&result),
                                                             &error));
            g_assert_no_error (error);
            forget_sent (fixture, sent_not_by, c);
            fixture->contact_ids[c] = 0;
          }
          break;
        }
    }
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/picky/report/dates", test_report_dates);
  ADD ("/picky/report/brute-force/berlin", test_report_berlin);
  ADD ("/picky/report/brute-force/sao-paulo", test_report_sao_paulo);
  ADD ("/picky/report/brute-force/business-hours", test_report_business_hours);
  ADD ("/picky/report/business-hours/chunks", test_report_business_hours_chunks);
  ADD ("/picky/report/example", test_report_example);
  ADD ("/picky/report/failed-reply", test_report_failed_reply);
  ADD ("/picky/report/export/csv-messages", test_report_csv_messages);
  ADD ("/picky/report/export/csv-summary", test_report_csv_summary);
  ADD ("/picky/report/export/pdf", test_report_pdf);
  ADD ("/picky/report/export/pdf-scripts", test_report_pdf_scripts);
  ADD ("/picky/report/export/cancel", test_report_cancel);
  ADD ("/picky/report/erase", test_report_erase);
  ADD ("/picky/report/contacts-rollup/random", test_report_contacts_rollup);

  return g_test_run ();
}
