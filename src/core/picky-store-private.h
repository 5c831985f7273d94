/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the store's files share: the worker and its helpers, the schema, its migrations and the
 * hot statements (which the benchmark shares too). */

#pragma once

#include <glib.h>
#include <sqlite3.h>

#include "picky-business-hours.h"
#include "picky-cipher.h"
#include "picky-store.h"
#include "picky-store-checkpoint.h"
#include "picky-store-indexer.h"
#include "picky-store-syncer.h"

G_BEGIN_DECLS

/* The version a freshly created or migrated database has (PRAGMA user_version). */
#define PICKY_STORE_SCHEMA_VERSION 15

/* The lookup-hash purpose of contacts' provider ids. */
#define PICKY_STORE_CONTACT_PURPOSE "contact-provider-id"
/* The lookup-hash purpose of messages' provider keys. */
#define PICKY_STORE_MESSAGE_PURPOSE "message-provider-key"

/* Seconds per rollup day: days are UTC days since the epoch. */
#define PICKY_STORE_DAY 86400

/* Connection settings every connection to the file uses: WAL, full fsync
 * at commit, a wait for other processes before giving up. */
gboolean picky_store_vfs_register (void);
gboolean picky_store_schema_configure (sqlite3  *db,
                                       GError  **error);
/* Brings the schema from any earlier version to the current one, in one
 * transaction per step; @cipher hashes and seals what earlier versions
 * kept in plaintext. */
gboolean picky_store_schema_migrate   (sqlite3      *db,
                                       PickyCipher  *cipher,
                                       GError      **error);
/* Told how far a long migration step has come, from 0 to 1, on the
 * thread that migrates. */
typedef void (*PickyStoreMigrateProgress) (double   fraction,
                                           gpointer data);
/* The same, telling @progress_func how far steps that read every message
 * have come. */
gboolean picky_store_schema_migrate_with_progress (sqlite3                    *db,
                                                   PickyCipher                *cipher,
                                                   PickyStoreMigrateProgress   progress_func,
                                                   gpointer                    progress_data,
                                                   GError                    **error);
/* The database's id (version 8's meta table), or NULL with @error set. */
char    *picky_store_schema_read_id   (sqlite3      *db,
                                       GError      **error);
/* The same, made first if the file has none yet, in a transaction of its
 * own; a file of a newer version is refused, and never written. */
char    *picky_store_schema_ensure_id (sqlite3      *db,
                                       GError      **error);
/* Registers picky_wait_seconds (from, to) on @db, counting working time
 * under @hours, or every second when NULL. */
gboolean picky_store_schema_set_business_hours (sqlite3             *db,
                                                PickyBusinessHours  *hours,
                                                GError             **error);
/* Turns the SQLite result @rc into a PickyStoreError on @error. */
void     picky_store_set_sqlite_error (GError  **error,
                                       sqlite3  *db,
                                       int       rc);
/* Runs one or more statements that return no rows. */
gboolean picky_store_exec             (sqlite3     *db,
                                       const char  *sql,
                                       GError     **error);
/* The value of an integer pragma that is never negative, such as
 * "PRAGMA user_version", or -1 with @error set. */
int      picky_store_get_pragma_int   (sqlite3     *db,
                                       const char  *pragma,
                                       GError     **error);
/* Binds a copy of @bytes, or NULL when there are none. */
void     picky_store_bind_blob        (sqlite3_stmt *stmt,
                                       int           index,
                                       GBytes       *bytes);
guint    picky_store_response_bucket  (gint64    seconds);
char    *picky_store_contact_hash     (PickyCipher *cipher,
                                       const char  *app,
                                       const char  *provider_id);
char    *picky_store_message_hash     (PickyCipher *cipher,
                                       gint64       channel_id,
                                       const char  *provider_key);

/* The statements of the ingest path. The benchmark's plain-loop ceiling
 * runs exactly these, so the two rates compare the same work. */
