"""The delivery task: posts pending webhook events, at least once, without slowing anything else.

:class:`WebhookSender` polls the event outbox (every ``poll_interval`` seconds, and at once when
:meth:`~WebhookSender.wake` is called or a delivery ends), posts each due event with aiohttp's
client and commits the outcomes in batches, one transaction per cycle:

- a 2xx answer marks the event ``delivered``; anything else (another status, a redirect, a
  timeout after ``[webhooks] timeout``, a refused or unreachable address) is a failure;
- a failed event is tried again after ``retry_initial`` seconds, doubling up to ``retry_max``
  (plus up to 20 % jitter), until it is ``max_age`` seconds old; then it is marked ``dead`` and
  logged once;
- an event is "in flight" from its attempt until its outcome is committed, and is never handed
  out twice meanwhile; a crash or :meth:`~WebhookSender.stop` in between leaves it pending, so it
  is posted again later (at least once: receivers deduplicate on ``X-Smsd-Event-Id``);
- events of one message reach each receiver in order: the next waits until the previous is
  delivered or dead (see :func:`smsd.store.webhooks.due_events`).

Isolation: at most ``concurrency`` deliveries run at once and at most ``per_target`` to one
receiver, so a slow receiver holds ``per_target`` slots at most; a failing receiver is held back
(no new attempt to it, its backlog's due time pushed back in the table) for a growing delay
after each failure, logged once when it starts failing and once when it is back. The sender
only reads the database and writes short transactions of its own: the send path never waits
for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
from collections import Counter
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp
import structlog

from smsd.errors import StoreError
from smsd.log import LogOnce
from smsd.store import webhooks as store
from smsd.store.changes import InsertWatch, watch_inserts
from smsd.tls import verifying_context
from smsd.webhooks.keys import KeyRing
from smsd.webhooks.mailer import MAILTO
from smsd.webhooks.payload import build_delivery
from smsd.webhooks.policy import UrlPolicy, UrlRefusedError, check_url
from smsd.webhooks.resolver import guarded_session_factory
from smsd.webhooks.smspartner import FORMAT as SMSPARTNER
from smsd.webhooks.smspartner import build_smspartner_delivery

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable

    from smsd.config import WebhooksConfig
    from smsd.store.db import Database
    from smsd.store.webhooks import EventRow
    from smsd.webhooks.mailer import Mailer

__all__ = ["POLL_INTERVAL", "PURGE_INTERVAL", "WebhookSender", "retry_delay"]

POLL_INTERVAL = 60.0
"""Longest sleep of the sender (a safety net). It is woken when an event row is inserted (an
insert watch on the writer connection), when a delivery ends, and when the earliest retry due
after its last look or a target's hold comes due (see :meth:`WebhookSender._idle_wait`)."""
STORE_RETRY = 5.0
"""Seconds before the sender looks again after the store refused a read or a write."""
PURGE_INTERVAL = 60.0
"""Seconds between two clean-ups of finished events and closed reply windows."""
STOP_GRACE = 5.0
"""Seconds :meth:`WebhookSender.stop` lets deliveries in flight finish before cancelling them."""
JITTER = 0.2


def retry_delay(failures: int, initial: float, maximum: float, jitter: float = 0.0) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure (1, 2, …).

    ``initial * 2 ** (failures - 1)`` capped at ``maximum``, stretched by ``jitter`` (0 to 1,
    the fraction of :data:`JITTER` to add).
    """
    exponent = min(max(failures, 1) - 1, 60)
    base = min(initial * 2.0**exponent, maximum)
    return base * (1.0 + JITTER * min(max(jitter, 0.0), 1.0))


def _host(url: str) -> str:
    """The host of ``url`` for logs (never the credentials or the query); a mail's address."""
    if url.startswith(MAILTO):
        return url
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


