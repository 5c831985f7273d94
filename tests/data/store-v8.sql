-- SPDX-License-Identifier: GPL-3.0-or-later
-- A database as schema version 8 left it, made with the tests' data key (bytes i * 7 + 1): the
-- conversation of store-v7.sql with the database's id in the meta table, and the customer's
-- last message (4) still unread. Version 9 builds the conversation table from the messages:
-- one conversation, its last message 4, one unread, the customer waiting since 1700002000.
BEGIN;
CREATE TABLE channels (id INTEGER PRIMARY KEY, app TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, settings TEXT NOT NULL DEFAULT '{}', removed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE channel_state (channel_id INTEGER NOT NULL REFERENCES channels (id), key TEXT NOT NULL, value TEXT, PRIMARY KEY (channel_id, key)) WITHOUT ROWID;
CREATE TABLE contacts (id INTEGER PRIMARY KEY, app TEXT NOT NULL, provider_id TEXT NOT NULL, name_enc BLOB, phone_enc BLOB, phone_hash TEXT, pending_since INTEGER, UNIQUE (app, provider_id));
CREATE INDEX contacts_phone_hash ON contacts (phone_hash) WHERE phone_hash IS NOT NULL;
CREATE TABLE messages (id INTEGER PRIMARY KEY, channel_id INTEGER NOT NULL REFERENCES channels (id), provider_key TEXT NOT NULL, contact_id INTEGER REFERENCES contacts (id), direction INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT, media TEXT, related_key TEXT, timestamp INTEGER NOT NULL, received INTEGER NOT NULL, status TEXT, error TEXT, edited INTEGER NOT NULL DEFAULT 0, UNIQUE (channel_id, provider_key));
CREATE INDEX messages_time ON messages (timestamp, id);
CREATE INDEX messages_contact_time ON messages (contact_id, timestamp, id);
CREATE INDEX messages_channel_time ON messages (channel_id, timestamp, id);
CREATE TABLE contact_days (contact_id INTEGER NOT NULL, day INTEGER NOT NULL, n_in INTEGER NOT NULL, n_out INTEGER NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, resp_sum INTEGER NOT NULL, resp_count INTEGER NOT NULL, h0 INTEGER NOT NULL, h1 INTEGER NOT NULL, h2 INTEGER NOT NULL, h3 INTEGER NOT NULL, h4 INTEGER NOT NULL, h5 INTEGER NOT NULL, h6 INTEGER NOT NULL, PRIMARY KEY (contact_id, day)) WITHOUT ROWID;
CREATE TABLE daily (day INTEGER NOT NULL, app TEXT NOT NULL, n_in INTEGER NOT NULL, n_out INTEGER NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, resp_sum INTEGER NOT NULL, resp_count INTEGER NOT NULL, h0 INTEGER NOT NULL, h1 INTEGER NOT NULL, h2 INTEGER NOT NULL, h3 INTEGER NOT NULL, h4 INTEGER NOT NULL, h5 INTEGER NOT NULL, h6 INTEGER NOT NULL, PRIMARY KEY (day, app)) WITHOUT ROWID;
INSERT INTO channels (id, app, kind, name, settings) VALUES (1, 'telegram', 'bot', 'Support', '{}'), (2, 'whatsapp', 'cloud', 'Sales', '{}');
INSERT INTO channel_state (channel_id, key, value) VALUES (1, 'offset', '4');
INSERT INTO contacts (id, app, provider_id, pending_since) VALUES (1, 'telegram', '1001', 1700002000), (2, 'whatsapp', '4915112345678', NULL);
INSERT INTO messages (id, channel_id, provider_key, contact_id, direction, kind, text, timestamp, received, status) VALUES
  (1, 1, 'tg:1:1', 1, 0, 'text', 'Hallo, wo ist meine Lieferung?', 1700000000, 1700000001, NULL),
  (2, 1, 'tg:1:2', 1, 1, 'text', 'Sie kommt morgen', 1700000300, 1700000300, 'delivered'),
  (3, 1, 'tg:1:3', 1, 1, 'text', 'Hier ist die Sendungsnummer', 1700001000, 1700001000, 'read'),
  (4, 1, 'tg:1:4', 1, 0, 'text', 'Danke, angekommen', 1700002000, 1700002001, NULL);
INSERT INTO contact_days VALUES (1, 19675, 2, 2, 1700000000, 1700002000, 300, 1, 0, 0, 1, 0, 0, 0, 0);
INSERT INTO daily VALUES (19675, 'telegram', 2, 2, 1700000000, 1700002000, 300, 1, 0, 0, 1, 0, 0, 0, 0);
CREATE VIRTUAL TABLE messages_fts USING fts5 (  text, content = 'messages', content_rowid = 'id',  tokenize = "unicode61 remove_diacritics 2 categories 'L* M* N* Co So'");
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages  WHEN new.text IS NOT NULL BEGIN  INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages  WHEN old.text IS NOT NULL BEGIN  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update_old AFTER UPDATE OF text ON messages  WHEN old.text IS NOT NULL BEGIN  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update_new AFTER UPDATE OF text ON messages  WHEN new.text IS NOT NULL BEGIN  INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
CREATE TABLE devices (  id INTEGER PRIMARY KEY,  name_enc BLOB,  details_enc BLOB,  trusted INTEGER NOT NULL DEFAULT 0,  paired INTEGER NOT NULL,  last_seen INTEGER);
CREATE TABLE audit_log (  id INTEGER PRIMARY KEY,  time INTEGER NOT NULL,  action TEXT NOT NULL,  detail TEXT NOT NULL);
ALTER TABLE messages ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_unread ON messages (timestamp, id) WHERE unread = 1;
INSERT INTO devices (id, name_enc, details_enc, trusted, paired, last_seen) VALUES (1, NULL, NULL, 1, 1700000000, 1700002000);
CREATE TABLE contact_hours (  contact_id INTEGER NOT NULL,  hour INTEGER NOT NULL,  n_in INTEGER NOT NULL, n_out INTEGER NOT NULL,  first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,  resp_sum INTEGER NOT NULL, resp_count INTEGER NOT NULL,  PRIMARY KEY (contact_id, hour)) WITHOUT ROWID;
INSERT INTO "contact_hours" VALUES(1,472222,2,2,1700000000,1700002000,300,1);
CREATE INDEX contact_hours_time ON contact_hours  (hour, n_in, n_out, first_ts, last_ts, resp_sum, resp_count);
CREATE TABLE response_hours (  contact_id INTEGER NOT NULL,  hour INTEGER NOT NULL,  bucket INTEGER NOT NULL,  n INTEGER NOT NULL,  PRIMARY KEY (contact_id, hour, bucket)) WITHOUT ROWID;
INSERT INTO "response_hours" VALUES(1,472222,36,1);
CREATE INDEX response_hours_time ON response_hours (hour, bucket, n);
ALTER TABLE devices ADD COLUMN token_hash TEXT;
ALTER TABLE devices ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;
UPDATE devices SET revoked = 1, trusted = 0;
CREATE UNIQUE INDEX devices_token ON devices (token_hash) WHERE token_hash IS NOT NULL;
CREATE TABLE pairing_codes (  code_hash TEXT PRIMARY KEY,  expires INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE relay_outbox (  message_id INTEGER PRIMARY KEY REFERENCES messages (id),  device_id INTEGER NOT NULL REFERENCES devices (id),  state INTEGER NOT NULL DEFAULT 0);
CREATE INDEX relay_outbox_waiting ON relay_outbox (device_id, message_id) WHERE state = 0;
CREATE TABLE contacts_v6 (  id INTEGER PRIMARY KEY,  app TEXT NOT NULL,  provider_hash TEXT NOT NULL UNIQUE,  provider_id_enc BLOB,  name_enc BLOB,  phone_enc BLOB,  phone_hash TEXT,  pending_since INTEGER);
INSERT INTO contacts_v6 (id, app, provider_hash, provider_id_enc, name_enc, phone_enc, phone_hash, pending_since) VALUES (1, 'telegram', 'da7b385379b87627ec79b05c5bdea4dd69720d24a259230505afb94efc64cb10', X'016655A5FA2BAEE4BB14F0F28D9A034F9BB0220851CC6538D94EABD815987C3FEF87CE3DA9EE23981BA9EE3E33', NULL, NULL, NULL, 1700002000);
INSERT INTO contacts_v6 (id, app, provider_hash, provider_id_enc, name_enc, phone_enc, phone_hash, pending_since) VALUES (2, 'whatsapp', 'b1d4e01978a4c1251e67d82619e509044aa2aeb66481d7f06ebef7d990faad17', X'01B578BCC7785BD09DA6D3FB1FDC4539D0EABA6DF0CA931375A03353C05334B415C154CF981A862069E545460DF3A183FAB61A5EB58A', NULL, NULL, NULL, NULL);
DROP TABLE contacts;
ALTER TABLE contacts_v6 RENAME TO contacts;
CREATE INDEX contacts_phone_hash ON contacts (phone_hash) WHERE phone_hash IS NOT NULL;
UPDATE messages SET media = X'01638C92FB39500CB81F11DD32A1000FBE32691CCD648BAAC1079528998F3A23459644CD2AF921FA4F85A23B1E41B18C90FAF02BC0A62A064A60164D69056EBC8A97F249140FF1CEB469AB9EDC0D59A9EB6A1282699B207B2BAD06' WHERE id = 1;
UPDATE messages SET related_key = 'tg:1:3' WHERE id = 4;
ALTER TABLE messages RENAME COLUMN provider_key TO key_hash;
ALTER TABLE messages RENAME COLUMN related_key TO related_key_enc;
ALTER TABLE messages ADD COLUMN provider_key_enc BLOB;
UPDATE messages SET key_hash = '0256418a1a1c50081ef24063bcc74acc59eac397485fbfa48dc09798a00737e9', provider_key_enc = X'017B6F14706984AC70572ED3643ACA4679D2D4ADA5CDA9C260161D8CEFAB27F5F71502D47AA8A88A5F9CC2C90632C5', related_key_enc = NULL WHERE id = 1;
UPDATE messages SET key_hash = 'b1cd8cc78532506952f4378906f82d1b6698dd0585c87eb702812f00ef57dd52', provider_key_enc = X'0167DA1978BD9B90E773C2CABD0CA57B13716BC4234F590C86D75E0A2EB9408CA4064A7904C1BC400E428D276C3652', related_key_enc = NULL WHERE id = 2;
UPDATE messages SET key_hash = '9029c58232be7df12932d27ea77a53b1db02b8f0de87a5e0e1caa9d3e6e03ff9', provider_key_enc = X'01FDB2545E6BB985800EE319A0FE12A47F7791FBAB12C113D2D02A96CB915F73E128C5FEB37848EB69188825A9BA07', related_key_enc = NULL WHERE id = 3;
UPDATE messages SET key_hash = 'b19877ad1804c730c7b37b2f4cb2cd2219094c4a5662cca72362e19143197170', provider_key_enc = X'01649AC7E464E181FE1ECC9474BAB3D129DCB24D119F27162CB21D8D09F3F929B2AD072AC28587821456914DF2E2E6', related_key_enc = X'01BA4E07A77C0C5C2586AF9A54C39B8C33856D8B17A42140BDD00857F282AE61B37B8D8DE6EF56B802E2D43E238AD4' WHERE id = 4;
CREATE TABLE meta (  key TEXT PRIMARY KEY,  value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('database-id', '5f0c3e9a1b7d4e2f8a6c0d9e1f2a3b4c');
UPDATE messages SET unread = 1 WHERE id = 4;
PRAGMA user_version = 8;
COMMIT;
