/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The system keyring: the data-encryption key and every channel secret. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libsecret/secret.h>
#include <sodium.h>

#include "picky-cipher.h"
#include "picky-vault.h"

struct _PickyVault
{
  GObject parent_instance;

  /* owned */
  /* get_data_key tasks, run one at a time: two lookups that both found
   * nothing would otherwise each create a key, and the second would
   * replace the first after data was encrypted with it. */
  GQueue key_tasks;
  guint  unlock_timeout_ms;
  /* The database whose secrets these are; set once. */
  char  *database_id;
  /* Whether this vault made the data key rather than finding one. */
  gboolean created_data_key;
};

G_DEFINE_FINAL_TYPE (PickyVault, picky_vault, G_TYPE_OBJECT)

G_DEFINE_QUARK (picky-vault-error-quark, picky_vault_error)

/* What new vaults start with: the process's --keyring-timeout. */
static guint default_unlock_timeout_ms = PICKY_VAULT_DEFAULT_UNLOCK_TIMEOUT * 1000;

/* Attributes are stored unencrypted and are what other programs search by:
 * they name an item, and never hold a secret. "database" is the id of the
 * database the item belongs to (picky_store_get_database_id()): data
 * folders sharing one keyring each have their own "channel 1". Items
 * made before databases had ids lack it; see find_legacy_items_async(). */
