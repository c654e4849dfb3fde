"""Home Assistant's MQTT discovery schema for the platforms smsd uses, encoded as checks.

Source: Home Assistant core, ``homeassistant/components/mqtt/``: ``config.py`` (``SCHEMA_BASE``:
qos, encoding; ``MQTT_RO_SCHEMA``: ``state_topic`` required, ``value_template``),
``schemas.py`` (``MQTT_ENTITY_COMMON_SCHEMA``: availability, device, origin,
enabled_by_default, entity_category, icon, json_attributes_topic/template, object_id,
unique_id; ``MQTT_ENTITY_DEVICE_INFO_SCHEMA`` with at least one of identifiers/connections;
``MQTT_ORIGIN_INFO_SCHEMA`` with ``name`` required), ``sensor.py`` (device_class,
expire_after, force_update, last_reset_value_template, name, options,
suggested_display_precision, state_class, unit_of_measurement; a device class's unit must be
one it allows), ``notify.py`` (``command_topic`` required, command_template, name, retain),
``event.py`` (``event_types`` required, device_class, name), ``discovery.py`` (the config
topic's form), and ``util.py`` (valid subscribe/publish topics).

Home Assistant drops unknown keys silently (``REMOVE_EXTRA``); these checks refuse them, so a
misspelt key fails here instead of being ignored there.
"""

from __future__ import annotations

import re

_DISCOVERY_TOPIC = re.compile(
    r"(?P<component>\w+)/(?:(?P<node_id>[a-zA-Z0-9_-]+)/)?(?P<object_id>[a-zA-Z0-9_-]+)/config"
)
_ICON = re.compile(r"[a-z0-9_-]+:[a-z0-9_-]+(?:-[a-z0-9_-]+)*")

BASE = {"qos": int, "encoding": str, "group": list}
AVAILABILITY = {
    "availability_topic": "subscribe_topic",
    "availability_template": str,
    "payload_available": str,
    "payload_not_available": str,
    "availability_mode": str,
    "availability": list,
}
COMMON = {
    **AVAILABILITY,
    "device": dict,
    "origin": dict,
    "enabled_by_default": bool,
    "entity_category": str,
    "icon": "icon",
    "json_attributes_topic": "subscribe_topic",
    "json_attributes_template": str,
    "object_id": str,
    "default_entity_id": str,
    "unique_id": str,
}
PLATFORMS: dict[str, tuple[dict[str, object], set[str]]] = {
    "sensor": (
        {
            **BASE,
            **COMMON,
            "state_topic": "subscribe_topic",
            "value_template": str,
            "device_class": str,
            "expire_after": int,
            "force_update": bool,
            "last_reset_value_template": str,
            "name": (str, type(None)),
            "options": list,
            "suggested_display_precision": int,
            "state_class": str,
            "unit_of_measurement": (str, type(None)),
        },
        {"state_topic"},
    ),
    "notify": (
        {
            **BASE,
            **COMMON,
            "command_topic": "publish_topic",
            "command_template": str,
            "name": (str, type(None)),
            "retain": bool,
        },
        {"command_topic"},
    ),
    "event": (
        {
            **BASE,
            **COMMON,
            "state_topic": "subscribe_topic",
            "value_template": str,
            "device_class": str,
            "name": (str, type(None)),
            "event_types": list,
        },
        {"state_topic", "event_types"},
    ),
}
DEVICE = {
    "identifiers": list,
    "connections": list,
    "manufacturer": str,
    "model": str,
    "model_id": str,
    "name": str,
    "hw_version": str,
    "serial_number": str,
    "sw_version": str,
    "via_device": str,
    "suggested_area": str,
    "configuration_url": str,
}
ORIGIN = {"name": str, "sw_version": str, "support_url": str}
STATE_CLASSES = {"measurement", "measurement_angle", "total", "total_increasing"}
ENTITY_CATEGORIES = {"config", "diagnostic"}
EVENT_DEVICE_CLASSES = {"button", "doorbell", "motion"}
# The sensor device classes smsd may use, with the units Home Assistant allows for each.
SENSOR_UNITS = {"signal_strength": {"dB", "dBm"}}


