/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A strict HTTP/1.1 request parser with no I/O: bytes in, a request, a wait for more or a refusal out. */

#include "config.h"

#include <string.h>

#include "picky-http-parser.h"

/* A chunk-size line is a few hex digits; extensions get a little room. */
#define MAX_CHUNK_LINE 256

/* Where a request is refused, the answer is one of these. */
#define BAD_REQUEST 400
#define TOO_LARGE 413
#define EXPECTATION_FAILED 417
#define FIELDS_TOO_LARGE 431
#define VERSION_NOT_SUPPORTED 505

typedef enum
{
  STATE_HEAD,
  STATE_HEAD_DONE,     /* PICKY_HTTP_HEAD was returned; the next feed starts the body */
  STATE_BODY_LENGTH,
  STATE_CHUNK_SIZE,
  STATE_CHUNK_DATA,
  STATE_CHUNK_DATA_END,
  STATE_TRAILER,
  STATE_DONE,
  STATE_ERROR,
} State;

typedef struct
{
  const char *name;    /* lower case, within head */
  const char *value;   /* without surrounding whitespace, within head */
} Field;

/* Reads CRLF-terminated lines strictly: a CR not before LF, an LF
 * without CR and a NUL are all errors, wherever they are. */
typedef struct
{
  GByteArray *bytes;
  gsize       line_start;
  gsize       limit;
  gboolean    after_cr;
} LineReader;

typedef enum
{
  LINE_MORE,
  LINE_COMPLETE,
  LINE_BAD,
  LINE_TOO_LONG,
} LineResult;

struct _PickyHttpParser
{
  State       state;
  guint       status;
  guint64     max_body;
  guint64     received;

  /* the head */
  LineReader  head;
  gboolean    seen_request_line;
  char       *method;          /* within head */
  char       *target;          /* within head */
  guint       minor_version;
  GArray     *fields;          /* Field */
  GPtrArray  *joined;          /* repeated fields' values, joined on demand */
  gboolean    keep_alive;
  gboolean    expects_continue;
  gboolean    chunked;
  gboolean    has_length;
  guint64     content_length;

  /* the body */
  GByteArray *body;
  guint64     remaining;       /* of the body or of the current chunk */
  LineReader  line;            /* chunk sizes and trailer fields */
  gsize       trailer_size;
};

static void
line_reader_init (LineReader *reader,
                  gsize       limit)
{
  reader->bytes = g_byte_array_new ();
  reader->limit = limit;
}

static void
line_reader_clear (LineReader *reader)
{
  g_byte_array_set_size (reader->bytes, 0);
  reader->line_start = 0;
  reader->after_cr = FALSE;
}

/* Takes bytes up to the end of one line. On LINE_COMPLETE the line is the
 * bytes from line_start, CRLF replaced by a NUL. */
static LineResult
line_reader_feed (LineReader   *reader,
                  const guint8 *data,
                  gsize         length,
                  gsize        *taken)
{
  gsize i;

  for (i = 0; i < length; i++)
    {
      guint8 c = data[i];

      if (reader->after_cr)
        {
          if (c != '\n')
            return LINE_BAD;
          reader->after_cr = FALSE;
          /* The CR is replaced: lines become strings. */
          reader->bytes->data[reader->bytes->len - 1] = '\0';
          *taken = i + 1;
          return LINE_COMPLETE;
        }
      if (c == '\n' || c == '\0')
        return LINE_BAD;
      if (reader->bytes->len >= reader->limit)
        return LINE_TOO_LONG;
      if (c == '\r')
        reader->after_cr = TRUE;
      g_byte_array_append (reader->bytes, &c, 1);
    }

  *taken = length;
  return LINE_MORE;
}