class WebhookSender:
    """Posts the webhook outbox's due events (see the module docstring).

    ``session_factory`` builds the aiohttp client session at :meth:`start` (default: one that
    resolves names through :class:`~smsd.webhooks.resolver.GuardedResolver`); ``clock`` gives
    unix seconds and ``rand`` numbers in [0, 1) for the jitter.
    """

    def __init__(
        self,
        db: Database,
        config: WebhooksConfig,
        *,
        session_factory: Callable[[], aiohttp.ClientSession] | None = None,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        poll_interval: float = POLL_INTERVAL,
        keys: KeyRing | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        self._db = db
        self._mailer = mailer
        self._keys = keys if keys is not None else KeyRing()
        self._unsigned_users: set[int] = set()
        self._config = config
        self._policy = UrlPolicy(allow_link_local=config.allow_link_local)
        self._factory = session_factory or guarded_session_factory(
            self._policy, limit=config.concurrency
        )
        self._clock = clock
        self._rand = rand
        self._poll = poll_interval
        self._session: aiohttp.ClientSession | None = None
        self._tls: ssl.SSLContext | None = None  # built on the first https delivery
        self._runner: asyncio.Task[None] | None = None
        self._woken = asyncio.Event()
        self._watch: InsertWatch | None = None
        self._inflight: dict[int, str] = {}  # event id -> target, until the outcome is committed
        self._load: Counter[str] = Counter()  # deliveries per target, same lifetime
        self._tasks: set[asyncio.Task[None]] = set()
        self._outcomes: list[store.Outcome] = []
        self._failures: Counter[str] = Counter()  # consecutive failures per target
        self._held: dict[str, float] = {}  # target -> no new attempt before this instant
        self._holds: dict[str, float] = {}  # holds not yet written to the table
        self._next_purge = 0.0
        self._looked_at = float("-inf")  # the instant the last dispatch looked for due events
        self._store_failed = False
        self._once = LogOnce()
        self._log = structlog.get_logger("smsd.webhooks")

    @property
    def in_flight(self) -> int:
        """Deliveries started whose outcome is not committed yet."""
        return len(self._inflight)

    async def start(self) -> None:
        """Write the reply window for the triggers, open the HTTP session, start polling."""
        if self._runner is not None:
            return
        await store.set_reply_window(self._db, self._config.reply_window)
        # An inserted event wakes the sender at once: no delivery waits for the poll.
        self._watch = await watch_inserts(
            self._db, "webhook_event", self._woken.set, owner="webhooks"
        )
        self._session = self._factory()
        self._runner = asyncio.create_task(self._run(), name="webhook-sender")
        self._runner.add_done_callback(self._ended)

    def wake(self) -> None:
        """Look at the outbox now (new events were committed)."""
        self._woken.set()

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop polling, give deliveries in flight ``grace`` seconds, commit what finished.

        Nothing is dropped: an event whose delivery was cut short stays pending in the table and
        is posted again after the next start. Takes at most about ``grace`` seconds plus one
        transaction.
        """
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            await self._flush()
        except StoreError as exc:  # the events stay pending: posted again after a restart
            self._log.warning("webhook_outcomes_not_saved", error=str(exc))
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _unsigned(self, id_user: int) -> None:
        """Say once per user that RaspiSMS's signature is empty: the key is not known here."""
        if id_user not in self._unsigned_users:
            self._unsigned_users.add(id_user)
            self._log.warning(
                "webhook_unsigned",
                id_user=id_user,
                hint="the daemon has not seen this user's API key since it started (keys are "
                "stored hashed); webhook_signature stays empty until the key is used once",
            )

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._log.error("webhook_sender_crashed", exc_info=task.exception())

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        while True:
            try:
                if self._watch is not None:
                    await self._watch.settled()  # the new events are committed: readable
                await self._flush()
                await self._dispatch()
                await self._housekeeping()
                self._once.clear("store")
                self._store_failed = False
            except StoreError as exc:
                self._once.warn(self._log, "store", "webhook_store_error", error=str(exc))
                self._store_failed = True
            await self._sleep()

    async def _sleep(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(await self._idle_wait()):
                await self._woken.wait()
        self._woken.clear()

    async def _idle_wait(self) -> float:
        """Seconds until the next retry, hold or clean-up is due (at most the poll interval).

        The events due when :meth:`_dispatch` last looked were handed out or are held back by
        something that wakes the sender itself (a delivery of the same target or message ends,
        a hold runs out). Every event due after that look is waited for, even one that came due
        while the sender was busy since: it is due now, so the sender looks again at once.
        Measuring from the clock read here instead (a later instant) would skip an event that
        came due in between and leave its retry to the safety net.
        """
        if self._woken.is_set():
            return 0.0
        if self._store_failed:  # the look may not have happened: try again soon, not at once
            return min(self._poll, STORE_RETRY)
        now = self._clock()
        wait = min(self._poll, self._next_purge - now, *(t - now for t in self._held.values()))
        if self._config.concurrency > len(self._inflight):
            try:
                due = await store.next_due(self._db, after=self._looked_at)
            except StoreError:
                due, wait = None, min(wait, STORE_RETRY)
            if due is not None:
                wait = min(wait, due - now)
        return max(wait, 0.01)

    async def _flush(self) -> None:
        """Commit the finished attempts; only then are their events free to be handed out."""
        if not self._outcomes and not self._holds:
            return
        batch, holds = list(self._outcomes), dict(self._holds)
        await store.record_outcomes(self._db, batch, sorted(holds.items()))
        del self._outcomes[: len(batch)]
        for target, until in holds.items():
            if self._holds.get(target) == until:
                del self._holds[target]
        for outcome in batch:
            self._release(outcome.id)

    async def _dispatch(self) -> None:
        config = self._config
        free = config.concurrency - len(self._inflight)
        if free <= 0 or self._session is None:
            return
        now = self._clock()
        for target in [t for t, until in self._held.items() if until <= now]:
            del self._held[target]
        excluded = {t for t, n in self._load.items() if n >= config.per_target} | set(self._held)
        events = await store.due_events(
            self._db,
            now=now,
            limit=min(free * config.per_target, 500),
            exclude_ids=sorted(self._inflight),
            exclude_targets=sorted(excluded),
        )
        self._looked_at = now
        for event in events:
            if free <= 0:
                break
            if self._load[event.target] >= config.per_target:
                continue
            free -= 1
            self._inflight[event.id] = event.target
            self._load[event.target] += 1
            task = asyncio.create_task(self._deliver(event), name=f"webhook-event-{event.id}")
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._delivery_done, event.id))

    def _delivery_done(self, event_id: int, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        # A bug, not a delivery failure: log it, free the event, try its target again later.
        self._log.error("webhook_delivery_crashed", event_id=event_id, exc_info=task.exception())
        target = self._inflight.get(event_id)
        if target is not None:
            self._held[target] = self._clock() + self._config.retry_max
        self._release(event_id)
        self._woken.set()  # a slot is free and a hold starts: the sleep is measured again

    def _release(self, event_id: int) -> None:
        target = self._inflight.pop(event_id, None)
        if target is not None:
            self._load[target] -= 1
            if self._load[target] <= 0:
                del self._load[target]

    async def _housekeeping(self) -> None:
        now = self._clock()
        if now < self._next_purge:
            return
        self._next_purge = now + PURGE_INTERVAL
        for _ in range(20):  # bounded: the rest waits for the next round
            if await store.purge_finished(self._db, before=now - self._config.retention) == 0:
                break
        await store.expire_replies(self._db, now=now)

    # ------------------------------------------------------------------ one delivery

    async def _deliver(self, event: EventRow) -> None:
        if event.url.startswith(MAILTO):  # an e-mail (smsd.webhooks.mailer), same retries
            error = await self._mail(event)
        else:
            error = await self._post(event)
        now = self._clock()
        if error is None:
            self._outcomes.append(store.Outcome(id=event.id, at=now, delivered=True))
            self._failures.pop(event.target, None)
            if self._once.clear(event.target):
                self._log.info("webhook_receiver_back", target=_host(event.url))
        else:
            self._failed(event, error, now)
        self._woken.set()

    def _failed(self, event: EventRow, error: str, now: float) -> None:
        config = self._config
        deadline = event.created_at + config.max_age
        retry_at: float | None = None
        if now < deadline:
            delay = retry_delay(event.attempts + 1, config.retry_initial, config.retry_max,
                                self._rand())  # fmt: skip
            retry_at = min(now + delay, deadline)
        self._outcomes.append(
            store.Outcome(id=event.id, at=now, delivered=False, error=error, retry_at=retry_at)
        )
        self._failures[event.target] += 1
        hold = retry_delay(self._failures[event.target], config.retry_initial, config.retry_max)
        self._held[event.target] = self._holds[event.target] = now + hold
        host = _host(event.url)
        self._once.warn(
            self._log, event.target, "webhook_receiver_failing", target=host, error=error
        )
        if retry_at is None:
            self._log.warning(
                "webhook_event_dead",
                event_id=event.id,
                type=event.type,
                target=host,
                attempts=event.attempts + 1,
                error=error,
            )

    async def _mail(self, event: EventRow) -> str | None:
        if self._mailer is None:
            return "no [smtp] section: mail cannot be sent"
        return await self._mailer.send(event)

    async def _verifying(self) -> ssl.SSLContext:
        """The context that checks https receivers: read from disk once, in a worker thread."""
        if self._tls is None:
            self._tls = await asyncio.to_thread(verifying_context)
        return self._tls

    async def _post(self, event: EventRow) -> str | None:
        """One attempt; ``None`` on a 2xx answer, else what went wrong."""
        session = self._session
        if session is None:  # stopped meanwhile
            return "the sender is stopping"
        status = 0
        error: str | None
        try:
            url = check_url(event.url, self._policy)
            api_key = event.api_key or self._keys.get(event.id_user) or ""
            if not api_key:
                self._unsigned(event.id_user)
            if event.format == SMSPARTNER:
                delivery = build_smspartner_delivery(
                    event, event.secret or api_key, int(self._clock())
                )
            else:
                delivery = build_delivery(
                    event.id, event.type, event.timestamp, event.random_id, event.body,
                    api_key, event.secret or api_key, int(self._clock()),
                )  # fmt: skip
            tls = await self._verifying() if url[:6].lower() == "https:" else True
            async with (
                asyncio.timeout(self._config.timeout),
                session.post(
                    url,
                    data=delivery.body,
                    headers=delivery.headers,
                    allow_redirects=False,
                    ssl=tls,
                ) as response,
            ):
                status = response.status
        except UrlRefusedError as exc:
            error = f"refused URL: {exc}"
        except TimeoutError:
            error = f"no answer within {self._config.timeout:g} s"
        except (aiohttp.ClientError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        except ValueError as exc:  # a stored body that is not JSON (never written by smsd)
            error = f"bad event body: {exc}"
        else:
            error = None if 200 <= status < 300 else f"HTTP {status}"
        return error
