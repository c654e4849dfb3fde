"""The dispatcher: turns due scheduled messages into outgoing messages and wakes the senders.

A scheduled message becomes due at its ``at`` time (now when absent) and is expanded, in one
transaction, into one outgoing message per recipient with its rendered text and segment count.
The API wakes the dispatcher when it commits a new scheduled message, so nothing waits for a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog

from smsd import pdu
from smsd.store import accounts, deferral, idempotency, outbox, quota, sandbox, scheduled, wakeups
from smsd.store.rows import ContactRow

if TYPE_CHECKING:
    from smsd.runtime.quiet import QuietPolicy
    from smsd.store.db import Database

MAINTENANCE = 60.0
"""Seconds between quota renewals and sandbox purges."""
EXPANSIONS = 16
"""Scheduled messages expanded at once (their transactions share commits)."""
DUE_BATCH = 100
"""Due scheduled messages read per round."""

Render = Callable[[str, outbox.Recipient, dict[str, object]], str | None]
ResolveConditional = Callable[[str, list[ContactRow]], list[ContactRow]]


def plan_segments(text: str) -> int:
    """Segments ``text`` needs; 0 when it cannot be sent (the sender fails it, with the reason)."""
    try:
        return pdu.count(text).segments
    except pdu.PDUError:
        return 0


def plain(text: str, _recipient: outbox.Recipient, _metas: dict[str, object]) -> str | None:
    """The render hook when templating is off: the text as written."""
    return text


class Dispatcher:
    """Expands due scheduled messages; wakes the senders when there is new work."""

    def __init__(
        self,
        db: Database,
        *,
        wake_senders: Callable[[], None],
        render: Render = plain,
        resolve_conditional: ResolveConditional | None = None,
        clock: Callable[[], float] = time.time,
        quiet: QuietPolicy | None = None,
    ) -> None:
        self._db = db
        self._quiet = quiet
        self._maintained = 0.0
        self._next_due = 0.0
        self._resolve_conditional = resolve_conditional
        self._wake_senders = wake_senders
        self._render = render
        self._clock = clock
        self._event = asyncio.Event()
        self._log = structlog.get_logger("smsd.dispatcher")

    def use_quiet(self, quiet: QuietPolicy | None) -> None:
        """Judge commercial messages with another quiet-hours policy from now on."""
        self._quiet = quiet

    def wake(self) -> None:
        """New scheduled messages were committed: look at once."""
        self._event.set()

    async def run(self) -> None:
        """Loop until cancelled."""
        while True:
            self._event.clear()
            await self.expand_due()
            await self.maintain()
            wait = self._next_due - self._clock()
            if wait <= 0:
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._event.wait()

    async def expand_due(self) -> int:
        """Expand every scheduled message whose time has come; return how many messages resulted.

        Up to :data:`EXPANSIONS` expansions run at once, so the store commits them together
        (one fsync for several) while each stays its own transaction.
        """
        now = self._clock()
        entries, later = await wakeups.due_and_next(self._db, now=now, limit=DUE_BATCH)
        # Sleep until the next message dated later or the next maintenance (new messages wake
        # the dispatcher at once); a full batch means more are due: look again at once.
        self._next_due = min(later or math.inf, self._maintained + MAINTENANCE)
        if len(entries) >= DUE_BATCH:
            self._next_due = now
        due = [e.id for e in entries if not await self._held(e, now)]
        created = 0
        for start in range(0, len(due), EXPANSIONS):
            chunk = due[start : start + EXPANSIONS]
            results = await asyncio.gather(
                *(self._expand(id_scheduled, now) for id_scheduled in chunk),
                return_exceptions=True,
            )
            created += sum(len(r) for r in results if isinstance(r, list))
            if created:
                self._wake_senders()
            for result in results:
                if isinstance(result, BaseException):
                    raise result
        if any(e.sandbox for e in entries):
            await self._simulate(now)
        return created

    async def _held(self, entry: scheduled.Due, now: float) -> bool:
        """Hold a commercial message during quiet hours (sandbox messages are never held)."""
        if self._quiet is None or not entry.commercial or entry.sandbox:
            return False
        setting = (await accounts.settings(self._db, entry.id_user)).get("quiet_hours")
        verdict = self._quiet.judge(now, setting)
        if verdict is None:
            return False
        await deferral.defer(self._db, entry.id, until=verdict.until, reason=verdict.reason)
        self._next_due = now  # its new due time is read on the next round
        self._log.info("scheduled_deferred", scheduled=entry.id, reason=verdict.reason)
        return True

    async def _simulate(self, now: float) -> None:
        ids = await sandbox.simulate(self._db, now=now)
        if ids:
            self._log.info("sandbox_delivered", messages=len(ids))

    async def maintain(self) -> None:
        """Every :data:`MAINTENANCE` seconds: renew quotas, purge sandbox and command records.

        Sandbox messages are settled and purged; expired command records
        (:mod:`smsd.store.idempotency`) are deleted.
        """
        now = self._clock()
        if now - self._maintained < MAINTENANCE:
            return
        self._maintained = now
        renewed = await quota.renew_due(self._db, now=now)
        if renewed:
            self._log.info("quotas_renewed", users=renewed)
        await self._simulate(now)
        purged = await sandbox.purge(self._db, now=now)
        if purged:
            self._log.info("sandbox_purged", messages=purged)
        forgotten = await idempotency.purge(self._db, now=now)
        if forgotten:
            self._log.info("command_records_purged", records=forgotten)

    async def _expand(self, id_scheduled: int, now: float) -> list[int]:
        ids = await outbox.expand_scheduled(
            self._db,
            id_scheduled,
            now=now,
            render=self._render,
            plan=plan_segments,
            resolve_conditional=self._resolve_conditional,
        )
        self._log.debug("scheduled_expanded", scheduled=id_scheduled, messages=len(ids))
        return ids
