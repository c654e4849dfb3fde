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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smsd import pdu
from smsd.api.gatewaysms.ids import render_id, send_id
from smsd.api.gatewaysms.jokers import fill
from smsd.api.gatewaysms.recipients import dashed, prefix_of
from smsd.store.campaigns import CANCELLED, SCHEDULED
from smsd.store.walltime import parse_wall

if TYPE_CHECKING:
    from decimal import Decimal

    from smsd.store.campaigns import CampaignRow, RecipientFate

__all__ = [
    "STATES",
    "DoorData",
    "message_object",
    "recipient_object",
    "summary",
]

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
    sender: str = ""
    test: bool = False
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


def summary(row: CampaignRow) -> dict[str, object]:
    """One line of ``GET /messages``."""
    door = DoorData.load(row.door_data, row.text)
    return {
        "sender": door.sender,
        "timestamp": _wall_millis(row.created_at),
        "id": render_id(row.id),
    }


def _state(row: CampaignRow) -> int:
    tally = row.tally
    if not row.expanded:
        return 0
    if tally.pending == 0:
        return 2
    return 1 if tally.messages > tally.pending else 0


def message_object(row: CampaignRow, *, segment_price: Decimal) -> dict[str, object]:
    """The full message object with live statistics."""
    door = DoorData.load(row.door_data, row.text)
    tally = row.tally
    if row.expanded:
        total, sms_total = tally.messages, tally.segments
    else:
        total = len(row.numbers)
        sms_total = sum(_planned_segments(door.body, r.data) for r in row.numbers)
    base_price = _price(segment_price * sms_total)
    last_update = max(filter(None, (row.updated_at, tally.last_update)))
    options: dict[str, object] = {
        "bulk": door.bulk,
        "flash": row.flash,
        "realtime": door.realtime,
        "timestamp_send": millis(row.due_at),
    }
    if door.custom is not None:
        options["custom"] = door.custom
    return {
        "test": door.test,
        "sender": door.sender,
        "body": door.body,
        "recipients": {
            "valid": {"count": total},
            "invalid": {"total": len(door.invalid), "list": list(door.invalid)},
        },
        "transaction": row.held,
        "options": options,
        "statistics": {
            "error": tally.failed,
            "sent": tally.sent + tally.delivered + tally.unknown,
            "delivered": tally.delivered,
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


def _mongo_date(seconds: float | None) -> object:
    if seconds is None:
        return None
    return {"$date": {"$numberLong": millis(seconds)}}


def recipient_object(
    fate: RecipientFate, *, id_message: int, body: str, segment_price: Decimal
) -> dict[str, object]:
    """One recipient of a message as the recipients routes show it."""
    if fate.text is not None:
        text = fate.text
    else:
        fields = _fields(fate.data)
        text = fill(body, fields if isinstance(fields, dict) else {})
    try:
        counted = pdu.count(text)
        segments, remaining = counted.segments, counted.remaining
    except pdu.PDUError:
        segments, remaining = 0, 0
    if fate.id_sended is not None:
        segments = fate.segments
    key = CANCELLED if fate.state == "failed" and fate.reason == CANCELLED else fate.state
    state, description, detail = STATES.get(key, STATES["unknown"])
    if key == "failed" and fate.reason:
        detail = f"{detail}: {fate.reason}"
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
        "real_cost": price if fate.state in _LEFT else 0.0,
        "fields": _fields(fate.data),
        "message_id": render_id(id_message),
        "i": fate.index,
        "timestamp_sent": _mongo_date(fate.sent_at),
        "timestamp_delivery": _mongo_date(fate.delivered_at),
        "id": None if fate.id_sended is None else render_id(fate.id_sended),
    }
