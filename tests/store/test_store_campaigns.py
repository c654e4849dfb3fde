"""Campaigns a door changes: held transactions, amending, the read model, cancelling."""

from __future__ import annotations

import pytest
from store_helpers import NOW, plain

from smsd.store import campaign_edits, campaigns, outbox
from smsd.store.errors import InvalidValueError, NotFoundError, TransitionError
from smsd.store.outbox import Recipient

cancel = campaign_edits.cancel_campaign


async def _create(db, user, *numbers, held=False, **kw):
    return await outbox.create_scheduled(
        db,
        id_user=user,
        text="hi {{ contact.name }}",
        at=None,
        numbers=[Recipient(number=n, data='{"name": "x"}') for n in numbers],
        held=held,
        **kw,
    )


async def _expand(db, id_scheduled):
    return await outbox.expand_scheduled(
        db, id_scheduled, now=NOW + 10, render=plain, plan=lambda _text: 2
    )


async def test_held_message_is_never_due_until_released(db, user) -> None:
    held = await _create(db, user, "+33611111111", held=True, door_data='{"body": "b"}')
    free = await _create(db, user, "+33622222222")
    assert await outbox.due_scheduled(db, now=NOW * 2) == [free]
    assert await _expand(db, held) == []
    await campaign_edits.amend_campaign(
        db,
        id_user=user,
        id_scheduled=held,
        numbers=[Recipient("+33633333333"), Recipient("+33611111111", '{"name": "Ann"}')],
    )
    row = await campaigns.campaign(db, id_user=user, id_scheduled=held)
    assert row.held
    assert row.door_data == '{"body": "b"}'
    assert list(zip(row.numbers, row.number_data, strict=True)) == [
        ("+33611111111", '{"name": "Ann"}'),
        ("+33633333333", "[]"),
    ]
    await campaign_edits.amend_campaign(db, id_user=user, id_scheduled=held, release=True)
    assert sorted(await outbox.due_scheduled(db, now=NOW * 2)) == sorted([free, held])
    assert len(await _expand(db, held)) == 2
    with pytest.raises(TransitionError):
        await campaign_edits.amend_campaign(db, id_user=user, id_scheduled=held, numbers=[])


async def test_amend_refuses_unknown_foreign_and_bad_data(db, user) -> None:
    id_scheduled = await _create(db, user, "+33611111111", held=True)
    with pytest.raises(NotFoundError):
        await campaign_edits.amend_campaign(db, id_user=user + 1, id_scheduled=id_scheduled)
    with pytest.raises(NotFoundError):
        await campaign_edits.amend_campaign(db, id_user=user, id_scheduled=id_scheduled + 1)
    with pytest.raises(InvalidValueError):
        await campaign_edits.amend_campaign(
            db, id_user=user, id_scheduled=id_scheduled, door_data="{not json"
        )
    await campaign_edits.amend_campaign(db, id_user=user, id_scheduled=id_scheduled, due_at=NOW)
    row = await campaigns.campaign(db, id_user=user, id_scheduled=id_scheduled)
    assert row.due_at == NOW


async def test_read_model_follows_the_outgoing_messages(db, user) -> None:
    id_scheduled = await _create(db, user, "+33611111111", "+33622222222")
    row = await campaigns.campaign(db, id_user=user, id_scheduled=id_scheduled)
    assert row.pending
    assert row.messages == ()
    assert row.number_data == ('{"name": "x"}', '{"name": "x"}')
    [first, second] = await _expand(db, id_scheduled)
    await outbox.mark_failed(db, second, reason="CMS ERROR: 1", now=NOW)
    row = await campaigns.campaign(db, id_user=user, id_scheduled=id_scheduled)
    assert not row.pending
    assert [(m.id, m.state, m.reason, m.segments) for m in row.messages] == [
        (first, "queued", None, 2),
        (second, "failed", "CMS ERROR: 1", 2),
    ]
    assert row.messages[0].text == "hi {{ contact.name }}"
    assert row.messages[0].sent_at is None
    assert await campaigns.campaign(db, id_user=user + 1, id_scheduled=id_scheduled) is None


async def test_cancel_deletes_a_pending_message_and_fails_only_queued_sends(db, user) -> None:
    pending = await _create(db, user, "+33611111111", "+33622222222")
    assert await cancel(db, id_user=user, id_scheduled=pending, now=NOW) == 2
    assert await campaigns.campaign(db, id_user=user, id_scheduled=pending) is None
    with pytest.raises(NotFoundError):
        await cancel(db, id_user=user, id_scheduled=pending, now=NOW)
    expanded = await _create(db, user, "+33611111111", "+33622222222")
    [first, second] = await _expand(db, expanded)
    await outbox.mark_failed(db, first, reason="gone", now=NOW)
    assert await cancel(db, id_user=user, id_scheduled=expanded, now=NOW) == 1
    rows = await db.fetchall(
        "SELECT id, state, reason FROM sended WHERE originating_scheduled = ? ORDER BY id",
        (expanded,),
    )
    assert [(r["id"], r["state"], r["reason"]) for r in rows] == [
        (first, "failed", "gone"),
        (second, "failed", campaign_edits.CANCELLED),
    ]
    segments = await db.fetchall("SELECT state FROM sended_segment WHERE id_sended = ?", (second,))
    assert {r["state"] for r in segments} == {"failed"}
    assert await cancel(db, id_user=user, id_scheduled=expanded, now=NOW) == 0
    listed = await campaigns.campaigns(db, user)
    assert [row.id for row in listed] == [expanded]
