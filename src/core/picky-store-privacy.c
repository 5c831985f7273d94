/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The store's erasures and disclosures of personal data: old messages purged, a contact erased,
 * a contact's data exported or disclosed, each audited. */

#include "config.h"

#include <json-glib/json-glib.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "picky-disclosure.h"
#include "picky-main-context.h"
#include "picky-store.h"
#include "picky-store-private.h"

/* Messages removed per transaction by a purge: small enough that the
 * Inbox's writes wait at most a moment between two, large enough that the
 * commits do not dominate. */
#define PURGE_BATCH 20000

/* ---- Worker thread ---- */

/* Merges the search index tables that held deleted messages' words (bit k
 * of @shards for messages_fts_k) each into one new segment, so that no old
 * segment still lists them; secure_delete zeroes the old segments' pages
 * as they are freed. A table without deletions is left alone: merging
 * rewrites all of it. */
static gboolean
worker_merge_index (PickyStoreWorker  *w,
                    guint32            shards,
                    GError           **error)
{
  for (guint k = 0; k < PICKY_STORE_FTS_SHARDS; k++)
    {
      g_autofree char *sql = NULL;

      if ((shards & (1u << k)) == 0)
        continue;
      sql = g_strdup_printf ("INSERT INTO messages_fts_%u (messages_fts_%u) VALUES ('optimize')", k, k);
      if (!picky_store_exec (w->db, sql, error))
        return FALSE;
    }

  return TRUE;
}

/* The index tables a purge has deleted from and not yet merged are noted
 * in the file with each batch, so that a purge which fails or is cut off
 * after a batch leaves them for the next one to merge. */
static guint32
worker_unmerged_shards (PickyStoreWorker *w)
{
  sqlite3_stmt *stmt = NULL;
  guint32 shards = 0;

  if (sqlite3_prepare_v2 (w->db, "SELECT value FROM meta WHERE key = 'unmerged-index'", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    shards = (guint32) g_ascii_strtoull ((const char *) sqlite3_column_text (stmt, 0), NULL, 10);
  sqlite3_finalize (stmt);

  return shards;
}

/* Adds to @shards the index tables that hold the words of the messages of
 * the purge's current batch, and notes them (see worker_unmerged_shards()). */
static gboolean
worker_note_batch_shards (PickyStoreWorker  *w,
                          guint32           *shards,
                          GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_prepare (w,
                                                   "SELECT DISTINCT coalesce (m.contact_id, 0) % "
                                                   G_STRINGIFY (PICKY_STORE_FTS_SHARDS)
                                                   " FROM purge_batch b CROSS JOIN messages m ON m.id = b.id"
                                                   " WHERE m.text IS NOT NULL",
                                                   error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = picky_store_worker_step (w, stmt, error)) == SQLITE_ROW)
    *shards |= 1u << (sqlite3_column_int (stmt, 0) % PICKY_STORE_FTS_SHARDS);
  sqlite3_finalize (stmt);
  if (rc == 0)
    return FALSE;

  return picky_store_worker_exec_int (w,
                                      "INSERT INTO meta (key, value) VALUES ('unmerged-index', ?1)"
                                      " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                      *shards, error) >= 0;
}

/* After a deletion of personal data has been committed: copy the log into
 * the file and truncate it, so that no older page image survives. */
static gboolean
worker_checkpoint_all (PickyStoreWorker  *w,
                       GError           **error)
{
  return picky_store_checkpoint_truncate (w->db, error);
}

/* Deletes @contact_id's messages and takes their words out of the search
 * index; returns how many went, or -1. A delete trigger or a foreign key
 * on the table makes SQLite delete row by row in two passes, reading each
 * row back for them, which at 10,000 messages cost as much as all the page
 * writes of the erasure: so their words leave the contact's index table in
 * one statement, with the text the trigger would have given it, and the
 * rows go in one pass with the triggers off for that statement (the
 * caller turns the foreign keys off around its transaction). Messages not
 * indexed yet have no words there to take out: they only leave the list
 * of those to index. */
static gint64
worker_delete_contact_messages (PickyStoreWorker  *w,
                                gint64             contact_id,
                                GError           **error)
{
  guint shard = picky_store_fts_shard (contact_id);
  g_autofree char *unindex = g_strdup_printf ("INSERT INTO messages_fts_%u (messages_fts_%u, rowid, text)"
                                              " SELECT 'delete', id, text FROM messages"
                                              " WHERE contact_id = ?1 AND text IS NOT NULL"
                                              " AND id NOT IN (SELECT id FROM messages_unindexed)",
                                              shard, shard);
  gint64 count;

  if (picky_store_worker_exec_int (w, unindex, contact_id, error) < 0 ||
      picky_store_worker_exec_int (w, "DELETE FROM messages_unindexed"
                                      " WHERE id IN (SELECT id FROM messages WHERE contact_id = ?1)",
                                   contact_id, error) < 0)
    return -1;

  sqlite3_db_config (w->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
  count = picky_store_worker_exec_int (w, "DELETE FROM messages WHERE contact_id = ?1", contact_id, error);
  sqlite3_db_config (w->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, NULL);

  return count;
}

static void
rollback (PickyStoreWorker *w)
{
  sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
  picky_store_worker_forget_contacts (w);
}

static PickyStoreContact *
worker_find_contact (PickyStoreWorker  *w,
                     gint64             contact_id,
                     GError           **error)
{
  PickyStoreContact *contact = contact_id > 0 ? picky_store_worker_get_contact (w, contact_id) : NULL;

  if (contact == NULL)
    g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                 _("No contact with the number %lld exists"), (long long) contact_id);

  return contact;
}

/* The contact's messages from @from up to @until (0: all), oldest first. */
static GPtrArray *
worker_contact_messages (PickyStoreWorker  *w,
                         gint64             contact_id,
                         gint64             from,
                         gint64             until,
                         GError           **error)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = picky_store_worker_prepare (w,
                                                   "SELECT " PICKY_STORE_MESSAGE_COLUMNS " FROM messages m"
                                                   " WHERE m.contact_id = ?1 AND m.timestamp >= ?2"
                                                   " AND m.timestamp < ?3 ORDER BY m.timestamp, m.id",
                                                   error);
  int rc;

  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, contact_id);
  sqlite3_bind_int64 (stmt, 2, from);
  sqlite3_bind_int64 (stmt, 3, until > 0 ? until : G_MAXINT64);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (messages, picky_store_worker_message_from_row (w, stmt));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return NULL;
    }

  return g_steal_pointer (&messages);
}

