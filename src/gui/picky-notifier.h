/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Desktop notifications for new incoming messages while the window is not in use. */

#pragma once

#include <adwaita.h>

#include "picky-service.h"

G_BEGIN_DECLS

#define PICKY_TYPE_NOTIFIER (picky_notifier_get_type ())

G_DECLARE_FINAL_TYPE (PickyNotifier, picky_notifier, PICKY, NOTIFIER, GObject)

/* More new messages than this in one batch make one notification. */
#define PICKY_NOTIFIER_GROUP_AFTER 3

PickyNotifier *picky_notifier_new (GtkApplication *application,
                                   PickyService   *service);

G_END_DECLS
