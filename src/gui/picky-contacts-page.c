/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Contacts page: everyone who wrote, with a report for each. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "picky-app-catalog.h"
#include "picky-clock.h"
#include "picky-contact-item.h"
#include "picky-contacts-page.h"
#include "picky-item-list.h"
#include "picky-list-rows.h"
#include "picky-range-selector.h"
#include "picky-report-draw.h"
#include "picky-report-view.h"
#include "picky-text-cell.h"
#include "picky-time-format.h"

/* New messages refresh the numbers after this quiet spell, not per batch. */
#define REFRESH_DELAY_MS 2000

typedef enum {
  COLUMN_CONTACT,
  COLUMN_IN,
  COLUMN_OUT,
  COLUMN_FIRST_SEEN,
  COLUMN_LAST_SEEN,
  COLUMN_MEDIAN_RESPONSE,
  N_COLUMNS
} Column;

/* The names of the columns in the "contacts-sort" setting. */
static const char *column_keys[N_COLUMNS] = {
  "contact", "in", "out", "first-seen", "last-seen", "median-response",
};

/* The column whose sorter compared last: see sort_changed_cb(). */
static Column compared_column = N_COLUMNS;

struct _PickyContactsPage
{
  AdwBin              parent_instance;

  /* template widgets */
  GtkSearchEntry     *search_entry;
  PickyRangeSelector *range_selector;
  GtkStack           *stack;
  GtkColumnView      *column_view;
  AdwSqueezer        *squeezer;
  GtkListView        *narrow_view;
  GtkSwitch          *show_all_switch;
  PickyReportView    *report_view;

  /* owned */
  PickyService       *service;
  GCancellable       *cancellable;      /* cancelled on dispose */
  GCancellable       *load_cancellable; /* the list load under way */
  GCancellable       *report_cancellable;
  GPtrArray          *contacts;         /* PickyContactItem: everyone loaded, in the order chosen */
  PickyItemList      *shown;            /* PickyContactItem: those searched for, in that order */
  PickyListRows      *rows;             /* the rows of both views, over shown */
  GtkSingleSelection *selection;
  guint               search_id;        /* a search waiting to be applied */
  char               *folded_query;
  char               *digits_query;
  GTimeZone          *tz;
  GSettings          *settings;
  PickyContactItem   *probe_low;        /* less than probe_high in every column */
  PickyContactItem   *probe_high;
  gint64              report_contact;   /* -1: no report shown */
  guint               refresh_id;
  gboolean            loading;
  gboolean            stale;            /* a reload waits for the page to be shown */
  gboolean            show_all;         /* also contacts without messages in the range */
};

G_DEFINE_FINAL_TYPE (PickyContactsPage, picky_contacts_page, ADW_TYPE_BIN)

static void load_report (PickyContactsPage *self,
                         gint64             contact_id,
                         PickyContactItem  *item);

/* ---- Cells ---- */

/* Counts and durations line up at their ends, as figures do in tables. */
static gboolean
column_is_number (Column column)
{
  return column == COLUMN_IN || column == COLUMN_OUT || column == COLUMN_MEDIAN_RESPONSE;
}

static char *
format_cell (PickyContactItem *item,
             Column            column)
{
  switch (column)
    {
    case COLUMN_IN:
      return g_strdup_printf ("%u", picky_contact_item_get_n_in (item));
    case COLUMN_OUT:
      return g_strdup_printf ("%u", picky_contact_item_get_n_out (item));
    case COLUMN_FIRST_SEEN:
    case COLUMN_LAST_SEEN:
      {
        gint64 when = column == COLUMN_FIRST_SEEN ? picky_contact_item_get_first_seen (item)
                                                  : picky_contact_item_get_last_seen (item);
        if (when == 0)
          return g_strdup (C_("time", "—"));
        return picky_time_format_day_time (when, picky_clock_get_now (picky_clock_get_default ()), NULL);
      }
    case COLUMN_MEDIAN_RESPONSE:
      return picky_report_format_duration (picky_contact_item_get_median_response (item));
    case COLUMN_CONTACT:
    case N_COLUMNS:
    default:
      return g_strdup (picky_contact_item_get_label (item));
    }
}

/* Which column a cell is in, on its list item. */
static GQuark column_quark;

/* The app's icon, set only when it changes: GtkImage queues a resize for
 * any icon set, the same included. */
static void
show_app_icon (GtkWidget        *icon,
               PickyContactItem *item)
{
  const PickyAppInfo *app = picky_app_catalog_lookup (picky_contact_item_get_app (item));
  const char *name = app != NULL ? picky_app_info_get_icon_name (app) : "picky-contacts-symbolic";

  if (g_strcmp0 (gtk_image_get_icon_name (GTK_IMAGE (icon)), name) != 0)
    gtk_image_set_from_icon_name (GTK_IMAGE (icon), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  app != NULL ? picky_app_info_get_display_name (app) : NULL, -1);
}

