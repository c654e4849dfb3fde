"""A message due now is expanded in the transaction that accepts it; the others wait as before."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from support.expansion import plan, verbatim

from smsd.store import accounts, deferral, submissions
from smsd.store.expansion import AcceptExpansion
from smsd.store.rows import Recipient
from smsd.store.scheduled import create_scheduled, expand_scheduled
from smsd.store.walltime import wall

if TYPE_CHECKING:
    from smsd.store.db import Database


class Wakes:
    def __init__(self) -> None:
        self.count = 0
        self.calls: list[tuple[int, bool]] = []

    def __call__(self, messages: int, free: bool) -> None:
        self.count += 1
        self.calls.append((messages, free))


@pytest.fixture
def wakes(db: Database) -> Wakes:
    woken = Wakes()
    db.accept_expansion = AcceptExpansion(render=verbatim, plan=plan, wake=woken, most_recipients=3)
    return woken


async def _sended(db: Database, id_scheduled: int) -> list[dict[str, object]]:
    found = await db.fetchall(
        "SELECT s.destination, s.state, s.segments, "
        "(SELECT count(*) FROM sended_segment AS g WHERE g.id_sended = s.id) AS parts "
        "FROM sended AS s WHERE s.originating_scheduled = ? ORDER BY s.id",
        (id_scheduled,),
    )
    return [dict(r) for r in found]


async def _expanded(db: Database, id_scheduled: int) -> bool:
    found = await db.fetchone("SELECT expanded_at FROM scheduled WHERE id = ?", (id_scheduled,))
    assert found is not None
    return found[0] is not None


async def test_a_message_due_now_is_queued_when_its_acceptance_returns_in_one_commit(
    db, user, wakes
) -> None:
    batches = db._group.batches
    long = "x" * 200  # two segments
    id_scheduled = await create_scheduled(
        db,
        id_user=user,
        text=long,
        at=None,
        numbers=[Recipient("+33612345678"), Recipient("+33612345679")],
    )
    assert db._group.batches - batches == 1  # one durable commit, before the answer
    assert await _expanded(db, id_scheduled)
    assert await _sended(db, id_scheduled) == [
        {"destination": "+33612345678", "state": "queued", "segments": 2, "parts": 2},
        {"destination": "+33612345679", "state": "queued", "segments": 2, "parts": 2},
    ]
    assert wakes.calls == [(2, True)]  # the senders look at once: two free messages
    assert not db.dispatcher_needed()  # the door's wake would find nothing...
    assert db.dispatcher_needed()  # ...once: the next wake looks again


async def test_a_message_dated_now_in_wall_time_is_due(db, user, wakes) -> None:
    id_scheduled = await create_scheduled(
        db, id_user=user, text="hello", at=wall(time.time()), numbers=[Recipient("+33612345678")]
    )
    assert [r["state"] for r in await _sended(db, id_scheduled)] == ["queued"]


async def test_a_future_message_waits_for_the_dispatcher(db, user, wakes) -> None:
    later = wall(time.time() + 3600)
    id_scheduled = await create_scheduled(
        db, id_user=user, text="later", at=later, numbers=[Recipient("+33612345678")]
    )
    assert not await _expanded(db, id_scheduled)
    assert await _sended(db, id_scheduled) == []
    assert wakes.count == 0
    assert db.dispatcher_needed()


async def test_a_held_transaction_is_not_expanded(db, user, wakes) -> None:
    id_scheduled = await create_scheduled(
        db, id_user=user, text="held", at=None, numbers=[Recipient("+33612345678")], held=True
    )
    assert not await _expanded(db, id_scheduled)
    assert await _sended(db, id_scheduled) == []


async def test_a_commercial_message_is_left_to_the_quiet_hours_judge(db, user, wakes) -> None:
    explicit = await create_scheduled(
        db, id_user=user, text="promo", at=None, numbers=[Recipient("+33612345678")],
        commercial=True,
    )  # fmt: skip
    await accounts.set_setting(db, id_user=user, name="commercial", value="1")
    by_setting = await create_scheduled(
        db, id_user=user, text="promo", at=None, numbers=[Recipient("+33612345679")]
    )
    for id_scheduled in (explicit, by_setting):
        assert not await _expanded(db, id_scheduled)
    # The dispatcher's judge may still hold it: a deferral applies to the unexpanded row.
    await deferral.defer(db, explicit, until=time.time() + 60, reason="quiet hours")
    found = await db.fetchone("SELECT deferred_to FROM scheduled WHERE id = ?", (explicit,))
    assert found is not None
    assert found[0] is not None
    assert wakes.count == 0


async def test_sandbox_campaigns_and_big_lists_are_the_dispatchers(db, user, wakes) -> None:
    sandbox = await create_scheduled(
        db, id_user=user, text="t", at=None, numbers=[Recipient("+33612345678")], sandbox=True
    )
    group = await accounts.create_group(db, id_user=user, name="g")
    campaign = await create_scheduled(db, id_user=user, text="t", at=None, groups=[group])
    big = await create_scheduled(
        db,
        id_user=user,
        text="t",
        at=None,
        numbers=[Recipient(f"+3361234567{n}") for n in range(4)],  # most_recipients is 3
    )
    for id_scheduled in (sandbox, campaign, big):
        assert not await _expanded(db, id_scheduled)
    assert wakes.count == 0


async def test_the_stop_list_applies_on_acceptance(db, user, wakes) -> None:
    await accounts.add_smsstop(db, id_user=user, number="+33612345678")
    id_scheduled = await create_scheduled(
        db,
        id_user=user,
        text="hi",
        at=None,
        numbers=[Recipient("+33612345678"), Recipient("+33612345679")],
    )
    assert [r["destination"] for r in await _sended(db, id_scheduled)] == ["+33612345679"]
    alone = await create_scheduled(
        db, id_user=user, text="hi", at=None, numbers=[Recipient("+33612345678")]
    )
    assert await _expanded(db, alone)  # nobody to send to: done, as the dispatcher would say
    assert await _sended(db, alone) == []
    assert wakes.count == 1


async def test_a_failing_render_leaves_the_message_stored_for_the_dispatcher(db, user) -> None:
    def broken(_text: str, _recipient: Recipient, _metas: dict[str, object]) -> str | None:
        raise RuntimeError("render failed")

    db.accept_expansion = AcceptExpansion(render=broken, plan=plan, wake=Wakes())
    id_scheduled = await create_scheduled(
        db, id_user=user, text="hi", at=None, numbers=[Recipient("+33612345678")]
    )
    assert not await _expanded(db, id_scheduled)
    assert await _sended(db, id_scheduled) == []
    ids = await expand_scheduled(
        db, id_scheduled, now=time.time(), render=verbatim, plan=plan
    )  # the dispatcher's way still works on it
    assert len(ids) == 1


async def test_without_the_runtime_every_message_waits_for_the_dispatcher(db, user) -> None:
    assert db.accept_expansion is None
    id_scheduled = await create_scheduled(
        db, id_user=user, text="hi", at=None, numbers=[Recipient("+33612345678")]
    )
    assert not await _expanded(db, id_scheduled)
    assert db.dispatcher_needed()


async def test_a_bulk_expands_what_is_due_now_and_leaves_the_rest(db, user, wakes) -> None:
    later = wall(time.time() + 3600)
    ids = await submissions.submit_all(
        db,
        id_user=user,
        items=[
            submissions.Submission(number="+33612345678", text="now"),
            submissions.Submission(number="+33612345679", text="later", at=later),
        ],
    )
    assert [r["state"] for r in await _sended(db, ids[0])] == ["queued"]
    assert await _sended(db, ids[1]) == []
    assert wakes.calls == [(1, True)]
    assert db.dispatcher_needed()  # the later one is the dispatcher's


async def test_another_write_after_the_acceptance_makes_the_wake_count(db, user, wakes) -> None:
    await create_scheduled(db, id_user=user, text="hi", at=None, numbers=[Recipient("+3361")])
    await accounts.set_setting(db, id_user=user, name="x", value="1")
    assert db.dispatcher_needed()


async def test_a_message_pinned_to_a_phone_is_not_free(db, user, phone, wakes) -> None:
    await create_scheduled(
        db, id_user=user, text="hi", at=None, numbers=[Recipient("+3361")], id_phone=phone
    )
    assert wakes.calls == [(1, False)]
