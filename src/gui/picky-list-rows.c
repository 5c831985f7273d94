/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rows that stay in place while the items of a list pass through them.
 *
 * GTK 4.8's list and column views keep about 200 row widgets bound, and a
 * row whose item leaves the model is destroyed, however alike the item that
 * takes its place: a search that changes which contacts are shown made and
 * destroyed some 200 rows of six cells each, 150–450 ms a keystroke over
 * 50,000 contacts. Through this model a view sees a PickyListRow per place
 * instead: the rows at places that stay are the same objects, so their
 * widgets stay, and only the cells whose row got another item are filled
 * again (on PickyListRow:item). Only a change of length is an items-changed,
 * at the end. */

#include "config.h"

#include "picky-list-rows.h"

struct _PickyListRows
{
  GObject     parent_instance;

  GListModel *items;
  /* By place, as many as the view was last told of; each a PickyListRow
   * someone holds, or NULL: rows nobody holds are made again when asked
   * for, so that walking a long list leaves nothing behind. */
  GPtrArray  *rows;
};

static void picky_list_rows_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PickyListRows, picky_list_rows, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, picky_list_rows_list_model_init))

static void
row_finalized_cb (gpointer  data,
                  GObject  *where_the_row_was)
{
  PickyListRows *self = data;
  /* Disposed, not yet freed: its place can still be read. */
  guint position = picky_list_row_get_position ((PickyListRow *) where_the_row_was);

  if (position < self->rows->len && self->rows->pdata[position] == where_the_row_was)
    self->rows->pdata[position] = NULL;
}

/* Rows no longer at a place of the list are left to whoever holds them. */
static void
forget_rows (PickyListRows *self,
             guint          from)
{
  for (guint i = from; i < self->rows->len; i++)
    if (self->rows->pdata[i] != NULL)
      g_object_weak_unref (self->rows->pdata[i], row_finalized_cb, self);
  g_ptr_array_set_size (self->rows, from);
}

static GType
picky_list_rows_get_item_type (GListModel *model)
{
  return PICKY_TYPE_LIST_ROW;
}

static guint
picky_list_rows_get_n_items (GListModel *model)
{
  return PICKY_LIST_ROWS (model)->rows->len;
}

static gpointer
picky_list_rows_get_item (GListModel *model,
                          guint       position)
{
  PickyListRows *self = PICKY_LIST_ROWS (model);
  g_autoptr(GObject) item = NULL;
  PickyListRow *row;

  if (position >= self->rows->len)
    return NULL;
  if (self->rows->pdata[position] != NULL)
    return g_object_ref (self->rows->pdata[position]);

  item = g_list_model_get_item (self->items, position);
  row = picky_list_row_new (position, item);
  g_object_weak_ref (G_OBJECT (row), row_finalized_cb, self);
  self->rows->pdata[position] = row;

  return row;
}

static void
picky_list_rows_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = picky_list_rows_get_item_type;
  iface->get_n_items = picky_list_rows_get_n_items;
  iface->get_item = picky_list_rows_get_item;
}

static void
on_items_changed_cb (GListModel    *items,
                     guint          position,
                     guint          removed,
                     guint          added,
                     PickyListRows *self)
{
  guint old_n = self->rows->len;
  guint new_n = g_list_model_get_n_items (items);
  guint common = MIN (old_n, new_n);
  /* Items after a change of length all move to other places. */
  guint end = removed == added ? position + added : common;

  for (guint i = position; i < end; i++)
    if (self->rows->pdata[i] != NULL)
      {
        g_autoptr(GObject) item = g_list_model_get_item (items, i);

        picky_list_row_set_item (self->rows->pdata[i], item);
      }

  if (new_n == old_n)
    return;
  if (new_n < old_n)
    forget_rows (self, new_n);
  else
    g_ptr_array_set_size (self->rows, new_n);
  g_list_model_items_changed (G_LIST_MODEL (self), common, old_n - common, new_n - common);
}

static void
picky_list_rows_dispose (GObject *object)
{
  PickyListRows *self = PICKY_LIST_ROWS (object);

  if (self->items != NULL)
    g_signal_handlers_disconnect_by_func (self->items, on_items_changed_cb, self);
  g_clear_object (&self->items);
  if (self->rows != NULL)
    forget_rows (self, 0);

  G_OBJECT_CLASS (picky_list_rows_parent_class)->dispose (object);
}

static void
picky_list_rows_finalize (GObject *object)
{
  PickyListRows *self = PICKY_LIST_ROWS (object);

  g_ptr_array_unref (self->rows);

  G_OBJECT_CLASS (picky_list_rows_parent_class)->finalize (object);
}

static void
picky_list_rows_class_init (PickyListRowsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_list_rows_dispose;
  object_class->finalize = picky_list_rows_finalize;
}

static void
picky_list_rows_init (PickyListRows *self)
{
  self->rows = g_ptr_array_new ();
}

/**
 * picky_list_rows_new:
 * @items: the list whose items pass through the rows
 *
 * Returns: (transfer full): a list of #PickyListRow, one per item of @items
 */
PickyListRows *
picky_list_rows_new (GListModel *items)
{
  PickyListRows *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (items), NULL);

  self = g_object_new (PICKY_TYPE_LIST_ROWS, NULL);
  self->items = g_object_ref (items);
  g_ptr_array_set_size (self->rows, g_list_model_get_n_items (items));
  g_signal_connect (items, "items-changed", G_CALLBACK (on_items_changed_cb), self);

  return self;
}

/**
 * picky_list_rows_get_items:
 *
 * Returns: (transfer none): the list whose items pass through the rows
 */
GListModel *
picky_list_rows_get_items (PickyListRows *self)
{
  g_return_val_if_fail (PICKY_IS_LIST_ROWS (self), NULL);

  return self->items;
}
