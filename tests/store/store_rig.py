"""Helpers of the store tests (imported by name: several test folders have a conftest)."""

from __future__ import annotations

from smsd.store import accounts


async def add_phone(db, id_user: int, name: str, *, priority: int = 0, limits=()) -> int:
    return await accounts.sync_phone(
        db,
        id_user=id_user,
        name=name,
        adapter="smsd\\Modem",
        adapter_data='{"device": "virtual"}',
        priority=priority,
        limits=list(limits),
    )
