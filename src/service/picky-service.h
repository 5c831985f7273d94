/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Everything that runs behind the window: keyring, store, access switches and channels. */

#pragma once

#include <gio/gio.h>

#include "picky-access.h"
#include "picky-channel-registry.h"
#include "picky-retention.h"
#include "picky-store.h"
#include "picky-vault.h"

G_BEGIN_DECLS

#define PICKY_TYPE_SERVICE (picky_service_get_type ())

G_DECLARE_FINAL_TYPE (PickyService, picky_service, PICKY, SERVICE, GObject)

PickyService         *picky_service_new                    (const char           *db_path);
gboolean              picky_service_get_ready              (PickyService         *self);
gboolean              picky_service_get_starting           (PickyService         *self);
double                picky_service_get_open_progress      (PickyService         *self);
const GError         *picky_service_get_error              (PickyService         *self);
PickyStore           *picky_service_get_store              (PickyService         *self);
PickyVault           *picky_service_get_vault              (PickyService         *self);
PickyRetention       *picky_service_get_retention          (PickyService         *self);
PickyAccess          *picky_service_get_access             (PickyService         *self);
PickyChannelRegistry *picky_service_get_registry           (PickyService         *self);
PickyWebhookServer   *picky_service_get_webhook_server     (PickyService         *self);
const char           *picky_service_get_listener_error     (PickyService         *self);
void                  picky_service_set_listener_retry_interval (PickyService    *self,
                                                            guint                 interval_ms);

void                  picky_service_start_async            (PickyService         *self,
                                                            gboolean              start_channels,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean              picky_service_start_finish           (PickyService         *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                  picky_service_shutdown               (PickyService         *self);

void                  picky_service_add_channel_async      (PickyService         *self,
                                                            const char           *kind,
                                                            const char           *app,
                                                            const char           *name,
                                                            const char           *settings_json,
                                                            GHashTable           *secrets,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gint64                picky_service_add_channel_finish     (PickyService         *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                  picky_service_test_channel_async     (PickyService         *self,
                                                            const char           *kind,
                                                            const char           *app,
                                                            const char           *settings_json,
                                                            GHashTable           *secrets,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
char                 *picky_service_test_channel_finish    (PickyService         *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                  picky_service_update_channel_async   (PickyService         *self,
                                                            gint64                channel_id,
                                                            const char           *name,
                                                            const char           *settings_json,
                                                            GHashTable           *secrets,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean              picky_service_update_channel_finish  (PickyService         *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void                  picky_service_remove_channel_async   (PickyService         *self,
                                                            gint64                channel_id,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean              picky_service_remove_channel_finish  (PickyService         *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);

G_END_DECLS
