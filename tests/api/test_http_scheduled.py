"""POST /api/scheduled/, DELETE /api/scheduled/{id}/ and GET /api/send-sms/."""

from __future__ import annotations

import json

import aiohttp
import pytest
from http_helpers import error_body, get_json, post_json
from support.http_app import KEY_A, KEY_B, serve
from support.store import add_phone

from smsd.config import ApiConfig
from smsd.store import accounts

H = {"X-Api-Key": KEY_A}
INVALID = "You have specified an invalid parameter : "
MISSING = "One require parameter is missing : "
BAD_AT = INVALID + 'at must be a date of format "Y-m-d H:i:s".'
NO_TARGET = (
    MISSING + "You must specify at least one valid number, contact, group or conditional_group."
)


async def scheduled_rows(client, key=KEY_A):
    return (await get_json(client, "/api/list/scheduled/", headers={"X-Api-Key": key}))["response"]


@pytest.mark.parametrize(
    ("form", "code", "message"),
    [
        ({}, 4, MISSING + "text"),
        ({"text": "0", "numbers": "+33612345678"}, 4, MISSING + "text"),
        ({"text": "x", "at[]": "1"}, 2, INVALID + " : at must be a string."),
        ({"text[]": "x", "at": "2024-01-01 10:00:00"}, 2, INVALID + " : text must be a string."),
        ({"text": "é" * 1001}, 2, INVALID + " : text must be less than 1000 char."),
        ({"text": "x", "at": "2024-02-30 10:00:00"}, 2, BAD_AT),
        ({"text": "x", "at": "2024-01-01 10:00"}, 2, BAD_AT),
        ({"text": "x", "numbers": "0612345678"}, 4, NO_TARGET),
        ({"text": "x", "numbers[0][number]": "+33612345678", "numbers[0][data]": "{bad"}, 2,
         INVALID + "number data must be a valid json or leave not set."),
        ({"text": "x", "numbers[0][number]": "+33612345678", "numbers[0][data]": "null"}, 2,
         INVALID + "number data must be a valid json or leave not set."),
        ({"text": "x", "numbers": "+33612345678", "id_phone": "1", "id_phone_group": "1"}, 2,
         INVALID + "id_phone, id_phone_group : You must specify at most one of id_phone or "
         "id_phone_group, not both."),
        ({"text": "x", "numbers": "+33612345678", "id_phone": "999"}, 2,
         INVALID + "id_phone : You must specify an id_phone number among thoses of user phones."),
        ({"text": "x", "numbers": "+33612345678", "id_phone_group": "999"}, 2,
         INVALID + "id_phone_group : You must specify an id_phone_group number among thoses "
         "of user phone groups."),
        ({"text": "x", "numbers": "+33612345678", "mms": "1"}, 2,
         INVALID + "mms : this gateway sends through GSM modems, which send SMS only; MMS is not "
         "supported."),
        ({"text": "x", "numbers": "+33612345678", "priority": "high"}, 2,
         INVALID + "priority : priority must be an integer."),
    ],
)  # fmt: skip
async def test_validation_errors_are_exact(client, form, code, message):
    response = await client.post("/raspisms/api/scheduled/", data=form, headers=H)
    assert response.status == 400
    assert await response.text() == error_body(code, message)
    assert client.wakes.count == 0


async def test_text_is_checked_before_everything_else(client):
    body = await post_json(
        client, "/api/scheduled/", data={"at": "bad", "mms": "1"}, headers=H, status=400
    )
    assert body["message"] == MISSING + "text"


async def test_mms_disabled_in_settings_message(client, db, users):
    await accounts.set_setting(db, id_user=users[0], name="mms", value="0")
    body = await post_json(
        client,
        "/api/scheduled/",
        data={"text": "x", "numbers": "+33612345678", "mms": "true"},
        headers=H,
        status=400,
    )
    assert body["message"] == INVALID + "mms is set to true, but mms are disabled in settings."


async def test_success_is_201_byte_exact_and_wakes_the_dispatcher(client):
    response = await client.post(
        "/api/scheduled/", data={"text": "hello", "numbers": "+33612345678"}, headers=H
    )
    assert response.status == 201
    assert (
        await response.text() == '{"error":0,"message":null,"response":1,"next":null,"prev":null}'
    )
    assert client.wakes.count == 1


