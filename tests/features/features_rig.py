"""The daemon in this process with its API on a Unix socket, a virtual modem on a pty, and a
webhook receiver on loopback: what the core-feature tests drive end to end."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from support import daemon_config
from support.polling import until

from smsd.config import load_config
from smsd.daemon import Daemon
from smsd.modem.virtual import PtyModem, VirtualModem

if TYPE_CHECKING:
    from pathlib import Path

API_KEY = "q" * 32
PLAIN_KEY = "p" * 32
EMAIL = "ops@example.org"


class Hooks:
    """A loopback HTTP server recording the webhooks posted to it."""

    def __init__(self) -> None:
        self.posts: list[dict[str, str]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def _hook(self, request: web.Request) -> web.Response:
        self.posts.append({k: str(v) for k, v in (await request.post()).items()})
        return web.Response(text="ok")

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """Bodies (decoded) of the posts of one webhook type."""
        return [json.loads(p["body"]) for p in self.posts if p.get("webhook_type") == kind]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class FeatureRig:
    """One daemon (restartable with another configuration), one pty modem, one webhook sink."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.socket = tmp_path / "api.sock"
        self.pty = PtyModem(VirtualModem(name="dongle"))
        self.hooks = Hooks()
        self.daemon: Daemon | None = None
        self._task: asyncio.Task[int] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self, extra: str = "") -> None:
        """Start (or restart) the daemon with ``extra`` TOML appended to the base config."""
        if not self.pty.plugged:
            await self.pty.start()
            await self.hooks.start()
        path = self.write_config(extra)
        self.daemon = Daemon(load_config(path), announce=lambda _text: None)
        self._task = asyncio.create_task(self.daemon.serve())
        await until(self.socket.exists)
        engine = None

        def phone_ready() -> bool:
            nonlocal engine
            engine = self.daemon.engine if self.daemon else None
            return bool(engine and engine.phones) and all(
                p.modem.ready.is_set() for p in engine.phones.values()
            )

        await until(phone_ready)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.UnixConnector(path=str(self.socket)),
            headers={"X-Api-Key": API_KEY},
        )

    def write_config(self, extra: str = "") -> Path:
        """Write the daemon's configuration with ``extra`` TOML appended; its path."""
        return daemon_config.write(
            self.tmp_path,
            daemon_config.daemon(log_format=None),
            daemon_config.api(f"unix:{self.socket}"),
            daemon_config.user(EMAIL, API_KEY, admin=True),
            daemon_config.user("plain@example.org", PLAIN_KEY),
            daemon_config.phone(
                "dongle",
                self.pty.path,
                delivery_reports=False,
                health_interval=1,
                poll_interval=1,
                command_timeout=2,
                submit_timeout=5,
            )
            + extra
            + "\n",
        )

    async def stop_daemon(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.daemon is not None and self._task is not None:
            self.daemon.stop()
            assert await asyncio.wait_for(self._task, 30) == 0
            self.daemon = None
            self._task = None
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()

    async def close(self) -> None:
        await self.stop_daemon()
        await self.pty.stop()
        await self.hooks.stop()

    async def call(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        """One API request; the envelope's ``response`` (or ``None`` for 204)."""
        assert self._session is not None
        async with self._session.request(method, f"http://smsd{path}", **kwargs) as reply:
            text = await reply.text()
            assert reply.status == status, text
            return json.loads(text)["response"] if text else None

    async def envelope(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        assert self._session is not None
        async with self._session.request(method, f"http://smsd{path}", **kwargs) as reply:
            return reply.status, await reply.json()

    async def post(self, text: str, *numbers: str, **fields: str) -> int:
        """``POST /api/scheduled/``; the new scheduled id."""
        data = {"text": text, "numbers[]": list(numbers), **fields}
        return int(await self.call("POST", "/api/scheduled/", 201, data=data))

    def wire(self) -> list[tuple[str, str]]:
        """(destination, text) of every SMS-SUBMIT the modem received."""
        return [(i.decoded.destination, i.decoded.text or "") for i in self.pty.modem.submitted]

    async def sended(self) -> list[dict[str, Any]]:
        return list(await self.call("GET", "/api/list/sended/", 200))
