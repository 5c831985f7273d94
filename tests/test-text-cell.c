/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PickyTextCell in a real window: its text drawn and named, ellipsized, and a new text redrawn without a resize. */

#include "config.h"

#include "picky-test-gui.h"
#include "picky-text-cell.h"

#define LONG_TEXT "A rather long line of text that no narrow cell has room for, however it is set"

/* A parent that counts how often it is measured: a child that queues a
 * resize has its parents measured again in the next frame; one that only
 * queues a draw does not. */
#define TEST_TYPE_COUNTER (test_counter_get_type ())
G_DECLARE_FINAL_TYPE (TestCounter, test_counter, TEST, COUNTER, GtkWidget)

struct _TestCounter
{
  GtkWidget parent_instance;
  guint     n_measured;
};

G_DEFINE_FINAL_TYPE (TestCounter, test_counter, GTK_TYPE_WIDGET)

static void
test_counter_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  TEST_COUNTER (widget)->n_measured++;
  gtk_widget_measure (gtk_widget_get_first_child (widget), orientation, for_size, minimum, natural, NULL, NULL);
}

static void
test_counter_size_allocate (GtkWidget *widget,
                            int        width,
                            int        height,
                            int        baseline)
{
  gtk_widget_allocate (gtk_widget_get_first_child (widget), width, height, -1, NULL);
}

static void
test_counter_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (test_counter_parent_class)->dispose (object);
}

static void
test_counter_class_init (TestCounterClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = test_counter_dispose;
  GTK_WIDGET_CLASS (klass)->measure = test_counter_measure;
  GTK_WIDGET_CLASS (klass)->size_allocate = test_counter_size_allocate;
}

static void
test_counter_init (TestCounter *self)
{
}

typedef struct {
  GtkWindow   *window;
  TestCounter *counter;
  GtkWidget   *cell;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  fixture->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (fixture->window, 400, 100);
  fixture->counter = g_object_new (TEST_TYPE_COUNTER, NULL);
  /* A fixed width, as a column or a row gives its cells. */
  gtk_widget_set_size_request (GTK_WIDGET (fixture->counter), 200, -1);
  gtk_widget_set_halign (GTK_WIDGET (fixture->counter), GTK_ALIGN_START);
  fixture->cell = picky_text_cell_new ();
  gtk_widget_set_parent (fixture->cell, GTK_WIDGET (fixture->counter));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (fixture->counter));
  gtk_window_set_child (fixture->window, box);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (fixture->window);
}

static void
show (Fixture *fixture)
{
  gtk_window_present (fixture->window);
  picky_test_gui_wait_mapped (fixture->cell);
  picky_test_spin (100);
}

/* Lets the next frame lay the window out and draw it. */
static void
next_frame (Fixture *fixture)
{
  gtk_widget_queue_draw (GTK_WIDGET (fixture->window));
  picky_test_spin (100);
}

/* The columns of @widget's drawing in which anything is drawn. */
static void
ink_columns (GtkWidget *widget,
             int       *first,
             int       *last)
{
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree guchar *pixels = g_malloc0 ((gsize) width * height * 4);

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  *first = -1;
  *last = -1;
  if (node == NULL)
    return;
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_texture_download (texture, pixels, width * 4);
  for (int x = 0; x < width; x++)
    for (int y = 0; y < height; y++)
      if (pixels[(y * width + x) * 4 + 3] > 0)
        {
          if (*first < 0)
            *first = x;
          *last = x;
          break;
        }
}

/* The text is what assistive technologies read, as a label's is, and
 * what the cell draws: at its start, or its end with xalign 1. */
