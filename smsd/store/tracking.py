"""What became of a scheduled message, recipient by recipient, and the user's STOP list.

Read side for the doors that identify a send by the scheduled message that carried it (a
provider's "message id"): before the dispatcher expands it, its recipients are the numbers it
was posted with, all still waiting; afterwards each recipient is one outgoing message with its
state. The STOP list is RaspiSMS's ``smsstop`` table: numbers the user must not write to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.db import Database

__all__ = [
    "RecipientState",
    "ScheduledTrack",
    "StopEntry",
    "add_stop",
    "delete_stop",
    "queued_count",
    "stop_list",
    "track_scheduled",
    "track_tag",
]


@dataclass(frozen=True)
class RecipientState:
    """One recipient of a scheduled message.

    ``state`` is the engine's state of its outgoing message (``queued`` … ``failed``),
    ``waiting`` while the scheduled message is not expanded yet, or ``skipped`` when the
    expansion left the number out (it is on the STOP list). ``at`` is the local wall time
    it was (or will be) sent; ``updated`` the unix seconds of its last change (``None`` before
    expansion); ``segments`` the parts it takes.
    """

    number: str
    state: str
    at: str
    updated: float | None
    segments: int
    id_scheduled: int
    stopped: bool
    sandbox: bool = False


@dataclass(frozen=True)
class ScheduledTrack:
    """A scheduled message of a user and where each of its recipients stands."""

    id: int
    at: str
    tag: str | None
    expanded: bool
    recipients: tuple[RecipientState, ...]


@dataclass(frozen=True)
class StopEntry:
    """One number of the STOP list."""

    id: int
    number: str
    created_at: str


_SENDED = (
    "SELECT s.destination AS number, s.state, s.at, "
    "(julianday(s.updated_at, 'utc') - 2440587.5) * 86400.0 AS updated, s.segments, "
    "s.originating_scheduled AS id_scheduled, s.sandbox, "
    "EXISTS (SELECT 1 FROM smsstop AS p WHERE p.id_user = s.id_user "
    "AND p.number = s.destination) AS stopped "
    "FROM sended AS s "
)


def _recipient(r: sqlite3.Row) -> RecipientState:
    return RecipientState(
        number=str(r["number"]),
        state=str(r["state"]),
        at=str(r["at"]),
        updated=None if r["updated"] is None else float(r["updated"]),
        segments=int(r["segments"]),
        id_scheduled=int(r["id_scheduled"]),
        stopped=bool(r["stopped"]),
        sandbox=bool(r["sandbox"]),
    )


def _track(conn: sqlite3.Connection, id_user: int, id_scheduled: int) -> ScheduledTrack | None:
    head = conn.execute(
        "SELECT id, at, tag, expanded_at FROM scheduled WHERE id = ? AND id_user = ?",
        (id_scheduled, id_user),
    ).fetchone()
    if head is None:
        return None
    expanded = head["expanded_at"] is not None
    if expanded:
        found = conn.execute(
            _SENDED + "WHERE s.originating_scheduled = ? AND s.id_user = ? ORDER BY s.id",
            (id_scheduled, id_user),
        ).fetchall()
        found += conn.execute(  # numbers the expansion skipped (on the STOP list)
            "SELECT n.number, 'skipped' AS state, ? AS at, NULL AS updated, 0 AS segments, "
            "n.id_scheduled, 1 AS stopped, 0 AS sandbox FROM scheduled_number AS n "
            "WHERE n.id_scheduled = ? AND NOT EXISTS (SELECT 1 FROM sended AS s "
            "WHERE s.originating_scheduled = n.id_scheduled AND s.destination = n.number) "
            "ORDER BY n.id",
            (head["at"], id_scheduled),
        ).fetchall()
    else:
        found = conn.execute(
            "SELECT n.number, 'waiting' AS state, ? AS at, NULL AS updated, 0 AS segments, "
            "n.id_scheduled, EXISTS (SELECT 1 FROM smsstop AS p WHERE p.id_user = ? "
            "AND p.number = n.number) AS stopped, 0 AS sandbox "
            "FROM scheduled_number AS n WHERE n.id_scheduled = ? ORDER BY n.id",
            (head["at"], id_user, id_scheduled),
        ).fetchall()
    return ScheduledTrack(
        id=int(head["id"]),
        at=str(head["at"]),
        tag=None if head["tag"] is None else str(head["tag"]),
        expanded=expanded,
        recipients=tuple(_recipient(r) for r in found),
    )


async def track_scheduled(
    db: Database, *, id_user: int, id_scheduled: int
) -> ScheduledTrack | None:
    """The scheduled message ``id_scheduled`` of ``id_user`` and its recipients (``None``: none).

    A message deleted before it was sent no longer exists.
    """
    return await db.read(lambda conn: _track(conn, id_user, id_scheduled))


async def track_tag(
    db: Database, *, id_user: int, tag: str, offset: int, limit: int
) -> tuple[int, list[RecipientState]]:
    """The outgoing messages of ``id_user`` tagged ``tag``: their total and a page, oldest first."""

    def body(conn: sqlite3.Connection) -> tuple[int, list[RecipientState]]:
        total = conn.execute(
            "SELECT count(*) FROM sended WHERE id_user = ? AND tag = ?", (id_user, tag)
        ).fetchone()[0]
        found = conn.execute(
            _SENDED + "WHERE s.id_user = ? AND s.tag = ? ORDER BY s.id LIMIT ? OFFSET ?",
            (id_user, tag, limit, offset),
        ).fetchall()
        return int(total), [_recipient(r) for r in found]

    return await db.read(body)


async def queued_count(db: Database, *, id_user: int) -> int:
    """Messages of ``id_user`` not sent yet (scheduled recipients, queued or sending)."""
    found = await db.fetchone(
        "SELECT (SELECT count(*) FROM scheduled_number AS n JOIN scheduled AS s "
        "ON s.id = n.id_scheduled WHERE s.id_user = ? AND s.expanded_at IS NULL) + "
        "(SELECT count(*) FROM sended WHERE id_user = ? AND state IN ('queued', 'sending'))",
        (id_user, id_user),
    )
    return 0 if found is None else int(found[0])


async def stop_list(db: Database, *, id_user: int) -> list[StopEntry]:
    """The STOP list of ``id_user``, oldest first."""
    found = await db.fetchall(
        "SELECT id, number, created_at FROM smsstop WHERE id_user = ? ORDER BY id", (id_user,)
    )
    return [StopEntry(int(r["id"]), str(r["number"]), str(r["created_at"])) for r in found]


async def add_stop(db: Database, *, id_user: int, number: str) -> int:
    """Put ``number`` on the STOP list of ``id_user``; the id of its entry (new or existing)."""

    def body(conn: sqlite3.Connection) -> int:
        conn.execute(
            "INSERT INTO smsstop (id_user, number) VALUES (?, ?) "
            "ON CONFLICT (id_user, number) DO NOTHING",
            (id_user, number),
        )
        row = conn.execute(
            "SELECT id FROM smsstop WHERE id_user = ? AND number = ?", (id_user, number)
        ).fetchone()
        return int(row[0])

    return await db.write("add_stop", body)


async def delete_stop(db: Database, *, id_user: int, id_stop: int) -> bool:
    """Take entry ``id_stop`` off the STOP list of ``id_user``; ``False`` if there is none."""
    return bool(
        await db.execute("DELETE FROM smsstop WHERE id = ? AND id_user = ?", (id_stop, id_user))
    )
