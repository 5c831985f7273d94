/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers for widget tests in a real window: finding controls by the names assistive technologies read. */

#include "config.h"

#include <locale.h>
#include <string.h>

#include "picky-accessible.h"
#include "picky-erase-dialog.h"
#include "picky-service.h"
#include "picky-languages.h"
#include "picky-test-gui.h"
#include "picky-text-cell.h"

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
  /* As the application does at startup, for widgets made without one. */
  picky_accessible_init ();
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

/* GTK 4.8 has no public getter for accessible properties; its test API
 * returns the value it found when the expected one differs, so asking for a
 * value no label has reads the real one. */
#define NO_LABEL "\x01no label\x01"

static char *
dup_label_property (GtkWidget *widget)
{
  char *value;

  if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL))
    return NULL;

  value = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget),
                                              GTK_ACCESSIBLE_PROPERTY_LABEL, NO_LABEL);
  return value != NULL ? value : g_strdup (NO_LABEL);
}

typedef struct {
  gsize  position;
  char  *label;
} LabelledBy;

static int
compare_position (gconstpointer a,
                  gconstpointer b)
{
  const LabelledBy *x = a;
  const LabelledBy *y = b;

  return x->position < y->position ? -1 : x->position > y->position;
}

static void
clear_labelled_by (gpointer data)
{
  g_free (((LabelledBy *) data)->label);
}

/**
 * picky_test_gui_accessible_name_parts:
 *
 * What GTK 4.8's AT-SPI bridge puts together into @widget's accessible name:
 * its label property, then the label property of each widget it is
 * labelled by, in order. (GTK falls back to the type name for a widget with
 * neither; that is no name to a user, so it is left out here.)
 *
 * Returns: (transfer full): the parts, empty when there is no name
 */
GStrv
picky_test_gui_accessible_name_parts (GtkWidget *widget)
{
  g_autoptr(GStrvBuilder) parts = g_strv_builder_new ();
  g_autofree char *own = dup_label_property (widget);

  if (own != NULL)
    g_strv_builder_add (parts, own);

  if (gtk_test_accessible_has_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY))
    {
      GtkWidget *top = GTK_WIDGET (gtk_widget_get_root (widget));
      g_autoptr(GPtrArray) all = picky_test_gui_find_all (top != NULL ? top : widget, GTK_TYPE_WIDGET);
      g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (LabelledBy));
      /* The relation prints as "Type<address>" per widget, in its order;
       * an empty list never equals it, so this reads it. */
      g_autofree char *relation =
        gtk_test_accessible_check_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY, NULL);

      g_array_set_clear_func (found, clear_labelled_by);
      for (guint i = 0; relation != NULL && i < all->len; i++)
        {
          GtkWidget *candidate = g_ptr_array_index (all, i);
          g_autofree char *key = g_strdup_printf ("%s<%p>", G_OBJECT_TYPE_NAME (candidate), candidate);
          const char *at = strstr (relation, key);
          LabelledBy by;

          if (at == NULL)
            continue;

          /* Labels of the labels are not followed, as in GTK. */
          by.position = at - relation;
          by.label = dup_label_property (candidate);
          if (by.label != NULL)
            g_array_append_val (found, by);
        }
      g_array_sort (found, compare_position);

      for (guint i = 0; i < found->len; i++)
        g_strv_builder_add (parts, g_array_index (found, LabelledBy, i).label);
    }

  return g_strv_builder_end (parts);
}

/**
 * picky_test_gui_accessible_name:
 *
 * Computes @widget's accessible name as GTK 4.8's AT-SPI bridge gives it to
 * a screen reader: the parts picky_test_gui_accessible_name_parts() finds,
 * joined by spaces. An unnamed control is found by no name.
 *
 * Returns: (transfer full): the name, "" when there is none
 */
char *
picky_test_gui_accessible_name (GtkWidget *widget)
{
  g_auto(GStrv) parts = picky_test_gui_accessible_name_parts (widget);

  return g_strjoinv (" ", parts);
}

/**
 * picky_test_gui_text_of:
 *
 * Returns: (nullable): the text @widget shows, for a label or a list row's
 *   text cell; %NULL for other widgets
 */
const char *
picky_test_gui_text_of (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return gtk_label_get_text (GTK_LABEL (widget));
  if (PICKY_IS_TEXT_CELL (widget))
    return picky_text_cell_get_text (PICKY_TEXT_CELL (widget));
  return NULL;
}

/* The last name not found, so that a test waiting for it logs once. */
static char *last_missing;

/**
 * picky_test_gui_find_named:
 * @name: the accessible name, as picky_test_gui_accessible_name() computes it
 *
 * Finds a control the way a screen reader user does: by what it is called.
 * When none is found, the names that are there go to the test log.
 *
 * Returns: (transfer none) (nullable): the first widget of @type under @root,
 *   depth first, whose accessible name is @name
 */
