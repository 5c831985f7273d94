/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One row of the contacts list: a contact with its numbers over the chosen range. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-contact-item.h"
#include "picky-search-key.h"

struct _PickyContactItem
{
  GObject  parent_instance;

  gint64      id;
  const char *app;         /* interned */
  char       *name;
  char       *phone;
  char       *label;       /* what the list shows: name, else number, else "Contact N" */
  char       *folded;      /* the name as picky_search_key_fold() makes it */
  char       *digits;      /* the number as picky_search_key_digits() makes it */
  char       *sort_key;    /* the label's collation key, for sorting */
  guint       n_in;
  guint       n_out;
  gint64      first_seen;
  gint64      last_seen;
  gint64      median_response;
};

G_DEFINE_FINAL_TYPE (PickyContactItem, picky_contact_item, G_TYPE_OBJECT)

static void
picky_contact_item_finalize (GObject *object)
{
  PickyContactItem *self = PICKY_CONTACT_ITEM (object);

  g_free (self->name);
  g_free (self->phone);
  g_free (self->label);
  g_free (self->folded);
  g_free (self->digits);
  g_free (self->sort_key);

  G_OBJECT_CLASS (picky_contact_item_parent_class)->finalize (object);
}

static void
picky_contact_item_class_init (PickyContactItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = picky_contact_item_finalize;
}

static void
picky_contact_item_init (PickyContactItem *self)
{
}

/**
 * picky_contact_item_new:
 * @summary: the contact and its numbers, as the store summarized them
 *
 * Returns: (transfer full): a row of the contacts list
 */
PickyContactItem *
picky_contact_item_new (const PickyContactSummary *summary)
{
  PickyContactItem *self;

  g_return_val_if_fail (summary != NULL, NULL);

  self = g_object_new (PICKY_TYPE_CONTACT_ITEM, NULL);
  self->id = summary->contact_id;
  self->app = summary->app;
  self->name = g_strdup (summary->name);
  self->phone = g_strdup (summary->phone);
  if (summary->name != NULL)
    self->label = g_strdup (summary->name);
  else if (summary->phone != NULL)
    self->label = g_strdup (summary->phone);
  else
    /* Translators: a contact without a known name or number */
    self->label = g_strdup_printf (_("Contact %lld"), (long long) summary->contact_id);
  /* Prepared once here, so that each keystroke of a search over tens of
   * thousands of contacts only compares. */
  self->folded = picky_search_key_fold (self->label);
  self->digits = picky_search_key_digits (summary->phone);
  self->sort_key = g_utf8_collate_key (self->label, -1);
  self->n_in = summary->n_in;
  self->n_out = summary->n_out;
  self->first_seen = summary->first_timestamp;
  self->last_seen = summary->last_timestamp;
  self->median_response = summary->response_median;

  return self;
}

gint64
picky_contact_item_get_id (PickyContactItem *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_ITEM (self), 0);
  return self->id;
}

const char *
picky_contact_item_get_app (PickyContactItem *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_ITEM (self), NULL);
  return self->app;
}

const char *
picky_contact_item_get_name (PickyContactItem *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_ITEM (self), NULL);
  return self->name;
}

const char *
picky_contact_item_get_phone (PickyContactItem *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_ITEM (self), NULL);
  return self->phone;
}

const char *
picky_contact_item_get_label (PickyContactItem *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_ITEM (self), NULL);
  return self->label;
}

/**
 * picky_contact_item_get_sort_key:
 *
 * Returns: the label's collation key: compare with strcmp()
 */
const char *
picky_contact_item_get_sort_key (PickyContactItem *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_ITEM (self), NULL);
  return self->sort_key;
}

guint
picky_contact_item_get_n_in (PickyContactItem *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_ITEM (self), 0);
  return self->n_in;
}

guint
picky_contact_item_get_n_out (PickyContactItem *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_ITEM (self), 0);
  return self->n_out;
}

gint64
picky_contact_item_get_first_seen (PickyContactItem *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_ITEM (self), 0);
  return self->first_seen;
}

gint64
picky_contact_item_get_last_seen (PickyContactItem *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_ITEM (self), 0);
  return self->last_seen;
}

/**
 * picky_contact_item_get_median_response:
 *
 * Returns: the median first-response time in seconds over the range, or -1
 */
gint64
picky_contact_item_get_median_response (PickyContactItem *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_ITEM (self), -1);
  return self->median_response;
}

/**
 * picky_contact_item_fold_query:
 *
 * Returns: (transfer full): @text prepared for picky_contact_item_matches()
 */
char *
picky_contact_item_fold_query (const char *text)
{
  return picky_search_key_fold (text);
}

/**
 * picky_contact_item_digits_query:
 *
 * Returns: (transfer full): the digits of @text when it looks like a phone
 *   number (digits, spaces, "+", "-", brackets), else %NULL
 */
char *
picky_contact_item_digits_query (const char *text)
{
  return picky_search_key_digits_query (text);
}

/**
 * picky_contact_item_matches:
 * @folded_query: from picky_contact_item_fold_query()
 * @digits_query: (nullable): from picky_contact_item_digits_query()
 *
 * Returns: whether the contact's name holds the query, in any case and
 *   with or without accents, or its number the query's digits in any
 *   spelling of the number (+49, 0049 or a national 0)
 */
gboolean
picky_contact_item_matches (PickyContactItem *self,
                            const char       *folded_query,
                            const char       *digits_query)
{
  g_return_val_if_fail (PICKY_IS_CONTACT_ITEM (self), FALSE);

  return picky_search_key_matches (self->folded, self->digits, folded_query, digits_query);
}
