/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the strict HTTP/1.1 request parser, on bytes alone. */

#include "config.h"

#include <locale.h>
#include <string.h>

#include "picky-http-parser.h"

#define MAX_BODY 1024

typedef struct
{
  const char *name;
  const char *request;
  guint       status;    /* 0: parsed whole */
} Case;

#define HEAD "POST /whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"

static const Case refused[] = {
  { "length and chunked", HEAD "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400 },
  { "chunked and length", HEAD "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400 },
  { "two lengths", HEAD "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400 },
  { "two equal lengths", HEAD "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400 },
  { "length list", HEAD "Content-Length: 5, 5\r\n\r\nhello", 400 },
  { "length plus", HEAD "Content-Length: +5\r\n\r\nhello", 400 },
  { "length minus", HEAD "Content-Length: -1\r\n\r\n", 400 },
  { "length junk", HEAD "Content-Length:  5x\r\n\r\nhello", 400 },
  { "length hex", HEAD "Content-Length: 0x5\r\n\r\nhello", 400 },
  { "length inner space", HEAD "Content-Length: 1 6\r\n\r\nhello", 400 },
  { "length empty", HEAD "Content-Length:\r\n\r\n", 400 },
  { "length overflow", HEAD "Content-Length: 18446744073709551616\r\n\r\n", 400 },
  { "length too large", HEAD "Content-Length: 1025\r\n\r\n", 413 },
  { "encoding folded", HEAD "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400 },
  { "folded line", HEAD "X-Note: a\r\n\tb\r\nContent-Length: 0\r\n\r\n", 400 },
  { "space before colon", HEAD "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400 },
  { "encoding twice", HEAD "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
  { "encoding gzip", HEAD "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400 },
  { "encoding identity", HEAD "Transfer-Encoding: identity\r\n\r\n", 400 },
  { "encoding chunked twice", HEAD "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400 },
  { "encoding on 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
  { "bare LF in request line", "POST /whatsapp HTTP/1.1\nHost: x\r\n\r\n", 400 },
  { "bare LF in a field", HEAD "Content-Length: 0\n\r\n", 400 },
  { "bare LF at the end", HEAD "Content-Length: 0\r\n\n", 400 },
  { "bare CR", HEAD "X-A: 1\rX-B: 2\r\n\r\n", 400 },
  { "bare LF before request", "\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
  { "bare LF after chunk size", HEAD "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400 },
  { "bare LF after chunk data", HEAD "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", 400 },
  { "bare LF after last chunk", HEAD "Transfer-Encoding: chunked\r\n\r\n0\r\n\n", 400 },
  { "chunk size overflow", HEAD "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 400 },
  { "chunk size junk", HEAD "Transfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n", 400 },
  { "chunk size sign", HEAD "Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", 400 },
  { "chunk size space", HEAD "Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n", 400 },
  { "chunk size empty", HEAD "Transfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", 400 },
  { "chunk too long data", HEAD "Transfer-Encoding: chunked\r\n\r\n5\r\nhello!\r\n0\r\n\r\n", 400 },
  { "chunk too large", HEAD "Transfer-Encoding: chunked\r\n\r\n401\r\n", 413 },
  { "no colon", HEAD "Content-Length 0\r\n\r\n", 400 },
  { "empty name", HEAD ": 0\r\n\r\n", 400 },
  { "NUL in a field", HEAD "X-A: a\0b\r\nContent-Length: 0\r\n\r\n", 400 },
  { "control in a field", HEAD "X-A: a\033b\r\nContent-Length: 0\r\n\r\n", 400 },
  { "no host", "GET / HTTP/1.1\r\n\r\n", 400 },
  { "two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
  { "absolute target", "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
  { "asterisk", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
  { "two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
  { "lower version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400 },
  { "HTTP/2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505 },
  { "HTTP/0.9", "GET /\r\n\r\n", 400 },
  { "method junk", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
  { "expect other", HEAD "Expect: 200-ok\r\nContent-Length: 0\r\n\r\n", 417 },
};

static const Case accepted[] = {
  { "length", HEAD "Content-Length: 5\r\n\r\nhello", 0 },
  { "length with spaces around", HEAD "Content-Length:   5 \r\n\r\nhello", 0 },
  { "length zero", HEAD "Content-Length: 0\r\n\r\n", 0 },
  { "length leading zeros", HEAD "Content-Length: 005\r\n\r\nhello", 0 },
  { "chunked", HEAD "Transfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n", 0 },
  { "chunked in capitals", HEAD "TRANSFER-ENCODING: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0 },
  { "chunk extension", HEAD "Transfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n0\r\n\r\n", 0 },
  { "trailer", HEAD "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n", 0 },
  { "GET", "GET /whatsapp?hub.mode=subscribe HTTP/1.1\r\nHost: a\r\n\r\n", 0 },
  { "empty line first", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0 },
  { "HTTP/1.0 without host", "GET / HTTP/1.0\r\n\r\n", 0 },
};

static void
test_refused (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      const Case *c = &refused[i];
      gsize length = strlen (c->request);
      guint status = 0;
      gsize consumed = 0;

      /* Cases with a NUL in them: count up to the blank line after it. */
      if (strstr (c->name, "NUL") != NULL)
        length = strlen (c->request) + 1 + strlen (c->request + strlen (c->request) + 1);

      g_test_message ("%s", c->name);
      g_assert_cmpint (picky_http_parse ((const guint8 *) c->request, length, MAX_BODY, &consumed, &status),
                       ==, PICKY_HTTP_ERROR);
      g_assert_cmpuint (status, ==, c->status);
    }
}

static void
test_accepted (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      const Case *c = &accepted[i];
      g_autofree char *twice = g_strconcat (c->request, c->request, NULL);
      gsize length = strlen (c->request);
      guint status = 0;
      gsize consumed = 0;

      g_test_message ("%s", c->name);
      g_assert_cmpint (picky_http_parse ((const guint8 *) c->request, length, MAX_BODY, &consumed, &status),
                       ==, PICKY_HTTP_DONE);
      g_assert_cmpuint (consumed, ==, length);
      g_assert_cmpuint (status, ==, 0);

      /* A second request right behind is left for later. */
      g_assert_cmpint (picky_http_parse ((const guint8 *) twice, 2 * length, MAX_BODY, &consumed, &status),
                       ==, PICKY_HTTP_DONE);
      g_assert_cmpuint (consumed, ==, length);

      /* Every cut short of the end wants more. */
      for (gsize cut = 0; cut < length; cut++)
        g_assert_cmpint (picky_http_parse ((const guint8 *) c->request, cut, MAX_BODY, &consumed, &status),
                         ==, PICKY_HTTP_NEED_MORE);
    }
}

/* Byte by byte, as the slowest client sends, the result is the same. */
static void
test_byte_by_byte (void)
{
  const char *request = HEAD "Transfer-Encoding: chunked\r\nX-Hub-Signature-256: sha256=ab\r\n"
                        "X-Hub-Signature-256: sha256=cd\r\n\r\n2\r\nhe\r\n3;x=y\r\nllo\r\n0\r\n\r\n"
                        "GET / HTTP/1.1\r\n";
  g_autoptr(PickyHttpParser) parser = picky_http_parser_new (MAX_BODY);
  g_autoptr(GBytes) body = NULL;
  gsize length = strlen (request);
  gsize i = 0;
  guint heads = 0;
  PickyHttpResult result = PICKY_HTTP_NEED_MORE;

  while (i < length && result != PICKY_HTTP_DONE)
    {
      gsize consumed = 0;

      result = picky_http_parser_feed (parser, (const guint8 *) request + i, 1, &consumed);
      g_assert_cmpint (result, !=, PICKY_HTTP_ERROR);
      if (result == PICKY_HTTP_HEAD)
        {
          heads++;
          g_assert_cmpstr (picky_http_parser_get_method (parser), ==, "POST");
          g_assert_cmpstr (picky_http_parser_get_target (parser), ==, "/whatsapp");
          g_assert_cmpstr (picky_http_parser_get_header (parser, "content-TYPE"), ==, "application/json");
          g_assert_cmpstr (picky_http_parser_get_header (parser, "X-Hub-Signature-256"), ==,
                           "sha256=ab, sha256=cd");
          g_assert_null (picky_http_parser_get_header (parser, "Content-Length"));
          g_assert_true (picky_http_parser_get_keep_alive (parser));
          g_assert_true (picky_http_parser_has_body (parser));
        }
      i += consumed;
    }

  g_assert_cmpint (result, ==, PICKY_HTTP_DONE);
  g_assert_cmpuint (heads, ==, 1);
  g_assert_cmpstr (request + i, ==, "GET / HTTP/1.1\r\n");
  body = picky_http_parser_steal_body (parser);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "hello", 5);

  /* The next request on the same connection starts clean. */
  picky_http_parser_reset (parser);
  {
    const char *next = "GET /relay/v1/outbox?wait=30 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    gsize consumed = 0;

    g_assert_cmpint (picky_http_parser_feed (parser, (const guint8 *) next, strlen (next), &consumed),
                     ==, PICKY_HTTP_HEAD);
    g_assert_cmpuint (consumed, ==, strlen (next));
    g_assert_cmpstr (picky_http_parser_get_target (parser), ==, "/relay/v1/outbox?wait=30");
    g_assert_false (picky_http_parser_get_keep_alive (parser));
    g_assert_null (picky_http_parser_get_header (parser, "X-Hub-Signature-256"));
    g_assert_cmpint (picky_http_parser_feed (parser, NULL, 0, &consumed), ==, PICKY_HTTP_DONE);
  }
}

/* The body's limit comes after the head, so the caller can answer 404 first;
 * a chunked body is held to the same limit across its chunks. */
static void
test_body_limit (void)
{
  g_autoptr(GString) chunks = g_string_new (HEAD "Transfer-Encoding: chunked\r\n\r\n");
  g_autoptr(PickyHttpParser) parser = picky_http_parser_new (MAX_BODY);
  const char *large = HEAD "Content-Length: 1000000\r\n\r\n";
  gsize consumed = 0;
  guint status = 0;

  g_assert_cmpint (picky_http_parser_feed (parser, (const guint8 *) large, strlen (large), &consumed),
                   ==, PICKY_HTTP_HEAD);
  g_assert_cmpint (picky_http_parser_feed (parser, NULL, 0, &consumed), ==, PICKY_HTTP_ERROR);
  g_assert_cmpuint (picky_http_parser_get_status (parser), ==, 413);

  for (guint i = 0; i < 3; i++)
    {
      g_string_append (chunks, "200\r\n");
      for (guint j = 0; j < 0x200; j++)
        g_string_append_c (chunks, 'x');
      g_string_append (chunks, "\r\n");
    }
  g_assert_cmpint (picky_http_parse ((const guint8 *) chunks->str, chunks->len, MAX_BODY, &consumed, &status),
                   ==, PICKY_HTTP_ERROR);
  g_assert_cmpuint (status, ==, 413);
}

static void
test_head_limits (void)
{
  g_autoptr(GString) long_line = g_string_new ("GET /");
  g_autoptr(GString) long_field = g_string_new ("GET / HTTP/1.1\r\nHost: a\r\nX-Long: ");
  g_autoptr(GString) many = g_string_new ("GET / HTTP/1.1\r\nHost: a\r\n");
  g_autoptr(GString) zeros = g_string_new (HEAD "Transfer-Encoding: chunked\r\n\r\n");
  gsize consumed = 0;
  guint status = 0;

  /* Refused as soon as the limit is passed, without waiting for an end. */
  for (guint i = 0; i < PICKY_HTTP_MAX_HEAD_SIZE; i++)
    g_string_append_c (long_line, 'a');
  g_assert_cmpint (picky_http_parse ((const guint8 *) long_line->str, long_line->len, MAX_BODY, &consumed, &status),
                   ==, PICKY_HTTP_ERROR);
  g_assert_cmpuint (status, ==, 431);

  for (guint i = 0; i < PICKY_HTTP_MAX_HEAD_SIZE; i++)
    g_string_append_c (long_field, 'b');
  g_assert_cmpint (picky_http_parse ((const guint8 *) long_field->str, long_field->len, MAX_BODY, &consumed, &status),
                   ==, PICKY_HTTP_ERROR);
  g_assert_cmpuint (status, ==, 431);

  for (guint i = 0; i < PICKY_HTTP_MAX_FIELDS; i++)
    g_string_append_printf (many, "X-%u: 1\r\n", i);
  g_string_append (many, "\r\n");
  g_assert_cmpint (picky_http_parse ((const guint8 *) many->str, many->len, MAX_BODY, &consumed, &status),
                   ==, PICKY_HTTP_ERROR);
  g_assert_cmpuint (status, ==, 431);

  /* A chunk size padded with zeros without end. */
  for (guint i = 0; i < 1000; i++)
    g_string_append_c (zeros, '0');
  g_assert_cmpint (picky_http_parse ((const guint8 *) zeros->str, zeros->len, MAX_BODY, &consumed, &status),
                   ==, PICKY_HTTP_ERROR);
  g_assert_cmpuint (status, ==, 400);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/picky/http/parser/refused", test_refused);
  g_test_add_func ("/picky/http/parser/accepted", test_accepted);
  g_test_add_func ("/picky/http/parser/byte-by-byte", test_byte_by_byte);
  g_test_add_func ("/picky/http/parser/body-limit", test_body_limit);
  g_test_add_func ("/picky/http/parser/head-limits", test_head_limits);

  return g_test_run ();
}
