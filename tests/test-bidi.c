/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the isolates around values put into text of either writing direction. */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "picky-bidi.h"
#include "picky-languages.h"

#define FSI PICKY_BIDI_FSI
#define PDI PICKY_BIDI_PDI

typedef struct {
  const char *text;
  const char *within_rtl;
  const char *within_ltr;
} Case;

/* In a sentence written right to left, everything but words of such a
 * script is isolated; in one written left to right, only text with such
 * words. Plain values in an English window are left alone. */
static void
test_isolate_cases (void)
{
  static const Case cases[] = {
    { "", "", "" },
    { "+49 151 2345678", FSI "+49 151 2345678" PDI, "+49 151 2345678" },
    { "2026-12-04", FSI "2026-12-04" PDI, "2026-12-04" },
    { "05:05", FSI "05:05" PDI, "05:05" },
    { "5:05 PM", FSI "5:05 PM" PDI, "5:05 PM" },
    { "Ana Müller", FSI "Ana Müller" PDI, "Ana Müller" },
    { "The server did not answer.", FSI "The server did not answer." PDI, "The server did not answer." },
    /* Arabic words alone need nothing in Arabic, but do in English. */
    { "محمد العلي", "محمد العلي", FSI "محمد العلي" PDI },
    /* An Arabic name with a number is isolated in both. */
    { "محمد 2", FSI "محمد 2" PDI, FSI "محمد 2" PDI },
    /* Devanagari is written left to right. */
    { "प्रिया शर्मा", FSI "प्रिया शर्मा" PDI, "प्रिया शर्मा" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *rtl = picky_bidi_isolate_within (cases[i].text, TRUE);
      g_autofree char *ltr = picky_bidi_isolate_within (cases[i].text, FALSE);

      g_test_message ("%s", cases[i].text);
      g_assert_cmpstr (rtl, ==, cases[i].within_rtl);
      g_assert_cmpstr (ltr, ==, cases[i].within_ltr);
    }
  {
    g_autofree char *none = picky_bidi_isolate_within (NULL, TRUE);

    g_assert_cmpstr (none, ==, "");
  }
}

/* Counts the isolate initiators and their POPs, in order: a POP that
 * finds nothing open would end an isolate of the sentence around it. */
static void
assert_balanced (const char *text)
{
  int depth = 0;

  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == 0x2066 || c == 0x2067 || c == 0x2068)
        depth++;
      else if (c == 0x2069)
        {
          depth--;
          g_assert_cmpint (depth, >=, 0);
          /* Nothing after the POP that closes ours. */
          if (depth == 0)
            g_assert_cmpint (p[3], ==, '\0');
        }
    }
  g_assert_cmpint (depth, ==, 0);
}

/* A name from a provider is anybody's text: directional controls meant to
 * escape the isolate, or to leave one open, stay inside it, and bytes that
 * are not UTF-8 come back as valid text. */
static void
test_isolate_hostile (void)
{
  static const char *const texts[] = {
    "Eve" PDI "\u202e evil",                   /* a POP to end our isolate, then an override */
    "Eve" PDI PDI PDI "x",
    "\u2067open isolates \u2066 left \u2068",   /* isolates left open */
    "\u202b\u202b\u202e embeddings left open",
    "\u2066balanced" PDI " 42",
    PDI,
  };
  g_autofree char *invalid = NULL;
  g_autofree char *truncated = NULL;
  g_autoptr(GString) long_text = g_string_new (NULL);
  g_autofree char *long_isolated = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    for (int rtl = 0; rtl <= 1; rtl++)
      {
        g_autofree char *isolated = picky_bidi_isolate_within (texts[i], rtl);

        g_test_message ("%s", texts[i]);
        g_assert_true (g_str_has_prefix (isolated, FSI));
        g_assert_true (g_str_has_suffix (isolated, PDI));
        assert_balanced (isolated);
      }

  /* The text's own letters all come back, only the stray POPs go. */
  {
    g_autofree char *isolated = picky_bidi_isolate_within ("Eve" PDI "\u202e evil", TRUE);

    g_assert_cmpstr (isolated, ==, FSI "Eve\u202e evil" PDI);
  }

  invalid = picky_bidi_isolate_within ("Ana \xff\xfe M\xc3", TRUE);
  g_assert_true (g_utf8_validate (invalid, -1, NULL));
  g_assert_true (g_str_has_prefix (invalid, FSI "Ana "));
  assert_balanced (invalid);
  /* A sequence cut in the middle, in English, where Latin letters need nothing. */
  truncated = picky_bidi_isolate_within ("Ana\xe2\x81", FALSE);
  g_assert_true (g_utf8_validate (truncated, -1, NULL));
  g_assert_true (g_str_has_prefix (truncated, "Ana"));

  /* Many isolates left open: each is closed, and ours last. */
  for (int i = 0; i < 10000; i++)
    g_string_append (long_text, "\u2067ا");
  long_isolated = picky_bidi_isolate_within (long_text->str, FALSE);
  assert_balanced (long_isolated);
  g_assert_cmpuint (strlen (long_isolated), ==, long_text->len + 10001 * 3 + 3);
}

/* The window's direction comes from its language, not from the locale. */
static void
test_ui_direction (void)
{
  g_setenv ("LANGUAGE", "ar", TRUE);
  picky_languages_bind_textdomain ();
  g_assert_true (picky_bidi_ui_is_rtl ());
  {
    g_autofree char *phone = picky_bidi_isolate ("+49 151 2345678");

    g_assert_cmpstr (phone, ==, FSI "+49 151 2345678" PDI);
  }

  g_setenv ("LANGUAGE", "de", TRUE);
  picky_languages_bind_textdomain ();
  g_assert_false (picky_bidi_ui_is_rtl ());
  {
    g_autofree char *phone = picky_bidi_isolate ("+49 151 2345678");

    g_assert_cmpstr (phone, ==, "+49 151 2345678");
  }
  g_unsetenv ("LANGUAGE");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* The C locale with UTF-8: the languages come from LANGUAGE alone. */
  setlocale (LC_ALL, "C.UTF-8");

  g_test_add_func ("/picky/bidi/isolate", test_isolate_cases);
  g_test_add_func ("/picky/bidi/isolate/hostile", test_isolate_hostile);
  g_test_add_func ("/picky/bidi/ui-direction", test_ui_direction);

  return g_test_run ();
}
