"""USSD figures: answer latency over the virtual modem, and SMS throughput with and without a
USSD balance check every second, side by side in one run.

    python bench/ussd.py [--requests K] [--messages M] [--submit-delay S] [--json out.json]

Everything runs as the daemon runs it: an :class:`~smsd.runtime.engine.Engine` over a temporary
SQLite file (WAL, ``synchronous=FULL``), a virtual modem (a Huawei: requests go GSM-7 packed,
answers come back packed) on a pseudo-terminal, the core's USSD service.

1. **answer latency**: K balance requests (default 200) one after the other through
   ``UssdService.start`` (session committed, ``AT+CUSD``, the ``+CUSD`` answer decoded, the
   answer committed), the virtual network answering at once: p50/p95/p99 in milliseconds. Also
   the same request through the modem driver alone (no store), to show where the time goes.
2. **SMS alone**: M one-segment messages (default 600) queued, one modem whose network takes
   ``--submit-delay`` seconds per submit (default 0.02); segments per second between the first
   and the last PDU on the wire, and the largest gap between two submits.
3. **SMS with a USSD check every second**: the same, while a task asks ``*100#`` every second
   (the virtual network answering 0.3 s later, as a real one takes a while): the same figures,
   the number of checks and their latency.

The last lines compare 2 and 3. Bounded: ``--timeout`` (default 120 s) caps each phase.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from smsd import log
from smsd.config import PhoneConfig
from smsd.modem.virtual import Faults, PtyModem, VirtualModem
from smsd.runtime.engine import Engine
from smsd.store import accounts, outbox
from smsd.store.db import Database
from smsd.store.outbox import Recipient

if TYPE_CHECKING:
    from collections.abc import Callable

Figures = dict[str, Any]
SETTINGS = {"health_interval": 30.0, "poll_interval": 60.0, "command_timeout": 2.0}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def until(done: Callable[[], bool], timeout: float) -> None:
    """Poll ``done`` (the virtual modem's record) until true; TimeoutError after ``timeout``."""
    async with asyncio.timeout(timeout):
        while not done():  # noqa: ASYNC110 - the modem's record has no event to wait on
            await asyncio.sleep(0.01)


def latency_figures(seconds: list[float]) -> Figures:
    ms = [s * 1000 for s in seconds]
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 0.50), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2),
    }


class Rig:
    """A store, an engine and one virtual modem, for one phase."""

    def __init__(self, folder: Path, virtual: VirtualModem) -> None:
        self.folder = folder
        self.virtual = virtual
        self.pty = PtyModem(virtual)

    async def __aenter__(self) -> Self:
        self.db = await Database.open(self.folder / "bench.sqlite3")
        self.id_user = await accounts.ensure_user(
            self.db, email="bench@example.org", api_key="b" * 32, admin=True
        )
        self.engine = Engine(self.db, id_user=self.id_user)
        path = await self.pty.start()
        self.phone = await self.engine.add_phone(PhoneConfig(name="m1", device=path, **SETTINGS))  # type: ignore[arg-type]
        await asyncio.wait_for(self.phone.modem.ready.wait(), timeout=20)
        self.task: asyncio.Task[None] | None = None
        return self

    def start(self) -> None:
        """Start the dispatcher (after the messages are stored: they are expanded at once)."""
        self.task = asyncio.create_task(self.engine.run())

    async def __aexit__(self, *_exc: object) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.engine.close()
        await self.pty.stop()
        await self.db.close()

    async def ask(self) -> float:
        started = time.perf_counter()
        row = await self.engine.ussd.start(
            id_user=self.id_user, id_phone=self.phone.id_phone, code="*100#", wait=30
        )
        if row.status != "done":
            raise RuntimeError(f"USSD request ended {row.status}: {row.error}")
        return time.perf_counter() - started


async def answer_latency(folder: Path, requests: int) -> Figures:
    virtual = VirtualModem(name="m1")
    virtual.ussd.delay = 0.0
    async with Rig(folder, virtual) as rig:
        rig.start()
        await rig.ask()  # warm-up
        through_core = [await rig.ask() for _ in range(requests)]
        modem_only = []
        for _ in range(requests):
            started = time.perf_counter()
            await rig.phone.modem.ussd("*100#", timeout=10)
            modem_only.append(time.perf_counter() - started)
    return {"core": latency_figures(through_core), "modem_only": latency_figures(modem_only)}


