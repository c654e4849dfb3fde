r"""The virtual modem: a sans-I/O AT responder built on our own PDU codec.

Bytes from the host go into :meth:`VirtualModem.receive`, which returns the actions to carry out
in order (:class:`Write`, :class:`Delay`, :class:`Hangup`). No I/O, no asyncio, no clock: the
caller passes ``now`` (recorded with each submission) and a ``clock`` for SMSC timestamps.

Input rules (one state machine, two states):

======== ============================== ==================================================
state    byte                           effect
======== ============================== ==================================================
COMMAND  ``\\r`` or ``\\n``             end of line: echo it (line + ``\\r``) when echo is
                                        on, find ``AT``, run its commands; an empty line or
                                        one without ``AT`` is ignored
COMMAND  ``\\b``                        erase the last character
COMMAND  Ctrl-Z, ESC, NUL               ignored (hosts send ESC to clear a stale prompt)
COMMAND  other                          appended; past ``MAX_LINE`` the line is refused
PDU      Ctrl-Z (0x1A)                  echo the PDU, check it, answer the submission
PDU      ESC (0x1B)                     cancel: answer ``OK`` (as Huawei and SIMCom do)
PDU      other                          appended (a CR or any non-hex byte makes it 304)
======== ============================== ==================================================

Output: every reply line is framed ``<line_end><line><line_end>``; the prompt is
``<line_end>> `` with no terminator after it; the PDU after ``+CMT:``/``+CDS:`` and after each
``+CMGL:``/``+CMGR:`` header is on the next line. ``Faults`` alter all of this (noise, garbage,
silence, delays, hang-ups).
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from smsd import pdu
from smsd.modem.virtual import general, sms, ussd, voice
from smsd.modem.virtual.actions import Action, Delay, Hangup, Later, Write
from smsd.modem.virtual.faults import Faults
from smsd.modem.virtual.framing import Output
from smsd.modem.virtual.identity import (
    Identity,
    default_iccid,
    default_imei,
    default_imsi,
)
from smsd.modem.virtual.inbound import (
    UrcLines,
    flush_held,
    receive_deliver,
    receive_report,
)
from smsd.modem.virtual.reply import PromptRequest, Reply
from smsd.modem.virtual.results import Refusal
from smsd.modem.virtual.state import (
    Cnmi,
    ModemState,
    PendingReport,
    Settings,
    SubmittedPdu,
)
from smsd.modem.virtual.storage import Memory, MessageStat, StoredMessage
from smsd.modem.virtual.submission import parse_submission, submit_to_network
from smsd.modem.virtual.syntax import parse_line

if TYPE_CHECKING:
    from collections.abc import Callable

    from smsd.modem.virtual.reply import HandlerType
    from smsd.modem.virtual.storage import Memory as MemoryType

MAX_LINE = 512  # command line bytes kept; 27.007 asks modems for at least 80
MAX_PDU_HEX = 2 * (1 + 11 + 164) + 16  # longest SMSC part + longest SMS-SUBMIT, in hex, plus slack
CTRL_Z = 0x1A
ESC = 0x1B
BACKSPACE = 0x08
_S_REGISTER = re.compile(r"S\d+")
_HANDLERS: dict[str, HandlerType] = {
    **general.HANDLERS,
    **sms.HANDLERS,
    **voice.HANDLERS,
    **ussd.HANDLERS,
}


class InputState(enum.Enum):
    """Where the responder is in the dialogue."""

    COMMAND = "command"
    PDU = "pdu"


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class VirtualModem:
    """A simulated USB GSM dongle (Huawei E3372-like by default) speaking AT in PDU mode.

    ``index_base`` numbers storage slots from 0 (Huawei, ZTE) or 1 (SIMCom, Quectel).
    ``cmee`` is the power-on ``AT+CMEE`` level (27.007 says 0; 1 so that refusals carry their
    code even before the host sets it). ``cnmi`` is the power-on ``AT+CNMI``: 0,0,0,0,0 as
    27.005 defines it, so a host that never sets it sees no ``+CMTI``. ``unsupported_reply``
    answers unknown commands (``"COMMAND NOT SUPPORT"`` on some Huawei firmware). ``clock``
    gives SMSC timestamps for messages and reports; ``seed`` drives the garbage fault.
    """

    def __init__(
        self,
        *,
        name: str = "virtual",
        imei: str | None = None,
        imsi: str | None = None,
        iccid: str | None = None,
        number: str | None = "+33600000000",
        smsc: str | None = "+33609001390",
        faults: Faults | None = None,
        manufacturer: str = "huawei",
        model: str = "E3372",
        revision: str = "22.200.15.00.00",
        operator: str = "Orange F",
        operator_short: str = "Orange",
        index_base: int = 0,
        me_capacity: int | None = None,
        cmee: int = 1,
        cnmi: Cnmi | None = None,
        puk: str = "12345678",
        unsupported_reply: str = "ERROR",
        clock: Callable[[], datetime] = _utc_now,
        seed: int = 0,
    ) -> None:
        self.name = name
        initial_faults = faults if faults is not None else Faults()
        identity = Identity(
            manufacturer=manufacturer,
            model=model,
            revision=revision,
            imei=imei if imei is not None else default_imei(name),
            imsi=imsi if imsi is not None else default_imsi(name),
            iccid=iccid if iccid is not None else default_iccid(name),
            operator=operator,
            operator_short=operator_short,
        )

        def sim_slots() -> int:
            return self.faults.storage_capacity

        def me_slots() -> int:
            return self.faults.storage_capacity if me_capacity is None else me_capacity

        def report_slots() -> int:
            return self.faults.report_capacity

        memories = {
            "SM": Memory("SM", capacity=sim_slots, base=index_base),
            "ME": Memory("ME", capacity=me_slots, base=index_base),
            "SR": Memory("SR", capacity=report_slots, base=index_base),
        }
        power_on = Settings(cmee=cmee, cnmi=cnmi if cnmi is not None else Cnmi())
        self._state = ModemState(
            faults=initial_faults,
            identity=identity,
            number=number,
            smsc=smsc,
            memories=memories,
            clock=clock,
            power_on=power_on,
            puk=puk,
            unsupported_reply=unsupported_reply,
            settings=power_on.copy(),
        )
        self._out = Output(self._state, seed=seed)
        self._input = InputState.COMMAND
        self._buffer = bytearray()
        self._overflow = False
        self._prompt: PromptRequest | None = None

    # ------------------------------------------------------------------ inspection

    @property
    def faults(self) -> Faults:
        """The fault switches; flip fields, or assign a whole new :class:`Faults`."""
        return self._state.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._state.faults = faults

    @property
    def identity(self) -> Identity:
        """IMEI, IMSI, ICCID, manufacturer, model as the modem reports them."""
        return self._state.identity

    @property
    def submitted(self) -> list[SubmittedPdu]:
        """Every PDU the network accepted, in order (pdu_hex, decoded Submit, reference, at)."""
        return self._state.submitted

    @property
    def pending_reports(self) -> list[PendingReport]:
        """Status reports owed for submits that asked for one (see :meth:`release_reports`)."""
        return self._state.pending_reports

    @property
    def settings(self) -> Settings:
        """Current settings (CMEE, CNMI, CREG mode, ...)."""
        return self._state.settings

    @property
    def storage_selection(self) -> tuple[str, str, str]:
        """``AT+CPMS`` memories: read/delete, write/send, receive."""
        first, second, third = self._state.cpms
        return first, second, third

    @property
    def awaiting_pdu(self) -> bool:
        """Whether the ``> `` prompt was given and the PDU is not complete yet."""
        return self._input is InputState.PDU

    @property
    def network_queue_length(self) -> int:
        """Messages the network holds because the receive memory was full."""
        return len(self._state.network_queue)

    def memory(self, name: str = "SM") -> MemoryType:
        """A message memory (``"SM"``, ``"ME"``, ``"SR"``), to inspect or pre-fill."""
        return self._state.memories[name]

    def power_cycle(self) -> None:
        """Switch the modem off and on: power-on settings, SIM locked again, input dropped.

        Storage, submissions and the network's queue survive, as they do on a real SIM.
        """
        self._state.restart()
        self._leave_pdu()

    # ------------------------------------------------------------------ host input

    def receive(self, data: bytes, *, now: float = 0.0) -> list[Action]:
        """Bytes from the host; return what to send back (and when), in order."""
        if self.faults.silent:
            return []
        actions: list[Action] = []
        for byte in data:
            if self._input is InputState.PDU:
                self._pdu_byte(byte, actions, now)
            else:
                self._command_byte(byte, actions, now)
        return self._out.finish(actions)

    def _command_byte(self, byte: int, actions: list[Action], now: float) -> None:
        if byte in (0x0D, 0x0A):
            if self._buffer or self._overflow:
                line, overflow = bytes(self._buffer), self._overflow
                self._buffer.clear()
                self._overflow = False
                self._run_line(line, actions, overflow=overflow, now=now)
        elif byte == BACKSPACE:
            if self._buffer:
                self._buffer.pop()
        elif byte in (CTRL_Z, ESC, 0x00):
            return
        elif len(self._buffer) < MAX_LINE:
            self._buffer.append(byte)
        else:
            self._overflow = True

    def _pdu_byte(self, byte: int, actions: list[Action], now: float) -> None:
        if byte == CTRL_Z:
            self._submit_pdu(actions, now)
        elif byte == ESC:
            self._leave_pdu()
            actions.append(Write(self._out.frame(("OK",))))
            actions.extend(self._out.urcs(flush_held(self._state)))
        elif len(self._buffer) < MAX_PDU_HEX:
            self._buffer.append(byte)
        else:
            self._overflow = True

    def _leave_pdu(self) -> None:
        self._input = InputState.COMMAND
        self._prompt = None
        self._buffer.clear()
        self._overflow = False

    # ------------------------------------------------------------------ command lines

    def _run_line(self, line: bytes, actions: list[Action], *, overflow: bool, now: float) -> None:
        if self.faults.echo:
            actions.append(Write(line + b"\r"))
        text = line.decode("latin-1")
        start = text.upper().find("AT")
        if start < 0:
            return
        reply = Reply(now=now)
        final = "OK"
        try:
            if overflow:
                raise Refusal.plain()
            self._execute(text[start + 2 :], reply)
        except Refusal as refusal:
            final = refusal.line(
                self._state.settings.cmee, unsupported=self._state.unsupported_reply
            )
            reply.prompt = None
        if reply.prompt is not None:
            if reply.chunks:
                actions.append(Write(self._out.reply(reply.chunks, None)))
            self._prompt = reply.prompt
            self._input = InputState.PDU
            if self.faults.prompt_delay > 0:
                actions.append(Delay(self.faults.prompt_delay))
            actions.append(Write(self.faults.line_end + b"> "))
            return
        no_final = reply.no_final and final == "OK"
        actions.append(Write(self._out.reply(reply.chunks, None if no_final else final)))
        if reply.hangup:
            actions.append(Hangup())
            return
        actions.extend(self._out.urcs([*reply.after, *flush_held(self._state)]))
        for seconds, lines in reply.later:
            writes = tuple(a for a in self._out.urcs([lines]) if isinstance(a, Write))
            actions.append(Later(seconds, writes))

    def _execute(self, text: str, reply: Reply) -> None:
        """Run the commands after ``AT`` in order; stop at a prompt or at the first refusal."""
        for command in parse_line(text):
            handler = _HANDLERS.get(command.name)
            if handler is None and _S_REGISTER.fullmatch(command.name):
                handler = general.s_register
            if handler is None:
                raise Refusal.unsupported()
            handler(self._state, command, reply)
            if reply.prompt is not None:
                return

    # ------------------------------------------------------------------ submissions

    def _submit_pdu(self, actions: list[Action], now: float) -> None:
        prompt = self._prompt
        text = self._buffer.decode("latin-1")
        overflow = self._overflow
        self._leave_pdu()
        assert prompt is not None
        if self.faults.echo:
            actions.append(Write(text.encode("latin-1")))
        try:
            if overflow:
                raise Refusal.cms(sms.INVALID_PDU)
            raw, message = parse_submission(text, prompt.length)
            lines: tuple[str, ...] | None
            if prompt.command == "+CMGW":
                lines = self._write_to_memory(raw, prompt)
            else:
                lines = self._send(raw, message, actions, now)
        except Refusal as refusal:
            final = refusal.line(self._state.settings.cmee)
            actions.append(Write(self._out.reply([], final)))
            actions.extend(self._out.urcs(flush_held(self._state)))
            return
        if lines is None:
            actions.append(Hangup())
            return
        actions.append(Write(self._out.reply([lines], "OK")))
        after = flush_held(self._state)
        if prompt.command == "+CMGS" and self.faults.auto_status_reports:
            while self._state.pending_reports:
                owed = self._state.pending_reports[0]
                after.extend(self._report_lines(owed.reference, owed.recipient, 0))
        actions.extend(self._out.urcs(after))

    def _send(
        self, raw: bytes, message: pdu.Submit, actions: list[Action], now: float
    ) -> tuple[str, ...] | None:
        if self.faults.submit_delay > 0:
            actions.append(Delay(self.faults.submit_delay))
        reference = submit_to_network(self._state, raw, message, now=now)
        if self.faults.hangup_on_submit:
            return None
        return (f"+CMGS: {reference}",)

    def _write_to_memory(self, raw: bytes, prompt: PromptRequest) -> tuple[str, ...]:
        memory = self._state.memories[self._state.cpms[1]]
        stat = prompt.stat if prompt.stat is not None else MessageStat.STO_UNSENT
        index = memory.store(StoredMessage(raw, prompt.length, stat))
        if index is None:
            raise Refusal.cms(sms.MEMORY_FULL)
        return (f"+CMGW: {index}",)

    # ------------------------------------------------------------------ network side

    def deliver(
        self,
        sender: str,
        text: str | None = None,
        *,
        data: bytes | None = None,
        timestamp: datetime | None = None,
        encoding: pdu.Encoding | None = None,
        message_class: int | None = None,
        concat_16bit: bool = False,
        ports: pdu.Ports | None = None,
    ) -> list[Action]:
        """An SMS from the network: encode it (several parts when long), store and announce each.

        Raises :class:`smsd.pdu.PduEncodeError` for what cannot be encoded.
        """
        state = self._state
        modulus = 65536 if concat_16bit else 256
        reference = state.next_concat_reference % modulus
        parts = pdu.encode_deliver(
            sender,
            text,
            data=data,
            timestamp=timestamp if timestamp is not None else state.clock(),
            smsc=state.smsc,
            encoding=encoding,
            message_class=message_class,
            concat_reference=reference,
            concat_16bit=concat_16bit,
            ports=ports,
        )
        if len(parts) > 1:
            state.next_concat_reference = (reference + 1) % modulus
        lines: list[UrcLines] = []
        for part in parts:
            lines.extend(
                receive_deliver(
                    state, part.pdu, part.tpdu_length, message_class, busy=self.awaiting_pdu
                )
            )
        return self._out.finish(self._out.urcs(lines))

    def deliver_pdu(self, pdu_bytes: bytes, tpdu_length: int) -> list[Action]:
        """Deliver raw PDU bytes as they are (even malformed ones, to test a host's reader)."""
        lines = receive_deliver(self._state, pdu_bytes, tpdu_length, None, busy=self.awaiting_pdu)
        return self._out.finish(self._out.urcs(lines))

    def deliver_report(self, reference: int, recipient: str, status: int = 0) -> list[Action]:
        """A status report for ``reference`` (TP-ST ``status``) as ``+CDS`` or ``+CDSI``."""
        return self._out.finish(self._out.urcs(self._report_lines(reference, recipient, status)))

    def release_reports(self, status: int = 0) -> list[Action]:
        """Emit every owed status report with TP-ST ``status`` (0 = delivered)."""
        lines: list[UrcLines] = []
        while self._state.pending_reports:
            owed = self._state.pending_reports[0]
            lines.extend(self._report_lines(owed.reference, owed.recipient, status))
        return self._out.finish(self._out.urcs(lines))

    def _report_lines(self, reference: int, recipient: str, status: int) -> list[UrcLines]:
        state = self._state
        state.pending_reports[:] = [
            owed
            for owed in state.pending_reports
            if (owed.reference, owed.recipient) != (reference, recipient)
        ]
        moment = state.clock()
        report = pdu.encode_status_report(
            reference, recipient, status, timestamp=moment, discharge_time=moment, smsc=state.smsc
        )
        return receive_report(state, report.pdu, report.tpdu_length, busy=self.awaiting_pdu)

    def ring(self, number: str | None, *, end_urc: str | None = None) -> list[Action]:
        """A voice call from ``number`` (``None``: no caller id) rings: its first ring.

        ``end_urc`` (``"NO CARRIER"``, ``"^CEND:1,0,104,16"``) is sent when the call ends.
        """
        return self._out.finish(self._out.urcs([voice.start_call(self._state, number, end_urc)]))

    def ring_again(self) -> list[Action]:
        """The next ring of the current call (nothing once it ended)."""
        lines = voice.ring_lines(self._state)
        return self._out.finish(self._out.urcs([lines] if lines else []))

    def caller_gives_up(self) -> list[Action]:
        """The caller hangs up before anyone answered: the call's end code, if it has one."""
        lines = voice.end_call(self._state)
        return self._out.finish(self._out.urcs([lines] if lines else []))

    @property
    def ringing(self) -> bool:
        """Whether a call is ringing (started by :meth:`ring`, not yet ended)."""
        return self._state.call is not None

    @property
    def hangups(self) -> list[str]:
        """Every hang-up command the host sent (``"ATH"``, ``"AT+CHUP"``), in order."""
        return self._state.hangups

    @property
    def ussd(self) -> ussd.UssdOperator:
        """The scripted USSD operator (balance, menu, forms, answer order, requests seen)."""
        return self._state.ussd

    def inject_urc(self, line: str) -> list[Action]:
        """Any unsolicited line (``RING``, ``^RSSI:12``, ``+CREG: 0``), sent as is."""
        return self._out.finish([Write(self._out.frame((line,)))])


__all__ = ["Action", "Delay", "Faults", "Hangup", "InputState", "VirtualModem", "Write"]