/* Channel id (gint64*) → name, removed channels included. */
static GHashTable *
worker_channel_names (PickyStoreWorker  *w,
                      GError           **error)
{
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  sqlite3_stmt *stmt = picky_store_worker_prepare (w, "SELECT id, name FROM channels", error);
  int rc;

  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_insert (names, g_memdup2 (&(gint64) { sqlite3_column_int64 (stmt, 0) }, sizeof (gint64)),
                         g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return NULL;
    }

  return g_steal_pointer (&names);
}

static gint64
worker_count (PickyStoreWorker  *w,
              const char        *sql,
              gint64             value,
              GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_prepare (w, sql, error);
  gint64 count = -1;
  int rc;

  if (stmt == NULL)
    return -1;

  sqlite3_bind_int64 (stmt, 1, value);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  else
    picky_store_set_sqlite_error (error, w->db, rc);
  sqlite3_finalize (stmt);

  return count;
}

/* After a purge: a conversation whose last message went has lost every
 * message but reactions (the last one is the newest), so it goes with its
 * Done marks; the others' unread counts followed each batch. A customer
 * still waiting keeps the time they started to, though that message is
 * gone. */
static gboolean
purge_conversations (PickyStoreWorker  *w,
                     GHashTable        *touched,
                     GError           **error)
{
  return picky_store_exec (w->db,
                           "CREATE TEMP TABLE purged_conversations AS"
                           "  SELECT id FROM conversations c WHERE NOT EXISTS"
                           "  (SELECT 1 FROM messages m WHERE m.id = c.last_message_id)",
                           error) &&
         picky_store_worker_note_conversations (w, touched, "SELECT id FROM purged_conversations", 0, error) &&
         picky_store_exec (w->db,
                           "DELETE FROM done_marks WHERE conversation_id IN purged_conversations;"
                           "DELETE FROM conversations WHERE id IN purged_conversations;"
                           "DROP TABLE purged_conversations;",
                           error);
}

typedef struct {
  guint                   days;
  PickyStorePurgeProgressFunc  progress;
  gpointer                progress_data;
  GDestroyNotify          progress_destroy;
} PurgeArgs;

static void
purge_args_free (gpointer data)
{
  PurgeArgs *args = data;

  if (args->progress_destroy != NULL)
    args->progress_destroy (args->progress_data);
  g_free (args);
}

typedef struct {
  PickyStorePurgeProgressFunc  func;
  gpointer                data;
  gint64                  done;
  gint64                  total;
} ProgressCall;

