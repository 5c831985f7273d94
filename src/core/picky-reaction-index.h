/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Puts reactions with the messages they react to, for a conversation being shown. */

#pragma once

#include "picky-message.h"

G_BEGIN_DECLS

/* What became of a reaction given to the index. */
typedef enum {
  PICKY_REACTION_ATTACHED,  /* shown with its message, which is known */
  PICKY_REACTION_PENDING,   /* its message is not known yet: show it on its own for now */
  PICKY_REACTION_SEEN,      /* given before: nothing to show again */
} PickyReactionFate;

#define PICKY_TYPE_REACTION_INDEX (picky_reaction_index_get_type ())

G_DECLARE_FINAL_TYPE (PickyReactionIndex, picky_reaction_index, PICKY, REACTION_INDEX, GObject)

PickyReactionIndex *picky_reaction_index_new           (void);
void                picky_reaction_index_clear         (PickyReactionIndex *self);
void                picky_reaction_index_add_target    (PickyReactionIndex *self,
                                                        PickyMessage       *message);
PickyReactionFate   picky_reaction_index_add_reaction  (PickyReactionIndex *self,
                                                        PickyMessage       *reaction);
GPtrArray          *picky_reaction_index_take_resolved (PickyReactionIndex *self);

G_END_DECLS
