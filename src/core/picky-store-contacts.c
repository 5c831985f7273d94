/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The store's contacts and reports: the contact cache, the rollups kept at ingest, the reports. */

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "picky-store.h"
#include "picky-store-private.h"

/* ---- Worker thread ---- */

void
picky_store_contact_free (gpointer data)
{
  PickyStoreContact *contact = data;

  g_free (contact->app);
  g_free (contact->provider_id);
  g_free (contact->name);
  g_free (contact->phone);
  g_free (contact->search_folded);
  g_free (contact->search_digits);
  g_free (contact);
}

/* Digits only, with a leading "+" kept: "+49 (30) 1234-5" and "+49301234 5"
 * are one number and must hash alike. */
static char *
normalize_phone (const char *phone)
{
  GString *out = g_string_new (NULL);

  for (const char *p = phone; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        g_string_append_c (out, *p);
      else if (*p == '+' && out->len == 0)
        g_string_append_c (out, '+');
    }

  return g_string_free (out, FALSE);
}

void
picky_store_worker_forget_contacts (PickyStoreWorker *w)
{
  g_hash_table_remove_all (w->contacts_by_id);
  g_hash_table_remove_all (w->contacts_by_key);
  w->contacts_complete = FALSE;
}

/* Reads a row of PICKY_STORE_CONTACT_COLUMNS into the cache. A detail that does not
 * decrypt fails the load when @strict (a write must not go on with a wrong
 * key), and is left out otherwise. */
static PickyStoreContact *
worker_cache_contact (PickyStoreWorker  *w,
                      sqlite3_stmt      *stmt,
                      gboolean           strict,
                      GError           **error)
{
  g_autoptr(GError) local = NULL;
  PickyStoreContact *contact = g_new0 (PickyStoreContact, 1);

  contact->id = sqlite3_column_int64 (stmt, 0);
  contact->app = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  contact->provider_id = picky_store_worker_decrypt (w, stmt, 2, "contacts", "provider_id",
                                                     contact->id, &local);
  if (local == NULL)
    contact->name = picky_store_worker_decrypt (w, stmt, 3, "contacts", "name", contact->id, &local);
  if (local == NULL)
    contact->phone = picky_store_worker_decrypt (w, stmt, 4, "contacts", "phone", contact->id, &local);

  if (local != NULL)
    {
      if (strict)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          picky_store_contact_free (contact);
          return NULL;
        }
      g_debug ("Contact %" G_GINT64_FORMAT ": %s", contact->id, local->message);
    }

  /* One whose id does not decrypt is still listed by its row id; the
   * control character keeps its key apart from every real one. */
  g_hash_table_insert (w->contacts_by_key,
                       contact->provider_id != NULL
                         ? g_strconcat (contact->app, "\x1f", contact->provider_id, NULL)
                         : g_strdup_printf ("%s\x1f\x1e%" G_GINT64_FORMAT, contact->app, contact->id),
                       contact);
  g_hash_table_insert (w->contacts_by_id, &contact->id, contact);
  return contact;
}

PickyStoreContact *
picky_store_worker_get_contact (PickyStoreWorker *w,
                                gint64            id)
{
  sqlite3_stmt *stmt;
  PickyStoreContact *contact = g_hash_table_lookup (w->contacts_by_id, &id);

  if (contact != NULL || id == 0)
    return contact;

  stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_GET_CONTACT);
  sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    contact = worker_cache_contact (w, stmt, FALSE, NULL);
  sqlite3_reset (stmt);

  return contact;
}

/* Reads every contact not in the cache yet into it: what searching by
 * name needs, since names are sealed in the file. */
gboolean
picky_store_worker_cache_all_contacts (PickyStoreWorker  *w,
                                       GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_prepare (w, "SELECT " PICKY_STORE_CONTACT_COLUMNS " FROM contacts",
                                                   error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  while ((rc = picky_store_worker_step (w, stmt, error)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      if (!g_hash_table_contains (w->contacts_by_id, &id))
        worker_cache_contact (w, stmt, FALSE, NULL);
    }
  sqlite3_finalize (stmt);

  return rc != 0;
}

static gboolean
worker_set_contact_detail (PickyStoreWorker   *w,
                           PickyStoreContact  *contact,
                           const char         *column,
                           const char         *value,
                           GError            **error)
{
  g_autoptr(GBytes) sealed = picky_cipher_encrypt (w->cipher, value, "contacts", column, contact->id);
  gboolean is_phone = g_str_equal (column, "phone");
  sqlite3_stmt *stmt = picky_store_worker_stmt (w, is_phone ? PICKY_STORE_STMT_SET_CONTACT_PHONE
                                                            : PICKY_STORE_STMT_SET_CONTACT_NAME);
  g_autofree char *normal = NULL;
  g_autofree char *hash = NULL;

  sqlite3_bind_int64 (stmt, 1, contact->id);
  picky_store_bind_blob (stmt, 2, sealed);
  if (is_phone)
    {
      normal = normalize_phone (value);
      hash = picky_cipher_lookup_hash (w->cipher, "phone", normal);
      sqlite3_bind_text (stmt, 3, hash, -1, SQLITE_STATIC);
    }

  return picky_store_worker_run_done (w, stmt, error);
}

/* Finds or creates the contact a message is from or to, and keeps its name
 * and phone current. Plaintext details only ever exist in memory. */
PickyStoreContact *
picky_store_worker_ensure_contact (PickyStoreWorker  *w,
                                   const char        *app,
                                   PickyMessage      *message,
                                   GError           **error)
{
  const char *provider_id = picky_message_get_contact_provider_id (message);
  const char *name = picky_message_get_contact_name (message);
  const char *phone = picky_message_get_contact_phone (message);
  g_autofree char *key = g_strconcat (app, "\x1f", provider_id, NULL);
  PickyStoreContact *contact = g_hash_table_lookup (w->contacts_by_key, key);
  sqlite3_stmt *stmt;

  g_autofree char *hash = NULL;
  g_autoptr(GBytes) sealed = NULL;

  if (contact == NULL && w->wrong_key)
    {
      g_set_error_literal (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CORRUPT,
                           _("Personal details in the message database cannot be decrypted with this key"));
      return NULL;
    }

  if (contact == NULL)
    {
      int rc;

      hash = picky_store_contact_hash (w->cipher, app, provider_id);
      stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_FIND_CONTACT);
      sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_STATIC);
      rc = picky_store_worker_step (w, stmt, error);
      if (rc == 0)
        return NULL;
      if (rc == SQLITE_ROW)
        contact = worker_cache_contact (w, stmt, TRUE, error);
      sqlite3_reset (stmt);
      if (rc == SQLITE_ROW && contact == NULL)
        return NULL;
    }

  if (contact == NULL)
    {
      gint64 id;

      stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_INSERT_CONTACT);
      sqlite3_bind_text (stmt, 1, app, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, hash, -1, SQLITE_STATIC);
      if (!picky_store_worker_run_done (w, stmt, error))
        return NULL;

      /* Sealed under its row id, which exists only now. */
      id = sqlite3_last_insert_rowid (w->db);
      sealed = picky_cipher_encrypt (w->cipher, provider_id, "contacts", "provider_id", id);
      stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_SET_CONTACT_PROVIDER_ID);
      sqlite3_bind_int64 (stmt, 1, id);
      picky_store_bind_blob (stmt, 2, sealed);
      if (!picky_store_worker_run_done (w, stmt, error))
        return NULL;

      contact = g_new0 (PickyStoreContact, 1);
      contact->id = id;
      contact->app = g_strdup (app);
      contact->provider_id = g_strdup (provider_id);
      g_hash_table_insert (w->contacts_by_key, g_steal_pointer (&key), contact);
      g_hash_table_insert (w->contacts_by_id, &contact->id, contact);
    }

  if (name != NULL && *name != '\0' && g_strcmp0 (name, contact->name) != 0)
    {
      if (!worker_set_contact_detail (w, contact, "name", name, error))
        return NULL;
      g_free (contact->name);
      contact->name = g_strdup (name);
      g_clear_pointer (&contact->search_folded, g_free);
    }

  if (phone != NULL && *phone != '\0' && g_strcmp0 (phone, contact->phone) != 0)
    {
      if (!worker_set_contact_detail (w, contact, "phone", phone, error))
        return NULL;
      g_free (contact->phone);
      contact->phone = g_strdup (phone);
      g_clear_pointer (&contact->search_digits, g_free);
    }

  return contact;
}

