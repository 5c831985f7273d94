/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Drawing a report with cairo and pango: its charts, and its pages for PDF and print. */

#include "config.h"

#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "picky-report-draw.h"

#define MARGIN 48.0
#define LABEL_FONT "Sans 8"
#define TEXT_FONT "Sans 10"
#define HEADING_FONT "Sans Bold 12"
#define TITLE_FONT "Sans Bold 20"

static void
set_color (cairo_t      *cr,
           const double  rgba[4])
{
  cairo_set_source_rgba (cr, rgba[0], rgba[1], rgba[2], rgba[3]);
}

/* Lays out @text at (@x, @y) within @width; left and right alignment swap
 * in right-to-left style, so callers think in start and end. Returns the
 * height it took. */
static double
draw_text (cairo_t                *cr,
           const PickyReportStyle *style,
           const char             *font,
           const char             *text,
           double                  x,
           double                  y,
           double                  width,
           PangoAlignment          alignment)
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) description = pango_font_description_from_string (font);
  int text_width, text_height;

  pango_layout_set_font_description (layout, description);
  pango_layout_set_text (layout, text, -1);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_auto_dir (layout, FALSE);
  if (style->rtl && alignment != PANGO_ALIGN_CENTER)
    alignment = alignment == PANGO_ALIGN_LEFT ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT;
  pango_layout_set_alignment (layout, alignment);
  pango_layout_get_pixel_size (layout, &text_width, &text_height);

  set_color (cr, style->foreground);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);

  return text_height;
}

void
picky_report_style_init_paper (PickyReportStyle *style)
{
  static const PickyReportStyle paper = {
    .foreground = { 0.12, 0.12, 0.12, 1.0 },
    .incoming = { 0.21, 0.52, 0.89, 1.0 },   /* GNOME blue 3 */
    .outgoing = { 0.90, 0.38, 0.00, 1.0 },   /* GNOME orange 5 */
    .grid = { 0.0, 0.0, 0.0, 0.12 },
    .rtl = FALSE,
  };

  g_return_if_fail (style != NULL);

  *style = paper;
  /* Translators: "default:RTL" for a language written right to left, as
   * GTK itself asks; anything else keeps the report left to right. */
  style->rtl = g_str_equal (_("default:LTR"), "default:RTL");
}

/**
 * picky_report_draw_daily:
 *
 * Draws the messages in and out of each day as pairs of bars, the first
 * day at the start of the reading direction.
 */
void
picky_report_draw_daily (PickyReport            *report,
                         cairo_t                *cr,
                         double                  width,
                         double                  height,
                         const PickyReportStyle *style)
{
  guint n_days = picky_report_get_n_days (report);
  guint most = 1;
  double axis = 14.0;     /* room for the day labels below the bars */
  double plot = height - axis;
  double slot;

  g_return_if_fail (PICKY_IS_REPORT (report));
  g_return_if_fail (cr != NULL && style != NULL);

  if (n_days == 0 || width <= 0 || plot <= 0)
    return;

  for (guint d = 0; d < n_days; d++)
    {
      guint n_in, n_out;

      picky_report_get_day (report, d, &n_in, &n_out);
      most = MAX (most, MAX (n_in, n_out));
    }

  cairo_save (cr);
  set_color (cr, style->grid);
  cairo_set_line_width (cr, 1.0);
  for (guint i = 0; i <= 4; i++)
    {
      double y = plot - plot * i / 4.0;

      cairo_move_to (cr, 0, y + 0.5);
      cairo_line_to (cr, width, y + 0.5);
    }
  cairo_stroke (cr);

  slot = width / n_days;
  for (guint d = 0; d < n_days; d++)
    {
      guint n_in, n_out;
      guint position = style->rtl ? n_days - 1 - d : d;
      double x = position * slot;
      double bar = MAX (slot * 0.4, 0.5);

      picky_report_get_day (report, d, &n_in, &n_out);
      set_color (cr, style->incoming);
      cairo_rectangle (cr, x + slot * 0.1, plot - plot * n_in / most, bar, plot * n_in / most);
      cairo_fill (cr);
      set_color (cr, style->outgoing);
      cairo_rectangle (cr, x + slot * 0.1 + bar, plot - plot * n_out / most, bar, plot * n_out / most);
      cairo_fill (cr);
    }

  /* The first and last day, and the scale. */
  {
    GDate first, last;
    char text[32];
    g_autofree char *scale = g_strdup_printf ("%u", most);

    picky_report_get_dates (report, &first, &last);
    g_date_strftime (text, sizeof text, "%Y-%m-%d", &first);
    draw_text (cr, style, LABEL_FONT, text, 0, plot + 1, width, PANGO_ALIGN_LEFT);
    g_date_strftime (text, sizeof text, "%Y-%m-%d", &last);
    draw_text (cr, style, LABEL_FONT, text, 0, plot + 1, width, PANGO_ALIGN_RIGHT);
    draw_text (cr, style, LABEL_FONT, scale, 0, 0, width, PANGO_ALIGN_RIGHT);
  }

  cairo_restore (cr);
}

