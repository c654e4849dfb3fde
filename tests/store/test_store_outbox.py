"""Outbox transitions (each one and its refusal from a wrong state), queue order, recovery."""

from __future__ import annotations

import asyncio

import pytest
from store_helpers import NOW, queue, segment_states, send_all, state
from support.store import add_phone

from smsd.store import accounts, outbox
from smsd.store.db import Database
from smsd.store.errors import ConstraintError, InvalidValueError, TransitionError

# ------------------------------------------------------------------ the happy path


async def test_claim_send_segments_and_mark_sent(db, user, phone) -> None:
    [mid] = await queue(db, user, "+33611111111", segments=3)
    assert await segment_states(db, mid) == ["queued"] * 3
    assert await outbox.claim(db, mid, id_phone=phone, now=NOW)
    assert await state(db, mid) == ("sending", "unknown", None)
    assert await segment_states(db, mid) == ["sending"] * 3
    assert await outbox.unsent_segments(db, mid) == [1, 2, 3]
    await outbox.mark_segment_sent(db, mid, 1, reference=200, now=NOW + 1)
    await outbox.mark_segment_sent(db, mid, 2, reference=201, now=NOW + 2)
    assert await outbox.unsent_segments(db, mid) == [3]
    await outbox.mark_segment_sent(db, mid, 3, reference=7, now=NOW + 3)
    await outbox.mark_sent(db, mid, now=NOW + 4)
    assert await state(db, mid) == ("sent", "unknown", None)
    found = await db.fetchone("SELECT uid, id_phone, adapter FROM sended WHERE id = ?", (mid,))
    assert found["uid"] == "200,201,7"
    assert found["id_phone"] == phone
    assert found["adapter"] == "smsd\\Modem"


# ------------------------------------------------------------------ refusals


async def test_claim_is_compare_and_set(db, user, phone, phone2) -> None:
    [mid] = await queue(db, user, "+33611111111")
    results = await asyncio.gather(
        outbox.claim(db, mid, id_phone=phone, now=NOW),
        outbox.claim(db, mid, id_phone=phone2, now=NOW),
    )
    assert sorted(results) == [False, True]
    assert not await outbox.claim(db, 999, id_phone=phone, now=NOW)


async def test_claim_refuses_a_message_pinned_elsewhere(db, user, phone, phone2) -> None:
    [mid] = await queue(db, user, "+33611111111", id_phone=phone)
    assert not await outbox.claim(db, mid, id_phone=phone2, now=NOW)
    assert await outbox.claim(db, mid, id_phone=phone, now=NOW)


async def test_claim_with_unknown_phone_is_a_constraint_error(db, user) -> None:
    [mid] = await queue(db, user, "+33611111111")
    with pytest.raises(ConstraintError):
        await outbox.claim(db, mid, id_phone=999, now=NOW)
    assert (await state(db, mid))[0] == "queued"


@pytest.mark.parametrize(
    ("setup", "transition"),
    [
        ("queued", "mark_segment_sent"),
        ("queued", "mark_sent"),
        ("queued", "requeue"),
        ("queued", "mark_unknown"),
        ("sent", "mark_segment_sent"),
        ("sent", "mark_sent"),
        ("sent", "requeue"),
        ("sent", "mark_failed"),
        ("sent", "mark_unknown"),
        ("failed", "requeue"),
        ("failed", "mark_failed"),
        ("failed", "mark_unknown"),
        ("unknown", "requeue"),
        ("unknown", "mark_sent"),
        ("unknown", "mark_failed"),
        ("unknown", "mark_segment_sent"),
        ("missing", "mark_sent"),
        ("missing", "mark_failed"),
    ],
)
async def test_transition_from_a_wrong_state_is_refused(db, user, phone, setup, transition) -> None:
    [mid] = await queue(db, user, "+33611111111")
    if setup == "sent":
        await send_all(db, mid, phone)
    elif setup == "failed":
        await outbox.mark_failed(db, mid, reason="test", now=NOW)
    elif setup == "unknown":
        assert await outbox.claim(db, mid, id_phone=phone, now=NOW)
        await outbox.mark_unknown(db, mid, reason="test", now=NOW)
    elif setup == "missing":
        mid = 999
    before = await db.fetchall("SELECT * FROM sended ORDER BY id")
    before_segments = await db.fetchall("SELECT * FROM sended_segment ORDER BY id")
    calls = {
        "mark_segment_sent": lambda: outbox.mark_segment_sent(db, mid, 1, reference=1, now=NOW),
        "mark_sent": lambda: outbox.mark_sent(db, mid, now=NOW),
        "requeue": lambda: outbox.requeue(
            db, mid, reason="x", next_attempt_at=NOW, exclude_phone=None
        ),
        "mark_failed": lambda: outbox.mark_failed(db, mid, reason="x", now=NOW),
        "mark_unknown": lambda: outbox.mark_unknown(db, mid, reason="x", now=NOW),
    }
    with pytest.raises(TransitionError) as caught:
        await calls[transition]()
    assert caught.value.transition == transition
    assert caught.value.state == (None if setup == "missing" else setup)
    assert [tuple(r) for r in await db.fetchall("SELECT * FROM sended ORDER BY id")] == [
        tuple(r) for r in before
    ]
    assert [tuple(r) for r in await db.fetchall("SELECT * FROM sended_segment ORDER BY id")] == [
        tuple(r) for r in before_segments
    ]


