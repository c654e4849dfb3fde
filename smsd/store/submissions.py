"""Submissions: messages to one number each, stored together in one transaction.

A submission is a scheduled message (table ``scheduled``) with exactly one number and nothing
else: the dispatcher expands it at its time like any scheduled message, into at most one
outgoing message, so its scheduled id names that message for its whole life
(:mod:`smsd.store.history` follows it). :func:`submit_all` stores a whole bulk or nothing: a
phone that is not the user's (or was deleted meanwhile) fails the whole call, naming the item.

A submission due now is expanded as it is stored when the runtime allows it (see
:func:`smsd.store.expansion.expand_on_accept`), like any scheduled message.

``customer_id`` is an integer the client attached to the message, kept and shown back
(``scheduled.customer_id``). Like any scheduled message, a submission is commercial when its
user's ``commercial`` setting says so (held by quiet hours), charged to the user's quota when it
is claimed, and dropped at expansion when its number is on the STOP list.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store.errors import InvalidValueError
from smsd.store.expansion import accepting, expand_on_accept
from smsd.store.scheduled import user_commercial
from smsd.store.walltime import parse_wall, wall

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Sequence

    from smsd.store.db import Database

__all__ = ["Submission", "SubmissionError", "submit_all"]


@dataclass(frozen=True)
class Submission:
    """One message to one number.

    ``at`` is local wall time ``YYYY-MM-DD HH:MM:SS`` (``None``: now); ``id_phone`` pins the
    message to that phone (``None``: any phone); ``priority`` orders the queue, higher first.
    """

    number: str
    text: str
    at: str | None = None
    id_phone: int | None = None
    priority: int = 0
    customer_id: int | None = None
    tag: str | None = None


class SubmissionError(InvalidValueError):
    """An item of a bulk cannot be stored; ``index`` is its position (from 0)."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


def _checked(items: Sequence[Submission], now: float) -> list[tuple[Submission, str, float]]:
    checked = []
    for index, item in enumerate(items):
        if not item.number:
            raise SubmissionError(index, "the number is empty")
        try:
            due_at = now if item.at is None else parse_wall(item.at)
        except InvalidValueError as exc:
            raise SubmissionError(index, str(exc)) from exc
        checked.append((item, wall(now) if item.at is None else item.at, due_at))
    return checked


async def submit_all(
    db: Database,
    *,
    id_user: int,
    items: Sequence[Submission],
    now: float | None = None,
    record: Callable[[sqlite3.Connection, Sequence[int]], None] = lambda _conn, _ids: None,
) -> list[int]:
    """Store every submission or none; return their scheduled ids, in order.

    :class:`SubmissionError` (with the item's index) when an item is malformed or names a phone
    that is not ``id_user``'s; nothing is stored then. ``record`` is called with the ids inside
    the same transaction, once they are stored (a :mod:`smsd.store.idempotency` record).
    """
    moment = time.time() if now is None else now
    checked = _checked(items, moment)
    hook = accepting(db, due=True, recipients=len(checked))  # each item's time: checked below
    expanded = 0  # messages expanded as they were accepted
    left = False  # some item is left to the dispatcher

    def body(conn: sqlite3.Connection) -> list[int]:
        nonlocal expanded, left
        owned = {
            int(r[0]) for r in conn.execute("SELECT id FROM phone WHERE id_user = ?", (id_user,))
        }
        commercial = int(user_commercial(conn, id_user))
        ids: list[int] = []
        for index, (item, at, due_at) in enumerate(checked):
            if item.id_phone is not None and item.id_phone not in owned:
                raise SubmissionError(index, f"no phone {item.id_phone} for user {id_user}")
            cursor = conn.execute(
                "INSERT INTO scheduled (id_user, at, text, id_phone, tag, priority, due_at, "
                "commercial, customer_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (id_user, at, item.text, item.id_phone, item.tag, item.priority, due_at,
                 commercial, item.customer_id),
            )  # fmt: skip
            id_scheduled = int(cursor.lastrowid or 0)
            conn.execute(
                "INSERT INTO scheduled_number (id_scheduled, number) VALUES (?, ?)",
                (id_scheduled, item.number),
            )
            ids.append(id_scheduled)
            made = None
            if hook is not None and not commercial and due_at <= moment:
                made = expand_on_accept(conn, id_scheduled, now=moment, hook=hook, contacts=False)
            expanded += len(made or ())
            left |= made is None
        record(conn, ids)
        return ids

    if not checked:
        return []
    ids = await db.write("submit_all", body)
    if not left:
        db.accepted_in_full()
    if hook is not None and expanded:
        hook.wake(expanded, all(item.id_phone is None for item in items))
    return ids
