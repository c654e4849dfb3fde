"""A scheduled message seen whole: its open transaction, its recipients' fates, its cancelling.

Front doors that speak of "a message to many recipients" (one id, recipients added later,
statistics, per-recipient states) read and change scheduled messages through this module:

- a message stored ``held`` (:func:`smsd.store.scheduled.create_scheduled`) is an open
  transaction: never due, so never expanded or sent. :func:`amend_campaign` adds recipients (or
  replaces the data of a number already there), moves its due time, changes the door's data, and
  releases it (``held = 0``, once), all in one transaction and only while it is not expanded;
- :func:`campaigns` lists a user's scheduled messages newest first, :func:`campaign` reads one
  with the tally of its outgoing messages, :func:`campaign_recipients` each recipient's fate:
  before expansion the stored numbers (state ``scheduled``), after it the outgoing message of
  each number (its rendered text, segments, state, reason, send and delivery times);
- :func:`cancel_campaign` stops what has not left: a message not yet expanded is deleted with its
  recipients; once expanded, its still queued outgoing messages go ``queued -> failed`` with the
  reason ``cancelled`` (:data:`CANCELLED`); what is being sent or was sent stays so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store.accounts import check_json
from smsd.store.errors import NotFoundError, TransitionError
from smsd.store.rows import Recipient
from smsd.store.walltime import wall

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from smsd.store.db import Database

__all__ = [
    "CANCELLED",
    "SCHEDULED",
    "CampaignRow",
    "RecipientFate",
    "Tally",
    "amend_campaign",
    "campaign",
    "campaign_recipients",
    "campaigns",
    "cancel_campaign",
]

CANCELLED = "cancelled"
"""Reason of an outgoing message cancelled before it left."""
SCHEDULED = "scheduled"
"""State of a recipient whose message is not expanded yet (held, or not due)."""


@dataclass(frozen=True)
class Tally:
    """What became of a scheduled message's recipients (all zero before expansion)."""

    messages: int = 0
    segments: int = 0
    queued: int = 0
    sending: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    unknown: int = 0
    last_update: str | None = None
    """The latest ``updated_at`` (local wall time) of its outgoing messages."""

    @property
    def pending(self) -> int:
        """Outgoing messages that have not left yet (queued or being sent)."""
        return self.queued + self.sending


@dataclass(frozen=True)
class CampaignRow:
    """One scheduled message of a user, with its numbers and the tally of its sends."""

    id: int
    id_user: int
    text: str
    flash: bool
    priority: int
    due_at: float
    created_at: str
    updated_at: str
    expanded: bool
    held: bool
    door_data: str | None
    numbers: tuple[Recipient, ...] = ()
    tally: Tally = Tally()


@dataclass(frozen=True)
class RecipientFate:
    """One recipient of a scheduled message: its number, data and, once expanded, its send."""

    index: int
    number: str
    data: str
    state: str
    """``scheduled`` before expansion, then the outgoing message's state."""
    id_sended: int | None = None
    text: str | None = None
    segments: int = 0
    reason: str | None = None
    sent_at: float | None = None
    delivered_at: float | None = None


def _campaign_row(r: sqlite3.Row, numbers: tuple[Recipient, ...], tally: Tally) -> CampaignRow:
    return CampaignRow(
        id=int(r["id"]),
        id_user=int(r["id_user"]),
        text=str(r["text"]),
        flash=bool(r["flash"]),
        priority=int(r["priority"]),
        due_at=float(r["due_at"]),
        created_at=str(r["created_at"]),
        updated_at=str(r["updated_at"]),
        expanded=r["expanded_at"] is not None,
        held=bool(r["held"]),
        door_data=None if r["door_data"] is None else str(r["door_data"]),
        numbers=numbers,
        tally=tally,
    )


def _numbers(conn: sqlite3.Connection, id_scheduled: int) -> tuple[Recipient, ...]:
    return tuple(
        Recipient(number=str(r["number"]), data=str(r["data"]))
        for r in conn.execute(
            "SELECT number, data FROM scheduled_number WHERE id_scheduled = ? ORDER BY id",
            (id_scheduled,),
        )
    )


