-- smsd schema, version 2: webhook delivery.
--
-- Events are written by TRIGGERS, so every transition that causes one (a message leaving the
-- send queue, a status report, a received message) writes its events in its own transaction:
-- an event exists if and only if its cause was committed. A sender task posts them afterwards
-- (at least once, in id order per target and subject) and records the outcome here.
--
-- Targets of an event:
--   * a row of `webhook` of the user, whose type matches (RaspiSMS's per-user webhooks, honoured
--     only while the user's setting `webhook` is not '0');
--   * the per-message URLs of the scheduled message a send came from (our extension):
--     `url_dlr` gets the send and status events of its sends, `url_response` the messages
--     received from a recipient on the phone that sent to it, until `reply_window` seconds after
--     the send (the latest send to that number on that phone wins).
--
-- Cost in the send path: each trigger's WHEN clause is two indexed lookups (the user's webhooks,
-- the originating scheduled row) and is false for a user without webhooks or per-message URLs.
-- Instants are REAL unix seconds computed with julianday (unixepoch() needs SQLite 3.38).

ALTER TABLE webhook ADD COLUMN secret TEXT;
UPDATE webhook SET secret = lower(hex(randomblob(32))) WHERE secret IS NULL;

ALTER TABLE scheduled ADD COLUMN url_dlr TEXT;
ALTER TABLE scheduled ADD COLUMN url_response TEXT;

-- engine: the event outbox. `target` names the receiver ('webhook:<id>' or the URL itself):
-- events of one target and one `subject` ('sended:<id>', 'received:<id>') are delivered in id
-- order. `timestamp` and `random_id` are RaspiSMS's webhook_timestamp and webhook_random_id,
-- fixed when the event is created (so they are the same on every attempt).
CREATE TABLE webhook_event (
    id               INTEGER PRIMARY KEY,
    id_user          INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    id_webhook       INTEGER REFERENCES webhook (id) ON DELETE CASCADE,
    url              TEXT,
    target           TEXT NOT NULL,
    type             TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL CHECK (json_valid(body)),
    timestamp        INTEGER NOT NULL,
    random_id        TEXT NOT NULL,
    created_at       REAL NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  REAL NOT NULL,
    last_error       TEXT,
    finished_at      REAL,
    CHECK ((id_webhook IS NULL) <> (url IS NULL))
);
CREATE INDEX webhook_event_due ON webhook_event (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_event_order ON webhook_event (target, subject, id) WHERE state = 'pending';
CREATE INDEX webhook_event_webhook ON webhook_event (id_webhook) WHERE id_webhook IS NOT NULL;
CREATE INDEX webhook_event_user ON webhook_event (id_user);
CREATE INDEX webhook_event_finished ON webhook_event (finished_at) WHERE state <> 'pending';

-- engine: tunables the triggers read (the daemon writes the configured values at start).
CREATE TABLE webhook_option (
    name   TEXT PRIMARY KEY,
    value  REAL NOT NULL
);
INSERT INTO webhook_option (name, value) VALUES ('reply_window', 259200.0);

-- engine: who may answer whom. One row per (phone, number): the latest send with a
-- url_response to that number through that phone. `number_key` is the number's last 9
-- characters without a leading '+', so national and international spellings meet.
CREATE TABLE webhook_reply (
    id            INTEGER PRIMARY KEY,
    id_user       INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    id_phone      INTEGER NOT NULL REFERENCES phone (id) ON DELETE CASCADE,
    number_key    TEXT NOT NULL,
    id_sended     INTEGER NOT NULL REFERENCES sended (id) ON DELETE CASCADE,
    id_scheduled  INTEGER REFERENCES scheduled (id) ON DELETE SET NULL,
    url           TEXT NOT NULL,
    until         REAL NOT NULL,
    UNIQUE (id_phone, number_key)
);
CREATE INDEX webhook_reply_until ON webhook_reply (until);
CREATE INDEX webhook_reply_user ON webhook_reply (id_user);
CREATE INDEX webhook_reply_sended ON webhook_reply (id_sended);
CREATE INDEX webhook_reply_scheduled ON webhook_reply (id_scheduled) WHERE id_scheduled IS NOT NULL;

-- An outgoing message's state changed. Leaving the queue (queued/sending -> sent, delivered,
-- failed, unknown) is RaspiSMS's send_sms (status 'failed' or 'unknown'); any later change of the
-- RaspiSMS status, and a message found delivered as it leaves the queue, is
-- send_sms_status_change. Both statements run in that order, so the ids keep that order.
CREATE TRIGGER sended_webhook_events AFTER UPDATE OF state ON sended
WHEN OLD.state <> NEW.state
 AND (EXISTS (SELECT 1 FROM webhook WHERE id_user = NEW.id_user)
      OR EXISTS (SELECT 1 FROM scheduled WHERE id = NEW.originating_scheduled
                 AND (url_dlr IS NOT NULL OR url_response IS NOT NULL)))
