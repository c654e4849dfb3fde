"""The SMSGateway24 door over loopback HTTP on a real SQLite file, without modems.

Every failure answers HTTP 200 with ``{"error": 1, "message": "<parameter> : …"}``; a bulk is
stored all or none; ids, statuses, filters and the contact-list calls follow the seed.
"""

from __future__ import annotations

import contextlib
import json
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer

from smsd.api.app import make_app
from smsd.api.auth import install_limiter
from smsd.config import ApiConfig
from smsd.store import accounts, history, passwords, quota
from smsd.store.db import Database
from smsd.store.walltime import wall

EMAIL = "a@example.org"
KEY = "0123456789abcdef0123456789abcdef"
OTHER_KEY = "fedcba9876543210fedcba9876543210"
PASSWORD = "s3cret password"  # noqa: S105 - a test password
NOW = 1_700_000_000.0
FAST = passwords.ScryptParams(log_n=4, r=1, p=1)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class Door:
    def __init__(self, client: TestClient, db: Database, clock: Clock, phones: dict) -> None:
        self.client = client
        self.db = db
        self.clock = clock
        self.phones = phones

    async def get(self, endpoint: str, **params: object) -> dict:
        response = await self.client.get(f"/getdata/{endpoint}", params=params)
        assert response.status == 200, await response.text()
        return await response.json()

    async def post(self, endpoint: str, **kwargs: object) -> dict:
        response = await self.client.post(f"/getdata/{endpoint}", **kwargs)
        assert response.status == 200, await response.text()
        return await response.json()

    async def scheduled_count(self) -> int:
        found = await self.db.fetchone("SELECT count(*) AS n FROM scheduled")
        return int(found["n"])


async def _phone(db: Database, id_user: int, name: str) -> int:
    return await accounts.sync_phone(
        db,
        id_user=id_user,
        name=name,
        adapter="smsd\\Modem",
        adapter_data='{"device": "virtual", "iccid": "8933000000000000001"}',
        priority=0,
        limits=[],
    )


@contextlib.asynccontextmanager
async def serve(tmp_path, config: ApiConfig | None = None):
    db = await Database.open(tmp_path / "smsd.sqlite3")
    a = await accounts.ensure_user(db, email=EMAIL, api_key=KEY)
    b = await accounts.ensure_user(db, email="b@example.org", api_key=OTHER_KEY)
    # a cheap hash keeps these tests fast (the real parameters are tested in tests/store)
    await db.execute(
        "UPDATE user SET password = ? WHERE id = ?", (passwords.hash_password(PASSWORD, FAST), a)
    )
    phones = {"a1": await _phone(db, a, "a1"), "b1": await _phone(db, b, "b1")}
    clock = Clock()
    app = make_app(config or ApiConfig(), db, lambda: None, clock=clock)
    install_limiter(app)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Door(client, db, clock, phones)
    finally:
        await client.close()
        await db.close()


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch) -> None:
    monkeypatch.setattr(passwords, "DEFAULT", FAST)


@pytest.fixture
async def door(tmp_path):
    async with serve(tmp_path) as running:
        yield running


async def _token(door: Door) -> str:
    answer = await door.get("gettoken", email=EMAIL, **{"pass": PASSWORD})
    return answer["token"]


# ---------------------------------------------------------------------- tokens


async def test_tokens_expire_and_the_api_key_is_a_token(door) -> None:
    token = await _token(door)
    assert (await door.get("getalldevices", token=token))["error"] == 0
    assert (await door.get("getalldevices", token=KEY))["count"] == 1
    door.clock.now += 7 * 24 * 3600
    assert await door.get("getalldevices", token=token) == {
        "error": 1,
        "message": "token : invalid or expired token, get one from gettoken",
    }
    stored = await door.db.fetchall("SELECT digest FROM login_session")
    assert token not in {r["digest"] for r in stored}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "email : missing parameter"),
        ({"email": EMAIL}, "pass : missing parameter"),
        ({"email": EMAIL, "pass": "wrong one"}, "Login or password incorrect"),
        ({"email": "b@example.org", "pass": PASSWORD}, "Login or password incorrect"),
        ({"email": "c@example.org", "pass": PASSWORD}, "Login or password incorrect"),
    ],
)
async def test_bad_logins(door, params, message) -> None:
    assert await door.get("gettoken", **params) == {"error": 1, "message": message}


