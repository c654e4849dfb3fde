"""The MQTT bridge end to end: a real mosquitto, the daemon on virtual modems over ptys."""

from __future__ import annotations

import asyncio
import json

from mqtt_helpers import Subscriber, publish
from structlog.testing import capture_logs
from support.polling import until

from smsd.store.rows import Recipient
from smsd.store.scheduled import create_scheduled

SENDER = "+33612345678"
TO = "+33698765432"


async def _received_rows(rig) -> int:
    found = await rig.daemon.db.fetchone("SELECT count(*) FROM received")
    return int(found[0])


async def test_send_command_leaves_the_modem_once_and_its_result_is_published(rig, broker):
    async with Subscriber(broker.port, "smsd/#", client_id="t-send") as sub:
        await rig.start()
        await until(lambda: sub.on("smsd/status") == [b"online"])
        command = {"to": TO, "text": "Power is back", "ref": "abc"}
        await publish(broker.port, "smsd/send", json.dumps(command))
        await until(lambda: sub.json_on("smsd/send/result"))
        [result] = sub.json_on("smsd/send/result")
        assert result["ok"] is True
        assert result["to"] == TO
        assert result["ref"] == "abc"
        scheduled = result["id"]
        await until(rig.wire)
        await until(lambda: any(t.startswith("smsd/sent/") for t, _, _ in sub.messages))
        [(topic, payload)] = sub.matching("smsd/sent/")
        event = json.loads(payload)
        assert topic == f"smsd/sent/{event['id']}"
        assert event["state"] == "sent"
        assert event["to"] == TO
        assert event["phone"] == "dongle-1"
        assert event["scheduled"] == scheduled
        # Plain text on smsd/send/<digits>.
        await publish(broker.port, "smsd/send/33698765432", "Second message, plain")
        await until(lambda: len(rig.wire()) == 2)
        await asyncio.sleep(1.0)  # nothing more goes out
    wire = rig.wire()
    assert [(s.destination, s.text) for s in wire] == [
        (TO, "Power is back"),
        (TO, "Second message, plain"),
    ]
    results = sub.json_on("smsd/send/result")
    assert len(results) == 2
    assert all(r["ok"] for r in results)
    rows = await rig.daemon.db.fetchall("SELECT id FROM scheduled")
    assert len(rows) == 2


async def test_bad_commands_get_an_error_result_and_store_nothing(rig, broker):
    async with Subscriber(broker.port, "smsd/send/result", client_id="t-bad") as sub:
        await rig.start()
        await publish(broker.port, "smsd/send", b"not json")
        await publish(broker.port, "smsd/send", json.dumps({"to": "12", "text": "x", "ref": 7}))
        await publish(broker.port, "smsd/send", json.dumps({"to": TO, "text": ""}))
        await publish(
            broker.port, "smsd/send", json.dumps({"to": TO, "text": "x", "phone": "nope"})
        )
        await publish(
            broker.port, "smsd/send", json.dumps({"to": TO, "text": "x", "priority": "1"})
        )
        await publish(broker.port, "smsd/send/33x", "text")
        await until(lambda: len(sub.json_on("smsd/send/result")) == 6)
    codes = [(r["ok"], r["error"]) for r in sub.json_on("smsd/send/result")]
    assert codes == [
        (False, "bad_payload"),
        (False, "bad_to"),
        (False, "bad_text"),
        (False, "bad_phone"),
        (False, "bad_priority"),
        (False, "bad_to"),
    ]
    assert sub.json_on("smsd/send/result")[1]["ref"] == 7
    assert (await rig.daemon.db.fetchone("SELECT count(*) FROM scheduled"))[0] == 0


async def test_incoming_sms_is_published_once(rig, broker):
    async with Subscriber(broker.port, "smsd/#", client_id="t-in") as sub:
        await rig.start()
        await until(lambda: sub.on("smsd/status") == [b"online"])
        await rig.modems["dongle-1"].deliver(SENDER, "Alarm: door open")
        await until(lambda: sub.on("smsd/received"))
        await until(lambda: sub.on("smsd/phone/dongle-1/received"))
        await asyncio.sleep(1.0)
    [event] = sub.json_on("smsd/received")
    assert event["event_type"] == "received"
    assert (event["from"], event["text"], event["phone"]) == (
        SENDER,
        "Alarm: door open",
        "dongle-1",
    )
    assert sub.json_on("smsd/phone/dongle-1/received") == [event]
    states = sub.json_on("smsd/phone/dongle-1/state")
    assert states[-1]["last_received"]["text"] == "Alarm: door open"


