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
    from collections.abc import Awaitable, Callable

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

    ``lock`` is the database's writer lock: a batch or a lone transaction holds it, so nothing
    else (:meth:`smsd.store.db.Database.transaction`) interleaves statements with it.
    """

    def __init__(self, writer: SqliteThread, lock: asyncio.Lock) -> None:
        self._writer = writer
        self._lock = lock
        self._queue: collections.deque[Job[Any]] = collections.deque()
        self._waiting = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
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

    def _enqueue(self, job: Job[T]) -> asyncio.Future[T]:
        self._queue.append(job)
        self._idle.clear()
        self._waiting.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="store:group-writer"
            )
        return job.done

    async def drain(self) -> None:
        """Wait until every submitted job has been committed or refused, then stop the task."""
        await self._idle.wait()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._idle.set()
                self._waiting.clear()
                await self._waiting.wait()
                continue
            first = self._queue.popleft()
            if first.alone is not None:
                await self._commit_alone(first)
                continue
            batch = [first]
            while len(batch) < MAX_BATCH and self._queue and self._queue[0].alone is None:
                batch.append(self._queue.popleft())
            await self._commit(batch)

    async def _commit_alone(self, job: Job[Any]) -> None:
        assert job.alone is not None
        try:
            async with self._lock:
                value = await job.alone()
        except asyncio.CancelledError:
            _settle(job, _Outcome(ok=False, value=StoreError(f"{job.action}: store closing")))
            raise
        except Exception as exc:  # noqa: BLE001 - the caller gets its own failure
            _settle(job, _Outcome(ok=False, value=_translated(exc, job.action)))
        else:
            self.jobs += 1
            _settle(job, _Outcome(ok=True, value=value))

    async def _commit(self, batch: list[Job[Any]]) -> None:
        action = batch[0].action if len(batch) == 1 else f"{len(batch)} transitions"
        bodies = [job.body for job in batch if job.body is not None]
        finished = asyncio.get_running_loop().create_future()

        def settle(ok: bool, value: object) -> None:  # noqa: FBT001 - SqliteThread.call's shape
            # In the loop, as soon as the writer's thread is done: each caller is woken from
            # here, without waiting for this task to run again.
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
                        outcome = _Outcome(ok=False, value=_translated(outcome.value, job.action))  # noqa: PLW2901
                    _settle(job, outcome)
            if not finished.done():
                finished.set_result(None)

        async with self._lock:
            # One hand-over to the writer's thread for the whole batch.
            self._writer.call(lambda conn: run_batch(conn, bodies), settle)
            # Stopped meanwhile (only at close, after drain): the thread finishes the batch on
            # its own and settle() still tells each caller how it ended.
            await finished


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
