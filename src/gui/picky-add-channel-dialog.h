/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Adding a channel: its settings, its secrets into the keyring, then a connection test. */

#pragma once

#include <adwaita.h>

#include "picky-service.h"

G_BEGIN_DECLS

#define PICKY_TYPE_ADD_CHANNEL_DIALOG (picky_add_channel_dialog_get_type ())

G_DECLARE_FINAL_TYPE (PickyAddChannelDialog, picky_add_channel_dialog, PICKY, ADD_CHANNEL_DIALOG, AdwWindow)

PickyAddChannelDialog *picky_add_channel_dialog_new             (GtkWindow    *parent,
                                                                 PickyService *service);
PickyAddChannelDialog *picky_add_channel_dialog_new_for_channel (GtkWindow    *parent,
                                                                 PickyService *service,
                                                                 PickyChannel *channel);

G_END_DECLS
