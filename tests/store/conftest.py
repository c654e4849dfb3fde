"""Fixtures for store tests: a real SQLite file in tmp_path, a user, phones."""

from __future__ import annotations

import pytest
from store_rig import add_phone

from smsd.store import accounts
from smsd.store.db import Database


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "smsd.sqlite3")
    yield database
    await database.close()


@pytest.fixture
async def user(db) -> int:
    return await accounts.ensure_user(db, email="admin@example.org", api_key="a" * 32, admin=True)


@pytest.fixture
async def phone(db, user) -> int:
    return await add_phone(db, user, "m1")


@pytest.fixture
async def phone2(db, user) -> int:
    return await add_phone(db, user, "m2")
