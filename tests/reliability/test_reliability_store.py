"""The reliability check on a real SQLite file: thresholds, window, repeat, events, settings."""

from __future__ import annotations

import asyncio
import json

import pytest
from reliability_helpers import NOW, add_hook, add_user, events, mix, phone_status, sent, setting
from support.store import add_phone

from smsd.errors import StoreError
from smsd.store import accounts, outbox
from smsd.store import reliability as rel
from smsd.store.outbox import Recipient
from smsd.store.reliability import ReliabilityType, Thresholds


async def check(db, now: float = NOW) -> list[rel.Alert]:
    return await rel.check_reliability(db, now=now)


def summary(alerts) -> list[tuple]:
    return [(a.id_phone, a.type.value, a.total, a.unreliable, a.rate) for a in alerts]


# ---------------------------------------------------------------- settings


def test_defaults_are_raspisms_ones() -> None:
    failed = Thresholds.of({}, ReliabilityType.FAILED)
    assert failed == Thresholds(
        type=ReliabilityType.FAILED, enabled=True, rate_limit=10, volume=25, period=120,
        grace_period=1, email=False, webhook=True, auto_disable=False,
    )  # fmt: skip
    unknown = Thresholds.of({}, ReliabilityType.UNKNOWN)
    assert not unknown.enabled
    assert (unknown.rate_limit, unknown.volume, unknown.period, unknown.grace_period) == (
        25, 25, 120, 1,
    )  # fmt: skip
    assert len(rel.SETTING_DEFAULTS) == 16
    assert rel.SETTING_DEFAULTS["phone_reliability_failed_auto_disable"] == "0"


def test_settings_read_as_php_does() -> None:
    found = Thresholds.of(
        {
            "phone_reliability_unknown": "yes",
            "phone_reliability_unknown_rate_limit": "12.9%",
            "phone_reliability_unknown_volume": "abc",
            "phone_reliability_unknown_webhook": "",
            "phone_reliability_unknown_auto_disable": "1",
        },
        ReliabilityType.UNKNOWN,
    )
    assert found.enabled
    assert found.rate_limit == 12
    assert found.volume == 0
    assert not found.webhook
    assert found.auto_disable


# ---------------------------------------------------------------- thresholds


async def test_failed_rate_over_limit_alerts(db, user, phone) -> None:
    await mix(db, user, phone, failed=3, delivered=22)
    assert summary(await check(db)) == [(phone, "failed", 25, 3, 0.12)]


async def test_failed_rate_under_limit_is_quiet(db, user, phone) -> None:
    await mix(db, user, phone, failed=2, delivered=23)
    assert await check(db) == []


async def test_rate_limit_reached_exactly_alerts(db, user, phone) -> None:
    await mix(db, user, phone, failed=3, delivered=27)  # 10 % exactly
    assert summary(await check(db)) == [(phone, "failed", 30, 3, 0.1)]


async def test_rate_is_rounded_like_mysql(db, user, phone) -> None:
    await mix(db, user, phone, failed=1, delivered=2)
    await setting(db, user, "phone_reliability_failed_volume", "3")
    [alert] = await check(db)
    assert alert.rate == 0.3333


async def test_volume_floor(db, user, phone) -> None:
    await mix(db, user, phone, failed=24)
    assert await check(db) == []
    await mix(db, user, phone, failed=1)
    assert summary(await check(db)) == [(phone, "failed", 25, 25, 1.0)]


async def test_unknown_counts_sent_and_unknown_states(db, user, phone) -> None:
    await setting(db, user, "phone_reliability_unknown", "1")
    await setting(db, user, "phone_reliability_failed", "0")
    await mix(db, user, phone, unknown=4, delivered=18)
    await sent(db, user, phone, state="unknown", count=3)  # interrupted: status unknown too
    [alert] = await check(db)
    assert (alert.type, alert.total, alert.unreliable, alert.rate) == (
        ReliabilityType.UNKNOWN, 25, 7, 0.28,
    )  # fmt: skip


async def test_queued_and_sending_messages_do_not_count(db, user, phone) -> None:
    await setting(db, user, "phone_reliability_unknown", "1")
    await sent(db, user, phone, state="queued", count=20)
    await sent(db, user, phone, state="sending", count=20)
    await mix(db, user, phone, delivered=10)
    assert await check(db) == []


async def test_messages_without_phone_do_not_count(db, user, phone) -> None:
    await sent(db, user, None, state="failed", count=30)
    assert await check(db) == []


async def test_each_phone_is_judged_alone(db, user, phone) -> None:
    other = await add_phone(db, user, "m2")
    await mix(db, user, phone, failed=5, delivered=20)
    await mix(db, user, other, failed=1, delivered=30)
    assert [a.id_phone for a in await check(db)] == [phone]


# ---------------------------------------------------------------- window


