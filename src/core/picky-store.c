/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The message store: SQLite on its own worker thread behind an async API. */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "picky-main-context.h"
#include "picky-store.h"
#include "picky-store-private.h"

/* Write jobs found waiting together are committed in one transaction; this
 * bounds how long the first of them waits for the last. */
#define MAX_GROUP 256

typedef enum {
  STMT_INSERT_MESSAGE,
  STMT_FIND_MESSAGE,
  STMT_EDIT_MESSAGE,
  STMT_SET_STATUS,
  STMT_SEAL_MESSAGE,
  STMT_FIND_CONTACT,
  STMT_GET_CONTACT,
  STMT_INSERT_CONTACT,
  STMT_SET_CONTACT_PROVIDER_ID,
  STMT_SET_CONTACT_NAME,
  STMT_SET_CONTACT_PHONE,
  STMT_SET_CONTACT_PENDING,
  STMT_ADD_CONTACT_DAY,
  STMT_ADD_DAILY,
  STMT_ADD_CONTACT_HOUR,
  STMT_ADD_RESPONSE_HOUR,
  STMT_SET_STATE,
  N_STMTS
} StmtId;

#define CONTACT_COLUMNS "id, app, provider_id_enc, name_enc, phone_enc, pending_since"
#define MESSAGE_COLUMNS \
  "m.id, m.channel_id, m.provider_key_enc, m.contact_id, m.direction, m.kind, m.text," \
  " m.media, m.related_key_enc, m.timestamp, m.received, m.status, m.error, m.edited, m.unread"

static const char *stmt_sql[N_STMTS] = {
  [STMT_INSERT_MESSAGE] = picky_store_sql_insert_message,
  [STMT_FIND_MESSAGE] = "SELECT id, status FROM messages WHERE channel_id = ?1 AND key_hash = ?2",
  [STMT_EDIT_MESSAGE] = "UPDATE messages SET text = ?3, edited = 1"
                        " WHERE channel_id = ?1 AND key_hash = ?2 RETURNING id",
  [STMT_SET_STATUS] = "UPDATE messages SET status = ?2, error = ?3 WHERE id = ?1",
  [STMT_SEAL_MESSAGE] = picky_store_sql_seal_message,
  [STMT_FIND_CONTACT] = "SELECT " CONTACT_COLUMNS " FROM contacts WHERE provider_hash = ?1",
  [STMT_GET_CONTACT] = "SELECT " CONTACT_COLUMNS " FROM contacts WHERE id = ?1",
  [STMT_INSERT_CONTACT] = picky_store_sql_insert_contact,
  [STMT_SET_CONTACT_PROVIDER_ID] = picky_store_sql_set_contact_provider_id,
  [STMT_SET_CONTACT_NAME] = picky_store_sql_set_contact_name,
  [STMT_SET_CONTACT_PHONE] = picky_store_sql_set_contact_phone,
  [STMT_SET_CONTACT_PENDING] = picky_store_sql_set_contact_pending,
  [STMT_ADD_CONTACT_DAY] = picky_store_sql_add_contact_day,
  [STMT_ADD_DAILY] = picky_store_sql_add_daily,
  [STMT_ADD_CONTACT_HOUR] = picky_store_sql_add_contact_hour,
  [STMT_ADD_RESPONSE_HOUR] = picky_store_sql_add_response_hour,
  [STMT_SET_STATE] = "INSERT INTO channel_state (channel_id, key, value) VALUES (?1, ?2, ?3)"
                     " ON CONFLICT (channel_id, key) DO UPDATE SET value = excluded.value",
};

typedef struct {
  gint64 id;
  char *app;
  char *provider_id;
  char *name;
  char *phone;
  gboolean has_pending;
  gint64 pending_since;
} Contact;

typedef struct {
  char *app;
  gboolean removed;
} Channel;

/* Everything the worker thread owns. Only that thread touches it, so none of
 * it needs a lock; it outlives the PickyStore when the last reference to the
 * store is dropped on the worker thread itself. */
typedef struct {
  GAsyncQueue *queue;
  char *path;
  sqlite3 *db;
  PickyCipher *cipher;
  GMainContext *context;
  sqlite3_stmt *stmts[N_STMTS];
  GHashTable *channels;          /* gint64* → Channel* */
  GHashTable *contacts_by_key;   /* "app\x1fprovider id" → Contact* */
  GHashTable *contacts_by_id;    /* gint64* → Contact*, borrowed from the above */
  /* The stored details do not open with this cipher: contacts are found by
   * keyed hashes, so writing on would make a second copy of each. */
  gboolean wrong_key;
} Worker;

typedef struct _Job Job;
/* A job either runs alone (run) or is one write of a group commit (write,
 * then done once the group is durable). */
typedef void     (*JobRun)   (Worker *w, GTask *task);
typedef gboolean (*JobWrite) (Worker *w, GTask *task, GError **error);
typedef void     (*JobDone)  (Worker *w, GTask *task);

struct _Job {
  JobRun run;
  JobWrite write;
  JobDone done;
  GTask *task;
  GError *error;
  gboolean stop;
};

struct _PickyStore
{
  GObject parent_instance;

  GAsyncQueue *queue;
  GThread *thread;
  gboolean closed;
};

G_DEFINE_FINAL_TYPE (PickyStore, picky_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (picky-store-error-quark, picky_store_error)

enum {
  MESSAGES_ADDED,
  MESSAGES_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  GPtrArray *batch;
  gint64 state_channel;
  char *state_key;
  char *state_value;
  GPtrArray *added;
} IngestArgs;

typedef struct {
  PickyPageQuery query;
  GStrv apps;                    /* the query's own copy */
  char *text;
} PageArgs;

static void
contact_free (gpointer data)
{
  Contact *contact = data;

  g_free (contact->app);
  g_free (contact->provider_id);
  g_free (contact->name);
  g_free (contact->phone);
  g_free (contact);
}

static void
channel_free (gpointer data)
{
  Channel *channel = data;

  g_free (channel->app);
  g_free (channel);
}

static void
ingest_args_free (gpointer data)
{
  IngestArgs *ingest = data;

  g_clear_pointer (&ingest->batch, g_ptr_array_unref);
  g_clear_pointer (&ingest->added, g_ptr_array_unref);
  g_free (ingest->state_key);
  g_free (ingest->state_value);
  g_free (ingest);
}

static void
page_args_free (gpointer data)
{
  PageArgs *page = data;

  g_strfreev (page->apps);
  g_free (page->text);
  g_free (page);
}

static gint64
floor_day (gint64 timestamp)
{
  gint64 day = timestamp / PICKY_STORE_DAY;

  return (timestamp % PICKY_STORE_DAY < 0) ? day - 1 : day;
}

static gint64
floor_hour (gint64 timestamp)
{
  gint64 hour = timestamp / 3600;

  return (timestamp % 3600 < 0) ? hour - 1 : hour;
}

/* Digits only, with a leading "+" kept: "+49 (30) 1234-5" and "+49301234 5"
 * are one number and must hash alike. */
static char *
normalize_phone (const char *phone)
{
  GString *out = g_string_new (NULL);

  for (const char *p = phone; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        g_string_append_c (out, *p);
      else if (*p == '+' && out->len == 0)
        g_string_append_c (out, '+');
    }

  return g_string_free (out, FALSE);
}

static gboolean
set_closed_error (GError **error)
{
  g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED,
               _("The message database is closed"));
  return FALSE;
}

/* ---- Worker thread: statements ---- */

static sqlite3_stmt *
worker_stmt (Worker *w,
             StmtId  id)
{
  sqlite3_stmt *stmt = w->stmts[id];

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return stmt;
}

/* Returns SQLITE_ROW or SQLITE_DONE, or 0 with @error set. */
static int
worker_step (Worker        *w,
             sqlite3_stmt  *stmt,
             GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;

  /* Report the step's own result: reset returns it again, and the
   * connection's error code may already be overwritten. */
  rc = sqlite3_reset (stmt);
  picky_store_set_sqlite_error (error, w->db, rc != SQLITE_OK ? rc : SQLITE_ERROR);
  return 0;
}

/* Steps through result rows after a prepare that left @rc; the final
 * result, SQLITE_DONE when all went well, stays in @rc. */
static gboolean
next_row (sqlite3_stmt *stmt,
          int          *rc)
{
  if (*rc != SQLITE_OK && *rc != SQLITE_ROW)
    return FALSE;

  *rc = sqlite3_step (stmt);
  return *rc == SQLITE_ROW;
}

/* A statement run once: prepared here, stepped and finalized by
 * worker_finish(). Returns NULL with @error set when it does not compile. */
static sqlite3_stmt *
worker_prepare (Worker      *w,
                const char  *sql,
                GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (w->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    picky_store_set_sqlite_error (error, w->db, rc);

  return stmt;
}

/* Runs @stmt from worker_prepare() to its end and finalizes it. Returns the
 * number of rows it changed, or -1 with @error set from the step's own
 * result. */
static gint64
worker_finish (Worker        *w,
               sqlite3_stmt  *stmt,
               GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return -1;
    }

  return sqlite3_changes64 (w->db);
}

/* Runs @sql with ?1 bound to @value; returns the number of rows changed, or -1. */
static gint64
worker_exec_int (Worker      *w,
                 const char  *sql,
                 gint64       value,
                 GError     **error)
{
  sqlite3_stmt *stmt = worker_prepare (w, sql, error);

  if (stmt == NULL)
    return -1;

  sqlite3_bind_int64 (stmt, 1, value);
  return worker_finish (w, stmt, error);
}

static gboolean
worker_run_done (Worker        *w,
                 sqlite3_stmt  *stmt,
                 GError       **error)
{
  gboolean ok = worker_step (w, stmt, error) != 0;

  sqlite3_reset (stmt);
  return ok;
}

static char *
decrypt_column (Worker       *w,
                sqlite3_stmt *stmt,
                int           column,
                const char   *table,
                const char   *name,
                gint64        row_id,
                GError      **error)
{
  g_autoptr(GBytes) bytes = NULL;
  char *plain;

  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return NULL;

  bytes = g_bytes_new (sqlite3_column_blob (stmt, column), sqlite3_column_bytes (stmt, column));
  plain = picky_cipher_decrypt (w->cipher, bytes, table, name, row_id, error);
  if (plain == NULL && error != NULL && *error != NULL)
    {
      g_autoptr(GError) local = g_steal_pointer (error);

      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CORRUPT,
                   _("Personal details in the message database cannot be decrypted: %s"),
                   local->message);
    }

  return plain;
}

static void
worker_forget_contacts (Worker *w)
{
  g_hash_table_remove_all (w->contacts_by_id);
  g_hash_table_remove_all (w->contacts_by_key);
}

/* Reads a row of CONTACT_COLUMNS into the cache. A detail that does not
 * decrypt fails the load when @strict (a write must not go on with a wrong
 * key), and is left out otherwise. */
static Contact *
worker_cache_contact (Worker        *w,
                      sqlite3_stmt  *stmt,
                      gboolean       strict,
                      GError       **error)
{
  g_autoptr(GError) local = NULL;
  Contact *contact = g_new0 (Contact, 1);

  contact->id = sqlite3_column_int64 (stmt, 0);
  contact->app = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  contact->provider_id = decrypt_column (w, stmt, 2, "contacts", "provider_id", contact->id, &local);
  if (local == NULL)
    contact->name = decrypt_column (w, stmt, 3, "contacts", "name", contact->id, &local);
  if (local == NULL)
    contact->phone = decrypt_column (w, stmt, 4, "contacts", "phone", contact->id, &local);
  contact->has_pending = sqlite3_column_type (stmt, 5) != SQLITE_NULL;
  contact->pending_since = sqlite3_column_int64 (stmt, 5);

  if (local != NULL)
    {
      if (strict)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          contact_free (contact);
          return NULL;
        }
      g_debug ("Contact %" G_GINT64_FORMAT ": %s", contact->id, local->message);
    }

  /* One whose id does not decrypt is still listed by its row id; the
   * control character keeps its key apart from every real one. */
  g_hash_table_insert (w->contacts_by_key,
                       contact->provider_id != NULL
                         ? g_strconcat (contact->app, "\x1f", contact->provider_id, NULL)
                         : g_strdup_printf ("%s\x1f\x1e%" G_GINT64_FORMAT, contact->app, contact->id),
                       contact);
  g_hash_table_insert (w->contacts_by_id, &contact->id, contact);
  return contact;
}

static Contact *
worker_get_contact (Worker *w,
                    gint64  id)
{
  sqlite3_stmt *stmt;
  Contact *contact = g_hash_table_lookup (w->contacts_by_id, &id);

  if (contact != NULL || id == 0)
    return contact;

  stmt = worker_stmt (w, STMT_GET_CONTACT);
  sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    contact = worker_cache_contact (w, stmt, FALSE, NULL);
  sqlite3_reset (stmt);

  return contact;
}

static gboolean
worker_set_contact_detail (Worker      *w,
                           Contact     *contact,
                           const char  *column,
                           const char  *value,
                           GError     **error)
{
  g_autoptr(GBytes) sealed = picky_cipher_encrypt (w->cipher, value, "contacts", column, contact->id);
  gboolean is_phone = g_str_equal (column, "phone");
  sqlite3_stmt *stmt = worker_stmt (w, is_phone ? STMT_SET_CONTACT_PHONE : STMT_SET_CONTACT_NAME);
  g_autofree char *normal = NULL;
  g_autofree char *hash = NULL;

  sqlite3_bind_int64 (stmt, 1, contact->id);
  picky_store_bind_blob (stmt, 2, sealed);
  if (is_phone)
    {
      normal = normalize_phone (value);
      hash = picky_cipher_lookup_hash (w->cipher, "phone", normal);
      sqlite3_bind_text (stmt, 3, hash, -1, SQLITE_STATIC);
    }

  return worker_run_done (w, stmt, error);
}

/* Finds or creates the contact a message is from or to, and keeps its name
 * and phone current. Plaintext details only ever exist in memory. */
