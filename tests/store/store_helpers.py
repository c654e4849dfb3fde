"""Helpers shared by the store tests."""

from __future__ import annotations

from smsd.store import outbox
from smsd.store.outbox import Recipient

NOW = 1_700_000_000.0


def plain(text, _recipient, _metas):
    return text


def one_segment(_text) -> int:
    return 1


async def queue(
    db, id_user: int, *numbers: str, segments: int = 1, now: float = NOW, **kw
) -> list[int]:
    """Schedule ``numbers`` and expand at once: the ids of the queued messages."""
    id_scheduled = await outbox.create_scheduled(
        db,
        id_user=id_user,
        text=kw.pop("text", "hello"),
        at=None,
        numbers=[Recipient(number=n) for n in numbers],
        **kw,
    )
    return await outbox.expand_scheduled(
        db, id_scheduled, now=now, render=plain, plan=lambda _t: segments
    )


async def state(db, id_sended: int) -> tuple[str, str, str | None]:
    found = await db.fetchone("SELECT state, status, reason FROM sended WHERE id = ?", (id_sended,))
    return found["state"], found["status"], found["reason"]


async def segment_states(db, id_sended: int) -> list[str]:
    found = await db.fetchall(
        "SELECT state FROM sended_segment WHERE id_sended = ? ORDER BY seq", (id_sended,)
    )
    return [r["state"] for r in found]


async def send_all(
    db, id_sended: int, id_phone: int, *, now: float = NOW, first_ref: int = 10
) -> None:
    """claim -> every segment sent -> mark_sent."""
    assert await outbox.claim(db, id_sended, id_phone=id_phone, now=now)
    for seq in await outbox.unsent_segments(db, id_sended):
        await outbox.mark_segment_sent(db, id_sended, seq, reference=first_ref + seq - 1, now=now)
    await outbox.mark_sent(db, id_sended, now=now)