extern const char picky_store_sql_insert_message[];
extern const char picky_store_sql_seal_message[];
extern const char picky_store_sql_insert_contact[];
extern const char picky_store_sql_set_contact_provider_id[];
extern const char picky_store_sql_set_contact_name[];
extern const char picky_store_sql_set_contact_phone[];
extern const char picky_store_sql_add_contact_day[];
extern const char picky_store_sql_add_daily[];
extern const char picky_store_sql_add_contact_hour[];
extern const char picky_store_sql_add_response_hour[];
extern const char picky_store_sql_touch_conversation[];
extern const char picky_store_sql_read_conversation[];
extern const char picky_store_sql_last_wait[];
extern const char picky_store_sql_insert_wait[];
extern const char picky_store_sql_end_wait[];
extern const char picky_store_sql_wait_messages[];
extern const char picky_store_sql_add_reply_hour[];
/* Counts every response-time rollup again from the waits. */
extern const char picky_store_sql_rebuild_responses[];
extern const char picky_store_sql_add_contact_span[];
/* Counts every response-time rollup of the contacts with ids in [:lo, :hi)
 * again from their waits, the overall days included. */
extern const char picky_store_sql_recount_contacts[];
/* How many contacts (by id) a business-hours recount takes per transaction. */
extern guint picky_store_recount_chunk;
/* Runs every statement of @sql with :lo and :hi bound. */
gboolean picky_store_exec_range (sqlite3     *db,
                                 const char  *sql,
                                 gint64       lo,
                                 gint64       hi,
                                 GError     **error);
/* Counts the first-response times of the month and year spans again from
 * the hourly ones. */
extern const char picky_store_sql_rebuild_span_responses[];

/* The first and last message of grouped rollup rows: a row that holds a
 * response time alone has no message to give. */
#define PICKY_STORE_SQL_MESSAGE_BOUNDS \
  " coalesce (min (CASE WHEN n_in + n_out > 0 THEN first_ts END), min (first_ts))," \
  " coalesce (max (CASE WHEN n_in + n_out > 0 THEN last_ts END), max (last_ts))"

/* Spans of the contact rollups: 0 hours, 1 UTC months, 2 UTC years. */
#define PICKY_STORE_SPAN_MONTH 1
#define PICKY_STORE_SPAN_YEAR 2
gint64  picky_store_span_floor (int           level,
                                gint64        hour);
gint64  picky_store_span_next  (int           level,
                                gint64        hour);
void    picky_store_hist_read  (const void   *data,
                                gsize         length,
                                gint32       *counts,
                                int           sign);
guint8 *picky_store_hist_write (const gint32 *counts,
                                gsize        *length);

/* ---- The worker thread ---- */

typedef enum {
  PICKY_STORE_STMT_INSERT_MESSAGE,
  PICKY_STORE_STMT_FIND_MESSAGE,
  PICKY_STORE_STMT_EDIT_MESSAGE,
  PICKY_STORE_STMT_SET_STATUS,
  PICKY_STORE_STMT_SEAL_MESSAGE,
  PICKY_STORE_STMT_FIND_CONTACT,
  PICKY_STORE_STMT_GET_CONTACT,
  PICKY_STORE_STMT_INSERT_CONTACT,
  PICKY_STORE_STMT_SET_CONTACT_PROVIDER_ID,
  PICKY_STORE_STMT_SET_CONTACT_NAME,
  PICKY_STORE_STMT_SET_CONTACT_PHONE,
  PICKY_STORE_STMT_ADD_CONTACT_DAY,
  PICKY_STORE_STMT_ADD_DAILY,
  PICKY_STORE_STMT_ADD_CONTACT_HOUR,
  PICKY_STORE_STMT_ADD_RESPONSE_HOUR,
  PICKY_STORE_STMT_LAST_WAIT,
  PICKY_STORE_STMT_INSERT_WAIT,
  PICKY_STORE_STMT_END_WAIT,
  PICKY_STORE_STMT_WAIT_MESSAGES,
  PICKY_STORE_STMT_ADD_REPLY_HOUR,
  PICKY_STORE_STMT_ADD_CONTACT_SPAN,
  PICKY_STORE_STMT_SET_STATE,
  PICKY_STORE_STMT_CLEAR_STATE,
  PICKY_STORE_STMT_TOUCH_CONVERSATION,
  PICKY_STORE_STMT_READ_CONVERSATION,
  PICKY_STORE_STMT_NOTE_LAST_IN,
  PICKY_STORE_STMT_BEGIN_GROUP,
  PICKY_STORE_STMT_COMMIT_GROUP,
  PICKY_STORE_STMT_SYNC_NORMAL,
  PICKY_STORE_STMT_SYNC_FULL,
  PICKY_STORE_STMT_SAVEPOINT_JOB,
  PICKY_STORE_STMT_RELEASE_JOB,
  PICKY_STORE_STMT_ROLLBACK_JOB,
  PICKY_STORE_N_STMTS
} PickyStoreStmt;

