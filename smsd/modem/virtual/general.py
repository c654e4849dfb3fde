"""Handlers of the general commands: V.250 basics, identity, SIM PIN, network, power.

Each handler takes ``(state, command, reply)``, adds information lines to ``reply`` and raises
:class:`~smsd.modem.virtual.results.Refusal` to fail; the responder frames the result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.modem.virtual.identity import swap_nibbles
from smsd.modem.virtual.reply import int_arg, str_arg, too_many
from smsd.modem.virtual.results import Refusal
from smsd.modem.virtual.state import SimState
from smsd.modem.virtual.syntax import Op, is_decimal

if TYPE_CHECKING:
    from smsd.modem.virtual.reply import HandlerType, Reply
    from smsd.modem.virtual.state import ModemState
    from smsd.modem.virtual.syntax import Command

BAD_PARAMETER = 50  # +CME ERROR: incorrect parameters
LOCATION_AREA = "1A2B"
CELL_ID = "01C3D4E5"
ACCESS_TECHNOLOGY = 7  # E-UTRAN


def sim_busy(state: ModemState) -> bool:
    """Whether the SIM is still busy for this command (and count it)."""
    if state.faults.sim_busy > 0:
        state.faults.sim_busy -= 1
        return True
    return False


def require_sim(state: ModemState) -> None:
    """Refuse with the +CME code for a missing, busy or locked SIM."""
    if not state.faults.sim_present:
        raise Refusal.cme(10)
    if sim_busy(state):
        raise Refusal.cme(14)
    sim = state.sim_state()
    if sim is SimState.SIM_PIN:
        raise Refusal.cme(11)
    if sim is SimState.SIM_PUK:
        raise Refusal.cme(12)


def _basic_flag(command: Command, *, allowed: tuple[int, ...]) -> int:
    text = command.args[0] if command.args else None
    value = int(text) if text and is_decimal(text) else 0
    if value not in allowed:
        raise Refusal.plain()
    return value


def echo(state: ModemState, command: Command, reply: Reply) -> None:  # noqa: ARG001
    """``ATE0`` / ``ATE1``."""
    state.faults.echo = _basic_flag(command, allowed=(0, 1)) == 1


def verbose(state: ModemState, command: Command, reply: Reply) -> None:  # noqa: ARG001
    """``ATV1`` (verbose results) is the only form supported; ``ATV0`` answers ``ERROR``."""
    _basic_flag(command, allowed=(1,))


def quiet(state: ModemState, command: Command, reply: Reply) -> None:  # noqa: ARG001
    """``ATQ0`` (results on) is the only form supported."""
    _basic_flag(command, allowed=(0,))


def accept_flag(state: ModemState, command: Command, reply: Reply) -> None:  # noqa: ARG001
    """``AT&C``, ``AT&D``, ``AT&W``: accepted and without effect on a virtual line."""
    _basic_flag(command, allowed=(0, 1, 2))


def reset(state: ModemState, command: Command, reply: Reply) -> None:  # noqa: ARG001
    """``ATZ`` / ``AT&F``: power-on settings back (echo on again)."""
    _basic_flag(command, allowed=(0,))
    state.reset()


def s_register(state: ModemState, command: Command, reply: Reply) -> None:
    """``ATS<n>=<v>`` / ``ATS<n>?``."""
    register = int(command.name[1:])
    if register > 255:
        raise Refusal.plain()
    if command.op is Op.SET:
        state.settings.s_registers[register] = int_arg(command, 0, 0, 255, error=Refusal.plain())
    elif command.op is Op.READ:
        reply.info(f"{state.settings.s_registers.get(register, 0):03d}")
    elif command.op is Op.TEST:
        reply.info("(0-255)")


def information(state: ModemState, command: Command, reply: Reply) -> None:  # noqa: ARG001
    """``ATI``: the Huawei-style identification block."""
    identity = state.identity
    reply.info(
        f"Manufacturer: {identity.manufacturer}",
        f"Model: {identity.model}",
        f"Revision: {identity.revision}",
        f"IMEI: {identity.imei}",
        "+GCAP: +CGSM,+DS,+ES",
    )


def _identity_line(text: str) -> HandlerType:
    def handler(state: ModemState, command: Command, reply: Reply) -> None:
        if command.op is Op.TEST:
            return
        if command.op is not Op.EXEC:
            raise Refusal.plain()
        reply.info(getattr(state.identity, text))

    return handler


def capabilities(state: ModemState, command: Command, reply: Reply) -> None:  # noqa: ARG001
    """``AT+GCAP``."""
    reply.info("+GCAP: +CGSM,+DS,+ES")


def cmee(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CMEE=<n>``: 0 plain ERROR, 1 numeric, 2 verbose."""
    if command.op is Op.SET:
        too_many(command, 1)
        state.settings.cmee = int_arg(command, 0, 0, 2, error=Refusal.plain(), default=0)
    elif command.op is Op.READ:
        reply.info(f"+CMEE: {state.settings.cmee}")
    elif command.op is Op.TEST:
        reply.info("+CMEE: (0-2)")
    else:
        state.settings.cmee = 0


