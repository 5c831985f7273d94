/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every command without a window shares: the service run in a main loop until it is done. */

#pragma once

#include <gio/gio.h>

#include "picky-service.h"

G_BEGIN_DECLS

typedef struct _PickyCommand PickyCommand;

/**
 * PickyCommandFunc:
 * @command: the command whose service has started
 *
 * Does a command's work once its service is ready, ending, now or from a
 * later callback, with picky_command_done(), picky_command_fail() or
 * picky_command_finish().
 */
typedef void (*PickyCommandFunc) (PickyCommand *command);

/**
 * PickyCommand:
 * @service: the running service, valid from @started until the run ends
 *
 * One run of a command. A command keeps its own state in a struct whose
 * first member is a #PickyCommand, and casts back to it in its callbacks.
 */
struct _PickyCommand
{
  PickyService     *service;

  /*< private >*/
  GMainLoop        *loop;
  PickyCommandFunc  started;
  int               status;
};

int  picky_command_run         (PickyCommand     *self,
                                PickyCommandFunc  started);
void picky_command_done        (PickyCommand     *self);
void picky_command_fail        (PickyCommand     *self,
                                const char       *message);
void picky_command_finish      (PickyCommand     *self,
                                const GError     *error);
void picky_command_print_error (const char       *message);
char *picky_command_dup_field  (const char       *text);

G_END_DECLS
