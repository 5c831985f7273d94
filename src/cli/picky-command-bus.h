/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The commands a running console answers for other processes over the session bus. */

#pragma once

#include <gio/gio.h>

#include "picky-service.h"

G_BEGIN_DECLS

typedef struct _PickyCommandBus PickyCommandBus;

PickyCommandBus *picky_command_bus_export  (GDBusConnection *connection,
                                            PickyService    *service,
                                            GError         **error);
PickyCommandBus *picky_command_bus_claim   (PickyService    *service,
                                            GError         **error);
void             picky_command_bus_free    (PickyCommandBus *self);
int              picky_command_bus_forward (GVariant        *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyCommandBus, picky_command_bus_free)

G_END_DECLS
