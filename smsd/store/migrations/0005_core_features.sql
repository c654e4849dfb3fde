-- smsd schema: credit quotas, sandbox messages, quiet hours, STOP mention, sender names.
--
-- Self-contained (its number is only in the file name).
--
-- `quota` is RaspiSMS's per-user quota: `credit` per period plus `additional` credit, `consumed`
-- in the current period (start_date .. expiration_date, local wall time like every datetime the
-- API shows). A period rolls over at expiration_date when `auto_renew`: consumed goes back to 0,
-- and with `report_unused` the unused credit is carried into `additional`. No row: unlimited.
-- `renewal_interval` is 'daily', 'weekly', 'monthly' or 'yearly'. `level_notified` /
-- `reached_notified` (engine) record that this period's quota_level (80 % used) and
-- quota_reached webhook events were written, so each fires once per period.
CREATE TABLE quota (
    id                        INTEGER PRIMARY KEY,
    id_user                   INTEGER NOT NULL UNIQUE REFERENCES user (id) ON DELETE CASCADE,
    credit                    INTEGER NOT NULL CHECK (credit >= 0),
    additional                INTEGER NOT NULL DEFAULT 0 CHECK (additional >= 0),
    consumed                  INTEGER NOT NULL DEFAULT 0 CHECK (consumed >= 0),
    start_date                TEXT NOT NULL,
    expiration_date           TEXT NOT NULL,
    renewal_interval          TEXT NOT NULL DEFAULT 'monthly'
                              CHECK (renewal_interval IN ('daily', 'weekly', 'monthly', 'yearly')),
    auto_renew                INTEGER NOT NULL DEFAULT 1 CHECK (auto_renew IN (0, 1)),
    report_unused             INTEGER NOT NULL DEFAULT 0 CHECK (report_unused IN (0, 1)),
    report_unused_additional  INTEGER NOT NULL DEFAULT 1
                              CHECK (report_unused_additional IN (0, 1)),
    -- engine
    level_notified            INTEGER NOT NULL DEFAULT 0 CHECK (level_notified IN (0, 1)),
    reached_notified          INTEGER NOT NULL DEFAULT 0 CHECK (reached_notified IN (0, 1)),
    created_at                TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at                TEXT NOT NULL DEFAULT (datetime('now', 'localtime'))
);
CREATE INDEX quota_expiration ON quota (expiration_date) WHERE auto_renew = 1;

-- engine: values the store reads that come from the configuration ([billing], [stop]); the
-- daemon writes them at start. A missing name takes its default (smsd.store.options).
CREATE TABLE core_option (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- Scheduled messages: `sandbox` (simulated, never on a modem), `commercial` (held during quiet
-- hours), `sender` (the sender name asked for; recipients see the SIM's number), `stop_mention`
-- (the STOP mention was appended to `text`), `deferred_to` / `deferred_reason` (engine: the
-- dispatcher holds a commercial message until then, unix seconds, and says why).
ALTER TABLE scheduled ADD COLUMN sandbox INTEGER NOT NULL DEFAULT 0 CHECK (sandbox IN (0, 1));
ALTER TABLE scheduled ADD COLUMN commercial INTEGER NOT NULL DEFAULT 0
    CHECK (commercial IN (0, 1));
ALTER TABLE scheduled ADD COLUMN sender TEXT;
ALTER TABLE scheduled ADD COLUMN stop_mention INTEGER NOT NULL DEFAULT 0
    CHECK (stop_mention IN (0, 1));
ALTER TABLE scheduled ADD COLUMN deferred_to REAL;
ALTER TABLE scheduled ADD COLUMN deferred_reason TEXT;
CREATE INDEX scheduled_sandbox ON scheduled (due_at) WHERE sandbox = 1;

-- Outgoing messages: `sandbox`, `sender` copied from the scheduled message; `credits` (engine)
-- the quota credits charged when the message was claimed (0: not charged).
ALTER TABLE sended ADD COLUMN sandbox INTEGER NOT NULL DEFAULT 0 CHECK (sandbox IN (0, 1));
ALTER TABLE sended ADD COLUMN sender TEXT;
ALTER TABLE sended ADD COLUMN credits INTEGER NOT NULL DEFAULT 0 CHECK (credits >= 0);
CREATE INDEX sended_sandbox ON sended (due_at) WHERE sandbox = 1;
CREATE INDEX sended_sandbox_queued ON sended (id) WHERE sandbox = 1 AND state = 'queued';
