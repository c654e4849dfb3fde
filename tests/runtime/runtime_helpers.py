"""Polling helper for runtime tests."""

from __future__ import annotations

import asyncio


async def until(predicate, timeout: float = 15.0, interval: float = 0.02) -> None:
    async with asyncio.timeout(timeout):
        while not await _maybe_await(predicate()):
            await asyncio.sleep(interval)


async def _maybe_await(value):
    if asyncio.iscoroutine(value):
        return await value
    return value
