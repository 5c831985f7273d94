/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One request the webhook listener received, held open until its handler answers. */

#pragma once

#include <gio/gio.h>

#include "picky-http-connection.h"

G_BEGIN_DECLS

#define PICKY_TYPE_WEBHOOK_REQUEST (picky_webhook_request_get_type ())

G_DECLARE_FINAL_TYPE (PickyWebhookRequest, picky_webhook_request, PICKY, WEBHOOK_REQUEST, GObject)

/* Made by PickyWebhookServer only, from a complete request. */
PickyWebhookRequest *picky_webhook_request_new         (PickyHttpConnection *connection,
                                                        guint                serial,
                                                        PickyHttpParser     *parser);

const char          *picky_webhook_request_get_method  (PickyWebhookRequest *self);
const char          *picky_webhook_request_get_path    (PickyWebhookRequest *self);
const char          *picky_webhook_request_get_query   (PickyWebhookRequest *self,
                                                        const char          *name);
const char          *picky_webhook_request_get_header  (PickyWebhookRequest *self,
                                                        const char          *name);
GBytes              *picky_webhook_request_get_body    (PickyWebhookRequest *self);
gboolean             picky_webhook_request_is_answered (PickyWebhookRequest *self);
void                 picky_webhook_request_respond     (PickyWebhookRequest *self,
                                                        guint                status,
                                                        const char          *content_type,
                                                        const char          *body,
                                                        gssize               length);

G_END_DECLS
