/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One message of a conversation: a bubble with its media, marks and delivery status. */

#pragma once

#include <adwaita.h>

#include "picky-message.h"

G_BEGIN_DECLS

#define PICKY_TYPE_MESSAGE_BUBBLE (picky_message_bubble_get_type ())

G_DECLARE_FINAL_TYPE (PickyMessageBubble, picky_message_bubble, PICKY, MESSAGE_BUBBLE, GtkWidget)

GtkWidget    *picky_message_bubble_new          (void);
void          picky_message_bubble_set_message  (PickyMessageBubble *self,
                                                 PickyMessage       *message,
                                                 gboolean            new_day);
PickyMessage *picky_message_bubble_get_message  (PickyMessageBubble *self);
const char   *picky_message_bubble_get_status_text (PickyMessageBubble *self);
const char   *picky_message_bubble_get_reactions_text (PickyMessageBubble *self);
const char   *picky_message_bubble_get_day_text (PickyMessageBubble *self);
gboolean      picky_message_bubble_get_failed   (PickyMessageBubble *self);
void          picky_message_bubble_set_highlighted (PickyMessageBubble *self,
                                                 gboolean            highlighted);
gboolean      picky_message_bubble_get_highlighted (PickyMessageBubble *self);

G_END_DECLS