/* Counts one message, or with @n_in and @n_out 0 one response time
 * @response, into the day rollups of @day and the hour rollup of @hour. */
static gboolean
worker_add_counts (PickyStoreWorker   *w,
                   const char         *app,
                   PickyStoreContact  *contact,
                   gint64              timestamp,
                   guint               n_in,
                   guint               n_out,
                   gint64              response,
                   GError            **error)
{
  sqlite3_stmt *stmt;

  for (PickyStoreStmt id = PICKY_STORE_STMT_ADD_CONTACT_DAY; id <= PICKY_STORE_STMT_ADD_DAILY; id++)
    {
      if (id == PICKY_STORE_STMT_ADD_CONTACT_DAY && contact == NULL)
        continue;

      stmt = picky_store_worker_stmt (w, id);
      if (id == PICKY_STORE_STMT_ADD_CONTACT_DAY)
        sqlite3_bind_int64 (stmt, 1, contact->id);
      else
        sqlite3_bind_text (stmt, 1, app, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, picky_store_floor_day (timestamp));
      sqlite3_bind_int (stmt, 3, n_in);
      sqlite3_bind_int (stmt, 4, n_out);
      sqlite3_bind_int64 (stmt, 5, timestamp);
      sqlite3_bind_int64 (stmt, 6, MAX (response, 0));
      sqlite3_bind_int (stmt, 7, response >= 0 ? 1 : 0);
      sqlite3_bind_int (stmt, 8, response >= 0 ? (int) picky_store_response_bucket (response) : -1);
      if (!picky_store_worker_run_done (w, stmt, error))
        return FALSE;
    }

  if (contact == NULL)
    return TRUE;

  /* Hours, so that reports can count days in any time zone. */
  stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_ADD_CONTACT_HOUR);
  sqlite3_bind_int64 (stmt, 1, contact->id);
  sqlite3_bind_int64 (stmt, 2, picky_store_floor_hour (timestamp));
  sqlite3_bind_int (stmt, 3, n_in);
  sqlite3_bind_int (stmt, 4, n_out);
  sqlite3_bind_int64 (stmt, 5, timestamp);
  sqlite3_bind_int64 (stmt, 6, MAX (response, 0));
  sqlite3_bind_int (stmt, 7, response >= 0 ? 1 : 0);
  if (!picky_store_worker_run_done (w, stmt, error))
    return FALSE;

  /* The month and year, which the contacts list reads instead of hours. */
  for (int level = PICKY_STORE_SPAN_MONTH; level <= PICKY_STORE_SPAN_YEAR; level++)
    {
      stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_ADD_CONTACT_SPAN);
      sqlite3_bind_int (stmt, 1, level);
      sqlite3_bind_int64 (stmt, 2, picky_store_span_floor (level, picky_store_floor_hour (timestamp)));
      sqlite3_bind_int64 (stmt, 3, contact->id);
      sqlite3_bind_int (stmt, 4, n_in);
      sqlite3_bind_int (stmt, 5, n_out);
      sqlite3_bind_int64 (stmt, 6, timestamp);
      sqlite3_bind_int (stmt, 7, response >= 0 ? (int) picky_store_fine_bucket (response) : -1);
      if (!picky_store_worker_run_done (w, stmt, error))
        return FALSE;
    }

  return TRUE;
}

/* Adds one to the fine bucket of @seconds in @stmt_id's table, for the
 * hour of @timestamp. */
static gboolean
worker_add_time (PickyStoreWorker  *w,
                 PickyStoreStmt     stmt_id,
                 gint64             contact_id,
                 gint64             timestamp,
                 gint64             seconds,
                 GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_stmt (w, stmt_id);

  sqlite3_bind_int64 (stmt, 1, contact_id);
  sqlite3_bind_int64 (stmt, 2, picky_store_floor_hour (timestamp));
  sqlite3_bind_int (stmt, 3, picky_store_fine_bucket (seconds));
  return picky_store_worker_run_done (w, stmt, error);
}

/* Our reply at @timestamp ends the wait @wait_id that began at @started
 * with message @first_id: its first-response time counts in the hour and
 * day the wait began, and each customer message of the wait gets its reply
 * time in the hour it was written. */
static gboolean
worker_answer_wait (PickyStoreWorker   *w,
                    const char         *app,
                    PickyStoreContact  *contact,
                    gint64              channel_id,
                    gint64              wait_id,
                    gint64              first_id,
                    gint64              started,
                    gint64              timestamp,
                    GError            **error)
{
  gint64 response = picky_business_hours_count (w->business_hours, started, timestamp);
  g_autoptr(GArray) written = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;
  int rc;

  stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_END_WAIT);
  sqlite3_bind_int64 (stmt, 1, wait_id);
  sqlite3_bind_int64 (stmt, 2, timestamp);
  sqlite3_bind_int (stmt, 3, 1);
  if (!picky_store_worker_run_done (w, stmt, error) ||
      !worker_add_counts (w, app, contact, started, 0, 0, response, error) ||
      !worker_add_time (w, PICKY_STORE_STMT_ADD_RESPONSE_HOUR, contact->id, started, response, error))
    return FALSE;

  stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_WAIT_MESSAGES);
  sqlite3_bind_int64 (stmt, 1, contact->id);
  sqlite3_bind_int64 (stmt, 2, channel_id);
  sqlite3_bind_int64 (stmt, 3, started);
  sqlite3_bind_int64 (stmt, 4, first_id);
  while ((rc = picky_store_worker_step (w, stmt, error)) == SQLITE_ROW)
    {
      gint64 t = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (written, t);
    }
  sqlite3_reset (stmt);
  if (rc == 0)
    return FALSE;

  for (guint i = 0; i < written->len; i++)
    {
      gint64 t = g_array_index (written, gint64, i);

      if (!worker_add_time (w, PICKY_STORE_STMT_ADD_REPLY_HOUR, contact->id, t,
                            picky_business_hours_count (w->business_hours, t, timestamp), error))
        return FALSE;
    }

  return TRUE;
}

/* The latest wait of a conversation: whether there is one and it is open. */
static gboolean
worker_find_wait (PickyStoreWorker  *w,
                  gint64             contact_id,
                  gint64             channel_id,
                  gint64            *wait_id,
                  gint64            *first_id,
                  gint64            *started,
                  gboolean          *open,
                  GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_LAST_WAIT);
  int rc;

  sqlite3_bind_int64 (stmt, 1, contact_id);
  sqlite3_bind_int64 (stmt, 2, channel_id);
  rc = picky_store_worker_step (w, stmt, error);
  *open = FALSE;
  if (rc == SQLITE_ROW)
    {
      *wait_id = sqlite3_column_int64 (stmt, 0);
      *first_id = sqlite3_column_int64 (stmt, 1);
      *started = sqlite3_column_int64 (stmt, 2);
      *open = sqlite3_column_int (stmt, 3) != 0;
    }
  sqlite3_reset (stmt);

  return rc != 0;
}

