"""The webhook routes and the per-message URLs of POST /api/scheduled/, over loopback HTTP."""

from __future__ import annotations

import contextlib
import json
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer
from support.polling import until
from webhook_helpers import API_KEY, FAST, OTHER_KEY, events, send

from smsd.api.app import make_app
from smsd.config import ApiConfig, WebhooksConfig
from smsd.store import accounts, outbox
from smsd.store.outbox import Recipient
from smsd.webhooks import KeyRing, WebhookSender, verify_smsd_signature

KEY = {"X-Api-Key": API_KEY}


@contextlib.asynccontextmanager
async def serve(db, webhooks: WebhooksConfig | None = None):
    app = make_app(ApiConfig(), db, lambda: None, webhooks=webhooks)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def client(db, user):
    async with serve(db) as running:
        yield running


async def call(client, method: str, path: str, status: int, **kw):
    response = await client.request(method, path, headers=kw.pop("headers", KEY), **kw)
    text = await response.text()
    assert response.status == status, text
    return json.loads(text) if text else None


async def test_create_list_delete(client, db, user) -> None:
    made = await call(
        client, "POST", "/api/webhook/", 201,
        data={"url": "http://192.168.1.10/in", "type": "receive_sms"},
    )  # fmt: skip
    assert made["error"] == 0
    new_id, secret = made["response"]["id"], made["response"]["secret"]
    assert len(secret) == 64
    assert int(secret, 16) >= 0
    stored = await db.fetchone("SELECT secret, id_user FROM webhook WHERE id = ?", (new_id,))
    assert (stored["secret"], stored["id_user"]) == (secret, user)

    listed = await call(client, "GET", "/raspisms/api/webhook", 200)
    [row] = listed["response"]
    assert row["id"] == new_id
    assert row["url"] == "http://192.168.1.10/in"
    assert row["type"] == "receive_sms"
    assert "secret" not in row
    assert listed["next"] is None
    assert listed["prev"] is None

    assert await call(client, "DELETE", f"/api/webhook/{new_id}/", 204) is None
    again = await call(client, "DELETE", f"/api/webhook/{new_id}", 400)
    assert again["error"] == 32
    assert (await call(client, "GET", "/api/webhook/", 200))["response"] == []


async def test_json_body_and_pages(client, db, user) -> None:
    for n in range(26):
        await call(
            client, "POST", "/api/webhook", 201,
            json={"url": f"https://example.org/{n}", "type": "send_sms"},
        )  # fmt: skip
    first = await call(client, "GET", "/api/webhook", 200)
    assert len(first["response"]) == 25
    assert first["next"].endswith(f"/api/webhook/page/1/?api_key={API_KEY}")
    second = await call(client, "GET", first["next"].removeprefix(str(client.make_url(""))), 200)
    assert [r["url"] for r in second["response"]] == ["https://example.org/25"]
    assert second["next"] is None
    assert second["prev"].endswith(f"/api/webhook/page/0/?api_key={API_KEY}")
    bad = await call(client, "GET", "/api/webhook/page/-1", 404)
    assert bad["error"] == 2


@pytest.mark.parametrize(
    ("form", "code", "fragment"),
    [
        ({"type": "send_sms"}, 4, "webhook url"),
        ({"url": "http://example.org/"}, 4, "webhook type"),
        ({"url": "http://example.org/", "type": "quota_low"}, 2, "type must be one of"),
        ({"url": "ftp://example.org/", "type": "send_sms"}, 2, "url : the URL must start"),
        ({"url": "http://169.254.169.254/", "type": "send_sms"}, 2, "link-local"),
        ({"url": "http://[fd00:ec2::254]/", "type": "send_sms"}, 2, "metadata"),
    ],
)
async def test_create_errors(client, db, form, code, fragment) -> None:
    answer = await call(client, "POST", "/api/webhook", 400, data=form)
    assert answer["error"] == code
    assert fragment in answer["message"]
    assert await db.fetchall("SELECT id FROM webhook") == []


async def test_switch_allows_link_local(db, user) -> None:
    async with serve(db, WebhooksConfig(allow_link_local=True)) as client:
        await call(
            client, "POST", "/api/webhook", 201,
            data={"url": "http://169.254.169.254/", "type": "send_sms"},
        )  # fmt: skip


