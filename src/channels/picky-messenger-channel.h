/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Facebook Messenger pages (Meta webhooks, object "page"): signed events
 * in, the Graph Send API out. Instagram derives from it. */

#pragma once

#include <json-glib/json-glib.h>

#include "picky-channel.h"

G_BEGIN_DECLS

/* The callback path, after the public address the reverse proxy or
 * tunnel provides. */
#define PICKY_MESSENGER_WEBHOOK_PATH "/messenger"

#define PICKY_TYPE_MESSENGER_CHANNEL (picky_messenger_channel_get_type ())

G_DECLARE_DERIVABLE_TYPE (PickyMessengerChannel, picky_messenger_channel, PICKY, MESSENGER_CHANNEL, PickyChannel)

struct _PickyMessengerChannelClass
{
  PickyChannelClass parent_class;

  /* The webhook's "object" this kind takes, and the path it listens on. */
  const char *object;
  const char *path;
  /* The product as admins know it, for error messages. */
  const char *product;
};

void          picky_messenger_channel_class_add_fields (PickyChannelClass     *channel_class,
                                                        const char            *account_label,
                                                        const char            *account_help);

gboolean      picky_messenger_channel_is_ready        (PickyMessengerChannel *self);
guint64       picky_messenger_channel_get_n_unknown   (PickyMessengerChannel *self);
void          picky_messenger_channel_set_app_secret  (PickyMessengerChannel *self,
                                                       const char            *app_secret);

/* The pure part of the protocol, public so it can be tested alone. */
GPtrArray    *picky_messenger_channel_parse_event     (JsonObject            *event,
                                                       const char            *account_id,
                                                       gint64                 channel_id,
                                                       const char            *app);

G_END_DECLS
