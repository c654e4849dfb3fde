"""When the next piece of waiting work comes due, so that idle tasks sleep until then.

The dispatcher and the senders are woken at once when new work is committed; what they cannot be
woken for is time passing: a scheduled message dated later, a message held by quiet hours, a
retry delay, a fail-over hold running out. These queries give the earliest such instant (epoch
seconds), read through the reader connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.store.outbox import EXCLUSION_HOLD
from smsd.store.scheduled import Due

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.db import Database

__all__ = ["due_and_next", "next_queued_at", "next_scheduled_at"]

_NEXT_SCHEDULED = (
    "SELECT min(max(due_at, coalesce(deferred_to, 0))) FROM scheduled "
    "WHERE expanded_at IS NULL AND max(due_at, coalesce(deferred_to, 0)) > ?"
)
_DUE = (
    "SELECT id, id_user, commercial, sandbox FROM scheduled "
    "WHERE expanded_at IS NULL AND due_at <= ? "
    "AND (deferred_to IS NULL OR deferred_to <= ?) ORDER BY due_at, id LIMIT ?"
)


async def due_and_next(
    db: Database, *, now: float, limit: int = 100
) -> tuple[list[Due], float | None]:
    """The scheduled messages due at ``now`` and the instant the next one comes due.

    The first as ``scheduled.due_entries``, the second as :func:`next_scheduled_at`, both in one
    visit to the reader's thread.
    """

    def body(conn: sqlite3.Connection) -> tuple[list[Due], float | None]:
        due = [
            Due(int(r[0]), int(r[1]), bool(r[2]), bool(r[3]))
            for r in conn.execute(_DUE, (now, now, limit))
        ]
        found = conn.execute(_NEXT_SCHEDULED, (now,)).fetchone()
        return due, None if found is None or found[0] is None else float(found[0])

    return await db.read(body)


async def next_scheduled_at(db: Database, *, now: float) -> float | None:
    """The earliest instant after ``now`` a scheduled message not yet expanded comes due.

    A message held by quiet hours comes due at its ``deferred_to``. ``None``: nothing waits.
    """
    found = await db.fetchone(_NEXT_SCHEDULED, (now,))
    return None if found is None or found[0] is None else float(found[0])


async def next_queued_at(
    db: Database, *, now: float, exclusion_hold: float = EXCLUSION_HOLD
) -> float | None:
    """The earliest instant after ``now`` a queued message becomes eligible for more phones.

    That is its ``next_attempt_at`` (a retry delay) or, for a message requeued away from a
    phone, the end of that exclusion (the phone may take it again). ``None``: no such instant.
    """
    found = await db.fetchone(
        "SELECT min(CASE WHEN next_attempt_at > :now THEN next_attempt_at "
        "ELSE next_attempt_at + :hold END) FROM sended "
        "WHERE state = 'queued' AND sandbox = 0 AND (next_attempt_at > :now "
        "OR (excluded_phone IS NOT NULL AND next_attempt_at + :hold > :now))",
        {"now": now, "hold": exclusion_hold},
    )
    return None if found is None or found[0] is None else float(found[0])
