"""``/api/phone/…`` over real HTTP: create, update, delete, re-check, force (§4.6-§4.10)."""

from __future__ import annotations

import json

import pytest
from http_helpers import post_json
from support.http_app import KEY_A, KEY_B, serve

from smsd.api.adapters import read_gammu_config
from smsd.store import accounts

A = {"X-Api-Key": KEY_A}
B = {"X-Api-Key": KEY_B}
SERIAL = "adapters\\SerialModemAdapter"
TEST = "adapters\\TestAdapter"


class FakePhones:
    """Records what the API asked of the daemon; reports a fixed live status."""

    def __init__(self, live: str | None = "available") -> None:
        self.applied: list[int] = []
        self.stopped: set[int] = set()
        self.live = live

    async def apply(self, id_phone: int) -> None:
        self.applied.append(id_phone)

    def status(self, id_phone: int) -> str | None:
        return None if id_phone in self.stopped else self.live


@pytest.fixture
def control():
    return FakePhones()


@pytest.fixture
async def api(db, users, control):
    async with serve(db, phones=control) as running:
        yield running


async def _phone(db, id_user, id_phone):
    return next((p for p in await accounts.phones(db, id_user) if p.id == id_phone), None)


async def test_create_virtual_phone_starts_it(api, db, users, control):
    body = await post_json(
        api,
        "/api/phone/",
        headers=A,
        data={
            "name": "dongle",
            "adapter": TEST,
            "priority": "-4",
            "limits[0][volume]": "0",
            "limits[0][startpoint]": "today",
            "limits[1][volume]": "50",
            "limits[1][startpoint]": "next tuesday",
            "limits[2][volume]": "9",
        },
    )
    assert body == {
        "error": 0,
        "message": None,
        "response": body["response"],
        "next": None,
        "prev": None,
    }
    id_phone = body["response"]
    phone = await _phone(db, users[0], id_phone)
    assert phone.adapter == TEST
    assert json.loads(phone.adapter_data) == {"device": "virtual"}
    assert phone.priority == 0
    assert phone.limits == ((1, "today"),)
    assert control.applied == [id_phone]


async def test_create_serial_phone_with_fields(api, db, users):
    body = await post_json(
        api,
        "/raspisms/api/phone",
        headers=A,
        json={
            "name": "usb0",
            "adapter": SERIAL,
            "priority": 3,
            "adapter_data": {"device": "/dev/ttyUSB0", "baudrate": "115200", "pin": "1234"},
            "limits": [{"volume": 100, "startpoint": "-24 hours"}],
        },
    )
    phone = await _phone(db, users[0], body["response"])
    assert json.loads(phone.adapter_data) == {
        "device": "/dev/ttyUSB0",
        "baudrate": 115200,
        "pin": "1234",
    }
    assert phone.priority == 3
    assert phone.limits == ((100, "-24 hours"),)


async def test_create_gammu_phone_reads_its_config(api, db, users, tmp_path):
    rc = tmp_path / "gammurc"
    rc.write_text("[gammu]\nport = /dev/ttyUSB2\nconnection = at19200\n")
    body = await post_json(
        api,
        "/api/phone/",
        headers=A,
        data={
            "name": "g",
            "adapter": "adapters\\GammuAdapter",
            "adapter_data[config_file]": str(rc),
        },
    )
    phone = await _phone(db, users[0], body["response"])
    assert phone.adapter == SERIAL
    assert json.loads(phone.adapter_data) == {
        "device": "/dev/ttyUSB2",
        "baudrate": 19200,
        "config_file": str(rc),
    }


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        ({"adapter": TEST}, 4, "One require parameter is missing :  You must specify phone name."),
        ({"name": "x"}, 4, "One require parameter is missing :  You must specify adapter name."),
        (
            {"name": "x", "adapter": "adapters\\KannelAdapter"},
            2,
            (
                "You have specified an invalid parameter :  adapter. "
                'Adapter "adapters\\KannelAdapter" does not exists.'
            ),
        ),
        (
            {"name": "x", "adapter": SERIAL},
            4,
            (
                "One require parameter is missing :  You must speicify param device "
                "(serial device path or socket:// URL) for this phone."
            ),
        ),
        (
            {"name": "x", "adapter": "adapters\\GammuAdapter"},
            4,
            (
                "One require parameter is missing :  You must speicify param config_file "
                "(path to the gammu configuration file) for this phone."
            ),
        ),
    ],
)
async def test_create_refusals(api, control, data, code, message):
    body = await post_json(api, "/api/phone/", headers=A, data=data, status=400)
    assert (body["error"], body["message"], body["response"]) == (code, message, None)
    assert control.applied == []


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"adapter_data[device]": "dev/ttyUSB0"}, "adapter_data[device] must be"),
        ({"adapter_data[device]": "virtual"}, "use the adapter adapters\\TestAdapter"),
        (
            {"adapter_data[device]": "/dev/ttyUSB0", "adapter_data[baudrate]": "1234"},
            "adapter_data[baudrate]",
        ),
        ({"adapter_data[device]": "/dev/ttyUSB0", "adapter_data[pin]": "12"}, "adapter_data[pin]"),
        ({"adapter_data[device][]": "/dev/ttyUSB0"}, "adapter_data[device] must be a string"),
        ({"adapter_data": "plain"}, "adapter_data must be an array"),
    ],
)
async def test_create_serial_bad_fields(api, fields, needle):
    data = {"name": "x", "adapter": SERIAL, **fields}
    body = await post_json(api, "/api/phone/", headers=A, data=data, status=400)
    assert body["error"] == 2
    assert needle in body["message"]


