"""A modem that answers ``AT+CMGS`` with a bare ``OK`` (no ``+CMGS: <mr>``), under a real daemon.

Some firmware does, and line noise can garble the reference. The daemon runs as a child process on
two virtual modems served here on pseudo-terminals, each answering 30 % of submits that way: every
message ends ``sent`` (those without a reference say so in their reason), none is left queued or
in flight, none goes out twice, no runtime task crashes, and the modems keep sending.
"""

from __future__ import annotations

import pytest
from modem_fault_rig import named, running
from support.fault_rig import duplicates, wire

from smsd.store.outbox import NO_REFERENCE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


async def test_bare_ok_to_cmgs_leaves_nothing_wedged(tmp_path) -> None:
    async with running(tmp_path) as rig:
        for pty in rig.modems.values():
            pty.modem.faults.bare_ok = 0.3
        await rig.schedule(30)
        await rig.until(rig.settled, 60, "every message to settle")
        rows = await rig.db.fetchall("SELECT id, state, uid, reason FROM sended")
        assert {r["state"] for r in rows} == {"sent"}, [dict(r) for r in rows]
        no_reference = [r for r in rows if r["uid"] is None]
        assert len(no_reference) >= 8  # 30 % of 30 submits
        for row in no_reference:
            assert row["reason"] == NO_REFERENCE.format(seq=1)
        segments = await rig.db.fetchall(
            "SELECT state, reference FROM sended_segment WHERE reference IS NULL"
        )
        assert len(segments) == len(no_reference)
        assert {s["state"] for s in segments} == {"sent"}
        assert duplicates(wire(rig.modems)) == {}
        assert len(wire(rig.modems)) == 30
        assert named(rig.daemon, "task_crashed") == []
        assert named(rig.daemon, "sms_submitted_without_reference")

        await rig.schedule(5, "after {n}")
        await rig.until(rig.settled, 30, "the next messages to settle")
        assert len(wire(rig.modems)) == 35
