/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Viber bots (REST Bot API): signed callbacks in, send_message out. */

#pragma once

#include <json-glib/json-glib.h>

#include "picky-channel.h"

G_BEGIN_DECLS

#define PICKY_VIBER_DEFAULT_API_BASE "https://chatapi.viber.com/pa"
/* The callback path, after the public address the reverse proxy or
 * tunnel provides. */
#define PICKY_VIBER_WEBHOOK_PATH "/viber"

#define PICKY_TYPE_VIBER_CHANNEL (picky_viber_channel_get_type ())

G_DECLARE_FINAL_TYPE (PickyViberChannel, picky_viber_channel, PICKY, VIBER_CHANNEL, PickyChannel)

gboolean      picky_viber_channel_is_ready        (PickyViberChannel *self);
guint64       picky_viber_channel_get_n_events    (PickyViberChannel *self);
const char   *picky_viber_channel_get_registered_url (PickyViberChannel *self);
void          picky_viber_channel_set_token       (PickyViberChannel *self,
                                                   const char        *token);

/* The pure parts of the protocol, public so they can be tested alone. */
gboolean      picky_viber_channel_check_signature (GBytes            *body,
                                                   const char        *header,
                                                   const char        *token);
PickyMessage *picky_viber_channel_parse_event     (JsonObject        *root,
                                                   gint64             channel_id,
                                                   const char        *app);

G_END_DECLS