async def sms_run(
    folder: Path, messages: int, submit_delay: float, *, ussd_every: float | None, timeout: float
) -> Figures:
    virtual = VirtualModem(
        name="m1", faults=Faults(submit_delay=submit_delay, status_reports=False)
    )
    virtual.ussd.delay = 0.3
    async with Rig(folder, virtual) as rig:
        for n in range(messages):
            await outbox.create_scheduled(
                rig.db, id_user=rig.id_user, text=f"Bench message {n}", at=None,
                numbers=[Recipient(number=f"+3361{n:07d}")], request_report=False,
            )  # fmt: skip
        checks: list[float] = []
        stop = asyncio.Event()

        async def checker() -> None:
            while not stop.is_set():
                checks.append(await rig.ask())
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, ussd_every - checks[-1])):  # type: ignore[operator]
                        await stop.wait()

        rig.start()
        await until(lambda: bool(virtual.submitted), timeout)
        task = asyncio.create_task(checker()) if ussd_every else None
        await until(lambda: len(virtual.submitted) >= messages, timeout)
        stop.set()
        if task is not None:
            await task
    times = [s.at for s in virtual.submitted]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    texts = sorted(s.decoded.text for s in virtual.submitted)
    intact = texts == sorted(f"Bench message {n}" for n in range(messages))
    figures: Figures = {
        "segments": len(times),
        "segments_per_s": round((len(times) - 1) / (times[-1] - times[0]), 1),
        "median_gap_ms": round(statistics.median(gaps) * 1000, 2),
        "p99_gap_ms": round(percentile(gaps, 0.99) * 1000, 2),
        "max_gap_ms": round(max(gaps) * 1000, 2),
        "all_intact_once": intact,
    }
    if ussd_every:
        figures["ussd_checks"] = latency_figures(checks)
    return figures


async def main_async(args: argparse.Namespace) -> Figures:
    log.configure("json", level="warning")
    with tempfile.TemporaryDirectory(prefix="smsd-bench-ussd-") as tmp:
        folder = Path(tmp)
        (folder / "a").mkdir()
        (folder / "b").mkdir()
        (folder / "c").mkdir()
        latency = await answer_latency(folder / "a", args.requests)
        alone = await sms_run(
            folder / "b", args.messages, args.submit_delay, ussd_every=None, timeout=args.timeout
        )
        beside = await sms_run(
            folder / "c", args.messages, args.submit_delay, ussd_every=1.0, timeout=args.timeout
        )
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "submit_delay_s": args.submit_delay,
        "answer_latency": latency,
        "sms_alone": alone,
        "sms_with_ussd_every_second": beside,
        "throughput_ratio": round(beside["segments_per_s"] / alone["segments_per_s"], 3),
    }


def report(figures: Figures) -> str:
    lat = figures["answer_latency"]
    core, modem = lat["core"], lat["modem_only"]
    alone, beside = figures["sms_alone"], figures["sms_with_ussd_every_second"]
    checks = beside["ussd_checks"]
    head = f"  {'':28}{'segments/s':>11}{'median gap':>13}{'p99 gap':>11}{'max gap':>11}"
    lines = [
        (
            f"USSD answer latency over the virtual modem ({core['count']} requests, the network "
            "answering at once):"
        ),
        (
            f"  through the core (store + modem): p50 {core['p50_ms']} ms, p95 "
            f"{core['p95_ms']} ms, p99 {core['p99_ms']} ms, max {core['max_ms']} ms"
        ),
        (
            f"  modem driver alone:               p50 {modem['p50_ms']} ms, p95 "
            f"{modem['p95_ms']} ms, p99 {modem['p99_ms']} ms"
        ),
        f"SMS throughput, one modem, {figures['submit_delay_s'] * 1000:g} ms per submit:",
        f"{head}{'intact':>8}",
    ]
    for name, run in (("alone", alone), ("with a USSD check every 1 s", beside)):
        lines.append(
            f"  {name:28}{run['segments_per_s']:>11}{run['median_gap_ms']:>10} ms"
            f"{run['p99_gap_ms']:>8} ms{run['max_gap_ms']:>8} ms{run['all_intact_once']!s:>8}"
        )
    lines.append(
        f"  USSD checks during the batch: {checks['count']}, p50 {checks['p50_ms']} ms, "
        f"max {checks['max_ms']} ms (the network answering after 300 ms)"
    )
    lines.append(f"  throughput with checks / alone: {figures['throughput_ratio']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--submit-delay", type=float, default=0.02)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = asyncio.run(main_async(args))
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
