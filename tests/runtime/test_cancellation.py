"""Cancel the sender at each await of the send path; the row, the lock and the channel stay sound.

The send path of one two-segment message: ``claim_next`` → per segment (``AT+CMGS`` prompt, PDU
submit) → ``mark_segment_sent`` after the first, ``mark_sent`` (which records the last segment too)
after the second (``mark_sent_and_claim``: the next message is claimed in the same commit);
``requeue`` after a temporary refusal. The sender task is cancelled at each of
these awaits (store calls: the task cancels itself as it enters the call; modem calls: the test
cancels it while the virtual modem holds the prompt or the network's answer back). Afterwards:

* the segment in flight (prompt asked, PDU written, answer awaited or being recorded) finishes
  and is recorded ``sent`` with its reference; the segments not yet begun go back to the queue,
  so the row is ``sent`` when nothing was left, else ``queued`` (the next sender sends the rest);
* the AT transport's lock is free (a following command works) and its channel idle or closed;
* a new sender started after the recovery never submits a segment of it a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from support.polling import until

from smsd.at.channel import State
from smsd.modem.virtual import Faults
from smsd.runtime import failures as failures_module
from smsd.runtime import sender as sender_module
from smsd.runtime.sender import Sender
from smsd.store import outbox
from smsd.store.outbox import Recipient

if TYPE_CHECKING:
    from collections.abc import Callable

LONG = "Your parcel is on its way and will arrive tomorrow between 9 and 12, signature needed. " * 2
SLOW = 0.6  # seconds the virtual modem holds the prompt or the network's answer back


@dataclass(frozen=True)
class Case:
    """Where the sender is cancelled, and what must hold afterwards."""

    point: str
    store_call: str | None = None
    nth: int = 1
    segments_on_wire: int = 0
    after_cancel: str = "sending"
    after_recovery: str = "unknown"
    faults: Callable[[], Faults] = Faults
    """Builds the virtual modem's fault switches (a fresh :class:`Faults` per test)."""


CASES = [
    Case("claim", store_call="claim_next", after_cancel="queued", after_recovery="sent"),
    Case("prompt-1", segments_on_wire=1, after_cancel="queued", after_recovery="sent",
         faults=lambda: Faults(prompt_delay=SLOW)),
    Case("submit-1", segments_on_wire=1, after_cancel="queued", after_recovery="sent",
         faults=lambda: Faults(submit_delay=SLOW)),
    Case("mark_segment_sent-1", store_call="mark_segment_sent", segments_on_wire=1,
         after_cancel="queued", after_recovery="sent"),
    Case("prompt-2", segments_on_wire=2, after_cancel="sent", after_recovery="sent",
         faults=lambda: Faults(prompt_delay=SLOW)),
    Case("submit-2", segments_on_wire=2, after_cancel="sent", after_recovery="sent",
         faults=lambda: Faults(submit_delay=SLOW)),
    # A phone free to go on records the send and claims its next message in one transition.
    Case("mark_sent", store_call="mark_sent_and_claim", segments_on_wire=2, after_cancel="sent",
         after_recovery="sent"),
    Case("requeue", store_call="requeue", after_cancel="queued", after_recovery="sent",
         faults=lambda: Faults(cms_errors=[38])),
]  # fmt: skip


def sender_task(phone) -> asyncio.Task[None]:
    return next(t for t in phone.tasks if t.get_name().startswith("sender:"))


def cancel_sender_in(monkeypatch, name: str, nth: int) -> list[tuple]:
    """Make the sender task cancel itself as it awaits its ``nth`` call of ``outbox.<name>``."""
    original = getattr(outbox, name)
    calls: list[tuple] = []

    async def cancelled_here(*args, **kwargs):
        task = asyncio.current_task()
        if task is not None and task.get_name().startswith("sender:"):
            calls.append(args)
            if len(calls) == nth:
                # The store calls run in the sender's child tasks ("sender:m1:claim", ...):
                # cancel the sender itself, as a stop does, while the call is under way.
                root = ":".join(task.get_name().split(":")[:2])
                next(t for t in asyncio.all_tasks() if t.get_name() == root).cancel()
        return await original(*args, **kwargs)

    monkeypatch.setattr(outbox, name, cancelled_here)
    return calls


async def cancel_in_modem(rig, phone, case: Case) -> None:
    """Cancel the sender while the modem holds back the prompt or the answer of a segment."""
    vm = rig.modems["m1"].modem
    seq = int(case.point.rsplit("-", 1)[1])
    if case.point.startswith("prompt"):
        # The PDU state begins as the modem reads AT+CMGS=<n>; its "> " is SLOW seconds away.
        await until(lambda: len(vm.submitted) == seq - 1 and vm.awaiting_pdu, timeout=10)
    else:
        # The network took the PDU; its +CMGS answer is SLOW seconds away.
        await until(lambda: len(vm.submitted) == seq, timeout=10)
    sender_task(phone).cancel()