async def test_mark_sent_refused_until_every_segment_is_sent(db, user, phone) -> None:
    [mid] = await queue(db, user, "+33611111111", segments=2)
    await outbox.claim(db, mid, id_phone=phone, now=NOW)
    await outbox.mark_segment_sent(db, mid, 1, reference=1, now=NOW)
    with pytest.raises(TransitionError, match="1 of 2 segments sent"):
        await outbox.mark_sent(db, mid, now=NOW)
    with pytest.raises(TransitionError, match="segment 1 is sent"):
        await outbox.mark_segment_sent(db, mid, 1, reference=1, now=NOW)
    with pytest.raises(TransitionError, match="segment 5 is missing"):
        await outbox.mark_segment_sent(db, mid, 5, reference=1, now=NOW)
    with pytest.raises(InvalidValueError):
        await outbox.mark_segment_sent(db, mid, 2, reference=-1, now=NOW)


async def test_message_without_segments_cannot_be_marked_sent(db, user, phone) -> None:
    [mid] = await queue(db, user, "+33611111111", segments=0)
    assert await outbox.claim(db, mid, id_phone=phone, now=NOW)
    assert await outbox.unsent_segments(db, mid) == []
    with pytest.raises(TransitionError, match="0 of 0"):
        await outbox.mark_sent(db, mid, now=NOW)
    await outbox.mark_failed(db, mid, reason="cannot encode", now=NOW)
    assert await state(db, mid) == ("failed", "failed", "cannot encode")


# ------------------------------------------------------------------ requeue, failure, unknown


async def test_requeue_keeps_sent_segments_and_counts_attempts(db, user, phone, phone2) -> None:
    [mid] = await queue(db, user, "+33611111111", segments=3)
    await outbox.claim(db, mid, id_phone=phone, now=NOW)
    await outbox.mark_segment_sent(db, mid, 1, reference=9, now=NOW)
    await outbox.requeue(
        db, mid, reason="CMS ERROR: 38", next_attempt_at=NOW + 5, exclude_phone=phone
    )
    assert await state(db, mid) == ("queued", "unknown", "CMS ERROR: 38")
    assert await segment_states(db, mid) == ["sent", "queued", "queued"]
    assert await outbox.next_queued(db, phone_ids=[phone2], now=NOW) is None  # not yet due
    message = await outbox.next_queued(db, phone_ids=[phone2], now=NOW + 5)
    assert message is not None
    assert message.attempts == 1
    assert await outbox.claim(db, mid, id_phone=phone2, now=NOW + 5)
    assert await outbox.unsent_segments(db, mid) == [2, 3]
    await outbox.requeue(
        db,
        mid,
        reason="unplugged",
        next_attempt_at=NOW + 5,
        exclude_phone=None,
        count_attempt=False,
    )
    found = await db.fetchone("SELECT attempts FROM sended WHERE id = ?", (mid,))
    assert found["attempts"] == 1


async def test_mark_failed_from_queued_and_from_sending(db, user, phone) -> None:
    first, second = await queue(db, user, "+33611111111", "+33622222222", segments=2)
    await outbox.mark_failed(db, first, reason="no phone", now=NOW)
    assert await state(db, first) == ("failed", "failed", "no phone")
    assert await segment_states(db, first) == ["failed", "failed"]
    await outbox.claim(db, second, id_phone=phone, now=NOW)
    await outbox.mark_segment_sent(db, second, 1, reference=3, now=NOW)
    await outbox.mark_failed(db, second, reason="CMS ERROR: 1", now=NOW)
    assert await segment_states(db, second) == ["sent", "failed"]