BEGIN
    INSERT INTO webhook_event (id_user, id_webhook, url, target, type, subject, body, timestamp,
                               random_id, created_at, next_attempt_at)
    SELECT NEW.id_user, t.id_webhook, t.url, t.target, 'send_sms', 'sended:' || NEW.id,
           json_object(
               'id', NEW.id,
               'at', NEW.at,
               'status', CASE NEW.state WHEN 'failed' THEN 'failed' ELSE 'unknown' END,
               'text', NEW.text,
               'destination', NEW.destination,
               'origin', NEW.id_phone,
               'mms', json(CASE WHEN NEW.mms THEN 'true' ELSE 'false' END),
               'medias', json((SELECT json_group_array(json_object('id', m.id, 'id_user',
                                                                   m.id_user, 'path', m.path))
                               FROM sended_media AS sm JOIN media AS m ON m.id = sm.id_media
                               WHERE sm.id_sended = NEW.id)),
               'originating_scheduled', NEW.originating_scheduled),
           CAST(strftime('%s', 'now') AS INTEGER),
           strftime('%s', 'now') || '-' || lower(hex(randomblob(16))),
           (julianday('now') - 2440587.5) * 86400.0,
           (julianday('now') - 2440587.5) * 86400.0
    FROM (SELECT w.id AS id_webhook, NULL AS url, 'webhook:' || w.id AS target
          FROM webhook AS w
          WHERE w.id_user = NEW.id_user AND w.type = 'send_sms'
            AND NOT EXISTS (SELECT 1 FROM setting WHERE id_user = NEW.id_user
                            AND name = 'webhook' AND value IN ('0', ''))
          UNION ALL
          SELECT NULL, s.url_dlr, s.url_dlr FROM scheduled AS s
          WHERE s.id = NEW.originating_scheduled AND s.url_dlr IS NOT NULL) AS t
    WHERE OLD.state IN ('queued', 'sending')
      AND NEW.state IN ('sent', 'delivered', 'failed', 'unknown');

    INSERT INTO webhook_event (id_user, id_webhook, url, target, type, subject, body, timestamp,
                               random_id, created_at, next_attempt_at)
    SELECT NEW.id_user, t.id_webhook, t.url, t.target, 'send_sms_status_change',
           'sended:' || NEW.id,
           json_object('id', NEW.id, 'status', NEW.status),
           CAST(strftime('%s', 'now') AS INTEGER),
           strftime('%s', 'now') || '-' || lower(hex(randomblob(16))),
           (julianday('now') - 2440587.5) * 86400.0,
           (julianday('now') - 2440587.5) * 86400.0
    FROM (SELECT w.id AS id_webhook, NULL AS url, 'webhook:' || w.id AS target
          FROM webhook AS w
          WHERE w.id_user = NEW.id_user AND w.type = 'send_sms_status_change'
            AND NOT EXISTS (SELECT 1 FROM setting WHERE id_user = NEW.id_user
                            AND name = 'webhook' AND value IN ('0', ''))
          UNION ALL
          SELECT NULL, s.url_dlr, s.url_dlr FROM scheduled AS s
          WHERE s.id = NEW.originating_scheduled AND s.url_dlr IS NOT NULL) AS t
    WHERE (OLD.state IN ('queued', 'sending') AND NEW.state = 'delivered')
       OR (OLD.state NOT IN ('queued', 'sending') AND OLD.status <> NEW.status);

    INSERT INTO webhook_reply (id_user, id_phone, number_key, id_sended, id_scheduled, url, until)
    SELECT NEW.id_user, NEW.id_phone, substr(ltrim(NEW.destination, '+'), -9), NEW.id, s.id,
           s.url_response,
           (julianday('now') - 2440587.5) * 86400.0
           + coalesce((SELECT value FROM webhook_option WHERE name = 'reply_window'), 0)
    FROM scheduled AS s
    WHERE s.id = NEW.originating_scheduled AND s.url_response IS NOT NULL
      AND NEW.id_phone IS NOT NULL
      AND OLD.state IN ('queued', 'sending') AND NEW.state IN ('sent', 'delivered', 'unknown')
    ON CONFLICT (id_phone, number_key) DO UPDATE SET
        id_user = excluded.id_user, id_sended = excluded.id_sended,
        id_scheduled = excluded.id_scheduled, url = excluded.url, until = excluded.until;