#define PICKY_STORE_CONTACT_COLUMNS "id, app, provider_id_enc, name_enc, phone_enc, pending_since"
#define PICKY_STORE_MESSAGE_COLUMNS \
  "m.id, m.channel_id, m.provider_key_enc, m.contact_id, m.direction, m.kind, m.text," \
  " m.media, m.related_key_enc, m.timestamp, m.received, m.status, m.error, m.edited, m.unread"

typedef struct {
  gint64 id;
  char *app;
  char *provider_id;
  char *name;
  char *phone;
  /* The name and id, and the number and id, prepared for conversation
   * search (picky-search-key.c); NULL until searched, and again whenever
   * the name or number changes. */
  char *search_folded;
  char *search_digits;
} PickyStoreContact;

typedef struct {
  char *app;
  gboolean removed;
} PickyStoreChannel;

/* Everything the worker thread owns. Only that thread touches it, so none of
 * it needs a lock; it outlives the PickyStore when the last reference to the
 * store is dropped on the worker thread itself. */
typedef struct {
  GAsyncQueue *queue;
  /* The worker's own thread, the only one that may use db. */
  GThread *thread;
  char *path;
  sqlite3 *db;
  /* Takes the checkpoints of db's commits off this thread. */
  PickyStoreCheckpointer *checkpointer;
  /* Indexes new messages for search in batches; unindexed counts those
   * stored since it last ran (a hint: what is listed in the file counts). */
  PickyStoreIndexer *indexer;
  guint unindexed;
  /* Makes the commits of write groups durable off this thread, or NULL:
   * then each commit syncs (see worker_run_group()). */
  PickyStoreSyncer *syncer;
  PickyCipher *cipher;
  GMainContext *context;
  sqlite3_stmt *stmts[PICKY_STORE_N_STMTS];
  GHashTable *channels;          /* gint64* → PickyStoreChannel* */
  GHashTable *contacts_by_key;   /* "app\x1fprovider id" → PickyStoreContact* */
  GHashTable *contacts_by_id;    /* gint64* → PickyStoreContact*, borrowed from the above */
  /* The stored details do not open with this cipher: contacts are found by
   * keyed hashes, so writing on would make a second copy of each. */
  gboolean wrong_key;
  /* The ids of the conversations the write in progress changed, in its
   * job's arguments, or NULL: its done hands them to conversations-changed. */
  GHashTable *touched;
  /* While a group of writes runs: the touched sets of its writes, to be
   * read back before its commit. */
  GPtrArray *group_touched;
  /* Every contact is in the cache (contacts_by_id), as search needs. */
  gboolean contacts_complete;
  /* Told on the caller's context how far a long migration has come. */
  PickyStoreProgressFunc progress_func;
  gpointer progress_data;
  double progress_told;
  /* What waits count as the rollups have them (meta 'business-hours'):
   * NULL for every second. */
  PickyBusinessHours *business_hours;
  /* A recount of the stored waits in other business hours is under way,
   * towards the hours written as recount_text; recount_serial tells a
   * superseded one to stop. */
  gboolean recounting;
  char *recount_text;
  guint recount_serial;
} PickyStoreWorker;

/* A job either runs alone (run) or is one write of a group commit (write,
 * then done once the group is durable). */
