/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers for widget tests in a real window. */

#include "config.h"

#include <locale.h>

#include "picky-languages.h"
#include "picky-test-gui.h"

/**
 * picky_test_gui_init:
 *
 * Like gtk_test_init(), but keeps the locale from the environment so that a
 * test can check translated strings, and binds the build tree's catalogues.
 */
void
picky_test_gui_init (int    *argc,
                     char ***argv)
{
  setlocale (LC_ALL, "");
  g_test_init (argc, argv, NULL);
  picky_languages_bind_textdomain ();
  adw_init ();
}

/**
 * picky_test_gui_application:
 *
 * Returns: (transfer full): a registered application, not unique on the bus
 * so that tests never activate each other.
 */
PickyApplication *
picky_test_gui_application (void)
{
  static guint serial;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_strdup_printf ("%s.Test%u", APPLICATION_ID, ++serial);
  PickyApplication *app = picky_application_new ();

  /* A distinct id per instance: one process may hold several in turn, and a
   * previous one can still own its object path on the bus. */
  g_application_set_application_id (G_APPLICATION (app), id);
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  return app;
}

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

void
picky_test_gui_wait_mapped (GtkWidget *widget)
{
  g_assert_true (picky_test_wait_until (is_mapped, widget, 5000));
}

static void
collect (GtkWidget *widget,
         GType      type,
         GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect (child, type, found);
}

/**
 * picky_test_gui_find_all:
 *
 * Returns: (transfer container): every widget of @type under @root, depth first
 */
GPtrArray *
picky_test_gui_find_all (GtkWidget *root,
                         GType      type)
{
  GPtrArray *found = g_ptr_array_new ();

  collect (root, type, found);
  return found;
}

/**
 * picky_test_gui_find:
 *
 * Returns: (transfer none) (nullable): the @nth widget of @type under @root
 */
GtkWidget *
picky_test_gui_find (GtkWidget *root,
                     GType      type,
                     guint      nth)
{
  g_autoptr(GPtrArray) found = picky_test_gui_find_all (root, type);

  return nth < found->len ? g_ptr_array_index (found, nth) : NULL;
}
