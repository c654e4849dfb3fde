"""Reading ``[mqtt]``: the broker, its credentials and TLS, the topics and Home Assistant's.

Kept apart from :mod:`smsd.config.reading` (which calls :func:`read_mqtt`): each value has its
converter here, and the checks between keys (a client key without its certificate, TLS files
with TLS off) are reported with the key named like every other problem.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol, TypeVar

from smsd.config.converters import Invalid, boolean, email, file_path, integer, number, show
from smsd.config.settings import MqttConfig
from smsd.phone import to_e164

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["TOPIC_WORD", "read_mqtt"]

_T = TypeVar("_T")

TOPIC_WORD = re.compile(r"[A-Za-z0-9_-]+")
"""One level of a topic smsd builds (also Home Assistant's allowed object id characters)."""
_HOST = re.compile(r"[A-Za-z0-9.:_\[\]-]{1,253}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class _Reader(Protocol):
    """What :func:`read_mqtt` needs of the reader's table (``smsd.config.reading._Table``)."""

    def get(self, key: str, convert: Callable[[object], _T], default: _T) -> _T: ...

    def problem(self, key: str | None, message: str) -> None: ...

    def finish(self) -> None: ...


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be a string, got {show(value)}")
    return value


def _host(value: object) -> str:
    text = _text(value)
    if not _HOST.fullmatch(text):
        raise Invalid(f"must be a host name or address, got {show(value)}")
    return text


def _port(value: object) -> int:
    port = integer(1)(value)
    if port > 65535:
        raise Invalid(f"must be a port from 1 to 65535, got {port}")
    return port


def _client_id(value: object) -> str:
    text = _text(value)
    if not _CLIENT_ID.fullmatch(text):
        raise Invalid(f"must be 1 to 64 letters, digits, '.', '_' or '-', got {show(value)}")
    return text


def _topic_root(value: object) -> str:
    """Levels of letters, digits, '_' and '-' separated by '/' (no wildcards, no empty level)."""
    text = _text(value)
    if not all(TOPIC_WORD.fullmatch(level) for level in text.split("/")):
        raise Invalid(
            "must be topic levels of letters, digits, '_' or '-' separated by '/' "
            f'(e.g. "smsd"), got {show(value)}'
        )
    return text


def _number(value: object) -> str:
    found = to_e164(value)
    if found is None:
        raise Invalid(f'must be a phone number in international form ("+33..."), got {show(value)}')
    return found


def _secret(value: object) -> str:
    if not isinstance(value, str):  # never echo a secret
        raise Invalid("must be a string")
    return value


def read_mqtt(table: _Reader, base: Path) -> MqttConfig:
    """``[mqtt]`` converted; problems go to the table with their key."""
    d = MqttConfig()
    files = file_path(base)
    config = MqttConfig(
        enabled=table.get("enabled", boolean, d.enabled),
        host=table.get("host", _host, d.host),
        port=table.get("port", _port, d.port),
        username=table.get("username", _text, d.username),
        password=table.get("password", _secret, d.password),
        client_id=table.get("client_id", _client_id, d.client_id),
        keepalive=table.get("keepalive", integer(5), d.keepalive),
        tls=table.get("tls", boolean, d.tls),
        ca_file=table.get("ca_file", files, d.ca_file),
        cert_file=table.get("cert_file", files, d.cert_file),
        key_file=table.get("key_file", files, d.key_file),
        tls_insecure=table.get("tls_insecure", boolean, d.tls_insecure),
        base_topic=table.get("base_topic", _topic_root, d.base_topic),
        discovery=table.get("discovery", boolean, d.discovery),
        discovery_prefix=table.get("discovery_prefix", _topic_root, d.discovery_prefix),
        user=table.get("user", email, d.user),
        notify_to=table.get("notify_to", _number, d.notify_to),
        retain_state=table.get("retain_state", boolean, d.retain_state),
        retain_events=table.get("retain_events", boolean, d.retain_events),
        state_interval=table.get("state_interval", number(), d.state_interval),
        reconnect_max=table.get("reconnect_max", number(), d.reconnect_max),
    )
    table.finish()
    if not config.tls:
        for key in ("ca_file", "cert_file", "key_file"):
            if getattr(config, key) is not None:
                table.problem(key, "is used only with tls = true")
        if config.tls_insecure:
            table.problem("tls_insecure", "is used only with tls = true")
    if config.key_file is not None and config.cert_file is None:
        table.problem("key_file", "needs cert_file (the client certificate it belongs to)")
    if config.password is not None and config.username is None:
        table.problem("password", "needs username")
    if (
        config.base_topic.split("/")[0] == config.discovery_prefix.split("/")[0]
        and config.discovery
    ):
        table.problem("base_topic", "must not start like discovery_prefix")
    return config
