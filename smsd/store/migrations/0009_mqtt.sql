-- smsd schema: MQTT events share the webhook event outbox.
--
-- The MQTT bridge publishes what the webhooks post (a message sent or its status changed, a
-- message received, an inbound call) and needs the same guarantee: an event exists if and only
-- if its cause was committed, and it stays pending until the broker acknowledged it, however
-- long the broker is away. So its events are rows of `webhook_event` too, written by the
-- triggers below in the transaction of their cause, with `channel` = 'mqtt' (the webhook
-- sender reads only channel 'webhook'); the bridge publishes them in id order and records the
-- outcome with the same bookkeeping (smsd.store.webhooks), and the webhook sender's clean-up
-- deletes them once finished. `url` is 'mqtt:' and `target` 'mqtt' (one ordered stream).
--
-- The triggers write only while the bridge runs for a user: the daemon stores that user's id
-- in `webhook_option` under 'mqtt_user' at start and removes it when the bridge is off, so the
-- cost in the send path without MQTT is one primary-key lookup per state change. Bodies carry
-- what the bridge publishes, with the phone's name, so publishing needs no other query.
-- A message's `sending` state is internal (it goes back to `queued` on a retry): MQTT hears of
-- a send when it left the queue and of every later change.

ALTER TABLE webhook_event ADD COLUMN channel TEXT NOT NULL DEFAULT 'webhook'
    CHECK (channel IN ('webhook', 'mqtt'));
CREATE INDEX webhook_event_channel ON webhook_event (channel, next_attempt_at, id)
    WHERE state = 'pending';

CREATE TRIGGER sended_mqtt_events AFTER UPDATE OF state ON sended
WHEN OLD.state <> NEW.state AND NEW.state NOT IN ('queued', 'sending')
 AND EXISTS (SELECT 1 FROM webhook_option WHERE name = 'mqtt_user' AND value = NEW.id_user)
BEGIN
    INSERT INTO webhook_event (id_user, url, target, type, subject, body, timestamp, random_id,
                               created_at, next_attempt_at, channel)
    VALUES (NEW.id_user, 'mqtt:', 'mqtt', 'sent', 'sended:' || NEW.id,
            json_object(
                'id', NEW.id,
                'state', NEW.state,
                'status', NEW.status,
                'to', NEW.destination,
                'phone', (SELECT name FROM phone WHERE id = NEW.id_phone),
                'id_phone', NEW.id_phone,
                'scheduled', NEW.originating_scheduled,
                'reason', NEW.reason,
                'at', NEW.updated_at),
            CAST(strftime('%s', 'now') AS INTEGER),
            strftime('%s', 'now') || '-' || lower(hex(randomblob(16))),
            (julianday('now') - 2440587.5) * 86400.0,
            (julianday('now') - 2440587.5) * 86400.0,
            'mqtt');
END;

CREATE TRIGGER received_mqtt_events AFTER INSERT ON received
WHEN EXISTS (SELECT 1 FROM webhook_option WHERE name = 'mqtt_user' AND value = NEW.id_user)
BEGIN
    INSERT INTO webhook_event (id_user, url, target, type, subject, body, timestamp, random_id,
                               created_at, next_attempt_at, channel)
    VALUES (NEW.id_user, 'mqtt:', 'mqtt', 'received', 'received:' || NEW.id,
            json_object(
                'event_type', 'received',
                'id', NEW.id,
                'from', NEW.origin,
                'text', NEW.text,
                'at', NEW.at,
                'phone', (SELECT name FROM phone WHERE id = NEW.id_phone),
                'id_phone', NEW.id_phone,
                'incomplete', json(CASE WHEN NEW.incomplete THEN 'true' ELSE 'false' END)),
            CAST(strftime('%s', 'now') AS INTEGER),
            strftime('%s', 'now') || '-' || lower(hex(randomblob(16))),
            (julianday('now') - 2440587.5) * 86400.0,
            (julianday('now') - 2440587.5) * 86400.0,
            'mqtt');
END;

CREATE TRIGGER call_mqtt_events AFTER INSERT ON call
WHEN NEW.direction = 'inbound'
 AND EXISTS (SELECT 1 FROM webhook_option WHERE name = 'mqtt_user' AND value = NEW.id_user)
BEGIN
    INSERT INTO webhook_event (id_user, url, target, type, subject, body, timestamp, random_id,
                               created_at, next_attempt_at, channel)
    VALUES (NEW.id_user, 'mqtt:', 'mqtt', 'call', 'call:' || NEW.id,
            json_object(
                'event_type', 'call',
                'id', NEW.id,
                'from', NEW.origin,
                'phone', (SELECT name FROM phone WHERE id = NEW.id_phone),
                'id_phone', NEW.id_phone,
                'start', NEW.start),
            CAST(strftime('%s', 'now') AS INTEGER),
            strftime('%s', 'now') || '-' || lower(hex(randomblob(16))),
            (julianday('now') - 2440587.5) * 86400.0,
            (julianday('now') - 2440587.5) * 86400.0,
            'mqtt');
END;