static const SecretSchema secret_schema = {
  "io.github.pickyconsole.PickyConsole.Secret", SECRET_SCHEMA_NONE,
  {
    { "database", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "channel-id", SECRET_SCHEMA_ATTRIBUTE_INTEGER },
    { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

/* A schema of its own, so that clearing a channel can never reach the key.
 * One key per database: a second folder never finds, and never replaces,
 * another's key, so a key missing for one is reported as missing. */
static const SecretSchema data_key_schema = {
  "io.github.pickyconsole.PickyConsole.DataKey", SECRET_SCHEMA_NONE,
  {
    { "database", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

/* How long one call waits for the keyring. libsecret waits for the answer
 * to an unlock prompt without end, and a prompt shown on a display nobody
 * watches (a console started over SSH, a service with DISPLAY set) is
 * never answered. When the time is up, or the caller cancels, the call is
 * answered at once, and libsecret's late answer is dropped.
 *
 * libsecret never gets a cancellable: cancelling it dismisses the prompt,
 * and gnome-keyring 42 aborts on a dismissed unlock prompt (its queue of
 * prompts asserts), which would take every application's secrets down.
 * The prompt stays open instead, and unlocking it later helps the next
 * call. */
typedef void (*GiveUpFunc) (GTask  *task,
                            GError *error);

typedef struct {
  GTask      *task;          /* borrowed: the task owns its wait */
  GiveUpFunc  give_up;
  GSource    *timeout;
  GSource    *cancelled;
  guint       timeout_ms;
  gboolean    answered;
} UnlockWait;

static void
unlock_wait_stop (UnlockWait *wait)
{
  wait->answered = TRUE;

  if (wait->timeout != NULL)
    g_source_destroy (wait->timeout);
  g_clear_pointer (&wait->timeout, g_source_unref);
  if (wait->cancelled != NULL)
    g_source_destroy (wait->cancelled);
  g_clear_pointer (&wait->cancelled, g_source_unref);
}

static void
unlock_wait_free (UnlockWait *wait)
{
  unlock_wait_stop (wait);
  g_free (wait);
}

static GError *new_timed_out_error (const UnlockWait *wait);

static gboolean
on_unlock_wait_expired_cb (gpointer user_data)
{
  UnlockWait *wait = user_data;

  unlock_wait_stop (wait);
  wait->give_up (wait->task, new_timed_out_error (wait));
  return G_SOURCE_REMOVE;
}

static gboolean
on_caller_cancelled_cb (GCancellable *cancellable,
                        gpointer      user_data)
{
  UnlockWait *wait = user_data;
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  unlock_wait_stop (wait);
  wait->give_up (wait->task, error);
  return G_SOURCE_REMOVE;
}

/* Starts the clock for @task; @give_up answers it with an error when the
 * time is up or its cancellable is cancelled. Both are dispatched on the
 * task's context, whichever thread cancels. */
static UnlockWait *
unlock_wait_new (PickyVault *self,
                 GTask      *task,
                 GiveUpFunc  give_up)
{
  UnlockWait *wait = g_new0 (UnlockWait, 1);
  GCancellable *cancellable = g_task_get_cancellable (task);

  wait->task = task;
  wait->give_up = give_up;
  wait->timeout_ms = self->unlock_timeout_ms;

  if (wait->timeout_ms > 0)
    {
      wait->timeout = g_timeout_source_new (wait->timeout_ms);
      g_source_set_static_name (wait->timeout, "[picky] keyring unlock wait");
      g_source_set_callback (wait->timeout, on_unlock_wait_expired_cb, wait, NULL);
      g_source_attach (wait->timeout, g_task_get_context (task));
    }

  if (cancellable != NULL)
    {
      wait->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_static_name (wait->cancelled, "[picky] keyring call cancelled");
      g_source_set_callback (wait->cancelled, G_SOURCE_FUNC (on_caller_cancelled_cb), wait, NULL);
      g_source_attach (wait->cancelled, g_task_get_context (task));
    }

  return wait;
}

/* Whether @wait's task still waits for libsecret's answer; if so, it is
 * about to be answered, and the clock stops. */
static gboolean
unlock_wait_claim (UnlockWait *wait)
{
  if (wait->answered)
    return FALSE;

  unlock_wait_stop (wait);
  return TRUE;
}

/* The channel calls give up by answering at once. */
static void
give_up_call (GTask  *task,
              GError *error)
{
  g_task_return_error (task, error);
}

typedef struct {
  UnlockWait *wait;
  gboolean    may_create;
  GBytes     *key;
} KeyData;

static void
key_data_free (KeyData *data)
{
  g_clear_pointer (&data->wait, unlock_wait_free);
  g_clear_pointer (&data->key, g_bytes_unref);
  g_free (data);
}

typedef struct {
  UnlockWait  *wait;
  gint64       channel_id;
  char        *kind;
  /* An item from before database ids, being taken over. */
  SecretItem  *legacy;
  SecretValue *value;
} LookupSecretData;

static void
lookup_secret_data_free (LookupSecretData *data)
{
  g_clear_pointer (&data->wait, unlock_wait_free);
  g_clear_pointer (&data->kind, g_free);
  g_clear_object (&data->legacy);
  g_clear_pointer (&data->value, secret_value_unref);
  g_free (data);
}

typedef struct {
  UnlockWait *wait;
  gint64      channel_id;
  GHashTable *attributes;
  /* Items from before database ids, deleted one after another. */
  GList      *legacy;
} ClearChannelData;

static void
clear_channel_data_free (ClearChannelData *data)
{
  g_clear_pointer (&data->wait, unlock_wait_free);
  g_clear_pointer (&data->attributes, g_hash_table_unref);
  g_list_free_full (data->legacy, g_object_unref);
  g_free (data);
}

static GHashTable *
new_attributes (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
}

/* With a %NULL @database_id, the attributes items had before databases had
 * ids, which also match every database's items: see is_legacy_item(). */
static GHashTable *
channel_attributes (const char *database_id,
                    gint64      channel_id,
                    const char *kind)
{
  GHashTable *attributes = new_attributes ();

  if (database_id != NULL)
    g_hash_table_insert (attributes, (gpointer) "database", g_strdup (database_id));
  g_hash_table_insert (attributes, (gpointer) "channel-id",
                       g_strdup_printf ("%" G_GINT64_FORMAT, channel_id));
  if (kind != NULL)
    g_hash_table_insert (attributes, (gpointer) "kind", g_strdup (kind));

  return attributes;
}

static GHashTable *
data_key_attributes (const char *database_id)
{
  GHashTable *attributes = new_attributes ();

  if (database_id != NULL)
    g_hash_table_insert (attributes, (gpointer) "database", g_strdup (database_id));
  g_hash_table_insert (attributes, (gpointer) "kind", g_strdup ("data-key"));

  return attributes;
}

static GError *
new_unavailable_error (void)
{
  return g_error_new_literal (PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_UNAVAILABLE,
                              _("The system keyring is not available. Picky Console keeps tokens "
                                "only there; start or unlock your keyring and try again."));
}

static GError *
new_locked_error (void)
{
  return g_error_new_literal (PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_LOCKED,
                              _("The system keyring is locked. Picky Console keeps tokens only "
                                "there; unlock your keyring and try again."));
}

static GError *
new_timed_out_error (const UnlockWait *wait)
{
  guint seconds = (wait->timeout_ms + 999) / 1000;

  return g_error_new (PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_LOCKED,
                      ngettext ("The system keyring is still locked: nobody answered its unlock "
                                "prompt within %u second. Picky Console keeps tokens only there; "
                                "unlock your keyring and try again.",
                                "The system keyring is still locked: nobody answered its unlock "
                                "prompt within %u seconds. Picky Console keeps tokens only there; "
                                "unlock your keyring and try again.",
                                seconds),
                      seconds);
}

/* Says what happened in words the admin can act on. libsecret and D-Bus
 * errors name services and object paths, never a secret, so the last case
 * may pass the original text on. */
static GError *
translate_error (GError *error)
{
  g_autoptr(GError) owned = error;

  /* libsecret gets no cancellable, so a cancelled call is an unlock
   * prompt that was dismissed. */
  if (error == NULL ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    return new_locked_error ();

  /* Not knowing the service, nobody owning its name, no bus to ask on at
   * all: the keyring is simply not there. */
  if ((error->domain == G_IO_ERROR && error->code != G_IO_ERROR_DBUS_ERROR) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_SERVER) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_EXEC_FAILED) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_EXITED) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_FAILED) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND))
    return new_unavailable_error ();

  g_dbus_error_strip_remote_error (error);
  return g_error_new (PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_FAILED,
                      _("The system keyring reported an error: %s"), error->message);
}

static gboolean
ensure_sodium (GError **error)
{
  if (sodium_init () < 0)
    {
      g_set_error_literal (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_FAILED,
                           _("The cryptography library could not be initialized."));
      return FALSE;
    }

  return TRUE;
}

/* The key lives in guarded memory that is wiped when the last reference goes. */
static GBytes *
decode_data_key (const char  *encoded,
                 GError     **error)
{
  gsize len = strlen (encoded);
  guchar *buffer;
  gsize decoded;
  int state = 0;
  guint save = 0;

  if (!ensure_sodium (error))
    return NULL;

  if (len == 0 || len > 64)
    goto damaged;

  buffer = sodium_malloc ((len / 4) * 3 + 3);
  decoded = g_base64_decode_step (encoded, len, buffer, &state, &save);
  if (decoded != PICKY_CIPHER_KEY_SIZE)
    {
      sodium_free (buffer);
      goto damaged;
    }

  return g_bytes_new_with_free_func (buffer, PICKY_CIPHER_KEY_SIZE, sodium_free, buffer);

damaged:
  /* Never replaced by a fresh key: rows encrypted with the old one would be
   * lost for good, and the keyring may yet be restored from a backup. */
  g_set_error_literal (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_FAILED,
                       _("The key that protects stored personal details is damaged in the "
                         "system keyring. Restore the keyring from a backup and try again."));
  return NULL;
}

static char *
label_for_secret (gint64      channel_id,
                  const char *kind)
{
  int id = (int) channel_id;

  if (g_strcmp0 (kind, "token") == 0)
    return g_strdup_printf (_("Picky Console: access token for channel %d"), id);
  if (g_strcmp0 (kind, "app-secret") == 0)
    return g_strdup_printf (_("Picky Console: app secret for channel %d"), id);
  if (g_strcmp0 (kind, "verify-token") == 0)
    return g_strdup_printf (_("Picky Console: webhook verification token for channel %d"), id);

  /* Translators: %s is the kind of secret, such as “device-key”; %d the number of a channel. */
  return g_strdup_printf (_("Picky Console: secret “%s” for channel %d"), kind, id);
}

/* A label is stored unencrypted and shown by every keyring manager, so it
 * must not hold the secret, not even by chance: "tok" is in "access token".
 * The caller's label is kept when it can be, else a plain one, else none,
 * which no secret can be part of. */
static char *
choose_label (const char *label,
              gint64      channel_id,
              const char *secret)
{
  g_autofree char *plain = NULL;

  if (strstr (label, secret) == NULL)
    return g_strdup (label);

  /* Translators: the name of a keyring item; %d is the number of a channel. */
  plain = g_strdup_printf (_("Picky Console channel %d"), (int) channel_id);
  if (strstr (plain, secret) == NULL)
    return g_steal_pointer (&plain);

  return g_strdup ("");
}

/* Looking up: a value, nothing, or a reason. libsecret answers "nothing"
 * both when no item exists and when the item stayed locked because an
 * unlock prompt was dismissed; a search that includes locked items tells
 * the two apart, so a locked keyring is never mistaken for an empty one. */

typedef struct {
  const SecretSchema *schema;
  GHashTable         *attributes;
} SearchData;

static void
search_data_free (SearchData *data)
{
  g_clear_pointer (&data->attributes, g_hash_table_unref);
  g_free (data);
}

static void
on_locked_search_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GList *items;
  gboolean locked = FALSE;

  items = secret_service_search_finish (NULL, result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, translate_error (g_steal_pointer (&error)));
      return;
    }

  for (GList *l = items; l != NULL; l = l->next)
    locked |= secret_item_get_locked (l->data);
  g_list_free_full (items, g_object_unref);

  if (locked)
    g_task_return_error (task, new_locked_error ());
  else
    g_task_return_pointer (task, NULL, NULL);
}

