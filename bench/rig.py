"""The side-by-side rig: the emulator process, what crossed the wire, and the daemon's costs.

Used by ``bench/compare.py``; see its docstring. Three jobs, each in its own class:

- :class:`EmulatorProcess` starts ``bench/emulator.py`` (a separate process, so its CPU is not
  the daemon's), delivers incoming SMS through it and reads the wire file it writes;
- :func:`verify` decodes every PDU on the wire twice (our codec and gammu's ``DecodePDU``),
  reassembles concatenated messages per destination and compares them with what was sent;
- :class:`ProcessTree` measures a daemon's process tree from ``/proc``: CPU seconds
  (utime + stime, children included) and peak RSS (sum of each process's ``VmHWM``), sampled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smsd import pdu

try:
    import gammu
except ImportError:  # gammu's binding is optional: without it only our codec checks the wire
    gammu = None

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def now() -> float:
    """CLOCK_MONOTONIC: the clock the emulator stamps PDUs with, shared by every process."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/max of ``samples`` (seconds), in milliseconds."""
    if not samples:
        return {}
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "p50": round(pick(0.50) * 1000, 2),
        "p95": round(pick(0.95) * 1000, 2),
        "p99": round(pick(0.99) * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
        "mean": round(statistics.fmean(ordered) * 1000, 2),
    }


# ---------------------------------------------------------------------- the wire


@dataclass(frozen=True)
class WirePdu:
    """One SMS-SUBMIT the emulated network accepted."""

    modem: str
    pdu_hex: str
    at: float


@dataclass
class Outgoing:
    """A message the bench injected: one destination, one text, when it went in."""

    destination: str
    text: str
    segments: int
    injected: float = 0.0


@dataclass
class Verdict:
    """What the wire says about the injected messages."""

    whole: int = 0
    missing: list[str] = field(default_factory=list)
    garbled: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    gammu_disagrees: int = 0
    segments: int = 0
    duplicates: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.garbled or self.incomplete or self.gammu_disagrees)


def _digits(number: str) -> str:
    return number.lstrip("+")


def _decode_both(item: WirePdu) -> tuple[str, str, tuple[int, int, int] | None, str | None]:
    """Destination, text and (reference, total, sequence) by our codec; gammu's text."""
    raw = bytes.fromhex(item.pdu_hex)
    message = pdu.decode(raw)
    if not isinstance(message, pdu.Submit):
        raise pdu.PduDecodeError("not an SMS-SUBMIT", offset=0)
    concat = message.concat
    part = None if concat is None else (concat.reference, concat.total, concat.sequence)
    theirs = None
    if gammu is not None:
        decoded = gammu.DecodePDU(raw, SMSC=True)
        theirs = str(decoded["Text"])
    return _digits(message.destination), message.text or "", part, theirs


def verify(sent: list[Outgoing], wire: list[WirePdu]) -> Verdict:
    """Reassemble every destination's segments and compare with the injected text."""
    verdict = Verdict(segments=len(wire))
    by_destination: dict[str, dict[tuple[int, int] | None, dict[int, str]]] = {}
    seen: set[tuple[str, tuple[int, int, int] | None, str]] = set()
    for item in wire:
        try:
            destination, text, part, theirs = _decode_both(item)
        except (pdu.PduDecodeError, ValueError) as exc:
            verdict.garbled.append(f"{item.pdu_hex}: {exc}")
            continue
        if theirs is not None and theirs != text:
            verdict.gammu_disagrees += 1
        key = (destination, part, text)
        if key in seen:
            verdict.duplicates += 1
            continue
        seen.add(key)
        group = None if part is None else (part[0], part[1])
        sequence = 1 if part is None else part[2]
        by_destination.setdefault(destination, {}).setdefault(group, {})[sequence] = text
    for message in sent:
        groups = by_destination.get(_digits(message.destination), {})
        texts = ["".join(parts[i] for i in sorted(parts)) for parts in groups.values()]
        if message.text in texts:
            verdict.whole += 1
        elif any(text and message.text.startswith(text) for text in texts):
            verdict.incomplete.append(message.destination)  # the other parts never came
        elif texts:
            verdict.garbled.append(f"{message.destination}: {texts!r} != {message.text!r}")
        else:
            verdict.missing.append(message.destination)
    return verdict


def first_on_wire(wire: list[WirePdu]) -> dict[str, float]:
    """The time of each destination's first PDU on the wire."""
    first: dict[str, float] = {}
    for item in wire:
        try:
            message = pdu.decode(bytes.fromhex(item.pdu_hex))
        except (pdu.PduDecodeError, ValueError):
            continue
        if isinstance(message, pdu.Submit):
            destination = _digits(message.destination)
            first[destination] = min(first.get(destination, item.at), item.at)
    return first


# ---------------------------------------------------------------------- the emulator