static void
test_text_cell_text (Fixture       *fixture,
                     gconstpointer  data)
{
  PickyTextCell *cell = PICKY_TEXT_CELL (fixture->cell);
  g_autofree char *name = NULL;
  int first, last;

  picky_text_cell_set_text (cell, "Zoë 42");
  show (fixture);
  g_assert_cmpstr (picky_text_cell_get_text (cell), ==, "Zoë 42");
  g_assert_true (gtk_test_accessible_has_role (GTK_ACCESSIBLE (cell), GTK_ACCESSIBLE_ROLE_LABEL));
  name = picky_test_gui_accessible_name (fixture->cell);
  g_assert_cmpstr (name, ==, "Zoë 42");
  g_assert_true (picky_test_gui_find_named (GTK_WIDGET (fixture->window), PICKY_TYPE_TEXT_CELL, "Zoë 42") ==
                 fixture->cell);

  ink_columns (fixture->cell, &first, &last);
  g_test_message ("ink from %d to %d of %d", first, last, gtk_widget_get_width (fixture->cell));
  g_assert_cmpint (first, >=, 0);
  g_assert_cmpint (last, <, 100);

  picky_text_cell_set_xalign (cell, 1.0);
  next_frame (fixture);
  ink_columns (fixture->cell, &first, &last);
  g_assert_cmpint (first, >, 100);
  g_assert_cmpint (last, >=, gtk_widget_get_width (fixture->cell) - 4);

  /* Right to left, the end is on the left. */
  gtk_widget_set_direction (fixture->cell, GTK_TEXT_DIR_RTL);
  next_frame (fixture);
  ink_columns (fixture->cell, &first, &last);
  g_assert_cmpint (first, <=, 4);
  g_assert_cmpint (last, <, 100);

  /* A new text is read at once. */
  picky_text_cell_set_text (cell, "Kofi 5");
  g_clear_pointer (&name, g_free);
  name = picky_test_gui_accessible_name (fixture->cell);
  g_assert_cmpstr (name, ==, "Kofi 5");
  picky_text_cell_set_text (cell, NULL);
  next_frame (fixture);
  g_assert_cmpstr (picky_text_cell_get_text (cell), ==, "");
  ink_columns (fixture->cell, &first, &last);
  g_assert_cmpint (first, ==, -1);
}

/* A text too long for the cell ends in an ellipsis inside it; a short one
 * does not. */
static void
test_text_cell_ellipsis (Fixture       *fixture,
                         gconstpointer  data)
{
  PickyTextCell *cell = PICKY_TEXT_CELL (fixture->cell);
  int first, last;

  picky_text_cell_set_width_chars (cell, 10);
  picky_text_cell_set_text (cell, LONG_TEXT);
  show (fixture);
  g_assert_cmpint (gtk_widget_get_width (fixture->cell), ==, 200);
  g_assert_true (picky_text_cell_get_ellipsized (cell));
  ink_columns (fixture->cell, &first, &last);
  g_assert_cmpint (last, <, 200);
  g_assert_cmpint (last, >, 150);

  picky_text_cell_set_text (cell, "Ana");
  next_frame (fixture);
  g_assert_false (picky_text_cell_get_ellipsized (cell));
  ink_columns (fixture->cell, &first, &last);
  g_assert_cmpint (last, <, 50);

  /* And long again: cut at the cell's width, not at the short text's. */
  picky_text_cell_set_text (cell, LONG_TEXT);
  next_frame (fixture);
  g_assert_true (picky_text_cell_get_ellipsized (cell));
  ink_columns (fixture->cell, &first, &last);
  g_assert_cmpint (last, >, 150);
  g_assert_cmpint (last, <, 200);
}

/* With a width in characters, a new text, however long, only redraws:
 * the parent is not measured again. A label in its place is, which is
 * what made refilling two hundred rows slow. */
static void
test_text_cell_no_resize (Fixture       *fixture,
                          gconstpointer  data)
{
  PickyTextCell *cell = PICKY_TEXT_CELL (fixture->cell);
  GtkWidget *label;
  int natural_short, natural_long;
  guint measured;

  picky_text_cell_set_width_chars (cell, 12);
  picky_text_cell_set_text (cell, "Ana");
  show (fixture);
  gtk_widget_measure (fixture->cell, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &natural_short, NULL, NULL);

  measured = fixture->counter->n_measured;
  picky_text_cell_set_text (cell, LONG_TEXT);
  next_frame (fixture);
  g_assert_cmpuint (fixture->counter->n_measured, ==, measured);
  gtk_widget_measure (fixture->cell, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &natural_long, NULL, NULL);
  g_assert_cmpint (natural_long, ==, natural_short);
  g_assert_cmpint (natural_short, >, 0);

  /* The same with a label: measured again. */
  label = gtk_label_new ("Ana");
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_unparent (fixture->cell);
  gtk_widget_set_parent (label, GTK_WIDGET (fixture->counter));
  next_frame (fixture);
  measured = fixture->counter->n_measured;
  gtk_label_set_text (GTK_LABEL (label), LONG_TEXT);
  next_frame (fixture);
  g_assert_cmpuint (fixture->counter->n_measured, >, measured);
}

/* As wide as its text, a cell is measured again only when a new text has
 * another width: the time "10:42" after "09:15" is not. */
