"""When the next piece of waiting work comes due, so that idle tasks sleep until then.

The dispatcher and the senders are woken at once when new work is committed; what they cannot be
woken for is time passing: a scheduled message dated later, a message held by quiet hours, a
retry delay, a fail-over hold running out. These queries give the earliest such instant (epoch
seconds), read through the reader connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.store.claiming import EXCLUSION_HOLD, queued_due_after
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
    """:func:`smsd.store.claiming.queued_due_after`, read through the reader connection."""
    return await db.read(lambda conn: queued_due_after(conn, now, exclusion_hold))
