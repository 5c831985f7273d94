/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Channels page: connected messaging apps and their access switches. */

#pragma once

#include <adwaita.h>

#include "picky-service.h"

G_BEGIN_DECLS

#define PICKY_TYPE_CHANNELS_PAGE (picky_channels_page_get_type ())

G_DECLARE_FINAL_TYPE (PickyChannelsPage, picky_channels_page, PICKY, CHANNELS_PAGE, AdwBin)

void picky_channels_page_set_service   (PickyChannelsPage *self,
                                        PickyService      *service);
void picky_channels_page_reload_phones (PickyChannelsPage *self);

G_END_DECLS
