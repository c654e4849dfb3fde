-- smsd schema, version 1.
--
-- Tables and columns follow RaspiSMS's names, so the HTTP API maps rows one to one; the engine's
-- own columns and tables are marked "engine". Conventions:
--   * datetimes the API shows are TEXT 'YYYY-MM-DD HH:MM:SS', local wall time, like RaspiSMS;
--   * instants the engine orders or claims by are REAL unix seconds (due_at, next_attempt_at…);
--   * booleans are INTEGER 0/1; JSON columns hold JSON text (RaspiSMS returns them as strings);
--   * every list page of the API is `WHERE id_user = ? ORDER BY id`, served by an (id_user, id)
--     index on each listed table.
-- Released migrations are never edited: a change is a new numbered file.

CREATE TABLE user (
    id          INTEGER PRIMARY KEY,
    email       TEXT NOT NULL UNIQUE,
    password    TEXT,
    api_key     TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    admin       INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime'))
);

CREATE TABLE setting (
    id          INTEGER PRIMARY KEY,
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    UNIQUE (id_user, name)
);

CREATE TABLE phone (
    id            INTEGER PRIMARY KEY,
    id_user       INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    adapter       TEXT NOT NULL,
    adapter_data  TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(adapter_data)),
    name          TEXT NOT NULL,
    priority      INTEGER NOT NULL DEFAULT 0 CHECK (priority >= 0),
    created_at    TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at    TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    status        TEXT NOT NULL DEFAULT 'available'
                  CHECK (status IN ('available', 'unavailable', 'no_credit', 'limit_reached', 'disabled')),
    UNIQUE (id_user, name)
);
CREATE INDEX phone_list ON phone (id_user, id);

CREATE TABLE phone_limit (
    id          INTEGER PRIMARY KEY,
    id_phone    INTEGER NOT NULL REFERENCES phone (id) ON DELETE CASCADE,
    volume      INTEGER NOT NULL CHECK (volume >= 1),
    startpoint  TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime'))
);
CREATE INDEX phone_limit_phone ON phone_limit (id_phone);

CREATE TABLE phone_group (
    id          INTEGER PRIMARY KEY,
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    UNIQUE (id_user, name)
);
CREATE INDEX phone_group_list ON phone_group (id_user, id);

CREATE TABLE phone_group_phone (
    id              INTEGER PRIMARY KEY,
    id_phone_group  INTEGER NOT NULL REFERENCES phone_group (id) ON DELETE CASCADE,
    id_phone        INTEGER NOT NULL REFERENCES phone (id) ON DELETE CASCADE,
    UNIQUE (id_phone_group, id_phone)
);
CREATE INDEX phone_group_phone_phone ON phone_group_phone (id_phone);

CREATE TABLE contact (
    id          INTEGER PRIMARY KEY,
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    number      TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(data)),
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime'))
);
CREATE INDEX contact_list ON contact (id_user, id);

CREATE TABLE "group" (
    id          INTEGER PRIMARY KEY,
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime'))
);
CREATE INDEX group_list ON "group" (id_user, id);

CREATE TABLE group_contact (
    id          INTEGER PRIMARY KEY,
    id_group    INTEGER NOT NULL REFERENCES "group" (id) ON DELETE CASCADE,
    id_contact  INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    UNIQUE (id_group, id_contact)
);
CREATE INDEX group_contact_contact ON group_contact (id_contact);

CREATE TABLE conditional_group (
    id          INTEGER PRIMARY KEY,
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    condition   TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime'))
);
CREATE INDEX conditional_group_list ON conditional_group (id_user, id);

CREATE TABLE media (
    id          INTEGER PRIMARY KEY,
    path        TEXT NOT NULL,
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime'))
);
CREATE INDEX media_list ON media (id_user, id);

-- A scheduled message stays until the dispatcher expands it (expanded_at, engine); expanded rows
-- are kept for sended.originating_scheduled but hidden from the API (RaspiSMS deletes them).
CREATE TABLE scheduled (
    id              INTEGER PRIMARY KEY,
    id_user         INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    at              TEXT NOT NULL,
    text            TEXT NOT NULL,
    flash           INTEGER NOT NULL DEFAULT 0 CHECK (flash IN (0, 1)),
    id_phone        INTEGER REFERENCES phone (id) ON DELETE SET NULL,
    id_phone_group  INTEGER REFERENCES phone_group (id) ON DELETE CASCADE,
    mms             INTEGER NOT NULL DEFAULT 0 CHECK (mms IN (0, 1)),
    created_at      TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at      TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    tag             TEXT,
    -- engine
    priority        INTEGER NOT NULL DEFAULT 0,
    request_report  INTEGER CHECK (request_report IN (0, 1)),
    due_at          REAL NOT NULL,
    expanded_at     REAL,
    CHECK (id_phone IS NULL OR id_phone_group IS NULL)
);
CREATE INDEX scheduled_list ON scheduled (id_user, id) WHERE expanded_at IS NULL;
CREATE INDEX scheduled_due ON scheduled (due_at, id) WHERE expanded_at IS NULL;
CREATE INDEX scheduled_phone ON scheduled (id_phone) WHERE id_phone IS NOT NULL;
CREATE INDEX scheduled_phone_group ON scheduled (id_phone_group) WHERE id_phone_group IS NOT NULL;

