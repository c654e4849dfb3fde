r"""Incoming voice calls: read the codes that announce and end them, track one call at a time.

An SMS gateway cannot take calls, but it can tell who called and reject the call. A dongle
announces a call with ``RING`` (or ``+CRING: VOICE`` after ``AT+CRC=1``) about every five
seconds, each followed by ``+CLIP: "<number>",<type>,...`` when caller id is on
(``AT+CLIP=1``, TS 27.007 §7.18). The end of a call is ``NO CARRIER``, Huawei's
``^CEND:<id>,<duration>,<end status>[,<cause>]``, or only the absence of the next ``RING``.

Pure: no I/O and no clock. :class:`CallTracker` is fed the unsolicited codes with ``now``
(monotonic seconds, for its timers) and ``wall`` (the calendar time recorded in the events), and
answers with what to do: hand an :class:`IncomingCall` or a :class:`CallEnded` up, or
:class:`HangUp` (reject the call with ``ATH``). Its rules:

=========== ================================== ==============================================
state       input                              effect
=========== ================================== ==============================================
IDLE        ``RING``/``+CRING`` (not GPRS)     RINGING; start = wall; wait ``clip_wait`` for
                                               the caller id
IDLE        ``+CLIP``                          RINGING with the number known: announce
RINGING     ``+CLIP``, number not known yet    number known: announce
RINGING     ``clip_wait`` passed               announce with the number unknown (``None``)
RINGING     ``RING``/``+CRING``/``+CLIP``      still ringing: the silence timer restarts
RINGING     ``NO CARRIER``/``^CEND``           CallEnded (announced first if it was not yet)
RINGING     ``ring_silence`` without a ring    CallEnded (the caller gave up), at the last ring
REJECTING   :meth:`hung_up` ok                 CallEnded (REJECTED); SETTLING
REJECTING   :meth:`hung_up` failed             RINGING, no further hang-up attempt
SETTLING    any call code within ``settle``    ignored (the tail of the rejected call)
SETTLING    ``settle`` passed                  IDLE
=========== ================================== ==============================================

"Announce" hands up an :class:`IncomingCall` and, when ``hangup`` is on, asks for a
:class:`HangUp` (state REJECTING until the driver reports the outcome with :meth:`hung_up`).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.at.errors import MalformedResponse
from smsd.at.params import split_params

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "CALL_URCS",
    "CLIP_WAIT",
    "RING_SILENCE",
    "SETTLE",
    "CallEnded",
    "CallEvent",
    "CallState",
    "CallTracker",
    "CallerId",
    "EndReason",
    "HangUp",
    "parse_clip",
]

CLIP_WAIT = 1.0
"""Seconds after the first ``RING`` to wait for ``+CLIP`` before announcing an unknown caller."""
RING_SILENCE = 6.0
"""Seconds without a ``RING`` after which the caller has given up (rings come every ~5 s)."""
SETTLE = 2.0
"""Seconds after a rejection during which late ``RING``/``+CLIP`` lines belong to that call."""

RING = "RING"
CRING = "+CRING"
CLIP = "+CLIP"
NO_CARRIER = "NO CARRIER"
CEND = "^CEND"
CALL_URCS = frozenset({RING, CRING, CLIP, NO_CARRIER, CEND})
"""Unsolicited codes (as :class:`~smsd.at.events.Urc` names) the tracker reads."""

# TS 27.007 §7.18 <CLI validity>: 0 valid, 1 withheld by the caller, 2 not available.
_CLI_VALID = 0
_VALIDITY_FIELD = 5
_TOA_INTERNATIONAL = 145  # TS 24.008 type of number "international", ISDN plan
_MAX_NUMBER = 20  # longer "numbers" are garbage (and RaspiSMS keeps 20 characters)


class CallState(enum.Enum):
    """Where the tracker is with the current call."""

    IDLE = "idle"
    RINGING = "ringing"
    REJECTING = "rejecting"
    SETTLING = "settling"


class EndReason(enum.Enum):
    """Why a call ended."""

    REJECTED = "rejected"
    """We hung up (``ATH``/``AT+CHUP`` answered OK)."""
    NO_CARRIER = "no_carrier"
    """The modem said ``NO CARRIER``."""
    CALL_END = "call_end"
    """The modem said ``^CEND`` (Huawei)."""
    SILENCE = "silence"
    """No ``RING`` came for :data:`RING_SILENCE` seconds."""


@dataclass(frozen=True, slots=True)
class CallerId:
    """A parsed ``+CLIP`` line: the number when the network gave one, and its TOA."""

    number: str | None
    type_of_address: int | None = None
    validity: int = _CLI_VALID


@dataclass(frozen=True, slots=True)
class IncomingCall:
    """A call rings on ``modem``; ``number`` is ``None`` when no caller id came (or withheld)."""

    modem: str
    uid: str
    number: str | None
    start: datetime


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The call ``uid`` (announced before by an :class:`IncomingCall`) is over."""

    modem: str
    uid: str
    number: str | None
    start: datetime
    end: datetime
    reason: EndReason


@dataclass(frozen=True, slots=True)
class HangUp:
    """Reject the ringing call ``uid`` now (``ATH``); report with :meth:`CallTracker.hung_up`."""

    uid: str


CallEvent = IncomingCall | CallEnded
CallAction = IncomingCall | CallEnded | HangUp