gboolean
picky_store_worker_add_rollups (PickyStoreWorker   *w,
                                const char         *app,
                                PickyStoreContact  *contact,
                                PickyMessage       *message,
                                GError            **error)
{
  gint64 timestamp = picky_message_get_timestamp (message);
  gint64 channel_id = picky_message_get_channel_id (message);
  gboolean incoming = picky_message_get_direction (message) == PICKY_DIRECTION_IN;
  gint64 wait_id = 0, first_id = 0, started = 0;
  gboolean open = FALSE;
  sqlite3_stmt *stmt;

  /* A reaction is not a message anyone answers or counts. */
  if (picky_message_get_kind (message) == PICKY_MESSAGE_KIND_REACTION)
    return TRUE;

  if (!worker_add_counts (w, app, contact, timestamp, incoming ? 1 : 0, incoming ? 0 : 1, -1, error))
    return FALSE;

  if (contact == NULL)
    return TRUE;

  if (!worker_find_wait (w, contact->id, channel_id, &wait_id, &first_id, &started, &open, error))
    return FALSE;

  /* A customer message starts a wait unless one is open; our reply ends
   * it. A reply with no wait open (a second reply, a message we started)
   * is no response to anything. */
  if (incoming && !open)
    {
      stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_INSERT_WAIT);
      sqlite3_bind_int64 (stmt, 1, contact->id);
      sqlite3_bind_int64 (stmt, 2, channel_id);
      sqlite3_bind_int64 (stmt, 3, picky_message_get_id (message));
      sqlite3_bind_int64 (stmt, 4, timestamp);
      return picky_store_worker_run_done (w, stmt, error);
    }

  /* A reply that has not gone out (queued, or failed) answers nothing
   * yet: picky_store_worker_reply_sent() ends the wait once it is sent. */
  if (!incoming && open && !picky_message_status_is_pending (picky_message_get_status (message)))
    return worker_answer_wait (w, app, contact, channel_id, wait_id, first_id, started, timestamp, error);

  return TRUE;
}

gboolean
picky_store_worker_answer_wait (PickyStoreWorker   *w,
                                const char         *app,
                                PickyStoreContact  *contact,
                                gint64              channel_id,
                                gint64              time,
                                GError            **error)
{
  gint64 wait_id = 0, first_id = 0, started = 0;
  gboolean open = FALSE;

  if (!worker_find_wait (w, contact->id, channel_id, &wait_id, &first_id, &started, &open, error))
    return FALSE;
  if (!open)
    return TRUE;

  return worker_answer_wait (w, app, contact, channel_id, wait_id, first_id, started, MAX (time, started),
                             error);
}

gboolean
picky_store_worker_end_wait (PickyStoreWorker  *w,
                             gint64             contact_id,
                             gint64             channel_id,
                             gint64             time,
                             GError           **error)
{
  gint64 wait_id = 0, first_id = 0, started = 0;
  gboolean open = FALSE;
  sqlite3_stmt *stmt;

  if (!worker_find_wait (w, contact_id, channel_id, &wait_id, &first_id, &started, &open, error))
    return FALSE;
  if (!open)
    return TRUE;

  stmt = picky_store_worker_stmt (w, PICKY_STORE_STMT_END_WAIT);
  sqlite3_bind_int64 (stmt, 1, wait_id);
  sqlite3_bind_int64 (stmt, 2, MAX (time, started));
  sqlite3_bind_int (stmt, 3, 0);
  return picky_store_worker_run_done (w, stmt, error);
}

gboolean
picky_store_worker_load_business_hours (PickyStoreWorker  *w,
                                        GError           **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_clear_pointer (&w->business_hours, picky_business_hours_unref);
  rc = sqlite3_prepare_v2 (w->db, "SELECT value FROM meta WHERE key = 'business-hours'", -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    w->business_hours = picky_business_hours_new_from_string ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return FALSE;
    }

  return picky_store_schema_set_business_hours (w->db, w->business_hours, error);
}

/* Days of one contact (@contact_id) or of all, of one @app or of all;
 * @from and @to are unix times. */
static void
report_run (PickyStoreWorker *w,
            GTask            *task,
            const char       *sql,
            gint64            contact_id,
            const char       *app,
            gint64            from,
            gint64            to)
{
  g_autoptr(GArray) days = g_array_new (FALSE, TRUE, sizeof (PickyReportDay));
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      picky_store_bind_named_int64 (stmt, ":contact", contact_id);
      picky_store_bind_named_int64 (stmt, ":from", picky_store_floor_day (from));
      picky_store_bind_named_int64 (stmt, ":to", picky_store_floor_day (to - 1));
      if (sqlite3_bind_parameter_index (stmt, ":app") > 0)
        sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":app"), app, -1, SQLITE_STATIC);
    }
  while (picky_store_next_row (stmt, &rc))
    {
      PickyReportDay day = { 0 };

      day.day = sqlite3_column_int64 (stmt, 0);
      day.n_in = sqlite3_column_int64 (stmt, 1);
      day.n_out = sqlite3_column_int64 (stmt, 2);
      day.first_timestamp = sqlite3_column_int64 (stmt, 3);
      day.last_timestamp = sqlite3_column_int64 (stmt, 4);
      day.response_sum = sqlite3_column_int64 (stmt, 5);
      day.response_count = sqlite3_column_int64 (stmt, 6);
      for (guint i = 0; i < PICKY_STORE_RESPONSE_BUCKETS; i++)
        day.response_histogram[i] = sqlite3_column_int64 (stmt, 7 + i);
      g_array_append_val (days, day);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&days), (GDestroyNotify) g_array_unref);
}

typedef struct {
  gint64 contact_id;
  gint64 from;
  gint64 to;
} ReportContactArgs;

static void
report_contact_run (PickyStoreWorker *w,
                    GTask            *task)
{
  ReportContactArgs *args = g_task_get_task_data (task);

  report_run (w, task,
              "SELECT day, n_in, n_out, first_ts, last_ts, resp_sum, resp_count,"
              " h0, h1, h2, h3, h4, h5, h6 FROM contact_days"
              " WHERE contact_id = :contact AND day BETWEEN :from AND :to ORDER BY day",
              args->contact_id, NULL, args->from, args->to);
}

typedef struct {
  char *app;
  gint64 from;
  gint64 to;
} ReportOverallArgs;

static void
report_overall_args_free (gpointer data)
{
  ReportOverallArgs *args = data;

  g_free (args->app);
  g_free (args);
}

static void
report_overall_run (PickyStoreWorker *w,
                    GTask            *task)
{
  ReportOverallArgs *args = g_task_get_task_data (task);

  report_run (w, task,
              args->app != NULL
              ? "SELECT day, n_in, n_out, first_ts, last_ts, resp_sum, resp_count,"
                " h0, h1, h2, h3, h4, h5, h6 FROM daily"
                " WHERE day BETWEEN :from AND :to AND app = :app ORDER BY day"
              : "SELECT day, sum (n_in), sum (n_out), min (first_ts), max (last_ts),"
                " sum (resp_sum), sum (resp_count), sum (h0), sum (h1), sum (h2), sum (h3),"
                " sum (h4), sum (h5), sum (h6) FROM daily"
                " WHERE day BETWEEN :from AND :to GROUP BY day ORDER BY day",
              0, args->app, args->from, args->to);
}

/* Adds the (bucket, count) rows of @sql, over the hours of [@from, @to),
 * into @counts. Returns the SQLite result, SQLITE_DONE when all went well. */
static int
worker_read_buckets (PickyStoreWorker *w,
                     const char       *sql,
                     gint64            contact_id,
                     gint64            from,
                     gint64            to,
                     guint            *counts)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (w->db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      picky_store_bind_named_int64 (stmt, ":contact", contact_id);
      picky_store_bind_named_int64 (stmt, ":from", picky_store_floor_hour (from));
      picky_store_bind_named_int64 (stmt, ":to", picky_store_floor_hour (to - 1));
    }
  while (picky_store_next_row (stmt, &rc))
    {
      gint64 bucket = sqlite3_column_int64 (stmt, 0);

      if (bucket >= 0 && bucket < PICKY_STORE_FINE_BUCKETS)
        counts[bucket] += sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_finalize (stmt);

  return rc;
}

typedef struct {
  gint64 contact_id;
  gint64 from;
  gint64 to;
} ReportHoursArgs;

