"""Shared pieces of the webhook tests: a real aiohttp receiver on loopback, store shortcuts."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from aiohttp import web

from smsd.config import WebhooksConfig
from smsd.store import outbox
from smsd.store.outbox import Recipient

if TYPE_CHECKING:
    import ssl

API_KEY = "0123456789abcdef0123456789abcdef"
OTHER_KEY = "fedcba9876543210fedcba9876543210"
NOW = 1_700_000_000.0

# Fast retries so failure tests run in seconds; generous timeout for a loaded machine.
FAST = WebhooksConfig(
    timeout=5.0, max_age=60.0, concurrency=8, per_target=4, retry_initial=0.05, retry_max=0.2
)


@dataclass
class Hit:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    form: dict[str, str]
    at: float


@dataclass
class Receiver:
    """An HTTP receiver on 127.0.0.1 with fault knobs: fail the first N, answer slowly, go away."""

    fail_first: int = 0
    fail_status: int = 500
    delay: float = 0.0
    hits: list[Hit] = field(default_factory=list)
    tries: list[Hit] = field(default_factory=list)
    port: int = 0
    concurrent: int = 0
    max_concurrent: int = 0
    tls: ssl.SSLContext | None = None  # serve https with this context
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        hit = Hit(
            path=request.path,
            headers=dict(request.headers),
            body=body,
            form=dict(parse_qsl(body.decode("ascii"), keep_blank_values=True)),
            at=time.time(),
        )
        self.tries.append(hit)
        self.concurrent += 1
        self.max_concurrent = max(self.max_concurrent, self.concurrent)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.concurrent -= 1
        if len(self.tries) <= self.fail_first:
            return web.Response(status=self.fail_status, text="not now")
        self.hits.append(hit)
        return web.Response(text="ok")

    def event_ids(self) -> list[int]:
        return [int(h.headers["X-Smsd-Event-Id"]) for h in self.hits]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, "127.0.0.1", self.port, reuse_address=True, ssl_context=self.tls
        )
        await site.start()
        if not self.port:
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str = "/hook") -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"


async def queue(db, id_user: int, *numbers: str, text: str = "hello", **kw) -> list[int]:
    """Schedule ``numbers`` and expand at once: the ids of the queued messages."""
    id_scheduled = await outbox.create_scheduled(
        db,
        id_user=id_user,
        text=text,
        at=None,
        numbers=[Recipient(number=n) for n in numbers],
        **kw,
    )
    return await outbox.expand_scheduled(
        db, id_scheduled, now=time.time(), render=lambda t, _r, _m: t, plan=lambda _t: 1
    )


async def send(db, id_sended: int, id_phone: int, *, reference: int = 7) -> None:
    """claim -> the one segment sent -> mark_sent."""
    now = time.time()
    assert await outbox.claim(db, id_sended, id_phone=id_phone, now=now)
    for seq in await outbox.unsent_segments(db, id_sended):
        await outbox.mark_segment_sent(db, id_sended, seq, reference=reference, now=now)
    await outbox.mark_sent(db, id_sended, now=now)


async def events(db) -> list[dict]:
    found = await db.fetchall("SELECT * FROM webhook_event ORDER BY id")
    return [dict(r) for r in found]
