/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Names for what GTK 4.8 and libadwaita 1.2 leave unnamed or name twice, given as a window is shown, hidden pages too. */

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "picky-accessible.h"
#include "picky-text-cell.h"

/* GTK 4.8 has no getter for an accessible property; the test API is part of
 * the library and answers NULL when the value is the one asked about. */
static gboolean
label_property_is (GtkWidget  *widget,
                   const char *value)
{
  g_autofree char *other = NULL;

  if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL))
    return FALSE;

  other = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, value);
  return other == NULL;
}

static gboolean
has_label_property (GtkWidget *widget)
{
  return gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL);
}

static void
set_name (GtkWidget  *widget,
          const char *name)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

/* A button with a mnemonic gets its label, underscore and all, as its
 * accessible label, and is labelled by its child label as well: Orca reads
 * "_Print… Print…". The child label alone says it right. */
static void
fix_mnemonic_button (GtkButton *button)
{
  const char *label = gtk_button_get_label (button);

  if (label != NULL && gtk_button_get_use_underline (button) && label_property_is (GTK_WIDGET (button), label))
    gtk_accessible_reset_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL);
}

/* The peek button of a password row is named after its icon, "GtkImage". */
static void
name_peek_button (GtkButton *button)
{
  const char *icon = gtk_button_get_icon_name (button);

  set_name (GTK_WIDGET (button), g_strcmp0 (icon, "view-conceal-symbolic") == 0 ? _("Hide Password")
                                                                                : _("Show Password"));
}

static void
fix_button (GtkButton *button)
{
  GtkWidget *widget = GTK_WIDGET (button);
  GtkWidget *parent = gtk_widget_get_parent (widget);

  if (g_object_get_data (G_OBJECT (button), "picky-accessible") == NULL)
    {
      g_object_set_data (G_OBJECT (button), "picky-accessible", GINT_TO_POINTER (1));
      /* GTK sets the label property again whenever the label changes. */
      g_signal_connect (button, "notify::label", G_CALLBACK (fix_mnemonic_button), NULL);
      g_signal_connect (button, "notify::use-underline", G_CALLBACK (fix_mnemonic_button), NULL);
      if (gtk_widget_get_ancestor (widget, ADW_TYPE_PASSWORD_ENTRY_ROW) != NULL)
        g_signal_connect (button, "notify::icon-name", G_CALLBACK (name_peek_button), NULL);
    }

  fix_mnemonic_button (button);

  if (gtk_widget_get_ancestor (widget, ADW_TYPE_PASSWORD_ENTRY_ROW) != NULL && GTK_IS_IMAGE (gtk_button_get_child (button)))
    name_peek_button (button);
  else if (GTK_IS_DROP_DOWN (parent) && !has_label_property (widget))
    /* The drop-down has the name; the toggle inside it takes the focus. */
    gtk_accessible_update_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_LABELLED_BY, parent, NULL, -1);
  else if (GTK_IS_IMAGE (gtk_button_get_child (button)) && !has_label_property (widget) &&
           gtk_widget_get_tooltip_text (widget) != NULL)
    /* An icon button is labelled by its image, which has no name. */
    set_name (widget, gtk_widget_get_tooltip_text (widget));
}

/* "Count _Business Hours Only" as it is read: "Count Business Hours Only". */
static char *
strip_mnemonic (const char *text)
{
  GString *plain = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '_' && p[1] != '\0')
        p++;
      g_string_append_c (plain, *p);
    }

  return g_string_free (plain, FALSE);
}

static void
name_unnamed_switches (GtkWidget  *widget,
                       GtkWidget  *row,
                       const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_SWITCH (child) && gtk_widget_get_ancestor (child, ADW_TYPE_EXPANDER_ROW) == row &&
          !has_label_property (child) &&
          !gtk_test_accessible_has_relation (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_RELATION_LABELLED_BY))
        gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
      name_unnamed_switches (child, row, name);
    }
}

/* An expander row takes the focus without a name, and so does its enable
 * switch; both are called by the row's title. */
static void
name_expander_row (AdwExpanderRow *row)
{
  const char *title = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row));
  g_autofree char *name = NULL;

  if (title == NULL || *title == '\0')
    return;

  name = adw_preferences_row_get_use_underline (ADW_PREFERENCES_ROW (row)) ? strip_mnemonic (title) : g_strdup (title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  name_unnamed_switches (GTK_WIDGET (row), GTK_WIDGET (row), name);
}

