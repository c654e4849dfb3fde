"""Rendering the effective settings back as TOML, secrets masked, for ``smsd check-config``."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import TYPE_CHECKING

from smsd.config.doors import SmsPartnerConfig
from smsd.config.inbound_rendering import render_inbound
from smsd.config.settings import LimitConfig

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from smsd.config.settings import Config

__all__ = ["render"]


def render(config: Config, *, mask: bool = True) -> str:
    """The effective settings as TOML, for ``smsd check-config``; API keys and PINs masked.

    Unmasked, the text loads back into an equal configuration.
    """
    origin = str(config.source) if config.source else "the embedded default"
    out = [f"# Effective configuration, from {origin}."]
    out += ["", "[daemon]", *_assignments(config.daemon, mask=mask)]
    out += ["", "[api]", *_assignments(config.api, mask=mask)]
    out += ["", "[api.smspartner]", *_assignments(config.api.smspartner, mask=mask)]
    if not config.users:
        out += ["", "# No [[users]]: smsd creates one at start and prints its key once."]
    for user in config.users:
        out += ["", "[[users]]", *_assignments(user, mask=mask)]
    if not config.phones:
        out += ["", "# No [[phones]]."]
    for phone in config.phones:
        out += ["", "[[phones]]", *_assignments(phone, mask=mask)]
    out += ["", "[hotplug]", *_assignments(config.hotplug, mask=mask)]
    out += ["", "[webhooks]", *_assignments(config.webhooks, mask=mask)]
    out += ["", "[mqtt]", *_assignments(config.mqtt, mask=mask)]
    out += ["", "[billing]", *_assignments(config.billing, mask=mask)]
    out += ["", "[quiet_hours]", *_assignments(config.quiet_hours, mask=mask)]
    out += ["", "[stop]", *_assignments(config.stop, mask=mask)]
    out += ["", "[web]", *_assignments(config.web, mask=mask)]
    out += render_inbound(config, mask=mask, toml=_toml)
    return "\n".join(out) + "\n"


def _assignments(settings: DataclassInstance, *, mask: bool) -> list[str]:
    """``key = value`` lines for each field of a settings dataclass, secrets masked."""
    lines = []
    for spec in fields(settings):
        value = getattr(settings, spec.name)
        if value is None or isinstance(value, SmsPartnerConfig):
            continue  # absent optional key (pin); a nested section is rendered on its own
        if mask and spec.name == "api_key":
            value = value[:4] + "*" * (len(value) - 4)
        elif mask and spec.name in {"pin", "password"}:
            value = "****"
        if spec.name == "socket_mode":  # permission bits read best in octal
            lines.append(f"{spec.name} = 0o{value:03o}")
            continue
        lines.append(f"{spec.name} = {_toml(value)}")
    return lines


def _toml(value: object) -> str:
    """A TOML literal for a string, boolean, number, path, address, limit, or tuple of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, LimitConfig):
        return f"{{ volume = {value.volume}, startpoint = {_toml(value.startpoint)} }}"
    # JSON strings are TOML basic strings once DEL, the one control JSON leaves alone, is escaped.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
