-- smsd schema: USSD sessions and SIM balances.
--
-- `ussd` is one session: who asked (`id_user`), through which phone, the code, where the request
-- came from (`origin`: 'api' for the API and the command line, 'balance' for the balance watch),
-- its state and the network's last answer. `status`:
--   pending        the request is with the network, no answer yet
--   waiting_reply  the network answered and waits for a reply (a menu, <m> = 1)
--   done           the network's last answer ended the session (<m> = 0 or 2)
--   not_supported  the network does not know the code (<m> = 4)
--   timeout        no answer in time: the session was cancelled (AT+CUSD=2)
--   cancelled      cancelled on request
--   failed         the modem refused the request or went away (`error` says why)
-- `ussd_step` keeps every exchange of a session in order: what was sent, what came back.
-- Datetimes are local wall-time text like every datetime the API shows.
--
-- `phone_balance` is the last balance the watch read for a phone (`amount` NULL when the answer
-- held none), and `low` whether it is below the phone's minimum: the `phone_balance_low` webhook
-- event is written when `low` goes from 0 to 1, once, in the same transaction.
--
-- The `webhook` table is rebuilt so that `phone_balance_low` is a type a user can subscribe to
-- (SQLite cannot change a CHECK constraint in place); ids and secrets are kept.

CREATE TABLE ussd (
    id              INTEGER PRIMARY KEY,
    id_user         INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    id_phone        INTEGER REFERENCES phone (id) ON DELETE SET NULL,
    code            TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 160),
    origin          TEXT NOT NULL DEFAULT 'api' CHECK (origin IN ('api', 'balance')),
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'waiting_reply', 'done', 'not_supported',
                                      'timeout', 'cancelled', 'failed')),
    answer          TEXT,
    network_status  INTEGER CHECK (network_status IS NULL OR network_status BETWEEN 0 AND 5),
    dcs             INTEGER CHECK (dcs IS NULL OR dcs BETWEEN 0 AND 255),
    error           TEXT,
    created_at      TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at      TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    finished_at     TEXT
);
CREATE INDEX ussd_list ON ussd (id_user, id);
CREATE INDEX ussd_open ON ussd (id_phone) WHERE status IN ('pending', 'waiting_reply');

CREATE TABLE ussd_step (
    id              INTEGER PRIMARY KEY,
    id_ussd         INTEGER NOT NULL REFERENCES ussd (id) ON DELETE CASCADE,
    request         TEXT NOT NULL CHECK (length(request) BETWEEN 1 AND 160),
    answer          TEXT,
    network_status  INTEGER CHECK (network_status IS NULL OR network_status BETWEEN 0 AND 5),
    dcs             INTEGER CHECK (dcs IS NULL OR dcs BETWEEN 0 AND 255),
    sent_at         TEXT NOT NULL,
    answered_at     TEXT
);
CREATE INDEX ussd_step_session ON ussd_step (id_ussd, id);

CREATE TABLE phone_balance (
    id_phone    INTEGER PRIMARY KEY REFERENCES phone (id) ON DELETE CASCADE,
    amount      REAL,
    answer      TEXT NOT NULL,
    low         INTEGER NOT NULL DEFAULT 0 CHECK (low IN (0, 1)),
    checked_at  TEXT NOT NULL
);

PRAGMA legacy_alter_table = ON;

CREATE TABLE webhook_with_balance (
    id          INTEGER PRIMARY KEY,
    id_user     INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('send_sms', 'send_sms_status_change', 'receive_sms',
                                              'inbound_call', 'phone_reliability', 'quota_level',
                                              'quota_reached', 'phone_balance_low')),
    created_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at  TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    secret      TEXT
);
INSERT INTO webhook_with_balance (id, id_user, url, type, created_at, updated_at, secret)
    SELECT id, id_user, url, type, created_at, updated_at, secret FROM webhook;
DROP TABLE webhook;
ALTER TABLE webhook_with_balance RENAME TO webhook;
CREATE INDEX webhook_user ON webhook (id_user, id);

PRAGMA legacy_alter_table = OFF;
