"""Probe serial ports for modems: does the port answer AT, and what modem and SIM are behind it.

:func:`probe` opens one port with our AT layer, waits for ``OK`` to ``AT``, then reads what a
user needs to write a ``[[phones]]`` entry and what the hot-plug watcher matches a device by:
manufacturer, model, revision, IMEI, ICCID, SIM state, registration, operator and signal. It
only reads: no PIN is entered and no setting is changed (echo stays as the modem has it).

Everything is bounded by one deadline. A port that cannot be opened, stays silent or answers
garbage gives a :class:`ProbeResult` saying so, never an exception; a modem too slow to answer
every query within the deadline gives what it answered, marked incomplete.

:func:`modems_report` lists the ports (:mod:`smsd.modem.ports`) and, when asked, probes them all
at once and returns a printable table (``smsd modems [--probe]``).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from smsd.at import commands
from smsd.at.errors import (
    AtError,
    AtTimeout,
    ChannelClosed,
    CmeError,
    CommandFailed,
    ProtocolViolation,
)
from smsd.errors import PortError
from smsd.modem.port import open_port
from smsd.modem.ports import SerialPort, list_ports
from smsd.modem.session import Identity, Network, Session

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from smsd.at.transport import AtTransport

_T = TypeVar("_T")

NO_AT_ANSWER = "no AT answer"
QUERY_TIMEOUT = 2.0
"""Seconds one identity or status query may take (each is answered at once by real modems)."""
CLOSE_TIMEOUT = 1.0
"""Seconds to wait for the port to close after a probe."""
SIM_NOT_INSERTED = 10  # +CME ERROR: 10 (TS 27.007 clause 9.2.1)
# The ICCID has no standard command: each is tried until one answers (generic, Huawei, Quectel).
ICCID_COMMANDS = ("AT+CCID", "AT+ICCID", "AT^ICCID?", "AT+QCCID")


class ProbeOutcome(enum.Enum):
    """What a probe found on a port."""

    MODEM = "modem"
    """The port answered ``AT`` with ``OK``."""
    NO_ANSWER = "no_answer"
    """The port opened but nothing usable came back (silence, noise, closed under us)."""
    UNUSABLE = "unusable"
    """The port could not be opened (busy, no permission, gone)."""


@dataclass(frozen=True)
class ProbeResult:
    """What one port said about itself; ``detail`` explains an outcome other than ``MODEM``."""

    path: str
    outcome: ProbeOutcome
    detail: str = ""
    identity: Identity = field(default_factory=Identity)
    sim: str = ""
    """``READY``, ``SIM PIN``, ``SIM PUK``…, ``not inserted``, or empty when unknown."""
    network: Network = field(default_factory=Network)
    complete: bool = True
    """``False`` when the deadline came before every query was answered."""

    @property
    def answered(self) -> bool:
        """Whether a modem answered AT on this port."""
        return self.outcome is ProbeOutcome.MODEM

    @property
    def identified(self) -> bool:
        """Whether the modem gave an IMEI or its SIM an ICCID (what devices are matched by)."""
        return bool(self.identity.imei or self.identity.iccid)


async def probe(path: str, *, baudrate: int = 115200, timeout: float = 3.0) -> ProbeResult:
    """Probe the port ``path``, all within ``timeout`` seconds; never raises for what it finds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(0.0, timeout)
    try:
        async with asyncio.timeout_at(deadline):
            transport = await open_port(
                path, baudrate=baudrate, name=path, default_timeout=max(timeout, 0.1)
            )
    except PortError as exc:
        return ProbeResult(path, ProbeOutcome.UNUSABLE, detail=str(exc))
    except TimeoutError:
        return ProbeResult(path, ProbeOutcome.UNUSABLE, detail=f"cannot open {path}: timed out")
    try:
        return await _Queries(path, transport, deadline).run()
    finally:
        transport.close()
        with contextlib.suppress(AtError, OSError, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await transport.wait_closed()


class _Queries:
    """The conversation of one probe, collecting answers until the deadline."""

    def __init__(self, path: str, transport: AtTransport, deadline: float) -> None:
        self._path = path
        self._transport = transport
        self._deadline = deadline
        self._loop = asyncio.get_running_loop()
        self._complete = True

    async def run(self) -> ProbeResult:
        path = self._path
        session = Session(self._transport, name=path)
        try:
            async with asyncio.timeout_at(self._deadline):
                await session.probe(attempts=1_000_000)  # the deadline ends the attempts
        except TimeoutError:
            return ProbeResult(path, ProbeOutcome.NO_ANSWER, detail=NO_AT_ANSWER)
        except AtError as exc:  # noise beyond the budget, or the port closed under us
            return ProbeResult(path, ProbeOutcome.NO_ANSWER, detail=f"{NO_AT_ANSWER} ({exc})")
        try:
            identity, sim, network = await self._read_all()
        except ChannelClosed as exc:
            return ProbeResult(path, ProbeOutcome.NO_ANSWER, detail=f"port closed: {exc}")
        return ProbeResult(
            path,
            ProbeOutcome.MODEM,
            identity=identity,
            sim=sim,
            network=network,
            complete=self._complete,
        )

    async def _read_all(self) -> tuple[Identity, str, Network]:
        # Most important first: the IMEI and ICCID identify the device if the deadline cuts in.
        imei = await self._ask("AT+CGSN", commands.parse_cgsn) or ""
        iccid = ""
        for command in ICCID_COMMANDS:
            iccid = await self._ask(command, commands.parse_iccid) or ""
            if iccid or not self._complete:
                break
        identity = Identity(
            manufacturer=await self._ask("AT+CGMI", _text) or "",
            model=await self._ask("AT+CGMM", _text) or "",
            revision=await self._ask("AT+CGMR", _text) or "",
            imei=imei,
            iccid=iccid,
        )
        sim = await self._sim_state()
        registration = await self._ask("AT+CREG?", _registration)
        operator = await self._ask("AT+COPS?", commands.parse_cops)
        signal = await self._ask("AT+CSQ", commands.parse_csq)
        network = Network(
            registered=registration.registered if registration else False,
            registration=registration.status.name.lower() if registration else "unknown",
            operator=(operator.name or "") if operator else "",
            rssi=signal.rssi if signal else None,
            dbm=signal.dbm if signal else None,
        )
        return identity, sim, network

    async def _sim_state(self) -> str:
        try:
            lines = await self._command("AT+CPIN?")
        except CmeError as exc:
            return "not inserted" if exc.code == SIM_NOT_INSERTED else f"error {exc.code}"
        except (CommandFailed, AtTimeout, ProtocolViolation):
            return ""
        if lines is None:
            return ""
        if not lines:
            return "READY"  # some firmware answers a bare OK when no PIN is needed
        try:
            return commands.parse_cpin(lines)
        except ProtocolViolation:
            return ""

    async def _ask(self, command: str, parse: Callable[[Sequence[str]], _T]) -> _T | None:
        """Run one query; ``None`` if refused, unanswered, unreadable or out of time."""
        try:
            lines = await self._command(command)
            return parse(lines) if lines else None
        except (CommandFailed, AtTimeout, ProtocolViolation):
            return None

    async def _command(self, command: str) -> tuple[str, ...] | None:
        """Send ``command`` within the time left; ``None`` once the deadline has passed."""
        left = self._deadline - self._loop.time()
        if left <= 0:
            self._complete = False
            return None
        try:
            return await self._transport.command(command, timeout=min(QUERY_TIMEOUT, left))
        except AtTimeout:
            if self._deadline <= self._loop.time():
                self._complete = False
            raise


def _text(lines: Sequence[str]) -> str:
    return commands.strip_prefix(lines[0])


def _registration(lines: Sequence[str]) -> commands.Registration:
    line = next((item for item in lines if item.upper().startswith("+CREG:")), lines[0])
    return commands.parse_creg(line)


# ---------------------------------------------------------------------- the report


async def modems_report(
    *, probe: bool, baudrate: int = 115200, paths: Sequence[str] = (), timeout: float = 3.0
) -> str:
    """The printable table of serial ports (every one found, or ``paths``), probed if asked.

    Each row names the port, its USB identity and its stable links; with ``probe`` every port is
    probed at the same time (so the whole report takes about ``timeout`` seconds) and the table
    adds manufacturer, model, IMEI, SIM state, operator and signal, or why there is no modem.
    """
    ports = await asyncio.to_thread(list_ports, paths)
    if not ports:
        return "No serial ports found.\n"
    if not probe:
        return render_table(ports, None)
    results = await asyncio.gather(
        *(_probe_port(port, baudrate=baudrate, timeout=timeout) for port in ports)
    )
    return render_table(ports, list(results))


async def _probe_port(port: SerialPort, *, baudrate: int, timeout: float) -> ProbeResult:
    return await probe(port.device, baudrate=baudrate, timeout=timeout)


def render_table(ports: Sequence[SerialPort], results: Sequence[ProbeResult] | None) -> str:
    """Lay ports (and their probe results, in the same order) out as an aligned text table.

    A port without a modem shows a short reason in the table and the full one below it.
    """
    header = ["PORT", "USB"]
    if results is not None:
        header += ["MANUFACTURER", "MODEL", "IMEI", "SIM", "OPERATOR", "SIGNAL"]
    header.append("STABLE NAME")
    rows = [header]
    notes: list[str] = []
    for index, port in enumerate(ports):
        row = [port.device, port.usb_id or "-"]
        if results is not None:
            result = results[index]
            row += _probe_cells(result)
            if not result.answered and result.detail != row[2]:
                notes.append(f"{port.device}: {result.detail}")
        row.append(" ".join(port.links) or "-")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if notes:
        lines += ["", *notes]
    lines += [
        "",
        "Use a stable name (a /dev/smsd or /dev/serial/by-id link) as `device` in [[phones]]:",
        "/dev/ttyUSB numbers change with plug order.",
    ]
    if results is None:
        lines.append("Run with --probe to see which ports answer AT and what modem is there.")
    return "\n".join(lines) + "\n"


def _probe_cells(result: ProbeResult) -> list[str]:
    if not result.answered:
        short = NO_AT_ANSWER if result.outcome is ProbeOutcome.NO_ANSWER else "cannot open"
        return [short, "-", "-", "-", "-", "-"]
    identity, network = result.identity, result.network
    if network.registered:
        operator = network.operator or network.registration
    else:
        operator = f"({network.registration.replace('_', ' ')})"
    signal = f"{network.dbm} dBm" if network.dbm is not None else "-"
    cells = [
        identity.manufacturer or "-",
        identity.model or "-",
        identity.imei or "-",
        result.sim or "-",
        operator,
        signal,
    ]
    if not result.complete:
        cells[-1] += " (incomplete)"
    return cells


__all__ = [
    "NO_AT_ANSWER",
    "ProbeOutcome",
    "ProbeResult",
    "modems_report",
    "probe",
    "render_table",
]
