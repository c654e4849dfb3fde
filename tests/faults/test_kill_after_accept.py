"""SIGKILL right after the API answered a post: the message is already queued, and goes once.

A message due now is expanded in the transaction that accepts it, so when ``POST
/api/scheduled/`` answers 201 its outgoing message is on disk (``queued``, or further if a
sender already claimed it). The daemon is killed the instant the answer arrives, while the modem
takes its time over each submit; after a restart every message is either sent exactly once or,
if a submit was in flight at the kill, marked ``unknown`` (reason ``interrupted``) and never
sent again.
"""

from __future__ import annotations

from collections import Counter

import pytest
from modem_fault_rig import Rig, named, write_config
from support.fault_rig import API_KEY, EMAIL, DaemonProcess, start_modems, tear_down, wire

from smsd.modem.virtual import Faults
from smsd.store import accounts, outbox
from smsd.store.db import Database

pytestmark = pytest.mark.timeout(90)

ROUNDS = 4


async def _start(rig: Rig) -> None:
    """Start the daemon; return once this run's modems are ready and its API listens."""
    before = [rig.ready("m1"), rig.ready("m2"), len(named(rig.daemon, "api_listening"))]

    def up() -> bool:
        now = [rig.ready("m1"), rig.ready("m2"), len(named(rig.daemon, "api_listening"))]
        return all(a > b for a, b in zip(now, before, strict=True))

    await rig.daemon.start()
    await rig.until(up, 30, "both modems ready and the API listening")


async def test_a_message_killed_after_its_answer_is_sent_once_or_marked(tmp_path) -> None:
    modems = await start_modems(["m1", "m2"], Faults(submit_delay=0.3))
    db = await Database.open(tmp_path / "smsd.sqlite3")
    daemon = DaemonProcess(write_config(tmp_path, modems))
    try:
        id_user = await accounts.ensure_user(db, email=EMAIL, api_key=API_KEY, admin=True)
        rig = Rig(daemon, modems, db, id_user)
        for _ in range(ROUNDS):
            await _start(rig)
            await rig.schedule(1)  # returns on the 201
            await daemon.kill()
            number = f"+3361{rig.scheduled:07d}"
            found = await db.fetchall(
                "SELECT s.state FROM sended AS s JOIN scheduled AS c "
                "ON c.id = s.originating_scheduled "
                "WHERE s.destination = ? AND c.expanded_at IS NOT NULL",
                (number,),
            )
            # Durable before the answer: expanded with its acceptance, not by the dispatcher.
            assert [r["state"] for r in found] in (["queued"], ["sending"], ["sent"]), found
        await _start(rig)
        await rig.until(rig.settled, 30, "every message to settle")
        assert await daemon.stop() == 0, daemon.logs()
        rows = await db.fetchall("SELECT destination, state, reason FROM sended")
        assert len(rows) == ROUNDS
        on_wire = Counter(segment.destination for segment in wire(modems))
        for r in rows:
            sent = on_wire[str(r["destination"]).lstrip("+")] + on_wire[str(r["destination"])]
            if r["state"] == "sent":
                assert sent == 1, (dict(r), on_wire)
            else:
                assert r["state"] == "unknown", dict(r)
                assert r["reason"] == outbox.INTERRUPTED
                assert sent <= 1
    finally:
        await tear_down(daemon, modems, db)
