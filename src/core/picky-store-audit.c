/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit trail: entries chained by SHA-256, listed, verified and exported. */

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "picky-audit-entry.h"
#include "picky-report-export.h"
#include "picky-store.h"
#include "picky-store-private.h"

/* The previous hash of the first entry. */
#define CHAIN_START "0000000000000000000000000000000000000000000000000000000000000000"

/**
 * picky_store_audit_hash:
 *
 * The SHA-256 of one entry with the hash of the one before it. Each text
 * is preceded by its length, so that no two different entries read alike
 * however their fields split the same characters.
 *
 * Returns: (transfer full): lower-case hex
 */
char *
picky_store_audit_hash (const char *prev_hash,
                        gint64      id,
                        gint64      time,
                        const char *action,
                        const char *object,
                        const char *detail)
{
  g_autofree char *text = NULL;

  object = object != NULL ? object : "";
  detail = detail != NULL ? detail : "";
  text = g_strdup_printf ("%s\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT "\n%zu:%s\n%zu:%s\n%zu:%s",
                          prev_hash, id, time, strlen (action), action, strlen (object), object,
                          strlen (detail), detail);

  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

/* The hash the next entry chains to: kept in meta as well as in the last
 * row, so that a changed or removed last entry shows too. */
static char *
worker_read_head (PickyStoreWorker  *w,
                  GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_prepare (w, "SELECT value FROM meta WHERE key = 'audit-head'", error);
  char *head = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    head = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  else if (rc == SQLITE_DONE)
    head = g_strdup (CHAIN_START);
  else
    picky_store_set_sqlite_error (error, w->db, rc);
  sqlite3_finalize (stmt);

  return head;
}

static gboolean
write_head (sqlite3     *db,
            const char  *head,
            GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('audit-head', ?1)",
                               -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, head, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, db, rc);
      return FALSE;
    }

  return TRUE;
}

/* Within the caller's transaction. */
gboolean
picky_store_worker_audit (PickyStoreWorker  *w,
                          const char        *action,
                          const char        *object,
                          const char        *detail,
                          GError           **error)
{
  g_autofree char *prev = worker_read_head (w, error);
  g_autofree char *hash = NULL;
  gint64 time = g_get_real_time () / G_USEC_PER_SEC;
  gint64 id = 1;
  sqlite3_stmt *stmt;

  if (prev == NULL)
    return FALSE;

  stmt = picky_store_worker_prepare (w, "SELECT coalesce (max (id), 0) + 1 FROM audit_log", error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);

  hash = picky_store_audit_hash (prev, id, time, action, object, detail);
  stmt = picky_store_worker_prepare (w,
                                     "INSERT INTO audit_log (id, time, action, object, detail, prev_hash, entry_hash)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, time);
  sqlite3_bind_text (stmt, 3, action, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, object != NULL ? object : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, detail != NULL ? detail : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, prev, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, hash, -1, SQLITE_STATIC);

  return picky_store_worker_finish (w, stmt, error) >= 0 && write_head (w->db, hash, error);
}

/* Version 10: the entries written before the chain existed are chained in
 * the order they were written. */
gboolean
picky_store_audit_chain_existing (sqlite3  *db,
                                  GError  **error)
{
  sqlite3_stmt *read = NULL;
  sqlite3_stmt *write = NULL;
  g_autofree char *prev = g_strdup (CHAIN_START);
  int rc;

  rc = sqlite3_prepare_v2 (db, "SELECT id, time, action, object, detail FROM audit_log ORDER BY id",
                           -1, &read, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2 (db, "UPDATE audit_log SET prev_hash = ?2, entry_hash = ?3 WHERE id = ?1",
                             -1, &write, NULL);
  while (rc == SQLITE_OK || rc == SQLITE_DONE)
    {
      char *hash;

      if ((rc = sqlite3_step (read)) != SQLITE_ROW)
        break;
      hash = picky_store_audit_hash (prev, sqlite3_column_int64 (read, 0), sqlite3_column_int64 (read, 1),
                                     (const char *) sqlite3_column_text (read, 2),
                                     (const char *) sqlite3_column_text (read, 3),
                                     (const char *) sqlite3_column_text (read, 4));
      sqlite3_bind_int64 (write, 1, sqlite3_column_int64 (read, 0));
      sqlite3_bind_text (write, 2, prev, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (write, 3, hash, -1, SQLITE_TRANSIENT);
      rc = sqlite3_step (write);
      sqlite3_reset (write);
      g_free (prev);
      prev = hash;
    }
  sqlite3_finalize (read);
  sqlite3_finalize (write);
  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, db, rc);
      return FALSE;
    }

  /* No head while there are no entries: reading none means the start. */
  return g_str_equal (prev, CHAIN_START) || write_head (db, prev, error);
}

/* ---- Worker thread ---- */

typedef struct {
  char *action;
  char *object;
  char *detail;
} AuditArgs;

static void
audit_args_free (gpointer data)
{
  AuditArgs *args = data;

  g_free (args->action);
  g_free (args->object);
  g_free (args->detail);
  g_free (args);
}

static void
audit_run (PickyStoreWorker *w,
           GTask            *task)
{
  AuditArgs *args = g_task_get_task_data (task);
  GError *error = NULL;

  if (picky_store_exec (w->db, "BEGIN IMMEDIATE", &error) &&
      picky_store_worker_audit (w, args->action, args->object, args->detail, &error) &&
      picky_store_exec (w->db, "COMMIT", &error))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
  g_task_return_error (task, error);
}

/* Every entry, oldest first. */
static GPtrArray *
worker_read_entries (PickyStoreWorker  *w,
                     GPtrArray        **hashes,
                     GError           **error)
{
  sqlite3_stmt *stmt = picky_store_worker_prepare (w,
                                                   "SELECT id, time, action, object, detail, prev_hash, entry_hash"
                                                   " FROM audit_log ORDER BY id",
                                                   error);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_ptr_array_add (entries, picky_audit_entry_new (sqlite3_column_int64 (stmt, 0),
                                                       sqlite3_column_int64 (stmt, 1),
                                                       (const char *) sqlite3_column_text (stmt, 2),
                                                       (const char *) sqlite3_column_text (stmt, 3),
                                                       (const char *) sqlite3_column_text (stmt, 4)));
      if (hashes != NULL)
        {
          g_ptr_array_add (*hashes, g_strdup ((const char *) sqlite3_column_text (stmt, 5)));
          g_ptr_array_add (*hashes, g_strdup ((const char *) sqlite3_column_text (stmt, 6)));
        }
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return NULL;
    }

  return g_steal_pointer (&entries);
}