static gboolean
progress_call_cb (gpointer data)
{
  ProgressCall *call = data;

  call->func (call->done, call->total, call->data);
  return G_SOURCE_REMOVE;
}

static void
report_progress (GTask  *task,
                 gint64  done,
                 gint64  total)
{
  PurgeArgs *args = g_task_get_task_data (task);
  ProgressCall *call;

  if (args->progress == NULL)
    return;

  call = g_new0 (ProgressCall, 1);
  call->func = args->progress;
  call->data = args->progress_data;
  call->done = done;
  call->total = total;
  picky_main_context_dispatch (g_task_get_context (task), progress_call_cb, call, g_free);
}

/* The month and year spans before @cutoff (an hour) go; the two that hold
 * it are counted again from what is left of them: the month from its
 * hours, the year from its months. */
static gboolean
purge_spans (PickyStoreWorker  *w,
             gint64             cutoff,
             GError           **error)
{
  static const char *const sql[] = {
    "DELETE FROM contact_spans WHERE level IN (1, 2) AND start < :cutoff",
    "INSERT INTO contact_spans (level, start, contact_id, n_in, n_out, first_ts, last_ts)"
    " SELECT 1, :month, contact_id, sum (n_in), sum (n_out)," PICKY_STORE_SQL_MESSAGE_BOUNDS
    " FROM contact_hours WHERE hour >= :cutoff AND hour < :month_end GROUP BY contact_id",
    "UPDATE contact_spans SET responses = r.h"
    " FROM (SELECT contact_id, picky_hist (bucket, n) AS h FROM response_hours"
    "       WHERE hour >= :cutoff AND hour < :month_end GROUP BY contact_id) AS r"
    " WHERE contact_spans.level = 1 AND contact_spans.start = :month"
    "   AND contact_spans.contact_id = r.contact_id",
    "INSERT INTO contact_spans (level, start, contact_id, n_in, n_out, first_ts, last_ts, responses)"
    " SELECT 2, :year, contact_id, sum (n_in), sum (n_out)," PICKY_STORE_SQL_MESSAGE_BOUNDS ", picky_hist (responses)"
    " FROM contact_spans WHERE level = 1 AND start >= :year AND start < :year_end GROUP BY contact_id",
  };
  gint64 month = picky_store_span_floor (PICKY_STORE_SPAN_MONTH, cutoff);
  gint64 year = picky_store_span_floor (PICKY_STORE_SPAN_YEAR, cutoff);

  for (guint i = 0; i < G_N_ELEMENTS (sql); i++)
    {
      sqlite3_stmt *stmt;

      /* A span that starts at the cutoff lost nothing and stayed. */
      if ((i == 1 || i == 2) && month == cutoff)
        continue;
      if (i == 3 && year == cutoff)
        continue;

      stmt = picky_store_worker_prepare (w, sql[i], error);
      if (stmt == NULL)
        return FALSE;
      picky_store_bind_named_int64 (stmt, ":cutoff", cutoff);
      picky_store_bind_named_int64 (stmt, ":month", month);
      picky_store_bind_named_int64 (stmt, ":month_end", picky_store_span_next (PICKY_STORE_SPAN_MONTH, cutoff));
      picky_store_bind_named_int64 (stmt, ":year", year);
      picky_store_bind_named_int64 (stmt, ":year_end", picky_store_span_next (PICKY_STORE_SPAN_YEAR, cutoff));
      if (picky_store_worker_finish (w, stmt, error) < 0)
        return FALSE;
    }

  return TRUE;
}

/* In batches, each committed on its own, so that a long purge neither
 * holds the file for minutes nor grows the log without bound; what one
 * batch removed stays removed if a later one fails. The rollups, the
 * conversations and the contacts left without messages follow in the last
 * transaction, with the audit entry. */
