"""Envelope, authentication, routing forms, error mapping, escaping and the server lifecycle."""

from __future__ import annotations

import json
from dataclasses import replace

import aiohttp
import pytest
from http_helpers import error_body, get_json
from structlog.testing import capture_logs
from support.http_app import KEY_A, KEY_B, serve

from smsd.api.app import ROUTES, make_app
from smsd.api.routing import Route
from smsd.api.server import ApiServer, api_factory
from smsd.config import ApiConfig, TcpListen, UnixListen, default_config
from smsd.store import accounts

INVALID_KEY = (
    '{"error":1,"message":"Invalid API Key. Please provide a valid API key as GET or POST'
    ' parameter \\"api_key\\" or a HTTP \\"X-Api-Key\\".","response":null,"next":null,"prev":null}'
)
SUSPENDED = (
    '{"error":16,"message":"This user account is currently suspended.","response":null,'
    '"next":null,"prev":null}'
)
EMPTY_LIST = '{"error":0,"message":null,"response":[],"next":null,"prev":null}'


async def test_no_key_is_401_byte_exact(client):
    response = await client.get("/raspisms/api/list/sended/")
    assert response.status == 401
    assert response.headers["Content-Type"] == "application/json"
    assert await response.text() == INVALID_KEY


@pytest.mark.parametrize(
    ("url", "headers", "status"),
    [
        (f"/api/list/sended/?api_key={KEY_A}", {}, 200),
        ("/api/list/sended/", {"X-Api-Key": KEY_A}, 200),
        ("/api/list/sended/?api_key=nope", {"X-Api-Key": KEY_A}, 401),  # query present wins
        ("/api/list/sended/?api_key=", {"X-Api-Key": KEY_A}, 401),  # present but empty
        (f"/api/list/sended/?api_key={KEY_A}", {"X-Api-Key": "nope"}, 200),
        ("/api/list/sended/?api_key[]=x", {"X-Api-Key": KEY_A}, 401),  # not a string
        ("/api/list/sended/", {"X-Api-Key": ""}, 401),
        ("/api/list/sended/", {"X-Api-Key": "wrong"}, 401),
    ],
)
async def test_key_sources_and_precedence(client, url, headers, status):
    response = await client.get(url, headers=headers)
    assert response.status == status
    if status == 401:
        assert await response.text() == INVALID_KEY
    else:
        assert await response.text() == EMPTY_LIST


async def test_form_key_comes_before_header_but_after_query(client):
    form = {"api_key": "wrong", "text": "x", "numbers": "+33612345678"}
    response = await client.post("/api/scheduled/", data=form, headers={"X-Api-Key": KEY_A})
    assert response.status == 401
    form["api_key"] = KEY_A
    response = await client.post("/api/scheduled/", data=form, headers={"X-Api-Key": "wrong"})
    assert response.status == 201
    response = await client.post(f"/api/scheduled/?api_key={KEY_B}", data=form)
    assert response.status == 201  # the query key (user B) wins over the form's
    rows = await get_json(client, f"/api/list/scheduled/?api_key={KEY_B}")
    assert len(rows["response"]) == 1


async def test_suspended_user_is_403_byte_exact(client, db, users):
    await accounts.set_user_status(db, users[0], "suspended")
    for method in ("GET", "POST", "DELETE"):
        path = "/api/scheduled/1/" if method == "DELETE" else "/api/list/sended/"
        if method == "POST":
            path = "/api/scheduled/"
        response = await client.request(method, path, headers={"X-Api-Key": KEY_A})
        assert response.status == 403
        assert await response.text() == SUSPENDED


@pytest.mark.parametrize(
    "path",
    ["/raspisms/api/usage", "/raspisms/api/usage/", "/api/usage", "/api/usage/"],
)
async def test_every_path_form_answers(client, path):
    body = await get_json(client, path, headers={"X-Api-Key": KEY_A})
    assert body == {
        "error": 0,
        "message": None,
        "response": {"total": 0, "phones_volumes": []},
        "next": None,
        "prev": None,
    }


async def test_custom_and_empty_prefix(db, users):
    async with serve(db, ApiConfig(prefix="/sms/gw")) as c:
        assert (await c.get("/sms/gw/api/usage/", headers={"X-Api-Key": KEY_A})).status == 200
        assert (await c.get("/api/usage", headers={"X-Api-Key": KEY_A})).status == 200
        assert (await c.get("/raspisms/api/usage/", headers={"X-Api-Key": KEY_A})).status == 404
    async with serve(db, ApiConfig(prefix="")) as c:
        assert (await c.get("/api/usage/", headers={"X-Api-Key": KEY_A})).status == 200
        assert (await c.get("/raspisms/api/usage/", headers={"X-Api-Key": KEY_A})).status == 404


async def test_unknown_path_is_404_envelope_without_key(client):
    response = await client.get("/raspisms/api/nothing/")
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/json"
    assert await response.text() == error_body(
        2, "You have specified an invalid parameter : path : no such route /raspisms/api/nothing/."
    )


