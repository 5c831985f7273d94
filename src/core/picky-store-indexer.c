/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Adds the messages stored since it last ran to the full-text index, each to its contact's table. */

#include "config.h"

#include "picky-store-indexer.h"
#include "picky-store-private.h"

/* FTS5 writes what a transaction added to a table as a new segment of it
 * when the transaction commits: its pages, the table's structure record
 * and averages, and, every few segments, a merge of them. A group of
 * webhooks commits every few messages, whose contacts fall in as many of
 * the index's tables, so indexing them in the trigger wrote about a
 * quarter of every commit's pages and took a third of the writer's time.
 * Since schema version 15 the trigger only lists a new message in
 * messages_unindexed, and this indexes what is listed, hundreds of
 * messages at once: a segment per table for all of them. Until then the
 * messages are not in the index; whatever reads it runs this first (see
 * picky_store_worker_index_messages()). */

struct _PickyStoreIndexer
{
  sqlite3 *db;
  sqlite3_stmt *any;
  sqlite3_stmt *read;
  sqlite3_stmt *insert[PICKY_STORE_FTS_SHARDS];
  sqlite3_stmt *clear;
};

/**
 * picky_store_indexer_new:
 * @db: a store's connection, of schema version 15 or later
 *
 * Returns: (transfer full) (nullable): the indexer, or %NULL with @error set
 */
PickyStoreIndexer *
picky_store_indexer_new (sqlite3  *db,
                         GError  **error)
{
  g_autoptr(PickyStoreIndexer) self = g_new0 (PickyStoreIndexer, 1);
  int rc;

  self->db = db;
  rc = sqlite3_prepare_v3 (db, "SELECT EXISTS (SELECT 1 FROM messages_unindexed)", -1,
                           SQLITE_PREPARE_PERSISTENT, &self->any, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v3 (db, "SELECT m.id, m.contact_id, m.text FROM messages_unindexed u"
                                 " JOIN messages m ON m.id = u.id WHERE m.text IS NOT NULL",
                             -1, SQLITE_PREPARE_PERSISTENT, &self->read, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v3 (db, "DELETE FROM messages_unindexed", -1, SQLITE_PREPARE_PERSISTENT,
                             &self->clear, NULL);
  for (guint k = 0; rc == SQLITE_OK && k < PICKY_STORE_FTS_SHARDS; k++)
    self->insert[k] = picky_store_fts_prepare_insert (db, k, &rc);
  if (rc != SQLITE_OK)
    {
      picky_store_set_sqlite_error (error, db, rc);
      return NULL;
    }

  return g_steal_pointer (&self);
}

/* Whether a message waits to be indexed. */
gboolean
picky_store_indexer_pending (PickyStoreIndexer *self)
{
  gboolean any = sqlite3_step (self->any) == SQLITE_ROW && sqlite3_column_int (self->any, 0) != 0;

  sqlite3_reset (self->any);
  return any;
}

/**
 * picky_store_indexer_run:
 *
 * Indexes every message listed as unindexed and empties the list, within
 * the caller's transaction.
 *
 * Returns: how many messages were indexed, or -1 with @error set
 */
gint64
picky_store_indexer_run (PickyStoreIndexer  *self,
                         GError            **error)
{
  gint64 count = picky_store_fts_index_rows (self->db, self->read, self->insert, error);
  int rc;

  sqlite3_reset (self->read);
  if (count < 0)
    return -1;
  rc = sqlite3_step (self->clear);
  sqlite3_reset (self->clear);
  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, self->db, rc);
      return -1;
    }

  return count;
}

void
picky_store_indexer_free (PickyStoreIndexer *self)
{
  if (self == NULL)
    return;

  sqlite3_finalize (self->any);
  sqlite3_finalize (self->read);
  sqlite3_finalize (self->clear);
  for (guint k = 0; k < PICKY_STORE_FTS_SHARDS; k++)
    sqlite3_finalize (self->insert[k]);
  g_free (self);
}
