"""Errors raised by the PDU codec.

`PduDecodeError` means the bytes we were given are not a PDU we can read (the
modem's or network's fault); `PduEncodeError` means we were asked to build
something 3GPP TS 23.040 cannot express (our caller's fault).
"""

from __future__ import annotations

__all__ = ["PDUError", "PduDecodeError", "PduEncodeError"]


class PDUError(ValueError):
    """Base class of every codec error; carries where and what went wrong."""

    offset: int | None
    field: str | None

    def __init__(
        self, message: str, *, offset: int | None = None, field: str | None = None
    ) -> None:
        self.offset = offset
        self.field = field
        where = []
        if field is not None:
            where.append(field)
        if offset is not None:
            where.append(f"offset {offset}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)


class PduDecodeError(PDUError):
    """The input is not a well-formed SMS PDU."""


class PduEncodeError(PDUError):
    """The requested message cannot be encoded as an SMS PDU."""
