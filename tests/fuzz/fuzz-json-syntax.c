/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzzes the strict JSON pre-check: whatever it lets through, json-glib parses, no deeper than allowed. */

#include "config.h"

#include <json-glib/json-glib.h>

#include "picky-fuzz-util.h"
#include "picky-json.h"

/* Walks the tree without recursion, as the input may be deep if the check is wrong. */
static guint
measure_depth (JsonNode *root)
{
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();
  g_autoptr(GArray) depths = g_array_new (FALSE, FALSE, sizeof (guint));
  guint deepest = 0;
  guint zero = 0;

  g_ptr_array_add (stack, root);
  g_array_append_val (depths, zero);
  while (stack->len > 0)
    {
      JsonNode *node = g_ptr_array_steal_index (stack, stack->len - 1);
      guint depth = g_array_index (depths, guint, depths->len - 1);

      g_array_set_size (depths, depths->len - 1);
      if (JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *array = json_node_get_array (node);

          depth++;
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              g_ptr_array_add (stack, json_array_get_element (array, i));
              g_array_append_val (depths, depth);
            }
        }
      else if (JSON_NODE_HOLDS_OBJECT (node))
        {
          g_autoptr(GList) members = json_object_get_values (json_node_get_object (node));

          depth++;
          for (GList *l = members; l != NULL; l = l->next)
            {
              g_ptr_array_add (stack, l->data);
              g_array_append_val (depths, depth);
            }
        }
      deepest = MAX (deepest, depth);
    }

  return deepest;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(JsonParser) parser = NULL;
  const char *text;
  guint max_depth;

  if (size == 0)
    return 0;

  /* The first byte picks a small limit, so the boundary gets reached. */
  max_depth = 1 + data[0] % 8;
  text = (const char *) data + 1;
  size--;

  if (!picky_json_check_syntax (text, size, max_depth))
    return 0;

  /* Strict RFC 8259 is a subset of what json-glib reads. */
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, size, NULL))
    picky_fuzz_fail ("the syntax check passed what json-glib refuses");
  if (json_parser_get_root (parser) == NULL)
    picky_fuzz_fail ("the syntax check passed an empty text");
  if (measure_depth (json_parser_get_root (parser)) > max_depth)
    picky_fuzz_fail ("the syntax check passed nesting deeper than %u", max_depth);

  /* A looser limit passes what a tighter one did. */
  if (!picky_json_check_syntax (text, size, max_depth + 1))
    picky_fuzz_fail ("the syntax check refused at depth %u what it passed at %u", max_depth + 1, max_depth);

  return 0;
}
