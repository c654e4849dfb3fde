"""Store figures on a million sent messages: list pages, next due message, transitions per second.

    python bench/store.py [--rows N] [--queued N] [--seconds S] [--dir PATH] [--json out.json]

Builds a database in a temporary directory (``--dir`` to put it on the disk you care about, e.g.
the Pi's SD card): ``--rows`` sent messages (default 1,000,000, one segment each) of one user,
``--queued`` of them (default 10,000, spread over the ids, several priorities) still queued,
inserted with ``executemany`` in one transaction. Then it times, each the median of several runs:

* the list page 4,000 (offset 100,000) of ``/api/list/sended``: by offset (the store's form, ids
  picked from the index first), by plain ``LIMIT/OFFSET``, and by the ``after``/``before`` forms;
* ``next_queued`` (the next due message for one phone) with the queue full;
* ``claim`` -> ``mark_segment_sent`` -> ``mark_sent`` cycles, each transition its own committed
  transaction with ``synchronous=FULL``: this rate bounds dispatch throughput;
* a list page while those cycles run, read from the query-only reader connection and from the
  writer connection (``reader=False``), to see what the second connection buys;
* the start-up integrity checks (``quick_check``, ``integrity_check``) on the big file.

The whole run stays under two minutes on a laptop (most of it is the bulk insert).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from smsd.store import accounts, listing, outbox
from smsd.store.db import Database
from smsd.store.listing import EntryType
from smsd.store.walltime import wall

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

SEED = 20_240_305
PAGE = 4_000
BATCH = 50_000


async def build(path: Path, rows: int, queued: int) -> tuple[int, int, float]:
    """The big database; returns (user id, phone id, seconds spent inserting)."""
    db = await Database.open(path)
    try:
        id_user = await accounts.ensure_user(db, email="bench@example.org", api_key="b" * 32)
        id_phone = await accounts.sync_phone(
            db, id_user=id_user, name="m1", adapter="smsd\\Modem", adapter_data="{}",
            priority=0, limits=[],
        )  # fmt: skip
        rng = random.Random(SEED)
        queued_ids = set(rng.sample(range(1, rows + 1), queued))
        base = 1_700_000_000.0
        started = time.perf_counter()
        async with db.transaction("bulk insert") as conn:
            for start in range(1, rows + 1, BATCH):
                ids = range(start, min(rows + 1, start + BATCH))
                messages = []
                segments = []
                for i in ids:
                    moment = base + i
                    is_queued = i in queued_ids
                    messages.append((
                        i, wall(moment), f"message {i}", f"+336{i % 100_000_000:08d}", id_user,
                        None if is_queued else id_phone, "queued" if is_queued else "sent",
                        rng.choice((0, 0, 0, 5)) if is_queued else 0, moment, moment,
                        None if is_queued else str(i % 256),
                    ))  # fmt: skip
                    segments.append((
                        i, "queued" if is_queued else "sent", None if is_queued else i % 256,
                        None if is_queued else id_phone, None if is_queued else moment,
                    ))  # fmt: skip
                await conn.executemany(
                    "INSERT INTO sended (id, at, text, destination, id_user, id_phone, state, "
                    "priority, due_at, next_attempt_at, segments, uid) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                    messages,
                )
                await conn.executemany(
                    "INSERT INTO sended_segment (id_sended, seq, state, reference, id_phone, "
                    "sent_at) VALUES (?, 1, ?, ?, ?, ?)",
                    segments,
                )
        inserted = time.perf_counter() - started
        async with db.transaction("analyze") as conn:
            await conn.execute("ANALYZE")
    finally:
        await db.close()
    return id_user, id_phone, inserted


async def timed(action: Callable[[], Awaitable[object]], repeat: int) -> float:
    """Median seconds of ``repeat`` runs of ``await action()``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def list_figures(db: Database, id_user: int) -> dict[str, float]:
    offset = PAGE * listing.PAGE_SIZE
    first = await listing.list_page(db, EntryType.SENDED, id_user=id_user, page=PAGE)
    assert len(first) == listing.PAGE_SIZE
    after_id, before_id = first[0]["id"] - 1, first[-1]["id"] + 1
    plain = (
        "SELECT id, at, text, destination, flash, status, uid, adapter, id_user, id_phone, mms, "
        "originating_scheduled, created_at, updated_at, tag FROM sended WHERE id_user = ? "
        "ORDER BY id LIMIT 25 OFFSET ?"
    )
    assert [r["id"] for r in await db.fetchall(plain, (id_user, offset))] == [
        r["id"] for r in first
    ]
    return {
        "list page 4000 by offset (ids from index)": await timed(
            lambda: listing.list_page(db, EntryType.SENDED, id_user=id_user, page=PAGE), 15
        ),
        "list page 4000 by plain LIMIT/OFFSET": await timed(
            lambda: db.fetchall(plain, (id_user, offset)), 15
        ),
        "list page by after/<id>": await timed(
            lambda: listing.list_page(db, EntryType.SENDED, id_user=id_user, after=after_id), 50
        ),
        "list page by before/<id>": await timed(
            lambda: listing.list_page(db, EntryType.SENDED, id_user=id_user, before=before_id), 50
        ),
    }


