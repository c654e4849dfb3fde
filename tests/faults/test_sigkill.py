"""SIGKILL the daemon at random moments while it sends and receives: nothing lost, nothing twice.

The daemon runs as ``python -m smsd run --config …`` in a child process, on two virtual modems
this test serves on pseudo-terminals, so every PDU on the wire is recorded here across the
restarts. Messages go in as scheduled messages written straight into the SQLite file (WAL lets
a second process write; the daemon's dispatcher looks for due messages every second); incoming
SMS are delivered into the modems while the daemon lives and while it is dead.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict

import pytest
from support.fault_rig import (
    API_KEY,
    EMAIL,
    DaemonProcess,
    WireSegment,
    duplicates,
    start_modems,
    tear_down,
    wire,
    write_config,
)

from smsd.modem.virtual import Faults
from smsd.store import accounts, outbox
from smsd.store.db import Database
from smsd.store.outbox import Recipient

SEED = 20_240_611
BATCHES = 30
RECIPIENTS = 10  # BATCHES * RECIPIENTS = 300 outgoing messages
KILLS = 5
INCOMING_PER_ROUND = 4
LONG = "Delivery window confirmed for tomorrow morning, please keep your phone at hand. " * 2
TEXTS = (
    "Your code is {n}",
    LONG + "#{n}",
    "Rendez-vous confirmé 🎉 n°{n}",
)

pytestmark = pytest.mark.timeout(90)


def _text(batch: int) -> str:
    return TEXTS[batch % len(TEXTS)].format(n=batch)


def _destination(batch: int, index: int) -> str:
    return f"+336{batch:04d}{index:04d}"


async def _schedule(db: Database, id_user: int, batch: int) -> None:
    await outbox.create_scheduled(
        db,
        id_user=id_user,
        text=_text(batch),
        at=None,
        numbers=[Recipient(number=_destination(batch, i)) for i in range(RECIPIENTS)],
    )


async def _wait(predicate, timeout: float, what: str, daemon: DaemonProcess) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not await predicate():
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}\n{daemon.logs()}")


@pytest.mark.parametrize("at_least_once", [False, True], ids=["at-most-once", "at-least-once"])
async def test_sigkill_at_random_moments_loses_nothing_and_sends_nothing_twice(
    tmp_path, at_least_once: bool
) -> None:
    await _kill_run(tmp_path, at_least_once=at_least_once, batches=BATCHES, kills=KILLS)


@pytest.mark.slow
@pytest.mark.timeout(170)
async def test_sigkill_ten_times_during_a_thousand_messages(tmp_path) -> None:
    """The issue's scale: 1,000 messages, ten kills at random moments, then a clean run."""
    await _kill_run(tmp_path, at_least_once=False, batches=100, kills=10)


