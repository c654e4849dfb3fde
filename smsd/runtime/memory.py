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

The daemon also makes its threads share glibc's main arena (:func:`share_one_arena`, at start):
the store threads' SQLite memory then sits in the heap the trim works on. Same runs, USS after
the burst: 37.9 MB before this module, 37.2 to 37.5 MB with the release alone, 36.6 to 36.7 MB
with one arena too (:mod:`ctypes`, which both need, costs about 0.3 MB of that).

``malloc_trim`` and ``mallopt`` are glibc's (Raspberry Pi OS and other Linux distributions);
elsewhere (musl, macOS) only the store's caches shrink.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from smsd.store.db import Database

__all__ = ["RELEASE_AFTER", "BurstRelease", "share_one_arena", "trim_heap"]

RELEASE_AFTER = 1000
"""Segments sent plus messages received since the last release before the next may happen."""

M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameter for the number of arenas (``malloc.h``)."""

_log = structlog.get_logger("smsd.memory")
_trim: Callable[[int], int] | None = None
_trim_missing = False


def share_one_arena() -> bool:
    """Make every thread allocate from glibc's main arena; call before any thread starts.

    By default glibc gives each thread that allocates its own arena, up to eight per CPU: the
    store's writer and reader threads each hold one, with SQLite's memory and the holes it
    leaves, and ``malloc_trim`` gets less back from three heaps than from one. The event loop
    and the store's threads mostly run one at a time (the GIL), so they hardly wait for one
    another's allocations. Left alone when the environment already chooses
    (``MALLOC_ARENA_MAX``, ``GLIBC_TUNABLES``); False where it is not glibc.
    """
    if "MALLOC_ARENA_MAX" in os.environ or "GLIBC_TUNABLES" in os.environ:
        return False
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, 1))


def trim_heap() -> bool:
    """Ask glibc to return the free memory of its heaps to the system; False if it cannot."""
    global _trim, _trim_missing  # noqa: PLW0603 - the C function, looked up once
    if _trim is None and not _trim_missing:
        libc = _glibc()
        if libc is None:
            _trim_missing = True
        else:
            _trim = libc.malloc_trim
    if _trim is None:
        return False
    return bool(_trim(0))


def _glibc() -> Any:  # noqa: ANN401 - a ctypes library handle
    """The C library if it is glibc (it has ``malloc_trim`` and ``mallopt``), else None."""
    try:
        import ctypes  # noqa: PLC0415 - only the daemon loads it

        libc = ctypes.CDLL(None)
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):  # not glibc
        return None
    return libc


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
