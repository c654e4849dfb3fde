"""What one message costs the daemon, counted: commits, SQL statements, thread hand-overs, logs.

    python bench/costs.py                    # 50 one-segment messages, one client
    python bench/costs.py --messages 200 --json costs.json

The real daemon (:class:`smsd.daemon.Daemon`, the configuration ``bench/compare.py`` gives it,
one built-in virtual modem) runs in this process; one HTTP client posts ``--messages``
one-segment messages to ``/api/scheduled`` one after the other (the way ``bench/compare.py``'s
``-c1`` setups inject) and the script waits until every one is sent. Counted over that burst,
after a warm-up, and divided by the messages:

- ``hand_overs``: calls run on the store's writer and reader threads (each is a trip from the
  event loop to the thread and back);
- ``statements``: SQL statements each connection ran (``BEGIN``, savepoints and ``COMMIT``
  included), and the ``COMMIT`` statements alone (``commits``: one fsync each);
- ``reads`` (reader hand-overs by the smsd function asking) and ``writes`` (transitions queued
  for the writer, by name: several may share one commit);
- ``log_events``: structlog events emitted at the daemon's default level (``info``), by name.

These are counts, not times: ``bench/compare.py`` measures the CPU in a process of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import structlog

from smsd import log
from smsd.config import load_config
from smsd.daemon import Daemon
from smsd.store import batch, writer

if TYPE_CHECKING:
    from collections.abc import Callable, MutableMapping

API_KEY = "0123456789abcdef0123456789abcdef"


class Counts:
    """Counters the patched store threads and the logging chain add to."""

    def __init__(self) -> None:
        self.hand_overs: Counter[str] = Counter()
        self.statements: Counter[str] = Counter()
        self.commits: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.address = ""
        self.reads: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()
        self.threads: dict[str, int] = {}
        """The store threads' ``pthread`` ids, by name."""

    def cpu_us(self) -> Counter[str]:
        """CPU time (user + system) each store thread and the event loop's have used, in µs."""
        used: Counter[str] = Counter()
        ids = {**self.threads, "event-loop": threading.main_thread().ident or 0}
        for name, ident in ids.items():
            with contextlib.suppress(OSError):
                clock = time.pthread_getcpuclockid(ident)
                used[name] = round(time.clock_gettime(clock) * 1e6)
        return used

    def snapshot(self) -> dict[str, Counter[str]]:
        return {
            "hand_overs": Counter(self.hand_overs),
            "statements": Counter(self.statements),
            "commits": Counter(self.commits),
            "log_events": Counter(self.events),
            "reads": Counter(self.reads),
            "writes": Counter(self.writes),
            "cpu_us": self.cpu_us(),
        }


def _caller() -> str:
    """The smsd function (outside the store's plumbing) that asked for a hand-over."""
    frame = sys._getframe(2)  # noqa: SLF001 - a bench looks at its callers
    plumbing = ("writer.py", "db.py", "batch.py", "costs.py")
    while frame is not None:
        code = frame.f_code
        if "smsd" in code.co_filename and not code.co_filename.endswith(plumbing):
            return f"{Path(code.co_filename).stem}.{code.co_qualname}"
        frame = frame.f_back
    return "?"


def instrument(counts: Counts, *, statements: bool = True) -> None:
    """Count hand-overs and statements of every :class:`~smsd.store.writer.SqliteThread`.

    ``statements=False``: no SQL trace (SQLite would expand each statement's text for it, work
    that :mod:`bench.instructions` must not count as the daemon's).
    """
    original = writer.SqliteThread.run
    original_call = writer.SqliteThread.call
    traced: set[int] = set()

    def counting(
        self: writer.SqliteThread, body: Callable[[sqlite3.Connection], Any]
    ) -> Callable[[sqlite3.Connection], Any]:
        name = self._thread.name.removeprefix("smsd-")
        counts.hand_overs[name] += 1
        counts.threads[name] = self._thread.ident or 0
        if name == "store-reader":
            counts.reads[_caller()] += 1

        def counted(conn: sqlite3.Connection) -> Any:  # noqa: ANN401 - whatever the body returns
            if statements and conn is not None and id(conn) not in traced:
                traced.add(id(conn))

                def trace(sql: str) -> None:
                    counts.statements[name] += 1
                    if sql.strip().upper() == "COMMIT":
                        counts.commits[name] += 1

                conn.set_trace_callback(trace)
            return body(conn)

        return counted

    async def run(self: writer.SqliteThread, body: Callable[[sqlite3.Connection], Any]) -> Any:  # noqa: ANN401 - as above
        return await original(self, counting(self, body))

    def call(
        self: writer.SqliteThread,
        body: Callable[[sqlite3.Connection], Any],
        settle: Callable[[bool, object], None],
    ) -> None:
        original_call(self, counting(self, body), settle)

    writer.SqliteThread.run = run  # type: ignore[method-assign]
    writer.SqliteThread.call = call  # type: ignore[method-assign]
    enqueue = batch.GroupWriter._enqueue  # noqa: SLF001 - a bench looks inside

    def counted_job(self: batch.GroupWriter, job: batch.Job[Any]) -> Any:  # noqa: ANN401 - the job's future
        counts.writes[job.action] += 1
        return enqueue(self, job)

    batch.GroupWriter._enqueue = counted_job  # type: ignore[method-assign]  # noqa: SLF001


