"""The API application alone (no daemon, no modem) on loopback HTTP, over a real SQLite file.

:func:`serve` runs :func:`smsd.api.app.make_app` in an aiohttp test server on a free port and
counts the dispatcher wake-ups it asks for (``client.wakes.count``). The fixtures ``users``
(two users, keys :data:`KEY_A` and :data:`KEY_B`) and ``client`` (the app for them) go with the
``db`` fixture of :mod:`support.store`; a folder's conftest imports the ones it uses.
"""

from __future__ import annotations

import contextlib

import pytest
from aiohttp.test_utils import TestClient, TestServer

from smsd.api.app import make_app
from smsd.api.auth import install_limiter
from smsd.config import ApiConfig
from smsd.store import accounts

__all__ = ["KEY_A", "KEY_B", "Wakes", "client", "serve", "users"]

KEY_A = "0123456789abcdef0123456789abcdef"
KEY_B = "fedcba9876543210fedcba9876543210"


class Wakes:
    """Counts the dispatcher wake-ups the API asked for."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@contextlib.asynccontextmanager
async def serve(db, config: ApiConfig | None = None, *, limiter: bool = False, **kwargs):
    """The app over ``db`` on loopback; ``kwargs`` go to ``make_app`` (``clock=``, ...).

    ``limiter``: with the failure limiter ``smsd run`` installs (unknown keys slowed, then
    refused).
    """
    wakes = Wakes()
    app = make_app(config or ApiConfig(), db, wakes, **kwargs)
    if limiter:
        install_limiter(app)
    running = TestClient(TestServer(app))
    await running.start_server()
    running.wakes = wakes
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def users(db):
    """Two users: ``a@example.org`` (:data:`KEY_A`) and ``b@example.org`` (:data:`KEY_B`)."""
    a = await accounts.ensure_user(db, email="a@example.org", api_key=KEY_A)
    b = await accounts.ensure_user(db, email="b@example.org", api_key=KEY_B)
    return a, b


@pytest.fixture
async def client(db, users):
    """The app serving ``db`` with its ``users``."""
    async with serve(db) as running:
        yield running
