"""The daemon in-process with virtual modems on pseudo-terminals, and a real SMTP sink.

:class:`DaemonRig` writes a TOML file (the issue's forms plus the test's sections), loads it
with the real reader, and runs :class:`smsd.daemon.Daemon` on this event loop with each phone a
:class:`~smsd.modem.virtual.PtyModem`. :class:`SmtpSink` is an aiosmtpd server on loopback that
keeps every mail it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from email import message_from_bytes
from email.policy import default as default_policy

from aiosmtpd.smtp import SMTP
from support import daemon_config
from support.polling import until

from smsd.api.server import api_factory
from smsd.config import load_config
from smsd.daemon import Daemon
from smsd.modem.virtual import PtyModem, VirtualModem

API_KEY = "0123456789abcdef0123456789abcdef"
EMAIL = "admin@example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """An SMTP server on 127.0.0.1 keeping the mails it receives (parsed)."""

    def __init__(self) -> None:
        self.mails: list = []
        self.envelopes: list = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802, ARG002 - aiosmtpd's hook
        self.envelopes.append(envelope)
        self.mails.append(message_from_bytes(envelope.original_content, policy=default_policy))
        return "250 OK"

    async def start(self, port: int = 0) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="sink.test"), "127.0.0.1", port
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


class DaemonRig:
    """A daemon over pty modems, configured from TOML text."""

    def __init__(self, tmp_path) -> None:
        self.tmp_path = tmp_path
        self.modems: dict[str, PtyModem] = {}
        self.daemon: Daemon | None = None
        self.task: asyncio.Task[int] | None = None
        self.apis: list = []

    async def start(self, extra: str = "", *, phones=("m1",), user: str = "") -> Daemon:
        blocks = []
        for name in phones:
            pty = PtyModem(VirtualModem(name=name))
            path = await pty.start()
            self.modems[name] = pty
            blocks.append(daemon_config.phone(name, path, **daemon_config.QUICK))
        path = daemon_config.write(
            self.tmp_path,
            daemon_config.daemon(log_format=None),
            daemon_config.api("127.0.0.1:0"),
            daemon_config.user(EMAIL, API_KEY, admin=True) + user + "\n",
            "[webhooks]\nretry_initial = 0.2\nretry_max = 0.5\n",
            *blocks,
            extra,
        )
        config = load_config(path)

        def factory(*args, **kwargs):
            api = api_factory(*args, **kwargs)
            self.apis.append(api)
            return api

        self.daemon = daemon = Daemon(config, api_factory=factory, announce=lambda _text: None)
        self.task = asyncio.create_task(daemon.serve())
        await until(lambda: daemon.engine is not None and len(daemon.engine.phones) == len(phones))
        for phone in daemon.engine.phones.values():
            await asyncio.wait_for(phone.modem.ready.wait(), timeout=15)
        await until(lambda: bool(self.apis) and not self.apis[0].address.endswith(":0"))
        return daemon

    @property
    def db(self):
        assert self.daemon is not None
        assert self.daemon.db is not None
        return self.daemon.db

    @property
    def base(self) -> str:
        return "http://" + self.apis[0].address

    def sent(self, name: str = "m1", to: str | None = None) -> list:
        found = [item.decoded for item in self.modems[name].modem.submitted]
        return [s for s in found if to is None or s.destination == to]

    def sent_texts(self, name: str = "m1", to: str | None = None) -> list[str]:
        by_message: dict[tuple[str, int], list] = {}
        texts = []
        for submit in self.sent(name, to):
            if submit.concat is None:
                texts.append(submit.text)
                continue
            parts = by_message.setdefault((submit.destination, submit.concat.reference), [])
            parts.append(submit)
            if len(parts) == submit.concat.total:
                parts.sort(key=lambda s: s.concat.sequence)
                texts.append("".join(p.text for p in parts))
        return texts

    async def stop(self) -> None:
        if self.daemon is not None and self.task is not None:
            self.daemon.stop()
            with contextlib.suppress(Exception):
                assert await asyncio.wait_for(self.task, 30) == 0
        for pty in self.modems.values():
            await pty.stop()


async def settle(seconds: float) -> None:
    """Let the daemon run on (to show that nothing more happens)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