static int
compare_hour_app (gconstpointer a,
                  gconstpointer b)
{
  return strcmp (((const PickyReportHour *) a)->app, ((const PickyReportHour *) b)->app);
}

/* The hours of one app summed into @hours, with @row's hour of one of its
 * contacts. */
static void
add_to_app_hour (GArray                *hours,
                 const PickyReportHour *row)
{
  PickyReportHour *sum = NULL;

  for (guint i = 0; i < hours->len && sum == NULL; i++)
    if (strcmp (g_array_index (hours, PickyReportHour, i).app, row->app) == 0)
      sum = &g_array_index (hours, PickyReportHour, i);
  if (sum == NULL)
    {
      g_array_append_val (hours, *row);
      return;
    }
  sum->n_in += row->n_in;
  sum->n_out += row->n_out;
  sum->first_timestamp = MIN (sum->first_timestamp, row->first_timestamp);
  sum->last_timestamp = MAX (sum->last_timestamp, row->last_timestamp);
  sum->response_sum += row->response_sum;
  sum->response_count += row->response_count;
}

/* The hours of @app_hours, one per app, after those of @hours in the apps'
 * order, as GROUP BY hour, app would list them. */
static void
flush_app_hours (GArray *hours,
                 GArray *app_hours)
{
  for (guint i = 0; i < app_hours->len; i++)
    g_array_index (app_hours, PickyReportHour, i).app = g_intern_string (g_array_index (app_hours, PickyReportHour, i).app);
  g_array_sort (app_hours, compare_hour_app);
  g_array_append_vals (hours, app_hours->data, app_hours->len);
  g_array_set_size (app_hours, 0);
}