def _tally(conn: sqlite3.Connection, id_scheduled: int) -> Tally:
    counts = {
        str(r["state"]): (int(r["n"]), int(r["segments"]), r["last"])
        for r in conn.execute(
            "SELECT state, count(*) AS n, sum(segments) AS segments, max(updated_at) AS last "
            "FROM sended WHERE originating_scheduled = ? GROUP BY state",
            (id_scheduled,),
        )
    }
    if not counts:
        return Tally()
    lasts = [str(last) for _n, _s, last in counts.values() if last is not None]
    return Tally(
        messages=sum(n for n, _s, _l in counts.values()),
        segments=sum(s for _n, s, _l in counts.values()),
        last_update=max(lasts) if lasts else None,
        **{state: counts[state][0] for state in _STATES if state in counts},
    )


_STATES = ("queued", "sending", "sent", "delivered", "failed", "unknown")


async def campaigns(db: Database, id_user: int, *, limit: int = 1000) -> list[CampaignRow]:
    """The user's scheduled messages, newest first (without numbers or tally).

    Pending and expanded messages are read through their own partial indexes, then merged.
    """

    def body(conn: sqlite3.Connection) -> list[sqlite3.Row]:
        found = [
            *conn.execute(
                "SELECT * FROM scheduled WHERE id_user = ? AND expanded_at IS NULL "
                "ORDER BY id DESC LIMIT ?",
                (id_user, limit),
            ),
            *conn.execute(
                "SELECT * FROM scheduled WHERE id_user = ? AND expanded_at IS NOT NULL "
                "ORDER BY id DESC LIMIT ?",
                (id_user, limit),
            ),
        ]
        return sorted(found, key=lambda r: -int(r["id"]))[:limit]

    return [_campaign_row(r, (), Tally()) for r in await db.read(body)]


async def campaign(db: Database, *, id_user: int, id_scheduled: int) -> CampaignRow | None:
    """One scheduled message of the user with its numbers and tally; ``None`` if there is none."""

    def body(conn: sqlite3.Connection) -> CampaignRow | None:
        found = conn.execute(
            "SELECT * FROM scheduled WHERE id = ? AND id_user = ?", (id_scheduled, id_user)
        ).fetchone()
        if found is None:
            return None
        return _campaign_row(found, _numbers(conn, id_scheduled), _tally(conn, id_scheduled))

    return await db.read(body)


_FATES = (
    "SELECT s.id, s.destination, s.text, s.segments, s.state, s.reason, "
    "(SELECT min(g.sent_at) FROM sended_segment AS g WHERE g.id_sended = s.id) AS sent_at, "
    "(SELECT CASE WHEN s.state = 'delivered' THEN max(g.reported_at) END "
    " FROM sended_segment AS g WHERE g.id_sended = s.id) AS delivered_at "
    "FROM sended AS s WHERE s.originating_scheduled = ? ORDER BY s.id"
)


async def campaign_recipients(
    db: Database, *, id_user: int, id_scheduled: int
) -> list[RecipientFate] | None:
    """Every recipient of the user's scheduled message, in order; ``None`` if there is none."""

    def body(conn: sqlite3.Connection) -> list[RecipientFate] | None:
        found = conn.execute(
            "SELECT expanded_at FROM scheduled WHERE id = ? AND id_user = ?",
            (id_scheduled, id_user),
        ).fetchone()
        if found is None:
            return None
        numbers = _numbers(conn, id_scheduled)
        if found["expanded_at"] is None:
            return [
                RecipientFate(index=i, number=r.number, data=r.data, state=SCHEDULED)
                for i, r in enumerate(numbers)
            ]
        data: dict[str, str] = {}
        for r in numbers:
            data.setdefault(r.number, r.data)
        return [
            RecipientFate(
                index=i,
                number=str(r["destination"]),
                data=data.get(str(r["destination"]), "[]"),
                state=str(r["state"]),
                id_sended=int(r["id"]),
                text=str(r["text"]),
                segments=int(r["segments"]),
                reason=None if r["reason"] is None else str(r["reason"]),
                sent_at=None if r["sent_at"] is None else float(r["sent_at"]),
                delivered_at=None if r["delivered_at"] is None else float(r["delivered_at"]),
            )
            for i, r in enumerate(conn.execute(_FATES, (id_scheduled,)))
        ]

    return await db.read(body)


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
