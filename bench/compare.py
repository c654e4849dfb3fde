"""smsd side by side with gammu-smsd and smstools3 on the same modem emulator.

    python bench/compare.py                        # every daemon installed, every configuration
    python bench/compare.py --daemons smsd --messages 20 --json out.json

For each daemon and configuration a fresh emulator process (``bench/emulator.py``) serves N
virtual modems on ptys and the daemon opens them as dongles. Configurations: ``instant-1`` and
``instant-4`` (modems answer at once) and ``slow-4`` (``--slow-delay`` seconds per segment, about
3 s on a real modem). Each run injects the same mix (70 % short GSM-7, 20 % two-segment GSM-7,
10 % UCS-2 with emoji; ``bench/dispatch.py``'s builder) through the daemon's own way in, each
message to its own number, then checks every PDU on the wire (our codec and gammu's) and
reassembles the messages. Figures:

- segments/s: segments on the wire over (last PDU - first injection);
- inject-to-wire latency p50/p95/max, in the burst and, on ``instant-1``, on an idle modem
  (``--idle-samples`` messages one at a time, a random pause between them);
- CPU ms per segment: utime+stime of the daemon's process tree (from /proc, children included)
  over the burst, divided by the segments; the emulator is another process and not counted;
- peak RSS: sum of VmHWM over the daemon's processes, sampled every 0.25 s;
- incoming (``instant-4``): ``--incoming`` single-segment SMS delivered, seconds until stored;
- utilisation (``slow-4``): busy time (segments x delay) over N x (last answer - first injection).

Bounded: each phase stops at ``--timeout`` seconds and reports what it saw.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemons import DAEMONS, INJECT_CLIENTS, Daemon, GammuSmsd, Smsd
from dispatch import message_mix
from rig import (
    BENCH,
    EmulatorProcess,
    Outgoing,
    ProcessTree,
    ThreadSample,
    first_on_wire,
    memory_mb,
    now,
    percentiles,
    thread_samples,
    verify,
)

from smsd import pdu

if TYPE_CHECKING:
    from collections.abc import Callable

SEED = 20_251_107
PEER_BINARIES = {"gammu-smsd": "gammu-smsd", "smstools3": "/usr/sbin/smsd"}


@dataclass(frozen=True)
class Setup:
    """One configuration of the emulator."""

    name: str
    modems: int
    delay: float
    messages: int
    clients: int = INJECT_CLIENTS
    """smsd's API clients posting at once (the peers take their spool files one by one)."""


def build_messages(count: int, prefix: str, seed: int) -> list[Outgoing]:
    texts = message_mix(count, random.Random(seed))
    return [
        Outgoing(f"+336{prefix}{n:07d}", text, pdu.count(text).segments)
        for n, text in enumerate(texts)
    ]


async def _until(predicate: Any, timeout: float, interval: float = 0.02) -> bool:  # noqa: ANN401 - any zero-argument callable returning bool or awaitable bool
    deadline = now() + timeout
    while now() < deadline:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return True
        await asyncio.sleep(interval)
    return False


async def _wait_wire(emulator: EmulatorProcess, segments: int, timeout: float) -> bool:
    return await _until(lambda: len(emulator.wire()) >= segments, timeout)


def thread_cpu(
    before: dict[int, ThreadSample], after: dict[int, ThreadSample], segments: int
) -> dict[str, dict[str, float]]:
    """CPU ms per segment of each thread (named by its offset from the main thread's id)."""
    split: dict[str, dict[str, float]] = {}
    for tid, end in after.items():
        start = before.get(tid)
        cpu = end.cpu - (start.cpu if start else 0.0)
        system = end.system - (start.system if start else 0.0)
        if cpu <= 0:
            continue
        name = f"{end.name}:main" if tid == end.pid else f"{end.name}:{tid - end.pid}"
        row = split.setdefault(name, {"user": 0.0, "system": 0.0, "switches": 0.0})
        row["switches"] += (
            end.voluntary + end.involuntary - (start.voluntary + start.involuntary if start else 0)
        ) / segments
        row["user"] += (cpu - system) * 1000 / segments
        row["system"] += system * 1000 / segments
    return {
        name: {kind: round(ms, 3) for kind, ms in row.items()}
        for name, row in sorted(split.items(), key=lambda item: -sum(item[1].values()))
    }