static Contact *
worker_ensure_contact (Worker        *w,
                       const char    *app,
                       PickyMessage  *message,
                       GError       **error)
{
  const char *provider_id = picky_message_get_contact_provider_id (message);
  const char *name = picky_message_get_contact_name (message);
  const char *phone = picky_message_get_contact_phone (message);
  g_autofree char *key = g_strconcat (app, "\x1f", provider_id, NULL);
  Contact *contact = g_hash_table_lookup (w->contacts_by_key, key);
  sqlite3_stmt *stmt;

  g_autofree char *hash = NULL;
  g_autoptr(GBytes) sealed = NULL;

  if (contact == NULL && w->wrong_key)
    {
      g_set_error_literal (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CORRUPT,
                           _("Personal details in the message database cannot be decrypted with this key"));
      return NULL;
    }

  if (contact == NULL)
    {
      int rc;

      hash = picky_store_contact_hash (w->cipher, app, provider_id);
      stmt = worker_stmt (w, STMT_FIND_CONTACT);
      sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_STATIC);
      rc = worker_step (w, stmt, error);
      if (rc == 0)
        return NULL;
      if (rc == SQLITE_ROW)
        contact = worker_cache_contact (w, stmt, TRUE, error);
      sqlite3_reset (stmt);
      if (rc == SQLITE_ROW && contact == NULL)
        return NULL;
    }

  if (contact == NULL)
    {
      gint64 id;

      stmt = worker_stmt (w, STMT_INSERT_CONTACT);
      sqlite3_bind_text (stmt, 1, app, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, hash, -1, SQLITE_STATIC);
      if (!worker_run_done (w, stmt, error))
        return NULL;

      /* Sealed under its row id, which exists only now. */
      id = sqlite3_last_insert_rowid (w->db);
      sealed = picky_cipher_encrypt (w->cipher, provider_id, "contacts", "provider_id", id);
      stmt = worker_stmt (w, STMT_SET_CONTACT_PROVIDER_ID);
      sqlite3_bind_int64 (stmt, 1, id);
      picky_store_bind_blob (stmt, 2, sealed);
      if (!worker_run_done (w, stmt, error))
        return NULL;

      contact = g_new0 (Contact, 1);
      contact->id = id;
      contact->app = g_strdup (app);
      contact->provider_id = g_strdup (provider_id);
      g_hash_table_insert (w->contacts_by_key, g_steal_pointer (&key), contact);
      g_hash_table_insert (w->contacts_by_id, &contact->id, contact);
    }

  if (name != NULL && *name != '\0' && g_strcmp0 (name, contact->name) != 0)
    {
      if (!worker_set_contact_detail (w, contact, "name", name, error))
        return NULL;
      g_free (contact->name);
      contact->name = g_strdup (name);
    }

  if (phone != NULL && *phone != '\0' && g_strcmp0 (phone, contact->phone) != 0)
    {
      if (!worker_set_contact_detail (w, contact, "phone", phone, error))
        return NULL;
      g_free (contact->phone);
      contact->phone = g_strdup (phone);
    }

  return contact;
}

static gboolean
worker_add_rollups (Worker        *w,
                    const char    *app,
                    Contact       *contact,
                    PickyMessage  *message,
                    GError       **error)
{
  gint64 timestamp = picky_message_get_timestamp (message);
  gboolean incoming = picky_message_get_direction (message) == PICKY_DIRECTION_IN;
  gint64 response = -1;
  sqlite3_stmt *stmt;

  /* A reaction is not a message anyone answers or counts. */
  if (picky_message_get_kind (message) == PICKY_MESSAGE_KIND_REACTION)
    return TRUE;

  if (contact != NULL && incoming != contact->has_pending)
    {
      /* The first unanswered incoming message starts the clock; the next
       * outgoing one stops it. */
      if (!incoming)
        response = MAX (0, timestamp - contact->pending_since);

      stmt = worker_stmt (w, STMT_SET_CONTACT_PENDING);
      sqlite3_bind_int64 (stmt, 1, contact->id);
      if (incoming)
        sqlite3_bind_int64 (stmt, 2, timestamp);
      if (!worker_run_done (w, stmt, error))
        return FALSE;

      contact->has_pending = incoming;
      contact->pending_since = timestamp;
    }

  for (StmtId id = STMT_ADD_CONTACT_DAY; id <= STMT_ADD_DAILY; id++)
    {
      if (id == STMT_ADD_CONTACT_DAY && contact == NULL)
        continue;

      stmt = worker_stmt (w, id);
      if (id == STMT_ADD_CONTACT_DAY)
        sqlite3_bind_int64 (stmt, 1, contact->id);
      else
        sqlite3_bind_text (stmt, 1, app, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, floor_day (timestamp));
      sqlite3_bind_int (stmt, 3, incoming ? 1 : 0);
      sqlite3_bind_int (stmt, 4, incoming ? 0 : 1);
      sqlite3_bind_int64 (stmt, 5, timestamp);
      sqlite3_bind_int64 (stmt, 6, MAX (response, 0));
      sqlite3_bind_int (stmt, 7, response >= 0 ? 1 : 0);
      sqlite3_bind_int (stmt, 8, response >= 0 ? (int) picky_store_response_bucket (response) : -1);
      if (!worker_run_done (w, stmt, error))
        return FALSE;
    }

  if (contact == NULL)
    return TRUE;

  /* Hours, so that reports can count days in any time zone. */
  stmt = worker_stmt (w, STMT_ADD_CONTACT_HOUR);
  sqlite3_bind_int64 (stmt, 1, contact->id);
  sqlite3_bind_int64 (stmt, 2, floor_hour (timestamp));
  sqlite3_bind_int (stmt, 3, incoming ? 1 : 0);
  sqlite3_bind_int (stmt, 4, incoming ? 0 : 1);
  sqlite3_bind_int64 (stmt, 5, timestamp);
  sqlite3_bind_int64 (stmt, 6, MAX (response, 0));
  sqlite3_bind_int (stmt, 7, response >= 0 ? 1 : 0);
  if (!worker_run_done (w, stmt, error))
    return FALSE;

  if (response < 0)
    return TRUE;

  stmt = worker_stmt (w, STMT_ADD_RESPONSE_HOUR);
  sqlite3_bind_int64 (stmt, 1, contact->id);
  sqlite3_bind_int64 (stmt, 2, floor_hour (timestamp));
  sqlite3_bind_int (stmt, 3, picky_store_fine_bucket (response));
  return worker_run_done (w, stmt, error);
}

/* Returns the id of the message with this key hash in this channel, or 0. */
static gint64
worker_find_message (Worker              *w,
                     PickyMessage        *message,
                     const char          *key_hash,
                     PickyMessageStatus  *status,
                     GError             **error)
{
  sqlite3_stmt *stmt = worker_stmt (w, STMT_FIND_MESSAGE);
  gint64 id = 0;
  int rc;

  sqlite3_bind_int64 (stmt, 1, picky_message_get_channel_id (message));
  sqlite3_bind_text (stmt, 2, key_hash, -1, SQLITE_STATIC);
  rc = worker_step (w, stmt, error);
  if (rc == SQLITE_ROW)
    {
      id = sqlite3_column_int64 (stmt, 0);
      if (status != NULL &&
          !picky_message_status_from_string ((const char *) sqlite3_column_text (stmt, 1), status))
        *status = PICKY_MESSAGE_STATUS_NONE;
    }
  sqlite3_reset (stmt);

  return rc == 0 ? -1 : id;
}

/* Seals @value under message @id into @index of @stmt, or binds NULL. */
static void
bind_sealed_message (Worker       *w,
                     sqlite3_stmt *stmt,
                     int           index,
                     const char   *value,
                     const char   *column,
                     gint64        id)
{
  g_autoptr(GBytes) sealed = NULL;

  if (value != NULL)
    sealed = picky_cipher_encrypt (w->cipher, value, "messages", column, id);
  picky_store_bind_blob (stmt, index, sealed);
}

static gboolean
worker_insert_message (Worker        *w,
                       const char    *app,
                       Contact       *contact,
                       PickyMessage  *message,
                       const char    *key_hash,
                       GError       **error)
{
  sqlite3_stmt *stmt = worker_stmt (w, STMT_INSERT_MESSAGE);
  PickyMessageStatus status = picky_message_get_status (message);
  gint64 id;

  sqlite3_bind_int64 (stmt, 1, picky_message_get_channel_id (message));
  sqlite3_bind_text (stmt, 2, key_hash, -1, SQLITE_STATIC);
  if (contact != NULL)
    sqlite3_bind_int64 (stmt, 3, contact->id);
  sqlite3_bind_int (stmt, 4, picky_message_get_direction (message));
  sqlite3_bind_text (stmt, 5, picky_message_kind_to_string (picky_message_get_kind (message)),
                     -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, picky_message_get_text (message), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 7, picky_message_get_timestamp (message));
  sqlite3_bind_int64 (stmt, 8, picky_message_get_received (message));
  if (status != PICKY_MESSAGE_STATUS_NONE)
    sqlite3_bind_text (stmt, 9, picky_message_status_to_string (status), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 10, picky_message_get_error (message), -1, SQLITE_STATIC);
  if (!worker_run_done (w, stmt, error))
    return FALSE;

  if (sqlite3_changes (w->db) == 0)
    {
      /* A redelivery: the stored row wins, nothing changes. */
      id = worker_find_message (w, message, key_hash, NULL, error);
      if (id < 0)
        return FALSE;
      picky_message_set_id (message, id);
      picky_message_set_is_new (message, FALSE);
      return TRUE;
    }

  id = sqlite3_last_insert_rowid (w->db);
  picky_message_set_id (message, id);
  picky_message_set_is_new (message, TRUE);
  picky_message_set_unread (message, picky_message_get_direction (message) == PICKY_DIRECTION_IN);

  /* The key, media and related key are sealed under the row id, which the
   * insert has only just given. */
  stmt = worker_stmt (w, STMT_SEAL_MESSAGE);
  sqlite3_bind_int64 (stmt, 1, id);
  bind_sealed_message (w, stmt, 2, picky_message_get_provider_key (message), "provider_key", id);
  bind_sealed_message (w, stmt, 3, picky_message_get_media (message), "media", id);
  bind_sealed_message (w, stmt, 4, picky_message_get_related_key (message), "related_key", id);
  if (!worker_run_done (w, stmt, error))
    return FALSE;

  return worker_add_rollups (w, app, contact, message, error);
}

static gboolean
worker_edit_message (Worker        *w,
                     const char    *app,
                     Contact       *contact,
                     PickyMessage  *message,
                     const char    *key_hash,
                     GError       **error)
{
  sqlite3_stmt *stmt = worker_stmt (w, STMT_EDIT_MESSAGE);
  int rc;

  sqlite3_bind_int64 (stmt, 1, picky_message_get_channel_id (message));
  sqlite3_bind_text (stmt, 2, key_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, picky_message_get_text (message), -1, SQLITE_STATIC);
  rc = worker_step (w, stmt, error);
  if (rc == SQLITE_ROW)
    {
      picky_message_set_id (message, sqlite3_column_int64 (stmt, 0));
      picky_message_set_is_new (message, FALSE);
    }
  sqlite3_reset (stmt);

  if (rc == 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    return TRUE;

  /* The edit of a message we never saw (it predates the channel, or its
   * delivery was lost): the edited text is the best copy there is. */
  return worker_insert_message (w, app, contact, message, key_hash, error);
}

static gboolean
worker_move_status (Worker        *w,
                    PickyMessage  *message,
                    const char    *key_hash,
                    GError       **error)
{
  PickyMessageStatus from = PICKY_MESSAGE_STATUS_NONE;
  PickyMessageStatus to = picky_message_get_status (message);
  gint64 id = worker_find_message (w, message, key_hash, &from, error);
  sqlite3_stmt *stmt;

  if (id < 0)
    return FALSE;

  picky_message_set_id (message, id);
  picky_message_set_is_new (message, FALSE);
  if (id == 0 || !picky_message_status_can_move (from, to))
    return TRUE;

  stmt = worker_stmt (w, STMT_SET_STATUS);
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_text (stmt, 2, picky_message_status_to_string (to), -1, SQLITE_STATIC);
  if (to == PICKY_MESSAGE_STATUS_FAILED)
    sqlite3_bind_text (stmt, 3, picky_message_get_error (message), -1, SQLITE_STATIC);

  return worker_run_done (w, stmt, error);
}

static gboolean
worker_ingest_one (Worker        *w,
                   PickyMessage  *message,
                   GError       **error)
{
  gint64 channel_id = picky_message_get_channel_id (message);
  Channel *channel = g_hash_table_lookup (w->channels, &channel_id);
  Contact *contact = NULL;
  g_autofree char *key_hash = NULL;

  if (channel == NULL || channel->removed)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("No channel with the number %lld exists to store messages for"),
                   (long long) channel_id);
      return FALSE;
    }

  if (picky_message_get_provider_key (message) == NULL)
    {
      g_set_error_literal (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_FAILED,
                           _("A message without its provider’s key cannot be stored"));
      return FALSE;
    }

  picky_message_set_app (message, channel->app);
  key_hash = picky_store_message_hash (w->cipher, channel_id, picky_message_get_provider_key (message));

  if (picky_message_get_contact_provider_id (message) != NULL)
    {
      contact = worker_ensure_contact (w, channel->app, message, error);
      if (contact == NULL)
        return FALSE;
      picky_message_set_contact_id (message, contact->id);
    }

  switch (picky_message_get_op (message))
    {
    case PICKY_MESSAGE_OP_INSERT:
      return worker_insert_message (w, channel->app, contact, message, key_hash, error);
    case PICKY_MESSAGE_OP_EDIT:
      return worker_edit_message (w, channel->app, contact, message, key_hash, error);
    case PICKY_MESSAGE_OP_STATUS:
      return worker_move_status (w, message, key_hash, error);
    default:
      g_assert_not_reached ();
    }
}

static gboolean
worker_set_state (Worker      *w,
                  gint64       channel_id,
                  const char  *key,
                  const char  *value,
                  GError     **error)
{
  sqlite3_stmt *stmt = worker_stmt (w, STMT_SET_STATE);

  if (!g_hash_table_contains (w->channels, &channel_id))
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("No channel with the number %lld exists"), (long long) channel_id);
      return FALSE;
    }

  sqlite3_bind_int64 (stmt, 1, channel_id);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, value, -1, SQLITE_STATIC);

  return worker_run_done (w, stmt, error);
}

/* ---- Worker thread: group commit ---- */

static gboolean
ingest_write (Worker  *w,
              GTask   *task,
              GError **error)
{
  IngestArgs *data = g_task_get_task_data (task);

  for (guint i = 0; i < data->batch->len; i++)
    {
      PickyMessage *message = g_ptr_array_index (data->batch, i);

      if (!worker_ingest_one (w, message, error))
        return FALSE;
    }

  if (data->state_key != NULL)
    return worker_set_state (w, data->state_channel, data->state_key, data->state_value, error);

  return TRUE;
}

typedef struct {
  PickyStore *store;
  GPtrArray *added;
  guint signal_id;
} Emission;

static void
emission_free (gpointer data)
{
  Emission *emission = data;

  g_object_unref (emission->store);
  g_ptr_array_unref (emission->added);
  g_free (emission);
}

static gboolean
emit_messages_added_cb (gpointer data)
{
  Emission *emission = data;

  g_signal_emit (emission->store, emission->signal_id, 0, emission->added);
  return G_SOURCE_REMOVE;
}

