/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The message store: SQLite on its own worker thread behind an async API. */

#pragma once

#include <gio/gio.h>

#include "picky-audit-entry.h"
#include "picky-business-hours.h"
#include "picky-cipher.h"
#include "picky-conversation.h"
#include "picky-message.h"

G_BEGIN_DECLS

#define PICKY_STORE_ERROR (picky_store_error_quark ())

typedef enum {
  PICKY_STORE_ERROR_FAILED,      /* an unexpected SQLite error */
  PICKY_STORE_ERROR_FULL,        /* the disk is full */
  PICKY_STORE_ERROR_IO,          /* the disk could not be read or written */
  PICKY_STORE_ERROR_CORRUPT,     /* the file is not a database or is damaged */
  PICKY_STORE_ERROR_BUSY,        /* another process holds the database too long */
  PICKY_STORE_ERROR_NEWER,       /* written by a newer version of the console */
  PICKY_STORE_ERROR_NOT_FOUND,   /* no such channel, contact or message */
  PICKY_STORE_ERROR_CLOSED,      /* the store was closed */
  PICKY_STORE_ERROR_LIMIT,       /* too many of something, e.g. phones waiting for trust */
} PickyStoreError;

/* A page of messages is asked for "older than this point": keyset paging
 * over (timestamp, id), newest first. */
typedef struct {
  gint64      before_timestamp;  /* 0: from the newest */
  gint64      before_id;
  const char * const *apps;      /* NULL or empty: every app, else any of these */
  gint64      channel_id;        /* 0: every channel */
  gint64      contact_id;        /* 0: every contact */
  int         direction;         /* -1: both, else a PickyDirection */
  guint       limit;
  gboolean    unread_only;       /* only incoming messages not yet read */
} PickyPageQuery;

/* First-response times are counted in these buckets: under 1 minute, 5 and
 * 15 minutes, 1 and 4 hours, 1 day, and longer. */
#define PICKY_STORE_RESPONSE_BUCKETS 7

/* One day of a report, read from the rollups kept at insert time. Days are
 * UTC days since the epoch. */
typedef struct {
  gint64 day;
  guint  n_in;
  guint  n_out;
  gint64 first_timestamp;
  gint64 last_timestamp;
  gint64 response_sum;             /* seconds, over response_count responses */
  guint  response_count;
  guint  response_histogram[PICKY_STORE_RESPONSE_BUCKETS];
} PickyReportDay;

/* Finer buckets of first-response times in the hourly rollups, for
 * percentiles within 10 %: see picky_store_fine_bucket(). */
#define PICKY_STORE_FINE_BUCKETS 128

/* One hour of one contact, or with @contact_id 0 of every contact of @app,
 * read from the hourly rollups. Hours are UTC hours since the epoch, which
 * a report turns into days and hours in any time zone. */
typedef struct {
  gint64      hour;
  gint64      contact_id;
  const char *app;                 /* interned */
  guint       n_in;
  guint       n_out;
  gint64      first_timestamp;
  gint64      last_timestamp;
  gint64      response_sum;
  guint       response_count;
} PickyReportHour;

/* What a report reads from the store for a range. First-response times
 * count in the hour their wait started, reply times in the hour the
 * customer's message was written; waits still open are not among them
 * but counted as awaiting a reply at the range's end, or now if that is
 * earlier (awaiting_at). */
typedef struct {
  GArray  *hours;                  /* PickyReportHour, oldest first */
  guint    responses[PICKY_STORE_FINE_BUCKETS];
  guint    replies[PICKY_STORE_FINE_BUCKETS];
  gboolean working_hours;          /* times count business hours only */
  gint64   awaiting_at;
  guint    awaiting;               /* waits open at awaiting_at */
  gint64   oldest_wait;            /* how long the oldest had lasted then, -1: none */
  gint64   first_ever;             /* the first message ever, 0: none */
  gint64   last_ever;              /* the last message so far, 0: none */
} PickyReportHours;

/* A contact with its numbers over a range; every contact is listed, those
 * without messages in the range with zeros. */
