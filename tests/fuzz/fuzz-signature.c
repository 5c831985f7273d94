/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzzes the WhatsApp signature check: the header line, then the body it signs. */

#include "config.h"

#include <string.h>

#include "picky-fuzz-util.h"
#include "picky-whatsapp-channel.h"

#define APP_SECRET "test-app-secret"

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  const guint8 *newline = memchr (data, '\n', size);
  g_autofree char *header = NULL;
  g_autofree char *hmac = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GBytes) body = NULL;
  gsize header_length;
  gboolean accepted;

  /* Everything up to the first newline is the X-Hub-Signature-256 header. */
  header_length = newline != NULL ? (gsize) (newline - data) : size;
  header = g_strndup ((const char *) data, header_length);
  body = g_bytes_new (newline != NULL ? newline + 1 : data + size,
                      newline != NULL ? size - header_length - 1 : 0);

  accepted = picky_whatsapp_channel_check_signature (body, header, APP_SECRET);

  /* Accepted exactly when the header is what Meta sends for this body:
   * "sha256=" and the HMAC in lower-case hex, nothing before or after.
   * A header with a NUL in it never reaches us whole, so compare up to it. */
  hmac = g_compute_hmac_for_data (G_CHECKSUM_SHA256, (const guchar *) APP_SECRET, strlen (APP_SECRET),
                                  g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  expected = g_strconcat ("sha256=", hmac, NULL);
  if (accepted != (strcmp (header, expected) == 0))
    picky_fuzz_fail ("signature header \"%s\" was %s", header, accepted ? "accepted" : "refused");

  if (picky_whatsapp_channel_check_signature (body, header, NULL) ||
      picky_whatsapp_channel_check_signature (body, header, ""))
    picky_fuzz_fail ("a signature was accepted without an app secret");

  return 0;
}
