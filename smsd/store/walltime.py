"""Local wall-time text (``YYYY-MM-DD HH:MM:SS``, what the API shows) to and from unix seconds."""

from __future__ import annotations

import functools
import math
import time
from datetime import datetime

from smsd.store.errors import InvalidValueError

WALL_FORMAT = "%Y-%m-%d %H:%M:%S"


def wall(now: float) -> str:
    """``now`` (unix seconds) as local wall-time text."""
    return _wall_second(math.floor(now))


@functools.lru_cache(maxsize=8)
def _wall_second(second: int) -> str:
    # Each transition stamps its rows, several within the same second: formatted once.
    return time.strftime(WALL_FORMAT, time.localtime(second))


def parse_wall(text: str, *, field: str = "at") -> float:
    """Local wall-time text to unix seconds; :class:`InvalidValueError` unless well-formed."""
    return _parsed(text, field)


@functools.lru_cache(maxsize=256)
def _parsed(text: str, field: str) -> float:
    # The same texts come again and again (a front door stamps "now" and the store reads it
    # back); strptime is slow. An error is raised, never cached.
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