typedef void     (*PickyStoreJobRun)   (PickyStoreWorker *w, GTask *task);
typedef gboolean (*PickyStoreJobWrite) (PickyStoreWorker *w, GTask *task, GError **error);
typedef void     (*PickyStoreJobDone)  (PickyStoreWorker *w, GTask *task);

typedef enum {
  PICKY_STORE_SIGNAL_MESSAGES_ADDED,
  PICKY_STORE_SIGNAL_MESSAGES_CHANGED,
  PICKY_STORE_SIGNAL_CONVERSATIONS_CHANGED,
  PICKY_STORE_N_SIGNALS
} PickyStoreSignal;

/* In picky-store.c: the worker and its helpers. */
/* How long the worker waits for more work before it indexes the messages
 * stored meanwhile, in microseconds; the tests set it. */
extern gint64 picky_store_index_idle_us;
/* Indexes the messages not yet in the full-text index, in a transaction
 * of its own; whatever reads the index calls this first. */
gboolean picky_store_worker_index_messages (PickyStoreWorker  *w,
                                            GError           **error);
/* A prepared statement of the worker, reset and unbound. */
sqlite3_stmt *picky_store_worker_stmt (PickyStoreWorker *w,
                                       PickyStoreStmt    id);
/* Steps @stmt: SQLITE_ROW or SQLITE_DONE, or 0 with @error set. */
int picky_store_worker_step (PickyStoreWorker  *w,
                             sqlite3_stmt      *stmt,
                             GError           **error);
/* Steps through rows after a prepare that left @rc; the final result stays in @rc. */
gboolean picky_store_next_row (sqlite3_stmt *stmt,
                               int          *rc);
/* A statement run once, prepared here and run by picky_store_worker_finish(). */
sqlite3_stmt *picky_store_worker_prepare (PickyStoreWorker  *w,
                                          const char        *sql,
                                          GError           **error);
/* Runs and finalizes @stmt: the number of rows changed, or -1 with @error set. */
gint64 picky_store_worker_finish (PickyStoreWorker  *w,
                                  sqlite3_stmt      *stmt,
                                  GError           **error);
/* Runs @sql with ?1 bound to @value: the number of rows changed, or -1. */
gint64 picky_store_worker_exec_int (PickyStoreWorker  *w,
                                    const char        *sql,
                                    gint64             value,
                                    GError           **error);
/* Runs a prepared statement that returns no rows. */
gboolean picky_store_worker_run_done (PickyStoreWorker  *w,
                                      sqlite3_stmt      *stmt,
                                      GError           **error);
/* Opens the sealed @column of @stmt, sealed for @table, @name and @row_id. */
char *picky_store_worker_decrypt (PickyStoreWorker  *w,
                                  sqlite3_stmt      *stmt,
                                  int                column,
                                  const char        *table,
                                  const char        *name,
                                  gint64             row_id,
                                  GError           **error);
/* Hands @messages to @signal on the store's main context. */
void picky_store_worker_emit (PickyStoreWorker *w,
                              GTask            *task,
                              PickyStoreSignal  signal,
                              GPtrArray        *messages);
/* The end of a write that only says it was committed. */
void picky_store_boolean_done (PickyStoreWorker *w,
                               GTask            *task);
/* Returns the SQLite result @rc as the error of @task. */
void picky_store_return_sqlite_error (PickyStoreWorker *w,
                                      GTask            *task,
                                      int               rc);
/* Binds @value to the parameter @name, if @stmt has it. */
void picky_store_bind_named_int64 (sqlite3_stmt *stmt,
                                   const char   *name,
                                   gint64        value);
/* The rollup day of a unix time. */
gint64 picky_store_floor_day (gint64 timestamp);
/* The rollup hour of a unix time. */
gint64 picky_store_floor_hour (gint64 timestamp);
/* A task of the operation @tag owning @args, freed with @args_free;
 * arguments that own no memory are freed with g_free(). */
GTask *picky_store_task_new (PickyStore          *self,
                             gpointer             tag,
                             gpointer             args,
                             GDestroyNotify       args_free,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data);
/* From the worker: runs @run with @task again after the jobs queued by
 * now, so that a long operation goes on in steps without holding up the
 * others; closing the store ends it with an error. */