async def burst(
    daemon: Daemon, emulator: EmulatorProcess, tree: ProcessTree, setup: Setup, timeout: float
) -> dict[str, Any]:
    messages = build_messages(setup.messages, "1", SEED)
    await daemon.prepare(messages)
    before = len(emulator.wire())
    expected = before + sum(m.segments for m in messages)
    cpu0 = tree.cpu_seconds()
    threads0 = thread_samples(tree.pids())
    await daemon.inject(messages, clients=setup.clients)
    complete = await _wait_wire(emulator, expected, timeout)
    await asyncio.sleep(setup.delay)  # the last segment's network answer
    cpu = tree.cpu_seconds() - cpu0
    wire = emulator.wire()[before:]
    per_thread = thread_cpu(threads0, thread_samples(tree.pids()), max(len(wire), 1))
    verdict = verify(messages, wire)
    first = messages[0].injected
    last = max((item.at for item in wire), default=first)
    arrivals = first_on_wire(wire)
    latencies = [
        arrivals[m.destination.lstrip("+")] - m.injected
        for m in messages
        if m.destination.lstrip("+") in arrivals
    ]
    elapsed = max(last - first, 1e-9)
    figures: dict[str, Any] = {
        "messages": len(messages),
        "segments_expected": sum(m.segments for m in messages),
        "segments_on_wire": len(wire),
        "complete": complete,
        "whole_messages": verdict.whole,
        "missing": len(verdict.missing),
        "incomplete": len(verdict.incomplete),
        "garbled": verdict.garbled[:5],
        "duplicates": verdict.duplicates,
        "gammu_decode_disagrees": verdict.gammu_disagrees,
        "seconds": round(elapsed, 3),
        "segments_per_s": round(len(wire) / elapsed, 2),
        "latency_ms": percentiles(latencies),
        "cpu_ms_per_segment": round(cpu * 1000 / max(len(wire), 1), 3),
        "cpu_s_per_1000_segments": round(cpu * 1000 / max(len(wire), 1), 3),
        "cpu_ms_per_segment_by_thread": per_thread,
    }
    if setup.delay > 0:
        busy = len(wire) * setup.delay
        figures["utilisation"] = round(busy / (setup.modems * (elapsed + setup.delay)), 3)
    return figures


async def idle_latency(
    daemon: Daemon, emulator: EmulatorProcess, samples: int, timeout: float
) -> dict[str, Any]:
    rng = random.Random(SEED + 1)
    messages = [Outgoing(f"+3362{n:07d}", f"Idle probe {n}", 1) for n in range(samples)]
    await daemon.prepare(messages)
    found: list[float] = []
    deadline = now() + timeout
    for message in messages:
        if now() > deadline:
            break
        before = len(emulator.wire())
        await daemon.inject([message])
        if not await _wait_wire(emulator, before + 1, max(deadline - now(), 0.1)):
            break
        found.append(emulator.wire()[before].at - message.injected)
        await asyncio.sleep(rng.uniform(0.05, 0.5))
    return {"samples": len(found), **percentiles(found)}


async def incoming(
    daemon: Daemon, emulator: EmulatorProcess, count: int, timeout: float
) -> dict[str, Any]:
    base = await daemon.stored()
    started = now()
    for n in range(count):
        await emulator.deliver(n, f"+3377{n:07d}", f"Incoming bench message {n}")
    await emulator.sync()
    done = await _until(lambda: _stored_at_least(daemon, base + count), timeout, 0.05)
    stored = await daemon.stored() - base
    return {
        "delivered": count,
        "stored": stored,
        "complete": done,
        "seconds": round(now() - started, 3),
    }


async def _stored_at_least(daemon: Daemon, count: int) -> bool:
    return await daemon.stored() >= count


