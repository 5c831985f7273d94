/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Authenticated encryption of personal details at rest, and keyed lookup hashes. */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define PICKY_CIPHER_ERROR (picky_cipher_error_quark ())

typedef enum {
  PICKY_CIPHER_ERROR_BAD_KEY,      /* the key has the wrong length */
  PICKY_CIPHER_ERROR_VERSION,      /* a ciphertext format this version cannot read */
  PICKY_CIPHER_ERROR_TAMPERED,     /* authentication failed: wrong key, row or bytes */
} PickyCipherError;

/* 32 bytes: a libsodium XChaCha20-Poly1305 key. */
#define PICKY_CIPHER_KEY_SIZE 32

#define PICKY_TYPE_CIPHER (picky_cipher_get_type ())

G_DECLARE_FINAL_TYPE (PickyCipher, picky_cipher, PICKY, CIPHER, GObject)

GQuark       picky_cipher_error_quark (void);

PickyCipher *picky_cipher_new         (GBytes      *key,
                                       GError     **error);
GBytes      *picky_cipher_generate_key (void);

/* Output is version ‖ nonce ‖ ciphertext; table, column and row id are bound
 * as associated data, so a value copied to another row does not decrypt. */
GBytes      *picky_cipher_encrypt     (PickyCipher *self,
                                       const char  *plaintext,
                                       const char  *table,
                                       const char  *column,
                                       gint64       row_id);
char        *picky_cipher_decrypt     (PickyCipher *self,
                                       GBytes      *ciphertext,
                                       const char  *table,
                                       const char  *column,
                                       gint64       row_id,
                                       GError     **error);
/* A keyed hash (hex) for equality lookups, e.g. by normalized phone number. */
char        *picky_cipher_lookup_hash (PickyCipher *self,
                                       const char  *purpose,
                                       const char  *value);

G_END_DECLS
