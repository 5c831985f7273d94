/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The webhook listener: a strict HTTP/1.1 server with its own limits, and routes that channels own. */

#pragma once

#include <gio/gio.h>

#include "picky-webhook-request.h"

G_BEGIN_DECLS

#define PICKY_WEBHOOK_DEFAULT_ADDRESS "127.0.0.1"
#define PICKY_WEBHOOK_DEFAULT_PORT 8765
#define PICKY_WEBHOOK_MAX_BODY_SIZE (4 * 1024 * 1024)
#define PICKY_WEBHOOK_MAX_JSON_DEPTH 64

#define PICKY_TYPE_WEBHOOK_SERVER (picky_webhook_server_get_type ())

G_DECLARE_FINAL_TYPE (PickyWebhookServer, picky_webhook_server, PICKY, WEBHOOK_SERVER, GObject)

/**
 * PickyWebhookHandler:
 * @server: the listener
 * @request: a request under the route's prefix, body complete
 * @user_data: the data given to picky_webhook_server_add_route()
 *
 * Called on the server's main context. The request stays open, paused,
 * until picky_webhook_request_respond() is called, which may happen much
 * later, e.g. after a commit; keep a reference to @request until then.
 */
typedef void (*PickyWebhookHandler) (PickyWebhookServer  *server,
                                     PickyWebhookRequest *request,
                                     gpointer             user_data);

PickyWebhookServer *picky_webhook_server_new             (void);

gboolean            picky_webhook_server_start           (PickyWebhookServer  *self,
                                                          const char          *address,
                                                          guint                port,
                                                          GError             **error);
void                picky_webhook_server_stop            (PickyWebhookServer  *self);
gboolean            picky_webhook_server_is_listening    (PickyWebhookServer  *self);
guint               picky_webhook_server_get_port        (PickyWebhookServer  *self);
guint               picky_webhook_server_get_n_connections (PickyWebhookServer *self);

void                picky_webhook_server_add_route       (PickyWebhookServer  *self,
                                                          const char          *prefix,
                                                          PickyWebhookHandler  handler,
                                                          gpointer             user_data,
                                                          GDestroyNotify       destroy);
void                picky_webhook_server_remove_route    (PickyWebhookServer  *self,
                                                          const char          *prefix);
gboolean            picky_webhook_server_has_route       (PickyWebhookServer  *self,
                                                          const char          *prefix);

G_END_DECLS
