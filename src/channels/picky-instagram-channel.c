/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Instagram professional accounts: Messenger's protocol with object "instagram". */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-channel-private.h"
#include "picky-instagram-channel.h"

struct _PickyInstagramChannel
{
  PickyMessengerChannel parent_instance;
};

G_DEFINE_FINAL_TYPE (PickyInstagramChannel, picky_instagram_channel, PICKY_TYPE_MESSENGER_CHANNEL)

/* Meta sends the same events, receipts naming the message read, and takes
 * replies at the same endpoint with the Instagram-scoped id. */
static void
picky_instagram_channel_class_init (PickyInstagramChannelClass *klass)
{
  PickyMessengerChannelClass *messenger_class = PICKY_MESSENGER_CHANNEL_CLASS (klass);
  PickyChannelClass *channel_class = PICKY_CHANNEL_CLASS (klass);

  messenger_class->object = "instagram";
  messenger_class->path = PICKY_INSTAGRAM_WEBHOOK_PATH;
  messenger_class->product = "Instagram";

  picky_channel_class_set_kind (channel_class, "instagram", "instagram", N_("Instagram Professional Account"));
  picky_channel_class_set_webhook_sender (channel_class, "Meta");
  picky_channel_class_set_setup_secret (channel_class, "verify-token");
  picky_channel_class_set_description (channel_class,
                                       N_("From your app in Meta’s developer dashboard: the Instagram account’s ID, the access token of the Facebook page linked to it and the app secret. The token and the secret are stored in your system keyring only."));
  picky_messenger_channel_class_add_fields (channel_class, N_("Instagram Account ID"),
                                            N_("In Meta’s dashboard, under Instagram, API setup, beside the account."));
}

static void
picky_instagram_channel_init (PickyInstagramChannel *self)
{
}
