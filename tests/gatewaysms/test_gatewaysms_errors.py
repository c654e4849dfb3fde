"""Refusals of the Gateway SMS door (401, 404, 406, 422, 507), its OpenAPI entries, its switch."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from gateway_rig import OTHER_KEY

from smsd.api.app import make_app
from smsd.config import ApiConfig, load_config
from smsd.config.settings import DIALECTS
from smsd.errors import ConfigError
from smsd.store import accounts
from smsd.store.db import Database

GOOD = {"sender": "alberto", "body": "test invio", "recipients": "+39-3491234567"}


async def test_missing_or_wrong_token_is_401(gateway) -> None:
    await gateway.start()
    async with aiohttp.ClientSession() as anonymous:
        for headers in ({}, {"Authorization": "Bearer " + "x" * 32}, {"Authorization": "Basic a"}):
            async with anonymous.post(gateway.base + "/messages", json=GOOD, headers=headers) as r:
                assert r.status == 401
                answer = await r.json()
        assert answer["success"] is False
        assert answer["error"] == 401
        assert "Bearer" in answer["message"]
    assert gateway.wire() == []


async def test_unknown_malformed_or_foreign_id_is_404(gateway) -> None:
    await gateway.start()
    _, created = await gateway.call(
        "POST", "/messages", json=GOOD | {"options": {"transaction": True}}
    )
    mine = created["data"][0]["id"]
    for path in (
        "/messages/5cf7cc139f272546624d3795",
        "/messages/not-an-id",
        "/messages/000000000000000000000000",
        "/messages/5cf7cc139f272546624d3795/recipients/",
        f"/messages/{mine}/recipients/+39-3499999999",
    ):
        status, answer = await gateway.call("GET", path)
        assert status == 404, path
        assert answer["success"] is False
        assert answer["error"] == 404
    for method in ("PUT", "DELETE"):
        status, _ = await gateway.call(method, "/messages/5cf7cc139f272546624d3795", json={})
        assert status == 404
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {OTHER_KEY}"}) as other:
        async with other.get(f"{gateway.base}/messages/{mine}") as reply:
            assert reply.status == 404
        async with other.delete(f"{gateway.base}/messages/{mine}") as reply:
            assert reply.status == 404
        async with other.get(f"{gateway.base}/messages") as reply:
            assert (await reply.json())["data"] == []
    status, _ = await gateway.call("GET", f"/messages/{mine}")
    assert status == 200


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"sender", "body", "recipients"}),
        (GOOD | {"sender": 12}, {"sender"}),
        (GOOD | {"body": ""}, {"body"}),
        (GOOD | {"body": "x" * 1601}, {"body"}),
        (GOOD | {"recipients": []}, {"recipients"}),
        (GOOD | {"recipients": [{"fields": {}}]}, {"recipients"}),
        (GOOD | {"recipients": [{"number": "+39-3491234567", "fields": [1]}]}, {"recipients"}),
        (GOOD | {"priority": 0.5}, {"priority"}),
        (GOOD | {"priority": "high"}, {"priority"}),
        (GOOD | {"test": "yes"}, {"test"}),
        (GOOD | {"options": {"flash": 1, "timestamp_send": "tomorrow"}},
         {"options.flash", "options.timestamp_send"}),
        (GOOD | {"options": []}, {"options"}),
        ([GOOD], {"body"}),
    ],
)  # fmt: skip
async def test_invalid_bodies_are_422_naming_the_fields(gateway, body, fields) -> None:
    await gateway.start()
    status, answer = await gateway.call("POST", "/messages", json=body)
    assert status == 422
    assert answer["success"] is False
    assert answer["error"] == 422
    assert set(answer["data"]) == fields
    for field in fields:
        assert field in answer["message"]


async def test_body_that_is_not_json_is_422(gateway) -> None:
    await gateway.start()
    status, answer = await gateway.call("POST", "/messages", data=b"sender=alberto")
    assert status == 422
    assert answer["data"] == {"body": "not JSON"}
    _, created = await gateway.call("POST", "/messages", json=GOOD | {"transaction": True})
    status, answer = await gateway.call("PUT", f"/messages/{created['data'][0]['id']}", data=b"{")
    assert status == 422
    status, answer = await gateway.call(
        "PUT", f"/messages/{created['data'][0]['id']}", json={"transaction": "no"}
    )
    assert status == 422
    assert answer["data"] == {"transaction": "must be true or false"}


async def test_routes_are_in_the_openapi_document(gateway) -> None:
    await gateway.start()
    status, document = await gateway.call("GET", "/api/openapi.json")
    assert status == 200
    paths = document["paths"]
    assert set(paths["/messages/"]) == {"get", "post"}
    assert set(paths["/messages/{id}/"]) == {"get", "put", "delete"}
    assert "get" in paths["/messages/{id}/recipients/"]
    assert "get" in paths["/messages/{id}/recipients/{number}/"]
    post = paths["/messages/"]["post"]
    assert post["security"] == [{"bearerAuth": []}]
    assert {"201", "401", "402", "422"} <= set(post["responses"])
    assert post["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "sender",
        "body",
        "recipients",
    ]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


async def test_dialects_setting_turns_the_door_off(gateway) -> None:
    await gateway.start(extra_api='dialects = ["raspisms"]')
    status, _ = await gateway.call("GET", "/messages")
    assert status == 404
    _, document = await gateway.call("GET", "/api/openapi.json")
    assert not [path for path in document["paths"] if path.startswith("/messages")]
    assert "/api/scheduled/" in document["paths"]


@pytest.mark.parametrize(
    ("value", "wording"),
    [
        ('["gatewaysms", "smtp"]', 'unknown dialect "smtp"'),
        ('"gatewaysms"', "must be a list"),
        ('["gatewaysms", "gatewaysms"]', "twice"),
    ],
)
def test_bad_dialects_are_refused_with_the_key_named(tmp_path, value, wording) -> None:
    path = tmp_path / "smsd.toml"
    path.write_text(f"[api]\ndialects = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert "api.dialects" in str(refused.value)
    assert wording in str(refused.value)


def test_every_dialect_is_on_by_default(tmp_path) -> None:
    path = tmp_path / "smsd.toml"
    path.write_text("[api]\n", encoding="utf-8")
    assert load_config(path).api.dialects == DIALECTS
    assert {"raspisms", "gatewaysms"} <= set(DIALECTS)


async def test_read_only_store_is_507_and_nothing_is_claimed_stored(tmp_path) -> None:
    db = await Database.open(tmp_path / "smsd.sqlite3")
    await accounts.ensure_user(db, email="a@example.org", api_key=OTHER_KEY)
    client = TestClient(TestServer(make_app(ApiConfig(), db, lambda: None)))
    await client.start_server()
    try:
        async with db.transaction() as conn:
            await conn.execute("PRAGMA query_only = ON")
        headers = {"Authorization": f"Bearer {OTHER_KEY}"}
        reply = await client.post("/messages", json=GOOD, headers=headers)
        answer = await reply.json()
        assert reply.status == 507
        assert answer["success"] is False
        assert "read-only" in answer["message"]
        reply = await client.get("/messages", headers=headers)
        assert reply.status == 200
        assert (await reply.json())["data"] == []
    finally:
        await client.close()
        await db.close()