async def _kill_run(tmp_path, *, at_least_once: bool, batches: int, kills: int) -> None:
    total = batches * RECIPIENTS
    rng = random.Random(SEED)
    modems = await start_modems(["m1", "m2"], Faults(submit_delay=0.02))
    config = write_config(tmp_path, modems, at_least_once=at_least_once)
    db = await Database.open(tmp_path / "smsd.sqlite3")
    id_user = await accounts.ensure_user(db, email=EMAIL, api_key=API_KEY, admin=True)
    daemon = DaemonProcess(config)
    incoming: list[str] = []
    names = list(modems)

    async def deliver(count: int) -> None:
        for _ in range(count):
            n = len(incoming)
            text = (
                f"incoming {n} "
                + ("with a tail long enough to need two parts " * 4)[: 0 if n % 3 else 170]
            )
            incoming.append(text)
            await modems[names[n % 2]].deliver(f"+3370000{n:04d}", text)

    async def both_sent(since: dict[str, int]) -> bool:
        # Both modems took work since the restart: the new daemon reopened both pty slaves.
        return all(len(pty.modem.submitted) > since[name] for name, pty in modems.items())

    batch_numbers = iter(range(batches))
    try:
        await daemon.start()
        for _kill in range(kills):
            for _ in range(batches // (kills + 1)):
                await _schedule(db, id_user, next(batch_numbers))
            await deliver(INCOMING_PER_ROUND // 2)
            seen = {name: len(pty.modem.submitted) for name, pty in modems.items()}
            await _wait(lambda seen=seen: both_sent(seen), 20, "both modems to send", daemon)
            await asyncio.sleep(rng.uniform(0.0, 0.6))
            await daemon.kill()
            # While the daemon is dead: the modems keep receiving, the API keeps accepting.
            await deliver(INCOMING_PER_ROUND - INCOMING_PER_ROUND // 2)
            await daemon.start()
        for batch in batch_numbers:
            await _schedule(db, id_user, batch)

        async def settled() -> bool:
            pending = await db.fetchone(
                "SELECT (SELECT count(*) FROM scheduled WHERE expanded_at IS NULL) AS scheduled, "
                "(SELECT count(*) FROM sended WHERE state IN ('queued', 'sending')) AS busy, "
                "(SELECT count(*) FROM sended) AS total, "
                "(SELECT count(*) FROM received) AS received"
            )
            assert pending is not None
            return bool(
                pending["scheduled"] == 0
                and pending["busy"] == 0
                and pending["total"] == total
                and pending["received"] >= len(incoming)
            )

        await _wait(settled, 40 + total / 25, "every message to settle", daemon)
        assert await daemon.stop() == 0, daemon.logs()
        await _check_outgoing(
            db, wire(modems), daemon, at_least_once=at_least_once, total=total, kills=kills
        )
        await _check_incoming(db, incoming, modems)
    finally:
        await tear_down(daemon, modems, db)


async def _check_outgoing(
    db: Database,
    segments: list[WireSegment],
    daemon: DaemonProcess,
    *,
    at_least_once: bool,
    total: int,
    kills: int,
) -> None:
    rows = await db.fetchall("SELECT id, destination, text, state, reason, segments FROM sended")
    assert len(rows) == total
    states = Counter(str(r["state"]) for r in rows)
    # at least once: what a kill interrupted went back to the queue and was sent again.
    assert set(states) <= ({"sent"} if at_least_once else {"sent", "unknown"}), (
        states,
        daemon.logs(),
    )
    for r in rows:
        if r["state"] == "unknown":
            assert r["reason"] == outbox.INTERRUPTED, dict(r)
    by_destination: dict[str, list[WireSegment]] = defaultdict(list)
    for segment in segments:
        by_destination[segment.destination].append(segment)
    known = {str(r["destination"]): r for r in rows}
    assert set(by_destination) <= set(known), "a PDU went to a number nobody asked for"
    twice = duplicates(segments)
    if at_least_once:
        # Only a segment in flight at a kill may go twice: at most one per modem per kill.
        assert len(twice) <= kills * 2
        assert set(twice.values()) <= {2}
    else:
        # Nothing sent twice: in the default at-most-once mode not a single segment repeats.
        assert twice == {}
    for destination, r in known.items():
        on_wire = sorted(by_destination.get(destination, []), key=lambda s: s.sequence)
        for segment in on_wire:
            assert segment.total == r["segments"]
        if at_least_once:
            on_wire = list({s.key: s for s in on_wire}.values())
        joined = "".join(s.text for s in on_wire)
        if r["state"] == "sent":
            # Nothing lost: every segment of every sent message is on the wire, in one piece.
            assert [s.sequence for s in on_wire] == list(range(1, r["segments"] + 1)), dict(r)
            assert joined == r["text"]
        else:
            assert r["text"].startswith(joined) or on_wire[0].sequence > 1
    on_wire_messages = len(by_destination)
    sent, unknown = states["sent"], states["unknown"]
    assert sent <= on_wire_messages <= sent + unknown, (sent, unknown, on_wire_messages)


async def _check_incoming(db: Database, incoming: list[str], modems) -> None:
    rows = await db.fetchall("SELECT origin, text, incomplete FROM received")
    stored = Counter(str(r["text"]) for r in rows)
    assert stored == Counter(incoming), "each incoming SMS is stored exactly once"
    assert not any(r["incomplete"] for r in rows)
    assert not await db.fetchall("SELECT id FROM received_part")
    for pty in modems.values():
        assert pty.modem.memory("SM").used == 0, "every stored SMS was deleted from the SIM"
