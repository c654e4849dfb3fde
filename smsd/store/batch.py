"""Group commit: several short write transactions, one ``COMMIT`` and one fsync.

With ``synchronous=FULL`` every ``COMMIT`` waits for the disk, and that wait, not SQLite's own
work, is what limits how many state transitions a second the store takes. Four senders, the
dispatcher and the API each commit their own small transitions; when they arrive while the disk
is busy with the previous commit, :class:`GroupWriter` runs them together: ``BEGIN IMMEDIATE``,
each body inside its own ``SAVEPOINT``, one ``COMMIT``. Durability is unchanged (no caller hears
"done" before the commit that contains its change is on disk) and so is isolation (a body that
raises is rolled back to its savepoint alone; the others commit).

A *body* is a plain function of a :class:`sqlite3.Connection`, run in the writer connection's own
thread (:mod:`smsd.store.writer`), so a whole batch costs one hand-over between the event loop and
that thread, however many statements its bodies run. Bodies must be short and must not touch the
event loop.

This queue is the store's one write path: a transition that needs the event loop between its
statements (a coroutine body, :meth:`smsd.store.db.Database.atomic`) waits in the same queue and
runs alone, in its own transaction, when its turn comes. Jobs are taken in arrival order; a batch
never waits for more work to arrive (an idle store commits a lone transition at once).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from smsd.store.errors import StoreError, translate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from smsd.store.writer import SqliteThread

T = TypeVar("T")

MAX_BATCH = 64
"""Most transitions committed together (bounds the time a batch holds the writer)."""


@dataclass(eq=False)
class Job(Generic[T]):
    """One transition waiting for the writer."""

    action: str
    body: Callable[[sqlite3.Connection], T] | None
    """A plain body (batched), or ``None`` for a transaction run alone (``alone``)."""
    done: asyncio.Future[T] = field(repr=False)
    alone: Callable[[], Awaitable[T]] | None = field(default=None, repr=False)
    """A coroutine transaction, run by itself under the writer lock."""


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    value: Any  # the body's result, or the exception it raised


def run_batch(
    conn: sqlite3.Connection, bodies: list[Callable[[sqlite3.Connection], Any]]
) -> list[_Outcome]:
    """Run ``bodies`` in one transaction, each in its own savepoint (in the writer's thread).

    A body that raises is rolled back alone and its exception is its outcome (a lone body runs
    without a savepoint: its transaction is all it has to roll back). An error of the
    transaction itself (``BEGIN``, ``COMMIT``, a failed savepoint rollback) propagates after a
    ``ROLLBACK``: then no body's change is kept.
    """
    if len(bodies) == 1:
        return [_run_alone(conn, bodies[0])]
    conn.execute("BEGIN IMMEDIATE")
    outcomes: list[_Outcome] = []
    try:
        for body in bodies:
            conn.execute("SAVEPOINT transition")
            try:
                value = body(conn)
            except Exception as exc:
                if not conn.in_transaction:
                    # SQLite rolled the whole transaction back (a full disk, an I/O error):
                    # the bodies before this one are undone too, so the batch fails as a whole,
                    # with this error.
                    raise
                conn.execute("ROLLBACK TO transition")
                conn.execute("RELEASE transition")
                outcomes.append(_Outcome(ok=False, value=exc))
            else:
                conn.execute("RELEASE transition")
                outcomes.append(_Outcome(ok=True, value=value))
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return outcomes


def _run_alone(conn: sqlite3.Connection, body: Callable[[sqlite3.Connection], Any]) -> _Outcome:
    """One body in its own transaction: no savepoint needed, a failure rolls it all back."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        value = body(conn)
    except Exception as exc:  # noqa: BLE001 - the body's own failure is its outcome
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return _Outcome(ok=False, value=exc)
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return _Outcome(ok=True, value=value)


class GroupWriter:
    """Takes write jobs from any task and commits them in order on the writer thread.

    Plain bodies are batched and handed to the thread at once when the writer is free; the
    thread's hand-back settles every caller of the batch and starts the next batch, so a write
    costs no turn of a task of its own. A coroutine transaction (``submit_alone``) runs in a
    task when its turn comes; :meth:`exclusive` holds the writer for a caller's own block. One
    thing at a time: nothing interleaves statements with a batch or a lone transaction.
    """

    def __init__(self, writer: SqliteThread, after: Callable[[], None] | None = None) -> None:
        self._writer = writer
        self._after = after
        """Called in the loop each time the writer is free again (a batch or transaction ended)."""
        self._queue: collections.deque[Job[Any]] = collections.deque()
        self._busy = False
        """A batch is in the writer's thread, or a lone transaction runs."""
        self._idle = asyncio.Event()
        self._idle.set()
        self._alone: asyncio.Task[None] | None = None
        self.batches = 0
        """Batches committed (a figure for benchmarks)."""
        self.jobs = 0
        """Transitions committed or refused in those batches."""

    def submit(self, action: str, body: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Queue ``body``; the future resolves once its batch committed (or with its error)."""
        return self._enqueue(Job(action, body, asyncio.get_running_loop().create_future()))

    def submit_alone(self, action: str, run: Callable[[], Awaitable[T]]) -> asyncio.Future[T]:
        """Queue a coroutine transaction ``run()``; it runs alone, in its turn."""
        loop = asyncio.get_running_loop()
        return self._enqueue(Job(action, None, loop.create_future(), alone=run))

    @contextlib.asynccontextmanager
    async def exclusive(self, action: str) -> AsyncIterator[None]:
        """Hold the writer for the block: after the jobs already queued, before any later one."""
        loop = asyncio.get_running_loop()
        entered: asyncio.Future[None] = loop.create_future()
        released = asyncio.Event()

        async def hold() -> None:
            if not entered.done():
                entered.set_result(None)
            await released.wait()

        done = self.submit_alone(action, hold)
        try:
            await entered
            yield
        finally:
            released.set()  # a holder cancelled while waiting lets its turn pass at once
            if not entered.done():
                entered.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await done

    def _enqueue(self, job: Job[T]) -> asyncio.Future[T]:
        self._queue.append(job)
        self._idle.clear()
        if not self._busy:
            self._next()
        return job.done

    async def drain(self) -> None:
        """Wait until every submitted job has been committed or refused."""
        await self._idle.wait()

    def _next(self) -> None:
        """Start the next batch or lone transaction, or note that the writer is idle."""
        if self._after is not None:
            self._after()
        if not self._queue:
            self._busy = False
            self._idle.set()
            return
        self._busy = True
        first = self._queue.popleft()
        if first.alone is not None:
            self._alone = asyncio.get_running_loop().create_task(
                self._commit_alone(first), name="store:lone-transaction"
            )
            return
        batch = [first]
        while len(batch) < MAX_BATCH and self._queue and self._queue[0].alone is None:
            batch.append(self._queue.popleft())
        self._commit(batch)

    async def _commit_alone(self, job: Job[Any]) -> None:
        assert job.alone is not None
        try:
            value = await job.alone()
        except asyncio.CancelledError:
            _settle(job, _Outcome(ok=False, value=StoreError(f"{job.action}: store closing")))
            raise
        except Exception as exc:  # noqa: BLE001 - the caller gets its own failure
            _settle(job, _Outcome(ok=False, value=_translated(exc, job.action)))
        else:
            self.jobs += 1
            _settle(job, _Outcome(ok=True, value=value))
        finally:
            self._alone = None
            self._next()

    def _commit(self, batch: list[Job[Any]]) -> None:
        action = batch[0].action if len(batch) == 1 else f"{len(batch)} transitions"
        bodies = [job.body for job in batch if job.body is not None]

        def settle(ok: bool, value: object) -> None:  # noqa: FBT001 - SqliteThread.call's shape
            # In the loop, as soon as the writer's thread is done: each caller is woken from
            # here, then the next batch goes to the thread (whatever happens here: a writer
            # left busy would stop every later write).
            try:
                if not ok:
                    error = _translated(cast("BaseException", value), action)
                    for job in batch:
                        _settle(job, _Outcome(ok=False, value=error))
                else:
                    outcomes = cast("list[_Outcome]", value)
                    self.batches += 1
                    self.jobs += len(batch)
                    for job, outcome in zip(batch, outcomes, strict=True):
                        if not outcome.ok:
                            outcome = _Outcome(  # noqa: PLW2901
                                ok=False, value=_translated(outcome.value, job.action)
                            )
                        _settle(job, outcome)
            finally:
                self._next()

        # One hand-over to the writer's thread for the whole batch.
        self._writer.call(lambda conn: run_batch(conn, bodies), settle)


def _translated(exc: BaseException, action: str) -> BaseException:
    if not isinstance(exc, sqlite3.Error):
        return exc
    error = translate(exc, action)
    error.__cause__ = exc
    return error


def _settle(job: Job[Any], outcome: _Outcome) -> None:
    if job.done.done():
        return
    if outcome.ok:
        job.done.set_result(outcome.value)
    else:
        job.done.set_exception(outcome.value)


__all__ = ["MAX_BATCH", "GroupWriter", "Job", "run_batch"]
