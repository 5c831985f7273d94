/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HMAC-SHA256 body signatures as the providers send them: hex digests compared in constant time. */

#include "config.h"

#include <string.h>

#include "picky-signature.h"

/* Lower case only: Meta and Viber send their digests in lower-case hex, and
 * accepting other spellings of the same header would only widen what a
 * forger or a proxy in between may send. */
static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;

  return -1;
}

/**
 * picky_signature_decode_hex:
 * @hex: (nullable): a digest as a header carries it, without any prefix
 * @digest: (out): where the bytes go
 *
 * Returns: whether @hex is exactly a SHA-256 digest in lower-case hex
 */
gboolean
picky_signature_decode_hex (const char *hex,
                            guint8      digest[PICKY_SIGNATURE_SIZE])
{
  if (hex == NULL || strlen (hex) != PICKY_SIGNATURE_SIZE * 2)
    return FALSE;

  for (guint i = 0; i < PICKY_SIGNATURE_SIZE; i++)
    {
      int high = hex_value (hex[2 * i]);
      int low = hex_value (hex[2 * i + 1]);

      if (high < 0 || low < 0)
        return FALSE;
      digest[i] = (guint8) (high << 4 | low);
    }

  return TRUE;
}

/**
 * picky_signature_decode_base64:
 * @text: (nullable): a digest as LINE's header carries it
 * @digest: (out): where the bytes go
 *
 * Strict, unlike g_base64_decode(), which skips what it does not know:
 * a header with stray characters is no signature at all.
 *
 * Returns: whether @text is exactly a SHA-256 digest in padded base64
 */
gboolean
picky_signature_decode_base64 (const char *text,
                               guint8      digest[PICKY_SIGNATURE_SIZE])
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  /* 32 bytes are ten groups of three and two left over: 43 symbols and one pad. */
  const gsize symbols = 43;
  g_autofree guchar *decoded = NULL;
  gsize length = 0;

  if (text == NULL || strlen (text) != symbols + 1 || text[symbols] != '=')
    return FALSE;
  for (gsize i = 0; i < symbols; i++)
    if (strchr (alphabet, text[i]) == NULL || text[i] == '\0')
      return FALSE;

  decoded = g_base64_decode (text, &length);
  if (length != PICKY_SIGNATURE_SIZE)
    return FALSE;
  memcpy (digest, decoded, PICKY_SIGNATURE_SIZE);

  return TRUE;
}

/**
 * picky_signature_compute:
 * @body: the raw request body, exactly as received
 * @key: the shared secret the provider signs with
 * @digest: (out): the HMAC-SHA256 of @body under @key
 */
void
picky_signature_compute (GBytes     *body,
                         const char *key,
                         guint8      digest[PICKY_SIGNATURE_SIZE])
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) key, strlen (key));
  gsize length = PICKY_SIGNATURE_SIZE;
  gsize size = 0;
  const guchar *data = g_bytes_get_data (body, &size);

  g_hmac_update (hmac, data, size);
  g_hmac_get_digest (hmac, digest, &length);
}

/**
 * picky_signature_equal:
 *
 * Compares all bytes whatever they hold, so the time taken tells nothing
 * about how much of a forged value was right.
 *
 * Returns: whether @a and @b hold the same @length bytes
 */
gboolean
picky_signature_equal (const guint8 *a,
                       const guint8 *b,
                       gsize         length)
{
  guint8 difference = 0;

  for (gsize i = 0; i < length; i++)
    difference |= a[i] ^ b[i];

  return difference == 0;
}
