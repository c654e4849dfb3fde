"""Helpers of the call tests."""

from __future__ import annotations

import asyncio


async def until(predicate, timeout: float = 10.0) -> None:
    """Poll an async or plain predicate until it is true (generous timeout, loaded machines)."""
    async with asyncio.timeout(timeout):
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return
            await asyncio.sleep(0.02)
