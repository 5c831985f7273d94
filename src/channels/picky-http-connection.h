/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One accepted connection of the webhook listener: reads and parses requests, writes answers, keeps alive or closes. */

#pragma once

#include <gio/gio.h>

#include "picky-http-parser.h"

G_BEGIN_DECLS

#define PICKY_TYPE_HTTP_CONNECTION (picky_http_connection_get_type ())

G_DECLARE_FINAL_TYPE (PickyHttpConnection, picky_http_connection, PICKY, HTTP_CONNECTION, GObject)

typedef enum
{
  PICKY_HTTP_CONNECTION_IDLE,      /* no byte of the next request yet */
  PICKY_HTTP_CONNECTION_HEAD,      /* part of a head */
  PICKY_HTTP_CONNECTION_BODY,      /* the head was accepted; reading the body */
  PICKY_HTTP_CONNECTION_WAITING,   /* a handler holds the request */
  PICKY_HTTP_CONNECTION_WRITING,
  PICKY_HTTP_CONNECTION_CLOSING,   /* answered and shut for writing; draining what the client still sends */
  PICKY_HTTP_CONNECTION_CLOSED,
} PickyHttpConnectionState;

typedef struct
{
  /* The head of request @serial is complete. Return TRUE to read its body,
   * or answer it with picky_http_connection_respond() and return FALSE. */
  gboolean (*check_head) (PickyHttpConnection *connection,
                          PickyHttpParser     *parser,
                          guint                serial,
                          gpointer             user_data);
  /* Request @serial is complete; the connection waits for its answer. */
  void     (*dispatch)   (PickyHttpConnection *connection,
                          PickyHttpParser     *parser,
                          guint                serial,
                          gpointer             user_data);
  /* The socket is closed; nothing is called after this. */
  void     (*closed)     (PickyHttpConnection *connection,
                          gpointer             user_data);
} PickyHttpConnectionHandlers;

typedef struct
{
  guint64 max_body;
  guint   header_timeout;   /* ms; 0: none */
  guint   body_timeout;     /* ms; 0: none */
} PickyHttpLimits;

PickyHttpConnection      *picky_http_connection_new        (GSocket                           *socket,
                                                            const PickyHttpLimits             *limits,
                                                            const PickyHttpConnectionHandlers *handlers,
                                                            gpointer                           user_data);
void                      picky_http_connection_start      (PickyHttpConnection *self);
void                      picky_http_connection_close      (PickyHttpConnection *self);
gboolean                  picky_http_connection_respond    (PickyHttpConnection *self,
                                                            guint                serial,
                                                            guint                status,
                                                            const char          *extra_headers,
                                                            const char          *content_type,
                                                            const char          *body,
                                                            gsize                length);
gboolean                  picky_http_connection_is_waiting (PickyHttpConnection *self,
                                                            guint                serial);
PickyHttpConnectionState  picky_http_connection_get_state  (PickyHttpConnection *self);
guint64                   picky_http_connection_get_received (PickyHttpConnection *self);
gint64                    picky_http_connection_get_since  (PickyHttpConnection *self);

char                     *picky_http_format_response       (guint                status,
                                                            const char          *extra_headers,
                                                            const char          *content_type,
                                                            gsize                length,
                                                            gboolean             close);

G_END_DECLS