async def test_mark_unknown_is_final(db, user, phone) -> None:
    [mid] = await queue(db, user, "+33611111111", segments=2)
    await outbox.claim(db, mid, id_phone=phone, now=NOW)
    await outbox.mark_unknown(db, mid, reason="timeout after submit", now=NOW + 1)
    assert await state(db, mid) == ("unknown", "unknown", "timeout after submit")
    assert await segment_states(db, mid) == ["unknown", "unknown"]
    assert await outbox.next_queued(db, phone_ids=[phone], now=NOW + 1e6) is None
    assert not await outbox.claim(db, mid, id_phone=phone, now=NOW + 2)


# ------------------------------------------------------------------ recovery


async def test_recover_interrupted_marks_unknown_at_most_once(db, user, phone) -> None:
    sending, queued_id, sent = await queue(
        db, user, "+33611111111", "+33622222222", "+33633333333", segments=2
    )
    await send_all(db, sent, phone)
    await outbox.claim(db, sending, id_phone=phone, now=NOW)
    await outbox.mark_segment_sent(db, sending, 1, reference=4, now=NOW)
    assert await outbox.recover_interrupted(db, now=NOW + 10) == 1
    assert await state(db, sending) == ("unknown", "unknown", "interrupted")
    assert await segment_states(db, sending) == ["sent", "unknown"]
    assert (await state(db, queued_id))[0] == "queued"
    assert (await state(db, sent))[0] == "sent"
    # never offered again, and a second recovery finds nothing
    message = await outbox.next_queued(db, phone_ids=[phone], now=NOW + 1e6)
    assert message is not None
    assert message.id == queued_id
    assert await outbox.recover_interrupted(db) == 0
    # the interrupted segment counts towards the phone's volume (it may have left)
    assert await outbox.sent_volume(db, id_phone=phone, since_wall="2000-01-01 00:00:00") == 4


async def test_recover_interrupted_at_least_once_requeues(db, user, phone) -> None:
    [mid] = await queue(db, user, "+33611111111", segments=2)
    await outbox.claim(db, mid, id_phone=phone, now=NOW)
    await outbox.mark_segment_sent(db, mid, 1, reference=4, now=NOW)
    assert await outbox.recover_interrupted(db, at_least_once=True) == 1
    assert await state(db, mid) == ("queued", "unknown", "interrupted")
    assert await segment_states(db, mid) == ["sent", "queued"]
    message = await outbox.next_queued(db, phone_ids=[phone], now=NOW + 1)
    assert message is not None
    assert message.id == mid
    assert await outbox.claim(db, mid, id_phone=phone, now=NOW + 1)
    assert await outbox.unsent_segments(db, mid) == [2]


async def test_recovery_survives_reopening(tmp_path, user, phone, db) -> None:
    [mid] = await queue(db, user, "+33611111111")
    await outbox.claim(db, mid, id_phone=phone, now=NOW)
    await db.close()  # "crash": the row is committed in sending
    reopened = await Database.open(db.path)
    try:
        assert await outbox.recover_interrupted(reopened) == 1
        assert await state(reopened, mid) == ("unknown", "unknown", "interrupted")
    finally:
        await reopened.close()


# ------------------------------------------------------------------ next_queued


async def test_next_queued_orders_by_priority_then_due_time_then_id(db, user, phone) -> None:
    low_late = (await queue(db, user, "+33600000001", now=NOW + 2))[0]
    low_early_b = (await queue(db, user, "+33600000002", now=NOW + 1))[0]
    low_early_a = (await queue(db, user, "+33600000003", now=NOW + 1))[0]
    high = (await queue(db, user, "+33600000004", now=NOW + 3, priority=10))[0]
    order = []
    while (message := await outbox.next_queued(db, phone_ids=[phone], now=NOW + 10)) is not None:
        order.append(message.id)
        assert await outbox.claim(db, message.id, id_phone=phone, now=NOW + 10)
    assert low_early_b < low_early_a
    assert order == [high, low_early_b, low_early_a, low_late]
    assert await outbox.queue_depth(db) == 0


async def test_next_queued_respects_due_time(db, user, phone) -> None:
    await queue(db, user, "+33600000001", now=NOW + 100)
    assert await outbox.next_queued(db, phone_ids=[phone], now=NOW) is None
    assert await outbox.next_queued(db, phone_ids=[phone], now=NOW + 100) is not None
    assert await outbox.queue_depth(db) == 1


