"""Modem faults under a real daemon: the other modem keeps working, work fails over, the faulty
modem comes back when the fault ends, and each fault is logged once (JSON log lines).

The daemon runs as a child process on two virtual modems served here on pseudo-terminals; m1 is
preferred (higher priority), so it holds work when its fault starts. Every scenario:

1. both modems ready; the fault starts on m1;
2. messages are scheduled: every one ends ``sent`` (through m2), or visibly marked (``unknown``
   or ``failed`` with a reason) — none stays queued or in flight, none goes out twice;
3. the fault's warning is logged once for m1, however long it lasts;
4. the fault ends: m1 is logged back and sends again.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from modem_fault_rig import Rig, named, running
from support.fault_rig import duplicates, wire

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

FAULT_TIME = 5.0  # seconds a fault lasts (a real one may last minutes: the behaviour is the same)


async def _no_loss(rig: Rig) -> Counter[str]:
    await rig.until(rig.settled, 60, "every message to settle")
    rows = await rig.db.fetchall("SELECT id, state, reason FROM sended")
    states = Counter(str(r["state"]) for r in rows)
    assert set(states) <= {"sent", "unknown", "failed"}, states
    for r in rows:
        if r["state"] != "sent":
            assert r["reason"], dict(r)  # visibly marked, with the reason
    assert duplicates(wire(rig.modems)) == {}
    return states


async def _recovers(rig: Rig, back_event: str) -> None:
    await rig.until(lambda: named(rig.daemon, back_event, "m1"), 60, f"{back_event} of m1")
    before = len(rig.modems["m1"].modem.submitted)
    await rig.schedule(5, "after the fault {n}")
    await rig.until(lambda: len(rig.modems["m1"].modem.submitted) > before, 30, "m1 to send again")
    await _no_loss(rig)
    assert len(named(rig.daemon, back_event, "m1")) == 1


async def test_a_modem_that_stops_answering(tmp_path) -> None:
    async with running(tmp_path) as rig:
        rig.modems["m1"].modem.faults.silent = True
        await rig.schedule(10)
        await rig.until(lambda: named(rig.daemon, "modem_unavailable", "m1"), 30, "unavailable")
        states = await _no_loss(rig)
        assert states["sent"] >= 9, states  # at most the one in flight is unknown
        await asyncio.sleep(FAULT_TIME)
        assert len(named(rig.daemon, "modem_unavailable", "m1")) == 1
        rig.modems["m1"].modem.faults.silent = False
        await _recovers(rig, "modem_back")
        assert named(rig.daemon, "modem_unavailable", "m2") == []


async def test_a_modem_that_answers_garbage(tmp_path) -> None:
    async with running(tmp_path) as rig:
        rig.modems["m1"].modem.faults.garbage = True
        await rig.schedule(10)
        await rig.until(lambda: named(rig.daemon, "modem_unavailable", "m1"), 30, "unavailable")
        states = await _no_loss(rig)
        assert states["sent"] >= 9, states
        await asyncio.sleep(FAULT_TIME)
        assert len(named(rig.daemon, "modem_unavailable", "m1")) == 1
        rig.modems["m1"].modem.faults.garbage = False
        await _recovers(rig, "modem_back")


async def test_a_storm_of_cms_error_500(tmp_path) -> None:
    async with running(tmp_path) as rig:
        rig.modems["m1"].modem.faults.cms_errors = [500] * 200
        await rig.schedule(20)
        states = await _no_loss(rig)
        assert states == {"sent": 20}, states  # each refused message went out through m2
        refused = named(rig.daemon, "sms_submit_failed", "m1")
        assert [e["log_level"] if "log_level" in e else e["level"] for e in refused] == [
            "warning"
        ]  # one warning for the storm (the rest at debug, not shown at info)
        rig.modems["m1"].modem.faults.cms_errors = []
        before = len(rig.modems["m1"].modem.submitted)
        await rig.schedule(5, "after the storm {n}")
        await rig.until(
            lambda: len(rig.modems["m1"].modem.submitted) > before, 30, "m1 to send again"
        )
        await _no_loss(rig)
        await rig.until(lambda: named(rig.daemon, "sms_submit_recovered", "m1"), 10, "recovered")
        assert len(named(rig.daemon, "sms_submit_recovered", "m1")) == 1


async def test_sim_removed(tmp_path) -> None:
    async with running(tmp_path) as rig:
        rig.modems["m1"].modem.faults.sim_present = False
        await rig.schedule(10)
        # Without its SIM the modem leaves the network: one warning, the work goes to m2.
        await rig.until(lambda: named(rig.daemon, "network_lost", "m1"), 30, "network_lost")
        states = await _no_loss(rig)
        assert states == {"sent": 10}, states
        await asyncio.sleep(FAULT_TIME)
        assert len(named(rig.daemon, "network_lost", "m1")) == 1
        rig.modems["m1"].modem.faults.sim_present = True
        await _recovers(rig, "network_registered")


async def test_network_lost(tmp_path) -> None:
    async with running(tmp_path) as rig:
        faults = rig.modems["m1"].modem.faults
        faults.registered = False
        await rig.modems["m1"].inject_urc("+CREG: 0")
        await rig.until(lambda: named(rig.daemon, "network_lost", "m1"), 30, "network_lost")
        await rig.schedule(10)
        states = await _no_loss(rig)
        assert states == {"sent": 10}, states
        assert {s.modem for s in wire(rig.modems)} == {"m2"}
        await asyncio.sleep(FAULT_TIME)  # health checks keep seeing it unregistered
        await rig.modems["m1"].inject_urc("+CREG: 0")
        assert len(named(rig.daemon, "network_lost", "m1")) == 1
        faults.registered = True
        await rig.modems["m1"].inject_urc("+CREG: 1")
        await _recovers(rig, "network_registered")


async def test_storage_full(tmp_path) -> None:
    async with running(tmp_path) as rig:
        m1 = rig.modems["m1"]
        m1.modem.faults.storage_capacity = 2
        texts = [f"incoming while full {n}" for n in range(12)]
        for n, text in enumerate(texts):
            await m1.deliver(f"+3370000{n:04d}", text)

        async def stored() -> bool:
            found = await rig.db.fetchone("SELECT count(*) FROM received")
            assert found is not None
            return int(found[0]) >= len(texts)

        await rig.until(stored, 60, "every incoming SMS to be stored")
        rows = await rig.db.fetchall("SELECT text FROM received")
        assert Counter(str(r["text"]) for r in rows) == Counter(texts)  # each once
        assert m1.modem.network_queue_length == 0
        assert m1.modem.memory("SM").used == 0
        full = named(rig.daemon, "modem_storage_full", "m1")
        assert len(full) == 1, full  # one warning for the whole burst
        await rig.until(lambda: named(rig.daemon, "modem_storage_freed", "m1"), 10, "freed")
        await rig.schedule(5)
        await _no_loss(rig)
