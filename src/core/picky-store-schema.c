/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The store's SQL schema, its forward migrations and the statements of the ingest path. */

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "picky-business-hours.h"
#include "picky-store.h"
#include "picky-store-private.h"

/* The growth of the fine response-time buckets past 16 seconds. */
#define FINE_RATIO 1.15

/* How long a connection waits for another process that holds the file. */
#define BUSY_TIMEOUT_MS 5000

/* Version 1: channels, contacts (personal details only as ciphertext and a
 * keyed phone hash), messages and the two rollups. Kept verbatim: it is
 * what databases written by 0.1 development builds hold, and the fixture
 * tests/data/store-v1.sql is made from it. */
static const char schema_v1[] =
  "CREATE TABLE channels ("
  "  id INTEGER PRIMARY KEY,"
  "  app TEXT NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  settings TEXT NOT NULL DEFAULT '{}',"
  "  removed INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE channel_state ("
  "  channel_id INTEGER NOT NULL REFERENCES channels (id),"
  "  key TEXT NOT NULL,"
  "  value TEXT,"
  "  PRIMARY KEY (channel_id, key)) WITHOUT ROWID;"
  /* pending_since: the time of the first incoming message not yet answered,
   * so the next outgoing one yields a first-response time. */
  "CREATE TABLE contacts ("
  "  id INTEGER PRIMARY KEY,"
  "  app TEXT NOT NULL,"
  "  provider_id TEXT NOT NULL,"
  "  name_enc BLOB,"
  "  phone_enc BLOB,"
  "  phone_hash TEXT,"
  "  pending_since INTEGER,"
  "  UNIQUE (app, provider_id));"
  "CREATE INDEX contacts_phone_hash ON contacts (phone_hash) WHERE phone_hash IS NOT NULL;"
  /* kind and status as the names in picky-message.c, which never change;
   * direction 0 = in, 1 = out. */
  "CREATE TABLE messages ("
  "  id INTEGER PRIMARY KEY,"
  "  channel_id INTEGER NOT NULL REFERENCES channels (id),"
  "  provider_key TEXT NOT NULL,"
  "  contact_id INTEGER REFERENCES contacts (id),"
  "  direction INTEGER NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  text TEXT,"
  "  media TEXT,"
  "  related_key TEXT,"
  "  timestamp INTEGER NOT NULL,"
  "  received INTEGER NOT NULL,"
  "  status TEXT,"
  "  error TEXT,"
  "  edited INTEGER NOT NULL DEFAULT 0,"
  "  UNIQUE (channel_id, provider_key));"
  "CREATE INDEX messages_time ON messages (timestamp, id);"
  "CREATE INDEX messages_contact_time ON messages (contact_id, timestamp, id);"
  "CREATE INDEX messages_channel_time ON messages (channel_id, timestamp, id);"
  /* Histogram buckets of first-response times, see picky_store_response_bucket(). */
  "CREATE TABLE contact_days ("
  "  contact_id INTEGER NOT NULL,"
  "  day INTEGER NOT NULL,"
  "  n_in INTEGER NOT NULL, n_out INTEGER NOT NULL,"
  "  first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,"
  "  resp_sum INTEGER NOT NULL, resp_count INTEGER NOT NULL,"
  "  h0 INTEGER NOT NULL, h1 INTEGER NOT NULL, h2 INTEGER NOT NULL, h3 INTEGER NOT NULL,"
  "  h4 INTEGER NOT NULL, h5 INTEGER NOT NULL, h6 INTEGER NOT NULL,"
  "  PRIMARY KEY (contact_id, day)) WITHOUT ROWID;"
  "CREATE TABLE daily ("
  "  day INTEGER NOT NULL,"
  "  app TEXT NOT NULL,"
  "  n_in INTEGER NOT NULL, n_out INTEGER NOT NULL,"
  "  first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,"
  "  resp_sum INTEGER NOT NULL, resp_count INTEGER NOT NULL,"
  "  h0 INTEGER NOT NULL, h1 INTEGER NOT NULL, h2 INTEGER NOT NULL, h3 INTEGER NOT NULL,"
  "  h4 INTEGER NOT NULL, h5 INTEGER NOT NULL, h6 INTEGER NOT NULL,"
  "  PRIMARY KEY (day, app)) WITHOUT ROWID;";

/* Version 2: full-text search, relay devices and the audit log. The
 * tokenizer keeps combining marks (Devanagari and Arabic vowel signs) and
 * emoji inside tokens instead of splitting words at them. */
static const char schema_v2[] =
  "CREATE VIRTUAL TABLE messages_fts USING fts5 ("
  "  text, content = 'messages', content_rowid = 'id',"
  "  tokenize = \"unicode61 remove_diacritics 2 categories 'L* M* N* Co So'\");"
  "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages"
  "  WHEN new.text IS NOT NULL BEGIN"
  "  INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);"
  "END;"
  "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages"
  "  WHEN old.text IS NOT NULL BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);"
  "END;"
  "CREATE TRIGGER messages_fts_update_old AFTER UPDATE OF text ON messages"
  "  WHEN old.text IS NOT NULL BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);"
  "END;"
  "CREATE TRIGGER messages_fts_update_new AFTER UPDATE OF text ON messages"
  "  WHEN new.text IS NOT NULL BEGIN"
  "  INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);"
  "END;"
  "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');"
  "CREATE TABLE devices ("
  "  id INTEGER PRIMARY KEY,"
  "  name_enc BLOB,"
  "  details_enc BLOB,"
  "  trusted INTEGER NOT NULL DEFAULT 0,"
  "  paired INTEGER NOT NULL,"
  "  last_seen INTEGER);"
  /* Never personal details here: actions name rows by id only. */
  "CREATE TABLE audit_log ("
  "  id INTEGER PRIMARY KEY,"
  "  time INTEGER NOT NULL,"
  "  action TEXT NOT NULL,"
  "  detail TEXT NOT NULL);";

/* Version 3: an unread mark on each message, set on incoming ones as they
 * are stored and cleared when their conversation is shown. Messages from
 * before stay read: an upgrade must not flood the inbox with old history.
 * The partial index holds the few unread rows only, so "unread only" and
 * "mark read" never walk the whole history. */
static const char schema_v3[] =
  "ALTER TABLE messages ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;"
  "CREATE INDEX messages_unread ON messages (timestamp, id) WHERE unread = 1;";

/* Version 4: hourly rollups per contact, so that reports can count days and
 * hours of the week in the admin's time zone (UTC days cannot give that),
 * and first-response times in fine buckets (see picky_store_fine_bucket())
 * for percentiles within 10 %. Both are backfilled from the messages by
 * replaying the ingest's rule: the first unanswered incoming message starts
 * the clock, the next outgoing one stops it; reactions do not count. */
static const char schema_v4[] =
  "CREATE TABLE contact_hours ("
  "  contact_id INTEGER NOT NULL,"
  "  hour INTEGER NOT NULL,"
  "  n_in INTEGER NOT NULL, n_out INTEGER NOT NULL,"
  "  first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,"
  "  resp_sum INTEGER NOT NULL, resp_count INTEGER NOT NULL,"
  "  PRIMARY KEY (contact_id, hour)) WITHOUT ROWID;"
  /* Covering: the contacts list and the overall report read a range of
   * hours for every contact without touching the table. */
  "CREATE INDEX contact_hours_time ON contact_hours"
  "  (hour, n_in, n_out, first_ts, last_ts, resp_sum, resp_count);"
  "CREATE TABLE response_hours ("
  "  contact_id INTEGER NOT NULL,"
  "  hour INTEGER NOT NULL,"
  "  bucket INTEGER NOT NULL,"
  "  n INTEGER NOT NULL,"
  "  PRIMARY KEY (contact_id, hour, bucket)) WITHOUT ROWID;"
  "CREATE INDEX response_hours_time ON response_hours (hour, bucket, n);"
  "CREATE TEMP TABLE backfill_responses AS"
  "  WITH seq AS ("
  "    SELECT id, contact_id, direction, timestamp,"
  "           lag (direction) OVER (PARTITION BY contact_id ORDER BY id) AS prev"
  "    FROM messages WHERE contact_id IS NOT NULL AND kind <> 'reaction'),"
  "  runs AS ("
  "    SELECT *, max (CASE WHEN direction = 0 AND (prev IS NULL OR prev = 1) THEN id END)"
  "              OVER (PARTITION BY contact_id ORDER BY id) AS run_id"
  "    FROM seq)"
  "  SELECT o.contact_id AS contact_id, o.timestamp / 3600 AS hour,"
  "         max (0, o.timestamp - s.timestamp) AS secs"
  "  FROM runs o JOIN messages s ON s.id = o.run_id"
  "  WHERE o.direction = 1 AND o.prev = 0;"
  "INSERT INTO contact_hours"
  "  SELECT contact_id, timestamp / 3600, sum (direction = 0), sum (direction = 1),"
  "         min (timestamp), max (timestamp), 0, 0"
  "  FROM messages WHERE contact_id IS NOT NULL AND kind <> 'reaction'"
  "  GROUP BY contact_id, timestamp / 3600;"
  "UPDATE contact_hours SET resp_sum = r.s, resp_count = r.n"
  "  FROM (SELECT contact_id, hour, sum (secs) AS s, count (*) AS n"
  "        FROM backfill_responses GROUP BY contact_id, hour) AS r"
  "  WHERE contact_hours.contact_id = r.contact_id AND contact_hours.hour = r.hour;"
  "INSERT INTO response_hours"
  "  SELECT contact_id, hour, picky_fine_bucket (secs), count (*)"
  "  FROM backfill_responses GROUP BY contact_id, hour, picky_fine_bucket (secs);"
  "DROP TABLE backfill_responses;";

/* Version 5: phone relay devices. A device is found by a keyed hash of its
 * token, never the token itself; revoked devices keep their row so their
 * messages still name them. Devices from before have no token anyone could
 * check, so they start revoked and are paired again. Pairing codes are kept
 * as keyed hashes too, each with its expiry. relay_outbox lists the replies
 * handed to a device: state 0 waits for the phone's acknowledgement, 1 was
 * sent, 2 failed. */
static const char schema_v5[] =
  "ALTER TABLE devices ADD COLUMN token_hash TEXT;"
  "ALTER TABLE devices ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;"
  "UPDATE devices SET revoked = 1, trusted = 0;"
  "CREATE UNIQUE INDEX devices_token ON devices (token_hash) WHERE token_hash IS NOT NULL;"
  "CREATE TABLE pairing_codes ("
  "  code_hash TEXT PRIMARY KEY,"
  "  expires INTEGER NOT NULL) WITHOUT ROWID;"
  "CREATE TABLE relay_outbox ("
  "  message_id INTEGER PRIMARY KEY REFERENCES messages (id),"
  "  device_id INTEGER NOT NULL REFERENCES devices (id),"
  "  state INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX relay_outbox_waiting ON relay_outbox (device_id, message_id) WHERE state = 0;";