static const char *
weekday_name (guint weekday)
{
  switch (weekday)
    {
    case 0: return C_("weekday", "Mon");
    case 1: return C_("weekday", "Tue");
    case 2: return C_("weekday", "Wed");
    case 3: return C_("weekday", "Thu");
    case 4: return C_("weekday", "Fri");
    case 5: return C_("weekday", "Sat");
    default: return C_("weekday", "Sun");
    }
}

/**
 * picky_report_draw_heatmap:
 *
 * Draws the messages of each hour of the week, Monday on top, midnight at
 * the start of the reading direction; darker means more.
 */
void
picky_report_draw_heatmap (PickyReport            *report,
                           cairo_t                *cr,
                           double                  width,
                           double                  height,
                           const PickyReportStyle *style)
{
  double label = 34.0;   /* room for the weekday names */
  double axis = 14.0;    /* room for the hours below */
  guint most;
  double cell_w, cell_h, x0;

  g_return_if_fail (PICKY_IS_REPORT (report));
  g_return_if_fail (cr != NULL && style != NULL);

  if (width <= label || height <= axis)
    return;

  most = MAX (picky_report_get_heat_max (report), 1);
  cell_w = (width - label) / 24.0;
  cell_h = (height - axis) / 7.0;
  x0 = style->rtl ? 0 : label;

  cairo_save (cr);
  for (guint day = 0; day < 7; day++)
    {
      draw_text (cr, style, LABEL_FONT, weekday_name (day), style->rtl ? width - label + 4 : 0,
                 day * cell_h + (cell_h - 10) / 2, label - 4, PANGO_ALIGN_LEFT);

      for (guint hour = 0; hour < 24; hour++)
        {
          guint heat = picky_report_get_heat (report, day, hour);
          guint column = style->rtl ? 23 - hour : hour;
          double x = x0 + column * cell_w;
          double y = day * cell_h;

          set_color (cr, style->grid);
          cairo_rectangle (cr, x + 1, y + 1, cell_w - 2, cell_h - 2);
          cairo_fill (cr);
          if (heat > 0)
            {
              cairo_set_source_rgba (cr, style->incoming[0], style->incoming[1], style->incoming[2],
                                     0.15 + 0.85 * heat / most);
              cairo_rectangle (cr, x + 1, y + 1, cell_w - 2, cell_h - 2);
              cairo_fill (cr);
            }
        }
    }

  for (guint hour = 0; hour < 24; hour += 6)
    {
      g_autofree char *text = g_strdup_printf ("%02u", hour);
      guint column = style->rtl ? 23 - hour : hour;

      draw_text (cr, style, LABEL_FONT, text, x0 + column * cell_w - (style->rtl ? 2 * cell_w : 0),
                 7 * cell_h + 1, cell_w * 3, PANGO_ALIGN_LEFT);
    }
  cairo_restore (cr);
}

/**
 * picky_report_get_n_pages:
 *
 * Returns: the pages of the printed report: the summary with the daily
 *   chart, then the hours of the week (with the top lists when overall)
 */
guint
picky_report_get_n_pages (PickyReport *report)
{
  g_return_val_if_fail (PICKY_IS_REPORT (report), 0);

  return 2;
}

/* A row of a two-column table: label at the start, value at the end. */
static double
draw_row (cairo_t                *cr,
          const PickyReportStyle *style,
          const char             *label,
          const char             *value,
          double                  y,
          double                  width)
{
  double h = draw_text (cr, style, TEXT_FONT, label, style->rtl ? MARGIN + width * 0.4 : MARGIN,
                        y, width * 0.6, PANGO_ALIGN_LEFT);

  draw_text (cr, style, TEXT_FONT, value, style->rtl ? MARGIN : MARGIN + width * 0.6,
             y, width * 0.4, PANGO_ALIGN_RIGHT);
  return h + 4;
}

