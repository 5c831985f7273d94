/* SPDX-License-Identifier: GPL-3.0-or-later */
/* When the next send to one recipient may go, so that a provider's pacing rules hold. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PickyPacer PickyPacer;

PickyPacer *picky_pacer_new     (void);
void        picky_pacer_free    (PickyPacer *self);
gint64      picky_pacer_reserve (PickyPacer *self,
                                 const char *key,
                                 gint64      now_us,
                                 gint64      interval_us,
                                 guint       window_n,
                                 gint64      window_us);
void        picky_pacer_hold    (PickyPacer *self,
                                 const char *key,
                                 gint64      until_us);
gint64      picky_pacer_get_hold (PickyPacer *self,
                                  const char *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyPacer, picky_pacer_free)

G_END_DECLS