async def test_grace_period_leaves_recent_messages_out(db, user, phone) -> None:
    await setting(db, user, "phone_reliability_failed_grace_period", "10")
    await mix(db, user, phone, failed=20, minutes_ago=5)
    await mix(db, user, phone, delivered=20, minutes_ago=15)
    assert await check(db) == []
    await mix(db, user, phone, failed=5, minutes_ago=10)  # on the bound: counted
    assert summary(await check(db)) == [(phone, "failed", 25, 5, 0.2)]


async def test_default_grace_is_one_minute(db, user, phone) -> None:
    await mix(db, user, phone, failed=25, minutes_ago=0.5)
    assert await check(db) == []
    assert len(await check(db, NOW + 60)) == 1


async def test_period_bounds_the_window(db, user, phone) -> None:
    await setting(db, user, "phone_reliability_failed_period", "60")
    await mix(db, user, phone, failed=25, minutes_ago=61)
    await mix(db, user, phone, delivered=5, minutes_ago=30)
    assert await check(db) == []
    await mix(db, user, phone, failed=20, minutes_ago=60)  # on the bound: counted
    assert summary(await check(db)) == [(phone, "failed", 25, 20, 0.8)]


async def test_absurd_settings_give_an_empty_window(db, user, phone) -> None:
    await mix(db, user, phone, failed=30)
    await setting(db, user, "phone_reliability_failed_period", "9" * 30)
    await setting(db, user, "phone_reliability_failed_grace_period", "9" * 30)
    assert await check(db) == []
    await setting(db, user, "phone_reliability_failed_grace_period", "-" + "9" * 30)
    assert len(await check(db)) == 1  # the window reaches from the epoch to far ahead


# ---------------------------------------------------------------- repeat


async def test_no_repeat_alert_on_the_same_messages(db, user, phone) -> None:
    await mix(db, user, phone, failed=25)
    assert len(await check(db)) == 1
    assert await check(db) == []
    assert await check(db, NOW + 30 * 60) == []
    found = await db.fetchone(
        "SELECT value FROM setting WHERE id_user = ? AND name = ?",
        (user, rel.last_alert_name(ReliabilityType.FAILED, phone)),
    )
    assert found is not None


async def test_alerts_again_on_fresh_messages_only(db, user, phone) -> None:
    await mix(db, user, phone, failed=25)
    assert len(await check(db)) == 1
    # After the alert: 24 more failures are under the volume, the old ones no longer count.
    await mix(db, user, phone, failed=24, minutes_ago=-10)
    later = NOW + 20 * 60
    assert await check(db, later) == []
    await mix(db, user, phone, failed=1, minutes_ago=-11)
    assert summary(await check(db, later)) == [(phone, "failed", 25, 25, 1.0)]


async def test_types_are_remembered_apart(db, user, phone) -> None:
    await setting(db, user, "phone_reliability_unknown", "1")
    await mix(db, user, phone, failed=10, unknown=15)
    assert sorted(a.type.value for a in await check(db)) == ["failed", "unknown"]
    assert await check(db) == []


async def test_concurrent_checks_alert_once(db, user, phone) -> None:
    await add_hook(db, user)
    await mix(db, user, phone, failed=25)
    first, second = await asyncio.gather(check(db), check(db))
    assert len(first) + len(second) == 1
    assert len(await events(db)) == 1


# ---------------------------------------------------------------- webhook events


async def test_event_per_webhook_with_raspisms_payload(db, user, phone) -> None:
    hooks = [await add_hook(db, user), await add_hook(db, user, "http://127.0.0.1:9/two")]
    other = await add_user(db, "b@example.org")
    await add_hook(db, other)
    await mix(db, user, phone, failed=4, delivered=21)
    [alert] = await check(db)
    assert alert.events == 2
    found = await events(db)
    expected = {"reliability_type": "failed", "id_phone": phone, "period": 120, "total": 25,
                "unreliable": 4, "rate": 0.16}  # fmt: skip
    assert [e["id_webhook"] for e in found] == hooks
    for event in found:
        assert event["body"] == expected
        assert event["type"] == "phone_reliability"
        assert event["subject"] == f"phone:{phone}"
        assert event["target"] == f"webhook:{event['id_webhook']}"
        assert event["id_user"] == user
        assert event["state"] == "pending"
        assert event["url"] is None
    raw = await db.fetchone("SELECT body FROM webhook_event ORDER BY id LIMIT 1")
    assert list(json.loads(raw["body"])) == [
        "reliability_type", "id_phone", "period", "total", "unreliable", "rate",
    ]  # fmt: skip
    assert alert.payload() == expected


async def test_unknown_event_payload(db, user, phone) -> None:
    await add_hook(db, user)
    await setting(db, user, "phone_reliability_failed", "0")
    await setting(db, user, "phone_reliability_unknown", "1")
    await setting(db, user, "phone_reliability_unknown_period", "90")
    await mix(db, user, phone, unknown=10, delivered=15)
    await check(db)
    [event] = await events(db)
    assert event["body"] == {"reliability_type": "unknown", "id_phone": phone, "period": 90,
                             "total": 25, "unreliable": 10, "rate": 0.4}  # fmt: skip