static void
purge_run (PickyStoreWorker *w,
           GTask            *task)
{
  PurgeArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  gint64 cutoff_day = picky_store_floor_day (g_get_real_time () / G_USEC_PER_SEC) - args->days;
  gint64 cutoff = cutoff_day * PICKY_STORE_DAY;
  gint64 total, count = 0, contacts = -1;
  guint32 shards = worker_unmerged_shards (w);
  g_autofree char *detail = NULL;
  g_autoptr(GHashTable) touched = picky_store_conversation_ids_new ();
  gboolean ok;

  ok = picky_store_exec (w->db, "PRAGMA secure_delete = ON", &error) &&
       (total = worker_count (w, "SELECT count (*) FROM messages WHERE timestamp < ?1", cutoff, &error)) >= 0;
  if (ok)
    report_progress (task, 0, total);

  ok = ok && picky_store_exec (w->db, "CREATE TEMP TABLE IF NOT EXISTS purge_batch (id INTEGER PRIMARY KEY)", &error);
  while (ok)
    {
      gint64 removed = -1;

      /* A conversation loses the unread messages that go from its count
       * here, batch by batch: counting what is left afterwards would
       * read every message of every conversation with any unread. The
       * batch leads the join (CROSS JOIN): the planner, knowing nothing
       * of the temporary table, would walk all the messages instead. */
      ok = !g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error) &&
           picky_store_exec (w->db, "BEGIN IMMEDIATE", &error) &&
           picky_store_worker_exec_int (w,
                                        "INSERT INTO purge_batch SELECT id FROM messages WHERE timestamp < ?1"
                                        " ORDER BY timestamp LIMIT " G_STRINGIFY (PURGE_BATCH),
                                        cutoff, &error) >= 0 &&
           picky_store_exec (w->db, "DELETE FROM relay_outbox WHERE message_id IN purge_batch", &error) &&
           worker_note_batch_shards (w, &shards, &error) &&
           picky_store_worker_note_conversations (w, touched,
                                                  "UPDATE conversations SET unread = conversations.unread - gone.n"
                                                  " FROM (SELECT m.contact_id, m.channel_id, count (*) AS n"
                                                  "  FROM purge_batch b CROSS JOIN messages m ON m.id = b.id"
                                                  "  WHERE m.unread = 1 AND m.kind <> 'reaction'"
                                                  "  GROUP BY m.contact_id, m.channel_id) AS gone"
                                                  " WHERE conversations.contact_id = gone.contact_id"
                                                  " AND conversations.channel_id = gone.channel_id"
                                                  " RETURNING conversations.id",
                                                  0, &error) &&
           (removed = picky_store_worker_exec_int (w, "DELETE FROM messages WHERE id IN purge_batch",
                                                   0, &error)) >= 0 &&
           picky_store_exec (w->db, "DELETE FROM purge_batch; COMMIT", &error);
      if (!ok)
        {
          rollback (w);
          break;
        }
      count += removed;
      report_progress (task, count, MAX (total, count));
      if (removed < PURGE_BATCH)
        break;
    }
  sqlite3_exec (w->db, "DROP TABLE IF EXISTS temp.purge_batch", NULL, NULL, NULL);

  ok = ok &&
       picky_store_exec (w->db, "BEGIN IMMEDIATE", &error) &&
       picky_store_worker_exec_int (w, "DELETE FROM contact_days WHERE day < ?1", cutoff_day, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM daily WHERE day < ?1", cutoff_day, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM contact_hours WHERE hour < ?1",
                                    cutoff_day * 24, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM response_hours WHERE hour < ?1",
                                    cutoff_day * 24, &error) >= 0 &&
       purge_conversations (w, touched, &error) &&
       picky_store_worker_exec_int (w, "DELETE FROM reply_hours WHERE hour < ?1",
                                    cutoff_day * 24, &error) >= 0 &&
       purge_spans (w, cutoff_day * 24, &error) &&
       /* A wait still open goes on, its customer still waiting. */
       picky_store_worker_exec_int (w, "DELETE FROM waits WHERE started < ?1 AND ended IS NOT NULL",
                                    cutoff_day * PICKY_STORE_DAY, &error) >= 0 &&
       picky_store_exec (w->db,
                         "DELETE FROM contacts WHERE NOT EXISTS"
                         " (SELECT 1 FROM messages m WHERE m.contact_id = contacts.id)"
                         " AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.contact_id = contacts.id)",
                         &error);
  if (ok)
    contacts = sqlite3_changes64 (w->db);
  /* Rollups of contacts that went cover only days before the cutoff,
   * which went above. */
  if (ok)
    {
      g_autofree char *object = g_strdup_printf ("older than %u days", args->days);

      detail = g_strdup_printf ("%" G_GINT64_FORMAT " messages, %" G_GINT64_FORMAT " contacts",
                                count, contacts);
      ok = picky_store_worker_audit (w, "purge", object, detail, &error) &&
           picky_store_exec (w->db, "COMMIT", &error);
    }
  if (!ok)
    rollback (w);
  else
    {
      picky_store_worker_forget_contacts (w);
      ok = worker_merge_index (w, shards, &error) &&
           picky_store_exec (w->db, "DELETE FROM meta WHERE key = 'unmerged-index'", &error) &&
           ((count == 0 && shards == 0) || worker_checkpoint_all (w, &error));
    }

  if (!ok)
    g_task_return_error (task, error);
  else
    {
      /* Open lists drop the conversations that went and recount the rest. */
      picky_store_worker_emit_conversations (w, task, touched);
      g_task_return_int (task, count);
    }
}

