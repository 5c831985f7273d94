/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LINE Messaging API: signed webhooks in, reply and push out. */

#pragma once

#include <json-glib/json-glib.h>

#include "picky-channel.h"

G_BEGIN_DECLS

#define PICKY_LINE_DEFAULT_API_BASE "https://api.line.me"
/* The callback path, after the public address the reverse proxy or
 * tunnel provides. */
#define PICKY_LINE_WEBHOOK_PATH "/line"

#define PICKY_TYPE_LINE_CHANNEL (picky_line_channel_get_type ())

G_DECLARE_FINAL_TYPE (PickyLineChannel, picky_line_channel, PICKY, LINE_CHANNEL, PickyChannel)

gboolean      picky_line_channel_is_ready        (PickyLineChannel *self);
guint64       picky_line_channel_get_n_events    (PickyLineChannel *self);
void          picky_line_channel_set_channel_secret (PickyLineChannel *self,
                                                     const char       *channel_secret);

/* The pure parts of the protocol, public so they can be tested alone. */
gboolean      picky_line_channel_check_signature (GBytes           *body,
                                                  const char       *header,
                                                  const char       *channel_secret);
PickyMessage *picky_line_channel_parse_event     (JsonObject       *event,
                                                  gint64            channel_id,
                                                  const char       *app);

G_END_DECLS
