"""A campaign as a door reports it: the scheduled message and the messages it became.

Provider APIs answer "where is my send?" with one record holding the recipients' states.
:func:`campaign` reads it in one visit: the scheduled row (pending, or held by quiet hours with
the time and reason) and, once the dispatcher expanded it, one :class:`CampaignMessage` per
recipient with its state, reason, segments, credits and sandbox marker. Only ``id_user``'s rows
are seen (another user's id reads as missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.db import Database

__all__ = ["Campaign", "CampaignMessage", "campaign"]


@dataclass(frozen=True)
class CampaignMessage:
    """One recipient's outgoing message."""

    id: int
    destination: str
    state: str
    """``queued``, ``sending``, ``sent``, ``delivered``, ``failed`` or ``unknown``."""
    status: str
    """RaspiSMS's: ``unknown``, ``delivered`` or ``failed``."""
    reason: str | None
    segments: int
    credits: int
    sandbox: bool
    sender: str | None
    at: str
    id_phone: int | None
    uid: str | None


@dataclass(frozen=True)
class Campaign:
    """A scheduled message and what became of it."""

    id: int
    id_user: int
    at: str
    text: str
    tag: str | None
    sandbox: bool
    commercial: bool
    sender: str | None
    pending: bool
    """Not yet expanded (waiting for its time, or held by quiet hours)."""
    deferred_to: float | None
    deferred_reason: str | None
    numbers: tuple[str, ...]
    messages: tuple[CampaignMessage, ...]


def _message(r: sqlite3.Row) -> CampaignMessage:
    return CampaignMessage(
        id=int(r["id"]),
        destination=str(r["destination"]),
        state=str(r["state"]),
        status=str(r["status"]),
        reason=None if r["reason"] is None else str(r["reason"]),
        segments=int(r["segments"]),
        credits=int(r["credits"]),
        sandbox=bool(r["sandbox"]),
        sender=None if r["sender"] is None else str(r["sender"]),
        at=str(r["at"]),
        id_phone=None if r["id_phone"] is None else int(r["id_phone"]),
        uid=None if r["uid"] is None else str(r["uid"]),
    )


def _read(conn: sqlite3.Connection, id_user: int, id_scheduled: int) -> Campaign | None:
    s = conn.execute(
        "SELECT * FROM scheduled WHERE id = ? AND id_user = ?", (id_scheduled, id_user)
    ).fetchone()
    if s is None:
        return None
    numbers = tuple(
        str(r[0])
        for r in conn.execute(
            "SELECT number FROM scheduled_number WHERE id_scheduled = ? ORDER BY id",
            (id_scheduled,),
        )
    )
    messages = tuple(
        _message(r)
        for r in conn.execute(
            "SELECT id, destination, state, status, reason, segments, credits, sandbox, sender, "
            "at, id_phone, uid FROM sended WHERE originating_scheduled = ? AND id_user = ? "
            "ORDER BY id",
            (id_scheduled, id_user),
        )
    )
    return Campaign(
        id=int(s["id"]),
        id_user=int(s["id_user"]),
        at=str(s["at"]),
        text=str(s["text"]),
        tag=None if s["tag"] is None else str(s["tag"]),
        sandbox=bool(s["sandbox"]),
        commercial=bool(s["commercial"]),
        sender=None if s["sender"] is None else str(s["sender"]),
        pending=s["expanded_at"] is None,
        deferred_to=None if s["deferred_to"] is None else float(s["deferred_to"]),
        deferred_reason=None if s["deferred_reason"] is None else str(s["deferred_reason"]),
        numbers=numbers,
        messages=messages,
    )


async def campaign(db: Database, *, id_user: int, id_scheduled: int) -> Campaign | None:
    """``id_user``'s scheduled message ``id_scheduled`` and its messages; ``None`` if unknown.

    A sandbox campaign is purged after a day, like its messages.
    """
    return await db.read(lambda conn: _read(conn, id_user, id_scheduled))
