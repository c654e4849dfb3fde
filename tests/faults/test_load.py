"""Load: 10,000 messages posted by 100 API clients at once (listing as they go) onto a daemon with
four virtual modems. The daemon's memory stays bounded and nothing is lost: every accepted
message is in the store exactly once and sent exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from support.fault_rig import (
    API_KEY,
    EMAIL,
    DaemonProcess,
    duplicates,
    start_modems,
    wire,
    write_config,
)

from smsd.modem.virtual import Faults
from smsd.store import accounts
from smsd.store.db import Database

CLIENTS = 100
POSTS_PER_CLIENT = 10
NUMBERS_PER_POST = 10  # 100 x 10 x 10 = 10,000 outgoing messages
TOTAL = CLIENTS * POSTS_PER_CLIENT * NUMBERS_PER_POST
RSS_LIMIT = 200 * 1024 * 1024  # bytes; the daemon idles around 60 MB
HEADERS = {"X-Api-Key": API_KEY}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(170)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def _client(session: aiohttp.ClientSession, base: str, n: int) -> list[int]:
    accepted = []
    for post in range(POSTS_PER_CLIENT):
        numbers = [
            f"+336{n:03d}{post:02d}{i:03d}"  # unique per message
            for i in range(NUMBERS_PER_POST)
        ]
        data = [("text", f"load {n}/{post}")] + [("numbers[]", number) for number in numbers]
        async with session.post(f"{base}/api/scheduled/", data=data, headers=HEADERS) as reply:
            body = await reply.json(content_type=None)
            assert reply.status == 201, body
            accepted.append(int(body["response"]))
        async with session.get(f"{base}/api/list/sended/", headers=HEADERS) as reply:
            assert reply.status in {200, 404}
            await reply.read()
        async with session.get(f"{base}/api/list/scheduled/", headers=HEADERS) as reply:
            assert reply.status in {200, 404}
            await reply.read()
    return accepted


async def _api_up(session: aiohttp.ClientSession, base: str) -> None:
    async with asyncio.timeout(30):
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{base}/api/usage/", headers=HEADERS) as reply:
                    if reply.status == 200:
                        return
            await asyncio.sleep(0.2)


async def _nothing_lost(db: Database, modems, results: list[list[int]]) -> None:
    accepted = [i for ids in results for i in ids]
    assert len(set(accepted)) == CLIENTS * POSTS_PER_CLIENT
    rows = await db.fetchall("SELECT destination, state FROM sended")
    assert len(rows) == TOTAL
    assert len({str(r["destination"]) for r in rows}) == TOTAL  # each message once
    states = Counter(str(r["state"]) for r in rows)
    assert states == {"sent": TOTAL}, states
    on_wire = wire(modems)
    assert duplicates(on_wire) == {}
    assert len(on_wire) == TOTAL
    assert {s.modem for s in on_wire} == set(modems)  # all four modems shared the work


async def test_ten_thousand_messages_from_a_hundred_clients(tmp_path) -> None:
    modems = await start_modems(["m1", "m2", "m3", "m4"], Faults())
    config = write_config(tmp_path, modems)
    port = _free_port()
    config.write_text(
        config.read_text().replace('listen = "127.0.0.1:0"', f'listen = "127.0.0.1:{port}"')
    )
    db = await Database.open(tmp_path / "smsd.sqlite3")
    await accounts.ensure_user(db, email=EMAIL, api_key=API_KEY, admin=True)
    daemon = DaemonProcess(config)
    base = f"http://127.0.0.1:{port}"
    samples: list[int] = []
    try:
        await daemon.start()
        assert daemon.process is not None
        pid = daemon.process.pid
        connector = aiohttp.TCPConnector(limit=CLIENTS)
        async with aiohttp.ClientSession(connector=connector) as session:
            await _api_up(session, base)
            idle = _rss(pid)

            async def sample() -> None:
                while True:
                    samples.append(_rss(pid))
                    await asyncio.sleep(0.2)

            sampler = asyncio.create_task(sample())
            try:
                results = await asyncio.gather(*(_client(session, base, n) for n in range(CLIENTS)))

                async def all_sent() -> bool:
                    found = await db.fetchone("SELECT count(*) FROM sended WHERE state = 'sent'")
                    assert found is not None
                    return int(found[0]) == TOTAL

                async with asyncio.timeout(90):  # about 15 s on two idle cores
                    while not await all_sent():
                        await asyncio.sleep(0.5)
            finally:
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
        assert await daemon.stop() == 0, daemon.logs()
        await _nothing_lost(db, modems, results)
        peak = max(samples)
        print(  # noqa: T201 - the figures of this run, shown with pytest -s
            f"\nload: idle RSS {idle / 2**20:.0f} MiB, peak {peak / 2**20:.0f} MiB, "
            f"{TOTAL} messages sent"
        )
        assert peak < RSS_LIMIT, (idle, peak)
    finally:
        if daemon.alive:
            await daemon.kill()
        for pty in modems.values():
            await pty.stop()
        await db.close()
