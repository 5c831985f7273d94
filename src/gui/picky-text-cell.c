/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One line of text in a list row that a new text redraws rather than resizes.
 *
 * GTK 4.8's list and column views keep about 200 rows bound, and a GtkLabel
 * whose text changes queues a resize: the next frame measures and shapes
 * every changed label two or three times (minimum, natural, then at the
 * width it got), which made refilling the rows of a search, or of a
 * scrolled list, cost most of a frame. A text cell's height comes from its
 * font (the same for every text in one style) and, unless it is told to
 * size to its text, its width from a number of characters; so a new text
 * only queues a draw, and is shaped once, when it is drawn, from the one
 * PangoLayout the cell keeps. It draws as a one-line, ellipsized label
 * would, with the label's CSS name so that it takes the labels' style, and
 * is a label to assistive technologies, named by its text. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "picky-text-cell.h"

/* What is known of the texts of one style (font, language, attributes,
 * direction), shared by every cell in it: a list's cells show the same
 * times and counts over and over, and a width found once need not be
 * shaped again, nor Pango's sample text for the average character. */
typedef struct {
  int         char_width;     /* < 0 while unknown */
  GHashTable *widths;         /* short text → its width in pixels */
} TextStyle;

/* Short texts only, and not too many of them. */
#define MAX_REMEMBERED_LENGTH 48
#define MAX_REMEMBERED_TEXTS  4096

struct _PickyTextCell
{
  GtkWidget    parent_instance;

  /* owned */
  char        *text;
  PangoLayout *layout;        /* NULL until needed, or after the style changed */

  /* borrowed */
  TextStyle   *style;         /* what the cell's style knows of texts; set with layout */

  float        xalign;
  int          width_chars;   /* < 0: as wide as the text */
  int          text_width;    /* of the whole text in pixels; < 0 while unknown */
  int          line_height;   /* of a line in the style's font */
  int          line_baseline;
  gboolean     wide_layout;   /* the layout has the cell's width and ellipsizes */
};

