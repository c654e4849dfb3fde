"""The core's features through the Gateway SMS door: test messages, credit, prices, senders."""

from __future__ import annotations

import asyncio
import time

from support.polling import until

from smsd.store import quota

ANN, BOB, CAROL = "+39-3491234567", "+39-3491234568", "+33-612345678"
BILLING = "[billing]\nsegment_price = 0.05\n"


async def test_test_message_reaches_no_modem_but_shows_in_statistics(gateway) -> None:
    await gateway.start()
    status, answer = await gateway.call(
        "POST",
        "/messages",
        json={"test": True, "sender": "alberto", "body": "Hi {{n}}",
              "recipients": [{"number": ANN, "fields": {"n": "Ann"}}, BOB]},
    )  # fmt: skip
    assert status == 201
    [message] = answer["data"]
    assert message["test"] is True
    path = f"/messages/{message['id']}"

    async def delivered() -> bool:
        _, found = await gateway.call("GET", path)
        return found["data"][0]["statistics"]["delivered"] == 2

    await until(delivered)
    _, found = await gateway.call("GET", path)
    assert found["data"][0]["statistics"] == {
        "error": 0, "sent": 2, "delivered": 2, "total": 2, "sms_total": 2,
    }  # fmt: skip
    assert found["data"][0]["state"] == 2
    _, recipients = await gateway.call("GET", f"{path}/recipients/")
    assert [(r["body"], r["state"]) for r in recipients["data"]] == [
        ("Hi Ann", "DELIVERED"),
        ("Hi ", "DELIVERED"),
    ]
    await asyncio.sleep(0.5)
    assert gateway.wire() == []


async def test_short_credit_is_402_and_stores_nothing(gateway) -> None:
    await gateway.start(extra=BILLING)
    await quota.set_quota(gateway.daemon.db, id_user=await gateway.id_user(), credit=2,
                          now=time.time())  # fmt: skip
    three = {"sender": "alberto", "body": "promo", "recipients": [ANN, BOB, CAROL]}
    status, refused = await gateway.call("POST", "/messages", json=three)
    assert status == 402
    assert refused["success"] is False
    assert refused["error"] == 402
    assert "3 credits, 2 left" in refused["message"]
    _, listed = await gateway.call("GET", "/messages")
    assert listed["data"] == []
    assert listed["credit"] == "0.10"
    status, simulated = await gateway.call("POST", "/messages", json=three | {"test": True})
    assert status == 201  # a test message is never charged
    assert simulated["data"][0]["test"] is True
    status, accepted = await gateway.call(
        "POST", "/messages", json=three | {"recipients": [ANN, BOB]}
    )
    assert status == 201
    [message] = accepted["data"]
    assert message["base_price"] == 0.1
    assert message["price"] == 0.1
    await until(lambda: len(gateway.wire()) == 2)

    async def spent() -> bool:
        _, found = await gateway.call("GET", "/messages")
        return found["credit"] == "0.00"

    await until(spent)
    _, recipients = await gateway.call("GET", f"/messages/{message['id']}/recipients/")
    assert [r["price"] for r in recipients["data"]] == [0.05, 0.05]


async def test_closing_a_transaction_without_credit_is_402_and_it_stays_open(gateway) -> None:
    await gateway.start()
    await quota.set_quota(gateway.daemon.db, id_user=await gateway.id_user(), credit=1,
                          now=time.time())  # fmt: skip
    _, opened = await gateway.call(
        "POST",
        "/messages",
        json={"sender": "alberto", "body": "x", "recipients": ANN, "transaction": True},
    )
    path = f"/messages/{opened['data'][0]['id']}"
    status, refused = await gateway.call(
        "PUT", path, json={"recipients": [BOB], "transaction": False}
    )
    assert status == 402
    assert refused["error"] == 402
    _, still = await gateway.call("GET", path)
    assert still["data"][0]["transaction"] is True
    assert still["data"][0]["recipients"]["valid"]["count"] == 1
    assert still["credit"] == "1"
    status, _ = await gateway.call("PUT", path, json={"transaction": False})
    assert status == 200
    await until(lambda: len(gateway.wire()) == 1)


async def test_sender_is_checked_by_the_core_rules(gateway) -> None:
    await gateway.start()
    for sender in ("ab", "a-very-long-sender", "12", "123456789012345", "shop!"):
        status, answer = await gateway.call(
            "POST", "/messages", json={"sender": sender, "body": "x", "recipients": ANN}
        )
        assert status == 422, sender
        assert set(answer["data"]) == {"sender"}
    for sender in ("abc", "My Shop", "3939989741"):
        status, answer = await gateway.call(
            "POST", "/messages", json={"sender": sender, "body": "x", "recipients": ANN}
        )
        assert status == 201, sender
        assert answer["data"][0]["sender"] == sender
    _, listed = await gateway.call("GET", "/messages")
    assert [m["sender"] for m in listed["data"]] == ["3939989741", "My Shop", "abc"]
