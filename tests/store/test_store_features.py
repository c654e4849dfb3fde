"""The core features in the store: quotas at claim, sandbox, STOP keywords, sender, mention."""

from __future__ import annotations

import pytest
from store_helpers import NOW, queue, state

from smsd.store import outbox, quota, sandbox, smsstop
from smsd.store.billing import billing
from smsd.store.errors import InvalidValueError
from smsd.store.inbox import store_received
from smsd.store.options import set_options
from smsd.store.walltime import wall


async def test_quota_charges_at_claim_and_fails_the_message_over_it(db, user, phone) -> None:
    await quota.set_quota(db, id_user=user, credit=2, now=NOW)
    ids = await queue(db, user, "+33611111111", "+33622222222", "+33633333333")
    for _ in range(2):
        assert await outbox.claim_next(db, id_phone=phone, now=NOW) is not None
    refused: list[tuple[int, str]] = []
    assert await outbox.claim_next(db, id_phone=phone, now=NOW, refused=refused) is None
    assert [r[0] for r in refused] == [ids[2]]
    found = await state(db, ids[2])
    assert found[0] == "failed"
    assert found[2] == "insufficient credit: the message needs 1 credits, 0 left in quota"
    left = await quota.get_quota(db, user)
    assert left is not None
    assert (left.consumed, left.remaining) == (2, 0)


async def test_a_failure_before_any_segment_refunds(db, user, phone) -> None:
    await quota.set_quota(db, id_user=user, credit=5, now=NOW)
    [one] = await queue(db, user, "+33611111111", text="x" * 200)  # 2 credits
    assert await outbox.claim_next(db, id_phone=phone, now=NOW) is not None
    assert (await quota.get_quota(db, user)).consumed == 2  # type: ignore[union-attr]
    await outbox.mark_failed(db, one, reason="cannot encode", now=NOW)
    assert (await quota.get_quota(db, user)).consumed == 0  # type: ignore[union-attr]


async def test_check_credit_up_front(db, user) -> None:
    assert await quota.check_credit(db, id_user=user, needed=10**6, now=NOW) is None
    await quota.set_quota(db, id_user=user, credit=3, additional=1, now=NOW)
    assert (await quota.check_credit(db, id_user=user, needed=4, now=NOW)).remaining == 4  # type: ignore[union-attr]
    with pytest.raises(quota.InsufficientCreditError) as caught:
        await quota.check_credit(db, id_user=user, needed=5, now=NOW)
    assert (caught.value.needed, caught.value.remaining) == (5, 4)


async def test_renewal_carries_unused_credit_when_asked(db, user) -> None:
    start = "2024-01-31 00:00:00"
    await quota.set_quota(
        db, id_user=user, credit=10, start=start, renewal="monthly", report_unused=True, now=NOW
    )
    await db.execute("UPDATE quota SET consumed = 4 WHERE id_user = ?", (user,))
    later = NOW + 86400 * 400
    renewed = await quota.get_quota(db, user, now=later)
    assert renewed is not None
    assert renewed.consumed == 0
    assert renewed.start_date > start
    assert renewed.additional >= 6
    assert quota.next_expiration(start, "monthly") == "2024-02-29 00:00:00"


async def test_sandbox_is_simulated_never_claimed_never_charged(db, user, phone) -> None:
    await quota.set_quota(db, id_user=user, credit=1, now=NOW)
    [one] = await queue(db, user, "+33611111111", sandbox=True, sender="MyShop")
    assert await outbox.claim_next(db, id_phone=phone, now=NOW) is None
    assert await sandbox.simulate(db, now=NOW) == [one]
    found = await db.fetchone("SELECT state, uid, sandbox, sender FROM sended WHERE id = ?", (one,))
    assert tuple(found) == ("delivered", f"sandbox-{one}", 1, "MyShop")
    assert (await quota.get_quota(db, user)).consumed == 0  # type: ignore[union-attr]
    assert await sandbox.purge(db, now=NOW + 2 * 86400) >= 1
    assert await db.fetchone("SELECT 1 FROM sended WHERE id = ?", (one,)) is None


async def test_sender_is_checked_and_mention_appended(db, user) -> None:
    with pytest.raises(InvalidValueError):
        await queue(db, user, "+33611111111", sender="a!")
    await set_options(db, {"stop_mention": "STOP 36180"})
    [one] = await queue(db, user, "+33611111111", text="Promo", stop_mention=True)
    found = await db.fetchone("SELECT text FROM sended WHERE id = ?", (one,))
    assert found[0] == "Promo\nSTOP 36180"


