/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Syncs the store's write-ahead log on a thread of its own, releasing the writes committed before each sync began. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "picky-store-syncer.h"

/* A webhook is answered, and a Telegram offset moved on, only once its
 * messages are on disk. The worker used to commit at synchronous = FULL,
 * idle through each fsync (milliseconds), and only then take the next
 * group: webhooks answered by one commit came back while it waited. It
 * now commits a group without syncing and hands the group's answers here;
 * one fdatasync() of the log, begun after the commit returned, makes that
 * commit durable (every byte of the file written before it starts), while
 * the worker goes on writing the next group. A sync covers every group
 * handed over before it began. A log SQLite resets after a checkpoint is
 * the same file, written again from its start: the database file was
 * synced before the reset. */

PickyStoreSyncFunc picky_store_sync_file = fdatasync;

struct _PickyStoreSyncer
{
  GThread *thread;
  int fd;
  PickyStoreSyncedFunc func;
  gpointer user_data;

  GMutex lock;
  GCond cond;
  GPtrArray *pending;   /* GPtrArray* handed over, not yet in a sync */
  gboolean stop;
};

static gpointer
syncer_main (gpointer data)
{
  PickyStoreSyncer *self = data;

  for (;;)
    {
      g_autoptr(GPtrArray) batch = NULL;
      int sync_errno = 0;

      g_mutex_lock (&self->lock);
      while (!self->stop && self->pending->len == 0)
        g_cond_wait (&self->cond, &self->lock);
      if (self->pending->len == 0)
        {
          g_mutex_unlock (&self->lock);
          break;
        }
      batch = g_steal_pointer (&self->pending);
      self->pending = g_ptr_array_new ();
      g_mutex_unlock (&self->lock);

      if (picky_store_sync_file (self->fd) != 0)
        sync_errno = errno;
      for (guint i = 0; i < batch->len; i++)
        self->func (batch->pdata[i], sync_errno, self->user_data);
    }

  return NULL;
}

/**
 * picky_store_syncer_new:
 * @wal_path: the store's write-ahead log, as SQLite has made it
 * @func: called on the syncer's thread with each synced addition
 *
 * Returns: (transfer full) (nullable): a syncer, or %NULL when the log
 *   cannot be opened (the store then syncs each commit itself)
 */
PickyStoreSyncer *
picky_store_syncer_new (const char           *wal_path,
                        PickyStoreSyncedFunc  func,
                        gpointer              user_data)
{
  PickyStoreSyncer *self;
  g_autoptr(GError) error = NULL;
  int fd;

  /* fdatasync() needs no write access; this descriptor never writes. */
  fd = g_open (wal_path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return NULL;

  self = g_new0 (PickyStoreSyncer, 1);
  self->fd = fd;
  self->func = func;
  self->user_data = user_data;
  self->pending = g_ptr_array_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->thread = g_thread_try_new ("picky-sync", syncer_main, self, &error);
  if (self->thread == NULL)
    {
      g_debug ("No thread to sync the log on: %s", error->message);
      picky_store_syncer_free (self);
      return NULL;
    }

  return self;
}

/**
 * picky_store_syncer_add:
 * @items: (transfer full): what to hand back once a sync that begins
 *   after now has ended
 */
void
picky_store_syncer_add (PickyStoreSyncer *self,
                        GPtrArray        *items)
{
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->pending, items);
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Syncs what is still handed over and hands it back, then stops. */
void
picky_store_syncer_free (PickyStoreSyncer *self)
{
  if (self->thread != NULL)
    {
      g_mutex_lock (&self->lock);
      self->stop = TRUE;
      g_cond_signal (&self->cond);
      g_mutex_unlock (&self->lock);
      g_thread_join (self->thread);
    }

  g_ptr_array_unref (self->pending);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  close (self->fd);
  g_free (self);
}
