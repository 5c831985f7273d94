/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Drawing a report with cairo and pango: its charts, and its pages for PDF and print. */

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "picky-bidi.h"
#include "picky-report-draw.h"
#include "picky-time-format.h"

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
  g_return_if_fail (style != NULL);

  picky_report_style_init_colors (style, FALSE);
  style->foreground[0] = style->foreground[1] = style->foreground[2] = 0.12;
  style->foreground[3] = 1.0;
  style->grid[0] = style->grid[1] = style->grid[2] = 0.0;
  style->grid[3] = 0.12;
  /* Right to left, a time axis runs right to left as well (the first day,
   * midnight and Monday at the right): a reader of Arabic takes in a chart
   * the way they read a line. The window's charts set the same from the
   * widget's direction, so the PDF and the window agree. */
  style->rtl = picky_bidi_ui_is_rtl ();
}

/**
 * picky_report_style_init_colors:
 * @dark: whether the chart is drawn on a dark background
 *
 * Sets the colours of messages in and out: blue and orange of the GNOME
 * palette, the pair that stays apart for every kind of colour blindness,
 * and one darker than the other so that they differ even in grey. On a
 * dark background both are lighter. Foreground and grid are left alone.
 */
void
picky_report_style_init_colors (PickyReportStyle *style,
                                gboolean          dark)
{
  /* blue 4 #1c71d8 and orange 3 #ff7800; in the dark, blue 2 #62a0ea and
   * orange 1 #ffbe6f. */
  static const double light_in[4] = { 0x1c / 255.0, 0x71 / 255.0, 0xd8 / 255.0, 1.0 };
  static const double light_out[4] = { 1.0, 0x78 / 255.0, 0.0, 1.0 };
  static const double dark_in[4] = { 0x62 / 255.0, 0xa0 / 255.0, 0xea / 255.0, 1.0 };
  static const double dark_out[4] = { 1.0, 0xbe / 255.0, 0x6f / 255.0, 1.0 };

  g_return_if_fail (style != NULL);

  memcpy (style->incoming, dark ? dark_in : light_in, sizeof style->incoming);
  memcpy (style->outgoing, dark ? dark_out : light_out, sizeof style->outgoing);
}

/**
 * picky_report_choose_ticks:
 * @most: the largest value the axis must show
 * @max_ticks: how many steps above zero fit at most (at least 1)
 * @step: (out): the distance between ticks: 1, 2 or 5 times a power of ten
 * @top: (out): the axis's end, the first multiple of @step not below @most
 *
 * Chooses round tick values for an axis of counts: the smallest step that
 * needs no more than @max_ticks steps.
 */
void
picky_report_choose_ticks (guint  most,
                           guint  max_ticks,
                           guint *step,
                           guint *top)
{
  static const guint factors[] = { 1, 2, 5 };
  guint64 scale = 1;

  g_return_if_fail (step != NULL && top != NULL);

  max_ticks = MAX (max_ticks, 1);
  most = MAX (most, 1);

  for (;;)
    {
      for (guint i = 0; i < G_N_ELEMENTS (factors); i++)
        {
          guint64 candidate = factors[i] * scale;
          guint64 n = (most + candidate - 1) / candidate;

          if (n <= max_ticks)
            {
              *step = (guint) candidate;
              *top = (guint) MIN (n * candidate, G_MAXUINT);
              return;
            }
        }
      scale *= 10;
    }
}

/**
 * picky_report_choose_date_step:
 * @n_days: the days of the range
 * @max_labels: how many dates fit under the chart at most (at least 1)
 * @every: (out): label every this many units
 *
 * Chooses how the dates under a chart step: every day or second day for a
 * short range, every week or second week (on Mondays) for a longer one,
 * every 1, 2, 3 or 6 months (on the first) for long ones, and every 1, 2,
 * 5, 10 … years (on 1 January) beyond; the first choice whose labels fit.
 *
 * Returns: the unit
 */
