/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JSON helpers the channels share: reading members that may be absent, building bodies, parsing what arrives. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "picky-json.h"

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

/* What the syntax check expects next; see picky_json_check_syntax(). */
typedef enum
{
  EXPECT_VALUE,             /* at the top, after ':' or after ',' in an array */
  EXPECT_VALUE_OR_CLOSE,    /* just after '[' */
  EXPECT_KEY,               /* after ',' in an object */
  EXPECT_KEY_OR_CLOSE,      /* just after '{' */
  EXPECT_COLON,
  EXPECT_COMMA_OR_CLOSE,
  EXPECT_END,               /* the top-level value is complete */
} Expect;

static gboolean
is_json_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Reads the four hex digits of a \u escape at @at. */
static gboolean
read_hex4 (const char *data,
           gsize       length,
           gsize       at,
           gunichar   *unit)
{
  *unit = 0;
  if (at > length || length - at < 4)
    return FALSE;
  for (guint k = 0; k < 4; k++)
    {
      if (!g_ascii_isxdigit (data[at + k]))
        return FALSE;
      *unit = *unit << 4 | g_ascii_xdigit_value (data[at + k]);
    }

  return TRUE;
}

/* Steps over one string starting at its opening quote; FALSE if it is not
 * a valid JSON string (raw control characters, unknown escapes, a UTF-16
 * surrogate that is not half of a pair). */
static gboolean
skip_string (const char *data,
             gsize       length,
             gsize      *at)
{
  gsize i = *at + 1;

  while (i < length)
    {
      guchar c = data[i];

      if (c == '"')
        {
          *at = i + 1;
          return TRUE;
        }
      if (c < 0x20)
        return FALSE;
      if (c != '\\')
        {
          i++;
          continue;
        }
      if (++i >= length)
        return FALSE;
      switch (data[i])
        {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          i++;
          break;
        case 'u':
          {
            gunichar unit;

            /* json-glib 1.6 refuses a lone high surrogate yet turns a lone
             * low one into bytes that are not UTF-8: only whole pairs pass. */
            if (!read_hex4 (data, length, i + 1, &unit))
              return FALSE;
            i += 5;
            /* json-glib hands strings on as C strings: a NUL would silently
             * cut one short, an id to "" for instance. */
            if (unit == 0 || (unit >= 0xdc00 && unit <= 0xdfff))
              return FALSE;
            if (unit >= 0xd800 && unit <= 0xdbff)
              {
                if (length - i < 2 || data[i] != '\\' || data[i + 1] != 'u' ||
                    !read_hex4 (data, length, i + 2, &unit) || unit < 0xdc00 || unit > 0xdfff)
                  return FALSE;
                i += 6;
              }
          }
          break;
        default:
          return FALSE;
        }
    }

  return FALSE;
}

