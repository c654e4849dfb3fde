"""The runtime end to end: store → dispatcher → sender → modem over a pty, and back."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime

from support.engine import schedule
from support.polling import until

from smsd import pdu
from smsd.config import LimitConfig
from smsd.modem.virtual import Faults
from smsd.runtime.dispatcher import Dispatcher
from smsd.store import accounts, outbox
from smsd.templating.messages import render_message, resolve_conditional

LONG = "Your parcel is on its way and will arrive tomorrow between 9 and 12. " * 3


async def states(rig, ids=None):
    rows = await rig.db.fetchall("SELECT id, state, status, reason FROM sended ORDER BY id")
    return {
        row["id"]: (row["state"], row["status"], row["reason"])
        for row in rows
        if ids is None or row["id"] in ids
    }


async def all_in(rig, wanted: set[str], count: int):
    found = await states(rig)
    return len(found) == count and all(state in wanted for state, _s, _r in found.values())


async def test_scheduled_message_is_sent_and_recorded(rig) -> None:
    await rig.add("m1")
    await rig.start()
    await schedule(rig, LONG, "+33612345678", "+33698765432", "+33612345678")
    await until(lambda: all_in(rig, {"sent"}, 2))
    wire = rig.wire()
    per_destination: dict[str, list] = {}
    for submit in wire:
        per_destination.setdefault(submit.destination, []).append(submit)
    assert set(per_destination) == {"+33612345678", "+33698765432"}
    for parts in per_destination.values():
        parts.sort(key=lambda s: s.concat.sequence)
        assert "".join(p.text for p in parts) == LONG
    rows = await rig.db.fetchall("SELECT uid, status FROM sended")
    assert all(row["status"] == "unknown" and row["uid"] for row in rows)


async def test_priority_jumps_the_queue(rig) -> None:
    await rig.add("m1", Faults(submit_delay=0.05))
    await rig.start()
    await schedule(rig, "campaign", *[f"+3361234{i:04d}" for i in range(15)])
    await until(lambda: len(rig.wire()) >= 2)
    await schedule(rig, "code 123456", "+33700000000", priority=10)
    await until(lambda: all_in(rig, {"sent"}, 16))
    order = [s.text for s in rig.wire()]
    assert order.index("code 123456") <= 4


async def test_limit_reached_stops_the_phone(rig) -> None:
    phone = await rig.add("m1", limits=(LimitConfig(volume=3, startpoint="today"),))
    await rig.start()
    await schedule(rig, "hello", *[f"+3361234{i:04d}" for i in range(5)])
    await until(lambda: len(rig.wire()) == 3)
    await asyncio.sleep(0.5)
    assert len(rig.wire()) == 3
    assert phone.limit_reached
    assert phone.status.value == "limit_reached"


async def test_min_interval_paces_sends(rig) -> None:
    await rig.add("m1", min_interval=0.3)
    await rig.start()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await schedule(rig, "paced", "+33611111111", "+33622222222", "+33633333333")
    await until(lambda: all_in(rig, {"sent"}, 3))
    assert loop.time() - started >= 0.6


async def test_temporary_error_is_retried_then_fails_over(rig) -> None:
    first = await rig.add("m1", Faults(cms_errors=[38, 38, 38, 38]), priority=5)
    await rig.add("m2", priority=1)
    await rig.start()
    await schedule(rig, "fail me over", "+33611111111")
    await until(lambda: all_in(rig, {"sent"}, 1))
    assert [s.text for s in rig.wire("m2")] == ["fail me over"]
    assert first.modem.counters.send_failures >= 1


async def test_permanent_error_fails_the_message(rig) -> None:
    await rig.add("m1", Faults(cms_errors=[1]))
    await rig.start()
    await schedule(rig, "nobody", "+33611111111")
    await until(lambda: all_in(rig, {"failed"}, 1))
    [(_state, status, reason)] = (await states(rig)).values()
    assert status == "failed"
    assert "CMS ERROR: 1" in reason


async def test_status_report_for_each_segment_marks_delivered(rig) -> None:
    await rig.add("m1", Faults(auto_status_reports=True), delivery_reports=True)
    await rig.start()
    await schedule(rig, LONG, "+33611111111")
    await until(lambda: all_in(rig, {"delivered"}, 1))
    [(_state, status, _reason)] = (await states(rig)).values()
    assert status == "delivered"
    assert all(s.status_report_request for s in rig.wire())


async def test_unplug_mid_batch_fails_over_and_marks_in_flight(rig) -> None:
    await rig.add("m1", Faults(submit_delay=0.05), priority=5)
    await rig.add("m2", priority=1)
    await rig.start()
    await schedule(rig, "batch", *[f"+3361234{i:04d}" for i in range(20)])
    await until(lambda: len(rig.wire("m1")) >= 3)
    await rig.modems["m1"].unplug()
    await until(lambda: all_in(rig, {"sent", "unknown"}, 20), timeout=30)
    found = await states(rig)
    sent = [k for k, v in found.items() if v[0] == "sent"]
    unknown = [k for k, v in found.items() if v[0] == "unknown"]
    assert len(sent) + len(unknown) == 20
    assert len(unknown) <= 1
    destinations = [s.destination for s in rig.wire()]
    assert len(destinations) == len(set(destinations))  # nothing sent twice


async def test_incoming_message_is_stored_then_deleted(rig) -> None:
    await rig.add("m1")
    await rig.start()
    await rig.modems["m1"].deliver("+33611111111", "hello smsd")
    await until(lambda: rig.db.fetchall("SELECT * FROM received"))
    [row] = await rig.db.fetchall("SELECT origin, text, status, id_phone FROM received")
    assert (row["origin"], row["text"], row["status"]) == ("+33611111111", "hello smsd", "unread")


async def test_hundred_concatenated_parts_out_of_order(rig) -> None:
    await rig.add("m1", Faults(storage_capacity=200))
    await rig.start()
    vm = rig.modems["m1"]
    text = "".join(chr(0x41 + i % 26) for i in range(153 * 100))
    parts = pdu.encode_deliver(
        "+33622222222",
        text,
        timestamp=datetime.now().astimezone(),
        concat_reference=77,
    )
    assert len(parts) == 100
    random.Random(5).shuffle(parts)
    for part in parts:
        await vm.deliver_pdu(part.pdu, part.tpdu_length)
    await until(lambda: rig.db.fetchall("SELECT * FROM received"), timeout=30)
    rows = await rig.db.fetchall("SELECT text, incomplete FROM received")
    assert len(rows) == 1
    assert rows[0]["text"] == text
    assert not rows[0]["incomplete"]
    assert not await rig.db.fetchall("SELECT * FROM received_part")


async def test_interrupted_sending_is_marked_not_resent(rig) -> None:
    await schedule(rig, "before the crash", "+33611111111")
    await rig.engine.dispatcher.expand_due()
    [message] = [m for m in [await outbox.next_queued(rig.db, phone_ids=[], now=1e12)] if m]
    phone_id = await rig.db.fetchone("SELECT 1")
    assert phone_id is not None
    await rig.add("m1")
    claimed = await outbox.claim(
        rig.db, message.id, id_phone=rig.engine.phones["m1"].id_phone, now=0
    )
    assert claimed
    # A crash here: the row stays in `sending`; the next start settles it.
    assert await rig.engine.recover() == 1
    await rig.start()
    await asyncio.sleep(0.5)
    [(state, _status, reason)] = (await states(rig)).values()
    assert state == "unknown"
    assert reason == "interrupted"
    assert rig.wire() == []


async def test_conditional_group_selects_contacts_at_send_time(rig) -> None:
    for name, number, data in (
        ("Ann", "+33611111111", '{"vip": "1", "city": "Lyon"}'),
        ("Bob", "+33622222222", '{"vip": "0", "city": "Lyon"}'),
        ("Cid", "+33633333333", '{"vip": "1", "city": "Nice"}'),
    ):
        await accounts.create_contact(
            rig.db, id_user=rig.id_user, name=name, number=number, data=data
        )
    group = await accounts.create_conditional_group(
        rig.db, id_user=rig.id_user, name="vip", condition="contact.vip == 1"
    )
    await rig.add("m1")
    rig.engine.dispatcher = Dispatcher(
        rig.db,
        wake_senders=rig.engine.wake_senders,
        render=render_message,
        resolve_conditional=resolve_conditional,
    )
    await rig.start()
    await outbox.create_scheduled(
        rig.db,
        id_user=rig.id_user,
        text="Hi {{ contact_metas.name }} from {{ contact.city }}",
        at=None,
        conditional_groups=[group],
    )
    rig.engine.wake()
    await until(lambda: all_in(rig, {"sent"}, 2))
    assert sorted(s.text for s in rig.wire()) == ["Hi Ann from Lyon", "Hi Cid from Nice"]
