/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers for widget tests in a real window: finding controls by the names assistive technologies read. */

#pragma once

#include <adwaita.h>

#include "picky-application.h"
#include "picky-test-util.h"

G_BEGIN_DECLS

void              picky_test_gui_init          (int          *argc,
                                                char       ***argv);
PickyApplication *picky_test_gui_application   (void);
void              picky_test_gui_wait_mapped   (GtkWidget    *widget);
void              picky_test_gui_wait_service_ready (PickyService *service);
GPtrArray        *picky_test_gui_find_all      (GtkWidget    *root,
                                                GType         type);
char             *picky_test_gui_accessible_name (GtkWidget  *widget);
const char       *picky_test_gui_text_of       (GtkWidget    *widget);
GStrv             picky_test_gui_accessible_name_parts (GtkWidget *widget);
GtkWidget        *picky_test_gui_find_named    (GtkWidget    *root,
                                                GType         type,
                                                const char   *name);
GtkWidget        *picky_test_gui_find_only     (GtkWidget    *root,
                                                GType         type);
void              picky_test_gui_assert_copies (GtkWidget    *button,
                                                const char   *expected);
void              picky_test_gui_assert_in_view (GtkWidget   *widget);
void              picky_test_gui_find_cut_labels (GtkWidget  *root,
                                                const char   *where,
                                                GPtrArray    *cut);
void              picky_test_gui_find_overflowing_labels (GtkWidget *root,
                                                const char   *where,
                                                GPtrArray    *out);
GtkWindow        *picky_test_gui_erase_dialog_ready (GtkWindow *parent,
                                                PickyStore   *store,
                                                gint64        contact,
                                                const char   *label);

G_END_DECLS
