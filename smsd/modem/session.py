"""Typed operations on one connected modem: initialise, SIM, identity, network, submit, storage.

A session wraps one open :class:`~smsd.at.transport.AtTransport`. It never reconnects: when the
channel breaks, the session is dropped and the driver builds a new one (style lesson 6).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import structlog

from smsd.at import commands
from smsd.at.errors import (
    AtError,
    AtTimeout,
    CmeError,
    CmsError,
    CommandFailed,
    ProtocolViolation,
    UsageError,
)
from smsd.errors import PinRefusedError, SendError, SimError
from smsd.modem.classify import Failure, classify_cms, is_permanent
from smsd.modem.quirks import GENERIC, Quirks, quirks_for

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from smsd import pdu
    from smsd.at.transport import AtTransport

_T = TypeVar("_T")

# CME 14 "SIM busy" and CMS 314/515-style answers last ~10 s after power-up or PIN entry.
SIM_BUSY_CME = frozenset({14, 515})
SIM_BUSY_CMS = frozenset({314, 515})
SIM_BUSY_WAITS = (0.5, 1.0, 2.0, 3.0, 4.0)
PROBE_TIMEOUT = 1.0
"""Seconds per ``AT`` while probing a freshly opened port (several tries follow)."""
COMMAND_TIMEOUT = 5.0
"""Default seconds for any AT command without a longer bound below (``[[phones]]
command_timeout`` sets it per phone)."""
CFUN_TIMEOUT = 15.0
"""``AT+CFUN=1``: switching the radio on can take several seconds (TS 27.007 clause 8.2)."""
PIN_TIMEOUT = 20.0
"""``AT+CPIN=<pin>``: the SIM checks the PIN and then initialises its files."""
LIST_TIMEOUT = 30.0
"""``AT+CMGL=4``: listing a full storage answers one PDU line per message (at least
``command_timeout``)."""
SUBMIT_TIMEOUT = 60.0
"""``AT+CMGS``: the network's answer may take up to a minute on a weak signal
(``[[phones]] submit_timeout`` sets it)."""


@dataclass(frozen=True)
class Identity:
    """What the modem and its SIM say about themselves."""

    manufacturer: str = ""
    model: str = ""
    revision: str = ""
    imei: str = ""
    imsi: str = ""
    iccid: str = ""
    number: str = ""
    smsc: str = ""


@dataclass(frozen=True)
class Network:
    """Registration, operator and signal, as last read."""

    registered: bool = False
    registration: str = "unknown"
    operator: str = ""
    rssi: int | None = None
    dbm: int | None = None


@dataclass(frozen=True)
class Stored:
    """A message read from the modem's storage."""

    index: int
    stat: int
    pdu_hex: str


