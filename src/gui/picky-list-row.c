/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One place in a PickyListRows: it stays while the items of the list pass through it. */

#include "config.h"

#include "picky-list-row.h"

struct _PickyListRow
{
  GObject  parent_instance;

  guint    position;
  GObject *item;
};

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (PickyListRow, picky_list_row, G_TYPE_OBJECT)

static void
picky_list_row_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PickyListRow *self = PICKY_LIST_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_list_row_dispose (GObject *object)
{
  PickyListRow *self = PICKY_LIST_ROW (object);

  g_clear_object (&self->item);

  G_OBJECT_CLASS (picky_list_row_parent_class)->dispose (object);
}

static void
picky_list_row_class_init (PickyListRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = picky_list_row_get_property;
  object_class->dispose = picky_list_row_dispose;

  /**
   * PickyListRow:item:
   *
   * The item of the list at the row's position; notified when another
   * item comes to that position.
   */
  properties[PROP_ITEM] = g_param_spec_object ("item", NULL, NULL, G_TYPE_OBJECT,
                                               G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                               G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
picky_list_row_init (PickyListRow *self)
{
}

/**
 * picky_list_row_new:
 * @position: the row's place in its list, for good
 * @item: the item at that place now
 *
 * Returns: (transfer full): a row
 */
PickyListRow *
picky_list_row_new (guint    position,
                    GObject *item)
{
  PickyListRow *self = g_object_new (PICKY_TYPE_LIST_ROW, NULL);

  self->position = position;
  self->item = item != NULL ? g_object_ref (item) : NULL;

  return self;
}

guint
picky_list_row_get_position (PickyListRow *self)
{
  g_return_val_if_fail (PICKY_IS_LIST_ROW (self), 0);

  return self->position;
}

/**
 * picky_list_row_get_item:
 *
 * Returns: (transfer none) (type GObject): the item at the row's place
 */
gpointer
picky_list_row_get_item (PickyListRow *self)
{
  g_return_val_if_fail (PICKY_IS_LIST_ROW (self), NULL);

  return self->item;
}

/**
 * picky_list_row_set_item:
 * @item: the item now at the row's place
 *
 * For the rows' list: notifies #PickyListRow:item when the item is another.
 */
void
picky_list_row_set_item (PickyListRow *self,
                         GObject      *item)
{
  g_return_if_fail (PICKY_IS_LIST_ROW (self));

  if (g_set_object (&self->item, item))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}
