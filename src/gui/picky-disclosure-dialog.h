/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Disclosing a contact's data on a verified demand: who asks, why, which days and which fields. */

#pragma once

#include <adwaita.h>

#include "picky-store.h"

G_BEGIN_DECLS

#define PICKY_TYPE_DISCLOSURE_DIALOG (picky_disclosure_dialog_get_type ())

G_DECLARE_FINAL_TYPE (PickyDisclosureDialog, picky_disclosure_dialog, PICKY, DISCLOSURE_DIALOG, AdwWindow)

PickyDisclosureDialog *picky_disclosure_dialog_new   (GtkWindow             *parent,
                                                      PickyStore            *store,
                                                      gint64                 contact_id,
                                                      const char            *label,
                                                      GTimeZone             *tz,
                                                      const GDate           *first,
                                                      const GDate           *last);
void                   picky_disclosure_dialog_write (PickyDisclosureDialog *self,
                                                      const char            *path);

G_END_DECLS
