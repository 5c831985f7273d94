/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Commands that run without a window: receiving headless, and channel provisioning by script. */

#pragma once

#include <gio/gio.h>

#include "picky-command.h"

G_BEGIN_DECLS

void     picky_command_line_add_options            (GApplication *application);
gboolean picky_command_line_apply_keyring_timeout  (GVariantDict *options,
                                                    GError      **error);
int      picky_command_line_run                    (GVariantDict *options,
                                                    GInputStream *secrets_in);
gboolean picky_command_line_serve                  (GVariantDict          *options,
                                                    PickyService          *service,
                                                    PickyCommandEndedFunc  ended,
                                                    gpointer               user_data);

G_END_DECLS
