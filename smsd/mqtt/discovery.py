"""Home Assistant MQTT discovery: one retained config payload per entity.

Topics are ``<discovery_prefix>/<component>/<node>/<object>/config`` with ``<node>`` the base
topic's levels joined by ``_`` (so two smsd on one broker stay apart) and ``<object>`` the
phone's slug and the entity's key. Payloads use Home Assistant's full key names (not the
abbreviations), each entity with a ``unique_id`` (required for a device), the daemon's
availability topic, an ``origin`` and a ``device``:

- the daemon: a device ``smsd_<node>`` with sensors ``queue`` (messages waiting) and
  ``sent_today``, read from ``<base>/state``;
- each phone: a device whose identifiers are ``smsd_<node>_<phone>`` and, once the modem told
  it, its IMEI (Home Assistant merges a device's identifiers, so the IMEI joins the same device),
  ``via_device`` the daemon; sensors ``signal`` (dBm), ``operator``, ``status``, ``sent_today``,
  ``last_received`` (the text; sender and time as attributes) and, once the balance watch read
  one, ``balance`` (the SIM's credit, in the SIM's currency) from the phone's state topic,
  an ``event`` entity (``event_types: ["received"]``) on the phone's received topic, and with
  ``[mqtt] notify_to`` a ``notify`` entity whose messages the phone sends to that number.

Removing an entity is an empty retained payload on its config topic (:func:`removals`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd import __version__
from smsd.mqtt.topics import Topics, slug

if TYPE_CHECKING:
    from smsd.mqtt.state import PhoneView

__all__ = ["Discovery", "Entity"]

_ORIGIN = {"name": "smsd", "sw_version": __version__}


@dataclass(frozen=True)
class Entity:
    """One discovered entity: its config topic and payload."""

    topic: str
    payload: dict[str, object]

    def encoded(self) -> bytes:
        """The payload as published."""
        return json.dumps(self.payload, separators=(",", ":")).encode()


class Discovery:
    """Builds the discovery payloads of one bridge (base topic, prefix, notify number)."""

    def __init__(self, topics: Topics, prefix: str, notify_to: str | None) -> None:
        self._topics = topics
        self._prefix = prefix
        self._notify_to = notify_to
        self.node = topics.base.replace("/", "_")

    @property
    def daemon_id(self) -> str:
        """The daemon device's identifier."""
        return f"smsd_{self.node}"

    @property
    def subscription(self) -> str:
        """A filter matching every config topic this bridge may have published."""
        return f"{self._prefix}/+/{self.node}/+/config"

    def _topic(self, component: str, object_id: str) -> str:
        return f"{self._prefix}/{component}/{self.node}/{object_id}/config"

    def _common(self, unique_id: str, name: str) -> dict[str, object]:
        return {
            "name": name,
            "unique_id": unique_id,
            "availability_topic": self._topics.status,
            "origin": _ORIGIN,
        }

    def daemon(self) -> list[Entity]:
        """The daemon's device and its sensors."""
        device = {
            "identifiers": [self.daemon_id],
            "name": f"smsd ({self.topics_base})",
            "manufacturer": "smsd",
            "model": "SMS gateway",
            "sw_version": __version__,
        }
        state = self._topics.daemon_state
        found = []
        for key, name, extra in (
            ("queue", "Queue", {"unit_of_measurement": "messages", "state_class": "measurement"}),
            (
                "sent_today",
                "Sent today",
                {"unit_of_measurement": "messages", "state_class": "total_increasing"},
            ),
        ):
            unique_id = f"{self.daemon_id}_{key}"
            payload = self._common(unique_id, name) | {
                "state_topic": state,
                "value_template": f"{{{{ value_json.{key} }}}}",
                "icon": "mdi:message-processing",
                "device": device,
                **extra,
            }
            found.append(Entity(self._topic("sensor", f"daemon_{key}"), payload))
        return found

    @property
    def topics_base(self) -> str:
        """The base topic (names the daemon's device)."""
        return self._topics.base

    def phone(self, view: PhoneView) -> list[Entity]:
        """One phone's device and entities."""
        ident = f"{self.daemon_id}_{slug(view.name)}"
        identifiers = [ident] + ([view.imei] if view.imei else [])
        device: dict[str, object] = {
            "identifiers": identifiers,
            "name": view.name,
            "via_device": self.daemon_id,
        }
        if view.manufacturer:
            device["manufacturer"] = view.manufacturer
        if view.model:
            device["model"] = view.model
        if view.imei:
            device["serial_number"] = view.imei
        state = self._topics.phone_state(view.name)
        base = slug(view.name)
        found = []
        sensors: tuple[tuple[str, str, dict[str, object]], ...] = (
            (
                "signal",
                "Signal",
                {
                    "value_template": "{{ value_json.signal_dbm }}",
                    "device_class": "signal_strength",
                    "unit_of_measurement": "dBm",
                    "state_class": "measurement",
                    "entity_category": "diagnostic",
                },
            ),
            (
                "operator",
                "Operator",
                {"value_template": "{{ value_json.operator }}", "icon": "mdi:radio-tower"},
            ),
            (
                "status",
                "Status",
                {"value_template": "{{ value_json.status }}", "icon": "mdi:cellphone-check"},
            ),
            (
                "sent_today",
                "Sent today",
                {
                    "value_template": "{{ value_json.sent_today }}",
                    "unit_of_measurement": "messages",
                    "state_class": "total_increasing",
                    "icon": "mdi:message-arrow-right",
                },
            ),
            (
                "last_received",
                "Last received SMS",
                {
                    "value_template": "{{ (value_json.last_received.text "
                    "if value_json.last_received else '')[:255] }}",
                    "json_attributes_topic": state,
                    "json_attributes_template": "{{ (value_json.last_received or {}) | tojson }}",
                    "icon": "mdi:message-text",
                },
            ),
        )
        if view.balance is not None:
            sensors += (
                (
                    "balance",
                    "SIM balance",
                    {
                        "value_template": "{{ value_json.balance }}",
                        "state_class": "measurement",
                        "icon": "mdi:cash",
                    },
                ),
            )
        for key, name, extra in sensors:
            payload = self._common(f"{ident}_{key}", name) | {"state_topic": state, **extra}
            payload["device"] = device
            found.append(Entity(self._topic("sensor", f"{base}_{key}"), payload))
        event = self._common(f"{ident}_received", "Received SMS") | {
            "state_topic": self._topics.phone_received(view.name),
            "event_types": ["received"],
            "icon": "mdi:message-alert",
            "device": device,
        }
        found.append(Entity(self._topic("event", f"{base}_received"), event))
        if self._notify_to is not None:
            template = (
                '{{ {"to": "' + self._notify_to + '", "text": value, "phone": "'
                + view.name + '"} | tojson }}'
            )  # fmt: skip
            notify = self._common(f"{ident}_notify", "SMS") | {
                "command_topic": self._topics.send,
                "command_template": template,
                "qos": 1,
                "icon": "mdi:message-arrow-right",
                "device": device,
            }
            found.append(Entity(self._topic("notify", f"{base}_notify"), notify))
        return found

    def object_of(self, topic: str) -> str | None:
        """``<component>/<object>`` of one of this bridge's config topics, else ``None``."""
        levels = topic.split("/")
        prefix = self._prefix.split("/")
        if len(levels) != len(prefix) + 4 or levels[: len(prefix)] != prefix:
            return None
        component, node, object_id, last = levels[len(prefix) :]
        if node != self.node or last != "config":
            return None
        return f"{component}/{object_id}"

    def topic_of(self, key: str) -> str:
        """The config topic of ``<component>/<object>``."""
        component, object_id = key.split("/", 1)
        return self._topic(component, object_id)
