"""Quiet hours in the store: holding a commercial scheduled message until an allowed time.

The dispatcher (which knows the rule) calls :func:`defer` for a due commercial message it may not
send now: ``deferred_to`` (unix seconds) and ``deferred_reason`` are set, and
:func:`smsd.store.scheduled.due_entries` skips the message until then. ``/api/list/scheduled``
shows both. :func:`release_all` forgets every deferral (at start, or when a rule changed), so the
next look judges the messages again with the rule in force.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smsd.store.db import Database

__all__ = ["defer", "release_all"]


async def defer(db: Database, id_scheduled: int, *, until: float, reason: str) -> bool:
    """Hold a scheduled message not yet expanded until ``until``; ``False`` if it is gone."""
    return bool(
        await db.execute(
            "UPDATE scheduled SET deferred_to = ?, deferred_reason = ?, "
            "updated_at = datetime('now', 'localtime') WHERE id = ? AND expanded_at IS NULL",
            (until, reason, id_scheduled),
        )
    )


async def release_all(db: Database, *, id_user: int | None = None) -> int:
    """Clear the deferrals of messages not yet sent (one user's, or all); return how many."""
    return await db.execute(
        "UPDATE scheduled SET deferred_to = NULL WHERE expanded_at IS NULL "
        "AND deferred_to IS NOT NULL AND (? IS NULL OR id_user = ?)",
        (id_user, id_user),
    )