async def wire_counts(rig) -> dict[tuple[str, int], int]:
    counts: dict[tuple[str, int], int] = {}
    for submit in rig.wire("m1"):
        key = (submit.destination, submit.concat.sequence if submit.concat else 1)
        counts[key] = counts.get(key, 0) + 1
    return counts


async def channel_sound(rig, phone) -> None:
    """The lock is free, the channel idle or closed, and a following command works."""
    transport = phone.modem._transport
    assert transport is not None, phone.modem.last_error
    await until(lambda: not transport.busy, timeout=10)
    assert transport.closed or transport._channel.state is State.IDLE
    assert not transport.closed, phone.modem.last_error  # nothing here should break the port
    async with asyncio.timeout(5):
        await transport.command("AT")
    assert transport._channel.state is State.IDLE
    assert not rig.modems["m1"].modem.awaiting_pdu  # no prompt left open on the modem


async def schedule(rig, text: str, number: str) -> int:
    await outbox.create_scheduled(
        rig.db, id_user=rig.id_user, text=text, at=None, numbers=[Recipient(number=number)]
    )
    rig.engine.wake()
    await rig.engine.dispatcher.expand_due()
    found = await rig.db.fetchone("SELECT id FROM sended WHERE destination = ?", (number,))
    assert found is not None
    return int(found["id"])


async def row_state(rig, id_sended: int) -> tuple[str, str | None, list[tuple[str, int | None]]]:
    message = await rig.db.fetchone("SELECT state, uid FROM sended WHERE id = ?", (id_sended,))
    assert message is not None
    segments = await rig.db.fetchall(
        "SELECT state, reference FROM sended_segment WHERE id_sended = ? ORDER BY seq",
        (id_sended,),
    )
    return (
        str(message["state"]),
        message["uid"],
        [(str(s["state"]), s["reference"]) for s in segments],
    )


async def cancel_at(rig, monkeypatch, case: Case):
    """Start a phone, send LONG to one number, cancel the sender at ``case``; return the row id."""
    monkeypatch.setattr(failures_module, "retry_delay", lambda _attempts: 0.0)
    # No health checks in between: the AT traffic on the port is the send path's alone.
    phone = await rig.add("m1", case.faults(), health_interval=60.0)
    if case.store_call == "claim_next":  # the sender's own claim, not one made on acceptance
        hook = rig.db.accept_expansion
        monkeypatch.setattr(rig.db, "accept_expansion", dataclasses.replace(hook, claimant=None))
    if case.store_call is not None:
        calls = cancel_sender_in(monkeypatch, case.store_call, case.nth)
    await rig.start()
    id_sended = await schedule(rig, LONG, "+33611111111")
    if case.store_call is None:
        await cancel_in_modem(rig, phone, case)
    else:
        await until(lambda: len(calls) >= case.nth, timeout=10)
    with contextlib.suppress(asyncio.CancelledError):
        await sender_task(phone)
    assert sender_task(phone).cancelled()
    # A cancelled caller never leaves a slowed-down modem answer half read: wait it out.
    rig.modems["m1"].modem.faults.prompt_delay = rig.modems["m1"].modem.faults.submit_delay = 0
    return phone, id_sended


async def restart_sender(rig, phone) -> None:
    """What the next start does: recover, then a fresh sender on the same modem."""
    await outbox.recover_interrupted(rig.db)
    fresh = Sender(rig.db, phone, peers=lambda: list(rig.engine.phones.values()))
    task = asyncio.ensure_future(fresh.run())
    task.set_name("sender:m1:restarted")
    phone.tasks.append(task)


@pytest.mark.parametrize("case", CASES, ids=[c.point for c in CASES])
async def test_cancel_at_each_await_leaves_a_defined_state(rig, monkeypatch, case: Case) -> None:
    phone, id_sended = await cancel_at(rig, monkeypatch, case)
    await channel_sound(rig, phone)
    monkeypatch.undo()  # the store calls are real again for what follows

    state, uid, segments = await row_state(rig, id_sended)
    on_wire = await wire_counts(rig)
    assert sum(on_wire.values()) == case.segments_on_wire
    assert state == case.after_cancel, (state, segments)
    for (seg_state, reference), seq in zip(segments, (1, 2), strict=True):
        if seg_state == "sent":
            assert reference is not None  # sent always carries its TP-MR
            assert on_wire.get(("+33611111111", seq)) == 1
    if state == "sent":
        assert uid is not None
        assert len(uid.split(",")) == 2

    await restart_sender(rig, phone)
    follow_up = await schedule(rig, "after the restart", "+33622222222")
    await until(lambda: _settled(rig, follow_up), timeout=15)
    state, _uid, segments = await row_state(rig, id_sended)
    assert state == case.after_recovery, (state, segments)
    if state == "unknown":
        reason = await rig.db.fetchone("SELECT reason FROM sended WHERE id = ?", (id_sended,))
        assert reason is not None
        assert reason["reason"] == outbox.INTERRUPTED
    on_wire = await wire_counts(rig)
    assert all(count == 1 for count in on_wire.values()), on_wire  # nothing sent twice
    assert on_wire.get(("+33622222222", 1)) == 1


