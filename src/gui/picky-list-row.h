/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One place in a PickyListRows: it stays while the items of the list pass through it. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PICKY_TYPE_LIST_ROW (picky_list_row_get_type ())

G_DECLARE_FINAL_TYPE (PickyListRow, picky_list_row, PICKY, LIST_ROW, GObject)

PickyListRow *picky_list_row_new          (guint         position,
                                           GObject      *item);
guint         picky_list_row_get_position (PickyListRow *self);
gpointer      picky_list_row_get_item     (PickyListRow *self);
void          picky_list_row_set_item     (PickyListRow *self,
                                           GObject      *item);

G_END_DECLS