/* The app's name as the icon's tooltip, asked for when it is shown:
 * setting a tooltip's text asks the X server where the pointer is, a
 * round trip per cell filled. */
static gboolean
on_app_icon_query_tooltip_cb (GtkWidget   *icon,
                              int          x,
                              int          y,
                              gboolean     keyboard_tooltip,
                              GtkTooltip  *tooltip,
                              GtkListItem *list_item)
{
  PickyListRow *row = gtk_list_item_get_item (list_item);
  const PickyAppInfo *app;

  if (row == NULL)
    return FALSE;
  app = picky_app_catalog_lookup (picky_contact_item_get_app (picky_list_row_get_item (row)));
  if (app == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, picky_app_info_get_display_name (app));
  return TRUE;
}

/* Text cells, not labels: a search refills some two hundred rows, and a
 * cell with a new text is only drawn again, where a label would have its
 * row measured and its text shaped two or three times (see
 * picky-text-cell.c). The columns have their widths whatever the text. */
static void
setup_cell_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  Column column = GPOINTER_TO_UINT (user_data);
  GtkWidget *cell = picky_text_cell_new ();

  g_object_set_qdata (G_OBJECT (list_item), column_quark, user_data);
  picky_text_cell_set_width_chars (PICKY_TEXT_CELL (cell), 0);

  if (column == COLUMN_CONTACT)
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *icon = gtk_image_new ();

      gtk_widget_set_hexpand (cell, TRUE);
      gtk_widget_set_has_tooltip (icon, TRUE);
      g_signal_connect (icon, "query-tooltip", G_CALLBACK (on_app_icon_query_tooltip_cb), list_item);
      gtk_box_append (GTK_BOX (box), icon);
      gtk_box_append (GTK_BOX (box), cell);
      gtk_list_item_set_child (list_item, box);
      return;
    }

  picky_text_cell_set_xalign (PICKY_TEXT_CELL (cell), column_is_number (column) ? 1.0 : 0.0);
  gtk_widget_add_css_class (cell, "numeric");
  gtk_list_item_set_child (list_item, cell);
}

/* Also when another contact comes to the cell's row. */
static void
fill_cell (PickyListRow *row,
           GParamSpec   *pspec,
           GtkListItem  *list_item)
{
  Column column = GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (list_item), column_quark));
  PickyContactItem *item = picky_list_row_get_item (row);
  GtkWidget *child = gtk_list_item_get_child (list_item);
  g_autofree char *text = format_cell (item, column);

  if (column == COLUMN_CONTACT)
    {
      show_app_icon (gtk_widget_get_first_child (child), item);
      picky_text_cell_set_text (PICKY_TEXT_CELL (gtk_widget_get_last_child (child)), text);
      return;
    }

  picky_text_cell_set_text (PICKY_TEXT_CELL (child), text);
}

/* At narrow widths: the name and the last message's time on one line,
 * the numbers on a second. */
static void
setup_narrow_row_cb (GtkSignalListItemFactory *factory,
                     GtkListItem              *list_item,
                     gpointer                  user_data)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *icon = gtk_image_new ();
  GtkWidget *name = picky_text_cell_new ();
  GtkWidget *when = picky_text_cell_new ();
  GtkWidget *numbers = picky_text_cell_new ();

  /* The name and the numbers take the row's width, whatever their text;
   * the time is as wide as it is. */
  picky_text_cell_set_width_chars (PICKY_TEXT_CELL (name), 0);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_add_css_class (when, "dim-label");
  gtk_widget_add_css_class (when, "numeric");
  picky_text_cell_set_width_chars (PICKY_TEXT_CELL (numbers), 0);
  gtk_widget_add_css_class (numbers, "dim-label");
  gtk_widget_add_css_class (numbers, "caption");
  gtk_box_append (GTK_BOX (top), icon);
  gtk_box_append (GTK_BOX (top), name);
  gtk_box_append (GTK_BOX (top), when);
  gtk_box_append (GTK_BOX (row), top);
  gtk_box_append (GTK_BOX (row), numbers);
  gtk_widget_set_margin_top (row, 6);
  gtk_widget_set_margin_bottom (row, 6);
  gtk_list_item_set_child (list_item, row);
}

