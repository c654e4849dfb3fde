"""The SMS STOP list: who asked not to receive a user's messages, and the keywords that ask.

RaspiSMS's behaviour (its ``smsstop`` table and settings): an incoming ``STOP`` / ``STOP SMS``
(trimmed, any case; smsd also takes ``ARRET`` / ``ARRÊT``, see :mod:`smsd.rules.keywords`) puts
its sender on the receiving user's list; the first time, when the user's ``smsstop_respond``
setting is on (default), one confirmation is scheduled to that number from the same phone with
the tag ``SMS_STOP`` (which the list does not filter) and the ``[stop] response`` text. ``START``
takes the number off the list. This happens in the transaction that stores the received message
(:func:`handle_keyword`), so a STOP is never stored without being honoured.

Expansion drops listed numbers (:mod:`smsd.store.scheduled`, unless the ``smsstop`` setting is
off or the tag is ``SMS_STOP``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.rules.keywords import Keyword, keyword_of
from smsd.store.db import change, insert, row
from smsd.store.errors import InvalidValueError
from smsd.store.options import DEFAULTS, STOP_RESPONSE
from smsd.store.scheduled import SMS_STOP_TAG
from smsd.store.walltime import wall

if TYPE_CHECKING:
    import sqlite3

    import aiosqlite

    from smsd.store.db import Database

__all__ = [
    "StopEntry",
    "add_stop",
    "handle_keyword",
    "is_stopped",
    "list_stops",
    "remove_stop",
]


@dataclass(frozen=True)
class StopEntry:
    """One number on a user's STOP list."""

    id: int
    id_user: int
    number: str
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, r: sqlite3.Row) -> StopEntry:
        """Build from an ``smsstop`` row."""
        return cls(
            int(r["id"]), int(r["id_user"]), str(r["number"]), str(r["created_at"]),
            str(r["updated_at"]),
        )  # fmt: skip

    def as_dict(self) -> dict[str, object]:
        """The API's row."""
        return {
            "id": self.id,
            "id_user": self.id_user,
            "number": self.number,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _number(number: str) -> str:
    if not number or len(number) > 20:
        raise InvalidValueError(f"not a phone number: {number!r}")
    return number


async def add_stop(db: Database, *, id_user: int, number: str) -> bool:
    """Put ``number`` on ``id_user``'s STOP list; ``False`` if it already was."""
    return bool(
        await db.execute(
            "INSERT INTO smsstop (id_user, number) VALUES (?, ?) "
            "ON CONFLICT (id_user, number) DO NOTHING",
            (id_user, _number(number)),
        )
    )


async def remove_stop(db: Database, *, id_user: int, number: str) -> bool:
    """Take ``number`` off ``id_user``'s STOP list; ``False`` if it was not on it."""
    return bool(
        await db.execute(
            "DELETE FROM smsstop WHERE id_user = ? AND number = ?", (id_user, _number(number))
        )
    )


async def is_stopped(db: Database, *, id_user: int, number: str) -> bool:
    """Is ``number`` on ``id_user``'s STOP list?"""
    found = await db.fetchone(
        "SELECT 1 FROM smsstop WHERE id_user = ? AND number = ?", (id_user, number)
    )
    return found is not None


async def list_stops(
    db: Database, *, id_user: int, after: int = 0, limit: int = 25
) -> list[StopEntry]:
    """``id_user``'s STOP list, ascending by id, ``limit`` entries after the id ``after``."""
    found = await db.fetchall(
        "SELECT * FROM smsstop WHERE id_user = ? AND id > ? ORDER BY id LIMIT ?",
        (id_user, after, limit),
    )
    return [StopEntry.of(r) for r in found]


async def handle_keyword(
    conn: aiosqlite.Connection,
    *,
    id_user: int,
    id_phone: int,
    origin: str,
    text: str,
    now: float | None = None,
) -> Keyword | None:
    """Inside the transaction storing a received message: honour a STOP or START keyword."""
    keyword = keyword_of(text)
    if keyword is None or not origin:
        return keyword
    if keyword is Keyword.START:
        await change(
            conn, "DELETE FROM smsstop WHERE id_user = ? AND number = ?", (id_user, origin)
        )
        return keyword
    added = await change(
        conn,
        "INSERT INTO smsstop (id_user, number) VALUES (?, ?) "
        "ON CONFLICT (id_user, number) DO NOTHING",
        (id_user, origin),
    )
    if added and await _respond(conn, id_user):
        await _confirm(conn, id_user=id_user, id_phone=id_phone, number=origin, now=now)
    return keyword


async def _respond(conn: aiosqlite.Connection, id_user: int) -> bool:
    found = await row(
        conn,
        "SELECT value FROM setting WHERE id_user = ? AND name = 'smsstop_respond'",
        (id_user,),
    )
    return found is None or str(found[0]) not in {"0", ""}


async def _confirm(
    conn: aiosqlite.Connection, *, id_user: int, id_phone: int, number: str, now: float | None
) -> None:
    moment = time.time() if now is None else now
    found = await row(conn, "SELECT value FROM core_option WHERE name = ?", (STOP_RESPONSE,))
    text = DEFAULTS[STOP_RESPONSE] if found is None else str(found[0])
    id_scheduled = await insert(
        conn,
        "INSERT INTO scheduled (id_user, at, text, id_phone, tag, due_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (id_user, wall(moment), text, id_phone, SMS_STOP_TAG, moment),
    )
    await insert(
        conn,
        "INSERT INTO scheduled_number (id_scheduled, number) VALUES (?, ?)",
        (id_scheduled, number),
    )