async def run_setup(
    name: str, setup: Setup, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    emulator = EmulatorProcess(workdir, setup.modems, setup.delay, capacity=30)
    daemon = DAEMONS[name](workdir)
    paths = await emulator.start()
    figures: dict[str, Any] = {"daemon": name, "setup": setup.name, "settings": daemon.settings}
    try:
        await daemon.start(paths)
        tree = ProcessTree(daemon.roots())
        tree.start_sampling()
        warm = [Outgoing(f"+3369999{i:04d}", f"warm-up {i}", 1) for i in range(setup.modems)]
        await daemon.prepare(warm)
        await daemon.inject(warm)
        if not await _wait_wire(emulator, len(warm), args.timeout):
            raise RuntimeError(f"{name}: warm-up never reached the wire\n{daemon.log_tail()}")
        await asyncio.sleep(max(setup.delay, 0.2))
        profiler = await _start_profiler(args, name, setup, daemon, workdir)
        figures["burst"] = await burst(daemon, emulator, tree, setup, args.timeout)
        if profiler is not None:
            figures["profile"] = await _stop_profiler(profiler, workdir)
        if setup.name == "instant-1" and args.idle_samples:
            figures["idle"] = await idle_latency(daemon, emulator, args.idle_samples, args.timeout)
        if setup.name == "instant-4" and args.incoming:
            figures["incoming"] = await incoming(daemon, emulator, args.incoming, args.timeout)
        if name == "smsd" and setup.name == "instant-4" and args.api_requests:
            figures["api"] = await api_load(daemon, args)
        figures["memory_mb"] = memory_mb(tree.pids())
        if setup.name == "instant-4" and args.memory_messages and isinstance(daemon, Smsd):
            figures["memory_burst"] = await memory_burst(daemon, emulator, args)
            await asyncio.sleep(args.memory_settle)
            figures["memory_mb_after_burst"] = memory_mb(tree.pids())
        await tree.stop_sampling()
        figures["peak_rss_mb"] = tree.peak_rss_mb()
        figures["processes"] = len(tree.hwm)
        figures["alive"] = daemon.alive()
    finally:
        await daemon.stop()
        await emulator.stop()
    return figures


async def memory_burst(
    daemon: Smsd, emulator: EmulatorProcess, args: argparse.Namespace
) -> dict[str, Any]:
    """Send ``--memory-messages`` more messages (8 clients), for the memory read after them."""
    messages = build_messages(args.memory_messages, "3", SEED + 3)
    before = len(emulator.wire())
    started = now()
    await daemon.inject(messages)
    expected = before + sum(m.segments for m in messages)
    complete = await _wait_wire(emulator, expected, args.timeout * 4)
    return {
        "messages": len(messages),
        "segments_on_wire": len(emulator.wire()) - before,
        "complete": complete,
        "seconds": round(now() - started, 2),
    }


async def api_load(daemon: Daemon, args: argparse.Namespace) -> dict[str, Any]:
    base = getattr(daemon, "base", "")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BENCH / "apiload.py"),
        f"--url={base}",
        f"--requests={args.api_requests}",
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    figures: dict[str, Any] = json.loads(output)
    database = daemon.workdir / "smsd.sqlite3"
    figures["durable_rows"] = _count_rows(database, figures["marker"])
    return figures


def _count_rows(database: Path, marker: str) -> int:
    import sqlite3  # noqa: PLC0415 - only this check reads the daemon's file

    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM scheduled WHERE text LIKE ?", (f"{marker}%",)
        ).fetchone()
    return int(row[0])


