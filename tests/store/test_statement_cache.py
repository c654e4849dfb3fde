"""The statements a message uses fit in each connection's statement cache (``STATEMENTS``).

A connection keeps :data:`~smsd.store.db.STATEMENTS` prepared statements, least recently used
out first; a busy path that used more would prepare some of its statements again for every
message. Messages are accepted (and expanded, as the API does) and sent through the engine over
a virtual modem on a pseudo-terminal; every distinct SQL text each connection runs meanwhile is
counted, after a warm-up, and must fit.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest
from support.polling import until

from smsd.config import PhoneConfig
from smsd.modem.virtual import PtyModem, VirtualModem
from smsd.runtime.engine import Engine
from smsd.store import accounts
from smsd.store.db import STATEMENTS, Database
from smsd.store.outbox import Recipient, create_scheduled


class _Counting(sqlite3.Connection):
    """A connection that notes each SQL text it runs (test instrumentation only)."""

    seen: dict[str, int]

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
        self.seen[sql] = self.seen.get(sql, 0) + 1
        return super().execute(sql, *args)  # type: ignore[arg-type]


@pytest.fixture
def connections(monkeypatch) -> list[_Counting]:
    made: list[_Counting] = []
    real = sqlite3.connect

    def connect(*args, **kwargs):
        kwargs["factory"] = _Counting
        conn = real(*args, **kwargs)
        conn.seen = {}
        made.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return made


async def test_a_message_path_fits_in_the_statement_cache(tmp_path, connections) -> None:
    db = await Database.open(tmp_path / "smsd.sqlite3")
    writer, reader = connections
    id_user = await accounts.ensure_user(db, email="a@example.org", api_key="k" * 32, admin=True)
    engine = Engine(db, id_user=id_user)
    pty = PtyModem(VirtualModem(name="m1"))
    task = None
    try:
        path = await pty.start()
        phone = await engine.add_phone(PhoneConfig(name="m1", device=path))
        await asyncio.wait_for(phone.modem.ready.wait(), timeout=10)
        await engine.recover()
        task = asyncio.create_task(engine.run())

        async def send(count: int, start: int) -> None:
            for n in range(start, start + count):
                text = "short" if n % 3 else "long " * 40  # one and two segments
                await create_scheduled(
                    db, id_user=id_user, text=text, at=None, numbers=[Recipient(f"+3361{n:07d}")]
                )
                engine.wake()
            await until(lambda: len(pty.modem.submitted) >= _segments(start + count))

        await send(6, 0)  # warm-up: everything the first messages prepare
        for conn in (writer, reader):
            conn.seen.clear()
        await send(30, 6)
        busy_writer, busy_reader = len(writer.seen), len(reader.seen)
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.close()
        await pty.stop()
        await db.close()
    assert busy_writer >= 8  # the counting saw the path (claims, sends, expansions)
    assert busy_writer < STATEMENTS  # 22 when written; the API adds its reads on the reader
    assert busy_reader < STATEMENTS


def _segments(messages: int) -> int:
    return sum(1 if n % 3 else 2 for n in range(messages))