async def test_next_queued_respects_pinned_phone(db, user, phone, phone2) -> None:
    [pinned] = await queue(db, user, "+33600000001", id_phone=phone2)
    assert await outbox.next_queued(db, phone_ids=[phone], now=NOW) is None
    message = await outbox.next_queued(db, phone_ids=[phone2], now=NOW)
    assert message is not None
    assert (message.id, message.id_phone) == (pinned, phone2)
    # a pinned message goes to its phone even when unpinned work is not wanted there
    assert await outbox.next_queued(db, phone_ids=[phone2], now=NOW, include_unpinned=False)


async def test_next_queued_unpinned_switch(db, user, phone) -> None:
    await queue(db, user, "+33600000001")
    assert await outbox.next_queued(db, phone_ids=[phone], now=NOW, include_unpinned=False) is None
    assert await outbox.next_queued(db, phone_ids=[phone], now=NOW) is not None
    assert await outbox.next_queued(db, phone_ids=[], now=NOW) is not None


async def test_next_queued_respects_phone_groups(db, user, phone, phone2) -> None:
    third = await add_phone(db, user, "m3")
    group = await accounts.create_phone_group(db, id_user=user, name="pair", phones=[phone, phone2])
    [mid] = await queue(db, user, "+33600000001", id_phone_group=group)
    assert await outbox.next_queued(db, phone_ids=[third], now=NOW) is None
    for member in (phone, phone2):
        message = await outbox.next_queued(db, phone_ids=[member], now=NOW, include_unpinned=False)
        assert message is not None
        assert (message.id, message.id_phone_group) == (mid, group)


async def test_next_queued_respects_excluded_phone_for_failover(db, user, phone, phone2) -> None:
    [mid] = await queue(db, user, "+33600000001")
    await outbox.claim(db, mid, id_phone=phone, now=NOW)
    await outbox.requeue(db, mid, reason="CMS 38", next_attempt_at=NOW, exclude_phone=phone)
    assert await outbox.next_queued(db, phone_ids=[phone], now=NOW) is None
    message = await outbox.next_queued(db, phone_ids=[phone2], now=NOW)
    assert message is not None
    assert message.id == mid
    # after the hold, the excluded phone may take it again (the others may be gone)
    later = NOW + outbox.EXCLUSION_HOLD
    message = await outbox.next_queued(db, phone_ids=[phone], now=later)
    assert message is not None
    assert message.id == mid


async def test_failover_reaches_a_phone_that_takes_no_unpinned_work(
    db, user, phone, phone2
) -> None:
    [mid] = await queue(db, user, "+33600000001")
    assert await outbox.next_queued(db, phone_ids=[phone2], now=NOW, include_unpinned=False) is None
    await outbox.claim(db, mid, id_phone=phone, now=NOW)
    await outbox.requeue(db, mid, reason="CMS 38", next_attempt_at=NOW, exclude_phone=phone)
    message = await outbox.next_queued(db, phone_ids=[phone2], now=NOW, include_unpinned=False)
    assert message is not None
    assert message.id == mid
    # once the hold is over, the usual priority rule applies again
    later = NOW + outbox.EXCLUSION_HOLD
    assert (
        await outbox.next_queued(db, phone_ids=[phone2], now=later, include_unpinned=False) is None
    )


async def test_exclusion_does_not_strand_a_pinned_message(db, user, phone) -> None:
    [mid] = await queue(db, user, "+33600000001", id_phone=phone)
    await outbox.claim(db, mid, id_phone=phone, now=NOW)
    await outbox.requeue(db, mid, reason="x", next_attempt_at=NOW, exclude_phone=phone)
    message = await outbox.next_queued(db, phone_ids=[phone], now=NOW)
    assert message is not None


async def test_next_queued_per_user(db, user, phone) -> None:
    other = await accounts.ensure_user(db, email="o@example.org", api_key="o" * 32)
    [mine] = await queue(db, user, "+33600000001")
    await queue(db, other, "+33600000002", priority=5)
    message = await outbox.next_queued(db, phone_ids=[phone], now=NOW, id_user=user)
    assert message is not None
    assert message.id == mine


async def test_queued_message_fields(db, user, phone) -> None:
    [mid] = await queue(
        db,
        user,
        "+33600000001",
        segments=2,
        flash=True,
        priority=3,
        request_report=False,
        text="hi",
    )
    message = await outbox.next_queued(db, phone_ids=[phone], now=NOW)
    assert message == outbox.QueuedMessage(
        id=mid,
        id_user=user,
        text="hi",
        destination="+33600000001",
        flash=True,
        id_phone=None,
        id_phone_group=None,
        attempts=0,
        segments=2,
        request_report=False,
        priority=3,
    )
