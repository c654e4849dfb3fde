"""Fixtures of the MQTT tests: a real mosquitto, the daemon on virtual modems over ptys."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from broker import Broker
from support import daemon_config

from smsd.config import load_config
from smsd.daemon import Daemon
from smsd.modem.virtual import PtyModem, VirtualModem

API_KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def broker(tmp_path):
    server = Broker(tmp_path / "broker")
    server.start()
    yield server
    server.stop()


class DaemonRig:
    """The whole daemon in this event loop, with virtual modems on pseudo-terminals."""

    def __init__(self, tmp_path, broker: Broker) -> None:
        self.tmp_path = tmp_path
        self.broker = broker
        self.modems: dict[str, PtyModem] = {}
        self.daemon: Daemon | None = None
        self.task: asyncio.Task[int] | None = None

    async def start(
        self, *names: str, mqtt: str = "", extra: str = "", phone_extra: str = ""
    ) -> Daemon:
        phones = []
        for name in names or ("dongle-1",):
            pty = PtyModem(VirtualModem(name=name))
            path = await pty.start()
            self.modems[name] = pty
            phones.append(daemon_config.phone(name, path, **daemon_config.QUICK) + phone_extra)
        config = daemon_config.write(
            self.tmp_path,
            daemon_config.daemon(),
            daemon_config.user("ops@example.org", API_KEY, admin=True),
            *phones,
            extra,
            '[mqtt]\nenabled = true\nhost = "127.0.0.1"\n'
            f'port = {self.broker.port}\nclient_id = "smsd-test"\nstate_interval = 1\n'
            f'reconnect_max = 0.5\nnotify_to = "+33611111111"\n{mqtt}\n',
        )
        self.daemon = Daemon(load_config(config), api_factory=None, announce=lambda _text: None)
        self.task = asyncio.create_task(self.daemon.serve())
        async with asyncio.timeout(15):
            while (
                self.daemon.engine is None
                or any(not p.modem.ready.is_set() for p in self.daemon.engine.phones.values())
                or len(self.daemon.engine.phones) < len(self.modems)
            ):
                if self.task.done():
                    raise AssertionError(f"the daemon stopped: {self.task.result()}")
                await asyncio.sleep(0.02)
        return self.daemon

    def wire(self, name: str = "dongle-1") -> list:
        return [item.decoded for item in self.modems[name].modem.submitted]

    async def stop(self) -> int | None:
        result = None
        if self.task is not None and self.daemon is not None:
            self.daemon.stop()
            result = await asyncio.wait_for(self.task, 20)
            self.task = None
        for pty in self.modems.values():
            await pty.stop()
        self.modems.clear()
        return result


@pytest.fixture
async def rig(tmp_path, broker):
    daemon = DaemonRig(tmp_path, broker)
    yield daemon
    with contextlib.suppress(Exception):
        await daemon.stop()
