"""Status reports: matching to segments, recording, the message following its segments."""

from __future__ import annotations

import pytest
from store_helpers import NOW, queue, send_all, state

from smsd.store import outbox
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.reports import same_number
from smsd.store.walltime import wall

WINDOW = NOW - 3 * 86400


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("+33612345678", "+33612345678", True),
        ("+33612345678", "0612345678", True),
        ("0033612345678", "+33612345678", True),
        ("+33 6 12 34 56 78", "33612345678", True),
        ("+33612345678", "+33612345679", False),
        ("+33612345678", "+44612345678", False),
        ("612345678", "+44612345678", True),  # bare national digits: the reference decides
        ("36180", "36180", True),
        ("36180", "+3336180", False),  # short codes match whole only
        ("", "", False),
        ("ORANGE", "ORANGE", True),
    ],
)
def test_same_number(a, b, same) -> None:
    assert same_number(a, b) is same
    assert same_number(b, a) is same


async def test_report_matches_national_and_international_forms(db, user, phone) -> None:
    [mid] = await queue(db, user, "+33612345678")
    await send_all(db, mid, phone, first_ref=42)
    for recipient in ("+33612345678", "0612345678", "33612345678"):
        assert await outbox.match_report(
            db, id_phone=phone, reference=42, recipient=recipient, since=WINDOW
        ) == (mid, 1)
    assert (
        await outbox.match_report(
            db, id_phone=phone, reference=42, recipient="+33699999999", since=WINDOW
        )
        is None
    )
    assert (
        await outbox.match_report(
            db, id_phone=phone, reference=43, recipient="+33612345678", since=WINDOW
        )
        is None
    )


async def test_report_matching_respects_phone_and_time_window(db, user, phone, phone2) -> None:
    [mid] = await queue(db, user, "+33612345678")
    await send_all(db, mid, phone, now=NOW, first_ref=42)
    assert (
        await outbox.match_report(
            db, id_phone=phone2, reference=42, recipient="+33612345678", since=WINDOW
        )
        is None
    )
    assert (
        await outbox.match_report(
            db, id_phone=phone, reference=42, recipient="+33612345678", since=NOW + 1
        )
        is None
    )


async def test_report_matches_the_most_recent_reuse_of_a_reference(db, user, phone) -> None:
    old, new = await queue(db, user, "+33612345678", "0612345678")
    await send_all(db, old, phone, now=NOW, first_ref=42)
    await send_all(db, new, phone, now=NOW + 100, first_ref=42)
    assert await outbox.match_report(
        db, id_phone=phone, reference=42, recipient="+33612345678", since=WINDOW
    ) == (new, 1)
    assert await outbox.match_report(
        db, id_phone=phone, reference=42, recipient="+33612345678", since=NOW - 1
    ) == (new, 1)


async def test_every_segment_delivered_makes_the_message_delivered(db, user, phone) -> None:
    [mid] = await queue(db, user, "+33612345678", segments=2)
    await send_all(db, mid, phone)
    assert (
        await outbox.record_report(db, mid, 1, status=0, delivered=True, permanent=False, now=NOW)
        == "unknown"
    )
    assert (await state(db, mid))[0] == "sent"
    assert (
        await outbox.record_report(db, mid, 2, status=0, delivered=True, permanent=False, now=NOW)
        == "delivered"
    )
    assert await state(db, mid) == ("delivered", "delivered", None)
    # delivered never changes again
    assert (
        await outbox.record_report(
            db, mid, 2, status=0x41, delivered=False, permanent=True, now=NOW
        )
        == "delivered"
    )
    assert (await state(db, mid))[0] == "delivered"


async def test_a_permanent_failure_fails_the_message(db, user, phone) -> None:
    [mid] = await queue(db, user, "+33612345678", segments=2)
    await send_all(db, mid, phone)
    assert (
        await outbox.record_report(
            db, mid, 1, status=0x20, delivered=False, permanent=False, now=NOW
        )
        == "unknown"
    )
    assert (
        await outbox.record_report(
            db, mid, 2, status=0x41, delivered=False, permanent=True, now=NOW
        )
        == "failed"
    )
    assert await state(db, mid) == ("failed", "failed", "status report: TP-Status 0x41")
    segment = await db.fetchone(
        "SELECT report, report_status, reported_at FROM sended_segment "
        "WHERE id_sended = ? AND seq = 2",
        (mid,),
    )
    assert tuple(segment) == ("failed", 0x41, NOW)


async def test_a_temporary_report_does_not_undo_a_final_one(db, user, phone) -> None:
    [mid] = await queue(db, user, "+33612345678", segments=2)
    await send_all(db, mid, phone)
    await outbox.record_report(db, mid, 1, status=0, delivered=True, permanent=False, now=NOW)
    await outbox.record_report(db, mid, 1, status=0x20, delivered=False, permanent=False, now=NOW)
    segment = await db.fetchone(
        "SELECT report FROM sended_segment WHERE id_sended = ? AND seq = 1", (mid,)
    )
    assert segment["report"] == "delivered"


async def test_reports_before_mark_sent_are_applied_by_it(db, user, phone) -> None:
    [mid] = await queue(db, user, "+33612345678", segments=2)
    await outbox.claim(db, mid, id_phone=phone, now=NOW)
    await outbox.mark_segment_sent(db, mid, 1, reference=1, now=NOW)
    assert (
        await outbox.record_report(db, mid, 1, status=0, delivered=True, permanent=False, now=NOW)
        == "unknown"
    )
    await outbox.mark_segment_sent(db, mid, 2, reference=2, now=NOW)
    await outbox.record_report(db, mid, 2, status=0, delivered=True, permanent=False, now=NOW)
    assert (await state(db, mid))[0] == "sending"
    await outbox.mark_sent(db, mid, now=NOW)
    assert (await state(db, mid))[0] == "delivered"


async def test_report_on_unknown_segment(db, user, phone) -> None:
    with pytest.raises(NotFoundError):
        await outbox.record_report(db, 999, 1, status=0, delivered=True, permanent=False, now=NOW)


async def test_sent_volume_counts_segments_since_a_wall_time(db, user, phone, phone2) -> None:
    first, second = await queue(db, user, "+33611111111", "+33622222222", segments=3)
    await send_all(db, first, phone, now=NOW)
    await send_all(db, second, phone2, now=NOW)
    assert await outbox.sent_volume(db, id_phone=phone, since_wall=wall(NOW)) == 3
    assert await outbox.sent_volume(db, id_phone=phone, since_wall=wall(NOW + 1)) == 0
    assert await outbox.sent_volume(db, id_phone=phone2, since_wall=wall(NOW - 60)) == 3
    with pytest.raises(InvalidValueError):
        await outbox.sent_volume(db, id_phone=phone, since_wall="today")
