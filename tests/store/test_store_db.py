"""Connections, PRAGMAs, transactions, and sqlite3 errors translated into StoreError."""

from __future__ import annotations

import asyncio
import os
import sqlite3

import pytest

from smsd.errors import StoreError
from smsd.store import accounts
from smsd.store.db import Database
from smsd.store.errors import (
    ConstraintError,
    DatabaseClosedError,
    DatabaseCorruptError,
    DatabaseFullError,
    DatabaseReadOnlyError,
)


async def pragma(conn, name: str):
    [row] = await conn.execute_fetchall(f"PRAGMA {name}")
    return row[0]


async def test_pragmas_are_set_on_the_writer(db) -> None:
    async with db.transaction() as conn:
        assert await pragma(conn, "journal_mode") == "wal"
        assert await pragma(conn, "synchronous") == 2  # FULL
        assert await pragma(conn, "foreign_keys") == 1
        assert await pragma(conn, "busy_timeout") == 5000


async def test_reader_is_query_only_and_sees_commits(db, user) -> None:
    assert (await db.fetchone("PRAGMA query_only"))[0] == 1
    assert (await db.fetchone("PRAGMA busy_timeout"))[0] == 5000
    await accounts.ensure_user(db, email="b@example.org", api_key="b" * 32)
    found = await db.fetchall("SELECT email FROM user ORDER BY id")
    assert [r["email"] for r in found] == ["admin@example.org", "b@example.org"]


async def test_foreign_keys_are_enforced(db) -> None:
    with pytest.raises(ConstraintError, match="FOREIGN KEY"):
        await db.execute("INSERT INTO phone (id_user, adapter, name) VALUES (999, 'x', 'y')")


async def test_execute_returns_new_id_or_rowcount(db, user) -> None:
    new_id = await db.execute(
        "INSERT INTO contact (id_user, name, number) VALUES (?, ?, ?)", (user, "A", "+33611111111")
    )
    assert new_id == 1
    assert await db.execute("UPDATE contact SET name = 'B' WHERE id_user = ?", (user,)) == 1
    assert await db.execute("UPDATE contact SET name = 'B' WHERE id = 999") == 0


async def test_transaction_rolls_back_on_error(db, user) -> None:
    class BoomError(Exception):
        pass

    async def failing() -> None:
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO contact (id_user, name, number) VALUES (?, 'A', '+336')", (user,)
            )
            raise BoomError

    with pytest.raises(BoomError):
        await failing()
    assert await db.fetchall("SELECT * FROM contact") == []
    # the writer is usable again
    await db.execute("INSERT INTO contact (id_user, name, number) VALUES (?, 'A', '+336')", (user,))


async def test_sqlite_errors_never_cross_the_layer(db) -> None:
    with pytest.raises(StoreError) as caught:
        await db.fetchall("SELEC nonsense")
    assert isinstance(caught.value.__cause__, sqlite3.Error)
    with pytest.raises(StoreError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO no_such_table VALUES (1)")


async def test_closed_database_raises_store_error(tmp_path) -> None:
    database = await Database.open(tmp_path / "x.sqlite3")
    await database.close()
    await database.close()  # idempotent
    assert database.closed
    with pytest.raises(DatabaseClosedError):
        await database.fetchall("SELECT 1")
    with pytest.raises(DatabaseClosedError):
        await database.execute("SELECT 1")


async def test_corrupt_file_is_refused(tmp_path) -> None:
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(DatabaseCorruptError):
        await Database.open(path)


async def test_damaged_pages_fail_the_integrity_check(tmp_path, user) -> None:
    path = tmp_path / "damaged.sqlite3"
    database = await Database.open(path)
    uid = await accounts.ensure_user(database, email="x@example.org", api_key="x" * 32)
    for i in range(300):
        await accounts.create_contact(database, id_user=uid, name=f"c{i}", number=f"+3361{i:07d}")
    await database.close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'contact_list'").fetchone()[
        0
    ]
    page_size = raw.execute("PRAGMA page_size").fetchone()[0]
    raw.close()
    with path.open("r+b") as handle:  # scribble over the index's root page
        handle.seek((root - 1) * page_size + 8)
        handle.write(b"\x00\xff" * 200)
    with pytest.raises(DatabaseCorruptError):
        await Database.open(path, check="full")