typedef struct {
  gint64  contact_id;
  const char *app;                 /* interned */
  char   *name;                    /* NULL when unknown or undecryptable */
  char   *phone;
  guint   n_in;
  guint   n_out;
  gint64  first_timestamp;         /* 0: none in the range */
  gint64  last_timestamp;
  gint64  response_median;         /* seconds, -1: no response counted */
  gint64  response_p90;
  gint64  reply_median;            /* seconds, -1: no reply counted */
  gint64  reply_p90;
  guint   awaiting;                /* waits open at the range's end, or now */
  gint64  oldest_wait;             /* how long the oldest had lasted then, -1: none */
} PickyContactSummary;

#define PICKY_TYPE_STORE (picky_store_get_type ())

G_DECLARE_FINAL_TYPE (PickyStore, picky_store, PICKY, STORE, GObject)

GQuark      picky_store_error_quark          (void);

char       *picky_store_default_path         (void);

void        picky_store_open_async           (const char          *path,
                                              PickyCipher         *cipher,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
PickyStore *picky_store_open_finish          (GAsyncResult        *result,
                                              GError             **error);
/* How far opening has come, from 0 to 1, while a database of an earlier
 * version is brought up to date (building the conversations of millions
 * of messages takes a while). */
typedef void (*PickyStoreProgressFunc)       (double               fraction,
                                              gpointer             user_data);
void        picky_store_open_with_progress_async (const char      *path,
                                              PickyCipher         *cipher,
                                              PickyStoreProgressFunc progress_func,
                                              gpointer             progress_data,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
/* Gives the file at @path its id, creating the file when missing, and says
 * without the data key whether it holds values sealed or hashed with one:
 * the id names the key in the keyring, the rest decides whether a missing
 * key may be created. */
void        picky_store_identify_async       (const char          *path,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
char       *picky_store_identify_finish      (GAsyncResult        *result,
                                              gboolean            *has_keyed_rows,
                                              GError             **error);
void        picky_store_close                (PickyStore          *self);
const char *picky_store_get_database_id      (PickyStore          *self);

void        picky_store_ingest_async         (PickyStore          *self,
                                              GPtrArray           *batch,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
guint       picky_store_ingest_finish        (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* The same, and @key of @channel_id's state set to @value in the same
 * transaction, e.g. the Telegram offset after the updates it confirms.
 * Finish with picky_store_ingest_finish(). */
void        picky_store_ingest_with_state_async (PickyStore       *self,
                                              GPtrArray           *batch,
                                              gint64               channel_id,
                                              const char          *key,
                                              const char          *value,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);

void        picky_store_list_messages_async  (PickyStore          *self,
                                              const PickyPageQuery *query,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *picky_store_list_messages_finish (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Word search over texts and captions, newest first by arrival; a next page
 * continues below page->before_id (the last result's id). */
void        picky_store_search_async         (PickyStore          *self,
                                              const char          *query,
                                              const PickyPageQuery *page,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *picky_store_search_finish        (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Channels: rows of (id, app, kind, display name, settings as a JSON object
 * string holding no secret) and a small per-channel key/value state, such as
 * the Telegram update offset. */
void        picky_store_add_channel_async    (PickyStore          *self,
                                              const char          *app,
                                              const char          *kind,
                                              const char          *name,
                                              const char          *settings_json,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gint64      picky_store_add_channel_finish   (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        picky_store_update_channel_async (PickyStore          *self,
                                              gint64               channel_id,
                                              const char          *name,
                                              const char          *settings_json,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_update_channel_finish (PickyStore         *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        picky_store_remove_channel_async (PickyStore          *self,
                                              gint64               channel_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_remove_channel_finish (PickyStore         *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Each element is a GVariant of type (xsss s): id, app, kind, name, settings. */
void        picky_store_list_channels_async  (PickyStore          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *picky_store_list_channels_finish (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        picky_store_set_channel_state_async (PickyStore       *self,
                                              gint64               channel_id,
                                              const char          *key,
                                              const char          *value,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_set_channel_state_finish (PickyStore      *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        picky_store_get_channel_state_async (PickyStore       *self,
                                              gint64               channel_id,
                                              const char          *key,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
char       *picky_store_get_channel_state_finish (PickyStore      *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        picky_store_get_channel_last_message_async (PickyStore *self,
                                              gint64               channel_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gint64      picky_store_get_channel_last_message_finish (PickyStore *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        picky_store_list_message_apps_async (PickyStore    *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GStrv       picky_store_list_message_apps_finish (PickyStore   *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Reports over the rollups: one PickyReportDay per day with messages in
 * [@from, @to) (unix seconds, rounded to whole UTC days), oldest first. */
void        picky_store_report_contact_async (PickyStore          *self,
                                              gint64               contact_id,
                                              gint64               from,
                                              gint64               to,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GArray     *picky_store_report_contact_finish (PickyStore         *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* @app: NULL for every app. */
void        picky_store_report_overall_async (PickyStore          *self,
                                              const char          *app,
                                              gint64               from,
                                              gint64               to,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GArray     *picky_store_report_overall_finish (PickyStore         *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        picky_store_report_sum           (GArray              *days,
                                              PickyReportDay      *total);
gint64      picky_store_report_response_percentile (const PickyReportDay *day,
                                              double               fraction);

guint       picky_store_fine_bucket          (gint64               seconds);
gint64      picky_store_fine_bucket_value    (guint                bucket);
gint64      picky_store_fine_percentile      (const guint         *responses,
                                              double               fraction);

/* The hourly rollups of one contact, or of all with @contact_id 0, over
 * [@from, @to) (unix seconds, rounded out to whole UTC hours). */
void        picky_store_report_hours_async   (PickyStore          *self,
                                              gint64               contact_id,
                                              gint64               from,
                                              gint64               to,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
PickyReportHours *picky_store_report_hours_finish (PickyStore     *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        picky_report_hours_free          (PickyReportHours    *hours);

/* The business hours waits count in (NULL: every second). When they
 * differ from those the rollups were counted under, every response and
 * reply time is counted again, in the same transaction; the result says
 * whether that happened. */
void        picky_store_set_business_hours_async (PickyStore      *self,
                                              PickyBusinessHours  *hours,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_set_business_hours_finish (PickyStore     *self,
                                              GAsyncResult        *result,
                                              GError             **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyReportHours, picky_report_hours_free)

/* Every contact with its numbers over [@from, @to), names and numbers
 * decrypted on the store's thread; by ascending id. First-response times
 * as in PickyReportHours. */
void        picky_store_summarize_contacts_async (PickyStore      *self,
                                              gint64               from,
                                              gint64               to,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
/* The same with reply times and open waits (reply_median, reply_p90,
 * awaiting, oldest_wait), which the plain one leaves at -1 and 0. */
void        picky_store_summarize_contacts_full_async (PickyStore *self,
                                              gint64               from,
                                              gint64               to,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GArray     *picky_store_summarize_contacts_finish (PickyStore     *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Contacts, by ascending id after @after_id; @app and @phone (any spelling
 * of the number) narrow the list when not NULL. Each element is a GVariant
 * of type (xssss): id, app, provider id, name, phone; absent values are "". */
void        picky_store_list_contacts_async  (PickyStore          *self,
                                              const char          *app,
                                              const char          *phone,
                                              gint64               after_id,
                                              guint                limit,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *picky_store_list_contacts_finish (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

void        picky_store_count_messages_async (PickyStore          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gint64      picky_store_count_messages_finish (PickyStore         *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* One message by its row id. */
void          picky_store_get_message_async  (PickyStore          *self,
                                              gint64               id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
PickyMessage *picky_store_get_message_finish (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Unread: incoming messages are stored unread; showing a conversation
 * marks all of the contact's messages read. */
void        picky_store_mark_read_async      (PickyStore          *self,
                                              gint64               contact_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gint64      picky_store_mark_read_finish     (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Replies: stored first through ingest as an outgoing message with status
 * queued and a local key, then moved to sent (with the provider's key) or
 * failed (with the reason), or back to queued for a retry. */
void          picky_store_update_outgoing_async (PickyStore       *self,
                                              gint64               id,
                                              PickyMessageStatus   status,
                                              const char          *provider_key,
                                              const char          *error_text,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
PickyMessage *picky_store_update_outgoing_finish (PickyStore      *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Retention: removes the messages of the days before the last @days whole
 * days, with their rollups and search entries; returns how many messages. */
void        picky_store_purge_async          (PickyStore          *self,
                                              guint                days,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gint64      picky_store_purge_finish         (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Removes a contact with every message, rollup and search entry, and
 * overwrites what they occupied in the file and its log. */
void        picky_store_erase_contact_async  (PickyStore          *self,
                                              gint64               contact_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_erase_contact_finish (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Told on the caller's main context how far a long operation is. */
typedef void (*PickyStorePurgeProgressFunc) (gint64   done,
                                        gint64   total,
                                        gpointer user_data);
/* The same as picky_store_purge_async(), in batches, each its own
 * transaction, with @progress told after each. */
void        picky_store_purge_with_progress_async (PickyStore        *self,
                                              guint                days,
                                              PickyStorePurgeProgressFunc progress,
                                              gpointer             progress_data,
                                              GDestroyNotify       progress_destroy,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);

/* What erasing a contact would remove, for the confirmation. */
typedef struct {
  gint64      contact_id;
  const char *app;                 /* interned */
  char       *name;                /* NULL when unknown */
  char       *phone;               /* the number or the app's id for them */
  gint64      n_in;                /* messages from them */
  gint64      n_out;               /* replies to them */
  gint64      n_media;             /* messages with media details */
  gint64      n_outbox;            /* replies still waiting to be sent */
  gint64      n_conversations;
} PickyErasureSummary;

void        picky_erasure_summary_free       (PickyErasureSummary *summary);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyErasureSummary, picky_erasure_summary_free)

void        picky_store_summarize_erasure_async (PickyStore       *self,
                                              gint64               contact_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
PickyErasureSummary *picky_store_summarize_erasure_finish (PickyStore *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Access and portability: everything held about one contact, as JSON
 * (the schema is in the README), written only once complete. */
void        picky_store_export_contact_async (PickyStore          *self,
                                              gint64               contact_id,
                                              const char          *path,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_export_contact_finish (PickyStore         *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* The audit trail (picky-store-audit.c): entries chained by SHA-256. The
 * actions: channel-add, channel-edit, channel-remove, secret-change,
 * access-change, phone-pair, phone-trust, phone-revoke, data-key-create,
 * export, export-contact, disclose, erase-contact, purge,
 * retention-change. */
void        picky_store_audit_async          (PickyStore          *self,
                                              const char          *action,
                                              const char          *object,
                                              const char          *detail,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_audit_finish         (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        picky_store_list_audit_async     (PickyStore          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *picky_store_list_audit_finish    (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        picky_store_verify_audit_async   (PickyStore          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gint64      picky_store_verify_audit_finish  (PickyStore          *self,
                                              GAsyncResult        *result,
                                              gint64              *broken,
                                              GError             **error);
void        picky_store_export_audit_async   (PickyStore          *self,
                                              const char          *path,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_export_audit_finish  (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
char       *picky_store_audit_format_time    (gint64               time);

/* Phone relay devices. A device registers with a token the store keeps only
 * as a keyed hash, and its make, model, OS and number encrypted. It starts
 * pending unless it brought a valid pairing code; the admin trusts or
 * revokes it. */
typedef enum {
  PICKY_DEVICE_STATE_PENDING,
  PICKY_DEVICE_STATE_TRUSTED,
  PICKY_DEVICE_STATE_REVOKED,
} PickyDeviceState;

typedef struct {
  gint64            id;
  PickyDeviceState  state;
  char             *make;          /* NULL when unknown or undecryptable */
  char             *model;
  char             *os;
  char             *phone;
  gint64            paired;        /* unix seconds */
  gint64            last_seen;     /* 0: never */
} PickyDevice;

/* Anyone who reaches the listener may register without a code; beyond
 * this many phones waiting for trust, more are refused. */
#define PICKY_STORE_MAX_PENDING_DEVICES 32

void        picky_device_free                (PickyDevice         *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyDevice, picky_device_free)

/* A one-use pairing code, valid until @expires (unix seconds). */
void        picky_store_add_pairing_code_async (PickyStore        *self,
                                              const char          *code,
                                              gint64               expires,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_add_pairing_code_finish (PickyStore       *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* @pairing_code: (nullable): a valid one is used up and makes the device
 * trusted; without one, or with a wrong or expired one, it is pending. */
void        picky_store_register_device_async (PickyStore         *self,
                                              const char          *token,
                                              const char          *pairing_code,
                                              const char          *make,
                                              const char          *model,
                                              const char          *os,
                                              const char          *phone,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
PickyDevice *picky_store_register_device_finish (PickyStore       *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* The device holding @token, its last-seen time set to now; fails with
 * NOT_FOUND for a token no device holds. */
void        picky_store_authenticate_device_async (PickyStore     *self,
                                              const char          *token,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
PickyDevice *picky_store_authenticate_device_finish (PickyStore   *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Every device, by ascending id, details decrypted on the store's thread. */
void        picky_store_list_devices_async   (PickyStore          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *picky_store_list_devices_finish  (PickyStore          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Trusts or revokes a device; a revoked one stays revoked. */
void        picky_store_set_device_state_async (PickyStore        *self,
                                              gint64               device_id,
                                              PickyDeviceState     state,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_set_device_state_finish (PickyStore       *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* A stored outgoing reply handed to a trusted device's outbox; NOT_FOUND
 * when the device is not trusted. */
void        picky_store_queue_relay_reply_async (PickyStore       *self,
                                              gint64               message_id,
                                              gint64               device_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_queue_relay_reply_finish (PickyStore      *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* The replies in @device_id's outbox not yet acknowledged, oldest first. */
void        picky_store_list_relay_replies_async (PickyStore      *self,
                                              gint64               device_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *picky_store_list_relay_replies_finish (PickyStore     *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* The phone's word on a reply: it leaves the outbox and the message moves
 * to sent, or to failed with @error_text. A repeated acknowledgement
 * changes nothing; a reply of another device is NOT_FOUND. Returns the
 * message as stored. */
void        picky_store_ack_relay_reply_async (PickyStore         *self,
                                              gint64               device_id,
                                              gint64               message_id,
                                              gboolean             sent,
                                              const char          *error_text,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
PickyMessage *picky_store_ack_relay_reply_finish (PickyStore      *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Conversations: a contact on a channel, kept at ingest, edit, read and
 * send time (see picky-store-conversations.c). A page is asked for "older
 * than this point": keyset paging over (last time, id), newest first. */
typedef struct {
  PickyConversationFilter filter;
  const char * const *apps;      /* NULL or empty: every app, else any of these */
  gint64      channel_id;        /* 0: every channel */
  gint64      before_time;       /* 0 with before_id 0: from the newest */
  gint64      before_id;
  guint       limit;             /* 0: 50 */
} PickyConversationQuery;

/* A message whose text matched a search, with the conversation it is in,
 * so that a view can open the conversation scrolled to it. */
typedef struct {
  PickyConversation *conversation;
  PickyMessage      *message;
} PickyConversationHit;

void        picky_conversation_hit_free      (PickyConversationHit *hit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PickyConversationHit, picky_conversation_hit_free)

void        picky_store_list_conversations_async (PickyStore       *self,
                                              const PickyConversationQuery *query,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *picky_store_list_conversations_finish (PickyStore     *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        picky_store_get_conversation_async (PickyStore        *self,
                                              gint64               conversation_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
PickyConversation *picky_store_get_conversation_finish (PickyStore *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Done: resolved until the customer writes again; each Done is kept with
 * its time in the Done marks. Not done: reopened by hand. */
void        picky_store_set_conversation_done_async (PickyStore   *self,
                                              gint64               conversation_id,
                                              gboolean             done,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_set_conversation_done_finish (PickyStore  *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* The customer's last message unread again, so the conversation counts
 * one unread; it does nothing when the customer never wrote. */
void        picky_store_mark_conversation_unread_async (PickyStore *self,
                                              gint64               conversation_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    picky_store_mark_conversation_unread_finish (PickyStore *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Conversations whose contact's name or number holds @text; each element
 * a PickyConversation. */
void        picky_store_search_conversations_async (PickyStore    *self,
                                              const char          *text,
                                              const PickyConversationQuery *query,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *picky_store_search_conversations_finish (PickyStore   *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Messages whose text holds every word of @text; each element a
 * PickyConversationHit. */
void        picky_store_search_conversation_messages_async (PickyStore *self,
                                              const char          *text,
                                              const PickyConversationQuery *query,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *picky_store_search_conversation_messages_finish (PickyStore *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Every message of the conversation read. */
void        picky_store_mark_conversation_read_async (PickyStore  *self,
                                              gint64               conversation_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gint64      picky_store_mark_conversation_read_finish (PickyStore *self,
                                              GAsyncResult        *result,
                                              GError             **error);

G_END_DECLS
