"""Wake-ups on new rows: a task that waits for rows of a table sleeps until one is inserted.

Rows such as webhook events and received messages are inserted by triggers or by transitions
in any part of the core; the task that handles them should neither poll the table nor be told
by every writer. :func:`watch_inserts` installs a ``TEMP`` trigger on the writer connection that
calls a function of ours for every row inserted into the table, and that function schedules the
caller's callback on the event loop.

Each watcher names itself (``owner``): one table may have several watchers (the webhook sender
and the MQTT bridge both wait for webhook events), each with its own trigger; a watcher that
watches again (a task restarted) replaces its own trigger and nobody else's.

The trigger fires inside the writer's transaction, before its ``COMMIT``: a reader woken then
may not see the row yet. :meth:`InsertWatch.settled` waits for a no-op write queued after the
insert; the store runs writes in order, so once it is done the transaction holding the row has
committed (or rolled back).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

    from smsd.store.db import Database

__all__ = ["InsertWatch", "watch_inserts"]

WATCHED = frozenset({"received", "webhook_event"})
"""Tables a watch may be put on (the name goes into SQL text)."""
_OWNER = re.compile(r"[a-z][a-z0-9_]{0,30}")
"""What an owner's name may be (it goes into SQL text too)."""


class InsertWatch:
    """Rows were inserted into a table since the last :meth:`settled`."""

    def __init__(self, db: Database, table: str, callback: Callable[[], None]) -> None:
        self._db = db
        self.table = table
        self._callback = callback
        self.pending = False
        """A row was inserted and :meth:`settled` has not been awaited since."""

    def fired(self) -> None:
        """On the event loop: a row was inserted (maybe not committed yet)."""
        self.pending = True
        self._callback()

    async def settled(self) -> None:
        """Return once every insert seen so far is committed or rolled back."""
        if not self.pending:
            return
        self.pending = False
        await self._db.write(f"settle {self.table}", _nothing)


def _nothing(_conn: sqlite3.Connection) -> None:
    """A write that changes nothing: its commit follows every write queued before it."""


async def watch_inserts(
    db: Database, table: str, callback: Callable[[], None], *, owner: str
) -> InsertWatch:
    """Call ``callback`` on the event loop whenever the writer inserts a row into ``table``.

    The watch lasts as long as the store's connection, or until ``owner`` watches ``table``
    again (the new callback replaces the old one). ``callback`` must be cheap and must not raise
    (it typically sets an :class:`asyncio.Event`).
    """
    if table not in WATCHED:
        raise ValueError(f"no insert watch for table {table!r}")
    if not _OWNER.fullmatch(owner):
        raise ValueError(f"not a watcher's name: {owner!r}")
    loop = asyncio.get_running_loop()
    watch = InsertWatch(db, table, callback)
    function = f"smsd_inserted_{table}_{owner}"

    def notify() -> None:  # in the writer's thread, inside its transaction
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(watch.fired)

    def install(conn: sqlite3.Connection) -> None:
        conn.create_function(function, 0, notify)
        conn.execute(
            f"CREATE TEMP TRIGGER IF NOT EXISTS {function} AFTER INSERT ON main.{table} "
            f"BEGIN SELECT {function}(); END"
        )

    await db.write(f"watch {table}", install)
    return watch
