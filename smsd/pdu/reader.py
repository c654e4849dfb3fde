"""A bounds-checked cursor over PDU bytes.

Every read names the field being read, so a short or inconsistent PDU fails
with a `PduDecodeError` saying what was missing and at which offset.
"""

from __future__ import annotations

from smsd.pdu.errors import PduDecodeError

__all__ = ["Reader"]


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
            raise PduDecodeError("PDU ends before this field", offset=pos, field=field)
        self.pos = pos + 1
        return self.data[pos]

    def take(self, count: int, field: str) -> bytes:
        """Read exactly `count` octets."""
        pos = self.pos
        end = pos + count
        if count < 0 or end > len(self.data):
            raise PduDecodeError(
                f"needs {count} octets but only {len(self.data) - pos} remain",
                offset=pos,
                field=field,
            )
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
        """Refuse trailing octets after the last field.

        With `allow_padding`, a tail made only of 0xFF octets is accepted: SIM
        storage (3GPP TS 31.102, EF_SMS) fills the rest of a record with 'FF'
        and modems hand that padding back in +CMGR/+CMGL.
        """
        tail = self.data[self.pos :]
        if not tail:
            return
        if allow_padding and tail.count(0xFF) == len(tail):
            return
        raise PduDecodeError(
            f"{len(tail)} unexpected octets after the end of the PDU",
            offset=self.pos,
            field="trailing data",
        )
