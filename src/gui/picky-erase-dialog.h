/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Erasing a contact: what goes, counted by the store, confirmed, then erased for good. */

#pragma once

#include <adwaita.h>

#include "picky-store.h"

G_BEGIN_DECLS

#define PICKY_TYPE_ERASE_DIALOG (picky_erase_dialog_get_type ())

G_DECLARE_FINAL_TYPE (PickyEraseDialog, picky_erase_dialog, PICKY, ERASE_DIALOG, AdwMessageDialog)

PickyEraseDialog *picky_erase_dialog_new       (GtkWindow        *parent,
                                                PickyStore       *store,
                                                gint64            contact_id,
                                                const char       *label);
gboolean          picky_erase_dialog_get_ready (PickyEraseDialog *self);

G_END_DECLS
