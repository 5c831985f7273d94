/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Retention: messages older than the retention-days setting purged at start and once a day. */

#pragma once

#include <gio/gio.h>

#include "picky-store.h"

G_BEGIN_DECLS

#define PICKY_TYPE_RETENTION (picky_retention_get_type ())

G_DECLARE_FINAL_TYPE (PickyRetention, picky_retention, PICKY, RETENTION, GObject)

PickyRetention *picky_retention_new         (PickyStore     *store,
                                             GSettings      *settings);
void            picky_retention_start       (PickyRetention *self);
void            picky_retention_stop        (PickyRetention *self);
void            picky_retention_apply       (PickyRetention *self);
gboolean        picky_retention_get_running (PickyRetention *self);
guint           picky_retention_get_days    (PickyRetention *self);

G_END_DECLS