void picky_store_worker_requeue (PickyStoreWorker *w,
                                 GTask            *task,
                                 PickyStoreJobRun  run);
/* Queues @task for the worker: alone (@run), or as a write of a group
 * commit (@write, then @done once durable). */
void picky_store_queue_job (PickyStore         *self,
                            GTask              *task,
                            PickyStoreJobRun    run,
                            PickyStoreJobWrite  write,
                            PickyStoreJobDone   done);
void picky_store_queue_rerunnable_write (PickyStore         *self,
                                         GTask              *task,
                                         PickyStoreJobWrite  write,
                                         PickyStoreJobDone   done);

/* In picky-store-channels.c. */
void picky_store_channel_free (gpointer data);
/* Sets the state @key of a live channel. */
gboolean picky_store_worker_set_state (PickyStoreWorker  *w,
                                       gint64             channel_id,
                                       const char        *key,
                                       const char        *value,
                                       GError           **error);
/* Reads every channel into the worker's cache, at open. */
gboolean picky_store_worker_load_channels (PickyStoreWorker  *w,
                                           GError           **error);

/* In picky-store-contacts.c. */
void picky_store_contact_free (gpointer data);
/* Empties the contact cache, after a rollback or an erasure. */
void picky_store_worker_forget_contacts (PickyStoreWorker *w);
/* The contact @id, from the cache or read into it; NULL when there is none. */
PickyStoreContact *picky_store_worker_get_contact (PickyStoreWorker *w,
                                                   gint64            id);
/* Reads every contact into the cache. */
gboolean picky_store_worker_cache_all_contacts (PickyStoreWorker  *w,
                                                GError           **error);
/* Finds or creates the contact of @message and keeps its details current. */
PickyStoreContact *picky_store_worker_ensure_contact (PickyStoreWorker  *w,
                                                      const char        *app,
                                                      PickyMessage      *message,
                                                      GError           **error);
/* Reads the business hours the rollups were counted under, at open. */
gboolean picky_store_worker_load_business_hours (PickyStoreWorker  *w,
                                                 GError           **error);
/* Ends the open wait of a conversation without a reply, at @time: a done
 * mark. Returns FALSE with @error set on failure only. */
gboolean picky_store_worker_end_wait (PickyStoreWorker  *w,
                                      gint64             contact_id,
                                      gint64             channel_id,
                                      gint64             time,
                                      GError           **error);
/* Our reply, sent at @time, answers the open wait of @contact on
 * @channel_id, if any. */
gboolean picky_store_worker_answer_wait (PickyStoreWorker   *w,
                                         const char         *app,
                                         PickyStoreContact  *contact,
                                         gint64              channel_id,
                                         gint64              time,
                                         GError            **error);
/* Counts a new @message in the rollups that reports read. */
gboolean picky_store_worker_add_rollups (PickyStoreWorker   *w,
                                         const char         *app,
                                         PickyStoreContact  *contact,
                                         PickyMessage       *message,
                                         GError            **error);

/* In picky-store-messages.c. */
/* A message from a row of PICKY_STORE_MESSAGE_COLUMNS. */
PickyMessage *picky_store_worker_message_from_row (PickyStoreWorker *w,
                                                   sqlite3_stmt     *stmt);
/* The message @id, or NULL with NOT_FOUND. */
PickyMessage *picky_store_worker_load_message (PickyStoreWorker  *w,
                                               gint64             id,
                                               GError           **error);
/* The words of @text as an FTS5 query that reads no input as syntax, or
 * NULL when there are none. */
char *picky_store_build_match (const char *text);
/* The full-text index is split by contact into this many FTS5 tables,
 * messages_fts_0 and on (schema version 13), so that erasing a contact
 * merges one of them, not the whole index. */
#define PICKY_STORE_FTS_SHARDS 16
/* The index table that holds the words of @contact_id's messages (those
 * without a contact are in the first). */
guint picky_store_fts_shard (gint64 contact_id);
/* Prepares the statement that adds a message (?1 id, ?2 text) to index
 * table @shard; NULL with @rc set when it cannot. */
