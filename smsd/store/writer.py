"""The thread that owns a SQLite connection: every call on it runs there, one at a time.

Why smsd owns this thread instead of going through aiosqlite: a state transition is a plain
function of a :class:`sqlite3.Connection` running several statements, and a group commit runs up
to :data:`~smsd.store.batch.MAX_BATCH` of them in one transaction, so a whole batch must cross to
the connection's thread in one hand-over. aiosqlite hands each statement over separately and has
no public call to run a function in its thread (smsd used its private ``_execute``, which pinned
aiosqlite below 0.23); this module is that call and nothing more. Measured (x86-64, a real file,
``synchronous=FULL``, transitions of three statements): one writer, one commit each, 3,200
transitions/s with one hand-over per transition against 1,650/s with one per statement (BEGIN,
three statements, COMMIT); fifty writers, group-committed, about 50,000/s against 1,800/s.

:class:`SqliteThread` runs functions; :class:`AsyncConnection` gives the few coroutine methods
the migrations and the multi-step transactions of :meth:`smsd.store.db.Database.atomic` use
(``execute``, ``execute_fetchall``, ``executemany``, ``executescript``), each statement run in
the same thread.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from typing import TYPE_CHECKING, Any, Self, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Mapping, Sequence

    Params = Sequence[object] | Mapping[str, object]

T = TypeVar("T")


class SqliteThread:
    """One dedicated thread and the one connection only it uses.

    Calls queue up in a :class:`queue.SimpleQueue`; the thread runs each and hands the outcome
    back with ``call_soon_threadsafe`` (no :mod:`concurrent.futures` layer: the hand-over is
    the cost that matters for a read).
    """

    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._conn: sqlite3.Connection | None = None
        self._thread = threading.Thread(target=self._serve, name=f"smsd-{name}", daemon=True)
        self._thread.start()

    @classmethod
    async def connect(
        cls,
        path: str,
        *,
        name: str,
        uri: bool = False,
        timeout: float = 5.0,
        cached_statements: int = 128,
    ) -> SqliteThread:
        """Open ``path`` in a new thread of its own (autocommit mode: smsd says ``BEGIN``).

        ``cached_statements`` is the size of the connection's cache of prepared statements.
        """
        made = cls(name)

        def open_it(_none: sqlite3.Connection) -> None:
            conn = sqlite3.connect(
                path,
                uri=uri,
                isolation_level=None,
                timeout=timeout,
                check_same_thread=False,
                cached_statements=cached_statements,
            )
            conn.row_factory = sqlite3.Row
            made._conn = conn

        try:
            await made.run(open_it)
        except BaseException:
            made._stop()
            raise
        return made

    async def run(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``body(connection)`` in the thread; return its result or raise its error."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        self._calls.put((body, done, loop))
        return await done

    def call(
        self, body: Callable[[sqlite3.Connection], T], settle: Callable[[bool, object], None]
    ) -> None:
        """Run ``body(connection)`` in the thread; then ``settle(ok, result or error)`` in the loop.

        For a caller that acts on the outcome at once (the group writer settles its batch's
        callers in that very callback): one step of the event loop fewer than awaiting
        :meth:`run`.
        """
        self._calls.put((body, settle, asyncio.get_running_loop()))

    async def close(self) -> None:
        """Close the connection in its thread, then end the thread."""
        try:
            await self.run(lambda conn: conn.close())
        finally:
            self._stop()
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join)

    def coroutines(self) -> AsyncConnection:
        """The coroutine view of this connection."""
        return AsyncConnection(self)

    def _stop(self) -> None:
        self._calls.put(None)

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            body, done, loop = call
            try:
                result = body(self._conn)  # type: ignore[arg-type]  # None only while opening
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
                if isinstance(done, asyncio.Future):
                    loop.call_soon_threadsafe(_fail, done, exc)
                else:
                    loop.call_soon_threadsafe(done, False, exc)  # noqa: FBT003 - settle(ok, value)
            else:
                if isinstance(done, asyncio.Future):
                    loop.call_soon_threadsafe(_succeed, done, result)
                else:
                    loop.call_soon_threadsafe(done, True, result)  # noqa: FBT003 - settle(ok, value)


_Call = tuple[
    "Callable[[sqlite3.Connection], Any]",
    "asyncio.Future[Any] | Callable[[bool, object], None]",
    "asyncio.AbstractEventLoop",
]


def _succeed(done: asyncio.Future[Any], result: object) -> None:
    if not done.done():  # the awaiting coroutine may have been cancelled meanwhile
        done.set_result(result)


def _fail(done: asyncio.Future[Any], exc: BaseException) -> None:
    if not done.done():
        done.set_exception(exc)


class AsyncConnection:
    """Coroutine methods over a :class:`SqliteThread`, one statement per hand-over."""

    def __init__(self, thread: SqliteThread) -> None:
        self._thread = thread

    def execute(self, sql: str, params: Params = ()) -> _Statement:
        """Run one statement; await it for a :class:`Cursor`, or ``async with`` it."""
        return _Statement(self._thread, sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> Cursor:
        """Run one statement for each of ``rows``."""
        batch = list(rows)
        return await self._thread.run(lambda conn: Cursor(conn.executemany(sql, batch)))

    async def executescript(self, script: str) -> None:
        """Run several statements separated by ``;``."""
        await self._thread.run(lambda conn: conn.executescript(script))

    async def execute_fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of one statement."""
        return await self._thread.run(lambda conn: conn.execute(sql, params).fetchall())

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (read without a hand-over: a plain attribute)."""
        conn = self._thread._conn  # noqa: SLF001 - our own class
        return conn is not None and conn.in_transaction


class Cursor:
    """What a statement left: its rows, ``rowcount`` and ``lastrowid``."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid
        self._rows: list[Any] = cursor.fetchall() if cursor.description else []

    async def fetchall(self) -> list[Any]:
        """Every row."""
        return list(self._rows)

    async def fetchone(self) -> Any:  # noqa: ANN401 - a sqlite3.Row or whatever the factory makes
        """The first row, or ``None``."""
        return self._rows[0] if self._rows else None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None


class _Statement:
    """An ``execute`` call: awaitable, and usable as ``async with conn.execute(...) as cur``."""

    def __init__(self, thread: SqliteThread, sql: str, params: Params) -> None:
        self._thread = thread
        self._sql = sql
        self._params = params

    async def _run(self) -> Cursor:
        sql, params = self._sql, self._params
        return await self._thread.run(lambda conn: Cursor(conn.execute(sql, params)))

    def __await__(self) -> Generator[Any, None, Cursor]:
        return self._run().__await__()

    async def __aenter__(self) -> Cursor:
        return await self._run()

    async def __aexit__(self, *_exc: object) -> None:
        return None


__all__ = ["AsyncConnection", "Cursor", "SqliteThread"]
