/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every fuzz target checks of the messages a parser made from hostile bytes. */

#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "picky-fuzz-util.h"
#include "picky-json.h"

static void
check_text (const char *what,
            const char *text)
{
  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    picky_fuzz_fail ("a message's %s is not UTF-8", what);
}

/**
 * picky_fuzz_check_messages:
 * @messages: what a parser returned
 * @channel_id: the channel it was told
 * @app: the app it was told
 *
 * Aborts when a message could not be stored as it is: a parser must
 * drop what it cannot read, never pass garbage on to the store.
 */
void
picky_fuzz_check_messages (GPtrArray  *messages,
                           gint64      channel_id,
                           const char *app)
{
  for (guint i = 0; i < messages->len; i++)
    {
      PickyMessage *message = g_ptr_array_index (messages, i);
      const char *key = picky_message_get_provider_key (message);
      const char *media = picky_message_get_media (message);

      if (picky_message_get_channel_id (message) != channel_id ||
          g_strcmp0 (picky_message_get_app (message), app) != 0)
        picky_fuzz_fail ("a message lost its channel or app");
      if (key == NULL || *key == '\0')
        picky_fuzz_fail ("a message has no provider key");
      if ((guint) picky_message_get_op (message) > PICKY_MESSAGE_OP_STATUS ||
          (guint) picky_message_get_kind (message) > PICKY_MESSAGE_KIND_UNSUPPORTED ||
          (guint) picky_message_get_direction (message) > PICKY_DIRECTION_OUT)
        picky_fuzz_fail ("a message has an op, kind or direction out of range");
      if (picky_message_get_op (message) != PICKY_MESSAGE_OP_STATUS &&
          picky_message_get_contact_provider_id (message) == NULL)
        picky_fuzz_fail ("a message has no contact");

      check_text ("provider key", key);
      check_text ("contact id", picky_message_get_contact_provider_id (message));
      check_text ("contact name", picky_message_get_contact_name (message));
      check_text ("contact phone", picky_message_get_contact_phone (message));
      check_text ("text", picky_message_get_text (message));
      check_text ("related key", picky_message_get_related_key (message));
      check_text ("error", picky_message_get_error (message));

      /* The details are stored as JSON and read back as JSON. */
      if (media != NULL && !picky_json_check_syntax (media, strlen (media), 64))
        picky_fuzz_fail ("a message's details are not JSON: %s", media);
    }
}
