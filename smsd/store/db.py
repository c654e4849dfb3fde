"""The SQLite database: connections, PRAGMAs, integrity check, transactions, error translation.

One writer connection does every write, in its own thread (:mod:`smsd.store.writer`), through one
queue (:mod:`smsd.store.batch`): :meth:`Database.write` takes a plain function and group-commits
it with its neighbours; :meth:`Database.atomic` takes a coroutine and runs it alone in its turn.
A second, query-only connection in a thread of its own serves reads outside transactions: in WAL
mode it sees every committed transaction and never waits behind a writer, and it can never
observe a half-done one.

Durability: ``journal_mode=WAL`` with ``synchronous=FULL`` (every commit is fsynced before the
call returns, so what the store says is committed survives a power cut), ``foreign_keys=ON`` and a
busy timeout. At open the file gets an integrity check (``quick_check`` by default) and the
numbered migrations (:mod:`smsd.store.migrate`).

No ``sqlite3`` exception leaves this package: each becomes a :class:`smsd.errors.StoreError`
subclass from :mod:`smsd.store.errors`, with the cause chained.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from smsd.phpvalues import INT64_MAX
from smsd.store import migrate
from smsd.store.batch import GroupWriter
from smsd.store.errors import (
    DatabaseClosedError,
    DatabaseCorruptError,
    StoreError,
    translate,
)
from smsd.store.keycache import KeyCache
from smsd.store.keycache import watch as watch_keys
from smsd.store.writer import AsyncConnection, SqliteThread

if TYPE_CHECKING:
    import asyncio
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence

    from smsd.store.expansion import AcceptExpansion

    Params = Sequence[object] | Mapping[str, object]

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for another process's lock before failing (milliseconds)."""

CACHE_KIB = 512
"""Page cache of each connection, KiB (``PRAGMA cache_size``; SQLite's default is 2,000 KiB).

The daemon holds two connections (writer and reader), each with its own cache, filled as pages
are read and kept for the connection's life. The hot pages (the queue's indexes, the rows being
sent) fit in far less; the OS page cache keeps the rest of the file a read away. Measured with
``bench/compare.py`` (instant-4, 10,000 messages): about 3 MB less resident memory than the
default with no loss of throughput.
"""

STATEMENTS = 128
"""Prepared statements each connection keeps (``sqlite3``'s ``cached_statements``, its default).

A message on its way uses about 25 distinct statements on the writer and 16 on the reader, but
the same connections also serve incoming messages, delivery reports, webhooks, the dispatcher
and every page and listing of the API. A statement pushed out of the cache is prepared again
when next used, and preparing costs far more than running: about 200 µs for the update that
claims a message (its table's triggers are compiled with it), 2 µs to run it prepared. 32 would
save about 0.3 MB after start-up and risk that cost on every message of a busy, varied daemon.
"""

Check = Literal["quick", "full", "none"]

_NOTHING_LEFT: ContextVar[bool] = ContextVar("smsd_store_nothing_left", default=False)
"""Set in a task whose last write accepted messages and expanded them all (nothing for the
dispatcher); any other write in that task clears it (see :meth:`Database.dispatcher_needed`)."""


def page_offset(page: int, limit: int) -> int:
    """``OFFSET`` of page ``page`` (from 0), cut to the largest INTEGER SQLite can bind."""
    return min(page * limit, INT64_MAX)


async def _connect(path: str, *, uri: bool, busy_timeout_ms: int, name: str) -> SqliteThread:
    # Opened in the thread that will own it: a failure (missing directory, permissions) leaves
    # no thread behind (see :mod:`smsd.store.writer`).
    thread = await SqliteThread.connect(
        path, name=name, uri=uri, timeout=busy_timeout_ms / 1000, cached_statements=STATEMENTS
    )
    await thread.run(lambda conn: conn.execute(f"PRAGMA cache_size = -{int(CACHE_KIB)}"))
    return thread


async def rows(conn: AsyncConnection, sql: str, params: Params = ()) -> list[sqlite3.Row]:
    """All rows of ``sql`` on ``conn`` (inside a transaction)."""
    return list(await conn.execute_fetchall(sql, params))


async def row(conn: AsyncConnection, sql: str, params: Params = ()) -> sqlite3.Row | None:
    """The first row of ``sql`` on ``conn``, or ``None``."""
    found = await conn.execute_fetchall(sql, params)
    for first in found:
        return first
    return None


async def change(conn: AsyncConnection, sql: str, params: Params = ()) -> int:
    """Run a data-changing statement; return the number of rows it changed."""
    async with conn.execute(sql, params) as cursor:
        return cursor.rowcount


async def insert(conn: AsyncConnection, sql: str, params: Params = ()) -> int:
    """Run an ``INSERT``; return the new row's id."""
    async with conn.execute(sql, params) as cursor:
        new_id = cursor.lastrowid
    if new_id is None:  # pragma: no cover - sqlite3 always sets it after an INSERT
        raise StoreError("INSERT returned no row id")
    return new_id


