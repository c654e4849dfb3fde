"""Dispatch figures: segments per second through the engine, and commit-to-wire latency.

    python bench/dispatch.py [--modems N] [--messages M] [--idle-samples K] [--json out.json]

N virtual modems (default 4) answer instantly on pseudo-terminals served by this process; an
:class:`~smsd.runtime.engine.Engine` runs over a temporary SQLite file (WAL, ``synchronous=FULL``)
with one driver, sender and receiver per modem, as the daemon runs them. Messages are created as
scheduled messages (one per message, as one API post each, each to its own number) and expanded
exactly as the dispatcher does (one transaction per scheduled message, up to ``EXPANSIONS`` at
once so that their commits are grouped, then the senders are woken); the bench runs that step
itself so that it knows when each ``queued`` row committed.
The mix (default 2,000 messages): 70 % short GSM-7, 20 % two-segment GSM-7, 10 % UCS-2 with emoji.
Three phases:

1. **send path alone**: M messages are queued before the modems come up; segments per second
   between the first and the last PDU on the wire.
2. **idle modem**: one message at a time (K samples, default 200), every modem idle: latency from
   the commit of the message's ``queued`` row to the arrival of its first PDU on the wire (the
   virtual modem's receive time of the PDU's Ctrl-Z, ``SubmittedPdu.at``, on the same event-loop
   clock): wake, ``claim`` (one fsynced commit), encode, ``AT+CMGS`` and its prompt.
3. **end to end**: M scheduled messages expanded and sent at once; segments per second from the
   first expansion until every message is ``sent``, and the same commit-to-wire latency, which
   now includes the wait in the queue.

Targets (issue 4): >= 500 segments/s with 4 instant modems; p99 commit-to-wire < 20 ms on an
idle modem. ``--profile N`` runs phase 3 under cProfile and prints the hot spots
(event-loop thread only: SQLite itself runs in the store's own threads, ``smsd.store.writer``).
Logging runs at ``info`` in the journal format, written to /dev/null, so its cost is counted as
in the daemon (``--log off`` drops it). Bounded: ``--timeout`` (default 100 s) caps each phase.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smsd import log, pdu
from smsd.config import PhoneConfig
from smsd.modem.virtual import Faults, PtyModem, VirtualModem
from smsd.runtime.dispatcher import EXPANSIONS, plain, plan_segments
from smsd.runtime.engine import Engine
from smsd.store import accounts, outbox
from smsd.store.db import Database
from smsd.store.outbox import Recipient

if TYPE_CHECKING:
    from collections.abc import Iterator

Figures = dict[str, Any]
"""A JSON-ready set of figures."""

SEED = 20_240_611
TARGET_SEGMENTS_PER_S = 500
TARGET_IDLE_P99_MS = 20
SHORT = "Your code is {n}. It expires in 10 minutes."
LONG = (
    "Dear customer, your parcel {n} is on its way and will be delivered tomorrow between 9:00 "
    "and 12:00. If you are not at home, it will wait for you at the nearest pick-up point."
)
UNICODE = "Rendez-vous confirmé pour demain 🎉 n°{n} — à bientôt 😊"


def message_mix(count: int, rng: random.Random) -> list[str]:
    """``count`` texts: 70 % short GSM-7, 20 % two-segment GSM-7, 10 % UCS-2 with emoji."""
    kinds = ["short"] * 70 + ["long"] * 20 + ["unicode"] * 10
    texts = []
    for n in range(count):
        kind = rng.choice(kinds)
        template = {"short": SHORT, "long": LONG, "unicode": UNICODE}[kind]
        texts.append(template.format(n=n))
    return texts


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99/max of ``samples`` (seconds), in milliseconds."""
    if not samples:
        return {}
    cuts = statistics.quantiles(samples, n=100, method="inclusive") if len(samples) > 1 else []
    pick = {50: 49, 95: 94, 99: 98}

    def ms(value: float) -> float:
        return round(value * 1000, 2)

    if not cuts:
        return {"p50": ms(samples[0]), "p95": ms(samples[0]), "p99": ms(samples[0])}
    return {
        **{f"p{p}": ms(cuts[i]) for p, i in pick.items()},
        "max": ms(max(samples)),
    }


