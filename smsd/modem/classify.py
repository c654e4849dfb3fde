"""How to treat a failed submit, by its ``+CMS ERROR`` code (27.005 §3.2.5, 24.011 RP causes).

Pure policy. The sender above uses the class to decide between trying again on the same modem,
moving the message to another modem, failing it for good, or parking the modem.
"""

from __future__ import annotations

import enum


class Failure(enum.Enum):
    """What a failed submit means for the message and for the modem."""

    RETRY = "retry"
    """Transient (SIM busy, unknown error): try again later, on this modem or another."""
    RETRY_ELSEWHERE = "retry_elsewhere"
    """The network or this modem cannot take it now (no service, congestion): use another."""
    RECIPIENT = "recipient"
    """The destination is wrong or unreachable for good: fail the message."""
    REJECTED = "rejected"
    """Our PDU was refused (invalid PDU or parameter): fail the message, retrying cannot help."""
    SIM = "sim"
    """This SIM may not send (barred, no credit, SIM or PIN failure): park the modem."""
    STORAGE = "storage"
    """Modem storage is full: drain it, then retry."""


_RECIPIENT = frozenset({1, 22, 28, 30, 96, 111, 127})
_SIM = frozenset({8, 10, 21, 29, 50, 69, 310, 311, 312, 313, 315, 316, 317, 318})
_ELSEWHERE = frozenset({27, 31, 34, 38, 41, 42, 47, 330, 331, 332})
_REJECTED = frozenset({95, 97, 98, 99, 304, 305})
_STORAGE = frozenset({322})


def classify_cms(code: int) -> Failure:
    """Classify a ``+CMS ERROR`` code from ``AT+CMGS``."""
    if code in _RECIPIENT:
        return Failure.RECIPIENT
    if code in _SIM:
        return Failure.SIM
    if code in _ELSEWHERE:
        return Failure.RETRY_ELSEWHERE
    if code in _REJECTED:
        return Failure.REJECTED
    if code in _STORAGE:
        return Failure.STORAGE
    return Failure.RETRY


def is_permanent(failure: Failure) -> bool:
    """Whether the message itself can never succeed (on any modem)."""
    return failure in {Failure.RECIPIENT, Failure.REJECTED}
