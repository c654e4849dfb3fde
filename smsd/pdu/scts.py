"""Service-centre time stamps and validity periods: 3GPP TS 23.040 9.2.3.11-12.

SCTS (and the absolute validity period) are seven swapped-BCD octets: year,
month, day, hour, minute, second, and the zone in quarter-hours whose bit 3
is the sign. A zone octet with a non-BCD nibble (seen in real status reports
from Kenya and Indonesia) is read as UTC rather than rejected: the instant is
then unknown by a few hours, but the report is not lost. Years are read as
2000-2099, as gammu and most modems do.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from smsd.pdu.errors import PduDecodeError, PduEncodeError
from smsd.pdu.reader import short

if TYPE_CHECKING:
    from smsd.pdu.reader import Reader

__all__ = [
    "RELATIVE_VALIDITY",
    "decode_enhanced_validity",
    "decode_relative_validity",
    "encode_relative_validity",
    "encode_timestamp",
    "read_timestamp",
    "timestamp_at",
]

# Octet -> value of its two swapped semi-octets, -1 when a nibble is not BCD.
_SWAPPED = tuple(
    (octet & 0xF) * 10 + (octet >> 4) if (octet & 0xF) < 10 and (octet >> 4) < 10 else -1
    for octet in range(256)
)
_ZONES = {quarters: timezone(timedelta(minutes=15 * quarters)) for quarters in range(-79, 80)}
_ZONES[0] = UTC


def _zone(octet: int) -> timezone:
    units = octet >> 4
    if units > 9:
        return UTC  # invalid zone octet: see the module docstring
    quarters = (octet & 0x7) * 10 + units
    return _ZONES[-quarters if octet & 0x8 else quarters]


# Zone octet -> its tzinfo, so that each zone is one shared object.
_ZONE_OF_OCTET = tuple(_zone(octet) for octet in range(256))


def timestamp_at(data: bytes, pos: int, field: str) -> datetime:
    """The seven SCTS octets at `pos` as an aware datetime."""
    if pos + 7 > len(data):
        raise short(pos, 7, len(data) - pos, field)
    year = _SWAPPED[data[pos]]
    month = _SWAPPED[data[pos + 1]]
    day = _SWAPPED[data[pos + 2]]
    hour = _SWAPPED[data[pos + 3]]
    minute = _SWAPPED[data[pos + 4]]
    second = _SWAPPED[data[pos + 5]]
    if year < 0 or month < 0 or day < 0 or hour < 0 or minute < 0 or second < 0:
        raise PduDecodeError("time stamp digit is not BCD", offset=pos, field=field)
    try:
        return datetime(
            2000 + year, month, day, hour, minute, second, tzinfo=_ZONE_OF_OCTET[data[pos + 6]]
        )
    except ValueError as exc:
        raise PduDecodeError(f"invalid time stamp: {exc}", offset=pos, field=field) from None


def read_timestamp(reader: Reader, field: str) -> datetime:
    """Read seven SCTS octets with a cursor (see `timestamp_at`)."""
    moment = timestamp_at(reader.data, reader.pos, field)
    reader.pos += 7
    return moment


def _bcd(value: int) -> int:
    return (value % 10) << 4 | (value // 10)


def encode_timestamp(moment: datetime, field: str = "timestamp") -> bytes:
    """Seven SCTS octets for an aware datetime (zone a multiple of 15 minutes)."""
    offset = moment.utcoffset()
    if offset is None:
        raise PduEncodeError("time stamp must be timezone-aware", field=field)
    quarters, rest = divmod(int(offset.total_seconds()), 900)
    if rest or not -79 <= quarters <= 79:
        raise PduEncodeError("time zone must be a whole number of quarter-hours", field=field)
    if not 2000 <= moment.year <= 2099:
        raise PduEncodeError("year outside 2000..2099", field=field)
    zone = _bcd(abs(quarters)) | (0x08 if quarters < 0 else 0)
    parts = (moment.year % 100, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return bytes(_bcd(part) for part in parts) + bytes((zone,))


def decode_relative_validity(octet: int) -> timedelta:
    """TP-VP relative format (23.040 9.2.3.12.1)."""
    if octet <= 143:
        return timedelta(minutes=5 * (octet + 1))
    if octet <= 167:
        return timedelta(hours=12, minutes=30 * (octet - 143))
    if octet <= 196:
        return timedelta(days=octet - 166)
    return timedelta(weeks=octet - 192)


#: TP-VP relative octet -> its period.
RELATIVE_VALIDITY = tuple(decode_relative_validity(octet) for octet in range(256))


def encode_relative_validity(period: timedelta) -> int:
    """Smallest relative TP-VP octet that is at least `period` long."""
    if period <= timedelta(0):
        raise PduEncodeError("validity period must be positive", field="TP-VP")
    for octet, candidate in enumerate(RELATIVE_VALIDITY):
        if candidate >= period:
            return octet
    raise PduEncodeError("validity period longer than 63 weeks", field="TP-VP")


def decode_enhanced_validity(raw: bytes) -> timedelta | None:
    """TP-VP enhanced format (23.040 9.2.3.12.3); None when it gives no period."""
    indicator = raw[0]
    start = 2 if indicator & 0x80 else 1  # an extension octet follows the indicator
    body = raw[start:]
    kind = indicator & 0x7
    if kind == 1:
        return RELATIVE_VALIDITY[body[0]]
    if kind == 2:
        return timedelta(seconds=body[0])
    if kind == 3:
        hours, minutes, seconds = (_SWAPPED[octet] for octet in body[:3])
        if min(hours, minutes, seconds) >= 0:
            return timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return None
