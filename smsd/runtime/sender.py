"""One sender per phone: claim the next message, submit its segments, record every step.

Each step is committed before the modem is told anything: ``claim`` (message and its unsent
segments go to ``sending``) → ``AT+CMGS`` per segment → ``mark_segment_sent`` with the reference →
``mark_sent``. A phone free to go on (no pacing, no limits) takes its next message in the same
commit as ``mark_sent`` (:func:`smsd.store.outbox.mark_sent_and_claim`); a sender cancelled before
sending it hands it back. An idle one may be offered a free message as it is accepted
(:meth:`Sender.offer`): the claim is then made in the accepting transaction and handed over
once that commit is on disk (:meth:`Sender._delivered`), or put back in the queue if the sender
stopped meanwhile. The claim and the send of a message run in child tasks awaited through
``asyncio.shield``: cancelling the sender (shutdown, unplug) lets the segment in flight finish and
be recorded, then hands the segments not yet sent back to the queue (``requeue`` without counting
an attempt), so a clean stop never leaves a message ``sending``. A crash at any instant leaves
rows in ``sending``, which the next start marks ``unknown`` (reason ``interrupted``) instead of
sending them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from smsd import pdu
from smsd.errors import ModemUnavailableError, SendError, StoreError
from smsd.runtime import failures
from smsd.scheduling import (
    eligible_for_unpinned,
    next_send_at,
    remaining,
    window_start,
)
from smsd.store import outbox, wakeups
from smsd.store.errors import TransitionError
from smsd.store.expansion import AcceptClaim

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Sequence

    from smsd.runtime.phones import PhoneRuntime
    from smsd.store.db import Database

_T = TypeVar("_T")

IDLE_WAIT = 60.0
"""Longest sleep of an idle sender. New work, a modem coming up, a phone's status changing and
a message handed back wake it at once, and a retry delay or fail-over hold ending when it is
due; this is only a safety net."""
LIMIT_RECHECK = 30.0
"""Seconds between re-checks of a phone whose limit is reached (its window slides)."""
SETTLE_RETRY = 5.0
"""Seconds between tries of a settlement the store refused (see :meth:`Sender._send`)."""
STOPPED = "sender stopped"
"""Reason recorded on a message handed back to the queue because its sender was cancelled."""


@dataclass
class _Attempt:
    """What one attempt at a message has reached: a segment may be out and unrecorded."""

    in_flight: bool = False


class Sender:
    """Sends the messages one phone is allowed to take, one at a time."""

    def __init__(
        self,
        db: Database,
        phone: PhoneRuntime,
        *,
        peers: Callable[[], Sequence[PhoneRuntime]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._phone = phone
        self._peers = peers
        self._clock = clock
        self._log = structlog.get_logger("smsd.sender").bind(modem=phone.settings.name)
        self._limit_checked = 0.0
        self._stopping = False
        """Set once the sender is cancelled: the segment in flight ends, the rest goes back."""
        self._busy = False
        """The last claim found a message, or new work was announced: the next claim goes ahead
        without looking first."""
        self._unsettled: list[failures.Settlement] = []
        """Messages a failed step left ``sending`` whose settlement the store refused so far."""
        self._next: outbox.Claim | None = None
        """The next message, claimed in the transaction that recorded the last one sent."""
        self._refused = False
        """The last claim failed a message its user's quota could not pay for."""
        self._found_none = False
        """The claim that rode with the last ``mark_sent`` found nothing to take."""
        self._idle_from: tuple[float, float | None] | None = None
        """When that claim looked, and the instant a queued message next becomes eligible."""
        self._reserved = False
        """Offered to claim in a transaction accepting a message: no claim of its own till then."""
        self._parked = False
        """Waiting for work with nothing under way (the only state in which it is offered)."""
        self._stopped = False
        """The sender's task ended: a claim delivered now goes back to the queue."""
        self._orphans: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Loop until cancelled: wait for work, send it."""
        try:
            await self._loop()
        except asyncio.CancelledError:
            self._stopped = True
            claimed, self._next = self._next, None
            if claimed is not None:  # taken with the last send, never submitted: back it goes
                await self._finish(self._child(self._hand_back(claimed.message), "hand-back"))
            raise

    def offer(self, now: float) -> AcceptClaim | None:
        """Reserve this idle sender to claim inside a transaction accepting a free message.

        Only when it could claim now without asking the store anything first: modem ready,
        phone available, no sending limits (those are counted in the store), its pace allows a
        send, nothing claimed or unsettled. ``None`` otherwise (it is woken as before).
        """
        phone = self._phone
        if (
            not self._parked
            or self._reserved
            or self._stopped
            or self._stopping
            or self._next is not None
            or self._unsettled
            or phone.busy
            or not phone.available
            or phone.settings.limits
            or next_send_at(phone.last_send, phone.settings.min_interval) > now
        ):
            return None
        self._reserved = True
        phone.busy = True  # no other acceptance offers it, no wake-up is spent on it
        return AcceptClaim(phone.id_phone, self._delivered)

    def _delivered(self, claim: outbox.Claim | None, refused: list[tuple[int, str]]) -> None:
        """The accepting transaction ended: send what it claimed, or look again."""
        self._reserved = False
        for id_sended, reason in refused:  # the quota could not pay: failed in the claim
            self._log.warning("sms_failed", sended=id_sended, reason=reason)
        if claim is not None and (self._stopped or self._next is not None):  # back it goes
            task = asyncio.get_running_loop().create_task(self._hand_back(claim.message))
            self._orphans.add(task)
            task.add_done_callback(self._orphan_done)
            return
        if claim is None:
            self._phone.busy = False
        else:
            self._next = claim
            self._busy = True
        self._phone.work.set()

    def _orphan_done(self, task: asyncio.Task[None]) -> None:
        """Log a failed hand-back of a claim delivered after the sender stopped.

        The message then stays ``sending``, which the next start's recovery settles.
        """
        self._orphans.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            self._log.error("sender_step_failed", step="hand-back", error=repr(error))

    async def _loop(self) -> None:
        phone = self._phone
        while True:
            phone.work.clear()
            if self._unsettled and not await self._settle_deferred():
                wait = SETTLE_RETRY  # nothing new is claimed while a message is unsettled
            else:
                wait = await self._step()
            if wait <= 0:
                continue
            if phone.modem.ready.is_set():
                self._parked = True  # waiting for work, nothing else under way: it may be offered
                try:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(wait):
                            await phone.work.wait()
                finally:
                    self._parked = False
            else:
                await self._until_ready(wait)
            # Woken for new work: claim at once. The claims of the senders woken together share
            # one batch in the store; a read first would cost each its own hand-over.
            self._busy = self._busy or phone.work.is_set()

    async def _until_ready(self, wait: float) -> None:
        """Sleep until the modem is ready, new work is announced, or ``wait`` seconds passed."""
        waiters = [
            asyncio.ensure_future(self._phone.work.wait()),
            asyncio.ensure_future(self._phone.modem.ready.wait()),
        ]
        try:
            await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _step(self) -> float:
        """Send one message if one may go now; return how long to wait otherwise."""
        if self._next is not None:  # claimed with the last send: it goes now
            claim, self._next = self._next, None
            return await self._send_claimed(claim)
        if self._reserved:  # the accepting transaction claims for it: wait for its delivery
            return IDLE_WAIT
        return await self._claim_and_send()

    async def _claim_and_send(self) -> float:
        phone = self._phone
        if not phone.modem.ready.is_set():
            return IDLE_WAIT
        now = self._clock()
        await self._check_limits(now)
        if not phone.available:
            return LIMIT_RECHECK if phone.limit_reached else IDLE_WAIT
        pace = next_send_at(phone.last_send, phone.settings.min_interval) - now
        if pace > 0:
            return pace
        unpinned = eligible_for_unpinned(phone.candidate(), [p.candidate() for p in self._peers()])
        # An idle phone looks with a read first (the reader connection, no lock), so idling
        # costs no write; a busy one claims its next message straight away.
        if not self._busy and not await outbox.next_queued(
            self._db, phone_ids=[phone.id_phone], now=now, include_unpinned=unpinned
        ):
            return await self._idle_wait(now)
        idle_until: list[float | None] = []
        claim = await self._claim(now, include_unpinned=unpinned, idle_until=idle_until)
        self._busy = claim is not None
        if claim is None:
            return await self._after_empty_claim(now, idle_until)
        return await self._send_claimed(claim)

    async def _after_empty_claim(self, now: float, idle_until: list[float | None]) -> float:
        """How long to wait after a claim that took nothing (another sender took it first).

        Until the timer the claim read, or new work (new work since the loop's last look sets
        the event, so the wait ends at once). After a quota refusal another message may be
        waiting: look again at once.
        """
        if self._refused:
            return 0.0
        return _until(now, idle_until[0]) if idle_until else await self._idle_wait(now)

    async def _send_claimed(self, claim: outbox.Claim) -> float:
        """Send a claimed message, shielded; a cancelled sender lets the segment in flight end."""
        phone = self._phone
        phone.busy = True
        try:
            send = self._child(self._send(claim), "send")
            try:
                await asyncio.shield(send)
            except asyncio.CancelledError:
                # Stopping: the segment in flight finishes and is recorded, the rest goes back.
                self._stopping = True
                await self._finish(send)
                raise
        finally:
            phone.busy = False
            phone.last_send = self._clock()
        if self._found_none:  # the claim that rode with mark_sent found nothing: no look again
            self._found_none = False
            if self._idle_from is not None:  # and it read when to look next
                now, due = self._idle_from
                return _until(now, due)
            return await self._idle_wait(self._clock())
        return 0.0

    async def _idle_wait(self, now: float) -> float:
        """Nothing to send now: seconds until a retry delay or a fail-over hold ends."""
        return _until(now, await wakeups.next_queued_at(self._db, now=now))

    def _wake_peers(self) -> None:
        """A message went back to the queue: every phone's sender looks at it."""
        for peer in self._peers():
            peer.work.set()

    async def _claim(
        self, now: float, *, include_unpinned: bool, idle_until: list[float | None]
    ) -> outbox.Claim | None:
        """``claim_next`` shielded: a sender cancelled meanwhile hands a claimed message back."""
        refused: list[tuple[int, str]] = []
        claim = self._child(
            outbox.claim_next(
                self._db,
                id_phone=self._phone.id_phone,
                now=now,
                include_unpinned=include_unpinned,
                refused=refused,
                idle_until=idle_until,
            ),
            "claim",
        )
        try:
            taken = await asyncio.shield(claim)
        except asyncio.CancelledError:
            if await self._finish(claim) and (held := claim.result()) is not None:
                await self._finish(self._child(self._hand_back(held.message), "hand-back"))
            raise
        self._refused = bool(refused)
        for id_sended, reason in refused:  # the quota could not pay: failed in the claim
            self._log.warning("sms_failed", sended=id_sended, reason=reason)
        return taken

    async def _hand_back(self, message: outbox.QueuedMessage) -> None:
        """Put a message whose sender stops back in the queue; its sent segments stay sent."""
        await outbox.requeue(
            self._db,
            message.id,
            reason=STOPPED,
            next_attempt_at=self._clock(),
            exclude_phone=None,
            count_attempt=False,
        )
        self._wake_peers()
        self._log.info("sms_requeued", sended=message.id, reason=STOPPED)

    async def _finish(self, step: asyncio.Task[Any]) -> bool:
        """Wait for a step to end once the sender is cancelled; ``True`` if it succeeded.

        ``asyncio.wait`` leaves the step running if the sender is cancelled again. A failed step
        is logged here: the cancellation, not the step's error, ends the sender.
        """
        await asyncio.wait([step])
        if step.cancelled():
            return False
        error = step.exception()
        if error is not None:
            self._log.error("sender_step_failed", step=step.get_name(), error=repr(error))
            return False
        return True

    def _child(self, coro: Coroutine[Any, Any, _T], step: str) -> asyncio.Task[_T]:
        """Run one step of the send path in a task named after the sender's (``sender:...``)."""
        current = asyncio.current_task()
        parent = current.get_name() if current is not None else "sender"
        return asyncio.create_task(coro, name=f"{parent}:{step}")

    async def _check_limits(self, now: float) -> None:
        phone = self._phone
        limits = phone.settings.limits
        if not limits or (phone.limit_reached and now - self._limit_checked < LIMIT_RECHECK):
            return
        self._limit_checked = now
        wall = datetime.fromtimestamp(now)  # noqa: DTZ006 - limits count in local wall time, as RaspiSMS
        used = [
            await outbox.sent_volume(
                self._db,
                id_phone=phone.id_phone,
                since_wall=window_start(limit.startpoint, wall).strftime("%Y-%m-%d %H:%M:%S"),
            )
            for limit in limits
        ]
        left = remaining(limits, used)
        reached = left is not None and left <= 0
        if reached != phone.limit_reached:
            phone.limit_reached = reached
            self._log.info("phone_limit_reached" if reached else "phone_limit_cleared", used=used)

    async def _send(self, claim: outbox.Claim) -> None:
        """Send a claimed message; whatever a step raises, the message ends in a defined state.

        A step that raises something nothing expected (a bug, the store refusing a write) is
        logged once with its traceback, and the message is settled by the rule of at most once:
        ``unknown`` when a segment may have reached the modem unrecorded, else a failed attempt
        (retried like any other). If the store refuses that too, the settlement is kept and
        retried before this sender claims anything else.
        """
        message = claim.message
        log = self._log.bind(sended=message.id)
        attempt = _Attempt()
        try:
            await self._attempt(claim, attempt, log)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("send_step_failed", error=str(exc), in_flight=attempt.in_flight)
            fix = failures.settlement(
                self._db,
                message,
                exc,
                in_flight=attempt.in_flight,
                retries=self._phone.settings.retries,
                now=self._clock(),
            )
            await self._settle(fix, log)

    async def _attempt(
        self, claim: outbox.Claim, attempt: _Attempt, log: structlog.typing.FilteringBoundLogger
    ) -> None:
        phone = self._phone
        message = claim.message
        request_report = (
            phone.settings.delivery_reports
            if message.request_report is None
            else message.request_report
        )
        try:
            segments = pdu.encode_submit(
                message.destination,
                message.text,
                request_status_report=request_report,
                message_class=0 if message.flash else None,
                concat_reference=message.id % 256,
            )
        except pdu.PDUError as exc:
            await outbox.mark_failed(
                self._db, message.id, reason=f"cannot encode: {exc}", now=self._clock()
            )
            log.warning("sms_failed", reason=str(exc))
            return
        pending = claim.segments
        last: tuple[int, int | None] | None = None
        references: list[int | None] = []
        try:
            for index, seq in enumerate(pending):
                if self._stopping:
                    await self._hand_back(message)
                    return
                # From here until the segment's record is committed, it may have left unrecorded.
                attempt.in_flight = True
                [reference] = await phone.modem.send([segments[seq - 1]])
                references.append(reference)
                if index == len(pending) - 1:
                    last = (seq, reference)  # recorded with the message's own transition
                else:
                    await outbox.mark_segment_sent(
                        self._db, message.id, seq, reference=reference, now=self._clock()
                    )
                    attempt.in_flight = False
        except SendError as exc:
            attempt.in_flight = exc.uncertain
            if await failures.record_failure(
                self._db, phone, self._peers(), message, exc, now=self._clock(), log=log
            ):
                self._wake_peers()
            attempt.in_flight = False
            return
        except ModemUnavailableError as exc:
            attempt.in_flight = False  # refused before anything was written
            await outbox.requeue(
                self._db,
                message.id,
                reason=str(exc),
                next_attempt_at=self._clock(),
                exclude_phone=phone.id_phone
                if failures.others_available(phone, self._peers())
                else None,
                count_attempt=False,
            )
            self._wake_peers()
            log.info("sms_requeued", reason=str(exc))
            return
        await self._record_sent(message, last)
        attempt.in_flight = False
        log.info(
            "sms_sent",
            destination=message.destination,
            segments=len(segments),
            references=references,
        )

    async def _record_sent(
        self, message: outbox.QueuedMessage, last: tuple[int, int | None] | None
    ) -> None:
        """``mark_sent``; when this phone may go on at once, its next claim in the same commit."""
        now = self._clock()
        unpinned = self._goes_on()
        if unpinned is None:
            await outbox.mark_sent(self._db, message.id, now=now, last=last)
            return
        refused: list[tuple[int, str]] = []
        idle_until: list[float | None] = []
        self._next = await outbox.mark_sent_and_claim(
            self._db,
            message.id,
            now=now,
            last=last,
            id_phone=self._phone.id_phone,
            include_unpinned=unpinned,
            refused=refused,
            idle_until=idle_until,
        )
        self._busy = self._next is not None  # nothing queued: the next look reads first
        self._found_none = self._next is None and not refused
        self._idle_from = (now, idle_until[0]) if idle_until else None
        for id_sended, reason in refused:  # the quota could not pay: failed in the claim
            self._log.warning("sms_failed", sended=id_sended, reason=reason)

    def _goes_on(self) -> bool | None:
        """Whether the next claim may ride with ``mark_sent`` (and ``include_unpinned``).

        ``None`` when the next claim must wait for :meth:`_step`'s checks: the sender stops,
        has a settlement pending, or the phone paces its sends, counts limits or is unavailable.
        """
        phone = self._phone
        if (
            self._stopping
            or self._unsettled
            or phone.settings.limits
            or phone.settings.min_interval > 0
            or not phone.modem.ready.is_set()
            or not phone.available
        ):
            return None
        return eligible_for_unpinned(phone.candidate(), [p.candidate() for p in self._peers()])

    async def _settle(
        self, settlement: failures.Settlement, log: structlog.typing.FilteringBoundLogger
    ) -> bool:
        """Apply ``settlement``; keep it for later if the store refuses. ``True`` once done."""
        try:
            await settlement.apply()
        except TransitionError as exc:
            # Someone else already moved the message on (a defined state): nothing left to do.
            log.info("sms_settled_elsewhere", transition=settlement.transition, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - kept and tried again before the next claim
            if settlement not in self._unsettled:
                self._unsettled.append(settlement)
                log.warning("sms_settle_deferred", transition=settlement.transition, error=str(exc))
            return False
        else:
            log.warning("sms_settled", transition=settlement.transition)
            if settlement.transition == "requeue":
                self._wake_peers()  # back in the queue: every phone's sender looks at it
        if settlement in self._unsettled:
            self._unsettled.remove(settlement)
        return True

    async def _settle_deferred(self) -> bool:
        """Try the settlements the store refused before; ``True`` when none is left."""
        for settlement in list(self._unsettled):
            if not await self._settle(settlement, self._log.bind(sended=settlement.id_sended)):
                return False
        return True


def _until(now: float, due: float | None) -> float:
    """Seconds an idle sender sleeps at ``now`` when the next queued message is due at ``due``."""
    return IDLE_WAIT if due is None else max(min(IDLE_WAIT, due - now), 0.001)


__all__ = ["Sender", "StoreError"]
