"""Helpers of the security tests: a store with two users and the API on loopback HTTP."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from aiohttp.test_utils import TestClient, TestServer

from smsd.api.app import make_app
from smsd.api.auth import install_limiter
from smsd.config import ApiConfig
from smsd.store import accounts
from smsd.store.db import Database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

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


@contextlib.asynccontextmanager
async def serve(db: Database, config: ApiConfig | None = None) -> AsyncIterator[TestClient]:
    """The API (with its failure limiter) on loopback HTTP."""
    app = make_app(config or ApiConfig(), db, lambda: None)
    install_limiter(app)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def call(client: TestClient, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    """``(status, parsed JSON body or None)`` of one request."""
    response = await client.request(method, path, **kwargs)
    text = await response.text()
    return response.status, (json.loads(text) if text else None)
