"""Outbox events as MQTT publications.

The triggers of the MQTT migration write the body each topic carries (with the phone's name);
this module only picks the topics: a ``received`` event goes to ``<base>/received`` and to the
phone's ``<base>/phone/<name>/received`` (Home Assistant's event entity), a ``sent`` event to
``<base>/sent/<id>``, a ``call`` event to ``<base>/call``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smsd.mqtt.topics import Topics
    from smsd.store.webhooks import EventRow

__all__ = ["Publication", "publications"]


@dataclass(frozen=True)
class Publication:
    """One message to publish."""

    topic: str
    payload: bytes
    retain: bool = False


def publications(
    event: EventRow, topics: Topics, *, retain: bool
) -> tuple[list[Publication], str | None]:
    """What to publish for ``event``, and the name of the phone it concerns (if any)."""
    try:
        body = json.loads(event.body)
    except ValueError:
        body = None
    if not isinstance(body, dict):  # never written by smsd: skipped, marked done
        return [], None
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    phone = body.get("phone")
    name = phone if isinstance(phone, str) and phone else None
    if event.type == "received":
        found = [Publication(topics.received, payload, retain)]
        if name is not None:
            found.append(Publication(topics.phone_received(name), payload, retain=False))
        return found, name
    if event.type == "sent":
        return [Publication(topics.sent(int(body.get("id", 0))), payload, retain)], name
    if event.type == "call":
        return [Publication(topics.call, payload, retain)], name
    return [], None
