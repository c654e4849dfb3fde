"""TP-UDL and TP-UD: header, fill bits and text in each alphabet (23.040 9.2.3.16, 9.2.3.24)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.pdu import gsm7, ucs2, udh
from smsd.pdu.dcs import DataCoding, Encoding
from smsd.pdu.errors import PduDecodeError, PduEncodeError

if TYPE_CHECKING:
    from smsd.pdu.reader import Reader

__all__ = ["MAX_OCTETS", "MAX_SEPTETS", "UserData", "build", "header_septets", "read"]

MAX_OCTETS = 140
MAX_SEPTETS = 160


@dataclass(frozen=True, slots=True)
class UserData:
    """Decoded user data."""

    udl: int
    header: udh.Header
    text: str | None
    data: bytes | None


def header_septets(header_octets: int) -> int:
    """Septets a UDH of `header_octets` (UDHL included) takes, fill bits included."""
    return (header_octets * 8 + 6) // 7


def _header(raw: bytes, offset: int, *, strict: bool) -> tuple[udh.Header, int]:
    if not raw:
        if strict:
            raise PduDecodeError(
                "TP-UDHI set but the user data is empty", offset=offset, field="UDH"
            )
        return udh.EMPTY, 0
    length = raw[0]
    if 1 + length > len(raw):
        if strict:
            raise PduDecodeError(
                f"UDHL {length} overruns the {len(raw)}-octet user data", offset=offset, field="UDH"
            )
        return udh.EMPTY, 0
    try:
        header = udh.parse(raw[1 : 1 + length], offset + 1)
    except PduDecodeError:
        if strict:
            raise
        return udh.EMPTY, 0
    return header, 1 + length


def read(reader: Reader, coding: DataCoding, *, udhi: bool, strict: bool) -> UserData:
    """Read TP-UDL and TP-UD.

    Non-strict mode salvages damaged user data from real captures: a TP-UDL
    longer than what follows is cut to what is there, and a UDH that cannot be
    parsed is ignored.
    """
    start = reader.pos
    udl = reader.octet("TP-UDL")
    septets = coding.encoding is Encoding.GSM7 and not coding.compressed
    octets = (udl * 7 + 7) // 8 if septets else udl
    if strict and octets > MAX_OCTETS:
        raise reader.error(f"TP-UDL {udl} exceeds 140 octets of user data", "TP-UDL", start)
    if octets > reader.remaining:
        if strict:
            raise reader.error(
                f"TP-UDL {udl} needs {octets} octets but {reader.remaining} remain", "TP-UD", start
            )
        octets = reader.remaining
        if septets:
            udl = octets * 8 // 7
    raw = reader.take(octets, "TP-UD")
    header, body = _header(raw, start + 1, strict=strict) if udhi else (udh.EMPTY, 0)
    if septets:
        skip = header_septets(body) if body else 0
        count = udl - skip
        if count < 0:
            if strict:
                raise reader.error("UDH longer than TP-UDL", "TP-UDL", start)
            count = 0
        fill = skip * 7 - body * 8
        chars = gsm7.unpack(raw[body:], count, fill)
        text = gsm7.decode_septets(chars, header.locking_shift, header.single_shift)
        return UserData(udl, header, text, None)
    if coding.encoding is Encoding.UCS2 and not coding.compressed:
        return UserData(udl, header, ucs2.decode(raw[body:]), None)
    return UserData(udl, header, None, raw[body:])


def build(
    encoding: Encoding, payload: bytes, elements: tuple[udh.InformationElement, ...]
) -> tuple[int, bytes]:
    """TP-UDL value and TP-UD octets; `payload` is septets for GSM 7-bit."""
    header = udh.build(elements)
    if encoding is Encoding.GSM7:
        skip = header_septets(len(header)) if header else 0
        udl = skip + len(payload)
        if udl > MAX_SEPTETS:
            raise PduEncodeError(f"{udl} septets exceed 160", field="TP-UD")
        return udl, header + gsm7.pack(payload, skip * 7 - len(header) * 8)
    udl = len(header) + len(payload)
    if udl > MAX_OCTETS:
        raise PduEncodeError(f"{udl} octets exceed 140", field="TP-UD")
    return udl, header + payload