PickyReportDateStep
picky_report_choose_date_step (guint  n_days,
                               guint  max_labels,
                               guint *every)
{
  static const struct {
    PickyReportDateStep unit;
    guint               every;
    guint               days;   /* the fewest days between two labels */
  } steps[] = {
    { PICKY_REPORT_DATE_STEP_DAYS, 1, 1 },
    { PICKY_REPORT_DATE_STEP_DAYS, 2, 2 },
    { PICKY_REPORT_DATE_STEP_WEEKS, 1, 7 },
    { PICKY_REPORT_DATE_STEP_WEEKS, 2, 14 },
    { PICKY_REPORT_DATE_STEP_MONTHS, 1, 28 },
    { PICKY_REPORT_DATE_STEP_MONTHS, 2, 59 },
    { PICKY_REPORT_DATE_STEP_MONTHS, 3, 89 },
    { PICKY_REPORT_DATE_STEP_MONTHS, 6, 181 },
  };

  g_return_val_if_fail (every != NULL, PICKY_REPORT_DATE_STEP_DAYS);

  max_labels = MAX (max_labels, 1);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      /* At most this many labels fall into the range, wherever it starts:
       * no two are closer than the step's shortest length. */
      guint n_labels = (n_days + steps[i].days - 1) / steps[i].days;

      if (n_labels <= max_labels)
        {
          *every = steps[i].every;
          return steps[i].unit;
        }
    }

  /* Whole years, then 2, 5, 10 … years apart. */
  {
    static const guint years[] = { 1, 2, 5, 10, 20, 50, 100 };
    guint i = 0;

    while (i + 1 < G_N_ELEMENTS (years) && (n_days + 365 * years[i] - 1) / (365 * years[i]) > max_labels)
      i++;
    *every = 12 * years[i];
  }
  return PICKY_REPORT_DATE_STEP_MONTHS;
}

/**
 * picky_report_date_has_label:
 *
 * Returns: whether @date gets a label under a chart stepping by @unit:
 *   days whose number since the epoch @every divides, Mondays of such
 *   weeks, firsts of such months (January always among them), so that the
 *   labels do not move when the range does
 */
gboolean
picky_report_date_has_label (const GDate         *date,
                             PickyReportDateStep  unit,
                             guint                every)
{
  guint32 julian;

  g_return_val_if_fail (date != NULL && g_date_valid (date), FALSE);

  every = MAX (every, 1);
  julian = g_date_get_julian (date);
  switch (unit)
    {
    case PICKY_REPORT_DATE_STEP_DAYS:
      return julian % every == 0;
    case PICKY_REPORT_DATE_STEP_WEEKS:
      /* Julian day 1 (1 January of year 1) was a Monday. */
      return g_date_get_weekday (date) == G_DATE_MONDAY && ((julian - 1) / 7) % every == 0;
    case PICKY_REPORT_DATE_STEP_MONTHS:
    default:
      if (every >= 12)
        return g_date_get_day (date) == 1 && g_date_get_month (date) == G_DATE_JANUARY &&
               g_date_get_year (date) % (every / 12) == 0;
      return g_date_get_day (date) == 1 && (g_date_get_month (date) - 1) % every == 0;
    }
}

/* Month names come from the console's own catalogue rather than the C
 * library's locale, so that dates follow the language chosen in
 * Preferences like every other word of the report. */
static const char *
month_name (GDateMonth month)
{
  switch (month)
    {
    case G_DATE_JANUARY: return C_("month", "Jan");
    case G_DATE_FEBRUARY: return C_("month", "Feb");
    case G_DATE_MARCH: return C_("month", "Mar");
    case G_DATE_APRIL: return C_("month", "Apr");
    case G_DATE_MAY: return C_("month", "May");
    case G_DATE_JUNE: return C_("month", "Jun");
    case G_DATE_JULY: return C_("month", "Jul");
    case G_DATE_AUGUST: return C_("month", "Aug");
    case G_DATE_SEPTEMBER: return C_("month", "Sep");
    case G_DATE_OCTOBER: return C_("month", "Oct");
    case G_DATE_NOVEMBER: return C_("month", "Nov");
    case G_DATE_DECEMBER:
    case G_DATE_BAD_MONTH:
    default: return C_("month", "Dec");
    }
}

/**
 * picky_report_format_axis_date:
 *
 * Returns: (transfer full): the short label of @date under a chart, a day
 *   and month, or a month and year when stepping by months
 */