static void
list_audit_run (PickyStoreWorker *w,
                GTask            *task)
{
  GError *error = NULL;
  GPtrArray *entries = worker_read_entries (w, NULL, &error);

  if (entries == NULL)
    g_task_return_error (task, error);
  else
    {
      /* Newest first, as the log is read. */
      for (guint i = 0; i < entries->len / 2; i++)
        {
          gpointer swap = entries->pdata[i];

          entries->pdata[i] = entries->pdata[entries->len - 1 - i];
          entries->pdata[entries->len - 1 - i] = swap;
        }
      g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
    }
}

typedef struct {
  gint64 count;
  gint64 broken;
} VerifyResult;

/* The first entry that does not hold what was written: its own hash does
 * not match its fields (it was changed), or its previous hash is not the
 * hash of the entry before it (that one was changed or removed), or the
 * head the next entry would chain to is not the last one's hash (the last
 * entry was changed or removed, reported as the entry after it). */
static void
verify_audit_run (PickyStoreWorker *w,
                  GTask            *task)
{
  GError *error = NULL;
  g_autoptr(GPtrArray) hashes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *head = NULL;
  g_autofree char *prev = g_strdup (CHAIN_START);
  VerifyResult *result = g_new0 (VerifyResult, 1);

  if (!picky_store_exec (w->db, "BEGIN", &error) ||
      (entries = worker_read_entries (w, &hashes, &error)) == NULL ||
      (head = worker_read_head (w, &error)) == NULL)
    {
      sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
      g_free (result);
      g_task_return_error (task, error);
      return;
    }
  sqlite3_exec (w->db, "COMMIT", NULL, NULL, NULL);

  result->count = entries->len;
  for (guint i = 0; i < entries->len && result->broken == 0; i++)
    {
      PickyAuditEntry *entry = g_ptr_array_index (entries, i);
      const char *stored_prev = g_ptr_array_index (hashes, 2 * i);
      const char *stored_hash = g_ptr_array_index (hashes, 2 * i + 1);
      char *hash = picky_store_audit_hash (prev, picky_audit_entry_get_id (entry),
                                           picky_audit_entry_get_time (entry),
                                           picky_audit_entry_get_action (entry),
                                           picky_audit_entry_get_object (entry),
                                           picky_audit_entry_get_detail (entry));

      if (g_strcmp0 (stored_prev, prev) != 0 || g_strcmp0 (stored_hash, hash) != 0)
        result->broken = picky_audit_entry_get_id (entry);
      g_free (prev);
      prev = hash;
    }
  if (result->broken == 0 && g_strcmp0 (head, prev) != 0)
    result->broken = entries->len > 0
      ? picky_audit_entry_get_id (g_ptr_array_index (entries, entries->len - 1)) + 1 : 1;

  g_task_return_pointer (task, result, g_free);
}

typedef struct {
  char *path;
} ExportAuditArgs;

static void
export_audit_args_free (gpointer data)
{
  ExportAuditArgs *args = data;

  g_free (args->path);
  g_free (args);
}

