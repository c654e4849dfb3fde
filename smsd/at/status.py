"""Parsers for network, SIM and identity responses (TS 27.007); pure.

Real-world forms handled are named at each parser (Huawei, ZTE, SIMCom, Quectel).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.at.errors import MalformedResponse, UsageError
from smsd.at.params import find_value, find_values, parse_hex_int, parse_int, quote, split_params

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Operator",
    "RegStatus",
    "Registration",
    "SignalQuality",
    "SubscriberNumber",
    "Ussd",
    "UssdStatus",
    "cpin",
    "cusd",
    "cusd_cancel",
    "parse_ccid",
    "parse_cgsn",
    "parse_cimi",
    "parse_cnum",
    "parse_cops",
    "parse_cpin",
    "parse_creg",
    "parse_csq",
    "parse_cusd",
    "with_plus",
]


# ---------------------------------------------------------------- signal


@dataclass(frozen=True, slots=True)
class SignalQuality:
    """``+CSQ: <rssi>,<ber>``; None where the modem reports 99 (not known)."""

    rssi: int | None
    ber: int | None
    dbm: int | None


def parse_csq(lines: Sequence[str]) -> SignalQuality:
    """``+CSQ: 17,99`` -> rssi 17, ber None, -79 dBm (TS 27.007 clause 8.5)."""
    fields = split_params(find_value(lines, "+CSQ"))
    if len(fields) < 2:
        raise MalformedResponse("+CSQ: <rssi>,<ber>", ",".join(f.text for f in fields))
    rssi = parse_int(fields[0], "rssi", high=199)
    ber = parse_int(fields[1], "ber", high=99)
    dbm: int | None = None
    if rssi <= 31:
        dbm = -113 + 2 * rssi
    elif 100 <= rssi <= 191:  # TD-SCDMA range: 100 = -116 dBm ... 191 = -25 dBm
        dbm = rssi - 216
    return SignalQuality(
        rssi=None if rssi in {99, 199} else rssi,
        ber=None if ber == 99 else ber,
        dbm=dbm,
    )


# ---------------------------------------------------------------- registration


class RegStatus(enum.IntEnum):
    """``<stat>`` of +CREG / +CGREG / +CEREG (TS 27.007 clauses 7.2, 10.1.20, 10.1.22)."""

    NOT_REGISTERED = 0
    REGISTERED_HOME = 1
    SEARCHING = 2
    DENIED = 3
    UNKNOWN = 4
    REGISTERED_ROAMING = 5
    REGISTERED_SMS_ONLY_HOME = 6
    REGISTERED_SMS_ONLY_ROAMING = 7
    EMERGENCY_ONLY = 8
    REGISTERED_CSFB_NOT_PREFERRED_HOME = 9
    REGISTERED_CSFB_NOT_PREFERRED_ROAMING = 10
    EMERGENCY_ATTACHED = 11

    @property
    def registered(self) -> bool:
        """Whether the modem can send SMS in this state."""
        return self in _REGISTERED


_REGISTERED = frozenset(
    {
        RegStatus.REGISTERED_HOME,
        RegStatus.REGISTERED_ROAMING,
        RegStatus.REGISTERED_SMS_ONLY_HOME,
        RegStatus.REGISTERED_SMS_ONLY_ROAMING,
        RegStatus.REGISTERED_CSFB_NOT_PREFERRED_HOME,
        RegStatus.REGISTERED_CSFB_NOT_PREFERRED_ROAMING,
    }
)


@dataclass(frozen=True, slots=True)
class Registration:
    """Registration state; ``mode`` is None in the unsolicited form."""

    mode: int | None
    status: RegStatus
    lac: int | None = None
    ci: int | None = None
    act: int | None = None

    @property
    def registered(self) -> bool:
        """Whether the modem can send SMS (home, roaming, SMS-only, CSFB-not-preferred)."""
        return self.status.registered


def parse_creg(line_or_value: str) -> Registration:
    """Parse a +CREG/+CGREG/+CEREG response or unsolicited code.

    Read response: ``+CREG: <n>,<stat>[,<lac>,<ci>[,<AcT>]]``; unsolicited:
    ``+CREG: <stat>[,<lac>,<ci>[,<AcT>]]``. The two are told apart by the
    second field: a quoted LAC/TAC means the unsolicited form. Accepts the whole
    line or the value after the colon.
    """
    value = line_or_value
    head, sep, rest = line_or_value.partition(":")
    if sep and head.strip().upper() in {"+CREG", "+CGREG", "+CEREG", "+C5GREG"}:
        value = rest
    fields = split_params(value.strip())
    if not fields or not fields[0]:
        raise MalformedResponse("+CREG: [<n>,]<stat>", line_or_value)
    unsolicited = len(fields) == 1 or fields[1].quoted
    mode: int | None = None
    if not unsolicited:
        mode = parse_int(fields[0], "registration mode", high=5)
        fields = fields[1:]
    code = parse_int(fields[0], "registration status", high=11)
    lac = parse_hex_int(fields[1], "LAC") if len(fields) > 1 and fields[1] else None
    ci = parse_hex_int(fields[2], "cell id") if len(fields) > 2 and fields[2] else None
    act = (
        parse_int(fields[3], "access technology", high=255)
        if len(fields) > 3 and fields[3]
        else None
    )
    return Registration(mode=mode, status=RegStatus(code), lac=lac, ci=ci, act=act)


# ---------------------------------------------------------------- operator


@dataclass(frozen=True, slots=True)
class Operator:
    """``+COPS: <mode>[,<format>,<oper>[,<AcT>]]``; name None when not registered."""

    mode: int
    format: int | None
    name: str | None
    act: int | None


def parse_cops(lines: Sequence[str]) -> Operator:
    """``+COPS: 0,0,"Orange F",7`` or ``+COPS: 0`` (no operator)."""
    fields = split_params(find_value(lines, "+COPS"))
    mode = parse_int(fields[0], "operator mode", high=4)
    fmt = parse_int(fields[1], "operator format", high=2) if len(fields) > 1 and fields[1] else None
    name = fields[2].text if len(fields) > 2 and fields[2] else None
    act = (
        parse_int(fields[3], "access technology", high=255)
        if len(fields) > 3 and fields[3]
        else None
    )
    return Operator(mode=mode, format=fmt, name=name, act=act)


# ---------------------------------------------------------------- SIM


def parse_cpin(lines: Sequence[str]) -> str:
    """``+CPIN: READY`` / ``+CPIN: SIM PIN`` -> ``"READY"`` / ``"SIM PIN"``.

    Also accepts a quoted code and a bare ``READY`` line (no prefix).
    """
    values = find_values(lines, "+CPIN")
    if values:
        fields = split_params(values[0])
        code = fields[0].text.strip() if fields else ""
    else:
        bare = [line.strip() for line in lines if line.strip().upper() == "READY"]
        code = bare[0] if bare else ""
    if not code:
        raise MalformedResponse("+CPIN: <code>", " | ".join(lines))
    return code.upper()


def cpin(pin: str, new_pin: str | None = None) -> str:
    """``AT+CPIN="1234"`` (or ``AT+CPIN="<puk>","<new pin>"``); digits only."""
    for code in (pin, new_pin):
        if code is not None and (
            not code.isdigit() or not code.isascii() or not 4 <= len(code) <= 16
        ):
            raise UsageError("a PIN/PUK is 4 to 16 digits")
    if new_pin is None:
        return f"AT+CPIN={quote(pin)}"
    return f"AT+CPIN={quote(pin)},{quote(new_pin)}"


# ---------------------------------------------------------------- numbers


def with_plus(number: str, ton: int | None) -> str:
    """Prefix ``+`` when the type of address says international (TON 1) and it is missing."""
    if ton is not None and (ton >> 4) & 0x7 == 1 and number and not number.startswith("+"):
        return "+" + number
    return number


@dataclass(frozen=True, slots=True)
class SubscriberNumber:
    """One ``+CNUM`` line: ``number`` with ``+`` when international."""

    alpha: str
    number: str
    type: int | None


def parse_cnum(lines: Sequence[str]) -> list[SubscriberNumber]:
    """``+CNUM: "Voice","+33612345678",145`` lines (none when the SIM does not know)."""
    numbers: list[SubscriberNumber] = []
    for value in find_values(lines, "+CNUM"):
        fields = split_params(value)
        if len(fields) < 2:
            raise MalformedResponse("+CNUM: [<alpha>],<number>,<type>", value)
        ton = (
            parse_int(fields[2], "type of address", high=255)
            if len(fields) > 2 and fields[2]
            else None
        )
        number = fields[1].text
        if number:
            numbers.append(SubscriberNumber(fields[0].text, with_plus(number, ton), ton))
    return numbers


# ---------------------------------------------------------------- USSD


class UssdStatus(enum.IntEnum):
    """``<m>`` of ``+CUSD`` (TS 27.007 clause 7.15)."""

    DONE = 0
    """No further user action required (the network's last answer)."""
    ACTION_REQUIRED = 1
    """The network waits for a reply (a menu)."""
    TERMINATED = 2
    """The network ended the session."""
    OTHER_CLIENT = 3
    """Another local client has responded."""
    NOT_SUPPORTED = 4
    """The operation is not supported (unknown code, or no USSD on this network)."""
    TIMED_OUT = 5
    """The network timed out."""


@dataclass(frozen=True, slots=True)
class Ussd:
    """``+CUSD: <m>[,<str>,<dcs>]``: ``text`` as sent by the modem (may be hex, per ``dcs``)."""

    status: int
    text: str | None
    dcs: int | None


def parse_cusd(value: str) -> Ussd:
    """``0,"Your balance is 5.00 EUR",15`` (text may span lines, joined by the channel).

    Accepts the whole line or the value after the colon, blanks around fields
    (``0,"EBB79B1E0685E9ECF4BADE9E03", 0`` as RouterOS logs it) and ``<m>`` alone
    (``+CUSD: 4``).
    """
    if value[:5].upper() == "+CUSD":
        value = value.partition(":")[2]
    fields = split_params(value.strip())
    if not fields or not fields[0]:
        raise MalformedResponse("+CUSD: <m>[,<str>,<dcs>]", value)
    status = parse_int(fields[0], "USSD status", high=5)
    text = fields[1].text if len(fields) > 1 and fields[1] else None
    dcs = (
        parse_int(fields[2], "USSD data coding scheme", high=255)
        if len(fields) > 2 and fields[2]
        else None
    )
    return Ussd(status=status, text=text, dcs=dcs)


def cusd(code: str, dcs: int = 15) -> str:
    """``AT+CUSD=1,"*100#",15``: send ``code`` (or a menu reply), answers presented as ``+CUSD``.

    ``code`` goes as given: plain text, or the GSM-7 packed hex some firmwares want.
    """
    if not 0 <= dcs <= 255:
        raise UsageError("USSD data coding scheme is 0..255")
    if not code:
        raise UsageError("a USSD string is not empty")
    return f"AT+CUSD=1,{quote(code)},{dcs}"


def cusd_cancel() -> str:
    """``AT+CUSD=2``: end the USSD session in progress."""
    return "AT+CUSD=2"


# ---------------------------------------------------------------- identity


def _identity_value(lines: Sequence[str], prefixes: tuple[str, ...], what: str) -> str:
    for line in lines:
        text = line.strip()
        head, sep, rest = text.partition(":")
        if sep and head.strip().upper() in prefixes:
            text = rest.strip()
        elif sep:
            continue
        fields = split_params(text)
        if len(fields) == 1 and fields[0].text:
            return fields[0].text.strip()
    raise MalformedResponse(what, " | ".join(lines))


def parse_cgsn(lines: Sequence[str]) -> str:
    """IMEI from ``356789012345678``, ``+CGSN: 356...`` or ``+CGSN: "356..."``."""
    imei = _identity_value(lines, ("+CGSN", "+GSN", "IMEI"), "an IMEI")
    if not imei.isdigit() or not imei.isascii() or not 14 <= len(imei) <= 17:
        raise MalformedResponse("an IMEI of 14 to 17 digits", imei)
    return imei


def parse_cimi(lines: Sequence[str]) -> str:
    """IMSI from a bare ``208011234567890`` line or ``+CIMI: ...``."""
    imsi = _identity_value(lines, ("+CIMI",), "an IMSI")
    if not imsi.isdigit() or not imsi.isascii() or not 6 <= len(imsi) <= 15:
        raise MalformedResponse("an IMSI of 6 to 15 digits", imsi)
    return imsi


def parse_ccid(lines: Sequence[str]) -> str:
    """ICCID from ``+CCID:``, ``+ICCID:``, ``+QCCID:``, Huawei ``^ICCID:``, bare or quoted lines.

    Trailing ``F`` padding is dropped. Huawei's ``^ICCID`` gives the digits
    nibble-swapped as stored on the card (``98...``); an ICCID always starts
    with ``89`` (telecommunications), so a ``98`` start is swapped back.
    """
    iccid = _identity_value(lines, ("+CCID", "+ICCID", "^ICCID", "+QCCID", "ICCID"), "an ICCID")
    iccid = iccid.upper()
    if iccid.startswith("98"):
        padded = iccid if len(iccid) % 2 == 0 else iccid + "F"
        iccid = "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))
    iccid = iccid.rstrip("F")
    if not iccid.isdigit() or not iccid.isascii() or not 18 <= len(iccid) <= 22:
        raise MalformedResponse("an ICCID of 18 to 22 digits", iccid)
    return iccid
