"""An inserted webhook event wakes the sender: a delivery does not wait for the poll."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from support.polling import until
from webhook_helpers import FAST, Receiver

from smsd.errors import StoreError
from smsd.store import inbox
from smsd.store import webhooks as store
from smsd.webhooks import WebhookSender
from smsd.webhooks import sender as sender_module

SECRET = "5" * 64
SLOW_POLL = 60.0  # far longer than the test: only the wake can start the delivery


async def test_an_event_committed_is_delivered_without_waiting_for_the_poll(
    db, user, phone, receiver
) -> None:
    await store.create_webhook(
        db, id_user=user, url=receiver.url(), type_="receive_sms", secret=SECRET
    )
    sender = WebhookSender(db, FAST, poll_interval=SLOW_POLL)
    await sender.start()
    try:
        await asyncio.sleep(0.3)  # the first poll came and went: the sender sleeps now
        started = time.monotonic()
        await inbox.store_received(
            db, id_user=user, id_phone=phone, origin="+33612345678", text="wake up",
            at="2024-01-01 10:00:00", dedupe_key="wake",
        )  # fmt: skip
        await until(lambda: receiver.hits, timeout=5)
        assert time.monotonic() - started < 2.0
    finally:
        await sender.stop(grace=0.5)


async def test_a_stopped_sender_posts_nothing_when_events_come(db, user, phone, receiver) -> None:
    await store.create_webhook(
        db, id_user=user, url=receiver.url(), type_="receive_sms", secret=SECRET
    )
    sender = WebhookSender(db, FAST, poll_interval=SLOW_POLL)
    await sender.start()
    await sender.stop(grace=0.1)
    await inbox.store_received(
        db, id_user=user, id_phone=phone, origin="+33612345678", text="nobody listens",
        at="2024-01-01 10:00:00", dedupe_key="stopped",
    )  # fmt: skip
    await asyncio.sleep(0.5)
    assert receiver.hits == []


# ---------------------------------------------------------------------- timers after a look
#
# The sender looks for due events (the dispatch), then works out how long to sleep. An event
# that comes due between the two must not be left to the safety net (here a minute, far longer
# than these tests), nor may an event held back behind a delivery hide a later retry.


class TickingClock:
    """Unix seconds that move on by ``step`` at every reading: no two readings are equal."""

    def __init__(self, start: float, step: float) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value


async def test_an_event_due_between_the_look_and_the_sleep_is_posted_at_once(
    db, user, phone, receiver
) -> None:
    await store.create_webhook(
        db, id_user=user, url=receiver.url(), type_="receive_sms", secret=SECRET
    )
    await inbox.store_received(
        db, id_user=user, id_phone=phone, origin="+33612345678", text="between",
        at="2024-01-01 10:00:00", dedupe_key="between",
    )  # fmt: skip
    clock = TickingClock(time.time(), step=1.0)
    # Due half a step after the first reading (the dispatch's look), so already due at the
    # next one (the sleep's): exactly the interleaving a busy loop meets by chance.
    await db.execute("UPDATE webhook_event SET next_attempt_at = ?", (clock.now + 0.5,))
    sender = WebhookSender(db, FAST, poll_interval=SLOW_POLL, clock=clock)
    await sender.start()
    try:
        await until(lambda: receiver.hits, timeout=10)
    finally:
        await sender.stop(grace=0.5)
    assert len(receiver.hits) == 1


async def _url_event(db, user: int, url: str, subject: str) -> int:
    async def body(conn):
        return await store.add_event(
            conn, id_user=user, type_="receive_sms", subject=subject, body={"n": subject},
            url=url,
        )  # fmt: skip

    return await db.atomic("test_event", body)


async def test_a_retry_is_not_hidden_by_an_event_waiting_for_a_busy_receiver(db, user) -> None:
    # The slow receiver takes one delivery at a time (per_target 1) and holds it: its second
    # event is due all along but waits for a slot. The failing receiver's retry comes due
    # later; it must be slept for, not hidden behind the older due event.
    slow, failing = Receiver(delay=60.0), Receiver(fail_first=1)
    await slow.start()
    await failing.start()
    # the slow delivery neither times out nor ends during the test: it wakes nothing
    config = replace(FAST, timeout=30.0, per_target=1, retry_initial=0.3, retry_max=0.3)
    sender = WebhookSender(db, config, poll_interval=SLOW_POLL, rand=lambda: 1.0)
    try:
        await _url_event(db, user, slow.url(), "s1")
        await _url_event(db, user, slow.url(), "s2")
        await sender.start()
        await until(lambda: slow.tries, timeout=10)
        await _url_event(db, user, failing.url(), "f1")
        await until(lambda: failing.hits, timeout=20)
    finally:
        await sender.stop(grace=0.2)
        await slow.stop()
        await failing.stop()
    first, second = failing.tries
    # retried after 0.3 s plus the whole jitter (20 %): 0.36 s, not after the slow delivery's
    # timeout (30 s) or the poll (60 s)
    assert 0.35 < second.at - first.at < 10.0
    assert len(slow.tries) == 1


async def test_a_store_error_is_retried_before_the_poll(db, user, phone, receiver, monkeypatch):
    await store.create_webhook(
        db, id_user=user, url=receiver.url(), type_="receive_sms", secret=SECRET
    )
    real = store.due_events
    refusals = []

    async def refuse_once(*args, **kwargs):
        if refusals == ["armed"]:
            refusals.append("refused")
            raise StoreError("disk I/O error")
        return await real(*args, **kwargs)

    monkeypatch.setattr(store, "due_events", refuse_once)
    monkeypatch.setattr(sender_module, "STORE_RETRY", 0.2)
    sender = WebhookSender(db, FAST, poll_interval=SLOW_POLL)
    await sender.start()
    try:
        await asyncio.sleep(0.3)  # the first look came and went: the sender sleeps now
        refusals.append("armed")  # the look the new event wakes fails
        await inbox.store_received(
            db, id_user=user, id_phone=phone, origin="+33612345678", text="refused once",
            at="2024-01-01 10:00:00", dedupe_key="refused",
        )  # fmt: skip
        await until(lambda: receiver.hits, timeout=10)
    finally:
        await sender.stop(grace=0.5)
    assert refusals == ["armed", "refused"]
