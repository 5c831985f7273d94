/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Contacts page: everyone who wrote, with a report for each. */

#pragma once

#include <adwaita.h>

#include "picky-service.h"

G_BEGIN_DECLS

#define PICKY_TYPE_CONTACTS_PAGE (picky_contacts_page_get_type ())

G_DECLARE_FINAL_TYPE (PickyContactsPage, picky_contacts_page, PICKY, CONTACTS_PAGE, AdwBin)

void        picky_contacts_page_set_service (PickyContactsPage *self,
                                             PickyService      *service);
GListModel *picky_contacts_page_get_model   (PickyContactsPage *self);
gboolean    picky_contacts_page_get_loading (PickyContactsPage *self);
void        picky_contacts_page_show_report (PickyContactsPage *self,
                                             gint64             contact_id);

G_END_DECLS
