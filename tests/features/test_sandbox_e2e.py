"""Sandbox messages and sender names through the daemon: validated, counted, listed as delivered
and marked, webhooks fired, never on the modem's wire, never charged."""

from __future__ import annotations

from support.polling import until


async def test_sandbox_message_is_delivered_without_the_modem(rig) -> None:
    await rig.start()
    me = await rig.call("GET", "/api/quota/", 200)
    await rig.call("POST", f"/api/user/{me['id_user']}/quota/", 201, data={"credit": "1"})
    await rig.call(
        "POST", "/api/webhook/", 201, data={"url": rig.hooks.url, "type": "send_sms_status_change"}
    )
    id_scheduled = await rig.call(
        "POST", "/api/scheduled/", 201,
        data={"text": "x" * 200, "numbers[]": ["+33612345670", "+33612345671"], "sandbox": "1",
              "sender": "MyShop"},
    )  # fmt: skip

    async def delivered() -> bool:
        rows = await rig.sended()
        return len(rows) == 2 and all(r["status"] == "delivered" for r in rows)

    await until(delivered)
    rows = await rig.sended()
    assert {r["destination"] for r in rows} == {"+33612345670", "+33612345671"}
    for row in rows:
        assert (row["sandbox"], row["sender"], row["originating_scheduled"]) == (
            1, "MyShop", id_scheduled,
        )  # fmt: skip
        assert row["uid"] == f"sandbox-{row['id']}"
    await until(lambda: len(rig.hooks.of_type("send_sms_status_change")) == 2)
    assert {b["status"] for b in rig.hooks.of_type("send_sms_status_change")} == {"delivered"}
    assert rig.wire() == []
    after = await rig.call("GET", "/api/quota/", 200)
    assert after["consumed"] == 0  # 2 messages of 2 credits each, none charged
    await rig.call(
        "POST", "/api/scheduled/", 201, data={"text": "real", "numbers[]": "+33612345672"}
    )
    await until(lambda: rig.wire() == [("+33612345672", "real")])


async def test_sender_names_are_checked_and_listed(rig) -> None:
    await rig.start()
    for bad, fragment in (
        ("ab", "3 to 11 characters"),
        ("ABCDEFGHIJKL", "3 to 11 characters"),
        ("my-shop", "no special characters"),
        ("123456789012345", "3 to 14 digits"),
    ):
        status, body = await rig.envelope(
            "POST", "/api/scheduled/",
            data={"text": "t", "numbers[]": "+33612345670", "sender": bad},
        )  # fmt: skip
        assert (status, body["error"]) == (400, 2), bad
        assert body["message"].startswith("You have specified an invalid parameter : sender : ")
        assert fragment in body["message"]
    for good in ("My Shop", "33612345678", "+33612345678"):
        await rig.call(
            "POST", "/api/scheduled/", 201,
            data={"text": "t", "numbers[]": "+33612345670", "sender": good,
                  "at": "2099-01-01 10:00:00"},
        )  # fmt: skip
    listed = await rig.call("GET", "/api/list/scheduled/", 200)
    assert [r["sender"] for r in listed] == ["My Shop", "33612345678", "+33612345678"]
