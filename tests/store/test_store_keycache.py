"""API keys found recently: no read while trusted, every change of the daemon's own seen at once,
another process's within the TTL."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from support.store import ADMIN_KEY

from smsd.store import accounts, users_admin
from smsd.store.db import Database
from smsd.store.keycache import MAX_KEYS, TTL, KeyCache
from smsd.store.rows import UserRow

ANN = UserRow(id=1, email="ann@example.org", api_key="k", status="active", admin=False)


def test_a_key_is_trusted_for_the_ttl_only() -> None:
    cache = KeyCache()
    cache.put("k", (ANN, {"smsstop": "1"}), cache.generation, 100.0, settings=True)
    assert cache.get("k", 100.0 + TTL / 2, settings=True) == (ANN, {"smsstop": "1"})
    assert cache.get("k", 100.0, settings=False) is None  # read alone: its own entry
    assert cache.get("k", 100.0 + TTL, settings=True) is None


def test_callers_get_their_own_settings() -> None:
    cache = KeyCache()
    cache.put("k", (ANN, {"smsstop": "1"}), cache.generation, 0.0, settings=True)
    first = cache.get("k", 0.0, settings=True)
    assert first is not None
    first[1]["smsstop"] = "0"
    assert cache.get("k", 0.0, settings=True) == (ANN, {"smsstop": "1"})


def test_a_change_drops_every_key_and_any_read_begun_before_it() -> None:
    cache = KeyCache()
    cache.put("k", (ANN, {}), cache.generation, 0.0, settings=True)
    before = cache.generation  # a read starts...
    cache.touched()  # ...a transaction changes a user (writer's thread)...
    cache.settle()  # ...and ends
    assert cache.get("k", 0.0, settings=True) is None
    cache.put("k", (ANN, {}), before, 0.0, settings=True)  # what that read found
    assert cache.get("k", 0.0, settings=True) is None
    cache.settle()  # a transaction that changed no user or setting keeps what is kept
    cache.put("k", (ANN, {}), cache.generation, 0.0, settings=True)
    cache.settle()
    assert cache.get("k", 0.0, settings=True) is not None


def test_the_cache_is_bounded() -> None:
    cache = KeyCache()
    for n in range(MAX_KEYS + 1):
        cache.put(f"k{n}", (ANN, {}), cache.generation, 0.0, settings=True)
    assert cache.get(f"k{MAX_KEYS}", 0.0, settings=True) is not None
    assert sum(cache.get(f"k{n}", 0.0, settings=True) is not None for n in range(MAX_KEYS)) == 0


async def _status(db: Database, key: str) -> str | None:
    found = await accounts.key_owner(db, key)
    return None if found is None else found[0].status


def _outside(db: Database, sql: str, params: tuple[object, ...]) -> None:
    """A change by another process's connection (``smsd user …`` beside the daemon)."""
    conn = sqlite3.connect(db.path, isolation_level=None)
    try:
        conn.execute(sql, params)
    finally:
        conn.close()


async def test_the_daemons_own_changes_are_seen_at_once(db, user) -> None:
    assert await _status(db, ADMIN_KEY) == "active"  # now kept
    await accounts.set_user_status(db, user, "suspended")
    assert await _status(db, ADMIN_KEY) == "suspended"
    await accounts.set_setting(db, id_user=user, name="smsstop", value="0")
    found = await accounts.key_owner(db, ADMIN_KEY)
    assert found is not None
    assert found[1]["smsstop"] == "0"
    new_key = await users_admin.rotate_key(db, "admin@example.org")
    assert await accounts.key_owner(db, ADMIN_KEY) is None
    assert await _status(db, new_key) == "suspended"


async def test_another_process_changes_are_seen_within_the_ttl(db, user) -> None:
    assert await _status(db, ADMIN_KEY) == "active"
    _outside(db, "UPDATE user SET status = 'suspended' WHERE id = ?", (user,))
    assert await _status(db, ADMIN_KEY) == "active"  # trusted a little longer
    await asyncio.sleep(TTL * 1.1)
    assert await _status(db, ADMIN_KEY) == "suspended"


async def test_a_key_not_found_is_looked_for_again(db, user) -> None:
    later = "b" * 32
    assert await accounts.key_owner(db, later) is None
    _outside(
        db,
        "UPDATE user SET key_digest = ? WHERE id = ?",
        (accounts.key_digest(later), user),
    )
    assert await _status(db, later) == "active"  # at once: a miss is not kept


async def test_a_read_only_database_reads_every_time(tmp_path) -> None:
    path = tmp_path / "smsd.sqlite3"
    writable = await Database.open(path)
    await accounts.ensure_user(writable, email="a@example.org", api_key=ADMIN_KEY)
    await writable.close()
    inspected = await Database.open(path, read_only=True)
    try:
        assert inspected.keys is None
        assert await _status(inspected, ADMIN_KEY) == "active"
    finally:
        await inspected.close()


@pytest.mark.parametrize("table", ["user", "setting"])
async def test_the_watch_lives_with_the_writer_connection_only(db, user, table) -> None:
    """The triggers are temporary: nothing of them is in the schema another process reads."""
    conn = sqlite3.connect(db.path)
    try:
        found = conn.execute(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?", (table,)
        ).fetchone()
    finally:
        conn.close()
    assert found == (0,)