/* RFC 9110 token characters. */
static gboolean
is_tchar (guchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
is_token (const char *text)
{
  if (*text == '\0')
    return FALSE;
  for (; *text != '\0'; text++)
    if (!is_tchar (*text))
      return FALSE;
  return TRUE;
}

/* Field values: visible characters, spaces, tabs and obs-text; never a
 * control character (CR, LF and NUL cannot reach here). */
static gboolean
is_field_value (const char *text)
{
  for (; *text != '\0'; text++)
    {
      guchar c = *text;

      if (c != '\t' && (c < 0x20 || c == 0x7f))
        return FALSE;
    }
  return TRUE;
}

static char *
strip_whitespace (char *text)
{
  gsize length;

  while (*text == ' ' || *text == '\t')
    text++;
  length = strlen (text);
  while (length > 0 && (text[length - 1] == ' ' || text[length - 1] == '\t'))
    text[--length] = '\0';
  return text;
}

/* Plain decimal digits and nothing else: no sign, no spaces inside, no
 * list, and no overflow. */
static gboolean
parse_decimal (const char *text,
               guint64    *value)
{
  guint64 result = 0;

  if (*text == '\0')
    return FALSE;
  for (; *text != '\0'; text++)
    {
      if (!g_ascii_isdigit (*text))
        return FALSE;
      if (result > (G_MAXUINT64 - 9) / 10)
        return FALSE;
      result = result * 10 + (guint64) (*text - '0');
    }

  *value = result;
  return TRUE;
}

/* Whether a comma-separated list such as Connection's holds @token. */
static gboolean
list_has_token (const char *list,
                const char *token)
{
  g_auto(GStrv) items = g_strsplit (list, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    if (g_ascii_strcasecmp (g_strstrip (items[i]), token) == 0)
      return TRUE;
  return FALSE;
}

static PickyHttpResult
fail (PickyHttpParser *self,
      guint            status)
{
  self->state = STATE_ERROR;
  self->status = status;
  return PICKY_HTTP_ERROR;
}

/* "METHOD SP origin-form SP HTTP/1.x", exactly. */
static guint
parse_request_line (PickyHttpParser *self,
                    char            *line)
{
  char *target;
  char *version;

  target = strchr (line, ' ');
  if (target == NULL)
    return BAD_REQUEST;
  *target++ = '\0';
  version = strchr (target, ' ');
  if (version == NULL)
    return BAD_REQUEST;
  *version++ = '\0';

  if (!is_token (line))
    return BAD_REQUEST;

  /* Only paths: absolute URLs and "*" are for proxies, and a fragment is
   * never sent. */
  if (target[0] != '/')
    return BAD_REQUEST;
  for (const char *c = target; *c != '\0'; c++)
    if ((guchar) *c <= 0x20 || (guchar) *c >= 0x7f || *c == '#')
      return BAD_REQUEST;

  if (strlen (version) != 8 || strncmp (version, "HTTP/", 5) != 0 ||
      !g_ascii_isdigit (version[5]) || version[6] != '.' || !g_ascii_isdigit (version[7]))
    return BAD_REQUEST;
  if (version[5] != '1')
    return VERSION_NOT_SUPPORTED;

  self->method = line;
  self->target = target;
  self->minor_version = version[7] - '0';
  return 0;
}

static guint
parse_field (PickyHttpParser *self,
             char            *line)
{
  char *colon;
  Field field;

  /* obs-fold: a continuation line is refused, not unfolded. */
  if (line[0] == ' ' || line[0] == '\t')
    return BAD_REQUEST;

  colon = strchr (line, ':');
  if (colon == NULL)
    return BAD_REQUEST;
  *colon = '\0';
  /* Also catches whitespace before the colon. */
  if (!is_token (line))
    return BAD_REQUEST;
  if (!is_field_value (colon + 1))
    return BAD_REQUEST;
  if (self->fields->len >= PICKY_HTTP_MAX_FIELDS)
    return FIELDS_TOO_LARGE;

  for (char *c = line; *c != '\0'; c++)
    *c = g_ascii_tolower (*c);
  field.name = line;
  field.value = strip_whitespace (colon + 1);
  g_array_append_val (self->fields, field);

  return 0;
}

static guint
count_fields (PickyHttpParser *self,
              const char      *name,
              const char     **value)
{
  guint n = 0;

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = &g_array_index (self->fields, Field, i);

      if (strcmp (field->name, name) == 0)
        {
          if (n++ == 0)
            *value = field->value;
        }
    }
  return n;
}

/* The framing rules: any doubt about where the body ends is a refusal,
 * since a proxy in front may have decided it differently. */
static guint
check_head (PickyHttpParser *self)
{
  const char *length = NULL;
  const char *encoding = NULL;
  const char *host = NULL;
  const char *connection = NULL;
  const char *expect = NULL;
  guint n_length = count_fields (self, "content-length", &length);
  guint n_encoding = count_fields (self, "transfer-encoding", &encoding);
  guint n_host = count_fields (self, "host", &host);
  guint n_connection = count_fields (self, "connection", &connection);
  guint n_expect = count_fields (self, "expect", &expect);

  /* Even equal duplicates: a proxy that joins them sees "16, 16". */
  if (n_length > 1 || n_encoding > 1)
    return BAD_REQUEST;
  if (n_length == 1 && n_encoding == 1)
    return BAD_REQUEST;
  if (n_length == 1)
    {
      if (!parse_decimal (length, &self->content_length))
        return BAD_REQUEST;
      self->has_length = TRUE;
    }
  if (n_encoding == 1)
    {
      /* chunked alone: no other coding is implemented, and HTTP/1.0 has none. */
      if (g_ascii_strcasecmp (encoding, "chunked") != 0 || self->minor_version == 0)
        return BAD_REQUEST;
      self->chunked = TRUE;
    }

  if (n_host > 1 || (n_host == 0 && self->minor_version >= 1))
    return BAD_REQUEST;

  self->keep_alive = self->minor_version >= 1;
  for (guint i = 0; n_connection > 0 && i < self->fields->len; i++)
    {
      Field *field = &g_array_index (self->fields, Field, i);

      if (strcmp (field->name, "connection") != 0)
        continue;
      if (list_has_token (field->value, "close"))
        self->keep_alive = FALSE;
      else if (self->minor_version == 0 && list_has_token (field->value, "keep-alive"))
        self->keep_alive = TRUE;
    }

  if (n_expect > 1 || (n_expect == 1 && g_ascii_strcasecmp (expect, "100-continue") != 0))
    return EXPECTATION_FAILED;
  self->expects_continue = n_expect == 1 && self->minor_version >= 1;

  return 0;
}

/* Splits the complete head into its lines and checks each. */
static PickyHttpResult
finish_head (PickyHttpParser *self)
{
  char *line = (char *) self->head.bytes->data;
  char *end = line + self->head.bytes->len;
  char *next;
  guint status;

  /* Each line ends with the NUL the reader put in place of its CR (the
   * LF is not kept); the last one is the empty line that ended the head. */
  next = line + strlen (line) + 1;
  status = parse_request_line (self, line);
  line = next;
  while (status == 0 && line < end && *line != '\0')
    {
      next = line + strlen (line) + 1;
      status = parse_field (self, line);
      line = next;
    }
  if (status == 0)
    status = check_head (self);
  if (status != 0)
    return fail (self, status);

  self->state = STATE_HEAD_DONE;
  return PICKY_HTTP_HEAD;
}

static PickyHttpResult
feed_head (PickyHttpParser *self,
           const guint8    *data,
           gsize            length,
           gsize           *taken)
{
  gsize offset = 0;

  while (offset < length)
    {
      gsize n = 0;
      LineResult result = line_reader_feed (&self->head, data + offset, length - offset, &n);

      offset += n;
      self->received += n;
      if (result == LINE_BAD)
        return fail (self, BAD_REQUEST);
      if (result == LINE_TOO_LONG)
        return fail (self, FIELDS_TOO_LARGE);
      if (result == LINE_MORE)
        break;

      /* A line is complete. */
      if (self->head.bytes->len - self->head.line_start == 1)
        {
          if (!self->seen_request_line)
            {
              /* Empty lines before a request are allowed (RFC 9112 2.2);
               * they still count against the head's size. */
              g_byte_array_set_size (self->head.bytes, 0);
              self->head.limit -= MIN (self->head.limit, 2);
              continue;
            }
          *taken = offset;
          return finish_head (self);
        }
      self->seen_request_line = TRUE;
      /* Leave room for the CRLF that the reader does not store. */
      self->head.limit -= MIN (self->head.limit, 1);
      self->head.line_start = self->head.bytes->len;
    }

  *taken = offset;
  return PICKY_HTTP_NEED_MORE;
}

static PickyHttpResult
start_body (PickyHttpParser *self)
{
  if (self->chunked)
    {
      self->state = STATE_CHUNK_SIZE;
      return PICKY_HTTP_NEED_MORE;
    }
  if (self->content_length > self->max_body)
    return fail (self, TOO_LARGE);
  if (self->content_length == 0)
    {
      self->state = STATE_DONE;
      return PICKY_HTTP_DONE;
    }
  self->remaining = self->content_length;
  self->state = STATE_BODY_LENGTH;
  return PICKY_HTTP_NEED_MORE;
}

/* "1*HEXDIG [ ; chunk-ext ]", no whitespace before the extension. */
static PickyHttpResult
parse_chunk_size (PickyHttpParser *self,
                  const char      *line)
{
  guint64 size = 0;
  const char *c = line;

  if (!g_ascii_isxdigit (*c))
    return fail (self, BAD_REQUEST);
  for (; g_ascii_isxdigit (*c); c++)
    {
      if (size > (G_MAXUINT64 >> 4))
        return fail (self, BAD_REQUEST);
      size = (size << 4) | (guint64) g_ascii_xdigit_value (*c);
    }
  if (*c != '\0' && (*c != ';' || !is_field_value (c)))
    return fail (self, BAD_REQUEST);

  if (size > self->max_body - self->body->len)
    return fail (self, TOO_LARGE);

  line_reader_clear (&self->line);
  if (size == 0)
    {
      self->state = STATE_TRAILER;
      return PICKY_HTTP_NEED_MORE;
    }
  self->remaining = size;
  self->state = STATE_CHUNK_DATA;
  return PICKY_HTTP_NEED_MORE;
}

/* Trailer fields are checked like header fields and then dropped. */
static PickyHttpResult
parse_trailer_line (PickyHttpParser *self,
                    char            *line)
{
  char *colon = strchr (line, ':');
  gboolean last = *line == '\0';

  self->trailer_size += strlen (line) + 2;
  if (self->trailer_size > PICKY_HTTP_MAX_HEAD_SIZE)
    return fail (self, FIELDS_TOO_LARGE);
  if (!last)
    {
      if (line[0] == ' ' || line[0] == '\t' || colon == NULL)
        return fail (self, BAD_REQUEST);
      *colon = '\0';
      if (!is_token (line) || !is_field_value (colon + 1))
        return fail (self, BAD_REQUEST);
    }

  /* Only now: clearing may wipe the line's bytes. */
  line_reader_clear (&self->line);
  if (last)
    {
      self->state = STATE_DONE;
      return PICKY_HTTP_DONE;
    }
  return PICKY_HTTP_NEED_MORE;
}

static PickyHttpResult
feed_body (PickyHttpParser *self,
           const guint8    *data,
           gsize            length,
           gsize           *taken)
{
  PickyHttpResult result = PICKY_HTTP_NEED_MORE;
  gsize offset = 0;

  while (result == PICKY_HTTP_NEED_MORE && offset < length)
    {
      gsize n = 0;
      LineResult line_result;

      switch (self->state)
        {
        case STATE_BODY_LENGTH:
        case STATE_CHUNK_DATA:
          n = (gsize) MIN (self->remaining, length - offset);
          g_byte_array_append (self->body, data + offset, n);
          self->remaining -= n;
          if (self->remaining == 0)
            {
              if (self->state == STATE_BODY_LENGTH)
                {
                  self->state = STATE_DONE;
                  result = PICKY_HTTP_DONE;
                }
              else
                self->state = STATE_CHUNK_DATA_END;
            }
          break;

        case STATE_CHUNK_DATA_END:
        case STATE_CHUNK_SIZE:
        case STATE_TRAILER:
          line_result = line_reader_feed (&self->line, data + offset, length - offset, &n);
          if (line_result == LINE_BAD)
            result = fail (self, BAD_REQUEST);
          else if (line_result == LINE_TOO_LONG)
            result = fail (self, self->state == STATE_TRAILER ? FIELDS_TOO_LARGE : BAD_REQUEST);
          else if (line_result == LINE_COMPLETE)
            {
              char *line = (char *) self->line.bytes->data;

              if (self->state == STATE_CHUNK_DATA_END)
                {
                  /* Chunk data ends with CRLF and nothing else. */
                  if (*line != '\0')
                    result = fail (self, BAD_REQUEST);
                  line_reader_clear (&self->line);
                  self->state = STATE_CHUNK_SIZE;
                }
              else if (self->state == STATE_CHUNK_SIZE)
                result = parse_chunk_size (self, line);
              else
                result = parse_trailer_line (self, line);
            }
          break;

        case STATE_HEAD:
        case STATE_HEAD_DONE:
        case STATE_DONE:
        case STATE_ERROR:
        default:
          g_assert_not_reached ();
        }

      offset += n;
      self->received += n;
    }

  *taken = offset;
  return result;
}

/**
 * picky_http_parser_new:
 * @max_body: the longest body accepted; longer ones are refused 413
 *   before any of them is read
 *
 * Returns: (transfer full): a parser waiting for the first request
 */
PickyHttpParser *
picky_http_parser_new (guint64 max_body)
{
  PickyHttpParser *self = g_new0 (PickyHttpParser, 1);

  self->max_body = max_body;
  line_reader_init (&self->head, PICKY_HTTP_MAX_HEAD_SIZE);
  line_reader_init (&self->line, MAX_CHUNK_LINE);
  self->fields = g_array_new (FALSE, FALSE, sizeof (Field));
  self->joined = g_ptr_array_new_with_free_func (g_free);
  self->body = g_byte_array_new ();

  return self;
}

void
picky_http_parser_free (PickyHttpParser *self)
{
  if (self == NULL)
    return;

  g_byte_array_unref (self->head.bytes);
  g_byte_array_unref (self->line.bytes);
  g_array_unref (self->fields);
  g_ptr_array_unref (self->joined);
  g_byte_array_unref (self->body);
  g_free (self);
}

/**
 * picky_http_parser_reset:
 * @self: a #PickyHttpParser
 *
 * Forgets the last request, so that the next bytes of a kept-alive
 * connection start a new one.
 */
void
picky_http_parser_reset (PickyHttpParser *self)
{
  g_return_if_fail (self != NULL);

  line_reader_clear (&self->head);
  self->head.limit = PICKY_HTTP_MAX_HEAD_SIZE;
  line_reader_clear (&self->line);
  g_array_set_size (self->fields, 0);
  g_ptr_array_set_size (self->joined, 0);
  g_byte_array_set_size (self->body, 0);
  self->state = STATE_HEAD;
  self->status = 0;
  self->received = 0;
  self->seen_request_line = FALSE;
  self->method = NULL;
  self->target = NULL;
  self->minor_version = 0;
  self->keep_alive = FALSE;
  self->expects_continue = FALSE;
  self->chunked = FALSE;
  self->has_length = FALSE;
  self->content_length = 0;
  self->remaining = 0;
  self->trailer_size = 0;
}

/**
 * picky_http_parser_feed:
 * @self: a #PickyHttpParser
 * @data: bytes received
 * @length: how many
 * @consumed: (out): how many of them this request took; the rest belong
 *   to the next request, or are left unread after an error
 *
 * Parses on. PICKY_HTTP_HEAD comes once per request, when the head is
 * complete; the body's limit is applied on the next call (which may give
 * no bytes), so a caller can first refuse the request for other reasons.
 * After PICKY_HTTP_DONE, call picky_http_parser_reset() before the next
 * request; after PICKY_HTTP_ERROR, close the connection.
 */
PickyHttpResult
picky_http_parser_feed (PickyHttpParser *self,
                        const guint8    *data,
                        gsize            length,
                        gsize           *consumed)
{
  PickyHttpResult result;
  gsize taken = 0;

  g_return_val_if_fail (self != NULL, PICKY_HTTP_ERROR);
  g_return_val_if_fail (data != NULL || length == 0, PICKY_HTTP_ERROR);
  g_return_val_if_fail (consumed != NULL, PICKY_HTTP_ERROR);

  *consumed = 0;
  switch (self->state)
    {
    case STATE_HEAD:
      return feed_head (self, data, length, consumed);
    case STATE_HEAD_DONE:
      result = start_body (self);
      if (result != PICKY_HTTP_NEED_MORE)
        return result;
      break;
    case STATE_DONE:
      return PICKY_HTTP_DONE;
    case STATE_ERROR:
      return PICKY_HTTP_ERROR;
    case STATE_BODY_LENGTH:
    case STATE_CHUNK_SIZE:
    case STATE_CHUNK_DATA:
    case STATE_CHUNK_DATA_END:
    case STATE_TRAILER:
    default:
      break;
    }

  result = feed_body (self, data, length, &taken);
  *consumed = taken;
  return result;
}

/**
 * picky_http_parser_get_status:
 * @self: a #PickyHttpParser
 *
 * Returns: after PICKY_HTTP_ERROR, the status to answer: 400 for anything
 *   malformed or ambiguous, 413, 417, 431 or 505; otherwise 0
 */
guint
picky_http_parser_get_status (PickyHttpParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->status;
}

/* Bytes of the current request so far, including empty lines before it. */
guint64
picky_http_parser_get_received (PickyHttpParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->received;
}

const char *
picky_http_parser_get_method (PickyHttpParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->method;
}

/* The request target as sent: a path, perhaps with "?query". */
const char *
picky_http_parser_get_target (PickyHttpParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->target;
}

/**
 * picky_http_parser_get_header:
 * @self: a #PickyHttpParser
 * @name: a field name, in any case
 *
 * Returns: (nullable): the field's value; repeated fields are joined with ", "
 */
const char *
picky_http_parser_get_header (PickyHttpParser *self,
                              const char      *name)
{
  g_autofree char *lower = NULL;
  GString *joined = NULL;
  const char *first = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  lower = g_ascii_strdown (name, -1);
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = &g_array_index (self->fields, Field, i);

      if (strcmp (field->name, lower) != 0)
        continue;
      if (first == NULL)
        first = field->value;
      else
        {
          if (joined == NULL)
            joined = g_string_new (first);
          g_string_append (joined, ", ");
          g_string_append (joined, field->value);
        }
    }

  if (joined == NULL)
    return first;
  g_ptr_array_add (self->joined, g_string_free (joined, FALSE));
  return g_ptr_array_index (self->joined, self->joined->len - 1);
}

