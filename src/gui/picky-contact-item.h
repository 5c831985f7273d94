/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One row of the contacts list: a contact with its numbers over the chosen range. */

#pragma once

#include <gio/gio.h>

#include "picky-store.h"

G_BEGIN_DECLS

#define PICKY_TYPE_CONTACT_ITEM (picky_contact_item_get_type ())

G_DECLARE_FINAL_TYPE (PickyContactItem, picky_contact_item, PICKY, CONTACT_ITEM, GObject)

PickyContactItem *picky_contact_item_new              (const PickyContactSummary *summary);
gint64            picky_contact_item_get_id           (PickyContactItem          *self);
const char       *picky_contact_item_get_app          (PickyContactItem          *self);
const char       *picky_contact_item_get_name         (PickyContactItem          *self);
const char       *picky_contact_item_get_phone        (PickyContactItem          *self);
const char       *picky_contact_item_get_label        (PickyContactItem          *self);
const char       *picky_contact_item_get_sort_key     (PickyContactItem          *self);
guint             picky_contact_item_get_n_in         (PickyContactItem          *self);
guint             picky_contact_item_get_n_out        (PickyContactItem          *self);
gint64            picky_contact_item_get_first_seen   (PickyContactItem          *self);
gint64            picky_contact_item_get_last_seen    (PickyContactItem          *self);
gint64            picky_contact_item_get_median_response (PickyContactItem       *self);
gboolean          picky_contact_item_matches          (PickyContactItem          *self,
                                                       const char                *folded_query,
                                                       const char                *digits_query);

char             *picky_contact_item_fold_query       (const char                *text);
char             *picky_contact_item_digits_query     (const char                *text);

G_END_DECLS
