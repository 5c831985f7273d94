/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Copies the store's write-ahead log into the database on a thread and connection of its own. */

#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

typedef struct _PickyStoreCheckpointer PickyStoreCheckpointer;

/* How many checkpoints the checkpointers of this process have taken: for
 * the tests, which count how often the log is copied. */
extern gint picky_store_checkpoints_taken;

PickyStoreCheckpointer *picky_store_checkpointer_new  (sqlite3                 *writer,
                                                        const char              *path,
                                                        GError                 **error);
void                    picky_store_checkpointer_free (PickyStoreCheckpointer  *self);

gboolean                picky_store_checkpoint_truncate (sqlite3               *db,
                                                         GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyStoreCheckpointer, picky_store_checkpointer_free)

G_END_DECLS
