"""Find serial ports: the ttys the kernel lists, their USB identity, and the stable links to them.

A USB GSM dongle shows up as several ttys (``/dev/ttyUSB0`` … or ``/dev/ttyACM0`` …), one per
USB interface, whose numbers change with plug order. udev adds stable links to them:
``/dev/serial/by-id/usb-<vendor>_<model>_<serial>-if<NN>-port0`` for every USB serial port, and
our own rules add ``/dev/smsd/<vendor>-<model>-<serial>-if<NN>`` for known dongles' AT ports.
This module maps each tty to those links, so a user can put a name that survives replugs and
reboots in ``[[phones]] device``. It also expands the ``[hotplug] devices`` globs.

Reading the filesystem here is cheap (sysfs and ``/dev``) and synchronous; async callers run
:func:`list_ports` in a thread.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from serial.tools import list_ports as pyserial_ports

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from serial.tools.list_ports_common import ListPortInfo

BY_ID = "/dev/serial/by-id"
"""udev's persistent names for USB serial ports (60-serial.rules)."""
SMSD_LINKS = "/dev/smsd"
"""The links ``udev/90-smsd.rules`` creates for known dongles' AT ports."""
LINK_DIRS = (SMSD_LINKS, BY_ID)
"""Where stable links are looked for, preferred first."""

# pyserial's ``location`` for a multi-interface USB device ends in ":<config>.<interface>".
_INTERFACE = re.compile(r":\d+\.(\d+)$")


@dataclass(frozen=True)
class SerialPort:
    """One serial port as the system shows it.

    ``device`` is the path listed or asked for, ``target`` the device node it resolves to, and
    ``links`` the stable names pointing at that node. USB fields are empty (or ``None``) for
    ports that are not USB (a pseudo-terminal, a UART).
    """

    device: str
    target: str
    links: tuple[str, ...] = ()
    description: str = ""
    vid: int | None = None
    pid: int | None = None
    serial_number: str = ""
    interface: int | None = None
    manufacturer: str = ""
    product: str = ""

    @property
    def usb_id(self) -> str:
        """``vvvv:pppp`` (hex vendor and product ids) with `` ifNN``; empty when not USB."""
        if self.vid is None or self.pid is None:
            return ""
        text = f"{self.vid:04x}:{self.pid:04x}"
        return text if self.interface is None else f"{text} if{self.interface:02d}"

    @property
    def stable_name(self) -> str:
        """The best path to configure: an ``/dev/smsd`` link, else a by-id link, else the path."""
        return self.links[0] if self.links else self.device


def resolve(path: str) -> str:
    """The device node ``path`` points at (links followed); ``path`` itself if it is none."""
    return os.path.realpath(path)


def links_by_target(link_dirs: Iterable[str] = LINK_DIRS) -> dict[str, tuple[str, ...]]:
    """Map each device node to the links in ``link_dirs`` that point at it, in ``link_dirs`` order.

    Missing directories are skipped; dangling links (the device is gone) are left out.
    """
    found: dict[str, list[str]] = {}
    for directory in link_dirs:
        try:
            entries = sorted(Path(directory).iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink() and entry.exists():
                found.setdefault(resolve(str(entry)), []).append(str(entry))
    return {target: tuple(links) for target, links in found.items()}


def _interface(info: ListPortInfo) -> int | None:
    match = _INTERFACE.search(info.location or "")
    return int(match.group(1)) if match else None


def _from_info(info: ListPortInfo, device: str, links: tuple[str, ...]) -> SerialPort:
    description = info.description if info.description not in {None, "n/a"} else ""
    return SerialPort(
        device=device,
        target=resolve(info.device),
        links=links,
        description=description or "",
        vid=info.vid,
        pid=info.pid,
        serial_number=info.serial_number or "",
        interface=_interface(info),
        manufacturer=info.manufacturer or "",
        product=info.product or "",
    )


def list_ports(
    paths: Sequence[str] = (), *, link_dirs: Iterable[str] = LINK_DIRS
) -> list[SerialPort]:
    """The serial ports to show: every one the system lists, or exactly ``paths``.

    A path may be a tty, a link to one, or anything pyserial does not list (a pseudo-terminal):
    it is shown with what is known about the node it resolves to. Ports come sorted by path
    when listed, in the order given otherwise.
    """
    links = links_by_target(link_dirs)
    system = {resolve(info.device): info for info in pyserial_ports.comports()}
    if not paths:
        return [
            _from_info(info, info.device, links.get(target, ()))
            for target, info in sorted(system.items())
        ]
    ports: list[SerialPort] = []
    for path in paths:
        target = resolve(path)
        known = links.get(target, ())
        info = system.get(target)
        if info is not None:
            ports.append(_from_info(info, path, known))
        else:
            ports.append(SerialPort(device=path, target=target, links=known))
    return ports


def expand_globs(patterns: Iterable[str]) -> dict[str, str]:
    """Map every existing path matching ``patterns`` to the device node it resolves to.

    Dangling links (a device that went away but whose link is still there) are left out, so a
    link and its target vanish together as far as the caller is concerned.
    """
    found: dict[str, str] = {}
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):  # noqa: PTH207 - device globs such as /dev/smsd/*
            if path not in found and os.path.exists(path):  # noqa: PTH110 - a device path
                found[path] = resolve(path)
    return found


__all__ = [
    "BY_ID",
    "LINK_DIRS",
    "SMSD_LINKS",
    "SerialPort",
    "expand_globs",
    "links_by_target",
    "list_ports",
    "resolve",
]
