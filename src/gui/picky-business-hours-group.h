/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Preferences group "Business Hours": whether report waits count working time only, and which. */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PICKY_TYPE_BUSINESS_HOURS_GROUP (picky_business_hours_group_get_type ())

G_DECLARE_FINAL_TYPE (PickyBusinessHoursGroup, picky_business_hours_group, PICKY, BUSINESS_HOURS_GROUP,
                      AdwPreferencesGroup)

G_END_DECLS
