/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JSON helpers the channels share: reading members that may be absent, building bodies, parsing what arrives. */

#include "config.h"

#include <string.h>

#include "picky-json.h"
#include "picky-webhook-server.h"

/**
 * picky_json_get_object:
 * @object: (nullable): the object to look in
 * @name: the member's name
 *
 * Providers leave members out freely, and json-glib 1.6 warns when a
 * missing member is read with its own getters. A %NULL @object gives
 * %NULL, so lookups down a path can be chained without a check per step.
 *
 * Returns: (transfer none) (nullable): the member if it is an object
 */
JsonObject *
picky_json_get_object (JsonObject *object,
                       const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

/**
 * picky_json_get_array:
 * @object: (nullable): the object to look in
 * @name: the member's name
 *
 * As picky_json_get_object(), for arrays.
 *
 * Returns: (transfer none) (nullable): the member if it is an array
 */
JsonArray *
picky_json_get_array (JsonObject *object,
                      const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  return json_node_get_array (node);
}

/**
 * picky_json_get_string:
 * @object: (nullable): the object to look in
 * @name: the member's name
 *
 * As picky_json_get_object(), for strings. A number or a boolean where a
 * string belongs gives %NULL too: a body from outside is not trusted to
 * hold the types it should.
 *
 * Returns: (transfer none) (nullable): the member if it is a string
 */
const char *
picky_json_get_string (JsonObject *object,
                       const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/**
 * picky_json_copy_members:
 * @builder: a builder inside an object
 * @from: the object to copy from
 * @names: (array zero-terminated=1): the members to copy
 *
 * Copies those of @names that @from holds as plain values, under the same
 * names. The media column keeps what a later download or report needs, so
 * channels pick members rather than store a provider's whole object; an
 * absent, null or nested member is left out.
 */
void
picky_json_copy_members (JsonBuilder        *builder,
                         JsonObject         *from,
                         const char * const *names)
{
  g_return_if_fail (JSON_IS_BUILDER (builder));
  g_return_if_fail (from != NULL);
  g_return_if_fail (names != NULL);

  for (guint i = 0; names[i] != NULL; i++)
    {
      JsonNode *node = json_object_get_member (from, names[i]);

      if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
        {
          json_builder_set_member_name (builder, names[i]);
          json_builder_add_value (builder, json_node_copy (node));
        }
    }
}

/**
 * picky_json_builder_to_string:
 * @builder: a builder whose outermost object or array is ended
 *
 * Compact, as stored in the media column and sent over the wire.
 *
 * Returns: (transfer full): the built JSON as text
 */
char *
picky_json_builder_to_string (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (JSON_IS_BUILDER (builder), NULL);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/**
 * picky_json_builder_to_bytes:
 * @builder: a builder whose outermost object or array is ended
 *
 * As picky_json_builder_to_string(), in the form libsoup takes a request
 * body in.
 *
 * Returns: (transfer full): the built JSON, without a closing NUL
 */
GBytes *
picky_json_builder_to_bytes (JsonBuilder *builder)
{
  char *text = picky_json_builder_to_string (builder);

  return g_bytes_new_take (text, strlen (text));
}

/**
 * picky_json_parse_object:
 * @body: (nullable): JSON bytes as they arrived
 * @max_depth: how many arrays and objects may nest
 *
 * Checks the nesting first, because json-glib 1.6 recurses on the stack
 * with no limit of its own and a body of nothing but "[" would exhaust it.
 * Every caller answers any failure the same way, so none is told apart.
 *
 * The tree is sealed: it is only read, and json-glib then warns about any
 * attempt to change it.
 *
 * Returns: (transfer full) (nullable): the top-level object, or %NULL if
 *   @body is empty, nests too deep, is not JSON or holds no object
 */
JsonObject *
picky_json_parse_object (GBytes *body,
                         guint   max_depth)
{
  g_autoptr(JsonParser) parser = NULL;
  gsize length = 0;
  const char *data;
  JsonNode *root;

  if (body == NULL || g_bytes_get_size (body) == 0 ||
      !picky_webhook_check_json_depth (body, max_depth))
    return NULL;

  parser = json_parser_new_immutable ();
  data = g_bytes_get_data (body, &length);
  if (!json_parser_load_from_data (parser, data, length, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}