/* Also when another contact comes to the row. */
static void
fill_narrow_row (PickyListRow *list_row,
                 GParamSpec   *pspec,
                 GtkListItem  *list_item)
{
  PickyContactItem *item = picky_list_row_get_item (list_row);
  GtkWidget *row = gtk_list_item_get_child (list_item);
  GtkWidget *top = gtk_widget_get_first_child (row);
  GtkWidget *icon = gtk_widget_get_first_child (top);
  GtkWidget *name = gtk_widget_get_next_sibling (icon);
  GtkWidget *when = gtk_widget_get_next_sibling (name);
  g_autofree char *last = format_cell (item, COLUMN_LAST_SEEN);
  g_autofree char *median = format_cell (item, COLUMN_MEDIAN_RESPONSE);
  g_autofree char *numbers = NULL;

  show_app_icon (icon, item);
  picky_text_cell_set_text (PICKY_TEXT_CELL (name), picky_contact_item_get_label (item));
  picky_text_cell_set_text (PICKY_TEXT_CELL (when), last);
  /* Translators: the second line of a contact at narrow widths: messages in, out, median response */
  numbers = g_strdup_printf (_("In %u · Out %u · Median response %s"), picky_contact_item_get_n_in (item),
                             picky_contact_item_get_n_out (item), median);
  picky_text_cell_set_text (PICKY_TEXT_CELL (gtk_widget_get_last_child (row)), numbers);
}

/* Fills a cell or narrow row from its PickyListRow's contact; also
 * connected to notify::item, for when another contact comes to the row. */
typedef void (*FillFunc) (PickyListRow *row,
                          GParamSpec   *pspec,
                          GtkListItem  *list_item);

/* Bound once, a row object stays while contacts move through it: what is
 * shown follows its item. @fill is the FillFunc, as the handler's data. */
static void
bind_following_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   gpointer                  fill)
{
  PickyListRow *row = gtk_list_item_get_item (list_item);

  ((FillFunc) fill) (row, NULL, list_item);
  g_signal_connect (row, "notify::item", G_CALLBACK (fill), list_item);
}

static void
unbind_following_cb (GtkSignalListItemFactory *factory,
                     GtkListItem              *list_item,
                     gpointer                  fill)
{
  g_signal_handlers_disconnect_by_func (gtk_list_item_get_item (list_item), fill, list_item);
}

/* ---- Sorting and searching ---- */

static int
compare_int64 (gint64 a,
               gint64 b)
{
  return a < b ? GTK_ORDERING_SMALLER : a > b ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
}

static int
compare_items_cb (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  PickyContactItem *x = PICKY_CONTACT_ITEM ((gpointer) a);
  PickyContactItem *y = PICKY_CONTACT_ITEM ((gpointer) b);
  int order;

  compared_column = GPOINTER_TO_UINT (user_data);
  switch ((Column) GPOINTER_TO_UINT (user_data))
    {
    case COLUMN_IN:
      order = compare_int64 (picky_contact_item_get_n_in (x), picky_contact_item_get_n_in (y));
      break;
    case COLUMN_OUT:
      order = compare_int64 (picky_contact_item_get_n_out (x), picky_contact_item_get_n_out (y));
      break;
    case COLUMN_FIRST_SEEN:
      order = compare_int64 (picky_contact_item_get_first_seen (x), picky_contact_item_get_first_seen (y));
      break;
    case COLUMN_LAST_SEEN:
      order = compare_int64 (picky_contact_item_get_last_seen (x), picky_contact_item_get_last_seen (y));
      break;
    case COLUMN_MEDIAN_RESPONSE:
      order = compare_int64 (picky_contact_item_get_median_response (x),
                             picky_contact_item_get_median_response (y));
      break;
    case COLUMN_CONTACT:
    case N_COLUMNS:
    default:
      order = strcmp (picky_contact_item_get_sort_key (x), picky_contact_item_get_sort_key (y));
      order = order < 0 ? GTK_ORDERING_SMALLER : order > 0 ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
      break;
    }

  /* Equals keep a stable order: by contact number. */
  if (order == GTK_ORDERING_EQUAL)
    order = compare_int64 (picky_contact_item_get_id (x), picky_contact_item_get_id (y));

  return order;
}

static gboolean
shows_contact (PickyContactsPage *self,
               PickyContactItem  *item)
{
  if (!self->show_all && picky_contact_item_get_n_in (item) + picky_contact_item_get_n_out (item) == 0)
    return FALSE;

  return picky_contact_item_matches (item, self->folded_query, self->digits_query);
}

/* Rows stay where they are while contacts move through them: the
 * selection goes with its contact, or away with it. */
static void
set_shown (PickyContactsPage *self,
           GPtrArray         *contacts)
{
  GPtrArray *old = picky_item_list_get_items (self->shown);
  guint selected = gtk_single_selection_get_selected (self->selection);
  g_autoptr(GObject) selected_item = selected < old->len ? g_object_ref (old->pdata[selected]) : NULL;

  picky_item_list_set_items (self->shown, contacts);

  if (selected_item != NULL)
    {
      guint now = GTK_INVALID_LIST_POSITION;

      g_ptr_array_find (contacts, selected_item, &now);
      if (now != selected)
        gtk_single_selection_set_selected (self->selection, now);
    }
}

