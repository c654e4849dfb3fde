"""Incoming voice calls at the virtual modem: the rings it announces and the commands that end them.

The network side (:meth:`~smsd.modem.virtual.responder.VirtualModem.ring`) starts a call; each
ring is ``RING`` (``+CRING: VOICE`` after ``AT+CRC=1``) followed, after ``AT+CLIP=1``, by
``+CLIP: "<number>",<type>,,,,0`` (TS 27.007 §7.18) when the caller's number is known.
``ATH``/``AT+CHUP`` reject the call: ``OK``, then the call's end code if it has one
(``NO CARRIER``, ``^CEND:...``), as some modems send and others do not. The ``caller_id`` fault
makes ``AT+CLIP`` an unknown command and drops the ``+CLIP`` lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.modem.virtual.general import BAD_PARAMETER
from smsd.modem.virtual.reply import int_arg, too_many
from smsd.modem.virtual.results import Refusal
from smsd.modem.virtual.state import RingingCall
from smsd.modem.virtual.syntax import Op

if TYPE_CHECKING:
    from smsd.modem.virtual.reply import HandlerType, Reply
    from smsd.modem.virtual.state import ModemState
    from smsd.modem.virtual.syntax import Command

TOA_INTERNATIONAL = 145
TOA_UNKNOWN = 129


def start_call(state: ModemState, number: str | None, end_urc: str | None) -> tuple[str, ...]:
    """A call arrives from the network: remember it and return its first ring's lines."""
    state.call = RingingCall(number, end_urc)
    return ring_lines(state)


def ring_lines(state: ModemState) -> tuple[str, ...]:
    """The lines of one ring of the current call (nothing when no call rings)."""
    call = state.call
    if call is None:
        return ()
    lines = ["+CRING: VOICE" if state.settings.crc else "RING"]
    if state.settings.clip and state.faults.caller_id and call.number is not None:
        toa = TOA_INTERNATIONAL if call.number.startswith("+") else TOA_UNKNOWN
        lines.append(f'+CLIP: "{call.number}",{toa},,,,0')
    return tuple(lines)


def end_call(state: ModemState) -> tuple[str, ...]:
    """The call ends (caller gave up, or the host rejected it): its end code, if any."""
    call, state.call = state.call, None
    if call is None or call.end_urc is None:
        return ()
    return (call.end_urc,)


def hang_up(state: ModemState, command: Command, reply: Reply) -> None:
    """``ATH``/``ATH0``/``AT+CHUP``: reject the ringing call (``OK`` even with no call)."""
    if command.op is not Op.EXEC or (command.args and command.args[0] not in {"0", None}):
        raise Refusal.plain()
    state.hangups.append("ATH" if command.name == "H" else f"AT{command.name}")
    ending = end_call(state)
    if ending:
        reply.after.append(ending)


def _switch(state: ModemState, command: Command, reply: Reply, field: str, prefix: str) -> None:
    if command.op is Op.SET:
        too_many(command, 1)
        value = int_arg(command, 0, 0, 1, error=Refusal.cme(BAD_PARAMETER))
        setattr(state.settings, field, value)
    elif command.op is Op.READ:
        extra = ",1" if field == "clip" else ""  # <m> = 1: CLIP provisioned
        reply.info(f"{prefix}: {getattr(state.settings, field)}{extra}")
    elif command.op is Op.TEST:
        reply.info(f"{prefix}: (0,1)")
    else:
        raise Refusal.plain()


def clip(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CLIP``: caller id after each ``RING`` on (1) or off (0)."""
    if not state.faults.caller_id:
        raise Refusal.unsupported()
    _switch(state, command, reply, "clip", "+CLIP")


def crc(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CRC``: ``+CRING: <type>`` (1) instead of ``RING`` (0)."""
    _switch(state, command, reply, "crc", "+CRC")


HANDLERS: dict[str, HandlerType] = {
    "H": hang_up,
    "+CHUP": hang_up,
    "+CLIP": clip,
    "+CRC": crc,
}

__all__ = ["HANDLERS", "end_call", "ring_lines", "start_call"]