async def _start_profiler(
    args: argparse.Namespace, name: str, setup: Setup, daemon: Daemon, workdir: Path
) -> asyncio.subprocess.Process | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    wanted = args.profile and name == "smsd" and setup.name == args.profile_setup
    if not (wanted and Path(spy).exists()):  # noqa: ASYNC240 - one stat
        return None
    return await asyncio.create_subprocess_exec(
        spy,
        "record",
        "--format",
        "raw",
        "-o",
        str(workdir / "profile.txt"),
        "--rate",
        "1000",
        "--nonblocking",
        "--gil",
        "--pid",
        str(daemon.roots()[0]),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _stop_profiler(process: asyncio.subprocess.Process, workdir: Path) -> dict[str, Any]:
    process.send_signal(2)
    await process.wait()
    from profile_report import top_functions  # noqa: PLC0415 - optional step

    return top_functions(workdir / "profile.txt", 15)


def ratio(value: float | None, reference: float | None) -> str:
    if not value or not reference:
        return ""
    return f"{value / reference:.2f}x"


def print_table(results: list[dict[str, Any]]) -> None:
    smsd = {r["setup"]: r for r in results if r["daemon"] == "smsd"}
    rows: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        ("seg/s", lambda r: r["burst"]["segments_per_s"]),
        ("burst p50 ms", lambda r: r["burst"]["latency_ms"].get("p50")),
        ("burst p95 ms", lambda r: r["burst"]["latency_ms"].get("p95")),
        ("burst max ms", lambda r: r["burst"]["latency_ms"].get("max")),
        ("idle p50 ms", lambda r: r.get("idle", {}).get("p50")),
        ("idle p95 ms", lambda r: r.get("idle", {}).get("p95")),
        ("idle max ms", lambda r: r.get("idle", {}).get("max")),
        ("CPU ms/seg", lambda r: r["burst"]["cpu_ms_per_segment"]),
        ("peak RSS MB", lambda r: r["peak_rss_mb"]),
        ("PSS MB", lambda r: r["memory_mb"]["pss"]),
        ("USS MB", lambda r: r["memory_mb"]["uss"]),
        ("RSS MB", lambda r: r["memory_mb"]["rss"]),
        ("PSS after 10k", lambda r: r["memory_mb_after_burst"]["pss"]),
        ("USS after 10k", lambda r: r["memory_mb_after_burst"]["uss"]),
        ("RSS after 10k", lambda r: r["memory_mb_after_burst"]["rss"]),
        ("incoming s", lambda r: r.get("incoming", {}).get("seconds")),
        ("utilisation", lambda r: r["burst"].get("utilisation")),
        ("whole/total", lambda r: f"{r['burst']['whole_messages']}/{r['burst']['messages']}"),
    ]
    print(f"{'daemon':<11}{'setup':<10}{'figure':<14}{'value':>12}{'vs smsd':>10}")
    for result in results:
        for label, get in rows:
            try:
                value = get(result)
            except KeyError:
                continue
            if value is None:
                continue
            mine = smsd.get(result["setup"]) or smsd.get(result["setup"].removesuffix("-c1"))
            reference = None
            if mine is not None and not isinstance(value, str):
                try:
                    reference = get(mine)
                except KeyError:
                    reference = None
            shown = ratio(value, reference) if isinstance(value, float | int) else ""
            print(f"{result['daemon']:<11}{result['setup']:<10}{label:<14}{value!s:>12}{shown:>10}")
        if "api" in result:
            api = result["api"]
            print(
                f"{'':<21}API: {api['requests_per_s']} req/s, p99 {api['latency_ms']['p99']} ms, "
                f"{api['accepted']} accepted, {api['durable_rows']} in the DB"
            )
        by_thread = result["burst"].get("cpu_ms_per_segment_by_thread", {})
        if by_thread:
            shown = ", ".join(
                f"{name} {row['user']:.2f}+{row['system']:.2f} ({row['switches']:.1f} sw)"
                for name, row in by_thread.items()
            )
            print(f"{'':<21}CPU ms/seg by thread (user+system, switches/seg): {shown}")
        if "profile" in result:
            print(f"{'':<21}profile samples: {result['profile']['samples']} (top frames: JSON)")


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    setups = [
        Setup("instant-1", 1, 0.0, args.messages),
        Setup("instant-4", 4, 0.0, args.messages),
        Setup("slow-4", 4, args.slow_delay, args.slow_messages),
        Setup("instant-1-c1", 1, 0.0, args.messages, clients=1),
        Setup("instant-4-c1", 4, 0.0, args.messages, clients=1),
    ]
    setups = [s for s in setups if s.name in args.setups]
    results = []
    for name in args.daemons:
        binary = PEER_BINARIES.get(name)
        if binary is not None and shutil.which(binary) is None:
            print(f"{name}: not installed, skipped", file=sys.stderr)
            continue
        for setup in setups:
            if setup.clients != INJECT_CLIENTS and name != "smsd":
                continue  # a peer takes its spool files one by one whatever the clients
            print(f"{name} {setup.name} ...", file=sys.stderr, flush=True)
            if args.workdir:
                kept = Path(args.workdir) / f"{name}-{setup.name}"
                kept.mkdir(parents=True, exist_ok=True)
                results.append(await run_setup(name, setup, args, kept))
                continue
            with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
                results.append(await run_setup(name, setup, args, Path(tmp)))
    return results


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--daemons", nargs="+", default=list(DAEMONS), choices=list(DAEMONS))
    parser.add_argument(
        "--setups",
        nargs="+",
        default=["instant-1", "instant-4", "slow-4", "instant-1-c1", "instant-4-c1"],
        help="the -c1 setups inject into smsd from one client (the peers skip them)",
    )
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--slow-messages", type=int, default=40)
    parser.add_argument("--slow-delay", type=float, default=3.0)
    parser.add_argument("--idle-samples", type=int, default=20)
    parser.add_argument("--incoming", type=int, default=50)
    parser.add_argument("--api-requests", type=int, default=3000)
    parser.add_argument(
        "--memory-messages",
        type=int,
        default=10_000,
        help="smsd instant-4: messages sent before memory is read again (0: none)",
    )
    parser.add_argument(
        "--memory-settle",
        type=float,
        default=12.0,
        help="seconds after the last segment of that burst before memory is read again",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy on one of smsd's runs")
    parser.add_argument("--profile-setup", default="instant-4", help="the run --profile records")
    parser.add_argument("--timeout", type=float, default=90.0, help="cap of each phase, s")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument(
        "--smsd-python",
        help="interpreter running smsd (default: this one), e.g. a venv with only smsd installed",
    )
    parser.add_argument("--gammu-loopsleep", type=int, default=1, help="gammu-smsd LoopSleep")
    parser.add_argument("--workdir", help="keep every run's files (logs, spools) under this")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.smsd_python:
        Smsd.python = args.smsd_python
    GammuSmsd.loopsleep = args.gammu_loopsleep
    results = asyncio.run(main_async(args))
    print_table(results)
    if args.json:
        document = {"python": platform.python_version(), "args": vars(args), "results": results}
        Path(args.json).write_text(json.dumps(document, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
