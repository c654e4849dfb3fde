"""The inbox: part deduplication and completion, received deduplication, expiry."""

from __future__ import annotations

import pytest
from store_helpers import NOW

from smsd.runtime.receiver import join
from smsd.store import inbox
from smsd.store.errors import InvalidValueError

TS = "2024-05-01 10:00:00"


async def part(
    db, phone, seq, *, total=3, reference=7, sender="+33611111111", ts=TS, now=NOW, text=None
):
    return await inbox.store_part(
        db, id_phone=phone, sender=sender, reference=reference, total=total, seq=seq,
        text=f"part{seq}" if text is None else text, data=None, smsc_timestamp=ts, pdu="00",
        now=now,
    )  # fmt: skip


async def complete(db, phone, *, total=3, reference=7, sender="+33611111111"):
    """The receiver's decision over what the store holds: the whole message, or ``None``."""
    held = await inbox.held_parts(
        db, id_phone=phone, sender=sender, reference=reference, total=total
    )
    return join(held, timeout=1800.0)


async def test_parts_are_deduplicated_and_complete_in_order(db, user, phone) -> None:
    assert await part(db, phone, 3)
    assert not await part(db, phone, 3)  # the SIM read again after a restart
    assert await complete(db, phone) is None
    assert await part(db, phone, 1)
    assert await complete(db, phone) is None
    assert await part(db, phone, 2)
    parts = await complete(db, phone)
    assert parts is not None
    assert [p.seq for p in parts] == [1, 2, 3]
    assert "".join(p.text for p in parts) == "part1part2part3"
    assert (parts[0].sender, parts[0].reference, parts[0].total, parts[0].smsc_timestamp) == (
        "+33611111111", 7, 3, TS,
    )  # fmt: skip
    # other groups are separate
    assert await complete(db, phone, reference=8) is None
    assert await complete(db, phone, sender="+33622222222") is None


async def test_binary_parts_keep_their_bytes(db, user, phone) -> None:
    await inbox.store_part(
        db, id_phone=phone, sender="x", reference=1, total=1, seq=1, text=None, data=b"\x00\xff",
        smsc_timestamp=TS, pdu="00", now=NOW,
    )  # fmt: skip
    [only] = await complete(db, phone, total=1, reference=1, sender="x")
    assert (only.text, only.data) == (None, b"\x00\xff")


async def test_store_received_commits_and_deletes_parts(db, user, phone) -> None:
    for seq in (1, 2, 3):
        await part(db, phone, seq)
    parts = await complete(db, phone)
    new_id = await inbox.store_received(
        db, id_user=user, id_phone=phone, origin="+33611111111", text="part1part2part3", at=TS,
        dedupe_key="k1", part_ids=[p.id for p in parts],
    )  # fmt: skip
    assert new_id is not None
    row = await db.fetchone("SELECT * FROM received WHERE id = ?", (new_id,))
    assert (row["text"], row["status"], row["origin"], row["incomplete"], row["at"]) == (
        "part1part2part3", "unread", "+33611111111", 0, TS,
    )  # fmt: skip
    assert await db.fetchall("SELECT * FROM received_part") == []


async def test_received_is_deduplicated(db, user, phone) -> None:
    kwargs = {"id_user": user, "id_phone": phone, "origin": "+336", "text": "hi", "at": TS}
    first = await inbox.store_received(db, dedupe_key="same", **kwargs)
    assert first is not None
    assert await inbox.store_received(db, dedupe_key="same", **kwargs) is None
    assert (await db.fetchone("SELECT count(*) FROM received"))[0] == 1
    with pytest.raises(InvalidValueError):
        await inbox.store_received(db, dedupe_key="", **kwargs)
    with pytest.raises(InvalidValueError):
        await inbox.store_received(db, dedupe_key="x", **{**kwargs, "at": "yesterday"})


async def test_expired_parts_are_handed_out_and_cleared(db, user, phone, phone2) -> None:
    await part(db, phone, 1, now=NOW)
    await part(db, phone, 3, now=NOW + 10)
    await part(db, phone, 1, reference=9, now=NOW + 1000)  # young
    await part(db, phone2, 2, now=NOW)  # another phone
    groups = await inbox.expired_parts(db, id_phone=phone, older_than=NOW + 500)
    assert [[p.seq for p in g] for g in groups] == [[1, 3]]
    assert len(await inbox.expired_parts(db, older_than=NOW + 500)) == 2
    [parts] = groups
    stored = await inbox.store_received(
        db, id_user=user, id_phone=phone, origin="+33611111111", text="part1part3", at=TS,
        dedupe_key="inc", incomplete=True, part_ids=[p.id for p in parts],
    )  # fmt: skip
    row = await db.fetchone("SELECT incomplete FROM received WHERE id = ?", (stored,))
    assert row["incomplete"] == 1
    assert await inbox.expired_parts(db, id_phone=phone, older_than=NOW + 500) == []


async def test_resent_copies_of_a_part_are_cleared_with_it(db, user, phone) -> None:
    await part(db, phone, 1, total=2)
    await part(db, phone, 1, total=2, ts="2024-05-01 10:00:05", text="copy")
    await part(db, phone, 2, total=2)
    parts = await complete(db, phone, total=2)
    assert [p.text for p in parts] == ["part1", "part2"]
    await inbox.store_received(
        db, id_user=user, id_phone=phone, origin="+33611111111", text="x", at=TS, dedupe_key="k",
        part_ids=[p.id for p in parts],
    )  # fmt: skip
    assert await db.fetchall("SELECT * FROM received_part") == []


@pytest.mark.parametrize(("seq", "total"), [(0, 3), (4, 3), (1, 0), (1, 256)])
async def test_bad_part_numbers_are_refused(db, user, phone, seq, total) -> None:
    with pytest.raises(InvalidValueError):
        await part(db, phone, seq, total=total)


async def test_mark_read(db, user, phone) -> None:
    new_id = await inbox.store_received(
        db, id_user=user, id_phone=phone, origin="+336", text="hi", at=TS, dedupe_key="k"
    )
    assert await inbox.mark_read(db, id_user=user, id_received=new_id)
    assert (await db.fetchone("SELECT status FROM received"))[0] == "read"
    assert await inbox.mark_read(db, id_user=user, id_received=new_id, read=False)
    assert not await inbox.mark_read(db, id_user=user + 1, id_received=new_id)
