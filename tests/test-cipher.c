/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the encryption of personal details and of the keyed lookup hash. */

#include "config.h"

#include <locale.h>
#include <string.h>

#include "picky-cipher.h"

static PickyCipher *
make_cipher (guint8 fill)
{
  guint8 raw[PICKY_CIPHER_KEY_SIZE];
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GError) error = NULL;
  PickyCipher *cipher;

  memset (raw, fill, sizeof raw);
  key = g_bytes_new (raw, sizeof raw);
  cipher = picky_cipher_new (key, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cipher);

  return cipher;
}

static GBytes *
flip_byte (GBytes *bytes,
           gsize   offset)
{
  gsize size;
  guint8 *copy = g_bytes_unref_to_data (g_bytes_ref (bytes), &size);

  g_assert_cmpuint (offset, <, size);
  copy[offset] ^= 0x01;
  return g_bytes_new_take (copy, size);
}

static void
test_cipher_round_trip (void)
{
  g_autoptr(PickyCipher) cipher = make_cipher (7);
  const char *name = "Priyanka नमस्ते Øster 😀";
  g_autoptr(GBytes) sealed = picky_cipher_encrypt (cipher, name, "contacts", "name", 42);
  g_autoptr(GBytes) again = picky_cipher_encrypt (cipher, name, "contacts", "name", 42);
  g_autoptr(GError) error = NULL;
  g_autofree char *plain = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (sealed, &size);

  /* version ‖ 24-byte nonce ‖ ciphertext ‖ 16-byte tag */
  g_assert_cmpuint (size, ==, 1 + 24 + strlen (name) + 16);
  g_assert_cmpuint (data[0], ==, 1);
  g_assert_null (memmem (data, size, "Priyanka", 8));
  /* A fresh nonce each time: equal names do not give equal ciphertexts. */
  g_assert_false (g_bytes_equal (sealed, again));

  plain = picky_cipher_decrypt (cipher, sealed, "contacts", "name", 42, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plain, ==, name);
}