def parse_clip(value: str) -> CallerId:
    """Parse the value of ``+CLIP: <number>,<type>[,<subaddr>,<satype>[,<alpha>[,<validity>]]]``.

    A withheld or unavailable caller id (validity 1 or 2, or an empty number) gives
    ``number=None``. Raises :class:`MalformedResponse` for a line that is no caller id.
    """
    fields = split_params(value)
    if not fields or not fields[0].quoted:
        raise MalformedResponse("a quoted caller number", value)
    number = fields[0].text.strip()
    toa = _int_field(fields[1].text) if len(fields) > 1 else None
    validity = _int_field(fields[_VALIDITY_FIELD].text) if len(fields) > _VALIDITY_FIELD else None
    validity = _CLI_VALID if validity is None else validity
    if len(number) > _MAX_NUMBER or not all(c.isdigit() or c in "+*#" for c in number):
        raise MalformedResponse("a caller number", value)
    if toa == _TOA_INTERNATIONAL and number and not number.startswith("+"):
        number = "+" + number
    if validity != _CLI_VALID or not number:
        return CallerId(None, toa, validity)
    return CallerId(number, toa, validity)


def _int_field(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def is_ring(name: str, value: str) -> bool:
    """Whether ``RING``/``+CRING: <type>`` announces a call (``+CRING: GPRS ...`` does not)."""
    if name == RING:
        return True
    return name == CRING and not value.strip().upper().startswith("GPRS")


class CallTracker:
    """One modem's incoming call, from the first ``RING`` to its end (see the module's table)."""

    def __init__(
        self,
        modem: str,
        *,
        hangup: bool = True,
        clip_wait: float = CLIP_WAIT,
        ring_silence: float = RING_SILENCE,
        settle: float = SETTLE,
    ) -> None:
        self.modem = modem
        self.hangup = hangup
        self.clip_wait = clip_wait
        self.ring_silence = ring_silence
        self.settle = settle
        self.state = CallState.IDLE
        self._uid = ""
        self._number: str | None = None
        self._start: datetime | None = None
        self._last_ring: datetime | None = None
        self._announced = False
        self._may_hang_up = True
        self._announce_at = math.inf
        self._silent_at = math.inf
        self._settled_at = math.inf
        self._serial = 0

    @property
    def deadline(self) -> float | None:
        """When :meth:`expire` must run next (``now`` scale), or ``None`` when nothing waits."""
        if self.state is CallState.RINGING:
            return min(self._announce_at, self._silent_at)
        if self.state is CallState.SETTLING:
            return self._settled_at
        return None

    def receive(self, name: str, value: str, *, now: float, wall: datetime) -> list[CallAction]:
        """Feed one unsolicited code (``Urc.name`` upper-cased, ``Urc.value``)."""
        if name not in CALL_URCS or (name == CRING and not is_ring(name, value)):
            return []
        actions = self.expire(now=now, wall=wall)
        if self.state in {CallState.SETTLING, CallState.REJECTING}:
            return actions
        if name in {NO_CARRIER, CEND}:
            if self.state is CallState.RINGING:
                reason = EndReason.NO_CARRIER if name == NO_CARRIER else EndReason.CALL_END
                actions.extend(self._end(reason, wall))
            return actions
        caller = _caller(value) if name == CLIP else None
        if self.state is CallState.IDLE:
            self._begin(wall)
        self._last_ring = wall
        self._silent_at = now + self.ring_silence
        if name != CLIP:
            if not self._announced:
                self._announce_at = min(self._announce_at, now + self.clip_wait)
            return actions
        if not self._announced:
            self._number = caller.number if caller is not None else None
            actions.extend(self._announce())
        return actions

    def expire(self, *, now: float, wall: datetime) -> list[CallAction]:
        """Act on the timers that passed at ``now``: announce an unknown caller, end, settle."""
        if self.state is CallState.SETTLING and now >= self._settled_at:
            self.state = CallState.IDLE
            self._settled_at = math.inf
        if self.state is not CallState.RINGING:
            return []
        if now >= self._silent_at:
            return self._end(EndReason.SILENCE, self._last_ring or wall)
        if not self._announced and now >= self._announce_at:
            return self._announce()
        return []

    def hung_up(self, *, ok: bool, now: float, wall: datetime) -> list[CallAction]:
        """Report the outcome of the :class:`HangUp` asked for; ended (ok) or left ringing."""
        if self.state is not CallState.REJECTING:
            return []
        if not ok:
            self.state = CallState.RINGING
            self._may_hang_up = False
            self._silent_at = max(self._silent_at, now + self.ring_silence)
            return []
        actions = self._end(EndReason.REJECTED, wall)
        self.state = CallState.SETTLING
        self._settled_at = now + self.settle
        return actions

    # ------------------------------------------------------------------ internals

    def _begin(self, wall: datetime) -> None:
        self.state = CallState.RINGING
        self._serial += 1
        self._uid = f"{wall:%Y%m%d%H%M%S}-{self._serial}"
        self._number = None
        self._start = wall
        self._announced = False
        self._may_hang_up = True
        self._announce_at = math.inf
        self._silent_at = math.inf

    def _announce(self) -> list[CallAction]:
        assert self._start is not None
        self._announced = True
        self._announce_at = math.inf
        actions: list[CallAction] = [IncomingCall(self.modem, self._uid, self._number, self._start)]
        if self.hangup and self._may_hang_up:
            self.state = CallState.REJECTING
            actions.append(HangUp(self._uid))
        return actions

    def _end(self, reason: EndReason, wall: datetime) -> list[CallAction]:
        actions = [] if self._announced else self._announce_without_hangup()
        assert self._start is not None
        end = max(wall, self._start)
        actions.append(CallEnded(self.modem, self._uid, self._number, self._start, end, reason))
        self.state = CallState.IDLE
        self._announce_at = self._silent_at = math.inf
        return actions

    def _announce_without_hangup(self) -> list[CallAction]:
        self._may_hang_up = False
        return self._announce()


def _caller(value: str) -> CallerId | None:
    try:
        return parse_clip(value)
    except MalformedResponse:
        return None