char *
picky_report_format_axis_date (const GDate         *date,
                               PickyReportDateStep  unit)
{
  const char *month;

  g_return_val_if_fail (date != NULL && g_date_valid (date), NULL);

  month = month_name (g_date_get_month (date));
  if (unit == PICKY_REPORT_DATE_STEP_MONTHS)
    /* Translators: a month under a chart: the month's short name, then the year, e.g. "Dec 2026" */
    return g_strdup_printf (C_("chart month", "%1$s %2$u"), month, (guint) g_date_get_year (date));
  /* Translators: a day under a chart: the month's short name, then the day, e.g. "Dec 4" */
  return g_strdup_printf (C_("chart day", "%1$s %2$u"), month, (guint) g_date_get_day (date));
}

/**
 * picky_report_format_day:
 *
 * Returns: (transfer full): @date in full with its weekday, for tooltips,
 *   tables and descriptions, as the window writes dates everywhere
 */
char *
picky_report_format_day (const GDate *date)
{
  g_return_val_if_fail (date != NULL && g_date_valid (date), NULL);

  return picky_time_format_full_date (date);
}

static double
text_width (const char *font,
            const char *text)
{
  /* A context of the default font map, so that the GUI can find what lies
   * under the pointer as the drawing placed it, without a cairo context. */
  PangoContext *context = pango_font_map_create_context (pango_cairo_font_map_get_default ());
  g_autoptr(PangoLayout) layout = pango_layout_new (context);
  g_autoptr(PangoFontDescription) description = pango_font_description_from_string (font);
  int width, height;

  g_object_unref (context);

  pango_layout_set_font_description (layout, description);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &width, &height);

  return width;
}

static double
layout_width (cairo_t    *cr,
              const char *font,
              const char *text)
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) description = pango_font_description_from_string (font);
  int width, height;

  pango_layout_set_font_description (layout, description);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &width, &height);

  return width;
}

#define LEGEND_HEIGHT 18.0
#define AXIS_HEIGHT 16.0
#define SWATCH 10.0

/* Where the parts of the daily chart go. */
typedef struct {
  guint  step;          /* between ticks */
  guint  top;           /* the axis's end */
  double label_width;   /* of the tick values */
  double plot_x;        /* the bars' area */
  double plot_y;
  double plot_width;
  double plot_height;
  double slot;          /* one day's width */
} DailyGeometry;

static gboolean
daily_geometry (PickyReport            *report,
                double                  width,
                double                  height,
                const PickyReportStyle *style,
                DailyGeometry          *g)
{
  guint n_days = picky_report_get_n_days (report);
  guint most = 0;
  g_autofree char *top = NULL;

  if (n_days == 0)
    return FALSE;

  for (guint d = 0; d < n_days; d++)
    {
      guint n_in, n_out;

      picky_report_get_day (report, d, &n_in, &n_out);
      most = MAX (most, MAX (n_in, n_out));
    }

  g->plot_y = LEGEND_HEIGHT + 8;
  g->plot_height = height - g->plot_y - AXIS_HEIGHT;
  if (g->plot_height < 20)
    return FALSE;
  /* A tick every 28 units or more, so that their values never touch. */
  picky_report_choose_ticks (most, MAX (1, (guint) (g->plot_height / 28)), &g->step, &g->top);
  top = g_strdup_printf ("%u", g->top);
  g->label_width = text_width (LABEL_FONT, top) + 6;
  g->plot_width = width - g->label_width;
  if (g->plot_width < 20)
    return FALSE;
  g->plot_x = style->rtl ? 0 : g->label_width;
  g->slot = g->plot_width / n_days;

  return TRUE;
}

static void
draw_swatch (cairo_t      *cr,
             const double  rgba[4],
             double        alpha,
             double        x,
             double        y)
{
  cairo_set_source_rgba (cr, rgba[0], rgba[1], rgba[2], rgba[3] * alpha);
  cairo_rectangle (cr, x, y, SWATCH, SWATCH);
  cairo_fill (cr);
}

/* A legend entry @x from the start of the reading direction; returns where
 * the next one goes. */
