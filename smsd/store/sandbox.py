"""Sandbox messages: everything a real message goes through, except a modem.

A scheduled message created with ``sandbox`` is expanded like any other (recipients, STOP list,
templating, segments, ids) into ``sended`` rows marked ``sandbox = 1``. Senders never see them
(:func:`smsd.store.outbox.next_queued_sql` skips them). :func:`simulate` walks each one through
``queued -> sending -> sent -> delivered`` in one transaction whose state changes fire the usual
webhook triggers (``send_sms``, then ``send_sms_status_change`` to ``delivered``); its segments
get no phone, so no phone limit counts them, and no quota is charged. ``uid`` is
``sandbox-<id>``. :func:`purge` deletes sandbox rows (scheduled and sent) older than a day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.store.walltime import wall

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.db import Database

__all__ = ["MAX_AGE", "purge", "simulate"]

MAX_AGE = 86400.0
"""Seconds a sandbox message is kept (providers purge theirs daily)."""
_BATCH = 500


async def simulate(db: Database, *, now: float) -> list[int]:
    """Deliver (simulated) every queued sandbox message; return their ids."""

    def body(conn: sqlite3.Connection) -> list[int]:
        ids = [
            int(r[0])
            for r in conn.execute(
                "SELECT id FROM sended WHERE sandbox = 1 AND state = 'queued' ORDER BY id LIMIT ?",
                (_BATCH,),
            )
        ]
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        moment = wall(now)
        for state in ("sending", "sent", "delivered"):
            conn.execute(
                f"UPDATE sended SET state = ?, id_phone = NULL, updated_at = ?, "  # noqa: S608 - placeholders only
                f"uid = 'sandbox-' || id, at = CASE WHEN ? = 'sent' THEN ? ELSE at END "
                f"WHERE id IN ({marks}) AND sandbox = 1",
                (state, moment, state, moment, *ids),
            )
            if state == "sending":
                conn.execute(
                    f"UPDATE sended_segment SET state = 'sent', sent_at = ?, "  # noqa: S608 - placeholders only
                    f"report = 'delivered', reported_at = ? WHERE id_sended IN ({marks})",
                    (now, now, *ids),
                )
        return ids

    return await db.write("simulate_sandbox", body)


async def purge(db: Database, *, now: float, max_age: float = MAX_AGE) -> int:
    """Delete sandbox messages (sent and scheduled) older than ``max_age``; return how many."""
    limit = now - max_age

    def body(conn: sqlite3.Connection) -> int:
        sent = conn.execute(
            "DELETE FROM sended WHERE sandbox = 1 AND due_at < ? AND state = 'delivered'", (limit,)
        ).rowcount
        scheduled = conn.execute(
            "DELETE FROM scheduled WHERE sandbox = 1 AND due_at < ? AND expanded_at IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM sended WHERE originating_scheduled = scheduled.id)",
            (limit,),
        ).rowcount
        return sent + scheduled

    return await db.write("purge_sandbox", body)
