"""Keep a runtime task alive: restart it with backoff after a crash, and log the crash once.

Every long-running loop of the runtime (each phone's modem, sender and balance watch, the
dispatcher, housekeeping, the incoming rules) runs under :func:`supervised`. A loop that returns
has ended on purpose (a modem whose port vanished, a refused PIN) and is not restarted. A loop
that raises is restarted after a delay from the capped exponential backoff the modems use; the
first crash of a series is logged at ERROR with its traceback, the next ones at DEBUG, until the
loop has run for :data:`HEALTHY_AFTER` seconds without crashing (then the series is over: the
delay starts small again and the next crash is logged in full).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import structlog

from smsd.errors import StoreError
from smsd.modem.backoff import backoff

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

RESTART_INITIAL = 1.0
"""Seconds before the first restart of a crashed task."""
RESTART_CAP = 60.0
"""Longest wait between two restarts of a task that keeps crashing."""
HEALTHY_AFTER = 60.0
"""Seconds a restarted task must run without crashing before its crash series is over."""


async def supervised(
    name: str,
    run: Callable[[], Awaitable[None]],
    *,
    initial: float | None = None,
    cap: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run ``run()`` until it returns; restart it with backoff each time it raises.

    ``initial`` and ``cap`` default to :data:`RESTART_INITIAL` and :data:`RESTART_CAP`.
    """
    initial = RESTART_INITIAL if initial is None else initial
    cap = RESTART_CAP if cap is None else cap
    log = structlog.get_logger("smsd.runtime").bind(task=name)
    delays: Iterator[float] = backoff(initial=initial, cap=cap)
    crashes = 0
    while True:
        started = clock()
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in one loop must not stop the others
            if clock() - started >= HEALTHY_AFTER:
                crashes = 0
                delays = backoff(initial=initial, cap=cap)
            crashes += 1
            delay = next(delays)
            if crashes == 1:
                event = "task_store_error" if isinstance(exc, StoreError) else "task_crashed"
                log.exception(event, error=str(exc), restart_in=round(delay, 1))
            else:
                log.debug("task_crashed_again", error=repr(exc), crashes=crashes)
            await asyncio.sleep(delay)
        else:
            if crashes:
                log.info("task_ended_after_crash", crashes=crashes)
            return


__all__ = ["HEALTHY_AFTER", "RESTART_CAP", "RESTART_INITIAL", "supervised"]