static double
draw_legend_entry (cairo_t                *cr,
                   const PickyReportStyle *style,
                   const double            rgba[4],
                   const char             *text,
                   double                  x,
                   double                  width)
{
  double w = layout_width (cr, LABEL_FONT, text) + 1;

  if (style->rtl)
    {
      draw_swatch (cr, rgba, 1.0, width - x - SWATCH, 3);
      draw_text (cr, style, LABEL_FONT, text, width - x - SWATCH - 4 - w, 0, w, PANGO_ALIGN_RIGHT);
    }
  else
    {
      draw_swatch (cr, rgba, 1.0, x, 3);
      draw_text (cr, style, LABEL_FONT, text, x + SWATCH + 4, 0, w, PANGO_ALIGN_LEFT);
    }

  return x + SWATCH + 4 + w + 16;
}

/**
 * picky_report_draw_daily:
 *
 * Draws the messages in and out of each day as pairs of bars under a
 * legend, with round values on the count axis and dates at steps that fit
 * the width; the first day at the start of the reading direction. A range
 * without messages draws only a sentence saying so.
 */
void
picky_report_draw_daily (PickyReport            *report,
                         cairo_t                *cr,
                         double                  width,
                         double                  height,
                         const PickyReportStyle *style)
{
  guint n_days;
  DailyGeometry g;
  GDate first;
  PickyReportDateStep unit;
  guint every, max_labels;
  double x;

  g_return_if_fail (PICKY_IS_REPORT (report));
  g_return_if_fail (cr != NULL && style != NULL);

  n_days = picky_report_get_n_days (report);
  if (width <= 0 || height <= 0)
    return;

  cairo_save (cr);
  if (picky_report_get_total_in (report) + picky_report_get_total_out (report) == 0 ||
      !daily_geometry (report, width, height, style, &g))
    {
      draw_text (cr, style, TEXT_FONT, _("No messages in this range"), 0, height / 2 - 8, width,
                 PANGO_ALIGN_CENTER);
      cairo_restore (cr);
      return;
    }

  /* The legend, above the start of the plot. */
  x = draw_legend_entry (cr, style, style->incoming, C_("messages", "Received"), g.label_width, width);
  draw_legend_entry (cr, style, style->outgoing, C_("messages", "Sent"), x, width);

  /* Grid lines and tick values. */
  cairo_set_line_width (cr, 1.0);
  for (guint value = 0; value <= g.top; value += g.step)
    {
      double y = round (g.plot_y + g.plot_height - g.plot_height * value / g.top) + 0.5;
      g_autofree char *text = g_strdup_printf ("%u", value);

      set_color (cr, style->grid);
      cairo_move_to (cr, g.plot_x, y);
      cairo_line_to (cr, g.plot_x + g.plot_width, y);
      cairo_stroke (cr);
      /* draw_text swaps the alignment in right-to-left style: the values
       * always sit against the plot. */
      draw_text (cr, style, LABEL_FONT, text, style->rtl ? g.plot_width + 6 : 0, y - 7,
                 g.label_width - 6, PANGO_ALIGN_RIGHT);
    }

  for (guint d = 0; d < n_days; d++)
    {
      guint n_in, n_out;
      guint position = style->rtl ? n_days - 1 - d : d;
      double slot_x = g.plot_x + position * g.slot;
      double bar = MAX (g.slot * 0.4, 0.5);
      double bottom = g.plot_y + g.plot_height;
      double h_in, h_out;

      picky_report_get_day (report, d, &n_in, &n_out);
      h_in = g.plot_height * n_in / g.top;
      h_out = g.plot_height * n_out / g.top;
      /* Received before sent in the reading direction. */
      set_color (cr, style->incoming);
      cairo_rectangle (cr, slot_x + g.slot * 0.1 + (style->rtl ? bar : 0), bottom - h_in, bar, h_in);
      cairo_fill (cr);
      set_color (cr, style->outgoing);
      cairo_rectangle (cr, slot_x + g.slot * 0.1 + (style->rtl ? 0 : bar), bottom - h_out, bar, h_out);
      cairo_fill (cr);
    }

  /* Dates at steps whose labels fit side by side. */
  picky_report_get_dates (report, &first, NULL);
  {
    GDate sample;
    g_autofree char *widest = NULL;

    g_date_clear (&sample, 1);
    g_date_set_dmy (&sample, 30, G_DATE_SEPTEMBER, 2026);
    widest = picky_report_format_axis_date (&sample, PICKY_REPORT_DATE_STEP_MONTHS);
    max_labels = MAX (1, (guint) (g.plot_width / (text_width (LABEL_FONT, widest) + 16)));
  }
  unit = picky_report_choose_date_step (n_days, max_labels, &every);
  set_color (cr, style->foreground);
  for (guint d = 0; d < n_days; d++)
    {
      GDate date = first;
      g_autofree char *text = NULL;
      guint position = style->rtl ? n_days - 1 - d : d;
      double center, w;

      g_date_add_days (&date, d);
      if (!picky_report_date_has_label (&date, unit, every))
        continue;

      center = g.plot_x + (position + 0.5) * g.slot;
      set_color (cr, style->foreground);
      cairo_move_to (cr, round (center) + 0.5, g.plot_y + g.plot_height);
      cairo_line_to (cr, round (center) + 0.5, g.plot_y + g.plot_height + 3);
      cairo_stroke (cr);
      text = picky_report_format_axis_date (&date, unit);
      w = layout_width (cr, LABEL_FONT, text) + 1;
      draw_text (cr, style, LABEL_FONT, text, CLAMP (center - w / 2, 0, MAX (0, width - w)),
                 g.plot_y + g.plot_height + 3, w, PANGO_ALIGN_CENTER);
    }

  cairo_restore (cr);
}

