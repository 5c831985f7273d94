/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzzes the bodies a phone posts to the relay: register, notifications and acknowledgements. */

#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "picky-fuzz-util.h"
#include "picky-json.h"
#include "picky-relay-channel.h"
#include "picky-relay-channel-private.h"
#include "picky-webhook-server.h"

/* The relay's own limits, as docs/relay-protocol.md states them. */
#define MAX_FIELD_LENGTH 1024
#define MAX_TEXT_LENGTH 65536

static void
check_short_text (const char *text,
                  gsize       max_length)
{
  if (text != NULL && (strlen (text) > max_length || !g_utf8_validate (text, -1, NULL)))
    picky_fuzz_fail ("a field passed that is too long or not UTF-8");
}

static void
check_register (JsonObject *body)
{
  const char *values[PICKY_RELAY_REGISTER_N_FIELDS];

  if (!picky_relay_channel_read_register (body, values))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    check_short_text (values[i], MAX_FIELD_LENGTH);
}

static void
check_notifications (JsonObject *body)
{
  guint status = picky_relay_channel_check_notifications (body);
  JsonArray *items = picky_json_get_array (body, "notifications");

  if (status != SOUP_STATUS_OK)
    {
      if (status != SOUP_STATUS_BAD_REQUEST && status != SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE)
        picky_fuzz_fail ("notifications refused with status %u", status);
      return;
    }

  /* What the store is then handed: every item an object with a key and a package. */
  if (items == NULL || json_array_get_length (items) > PICKY_RELAY_MAX_BATCH)
    picky_fuzz_fail ("a notifications body passed without an array, or with too many");
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      JsonObject *item;
      const char *key;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        picky_fuzz_fail ("a notification that is not an object passed");
      item = json_node_get_object (node);
      key = picky_json_get_string (item, "key");
      if (key == NULL || *key == '\0' || picky_json_get_string (item, "package") == NULL)
        picky_fuzz_fail ("a notification without key or package passed");
      check_short_text (key, MAX_FIELD_LENGTH);
      check_short_text (picky_json_get_string (item, "package"), MAX_FIELD_LENGTH);
      check_short_text (picky_json_get_string (item, "sender"), MAX_FIELD_LENGTH);
      check_short_text (picky_json_get_string (item, "conversation"), MAX_FIELD_LENGTH);
      check_short_text (picky_json_get_string (item, "text"), MAX_TEXT_LENGTH);
    }
}

static void
check_ack (JsonObject *body)
{
  const char *status = picky_json_get_string (body, "status");

  if (!picky_relay_channel_check_ack (body))
    return;
  if (g_strcmp0 (status, "sent") != 0 && g_strcmp0 (status, "failed") != 0)
    picky_fuzz_fail ("an acknowledgement passed with status %s", status);
  if (json_object_get_int_member_with_default (body, "id", 0) <= 0)
    picky_fuzz_fail ("an acknowledgement passed without a positive id");
  check_short_text (picky_json_get_string (body, "error"), MAX_FIELD_LENGTH);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) body = g_bytes_new_static (data, size);
  g_autoptr(JsonObject) root = picky_json_parse_object (body, PICKY_WEBHOOK_MAX_JSON_DEPTH);

  /* Each endpoint reads the same way, and a body may be sent to any of them;
   * all three refuse a body that is not an object. */
  check_register (root);
  check_notifications (root);
  check_ack (root);

  return 0;
}