static gsize
skip_digits (const char *data,
             gsize       length,
             gsize       i)
{
  while (i < length && g_ascii_isdigit (data[i]))
    i++;
  return i;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static gboolean
skip_number (const char *data,
             gsize       length,
             gsize      *at)
{
  gsize i = *at;
  gsize start;

  if (i < length && data[i] == '-')
    i++;
  if (i >= length || !g_ascii_isdigit (data[i]))
    return FALSE;
  i = data[i] == '0' ? i + 1 : skip_digits (data, length, i);

  if (i < length && data[i] == '.')
    {
      start = ++i;
      i = skip_digits (data, length, i);
      if (i == start)
        return FALSE;
    }
  if (i < length && (data[i] == 'e' || data[i] == 'E'))
    {
      i++;
      if (i < length && (data[i] == '+' || data[i] == '-'))
        i++;
      start = i;
      i = skip_digits (data, length, i);
      if (i == start)
        return FALSE;
    }

  /* RFC 8259 leaves the range to the implementation: json-glib reads a
   * number beyond a double's as infinity, which it then writes out as
   * "inf", and what is stored from it is no longer JSON. */
  {
    g_autofree char *number = g_strndup (data + *at, i - *at);

    if (isinf (g_ascii_strtod (number, NULL)))
      return FALSE;
  }

  *at = i;
  return TRUE;
}

static gboolean
skip_literal (const char *data,
              gsize       length,
              gsize      *at,
              const char *literal)
{
  gsize n = strlen (literal);

  if (length - *at < n || memcmp (data + *at, literal, n) != 0)
    return FALSE;
  *at += n;
  return TRUE;
}

/**
 * picky_json_check_syntax:
 * @data: bytes as they arrived
 * @length: how many
 * @max_depth: how many arrays and objects may nest
 *
 * Checks that @data is exactly one JSON text by RFC 8259, in UTF-8, that
 * nests no deeper than @max_depth. It never recurses.
 *
 * json-glib 1.6 recurses on the stack with no limit and also accepts
 * comments and other extensions; a depth scan that reads the bytes
 * differently from it can be fooled (a comment holding one quote makes
 * the brackets after it look like a string) into passing 200,000 "[" to
 * it. Following the standard exactly, and refusing
 * everything else, leaves json-glib only input whose depth this function
 * has counted.
 *
 * Returns: whether @data may be handed to json-glib
 */
gboolean
picky_json_check_syntax (const char *data,
                         gsize       length,
                         guint       max_depth)
{
  /* '{' or '[' for each open container; max_depth is small. */
  g_autofree char *open = NULL;
  guint depth = 0;
  Expect expect = EXPECT_VALUE;
  gsize i = 0;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  if (!g_utf8_validate_len (data, length, NULL))
    return FALSE;

  open = g_malloc (MAX (max_depth, 1));

  for (;;)
    {
      char c;

      while (i < length && is_json_space (data[i]))
        i++;
      if (i == length)
        return expect == EXPECT_END;
      c = data[i];

      switch (expect)
        {
        case EXPECT_END:
          return FALSE;

        case EXPECT_COLON:
          if (c != ':')
            return FALSE;
          i++;
          expect = EXPECT_VALUE;
          continue;

        case EXPECT_KEY_OR_CLOSE:
        case EXPECT_KEY:
          if (c == '}' && expect == EXPECT_KEY_OR_CLOSE)
            break;  /* closed below */
          if (c != '"' || !skip_string (data, length, &i))
            return FALSE;
          expect = EXPECT_COLON;
          continue;

        case EXPECT_COMMA_OR_CLOSE:
          if (c == ',')
            {
              i++;
              expect = open[depth - 1] == '{' ? EXPECT_KEY : EXPECT_VALUE;
              continue;
            }
          break;  /* a close, checked below */

        case EXPECT_VALUE_OR_CLOSE:
          if (c == ']')
            break;
          G_GNUC_FALLTHROUGH;
        case EXPECT_VALUE:
          if (c == '{' || c == '[')
            {
              if (depth >= max_depth)
                return FALSE;
              open[depth++] = c;
              i++;
              expect = c == '{' ? EXPECT_KEY_OR_CLOSE : EXPECT_VALUE_OR_CLOSE;
              continue;
            }
          if (c == '"' ? !skip_string (data, length, &i) :
              c == 't' ? !skip_literal (data, length, &i, "true") :
              c == 'f' ? !skip_literal (data, length, &i, "false") :
              c == 'n' ? !skip_literal (data, length, &i, "null") :
              !skip_number (data, length, &i))
            return FALSE;
          expect = depth == 0 ? EXPECT_END : EXPECT_COMMA_OR_CLOSE;
          continue;
        }

      /* A closing bracket: it must match the container that is open. */
      if (depth == 0 || (c != '}' && c != ']') ||
          (c == '}') != (open[depth - 1] == '{'))
        return FALSE;
      depth--;
      i++;
      expect = depth == 0 ? EXPECT_END : EXPECT_COMMA_OR_CLOSE;
    }
}

/**
 * picky_json_parse_object:
 * @body: (nullable): JSON bytes as they arrived
 * @max_depth: how many arrays and objects may nest
 *
 * Checks syntax and nesting first (picky_json_check_syntax()), because
 * json-glib 1.6 recurses on the stack with no limit of its own and a body
 * of nothing but "[" would exhaust it.
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

  if (body == NULL || g_bytes_get_size (body) == 0)
    return NULL;

  data = g_bytes_get_data (body, &length);
  if (!picky_json_check_syntax (data, length, max_depth))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, length, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}
