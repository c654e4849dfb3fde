"""What the web dashboard shows: queue figures, hourly volumes, per-phone usage, conversations.

Every query is scoped to one user (``id_user``) except the per-phone figures, which the caller
asks for the phones it may see. Each is served by an index so the overview stays fast with
hundreds of thousands of messages: the hourly volumes read only the last hours through
``sended_user_at``, the queue through the partial ``sended_queued``/``sended_sending`` indexes,
the latest failure of a phone through ``sended_phone_at``, and a conversation through the
``(id_user, destination)`` and ``(id_user, origin)`` indexes of the dashboard's migration.
Bounds are local wall-time texts ``YYYY-MM-DD HH:MM:SS``, as everywhere in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smsd.store.db import Database

__all__ = [
    "CONVERSATIONS_SQL",
    "HOURLY_SQL",
    "QUEUE_SQL",
    "THREAD_SQL",
    "ConversationLine",
    "HourCount",
    "QueueFigures",
    "ThreadItem",
    "conversations",
    "group_names",
    "hourly_volumes",
    "last_failure",
    "queue_figures",
    "thread",
]


QUEUE_SQL = (
    "SELECT (SELECT count(*) FROM scheduled WHERE id_user = :u AND expanded_at IS NULL) AS s, "
    "(SELECT count(*) FROM scheduled WHERE id_user = :u AND expanded_at IS NULL "
    "AND deferred_to IS NOT NULL) AS d, "
    "(SELECT count(*) FROM sended WHERE state = 'queued' AND +id_user = :u) AS q, "
    "(SELECT count(*) FROM sended WHERE state = 'sending' AND +id_user = :u) AS f"
)
"""Waiting (of which held by quiet hours), queued and in-flight counts of user ``:u``."""

HOURLY_SQL = (
    "SELECT substr(at, 1, 13) AS hour, "
    "sum(state IN ('sent', 'delivered', 'unknown')) AS sent, "
    "sum(state = 'delivered') AS delivered, sum(state = 'failed') AS failed "
    "FROM sended WHERE id_user = :u AND at >= :since "
    "AND state NOT IN ('queued', 'sending') GROUP BY hour ORDER BY hour"
)
"""Messages per hour of a user since a bound, by outcome."""

THREAD_SQL = (
    "SELECT * FROM ("
    " SELECT id, at, text, 0 AS incoming, state, reason, sandbox FROM sended"
    " WHERE id_user = :u AND destination = :n ORDER BY id DESC LIMIT :l)"
    " UNION ALL SELECT * FROM ("
    " SELECT id, at, text, 1 AS incoming, status AS state, NULL AS reason, 0 AS sandbox"
    " FROM received"
    " WHERE id_user = :u AND origin = :n ORDER BY id DESC LIMIT :l)"
    " ORDER BY at DESC, incoming, id DESC LIMIT :l"
)
"""Messages to and from number ``:n`` of user ``:u``, newest first."""


@dataclass(frozen=True)
class QueueFigures:
    """The user's messages waiting: not yet expanded (some held by quiet hours), queued, sending."""

    scheduled: int
    deferred: int
    queued: int
    sending: int


@dataclass(frozen=True)
class HourCount:
    """Messages of one hour (``hour`` is ``YYYY-MM-DD HH``) by outcome."""

    hour: str
    sent: int
    delivered: int
    failed: int


@dataclass(frozen=True)
class ConversationLine:
    """One correspondent: the number, the latest message's time and text, and its direction."""

    number: str
    at: str
    text: str
    incoming: bool


@dataclass(frozen=True)
class ThreadItem:
    """One message of a conversation, incoming or outgoing, with its state."""

    id: int
    at: str
    text: str
    incoming: bool
    state: str
    reason: str | None
    sandbox: bool


