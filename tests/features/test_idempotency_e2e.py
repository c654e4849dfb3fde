"""``Idempotency-Key`` through the daemon: a retried POST creates one message, sent once.

Every HTTP door reads the header and stores through the core's command records: RaspiSMS
(``POST /api/scheduled/``, ``GET /api/send-sms/``), SMSPartner (``/v1/send``), Gateway SMS
(``POST /messages``) and SMSGateway24 (``addsms``, ``smstosend``, ``addalotofsms``,
``savepaket``).
"""

from __future__ import annotations

import asyncio
import json

from features_rig import API_KEY, EMAIL, PLAIN_KEY
from support.polling import until

from smsd.store import passwords

TO = "+33612345678"
SCHEDULED = "/api/scheduled/"


async def post(rig, data, key, path=SCHEDULED, api_key=API_KEY):
    """A POST with the header; status and decoded body."""
    headers = {"Idempotency-Key": key, "X-Api-Key": api_key}
    async with rig._session.post(f"http://smsd{path}", data=data, headers=headers) as reply:
        return reply.status, json.loads(await reply.text())


async def count(rig, table="scheduled") -> int:
    row = await rig.daemon.db.fetchone(f"SELECT count(*) FROM {table}")  # noqa: S608 - constant
    return int(row[0])


async def test_a_retried_post_answers_the_first_id_and_the_modem_sends_once(rig) -> None:
    await rig.start()
    data = {"text": "Your code is 731904", "numbers[]": TO}
    first = await post(rig, data, "order-1001")
    again = await post(rig, data, "order-1001")
    assert first[0] == 201
    assert again == first
    # Concurrent retries with a fresh key: one message between them.
    answers = await asyncio.gather(*(post(rig, data, "order-1002") for _ in range(6)))
    assert {a[0] for a in answers} == {201}
    assert len({a[1]["response"] for a in answers}) == 1
    assert answers[0][1]["response"] != first[1]["response"]
    await until(lambda: len(rig.wire()) == 2)
    await asyncio.sleep(1.0)  # nothing more goes out
    assert rig.wire() == [(TO, "Your code is 731904")] * 2
    assert await count(rig) == 2


async def test_the_same_key_with_another_body_is_refused(rig) -> None:
    await rig.start()
    first = await post(rig, {"text": "Alert A", "numbers[]": TO}, "k-1")
    assert first[0] == 201
    status, body = await post(rig, {"text": "Alert B", "numbers[]": TO}, "k-1")
    assert status == 400
    assert body["error"] == 2
    assert body["message"].startswith("You have specified an invalid parameter : Idempotency-Key")
    # The same key on another route is another request too.
    status, body = await rig.envelope(
        "GET", f"/api/send-sms/?to=%2B{TO[1:]}&text=Alert+A", headers={"Idempotency-Key": "k-1"}
    )
    assert (status, body["error"]) == (404, 2)  # RaspiSMS answers a refused GET with 404
    # Another user's keys are its own.
    other = await post(rig, {"text": "Alert B", "numbers[]": TO}, "k-1", api_key=PLAIN_KEY)
    assert other[0] == 201
    assert await count(rig) == 2


async def test_a_key_is_free_again_after_24_hours(rig) -> None:
    await rig.start()
    data = {"text": "Daily report", "numbers[]": TO}
    first = await post(rig, data, "daily")
    await rig.daemon.db.execute("UPDATE command_record SET created_at = created_at - 86401")
    second = await post(rig, data, "daily")
    assert second[0] == 201
    assert second[1]["response"] != first[1]["response"]
    assert await count(rig) == 2
    row = await rig.daemon.db.fetchone("SELECT ids FROM command_record")
    assert json.loads(row["ids"]) == [second[1]["response"]]  # the expired record was replaced
    # The dispatcher's maintenance purges expired records.
    await rig.daemon.db.execute("UPDATE command_record SET created_at = created_at - 86401")
    dispatcher = rig.daemon.engine.dispatcher
    dispatcher._maintained = 0.0
    dispatcher.wake()
    await until(lambda: _no_records(rig))


async def _no_records(rig) -> bool:
    return await count(rig, "command_record") == 0


async def test_send_sms_and_bad_keys(rig) -> None:
    await rig.start()
    url = f"/api/send-sms/?to=%2B{TO[1:]}&text=Hello"
    first = await rig.envelope("GET", url, headers={"Idempotency-Key": "s-1"})
    again = await rig.envelope("GET", url, headers={"Idempotency-Key": "s-1"})
    assert first[0] == 200
    assert again == first
    for bad in ("", "x" * 256, "clé"):
        status, body = await post(rig, {"text": "x", "numbers[]": TO}, bad)
        assert (status, body["error"]) == (400, 2), bad
    # Without the header nothing changes: two posts, two messages.
    await rig.call("POST", SCHEDULED, 201, data={"text": "Hello", "numbers[]": TO})
    await rig.call("POST", SCHEDULED, 201, data={"text": "Hello", "numbers[]": TO})
    assert await count(rig) == 3


async def test_smspartner_send_with_a_key(rig) -> None:
    await rig.start("[api.smspartner]\ncommercial = false\n")  # not held by quiet hours
    payload = {"apiKey": API_KEY, "phoneNumbers": TO, "message": "Votre code : 5521"}

    async def send(body, key):
        async with rig._session.post(
            "http://smsd/v1/send", json=body, headers={"Idempotency-Key": key}
        ) as reply:
            return reply.status, await reply.json()

    first = await send(payload, "p-1")
    again = await send({**payload}, "p-1")
    assert first[0] == 200
    assert first[1]["success"] is True
    assert again == first
    status, body = await send({**payload, "message": "Votre code : 9999"}, "p-1")
    assert status == 400
    assert body["code"] == 9
    assert body["errors"][0]["elementId"] == "children[Idempotency-Key].data"
    await until(rig.wire)
    await asyncio.sleep(1.0)
    assert rig.wire() == [(TO, "Votre code : 5521")]


