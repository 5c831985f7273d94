/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The message store: SQLite on its own worker thread behind an async API; the worker, its
 * queue, group commit and opening. Each subject's operations are in picky-store-<subject>.c. */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "picky-main-context.h"
#include "picky-store.h"
#include "picky-store-private.h"

/* Write jobs found waiting together are committed in one transaction; this
 * bounds how long the first of them waits for the last. */
#define MAX_GROUP 256
/* While writes come in a burst, the worker lingers for more before it
 * commits: a COMMIT's fsync costs milliseconds whatever the transaction
 * holds, and webhooks answered by the last commit are typically back within
 * a fraction of one. Without the wait, senders split into two cohorts that
 * commit in turn, each paying an fsync for half of them. It waits at most
 * LINGER_GAP_US for each next job and LINGER_MAX_US in all, about one
 * fsync; a lone write after a quiet spell does not wait at all. */
#define LINGER_GAP_US 500
#define LINGER_MAX_US 4000
/* New messages are indexed for search in batches (picky-store-indexer.c):
 * once this many are stored and no job waits (a batch's index work takes
 * milliseconds, which a waiting webhook would wait too), or once
 * INDEX_BATCH_MAX are stored whatever waits; */
#define INDEX_BATCH 500
#define INDEX_BATCH_MAX 2000
/* or once no job has come for this long, so that the index is complete
 * soon after a burst without waiting for a search. */
gint64 picky_store_index_idle_us = 200 * 1000;

