/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The system keyring: the data-encryption key and every channel secret. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PICKY_VAULT_ERROR (picky_vault_error_quark ())

typedef enum {
  PICKY_VAULT_ERROR_UNAVAILABLE,   /* no Secret Service on the session bus */
  PICKY_VAULT_ERROR_LOCKED,        /* the keyring is locked or unlocking was dismissed */
  PICKY_VAULT_ERROR_KEY_MISSING,   /* encrypted data exists but its key is gone */
  PICKY_VAULT_ERROR_FAILED,
  PICKY_VAULT_ERROR_INVALID_SECRET, /* empty, too short or with a line break */
} PickyVaultError;

/* Shorter than any token a provider issues: such a value is a typo or a
 * placeholder, and would be found by chance in the item's label. */
#define PICKY_VAULT_MIN_SECRET_LENGTH 8

/* Seconds a call waits for the keyring to be unlocked before it gives up
 * with PICKY_VAULT_ERROR_LOCKED. */
#define PICKY_VAULT_DEFAULT_UNLOCK_TIMEOUT 60

#define PICKY_TYPE_VAULT (picky_vault_get_type ())

G_DECLARE_FINAL_TYPE (PickyVault, picky_vault, PICKY, VAULT, GObject)

GQuark      picky_vault_error_quark        (void);
PickyVault *picky_vault_new                (const char          *database_id);
void        picky_vault_set_database_id    (PickyVault          *self,
                                            const char          *database_id);
const char *picky_vault_get_database_id    (PickyVault          *self);
void        picky_vault_set_default_unlock_timeout (guint         seconds);
guint       picky_vault_get_unlock_timeout (PickyVault          *self);
void        picky_vault_set_unlock_timeout (PickyVault          *self,
                                            guint                seconds);
gboolean    picky_vault_check_secret       (const char          *kind,
                                            const char          *secret,
                                            GError             **error);

/* The database's data-encryption key: created only when @may_create (no
 * encrypted rows exist yet), else its absence is
 * PICKY_VAULT_ERROR_KEY_MISSING. */
void        picky_vault_get_data_key_async  (PickyVault          *self,
                                             gboolean             may_create,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GBytes     *picky_vault_get_data_key_finish (PickyVault          *self,
                                             GAsyncResult        *result,
                                             GError             **error);
gboolean    picky_vault_created_data_key    (PickyVault          *self);

/* Channel secrets, by channel id and kind ("token", "app-secret", …), of
 * the vault's database. The keyring item carries only those and the
 * database's id as attributes, never the secret. */
void        picky_vault_store_secret_async  (PickyVault          *self,
                                             gint64               channel_id,
                                             const char          *kind,
                                             const char          *secret,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
/* The same with a label of the caller's, e.g. naming the provider; finish
 * with picky_vault_store_secret_finish(). A label that holds the secret is
 * replaced by one that does not. */
void        picky_vault_store_secret_with_label_async (PickyVault          *self,
                                                       gint64               channel_id,
                                                       const char          *kind,
                                                       const char          *label,
                                                       const char          *secret,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean    picky_vault_store_secret_finish (PickyVault          *self,
                                             GAsyncResult        *result,
                                             GError             **error);
void        picky_vault_lookup_secret_async (PickyVault          *self,
                                             gint64               channel_id,
                                             const char          *kind,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
/* Returns NULL with no error when no such secret is stored. */
char       *picky_vault_lookup_secret_finish (PickyVault         *self,
                                             GAsyncResult        *result,
                                             GError             **error);
void        picky_vault_clear_channel_async (PickyVault          *self,
                                             gint64               channel_id,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean    picky_vault_clear_channel_finish (PickyVault         *self,
                                             GAsyncResult        *result,
                                             GError             **error);

G_END_DECLS
