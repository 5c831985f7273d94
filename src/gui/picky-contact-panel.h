/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The contact beside a conversation: name, number, app, first contact, message counts and the report. */

#pragma once

#include <adwaita.h>

#include "picky-conversation.h"
#include "picky-store.h"

G_BEGIN_DECLS

#define PICKY_TYPE_CONTACT_PANEL (picky_contact_panel_get_type ())

G_DECLARE_FINAL_TYPE (PickyContactPanel, picky_contact_panel, PICKY, CONTACT_PANEL, AdwBin)

void        picky_contact_panel_set_store        (PickyContactPanel *self,
                                                  PickyStore        *store);
void        picky_contact_panel_set_conversation (PickyContactPanel *self,
                                                  PickyConversation *conversation);
const char *picky_contact_panel_get_counts_text  (PickyContactPanel *self);

G_END_DECLS
