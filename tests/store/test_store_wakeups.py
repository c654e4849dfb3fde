"""Idle tasks sleep until work comes due: insert watches and next-due queries on a real file."""

from __future__ import annotations

import asyncio

import pytest
from store_helpers import NOW, queue

from smsd.store import outbox, wakeups
from smsd.store.changes import watch_inserts
from smsd.store.inbox import store_received
from smsd.store.outbox import Recipient


async def _receive(db, user: int, phone: int, n: int) -> int | None:
    return await store_received(
        db,
        id_user=user,
        id_phone=phone,
        origin="+33612345678",
        text=f"hello {n}",
        at="2026-01-01 10:00:00",
        dedupe_key=f"key-{n}",
    )


async def test_an_insert_wakes_the_watcher_and_settled_makes_it_readable(db, user, phone):
    woken = asyncio.Event()
    watch = await watch_inserts(db, "received", woken.set, owner="test")
    assert not watch.pending
    id_received = await _receive(db, user, phone, 1)
    async with asyncio.timeout(2):
        await woken.wait()
    assert watch.pending
    await watch.settled()
    assert not watch.pending
    found = await db.fetchone("SELECT text FROM received WHERE id = ?", (id_received,))
    assert found["text"] == "hello 1"


async def test_rows_of_other_tables_do_not_wake_the_watcher(db, user, phone):
    woken = asyncio.Event()
    await watch_inserts(db, "received", woken.set, owner="test")
    await queue(db, user, "+33611111111")
    await asyncio.sleep(0.05)
    assert not woken.is_set()


async def test_a_rolled_back_insert_wakes_but_settles_to_nothing(db, user, phone):
    woken = asyncio.Event()
    watch = await watch_inserts(db, "received", woken.set, owner="test")

    def insert_then_fail(conn):
        conn.execute(
            "INSERT INTO received (id_user, id_phone, origin, text, at, status, dedupe_key) "
            "VALUES (?, ?, '+336', 'x', '2026-01-01 10:00:00', 'unread', 'k')",
            (user, phone),
        )
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        await db.write("failing insert", insert_then_fail)
    async with asyncio.timeout(2):
        await woken.wait()
    await watch.settled()
    assert (await db.fetchone("SELECT count(*) FROM received"))[0] == 0


async def test_an_unknown_table_is_refused(db):
    with pytest.raises(ValueError, match="no insert watch"):
        await watch_inserts(db, "sended; DROP TABLE user", lambda: None, owner="test")


async def test_two_watchers_of_one_table_are_both_woken(db, user, phone):
    # The webhook sender and the MQTT bridge both wait for webhook events: a second watch must
    # not take the first one's wake away.
    first, second, replaced = asyncio.Event(), asyncio.Event(), asyncio.Event()
    await watch_inserts(db, "received", replaced.set, owner="one")
    await watch_inserts(db, "received", first.set, owner="one")  # restarted: replaces its own
    await watch_inserts(db, "received", second.set, owner="two")
    await _receive(db, user, phone, 1)
    async with asyncio.timeout(2):
        await first.wait()
        await second.wait()
    await asyncio.sleep(0.05)
    assert not replaced.is_set()


async def test_a_bad_owner_name_is_refused(db):
    with pytest.raises(ValueError, match="watcher's name"):
        await watch_inserts(db, "received", lambda: None, owner="x; DROP TABLE user")


async def test_next_scheduled_is_the_earliest_later_message_or_its_deferral(db, user):
    assert await wakeups.next_scheduled_at(db, now=NOW) is None
    for at in ("2099-01-01 10:00:00", "2098-01-01 10:00:00"):
        await outbox.create_scheduled(
            db, id_user=user, text="later", at=at, numbers=[Recipient(number="+33611111111")]
        )
    first = await wakeups.next_scheduled_at(db, now=NOW)
    assert first is not None
    assert first > NOW
    due, later = await wakeups.due_and_next(db, now=NOW)
    assert due == []
    assert later == first
    due, later = await wakeups.due_and_next(db, now=first)
    assert len(due) == 1
    assert later is not None
    assert later > first


async def test_next_queued_is_a_retry_time_or_the_end_of_an_exclusion(db, user, phone):
    [id_sended] = await queue(db, user, "+33611111111")
    assert await wakeups.next_queued_at(db, now=NOW) is None  # due now: a wake takes it
    assert await outbox.claim(db, id_sended, id_phone=phone, now=NOW)
    await outbox.requeue(db, id_sended, reason="busy", next_attempt_at=NOW + 30, exclude_phone=None)
    assert await wakeups.next_queued_at(db, now=NOW) == NOW + 30
    assert await outbox.claim(db, id_sended, id_phone=phone, now=NOW + 30)
    await outbox.requeue(
        db, id_sended, reason="moved", next_attempt_at=NOW + 40, exclude_phone=phone
    )
    assert await wakeups.next_queued_at(db, now=NOW + 41, exclusion_hold=100) == NOW + 140
