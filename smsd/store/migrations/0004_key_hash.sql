-- smsd schema, version 4: API keys are stored as SHA-256 digests, never as plain text.
--
-- The user table is rebuilt (SQLite cannot drop NOT NULL or UNIQUE from a column) with:
--   * key_digest: lowercase hex SHA-256 of the key's UTF-8 bytes, unique (its index serves the
--     lookup of every API request);
--   * api_key: now nullable, it only holds a key written by an older smsd until the first start
--     of this one hashes it (smsd.store.accounts.upgrade_keys: SQLite has no SHA-256) and clears
--     it. A row always has one of the two.
-- Ids are kept, so every table referring to user (id) still finds its rows.

CREATE TABLE user_v4 (
    id          INTEGER PRIMARY KEY,
    email       TEXT NOT NULL UNIQUE,
    password    TEXT,
    api_key     TEXT UNIQUE,
    key_digest  TEXT UNIQUE
                CHECK (key_digest IS NULL
                       OR (length(key_digest) = 64 AND key_digest NOT GLOB '*[^0-9a-f]*')),
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    admin       INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    CHECK (api_key IS NOT NULL OR key_digest IS NOT NULL)
);

INSERT INTO user_v4 (id, email, password, api_key, key_digest, status, admin, created_at,
                     updated_at)
    SELECT id, email, password, api_key, NULL, status, admin, created_at, updated_at FROM user;

DROP TABLE user;
ALTER TABLE user_v4 RENAME TO user;