async def test_suspended_users_are_refused(door) -> None:
    token = await _token(door)
    found = await door.db.fetchone("SELECT id FROM user WHERE email = ?", (EMAIL,))
    await accounts.set_user_status(door.db, int(found["id"]), "suspended")
    answer = await door.get("getallsms", token=token)
    assert answer == {"error": 1, "message": "token : this user is suspended"}


async def test_guessing_is_rate_limited(tmp_path) -> None:
    async with serve(tmp_path, ApiConfig(max_auth_failures=2)) as door:
        for _ in range(2):
            wrong = await door.get("gettoken", email=EMAIL, **{"pass": "guess guess"})
            assert wrong["message"] == "Login or password incorrect"
        blocked = await door.get("gettoken", email=EMAIL, **{"pass": PASSWORD})
        assert blocked["error"] == 1
        assert blocked["message"].startswith("email : too many failed attempts")


# ---------------------------------------------------------------------- sending


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sendto": None}, "sendto : missing parameter"),
        ({"sendto": "12"}, "sendto : '12' is not a valid phone number"),
        ({"body": None}, "body : missing parameter"),
        ({"body": "x" * 1001}, "body : at most 1000 characters"),
        ({"device_id": None}, "device_id : missing parameter"),
        ({"device_id": "abc"}, "device_id : must be an integer, got 'abc'"),
        ({"device_id": "OTHER"}, "device_id : no device OTHER (getalldevices lists yours)"),
        ({"sim": "1"}, "sim : device MINE is a GSM modem with one SIM, in slot 0"),
        ({"sim": "2"}, "sim : must be between 0 and 1, got 2"),
        ({"urgent": "yes"}, "urgent : must be an integer, got 'yes'"),
        ({"customerid": "12a"}, "customerid : must be an integer, got '12a'"),
        ({"timetosend": "22/12/2024"}, "timetosend : must be a date YYYY-MM-DD or"),
        ({"timetosend": "2024-02-30"}, "timetosend : must be a date YYYY-MM-DD or"),
        ({"token": "nope"}, "token : invalid or expired token, get one from gettoken"),
    ],
)
async def test_addsms_names_the_bad_parameter_and_stores_nothing(door, change, message) -> None:
    params = {
        "token": await _token(door),
        "sendto": "+33612345678",
        "body": "hi",
        "device_id": str(door.phones["a1"]),
    }
    for name, value in change.items():
        if value is None:
            params.pop(name)
        else:
            value = value.replace("OTHER", str(door.phones["b1"]))  # noqa: PLW2901
            params[name] = value.replace("MINE", str(door.phones["a1"]))
    message = message.replace("OTHER", str(door.phones["b1"]))
    message = message.replace("MINE", str(door.phones["a1"]))
    answer = await door.get("addsms", **params)
    assert answer["error"] == 1
    assert answer["message"].startswith(message)
    assert await door.scheduled_count() == 0


async def test_addsms_normalises_numbers_and_keeps_every_field(door) -> None:
    token = await _token(door)
    device = door.phones["a1"]
    # an unencoded "+" arrives as a space; separators are dropped; commas separate numbers
    query = (
        f"token={token}&sendto=+49 157 5298-2212,(+33) 6 12 34 56 78&body=Hi&device_id={device}"
        "&timetosend=2030-12-22&customerid=122&urgent=1&sim=0"
    )
    answer = await door.get(f"addsms?{query}")
    assert answer["error"] == 0
    assert answer["message"] == "Sms has been saved successfully"
    assert answer["sms_id"] == answer["sms_ids"][0]
    assert answer["customerid"] == 122
    rows = await door.db.fetchall(
        "SELECT s.at, s.id_phone, s.priority, s.customer_id, n.number FROM scheduled AS s "
        "JOIN scheduled_number AS n ON n.id_scheduled = s.id ORDER BY s.id"
    )
    assert [r["number"] for r in rows] == ["+4915752982212", "+33612345678"]
    assert {(r["at"], r["id_phone"], r["customer_id"]) for r in rows} == {
        ("2030-12-22 00:00:00", device, 122)
    }
    assert {r["priority"] for r in rows} == {10}
    status = await door.post("getsmsstatus", data={"token": token, "sms_id": answer["sms_id"]})
    assert status == {
        "error": 0,
        "message": "OK",
        "sms_id": answer["sms_id"],
        "status": 1,
        "status_description": "waiting",
        "customerid": 122,
        "deviceid": device,
    }


