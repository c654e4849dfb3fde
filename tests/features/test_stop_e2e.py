"""SMS STOP through the daemon: an incoming STOP puts its sender on the list and one answer goes
out; later messages to it are not sent; START lets the next one through; the list over the API."""

from __future__ import annotations

from support.polling import until

CLIENT = "+33687654321"
ANSWER = "Demande prise en compte, vous ne recevrez plus de messages."


async def _listed(rig) -> list[str]:
    return [r["number"] for r in await rig.call("GET", "/api/smsstop/", 200)]


async def test_stop_then_start(rig) -> None:
    await rig.start()
    await rig.pty.deliver(CLIENT, "  Stop ")
    await until(lambda: (CLIENT, ANSWER) in rig.wire())
    assert await _listed(rig) == [CLIENT]
    await rig.pty.deliver(CLIENT, "STOP")  # a second STOP: no second answer
    await until(lambda: _received(rig, 2))
    await rig.post("news", CLIENT)
    await rig.call(
        "POST", "/api/scheduled/", 201, data={"text": "other", "numbers[]": "+33611111111"}
    )
    await until(lambda: ("+33611111111", "other") in rig.wire())
    assert rig.wire().count((CLIENT, ANSWER)) == 1
    assert (CLIENT, "news") not in rig.wire()
    answers = [r for r in await rig.sended() if r["tag"] == "SMS_STOP"]
    assert len(answers) == 1
    await rig.pty.deliver(CLIENT, "START")
    await until(lambda: _listed_empty(rig))
    await rig.call(
        "POST", "/api/scheduled/", 201, data={"text": "welcome back", "numbers[]": CLIENT}
    )
    await until(lambda: (CLIENT, "welcome back") in rig.wire())


async def _received(rig, count: int) -> bool:
    return len(await rig.call("GET", "/api/list/received/", 200)) >= count


async def _listed_empty(rig) -> bool:
    return await _listed(rig) == []


async def test_french_synonym_and_the_list_over_the_api(rig) -> None:
    await rig.start('[stop]\nresponse = "C\'est noté."\n')
    await rig.pty.deliver(CLIENT, "arrêt")
    await until(lambda: (CLIENT, "C'est noté.") in rig.wire())
    added = await rig.call("POST", "/api/smsstop/", 201, data={"number": "+33600000001"})
    assert added["number"] == "+33600000001"
    status, body = await rig.envelope("POST", "/api/smsstop/", data={"number": "nope"})
    assert (status, body["error"]) == (400, 2)
    rows = await rig.call("GET", "/api/smsstop/", 200)
    assert [r["number"] for r in rows] == [CLIENT, "+33600000001"]
    await rig.call("DELETE", f"/api/smsstop/{rows[0]['id']}/", 204)
    status, body = await rig.envelope("DELETE", f"/api/smsstop/{rows[0]['id']}/")
    assert body["error"] == 32
    assert await _listed(rig) == ["+33600000001"]


async def test_stop_mention_is_appended_and_counted(rig) -> None:
    await rig.start('[stop]\nmention = "STOP 36180"\n')
    await rig.post("Soldes", CLIENT, stop_mention="1")
    await until(lambda: (CLIENT, "Soldes\nSTOP 36180") in rig.wire())
