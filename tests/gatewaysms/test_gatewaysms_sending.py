"""Sending through the Gateway SMS door, end to end: HTTP in, SMS out of a virtual modem."""

from __future__ import annotations

import asyncio

from support.polling import until

from smsd.modem.virtual import Faults

ANN, BOB, CAROL = "+39-3491234567", "+39-3491234568", "+33-612345678"


def _e164(dashed: str) -> str:
    return dashed.replace("-", "")


async def test_each_recipient_gets_their_own_text(gateway) -> None:
    await gateway.start()
    status, answer = await gateway.call(
        "POST",
        "/messages",
        json={
            "sender": "alberto",
            "body": "Hello {{name}}, your code is {{code}}",
            "recipients": [
                {"number": ANN, "fields": {"name": "Ann", "code": "1111"}},
                {"number": BOB, "fields": {"name": "Bob", "code": "2222"}},
                {"number": CAROL, "fields": {"name": "Carol", "code": 3333}},
                "3491234569",
                "+39-12",
            ],
        },
    )
    assert status == 201
    assert answer["success"] is True
    assert answer["error"] is None
    [message] = answer["data"]
    assert message["recipients"] == {
        "valid": {"count": 3},
        "invalid": {"total": 2, "list": ["3491234569", "+39-12"]},
    }
    assert message["body"] == "Hello {{name}}, your code is {{code}}"
    assert message["sender"] == "alberto"
    assert message["statistics"]["total"] == 3
    assert message["statistics"]["sms_total"] == 3
    assert message["transaction"] is False
    assert len(message["id"]) == 24
    await until(lambda: len(gateway.wire()) == 3)
    texts = {submit.destination: submit.text for submit in gateway.wire()}
    assert texts == {
        _e164(ANN): "Hello Ann, your code is 1111",
        _e164(BOB): "Hello Bob, your code is 2222",
        _e164(CAROL): "Hello Carol, your code is 3333",
    }
    status, answer = await gateway.call("GET", f"/messages/{message['id']}/recipients/")
    assert status == 200
    assert answer["message"] == "3 Results"
    by_number = {r["number"]: r for r in answer["data"]}
    assert by_number[ANN]["body"] == "Hello Ann, your code is 1111"
    assert by_number[ANN]["fields"] == {"name": "Ann", "code": "1111"}
    assert by_number[CAROL]["prefix"] == "+33"
    assert [r["send_id"] for r in answer["data"]] == [f"{message['id']}_{i}" for i in range(3)]


async def test_plain_e164_recipient_is_accepted(gateway) -> None:
    await gateway.start()
    status, answer = await gateway.call(
        "POST",
        "/messages",
        json={"sender": "3939989741", "body": "plain", "recipients": "+393491234567"},
    )
    assert status == 201
    assert answer["data"][0]["recipients"]["valid"]["count"] == 1
    await until(lambda: len(gateway.wire()) == 1)
    assert gateway.wire()[0].destination == "+393491234567"


async def test_transaction_sends_every_recipient_only_once_closed(gateway) -> None:
    await gateway.start()
    status, opened = await gateway.call(
        "POST",
        "/messages",
        json={
            "sender": "alberto",
            "body": "Hi {{name}}",
            "recipients": [{"number": ANN, "fields": {"name": "Ann"}}],
            "options": {"transaction": True},
        },
    )
    assert status == 201
    [message] = opened["data"]
    assert message["transaction"] is True
    path = f"/messages/{message['id']}"
    _, never_closed = await gateway.call(
        "POST",
        "/messages",
        json={"sender": "alberto", "body": "never", "recipients": CAROL, "transaction": True},
    )
    status, updated = await gateway.call(
        "PUT",
        path,
        json={"recipients": [{"number": BOB, "fields": {"name": "Bob"}}, "bogus"]},
    )
    assert status == 200
    assert updated["message"] == "Updated"
    assert updated["data"]["recipients"]["valid"]["count"] == 2
    assert updated["data"]["recipients"]["invalid"]["list"] == ["bogus"]
    assert updated["data"]["transaction"] is True
    await asyncio.sleep(1.5)  # the dispatcher looks every second: an open transaction waits
    assert gateway.wire() == []
    status, closed = await gateway.call("PUT", path, json={"transaction": False})
    assert status == 200
    assert closed["data"]["transaction"] is False
    await until(lambda: len(gateway.wire()) == 2)
    assert {s.destination: s.text for s in gateway.wire()} == {
        _e164(ANN): "Hi Ann",
        _e164(BOB): "Hi Bob",
    }
    status, late = await gateway.call("PUT", path, json={"recipients": [CAROL]})
    assert status == 406
    assert late["success"] is False
    await asyncio.sleep(1.2)
    assert len(gateway.wire()) == 2  # the transaction never closed sent nothing
    status, still = await gateway.call("GET", f"/messages/{never_closed['data'][0]['id']}")
    assert status == 200
    assert still["data"][0]["transaction"] is True
    assert still["data"][0]["state"] == 0


async def test_higher_priority_jumps_the_queue(gateway) -> None:
    await gateway.start(Faults(submit_delay=0.05))
    campaign = [f"+39-34912340{i:02d}" for i in range(12)]
    status, _ = await gateway.call(
        "POST", "/messages", json={"sender": "bulk", "body": "campaign", "recipients": campaign}
    )
    assert status == 201
    await until(lambda: len(gateway.wire()) >= 2)
    status, answer = await gateway.call(
        "POST",
        "/messages",
        json={"sender": "alerts", "body": "urgent", "recipients": BOB, "priority": 1.01},
    )
    assert status == 201
    assert answer["data"][0]["priority"] == 1.01
    await until(lambda: len(gateway.wire()) == 13)
    order = [submit.text for submit in gateway.wire()]
    assert order.index("urgent") <= 4


async def test_deferred_message_waits_for_its_time(gateway) -> None:
    await gateway.start()
    loop_now_ms = int(asyncio.get_running_loop().time())  # not wall time: only to vary the text
    status, answer = await gateway.call(
        "POST",
        "/messages",
        json={
            "sender": "alberto",
            "body": f"later {loop_now_ms}",
            "recipients": ANN,
            "options": {"timestamp_send": "2999-01-01 00:00:00"},
        },
    )
    assert status == 201
    await asyncio.sleep(1.2)
    assert gateway.wire() == []
    status, recipients = await gateway.call(
        "GET", f"/messages/{answer['data'][0]['id']}/recipients/"
    )
    assert recipients["data"][0]["state"] == "SCHEDULED"
