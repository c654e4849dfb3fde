"""Shared fixtures of the HTTP tests: a real SQLite file, two users, the app on loopback HTTP."""

from __future__ import annotations

import contextlib
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from smsd.api.app import make_app
from smsd.config import ApiConfig
from smsd.store import accounts
from smsd.store.db import Database

KEY_A = "0123456789abcdef0123456789abcdef"
KEY_B = "fedcba9876543210fedcba9876543210"
NOW = 1_700_000_000.0  # 2023-11-14 local wall time depends on TZ; tests use wall() to compare


class Wakes:
    """Counts the dispatcher wake-ups the API asked for."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@contextlib.asynccontextmanager
async def serve(db, config: ApiConfig | None = None, **kwargs):
    wakes = Wakes()
    app = make_app(config or ApiConfig(), db, wakes, **kwargs)
    client = TestClient(TestServer(app))
    await client.start_server()
    client.wakes = wakes
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "smsd.sqlite3")
    yield database
    await database.close()


@pytest.fixture
async def users(db):
    a = await accounts.ensure_user(db, email="a@example.org", api_key=KEY_A)
    b = await accounts.ensure_user(db, email="b@example.org", api_key=KEY_B)
    return a, b


@pytest.fixture
async def client(db, users):
    async with serve(db) as running:
        yield running


async def add_phone(db, id_user: int, name: str) -> int:
    return await accounts.sync_phone(
        db,
        id_user=id_user,
        name=name,
        adapter="smsd\\Modem",
        adapter_data='{"device": "virtual"}',
        priority=0,
        limits=[],
    )


async def add_sended(
    db,
    id_user: int,
    id_phone: int | None,
    destination: str,
    *,
    state="sent",
    at="2024-01-02 10:00:00",
    tag=None,
    text="hi",
) -> int:
    return await db.execute(
        "INSERT INTO sended (at, text, destination, id_user, id_phone, tag, state, due_at, "
        "next_attempt_at, segments) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 1)",
        (at, text, destination, id_user, id_phone, tag, state),
    )


async def get_json(client, path: str, *, status: int = 200, **kwargs):
    response = await client.get(path, **kwargs)
    text = await response.text()
    assert response.status == status, text
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(text)


async def post_json(client, path: str, *, status: int = 201, **kwargs):
    response = await client.post(path, **kwargs)
    text = await response.text()
    assert response.status == status, text
    return json.loads(text)


def error_body(code: int, message: str) -> str:
    return json.dumps(
        {"error": code, "message": message, "response": None, "next": None, "prev": None},
        separators=(",", ":"),
    ).replace("/", "\\/")
