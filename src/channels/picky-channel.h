/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The base of every channel: its identity, its state for the UI, and sending replies. */

#pragma once

#include <gio/gio.h>

#include "picky-access.h"
#include "picky-message.h"
#include "picky-store.h"
#include "picky-vault.h"
#include "picky-webhook-server.h"

G_BEGIN_DECLS

#define PICKY_CHANNEL_ERROR (picky_channel_error_quark ())

/* The longest wait between two tries after failures. */
#define PICKY_CHANNEL_BACKOFF_MAX_MS 60000

typedef enum {
  PICKY_CHANNEL_ERROR_FAILED,        /* an unexpected answer from the provider */
  PICKY_CHANNEL_ERROR_NO_SECRET,     /* no token or secret is stored for the channel */
  PICKY_CHANNEL_ERROR_UNAUTHORIZED,  /* the provider rejected the token */
  PICKY_CHANNEL_ERROR_REJECTED,      /* the provider refused this request for good */
  PICKY_CHANNEL_ERROR_UNAVAILABLE,   /* the provider could not be reached or is overloaded */
  PICKY_CHANNEL_ERROR_NOT_SUPPORTED, /* the channel cannot do this */
} PickyChannelError;

/* Shown on the Channels page; the order is part of no file format. */
typedef enum {
  PICKY_CHANNEL_STATE_STOPPED,
  PICKY_CHANNEL_STATE_CONNECTING,
  PICKY_CHANNEL_STATE_ONLINE,
  PICKY_CHANNEL_STATE_BACKING_OFF,
  PICKY_CHANNEL_STATE_AUTH_FAILED,
  PICKY_CHANNEL_STATE_DISABLED,
} PickyChannelState;

#define PICKY_TYPE_CHANNEL_STATE (picky_channel_state_get_type ())
#define PICKY_TYPE_CHANNEL (picky_channel_get_type ())

G_DECLARE_DERIVABLE_TYPE (PickyChannel, picky_channel, PICKY, CHANNEL, GObject)

struct _PickyChannelClass
{
  GObjectClass parent_class;

  /* start and stop are idempotent; start may be called again after stop. */
  void   (*start)       (PickyChannel        *self);
  void   (*stop)        (PickyChannel        *self);
  /* Called only when push access is on. Returns the provider key of the
   * sent message, as the store keys incoming ones. */
  void   (*send_async)  (PickyChannel        *self,
                         PickyMessage        *message,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data);
  char * (*send_finish) (PickyChannel        *self,
                         GAsyncResult        *result,
                         GError             **error);

  /*< private >*/
  gpointer padding[8];
};

GQuark             picky_channel_error_quark          (void);
GType              picky_channel_state_get_type       (void);
const char        *picky_channel_state_to_string      (PickyChannelState state);

gint64             picky_channel_get_id               (PickyChannel        *self);
const char        *picky_channel_get_app              (PickyChannel        *self);
const char        *picky_channel_get_name             (PickyChannel        *self);
void               picky_channel_set_name             (PickyChannel        *self,
                                                       const char          *name);
PickyChannelState  picky_channel_get_state            (PickyChannel        *self);
const char        *picky_channel_get_last_error       (PickyChannel        *self);
gint64             picky_channel_get_last_message_time (PickyChannel       *self);
const char        *picky_channel_get_settings         (PickyChannel        *self);
PickyStore        *picky_channel_get_store            (PickyChannel        *self);
PickyVault        *picky_channel_get_vault            (PickyChannel        *self);
PickyAccess       *picky_channel_get_access           (PickyChannel        *self);
PickyWebhookServer *picky_channel_get_webhook_server  (PickyChannel        *self);
gboolean           picky_channel_can_read             (PickyChannel        *self);

void               picky_channel_start                (PickyChannel        *self);
void               picky_channel_stop                 (PickyChannel        *self);
void               picky_channel_send_async           (PickyChannel        *self,
                                                       PickyMessage        *message,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
char              *picky_channel_send_finish          (PickyChannel        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* For subclasses. */
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

G_END_DECLS
