"""The store's errors: every ``sqlite3`` failure becomes one of these, with the cause chained.

They all derive from :class:`smsd.errors.StoreError`, so a caller that only cares that "the
database refused" catches that one type. The subclasses say why, when the reason changes what an
operator or the caller should do: a full disk, a read-only file, a corrupt file, a transition
asked from the wrong state.
"""

from __future__ import annotations

import sqlite3

from smsd.errors import StoreError

# Primary result codes of SQLite (the low byte of an extended code).
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_CONSTRAINT = 19
SQLITE_NOTADB = 26


class DatabaseFullError(StoreError):
    """The disk (or the database's page limit) is full: nothing more can be written."""


class DatabaseReadOnlyError(StoreError):
    """The database file, its directory or the connection is read-only."""


class DatabaseCorruptError(StoreError):
    """The file is not a database, or its integrity check failed."""


class DatabaseBusyError(StoreError):
    """Another process held a lock on the database for longer than the busy timeout."""


class DatabaseClosedError(StoreError):
    """The database was used after :meth:`~smsd.store.db.Database.close`."""


class ConstraintError(StoreError):
    """A row broke a constraint: an unknown reference (user, phone…) or a duplicate key."""


class MigrationError(StoreError):
    """The schema could not be brought to the current version."""


class NotFoundError(StoreError):
    """The row an operation names does not exist."""


class InvalidValueError(StoreError, ValueError):
    """A value handed to the store is malformed (bad date, bad JSON text, negative count…)."""


class TransitionError(StoreError):
    """A message state transition was asked from a state that does not allow it.

    Every outbox transition is a compare-and-set on the current state; when it finds another
    state (someone else moved the message, or the caller is confused) it changes nothing and
    raises this. ``state`` is the state found (``None`` when the message does not exist).
    """

    def __init__(
        self, transition: str, id_sended: int, state: str | None, detail: str = ""
    ) -> None:
        found = "no such message" if state is None else f"it is {state}"
        extra = f" ({detail})" if detail else ""
        super().__init__(f"{transition} refused for message {id_sended}: {found}{extra}")
        self.transition = transition
        self.id_sended = id_sended
        self.state = state


def translate(exc: sqlite3.Error, action: str) -> StoreError:  # noqa: PLR0911 - one exit per code
    """The :class:`StoreError` for ``exc`` raised while doing ``action`` (chain: ``from exc``)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    detail = str(exc) or type(exc).__name__
    if primary == SQLITE_FULL:
        return DatabaseFullError(f"{action}: the disk is full (database or disk full: {detail})")
    if primary == SQLITE_READONLY:
        return DatabaseReadOnlyError(
            f"{action}: the database is read-only (check the permissions of the file and of "
            f"its directory, and free space for the -wal/-shm files): {detail}"
        )
    if primary in {SQLITE_CORRUPT, SQLITE_NOTADB}:
        return DatabaseCorruptError(
            f"{action}: the database file is corrupt or not a database: {detail}"
        )
    if primary in {SQLITE_BUSY, SQLITE_LOCKED}:
        return DatabaseBusyError(f"{action}: the database is locked by another process: {detail}")
    if primary == SQLITE_CONSTRAINT or isinstance(exc, sqlite3.IntegrityError):
        return ConstraintError(f"{action}: {detail}")
    if primary == SQLITE_CANTOPEN:
        return StoreError(f"{action}: cannot open the database file: {detail}")
    if primary == SQLITE_IOERR:
        return StoreError(f"{action}: input/output error on the database file: {detail}")
    return StoreError(f"{action}: {detail}")


__all__ = [
    "ConstraintError",
    "DatabaseBusyError",
    "DatabaseClosedError",
    "DatabaseCorruptError",
    "DatabaseFullError",
    "DatabaseReadOnlyError",
    "InvalidValueError",
    "MigrationError",
    "NotFoundError",
    "StoreError",
    "TransitionError",
    "translate",
]