static const char *stmt_sql[PICKY_STORE_N_STMTS] = {
  [PICKY_STORE_STMT_INSERT_MESSAGE] = picky_store_sql_insert_message,
  [PICKY_STORE_STMT_FIND_MESSAGE] = "SELECT id, status FROM messages WHERE channel_id = ?1 AND key_hash = ?2",
  [PICKY_STORE_STMT_EDIT_MESSAGE] = "UPDATE messages SET text = ?3, edited = 1"
                                    " WHERE channel_id = ?1 AND key_hash = ?2 RETURNING id",
  [PICKY_STORE_STMT_SET_STATUS] = "UPDATE messages SET status = ?2, error = ?3 WHERE id = ?1",
  [PICKY_STORE_STMT_SEAL_MESSAGE] = picky_store_sql_seal_message,
  [PICKY_STORE_STMT_FIND_CONTACT] = "SELECT " PICKY_STORE_CONTACT_COLUMNS
                                    " FROM contacts WHERE provider_hash = ?1",
  [PICKY_STORE_STMT_GET_CONTACT] = "SELECT " PICKY_STORE_CONTACT_COLUMNS " FROM contacts WHERE id = ?1",
  [PICKY_STORE_STMT_INSERT_CONTACT] = picky_store_sql_insert_contact,
  [PICKY_STORE_STMT_SET_CONTACT_PROVIDER_ID] = picky_store_sql_set_contact_provider_id,
  [PICKY_STORE_STMT_SET_CONTACT_NAME] = picky_store_sql_set_contact_name,
  [PICKY_STORE_STMT_SET_CONTACT_PHONE] = picky_store_sql_set_contact_phone,
  [PICKY_STORE_STMT_ADD_CONTACT_DAY] = picky_store_sql_add_contact_day,
  [PICKY_STORE_STMT_ADD_DAILY] = picky_store_sql_add_daily,
  [PICKY_STORE_STMT_ADD_CONTACT_HOUR] = picky_store_sql_add_contact_hour,
  [PICKY_STORE_STMT_ADD_RESPONSE_HOUR] = picky_store_sql_add_response_hour,
  [PICKY_STORE_STMT_LAST_WAIT] = picky_store_sql_last_wait,
  [PICKY_STORE_STMT_INSERT_WAIT] = picky_store_sql_insert_wait,
  [PICKY_STORE_STMT_END_WAIT] = picky_store_sql_end_wait,
  [PICKY_STORE_STMT_WAIT_MESSAGES] = picky_store_sql_wait_messages,
  [PICKY_STORE_STMT_ADD_REPLY_HOUR] = picky_store_sql_add_reply_hour,
  [PICKY_STORE_STMT_ADD_CONTACT_SPAN] = picky_store_sql_add_contact_span,
  [PICKY_STORE_STMT_SET_STATE] = "INSERT INTO channel_state (channel_id, key, value) VALUES (?1, ?2, ?3)"
                                 " ON CONFLICT (channel_id, key) DO UPDATE SET value = excluded.value",
  [PICKY_STORE_STMT_CLEAR_STATE] = "DELETE FROM channel_state WHERE channel_id = ?1 AND key = ?2",
  [PICKY_STORE_STMT_TOUCH_CONVERSATION] = picky_store_sql_touch_conversation,
  [PICKY_STORE_STMT_READ_CONVERSATION] = picky_store_sql_read_conversation,
  [PICKY_STORE_STMT_NOTE_LAST_IN] = "UPDATE channels SET last_in = ?2"
                                    " WHERE id = ?1 AND coalesce (last_in, 0) < ?2",
  /* A write group's statements, prepared once: a group runs a savepoint
   * for every webhook it answers, and groups follow each other. */
  [PICKY_STORE_STMT_BEGIN_GROUP] = "BEGIN IMMEDIATE",
  [PICKY_STORE_STMT_COMMIT_GROUP] = "COMMIT",
  [PICKY_STORE_STMT_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
  [PICKY_STORE_STMT_SYNC_FULL] = "PRAGMA synchronous = FULL",
  [PICKY_STORE_STMT_SAVEPOINT_JOB] = "SAVEPOINT job",
  [PICKY_STORE_STMT_RELEASE_JOB] = "RELEASE job",
  [PICKY_STORE_STMT_ROLLBACK_JOB] = "ROLLBACK TO job",
};

typedef struct _Job Job;

struct _Job {
  PickyStoreJobRun run;
  PickyStoreJobWrite write;
  PickyStoreJobDone done;
  GTask *task;
  GError *error;
  gboolean stop;
  /* The write can run again from the start after its transaction was
   * rolled back (see worker_run_writes()). */
  gboolean rerunnable;
};

struct _PickyStore
{
  GObject parent_instance;

  GAsyncQueue *queue;
  GThread *thread;
  gboolean closed;
  /* Set by the worker before the open task returns, then never changed. */
  char *database_id;
};

G_DEFINE_FINAL_TYPE (PickyStore, picky_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (picky-store-error-quark, picky_store_error)

static guint signals[PICKY_STORE_N_SIGNALS];

gint64
picky_store_floor_day (gint64 timestamp)
{
  gint64 day = timestamp / PICKY_STORE_DAY;

  return (timestamp % PICKY_STORE_DAY < 0) ? day - 1 : day;
}

gint64
picky_store_floor_hour (gint64 timestamp)
{
  gint64 hour = timestamp / 3600;

  return (timestamp % 3600 < 0) ? hour - 1 : hour;
}

static gboolean
set_closed_error (GError **error)
{
  g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED,
               _("The message database is closed"));
  return FALSE;
}

/* ---- Worker thread: statements ---- */

sqlite3_stmt *
picky_store_worker_stmt (PickyStoreWorker *w,
                         PickyStoreStmt    id)
{
  sqlite3_stmt *stmt = w->stmts[id];

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return stmt;
}

/* Returns SQLITE_ROW or SQLITE_DONE, or 0 with @error set. */
int
picky_store_worker_step (PickyStoreWorker  *w,
                         sqlite3_stmt      *stmt,
                         GError           **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;

  /* Report the step's own result: reset returns it again, and the
   * connection's error code may already be overwritten. */
  rc = sqlite3_reset (stmt);
  picky_store_set_sqlite_error (error, w->db, rc != SQLITE_OK ? rc : SQLITE_ERROR);
  return 0;
}

/* Steps through result rows after a prepare that left @rc; the final
 * result, SQLITE_DONE when all went well, stays in @rc. */
gboolean
picky_store_next_row (sqlite3_stmt *stmt,
                      int          *rc)
{
  if (*rc != SQLITE_OK && *rc != SQLITE_ROW)
    return FALSE;

  *rc = sqlite3_step (stmt);
  return *rc == SQLITE_ROW;
}

/* A statement run once: prepared here, stepped and finalized by
 * picky_store_worker_finish(). Returns NULL with @error set when it does
 * not compile. */
sqlite3_stmt *
picky_store_worker_prepare (PickyStoreWorker  *w,
                            const char        *sql,
                            GError           **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (w->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    picky_store_set_sqlite_error (error, w->db, rc);

  return stmt;
}

/* Runs @stmt from picky_store_worker_prepare() to its end and finalizes
 * it. Returns the number of rows it changed, or -1 with @error set from the
 * step's own result. */
gint64
picky_store_worker_finish (PickyStoreWorker  *w,
                           sqlite3_stmt      *stmt,
                           GError           **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return -1;
    }

  return sqlite3_changes64 (w->db);
}

/* Runs @sql with ?1 bound to @value; returns the number of rows changed, or -1. */
gint64
picky_store_worker_exec_int (PickyStoreWorker  *w,
                             const char        *sql,
                             gint64             value,
                             GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_prepare (w, sql, error);

  if (stmt == NULL)
    return -1;

  sqlite3_bind_int64 (stmt, 1, value);
  return picky_store_worker_finish (w, stmt, error);
}

gboolean
picky_store_worker_run_done (PickyStoreWorker  *w,
                             sqlite3_stmt      *stmt,
                             GError           **error)
{
  gboolean ok = picky_store_worker_step (w, stmt, error) != 0;

  sqlite3_reset (stmt);
  return ok;
}

char *
picky_store_worker_decrypt (PickyStoreWorker  *w,
                            sqlite3_stmt      *stmt,
                            int                column,
                            const char        *table,
                            const char        *name,
                            gint64             row_id,
                            GError           **error)
{
  g_autoptr(GBytes) bytes = NULL;
  char *plain;

  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return NULL;

  bytes = g_bytes_new (sqlite3_column_blob (stmt, column), sqlite3_column_bytes (stmt, column));
  plain = picky_cipher_decrypt (w->cipher, bytes, table, name, row_id, error);
  if (plain == NULL && error != NULL && *error != NULL)
    {
      g_autoptr(GError) local = g_steal_pointer (error);

      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CORRUPT,
                   _("Personal details in the message database cannot be decrypted: %s"),
                   local->message);
    }

  return plain;
}

/* ---- Worker thread: group commit ---- */

typedef struct {
  PickyStore *store;
  GPtrArray *added;
  guint signal_id;
} Emission;

static void
emission_free (gpointer data)
{
  Emission *emission = data;

  g_object_unref (emission->store);
  g_ptr_array_unref (emission->added);
  g_free (emission);
}

