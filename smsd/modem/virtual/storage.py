"""Message memories of the virtual modem (27.005 ``<mem>``: ``SM``, ``ME``, ``SR``).

Each memory is a fixed row of slots. Slots are numbered from ``base`` (0 like Huawei and ZTE,
1 like SIMCom and Quectel); the lowest free slot takes the next message, as on real SIMs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class MessageStat(enum.IntEnum):
    """27.005 ``<stat>`` in PDU mode."""

    REC_UNREAD = 0
    REC_READ = 1
    STO_UNSENT = 2
    STO_SENT = 3
    ALL = 4


class DeleteFlag(enum.IntEnum):
    """27.005 ``AT+CMGD`` ``<delflag>``: which messages go besides the one at ``<index>``."""

    INDEX = 0
    READ = 1
    READ_SENT = 2
    READ_SENT_UNSENT = 3
    ALL = 4


_DELETED_BY_FLAG: dict[DeleteFlag, frozenset[MessageStat]] = {
    DeleteFlag.READ: frozenset({MessageStat.REC_READ}),
    DeleteFlag.READ_SENT: frozenset({MessageStat.REC_READ, MessageStat.STO_SENT}),
    DeleteFlag.READ_SENT_UNSENT: frozenset(
        {MessageStat.REC_READ, MessageStat.STO_SENT, MessageStat.STO_UNSENT}
    ),
    DeleteFlag.ALL: frozenset(MessageStat) - {MessageStat.ALL},
}


@dataclass(frozen=True)
class StoredMessage:
    """One occupied slot: the PDU as the modem reports it (SMSC part + TPDU) and its status."""

    pdu: bytes
    tpdu_length: int
    stat: MessageStat

    @property
    def hex(self) -> str:
        """The PDU in upper-case hex, as ``AT+CMGL``/``AT+CMGR`` print it."""
        return self.pdu.hex().upper()


class Memory:
    """One memory: slots, their base index and a capacity read from the fault switches."""

    def __init__(self, name: str, *, capacity: Callable[[], int], base: int) -> None:
        self.name = name
        self.base = base
        self._capacity = capacity
        self._slots: dict[int, StoredMessage] = {}

    @property
    def total(self) -> int:
        """Number of slots (may change at run time through the fault switches)."""
        return max(0, self._capacity())

    @property
    def used(self) -> int:
        """Number of occupied slots."""
        return len(self._slots)

    @property
    def full(self) -> bool:
        """Whether no slot is free."""
        return self.used >= self.total

    def valid_index(self, index: int) -> bool:
        """Whether ``index`` names a slot of this memory."""
        return self.base <= index < self.base + self.total

    def store(self, message: StoredMessage) -> int | None:
        """Put ``message`` in the lowest free slot; return its index, or ``None`` when full."""
        if self.full:
            return None
        for index in range(self.base, self.base + self.total):
            if index not in self._slots:
                self._slots[index] = message
                return index
        return None  # pragma: no cover - unreachable while used < total

    def put(self, index: int, message: StoredMessage) -> None:
        """Overwrite slot ``index`` (a status change such as "stored unsent" to "stored sent")."""
        if not self.valid_index(index):
            raise IndexError(f"{self.name} has no slot {index}")
        self._slots[index] = message

    def occupied(self) -> list[int]:
        """Indexes of the occupied slots, in order."""
        return sorted(self._slots)

    def get(self, index: int) -> StoredMessage | None:
        """The message at ``index``, or ``None`` for an empty or invalid slot."""
        return self._slots.get(index)

    def read(self, index: int) -> StoredMessage | None:
        """Like :meth:`get`, and mark a received unread message as read (as reading does)."""
        message = self._slots.get(index)
        if message is not None and message.stat is MessageStat.REC_UNREAD:
            self._slots[index] = StoredMessage(
                message.pdu, message.tpdu_length, MessageStat.REC_READ
            )
        return message

    def listing(self, stat: MessageStat) -> list[tuple[int, StoredMessage]]:
        """Slots matching ``stat`` (``ALL``: every one) in index order; unread ones become read."""
        found = [
            (index, self._slots[index])
            for index in sorted(self._slots)
            if stat is MessageStat.ALL or self._slots[index].stat is stat
        ]
        for index, _ in found:
            self.read(index)
        return found

    def delete(self, index: int, flag: DeleteFlag = DeleteFlag.INDEX) -> int:
        """Delete per ``AT+CMGD``; return how many slots were freed."""
        if flag is DeleteFlag.INDEX:
            return 1 if self._slots.pop(index, None) is not None else 0
        doomed = _DELETED_BY_FLAG[flag]
        victims = [i for i, message in self._slots.items() if message.stat in doomed]
        for victim in victims:
            del self._slots[victim]
        return len(victims)


__all__ = ["DeleteFlag", "Memory", "MessageStat", "StoredMessage"]
