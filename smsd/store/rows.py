"""Frozen row types the store hands out (plain values, no connection attached)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3


class SendedState(enum.Enum):
    """Engine state of an outgoing message (``sended.state``)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @property
    def status(self) -> str:
        """The RaspiSMS status shown for this state: ``unknown``, ``delivered`` or ``failed``."""
        if self in {SendedState.DELIVERED, SendedState.FAILED}:
            return str(self.value)
        return "unknown"


class SegmentState(enum.Enum):
    """State of one segment of an outgoing message (``sended_segment.state``)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    UNKNOWN = "unknown"
    FAILED = "failed"


PHONE_STATUSES = frozenset({"available", "unavailable", "no_credit", "limit_reached", "disabled"})
"""The values of ``phone.status`` (RaspiSMS's vocabulary)."""


@dataclass(frozen=True)
class UserRow:
    """A user and their API key."""

    id: int
    email: str
    api_key: str
    status: str
    admin: bool

    @classmethod
    def of(cls, r: sqlite3.Row) -> UserRow:
        """Build from a ``user`` row."""
        return cls(
            id=int(r["id"]),
            email=str(r["email"]),
            api_key=str(r["api_key"]),
            status=str(r["status"]),
            admin=bool(r["admin"]),
        )


@dataclass(frozen=True)
class PhoneRow:
    """A phone (one modem) with its sending limits as ``(volume, startpoint)`` pairs."""

    id: int
    id_user: int
    name: str
    adapter: str
    adapter_data: str
    priority: int
    status: str
    limits: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class ContactRow:
    """A contact; ``data`` is JSON text."""

    id: int
    id_user: int
    name: str
    number: str
    data: str
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, r: sqlite3.Row) -> ContactRow:
        """Build from a ``contact`` row."""
        return cls(
            id=int(r["id"]),
            id_user=int(r["id_user"]),
            name=str(r["name"]),
            number=str(r["number"]),
            data=str(r["data"]),
            created_at=str(r["created_at"]),
            updated_at=str(r["updated_at"]),
        )

    def metas(self) -> dict[str, object]:
        """The contact as templates and conditions see it (``contact_metas``): no data, no user."""
        return {
            "id": self.id,
            "name": self.name,
            "number": self.number,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class Recipient:
    """One target of a scheduled message: a number, its template data (JSON text), its contact."""

    number: str
    data: str = "[]"
    id_contact: int | None = None


@dataclass(frozen=True)
class QueuedMessage:
    """An outgoing message a sender may take (see :func:`smsd.store.outbox.next_queued`)."""

    id: int
    id_user: int
    text: str
    destination: str
    flash: bool
    id_phone: int | None
    """The phone the message is pinned to, or ``None``."""
    id_phone_group: int | None
    attempts: int
    segments: int
    request_report: bool | None
    """``None``: the phone's setting decides."""
    priority: int
    mms: bool = False

    @classmethod
    def of(cls, r: sqlite3.Row) -> QueuedMessage:
        """Build from a ``sended`` row."""
        report = r["request_report"]
        return cls(
            id=int(r["id"]),
            id_user=int(r["id_user"]),
            text=str(r["text"]),
            destination=str(r["destination"]),
            flash=bool(r["flash"]),
            id_phone=None if r["pinned_phone"] is None else int(r["pinned_phone"]),
            id_phone_group=None if r["id_phone_group"] is None else int(r["id_phone_group"]),
            attempts=int(r["attempts"]),
            segments=int(r["segments"]),
            request_report=None if report is None else bool(report),
            priority=int(r["priority"]),
            mms=bool(r["mms"]),
        )


@dataclass(frozen=True)
class PartRow:
    """One held part of a concatenated incoming message."""

    id: int
    id_phone: int
    sender: str
    reference: int
    total: int
    seq: int
    text: str | None
    data: bytes | None
    smsc_timestamp: str
    pdu: str
    received_at: float

    @classmethod
    def of(cls, r: sqlite3.Row) -> PartRow:
        """Build from a ``received_part`` row."""
        return cls(
            id=int(r["id"]),
            id_phone=int(r["id_phone"]),
            sender=str(r["sender"]),
            reference=int(r["reference"]),
            total=int(r["total"]),
            seq=int(r["seq"]),
            text=None if r["text"] is None else str(r["text"]),
            data=None if r["data"] is None else bytes(r["data"]),
            smsc_timestamp=str(r["smsc_timestamp"]),
            pdu=str(r["pdu"]),
            received_at=float(r["received_at"]),
        )


__all__ = [
    "PHONE_STATUSES",
    "ContactRow",
    "PartRow",
    "PhoneRow",
    "QueuedMessage",
    "Recipient",
    "SegmentState",
    "SendedState",
    "UserRow",
]
