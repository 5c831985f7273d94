/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzzes a Messenger or Instagram webhook body as the listener reads it once its signature matched. */

#include "config.h"

#include "picky-fuzz-util.h"
#include "picky-json.h"
#include "picky-messenger-channel.h"
#include "picky-webhook-server.h"

#define CHANNEL_ID 7

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) body = g_bytes_new_static (data, size);
  g_autoptr(JsonObject) root = NULL;
  JsonArray *entries;

  root = picky_json_parse_object (body, PICKY_WEBHOOK_MAX_JSON_DEPTH);
  if (root == NULL)
    return 0;
  if (!picky_json_check_syntax ((const char *) data, size, PICKY_WEBHOOK_MAX_JSON_DEPTH))
    picky_fuzz_fail ("an object was parsed from a body the syntax check refuses");

  /* The same walk as the listener's: entry[].messaging[]. */
  entries = picky_json_get_array (root, "entry");
  for (guint e = 0; entries != NULL && e < json_array_get_length (entries); e++)
    {
      JsonNode *entry = json_array_get_element (entries, e);
      JsonArray *events;

      if (!JSON_NODE_HOLDS_OBJECT (entry))
        continue;
      events = picky_json_get_array (json_node_get_object (entry), "messaging");
      for (guint i = 0; events != NULL && i < json_array_get_length (events); i++)
        {
          JsonNode *event = json_array_get_element (events, i);
          g_autoptr(GPtrArray) messages = NULL;
          JsonObject *delivery;
          guint most = 1;

          if (!JSON_NODE_HOLDS_OBJECT (event))
            continue;
          messages = picky_messenger_channel_parse_event (json_node_get_object (event), "1", CHANNEL_ID, "messenger");
          if (messages == NULL)
            picky_fuzz_fail ("parse_event returned no array");

          /* One message per event, or one status per mid a delivery names. */
          delivery = picky_json_get_object (json_node_get_object (event), "delivery");
          if (delivery != NULL && picky_json_get_array (delivery, "mids") != NULL)
            most = MAX (most, json_array_get_length (picky_json_get_array (delivery, "mids")));
          if (messages->len > most)
            picky_fuzz_fail ("%u messages from one event", messages->len);

          picky_fuzz_check_messages (messages, CHANNEL_ID, "messenger");
        }
    }

  return 0;
}