async def test_json_values_of_the_wrong_kind_are_named(door) -> None:
    token = await _token(door)
    base = {"token": token, "sendto": "+33612345678", "body": "j", "device_id": door.phones["a1"]}
    for name, value, message in (
        ("timetosend", {"a": 1}, "timetosend : must be a date"),
        ("body", ["x"], "body : must be text"),
        ("device_id", 1.5, "device_id : must be an integer"),
        ("urgent", True, "urgent : must be an integer"),
        ("sendto", None, "sendto : missing parameter"),
    ):
        answer = await door.post("addsms", json={**base, name: value})
        assert answer["error"] == 1
        assert answer["message"].startswith(message), answer
    assert await door.scheduled_count() == 0


async def test_the_core_decides_credit_and_commercial(door) -> None:
    token = await _token(door)
    found = await door.db.fetchone("SELECT id FROM user WHERE email = ?", (EMAIL,))
    id_user = int(found["id"])
    await quota.set_quota(door.db, id_user=id_user, credit=2, now=time.time())
    await accounts.set_setting(door.db, id_user=id_user, name="commercial", value="1")
    base = {"token": token, "device_id": door.phones["a1"], "body": "hi"}
    refused = await door.get("addsms", **base, sendto="+33611111111,+33622222222,+33633333333")
    assert refused == {
        "error": 1,
        "message": "credit : insufficient credit: these SMS need 3 credits, 2 left",
    }
    assert await door.scheduled_count() == 0
    accepted = await door.get("addsms", **base, sendto="+33611111111,+33622222222")
    assert accepted["error"] == 0
    rows = await door.db.fetchall("SELECT commercial FROM scheduled")
    assert [r["commercial"] for r in rows] == [1, 1]
    tag = await door.get("savetag", token=token, title="all")
    for number in ("+33644444444", "+33655555555"):
        await door.get("savecontact", token=token, phone=number, ctag_id=tag["tag_id"],
                       fullname="x")  # fmt: skip
    paket = {"token": token, "title": "T", "device_id": door.phones["a1"], "body": "News",
             "tags": str(tag["tag_id"])}  # fmt: skip
    await quota.set_quota(door.db, id_user=id_user, credit=1, now=time.time())
    refused = await door.get("savepaket", **paket)
    assert refused["message"] == "credit : insufficient credit: these SMS need 2 credits, 1 left"
    await quota.set_quota(door.db, id_user=id_user, credit=4, now=time.time())
    assert (await door.get("savepaket", **paket))["error"] == 0


async def test_addsms_by_json_body_and_smstosend(door) -> None:
    token = await _token(door)
    device = door.phones["a1"]
    answer = await door.post(
        "addsms",
        json={"token": token, "sendto": "+33612345678", "body": "j", "device_id": device},
    )
    assert answer["error"] == 0
    direct = await door.post(
        "smstosend",
        data={"email": EMAIL, "pass": PASSWORD, "sendto": "+33612345678", "body": "d",
              "device_id": str(device)},
    )  # fmt: skip
    assert direct["error"] == 0
    refused = await door.post(
        "smstosend",
        data={"email": EMAIL, "pass": "not it!", "sendto": "+33612345678", "body": "d",
              "device_id": str(device)},
    )  # fmt: skip
    assert refused == {"error": 1, "message": "Login or password incorrect"}
    assert await door.scheduled_count() == 2


async def test_a_bulk_is_stored_all_or_none_naming_each_bad_item(door) -> None:
    token = await _token(door)
    device = door.phones["a1"]
    good = {"sendto": "+33612345678", "body": "ok", "sim": 0, "device_id": device}
    smsdata = [
        good,
        {**good, "sendto": "nope"},
        {**good, "device_id": door.phones["b1"]},
        "not an object",
    ]
    answer = await door.post(
        "addalotofsms", data={"datajson": json.dumps({"token": token, "smsdata": smsdata})}
    )
    assert answer["error"] == 1
    assert answer["message"].startswith("nothing was stored: smsdata[1].sendto : 'nope'")
    assert f"smsdata[2].device_id : no device {door.phones['b1']}" in answer["message"]
    assert "smsdata[3] : must be an object" in answer["message"]
    assert [(e["index"], e["parameter"]) for e in answer["errors"]] == [
        (1, "sendto"),
        (2, "device_id"),
        (3, ""),
    ]
    assert await door.scheduled_count() == 0
    # the seed's request example, verbatim but for the token and the device
    example = {
        "token": token,
        "smsdata": [
            {"sendto": "+4915752982212", "body": "Your password is 12345", "sim": 1 - 1,
             "timetosend": "2019-07-01 23:50:00", "device_id": device, "customerid": 122,
             "urgent": 1},
            {"sendto": "+4915752982212", "body": "Regular SMS. Not urgnet", "sim": 0,
             "timetosend": "2019-07-01 23:50:00", "device_id": device, "customerid": 122,
             "urgent": 0},
        ],
    }  # fmt: skip
    stored = await door.post("addalotofsms", data={"datajson": json.dumps(example)})
    assert (stored["error"], stored["count"]) == (0, 2)
    as_json_body = await door.post("addalotofsms", json=example)
    assert as_json_body["error"] == 0
    assert await door.scheduled_count() == 4


