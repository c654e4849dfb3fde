"""Changing a campaign: its open transaction, and cancelling what has not left.

A scheduled message stored ``held`` (:func:`smsd.store.scheduled.create_scheduled`) is an open
transaction: never due, so never expanded or sent. :func:`amend_campaign` adds recipients (or
replaces the data of a number already there), moves its due time, changes the door's data
(``door_data``: JSON a front door keeps to show the message back in its own dialect, options it
echoes, recipients it refused; the core never reads it) and releases it (``held = 0``, once),
all in one transaction and only while it is not expanded.

:func:`cancel_campaign` stops what has not left: a message not yet expanded is deleted with its
recipients; once expanded, its still queued outgoing messages go ``queued -> failed`` with the
reason :data:`CANCELLED` (they were never charged: the claim charges); what is being sent or was
sent stays so.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from smsd.store.accounts import check_json
from smsd.store.errors import NotFoundError, TransitionError
from smsd.store.walltime import wall

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from smsd.store.db import Database
    from smsd.store.rows import Recipient

__all__ = ["CANCELLED", "amend_campaign", "cancel_campaign"]

CANCELLED = "cancelled"
"""Reason of an outgoing message cancelled before it left."""


async def amend_campaign(
    db: Database,
    *,
    id_user: int,
    id_scheduled: int,
    numbers: Sequence[Recipient] = (),
    due_at: float | None = None,
    door_data: str | None = None,
    release: bool = False,
) -> None:
    """Change a scheduled message not yet expanded, in one transaction.

    ``numbers`` are added (a number already there gets the new data); ``due_at`` (unix seconds)
    moves its time; ``door_data`` replaces the door's JSON; ``release`` closes an open
    transaction so the dispatcher takes the message when due. :class:`NotFoundError` when the
    user has no such message, :class:`TransitionError` when it was already expanded.
    """
    for recipient in numbers:
        check_json(recipient.data, "number data")
    if door_data is not None:
        check_json(door_data, "door data")
    updated = wall(time.time())

    def body(conn: sqlite3.Connection) -> None:
        found = conn.execute(
            "SELECT expanded_at FROM scheduled WHERE id = ? AND id_user = ?",
            (id_scheduled, id_user),
        ).fetchone()
        if found is None:
            raise NotFoundError(f"no scheduled message {id_scheduled} for user {id_user}")
        if found["expanded_at"] is not None:
            raise TransitionError("amend_campaign", id_scheduled, "expanded")
        for recipient in numbers:
            replaced = conn.execute(
                "UPDATE scheduled_number SET data = ?, updated_at = ? "
                "WHERE id_scheduled = ? AND number = ?",
                (recipient.data, updated, id_scheduled, recipient.number),
            ).rowcount
            if not replaced:
                conn.execute(
                    "INSERT INTO scheduled_number (id_scheduled, number, data) VALUES (?, ?, ?)",
                    (id_scheduled, recipient.number, recipient.data),
                )
        if due_at is not None:
            conn.execute(
                "UPDATE scheduled SET due_at = ?, at = ? WHERE id = ?",
                (due_at, wall(due_at), id_scheduled),
            )
        if door_data is not None:
            conn.execute(
                "UPDATE scheduled SET door_data = ? WHERE id = ?", (door_data, id_scheduled)
            )
        conn.execute(
            "UPDATE scheduled SET updated_at = ?, held = CASE WHEN ? THEN 0 ELSE held END "
            "WHERE id = ?",
            (updated, int(release), id_scheduled),
        )

    await db.write("amend_campaign", body)


async def cancel_campaign(db: Database, *, id_user: int, id_scheduled: int, now: float) -> int:
    """Stop what of the user's scheduled message has not left; return how many recipients.

    Not expanded: the message and its recipients are deleted (every recipient counts).
    Expanded: its queued outgoing messages fail with the reason :data:`CANCELLED` (0 when every
    one had already left). :class:`NotFoundError` when the user has no such message.
    """

    def body(conn: sqlite3.Connection) -> int:
        found = conn.execute(
            "SELECT expanded_at FROM scheduled WHERE id = ? AND id_user = ?",
            (id_scheduled, id_user),
        ).fetchone()
        if found is None:
            raise NotFoundError(f"no scheduled message {id_scheduled} for user {id_user}")
        if found["expanded_at"] is None:
            count = conn.execute(
                "SELECT count(*) FROM scheduled_number WHERE id_scheduled = ?", (id_scheduled,)
            ).fetchone()[0]
            conn.execute("DELETE FROM scheduled WHERE id = ?", (id_scheduled,))
            return int(count)
        conn.execute(
            "UPDATE sended_segment SET state = 'failed' WHERE state = 'queued' AND id_sended IN "
            "(SELECT id FROM sended WHERE originating_scheduled = ? AND state = 'queued')",
            (id_scheduled,),
        )
        return int(
            conn.execute(
                "UPDATE sended SET state = 'failed', reason = ?, updated_at = ? "
                "WHERE originating_scheduled = ? AND state = 'queued'",
                (CANCELLED, wall(now), id_scheduled),
            ).rowcount
        )

    return await db.write("cancel_campaign", body)
