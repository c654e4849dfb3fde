"""Credit quotas through the daemon: 3 credits give 3 messages out, the 4th fails with the
reason, and quota_level / quota_reached are posted to the user's webhooks."""

from __future__ import annotations

from features_rig import PLAIN_KEY
from support.polling import until

NUMBERS = [f"+3361234567{n}" for n in range(4)]


async def test_three_credits_send_three_and_fail_the_fourth(rig) -> None:
    await rig.start()
    me = await rig.call("GET", "/api/quota/", 200)
    assert me["unlimited"] is True
    assert (me["currency"], me["segment_price"]) == ("EUR", "0")
    for kind in ("quota_level", "quota_reached"):
        await rig.call("POST", "/api/webhook/", 201, data={"url": rig.hooks.url, "type": kind})
    set_to = await rig.call(
        "POST", f"/api/user/{me['id_user']}/quota/", 201, data={"credit": "3", "renewal": "monthly"}
    )
    assert (set_to["credit"], set_to["remaining"], set_to["unlimited"]) == (3, 3, False)
    for number in NUMBERS:  # one by one, so they leave in this order
        await rig.post("hi", number)
        await until(lambda n=number: _settled(rig, n))
    rows = {r["destination"]: r for r in await rig.sended()}
    assert [rows[n]["status"] for n in NUMBERS] == ["unknown", "unknown", "unknown", "failed"]
    assert rows[NUMBERS[3]]["reason"] == (
        "insufficient credit: the message needs 1 credits, 0 left in quota"
    )
    assert [destination for destination, _ in rig.wire()] == NUMBERS[:3]
    await until(lambda: rig.hooks.of_type("quota_reached") and rig.hooks.of_type("quota_level"))
    [reached] = rig.hooks.of_type("quota_reached")
    assert (reached["credit"], reached["consumed"], reached["remaining"]) == (3, 3, 0)
    [level] = rig.hooks.of_type("quota_level")
    assert level["consumed"] == 3  # 3 of 3 crossed 80 %: fired once, with the same period
    after = await rig.call("GET", "/api/quota/", 200)
    assert (after["consumed"], after["remaining"], after["level"]) == (3, 0, 1.0)


async def _settled(rig, number: str) -> bool:
    return any(
        (r["destination"] == number and r["status"] in {"unknown", "failed"} and r["uid"])
        or (r["destination"] == number and r["status"] == "failed")
        for r in await rig.sended()
    )


async def test_only_administrators_manage_quotas(rig) -> None:
    await rig.start()
    me = await rig.call("GET", "/api/quota/", 200)
    status, body = await rig.envelope(
        "POST", f"/api/user/{me['id_user']}/quota/", data={"credit": "-1"}
    )
    assert (status, body["error"]) == (400, 2)
    status, body = await rig.envelope("POST", f"/api/user/{me['id_user']}/quota/", data={})
    assert (status, body["error"]) == (400, 4)
    status, body = await rig.envelope(
        "POST", f"/api/user/{me['id_user']}/quota/", data={"credit": "5", "renewal": "hourly"}
    )
    assert (status, body["error"]) == (400, 2)
    assert "renewal must be one of daily, weekly, monthly, yearly" in body["message"]
    await rig.call("POST", f"/api/user/{me['id_user']}/quota/", 201, data={"credit": "5"})
    plain = {"X-Api-Key": PLAIN_KEY}
    status, body = await rig.envelope(
        "POST", f"/api/user/{me['id_user']}/quota/", data={"credit": "500"}, headers=plain
    )
    assert (status, body["error"]) == (400, 1)
    assert "only an administrator manages quotas" in body["message"]
    mine = await rig.call("GET", "/api/quota/", 200, headers=plain)
    assert mine["unlimited"] is True
    await rig.call("DELETE", f"/api/user/{me['id_user']}/quota/", 204)
    assert (await rig.call("GET", "/api/quota/", 200))["unlimited"] is True


async def test_openapi_documents_the_feature_routes(rig) -> None:
    await rig.start()
    status, document = await rig.envelope("GET", "/api/openapi.json")
    assert status == 200
    paths = document["paths"]
    for path, method in (
        ("/api/quota/", "get"), ("/api/user/{id}/quota/", "post"),
        ("/api/user/{id}/quota/", "delete"), ("/api/smsstop/", "post"),
        ("/api/smsstop/{id}/", "delete"), ("/api/setting/{name}/", "post"),
    ):  # fmt: skip
        assert method in paths[path], path
    form = paths["/api/scheduled/"]["post"]["requestBody"]["content"]
    fields = form["application/x-www-form-urlencoded"]["schema"]["properties"]
    assert {"sandbox", "commercial", "sender", "stop_mention"} <= set(fields)
