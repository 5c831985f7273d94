/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every fuzz target checks of the messages a parser made from hostile bytes. */

#pragma once

#include <stdlib.h>

#include "picky-message.h"

G_BEGIN_DECLS

/* A finding: abort, so libFuzzer keeps the input (g_error() traps, which it does not catch). */
#define picky_fuzz_fail(...) \
  G_STMT_START { g_printerr ("finding: " __VA_ARGS__); g_printerr ("\n"); abort (); } G_STMT_END

int  LLVMFuzzerTestOneInput        (const guint8 *data,
                                    size_t        size);

void picky_fuzz_check_messages     (GPtrArray    *messages,
                                    gint64        channel_id,
                                    const char   *app);

G_END_DECLS