async def test_gammu_config_unreadable_is_error_2(api, tmp_path):
    for path, reason in (
        (str(tmp_path / "missing"), "No such file"),
        ("relative/gammurc", "must be absolute"),
    ):
        data = {"name": "g", "adapter": "adapters\\GammuAdapter", "adapter_data[config_file]": path}
        body = await post_json(api, "/api/phone/", headers=A, data=data, status=400)
        assert body["error"] == 2
        assert "cannot use the gammu configuration file" in body["message"]
        assert reason in body["message"]


def test_read_gammu_config_refusals(tmp_path):
    empty = tmp_path / "a"
    empty.write_text("[other]\ndevice = /dev/x\n")
    nodevice = tmp_path / "b"
    nodevice.write_text("[gammu]\nconnection = at\n")
    garbage = tmp_path / "c"
    garbage.write_text("no section here\n")
    for path, reason in (
        (empty, "no [gammu]"),
        (nodevice, "names no device"),
        (garbage, "not a gammu"),
    ):
        with pytest.raises(ValueError, match=reason.replace("[", r"\[")):
            read_gammu_config(str(path))
    good = tmp_path / "d"
    good.write_text('[gammu]\ndevice = "/dev/ttyACM0"\n')
    assert read_gammu_config(str(good)) == ("/dev/ttyACM0", None)


async def test_name_unique_per_user(api):
    data = {"name": "same", "adapter": TEST}
    await post_json(api, "/api/phone/", headers=A, data=data)
    body = await post_json(api, "/api/phone/", headers=A, data=data, status=400)
    assert (
        body["message"]
        == "You have specified an invalid parameter :  This name is already used for another phone."
    )
    await post_json(api, "/api/phone/", headers=B, data=data)  # another user may


async def test_update_keeps_absent_fields_and_restarts(api, db, users, control):
    created = await post_json(
        api,
        "/api/phone/",
        headers=A,
        data={
            "name": "p",
            "adapter": TEST,
            "priority": "2",
            "limits[0][volume]": "5",
            "limits[0][startpoint]": "today",
        },
    )
    id_phone = created["response"]
    body = await post_json(api, f"/api/phone/{id_phone}/", headers=A, data={"name": "renamed"})
    assert body["response"] is True
    phone = await _phone(db, users[0], id_phone)
    assert (phone.name, phone.priority, phone.limits) == ("renamed", 2, ((5, "today"),))
    # limits given replace all; adapter change validates its fields
    await post_json(
        api,
        f"/api/phone/{id_phone}",
        headers=A,
        data={"limits": "", "adapter": SERIAL, "adapter_data[device]": "socket://127.0.0.1:7000"},
    )
    phone = await _phone(db, users[0], id_phone)
    assert phone.limits == ()
    assert phone.adapter == SERIAL
    assert json.loads(phone.adapter_data) == {"device": "socket://127.0.0.1:7000"}
    # re-saving identical data succeeds (RaspiSMS answers 128 here: intentional fix)
    again = await post_json(api, f"/api/phone/{id_phone}/", headers=A, data={"name": "renamed"})
    assert again["response"] is True
    assert control.applied == [id_phone] * 4


async def test_update_refusals(api, control):
    first = (await post_json(api, "/api/phone/", headers=A, data={"name": "one", "adapter": TEST}))[
        "response"
    ]
    await post_json(api, "/api/phone/", headers=A, data={"name": "two", "adapter": TEST})
    other = (await post_json(api, "/api/phone/", headers=B, data={"name": "b", "adapter": TEST}))[
        "response"
    ]
    control.applied.clear()
    body = await post_json(
        api, f"/api/phone/{other}/", headers=A, data={"name": "stolen"}, status=400
    )
    assert body["message"] == "Cannot update this entry :  No phone with this id."
    body = await post_json(api, f"/api/phone/{first}/", headers=A, data={"name": "two"}, status=400)
    assert body["error"] == 2
    body = await post_json(
        api, f"/api/phone/{first}/", headers=A, data={"adapter": "nope"}, status=400
    )
    assert body["error"] == 2
    body = await post_json(api, "/api/phone/abc/", headers=A, data={"name": "z"}, status=400)
    assert body["error"] == 128
    assert control.applied == []


