/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pairing a phone: a one-use code and the console's address, as text and as a QR code. */

#pragma once

#include <adwaita.h>

#include "picky-store.h"

G_BEGIN_DECLS

#define PICKY_TYPE_PAIR_DIALOG (picky_pair_dialog_get_type ())

G_DECLARE_FINAL_TYPE (PickyPairDialog, picky_pair_dialog, PICKY, PAIR_DIALOG, AdwWindow)

PickyPairDialog *picky_pair_dialog_new          (GtkWindow       *parent,
                                                 PickyStore      *store,
                                                 GSettings       *settings);
const char      *picky_pair_dialog_get_code     (PickyPairDialog *self);
char            *picky_pair_dialog_dup_qr_text  (PickyPairDialog *self);
gint64           picky_pair_dialog_get_expires  (PickyPairDialog *self);
gboolean         picky_pair_dialog_get_ready    (PickyPairDialog *self);

GdkTexture      *picky_pair_dialog_render_qr    (const char      *text,
                                                 guint            scale,
                                                 GError         **error);

G_END_DECLS