/**
 * picky_store_audit_format_time:
 *
 * Returns: (transfer full): @time in the local time zone with its offset
 */
char *
picky_store_audit_format_time (gint64 time)
{
  g_autoptr(GDateTime) local = g_date_time_new_from_unix_local (time);

  return g_date_time_format (local, "%Y-%m-%dT%H:%M:%S%:z");
}

static void
export_audit_run (PickyStoreWorker *w,
                  GTask            *task)
{
  ExportAuditArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GPtrArray) hashes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GString) csv = g_string_new ("id,time,action,object,detail,previous_sha256\r\n");

  entries = worker_read_entries (w, &hashes, &error);
  if (entries == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = entries->len; i-- > 0;)
    {
      PickyAuditEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, picky_audit_entry_get_id (entry));
      g_autofree char *time = picky_store_audit_format_time (picky_audit_entry_get_time (entry));

      picky_report_csv_append (csv, id);
      picky_report_csv_append (csv, time);
      picky_report_csv_append (csv, picky_audit_entry_get_action (entry));
      picky_report_csv_append (csv, picky_audit_entry_get_object (entry));
      picky_report_csv_append (csv, picky_audit_entry_get_detail (entry));
      picky_report_csv_append (csv, g_ptr_array_index (hashes, 2 * i));
      g_string_append (csv, "\r\n");
    }

  if (!picky_store_write_file (args->path, csv->str, csv->len, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * picky_store_write_file:
 *
 * Writes @path only once complete and on disk, readable by its owner only:
 * a failed write leaves nothing behind and an earlier file intact.
 */
gboolean
picky_store_write_file (const char  *path,
                        const char  *data,
                        gsize        length,
                        GError     **error)
{
  g_autoptr(GError) local = NULL;

  if (g_file_set_contents_full (path, data, length,
                                G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                0600, &local))
    return TRUE;

  g_set_error (error, local->domain, local->code, _("“%s” could not be written: %s"), path,
               local->message);
  return FALSE;
}

/* ---- Main thread ---- */

/**
 * picky_store_audit_async:
 * @action: what was done, e.g. "channel-add"
 * @object: (nullable): what it was done to, by id only, e.g. "channel 3"
 * @detail: (nullable): non-personal details
 *
 * Appends an entry to the audit trail, chained to the one before it.
 */
void
picky_store_audit_async (PickyStore          *self,
                         const char          *action,
                         const char          *object,
                         const char          *detail,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  AuditArgs *args;
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (action != NULL);

  args = g_new0 (AuditArgs, 1);
  args->action = g_strdup (action);
  args->object = g_strdup (object);
  args->detail = g_strdup (detail);
  task = picky_store_task_new (self, picky_store_audit_async, args, audit_args_free, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, audit_run, NULL, NULL);
}

gboolean
picky_store_audit_finish (PickyStore    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
picky_store_list_audit_async (PickyStore          *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  task = picky_store_task_new (self, picky_store_list_audit_async, NULL, NULL, cancellable, callback,
                               user_data);
  picky_store_queue_job (self, task, list_audit_run, NULL, NULL);
}

/**
 * picky_store_list_audit_finish:
 *
 * Returns: (transfer container) (element-type PickyAuditEntry): every entry,
 *   newest first, or %NULL
 */
GPtrArray *
picky_store_list_audit_finish (PickyStore    *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_verify_audit_async (PickyStore          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  task = picky_store_task_new (self, picky_store_verify_audit_async, NULL, NULL, cancellable, callback,
                               user_data);
  picky_store_queue_job (self, task, verify_audit_run, NULL, NULL);
}

/**
 * picky_store_verify_audit_finish:
 * @broken: (out): the id of the first entry that is not as written, or 0
 *   when the chain is intact
 *
 * Returns: the number of entries, or -1 with @error set
 */
gint64
picky_store_verify_audit_finish (PickyStore    *self,
                                 GAsyncResult  *result,
                                 gint64        *broken,
                                 GError       **error)
{
  g_autofree VerifyResult *verified = NULL;

  g_return_val_if_fail (PICKY_IS_STORE (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  verified = g_task_propagate_pointer (G_TASK (result), error);
  if (broken != NULL)
    *broken = verified != NULL ? verified->broken : 0;

  return verified != NULL ? verified->count : -1;
}

/* Writes the whole log as CSV, newest first, with each entry's previous
 * hash, so the copy can be checked against the chain. */
void
picky_store_export_audit_async (PickyStore          *self,
                                const char          *path,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  ExportAuditArgs *args;
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (path != NULL);

  args = g_new0 (ExportAuditArgs, 1);
  args->path = g_strdup (path);
  task = picky_store_task_new (self, picky_store_export_audit_async, args, export_audit_args_free,
                               cancellable, callback, user_data);
  picky_store_queue_job (self, task, export_audit_run, NULL, NULL);
}

gboolean
picky_store_export_audit_finish (PickyStore    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