static void
on_lookup_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SearchData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  char *value;

  value = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, translate_error (g_steal_pointer (&error)));
      return;
    }

  if (value != NULL)
    {
      g_task_return_pointer (task, value, (GDestroyNotify) secret_password_free);
      return;
    }

  secret_service_search (NULL, data->schema, data->attributes, SECRET_SEARCH_ALL,
                         NULL, on_locked_search_cb, g_steal_pointer (&task));
}

/* Not cancellable, like every libsecret call here: the caller's task
 * gives up on it instead (see UnlockWait). */
static void
lookup_value_async (PickyVault          *self,
                    const SecretSchema  *schema,
                    GHashTable          *attributes,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  SearchData *data = g_new0 (SearchData, 1);

  data->schema = schema;
  data->attributes = g_hash_table_ref (attributes);
  g_task_set_source_tag (task, lookup_value_async);
  g_task_set_task_data (task, data, (GDestroyNotify) search_data_free);

  secret_password_lookupv (schema, attributes, NULL, on_lookup_cb, g_steal_pointer (&task));
}

/* Returns: (transfer full) (nullable): the value, to be freed with
 * secret_password_free(), or %NULL when nothing is stored */
static char *
lookup_value_finish (PickyVault    *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Items from before database ids: they carry the same schema and
 * attributes but no "database", and a search for them also finds every
 * database's items, so those are left out here. Such an item belongs to
 * whichever database asks for it first: a channel secret is moved to that
 * database (see on_legacy_secret_found_cb()), or deleted with its channel;
 * the data key is copied and kept, since every database made before ids
 * was sealed with that one key. */

static gboolean
is_legacy_item (SecretItem *item)
{
  g_autoptr(GHashTable) attributes = secret_item_get_attributes (item);

  return !g_hash_table_contains (attributes, "database");
}

static void
on_legacy_search_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GList *items;
  GList *legacy = NULL;
  gboolean locked = FALSE;

  items = secret_service_search_finish (NULL, result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, translate_error (g_steal_pointer (&error)));
      return;
    }

  for (GList *l = items; l != NULL; l = l->next)
    if (is_legacy_item (l->data))
      {
        locked |= secret_item_get_locked (l->data);
        legacy = g_list_prepend (legacy, g_object_ref (l->data));
      }
  g_list_free_full (items, g_object_unref);

  /* Still locked: an unlock prompt was dismissed. */
  if (locked)
    {
      g_list_free_full (legacy, g_object_unref);
      g_task_return_error (task, new_locked_error ());
      return;
    }

  g_task_return_pointer (task, g_list_reverse (legacy), NULL);
}

