"""Fixtures of the reliability tests: a real SQLite file, a user with a phone."""

from __future__ import annotations

import pytest
from reliability_helpers import add_user
from support.store import add_phone, db

__all__ = ["db"]


@pytest.fixture
async def user(db) -> int:
    return await add_user(db)


@pytest.fixture
async def phone(db, user) -> int:
    return await add_phone(db, user)