class EmulatorProcess:
    """``bench/emulator.py`` in a child process."""

    def __init__(self, workdir: Path, modems: int, submit_delay: float, capacity: int) -> None:
        self.wire_path = workdir / "wire.jsonl"
        self.wire_path.write_text("", encoding="utf-8")
        self.args = [
            sys.executable,
            str(BENCH / "emulator.py"),
            f"--modems={modems}",
            f"--submit-delay={submit_delay}",
            f"--capacity={capacity}",
            f"--wire={self.wire_path}",
        ]
        self.submit_delay = submit_delay
        self.process: asyncio.subprocess.Process | None = None
        self.modems: list[dict[str, str]] = []
        self._offset = 0
        self._wire: list[WirePdu] = []
        self._syncs = 0

    async def start(self) -> list[str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.process = await asyncio.create_subprocess_exec(
            *self.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        hello = await self._read()
        self.modems = list(hello["modems"])
        return [modem["path"] for modem in self.modems]

    async def _read(self) -> dict[str, Any]:
        assert self.process is not None
        assert self.process.stdout is not None
        async with asyncio.timeout(20):
            line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError("the emulator exited")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def _send(self, request: dict[str, object]) -> None:
        assert self.process is not None
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        await self.process.stdin.drain()

    async def deliver(self, modem: int, sender: str, text: str) -> None:
        await self._send({"deliver": modem, "sender": sender, "text": text})

    async def sync(self) -> None:
        """Wait until the emulator has carried out every request and flushed the wire file."""
        self._syncs += 1
        await self._send({"sync": self._syncs})
        while (await self._read()).get("synced") != self._syncs:
            pass

    def wire(self) -> list[WirePdu]:
        """Every PDU written to the wire file so far (complete lines only)."""
        with self.wire_path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        end = data.rfind(b"\n") + 1
        for line in data[:end].splitlines():
            record = json.loads(line)
            self._wire.append(WirePdu(record["modem"], record["pdu"], float(record["at"])))
        self._offset += end
        return self._wire

    async def stop(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ConnectionError):
            await self._send({"stop": True})
        try:
            async with asyncio.timeout(10):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


# ---------------------------------------------------------------------- /proc


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text(encoding="latin-1")
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and of its children it has waited for."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="latin-1")
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): utime, stime, cutime, cstime are fields 14-17
    ticks = sum(int(value) for value in fields[11:15])
    return ticks / CLOCK_TICKS


def _hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="latin-1").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class ProcessTree:
    """The daemon's processes (roots and every descendant), measured from ``/proc``."""

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots
        self.hwm: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self._sampler: asyncio.Task[None] | None = None

    def pids(self) -> list[int]:
        tree = _children()
        found: list[int] = []
        stack = list(self.roots)
        while stack:
            pid = stack.pop()
            if pid in found:
                continue
            found.append(pid)
            stack.extend(tree.get(pid, []))
        return found

    def sample(self) -> None:
        for pid in self.pids():
            with contextlib.suppress(OSError, ValueError, IndexError):
                self.hwm[pid] = max(self.hwm.get(pid, 0), _hwm_kib(pid))
                self.cpu[pid] = _cpu_seconds(pid)

    def cpu_seconds(self) -> float:
        """CPU of the tree so far (processes that ended keep their last sample)."""
        self.sample()
        return sum(self.cpu.values())

    def peak_rss_mb(self) -> float:
        return round(sum(self.hwm.values()) / 1024, 1)

    async def _sample_forever(self, interval: float) -> None:
        while True:
            self.sample()
            await asyncio.sleep(interval)

    def start_sampling(self, interval: float = 0.25) -> None:
        self._sampler = asyncio.create_task(self._sample_forever(interval))

    async def stop_sampling(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
            self._sampler = None
        self.sample()


# ---------------------------------------------------------------------- memory and threads


def memory_mb(pids: list[int]) -> dict[str, float]:
    """PSS, USS and RSS summed over ``pids``, in MB, from ``/proc/<pid>/smaps_rollup``.

    USS is the private part (``Private_Clean`` + ``Private_Dirty``); PSS adds each shared page
    divided by the number of processes mapping it, so the sum over a tree counts a page once.
    """
    totals = {"pss": 0, "uss": 0, "rss": 0, "pss_anon": 0}
    keys = {
        "Pss:": ("pss",),
        "Rss:": ("rss",),
        "Private_Clean:": ("uss",),
        "Private_Dirty:": ("uss",),
        "Pss_Anon:": ("pss_anon",),
    }
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                parts = line.split()
                for key in keys.get(parts[0] if parts else "", ()):
                    totals[key] += int(parts[1])
    return {key: round(kib / 1024, 1) for key, kib in totals.items()}


@dataclass(frozen=True)
class ThreadSample:
    """One thread's counters at one instant."""

    pid: int
    tid: int
    name: str
    cpu: float
    """utime + stime, seconds."""
    system: float
    """stime alone, seconds: the kernel's share of ``cpu``."""
    voluntary: int
    involuntary: int


def thread_samples(pids: list[int]) -> dict[int, ThreadSample]:
    """Every thread of ``pids``: CPU seconds and context switches from ``/proc``."""
    found: dict[int, ThreadSample] = {}
    for pid in pids:
        tids: list[int] = []
        with contextlib.suppress(OSError):
            tids = [int(entry.name) for entry in Path(f"/proc/{pid}/task").iterdir()]
        for tid in tids:
            task = Path(f"/proc/{pid}/task/{tid}")
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (task / "stat").read_text(encoding="latin-1")
                fields = stat[stat.rindex(")") + 2 :].split()
                cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
                status = dict(
                    line.split(":", 1)
                    for line in (task / "status").read_text(encoding="latin-1").splitlines()
                    if ":" in line
                )
                found[tid] = ThreadSample(
                    pid=pid,
                    tid=tid,
                    name=(task / "comm").read_text(encoding="latin-1").strip(),
                    cpu=cpu,
                    system=int(fields[12]) / CLOCK_TICKS,
                    voluntary=int(status["voluntary_ctxt_switches"]),
                    involuntary=int(status["nonvoluntary_ctxt_switches"]),
                )
    return found
