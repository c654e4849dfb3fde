"""A JSON command's ``ref`` is an idempotency key; a command without one is never deduplicated."""

from __future__ import annotations

import asyncio
import json

from mqtt_helpers import Subscriber, publish
from support.polling import until

TO = "+33612345678"


async def test_the_same_ref_is_sent_once_and_answered_again(rig, broker):
    async with Subscriber(broker.port, "smsd/send/result", client_id="t-ref") as sub:
        await rig.start()
        command = {"to": TO, "text": "Alarm: door opened", "ref": "alarm-42"}
        await publish(broker.port, "smsd/send", json.dumps(command))
        await until(lambda: len(sub.json_on("smsd/send/result")) == 1)
        # A retry with the same ref and command (keys in another order: same command).
        retry = {"ref": "alarm-42", "text": "Alarm: door opened", "to": TO}
        await publish(broker.port, "smsd/send", json.dumps(retry))
        await until(lambda: len(sub.json_on("smsd/send/result")) == 2)
        # The same ref for another command: refused, nothing stored.
        other = {"to": TO, "text": "Alarm: window opened", "ref": "alarm-42"}
        await publish(broker.port, "smsd/send", json.dumps(other))
        await until(lambda: len(sub.json_on("smsd/send/result")) == 3)
        await until(rig.wire)
        await asyncio.sleep(1.0)  # nothing more goes out
    first, second, third = sub.json_on("smsd/send/result")
    assert first["ok"] is True
    assert first["ref"] == "alarm-42"
    assert second == first
    assert third["ok"] is False
    assert third["error"] == "ref_reused"
    assert third["ref"] == "alarm-42"
    assert [(s.destination, s.text) for s in rig.wire()] == [(TO, "Alarm: door opened")]
    rows = await rig.daemon.db.fetchall("SELECT id FROM scheduled")
    assert [r["id"] for r in rows] == [first["id"]]


async def test_identical_commands_without_ref_are_each_sent(rig, broker):
    async with Subscriber(broker.port, "smsd/send/result", client_id="t-noref") as sub:
        await rig.start()
        for _ in range(2):
            await publish(broker.port, "smsd/send/33612345678", "Water leak in the cellar")
        await until(lambda: len(sub.json_on("smsd/send/result")) == 2)
        await until(lambda: len(rig.wire()) == 2)
    first, second = sub.json_on("smsd/send/result")
    assert first["ok"]
    assert second["ok"]
    assert first["id"] != second["id"]
