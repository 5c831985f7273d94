/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Preferences: the choices the console remembers for the admin, such as the language. */

#pragma once

#include <adwaita.h>

#include "picky-service.h"

G_BEGIN_DECLS

#define PICKY_TYPE_PREFERENCES_WINDOW (picky_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (PickyPreferencesWindow, picky_preferences_window, PICKY, PREFERENCES_WINDOW, AdwPreferencesWindow)

PickyPreferencesWindow *picky_preferences_window_new         (GtkWindow              *parent);
void                    picky_preferences_window_set_service (PickyPreferencesWindow *self,
                                                              PickyService           *service);

G_END_DECLS
