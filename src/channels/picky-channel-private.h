/* SPDX-License-Identifier: GPL-3.0-or-later */
/* For channel kinds only: how they describe themselves from class_init, and the helpers a running channel uses. */

#pragma once

#include "picky-channel.h"

G_BEGIN_DECLS

/* The description, called from class_init. Texts are untranslated
 * (marked with N_()), so that each reader sees them in the language of
 * the moment. */
void               picky_channel_class_set_kind       (PickyChannelClass   *klass,
                                                       const char          *kind,
                                                       const char          *app,
                                                       const char          *title);
void               picky_channel_class_set_description (PickyChannelClass  *klass,
                                                       const char          *description);
void               picky_channel_class_set_addable    (PickyChannelClass   *klass,
                                                       gboolean             addable);
void               picky_channel_class_set_webhook_sender (PickyChannelClass *klass,
                                                       const char          *sender);
void               picky_channel_class_set_setup_secret (PickyChannelClass *klass,
                                                       const char          *kind);
void               picky_channel_class_add_field      (PickyChannelClass   *klass,
                                                       const char          *key,
                                                       PickyChannelFieldKind kind,
                                                       PickyChannelFieldFlags flags,
                                                       const char          *label,
                                                       const char          *default_value,
                                                       const char          *help);

/* For dup_setup_instructions; these texts are translated already. */
PickyChannelSetup *picky_channel_setup_new            (const char          *title,
                                                       const char          *description);
void               picky_channel_setup_add_value      (PickyChannelSetup   *setup,
                                                       const char          *label,
                                                       const char          *value);

/* For a running channel. */
void               picky_channel_set_state            (PickyChannel        *self,
                                                       PickyChannelState    state);
void               picky_channel_set_last_error       (PickyChannel        *self,
                                                       const char          *last_error);
void               picky_channel_note_message_time    (PickyChannel        *self,
                                                       gint64               unix_seconds);
void               picky_channel_lookup_secret_async  (PickyChannel        *self,
                                                       const char          *kind,
                                                       const char          *missing,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
char              *picky_channel_lookup_secret_finish (PickyChannel        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
guint              picky_channel_backoff_ms           (PickyChannel        *self,
                                                       guint                n_failures,
                                                       guint                first_ms,
                                                       guint                at_least_ms);
char              *picky_channel_dup_setting          (PickyChannel        *self,
                                                       const char          *key,
                                                       const char          *default_value);

/* For a kind fed by webhooks: a running channel is a member of its kind's
 * path on the listener, and the kind's one handler serves every member. */
gboolean           picky_channel_join_webhook         (PickyChannel        *self,
                                                       const char          *prefix,
                                                       PickyWebhookFanout   fanout);
void               picky_channel_leave_webhook        (PickyChannel        *self);
gboolean           picky_channel_is_webhook_member    (PickyChannel        *self);

G_END_DECLS
