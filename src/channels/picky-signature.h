/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HMAC-SHA256 body signatures as the providers send them: hex or base64 digests compared in constant time. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PICKY_SIGNATURE_SIZE 32

gboolean picky_signature_decode_hex (const char   *hex,
                                     guint8        digest[PICKY_SIGNATURE_SIZE]);
gboolean picky_signature_decode_base64 (const char *text,
                                        guint8      digest[PICKY_SIGNATURE_SIZE]);
void     picky_signature_compute    (GBytes       *body,
                                     const char   *key,
                                     guint8        digest[PICKY_SIGNATURE_SIZE]);
gboolean picky_signature_equal      (const guint8 *a,
                                     const guint8 *b,
                                     gsize         length);

G_END_DECLS