/* Not cancellable, like every libsecret call here. The items come with
 * their secrets loaded. */
static void
find_legacy_items_async (PickyVault          *self,
                         const SecretSchema  *schema,
                         GHashTable          *attributes,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, find_legacy_items_async);
  secret_service_search (NULL, schema, attributes,
                         SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK | SECRET_SEARCH_LOAD_SECRETS,
                         NULL, on_legacy_search_cb, g_steal_pointer (&task));
}

/* Returns: (transfer full) (element-type SecretItem): the items, possibly
 * none, or %NULL with @error set */
static GList *
find_legacy_items_finish (PickyVault    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The text of @item's secret, which a search loaded, or %NULL. */
static SecretValue *
dup_item_text (SecretItem *item)
{
  SecretValue *value = secret_item_get_secret (item);

  if (value != NULL && secret_value_get_text (value) == NULL)
    g_clear_pointer (&value, secret_value_unref);

  return value;
}

/* The data key */

static void start_next_key_task (PickyVault *self);

/* The head of the queue leaves it only when libsecret answered for it,
 * even if its caller gave up earlier: a key it was still storing must be
 * stored before the next caller looks, or that one would make another. */
static void
finish_key_task (PickyVault *self,
                 GBytes     *key,
                 GError     *error)
{
  g_autoptr(GTask) task = g_queue_pop_head (&self->key_tasks);
  KeyData *data = g_task_get_task_data (task);

  /* The next caller looks up again and finds what this one created. */
  if (!g_queue_is_empty (&self->key_tasks))
    start_next_key_task (self);

  if (!unlock_wait_claim (data->wait))
    {
      /* Never handed out, so nothing was encrypted with it. */
      g_clear_pointer (&key, g_bytes_unref);
      g_clear_error (&error);
      return;
    }

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, key, (GDestroyNotify) g_bytes_unref);
}

static void
give_up_key_task (GTask  *task,
                  GError *error)
{
  PickyVault *self = g_task_get_source_object (task);

  /* One still waiting for its turn has asked libsecret nothing yet. */
  if (task != g_queue_peek_head (&self->key_tasks) &&
      g_queue_remove (&self->key_tasks, task))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  g_task_return_error (task, error);
}

static void
on_key_stored_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PickyVault *self = user_data;
  GTask *task = g_queue_peek_head (&self->key_tasks);
  KeyData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      finish_key_task (self, NULL, translate_error (g_steal_pointer (&error)));
      g_object_unref (self);
      return;
    }

  finish_key_task (self, g_steal_pointer (&data->key), NULL);
  g_object_unref (self);
}

/* Stores data->key as this database's key; the task is answered once it
 * is stored. */
static void
store_data_key (PickyVault *self,
                GTask      *task)
{
  KeyData *data = g_task_get_task_data (task);
  g_autoptr(GHashTable) attributes = data_key_attributes (self->database_id);
  char *encoded;

  /* libsecret copies the value at once, so its text form lives only here. */
  encoded = g_base64_encode (g_bytes_get_data (data->key, NULL), PICKY_CIPHER_KEY_SIZE);
  secret_password_storev (&data_key_schema, attributes, SECRET_COLLECTION_DEFAULT,
                          _("Picky Console: key that protects stored personal details"),
                          encoded, NULL, on_key_stored_cb, g_object_ref (self));
  sodium_memzero (encoded, strlen (encoded));
  g_free (encoded);
}

static GError *
new_key_missing_error (void)
{
  return g_error_new_literal (PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_KEY_MISSING,
                              _("The key that protects stored personal details is "
                                "missing from the system keyring, so they cannot be "
                                "read. Restore the keyring from a backup, or unlock "
                                "the right keyring, and try again."));
}

/* The key every database shared before they had ids: a database with
 * sealed rows and no key of its own was sealed with it. It is copied to
 * the database and kept for the others. */
static void
on_legacy_key_found_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  PickyVault *self = PICKY_VAULT (object);
  GTask *task = g_queue_peek_head (&self->key_tasks);
  KeyData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(SecretValue) value = NULL;
  GList *items;

  items = find_legacy_items_finish (self, result, &error);
  if (error != NULL)
    {
      finish_key_task (self, NULL, g_steal_pointer (&error));
      return;
    }

  if (items != NULL)
    value = dup_item_text (items->data);
  g_list_free_full (items, g_object_unref);
  if (value == NULL || data->wait->answered)
    {
      finish_key_task (self, NULL, new_key_missing_error ());
      return;
    }

  data->key = decode_data_key (secret_value_get_text (value), &error);
  if (data->key == NULL)
    {
      finish_key_task (self, NULL, g_steal_pointer (&error));
      return;
    }

  store_data_key (self, task);
}