static gboolean
emit_messages_added_cb (gpointer data)
{
  Emission *emission = data;

  g_signal_emit (emission->store, emission->signal_id, 0, emission->added);
  return G_SOURCE_REMOVE;
}

/* Hands @messages to @signal on the store's main context. */
void
picky_store_worker_emit (PickyStoreWorker *w,
                         GTask            *task,
                         PickyStoreSignal  signal,
                         GPtrArray        *messages)
{
  Emission *emission = g_new0 (Emission, 1);

  emission->store = g_object_ref (g_task_get_source_object (task));
  emission->added = g_ptr_array_ref (messages);
  emission->signal_id = signals[signal];
  picky_main_context_dispatch (w->context, emit_messages_added_cb, emission, emission_free);
}

/* The end of a write that only says it was committed. */
void
picky_store_boolean_done (PickyStoreWorker *w,
                          GTask            *task)
{
  g_task_return_boolean (task, TRUE);
}

static void job_free (Job *job);

static gboolean
worker_run_stmt (PickyStoreWorker  *w,
                 PickyStoreStmt     id,
                 GError           **error)
{
  return picky_store_worker_run_done (w, picky_store_worker_stmt (w, id), error);
}

/* Runs the writes of @jobs in the open transaction. With @savepoints each
 * runs in a savepoint of its own, so that one that fails is undone alone
 * and the others go on; @error is then set only when the transaction
 * itself fails. Without, the first write to fail ends the pass: the caller
 * undoes the whole transaction. A savepoint costs each write a copy of
 * every page it changes first, and a flush of the search index's pending
 * words: about a third of a webhook's time in the store. */
static gboolean
worker_run_writes (PickyStoreWorker  *w,
                   GPtrArray         *jobs,
                   gboolean           savepoints,
                   GError           **error)
{
  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);

      if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (job->task), &job->error))
        continue;

      if (!savepoints)
        {
          if (!job->write (w, job->task, &job->error))
            return FALSE;
          continue;
        }

      if (!worker_run_stmt (w, PICKY_STORE_STMT_SAVEPOINT_JOB, error))
        return FALSE;
      if (!job->write (w, job->task, &job->error))
        {
          worker_run_stmt (w, PICKY_STORE_STMT_ROLLBACK_JOB, NULL);
          picky_store_worker_forget_contacts (w);
        }
      worker_run_stmt (w, PICKY_STORE_STMT_RELEASE_JOB, NULL);
    }

  return TRUE;
}

static void
worker_run_group (PickyStoreWorker *w,
                  GPtrArray        *jobs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) durable = NULL;

  /* With a syncer, the commit does not wait for the disk: its jobs are
   * finished once the syncer has synced the log (on_synced()). */
  if (w->db == NULL)
    set_closed_error (&error);
  else if ((w->syncer == NULL || worker_run_stmt (w, PICKY_STORE_STMT_SYNC_NORMAL, &error)) &&
           worker_run_stmt (w, PICKY_STORE_STMT_BEGIN_GROUP, &error))
    {
      gboolean plain = TRUE;

      for (guint i = 0; plain && i < jobs->len; i++)
        plain = ((Job *) g_ptr_array_index (jobs, i))->rerunnable;

      w->group_touched = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
      if (plain && !worker_run_writes (w, jobs, FALSE, &error) && error == NULL)
        {
          /* A write failed: the group is undone and written again, each
           * write in a savepoint of its own, so that it fails alone. */
          sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
          picky_store_worker_forget_contacts (w);
          for (guint i = 0; i < w->group_touched->len; i++)
            g_hash_table_remove_all (g_ptr_array_index (w->group_touched, i));
          g_ptr_array_set_size (w->group_touched, 0);
          for (guint i = 0; i < jobs->len; i++)
            g_clear_error (&((Job *) g_ptr_array_index (jobs, i))->error);
          plain = FALSE;
          if (!worker_run_stmt (w, PICKY_STORE_STMT_BEGIN_GROUP, &error))
            {
              g_clear_pointer (&w->group_touched, g_ptr_array_unref);
              goto answer;
            }
        }
      if (!plain)
        worker_run_writes (w, jobs, TRUE, &error);

      if (error == NULL)
        picky_store_worker_read_back_conversations (w, w->group_touched, &error);
      g_clear_pointer (&w->group_touched, g_ptr_array_unref);
      if (error != NULL || !worker_run_stmt (w, PICKY_STORE_STMT_COMMIT_GROUP, &error))
        {
          sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
          picky_store_worker_forget_contacts (w);
        }
    }
answer:
  if (w->syncer != NULL && w->db != NULL)
    worker_run_stmt (w, PICKY_STORE_STMT_SYNC_FULL, NULL);

  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);

      if (job->error != NULL)
        g_task_return_error (job->task, g_steal_pointer (&job->error));
      else if (error != NULL)
        g_task_return_error (job->task, g_error_copy (error));
      else if (w->syncer != NULL)
        {
          if (durable == NULL)
            durable = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);
          g_ptr_array_add (durable, g_steal_pointer (&jobs->pdata[i]));
        }
      else
        job->done (w, job->task);
    }
  if (durable != NULL)
    picky_store_syncer_add (w->syncer, g_steal_pointer (&durable));
}

