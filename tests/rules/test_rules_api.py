"""Rules over the HTTP API of the running daemon: create, list, use, delete; errors named."""

from __future__ import annotations

import aiohttp
from rules_rig import API_KEY, EMAIL
from support.polling import until

KEY = {"X-Api-Key": API_KEY}
CONFIGURED = f"""
[[rules]]
user = "{EMAIL}"
keyword = "INFO"
reply = "Info line"
"""


async def _call(rig, method: str, path: str, **kw) -> tuple[int, dict | None]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, rig.base + path, headers=KEY, **kw) as response,
    ):
        body = await response.json() if response.status != 204 else None
        return response.status, body


async def test_a_rule_created_over_the_api_answers_and_can_be_deleted(rig) -> None:
    await rig.start(CONFIGURED)
    status, answer = await _call(
        rig,
        "POST",
        "/api/rule/",
        data={"keyword": "ping", "reply": "pong {{ contact.number }}", "from[]": "+336*",
              "window": "0"},
    )  # fmt: skip
    assert (status, answer["error"]) == (201, 0)
    id_rule = answer["response"]
    status, listed = await _call(rig, "GET", "/api/rule/")
    assert status == 200
    assert [(r["source"], r["definition"]) for r in listed["response"]] == [
        ("config", {"keyword": "INFO", "reply": "Info line"}),
        ("api", {"from": ["+336*"], "keyword": "ping", "reply": "pong {{ contact.number }}",
                 "window": 0.0}),
    ]  # fmt: skip
    await rig.modems["m1"].deliver("+33611111111", "PING")
    await until(lambda: rig.sent_texts(to="+33611111111"))
    assert rig.sent_texts(to="+33611111111") == ["pong +33611111111"]

    config_id = listed["response"][0]["id"]
    status, answer = await _call(rig, "DELETE", f"/api/rule/{config_id}/")
    assert (status, answer["error"]) == (400, 32)
    status, _ = await _call(rig, "DELETE", f"/api/rule/{id_rule}/")
    assert status == 204
    _status, listed = await _call(rig, "GET", "/api/rule/")
    assert [r["source"] for r in listed["response"]] == ["config"]


async def test_a_bad_rule_is_refused_naming_the_key(rig) -> None:
    await rig.start()
    for form, named in (
        ({"match": "(", "reply": "x"}, "match"),
        ({"keyword": "two words", "reply": "x"}, "keyword"),
        ({"keyword": "x"}, "reply"),
        ({"reply": "Hello {{ contact.name "}, "reply"),
        ({"reply": "x", "forward_to": "not-a-number"}, "forward_to[0]"),
        ({"reply": "x", "webhook": "http://169.254.169.254/latest"}, "webhook"),
    ):
        status, answer = await _call(rig, "POST", "/api/rule/", data=form)
        assert (status, answer["error"]) == (400, 2), form
        assert f" {named} : " in answer["message"], answer["message"]


async def test_the_rule_routes_are_in_the_openapi_document(rig) -> None:
    await rig.start()
    async with (
        aiohttp.ClientSession() as session,
        session.get(rig.base + "/api/openapi.json") as response,
    ):
        document = await response.json()
    paths = {path for path in document["paths"] if "rule" in path}
    assert {"/api/rule", "/api/rule/{id}"} <= {p.rstrip("/") for p in paths}
