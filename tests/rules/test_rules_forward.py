"""Forwards as SMS and webhook posts through the daemon, matched by contact group."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from aiohttp import web
from rules_rig import EMAIL
from support.polling import until

from smsd.store import accounts

FAMILY = "+33611111111"
STRANGER = "+33622222222"
BOSS = "+33698765432"


async def _receiver(hits: list):
    async def handle(request: web.Request) -> web.Response:
        hits.append(dict(parse_qsl((await request.read()).decode())))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/sms", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


async def test_group_messages_are_forwarded_verbatim_and_posted(rig) -> None:
    hits: list[dict] = []
    runner, port = await _receiver(hits)
    try:
        daemon = await rig.start(f"""
[[rules]]
user = "{EMAIL}"
from = ["group:Family"]
forward_to = ["{BOSS}"]
webhook = "http://127.0.0.1:{port}/sms"
mark_read = true
""")
        owner = (await daemon.db.fetchone("SELECT id FROM user WHERE email = ?", (EMAIL,)))["id"]
        ann = await accounts.create_contact(daemon.db, id_user=owner, name="Ann", number=FAMILY)
        await accounts.create_group(daemon.db, id_user=owner, name="Family", contacts=[ann])
        modem = rig.modems["m1"]
        await modem.deliver(FAMILY, "Dinner at {{ 7 * 6 }} tonight")
        await modem.deliver(STRANGER, "Dinner too?")
        await until(lambda: rig.sent_texts(to=BOSS) and hits)
        handled = await daemon.db.fetchall("SELECT origin, status FROM received ORDER BY id")
    finally:
        await runner.cleanup()
    # Markup in a forwarded text is sent as written, never rendered.
    assert rig.sent_texts(to=BOSS) == [f"From Ann ({FAMILY}): Dinner at {{{{ 7 * 6 }}}} tonight"]
    assert [(r["origin"], r["status"]) for r in handled] == [
        (FAMILY, "read"),
        (STRANGER, "unread"),
    ]
    [hit] = hits
    assert hit["webhook_type"] == "receive_sms"
    body = json.loads(hit["body"])
    assert (body["origin"], body["text"]) == (FAMILY, "Dinner at {{ 7 * 6 }} tonight")


async def test_a_short_code_is_forwarded_but_never_answered(rig) -> None:
    await rig.start(f"""
[[rules]]
user = "{EMAIL}"
from = ["36*"]
reply = "thanks"
forward_to = ["{BOSS}"]
""")
    await rig.modems["m1"].deliver("36665", "Your code is 123456")
    await until(lambda: rig.sent_texts(to=BOSS))
    assert rig.sent_texts(to=BOSS) == ["From 36665: Your code is 123456"]
    assert {submit.destination for submit in rig.sent()} == {BOSS}