async def test_numbers_in_every_form_and_invalid_ones_dropped(client):
    body = "&".join(  # noqa: FLY002 - one form field per line
        [
            "text=hi",
            "numbers[]=%2B33612345678",
            "numbers[]=0612345678",  # national: dropped
            "numbers[]=%2B33612345678",  # duplicates are kept; the dispatcher dedupes
            "numbers[5][number]=%2B447911123456",
            "numbers[5][data]=%7B%22name%22%3A%22Bob%22%7D",
            "flash=false",
            "tag=t1",
            "priority=7",
        ]
    )
    await post_json(
        client,
        "/api/scheduled/",
        data=body,
        headers={**H, "Content-Type": "application/x-www-form-urlencoded"},
    )
    (row,) = await scheduled_rows(client)
    assert [(n["number"], n["data"]) for n in row["numbers"]] == [
        ("+33612345678", "[]"),
        ("+33612345678", "[]"),
        ("+447911123456", '{"name":"Bob"}'),
    ]
    assert row["flash"] == 1  # PHP: the string "false" is true
    assert row["tag"] == "t1"


async def test_json_body_extension(client, db, users):
    payload = {
        "text": "hi",
        "numbers": [{"number": "+33612345678", "data": {"firstname": "Zoé"}}, "+33611111111"],
        "flash": False,
        "priority": 3,
    }
    await post_json(client, "/api/scheduled/", json=payload, headers=H)
    (row,) = await scheduled_rows(client)
    assert row["flash"] == 0
    assert json.loads(row["numbers"][0]["data"]) == {"firstname": "Zoé"}
    found = await db.fetchone("SELECT priority FROM scheduled WHERE id = ?", (row["id"],))
    assert found["priority"] == 3


async def test_multipart_with_numbers_csv(client):
    csv_text = '0,firstname,last name\n"+33612345678",Ann,Lee\n+33611111111,,Roe\n'
    form = aiohttp.FormData()
    form.add_field("text", "Hello {{contact.firstname}}")
    form.add_field("numbers[]", "+447911123456")
    form.add_field("numbers_csv", csv_text.encode(), filename="n.csv", content_type="text/csv")
    await post_json(client, "/api/scheduled/", data=form, headers=H)
    (row,) = await scheduled_rows(client)
    assert [(n["number"], json.loads(n["data"])) for n in row["numbers"]] == [
        ("+447911123456", []),
        ("+33612345678", {"firstname": "Ann", "lastname": "Lee"}),
        ("+33611111111", {"lastname": "Roe"}),
    ]


CSV_LINE_2 = "Erreur \u00e0 la ligne 2 colonne 1, num\u00e9ro de t\u00e9l\u00e9phone invalide."


@pytest.mark.parametrize(
    ("csv_text", "reason"),
    [
        ("0,a\n0612345678,x\n", CSV_LINE_2),
        ("number,a\n", "no valid number in csv file."),
    ],
)  # fmt: skip
async def test_csv_errors(client, csv_text, reason):
    form = aiohttp.FormData()
    form.add_field("text", "x")
    form.add_field("numbers_csv", csv_text.encode(), filename="n.csv")
    response = await client.post("/api/scheduled/", data=form, headers=H)
    assert response.status == 400
    assert await response.text() == error_body(2, INVALID + "csv : " + reason)


async def test_contacts_groups_and_ownership(client, db, users):
    mine = await accounts.create_contact(db, id_user=users[0], name="A", number="+33612345678")
    theirs = await accounts.create_contact(db, id_user=users[1], name="B", number="+33611111111")
    group = await accounts.create_group(db, id_user=users[0], name="g", contacts=[mine])
    phone = await add_phone(db, users[0], "m1")
    foreign_phone = await add_phone(db, users[1], "m1")
    form = {"text": "x", "contacts[]": [str(mine), str(theirs)], "groups": str(group)}
    data = aiohttp.FormData()
    for name, value in form.items():
        for item in value if isinstance(value, list) else [value]:
            data.add_field(name, item)
    data.add_field("id_phone", str(phone))
    await post_json(client, "/api/scheduled/", data=data, headers=H)
    (row,) = await scheduled_rows(client)
    assert [c["id"] for c in row["contacts"]] == [mine]
    assert [g["id"] for g in row["groups"]] == [group]
    assert row["id_phone"] == phone
    # Another user's contact alone passes (RaspiSMS checks the raw input) with no recipient.
    await post_json(
        client, "/api/scheduled/", data={"text": "x", "contacts": str(theirs)}, headers=H
    )
    body = await post_json(
        client,
        "/api/scheduled/",
        data={"text": "x", "numbers": "+33612345678", "id_phone": str(foreign_phone)},
        headers=H,
        status=400,
    )
    assert body["error"] == 2