G_DEFINE_FINAL_TYPE (PickyTextCell, picky_text_cell, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TEXT,
  PROP_XALIGN,
  PROP_WIDTH_CHARS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* By a key naming the style; never freed: a window has a handful. */
static GHashTable *text_styles;

static TextStyle *
lookup_text_style (PangoLayout *layout)
{
  PangoContext *context = pango_layout_get_context (layout);
  PangoAttrList *attributes = pango_layout_get_attributes (layout);
  g_autofree char *font = pango_font_description_to_string (pango_context_get_font_description (context));
  g_autofree char *attrs = attributes != NULL ? pango_attr_list_to_string (attributes) : NULL;
  const cairo_font_options_t *options = pango_cairo_context_get_font_options (context);
  /* The screen's resolution and the fonts' hinting change widths too. */
  g_autofree char *key = g_strdup_printf ("%s\n%s\n%s\n%d\n%g\n%lu", font,
                                          pango_language_to_string (pango_context_get_language (context)),
                                          attrs != NULL ? attrs : "", pango_context_get_base_dir (context),
                                          pango_cairo_context_get_resolution (context),
                                          options != NULL ? cairo_font_options_hash (options) : 0);
  TextStyle *style;

  if (text_styles == NULL)
    text_styles = g_hash_table_new (g_str_hash, g_str_equal);
  style = g_hash_table_lookup (text_styles, key);
  if (style == NULL)
    {
      style = g_new0 (TextStyle, 1);
      style->char_width = -1;
      style->widths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (text_styles, g_steal_pointer (&key), style);
    }
  return style;
}

/* GTK keeps a widget's Pango context up to date with its style's font,
 * direction and resolution, and a layout made from it carries the style's
 * text attributes (letter spacing, tabular figures). The cell keeps its
 * layout while its style names the same text style, so that a change that
 * only recolours (a row hovered or selected, the window in the background)
 * shapes nothing. */
static void
update_style (PickyTextCell *self)
{
  g_autoptr(PangoLayout) fresh = gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL);
  TextStyle *style = lookup_text_style (fresh);
  PangoRectangle logical;
  int old_height = self->line_height;

  /* An empty line is as high as the font makes any line. */
  pango_layout_get_pixel_extents (fresh, NULL, &logical);
  self->line_height = logical.height;
  self->line_baseline = PANGO_PIXELS (pango_layout_get_baseline (fresh));

  if (self->layout != NULL && style == self->style)
    {
      if (old_height != self->line_height)
        gtk_widget_queue_resize (GTK_WIDGET (self));
      return;
    }

  if (self->layout == NULL)
    {
      self->layout = g_object_ref (fresh);
      pango_layout_set_text (self->layout, self->text, -1);
      pango_layout_set_ellipsize (self->layout, PANGO_ELLIPSIZE_END);
      pango_layout_set_single_paragraph_mode (self->layout, TRUE);
    }
  else
    {
      pango_layout_set_attributes (self->layout, pango_layout_get_attributes (fresh));
      pango_layout_set_width (self->layout, -1);
      pango_layout_context_changed (self->layout);
    }
  self->style = style;
  self->wide_layout = FALSE;
  self->text_width = -1;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

static PangoLayout *
ensure_layout (PickyTextCell *self)
{
  if (self->layout == NULL)
    update_style (self);
  return self->layout;
}

/* Shapes the whole text, once per text and style. */
static int
get_text_width (PickyTextCell *self)
{
  if (self->text_width < 0)
    {
      PangoLayout *layout = ensure_layout (self);
      gboolean short_text = strlen (self->text) <= MAX_REMEMBERED_LENGTH;
      gpointer width;
      PangoRectangle logical;

      if (short_text && g_hash_table_lookup_extended (self->style->widths, self->text, NULL, &width))
        {
          self->text_width = GPOINTER_TO_INT (width);
          return self->text_width;
        }

      if (self->wide_layout)
        {
          pango_layout_set_width (layout, -1);
          self->wide_layout = FALSE;
        }
      pango_layout_get_pixel_extents (layout, NULL, &logical);
      self->text_width = logical.width;
      if (short_text)
        {
          if (g_hash_table_size (self->style->widths) >= MAX_REMEMBERED_TEXTS)
            g_hash_table_remove_all (self->style->widths);
          g_hash_table_insert (self->style->widths, g_strdup (self->text), GINT_TO_POINTER (self->text_width));
        }
    }
  return self->text_width;
}

static int
get_char_width (PickyTextCell *self)
{
  TextStyle *style;

  ensure_layout (self);
  style = self->style;
  if (style->char_width < 0)
    {
      PangoContext *context = pango_layout_get_context (self->layout);
      PangoFontMetrics *metrics = pango_context_get_metrics (context, pango_context_get_font_description (context),
                                                             pango_context_get_language (context));

      /* As GtkLabel counts its width-chars. */
      style->char_width = PANGO_PIXELS_CEIL (MAX (pango_font_metrics_get_approximate_char_width (metrics),
                                                  pango_font_metrics_get_approximate_digit_width (metrics)));
      pango_font_metrics_unref (metrics);
    }
  return style->char_width;
}

static void
picky_text_cell_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  PickyTextCell *self = PICKY_TEXT_CELL (widget);

  ensure_layout (self);
  if (orientation == GTK_ORIENTATION_VERTICAL)
    {
      *minimum = *natural = self->line_height;
      *minimum_baseline = *natural_baseline = self->line_baseline;
    }
  else if (self->width_chars < 0)
    *minimum = *natural = get_text_width (self);
  else
    {
      /* Room for an ellipsis at least; the text never widens the cell. */
      *natural = self->width_chars > 0 ? self->width_chars * get_char_width (self) : 0;
      *minimum = *natural > 0 ? MIN (*natural, get_char_width (self)) : 0;
    }
}

