"""How the virtual modem's answers look on the wire, and the output faults applied to them.

Every line is framed ``<line_end><line><line_end>`` (V.250 verbose mode); lines of one reply
share their separators; a ``+CMGL``/``+CMGR`` header and its PDU line are one chunk that noise
never splits. The ``urc_noise`` fault puts Huawei-style status lines between chunks and before
the final result; ``garbage`` replaces the bytes; ``silent`` drops them.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from smsd.modem.virtual.actions import Action, Write
from smsd.modem.virtual.general import registration_line

if TYPE_CHECKING:
    from collections.abc import Sequence

    from smsd.modem.virtual.state import ModemState

_NOISE = (
    "^RSSI:18",
    '^HCSQ:"LTE",45,40,120,22',
    "^BOOT:20952929,0,0,0,75",
    "^MODE:5,4",
    "^SRVST:2",
)
_GARBLE_LINE = 7  # a line end every few garbage bytes, so a host's line reader sees junk lines


class Output:
    """Frames lines for one modem and applies its output faults."""

    def __init__(self, state: ModemState, *, seed: int) -> None:
        self._state = state
        self._random = random.Random(seed)  # noqa: S311 - noise, not secrets
        self._noise_turn = 0

    def frame(self, lines: Sequence[str]) -> bytes:
        """Lines framed with the current line end (non-ASCII becomes ``?``)."""
        end = self._state.faults.line_end
        return end + end.join(line.encode("ascii", "replace") for line in lines) + end

    def reply(self, chunks: Sequence[tuple[str, ...]], final: str | None) -> bytes:
        """Information chunks then the final result (``None``: no final result yet)."""
        lines: list[str] = []
        noisy = self._state.faults.urc_noise
        for chunk in chunks:
            if noisy:
                lines.append(self._noise_line())
            lines.extend(chunk)
        if final is None:
            return self.frame(lines) if lines else b""
        if noisy:
            lines.append(self._noise_line())
        out = self.frame(lines) if lines else b""
        return out + self.frame((final,))

    def urcs(self, groups: Sequence[tuple[str, ...]]) -> list[Action]:
        """One write per unsolicited indication (with its PDU line, if any)."""
        return [Write(self.frame(lines)) for lines in groups]

    def finish(self, actions: list[Action]) -> list[Action]:
        """Apply the output faults: silence, garbage."""
        faults = self._state.faults
        if faults.silent:
            return []
        if not faults.garbage:
            return actions
        return [
            Write(self._garble(len(action.data))) if isinstance(action, Write) else action
            for action in actions
        ]

    def _noise_line(self) -> str:
        choices = list(_NOISE)
        creg = self._state.settings.creg
        if creg:  # the +CREG URC form: the read answer without its leading <n>
            solicited = registration_line("+CREG", creg, self._state)
            choices.append(solicited.replace(f"+CREG: {creg},", "+CREG: "))
        line = choices[self._noise_turn % len(choices)]
        self._noise_turn += 1
        return line

    def _garble(self, size: int) -> bytes:
        """High bytes and line ends: never spells a result code, always breaks a parser."""
        noise = bytearray(self._random.randrange(0x80, 0x100) for _ in range(size))
        for position in range(0, size, _GARBLE_LINE):
            noise[position] = self._random.choice(b"\r\n")
        return bytes(noise)


__all__ = ["Output"]
