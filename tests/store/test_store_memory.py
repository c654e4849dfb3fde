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