static void
report_hours_run (PickyStoreWorker *w,
                  GTask            *task)
{
  ReportHoursArgs *args = g_task_get_task_data (task);
  g_autoptr(PickyReportHours) hours = g_new0 (PickyReportHours, 1);
  g_autoptr(GArray) app_hours = g_array_new (FALSE, FALSE, sizeof (PickyReportHour));
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  hours->hours = g_array_new (FALSE, TRUE, sizeof (PickyReportHour));

  /* One contact reads its own rows by the primary key. All contacts read
   * the covering index by time and are summed per hour and app here, each
   * contact's app taken from the worker's cache of contacts, read whole
   * once: joining every row to its contact took three seconds for a month
   * at 4.5 M messages (400,000 contact-hours, each a lookup in the
   * contacts' table). */
  if (args->contact_id == 0 && !picky_store_worker_cache_all_contacts (w, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  rc = sqlite3_prepare_v2 (w->db,
                           args->contact_id != 0
                           ? "SELECT hour, contact_id, n_in, n_out, first_ts, last_ts, resp_sum, resp_count"
                             " FROM contact_hours"
                             " WHERE contact_id = :contact AND hour BETWEEN :from AND :to ORDER BY hour"
                           : "SELECT hour, contact_id, n_in, n_out, first_ts, last_ts, resp_sum, resp_count"
                             " FROM contact_hours INDEXED BY contact_hours_time"
                             " WHERE hour BETWEEN :from AND :to ORDER BY hour",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      picky_store_bind_named_int64 (stmt, ":contact", args->contact_id);
      picky_store_bind_named_int64 (stmt, ":from", picky_store_floor_hour (args->from));
      picky_store_bind_named_int64 (stmt, ":to", picky_store_floor_hour (args->to - 1));
    }
  while (picky_store_next_row (stmt, &rc))
    {
      PickyReportHour hour = { 0 };
      PickyStoreContact *contact = picky_store_worker_get_contact (w, sqlite3_column_int64 (stmt, 1));

      hour.hour = sqlite3_column_int64 (stmt, 0);
      hour.contact_id = args->contact_id;
      hour.n_in = sqlite3_column_int64 (stmt, 2);
      hour.n_out = sqlite3_column_int64 (stmt, 3);
      hour.first_timestamp = sqlite3_column_int64 (stmt, 4);
      hour.last_timestamp = sqlite3_column_int64 (stmt, 5);
      hour.response_sum = sqlite3_column_int64 (stmt, 6);
      hour.response_count = sqlite3_column_int64 (stmt, 7);
      if (contact == NULL)
        continue;
      hour.app = contact->app;             /* interned when flushed */
      if (app_hours->len > 0 && g_array_index (app_hours, PickyReportHour, 0).hour != hour.hour)
        flush_app_hours (hours->hours, app_hours);
      add_to_app_hour (app_hours, &hour);
    }
  flush_app_hours (hours->hours, app_hours);
  sqlite3_finalize (stmt);
  stmt = NULL;

  if (rc == SQLITE_DONE)
    rc = worker_read_buckets (w, args->contact_id != 0
                                 ? "SELECT bucket, sum (n) FROM response_hours"
                                   " WHERE contact_id = :contact AND hour BETWEEN :from AND :to GROUP BY bucket"
                                 : "SELECT bucket, sum (n) FROM response_hours"
                                   " WHERE hour BETWEEN :from AND :to GROUP BY bucket",
                              args->contact_id, args->from, args->to, hours->responses);
  if (rc == SQLITE_DONE)
    rc = worker_read_buckets (w, args->contact_id != 0
                                 ? "SELECT bucket, sum (n) FROM reply_hours"
                                   " WHERE contact_id = :contact AND hour BETWEEN :from AND :to GROUP BY bucket"
                                 : "SELECT bucket, sum (n) FROM reply_hours"
                                   " WHERE hour BETWEEN :from AND :to GROUP BY bucket",
                              args->contact_id, args->from, args->to, hours->replies);

  hours->working_hours = w->business_hours != NULL;
  hours->awaiting_at = MIN (args->to, g_get_real_time () / G_USEC_PER_SEC);
  hours->oldest_wait = -1;
  if (rc == SQLITE_DONE)
    rc = sqlite3_prepare_v2 (w->db,
                             args->contact_id != 0
                             ? "SELECT count (*), min (started) FROM waits WHERE contact_id = :contact"
                               " AND started < :at AND (ended IS NULL OR ended >= :at)"
                             : "SELECT count (*), min (started) FROM waits"
                               " WHERE started < :at AND (ended IS NULL OR ended >= :at)",
                             -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      picky_store_bind_named_int64 (stmt, ":contact", args->contact_id);
      picky_store_bind_named_int64 (stmt, ":at", hours->awaiting_at);
    }
  while (picky_store_next_row (stmt, &rc))
    {
      hours->awaiting = sqlite3_column_int64 (stmt, 0);
      if (hours->awaiting > 0)
        hours->oldest_wait = picky_business_hours_count (w->business_hours, sqlite3_column_int64 (stmt, 1),
                                                         hours->awaiting_at);
    }
  sqlite3_finalize (stmt);
  stmt = NULL;

  /* The first and last hours hold the first and last messages: an index
   * seek each, however long the history. */
  if (rc == SQLITE_DONE)
    rc = sqlite3_prepare_v2 (w->db,
                             args->contact_id != 0
                             ? "SELECT (SELECT first_ts FROM contact_hours WHERE contact_id = :contact"
                               "         ORDER BY hour LIMIT 1),"
                               "       (SELECT last_ts FROM contact_hours WHERE contact_id = :contact"
                               "         ORDER BY hour DESC LIMIT 1)"
                             : "SELECT (SELECT min (first_ts) FROM contact_hours"
                               "         WHERE hour = (SELECT min (hour) FROM contact_hours)),"
                               "       (SELECT max (last_ts) FROM contact_hours"
                               "         WHERE hour = (SELECT max (hour) FROM contact_hours))",
                             -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    picky_store_bind_named_int64 (stmt, ":contact", args->contact_id);
  while (picky_store_next_row (stmt, &rc))
    {
      hours->first_ever = sqlite3_column_int64 (stmt, 0);
      hours->last_ever = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&hours), (GDestroyNotify) picky_report_hours_free);
}

static void
contact_summary_clear (gpointer data)
{
  PickyContactSummary *summary = data;

  g_clear_pointer (&summary->name, g_free);
  g_clear_pointer (&summary->phone, g_free);
}

typedef struct {
  gint64 contact_id;
  guint  bucket;
  guint  n;
} BucketCount;

static int
compare_bucket_counts (gconstpointer a,
                       gconstpointer b)
{
  const BucketCount *x = a;
  const BucketCount *y = b;

  return x->contact_id < y->contact_id ? -1 : x->contact_id > y->contact_id;
}

typedef struct {
  gint64 from;
  gint64 to;
  gboolean full;
} SummarizeContactsArgs;

/* The summary of contact @id in @index (summaries by contact id, which
 * are dense): an array look-up on each of millions of rows, where a hash
 * table took a good part of the contacts list's time. */
static inline PickyContactSummary *
summary_for (GPtrArray *index,
             gint64     id)
{
  return id > 0 && id < index->len ? g_ptr_array_index (index, id) : NULL;
}

/* The median and 90th percentile of each contact's times from the
 * (contact_id, bucket, n) rows of @sql, into the summaries of @index: the
 * reply times when @replies, else the first-response times. The rows are
 * far fewer than the hours; sorted by contact here, then each contact's
 * run is added up into one histogram on the stack. Keeping a histogram
 * for every contact instead costs more to allocate and scan than the sort
 * does. */
static int
worker_summarize_times (PickyStoreWorker *w,
                        const char       *sql,
                        gint64            from,
                        gint64            to,
                        GPtrArray        *index,
                        gboolean          replies)
{
  g_autoptr(GArray) buckets = g_array_new (FALSE, FALSE, sizeof (BucketCount));
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (w->db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      picky_store_bind_named_int64 (stmt, ":from", picky_store_floor_hour (from));
      picky_store_bind_named_int64 (stmt, ":to", picky_store_floor_hour (to - 1));
    }
  while (picky_store_next_row (stmt, &rc))
    {
      BucketCount count = {
        .contact_id = sqlite3_column_int64 (stmt, 0),
        .bucket = (guint) CLAMP (sqlite3_column_int64 (stmt, 1), 0, PICKY_STORE_FINE_BUCKETS - 1),
        .n = (guint) sqlite3_column_int64 (stmt, 2),
      };

      g_array_append_val (buckets, count);
    }
  sqlite3_finalize (stmt);

  g_array_sort (buckets, compare_bucket_counts);
  for (guint start = 0, end; start < buckets->len; start = end)
    {
      gint64 id = g_array_index (buckets, BucketCount, start).contact_id;
      PickyContactSummary *summary = summary_for (index, id);
      guint counts[PICKY_STORE_FINE_BUCKETS] = { 0 };

      for (end = start; end < buckets->len; end++)
        {
          const BucketCount *count = &g_array_index (buckets, BucketCount, end);

          if (count->contact_id != id)
            break;
          counts[count->bucket] += count->n;
        }

      if (summary == NULL)
        continue;
      if (replies)
        {
          summary->reply_median = picky_store_fine_percentile (counts, 0.5);
          summary->reply_p90 = picky_store_fine_percentile (counts, 0.9);
        }
      else
        {
          summary->response_median = picky_store_fine_percentile (counts, 0.5);
          summary->response_p90 = picky_store_fine_percentile (counts, 0.9);
        }
    }

  return rc;
}

/* A part of a range of hours: the spans of @level starting in [@from,
 * @to), added (@sign 1) or taken away (-1). */
typedef struct {
  int    level;
  gint64 from;
  gint64 to;
  int    sign;
} SpanPiece;

static void cover_hours (GArray *pieces,
                         int     level,
                         gint64  from,
                         gint64  to,
                         int     sign);

/* [@from, @to) lies within the one span of @level that starts at @start
 * and ends at @end: either its own hours, or the span less the hours
 * around them, whichever reads fewer. */
static void
cover_within (GArray *pieces,
              int     level,
              gint64  start,
              gint64  end,
              gint64  from,
              gint64  to,
              int     sign)
{
  if ((from - start) + (end - to) < to - from)
    {
      g_array_append_vals (pieces, &(SpanPiece) { level, start, end, sign }, 1);
      cover_hours (pieces, level - 1, start, from, -sign);
      cover_hours (pieces, level - 1, to, end, -sign);
    }
  else
    {
      cover_hours (pieces, level - 1, from, to, sign);
    }
}

/* The pieces that make the hours [@from, @to), from spans of @level down:
 * whole spans in the middle, and at each end the hours there or the span
 * there less the hours outside. A year then reads one row per contact,
 * not 8,760. */
static void
cover_hours (GArray *pieces,
             int     level,
             gint64  from,
             gint64  to,
             int     sign)
{
  gint64 first, last;

  if (from >= to)
    return;
  if (level == 0)
    {
      g_array_append_vals (pieces, &(SpanPiece) { 0, from, to, sign }, 1);
      return;
    }

  /* The whole spans are [first, last). */
  first = picky_store_span_floor (level, from) == from ? from : picky_store_span_next (level, from);
  last = picky_store_span_floor (level, to);
  if (first > last)
    {
      cover_within (pieces, level, picky_store_span_floor (level, from), first, from, to, sign);
      return;
    }

  if (first < last)
    g_array_append_vals (pieces, &(SpanPiece) { level, first, last, sign }, 1);
  if (from < first)
    cover_within (pieces, level, picky_store_span_floor (level, from), first, from, first, sign);
  if (last < to)
    cover_within (pieces, level, last, picky_store_span_next (level, last), last, to, sign);
}

/* Where one contact's sums are gathered: signed, as pieces are taken away. */
typedef struct {
  gint64 n_in;
  gint64 n_out;
  gint64 first;
  gint64 last;
  gint32 *responses;   /* PICKY_STORE_FINE_BUCKETS, or NULL for none yet */
} SpanSum;

/* Adds the rows of @sql, (contact_id, n_in, n_out, first_ts, last_ts
 * [, responses]), times @sign into @sums; a piece taken away gives no
 * first or last message, which are only ever bounds, nor does a row with
 * a response time alone. */
static int
worker_add_span_rows (PickyStoreWorker *w,
                      const char       *sql,
                      const SpanPiece  *piece,
                      GPtrArray        *index,
                      PickyContactSummary *base,
                      SpanSum          *sums)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (w->db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      picky_store_bind_named_int64 (stmt, ":level", piece->level);
      picky_store_bind_named_int64 (stmt, ":from", piece->from);
      picky_store_bind_named_int64 (stmt, ":to", piece->to);
    }
  while (picky_store_next_row (stmt, &rc))
    {
      PickyContactSummary *summary = summary_for (index, sqlite3_column_int64 (stmt, 0));
      SpanSum *sum;

      if (summary == NULL)
        continue;
      sum = &sums[summary - base];
      sum->n_in += piece->sign * sqlite3_column_int64 (stmt, 1);
      sum->n_out += piece->sign * sqlite3_column_int64 (stmt, 2);
      if (piece->sign > 0 && sqlite3_column_int64 (stmt, 1) + sqlite3_column_int64 (stmt, 2) > 0)
        {
          gint64 first = sqlite3_column_int64 (stmt, 3);

          if (sum->first == 0 || first < sum->first)
            sum->first = first;
          sum->last = MAX (sum->last, sqlite3_column_int64 (stmt, 4));
        }
      if (piece->level > 0 && sqlite3_column_type (stmt, 5) == SQLITE_BLOB)
        {
          if (sum->responses == NULL)
            sum->responses = g_new0 (gint32, PICKY_STORE_FINE_BUCKETS);
          picky_store_hist_read (sqlite3_column_blob (stmt, 5), sqlite3_column_bytes (stmt, 5), sum->responses,
                                 piece->sign);
        }
    }
  sqlite3_finalize (stmt);

  return rc;
}

/* The time of contact @contact_id's first (or with @last, last) message
 * in the hours [@from, @to), into @timestamp. */
static int
worker_contact_edge (PickyStoreWorker *w,
                     gint64            contact_id,
                     gint64            from,
                     gint64            to,
                     gboolean          last,
                     gint64           *timestamp)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (w->db,
                               last ? "SELECT last_ts FROM contact_hours WHERE contact_id = :contact"
                                      " AND hour >= :from AND hour < :to AND n_in + n_out > 0 ORDER BY hour DESC LIMIT 1"
                                    : "SELECT first_ts FROM contact_hours WHERE contact_id = :contact"
                                      " AND hour >= :from AND hour < :to AND n_in + n_out > 0 ORDER BY hour LIMIT 1",
                               -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      picky_store_bind_named_int64 (stmt, ":contact", contact_id);
      picky_store_bind_named_int64 (stmt, ":from", from);
      picky_store_bind_named_int64 (stmt, ":to", to);
    }
  while (picky_store_next_row (stmt, &rc))
    *timestamp = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);

  return rc;
}

