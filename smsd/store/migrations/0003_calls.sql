-- smsd schema, version 3: voice calls.
--
-- `call` is RaspiSMS's table: one row per call a phone saw (smsd records inbound calls, which
-- it rejects by default), `start` and `end` as local wall-time text like every datetime the API
-- shows, `end` NULL while the call rings. `direction` is 'inbound' or 'outbound' as in RaspiSMS;
-- `origin` is the caller's number, NULL when the network gave none (withheld, or a modem
-- without caller id); `destination` is NULL for inbound calls, as RaspiSMS stores them.
-- `uid` is the call's identifier on its phone, by which its end is recorded.
--
-- A new inbound call writes RaspiSMS's `inbound_call` webhook event in the same transaction,
-- with the conventions of the triggers of migration 0002 (one event per webhook of that type of
-- the call's user, while the user's setting `webhook` is not '0'), payload keys in RaspiSMS's
-- order. As in RaspiSMS, the end of a call fires nothing.

CREATE TABLE call (
    id           INTEGER PRIMARY KEY,
    id_user      INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
    id_phone     INTEGER REFERENCES phone (id) ON DELETE SET NULL,
    uid          TEXT NOT NULL CHECK (length(uid) BETWEEN 1 AND 500),
    start        TEXT NOT NULL,
    "end"        TEXT CHECK ("end" IS NULL OR "end" >= start),
    direction    TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    origin       TEXT CHECK (origin IS NULL OR length(origin) BETWEEN 1 AND 20),
    destination  TEXT CHECK (destination IS NULL OR length(destination) BETWEEN 1 AND 20),
    created_at   TEXT NOT NULL DEFAULT (datetime('now', 'localtime')),
    updated_at   TEXT NOT NULL DEFAULT (datetime('now', 'localtime'))
);
CREATE INDEX call_list ON call (id_user, id);
CREATE INDEX call_phone_uid ON call (id_phone, uid) WHERE id_phone IS NOT NULL;

CREATE TRIGGER call_webhook_events AFTER INSERT ON call
WHEN NEW.direction = 'inbound'
 AND EXISTS (SELECT 1 FROM webhook WHERE id_user = NEW.id_user AND type = 'inbound_call')
BEGIN
    INSERT INTO webhook_event (id_user, id_webhook, url, target, type, subject, body, timestamp,
                               random_id, created_at, next_attempt_at)
    SELECT NEW.id_user, w.id, NULL, 'webhook:' || w.id, 'inbound_call', 'call:' || NEW.id,
           json_object(
               'id_user', NEW.id_user,
               'id_phone', NEW.id_phone,
               'uid', NEW.uid,
               'start', NEW.start,
               'end', NEW."end",
               'direction', NEW.direction,
               'origin', NEW.origin,
               'destination', NEW.destination,
               'id', NEW.id),
           CAST(strftime('%s', 'now') AS INTEGER),
           strftime('%s', 'now') || '-' || lower(hex(randomblob(16))),
           (julianday('now') - 2440587.5) * 86400.0,
           (julianday('now') - 2440587.5) * 86400.0
    FROM webhook AS w
    WHERE w.id_user = NEW.id_user AND w.type = 'inbound_call'
      AND NOT EXISTS (SELECT 1 FROM setting WHERE id_user = NEW.id_user
                      AND name = 'webhook' AND value IN ('0', ''));
END;
