"""Administration routes over real HTTP: contacts, groups, conditional groups, phone groups,
received status; envelope, codes, verb statuses and isolation between users."""

from __future__ import annotations

import json

import pytest
from http_helpers import get_json, post_json
from support.http_app import KEY_A, KEY_B, serve
from support.store import add_phone

A = {"X-Api-Key": KEY_A}
B = {"X-Api-Key": KEY_B}


async def _delete(client, path, headers, status):
    response = await client.delete(path, headers=headers)
    body = await response.read()
    assert response.status == status, body
    return json.loads(body) if body else None


async def _list(client, entry, headers=A):
    return (await get_json(client, f"/api/list/{entry}/", headers=headers))["response"]


async def test_contact_create_update_delete(client):
    body = await post_json(
        client,
        "/api/contact/",
        headers=A,
        data={"name": "Ann", "number": "+33612345678", "data": '{"vip": "1"}'},
    )
    assert body == {
        "error": 0,
        "message": None,
        "response": body["response"],
        "next": None,
        "prev": None,
    }
    id_contact = body["response"]
    [row] = await _list(client, "contact")
    assert (row["id"], row["name"], row["number"], row["data"]) == (
        id_contact,
        "Ann",
        "+33612345678",
        '{"vip": "1"}',
    )
    body = await post_json(
        client,
        f"/api/contact/{id_contact}/",
        headers=A,
        json={"number": "+447911123456", "data": {"a": "b"}},
    )
    assert body["response"] is True
    [row] = await _list(client, "contact")
    assert (row["name"], row["number"], row["data"]) == ("Ann", "+447911123456", '{"a":"b"}')
    assert await _delete(client, f"/api/contact/{id_contact}", A, 204) is None
    assert await _list(client, "contact") == []
    body = await _delete(client, f"/api/contact/{id_contact}/", A, 400)
    assert body["error"] == 32


@pytest.mark.parametrize(
    ("data", "code", "needle"),
    [
        ({"number": "+33612345678"}, 4, "You must specify contact name."),
        ({"name": "x"}, 4, "You must specify contact number."),
        ({"name": "x", "number": "0612345678"}, 2, "number : not a valid phone number"),
        ({"name": "x", "number": "+33612345678", "data": "{nope"}, 2, "data : must be valid JSON"),
        ({"name": "x", "number": "+33612345678", "data": "12"}, 2, "data : must be a JSON object"),
        ({"name": ["x"], "number": "+33612345678"}, 2, "name must be a string"),
    ],
)
async def test_contact_refusals(client, data, code, needle):
    body = await post_json(client, "/api/contact/", headers=A, json=data, status=400)
    assert body["error"] == code
    assert needle in body["message"]
    assert await _list(client, "contact") == []


async def test_contact_national_number_with_region(db, users):
    async with serve(db, default_region="FR") as running:
        await post_json(
            running, "/api/contact/", headers=A, data={"name": "n", "number": "0612345678"}
        )
        [row] = await _list(running, "contact")
        assert row["number"] == "+33612345678"


async def test_group_crud_keeps_own_contacts_only(client):
    mine = [
        (
            await post_json(
                client, "/api/contact/", headers=A, data={"name": f"c{i}", "number": "+33612345678"}
            )
        )["response"]
        for i in range(3)
    ]
    theirs = (
        await post_json(
            client, "/api/contact/", headers=B, data={"name": "b", "number": "+33612345678"}
        )
    )["response"]
    body = await post_json(
        client,
        "/api/group/",
        headers=A,
        data={"name": "team", "contacts[]": [str(mine[0]), str(theirs)]},
    )
    id_group = body["response"]
    [group] = await _list(client, "group")
    assert group["name"] == "team"
    assert [c["id"] for c in group["contacts"]] == [mine[0]]
    await post_json(
        client,
        f"/api/group/{id_group}/",
        headers=A,
        data={"contacts[]": [str(mine[1]), str(mine[2])]},
    )
    [group] = await _list(client, "group")
    assert (group["name"], [c["id"] for c in group["contacts"]]) == ("team", mine[1:])
    await post_json(client, f"/api/group/{id_group}/", headers=A, data={"name": "crew"})
    [group] = await _list(client, "group")
    assert (group["name"], len(group["contacts"])) == ("crew", 2)
    body = await post_json(client, "/api/group/", headers=A, data={}, status=400)
    assert body["message"] == "One require parameter is missing :  You must specify group name."
    await _delete(client, f"/api/group/{id_group}/", A, 204)
    assert await _list(client, "group") == []
    assert len(await _list(client, "contact")) == 3  # contacts stay


async def test_conditional_group_crud_and_syntax_error(client):
    body = await post_json(
        client,
        "/api/conditional_group/",
        headers=A,
        data={"name": "vip", "condition": "contact.vip == 1"},
    )
    id_group = body["response"]
    body = await post_json(
        client,
        "/api/conditional_group/",
        headers=A,
        data={"name": "bad", "condition": "contact.vip == "},
        status=400,
    )
    assert body["error"] == 2
    assert body["message"].startswith("You have specified an invalid parameter :  condition : ")
    assert "position" in body["message"]
    body = await post_json(
        client,
        f"/api/conditional_group/{id_group}/",
        headers=A,
        data={"condition": "((("},
        status=400,
    )
    assert body["error"] == 2
    await post_json(
        client, f"/api/conditional_group/{id_group}/", headers=A, data={"condition": "1 == 1"}
    )
    [row] = await _list(client, "conditional_group")
    assert (row["name"], row["condition"]) == ("vip", "1 == 1")
    body = await post_json(
        client, "/api/conditional_group/", headers=A, data={"name": "x"}, status=400
    )
    assert body["error"] == 4
    await _delete(client, f"/api/conditional_group/{id_group}", A, 204)
    assert await _list(client, "conditional_group") == []