/* Hands @messages to the signal @signal_id on the store's main context. */
static void
worker_emit (Worker    *w,
             GTask     *task,
             guint      signal_id,
             GPtrArray *messages)
{
  Emission *emission = g_new0 (Emission, 1);

  emission->store = g_object_ref (g_task_get_source_object (task));
  emission->added = g_ptr_array_ref (messages);
  emission->signal_id = signal_id;
  picky_main_context_dispatch (w->context, emit_messages_added_cb, emission, emission_free);
}

/* Hands @message alone to messages-changed. */
static void
worker_emit_changed (Worker       *w,
                     GTask        *task,
                     PickyMessage *message)
{
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (changed, g_object_ref (message));
  worker_emit (w, task, signals[MESSAGES_CHANGED], changed);
}

static void
ingest_done (Worker *w,
             GTask  *task)
{
  IngestArgs *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_object_unref);
  guint n_new = 0;

  data->added = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < data->batch->len; i++)
    {
      PickyMessage *message = g_ptr_array_index (data->batch, i);

      if (picky_message_get_is_new (message))
        {
          g_ptr_array_add (data->added, g_object_ref (message));
          n_new++;
        }
      else if (picky_message_get_id (message) > 0 &&
               picky_message_get_op (message) != PICKY_MESSAGE_OP_INSERT)
        {
          g_ptr_array_add (changed, g_object_ref (message));
        }
    }

  if (n_new > 0)
    worker_emit (w, task, signals[MESSAGES_ADDED], data->added);
  if (changed->len > 0)
    worker_emit (w, task, signals[MESSAGES_CHANGED], changed);

  g_task_return_int (task, n_new);
}

typedef struct {
  gint64 channel_id;
  char *key;
  char *value;
} SetChannelStateArgs;

static void
set_channel_state_args_free (gpointer data)
{
  SetChannelStateArgs *args = data;

  g_free (args->key);
  g_free (args->value);
  g_free (args);
}

static gboolean
state_write (Worker  *w,
             GTask   *task,
             GError **error)
{
  SetChannelStateArgs *args = g_task_get_task_data (task);

  return worker_set_state (w, args->channel_id, args->key, args->value, error);
}

/* The end of a write that only says it was committed. */
static void
boolean_done (Worker *w,
              GTask  *task)
{
  g_task_return_boolean (task, TRUE);
}

static void
worker_run_group (Worker    *w,
                  GPtrArray *jobs)
{
  g_autoptr(GError) error = NULL;

  if (w->db == NULL)
    set_closed_error (&error);
  else if (picky_store_exec (w->db, "BEGIN IMMEDIATE", &error))
    {
      for (guint i = 0; i < jobs->len; i++)
        {
          Job *job = g_ptr_array_index (jobs, i);

          if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (job->task), &job->error))
            continue;

          /* A savepoint per job: a bad batch fails alone, the others in the
           * group still commit. */
          if (!picky_store_exec (w->db, "SAVEPOINT job", &error))
            break;
          if (!job->write (w, job->task, &job->error))
            {
              sqlite3_exec (w->db, "ROLLBACK TO job", NULL, NULL, NULL);
              worker_forget_contacts (w);
            }
          sqlite3_exec (w->db, "RELEASE job", NULL, NULL, NULL);
        }

      if (error != NULL || !picky_store_exec (w->db, "COMMIT", &error))
        {
          sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
          worker_forget_contacts (w);
        }
    }

  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);

      if (job->error != NULL)
        g_task_return_error (job->task, g_steal_pointer (&job->error));
      else if (error != NULL)
        g_task_return_error (job->task, g_error_copy (error));
      else
        job->done (w, job->task);
    }
}

/* ---- Worker thread: the loop ---- */

static void
job_free (Job *job)
{
  g_clear_error (&job->error);
  g_clear_object (&job->task);
  g_free (job);
}

static void
worker_free (Worker *w)
{
  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&w->stmts[i], sqlite3_finalize);
  if (w->db != NULL)
    sqlite3_close (w->db);
  g_clear_pointer (&w->contacts_by_id, g_hash_table_unref);
  g_clear_pointer (&w->contacts_by_key, g_hash_table_unref);
  g_clear_pointer (&w->channels, g_hash_table_unref);
  g_clear_pointer (&w->context, g_main_context_unref);
  g_clear_pointer (&w->queue, g_async_queue_unref);
  g_clear_object (&w->cipher);
  g_free (w->path);
  g_free (w);
}

static void open_run (Worker *w,
                      GTask  *task);

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  Job *next = NULL;

  for (;;)
    {
      Job *job = next != NULL ? next : g_async_queue_pop (w->queue);

      next = NULL;
      if (job->stop)
        {
          job_free (job);
          break;
        }

      if (job->write != NULL)
        {
          g_autoptr(GPtrArray) group = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);

          /* Whatever else is already waiting joins this transaction: one
           * fsync for all of it. */
          g_ptr_array_add (group, job);
          while (group->len < MAX_GROUP && (next = g_async_queue_try_pop (w->queue)) != NULL)
            {
              if (next->write == NULL)
                break;
              g_ptr_array_add (group, g_steal_pointer (&next));
            }
          worker_run_group (w, group);
        }
      else
        {
          if (w->db == NULL && job->run != open_run)
            g_task_return_new_error (job->task, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED,
                                     _("The message database is closed"));
          else if (!g_task_return_error_if_cancelled (job->task))
            job->run (w, job->task);
          job_free (job);
        }
    }

  worker_free (w);
  return NULL;
}

/* ---- Worker thread: open ---- */

static gboolean
worker_load_channels (Worker  *w,
                      GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT id, app, removed FROM channels", -1, &stmt, NULL);
  while (next_row (stmt, &rc))
    {
      Channel *channel = g_new0 (Channel, 1);
      gint64 *id = g_new (gint64, 1);

      *id = sqlite3_column_int64 (stmt, 0);
      channel->app = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      channel->removed = sqlite3_column_int (stmt, 2) != 0;
      g_hash_table_insert (w->channels, id, channel);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return FALSE;
    }

  return TRUE;
}

/* Tries the cipher on the oldest sealed provider id. Reading stays possible
 * with a wrong key (details show as unknown), writing contacts does not. */
static gboolean
worker_check_key (Worker  *w,
                  GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db,
                           "SELECT id, provider_id_enc FROM contacts"
                           " WHERE provider_id_enc IS NOT NULL ORDER BY id LIMIT 1",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(GError) local = NULL;
      g_autofree char *plain = decrypt_column (w, stmt, 1, "contacts", "provider_id",
                                               sqlite3_column_int64 (stmt, 0), &local);

      w->wrong_key = plain == NULL;
      rc = SQLITE_DONE;
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return FALSE;
    }

  return TRUE;
}

/* Closes @fd's file to everyone but its owner, when it is open to more. */
static gboolean
tighten_fd (int          fd,
            mode_t       mode,
            const char  *path,
            GError     **error)
{
  struct stat st;

  if (fstat (fd, &st) == 0 && (st.st_mode & 0777) == mode)
    return TRUE;

  if (fchmod (fd, mode) != 0)
    {
      int saved = errno;

      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_IO,
                   _("Other users could read “%s”, and it could not be made private: %s"),
                   path, g_strerror (saved));
      return FALSE;
    }

  return TRUE;
}

/* Tightens a file SQLite made beside the database, if there is one. */
static gboolean
tighten_companion (const char  *path,
                   const char  *suffix,
                   GError     **error)
{
  g_autofree char *name = g_strconcat (path, suffix, NULL);
  int fd = g_open (name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
  gboolean ok;

  if (fd < 0)
    return TRUE;

  ok = tighten_fd (fd, 0600, name, error);
  close (fd);
  return ok;
}

/* The folder is tightened only when it is the user's own and holds nothing
 * but the database's files: a folder shared with anything else was set up
 * by someone for more than this database, and is theirs to change. */
static gboolean
tighten_folder (const char  *dir,
                const char  *path,
                GError     **error)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr(GDir) entries = NULL;
  const char *name;
  GStatBuf st;

  if (g_stat (dir, &st) != 0 || (st.st_mode & 0777) == 0700 || st.st_uid != geteuid ())
    return TRUE;

  entries = g_dir_open (dir, 0, NULL);
  if (entries == NULL)
    return TRUE;
  while ((name = g_dir_read_name (entries)) != NULL)
    if (!g_str_has_prefix (name, base))
      return TRUE;

  if (g_chmod (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_IO,
                   _("Other users could read “%s”, and it could not be made private: %s"),
                   dir, g_strerror (saved));
      return FALSE;
    }

  return TRUE;
}

/* The file is created here, not by SQLite, so that it is 0600 from its
 * first byte; SQLite gives the -wal and -shm files it makes the same mode.
 * A folder or files that a copy, a restore from backup or an older build
 * left readable by others are made private again first, so that the log
 * and index files made from them are private too. */
static gboolean
prepare_file (const char  *path,
              GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  gboolean ok;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, PICKY_STORE_ERROR,
                   saved == ENOSPC ? PICKY_STORE_ERROR_FULL : PICKY_STORE_ERROR_IO,
                   _("The folder for the message database could not be created: %s"),
                   g_strerror (saved));
      return FALSE;
    }

  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_IO,
                   _("The message database could not be opened: %s"), g_strerror (saved));
      return FALSE;
    }
  ok = tighten_fd (fd, 0600, path, error);
  close (fd);

  return ok &&
         tighten_companion (path, "-wal", error) &&
         tighten_companion (path, "-shm", error) &&
         tighten_companion (path, "-journal", error) &&
         tighten_folder (dir, path, error);
}

static void
open_run (Worker *w,
          GTask  *task)
{
  g_autoptr(GError) error = NULL;
  int rc;

  if (!prepare_file (w->path, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  rc = sqlite3_open_v2 (w->path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      picky_store_set_sqlite_error (&error, w->db, rc);
      goto failed;
    }
  sqlite3_extended_result_codes (w->db, TRUE);

  if (!picky_store_schema_configure (w->db, &error) ||
      !picky_store_schema_migrate (w->db, w->cipher, &error))
    goto failed;

  for (guint i = 0; i < N_STMTS; i++)
    {
      rc = sqlite3_prepare_v3 (w->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &w->stmts[i], NULL);
      if (rc != SQLITE_OK)
        {
          picky_store_set_sqlite_error (&error, w->db, rc);
          goto failed;
        }
    }

  if (!worker_load_channels (w, &error) || !worker_check_key (w, &error))
    goto failed;

  g_task_return_pointer (task, g_object_ref (g_task_get_source_object (task)), g_object_unref);
  return;

failed:
  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&w->stmts[i], sqlite3_finalize);
  g_clear_pointer (&w->db, sqlite3_close);
  g_task_return_error (task, g_steal_pointer (&error));
}

/* ---- Peeking without the key ---- */

/* Rows that hold a value sealed or hashed with the data key, by the schema
 * version that introduced them: a new key would leave any of them unreadable
 * or unfindable. From version 6 every contact has a sealed id, and media
 * of messages without a contact are the only other sealed values; from
 * version 7 every message has a hashed and sealed key. */
static const struct {
  int         since;
  const char *sql;
} keyed_rows[] = {
  { 1, "SELECT 1 FROM contacts WHERE name_enc IS NOT NULL OR phone_enc IS NOT NULL"
       " OR phone_hash IS NOT NULL LIMIT 1" },
  { 2, "SELECT 1 FROM devices WHERE name_enc IS NOT NULL OR details_enc IS NOT NULL LIMIT 1" },
  { 5, "SELECT 1 FROM devices WHERE token_hash IS NOT NULL LIMIT 1" },
  { 5, "SELECT 1 FROM pairing_codes LIMIT 1" },
  { 6, "SELECT 1 FROM contacts LIMIT 1" },
  { 6, "SELECT 1 FROM messages WHERE contact_id IS NULL AND media IS NOT NULL LIMIT 1" },
  { 7, "SELECT 1 FROM messages LIMIT 1" },
};

static gboolean
peek_has_keyed_rows (sqlite3  *db,
                     GError  **error)
{
  int version = picky_store_get_pragma_int (db, "PRAGMA user_version", error);
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (version < 0)
    return FALSE;

  /* A file of a newer version may seal things this one does not know. */
  if (version > PICKY_STORE_SCHEMA_VERSION)
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (keyed_rows); i++)
    {
      if (keyed_rows[i].since > version)
        continue;

      rc = sqlite3_prepare_v2 (db, keyed_rows[i].sql, -1, &stmt, NULL);
      if (rc == SQLITE_OK)
        rc = sqlite3_step (stmt);
      sqlite3_finalize (stmt);
      if (rc == SQLITE_ROW)
        return TRUE;
      if (rc != SQLITE_DONE)
        {
          picky_store_set_sqlite_error (error, db, rc);
          return FALSE;
        }
    }

  return FALSE;
}

static void
peek_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;
  gboolean found = FALSE;
  int rc;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_task_return_boolean (task, FALSE);
      return;
    }

  /* Read-write, never create: a file in WAL mode may need its -shm made. */
  rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_extended_result_codes (db, TRUE);
      sqlite3_busy_timeout (db, 5000);
      found = peek_has_keyed_rows (db, &error);
    }
  else
    {
      picky_store_set_sqlite_error (&error, db, rc);
    }
  sqlite3_close (db);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, found);
}

/* ---- Worker thread: reads and standalone writes ---- */

static void
return_sqlite_error (Worker *w,
                     GTask  *task,
                     int     rc)
{
  g_autoptr(GError) error = NULL;

  picky_store_set_sqlite_error (&error, w->db, rc);
  g_task_return_error (task, g_steal_pointer (&error));
}

