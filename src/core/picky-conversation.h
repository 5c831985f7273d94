/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One conversation: a contact on a channel, as the Inbox lists it. */

#pragma once

#include <glib-object.h>

#include "picky-message.h"

G_BEGIN_DECLS

/* Which conversations a list shows. */
typedef enum {
  PICKY_CONVERSATION_FILTER_OPEN,     /* not marked Done */
  PICKY_CONVERSATION_FILTER_WAITING,  /* open, the customer waiting for our reply */
  PICKY_CONVERSATION_FILTER_UNREAD,   /* with unread customer messages */
  PICKY_CONVERSATION_FILTER_DONE,     /* marked Done and not reopened since */
  PICKY_CONVERSATION_FILTER_ALL,
} PickyConversationFilter;

#define PICKY_TYPE_CONVERSATION (picky_conversation_get_type ())

G_DECLARE_FINAL_TYPE (PickyConversation, picky_conversation, PICKY, CONVERSATION, GObject)

PickyConversation *picky_conversation_new                (void);
void               picky_conversation_changed            (PickyConversation *self);
void               picky_conversation_fill               (PickyConversation *self,
                                                          PickyConversation *source);
gboolean           picky_conversation_matches            (PickyConversation       *self,
                                                          PickyConversationFilter  filter,
                                                          const char * const      *apps,
                                                          gint64                   channel_id);
int                picky_conversation_compare            (PickyConversation *a,
                                                          PickyConversation *b);

gint64             picky_conversation_get_id             (PickyConversation *self);
void               picky_conversation_set_id             (PickyConversation *self, gint64 id);
gint64             picky_conversation_get_channel_id     (PickyConversation *self);
void               picky_conversation_set_channel_id     (PickyConversation *self, gint64 channel_id);
gint64             picky_conversation_get_contact_id     (PickyConversation *self);
void               picky_conversation_set_contact_id     (PickyConversation *self, gint64 contact_id);
const char        *picky_conversation_get_app            (PickyConversation *self);
void               picky_conversation_set_app            (PickyConversation *self, const char *app);
const char        *picky_conversation_get_display_name   (PickyConversation *self);
const char        *picky_conversation_get_name           (PickyConversation *self);
void               picky_conversation_set_name           (PickyConversation *self, const char *name);
const char        *picky_conversation_get_number         (PickyConversation *self);
void               picky_conversation_set_number         (PickyConversation *self, const char *number);
const char        *picky_conversation_get_provider_id    (PickyConversation *self);
void               picky_conversation_set_provider_id    (PickyConversation *self, const char *provider_id);
gint64             picky_conversation_get_last_time      (PickyConversation *self);
void               picky_conversation_set_last_time      (PickyConversation *self, gint64 unix_seconds);
gint64             picky_conversation_get_last_message_id (PickyConversation *self);
void               picky_conversation_set_last_message_id (PickyConversation *self, gint64 id);
const char        *picky_conversation_get_last_text      (PickyConversation *self);
void               picky_conversation_set_last_text      (PickyConversation *self, const char *text);
PickyMessageKind   picky_conversation_get_last_kind      (PickyConversation *self);
void               picky_conversation_set_last_kind      (PickyConversation *self, PickyMessageKind kind);
gboolean           picky_conversation_get_last_is_ours   (PickyConversation *self);
void               picky_conversation_set_last_is_ours   (PickyConversation *self, gboolean ours);
guint              picky_conversation_get_unread         (PickyConversation *self);
void               picky_conversation_set_unread         (PickyConversation *self, guint unread);
gint64             picky_conversation_get_waiting_since  (PickyConversation *self);
void               picky_conversation_set_waiting_since  (PickyConversation *self, gint64 unix_seconds);
gboolean           picky_conversation_get_done           (PickyConversation *self);
void               picky_conversation_set_done           (PickyConversation *self, gboolean done);
gboolean           picky_conversation_get_gone           (PickyConversation *self);
void               picky_conversation_set_gone           (PickyConversation *self, gboolean gone);

G_END_DECLS
