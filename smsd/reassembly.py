"""Reassembly of concatenated inbound messages: a pure state machine.

Parts are grouped by (key, reference, total), where the key is chosen by the
caller (typically the sender's address). Time comes from the caller as a
float (e.g. `time.monotonic()`), so the machine never reads a clock.

Rules:
- a part without concatenation info (or with total 1) completes at once;
- a duplicate part (same group and sequence) is ignored, the first copy wins;
- parts may arrive in any order; the group completes when every sequence
  number 1..total has arrived and is returned in sequence order;
- a group whose first part arrived more than `timeout` ago is handed out by
  `expire` with None for the missing parts;
- at most `max_pending` groups are held: adding a new group beyond that evicts
  the oldest one, which the next `expire` call reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, NamedTuple, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Hashable

__all__ = ["ConcatInfo", "Expired", "GroupInfo", "Reassembler"]

T = TypeVar("T")


class ConcatInfo(Protocol):
    """What reassembly needs from a concatenation header (e.g. `smsd.pdu.Concat`)."""

    @property
    def reference(self) -> int:
        """Concatenated message reference number."""

    @property
    def total(self) -> int:
        """Number of parts."""

    @property
    def sequence(self) -> int:
        """This part's 1-based sequence number."""


@dataclass(frozen=True, slots=True)
class GroupKey:
    """Identity of one concatenated message."""

    key: Hashable
    reference: int
    total: int


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """Reference and size of an incomplete group."""

    reference: int
    total: int


class Expired(NamedTuple, Generic[T]):
    """An incomplete group handed out by `expire` (or evicted): unpacks as a triple."""

    key: Hashable
    info: GroupInfo
    parts: list[T | None]


@dataclass(slots=True)
class _Group(Generic[T]):
    started: float
    parts: dict[int, T] = field(default_factory=dict)


class Reassembler(Generic[T]):
    """Collects parts of concatenated messages until each group is complete."""

    def __init__(self, *, timeout: float, max_pending: int = 10_000) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self._timeout = timeout
        self._max_pending = max_pending
        self._groups: dict[GroupKey, _Group[T]] = {}
        self._evicted: list[Expired[T]] = []

    def __len__(self) -> int:
        """Number of incomplete groups held."""
        return len(self._groups)

    def add(
        self, key: Hashable, concat: ConcatInfo | None, part: T, *, now: float
    ) -> list[T] | None:
        """Add a part; return every part in order once the group is complete."""
        if concat is None or concat.total <= 1:
            return [part]
        if not 1 <= concat.sequence <= concat.total:
            return [part]  # 23.040: an impossible sequence number voids the header
        group_key = GroupKey(key, concat.reference, concat.total)
        group = self._groups.get(group_key)
        if group is None:
            if len(self._groups) >= self._max_pending:
                self._evict_oldest()
            group = _Group(started=now)
            self._groups[group_key] = group
        group.parts.setdefault(concat.sequence, part)
        if len(group.parts) < concat.total:
            return None
        del self._groups[group_key]
        return [group.parts[sequence] for sequence in range(1, concat.total + 1)]

    def _evict_oldest(self) -> None:
        oldest = next(iter(self._groups))  # insertion order is arrival order
        self._evicted.append(self._expired(oldest, self._groups.pop(oldest)))

    @staticmethod
    def _expired(group_key: GroupKey, group: _Group[T]) -> Expired[T]:
        parts = [group.parts.get(sequence) for sequence in range(1, group_key.total + 1)]
        return Expired(group_key.key, GroupInfo(group_key.reference, group_key.total), parts)

    def expire(self, *, now: float) -> list[Expired[T]]:
        """Remove and return groups older than the timeout (and evicted ones)."""
        out, self._evicted = self._evicted, []
        for group_key, group in list(self._groups.items()):
            if now - group.started >= self._timeout:
                out.append(self._expired(group_key, self._groups.pop(group_key)))
        return out

    def pending(self) -> list[tuple[Hashable, int, int, int]]:
        """(key, reference, total, parts received) for each incomplete group."""
        return [
            (group_key.key, group_key.reference, group_key.total, len(group.parts))
            for group_key, group in self._groups.items()
        ]
