"""The daemon as a subprocess over virtual modems on pseudo-terminals, and a callback receiver.

The virtual modems and the receiver run in the test's event loop; clients that block (Python's
``http.client``, curl) run in threads or subprocesses so the modems keep answering meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from aiohttp import web

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
    path = directory / "smsd.toml"
    path.write_text(
        f"""
[daemon]
database = "smsd.sqlite3"
log_format = "json"

[api]
listen = "127.0.0.1:0"

[api.smspartner]
default_region = "FR"
commercial = false

[webhooks]
retry_initial = 0.2
retry_max = 1

[[users]]
email = "ops@example.org"
api_key = "{KEY}"
admin = true

[[phones]]
name = "dongle-1"
device = "{modem.path}"
delivery_reports = true
poll_interval = 1
health_interval = 2
command_timeout = 2
submit_timeout = 5
""",
        encoding="utf-8",
    )
    return path


async def wait_for_api(log: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""  # noqa: ASYNC240 - a small local file
        for line in text.splitlines():
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict) and event.get("event") == "api_listening":
                    return str(event["address"]).removeprefix("http://")
        await asyncio.sleep(0.05)
    raise AssertionError(text)


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
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "smsd", "run", "--config", str(write_config(directory, modem)),
            stdout=out, stderr=asyncio.subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        yield await wait_for_api(log), modem, receiver
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        await receiver.stop()
        await modem.stop()
