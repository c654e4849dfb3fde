"""What the MQTT bridge reads and writes: its events in the shared outbox, and a few figures.

The bridge's events are rows of ``webhook_event`` with ``channel = 'mqtt'``, written by the
triggers of the MQTT migration while ``webhook_option`` names the bridge's user (see that
migration). :func:`start_events` and :func:`stop_events` turn the triggers on and off;
:func:`pending_events` and :func:`mark_published` are :func:`~smsd.store.webhooks.due_events`
and :func:`~smsd.store.webhooks.record_outcomes` for that channel. Nothing here knows MQTT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store.webhooks import Outcome, due_events, record_outcomes

if TYPE_CHECKING:
    from collections.abc import Sequence

    from smsd.store.db import Database
    from smsd.store.webhooks import EventRow

__all__ = [
    "CHANNEL",
    "LastReceived",
    "PhoneFigures",
    "mark_published",
    "pending_events",
    "phone_figures",
    "start_events",
    "stop_events",
    "user_id",
]

CHANNEL = "mqtt"
_OPTION = "mqtt_user"


@dataclass(frozen=True)
class LastReceived:
    """The latest message a phone received."""

    id: int
    sender: str
    text: str
    at: str


@dataclass(frozen=True)
class PhoneFigures:
    """What the store knows of one phone for its state topic."""

    queue: int
    """Messages waiting that only this phone may send."""
    sent_today: int
    """Messages with a segment this phone sent since ``since`` (local midnight)."""
    last_received: LastReceived | None


async def start_events(db: Database, id_user: int) -> None:
    """Have the triggers write MQTT events for ``id_user``'s messages and calls."""
    await db.execute(
        "INSERT INTO webhook_option (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (_OPTION, float(id_user)),
    )


async def stop_events(db: Database) -> int:
    """No more MQTT events; those still pending are dropped (nobody would publish them)."""
    await db.execute("DELETE FROM webhook_option WHERE name = ?", (_OPTION,))
    return await db.execute(
        "DELETE FROM webhook_event WHERE channel = ? AND state = 'pending'", (CHANNEL,)
    )


async def pending_events(
    db: Database, *, limit: int, exclude_ids: Sequence[int] = ()
) -> list[EventRow]:
    """The oldest pending MQTT events, in order, at most ``limit``."""
    return await due_events(db, now=math.inf, limit=limit, exclude_ids=exclude_ids, channel=CHANNEL)


async def mark_published(db: Database, ids: Sequence[int], *, at: float) -> None:
    """The broker acknowledged these events: one transaction for the batch."""
    await record_outcomes(db, [Outcome(id=i, at=at, delivered=True) for i in ids])


async def phone_figures(db: Database, id_phone: int, *, since: float) -> PhoneFigures:
    """The queue, the day's count and the last received message of one phone (indexed reads)."""
    queue = await db.fetchone(
        "SELECT count(*) FROM sended WHERE pinned_phone = ? AND state = 'queued'", (id_phone,)
    )
    sent = await db.fetchone(
        "SELECT count(DISTINCT id_sended) FROM sended_segment "
        "WHERE id_phone = ? AND sent_at >= ? AND state IN ('sent', 'unknown')",
        (id_phone, since),
    )
    last = await db.fetchone(
        "SELECT id, origin, text, at FROM received WHERE id_phone = ? ORDER BY id DESC LIMIT 1",
        (id_phone,),
    )
    return PhoneFigures(
        queue=0 if queue is None else int(queue[0]),
        sent_today=0 if sent is None else int(sent[0]),
        last_received=None
        if last is None
        else LastReceived(
            id=int(last["id"]),
            sender=str(last["origin"]),
            text=str(last["text"]),
            at=str(last["at"]),
        ),
    )


async def user_id(db: Database, email: str) -> int | None:
    """The id of the user with this e-mail, or ``None``."""
    found = await db.fetchone("SELECT id FROM user WHERE email = ?", (email,))
    return None if found is None else int(found["id"])
