"""TP-UDL and TP-UD: header, fill bits and text in each alphabet (23.040 9.2.3.16, 9.2.3.24)."""

from __future__ import annotations

from smsd.pdu import gsm7, ucs2, udh
from smsd.pdu.dcs import DataCoding, Encoding, decode_dcs
from smsd.pdu.errors import PduDecodeError, PduEncodeError
from smsd.pdu.reader import ended

__all__ = ["MAX_OCTETS", "MAX_SEPTETS", "UserData", "build", "header_septets", "read_at"]

MAX_OCTETS = 140
MAX_SEPTETS = 160


# How TP-UD is read for each TP-DCS value: packed septets, UTF-16, or octets as they are
# (8-bit data, and compressed text, which is handed over undecompressed).
SEPTETS = 0
UTF16 = 1
OCTETS = 2


def _kind(coding: DataCoding) -> int:
    if coding.compressed:
        return OCTETS
    if coding.encoding is Encoding.GSM7:
        return SEPTETS
    return UTF16 if coding.encoding is Encoding.UCS2 else OCTETS


_KIND = tuple(_kind(decode_dcs(dcs)) for dcs in range(256))

#: What `read_at` returns: TP-UDL, the UDH, text or data, and the position after TP-UD.
UserData = tuple[int, udh.Header, str | None, bytes | None, int]


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


def _septet_text(
    raw: bytes, udl: int, header: udh.Header, body: int, start: int, *, strict: bool
) -> str:
    """Text of the septets after a UDH of `body` octets (UDHL included) and its fill bits."""
    skip = header_septets(body) if body else 0
    count = udl - skip
    if count < 0:
        if strict:
            raise PduDecodeError("UDH longer than TP-UDL", offset=start, field="TP-UDL")
        count = 0
    septets = gsm7.unpack(raw, count, skip * 7 - body * 8)
    return gsm7.decode_septets(septets, header.locking_shift, header.single_shift)


def read_at(data: bytes, pos: int, dcs: int, *, udhi: bool, strict: bool) -> UserData:
    """Read TP-UDL and TP-UD at `pos`, as the TP-DCS octet `dcs` says.

    Non-strict mode salvages damaged user data from real captures: a TP-UDL
    longer than what follows is cut to what is there, and a UDH that cannot be
    parsed is ignored.
    """
    end = len(data)
    if pos >= end:
        raise ended(pos, "TP-UDL")
    start = pos
    udl = data[pos]
    pos += 1
    kind = _KIND[dcs]
    octets = (udl * 7 + 7) // 8 if kind == SEPTETS else udl
    remaining = end - pos
    if strict and octets > MAX_OCTETS:
        raise PduDecodeError(
            f"TP-UDL {udl} exceeds 140 octets of user data", offset=start, field="TP-UDL"
        )
    if octets > remaining:
        if strict:
            raise PduDecodeError(
                f"TP-UDL {udl} needs {octets} octets but {remaining} remain",
                offset=start,
                field="TP-UD",
            )
        octets = remaining
        if kind == SEPTETS:
            udl = octets * 8 // 7
    stop = pos + octets
    raw = data[pos:stop]
    header, body = _header(raw, pos, strict=strict) if udhi else (udh.EMPTY, 0)
    if body:
        raw = raw[body:]
    if kind == SEPTETS:
        return udl, header, _septet_text(raw, udl, header, body, start, strict=strict), None, stop
    if kind == UTF16:
        return udl, header, ucs2.decode(raw), None, stop
    return udl, header, None, raw, stop


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