static void
picky_text_cell_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  PickyTextCell *self = PICKY_TEXT_CELL (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  PangoLayout *layout;
  PangoRectangle logical;
  float xalign = self->xalign;
  int x, y;

  if (self->text == NULL || *self->text == '\0' || width <= 0)
    return;

  layout = ensure_layout (self);
  /* Cut to the cell's width only when the text does not fit: most fit,
   * and are shaped once. */
  if (get_text_width (self) > width)
    {
      pango_layout_set_width (layout, width * PANGO_SCALE);
      self->wide_layout = TRUE;
    }
  else if (self->wide_layout)
    {
      pango_layout_set_width (layout, -1);
      self->wide_layout = FALSE;
    }

  if (gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL)
    xalign = 1.0f - xalign;
  pango_layout_get_pixel_extents (layout, NULL, &logical);
  x = (int) floorf (xalign * (width - logical.width)) - logical.x;
  /* Baselines where the font puts them, whatever fallback font a text
   * needs, so that cells side by side line up. */
  y = (height - self->line_height) / 2 + self->line_baseline - PANGO_PIXELS (pango_layout_get_baseline (layout));

  gtk_snapshot_render_layout (snapshot, gtk_widget_get_style_context (widget), x, y, layout);
}

static void
picky_text_cell_css_changed (GtkWidget         *widget,
                             GtkCssStyleChange *change)
{
  PickyTextCell *self = PICKY_TEXT_CELL (widget);

  GTK_WIDGET_CLASS (picky_text_cell_parent_class)->css_changed (widget, change);

  if (self->layout != NULL)
    update_style (self);
}

static void
picky_text_cell_direction_changed (GtkWidget        *widget,
                                   GtkTextDirection  previous_direction)
{
  PickyTextCell *self = PICKY_TEXT_CELL (widget);

  GTK_WIDGET_CLASS (picky_text_cell_parent_class)->direction_changed (widget, previous_direction);

  if (self->layout != NULL)
    update_style (self);
}

/* The desktop's font or its size changed. */
static void
picky_text_cell_system_setting_changed (GtkWidget        *widget,
                                        GtkSystemSetting  setting)
{
  PickyTextCell *self = PICKY_TEXT_CELL (widget);

  GTK_WIDGET_CLASS (picky_text_cell_parent_class)->system_setting_changed (widget, setting);

  g_clear_object (&self->layout);
  self->style = NULL;
  self->text_width = -1;
  gtk_widget_queue_resize (widget);
}

static void
picky_text_cell_finalize (GObject *object)
{
  PickyTextCell *self = PICKY_TEXT_CELL (object);

  g_clear_object (&self->layout);
  g_free (self->text);

  G_OBJECT_CLASS (picky_text_cell_parent_class)->finalize (object);
}

