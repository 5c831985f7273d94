/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The relay's checks of what a phone posts, apart from any request, for fuzzing and tests. */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The fields of a register body, in the order picky_relay_channel_read_register() fills them. */
#define PICKY_RELAY_REGISTER_N_FIELDS 5

gboolean picky_relay_channel_read_register        (JsonObject  *body,
                                                   const char **values);
guint    picky_relay_channel_check_notifications  (JsonObject  *body);
gboolean picky_relay_channel_check_ack            (JsonObject  *body);

G_END_DECLS