/* Those of @candidates the search and the Show All switch let through. A
 * narrower search needs only look at the contacts already shown. */
static void
show_contacts (PickyContactsPage *self,
               GPtrArray         *candidates)
{
  g_autoptr(GPtrArray) shown = g_ptr_array_new_full (candidates->len, g_object_unref);

  for (guint i = 0; i < candidates->len; i++)
    if (shows_contact (self, candidates->pdata[i]))
      g_ptr_array_add (shown, g_object_ref (candidates->pdata[i]));

  set_shown (self, shown);
}

static gboolean
apply_search_cb (gpointer user_data)
{
  PickyContactsPage *self = user_data;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *folded = picky_contact_item_fold_query (text);
  gboolean narrower = self->folded_query != NULL && g_str_has_prefix (folded, self->folded_query);

  self->search_id = 0;
  g_free (self->folded_query);
  g_free (self->digits_query);
  self->folded_query = g_steal_pointer (&folded);
  self->digits_query = picky_contact_item_digits_query (text);
  show_contacts (self, narrower ? picky_item_list_get_items (self->shown) : self->contacts);

  return G_SOURCE_REMOVE;
}

/* Applied once, from the main loop: text set at once (a paste over a
 * selection, or by a program) is first deleted, and the entry reports the
 * empty text too, which would show everyone for nothing. (At idle priority
 * it could wait behind a busy session's other sources.) */
static void
on_search_entry_search_changed_cb (PickyContactsPage *self)
{
  if (self->search_id == 0)
    self->search_id = g_idle_add_full (G_PRIORITY_DEFAULT, apply_search_cb, self, NULL);
}

static void
on_show_all_switch_active_cb (PickyContactsPage *self)
{
  gboolean show_all = gtk_switch_get_active (self->show_all_switch);

  if (show_all == self->show_all)
    return;
  self->show_all = show_all;
  show_contacts (self, show_all ? self->contacts : picky_item_list_get_items (self->shown));
}

/* GTK 4.8 cannot tell which column a click on a header sorted by (4.10's
 * gtk_column_view_sorter_get_primary_sort_column() can). The column view's
 * sorter asks its columns in order until one tells two contacts apart, and
 * ours always do, ties broken by contact number: so comparing two probes,
 * ordered alike in every column, calls exactly the sorting column, and the
 * answer's sign is the direction. */
static gboolean
get_sort_column (PickyContactsPage *self,
                 Column            *column,
                 gboolean          *descending)
{
  GtkOrdering order;

  compared_column = N_COLUMNS;
  order = gtk_sorter_compare (gtk_column_view_get_sorter (self->column_view), self->probe_low, self->probe_high);
  if (compared_column >= N_COLUMNS || order == GTK_ORDERING_EQUAL)
    return FALSE;

  *column = compared_column;
  *descending = order == GTK_ORDERING_LARGER;
  return TRUE;
}

static int
compare_ascending_cb (gconstpointer a,
                      gconstpointer b,
                      gpointer      user_data)
{
  return compare_items_cb (*(gpointer *) a, *(gpointer *) b, user_data);
}

static int
compare_descending_cb (gconstpointer a,
                       gconstpointer b,
                       gpointer      user_data)
{
  return compare_items_cb (*(gpointer *) b, *(gpointer *) a, user_data);
}

/* Sorted here rather than through the sorter, which would ask the column
 * view's sorter, then the column's, for each of some 800,000 comparisons
 * of 50,000 contacts; the order is the same, as the column's comparison
 * is all the column view's sorter asks. */
static void
sort_contacts (PickyContactsPage *self)
{
  Column column;
  gboolean descending;

  if (!get_sort_column (self, &column, &descending))
    return;
  g_ptr_array_sort_with_data (self->contacts, descending ? compare_descending_cb : compare_ascending_cb,
                              GUINT_TO_POINTER (column));
}

static void
on_sorter_changed_cb (GtkSorter         *sorter,
                      GtkSorterChange    change,
                      PickyContactsPage *self)
{
  Column column;
  gboolean descending;

  if (!get_sort_column (self, &column, &descending))
    return;

  g_settings_set_string (self->settings, "contacts-sort", column_keys[column]);
  g_settings_set_boolean (self->settings, "contacts-sort-descending", descending);
  sort_contacts (self);
  show_contacts (self, self->contacts);
}