/* Version 6: a contact is found by a keyed hash of its app and provider id
 * (for WhatsApp, SMS and the relay that id is the customer's phone number)
 * and keeps the id itself only encrypted. Media descriptions are encrypted
 * too: they name the sender of a group message and carry shared contact
 * cards. SQLite cannot compute either, so convert_v6() fills the new table
 * and seals the media from C; this part only makes room for it. */
static const char schema_v6[] =
  "CREATE TABLE contacts_v6 ("
  "  id INTEGER PRIMARY KEY,"
  "  app TEXT NOT NULL,"
  "  provider_hash TEXT NOT NULL UNIQUE,"
  "  provider_id_enc BLOB,"
  "  name_enc BLOB,"
  "  phone_enc BLOB,"
  "  phone_hash TEXT,"
  "  pending_since INTEGER);";

/* The rest of version 6, once convert_v6() has copied every contact: the
 * old table goes (secure_delete zeroes its pages) and the new one takes its
 * name, so the messages' references need no change. */
static const char schema_v6_swap[] =
  "DROP TABLE contacts;"
  "ALTER TABLE contacts_v6 RENAME TO contacts;"
  "CREATE INDEX contacts_phone_hash ON contacts (phone_hash) WHERE phone_hash IS NOT NULL;";

/* Version 7: a message is found by a keyed hash of its channel and provider
 * key (picky_store_message_hash()), never the key itself: a WhatsApp wamid
 * encodes the customer's number, a relay key often the sender's address.
 * The key and the related key (what a reaction or reply points at) are kept
 * sealed under the row id. Renaming keeps the unique constraint, the
 * indexes and the search triggers as they are; convert_v7() then replaces
 * every key by its hash and seals the plaintext away. */
static const char schema_v7[] =
  "ALTER TABLE messages RENAME COLUMN provider_key TO key_hash;"
  "ALTER TABLE messages RENAME COLUMN related_key TO related_key_enc;"
  "ALTER TABLE messages ADD COLUMN provider_key_enc BLOB;";

/* Version 8: the database's id, which names its secrets in the system
 * keyring (see PickyVault): two data folders in one keyring each keep
 * their own tokens for their "channel 1". 128 random bits as hex, from
 * SQLite's generator, which the operating system seeds. The service makes
 * the id before it asks the keyring for the data key, so this step may
 * find it made (picky_store_schema_ensure_id()); a copy of the file keeps
 * it, and with it the secrets. */
static const char schema_v8[] =
  "CREATE TABLE IF NOT EXISTS meta ("
  "  key TEXT PRIMARY KEY,"
  "  value TEXT NOT NULL) WITHOUT ROWID;"
  "INSERT OR IGNORE INTO meta (key, value)"
  "  VALUES ('database-id', lower (hex (randomblob (16))));";

/* Version 9: conversations, a contact on a channel (a group chat is one
 * contact), kept at ingest, edit, read and send time in the same
 * transaction as their messages, so that the Inbox lists them without
 * grouping millions of messages. Reactions are no activity: they neither
 * move a conversation nor count as unread or as a customer waiting.
 * waiting_since is the time of the customer's first message after our last
 * reply or Done mark, by arrival; a new customer message reopens a Done
 * conversation. A reply that has not gone out (queued, or failed) ends no
 * wait. done_marks keeps each Done with its time, so that reports
 * can start a customer's wait after it. The backfill is set-based: two
 * passes over the messages, then one look-up per conversation. */
static const char schema_v9[] =
  "CREATE TABLE conversations ("
  "  id INTEGER PRIMARY KEY,"
  "  channel_id INTEGER NOT NULL REFERENCES channels (id),"
  "  contact_id INTEGER NOT NULL REFERENCES contacts (id),"
  "  last_time INTEGER NOT NULL,"
  "  last_message_id INTEGER NOT NULL,"
  "  last_out INTEGER NOT NULL,"
  "  unread INTEGER NOT NULL,"
  "  waiting_since INTEGER,"
  "  done INTEGER NOT NULL DEFAULT 0,"
  "  UNIQUE (channel_id, contact_id));"
  /* One index per filter, each in list order, so that a page is read
   * straight off it whatever the filter leaves; the channel and contact
   * ride along, so that narrowing to apps or searching people needs no
   * look-up in the table (see conversation_index()). */
  "CREATE INDEX conversations_time ON conversations (last_time, id, channel_id, contact_id);"
  "CREATE INDEX conversations_done ON conversations (done, last_time, id, channel_id, contact_id);"
  "CREATE INDEX conversations_channel ON conversations (channel_id, last_time, id);"
  "CREATE INDEX conversations_waiting ON conversations (last_time, id, channel_id, contact_id)"
  "  WHERE waiting_since IS NOT NULL AND done = 0;"
  "CREATE INDEX conversations_unread ON conversations (last_time, id, channel_id, contact_id)"
  "  WHERE unread > 0;"
  "CREATE INDEX conversations_contact ON conversations (contact_id);"
  "CREATE TABLE done_marks ("
  "  id INTEGER PRIMARY KEY,"
  "  conversation_id INTEGER NOT NULL REFERENCES conversations (id),"
  "  time INTEGER NOT NULL);"
  "CREATE INDEX done_marks_conversation ON done_marks (conversation_id, time);"
  "CREATE TEMP TABLE backfill_conversations ("
  "  channel_id INTEGER, contact_id INTEGER, last_time INTEGER, unread INTEGER, out_id INTEGER,"
  "  PRIMARY KEY (channel_id, contact_id));"
  "INSERT INTO backfill_conversations"
  "  SELECT channel_id, contact_id, max (timestamp), sum (unread),"
  "         max (CASE WHEN direction = 1 AND coalesce (status, '') NOT IN ('queued', 'failed') THEN id END)"
  "  FROM messages WHERE contact_id IS NOT NULL AND kind <> 'reaction'"
  "  GROUP BY channel_id, contact_id;"
  "CREATE TEMP TABLE backfill_waiting AS"
  "  SELECT m.channel_id AS channel_id, m.contact_id AS contact_id, min (m.id) AS first_id"
  "  FROM messages m JOIN backfill_conversations b"
  "    ON b.channel_id = m.channel_id AND b.contact_id = m.contact_id"
  "  WHERE m.direction = 0 AND m.kind <> 'reaction' AND m.id > coalesce (b.out_id, 0)"
  "  GROUP BY m.channel_id, m.contact_id;"
  "INSERT INTO conversations (channel_id, contact_id, last_time, last_message_id, last_out, unread,"
  "  waiting_since)"
  "  SELECT b.channel_id, b.contact_id, b.last_time,"
  "         (SELECT id FROM messages m WHERE m.contact_id = b.contact_id"
  "            AND m.timestamp = b.last_time AND +m.channel_id = b.channel_id"
  "            AND m.kind <> 'reaction' ORDER BY m.id DESC LIMIT 1),"
  "         0, b.unread,"
  "         (SELECT m.timestamp FROM messages m WHERE m.id = w.first_id)"
  "  FROM backfill_conversations b LEFT JOIN backfill_waiting w"
  "    ON w.channel_id = b.channel_id AND w.contact_id = b.contact_id"
  "  ORDER BY b.last_time;"
  "UPDATE conversations SET last_out = (SELECT direction FROM messages WHERE id = last_message_id);"
  "DROP TABLE backfill_waiting;"
  "DROP TABLE backfill_conversations;";

/* SQLite instructions of version 9 per message and per contact, measured
 * on generated stores of 30,000 and 150,000 messages. */
#define OPS_PER_MESSAGE_V9 52
#define OPS_PER_CONTACT_V9 200

/* Version 10: the audit trail becomes a chain. Each entry names the
 * object it concerns (by id only, never a personal detail) apart from its
 * details, and holds the SHA-256 of the entry before it and its own (see
 * picky_store_audit_hash()); meta's audit-head is the last one's, so that
 * a changed, removed or added entry anywhere breaks the chain. The columns
 * are added and the entries from before chained, in the order they were
 * written, by convert_v10(). */
static const char schema_v10[] = "";

/* Version 11: waits. A customer's wait for a first response starts at their
 * first message after our last reply (or after the conversation was marked
 * done, or their first message ever) and ends at our next reply; it belongs
 * to the hour it started in, where earlier versions counted it in the hour
 * of the reply, so that a wait begun months ago filled this month's median.
 * One row per wait, in the conversation (contact and channel) it is in:
 * first_id is the message that started it; ended and answered say how it
 * ended (a reply, or a done mark), ended NULL while it lasts, so that the
 * waits still open at any moment can be counted. reply_hours holds the
 * reply time of every customer message (to our next reply) by the hour the
 * message was written. Messages are taken in the order they were stored,
 * as the ingest sees them; reactions do not count. The rollups of response
 * times are then counted again under this rule (picky_store_sql_rebuild_responses). */
static const char schema_v11[] =
  "CREATE TABLE waits ("
  "  id INTEGER PRIMARY KEY,"
  "  contact_id INTEGER NOT NULL,"
  "  channel_id INTEGER NOT NULL,"
  "  first_id INTEGER NOT NULL,"
  "  started INTEGER NOT NULL,"
  "  ended INTEGER,"
  "  answered INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX waits_conversation ON waits (contact_id, channel_id, first_id);"
  /* The waits open at a moment: those not ended, or ended after it. */
  "CREATE INDEX waits_ended ON waits (ended, started, contact_id);"
  "CREATE TABLE reply_hours ("
  "  contact_id INTEGER NOT NULL,"
  "  hour INTEGER NOT NULL,"
  "  bucket INTEGER NOT NULL,"
  "  n INTEGER NOT NULL,"
  "  PRIMARY KEY (contact_id, hour, bucket)) WITHOUT ROWID;"
  "CREATE INDEX reply_hours_time ON reply_hours (hour, bucket, n);"
  /* Done marks (version 9) end a wait too: each is put after the last
   * message of its conversation written by then. n_end counts the events
   * that end a wait (our replies, done marks) up to each one, so a customer
   * message's wait ends at the event whose count is one more. A reply that
 * has not gone out is no such event. */
  "CREATE TEMP TABLE backfill_events AS"
  "  SELECT contact_id, channel_id, id AS pos, 0 AS late, direction AS kind, timestamp"
  "  FROM messages WHERE contact_id IS NOT NULL AND kind <> 'reaction'"
  "    AND NOT (direction = 1 AND coalesce (status, '') IN ('queued', 'failed'))"
  "  UNION ALL"
  "  SELECT c.contact_id, c.channel_id,"
  "         coalesce ((SELECT max (m.id) FROM messages m WHERE m.contact_id = c.contact_id"
  "                      AND +m.channel_id = c.channel_id AND m.timestamp <= d.time), 0),"
  "         1, 2, d.time"
  "  FROM done_marks d JOIN conversations c ON c.id = d.conversation_id;"
  "CREATE TEMP TABLE backfill_sequence AS"
  "  SELECT contact_id, channel_id, pos, kind, timestamp,"
  "         lag (kind) OVER w AS prev, sum (kind <> 0) OVER w AS n_end"
  "  FROM backfill_events"
  "  WINDOW w AS (PARTITION BY contact_id, channel_id ORDER BY pos, late"
  "               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);"
  "CREATE INDEX temp.backfill_ends ON backfill_sequence (contact_id, channel_id, n_end)"
  "  WHERE kind <> 0;"
  "INSERT INTO waits (contact_id, channel_id, first_id, started, ended, answered)"
  "  SELECT s.contact_id, s.channel_id, s.pos, s.timestamp, max (r.timestamp, s.timestamp),"
  "         coalesce (r.kind = 1, 0)"
  "  FROM backfill_sequence s LEFT JOIN backfill_sequence r"
  "    ON r.kind <> 0 AND r.contact_id = s.contact_id AND r.channel_id = s.channel_id"
  "       AND r.n_end = s.n_end + 1"
  "  WHERE s.kind = 0 AND (s.prev IS NULL OR s.prev <> 0)"
  "  ORDER BY s.pos;"
  "DROP TABLE temp.backfill_sequence;"
  "DROP TABLE temp.backfill_events;";