async def transitions(db: Database, id_phone: int, seconds: float) -> tuple[int, float]:
    """Send queued messages through claim/mark_segment_sent/mark_sent for ``seconds``."""
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        message = await outbox.next_queued(db, phone_ids=[id_phone], now=2e9)
        if message is None:
            break
        now = time.time()
        assert await outbox.claim(db, message.id, id_phone=id_phone, now=now)
        await outbox.mark_segment_sent(db, message.id, 1, reference=done % 256, now=now)
        await outbox.mark_sent(db, message.id, now=now)
        done += 1
    return done, time.perf_counter() - started


async def contended_list(
    path: Path, id_user: int, id_phone: int, seconds: float, *, reader: bool
) -> float:
    """Median latency of the page-4000 list query while a sender runs transitions."""
    db = await Database.open(path, check="none", reader=reader)
    try:
        stop = asyncio.Event()
        latencies: list[float] = []

        async def lister() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                await listing.list_page(db, EntryType.SENDED, id_user=id_user, page=PAGE)
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.005)

        task = asyncio.create_task(lister())
        await transitions(db, id_phone, seconds)
        stop.set()
        await task
        return statistics.median(latencies)
    finally:
        await db.close()


async def integrity(path: Path) -> dict[str, float]:
    figures = {}
    for check in ("quick", "full"):
        started = time.perf_counter()
        db = await Database.open(path, check=check)  # type: ignore[arg-type]
        figures[f"open with {check} check"] = time.perf_counter() - started
        await db.close()
    return figures


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


async def run(args: argparse.Namespace) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="smsd-bench-", dir=args.dir))
    try:
        path = folder / "bench.sqlite3"
        id_user, id_phone, inserted = await build(path, args.rows, args.queued)
        size = await asyncio.to_thread(_size, folder)
        figures: dict[str, float] = {}
        db = await Database.open(path, check="none")
        try:
            figures.update(await list_figures(db, id_user))
            figures["next_queued (queue full)"] = await timed(
                lambda: outbox.next_queued(db, phone_ids=[id_phone], now=2e9), 50
            )
            figures["queue_depth"] = await timed(lambda: outbox.queue_depth(db), 20)
            sent, spent = await transitions(db, id_phone, args.seconds)
        finally:
            await db.close()
        contended = {
            "list page 4000 during sends, reader connection": await contended_list(
                path, id_user, id_phone, args.seconds / 2, reader=True
            ),
            "list page 4000 during sends, writer only": await contended_list(
                path, id_user, id_phone, args.seconds / 2, reader=False
            ),
        }
        checks = await integrity(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "rows": args.rows,
        "queued": args.queued,
        "file_mb": round(size / 1e6, 1),
        "insert_seconds": round(inserted, 2),
        "insert_rows_per_s": round(args.rows / inserted),
        "query_ms": {k: round(v * 1000, 3) for k, v in {**figures, **contended}.items()},
        "messages_per_s": round(sent / spent, 1),
        "transactions_per_s": round(3 * sent / spent, 1),
        "open_seconds": {k: round(v, 2) for k, v in checks.items()},
        "python": sys.version.split()[0],
        "machine": platform.machine(),
    }


def print_table(summary: dict[str, object]) -> None:
    print(f"database: {summary['rows']:,} sent messages ({summary['queued']:,} queued), "
          f"{summary['file_mb']} MB")  # fmt: skip
    print(f"bulk insert: {summary['insert_seconds']} s ({summary['insert_rows_per_s']:,} rows/s, "
          f"message + segment)")  # fmt: skip
    print()
    print(f"{'query':<52} {'median ms':>10}")
    print("-" * 63)
    for name, ms in summary["query_ms"].items():  # type: ignore[union-attr]
        print(f"{name:<52} {ms:>10.3f}")
    print()
    print(f"claim -> mark_segment_sent -> mark_sent: {summary['messages_per_s']} messages/s")
    print(f"  = {summary['transactions_per_s']} committed transactions/s, synchronous=FULL")
    for name, seconds in summary["open_seconds"].items():  # type: ignore[union-attr]
        print(f"{name}: {seconds} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queued", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per transition measurement")
    parser.add_argument("--dir", type=Path, default=None, help="where the temporary file goes")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.rows < (PAGE + 1) * listing.PAGE_SIZE or not 0 < args.queued < args.rows:
        parser.error(f"--rows must be >= {(PAGE + 1) * listing.PAGE_SIZE} and > --queued > 0")
    summary = asyncio.run(run(args))
    print_table(summary)
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