/* On the syncer's thread: the jobs' commit is durable (or, with
 * @sync_errno, may not be), so they are answered from here at once rather
 * than after whatever group the worker is writing meanwhile. Their done
 * functions read no database: what they hand on was read back with their
 * group. */
static void
on_synced (GPtrArray *jobs,
           int        sync_errno,
           gpointer   user_data)
{
  PickyStoreWorker *w = user_data;

  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);

      if (sync_errno != 0)
        {
          GError *error = NULL;

          picky_store_set_sqlite_error (&error, NULL, sync_errno == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_FSYNC);
          g_task_return_error (job->task, error);
        }
      else
        {
          job->done (w, job->task);
        }
    }
  g_ptr_array_unref (jobs);
}

/* ---- Worker thread: the loop ---- */

static void
job_free (Job *job)
{
  if (job == NULL)
    return;
  g_clear_error (&job->error);
  g_clear_object (&job->task);
  g_free (job);
}

static void
worker_free (PickyStoreWorker *w)
{
  for (guint i = 0; i < PICKY_STORE_N_STMTS; i++)
    g_clear_pointer (&w->stmts[i], sqlite3_finalize);
  g_clear_pointer (&w->indexer, picky_store_indexer_free);
  g_clear_pointer (&w->syncer, picky_store_syncer_free);
  g_clear_pointer (&w->checkpointer, picky_store_checkpointer_free);
  if (w->db != NULL)
    sqlite3_close (w->db);
  g_clear_pointer (&w->contacts_by_id, g_hash_table_unref);
  g_clear_pointer (&w->contacts_by_key, g_hash_table_unref);
  g_clear_pointer (&w->channels, g_hash_table_unref);
  g_clear_pointer (&w->context, g_main_context_unref);
  g_clear_pointer (&w->queue, g_async_queue_unref);
  g_clear_object (&w->cipher);
  g_clear_pointer (&w->business_hours, picky_business_hours_unref);
  g_free (w->recount_text);
  g_free (w->path);
  g_free (w);
}

static void open_run (PickyStoreWorker *w,
                      GTask            *task);

/* Adds the writes that arrive within the linger to @group; a job that is
 * not a write ends it and is left in @next. */
static void
worker_linger (PickyStoreWorker *w,
               GPtrArray        *group,
               Job             **next)
{
  gint64 deadline = g_get_monotonic_time () + LINGER_MAX_US;
  gint64 left;

  while (group->len < MAX_GROUP && (left = deadline - g_get_monotonic_time ()) > 0)
    {
      *next = g_async_queue_timeout_pop (w->queue, MIN (LINGER_GAP_US, left));
      if (*next == NULL || (*next)->write == NULL)
        return;
      g_ptr_array_add (group, g_steal_pointer (next));
    }
}

/* With @wait_for_disk the commit syncs: while nothing waits, so that the
 * next group's sync, which a webhook's answer waits for, does not also
 * write the index's pages. Otherwise nothing waits for this commit to be on
 * disk: should it be lost, the messages are still listed, and the next
 * group's sync covers it. */
static gboolean
worker_index (PickyStoreWorker  *w,
              gboolean           wait_for_disk,
              GError           **error)
{
  gboolean ok;

  if (!picky_store_indexer_pending (w->indexer))
    {
      w->unindexed = 0;
      return TRUE;
    }

  if (!wait_for_disk && w->syncer != NULL && !worker_run_stmt (w, PICKY_STORE_STMT_SYNC_NORMAL, error))
    return FALSE;
  ok = worker_run_stmt (w, PICKY_STORE_STMT_BEGIN_GROUP, error);
  if (ok)
    {
      ok = picky_store_indexer_run (w->indexer, error) >= 0 &&
           worker_run_stmt (w, PICKY_STORE_STMT_COMMIT_GROUP, error);
      if (!ok)
        sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
    }
  if (!wait_for_disk && w->syncer != NULL)
    worker_run_stmt (w, PICKY_STORE_STMT_SYNC_FULL, NULL);
  if (ok)
    w->unindexed = 0;

  return ok;
}

gboolean
picky_store_worker_index_messages (PickyStoreWorker  *w,
                                   GError           **error)
{
  return worker_index (w, FALSE, error);
}

/* Indexes in the background; a failure is tried again with the next
 * messages or search. */
static void
worker_index_now (PickyStoreWorker *w,
                  gboolean          wait_for_disk)
{
  g_autoptr(GError) error = NULL;

  if (w->db != NULL && w->indexer != NULL && !worker_index (w, wait_for_disk, &error))
    g_warning ("New messages could not be indexed for search: %s", error->message);
  w->unindexed = 0;
}

