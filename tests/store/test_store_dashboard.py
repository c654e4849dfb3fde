"""The dashboard's queries: what they count, and that each walks an index, not the table."""

from __future__ import annotations

import re
import time

import pytest
from support.store import add_phone

from smsd.store import dashboard
from smsd.store.walltime import wall

PLANS = {
    "queue": (dashboard.QUEUE_SQL, ("scheduled_list", "sended_queued", "sended_sending")),
    "hourly": (dashboard.HOURLY_SQL, ("COVERING INDEX sended_user_outcome (id_user=? AND at>?)",)),
    "thread": (dashboard.THREAD_SQL, ("sended_user_destination", "received_user_origin")),
    "conversations": (dashboard.CONVERSATIONS_SQL, ("sended_list", "received_list")),
}


@pytest.mark.parametrize("name", list(PLANS))
async def test_dashboard_queries_walk_their_indexes(db, name) -> None:
    sql, indexes = PLANS[name]
    params = dict.fromkeys(re.findall(r":(\w+)", sql), 1)
    plan = " | ".join(str(r[3]) for r in await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params))
    for index in indexes:
        assert index in plan, plan
    for step in plan.split(" | "):  # index walks and keyed searches only, no table scan
        assert not re.fullmatch(r"SCAN (sended|received|scheduled)", step), plan


async def _sent(db, user, phone, number, text, state, at, reason=None) -> None:  # noqa: PLR0917
    await db.execute(
        "INSERT INTO sended (at, text, destination, id_user, id_phone, state, due_at, "
        "next_attempt_at, segments, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
        (wall(at), text, number, user, phone, state, at, at, reason),
    )


async def _received(db, user, phone, number, text, at) -> None:  # noqa: PLR0917
    await db.execute(
        "INSERT INTO received (at, text, origin, id_user, id_phone) VALUES (?, ?, ?, ?, ?)",
        (wall(at), text, number, user, phone),
    )


async def test_figures_conversations_and_threads(db, user) -> None:
    phone = await add_phone(db, user, "m1")
    now = time.time()
    await _sent(db, user, phone, "+33600000001", "old", "delivered", now - 3 * 86400)
    await _sent(db, user, phone, "+33600000001", "a", "delivered", now - 7200)
    await _sent(db, user, phone, "+33600000002", "b", "failed", now - 3600, "no route")
    await _sent(db, user, phone, "+33600000002", "c", "queued", now - 60)
    await _sent(db, user, phone, "+33600000003", "d 100%_", "sending", now - 30)
    await _received(db, user, phone, "+33600000001", "reply", now - 10)

    await db.execute(
        "INSERT INTO scheduled (id_user, at, text, due_at, deferred_to) VALUES (?, ?, 'x', ?, ?)",
        (user, wall(now), now, now + 3600),
    )
    await db.execute(
        "INSERT INTO scheduled (id_user, at, text, due_at) VALUES (?, ?, 'y', ?)",
        (user, wall(now + 60), now + 60),
    )
    queue = await dashboard.queue_figures(db, user)
    assert (queue.scheduled, queue.deferred, queue.queued, queue.sending) == (2, 1, 1, 1)

    hours = await dashboard.hourly_volumes(db, user, since=wall(now - 48 * 3600))
    assert sum(h.sent for h in hours) == 1
    assert sum(h.delivered for h in hours) == 1
    assert sum(h.failed for h in hours) == 1

    lines = await dashboard.conversations(db, user)
    assert [line.number for line in lines] == ["+33600000001", "+33600000003", "+33600000002"]
    assert lines[0].incoming
    assert lines[0].text == "reply"
    assert [x.number for x in await dashboard.conversations(db, user, search="100%")] == [
        "+33600000003"
    ]
    assert await dashboard.conversations(db, user, search="zz%") == []
    assert len(await dashboard.conversations(db, user, limit=2)) == 2

    await db.execute("UPDATE sended SET sandbox = 1 WHERE text = 'a'")
    thread = await dashboard.thread(db, user, "+33600000001")
    assert [item.sandbox for item in thread] == [False, True, False]
    assert [(item.text, item.incoming) for item in thread] == [
        ("reply", True),
        ("a", False),
        ("old", False),
    ]
    assert await dashboard.last_failure(db, phone, since=wall(now - 86400)) == "no route"
    assert await dashboard.last_failure(db, phone, since=wall(now - 60)) is None
    assert await dashboard.thread(db, user + 1, "+33600000001") == []
