"""USSD in the runtime, over pseudo-terminals: sessions beside a batch of SMS, the balance watch.

- A USSD request made while 20 SMS are being sent holds no SMS back by more than one submit and
  corrupts none; its answer arrives in the middle of the batch.
- The balance watch parks a phone whose balance is below its minimum (``no_credit``, one
  ``phone_balance_low`` webhook event), its messages leave through the other phone, and it is
  ``available`` again once the balance is back above the minimum.
- A SIM-class submit error triggers a balance check at once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics

from support.engine import schedule
from support.polling import until

from smsd.modem.virtual import Faults
from smsd.store import webhooks as webhook_store

SUBMIT = 0.05


async def sent_count(rig) -> int:
    found = await rig.db.fetchone("SELECT count(*) AS n FROM sended WHERE state = 'sent'")
    return int(found["n"])


async def test_ussd_beside_twenty_sms_delays_none_beyond_one_submit(rig) -> None:
    phone = await rig.add("m1", Faults(submit_delay=SUBMIT))
    virtual = rig.modems["m1"].modem
    virtual.ussd.delay = 0.3
    await rig.start()
    numbers = [f"+336120000{i:02d}" for i in range(20)]
    for number in numbers:
        await schedule(rig, f"batch for {number}", number)
    await until(lambda: len(virtual.submitted) >= 3)
    loop = asyncio.get_running_loop()
    asked = loop.time()
    row = await rig.engine.ussd.start(
        id_user=rig.id_user, id_phone=phone.id_phone, code="*100#", wait=10
    )
    answered = loop.time()
    assert (row.status, row.answer) == ("done", "Your balance is 12,50 EUR.")
    await until(lambda: sent_count(rig), timeout=30)
    await until(lambda: _all_sent(rig, 20), timeout=30)

    # none corrupted, none twice: each number got its own text once
    wire = [(s.decoded.destination, s.decoded.text) for s in virtual.submitted]
    assert sorted(wire) == sorted((n, f"batch for {n}") for n in numbers)
    # the answer came while the batch was still going
    times = [s.at for s in virtual.submitted]
    assert times[0] < asked
    assert answered < times[-1]
    # no gap between two submits exceeds the usual gap by more than one submit
    gaps = [b - a for a, b in itertools.pairwise(times)]
    usual = statistics.median(gaps)
    assert max(gaps) <= usual + SUBMIT + 0.1, (max(gaps), usual)
    stored = await rig.engine.ussd.get(id_user=rig.id_user, id_ussd=row.id)
    assert [step.request for step in stored.steps] == ["*100#"]


async def _all_sent(rig, count: int) -> bool:
    return await sent_count(rig) == count


async def test_balance_watch_parks_a_low_phone_and_restores_it(rig) -> None:
    await webhook_store.create_webhook(
        rig.db, id_user=rig.id_user, url="http://127.0.0.1:9/hook", type_="phone_balance_low",
        secret="s" * 64,
    )  # fmt: skip
    watched = await rig.add(
        "m1",
        priority=5,
        balance_ussd="*100#",
        balance_min=5,
        balance_interval=0.3,
        balance_pattern=r"balance is ([\d ]+(?:,\d+)?)",
    )
    other = await rig.add("m2", priority=1)
    rig.modems["m1"].modem.ussd.balance = "2,00"
    await rig.start()
    await until(lambda: watched.balance.low)
    assert watched.balance.amount == 2.0
    assert watched.status.value == "no_credit"
    assert not watched.available
    assert other.available

    await schedule(rig, "while parked", "+33611111111", "+33622222222")
    await until(lambda: _all_sent(rig, 2))
    assert [s.text for s in rig.wire("m2")] == ["while parked", "while parked"]
    assert rig.wire("m1") == []

    checks = len(rig.modems["m1"].modem.ussd.requests)
    await until(lambda: len(rig.modems["m1"].modem.ussd.requests) >= checks + 2)
    rig.modems["m1"].modem.ussd.balance = "1 234,56"
    await until(lambda: not watched.balance.low)
    assert watched.balance.amount == 1234.56
    assert watched.status.value == "available"
    await schedule(rig, "credit back", "+33633333333")
    await until(lambda: _all_sent(rig, 3))
    assert [s.text for s in rig.wire("m1")] == ["credit back"]

    events = await rig.db.fetchall(
        "SELECT body FROM webhook_event WHERE type = 'phone_balance_low'"
    )
    assert len(events) == 1  # one fall, one event, however many checks found it low
    body = json.loads(events[0]["body"])
    assert (body["name"], body["balance"], body["balance_min"]) == ("m1", 2.0, 5.0)
    stored = await rig.db.fetchone("SELECT amount, low FROM phone_balance")
    assert (stored["amount"], stored["low"]) == (1234.56, 0)
    origins = await rig.db.fetchall("SELECT DISTINCT origin, status FROM ussd")
    assert [(r["origin"], r["status"]) for r in origins] == [("balance", "done")]


async def test_sim_error_checks_the_balance_at_once(rig) -> None:
    watched = await rig.add(
        "m1",
        Faults(cms_errors=[69]),  # requested facility not implemented: SIM class
        priority=5,
        balance_ussd="*100#",
        balance_min=5,
        balance_interval=3600,
    )
    await rig.add("m2", priority=1)
    virtual = rig.modems["m1"].modem
    await rig.start()
    await until(lambda: watched.balance.amount is not None)
    assert len(virtual.ussd.requests) == 1
    await schedule(rig, "sim error", "+33611111111")
    await until(lambda: len(virtual.ussd.requests) == 2)  # checked at once, not in an hour
    await until(lambda: watched.status.value == "available")  # 12,50 >= 5: not out of credit
    await until(lambda: _all_sent(rig, 1))


async def test_messages_queued_for_a_phone_that_runs_low_leave_through_the_other(rig) -> None:
    watched = await rig.add(
        "m1",
        Faults(submit_delay=0.15),
        priority=5,
        balance_ussd="*100#",
        balance_min=5,
        balance_interval=3600,
    )
    await rig.add("m2", priority=1)
    virtual = rig.modems["m1"].modem
    await rig.start()
    await until(lambda: watched.balance.amount == 12.5)
    numbers = [f"+336130000{i:02d}" for i in range(10)]
    for number in numbers:
        await schedule(rig, f"queued for {number}", number)
    await until(lambda: len(virtual.submitted) >= 2)
    virtual.ussd.balance = "1,00"
    watched.balance.due.set()  # as a SIM-class refusal would
    await until(lambda: watched.balance.low)
    assert watched.status.value == "no_credit"
    await until(lambda: _all_sent(rig, 10), timeout=30)
    first, second = rig.wire("m1"), rig.wire("m2")
    assert 2 <= len(first) < 10
    assert len(first) + len(second) == 10
    assert sorted(s.destination for s in first + second) == numbers


async def test_a_failed_check_changes_nothing(rig) -> None:
    watched = await rig.add("m1", balance_ussd="*404#", balance_min=5, balance_interval=3600)
    await rig.start()
    await until(lambda: bool(watched.balance.error))
    assert "not_supported" in watched.balance.error
    assert watched.balance.amount is None
    assert not watched.balance.low
    assert watched.status.value == "available"
    assert await rig.db.fetchall("SELECT * FROM phone_balance") == []
