/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Whether a webhook listener could bind, and why not: shared by its owner and the channels it serves. */

#pragma once

#include "picky-webhook-server.h"

G_BEGIN_DECLS

#define PICKY_TYPE_LISTENER_STATE (picky_listener_state_get_type ())

G_DECLARE_FINAL_TYPE (PickyListenerState, picky_listener_state, PICKY, LISTENER_STATE, GObject)

PickyListenerState *picky_listener_state_get_for_server (PickyWebhookServer *server);
const char         *picky_listener_state_get_error      (PickyListenerState *self);
void                picky_listener_state_set_error      (PickyListenerState *self,
                                                         const char         *error);

G_END_DECLS
