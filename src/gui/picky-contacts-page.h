/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Contacts page: everyone who wrote, with a report for each. */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PICKY_TYPE_CONTACTS_PAGE (picky_contacts_page_get_type ())

G_DECLARE_FINAL_TYPE (PickyContactsPage, picky_contacts_page, PICKY, CONTACTS_PAGE, AdwBin)

G_END_DECLS