CREATE TABLE scheduled_number (
    id            INTEGER PRIMARY KEY,
    id_scheduled  INTEGER NOT NULL REFERENCES scheduled (id) ON DELETE CASCADE,
    number        TEXT NOT NULL,
    data          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(data)),
    created_at    TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at    TEXT NOT NULL DEFAULT (datetime('now', 'localtime'))
);
CREATE INDEX scheduled_number_scheduled ON scheduled_number (id_scheduled, id);

CREATE TABLE scheduled_contact (
    id            INTEGER PRIMARY KEY,
    id_scheduled  INTEGER NOT NULL REFERENCES scheduled (id) ON DELETE CASCADE,
    id_contact    INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE
);
CREATE INDEX scheduled_contact_scheduled ON scheduled_contact (id_scheduled, id);
CREATE INDEX scheduled_contact_contact ON scheduled_contact (id_contact);

CREATE TABLE scheduled_group (
    id            INTEGER PRIMARY KEY,
    id_scheduled  INTEGER NOT NULL REFERENCES scheduled (id) ON DELETE CASCADE,
    id_group      INTEGER NOT NULL REFERENCES "group" (id) ON DELETE CASCADE
);
CREATE INDEX scheduled_group_scheduled ON scheduled_group (id_scheduled, id);
CREATE INDEX scheduled_group_group ON scheduled_group (id_group);

CREATE TABLE scheduled_conditional_group (
    id                    INTEGER PRIMARY KEY,
    id_scheduled          INTEGER NOT NULL REFERENCES scheduled (id) ON DELETE CASCADE,
    id_conditional_group  INTEGER NOT NULL REFERENCES conditional_group (id) ON DELETE CASCADE
);
CREATE INDEX scheduled_conditional_group_scheduled
    ON scheduled_conditional_group (id_scheduled, id);
CREATE INDEX scheduled_conditional_group_group ON scheduled_conditional_group (id_conditional_group);

CREATE TABLE scheduled_media (
    id            INTEGER PRIMARY KEY,
    id_scheduled  INTEGER NOT NULL REFERENCES scheduled (id) ON DELETE CASCADE,
    id_media      INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE
);
CREATE INDEX scheduled_media_scheduled ON scheduled_media (id_scheduled, id);
CREATE INDEX scheduled_media_media ON scheduled_media (id_media);

-- One outgoing message to one recipient. `state` is the engine's state machine; `status` is the
-- RaspiSMS status derived from it. `id_phone` is the phone that (last) took the message;
-- `pinned_phone` the phone the caller asked for. `uid` holds the TP message references of the
-- segments sent, in segment order, joined by ','.
CREATE TABLE sended (
    id                     INTEGER PRIMARY KEY,
    at                     TEXT NOT NULL,
    text                   TEXT NOT NULL,
    destination            TEXT NOT NULL,
    flash                  INTEGER NOT NULL DEFAULT 0 CHECK (flash IN (0, 1)),
    status                 TEXT GENERATED ALWAYS AS (
                               CASE state WHEN 'delivered' THEN 'delivered'
                                          WHEN 'failed' THEN 'failed'
                                          ELSE 'unknown' END) VIRTUAL,
    uid                    TEXT,
    adapter                TEXT,
    id_user                INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    id_phone               INTEGER REFERENCES phone (id) ON DELETE SET NULL,
    mms                    INTEGER NOT NULL DEFAULT 0 CHECK (mms IN (0, 1)),
    originating_scheduled  INTEGER REFERENCES scheduled (id) ON DELETE SET NULL,
    created_at             TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at             TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    tag                    TEXT,
    -- engine
    state                  TEXT NOT NULL DEFAULT 'queued'
                           CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'unknown')),
    priority               INTEGER NOT NULL DEFAULT 0,
    due_at                 REAL NOT NULL,
    next_attempt_at        REAL NOT NULL,
    attempts               INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    reason                 TEXT,
    segments               INTEGER NOT NULL CHECK (segments >= 0),
    request_report         INTEGER CHECK (request_report IN (0, 1)),
    pinned_phone           INTEGER REFERENCES phone (id) ON DELETE SET NULL,
    id_phone_group         INTEGER REFERENCES phone_group (id) ON DELETE SET NULL,
    excluded_phone         INTEGER
);
CREATE INDEX sended_list ON sended (id_user, id);
CREATE INDEX sended_queued ON sended (priority DESC, due_at, id) WHERE state = 'queued';
CREATE INDEX sended_sending ON sended (id) WHERE state = 'sending';
CREATE INDEX sended_user_at ON sended (id_user, at);
CREATE INDEX sended_phone_at ON sended (id_phone, at);
CREATE INDEX sended_scheduled ON sended (originating_scheduled) WHERE originating_scheduled IS NOT NULL;
CREATE INDEX sended_pinned ON sended (pinned_phone) WHERE pinned_phone IS NOT NULL;
CREATE INDEX sended_phone_group ON sended (id_phone_group) WHERE id_phone_group IS NOT NULL;

