"""The MQTT front door: send commands in, events and state out, Home Assistant discovery.

A door like the HTTP ones: it parses MQTT payloads, calls the core (the store's
``create_scheduled`` for a send, the shared event outbox for what happened) and renders the
answers as topics. Inside: :mod:`~smsd.mqtt.topics` (names), :mod:`~smsd.mqtt.commands`
(send commands), :mod:`~smsd.mqtt.events` (outbox events to publications),
:mod:`~smsd.mqtt.state` and :mod:`~smsd.mqtt.presence` (state topics and discovery configs
kept in step), :mod:`~smsd.mqtt.discovery` (Home Assistant's payloads) and
:mod:`~smsd.mqtt.bridge` (the connection task).
"""

from __future__ import annotations

from smsd.mqtt.bridge import MqttBridge, backoff
from smsd.mqtt.commands import CommandError, SendCommand
from smsd.mqtt.discovery import Discovery, Entity
from smsd.mqtt.state import PhoneView
from smsd.mqtt.topics import Topics, slug

__all__ = [
    "CommandError",
    "Discovery",
    "Entity",
    "MqttBridge",
    "PhoneView",
    "SendCommand",
    "Topics",
    "backoff",
    "slug",
]