async def queue_figures(db: Database, id_user: int) -> QueueFigures:
    """How many of the user's messages wait to be expanded, wait in the queue, are in flight.

    ``+id_user`` keeps SQLite on the small partial indexes of queued and sending messages
    instead of walking every message of the user.
    """
    row = await db.fetchone(
        QUEUE_SQL,
        {"u": id_user},
    )
    assert row is not None
    return QueueFigures(
        scheduled=int(row["s"]), deferred=int(row["d"]), queued=int(row["q"]), sending=int(row["f"])
    )


async def hourly_volumes(db: Database, id_user: int, *, since: str) -> list[HourCount]:
    """Per hour from ``since`` (inclusive): messages that left, were delivered, failed."""
    found = await db.fetchall(
        HOURLY_SQL,
        {"u": id_user, "since": since},
    )
    return [
        HourCount(str(r["hour"]), int(r["sent"]), int(r["delivered"]), int(r["failed"]))
        for r in found
    ]


async def last_failure(db: Database, id_phone: int, *, since: str) -> str | None:
    """The reason of the phone's latest failed message since ``since``, if any."""
    row = await db.fetchone(
        "SELECT reason FROM sended WHERE id_phone = ? AND at >= ? AND state = 'failed' "
        "ORDER BY at DESC LIMIT 1",
        (id_phone, since),
    )
    return None if row is None or row["reason"] is None else str(row["reason"])


def _like(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


CONVERSATIONS_SQL = (
    "SELECT * FROM ("
    " SELECT destination AS number, at, text, 0 AS incoming FROM sended"
    " WHERE id_user = :u AND (:p IS NULL OR destination LIKE :p ESCAPE '\\'"
    "  OR text LIKE :p ESCAPE '\\') ORDER BY id DESC LIMIT :w)"
    " UNION ALL SELECT * FROM ("
    " SELECT origin AS number, at, text, 1 AS incoming FROM received"
    " WHERE id_user = :u AND (:p IS NULL OR origin LIKE :p ESCAPE '\\'"
    "  OR text LIKE :p ESCAPE '\\') ORDER BY id DESC LIMIT :w)"
)
"""The ``:w`` latest messages each way of user ``:u`` (matching ``:p`` when not null)."""


async def conversations(
    db: Database, id_user: int, *, search: str = "", limit: int = 50, window: int = 5000
) -> list[ConversationLine]:
    """Recent correspondents, the latest first; ``search`` matches a number or a text.

    Only the ``window`` latest messages each way are read, so the page costs the same with a
    hundred messages or a million; a correspondent quiet for longer is found by searching.
    """
    pattern = _like(search) if search else None
    found = await db.fetchall(CONVERSATIONS_SQL, {"u": id_user, "p": pattern, "w": window})
    latest: dict[str, ConversationLine] = {}
    for r in sorted(found, key=lambda r: str(r["at"]), reverse=True):
        number = str(r["number"])
        if number not in latest:
            latest[number] = ConversationLine(
                number, str(r["at"]), str(r["text"]), bool(r["incoming"])
            )
            if len(latest) == limit:
                break
    return list(latest.values())


async def thread(db: Database, id_user: int, number: str, *, limit: int = 200) -> list[ThreadItem]:
    """The last ``limit`` messages to and from ``number``, newest first."""
    found = await db.fetchall(
        THREAD_SQL,
        {"u": id_user, "n": number, "l": limit},
    )
    return [
        ThreadItem(
            id=int(r["id"]),
            at=str(r["at"]),
            text=str(r["text"]),
            incoming=bool(r["incoming"]),
            state=str(r["state"]),
            reason=None if r["reason"] is None else str(r["reason"]),
            sandbox=bool(r["sandbox"]),
        )
        for r in found
    ]


async def group_names(db: Database, id_user: int) -> list[tuple[int, str]]:
    """The user's contact groups as (id, name), by name."""
    found = await db.fetchall(
        'SELECT id, name FROM "group" WHERE id_user = ? ORDER BY name, id', (id_user,)
    )
    return [(int(r["id"]), str(r["name"])) for r in found]
