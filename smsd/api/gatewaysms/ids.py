"""Gateway SMS ids: 24 lowercase hex characters, rendered from the core's integer ids.

The service's ids look like MongoDB object ids (``5d443a6e9f2725660f3db347``). The core numbers
its rows with integers; an id is written as that integer in 24 hex digits, zero-padded, and read
back the same way. Anything else (wrong length, not hex, zero) names no message.
"""

from __future__ import annotations

import re

__all__ = ["read_id", "render_id", "send_id"]

_HEX24 = re.compile(r"[0-9a-fA-F]{24}")
_LARGEST = 2**63 - 1
"""SQLite's largest integer key."""


def render_id(value: int) -> str:
    """The 24-hex id of the core's integer id ``value``."""
    return format(value, "024x")


def read_id(text: str) -> int | None:
    """The core's integer id behind a 24-hex id; ``None`` when ``text`` cannot be one."""
    if not _HEX24.fullmatch(text):
        return None
    value = int(text, 16)
    return value if 0 < value <= _LARGEST else None


def send_id(id_message: int, index: int) -> str:
    """A recipient's ``send_id``: the message id, ``_`` and the recipient's position."""
    return f"{render_id(id_message)}_{index}"
