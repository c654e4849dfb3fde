"""The user data header: 3GPP TS 23.040 section 9.2.3.24.

Known information elements are interpreted (concatenation 8/16-bit reference,
application ports 8/16-bit, national language shifts); every element, known or
not, is kept in order so a message can be re-encoded unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from smsd.pdu.errors import PduDecodeError, PduEncodeError

__all__ = [
    "IEI_CONCAT_8",
    "IEI_CONCAT_16",
    "IEI_LOCKING_SHIFT",
    "IEI_PORTS_8",
    "IEI_PORTS_16",
    "IEI_SINGLE_SHIFT",
    "Concat",
    "Header",
    "InformationElement",
    "Ports",
    "build",
    "concat_element",
    "parse",
    "ports_element",
]

IEI_CONCAT_8 = 0x00
IEI_PORTS_8 = 0x04
IEI_PORTS_16 = 0x05
IEI_CONCAT_16 = 0x08
IEI_SINGLE_SHIFT = 0x24
IEI_LOCKING_SHIFT = 0x25

_LENGTHS = {IEI_CONCAT_8: 3, IEI_PORTS_8: 2, IEI_PORTS_16: 4, IEI_CONCAT_16: 4}


@dataclass(frozen=True, slots=True)
class InformationElement:
    """One UDH information element, as found."""

    iei: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Concat:
    """Concatenated short message: reference, total parts, this part (1-based)."""

    reference: int
    total: int
    sequence: int
    bits: int = 8


@dataclass(frozen=True, slots=True)
class Ports:
    """Application port addressing."""

    destination: int
    source: int
    bits: int = 16


class Header(NamedTuple):
    """A parsed UDH.

    The decoder's own record, made for every concatenated part: a named tuple
    costs less than half of what a frozen dataclass does to build.
    """

    elements: tuple[InformationElement, ...]
    concat: Concat | None
    ports: Ports | None
    single_shift: int
    locking_shift: int


EMPTY = Header((), None, None, 0, 0)


def parse(header: bytes, offset: int) -> Header:
    """Parse UDH octets (after the UDHL octet); `offset` locates errors."""
    if len(header) == 5 and header[0] == IEI_CONCAT_8 and header[1] == 3:
        # The usual header of a concatenated part, a lone 8-bit concatenation IE.
        reference, total, sequence = header[2], header[3], header[4]
        return Header(
            (InformationElement(IEI_CONCAT_8, header[2:]),),
            Concat(reference, total, sequence, 8) if 0 < sequence <= total else None,
            None,
            0,
            0,
        )
    return _parse_elements(header, offset)


def _parse_elements(header: bytes, offset: int) -> Header:  # noqa: C901 - one pass over a flat IE table
    elements: list[InformationElement] = []
    concat: Concat | None = None
    ports: Ports | None = None
    single = locking = 0
    index = 0
    end = len(header)
    while index < end:
        if index + 2 > end:
            raise PduDecodeError(
                "information element header cut short", offset=offset + index, field="UDH"
            )
        iei = header[index]
        length = header[index + 1]
        if index + 2 + length > end:
            raise PduDecodeError(
                f"information element 0x{iei:02X} of {length} octets overruns the UDH",
                offset=offset + index,
                field="UDH",
            )
        data = header[index + 2 : index + 2 + length]
        expected = _LENGTHS.get(iei)
        if expected is not None and length != expected:
            raise PduDecodeError(
                f"information element 0x{iei:02X} must be {expected} octets, not {length}",
                offset=offset + index,
                field="UDH",
            )
        elements.append(InformationElement(iei, data))
        if iei in (IEI_CONCAT_8, IEI_CONCAT_16):
            if iei == IEI_CONCAT_8:
                found = Concat(data[0], data[1], data[2], 8)
            else:
                found = Concat((data[0] << 8) | data[1], data[2], data[3], 16)
            # 23.040 9.2.3.24.1: total 0, or sequence 0 or beyond total: ignore the IE.
            if 0 < found.sequence <= found.total:
                concat = found
        elif iei == IEI_PORTS_8:
            ports = Ports(data[0], data[1], 8)
        elif iei == IEI_PORTS_16:
            ports = Ports((data[0] << 8) | data[1], (data[2] << 8) | data[3], 16)
        elif iei == IEI_SINGLE_SHIFT and length == 1:
            single = data[0]
        elif iei == IEI_LOCKING_SHIFT and length == 1:
            locking = data[0]
        index += 2 + length
    return Header(tuple(elements), concat, ports, single, locking)


def concat_element(concat: Concat) -> InformationElement:
    """The IE for a concatenation part."""
    if concat.bits == 16:
        if not 0 <= concat.reference <= 0xFFFF:
            raise PduEncodeError("16-bit concatenation reference out of range", field="UDH")
        ref = concat.reference.to_bytes(2, "big")
        return InformationElement(IEI_CONCAT_16, ref + bytes((concat.total, concat.sequence)))
    if not 0 <= concat.reference <= 0xFF:
        raise PduEncodeError("8-bit concatenation reference out of range", field="UDH")
    return InformationElement(
        IEI_CONCAT_8, bytes((concat.reference, concat.total, concat.sequence))
    )


def ports_element(ports: Ports) -> InformationElement:
    """The IE for application ports (16-bit when asked or when a port needs it)."""
    if not (0 <= ports.destination <= 0xFFFF and 0 <= ports.source <= 0xFFFF):
        raise PduEncodeError("port out of range", field="UDH")
    if ports.bits == 8 and ports.destination <= 0xFF and ports.source <= 0xFF:
        return InformationElement(IEI_PORTS_8, bytes((ports.destination, ports.source)))
    data = ports.destination.to_bytes(2, "big") + ports.source.to_bytes(2, "big")
    return InformationElement(IEI_PORTS_16, data)


def build(elements: tuple[InformationElement, ...] | list[InformationElement]) -> bytes:
    """UDHL octet followed by the elements; empty when there are none."""
    if not elements:
        return b""
    body = b"".join(bytes((element.iei, len(element.data))) + element.data for element in elements)
    if len(body) > 139:
        raise PduEncodeError("user data header too long", field="UDH")
    return bytes((len(body),)) + body