static void
restore_sort (PickyContactsPage *self)
{
  g_autofree char *key = g_settings_get_string (self->settings, "contacts-sort");
  gboolean descending = g_settings_get_boolean (self->settings, "contacts-sort-descending");
  GListModel *columns = gtk_column_view_get_columns (self->column_view);

  for (guint c = 0; c < N_COLUMNS; c++)
    if (g_str_equal (key, column_keys[c]))
      {
        g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, c);

        gtk_column_view_sort_by_column (self->column_view, column,
                                        descending ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
      }
}

static PickyContactItem *
new_probe (gint64 value)
{
  PickyContactSummary summary = {
    .contact_id = value,
    .name = (char *) (value == 1 ? "a" : "b"),
    .n_in = value,
    .n_out = value,
    .first_timestamp = value,
    .last_timestamp = value,
    .response_median = value,
  };

  return picky_contact_item_new (&summary);
}

/* A column as wide as its widest likely value or its title with the sort
 * arrow, whichever is wider: fixed, so that no column changes width as
 * rows with longer values scroll into view. */
static int
column_width (PickyContactsPage *self,
              const char        *title,
              const char        *widest)
{
  g_autoptr(PangoLayout) title_layout = gtk_widget_create_pango_layout (GTK_WIDGET (self->column_view), title);
  g_autoptr(PangoLayout) value_layout = gtk_widget_create_pango_layout (GTK_WIDGET (self->column_view), widest);
  g_autoptr(PangoAttrList) bold = pango_attr_list_new ();
  int title_width, value_width, height;

  /* Titles are drawn in bold. */
  pango_attr_list_insert (bold, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_layout_set_attributes (title_layout, bold);
  pango_layout_get_pixel_size (title_layout, &title_width, &height);
  pango_layout_get_pixel_size (value_layout, &value_width, &height);

  /* Room for the sort arrow and the cells' padding. */
  return MAX (title_width + 48, value_width + 28);
}

/* In GTK 4.8 a header's title can only be reached through the header
 * widgets: numbers' titles go to the end, over their numbers. */
static void
align_number_titles (PickyContactsPage *self)
{
  GtkWidget *header = gtk_widget_get_first_child (GTK_WIDGET (self->column_view));
  guint c = 0;

  while (header != NULL && g_strcmp0 (gtk_widget_get_css_name (header), "header") != 0)
    header = gtk_widget_get_next_sibling (header);
  if (header == NULL)
    return;

  for (GtkWidget *title = gtk_widget_get_first_child (header); title != NULL && c < N_COLUMNS;
       title = gtk_widget_get_next_sibling (title), c++)
    {
      GtkWidget *box = gtk_widget_get_first_child (title);

      if (box != NULL && GTK_IS_BOX (box) && column_is_number (c))
        {
          /* The sort arrow before the title, so that the title's end lines
           * up with the numbers' ends. */
          gtk_widget_set_halign (box, GTK_ALIGN_END);
          gtk_box_reorder_child_after (GTK_BOX (box), gtk_widget_get_last_child (box), NULL);
        }
    }
}

static void
add_column (PickyContactsPage *self,
            Column             column,
            const char        *title,
            const char        *widest)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkSorter *sorter = GTK_SORTER (gtk_custom_sorter_new (compare_items_cb, GUINT_TO_POINTER (column), NULL));
  GtkColumnViewColumn *view_column;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell_cb), GUINT_TO_POINTER (column));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_following_cb), fill_cell);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_following_cb), fill_cell);
  view_column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_sorter (view_column, sorter);
  if (widest == NULL)
    gtk_column_view_column_set_expand (view_column, TRUE);
  else
    gtk_column_view_column_set_fixed_width (view_column, column_width (self, title, widest));
  gtk_column_view_column_set_resizable (view_column, TRUE);
  gtk_column_view_append_column (self->column_view, view_column);
  g_object_unref (view_column);
  g_object_unref (sorter);
}

/* ---- Loading ---- */

static PickyStore *
get_store (PickyContactsPage *self)
{
  if (self->service == NULL || !picky_service_get_ready (self->service))
    return NULL;

  return picky_service_get_store (self->service);
}

static void
on_contacts_summarized_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(PickyContactsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) summaries = picky_store_summarize_contacts_finish (PICKY_STORE (object), result, &error);
  g_autoptr(GPtrArray) items = NULL;

  if (summaries == NULL)
    {
      /* Cancelled, or the store closed as the console quits: nothing to say. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED))
        g_warning ("The contacts could not be listed: %s", error->message);
      return;
    }

  /* The page was closed while the store worked. */
  if (self->cancellable == NULL)
    return;

  items = g_ptr_array_new_full (summaries->len, g_object_unref);
  for (guint i = 0; i < summaries->len; i++)
    g_ptr_array_add (items, picky_contact_item_new (&g_array_index (summaries, PickyContactSummary, i)));

  g_ptr_array_unref (self->contacts);
  self->contacts = g_ptr_array_ref (items);
  sort_contacts (self);
  show_contacts (self, self->contacts);
  g_clear_object (&self->load_cancellable);
  self->loading = FALSE;

  if (self->report_contact < 0)
    gtk_stack_set_visible_child_name (self->stack, items->len > 0 ? "list" : "empty");
}

