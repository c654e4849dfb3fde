"""Open a modem's serial port (or the built-in virtual modem) and attach an AT transport.

pyserial's errors never leave this module: they become :class:`smsd.errors.PortError`.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

import serial
import serial_asyncio_fast

from smsd.at.transport import AtTransport
from smsd.errors import PortError

if TYPE_CHECKING:
    from smsd.modem.virtual import PtyModem

VIRTUAL = "virtual"


async def open_port(
    device: str, *, baudrate: int = 115200, name: str = "", default_timeout: float = 5.0
) -> AtTransport:
    """Open ``device`` exclusively and return a connected AT transport.

    ``device`` is a path (``/dev/ttyUSB2``, a ``/dev/serial/by-id`` or ``/dev/smsd`` link) or a
    pyserial URL (``socket://host:port``, ``rfc2217://…``).
    """
    loop = asyncio.get_running_loop()
    try:
        _transport, protocol = await serial_asyncio_fast.create_serial_connection(
            loop,
            lambda: AtTransport(name=name, default_timeout=default_timeout),
            device,
            baudrate=baudrate,
            exclusive=not device.startswith(("socket://", "rfc2217://", "loop://")),
        )
    except (serial.SerialException, OSError, ValueError) as exc:
        raise PortError(f"cannot open {device}: {exc}", modem=name) from exc
    assert isinstance(protocol, AtTransport)
    return protocol


def port_present(device: str) -> bool:
    """Whether the device node still exists (a pulled USB dongle takes its node with it)."""
    if device == VIRTUAL or "://" in device:
        return True
    return os.path.exists(device)  # noqa: PTH110 - a device path, not a project file


async def start_virtual(name: str) -> PtyModem:
    """Start the built-in virtual modem on a pseudo-terminal, for ``device = "virtual"``."""
    from smsd.modem.virtual import Faults, PtyModem, VirtualModem  # noqa: PLC0415 - only when configured

    # The embedded default answers like a network that delivers: every message that asks for a
    # status report gets a "delivered" one, so a first-time user sees the whole lifecycle.
    modem = PtyModem(VirtualModem(name=name, faults=Faults(auto_status_reports=True)))
    await modem.start()
    return modem
