"""The Gateway SMS rig: the real daemon: virtual modems on pseudo-terminals, a real
SQLite file, the API on loopback HTTP (port 0), and an aiohttp client speaking to it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import aiohttp
import pytest
from support import daemon_config
from support.polling import until

from smsd.api.server import api_factory
from smsd.config import load_config
from smsd.daemon import Daemon
from smsd.modem.virtual import Faults, PtyModem, VirtualModem

if TYPE_CHECKING:
    from pathlib import Path

KEY = "0123456789abcdef0123456789abcdef"
OTHER_KEY = "fedcba9876543210fedcba9876543210"

__all__ = ["KEY", "OTHER_KEY", "GatewayRig", "gateway"]


class GatewayRig:
    """A running daemon with one virtual modem (``self.modem``) and an HTTP session."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.pty: PtyModem | None = None
        self.daemon: Daemon | None = None
        self.task: asyncio.Task[int] | None = None
        self.base = ""
        self.session: aiohttp.ClientSession | None = None

    async def start(
        self, faults: Faults | None = None, *, extra_api: str = "", extra: str = ""
    ) -> None:
        self.pty = PtyModem(VirtualModem(name="m1", faults=faults or Faults()))
        path = await self.pty.start()
        config_path = daemon_config.write(
            self.tmp_path,
            daemon_config.daemon(log_format=None),
            daemon_config.api("127.0.0.1:0") + extra_api + "\n",
            daemon_config.user("ops@example.org", KEY, admin=True),
            daemon_config.user("other@example.org", OTHER_KEY),
            daemon_config.phone(
                "m1",
                path,
                delivery_reports=True,
                **daemon_config.QUICK,
            )
            + extra
            + "\n",
        )
        servers = []

        def factory(*args, **kwargs):
            server = api_factory(*args, **kwargs)
            servers.append(server)
            return server

        self.daemon = Daemon(load_config(config_path), api_factory=factory, announce=print)
        self.task = asyncio.create_task(self.daemon.serve())
        await until(lambda: bool(servers) and not servers[0].address.endswith(":0") and self._up())
        self.base = "http://" + servers[0].address
        self.session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {KEY}"})
        engine = self.daemon.engine
        await until(lambda: engine is not None and all(p.available for p in engine.phones.values()))

    def _up(self) -> bool:
        engine = self.daemon.engine if self.daemon else None
        return engine is not None and len(engine.phones) == 1

    async def id_user(self, email: str = "ops@example.org") -> int:
        assert self.daemon is not None
        assert self.daemon.db is not None
        row = await self.daemon.db.fetchone("SELECT id FROM user WHERE email = ?", (email,))
        return int(row["id"])

    @property
    def modem(self) -> VirtualModem:
        assert self.pty is not None
        return self.pty.modem

    def wire(self) -> list:
        """Every SMS-SUBMIT the virtual modem received, decoded."""
        return [item.decoded for item in self.modem.submitted]

    async def call(self, method: str, path: str, **kwargs) -> tuple[int, dict]:
        assert self.session is not None
        async with self.session.request(method, self.base + path, **kwargs) as reply:
            return reply.status, await reply.json()

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        if self.daemon is not None:
            self.daemon.stop()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.task, 30)
        if self.pty is not None:
            await self.pty.stop()


@pytest.fixture
async def gateway(tmp_path):
    rig = GatewayRig(tmp_path)
    yield rig
    await rig.close()