async def test_phone_group_target(client, db, users):
    phone = await add_phone(db, users[0], "m1")
    group = await accounts.create_phone_group(db, id_user=users[0], name="pg", phones=[phone])
    await post_json(
        client,
        "/api/scheduled/",
        data={
            "text": "x",
            "numbers": "+33612345678",
            "id_phone_group": str(group),
            "id_phone": "0",
        },
        headers=H,
    )
    (row,) = await scheduled_rows(client)
    assert (row["id_phone"], row["id_phone_group"]) == (None, group)


async def test_future_scheduled_is_listed_then_deleted(client, users):
    created = await post_json(
        client,
        "/api/scheduled/",
        data={"text": "later", "numbers": "+33612345678", "at": "2099-12-31 23:59:59"},
        headers=H,
    )
    id_scheduled = created["response"]
    (row,) = await scheduled_rows(client)
    assert (row["id"], row["at"], row["text"]) == (id_scheduled, "2099-12-31 23:59:59", "later")
    # user B can neither see nor delete it
    assert await scheduled_rows(client, KEY_B) == []
    response = await client.delete(f"/api/scheduled/{id_scheduled}/", headers={"X-Api-Key": KEY_B})
    assert response.status == 400
    response = await client.delete(f"/raspisms/api/scheduled/{id_scheduled}", headers=H)
    assert response.status == 204
    assert await response.read() == b""
    assert "Content-Type" not in response.headers
    assert await scheduled_rows(client) == []
    response = await client.delete(f"/api/scheduled/{id_scheduled}/", headers=H)
    assert response.status == 400
    assert await response.text() == (
        '{"error":32,"message":"Cannot delete this entry.","response":null,"next":null,"prev":null}'
    )


async def test_send_sms_success_and_errors(client, db, users):
    body = await get_json(client, f"/api/send-sms/?api_key={KEY_A}&to=%2B33612345678&text=hey")
    assert body == {"error": 0, "message": None, "response": 1, "next": None, "prev": None}
    assert client.wakes.count == 1
    (row,) = await scheduled_rows(client)
    assert [n["number"] for n in row["numbers"]] == ["+33612345678"]
    assert (row["flash"], row["mms"], row["tag"], row["id_phone_group"]) == (0, 0, None, None)
    for query, message in (
        ("text=hey", MISSING + "to "),
        ("to=0612345678&text=hey", MISSING + "to "),
        ("to=%2B33612345678", MISSING + "text"),
        ("to=%2B33612345678&text=0", MISSING + "text"),
        ("", MISSING + "to text"),
    ):
        response = await client.get(f"/api/send-sms/?{query}", headers=H)
        assert response.status == 404
        assert await response.text() == error_body(4, message)
    foreign = await add_phone(db, users[1], "m1")
    response = await client.get(
        f"/api/send-sms/?to=%2B33612345678&text=x&id_phone={foreign}", headers=H
    )
    assert response.status == 404
    assert await response.text() == error_body(8, "Cannot create a new entry.")
    mine = await add_phone(db, users[0], "m1")
    body = await get_json(
        client, f"/api/send-sms?to=%2B33612345678&text=x&id_phone={mine}", headers=H
    )
    assert body["response"] == 2
    response = await client.get(f"/api/send-sms/?to=%2B33612345678&text={'x' * 1001}", headers=H)
    assert response.status == 404
    assert json.loads(await response.text())["error"] == 2
    response = await client.post("/api/send-sms/?to=%2B33612345678&text=x", headers=H)
    assert response.status == 405


@pytest.mark.parametrize(
    "how", [{"default_region": "FR"}, {"config": ApiConfig(default_region="FR")}], ids=str
)
async def test_default_region_accepts_national_numbers(db, users, how):
    async with serve(db, **how) as c:
        await post_json(
            c, "/api/scheduled/", data={"text": "x", "numbers": "0612345678"}, headers=H
        )
        (row,) = await scheduled_rows(c)
        assert row["numbers"][0]["number"] == "+33612345678"


async def test_without_a_region_national_numbers_are_dropped(db, users):
    async with serve(db) as c:
        response = await c.post(
            "/api/scheduled/", data={"text": "x", "numbers": "0612345678"}, headers=H
        )
        assert response.status == 400
        assert await scheduled_rows(c) == []


async def test_a_raw_plus_in_a_form_body_is_accepted(db, users):
    # What `curl -d text=hi -d numbers=+33612345678` sends: the "+" is not URL-encoded.
    async with serve(db) as c:
        response = await c.post(
            "/api/scheduled/",
            data="text=hi&numbers=+33612345678",
            headers={**H, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status == 201, await response.text()
        (row,) = await scheduled_rows(c)
        assert row["numbers"][0]["number"] == "+33612345678"
