"""The store's own threads: each connection is used from one thread only, never the loop's."""

from __future__ import annotations

import threading

from smsd.store.writer import SqliteThread


async def test_every_call_runs_in_the_connections_own_thread(tmp_path) -> None:
    thread = await SqliteThread.connect(str(tmp_path / "t.sqlite3"), name="test")
    try:
        seen = {await thread.run(lambda _conn: threading.get_ident()) for _ in range(20)}
        assert len(seen) == 1
        assert seen != {threading.get_ident()}
        conn = thread.coroutines()
        await conn.executescript("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);")
        cursor = await conn.executemany("INSERT INTO t (v) VALUES (?)", [("a",), ("b",)])
        assert cursor.rowcount == 2
        async with conn.execute("INSERT INTO t (v) VALUES (?)", ("c",)) as inserted:
            assert inserted.lastrowid == 3
        rows = await conn.execute_fetchall("SELECT v FROM t ORDER BY id")
        assert [r["v"] for r in rows] == ["a", "b", "c"]
        first = await (await conn.execute("SELECT v FROM t WHERE id = ?", (2,))).fetchone()
        assert first["v"] == "b"
        assert not conn.in_transaction
    finally:
        await thread.close()
    assert all(t.name != "smsd-test_0" for t in threading.enumerate())
