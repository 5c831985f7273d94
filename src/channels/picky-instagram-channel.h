/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Instagram professional accounts: Messenger's protocol with object "instagram". */

#pragma once

#include "picky-messenger-channel.h"

G_BEGIN_DECLS

#define PICKY_INSTAGRAM_WEBHOOK_PATH "/instagram"

#define PICKY_TYPE_INSTAGRAM_CHANNEL (picky_instagram_channel_get_type ())

G_DECLARE_FINAL_TYPE (PickyInstagramChannel, picky_instagram_channel, PICKY, INSTAGRAM_CHANNEL, PickyMessengerChannel)

G_END_DECLS