static void
test_text_cell_as_wide_as_text (Fixture       *fixture,
                                gconstpointer  data)
{
  PickyTextCell *cell = PICKY_TEXT_CELL (fixture->cell);
  g_autoptr(PangoLayout) layout = NULL;
  int natural, expected;
  guint measured;

  gtk_widget_add_css_class (fixture->cell, "numeric");
  picky_text_cell_set_text (cell, "09:15");
  show (fixture);
  layout = gtk_widget_create_pango_layout (fixture->cell, "09:15");
  pango_layout_get_pixel_size (layout, &expected, NULL);
  gtk_widget_measure (fixture->cell, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &natural, NULL, NULL);
  g_assert_cmpint (natural, ==, expected);

  measured = fixture->counter->n_measured;
  picky_text_cell_set_text (cell, "10:42");
  next_frame (fixture);
  g_assert_cmpuint (fixture->counter->n_measured, ==, measured);

  picky_text_cell_set_text (cell, "Yesterday");
  next_frame (fixture);
  g_assert_cmpuint (fixture->counter->n_measured, >, measured);
  pango_layout_set_text (layout, "Yesterday", -1);
  pango_layout_get_pixel_size (layout, &expected, NULL);
  gtk_widget_measure (fixture->cell, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &natural, NULL, NULL);
  g_assert_cmpint (natural, ==, expected);
}

/* Cells remember the widths of the texts their style has shown; another
 * cell of that style measures the same, and one in a bigger font is not
 * given the smaller font's width. */
static void
test_text_cell_remembered_widths (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();
  GtkWidget *other = picky_text_cell_new ();
  int first, second, big;

  picky_text_cell_set_text (PICKY_TEXT_CELL (fixture->cell), "Wednesday");
  show (fixture);
  gtk_widget_measure (fixture->cell, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &first, NULL, NULL);

  gtk_box_append (GTK_BOX (gtk_widget_get_parent (GTK_WIDGET (fixture->counter))), other);
  picky_text_cell_set_text (PICKY_TEXT_CELL (other), "Wednesday");
  next_frame (fixture);
  gtk_widget_measure (other, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &second, NULL, NULL);
  g_assert_cmpint (first, >, 0);
  g_assert_cmpint (second, ==, first);

  gtk_css_provider_load_from_data (provider, "label.big { font-size: 30px; }", -1);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_widget_add_css_class (other, "big");
  next_frame (fixture);
  gtk_widget_measure (other, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &big, NULL, NULL);
  gtk_style_context_remove_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider));
  g_assert_cmpint (big, >, first * 3 / 2);
}

/* The height is the font's line, whatever the text; a bigger font makes
 * the cell higher. */
static void
test_text_cell_height (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();
  int empty, text, big;

  show (fixture);
  gtk_widget_measure (fixture->cell, GTK_ORIENTATION_VERTICAL, -1, NULL, &empty, NULL, NULL);
  picky_text_cell_set_text (PICKY_TEXT_CELL (fixture->cell), "Émilie Dubois, gjpqy");
  gtk_widget_measure (fixture->cell, GTK_ORIENTATION_VERTICAL, -1, NULL, &text, NULL, NULL);
  g_assert_cmpint (empty, >, 0);
  g_assert_cmpint (text, ==, empty);

  gtk_css_provider_load_from_data (provider, "label.big { font-size: 30px; }", -1);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_widget_add_css_class (fixture->cell, "big");
  next_frame (fixture);
  gtk_widget_measure (fixture->cell, GTK_ORIENTATION_VERTICAL, -1, NULL, &big, NULL, NULL);
  gtk_style_context_remove_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider));
  g_assert_cmpint (big, >, empty + 10);
}

int
main (int   argc,
      char *argv[])
{
  picky_test_gui_init (&argc, &argv);

  g_test_add ("/picky/text-cell/text", Fixture, NULL, fixture_set_up, test_text_cell_text, fixture_tear_down);
  g_test_add ("/picky/text-cell/ellipsis", Fixture, NULL, fixture_set_up, test_text_cell_ellipsis,
              fixture_tear_down);
  g_test_add ("/picky/text-cell/no-resize", Fixture, NULL, fixture_set_up, test_text_cell_no_resize,
              fixture_tear_down);
  g_test_add ("/picky/text-cell/as-wide-as-text", Fixture, NULL, fixture_set_up, test_text_cell_as_wide_as_text,
              fixture_tear_down);
  g_test_add ("/picky/text-cell/remembered-widths", Fixture, NULL, fixture_set_up, test_text_cell_remembered_widths,
              fixture_tear_down);
  g_test_add ("/picky/text-cell/height", Fixture, NULL, fixture_set_up, test_text_cell_height, fixture_tear_down);

  return g_test_run ();
}