def cimi(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CIMI``: the IMSI (needs an unlocked SIM)."""
    if command.op is Op.TEST:
        return
    require_sim(state)
    reply.info(state.identity.imsi)


def iccid(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CCID``, ``AT+ICCID``, ``AT^ICCID?``: readable without the PIN, like on real SIMs."""
    if command.op is Op.TEST:
        return
    if not state.faults.sim_present:
        raise Refusal.cme(10)
    if command.name == "^ICCID":
        if command.op is not Op.READ:
            raise Refusal.plain()
        reply.info(f"^ICCID: {swap_nibbles(state.identity.iccid)}")
        return
    reply.info(f"{command.name}: {state.identity.iccid}")


def cnum(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CNUM``: the subscriber number, when the SIM knows it."""
    if command.op is Op.TEST:
        return
    require_sim(state)
    if state.number:
        kind = 145 if state.number.startswith("+") else 129
        reply.info(f'+CNUM: "","{state.number}",{kind}')


def cpin(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CPIN?`` / ``AT+CPIN="<pin>"`` / ``AT+CPIN="<puk>","<new pin>"``."""
    if not state.faults.sim_present:
        raise Refusal.cme(10)
    if sim_busy(state):
        raise Refusal.cme(14)
    if command.op is Op.READ:
        reply.info(f"+CPIN: {state.sim_state().value}")
        return
    if command.op is Op.TEST:
        return
    if command.op is not Op.SET:
        raise Refusal.plain()
    too_many(command, 2)
    code = str_arg(command, 0, error=Refusal.cme(BAD_PARAMETER))
    sim = state.sim_state()
    if sim is SimState.READY:
        raise Refusal.cme(3)
    if sim is SimState.SIM_PIN:
        if code != state.faults.pin:
            state.pin_tries -= 1
            raise Refusal.cme(16)
        state.sim_unlocked = True
        state.pin_tries = 3
        return
    new_pin = str_arg(command, 1, error=Refusal.cme(BAD_PARAMETER))
    if state.puk_tries <= 0 or code != state.puk:
        state.puk_tries = max(0, state.puk_tries - 1)
        raise Refusal.cme(16)
    state.faults.pin = new_pin
    state.sim_unlocked = True
    state.pin_tries = 3
    state.puk_tries = 10


def csq(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CSQ``: rssi from the fault switches, bit error rate unknown."""
    if command.op is Op.TEST:
        reply.info("+CSQ: (0-31,99),(0-7,99)")
        return
    rssi = state.faults.signal if state.cfun == 1 else 99
    reply.info(f"+CSQ: {rssi},99")


def registration_status(state: ModemState) -> int:
    """27.007 ``<stat>``: 1 registered (home), 0 not registered and not searching."""
    return 1 if state.is_registered() else 0


def registration_line(prefix: str, mode: int, state: ModemState) -> str:
    """A ``+CREG: <n>,<stat>[,<lac>,<ci>,<act>]`` answer to a read."""
    stat = registration_status(state)
    if mode == 2 and stat == 1:
        return f'{prefix}: {mode},{stat},"{LOCATION_AREA}","{CELL_ID}",{ACCESS_TECHNOLOGY}'
    return f"{prefix}: {mode},{stat}"


def creg(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CREG`` and ``AT+CGREG``: read, set the URC mode (0..2), test."""
    settings = state.settings
    current = settings.creg if command.name == "+CREG" else settings.cgreg
    if command.op is Op.READ:
        reply.info(registration_line(command.name, current, state))
    elif command.op is Op.TEST:
        reply.info(f"{command.name}: (0-2)")
    elif command.op is Op.SET:
        too_many(command, 1)
        mode = int_arg(command, 0, 0, 2, error=Refusal.cme(BAD_PARAMETER), default=0)
        if command.name == "+CREG":
            settings.creg = mode
        else:
            settings.cgreg = mode
    else:
        raise Refusal.plain()


def cops(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+COPS?`` (operator in long, short or numeric form), ``AT+COPS=<mode>[,<format>]``."""
    identity = state.identity
    if command.op is Op.READ:
        if not state.is_registered():
            reply.info("+COPS: 0")
            return
        fmt = state.settings.cops_format
        names = (identity.operator, identity.operator_short, identity.operator_numeric)
        reply.info(f'+COPS: 0,{fmt},"{names[fmt]}",{ACCESS_TECHNOLOGY}')
    elif command.op is Op.TEST:
        reply.info(
            f'+COPS: (2,"{identity.operator}","{identity.operator_short}",'
            f'"{identity.operator_numeric}",{ACCESS_TECHNOLOGY}),,(0-4),(0-2)'
        )
    elif command.op is Op.SET:
        too_many(command, 4)
        int_arg(command, 0, 0, 4, error=Refusal.cme(BAD_PARAMETER), default=0)
        if len(command.args) > 1:
            state.settings.cops_format = int_arg(
                command, 1, 0, 2, error=Refusal.cme(BAD_PARAMETER), default=0
            )
    else:
        raise Refusal.plain()


def cfun(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CFUN?`` / ``AT+CFUN=<fun>[,<rst>]`` (``1,1`` resets, and may unplug the device)."""
    if command.op is Op.READ:
        reply.info(f"+CFUN: {state.cfun}")
    elif command.op is Op.TEST:
        reply.info("+CFUN: (0,1,4),(0-1)")
    elif command.op is Op.SET:
        too_many(command, 2)
        fun = int_arg(command, 0, 0, 4, error=Refusal.cme(BAD_PARAMETER))
        if fun not in (0, 1, 4):
            raise Refusal.cme(BAD_PARAMETER)
        restart = int_arg(command, 1, 0, 1, error=Refusal.cme(BAD_PARAMETER), default=0)
        state.cfun = fun
        if restart:
            state.restart()
            reply.hangup = state.faults.reset_unplugs
    else:
        raise Refusal.plain()


def _switch(name: str, setting: str) -> HandlerType:
    """A ``<name>=<0|1>`` setting kept in ``state.settings.<setting>``, readable with ``?``."""

    def handler(state: ModemState, command: Command, reply: Reply) -> None:
        if command.op is Op.SET:
            too_many(command, 1)
            value = int_arg(command, 0, 0, 1, error=Refusal.cme(BAD_PARAMETER))
            setattr(state.settings, setting, value)
        elif command.op is Op.READ:
            reply.info(f"{name}: {getattr(state.settings, setting)}")
        elif command.op is Op.TEST:
            reply.info(f"{name}: (0-1)")
        else:
            raise Refusal.plain()

    return handler


def cscs(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CSCS``: the TE character set (only matters in text mode, accepted for init scripts)."""
    sets = ("GSM", "IRA", "UCS2")
    if command.op is Op.SET:
        too_many(command, 1)
        value = str_arg(command, 0, error=Refusal.cme(BAD_PARAMETER)).upper()
        if value not in sets:
            raise Refusal.cme(BAD_PARAMETER)
        state.settings.cscs = value
    elif command.op is Op.READ:
        reply.info(f'+CSCS: "{state.settings.cscs}"')
    elif command.op is Op.TEST:
        reply.info("+CSCS: (" + ",".join(f'"{name}"' for name in sets) + ")")
    else:
        raise Refusal.plain()


HANDLERS: dict[str, HandlerType] = {
    "E": echo,
    "V": verbose,
    "Q": quiet,
    "Z": reset,
    "&F": reset,
    "&C": accept_flag,
    "&D": accept_flag,
    "&W": accept_flag,
    "I": information,
    "+GCAP": capabilities,
    "+CMEE": cmee,
    "+CGMI": _identity_line("manufacturer"),
    "+GMI": _identity_line("manufacturer"),
    "+CGMM": _identity_line("model"),
    "+GMM": _identity_line("model"),
    "+CGMR": _identity_line("revision"),
    "+GMR": _identity_line("revision"),
    "+CGSN": _identity_line("imei"),
    "+GSN": _identity_line("imei"),
    "+CIMI": cimi,
    "+CCID": iccid,
    "+ICCID": iccid,
    "^ICCID": iccid,
    "+CNUM": cnum,
    "+CPIN": cpin,
    "+CSQ": csq,
    "+CREG": creg,
    "+CGREG": creg,
    "+COPS": cops,
    "+CFUN": cfun,
    # Huawei: periodic status URCs on (1) or off (0); which port carries URCs (0 modem, 1 PC UI).
    "^CURC": _switch("^CURC", "curc"),
    "^PORTSEL": _switch("^PORTSEL", "portsel"),
    "+CSCS": cscs,
}

__all__ = ["HANDLERS", "registration_line", "registration_status", "require_sim", "sim_busy"]