def _topic_problem(topic: object, *, publish: bool) -> str | None:
    if not isinstance(topic, str) or not topic:
        return "must be a non-empty string"
    if "\0" in topic or len(topic.encode()) > 65535:
        return "has a NUL or is too long"
    levels = topic.split("/")
    for index, level in enumerate(levels):
        if publish and ("+" in level or "#" in level):
            return "a publish topic has no wildcard"
        if "#" in level and (level != "#" or index != len(levels) - 1):
            return "'#' only as the last level"
        if "+" in level and level != "+":
            return "'+' only as a whole level"
    return None


def _check_type(key: str, value: object, kind: object) -> list[str]:
    if kind in {"subscribe_topic", "publish_topic"}:
        problem = _topic_problem(value, publish=kind == "publish_topic")
        return [f"{key}: {problem}"] if problem else []
    if kind == "icon":
        ok = isinstance(value, str) and _ICON.fullmatch(value) is not None
        return [] if ok else [f"{key}: not an icon 'prefix:name'"]
    assert isinstance(kind, type | tuple)
    if isinstance(value, bool) and kind is int:
        return [f"{key}: a boolean is not an integer"]
    return [] if isinstance(value, kind) else [f"{key}: {value!r} is not {kind}"]


def _check_mapping(
    where: str, value: object, allowed: dict[str, object], required: set[str]
) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: must be an object"]
    problems = [f"{where}.{key}: unknown key" for key in value if key not in allowed]
    problems += [f"{where}.{key}: required" for key in required if key not in value]
    for key, item in value.items():
        if key in allowed:
            problems += [f"{where}.{p}" for p in _check_type(key, item, allowed[key])]
    return problems


def validate(topic: str, payload: dict[str, object], prefix: str = "homeassistant") -> list[str]:
    """Every way ``payload`` on ``topic`` breaks Home Assistant's schema (empty: valid)."""
    if not topic.startswith(prefix + "/"):
        return [f"topic {topic!r} is not under {prefix!r}"]
    match = _DISCOVERY_TOPIC.fullmatch(topic.removeprefix(prefix + "/"))
    if match is None:
        return [f"topic {topic!r} is not <component>/[<node_id>/]<object_id>/config"]
    component = match["component"]
    if component not in PLATFORMS:
        return [f"platform {component!r} is not one smsd should use"]
    allowed, required = PLATFORMS[component]
    problems = _check_mapping(component, payload, allowed, required)
    if "availability_topic" in payload and "availability" in payload:
        problems.append("availability_topic and availability are exclusive")
    if "qos" in payload and payload["qos"] not in (0, 1, 2):
        problems.append("qos must be 0, 1 or 2")
    problems += _device(payload)
    if "origin" in payload:
        problems += _check_mapping("origin", payload["origin"], ORIGIN, {"name"})
    if payload.get("entity_category", "config") not in ENTITY_CATEGORIES:
        problems.append("entity_category must be config or diagnostic")
    if component == "sensor":
        problems += _sensor(payload)
    if component == "event":
        problems += _event(payload)
    return problems


def _device(payload: dict[str, object]) -> list[str]:
    if "device" not in payload:
        return []
    device = payload["device"]
    problems = _check_mapping("device", device, DEVICE, set())
    if isinstance(device, dict):
        if not (device.get("identifiers") or device.get("connections")):
            problems.append("device: needs identifiers or connections")
        if not all(isinstance(i, str) for i in device.get("identifiers", [])):
            problems.append("device.identifiers: strings only")
    if "unique_id" not in payload:
        problems.append("device: Home Assistant needs a unique_id to attach an entity to it")
    return problems


def _event(payload: dict[str, object]) -> list[str]:
    problems = []
    types = payload.get("event_types")
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        problems.append("event_types must be a non-empty list of strings")
    if payload.get("device_class", "button") not in EVENT_DEVICE_CLASSES:
        problems.append("event device_class unknown")
    return problems


def _sensor(payload: dict[str, object]) -> list[str]:
    problems = []
    state_class = payload.get("state_class")
    if state_class is not None and state_class not in STATE_CLASSES:
        problems.append(f"state_class {state_class!r} unknown")
    device_class = payload.get("device_class")
    unit = payload.get("unit_of_measurement")
    if device_class is not None:
        if device_class not in SENSOR_UNITS:
            problems.append(f"device_class {device_class!r} not checked here")
        elif unit is not None and unit not in SENSOR_UNITS[device_class]:
            problems.append(f"unit {unit!r} not allowed for device_class {device_class!r}")
    if payload.get("options") is not None and state_class is not None:
        problems.append("a sensor with options (enum) has no state_class")
    return problems