/* Version 12: per-contact rollups of whole UTC months (level 1) and years
 * (level 2), so that the contacts list reads one row per contact and span
 * instead of every hour of the range: a range is made of spans, with the
 * hours at its ends added, or, where fewer, the hours outside it taken
 * away from the span they lie in (picky_store_span_floor()). start is the
 * span's first hour (unix hours, as contact_hours.hour); responses holds
 * the first-response times per fine bucket (picky_store_hist_read()).
 * Built from the hourly rollups. */
/* SQLite instructions per message of the step to version 12: it reads
 * the hourly rollups, at most one per message and fewer where contacts
 * write several times an hour. */
#define OPS_PER_MESSAGE_V12 20

static const char schema_v12[] =
  "CREATE TABLE contact_spans ("
  "  level INTEGER NOT NULL,"
  "  start INTEGER NOT NULL,"
  "  contact_id INTEGER NOT NULL,"
  "  n_in INTEGER NOT NULL, n_out INTEGER NOT NULL,"
  "  first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,"
  "  responses BLOB,"
  "  PRIMARY KEY (level, start, contact_id)) WITHOUT ROWID;"
  /* Erasing a contact finds its rows. */
  "CREATE INDEX contact_spans_contact ON contact_spans (contact_id);"
  "INSERT INTO contact_spans (level, start, contact_id, n_in, n_out, first_ts, last_ts)"
  "  SELECT 1, picky_span_start (1, hour), contact_id, sum (n_in), sum (n_out)," PICKY_STORE_SQL_MESSAGE_BOUNDS
  "  FROM contact_hours GROUP BY 2, 3;"
  "INSERT INTO contact_spans (level, start, contact_id, n_in, n_out, first_ts, last_ts)"
  "  SELECT 2, picky_span_start (2, start), contact_id, sum (n_in), sum (n_out)," PICKY_STORE_SQL_MESSAGE_BOUNDS
  "  FROM contact_spans WHERE level = 1 GROUP BY 2, 3;";

/* Version 13: the full-text index split by contact into
 * PICKY_STORE_FTS_SHARDS tables, messages_fts_0 and on, each holding the
 * words of the messages of the contacts whose id leaves its number as the
 * remainder (messages without a contact in the first). FTS5 in SQLite 3.40
 * has no secure-delete: a deleted message's words stay in the index's
 * older segments until those are merged, so erasing a contact merges the
 * table that held their words ('optimize'), a sixteenth of the index where
 * one table made it rewrite all of it (seconds at millions of messages).
 * A search asks every table and merges their hits by row id (see
 * picky_store_fts_append_union()); at 200,000 messages that costs about
 * 0.03 ms per table, and the tables' triggers make the index's share of
 * the ingest about a third slower: 16 keeps erasing a contact of a store
 * of 5 million messages under a second and a search in milliseconds.
 * The tables are filled by convert_v13(), one pass over the messages; a
 * file set back to an earlier version is indexed again from scratch. */
static const char schema_v13[] =
  "DROP TRIGGER IF EXISTS messages_fts_insert;"
  "DROP TRIGGER IF EXISTS messages_fts_delete;"
  "DROP TRIGGER IF EXISTS messages_fts_update_old;"
  "DROP TRIGGER IF EXISTS messages_fts_update_new;"
  "DROP TABLE IF EXISTS messages_fts;";

/* SQLite instructions of version 13 per message (FTS5's own statements
 * count little), measured on a generated store of 30,000 messages. */
#define OPS_PER_MESSAGE_V13 25

/* Version 14: fewer indexes on the messages, each a page to write for
 * every message stored and a scattered page to clear for every message
 * erased (a contact's messages lie all over an index ordered by time:
 * erasing one with 10,000 messages wrote 46,829 pages of a store of
 * 4.5 million).
 * The Inbox lists conversations, so the message lists by channel and of
 * unread messages across all contacts had no reader left: the channel's
 * newest customer message is kept on the channel itself, "mark read"
 * walks the conversation's own messages, and which apps have messages is
 * asked of the key index, whose first column is the channel. */
static const char schema_v14[] =
  "ALTER TABLE channels ADD COLUMN last_in INTEGER;"
  "UPDATE channels SET last_in ="
  "  (SELECT timestamp FROM messages WHERE channel_id = channels.id AND direction = 0"
  "   ORDER BY timestamp DESC, id DESC LIMIT 1);"
  "DROP INDEX messages_channel_time;"
  "DROP INDEX messages_unread;";

/* Version 15: new messages are indexed for search in batches instead of
 * by the trigger of their insert (see picky-store-indexer.c); the
 * messages not yet indexed are listed here. */
static const char schema_v15[] =
  "CREATE TABLE messages_unindexed (id INTEGER PRIMARY KEY);";

typedef gboolean (*ConvertFunc) (sqlite3      *db,
                                 PickyCipher  *cipher,
                                 GError      **error);

static gboolean convert_v6 (sqlite3      *db,
                            PickyCipher  *cipher,
                            GError      **error);
static gboolean convert_v7 (sqlite3      *db,
                            PickyCipher  *cipher,
                            GError      **error);
static gboolean convert_v10 (sqlite3      *db,
                             PickyCipher  *cipher,
                             GError      **error);
static gboolean convert_v11 (sqlite3      *db,
                             PickyCipher  *cipher,
                             GError      **error);
static gboolean convert_v12 (sqlite3      *db,
                             PickyCipher  *cipher,
                             GError      **error);
static gboolean convert_v13 (sqlite3      *db,
                             PickyCipher  *cipher,
                             GError      **error);
static gboolean convert_v15 (sqlite3      *db,
                             PickyCipher  *cipher,
                             GError      **error);

/* Each step's SQL, then what only C can do, in the same transaction; a
 * step that reads every message says about how many SQLite instructions
 * it takes per message and per contact, so that its progress can be told. */
static const struct {
  const char  *sql;
  ConvertFunc  convert;
  guint        ops_per_message;
  guint        ops_per_contact;
} migrations[] = {
  { schema_v1, NULL, 0, 0 },
  { schema_v2, NULL, 0, 0 },
  { schema_v3, NULL, 0, 0 },
  { schema_v4, NULL, 0, 0 },
  { schema_v5, NULL, 0, 0 },
  { schema_v6, convert_v6, 0, 0 },
  { schema_v7, convert_v7, 0, 0 },
  { schema_v8, NULL, 0, 0 },
  { schema_v9, NULL, OPS_PER_MESSAGE_V9, OPS_PER_CONTACT_V9 },
  { schema_v10, convert_v10, 0, 0 },
  { schema_v11, convert_v11, 0, 0 },
  { schema_v12, convert_v12, OPS_PER_MESSAGE_V12, 0 },
  { schema_v13, convert_v13, OPS_PER_MESSAGE_V13, 0 },
  { schema_v14, NULL, 0, 0 },
  { schema_v15, convert_v15, 0, 0 },
};

/* SQLite instructions between two progress reports. */
#define PROGRESS_OPS 10000

typedef struct {
  PickyStoreMigrateProgress  func;
  gpointer                   data;
  gint64                     ops;
  gint64                     total;
} Progress;

static int
on_progress_cb (void *data)
{
  Progress *progress = data;

  progress->ops += PROGRESS_OPS;
  progress->func (MIN (0.99, (double) progress->ops / (double) MAX (progress->total, 1)), progress->data);
  return 0;
}

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == PICKY_STORE_SCHEMA_VERSION);

/* ?1 channel, ?2 picky_store_message_hash(), ?3 contact, ?4 direction,
 * ?5 kind, ?6 text, ?7 timestamp, ?8 received, ?9 status, ?10 error; the
 * sealed columns follow with picky_store_sql_seal_message. */
const char picky_store_sql_insert_message[] =
  "INSERT INTO messages (channel_id, key_hash, contact_id, direction, kind, text,"
  "  timestamp, received, status, error, unread)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?4 = 0)"
  " ON CONFLICT (channel_id, key_hash) DO NOTHING";

/* ?1 app, ?2 picky_store_contact_hash(); the sealed id follows with
 * picky_store_sql_set_contact_provider_id once the row id is known. */
const char picky_store_sql_insert_contact[] =
  "INSERT INTO contacts (app, provider_hash) VALUES (?1, ?2)";

const char picky_store_sql_set_contact_provider_id[] =
  "UPDATE contacts SET provider_id_enc = ?2 WHERE id = ?1";

/* The provider key, media description and related key, sealed under the
 * message's row id once it is known: one statement, one page write. */
const char picky_store_sql_seal_message[] =
  "UPDATE messages SET provider_key_enc = ?2, media = ?3, related_key_enc = ?4 WHERE id = ?1";

const char picky_store_sql_set_contact_name[] =
  "UPDATE contacts SET name_enc = ?2 WHERE id = ?1";

const char picky_store_sql_set_contact_phone[] =
  "UPDATE contacts SET phone_enc = ?2, phone_hash = ?3 WHERE id = ?1";

/* ?1 contact, ?2 day, ?3 n_in, ?4 n_out, ?5 timestamp, ?6 response seconds,
 * ?7 1 when a response time is counted, ?8 its bucket or -1. */
#define ROLLUP_VALUES \
  " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7," \
  "  ?8 = 0, ?8 = 1, ?8 = 2, ?8 = 3, ?8 = 4, ?8 = 5, ?8 = 6)"
