"""An idle phone's sender takes a free message in the transaction that accepts it.

Real engine, virtual modems on pseudo-terminals, a real SQLite file: a message posted while a
phone waits for work is claimed by that phone in the accepting commit and handed to its sender,
so it reaches the modem after two commits in all (accept with claim, then ``mark_sent``), not
three; phones that must ask the store first (sending limits) and pinned messages go the usual
way.
"""

from __future__ import annotations

import asyncio

from support.polling import until

from smsd.config import LimitConfig
from smsd.store import outbox
from smsd.store.outbox import Recipient


async def _post(rig, number: str, **kwargs: object) -> None:
    await outbox.create_scheduled(
        rig.db, id_user=rig.id_user, text="Your code is 1234", at=None,
        numbers=[Recipient(number=number)], **kwargs,
    )  # fmt: skip


async def _settled(rig, count: int) -> None:
    await until(lambda: len(rig.wire()) >= count, timeout=10)
    await until(lambda: not any(p.busy for p in rig.engine.phones.values()), timeout=10)
    await rig.db._group.drain()


async def test_an_idle_phone_sends_after_two_commits(rig) -> None:
    for name in ("m1", "m2", "m3"):
        await rig.add(name, health_interval=60.0)
    await rig.start()
    await _post(rig, "+33600000000")  # warm-up: every sender has looked once and waits
    await _settled(rig, 1)
    for i in range(1, 6):
        batches = rig.db._group.batches
        await _post(rig, f"+3360000000{i}")
        await _settled(rig, 1 + i)
        # the acceptance (with its claim) and mark_sent; none for a claim of its own
        assert rig.db._group.batches - batches == 2
    found = await rig.db.fetchall("SELECT state, count(*) AS n FROM sended GROUP BY state")
    assert {str(r["state"]): int(r["n"]) for r in found} == {"sent": 6}
    assert sorted(s.destination for s in rig.wire()) == [f"+3360000000{i}" for i in range(6)]


async def test_a_phone_with_sending_limits_claims_on_its_own(rig) -> None:
    limits = [LimitConfig(volume=100, startpoint="today")]
    phone = await rig.add("m1", health_interval=60.0, limits=limits)
    await rig.start()
    await until(lambda: not phone.busy, timeout=5)
    await asyncio.sleep(0.2)
    claims_before = rig.db._group.jobs
    await _post(rig, "+33600000010")
    await _settled(rig, 1)
    # accept, a claim of its own (its limits are counted in the store first), mark_sent
    assert rig.db._group.jobs - claims_before >= 3
    assert [s.destination for s in rig.wire()] == ["+33600000010"]


async def test_a_pinned_message_goes_through_its_phone_as_before(rig) -> None:
    await rig.add("m1", health_interval=60.0)
    second = await rig.add("m2", health_interval=60.0)
    await rig.start()
    await asyncio.sleep(0.2)
    await _post(rig, "+33600000020", id_phone=second.id_phone)
    await _settled(rig, 1)
    assert [s.destination for s in rig.wire("m2")] == ["+33600000020"]
    assert rig.wire("m1") == []