-- engine: the segments (parts) of an outgoing message, 1-based `seq`.
CREATE TABLE sended_segment (
    id             INTEGER PRIMARY KEY,
    id_sended      INTEGER NOT NULL REFERENCES sended (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    state          TEXT NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'sending', 'sent', 'unknown', 'failed')),
    reference      INTEGER CHECK (reference >= 0),
    id_phone       INTEGER REFERENCES phone (id) ON DELETE SET NULL,
    sent_at        REAL,
    report_status  INTEGER,
    report         TEXT CHECK (report IN ('delivered', 'pending', 'failed')),
    reported_at    REAL,
    UNIQUE (id_sended, seq)
);
CREATE INDEX sended_segment_reference ON sended_segment (id_phone, reference, sent_at);
CREATE INDEX sended_segment_volume ON sended_segment (id_phone, sent_at);

CREATE TABLE sended_media (
    id         INTEGER PRIMARY KEY,
    id_sended  INTEGER NOT NULL REFERENCES sended (id) ON DELETE CASCADE,
    id_media   INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE
);
CREATE INDEX sended_media_sended ON sended_media (id_sended, id);
CREATE INDEX sended_media_media ON sended_media (id_media);

-- `dedupe_key` (engine) makes re-reading a SIM after a restart add nothing; `incomplete` (engine)
-- marks a concatenated message stored after its missing parts timed out.
CREATE TABLE received (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    text        TEXT NOT NULL,
    origin      TEXT NOT NULL,
    command     INTEGER NOT NULL DEFAULT 0 CHECK (command IN (0, 1)),
    status      TEXT NOT NULL DEFAULT 'unread' CHECK (status IN ('read', 'unread')),
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    id_phone    INTEGER REFERENCES phone (id) ON DELETE SET NULL,
    mms         INTEGER NOT NULL DEFAULT 0 CHECK (mms IN (0, 1)),
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    -- engine
    dedupe_key  TEXT UNIQUE,
    incomplete  INTEGER NOT NULL DEFAULT 0 CHECK (incomplete IN (0, 1))
);
CREATE INDEX received_list ON received (id_user, id);
CREATE INDEX received_phone ON received (id_phone) WHERE id_phone IS NOT NULL;

CREATE TABLE received_media (
    id           INTEGER PRIMARY KEY,
    id_received  INTEGER NOT NULL REFERENCES received (id) ON DELETE CASCADE,
    id_media     INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE
);
CREATE INDEX received_media_received ON received_media (id_received, id);
CREATE INDEX received_media_media ON received_media (id_media);

-- engine: one part of a concatenated incoming message, held until all parts arrived.
CREATE TABLE received_part (
    id              INTEGER PRIMARY KEY,
    id_phone        INTEGER NOT NULL REFERENCES phone (id) ON DELETE CASCADE,
    sender          TEXT NOT NULL,
    reference       INTEGER NOT NULL CHECK (reference >= 0),
    total           INTEGER NOT NULL CHECK (total >= 1),
    seq             INTEGER NOT NULL CHECK (seq >= 1 AND seq <= total),
    text            TEXT,
    data            BLOB,
    smsc_timestamp  TEXT NOT NULL,
    pdu             TEXT NOT NULL,
    received_at     REAL NOT NULL,
    UNIQUE (id_phone, sender, reference, total, seq, smsc_timestamp)
);
CREATE INDEX received_part_age ON received_part (id_phone, received_at);

CREATE TABLE webhook (
    id          INTEGER PRIMARY KEY,
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('send_sms', 'send_sms_status_change', 'receive_sms',
                                              'inbound_call', 'phone_reliability', 'quota_level',
                                              'quota_reached')),
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime'))
);
CREATE INDEX webhook_user ON webhook (id_user, id);

CREATE TABLE smsstop (
    id          INTEGER PRIMARY KEY,
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    number      TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    UNIQUE (id_user, number)
);
