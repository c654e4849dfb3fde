"""Helpers of the security tests (and the storage ones of the fault tests): a store with two
users and the API, with its failure limiter, on loopback HTTP."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from smsd.store import accounts
from smsd.store.db import Database
from support import http_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from aiohttp.test_utils import TestClient

    from smsd.config import ApiConfig

KEY_A = "a1" * 16
KEY_B = "b2" * 16
A = {"X-Api-Key": KEY_A}
B = {"X-Api-Key": KEY_B}


@contextlib.asynccontextmanager
async def store(path: Path) -> AsyncIterator[tuple[Database, int, int]]:
    """An open store at ``path`` with users A and B."""
    db = await Database.open(path)
    try:
        a = await accounts.ensure_user(db, email="a@example.org", api_key=KEY_A)
        b = await accounts.ensure_user(db, email="b@example.org", api_key=KEY_B)
        yield db, a, b
    finally:
        await db.close()


def serve(db: Database, config: ApiConfig | None = None):
    """The API (with its failure limiter) on loopback HTTP."""
    return http_app.serve(db, config, limiter=True)


async def call(client: TestClient, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    """``(status, parsed JSON body or None)`` of one request."""
    response = await client.request(method, path, **kwargs)
    text = await response.text()
    return response.status, (json.loads(text) if text else None)
