"""SMS to e-mail through the daemon: real SMTP on loopback, a mail server down for a while."""

from __future__ import annotations

import json

import pytest
from rules_rig import EMAIL, free_port, settle
from support.polling import until

SENDER = "+33611111111"


def _mail_config(port: int) -> str:
    return f"""
[smtp]
host = "127.0.0.1"
port = {port}
from = "smsd@example.org"
timeout = 5

[[rules]]
user = "{EMAIL}"
from = ["+336*"]
email = "ops@example.org"
mark_read = true
"""


async def _mail_events(db) -> list:
    return await db.fetchall("SELECT * FROM webhook_event WHERE url LIKE 'mailto:%' ORDER BY id")


@pytest.mark.parametrize("down", [False, True], ids=["server-up", "server-down-for-a-while"])
async def test_received_sms_is_mailed_with_sender_and_time(rig, sink, down) -> None:
    if not down:
        await sink.start()
        daemon = await rig.start(_mail_config(sink.port), user="transfer = true")
        await rig.modems["m1"].deliver(SENDER, "The gate is open")
        await until(lambda: len(sink.mails) == 2)
        await _check_mails(rig, daemon, sink)
        return
    port = free_port()  # nothing listens there yet: the mail server is down
    daemon = await rig.start(_mail_config(port), user="transfer = true")
    await rig.modems["m1"].deliver(SENDER, "The gate is open")

    async def failed_twice() -> bool:
        found = await _mail_events(daemon.db)
        return len(found) == 2 and all(
            e["attempts"] >= 2 and e["state"] == "pending" for e in found
        )

    await until(failed_twice)
    events = await _mail_events(daemon.db)
    assert all("Connect" in (e["last_error"] or "") for e in events)
    assert {e["url"] for e in events} == {"mailto:ops@example.org", f"mailto:{EMAIL}"}

    await sink.start(port)  # the server comes back
    await until(lambda: len(sink.mails) == 2)
    await _check_mails(rig, daemon, sink)
    body = json.loads(events[0]["body"])
    assert body["to"] in {"ops@example.org", EMAIL}


async def _check_mails(rig, daemon, sink) -> None:
    await until(lambda: _all_delivered(daemon.db))
    await settle(1.0)
    assert len(sink.mails) == 2  # each once
    received = await daemon.db.fetchone("SELECT * FROM received")
    assert received["status"] == "read"  # the rule's mark_read
    by_rcpt = {
        tuple(env.rcpt_tos): mail for env, mail in zip(sink.envelopes, sink.mails, strict=True)
    }
    assert set(by_rcpt) == {("ops@example.org",), (EMAIL,)}
    for mail in sink.mails:
        assert mail["From"] == "smsd@example.org"
        assert mail["Subject"] == f"SMS from {SENDER}"
        body = mail.get_content().replace("\r\n", "\n")
        assert f"From: {SENDER}\n" in body
        assert f"Received: {received['at']} on m1\n" in body
        assert body.rstrip().endswith("The gate is open")


async def _all_delivered(db) -> bool:
    found = await _mail_events(db)
    return bool(found) and all(e["state"] == "delivered" for e in found)


async def test_without_transfer_or_rule_nothing_is_mailed(rig, sink) -> None:
    port = await sink.start()
    config = _mail_config(port).replace('from = ["+336*"]', 'from = ["+447*"]')
    daemon = await rig.start(config, user="transfer = false")
    await rig.modems["m1"].deliver(SENDER, "not for the mail")
    handled = "SELECT count(*) FROM received WHERE id <= (SELECT last_id FROM rule_progress)"
    await until(lambda: _one(daemon.db, handled))
    await settle(0.5)
    assert sink.mails == []
    assert await _mail_events(daemon.db) == []


async def _one(db, sql: str) -> bool:
    found = await db.fetchone(sql)
    return int(found[0]) == 1
