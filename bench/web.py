"""Dashboard page times on a store of 100,000 messages: the server time of each page.

    python bench/web.py [--messages N] [--hours H] [--runs R]

Builds a database with ``--messages`` sent messages (default 100,000) and a tenth as many
received ones for one user, spread over the last ``--hours`` hours (default 24 * 30: a month,
so the overview's 48-hour chart reads its share; ``--hours 48`` puts every message in the chart),
inserted with ``executemany``. Then it serves the API and the dashboard on a loopback port, logs
in, and requests each page ``--runs`` times (default 50), printing the median and 95th
percentile of the server time (the ``Server-Timing`` header the pages send) and of the whole
request as the client saw it. The issue's target: the overview under 100 ms of server time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from smsd.api.app import make_app
from smsd.config import ApiConfig, WebConfig
from smsd.store import accounts
from smsd.store.db import Database
from smsd.store.walltime import wall
from smsd.web import install

KEY = "k" * 32
PAGES = (
    "/web/",
    "/web/fragment/overview",
    "/web/conversations",
    "/web/conversations?number=%2B33600000007",
    "/web/conversations?q=code",
    "/web/phones",
)


async def _fill(db: Database, id_user: int, messages: int, hours: int) -> None:
    now = time.time()
    rng = random.Random(7)
    id_phone = await accounts.sync_phone(
        db,
        id_user=id_user,
        name="dongle-1",
        adapter="virtual",
        adapter_data="{}",
        priority=0,
        limits=[(1000, "today")],
    )
    states = ("sent", "delivered", "delivered", "delivered", "failed", "unknown")

    def sended(i: int) -> tuple[object, ...]:
        at = now - rng.random() * hours * 3600
        state = rng.choice(states)
        return (
            wall(at),
            f"Your code is {i:06d}",
            f"+336{rng.randrange(10**8):08d}",
            id_user,
            id_phone,
            state,
            at,
            at,
            1,
            "no route" if state == "failed" else None,
        )

    rows = [sended(i) for i in range(messages)]
    received = [
        (
            wall(now - rng.random() * hours * 3600),
            f"reply {i}",
            f"+336{i % 5000:08d}",
            id_user,
            id_phone,
        )
        for i in range(messages // 10)
    ]

    def body(conn: object) -> None:
        conn.executemany(  # type: ignore[attr-defined]
            "INSERT INTO sended (at, text, destination, id_user, id_phone, state, due_at, "
            "next_attempt_at, segments, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(  # type: ignore[attr-defined]
            "INSERT INTO received (at, text, origin, id_user, id_phone) VALUES (?, ?, ?, ?, ?)",
            received,
        )

    await db.write("bench_fill", body)


def _figures(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered):7.2f} ms, p95 {p95:7.2f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--hours", type=int, default=24 * 30)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "smsd.sqlite3")
        id_user = await accounts.ensure_user(db, email="bench@example.org", api_key=KEY, admin=True)
        started = time.perf_counter()
        await _fill(db, id_user, args.messages, args.hours)
        print(
            f"filled {args.messages} sent + {args.messages // 10} received messages "
            f"over {args.hours} h in {time.perf_counter() - started:.1f} s"
        )
        app = make_app(ApiConfig(), db, lambda: None)
        install(app, WebConfig())
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        base = f"http://127.0.0.1:{port}"
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            async with session.get(f"{base}/web/login") as response:
                token = re.search(r'name="csrf" value="([^"]+)"', await response.text())
            assert token is not None
            await session.post(
                f"{base}/web/login", data={"csrf": token.group(1), "credential": KEY}
            )
            for path in PAGES:
                server: list[float] = []
                client: list[float] = []
                for _ in range(args.runs):
                    began = time.perf_counter()
                    async with session.get(base + path) as response:
                        await response.read()
                        timing = response.headers["Server-Timing"]
                    client.append((time.perf_counter() - began) * 1000)
                    server.append(float(timing.split("dur=")[1]))
                print(f"{path:45} server {_figures(server)} | client {_figures(client)}")
        await runner.cleanup()
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
