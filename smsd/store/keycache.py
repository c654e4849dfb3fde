"""API keys found recently: their user and settings, so a request need not read them each time.

Every API request names its key, and reading its user and settings is a hand-over to the
store's reader thread: about a tenth of the CPU a one-message request costs. A key found is kept
here for :data:`TTL` seconds.

- **Changes made by the daemon are seen at once.** The writer connection has temporary triggers
  on ``user`` and ``setting`` that mark the cache stale (:meth:`KeyCache.touched`, in the
  writer's thread, inside the transaction); once that transaction has ended, the group writer
  calls :meth:`KeyCache.settle`, which drops every entry and starts a new generation. A read
  is kept only under the generation it started in, so a read whose snapshot predates the commit
  is never kept as fresh.
- **Changes made by another process** (``smsd user …``, ``smsd key …`` beside a running daemon)
  are seen within :data:`TTL` seconds: a suspended user or a replaced key is refused from then
  on.
- A key not found is not kept: a key created meanwhile works at once, and each wrong key costs
  a read, as before (the API's limiter counts them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.rows import UserRow

__all__ = ["MAX_KEYS", "TTL", "KeyCache", "watch"]

TTL = 1.0
"""Seconds a key found is trusted without a read (another process's changes show within this)."""
MAX_KEYS = 256
"""Keys kept at most (all dropped when full: a daemon has a handful of keys in use)."""

Found = tuple["UserRow", dict[str, str]]


class KeyCache:
    """Keys found, with the generation and instant of the read that found them."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, bool], tuple[int, float, Found]] = {}
        self._generation = 0
        self._stale = False

    @property
    def generation(self) -> int:
        """Take it before a read; give it to :meth:`put` with what the read found."""
        return self._generation

    def get(self, key: str, now: float, *, settings: bool) -> Found | None:
        """The user and settings kept for ``key``, if still trusted at ``now`` (monotonic)."""
        entry = self._entries.get((key, settings))
        if entry is None:
            return None
        generation, at, (user, values) = entry
        if generation != self._generation or now - at >= TTL:
            del self._entries[(key, settings)]
            return None
        return user, dict(values)  # the caller may change its copy

    def put(self, key: str, found: Found, generation: int, now: float, *, settings: bool) -> None:
        """Keep what a read that started in ``generation`` found (dropped if that has ended)."""
        if generation != self._generation:
            return
        if len(self._entries) >= MAX_KEYS:
            self._entries.clear()
        user, values = found
        self._entries[(key, settings)] = (generation, now, (user, dict(values)))

    def touched(self) -> None:
        """A transaction changed ``user`` or ``setting`` (called in the writer's thread)."""
        self._stale = True

    def settle(self) -> None:
        """The writer's last transaction has ended: if it touched them, trust nothing kept."""
        if self._stale:
            self._stale = False
            self._generation += 1
            self._entries.clear()


_TRIGGERS = tuple(
    f"CREATE TEMP TRIGGER IF NOT EXISTS smsd_keys_{table}_{event.lower()} "
    f"AFTER {event} ON main.{table} BEGIN SELECT smsd_keys_touched(); END"
    for table in ("user", "setting")
    for event in ("INSERT", "UPDATE", "DELETE")
)


def watch(conn: sqlite3.Connection, cache: KeyCache) -> None:
    """Have ``conn`` (the writer's) tell ``cache`` of every change to ``user`` and ``setting``.

    Temporary triggers: they live with this connection only, nothing is written to the schema.
    """
    conn.create_function("smsd_keys_touched", 0, cache.touched)
    for sql in _TRIGGERS:
        conn.execute(sql)
