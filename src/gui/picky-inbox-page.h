/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inbox page: the live list of incoming messages and the conversation beside it. */

#pragma once

#include <adwaita.h>

#include "picky-conversation-view.h"
#include "picky-service.h"

G_BEGIN_DECLS

#define PICKY_TYPE_INBOX_PAGE (picky_inbox_page_get_type ())

G_DECLARE_FINAL_TYPE (PickyInboxPage, picky_inbox_page, PICKY, INBOX_PAGE, AdwBin)

void                   picky_inbox_page_set_service      (PickyInboxPage *self,
                                                          PickyService   *service);
GListModel            *picky_inbox_page_get_conversations (PickyInboxPage *self);
PickyConversationView *picky_inbox_page_get_conversation (PickyInboxPage *self);
void                   picky_inbox_page_open_message     (PickyInboxPage *self,
                                                          gint64          message_id);
guint                  picky_inbox_page_get_n_new        (PickyInboxPage *self);
void                   picky_inbox_page_start_search     (PickyInboxPage *self);

G_END_DECLS
