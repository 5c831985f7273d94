/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Replies: stored as queued first, then sent through their channel, once at a time. */

#pragma once

#include <gio/gio.h>

#include "picky-channel-registry.h"

G_BEGIN_DECLS

#define PICKY_OUTBOX_ERROR (picky_outbox_error_quark ())

typedef enum {
  PICKY_OUTBOX_ERROR_BUSY,         /* the message is being sent already */
  PICKY_OUTBOX_ERROR_NOT_FAILED,   /* only a failed message can be sent again */
} PickyOutboxError;

#define PICKY_TYPE_OUTBOX (picky_outbox_get_type ())

G_DECLARE_FINAL_TYPE (PickyOutbox, picky_outbox, PICKY, OUTBOX, GObject)

GQuark        picky_outbox_error_quark   (void);

PickyOutbox  *picky_outbox_new           (PickyStore           *store,
                                          PickyChannelRegistry *registry);
void          picky_outbox_send_async    (PickyOutbox          *self,
                                          gint64                channel_id,
                                          const char           *contact_provider_id,
                                          const char           *text,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
PickyMessage *picky_outbox_send_finish   (PickyOutbox          *self,
                                          GAsyncResult         *result,
                                          GError              **error);
void          picky_outbox_retry_async   (PickyOutbox          *self,
                                          PickyMessage         *message,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
PickyMessage *picky_outbox_retry_finish  (PickyOutbox          *self,
                                          GAsyncResult         *result,
                                          GError              **error);
gboolean      picky_outbox_is_sending    (PickyOutbox          *self,
                                          gint64                message_id);

G_END_DECLS