static PickyMessage *
message_from_row (Worker       *w,
                  sqlite3_stmt *stmt)
{
  PickyMessage *message = picky_message_new ();
  gint64 id = sqlite3_column_int64 (stmt, 0);
  gint64 channel_id = sqlite3_column_int64 (stmt, 1);
  gint64 contact_id = sqlite3_column_int64 (stmt, 3);
  /* Keys that do not open are left out like media: the message can still
   * be read, only not matched to a reaction or reply. */
  g_autofree char *key = decrypt_column (w, stmt, 2, "messages", "provider_key", id, NULL);
  g_autofree char *related = decrypt_column (w, stmt, 8, "messages", "related_key", id, NULL);
  Channel *channel = g_hash_table_lookup (w->channels, &channel_id);
  Contact *contact = worker_get_contact (w, contact_id);
  PickyMessageKind kind = PICKY_MESSAGE_KIND_UNSUPPORTED;
  PickyMessageStatus status = PICKY_MESSAGE_STATUS_NONE;

  picky_message_set_id (message, id);
  picky_message_set_channel_id (message, channel_id);
  picky_message_set_app (message, channel != NULL ? channel->app : NULL);
  picky_message_set_provider_key (message, key);
  picky_message_set_contact_id (message, contact_id);
  if (contact != NULL)
    {
      picky_message_set_contact_provider_id (message, contact->provider_id);
      picky_message_set_contact_name (message, contact->name);
      picky_message_set_contact_phone (message, contact->phone);
    }
  picky_message_set_direction (message, sqlite3_column_int (stmt, 4));
  picky_message_kind_from_string ((const char *) sqlite3_column_text (stmt, 5), &kind);
  picky_message_set_kind (message, kind);
  picky_message_set_text (message, (const char *) sqlite3_column_text (stmt, 6));
  if (sqlite3_column_type (stmt, 7) != SQLITE_NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *media = decrypt_column (w, stmt, 7, "messages", "media", id, &error);

      /* Shown as a message without its media details, like a contact
       * whose name does not decrypt. */
      if (error != NULL)
        g_debug ("Message %" G_GINT64_FORMAT ": %s", id, error->message);
      picky_message_set_media (message, media);
    }
  picky_message_set_related_key (message, related);
  picky_message_set_timestamp (message, sqlite3_column_int64 (stmt, 9));
  picky_message_set_received (message, sqlite3_column_int64 (stmt, 10));
  if (sqlite3_column_type (stmt, 11) != SQLITE_NULL)
    picky_message_status_from_string ((const char *) sqlite3_column_text (stmt, 11), &status);
  picky_message_set_status (message, status);
  picky_message_set_error (message, (const char *) sqlite3_column_text (stmt, 12));
  picky_message_set_edited (message, sqlite3_column_int (stmt, 13) != 0);
  picky_message_set_unread (message, sqlite3_column_int (stmt, 14) != 0);

  return message;
}

/* Filters shared by paging and search, as SQL and in binding order. */
static void
append_filters (GString              *sql,
                const PickyPageQuery *query)
{
  if (query->contact_id != 0)
    g_string_append (sql, " AND m.contact_id = :contact");
  if (query->channel_id != 0)
    g_string_append (sql, " AND m.channel_id = :channel");
  if (query->apps != NULL && query->apps[0] != NULL)
    {
      g_string_append (sql, " AND m.channel_id IN (SELECT id FROM channels WHERE app IN (");
      for (guint i = 0; query->apps[i] != NULL; i++)
        g_string_append_printf (sql, "%s:app%u", i > 0 ? ", " : "", i);
      g_string_append (sql, "))");
    }
  if (query->direction >= 0)
    g_string_append (sql, " AND m.direction = :direction");
  if (query->unread_only)
    g_string_append (sql, " AND m.unread = 1");
}

static void
bind_named_int64 (sqlite3_stmt *stmt,
                  const char   *name,
                  gint64        value)
{
  int index = sqlite3_bind_parameter_index (stmt, name);

  if (index > 0)
    sqlite3_bind_int64 (stmt, index, value);
}

static void
bind_filters (sqlite3_stmt         *stmt,
              const PickyPageQuery *query)
{
  bind_named_int64 (stmt, ":contact", query->contact_id);
  bind_named_int64 (stmt, ":channel", query->channel_id);
  bind_named_int64 (stmt, ":direction", query->direction);
  bind_named_int64 (stmt, ":before_ts", query->before_timestamp);
  bind_named_int64 (stmt, ":before_id", query->before_id);
  bind_named_int64 (stmt, ":limit", query->limit);
  for (guint i = 0; query->apps != NULL && query->apps[i] != NULL; i++)
    {
      char name[24];

      g_snprintf (name, sizeof name, ":app%u", i);
      sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, name), query->apps[i], -1, SQLITE_STATIC);
    }
}

static void
run_message_query (Worker               *w,
                   GTask                *task,
                   const char           *sql,
                   const PickyPageQuery *query,
                   const char           *match)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_filters (stmt, query);
      if (match != NULL)
        sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":match"), match, -1, SQLITE_STATIC);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        g_ptr_array_add (messages, message_from_row (w, stmt));
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&messages), (GDestroyNotify) g_ptr_array_unref);
}

/* Newest first by (timestamp, id): the index on (…, timestamp, id) yields the
 * page directly, whatever its depth, because no row before it is counted. */
static void
list_messages_run (Worker *w,
                   GTask  *task)
{
  PageArgs *data = g_task_get_task_data (task);
  g_autoptr(GString) sql = g_string_new ("SELECT " MESSAGE_COLUMNS " FROM messages m WHERE 1");

  append_filters (sql, &data->query);
  if (data->query.before_timestamp != 0 || data->query.before_id != 0)
    g_string_append (sql, " AND m.timestamp <= :before_ts"
                          " AND (m.timestamp < :before_ts OR m.id < :before_id)");
  g_string_append (sql, " ORDER BY m.timestamp DESC, m.id DESC LIMIT :limit");

  run_message_query (w, task, sql->str, &data->query, NULL);
}

/* Each word of the admin's query becomes a quoted FTS5 string, so that no
 * input is read as query syntax; the words must all occur. */
static char *
build_match (const char *text)
{
  g_auto(GStrv) words = g_strsplit_set (text, " \t\n\r", -1);
  GString *match = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *escaped = NULL;
      g_auto(GStrv) quotes = NULL;

      if (*words[i] == '\0')
        continue;

      quotes = g_strsplit (words[i], "\"", -1);
      escaped = g_strjoinv ("\"\"", quotes);
      if (match->len > 0)
        g_string_append_c (match, ' ');
      g_string_append_printf (match, "\"%s\"", escaped);
    }

  return g_string_free (match, match->len == 0);
}

/* Newest first by arrival (row id): FTS5 walks its doclists in rowid order
 * and stops at the page, where ordering by timestamp would have to rank
 * every match first. A page continues below before_id. */
static void
search_run (Worker *w,
            GTask  *task)
{
  PageArgs *data = g_task_get_task_data (task);
  g_autofree char *match = build_match (data->text);
  g_autoptr(GString) sql = NULL;

  if (match == NULL)
    {
      g_task_return_pointer (task, g_ptr_array_new_with_free_func (g_object_unref),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  sql = g_string_new ("SELECT " MESSAGE_COLUMNS " FROM messages_fts f"
                      " JOIN messages m ON m.id = f.rowid"
                      " WHERE messages_fts MATCH :match");
  append_filters (sql, &data->query);
  if (data->query.before_id != 0)
    g_string_append (sql, " AND f.rowid < :before_id");
  g_string_append (sql, " ORDER BY f.rowid DESC LIMIT :limit");

  run_message_query (w, task, sql->str, &data->query, match);
}

typedef struct {
  char *app;
  char *kind;
  char *name;
  char *settings;
} AddChannelArgs;

static void
add_channel_args_free (gpointer data)
{
  AddChannelArgs *args = data;

  g_free (args->app);
  g_free (args->kind);
  g_free (args->name);
  g_free (args->settings);
  g_free (args);
}

static void
add_channel_run (Worker *w,
                 GTask  *task)
{
  AddChannelArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  sqlite3_stmt *stmt;
  Channel *channel;
  gint64 *id;

  stmt = worker_prepare (w, "INSERT INTO channels (app, kind, name, settings) VALUES (?1, ?2, ?3, ?4)",
                         &error);
  if (stmt == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  sqlite3_bind_text (stmt, 1, args->app, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, args->kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, args->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, args->settings != NULL ? args->settings : "{}", -1, SQLITE_STATIC);
  if (worker_finish (w, stmt, &error) < 0)
    {
      g_task_return_error (task, error);
      return;
    }

  id = g_new (gint64, 1);
  *id = sqlite3_last_insert_rowid (w->db);
  channel = g_new0 (Channel, 1);
  channel->app = g_strdup (args->app);
  g_hash_table_insert (w->channels, id, channel);

  g_task_return_int (task, *id);
}

/* The channel @id unless it is unknown or removed, else NULL with @error
 * set to NOT_FOUND. */
static Channel *
worker_live_channel (Worker  *w,
                     gint64   id,
                     GError **error)
{
  Channel *channel = g_hash_table_lookup (w->channels, &id);

  if (channel == NULL || channel->removed)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("No channel with the number %lld exists"), (long long) id);
      return NULL;
    }

  return channel;
}

typedef struct {
  gint64 channel_id;
  char *name;
  char *settings;
} UpdateChannelArgs;

static void
update_channel_args_free (gpointer data)
{
  UpdateChannelArgs *args = data;

  g_free (args->name);
  g_free (args->settings);
  g_free (args);
}

static void
update_channel_run (Worker *w,
                    GTask  *task)
{
  UpdateChannelArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  sqlite3_stmt *stmt;

  if (worker_live_channel (w, args->channel_id, &error) == NULL ||
      (stmt = worker_prepare (w,
                              "UPDATE channels SET name = coalesce (?2, name),"
                              " settings = coalesce (?3, settings) WHERE id = ?1",
                              &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  sqlite3_bind_int64 (stmt, 1, args->channel_id);
  sqlite3_bind_text (stmt, 2, args->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, args->settings, -1, SQLITE_STATIC);
  if (worker_finish (w, stmt, &error) < 0)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Arguments that own nothing, as this one, are freed with g_free(). */
typedef struct {
  gint64 channel_id;
} RemoveChannelArgs;

/* The row stays, marked removed: its messages remain part of the history
 * and the reports; only ingest and the channel list forget it. Its state
 * goes, with any left by channels removed before. One transaction, so that
 * the file never says removed while the cached channel still takes
 * messages. */
static void
remove_channel_run (Worker *w,
                    GTask  *task)
{
  RemoveChannelArgs *args = g_task_get_task_data (task);
  Channel *channel;
  GError *error = NULL;

  channel = worker_live_channel (w, args->channel_id, &error);
  if (channel == NULL ||
      !picky_store_exec (w->db, "BEGIN IMMEDIATE", &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (worker_exec_int (w, "UPDATE channels SET removed = 1 WHERE id = ?1", args->channel_id, &error) < 0 ||
      !picky_store_exec (w->db,
                         "DELETE FROM channel_state WHERE channel_id NOT IN"
                         " (SELECT id FROM channels WHERE removed = 0)",
                         &error) ||
      !picky_store_exec (w->db, "COMMIT", &error))
    {
      sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
      g_task_return_error (task, error);
      return;
    }

  channel->removed = TRUE;
  g_task_return_boolean (task, TRUE);
}

static void
list_channels_run (Worker *w,
                   GTask  *task)
{
  g_autoptr(GPtrArray) channels = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db,
                           "SELECT id, app, kind, name, settings FROM channels"
                           " WHERE removed = 0 ORDER BY id",
                           -1, &stmt, NULL);
  while (next_row (stmt, &rc))
    g_ptr_array_add (channels,
                     g_variant_ref_sink (g_variant_new ("(xssss)",
                                                        sqlite3_column_int64 (stmt, 0),
                                                        sqlite3_column_text (stmt, 1),
                                                        sqlite3_column_text (stmt, 2),
                                                        sqlite3_column_text (stmt, 3),
                                                        sqlite3_column_text (stmt, 4))));
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&channels), (GDestroyNotify) g_ptr_array_unref);
}

typedef struct {
  gint64 channel_id;
  char *key;
} GetChannelStateArgs;

static void
get_channel_state_args_free (gpointer data)
{
  GetChannelStateArgs *args = data;

  g_free (args->key);
  g_free (args);
}

static void
get_state_run (Worker *w,
               GTask  *task)
{
  GetChannelStateArgs *args = g_task_get_task_data (task);
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db,
                           "SELECT value FROM channel_state WHERE channel_id = ?1 AND key = ?2",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, args->channel_id);
      sqlite3_bind_text (stmt, 2, args->key, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, value, g_free);
}

/* Days of one contact (@contact_id) or of all, of one @app or of all;
 * @from and @to are unix times. */
static void
report_run (Worker     *w,
            GTask      *task,
            const char *sql,
            gint64      contact_id,
            const char *app,
            gint64      from,
            gint64      to)
{
  g_autoptr(GArray) days = g_array_new (FALSE, TRUE, sizeof (PickyReportDay));
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_named_int64 (stmt, ":contact", contact_id);
      bind_named_int64 (stmt, ":from", floor_day (from));
      bind_named_int64 (stmt, ":to", floor_day (to - 1));
      if (sqlite3_bind_parameter_index (stmt, ":app") > 0)
        sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":app"), app, -1, SQLITE_STATIC);
    }
  while (next_row (stmt, &rc))
    {
      PickyReportDay day = { 0 };

      day.day = sqlite3_column_int64 (stmt, 0);
      day.n_in = sqlite3_column_int64 (stmt, 1);
      day.n_out = sqlite3_column_int64 (stmt, 2);
      day.first_timestamp = sqlite3_column_int64 (stmt, 3);
      day.last_timestamp = sqlite3_column_int64 (stmt, 4);
      day.response_sum = sqlite3_column_int64 (stmt, 5);
      day.response_count = sqlite3_column_int64 (stmt, 6);
      for (guint i = 0; i < PICKY_STORE_RESPONSE_BUCKETS; i++)
        day.response_histogram[i] = sqlite3_column_int64 (stmt, 7 + i);
      g_array_append_val (days, day);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&days), (GDestroyNotify) g_array_unref);
}

typedef struct {
  gint64 contact_id;
  gint64 from;
  gint64 to;
} ReportContactArgs;

static void
report_contact_run (Worker *w,
                    GTask  *task)
{
  ReportContactArgs *args = g_task_get_task_data (task);

  report_run (w, task,
              "SELECT day, n_in, n_out, first_ts, last_ts, resp_sum, resp_count,"
              " h0, h1, h2, h3, h4, h5, h6 FROM contact_days"
              " WHERE contact_id = :contact AND day BETWEEN :from AND :to ORDER BY day",
              args->contact_id, NULL, args->from, args->to);
}

typedef struct {
  char *app;
  gint64 from;
  gint64 to;
} ReportOverallArgs;

static void
report_overall_args_free (gpointer data)
{
  ReportOverallArgs *args = data;

  g_free (args->app);
  g_free (args);
}

static void
report_overall_run (Worker *w,
                    GTask  *task)
{
  ReportOverallArgs *args = g_task_get_task_data (task);

  report_run (w, task,
              args->app != NULL
              ? "SELECT day, n_in, n_out, first_ts, last_ts, resp_sum, resp_count,"
                " h0, h1, h2, h3, h4, h5, h6 FROM daily"
                " WHERE day BETWEEN :from AND :to AND app = :app ORDER BY day"
              : "SELECT day, sum (n_in), sum (n_out), min (first_ts), max (last_ts),"
                " sum (resp_sum), sum (resp_count), sum (h0), sum (h1), sum (h2), sum (h3),"
                " sum (h4), sum (h5), sum (h6) FROM daily"
                " WHERE day BETWEEN :from AND :to GROUP BY day ORDER BY day",
              0, args->app, args->from, args->to);
}