static void
reload (PickyContactsPage *self)
{
  PickyStore *store = get_store (self);
  GDate first, last, after;

  if (store == NULL)
    return;

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();
  self->loading = TRUE;

  picky_range_selector_get_dates (self->range_selector, &first, &last);
  after = last;
  g_date_add_days (&after, 1);
  picky_store_summarize_contacts_async (store, picky_report_local_midnight (self->tz, &first),
                                        picky_report_local_midnight (self->tz, &after),
                                        self->load_cancellable, on_contacts_summarized_cb,
                                        g_object_ref (self));

  if (self->report_contact >= 0)
    load_report (self, self->report_contact, NULL);
}

/* Summarising every contact reads the whole store: a hidden page only
 * remembers that its numbers are old, and reads them when it is shown, so
 * that it never holds up the Inbox's first page at start-up nor follows a
 * flood of new messages nobody is looking at. */
static void
reload_when_shown (PickyContactsPage *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    reload (self);
  else
    self->stale = TRUE;
}

static gboolean
refresh_cb (gpointer user_data)
{
  PickyContactsPage *self = user_data;

  self->refresh_id = 0;
  reload_when_shown (self);
  return G_SOURCE_REMOVE;
}

static void
on_messages_added_cb (PickyStore        *store,
                      GPtrArray         *added,
                      PickyContactsPage *self)
{
  if (self->refresh_id == 0)
    self->refresh_id = g_timeout_add (REFRESH_DELAY_MS, refresh_cb, self);
}

static void
on_service_ready_cb (PickyContactsPage *self)
{
  PickyStore *store = get_store (self);

  if (store == NULL)
    return;

  g_signal_connect_object (store, "messages-added", G_CALLBACK (on_messages_added_cb), self, 0);
  /* A purge takes contacts with it, and numbers from the others. */
  if (picky_service_get_retention (self->service) != NULL)
    g_signal_connect_object (picky_service_get_retention (self->service), "finished",
                             G_CALLBACK (reload_when_shown), self, G_CONNECT_SWAPPED);
  reload_when_shown (self);
}

static void
on_range_selector_changed_cb (PickyContactsPage *self)
{
  reload_when_shown (self);
}

static void
on_report_loaded_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(PickyContactsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  PickyReport *report = PICKY_REPORT (object);

  if (!picky_report_load_finish (report, result, &error))
    {
      /* Cancelled, or the store closed as the console quits: nothing to say. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED))
        g_warning ("The report could not be made: %s", error->message);
      return;
    }

  if (self->cancellable == NULL || self->report_contact != picky_report_get_contact_id (report))
    return;

  picky_report_view_set_report (self->report_view, report, get_store (self));
  gtk_stack_set_visible_child_name (self->stack, "report");
}

/* @item names the contact when known, saving the store a look-up. */
static void
load_report (PickyContactsPage *self,
             gint64             contact_id,
             PickyContactItem  *item)
{
  PickyStore *store = get_store (self);
  g_autoptr(PickyReport) report = NULL;
  PickyReport *shown = picky_report_view_get_report (self->report_view);
  GDate first, last;

  if (store == NULL)
    return;

  picky_range_selector_get_dates (self->range_selector, &first, &last);
  report = picky_report_new (contact_id, self->tz, &first, &last);
  if (item != NULL)
    picky_report_set_contact (report, picky_contact_item_get_app (item), picky_contact_item_get_name (item),
                              picky_contact_item_get_phone (item));
  else if (shown != NULL && picky_report_get_contact_id (shown) == contact_id)
    picky_report_set_contact (report, picky_report_get_app (shown), picky_report_get_name (shown),
                              picky_report_get_phone (shown));

  if (self->report_cancellable != NULL)
    g_cancellable_cancel (self->report_cancellable);
  g_clear_object (&self->report_cancellable);
  self->report_cancellable = g_cancellable_new ();
  self->report_contact = contact_id;

  picky_report_load_async (report, store, self->report_cancellable, on_report_loaded_cb, g_object_ref (self));
}

static void
on_column_view_activate_cb (PickyContactsPage *self,
                            guint              position)
{
  g_autoptr(PickyContactItem) item = g_list_model_get_item (G_LIST_MODEL (self->shown), position);

  if (item != NULL)
    load_report (self, picky_contact_item_get_id (item), item);
}

static void
on_narrow_view_activate_cb (PickyContactsPage *self,
                            guint              position)
{
  g_autoptr(PickyContactItem) item = g_list_model_get_item (G_LIST_MODEL (self->shown), position);

  if (item != NULL)
    load_report (self, picky_contact_item_get_id (item), item);
}

/* Only the list shown follows the rows: a hidden one would rebuild its
 * rows on every keystroke of a search for nothing. */
static void
on_squeezer_visible_child_cb (PickyContactsPage *self)
{
  gboolean narrow = adw_squeezer_get_visible_child (self->squeezer) ==
                    gtk_widget_get_parent (GTK_WIDGET (self->narrow_view));
  GtkSelectionModel *model = gtk_list_view_get_model (self->narrow_view);

  if (narrow && model == NULL)
    {
      g_autoptr(GtkNoSelection) rows = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->rows)));

      gtk_list_view_set_model (self->narrow_view, GTK_SELECTION_MODEL (rows));
    }
  else if (!narrow && model != NULL)
    gtk_list_view_set_model (self->narrow_view, NULL);
}

