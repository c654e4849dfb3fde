"""Fixtures of the reliability tests: a real SQLite file, a user with a phone."""

from __future__ import annotations

import pytest
from reliability_helpers import add_phone, add_user

from smsd.store.db import Database


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "smsd.sqlite3")
    yield database
    await database.close()


@pytest.fixture
async def user(db) -> int:
    return await add_user(db)


@pytest.fixture
async def phone(db, user) -> int:
    return await add_phone(db, user)
