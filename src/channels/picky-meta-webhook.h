/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What Meta's webhooks share across WhatsApp, Messenger and Instagram:
 * the X-Hub-Signature-256 HMAC, the GET hub verification, the verify
 * token and the Graph API's error object. */

#pragma once

#include <json-glib/json-glib.h>

#include "picky-channel.h"
#include "picky-signature.h"
#include "picky-webhook-request.h"

G_BEGIN_DECLS

#define PICKY_META_SIGNATURE_HEADER "X-Hub-Signature-256"
#define PICKY_META_DEFAULT_GRAPH_BASE "https://graph.facebook.com"
#define PICKY_META_DEFAULT_GRAPH_VERSION "v25.0"

/* Returns the verify token a member of a Meta webhook path answers to. */
typedef const char * (*PickyMetaVerifyTokenFunc) (gpointer member);

gboolean           picky_meta_decode_signature     (const char               *header,
                                                    guint8                    digest[PICKY_SIGNATURE_SIZE]);
gboolean           picky_meta_check_signature      (GBytes                   *body,
                                                    const char               *header,
                                                    const char               *app_secret);
char              *picky_meta_generate_verify_token (void);
void               picky_meta_handle_verify        (PickyWebhookRequest      *request,
                                                    GPtrArray                *members,
                                                    PickyMetaVerifyTokenFunc  get_verify_token);
PickyChannelSetup *picky_meta_dup_setup            (GHashTable               *secrets,
                                                    const char               *path);
gint64             picky_meta_parse_graph_error    (JsonObject               *root,
                                                    gint64                   *subcode,
                                                    const char              **details);

G_END_DECLS
