/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A list over an array of items, replaced whole with one change for the places that differ. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PICKY_TYPE_ITEM_LIST (picky_item_list_get_type ())

G_DECLARE_FINAL_TYPE (PickyItemList, picky_item_list, PICKY, ITEM_LIST, GObject)

PickyItemList *picky_item_list_new       (GType          item_type);
GPtrArray     *picky_item_list_get_items (PickyItemList *self);
void           picky_item_list_set_items (PickyItemList *self,
                                          GPtrArray     *items);

G_END_DECLS
