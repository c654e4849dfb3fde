"""Sender names, checked with the rules SMS providers apply.

A sender is either a name of 3 to 11 letters and digits (spaces inside allowed, as providers
show them; at least one letter), or a number of 3 to 14 digits with an optional leading ``+``.
A GSM modem always sends from its SIM's number: the name is stored and shown, recipients see
the SIM's number.
"""

from __future__ import annotations

import re

__all__ = ["SenderError", "check_sender"]

_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 ]*[A-Za-z0-9])?")
_NUMBER = re.compile(r"\+?[0-9]{3,14}")


class SenderError(ValueError):
    """A sender name the providers' rules refuse; the message says which rule."""


def check_sender(sender: str) -> str:
    """The sender, trimmed; :class:`SenderError` if it breaks the rules."""
    value = sender.strip()
    if _NUMBER.fullmatch(value):
        return value
    if not _NAME.fullmatch(value) or not any(c.isalpha() for c in value):
        raise SenderError(
            "sender must be 3 to 11 letters and digits (no special characters) "
            "or a number of 3 to 14 digits"
        )
    if not 3 <= len(value) <= 11:
        raise SenderError(f"sender must be 3 to 11 characters long, not {len(value)}")
    return value
