/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The webhook listener: a strict HTTP/1.1 server with its own limits, and the paths that channels join. */

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

/**
 * PickyWebhookFanout:
 * @server: the listener
 * @request: a request under the path, body complete
 * @members: (element-type GObject): whoever joined the path, in the order
 *   they joined; never empty
 *
 * The one handler of a path that several channels share, such as every
 * WhatsApp channel on "/whatsapp": it decides which members a request is
 * for. @members is the path's live list: a handler that answers later may
 * keep a reference and look again, and finds it empty once the path is gone.
 * As with #PickyWebhookHandler, the request waits until it is answered.
 */
typedef void (*PickyWebhookFanout)  (PickyWebhookServer  *server,
                                     PickyWebhookRequest *request,
                                     GPtrArray           *members);

PickyWebhookServer *picky_webhook_server_new             (void);

gboolean            picky_webhook_server_start           (PickyWebhookServer  *self,
                                                          const char          *address,
                                                          guint                port,
                                                          GError             **error);
void                picky_webhook_server_stop            (PickyWebhookServer  *self);
gboolean            picky_webhook_server_is_listening    (PickyWebhookServer  *self);
guint               picky_webhook_server_get_port        (PickyWebhookServer  *self);
guint               picky_webhook_server_get_n_connections (PickyWebhookServer *self);
const char         *picky_webhook_server_get_bind_error  (PickyWebhookServer  *self);

void                picky_webhook_server_add_route       (PickyWebhookServer  *self,
                                                          const char          *prefix,
                                                          PickyWebhookHandler  handler,
                                                          gpointer             user_data,
                                                          GDestroyNotify       destroy);
void                picky_webhook_server_remove_route    (PickyWebhookServer  *self,
                                                          const char          *prefix);
gboolean            picky_webhook_server_has_route       (PickyWebhookServer  *self,
                                                          const char          *prefix);

void                picky_webhook_server_join            (PickyWebhookServer  *self,
                                                          const char          *prefix,
                                                          PickyWebhookFanout   fanout,
                                                          gpointer             member);
void                picky_webhook_server_leave           (PickyWebhookServer  *self,
                                                          const char          *prefix,
                                                          gpointer             member);
GPtrArray          *picky_webhook_server_get_members     (PickyWebhookServer  *self,
                                                          const char          *prefix);

G_END_DECLS
