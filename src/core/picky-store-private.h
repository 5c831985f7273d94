/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The store's schema, its migrations and its hot statements, shared with the benchmark. */

#pragma once

#include <glib.h>
#include <sqlite3.h>

#include "picky-cipher.h"

G_BEGIN_DECLS

/* The version a freshly created or migrated database has (PRAGMA user_version). */
#define PICKY_STORE_SCHEMA_VERSION 7

/* The lookup-hash purpose of contacts' provider ids. */
#define PICKY_STORE_CONTACT_PURPOSE "contact-provider-id"
/* The lookup-hash purpose of messages' provider keys. */
#define PICKY_STORE_MESSAGE_PURPOSE "message-provider-key"

/* Seconds per rollup day: days are UTC days since the epoch. */
#define PICKY_STORE_DAY 86400

/* Connection settings every connection to the file uses: WAL, full fsync
 * at commit, a wait for other processes before giving up. */
gboolean picky_store_schema_configure (sqlite3  *db,
                                       GError  **error);
/* Brings the schema from any earlier version to the current one, in one
 * transaction per step; @cipher hashes and seals what earlier versions
 * kept in plaintext. */
gboolean picky_store_schema_migrate   (sqlite3      *db,
                                       PickyCipher  *cipher,
                                       GError      **error);
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
extern const char picky_store_sql_set_contact_pending[];
extern const char picky_store_sql_add_contact_day[];
extern const char picky_store_sql_add_daily[];
extern const char picky_store_sql_add_contact_hour[];
extern const char picky_store_sql_add_response_hour[];

G_END_DECLS
