/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rows that stay in place while the items of a list pass through them. */

#pragma once

#include <gio/gio.h>

#include "picky-list-row.h"

G_BEGIN_DECLS

#define PICKY_TYPE_LIST_ROWS (picky_list_rows_get_type ())

G_DECLARE_FINAL_TYPE (PickyListRows, picky_list_rows, PICKY, LIST_ROWS, GObject)

PickyListRows *picky_list_rows_new       (GListModel    *items);
GListModel    *picky_list_rows_get_items (PickyListRows *self);

G_END_DECLS
