"""An inserted webhook event wakes the sender: a delivery does not wait for the poll."""

from __future__ import annotations

import asyncio
import time

from webhook_helpers import FAST, wait_until

from smsd.store import inbox
from smsd.store import webhooks as store
from smsd.webhooks import WebhookSender

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
        await wait_until(lambda: receiver.hits, timeout=5)
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
