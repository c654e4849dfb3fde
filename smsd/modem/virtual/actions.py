"""What the virtual modem asks its runner to do: write bytes, wait, or vanish.

The responder never touches a file descriptor or a clock; it returns these actions in order and a
runner (:mod:`smsd.modem.virtual.pseudoterminal`, or a test) carries them out.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Write:
    """Bytes the modem sends to the host."""

    data: bytes


@dataclass(frozen=True)
class Delay:
    """Wait this many seconds before carrying out the next action (order is preserved)."""

    seconds: float


@dataclass(frozen=True)
class Hangup:
    """The device vanishes: the runner closes the port, as when a dongle is pulled out."""


@dataclass(frozen=True)
class Later:
    """Carry out ``actions`` after ``seconds``, without holding back the actions that follow."""

    seconds: float
    actions: tuple[Write, ...]


Action = Write | Delay | Hangup | Later

__all__ = ["Action", "Delay", "Hangup", "Later", "Write"]
