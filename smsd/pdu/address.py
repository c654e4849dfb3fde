"""TP addresses and the SMSC (RP) address: 3GPP TS 23.040 section 9.1.2.5.

Digits are BCD semi-octets, low nibble first; nibbles A..E are '*', '#', 'a',
'b', 'c' (24.008 table 10.5.118) and F pads an odd count. An alphanumeric
address (TON 5) is GSM 7-bit packed text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.pdu import gsm7
from smsd.pdu.errors import PduEncodeError

if TYPE_CHECKING:
    from smsd.pdu.reader import Reader

__all__ = [
    "TON_ALPHANUMERIC",
    "TON_INTERNATIONAL",
    "TON_NATIONAL",
    "TON_UNKNOWN",
    "Address",
    "encode_alphanumeric",
    "encode_smsc",
    "encode_tp_address",
    "read_smsc",
    "read_tp_address",
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

_NIBBLE = "0123456789*#abc"
_DIGIT_TO_NIBBLE = {char: value for value, char in enumerate(_NIBBLE)}
_DIGIT_TO_NIBBLE.update({"A": 0xC, "B": 0xD, "C": 0xE})
# Octet value -> its two semi-octets as text, low nibble first ("?" for F).
_OCTET_DIGITS = tuple(
    (_NIBBLE + "?")[octet & 0xF] + (_NIBBLE + "?")[octet >> 4] for octet in range(256)
)


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


def _digits(raw: bytes, count: int, reader: Reader, field: str, start: int) -> str:
    text = "".join(map(_OCTET_DIGITS.__getitem__, raw))[:count]
    filler = text.find("?")
    if filler >= 0:
        # Some senders count the F filler in the length: accept F at the end only.
        text = text.rstrip("?")
        if "?" in text:
            raise reader.error("filler nibble F inside the digits", field, start + filler // 2)
    return text


def _display(digits: str, ton: int) -> str:
    return "+" + digits if ton == TON_INTERNATIONAL else digits


def _alphanumeric(raw: bytes, septets: int) -> str:
    return gsm7.decode_septets(gsm7.unpack(raw, septets))


def read_tp_address(reader: Reader, field: str) -> Address:
    """Read a TP-OA/TP-DA/TP-RA: length in semi-octets, TOA, value."""
    start = reader.pos
    length = reader.octet(field)
    if length > MAX_TP_DIGITS:
        raise reader.error(f"address length {length} exceeds 20 semi-octets", field, start)
    toa = reader.octet(field)
    raw = reader.take((length + 1) // 2, field)
    ton = (toa >> 4) & 0x7
    npi = toa & 0xF
    if ton == TON_ALPHANUMERIC:
        return Address(_alphanumeric(raw, length * 4 // 7), ton, npi)
    return Address(_display(_digits(raw, length, reader, field, start + 2), ton), ton, npi)


def read_smsc(reader: Reader) -> Address | None:
    """Read the SMSC address: length in octets (0 = none), TOA, value."""
    field = "SMSC address"
    start = reader.pos
    length = reader.octet(field)
    if length == 0:
        return None
    if length > MAX_SMSC_OCTETS:
        raise reader.error(f"SMSC length {length} exceeds {MAX_SMSC_OCTETS} octets", field, start)
    toa = reader.octet(field)
    raw = reader.take(length - 1, field)
    ton = (toa >> 4) & 0x7
    npi = toa & 0xF
    if not raw:
        return None
    if ton == TON_ALPHANUMERIC:
        return Address(_alphanumeric(raw, len(raw) * 8 // 7), ton, npi)
    count = len(raw) * 2
    if raw[-1] >> 4 == 0xF:
        count -= 1
    return Address(_display(_digits(raw, count, reader, field, start + 2), ton), ton, npi)


def _bcd(digits: str, field: str) -> bytes:
    try:
        nibbles = [_DIGIT_TO_NIBBLE[char] for char in digits]
    except KeyError as exc:
        raise PduEncodeError(f"{exc.args[0]!r} is not a dialable digit", field=field) from None
    if len(nibbles) % 2:
        nibbles.append(0xF)
    return bytes(nibbles[index] | (nibbles[index + 1] << 4) for index in range(0, len(nibbles), 2))


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
    return bool(digits) and all(char in "0123456789*#" for char in digits)


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