static gpointer
worker_main (gpointer data)
{
  PickyStoreWorker *w = data;
  Job *next = NULL;
  guint last_group_len = 0;

  w->thread = g_thread_self ();

  for (;;)
    {
      Job *job = g_steal_pointer (&next);

      /* New messages are indexed for search once INDEX_BATCH of them are
       * stored, or when nothing has come for picky_store_index_idle_us. */
      if (job == NULL && w->unindexed > 0 &&
          (job = g_async_queue_timeout_pop (w->queue, picky_store_index_idle_us)) == NULL)
        {
          worker_index_now (w, TRUE);
          continue;
        }
      if (job == NULL)
        job = g_async_queue_pop (w->queue);

      if (job->stop)
        {
          job_free (job);
          /* Writes already committed are answered once synced; a step a
           * long operation queued after the stop never runs. */
          g_clear_pointer (&w->syncer, picky_store_syncer_free);
          while ((job = g_async_queue_try_pop (w->queue)) != NULL)
            {
              if (job->task != NULL)
                g_task_return_new_error (job->task, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED,
                                         _("The message database is closed"));
              job_free (job);
            }
          break;
        }

      if (job->write != NULL)
        {
          g_autoptr(GPtrArray) group = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);

          /* Whatever else is already waiting joins this transaction: one
           * fsync for all of it. */
          g_ptr_array_add (group, job);
          while (group->len < MAX_GROUP && (next = g_async_queue_try_pop (w->queue)) != NULL)
            {
              if (next->write == NULL)
                break;
              g_ptr_array_add (group, g_steal_pointer (&next));
            }
          if (next == NULL && last_group_len > 1 && w->syncer == NULL)
            worker_linger (w, group, &next);
          last_group_len = group->len;
          worker_run_group (w, group);
          if (w->unindexed >= INDEX_BATCH)
            {
              gboolean idle = next == NULL && g_async_queue_length (w->queue) <= 0;

              if (idle || w->unindexed >= INDEX_BATCH_MAX)
                worker_index_now (w, idle);
            }
        }
      else
        {
          if (w->db == NULL && job->run != open_run)
            g_task_return_new_error (job->task, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED,
                                     _("The message database is closed"));
          else if (!g_task_return_error_if_cancelled (job->task))
            job->run (w, job->task);
          job_free (job);
        }
    }

  worker_free (w);
  return NULL;
}

/* ---- Worker thread: open ---- */

/* Tries the cipher on the oldest sealed provider id. Reading stays possible
 * with a wrong key (details show as unknown), writing contacts does not. */
static gboolean
worker_check_key (PickyStoreWorker  *w,
                  GError           **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db,
                           "SELECT id, provider_id_enc FROM contacts"
                           " WHERE provider_id_enc IS NOT NULL ORDER BY id LIMIT 1",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(GError) local = NULL;
      g_autofree char *plain = picky_store_worker_decrypt (w, stmt, 1, "contacts", "provider_id",
                                                           sqlite3_column_int64 (stmt, 0), &local);

      w->wrong_key = plain == NULL;
      rc = SQLITE_DONE;
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return FALSE;
    }

  return TRUE;
}

static gboolean
set_not_private_error (GError     **error,
                       const char  *path,
                       int          saved_errno)
{
  g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_IO,
               _("Other users could read “%s”, and it could not be made private: %s"),
               path, g_strerror (saved_errno));
  return FALSE;
}

/* Closes @fd's file to everyone but its owner, when it is open to more. */
static gboolean
tighten_fd (int          fd,
            mode_t       mode,
            const char  *path,
            GError     **error)
{
  struct stat st;

  if (fstat (fd, &st) == 0 && (st.st_mode & 0777) == mode)
    return TRUE;

  if (fchmod (fd, mode) != 0)
    return set_not_private_error (error, path, errno);

  return TRUE;
}

/* Tightens a file SQLite made beside the database, if there is one. */
static gboolean
tighten_companion (const char  *path,
                   const char  *suffix,
                   GError     **error)
{
  g_autofree char *name = g_strconcat (path, suffix, NULL);
  int fd = g_open (name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
  gboolean ok;

  if (fd < 0)
    return TRUE;

  ok = tighten_fd (fd, 0600, name, error);
  close (fd);
  return ok;
}

/* The folder is tightened only when it is the user's own and holds nothing
 * but the database's files: a folder shared with anything else was set up
 * by someone for more than this database, and is theirs to change. */
static gboolean
tighten_folder (const char  *dir,
                const char  *path,
                GError     **error)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr(GDir) entries = NULL;
  const char *name;
  GStatBuf st;

  if (g_stat (dir, &st) != 0 || (st.st_mode & 0777) == 0700 || st.st_uid != geteuid ())
    return TRUE;

  entries = g_dir_open (dir, 0, NULL);
  if (entries == NULL)
    return TRUE;
  while ((name = g_dir_read_name (entries)) != NULL)
    if (!g_str_has_prefix (name, base))
      return TRUE;

  if (g_chmod (dir, 0700) != 0)
    return set_not_private_error (error, dir, errno);

  return TRUE;
}

/* The file is created here, not by SQLite, so that it is 0600 from its
 * first byte; SQLite gives the -wal and -shm files it makes the same mode.
 * A folder or files that a copy, a restore from backup or an older build
 * left readable by others are made private again first, so that the log
 * and index files made from them are private too. */
static gboolean
prepare_file (const char  *path,
              GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  gboolean ok;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, PICKY_STORE_ERROR,
                   saved == ENOSPC ? PICKY_STORE_ERROR_FULL : PICKY_STORE_ERROR_IO,
                   _("The folder for the message database could not be created: %s"),
                   g_strerror (saved));
      return FALSE;
    }

  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_IO,
                   _("The message database could not be opened: %s"), g_strerror (saved));
      return FALSE;
    }
  ok = tighten_fd (fd, 0600, path, error);
  close (fd);

  return ok &&
         tighten_companion (path, "-wal", error) &&
         tighten_companion (path, "-shm", error) &&
         tighten_companion (path, "-journal", error) &&
         tighten_folder (dir, path, error);
}

typedef struct {
  PickyStoreProgressFunc func;
  gpointer data;
  double fraction;
} ProgressReport;