async def test_wrong_verb_is_405_envelope_without_key(client):
    response = await client.get("/api/scheduled/")
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    assert await response.text() == error_body(
        2, "You have specified an invalid parameter : method : GET is not allowed here, use POST."
    )
    response = await client.put("/raspisms/api/usage")
    assert response.status == 405
    assert json.loads(await response.text())["error"] == 2


async def test_head_answers_for_reads_but_not_for_send_sms(client):
    response = await client.head("/api/usage/", headers={"X-Api-Key": KEY_A})
    assert response.status == 200
    assert await response.read() == b""
    response = await client.head(f"/api/send-sms/?to=%2B33612345678&text=x&api_key={KEY_A}")
    assert response.status == 405


async def test_unexpected_exception_is_500_with_logged_error_id(db, users):
    async def explode(_request):
        raise RuntimeError("secret internal detail")

    route = Route("GET", "/api/explode", explode, "fails", auth=False)
    async with serve(db, extra_routes=[route]) as c:
        with capture_logs() as logs:
            response = await c.get("/api/explode/")
        text = await response.text()
    assert response.status == 500
    body = json.loads(text)
    assert list(body) == ["error", "message", "response", "next", "prev"]
    assert "secret" not in text
    assert "Traceback" not in text
    (event,) = [e for e in logs if e["event"] == "api_internal_error"]
    assert event["error_id"] in body["message"]


async def test_body_too_large_is_413_envelope(db, users):
    async with serve(db, ApiConfig(max_body_bytes=1024)) as c:
        response = await c.post(
            "/api/scheduled/", data={"text": "x" * 5000}, headers={"X-Api-Key": KEY_A}
        )
        assert response.status == 413
        assert json.loads(await response.text())["error"] == 2


async def test_malformed_json_body_is_error_2(client):
    response = await client.post(
        "/api/scheduled/",
        data=b"{not json",
        headers={"X-Api-Key": KEY_A, "Content-Type": "application/json"},
    )
    assert response.status == 400
    body = json.loads(await response.text())
    assert body["error"] == 2
    assert body["message"].startswith("You have specified an invalid parameter : body : ")


async def test_html_escape_switch(db, users):
    form = {"text": "a<b & c>/é", "numbers": "+33612345678"}
    for escape, expected in (
        (True, '"text":"a&lt;b &amp; c&gt;\\/\\u00e9"'),
        (False, '"text":"a<b & c>\\/\\u00e9"'),
    ):
        async with serve(db, ApiConfig(html_escape=escape)) as c:
            await c.post("/api/scheduled/", data=form, headers={"X-Api-Key": KEY_A})
            response = await c.get("/api/list/scheduled/", headers={"X-Api-Key": KEY_A})
            assert expected in await response.text()


async def test_openapi_document_lists_every_route(client):
    response = await client.get("/raspisms/api/openapi.json")
    assert response.status == 200
    document = json.loads(await response.text())
    assert document["openapi"].startswith("3.")
    app_routes = {(r.method, r.path + "/") for r in client.server.app[ROUTES]}
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert documented == app_routes
    assert ("POST", "/api/scheduled/") in documented
    assert ("GET", "/api/list/{entry_type}/after/{id}/") in documented
    post = document["paths"]["/api/scheduled/"]["post"]
    assert (
        "numbers_csv"
        in post["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    )
    assert document["servers"] == [{"url": "/raspisms"}, {"url": "/"}]


async def test_api_server_on_tcp_port_zero(db, users):
    config = ApiConfig(listen=TcpListen("127.0.0.1", 0))
    server = ApiServer(config, make_app(config, db, lambda: None))
    address = await server.start()
    try:
        host, port = address.rsplit(":", 1)
        assert host == "127.0.0.1"
        assert int(port) > 0
        async with aiohttp.ClientSession() as session:
            url = f"http://{address}/raspisms/api/usage/?api_key={KEY_A}"
            async with session.get(url) as response:
                assert response.status == 200
    finally:
        await server.stop()
    await server.stop()  # idempotent


async def test_api_factory_on_unix_socket(db, users, tmp_path):
    path = tmp_path / "api.sock"
    base = default_config(tmp_path)
    config = replace(base, api=ApiConfig(listen=UnixListen(path)))
    woken = []
    server = api_factory(config, db, lambda: woken.append(1))
    assert await server.start() == f"unix:{path}"
    try:
        connector = aiohttp.UnixConnector(path=str(path))
        async with aiohttp.ClientSession(connector=connector) as session:
            url = f"http://localhost/api/send-sms/?to=%2B33612345678&text=hi&api_key={KEY_A}"
            async with session.get(url) as response:
                assert response.status == 200
                assert json.loads(await response.text())["response"] == 1
    finally:
        await server.stop()
    assert woken == [1]