async def test_phone_group_crud(client, db, users):
    p1 = await add_phone(db, users[0], "p1")
    p2 = await add_phone(db, users[0], "p2")
    foreign = await add_phone(db, users[1], "pb")
    body = await post_json(
        client,
        "/api/phone_group/",
        headers=A,
        data={"name": "all", "phones[]": [str(p1), str(foreign)]},
    )
    id_group = body["response"]
    [row] = await _list(client, "phone_group")
    assert [p["id"] for p in row["phones"]] == [p1]
    body = await post_json(client, "/api/phone_group/", headers=A, data={"name": "all"}, status=400)
    assert (
        body["message"]
        == "You have specified an invalid parameter :  This name is already used for another "
        "phone group."
    )
    other = (await post_json(client, "/api/phone_group/", headers=A, data={"name": "other"}))[
        "response"
    ]
    body = await post_json(
        client, f"/api/phone_group/{other}/", headers=A, data={"name": "all"}, status=400
    )
    assert body["error"] == 2
    await post_json(
        client, f"/api/phone_group/{id_group}/", headers=A, json={"name": "all", "phones": [p2, p1]}
    )
    row = (await _list(client, "phone_group"))[0]
    assert sorted(p["id"] for p in row["phones"]) == [p1, p2]
    await post_json(
        client, "/api/phone_group/", headers=B, data={"name": "all"}
    )  # names are per user
    await _delete(client, f"/api/phone_group/{id_group}/", A, 204)
    assert [r["id"] for r in await _list(client, "phone_group")] == [other]


async def test_received_status(client, db, users):
    id_received = await db.execute(
        "INSERT INTO received (at, text, origin, id_user) "
        "VALUES ('2024-01-01 10:00:00', 'hi', '+33612345678', ?)",
        (users[0],),
    )
    body = await post_json(
        client, f"/api/received/{id_received}/status/", headers=A, data={"status": "read"}
    )
    assert body["response"] == "read"
    [row] = await _list(client, "received")
    assert row["status"] == "read"
    await post_json(
        client, f"/api/received/{id_received}/status", headers=A, data={"status": "read"}
    )
    await post_json(
        client, f"/api/received/{id_received}/status", headers=A, data={"status": "unread"}
    )
    assert (await _list(client, "received"))[0]["status"] == "unread"
    body = await post_json(
        client, f"/api/received/{id_received}/status/", headers=A, data={"status": "x"}, status=400
    )
    assert (
        body["message"]
        == 'You have specified an invalid parameter :  "status" must be "read" or "unread".'
    )
    body = await post_json(
        client,
        f"/api/received/{id_received}/status/",
        headers=B,
        data={"status": "read"},
        status=400,
    )
    assert body["message"] == "Cannot update this entry :  No received message with this id."
    assert (await _list(client, "received"))[0]["status"] == "unread"


@pytest.mark.parametrize(
    ("path", "fields", "what"),
    [
        ("/api/contact", {"name": "c", "number": "+33612345678"}, "contact"),
        ("/api/group", {"name": "g"}, "group"),
        ("/api/conditional_group", {"name": "cg", "condition": "1 == 1"}, "conditional group"),
        ("/api/phone_group", {"name": "pg"}, "phone group"),
    ],
)
async def test_isolation_between_users(client, path, fields, what):
    id_row = (await post_json(client, f"{path}/", headers=A, data=fields))["response"]
    body = await post_json(
        client, f"{path}/{id_row}/", headers=B, data={"name": "hijack"}, status=400
    )
    assert body == {
        "error": 128,
        "message": f"Cannot update this entry :  No {what} with this id.",
        "response": None,
        "next": None,
        "prev": None,
    }
    body = await _delete(client, f"{path}/{id_row}/", B, 400)
    assert body["error"] == 32
    entry = path.removeprefix("/api/")
    assert await _list(client, entry, headers=B) == []
    [row] = await _list(client, entry)
    assert row["name"] == fields["name"]
    body = await post_json(client, f"{path}/{id_row}/", headers=A, data={"name": "renamed"})
    assert body["response"] is True


async def test_admin_routes_need_a_key_and_answer_wrong_verbs(client):
    body = await post_json(
        client, "/api/contact/", data={"name": "c", "number": "+33612345678"}, status=401
    )
    assert body["error"] == 1
    response = await client.get("/api/group/", headers=A)
    assert response.status == 405


async def test_openapi_documents_admin_routes(client):
    document = await (await client.get("/api/openapi.json")).json()
    paths = document["paths"]
    for base in ("contact", "group", "conditional_group", "phone_group"):
        assert "post" in paths[f"/api/{base}/"]
        assert set(paths[f"/api/{base}/{{id}}/"]) >= {"post", "delete"}
    assert "post" in paths["/api/received/{id}/status/"]
