"""Capped exponential backoff with jitter, as a pure generator of delays."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


def backoff(
    *, initial: float = 1.0, factor: float = 2.0, cap: float = 300.0, jitter: float = 0.1
) -> Iterator[float]:
    """Yield delays ``initial``, ``initial*factor``, … up to ``cap``, each with ±``jitter`` spread.

    The jitter keeps several modems that failed together (a USB hub losing power) from
    hammering the bus in step.
    """
    delay = initial
    rng = random.Random()  # noqa: S311 - spreading retries is not cryptography
    while True:
        spread = delay * jitter
        yield max(0.0, delay + rng.uniform(-spread, spread))
        delay = min(cap, delay * factor)