static void
on_key_lookup_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PickyVault *self = PICKY_VAULT (object);
  GTask *task = g_queue_peek_head (&self->key_tasks);
  KeyData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GBytes *key;
  char *value;

  value = lookup_value_finish (self, result, &error);
  if (error != NULL)
    {
      finish_key_task (self, NULL, g_steal_pointer (&error));
      return;
    }

  if (value != NULL)
    {
      key = decode_data_key (value, &error);
      secret_password_free (value);
      finish_key_task (self, key, g_steal_pointer (&error));
      return;
    }

  /* A caller that gave up gets no key, so none is made for it. */
  if (data->wait->answered)
    {
      finish_key_task (self, NULL, new_key_missing_error ());
      return;
    }

  /* Something is sealed, so with some key: the shared one of before ids,
   * or none left. A database with nothing sealed gets a key of its own
   * instead of the shared one. */
  if (!data->may_create)
    {
      g_autoptr(GHashTable) legacy = data_key_attributes (NULL);

      find_legacy_items_async (self, &data_key_schema, legacy, on_legacy_key_found_cb, NULL);
      return;
    }

  data->key = picky_cipher_generate_key ();
  self->created_data_key = TRUE;
  store_data_key (self, task);
}

static void
start_next_key_task (PickyVault *self)
{
  g_autoptr(GHashTable) attributes = data_key_attributes (self->database_id);

  lookup_value_async (self, &data_key_schema, attributes, on_key_lookup_cb, NULL);
}

/**
 * picky_vault_created_data_key:
 * @self: a vault
 *
 * Returns: whether this vault created the data key in the keyring (rather
 *   than finding one), so that the creation can be recorded once the
 *   store is open
 */
gboolean
picky_vault_created_data_key (PickyVault *self)
{
  g_return_val_if_fail (PICKY_IS_VAULT (self), FALSE);

  return self->created_data_key;
}

/* Channel secrets */

static void
on_secret_stored_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  gboolean stored = secret_password_store_finish (result, &error);

  if (!unlock_wait_claim (g_task_get_task_data (task)))
    return;

  if (!stored)
    g_task_return_error (task, translate_error (g_steal_pointer (&error)));
  else
    g_task_return_boolean (task, TRUE);
}

/* The item from before ids is gone, or stays if it could not be deleted;
 * either way this database has its copy now. */
static void
on_legacy_secret_deleted_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LookupSecretData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!secret_item_delete_finish (SECRET_ITEM (object), result, &error))
    g_debug ("A secret from before database ids stays in the keyring: %s", error->message);

  if (unlock_wait_claim (data->wait))
    g_task_return_pointer (task, g_strdup (secret_value_get_text (data->value)), g_free);
}

static void
on_legacy_secret_copied_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LookupSecretData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* The old item stays until the copy is stored, so a failure loses
   * nothing; once it is, the old one goes even if the caller gave up, or
   * another database could take it over too. */
  if (!secret_password_store_finish (result, &error))
    {
      if (unlock_wait_claim (data->wait))
        g_task_return_error (task, translate_error (g_steal_pointer (&error)));
      return;
    }

  secret_item_delete (data->legacy, NULL, on_legacy_secret_deleted_cb, g_steal_pointer (&task));
}

static void
on_legacy_secret_found_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  PickyVault *self = PICKY_VAULT (object);
  g_autoptr(GTask) task = user_data;
  LookupSecretData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *label = NULL;
  GList *items;

  items = find_legacy_items_finish (self, result, &error);
  if (data->wait->answered)
    {
      g_list_free_full (items, g_object_unref);
      return;
    }
  if (error != NULL)
    {
      unlock_wait_claim (data->wait);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (items != NULL)
    {
      data->value = dup_item_text (items->data);
      data->legacy = g_object_ref (items->data);
    }
  g_list_free_full (items, g_object_unref);
  if (data->value == NULL)
    {
      unlock_wait_claim (data->wait);
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  /* Taken over by this database: stored with its id, under the label it
   * had, then deleted. */
  attributes = channel_attributes (self->database_id, data->channel_id, data->kind);
  label = secret_item_get_label (data->legacy);
  secret_password_storev (&secret_schema, attributes, SECRET_COLLECTION_DEFAULT, label,
                          secret_value_get_text (data->value), NULL,
                          on_legacy_secret_copied_cb, g_steal_pointer (&task));
}

static void
on_secret_lookup_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  PickyVault *self = PICKY_VAULT (object);
  g_autoptr(GTask) task = user_data;
  LookupSecretData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) legacy = NULL;
  char *value;

  value = lookup_value_finish (self, result, &error);
  if (data->wait->answered)
    {
      if (value != NULL)
        secret_password_free (value);
      return;
    }

  if (error != NULL)
    {
      unlock_wait_claim (data->wait);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (value != NULL)
    {
      /* Callers free with g_free(); the copy leaves libsecret's wiped memory. */
      unlock_wait_claim (data->wait);
      g_task_return_pointer (task, g_strdup (value), g_free);
      secret_password_free (value);
      return;
    }

  /* Not stored for this database: perhaps by a version from before ids. */
  legacy = channel_attributes (NULL, data->channel_id, data->kind);
  find_legacy_items_async (self, &secret_schema, legacy, on_legacy_secret_found_cb, g_steal_pointer (&task));
}

static void
on_remaining_search_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClearChannelData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GList *items;
  gboolean remaining;

  items = secret_service_search_finish (NULL, result, &error);
  remaining = items != NULL;
  g_list_free_full (items, g_object_unref);
  if (!unlock_wait_claim (data->wait))
    return;

  if (error != NULL)
    {
      g_task_return_error (task, translate_error (g_steal_pointer (&error)));
      return;
    }

  /* libsecret deletes only unlocked items; one left behind is locked. */
  if (remaining)
    g_task_return_error (task, new_locked_error ());
  else
    g_task_return_boolean (task, TRUE);
}

