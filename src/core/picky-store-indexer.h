/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Adds the messages stored since it last ran to the full-text index, each to its contact's table. */

#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

typedef struct _PickyStoreIndexer PickyStoreIndexer;

PickyStoreIndexer *picky_store_indexer_new     (sqlite3            *db,
                                                GError            **error);
gboolean           picky_store_indexer_pending (PickyStoreIndexer  *self);
gint64             picky_store_indexer_run     (PickyStoreIndexer  *self,
                                                GError            **error);
void               picky_store_indexer_free    (PickyStoreIndexer  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyStoreIndexer, picky_store_indexer_free)

G_END_DECLS