/**
 * picky_http_parser_get_field:
 * @self: a #PickyHttpParser
 * @index: from 0
 * @name: (out): the field's name, in lower case
 * @value: (out): its value, without surrounding whitespace
 *
 * Returns: whether the head has a field @index
 */
gboolean
picky_http_parser_get_field (PickyHttpParser  *self,
                             guint             index,
                             const char      **name,
                             const char      **value)
{
  Field *field;

  g_return_val_if_fail (self != NULL, FALSE);

  if (index >= self->fields->len)
    return FALSE;
  field = &g_array_index (self->fields, Field, index);
  *name = field->name;
  *value = field->value;
  return TRUE;
}

gboolean
picky_http_parser_get_keep_alive (PickyHttpParser *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->keep_alive;
}

gboolean
picky_http_parser_get_expects_continue (PickyHttpParser *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->expects_continue;
}

/* Whether body bytes follow the head. */
gboolean
picky_http_parser_has_body (PickyHttpParser *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->chunked || self->content_length > 0;
}

/**
 * picky_http_parser_steal_body:
 * @self: a #PickyHttpParser after PICKY_HTTP_DONE
 *
 * Returns: (transfer full): the body, dechunked
 */
GBytes *
picky_http_parser_steal_body (PickyHttpParser *self)
{
  GByteArray *body;

  g_return_val_if_fail (self != NULL, NULL);

  body = g_steal_pointer (&self->body);
  self->body = g_byte_array_new ();
  return g_byte_array_free_to_bytes (body);
}

PickyHttpResult
picky_http_parse (const guint8 *data,
                  gsize         length,
                  guint64       max_body,
                  gsize        *consumed,
                  guint        *status)
{
  g_autoptr(PickyHttpParser) parser = picky_http_parser_new (max_body);
  PickyHttpResult result;
  gsize head = 0;
  gsize body = 0;

  g_return_val_if_fail (data != NULL || length == 0, PICKY_HTTP_ERROR);

  result = picky_http_parser_feed (parser, data, length, &head);
  if (result == PICKY_HTTP_HEAD)
    result = picky_http_parser_feed (parser, data + head, length - head, &body);

  if (consumed != NULL)
    *consumed = head + body;
  if (status != NULL)
    *status = picky_http_parser_get_status (parser);
  return result;
}