class Session:
    """Operations on one modem over one open AT channel."""

    def __init__(
        self,
        transport: AtTransport,
        *,
        name: str,
        pin: str | None = None,
        submit_timeout: float = SUBMIT_TIMEOUT,
        command_timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        self.transport = transport
        self.name = name
        self._pin = pin
        self._submit_timeout = submit_timeout
        self._timeout = command_timeout
        self.quirks: Quirks = GENERIC
        self.identity = Identity()
        self.network = Network()
        self.storage = ""
        self.memories: tuple[str, ...] = ()
        self._read_memory = ""
        self.cnmi = ""
        self._log = structlog.get_logger("smsd.modem").bind(modem=name)

    # ------------------------------------------------------------------ set-up

    async def probe(self, *, attempts: int = 5) -> None:
        """Send ``AT`` until the modem answers ``OK``; raise :class:`AtTimeout` after ``attempts``.

        The first tries after a port opens often meet a half-typed command or a boot banner,
        so an ESC goes first to cancel any prompt left over from before.
        """
        self.transport.write_raw(b"\x1b\r")
        last: AtError | None = None
        for _ in range(attempts):
            try:
                await self.transport.command("AT", timeout=PROBE_TIMEOUT)
            except (AtTimeout, CommandFailed) as exc:
                last = exc
                continue
            return
        raise AtTimeout("AT", PROBE_TIMEOUT) from last

    async def initialise(self) -> None:
        """Bring the modem into the state smsd works in; raise on what cannot be fixed."""
        await self._optional("ATE0")
        await self._optional("AT+CMEE=1")
        await self.unlock_sim()
        await self._sim_ready("AT+CMGF=0")
        manufacturer = await self._read_line("AT+CGMI")
        self.quirks = quirks_for(manufacturer)
        for command in self.quirks.init:
            await self._optional(command)
        await self._optional("AT+CFUN=1", timeout=max(CFUN_TIMEOUT, self._timeout))
        self.storage = await self._first_accepted("AT+CPMS=", self.quirks.cpms)
        primary = self.storage.split(",")[0].strip('"') if self.storage else ""
        self._read_memory = primary
        # Messages may wait in the SIM even when new ones go to the modem's memory (they arrived
        # before this setting, or another program left them): sweep both.
        self.memories = tuple(dict.fromkeys(m for m in (primary, "SM") if m))
        self.cnmi = await self._first_accepted("AT+CNMI=", self.quirks.cnmi)
        await self._optional("AT+CREG=2")
        await self._optional("AT+CLIP=1")  # caller id (+CLIP after RING); some modems lack it
        self._log.info(
            "modem_initialised", storage=self.storage, cnmi=self.cnmi, quirks=self.quirks.name
        )

    async def unlock_sim(self) -> None:
        """Enter the configured PIN if the SIM asks for one, once.

        A refused PIN raises :class:`SimError` and is never tried again by smsd: three wrong
        PINs block the SIM.
        """
        state = await self._cpin_state()
        if state == "READY":
            return
        if state != "SIM PIN":
            raise PinRefusedError(f"SIM needs {state}; smsd cannot unlock it", modem=self.name)
        if not self._pin:
            raise SimError("SIM asks for a PIN and none is configured", modem=self.name)
        try:
            command = commands.cpin(self._pin)
        except UsageError as exc:
            raise PinRefusedError(f"configured PIN is unusable: {exc}", modem=self.name) from exc
        try:
            await self.transport.command(command, timeout=max(PIN_TIMEOUT, self._timeout))
        except CmeError as exc:
            message = f"SIM refused the PIN ({exc}); not trying it again"
            raise PinRefusedError(message, modem=self.name) from exc
        self._log.info("sim_unlocked")
        for wait in SIM_BUSY_WAITS:
            with contextlib.suppress(CmeError, CmsError, CommandFailed):
                if await self._cpin_state() == "READY":
                    return
            await asyncio.sleep(wait)
        raise SimError("SIM did not become ready after the PIN", modem=self.name)

    async def _cpin_state(self) -> str:
        try:
            lines = await self.transport.command("AT+CPIN?", timeout=self._timeout)
        except CmeError as exc:
            if exc.code == 10:
                raise SimError("SIM not inserted", modem=self.name) from exc
            if exc.code in SIM_BUSY_CME:
                await asyncio.sleep(1.0)
                lines = await self.transport.command("AT+CPIN?", timeout=self._timeout)
            else:
                raise SimError(f"SIM failure: {exc}", modem=self.name) from exc
        if not lines:
            # Some firmware answers a bare OK when no PIN is needed.
            return "READY"
        return commands.parse_cpin(lines)

    async def read_identity(self) -> Identity:
        """Read manufacturer, model, IMEI, IMSI, ICCID, own number and SMSC, where known."""
        identity = Identity(
            manufacturer=await self._read_line("AT+CGMI"),
            model=await self._read_line("AT+CGMM"),
            revision=await self._read_line("AT+CGMR"),
            imei=await self._read_parsed("AT+CGSN", commands.parse_cgsn) or "",
            imsi=await self._read_parsed("AT+CIMI", commands.parse_cimi) or "",
            iccid=await self._read_iccid(),
            number=await self._read_number(),
            smsc=await self._read_smsc(),
        )
        self.identity = identity
        return identity

    async def _read_iccid(self) -> str:
        for command in ("AT+CCID", "AT+ICCID", "AT^ICCID?", "AT+QCCID"):
            iccid = await self._read_parsed(command, commands.parse_iccid)
            if iccid:
                return iccid
        return ""

    async def _read_number(self) -> str:
        numbers = await self._read_parsed("AT+CNUM", commands.parse_cnum)
        return numbers[0].number if numbers else ""

    async def _read_smsc(self) -> str:
        centre = await self._read_parsed("AT+CSCA?", commands.parse_csca)
        return centre.address if centre else ""

    async def _read_parsed(self, command: str, parse: Callable[[Sequence[str]], _T]) -> _T | None:
        """Run an identity query; ``None`` when the modem refuses it or answers nonsense."""
        try:
            lines = await self.transport.command(command, timeout=self._timeout)
            return parse(lines) if lines else None
        except (CommandFailed, AtTimeout, ProtocolViolation) as exc:
            self._log.debug("query_unanswered", command=command, error=str(exc))
            return None

    async def read_network(self) -> Network:
        """Read registration (``AT+CREG?``), operator (``AT+COPS?``) and signal (``AT+CSQ``)."""
        registration = await self.transport.command("AT+CREG?", timeout=self._timeout)
        reg = commands.parse_creg(_first(registration, "+CREG:"))
        operator = await self._read_parsed("AT+COPS?", commands.parse_cops)
        csq = commands.parse_csq(await self.transport.command("AT+CSQ", timeout=self._timeout))
        self.network = Network(
            registered=reg.registered,
            registration=reg.status.name.lower(),
            operator=(operator.name or "") if operator else "",
            rssi=csq.rssi,
            dbm=csq.dbm,
        )
        return self.network

    # ------------------------------------------------------------------ sending

    async def submit(self, segments: Sequence[pdu.EncodedPdu]) -> list[int | None]:
        """Submit each segment with ``AT+CMGS``; return the message references.

        A reference is ``None`` when the modem accepted the segment (final ``OK``) without a
        usable ``+CMGS: <mr>`` line (some firmware answers a bare ``OK``; line noise can garble
        it): the SMS left, but no status report can be matched to it.

        Every error of the AT layer is mapped here into :class:`SendError` (style lesson 7), so
        nothing else crosses this boundary. It carries the references of the segments already
        submitted; ``uncertain`` is set when the PDU may have reached the modem but no answer
        came (timeout, unplug, garbage): the SMS may have left, so it is never resent.
        """
        references: list[int | None] = []
        for segment in segments:
            try:
                lines = await self.transport.submit_pdu(
                    segment.tpdu_length, segment.hex, timeout=self._submit_timeout
                )
            except (AtError, OSError) as exc:  # OSError: a port write failing under the channel
                raise self._submit_error(exc, tuple(references)) from exc
            references.append(self._reference(lines))
        return references

    def _reference(self, lines: Sequence[str]) -> int | None:
        """The TP message reference of a submit the modem answered ``OK``; ``None`` if unusable."""
        try:
            return commands.parse_cmgs(lines)
        except ProtocolViolation as exc:
            self._log.warning("sms_submitted_without_reference", lines=list(lines), error=str(exc))
            return None

    def _submit_error(
        self, exc: AtError | OSError, references: tuple[int | None, ...]
    ) -> SendError:
        """The :class:`SendError` for an AT error of ``AT+CMGS`` (one rule per error family)."""
        if isinstance(exc, CmsError):
            failure = classify_cms(exc.code)
            return SendError(
                f"+CMS ERROR: {exc.code} {exc.name} ({failure.value})",
                modem=self.name,
                permanent=is_permanent(failure),
                code=exc.code,
                sent_references=references,
            )
        if isinstance(exc, CommandFailed):  # a plain ERROR or +CME ERROR: refused, not sent
            return SendError(
                f"modem refused AT+CMGS ({exc})",
                modem=self.name,
                permanent=False,
                sent_references=references,
            )
        if isinstance(exc, UsageError):  # we built something the channel refuses to write
            return SendError(
                f"segment not submitted: {exc}",
                modem=self.name,
                permanent=True,
                sent_references=references,
            )
        # Timeout, closed channel, garbage: the answer is missing, not a refusal.
        written = getattr(exc, "pdu_written", None) is not False  # unknown counts as written
        return SendError(
            f"no usable answer to AT+CMGS ({exc}); outcome unknown"
            if written
            else f"segment not submitted ({exc})",
            modem=self.name,
            permanent=False,
            sent_references=references,
            uncertain=written,
        )

    # ------------------------------------------------------------------ storage

    async def list_stored(self) -> list[Stored]:
        """List every stored message (``AT+CMGL=4``: received read and unread, sent, reports)."""
        lines = await self.transport.command("AT+CMGL=4", timeout=max(LIST_TIMEOUT, self._timeout))
        return [Stored(s.index, s.stat, s.pdu) for s in commands.parse_cmgl(lines)]

    async def read_stored(self, index: int) -> Stored | None:
        """Read one stored message; ``None`` if the slot is empty (``+CMS ERROR: 321``)."""
        try:
            lines = await self.transport.command(f"AT+CMGR={index}", timeout=self._timeout)
        except CmsError as exc:
            if exc.code == 321:
                return None
            raise
        if not lines:
            return None
        stored = commands.parse_cmgr(lines, index)
        return Stored(stored.index, stored.stat, stored.pdu)

    async def delete_stored(self, index: int) -> None:
        """Delete one stored message; an already empty slot is not an error."""
        try:
            await self.transport.command(f"AT+CMGD={index}", timeout=self._timeout)
        except CmsError as exc:
            if exc.code != 321:
                raise

    async def use_memory(self, memory: str) -> None:
        """Point list/read/delete at ``memory`` (``"SM"``, ``"ME"``, ``"SR"``…) if not already."""
        if memory and memory.upper() != self._read_memory:
            await self.transport.command(commands.cpms(memory), timeout=self._timeout)
            self._read_memory = memory.upper()

    # ------------------------------------------------------------------ helpers

    async def _optional(self, command: str, *, timeout: float | None = None) -> bool:
        try:
            await self.transport.command(command, timeout=timeout or self._timeout)
        except (CommandFailed, AtTimeout) as exc:
            self._log.debug("command_refused", command=command, error=str(exc))
            return False
        return True

    async def _sim_ready(self, command: str) -> None:
        """Run ``command``, waiting out "SIM busy" answers right after power-up or PIN entry."""
        for wait in (*SIM_BUSY_WAITS, None):
            try:
                await self.transport.command(command, timeout=self._timeout)
            except (CmeError, CmsError) as exc:
                busy = SIM_BUSY_CME if isinstance(exc, CmeError) else SIM_BUSY_CMS
                if exc.code not in busy or wait is None:
                    raise
                await asyncio.sleep(wait)
            else:
                return

    async def _first_accepted(self, prefix: str, choices: Sequence[str]) -> str:
        for choice in choices:
            try:
                await self._sim_ready(prefix + choice)
            except (CommandFailed, AtTimeout) as exc:
                self._log.debug("setting_refused", command=prefix + choice, error=str(exc))
                continue
            return choice
        self._log.warning("no_setting_accepted", command=prefix, tried=list(choices))
        return ""

    async def _read_line(self, command: str) -> str:
        text = await self._read_parsed(command, lambda lines: commands.strip_prefix(lines[0]))
        return text or ""


def _first(lines: Sequence[str], prefix: str) -> str:
    for line in lines:
        if line.startswith(prefix):
            return line
    return lines[0] if lines else ""


__all__ = ["Failure", "Identity", "Network", "Session", "Stored"]
