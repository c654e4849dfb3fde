"""API keys: random enough, stored only as SHA-256 digests, accepted from two places only."""

from __future__ import annotations

import hashlib
import sqlite3

import aiohttp
import pytest
from support.security_rig import KEY_A, A, call, serve, store

from smsd.api.app import make_app
from smsd.api.server import ApiServer
from smsd.config import ApiConfig, TcpListen
from smsd.store import accounts, migrate
from smsd.store.db import Database

KEY_VERSION = 4  # the migration that introduced key digests


def test_generated_keys_carry_128_random_bits() -> None:
    keys = {accounts.generate_key() for _ in range(1000)}
    assert len(keys) == 1000
    for key in keys:
        assert len(key) == 32
        int(key, 16)  # hex: 32 characters x 4 bits = 128 bits
    assert accounts.KEY_BYTES * 8 >= 128
    # Every hex digit shows up in every position over 1000 keys: no fixed or biased nibble.
    for position in range(32):
        assert len({key[position] for key in keys}) == 16


async def test_keys_are_stored_hashed_and_never_in_clear(tmp_path) -> None:
    path = tmp_path / "smsd.sqlite3"
    async with store(path) as (db, id_a, _b):
        found = await db.fetchone("SELECT api_key, key_digest FROM user WHERE id = ?", (id_a,))
        assert found["api_key"] is None
        assert found["key_digest"] == hashlib.sha256(KEY_A.encode()).hexdigest()
        assert found["key_digest"] == accounts.key_digest(KEY_A)
        user = await accounts.user_by_api_key(db, KEY_A)
        assert user is not None
        assert (user.id, user.api_key) == (id_a, KEY_A)
        assert await accounts.user_by_api_key(db, KEY_A.upper()) is None
        assert await accounts.user_by_api_key(db, found["key_digest"]) is None  # not the digest
    for name in ("smsd.sqlite3", "smsd.sqlite3-wal"):
        file = tmp_path / name
        if file.exists():
            assert KEY_A.encode() not in file.read_bytes()


async def test_lookup_goes_through_the_digest_index(tmp_path) -> None:
    path = tmp_path / "smsd.sqlite3"
    async with store(path):
        pass
    conn = sqlite3.connect(path)
    try:
        plan = " ".join(
            str(r[3])
            for r in conn.execute(
                "EXPLAIN QUERY PLAN SELECT id FROM user WHERE key_digest = ?", ("0" * 64,)
            )
        )
    finally:
        conn.close()
    assert "INDEX" in plan, plan
    assert plan.startswith("SEARCH user"), plan
    assert "SCAN" not in plan, plan


async def test_plain_keys_of_an_older_database_are_hashed(tmp_path) -> None:
    path = tmp_path / "smsd.sqlite3"
    old = await Database.open(path, target_version=KEY_VERSION - 1)
    try:
        await old.execute(
            "INSERT INTO user (email, api_key, admin) VALUES ('old@example.org', ?, 1)", (KEY_A,)
        )
    finally:
        await old.close()
    db = await Database.open(path)
    try:
        assert migrate.latest_version() >= KEY_VERSION
        # Migrated but not yet hashed: the key is kept so that it can be hashed, not lost.
        found = await db.fetchone("SELECT api_key, key_digest FROM user")
        assert (found["api_key"], found["key_digest"]) == (KEY_A, None)
        assert await accounts.upgrade_keys(db) == 1
        assert await accounts.upgrade_keys(db) == 0
        found = await db.fetchone("SELECT api_key, key_digest FROM user")
        assert (found["api_key"], found["key_digest"]) == (None, accounts.key_digest(KEY_A))
        user = await accounts.user_by_api_key(db, KEY_A)
        assert user is not None
        assert user.email == "old@example.org"
    finally:
        await db.close()


async def test_the_api_server_hashes_old_keys_before_serving(tmp_path) -> None:
    path = tmp_path / "smsd.sqlite3"
    old = await Database.open(path, target_version=KEY_VERSION - 1)
    try:
        await old.execute(
            "INSERT INTO user (email, api_key) VALUES ('old@example.org', ?)", (KEY_A,)
        )
    finally:
        await old.close()
    db = await Database.open(path)
    config = ApiConfig(listen=TcpListen("127.0.0.1", 0))
    server = ApiServer(config, make_app(config, db, lambda: None))
    try:
        address = await server.start()
        found = await db.fetchone("SELECT api_key FROM user")
        assert found["api_key"] is None
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://{address}/api/usage/", headers=A) as response,
        ):
            assert response.status == 200, await response.text()
    finally:
        await server.stop()
        await db.close()


@pytest.mark.parametrize(
    "where",
    [
        {"headers": {"Authorization": f"Bearer {KEY_A}"}},
        {"headers": {"Authorization": f"Basic {KEY_A}"}},
        {"headers": {"Cookie": f"api_key={KEY_A}"}},
        {"headers": {"X-Api-Token": KEY_A}},
        {"params": {"apikey": KEY_A}},
        {"params": {"key": KEY_A}},
    ],
)
async def test_the_key_is_only_read_from_the_header_or_the_parameter(tmp_path, where) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, _a, _b), serve(db) as client:
        status, body = await call(client, "GET", "/api/usage/", **where)
        assert status == 401
        assert body["error"] == 1
        assert (await call(client, "GET", "/api/usage/", headers=A))[0] == 200
        assert (await call(client, "GET", "/api/usage/", params={"api_key": KEY_A}))[0] == 200
        status, _ = await call(client, "POST", "/api/contact/", data={"api_key": KEY_A})
        assert status != 401  # the form parameter counts too (RaspiSMS reads $_POST)


async def test_a_suspended_user_gets_error_16(tmp_path) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, id_a, _b), serve(db) as client:
        await accounts.set_user_status(db, id_a, "suspended")
        for method, path in (
            ("GET", "/api/list/sended/"),
            ("POST", "/api/scheduled/"),
            ("DELETE", "/api/scheduled/1/"),
        ):
            status, body = await call(client, method, path, headers=A)
            assert status == 403
            assert body == {
                "error": 16,
                "message": "This user account is currently suspended.",
                "response": None,
                "next": None,
                "prev": None,
            }
