"""TP addresses and the SMSC (RP) address: 3GPP TS 23.040 section 9.1.2.5.

Digits are BCD semi-octets, low nibble first; nibbles A..E are '*', '#', 'a',
'b', 'c' (24.008 table 10.5.118) and F pads an odd count. An alphanumeric
address (TON 5) is GSM 7-bit packed text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.pdu import gsm7
from smsd.pdu.errors import PduDecodeError, PduEncodeError
from smsd.pdu.reader import ended, short

if TYPE_CHECKING:
    from smsd.pdu.reader import Reader

__all__ = [
    "NO_SMSC",
    "TON_ALPHANUMERIC",
    "TON_INTERNATIONAL",
    "TON_NATIONAL",
    "TON_UNKNOWN",
    "Address",
    "Smsc",
    "encode_alphanumeric",
    "encode_smsc",
    "encode_tp_address",
    "read_smsc",
    "read_tp_address",
    "smsc_at",
    "tp_address_at",
]

TON_UNKNOWN = 0
TON_INTERNATIONAL = 1
TON_NATIONAL = 2
TON_ALPHANUMERIC = 5
NPI_ISDN = 1

#: At most 20 semi-octets in a TP address (TP-DA/OA/RA are 2..12 octets).
MAX_TP_DIGITS = 20
#: At most 11 octets after the SMSC length octet (TOA + 10 digit octets).
MAX_SMSC_OCTETS = 11

#: A decoded SMSC address: value, TON and NPI, all None when the PDU names none.
Smsc = tuple[str | None, int | None, int | None]
NO_SMSC: Smsc = (None, None, None)

# Semi-octet characters (24.008 table 10.5.118) to the hex digit of their nibble, and
# str.translate tables deleting what may be encoded, to find what may not.
_DIGIT_TO_HEX = str.maketrans("*#abcABC", "abcdecde")
_DROP_DIALABLE = str.maketrans("", "", "0123456789*#abcABC")
_DROP_NUMBER = str.maketrans("", "", "0123456789*#")
# bytes.translate table exchanging the two nibbles of an octet.
_SWAP_NIBBLES = bytes(((octet & 0xF) << 4) | (octet >> 4) for octet in range(256))
# Hex digits a..f (nibbles A..F) to their semi-octet characters, "?" for the F filler.
_HEX_TO_DIGIT = str.maketrans("abcdef", "*#abc?")


@dataclass(frozen=True, slots=True)
class Address:
    """A decoded address: display value and type of address."""

    value: str
    ton: int
    npi: int

    @property
    def toa(self) -> int:
        """The type-of-address octet."""
        return 0x80 | (self.ton << 4) | self.npi


def _digits(raw: bytes, count: int, field: str, start: int) -> str:
    # Swapping the nibbles of each octet lets bytes.hex() write the semi-octets in order.
    text = raw.translate(_SWAP_NIBBLES).hex()[:count]
    if text.isdigit():
        return text
    text = text.translate(_HEX_TO_DIGIT)
    filler = text.find("?")
    if filler >= 0:
        # Some senders count the F filler in the length: accept F at the end only.
        text = text.rstrip("?")
        if "?" in text:
            raise PduDecodeError(
                "filler nibble F inside the digits", offset=start + filler // 2, field=field
            )
    return text


def _alphanumeric(raw: bytes, septets: int) -> str:
    return gsm7.decode_septets(gsm7.unpack(raw, septets))


def tp_address_at(data: bytes, pos: int, field: str) -> tuple[str, int, int, int]:
    """The TP-OA/TP-DA/TP-RA at `pos`: display value, TON, NPI and the position after it.

    The length octet counts semi-octets; the TOA octet and the value follow.
    """
    end = len(data)
    if pos >= end:
        raise ended(pos, field)
    length = data[pos]
    if length > MAX_TP_DIGITS:
        raise PduDecodeError(
            f"address length {length} exceeds 20 semi-octets", offset=pos, field=field
        )
    if pos + 1 >= end:
        raise ended(pos + 1, field)
    toa = data[pos + 1]
    start = pos + 2
    stop = start + (length + 1) // 2
    if stop > end:
        raise short(start, (length + 1) // 2, end - start, field)
    raw = data[start:stop]
    ton = (toa >> 4) & 0x7
    if ton == TON_ALPHANUMERIC:
        return _alphanumeric(raw, length * 4 // 7), ton, toa & 0xF, stop
    digits = _digits(raw, length, field, start)
    return ("+" + digits if ton == TON_INTERNATIONAL else digits), ton, toa & 0xF, stop


def smsc_at(data: bytes, pos: int) -> tuple[Smsc, int]:
    """The SMSC address at `pos` (value, TON, NPI) and the position after it.

    The length octet counts octets (0 = none); the TOA octet and the value follow.
    """
    field = "SMSC address"
    end = len(data)
    if pos >= end:
        raise ended(pos, field)
    length = data[pos]
    if length == 0:
        return NO_SMSC, pos + 1
    if length > MAX_SMSC_OCTETS:
        raise PduDecodeError(
            f"SMSC length {length} exceeds {MAX_SMSC_OCTETS} octets", offset=pos, field=field
        )
    if pos + 1 >= end:
        raise ended(pos + 1, field)
    toa = data[pos + 1]
    start = pos + 2
    stop = start + length - 1
    if stop > end:
        raise short(start, length - 1, end - start, field)
    if length == 1:
        return NO_SMSC, stop
    raw = data[start:stop]
    ton = (toa >> 4) & 0x7
    if ton == TON_ALPHANUMERIC:
        return (_alphanumeric(raw, len(raw) * 8 // 7), ton, toa & 0xF), stop
    count = len(raw) * 2
    if raw[-1] >> 4 == 0xF:
        count -= 1
    digits = _digits(raw, count, field, start)
    return ("+" + digits if ton == TON_INTERNATIONAL else digits, ton, toa & 0xF), stop


def read_tp_address(reader: Reader, field: str) -> Address:
    """Read a TP-OA/TP-DA/TP-RA with a cursor (see `tp_address_at`)."""
    value, ton, npi, reader.pos = tp_address_at(reader.data, reader.pos, field)
    return Address(value, ton, npi)


def read_smsc(reader: Reader) -> Address | None:
    """Read the SMSC address with a cursor (see `smsc_at`)."""
    (value, ton, npi), reader.pos = smsc_at(reader.data, reader.pos)
    if value is None or ton is None or npi is None:
        return None
    return Address(value, ton, npi)


def _bcd(digits: str, field: str) -> bytes:
    undialable = digits.translate(_DROP_DIALABLE)
    if undialable:
        raise PduEncodeError(f"{undialable[0]!r} is not a dialable digit", field=field)
    text = digits.translate(_DIGIT_TO_HEX)
    if len(text) % 2:
        text += "f"
    # bytes.fromhex writes each pair high nibble first; BCD wants the first digit low.
    return bytes.fromhex(text).translate(_SWAP_NIBBLES)


def _split(number: str, toa: int | None, field: str) -> tuple[str, int]:
    if number.startswith("+"):
        digits = number[1:]
        default_toa = 0x80 | (TON_INTERNATIONAL << 4) | NPI_ISDN
    else:
        digits = number
        default_toa = 0x80 | (TON_UNKNOWN << 4) | NPI_ISDN
    if not digits:
        raise PduEncodeError("empty number", field=field)
    return digits, default_toa if toa is None else toa


def _is_number(value: str) -> bool:
    digits = value.removeprefix("+")
    return bool(digits) and not digits.translate(_DROP_NUMBER)


def encode_alphanumeric(value: str, *, toa: int = 0xD0, field: str = "address") -> bytes:
    """Encode an alphanumeric TP address: GSM 7-bit packed, at most 11 characters."""
    try:
        septets = gsm7.encode_septets(value)
    except UnicodeEncodeError as exc:
        raise PduEncodeError("alphanumeric address outside the GSM alphabet", field=field) from exc
    if not septets or len(septets) > 11:
        raise PduEncodeError("alphanumeric address must be 1 to 11 septets", field=field)
    return bytes((-(-len(septets) * 7 // 4), toa)) + gsm7.pack(septets)


def encode_tp_address(
    value: str, *, toa: int | None = None, allow_alphanumeric: bool = False, field: str = "address"
) -> bytes:
    """Encode a TP address.

    '+digits' is international (TOA 0x91), other digits TON unknown (0x81),
    unless `toa` is given; an explicit non-alphanumeric `toa` also admits the
    BCD letters a, b, c. With `allow_alphanumeric`, any other value (or a
    `toa` with TON 5) is GSM 7-bit packed with TOA 0x50.
    """
    alphanumeric = toa is not None and (toa >> 4) & 0x7 == TON_ALPHANUMERIC
    if not alphanumeric and (_is_number(value) or toa is not None):
        digits, octet = _split(value, toa, field)
        if len(digits) > MAX_TP_DIGITS:
            raise PduEncodeError(f"{len(digits)} digits exceed {MAX_TP_DIGITS}", field=field)
        return bytes((len(digits), octet)) + _bcd(digits, field)
    if not allow_alphanumeric:
        raise PduEncodeError(f"{value!r} is not a phone number", field=field)
    return encode_alphanumeric(value, toa=0xD0 if toa is None else toa, field=field)


def encode_smsc(value: str | None, *, toa: int | None = None) -> bytes:
    """Encode the SMSC field; None gives the single octet 00 (use the SIM's)."""
    if value is None or not value:
        return b"\x00"
    digits, octet = _split(value, toa, "SMSC address")
    body = _bcd(digits, "SMSC address")
    if len(body) + 1 > MAX_SMSC_OCTETS:
        raise PduEncodeError("SMSC number too long", field="SMSC address")
    return bytes((len(body) + 1, octet)) + body
