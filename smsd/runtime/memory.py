"""Memory handed back once a burst of traffic is over.

A burst leaves memory the daemon no longer uses but still holds: the SQLite connections' page
caches keep every page they read, and the C allocator keeps freed blocks inside its heaps (one
per thread that allocated: the event loop and each store connection's thread). Neither shrinks
by itself. Measured with ``bench/compare.py`` (4 modems, after 10,000 messages): about 0.6 MB of
SQLite memory is idle cache, and asking glibc to return the free pages of its heaps gives back
0.5 to 0.8 MB of resident memory.

:class:`BurstRelease` is fed by the engine's housekeeping (every few seconds, a timer the daemon
already has): the modems' own counters of segments sent and messages received. Once at least
:data:`RELEASE_AFTER` of them went through and one housekeeping interval passed without any, it
asks the store to shrink its caches (:meth:`smsd.store.db.Database.release_memory`) and glibc to
return free memory (``malloc_trim``). Nothing runs per message: the counters are the modems'
own, a daemon posting a message now and then releases once per :data:`RELEASE_AFTER` messages
at most, an idle daemon compares two integers every interval, and a release takes well under a
millisecond.

``malloc_trim`` is glibc's (Raspberry Pi OS and other Linux distributions); elsewhere (musl,
macOS) only the store's caches shrink. :mod:`ctypes` is imported at the first release, so a
daemon that never sees a burst never loads it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from smsd.store.db import Database

__all__ = ["RELEASE_AFTER", "BurstRelease", "trim_heap"]

RELEASE_AFTER = 1000
"""Segments sent plus messages received since the last release before the next may happen."""

_log = structlog.get_logger("smsd.memory")
_trim: Callable[[int], int] | None = None
_trim_missing = False


def trim_heap() -> bool:
    """Ask glibc to return the free memory of its heaps to the system; False if it cannot."""
    global _trim, _trim_missing  # noqa: PLW0603 - the C function, looked up once
    if _trim is None and not _trim_missing:
        try:
            import ctypes  # noqa: PLC0415 - only a daemon that saw a burst pays for it

            found = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):  # not glibc
            _trim_missing = True
        else:
            found.argtypes = [ctypes.c_size_t]
            found.restype = ctypes.c_int
            _trim = found
    if _trim is None:
        return False
    return bool(_trim(0))


class BurstRelease:
    """Releases memory once after each burst; :meth:`tick` is called at a steady interval."""

    def __init__(self, db: Database, *, after: int = RELEASE_AFTER) -> None:
        self._db = db
        self._after = after
        self._last: int | None = None
        self._since = 0
        self.releases = 0
        """How many releases happened (for tests and logs)."""

    async def tick(self, counts: Iterable[int]) -> bool:
        """Note the activity counters' total; release if a large burst just ended.

        ``counts`` are running totals (a modem's segments sent, messages received); a phone
        removed makes the total drop, which counts as activity too.
        """
        total = sum(counts)
        moved = 0 if self._last is None else abs(total - self._last)
        self._last = total
        if moved:
            self._since += moved
            return False
        if self._since < self._after:
            return False
        self._since = 0
        await self.release()
        return True

    async def release(self) -> None:
        """Shrink the store's caches, then return the allocator's free memory."""
        before = _resident_kib()
        await self._db.release_memory()
        trimmed = trim_heap()
        self.releases += 1
        _log.info("memory_released", rss_kib=_resident_kib(), before_kib=before, trimmed=trimmed)


def _resident_kib() -> int | None:
    """The process's resident set size, KiB (Linux ``/proc/self/statm``), or None."""
    try:
        with open("/proc/self/statm", "rb") as statm:  # noqa: PTH123 - one small read
            fields = statm.read().split()
    except OSError:
        return None
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