async def test_type_webhook_setting_off_records_without_event(db, user, phone) -> None:
    await add_hook(db, user)
    await setting(db, user, "phone_reliability_failed_webhook", "0")
    await mix(db, user, phone, failed=25)
    [alert] = await check(db)
    assert alert.events == 0
    assert await events(db) == []
    assert await check(db) == []  # the alert was still recorded


async def test_user_webhook_setting_off_writes_no_event(db, user, phone) -> None:
    await add_hook(db, user)
    await setting(db, user, "webhook", "0")
    await mix(db, user, phone, failed=25)
    assert len(await check(db)) == 1
    assert await events(db) == []


async def test_email_wish_is_reported(db, user, phone) -> None:
    await setting(db, user, "phone_reliability_failed_email", "1")
    await mix(db, user, phone, failed=25)
    [alert] = await check(db)
    assert alert.email


# ---------------------------------------------------------------- users and settings


async def test_settings_are_per_user(db, user, phone) -> None:
    other = await add_user(db, "b@example.org")
    other_phone = await add_phone(db, other, "b1")
    await setting(db, other, "phone_reliability_failed_rate_limit", "50")
    await setting(db, other, "phone_reliability_unknown", "1")
    for owner, id_phone in ((user, phone), (other, other_phone)):
        await mix(db, owner, id_phone, failed=5, unknown=10, delivered=10)
    found = sorted((a.id_user, a.type.value) for a in await check(db))
    assert found == [(user, "failed"), (other, "unknown")]


async def test_messages_of_other_users_do_not_count(db, user, phone) -> None:
    other = await add_user(db, "b@example.org")
    await setting(db, other, "phone_reliability_failed", "0")
    await mix(db, other, phone, failed=25)
    assert await check(db) == []


async def test_settings_off_nothing_happens(db, user, phone) -> None:
    await add_hook(db, user)
    await setting(db, user, "phone_reliability_failed", "0")
    await mix(db, user, phone, failed=30, unknown=30)
    before = await db.fetchall("SELECT name, value FROM setting ORDER BY id")
    assert await check(db) == []
    assert await events(db) == []
    assert [tuple(r) for r in await db.fetchall("SELECT name, value FROM setting ORDER BY id")] == [
        tuple(r) for r in before
    ]


async def test_suspended_user_is_not_checked(db, user, phone) -> None:
    await mix(db, user, phone, failed=25)
    await accounts.set_user_status(db, user, "suspended")
    assert await check(db) == []


# ---------------------------------------------------------------- auto-disable


async def test_auto_disable_sets_the_phone_disabled(db, user, phone) -> None:
    await setting(db, user, "phone_reliability_failed_auto_disable", "1")
    await setting(db, user, "phone_reliability_unknown", "1")
    await mix(db, user, phone, failed=10, unknown=15)
    alerts = await check(db)
    # The failed check disabled the phone: the unknown check of the same run leaves it alone.
    assert [(a.type.value, a.disabled) for a in alerts] == [("failed", True)]
    assert await phone_status(db, phone) == "disabled"


async def test_without_auto_disable_the_status_stays(db, user, phone) -> None:
    await mix(db, user, phone, failed=25)
    [alert] = await check(db)
    assert not alert.disabled
    assert await phone_status(db, phone) == "available"


async def test_disabled_phone_is_skipped(db, user, phone) -> None:
    await mix(db, user, phone, failed=25)
    await accounts.set_phone_status(db, phone, "disabled")
    assert await check(db) == []


# ---------------------------------------------------------------- through the outbox


async def test_real_transitions_feed_the_check(db, user, phone) -> None:
    await add_hook(db, user)
    now = NOW - 30 * 60
    id_scheduled = await outbox.create_scheduled(
        db, id_user=user, text="hi", at=None,
        numbers=[Recipient(number=f"+336123456{n:02d}") for n in range(25)],
    )  # fmt: skip
    ids = await outbox.expand_scheduled(
        db, id_scheduled, now=now, render=lambda t, _r, _m: t, plan=lambda _t: 1
    )
    for n, id_sended in enumerate(ids):
        assert await outbox.claim(db, id_sended, id_phone=phone, now=now)
        if n < 5:
            await outbox.mark_failed(db, id_sended, reason="cms 500", now=now)
        else:
            await outbox.mark_sent(db, id_sended, now=now, last=(1, n))
    [alert] = await check(db)
    assert (alert.total, alert.unreliable, alert.rate) == (25, 5, 0.2)
    assert [e["type"] for e in await events(db)] == ["phone_reliability"]


async def test_closed_database_raises_a_store_error(db, user, phone) -> None:
    await db.close()
    with pytest.raises(StoreError, match="closed"):
        await check(db)