#define ROLLUP_UPDATE \
  " DO UPDATE SET n_in = n_in + excluded.n_in, n_out = n_out + excluded.n_out," \
  "  first_ts = min (first_ts, excluded.first_ts), last_ts = max (last_ts, excluded.last_ts)," \
  "  resp_sum = resp_sum + excluded.resp_sum, resp_count = resp_count + excluded.resp_count," \
  "  h0 = h0 + excluded.h0, h1 = h1 + excluded.h1, h2 = h2 + excluded.h2," \
  "  h3 = h3 + excluded.h3, h4 = h4 + excluded.h4, h5 = h5 + excluded.h5," \
  "  h6 = h6 + excluded.h6"
#define ROLLUP_COLUMNS \
  " n_in, n_out, first_ts, last_ts, resp_sum, resp_count, h0, h1, h2, h3, h4, h5, h6)"

const char picky_store_sql_add_contact_day[] =
  "INSERT INTO contact_days (contact_id, day," ROLLUP_COLUMNS
  ROLLUP_VALUES
  " ON CONFLICT (contact_id, day)" ROLLUP_UPDATE;

/* The same parameters, with the app name as ?1. */
const char picky_store_sql_add_daily[] =
  "INSERT INTO daily (app, day," ROLLUP_COLUMNS
  ROLLUP_VALUES
  " ON CONFLICT (day, app)" ROLLUP_UPDATE;

/* ?1 contact, ?2 hour, ?3 n_in, ?4 n_out, ?5 timestamp, ?6 response seconds,
 * ?7 1 when a response time is counted. */
const char picky_store_sql_add_contact_hour[] =
  "INSERT INTO contact_hours (contact_id, hour, n_in, n_out, first_ts, last_ts,"
  "  resp_sum, resp_count) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)"
  " ON CONFLICT (contact_id, hour) DO UPDATE SET"
  "  n_in = n_in + excluded.n_in, n_out = n_out + excluded.n_out,"
  "  first_ts = min (first_ts, excluded.first_ts), last_ts = max (last_ts, excluded.last_ts),"
  "  resp_sum = resp_sum + excluded.resp_sum, resp_count = resp_count + excluded.resp_count";

/* ?1 contact, ?2 hour, ?3 fine bucket of a first-response time. */
const char picky_store_sql_add_response_hour[] =
  "INSERT INTO response_hours (contact_id, hour, bucket, n) VALUES (?1, ?2, ?3, 1)"
  " ON CONFLICT (contact_id, hour, bucket) DO UPDATE SET n = n + 1";

/* A new message counted in its conversation: ?1 channel, ?2 contact,
 * ?3 timestamp, ?4 message id, ?5 direction, ?6 1 when ours has gone out.
 * The newest by (timestamp, id) is the last message; ours ends a wait once
 * sent (a queued or failed one leaves it to picky_store_worker_reply_sent()),
 * the customer's starts one if none runs, counts as unread and reopens a
 * Done conversation. */
const char picky_store_sql_touch_conversation[] =
  "INSERT INTO conversations (channel_id, contact_id, last_time, last_message_id, last_out,"
  "  unread, waiting_since)"
  " VALUES (?1, ?2, ?3, ?4, ?5 = 1, ?5 = 0, CASE WHEN ?5 = 0 THEN ?3 END)"
  " ON CONFLICT (channel_id, contact_id) DO UPDATE SET"
  "  last_out = CASE WHEN (?3, ?4) > (last_time, last_message_id) THEN ?5 = 1 ELSE last_out END,"
  "  last_message_id = CASE WHEN (?3, ?4) > (last_time, last_message_id) THEN ?4 ELSE last_message_id END,"
  "  last_time = max (last_time, ?3),"
  "  unread = unread + (?5 = 0),"
  "  waiting_since = CASE WHEN ?5 = 0 THEN coalesce (waiting_since, ?3)"
  "                       WHEN ?6 = 1 THEN NULL ELSE waiting_since END,"
  "  done = CASE WHEN ?5 = 0 THEN 0 ELSE done END"
  " RETURNING id";

/* Every response-time rollup counted again from the waits, with the
 * function picky_wait_seconds() as it is now registered (every second, or
 * only working time): the first-response times by the hour and day each
 * wait started, and the reply time of each customer message by the hour it
 * was written, up to the reply that ended its wait. A message stored before
 * the first message of its wait but written after it is left out, as the
 * ingest leaves it out. */
const char picky_store_sql_rebuild_responses[] =
  "CREATE TEMP TABLE rebuild_waits AS"
  "  SELECT w.contact_id, c.app, w.started, picky_wait_seconds (w.started, w.ended) AS secs"
  "  FROM waits w JOIN contacts c ON c.id = w.contact_id WHERE w.answered = 1;"
  "DELETE FROM response_hours;"
  "INSERT INTO response_hours (contact_id, hour, bucket, n)"
  "  SELECT contact_id, started / 3600, picky_fine_bucket (secs), count (*)"
  "  FROM rebuild_waits GROUP BY 1, 2, 3;"
  "UPDATE contact_hours SET resp_sum = 0, resp_count = 0 WHERE resp_count <> 0;"
  "UPDATE contact_hours SET resp_sum = r.s, resp_count = r.n"
  "  FROM (SELECT contact_id, started / 3600 AS hour, sum (secs) AS s, count (*) AS n"
  "        FROM rebuild_waits GROUP BY 1, 2) AS r"
  "  WHERE contact_hours.contact_id = r.contact_id AND contact_hours.hour = r.hour;"
  "CREATE TEMP TABLE rebuild_days AS"
  "  SELECT contact_id, app, started / 86400 AS day, sum (secs) AS s, count (*) AS n,"
  "         sum (secs < 60) AS h0, sum (secs >= 60 AND secs < 300) AS h1,"
  "         sum (secs >= 300 AND secs < 900) AS h2, sum (secs >= 900 AND secs < 3600) AS h3,"
  "         sum (secs >= 3600 AND secs < 14400) AS h4, sum (secs >= 14400 AND secs < 86400) AS h5,"
  "         sum (secs >= 86400) AS h6"
  "  FROM rebuild_waits GROUP BY 1, 2, 3;"
  "UPDATE contact_days SET resp_sum = 0, resp_count = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0,"
  "  h5 = 0, h6 = 0 WHERE resp_count <> 0;"
  "UPDATE contact_days SET resp_sum = r.s, resp_count = r.n, h0 = r.h0, h1 = r.h1, h2 = r.h2,"
  "  h3 = r.h3, h4 = r.h4, h5 = r.h5, h6 = r.h6"
  "  FROM rebuild_days AS r"
  "  WHERE contact_days.contact_id = r.contact_id AND contact_days.day = r.day;"
  "UPDATE daily SET resp_sum = 0, resp_count = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0,"
  "  h5 = 0, h6 = 0 WHERE resp_count <> 0;"
  "UPDATE daily SET resp_sum = r.s, resp_count = r.n, h0 = r.h0, h1 = r.h1, h2 = r.h2,"
  "  h3 = r.h3, h4 = r.h4, h5 = r.h5, h6 = r.h6"
  "  FROM (SELECT app, day, sum (s) AS s, sum (n) AS n, sum (h0) AS h0, sum (h1) AS h1,"
  "               sum (h2) AS h2, sum (h3) AS h3, sum (h4) AS h4, sum (h5) AS h5, sum (h6) AS h6"
  "        FROM rebuild_days GROUP BY 1, 2) AS r"
  "  WHERE daily.app = r.app AND daily.day = r.day;"
  "DROP TABLE temp.rebuild_days;"
  "DROP TABLE temp.rebuild_waits;"
  "DELETE FROM reply_hours;"
  "INSERT INTO reply_hours (contact_id, hour, bucket, n)"
  "  SELECT contact_id, hour, picky_fine_bucket (secs), count (*) FROM ("
  "    SELECT m.contact_id AS contact_id, m.timestamp / 3600 AS hour,"
  "           picky_wait_seconds (m.timestamp, w.ended) AS secs"
  "    FROM messages m JOIN waits w ON w.id = ("
  "      SELECT x.id FROM waits x WHERE x.contact_id = m.contact_id AND x.channel_id = m.channel_id"
  "      AND x.first_id <= m.id ORDER BY x.first_id DESC LIMIT 1)"
  "    WHERE m.direction = 0 AND m.contact_id IS NOT NULL AND m.kind <> 'reaction'"
  "      AND w.answered = 1 AND m.timestamp >= w.started)"
  "  GROUP BY 1, 2, 3;";

/* The sums of the response-time columns of the day rollups, for one
 * side of the overall days' update in picky_store_sql_recount_contacts. */
#define DAY_TIMES \
  "sum (resp_sum) AS s, sum (resp_count) AS n, sum (h0) AS h0, sum (h1) AS h1, sum (h2) AS h2," \
  " sum (h3) AS h3, sum (h4) AS h4, sum (h5) AS h5, sum (h6) AS h6"
#define DAILY_TIMES(op) \
  " resp_sum = daily.resp_sum " op " d.s, resp_count = daily.resp_count " op " d.n," \
  " h0 = daily.h0 " op " d.h0, h1 = daily.h1 " op " d.h1, h2 = daily.h2 " op " d.h2," \
  " h3 = daily.h3 " op " d.h3, h4 = daily.h4 " op " d.h4, h5 = daily.h5 " op " d.h5," \
  " h6 = daily.h6 " op " d.h6"
#define CHUNK_DAYS \
  " FROM (SELECT c.app AS app, cd.day AS day, " DAY_TIMES \
  "       FROM contact_days cd JOIN contacts c ON c.id = cd.contact_id" \
  "       WHERE cd.contact_id >= :lo AND cd.contact_id < :hi AND cd.resp_count <> 0 GROUP BY 1, 2) AS d" \
  " WHERE daily.app = d.app AND daily.day = d.day;"

/* picky_store_sql_rebuild_responses and picky_store_sql_rebuild_span_responses
 * for the contacts with ids in [:lo, :hi), so that switching business
 * hours can count a store again a few thousand contacts per transaction:
 * the overall days lose these contacts' old times and gain their new
 * ones, as they stand in the contacts' days. Every statement reaches the
 * chunk's rows through an index on the contact (the unary + keeps the
 * years' update off the primary key, which would scan every month). */
