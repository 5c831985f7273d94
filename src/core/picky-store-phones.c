/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The store's relay phones: pairing codes, registering, authenticating, trusting and revoking. */

#include "config.h"

#include <glib/gi18n.h>

#include "picky-store.h"
#include "picky-store-private.h"

#define DEVICE_COLUMNS "id, trusted, revoked, details_enc, paired, last_seen"

/* last_seen is rewritten at most this often: every relay request reads the
 * device, and a write (with its fsync) per request would halve ingest. */
#define LAST_SEEN_GRANULARITY 60

/* ---- Worker thread ---- */

/* Pairing codes are typed by people: case and separators do not count. */
static char *
normalize_code (const char *code)
{
  GString *out = g_string_new (NULL);

  for (const char *p = code; *p != '\0'; p++)
    if (g_ascii_isalnum (*p))
      g_string_append_c (out, g_ascii_toupper (*p));

  return g_string_free (out, FALSE);
}

/* Reads a row of DEVICE_COLUMNS. The details are one sealed GVariant of
 * (make, model, os, phone), so not even their lengths show one by one. */
static PickyDevice *
device_from_row (PickyStoreWorker *w,
                 sqlite3_stmt     *stmt)
{
  PickyDevice *device = g_new0 (PickyDevice, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *details = NULL;

  device->id = sqlite3_column_int64 (stmt, 0);
  if (sqlite3_column_int (stmt, 2) != 0)
    device->state = PICKY_DEVICE_STATE_REVOKED;
  else if (sqlite3_column_int (stmt, 1) != 0)
    device->state = PICKY_DEVICE_STATE_TRUSTED;
  else
    device->state = PICKY_DEVICE_STATE_PENDING;
  device->paired = sqlite3_column_int64 (stmt, 4);
  device->last_seen = sqlite3_column_int64 (stmt, 5);

  details = picky_store_worker_decrypt (w, stmt, 3, "devices", "details", device->id, &error);
  if (details != NULL)
    {
      g_autoptr(GVariant) value = g_variant_parse (G_VARIANT_TYPE ("(ssss)"), details,
                                                   NULL, NULL, NULL);

      if (value != NULL)
        g_variant_get (value, "(ssss)", &device->make, &device->model, &device->os, &device->phone);
    }
  else if (error != NULL)
    {
      g_debug ("Device %" G_GINT64_FORMAT ": %s", device->id, error->message);
    }

  return device;
}

typedef struct {
  char *token;
  char *code;
  char *make;
  char *model;
  char *os;
  char *phone;
  PickyDevice *device;           /* what the write returns once committed */
} RegisterDeviceArgs;

static void
register_device_args_free (gpointer data)
{
  RegisterDeviceArgs *args = data;

  g_free (args->token);
  g_free (args->code);
  g_free (args->make);
  g_free (args->model);
  g_free (args->os);
  g_free (args->phone);
  g_clear_pointer (&args->device, picky_device_free);
  g_free (args);
}

static gboolean
register_device_write (PickyStoreWorker  *w,
                       GTask             *task,
                       GError           **error)
{
  RegisterDeviceArgs *args = g_task_get_task_data (task);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *token_hash = picky_cipher_lookup_hash (w->cipher, "device-token", args->token);
  g_autoptr(GVariant) details = NULL;
  g_autofree char *details_text = NULL;
  g_autoptr(GBytes) sealed = NULL;
  gboolean trusted = FALSE;
  sqlite3_stmt *stmt = NULL;
  gint64 id;
  int rc;

  if (picky_store_worker_exec_int (w, "DELETE FROM pairing_codes WHERE expires <= ?1", now, error) < 0)
    return FALSE;

  if (args->code != NULL)
    {
      g_autofree char *normal = normalize_code (args->code);
      g_autofree char *code_hash = picky_cipher_lookup_hash (w->cipher, "pairing-code", normal);
      gint64 used;

      /* Deleting it is what uses it up: one device per code. */
      stmt = picky_store_worker_prepare (w, "DELETE FROM pairing_codes WHERE code_hash = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, code_hash, -1, SQLITE_STATIC);
      used = picky_store_worker_finish (w, stmt, error);
      if (used < 0)
        return FALSE;
      trusted = used > 0;
    }

  /* A flood of phones without a code must not bury the ones the admin
   * expects in the list of those waiting for trust. */
  if (!trusted)
    {
      gint64 waiting = 0;

      rc = sqlite3_prepare_v2 (w->db, "SELECT count(*) FROM devices WHERE trusted = 0 AND revoked = 0",
                               -1, &stmt, NULL);
      if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
        waiting = sqlite3_column_int64 (stmt, 0);
      sqlite3_finalize (stmt);
      if (rc != SQLITE_ROW)
        {
          picky_store_set_sqlite_error (error, w->db, rc);
          return FALSE;
        }
      if (waiting >= PICKY_STORE_MAX_PENDING_DEVICES)
        {
          g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_LIMIT,
                       _("Too many phones are waiting for trust already"));
          return FALSE;
        }
    }

  stmt = picky_store_worker_prepare (w,
                                     "INSERT INTO devices (trusted, paired, last_seen, token_hash)"
                                     " VALUES (?1, ?2, ?2, ?3)",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, trusted);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_text (stmt, 3, token_hash, -1, SQLITE_STATIC);
  if (picky_store_worker_finish (w, stmt, error) < 0)
    return FALSE;
  id = sqlite3_last_insert_rowid (w->db);
  {
    g_autofree char *object = g_strdup_printf ("phone %" G_GINT64_FORMAT, id);

    if (!picky_store_worker_audit (w, "phone-pair", object, trusted ? "trusted with a pairing code" : "waiting for trust",
                                   error))
      return FALSE;
  }

  /* Sealed with the row id as associated args, so it can only be written
   * once the row exists. */
  details = g_variant_ref_sink (g_variant_new ("(ssss)", args->make, args->model, args->os, args->phone));
  details_text = g_variant_print (details, FALSE);
  sealed = picky_cipher_encrypt (w->cipher, details_text, "devices", "details", id);
  stmt = picky_store_worker_prepare (w, "UPDATE devices SET details_enc = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  picky_store_bind_blob (stmt, 2, sealed);
  if (picky_store_worker_finish (w, stmt, error) < 0)
    return FALSE;

  args->device = g_new0 (PickyDevice, 1);
  args->device->id = id;
  args->device->state = trusted ? PICKY_DEVICE_STATE_TRUSTED : PICKY_DEVICE_STATE_PENDING;
  args->device->make = g_strdup (args->make);
  args->device->model = g_strdup (args->model);
  args->device->os = g_strdup (args->os);
  args->device->phone = g_strdup (args->phone);
  args->device->paired = now;
  args->device->last_seen = now;

  return TRUE;
}

static void
register_device_done (PickyStoreWorker *w,
                      GTask            *task)
{
  RegisterDeviceArgs *args = g_task_get_task_data (task);

  g_task_return_pointer (task, g_steal_pointer (&args->device), (GDestroyNotify) picky_device_free);
}

typedef struct {
  char *code;
  gint64 expires;
} AddPairingCodeArgs;

static void
add_pairing_code_args_free (gpointer data)
{
  AddPairingCodeArgs *args = data;

  g_free (args->code);
  g_free (args);
}

static gboolean
add_pairing_code_write (PickyStoreWorker  *w,
                        GTask             *task,
                        GError           **error)
{
  AddPairingCodeArgs *args = g_task_get_task_data (task);
  g_autofree char *normal = normalize_code (args->code);
  g_autofree char *code_hash = picky_cipher_lookup_hash (w->cipher, "pairing-code", normal);
  sqlite3_stmt *stmt;

  stmt = picky_store_worker_prepare (w,
                                     "INSERT INTO pairing_codes (code_hash, expires) VALUES (?1, ?2)"
                                     " ON CONFLICT (code_hash) DO UPDATE SET expires = excluded.expires",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, code_hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, args->expires);

  return picky_store_worker_finish (w, stmt, error) >= 0;
}

typedef struct {
  char *token;
} AuthenticateDeviceArgs;

static void
authenticate_device_args_free (gpointer data)
{
  AuthenticateDeviceArgs *args = data;

  g_free (args->token);
  g_free (args);
}

static void
authenticate_device_run (PickyStoreWorker *w,
                         GTask            *task)
{
  AuthenticateDeviceArgs *args = g_task_get_task_data (task);
  g_autofree char *token_hash = picky_cipher_lookup_hash (w->cipher, "device-token", args->token);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  PickyDevice *device = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT " DEVICE_COLUMNS " FROM devices WHERE token_hash = ?1",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, token_hash, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        device = device_from_row (w, stmt);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      picky_store_return_sqlite_error (w, task, rc);
      return;
    }
  if (device == NULL)
    {
      g_task_return_new_error (task, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                               _("No phone holds this token"));
      return;
    }

  if (now - device->last_seen >= LAST_SEEN_GRANULARITY)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *sql = g_strdup_printf ("UPDATE devices SET last_seen = %" G_GINT64_FORMAT
                                              " WHERE id = ?1", now);

      /* Losing a last-seen time is no reason to refuse the phone. */
      if (picky_store_worker_exec_int (w, sql, device->id, &error) < 0)
        g_debug ("Device %" G_GINT64_FORMAT ": %s", device->id, error->message);
      else
        device->last_seen = now;
    }

  g_task_return_pointer (task, device, (GDestroyNotify) picky_device_free);
}

