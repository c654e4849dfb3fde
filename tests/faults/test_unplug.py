"""A modem unplugged in the middle of a submit: hand back what did not leave, never resend what did.

Two virtual modems on pseudo-terminals under an in-process engine; the first one (higher
priority) is unplugged while it holds back either the ``> `` prompt (the PDU has not left) or the
network's ``+CMGS`` answer (the PDU has left, its reference is lost with the port).
"""

from __future__ import annotations

import asyncio
import contextlib

from support.fault_rig import API_KEY, EMAIL, start_modems, wire
from support.polling import until

from smsd.config import PhoneConfig
from smsd.modem.virtual import Faults
from smsd.runtime.engine import Engine
from smsd.store import accounts, outbox
from smsd.store.db import Database
from smsd.store.outbox import Recipient

FAST = {"health_interval": 0.5, "poll_interval": 2.0, "command_timeout": 1.0, "submit_timeout": 3.0}
SLOW = 0.6


async def _unplug_mid_submit(tmp_path, faults: Faults, *, pdu_left: bool):
    """Send one message; unplug m1 before or after its PDU left; return (row, wire, engine)."""
    db = await Database.open(tmp_path / "smsd.sqlite3")
    id_user = await accounts.ensure_user(db, email=EMAIL, api_key=API_KEY, admin=True)
    modems = await start_modems(["m1", "m2"], Faults())
    modems["m1"].modem.faults = faults
    engine = Engine(db, id_user=id_user)
    task = asyncio.create_task(engine.run())
    try:
        for name, priority in (("m1", 5), ("m2", 1)):
            phone = await engine.add_phone(
                PhoneConfig(name=name, device=modems[name].path, priority=priority, **FAST)  # type: ignore[arg-type]
            )
            await asyncio.wait_for(phone.modem.ready.wait(), timeout=10)
        await outbox.create_scheduled(
            db, id_user=id_user, text="one", at=None, numbers=[Recipient(number="+33611111111")]
        )
        engine.wake()
        vm = modems["m1"].modem
        if pdu_left:
            await until(lambda: len(vm.submitted) == 1)
        else:
            await until(lambda: vm.awaiting_pdu)
        await modems["m1"].unplug()

        async def settled() -> bool:
            found = await db.fetchone("SELECT state FROM sended")
            return found is not None and found["state"] not in {"queued", "sending"}

        await until(settled)
        await asyncio.sleep(0.5)  # time for a wrongful resend through m2 to show
        found = await db.fetchone("SELECT state, reason FROM sended")
        assert found is not None
        return (str(found["state"]), found["reason"]), wire(modems)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await engine.close()
        for pty in modems.values():
            await pty.stop()
        await db.close()


async def test_unplug_after_the_pdu_left_is_unknown_and_not_resent(tmp_path) -> None:
    (state, reason), segments = await _unplug_mid_submit(
        tmp_path, Faults(submit_delay=SLOW), pdu_left=True
    )
    assert state == "unknown"
    assert "unknown" in (reason or "")
    assert [s.modem for s in segments] == ["m1"]  # m2 did not send it again


async def test_unplug_before_the_pdu_left_hands_the_message_over(tmp_path) -> None:
    (state, _reason), segments = await _unplug_mid_submit(
        tmp_path, Faults(prompt_delay=SLOW), pdu_left=False
    )
    assert state == "sent"
    assert [s.modem for s in segments] == ["m2"]