const char picky_store_sql_recount_contacts[] =
  "CREATE TEMP TABLE recount_waits AS"
  "  SELECT w.contact_id, c.app, w.started, picky_wait_seconds (w.started, w.ended) AS secs"
  "  FROM waits w JOIN contacts c ON c.id = w.contact_id"
  "  WHERE w.answered = 1 AND w.contact_id >= :lo AND w.contact_id < :hi;"
  "DELETE FROM response_hours WHERE contact_id >= :lo AND contact_id < :hi;"
  "INSERT INTO response_hours (contact_id, hour, bucket, n)"
  "  SELECT contact_id, started / 3600, picky_fine_bucket (secs), count (*)"
  "  FROM recount_waits GROUP BY 1, 2, 3;"
  "UPDATE contact_hours SET resp_sum = 0, resp_count = 0"
  "  WHERE contact_id >= :lo AND contact_id < :hi AND resp_count <> 0;"
  "UPDATE contact_hours SET resp_sum = r.s, resp_count = r.n"
  "  FROM (SELECT contact_id, started / 3600 AS hour, sum (secs) AS s, count (*) AS n"
  "        FROM recount_waits GROUP BY 1, 2) AS r"
  "  WHERE contact_hours.contact_id = r.contact_id AND contact_hours.hour = r.hour;"
  "UPDATE daily SET" DAILY_TIMES ("-") CHUNK_DAYS
  "UPDATE contact_days SET resp_sum = 0, resp_count = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0,"
  "  h5 = 0, h6 = 0 WHERE contact_id >= :lo AND contact_id < :hi AND resp_count <> 0;"
  "UPDATE contact_days SET resp_sum = r.s, resp_count = r.n, h0 = r.h0, h1 = r.h1, h2 = r.h2,"
  "  h3 = r.h3, h4 = r.h4, h5 = r.h5, h6 = r.h6"
  "  FROM (SELECT contact_id, started / 86400 AS day, sum (secs) AS s, count (*) AS n,"
  "         sum (secs < 60) AS h0, sum (secs >= 60 AND secs < 300) AS h1,"
  "         sum (secs >= 300 AND secs < 900) AS h2, sum (secs >= 900 AND secs < 3600) AS h3,"
  "         sum (secs >= 3600 AND secs < 14400) AS h4, sum (secs >= 14400 AND secs < 86400) AS h5,"
  "         sum (secs >= 86400) AS h6"
  "        FROM recount_waits GROUP BY 1, 2) AS r"
  "  WHERE contact_days.contact_id = r.contact_id AND contact_days.day = r.day;"
  "UPDATE daily SET" DAILY_TIMES ("+") CHUNK_DAYS
  "DROP TABLE temp.recount_waits;"
  "DELETE FROM reply_hours WHERE contact_id >= :lo AND contact_id < :hi;"
  "INSERT INTO reply_hours (contact_id, hour, bucket, n)"
  "  SELECT contact_id, hour, picky_fine_bucket (secs), count (*) FROM ("
  "    SELECT m.contact_id AS contact_id, m.timestamp / 3600 AS hour,"
  "           picky_wait_seconds (m.timestamp, w.ended) AS secs"
  "    FROM messages m JOIN waits w ON w.id = ("
  "      SELECT x.id FROM waits x WHERE x.contact_id = m.contact_id AND x.channel_id = m.channel_id"
  "      AND x.first_id <= m.id ORDER BY x.first_id DESC LIMIT 1)"
  "    WHERE m.direction = 0 AND m.contact_id >= :lo AND m.contact_id < :hi AND m.kind <> 'reaction'"
  "      AND w.answered = 1 AND m.timestamp >= w.started)"
  "  GROUP BY 1, 2, 3;"
  "UPDATE contact_spans SET responses = NULL"
  "  WHERE contact_id >= :lo AND contact_id < :hi AND responses IS NOT NULL;"
  "UPDATE contact_spans SET responses = r.h"
  "  FROM (SELECT picky_span_start (1, hour) AS start, contact_id, picky_hist (bucket, n) AS h"
  "        FROM response_hours WHERE contact_id >= :lo AND contact_id < :hi GROUP BY 1, 2) AS r"
  "  WHERE contact_spans.level = 1 AND contact_spans.start = r.start"
  "    AND contact_spans.contact_id = r.contact_id;"
  "UPDATE contact_spans SET responses = r.h"
  "  FROM (SELECT picky_span_start (2, start) AS start, contact_id, picky_hist (responses) AS h"
  "        FROM contact_spans WHERE +level = 1 AND contact_id >= :lo AND contact_id < :hi"
  "          AND responses IS NOT NULL GROUP BY 1, 2) AS r"
  "  WHERE contact_spans.level = 2 AND contact_spans.start = r.start"
  "    AND contact_spans.contact_id = r.contact_id;";

/* The first-response times of every span counted again from the hourly
 * ones: the months from response_hours, the years from the months. */
const char picky_store_sql_rebuild_span_responses[] =
  "UPDATE contact_spans SET responses = NULL WHERE responses IS NOT NULL;"
  "UPDATE contact_spans SET responses = r.h"
  "  FROM (SELECT picky_span_start (1, hour) AS start, contact_id, picky_hist (bucket, n) AS h"
  "        FROM response_hours GROUP BY 1, 2) AS r"
  "  WHERE contact_spans.level = 1 AND contact_spans.start = r.start"
  "    AND contact_spans.contact_id = r.contact_id;"
  "UPDATE contact_spans SET responses = r.h"
  "  FROM (SELECT picky_span_start (2, start) AS start, contact_id, picky_hist (responses) AS h"
  "        FROM contact_spans WHERE level = 1 AND responses IS NOT NULL GROUP BY 1, 2) AS r"
  "  WHERE contact_spans.level = 2 AND contact_spans.start = r.start"
  "    AND contact_spans.contact_id = r.contact_id;";

/* ?1 level, ?2 the span's first hour, ?3 contact, ?4 n_in, ?5 n_out,
 * ?6 timestamp, ?7 the fine bucket of a first-response time or -1. A
 * response alone (a wait whose first message was purged while it lasted)
 * moves neither the first nor the last message. */
const char picky_store_sql_add_contact_span[] =
  "INSERT INTO contact_spans (level, start, contact_id, n_in, n_out, first_ts, last_ts, responses)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, CASE WHEN ?7 >= 0 THEN picky_hist_add (NULL, ?7, 1) END)"
  " ON CONFLICT (level, start, contact_id) DO UPDATE SET"
  "  n_in = n_in + excluded.n_in, n_out = n_out + excluded.n_out,"
  "  first_ts = CASE WHEN n_in + n_out = 0 THEN excluded.first_ts"
  "                  WHEN excluded.n_in + excluded.n_out = 0 THEN first_ts"
  "                  ELSE min (first_ts, excluded.first_ts) END,"
  "  last_ts = CASE WHEN n_in + n_out = 0 THEN excluded.last_ts"
  "                 WHEN excluded.n_in + excluded.n_out = 0 THEN last_ts"
  "                 ELSE max (last_ts, excluded.last_ts) END,"
  "  responses = CASE WHEN ?7 >= 0 THEN picky_hist_add (responses, ?7, 1) ELSE responses END";

/* ?1 contact, ?2 channel: the conversation's latest wait, open or not. */
const char picky_store_sql_last_wait[] =
  "SELECT id, first_id, started, ended IS NULL FROM waits"
  " WHERE contact_id = ?1 AND channel_id = ?2 ORDER BY first_id DESC LIMIT 1";

/* ?1 contact, ?2 channel, ?3 the message that starts it, ?4 its time. */
const char picky_store_sql_insert_wait[] =
  "INSERT INTO waits (contact_id, channel_id, first_id, started) VALUES (?1, ?2, ?3, ?4)";

/* ?1 wait, ?2 when it ended, ?3 1 for a reply, 0 for a done mark. */
const char picky_store_sql_end_wait[] =
  "UPDATE waits SET ended = ?2, answered = ?3 WHERE id = ?1";

/* ?1 contact, ?2 channel, ?3 the wait's start, ?4 its first message: the
 * customer messages of the wait, each waiting for the reply that ends it.
 * The unary + keeps SQLite on the contact's index: on the channel's it
 * walked every message of the channel since the wait started, which made
 * each reply cost more the larger the store (450 messages/s at 100,000). */
const char picky_store_sql_wait_messages[] =
  "SELECT timestamp FROM messages WHERE contact_id = ?1 AND timestamp >= ?3 AND id >= ?4"
  " AND +channel_id = ?2 AND direction = 0 AND kind <> 'reaction'";

/* ?1 contact, ?2 hour, ?3 fine bucket of a reply time. */
const char picky_store_sql_add_reply_hour[] =
  "INSERT INTO reply_hours (contact_id, hour, bucket, n) VALUES (?1, ?2, ?3, 1)"
  " ON CONFLICT (contact_id, hour, bucket) DO UPDATE SET n = n + 1";

void
picky_store_set_sqlite_error (GError  **error,
                              sqlite3  *db,
                              int       rc)
{
  const char *detail = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_FULL:
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_FULL,
                   _("The disk is full: the message database cannot grow (%s)"), detail);
      break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_IO,
                   _("The message database could not be read or written (%s)"), detail);
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CORRUPT,
                   _("The message database is damaged (%s)"), detail);
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_BUSY,
                   _("Another program keeps the message database busy (%s)"), detail);
      break;
    default:
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_FAILED,
                   _("The message database failed (%s)"), detail);
      break;
    }
}

gboolean
picky_store_exec (sqlite3     *db,
                  const char  *sql,
                  GError     **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      picky_store_set_sqlite_error (error, db, rc);
      return FALSE;
    }

  return TRUE;
}

gboolean
picky_store_exec_range (sqlite3     *db,
                        const char  *sql,
                        gint64       lo,
                        gint64       hi,
                        GError     **error)
{
  const char *tail = sql;

  while (tail != NULL && *tail != '\0')
    {
      sqlite3_stmt *stmt = NULL;
      int rc = sqlite3_prepare_v2 (db, tail, -1, &stmt, &tail);

      if (rc == SQLITE_OK && stmt != NULL)
        {
          picky_store_bind_named_int64 (stmt, ":lo", lo);
          picky_store_bind_named_int64 (stmt, ":hi", hi);
          while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
            ;
        }
      sqlite3_finalize (stmt);
      if (rc != SQLITE_OK && rc != SQLITE_DONE)
        {
          picky_store_set_sqlite_error (error, db, rc);
          return FALSE;
        }
    }

  return TRUE;
}

/* Switching a new file to WAL reads its header, then writes it. SQLite
 * never waits to turn a read into a write, as two readers waiting for each
 * other would wait for ever: when consoles open a new file together, all
 * but one are told "busy" at once, and try again here until the others are
 * done or the busy timeout has passed. Returns the journal mode the file
 * has, or NULL with @error set. */
static char *
switch_to_wal (sqlite3  *db,
               GError  **error)
{
  gint64 deadline = g_get_monotonic_time () + BUSY_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      sqlite3_stmt *stmt = NULL;
      char *mode = NULL;
      int rc;

      rc = sqlite3_prepare_v2 (db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
      if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
        mode = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      sqlite3_finalize (stmt);

      if (mode != NULL)
        return mode;
      if ((rc & 0xff) != SQLITE_BUSY || g_get_monotonic_time () >= deadline)
        {
          picky_store_set_sqlite_error (error, db, rc);
          return NULL;
        }
      g_usleep (10 * G_TIME_SPAN_MILLISECOND);
    }
}

