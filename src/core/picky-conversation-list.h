/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A live list model of conversations, newest activity first, loaded a keyset page at a time. */

#pragma once

#include <gio/gio.h>

#include "picky-store.h"

G_BEGIN_DECLS

#define PICKY_TYPE_CONVERSATION_LIST (picky_conversation_list_get_type ())

G_DECLARE_FINAL_TYPE (PickyConversationList, picky_conversation_list, PICKY, CONVERSATION_LIST, GObject)

PickyConversationList *picky_conversation_list_new          (PickyStore              *store);
void                   picky_conversation_list_set_filter   (PickyConversationList   *self,
                                                             PickyConversationFilter  filter,
                                                             const char * const      *apps,
                                                             gint64                   channel_id);
PickyConversationFilter picky_conversation_list_get_filter  (PickyConversationList   *self);
gboolean               picky_conversation_list_get_loading  (PickyConversationList   *self);
gboolean               picky_conversation_list_get_complete (PickyConversationList   *self);
void                   picky_conversation_list_load_more    (PickyConversationList   *self);
gboolean               picky_conversation_list_find         (PickyConversationList   *self,
                                                             gint64                   conversation_id,
                                                             guint                   *position);

G_END_DECLS
