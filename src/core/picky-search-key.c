/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Names and numbers prepared for searching: any case, any accents, any spelling of a number. */

#include "config.h"

#include <string.h>

#include "picky-search-key.h"

/**
 * picky_search_key_fold:
 *
 * Returns: (transfer full): @text case-folded and without combining marks,
 *   so that "José", "JOSE" and "jose" are alike; the same is done to a
 *   query, so scripts whose vowel signs are marks still match themselves
 */
char *
picky_search_key_fold (const char *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text != NULL ? text : ""));
  g_autofree char *folded = g_utf8_casefold (stripped, -1);
  g_autofree char *decomposed = g_utf8_normalize (folded, -1, G_NORMALIZE_NFD);
  GString *out = g_string_new (NULL);

  /* Invalid UTF-8 does not normalize: it is searched as it is. */
  if (decomposed == NULL)
    return g_string_free (g_string_append (out, folded), FALSE);

  for (const char *p = decomposed; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_type (c) != G_UNICODE_NON_SPACING_MARK)
        g_string_append_unichar (out, c);
    }

  return g_string_free (out, FALSE);
}

/* Digits only, in international form: a leading "00" is the "+" of "+49". */
static char *
international_digits (const char *text)
{
  GString *digits = g_string_new (NULL);

  for (const char *p = text; p != NULL && *p != '\0'; p++)
    if (g_ascii_isdigit (*p))
      g_string_append_c (digits, *p);

  if (g_str_has_prefix (digits->str, "00"))
    g_string_erase (digits, 0, 2);

  return g_string_free (digits, FALSE);
}

/**
 * picky_search_key_digits:
 *
 * Returns: (transfer full): the digits of a stored number in international
 *   form: "+49 151-234", "0049 151 234" and "(49) 151234" give "49151234"
 */
char *
picky_search_key_digits (const char *number)
{
  return international_digits (number);
}

/**
 * picky_search_key_digits_query:
 *
 * Returns: (transfer full): the digits to look for when @text looks like a
 *   phone number (digits, spaces, "+", "-", "/", ".", brackets), else
 *   %NULL; a national "0151 234" looks for "151234", which any country
 *   code may precede
 */
char *
picky_search_key_digits_query (const char *text)
{
  g_autofree char *digits = NULL;
  const char *lead;

  if (text == NULL || text[strspn (text, "0123456789+-()/. ")] != '\0')
    return NULL;

  digits = international_digits (text);
  if (*digits == '\0')
    return NULL;

  lead = text + strspn (text, " (");
  if (lead[0] == '0' && lead[1] != '0')
    return g_strdup (digits + 1);

  return g_steal_pointer (&digits);
}

/**
 * picky_search_key_matches:
 * @folded: a name from picky_search_key_fold()
 * @digits: (nullable): a number from picky_search_key_digits()
 * @folded_query: the query through picky_search_key_fold()
 * @digits_query: (nullable): the query through picky_search_key_digits_query()
 *
 * Returns: whether the name holds the query, or the number its digits
 */
gboolean
picky_search_key_matches (const char *folded,
                          const char *digits,
                          const char *folded_query,
                          const char *digits_query)
{
  if (folded_query == NULL || *folded_query == '\0')
    return TRUE;
  if (folded != NULL && strstr (folded, folded_query) != NULL)
    return TRUE;

  return digits != NULL && digits_query != NULL && *digits_query != '\0' &&
         strstr (digits, digits_query) != NULL;
}
