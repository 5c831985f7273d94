/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzzes a Viber callback body as the listener reads it once its signature matched. */

#include "config.h"

#include "picky-fuzz-util.h"
#include "picky-json.h"
#include "picky-viber-channel.h"
#include "picky-webhook-server.h"

#define CHANNEL_ID 7

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) body = g_bytes_new_static (data, size);
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  PickyMessage *message;

  root = picky_json_parse_object (body, PICKY_WEBHOOK_MAX_JSON_DEPTH);
  if (root == NULL)
    return 0;
  if (!picky_json_check_syntax ((const char *) data, size, PICKY_WEBHOOK_MAX_JSON_DEPTH))
    picky_fuzz_fail ("an object was parsed from a body the syntax check refuses");

  /* One callback is one event: a message, a receipt, or nothing to store. */
  message = picky_viber_channel_parse_event (root, CHANNEL_ID, "viber");
  if (message != NULL)
    g_ptr_array_add (messages, message);

  picky_fuzz_check_messages (messages, CHANNEL_ID, "viber");
  return 0;
}
