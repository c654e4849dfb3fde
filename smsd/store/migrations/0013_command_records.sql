-- smsd schema: commands already executed, so a repeated command stores nothing twice.
--
-- command_record: one row per key under which a command that created messages was executed,
-- written in the transaction that stores its messages (smsd.store.idempotency). A command that
-- comes again under the same key (an MQTT delivery the broker repeats after a restart, a client
-- retrying an HTTP POST with the same Idempotency-Key, an MQTT command with the same `ref`) is
-- answered from `ids` (the JSON array of the scheduled ids it created) and creates nothing.
--
-- `scope` names the kind of key ('mqtt', 'mqtt-ref', 'http'); `key` is the key itself (for an
-- MQTT delivery: client id, packet id and the digest of topic and payload; packet ids are
-- reused, so the digest is part of it); `fingerprint` is the lowercase hex SHA-256 of the
-- request, so the same key with a different request is recognised and refused. `created_at` is
-- unix seconds: a record is honoured for a bounded window (24 h) and purged after it by the
-- dispatcher's maintenance (its index serves that).

CREATE TABLE command_record (
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    scope       TEXT NOT NULL CHECK (length(scope) BETWEEN 1 AND 32),
    key         TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 512),
    fingerprint TEXT NOT NULL
                CHECK (length(fingerprint) = 64 AND fingerprint NOT GLOB '*[^0-9a-f]*'),
    ids         TEXT NOT NULL CHECK (json_valid(ids) AND json_type(ids) = 'array'),
    created_at  REAL NOT NULL,
    PRIMARY KEY (id_user, scope, key)
);
CREATE INDEX command_record_age ON command_record (created_at);
