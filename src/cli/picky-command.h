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
 * PickyCommandEndedFunc:
 * @status: the exit status the command ended with
 * @out: what it printed for standard output
 * @err: what it printed for standard error
 * @user_data: the data given to picky_command_serve()
 *
 * Hands over the outcome of a command served for another process.
 */
typedef void (*PickyCommandEndedFunc) (int         status,
                                       const char *out,
                                       const char *err,
                                       gpointer    user_data);

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
  /* Served for another process: what it prints is collected, and the end
   * is handed to @ended rather than quitting a loop. */
  GString               *out;
  GString               *err;
  PickyCommandEndedFunc  ended;
  gpointer               ended_data;
  GDestroyNotify         free_func;
};

int  picky_command_run         (PickyCommand     *self,
                                PickyCommandFunc  started);
void picky_command_serve       (PickyCommand     *self,
                                PickyService     *service,
                                PickyCommandFunc  started,
                                GDestroyNotify    free_func,
                                PickyCommandEndedFunc ended,
                                gpointer          user_data);
void picky_command_print       (PickyCommand     *self,
                                const char       *format,
                                ...) G_GNUC_PRINTF (2, 3);
void picky_command_done        (PickyCommand     *self);
void picky_command_fail        (PickyCommand     *self,
                                const char       *message);
void picky_command_finish      (PickyCommand     *self,
                                const GError     *error);
void picky_command_print_error (const char       *message);
char *picky_command_dup_field  (const char       *text);

G_END_DECLS
