"""Calls end to end: a virtual modem on a pty rings, the driver rejects and hands up, the
receiver stores the call and its inbound_call webhook event."""

from __future__ import annotations

import asyncio
import json

from structlog.testing import capture_logs
from support.polling import until

from smsd import pdu
from smsd.config import PhoneConfig
from smsd.modem.virtual import Faults, PtyModem, VirtualModem
from smsd.runtime.engine import Engine
from smsd.store import calls, webhooks

CALLER = "+33612345678"


async def only_call(rig) -> calls.CallRow:
    rows = await calls.list_calls(rig.db, rig.id_user)
    assert len(rows) == 1
    return rows[0]


async def test_ringing_call_is_rejected_recorded_and_posted(call_rig) -> None:
    id_webhook = await webhooks.create_webhook(
        call_rig.db,
        id_user=call_rig.id_user,
        url="https://example.org/calls",
        type_="inbound_call",
        secret="s" * 64,
    )
    with capture_logs() as logs:
        await call_rig.start()
        assert call_rig.virtual.settings.clip == 1  # AT+CLIP=1 at initialisation
        rejected = await call_rig.pty.ring(CALLER, rings=3, interval=2.0, end_urc="NO CARRIER")
        assert rejected
        await until(lambda: _ended(call_rig))
    assert call_rig.virtual.hangups == ["ATH"]
    row = await only_call(call_rig)
    assert (row.origin, row.direction, row.destination) == (CALLER, "inbound", None)
    assert row.id_phone == call_rig.id_phone
    assert row.end is not None
    assert row.end >= row.start
    [event] = await call_rig.db.fetchall("SELECT * FROM webhook_event")
    assert (event["type"], event["id_webhook"], event["subject"]) == (
        "inbound_call",
        id_webhook,
        f"call:{row.id}",
    )
    body = json.loads(event["body"])
    assert list(body) == [
        "id_user",
        "id_phone",
        "uid",
        "start",
        "end",
        "direction",
        "origin",
        "destination",
        "id",
    ]
    assert body == {
        "id_user": call_rig.id_user,
        "id_phone": call_rig.id_phone,
        "uid": row.uid,
        "start": row.start,
        "end": None,
        "direction": "inbound",
        "origin": CALLER,
        "destination": None,
        "id": row.id,
    }
    received = [entry for entry in logs if entry["event"] == "call_received"]
    assert len(received) == 1
    assert received[0]["origin"] == CALLER


async def _ended(rig) -> bool:
    rows = await calls.list_calls(rig.db, rig.id_user)
    return bool(rows) and rows[0].end is not None


async def test_modem_without_caller_id_still_works(call_rig) -> None:
    modem = await call_rig.start(Faults(caller_id=False))
    assert call_rig.virtual.settings.clip == 0
    segments = pdu.encode_submit(CALLER, "still sending")
    assert len(await modem.send(segments)) == 1
    assert await call_rig.pty.ring(CALLER, rings=3, interval=2.0)
    await until(lambda: _ended(call_rig))
    row = await only_call(call_rig)
    assert row.origin is None
    assert call_rig.virtual.hangups == ["ATH"]


async def test_ring_without_clip_stores_an_unknown_origin(call_rig) -> None:
    await call_rig.start()
    assert await call_rig.pty.ring(None, rings=3, interval=2.0)
    await until(lambda: _ended(call_rig))
    row = await only_call(call_rig)
    assert row.origin is None
    assert call_rig.virtual.hangups == ["ATH"]


async def test_without_hangup_the_call_rings_out_and_ends_on_no_carrier(call_rig) -> None:
    await call_rig.start(hangup_calls=False)
    ring = asyncio.create_task(
        call_rig.pty.ring(CALLER, rings=2, interval=0.5, end_urc="NO CARRIER")
    )
    await until(lambda: _recorded(call_rig))
    row = await only_call(call_rig)
    assert row.end is None  # recorded while it still rings
    assert not await ring  # the caller gave up: nobody hung up
    await until(lambda: _ended(call_rig))
    assert call_rig.virtual.hangups == []
    row = await only_call(call_rig)
    assert row.origin == CALLER
    assert row.end is not None


async def test_huawei_cend_ends_a_call(call_rig) -> None:
    await call_rig.start(hangup_calls=False)
    assert not await call_rig.pty.ring(CALLER, rings=1, interval=0.3, end_urc="^CEND:1,0,104,16")
    await until(lambda: _ended(call_rig))
    assert call_rig.virtual.hangups == []


async def _recorded(rig) -> bool:
    return bool(await calls.list_calls(rig.db, rig.id_user))


async def test_engine_records_calls_of_its_phones(call_rig) -> None:
    engine = Engine(call_rig.db, id_user=call_rig.id_user)
    pty = PtyModem(VirtualModem(name="e1"))
    path = await pty.start()
    try:
        phone = await engine.add_phone(
            PhoneConfig(name="e1", device=path, health_interval=0.5, command_timeout=1.0)
        )
        await asyncio.wait_for(phone.modem.ready.wait(), timeout=10)
        assert await pty.ring(CALLER, rings=3, interval=2.0)
        await until(lambda: _ended(call_rig))
        row = await only_call(call_rig)
        assert (row.id_phone, row.origin) == (phone.id_phone, CALLER)
        assert pty.modem.hangups == ["ATH"]
    finally:
        await engine.close()
        await pty.stop()


async def test_engine_passes_hangup_calls_off_to_the_modem(call_rig) -> None:
    engine = Engine(call_rig.db, id_user=call_rig.id_user)
    pty = PtyModem(VirtualModem(name="e2"))
    path = await pty.start()
    try:
        phone = await engine.add_phone(
            PhoneConfig(
                name="e2",
                device=path,
                health_interval=0.5,
                command_timeout=1.0,
                hangup_calls=False,
            )
        )
        await asyncio.wait_for(phone.modem.ready.wait(), timeout=10)
        assert phone.modem.config.hangup_calls is False
        assert not await pty.ring(CALLER, rings=1, interval=0.3, end_urc="NO CARRIER")
        await until(lambda: _ended(call_rig))
        assert pty.modem.hangups == []  # rang out: nobody hung up
        assert (await only_call(call_rig)).origin == CALLER
    finally:
        await engine.close()
        await pty.stop()
