"""The incoming rules loop is supervised: a bug that crashes it is logged once, the loop comes
back after the restart delay and the message is still answered, once."""

from __future__ import annotations

from rules_rig import EMAIL, settle
from structlog.testing import capture_logs
from support.polling import until

from smsd.store import rules as rules_store

RULES = f"""
[[rules]]
user = "{EMAIL}"
keyword = "INFO"
reply = "Opening hours are 9-17"
"""
CALLER = "+33688888888"


async def test_a_crash_of_the_rules_loop_is_logged_once_and_the_loop_comes_back(
    rig, monkeypatch
) -> None:
    real = rules_store.pending
    crashes = 0

    async def pending(db):
        nonlocal crashes
        if crashes < 2:
            crashes += 1
            raise RuntimeError("a bug in the rules loop")
        return await real(db)

    with capture_logs() as logs:
        await rig.start(RULES)
        monkeypatch.setattr(rules_store, "pending", pending)
        await rig.modems["m1"].deliver(CALLER, "INFO")
        await until(lambda: rig.sent_texts(to=CALLER), timeout=30)
        await settle(0.5)
    assert crashes == 2
    assert rig.sent_texts(to=CALLER) == ["Opening hours are 9-17"]
    crashed = [e for e in logs if e.get("task") == "rules" and e["event"] == "task_crashed"]
    again = [e for e in logs if e.get("task") == "rules" and e["event"] == "task_crashed_again"]
    assert len(crashed) == 1
    assert crashed[0]["error"] == "a bug in the rules loop"
    assert len(again) == 1
