"""Load ``POST /api/scheduled`` from a process of its own: requests/s and latency percentiles.

    python bench/apiload.py --url http://127.0.0.1:PORT --requests 3000 [--concurrency 32]

Each request schedules one message in the far future (so the API is measured, not the modems),
its text starting with a marker the caller counts in the database afterwards. Prints one JSON
object: accepted, refused, requests_per_s, latency_ms (p50/p95/p99/max), marker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid

import aiohttp

API_KEY = "b" * 40
AT = "2099-12-31 23:59:00"


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples) or [0.0]

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000, 2)

    return {"p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99), "max": pick(1.0)}


async def load(url: str, requests: int, concurrency: int) -> dict[str, object]:
    marker = f"load-{uuid.uuid4().hex[:8]}"
    counter = iter(range(requests))
    latencies: list[float] = []
    refused = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal refused
        for n in counter:
            body = {"text": f"{marker} #{n}", "numbers": [f"+3361{n:07d}"], "at": AT}
            started = time.perf_counter()
            async with session.post(f"{url}/api/scheduled", json=body) as response:
                await response.read()
                if response.status == 201:
                    latencies.append(time.perf_counter() - started)
                else:
                    refused += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        connector=connector, headers={"X-Api-Key": API_KEY}
    ) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "marker": marker,
        "accepted": len(latencies),
        "refused": refused,
        "concurrency": concurrency,
        "requests_per_s": round((len(latencies) + refused) / elapsed, 1),
        "latency_ms": _percentiles(latencies),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    figures = asyncio.run(load(args.url, args.requests, args.concurrency))
    sys.stdout.write(json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
