"""Fixtures for the AT transport tests (the fakes live in at_fakes.py)."""

import asyncio

import pytest
import serial_asyncio_fast
from at_fakes import FakeSerial, PtyModem, Script

from smsd.at.transport import AtTransport


@pytest.fixture
def fake():
    """fake(script, **kw) -> (AtTransport, FakeSerial)."""

    def make(script: Script, **kw):
        kw.setdefault("resync_quiet", 0.05)
        proto = AtTransport(name="fake", **kw)
        return proto, FakeSerial(proto, script)

    return make


@pytest.fixture
async def pty_modem():
    """pty_modem(script, **kw) -> (AtTransport over pyserial on a pty, PtyModem)."""
    opened = []

    async def make(script: Script, **kw):
        kw.setdefault("resync_quiet", 0.05)
        modem = PtyModem(script)
        loop = asyncio.get_running_loop()
        _, proto = await serial_asyncio_fast.create_serial_connection(
            loop, lambda: AtTransport(name="pty", **kw), modem.path, baudrate=115200
        )
        opened.append((proto, modem))
        return proto, modem

    yield make
    for proto, modem in opened:
        proto.close()
        await asyncio.wait_for(proto.wait_closed(), 2)
        modem.close()
