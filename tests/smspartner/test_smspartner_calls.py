"""The calls after a send, over loopback HTTP: statuses, credit, cancel, STOP list, refusals."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from partner_helpers import KEY, NOW, OTHER_KEY, call, send, serve, xml_values

from smsd.api.app import make_app
from smsd.api.auth import install_limiter
from smsd.config import ApiConfig
from smsd.store.scheduled import expand_scheduled

A, B = "+33612345678", "+33698765432"


async def sent(client, db, *, tag: str | None = None, numbers: str = f"{A},{B}") -> int:
    """A message sent through the door and expanded into outgoing messages, as the core does."""
    body = {"apiKey": KEY, "phoneNumbers": numbers, "message": "hello"}
    if tag:
        body["tag"] = tag
    message_id = (await send(client, body))["message_id"]
    await expand_scheduled(
        db, message_id, now=NOW, render=lambda text, _r, _m: text, plan=lambda _t: 1
    )
    return message_id


async def set_state(db, number: str, state: str) -> None:
    await db.execute("UPDATE sended SET state = ? WHERE destination = ?", (state, number))


async def test_message_status_by_id_and_number(client, db) -> None:
    message_id = await sent(client, db)
    await set_state(db, A, "delivered")
    await set_state(db, B, "failed")
    path = "/v1/message-status"
    answer = await call(
        client,
        "GET",
        path,
        params={"apiKey": KEY, "messageId": message_id, "phoneNumber": "0612345678"},
    )
    assert answer["success"] is True
    assert answer["code"] == 200
    assert (answer["number"], answer["messageId"]) == ("0612345678", str(message_id))
    assert (answer["statut"], answer["countryCode"], answer["stopSms"]) == (
        "Delivered",
        "FR",
        False,
    )
    other = await call(
        client, "GET", path, params={"apiKey": KEY, "messageId": message_id, "phoneNumber": B}
    )
    assert other["statut"] == "Not delivered"
    missing = await call(client, "GET", path, status=400, params={"apiKey": KEY, "phoneNumber": A})
    assert missing["code"] == 3
    unknown = await call(
        client, "GET", path, status=400, params={"apiKey": KEY, "messageId": 999, "phoneNumber": A}
    )
    assert unknown == {"success": False, "code": 4, "message": "Message introuvable"}
    no_number = await call(client, "GET", path, status=400, params={"apiKey": KEY, "messageId": 1})
    assert no_number["code"] == 2


async def test_status_before_the_dispatcher_took_it_is_waiting(client) -> None:
    body = {"apiKey": KEY, "phoneNumbers": A, "message": "later"}
    message_id = (
        await send(client, {**body, "scheduledDeliveryDate": "01/01/2031", "time": 8, "minute": 0})
    )["message_id"]
    answer = await call(
        client, "GET", "/v1/bulk-status", params={"apiKey": KEY, "messageId": message_id}
    )
    assert answer["message_id"] == str(message_id)
    assert [(r["phoneNumber"], r["status"]) for r in answer["StatutResponse_List"]] == [
        (A, "Waiting")
    ]


async def test_other_users_messages_are_not_found(client, db) -> None:
    message_id = await sent(client, db)
    answer = await call(
        client, "GET", "/v1/bulk-status", status=400,
        params={"apiKey": OTHER_KEY, "messageId": message_id},
    )  # fmt: skip
    assert answer["code"] == 4


async def test_statuses_by_tag_list_sent_messages(client, db) -> None:
    first = await sent(client, db, tag="rappel")
    await sent(client, db, tag="autre", numbers=A)
    await set_state(db, A, "delivered")
    answer = await call(
        client, "GET", "/v1/bulk-status-by-tag", params={"apiKey": KEY, "tag": "rappel"}
    )
    assert (answer["currentPage"], answer["total"]) == (1, 2)
    assert [
        (r["phoneNumber"], r["status"], r["messageId"]) for r in answer["StatutResponse_List"]
    ] == [
        (A, "Delivered", first),
        (B, "Waiting", first),
    ]
    assert int(answer["StatutResponse_List"][0]["date"]) > 0
    page2 = await call(
        client, "GET", "/v1/bulk-status-by-tag", params={"apiKey": KEY, "tag": "rappel", "page": 2}
    )
    assert page2["StatutResponse_List"] == []


async def test_multi_status_answers_each_pair(client, db) -> None:
    message_id = await sent(client, db)
    await set_state(db, B, "delivered")
    answer = await call(
        client, "POST", "/v1/multi-status",
        json={"apiKey": KEY, "SMSStatut_List": [
            {"phoneNumber": B, "messageId": message_id},
            {"phoneNumber": "+33611111111", "messageId": message_id},
            {"phoneNumber": A, "messageId": 12345},
        ]},
    )  # fmt: skip
    items = answer["StatutResponse_List"]
    assert items[0]["status"] == "Delivered"
    assert items[0]["messageId"] == message_id
    assert [(i["success"], i["code"]) for i in items[1:]] == [(False, 4), (False, 4)]
    assert items[1]["status"] == "Numéro introuvable"


async def test_me_counts_messages_to_send(client) -> None:
    await send(
        client,
        {
            "apiKey": KEY,
            "phoneNumbers": f"{A},{B}",
            "message": "x",
            "scheduledDeliveryDate": "01/01/2031",
            "time": 8,
            "minute": 0,
        },
    )
    answer = await call(client, "GET", "/v1/me", params={"apiKey": KEY})
    assert answer["user"]["username"] == "a@example.org"
    assert answer["credits"]["toSend"] == 2
    assert answer["credits"]["currency"] == "EUR"
    wrong = await call(client, "GET", "/v1/me", status=400, params={"apiKey": "x" * 32})
    assert (wrong["code"], wrong["message"]) == (10, "Clé API incorrecte")
    response = await client.get("/v1/me", params={"apiKey": KEY, "_format": "xml"})
    values = xml_values(await response.text())
    assert values[:2] == ["true", "200"]
    assert values[2][0] == "a@example.org"


async def test_cancel_a_scheduled_send(client, db) -> None:
    later = {
        "apiKey": KEY,
        "phoneNumbers": A,
        "message": "x",
        "scheduledDeliveryDate": "01/01/2031",
        "time": 8,
        "minute": 0,
    }
    message_id = (await send(client, later))["message_id"]
    path = "/v1/message-cancel"
    answer = await call(client, "GET", path, params={"apiKey": KEY, "messageId": message_id})
    assert answer == {"success": True, "code": 200, "message": "L'envoi du SMS a été annulé."}
    again = await call(
        client, "GET", path, status=400, params={"apiKey": KEY, "messageId": message_id}
    )
    assert again["code"] == 4
    sent_id = await sent(client, db)
    done = await call(client, "GET", path, status=400, params={"apiKey": KEY, "messageId": sent_id})
    assert done["code"] == 7
    assert (await call(client, "GET", path, status=400, params={"apiKey": KEY}))["code"] == 3


async def test_stop_list_add_list_delete(client, db) -> None:
    added = await call(
        client, "POST", "/v1/stop-sms/add", json={"apiKey": KEY, "phoneNumber": "0612345678"}
    )
    assert added["success"] is True
    listed = await call(client, "GET", "/v1/stop-sms/list", params={"apiKey": KEY})
    assert listed["nbData"] == 1
    assert listed["data"][0]["id"] == added["stopId"]
    assert listed["data"][0]["phoneNumber"] == A
    message_id = await sent(client, db, numbers=A)
    status = await call(
        client, "GET", "/v1/message-status",
        params={"apiKey": KEY, "messageId": message_id, "phoneNumber": A},
    )  # fmt: skip
    assert (status["stopSms"], status["statut"]) == (True, "Not delivered")  # left out
    bad = await call(
        client, "POST", "/v1/stop-sms/add", status=400, json={"apiKey": KEY, "phoneNumber": "12"}
    )
    assert bad["code"] == 9
    deleted = await call(
        client, "GET", "/v1/stop-sms/delete", params={"apiKey": KEY, "id": added["stopId"]}
    )
    assert deleted == {"success": True, "code": 200}
    gone = await call(
        client,
        "GET",
        "/v1/stop-sms/delete",
        status=400,
        params={"apiKey": KEY, "id": added["stopId"]},
    )
    assert gone["code"] == 4
    assert (await call(client, "GET", "/v1/stop-sms/list", params={"apiKey": KEY}))["nbData"] == 0


async def test_calls_sim_cards_cannot_serve_say_why(client) -> None:
    answer = await call(client, "POST", "/v1/subaccount/create", status=400, json={"apiKey": KEY})
    assert answer["code"] == 40
    assert "SIM cards" in answer["message"]
    no_key = await call(client, "POST", "/v1/hlr/notify", status=400, json={})
    assert no_key["code"] == 1


async def test_routes_in_openapi_and_dialects_switch(db, users) -> None:
    async with serve(db) as both:
        document = await call(both, "GET", "/api/openapi.json")
        paths = document["paths"]
        assert "post" in paths["/v1/send/"]
        assert paths["/v1/send/"]["post"]["tags"] == ["smspartner"]
        assert "get" in paths["/v1/message-status/"]
        assert "post" in paths["/api/scheduled/"]
    async with serve(db, ApiConfig(dialects=("raspisms",))) as raspisms_only:
        response = await raspisms_only.post("/v1/send", json={"apiKey": KEY})
        assert response.status == 404
    async with serve(db, ApiConfig(dialects=("smspartner",))) as partner_only:
        assert (await partner_only.get("/api/list/sended/", params={"api_key": KEY})).status == 404
        assert (await call(partner_only, "GET", "/v1/me", params={"apiKey": KEY}))["success"]


async def test_guessing_keys_is_limited_like_every_door(db, users) -> None:
    app = make_app(ApiConfig(max_auth_failures=2, auth_failure_window=60), db, lambda: None)
    install_limiter(app)
    async with TestClient(TestServer(app)) as limited:
        for _ in range(2):
            wrong = await call(limited, "GET", "/v1/me", status=400, params={"apiKey": "z" * 32})
            assert wrong["code"] == 10
        blocked = await call(limited, "GET", "/v1/me", status=429, params={"apiKey": KEY})
        assert blocked["code"] == 429
