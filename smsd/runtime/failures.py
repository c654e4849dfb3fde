"""What a sender does with a message whose send failed: the rules, apart from the send loop.

Two kinds of failure:

- the modem refused or lost a segment (:class:`~smsd.errors.SendError`): :func:`record_failure`
  marks the message ``unknown`` when the segment may have left, ``failed`` when the error is
  permanent or the retries are spent, and otherwise requeues it, at once to another phone when
  one can take it (fail-over) or here after a growing delay;
- a step raised something nothing expected (a bug, the store refusing a write):
  :func:`settlement` gives the one transition that leaves the message in a defined state, by the
  rule of at most once, for the sender to apply (and retry while the store refuses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.model import PhoneStatus
from smsd.modem.classify import Failure, classify_cms
from smsd.scheduling import retry_delay
from smsd.store import outbox

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    import structlog

    from smsd.errors import SendError
    from smsd.runtime.phones import PhoneRuntime
    from smsd.store.db import Database

__all__ = ["Settlement", "others_available", "record_failure", "settlement"]


@dataclass(frozen=True, eq=False)
class Settlement:
    """A transition that leaves a message in a defined state after a failed step."""

    id_sended: int
    transition: str
    apply: Callable[[], Awaitable[None]]


def settlement(
    db: Database,
    message: outbox.QueuedMessage,
    exc: BaseException,
    *,
    in_flight: bool,
    retries: int,
    now: float,
) -> Settlement:
    """The transition that leaves ``message`` in a defined state after ``exc``.

    ``unknown`` when a segment may be out unrecorded (``in_flight``), ``failed`` once
    ``retries`` are spent, else a requeue after the usual delay.
    """
    reason = f"send step failed: {type(exc).__name__}: {exc}"
    if in_flight:
        return Settlement(
            message.id,
            "mark_unknown",
            lambda: outbox.mark_unknown(
                db, message.id, reason=f"{reason}; outcome unknown", now=now
            ),
        )
    attempts = message.attempts + 1
    if attempts > retries:
        return Settlement(
            message.id,
            "mark_failed",
            lambda: outbox.mark_failed(
                db, message.id, reason=f"{reason} (after {attempts} attempts)", now=now
            ),
        )
    return Settlement(
        message.id,
        "requeue",
        lambda: outbox.requeue(
            db,
            message.id,
            reason=reason,
            next_attempt_at=now + retry_delay(attempts),
            exclude_phone=None,
        ),
    )


def others_available(phone: PhoneRuntime, peers: Sequence[PhoneRuntime]) -> bool:
    """Whether another phone than ``phone`` could take a message now."""
    return any(p.available and p is not phone for p in peers)


async def record_failure(
    db: Database,
    phone: PhoneRuntime,
    peers: Sequence[PhoneRuntime],
    message: outbox.QueuedMessage,
    exc: SendError,
    *,
    now: float,
    log: structlog.typing.FilteringBoundLogger,
) -> bool:
    """Record a failed send of ``message`` on ``phone``; ``True`` when it went back to the queue.

    A SIM-related error (no credit, barred) marks the phone ``no_credit`` and asks its balance
    watch to check at once.
    """
    reason = str(exc)
    if exc.uncertain:
        await outbox.mark_unknown(db, message.id, reason=reason, now=now)
        log.warning("sms_unknown", reason=reason)
        return False
    if exc.permanent:
        await outbox.mark_failed(db, message.id, reason=reason, now=now)
        log.warning("sms_failed", reason=reason)
        return False
    failure = classify_cms(exc.code) if exc.code is not None else Failure.RETRY
    if failure is Failure.SIM:
        phone.modem.set_status(PhoneStatus.NO_CREDIT, reason)
        phone.balance.due.set()  # the balance watch (if any) checks at once
    attempts = message.attempts + 1
    if attempts > phone.settings.retries:
        await outbox.mark_failed(
            db, message.id, reason=f"{reason} (after {attempts} attempts)", now=now
        )
        log.warning("sms_failed", reason=reason, attempts=attempts)
        return False
    # Fail over to another phone at once when one can take it; else retry here after a delay.
    failover = (
        failure in {Failure.RETRY_ELSEWHERE, Failure.SIM} or attempts > 1
    ) and others_available(phone, peers)
    await outbox.requeue(
        db,
        message.id,
        reason=reason,
        next_attempt_at=now if failover else now + retry_delay(attempts),
        exclude_phone=phone.id_phone if failover else None,
    )
    log.info("sms_retry", reason=reason, attempts=attempts)
    return True
