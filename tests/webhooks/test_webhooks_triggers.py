"""Events are written by triggers in the transaction of their cause, with RaspiSMS's bodies."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from support.store import add_phone
from webhook_helpers import events, queue, send

from smsd.store import accounts, inbox, outbox
from smsd.store import webhooks as store

SECRET = "s" * 64


async def hook(db, user, type_: str, url: str = "http://127.0.0.1:9/hook") -> int:
    return await store.create_webhook(db, id_user=user, url=url, type_=type_, secret=SECRET)


async def receive(db, user, phone, origin: str, *, text: str = "hi", key: str | None = None):
    return await inbox.store_received(
        db, id_user=user, id_phone=phone, origin=origin, text=text,
        at="2024-01-01 10:00:00", dedupe_key=key or f"{phone}-{origin}-{text}",
    )  # fmt: skip


async def test_no_webhook_no_event(db, user, phone) -> None:
    [sid] = await queue(db, user, "+33612345678")
    await send(db, sid, phone)
    await receive(db, user, phone, "+33612345678")
    assert await events(db) == []


async def test_send_sms_body_is_raspisms(db, user, phone) -> None:
    hid = await hook(db, user, "send_sms")
    [sid] = await queue(db, user, "+33612345678", text="a/b é")
    assert await events(db) == []  # queued: nothing yet
    await send(db, sid, phone)
    [event] = await events(db)
    sended = await db.fetchone("SELECT at, originating_scheduled FROM sended WHERE id = ?", (sid,))
    assert event["type"] == "send_sms"
    assert event["id_webhook"] == hid
    assert event["target"] == f"webhook:{hid}"
    assert event["subject"] == f"sended:{sid}"
    assert event["state"] == "pending"
    assert json.loads(event["body"]) == {
        "id": sid,
        "at": sended["at"],
        "status": "unknown",
        "text": "a/b é",
        "destination": "+33612345678",
        "origin": phone,
        "mms": False,
        "medias": [],
        "originating_scheduled": sended["originating_scheduled"],
    }
    assert list(json.loads(event["body"])) == [
        "id", "at", "status", "text", "destination", "origin", "mms", "medias",
        "originating_scheduled",
    ]  # fmt: skip
    stamp, _, random_hex = event["random_id"].partition("-")
    assert stamp == str(event["timestamp"])
    assert len(random_hex) == 32
    assert int(random_hex, 16) >= 0
    assert abs(event["timestamp"] - time.time()) < 60
    assert event["next_attempt_at"] == pytest.approx(event["created_at"])


async def test_status_change_after_report(db, user, phone) -> None:
    await hook(db, user, "send_sms")
    await hook(db, user, "send_sms_status_change")
    [sid] = await queue(db, user, "+33612345678")
    await send(db, sid, phone)
    status = await outbox.record_report(
        db, sid, 1, status=0, delivered=True, permanent=False, now=time.time()
    )
    assert status == "delivered"
    found = await events(db)
    assert [e["type"] for e in found] == ["send_sms", "send_sms_status_change"]
    assert json.loads(found[1]["body"]) == {"id": sid, "status": "delivered"}


async def test_report_before_mark_sent_gives_both_events_in_order(db, user, phone) -> None:
    hid = await hook(db, user, "send_sms")
    hid2 = await hook(db, user, "send_sms_status_change")
    [sid] = await queue(db, user, "+33612345678")
    now = time.time()
    assert await outbox.claim(db, sid, id_phone=phone, now=now)
    await outbox.mark_segment_sent(db, sid, 1, reference=3, now=now)
    await outbox.record_report(db, sid, 1, status=0, delivered=True, permanent=False, now=now)
    await outbox.mark_sent(db, sid, now=now)
    found = await events(db)
    assert [(e["type"], e["id_webhook"]) for e in found] == [
        ("send_sms", hid), ("send_sms_status_change", hid2),
    ]  # fmt: skip
    assert json.loads(found[0]["body"])["status"] == "unknown"
    assert json.loads(found[1]["body"])["status"] == "delivered"


async def test_failed_send_and_requeue(db, user, phone) -> None:
    await hook(db, user, "send_sms")
    await hook(db, user, "send_sms_status_change")
    first, second = await queue(db, user, "+33612345678", "+33611111111")
    now = time.time()
    assert await outbox.claim(db, first, id_phone=phone, now=now)
    await outbox.requeue(db, first, reason="busy", next_attempt_at=now, exclude_phone=None)
    assert await events(db) == []  # back in the queue: not an event
    await outbox.mark_failed(db, second, reason="no phone", now=now)
    [event] = await events(db)
    body = json.loads(event["body"])
    assert (event["type"], body["status"], body["origin"]) == ("send_sms", "failed", None)


async def test_webhook_setting_off(db, user, phone) -> None:
    await hook(db, user, "send_sms")
    await db.execute(
        "INSERT INTO setting (id_user, name, value) VALUES (?, 'webhook', '0')", (user,)
    )
    [sid] = await queue(db, user, "+33612345678")
    await send(db, sid, phone)
    assert await events(db) == []


async def test_receive_sms(db, user, phone) -> None:
    hid = await hook(db, user, "receive_sms")
    await hook(db, user, "send_sms")  # another type: not fired by a reception
    rid = await receive(db, user, phone, "+33612345678", text="yo <3")
    assert await receive(db, user, phone, "+33612345678", text="yo <3") is None  # duplicate
    [event] = await events(db)
    assert (event["type"], event["id_webhook"], event["subject"]) == (
        "receive_sms", hid, f"received:{rid}",
    )  # fmt: skip
    assert json.loads(event["body"]) == {
        "id": rid,
        "at": "2024-01-01 10:00:00",
        "text": "yo <3",
        "destination": phone,
        "origin": "+33612345678",
        "command": False,
        "mms": False,
        "medias": [],
    }


async def test_one_event_per_webhook_and_users_apart(db, user, phone) -> None:
    other = await accounts.ensure_user(db, email="b@example.org", api_key="b" * 32)
    await hook(db, other, "receive_sms")
    a = await hook(db, user, "receive_sms")
    b = await hook(db, user, "receive_sms", url="http://127.0.0.1:9/other")
    await receive(db, user, phone, "+33612345678")
    found = await events(db)
    assert sorted(e["id_webhook"] for e in found) == [a, b]
    assert found[0]["random_id"] != found[1]["random_id"]


async def test_url_dlr_gets_send_and_status_events(db, user, phone) -> None:
    url = "http://127.0.0.1:9/dlr"
    [sid] = await queue(db, user, "+33612345678", url_dlr=url)
    await send(db, sid, phone)
    await outbox.record_report(
        db, sid, 1, status=0x40, delivered=False, permanent=True, now=time.time()
    )
    found = await events(db)
    assert [(e["type"], e["url"], e["target"], e["id_webhook"]) for e in found] == [
        ("send_sms", url, url, None),
        ("send_sms_status_change", url, url, None),
    ]
    assert json.loads(found[1]["body"]) == {"id": sid, "status": "failed"}


async def test_url_response_gets_replies_on_the_sending_phone(db, user, phone) -> None:
    url = "http://127.0.0.1:9/replies"
    other_phone = await add_phone(db, user, "m2")
    [sid] = await queue(db, user, "+33612345678", url_response=url)
    scheduled = (await db.fetchone(
        "SELECT originating_scheduled FROM sended WHERE id = ?", (sid,)
    ))[0]  # fmt: skip
    await receive(db, user, phone, "+33612345678", text="too early")  # not sent yet
    await send(db, sid, phone)
    await receive(db, user, other_phone, "+33612345678", text="other phone")
    await receive(db, user, phone, "+33699999999", text="someone else")
    rid = await receive(db, user, phone, "0612345678", text="national form")
    [event] = await events(db)
    body = json.loads(event["body"])
    assert (event["type"], event["url"]) == ("receive_sms", url)
    assert body["id"] == rid
    assert body["text"] == "national form"
    assert (body["id_sended"], body["originating_scheduled"]) == (sid, scheduled)


async def test_reply_window_closes(db, user, phone) -> None:
    await store.set_reply_window(db, 0.0)
    [sid] = await queue(db, user, "+33612345678", url_response="http://127.0.0.1:9/r")
    await send(db, sid, phone)
    await asyncio.sleep(0.01)
    await receive(db, user, phone, "+33612345678")
    assert await events(db) == []
    assert await store.expire_replies(db, now=time.time()) == 1


async def test_rolled_back_change_leaves_no_event(db, user, phone) -> None:
    await hook(db, user, "receive_sms")

    async def body(conn):
        await conn.execute(
            "INSERT INTO received (at, text, origin, id_user, id_phone, dedupe_key) "
            "VALUES ('2024-01-01 10:00:00', 'x', '+33612345678', ?, ?, 'k')",
            (user, phone),
        )
        raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        await db.atomic("test", body)
    assert await events(db) == []


async def test_deleting_a_webhook_drops_its_events(db, user, phone) -> None:
    hid = await hook(db, user, "receive_sms")
    await receive(db, user, phone, "+33612345678")
    assert len(await events(db)) == 1
    assert await store.delete_webhook(db, id_user=user, id_webhook=hid)
    assert not await store.delete_webhook(db, id_user=user, id_webhook=hid)
    assert await events(db) == []


async def test_fan_out_from_code(db, user) -> None:
    await hook(db, user, "phone_reliability")
    body = {"reliability_type": "failed", "id_phone": 1, "period": 120, "total": 30,
            "unreliable": 5, "rate": 0.16}  # fmt: skip

    async def write(conn):
        return await store.fan_out(
            conn, id_user=user, type_="phone_reliability", subject="phone:1", body=body
        )

    assert await db.atomic("test", write) == 1
    [event] = await events(db)
    assert json.loads(event["body"]) == body
