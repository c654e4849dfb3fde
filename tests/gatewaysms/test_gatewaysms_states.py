"""Reading back through the Gateway SMS door: recipients' states, status reports, cancelling."""

from __future__ import annotations

import asyncio

from support.polling import until

from smsd.modem.virtual import Faults

ANN, BOB = "+39-3491234567", "+39-3491234568"


async def _recipients(gateway, id_message: str) -> list[dict]:
    status, answer = await gateway.call("GET", f"/messages/{id_message}/recipients")
    assert status == 200
    return answer["data"]


async def test_recipients_turn_delivered_on_status_reports(gateway) -> None:
    await gateway.start()
    status, answer = await gateway.call(
        "POST", "/messages", json={"sender": "alberto", "body": "ping", "recipients": [ANN, BOB]}
    )
    assert status == 201
    id_message = answer["data"][0]["id"]

    async def all_sent() -> bool:
        states = [r["state_description"] for r in await _recipients(gateway, id_message)]
        return states == ["PENDING_WAITING_DELIVERY"] * 2

    await until(all_sent)
    [first, _] = await _recipients(gateway, id_message)
    assert first["state"] == "PENDING"
    assert first["timestamp_sent"]["$date"]["$numberLong"].isdigit()
    assert first["timestamp_delivery"] is None
    _, message = await gateway.call("GET", f"/messages/{id_message}")
    assert message["data"][0]["statistics"] == {
        "error": 0,
        "sent": 2,
        "delivered": 0,
        "total": 2,
        "sms_total": 2,
    }
    assert message["message"] == "1 Result"
    for submitted in gateway.modem.submitted:
        await gateway.pty.deliver_report(submitted.reference, submitted.decoded.destination)

    async def all_delivered() -> bool:
        return all(r["state"] == "DELIVERED" for r in await _recipients(gateway, id_message))

    await until(all_delivered)
    status, one = await gateway.call("GET", f"/messages/{id_message}/recipients/{ANN}")
    assert status == 200
    [ann] = one["data"]
    assert ann["number"] == ANN
    assert ann["state_description"] == "DELIVERED_TO_HANDSET"
    assert ann["state_detail"] == "Message delivered to handset"
    assert ann["timestamp_delivery"]["$date"]["$numberLong"].isdigit()
    assert ann["message_id"] == id_message
    assert ann["sms"] == 1
    assert ann["remaining_chr"] == 156
    status, by_e164 = await gateway.call("GET", f"/messages/{id_message}/recipients/+393491234568")
    assert status == 200
    assert by_e164["data"][0]["number"] == BOB
    _, message = await gateway.call("GET", f"/messages/{id_message}")
    assert message["data"][0]["statistics"]["delivered"] == 2
    assert message["data"][0]["state"] == 2


async def test_delete_stops_what_is_not_sent(gateway) -> None:
    await gateway.start(Faults(submit_delay=0.15))
    numbers = [f"+39-34912340{i:02d}" for i in range(10)]
    status, answer = await gateway.call(
        "POST", "/messages", json={"sender": "alberto", "body": "stop me", "recipients": numbers}
    )
    assert status == 201
    id_message = answer["data"][0]["id"]
    await until(lambda: len(gateway.wire()) >= 1)
    status, deleted = await gateway.call("DELETE", f"/messages/{id_message}")
    assert status == 200
    assert deleted == {
        "data": [],
        "message": f"{id_message} Deleted",
        "success": True,
        "error": None,
    }
    await asyncio.sleep(1.0)
    sent = len(gateway.wire())
    assert 1 <= sent < 10
    recipients = await _recipients(gateway, id_message)
    cancelled = [r for r in recipients if r["state_description"] == "REJECTED_CANCELLED"]
    assert len(cancelled) == 10 - sent
    assert all(r["timestamp_sent"] is None for r in cancelled)
    _, message = await gateway.call("GET", f"/messages/{id_message}")
    statistics = message["data"][0]["statistics"]
    assert (statistics["sent"], statistics["error"]) == (sent, 10 - sent)
    status, again = await gateway.call("DELETE", f"/messages/{id_message}")
    assert status == 406
    assert again["success"] is False


async def test_delete_of_a_deferred_message_sends_nothing(gateway) -> None:
    await gateway.start()
    status, answer = await gateway.call(
        "POST",
        "/messages",
        json={
            "sender": "alberto",
            "body": "later",
            "recipients": ANN,
            "options": {"timestamp_send": 32503680000000},
        },
    )
    assert status == 201
    assert answer["data"][0]["options"]["timestamp_send"] == "32503680000000"
    id_message = answer["data"][0]["id"]
    status, _ = await gateway.call("DELETE", f"/messages/{id_message}")
    assert status == 200
    status, gone = await gateway.call("GET", f"/messages/{id_message}")
    assert status == 404
    assert gone["success"] is False
    status, listed = await gateway.call("GET", "/messages")
    assert listed["data"] == []
    assert listed["message"] == "0 Results"
