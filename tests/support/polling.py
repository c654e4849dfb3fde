"""Waiting for a condition in a test: poll it, never sleep a fixed time."""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["until"]


async def until(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.02):
    """Poll ``predicate`` (plain, or returning an awaitable) until it is true; its value.

    :class:`TimeoutError` after ``timeout`` seconds (generous: the machines running the tests
    are loaded).
    """
    async with asyncio.timeout(timeout):
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(interval)