static void
delete_next_legacy (GTask *task);

static void
on_legacy_deleted_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClearChannelData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!secret_item_delete_finish (SECRET_ITEM (object), result, &error))
    {
      if (unlock_wait_claim (data->wait))
        g_task_return_error (task, translate_error (g_steal_pointer (&error)));
      return;
    }

  delete_next_legacy (g_steal_pointer (&task));
}

/* Then this database's items, which the search made sure are gone. */
static void
delete_next_legacy (GTask *task)
{
  ClearChannelData *data = g_task_get_task_data (task);
  SecretItem *item;

  if (data->legacy == NULL)
    {
      secret_service_search (NULL, &secret_schema, data->attributes, SECRET_SEARCH_ALL,
                             NULL, on_remaining_search_cb, task);
      return;
    }

  item = data->legacy->data;
  data->legacy = g_list_delete_link (data->legacy, data->legacy);
  secret_item_delete (item, NULL, on_legacy_deleted_cb, task);
  g_object_unref (item);
}

/* A channel's secrets from before ids go with it: the database that removes
 * the channel is the first to ask for them. */
static void
on_legacy_to_clear_found_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClearChannelData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->legacy = find_legacy_items_finish (PICKY_VAULT (object), result, &error);
  if (data->wait->answered)
    return;
  if (error != NULL)
    {
      unlock_wait_claim (data->wait);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  delete_next_legacy (g_steal_pointer (&task));
}

static void
on_channel_cleared_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PickyVault *self = g_task_get_source_object (task);
  ClearChannelData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) legacy = NULL;

  /* FALSE without an error only means there was nothing to delete. */
  secret_password_clear_finish (result, &error);
  if (data->wait->answered)
    return;

  if (error != NULL)
    {
      unlock_wait_claim (data->wait);
      g_task_return_error (task, translate_error (g_steal_pointer (&error)));
      return;
    }

  legacy = channel_attributes (NULL, data->channel_id, NULL);
  find_legacy_items_async (self, &secret_schema, legacy, on_legacy_to_clear_found_cb, g_steal_pointer (&task));
}

static void
picky_vault_dispose (GObject *object)
{
  PickyVault *self = PICKY_VAULT (object);

  /* Every queued task holds a reference, so the queue is empty here. */
  g_warn_if_fail (g_queue_is_empty (&self->key_tasks));

  G_OBJECT_CLASS (picky_vault_parent_class)->dispose (object);
}

static void
picky_vault_finalize (GObject *object)
{
  PickyVault *self = PICKY_VAULT (object);

  g_clear_pointer (&self->database_id, g_free);

  G_OBJECT_CLASS (picky_vault_parent_class)->finalize (object);
}

static void
picky_vault_class_init (PickyVaultClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_vault_dispose;
  object_class->finalize = picky_vault_finalize;
}

static void
picky_vault_init (PickyVault *self)
{
  g_queue_init (&self->key_tasks);
  self->unlock_timeout_ms = default_unlock_timeout_ms;
}

/**
 * picky_vault_check_secret:
 * @kind: what the secret is, such as "access-token", for the message
 * @secret: (nullable): the value to be stored
 * @error: return location for %PICKY_VAULT_ERROR_INVALID_SECRET
 *
 * Refuses values no provider issues: empty ones, ones shorter than
 * %PICKY_VAULT_MIN_SECRET_LENGTH characters, and ones holding a line break
 * or another control character, which a paste or a script got wrong.
 * The message names @kind, never the value.
 *
 * Returns: whether @secret may be stored
 */
gboolean
picky_vault_check_secret (const char  *kind,
                          const char  *secret,
                          GError     **error)
{
  g_return_val_if_fail (kind != NULL, FALSE);

  if (secret == NULL || secret[0] == '\0')
    {
      g_set_error (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_INVALID_SECRET,
                   _("The secret “%s” is empty"), kind);
      return FALSE;
    }

  for (const char *c = secret; *c != '\0'; c++)
    if (g_ascii_iscntrl (*c))
      {
        g_set_error (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_INVALID_SECRET,
                     _("The secret “%s” contains a line break or another control character"),
                     kind);
        return FALSE;
      }

  if (!g_utf8_validate (secret, -1, NULL) || g_utf8_strlen (secret, -1) < PICKY_VAULT_MIN_SECRET_LENGTH)
    {
      g_set_error (error, PICKY_VAULT_ERROR, PICKY_VAULT_ERROR_INVALID_SECRET,
                   ngettext ("The secret “%s” is too short to be a real one: it needs at least %d character",
                             "The secret “%s” is too short to be a real one: it needs at least %d characters",
                             PICKY_VAULT_MIN_SECRET_LENGTH),
                   kind, PICKY_VAULT_MIN_SECRET_LENGTH);
      return FALSE;
    }

  return TRUE;
}

/**
 * picky_vault_new:
 * @database_id: (nullable): the id of the database whose secrets these are,
 *   from picky_store_get_database_id(), or %NULL to set it later with
 *   picky_vault_set_database_id()
 *
 * Nothing is asked of the keyring until the first call. Every item the
 * vault stores, finds or deletes carries the database's id, so several
 * data folders can share one keyring; a copy of a folder has the same id,
 * and so shares its tokens and data key with the original.
 *
 * Returns: (transfer full): a new vault
 */
