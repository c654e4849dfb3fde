"""Each door's handlers are named ``module:function`` in its route table and imported on the
first request: every route resolves to a handler that answers in its door's shape. The same holds
for the RaspiSMS door's management routes (:mod:`smsd.api.manage`)."""

from __future__ import annotations

import re
import sys

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from support.http_app import KEY_A

from smsd.api.app import ROUTES
from smsd.api.manage import ADMIN_ROUTES, FEATURE_ROUTES, PHONE_ROUTES, RULE_ROUTES, STATS_ROUTES
from smsd.api.routing import lazy

DOORS = ("smspartner", "gatewaysms", "smsgateway24")


@pytest.mark.parametrize("door", DOORS)
async def test_every_route_of_the_door_resolves_and_answers_without_a_key(client, door) -> None:
    routes = [r for r in client.server.app[ROUTES] if r.tag == door]
    assert routes
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "5cf7cc139f272546624d3795", route.path)
        async with client.request(route.method, path) as reply:
            text = await reply.text()
            assert reply.status != 500, (route.method, path, text)
            if door == "smspartner":  # a missing apiKey: HTTP 400, code 9 or 10
                assert reply.status == 400, (route.method, path, text)
                assert (await reply.json())["success"] is False
            elif door == "gatewaysms":  # no bearer token: HTTP 401 in the door's envelope
                assert reply.status == 401, (route.method, path, text)
                assert (await reply.json())["error"] == 401
            else:  # SMSGateway24 answers HTTP 200 with error 1 naming the parameter
                assert reply.status == 200, (route.method, path, text)
                assert (await reply.json())["error"] == 1


async def test_lazy_handler_imports_on_first_call_once(tmp_path, monkeypatch) -> None:
    (tmp_path / "lazydoor_probe.py").write_text(
        """
from aiohttp import web

IMPORTS = [1]
WRAPPED = []

async def hello(request):
    return web.Response(text="hello " + request.match_info.get("who", "all"))

def count(handler):
    WRAPPED.append(handler.__name__)
    return handler
""",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    handler = lazy("lazydoor_probe:hello", "greet", wrap="lazydoor_probe:count")
    assert handler.__name__ == "greet"
    assert "lazydoor_probe" not in sys.modules
    for _ in range(3):
        reply = await handler(make_mocked_request("GET", "/"))
        assert isinstance(reply, web.Response)
        assert reply.text == "hello all"
    probe = sys.modules["lazydoor_probe"]
    assert probe.IMPORTS == [1]
    assert probe.WRAPPED == ["hello"]  # resolved and wrapped once, then called directly
    monkeypatch.delitem(sys.modules, "lazydoor_probe")


MANAGEMENT = (*ADMIN_ROUTES, *STATS_ROUTES, *PHONE_ROUTES, *FEATURE_ROUTES, *RULE_ROUTES)


async def test_every_management_route_resolves_its_handler_and_answers(client) -> None:
    # With a key, each route reaches its handler (imported now) and answers in the envelope:
    # a success or RaspiSMS's error, never a 500 (a wrong module:function name would be one).
    for route in MANAGEMENT:
        path = re.sub(r"\{[^}]+\}", "987654", route.path)
        async with client.request(route.method, path, headers={"X-Api-Key": KEY_A}) as reply:
            text = await reply.text()
            assert reply.status in {200, 201, 204, 400, 404}, (route.method, path, text)
            if reply.status != 204:
                assert "error" in await reply.json(), (route.method, path, text)
    for name in ("admin", "stats", "phones", "features", "rules"):
        assert f"smsd.api.{name}" in sys.modules