@pytest.mark.parametrize(
    ("datajson", "message"),
    [
        (None, "datajson : missing parameter"),
        ("{", "datajson : is not valid JSON"),
        ("[1]", "datajson : must be a JSON object"),
        ('{"token": "T"}', "smsdata : must be a non-empty array"),
        ('{"token": "T", "smsdata": []}', "smsdata : must be a non-empty array"),
        ('{"smsdata": [{}]}', "token : missing parameter"),
    ],
)
async def test_malformed_bulks(door, datajson, message) -> None:
    token = await _token(door)
    data = {} if datajson is None else {"datajson": datajson.replace('"T"', f'"{token}"')}
    answer = await door.post("addalotofsms", data=data)
    assert answer["error"] == 1
    assert answer["message"].startswith(message)


# ---------------------------------------------------------------------- reading


async def test_getallsms_filters(door) -> None:
    token = await _token(door)
    device = door.phones["a1"]
    for number, customer in (("+33611111111", 1), ("+33622222222", 2)):
        await door.get(
            "addsms", token=token, sendto=number, body="b", device_id=device,
            customerid=customer, timetosend="2030-01-01 10:00:00",
        )  # fmt: skip
    found = await door.get("getallsms", token=token, customerid=2)
    assert [s["sendto"] for s in found["smss"].values()] == ["+33622222222"]
    found = await door.get("getallsms", token=token, phone="+33 6 11 11 11 11")
    assert [s["customerid"] for s in found["smss"].values()] == [1]
    found = await door.get("getallsms", token=token, status=1, orderbydesc=1)
    assert [s["sendto"] for s in found["smss"].values()] == ["+33622222222", "+33611111111"]
    assert (await door.get("getallsms", token=token, status=7))["count"] == 0
    assert (await door.get("getallsms", token=token, sim=1))["count"] == 0
    assert (await door.get("getallsms", token=token, enddate="2000-01-01"))["count"] == 0
    today = wall(time.time())[:10]  # rows are stamped by SQLite's clock, in local wall time
    assert (await door.get("getallsms", token=token, begindate=today))["count"] == 2
    assert (await door.get("getallsms", token=token, enddate=today))["count"] == 2
    assert (await door.get("getallsms", token=OTHER_KEY))["count"] == 0
    found = await door.get("getallsms", token=token, timezone="UTC")
    first = next(iter(found["smss"].values()))
    assert first["created"]["timezone"] == "UTC"
    assert first["timetosend"]["date"].endswith(":00:00.000000")
    bad = await door.get("getallsms", token=token, timezone="Mars/Olympus")
    assert bad["message"].startswith("timezone : unknown time zone")
    bad = await door.get("getallsms", token=token, status=4)
    assert bad["message"].startswith("status : unknown status 4")
    bad = await door.get("getsmsstatus", token=token, sms_id=999)
    assert bad == {"error": 1, "message": "sms_id : no sms 999"}


async def test_statuses_follow_the_core(door) -> None:
    token = await _token(door)
    device = door.phones["a1"]
    sent = await door.get("addsms", token=token, sendto="+33612345678", body="b", device_id=device)
    id_scheduled = sent["sms_id"] // 10
    await door.db.execute("UPDATE scheduled SET expanded_at = 1 WHERE id = ?", (id_scheduled,))
    assert (await door.get("getsmsstatus", token=token, sms_id=sent["sms_id"]))["status"] == 100
    for state, code in (
        ("queued", 3), ("sending", 2), ("sent", 6), ("delivered", 7), ("failed", 9),
        ("unknown", 9),
    ):  # fmt: skip
        await door.db.execute("DELETE FROM sended")
        await door.db.execute(
            "INSERT INTO sended (at, text, destination, id_user, id_phone, state, due_at, "
            "next_attempt_at, segments, originating_scheduled) "
            "SELECT at, text, '+33612345678', id_user, id_phone, ?, 0, 0, 1, id "
            "FROM scheduled WHERE id = ?",
            (state, id_scheduled),
        )
        answer = await door.get("getsmsstatus", token=token, sms_id=sent["sms_id"])
        assert answer["status"] == code, state
    entry = await history.entry(door.db, 1, "submission", id_scheduled)
    assert entry is not None
    assert entry.state == "unknown"
    for reason, code in (
        ("not registered (searching)", 10),
        ("insufficient credit: the message needs 1 credits, 0 left in quota", 101),
        ("CMS ERROR 500", 9),
    ):
        await door.db.execute("UPDATE sended SET state = 'failed', reason = ?", (reason,))
        answer = await door.get("getsmsstatus", token=token, sms_id=sent["sms_id"])
        assert answer["status"] == code, reason
    await door.db.execute(
        "INSERT INTO sended_segment (id_sended, seq, state, report) "
        "SELECT id, 1, 'sent', 'failed' FROM sended"
    )
    answer = await door.get("getsmsstatus", token=token, sms_id=sent["sms_id"])
    assert (answer["status"], answer["status_description"]) == (8, "not delivered")


