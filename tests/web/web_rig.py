"""The dashboard's test rig: the daemon in this process on a virtual modem over a pty, real HTTP.

The daemon runs in the test's event loop (``Daemon.serve`` as a task) with its real HTTP factory,
so the pages are served on a loopback port exactly as ``smsd run`` serves them; the virtual modem
answers on a pseudo-terminal, so the test can hand it incoming SMS and status reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from support import daemon_config
from support.polling import until

from smsd.config import load_config
from smsd.daemon import Daemon
from smsd.modem.virtual import PtyModem, VirtualModem
from smsd.store import accounts

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

ADMIN_KEY = "a" * 32
OTHER_KEY = "b" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WebRig:
    """The running daemon, its modem and its base URL."""

    daemon: Daemon
    modem: PtyModem
    base: str

    async def until(
        self, predicate: Callable[[], Awaitable[object] | object], timeout: float = 20.0
    ) -> None:
        await until(predicate, timeout, 0.05)


def _config(tmp_path: Path, device: str, port: int) -> Path:
    return daemon_config.write(
        tmp_path,
        daemon_config.daemon(),
        daemon_config.api(f"127.0.0.1:{port}"),
        "[web]\nrefresh = 1\n",
        daemon_config.user("ops@example.org", ADMIN_KEY, admin=True),
        daemon_config.user("other@example.org", OTHER_KEY),
        daemon_config.phone(
            "dongle-1", device, delivery_reports=True, poll_interval=1, health_interval=2
        )
        + 'limits = [{ volume = 100, startpoint = "today" }]\n',
    )


@contextlib.asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[WebRig]:
    """The daemon serving the dashboard, its modem ready (initialised, answering)."""
    modem = PtyModem(VirtualModem(name="dongle-1"))
    await modem.start()
    port = free_port()
    daemon = Daemon(load_config(_config(tmp_path, modem.path, port)), announce=lambda _t: None)
    task = asyncio.create_task(daemon.serve())
    rig = WebRig(daemon, modem, f"http://127.0.0.1:{port}")
    try:

        async def ready() -> bool:
            engine = daemon.engine
            if engine is None or not engine.phones:
                return False
            if not all(phone.modem.ready.is_set() for phone in engine.phones.values()):
                return False
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                return False
            writer.close()
            return True

        await rig.until(ready)
        assert daemon.db is not None
        assert await accounts.user_by_api_key(daemon.db, ADMIN_KEY) is not None
        yield rig
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 30)
        await modem.stop()
