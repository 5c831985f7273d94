/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Telegram through the Bot API: long polling in, sendMessage out. */

#pragma once

#include <json-glib/json-glib.h>

#include "picky-channel.h"

G_BEGIN_DECLS

#define PICKY_TELEGRAM_DEFAULT_API_BASE "https://api.telegram.org"

#define PICKY_TYPE_TELEGRAM_CHANNEL (picky_telegram_channel_get_type ())

G_DECLARE_FINAL_TYPE (PickyTelegramChannel, picky_telegram_channel, PICKY, TELEGRAM_CHANNEL, PickyChannel)

PickyChannel *picky_telegram_channel_new                  (gint64                 id,
                                                           const char            *name,
                                                           const char            *settings_json,
                                                           PickyStore            *store,
                                                           PickyVault            *vault,
                                                           PickyAccess           *access);

/* The pure part of the protocol, public so it can be tested alone. */
GPtrArray    *picky_telegram_channel_parse_updates        (JsonNode              *result,
                                                           gint64                 channel_id,
                                                           const char            *app,
                                                           gint64                *next_offset,
                                                           guint                 *n_updates,
                                                           GError               **error);
char         *picky_telegram_channel_redact               (const char            *text);

G_END_DECLS
