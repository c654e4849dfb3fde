"""Handlers of the 27.005 SMS commands (PDU mode): storage, indications, send, read, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd import pdu
from smsd.modem.virtual.general import sim_busy
from smsd.modem.virtual.inbound import flush_held, retry_network_queue
from smsd.modem.virtual.reply import PromptRequest, int_arg, str_arg, too_many
from smsd.modem.virtual.results import Refusal
from smsd.modem.virtual.state import Cnmi, SimState
from smsd.modem.virtual.storage import DeleteFlag, MessageStat, StoredMessage
from smsd.modem.virtual.submission import MAX_TPDU_LENGTH, submit_to_network
from smsd.modem.virtual.syntax import Op, is_decimal

if TYPE_CHECKING:
    from smsd.modem.virtual.reply import HandlerType, Reply
    from smsd.modem.virtual.state import ModemState
    from smsd.modem.virtual.storage import Memory
    from smsd.modem.virtual.syntax import Command

NOT_ALLOWED = 302
NOT_SUPPORTED = 303
INVALID_PDU = 304
INVALID_INDEX = 321
MEMORY_FULL = 322
NO_CNMA_EXPECTED = 340
RECEIVE_MEMORIES = ("SM", "ME")  # what <mem2>/<mem3> may name; "SR" only holds reports


def require_sms(state: ModemState) -> None:
    """Refuse with the +CMS code for a missing, busy or locked SIM."""
    if not state.faults.sim_present:
        raise Refusal.cms(310)
    if sim_busy(state):
        raise Refusal.cms(314)
    sim = state.sim_state()
    if sim is SimState.SIM_PIN:
        raise Refusal.cms(311)
    if sim is SimState.SIM_PUK:
        raise Refusal.cms(316)


def _reading_memory(state: ModemState) -> Memory:
    return state.memories[state.cpms[0]]


def cmgf(state: ModemState, command: Command, reply: Reply) -> None:  # noqa: ARG001
    """``AT+CMGF``: PDU mode (0) only; text mode is refused as not supported."""
    if command.op is Op.SET:
        too_many(command, 1)
        if int_arg(command, 0, 0, 1, error=Refusal.plain(), default=0) != 0:
            raise Refusal.cms(NOT_SUPPORTED)
    elif command.op is Op.READ:
        reply.info("+CMGF: 0")
    elif command.op is Op.TEST:
        reply.info("+CMGF: (0)")
    else:
        raise Refusal.plain()


def csms(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CSMS``: message service 0 (phase 2) or 1 (phase 2+, ``AT+CNMA`` required)."""
    if command.op is Op.SET:
        too_many(command, 1)
        state.settings.csms = int_arg(command, 0, 0, 1, error=Refusal.cms(NOT_ALLOWED))
        reply.info("+CSMS: 1,1,1")
    elif command.op is Op.READ:
        reply.info(f"+CSMS: {state.settings.csms},1,1,1")
    elif command.op is Op.TEST:
        reply.info("+CSMS: (0,1)")
    else:
        raise Refusal.plain()


