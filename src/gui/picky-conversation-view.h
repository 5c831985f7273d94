/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A conversation with one contact: bubbles, older history on scroll up, and the composer. */

#pragma once

#include <adwaita.h>

#include "picky-conversation.h"
#include "picky-outbox.h"
#include "picky-service.h"

G_BEGIN_DECLS

#define PICKY_TYPE_CONVERSATION_VIEW (picky_conversation_view_get_type ())

G_DECLARE_FINAL_TYPE (PickyConversationView, picky_conversation_view, PICKY, CONVERSATION_VIEW, AdwBin)

void        picky_conversation_view_set_service   (PickyConversationView *self,
                                                   PickyService          *service,
                                                   PickyOutbox           *outbox);
void        picky_conversation_view_open          (PickyConversationView *self,
                                                   PickyMessage          *message);
void        picky_conversation_view_open_at       (PickyConversationView *self,
                                                   PickyMessage          *message,
                                                   gint64                 target_id);
void        picky_conversation_view_set_back_visible (PickyConversationView *self,
                                                   gboolean               visible);
void        picky_conversation_view_open_conversation (PickyConversationView *self,
                                                   PickyConversation     *conversation,
                                                   gint64                 target_id);
PickyConversation *picky_conversation_view_get_conversation (PickyConversationView *self);
GtkWidget  *picky_conversation_view_get_details_button (PickyConversationView *self);
gboolean    picky_conversation_view_get_opening   (PickyConversationView *self);
gint64      picky_conversation_view_get_contact_id (PickyConversationView *self);
GListModel *picky_conversation_view_get_messages  (PickyConversationView *self);
const char *picky_conversation_view_get_hint      (PickyConversationView *self);
void        picky_conversation_view_send          (PickyConversationView *self);

G_END_DECLS