typedef struct {
  gint64 contact_id;
  gint64 from;
  gint64 to;
} ReportHoursArgs;

static void
report_hours_run (Worker *w,
                  GTask  *task)
{
  ReportHoursArgs *args = g_task_get_task_data (task);
  g_autoptr(PickyReportHours) hours = g_new0 (PickyReportHours, 1);
  sqlite3_stmt *stmt = NULL;
  int rc;

  hours->hours = g_array_new (FALSE, TRUE, sizeof (PickyReportHour));

  /* One contact reads its own rows by the primary key; all contacts read
   * the covering index by time, summed per hour and app. */
  rc = sqlite3_prepare_v2 (w->db,
                           args->contact_id != 0
                           ? "SELECT h.hour, c.app, n_in, n_out, first_ts, last_ts, resp_sum, resp_count"
                             " FROM contact_hours h JOIN contacts c ON c.id = h.contact_id"
                             " WHERE h.contact_id = :contact AND h.hour BETWEEN :from AND :to"
                             " ORDER BY h.hour"
                           : "SELECT h.hour, c.app, sum (n_in), sum (n_out), min (first_ts), max (last_ts),"
                             " sum (resp_sum), sum (resp_count)"
                             " FROM contact_hours h JOIN contacts c ON c.id = h.contact_id"
                             " WHERE h.hour BETWEEN :from AND :to"
                             " GROUP BY h.hour, c.app ORDER BY h.hour",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_named_int64 (stmt, ":contact", args->contact_id);
      bind_named_int64 (stmt, ":from", floor_hour (args->from));
      bind_named_int64 (stmt, ":to", floor_hour (args->to - 1));
    }
  while (next_row (stmt, &rc))
    {
      PickyReportHour hour = { 0 };

      hour.hour = sqlite3_column_int64 (stmt, 0);
      hour.contact_id = args->contact_id;
      hour.app = g_intern_string ((const char *) sqlite3_column_text (stmt, 1));
      hour.n_in = sqlite3_column_int64 (stmt, 2);
      hour.n_out = sqlite3_column_int64 (stmt, 3);
      hour.first_timestamp = sqlite3_column_int64 (stmt, 4);
      hour.last_timestamp = sqlite3_column_int64 (stmt, 5);
      hour.response_sum = sqlite3_column_int64 (stmt, 6);
      hour.response_count = sqlite3_column_int64 (stmt, 7);
      g_array_append_val (hours->hours, hour);
    }
  sqlite3_finalize (stmt);
  stmt = NULL;

  if (rc == SQLITE_DONE)
    rc = sqlite3_prepare_v2 (w->db,
                             args->contact_id != 0
                             ? "SELECT bucket, sum (n) FROM response_hours"
                               " WHERE contact_id = :contact AND hour BETWEEN :from AND :to GROUP BY bucket"
                             : "SELECT bucket, sum (n) FROM response_hours"
                               " WHERE hour BETWEEN :from AND :to GROUP BY bucket",
                             -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_named_int64 (stmt, ":contact", args->contact_id);
      bind_named_int64 (stmt, ":from", floor_hour (args->from));
      bind_named_int64 (stmt, ":to", floor_hour (args->to - 1));
    }
  while (next_row (stmt, &rc))
    {
      gint64 bucket = sqlite3_column_int64 (stmt, 0);

      if (bucket >= 0 && bucket < PICKY_STORE_FINE_BUCKETS)
        hours->responses[bucket] += sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&hours), (GDestroyNotify) picky_report_hours_free);
}

static void
contact_summary_clear (gpointer data)
{
  PickyContactSummary *summary = data;

  g_clear_pointer (&summary->name, g_free);
  g_clear_pointer (&summary->phone, g_free);
}

typedef struct {
  gint64 contact_id;
  guint  bucket;
  guint  n;
} BucketCount;

static int
compare_bucket_counts (gconstpointer a,
                       gconstpointer b)
{
  const BucketCount *x = a;
  const BucketCount *y = b;

  return x->contact_id < y->contact_id ? -1 : x->contact_id > y->contact_id;
}

typedef struct {
  gint64 from;
  gint64 to;
} SummarizeContactsArgs;

static void
summarize_contacts_run (Worker *w,
                        GTask  *task)
{
  SummarizeContactsArgs *args = g_task_get_task_data (task);
  g_autoptr(GArray) summaries = g_array_new (FALSE, TRUE, sizeof (PickyContactSummary));
  g_autoptr(GHashTable) index = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GArray) buckets = g_array_new (FALSE, FALSE, sizeof (BucketCount));
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_array_set_clear_func (summaries, contact_summary_clear);

  rc = sqlite3_prepare_v2 (w->db, "SELECT id FROM contacts ORDER BY id", -1, &stmt, NULL);
  while (next_row (stmt, &rc))
    {
      Contact *contact = worker_get_contact (w, sqlite3_column_int64 (stmt, 0));
      PickyContactSummary summary = { 0 };

      if (contact == NULL)
        continue;
      summary.contact_id = contact->id;
      summary.app = g_intern_string (contact->app);
      summary.name = g_strdup (contact->name);
      summary.phone = g_strdup (contact->phone);
      summary.response_median = -1;
      summary.response_p90 = -1;
      g_array_append_val (summaries, summary);
    }
  sqlite3_finalize (stmt);
  stmt = NULL;

  /* The array does not move from here on, so the index may point into it. */
  for (guint i = 0; i < summaries->len; i++)
    {
      PickyContactSummary *summary = &g_array_index (summaries, PickyContactSummary, i);

      g_hash_table_insert (index, &summary->contact_id, summary);
    }

  /* Summed here rather than by GROUP BY: the rows come from the covering
   * index in hour order, and sorting millions of them by contact in SQL
   * costs more than adding them up in a hash table. */
  if (rc == SQLITE_DONE)
    rc = sqlite3_prepare_v2 (w->db,
                             "SELECT contact_id, n_in, n_out, first_ts, last_ts"
                             " FROM contact_hours WHERE hour BETWEEN :from AND :to",
                             -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_named_int64 (stmt, ":from", floor_hour (args->from));
      bind_named_int64 (stmt, ":to", floor_hour (args->to - 1));
    }
  while (next_row (stmt, &rc))
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      PickyContactSummary *summary = g_hash_table_lookup (index, &id);
      gint64 first = sqlite3_column_int64 (stmt, 3);

      if (summary == NULL)
        continue;
      summary->n_in += sqlite3_column_int64 (stmt, 1);
      summary->n_out += sqlite3_column_int64 (stmt, 2);
      if (summary->first_timestamp == 0 || first < summary->first_timestamp)
        summary->first_timestamp = first;
      summary->last_timestamp = MAX (summary->last_timestamp, sqlite3_column_int64 (stmt, 4));
    }
  sqlite3_finalize (stmt);
  stmt = NULL;

  /* Response buckets: far fewer rows; sorted by contact here, then each
   * contact's run is added up into one histogram on the stack. Keeping a
   * histogram for every contact instead costs more to allocate and scan
   * than the sort does. */
  if (rc == SQLITE_DONE)
    rc = sqlite3_prepare_v2 (w->db,
                             "SELECT contact_id, bucket, n FROM response_hours"
                             " WHERE hour BETWEEN :from AND :to",
                             -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_named_int64 (stmt, ":from", floor_hour (args->from));
      bind_named_int64 (stmt, ":to", floor_hour (args->to - 1));
    }
  while (next_row (stmt, &rc))
    {
      BucketCount count = {
        .contact_id = sqlite3_column_int64 (stmt, 0),
        .bucket = (guint) CLAMP (sqlite3_column_int64 (stmt, 1), 0, PICKY_STORE_FINE_BUCKETS - 1),
        .n = (guint) sqlite3_column_int64 (stmt, 2),
      };

      g_array_append_val (buckets, count);
    }
  sqlite3_finalize (stmt);

  g_array_sort (buckets, compare_bucket_counts);
  for (guint start = 0, end; start < buckets->len; start = end)
    {
      gint64 id = g_array_index (buckets, BucketCount, start).contact_id;
      PickyContactSummary *summary = g_hash_table_lookup (index, &id);
      guint counts[PICKY_STORE_FINE_BUCKETS] = { 0 };

      for (end = start; end < buckets->len; end++)
        {
          const BucketCount *count = &g_array_index (buckets, BucketCount, end);

          if (count->contact_id != id)
            break;
          counts[count->bucket] += count->n;
        }

      if (summary != NULL)
        {
          summary->response_median = picky_store_fine_percentile (counts, 0.5);
          summary->response_p90 = picky_store_fine_percentile (counts, 0.9);
        }
    }

  if (rc != SQLITE_DONE)
    return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&summaries), (GDestroyNotify) g_array_unref);
}

typedef struct {
  char *app;
  char *phone;
  gint64 after_id;
  guint limit;
} ListContactsArgs;

static void
list_contacts_args_free (gpointer data)
{
  ListContactsArgs *args = data;

  g_free (args->app);
  g_free (args->phone);
  g_free (args);
}

static void
list_contacts_run (Worker *w,
                   GTask  *task)
{
  ListContactsArgs *args = g_task_get_task_data (task);
  g_autoptr(GPtrArray) contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GString) sql = g_string_new ("SELECT id FROM contacts WHERE id > :after");
  g_autofree char *hash = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (args->app != NULL)
    g_string_append (sql, " AND app = :app");
  if (args->phone != NULL)
    {
      g_autofree char *normal = normalize_phone (args->phone);

      hash = picky_cipher_lookup_hash (w->cipher, "phone", normal);
      g_string_append (sql, " AND phone_hash = :hash");
    }
  g_string_append (sql, " ORDER BY id LIMIT :limit");

  rc = sqlite3_prepare_v2 (w->db, sql->str, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_named_int64 (stmt, ":after", args->after_id);
      bind_named_int64 (stmt, ":limit", args->limit);
      if (args->app != NULL)
        sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":app"), args->app, -1, SQLITE_STATIC);
      if (hash != NULL)
        sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":hash"), hash, -1, SQLITE_STATIC);
    }
  while (next_row (stmt, &rc))
    {
      Contact *contact = worker_get_contact (w, sqlite3_column_int64 (stmt, 0));

      if (contact == NULL)
        continue;
      g_ptr_array_add (contacts,
                       g_variant_ref_sink (g_variant_new ("(xssss)", contact->id, contact->app,
                                                          contact->provider_id,
                                                          contact->name != NULL ? contact->name : "",
                                                          contact->phone != NULL ? contact->phone : "")));
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&contacts), (GDestroyNotify) g_ptr_array_unref);
}

static void
count_messages_run (Worker *w,
                    GTask  *task)
{
  sqlite3_stmt *stmt = NULL;
  gint64 count = 0;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT count(*) FROM messages", -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);

  if (rc != SQLITE_ROW)
    return_sqlite_error (w, task, rc);
  else
    g_task_return_int (task, count);
}

static gboolean
worker_audit (Worker      *w,
              const char  *action,
              const char  *detail,
              GError     **error)
{
  sqlite3_stmt *stmt = worker_prepare (w, "INSERT INTO audit_log (time, action, detail) VALUES (?1, ?2, ?3)",
                                       error);

  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 2, action, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, detail, -1, SQLITE_STATIC);
  return worker_finish (w, stmt, error) >= 0;
}

/* After a deletion of personal data: merge the search index into one new
 * segment, so that no old segment still lists the words, and copy the log
 * into the file and truncate it, so that no older page image survives.
 * secure_delete has zeroed every freed page and cell on the way. */
static gboolean
worker_scrub (Worker  *w,
              GError **error)
{
  return picky_store_exec (w->db, "INSERT INTO messages_fts (messages_fts) VALUES ('optimize')", error) &&
         picky_store_exec (w->db, "PRAGMA wal_checkpoint (TRUNCATE)", error);
}

static void
finish_erasure (Worker  *w,
                GTask   *task,
                gboolean ok,
                GError  *error,
                gint64   count)
{
  if (!ok)
    {
      sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);
      worker_forget_contacts (w);
    }
  else if (!worker_scrub (w, &error))
    ok = FALSE;

  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, count);
}

typedef struct {
  guint days;
} PurgeArgs;

static void
purge_run (Worker *w,
           GTask  *task)
{
  PurgeArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  gint64 cutoff_day = floor_day (g_get_real_time () / G_USEC_PER_SEC) - args->days;
  gint64 count = -1;
  gboolean ok;

  ok = picky_store_exec (w->db, "PRAGMA secure_delete = ON; BEGIN IMMEDIATE", &error) &&
       (count = worker_exec_int (w, "DELETE FROM messages WHERE timestamp < ?1",
                                 cutoff_day * PICKY_STORE_DAY, &error)) >= 0 &&
       worker_exec_int (w, "DELETE FROM contact_days WHERE day < ?1", cutoff_day, &error) >= 0 &&
       worker_exec_int (w, "DELETE FROM daily WHERE day < ?1", cutoff_day, &error) >= 0 &&
       worker_exec_int (w, "DELETE FROM contact_hours WHERE hour < ?1", cutoff_day * 24, &error) >= 0 &&
       worker_exec_int (w, "DELETE FROM response_hours WHERE hour < ?1", cutoff_day * 24, &error) >= 0;
  if (ok)
    {
      g_autofree char *detail = g_strdup_printf ("older than %" G_GINT64_FORMAT " days: %" G_GINT64_FORMAT " messages",
                                                 (gint64) args->days, count);

      ok = worker_audit (w, "purge", detail, &error) && picky_store_exec (w->db, "COMMIT", &error);
    }

  finish_erasure (w, task, ok, error, count);
}

typedef struct {
  gint64 contact_id;
} EraseContactArgs;