static void
collect_labels (GtkWidget *widget,
                GList    **labels)
{
  if (!gtk_widget_get_visible (widget))
    return;

  if ((GTK_IS_LABEL (widget) && *gtk_label_get_text (GTK_LABEL (widget)) != '\0') ||
      (PICKY_IS_TEXT_CELL (widget) && *picky_text_cell_get_text (PICKY_TEXT_CELL (widget)) != '\0'))
    {
      *labels = g_list_append (*labels, widget);
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    collect_labels (child, labels);
}

/* A list's row takes the focus, but only what it holds has a name: the row
 * is labelled by its child when that has a name of its own, otherwise by
 * the labels it shows (a column view's cells, in column order). */
static void
name_list_row (GtkWidget *row)
{
  GtkWidget *child = gtk_widget_get_first_child (row);
  GList *labels = NULL;

  if (child == NULL)
    return;

  if (gtk_widget_get_next_sibling (child) == NULL && has_label_property (child))
    labels = g_list_append (labels, child);
  else
    collect_labels (row, &labels);

  if (labels != NULL)
    {
      GtkAccessibleRelation relation = GTK_ACCESSIBLE_RELATION_LABELLED_BY;
      GValue value = G_VALUE_INIT;

      /* A list of references goes by value as a GList, which GTK keeps. */
      g_value_init (&value, G_TYPE_POINTER);
      g_value_set_pointer (&value, labels);
      gtk_accessible_update_relation_value (GTK_ACCESSIBLE (row), 1, &relation, &value);
    }
}

/* GTK 4.8's lists take Tab to the next row, so a long list is a long way
 * through; the arrows move inside it, and Tab leaves it, as from any other
 * control. Taking the list out of the focus chain for a moment lets the
 * window move past it from where the focus is. */
static void
on_window_move_focus_cb (GtkWidget        *window,
                         GtkDirectionType  direction)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));
  GtkWidget *list;

  if (focus == NULL || (direction != GTK_DIR_TAB_FORWARD && direction != GTK_DIR_TAB_BACKWARD))
    return;

  list = gtk_widget_get_ancestor (focus, GTK_TYPE_COLUMN_VIEW);
  if (list == NULL)
    list = gtk_widget_get_ancestor (focus, GTK_TYPE_LIST_VIEW);
  if (list == NULL || gtk_widget_get_ancestor (list, GTK_TYPE_WINDOW) != window)
    return;

  gtk_widget_set_can_focus (list, FALSE);
  /* What GtkWindow's own move-focus does, the list left out. */
  gtk_widget_child_focus (window, direction);
  if (gtk_widget_get_focus_child (window) == NULL)
    gtk_root_set_focus (GTK_ROOT (window), NULL);
  gtk_widget_set_can_focus (list, TRUE);

  g_signal_stop_emission_by_name (window, "move-focus");
}

static void
mend (GtkWidget *widget)
{
  GtkWidget *parent = gtk_widget_get_parent (widget);

  if (GTK_IS_BUTTON (widget))
    fix_button (GTK_BUTTON (widget));
  else if (GTK_IS_FLOW_BOX_CHILD (widget))
    {
      /* In a flow box that selects nothing, only the controls in it are
       * Tab stops: a button there is one stop, not two. */
      if (parent != NULL && gtk_flow_box_get_selection_mode (GTK_FLOW_BOX (parent)) == GTK_SELECTION_NONE)
        gtk_widget_set_focusable (widget, FALSE);
    }
  else if (ADW_IS_EXPANDER_ROW (widget))
    {
      if (g_object_get_data (G_OBJECT (widget), "picky-accessible") == NULL)
        {
          g_object_set_data (G_OBJECT (widget), "picky-accessible", GINT_TO_POINTER (1));
          g_signal_connect (widget, "notify::title", G_CALLBACK (name_expander_row), NULL);
        }
      name_expander_row (ADW_EXPANDER_ROW (widget));
    }
  else if (GTK_IS_SEARCH_ENTRY (widget) && !has_label_property (widget))
    {
      g_autofree char *placeholder = NULL;

      g_object_get (widget, "placeholder-text", &placeholder, NULL);
      gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      placeholder != NULL && *placeholder != '\0' ? placeholder : _("Search"), -1);
    }
  else if (parent != NULL && (GTK_IS_LIST_VIEW (parent) || GTK_IS_COLUMN_VIEW (parent)) &&
           gtk_widget_get_focusable (widget) && !GTK_IS_LIST_VIEW (widget))
    /* Not the list a column view keeps its rows in: labelled by every
     * row's text, it had one very long name. */
    name_list_row (widget);
  else if (GTK_IS_WINDOW (widget) && g_object_get_data (G_OBJECT (widget), "picky-accessible") == NULL)
    {
      /* Tab reaches the window as its move-focus key binding. */
      g_object_set_data (G_OBJECT (widget), "picky-accessible", GINT_TO_POINTER (1));
      g_signal_connect (widget, "move-focus", G_CALLBACK (on_window_move_focus_cb), NULL);
    }
}

/* Everything under @widget, shown or not. */
static void
mend_tree (GtkWidget *widget)
{
  mend (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    mend_tree (child);
}

/* The hook runs after a widget's own map, which has mapped what it shows.
 * A window or a popover mends all it holds: a screen reader reads the
 * pages of a stack that were never shown too, and by their names. */
static gboolean
on_map_hook_cb (GSignalInvocationHint *hint,
                guint                  n_params,
                const GValue          *params,
                gpointer               data)
{
  GtkWidget *widget = g_value_get_object (&params[0]);

  if (GTK_IS_NATIVE (widget))
    mend_tree (widget);
  else
    mend (widget);

  return TRUE;
}

/**
 * picky_accessible_mend_tree:
 * @widget: a widget added to a window already shown
 *
 * Names all @widget holds, shown or not, as a window's first showing does
 * for what it holds then: for a page made when first shown.
 */
void
picky_accessible_mend_tree (GtkWidget *widget)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  mend_tree (widget);
}

/**
 * picky_accessible_init:
 *
 * Names what GTK 4.8 and libadwaita 1.2 give screen readers no name or a
 * doubled one for, in a window or popover as it is shown, all it holds,
 * shown or not, and then each widget as it is shown: buttons with
 * mnemonics, drop-downs' toggles, icon buttons, password rows' peek
 * buttons, expander rows, search entries and list rows. A flow box child
 * that holds a button stops taking the focus itself. Call once, after
 * gtk_init().
 */
void
picky_accessible_init (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      /* The signal exists once the class does; it stays for the process. */
      g_type_class_unref (g_type_class_ref (GTK_TYPE_WIDGET));
      g_signal_add_emission_hook (g_signal_lookup ("map", GTK_TYPE_WIDGET), 0, on_map_hook_cb, NULL, NULL);

      g_once_init_leave (&done, 1);
    }
}