/**
 * picky_report_daily_day_at:
 * @x: (in the units of the drawing): a point in a chart drawn by
 *   picky_report_draw_daily() at @width × @height
 *
 * Returns: the index of the day whose bars are at @x, or -1
 */
int
picky_report_daily_day_at (PickyReport            *report,
                           double                  width,
                           double                  height,
                           const PickyReportStyle *style,
                           double                  x,
                           double                  y)
{
  DailyGeometry g;
  int n_days;
  int position;

  g_return_val_if_fail (PICKY_IS_REPORT (report), -1);
  g_return_val_if_fail (style != NULL, -1);

  n_days = (int) picky_report_get_n_days (report);
  if (picky_report_get_total_in (report) + picky_report_get_total_out (report) == 0 ||
      !daily_geometry (report, width, height, style, &g))
    return -1;
  if (x < g.plot_x || x >= g.plot_x + g.plot_width || y < g.plot_y || y > g.plot_y + g.plot_height + AXIS_HEIGHT)
    return -1;

  position = CLAMP ((int) ((x - g.plot_x) / g.slot), 0, n_days - 1);
  return style->rtl ? n_days - 1 - position : position;
}

/**
 * picky_report_weekday_name:
 * @weekday: 0 for Monday to 6 for Sunday
 *
 * Returns: the weekday's short name as the heatmap shows it
 */
const char *
picky_report_weekday_name (guint weekday)
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

/* Where the parts of the heatmap go. */
typedef struct {
  double label;     /* the weekday names' column */
  double x0;        /* the first column of cells */
  double cell_w;
  double cell_h;
} HeatGeometry;

#define HEAT_LEGEND_HEIGHT 20.0

static gboolean
heat_geometry (double                  width,
               double                  height,
               const PickyReportStyle *style,
               HeatGeometry           *g)
{
  g->label = 0;
  for (guint day = 0; day < 7; day++)
    g->label = MAX (g->label, text_width (LABEL_FONT, picky_report_weekday_name (day)) + 8);
  if (width <= g->label + 24 || height <= AXIS_HEIGHT + HEAT_LEGEND_HEIGHT + 7)
    return FALSE;

  g->cell_w = (width - g->label) / 24.0;
  g->cell_h = (height - AXIS_HEIGHT - HEAT_LEGEND_HEIGHT) / 7.0;
  g->x0 = style->rtl ? 0 : g->label;
  return TRUE;
}

static double
heat_alpha (guint heat,
            guint most)
{
  return 0.15 + 0.85 * heat / MAX (most, 1);
}

/**
 * picky_report_draw_heatmap:
 *
 * Draws the messages of each hour of the week, Monday on top, midnight at
 * the start of the reading direction; darker means more, and a legend
 * under the hours shows the scale from none to the most in one cell.
 */
