"""Splitting text into segments and counting them (3GPP TS 23.040 9.2.3.24.1).

A single segment holds 160 septets, 70 UTF-16 code units or 140 octets; with
the 8-bit concatenation header each part holds 153 septets, 67 units or 134
octets. An escape pair (extension character) and a surrogate pair (astral
character) are never cut.
"""

from __future__ import annotations

from dataclasses import dataclass

from smsd.pdu import gsm7, ucs2, udh
from smsd.pdu.dcs import Encoding
from smsd.pdu.errors import PduEncodeError
from smsd.pdu.userdata import MAX_OCTETS, MAX_SEPTETS, header_septets

__all__ = ["MAX_SEGMENTS", "SegmentCount", "capacity", "choose_encoding", "count", "plan", "split"]

MAX_SEGMENTS = 255


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """What a user sees before sending."""

    encoding: Encoding
    segments: int
    units: int
    per_segment: int
    remaining: int


def choose_encoding(text: str, encoding: Encoding | None) -> Encoding:
    """GSM 7-bit if every character fits (or as asked), else UCS-2."""
    if encoding is None:
        return Encoding.GSM7 if gsm7.encodable(text) else Encoding.UCS2
    if encoding is Encoding.DATA8:
        raise PduEncodeError("8-bit messages carry data, not text", field="encoding")
    return encoding


def capacity(encoding: Encoding, header_octets: int) -> int:
    """Payload units (septets, or octets) a segment holds next to a UDH of that size."""
    if encoding is Encoding.GSM7:
        return MAX_SEPTETS - (header_septets(header_octets) if header_octets else 0)
    return MAX_OCTETS - header_octets


def _header_octets(elements: list[udh.InformationElement]) -> int:
    return len(udh.build(elements))


def to_payload(text: str, encoding: Encoding) -> bytes:
    """Text to septets (GSM 7-bit) or UTF-16-BE octets (UCS-2)."""
    if encoding is Encoding.GSM7:
        try:
            return gsm7.encode_septets(text)
        except UnicodeEncodeError as exc:
            raise PduEncodeError(
                f"{text[exc.start]!r} at position {exc.start} is not in the GSM 7-bit alphabet",
                field="text",
            ) from None
    return ucs2.encode(text)


def _cut(payload: bytes, size: int, encoding: Encoding) -> list[bytes]:
    chunks: list[bytes] = []
    start = 0
    total = len(payload)
    while start < total:
        end = min(start + size, total)
        if end < total:
            if encoding is Encoding.GSM7:
                if payload[end - 1] == gsm7.ESC:
                    end -= 1
            elif encoding is Encoding.UCS2:
                end -= (end - start) % 2
                if 0xD8 <= payload[end - 2] <= 0xDB:
                    end -= 2
        chunks.append(payload[start:end])
        start = end
    return chunks


def plan(
    payload: bytes,
    encoding: Encoding,
    *,
    ports: udh.Ports | None = None,
    concat_16bit: bool = False,
) -> tuple[list[bytes], list[udh.InformationElement], int]:
    """Cut a payload into segment payloads.

    Returns the chunks, the UDH elements every part carries besides the
    concatenation element, and the reference width (0 = single segment).
    """
    base = [udh.ports_element(ports)] if ports is not None else []
    if len(payload) <= capacity(encoding, _header_octets(base)):
        return [payload], base, 0
    bits = 16 if concat_16bit else 8
    probe = udh.concat_element(udh.Concat(0, 1, 1, bits))
    size = capacity(encoding, _header_octets([probe, *base]))
    chunks = _cut(payload, size, encoding)
    if len(chunks) > MAX_SEGMENTS:
        raise PduEncodeError(
            f"message needs {len(chunks)} segments, more than {MAX_SEGMENTS}", field="text"
        )
    return chunks, base, bits


def _from_payload(chunk: bytes, encoding: Encoding) -> str:
    if encoding is Encoding.GSM7:
        return gsm7.decode_septets(chunk)
    return ucs2.decode(chunk)


def split(text: str, *, encoding: Encoding | None = None) -> list[str]:
    """The text of each segment of `text` once sent; "" gives [""]."""
    chosen = choose_encoding(text, encoding)
    chunks, _, _ = plan(to_payload(text, chosen), chosen)
    return [_from_payload(chunk, chosen) for chunk in chunks]


def count(text: str, *, encoding: Encoding | None = None) -> SegmentCount:
    """Encoding, segments, units used, capacity per segment, units left in the last one."""
    chosen = choose_encoding(text, encoding)
    payload = to_payload(text, chosen)
    chunks, _, bits = plan(payload, chosen)
    per_segment = capacity(chosen, 6 if bits else 0)
    divisor = 2 if chosen is Encoding.UCS2 else 1
    return SegmentCount(
        encoding=chosen,
        segments=len(chunks),
        units=len(payload) // divisor,
        per_segment=per_segment // divisor,
        remaining=(per_segment - len(chunks[-1])) // divisor,
    )
