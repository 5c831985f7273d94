/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Authenticated encryption of personal details at rest, and keyed lookup hashes. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <sodium.h>

#include "picky-cipher.h"

/* The first byte of every ciphertext names its format, so that a later
 * algorithm can be introduced while old rows stay readable. */
#define FORMAT_VERSION 1
#define NONCE_SIZE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_SIZE crypto_aead_xchacha20poly1305_ietf_ABYTES
#define HASH_KEY_ID 1
#define HASH_KEY_CONTEXT "pickyhsh"

struct _PickyCipher
{
  GObject parent_instance;

  /* Both in guarded, non-swappable memory from sodium_malloc. The hash key
   * is derived, so a leaked lookup hash reveals nothing about the data key. */
  unsigned char *key;
  unsigned char *hash_key;
};

G_DEFINE_FINAL_TYPE (PickyCipher, picky_cipher, G_TYPE_OBJECT)

G_DEFINE_QUARK (picky-cipher-error-quark, picky_cipher_error)

static void
ensure_sodium (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      /* sodium_init only fails when no randomness source exists; nothing in
       * this file would be safe then. */
      if (sodium_init () < 0)
        g_error ("libsodium could not be initialized");
      g_once_init_leave (&initialized, 1);
    }
}

/* table NUL column NUL row-id (8 bytes, little endian): a ciphertext moved to
 * another row or column no longer authenticates. */
static GByteArray *
build_associated_data (const char *table,
                       const char *column,
                       gint64      row_id)
{
  GByteArray *ad = g_byte_array_new ();
  guint64 le_id = GUINT64_TO_LE ((guint64) row_id);

  g_byte_array_append (ad, (const guint8 *) table, strlen (table) + 1);
  g_byte_array_append (ad, (const guint8 *) column, strlen (column) + 1);
  g_byte_array_append (ad, (const guint8 *) &le_id, sizeof le_id);

  return ad;
}

static void
picky_cipher_finalize (GObject *object)
{
  PickyCipher *self = PICKY_CIPHER (object);

  g_clear_pointer (&self->key, sodium_free);
  g_clear_pointer (&self->hash_key, sodium_free);

  G_OBJECT_CLASS (picky_cipher_parent_class)->finalize (object);
}

static void
picky_cipher_class_init (PickyCipherClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = picky_cipher_finalize;

  ensure_sodium ();
}

static void
picky_cipher_init (PickyCipher *self)
{
}

/**
 * picky_cipher_new:
 * @key: %PICKY_CIPHER_KEY_SIZE bytes of key material
 *
 * Returns: (transfer full): a cipher, or %NULL when @key has the wrong size
 */
PickyCipher *
picky_cipher_new (GBytes  *key,
                  GError **error)
{
  g_autoptr(PickyCipher) self = NULL;
  const guint8 *data;
  gsize size;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (key, &size);
  if (size != PICKY_CIPHER_KEY_SIZE)
    {
      g_set_error (error, PICKY_CIPHER_ERROR, PICKY_CIPHER_ERROR_BAD_KEY,
                   _("The data-encryption key has %u bytes instead of %u"),
                   (guint) size, (guint) PICKY_CIPHER_KEY_SIZE);
      return NULL;
    }

  self = g_object_new (PICKY_TYPE_CIPHER, NULL);
  self->key = sodium_malloc (PICKY_CIPHER_KEY_SIZE);
  self->hash_key = sodium_malloc (crypto_generichash_KEYBYTES);
  if (self->key == NULL || self->hash_key == NULL)
    g_error ("Out of locked memory for the data-encryption key");

  memcpy (self->key, data, PICKY_CIPHER_KEY_SIZE);
  crypto_kdf_derive_from_key (self->hash_key, crypto_generichash_KEYBYTES,
                              HASH_KEY_ID, HASH_KEY_CONTEXT, self->key);

  return g_steal_pointer (&self);
}

/**
 * picky_cipher_generate_key:
 *
 * Makes a new data key from the kernel's generator (a key must be
 * unpredictable, which GLib's random numbers are not), in guarded memory
 * that is wiped when the last reference goes.
 *
 * Returns: (transfer full): %PICKY_CIPHER_KEY_SIZE fresh random bytes
 */
GBytes *
picky_cipher_generate_key (void)
{
  guint8 *key;

  ensure_sodium ();
  key = sodium_malloc (PICKY_CIPHER_KEY_SIZE);
  if (key == NULL)
    g_error ("Out of locked memory for the data-encryption key");
  crypto_aead_xchacha20poly1305_ietf_keygen (key);

  return g_bytes_new_with_free_func (key, PICKY_CIPHER_KEY_SIZE, sodium_free, key);
}