static void
erase_contact_run (Worker *w,
                   GTask  *task)
{
  EraseContactArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  gint64 count = -1;
  gboolean ok;

  ok = picky_store_exec (w->db, "PRAGMA secure_delete = ON; BEGIN IMMEDIATE", &error);
  if (ok && worker_get_contact (w, args->contact_id) == NULL)
    {
      g_set_error (&error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("No contact with the number %lld exists"), (long long) args->contact_id);
      ok = FALSE;
    }

  /* The overall rollups lose this contact's share; their first and last
   * times stay as bounds. */
  ok = ok &&
       worker_exec_int (w,
                        "UPDATE daily SET n_in = daily.n_in - cd.n_in, n_out = daily.n_out - cd.n_out,"
                        " resp_sum = daily.resp_sum - cd.resp_sum,"
                        " resp_count = daily.resp_count - cd.resp_count,"
                        " h0 = daily.h0 - cd.h0, h1 = daily.h1 - cd.h1, h2 = daily.h2 - cd.h2,"
                        " h3 = daily.h3 - cd.h3, h4 = daily.h4 - cd.h4, h5 = daily.h5 - cd.h5,"
                        " h6 = daily.h6 - cd.h6"
                        " FROM contact_days cd JOIN contacts c ON c.id = cd.contact_id"
                        " WHERE cd.contact_id = ?1 AND daily.day = cd.day AND daily.app = c.app",
                        args->contact_id, &error) >= 0 &&
       (count = worker_exec_int (w, "DELETE FROM messages WHERE contact_id = ?1", args->contact_id, &error)) >= 0 &&
       worker_exec_int (w, "DELETE FROM contact_days WHERE contact_id = ?1", args->contact_id, &error) >= 0 &&
       worker_exec_int (w, "DELETE FROM contact_hours WHERE contact_id = ?1", args->contact_id, &error) >= 0 &&
       worker_exec_int (w, "DELETE FROM response_hours WHERE contact_id = ?1", args->contact_id, &error) >= 0 &&
       worker_exec_int (w, "DELETE FROM contacts WHERE id = ?1", args->contact_id, &error) >= 0;
  if (ok)
    {
      g_autofree char *detail = g_strdup_printf ("contact %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " messages",
                                                 args->contact_id, count);

      ok = worker_audit (w, "erase-contact", detail, &error) && picky_store_exec (w->db, "COMMIT", &error);
    }
  if (ok)
    worker_forget_contacts (w);

  finish_erasure (w, task, ok, error, count);
}

static PickyMessage *
worker_load_message (Worker  *w,
                     gint64   id,
                     GError **error)
{
  sqlite3_stmt *stmt = NULL;
  PickyMessage *message = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT " MESSAGE_COLUMNS " FROM messages m WHERE m.id = ?1",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        message = message_from_row (w, stmt);
    }
  sqlite3_finalize (stmt);

  if (rc == SQLITE_DONE)
    g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                 _("No message with the number %lld exists"), (long long) id);
  else if (rc != SQLITE_ROW)
    picky_store_set_sqlite_error (error, w->db, rc);

  return message;
}

typedef struct {
  gint64 message_id;
} GetMessageArgs;

static void
get_message_run (Worker *w,
                 GTask  *task)
{
  GetMessageArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  PickyMessage *message = worker_load_message (w, args->message_id, &error);

  if (message == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, message, g_object_unref);
}

typedef struct {
  gint64 contact_id;
} MarkReadArgs;

/* Only the unread rows are visited, through their partial index. */
static void
mark_read_run (Worker *w,
               GTask  *task)
{
  MarkReadArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  gint64 count;

  count = worker_exec_int (w, "UPDATE messages SET unread = 0 WHERE unread = 1 AND contact_id = ?1",
                           args->contact_id, &error);
  if (count < 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, count);
}

/* The console's own outgoing rows: the status is set as the send went,
 * without the forward-only rule of provider reports, since a retry takes a
 * failed message back to queued. The provider's @key for a sent message,
 * if it gave one, is stored hashed and sealed like any other. A message
 * that is not there, or not outgoing, changes nothing. */
static gboolean
worker_set_outgoing (Worker              *w,
                     gint64               id,
                     PickyMessageStatus   status,
                     const char          *error_text,
                     const char          *key,
                     GError             **error)
{
  g_autofree char *key_hash = NULL;
  sqlite3_stmt *stmt;

  /* The key is found by its hash within the channel, so the channel is
   * read first. */
  if (key != NULL)
    {
      gint64 channel_id = 0;
      int rc;

      stmt = worker_prepare (w, "SELECT channel_id FROM messages WHERE id = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, id);
      rc = worker_step (w, stmt, error);
      if (rc == SQLITE_ROW)
        channel_id = sqlite3_column_int64 (stmt, 0);
      sqlite3_finalize (stmt);
      if (rc == 0)
        return FALSE;
      key_hash = picky_store_message_hash (w->cipher, channel_id, key);
    }

  stmt = worker_prepare (w,
                         "UPDATE messages SET status = ?2, error = ?3,"
                         " key_hash = coalesce (?4, key_hash),"
                         " provider_key_enc = coalesce (?5, provider_key_enc)"
                         " WHERE id = ?1 AND direction = 1",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_text (stmt, 2, picky_message_status_to_string (status), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, error_text, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, key_hash, -1, SQLITE_STATIC);
  bind_sealed_message (w, stmt, 5, key, "provider_key", id);

  return worker_finish (w, stmt, error) >= 0;
}

typedef struct {
  gint64 message_id;
  PickyMessageStatus status;
  char *provider_key;
  char *error_text;
} UpdateOutgoingArgs;

static void
update_outgoing_args_free (gpointer data)
{
  UpdateOutgoingArgs *args = data;

  g_free (args->provider_key);
  g_free (args->error_text);
  g_free (args);
}

static void
update_outgoing_run (Worker *w,
                     GTask  *task)
{
  UpdateOutgoingArgs *args = g_task_get_task_data (task);
  GError *error = NULL;
  PickyMessage *message;

  if (!worker_set_outgoing (w, args->message_id, args->status, args->error_text, args->provider_key, &error) ||
      (message = worker_load_message (w, args->message_id, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (picky_message_get_direction (message) != PICKY_DIRECTION_OUT)
    {
      g_object_unref (message);
      g_task_return_new_error (task, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                               _("Message %lld is not an outgoing one"), (long long) args->message_id);
      return;
    }

  worker_emit_changed (w, task, message);
  g_task_return_pointer (task, message, g_object_unref);
}

/* ---- Worker thread: phone relay devices ---- */

#define DEVICE_COLUMNS "id, trusted, revoked, details_enc, paired, last_seen"

/* last_seen is rewritten at most this often: every relay request reads the
 * device, and a write (with its fsync) per request would halve ingest. */
#define LAST_SEEN_GRANULARITY 60

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
device_from_row (Worker       *w,
                 sqlite3_stmt *stmt)
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

  details = decrypt_column (w, stmt, 3, "devices", "details", device->id, &error);
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
register_device_write (Worker  *w,
                       GTask   *task,
                       GError **error)
{
  RegisterDeviceArgs *data = g_task_get_task_data (task);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *token_hash = picky_cipher_lookup_hash (w->cipher, "device-token", data->token);
  g_autoptr(GVariant) details = NULL;
  g_autofree char *details_text = NULL;
  g_autoptr(GBytes) sealed = NULL;
  gboolean trusted = FALSE;
  sqlite3_stmt *stmt = NULL;
  gint64 id;
  int rc;

  if (worker_exec_int (w, "DELETE FROM pairing_codes WHERE expires <= ?1", now, error) < 0)
    return FALSE;

  if (data->code != NULL)
    {
      g_autofree char *normal = normalize_code (data->code);
      g_autofree char *code_hash = picky_cipher_lookup_hash (w->cipher, "pairing-code", normal);
      gint64 used;

      /* Deleting it is what uses it up: one device per code. */
      stmt = worker_prepare (w, "DELETE FROM pairing_codes WHERE code_hash = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, code_hash, -1, SQLITE_STATIC);
      used = worker_finish (w, stmt, error);
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

  stmt = worker_prepare (w,
                         "INSERT INTO devices (trusted, paired, last_seen, token_hash)"
                         " VALUES (?1, ?2, ?2, ?3)",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, trusted);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_text (stmt, 3, token_hash, -1, SQLITE_STATIC);
  if (worker_finish (w, stmt, error) < 0)
    return FALSE;
  id = sqlite3_last_insert_rowid (w->db);

  /* Sealed with the row id as associated data, so it can only be written
   * once the row exists. */
  details = g_variant_ref_sink (g_variant_new ("(ssss)", data->make, data->model, data->os, data->phone));
  details_text = g_variant_print (details, FALSE);
  sealed = picky_cipher_encrypt (w->cipher, details_text, "devices", "details", id);
  stmt = worker_prepare (w, "UPDATE devices SET details_enc = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  picky_store_bind_blob (stmt, 2, sealed);
  if (worker_finish (w, stmt, error) < 0)
    return FALSE;

  data->device = g_new0 (PickyDevice, 1);
  data->device->id = id;
  data->device->state = trusted ? PICKY_DEVICE_STATE_TRUSTED : PICKY_DEVICE_STATE_PENDING;
  data->device->make = g_strdup (data->make);
  data->device->model = g_strdup (data->model);
  data->device->os = g_strdup (data->os);
  data->device->phone = g_strdup (data->phone);
  data->device->paired = now;
  data->device->last_seen = now;

  return TRUE;
}

static void
register_device_done (Worker *w,
                      GTask  *task)
{
  RegisterDeviceArgs *data = g_task_get_task_data (task);

  g_task_return_pointer (task, g_steal_pointer (&data->device), (GDestroyNotify) picky_device_free);
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
add_pairing_code_write (Worker  *w,
                        GTask   *task,
                        GError **error)
{
  AddPairingCodeArgs *data = g_task_get_task_data (task);
  g_autofree char *normal = normalize_code (data->code);
  g_autofree char *code_hash = picky_cipher_lookup_hash (w->cipher, "pairing-code", normal);
  sqlite3_stmt *stmt;

  stmt = worker_prepare (w,
                         "INSERT INTO pairing_codes (code_hash, expires) VALUES (?1, ?2)"
                         " ON CONFLICT (code_hash) DO UPDATE SET expires = excluded.expires",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, code_hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, data->expires);

  return worker_finish (w, stmt, error) >= 0;
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
authenticate_device_run (Worker *w,
                         GTask  *task)
{
  AuthenticateDeviceArgs *data = g_task_get_task_data (task);
  g_autofree char *token_hash = picky_cipher_lookup_hash (w->cipher, "device-token", data->token);
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
      return_sqlite_error (w, task, rc);
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
      if (worker_exec_int (w, sql, device->id, &error) < 0)
        g_debug ("Device %" G_GINT64_FORMAT ": %s", device->id, error->message);
      else
        device->last_seen = now;
    }

  g_task_return_pointer (task, device, (GDestroyNotify) picky_device_free);
}

static void
list_devices_run (Worker *w,
                  GTask  *task)
{
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func ((GDestroyNotify) picky_device_free);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT " DEVICE_COLUMNS " FROM devices ORDER BY id", -1, &stmt, NULL);
  while (next_row (stmt, &rc))
    g_ptr_array_add (devices, device_from_row (w, stmt));
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&devices), (GDestroyNotify) g_ptr_array_unref);
}

typedef struct {
  gint64 device_id;
  PickyDeviceState state;
} SetDeviceStateArgs;

static gboolean
set_device_state_write (Worker  *w,
                        GTask   *task,
                        GError **error)
{
  SetDeviceStateArgs *data = g_task_get_task_data (task);
  sqlite3_stmt *stmt;
  gint64 changed;

  if (data->state == PICKY_DEVICE_STATE_TRUSTED)
    changed = worker_exec_int (w, "UPDATE devices SET trusted = 1 WHERE id = ?1 AND revoked = 0",
                               data->device_id, error);
  else
    changed = worker_exec_int (w, "UPDATE devices SET trusted = 0, revoked = 1 WHERE id = ?1",
                               data->device_id, error);
  if (changed < 0)
    return FALSE;
  if (changed == 0)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("Phone %lld does not exist or was revoked"), (long long) data->device_id);
      return FALSE;
    }

  if (data->state != PICKY_DEVICE_STATE_REVOKED)
    return TRUE;

  /* What a revoked phone was still to send never goes out: say so on the
   * replies instead of leaving them queued for ever. */
  stmt = worker_prepare (w,
                         "UPDATE messages SET status = 'failed', error = ?2 WHERE id IN"
                         " (SELECT message_id FROM relay_outbox WHERE device_id = ?1 AND state = 0)",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, data->device_id);
  sqlite3_bind_text (stmt, 2, _("The phone that was to send this reply was revoked"), -1, SQLITE_TRANSIENT);
  if (worker_finish (w, stmt, error) < 0)
    return FALSE;

  return worker_exec_int (w, "UPDATE relay_outbox SET state = 2 WHERE device_id = ?1 AND state = 0",
                          data->device_id, error) >= 0;
}

typedef struct {
  gint64 message_id;
  gint64 device_id;
} QueueRelayReplyArgs;

static gboolean
queue_relay_reply_write (Worker  *w,
                         GTask   *task,
                         GError **error)
{
  QueueRelayReplyArgs *data = g_task_get_task_data (task);
  sqlite3_stmt *stmt = NULL;
  gboolean trusted = FALSE;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT trusted = 1 AND revoked = 0 FROM devices WHERE id = ?1",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, data->device_id);
      rc = sqlite3_step (stmt);
      trusted = rc == SQLITE_ROW && sqlite3_column_int (stmt, 0) != 0;
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return FALSE;
    }
  if (!trusted)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("No trusted phone with the number %lld exists to send this reply"),
                   (long long) data->device_id);
      return FALSE;
    }

  /* A retry of a failed reply puts the same row back in the outbox. */
  stmt = worker_prepare (w,
                         "INSERT INTO relay_outbox (message_id, device_id) VALUES (?1, ?2)"
                         " ON CONFLICT (message_id) DO UPDATE SET device_id = excluded.device_id,"
                         " state = 0",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, data->message_id);
  sqlite3_bind_int64 (stmt, 2, data->device_id);

  return worker_finish (w, stmt, error) >= 0;
}

typedef struct {
  gint64 device_id;
} ListRelayRepliesArgs;

static void
list_relay_replies_run (Worker *w,
                        GTask  *task)
{
  ListRelayRepliesArgs *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) replies = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (w->db,
                           "SELECT " MESSAGE_COLUMNS " FROM relay_outbox o"
                           " JOIN messages m ON m.id = o.message_id"
                           " WHERE o.device_id = ?1 AND o.state = 0 ORDER BY o.message_id",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    sqlite3_bind_int64 (stmt, 1, data->device_id);
  while (next_row (stmt, &rc))
    g_ptr_array_add (replies, message_from_row (w, stmt));
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    return_sqlite_error (w, task, rc);
  else
    g_task_return_pointer (task, g_steal_pointer (&replies), (GDestroyNotify) g_ptr_array_unref);
}

typedef struct {
  gint64 device_id;
  gint64 message_id;
  gboolean sent;
  char *error_text;
  gboolean moved;                /* the acknowledgement changed the message */
  PickyMessage *message;         /* what the write returns once committed */
} AckRelayReplyArgs;

static void
ack_relay_reply_args_free (gpointer data)
{
  AckRelayReplyArgs *args = data;

  g_free (args->error_text);
  g_clear_object (&args->message);
  g_free (args);
}

static gboolean
ack_relay_reply_write (Worker  *w,
                       GTask   *task,
                       GError **error)
{
  AckRelayReplyArgs *data = g_task_get_task_data (task);
  PickyMessageStatus status = data->sent ? PICKY_MESSAGE_STATUS_SENT : PICKY_MESSAGE_STATUS_FAILED;
  sqlite3_stmt *stmt = NULL;
  int state = -1;
  int rc;

  rc = sqlite3_prepare_v2 (w->db, "SELECT state FROM relay_outbox WHERE message_id = ?1 AND device_id = ?2",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, data->message_id);
      sqlite3_bind_int64 (stmt, 2, data->device_id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        state = sqlite3_column_int (stmt, 0);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, w->db, rc);
      return FALSE;
    }
  if (state < 0)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NOT_FOUND,
                   _("No reply with the number %lld waits for this phone"), (long long) data->message_id);
      return FALSE;
    }

  /* Only the first word counts: a phone that repeats its acknowledgement
   * after a lost answer must not move the reply again. */
  if (state == 0)
    {
      if (worker_exec_int (w, data->sent ? "UPDATE relay_outbox SET state = 1 WHERE message_id = ?1"
                                         : "UPDATE relay_outbox SET state = 2 WHERE message_id = ?1",
                           data->message_id, error) < 0 ||
          !worker_set_outgoing (w, data->message_id, status, data->sent ? NULL : data->error_text, NULL, error))
        return FALSE;
      data->moved = TRUE;
    }

  data->message = worker_load_message (w, data->message_id, error);
  return data->message != NULL;
}

