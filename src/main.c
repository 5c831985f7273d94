/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Entry point: applies the stored language, then hands over to PickyApplication. */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "picky-application.h"
#include "picky-languages.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PickyApplication) app = NULL;
  g_autoptr(GSettings) settings = NULL;

  setlocale (LC_ALL, "");

  /* The language choice must be in place before the first string is
   * translated. Without the schema there is no choice to read: the
   * application says what is missing once --help has had its chance. */
  if (picky_application_check_settings (NULL))
    {
      settings = g_settings_new (APPLICATION_ID);
      picky_languages_apply_preference (settings);
    }

  picky_languages_bind_textdomain ();
  g_set_application_name (_("Picky Console"));

  app = picky_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
