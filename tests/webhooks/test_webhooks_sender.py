"""Delivery over real loopback HTTP: format, retries, dead events, isolation, restarts, order."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import replace

from structlog.testing import capture_logs
from support.polling import until
from support.store import add_phone
from webhook_helpers import API_KEY, FAST, Receiver, events, queue, send

from smsd.store import accounts, inbox, outbox
from smsd.store import webhooks as store
from smsd.store.db import Database
from smsd.webhooks import (
    KeyRing,
    WebhookSender,
    raspisms_signature,
    retry_delay,
    verify_smsd_signature,
)

SECRET = "5" * 64


async def hook(db, user, url, type_="receive_sms", secret=SECRET) -> int:
    return await store.create_webhook(db, id_user=user, url=url, type_=type_, secret=secret)


async def receive(db, user, phone, *, origin="+33612345678", text="hi", key=None):
    return await inbox.store_received(
        db, id_user=user, id_phone=phone, origin=origin, text=text,
        at="2024-01-01 10:00:00", dedupe_key=key or f"{origin}-{text}",
    )  # fmt: skip


@contextlib.asynccontextmanager
async def running(db, config=FAST, **kw):
    sender = WebhookSender(db, config, **kw)
    await sender.start()
    try:
        yield sender
    finally:
        await sender.stop(grace=0.5)


async def states(db) -> dict[str, int]:
    return await store.event_states(db)


def ring(user: int) -> KeyRing:
    """The daemon's key ring once it has seen the user's key (config, or one API call)."""
    keys = KeyRing()
    keys.remember(user, API_KEY)
    return keys


async def test_delivers_raspisms_form_signed(db, user, phone, receiver) -> None:
    await hook(db, user, receiver.url())
    rid = await receive(db, user, phone, text="a/b é & c")
    async with running(db, keys=ring(user)) as sender:
        sender.wake()
        await until(lambda: receiver.hits)
        await until(lambda: sender.in_flight == 0)
    [hit] = receiver.hits
    form = hit.form
    assert hit.path == "/hook"
    assert hit.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert list(form) == [
        "webhook_timestamp", "webhook_type", "webhook_random_id", "webhook_signature", "body",
    ]  # fmt: skip
    assert form["webhook_type"] == "receive_sms"
    assert form["webhook_random_id"].startswith(form["webhook_timestamp"] + "-")
    assert form["webhook_signature"] == raspisms_signature(form["webhook_random_id"], API_KEY)
    assert form["body"] == (
        f'{{"id":{rid},"at":"2024-01-01 10:00:00","text":"a\\/b \\u00e9 & c",'
        f'"destination":{phone},"origin":"+33612345678","command":false,"mms":false,'
        '"medias":[]}'
    )
    assert verify_smsd_signature(
        SECRET, hit.headers["X-Smsd-Timestamp"], hit.headers["X-Smsd-Signature"], hit.body,
        now=time.time(),
    )  # fmt: skip
    [event] = await events(db)
    assert hit.headers["X-Smsd-Event-Id"] == str(event["id"])
    assert (event["state"], event["attempts"]) == ("delivered", 1)
    assert event["finished_at"] is not None


async def test_retries_until_the_receiver_answers(db, user, phone, receiver) -> None:
    receiver.fail_first = 3
    await hook(db, user, receiver.url())
    await receive(db, user, phone)
    async with running(db):
        await until(lambda: receiver.hits)
    await until(lambda: states(db), timeout=5)
    assert len(receiver.tries) == 4
    # the same event on every attempt: same id, same RaspiSMS random id and timestamp
    assert len({t.headers["X-Smsd-Event-Id"] for t in receiver.tries}) == 1
    assert len({t.form["webhook_random_id"] for t in receiver.tries}) == 1
    [event] = await events(db)
    assert (event["state"], event["attempts"]) == ("delivered", 4)
    assert event["last_error"] is None


async def test_gives_up_after_max_age_and_logs_once(db, user, phone, receiver) -> None:
    receiver.fail_first = 10**6
    receiver.fail_status = 503
    await hook(db, user, receiver.url())
    await receive(db, user, phone)
    max_age = FAST.max_age

    def clock() -> float:
        # The event grows too old during its third attempt, however long each attempt takes on
        # a busy machine: the first two failures are retried, the third is the last.
        return time.time() + (2 * max_age if len(receiver.tries) >= 3 else 0.0)

    with capture_logs() as logs:
        async with running(db, clock=clock):
            await until(lambda: _dead(db))
    [event] = await events(db)
    assert event["state"] == "dead"
    assert event["attempts"] == 3
    assert len(receiver.tries) == 3
    assert event["last_error"] == "HTTP 503"
    dead = [e for e in logs if e["event"] == "webhook_event_dead"]
    assert len(dead) == 1
    assert dead[0]["target"] == "127.0.0.1"
    failing = [e for e in logs if e["event"] == "webhook_receiver_failing"]
    assert [e["log_level"] for e in failing].count("warning") == 1


async def _dead(db) -> bool:
    return (await store.event_states(db))["dead"] > 0


async def test_receiver_away_then_back(db, user, phone) -> None:
    receiver = Receiver()
    await receiver.start()
    url = receiver.url()
    await receiver.stop()  # gone: connection refused
    await hook(db, user, url)
    for n in range(3):
        await receive(db, user, phone, text=f"m{n}")
    with capture_logs() as logs:
        async with running(db):
            await until(lambda: _errors(db))
            await until(lambda: _held_back(db, 3))  # the backlog waits with it
            await receiver.start()  # back on the same port
            try:
                await until(lambda: len(receiver.hits) == 3)
            finally:
                await receiver.stop()
    assert (await states(db))["delivered"] == 3
    names = [e["event"] for e in logs]
    assert "webhook_receiver_back" in names
    first_failing = next(e for e in logs if e["event"] == "webhook_receiver_failing")
    assert first_failing["log_level"] == "warning"


async def _held_back(db, count: int) -> bool:
    found = await db.fetchone(
        "SELECT count(*) FROM webhook_event WHERE state = 'pending' "
        "AND next_attempt_at > created_at"
    )
    return found[0] == count


async def _errors(db) -> bool:
    found = await db.fetchone("SELECT count(*) FROM webhook_event WHERE last_error IS NOT NULL")
    return found[0] > 0


async def test_slow_receiver_does_not_hold_up_another(db, user, phone) -> None:
    slow, fast = Receiver(delay=10.0), Receiver()
    await slow.start()
    await fast.start()
    try:
        await hook(db, user, slow.url("/slow"))
        await hook(db, user, fast.url("/fast"))
        for n in range(10):
            await receive(db, user, phone, text=f"m{n}")
        config = replace(FAST, concurrency=4, per_target=2)
        async with running(db, config):
            started = time.monotonic()
            await until(lambda: len(fast.hits) == 10)
            fast_done = time.monotonic() - started
            assert slow.max_concurrent <= 2
            assert len(slow.hits) < 10  # still busy with the slow one
    finally:
        await slow.stop()
        await fast.stop()
    assert fast_done < 8.0
    # the slow receiver's undelivered events are still there for later
    assert (await states(db))["pending"] > 0


async def test_concurrency_is_bounded(db, user, phone, receiver) -> None:
    receiver.delay = 0.2
    for n in range(3):
        await hook(db, user, receiver.url(f"/h{n}"))
    for n in range(6):
        await receive(db, user, phone, text=f"m{n}")
    async with running(db, replace(FAST, concurrency=3, per_target=3)):
        await until(lambda: len(receiver.hits) == 18)
    assert receiver.max_concurrent == 3


async def test_stop_is_bounded_and_keeps_undelivered_events(db, user, phone, receiver) -> None:
    receiver.delay = 30.0
    await hook(db, user, receiver.url())
    await receive(db, user, phone)
    sender = WebhookSender(db, FAST)
    await sender.start()
    await until(lambda: receiver.tries)
    started = time.monotonic()
    await sender.stop(grace=0.2)
    assert time.monotonic() - started < 5
    [event] = await events(db)
    assert (event["state"], event["attempts"]) == ("pending", 0)


async def test_events_survive_a_restart(tmp_path, receiver) -> None:
    path = tmp_path / "restart.sqlite3"
    db = await Database.open(path)
    user = await accounts.ensure_user(db, email="a@example.org", api_key=API_KEY)
    phone = await add_phone(db, user)
    await hook(db, user, receiver.url())
    for n in range(5):
        await receive(db, user, phone, text=f"m{n}")
    receiver.delay = 30.0  # the first run never gets an answer
    sender = WebhookSender(db, FAST)
    await sender.start()
    await until(lambda: receiver.tries)
    await sender.stop(grace=0.1)
    await db.close()

    receiver.delay = 0.0
    db = await Database.open(path)
    try:
        assert (await store.event_states(db))["pending"] == 5
        async with running(db):
            await until(lambda: len(set(receiver.event_ids())) == 5)
        assert (await store.event_states(db))["delivered"] == 5
    finally:
        await db.close()


async def test_order_per_message_holds_through_failures(db, user, phone, receiver) -> None:
    receiver.fail_first = 5  # the first attempts fail, whichever they are
    url = receiver.url("/dlr")
    ids = await queue(db, user, *[f"+3361234567{n}" for n in range(5)], url_dlr=url)
    for sid in ids:
        await send(db, sid, phone)
        await outbox.record_report(
            db, sid, 1, status=0, delivered=True, permanent=False, now=time.time()
        )
    async with running(db, keys=ring(user)):
        await until(lambda: len(receiver.hits) == 10)
    seen: dict[int, list[str]] = {}
    for hit in receiver.hits:
        body = json.loads(hit.form["body"])
        seen.setdefault(body["id"], []).append(hit.form["webhook_type"])
    assert seen == {sid: ["send_sms", "send_sms_status_change"] for sid in ids}
    # per-message URLs are signed with the user's API key
    hit = receiver.hits[0]
    assert verify_smsd_signature(
        API_KEY, hit.headers["X-Smsd-Timestamp"], hit.headers["X-Smsd-Signature"], hit.body,
        now=time.time(),
    )  # fmt: skip


async def test_refused_address_is_never_contacted(db, user, phone) -> None:
    await db.execute(
        "INSERT INTO webhook (id_user, url, type, secret) VALUES (?, ?, 'receive_sms', ?)",
        (user, "http://169.254.169.254/latest/meta-data/", SECRET),
    )
    await receive(db, user, phone)
    async with running(db):
        await until(lambda: _errors(db))
    [event] = await events(db)
    assert event["state"] == "pending"
    assert event["last_error"].startswith("refused URL: address 169.254.169.254 is link-local")


async def test_a_thousand_received_messages(db, user, phone, receiver) -> None:
    await hook(db, user, receiver.url())

    async def body(conn):
        await conn.executemany(
            "INSERT INTO received (at, text, origin, id_user, id_phone, dedupe_key) "
            "VALUES ('2024-01-01 10:00:00', ?, '+33612345678', ?, ?, ?)",
            [(f"m{n}", user, phone, f"k{n}") for n in range(1000)],
        )

    await db.atomic("bulk", body)
    assert (await store.event_states(db))["pending"] == 1000
    started = time.monotonic()
    async with running(db, replace(FAST, concurrency=8, per_target=8)) as sender:
        sender.wake()
        await until(lambda: len(receiver.hits) >= 1000, timeout=90)
        await until(lambda: sender.in_flight == 0)
    elapsed = time.monotonic() - started
    assert len(set(receiver.event_ids())) == 1000
    assert (await store.event_states(db))["delivered"] == 1000
    texts = {json.loads(h.form["body"])["text"] for h in receiver.hits}
    assert texts == {f"m{n}" for n in range(1000)}
    print(f"1000 events delivered in {elapsed:.2f} s")  # noqa: T201 - a figure for the report


async def test_start_writes_the_reply_window(db) -> None:
    async with running(db, replace(FAST, reply_window=42.0)):
        found = await db.fetchone("SELECT value FROM webhook_option WHERE name = 'reply_window'")
    assert found[0] == 42.0


async def test_purges_finished_events(db, user, phone, receiver) -> None:
    await hook(db, user, receiver.url())
    await receive(db, user, phone)
    async with running(db):
        await until(lambda: receiver.hits)
    await until(lambda: _delivered(db))
    assert await store.purge_finished(db, before=time.time() - 3600) == 0
    assert await store.purge_finished(db, before=time.time() + 1) == 1
    assert await events(db) == []


async def _delivered(db) -> bool:
    return (await store.event_states(db))["delivered"] == 1


def test_retry_delay() -> None:
    assert [retry_delay(n, 2.0, 600.0) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    assert retry_delay(100, 2.0, 600.0) == 600.0
    assert retry_delay(0, 2.0, 600.0) == 2.0
    assert retry_delay(1, 2.0, 600.0, jitter=1.0) == 2.4
    assert asyncio.iscoroutinefunction(WebhookSender.stop)


class BrokenSession:
    """A session whose post fails in a way no delivery error covers (a bug)."""

    def __init__(self) -> None:
        self.calls = 0

    def post(self, *_args, **_kwargs):
        self.calls += 1
        raise RuntimeError("bug")

    async def close(self) -> None:
        return None


async def test_a_crashing_delivery_is_logged_and_retried(db, user, phone) -> None:
    await hook(db, user, "http://127.0.0.1:9/hook")
    await receive(db, user, phone)
    broken = BrokenSession()
    with capture_logs() as logs:
        config = replace(FAST, retry_max=0.3)
        async with running(db, config, session_factory=lambda: broken) as sender:
            await until(lambda: broken.calls >= 2)
            await until(lambda: sender.in_flight == 0)
            await asyncio.sleep(0.2)
            assert broken.calls <= 4  # held back between tries, no busy loop
    assert any(e["event"] == "webhook_delivery_crashed" for e in logs)
    [event] = await events(db)
    assert event["state"] == "pending"


async def test_a_key_never_seen_leaves_raspisms_signature_empty(db, user, phone, receiver) -> None:
    # Keys are stored hashed: until the daemon sees this user's key, RaspiSMS's signature (keyed
    # with it) cannot be made. The webhook's own secret still signs X-Smsd-Signature; a
    # per-message URL (signed with the user's key) goes out without one.
    await hook(db, user, receiver.url())
    await receive(db, user, phone, text="first")
    [sid] = await queue(db, user, "+33612345670", url_dlr=receiver.url("/dlr"))
    await send(db, sid, phone)
    with capture_logs() as logs:
        async with running(db):
            await until(lambda: len(receiver.hits) == 2)
    by_path = {hit.path: hit for hit in receiver.hits}
    assert by_path["/hook"].form["webhook_signature"] == ""
    hook_hit = by_path["/hook"]
    assert verify_smsd_signature(
        SECRET, hook_hit.headers["X-Smsd-Timestamp"], hook_hit.headers["X-Smsd-Signature"],
        hook_hit.body, now=time.time(),
    )  # fmt: skip
    assert "X-Smsd-Signature" not in by_path["/dlr"].headers
    assert [e["event"] for e in logs].count("webhook_unsigned") == 1


async def test_a_key_seen_once_signs_from_then_on(db, user, phone, receiver) -> None:
    keys = KeyRing()
    await hook(db, user, receiver.url())
    await receive(db, user, phone, text="first")
    async with running(db, keys=keys):
        await until(lambda: len(receiver.hits) == 1)
        keys.remember(user, API_KEY)  # the user called the API
        await receive(db, user, phone, text="second")
        await until(lambda: len(receiver.hits) == 2)
    first, second = receiver.hits
    assert first.form["webhook_signature"] == ""
    assert second.form["webhook_signature"] == raspisms_signature(
        second.form["webhook_random_id"], API_KEY
    )
