/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The application: app-wide actions, the About window and window creation. */

#pragma once

#include <adwaita.h>

#include "picky-service.h"

G_BEGIN_DECLS

#define PICKY_TYPE_APPLICATION (picky_application_get_type ())

G_DECLARE_FINAL_TYPE (PickyApplication, picky_application, PICKY, APPLICATION, AdwApplication)

PickyApplication *picky_application_new         (void);
PickyService     *picky_application_get_service (PickyApplication *self);
gboolean          picky_application_check_settings (GError       **error);

G_END_DECLS
