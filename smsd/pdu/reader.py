"""Checks on the decoder's input: hex text, and bounds over PDU bytes.

Every read names the field being read, so a short or inconsistent PDU fails
with a `PduDecodeError` saying what was missing and at which offset. The
decoder's hot path indexes the bytes directly after one length comparison per
field and builds its errors with `ended` and `short`, which word them exactly
as `Reader` does.
"""

from __future__ import annotations

from smsd.pdu.errors import PduDecodeError

__all__ = ["Reader", "check_end", "ended", "parse_hex", "short"]


def parse_hex(pdu: str) -> bytes:
    """Hex text (any case, surrounding whitespace ignored) to bytes."""
    text = pdu.strip()
    if len(text) % 2:
        raise PduDecodeError(f"odd number of hex digits ({len(text)})", field="hex")
    try:
        data = bytes.fromhex(text)
    except ValueError:
        bad = next((i for i, char in enumerate(text) if char not in "0123456789abcdefABCDEF"), 0)
        raise PduDecodeError(
            f"non-hex character {text[bad]!r}", offset=bad // 2, field="hex"
        ) from None
    if len(data) * 2 != len(text):
        raise PduDecodeError("whitespace inside the hex", field="hex")
    return data


def ended(pos: int, field: str) -> PduDecodeError:
    """The PDU stops at `pos`, where a one-octet `field` should be."""
    return PduDecodeError("PDU ends before this field", offset=pos, field=field)


def short(pos: int, count: int, available: int, field: str) -> PduDecodeError:
    """`field` needs `count` octets from `pos` but only `available` are there."""
    return PduDecodeError(
        f"needs {count} octets but only {available} remain", offset=pos, field=field
    )


def check_end(data: bytes, pos: int, *, allow_padding: bool = True) -> None:
    """Refuse trailing octets after `pos`, the end of the last field.

    With `allow_padding`, a tail made only of 0xFF octets is accepted: SIM
    storage (3GPP TS 31.102, EF_SMS) fills the rest of a record with 'FF'
    and modems hand that padding back in +CMGR/+CMGL.
    """
    if pos >= len(data):
        return
    tail = data[pos:]
    if allow_padding and tail.count(0xFF) == len(tail):
        return
    raise PduDecodeError(
        f"{len(tail)} unexpected octets after the end of the PDU",
        offset=pos,
        field="trailing data",
    )


class Reader:
    """Sequential reader that never lets `IndexError` escape."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    @property
    def remaining(self) -> int:
        """Number of octets not read yet."""
        return len(self.data) - self.pos

    def octet(self, field: str) -> int:
        """Read one octet."""
        pos = self.pos
        if pos >= len(self.data):
            raise ended(pos, field)
        self.pos = pos + 1
        return self.data[pos]

    def take(self, count: int, field: str) -> bytes:
        """Read exactly `count` octets."""
        pos = self.pos
        end = pos + count
        if count < 0 or end > len(self.data):
            raise short(pos, count, len(self.data) - pos, field)
        self.pos = end
        return self.data[pos:end]

    def rest(self) -> bytes:
        """Read every remaining octet (possibly none)."""
        pos = self.pos
        self.pos = len(self.data)
        return self.data[pos:]

    def error(self, message: str, field: str, offset: int | None = None) -> PduDecodeError:
        """Build an error located at `offset` (default: the current position)."""
        return PduDecodeError(message, offset=self.pos if offset is None else offset, field=field)

    def check_end(self, *, allow_padding: bool = True) -> None:
        """Refuse trailing octets after the last field (see `check_end`)."""
        check_end(self.data, self.pos, allow_padding=allow_padding)