static gboolean
report_progress_cb (gpointer data)
{
  ProgressReport *report = data;

  report->func (report->fraction, report->data);
  return G_SOURCE_REMOVE;
}

/* On the worker, from the migration: handed on to the opener's context
 * at each whole per cent, not at every report. */
static void
on_migrate_progress_cb (double   fraction,
                        gpointer data)
{
  PickyStoreWorker *w = data;
  ProgressReport *report;

  if (fraction < w->progress_told + 0.01)
    return;

  w->progress_told = fraction;
  report = g_new0 (ProgressReport, 1);
  report->func = w->progress_func;
  report->data = w->progress_data;
  report->fraction = fraction;
  picky_main_context_dispatch (w->context, report_progress_cb, report, g_free);
}

static void
open_run (PickyStoreWorker *w,
          GTask            *task)
{
  PickyStore *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  int rc;

  if (!prepare_file (w->path, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  picky_store_vfs_register ();
  rc = sqlite3_open_v2 (w->path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      picky_store_set_sqlite_error (&error, w->db, rc);
      goto failed;
    }
  sqlite3_extended_result_codes (w->db, TRUE);

  if (!picky_store_schema_configure (w->db, &error) ||
      !picky_store_schema_migrate_with_progress (w->db, w->cipher,
                                                 w->progress_func != NULL ? on_migrate_progress_cb : NULL,
                                                 w, &error) ||
      !picky_store_worker_load_business_hours (w, &error))
    goto failed;

  for (guint i = 0; i < PICKY_STORE_N_STMTS; i++)
    {
      rc = sqlite3_prepare_v3 (w->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &w->stmts[i], NULL);
      if (rc != SQLITE_OK)
        {
          picky_store_set_sqlite_error (&error, w->db, rc);
          goto failed;
        }
    }

  if (!picky_store_worker_load_channels (w, &error) || !worker_check_key (w, &error))
    goto failed;

  w->indexer = picky_store_indexer_new (w->db, &error);
  if (w->indexer == NULL)
    goto failed;
  /* Messages a previous run stored and did not index are indexed once
   * nothing else waits. */
  w->unindexed = picky_store_indexer_pending (w->indexer) ? 1 : 0;

  w->checkpointer = picky_store_checkpointer_new (w->db, w->path, &error);
  if (w->checkpointer == NULL)
    goto failed;
  {
    g_autofree char *wal = g_strconcat (w->path, "-wal", NULL);

    w->syncer = picky_store_syncer_new (wal, on_synced, w);
  }

  self->database_id = picky_store_schema_read_id (w->db, &error);
  if (self->database_id == NULL)
    goto failed;

  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
  return;

failed:
  for (guint i = 0; i < PICKY_STORE_N_STMTS; i++)
    g_clear_pointer (&w->stmts[i], sqlite3_finalize);
  g_clear_pointer (&w->indexer, picky_store_indexer_free);
  g_clear_pointer (&w->syncer, picky_store_syncer_free);
  g_clear_pointer (&w->checkpointer, picky_store_checkpointer_free);
  g_clear_pointer (&w->db, sqlite3_close);
  g_task_return_error (task, g_steal_pointer (&error));
}

/* ---- Identifying without the key ---- */

/* Rows that hold a value sealed or hashed with the data key, by the schema
 * version that introduced them: a new key would leave any of them unreadable
 * or unfindable. From version 6 every contact has a sealed id, and media
 * of messages without a contact are the only other sealed values; from
 * version 7 every message has a hashed and sealed key. */
static const struct {
  int         since;
  const char *sql;
} keyed_rows[] = {
  { 1, "SELECT 1 FROM contacts WHERE name_enc IS NOT NULL OR phone_enc IS NOT NULL"
       " OR phone_hash IS NOT NULL LIMIT 1" },
  { 2, "SELECT 1 FROM devices WHERE name_enc IS NOT NULL OR details_enc IS NOT NULL LIMIT 1" },
  { 5, "SELECT 1 FROM devices WHERE token_hash IS NOT NULL LIMIT 1" },
  { 5, "SELECT 1 FROM pairing_codes LIMIT 1" },
  { 6, "SELECT 1 FROM contacts LIMIT 1" },
  { 6, "SELECT 1 FROM messages WHERE contact_id IS NULL AND media IS NOT NULL LIMIT 1" },
  { 7, "SELECT 1 FROM messages LIMIT 1" },
};

static gboolean
peek_has_keyed_rows (sqlite3  *db,
                     GError  **error)
{
  int version = picky_store_get_pragma_int (db, "PRAGMA user_version", error);
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (version < 0)
    return FALSE;

  /* A file of a newer version may seal things this one does not know. */
  if (version > PICKY_STORE_SCHEMA_VERSION)
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (keyed_rows); i++)
    {
      if (keyed_rows[i].since > version)
        continue;

      rc = sqlite3_prepare_v2 (db, keyed_rows[i].sql, -1, &stmt, NULL);
      if (rc == SQLITE_OK)
        rc = sqlite3_step (stmt);
      sqlite3_finalize (stmt);
      if (rc == SQLITE_ROW)
        return TRUE;
      if (rc != SQLITE_DONE)
        {
          picky_store_set_sqlite_error (error, db, rc);
          return FALSE;
        }
    }

  return FALSE;
}

typedef struct {
  char     *database_id;
  gboolean  has_keyed_rows;
} Identity;

static void
identity_free (Identity *identity)
{
  g_free (identity->database_id);
  g_free (identity);
}

static void
identify_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(GError) error = NULL;
  Identity *identity = g_new0 (Identity, 1);
  sqlite3 *db = NULL;
  int rc;

  /* The id is made before the data key is asked for, since it names the
   * key: so a new file is made here, with the same care as by the store. */
  if (!prepare_file (path, &error))
    goto out;

  picky_store_vfs_register ();
  rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      picky_store_set_sqlite_error (&error, db, rc);
      goto out;
    }
  sqlite3_extended_result_codes (db, TRUE);

  if (!picky_store_schema_configure (db, &error))
    goto out;
  identity->database_id = picky_store_schema_ensure_id (db, &error);
  if (identity->database_id != NULL)
    identity->has_keyed_rows = peek_has_keyed_rows (db, &error);