sqlite3_stmt *picky_store_fts_prepare_insert (sqlite3 *db,
                                              guint    shard,
                                              int     *rc);
/* Adds each row of @read (id, contact, text) to its contact's table of
 * @insert (from picky_store_fts_prepare_insert()); returns how many, or
 * -1 with @error set. */
gint64 picky_store_fts_index_rows (sqlite3       *db,
                                   sqlite3_stmt  *read,
                                   sqlite3_stmt **insert,
                                   GError       **error);
/* Appends @arm, a SELECT that names the index messages_fts, once for each
 * index table (only @shard's when it is not -1), joined by UNION ALL: the
 * caller's ORDER BY on the index's row id merges their hits. */
void  picky_store_fts_append_union (GString    *sql,
                                    const char *arm,
                                    int         shard);
/* Seals @value under message @id into @index of @stmt, or binds NULL. */
void picky_store_worker_bind_sealed (PickyStoreWorker *w,
                                     sqlite3_stmt     *stmt,
                                     int               index,
                                     const char       *value,
                                     const char       *column,
                                     gint64            id);

/* In picky-store-audit.c. */
/* The SHA-256 (hex) of an audit entry chained to @prev_hash. */
char *picky_store_audit_hash (const char *prev_hash,
                              gint64      id,
                              gint64      time,
                              const char *action,
                              const char *object,
                              const char *detail);
/* Appends an audit entry within the caller's transaction. */
gboolean picky_store_worker_audit (PickyStoreWorker  *w,
                                   const char        *action,
                                   const char        *object,
                                   const char        *detail,
                                   GError           **error);
/* Schema version 10: chains the entries written before it. */
gboolean picky_store_audit_chain_existing (sqlite3  *db,
                                           GError  **error);
/* Writes @path atomically, mode 0600, only once complete and on disk. */
gboolean picky_store_write_file (const char  *path,
                                 const char  *data,
                                 gsize        length,
                                 GError     **error);

/* In picky-store-conversations.c. */
/* A conversation id set for PickyStoreWorker.touched. */
GHashTable *picky_store_conversation_ids_new (void);
/* Adds the ids the first column of @sql (with ?1 bound to @arg) returns to @ids. */
gboolean picky_store_worker_note_conversations (PickyStoreWorker  *w,
                                                GHashTable        *ids,
                                                const char        *sql,
                                                gint64             arg,
                                                GError           **error);
/* Counts a new @message in its conversation (see schema version 9). */
gboolean picky_store_worker_touch_conversation (PickyStoreWorker   *w,
                                                PickyStoreContact  *contact,
                                                PickyMessage       *message,
                                                GError            **error);
/* Notes an edited @message: its conversation changed when it is the last one. */
gboolean picky_store_worker_note_edit (PickyStoreWorker   *w,
                                       PickyStoreContact  *contact,
                                       PickyMessage       *message,
                                       GError            **error);
/* The conversations of @contact_id, of one channel or all (@channel_id 0),
 * counted read. */
gboolean picky_store_worker_clear_unread (PickyStoreWorker  *w,
                                          gint64             contact_id,
                                          gint64             channel_id,
                                          GError           **error);
/* The reply @message_id, whose status was @from, has gone out (its status
 * is now @to): when it had been waiting to be sent, it ends the customer's
 * wait now, in the waits and the conversation. */
gboolean picky_store_worker_reply_sent (PickyStoreWorker    *w,
                                        gint64               message_id,
                                        PickyMessageStatus   from,
                                        PickyMessageStatus   to,
                                        GError             **error);
/* Reads the conversations of every set in @sets back into it, before a
 * group's commit. */
gboolean picky_store_worker_read_back_conversations (PickyStoreWorker  *w,
                                                     GPtrArray         *sets,
                                                     GError           **error);
/* Hands the conversations @ids to conversations-changed, as read back with
 * their group or else as stored now; nothing when there are none. */
void picky_store_worker_emit_conversations (PickyStoreWorker *w,
                                            GTask            *task,
                                            GHashTable       *ids);

G_END_DECLS
