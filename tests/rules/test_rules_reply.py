"""Auto-replies through the daemon over pty modems: one templated reply, no loop with a robot."""

from __future__ import annotations

import asyncio
import contextlib

from rules_rig import EMAIL, DaemonRig, settle
from support.polling import until

from smsd.store import accounts

RULES = f"""
[[rules]]
user = "{EMAIL}"
keyword = "INFO"
reply = "Hello {{{{ contact.name }}}}, opening hours are 9-17"
"""
ROBOT = "+33611111111"


async def test_keyword_gets_one_templated_reply_and_no_loop_with_a_robot(rig) -> None:
    daemon = await rig.start(RULES)
    owner = await daemon.db.fetchone("SELECT id FROM user WHERE email = ?", (EMAIL,))
    await accounts.create_contact(daemon.db, id_user=owner["id"], name="Zoé", number=ROBOT)
    modem = rig.modems["m1"]

    async def robot() -> None:
        """Answers every SMS it gets with a text that starts with the keyword again."""
        answered = 0
        while True:
            mine = rig.sent(to=ROBOT)
            while answered < len(mine):
                answered += 1
                await modem.deliver(ROBOT, "INFO: this is an automatic answer, do not reply")
            await asyncio.sleep(0.05)

    running = asyncio.create_task(robot())
    try:
        await modem.deliver(ROBOT, "info please")
        await until(lambda: rig.sent_texts(to=ROBOT))
        # The robot answered; the rule saw it and stayed silent (once per sender per window).
        await until(lambda: _equals(daemon.db, "SELECT count(*) FROM received", 2))
        await settle(2.0)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert rig.sent_texts(to=ROBOT) == ["Hello Zoé, opening hours are 9-17"]
    assert await _count(daemon.db, "SELECT count(*) FROM received") == 2
    # The reply is an ordinary outgoing message linked to the message that caused it.
    [link] = await daemon.db.fetchall(
        "SELECT c.kind, c.id_received, s.destination, s.state FROM rule_cause AS c "
        "JOIN sended AS s ON s.originating_scheduled = c.id_scheduled"
    )
    first = await daemon.db.fetchone("SELECT min(id) AS id FROM received")
    assert (link["kind"], link["id_received"], link["destination"]) == (
        "reply",
        first["id"],
        ROBOT,
    )
    assert link["state"] in {"sent", "delivered"}


async def test_short_codes_and_our_own_replies_are_never_answered(rig) -> None:
    daemon = await rig.start(
        RULES.replace('keyword = "INFO"\n', "")  # answers anything
        + '\n[[rules]]\nuser = "admin@example.org"\nkeyword = "STATUS"\nreply = "All good"\n'
    )
    modem = rig.modems["m1"]
    await modem.deliver("36665", "INFO your code is 1234")
    await modem.deliver("ORANGE", "Your bill is ready")
    # A text equal to an auto-reply smsd sent (another gateway of ours echoing it back).
    await modem.deliver("+33622222222", "hello")
    await until(lambda: rig.sent_texts(to="+33622222222"))
    [reply] = rig.sent_texts(to="+33622222222")
    await modem.deliver("+33633333333", reply)
    await until(lambda: _equals(daemon.db, "SELECT count(*) FROM received", 4))
    handled = "SELECT count(*) FROM received WHERE id <= (SELECT last_id FROM rule_progress)"
    await until(lambda: _equals(daemon.db, handled, 4))
    await settle(1.0)
    destinations = {submit.destination for submit in rig.sent()}
    assert destinations == {"+33622222222"}


async def _equals(db, sql: str, expected: int) -> bool:
    return await _count(db, sql) == expected


async def _count(db, sql: str) -> int:
    found = await db.fetchone(sql)
    return int(found[0])


async def test_a_restart_neither_repeats_nor_skips_a_message(tmp_path) -> None:
    first = DaemonRig(tmp_path)
    try:
        await first.start(RULES)
        await first.modems["m1"].deliver("+33644444444", "INFO")
        await until(lambda: first.sent_texts(to="+33644444444"))
    finally:
        await first.stop()
    second = DaemonRig(tmp_path)
    try:
        daemon = await second.start(RULES)
        await second.modems["m1"].deliver("+33655555555", "INFO")
        await until(lambda: second.sent_texts(to="+33655555555"))
        await settle(0.5)
        assert second.sent_texts(to="+33644444444") == []
        assert await _count(daemon.db, "SELECT count(*) FROM rule_cause") == 2
    finally:
        await second.stop()


async def test_a_sender_who_sent_stop_gets_no_auto_reply(rig) -> None:
    daemon = await rig.start(RULES.replace('keyword = "INFO"\n', ""))  # answers anything
    await rig.modems["m1"].deliver("+33677777777", "STOP")
    handled = "SELECT count(*) FROM received WHERE id <= (SELECT last_id FROM rule_progress)"
    await until(lambda: _equals(daemon.db, handled, 1))
    await until(lambda: rig.sent_texts(to="+33677777777"))
    await settle(1.0)
    # Only the STOP confirmation leaves: the auto-reply is an ordinary message, held back by the
    # STOP list like any other.
    [confirmation] = rig.sent_texts(to="+33677777777")
    assert not confirmation.startswith("Hello")
    [reply] = await daemon.db.fetchall(
        "SELECT s.id FROM rule_cause AS c JOIN scheduled AS s ON s.id = c.id_scheduled"
    )
    assert reply["id"]
