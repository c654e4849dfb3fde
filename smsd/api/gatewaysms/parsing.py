"""The bodies of ``POST /messages`` and ``PUT /messages/{id}``, checked field by field.

Both are JSON objects. Every refused field is collected and reported together as one 422 whose
``data`` maps each field to the reason. ``POST`` needs ``sender``, ``body`` and ``recipients``;
``test``, ``priority`` and ``options`` are optional. ``PUT`` may carry ``recipients`` (added),
``transaction`` (``false`` closes an open transaction) and ``options`` (``timestamp_send``).
``transaction`` is read at the top level and inside ``options`` (the service documents both).

``priority`` is a number >= 1 (1 by default); the core's queue priority is an integer, so it is
kept to hundredths: ``1.01`` goes before any ``1.00`` (core priority ``round((p - 1) * 100)``).
``timestamp_send`` is unix milliseconds (a number or a string of digits), or a date
``YYYY-MM-DD`` / date and time ``YYYY-MM-DD HH:MM:SS`` (also ISO 8601 with ``T`` and an offset),
in local time when no offset is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from smsd.api.gatewaysms.recipients import Parsed, RecipientError, parse_recipients
from smsd.api.gatewaysms.replies import GatewayError

__all__ = [
    "MAX_BODY",
    "MAX_PRIORITY",
    "Amendment",
    "Options",
    "Sending",
    "core_priority",
    "parse_amendment",
    "parse_sending",
]

MAX_BODY = 1600
"""Characters a body may have (ten parts of GSM text)."""
MAX_PRIORITY = 100.0
_FLAGS = ("bulk", "flash", "realtime")


@dataclass
class Options:
    """The ``options`` object: flags, deferred send time (unix seconds), custom data."""

    bulk: bool = False
    flash: bool = False
    realtime: bool = False
    transaction: bool | None = None
    send_at: float | None = None
    custom: object = None


@dataclass
class Sending:
    """A checked ``POST /messages`` body."""

    sender: str
    body: str
    recipients: Parsed
    test: bool = False
    priority: float = 1.0
    options: Options = field(default_factory=Options)


@dataclass
class Amendment:
    """A checked ``PUT /messages/{id}`` body."""

    recipients: Parsed | None = None
    transaction: bool | None = None
    options: Options = field(default_factory=Options)
    given: frozenset[str] = frozenset()
    """The option names the request set."""


def core_priority(priority: float) -> int:
    """The core's integer queue priority for a Gateway SMS priority (>= 1)."""
    return round((priority - 1.0) * 100)


def _object(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise GatewayError(422, "The body must be a JSON object", {"body": "not a JSON object"})
    return value


def _send_at(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError  # noqa: TRY004 - one error for every unreadable time
    if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
        return float(value) / 1000
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text) / 1000
        moment = datetime.fromisoformat(text)
        return moment.timestamp()  # naive: local time, as documented
    raise ValueError


def _options(value: object, problems: dict[str, str]) -> tuple[Options, frozenset[str]]:
    options = Options()
    if value is None:
        return options, frozenset()
    if not isinstance(value, dict):
        problems["options"] = "must be an object"
        return options, frozenset()
    for name in (*_FLAGS, "transaction"):
        flag = value.get(name)
        if flag is not None and not isinstance(flag, bool):
            problems[f"options.{name}"] = "must be true or false"
        elif flag is not None:
            setattr(options, name, flag)
    if value.get("timestamp_send") is not None:
        try:
            options.send_at = _send_at(value["timestamp_send"])
        except (ValueError, OverflowError, OSError):
            problems["options.timestamp_send"] = (
                "must be unix milliseconds or a date YYYY-MM-DD [HH:MM:SS]"
            )
    options.custom = value.get("custom")
    return options, frozenset(k for k in value if value[k] is not None)


def _recipients(value: object, problems: dict[str, str]) -> Parsed | None:
    try:
        return parse_recipients(value)
    except RecipientError as exc:
        problems["recipients"] = str(exc)
        return None


def _priority(value: object, problems: dict[str, str]) -> float:
    if value is None:
        return 1.0
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 1.0 <= value <= MAX_PRIORITY
    ):
        problems["priority"] = f"must be a number from 1 to {MAX_PRIORITY:g}"
        return 1.0
    return float(value)


def _transaction(body: dict[str, object], options: Options, problems: dict[str, str]) -> None:
    top = body.get("transaction")
    if top is None:
        return
    if not isinstance(top, bool):
        problems["transaction"] = "must be true or false"
    else:
        options.transaction = top


def _refuse(problems: dict[str, str]) -> None:
    if problems:
        listed = "; ".join(f"{name}: {reason}" for name, reason in problems.items())
        raise GatewayError(422, f"Invalid request: {listed}", problems)


def parse_sending(value: object) -> Sending:
    """Check a ``POST /messages`` body; :class:`GatewayError` 422 naming every bad field."""
    body = _object(value)
    problems: dict[str, str] = {}
    sender, text = body.get("sender"), body.get("body")
    if not isinstance(sender, str) or not sender.strip():
        problems["sender"] = "is required (a string)"
    if not isinstance(text, str) or not text:
        problems["body"] = "is required (a string)"
    elif len(text) > MAX_BODY:
        problems["body"] = f"must be at most {MAX_BODY} characters"
    test = body.get("test", False)
    if not isinstance(test, bool):
        problems["test"] = "must be true or false"
    recipients = None
    if body.get("recipients") is None:
        problems["recipients"] = "is required"
    else:
        recipients = _recipients(body["recipients"], problems)
    priority = _priority(body.get("priority"), problems)
    options, _given = _options(body.get("options"), problems)
    _transaction(body, options, problems)
    _refuse(problems)
    assert isinstance(sender, str)
    assert isinstance(text, str)
    assert recipients is not None
    return Sending(sender.strip(), text, recipients, bool(test), priority, options)


def parse_amendment(value: object) -> Amendment:
    """Check a ``PUT /messages/{id}`` body; :class:`GatewayError` 422 naming every bad field."""
    body = _object(value)
    problems: dict[str, str] = {}
    recipients = None
    if body.get("recipients") is not None:
        recipients = _recipients(body["recipients"], problems)
    options, given = _options(body.get("options"), problems)
    _transaction(body, options, problems)
    _refuse(problems)
    return Amendment(recipients, options.transaction, options, given)
