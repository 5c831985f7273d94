/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The --export-report command: a report written as CSV or PDF without a window, for scheduled runs. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void picky_report_command_add_options (GApplication *application);
int  picky_report_command_run         (GVariantDict *options);

G_END_DECLS
