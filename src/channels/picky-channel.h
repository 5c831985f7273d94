/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The base of every channel: its identity, its state for the UI, and sending replies. */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

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
#define PICKY_TYPE_CHANNEL_FIELD (picky_channel_field_get_type ())
#define PICKY_TYPE_CHANNEL_SETUP (picky_channel_setup_get_type ())
#define PICKY_TYPE_CHANNEL (picky_channel_get_type ())

/* What a field of a channel kind holds, and so how it is asked for and kept. */
typedef enum {
  PICKY_CHANNEL_FIELD_SETTING,   /* a setting that must be filled in */
  PICKY_CHANNEL_FIELD_OPTIONAL,  /* a setting that may stay empty */
  PICKY_CHANNEL_FIELD_URL,       /* a setting that must be an http(s) address */
  PICKY_CHANNEL_FIELD_SECRET,    /* kept in the keyring under its key, never in the settings */
} PickyChannelFieldKind;

typedef enum {
  PICKY_CHANNEL_FIELD_FLAGS_NONE   = 0,
  PICKY_CHANNEL_FIELD_FLAGS_DIGITS = 1 << 0, /* a number such as an account id */
} PickyChannelFieldFlags;

/* One thing a channel kind asks the admin for. */
typedef struct _PickyChannelField PickyChannelField;
/* What the admin must do at the provider once a channel is added. */
typedef struct _PickyChannelSetup PickyChannelSetup;

G_DECLARE_DERIVABLE_TYPE (PickyChannel, picky_channel, PICKY, CHANNEL, GObject)

/* Filled in by the kinds' class_init only, with the description setters of
 * picky-channel-private.h; callers use the functions below. It is here and
 * not there because each kind's G_DECLARE_FINAL_TYPE embeds it. */
struct _PickyChannelClass
{
  GObjectClass parent_class;

  /* start and stop are idempotent; start may be called again after stop. */
  void                (*start)                  (PickyChannel        *self);
  void                (*stop)                   (PickyChannel        *self);
  /* Called only when push access is on. Returns the provider key of the
   * sent message, as the store keys incoming ones. */
  void                (*send_async)             (PickyChannel        *self,
                                                 PickyMessage        *message,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
  char *              (*send_finish)            (PickyChannel        *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

  /* Optional. Asks the provider whether the stored secrets work; finish
   * returns a translated sentence naming who answered, for a toast. */
  void                (*test_connection_async)  (PickyChannel        *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
  char *              (*test_connection_finish) (PickyChannel        *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
  /* Optional. Adds to a new channel's settings and secrets what the kind
   * generates instead of asking for, before they are stored. */
  void                (*prepare_settings)       (PickyChannelClass   *klass,
                                                 JsonObject          *settings,
                                                 GHashTable          *secrets);
  /* Optional. What the admin must now copy into the provider's dashboard;
   * @secrets are the ones just stored (a generated one may be shown once). */
  PickyChannelSetup * (*dup_setup_instructions) (PickyChannel        *self,
                                                 GHashTable          *secrets);
};

GQuark             picky_channel_error_quark          (void);
GType              picky_channel_state_get_type       (void);
const char        *picky_channel_state_to_string      (PickyChannelState state);

GType              picky_channel_field_get_type       (void);
PickyChannelField *picky_channel_field_copy           (const PickyChannelField *field);
void               picky_channel_field_free           (PickyChannelField   *field);
const char        *picky_channel_field_get_key        (const PickyChannelField *field);
PickyChannelFieldKind picky_channel_field_get_kind    (const PickyChannelField *field);
PickyChannelFieldFlags picky_channel_field_get_flags  (const PickyChannelField *field);
const char        *picky_channel_field_get_label      (const PickyChannelField *field);
const char        *picky_channel_field_get_default_value (const PickyChannelField *field);
const char        *picky_channel_field_get_help       (const PickyChannelField *field);
gboolean           picky_channel_field_accepts        (const PickyChannelField *field,
                                                       const char          *text,
                                                       gboolean             secret_kept);

GType              picky_channel_setup_get_type       (void);
void               picky_channel_setup_free           (PickyChannelSetup   *setup);
const char        *picky_channel_setup_get_title      (PickyChannelSetup   *setup);
const char        *picky_channel_setup_get_description (PickyChannelSetup  *setup);
guint              picky_channel_setup_get_n_values   (PickyChannelSetup   *setup);
const char        *picky_channel_setup_get_label      (PickyChannelSetup   *setup,
                                                       guint                position);
const char        *picky_channel_setup_get_value      (PickyChannelSetup   *setup,
                                                       guint                position);

/* A kind's description of itself, read from its type. */
const char        *picky_channel_class_get_kind       (GType                type);
const char        *picky_channel_class_get_app        (GType                type);
const char        *picky_channel_class_get_title      (GType                type);
const char        *picky_channel_class_get_description (GType               type);
gboolean           picky_channel_class_get_addable    (GType                type);
const char        *picky_channel_class_get_webhook_sender (GType            type);
GPtrArray         *picky_channel_class_get_fields     (GType                type);
gboolean           picky_channel_class_can_test_connection (GType           type);
void               picky_channel_class_prepare_settings (GType              type,
                                                       JsonObject          *settings,
                                                       GHashTable          *secrets);

gint64             picky_channel_get_id               (PickyChannel        *self);
const char        *picky_channel_get_kind             (PickyChannel        *self);
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
void               picky_channel_test_connection_async (PickyChannel       *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
char              *picky_channel_test_connection_finish (PickyChannel      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
PickyChannelSetup *picky_channel_dup_setup_instructions (PickyChannel      *self,
                                                       GHashTable          *secrets);
void               picky_channel_dup_stored_setup_async (PickyChannel      *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
PickyChannelSetup *picky_channel_dup_stored_setup_finish (PickyChannel     *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
void               picky_channel_use_secrets          (PickyChannel        *self,
                                                       GHashTable          *secrets);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyChannelField, picky_channel_field_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyChannelSetup, picky_channel_setup_free)

G_END_DECLS
