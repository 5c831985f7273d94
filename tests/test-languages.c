/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the shipped-language list and the stored language preference. */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "picky-languages.h"

static void
test_languages_shipped (void)
{
  g_auto(GStrv) shipped = picky_languages_get_shipped ();

  g_assert_true (g_strv_contains ((const char * const *) shipped, "de"));
  g_assert_true (picky_languages_is_shipped ("de"));
  g_assert_false (picky_languages_is_shipped ("xx"));
  g_assert_false (picky_languages_is_shipped (""));
}

static void
test_languages_native_name (void)
{
  g_autofree char *german = picky_languages_get_native_name ("de");
  g_autofree char *brazil = picky_languages_get_native_name ("pt_BR");
  g_autofree char *unknown = picky_languages_get_native_name ("tlh");

  g_assert_cmpstr (german, ==, "Deutsch");
  g_assert_cmpstr (brazil, ==, "Português do Brasil");
  g_assert_cmpstr (unknown, ==, "tlh");
}

static void
test_languages_preference (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);

  g_unsetenv ("LANGUAGE");

  g_settings_set_string (settings, "language", "");
  g_assert_null (picky_languages_apply_preference (settings));
  g_assert_null (g_getenv ("LANGUAGE"));

  /* A code no translation exists for is ignored rather than half-applied. */
  g_settings_set_string (settings, "language", "xx");
  g_assert_null (picky_languages_apply_preference (settings));
  g_assert_null (g_getenv ("LANGUAGE"));

  g_settings_set_string (settings, "language", "de");
  g_assert_cmpstr (picky_languages_apply_preference (settings), ==, "de");
  g_assert_cmpstr (g_getenv ("LANGUAGE"), ==, "de");

  /* The built German catalogue is what the console then shows. */
  picky_languages_bind_textdomain ();
  g_assert_cmpstr (_("Inbox"), ==, "Posteingang");

  g_unsetenv ("LANGUAGE");
}

/* Shows the console in @code from here on: gettext keeps the strings it
 * already looked up until the locale is set again, so set it again. */
static void
use_language (const char *code)
{
  g_autofree char *messages = g_strdup (setlocale (LC_MESSAGES, NULL));

  g_setenv ("LANGUAGE", code, TRUE);
  setlocale (LC_MESSAGES, messages);
  picky_languages_bind_textdomain ();
}

static void
test_languages_catalogues (void)
{
  const struct {
    const char *code;
    const char *name;
    const char *inbox;
    const char *read_switch;
    const char *read_status;
    const char *in_column;
  } languages[] = {
    { "de", "Deutsch", "Posteingang", "Lesen", "Gelesen", "Eingang" },
    { "es", "Español", "Bandeja de entrada", "Leer", "Leído", "Recibidos" },
    { "fr", "Français", "Boîte de réception", "Lecture", "Lu", "Reçus" },
    { "hi", "हिन्दी", "इनबॉक्स", "पढ़ना", "पढ़ा गया", "प्राप्त" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    {
      g_autofree char *name = picky_languages_get_native_name (languages[i].code);

      g_assert_true (picky_languages_is_shipped (languages[i].code));
      g_assert_cmpstr (name, ==, languages[i].name);

      use_language (languages[i].code);
      g_assert_cmpstr (_("Inbox"), ==, languages[i].inbox);
      /* The access switch is the permission to read, a message's status
       * that it has been read: two words in most languages. */
      g_assert_cmpstr (C_("access switch", "Read"), ==, languages[i].read_switch);
      g_assert_cmpstr (_("Read"), ==, languages[i].read_status);
      g_assert_cmpstr (_("In"), ==, languages[i].in_column);
    }

  g_unsetenv ("LANGUAGE");
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/picky/languages/shipped", test_languages_shipped);
  g_test_add_func ("/picky/languages/native-name", test_languages_native_name);
  g_test_add_func ("/picky/languages/preference", test_languages_preference);
  g_test_add_func ("/picky/languages/catalogues", test_languages_catalogues);

  return g_test_run ();
}