static void
ack_relay_reply_done (Worker *w,
                      GTask  *task)
{
  AckRelayReplyArgs *data = g_task_get_task_data (task);

  if (data->moved)
    worker_emit_changed (w, task, data->message);

  g_task_return_pointer (task, g_steal_pointer (&data->message), g_object_unref);
}

/* ---- Main thread ---- */

/* A task of the operation @tag that owns @args, the operation's arguments,
 * freed with @args_free (NULL when there are none). */
static GTask *
store_task_new (PickyStore          *self,
                gpointer             tag,
                gpointer             args,
                GDestroyNotify       args_free,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  if (args != NULL)
    g_task_set_task_data (task, args, args_free);

  return task;
}

static void
queue_job (PickyStore *self,
           GTask      *task,
           JobRun      run,
           JobWrite    write,
           JobDone     done)
{
  Job *job;

  if (self->closed)
    {
      g_task_return_new_error (task, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CLOSED,
                               _("The message database is closed"));
      g_object_unref (task);
      return;
    }

  job = g_new0 (Job, 1);
  job->run = run;
  job->write = write;
  job->done = done;
  job->task = task;
  g_async_queue_push (self->queue, job);
}

static void
picky_store_dispose (GObject *object)
{
  picky_store_close (PICKY_STORE (object));

  G_OBJECT_CLASS (picky_store_parent_class)->dispose (object);
}

static void
picky_store_finalize (GObject *object)
{
  PickyStore *self = PICKY_STORE (object);

  g_clear_pointer (&self->queue, g_async_queue_unref);

  G_OBJECT_CLASS (picky_store_parent_class)->finalize (object);
}

static void
picky_store_class_init (PickyStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = picky_store_dispose;
  object_class->finalize = picky_store_finalize;

  /**
   * PickyStore::messages-added:
   * @messages: (element-type PickyMessage): the new messages of one batch
   *
   * Emitted once per committed batch that had new messages, on the main
   * context of the thread that opened the store.
   */
  signals[MESSAGES_ADDED] =
    g_signal_new ("messages-added",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);

  /**
   * PickyStore::messages-changed:
   * @messages: (element-type PickyMessage): messages whose stored row changed
   *
   * Emitted once per committed batch that edited texts or moved statuses of
   * stored messages, and when an outgoing message's send is recorded. An
   * edit carries its id and new text, a status report its id, status and
   * error; a recorded send carries the whole row.
   */
  signals[MESSAGES_CHANGED] =
    g_signal_new ("messages-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
}

static void
picky_store_init (PickyStore *self)
{
  self->queue = g_async_queue_new ();
}

/**
 * picky_store_default_path:
 *
 * Returns: (transfer full): the database file in the user's data folder
 */
char *
picky_store_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "picky-console", "picky-console.db", NULL);
}

/**
 * picky_store_open_async:
 * @path: the database file; it and its folder are created when missing
 * @cipher: encrypts and decrypts the personal details
 *
 * Opens the database on a new worker thread and brings its schema up to
 * date. Signals of the store are emitted on the calling thread's main context.
 */
void
picky_store_open_async (const char          *path,
                        PickyCipher         *cipher,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(PickyStore) self = NULL;
  g_autoptr(GError) error = NULL;
  GTask *task;
  Worker *w;

  g_return_if_fail (path != NULL);
  g_return_if_fail (PICKY_IS_CIPHER (cipher));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  self = g_object_new (PICKY_TYPE_STORE, NULL);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_store_open_async);

  w = g_new0 (Worker, 1);
  w->queue = g_async_queue_ref (self->queue);
  w->path = g_strdup (path);
  w->cipher = g_object_ref (cipher);
  w->context = g_main_context_ref_thread_default ();
  w->channels = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, channel_free);
  w->contacts_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, contact_free);
  w->contacts_by_id = g_hash_table_new (g_int64_hash, g_int64_equal);

  self->thread = g_thread_try_new ("picky-store", worker_main, w, &error);
  if (self->thread == NULL)
    {
      self->closed = TRUE;
      worker_free (w);
      g_task_return_new_error (task, PICKY_STORE_ERROR, PICKY_STORE_ERROR_FAILED,
                               _("The message database could not start: %s"), error->message);
      g_object_unref (task);
      return;
    }

  queue_job (self, task, open_run, NULL, NULL);
}

/**
 * picky_store_open_finish:
 *
 * Returns: (transfer full): the open store, or %NULL
 */
PickyStore *
picky_store_open_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == picky_store_open_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_peek_has_encrypted_rows_async:
 * @path: the database file, which need not exist
 *
 * Looks, without the data key, whether the file holds anything sealed or
 * hashed with it: personal details, contacts, relay devices, pairing codes.
 * Only when it holds none may a new key be made; otherwise a key missing
 * from the keyring is lost data, not a first start.
 */
void
picky_store_peek_has_encrypted_rows_async (const char          *path,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, picky_store_peek_has_encrypted_rows_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, peek_thread);
}

/**
 * picky_store_peek_has_encrypted_rows_finish:
 *
 * Returns: %TRUE when encrypted or keyed rows exist; %FALSE when none do or
 *   the file does not exist, and on error
 */