async def test_gatewaysms_and_smsgateway24_doors_with_a_key(rig) -> None:
    await rig.start()
    message = {"sender": "alberto", "body": "Codice 1177", "recipients": [TO]}

    async def gateway(body, key):
        headers = {"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": key}
        async with rig._session.post("http://smsd/messages", json=body, headers=headers) as reply:
            return reply.status, await reply.json()

    first = await gateway(message, "g-1")
    again = await gateway(message, "g-1")
    assert first[0] == again[0] == 201
    assert again[1]["data"][0]["id"] == first[1]["data"][0]["id"]
    status, refused = await gateway({**message, "body": "Codice 2288"}, "g-1")
    assert status == 422
    assert "Idempotency-Key" in refused["data"]

    await passwords.set_password(rig.daemon.db, EMAIL, "pass-word-42")
    sms = {"email": EMAIL, "pass": "pass-word-42", "sendto": TO, "body": "Kod 3344",
           "device_id": 1}  # fmt: skip

    async def sg24(body, key):
        async with rig._session.post(
            "http://smsd/getdata/smstosend", json=body, headers={"Idempotency-Key": key}
        ) as reply:
            return await reply.json()

    one = await sg24(sms, "s-1")
    two = await sg24(sms, "s-1")
    assert one["error"] == 0
    assert two == one
    other = await sg24({**sms, "body": "Kod 5566"}, "s-1")
    assert other["error"] == 1
    assert other["message"].startswith("Idempotency-Key : ")
    await until(lambda: len(rig.wire()) == 2)
    await asyncio.sleep(1.0)
    assert sorted(rig.wire()) == [(TO, "Codice 1177"), (TO, "Kod 3344")]


async def test_the_openapi_document_names_the_header(rig) -> None:
    await rig.start()
    document = await rig.envelope("GET", "/api/openapi.json")
    paths = document[1]["paths"]
    for path, method in (
        ("/api/scheduled/", "post"),
        ("/api/send-sms/", "get"),
        ("/v1/send/", "post"),
        ("/messages/", "post"),
        ("/getdata/addsms/", "post"),
        ("/getdata/savepaket/", "post"),
    ):
        found = [
            p for p in paths[path][method].get("parameters", []) if p["name"] == "Idempotency-Key"
        ]
        assert [p["in"] for p in found] == ["header"], path


async def test_smsgateway24_savepaket_with_a_key(rig) -> None:
    """A newsletter retried with its key is one campaign; sent once to each contact."""
    await rig.start()
    contacts = ["+33611111111", "+33622222222"]

    async def getdata(route, body, key=None):
        headers = {} if key is None else {"Idempotency-Key": key}
        async with rig._session.post(
            f"http://smsd/getdata/{route}", data={"token": API_KEY, **body}, headers=headers
        ) as reply:
            assert reply.status == 200
            return await reply.json()

    tag = (await getdata("savetag", {"title": "Staff"}))["tag_id"]
    for number in contacts:
        added = await getdata("savecontact", {"ctag_id": tag, "phone": number, "fullname": "A"})
        assert added["error"] == 0
    paket = {"title": "Meeting", "device_id": 1, "tags": str(tag), "body": "Meeting at 10"}
    first = await getdata("savepaket", paket, "n-1")
    again = await getdata("savepaket", dict(reversed(paket.items())), "n-1")
    assert first["error"] == 0
    assert again == first
    assert await count(rig) == 1
    refused = await getdata("savepaket", {**paket, "body": "Meeting at 11"}, "n-1")
    assert refused["error"] == 1
    assert refused["message"].startswith("Idempotency-Key : this key was already used")
    for bad in ("", "x" * 256):
        answer = await getdata("savepaket", paket, bad)
        assert answer["error"] == 1, bad
        assert answer["message"].startswith("Idempotency-Key : "), bad
    # The same key on another route of the door is another request.
    sms = {"sendto": contacts[0], "body": "Meeting at 10", "device_id": 1}
    assert (await getdata("addsms", sms, "n-1"))["error"] == 1
    assert await count(rig) == 1
    # Concurrent retries with a fresh key: one campaign between them, its record written with it.
    later = {**paket, "time_to_send": "2099-01-01 09:00:00", "body": "Party"}
    answers = await asyncio.gather(*(getdata("savepaket", later, "n-2") for _ in range(6)))
    assert {a["error"] for a in answers} == {0}
    assert len({a["paket_id"] for a in answers}) == 1
    assert answers[0]["paket_id"] != first["paket_id"]
    assert await count(rig) == 2
    rows = await rig.daemon.db.fetchall("SELECT key, ids FROM command_record ORDER BY key")
    assert [(r["key"], json.loads(r["ids"])) for r in rows] == [
        ("n-1", [first["paket_id"]]),
        ("n-2", [answers[0]["paket_id"]]),
    ]
    # Without the header nothing changes: two requests, two campaigns.
    await getdata("savepaket", later)
    await getdata("savepaket", later)
    assert await count(rig) == 4
    # The first newsletter (due now) goes out once to each contact; the others wait until 2099.
    await until(lambda: len(rig.wire()) == 2)
    await asyncio.sleep(1.0)
    assert sorted(rig.wire()) == [(n, "Meeting at 10") for n in contacts]
