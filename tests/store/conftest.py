"""Fixtures for store tests: a real SQLite file in tmp_path, a user, phones."""

from __future__ import annotations

import pytest
from support.store import add_phone, db, user

__all__ = ["db", "user"]


@pytest.fixture
async def phone(db, user) -> int:
    return await add_phone(db, user, "m1")


@pytest.fixture
async def phone2(db, user) -> int:
    return await add_phone(db, user, "m2")
