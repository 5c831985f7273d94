/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The store's erasures of personal data: old messages purged, a contact erased, each audited. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-store.h"
#include "picky-store-private.h"

/* ---- Worker thread ---- */

static gboolean
worker_audit (PickyStoreWorker  *w,
              const char        *action,
              const char        *detail,
              GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_prepare (w,
                                                   "INSERT INTO audit_log (time, action, detail)"
                                                   " VALUES (?1, ?2, ?3)",
                                                   error);

  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 2, action, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, detail, -1, SQLITE_STATIC);
  return picky_store_worker_finish (w, stmt, error) >= 0;
}

/* After a deletion of personal data: merge the search index into one new
 * segment, so that no old segment still lists the words, and copy the log
 * into the file and truncate it, so that no older page image survives.
 * secure_delete has zeroed every freed page and cell on the way. */
static gboolean
worker_scrub (PickyStoreWorker  *w,
              GError           **error)
{
  return picky_store_exec (w->db, "INSERT INTO messages_fts (messages_fts) VALUES ('optimize')", error) &&
         picky_store_exec (w->db, "PRAGMA wal_checkpoint (TRUNCATE)", error);
}

static void
finish_erasure (PickyStoreWorker *w,
                GTask            *task,
                gboolean          ok,
                GError           *error,
                gint64            count)
{
  if (!ok)
    {
      sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
      picky_store_worker_forget_contacts (w);
    }
  else if (!worker_scrub (w, &error))
    ok = FALSE;

  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, count);
}

/* After a purge: a conversation whose last message went has lost every
 * message but reactions (the last one is the newest), so it goes with its
 * Done marks; the others count the unread messages left. A customer still
 * waiting keeps the time they started to, though that message is gone. */
static gboolean
purge_conversations (PickyStoreWorker  *w,
                     GError           **error)
{
  return picky_store_exec (w->db,
                           "CREATE TEMP TABLE purged_conversations AS"
                           "  SELECT id FROM conversations c WHERE NOT EXISTS"
                           "  (SELECT 1 FROM messages m WHERE m.id = c.last_message_id);"
                           "DELETE FROM done_marks WHERE conversation_id IN purged_conversations;"
                           "DELETE FROM conversations WHERE id IN purged_conversations;"
                           "DROP TABLE purged_conversations;"
                           "UPDATE conversations SET unread ="
                           "  (SELECT count (*) FROM messages m WHERE m.unread = 1"
                           "   AND m.contact_id = conversations.contact_id"
                           "   AND m.channel_id = conversations.channel_id AND m.kind <> 'reaction')"
                           "  WHERE unread > 0;",
                           error);
}

typedef struct {
  guint days;
} PurgeArgs;

static void
purge_run (PickyStoreWorker *w,
           GTask            *task)
{
  PurgeArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  gint64 cutoff_day = picky_store_floor_day (g_get_real_time () / G_USEC_PER_SEC) - args->days;
  gint64 count = -1;
  gboolean ok;

  ok = picky_store_exec (w->db, "PRAGMA secure_delete = ON; BEGIN IMMEDIATE", &error) &&
       (count = picky_store_worker_exec_int (w, "DELETE FROM messages WHERE timestamp < ?1",
                                             cutoff_day * PICKY_STORE_DAY, &error)) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM contact_days WHERE day < ?1",
                                    cutoff_day, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM daily WHERE day < ?1",
                                    cutoff_day, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM contact_hours WHERE hour < ?1",
                                    cutoff_day * 24, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM response_hours WHERE hour < ?1",
                                    cutoff_day * 24, &error) >= 0 &&
       purge_conversations (w, &error);
  if (ok)
    {
      g_autofree char *detail = g_strdup_printf ("older than %" G_GINT64_FORMAT " days: %" G_GINT64_FORMAT " messages",
                                                 (gint64) args->days, count);

      ok = worker_audit (w, "purge", detail, &error) && picky_store_exec (w->db, "COMMIT", &error);
    }

  finish_erasure (w, task, ok, error, count);
}

typedef struct {
  gint64 contact_id;
} EraseContactArgs;

static void
erase_contact_run (PickyStoreWorker *w,
                   GTask            *task)
{
  EraseContactArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  gint64 count = -1;
  gboolean ok;

  ok = picky_store_exec (w->db, "PRAGMA secure_delete = ON; BEGIN IMMEDIATE", &error);
  if (ok && picky_store_worker_get_contact (w, args->contact_id) == NULL)
    {
      g_set_error (&error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("No contact with the number %lld exists"), (long long) args->contact_id);
      ok = FALSE;
    }

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
       picky_store_worker_exec_int (w, "DELETE FROM conversations WHERE contact_id = ?1",
                                    args->contact_id, &error) >= 0 &&
       (count = picky_store_worker_exec_int (w, "DELETE FROM messages WHERE contact_id = ?1",
                                             args->contact_id, &error)) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM contact_days WHERE contact_id = ?1",
                                    args->contact_id, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM contact_hours WHERE contact_id = ?1",
                                    args->contact_id, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM response_hours WHERE contact_id = ?1",
                                    args->contact_id, &error) >= 0 &&
       picky_store_worker_exec_int (w, "DELETE FROM contacts WHERE id = ?1",
                                    args->contact_id, &error) >= 0;
  if (ok)
    {
      g_autofree char *detail = g_strdup_printf ("contact %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " messages",
                                                 args->contact_id, count);

      ok = worker_audit (w, "erase-contact", detail, &error) && picky_store_exec (w->db, "COMMIT", &error);
    }
  if (ok)
    picky_store_worker_forget_contacts (w);

  finish_erasure (w, task, ok, error, count);
}

/* ---- Main thread ---- */

void
picky_store_purge_async (PickyStore          *self,
                         guint                days,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  PurgeArgs *args = g_new0 (PurgeArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->days = days;
  task = picky_store_task_new (self, picky_store_purge_async, args, g_free, cancellable, callback,
                               user_data);
  picky_store_queue_job (self, task, purge_run, NULL, NULL);
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
