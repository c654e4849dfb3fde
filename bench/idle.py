"""What an idle daemon costs: CPU seconds and wake-ups per thread over a quiet minute.

    python bench/idle.py                          # every daemon installed, 4 modems, 60 s each
    python bench/idle.py --daemons smsd --seconds 20 --json idle.json

Each daemon runs against a fresh ``bench/emulator.py`` (N virtual modems on ptys, instant
answers), configured as in ``bench/compare.py``. Once every modem has sent one warm-up message
and ``--settle`` seconds have passed, every thread of the daemon's process tree is read from
``/proc/<pid>/task/<tid>/`` (utime + stime from ``stat``, voluntary and involuntary context
switches from ``status``), the daemon is left alone for ``--seconds``, and the threads are read
again. A voluntary context switch is a thread going to sleep, so each one follows a wake-up:
switches per second is the wake-up rate. The table gives, per daemon, CPU seconds, CPU %,
switches per second and the threads that woke most; ``--json`` writes every thread's deltas.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from compare import PEER_BINARIES
from daemons import DAEMONS, Smsd
from rig import EmulatorProcess, Outgoing, ProcessTree, memory_mb, now, thread_samples


async def _wait_wire(emulator: EmulatorProcess, count: int, timeout: float) -> bool:
    deadline = now() + timeout
    while now() < deadline:
        if len(emulator.wire()) >= count:
            return True
        await asyncio.sleep(0.05)
    return False


async def measure(name: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    emulator = EmulatorProcess(workdir, args.modems, 0.0, capacity=30)
    daemon = DAEMONS[name](workdir)
    paths = await emulator.start()
    try:
        await daemon.start(paths)
        warm = [Outgoing(f"+3369999{i:04d}", f"warm-up {i}", 1) for i in range(args.modems)]
        await daemon.prepare(warm)
        await daemon.inject(warm)
        if not await _wait_wire(emulator, len(warm), args.timeout):
            raise RuntimeError(f"{name}: warm-up never reached the wire\n{daemon.log_tail()}")
        await asyncio.sleep(args.settle)
        tree = ProcessTree(daemon.roots())
        pids = tree.pids()
        before = thread_samples(pids)
        started = now()
        await asyncio.sleep(args.seconds)
        after = thread_samples(tree.pids())
        elapsed = now() - started
        memory = memory_mb(tree.pids())
        alive = daemon.alive()
    finally:
        await daemon.stop()
        await emulator.stop()
    threads = []
    for tid, last in after.items():
        first = before.get(tid)
        cpu0, vol0, inv0 = (first.cpu, first.voluntary, first.involuntary) if first else (0, 0, 0)
        threads.append(
            {
                "pid": last.pid,
                "tid": tid,
                "name": last.name,
                "cpu_s": round(last.cpu - cpu0, 3),
                "voluntary": last.voluntary - vol0,
                "involuntary": last.involuntary - inv0,
                "switches_per_s": round(
                    (last.voluntary - vol0 + last.involuntary - inv0) / elapsed, 2
                ),
            }
        )
    threads.sort(key=lambda t: (-t["switches_per_s"], -t["cpu_s"]))
    cpu = sum(t["cpu_s"] for t in threads)
    switches = sum(t["voluntary"] + t["involuntary"] for t in threads)
    return {
        "daemon": name,
        "modems": args.modems,
        "seconds": round(elapsed, 2),
        "processes": len({t["pid"] for t in threads}),
        "threads": threads,
        "cpu_s": round(cpu, 3),
        "cpu_percent": round(100 * cpu / elapsed, 3),
        "switches_per_s": round(switches / elapsed, 2),
        "memory_mb": memory,
        "alive": alive,
    }


def print_table(results: list[dict[str, Any]]) -> None:
    print(
        f"{'daemon':<12}{'procs':>6}{'threads':>8}{'CPU s':>8}{'CPU %':>8}"
        f"{'switch/s':>10}{'PSS MB':>8}{'USS MB':>8}{'RSS MB':>8}"
    )
    for r in results:
        memory = r["memory_mb"]
        print(
            f"{r['daemon']:<12}{r['processes']:>6}{len(r['threads']):>8}{r['cpu_s']:>8.2f}"
            f"{r['cpu_percent']:>8.3f}{r['switches_per_s']:>10.2f}{memory['pss']:>8.1f}"
            f"{memory['uss']:>8.1f}{memory['rss']:>8.1f}"
        )
    for r in results:
        print(f"\n{r['daemon']}: threads by switches/s (voluntary+involuntary), CPU s")
        for t in r["threads"][:8]:
            print(
                f"  {t['name']:<18} pid {t['pid']:<8} tid {t['tid']:<8}"
                f"{t['switches_per_s']:>8.2f}/s {t['voluntary']:>6} vol {t['involuntary']:>5} inv"
                f"{t['cpu_s']:>8.2f} s"
            )


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for name in args.daemons:
        binary = PEER_BINARIES.get(name)
        if binary is not None and shutil.which(binary) is None:
            print(f"{name}: not installed, skipped", file=sys.stderr)
            continue
        print(f"{name}: idle {args.seconds:g} s with {args.modems} modems ...", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix=f"idle-{name}-") as tmp:
            results.append(await measure(name, args, Path(tmp)))
    return results


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--daemons", nargs="+", default=list(DAEMONS), choices=list(DAEMONS))
    parser.add_argument("--modems", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60.0, help="the idle minute")
    parser.add_argument("--settle", type=float, default=5.0, help="quiet time before measuring")
    parser.add_argument("--timeout", type=float, default=90.0, help="cap of the warm-up, s")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument(
        "--smsd-python",
        help="interpreter running smsd (default: this one), e.g. a venv with only smsd installed",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.smsd_python:
        Smsd.python = args.smsd_python
    results = asyncio.run(main_async(args))
    print_table(results)
    if args.json:
        document = {"python": platform.python_version(), "args": vars(args), "results": results}
        Path(args.json).write_text(json.dumps(document, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
