/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Syncs the store's write-ahead log on a thread of its own, releasing the writes committed before each sync began. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PickyStoreSyncer PickyStoreSyncer;

/* Called on the syncer's thread with what picky_store_syncer_add() was
 * given (in order, several additions together) once a sync that began after
 * they were added has ended: 0, or the errno of a failed sync. */
typedef void (*PickyStoreSyncedFunc) (GPtrArray *items,
                                      int        sync_errno,
                                      gpointer   user_data);

/* How a file is made durable: fdatasync(), or a test's stand-in. */
typedef int (*PickyStoreSyncFunc) (int fd);

extern PickyStoreSyncFunc picky_store_sync_file;

PickyStoreSyncer *picky_store_syncer_new  (const char           *wal_path,
                                           PickyStoreSyncedFunc  func,
                                           gpointer              user_data);
void              picky_store_syncer_add  (PickyStoreSyncer     *self,
                                           GPtrArray            *items);
void              picky_store_syncer_free (PickyStoreSyncer     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyStoreSyncer, picky_store_syncer_free)

G_END_DECLS