typedef struct {
  gint64 contact_id;
} EraseContactArgs;

static void
erase_contact_run (PickyStoreWorker *w,
                   GTask            *task)
{
  EraseContactArgs *args = g_task_get_task_data (task);
  g_autoptr(GHashTable) touched = picky_store_conversation_ids_new ();
  GError *error = NULL;
  gint64 count = -1, outbox = -1;
  gboolean ok;

  /* Nothing refers to the contact or their messages once this is done
   * (each table that does is emptied of them below): the foreign keys'
   * checks would only make the deletion slow (see
   * worker_delete_contact_messages()). */
  ok = picky_store_exec (w->db, "PRAGMA secure_delete = ON; PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE", &error) &&
       worker_find_contact (w, args->contact_id, &error) != NULL;

  /* The overall rollups lose this contact's share; their first and last
   * times stay as bounds. */
  ok = ok &&
       picky_store_worker_exec_int (w,
                                    "UPDATE daily SET n_in = daily.n_in - cd.n_in,"
                                    " n_out = daily.n_out - cd.n_out,"
                                    " resp_sum = daily.resp_sum - cd.resp_sum,"
                                    " resp_count = daily.resp_count - cd.resp_count,"
                                    " h0 = daily.h0 - cd.h0, h1 = daily.h1 - cd.h1, h2 = daily.h2 - cd.h2,"
                                    " h3 = daily.h3 - cd.h3, h4 = daily.h4 - cd.h4, h5 = daily.h5 - cd.h5,"
                                    " h6 = daily.h6 - cd.h6"
                                    " FROM contact_days cd JOIN contacts c ON c.id = cd.contact_id"
                                    " WHERE cd.contact_id = ?1 AND daily.day = cd.day"
                                    " AND daily.app = c.app",
                                    args->contact_id, &error) >= 0 &&
       picky_store_worker_exec_int (w,
                                    "DELETE FROM done_marks WHERE conversation_id IN"
                                    " (SELECT id FROM conversations WHERE contact_id = ?1)",
                                    args->contact_id, &error) >= 0 &&
       picky_store_worker_note_conversations (w, touched, "SELECT id FROM conversations WHERE contact_id = ?1",
                                              args->contact_id, &error) &&
       picky_store_worker_exec_int (w, "DELETE FROM conversations WHERE contact_id = ?1",
                                    args->contact_id, &error) >= 0 &&
       (outbox = picky_store_worker_exec_int (w,
                                              "DELETE FROM relay_outbox WHERE message_id IN"
                                              " (SELECT id FROM messages WHERE contact_id = ?1)",
                                              args->contact_id, &error)) >= 0 &&
       (count = worker_delete_contact_messages (w, args->contact_id, &error)) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM contact_days WHERE contact_id = ?1",
                                    args->contact_id, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM contact_hours WHERE contact_id = ?1",
                                    args->contact_id, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM response_hours WHERE contact_id = ?1",
                                    args->contact_id, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM reply_hours WHERE contact_id = ?1",
                                    args->contact_id, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM contact_spans WHERE contact_id = ?1",
                                    args->contact_id, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM waits WHERE contact_id = ?1",
                                    args->contact_id, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM contacts WHERE id = ?1",
                                    args->contact_id, &error) >= 0;
  if (ok)
    {
      g_autofree char *object = g_strdup_printf ("contact %" G_GINT64_FORMAT, args->contact_id);
      g_autofree char *detail = g_strdup_printf ("%" G_GINT64_FORMAT " messages, %" G_GINT64_FORMAT " outbox items",
                                                 count, outbox);

      /* The index is merged in the erasure's own transaction: one commit
       * and one checkpoint write the pages of both, where a merge of its
       * own made a second round of log writes and syncs (a tenth of the
       * erasure at millions of messages), and no erasure is ever
       * committed whose words a crash could leave in the index. */
      ok = worker_merge_index (w, 1u << picky_store_fts_shard (args->contact_id), &error) &&
           picky_store_worker_audit (w, "erase-contact", object, detail, &error) &&
           picky_store_exec (w->db, "COMMIT", &error);
    }
  if (!ok)
    rollback (w);
  sqlite3_exec (w->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
  if (ok)
    {
      picky_store_worker_forget_contacts (w);
      ok = worker_checkpoint_all (w, &error);
    }

  if (!ok)
    g_task_return_error (task, error);
  else
    {
      picky_store_worker_emit_conversations (w, task, touched);
      g_task_return_int (task, count);
    }
}