gboolean
picky_store_peek_has_encrypted_rows_finish (GAsyncResult  *result,
                                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == picky_store_peek_has_encrypted_rows_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * picky_store_close:
 *
 * Lets the work already asked for finish, then closes the database and
 * waits for that; later calls fail with %PICKY_STORE_ERROR_CLOSED.
 */
void
picky_store_close (PickyStore *self)
{
  Job *stop;

  g_return_if_fail (PICKY_IS_STORE (self));

  if (self->closed)
    return;
  self->closed = TRUE;

  stop = g_new0 (Job, 1);
  stop->stop = TRUE;
  g_async_queue_push (self->queue, stop);

  /* The last reference can drop on the worker itself, when a finished task
   * lets go of its source object there; it cannot wait for itself, and
   * closes the database on its own once it reaches the stop. */
  if (g_thread_self () == self->thread)
    g_thread_unref (self->thread);
  else
    g_thread_join (self->thread);
  self->thread = NULL;
}

static void
ingest_common (PickyStore          *self,
               GPtrArray           *batch,
               gint64               channel_id,
               const char          *key,
               const char          *value,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  IngestArgs *data = g_new0 (IngestArgs, 1);

  g_task_set_source_tag (task, picky_store_ingest_async);
  /* Once committed, the result must reach the caller even if it cancelled
   * meanwhile: it tells which messages are stored. */
  g_task_set_check_cancellable (task, FALSE);
  data->batch = g_ptr_array_ref (batch);
  data->state_channel = channel_id;
  data->state_key = g_strdup (key);
  data->state_value = g_strdup (value);
  g_task_set_task_data (task, data, ingest_args_free);

  queue_job (self, task, NULL, ingest_write, ingest_done);
}

/**
 * picky_store_ingest_async:
 * @batch: (element-type PickyMessage): messages to store; the store sets
 *   their id, contact id, app and whether each is new, so leave them alone
 *   until the call finishes
 *
 * Stores a batch idempotently. It completes only once the batch is durably
 * committed, together with whatever other batches were waiting.
 */
void
picky_store_ingest_async (PickyStore          *self,
                          GPtrArray           *batch,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (batch != NULL);

  ingest_common (self, batch, 0, NULL, NULL, cancellable, callback, user_data);
}

void
picky_store_ingest_with_state_async (PickyStore          *self,
                                     GPtrArray           *batch,
                                     gint64               channel_id,
                                     const char          *key,
                                     const char          *value,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (batch != NULL);
  g_return_if_fail (key != NULL);

  ingest_common (self, batch, channel_id, key, value, cancellable, callback, user_data);
}

/**
 * picky_store_ingest_finish:
 *
 * Returns: how many messages of the batch were new
 */
guint
picky_store_ingest_finish (PickyStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  gssize n_new;

  g_return_val_if_fail (PICKY_IS_STORE (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  n_new = g_task_propagate_int (G_TASK (result), error);
  return MAX (n_new, 0);
}

static void
page_common (PickyStore           *self,
             gpointer              tag,
             JobRun                run,
             const char           *text,
             const PickyPageQuery *query,
             GCancellable         *cancellable,
             GAsyncReadyCallback   callback,
             gpointer              user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  PageArgs *data = g_new0 (PageArgs, 1);

  g_task_set_source_tag (task, tag);
  data->query = *query;
  data->apps = g_strdupv ((char **) query->apps);
  data->query.apps = (const char * const *) data->apps;
  data->text = g_strdup (text);
  if (data->query.limit == 0)
    data->query.limit = 50;
  g_task_set_task_data (task, data, page_args_free);

  queue_job (self, task, run, NULL, NULL);
}

/**
 * picky_store_list_messages_async:
 *
 * A page of messages, newest first, older than (before_timestamp,
 * before_id) when those are set: pass the last message's timestamp and id
 * to get the next page.
 */
void
picky_store_list_messages_async (PickyStore           *self,
                                 const PickyPageQuery *query,
                                 GCancellable         *cancellable,
                                 GAsyncReadyCallback   callback,
                                 gpointer              user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (query != NULL);

  page_common (self, picky_store_list_messages_async, list_messages_run, NULL, query,
               cancellable, callback, user_data);
}

/**
 * picky_store_list_messages_finish:
 *
 * Returns: (transfer container) (element-type PickyMessage): the page
 */
GPtrArray *
picky_store_list_messages_finish (PickyStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_search_async:
 * @query: words that must all occur in a message's text or caption
 * @page: filters and the page; only before_id counts for paging, since
 *   results come newest first by arrival
 */
void
picky_store_search_async (PickyStore           *self,
                          const char           *query,
                          const PickyPageQuery *page,
                          GCancellable         *cancellable,
                          GAsyncReadyCallback   callback,
                          gpointer              user_data)
{
  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (query != NULL);
  g_return_if_fail (page != NULL);

  page_common (self, picky_store_search_async, search_run, query, page,
               cancellable, callback, user_data);
}

/**
 * picky_store_search_finish:
 *
 * Returns: (transfer container) (element-type PickyMessage): the page
 */
GPtrArray *
picky_store_search_finish (PickyStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_add_channel_async (PickyStore          *self,
                               const char          *app,
                               const char          *kind,
                               const char          *name,
                               const char          *settings_json,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  AddChannelArgs *args = g_new0 (AddChannelArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (app != NULL);
  g_return_if_fail (kind != NULL);
  g_return_if_fail (name != NULL);

  args->app = g_strdup (app);
  args->kind = g_strdup (kind);
  args->name = g_strdup (name);
  args->settings = g_strdup (settings_json);
  task = store_task_new (self, picky_store_add_channel_async, args, add_channel_args_free, cancellable, callback, user_data);
  queue_job (self, task, add_channel_run, NULL, NULL);
}

/**
 * picky_store_add_channel_finish:
 *
 * Returns: the new channel's id, or 0
 */
gint64
picky_store_add_channel_finish (PickyStore    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  gssize id;

  g_return_val_if_fail (PICKY_IS_STORE (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  id = g_task_propagate_int (G_TASK (result), error);
  return MAX (id, 0);
}

/**
 * picky_store_update_channel_async:
 * @name: (nullable): the new name, or %NULL to keep it
 * @settings_json: (nullable): the new settings, or %NULL to keep them
 */
void
picky_store_update_channel_async (PickyStore          *self,
                                  gint64               channel_id,
                                  const char          *name,
                                  const char          *settings_json,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  UpdateChannelArgs *args = g_new0 (UpdateChannelArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->channel_id = channel_id;
  args->name = g_strdup (name);
  args->settings = g_strdup (settings_json);
  task = store_task_new (self, picky_store_update_channel_async, args, update_channel_args_free, cancellable, callback, user_data);
  queue_job (self, task, update_channel_run, NULL, NULL);
}

gboolean
picky_store_update_channel_finish (PickyStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * picky_store_remove_channel_async:
 *
 * The channel leaves the list and takes no more messages; its messages stay.
 */
void
picky_store_remove_channel_async (PickyStore          *self,
                                  gint64               channel_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  RemoveChannelArgs *args = g_new0 (RemoveChannelArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->channel_id = channel_id;
  task = store_task_new (self, picky_store_remove_channel_async, args, g_free, cancellable, callback, user_data);
  queue_job (self, task, remove_channel_run, NULL, NULL);
}

gboolean
picky_store_remove_channel_finish (PickyStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
picky_store_list_channels_async (PickyStore          *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  task = store_task_new (self, picky_store_list_channels_async, NULL, NULL, cancellable, callback, user_data);
  queue_job (self, task, list_channels_run, NULL, NULL);
}

/**
 * picky_store_list_channels_finish:
 *
 * Returns: (transfer container) (element-type GVariant): one (xssss) per channel
 */
GPtrArray *
picky_store_list_channels_finish (PickyStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_set_channel_state_async:
 *
 * Completes once the value is durably committed; it shares the group
 * commit of the batches waiting at the same time.
 */
void
picky_store_set_channel_state_async (PickyStore          *self,
                                     gint64               channel_id,
                                     const char          *key,
                                     const char          *value,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  SetChannelStateArgs *args = g_new0 (SetChannelStateArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (key != NULL);

  args->channel_id = channel_id;
  args->key = g_strdup (key);
  args->value = g_strdup (value);
  task = store_task_new (self, picky_store_set_channel_state_async, args, set_channel_state_args_free, cancellable, callback, user_data);
  queue_job (self, task, NULL, state_write, boolean_done);
}

gboolean
picky_store_set_channel_state_finish (PickyStore    *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
picky_store_get_channel_state_async (PickyStore          *self,
                                     gint64               channel_id,
                                     const char          *key,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GetChannelStateArgs *args = g_new0 (GetChannelStateArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (key != NULL);

  args->channel_id = channel_id;
  args->key = g_strdup (key);
  task = store_task_new (self, picky_store_get_channel_state_async, args, get_channel_state_args_free, cancellable, callback, user_data);
  queue_job (self, task, get_state_run, NULL, NULL);
}

/**
 * picky_store_get_channel_state_finish:
 *
 * Returns: (transfer full) (nullable): the value, or %NULL when none is set
 */
char *
picky_store_get_channel_state_finish (PickyStore    *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_report_contact_async (PickyStore          *self,
                                  gint64               contact_id,
                                  gint64               from,
                                  gint64               to,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  ReportContactArgs *args = g_new0 (ReportContactArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (from < to);

  args->contact_id = contact_id;
  args->from = from;
  args->to = to;
  task = store_task_new (self, picky_store_report_contact_async, args, g_free, cancellable, callback, user_data);
  queue_job (self, task, report_contact_run, NULL, NULL);
}

/**
 * picky_store_report_contact_finish:
 *
 * Returns: (transfer full) (element-type PickyReportDay): the days
 */
GArray *
picky_store_report_contact_finish (PickyStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_report_overall_async (PickyStore          *self,
                                  const char          *app,
                                  gint64               from,
                                  gint64               to,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  ReportOverallArgs *args = g_new0 (ReportOverallArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (from < to);

  args->app = g_strdup (app);
  args->from = from;
  args->to = to;
  task = store_task_new (self, picky_store_report_overall_async, args, report_overall_args_free, cancellable, callback, user_data);
  queue_job (self, task, report_overall_run, NULL, NULL);
}

/**
 * picky_store_report_overall_finish:
 *
 * Returns: (transfer full) (element-type PickyReportDay): the days
 */
GArray *
picky_store_report_overall_finish (PickyStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_report_sum:
 * @days: (element-type PickyReportDay): days of a report
 * @total: (out caller-allocates): their sum; its day is the first day's
 */
void
picky_store_report_sum (GArray         *days,
                        PickyReportDay *total)
{
  g_return_if_fail (days != NULL);
  g_return_if_fail (total != NULL);

  memset (total, 0, sizeof *total);
  for (guint i = 0; i < days->len; i++)
    {
      const PickyReportDay *day = &g_array_index (days, PickyReportDay, i);

      if (i == 0)
        {
          total->day = day->day;
          total->first_timestamp = day->first_timestamp;
        }
      total->n_in += day->n_in;
      total->n_out += day->n_out;
      total->first_timestamp = MIN (total->first_timestamp, day->first_timestamp);
      total->last_timestamp = MAX (total->last_timestamp, day->last_timestamp);
      total->response_sum += day->response_sum;
      total->response_count += day->response_count;
      for (guint b = 0; b < PICKY_STORE_RESPONSE_BUCKETS; b++)
        total->response_histogram[b] += day->response_histogram[b];
    }
}

/**
 * picky_store_report_response_percentile:
 * @fraction: 0.5 for the median, 0.9 for p90
 *
 * Returns: the upper bound in seconds of the histogram bucket that holds
 *   that share of the first-response times, %G_MAXINT64 for the open last
 *   bucket, or -1 when no response was counted
 */
gint64
picky_store_report_response_percentile (const PickyReportDay *day,
                                        double                fraction)
{
  static const gint64 bounds[PICKY_STORE_RESPONSE_BUCKETS] = {
    60, 300, 900, 3600, 4 * 3600, 86400, G_MAXINT64,
  };
  double wanted;
  guint seen = 0;

  g_return_val_if_fail (day != NULL, -1);

  if (day->response_count == 0)
    return -1;

  wanted = fraction * day->response_count;
  for (guint b = 0; b < PICKY_STORE_RESPONSE_BUCKETS; b++)
    {
      seen += day->response_histogram[b];
      if (seen >= wanted && seen > 0)
        return bounds[b];
    }

  return G_MAXINT64;
}

/**
 * picky_store_fine_percentile:
 * @responses: (array fixed-size=128): counts per fine bucket
 * @fraction: 0.5 for the median, 0.9 for p90
 *
 * Returns: the nearest-rank percentile in seconds, within 10 % of the exact
 *   one, or -1 when no response was counted
 */
gint64
picky_store_fine_percentile (const guint *responses,
                             double       fraction)
{
  guint64 total = 0;
  guint64 wanted;
  guint64 seen = 0;

  g_return_val_if_fail (responses != NULL, -1);

  for (guint b = 0; b < PICKY_STORE_FINE_BUCKETS; b++)
    total += responses[b];
  if (total == 0)
    return -1;

  /* Nearest rank: the smallest time with at least this share at or below it. */
  wanted = (guint64) ceil (fraction * total);
  wanted = CLAMP (wanted, 1, total);
  for (guint b = 0; b < PICKY_STORE_FINE_BUCKETS; b++)
    {
      seen += responses[b];
      if (seen >= wanted)
        return picky_store_fine_bucket_value (b);
    }

  return picky_store_fine_bucket_value (PICKY_STORE_FINE_BUCKETS - 1);
}

void
picky_store_report_hours_async (PickyStore          *self,
                                gint64               contact_id,
                                gint64               from,
                                gint64               to,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  ReportHoursArgs *args = g_new0 (ReportHoursArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (from < to);

  args->contact_id = contact_id;
  args->from = from;
  args->to = to;
  task = store_task_new (self, picky_store_report_hours_async, args, g_free, cancellable, callback, user_data);
  queue_job (self, task, report_hours_run, NULL, NULL);
}

/**
 * picky_store_report_hours_finish:
 *
 * Returns: (transfer full): the hours and the response-time histogram
 */
PickyReportHours *
picky_store_report_hours_finish (PickyStore    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_report_hours_free (PickyReportHours *hours)
{
  if (hours == NULL)
    return;

  g_clear_pointer (&hours->hours, g_array_unref);
  g_free (hours);
}

void
picky_store_summarize_contacts_async (PickyStore          *self,
                                      gint64               from,
                                      gint64               to,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  SummarizeContactsArgs *args = g_new0 (SummarizeContactsArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (from < to);

  args->from = from;
  args->to = to;
  task = store_task_new (self, picky_store_summarize_contacts_async, args, g_free, cancellable, callback, user_data);
  queue_job (self, task, summarize_contacts_run, NULL, NULL);
}

/**
 * picky_store_summarize_contacts_finish:
 *
 * Returns: (transfer full) (element-type PickyContactSummary): every contact
 */
GArray *
picky_store_summarize_contacts_finish (PickyStore    *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_list_contacts_async (PickyStore          *self,
                                 const char          *app,
                                 const char          *phone,
                                 gint64               after_id,
                                 guint                limit,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  ListContactsArgs *args = g_new0 (ListContactsArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->app = g_strdup (app);
  args->phone = g_strdup (phone);
  args->after_id = after_id;
  args->limit = limit > 0 ? limit : 100;
  task = store_task_new (self, picky_store_list_contacts_async, args, list_contacts_args_free, cancellable, callback, user_data);
  queue_job (self, task, list_contacts_run, NULL, NULL);
}

/**
 * picky_store_list_contacts_finish:
 *
 * Returns: (transfer container) (element-type GVariant): one (xssss) per contact
 */
GPtrArray *
picky_store_list_contacts_finish (PickyStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_count_messages_async (PickyStore          *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  task = store_task_new (self, picky_store_count_messages_async, NULL, NULL, cancellable, callback, user_data);
  queue_job (self, task, count_messages_run, NULL, NULL);
}

/**
 * picky_store_count_messages_finish:
 *
 * Returns: the number of stored messages, or -1
 */
gint64
picky_store_count_messages_finish (PickyStore    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

void
picky_store_purge_async (PickyStore          *self,
                         guint                days,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  PurgeArgs *args = g_new0 (PurgeArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->days = days;
  task = store_task_new (self, picky_store_purge_async, args, g_free, cancellable, callback, user_data);
  queue_job (self, task, purge_run, NULL, NULL);
}

/**
 * picky_store_purge_finish:
 *
 * Returns: how many messages were removed, or -1
 */
gint64
picky_store_purge_finish (PickyStore    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

void
picky_store_erase_contact_async (PickyStore          *self,
                                 gint64               contact_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  EraseContactArgs *args = g_new0 (EraseContactArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->contact_id = contact_id;
  task = store_task_new (self, picky_store_erase_contact_async, args, g_free, cancellable, callback, user_data);
  queue_job (self, task, erase_contact_run, NULL, NULL);
}

gboolean
picky_store_erase_contact_finish (PickyStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_int (G_TASK (result), error) >= 0;
}

/**
 * picky_store_get_message_async:
 * @id: the message's row id
 *
 * Reads one message, with its contact's details.
 */
void
picky_store_get_message_async (PickyStore          *self,
                               gint64               id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GetMessageArgs *args = g_new0 (GetMessageArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->message_id = id;
  task = store_task_new (self, picky_store_get_message_async, args, g_free, cancellable, callback, user_data);
  queue_job (self, task, get_message_run, NULL, NULL);
}

/**
 * picky_store_get_message_finish:
 *
 * Returns: (transfer full): the message, or %NULL with
 *   %PICKY_STORE_ERROR_NOT_FOUND when there is none with that id
 */
PickyMessage *
picky_store_get_message_finish (PickyStore    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * picky_store_mark_read_async:
 * @contact_id: whose conversation was shown
 *
 * Clears the unread mark of every message of the contact.
 */
void
picky_store_mark_read_async (PickyStore          *self,
                             gint64               contact_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  MarkReadArgs *args = g_new0 (MarkReadArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (contact_id > 0);

  args->contact_id = contact_id;
  task = store_task_new (self, picky_store_mark_read_async, args, g_free, cancellable, callback, user_data);
  queue_job (self, task, mark_read_run, NULL, NULL);
}

/**
 * picky_store_mark_read_finish:
 *
 * Returns: how many messages were unread, or -1 on error
 */
gint64
picky_store_mark_read_finish (PickyStore    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

/**
 * picky_store_update_outgoing_async:
 * @id: the row id of a message the console sends
 * @status: where its send stands: queued, sent or failed
 * @provider_key: (nullable): the key the provider gave it once sent, which
 *   replaces the local one so that the provider's status reports find it
 * @error_text: (nullable): why it failed, in words for the admin
 *
 * Records how a send went and emits #PickyStore::messages-changed with the
 * row as it now is.
 */
void
picky_store_update_outgoing_async (PickyStore          *self,
                                   gint64               id,
                                   PickyMessageStatus   status,
                                   const char          *provider_key,
                                   const char          *error_text,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  UpdateOutgoingArgs *args = g_new0 (UpdateOutgoingArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (status > PICKY_MESSAGE_STATUS_NONE && status <= PICKY_MESSAGE_STATUS_FAILED);

  args->message_id = id;
  args->status = status;
  args->provider_key = g_strdup (provider_key);
  args->error_text = g_strdup (error_text);
  task = store_task_new (self, picky_store_update_outgoing_async, args, update_outgoing_args_free,
                         cancellable, callback, user_data);
  /* The result must reach the sender even if it stopped waiting: the row
   * has changed either way. */
  g_task_set_check_cancellable (task, FALSE);
  queue_job (self, task, update_outgoing_run, NULL, NULL);
}

/**
 * picky_store_update_outgoing_finish:
 *
 * Returns: (transfer full): the message as stored now, or %NULL
 */
PickyMessage *
picky_store_update_outgoing_finish (PickyStore    *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

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
  task = store_task_new (self, picky_store_add_pairing_code_async, args, add_pairing_code_args_free, cancellable, callback, user_data);
  queue_job (self, task, NULL, add_pairing_code_write, boolean_done);
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
  task = store_task_new (self, picky_store_register_device_async, args, register_device_args_free, cancellable, callback, user_data);
  queue_job (self, task, NULL, register_device_write, register_device_done);
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
  task = store_task_new (self, picky_store_authenticate_device_async, args, authenticate_device_args_free, cancellable, callback, user_data);
  queue_job (self, task, authenticate_device_run, NULL, NULL);
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

  task = store_task_new (self, picky_store_list_devices_async, NULL, NULL, cancellable, callback, user_data);
  queue_job (self, task, list_devices_run, NULL, NULL);
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
  task = store_task_new (self, picky_store_set_device_state_async, args, g_free, cancellable, callback, user_data);
  queue_job (self, task, NULL, set_device_state_write, boolean_done);
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

void
picky_store_queue_relay_reply_async (PickyStore          *self,
                                     gint64               message_id,
                                     gint64               device_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  QueueRelayReplyArgs *args = g_new0 (QueueRelayReplyArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));
  g_return_if_fail (message_id > 0);

  args->message_id = message_id;
  args->device_id = device_id;
  task = store_task_new (self, picky_store_queue_relay_reply_async, args, g_free, cancellable, callback, user_data);
  queue_job (self, task, NULL, queue_relay_reply_write, boolean_done);
}

gboolean
picky_store_queue_relay_reply_finish (PickyStore    *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
picky_store_list_relay_replies_async (PickyStore          *self,
                                      gint64               device_id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  ListRelayRepliesArgs *args = g_new0 (ListRelayRepliesArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->device_id = device_id;
  task = store_task_new (self, picky_store_list_relay_replies_async, args, g_free, cancellable, callback, user_data);
  queue_job (self, task, list_relay_replies_run, NULL, NULL);
}

/**
 * picky_store_list_relay_replies_finish:
 *
 * Returns: (transfer full) (element-type PickyMessage): the waiting replies
 */
GPtrArray *
picky_store_list_relay_replies_finish (PickyStore    *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
picky_store_ack_relay_reply_async (PickyStore          *self,
                                   gint64               device_id,
                                   gint64               message_id,
                                   gboolean             sent,
                                   const char          *error_text,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  AckRelayReplyArgs *args = g_new0 (AckRelayReplyArgs, 1);
  GTask *task;

  g_return_if_fail (PICKY_IS_STORE (self));

  args->device_id = device_id;
  args->message_id = message_id;
  args->sent = sent;
  args->error_text = g_strdup (error_text);
  task = store_task_new (self, picky_store_ack_relay_reply_async, args, ack_relay_reply_args_free, cancellable, callback, user_data);
  queue_job (self, task, NULL, ack_relay_reply_write, ack_relay_reply_done);
}

/**
 * picky_store_ack_relay_reply_finish:
 *
 * Returns: (transfer full): the reply as stored after the acknowledgement
 */
PickyMessage *
picky_store_ack_relay_reply_finish (PickyStore    *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (PICKY_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
