"""Typed builders and response parsers for AT commands (TS 27.005 / 27.007); pure.

SMS commands (PDU mode) live here; network, SIM and identity parsers live in
`smsd.at.status` and are re-exported. PDUs stay opaque upper-case hex strings.
Every parser raises `MalformedResponse` (a `ProtocolViolation`) on input it
cannot read, and every builder raises `UsageError` on illegal arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.at.codes import split_prefix
from smsd.at.errors import MalformedResponse, UsageError
from smsd.at.params import Param, find_value, parse_int, quote, split_params
from smsd.at.status import (
    Operator,
    Registration,
    RegStatus,
    SignalQuality,
    SubscriberNumber,
    Ussd,
    UssdStatus,
    cpin,
    cusd,
    cusd_cancel,
    parse_ccid,
    parse_cgsn,
    parse_cimi,
    parse_cnum,
    parse_cops,
    parse_cpin,
    parse_creg,
    parse_csq,
    parse_cusd,
    with_plus,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Operator",
    "RegStatus",
    "Registration",
    "ServiceCentre",
    "SignalQuality",
    "StorageUsage",
    "StoredPdu",
    "SubscriberNumber",
    "Ussd",
    "UssdStatus",
    "cmgd",
    "cmgl",
    "cmgr",
    "cmgs",
    "cmgw",
    "cnmi",
    "cpin",
    "cpms",
    "csca",
    "cusd",
    "cusd_cancel",
    "parse_ccid",
    "parse_cds_header",
    "parse_cdsi",
    "parse_cgsn",
    "parse_cimi",
    "parse_cmgl",
    "parse_cmgr",
    "parse_cmgs",
    "parse_cmgw",
    "parse_cmt_header",
    "parse_cmti",
    "parse_cnum",
    "parse_cops",
    "parse_cpin",
    "parse_cpms",
    "parse_creg",
    "parse_csca",
    "parse_csq",
    "parse_cusd",
    "parse_iccid",
    "parse_pdu_length",
    "quote",
    "strip_prefix",
]

_HEX = re.compile(r"[0-9A-Fa-f]+")
_STORAGES = frozenset({"SM", "ME", "MT", "BM", "SR", "TA"})
# Longest TPDU (TS 23.040) in octets, as announced in AT+CMGS=<length>.
MAX_TPDU_LENGTH = 176


# ---------------------------------------------------------------- builders


def cmgs(length: int) -> str:
    """``AT+CMGS=<length>``: TPDU length in octets, SMSC octets excluded."""
    if not 1 <= length <= MAX_TPDU_LENGTH:
        raise UsageError(f"TPDU length must be 1..{MAX_TPDU_LENGTH}, not {length}")
    return f"AT+CMGS={length}"


def cmgw(length: int, stat: int | None = None) -> str:
    """``AT+CMGW=<length>[,<stat>]`` (write a PDU to storage)."""
    cmgs(length)
    if stat is None:
        return f"AT+CMGW={length}"
    if not 0 <= stat <= 3:
        raise UsageError("message status is 0..3")
    return f"AT+CMGW={length},{stat}"


def cmgl(stat: int = 4) -> str:
    """``AT+CMGL=<stat>``: 0 unread, 1 read, 2 unsent, 3 sent, 4 all."""
    if not 0 <= stat <= 4:
        raise UsageError("message status is 0..4")
    return f"AT+CMGL={stat}"


def cmgr(index: int) -> str:
    """``AT+CMGR=<index>``."""
    return f"AT+CMGR={_index(index)}"


def cmgd(index: int, flag: int | None = None) -> str:
    """``AT+CMGD=<index>[,<delflag>]``."""
    if flag is None:
        return f"AT+CMGD={_index(index)}"
    if not 0 <= flag <= 4:
        raise UsageError("delete flag is 0..4")
    return f"AT+CMGD={_index(index)},{flag}"


def cpms(mem1: str, mem2: str | None = None, mem3: str | None = None) -> str:
    """``AT+CPMS="SM","SM","SM"`` (read/delete, write/send, receive storages)."""
    names = [m for m in (mem1, mem2, mem3) if m is not None]
    for name in names:
        if name.upper() not in _STORAGES:
            raise UsageError(f"unknown message storage {name!r}")
    return "AT+CPMS=" + ",".join(quote(name.upper()) for name in names)


def cnmi(mode: int, mt: int, bm: int = 0, ds: int = 0, bfr: int = 0) -> str:
    """``AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>`` (new message indications)."""
    for value, high in ((mode, 3), (mt, 3), (bm, 3), (ds, 2), (bfr, 1)):
        if not 0 <= value <= high:
            raise UsageError("AT+CNMI parameter out of range")
    return f"AT+CNMI={mode},{mt},{bm},{ds},{bfr}"


def csca(address: str, ton: int | None = None) -> str:
    """``AT+CSCA="+33609001390",145`` (type defaults from the leading ``+``)."""
    digits = address.removeprefix("+")
    if not digits.isdigit() or not digits.isascii() or len(digits) > 20:
        raise UsageError(f"SMSC address must be digits with an optional +: {address!r}")
    if ton is None:
        ton = 145 if address.startswith("+") else 129
    if not 128 <= ton <= 255:
        raise UsageError("type of address is 128..255")
    return f"AT+CSCA={quote(address)},{ton}"


def _index(index: int) -> int:
    if not 0 <= index <= 65535:
        raise UsageError("message index is 0..65535")
    return index


# ---------------------------------------------------------------- send


def parse_cmgs(lines: Sequence[str]) -> int:
    """``+CMGS: <mr>[,<ackpdu>]`` -> the TP-Message-Reference (0..255)."""
    fields = split_params(find_value(lines, "+CMGS"))
    return parse_int(fields[0], "message reference", high=255)


def parse_cmgw(lines: Sequence[str]) -> int:
    """``+CMGW: <index>`` -> storage index."""
    fields = split_params(find_value(lines, "+CMGW"))
    return parse_int(fields[0], "message index", high=65535)


# ---------------------------------------------------------------- read


@dataclass(frozen=True, slots=True)
class StoredPdu:
    """A message in storage: ``stat`` 0 unread, 1 read, 2 unsent, 3 sent; ``pdu`` with SMSC."""

    index: int
    stat: int
    length: int
    pdu: str


def _pdu_line(line: str) -> str:
    pdu = line.strip()
    if not pdu or len(pdu) % 2 or _HEX.fullmatch(pdu) is None:
        raise MalformedResponse("a PDU line (even-length hex)", line)
    return pdu.upper()


def parse_cmgl(lines: Sequence[str]) -> list[StoredPdu]:
    """``+CMGL: <index>,<stat>,[<alpha>],<length>`` each followed by its PDU line.

    Lines outside that pattern (stray text) are skipped; a header without a PDU
    line after it is malformed.
    """
    messages: list[StoredPdu] = []
    header: list[Param] | None = None
    header_line = ""
    for line in lines:
        if header is not None:
            index = parse_int(header[0], "message index", high=65535)
            stat = parse_int(header[1], "message status", high=3)
            length = parse_int(header[-1], "TPDU length", high=255)
            messages.append(StoredPdu(index, stat, length, _pdu_line(line)))
            header = None
        elif line[:6].upper() == "+CMGL:":
            header_line = line
            header = split_params(line[6:].strip())
            if len(header) < 3:
                raise MalformedResponse("+CMGL: <index>,<stat>,[<alpha>],<length>", line)
    if header is not None:
        raise MalformedResponse("a PDU line after the +CMGL header", header_line)
    return messages


def parse_cmgr(lines: Sequence[str], index: int) -> StoredPdu:
    """``+CMGR: <stat>,[<alpha>],<length>`` followed by the PDU line.

    An empty slot (``OK`` alone, or ``+CMGR: 0,,0`` without a PDU) is
    `MalformedResponse` with ``what="a stored message"``.
    """
    for position, line in enumerate(lines):
        if line[:6].upper() != "+CMGR:":
            continue
        fields = split_params(line[6:].strip())
        if len(fields) < 2:
            raise MalformedResponse("+CMGR: <stat>,[<alpha>],<length>", line)
        stat = parse_int(fields[0], "message status", high=3)
        length = parse_int(fields[-1], "TPDU length", high=255)
        if position + 1 >= len(lines) or length == 0:
            break
        return StoredPdu(index, stat, length, _pdu_line(lines[position + 1]))
    raise MalformedResponse("a stored message", " | ".join(lines))


# ---------------------------------------------------------------- storage


@dataclass(frozen=True, slots=True)
class StorageUsage:
    """Used and total slots of one storage (``memory`` None in the set-command reply)."""

    memory: str | None
    used: int
    total: int


def parse_cpms(lines: Sequence[str]) -> tuple[StorageUsage, ...]:
    """``+CPMS: "SM",3,30,"SM",3,30,"SM",3,30`` (read) or ``+CPMS: 3,30,3,30,3,30`` (set)."""
    fields = split_params(find_value(lines, "+CPMS"))
    named = bool(fields) and fields[0].quoted
    step = 3 if named else 2
    if not fields or len(fields) % step:
        raise MalformedResponse(
            "+CPMS: [<mem>,]<used>,<total>...", ",".join(f.text for f in fields)
        )
    usages = []
    for i in range(0, len(fields), step):
        group = fields[i : i + step]
        memory = group[0].text if named else None
        used = parse_int(group[-2], "used slots", high=65535)
        total = parse_int(group[-1], "total slots", high=65535)
        usages.append(StorageUsage(memory, used, total))
    return tuple(usages)


# ---------------------------------------------------------------- indications


def _storage_index(value: str, what: str) -> tuple[str, int]:
    fields = split_params(value.strip())
    if len(fields) < 2 or not fields[0].text:
        raise MalformedResponse(what, value)
    return fields[0].text, parse_int(fields[1], "message index", high=65535)


def parse_cmti(value: str) -> tuple[str, int]:
    """``"SM",3`` -> ``("SM", 3)``; extra fields (SIM900 ``"MMS PUSH"`` forms) are ignored."""
    return _storage_index(value, "+CMTI: <mem>,<index>")


def parse_cdsi(value: str) -> tuple[str, int]:
    """``"SR",1`` -> ``("SR", 1)``."""
    return _storage_index(value, "+CDSI: <mem>,<index>")


def parse_cmt_header(value: str) -> int:
    """``+CMT: [<alpha>],<length>`` value -> TPDU length of the PDU line that follows."""
    fields = split_params(value.strip())
    if not fields:
        raise MalformedResponse("+CMT: [<alpha>],<length>", value)
    return parse_int(fields[-1], "TPDU length", high=255)


def parse_pdu_length(value: str) -> int:
    """TPDU length from a ``+CMT``/``+CDS``/``+CBM`` header value (its last field)."""
    return parse_cmt_header(value)


def strip_prefix(line: str) -> str:
    """``+CGSN: 3567...`` -> ``3567...``; a line without a ``+X:``/``^X:`` prefix unchanged."""
    name, value = split_prefix(line)
    return value if name else line.strip()


def parse_cds_header(value: str) -> int:
    """``+CDS: <length>`` value -> TPDU length of the PDU line that follows."""
    fields = split_params(value.strip())
    if len(fields) != 1:
        raise MalformedResponse("+CDS: <length>", value)
    return parse_int(fields[0], "TPDU length", high=255)


# ---------------------------------------------------------------- service centre


@dataclass(frozen=True, slots=True)
class ServiceCentre:
    """``+CSCA``: ``address`` (``+`` added when the type is international; "" if none)."""

    address: str
    type: int | None


def _ucs2_digits(text: str) -> str | None:
    """Decode a UCS2-hex address (``AT+CSCS="UCS2"``), or None if ``text`` is not one."""
    if len(text) < 8 or len(text) % 4 or _HEX.fullmatch(text) is None:
        return None
    chars = [chr(int(text[i : i + 4], 16)) for i in range(0, len(text), 4)]
    decoded = "".join(chars)
    return decoded if decoded.removeprefix("+").isdigit() and decoded.isascii() else None


def parse_csca(lines: Sequence[str]) -> ServiceCentre:
    """``+CSCA: "+33609001390",145``; also UCS2-hex addresses and an empty address."""
    fields = split_params(find_value(lines, "+CSCA"))
    address = fields[0].text.strip()
    ton = (
        parse_int(fields[1], "type of address", high=255) if len(fields) > 1 and fields[1] else None
    )
    decoded = _ucs2_digits(address)
    if decoded is not None:
        address = decoded
    if address and not address.removeprefix("+").isdigit():
        raise MalformedResponse("an SMSC address", address)
    return ServiceCentre(with_plus(address, ton), ton)


# The same parser under the name of the value it reads (AT+CCID, AT+ICCID, AT^ICCID, AT+QCCID).
parse_iccid = parse_ccid