typedef struct {
  gint64 contact_id;
} SummarizeErasureArgs;

static void
summarize_erasure_run (PickyStoreWorker *w,
                       GTask            *task)
{
  SummarizeErasureArgs *args = g_task_get_task_data (task);
  g_autoptr(PickyErasureSummary) summary = g_new0 (PickyErasureSummary, 1);
  PickyStoreContact *contact;
  GError *error = NULL;
  sqlite3_stmt *stmt;
  int rc;

  contact = worker_find_contact (w, args->contact_id, &error);
  if (contact == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  summary->contact_id = contact->id;
  summary->app = g_intern_string (contact->app);
  summary->name = g_strdup (contact->name);
  summary->phone = g_strdup (contact->phone != NULL ? contact->phone : contact->provider_id);

  stmt = picky_store_worker_prepare (w,
                                     "SELECT count (*) FILTER (WHERE direction = 0),"
                                     " count (*) FILTER (WHERE direction = 1),"
                                     " count (*) FILTER (WHERE media IS NOT NULL),"
                                     " count (*) FILTER (WHERE direction = 1 AND (status = 'queued' OR id IN"
                                     "  (SELECT message_id FROM relay_outbox WHERE state = 0))),"
                                     " (SELECT count (*) FROM conversations WHERE contact_id = ?1)"
                                     " FROM messages WHERE contact_id = ?1",
                                     &error);
  if (stmt == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  sqlite3_bind_int64 (stmt, 1, contact->id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      summary->n_in = sqlite3_column_int64 (stmt, 0);
      summary->n_out = sqlite3_column_int64 (stmt, 1);
      summary->n_media = sqlite3_column_int64 (stmt, 2);
      summary->n_outbox = sqlite3_column_int64 (stmt, 3);
      summary->n_conversations = sqlite3_column_int64 (stmt, 4);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_ROW)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&summary), (GDestroyNotify) picky_erasure_summary_free);
}

static char *
format_utc (gint64 time)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time);

  return g_date_time_format_iso8601 (utc);
}

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_time (JsonBuilder *builder,
          const char  *member,
          gint64       time)
{
  g_autofree char *text = time > 0 ? format_utc (time) : NULL;

  add_string (builder, member, text);
}

/* The media details as the JSON object they are stored as, or as a string
 * when they are not one. */
static void
add_media (JsonBuilder *builder,
           const char  *media)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  json_builder_set_member_name (builder, "media");
  if (media == NULL)
    json_builder_add_null_value (builder);
  else if (json_parser_load_from_data (parser, media, -1, NULL) && json_parser_get_root (parser) != NULL)
    json_builder_add_value (builder, json_node_copy (json_parser_get_root (parser)));
  else
    json_builder_add_string_value (builder, media);
}

static char *
build_contact_export (PickyStoreContact *contact,
                      GPtrArray         *messages,
                      GHashTable        *channel_names,
                      gint64             now)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  add_string (builder, "format", "picky-console-contact-export");
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 1);
  add_time (builder, "exported", now);

  json_builder_set_member_name (builder, "contact");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, contact->id);
  add_string (builder, "app", contact->app);
  add_string (builder, "app_id", contact->provider_id);
  add_string (builder, "name", contact->name);
  add_string (builder, "number", contact->phone);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < messages->len; i++)
    {
      PickyMessage *message = g_ptr_array_index (messages, i);
      gint64 channel_id = picky_message_get_channel_id (message);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, picky_message_get_id (message));
      json_builder_set_member_name (builder, "channel_id");
      json_builder_add_int_value (builder, channel_id);
      add_string (builder, "channel", g_hash_table_lookup (channel_names, &channel_id));
      add_string (builder, "app", picky_message_get_app (message));
      add_string (builder, "direction",
                  picky_message_get_direction (message) == PICKY_DIRECTION_IN ? "in" : "out");
      add_string (builder, "kind", picky_message_kind_to_string (picky_message_get_kind (message)));
      add_string (builder, "text", picky_message_get_text (message));
      add_media (builder, picky_message_get_media (message));
      add_time (builder, "time", picky_message_get_timestamp (message));
      add_time (builder, "received", picky_message_get_received (message));
      add_string (builder, "status", picky_message_get_direction (message) == PICKY_DIRECTION_OUT
                                       ? picky_message_status_to_string (picky_message_get_status (message))
                                       : NULL);
      add_string (builder, "error", picky_message_get_error (message));
      json_builder_set_member_name (builder, "edited");
      json_builder_add_boolean_value (builder, picky_message_get_edited (message));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

