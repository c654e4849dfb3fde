-- smsd schema: logging in with an e-mail address and a password, and a client's own message id.
--
-- user.password (present since version 1, unused until now) holds the password's scrypt hash in
-- the versioned text form of smsd.store.passwords ("$scrypt$v=1$ln=..,r=..,p=..$salt$hash"),
-- or NULL: the user cannot log in with a password (its API key still works).
--
-- login_session: the expiring tokens a login answers. Only the SHA-256 digest of a token is
-- stored (lowercase hex, unique: its index serves the lookup of every request), like API keys
-- since version 4; `expires_at` is unix seconds, after which the token is refused and the row
-- may be purged (its index serves that).
--
-- scheduled.customer_id: an integer the client attached to a message (SMSGateway24's
-- `customerid`), kept and shown back; NULL when none was given.

CREATE TABLE login_session (
    id          INTEGER PRIMARY KEY,
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    digest      TEXT NOT NULL UNIQUE
                CHECK (length(digest) = 64 AND digest NOT GLOB '*[^0-9a-f]*'),
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL CHECK (expires_at >= created_at)
);
CREATE INDEX login_session_user ON login_session (id_user);
CREATE INDEX login_session_expiry ON login_session (expires_at);

ALTER TABLE scheduled ADD COLUMN customer_id INTEGER;
