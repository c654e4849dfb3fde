"""The store under test: a real SQLite file in ``tmp_path``, and rows every folder needs."""

from __future__ import annotations

import pytest

from smsd.store import accounts
from smsd.store.db import Database

__all__ = ["ADMIN_KEY", "add_phone", "db", "user"]

ADMIN_KEY = "a" * 32


@pytest.fixture
async def db(tmp_path):
    """A fresh database file (migrated), closed after the test."""
    database = await Database.open(tmp_path / "smsd.sqlite3")
    yield database
    await database.close()


@pytest.fixture
async def user(db) -> int:
    """An admin user (``admin@example.org``, :data:`ADMIN_KEY`); its id."""
    return await accounts.ensure_user(db, email="admin@example.org", api_key=ADMIN_KEY, admin=True)


async def add_phone(
    db,
    id_user: int,
    name: str = "m1",
    *,
    priority: int = 0,
    limits=(),
    adapter: str = "smsd\\Modem",
) -> int:
    """A phone of ``id_user`` (a virtual device), as the daemon's configuration sync writes it."""
    return await accounts.sync_phone(
        db,
        id_user=id_user,
        name=name,
        adapter=adapter,
        adapter_data='{"device": "virtual"}',
        priority=priority,
        limits=list(limits),
    )