async def test_delete_phone(api, db, users, control):
    id_phone = (
        await post_json(api, "/api/phone/", headers=A, data={"name": "d", "adapter": TEST})
    )["response"]
    response = await api.delete(f"/api/phone/{id_phone}/", headers=B)
    assert response.status == 400
    assert (await response.json())["error"] == 32
    response = await api.delete(f"/api/phone/{id_phone}", headers=A)
    assert response.status == 204
    assert await response.read() == b""
    assert await _phone(db, users[0], id_phone) is None
    assert control.applied == [id_phone, id_phone]
    response = await api.delete(f"/api/phone/{id_phone}/", headers=A)
    assert response.status == 400


async def test_status_recheck(api, db, users, control):
    id_phone = (
        await post_json(api, "/api/phone/", headers=A, data={"name": "s", "adapter": TEST})
    )["response"]
    control.live = "no_credit"
    body = await post_json(api, f"/api/phone/{id_phone}/status/", headers=A)
    assert body == {
        "error": 0,
        "message": None,
        "response": "no_credit",
        "next": None,
        "prev": None,
    }
    assert (await _phone(db, users[0], id_phone)).status == "no_credit"
    control.live = None
    body = await post_json(api, f"/api/phone/{id_phone}/status", headers=A)
    assert body["response"] == "unavailable"
    body = await post_json(api, f"/api/phone/{id_phone}/status/", headers=B, status=400)
    assert body["message"] == "Cannot update this entry : "


async def test_status_recheck_limit_reached(api, db, users):
    id_phone = (
        await post_json(
            api,
            "/api/phone/",
            headers=A,
            data={
                "name": "l",
                "adapter": TEST,
                "limits[0][volume]": "1",
                "limits[0][startpoint]": "-1 day",
            },
        )
    )["response"]
    await db.execute(
        "INSERT INTO sended (at, text, destination, id_user, id_phone, state, due_at, "
        "next_attempt_at, segments) "
        "VALUES ('2024-01-01 00:00:00', 'x', '+33612345678', ?, ?, 'sent', 0, 0, 1)",
        (users[0], id_phone),
    )
    id_sended = (await db.fetchone("SELECT max(id) FROM sended"))[0]
    await db.execute(
        "INSERT INTO sended_segment (id_sended, seq, state, id_phone, sent_at) "
        "VALUES (?, 1, 'sent', ?, ?)",
        (id_sended, id_phone, 1e12),
    )
    body = await post_json(api, f"/api/phone/{id_phone}/status/", headers=A)
    assert body["response"] == "available"  # the phone_limit setting is off by default
    await accounts.set_setting(db, id_user=users[0], name="phone_limit", value="1")
    body = await post_json(api, f"/api/phone/{id_phone}/status/", headers=A)
    assert body["response"] == "limit_reached"


async def test_force_status(api, db, users, control):
    id_phone = (
        await post_json(api, "/api/phone/", headers=A, data={"name": "f", "adapter": TEST})
    )["response"]
    control.applied.clear()
    body = await post_json(
        api, f"/api/phone/{id_phone}/status/force/", headers=A, data={"status": "disabled"}
    )
    assert body == {"error": 0, "message": None, "response": "disabled", "next": None, "prev": None}
    assert control.applied == [id_phone]
    body = await post_json(api, f"/api/phone/{id_phone}/status/", headers=A, status=400)
    assert body["message"] == (
        "Cannot update this entry : Phone have been manually disabled, "
        "you need to re-enable it manually."
    )
    body = await post_json(
        api, f"/api/phone/{id_phone}/status/force/", headers=A, data={"status": "on"}, status=400
    )
    assert (
        body["message"]
        == 'You have specified an invalid parameter :  "status" must be "disabled" or "available".'
    )
    body = await post_json(
        api,
        f"/api/phone/{id_phone}/status/force/",
        headers=B,
        data={"status": "available"},
        status=400,
    )
    assert (body["error"], body["message"]) == (128, "Cannot update this entry : ")
    await post_json(
        api, f"/api/phone/{id_phone}/status/force", headers=A, data={"status": "available"}
    )
    assert (await _phone(db, users[0], id_phone)).status == "available"


async def test_without_daemon_store_only(client, db, users):
    id_phone = (
        await post_json(client, "/api/phone/", headers=A, data={"name": "n", "adapter": TEST})
    )["response"]
    body = await post_json(client, f"/api/phone/{id_phone}/status/", headers=A)
    assert body["response"] == "available"


async def test_phone_routes_need_a_key(api):
    body = await post_json(api, "/api/phone/", data={"name": "x", "adapter": TEST}, status=401)
    assert body["error"] == 1


async def test_openapi_documents_phone_routes(api):
    document = await (await api.get("/api/openapi.json")).json()
    paths = document["paths"]
    for path in (
        "/api/phone/",
        "/api/phone/{id}/",
        "/api/phone/{id}/status/",
        "/api/phone/{id}/status/force/",
    ):
        assert path in paths
    assert set(paths["/api/phone/{id}/"]) >= {"post", "delete"}
