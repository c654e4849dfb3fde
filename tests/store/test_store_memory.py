"""Bounded memory in the store: each connection's page cache, and the number cache beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd import phone
from smsd.store.db import CACHE_KIB, Database

if TYPE_CHECKING:
    from pathlib import Path


async def test_both_connections_keep_a_small_page_cache(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "smsd.sqlite3")
    try:
        read = await db.read(lambda conn: conn.execute("PRAGMA cache_size").fetchone()[0])
        written = await db.write(
            "cache size", lambda conn: conn.execute("PRAGMA cache_size").fetchone()[0]
        )
    finally:
        await db.close()
    assert read == written == -CACHE_KIB
    assert CACHE_KIB <= 1024


def test_the_number_cache_is_bounded() -> None:
    phone._to_e164.cache_clear()
    for i in range(phone.CACHED_NUMBERS * 2):
        assert phone.to_e164(f"+3361234{i:04d}") == f"+3361234{i:04d}"
    assert phone._to_e164.cache_info().currsize == phone.CACHED_NUMBERS


def _sqlite_memory_used() -> int:
    """Bytes SQLite holds in this process (its own counter, through the module's library)."""
    import _sqlite3  # noqa: PLC0415 - the C module links the SQLite library Python uses
    import ctypes  # noqa: PLC0415

    used = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    used.restype = ctypes.c_int64
    return int(used())


async def test_release_memory_empties_both_page_caches(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "smsd.sqlite3")
    try:
        rows = [(i, "x" * 500) for i in range(4000)]  # about 2 MB: more pages than one cache

        def fill(conn):
            conn.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)")
            conn.executemany("INSERT INTO filler VALUES (?, ?)", rows)

        def scan(conn):
            return conn.execute("SELECT count(*), sum(length(body)) FROM filler").fetchone()[0]

        await db.write("fill", fill)
        assert await db.read(scan) == await db.write("scan", scan) == len(rows)
        full = _sqlite_memory_used()
        await db.release_memory()
        released = _sqlite_memory_used()
        # Both caches were full (CACHE_KIB each); what stays is schemas and statements.
        assert full - released >= CACHE_KIB * 1024
        # The caches work as before: the next reads fill them again.
        assert await db.read(scan) == len(rows)
        assert _sqlite_memory_used() > released
    finally:
        await db.close()
    await db.release_memory()  # closed: nothing to do, no error
