"""USSD on one modem: the request's encoding, the answer's decoding, and one exchange at a time.

``AT+CUSD=1,"<code>",15`` asks; the network's answer comes as ``+CUSD: <m>[,<str>,<dcs>]``,
usually seconds after ``OK``, sometimes before it, on some firmware instead of it. The command
therefore ends on ``OK`` or on ``+CUSD`` (whichever comes first), which frees the channel for SMS
at once; the answer is awaited afterwards, outside the command lock, so an ``AT+CMGS`` may run
while the network thinks. No answer within the timeout: ``AT+CUSD=2`` cancels the session.

The string is decoded by its data coding scheme (the Cell Broadcast form of TS 23.038 clause 5):
GSM-7 (packed hex on Huawei and ZTE in PDU mode, plain text on SIMCom and Quectel; see
:mod:`smsd.modem.quirks`), UCS-2 as hex (``004F004B`` = ``OK``), or 8-bit.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.at import commands
from smsd.at.errors import AtError, AtTimeout, CommandFailed, MalformedResponse, UsageError
from smsd.errors import UssdError
from smsd.pdu import gsm7

if TYPE_CHECKING:
    import structlog

    from smsd.at.events import Urc
    from smsd.at.transport import AtTransport
    from smsd.modem.quirks import Quirks

__all__ = [
    "DCS_GSM7",
    "UssdAnswer",
    "UssdLink",
    "check_string",
    "decode_answer",
    "encode_request",
    "pack_gsm7",
    "unpack_gsm7",
]

DCS_GSM7 = 15
"""``0x0F``: GSM-7 default alphabet, language unspecified (what every request uses)."""
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_CR = 0x0D
_AUTO_MIN_HEX = 8
"""Shorter hex-looking strings are taken as text in ``auto`` mode (``"25"``, ``"1234"``)."""
_USSD_CHARS = re.compile(r"[0-9A-Za-z*#+ ]{1,160}")


class Alphabet(enum.Enum):
    """How a ``+CUSD`` string is coded, from its DCS."""

    GSM7 = "gsm7"
    EIGHT_BIT = "8bit"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class UssdAnswer:
    """The network's answer, decoded.

    ``status`` is ``<m>`` (:class:`~smsd.at.commands.UssdStatus`): 1 means the network waits
    for a reply. ``raw`` is the string as the modem gave it.
    """

    status: commands.UssdStatus
    text: str
    dcs: int | None
    raw: str | None

    @property
    def waiting(self) -> bool:
        """Whether the network waits for a reply (a menu)."""
        return self.status is commands.UssdStatus.ACTION_REQUIRED


def alphabet(dcs: int | None) -> tuple[Alphabet, int]:
    """The alphabet of a Cell Broadcast DCS and the length of its language indication.

    The indication counts characters (GSM-7) or octets (UCS-2) at the start (TS 23.038 clause 5).
    """
    if dcs is None:
        return Alphabet.GSM7, 0
    group, low = dcs >> 4, dcs & 0x0F
    if group == 0x1:
        return (Alphabet.UCS2, 2) if low == 1 else (Alphabet.GSM7, 3 if low == 0 else 0)
    if group in {0x4, 0x5, 0x6, 0x7, 0x9}:
        coding = (low >> 2) & 0x3
        if coding == 1:
            return Alphabet.EIGHT_BIT, 0
        if coding == 2:
            return Alphabet.UCS2, 0
    if group == 0xF and low & 0x4:
        return Alphabet.EIGHT_BIT, 0
    return Alphabet.GSM7, 0


def pack_gsm7(text: str) -> str:
    """``text`` as GSM-7 packed hex; 7 spare bits at the end are a CR (TS 23.038 clause 6.1.2.3.1).

    Raises :class:`UsageError` when a character has no GSM-7 form.
    """
    try:
        septets = gsm7.encode_septets(text)
    except UnicodeEncodeError as exc:
        raise UsageError(f"cannot send {text!r} as GSM-7") from exc
    if len(septets) % 8 == 7:
        septets += bytes((_CR,))
    return gsm7.pack(septets).hex().upper()


def unpack_gsm7(hex_text: str) -> str:
    """GSM-7 packed hex back to text (a final CR or zero septet filling the last octet dropped)."""
    octets = bytes.fromhex(hex_text)
    count = len(octets) * 8 // 7
    septets = gsm7.unpack(octets, count)
    if count and len(octets) % 7 == 0 and septets[-1] in {_CR, 0}:
        septets = septets[:-1]  # the last octet's 7 spare bits, not a character
    return gsm7.decode_septets(bytes(s & 0x7F for s in septets))


def _printable(text: str) -> bool:
    return all(char.isprintable() or char in "\r\n" for char in text)


def _decode_gsm7(raw: str, mode: str) -> str:
    hexlike = _HEX.fullmatch(raw) is not None
    if mode == "text" or not hexlike:
        return raw
    unpacked = unpack_gsm7(raw)
    if mode == "packed":
        return unpacked
    if len(raw) >= _AUTO_MIN_HEX and _printable(unpacked):
        return unpacked
    return raw


def decode_answer(answer: commands.Ussd, quirks: Quirks) -> UssdAnswer:
    """Decode ``+CUSD``'s string by its DCS and the modem's habits."""
    try:
        status = commands.UssdStatus(answer.status)
    except ValueError as exc:
        raise MalformedResponse("+CUSD: <m> of 0..5", str(answer.status)) from exc
    raw = answer.text
    text = ""
    if raw:
        coding, skip = alphabet(answer.dcs)
        hexlike = _HEX.fullmatch(raw) is not None
        if coding is Alphabet.UCS2 and hexlike and len(raw) % 4 == 0:
            text = bytes.fromhex(raw)[skip:].decode("utf-16-be", errors="replace")
        elif coding is Alphabet.EIGHT_BIT and hexlike:
            text = bytes.fromhex(raw).decode("latin-1")
        elif coding is Alphabet.GSM7:
            text = _decode_gsm7(raw, quirks.ussd_answer)[skip:]
        else:
            text = raw
    return UssdAnswer(status=status, text=text.strip("\r\n"), dcs=answer.dcs, raw=raw)


def check_string(code: str) -> None:
    """Refuse (:class:`UsageError`) what cannot go in ``AT+CUSD``.

    A USSD string is 1 to 160 of 0-9 A-Z a-z * # + and space.
    """
    if _USSD_CHARS.fullmatch(code) is None:
        raise UsageError(f"a USSD string is 1 to 160 of 0-9 A-Z a-z * # + and space: {code!r}")


def encode_request(code: str, quirks: Quirks) -> str:
    """The ``AT+CUSD=1`` command for ``code`` (a USSD code or a menu reply) on this modem."""
    check_string(code)
    sent = pack_gsm7(code) if quirks.ussd_request == "packed" else code
    return commands.cusd(sent, DCS_GSM7)


class UssdLink:
    """One USSD exchange at a time on one modem; the driver feeds it the ``+CUSD`` codes."""

    def __init__(self, name: str, log: structlog.typing.FilteringBoundLogger) -> None:
        self._name = name
        self._log = log
        self._lock = asyncio.Lock()
        self._waiter: asyncio.Future[commands.Ussd] | None = None

    @property
    def busy(self) -> bool:
        """Whether an exchange is in progress."""
        return self._lock.locked()

    def on_urc(self, urc: Urc) -> None:
        """A ``+CUSD`` code arrived: it answers the exchange in progress, if any."""
        try:
            answer = commands.parse_cusd(urc.value)
        except AtError as exc:
            self._log.warning("ussd_unreadable", line=urc.line, error=str(exc))
            return
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(answer)
        else:  # a late answer after a timeout, or a network-initiated message
            self._log.info("ussd_unsolicited", status=answer.status, dcs=answer.dcs)

    async def exchange(
        self,
        transport: AtTransport,
        quirks: Quirks,
        text: str,
        *,
        timeout: float,
        command_timeout: float,
    ) -> UssdAnswer:
        """Send ``text`` and wait for the answer; cancel the session after ``timeout`` seconds.

        Raises :class:`UssdError` (``timed_out`` set on a timeout) and, for a bad ``text``,
        :class:`UsageError`.
        """
        command = encode_request(text, quirks)
        async with self._lock:
            waiter: asyncio.Future[commands.Ussd] = asyncio.get_running_loop().create_future()
            self._waiter = waiter  # before the command: the answer may come with its reply
            try:
                try:
                    await transport.command(command, timeout=command_timeout, ends_on="+CUSD")
                except CommandFailed as exc:
                    raise UssdError(
                        f"modem refused the USSD request ({exc})", modem=self._name
                    ) from exc
                try:
                    async with asyncio.timeout(timeout):
                        found = await waiter
                except TimeoutError:
                    await self.cancel(transport, command_timeout=command_timeout)
                    message = f"no USSD answer within {timeout:g} s; session cancelled"
                    raise UssdError(message, modem=self._name, timed_out=True) from None
            finally:
                self._waiter = None
                if not waiter.done():
                    waiter.cancel()
        return decode_answer(found, quirks)

    async def cancel(self, transport: AtTransport, *, command_timeout: float) -> None:
        """``AT+CUSD=2``; a modem with no session open may refuse it, which is fine."""
        with contextlib.suppress(CommandFailed, AtTimeout):
            await transport.command(commands.cusd_cancel(), timeout=command_timeout)