async def test_users_are_apart(client, db, user) -> None:
    other = await accounts.ensure_user(db, email="b@example.org", api_key=OTHER_KEY)
    made = await call(
        client, "POST", "/api/webhook", 201, headers={"X-Api-Key": OTHER_KEY},
        data={"url": "http://example.org/", "type": "send_sms"},
    )  # fmt: skip
    assert (await call(client, "GET", "/api/webhook", 200))["response"] == []
    refused = await call(client, "DELETE", f"/api/webhook/{made['response']['id']}", 400)
    assert refused["error"] == 32
    assert len(await db.fetchall("SELECT id FROM webhook WHERE id_user = ?", (other,))) == 1


async def test_needs_a_key(client) -> None:
    answer = await call(client, "GET", "/api/webhook", 401, headers={})
    assert answer["error"] == 1


async def test_scheduled_takes_url_dlr_and_url_response(client, db, user) -> None:
    made = await call(
        client, "POST", "/api/scheduled/", 201,
        data={"text": "hi", "numbers[]": "+33612345678",
              "url_dlr": "https://example.org/dlr", "url_response": "http://10.0.0.2/r"},
    )  # fmt: skip
    found = await db.fetchone(
        "SELECT url_dlr, url_response FROM scheduled WHERE id = ?", (made["response"],)
    )
    assert tuple(found) == ("https://example.org/dlr", "http://10.0.0.2/r")
    plain = await call(
        client, "POST", "/api/scheduled/", 201, data={"text": "hi", "numbers[]": "+33612345678"}
    )
    found = await db.fetchone(
        "SELECT url_dlr, url_response FROM scheduled WHERE id = ?", (plain["response"],)
    )
    assert tuple(found) == (None, None)


@pytest.mark.parametrize("field", ["url_dlr", "url_response"])
async def test_scheduled_refuses_bad_urls(client, db, field) -> None:
    answer = await call(
        client, "POST", "/api/scheduled/", 400,
        data={"text": "hi", "numbers[]": "+33612345678", field: "http://169.254.169.254/"},
    )  # fmt: skip
    assert answer["error"] == 2
    assert answer["message"].endswith(
        f"{field} : address 169.254.169.254 is link-local "
        "(allow it with [webhooks] allow_link_local)."
    )
    assert await db.fetchall("SELECT id FROM scheduled") == []


async def test_end_to_end_webhook_made_over_the_api(client, db, user, phone, receiver) -> None:
    made = await call(
        client, "POST", "/api/webhook", 201, data={"url": receiver.url(), "type": "send_sms"}
    )
    secret = made["response"]["secret"]
    id_scheduled = await outbox.create_scheduled(
        db, id_user=user, text="hello", at=None, numbers=[Recipient(number="+33612345678")]
    )
    [sid] = await outbox.expand_scheduled(
        db, id_scheduled, now=time.time(), render=lambda t, _r, _m: t, plan=lambda _t: 1
    )
    await send(db, sid, phone)
    sender = WebhookSender(db, FAST)
    await sender.start()
    try:
        await until(lambda: receiver.hits)
    finally:
        await sender.stop()
    [hit] = receiver.hits
    assert verify_smsd_signature(
        secret, hit.headers["X-Smsd-Timestamp"], hit.headers["X-Smsd-Signature"], hit.body,
        now=time.time(),
    )  # fmt: skip
    assert json.loads(hit.form["body"])["id"] == sid
    assert len(await events(db)) == 1


async def test_an_authenticated_key_is_noted_for_signatures(db, user) -> None:
    keys = KeyRing()
    app = make_app(ApiConfig(), db, lambda: None, keys=keys)
    async with TestClient(TestServer(app)) as running:
        response = await running.get("/api/list/phone/", headers={"X-Api-Key": "no" * 16})
        assert response.status == 401
        assert len(keys) == 0  # a refused key is never noted
        response = await running.get("/api/list/phone/", headers=KEY)
        assert response.status == 200
    assert keys.get(user) == API_KEY
    found = await db.fetchone("SELECT api_key, key_digest FROM user WHERE id = ?", (user,))
    assert found["api_key"] is None  # the store itself still holds only the digest
    assert found["key_digest"] == accounts.key_digest(API_KEY)