async def test_broker_restart_loses_nothing(rig, broker):
    """Stopped broker: an SMS arrives and two messages are sent; all is published afterwards."""
    async with Subscriber(broker.port, "smsd/#", client_id="t-restart") as sub:
        daemon = await rig.start()
        await until(lambda: sub.on("smsd/status") == [b"online"])
        await broker.astop()
        await rig.modems["dongle-1"].deliver(SENDER, "Arrived while the broker was down")
        await until(lambda: _received_rows(rig))
        states_before = len(sub.on("smsd/phone/dongle-1/state"))
        for n in range(2):
            await create_scheduled(
                daemon.db, id_user=1, text=f"queued {n}", at=None, numbers=[Recipient(TO)]
            )
        daemon.engine.wake()
        await until(lambda: len(rig.wire()) == 2)
        await asyncio.sleep(1.5)  # the bridge keeps trying meanwhile
        await broker.astart()
        await until(lambda: sub.on("smsd/received"), timeout=20)
        await until(lambda: len(sub.matching("smsd/sent/")) == 2, timeout=20)
        await asyncio.sleep(1.0)
    [event] = sub.json_on("smsd/received")
    assert event["text"] == "Arrived while the broker was down"
    assert len(sub.on("smsd/phone/dongle-1/state")) > states_before  # published again
    sent = sorted(json.loads(p)["id"] for _, p in sub.matching("smsd/sent/"))
    assert len(set(sent)) == 2
    assert sub.on("smsd/status")[-1] == b"online"
    pending = await daemon.db.fetchone(
        "SELECT count(*) FROM webhook_event WHERE channel = 'mqtt' AND state = 'pending'"
    )
    assert pending[0] == 0


async def test_clean_stop_publishes_offline(rig, broker):
    async with Subscriber(broker.port, "smsd/status", client_id="t-stop") as sub:
        await rig.start()
        await until(lambda: sub.on("smsd/status") == [b"online"])
        assert await rig.stop() == 0
        await until(lambda: sub.on("smsd/status")[-1:] == [b"offline"])


async def test_a_broker_down_at_start_is_logged_once_and_blocks_nothing(rig, broker):
    async with Subscriber(broker.port, "smsd/#", client_id="t-late") as sub:
        await broker.astop()
        with capture_logs() as logs:
            daemon = await rig.start()
            await create_scheduled(
                daemon.db, id_user=1, text="no broker", at=None, numbers=[Recipient(TO)]
            )
            daemon.engine.wake()
            await until(lambda: len(rig.wire()) == 1)
            await asyncio.sleep(2.0)  # several connection attempts (reconnect_max = 0.5 s)
            await broker.astart()
            await until(lambda: sub.matching("smsd/sent/"), timeout=20)
    unavailable = [e for e in logs if e["event"] == "mqtt_broker_unavailable"]
    assert [e["log_level"] for e in unavailable].count("warning") == 1
    assert len(unavailable) >= 3
    assert [e["event"] for e in logs].count("mqtt_connected") == 1


async def test_inbound_call_is_published(rig, broker):
    async with Subscriber(broker.port, "smsd/call", client_id="t-call") as sub:
        await rig.start()
        await rig.modems["dongle-1"].ring(SENDER, rings=2, interval=0.5, end_urc="NO CARRIER")
        await until(lambda: sub.json_on("smsd/call"))
        await asyncio.sleep(0.5)
    [call] = sub.json_on("smsd/call")
    assert (call["event_type"], call["from"], call["phone"]) == ("call", SENDER, "dongle-1")


async def test_commands_sent_while_smsd_is_stopped_wait_at_the_broker(rig, broker):
    async with Subscriber(broker.port, "smsd/send/result", client_id="t-wait") as sub:
        await rig.start()
        await until(lambda: rig.daemon.engine.phones)
        assert await rig.stop() == 0
        await publish(broker.port, "smsd/send", json.dumps({"to": TO, "text": "Queued at broker"}))
        await rig.start()
        await until(rig.wire)
        await until(lambda: sub.json_on("smsd/send/result"))
        await asyncio.sleep(0.5)
    assert [s.text for s in rig.wire()] == ["Queued at broker"]
    assert [r["ok"] for r in sub.json_on("smsd/send/result")] == [True]
