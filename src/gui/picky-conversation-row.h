/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One row of the Inbox: a conversation with its app, contact, last line, time, unread count and wait. */

#pragma once

#include <adwaita.h>

#include "picky-conversation.h"

G_BEGIN_DECLS

#define PICKY_TYPE_CONVERSATION_ROW (picky_conversation_row_get_type ())

G_DECLARE_FINAL_TYPE (PickyConversationRow, picky_conversation_row, PICKY, CONVERSATION_ROW, GtkWidget)

GtkWidget         *picky_conversation_row_new              (void);
void               picky_conversation_row_set_conversation (PickyConversationRow *self,
                                                            PickyConversation    *conversation);
PickyConversation *picky_conversation_row_get_conversation (PickyConversationRow *self);
const char        *picky_conversation_row_get_preview      (PickyConversationRow *self);

char              *picky_conversation_describe_last        (PickyConversation    *conversation);

G_END_DECLS
