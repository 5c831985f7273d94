/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzzes a getUpdates answer as the Telegram channel reads it from the Bot API. */

#include "config.h"

#include "picky-fuzz-util.h"
#include "picky-json.h"
#include "picky-telegram-channel.h"
#include "picky-webhook-server.h"

#define CHANNEL_ID 3
#define OFFSET 100

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *result;
  gint64 next_offset = OFFSET;
  guint n_updates = G_MAXUINT;

  /* As the channel reads an answer: the object, then "result" when "ok". */
  root = picky_json_parse_object (bytes, PICKY_WEBHOOK_MAX_JSON_DEPTH);
  if (root == NULL || !json_object_get_boolean_member_with_default (root, "ok", FALSE))
    return 0;
  result = json_object_get_member (root, "result");
  if (result == NULL)
    return 0;

  messages = picky_telegram_channel_parse_updates (result, CHANNEL_ID, "telegram",
                                                   &next_offset, &n_updates, &error);
  if (messages == NULL)
    {
      if (JSON_NODE_HOLDS_ARRAY (result) || error == NULL)
        picky_fuzz_fail ("updates refused without a reason, or an array of them refused");
      return 0;
    }
  if (error != NULL || !JSON_NODE_HOLDS_ARRAY (result))
    picky_fuzz_fail ("updates read from something that is not an array");

  /* The offset only moves forward: going back would fetch updates again. */
  if (next_offset < OFFSET)
    picky_fuzz_fail ("the offset went back from %d to %" G_GINT64_FORMAT, OFFSET, next_offset);
  if (n_updates != json_array_get_length (json_node_get_array (result)) || messages->len > n_updates)
    picky_fuzz_fail ("%u messages from %u updates", messages->len, n_updates);

  picky_fuzz_check_messages (messages, CHANNEL_ID, "telegram");

  return 0;
}
