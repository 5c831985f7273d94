/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JSON helpers the channels share: reading members that may be absent, building bodies, parsing what arrives. */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

JsonObject *picky_json_get_object          (JsonObject         *object,
                                            const char         *name);
JsonArray  *picky_json_get_array           (JsonObject         *object,
                                            const char         *name);
const char *picky_json_get_string          (JsonObject         *object,
                                            const char         *name);
void        picky_json_copy_members        (JsonBuilder        *builder,
                                            JsonObject         *from,
                                            const char * const *names);
char       *picky_json_builder_to_string   (JsonBuilder        *builder);
GBytes     *picky_json_builder_to_bytes    (JsonBuilder        *builder);
gboolean    picky_json_check_syntax        (const char         *data,
                                            gsize               length,
                                            guint               max_depth);
JsonObject *picky_json_parse_object        (GBytes             *body,
                                            guint               max_depth);

G_END_DECLS
