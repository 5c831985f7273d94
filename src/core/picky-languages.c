/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The languages shipped with the console and the user's stored choice among them. */

#include "config.h"

#include <libintl.h>
#include <locale.h>
#include <string.h>

#include "picky-languages.h"

/* A language is offered by its own name (its autonym), so that someone who
 * picked a language they cannot read can still find their way back. Add a
 * line here when a translation is added to po/LINGUAS. */
static const struct {
  const char *code;
  const char *autonym;
} autonyms[] = {
  { "ar", "العربية" },
  { "ca", "Català" },
  { "cs", "Čeština" },
  { "da", "Dansk" },
  { "de", "Deutsch" },
  { "el", "Ελληνικά" },
  { "en", "English" },
  { "es", "Español" },
  { "eu", "Euskara" },
  { "fa", "فارسی" },
  { "fi", "Suomi" },
  { "fr", "Français" },
  { "he", "עברית" },
  { "hi", "हिन्दी" },
  { "hu", "Magyar" },
  { "id", "Bahasa Indonesia" },
  { "it", "Italiano" },
  { "ja", "日本語" },
  { "ko", "한국어" },
  { "ml", "മലയാളം" },
  { "nb", "Norsk bokmål" },
  { "nl", "Nederlands" },
  { "pl", "Polski" },
  { "pt", "Português" },
  { "pt_BR", "Português do Brasil" },
  { "ro", "Română" },
  { "ru", "Русский" },
  { "sv", "Svenska" },
  { "ta", "தமிழ்" },
  { "tr", "Türkçe" },
  { "uk", "Українська" },
  { "ur", "اردو" },
  { "vi", "Tiếng Việt" },
  { "zh_CN", "简体中文" },
  { "zh_TW", "繁體中文" },
};

/**
 * picky_languages_get_shipped:
 *
 * Returns: (transfer full): the gettext codes of every translation built
 * with the console, in the order of `po/LINGUAS`.
 */
GStrv
picky_languages_get_shipped (void)
{
  return g_strsplit_set (PICKY_LINGUAS, " ", -1);
}

/**
 * picky_languages_is_shipped:
 * @code: a gettext language code
 *
 * Returns: whether a translation for @code ships with the console.
 */
gboolean
picky_languages_is_shipped (const char *code)
{
  g_auto(GStrv) shipped = picky_languages_get_shipped ();

  g_return_val_if_fail (code != NULL, FALSE);

  return g_strv_contains ((const char * const *) shipped, code);
}

/**
 * picky_languages_get_native_name:
 * @code: a gettext language code such as "de" or "pt_BR"
 *
 * Returns: (transfer full): the language's name in that language, or @code
 * itself when the console does not know it.
 */
char *
picky_languages_get_native_name (const char *code)
{
  g_return_val_if_fail (code != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (autonyms); i++)
    if (strcmp (autonyms[i].code, code) == 0)
      return g_strdup (autonyms[i].autonym);

  return g_strdup (code);
}

/**
 * picky_languages_apply_preference:
 * @settings: the application's settings
 *
 * Makes gettext use the language the user chose in Preferences. It must run
 * before the first translated string is looked up, which is why it is called
 * from main() and takes effect only at the next start.
 *
 * Returns: (nullable): the language applied, or %NULL for the system default
 */
const char *
picky_languages_apply_preference (GSettings *settings)
{
  g_autofree char *code = NULL;
  const char *current;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  code = g_settings_get_string (settings, "language");
  if (code[0] == '\0' || !picky_languages_is_shipped (code))
    return NULL;

  g_setenv ("LANGUAGE", code, TRUE);

  /* gettext ignores LANGUAGE under the plain C locale; C.UTF-8 keeps the
   * user's formats neutral and lets the chosen language through. */
  current = setlocale (LC_MESSAGES, NULL);
  if (current == NULL || strcmp (current, "C") == 0 || strcmp (current, "POSIX") == 0)
    {
      setlocale (LC_MESSAGES, "C.UTF-8");
      setlocale (LC_CTYPE, "C.UTF-8");
    }

  return g_intern_string (code);
}

/**
 * picky_languages_bind_textdomain:
 *
 * Points gettext at the console's translations: the installed ones, or the
 * freshly built ones named by `PICKY_LOCALEDIR` when the console runs from
 * its build tree (set by `meson devenv` and by the tests).
 */
void
picky_languages_bind_textdomain (void)
{
  const char *localedir = g_getenv ("PICKY_LOCALEDIR");

  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

/**
 * picky_languages_get_script_font:
 *
 * The font family to put before the interface font for the language the
 * console shows, where that language's script needs one.
 *
 * The interface font has Latin letters and punctuation only; a Devanagari
 * or Arabic word comes from a fallback font whose ascent and descent
 * differ from it.
 * A line with a comma or a Latin name on it is then taller than one
 * without, so a wrapped label's height does not fall steadily as it gets
 * wider, and GtkLabel's search for the narrowest width that fits a height
 * lands wider than the row it is in: a description cut at the right edge,
 * a button pushed out of the window. A Devanagari font first gives the
 * text and its punctuation one font, and one line height.
 *
 * Returns: (nullable): a font family, or %NULL where the interface font serves
 */
const char *
picky_languages_get_script_font (void)
{
  static const struct {
    const char *code;
    const char *family;
  } fonts[] = {
    /* Its ascent and descent take in the Latin font's: lines with a
     * Latin name on them are no taller (the Sans one's lines are half as
     * tall again as the text's). */
    { "ar", "Noto Naskh Arabic" },
    { "hi", "Noto Sans Devanagari" },
  };
  const char *first = g_get_language_names ()[0];
  size_t length = strcspn (first, "_.@");

  for (guint i = 0; i < G_N_ELEMENTS (fonts); i++)
    if (strlen (fonts[i].code) == length && strncmp (first, fonts[i].code, length) == 0)
      return fonts[i].family;
  return NULL;
}