/* Where the next row of a table goes. */
typedef struct {
  cairo_t                *cr;
  const PickyReportStyle *style;
  double                  y;
  double                  width;
} Table;

static void
table_row_cb (const char *title,
              const char *value,
              gpointer    user_data)
{
  Table *table = user_data;

  table->y += draw_row (table->cr, table->style, title, value, table->y, table->width);
}

static double
draw_summary (PickyReport            *report,
              cairo_t                *cr,
              const PickyReportStyle *style,
              double                  y,
              double                  width)
{
  Table table = { cr, style, y, width };

  picky_report_foreach_summary_row (report, table_row_cb, &table);
  return table.y;
}

static double
draw_top (PickyReport            *report,
          cairo_t                *cr,
          const PickyReportStyle *style,
          PickyReportTop          top,
          double                  y,
          double                  width)
{
  Table table = { cr, style, y, width };

  table.y += draw_text (cr, style, HEADING_FONT,
                        top == PICKY_REPORT_TOP_VOLUME ? _("Most Messages") : _("Slowest First Response"),
                        MARGIN, table.y, width, PANGO_ALIGN_LEFT) + 6;
  picky_report_foreach_top_row (report, top, table_row_cb, &table);
  if (picky_report_get_n_top (report, top) == 0)
    table_row_cb (_("No contacts in this range"), "", &table);

  return table.y + 12;
}

/**
 * picky_report_draw_page:
 * @page: from 0 to picky_report_get_n_pages() - 1
 * @width: the page's width in the units of @cr, e.g. points for PDF
 *
 * Draws one page of the report: the same pages are written to PDF and
 * printed, so both look alike.
 */
void
picky_report_draw_page (PickyReport            *report,
                        cairo_t                *cr,
                        guint                   page,
                        double                  width,
                        double                  height,
                        const PickyReportStyle *style)
{
  double inner = width - 2 * MARGIN;
  double y = MARGIN;
  g_autofree char *footer = NULL;

  g_return_if_fail (PICKY_IS_REPORT (report));
  g_return_if_fail (page < picky_report_get_n_pages (report));

  cairo_save (cr);
  if (page == 0)
    {
      g_autofree char *title = picky_report_dup_title (report);
      g_autofree char *range = picky_report_dup_range_text (report);
      /* Translators: a report's range, then the time zone its days are counted in */
      g_autofree char *subtitle = g_strdup_printf (_("%s, time zone %s"), range,
                                                   g_time_zone_get_identifier (picky_report_get_timezone (report)));

      y += draw_text (cr, style, TITLE_FONT, title, MARGIN, y, inner, PANGO_ALIGN_LEFT) + 4;
      y += draw_text (cr, style, TEXT_FONT, subtitle, MARGIN, y, inner, PANGO_ALIGN_LEFT) + 18;
      y = draw_summary (report, cr, style, y, inner) + 18;
      y += draw_text (cr, style, HEADING_FONT, _("Messages per Day"), MARGIN, y, inner, PANGO_ALIGN_LEFT) + 6;
      cairo_save (cr);
      cairo_translate (cr, MARGIN, y);
      picky_report_draw_daily (report, cr, inner, MIN (220.0, height - y - 2 * MARGIN), style);
      cairo_restore (cr);
    }
  else
    {
      y += draw_text (cr, style, HEADING_FONT, _("Messages by Hour of the Week"), MARGIN, y, inner,
                      PANGO_ALIGN_LEFT) + 6;
      cairo_save (cr);
      cairo_translate (cr, MARGIN, y);
      picky_report_draw_heatmap (report, cr, inner, 190.0, style);
      cairo_restore (cr);
      y += 190.0 + 24;

      if (picky_report_get_contact_id (report) == 0)
        {
          y = draw_top (report, cr, style, PICKY_REPORT_TOP_VOLUME, y, inner);
          draw_top (report, cr, style, PICKY_REPORT_TOP_SLOWEST, y, inner);
        }
    }

  /* Translators: the footer of a printed report */
  footer = g_strdup_printf (_("Page %u of %u"), page + 1, picky_report_get_n_pages (report));
  draw_text (cr, style, LABEL_FONT, footer, MARGIN, height - MARGIN / 2 - 10, inner, PANGO_ALIGN_CENTER);
  cairo_restore (cr);
}