class Bench:
    """The engine, its modems, and what the bench knows about each message."""

    def __init__(self, db: Database, id_user: int, modems: list[PtyModem]) -> None:
        self.db = db
        self.id_user = id_user
        self.modems = modems
        self.engine = Engine(db, id_user=id_user)
        self.loop = asyncio.get_running_loop()

    async def add_phones(self) -> None:
        for pty in self.modems:
            phone = await self.engine.add_phone(PhoneConfig(name=pty.modem.name, device=pty.path))
            await asyncio.wait_for(phone.modem.ready.wait(), timeout=10)

    async def schedule(self, texts: list[str], prefix: str) -> None:
        """One scheduled message per text (as one API post each), each to its own number."""
        for n, text in enumerate(texts):
            await outbox.create_scheduled(
                self.db,
                id_user=self.id_user,
                text=text,
                at=None,
                numbers=[Recipient(number=f"+{prefix}{n:07d}")],
            )

    async def expand(self) -> dict[int, float]:
        """Expand every due scheduled message as the dispatcher does; commit time of each row."""
        committed: dict[int, float] = {}
        while True:
            due = await outbox.due_scheduled(self.db, now=time.time())
            if not due:
                return committed
            for start in range(0, len(due), EXPANSIONS):

                async def one(id_scheduled: int) -> None:
                    ids = await outbox.expand_scheduled(
                        self.db, id_scheduled, now=time.time(), render=plain, plan=plan_segments
                    )
                    moment = self.loop.time()
                    for id_sended in ids:
                        committed[id_sended] = moment

                await asyncio.gather(*(one(i) for i in due[start : start + EXPANSIONS]))
                self.engine.wake_senders()

    def arrivals(self) -> dict[str, float]:
        """First arrival on the wire of each destination's first segment (loop clock)."""
        first: dict[str, float] = {}
        for pty in self.modems:
            for item in pty.modem.submitted:
                destination = item.decoded.destination
                if destination not in first or item.at < first[destination]:
                    first[destination] = item.at
        return first

    def wire_segments(self) -> int:
        return sum(len(pty.modem.submitted) for pty in self.modems)

    async def wait_sent(self, count: int, timeout: float) -> float:
        """Wait until ``count`` messages are settled; return the loop time it was seen."""
        async with asyncio.timeout(timeout):
            while True:
                found = await self.db.fetchone(
                    "SELECT count(*) AS n FROM sended WHERE state NOT IN ('queued', 'sending')"
                )
                if found is not None and found["n"] >= count:
                    return self.loop.time()
                await asyncio.sleep(0.001 if count == 1 else 0.01)

    async def latencies(self, committed: dict[int, float]) -> list[float]:
        rows = await self.db.fetchall("SELECT id, destination FROM sended")
        arrivals = self.arrivals()
        return [
            arrivals[str(r["destination"])] - committed[int(r["id"])]
            for r in rows
            if int(r["id"]) in committed and str(r["destination"]) in arrivals
        ]


async def throughput(bench: Bench, args: argparse.Namespace) -> Figures:
    texts = message_mix(args.messages, random.Random(SEED))
    segments = sum(pdu.count(text).segments for text in texts)
    before = bench.wire_segments()
    base = await bench.db.fetchone("SELECT count(*) AS n FROM sended")
    assert base is not None
    await bench.schedule(texts, "3361")
    profiler = cProfile.Profile() if args.profile else None
    started = bench.loop.time()
    if profiler is not None:
        profiler.enable()
    committed = await bench.expand()
    expanded = bench.loop.time()
    done = await bench.wait_sent(int(base["n"]) + len(texts), args.timeout)
    if profiler is not None:
        profiler.disable()
    states = await bench.db.fetchall(
        "SELECT state, count(*) AS n FROM sended WHERE id > ? GROUP BY state", (int(base["n"]),)
    )
    on_wire = bench.wire_segments() - before
    elapsed = done - started
    result: Figures = {
        "messages": len(texts),
        "segments": segments,
        "segments_on_wire": on_wire,
        "states": {str(r["state"]): int(r["n"]) for r in states},
        "seconds": round(elapsed, 3),
        "expansion_seconds": round(expanded - started, 3),
        "segments_per_s": round(on_wire / elapsed, 1),
        "messages_per_s": round(len(texts) / elapsed, 1),
        "commit_to_wire_ms": percentiles(await bench.latencies(committed)),
    }
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.profile)
        result["profile"] = out.getvalue()
    return result


async def drain(bench: Bench, args: argparse.Namespace) -> Figures:
    """The send path alone: M messages already queued when the modems come up."""
    texts = message_mix(args.messages, random.Random(SEED + 2))
    await bench.schedule(texts, "3362")
    await bench.expand()  # no phone yet: everything waits in the queue
    started = bench.loop.time()
    await bench.add_phones()
    done = await bench.wait_sent(len(texts), args.timeout)
    arrivals = sorted(item.at for pty in bench.modems for item in pty.modem.submitted)
    span = arrivals[-1] - arrivals[0]
    return {
        "messages": len(texts),
        "segments_on_wire": len(arrivals),
        "seconds": round(done - started, 3),
        "wire_seconds": round(span, 3),
        "segments_per_s": round(len(arrivals) / span, 1) if span > 0 else None,
    }


