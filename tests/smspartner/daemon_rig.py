"""The daemon as a subprocess over virtual modems on pseudo-terminals, and a callback receiver.

The virtual modems and the receiver run in the test's event loop; clients that block (Python's
``http.client``, curl) run in threads or subprocesses so the modems keep answering meanwhile.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from aiohttp import web
from support import daemon_config, daemon_process

from smsd.modem.virtual import Faults, PtyModem, VirtualModem

if TYPE_CHECKING:
    from pathlib import Path

KEY = "0123456789abcdef0123456789abcdef"


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 recording the form posted to each path."""

    posts: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = (await request.read()).decode()
        self.posts.append((request.path, dict(parse_qsl(body, keep_blank_values=True))))
        return web.Response(text="OK")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[dict[str, str]]:
        return [form for where, form in self.posts if where == path]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def write_config(directory: Path, modem: PtyModem) -> Path:
    return daemon_config.write(
        directory,
        daemon_config.daemon(),
        daemon_config.api("127.0.0.1:0"),
        '[api.smspartner]\ndefault_region = "FR"\ncommercial = false\n',
        "[webhooks]\nretry_initial = 0.2\nretry_max = 1\n",
        daemon_config.user("ops@example.org", KEY, admin=True),
        daemon_config.phone(
            "dongle-1",
            modem.path,
            delivery_reports=True,
            poll_interval=1,
            health_interval=2,
            command_timeout=2,
            submit_timeout=5,
        ),
    )


@contextlib.asynccontextmanager
async def running_daemon(directory: Path):
    """Modem on a pty, receiver, daemon: yields ``(host_port, modem, receiver)``."""
    modem = PtyModem(VirtualModem(name="dongle-1", faults=Faults(auto_status_reports=True)))
    await modem.start()
    receiver = Receiver()
    await receiver.start()
    log = directory / "daemon.log"
    env = dict(os.environ)
    env.pop("NOTIFY_SOCKET", None)
    process = await daemon_process.start_async(write_config(directory, modem), log, env=env)
    try:
        yield await daemon_process.api_listening(log), modem, receiver
    finally:
        await daemon_process.stop_async(process)
        await receiver.stop()
        await modem.stop()
