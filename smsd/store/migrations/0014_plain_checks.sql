-- smsd schema: the checks a message's every step runs, written as plain comparisons.
--
-- SQLite evaluates `x IN ('a', 'b', 'c')` (a list of three constants or more) by building a
-- temporary b-tree of the list each time it checks a row; a list of two, or `=` joined by `OR`,
-- is compared in place. Each message inserted into `sended` and each change of its state checked
-- such lists three times over (a segment's state and report, and the condition of the partial
-- index `sended_user_outcome`), about 30,000 machine instructions each in the store's writer:
-- about a sixth of its work per message (`bench/instructions.py`).
--
-- The rules themselves do not change: the index holds the same rows (`state` can only be one of
-- the six states `sended` allows), and the segments' checks accept the same values.
-- `sended_segment` is rebuilt the way SQLite documents it for a changed constraint: a new table,
-- the rows copied, the old one dropped, the new one renamed, its indexes made again.
-- `sended`'s own state check is left as it is: changing it would copy every message ever sent.

DROP INDEX sended_user_outcome;
CREATE INDEX sended_user_outcome ON sended (id_user, at, state)
    WHERE state NOT IN ('queued', 'sending');

CREATE TABLE sended_segment_new (
    id             INTEGER PRIMARY KEY,
    id_sended      INTEGER NOT NULL REFERENCES sended (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    state          TEXT NOT NULL DEFAULT 'queued'
                   CHECK (state = 'queued' OR state = 'sending' OR state = 'sent'
                          OR state = 'unknown' OR state = 'failed'),
    reference      INTEGER CHECK (reference >= 0),
    id_phone       INTEGER REFERENCES phone (id) ON DELETE SET NULL,
    sent_at        REAL,
    report_status  INTEGER,
    report         TEXT CHECK (report = 'delivered' OR report = 'pending' OR report = 'failed'),
    reported_at    REAL,
    UNIQUE (id_sended, seq)
);
INSERT INTO sended_segment_new (id, id_sended, seq, state, reference, id_phone, sent_at,
                                report_status, report, reported_at)
    SELECT id, id_sended, seq, state, reference, id_phone, sent_at,
           report_status, report, reported_at
    FROM sended_segment;
DROP TABLE sended_segment;
ALTER TABLE sended_segment_new RENAME TO sended_segment;
CREATE INDEX sended_segment_reference ON sended_segment (id_phone, reference, sent_at);
CREATE INDEX sended_segment_volume ON sended_segment (id_phone, sent_at);
