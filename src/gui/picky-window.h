/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window: a view switcher over the Inbox, Contacts and Channels pages. */

#pragma once

#include <adwaita.h>

#include "picky-application.h"

G_BEGIN_DECLS

#define PICKY_TYPE_WINDOW (picky_window_get_type ())

G_DECLARE_FINAL_TYPE (PickyWindow, picky_window, PICKY, WINDOW, AdwApplicationWindow)

PickyWindow *picky_window_new              (PickyApplication *application);
const char  *picky_window_get_visible_page (PickyWindow      *self);
void         picky_window_add_toast        (PickyWindow      *self,
                                            AdwToast         *toast);
void         picky_window_open_message     (PickyWindow      *self,
                                            gint64            message_id);

G_END_DECLS