END;

-- A message was received: RaspiSMS's receive_sms to the user's webhooks; to a url_response
-- waiting for this number on this phone, the same body plus the send it answers.
CREATE TRIGGER received_webhook_events AFTER INSERT ON received
WHEN EXISTS (SELECT 1 FROM webhook WHERE id_user = NEW.id_user)
  OR EXISTS (SELECT 1 FROM webhook_reply WHERE id_phone = NEW.id_phone
             AND number_key = substr(ltrim(NEW.origin, '+'), -9))
BEGIN
    INSERT INTO webhook_event (id_user, id_webhook, url, target, type, subject, body, timestamp,
                               random_id, created_at, next_attempt_at)
    SELECT NEW.id_user, w.id, NULL, 'webhook:' || w.id, 'receive_sms', 'received:' || NEW.id,
           json_object(
               'id', NEW.id,
               'at', NEW.at,
               'text', NEW.text,
               'destination', NEW.id_phone,
               'origin', NEW.origin,
               'command', json(CASE WHEN NEW.command THEN 'true' ELSE 'false' END),
               'mms', json(CASE WHEN NEW.mms THEN 'true' ELSE 'false' END),
               'medias', json((SELECT json_group_array(json_object(
                                   'id', m.id, 'path', m.path, 'id_user', m.id_user,
                                   'created_at', m.created_at, 'updated_at', m.updated_at))
                               FROM received_media AS rm JOIN media AS m ON m.id = rm.id_media
                               WHERE rm.id_received = NEW.id))),
           CAST(strftime('%s', 'now') AS INTEGER),
           strftime('%s', 'now') || '-' || lower(hex(randomblob(16))),
           (julianday('now') - 2440587.5) * 86400.0,
           (julianday('now') - 2440587.5) * 86400.0
    FROM webhook AS w
    WHERE w.id_user = NEW.id_user AND w.type = 'receive_sms'
      AND NOT EXISTS (SELECT 1 FROM setting WHERE id_user = NEW.id_user
                      AND name = 'webhook' AND value IN ('0', ''));

    INSERT INTO webhook_event (id_user, id_webhook, url, target, type, subject, body, timestamp,
                               random_id, created_at, next_attempt_at)
    SELECT r.id_user, NULL, r.url, r.url, 'receive_sms', 'received:' || NEW.id,
           json_object(
               'id', NEW.id,
               'at', NEW.at,
               'text', NEW.text,
               'destination', NEW.id_phone,
               'origin', NEW.origin,
               'command', json(CASE WHEN NEW.command THEN 'true' ELSE 'false' END),
               'mms', json(CASE WHEN NEW.mms THEN 'true' ELSE 'false' END),
               'medias', json('[]'),
               'id_sended', r.id_sended,
               'originating_scheduled', r.id_scheduled),
           CAST(strftime('%s', 'now') AS INTEGER),
           strftime('%s', 'now') || '-' || lower(hex(randomblob(16))),
           (julianday('now') - 2440587.5) * 86400.0,
           (julianday('now') - 2440587.5) * 86400.0
    FROM webhook_reply AS r
    WHERE r.id_phone = NEW.id_phone AND r.number_key = substr(ltrim(NEW.origin, '+'), -9)
      AND r.id_user = NEW.id_user
      AND r.until >= (julianday('now') - 2440587.5) * 86400.0;
END;