out:
  sqlite3_close (db);

  if (error != NULL)
    {
      identity_free (identity);
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else
    {
      g_task_return_pointer (task, identity, (GDestroyNotify) identity_free);
    }
}

void
picky_store_return_sqlite_error (PickyStoreWorker *w,
                                 GTask            *task,
                                 int               rc)
{
  g_autoptr(GError) error = NULL;

  picky_store_set_sqlite_error (&error, w->db, rc);
  g_task_return_error (task, g_steal_pointer (&error));
}

void
picky_store_bind_named_int64 (sqlite3_stmt *stmt,
                              const char   *name,
                              gint64        value)
{
  int index = sqlite3_bind_parameter_index (stmt, name);

  if (index > 0)
    sqlite3_bind_int64 (stmt, index, value);
}

/* ---- Main thread ---- */

/* A task of the operation @tag that owns @args, the operation's arguments,
 * freed with @args_free (NULL when there are none). */
GTask *
picky_store_task_new (PickyStore          *self,
                      gpointer             tag,
                      gpointer             args,
                      GDestroyNotify       args_free,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  if (args != NULL)
    g_task_set_task_data (task, args, args_free);

  return task;
}

static void
queue_job (PickyStore         *self,
           GTask              *task,
           PickyStoreJobRun    run,
           PickyStoreJobWrite  write,
           PickyStoreJobDone   done,
           gboolean            rerunnable)
{
  Job *job;

  if (self->closed)
    {
      g_task_return_new_error (task, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED,
                               _("The message database is closed"));
      g_object_unref (task);
      return;
    }

  job = g_new0 (Job, 1);
  job->run = run;
  job->write = write;
  job->done = done;
  job->task = task;
  job->rerunnable = rerunnable;
  g_async_queue_push (self->queue, job);
}

void
picky_store_queue_job (PickyStore         *self,
                       GTask              *task,
                       PickyStoreJobRun    run,
                       PickyStoreJobWrite  write,
                       PickyStoreJobDone   done)
{
  queue_job (self, task, run, write, done, FALSE);
}

/* Queues a write that changes nothing but the database, its task's
 * arguments and the store's caches, so that it can run again from the
 * start: a group of such writes runs without a savepoint for each. */
void
picky_store_queue_rerunnable_write (PickyStore         *self,
                                    GTask              *task,
                                    PickyStoreJobWrite  write,
                                    PickyStoreJobDone   done)
{
  queue_job (self, task, NULL, write, done, TRUE);
}

void
picky_store_worker_requeue (PickyStoreWorker *w,
                            GTask            *task,
                            PickyStoreJobRun  run)
{
  Job *job = g_new0 (Job, 1);

  job->run = run;
  job->task = g_object_ref (task);
  g_async_queue_push (w->queue, job);
}

static void
picky_store_dispose (GObject *object)
{
  picky_store_close (PICKY_STORE (object));

  G_OBJECT_CLASS (picky_store_parent_class)->dispose (object);
}

static void
picky_store_finalize (GObject *object)
{
  PickyStore *self = PICKY_STORE (object);

  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->database_id, g_free);

  G_OBJECT_CLASS (picky_store_parent_class)->finalize (object);
}

static void
picky_store_class_init (PickyStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_store_dispose;
  object_class->finalize = picky_store_finalize;

  /**
   * PickyStore::messages-added:
   * @messages: (element-type PickyMessage): the new messages of one batch
   *
   * Emitted once per committed batch that had new messages, on the main
   * context of the thread that opened the store.
   */
  signals[PICKY_STORE_SIGNAL_MESSAGES_ADDED] =
    g_signal_new ("messages-added",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);

  /**
   * PickyStore::messages-changed:
   * @messages: (element-type PickyMessage): messages whose stored row changed
   *
   * Emitted once per committed batch that edited texts or moved statuses of
   * stored messages, and when an outgoing message's send is recorded. An
   * edit carries its id and new text, a status report its id, status and
   * error; a recorded send carries the whole row.
   */
  signals[PICKY_STORE_SIGNAL_MESSAGES_CHANGED] =
    g_signal_new ("messages-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);

  /**
   * PickyStore::conversations-changed:
   * @conversations: (element-type PickyConversation): the conversations one
   *   committed write changed, as stored after it, newest activity first
   *
   * Emitted once per committed batch, reply, read, unread or Done mark
   * that changed conversations, on the same main context as the other
   * signals and after messages-added and messages-changed of the same batch.
   */
  signals[PICKY_STORE_SIGNAL_CONVERSATIONS_CHANGED] =
    g_signal_new ("conversations-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
}

static void
picky_store_init (PickyStore *self)
{
  self->queue = g_async_queue_new ();
}

/**
 * picky_store_default_path:
 *
 * Returns: (transfer full): the database file in the user's data folder
 */
char *
picky_store_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "picky-console", "picky-console.db", NULL);
}