static void
list_devices_run (PickyStoreWorker *w,
                  GTask            *task)
{
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func ((GDestroyNotify) picky_device_free);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT " DEVICE_COLUMNS " FROM devices ORDER BY id", -1, &stmt, NULL);
  while (picky_store_next_row (stmt, &rc))
    g_ptr_array_add (devices, device_from_row (w, stmt));
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    picky_store_return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&devices), (GDestroyNotify) g_ptr_array_unref);
}

typedef struct {
  gint64 device_id;
  PickyDeviceState state;
} SetDeviceStateArgs;

static gboolean
set_device_state_write (PickyStoreWorker  *w,
                        GTask             *task,
                        GError           **error)
{
  SetDeviceStateArgs *args = g_task_get_task_data (task);
  sqlite3_stmt *stmt;
  gint64 changed;

  if (args->state == PICKY_DEVICE_STATE_TRUSTED)
    changed = picky_store_worker_exec_int (w, "UPDATE devices SET trusted = 1 WHERE id = ?1 AND revoked = 0",
                                           args->device_id, error);
  else
    changed = picky_store_worker_exec_int (w, "UPDATE devices SET trusted = 0, revoked = 1 WHERE id = ?1",
                                           args->device_id, error);
  if (changed < 0)
    return FALSE;
  if (changed == 0)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("Phone %lld does not exist or was revoked"), (long long) args->device_id);
      return FALSE;
    }
  {
    g_autofree char *object = g_strdup_printf ("phone %" G_GINT64_FORMAT, args->device_id);

    if (!picky_store_worker_audit (w, args->state == PICKY_DEVICE_STATE_TRUSTED ? "phone-trust" : "phone-revoke",
                                   object, NULL, error))
      return FALSE;
  }

  if (args->state != PICKY_DEVICE_STATE_REVOKED)
    return TRUE;

  /* What a revoked phone was still to send never goes out: say so on the
   * replies instead of leaving them queued for ever. */
  stmt = picky_store_worker_prepare (w,
                                     "UPDATE messages SET status = 'failed', error = ?2 WHERE id IN"
                                     " (SELECT message_id FROM relay_outbox"
                                     " WHERE device_id = ?1 AND state = 0)",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, args->device_id);
  sqlite3_bind_text (stmt, 2, _("The phone that was to send this reply was revoked"), -1, SQLITE_TRANSIENT);
  if (picky_store_worker_finish (w, stmt, error) < 0)
    return FALSE;

  return picky_store_worker_exec_int (w,
                                      "UPDATE relay_outbox SET state = 2"
                                      " WHERE device_id = ?1 AND state = 0",
                                      args->device_id, error) >= 0;
}

