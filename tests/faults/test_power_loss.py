"""Power loss while smsd writes: a copy of the files taken at any instant opens sound and whole.

Two ways of taking the copy:

* inside the writer: an in-process engine sends and receives while a SQLite progress handler on
  its writer connection copies the database and its WAL at random points of statement execution
  (the writer is paused while it copies, so each copy is one instant, most of them in the middle
  of a transaction);
* beside a live daemon process: copies at random times while ``python -m smsd run`` sends. A
  read transaction held in the test process during each copy keeps SQLite from restarting the
  WAL between the two file copies (which a real power cut, being one instant, never sees).

Each copy must pass ``PRAGMA integrity_check`` and the store's own invariants (every message with
all its segments, segment states matching message states, expansions all or nothing), then open
with :class:`Database` and recover to a state with nothing left in ``sending``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import time
from typing import TYPE_CHECKING

import pytest
from crash_copy import check_copy, copy_database
from support.fault_rig import API_KEY, EMAIL, DaemonProcess, start_modems, write_config
from support.polling import until

from smsd.config import PhoneConfig
from smsd.modem.virtual import Faults
from smsd.runtime.engine import Engine
from smsd.store import accounts, outbox
from smsd.store.db import Database
from smsd.store.outbox import Recipient

if TYPE_CHECKING:
    from pathlib import Path

SEED = 7_340_033
TEXTS = (
    "Your code is {n}",
    "Delivery window confirmed for tomorrow morning, please keep your phone at hand. " * 2,
    "Rendez-vous confirmé 🎉 n°{n}",
)
FAST = {"health_interval": 2.0, "poll_interval": 2.0, "command_timeout": 2.0, "submit_timeout": 5.0}

pytestmark = pytest.mark.timeout(90)


async def _schedule(db: Database, id_user: int, n: int, recipients: int) -> None:
    await outbox.create_scheduled(
        db,
        id_user=id_user,
        text=TEXTS[n % len(TEXTS)].format(n=n),
        at=None,
        numbers=[Recipient(number=f"+336{n:04d}{i:04d}") for i in range(recipients)],
    )


async def _all_sent(db: Database, total: int) -> bool:
    found = await db.fetchone(
        "SELECT count(*) AS n, coalesce(sum(state IN ('sent', 'unknown')), 0) AS done FROM sended"
    )
    assert found is not None
    return bool(found["n"] == total and found["done"] == total)


async def _recovers(copy: Path) -> None:
    """The copy opens with the store's own checks and recovers to nothing in ``sending``."""
    db = await Database.open(copy, check="full")
    try:
        before = await db.fetchone("SELECT count(*) AS n FROM sended")
        await outbox.recover_interrupted(db)
        after = await db.fetchone(
            "SELECT count(*) AS n, coalesce(sum(state = 'sending'), 0) AS sending FROM sended"
        )
        assert before is not None
        assert after is not None
        assert (after["n"], after["sending"]) == (before["n"], 0)
    finally:
        await db.close()


async def test_copies_taken_inside_the_writer_are_consistent(tmp_path) -> None:
    rng = random.Random(SEED)
    path = tmp_path / "live" / "smsd.sqlite3"
    path.parent.mkdir()
    db = await Database.open(path)
    id_user = await accounts.ensure_user(db, email=EMAIL, api_key=API_KEY, admin=True)
    modems = await start_modems(["m1", "m2"], Faults(submit_delay=0.002))
    engine = Engine(db, id_user=id_user)
    copies: list[tuple[Path, bool]] = []
    writer: sqlite3.Connection = db._writer._conn  # type: ignore[union-attr]
    next_cut = [0.0]

    def power_cut() -> int:
        # Runs on the writer's thread in the middle of a statement: the writer waits meanwhile.
        # Cuts are spread in time (a few milliseconds apart), each at a random instruction.
        now = time.monotonic()
        if now >= next_cut[0] and rng.random() < 0.3:
            target = tmp_path / "copies" / f"{len(copies):03d}"
            copy_database(path, target)
            copies.append((target / path.name, writer.in_transaction))
            next_cut[0] = now + rng.uniform(0.002, 0.03)
        return 0

    task = None
    try:
        for name, pty in modems.items():
            await engine.add_phone(PhoneConfig(name=name, device=pty.path, **FAST))  # type: ignore[arg-type]
        writer.set_progress_handler(power_cut, 50)
        task = asyncio.create_task(engine.run())
        await _schedule(db, id_user, 0, 200)  # one large expansion transaction
        for n in range(1, 11):
            await _schedule(db, id_user, n, 10)
        engine.wake()
        for n in range(6):
            await modems["m1" if n % 2 else "m2"].deliver(f"+3370000{n:04d}", f"incoming {n}")
        await until(lambda: _all_sent(db, 300), 40)
    finally:
        writer.set_progress_handler(None, 0)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.close()
        for pty in modems.values():
            await pty.stop()
        await db.close()

    assert len(copies) >= 20, "the workload gave too few instants to copy at"
    assert sum(inside for _path, inside in copies) >= 10, "few copies landed inside a transaction"
    figures = [check_copy(copy) for copy, _inside in copies]
    assert any(f.states.get("sending") for f in figures), "no copy caught a message in flight"
    assert figures[-1].messages > figures[0].messages
    for copy, _inside in copies:
        await _recovers(copy)


async def test_copies_of_a_live_daemon_are_consistent(tmp_path) -> None:
    rng = random.Random(SEED + 1)
    modems = await start_modems(["m1", "m2"], Faults(submit_delay=0.005))
    config = write_config(tmp_path, modems)
    path = tmp_path / "smsd.sqlite3"
    db = await Database.open(path)
    id_user = await accounts.ensure_user(db, email=EMAIL, api_key=API_KEY, admin=True)
    daemon = DaemonProcess(config)
    copies: list[Path] = []
    try:
        await daemon.start()
        for n in range(12):
            await _schedule(db, id_user, n, 20 if n % 4 else 60)
        pin = sqlite3.connect(path, isolation_level=None)
        try:
            while len(copies) < 25:
                await asyncio.sleep(rng.uniform(0.02, 0.2))
                # A read transaction keeps the WAL from being restarted between the two copies.
                pin.execute("BEGIN")
                pin.execute("SELECT count(*) FROM sended").fetchone()
                copy_database(path, tmp_path / "copies" / f"{len(copies):03d}")
                pin.execute("COMMIT")
                copies.append(tmp_path / "copies" / f"{len(copies):03d}" / path.name)
        finally:
            pin.close()
        total = sum(20 if n % 4 else 60 for n in range(12))
        try:
            await until(lambda: _all_sent(db, total), 40)
        except TimeoutError:
            pytest.fail(f"the daemon did not finish\n{daemon.logs()}")
        assert await daemon.stop() == 0, daemon.logs()
    finally:
        if daemon.alive:
            await daemon.kill()
        for pty in modems.values():
            await pty.stop()
        await db.close()

    figures = [check_copy(copy) for copy in copies]
    assert figures[-1].messages >= figures[0].messages
    assert any(f.messages > 0 for f in figures), "no copy caught the daemon at work"
    for copy in copies:
        await _recovers(copy)