def count_events(counts: Counts) -> None:
    """Count every structlog event that passes the level filter (and keep the API's address)."""

    def counter(
        _logger: object, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event = str(event_dict.get("event"))
        counts.events[event] += 1
        if event == "api_listening":
            counts.address = str(event_dict["address"])
        return event_dict

    # The daemon's own configuration, printing into a sink kept open for the whole run.
    sink = open(os.devnull, "w", encoding="utf-8")  # noqa: PTH123, SIM115
    saved, sys.stdout = sys.stdout, sink
    try:
        log.configure("json", level="info")
    finally:
        sys.stdout = saved
    processors = structlog.get_config()["processors"]
    structlog.configure(processors=[counter, *processors])


def _config(workdir: Path, modems: int) -> Path:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = workdir / "smsd.toml"
    path.write_text(
        '[daemon]\ndatabase = "smsd.sqlite3"\nlog_format = "json"\nlog_level = "info"\n'
        f'\n[api]\nlisten = "127.0.0.1:{port}"\n'
        f'\n[[users]]\nemail = "bench@example.org"\napi_key = "{API_KEY}"\nadmin = true\n'
        + "".join(
            f'\n[[phones]]\nname = "m{n}"\ndevice = "virtual"\ndelivery_reports = false\n'
            for n in range(1, modems + 1)
        ),
        encoding="utf-8",
    )
    return path


def _sent(database: Path) -> int:
    # A connection of this script's own (not one of the daemon's counted threads).
    with contextlib.closing(sqlite3.connect(database)) as conn:
        found = conn.execute("SELECT count(*) FROM sended WHERE state = 'sent'").fetchone()
    return int(found[0])


async def _post(session: aiohttp.ClientSession, base: str, count: int, start: int) -> None:
    for n in range(start, start + count):
        body = {"text": f"Your code is {n:06d}", "numbers": [f"+3361{n:07d}"]}
        async with session.post(f"{base}/api/scheduled", json=body) as response:
            if response.status != 201:
                raise RuntimeError(f"POST /api/scheduled: {response.status}")
            await response.read()


async def _until_sent(database: Path, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _sent(database) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{_sent(database)} of {count} sent")
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # let the last transitions and logs settle


async def measure(
    messages: int, warmup: int, workdir: Path, modems: int = 1, *, statements: bool = True
) -> dict[str, Any]:
    counts = Counts()
    instrument(counts, statements=statements)
    count_events(counts)
    config = load_config(_config(workdir, modems))
    daemon = Daemon(config, announce=lambda _text: None)
    serving = asyncio.create_task(daemon.serve())
    try:
        while not counts.address:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.02)
        base = "http://" + counts.address.removeprefix("http://")
        database = workdir / "smsd.sqlite3"
        headers = {"X-Api-Key": API_KEY}
        async with aiohttp.ClientSession(headers=headers) as session:
            await _post(session, base, warmup, 0)
            await _until_sent(database, warmup, 30)
            before = counts.snapshot()
            await _post(session, base, messages, warmup)
            await _until_sent(database, warmup + messages, 60)
            after = counts.snapshot()
    finally:
        daemon.stop()
        await serving
    return {
        kind: {
            name: round((after[kind][name] - before[kind][name]) / messages, 2)
            for name in sorted(after[kind])
            if after[kind][name] != before[kind][name]
        }
        for kind in after
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--modems", type=int, default=1, help="built-in virtual modems")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument(
        "--no-statements",
        action="store_true",
        help="no SQL trace (statements and commits are not counted)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-costs-") as tmp:
        figures = asyncio.run(
            measure(
                args.messages,
                args.warmup,
                Path(tmp),
                args.modems,
                statements=not args.no_statements,
            )
        )
    print(f"per one-segment message, one client, {args.messages} messages, {args.modems} modem(s):")
    for kind, values in figures.items():
        total = round(sum(values.values()), 2)
        detail = ", ".join(f"{name} {value}" for name, value in values.items())
        print(f"  {kind:<11} {total:>6}  ({detail})")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