class Database:
    """An open smsd database. Build it with :meth:`open`; close it with :meth:`close`."""

    def __init__(
        self,
        path: str,
        writer: SqliteThread,
        reader: SqliteThread | None,
        keys: KeyCache | None = None,
    ) -> None:
        self.path = path
        self._writer: SqliteThread | None = writer
        self._writer_conn = writer.coroutines()
        self._reader = reader
        self._group = GroupWriter(writer, after=None if keys is None else keys.settle)
        self.keys = keys
        """API keys found recently (:mod:`smsd.store.keycache`); ``None``: read every time."""
        self.accept_expansion: AcceptExpansion | None = None
        """Set by the runtime: messages due now are expanded as they are accepted
        (:mod:`smsd.store.expansion`); ``None`` leaves every one to the dispatcher."""

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        check: Check = "quick",
        read_only: bool = False,
        reader: bool = True,
        target_version: int | None = None,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> Database:
        """Open (creating it if needed) and migrate the database at ``path``.

        ``check`` is the integrity check run first (``quick_check``, the full ``integrity_check``,
        or none); a failure raises :class:`~smsd.store.errors.DatabaseCorruptError`.
        ``read_only`` opens the file read-only (for inspection tools; migrations then fail if the
        file is not current). ``reader=False`` serves reads from the writer connection too.
        ``target_version`` stops the migrations at that schema version (tests, tooling).
        """
        name = os.fspath(path)
        target = name
        if read_only:
            target = f"file:{_quote_path(name)}?mode=ro"
        writer: SqliteThread | None = None
        second: SqliteThread | None = None
        try:
            writer = await _connect(
                target, uri=read_only, busy_timeout_ms=busy_timeout_ms, name="store-writer"
            )
            setup = writer.coroutines()
            await _configure(setup, busy_timeout_ms=busy_timeout_ms)
            await _integrity(setup, check)
            await migrate.apply(setup, target=target_version)
            keys = None if read_only or target_version is not None else KeyCache()
            if keys is not None:
                await writer.run(lambda raw: watch_keys(raw, keys))
            if reader:
                second = await _connect(
                    target, uri=read_only, busy_timeout_ms=busy_timeout_ms, name="store-reader"
                )
                await second.run(lambda raw: raw.execute("PRAGMA query_only = 1"))
        except BaseException as exc:
            for thread in (second, writer):
                if thread is not None:
                    with suppress(Exception):
                        await thread.close()
            if isinstance(exc, sqlite3.Error):
                raise translate(exc, f"opening {name}") from exc
            raise
        return cls(name, writer, second, keys)

    async def close(self) -> None:
        """Finish the transactions in flight, then close both connections. Idempotent."""
        await self._group.drain()
        writer, reader = self._writer, self._reader
        self._writer = self._reader = None
        for thread in (reader, writer):
            if thread is not None:
                try:
                    await thread.close()
                except sqlite3.Error as exc:
                    raise translate(exc, "closing the database") from exc

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._writer is None

    def _conn(self) -> AsyncConnection:
        if self._writer is None:
            raise DatabaseClosedError(f"the database {self.path} is closed")
        return self._writer_conn

    def _read_thread(self) -> SqliteThread:
        if self._writer is None:
            raise DatabaseClosedError(f"the database {self.path} is closed")
        return self._reader if self._reader is not None else self._writer

    @asynccontextmanager
    async def transaction(self, action: str = "transaction") -> AsyncIterator[AsyncConnection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` on the writer connection, ``ROLLBACK`` on any error.

        ``action`` names the transaction in error messages. A ``sqlite3`` error raised inside the
        block is translated to a :class:`StoreError` after the rollback. Prefer :meth:`write`
        (or :meth:`atomic`): they queue behind the transitions already waiting.
        """
        async with self._group.exclusive(action), self._begun(action) as conn:
            yield conn

    @asynccontextmanager
    async def _begun(self, action: str) -> AsyncIterator[AsyncConnection]:
        """One transaction on the writer; the caller holds the writer (its turn in the group)."""
        conn = self._conn()
        try:
            await conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise translate(exc, action) from exc
        try:
            yield conn
            await conn.execute("COMMIT")
        except BaseException as exc:
            await _rollback(conn)
            if isinstance(exc, sqlite3.Error):
                raise translate(exc, action) from exc
            raise

    async def atomic(self, action: str, body: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run the coroutine ``body`` in one transaction named ``action``; return its result.

        For a transition that needs the event loop between its statements; anything else is a
        plain function given to :meth:`write`. It waits in the same queue as :meth:`write`'s
        transitions (:mod:`smsd.store.batch`) and runs alone when its turn comes. Once queued
        it commits or rolls back on its own even if the awaiting task is cancelled (which then
        sees :class:`asyncio.CancelledError`): never half done.
        """

        async def run() -> T:
            async with self._begun(action) as conn:
                return await body(conn)

        _ = self._conn()  # raises when closed
        _NOTHING_LEFT.set(False)
        done = self._group.submit_alone(action, run)
        done.add_done_callback(_retrieve)
        return await done  # a cancelled caller cancels this future only: the job still runs

    async def write(self, action: str, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run the plain function ``body`` as one transition named ``action``; return its result.

        ``body`` runs in the writer connection's thread inside a savepoint of a group-committed
        transaction (:mod:`smsd.store.batch`): the call returns once the ``COMMIT`` holding its
        change is on disk. An exception from ``body`` rolls back its change alone and is raised
        here (``sqlite3`` errors translated). Like :meth:`atomic`, once queued it is out of the
        caller's hands: a caller cancelled meanwhile leaves it to commit or roll back on its own.
        """
        return await self.submit(action, body)  # a cancelled caller cancels it: the job runs

    def submit(self, action: str, body: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """:meth:`write` without the wait: the future of the transition, resolved once committed.

        For a caller that must act on the outcome even if it is cancelled (it awaits the future
        through :func:`asyncio.shield` and acts in a done callback).
        """
        _ = self._conn()  # raises when closed
        _NOTHING_LEFT.set(False)
        done = self._group.submit(action, body)
        done.add_done_callback(_retrieve)
        return done

    @staticmethod
    def accepted_in_full() -> None:
        """Note that this task's last write left the dispatcher nothing to do.

        Called by the store functions that accept messages (:mod:`smsd.store.expansion`) when
        every message they stored was expanded as it was accepted.
        """
        _NOTHING_LEFT.set(True)

    @staticmethod
    def dispatcher_needed() -> bool:
        """Whether a wake of the dispatcher from this task may find work; resets the answer.

        ``False`` only right after this task's last write accepted messages and expanded them
        all: the front door's customary wake then has nothing to look for, and the read it
        would cost is saved. Anything else (another write since, another task) says ``True``.
        """
        if _NOTHING_LEFT.get():
            _NOTHING_LEFT.set(False)
            return False
        return True

    async def read(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run the plain function ``body`` on the query-only reader, in its thread, at once.

        Several queries in one hand-over to the reader's thread; they see committed data only
        (each statement its own snapshot unless ``body`` opens a read transaction).
        """
        try:
            return await self._read_thread().run(body)
        except sqlite3.Error as exc:
            raise translate(exc, "query") from exc

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a query, read outside any transaction (sees every committed change)."""
        return await self.read(lambda conn: conn.execute(sql, params).fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a query, or ``None``."""
        found = await self.fetchall(sql, params)
        return found[0] if found else None

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own short transaction.

        Returns the new row id for an ``INSERT`` that inserted a row, else the number of rows
        changed.
        """

        async def body(conn: AsyncConnection) -> int:
            async with conn.execute(sql, params) as cursor:
                is_insert = sql.lstrip().upper().startswith(("INSERT", "REPLACE"))
                if is_insert and cursor.rowcount > 0 and cursor.lastrowid is not None:
                    return cursor.lastrowid
                return cursor.rowcount

        return await self.atomic("execute", body)

    async def release_memory(self) -> None:
        """Free what each connection's page cache holds and does not use (``shrink_memory``).

        Each connection's cache fills again as pages are read; this only gives back what a
        burst left behind. It runs in each connection's thread between its other calls; the
        pragma leaves any open transaction as it is.
        """
        writer = self._writer
        if writer is None:
            return
        threads = [writer] if self._reader is None else [writer, self._reader]
        try:
            for thread in threads:
                await thread.run(_shrink)
        except sqlite3.Error as exc:
            raise translate(exc, "releasing memory") from exc


def _shrink(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA shrink_memory")


def _retrieve(done: asyncio.Future[Any]) -> None:
    # The awaiting caller may have been cancelled: its outcome is read here so that asyncio
    # does not report an exception nobody retrieved.
    if not done.cancelled():
        done.exception()


def _quote_path(path: str) -> str:
    return path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")


async def _configure(conn: AsyncConnection, *, busy_timeout_ms: int) -> None:
    await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    await conn.execute("PRAGMA foreign_keys = ON")
    mode = await row(conn, "PRAGMA journal_mode = WAL")
    if mode is None or str(mode[0]).lower() != "wal":
        found = None if mode is None else mode[0]
        raise StoreError(f"the database cannot use WAL journaling (journal_mode is {found})")
    await conn.execute("PRAGMA synchronous = FULL")


async def _integrity(conn: AsyncConnection, check: Check) -> None:
    if check == "none":
        return
    pragma = "quick_check" if check == "quick" else "integrity_check"
    found = [str(r[0]) for r in await rows(conn, f"PRAGMA {pragma}")]
    if found != ["ok"]:
        raise DatabaseCorruptError(f"{pragma} failed: {'; '.join(found[:5])}")


async def _rollback(conn: AsyncConnection) -> None:
    # The transaction may already be gone (SQLite rolls back by itself on some errors, or the
    # COMMIT ran before a cancellation reached us); a failed ROLLBACK then changes nothing.
    with suppress(sqlite3.Error, ValueError):
        await conn.execute("ROLLBACK")


__all__ = [
    "BUSY_TIMEOUT_MS",
    "Database",
    "change",
    "insert",
    "page_offset",
    "row",
    "rows",
]
