/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Conversations from the command line: listing them for scripts, and replying to one. */

#pragma once

#include <gio/gio.h>

#include "picky-command.h"

G_BEGIN_DECLS

void picky_conversation_command_add_options (GApplication *application);
int  picky_conversation_command_run         (GVariantDict *options,
                                             GInputStream *text_in);
gboolean picky_conversation_command_serve   (GVariantDict          *options,
                                             PickyService          *service,
                                             PickyCommandEndedFunc  ended,
                                             gpointer               user_data);

G_END_DECLS