GtkWidget *
picky_test_gui_find_named (GtkWidget  *root,
                           GType       type,
                           const char *name)
{
  g_autoptr(GPtrArray) all = picky_test_gui_find_all (root, type);

  for (guint i = 0; i < all->len; i++)
    {
      g_autofree char *candidate = picky_test_gui_accessible_name (g_ptr_array_index (all, i));

      if (g_strcmp0 (candidate, name) == 0)
        return g_ptr_array_index (all, i);
    }

  if (g_strcmp0 (name, last_missing) != 0)
    {
      g_free (last_missing);
      last_missing = g_strdup (name);
      g_test_message ("No %s named \"%s\"; there are:", g_type_name (type), name);
      for (guint i = 0; i < all->len; i++)
        {
          g_autofree char *candidate = picky_test_gui_accessible_name (g_ptr_array_index (all, i));

          g_test_message ("  \"%s\"", candidate);
        }
    }

  return NULL;
}

/**
 * picky_test_gui_find_only:
 *
 * For what has no name because it is no control (a view stack, a status
 * page, a switcher bar): the test fails unless @root holds exactly one
 * widget of @type.
 *
 * Returns: (transfer none): the one widget of @type under @root
 */
GtkWidget *
picky_test_gui_find_only (GtkWidget *root,
                          GType      type)
{
  g_autoptr(GPtrArray) all = picky_test_gui_find_all (root, type);

  g_assert_cmpuint (all->len, ==, 1);
  return g_ptr_array_index (all, 0);
}

typedef struct {
  GdkClipboard *clipboard;
  const char   *expected;
} ClipboardWait;

/* Our own content is readable at once: what a button set is ours. */
static gboolean
clipboard_holds (gpointer data)
{
  ClipboardWait *wait = data;
  GdkContentProvider *content = gdk_clipboard_get_content (wait->clipboard);
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  return content != NULL && gdk_content_provider_get_value (content, &value, NULL) &&
         g_strcmp0 (g_value_get_string (&value), wait->expected) == 0;
}

/**
 * picky_test_gui_assert_copies:
 * @button: a Copy button
 * @expected: what it must put on the clipboard
 *
 * Activates @button as the keyboard does and fails the test unless the
 * clipboard then holds @expected, and did not before.
 */
void
picky_test_gui_assert_copies (GtkWidget  *button,
                              const char *expected)
{
  ClipboardWait wait = { gtk_widget_get_clipboard (button), expected };

  gdk_clipboard_set_text (wait.clipboard, "nothing copied yet");
  g_assert_false (clipboard_holds (&wait));
  gtk_widget_activate (button);
  g_assert_true (picky_test_wait_until (clipboard_holds, &wait, 5000));
}

/**
 * picky_test_gui_assert_in_view:
 * @widget: a widget in a window
 *
 * Fails the test unless @widget lies whole inside its window, so that it
 * is seen without scrolling or resizing.
 */
void
picky_test_gui_assert_in_view (GtkWidget *widget)
{
  GtkWidget *window = GTK_WIDGET (gtk_widget_get_root (widget));
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_get_mapped (widget));
  g_assert_true (gtk_widget_compute_bounds (widget, window, &bounds));
  g_assert_cmpfloat (bounds.origin.x, >=, 0);
  g_assert_cmpfloat (bounds.origin.y, >=, 0);
  g_assert_cmpfloat (bounds.origin.x + bounds.size.width, <=, gtk_widget_get_width (window));
  g_assert_cmpfloat (bounds.origin.y + bounds.size.height, <=, gtk_widget_get_height (window));
}

static gboolean
service_ready (gpointer data)
{
  return picky_service_get_ready (data);
}

/**
 * picky_test_gui_wait_service_ready:
 * @service: the console's service
 *
 * Waits until @service has opened its store and started its channels;
 * fails the test after 30 s, longer than that takes on a busy machine.
 */
void
picky_test_gui_wait_service_ready (PickyService *service)
{
  g_assert_true (picky_test_wait_until (service_ready, service, 30000));
}

/* Where a label's whole text matters: on a button, in a column's header,
 * as a settings row's title. */
static const char *
cut_kind_of (GtkWidget *label)
{
  for (GtkWidget *w = gtk_widget_get_parent (label); w != NULL; w = gtk_widget_get_parent (w))
    {
      if (GTK_IS_BUTTON (w) || GTK_IS_MENU_BUTTON (w))
        return "button";
      if (strstr (G_OBJECT_TYPE_NAME (w), "ColumnViewTitle") != NULL)
        return "column header";
      if (ADW_IS_PREFERENCES_ROW (w))
        return gtk_widget_has_css_class (label, "title") ? "row title" : NULL;
      if (GTK_IS_LIST_BOX_ROW (w) || GTK_IS_WINDOW (w))
        return NULL;
    }
  return NULL;
}