void
picky_report_draw_heatmap (PickyReport            *report,
                           cairo_t                *cr,
                           double                  width,
                           double                  height,
                           const PickyReportStyle *style)
{
  HeatGeometry g;
  guint most;

  g_return_if_fail (PICKY_IS_REPORT (report));
  g_return_if_fail (cr != NULL && style != NULL);

  if (!heat_geometry (width, height, style, &g))
    return;

  most = MAX (picky_report_get_heat_max (report), 1);

  cairo_save (cr);
  for (guint day = 0; day < 7; day++)
    {
      draw_text (cr, style, LABEL_FONT, picky_report_weekday_name (day), style->rtl ? width - g.label + 4 : 0,
                 day * g.cell_h + (g.cell_h - 12) / 2, g.label - 4, PANGO_ALIGN_LEFT);

      for (guint hour = 0; hour < 24; hour++)
        {
          guint heat = picky_report_get_heat (report, day, hour);
          guint column = style->rtl ? 23 - hour : hour;
          double x = g.x0 + column * g.cell_w;
          double y = day * g.cell_h;

          set_color (cr, style->grid);
          cairo_rectangle (cr, x + 1, y + 1, g.cell_w - 2, g.cell_h - 2);
          cairo_fill (cr);
          if (heat > 0)
            {
              cairo_set_source_rgba (cr, style->incoming[0], style->incoming[1], style->incoming[2],
                                     heat_alpha (heat, most));
              cairo_rectangle (cr, x + 1, y + 1, g.cell_w - 2, g.cell_h - 2);
              cairo_fill (cr);
            }
        }
    }

  for (guint hour = 0; hour < 24; hour += 6)
    {
      g_autofree char *text = g_strdup_printf ("%02u", hour);
      guint column = style->rtl ? 23 - hour : hour;

      draw_text (cr, style, LABEL_FONT, text, g.x0 + column * g.cell_w - (style->rtl ? 2 * g.cell_w : 0),
                 7 * g.cell_h + 1, g.cell_w * 3, PANGO_ALIGN_LEFT);
    }

  /* The scale: none, then a quarter to all of the busiest cell. */
  {
    double y = 7 * g.cell_h + AXIS_HEIGHT + 6;
    g_autofree char *high = g_strdup_printf (ngettext ("%u message in one hour of the week",
                                                       "%u messages in one hour of the week", most), most);
    double zero_w = layout_width (cr, LABEL_FONT, "0") + 1;
    double high_w = layout_width (cr, LABEL_FONT, high) + 1;
    double span = width - g.label;
    double at = 0;

    /* Laid out from the start of the cells, mirrored in right-to-left style. */
#define PLACE(offset, w) (style->rtl ? g.x0 + span - (offset) - (w) : g.x0 + (offset))
    draw_text (cr, style, LABEL_FONT, "0", PLACE (at, zero_w), y - 2, zero_w, PANGO_ALIGN_LEFT);
    at += zero_w + 4;
    for (guint k = 0; k <= 4; k++)
      {
        set_color (cr, style->grid);
        cairo_rectangle (cr, PLACE (at, SWATCH), y, SWATCH, SWATCH);
        cairo_fill (cr);
        if (k > 0)
          draw_swatch (cr, style->incoming, heat_alpha (k, 4), PLACE (at, SWATCH), y);
        at += SWATCH + 2;
      }
    at += 4;
    draw_text (cr, style, LABEL_FONT, high, PLACE (at, high_w), y - 2, high_w, PANGO_ALIGN_LEFT);
#undef PLACE
  }
  cairo_restore (cr);
}

/**
 * picky_report_heatmap_cell_at:
 * @weekday: (out): 0 for Monday to 6 for Sunday
 * @hour: (out): 0 to 23
 *
 * Returns: whether a cell of a heatmap drawn by
 *   picky_report_draw_heatmap() at @width × @height is at (@x, @y)
 */
