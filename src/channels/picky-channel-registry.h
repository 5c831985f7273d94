/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The channel kinds the console knows, and the running channels made from the store's rows. */

#pragma once

#include <gio/gio.h>

#include "picky-channel.h"

G_BEGIN_DECLS

#define PICKY_TYPE_CHANNEL_REGISTRY (picky_channel_registry_get_type ())

G_DECLARE_FINAL_TYPE (PickyChannelRegistry, picky_channel_registry, PICKY, CHANNEL_REGISTRY, GObject)

PickyChannelRegistry *picky_channel_registry_new             (PickyStore            *store,
                                                              PickyVault            *vault,
                                                              PickyAccess           *access);

void                  picky_channel_registry_set_webhook_server (PickyChannelRegistry *self,
                                                              PickyWebhookServer    *server);
void                  picky_channel_registry_register_kind   (PickyChannelRegistry  *self,
                                                              GType                  channel_type);
gboolean              picky_channel_registry_has_kind        (PickyChannelRegistry  *self,
                                                              const char            *kind);
GStrv                 picky_channel_registry_dup_kinds       (PickyChannelRegistry  *self);
GType                 picky_channel_registry_get_kind_type   (PickyChannelRegistry  *self,
                                                              const char            *kind);

PickyChannel         *picky_channel_registry_create_channel  (PickyChannelRegistry  *self,
                                                              gint64                 id,
                                                              const char            *app,
                                                              const char            *kind,
                                                              const char            *name,
                                                              const char            *settings_json,
                                                              GError               **error);

void                  picky_channel_registry_load_async      (PickyChannelRegistry  *self,
                                                              GCancellable          *cancellable,
                                                              GAsyncReadyCallback    callback,
                                                              gpointer               user_data);
gboolean              picky_channel_registry_load_finish     (PickyChannelRegistry  *self,
                                                              GAsyncResult          *result,
                                                              GError               **error);

GListModel           *picky_channel_registry_get_channels    (PickyChannelRegistry  *self);
PickyChannel         *picky_channel_registry_lookup          (PickyChannelRegistry  *self,
                                                              gint64                 id);
void                  picky_channel_registry_start_all       (PickyChannelRegistry  *self);
void                  picky_channel_registry_stop_all        (PickyChannelRegistry  *self);

G_END_DECLS
