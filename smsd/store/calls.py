"""Voice calls (RaspiSMS's ``call`` table): record a call when it rings, record its end.

Each function is one transition through :meth:`Database.write`: ``record_call`` inserts the row
(the trigger of migration 0003 writes the ``inbound_call`` webhook events in the same
transaction) and ``end_call`` sets the end of a call still open. Times are unix seconds, stored
as local wall-time text like every datetime the API shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store.errors import InvalidValueError
from smsd.store.walltime import wall

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.db import Database

__all__ = [
    "DIRECTIONS",
    "INBOUND",
    "OUTBOUND",
    "CallRow",
    "end_call",
    "get_call",
    "list_calls",
    "record_call",
]

INBOUND = "inbound"
OUTBOUND = "outbound"
DIRECTIONS = (INBOUND, OUTBOUND)
MAX_NUMBER = 20
"""Longest origin or destination (RaspiSMS's column is 20 characters)."""
MAX_UID = 500

_COLUMNS = 'id, id_user, id_phone, uid, start, "end", direction, origin, destination'


@dataclass(frozen=True)
class CallRow:
    """One call, as RaspiSMS lists it and as its ``inbound_call`` payload shows it."""

    id: int
    id_user: int
    id_phone: int | None
    uid: str
    start: str
    end: str | None
    direction: str
    origin: str | None
    destination: str | None


def _number(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    if not value or len(value) > MAX_NUMBER:
        raise InvalidValueError(f"{field} must be 1 to {MAX_NUMBER} characters, not {value!r}")
    return value


def _check(uid: str, direction: str, origin: str | None, destination: str | None) -> None:
    if not uid or len(uid) > MAX_UID:
        raise InvalidValueError(f"a call uid is 1 to {MAX_UID} characters, not {uid!r}")
    if direction not in DIRECTIONS:
        raise InvalidValueError(f"direction must be one of {', '.join(DIRECTIONS)}")
    _number(origin, "origin")
    _number(destination, "destination")


async def record_call(
    db: Database,
    *,
    id_user: int,
    id_phone: int | None,
    uid: str,
    start: float,
    origin: str | None,
    direction: str = INBOUND,
    destination: str | None = None,
    end: float | None = None,
) -> int:
    """Insert a call (``end`` ``None`` while it rings); return its id.

    Raises :class:`InvalidValueError` for a bad uid, direction or number.
    """
    _check(uid, direction, origin, destination)
    values = (
        id_user,
        id_phone,
        uid,
        wall(start),
        None if end is None else wall(max(end, start)),
        direction,
        origin,
        destination,
    )

    def body(conn: sqlite3.Connection) -> int:
        cursor = conn.execute(
            'INSERT INTO call (id_user, id_phone, uid, start, "end", direction, origin, '
            "destination) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    return await db.write("record_call", body)


async def end_call(db: Database, *, id_phone: int, uid: str, end: float) -> bool:
    """Record the end of the open call ``uid`` of a phone; ``False`` if there is none.

    An end before the start (a clock stepped back) is recorded as the start.
    """

    def body(conn: sqlite3.Connection) -> bool:
        changed = conn.execute(
            'UPDATE call SET "end" = max(?, start), updated_at = ? '
            'WHERE id_phone = ? AND uid = ? AND "end" IS NULL',
            (wall(end), wall(end), id_phone, uid),
        ).rowcount
        return changed > 0

    return await db.write("end_call", body)


def _row(values: sqlite3.Row) -> CallRow:
    return CallRow(
        id=values["id"],
        id_user=values["id_user"],
        id_phone=values["id_phone"],
        uid=values["uid"],
        start=values["start"],
        end=values["end"],
        direction=values["direction"],
        origin=values["origin"],
        destination=values["destination"],
    )


async def get_call(db: Database, id_call: int) -> CallRow | None:
    """One call by id, or ``None``."""
    found = await db.fetchone(f"SELECT {_COLUMNS} FROM call WHERE id = ?", (id_call,))  # noqa: S608 - constant column list
    return None if found is None else _row(found)


async def list_calls(db: Database, id_user: int, *, limit: int = 25) -> list[CallRow]:
    """The oldest ``limit`` calls of a user, ascending by id."""
    found = await db.fetchall(
        f"SELECT {_COLUMNS} FROM call WHERE id_user = ? ORDER BY id LIMIT ?",  # noqa: S608 - constant column list
        (id_user, limit),
    )
    return [_row(values) for values in found]
