"""A phone's stored ``adapter_data``: the JSON the store keeps of where its modem is.

Written when the configuration or the API registers a phone, read when the runtime starts one
(a phone created through the API, or a known modem the hot-plug watcher sees again). Read here
once, for everyone: a malformed text reads as "no device".
"""

from __future__ import annotations

import json
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smsd.config import PhoneConfig


@dataclass(frozen=True)
class AdapterData:
    """Where a stored phone's modem is: its device, and the baud rate and PIN if stored."""

    device: str = ""
    baudrate: int | None = None
    pin: str | None = None

    @classmethod
    def parse(cls, text: str) -> AdapterData:
        """Read ``adapter_data``; fields that are missing or malformed are left empty."""
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        baudrate = None
        with suppress(TypeError, ValueError):
            baudrate = int(data.get("baudrate") or 0) or None
        pin = data.get("pin")
        return cls(
            device=str(data.get("device") or ""), baudrate=baudrate, pin=str(pin) if pin else None
        )


def adapter_data(settings: PhoneConfig) -> str:
    """The ``adapter_data`` stored for a configured phone."""
    return json.dumps({"device": settings.device, "baudrate": settings.baudrate})


__all__ = ["AdapterData", "adapter_data"]
