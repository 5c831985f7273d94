/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A live list model of stored messages, newest first, loaded a keyset page at a time. */

#pragma once

#include <gio/gio.h>

#include "picky-store.h"

G_BEGIN_DECLS

#define PICKY_TYPE_MESSAGE_LIST (picky_message_list_get_type ())

G_DECLARE_FINAL_TYPE (PickyMessageList, picky_message_list, PICKY, MESSAGE_LIST, GObject)

PickyMessageList *picky_message_list_new              (PickyStore         *store,
                                                       PickyDirection      direction);
void              picky_message_list_set_filter       (PickyMessageList   *self,
                                                       const char * const *apps,
                                                       gint64              channel_id,
                                                       gboolean            unread_only,
                                                       const char         *search);
const char       *picky_message_list_get_search       (PickyMessageList *self);
gboolean          picky_message_list_get_loading      (PickyMessageList *self);
gboolean          picky_message_list_get_complete     (PickyMessageList *self);
guint             picky_message_list_get_n_resident   (PickyMessageList *self);
void              picky_message_list_load_more        (PickyMessageList *self);
void              picky_message_list_mark_read        (PickyMessageList *self,
                                                       gint64            contact_id);
gboolean          picky_message_list_matches          (PickyMessageList *self,
                                                       PickyMessage     *message);

G_END_DECLS
