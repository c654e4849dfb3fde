"""Sans-I/O AT channel: bytes in, events out, bytes to write returned.

States and transitions (one command in flight at most; the channel knows no time)::

    state                   action / event            next state
    ----------------------  ------------------------  ----------------------
    IDLE                    send(cmd)                 AWAITING_FINAL
    IDLE                    send(cmd) (CMGS/CMGW)     AWAITING_PROMPT
    AWAITING_FINAL          Final                     IDLE
    AWAITING_PROMPT         Prompt                    AWAITING_PDU
    AWAITING_PROMPT         Final (e.g. +CMS ERROR)   IDLE
    AWAITING_PDU            send_pdu(hex)             AWAITING_SUBMIT_RESULT
    AWAITING_PDU            Final                     IDLE
    AWAITING_PROMPT/_PDU    cancel_prompt() (ESC)     IDLE
    AWAITING_SUBMIT_RESULT  Final                     IDLE
    any but CLOSED          abandon() (timed out)     IDLE
    any                     receive(b"") (port gone)  CLOSED

Line rules:

1. A line that completes an unsolicited code with trailing lines (the PDU
   after ``+CMT:``/``+CDS:``/``+CBM:``, the rest of a multi-line ``+CUSD``
   string) belongs to that code, unless it is a final result code: then the
   code is reported without its trailing line and the line is handled below.
2. While a command is in flight:
   a. its echo (or the echo of the PDU) is `Echo`;
   b. a final result code ends it (`Final`); ``NO CARRIER``, ``BUSY``,
      ``NO ANSWER``, ``NO DIALTONE`` and ``CONNECT`` only for ATD/ATA/ATO;
   c. a line whose prefix is the command's response prefix (``+CMGL:`` for
      ``AT+CMGL=4``) is `Info`, even if the same prefix is a known URC
      (``+CREG:`` for ``AT+CREG?``), except for ``+CUSD``;
   d. a known unsolicited code is `Urc`, with its trailing line if it has one;
   e. anything else (PDU lines, bare IMEI, unknown vendor text) is `Info`.
3. While idle:
   a. a final result code is the late answer of an abandoned command: it is
      dropped and counted in `stray_finals`;
   b. a line starting with ``AT`` is a late `Echo`;
   c. anything else is `Urc`: known codes by name (with trailing lines);
      unknown ``+X: v``/``^X: v`` lines as ``Urc(name="+X")``; other text as
      ``Urc(name="")``. The late ``+CMGS: <mr>`` of an abandoned submit thus
      reaches the modem layer as ``Urc(name="+CMGS")``.
4. A prompt outside AWAITING_PROMPT is dropped and counted in `stray_prompts`.
5. Garbage from the splitter is passed through as `Garbage`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from smsd.at import codes
from smsd.at.errors import ChannelClosed, UsageError
from smsd.at.events import Echo, Event, Garbage, Info, Urc
from smsd.at.lines import MAX_LINE, LineSplitter

__all__ = ["CTRL_Z", "ESC", "AtChannel", "State"]

CTRL_Z = b"\x1a"
ESC = b"\x1b"
# A multi-line +CUSD string longer than this many lines is cut off.
MAX_CONTINUATION_LINES = 32

_COMMAND_CHARS = re.compile(r"[\x20-\x7e]+")
_HEX = re.compile(r"[0-9A-Fa-f]+")


class State(enum.Enum):
    """Where the channel is in the command/response cycle."""

    IDLE = "idle"
    AWAITING_FINAL = "awaiting final result"
    AWAITING_PROMPT = "awaiting prompt"
    AWAITING_PDU = "awaiting PDU"
    AWAITING_SUBMIT_RESULT = "awaiting submit result"
    CLOSED = "closed"


_IN_FLIGHT = frozenset(
    {
        State.AWAITING_FINAL,
        State.AWAITING_PROMPT,
        State.AWAITING_PDU,
        State.AWAITING_SUBMIT_RESULT,
    }
)


@dataclass
class _PendingUrc:
    name: str
    value: str
    line: str
    trailing: int  # lines still expected (PDU line)
    multiline: bool  # +CUSD quoted text continues
    extra: int = 0


class AtChannel:
    """One AT command channel as a state machine (see the module docstring)."""

    def __init__(self, *, max_line: int = MAX_LINE) -> None:
        self.state = State.IDLE
        self.command: str | None = None
        self.stray_finals = 0
        self.stray_prompts = 0
        self._splitter = LineSplitter(max_line=max_line)
        self._prefix: str | None = None
        self._dial = False
        self._pdu: str | None = None
        self._urc: _PendingUrc | None = None

    @property
    def garbage_count(self) -> int:
        """Garbage events produced so far."""
        return self._splitter.garbage_count

    @property
    def in_flight(self) -> bool:
        """Whether a command is waiting for its final result."""
        return self.state in _IN_FLIGHT

    # ------------------------------------------------------------------ actions

    def send(self, command: str, *, prompt: bool | None = None) -> bytes:
        """Start ``command`` (without the carriage return); return the bytes to write.

        ``prompt`` says whether the modem answers with ``> ``; by default it is
        true for ``AT+CMGS=``, ``AT+CMGW=`` and ``AT+CMGC=``.
        """
        self._check_open()
        if self.state is not State.IDLE:
            raise UsageError(f"cannot send {command!r}: {self.command!r} is in flight")
        if not command or _COMMAND_CHARS.fullmatch(command) is None:
            raise UsageError(f"command must be printable ASCII: {command!r}")
        if command[:2].upper() != "AT":
            raise UsageError(f"command must start with AT: {command!r}")
        if prompt is None:
            prompt = codes.expects_prompt(command)
        self.state = State.AWAITING_PROMPT if prompt else State.AWAITING_FINAL
        self.command = command
        self._prefix = codes.response_prefix(command)
        self._dial = codes.is_dial(command)
        self._pdu = None
        return command.encode("ascii") + b"\r"

    def send_pdu(self, pdu_hex: str) -> bytes:
        """After the prompt: the PDU hex followed by Ctrl-Z (no CR)."""
        self._check_open()
        if self.state is not State.AWAITING_PDU:
            raise UsageError(f"cannot send a PDU in state {self.state.name}")
        if not pdu_hex or len(pdu_hex) % 2 or _HEX.fullmatch(pdu_hex) is None:
            raise UsageError("PDU must be a non-empty even-length hex string")
        self.state = State.AWAITING_SUBMIT_RESULT
        self._pdu = pdu_hex
        return pdu_hex.encode("ascii") + CTRL_Z

    def cancel_prompt(self) -> bytes:
        """Abort a pending prompt: ESC to write; the command is abandoned."""
        self._check_open()
        if self.state not in {State.AWAITING_PROMPT, State.AWAITING_PDU}:
            raise UsageError(f"no prompt to cancel in state {self.state.name}")
        self._finish()
        return ESC

    def abandon(self) -> None:
        """Give up on the command in flight (it timed out); its late final is dropped."""
        if self.state in _IN_FLIGHT:
            self._finish()

    # ------------------------------------------------------------------ input

    def receive(self, data: bytes) -> list[Event]:
        """Take bytes read from the port (``b""`` = port closed); return events."""
        events: list[Event] = []
        if self.state is State.CLOSED:
            return events
        if not data:
            self._flush_urc(events)
            self._finish()
            self.state = State.CLOSED
            return events
        for item in self._splitter.feed(data):
            if isinstance(item, str):
                self._line(item, events)
            elif isinstance(item, Garbage):
                events.append(item)
            elif self.state is State.AWAITING_PROMPT:
                self.state = State.AWAITING_PDU
                events.append(item)
            else:
                self.stray_prompts += 1
        return events

    # ------------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self.state is State.CLOSED:
            raise ChannelClosed("the channel is closed")

    def _finish(self) -> None:
        self.state = State.IDLE
        self.command = None
        self._prefix = None
        self._dial = False
        self._pdu = None

    def _line(self, line: str, events: list[Event]) -> None:
        if self._urc is not None and self._continue_urc(line, events):
            return
        if self.state in _IN_FLIGHT:
            self._in_flight_line(line, events)
        else:
            self._idle_line(line, events)

    def _in_flight_line(self, line: str, events: list[Event]) -> None:
        command = self.command or ""
        if codes.is_echo(line, command) or (
            self._pdu is not None and line.upper() == self._pdu.upper()
        ):
            events.append(Echo(line))
            return
        final = codes.final_result(line, command, dial=self._dial)
        if final is not None:
            self._finish()
            events.append(final)
            return
        name, value = codes.split_prefix(line)
        if name and name.upper() == self._prefix and name not in codes.RESPONSE_IS_URC:
            events.append(Info(line))
        elif name in codes.URC_NAMES or line in codes.URC_WORDS:
            self._urc_line(name, value, line, events)
        else:
            events.append(Info(line))

    def _idle_line(self, line: str, events: list[Event]) -> None:
        if codes.is_final(line):
            self.stray_finals += 1
            return
        if line[:2].upper() == "AT":
            events.append(Echo(line))
            return
        name, value = codes.split_prefix(line)
        self._urc_line(name, value, line, events)

    def _urc_line(self, name: str, value: str, line: str, events: list[Event]) -> None:
        if line in codes.URC_WORDS:
            events.append(Urc(name=line, value="", line=line))
            return
        trailing = codes.trailing_lines(name, value)
        multiline = name in codes.MULTILINE_URCS and value.count('"') % 2 == 1
        if trailing or multiline:
            self._urc = _PendingUrc(name, value, line, trailing, multiline)
            return
        events.append(Urc(name=name, value=value, line=line))

    def _continue_urc(self, line: str, events: list[Event]) -> bool:
        """Feed ``line`` to the pending multi-line URC; False if the line is not part of it."""
        urc = self._urc
        assert urc is not None
        if codes.is_final(line):
            self._flush_urc(events)
            return False
        if urc.multiline:
            urc.value += "\n" + line
            urc.line += "\n" + line
            urc.extra += 1
            if urc.value.count('"') % 2 == 0 or urc.extra >= MAX_CONTINUATION_LINES:
                self._flush_urc(events)
            return True
        self._urc = None
        events.append(Urc(name=urc.name, value=urc.value, line=urc.line, pdu=line))
        return True

    def _flush_urc(self, events: list[Event]) -> None:
        urc = self._urc
        if urc is not None:
            self._urc = None
            events.append(Urc(name=urc.name, value=urc.value, line=urc.line))