/**
 * picky_test_gui_find_cut_labels:
 * @root: a shown window or part of one
 * @where: what to call @root in the text added
 * @cut: (element-type utf8): where to add a line for each label cut off
 *
 * Finds the labels under @root whose whole text matters (on a button, in a
 * column's header, as a settings row's title) that are ellipsized or
 * narrower than their text, as they are laid out now.
 */
void
picky_test_gui_find_cut_labels (GtkWidget  *root,
                                const char *where,
                                GPtrArray  *cut)
{
  /* Unmapped is not shown; nor is what has no size: AdwMessageDialog lays
   * its responses out in a row and in a column, and gives the one it does
   * not show none. */
  if (!gtk_widget_get_mapped (root) || gtk_widget_get_width (root) == 0)
    return;

  if (GTK_IS_LABEL (root) && gtk_label_get_text (GTK_LABEL (root))[0] != '\0')
    {
      const char *kind = cut_kind_of (root);
      gboolean ellipsized = pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (root)));
      int natural = 0;

      gtk_widget_measure (root, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &natural, NULL, NULL);
      /* Cut off: ellipsized, or narrower than its text by more than a
       * letter's part. libadwaita 1.2's button content gives its label two
       * pixels under the natural width it asks for, with nothing lost. */
      if (kind != NULL &&
          (ellipsized || (!gtk_label_get_wrap (GTK_LABEL (root)) && gtk_widget_get_width (root) + 4 < natural)))
        g_ptr_array_add (cut, g_strdup_printf ("%s: %s “%s” (%d of %d px%s)", where, kind,
                                               gtk_label_get_text (GTK_LABEL (root)),
                                               gtk_widget_get_width (root), natural,
                                               ellipsized ? ", ellipsized" : ""));
    }

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    picky_test_gui_find_cut_labels (child, where, cut);
}

static void
find_overflowing (GtkWidget  *widget,
                  GtkWidget  *window,
                  const char *where,
                  GPtrArray  *out)
{
  graphene_rect_t bounds;

  if (!gtk_widget_get_mapped (widget) || gtk_widget_get_width (widget) == 0)
    return;
  /* What scrolls sideways may be wider than the window on purpose. */
  if (GTK_IS_SCROLLED_WINDOW (widget))
    {
      GtkPolicyType horizontal;

      gtk_scrolled_window_get_policy (GTK_SCROLLED_WINDOW (widget), &horizontal, NULL);
      if (horizontal != GTK_POLICY_NEVER)
        return;
    }

  if (picky_test_gui_text_of (widget) != NULL && picky_test_gui_text_of (widget)[0] != '\0' &&
      gtk_widget_compute_bounds (widget, window, &bounds) &&
      (bounds.origin.x < -1 || bounds.origin.x + bounds.size.width > gtk_widget_get_width (window) + 1))
    g_ptr_array_add (out, g_strdup_printf ("%s: “%s” runs from %.0f to %.0f px in a window %d px wide", where,
                                           picky_test_gui_text_of (widget), bounds.origin.x,
                                           bounds.origin.x + bounds.size.width, gtk_widget_get_width (window)));

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    find_overflowing (child, window, where, out);
}

/**
 * picky_test_gui_find_overflowing_labels:
 * @root: a shown window
 * @where: what to call @root in the text added
 * @out: (element-type utf8): where to add a line for each label found
 *
 * Finds the labels laid out past the left or right edge of @root, outside
 * what scrolls sideways: text the window cuts off, whatever the label
 * itself was told (a wrapped label measured wider than its row is one).
 */
void
picky_test_gui_find_overflowing_labels (GtkWidget  *root,
                                        const char *where,
                                        GPtrArray  *out)
{
  find_overflowing (root, root, where, out);
}

static gboolean
erase_dialog_ready (gpointer data)
{
  return picky_erase_dialog_get_ready (data);
}

/**
 * picky_test_gui_erase_dialog_ready:
 *
 * An erase dialog as the console shows it: it presents itself once the
 * store has counted what would go, and is sized for that text then.
 *
 * Returns: (transfer none): the dialog, shown and ready
 */
GtkWindow *
picky_test_gui_erase_dialog_ready (GtkWindow  *parent,
                                   PickyStore *store,
                                   gint64      contact,
                                   const char *label)
{
  PickyEraseDialog *dialog = picky_erase_dialog_new (parent, store, contact, label);

  g_assert_true (picky_test_wait_until (erase_dialog_ready, dialog, 10000));
  picky_test_gui_wait_mapped (GTK_WIDGET (dialog));
  return GTK_WINDOW (dialog);
}
