"""Pure sending policy: limits, phone choice and pacing. Takes ``now``; does no I/O.

A limit allows ``volume`` segments sent inside a window that starts at the instant its RaspiSMS
start point names (see :mod:`smsd.windows`) and ends now.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.windows import StartpointError, validate_startpoint, window_start

if TYPE_CHECKING:
    from collections.abc import Sequence

    from smsd.config import LimitConfig


__all__ = [
    "Candidate",
    "StartpointError",
    "choose",
    "eligible_for_unpinned",
    "next_send_at",
    "remaining",
    "retry_delay",
    "validate_startpoint",
    "window_start",
]


def remaining(limits: Sequence[LimitConfig], used: Sequence[int]) -> int | None:
    """Segments still allowed: the smallest headroom over all limits; ``None`` = unlimited."""
    if not limits:
        return None
    return min(limit.volume - count for limit, count in zip(limits, used, strict=True))


@dataclass(frozen=True)
class Candidate:
    """A phone as the policy sees it."""

    id_phone: int
    priority: int
    available: bool
    idle: bool


def eligible_for_unpinned(phone: Candidate, phones: Sequence[Candidate]) -> bool:
    """Whether ``phone`` may take a message not pinned to a phone.

    RaspiSMS's rule: only phones of the highest priority among the available ones send; lower
    priorities take over when every higher one is unavailable (not merely busy).
    """
    if not phone.available:
        return False
    top = max((p.priority for p in phones if p.available), default=phone.priority)
    return phone.priority >= top


def choose(phones: Sequence[Candidate], rng: random.Random | None = None) -> Candidate | None:
    """Pick a phone: available ones of the highest priority, idle first, random among equals."""
    available = [p for p in phones if p.available]
    if not available:
        return None
    top = max(p.priority for p in available)
    best = [p for p in available if p.priority == top]
    idle = [p for p in best if p.idle] or best
    return (rng or random.Random()).choice(idle)  # noqa: S311 - load spreading, not cryptography


def retry_delay(attempt: int, *, initial: float = 5.0, cap: float = 600.0) -> float:
    """Seconds before retry number ``attempt`` (1-based) of a temporarily failed message."""
    return min(cap, initial * (1 << min(30, max(0, attempt - 1))))


def next_send_at(last_send: float | None, min_interval: float) -> float:
    """Earliest time the next message may leave a phone that must pace its sends."""
    if last_send is None or min_interval <= 0:
        return 0.0
    return last_send + min_interval
