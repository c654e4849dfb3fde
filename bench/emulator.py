"""Modem emulator for the side-by-side benchmarks: N virtual modems on pseudo-terminals.

    python bench/emulator.py --modems 4 --submit-delay 3 --wire wire.jsonl

It runs in a process of its own, so that the CPU time of the daemon under test is not mixed with
the emulator's. Each modem is a :class:`~smsd.modem.virtual.VirtualModem` (PDU mode, our own
codec) served by a :class:`~smsd.modem.virtual.PtyModem`; ``--submit-delay`` is the time per
segment before the network's answer (0 for an instant modem, about 3 s for a real one).

Protocol with the parent, one JSON object per line:

- stdout, once: ``{"modems": [{"name": ..., "path": "/dev/pts/N"}, ...]}`` when every pty is up;
- stdin: ``{"deliver": <modem index>, "sender": "+33...", "text": "..."}`` (an SMS arrives from
  the network), ``{"sync": <n>}`` (answered ``{"synced": <n>}`` once every queued action is
  carried out and the wire file is flushed), ``{"stop": true}`` or end of input;
- the wire file: one line per PDU the network accepted,
  ``{"modem": ..., "pdu": <hex>, "reference": <TP-MR>, "at": <seconds>}``, where ``at`` is
  ``CLOCK_MONOTONIC`` (the event loop's clock on Linux), a clock every process shares.

The virtual modem answers every command gammu-smsd and smstools3 send during their start-up
except the few listed in :data:`EXTRA_REPLIES`, which a subclass answers here the way a Huawei
dongle does, before the line reaches the responder.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from smsd.modem.virtual import Faults, PtyModem, VirtualModem, Write

if TYPE_CHECKING:
    from smsd.modem.virtual import Action

FLUSH_INTERVAL = 0.05  # seconds between two sweeps of the submissions into the wire file
CR, LF, CTRL_Z, ESC = 0x0D, 0x0A, 0x1A, 0x1B
EXTRA_REPLIES: dict[bytes, tuple[str, ...]] = {
    # gammu's Huawei post-connect step (after AT^CURC=0) selects the modem port; a Huawei
    # dongle answers plain OK, the responder refuses it and gammu then gives up ("UNKNOWN[27]").
    b"^PORTSEL=1": (),
}
"""Command lines (upper case, without ``AT``) the responder does not know, with the information
lines a Huawei E3372 answers before its ``OK``."""


class BenchModem(VirtualModem):
    """A virtual modem that answers :data:`EXTRA_REPLIES` itself, line by line."""

    def __init__(self, *, name: str, faults: Faults) -> None:
        super().__init__(name=name, faults=faults)
        self._pending = bytearray()

    def receive(self, data: bytes, *, now: float = 0.0) -> list[Action]:
        if not EXTRA_REPLIES:
            return super().receive(data, now=now)
        actions: list[Action] = []
        for byte in data:
            self._pending.append(byte)
            if self._in_pdu():
                if byte in (CTRL_Z, ESC):  # the PDU ends: the responder takes it whole
                    actions.extend(self._forward(now))
            elif byte in (CR, LF):
                actions.extend(self._line(now))
        if self._pending and self._in_pdu():
            actions.extend(self._forward(now))
        return actions

    def _in_pdu(self) -> bool:
        return self.awaiting_pdu

    def _forward(self, now: float) -> list[Action]:
        chunk, self._pending = bytes(self._pending), bytearray()
        return super().receive(chunk, now=now)

    def _line(self, now: float) -> list[Action]:
        line = self._pending.strip().upper()
        reply = EXTRA_REPLIES.get(bytes(line[2:])) if line.startswith(b"AT") else None
        if reply is None:
            return self._forward(now)
        chunk, self._pending = bytes(self._pending), bytearray()
        end = self.faults.line_end
        echo = chunk.rstrip(b"\r\n") + b"\r" if self.faults.echo else b""
        body = b"".join(end + text.encode() + end for text in (*reply, "OK"))
        return [Write(echo + body)]


class Emulator:
    """The modems, and the sweep that appends their submissions to the wire file."""

    def __init__(self, count: int, submit_delay: float, capacity: int, wire: TextIO) -> None:
        self.modems = [
            PtyModem(
                BenchModem(
                    name=f"m{i + 1}",
                    faults=Faults(submit_delay=submit_delay, storage_capacity=capacity),
                )
            )
            for i in range(count)
        ]
        self.wire = wire
        self.written = [0] * count

    async def start(self) -> list[dict[str, str]]:
        return [{"name": pty.modem.name, "path": await pty.start()} for pty in self.modems]

    def sweep(self) -> None:
        """Write the submissions accepted since the last sweep."""
        for i, pty in enumerate(self.modems):
            submitted = pty.modem.submitted
            for item in submitted[self.written[i] :]:
                record = {
                    "modem": pty.modem.name,
                    "pdu": item.pdu_hex,
                    "reference": item.reference,
                    "at": item.at,
                }
                self.wire.write(json.dumps(record) + "\n")
            self.written[i] = len(submitted)
        self.wire.flush()

    async def sweeper(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            self.sweep()

    async def command(self, request: dict[str, object]) -> dict[str, object] | None:
        if "deliver" in request:
            index = int(str(request["deliver"]))
            pty = self.modems[index % len(self.modems)]
            await pty.deliver(str(request["sender"]), str(request["text"]))
            return None
        if "sync" in request:
            for pty in self.modems:
                await pty.drain()
            self.sweep()
            return {"synced": request["sync"]}
        return None

    async def stop(self) -> None:
        self.sweep()
        for pty in self.modems:
            await pty.stop()


async def _stdin_lines() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def _say(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def serve(args: argparse.Namespace) -> None:
    with Path(args.wire).open("a", encoding="utf-8") as wire:  # noqa: ASYNC230 - opened once, before serving
        emulator = Emulator(args.modems, args.submit_delay, args.capacity, wire)
        modems = await emulator.start()
        sweeper = asyncio.create_task(emulator.sweeper())
        _say({"modems": modems, "clock": time.clock_gettime(time.CLOCK_MONOTONIC)})
        reader = await _stdin_lines()
        try:
            while line := await reader.readline():
                try:
                    request = json.loads(line)
                except json.JSONDecodeError:
                    _say({"error": "not JSON", "line": line.decode(errors="replace")})
                    continue
                if not isinstance(request, dict) or request.get("stop"):
                    break
                answer = await emulator.command(request)
                if answer is not None:
                    _say(answer)
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await emulator.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modems", type=int, default=1)
    parser.add_argument("--submit-delay", type=float, default=0.0, help="seconds per segment")
    parser.add_argument("--capacity", type=int, default=30, help="SIM slots per modem")
    parser.add_argument("--wire", required=True, help="JSONL file of accepted PDUs (appended)")
    args = parser.parse_args(argv)
    if args.modems < 1:
        parser.error("--modems must be at least 1")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
