/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Names for what GTK 4.8 and libadwaita 1.2 leave unnamed or name twice, given as each widget is shown. */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void picky_accessible_init      (void);
void picky_accessible_mend_tree (GtkWidget *widget);

G_END_DECLS