async def _settled(rig, id_sended: int) -> bool:
    found = await rig.db.fetchone("SELECT state FROM sended WHERE id = ?", (id_sended,))
    return found is not None and found["state"] == "sent"


async def test_cancel_while_the_pdu_is_in_flight_records_its_reference(rig, monkeypatch) -> None:
    case = Case("submit-1", segments_on_wire=1, faults=lambda: Faults(submit_delay=SLOW))
    phone, id_sended = await cancel_at(rig, monkeypatch, case)
    await channel_sound(rig, phone)
    state, _uid, segments = await row_state(rig, id_sended)
    [submitted] = rig.modems["m1"].modem.submitted
    assert segments == [("sent", submitted.reference), ("queued", None)]
    assert state == "queued"  # the second segment waits for the next sender


async def test_cancel_before_any_pdu_left_puts_the_message_back(rig, monkeypatch) -> None:
    case = next(c for c in CASES if c.point == "claim")
    phone, id_sended = await cancel_at(rig, monkeypatch, case)
    await channel_sound(rig, phone)
    assert rig.wire("m1") == []
    state, _uid, _segments = await row_state(rig, id_sended)
    assert state == "queued"


async def test_engine_close_lets_the_segment_in_flight_finish(rig) -> None:
    await rig.add("m1", Faults(submit_delay=SLOW))
    await rig.start()
    id_sended = await schedule(rig, "short one", "+33611111111")
    vm = rig.modems["m1"].modem
    await until(lambda: len(vm.submitted) == 1, timeout=10)
    await rig.engine.close()
    state, _uid, segments = await row_state(rig, id_sended)
    assert segments == [("sent", vm.submitted[0].reference)]
    assert state == "sent"


async def test_cancel_as_the_next_message_rides_with_the_send_hands_it_back(
    rig, monkeypatch
) -> None:
    """The message claimed with the last ``mark_sent`` is never submitted: it goes back."""
    phone = await rig.add("m1", Faults(submit_delay=0.3), health_interval=60.0)
    calls = cancel_sender_in(monkeypatch, "mark_sent_and_claim", 1)
    await rig.start()
    first = await schedule(rig, "first", "+33611111111")
    second = await schedule(rig, "second", "+33622222222")
    await until(lambda: len(calls) >= 1, timeout=10)
    with contextlib.suppress(asyncio.CancelledError):
        await sender_task(phone)
    await channel_sound(rig, phone)
    monkeypatch.undo()
    assert (await row_state(rig, first))[0] == "sent"
    assert (await row_state(rig, second))[0] == "queued"  # claimed, then handed back
    reason = await rig.db.fetchone("SELECT reason FROM sended WHERE id = ?", (second,))
    assert reason is not None
    assert reason["reason"] == sender_module.STOPPED  # it was claimed with the send
    assert await wire_counts(rig) == {("+33611111111", 1): 1}

    await restart_sender(rig, phone)
    await until(lambda: _settled(rig, second), timeout=15)
    assert await wire_counts(rig) == {("+33611111111", 1): 1, ("+33622222222", 1): 1}


async def test_a_sender_stopped_while_the_acceptance_claims_for_it_hands_the_claim_back(
    rig, monkeypatch
) -> None:
    """Offered to claim on acceptance, then cancelled before the commit: the message goes back
    to the queue (no attempt counted), and the next start sends it once."""
    phone = await rig.add("m1", health_interval=60.0)
    await rig.start()
    offers: list[object] = []
    real_offer = Sender.offer

    def offer_then_stop(self, now):
        taken = real_offer(self, now)
        if taken is not None:
            offers.append(taken)
            sender_task(phone).cancel()  # a stop, before the accepting transaction commits
        return taken

    monkeypatch.setattr(Sender, "offer", offer_then_stop)
    id_sended = await schedule(rig, LONG, "+33611111111")
    assert len(offers) == 1
    with contextlib.suppress(asyncio.CancelledError):
        await sender_task(phone)

    async def queued() -> bool:
        return (await row_state(rig, id_sended))[0] == "queued"

    for _ in range(100):
        if await queued():
            break
        await asyncio.sleep(0.05)
    state, _uid, segments = await row_state(rig, id_sended)
    assert state == "queued", (state, segments)
    row = await rig.db.fetchone("SELECT attempts, id_phone FROM sended WHERE id = ?", (id_sended,))
    assert row is not None
    assert row["attempts"] == 0
    assert await wire_counts(rig) == {}

    monkeypatch.undo()
    await restart_sender(rig, phone)
    await until(lambda: len(rig.wire("m1")) >= 2, timeout=10)
    await asyncio.sleep(0.2)
    assert await wire_counts(rig) == {("+33611111111", 1): 1, ("+33611111111", 2): 1}
    assert (await row_state(rig, id_sended))[0] == "sent"
