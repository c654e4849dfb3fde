"""Events produced by the sans-I/O AT channel (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smsd.at.errors import AtError

__all__ = ["Echo", "Event", "Final", "Garbage", "Info", "Prompt", "Urc"]


@dataclass(frozen=True, slots=True)
class Final:
    """Final result code of the command in flight (``OK``, ``ERROR``, ``+CMS ERROR: n``...)."""

    ok: bool
    error: AtError | None
    line: str


@dataclass(frozen=True, slots=True)
class Info:
    """Information text belonging to the command in flight."""

    line: str


@dataclass(frozen=True, slots=True)
class Prompt:
    """The ``> `` prompt: the modem waits for the PDU (``AT+CMGS``/``AT+CMGW``)."""


@dataclass(frozen=True, slots=True)
class Echo:
    """The modem echoed a command (or a PDU) we wrote."""

    line: str


@dataclass(frozen=True, slots=True)
class Urc:
    """Unsolicited result code.

    ``name`` is the prefix (``"+CMTI"``, ``"^RSSI"``, ``"RING"``, ``"NO CARRIER"``);
    ``""`` for an unknown bare line. ``value`` is the text after ``": "``; ``pdu``
    is the trailing line of ``+CMT``/``+CDS``/``+CBM`` (None otherwise).
    """

    name: str
    value: str
    line: str
    pdu: str | None = None


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes that are not a valid line (``data`` holds at most a bounded sample of them)."""

    data: bytes
    reason: str


Event = Final | Info | Prompt | Echo | Urc | Garbage