async def idle_latency(bench: Bench, args: argparse.Namespace) -> Figures:
    rng = random.Random(SEED + 1)
    samples: list[float] = []
    deadline = bench.loop.time() + args.timeout
    base = await bench.db.fetchone("SELECT count(*) AS n FROM sended")
    assert base is not None
    settled = int(base["n"])
    for n in range(args.idle_samples):
        if bench.loop.time() > deadline:
            break
        await asyncio.sleep(rng.uniform(0.005, 0.02))  # every modem idle, nothing queued
        await bench.schedule([SHORT.format(n=n)], f"3369{n:03d}")
        committed = await bench.expand()
        settled += 1
        await bench.wait_sent(settled, 10)
        samples.extend(await bench.latencies(committed))
    return {"samples": len(samples), "commit_to_wire_ms": percentiles(samples)}


@contextlib.contextmanager
def logging_to(mode: str) -> Iterator[None]:
    """Configure smsd's logging as the daemon does, writing to /dev/null (or at warning)."""
    if mode == "off":
        log.configure("journal", level="warning")
        yield
        return
    with Path(os.devnull).open("w", encoding="utf-8") as sink:
        real, sys.stdout = sys.stdout, sink
        try:
            log.configure("journal", level="info")
        finally:
            sys.stdout = real
        yield


async def run(args: argparse.Namespace) -> Figures:
    with tempfile.TemporaryDirectory(prefix="smsd-dispatch-", dir=args.dir) as folder:
        db = await Database.open(Path(folder) / "smsd.sqlite3")
        modems = [
            PtyModem(VirtualModem(name=f"m{i + 1}", faults=Faults(storage_capacity=50)))
            for i in range(args.modems)
        ]
        bench: Bench | None = None
        try:
            for pty in modems:
                await pty.start()
            id_user = await accounts.ensure_user(db, email="bench@example.org", api_key="b" * 32)
            bench = Bench(db, id_user, modems)
            await bench.engine.recover()
            drained = await drain(bench, args)
            idle = await idle_latency(bench, args)
            loaded = await throughput(bench, args)
        finally:
            if bench is not None:
                await bench.engine.close()
            for pty in modems:
                await pty.stop()
            await db.close()
    return {
        "modems": args.modems,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "drain": drained,
        "idle": idle,
        "throughput": loaded,
        "targets": {
            "segments_per_s": TARGET_SEGMENTS_PER_S,
            "idle_p99_ms": TARGET_IDLE_P99_MS,
            "segments_per_s_met": loaded["segments_per_s"] >= TARGET_SEGMENTS_PER_S,
            "idle_p99_met": idle["commit_to_wire_ms"].get("p99", 1e9) < TARGET_IDLE_P99_MS,
        },
    }


def print_summary(summary: Figures) -> None:
    idle, loaded = summary["idle"], summary["throughput"]
    targets, drained = summary["targets"], summary["drain"]
    print(f"{summary['modems']} instant virtual modems, Python {summary['python']}")
    print()
    print(f"send path alone: {drained['messages']:,} messages queued before the modems came up")
    print(f"  {drained['segments_on_wire']:,} segments on the wire in {drained['wire_seconds']} s: "
          f"{drained['segments_per_s']} segments/s")  # fmt: skip
    print()
    print(f"idle modem, one message at a time ({idle['samples']} samples)")
    print(f"  commit -> wire ms: {idle['commit_to_wire_ms']}")
    print()
    print(f"end to end: {loaded['messages']:,} scheduled messages, {loaded['segments']:,} segments")
    print(f"  states: {loaded['states']}  segments on the wire: {loaded['segments_on_wire']:,}")
    print(f"  {loaded['seconds']} s end to end (expansion {loaded['expansion_seconds']} s)")
    print(f"  {loaded['segments_per_s']:,} segments/s, {loaded['messages_per_s']:,} messages/s")
    print(f"  commit -> wire ms (includes the wait in the queue): {loaded['commit_to_wire_ms']}")
    print()
    verdict = {True: "met", False: "NOT met"}
    print(f"target >= {TARGET_SEGMENTS_PER_S} segments/s: {verdict[targets['segments_per_s_met']]}")
    print(f"target idle p99 < {TARGET_IDLE_P99_MS} ms: {verdict[targets['idle_p99_met']]}")
    if "profile" in loaded:
        print()
        print(loaded["profile"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modems", type=int, default=4)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--idle-samples", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=100.0, help="cap per phase, seconds")
    parser.add_argument("--dir", type=Path, default=None, help="where the temporary file goes")
    parser.add_argument("--log", choices=["null", "off"], default="null")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile: print the top N"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.modems < 1 or args.messages < 1 or args.idle_samples < 1:
        parser.error("--modems, --messages and --idle-samples must be >= 1")
    with logging_to(args.log):
        summary = asyncio.run(run(args))
    print_summary(summary)
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
