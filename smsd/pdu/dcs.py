"""TP-DCS, the data coding scheme: 3GPP TS 23.038 section 4.

Every one of the 256 values decodes to something: reserved alphabets and
reserved coding groups are read as the GSM 7-bit default alphabet, as 23.038
asks ("any reserved codings shall be assumed to be the GSM 7 bit default
alphabet"), and reserved bits are ignored.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["DataCoding", "Encoding", "MessageWaiting", "decode_dcs", "encode_dcs"]


class Encoding(enum.Enum):
    """Character set of the user data."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"
    DATA8 = "8bit"


class IndicationType(enum.IntEnum):
    """Message waiting indication type (23.038 groups 1100..1110, bits 1..0)."""

    VOICEMAIL = 0
    FAX = 1
    EMAIL = 2
    OTHER = 3


@dataclass(frozen=True, slots=True)
class MessageWaiting:
    """Message waiting indication carried by the DCS."""

    active: bool
    kind: IndicationType
    store: bool  # False for group 1100 "discard message"


@dataclass(frozen=True, slots=True)
class DataCoding:
    """Everything a DCS octet says."""

    encoding: Encoding
    message_class: int | None = None
    compressed: bool = False
    auto_delete: bool = False
    waiting: MessageWaiting | None = None


_ALPHABET = (Encoding.GSM7, Encoding.DATA8, Encoding.UCS2, Encoding.GSM7)


def _decode(dcs: int) -> DataCoding:
    group = dcs >> 4
    if group < 0x8:  # 00xx / 01xx: general data coding, 01xx marked for deletion
        return DataCoding(
            encoding=_ALPHABET[(dcs >> 2) & 0x3],
            message_class=dcs & 0x3 if dcs & 0x10 else None,
            compressed=bool(dcs & 0x20),
            auto_delete=bool(dcs & 0x40),
        )
    if group in (0xC, 0xD, 0xE):  # message waiting: discard / store GSM 7 / store UCS2
        waiting = MessageWaiting(
            active=bool(dcs & 0x08), kind=IndicationType(dcs & 0x3), store=group != 0xC
        )
        encoding = Encoding.UCS2 if group == 0xE else Encoding.GSM7
        return DataCoding(encoding=encoding, waiting=waiting)
    if group == 0xF:  # data coding / message class; bit 3 reserved
        encoding = Encoding.DATA8 if dcs & 0x04 else Encoding.GSM7
        return DataCoding(encoding=encoding, message_class=dcs & 0x3)
    return DataCoding(encoding=Encoding.GSM7)  # 1000..1011: reserved coding groups


_TABLE = tuple(_decode(value) for value in range(256))


def decode_dcs(dcs: int) -> DataCoding:
    """Interpret a TP-DCS octet (never fails)."""
    return _TABLE[dcs & 0xFF]


_ALPHABET_BITS = {Encoding.GSM7: 0x00, Encoding.DATA8: 0x04, Encoding.UCS2: 0x08}


def encode_dcs(encoding: Encoding, message_class: int | None = None) -> int:
    """General data coding group value for an alphabet and optional class."""
    value = _ALPHABET_BITS[encoding]
    if message_class is not None:
        value |= 0x10 | (message_class & 0x3)
    return value
