r"""Sans-I/O line splitter: bytes from the modem in, lines and the ``> `` prompt out.

Rules:

* A line ends at any run of CR and LF bytes (``\r\n``, bare ``\r``, bare
  ``\n``, ``\n\r``); empty lines are dropped and lines are stripped of
  surrounding blanks.
* NUL (padding some firmware sends), Ctrl-Z and ESC (echoes of what we write
  after the prompt) are dropped wherever they occur.
* A line must be printable text: ASCII, or valid UTF-8 (some firmware sends
  operator names in UTF-8). Other control characters or undecodable bytes make
  the whole line a `Garbage` event; the splitter resynchronises at the next
  line end.
* A line longer than ``max_line`` bytes becomes one `Garbage` event and
  everything up to the next line end is discarded, so the buffer never grows
  past the cap.
* The SMS prompt is ``>`` (normally ``"> "``) at the start of a line. It has no
  line end, so it is reported as soon as the ``>`` arrives, whatever chunk it
  comes in; the rest of that line (the modem's echo of the PDU, if any) is
  reported as an ordinary line.

The splitter returns the same items whether the input comes whole, one byte at
a time or split anywhere.
"""

from __future__ import annotations

import re

from smsd.at.events import Garbage, Prompt

__all__ = ["GARBAGE_SAMPLE", "MAX_LINE", "LineSplitter"]

# Longest line accepted. A +CMGL/+CMGR/+CMT PDU line is at most about 360 hex
# characters (12-octet SMSC address + 164-octet TPDU); USSD and operator lists
# are longer but far below this.
MAX_LINE = 4096
# How many bytes of a rejected line a Garbage event keeps.
GARBAGE_SAMPLE = 64

_LINE_ENDS = re.compile(rb"[\r\n]+")
_DROPPED = b"\x00\x1a\x1b"
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\t"
_HIGH = bytes(range(0x80, 0x100))
_BLANKS = b" \t"
_GT = ord(">")


class LineSplitter:
    """Split a byte stream into lines, prompts and garbage."""

    def __init__(self, *, max_line: int = MAX_LINE) -> None:
        if max_line < 16:
            raise ValueError("max_line must be at least 16")
        self.max_line = max_line
        self.garbage_count = 0
        self._buf = bytearray()
        self._discarding = False

    @property
    def pending(self) -> bytes:
        """Bytes of the current incomplete line."""
        return bytes(self._buf)

    def reset(self) -> None:
        """Forget any incomplete line."""
        self._buf.clear()
        self._discarding = False

    def feed(self, data: bytes) -> list[str | Prompt | Garbage]:
        """Take bytes read from the port; return the complete items they finish."""
        out: list[str | Prompt | Garbage] = []
        if b"\x00" in data or b"\x1a" in data or b"\x1b" in data:
            data = data.translate(None, _DROPPED)
        if not data:
            return out
        if self._discarding:
            end = _LINE_ENDS.search(data)
            if end is None:
                return out
            self._discarding = False
            data = data[end.start() :]
        buf = self._buf
        buf += data
        if b"\r" in data or b"\n" in data:
            parts = _LINE_ENDS.split(buf)
            tail = parts.pop()
            for raw in parts:
                if raw:
                    self._line(raw, out)
            self._buf = bytearray(tail)
        if self._buf:
            self._partial(out)
        return out

    def _partial(self, out: list[str | Prompt | Garbage]) -> None:
        """Check the incomplete line: over the cap, or the prompt (which has no line end)."""
        buf = self._buf
        if len(buf) > self.max_line:
            out.append(self._garbage(bytes(buf), "line too long"))
            buf.clear()
            self._discarding = True
            return
        first = buf[0]
        if first == _GT or (first in _BLANKS and buf.lstrip(_BLANKS)[:1] == b">"):
            out.append(Prompt())
            self._buf = bytearray(buf.lstrip(_BLANKS)[1:])

    def _garbage(self, raw: bytes, reason: str) -> Garbage:
        self.garbage_count += 1
        return Garbage(raw[:GARBAGE_SAMPLE], reason)

    def _line(self, raw: bytes, out: list[str | Prompt | Garbage]) -> None:
        if len(raw) > self.max_line:
            out.append(self._garbage(bytes(raw), "line too long"))
            return
        clean = bytes(raw)
        bad = clean.translate(None, _PRINTABLE_ASCII)
        if not bad:
            text = clean.decode("ascii")
        elif bad.translate(None, _HIGH):
            out.append(self._garbage(bytes(raw), "control characters"))
            return
        else:
            try:
                text = clean.decode("utf-8")
            except UnicodeDecodeError:
                out.append(self._garbage(bytes(raw), "undecodable bytes"))
                return
        text = text.strip()
        if text.startswith(">"):
            out.append(Prompt())
            text = text[1:].lstrip()
        if text:
            out.append(text)
