/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A strict HTTP/1.1 request parser with no I/O: bytes in, a request, a wait for more or a refusal out. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The head (request line and header fields) may be this long, in bytes,
 * and hold this many fields; more is answered 431. */
#define PICKY_HTTP_MAX_HEAD_SIZE (16 * 1024)
#define PICKY_HTTP_MAX_FIELDS 100

typedef enum
{
  PICKY_HTTP_NEED_MORE,   /* every byte given was taken; feed more */
  PICKY_HTTP_HEAD,        /* the head is complete and valid: check it, then feed on for the body */
  PICKY_HTTP_DONE,        /* a whole request, body included */
  PICKY_HTTP_ERROR,       /* refuse with picky_http_parser_get_status() and close */
} PickyHttpResult;

typedef struct _PickyHttpParser PickyHttpParser;

PickyHttpParser *picky_http_parser_new            (guint64          max_body);
void             picky_http_parser_free           (PickyHttpParser *self);
void             picky_http_parser_reset          (PickyHttpParser *self);
PickyHttpResult  picky_http_parser_feed           (PickyHttpParser *self,
                                                   const guint8    *data,
                                                   gsize            length,
                                                   gsize           *consumed);

guint            picky_http_parser_get_status     (PickyHttpParser *self);
guint64          picky_http_parser_get_received   (PickyHttpParser *self);
const char      *picky_http_parser_get_method     (PickyHttpParser *self);
const char      *picky_http_parser_get_target     (PickyHttpParser *self);
const char      *picky_http_parser_get_header     (PickyHttpParser *self,
                                                   const char      *name);
gboolean         picky_http_parser_get_field      (PickyHttpParser *self,
                                                   guint            index,
                                                   const char     **name,
                                                   const char     **value);
gboolean         picky_http_parser_get_keep_alive (PickyHttpParser *self);
gboolean         picky_http_parser_get_expects_continue (PickyHttpParser *self);
gboolean         picky_http_parser_has_body       (PickyHttpParser *self);
GBytes          *picky_http_parser_steal_body     (PickyHttpParser *self);

/* The single entry point for fuzzing and for tests: parses @data as the
 * listener would, head and body in one go. Returns PICKY_HTTP_DONE with
 * *consumed set to the request's length, PICKY_HTTP_NEED_MORE when @data
 * ends inside a request, or PICKY_HTTP_ERROR with the status to answer in
 * *status (nullable). Never PICKY_HTTP_HEAD. */
PickyHttpResult  picky_http_parse                 (const guint8    *data,
                                                   gsize            length,
                                                   guint64          max_body,
                                                   gsize           *consumed,
                                                   guint           *status);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyHttpParser, picky_http_parser_free)

G_END_DECLS
