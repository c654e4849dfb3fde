"""Group commit: transitions arriving together share one COMMIT, each keeps its own outcome."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from smsd.store import accounts
from smsd.store.db import Database
from smsd.store.errors import ConstraintError, StoreError, TransitionError


def insert_setting(id_user: int, name: str, value: str):
    def body(conn: sqlite3.Connection) -> int:
        cursor = conn.execute(
            "INSERT INTO setting (id_user, name, value) VALUES (?, ?, ?)", (id_user, name, value)
        )
        return int(cursor.lastrowid or 0)

    return body


async def settings(db: Database, id_user: int) -> dict[str, str]:
    found = await db.fetchall("SELECT name, value FROM setting WHERE id_user = ?", (id_user,))
    return {str(r["name"]): str(r["value"]) for r in found}


async def test_concurrent_writes_share_commits_and_all_land(db, user) -> None:
    group = db._group
    before_batches, before_jobs = group.batches, group.jobs
    ids = await asyncio.gather(
        *(db.write("put", insert_setting(user, f"key{n}", str(n))) for n in range(200))
    )
    assert len(set(ids)) == 200
    assert await settings(db, user) == {f"key{n}": str(n) for n in range(200)}
    jobs = group.jobs - before_jobs
    batches = group.batches - before_batches
    assert jobs == 200
    assert batches < jobs  # several transitions per COMMIT
    assert batches >= 200 // 64  # never more than MAX_BATCH in one


async def test_a_failing_body_is_rolled_back_alone(db, user) -> None:
    def half_then_fail(conn: sqlite3.Connection) -> None:
        insert_setting(user, "half", "1")(conn)
        raise TransitionError("test", 1, "queued", "refused on purpose")

    results = await asyncio.gather(
        db.write("first", insert_setting(user, "first", "1")),
        db.write("bad", half_then_fail),
        db.write("duplicate", insert_setting(user, "first", "2")),  # UNIQUE (id_user, name)
        db.write("last", insert_setting(user, "last", "1")),
        return_exceptions=True,
    )
    assert isinstance(results[0], int)
    assert isinstance(results[1], TransitionError)
    assert isinstance(results[2], ConstraintError)  # sqlite3 errors come back translated
    assert "duplicate" in str(results[2])
    assert isinstance(results[3], int)
    assert await settings(db, user) == {"first": "1", "last": "1"}


async def test_a_write_returns_after_its_commit(tmp_path, db, user) -> None:
    await db.write("put", insert_setting(user, "durable", "yes"))
    # A second connection (another process's view) sees it at once: it was committed.
    other = sqlite3.connect(tmp_path / "smsd.sqlite3")
    try:
        found = other.execute("SELECT value FROM setting WHERE name = 'durable'").fetchall()
    finally:
        other.close()
    assert found == [("yes",)]


async def test_a_cancelled_caller_does_not_cancel_its_transition(db, user) -> None:
    task = asyncio.ensure_future(db.write("put", insert_setting(user, "kept", "1")))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await db.write("barrier", lambda _conn: None)  # the batch after it has committed too
    assert await settings(db, user) == {"kept": "1"}


async def test_read_runs_several_queries_in_one_visit(db, user) -> None:
    await db.write("put", insert_setting(user, "a", "1"))

    def both(conn: sqlite3.Connection) -> tuple[int, int]:
        users = conn.execute("SELECT count(*) FROM user").fetchone()[0]
        values = conn.execute("SELECT count(*) FROM setting").fetchone()[0]
        return int(users), int(values)

    assert await db.read(both) == (1, 1)


async def test_reader_is_query_only(db) -> None:
    with pytest.raises(StoreError, match=r"readonly|read-only"):
        await db.read(lambda conn: conn.execute("DELETE FROM user"))


async def test_write_after_close_is_refused(tmp_path) -> None:
    db = await Database.open(tmp_path / "closed.sqlite3")
    await db.close()
    with pytest.raises(StoreError, match="closed"):
        await db.write("late", lambda _conn: None)


async def test_close_waits_for_queued_transitions(tmp_path) -> None:
    db = await Database.open(tmp_path / "drain.sqlite3")
    id_user = await accounts.ensure_user(db, email="u@example.org", api_key="k" * 32)
    pending = [
        asyncio.ensure_future(db.write("put", insert_setting(id_user, f"k{n}", "v")))
        for n in range(20)
    ]
    await asyncio.sleep(0)
    await db.close()
    assert all(task.done() and task.exception() is None for task in pending)
    reopened = await Database.open(tmp_path / "drain.sqlite3")
    try:
        assert len(await settings(reopened, id_user)) == 20
    finally:
        await reopened.close()