static void
test_cipher_empty (void)
{
  g_autoptr(PickyCipher) cipher = make_cipher (7);
  g_autoptr(GBytes) sealed = picky_cipher_encrypt (cipher, "", "devices", "details", 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *plain = picky_cipher_decrypt (cipher, sealed, "devices", "details", 1, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (plain, ==, "");
}

static void
test_cipher_tampered (void)
{
  g_autoptr(PickyCipher) cipher = make_cipher (7);
  g_autoptr(GBytes) sealed = picky_cipher_encrypt (cipher, "Jane Doe", "contacts", "name", 5);
  gsize size = g_bytes_get_size (sealed);
  gsize offsets[] = { 1, 20, 25, 25 + 3, size - 1 };

  for (guint i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      g_autoptr(GBytes) bad = flip_byte (sealed, offsets[i]);
      g_autoptr(GError) error = NULL;
      g_autofree char *plain = picky_cipher_decrypt (cipher, bad, "contacts", "name", 5, &error);

      g_assert_error (error, PICKY_CIPHER_ERROR, PICKY_CIPHER_ERROR_TAMPERED);
      g_assert_null (plain);
    }
}

static void
test_cipher_wrong_row (void)
{
  g_autoptr(PickyCipher) cipher = make_cipher (7);
  g_autoptr(GBytes) sealed = picky_cipher_encrypt (cipher, "+49 30 1234567", "contacts", "phone", 5);
  struct {
    const char *table;
    const char *column;
    gint64 row;
  } wrong[] = {
    { "contacts", "phone", 6 },
    { "contacts", "name", 5 },
    { "devices", "phone", 5 },
    { "contacts", "phone", -5 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *plain = picky_cipher_decrypt (cipher, sealed, wrong[i].table,
                                                     wrong[i].column, wrong[i].row, &error);

      g_assert_error (error, PICKY_CIPHER_ERROR, PICKY_CIPHER_ERROR_TAMPERED);
      g_assert_null (plain);
    }
}

static void
test_cipher_wrong_key (void)
{
  g_autoptr(PickyCipher) cipher = make_cipher (7);
  g_autoptr(PickyCipher) other = make_cipher (8);
  g_autoptr(GBytes) sealed = picky_cipher_encrypt (cipher, "Jane Doe", "contacts", "name", 5);
  g_autoptr(GError) error = NULL;
  g_autofree char *plain = picky_cipher_decrypt (other, sealed, "contacts", "name", 5, &error);

  g_assert_error (error, PICKY_CIPHER_ERROR, PICKY_CIPHER_ERROR_TAMPERED);
  g_assert_null (plain);
}

static void
test_cipher_version (void)
{
  g_autoptr(PickyCipher) cipher = make_cipher (7);
  g_autoptr(GBytes) sealed = picky_cipher_encrypt (cipher, "Jane Doe", "contacts", "name", 5);
  g_autoptr(GBytes) future = flip_byte (sealed, 0);
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *plain = picky_cipher_decrypt (cipher, future, "contacts", "name", 5, &error);
  g_autofree char *nothing = NULL;

  g_assert_error (error, PICKY_CIPHER_ERROR, PICKY_CIPHER_ERROR_VERSION);
  g_assert_null (plain);
  g_clear_error (&error);

  nothing = picky_cipher_decrypt (cipher, empty, "contacts", "name", 5, &error);
  g_assert_error (error, PICKY_CIPHER_ERROR, PICKY_CIPHER_ERROR_VERSION);
  g_assert_null (nothing);
}

static void
test_cipher_bad_key (void)
{
  g_autoptr(GBytes) key = g_bytes_new ("short", 5);
  g_autoptr(GError) error = NULL;
  g_autoptr(PickyCipher) cipher = picky_cipher_new (key, &error);
  g_autoptr(GBytes) generated = picky_cipher_generate_key ();
  g_autoptr(GBytes) generated2 = picky_cipher_generate_key ();

  g_assert_error (error, PICKY_CIPHER_ERROR, PICKY_CIPHER_ERROR_BAD_KEY);
  g_assert_null (cipher);

  g_assert_cmpuint (g_bytes_get_size (generated), ==, PICKY_CIPHER_KEY_SIZE);
  g_assert_false (g_bytes_equal (generated, generated2));
}

static void
test_cipher_lookup_hash (void)
{
  g_autoptr(PickyCipher) cipher = make_cipher (7);
  g_autoptr(PickyCipher) other = make_cipher (8);
  g_autofree char *a = picky_cipher_lookup_hash (cipher, "phone", "+49301234567");
  g_autofree char *b = picky_cipher_lookup_hash (cipher, "phone", "+49301234567");
  g_autofree char *c = picky_cipher_lookup_hash (cipher, "phone", "+49301234568");
  g_autofree char *d = picky_cipher_lookup_hash (cipher, "email", "+49301234567");
  g_autofree char *e = picky_cipher_lookup_hash (other, "phone", "+49301234567");

  g_assert_cmpuint (strlen (a), ==, 64);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, !=, c);
  g_assert_cmpstr (a, !=, d);
  g_assert_cmpstr (a, !=, e);
  g_assert_null (strstr (a, "4930"));
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/picky/cipher/round-trip", test_cipher_round_trip);
  g_test_add_func ("/picky/cipher/empty", test_cipher_empty);
  g_test_add_func ("/picky/cipher/tampered", test_cipher_tampered);
  g_test_add_func ("/picky/cipher/wrong-row", test_cipher_wrong_row);
  g_test_add_func ("/picky/cipher/wrong-key", test_cipher_wrong_key);
  g_test_add_func ("/picky/cipher/version", test_cipher_version);
  g_test_add_func ("/picky/cipher/bad-key", test_cipher_bad_key);
  g_test_add_func ("/picky/cipher/lookup-hash", test_cipher_lookup_hash);

  return g_test_run ();
}
