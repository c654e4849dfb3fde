"""A real API server on a background thread, so that ``cli.main`` (which runs its own event loop)
can be tested in-process against it over loopback TCP and a Unix socket."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from support.store import add_phone

from smsd.api.app import make_app
from smsd.config import ApiConfig
from smsd.store import accounts
from smsd.store.db import Database

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator
    from pathlib import Path

KEY = "0123456789abcdef0123456789abcdef"
OTHER_KEY = "fedcba9876543210fedcba9876543210"
EMAIL = "ops@example.org"


@dataclass
class ApiRig:
    """The running server: where it listens, its database and a way to run code in its loop."""

    url: str
    socket_path: str
    db_path: Path
    loop: asyncio.AbstractEventLoop
    db: Database
    id_user: int
    id_phones: dict[str, int]

    def run(self, work: Callable[[Database], Awaitable[object]]) -> object:
        """Run ``work(db)`` in the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work(self.db), self.loop).result(timeout=30)

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """Read the database file directly (a second connection, as the CLI tools do)."""
        conn = sqlite3.connect(self.db_path)
        conn.row_factory = sqlite3.Row
        try:
            return list(conn.execute(sql, params))
        finally:
            conn.close()


async def _setup(tmp_path: Path, phones: list[str]):
    db = await Database.open(tmp_path / "smsd.sqlite3")
    id_user = await accounts.ensure_user(db, email=EMAIL, api_key=KEY, admin=True)
    await accounts.ensure_user(db, email="other@example.org", api_key=OTHER_KEY)
    id_phones = {}
    for name in phones:
        id_phones[name] = await add_phone(db, id_user, name, adapter="adapters\\TestAdapter")
    app = make_app(ApiConfig(), db, lambda: None)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    socket_path = str(tmp_path / "api.sock")
    await web.UnixSite(runner, socket_path).start()
    host, port = runner.addresses[0][:2]
    return db, runner, f"http://{host}:{port}", socket_path, id_user, id_phones


@contextlib.contextmanager
def api_server(tmp_path: Path, phones: list[str] = ()) -> Iterator[ApiRig]:
    """Serve the API of a fresh database (two users, ``phones``) until the block ends."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="api-rig", daemon=True)
    thread.start()
    try:
        future = asyncio.run_coroutine_threadsafe(_setup(tmp_path, list(phones)), loop)
        db, runner, url, socket_path, id_user, id_phones = future.result(timeout=30)
        try:
            yield ApiRig(url, socket_path, tmp_path / "smsd.sqlite3", loop, db, id_user, id_phones)
        finally:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
            asyncio.run_coroutine_threadsafe(db.close(), loop).result(timeout=30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