static void
picky_contacts_page_show_list (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  PickyContactsPage *self = PICKY_CONTACTS_PAGE (widget);

  self->report_contact = -1;
  if (self->report_cancellable != NULL)
    g_cancellable_cancel (self->report_cancellable);
  gtk_stack_set_visible_child_name (self->stack,
                                    self->contacts->len > 0 ? "list" : "empty");
}

/* From the top lists of the All Contacts report. */
static void
picky_contacts_page_show_contact (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  PickyContactsPage *self = PICKY_CONTACTS_PAGE (widget);
  gint64 contact_id = g_variant_get_int64 (parameter);

  for (guint i = 0; i < self->contacts->len; i++)
    {
      PickyContactItem *item = self->contacts->pdata[i];

      if (picky_contact_item_get_id (item) == contact_id)
        {
          load_report (self, contact_id, item);
          return;
        }
    }

  load_report (self, contact_id, NULL);
}

/* The erased contact leaves the list at once, and the report with it. */
static void
on_report_view_contact_erased_cb (PickyContactsPage *self,
                                  gint64             contact_id)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "contacts.show-list", NULL);
  reload (self);
}

static void
picky_contacts_page_show_overall (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  load_report (PICKY_CONTACTS_PAGE (widget), 0, NULL);
}

static void
picky_contacts_page_map (GtkWidget *widget)
{
  PickyContactsPage *self = PICKY_CONTACTS_PAGE (widget);

  GTK_WIDGET_CLASS (picky_contacts_page_parent_class)->map (widget);

  if (self->stale)
    {
      self->stale = FALSE;
      reload (self);
    }
}

static void
picky_contacts_page_dispose (GObject *object)
{
  PickyContactsPage *self = PICKY_CONTACTS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  if (self->report_cancellable != NULL)
    g_cancellable_cancel (self->report_cancellable);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_handle_id (&self->search_id, g_source_remove);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_object (&self->report_cancellable);
  g_clear_object (&self->service);

  G_OBJECT_CLASS (picky_contacts_page_parent_class)->dispose (object);
}

static void
picky_contacts_page_finalize (GObject *object)
{
  PickyContactsPage *self = PICKY_CONTACTS_PAGE (object);

  g_clear_object (&self->selection);
  g_clear_object (&self->rows);
  g_clear_object (&self->shown);
  g_clear_pointer (&self->contacts, g_ptr_array_unref);
  g_clear_pointer (&self->tz, g_time_zone_unref);
  g_clear_object (&self->settings);
  g_clear_object (&self->probe_low);
  g_clear_object (&self->probe_high);
  g_free (self->folded_query);
  g_free (self->digits_query);

  G_OBJECT_CLASS (picky_contacts_page_parent_class)->finalize (object);
}

static void
picky_contacts_page_class_init (PickyContactsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = picky_contacts_page_dispose;
  object_class->finalize = picky_contacts_page_finalize;

  widget_class->map = picky_contacts_page_map;

  column_quark = g_quark_from_static_string ("picky-contacts-page-column");

  g_type_ensure (PICKY_TYPE_RANGE_SELECTOR);
  g_type_ensure (PICKY_TYPE_REPORT_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pickyconsole/PickyConsole/picky-contacts-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PickyContactsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PickyContactsPage, range_selector);
  gtk_widget_class_bind_template_child (widget_class, PickyContactsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, PickyContactsPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, PickyContactsPage, squeezer);
  gtk_widget_class_bind_template_child (widget_class, PickyContactsPage, narrow_view);
  gtk_widget_class_bind_template_child (widget_class, PickyContactsPage, show_all_switch);
  gtk_widget_class_bind_template_child (widget_class, PickyContactsPage, report_view);
  gtk_widget_class_bind_template_callback (widget_class, on_search_entry_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_range_selector_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_column_view_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_narrow_view_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_squeezer_visible_child_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_show_all_switch_active_cb);

  gtk_widget_class_install_action (widget_class, "contacts.show-list", NULL, picky_contacts_page_show_list);
  gtk_widget_class_install_action (widget_class, "contacts.show-overall", NULL, picky_contacts_page_show_overall);
  gtk_widget_class_install_action (widget_class, "contacts.show-contact", "x", picky_contacts_page_show_contact);
}

