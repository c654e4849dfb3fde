-- smsd schema: incoming rules, SMS commands and e-mail to SMS.
--
-- `rule` holds each user's ordered rules on received messages; `definition` is the rule as JSON
-- with the configuration file's key names (checked by smsd.matching.make_rule before it is
-- written). Rules of the configuration file are written at start with source 'config' (the API
-- can list them but not delete them); rules created over the API have source 'api'.
CREATE TABLE rule (
    id          INTEGER PRIMARY KEY,
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    source      TEXT NOT NULL DEFAULT 'api' CHECK (source IN ('config', 'api')),
    definition  TEXT NOT NULL CHECK (json_valid(definition)),
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime'))
);
CREATE INDEX rule_user ON rule (id_user, position, id);

-- The last auto-reply of a rule to a number: no second reply before `until`. `rule_key` is a
-- digest of the rule's definition, so a rule rewritten at start keeps its windows.
CREATE TABLE rule_reply (
    id          INTEGER PRIMARY KEY,
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    rule_key    TEXT NOT NULL,
    number_key  TEXT NOT NULL,
    until       REAL NOT NULL,
    UNIQUE (id_user, rule_key, number_key)
);
CREATE INDEX rule_reply_until ON rule_reply (until);

-- What caused an outgoing message that smsd wrote itself: a received message (an auto-reply,
-- a forward, a command's output) or a mail into the listener. The scheduled row leads to its
-- `sended` rows through sended.originating_scheduled.
CREATE TABLE rule_cause (
    id            INTEGER PRIMARY KEY,
    id_scheduled  INTEGER NOT NULL UNIQUE REFERENCES scheduled (id) ON DELETE CASCADE,
    id_received   INTEGER REFERENCES received (id) ON DELETE SET NULL,
    id_rule       INTEGER REFERENCES rule (id) ON DELETE SET NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('reply', 'forward', 'command', 'email')),
    created_at    REAL NOT NULL
);
CREATE INDEX rule_cause_received ON rule_cause (id_received) WHERE id_received IS NOT NULL;
CREATE INDEX rule_cause_created ON rule_cause (created_at);

-- A mail accepted by the e-mail listener, once per user and `dedupe_key` (its Message-ID and
-- recipients): a client sending the same mail again does not send the SMS again.
CREATE TABLE mail_in (
    id            INTEGER PRIMARY KEY,
    id_user       INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    dedupe_key    TEXT NOT NULL,
    id_scheduled  INTEGER REFERENCES scheduled (id) ON DELETE SET NULL,
    sender        TEXT NOT NULL,
    created_at    REAL NOT NULL,
    UNIQUE (id_user, dedupe_key)
);

-- How far the rules have looked at `received` (messages up to `last_id` are handled). Messages
-- received before this migration are not looked at.
CREATE TABLE rule_progress (
    name     TEXT PRIMARY KEY,
    last_id  INTEGER NOT NULL
);
INSERT INTO rule_progress (name, last_id)
VALUES ('received', coalesce((SELECT max(id) FROM received), 0));
