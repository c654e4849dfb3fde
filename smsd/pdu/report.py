"""TP-ST, the status of a status report: 3GPP TS 23.040 section 9.2.3.15."""

from __future__ import annotations

import enum

__all__ = ["StatusClass", "status_class", "status_text"]


class StatusClass(enum.Enum):
    """The four TP-ST classes, plus the reserved upper half."""

    COMPLETED = "completed"
    TEMPORARY_TRYING = "temporary_trying"
    PERMANENT_ERROR = "permanent_error"
    TEMPORARY_GIVEN_UP = "temporary_given_up"
    RESERVED = "reserved"


_TEXTS = {
    0x00: "received by the recipient",
    0x01: "forwarded, delivery not confirmed",
    0x02: "replaced by the service centre",
    0x20: "congestion",
    0x21: "recipient busy",
    0x22: "no response from recipient",
    0x23: "service rejected",
    0x24: "quality of service not available",
    0x25: "error in recipient",
    0x40: "remote procedure error",
    0x41: "incompatible destination",
    0x42: "connection rejected by recipient",
    0x43: "not obtainable",
    0x44: "quality of service not available",
    0x45: "no interworking available",
    0x46: "validity period expired",
    0x47: "deleted by originating entity",
    0x48: "deleted by service centre administration",
    0x49: "message does not exist",
}


def status_class(status: int) -> StatusClass:
    """Class of a TP-ST value (bits 6..5, 23.040 9.2.3.15)."""
    if status >= 0x80:
        return StatusClass.RESERVED
    return (
        StatusClass.COMPLETED,
        StatusClass.TEMPORARY_TRYING,
        StatusClass.PERMANENT_ERROR,
        StatusClass.TEMPORARY_GIVEN_UP,
    )[status >> 5]


_PREFIX = {
    StatusClass.COMPLETED: "delivered",
    StatusClass.TEMPORARY_TRYING: "temporary error, still trying",
    StatusClass.PERMANENT_ERROR: "permanent error",
    StatusClass.TEMPORARY_GIVEN_UP: "temporary error, no more attempts",
    StatusClass.RESERVED: "reserved status, treated as failed",
}


def status_text(status: int) -> str:
    """Human readable TP-ST, e.g. 'permanent error: validity period expired (0x46)'."""
    kind = status_class(status)
    code = status - 0x40 if kind is StatusClass.TEMPORARY_GIVEN_UP else status
    detail = _TEXTS.get(code)
    if detail is None:
        specific = kind is not StatusClass.RESERVED and (status & 0x1F) >= 0x10
        detail = "specific to the service centre" if specific else "reserved value"
    if kind is StatusClass.COMPLETED and status > 0x02:
        return f"completed: {detail} (0x{status:02X})"
    return f"{_PREFIX[kind]}: {detail} (0x{status:02X})"