async def test_read_only_connection_gives_a_clear_error(db, user) -> None:
    async with db.transaction() as conn:
        await conn.execute("PRAGMA query_only = 1")
    with pytest.raises(DatabaseReadOnlyError, match="read-only"):
        await accounts.create_contact(db, id_user=user, name="A", number="+33611111111")
    with pytest.raises(DatabaseReadOnlyError):
        async with db.transaction():
            pass
    await db._writer.run(lambda conn: conn.execute("PRAGMA query_only = 0"))
    await accounts.create_contact(db, id_user=user, name="A", number="+33611111111")


async def test_read_only_open_refuses_to_migrate(tmp_path) -> None:
    path = tmp_path / "old.sqlite3"
    sqlite3.connect(path).close()  # an empty file at schema version 0
    with pytest.raises(DatabaseReadOnlyError):
        await Database.open(path, read_only=True)


async def test_read_only_open_reads_but_refuses_writes(tmp_path) -> None:
    path = tmp_path / "ro.sqlite3"
    database = await Database.open(path)
    await accounts.ensure_user(database, email="a@example.org", api_key="a" * 32)
    await database.close()
    readonly = await Database.open(path, read_only=True)
    try:
        assert (await readonly.fetchone("SELECT count(*) FROM user"))[0] == 1
        with pytest.raises(DatabaseReadOnlyError):
            await accounts.ensure_user(readonly, email="b@example.org", api_key="b" * 32)
    finally:
        await readonly.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
async def test_read_only_file_permissions(tmp_path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "x.sqlite3"
    database = await Database.open(path)
    await database.close()
    path.chmod(0o444)
    folder.chmod(0o555)

    async def write() -> None:
        opened = await Database.open(path)
        try:
            await accounts.ensure_user(opened, email="a@example.org", api_key="a" * 32)
        finally:
            await opened.close()

    try:
        with pytest.raises(StoreError):
            await write()
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


async def test_full_disk_gives_a_clear_error(db, user) -> None:
    async with db.transaction() as conn:
        [row] = await conn.execute_fetchall("PRAGMA page_count")
        await conn.execute(f"PRAGMA max_page_count = {row[0] + 2}")

    async def fill() -> None:
        for i in range(200):
            await accounts.create_contact(
                db, id_user=user, name="x" * 2000, number=f"+336{i:08d}", data="[]"
            )

    with pytest.raises(DatabaseFullError, match="disk is full"):
        await fill()
    # what was committed before is intact; the writer still works for reads and small writes
    count = (await db.fetchone("SELECT count(*) FROM contact"))[0]
    assert count > 0
    async with db.transaction() as conn:
        await conn.execute("PRAGMA max_page_count = 1073741823")
    await accounts.create_contact(db, id_user=user, name="after", number="+33600000000")


async def test_cancelled_caller_does_not_abort_a_started_transition(db, user) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def body(conn):
        await conn.execute(
            "INSERT INTO contact (id_user, name, number) VALUES (?, 'slow', '+336')", (user,)
        )
        started.set()
        await release.wait()
        return 1

    task = asyncio.create_task(db.atomic("slow", body))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    await db.close()  # waits for the shielded transaction, which commits
    reopened = await Database.open(db.path)
    try:
        assert (await reopened.fetchone("SELECT count(*) FROM contact"))[0] == 1
    finally:
        await reopened.close()


async def test_concurrent_transactions_are_serialised(db, user) -> None:
    async def add(i: int) -> int:
        return await accounts.create_contact(db, id_user=user, name=f"c{i}", number=f"+3361{i:07d}")

    ids = await asyncio.gather(*(add(i) for i in range(50)))
    assert sorted(ids) == list(range(1, 51))


async def test_writer_only_mode(tmp_path) -> None:
    database = await Database.open(tmp_path / "single.sqlite3", reader=False)
    try:
        await accounts.ensure_user(database, email="a@example.org", api_key="a" * 32)
        assert (await database.fetchone("SELECT count(*) FROM user"))[0] == 1
    finally:
        await database.close()


async def test_missing_directory_is_a_store_error(tmp_path) -> None:
    with pytest.raises(StoreError, match="cannot open"):
        await Database.open(tmp_path / "missing" / "x.sqlite3")