@pytest.mark.parametrize("word", ["STOP", " stop sms\n", "Arrêt", "ARRET"])
async def test_stop_keyword_lists_the_sender_and_answers_once(db, user, phone, word) -> None:
    for n in range(2):
        await store_received(
            db, id_user=user, id_phone=phone, origin="+33699999999", text=word,
            at=wall(NOW), dedupe_key=f"k{n}",
        )  # fmt: skip
    assert await smsstop.is_stopped(db, id_user=user, number="+33699999999")
    answers = await db.fetchall("SELECT tag, id_phone FROM scheduled WHERE tag = 'SMS_STOP'")
    assert [tuple(r) for r in answers] == [("SMS_STOP", phone)]
    await store_received(
        db, id_user=user, id_phone=phone, origin="+33699999999", text="start",
        at=wall(NOW), dedupe_key="k3",
    )  # fmt: skip
    assert not await smsstop.is_stopped(db, id_user=user, number="+33699999999")


async def test_billing_per_phone(db, user, phone) -> None:
    await set_options(db, {"currency": "EUR", "segment_price": "0.05", "segment_price:m1": "0.02"})
    assert str((await billing(db)).cost(3)) == "0.15"
    assert str((await billing(db, id_phone=phone)).segment_price) == "0.02"


async def test_level_fires_once_at_80_percent_and_reached_once(db, user, phone) -> None:
    from smsd.store import webhooks  # noqa: PLC0415

    for kind in ("quota_level", "quota_reached"):
        await webhooks.create_webhook(
            db, id_user=user, url=f"https://example.org/{kind}", type_=kind, secret="s" * 64
        )
    await quota.set_quota(db, id_user=user, credit=5, now=NOW)
    await queue(db, user, *(f"+3361111111{n}" for n in range(6)))

    async def kinds() -> list[str]:
        found = await db.fetchall("SELECT type FROM webhook_event ORDER BY id")
        return [r[0] for r in found if r[0].startswith("quota")]

    for n in range(1, 7):
        await outbox.claim_next(db, id_phone=phone, now=NOW)
        if n == 3:
            assert await kinds() == []
        if n == 4:  # 4 of 5 used: 80 %
            assert await kinds() == ["quota_level"]
    assert await kinds() == ["quota_level", "quota_reached"]


async def test_renew_due_rolls_expired_periods_over(db, user) -> None:
    await quota.set_quota(
        db, id_user=user, credit=10, additional=3, start="2023-01-01 00:00:00",
        renewal="daily", report_unused=False, report_unused_additional=False, now=0.0,
    )  # fmt: skip
    await db.execute("UPDATE quota SET consumed = 12 WHERE id_user = ?", (user,))
    assert await quota.renew_due(db, now=NOW) == 1
    renewed = await quota.get_quota(db, user)
    assert renewed is not None
    assert (renewed.consumed, renewed.additional, renewed.remaining) == (0, 0, 10)
    assert renewed.expiration_date > wall(NOW)
    assert await quota.renew_due(db, now=NOW) == 0


async def test_campaign_read_model_and_balance(db, user, phone) -> None:
    from smsd.store.billing import balance  # noqa: PLC0415
    from smsd.store.campaigns import campaign  # noqa: PLC0415

    await set_options(db, {"segment_price": "0.05", "currency": "EUR"})
    assert (await balance(db, id_user=user, now=NOW)).money is None
    await quota.set_quota(db, id_user=user, credit=10, now=NOW)
    id_scheduled = await outbox.create_scheduled(
        db, id_user=user, text="hi", at=None, sender="Shop", commercial=True,
        numbers=[outbox.Recipient(number="+33611111111"), outbox.Recipient(number="+33622222222")],
    )  # fmt: skip
    pending = await campaign(db, id_user=user, id_scheduled=id_scheduled)
    assert pending is not None
    assert (pending.pending, pending.commercial, pending.sender, pending.messages) == (
        True, True, "Shop", (),
    )  # fmt: skip
    assert pending.numbers == ("+33611111111", "+33622222222")
    assert await campaign(db, id_user=user + 1, id_scheduled=id_scheduled) is None
    await outbox.expand_scheduled(db, id_scheduled, now=NOW, render=lambda t, *_: t, plan=len)
    await outbox.claim_next(db, id_phone=phone, now=NOW)
    done = await campaign(db, id_user=user, id_scheduled=id_scheduled)
    assert done is not None
    assert not done.pending
    assert [(m.destination, m.state, m.credits, m.sender) for m in done.messages] == [
        ("+33611111111", "sending", 1, "Shop"), ("+33622222222", "queued", 0, "Shop"),
    ]  # fmt: skip
    left = await balance(db, id_user=user, now=NOW)
    assert (left.credits, str(left.money), left.currency) == (9, "0.45", "EUR")
