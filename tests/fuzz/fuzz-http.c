/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzzes the webhook listener's HTTP/1.1 request parser: whole, and fed in pieces as sockets deliver bytes. */

#include "config.h"

#include <string.h>

#include "picky-fuzz-util.h"
#include "picky-http-parser.h"

/* Small, so that 413 is reached within the inputs' length. */
#define MAX_BODY 4096

/* What the listener does with a connection's bytes: feed what came, go on
 * after the head, until the request is complete or refused. */
static PickyHttpResult
parse_in_pieces (const guint8 *data,
                 gsize         size,
                 gsize         piece,
                 gsize        *consumed,
                 guint        *status)
{
  g_autoptr(PickyHttpParser) parser = picky_http_parser_new (MAX_BODY);
  PickyHttpResult result = PICKY_HTTP_NEED_MORE;
  gsize offset = 0;

  for (;;)
    {
      gsize given = MIN (piece, size - offset);
      gsize taken = 0;

      result = picky_http_parser_feed (parser, data + offset, given, &taken);
      if (taken > given)
        picky_fuzz_fail ("the parser took %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes", taken, given);
      offset += taken;
      if (result == PICKY_HTTP_NEED_MORE && taken != given)
        picky_fuzz_fail ("the parser wants more but left bytes it was given");
      if (result == PICKY_HTTP_HEAD)
        {
          if (picky_http_parser_get_method (parser) == NULL || picky_http_parser_get_target (parser)[0] != '/')
            picky_fuzz_fail ("a head without method or path was accepted");
          continue;
        }
      if (result != PICKY_HTTP_NEED_MORE || offset == size)
        break;
    }

  if (result == PICKY_HTTP_DONE)
    {
      g_autoptr(GBytes) body = picky_http_parser_steal_body (parser);

      if (g_bytes_get_size (body) > MAX_BODY)
        picky_fuzz_fail ("a body of %" G_GSIZE_FORMAT " bytes passed the limit", g_bytes_get_size (body));
    }
  *consumed = offset;
  *status = picky_http_parser_get_status (parser);
  return result;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  PickyHttpResult whole;
  PickyHttpResult pieces;
  gsize whole_consumed = 0;
  gsize pieces_consumed = 0;
  guint whole_status = 0;
  guint pieces_status = 0;
  gsize piece = size > 0 ? 1 + data[0] % 7 : 1;

  /* The single entry point, as the header documents it. */
  whole = picky_http_parse (data, size, MAX_BODY, &whole_consumed, &whole_status);
  if (whole == PICKY_HTTP_HEAD)
    picky_fuzz_fail ("picky_http_parse returned a head");
  if (whole == PICKY_HTTP_DONE && (whole_consumed == 0 || whole_consumed > size))
    picky_fuzz_fail ("a request of %" G_GSIZE_FORMAT " bytes in %" G_GSIZE_FORMAT, whole_consumed, size);
  if (whole == PICKY_HTTP_ERROR && whole_status != 400 && whole_status != 413 && whole_status != 417 &&
      whole_status != 431 && whole_status != 505)
    picky_fuzz_fail ("refused with status %u", whole_status);

  /* A slow client sending the same bytes a few at a time gets the same answer. */
  pieces = parse_in_pieces (data, size, piece, &pieces_consumed, &pieces_status);
  if (pieces != whole || pieces_status != whole_status ||
      (whole == PICKY_HTTP_DONE && pieces_consumed != whole_consumed))
    picky_fuzz_fail ("in pieces of %" G_GSIZE_FORMAT ": result %d status %u after %" G_GSIZE_FORMAT
                     " bytes, whole: result %d status %u after %" G_GSIZE_FORMAT,
                     piece, pieces, pieces_status, pieces_consumed, whole, whole_status, whole_consumed);

  return 0;
}
