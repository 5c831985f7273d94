/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Phone relay devices: paired phones post their apps' notifications and fetch replies to send. */

#pragma once

#include "picky-channel.h"

G_BEGIN_DECLS

/* Every relay request goes under this prefix of the webhook listener; the
 * protocol is described in docs/relay-protocol.md. */
#define PICKY_RELAY_PATH "/relay/"
/* The longest a phone's outbox poll is held open, in seconds. */
#define PICKY_RELAY_MAX_WAIT 25
/* How long a pairing code is valid, in seconds. */
#define PICKY_RELAY_PAIRING_LIFETIME (10 * 60)
/* The most notifications one request may carry. */
#define PICKY_RELAY_MAX_BATCH 500

#define PICKY_TYPE_RELAY_CHANNEL (picky_relay_channel_get_type ())

G_DECLARE_FINAL_TYPE (PickyRelayChannel, picky_relay_channel, PICKY, RELAY_CHANNEL, PickyChannel)

char      *picky_relay_channel_generate_pairing_code (void);
char      *picky_relay_channel_generate_token        (void);

char      *picky_relay_channel_make_contact_id       (gint64             device_id,
                                                      const char        *conversation);
gboolean   picky_relay_channel_parse_contact_id      (const char        *contact_id,
                                                      gint64            *device_id,
                                                      const char       **conversation);

guint64    picky_relay_channel_get_n_unsupported     (PickyRelayChannel *self);

G_END_DECLS
