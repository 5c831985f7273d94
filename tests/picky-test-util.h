/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every test shares: running the main context until something happens, a fixed data key, temporary folders. */

#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

#include "picky-cipher.h"
#include "picky-store.h"

G_BEGIN_DECLS

/* Turns a store of the current version back into one of version 8, before
 * conversations and waits, so that a test can watch those be built. */
#define PICKY_TEST_SQL_BACK_TO_V8 \
  "DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_delete;" \
  " DROP TRIGGER messages_fts_update_old; DROP TRIGGER messages_fts_update_new;" \
  " DROP TRIGGER messages_unindexed_delete; DROP TABLE messages_unindexed;" \
  " DROP VIEW messages_text_0; DROP VIEW messages_text_1; DROP VIEW messages_text_2;" \
  " DROP VIEW messages_text_3; DROP VIEW messages_text_4; DROP VIEW messages_text_5;" \
  " DROP VIEW messages_text_6; DROP VIEW messages_text_7; DROP VIEW messages_text_8;" \
  " DROP VIEW messages_text_9; DROP VIEW messages_text_10; DROP VIEW messages_text_11;" \
  " DROP VIEW messages_text_12; DROP VIEW messages_text_13; DROP VIEW messages_text_14;" \
  " DROP VIEW messages_text_15;" \
  " DROP TABLE done_marks; DROP TABLE conversations; DROP TABLE waits;" \
  " DROP TABLE reply_hours; DROP TABLE contact_spans;" \
  " ALTER TABLE channels DROP COLUMN last_in;" \
  " CREATE INDEX messages_channel_time ON messages (channel_id, timestamp, id);" \
  " CREATE INDEX messages_unread ON messages (timestamp, id) WHERE unread = 1;" \
  " PRAGMA user_version = 8"

gboolean      picky_test_wait_until    (gboolean     (*condition) (gpointer data),
                                        gpointer       data,
                                        guint          timeout_ms);
void          picky_test_spin          (guint          ms);
void          picky_test_got_result_cb (GObject       *source,
                                        GAsyncResult  *result,
                                        gpointer       user_data);
GAsyncResult *picky_test_wait_result   (GAsyncResult **slot);
void          picky_test_collect_cb    (GObject       *emitter,
                                        GPtrArray     *objects,
                                        GPtrArray     *seen);
PickyCipher  *picky_test_cipher        (void);
void          picky_test_assert_index_consistent (sqlite3 *db);
void          picky_test_remove_tree   (const char    *path);
char         *picky_test_keyring_missing (void);
char         *picky_test_keyring_owner (void);
void          picky_test_lock_keyring  (void);
GSubprocessLauncher *picky_test_console_launcher (void);
int           picky_test_run_console   (GSubprocessLauncher  *launcher,
                                        const char           *input,
                                        char                **out,
                                        char                **err,
                                        const char           *first,
                                        ...) G_GNUC_NULL_TERMINATED;
PickyMessage *picky_test_update_outgoing (PickyStore          *store,
                                        gint64               id,
                                        PickyMessageStatus   status,
                                        const char          *error_text);
int           picky_test_exit_status   (GSubprocess          *process,
                                        const char           *err);

G_END_DECLS
