/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Values put into translated text keep their own order in either writing direction. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "picky-bidi.h"

/* The isolates of Unicode's UAX #9. Embeddings and overrides need no care:
 * whatever they open inside an isolate ends with its POP. */
#define LRI 0x2066
#define RLI 0x2067
#define FSI 0x2068
#define PDI 0x2069

/**
 * picky_bidi_ui_is_rtl:
 *
 * Whether the window's language is written right to left. It asks the
 * translation the way GTK does (and the report drawing does), so that the
 * answer follows the language the console runs in, not the locale.
 *
 * Returns: %TRUE for a language written right to left
 */
gboolean
picky_bidi_ui_is_rtl (void)
{
  /* Translators: "default:RTL" for a language written right to left, as
   * GTK itself asks; anything else keeps the report left to right. */
  return g_str_equal (_("default:LTR"), "default:RTL");
}

static gboolean
is_rtl_script (gunichar c)
{
  switch (g_unichar_get_script (c))
    {
    case G_UNICODE_SCRIPT_ARABIC:
    case G_UNICODE_SCRIPT_HEBREW:
    case G_UNICODE_SCRIPT_SYRIAC:
    case G_UNICODE_SCRIPT_THAANA:
    case G_UNICODE_SCRIPT_NKO:
    case G_UNICODE_SCRIPT_SAMARITAN:
    case G_UNICODE_SCRIPT_MANDAIC:
    case G_UNICODE_SCRIPT_ADLAM:
    case G_UNICODE_SCRIPT_HANIFI_ROHINGYA:
    case G_UNICODE_SCRIPT_YEZIDI:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Whether @text, set among words written in the other direction, could
 * come out in another order than it was written. In a sentence written
 * right to left, anything but words of such a script can: digits ("+49 151",
 * "05:05", "2026-12-04" next to each other swap places), Latin letters
 * ("5:05 PM" reads "PM 5:05"), punctuation at either end. In one written left
 * to right, only text with letters written right to left can. Text that
 * brings directional formatting of its own is isolated in either, so that
 * the formatting ends where the text does. */
static gboolean
needs_isolate (const char *text,
               gboolean    rtl)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean rtl_letter = is_rtl_script (c) && !g_unichar_isdigit (c);

      if ((c >= 0x202a && c <= 0x202e) || (c >= LRI && c <= PDI))
        return TRUE;

      if (rtl && !rtl_letter && !g_unichar_isspace (c))
        return TRUE;
      if (!rtl && rtl_letter)
        return TRUE;
    }

  return FALSE;
}

/**
 * picky_bidi_isolate_within:
 * @text: a value to put into a sentence or a cell: a name, a number, a
 *   date, a time, an error in another language
 * @rtl: whether the text around it is written right to left
 *
 * Wraps @text in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE where the
 * text around it could reorder it, so that it reads as written and takes
 * nothing around it along (a "+49" number stays in one piece, a date and a
 * time next to each other keep their order). The isolate takes its
 * direction from @text's first letter, so an English name stays English
 * and an Arabic one Arabic. Text that cannot be reordered comes back as it
 * is, so that left-to-right languages see no change in plain values.
 *
 * Whatever directional formatting @text brings (a name from a provider may
 * hold any) stays inside: a POP that would end our isolate is dropped and
 * the isolates it leaves open are closed, so nothing leaks into the
 * sentence. Invalid UTF-8 is repaired.
 *
 * Returns: (transfer full): @text, isolated where it needs to be
 */
char *
picky_bidi_isolate_within (const char *text,
                           gboolean    rtl)
{
  g_autofree char *valid = NULL;
  GString *isolated;
  guint open_isolates = 0;

  if (text == NULL || text[0] == '\0')
    return g_strdup ("");
  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);
  if (!needs_isolate (text, rtl))
    return g_strdup (text);

  isolated = g_string_sized_new (strlen (text) + 8);
  g_string_append (isolated, PICKY_BIDI_FSI);
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      switch (c)
        {
        case LRI: case RLI: case FSI:
          open_isolates++;
          break;
        case PDI:
          /* One that pops nothing of the text's own would end ours. */
          if (open_isolates == 0)
            continue;
          open_isolates--;
          break;
        default:
          break;
        }
      g_string_append_len (isolated, p, g_utf8_next_char (p) - p);
    }
  /* Each POP also ends the embeddings and overrides opened in its isolate. */
  for (; open_isolates > 0; open_isolates--)
    g_string_append (isolated, PICKY_BIDI_PDI);
  g_string_append (isolated, PICKY_BIDI_PDI);

  return g_string_free (isolated, FALSE);
}

/**
 * picky_bidi_isolate:
 * @text: a value to put into translated text
 *
 * picky_bidi_isolate_within() for text in the window's language.
 *
 * Returns: (transfer full): @text, isolated where it needs to be
 */
char *
picky_bidi_isolate (const char *text)
{
  return picky_bidi_isolate_within (text, picky_bidi_ui_is_rtl ());
}