static void
picky_contacts_page_init (PickyContactsPage *self)
{
  g_autoptr(GtkListItemFactory) narrow_factory = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->tz = g_time_zone_new_local ();
  self->report_contact = -1;
  self->contacts = g_ptr_array_new_with_free_func (g_object_unref);
  self->shown = picky_item_list_new (PICKY_TYPE_CONTACT_ITEM);
  self->rows = picky_list_rows_new (G_LIST_MODEL (self->shown));

  self->settings = g_settings_new (APPLICATION_ID);
  self->probe_low = new_probe (1);
  self->probe_high = new_probe (2);

  add_column (self, COLUMN_CONTACT, _("Contact"), NULL);
  /* Translators: column headers, the numbers of messages a contact sent to
   * the business (In) and received from it (Out); not "on" and "off" */
  add_column (self, COLUMN_IN, _("In"), "88888");
  add_column (self, COLUMN_OUT, _("Out"), "88888");
  add_column (self, COLUMN_FIRST_SEEN, _("First Seen"), "2088-08-28 28:88");
  add_column (self, COLUMN_LAST_SEEN, _("Last Seen"), "2088-08-28 28:88");
  add_column (self, COLUMN_MEDIAN_RESPONSE, _("Median Response"), "88 d 88 h");
  align_number_titles (self);

  /* contacts, sorted by the column view's sorter → those the search lets
   * through → rows that stay while contacts move through them (see
   * picky-list-rows.c) → selection: a keystroke only filters the sorted
   * contacts again, and never sorts. */
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->rows)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

  /* Newest first unless another order was chosen, and that one kept. */
  restore_sort (self);
  g_signal_connect_object (gtk_column_view_get_sorter (self->column_view), "changed",
                           G_CALLBACK (on_sorter_changed_cb), self, 0);

  narrow_factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (narrow_factory, "setup", G_CALLBACK (setup_narrow_row_cb), NULL);
  g_signal_connect (narrow_factory, "bind", G_CALLBACK (bind_following_cb), fill_narrow_row);
  g_signal_connect (narrow_factory, "unbind", G_CALLBACK (unbind_following_cb), fill_narrow_row);
  gtk_list_view_set_factory (self->narrow_view, narrow_factory);
  g_signal_connect_object (self->report_view, "contact-erased", G_CALLBACK (on_report_view_contact_erased_cb),
                           self, G_CONNECT_SWAPPED);
}

/**
 * picky_contacts_page_set_service:
 * @service: the keyring, store and channels behind the window
 *
 * Lists the service's contacts once its store is open.
 */
void
picky_contacts_page_set_service (PickyContactsPage *self,
                                 PickyService      *service)
{
  g_return_if_fail (PICKY_IS_CONTACTS_PAGE (self));
  g_return_if_fail (PICKY_IS_SERVICE (service));
  g_return_if_fail (self->service == NULL);

  self->service = g_object_ref (service);
  g_signal_connect_object (service, "notify::ready", G_CALLBACK (on_service_ready_cb), self,
                           G_CONNECT_SWAPPED);
  on_service_ready_cb (self);
}

/**
 * picky_contacts_page_get_model:
 *
 * Returns: (transfer none): the rows as shown: searched and sorted
 */
GListModel *
picky_contacts_page_get_model (PickyContactsPage *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACTS_PAGE (self), NULL);

  return G_LIST_MODEL (self->shown);
}

/**
 * picky_contacts_page_get_loading:
 *
 * Returns: whether the list is being read from the store
 */
gboolean
picky_contacts_page_get_loading (PickyContactsPage *self)
{
  g_return_val_if_fail (PICKY_IS_CONTACTS_PAGE (self), FALSE);

  return self->loading;
}

/**
 * picky_contacts_page_show_report:
 * @contact_id: whose report, over the range chosen
 *
 * Shows the report of one contact, as activating its row does.
 */
void
picky_contacts_page_show_report (PickyContactsPage *self,
                                 gint64             contact_id)
{
  g_return_if_fail (PICKY_IS_CONTACTS_PAGE (self));

  load_report (self, contact_id, NULL);
}
