"""The Gateway SMS shapes of the core's messages: summary, message object, recipient object.

Times are unix milliseconds written as strings (``"1564752494920"``); the core keeps seconds,
so the last three digits are zeros. A recipient's ``timestamp_sent`` and
``timestamp_delivery`` are MongoDB extended JSON (``{"$date": {"$numberLong": "…"}}``), as the
service shows them.

A message's ``state``: 0 while nothing has left (held in a transaction, waiting for its time, or
queued), 1 while some recipients are done and others still queued or being sent, 2 when every
recipient is done (sent, delivered, failed or cancelled). ``statistics.sent`` counts the
recipients whose message left (delivered ones included), ``error`` those that failed (cancelled
ones included), ``delivered`` those a status report confirmed.

A recipient's ``state`` / ``state_description`` / ``state_detail`` (the service's delivery
report vocabulary) follow the core's state of its outgoing message, see :data:`STATES`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smsd import pdu
from smsd.api.gatewaysms.ids import render_id, send_id
from smsd.api.gatewaysms.jokers import fill
from smsd.api.gatewaysms.recipients import dashed, prefix_of
from smsd.store.campaign_edits import CANCELLED
from smsd.store.walltime import parse_wall

if TYPE_CHECKING:
    from decimal import Decimal

    from smsd.store.campaigns import Campaign, CampaignMessage

__all__ = [
    "STATES",
    "DoorData",
    "Fate",
    "fates",
    "message_object",
    "recipient_object",
    "summary",
]

SCHEDULED = "scheduled"
"""A recipient whose message is not queued yet (waiting for its time, or a transaction)."""
STATES: dict[str, tuple[str, str, str]] = {
    SCHEDULED: ("SCHEDULED", "PENDING_ACCEPTED", "Message accepted, not queued yet"),
    "queued": ("PENDING", "PENDING_ENROUTE", "Message queued for sending"),
    "sending": ("PENDING", "PENDING_ENROUTE", "Message being sent"),
    "sent": ("PENDING", "PENDING_WAITING_DELIVERY", "Message sent, waiting for delivery report"),
    "delivered": ("DELIVERED", "DELIVERED_TO_HANDSET", "Message delivered to handset"),
    "failed": ("UNDELIVERABLE", "UNDELIVERABLE_NOT_DELIVERED", "Message not delivered"),
    "unknown": ("UNKNOWN", "UNKNOWN_SEND_INTERRUPTED", "Message may have been sent"),
    CANCELLED: ("REJECTED", "REJECTED_CANCELLED", "Message cancelled before sending"),
}
_LEFT = frozenset({"sent", "delivered", "unknown"})


@dataclass
class DoorData:
    """What this door keeps with a message to show it back (the core's ``door_data``)."""

    body: str
    bulk: bool = False
    realtime: bool = False
    custom: object = None
    invalid: list[str] = field(default_factory=list)

    def dump(self) -> str:
        """As JSON text for the store."""
        return json.dumps(self.__dict__, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def load(cls, text: str | None, fallback_body: str) -> DoorData:
        """From the store (a message another door made has none: its text is the body)."""
        try:
            found = json.loads(text) if text else {}
        except ValueError:
            found = {}
        if not isinstance(found, dict):
            found = {}
        known = {k: v for k, v in found.items() if k in cls.__dataclass_fields__}
        known.setdefault("body", fallback_body)
        return cls(**known)


def gateway_priority(core: int) -> float | int:
    """The Gateway SMS priority of a core priority (the inverse of ``core_priority``)."""
    value = round(1 + core / 100, 2)
    return int(value) if value.is_integer() else value


def millis(seconds: float) -> str:
    """Unix seconds as the service's millisecond string."""
    return str(round(seconds * 1000))


def _wall_millis(text: str | None) -> str | None:
    if text is None:
        return None
    return millis(parse_wall(text, field="time"))


def _fields(data: str) -> object:
    try:
        return json.loads(data)
    except ValueError:
        return []


def _planned_segments(body: str, data: str) -> int:
    fields = _fields(data)
    text = fill(body, fields if isinstance(fields, dict) else {})
    try:
        return pdu.count(text).segments
    except pdu.PDUError:
        return 0


def _price(value: Decimal) -> float:
    return float(value)


def summary(row: Campaign) -> dict[str, object]:
    """One line of ``GET /messages``."""
    return {
        "sender": row.sender or "",
        "timestamp": _wall_millis(row.created_at),
        "id": render_id(row.id),
    }


_PENDING = frozenset({"queued", "sending"})


def _state(row: Campaign) -> int:
    if row.pending:
        return 0
    waiting = sum(1 for m in row.messages if m.state in _PENDING)
    if waiting == 0:
        return 2
    return 1 if len(row.messages) > waiting else 0


def message_object(row: Campaign, *, segment_price: Decimal) -> dict[str, object]:
    """The full message object with live statistics."""
    door = DoorData.load(row.door_data, row.text)
    states = Counter(m.state for m in row.messages)
    if row.pending:
        total = len(row.numbers)
        sms_total = sum(_planned_segments(door.body, data) for data in row.number_data)
    else:
        total, sms_total = len(row.messages), sum(m.segments for m in row.messages)
    base_price = _price(segment_price * sms_total)
    last_update = max([row.updated_at, *(m.updated_at for m in row.messages)])
    options: dict[str, object] = {
        "bulk": door.bulk,
        "flash": row.flash,
        "realtime": door.realtime,
        "timestamp_send": millis(row.due_at),
    }
    if door.custom is not None:
        options["custom"] = door.custom
    return {
        "test": row.sandbox,
        "sender": row.sender or "",
        "body": door.body,
        "recipients": {
            "valid": {"count": total},
            "invalid": {"total": len(door.invalid), "list": list(door.invalid)},
        },
        "transaction": row.held,
        "options": options,
        "statistics": {
            "error": states["failed"],
            "sent": states["sent"] + states["delivered"] + states["unknown"],
            "delivered": states["delivered"],
            "total": total,
            "sms_total": sms_total,
        },
        "base_price": base_price,
        "timestamp": _wall_millis(row.created_at),
        "last_update": _wall_millis(last_update),
        "priority": gateway_priority(row.priority),
        "price": base_price,
        "state": _state(row),
        "id": render_id(row.id),
    }


@dataclass(frozen=True)
class Fate:
    """One recipient of a message: its place, number, fields and, once queued, its message."""

    index: int
    number: str
    data: str
    message: CampaignMessage | None = None


def fates(row: Campaign) -> list[Fate]:
    """The recipients of a message: its numbers until it is queued, then its messages."""
    if row.pending:
        return [
            Fate(i, number, data)
            for i, (number, data) in enumerate(zip(row.numbers, row.number_data, strict=True))
        ]
    data: dict[str, str] = {}
    for number, fields in zip(row.numbers, row.number_data, strict=True):
        data.setdefault(number, fields)
    return [
        Fate(i, m.destination, data.get(m.destination, "[]"), m) for i, m in enumerate(row.messages)
    ]


def _mongo_date(seconds: float | None) -> object:
    if seconds is None:
        return None
    return {"$date": {"$numberLong": millis(seconds)}}


def recipient_object(
    fate: Fate, *, id_message: int, body: str, segment_price: Decimal
) -> dict[str, object]:
    """One recipient of a message as the recipients routes show it."""
    message = fate.message
    if message is not None:
        text = message.text
    else:
        fields = _fields(fate.data)
        text = fill(body, fields if isinstance(fields, dict) else {})
    try:
        counted = pdu.count(text)
        segments, remaining = counted.segments, counted.remaining
    except pdu.PDUError:
        segments, remaining = 0, 0
    state_name, reason = SCHEDULED, None
    if message is not None:
        segments, state_name, reason = message.segments, message.state, message.reason
    key = CANCELLED if state_name == "failed" and reason == CANCELLED else state_name
    state, description, detail = STATES.get(key, STATES["unknown"])
    if key == "failed" and reason:
        detail = f"{detail}: {reason}"
    price = _price(segment_price * segments)
    return {
        "number": dashed(fate.number),
        "prefix": prefix_of(fate.number),
        "send_id": send_id(id_message, fate.index),
        "body": text,
        "sms": segments,
        "remaining_chr": remaining,
        "state": state,
        "state_description": description,
        "state_detail": detail,
        "price": price,
        "real_cost": price if state_name in _LEFT else 0.0,
        "fields": _fields(fate.data),
        "message_id": render_id(id_message),
        "i": fate.index,
        "timestamp_sent": _mongo_date(None if message is None else message.sent_at),
        "timestamp_delivery": _mongo_date(None if message is None else message.delivered_at),
        "id": None if message is None else render_id(message.id),
    }
