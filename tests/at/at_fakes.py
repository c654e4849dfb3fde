"""Scripted modems for the AT transport tests: an in-memory transport and a real pty."""

import asyncio
import contextlib
import os
import tty

from smsd.at.transport import AtTransport

OK = b"\r\nOK\r\n"


class Script:
    """Answers what the host writes, keyed by unit: "AT+CSQ", "PDU:<hex>", "ESC".

    A reply is bytes, (delay, bytes), a list of those (all sent), or None (silence).
    A key mapped to a Replies object answers in turn, the last answer repeating.
    """

    def __init__(self, replies=None, default=OK):
        self.replies = dict(replies or {})
        self.default = default
        self.received: list[str] = []

    @staticmethod
    def key(unit: bytes) -> str:
        if unit == b"\x1b":
            return "ESC"
        if unit.endswith(b"\x1a"):
            return "PDU:" + unit[:-1].decode()
        return unit.rstrip(b"\r").decode()

    def answer(self, unit: bytes) -> list[tuple[float, bytes]]:
        key = self.key(unit)
        self.received.append(key)
        reply = self.replies.get(key, self.default if not key.startswith(("PDU:", "ESC")) else None)
        if isinstance(reply, Replies):
            reply = reply.next()
        if reply is None:
            return []
        if isinstance(reply, bytes):
            return [(0.0, reply)]
        if isinstance(reply, tuple):
            return [reply]
        return [r if isinstance(r, tuple) else (0.0, r) for r in reply]


class Replies:
    def __init__(self, *answers):
        self.answers = list(answers)

    def next(self):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def split_units(buf: bytearray) -> list[bytes]:
    """Cut complete host units (command + CR, PDU + Ctrl-Z, ESC) off the buffer."""
    units = []
    while buf:
        ends = [i for i in (buf.find(b"\r"), buf.find(b"\x1a"), buf.find(b"\x1b")) if i >= 0]
        if not ends:
            break
        end = min(ends) + 1
        units.append(bytes(buf[:end]))
        del buf[:end]
    return units


class FakeSerial(asyncio.Transport):
    """In-memory transport feeding scripted replies to the protocol (bellows-style)."""

    def __init__(self, protocol: AtTransport, script: Script):
        super().__init__()
        self.protocol = protocol
        self.script = script
        self.written = bytearray()
        self._buf = bytearray()
        self._closing = False
        self._loop = asyncio.get_running_loop()
        protocol.connection_made(self)

    def write(self, data):
        self.written += data
        self._buf += data
        for unit in split_units(self._buf):
            for delay, reply in self.script.answer(unit):
                self._loop.call_later(delay, self.feed, reply)

    def feed(self, data: bytes):
        if not self._closing:
            self.protocol.data_received(data)

    def is_closing(self):
        return self._closing

    def close(self):
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self.protocol.connection_lost, None)

    def unplug(self, exc: Exception):
        self._closing = True
        self.protocol.connection_lost(exc)


class PtyModem:
    """A scripted modem on the master side of a pseudo-terminal; the slave is the 'dongle'."""

    def __init__(self, script: Script):
        self.script = script
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.unplugged = False
        self._buf = bytearray()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.master, self._readable)

    def _readable(self):
        try:
            data = os.read(self.master, 4096)
        except OSError:
            self._loop.remove_reader(self.master)
            return
        self._buf += data
        for unit in split_units(self._buf):
            for delay, reply in self.script.answer(unit):
                self._loop.call_later(delay, self.send, reply)

    def send(self, data: bytes):
        if not self.unplugged:
            os.write(self.master, data)

    def unplug(self):
        if not self.unplugged:
            self.unplugged = True
            self._loop.remove_reader(self.master)
            os.close(self.master)

    def close(self):
        self.unplug()
        with contextlib.suppress(OSError):
            os.close(self.slave)