/* The messages in and out, first and last message and first-response
 * percentiles of every contact of @summaries over the hours [@from, @to),
 * from the month and year spans with the hours at the ends
 * (cover_hours()). */
static int
worker_summarize_spans (PickyStoreWorker *w,
                        GArray           *summaries,
                        GPtrArray        *index,
                        gint64            from,
                        gint64            to)
{
  g_autoptr(GArray) pieces = g_array_new (FALSE, FALSE, sizeof (SpanPiece));
  g_autofree SpanSum *sums = g_new0 (SpanSum, MAX (summaries->len, 1));
  PickyContactSummary *base = summaries->len > 0 ? &g_array_index (summaries, PickyContactSummary, 0) : NULL;
  sqlite3_stmt *stmt = NULL;
  int rc = SQLITE_DONE;

  cover_hours (pieces, PICKY_STORE_SPAN_YEAR, from, to, 1);
  for (guint i = 0; i < pieces->len && rc == SQLITE_DONE; i++)
    {
      const SpanPiece *piece = &g_array_index (pieces, SpanPiece, i);

      if (piece->level > 0)
        {
          rc = worker_add_span_rows (w, "SELECT contact_id, n_in, n_out, first_ts, last_ts, responses"
                                        " FROM contact_spans WHERE level = :level"
                                        " AND start >= :from AND start < :to",
                                     piece, index, base, sums);
          continue;
        }

      rc = worker_add_span_rows (w, "SELECT contact_id, n_in, n_out, first_ts, last_ts"
                                    " FROM contact_hours WHERE hour >= :from AND hour < :to",
                                 piece, index, base, sums);
      if (rc == SQLITE_DONE)
        rc = sqlite3_prepare_v2 (w->db, "SELECT contact_id, bucket, n FROM response_hours"
                                        " WHERE hour >= :from AND hour < :to",
                                 -1, &stmt, NULL);
      if (rc == SQLITE_OK)
        {
          picky_store_bind_named_int64 (stmt, ":from", piece->from);
          picky_store_bind_named_int64 (stmt, ":to", piece->to);
        }
      while (picky_store_next_row (stmt, &rc))
        {
          PickyContactSummary *summary = summary_for (index, sqlite3_column_int64 (stmt, 0));
          gint64 bucket = sqlite3_column_int64 (stmt, 1);
          SpanSum *sum;

          if (summary == NULL || bucket < 0 || bucket >= PICKY_STORE_FINE_BUCKETS)
            continue;
          sum = &sums[summary - base];
          if (sum->responses == NULL)
            sum->responses = g_new0 (gint32, PICKY_STORE_FINE_BUCKETS);
          sum->responses[bucket] += piece->sign * (gint32) sqlite3_column_int64 (stmt, 2);
        }
      sqlite3_finalize (stmt);
      stmt = NULL;
    }

  for (guint i = 0; i < summaries->len; i++)
    {
      PickyContactSummary *summary = &g_array_index (summaries, PickyContactSummary, i);
      SpanSum *sum = &sums[i];

      if (rc == SQLITE_DONE && sum->n_in + sum->n_out > 0)
        {
          summary->n_in = (guint) MAX (sum->n_in, 0);
          summary->n_out = (guint) MAX (sum->n_out, 0);
          summary->first_timestamp = sum->first;
          summary->last_timestamp = sum->last;
          /* A bound from a span whose hours outside the range were taken
           * away: the contact's first or last hour inside it, one seek. */
          if (sum->first < from * 3600)
            rc = worker_contact_edge (w, summary->contact_id, from, to, FALSE, &summary->first_timestamp);
          if (rc == SQLITE_DONE && sum->last >= to * 3600)
            rc = worker_contact_edge (w, summary->contact_id, from, to, TRUE, &summary->last_timestamp);
        }
      if (rc == SQLITE_DONE && sum->responses != NULL)
        {
          guint counts[PICKY_STORE_FINE_BUCKETS];

          for (guint b = 0; b < PICKY_STORE_FINE_BUCKETS; b++)
            counts[b] = (guint) CLAMP (sum->responses[b], 0, G_MAXUINT);
          summary->response_median = picky_store_fine_percentile (counts, 0.5);
          summary->response_p90 = picky_store_fine_percentile (counts, 0.9);
        }
      g_free (sum->responses);
    }

  return rc;
}

static void
summarize_contacts_run (PickyStoreWorker *w,
                        GTask            *task)
{
  SummarizeContactsArgs *args = g_task_get_task_data (task);
  g_autoptr(GArray) summaries = g_array_new (FALSE, TRUE, sizeof (PickyContactSummary));
  g_autoptr(GPtrArray) index = g_ptr_array_new ();
  sqlite3_stmt *stmt = NULL;
  gint64 at;
  int rc;

  g_array_set_clear_func (summaries, contact_summary_clear);

  rc = sqlite3_prepare_v2 (w->db, "SELECT id FROM contacts ORDER BY id", -1, &stmt, NULL);
  while (picky_store_next_row (stmt, &rc))
    {
      PickyStoreContact *contact = picky_store_worker_get_contact (w, sqlite3_column_int64 (stmt, 0));
      PickyContactSummary summary = { 0 };

      if (contact == NULL)
        continue;
      summary.contact_id = contact->id;
      summary.app = g_intern_string (contact->app);
      summary.name = g_strdup (contact->name);
      summary.phone = g_strdup (contact->phone);
      summary.response_median = -1;
      summary.response_p90 = -1;
      summary.reply_median = -1;
      summary.reply_p90 = -1;
      summary.oldest_wait = -1;
      g_array_append_val (summaries, summary);
    }
  sqlite3_finalize (stmt);
  stmt = NULL;

  /* The array does not move from here on, so the index may point into it. */
  for (guint i = 0; i < summaries->len; i++)
    {
      PickyContactSummary *summary = &g_array_index (summaries, PickyContactSummary, i);

      if (summary->contact_id >= index->len)
        g_ptr_array_set_size (index, summary->contact_id + 1);
      g_ptr_array_index (index, summary->contact_id) = summary;
    }

  if (rc == SQLITE_DONE)
    rc = worker_summarize_spans (w, summaries, index, picky_store_floor_hour (args->from),
                                 picky_store_floor_hour (args->to - 1) + 1);
  if (rc == SQLITE_DONE && args->full)
    rc = worker_summarize_times (w, "SELECT contact_id, bucket, n FROM reply_hours"
                                    " WHERE hour BETWEEN :from AND :to",
                                 args->from, args->to, index, TRUE);

  /* The waits open at the end of the range, or now: the few not yet ended
   * and those ended since, through the index on their end. Written as two
   * searches of that index: with the OR and the GROUP BY together, SQLite
   * walks every wait ever in contact order instead (13 s at a million). */
  at = MIN (args->to, g_get_real_time () / G_USEC_PER_SEC);
  if (rc == SQLITE_DONE && args->full)
    rc = sqlite3_prepare_v2 (w->db,
                             "SELECT contact_id, count (*), min (started) FROM ("
                             "  SELECT contact_id, started FROM waits WHERE ended IS NULL AND started < :at"
                             "  UNION ALL"
                             "  SELECT contact_id, started FROM waits WHERE ended >= :at AND started < :at)"
                             " GROUP BY contact_id",
                             -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    picky_store_bind_named_int64 (stmt, ":at", at);
  while (picky_store_next_row (stmt, &rc))
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      PickyContactSummary *summary = summary_for (index, id);

      if (summary == NULL)
        continue;
      summary->awaiting = sqlite3_column_int64 (stmt, 1);
      summary->oldest_wait = picky_business_hours_count (w->business_hours, sqlite3_column_int64 (stmt, 2), at);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&summaries), (GDestroyNotify) g_array_unref);
}

