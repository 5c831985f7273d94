/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Handing work from a worker thread to the main context that owns the objects. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void picky_main_context_dispatch (GMainContext   *context,
                                  GSourceFunc     function,
                                  gpointer        data,
                                  GDestroyNotify  notify);

G_END_DECLS