# ---------------------------------------------------------------------- lists


async def test_contact_lists_and_newsletters(door) -> None:
    token = await _token(door)
    device = door.phones["a1"]
    tag = await door.get("savetag", token=token, title="Employés")
    assert (tag["error"], tag["message"]) == (0, "OK")
    assert (await door.get("savetag", token=token))["message"] == "title : missing parameter"
    contact = await door.get(
        "savecontact", token=token, phone="+33612345678", ctag_id=tag["tag_id"], fullname="Zoé"
    )
    assert contact == {"error": 0, "message": "ok", "contact_id": contact["contact_id"]}
    other = await door.get("savetag", token=OTHER_KEY, title="theirs")
    refused = await door.get(
        "savecontact", token=token, phone="+33612345678", ctag_id=other["tag_id"], fullname="X"
    )
    assert refused["message"] == f"ctag_id : no tag {other['tag_id']} (savetag creates one)"
    refused = await door.get(
        "savecontact", token=token, phone="abc", ctag_id=tag["tag_id"], fullname="X"
    )
    assert refused["message"] == "phone : 'abc' is not a valid phone number"
    paket = {"token": token, "title": "T", "device_id": device, "body": "News", "sim": 0,
             "tags": f"{tag['tag_id']}", "time_to_send": "24.12.2030 18:30:00"}  # fmt: skip
    saved = await door.post("savepaket", data=paket)
    assert saved["error"] == 0
    row = await door.db.fetchone("SELECT * FROM scheduled WHERE id = ?", (saved["paket_id"],))
    assert (row["at"], row["tag"], row["text"], row["id_phone"]) == (
        "2030-12-24 18:30:00", "T", "News", device,
    )  # fmt: skip
    bad = await door.post("savepaket", data={**paket, "tags": f"{other['tag_id']}"})
    assert bad["message"] == f"tags : no tag {other['tag_id']} (savetag creates one)"
    bad = await door.post("savepaket", data={**paket, "tags": "1,x"})
    assert bad["message"] == "tags : 'x' is not a tag id"


# ---------------------------------------------------------------------- the door itself


async def test_unexpected_failures_answer_in_the_seed_shape(door, monkeypatch) -> None:
    token = await _token(door)

    async def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("smsd.api.smsgateway24.messages.history", broken)
    answer = await door.get("getallsms", token=token)
    assert answer["error"] == 1
    assert answer["message"].startswith("internal error, id ")


async def test_dialects_choose_the_doors(tmp_path) -> None:
    async with serve(tmp_path, ApiConfig(dialects=("raspisms",))) as door:
        response = await door.client.get("/getdata/gettoken")
        assert response.status == 404
    async with serve(tmp_path, ApiConfig(dialects=("smsgateway24",))) as door:
        response = await door.client.get("/api/list/sended/", headers={"X-Api-Key": KEY})
        assert response.status == 404
        assert (await door.get("getalldevices", token=KEY))["error"] == 0


async def test_openapi_lists_every_endpoint(door) -> None:
    response = await door.client.get("/api/openapi.json")
    paths = (await response.json())["paths"]
    endpoints = [
        "gettoken",
        "addsms",
        "smstosend",
        "addalotofsms",
        "getallsms",
        "getsmsstatus",
        "getalldevices",
        "savetag",
        "savecontact",
        "savepaket",
    ]
    for endpoint in endpoints:
        operations = paths[f"/getdata/{endpoint}/"]
        assert set(operations) == {"get", "post"}
        assert operations["get"]["tags"] == ["smsgateway24"]
    assert "security" not in paths["/getdata/addsms/"]["post"]