typedef struct {
  char *app;
  char *phone;
  gint64 after_id;
  guint limit;
} ListContactsArgs;

static void
list_contacts_args_free (gpointer data)
{
  ListContactsArgs *args = data;

  g_free (args->app);
  g_free (args->phone);
  g_free (args);
}

static void
list_contacts_run (PickyStoreWorker *w,
                   GTask            *task)
{
  ListContactsArgs *args = g_task_get_task_data (task);
  g_autoptr(GPtrArray) contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GString) sql = g_string_new ("SELECT id FROM contacts WHERE id > :after");
  g_autofree char *hash = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (args->app != NULL)
    g_string_append (sql, " AND app = :app");
  if (args->phone != NULL)
    {
      g_autofree char *normal = normalize_phone (args->phone);

      hash = picky_cipher_lookup_hash (w->cipher, "phone", normal);
      g_string_append (sql, " AND phone_hash = :hash");
    }
  g_string_append (sql, " ORDER BY id LIMIT :limit");

  rc = sqlite3_prepare_v2 (w->db, sql->str, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      picky_store_bind_named_int64 (stmt, ":after", args->after_id);
      picky_store_bind_named_int64 (stmt, ":limit", args->limit);
      if (args->app != NULL)
        sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":app"), args->app, -1, SQLITE_STATIC);
      if (hash != NULL)
        sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":hash"), hash, -1, SQLITE_STATIC);
    }
  while (picky_store_next_row (stmt, &rc))
    {
      PickyStoreContact *contact = picky_store_worker_get_contact (w, sqlite3_column_int64 (stmt, 0));

      if (contact == NULL)
        continue;
      g_ptr_array_add (contacts,
                       g_variant_ref_sink (g_variant_new ("(xssss)", contact->id, contact->app,
                                                          contact->provider_id,
                                                          contact->name != NULL ? contact->name : "",
                                                          contact->phone != NULL ? contact->phone : "")));
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&contacts), (GDestroyNotify) g_ptr_array_unref);
}

typedef struct {
  PickyBusinessHours *hours;
  gboolean started;      /* the recount is under way */
  guint    serial;       /* which recount: a later one supersedes it */
  gint64   next;         /* the first contact of the next chunk */
  gint64   last;         /* the highest contact id when it began */
} SetBusinessHoursArgs;

static void
set_business_hours_args_free (gpointer data)
{
  SetBusinessHoursArgs *args = data;

  g_clear_pointer (&args->hours, picky_business_hours_unref);
  g_free (args);
}

/* Contacts counted again per transaction: whatever the window asks in
 * between waits for one chunk, not for every wait in the file. At
 * 4,500,000 messages a chunk of 1,000 contacts held a read up for two
 * minutes on a busy machine; tests make it smaller still. */
guint picky_store_recount_chunk = 100;

static void set_business_hours_run (PickyStoreWorker *w,
                                    GTask            *task);

/* Writes what the rollups now count in, once every chunk is done: a
 * recount cut short (the console quit) leaves the old hours stored, and
 * the next start, finding other hours set, counts everything again. */
