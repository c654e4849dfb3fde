"""GET /api/list/{entry_type}: fields, nested lists, pagination links, per-user isolation."""

from __future__ import annotations

import json

import pytest
from http_helpers import add_sended, get_json
from support.http_app import KEY_A, KEY_B
from support.store import add_phone

from smsd.store import accounts

ALL_TYPES = (
    "sended, received, scheduled, contact, group, conditional_group, phone, phone_group, media, "
    "ussd"
)
STAMPS = ["created_at", "updated_at"]
FIELDS = {
    "sended": ["id", "at", "text", "destination", "flash", "status", "uid", "adapter", "id_user",
               "id_phone", "mms", "originating_scheduled", *STAMPS, "tag",
               "sandbox", "sender", "reason", "medias"],
    "received": ["id", "at", "text", "origin", "command", "status", "id_user", "id_phone", "mms",
                 *STAMPS, "medias"],
    "scheduled": ["id", "id_user", "at", "text", "flash", "id_phone", "id_phone_group", "mms",
                  *STAMPS, "tag", "sandbox", "commercial", "sender", "deferred_to",
                  "deferred_reason", "numbers", "contacts", "groups", "conditional_groups",
                  "medias"],
    "contact": ["id", "id_user", "name", "number", "data", *STAMPS],
    "group": ["id", "id_user", "name", *STAMPS, "nb_contact", "contacts"],
    "conditional_group": ["id", "id_user", "name", "condition", *STAMPS],
    "phone": ["id", "id_user", "adapter", "adapter_data", "name", "priority", *STAMPS, "status",
              "balance"],
    "phone_group": ["id", "id_user", "name", *STAMPS, "nb_phone", "phones"],
    "media": ["id", "path", "id_user", *STAMPS],
}  # fmt: skip


async def seed_everything(db, id_user: int) -> dict[str, int]:
    phone = await add_phone(db, id_user, "m1")
    contact = await accounts.create_contact(
        db, id_user=id_user, name="Ann", number="+33612345678", data='{"firstname":"Ann"}'
    )
    group = await accounts.create_group(db, id_user=id_user, name="g", contacts=[contact])
    conditional = await accounts.create_conditional_group(
        db, id_user=id_user, name="vip", condition="contact.vip == 1"
    )
    phone_group = await accounts.create_phone_group(db, id_user=id_user, name="pg", phones=[phone])
    media = await accounts.create_media(db, id_user=id_user, path=f"{id_user}/1-abc.jpg")
    sended = await add_sended(db, id_user, phone, "+33612345678", state="delivered")
    await db.execute(
        "INSERT INTO sended_media (id_sended, id_media) VALUES (?, ?)", (sended, media)
    )
    received = await db.execute(
        "INSERT INTO received (at, text, origin, id_user, id_phone) VALUES (?, ?, ?, ?, ?)",
        ("2024-01-02 10:00:00", "yo", "+33611111111", id_user, phone),
    )
    return {
        "phone": phone,
        "contact": contact,
        "group": group,
        "conditional": conditional,
        "phone_group": phone_group,
        "media": media,
        "sended": sended,
        "received": received,
    }


async def test_invalid_entry_type_is_404_byte_exact(client):
    response = await client.get(f"/raspisms/api/list/nope/?api_key={KEY_A}")
    assert response.status == 404
    assert await response.text() == (
        '{"error":2,"message":"You have specified an invalid parameter : entry_type must be one'
        f' of : {ALL_TYPES}.","response":null,"next":null,"prev":null}}'
    )


@pytest.mark.parametrize("entry_type", list(FIELDS))
async def test_fields_of_every_entry_type(client, db, users, entry_type):
    ids = await seed_everything(db, users[0])
    await client.post(
        "/api/scheduled/",
        data={
            "text": "t",
            "at": "2099-01-01 10:00:00",
            "numbers[0][number]": "+33622222222",
            "numbers[0][data]": '{"k":"v"}',
            "contacts[]": str(ids["contact"]),
            "groups[]": str(ids["group"]),
            "conditional_groups[]": str(ids["conditional"]),
            "tag": "campaign",
        },
        headers={"X-Api-Key": KEY_A},
    )
    body = await get_json(client, f"/api/list/{entry_type}/", headers={"X-Api-Key": KEY_A})
    (row,) = body["response"]
    assert list(row) == FIELDS[entry_type]
    assert row["id_user"] == users[0]
    assert body["next"] is None
    assert body["prev"] is None


