/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Copies the store's write-ahead log into the database on a thread and connection of its own. */

#include "config.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "picky-store-checkpoint.h"
#include "picky-store-private.h"

/* SQLite's own automatic checkpoint runs inside the COMMIT that crossed
 * its threshold, on the writer's thread: copying a thousand pages into the
 * database and syncing it then holds up every write behind that one (live
 * webhooks answer only after their commit). Here the writer only asks, and
 * a passive checkpoint on a second connection does the copying while the
 * writer goes on appending to the log. */

/* Log frames (pages) after which a checkpoint is asked for: SQLite's own
 * default. A longer log (10,000 pages) copied a rewritten index page fewer
 * times, but each of its checkpoints then wrote and fsynced some 40 MB at
 * once, and the commits behind it waited: with 1,000 messages a second
 * coming in, the Inbox showed one batch in twenty after 130 to 160 ms
 * instead of 70 to 85 (3,000 pages: about 95). */
#define WANT_FRAMES 1000
/* Should the checkpoints fall behind (a reader holding an old snapshot, a
 * slow disk), the writer checkpoints itself, as SQLite would, so that the
 * log stays bounded: 64 MB of 4 KiB pages. */
#define FORCE_FRAMES 16000
/* What SQLite's automatic checkpoints are given back when the checkpointer
 * stops: its default. */
#define AUTO_FRAMES 1000
/* The checkpointer's niceness: copying can wait, and on two cores it took
 * its time from the writer and the listener while webhooks came in. The
 * writer checkpoints itself should it fall far behind (FORCE_FRAMES). */
#define CHECKPOINT_NICE 10

/* How long a truncating checkpoint waits for the checkpointer's. */
#define TRUNCATE_WAIT_US (30 * G_USEC_PER_SEC)

gint picky_store_checkpoints_taken;

struct _PickyStoreCheckpointer
{
  sqlite3 *writer;
  sqlite3 *db;
  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean wanted;
  gboolean stop;
  /* The log's frames the last checkpoint had copied, all of them up to
   * this one (SQLite's nBackfill); 0 once the log has started over. */
  gint copied;
};

static gpointer
checkpointer_main (gpointer data)
{
  PickyStoreCheckpointer *self = data;

  /* Linux gives each thread a niceness of its own. */
  if (setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), CHECKPOINT_NICE) != 0)
    g_debug ("The checkpointer keeps its priority: %s", g_strerror (errno));
  g_mutex_lock (&self->lock);
  for (;;)
    {
      int copied = 0;
      int rc;

      while (!self->wanted && !self->stop)
        g_cond_wait (&self->cond, &self->lock);
      if (self->stop)
        break;
      self->wanted = FALSE;
      g_mutex_unlock (&self->lock);

      /* PASSIVE never waits for the writer or readers: what it cannot copy
       * yet, the next round does. */
      rc = sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, &copied);
      g_atomic_int_set (&self->copied, MAX (copied, 0));
      g_atomic_int_inc (&picky_store_checkpoints_taken);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        g_warning ("The message log could not be copied into the database: %s", sqlite3_errmsg (self->db));

      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);

  return NULL;
}

/* Called by SQLite on the writer's thread after each commit, with the
 * frames now in the log. */
static int
on_wal_commit_cb (void       *data,
                  sqlite3    *db,
                  const char *name,
                  int         n_frames)
{
  PickyStoreCheckpointer *self = data;
  int copied;

  if (n_frames >= FORCE_FRAMES)
    {
      sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      return SQLITE_OK;
    }

  /* Under steady traffic the log is seldom started over (that needs a
   * checkpoint that has caught up with the writer), so it stays longer
   * than WANT_FRAMES: what counts is what was added since the last
   * checkpoint. Asked after every commit instead, checkpoints ran back to
   * back over a few commits each and copied the pages every commit
   * rewrites (conversations, indexes, rollups) again each time. */
  copied = g_atomic_int_get (&self->copied);
  if (n_frames < copied)
    copied = 0;
  if (n_frames - copied >= WANT_FRAMES)
    {
      g_mutex_lock (&self->lock);
      self->wanted = TRUE;
      g_cond_signal (&self->cond);
      g_mutex_unlock (&self->lock);
    }

  return SQLITE_OK;
}

/**
 * picky_store_checkpointer_new:
 * @writer: the store's connection, in WAL mode
 * @path: its file
 *
 * Opens a second connection to @path and takes the checkpoints of
 * @writer's commits over from SQLite's automatic ones.
 *
 * Returns: (transfer full) (nullable): the checkpointer, or %NULL with
 *   @error set; @writer is then left as it was
 */
PickyStoreCheckpointer *
picky_store_checkpointer_new (sqlite3     *writer,
                              const char  *path,
                              GError     **error)
{
  g_autoptr(GError) thread_error = NULL;
  PickyStoreCheckpointer *self;
  int rc;

  g_return_val_if_fail (writer != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  self = g_new0 (PickyStoreCheckpointer, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->writer = writer;

  /* A connection knows the file is in WAL mode only once it has read it:
   * before that, a checkpoint on it does nothing at all. */
  rc = sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec (self->db, "SELECT count (*) FROM sqlite_schema", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      picky_store_set_sqlite_error (error, self->db, rc);
      picky_store_checkpointer_free (self);
      return NULL;
    }

  self->thread = g_thread_try_new ("picky-checkpt", checkpointer_main, self, &thread_error);
  if (self->thread == NULL)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_FAILED,
                   _("The message database could not start: %s"), thread_error->message);
      picky_store_checkpointer_free (self);
      return NULL;
    }

  /* A checkpoint the writer asks for itself (an erasure's TRUNCATE) waits
   * for readers instead of failing as busy; for a checkpoint under way
   * here, see picky_store_checkpoint_truncate(). */
  sqlite3_busy_timeout (writer, 30000);
  sqlite3_wal_hook (writer, on_wal_commit_cb, self);

  return self;
}

/**
 * picky_store_checkpointer_free:
 *
 * Gives the writer back SQLite's automatic checkpoints, lets a checkpoint
 * under way finish and closes the second connection.
 */
void
picky_store_checkpointer_free (PickyStoreCheckpointer *self)
{
  if (self == NULL)
    return;

  if (self->thread != NULL)
    {
      sqlite3_wal_autocheckpoint (self->writer, AUTO_FRAMES);
      g_mutex_lock (&self->lock);
      self->stop = TRUE;
      g_cond_signal (&self->cond);
      g_mutex_unlock (&self->lock);
      g_thread_join (self->thread);
    }
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

/**
 * picky_store_checkpoint_truncate:
 * @db: the store's connection, with no transaction open
 *
 * Copies the whole log into the database and truncates it, so that no
 * older page image survives in either (after an erasure). SQLite answers
 * such a checkpoint at once as busy while another connection's is under
 * way (the checkpointer's, which every few thousand new pages start)
 * without calling the busy handler; the PRAGMA then still succeeds, with
 * the log left as it was. So this asks again until it is done.
 *
 * Returns: %TRUE once the log is empty, or %FALSE with @error set
 */
gboolean
picky_store_checkpoint_truncate (sqlite3  *db,
                                 GError  **error)
{
  gint64 deadline = g_get_monotonic_time () + TRUNCATE_WAIT_US;
  int rc;

  while ((rc = sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL)) == SQLITE_BUSY &&
         g_get_monotonic_time () < deadline)
    g_usleep (1000);
  if (rc != SQLITE_OK)
    {
      picky_store_set_sqlite_error (error, db, rc);
      return FALSE;
    }

  return TRUE;
}