def cpms(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CPMS=<mem1>[,<mem2>[,<mem3>]]`` / ``AT+CPMS?`` / ``AT+CPMS=?``."""
    names = list(state.memories)
    if command.op is Op.TEST:
        readable = ",".join(f'"{name}"' for name in names)
        writable = ",".join(f'"{name}"' for name in names if name in RECEIVE_MEMORIES)
        reply.info(f"+CPMS: ({readable}),({writable}),({writable})")
        return
    require_sms(state)
    if command.op is Op.READ:
        parts = []
        for name in state.cpms:
            memory = state.memories[name]
            parts.append(f'"{name}",{memory.used},{memory.total}')
        reply.info("+CPMS: " + ",".join(parts))
        return
    if command.op is not Op.SET or not 1 <= len(command.args) <= 3:
        raise Refusal.plain()
    chosen = list(state.cpms)
    for position, value in enumerate(command.args):
        name = (value or "").upper()
        allowed = names if position == 0 else RECEIVE_MEMORIES
        if name not in allowed or name not in state.memories:
            raise Refusal.cms(NOT_ALLOWED)
        chosen[position] = name
    state.cpms = chosen
    counts = []
    for name in chosen:
        memory = state.memories[name]
        counts.append(f"{memory.used},{memory.total}")
    reply.info("+CPMS: " + ",".join(counts))


def cnmi(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>``: how new messages and reports are indicated."""
    if command.op is Op.READ:
        reply.info(f"+CNMI: {state.settings.cnmi}")
        return
    if command.op is Op.TEST:
        reply.info("+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)")
        return
    if command.op is not Op.SET:
        raise Refusal.plain()
    too_many(command, 5)
    bad = Refusal.cms(NOT_SUPPORTED)
    current = state.settings.cnmi
    setting = Cnmi(
        mode=int_arg(command, 0, 0, 2, error=bad, default=current.mode),
        mt=int_arg(command, 1, 0, 3, error=bad, default=current.mt),
        bm=int_arg(command, 2, 0, 2, error=bad, default=current.bm),
        ds=int_arg(command, 3, 0, 2, error=bad, default=current.ds),
        bfr=int_arg(command, 4, 0, 1, error=bad, default=current.bfr),
    )
    if setting.bm == 1:
        raise bad
    state.settings.cnmi = setting
    if setting.mode != 0:
        if setting.bfr == 1:
            state.held_urcs.clear()
        reply.after.extend(flush_held(state))


def cnma(state: ModemState, command: Command, reply: Reply) -> None:  # noqa: ARG001
    """``AT+CNMA``: acknowledge a ``+CMT``/``+CDS`` (only expected with ``AT+CSMS=1``)."""
    if command.op is Op.TEST:
        return
    if state.cnma_expected <= 0:
        raise Refusal.cms(NO_CNMA_EXPECTED)
    state.cnma_expected -= 1


def csca(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CSCA?`` / ``AT+CSCA="<number>"[,<type>]``: the service centre address."""
    if command.op is Op.READ:
        require_sms(state)
        number = state.smsc or ""
        kind = 145 if number.startswith("+") else 129
        reply.info(f'+CSCA: "{number}",{kind}')
    elif command.op is Op.SET:
        require_sms(state)
        too_many(command, 2)
        number = str_arg(command, 0, error=Refusal.cms(NOT_ALLOWED))
        digits = number.removeprefix("+")
        if not is_decimal(digits) or len(digits) > 20:
            raise Refusal.cms(NOT_ALLOWED)
        kind = int_arg(command, 1, 0, 255, error=Refusal.cms(NOT_ALLOWED), default=0)
        state.smsc = "+" + digits if kind == 145 or number.startswith("+") else digits
    elif command.op is not Op.TEST:
        raise Refusal.plain()


def csmp(state: ModemState, command: Command, reply: Reply) -> None:  # noqa: ARG001
    """``AT+CSMP``: text-mode parameters; accepted (init scripts send it) and unused in PDU mode."""
    if command.op is Op.READ:
        reply.info("+CSMP: 17,167,0,0")
    elif command.op is Op.SET:
        too_many(command, 4)
        for position in range(len(command.args)):
            int_arg(command, position, 0, 255, error=Refusal.cms(NOT_ALLOWED), default=0)
    elif command.op is not Op.TEST:
        raise Refusal.plain()


def cmms(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CMMS=<n>``: keep the relay link open between parts (0..2)."""
    if command.op is Op.SET:
        too_many(command, 1)
        state.settings.cmms = int_arg(command, 0, 0, 2, error=Refusal.cms(NOT_ALLOWED), default=0)
    elif command.op is Op.READ:
        reply.info(f"+CMMS: {state.settings.cmms}")
    elif command.op is Op.TEST:
        reply.info("+CMMS: (0-2)")
    else:
        raise Refusal.plain()


def prompt_for_pdu(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CMGS=<length>`` / ``AT+CMGW=<length>[,<stat>]``: answer ``> `` and wait for the PDU."""
    if command.op is Op.TEST:
        return
    if command.op is not Op.SET:
        raise Refusal.plain()
    require_sms(state)
    too_many(command, 2)
    length = int_arg(command, 0, 1, MAX_TPDU_LENGTH, error=Refusal.cms(INVALID_PDU))
    stat: MessageStat | None = None
    if command.name == "+CMGW":
        stat = MessageStat(
            int_arg(
                command, 1, 2, 3, error=Refusal.cms(NOT_ALLOWED), default=MessageStat.STO_UNSENT
            )
        )
    elif len(command.args) > 1:
        raise Refusal.plain()
    reply.prompt = PromptRequest(command.name, length, stat)


def cmss(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CMSS=<index>``: send a message stored with ``AT+CMGW``; answer ``+CMSS: <mr>``."""
    if command.op is Op.TEST:
        return
    if command.op is not Op.SET:
        raise Refusal.plain()
    require_sms(state)
    memory = state.memories[state.cpms[1]]
    index = int_arg(command, 0, 0, 65535, error=Refusal.cms(INVALID_INDEX))
    stored = memory.get(index)
    if stored is None or stored.stat not in (MessageStat.STO_UNSENT, MessageStat.STO_SENT):
        raise Refusal.cms(INVALID_INDEX)
    try:
        message = pdu.decode(stored.pdu)
    except pdu.PDUError as exc:
        raise Refusal.cms(INVALID_PDU) from exc
    if not isinstance(message, pdu.Submit):
        raise Refusal.cms(INVALID_PDU)
    reference = submit_to_network(state, stored.pdu, message, now=reply.now)
    memory.put(index, StoredMessage(stored.pdu, stored.tpdu_length, MessageStat.STO_SENT))
    reply.info(f"+CMSS: {reference}")


def cmgl(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CMGL[=<stat>]``: list stored messages (header line + PDU line each)."""
    if command.op is Op.TEST:
        reply.info("+CMGL: (0-4)")
        return
    if command.op not in (Op.SET, Op.EXEC):
        raise Refusal.plain()
    require_sms(state)
    too_many(command, 1)
    stat = MessageStat(int_arg(command, 0, 0, 4, error=Refusal.cms(NOT_ALLOWED), default=0))
    for index, message in _reading_memory(state).listing(stat):
        reply.info(f"+CMGL: {index},{message.stat.value},,{message.tpdu_length}", message.hex)


def cmgr(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CMGR=<index>``: read one message; an empty slot is ``+CMS ERROR: 321``."""
    if command.op is Op.TEST:
        return
    if command.op is not Op.SET:
        raise Refusal.plain()
    require_sms(state)
    too_many(command, 1)
    index = int_arg(command, 0, 0, 65535, error=Refusal.cms(INVALID_INDEX))
    message = _reading_memory(state).read(index)
    if message is None:
        raise Refusal.cms(INVALID_INDEX)
    reply.info(f"+CMGR: {message.stat.value},,{message.tpdu_length}", message.hex)


def cmgd(state: ModemState, command: Command, reply: Reply) -> None:
    """``AT+CMGD=<index>[,<delflag>]``: delete; freeing a slot lets the network deliver again."""
    memory = _reading_memory(state)
    if command.op is Op.TEST:
        used = ",".join(str(index) for index in memory.occupied())
        reply.info(f"+CMGD: ({used}),(0-4)")
        return
    if command.op is not Op.SET:
        raise Refusal.plain()
    require_sms(state)
    too_many(command, 2)
    flag = DeleteFlag(int_arg(command, 1, 0, 4, error=Refusal.cms(NOT_ALLOWED), default=0))
    index = 0
    if flag is DeleteFlag.INDEX:
        index = int_arg(command, 0, 0, 65535, error=Refusal.cms(INVALID_INDEX))
        if not memory.valid_index(index):
            raise Refusal.cms(INVALID_INDEX)
    memory.delete(index, flag)
    reply.after.extend(retry_network_queue(state, busy=False))


HANDLERS: dict[str, HandlerType] = {
    "+CMGF": cmgf,
    "+CSMS": csms,
    "+CPMS": cpms,
    "+CNMI": cnmi,
    "+CNMA": cnma,
    "+CSCA": csca,
    "+CSMP": csmp,
    "+CMMS": cmms,
    "+CMGS": prompt_for_pdu,
    "+CMGW": prompt_for_pdu,
    "+CMSS": cmss,
    "+CMGL": cmgl,
    "+CMGR": cmgr,
    "+CMGD": cmgd,
}

__all__ = ["HANDLERS", "require_sms"]