gboolean
picky_store_schema_configure (sqlite3  *db,
                              GError  **error)
{
  g_autofree char *mode = NULL;

  /* Several seconds: a backup tool or a second console reading the file
   * must not make an ingest fail at once. */
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);

  mode = switch_to_wal (db, error);
  if (mode == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (mode, "wal") != 0)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_IO,
                   _("The message database cannot use write-ahead logging on this file system"));
      return FALSE;
    }

  /* FULL: a commit that returned has been fsynced, which is what a webhook's
   * 200 and Telegram's next offset rely on. secure_delete on every
   * connection, not only while erasing: the search index frees its old
   * segments as it merges them, and a page freed without zeroing would keep
   * an erased contact's words in the file whatever a later erasure does. */
  return picky_store_exec (db,
                           "PRAGMA secure_delete = ON;"
                           "PRAGMA synchronous = FULL;"
                           "PRAGMA foreign_keys = ON;"
                           "PRAGMA temp_store = MEMORY;"
                           "PRAGMA cache_size = -16384;",
                           error);
}

/**
 * picky_store_message_hash:
 *
 * Returns: (transfer full): the keyed hash a message is found by; the
 *   channel is part of it, since keys are unique per channel only
 */
char *
picky_store_message_hash (PickyCipher *cipher,
                          gint64       channel_id,
                          const char  *provider_key)
{
  g_autofree char *value = g_strdup_printf ("%" G_GINT64_FORMAT "\x1f%s", channel_id, provider_key);

  return picky_cipher_lookup_hash (cipher, PICKY_STORE_MESSAGE_PURPOSE, value);
}

/**
 * picky_store_contact_hash:
 *
 * Returns: (transfer full): the keyed hash a contact is found by; the app is
 *   part of it, since one number may be a contact of several apps
 */
char *
picky_store_contact_hash (PickyCipher *cipher,
                          const char  *app,
                          const char  *provider_id)
{
  g_autofree char *value = g_strconcat (app, "\x1f", provider_id, NULL);

  return picky_cipher_lookup_hash (cipher, PICKY_STORE_CONTACT_PURPOSE, value);
}

static gboolean
step_done (sqlite3       *db,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, db, rc);
      return FALSE;
    }

  return TRUE;
}

void
picky_store_bind_blob (sqlite3_stmt *stmt,
                       int           index,
                       GBytes       *bytes)
{
  gsize size;
  const void *data;

  if (bytes == NULL)
    {
      sqlite3_bind_null (stmt, index);
      return;
    }

  data = g_bytes_get_data (bytes, &size);
  sqlite3_bind_blob (stmt, index, data, size, SQLITE_TRANSIENT);
}

/* Binds the write statement's parameters from one row the read statement
 * returned. Whatever it binds is copied by SQLite (SQLITE_TRANSIENT). */
typedef void (*ConvertRow) (sqlite3_stmt *read,
                            sqlite3_stmt *write,
                            PickyCipher  *cipher);

/* The loop every C-side migration step shares: each row of @read_sql is
 * rewritten by @write_sql with the parameters @convert binds. */
