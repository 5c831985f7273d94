/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One line of text in a list row that a new text redraws rather than resizes. */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PICKY_TYPE_TEXT_CELL (picky_text_cell_get_type ())

G_DECLARE_FINAL_TYPE (PickyTextCell, picky_text_cell, PICKY, TEXT_CELL, GtkWidget)

GtkWidget  *picky_text_cell_new             (void);
void        picky_text_cell_set_text        (PickyTextCell *self,
                                             const char    *text);
const char *picky_text_cell_get_text        (PickyTextCell *self);
void        picky_text_cell_set_xalign      (PickyTextCell *self,
                                             float          xalign);
float       picky_text_cell_get_xalign      (PickyTextCell *self);
void        picky_text_cell_set_width_chars (PickyTextCell *self,
                                             int            n_chars);
int         picky_text_cell_get_width_chars (PickyTextCell *self);
gboolean    picky_text_cell_get_ellipsized  (PickyTextCell *self);

G_END_DECLS