/**
 * picky_cipher_encrypt:
 *
 * A fresh random nonce per call: XChaCha20's 192-bit nonces make random
 * nonces safe for any number of rows.
 *
 * Returns: (transfer full): version ‖ nonce ‖ ciphertext ‖ tag
 */
GBytes *
picky_cipher_encrypt (PickyCipher *self,
                      const char  *plaintext,
                      const char  *table,
                      const char  *column,
                      gint64       row_id)
{
  g_autoptr(GByteArray) ad = NULL;
  gsize text_len;
  guint8 *out;
  unsigned long long out_len = 0;

  g_return_val_if_fail (PICKY_IS_CIPHER (self), NULL);
  g_return_val_if_fail (plaintext != NULL, NULL);
  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (column != NULL, NULL);

  ad = build_associated_data (table, column, row_id);
  text_len = strlen (plaintext);
  out = g_malloc (1 + NONCE_SIZE + text_len + TAG_SIZE);
  out[0] = FORMAT_VERSION;
  randombytes_buf (out + 1, NONCE_SIZE);
  crypto_aead_xchacha20poly1305_ietf_encrypt (out + 1 + NONCE_SIZE, &out_len,
                                              (const guint8 *) plaintext, text_len,
                                              ad->data, ad->len,
                                              NULL, out + 1, self->key);

  return g_bytes_new_take (out, 1 + NONCE_SIZE + out_len);
}

/**
 * picky_cipher_decrypt:
 *
 * Returns: (transfer full): the plaintext, or %NULL when @ciphertext is of an
 *   unknown format or does not authenticate for this key, table, column and row
 */
char *
picky_cipher_decrypt (PickyCipher *self,
                      GBytes      *ciphertext,
                      const char  *table,
                      const char  *column,
                      gint64       row_id,
                      GError     **error)
{
  g_autoptr(GByteArray) ad = NULL;
  const guint8 *data;
  gsize size;
  char *plain;
  unsigned long long plain_len = 0;

  g_return_val_if_fail (PICKY_IS_CIPHER (self), NULL);
  g_return_val_if_fail (ciphertext != NULL, NULL);
  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (column != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (ciphertext, &size);
  if (size < 1 || data[0] != FORMAT_VERSION)
    {
      g_set_error (error, PICKY_CIPHER_ERROR, PICKY_CIPHER_ERROR_VERSION,
                   _("An encrypted value is in a format this version cannot read"));
      return NULL;
    }

  if (size < 1 + NONCE_SIZE + TAG_SIZE)
    {
      g_set_error (error, PICKY_CIPHER_ERROR, PICKY_CIPHER_ERROR_TAMPERED,
                   _("An encrypted value is damaged or belongs to another key or record"));
      return NULL;
    }

  ad = build_associated_data (table, column, row_id);
  plain = g_malloc (size - 1 - NONCE_SIZE - TAG_SIZE + 1);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt ((guint8 *) plain, &plain_len, NULL,
                                                  data + 1 + NONCE_SIZE,
                                                  size - 1 - NONCE_SIZE,
                                                  ad->data, ad->len,
                                                  data + 1, self->key) != 0)
    {
      g_free (plain);
      g_set_error (error, PICKY_CIPHER_ERROR, PICKY_CIPHER_ERROR_TAMPERED,
                   _("An encrypted value is damaged or belongs to another key or record"));
      return NULL;
    }

  plain[plain_len] = '\0';
  return plain;
}

/**
 * picky_cipher_lookup_hash:
 * @purpose: what is hashed ("phone"), so equal values of different kinds
 *   never share a hash
 *
 * Returns: (transfer full): a keyed BLAKE2b hash of @value, as hex
 */
char *
picky_cipher_lookup_hash (PickyCipher *self,
                          const char  *purpose,
                          const char  *value)
{
  crypto_generichash_state state;
  guint8 digest[crypto_generichash_BYTES];
  char hex[crypto_generichash_BYTES * 2 + 1];

  g_return_val_if_fail (PICKY_IS_CIPHER (self), NULL);
  g_return_val_if_fail (purpose != NULL, NULL);
  g_return_val_if_fail (value != NULL, NULL);

  crypto_generichash_init (&state, self->hash_key, crypto_generichash_KEYBYTES, sizeof digest);
  crypto_generichash_update (&state, (const guint8 *) purpose, strlen (purpose) + 1);
  crypto_generichash_update (&state, (const guint8 *) value, strlen (value));
  crypto_generichash_final (&state, digest, sizeof digest);
  sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);

  return g_strdup (hex);
}
