"""Local wall-time text (``YYYY-MM-DD HH:MM:SS``, what the API shows) to and from unix seconds."""

from __future__ import annotations

import time
from datetime import datetime

from smsd.store.errors import InvalidValueError

WALL_FORMAT = "%Y-%m-%d %H:%M:%S"


def wall(now: float) -> str:
    """``now`` (unix seconds) as local wall-time text."""
    return time.strftime(WALL_FORMAT, time.localtime(now))


def parse_wall(text: str, *, field: str = "at") -> float:
    """Local wall-time text to unix seconds; :class:`InvalidValueError` unless well-formed."""
    try:
        moment = datetime.strptime(text, WALL_FORMAT)  # noqa: DTZ007 - local wall time by design
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(
            f"{field} must be a date of format YYYY-MM-DD HH:MM:SS, not {text!r}"
        ) from exc
    if moment.strftime(WALL_FORMAT) != text:
        raise InvalidValueError(
            f"{field} must be a date of format YYYY-MM-DD HH:MM:SS, not {text!r}"
        )
    return moment.timestamp()


__all__ = ["WALL_FORMAT", "parse_wall", "wall"]
