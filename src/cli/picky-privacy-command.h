/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The privacy commands without a window: erase a contact, purge, disclose, export a contact, the audit log. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void picky_privacy_command_add_options (GApplication *application);
int  picky_privacy_command_run         (GVariantDict *options);

G_END_DECLS