PickyVault *
picky_vault_new (const char *database_id)
{
  PickyVault *self = g_object_new (PICKY_TYPE_VAULT, NULL);

  if (database_id != NULL)
    picky_vault_set_database_id (self, database_id);

  return self;
}

/**
 * picky_vault_set_database_id:
 * @self: a vault
 * @database_id: the id of the database whose secrets these are
 *
 * For a vault made before its database was known: the service makes its
 * vault at once, and learns the id when it opens the file. A vault serves
 * one database for good, so the id is set once (again with the same value
 * is allowed), before the first call that needs it.
 */
void
picky_vault_set_database_id (PickyVault *self,
                             const char *database_id)
{
  g_return_if_fail (PICKY_IS_VAULT (self));
  g_return_if_fail (database_id != NULL && database_id[0] != '\0');
  g_return_if_fail (self->database_id == NULL || g_str_equal (self->database_id, database_id));

  if (self->database_id == NULL)
    self->database_id = g_strdup (database_id);
}

/**
 * picky_vault_get_database_id:
 * @self: a vault
 *
 * Returns: (nullable): the id of the database whose secrets these are
 */
const char *
picky_vault_get_database_id (PickyVault *self)
{
  g_return_val_if_fail (PICKY_IS_VAULT (self), NULL);

  return self->database_id;
}

/**
 * picky_vault_set_default_unlock_timeout:
 * @seconds: how long calls of vaults made from now on wait for the keyring
 *   to be unlocked, or 0 for no limit
 *
 * Sets, for the whole process, what picky_vault_set_unlock_timeout() sets
 * for one vault; the command line's --keyring-timeout.
 */
void
picky_vault_set_default_unlock_timeout (guint seconds)
{
  g_return_if_fail (seconds <= G_MAXUINT / 1000);

  default_unlock_timeout_ms = seconds * 1000;
}

/**
 * picky_vault_get_unlock_timeout:
 * @self: a vault
 *
 * Returns: how many seconds a call waits for the keyring to be unlocked,
 *   or 0 for no limit
 */
guint
picky_vault_get_unlock_timeout (PickyVault *self)
{
  g_return_val_if_fail (PICKY_IS_VAULT (self), 0);

  return self->unlock_timeout_ms / 1000;
}

/**
 * picky_vault_set_unlock_timeout:
 * @self: a vault
 * @seconds: how long a call may wait, or 0 for no limit;
 *   %PICKY_VAULT_DEFAULT_UNLOCK_TIMEOUT unless set
 *
 * A locked keyring asks for its password in a prompt, and libsecret waits
 * for the answer without end. A call that is not answered within @seconds
 * dismisses its prompt and fails with %PICKY_VAULT_ERROR_LOCKED, saying so.
 * Calls made from now on use the new limit.
 */
void
picky_vault_set_unlock_timeout (PickyVault *self,
                                guint       seconds)
{
  g_return_if_fail (PICKY_IS_VAULT (self));
  g_return_if_fail (seconds <= G_MAXUINT / 1000);

  self->unlock_timeout_ms = seconds * 1000;
}

/**
 * picky_vault_get_data_key_async:
 * @self: a vault
 * @may_create: whether a key may be created when none is stored; only
 *   %TRUE while no encrypted data exists
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the key is known
 * @user_data: data for @callback
 *
 * Looks up the key that encrypts personal details at rest. Calls are
 * served one after another, so concurrent first calls agree on one key.
 */
void
picky_vault_get_data_key_async (PickyVault          *self,
                                gboolean             may_create,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;
  KeyData *data;

  g_return_if_fail (PICKY_IS_VAULT (self));
  g_return_if_fail (self->database_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_vault_get_data_key_async);
  data = g_new0 (KeyData, 1);
  data->may_create = !!may_create;
  /* The clock runs from the call: time spent behind another caller's
   * prompt counts too. */
  data->wait = unlock_wait_new (self, task, give_up_key_task);
  g_task_set_task_data (task, data, (GDestroyNotify) key_data_free);

  g_queue_push_tail (&self->key_tasks, task);
  if (g_queue_get_length (&self->key_tasks) == 1)
    start_next_key_task (self);
}

/**
 * picky_vault_get_data_key_finish:
 * @self: a vault
 * @result: the result passed to the callback
 * @error: return location for a #PICKY_VAULT_ERROR
 *
 * Returns: (transfer full): the 32-byte key, in memory that is wiped when
 * freed, or %NULL with @error set
 */
