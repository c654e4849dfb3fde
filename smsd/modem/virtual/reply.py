"""What one command line produces, collected by the handlers, framed by the responder.

Handlers add information lines (``info``), unsolicited lines to send after the final result
(``after``) or later (``later``), may leave out the final result (``no_final``),
may ask for the ``> `` prompt (``prompt``) or for the device to vanish
(``hangup``), and raise :class:`~smsd.modem.virtual.results.Refusal` to fail the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smsd.modem.virtual.results import Refusal
from smsd.modem.virtual.syntax import is_decimal

if TYPE_CHECKING:
    from collections.abc import Callable

    from smsd.modem.virtual.state import ModemState
    from smsd.modem.virtual.storage import MessageStat
    from smsd.modem.virtual.syntax import Command


@dataclass(frozen=True)
class PromptRequest:
    """``AT+CMGS=<n>`` or ``AT+CMGW=<n>[,<stat>]`` waits for a PDU of ``length`` TPDU octets."""

    command: str
    length: int
    stat: MessageStat | None = None


@dataclass
class Reply:
    """The outcome of the commands of one line so far."""

    chunks: list[tuple[str, ...]] = field(default_factory=list)
    after: list[tuple[str, ...]] = field(default_factory=list)
    prompt: PromptRequest | None = None
    hangup: bool = False
    now: float = 0.0
    later: list[tuple[float, tuple[str, ...]]] = field(default_factory=list)
    """Unsolicited lines sent that many seconds after the reply (a network's late answer)."""
    no_final: bool = False
    """Send the information lines without a final result (firmware that answers so)."""

    def info(self, *lines: str) -> None:
        """Add information lines that belong together (a ``+CMGL`` header and its PDU)."""
        self.chunks.append(lines)


def int_arg(
    command: Command,
    position: int,
    low: int,
    high: int,
    *,
    error: Refusal,
    default: int | None = None,
) -> int:
    """Argument ``position`` of ``command`` as an int in ``low..high``; ``error`` otherwise."""
    value = command.args[position] if position < len(command.args) else None
    if value is None:
        if default is None:
            raise error
        return default
    if not is_decimal(value):
        raise error
    number = int(value)
    if not low <= number <= high:
        raise error
    return number


def str_arg(command: Command, position: int, *, error: Refusal) -> str:
    """Argument ``position`` of ``command`` as a non-empty string; ``error`` when missing."""
    value = command.args[position] if position < len(command.args) else None
    if not value:
        raise error
    return value


def too_many(command: Command, limit: int) -> None:
    """Refuse a set command with more than ``limit`` arguments (plain ``ERROR``)."""
    if len(command.args) > limit:
        raise Refusal.plain()


if TYPE_CHECKING:
    HandlerType = Callable[[ModemState, Command, Reply], None]

__all__ = ["PromptRequest", "Reply", "int_arg", "str_arg", "too_many"]
