"""Shared pieces of the SMSPartner door tests: a SQLite file, two users, the app on loopback."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from aiohttp.test_utils import TestClient, TestServer

from smsd.api.app import make_app
from smsd.config import ApiConfig
from smsd.store import accounts
from smsd.store.db import Database

KEY = "0123456789abcdef0123456789abcdef"
OTHER_KEY = "fedcba9876543210fedcba9876543210"
NOW = dt.datetime(2030, 6, 10, 10, 2, 0).timestamp()  # noqa: DTZ001 - local wall time
"""The app's clock: 10 June 2030, 10:02 local time."""


class Wakes:
    """Counts the dispatcher wake-ups the API asked for."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@contextlib.asynccontextmanager
async def serve(db, config: ApiConfig | None = None, **kwargs):
    wakes = Wakes()
    kwargs.setdefault("clock", lambda: NOW)
    app = make_app(config or ApiConfig(), db, wakes, **kwargs)
    running = TestClient(TestServer(app))
    await running.start_server()
    running.wakes = wakes
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "smsd.sqlite3")
    yield database
    await database.close()


@pytest.fixture
async def users(db):
    a = await accounts.ensure_user(db, email="a@example.org", api_key=KEY)
    b = await accounts.ensure_user(db, email="b@example.org", api_key=OTHER_KEY)
    return a, b


@pytest.fixture
async def client(db, users):
    async with serve(db) as running:
        yield running


async def call(client, method: str, path: str, *, status: int = 200, **kwargs) -> dict:
    """One request; the JSON answer, its HTTP status checked."""
    response = await client.request(method, path, **kwargs)
    text = await response.text()
    assert response.status == status, text
    assert response.content_type == "application/json"
    return json.loads(text)


async def send(client, body: dict, *, status: int = 200) -> dict:
    """POST /v1/send with a JSON body, as SMSPartner's examples do."""
    return await call(client, "POST", "/v1/send", status=status, json=body)


def xml_values(text: str) -> list:
    """SMSPartner's XML answer as nested lists of entry texts."""

    def walk(element: ET.Element) -> object:
        children = list(element)
        if not children:
            return (element.text or "").strip()
        return [walk(child) for child in children]

    root = ET.fromstring(text)  # noqa: S314 - our own answer
    assert root.tag == "result"
    return [walk(child) for child in root]