GBytes *
picky_vault_get_data_key_finish (PickyVault    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (PICKY_IS_VAULT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == picky_vault_get_data_key_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_vault_store_secret_with_label_async:
 * @self: a vault
 * @channel_id: the channel the secret belongs to, a positive 32-bit number
 * @kind: what the secret is, such as "token" or "app-secret"
 * @label: the item's name as keyring managers show it; if it contains
 *   the secret, a plainer one is used
 * @secret: the secret, as picky_vault_check_secret() accepts it
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the secret is stored
 * @user_data: data for @callback
 *
 * Like picky_vault_store_secret_async(), for a channel that can name its
 * secret better, such as "Picky Console: Telegram bot token for channel 3".
 * Finish with picky_vault_store_secret_finish(); a secret that
 * picky_vault_check_secret() refuses ends it with that error.
 */
void
picky_vault_store_secret_with_label_async (PickyVault          *self,
                                           gint64               channel_id,
                                           const char          *kind,
                                           const char          *label,
                                           const char          *secret,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *safe_label = NULL;
  UnlockWait *wait;
  GError *error = NULL;

  g_return_if_fail (PICKY_IS_VAULT (self));
  g_return_if_fail (self->database_id != NULL);
  g_return_if_fail (channel_id > 0 && channel_id <= G_MAXINT);
  g_return_if_fail (kind != NULL && kind[0] != '\0');
  g_return_if_fail (label != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_vault_store_secret_async);

  /* The value comes from the admin, so a bad one is a runtime error that
   * reaches the callback, never a precondition that would skip it. */
  if (!picky_vault_check_secret (kind, secret, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  wait = unlock_wait_new (self, task, give_up_call);
  g_task_set_task_data (task, wait, (GDestroyNotify) unlock_wait_free);

  /* An item with the same attributes is replaced, not duplicated. */
  attributes = channel_attributes (self->database_id, channel_id, kind);
  safe_label = choose_label (label, channel_id, secret);
  secret_password_storev (&secret_schema, attributes, SECRET_COLLECTION_DEFAULT,
                          safe_label, secret, NULL,
                          on_secret_stored_cb, g_steal_pointer (&task));
}

/**
 * picky_vault_store_secret_async:
 * @self: a vault
 * @channel_id: the channel the secret belongs to, a positive 32-bit number
 * @kind: what the secret is, such as "token" or "app-secret"
 * @secret: the secret
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the secret is stored
 * @user_data: data for @callback
 *
 * Stores @secret in the default keyring, replacing the channel's earlier
 * secret of the same kind.
 */
void
picky_vault_store_secret_async (PickyVault          *self,
                                gint64               channel_id,
                                const char          *kind,
                                const char          *secret,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autofree char *label = NULL;

  g_return_if_fail (PICKY_IS_VAULT (self));
  g_return_if_fail (channel_id > 0 && channel_id <= G_MAXINT);
  g_return_if_fail (kind != NULL && kind[0] != '\0');

  label = label_for_secret (channel_id, kind);
  picky_vault_store_secret_with_label_async (self, channel_id, kind, label, secret,
                                             cancellable, callback, user_data);
}

gboolean
picky_vault_store_secret_finish (PickyVault    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (PICKY_IS_VAULT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == picky_vault_store_secret_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * picky_vault_lookup_secret_async:
 * @self: a vault
 * @channel_id: the channel the secret belongs to
 * @kind: what the secret is, such as "token"
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the lookup is done
 * @user_data: data for @callback
 *
 * Looks up a channel's secret; a locked keyring is an error, not an
 * absent secret.
 */
void
picky_vault_lookup_secret_async (PickyVault          *self,
                                 gint64               channel_id,
                                 const char          *kind,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  LookupSecretData *data;

  g_return_if_fail (PICKY_IS_VAULT (self));
  g_return_if_fail (self->database_id != NULL);
  g_return_if_fail (channel_id > 0 && channel_id <= G_MAXINT);
  g_return_if_fail (kind != NULL && kind[0] != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_vault_lookup_secret_async);
  data = g_new0 (LookupSecretData, 1);
  data->wait = unlock_wait_new (self, task, give_up_call);
  data->channel_id = channel_id;
  data->kind = g_strdup (kind);
  g_task_set_task_data (task, data, (GDestroyNotify) lookup_secret_data_free);

  attributes = channel_attributes (self->database_id, channel_id, kind);
  lookup_value_async (self, &secret_schema, attributes, on_secret_lookup_cb, g_steal_pointer (&task));
}

/**
 * picky_vault_lookup_secret_finish:
 * @self: a vault
 * @result: the result passed to the callback
 * @error: return location for a #PICKY_VAULT_ERROR
 *
 * Returns: (transfer full) (nullable): the secret, or %NULL with no error
 * when none is stored
 */
char *
picky_vault_lookup_secret_finish (PickyVault    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (PICKY_IS_VAULT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == picky_vault_lookup_secret_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_vault_clear_channel_async:
 * @self: a vault
 * @channel_id: the channel whose secrets go
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the secrets are gone
 * @user_data: data for @callback
 *
 * Deletes every secret of the channel, of every kind; for a channel that
 * is removed. Having nothing to delete is no error.
 */
void
picky_vault_clear_channel_async (PickyVault          *self,
                                 gint64               channel_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  ClearChannelData *data;

  g_return_if_fail (PICKY_IS_VAULT (self));
  g_return_if_fail (self->database_id != NULL);
  g_return_if_fail (channel_id > 0 && channel_id <= G_MAXINT);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_vault_clear_channel_async);

  attributes = channel_attributes (self->database_id, channel_id, NULL);
  data = g_new0 (ClearChannelData, 1);
  data->wait = unlock_wait_new (self, task, give_up_call);
  data->channel_id = channel_id;
  data->attributes = g_hash_table_ref (attributes);
  g_task_set_task_data (task, data, (GDestroyNotify) clear_channel_data_free);
  secret_password_clearv (&secret_schema, attributes, NULL,
                          on_channel_cleared_cb, g_steal_pointer (&task));
}

gboolean
picky_vault_clear_channel_finish (PickyVault    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (PICKY_IS_VAULT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == picky_vault_clear_channel_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