static gboolean
convert_rows (sqlite3      *db,
              PickyCipher  *cipher,
              const char   *read_sql,
              const char   *write_sql,
              ConvertRow    convert,
              GError      **error)
{
  sqlite3_stmt *read = NULL;
  sqlite3_stmt *write = NULL;
  gboolean ok = TRUE;
  int rc;

  rc = sqlite3_prepare_v2 (db, read_sql, -1, &read, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2 (db, write_sql, -1, &write, NULL);
  if (rc != SQLITE_OK)
    {
      picky_store_set_sqlite_error (error, db, rc);
      ok = FALSE;
    }

  while (ok && (rc = sqlite3_step (read)) == SQLITE_ROW)
    {
      convert (read, write, cipher);
      ok = step_done (db, write, error);
    }
  if (ok && rc != SQLITE_DONE)
    {
      picky_store_set_sqlite_error (error, db, rc);
      ok = FALSE;
    }

  sqlite3_finalize (read);
  sqlite3_finalize (write);
  return ok;
}

/* A contact copied into contacts_v6 with its provider id hashed and sealed
 * under the same row id, so the messages keep pointing at it. */
static void
convert_contact_v6 (sqlite3_stmt *read,
                    sqlite3_stmt *write,
                    PickyCipher  *cipher)
{
  gint64 id = sqlite3_column_int64 (read, 0);
  const char *app = (const char *) sqlite3_column_text (read, 1);
  const char *provider_id = (const char *) sqlite3_column_text (read, 2);
  g_autofree char *hash = picky_store_contact_hash (cipher, app, provider_id);
  g_autoptr(GBytes) sealed = picky_cipher_encrypt (cipher, provider_id, "contacts", "provider_id", id);

  sqlite3_bind_int64 (write, 1, id);
  sqlite3_bind_text (write, 2, app, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (write, 3, hash, -1, SQLITE_TRANSIENT);
  picky_store_bind_blob (write, 4, sealed);
  for (int column = 3; column < 7; column++)
    sqlite3_bind_value (write, column + 2, sqlite3_column_value (read, column));
}

/* A plaintext media description sealed in place. */
static void
convert_media_v6 (sqlite3_stmt *read,
                  sqlite3_stmt *write,
                  PickyCipher  *cipher)
{
  gint64 id = sqlite3_column_int64 (read, 0);
  const char *media = (const char *) sqlite3_column_text (read, 1);
  g_autoptr(GBytes) sealed = picky_cipher_encrypt (cipher, media, "messages", "media", id);

  sqlite3_bind_int64 (write, 1, id);
  picky_store_bind_blob (write, 2, sealed);
}

/* Only text media values are read, so a step run again finds nothing left
 * to do. */
static gboolean
convert_v6 (sqlite3      *db,
            PickyCipher  *cipher,
            GError      **error)
{
  return convert_rows (db, cipher,
                       "SELECT id, app, provider_id, name_enc, phone_enc, phone_hash, pending_since"
                       " FROM contacts ORDER BY id",
                       "INSERT INTO contacts_v6 (id, app, provider_hash, provider_id_enc,"
                       "  name_enc, phone_enc, phone_hash, pending_since)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                       convert_contact_v6, error) &&
         picky_store_exec (db, schema_v6_swap, error) &&
         convert_rows (db, cipher,
                       "SELECT id, media FROM messages WHERE typeof (media) = 'text'",
                       "UPDATE messages SET media = ?2 WHERE id = ?1",
                       convert_media_v6, error);
}

/* A message's plaintext provider key replaced by its hash, the key and the
 * related key sealed under the row id. */
static void
convert_message_v7 (sqlite3_stmt *read,
                    sqlite3_stmt *write,
                    PickyCipher  *cipher)
{
  gint64 id = sqlite3_column_int64 (read, 0);
  const char *key = (const char *) sqlite3_column_text (read, 2);
  const char *related = (const char *) sqlite3_column_text (read, 3);
  g_autofree char *hash = picky_store_message_hash (cipher, sqlite3_column_int64 (read, 1), key);
  g_autoptr(GBytes) sealed = picky_cipher_encrypt (cipher, key, "messages", "provider_key", id);
  g_autoptr(GBytes) sealed_related = NULL;

  if (related != NULL)
    sealed_related = picky_cipher_encrypt (cipher, related, "messages", "related_key", id);
  sqlite3_bind_int64 (write, 1, id);
  sqlite3_bind_text (write, 2, hash, -1, SQLITE_TRANSIENT);
  picky_store_bind_blob (write, 3, sealed);
  picky_store_bind_blob (write, 4, sealed_related);
}

/* Rows already sealed are skipped, so a step run again finds nothing left
 * to do. */
static gboolean
convert_v7 (sqlite3      *db,
            PickyCipher  *cipher,
            GError      **error)
{
  return convert_rows (db, cipher,
                       "SELECT id, channel_id, key_hash, related_key_enc FROM messages"
                       " WHERE provider_key_enc IS NULL",
                       "UPDATE messages SET key_hash = ?2, provider_key_enc = ?3,"
                       "  related_key_enc = ?4 WHERE id = ?1",
                       convert_message_v7, error);
}

/* Whether @table has @column: a step that adds columns may find them added
 * by a file that was set back to an earlier version. */
static gboolean
has_column (sqlite3    *db,
            const char *table,
            const char *column)
{
  g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM pragma_table_info ('%s') WHERE name = ?1", table);
  sqlite3_stmt *stmt = NULL;
  gboolean found = FALSE;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, column, -1, SQLITE_STATIC);
      found = sqlite3_step (stmt) == SQLITE_ROW;
    }
  sqlite3_finalize (stmt);

  return found;
}

static gboolean
convert_v10 (sqlite3      *db,
             PickyCipher  *cipher,
             GError      **error)
{
  static const char * const columns[][2] = {
    { "object", "ALTER TABLE audit_log ADD COLUMN object TEXT NOT NULL DEFAULT ''" },
    { "prev_hash", "ALTER TABLE audit_log ADD COLUMN prev_hash TEXT" },
    { "entry_hash", "ALTER TABLE audit_log ADD COLUMN entry_hash TEXT" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    if (!has_column (db, "audit_log", columns[i][0]) && !picky_store_exec (db, columns[i][1], error))
      return FALSE;

  return picky_store_audit_chain_existing (db, error);
}

/* The rollups of version 11 counted from the waits the SQL step found;
 * before the console sets business hours, every second counts. */
static gboolean
convert_v11 (sqlite3      *db,
             PickyCipher  *cipher,
             GError      **error)
{
  return picky_store_exec (db, picky_store_sql_rebuild_responses, error);
}

/* The response times of the spans of version 12, from the hourly ones. */
static gboolean
convert_v12 (sqlite3      *db,
             PickyCipher  *cipher,
             GError      **error)
{
  return picky_store_exec (db, picky_store_sql_rebuild_span_responses, error);
}

/* The views the index tables read their messages from: each table's
 * content is a view of its own messages, so that its 'rebuild' and
 * 'integrity-check' read those and no others; from version 15 on, of
 * those that are indexed (see picky-store-indexer.c). */
static void
append_fts_views (GString  *sql,
                  gboolean  deferred)
{
  for (guint k = 0; k < PICKY_STORE_FTS_SHARDS; k++)
    g_string_append_printf (sql,
                            "DROP VIEW IF EXISTS messages_text_%u;"
                            "CREATE VIEW messages_text_%u AS SELECT id, text FROM messages"
                            "  WHERE coalesce (contact_id, 0) %% %d = %u%s;",
                            k, k, PICKY_STORE_FTS_SHARDS, k,
                            deferred ? " AND id NOT IN (SELECT id FROM messages_unindexed)" : "");
}

/* The triggers that keep the index tables: one trigger per change, whose
 * statements each write one table if the message's contact is its; a
 * trigger per table would run sixteen programs per message. From version
 * 15 on (@deferred) a new message is only listed in messages_unindexed,
 * and a listed one is left out of the index's changes: the indexer reads
 * its text as it is when it runs. */
static void
append_fts_triggers (GString  *sql,
                     gboolean  deferred)
{
  static const struct {
    const char *name;
    const char *when;
    const char *row;
    gboolean    remove;
  } triggers[] = {
    { "insert", "AFTER INSERT", "new", FALSE },
    { "delete", "AFTER DELETE", "old", TRUE },
    /* A message's text changes when it is edited; its contact never
     * does, but if it did, its words would move with it. */
    { "update_old", "AFTER UPDATE OF text, contact_id", "old", TRUE },
    { "update_new", "AFTER UPDATE OF text, contact_id", "new", FALSE },
  };

  for (guint t = 0; t < G_N_ELEMENTS (triggers); t++)
    {
      const char *row = triggers[t].row;

      g_string_append_printf (sql,
                              "DROP TRIGGER IF EXISTS messages_fts_%s;"
                              "CREATE TRIGGER messages_fts_%s %s ON messages WHEN %s.text IS NOT NULL BEGIN",
                              triggers[t].name, triggers[t].name, triggers[t].when, row);
      if (deferred && t == 0)
        {
          g_string_append (sql, " INSERT OR IGNORE INTO messages_unindexed (id) VALUES (new.id); END;");
          continue;
        }
      for (guint k = 0; k < PICKY_STORE_FTS_SHARDS; k++)
        {
          if (triggers[t].remove)
            g_string_append_printf (sql, " INSERT INTO messages_fts_%u (messages_fts_%u, rowid, text)"
                                         " SELECT 'delete', %s.id, %s.text",
                                    k, k, row, row);
          else
            g_string_append_printf (sql, " INSERT INTO messages_fts_%u (rowid, text) SELECT %s.id, %s.text",
                                    k, row, row);
          g_string_append_printf (sql, " WHERE coalesce (%s.contact_id, 0) %% %d = %u",
                                  row, PICKY_STORE_FTS_SHARDS, k);
          if (deferred)
            g_string_append_printf (sql, " AND %s.id NOT IN (SELECT id FROM messages_unindexed)", row);
          g_string_append (sql, ";");
        }
      /* A deleted message leaves the list after its words were looked
       * at (SQLite does not promise in which order two triggers run). */
      if (deferred && t == 1)
        g_string_append (sql, " DELETE FROM messages_unindexed WHERE id = old.id;");
      g_string_append (sql, " END;");
    }

  /* A message whose text was taken away may still be listed: a later
   * message given its row id must be listed anew. */
  if (deferred)
    g_string_append (sql,
                     "CREATE TRIGGER messages_unindexed_delete AFTER DELETE ON messages"
                     " WHEN old.text IS NULL BEGIN DELETE FROM messages_unindexed WHERE id = old.id; END;");
}

/* The index tables of version 13, their views and triggers. */
static char *
fts_shards_sql (void)
{
  GString *sql = g_string_new (NULL);

  for (guint k = 0; k < PICKY_STORE_FTS_SHARDS; k++)
    g_string_append_printf (sql,
                            "DROP TABLE IF EXISTS messages_fts_%u;"
                            "CREATE VIRTUAL TABLE messages_fts_%u USING fts5 ("
                            "  text, content = 'messages_text_%u', content_rowid = 'id',"
                            "  tokenize = \"unicode61 remove_diacritics 2 categories 'L* M* N* Co So'\");",
                            k, k, k);
  append_fts_views (sql, FALSE);
  append_fts_triggers (sql, FALSE);

  return g_string_free (sql, FALSE);
}

/* Version 15's views and triggers, with messages_unindexed made. */
static gboolean
convert_v15 (sqlite3      *db,
             PickyCipher  *cipher,
             GError      **error)
{
  g_autoptr(GString) sql = g_string_new (NULL);

  append_fts_views (sql, TRUE);
  append_fts_triggers (sql, TRUE);
  return picky_store_exec (db, sql->str, error);
}

/* One pass over the messages in row id order, each into its table. */
static gboolean
convert_v13 (sqlite3      *db,
             PickyCipher  *cipher,
             GError      **error)
{
  g_autofree char *schema = fts_shards_sql ();
  sqlite3_stmt *insert[PICKY_STORE_FTS_SHARDS] = { NULL };
  sqlite3_stmt *read = NULL;
  gboolean ok;
  int rc;

  ok = picky_store_exec (db, schema, error);
  rc = ok ? sqlite3_prepare_v2 (db, "SELECT id, contact_id, text FROM messages WHERE text IS NOT NULL",
                                -1, &read, NULL) : SQLITE_OK;
  for (guint k = 0; ok && rc == SQLITE_OK && k < PICKY_STORE_FTS_SHARDS; k++)
    insert[k] = picky_store_fts_prepare_insert (db, k, &rc);
  if (ok && rc != SQLITE_OK)
    {
      picky_store_set_sqlite_error (error, db, rc);
      ok = FALSE;
    }
  if (ok)
    ok = picky_store_fts_index_rows (db, read, insert, error) >= 0;

  sqlite3_finalize (read);
  for (guint k = 0; k < PICKY_STORE_FTS_SHARDS; k++)
    sqlite3_finalize (insert[k]);
  return ok;
}

int
picky_store_get_pragma_int (sqlite3     *db,
                            const char  *pragma,
                            GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int value = -1;
  int rc;

  rc = sqlite3_prepare_v2 (db, pragma, -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    value = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW)
    picky_store_set_sqlite_error (error, db, rc);

  return value;
}

static void
sql_fine_bucket (sqlite3_context  *context,
                 int               argc,
                 sqlite3_value   **argv)
{
  sqlite3_result_int (context, picky_store_fine_bucket (sqlite3_value_int64 (argv[0])));
}

/* picky_wait_seconds (from, to): the time counted between two instants,
 * with the business hours the function was registered with. */
static void
sql_wait_seconds (sqlite3_context  *context,
                  int               argc,
                  sqlite3_value   **argv)
{
  const PickyBusinessHours *hours = sqlite3_user_data (context);

  sqlite3_result_int64 (context, picky_business_hours_count (hours, sqlite3_value_int64 (argv[0]),
                                                             sqlite3_value_int64 (argv[1])));
}

/* picky_span_start (level, hour): the first hour of the span of @level
 * (1 month, 2 year) that holds @hour. */
static void
sql_span_start (sqlite3_context  *context,
                int               argc,
                sqlite3_value   **argv)
{
  sqlite3_result_int64 (context, picky_store_span_floor (sqlite3_value_int (argv[0]),
                                                         sqlite3_value_int64 (argv[1])));
}

/* Sets @context's result to the histogram @counts; NULL when it is empty. */
static void
result_hist (sqlite3_context *context,
             const gint32    *counts)
{
  gsize length = 0;
  guint8 *data = picky_store_hist_write (counts, &length);

  if (data == NULL)
    sqlite3_result_null (context);
  else
    sqlite3_result_blob (context, data, (int) length, g_free);
}

/* picky_hist_add (responses, bucket, n): the histogram with @n more in
 * @bucket. */
static void
sql_hist_add (sqlite3_context  *context,
              int               argc,
              sqlite3_value   **argv)
{
  gint32 counts[PICKY_STORE_FINE_BUCKETS] = { 0 };
  gint64 bucket = sqlite3_value_int64 (argv[1]);

  picky_store_hist_read (sqlite3_value_blob (argv[0]), sqlite3_value_bytes (argv[0]), counts, 1);
  if (bucket >= 0 && bucket < PICKY_STORE_FINE_BUCKETS)
    counts[bucket] += (gint32) sqlite3_value_int64 (argv[2]);
  result_hist (context, counts);
}

/* picky_hist (bucket, n) and picky_hist (responses): the histogram of
 * the (bucket, count) rows, or of the histograms, of a group. */
static void
sql_hist_step (sqlite3_context  *context,
               int               argc,
               sqlite3_value   **argv)
{
  gint32 *counts = sqlite3_aggregate_context (context, PICKY_STORE_FINE_BUCKETS * sizeof (gint32));

  if (counts == NULL)
    {
      sqlite3_result_error_nomem (context);
      return;
    }

  if (argc == 1)
    {
      picky_store_hist_read (sqlite3_value_blob (argv[0]), sqlite3_value_bytes (argv[0]), counts, 1);
    }
  else
    {
      gint64 bucket = sqlite3_value_int64 (argv[0]);

      if (bucket >= 0 && bucket < PICKY_STORE_FINE_BUCKETS)
        counts[bucket] += (gint32) sqlite3_value_int64 (argv[1]);
    }
}

static void
sql_hist_final (sqlite3_context *context)
{
  gint32 *counts = sqlite3_aggregate_context (context, 0);

  if (counts == NULL)
    sqlite3_result_null (context);
  else
    result_hist (context, counts);
}

/* The functions the schema's statements use, on the connection @db. */
static gboolean
register_functions (sqlite3  *db,
                    GError  **error)
{
  int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;

  /* The backfill of version 4 buckets response times with the same
   * function the ingest uses. */
  if (sqlite3_create_function (db, "picky_fine_bucket", 1, flags, NULL, sql_fine_bucket, NULL, NULL) != SQLITE_OK ||
      sqlite3_create_function (db, "picky_span_start", 2, flags, NULL, sql_span_start, NULL, NULL) != SQLITE_OK ||
      sqlite3_create_function (db, "picky_hist_add", 3, flags, NULL, sql_hist_add, NULL, NULL) != SQLITE_OK ||
      sqlite3_create_function (db, "picky_hist", 1, flags, NULL, NULL, sql_hist_step, sql_hist_final) != SQLITE_OK ||
      sqlite3_create_function (db, "picky_hist", 2, flags, NULL, NULL, sql_hist_step, sql_hist_final) != SQLITE_OK)
    {
      picky_store_set_sqlite_error (error, db, sqlite3_errcode (db));
      return FALSE;
    }

  return TRUE;
}

static void
business_hours_release (void *data)
{
  picky_business_hours_unref (data);
}

/**
 * picky_store_schema_set_business_hours:
 * @hours: (nullable): the business hours picky_wait_seconds() counts in,
 *   or %NULL for every second
 *
 * Registers picky_wait_seconds() on @db.
 */
gboolean
picky_store_schema_set_business_hours (sqlite3             *db,
                                       PickyBusinessHours  *hours,
                                       GError             **error)
{
  int rc = sqlite3_create_function_v2 (db, "picky_wait_seconds", 2,
                                       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                       hours != NULL ? picky_business_hours_ref (hours) : NULL,
                                       sql_wait_seconds, NULL, NULL,
                                       hours != NULL ? business_hours_release : NULL);

  if (rc != SQLITE_OK)
    {
      picky_store_set_sqlite_error (error, db, rc);
      return FALSE;
    }

  return TRUE;
}

/* Within a write transaction: another console may have migrated the file
 * since this one last looked. Returns the version the file has now, or -1
 * with @error set. */
static int
read_version (sqlite3  *db,
              GError  **error)
{
  int version = picky_store_get_pragma_int (db, "PRAGMA user_version", error);

  if (version > PICKY_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_NEWER,
                   _("The message database was written by a newer version of Picky Console"));
      return -1;
    }

  return version;
}

gboolean
picky_store_schema_migrate (sqlite3      *db,
                            PickyCipher  *cipher,
                            GError      **error)
{
  return picky_store_schema_migrate_with_progress (db, cipher, NULL, NULL, error);
}

gboolean
picky_store_schema_migrate_with_progress (sqlite3                    *db,
                                          PickyCipher                *cipher,
                                          PickyStoreMigrateProgress   progress_func,
                                          gpointer                    progress_data,
                                          GError                    **error)
{
  Progress progress = { progress_func, progress_data, 0, 0 };
  int version = read_version (db, error);
  g_autofree char *restore = NULL;
  gboolean converted = FALSE;
  gboolean ok = TRUE;

  if (version < 0)
    return FALSE;

  if (!register_functions (db, error))
    return FALSE;

  /* Version 11 counts waits in every second; the console's business hours
   * are applied afterwards, when it sets them. */
  if (!picky_store_schema_set_business_hours (db, NULL, error))
    return FALSE;

  /* Versions only grow, so a current file read outside a transaction is
   * current for good. */
  if (version == PICKY_STORE_SCHEMA_VERSION)
    return TRUE;

  /* A step that rebuilds a table drops the old one, which the foreign keys
   * would refuse while messages point at it; they cannot be switched inside
   * a transaction. secure_delete zeroes the pages that held plaintext; the
   * connection's own setting (some builds default to on) comes back after. */
  restore = g_strdup_printf ("PRAGMA secure_delete = %d; PRAGMA foreign_keys = ON",
                             MAX (picky_store_get_pragma_int (db, "PRAGMA secure_delete", NULL), 0));
  if (!picky_store_exec (db, "PRAGMA foreign_keys = OFF; PRAGMA secure_delete = ON", error))
    return FALSE;

  while (ok)
    {
      g_autofree char *bump = NULL;
      int step;

      /* One transaction per step, the version bump inside it: an interrupted
       * migration leaves the previous version, never half of the next. The
       * version is read again once the transaction holds the file: a second
       * console started at the same moment may have taken this step already,
       * and it waits its turn for the lock instead of failing. */
      if (!picky_store_exec (db, "BEGIN IMMEDIATE", error))
        {
          ok = FALSE;
          break;
        }

      step = read_version (db, error);
      if (step < 0 || step == PICKY_STORE_SCHEMA_VERSION)
        {
          ok = step >= 0 && picky_store_exec (db, "COMMIT", error);
          if (!ok)
            sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          break;
        }

      bump = g_strdup_printf ("PRAGMA user_version = %d;", step + 1);
      if (progress_func != NULL && migrations[step].ops_per_message > 0)
        {
          /* One estimate for every step still to take, so that the share
           * told only grows. */
          if (progress.total == 0)
            {
              gint64 messages = MAX (picky_store_get_pragma_int (db, "SELECT coalesce (max (id), 0) FROM messages",
                                                                 NULL), 0);
              gint64 contacts = MAX (picky_store_get_pragma_int (db, "SELECT count (*) FROM contacts", NULL), 0);

              for (int later = step; later < PICKY_STORE_SCHEMA_VERSION; later++)
                progress.total += (gint64) migrations[later].ops_per_message * messages +
                                  (gint64) migrations[later].ops_per_contact * contacts;
            }
          sqlite3_progress_handler (db, PROGRESS_OPS, on_progress_cb, &progress);
        }
      ok = picky_store_exec (db, migrations[step].sql, error) &&
           (migrations[step].convert == NULL || migrations[step].convert (db, cipher, error));
      sqlite3_progress_handler (db, 0, NULL, NULL);
      if (!ok ||
          !picky_store_exec (db, bump, error) ||
          !picky_store_exec (db, "COMMIT", error))
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          ok = FALSE;
        }
      converted |= ok && migrations[step].convert != NULL;
    }

  /* Copy the log into the file and truncate it, so no page image with the
   * plaintext survives in either (waiting out another console's
   * checkpoint, as an erasure does). */
  if (ok && converted)
    ok = picky_store_checkpoint_truncate (db, error);

  sqlite3_exec (db, restore, NULL, NULL, NULL);

  return ok;
}

char *
picky_store_schema_read_id (sqlite3  *db,
                            GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  char *id = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, "SELECT value FROM meta WHERE key = 'database-id'", -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);

  if (id == NULL && (rc == SQLITE_OK || rc == SQLITE_DONE))
    g_set_error_literal (error, PICKY_STORE_ERROR, PICKY_STORE_ERROR_CORRUPT,
                         _("The message database has lost its id"));
  else if (id == NULL)
    picky_store_set_sqlite_error (error, db, rc);

  return id;
}

