"""Incoming calls on one modem: feed the call codes to the tracker, reject calls, hand events up.

The driver owns one :class:`CallControl` per modem for its whole life (calls survive a
reconnect of the port: a call left ringing ends by its silence timer). It passes every call code
the modem sends (:data:`~smsd.modem.calls.CALL_URCS`) to :meth:`CallControl.on_urc` and calls
:meth:`CallControl.tick` whenever :attr:`CallControl.deadline` passes. Rejecting a call is
``ATH``, or ``AT+CHUP`` when a modem refuses ``ATH``; when both are refused the call is left to
ring out and is recorded when it ends.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from smsd.at.errors import AtTimeout, CommandFailed
from smsd.modem.calls import CallEnded, CallTracker, HangUp, IncomingCall

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from structlog.typing import FilteringBoundLogger

    from smsd.at.events import Urc
    from smsd.at.transport import AtTransport
    from smsd.modem.calls import CallAction, CallEvent

HANGUP_COMMANDS = ("ATH", "AT+CHUP")
"""Tried in order to reject a ringing call (V.250 hook control, then TS 27.007 §6.5)."""
HANGUP_TIMEOUT = 5.0


def _wall_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class CallControl:
    """Tracks the calls of one modem and rejects them when asked to."""

    def __init__(
        self,
        tracker: CallTracker,
        *,
        hand_up: Callable[[CallEvent], Awaitable[None]],
        log: FilteringBoundLogger,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = _wall_now,
    ) -> None:
        self.tracker = tracker
        self._hand_up = hand_up
        self._log = log
        self._clock = clock
        self._wall_clock = wall_clock

    @property
    def deadline(self) -> float:
        """When :meth:`tick` must run next, on the ``clock`` scale (``inf``: nothing waits)."""
        deadline = self.tracker.deadline
        return math.inf if deadline is None else deadline

    async def on_urc(self, transport: AtTransport, urc: Urc) -> None:
        """One call code from the modem."""
        actions = self.tracker.receive(
            urc.name.upper(), urc.value, now=self._clock(), wall=self._wall_clock()
        )
        await self._carry_out(transport, actions)

    async def tick(self, transport: AtTransport) -> None:
        """Act on the timers that passed (unknown caller announced, silent call ended)."""
        if self._clock() < self.deadline:
            return
        await self._carry_out(
            transport, self.tracker.expire(now=self._clock(), wall=self._wall_clock())
        )

    async def _carry_out(self, transport: AtTransport, actions: Sequence[CallAction]) -> None:
        for action in actions:
            if isinstance(action, HangUp):
                ok = await self._reject(transport)
                more = self.tracker.hung_up(ok=ok, now=self._clock(), wall=self._wall_clock())
                await self._carry_out(transport, more)
                continue
            if isinstance(action, IncomingCall):
                self._log.info("call_ringing", uid=action.uid, origin=action.number)
            elif isinstance(action, CallEnded):
                self._log.info("call_ended", uid=action.uid, reason=action.reason.value)
            await self._deliver(action)

    async def _reject(self, transport: AtTransport) -> bool:
        for command in HANGUP_COMMANDS:
            try:
                await transport.command(command, timeout=HANGUP_TIMEOUT)
            except (CommandFailed, AtTimeout) as exc:
                self._log.debug("call_hangup_refused", command=command, error=str(exc))
                continue
            return True
        self._log.warning("call_hangup_failed", tried=list(HANGUP_COMMANDS))
        return False

    async def _deliver(self, event: CallEvent) -> None:
        try:
            await self._hand_up(event)
        except Exception:  # noqa: BLE001 - a call not recorded must not stop the modem
            self._log.exception("call_not_recorded", uid=event.uid)


__all__ = ["HANGUP_COMMANDS", "CallControl"]