static gboolean
worker_store_business_hours (PickyStoreWorker  *w,
                             const char        *text,
                             GError           **error)
{
  sqlite3_stmt *stmt;

  if (text == NULL)
    return picky_store_exec (w->db, "DELETE FROM meta WHERE key = 'business-hours'", error);

  stmt = picky_store_worker_prepare (w, "INSERT INTO meta (key, value) VALUES ('business-hours', ?1)"
                                        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
  return picky_store_worker_finish (w, stmt, error) >= 0;
}

/* Compared as the stored text, so that hours read back in a zone this
 * computer lacks still count as different and are counted again; while a
 * recount runs, against the hours it counts in. The new hours apply to
 * new messages at once; the stored waits are counted again a chunk of
 * contacts per transaction, each chunk a job of its own at the end of the
 * queue, so that the window's reads and the ingest go on in between. */
static void
set_business_hours_run (PickyStoreWorker *w,
                        GTask            *task)
{
  SetBusinessHoursArgs *args = g_task_get_task_data (task);
  g_autofree char *wanted = args->hours != NULL ? picky_business_hours_to_string (args->hours) : NULL;
  GError *error = NULL;
  gboolean ok = TRUE;

  if (!args->started)
    {
      g_autofree char *stored = NULL;
      sqlite3_stmt *stmt = picky_store_worker_prepare (w, "SELECT value FROM meta WHERE key = 'business-hours'",
                                                       &error);
      gboolean changed;

      ok = stmt != NULL;
      if (ok && sqlite3_step (stmt) == SQLITE_ROW)
        stored = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      ok = ok && picky_store_worker_finish (w, stmt, &error) >= 0;
      if (!ok)
        {
          g_task_return_error (task, error);
          return;
        }

      changed = w->recounting ? g_strcmp0 (w->recount_text, wanted) != 0 : g_strcmp0 (stored, wanted) != 0;
      if (!changed)
        {
          g_task_return_boolean (task, FALSE);
          return;
        }

      if (!picky_store_schema_set_business_hours (w->db, args->hours, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      g_clear_pointer (&w->business_hours, picky_business_hours_unref);
      if (args->hours != NULL)
        w->business_hours = picky_business_hours_ref (args->hours);
      w->recounting = TRUE;
      g_free (w->recount_text);
      w->recount_text = g_strdup (wanted);
      args->serial = ++w->recount_serial;
      args->started = TRUE;
      args->next = 0;
      args->last = picky_store_get_pragma_int (w->db, "SELECT coalesce (max (id), 0) FROM contacts", NULL);
    }

  /* Other hours were set since: that recount starts over and answers. */
  if (args->serial != w->recount_serial)
    {
      g_task_return_boolean (task, FALSE);
      return;
    }

  ok = picky_store_exec (w->db, "BEGIN IMMEDIATE", &error) &&
       picky_store_exec_range (w->db, picky_store_sql_recount_contacts, args->next,
                               args->next + picky_store_recount_chunk, &error);
  args->next += picky_store_recount_chunk;
  if (ok && args->next > args->last)
    ok = worker_store_business_hours (w, wanted, &error);
  ok = ok && picky_store_exec (w->db, "COMMIT", &error);

  if (!ok)
    {
      sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
      w->recounting = FALSE;
      g_task_return_error (task, error);
      return;
    }

  if (args->next <= args->last)
    {
      picky_store_worker_requeue (w, task, set_business_hours_run);
      return;
    }

  w->recounting = FALSE;
  g_task_return_boolean (task, TRUE);
}

/* ---- Main thread ---- */

void
picky_store_report_contact_async (PickyStore          *self,
                                  gint64               contact_id,
                                  gint64               from,
                                  gint64               to,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  ReportContactArgs *args = g_new0 (ReportContactArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (from < to);

  args->contact_id = contact_id;
  args->from = from;
  args->to = to;
  task = picky_store_task_new (self, picky_store_report_contact_async, args, g_free, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, report_contact_run, NULL, NULL);
}

/**
 * picky_store_report_contact_finish:
 *
 * Returns: (transfer full) (element-type PickyReportDay): the days
 */
GArray *
picky_store_report_contact_finish (PickyStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_report_overall_async (PickyStore          *self,
                                  const char          *app,
                                  gint64               from,
                                  gint64               to,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  ReportOverallArgs *args = g_new0 (ReportOverallArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (from < to);

  args->app = g_strdup (app);
  args->from = from;
  args->to = to;
  task = picky_store_task_new (self, picky_store_report_overall_async, args,
                               report_overall_args_free, cancellable, callback, user_data);
  picky_store_queue_job (self, task, report_overall_run, NULL, NULL);
}

/**
 * picky_store_report_overall_finish:
 *
 * Returns: (transfer full) (element-type PickyReportDay): the days
 */
GArray *
picky_store_report_overall_finish (PickyStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_report_sum:
 * @days: (element-type PickyReportDay): days of a report
 * @total: (out caller-allocates): their sum; its day is the first day's
 */
void
picky_store_report_sum (GArray         *days,
                        PickyReportDay *total)
{
  g_return_if_fail (days != NULL);
  g_return_if_fail (total != NULL);

  memset (total, 0, sizeof *total);
  for (guint i = 0; i < days->len; i++)
    {
      const PickyReportDay *day = &g_array_index (days, PickyReportDay, i);

      if (i == 0)
        {
          total->day = day->day;
          total->first_timestamp = day->first_timestamp;
        }
      total->n_in += day->n_in;
      total->n_out += day->n_out;
      total->first_timestamp = MIN (total->first_timestamp, day->first_timestamp);
      total->last_timestamp = MAX (total->last_timestamp, day->last_timestamp);
      total->response_sum += day->response_sum;
      total->response_count += day->response_count;
      for (guint b = 0; b < PICKY_STORE_RESPONSE_BUCKETS; b++)
        total->response_histogram[b] += day->response_histogram[b];
    }
}

/**
 * picky_store_report_response_percentile:
 * @fraction: 0.5 for the median, 0.9 for p90
 *
 * Returns: the upper bound in seconds of the histogram bucket that holds
 *   that share of the first-response times, %G_MAXINT64 for the open last
 *   bucket, or -1 when no response was counted
 */
gint64
picky_store_report_response_percentile (const PickyReportDay *day,
                                        double                fraction)
{
  static const gint64 bounds[PICKY_STORE_RESPONSE_BUCKETS] = {
    60, 300, 900, 3600, 4 * 3600, 86400, G_MAXINT64,
  };
  double wanted;
  guint seen = 0;

  g_return_val_if_fail (day != NULL, -1);

  if (day->response_count == 0)
    return -1;

  wanted = fraction * day->response_count;
  for (guint b = 0; b < PICKY_STORE_RESPONSE_BUCKETS; b++)
    {
      seen += day->response_histogram[b];
      if (seen >= wanted && seen > 0)
        return bounds[b];
    }

  return G_MAXINT64;
}

/**
 * picky_store_fine_percentile:
 * @responses: (array fixed-size=128): counts per fine bucket
 * @fraction: 0.5 for the median, 0.9 for p90
 *
 * Returns: the nearest-rank percentile in seconds, within 10 % of the exact
 *   one, or -1 when no response was counted
 */
gint64
picky_store_fine_percentile (const guint *responses,
                             double       fraction)
{
  guint64 total = 0;
  guint64 wanted;
  guint64 seen = 0;

  g_return_val_if_fail (responses != NULL, -1);

  for (guint b = 0; b < PICKY_STORE_FINE_BUCKETS; b++)
    total += responses[b];
  if (total == 0)
    return -1;

  /* Nearest rank: the smallest time with at least this share at or below it. */
  wanted = (guint64) ceil (fraction * total);
  wanted = CLAMP (wanted, 1, total);
  for (guint b = 0; b < PICKY_STORE_FINE_BUCKETS; b++)
    {
      seen += responses[b];
      if (seen >= wanted)
        return picky_store_fine_bucket_value (b);
    }

  return picky_store_fine_bucket_value (PICKY_STORE_FINE_BUCKETS - 1);
}

void
picky_store_report_hours_async (PickyStore          *self,
                                gint64               contact_id,
                                gint64               from,
                                gint64               to,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  ReportHoursArgs *args = g_new0 (ReportHoursArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (from < to);

  args->contact_id = contact_id;
  args->from = from;
  args->to = to;
  task = picky_store_task_new (self, picky_store_report_hours_async, args, g_free, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, report_hours_run, NULL, NULL);
}

/**
 * picky_store_report_hours_finish:
 *
 * Returns: (transfer full): the hours and the response-time histogram
 */
PickyReportHours *
picky_store_report_hours_finish (PickyStore    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_report_hours_free (PickyReportHours *hours)
{
  if (hours == NULL)
    return;

  g_clear_pointer (&hours->hours, g_array_unref);
  g_free (hours);
}

void
picky_store_summarize_contacts_async (PickyStore          *self,
                                      gint64               from,
                                      gint64               to,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  SummarizeContactsArgs *args = g_new0 (SummarizeContactsArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (from < to);

  args->from = from;
  args->to = to;
  task = picky_store_task_new (self, picky_store_summarize_contacts_async, args, g_free,
                               cancellable, callback, user_data);
  picky_store_queue_job (self, task, summarize_contacts_run, NULL, NULL);
}

/**
 * picky_store_summarize_contacts_full_async:
 *
 * The same as picky_store_summarize_contacts_async(), with the reply times
 * and the waits open at the range's end too, which cost as much again:
 * for reports and their exports rather than the contacts list. Finish with
 * picky_store_summarize_contacts_finish().
 */
void
picky_store_summarize_contacts_full_async (PickyStore          *self,
                                           gint64               from,
                                           gint64               to,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  SummarizeContactsArgs *args = g_new0 (SummarizeContactsArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (from < to);

  args->from = from;
  args->to = to;
  args->full = TRUE;
  task = picky_store_task_new (self, picky_store_summarize_contacts_full_async, args, g_free,
                               cancellable, callback, user_data);
  picky_store_queue_job (self, task, summarize_contacts_run, NULL, NULL);
}

/**
 * picky_store_summarize_contacts_finish:
 *
 * Returns: (transfer full) (element-type PickyContactSummary): every contact
 */
GArray *
picky_store_summarize_contacts_finish (PickyStore    *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_list_contacts_async (PickyStore          *self,
                                 const char          *app,
                                 const char          *phone,
                                 gint64               after_id,
                                 guint                limit,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  ListContactsArgs *args = g_new0 (ListContactsArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->app = g_strdup (app);
  args->phone = g_strdup (phone);
  args->after_id = after_id;
  args->limit = limit > 0 ? limit : 100;
  task = picky_store_task_new (self, picky_store_list_contacts_async, args, list_contacts_args_free,
                               cancellable, callback, user_data);
  picky_store_queue_job (self, task, list_contacts_run, NULL, NULL);
}

/**
 * picky_store_list_contacts_finish:
 *
 * Returns: (transfer container) (element-type GVariant): one (xssss) per contact
 */
GPtrArray *
picky_store_list_contacts_finish (PickyStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_set_business_hours_async (PickyStore          *self,
                                      PickyBusinessHours  *hours,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  SetBusinessHoursArgs *args = g_new0 (SetBusinessHoursArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->hours = hours != NULL ? picky_business_hours_ref (hours) : NULL;
  task = picky_store_task_new (self, picky_store_set_business_hours_async, args,
                               set_business_hours_args_free, cancellable, callback, user_data);
  picky_store_queue_job (self, task, set_business_hours_run, NULL, NULL);
}

/**
 * picky_store_set_business_hours_finish:
 *
 * Returns: whether the times were counted again; %FALSE with @error set
 *   on failure
 */
gboolean
picky_store_set_business_hours_finish (PickyStore    *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
