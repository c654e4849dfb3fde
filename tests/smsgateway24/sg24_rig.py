"""The real daemon in this process: two virtual modems on pseudo-terminals, the API on loopback.

The daemon is :class:`smsd.daemon.Daemon` as ``smsd run`` builds it, from a configuration file
in ``tmp_path``; its API listens on a free port. The test reaches the virtual modems behind the
phones (to deliver an SMS, change the signal, see what was submitted) and talks HTTP to the API
as any client would.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from typing import TYPE_CHECKING

import aiohttp
from support import daemon_config

from smsd.api.server import api_factory
from smsd.config import load_config
from smsd.daemon import Daemon

if TYPE_CHECKING:
    from pathlib import Path

    from smsd.modem.virtual import PtyModem

EMAIL = "ops@example.org"
API_KEY = "0123456789abcdef0123456789abcdef"
PASSWORD = "correct horse battery"  # noqa: S105 - a test password


def write_config(directory: Path) -> Path:
    """The daemon's configuration: the admin user, two virtual phones."""
    return daemon_config.write(
        directory,
        daemon_config.daemon(log_format=None),
        daemon_config.api("127.0.0.1:0"),
        daemon_config.user(EMAIL, API_KEY, admin=True),
        daemon_config.phone("virtual-1", "virtual", health_interval=0.5),
        daemon_config.phone("virtual-2", "virtual", health_interval=0.5),
    )


class Running:
    """A daemon started by :func:`running_daemon`."""

    def __init__(self, daemon: Daemon, base: str, session: aiohttp.ClientSession) -> None:
        self.daemon = daemon
        self.base = base
        self.http = session

    async def call(self, method: str, endpoint: str, **kwargs: object) -> dict:
        """One request to ``/getdata/<endpoint>``; the answer must be HTTP 200 JSON."""
        async with self.http.request(method, f"{self.base}/getdata/{endpoint}", **kwargs) as r:
            assert r.status == 200, await r.text()
            return await r.json()

    def phone_id(self, name: str) -> int:
        engine = self.daemon.engine
        assert engine is not None
        return engine.phones[name].id_phone

    def virtual(self, name: str) -> PtyModem:
        engine = self.daemon.engine
        assert engine is not None
        found = engine.phones[name].modem.virtual
        assert found is not None
        return found

    def submitted_to(self, name: str) -> list[str]:
        """The destination of every SMS-SUBMIT the phone's virtual modem took, with '+'."""
        return [
            "+" + item.decoded.destination.lstrip("+")
            for item in self.virtual(name).modem.submitted
        ]


def set_password(config_path: Path, email: str, password: str) -> subprocess.CompletedProcess:
    """``smsd user passwd EMAIL`` as a user runs it, the password on standard input."""
    return subprocess.run(
        [sys.executable, "-m", "smsd", "user", "passwd", email, "--config", str(config_path)],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


class _Recorded:
    """The daemon's API server, noting the address it listens on."""

    def __init__(self, server) -> None:
        self.server = server
        self.address: str | None = None

    async def start(self) -> str:
        self.address = await self.server.start()
        return self.address

    async def stop(self) -> None:
        await self.server.stop()


@contextlib.asynccontextmanager
async def running_daemon(tmp_path: Path):
    path = write_config(tmp_path)
    servers: list[_Recorded] = []

    def factory(*args, **kwargs):
        server = _Recorded(api_factory(*args, **kwargs))
        servers.append(server)
        return server

    daemon = Daemon(load_config(path), api_factory=factory, announce=lambda _text: None)
    task = asyncio.create_task(daemon.serve())
    try:
        async with asyncio.timeout(20):
            while not servers or servers[0].address is None or daemon.engine is None:
                await asyncio.sleep(0.05)
            engine = daemon.engine
            while not all(p.modem.ready.is_set() for p in engine.phones.values()):
                await asyncio.sleep(0.05)
        base = "http://" + str(servers[0].address).removeprefix("http://")
        async with aiohttp.ClientSession() as session:
            yield Running(daemon, base, session), path
    finally:
        daemon.stop()
        code = await asyncio.wait_for(task, timeout=20)
        assert code == 0
