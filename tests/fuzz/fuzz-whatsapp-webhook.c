/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzzes a WhatsApp webhook body as the listener reads it once its signature matched. */

#include "config.h"

#include "picky-fuzz-util.h"
#include "picky-json.h"
#include "picky-webhook-server.h"
#include "picky-whatsapp-channel.h"

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

  /* The same walk as the listener's: entry[].changes[].value. */
  entries = picky_json_get_array (root, "entry");
  for (guint e = 0; entries != NULL && e < json_array_get_length (entries); e++)
    {
      JsonNode *entry = json_array_get_element (entries, e);
      JsonArray *changes;

      if (!JSON_NODE_HOLDS_OBJECT (entry))
        continue;
      changes = picky_json_get_array (json_node_get_object (entry), "changes");
      for (guint c = 0; changes != NULL && c < json_array_get_length (changes); c++)
        {
          JsonNode *change = json_array_get_element (changes, c);
          g_autoptr(GPtrArray) messages = NULL;
          JsonObject *value;
          JsonArray *items, *statuses;
          guint n_items;

          if (!JSON_NODE_HOLDS_OBJECT (change))
            continue;
          value = picky_json_get_object (json_node_get_object (change), "value");
          if (value == NULL)
            continue;

          messages = picky_whatsapp_channel_parse_value (value, CHANNEL_ID, "whatsapp");
          if (messages == NULL)
            picky_fuzz_fail ("parse_value returned no array");

          /* At most one message per messages[] or statuses[] element. */
          items = picky_json_get_array (value, "messages");
          statuses = picky_json_get_array (value, "statuses");
          n_items = (items != NULL ? json_array_get_length (items) : 0) +
                    (statuses != NULL ? json_array_get_length (statuses) : 0);
          if (messages->len > n_items)
            picky_fuzz_fail ("%u messages from %u elements", messages->len, n_items);

          picky_fuzz_check_messages (messages, CHANNEL_ID, "whatsapp");
        }
    }

  return 0;
}