char *
picky_store_schema_ensure_id (sqlite3  *db,
                              GError  **error)
{
  char *id = NULL;
  int version;

  /* Under the write lock: consoles that open a new file together all read
   * the id the first one made. */
  if (!picky_store_exec (db, "BEGIN IMMEDIATE", error))
    return NULL;

  /* A newer version may keep its id elsewhere; it is never written to. */
  version = read_version (db, error);
  if (version >= 0 &&
      picky_store_exec (db, schema_v8, error) &&
      (id = picky_store_schema_read_id (db, error)) != NULL &&
      picky_store_exec (db, "COMMIT", error))
    return id;

  g_free (id);
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  return NULL;
}

/**
 * picky_store_response_bucket:
 *
 * Buckets of first-response times: under 1 minute, 5 minutes, 15 minutes,
 * 1 hour, 4 hours, 1 day, and longer. Coarse on purpose: seven counters per
 * contact and day are enough for a median and p90 an admin can act on.
 */
guint
picky_store_response_bucket (gint64 seconds)
{
  static const gint64 limits[] = { 60, 300, 900, 3600, 4 * 3600, 86400 };

  for (guint i = 0; i < G_N_ELEMENTS (limits); i++)
    if (seconds < limits[i])
      return i;

  return G_N_ELEMENTS (limits);
}

/**
 * picky_store_fine_bucket:
 *
 * Fine buckets of first-response times: one per second under 16 seconds,
 * then each 15 % wider than the one before. The middle of a bucket (see
 * picky_store_fine_bucket_value()) is within 7.3 % of any time in it, so a
 * percentile read from these buckets is within 10 % of the exact one.
 */
guint
picky_store_fine_bucket (gint64 seconds)
{
  guint bucket;

  if (seconds < 16)
    return (guint) MAX (seconds, 0);

  bucket = 16 + (guint) floor (log ((double) seconds / 16.0) / log (FINE_RATIO));
  return MIN (bucket, PICKY_STORE_FINE_BUCKETS - 1);
}

/**
 * picky_store_fine_bucket_value:
 *
 * Returns: the seconds that stand for every time in @bucket: the time
 *   itself under 16 seconds, else the geometric middle of the bucket
 */
gint64
picky_store_fine_bucket_value (guint bucket)
{
  g_return_val_if_fail (bucket < PICKY_STORE_FINE_BUCKETS, -1);

  if (bucket < 16)
    return bucket;

  return (gint64) llround (16.0 * pow (FINE_RATIO, bucket - 16 + 0.5));
}

/* Days since the epoch of a civil date, and back (proleptic Gregorian):
 * months and years in plain arithmetic, since the migration and a purge
 * ask for millions of them. */
static gint64
days_from_civil (gint64 y,
                 guint  m,
                 guint  d)
{
  gint64 era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void
civil_from_days (gint64  z,
                 gint64 *year,
                 guint  *month)
{
  gint64 era, doe, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = yoe + era * 400 + (*month <= 2);
}

/**
 * picky_store_span_floor:
 * @level: 0 for hours, 1 for UTC months, 2 for UTC years
 * @hour: unix hours
 *
 * Returns: the first hour of the span of @level that holds @hour
 */
gint64
picky_store_span_floor (int    level,
                        gint64 hour)
{
  gint64 day = hour >= 0 ? hour / 24 : -((-hour + 23) / 24);
  gint64 year;
  guint month;

  if (level <= 0)
    return hour;

  civil_from_days (day, &year, &month);
  return days_from_civil (year, level == 1 ? month : 1, 1) * 24;
}

/**
 * picky_store_span_next:
 *
 * Returns: the first hour of the span of @level after the one that holds
 *   @hour
 */
gint64
picky_store_span_next (int    level,
                       gint64 hour)
{
  gint64 day = hour >= 0 ? hour / 24 : -((-hour + 23) / 24);
  gint64 year;
  guint month;

  if (level <= 0)
    return hour + 1;

  civil_from_days (day, &year, &month);
  if (level == 2)
    return days_from_civil (year + 1, 1, 1) * 24;
  return month == 12 ? days_from_civil (year + 1, 1, 1) * 24 : days_from_civil (year, month + 1, 1) * 24;
}

/* A histogram is stored as its buckets with a count, in order: a byte for
 * the bucket, then the count as four bytes, least significant first. */
#define HIST_ENTRY 5

/**
 * picky_store_hist_read:
 * @data: (nullable): a stored histogram
 * @counts: (array fixed-size=128): where its counts are added
 * @sign: 1 to add them, -1 to take them away
 *
 * Reads what is well-formed of @data: a byte left over or a bucket out of
 * range is skipped, so that a damaged row cannot write outside @counts.
 */
void
picky_store_hist_read (const void *data,
                       gsize       length,
                       gint32     *counts,
                       int         sign)
{
  const guint8 *p = data;

  if (p == NULL)
    return;

  for (gsize i = 0; i + HIST_ENTRY <= length; i += HIST_ENTRY)
    {
      guint bucket = p[i];
      guint32 n = (guint32) p[i + 1] | (guint32) p[i + 2] << 8 | (guint32) p[i + 3] << 16 |
                  (guint32) p[i + 4] << 24;

      if (bucket < PICKY_STORE_FINE_BUCKETS)
        counts[bucket] += sign * (gint32) MIN (n, G_MAXINT32);
    }
}

/**
 * picky_store_hist_write:
 * @counts: (array fixed-size=128): counts per fine bucket
 * @length: (out): the bytes returned
 *
 * Returns: (transfer full) (nullable): the histogram of the positive
 *   counts as stored, or %NULL when there are none
 */
guint8 *
picky_store_hist_write (const gint32 *counts,
                        gsize        *length)
{
  guint8 data[PICKY_STORE_FINE_BUCKETS * HIST_ENTRY];
  gsize n = 0;

  for (guint b = 0; b < PICKY_STORE_FINE_BUCKETS; b++)
    {
      guint32 value = (guint32) MAX (counts[b], 0);

      if (value == 0)
        continue;
      data[n++] = b;
      data[n++] = value & 0xff;
      data[n++] = (value >> 8) & 0xff;
      data[n++] = (value >> 16) & 0xff;
      data[n++] = (value >> 24) & 0xff;
    }

  *length = n;
  return n > 0 ? g_memdup2 (data, n) : NULL;
}
