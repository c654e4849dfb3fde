"""Messages expanded as they are accepted wake as many idle senders as they need, not all."""

from __future__ import annotations

import asyncio
from collections import Counter

from support.polling import until

from smsd.store import outbox
from smsd.store.rows import Recipient
from smsd.store.scheduled import create_scheduled

MESSAGES = 12


async def _all_sent(rig, count: int) -> bool:
    found = await rig.db.fetchone("SELECT count(*) AS n FROM sended WHERE state = 'sent'")
    return found is not None and found["n"] == count


async def test_one_free_message_at_a_time_wakes_one_of_four_idle_senders(rig, monkeypatch) -> None:
    phones = [await rig.add(f"m{n}") for n in range(1, 5)]
    await rig.start()
    await until(lambda: all(p.modem.ready.is_set() for p in phones))
    await asyncio.sleep(0.5)  # the wakes of the phones coming up are over
    claims: Counter[int] = Counter()
    original = outbox.claim_next

    async def counted(db, **kwargs):
        claims[kwargs["id_phone"]] += 1
        return await original(db, **kwargs)

    monkeypatch.setattr(outbox, "claim_next", counted)
    for n in range(MESSAGES):
        await create_scheduled(
            rig.db, id_user=rig.id_user, text=f"one at a time {n}", at=None,
            numbers=[Recipient(f"+336100000{n:02d}")],
        )  # fmt: skip
        await until(lambda n=n: _all_sent(rig, n + 1), timeout=10)  # sent at once, no timer
    # Each message woke one idle sender, which took it: no losing claims by the three others.
    assert sum(claims.values()) <= MESSAGES + 6, claims  # all four: about 4 x MESSAGES
    wire = Counter(s.destination for s in rig.wire())
    assert set(wire.values()) == {1}
    assert len(wire) == MESSAGES


async def test_a_pinned_message_reaches_its_phone_among_idle_ones(rig) -> None:
    phones = [await rig.add(f"m{n}") for n in range(1, 5)]
    await rig.start()
    await until(lambda: all(p.modem.ready.is_set() for p in phones))
    pinned = phones[3]
    await create_scheduled(
        rig.db, id_user=rig.id_user, text="for m4 only", at=None,
        numbers=[Recipient("+33610000099")], id_phone=pinned.id_phone,
    )  # fmt: skip
    await until(lambda: _all_sent(rig, 1), timeout=10)
    assert [s.destination for s in rig.wire("m4")] == ["+33610000099"]