static void
picky_text_cell_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PickyTextCell *self = PICKY_TEXT_CELL (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, picky_text_cell_get_text (self));
      break;
    case PROP_XALIGN:
      g_value_set_float (value, self->xalign);
      break;
    case PROP_WIDTH_CHARS:
      g_value_set_int (value, self->width_chars);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_text_cell_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PickyTextCell *self = PICKY_TEXT_CELL (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      picky_text_cell_set_text (self, g_value_get_string (value));
      break;
    case PROP_XALIGN:
      picky_text_cell_set_xalign (self, g_value_get_float (value));
      break;
    case PROP_WIDTH_CHARS:
      picky_text_cell_set_width_chars (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
picky_text_cell_class_init (PickyTextCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = picky_text_cell_finalize;
  object_class->get_property = picky_text_cell_get_property;
  object_class->set_property = picky_text_cell_set_property;

  widget_class->measure = picky_text_cell_measure;
  widget_class->snapshot = picky_text_cell_snapshot;
  widget_class->css_changed = picky_text_cell_css_changed;
  widget_class->direction_changed = picky_text_cell_direction_changed;
  widget_class->system_setting_changed = picky_text_cell_system_setting_changed;

  /**
   * PickyTextCell:text:
   *
   * The text, drawn on one line and ellipsized at its end where the cell
   * is too narrow for it.
   */
  properties[PROP_TEXT] = g_param_spec_string ("text", NULL, NULL, "",
                                               G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                               G_PARAM_STATIC_STRINGS);
  /**
   * PickyTextCell:xalign:
   *
   * Where a text narrower than the cell goes: 0 at its start, 1 at its end
   * (mirrored in right-to-left windows, as in GtkLabel).
   */
  properties[PROP_XALIGN] = g_param_spec_float ("xalign", NULL, NULL, 0.0f, 1.0f, 0.0f,
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                G_PARAM_STATIC_STRINGS);
  /**
   * PickyTextCell:width-chars:
   *
   * The natural width in characters, whatever the text; -1 makes the cell
   * as wide as its text, so that a text of another width resizes it.
   */
  properties[PROP_WIDTH_CHARS] = g_param_spec_int ("width-chars", NULL, NULL, -1, G_MAXINT, -1,
                                                   G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                   G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "label");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
picky_text_cell_init (PickyTextCell *self)
{
  self->text = g_strdup ("");
  self->width_chars = -1;
  self->text_width = -1;
}

/**
 * picky_text_cell_new:
 *
 * Returns: (transfer floating): an empty text cell, as wide as its text
 */
GtkWidget *
picky_text_cell_new (void)
{
  return g_object_new (PICKY_TYPE_TEXT_CELL, NULL);
}

/**
 * picky_text_cell_set_text:
 * @text: (nullable): the text; %NULL for none
 *
 * Shows @text. Unless the cell is as wide as its text, and the new text
 * is not as wide as the old, this only redraws the cell.
 */
void
picky_text_cell_set_text (PickyTextCell *self,
                          const char    *text)
{
  int old_width;

  g_return_if_fail (PICKY_IS_TEXT_CELL (self));

  if (text == NULL)
    text = "";
  if (g_strcmp0 (self->text, text) == 0)
    return;

  g_free (self->text);
  self->text = g_strdup (text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, self->text, -1);

  old_width = self->text_width;
  self->text_width = -1;
  if (self->layout != NULL)
    {
      pango_layout_set_text (self->layout, self->text, -1);
      if (self->wide_layout)
        {
          pango_layout_set_width (self->layout, -1);
          self->wide_layout = FALSE;
        }
    }

  /* Only a cell as wide as its text has to be measured again, and only
   * when the width changed: figures of the same count are as wide. */
  if (self->width_chars < 0 && (self->layout == NULL || get_text_width (self) != old_width))
    gtk_widget_queue_resize (GTK_WIDGET (self));
  else
    gtk_widget_queue_draw (GTK_WIDGET (self));

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

/**
 * picky_text_cell_get_text:
 *
 * Returns: the text shown, "" when there is none
 */
const char *
picky_text_cell_get_text (PickyTextCell *self)
{
  g_return_val_if_fail (PICKY_IS_TEXT_CELL (self), NULL);

  return self->text != NULL ? self->text : "";
}

/**
 * picky_text_cell_set_xalign:
 * @xalign: 0 for the start of the cell, 1 for its end
 */
void
picky_text_cell_set_xalign (PickyTextCell *self,
                            float          xalign)
{
  g_return_if_fail (PICKY_IS_TEXT_CELL (self));

  xalign = CLAMP (xalign, 0.0f, 1.0f);
  if (self->xalign == xalign)
    return;

  self->xalign = xalign;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_XALIGN]);
}

float
picky_text_cell_get_xalign (PickyTextCell *self)
{
  g_return_val_if_fail (PICKY_IS_TEXT_CELL (self), 0.0f);

  return self->xalign;
}

/**
 * picky_text_cell_set_width_chars:
 * @n_chars: the natural width in characters, or -1 for the text's width
 *
 * With a width in characters, the cell keeps its size whatever its text:
 * for cells whose width the row or column decides anyway.
 */
void
picky_text_cell_set_width_chars (PickyTextCell *self,
                                 int            n_chars)
{
  g_return_if_fail (PICKY_IS_TEXT_CELL (self));

  n_chars = MAX (n_chars, -1);
  if (self->width_chars == n_chars)
    return;

  self->width_chars = n_chars;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WIDTH_CHARS]);
}

int
picky_text_cell_get_width_chars (PickyTextCell *self)
{
  g_return_val_if_fail (PICKY_IS_TEXT_CELL (self), -1);

  return self->width_chars;
}

/**
 * picky_text_cell_get_ellipsized:
 *
 * Returns: whether the text is cut short as the cell is laid out now
 */
gboolean
picky_text_cell_get_ellipsized (PickyTextCell *self)
{
  int width;

  g_return_val_if_fail (PICKY_IS_TEXT_CELL (self), FALSE);

  width = gtk_widget_get_width (GTK_WIDGET (self));
  return self->text != NULL && *self->text != '\0' && width > 0 && get_text_width (self) > width;
}
