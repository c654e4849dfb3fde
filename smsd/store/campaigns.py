"""A campaign as a door reports it: the scheduled message and the messages it became.

Provider APIs answer "where is my send?" with one record holding the recipients' states.
:func:`campaign` reads it in one visit: the scheduled row (pending, held in an open transaction,
or held by quiet hours with the time and reason) with its numbers and their data, and, once the
dispatcher expanded it, one :class:`CampaignMessage` per recipient with its text, state, reason,
segments, credits, sandbox marker, and when it left and was delivered. :func:`campaigns` lists a
user's campaigns newest first (the scheduled rows only). Only ``id_user``'s rows are seen
(another user's id reads as missing).

Changing a campaign (adding recipients to an open transaction, releasing it, cancelling what has
not left) is :mod:`smsd.store.campaign_edits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.db import Database

__all__ = ["Campaign", "CampaignMessage", "campaign", "campaigns"]


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
    text: str = ""
    """The text this recipient receives (templates rendered)."""
    updated_at: str = ""
    sent_at: float | None = None
    """When its first segment left (unix seconds)."""
    delivered_at: float | None = None
    """When the last status report confirmed it delivered (unix seconds)."""


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
    """Not yet expanded (waiting for its time, held in a transaction or by quiet hours)."""
    deferred_to: float | None
    deferred_reason: str | None
    numbers: tuple[str, ...]
    messages: tuple[CampaignMessage, ...]
    number_data: tuple[str, ...] = ()
    """The data (JSON text) of each of ``numbers``, in the same order."""
    flash: bool = False
    priority: int = 0
    due_at: float = 0.0
    created_at: str = ""
    updated_at: str = ""
    held: bool = False
    """An open transaction: stored, never due until released."""
    door_data: str | None = None
    """The JSON a front door keeps with it (see :mod:`smsd.store.campaign_edits`)."""


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
        text=str(r["text"]),
        updated_at=str(r["updated_at"]),
        sent_at=None if r["sent_at"] is None else float(r["sent_at"]),
        delivered_at=None if r["delivered_at"] is None else float(r["delivered_at"]),
    )


def _campaign(
    s: sqlite3.Row,
    numbers: list[sqlite3.Row],
    messages: tuple[CampaignMessage, ...],
) -> Campaign:
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
        numbers=tuple(str(r["number"]) for r in numbers),
        messages=messages,
        number_data=tuple(str(r["data"]) for r in numbers),
        flash=bool(s["flash"]),
        priority=int(s["priority"]),
        due_at=float(s["due_at"]),
        created_at=str(s["created_at"]),
        updated_at=str(s["updated_at"]),
        held=bool(s["held"]),
        door_data=None if s["door_data"] is None else str(s["door_data"]),
    )


_MESSAGES = (
    "SELECT s.id, s.destination, s.state, s.status, s.reason, s.segments, s.credits, s.sandbox, "
    "s.sender, s.at, s.id_phone, s.uid, s.text, s.updated_at, "
    "(SELECT min(g.sent_at) FROM sended_segment AS g WHERE g.id_sended = s.id) AS sent_at, "
    "(SELECT CASE WHEN s.state = 'delivered' THEN max(g.reported_at) END "
    " FROM sended_segment AS g WHERE g.id_sended = s.id) AS delivered_at "
    "FROM sended AS s WHERE s.originating_scheduled = ? AND s.id_user = ? ORDER BY s.id"
)


def _read(conn: sqlite3.Connection, id_user: int, id_scheduled: int) -> Campaign | None:
    s = conn.execute(
        "SELECT * FROM scheduled WHERE id = ? AND id_user = ?", (id_scheduled, id_user)
    ).fetchone()
    if s is None:
        return None
    numbers = conn.execute(
        "SELECT number, data FROM scheduled_number WHERE id_scheduled = ? ORDER BY id",
        (id_scheduled,),
    ).fetchall()
    messages = tuple(_message(r) for r in conn.execute(_MESSAGES, (id_scheduled, id_user)))
    return _campaign(s, numbers, messages)


async def campaign(db: Database, *, id_user: int, id_scheduled: int) -> Campaign | None:
    """``id_user``'s scheduled message ``id_scheduled`` and its messages; ``None`` if unknown.

    A sandbox campaign is purged after a day, like its messages.
    """
    return await db.read(lambda conn: _read(conn, id_user, id_scheduled))


async def campaigns(db: Database, id_user: int, *, limit: int = 1000) -> list[Campaign]:
    """The user's campaigns, newest first, without numbers or messages.

    Pending and expanded ones are read through their own partial indexes, then merged.
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

    return [_campaign(r, [], ()) for r in await db.read(body)]