gboolean
picky_report_heatmap_cell_at (PickyReport            *report,
                              double                  width,
                              double                  height,
                              const PickyReportStyle *style,
                              double                  x,
                              double                  y,
                              guint                  *weekday,
                              guint                  *hour)
{
  HeatGeometry g;
  int column, row;

  g_return_val_if_fail (PICKY_IS_REPORT (report), FALSE);
  g_return_val_if_fail (style != NULL && weekday != NULL && hour != NULL, FALSE);

  if (!heat_geometry (width, height, style, &g) || x < g.x0 || x >= g.x0 + 24 * g.cell_w ||
      y < 0 || y >= 7 * g.cell_h)
    return FALSE;

  column = CLAMP ((int) ((x - g.x0) / g.cell_w), 0, 23);
  row = CLAMP ((int) (y / g.cell_h), 0, 6);
  *weekday = row;
  *hour = style->rtl ? 23 - column : column;
  return TRUE;
}

/**
 * picky_report_describe_daily:
 *
 * Returns: (transfer full): the daily chart in words, for screen readers:
 *   the totals, then each day with messages
 */
char *
picky_report_describe_daily (PickyReport *report)
{
  g_autoptr(GString) text = NULL;
  GDate first;
  guint n_in, n_out;

  g_return_val_if_fail (PICKY_IS_REPORT (report), NULL);

  n_in = picky_report_get_total_in (report);
  n_out = picky_report_get_total_out (report);
  if (n_in + n_out == 0)
    return g_strdup (_("No messages in this range"));

  text = g_string_new (NULL);
  picky_report_get_dates (report, &first, NULL);
  /* Translators: the totals of the daily chart, read out; both count messages */
  g_string_append_printf (text, _("%u received and %u sent in all."), n_in, n_out);
  for (guint d = 0; d < picky_report_get_n_days (report); d++)
    {
      GDate date = first;
      g_autofree char *day = NULL;
      guint day_in, day_out;

      picky_report_get_day (report, d, &day_in, &day_out);
      if (day_in + day_out == 0)
        continue;
      g_date_add_days (&date, d);
      day = picky_report_format_day (&date);
      g_string_append_c (text, ' ');
      /* Translators: one day of the daily chart, read out: the day, then messages received and sent */
      g_string_append_printf (text, _("%s: %u received, %u sent."), day, day_in, day_out);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/**
 * picky_report_describe_heatmap:
 *
 * Returns: (transfer full): the heatmap in words, for screen readers: the
 *   most in one hour, then each weekday's hours with messages
 */
char *
picky_report_describe_heatmap (PickyReport *report)
{
  g_autoptr(GString) text = NULL;
  guint most;

  g_return_val_if_fail (PICKY_IS_REPORT (report), NULL);

  most = picky_report_get_heat_max (report);
  if (most == 0)
    return g_strdup (_("No messages in this range"));

  text = g_string_new (NULL);
  /* Translators: the start of the heatmap read out; its cells follow */
  g_string_append_printf (text, ngettext ("At most %u message in one hour of the week.",
                                          "At most %u messages in one hour of the week.", most), most);
  for (guint day = 0; day < 7; day++)
    {
      gboolean any = FALSE;

      for (guint hour = 0; hour < 24; hour++)
        {
          guint heat = picky_report_get_heat (report, day, hour);

          if (heat == 0)
            continue;
          g_string_append (text, any ? ", " : " ");
          if (!any)
            g_string_append_printf (text, "%s: ", picky_report_weekday_name (day));
          /* Translators: messages in one hour of a weekday, read out, e.g. "09:00 4" */
          g_string_append_printf (text, _("%02u:00 %u"), hour, heat);
          any = TRUE;
        }
      if (any)
        g_string_append_c (text, '.');
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
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
 * printed, so both look alike. The first ends with the metrics' definitions
 * as a footnote.
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
  double chart;
  g_autofree char *footer = NULL;
  g_autofree char *definitions = NULL;

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
      chart = MIN (220.0, height - y - 2 * MARGIN);
      picky_report_draw_daily (report, cr, inner, chart, style);
      cairo_restore (cr);
      y += chart + 18;

      /* The footnote: what the times above mean, so that a printed report
       * read without the console says how it was counted. */
      definitions = picky_report_dup_definitions (report);
      draw_text (cr, style, LABEL_FONT, definitions, MARGIN, y, inner, PANGO_ALIGN_LEFT);
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