/**
 * picky_store_open_async:
 * @path: the database file; it and its folder are created when missing
 * @cipher: encrypts and decrypts the personal details
 *
 * Opens the database on a new worker thread and brings its schema up to
 * date. Signals of the store are emitted on the calling thread's main context.
 */
void
picky_store_open_async (const char          *path,
                        PickyCipher         *cipher,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  picky_store_open_with_progress_async (path, cipher, NULL, NULL, cancellable, callback, user_data);
}

/**
 * picky_store_open_with_progress_async:
 * @progress_func: (nullable): told, on the calling thread's main context,
 *   how far bringing an earlier version's database up to date has come;
 *   never after the open's own callback, so @progress_data needs to live
 *   only until then
 *
 * Opens the database as picky_store_open_async() does; finish with
 * picky_store_open_finish(). A current database reports no progress.
 */
void
picky_store_open_with_progress_async (const char             *path,
                                      PickyCipher            *cipher,
                                      PickyStoreProgressFunc  progress_func,
                                      gpointer                progress_data,
                                      GCancellable           *cancellable,
                                      GAsyncReadyCallback     callback,
                                      gpointer                user_data)
{
  g_autoptr(PickyStore) self = NULL;
  g_autoptr(GError) error = NULL;
  GTask *task;
  PickyStoreWorker *w;

  g_return_if_fail (path != NULL);
  g_return_if_fail (PICKY_IS_CIPHER (cipher));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  self = g_object_new (PICKY_TYPE_STORE, NULL);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_store_open_async);

  w = g_new0 (PickyStoreWorker, 1);
  w->queue = g_async_queue_ref (self->queue);
  w->path = g_strdup (path);
  w->cipher = g_object_ref (cipher);
  w->context = g_main_context_ref_thread_default ();
  w->progress_func = progress_func;
  w->progress_data = progress_data;
  w->channels = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, picky_store_channel_free);
  w->contacts_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, picky_store_contact_free);
  w->contacts_by_id = g_hash_table_new (g_int64_hash, g_int64_equal);

  self->thread = g_thread_try_new ("picky-store", worker_main, w, &error);
  if (self->thread == NULL)
    {
      self->closed = TRUE;
      worker_free (w);
      g_task_return_new_error (task, PICKY_STORE_ERROR, PICKY_STORE_ERROR_FAILED,
                               _("The message database could not start: %s"), error->message);
      g_object_unref (task);
      return;
    }

  picky_store_queue_job (self, task, open_run, NULL, NULL);
}

/**
 * picky_store_open_finish:
 *
 * Returns: (transfer full): the open store, or %NULL
 */
PickyStore *
picky_store_open_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == picky_store_open_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_identify_async:
 * @path: the database file; it and its folder are created when missing
 *
 * Reads the database's id, making it first when the file has none, and
 * looks, without the data key, whether the file holds anything sealed or
 * hashed with it: personal details, contacts, relay devices, pairing
 * codes. The id names the data key and the channel secrets in the keyring
 * (see PickyVault); only when nothing sealed exists may a new key be made,
 * otherwise a key missing from the keyring is lost data, not a first start.
 */
void
picky_store_identify_async (const char          *path,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_store_identify_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, identify_thread);
}

/**
 * picky_store_identify_finish:
 * @has_keyed_rows: (out) (optional): set to whether encrypted or keyed
 *   rows exist
 *
 * Returns: (transfer full): the database's id, the same for every copy of
 *   the file, or %NULL with @error set
 */
char *
picky_store_identify_finish (GAsyncResult  *result,
                             gboolean      *has_keyed_rows,
                             GError       **error)
{
  Identity *identity;
  char *id;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == picky_store_identify_async, NULL);

  identity = g_task_propagate_pointer (G_TASK (result), error);
  if (identity == NULL)
    return NULL;

  if (has_keyed_rows != NULL)
    *has_keyed_rows = identity->has_keyed_rows;
  id = g_steal_pointer (&identity->database_id);
  identity_free (identity);

  return id;
}

/**
 * picky_store_get_database_id:
 *
 * Returns: the id of the open database, as picky_store_identify_finish()
 *   gives it; it stays readable after picky_store_close()
 */
const char *
picky_store_get_database_id (PickyStore *self)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);

  return self->database_id;
}

/**
 * picky_store_close:
 *
 * Lets the work already asked for finish, then closes the database and
 * waits for that; later calls fail with %PICKY_STORE_ERROR_CLOSED.
 */
void
picky_store_close (PickyStore *self)
{
  Job *stop;

  g_return_if_fail (PICKY_IS_STORE (self));

  if (self->closed)
    return;
  self->closed = TRUE;

  stop = g_new0 (Job, 1);
  stop->stop = TRUE;
  g_async_queue_push (self->queue, stop);

  /* The last reference can drop on the worker itself, when a finished task
   * lets go of its source object there; it cannot wait for itself, and
   * closes the database on its own once it reaches the stop. */
  if (g_thread_self () == self->thread)
    g_thread_unref (self->thread);
  else
    g_thread_join (self->thread);
  self->thread = NULL;
}