async def test_nested_values_and_types(client, db, users):
    ids = await seed_everything(db, users[0])
    response = await client.post(
        "/api/scheduled/",
        data={
            "text": "t",
            "at": "2099-01-01 10:00:00",
            "numbers[0][number]": "+33622222222",
            "numbers[0][data]": '{"k":"v"}',
            "numbers[1]": "+33633333333",
            "contacts[]": str(ids["contact"]),
            "groups[]": str(ids["group"]),
            "conditional_groups[]": str(ids["conditional"]),
            "id_phone": str(ids["phone"]),
            "flash": "1",
        },
        headers={"X-Api-Key": KEY_A},
    )
    assert response.status == 201
    (row,) = (await get_json(client, "/api/list/scheduled/", headers={"X-Api-Key": KEY_A}))[
        "response"
    ]
    assert row["at"] == "2099-01-01 10:00:00"
    assert (row["flash"], row["mms"], row["id_phone"], row["id_phone_group"]) == (
        1, 0, ids["phone"], None,
    )  # fmt: skip
    assert [(n["number"], n["data"]) for n in row["numbers"]] == [
        ("+33622222222", '{"k":"v"}'),
        ("+33633333333", "[]"),
    ]
    assert list(row["numbers"][0]) == [
        "id", "id_scheduled", "number", "data", "created_at", "updated_at",
    ]  # fmt: skip
    assert row["contacts"][0]["data"] == '{"firstname":"Ann"}'  # JSON columns stay strings
    assert list(row["contacts"][0]) == FIELDS["contact"]
    assert list(row["groups"][0]) == ["id", "id_user", "name", "created_at", "updated_at"]
    assert row["conditional_groups"][0]["condition"] == "contact.vip == 1"
    group = (await get_json(client, "/api/list/group/", headers={"X-Api-Key": KEY_A}))["response"][
        0
    ]
    assert group["nb_contact"] == 1
    assert group["contacts"][0]["name"] == "Ann"
    phone_group = (await get_json(client, "/api/list/phone_group/", headers={"X-Api-Key": KEY_A}))[
        "response"
    ][0]
    assert phone_group["nb_phone"] == 1
    assert list(phone_group["phones"][0]) == FIELDS["phone"]
    assert phone_group["phones"][0]["adapter_data"] == '{"device": "virtual"}'
    sended = (await get_json(client, "/api/list/sended/", headers={"X-Api-Key": KEY_A}))[
        "response"
    ][0]
    assert sended["status"] == "delivered"
    assert sended["medias"] == [
        {"id": ids["media"], "id_user": users[0], "path": f"{users[0]}/1-abc.jpg"}
    ]


async def test_pagination_across_three_pages_with_exact_links(client, db, users):
    phone = await add_phone(db, users[0], "m1")
    ids = [await add_sended(db, users[0], phone, f"+336123456{i:02d}") for i in range(60)]
    host = f"127.0.0.1:{client.port}"
    stem = f"http://{host}/raspisms/api/list/sended"
    key = f"/?api_key={KEY_A}"

    page0 = await get_json(client, "/raspisms/api/list/sended/", headers={"X-Api-Key": KEY_A})
    assert [r["id"] for r in page0["response"]] == ids[:25]
    assert page0["next"] == f"{stem}/after/{ids[24]}{key}"
    assert page0["prev"] is None

    page1 = await get_json(client, f"/raspisms/api/list/sended/1/?api_key={KEY_A}")
    assert [r["id"] for r in page1["response"]] == ids[25:50]
    assert page1["next"] == f"{stem}/after/{ids[49]}{key}"
    assert page1["prev"] == f"{stem}/before/{ids[25]}{key}"

    page2 = await get_json(client, "/raspisms/api/list/sended/2", headers={"X-Api-Key": KEY_A})
    assert [r["id"] for r in page2["response"]] == ids[50:]
    assert page2["next"] is None
    assert page2["prev"] == f"{stem}/before/{ids[50]}{key}"

    # Following the links walks the same rows.
    after = await get_json(client, page0["next"].replace(f"http://{host}", ""))
    assert [r["id"] for r in after["response"]] == ids[25:50]
    assert after["prev"] == f"{stem}/before/{ids[25]}{key}"
    before = await get_json(client, page2["prev"].replace(f"http://{host}", ""))
    assert [r["id"] for r in before["response"]] == ids[25:50]
    assert before["next"] == f"{stem}/after/{ids[49]}{key}"
    last = await get_json(client, f"/raspisms/api/list/sended/after/{ids[49]}/?api_key={KEY_A}")
    assert [r["id"] for r in last["response"]] == ids[50:]
    assert last["next"] is None

    # Beyond the end: an empty page and no links.
    empty = await get_json(client, f"/raspisms/api/list/sended/3/?api_key={KEY_A}")
    assert empty == {"error": 0, "message": None, "response": [], "next": None, "prev": None}


