"""Fixtures of the webhook tests: a real SQLite file, a user with a phone, a loopback receiver."""

from __future__ import annotations

import pytest
from support.store import add_phone, db
from webhook_helpers import API_KEY, Receiver

from smsd.store import accounts

__all__ = ["db"]


@pytest.fixture
async def user(db) -> int:
    return await accounts.ensure_user(db, email="a@example.org", api_key=API_KEY)


@pytest.fixture
async def phone(db, user) -> int:
    return await add_phone(db, user)


@pytest.fixture
async def receiver():
    running = Receiver()
    await running.start()
    yield running
    await running.stop()
