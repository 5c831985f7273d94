/* SPDX-License-Identifier: GPL-3.0-or-later */
/* WhatsApp Business Cloud API: signed webhooks in, the Graph API out. */

#pragma once

#include <json-glib/json-glib.h>

#include "picky-channel.h"

G_BEGIN_DECLS

#define PICKY_WHATSAPP_DEFAULT_GRAPH_BASE "https://graph.facebook.com"
#define PICKY_WHATSAPP_DEFAULT_GRAPH_VERSION "v25.0"
/* The callback path to configure in Meta's dashboard, after the public
 * address the reverse proxy or tunnel provides. */
#define PICKY_WHATSAPP_WEBHOOK_PATH "/whatsapp"

#define PICKY_TYPE_WHATSAPP_CHANNEL (picky_whatsapp_channel_get_type ())

G_DECLARE_FINAL_TYPE (PickyWhatsAppChannel, picky_whatsapp_channel, PICKY, WHATSAPP_CHANNEL, PickyChannel)

char      *picky_whatsapp_channel_generate_verify_token (void);

gboolean   picky_whatsapp_channel_is_ready              (PickyWhatsAppChannel *self);
guint64    picky_whatsapp_channel_get_n_unknown         (PickyWhatsAppChannel *self);
void       picky_whatsapp_channel_set_app_secret        (PickyWhatsAppChannel *self,
                                                         const char           *app_secret);

/* The pure parts of the protocol, public so they can be tested alone. */
gboolean   picky_whatsapp_channel_check_signature       (GBytes               *body,
                                                         const char           *header,
                                                         const char           *app_secret);
GPtrArray *picky_whatsapp_channel_parse_value           (JsonObject           *value,
                                                         gint64                channel_id,
                                                         const char           *app);

G_END_DECLS
