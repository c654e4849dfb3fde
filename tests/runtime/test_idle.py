"""An idle engine sleeps: no database look while nothing is due, and time-driven work still runs."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from support.polling import until

from smsd.store import outbox
from smsd.store.outbox import Recipient


def _count_reads(db) -> list[str]:
    """Record every read the store serves from now on (its three ways in)."""
    seen: list[str] = []
    for name in ("fetchone", "fetchall", "read"):
        original = getattr(db, name)

        def counting(*args, _name=name, _original=original, **kwargs):
            seen.append(_name)
            return _original(*args, **kwargs)

        setattr(db, name, counting)
    return seen


async def _sent(rig, count: int) -> bool:
    found = await rig.db.fetchone("SELECT count(*) FROM sended WHERE state = 'sent'")
    return int(found[0]) >= count


async def test_an_idle_engine_does_not_read_the_database(rig) -> None:
    await rig.add("m1")
    await rig.add("m2")
    await rig.start()
    await outbox.create_scheduled(
        rig.db, id_user=rig.id_user, text="hi", at=None, numbers=[Recipient(number="+33611")]
    )
    rig.engine.wake()
    await until(lambda: _sent(rig, 1))
    await asyncio.sleep(0.5)  # the senders and the dispatcher settle
    reads = _count_reads(rig.db)
    await asyncio.sleep(2.0)  # two polls of each task before (senders and dispatcher: 1 s)
    assert reads == []
    assert rig.engine.phones["m1"].modem.ready.is_set()  # the modems kept working meanwhile


async def test_a_message_dated_later_leaves_when_due_without_a_wake(rig) -> None:
    await rig.add("m1")
    await rig.start()
    await asyncio.sleep(0.3)
    due = datetime.fromtimestamp(int(time.time()) + 2)  # noqa: DTZ006 - RaspiSMS's local wall time
    await outbox.create_scheduled(
        rig.db,
        id_user=rig.id_user,
        text="later",
        at=due.strftime("%Y-%m-%d %H:%M:%S"),
        numbers=[Recipient(number="+33612345678")],
    )
    rig.engine.wake()  # once, as the API does after its commit; nothing wakes it when it is due
    await asyncio.sleep(0.2)
    assert rig.wire() == []
    await until(lambda: _sent(rig, 1), timeout=6)
    assert time.time() >= due.timestamp()
    assert [s.text for s in rig.wire()] == ["later"]
