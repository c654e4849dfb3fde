"""The call table: record and end a call; the inbound_call webhook event of the trigger."""

from __future__ import annotations

import json
import time

import pytest

from smsd.store import calls, webhooks
from smsd.store.errors import InvalidValueError
from smsd.store.walltime import wall

START = time.mktime((2024, 5, 1, 12, 0, 0, 0, 0, -1))
PAYLOAD_KEYS = [
    "id_user",
    "id_phone",
    "uid",
    "start",
    "end",
    "direction",
    "origin",
    "destination",
    "id",
]


async def events(db) -> list:
    return await db.fetchall(
        "SELECT id_user, id_webhook, url, target, type, subject, body, timestamp, random_id, "
        "state FROM webhook_event ORDER BY id"
    )


async def hook(db, user, type_="inbound_call") -> int:
    return await webhooks.create_webhook(
        db, id_user=user, url="https://example.org/hook", type_=type_, secret="s" * 64
    )


async def test_record_then_end(db, user, phone) -> None:
    id_call = await calls.record_call(
        db, id_user=user, id_phone=phone, uid="u1", start=START, origin="+33612345678"
    )
    row = await calls.get_call(db, id_call)
    assert row == calls.CallRow(
        id=id_call,
        id_user=user,
        id_phone=phone,
        uid="u1",
        start=wall(START),
        end=None,
        direction="inbound",
        origin="+33612345678",
        destination=None,
    )
    assert await calls.end_call(db, id_phone=phone, uid="u1", end=START + 4)
    ended = await calls.get_call(db, id_call)
    assert ended is not None
    assert ended.end == wall(START + 4)
    # A second end (the modem's NO CARRIER after our own hang-up) changes nothing.
    assert not await calls.end_call(db, id_phone=phone, uid="u1", end=START + 9)
    assert (await calls.get_call(db, id_call)).end == wall(START + 4)
    assert not await calls.end_call(db, id_phone=phone, uid="other", end=START)


async def test_end_before_start_is_recorded_as_the_start(db, user, phone) -> None:
    await calls.record_call(db, id_user=user, id_phone=phone, uid="u1", start=START, origin=None)
    assert await calls.end_call(db, id_phone=phone, uid="u1", end=START - 3600)
    [row] = await calls.list_calls(db, user)
    assert row.end == row.start
    assert row.origin is None


async def test_record_with_end_and_listing_order(db, user, phone) -> None:
    first = await calls.record_call(
        db, id_user=user, id_phone=phone, uid="a", start=START, origin="+1", end=START + 2
    )
    second = await calls.record_call(
        db, id_user=user, id_phone=phone, uid="b", start=START + 60, origin="+2"
    )
    rows = await calls.list_calls(db, user)
    assert [(r.id, r.uid, r.end) for r in rows] == [
        (first, "a", wall(START + 2)),
        (second, "b", None),
    ]
    assert await calls.get_call(db, second + 1) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"uid": ""},
        {"uid": "u" * 501},
        {"direction": "sideways"},
        {"origin": ""},
        {"origin": "+" + "1" * 20},
        {"destination": "9" * 21},
    ],
)
async def test_bad_values_are_refused(db, user, phone, changes) -> None:
    values = {"uid": "u1", "origin": "+33612345678"} | changes
    with pytest.raises(InvalidValueError):
        await calls.record_call(db, id_user=user, id_phone=phone, start=START, **values)
    assert await calls.list_calls(db, user) == []


async def test_inbound_call_event_has_raspisms_payload(db, user, phone) -> None:
    id_webhook = await hook(db, user)
    await hook(db, user, "receive_sms")  # another type: no event for it
    id_call = await calls.record_call(
        db, id_user=user, id_phone=phone, uid="u1", start=START, origin="+33612345678"
    )
    [event] = await events(db)
    assert event["type"] == "inbound_call"
    assert event["id_webhook"] == id_webhook
    assert event["target"] == f"webhook:{id_webhook}"
    assert event["url"] is None
    assert event["subject"] == f"call:{id_call}"
    assert event["state"] == "pending"
    stamp, random_id = event["random_id"].split("-")
    assert int(stamp) == event["timestamp"]
    assert len(random_id) == 32
    body = json.loads(event["body"])
    assert list(body) == PAYLOAD_KEYS
    assert body == {
        "id_user": user,
        "id_phone": phone,
        "uid": "u1",
        "start": wall(START),
        "end": None,
        "direction": "inbound",
        "origin": "+33612345678",
        "destination": None,
        "id": id_call,
    }
    # Ending the call fires nothing, as in RaspiSMS.
    await calls.end_call(db, id_phone=phone, uid="u1", end=START + 3)
    assert len(await events(db)) == 1


async def test_no_event_when_the_user_turned_webhooks_off(db, user, phone) -> None:
    await hook(db, user)
    await db.execute(
        "INSERT INTO setting (id_user, name, value) VALUES (?, 'webhook', '0')", (user,)
    )
    await calls.record_call(db, id_user=user, id_phone=phone, uid="u1", start=START, origin="+1")
    assert await events(db) == []


async def test_no_event_for_an_outbound_call_or_without_webhook(db, user, phone) -> None:
    await calls.record_call(db, id_user=user, id_phone=phone, uid="u0", start=START, origin="+1")
    await hook(db, user)
    await calls.record_call(
        db,
        id_user=user,
        id_phone=phone,
        uid="u1",
        start=START,
        origin=None,
        destination="+33612345678",
        direction="outbound",
    )
    assert await events(db) == []


async def test_deleting_the_phone_keeps_the_call(db, user, phone) -> None:
    id_call = await calls.record_call(
        db, id_user=user, id_phone=phone, uid="u1", start=START, origin="+1"
    )
    await db.execute("DELETE FROM phone WHERE id = ?", (phone,))
    row = await calls.get_call(db, id_call)
    assert row is not None
    assert row.id_phone is None