/* ---- Main thread ---- */

/**
 * picky_device_free:
 *
 * Frees a #PickyDevice and its strings.
 */
void
picky_device_free (PickyDevice *device)
{
  if (device == NULL)
    return;

  g_free (device->make);
  g_free (device->model);
  g_free (device->os);
  g_free (device->phone);
  g_free (device);
}

/**
 * picky_store_add_pairing_code_async:
 * @code: the code as the admin reads it out; case and separators do not count
 * @expires: unix seconds after which the code is refused
 *
 * Keeps only a keyed hash of @code, so the database never shows a code a
 * phone could still use.
 */
void
picky_store_add_pairing_code_async (PickyStore          *self,
                                    const char          *code,
                                    gint64               expires,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  AddPairingCodeArgs *args = g_new0 (AddPairingCodeArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (code != NULL);

  args->code = g_strdup (code);
  args->expires = expires;
  task = picky_store_task_new (self, picky_store_add_pairing_code_async, args,
                               add_pairing_code_args_free, cancellable, callback, user_data);
  picky_store_queue_job (self, task, NULL, add_pairing_code_write, picky_store_boolean_done);
}

gboolean
picky_store_add_pairing_code_finish (PickyStore    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * picky_store_register_device_async:
 * @token: the device's secret token; only its keyed hash is stored
 *
 * Adds a device; it is trusted when @pairing_code is a valid, unexpired
 * code, which is used up in the same transaction.
 */
void
picky_store_register_device_async (PickyStore          *self,
                                   const char          *token,
                                   const char          *pairing_code,
                                   const char          *make,
                                   const char          *model,
                                   const char          *os,
                                   const char          *phone,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  RegisterDeviceArgs *args = g_new0 (RegisterDeviceArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (token != NULL);

  args->token = g_strdup (token);
  args->code = g_strdup (pairing_code);
  args->make = g_strdup (make != NULL ? make : "");
  args->model = g_strdup (model != NULL ? model : "");
  args->os = g_strdup (os != NULL ? os : "");
  args->phone = g_strdup (phone != NULL ? phone : "");
  task = picky_store_task_new (self, picky_store_register_device_async, args,
                               register_device_args_free, cancellable, callback, user_data);
  picky_store_queue_job (self, task, NULL, register_device_write, register_device_done);
}

/**
 * picky_store_register_device_finish:
 *
 * Returns: (transfer full): the new device
 */
PickyDevice *
picky_store_register_device_finish (PickyStore    *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_authenticate_device_async (PickyStore          *self,
                                       const char          *token,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  AuthenticateDeviceArgs *args = g_new0 (AuthenticateDeviceArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (token != NULL);

  args->token = g_strdup (token);
  task = picky_store_task_new (self, picky_store_authenticate_device_async, args,
                               authenticate_device_args_free, cancellable, callback, user_data);
  picky_store_queue_job (self, task, authenticate_device_run, NULL, NULL);
}

/**
 * picky_store_authenticate_device_finish:
 *
 * Returns: (transfer full): the device holding the token, in any state
 */
PickyDevice *
picky_store_authenticate_device_finish (PickyStore    *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_list_devices_async (PickyStore          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  task = picky_store_task_new (self, picky_store_list_devices_async, NULL, NULL, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, list_devices_run, NULL, NULL);
}

/**
 * picky_store_list_devices_finish:
 *
 * Returns: (transfer full) (element-type PickyDevice): every device
 */
GPtrArray *
picky_store_list_devices_finish (PickyStore    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_set_device_state_async:
 * @state: %PICKY_DEVICE_STATE_TRUSTED or %PICKY_DEVICE_STATE_REVOKED
 *
 * Revoking also fails the replies still waiting in the device's outbox.
 */
void
picky_store_set_device_state_async (PickyStore          *self,
                                    gint64               device_id,
                                    PickyDeviceState     state,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  SetDeviceStateArgs *args = g_new0 (SetDeviceStateArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (state == PICKY_DEVICE_STATE_TRUSTED || state == PICKY_DEVICE_STATE_REVOKED);

  args->device_id = device_id;
  args->state = state;
  task = picky_store_task_new (self, picky_store_set_device_state_async, args, g_free, cancellable,
                               callback, user_data);
  picky_store_queue_job (self, task, NULL, set_device_state_write, picky_store_boolean_done);
}

gboolean
picky_store_set_device_state_finish (PickyStore    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