typedef struct {
  gint64  contact_id;
  char   *path;
} ExportContactArgs;

static void
export_contact_args_free (gpointer data)
{
  ExportContactArgs *args = data;

  g_free (args->path);
  g_free (args);
}

static void
export_contact_run (PickyStoreWorker *w,
                    GTask            *task)
{
  ExportContactArgs *args = g_task_get_task_data (task);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GHashTable) channel_names = NULL;
  g_autofree char *json = NULL;
  g_autofree char *object = NULL;
  g_autofree char *detail = NULL;
  PickyStoreContact *contact;
  GError *error = NULL;
  gboolean ok;

  /* One read transaction: the file holds one moment's data. */
  ok = picky_store_exec (w->db, "BEGIN", &error) &&
       (contact = worker_find_contact (w, args->contact_id, &error)) != NULL &&
       (messages = worker_contact_messages (w, args->contact_id, 0, 0, &error)) != NULL &&
       (channel_names = worker_channel_names (w, &error)) != NULL;
  sqlite3_exec (w->db, "COMMIT", NULL, NULL, NULL);

  if (ok)
    {
      json = build_contact_export (contact, messages, channel_names, g_get_real_time () / G_USEC_PER_SEC);
      ok = picky_store_write_file (args->path, json, strlen (json), &error);
    }
  if (ok)
    {
      object = g_strdup_printf ("contact %" G_GINT64_FORMAT, args->contact_id);
      detail = g_strdup_printf ("%u messages", messages->len);
      ok = picky_store_exec (w->db, "BEGIN IMMEDIATE", &error) &&
           picky_store_worker_audit (w, "export-contact", object, detail, &error) &&
           picky_store_exec (w->db, "COMMIT", &error);
      if (!ok)
        sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
    }

  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

typedef struct {
  PickyDisclosureRequest *request;
  char                   *json_path;
  char                   *pdf_path;
} DiscloseArgs;

static void
disclose_args_free (gpointer data)
{
  DiscloseArgs *args = data;

  picky_disclosure_request_free (args->request);
  g_free (args->json_path);
  g_free (args->pdf_path);
  g_free (args);
}

/* Both files are complete before either takes its name, and a failure
 * leaves neither: the JSON is renamed first, and removed again if the PDF
 * cannot be written. */
static void
disclose_run (PickyStoreWorker *w,
              GTask            *task)
{
  DiscloseArgs *args = g_task_get_task_data (task);
  const PickyDisclosureRequest *request = args->request;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GHashTable) channel_names = NULL;
  g_autoptr(GBytes) pdf = NULL;
  g_autofree char *json = NULL;
  g_autofree char *object = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *fields = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *from = NULL;
  g_autofree char *until = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  PickyStoreContact *contact;
  GError *error = NULL;
  gboolean ok;

  ok = picky_disclosure_request_check (request, &error) &&
       picky_store_exec (w->db, "BEGIN", &error) &&
       (contact = worker_find_contact (w, request->contact_id, &error)) != NULL &&
       (messages = worker_contact_messages (w, request->contact_id, request->from, request->until,
                                            &error)) != NULL &&
       (channel_names = worker_channel_names (w, &error)) != NULL;
  sqlite3_exec (w->db, "COMMIT", NULL, NULL, NULL);

  if (ok)
    {
      json = picky_disclosure_build_json (request,
                                          contact->name,
                                          contact->phone != NULL ? contact->phone : contact->provider_id,
                                          messages, channel_names, now);
      pdf = picky_disclosure_build_pdf (request, json, now, &error);
      ok = pdf != NULL &&
           picky_store_write_file (args->json_path, json, strlen (json), &error);
    }
  if (ok && !picky_store_write_file (args->pdf_path, g_bytes_get_data (pdf, NULL), g_bytes_get_size (pdf), &error))
    {
      g_unlink (args->json_path);
      ok = FALSE;
    }
  if (ok)
    {
      /* The demand and its scope, never what was disclosed. */
      hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, json, -1);
      fields = picky_disclosure_fields_to_string (request->fields);
      from = format_utc (request->from);
      until = format_utc (request->until);
      object = g_strdup_printf ("contact %" G_GINT64_FORMAT, request->contact_id);
      detail = g_strdup_printf ("requester %s; reference %s; reason %s; from %s; until %s; fields %s;"
                                " %u messages; sha256 %s",
                                picky_disclosure_requester_to_string (request->requester),
                                request->reference, request->reason, from, until, fields, messages->len, hash);
      ok = picky_store_exec (w->db, "BEGIN IMMEDIATE", &error) &&
           picky_store_worker_audit (w, "disclose", object, detail, &error) &&
           picky_store_exec (w->db, "COMMIT", &error);
      if (!ok)
        sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
    }

  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* ---- Main thread ---- */

