"""Commands already executed: a repeated command is answered again, never stored twice.

A front door that stores messages for a command a client may send more than once (an MQTT
delivery the broker repeats after smsd restarted before acknowledging it, an HTTP POST retried
with the same ``Idempotency-Key``) names the command by one or more :class:`CommandKey` and
stores its messages through :func:`once`:

- a key already recorded for the user within :data:`WINDOW` with the same fingerprint: the first
  command's scheduled ids are returned (``replayed``) and nothing is stored;
- the same key with another fingerprint: :class:`KeyReusedError`, nothing is stored;
- otherwise the door's ``create`` stores the messages and calls the :data:`Recorder` it is given
  inside the SAME transaction (``create_scheduled(..., record=...)``,
  ``submit_all(..., record=...)``): the record exists if and only if the messages do. Two
  commands with the same key at once: the writer runs them one after the other, the second one's
  record collides with the first's, its transaction (messages included) is rolled back, and it
  answers the first one's ids.

Records are rows of ``command_record`` (see its migration); :func:`purge` deletes those older
than the window (the dispatcher's maintenance calls it). Nothing here knows MQTT or HTTP: the
door chooses the scope, the key and what the fingerprint covers.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store.errors import InvalidValueError, StoreError

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Awaitable, Callable, Sequence

    from smsd.store.db import Database

    Recorder = Callable[[sqlite3.Connection, Sequence[int]], None]
    """Writes the records of a command, given the ids it created, in the storing transaction."""

__all__ = [
    "MAX_KEY",
    "WINDOW",
    "CommandKey",
    "KeyReusedError",
    "Once",
    "digest",
    "once",
    "purge",
    "recorded",
]

WINDOW = 24 * 3600.0
"""Seconds a command's record is honoured (then purged)."""
MAX_KEY = 255
"""Longest key a client may choose (an ``Idempotency-Key``)."""


@dataclass(frozen=True)
class CommandKey:
    """One name of a command: ``scope`` (the kind of key), ``key``, and the request's digest."""

    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Once:
    """The scheduled ids of a command, and whether they come from an earlier execution."""

    ids: tuple[int, ...]
    replayed: bool


class KeyReusedError(InvalidValueError):
    """A key already recorded (within the window) for a different request."""

    def __init__(self, key: CommandKey) -> None:
        super().__init__(
            f"this key was already used in the last {WINDOW / 3600:g} h for a different request"
        )
        self.key = key


class _Taken(Exception):  # noqa: N818 - internal signal, never seen outside this module
    """The key was recorded meanwhile by a concurrent command (rolls the transaction back)."""


def digest(*parts: bytes | str) -> str:
    """Lowercase hex SHA-256 of ``parts`` (each length-prefixed, so the split is unambiguous)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def _check(keys: Sequence[CommandKey]) -> None:
    for key in keys:
        if not key.key or len(key.key) > 512 or not key.scope or len(key.scope) > 32:
            raise InvalidValueError(f"a {key.scope or 'command'} key must be 1 to 512 characters")


async def recorded(
    db: Database,
    *,
    id_user: int,
    keys: Sequence[CommandKey],
    now: float,
    window: float = WINDOW,
) -> tuple[int, ...] | None:
    """The ids of the command recorded under the first of ``keys`` found, or ``None``.

    :class:`KeyReusedError` when that record's fingerprint is not the key's.
    """
    if not keys:
        return None
    where = " OR ".join("(scope = ? AND key = ?)" for _ in keys)
    params: list[object] = [id_user, now - window]
    for key in keys:
        params += [key.scope, key.key]
    rows = await db.fetchall(
        "SELECT scope, key, fingerprint, ids FROM command_record "  # noqa: S608 - placeholders only
        f"WHERE id_user = ? AND created_at >= ? AND ({where})",
        params,
    )
    found = {(str(r["scope"]), str(r["key"])): r for r in rows}
    for key in keys:
        row = found.get((key.scope, key.key))
        if row is None:
            continue
        if str(row["fingerprint"]) != key.fingerprint:
            raise KeyReusedError(key)
        return tuple(int(i) for i in json.loads(str(row["ids"])))
    return None


def _recorder(
    id_user: int,
    keys: Sequence[CommandKey],
    remember: Sequence[CommandKey],
    now: float,
    window: float,
) -> Callable[[sqlite3.Connection, Sequence[int]], None]:
    def record(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
        text = json.dumps([int(i) for i in ids])
        for key in keys:
            conn.execute(  # an expired record not purged yet frees its key
                "DELETE FROM command_record "
                "WHERE id_user = ? AND scope = ? AND key = ? AND created_at < ?",
                (id_user, key.scope, key.key, now - window),
            )
            inserted = conn.execute(
                "INSERT INTO command_record (id_user, scope, key, fingerprint, ids, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (id_user, key.scope, key.key, key.fingerprint, text, now),
            ).rowcount
            if inserted == 0:
                raise _Taken
        for key in remember:
            conn.execute(
                "INSERT INTO command_record (id_user, scope, key, fingerprint, ids, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                "fingerprint = excluded.fingerprint, ids = excluded.ids, "
                "created_at = excluded.created_at",
                (id_user, key.scope, key.key, key.fingerprint, text, now),
            )

    return record


async def once(
    db: Database,
    *,
    id_user: int,
    keys: Sequence[CommandKey],
    create: Callable[[Recorder], Awaitable[Sequence[int]]],
    remember: Sequence[CommandKey] = (),
    now: float | None = None,
    window: float = WINDOW,
) -> Once:
    """Run ``create`` unless a command with one of ``keys`` was recorded (see the module).

    ``create`` stores the messages and must call the recorder it is given, with the new ids,
    inside the transaction that stores them. Without keys, ``create`` just runs (its recorder
    writes nothing). ``remember`` are keys recorded too (replacing an older record) but not
    looked up now: the door knows this command is not a repeat under them (an MQTT delivery
    without the DUP flag) and only a later repeat must find them. Raises
    :class:`KeyReusedError`, or what ``create`` raises.
    """
    _check([*keys, *remember])
    moment = time.time() if now is None else now
    found = await recorded(db, id_user=id_user, keys=keys, now=moment, window=window)
    if found is not None:
        return Once(ids=found, replayed=True)
    try:
        ids = await create(_recorder(id_user, keys, remember, moment, window))
    except _Taken:
        # A concurrent command with the same key committed first (the writer settles a
        # transaction's callers only after its batch committed): answer as it did.
        found = await recorded(db, id_user=id_user, keys=keys, now=moment, window=window)
        if found is None:
            raise StoreError("a command record vanished while it was being read") from None
        return Once(ids=found, replayed=True)
    return Once(ids=tuple(ids), replayed=False)


async def purge(db: Database, *, now: float, window: float = WINDOW) -> int:
    """Delete the records older than ``window``; return how many."""
    return await db.execute("DELETE FROM command_record WHERE created_at < ?", (now - window,))
