"""Polling helper for hot-plug tests (conditions, never fixed sleeps)."""

from __future__ import annotations

import asyncio


async def until(predicate, timeout: float = 20.0, interval: float = 0.05) -> None:
    """Wait until ``predicate()`` (which may be a coroutine function) is true."""
    async with asyncio.timeout(timeout):
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return
            await asyncio.sleep(interval)