void
picky_erasure_summary_free (PickyErasureSummary *summary)
{
  if (summary == NULL)
    return;

  g_free (summary->name);
  g_free (summary->phone);
  g_free (summary);
}

void
picky_store_purge_with_progress_async (PickyStore             *self,
                                       guint                   days,
                                       PickyStorePurgeProgressFunc  progress,
                                       gpointer                progress_data,
                                       GDestroyNotify          progress_destroy,
                                       GCancellable           *cancellable,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data)
{
  PurgeArgs *args = g_new0 (PurgeArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->days = days;
  args->progress = progress;
  args->progress_data = progress_data;
  args->progress_destroy = progress_destroy;
  task = picky_store_task_new (self, picky_store_purge_async, args, purge_args_free, cancellable, callback,
                               user_data);
  picky_store_queue_job (self, task, purge_run, NULL, NULL);
}

void
picky_store_purge_async (PickyStore          *self,
                         guint                days,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  picky_store_purge_with_progress_async (self, days, NULL, NULL, NULL, cancellable, callback, user_data);
}

/**
 * picky_store_purge_finish:
 *
 * Returns: how many messages were removed, or -1
 */
gint64
picky_store_purge_finish (PickyStore    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

void
picky_store_erase_contact_async (PickyStore          *self,
                                 gint64               contact_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  EraseContactArgs *args = g_new0 (EraseContactArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->contact_id = contact_id;
  task = picky_store_task_new (self, picky_store_erase_contact_async, args, g_free, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, erase_contact_run, NULL, NULL);
}

gboolean
picky_store_erase_contact_finish (PickyStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_int (G_TASK (result), error) >= 0;
}

void
picky_store_summarize_erasure_async (PickyStore          *self,
                                     gint64               contact_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  SummarizeErasureArgs *args = g_new0 (SummarizeErasureArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->contact_id = contact_id;
  task = picky_store_task_new (self, picky_store_summarize_erasure_async, args, g_free, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, summarize_erasure_run, NULL, NULL);
}

/**
 * picky_store_summarize_erasure_finish:
 *
 * Returns: (transfer full): what would go, or %NULL (NOT_FOUND for an
 *   unknown contact)
 */
PickyErasureSummary *
picky_store_summarize_erasure_finish (PickyStore    *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_export_contact_async (PickyStore          *self,
                                  gint64               contact_id,
                                  const char          *path,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  ExportContactArgs *args;
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (path != NULL);

  args = g_new0 (ExportContactArgs, 1);
  args->contact_id = contact_id;
  args->path = g_strdup (path);
  task = picky_store_task_new (self, picky_store_export_contact_async, args, export_contact_args_free,
                               cancellable, callback, user_data);
  picky_store_queue_job (self, task, export_contact_run, NULL, NULL);
}

gboolean
picky_store_export_contact_finish (PickyStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
picky_disclosure_write_async (PickyStore                   *store,
                              const PickyDisclosureRequest *request,
                              const char                   *json_path,
                              const char                   *pdf_path,
                              GCancellable                 *cancellable,
                              GAsyncReadyCallback           callback,
                              gpointer                      user_data)
{
  DiscloseArgs *args;
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (store));
  g_return_if_fail (request != NULL);
  g_return_if_fail (json_path != NULL && pdf_path != NULL);

  args = g_new0 (DiscloseArgs, 1);
  args->request = picky_disclosure_request_copy (request);
  args->json_path = g_strdup (json_path);
  args->pdf_path = g_strdup (pdf_path);
  task = picky_store_task_new (store, picky_disclosure_write_async, args, disclose_args_free, cancellable,
                               callback, user_data);
  picky_store_queue_job (store, task, disclose_run, NULL, NULL);
}

gboolean
picky_disclosure_write_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