async def test_links_in_json_text_are_slash_escaped(client, db, users):
    phone = await add_phone(db, users[0], "m1")
    for i in range(26):
        await add_sended(db, users[0], phone, f"+336123456{i:02d}")
    response = await client.get("/api/list/sended/", headers={"X-Api-Key": KEY_A})
    text = await response.text()
    assert f'"next":"http:\\/\\/127.0.0.1:{client.port}\\/api\\/list\\/sended\\/after\\/25' in text


async def test_links_honour_forwarded_headers(client, db, users):
    phone = await add_phone(db, users[0], "m1")
    for i in range(25):
        await add_sended(db, users[0], phone, f"+336123456{i:02d}")
    body = await get_json(
        client,
        "/raspisms/api/list/sended/",
        headers={
            "X-Api-Key": KEY_A,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "sms.example.org, proxy.local",
        },
    )
    assert body["next"] == (
        f"https://sms.example.org/raspisms/api/list/sended/after/25/?api_key={KEY_A}"
    )
    body = await get_json(
        client, "/api/list/sended/", headers={"X-Api-Key": KEY_A, "Host": "pi.local"}
    )
    assert body["next"] == f"http://pi.local/api/list/sended/after/25/?api_key={KEY_A}"


async def test_phone_group_pagination_works(client, db, users):
    ids = [
        await accounts.create_phone_group(db, id_user=users[0], name=f"pg{i}") for i in range(30)
    ]
    page0 = await get_json(client, "/api/list/phone_group/", headers={"X-Api-Key": KEY_A})
    assert len(page0["response"]) == 25
    path = page0["next"].split(str(client.port), 1)[1]
    after = await get_json(client, path)
    assert [r["id"] for r in after["response"]] == ids[25:]
    before = await get_json(client, f"/api/list/phone_group/before/{ids[3]}/?api_key={KEY_A}")
    assert [r["id"] for r in before["response"]] == ids[:3]


async def test_non_numeric_page_is_page_zero_and_negative_page_is_error(client, db, users):
    await add_sended(db, users[0], None, "+33612345678")
    body = await get_json(client, "/api/list/sended/abc/", headers={"X-Api-Key": KEY_A})
    assert len(body["response"]) == 1
    body = await get_json(client, "/api/list/sended/-1/", headers={"X-Api-Key": KEY_A}, status=404)
    assert body["error"] == 2


async def test_user_b_sees_none_of_user_a_entries(client, db, users):
    await seed_everything(db, users[0])
    await client.post(
        "/api/scheduled/",
        data={"text": "t", "at": "2099-01-01 10:00:00", "numbers": "+33622222222"},
        headers={"X-Api-Key": KEY_A},
    )
    for entry_type in FIELDS:
        a = await get_json(client, f"/api/list/{entry_type}/", headers={"X-Api-Key": KEY_A})
        b = await get_json(client, f"/api/list/{entry_type}/", headers={"X-Api-Key": KEY_B})
        assert len(a["response"]) == 1, entry_type
        assert b["response"] == [], entry_type
        b_before = await get_json(
            client, f"/api/list/{entry_type}/before/999999/", headers={"X-Api-Key": KEY_B}
        )
        assert b_before["response"] == []


async def test_list_answers_are_json_with_the_exact_content_type(client):
    response = await client.get(f"/api/list/media?api_key={KEY_A}")
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(await response.text())["response"] == []
