/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A list over an array of items, replaced whole with one change for the places that differ.
 *
 * GListStore keeps its items in a balanced tree: splicing 50,000 contacts in
 * and out on a keystroke of a search cost more than the search itself. Here
 * a new order is handed over as an array, and views are told only of the
 * stretch between the first and the last place whose item differs. */

#include "config.h"

#include "picky-item-list.h"

struct _PickyItemList
{
  GObject    parent_instance;

  GType      item_type;
  GPtrArray *items;    /* holds a reference on each item */
};

static void picky_item_list_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PickyItemList, picky_item_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, picky_item_list_list_model_init))

static GType
picky_item_list_get_item_type (GListModel *model)
{
  return PICKY_ITEM_LIST (model)->item_type;
}

static guint
picky_item_list_get_n_items (GListModel *model)
{
  return PICKY_ITEM_LIST (model)->items->len;
}

static gpointer
picky_item_list_get_item (GListModel *model,
                          guint       position)
{
  PickyItemList *self = PICKY_ITEM_LIST (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (self->items->pdata[position]);
}

static void
picky_item_list_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = picky_item_list_get_item_type;
  iface->get_n_items = picky_item_list_get_n_items;
  iface->get_item = picky_item_list_get_item;
}

static void
picky_item_list_finalize (GObject *object)
{
  PickyItemList *self = PICKY_ITEM_LIST (object);

  g_ptr_array_unref (self->items);

  G_OBJECT_CLASS (picky_item_list_parent_class)->finalize (object);
}

static void
picky_item_list_class_init (PickyItemListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = picky_item_list_finalize;
}

static void
picky_item_list_init (PickyItemList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * picky_item_list_new:
 * @item_type: the type of every item
 *
 * Returns: (transfer full): an empty list
 */
PickyItemList *
picky_item_list_new (GType item_type)
{
  PickyItemList *self;

  g_return_val_if_fail (g_type_is_a (item_type, G_TYPE_OBJECT), NULL);

  self = g_object_new (PICKY_TYPE_ITEM_LIST, NULL);
  self->item_type = item_type;

  return self;
}

/**
 * picky_item_list_get_items:
 *
 * Returns: (transfer none) (element-type GObject): the items, in order;
 *   not to be changed
 */
GPtrArray *
picky_item_list_get_items (PickyItemList *self)
{
  g_return_val_if_fail (PICKY_IS_ITEM_LIST (self), NULL);

  return self->items;
}

/**
 * picky_item_list_set_items:
 * @items: (element-type GObject): the new items in order, holding a
 *   reference on each (a free function of g_object_unref()); kept, and not
 *   to be changed afterwards
 *
 * Replaces the items with one items-changed for the places that differ.
 */
void
picky_item_list_set_items (PickyItemList *self,
                           GPtrArray     *items)
{
  g_autoptr(GPtrArray) old = NULL;
  guint start = 0, old_end, new_end;

  g_return_if_fail (PICKY_IS_ITEM_LIST (self));
  g_return_if_fail (items != NULL);

  old = g_steal_pointer (&self->items);
  self->items = g_ptr_array_ref (items);
  old_end = old->len;
  new_end = items->len;
  while (start < old_end && start < new_end && old->pdata[start] == items->pdata[start])
    start++;
  while (old_end > start && new_end > start && old->pdata[old_end - 1] == items->pdata[new_end - 1])
    {
      old_end--;
      new_end--;
    }

  if (start < old_end || start < new_end)
    g_list_model_items_changed (G_LIST_MODEL (self), start, old_end - start, new_end - start);
}
