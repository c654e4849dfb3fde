"""Fixtures for store tests: a real SQLite file in tmp_path, a user, phones."""

from __future__ import annotations

import pytest
from support.store import add_phone, db

from smsd.store import accounts

__all__ = ["db"]


@pytest.fixture
async def user(db) -> int:
    return await accounts.ensure_user(db, email="admin@example.org", api_key="a" * 32, admin=True)


@pytest.fixture
async def phone(db, user) -> int:
    return await add_phone(db, user, "m1")


@pytest.fixture
async def phone2(db, user) -> int:
    return await add_phone(db, user, "m2")
