"""The outbox: which message goes next, and every state transition of an outgoing message.

States (``sended.state``, :class:`smsd.model.MessageState`; the transitions keep to
:data:`smsd.model.MESSAGE_TRANSITIONS`; the RaspiSMS ``status`` column is derived from the state)::

    queued  --claim-->        sending   (its unsent segments: queued -> sending)
    queued  --claim-->        failed    (its user's quota cannot pay for it: nothing claimed)
    sending --mark_segment_sent--> (one segment: sending -> sent, with its TP message reference)
    sending --mark_sent-->    sent      (every segment sent; delivered/failed if reports came first)
    sending --requeue-->      queued    (temporary failure; sent segments stay sent)
    queued | sending --mark_failed--> failed
    sending --mark_unknown--> unknown   (the submit may or may not have left: never resent)
    sent    --record_report--> delivered | failed   (see :mod:`smsd.store.reports`)
    queued  --simulate_sandbox--> delivered   (sandbox messages; see :mod:`smsd.store.sandbox`)
    queued  --cancel_campaign-->  failed   (see :mod:`smsd.store.campaign_edits`)

Each transition is ONE awaited short transaction named after it, committed before the call
returns (so before the modem is told anything), and a compare-and-set on the current state:
``claim`` returns ``False`` when the message is no longer queued (another sender took it); every
other transition raises :class:`~smsd.store.errors.TransitionError` when the message (or the
segment) is not in a state the transition starts from, and changes nothing.

Crash safety is at most once: :func:`recover_interrupted` turns what a previous run left in
``sending`` into ``unknown`` (reason ``interrupted``), and nothing ever leaves ``unknown``; the
``at_least_once`` switch puts those messages back in the queue instead (the segments already
recorded as sent are not sent again).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.model import MessageState
from smsd.store import quota
from smsd.store.db import change
from smsd.store.errors import InvalidValueError, TransitionError
from smsd.store.reports import match_report, queue_depth, record_report, sent_volume
from smsd.store.rows import QueuedMessage, Recipient
from smsd.store.scheduled import (
    create_scheduled,
    delete_scheduled,
    due_scheduled,
    expand_scheduled,
)
from smsd.store.walltime import wall

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from smsd.store.db import Database
    from smsd.store.writer import AsyncConnection

EXCLUSION_HOLD = 120.0
"""Seconds after its retry time during which a requeued message avoids the phone it failed on.

Afterwards any phone may take it again, so a message whose other phones all vanished is not
stranded."""

INTERRUPTED = "interrupted"
NO_REFERENCE = (
    "the modem accepted segment {seq} without a message reference: "
    "no status report can be matched to it"
)
"""Reason kept on a message one of whose segments the modem accepted with a bare ``OK``."""


def _state(conn: sqlite3.Connection, id_sended: int) -> str | None:
    found = conn.execute("SELECT state FROM sended WHERE id = ?", (id_sended,)).fetchone()
    return None if found is None else str(found[0])


def next_queued_sql(phones: int) -> str:
    """The query behind :func:`next_queued` for ``phones`` phone ids bound as ``:p0, :p1 …``.

    It walks the partial index ``sended_queued`` (queued rows only, in priority / due / id
    order) and stops at the first eligible row.
    """
    names = ", ".join(f":p{i}" for i in range(phones))
    # "held": a fail-over exclusion still in force; "here": held away from the caller's phones.
    held = "(s.excluded_phone IS NOT NULL AND s.next_attempt_at > :hold)"
    here = f"({held} AND s.excluded_phone IN ({names}))"
    return (
        "SELECT s.id, s.id_user, s.text, s.destination, s.flash, s.pinned_phone, "  # noqa: S608 - placeholders only
        "s.id_phone_group, s.attempts, s.segments, s.request_report, s.priority, s.mms "
        "FROM sended AS s "
        "WHERE s.state = 'queued' AND s.sandbox = 0 AND s.next_attempt_at <= :now "
        "AND (:user IS NULL OR s.id_user = :user) "
        f"AND (s.pinned_phone IN ({names}) "
        f"  OR (s.pinned_phone IS NULL AND NOT {here} "
        f"     AND ((s.id_phone_group IS NULL AND (:unpinned OR {held})) "
        "          OR (s.id_phone_group IS NOT NULL AND EXISTS ("
        "              SELECT 1 FROM phone_group_phone AS g "
        f"             WHERE g.id_phone_group = s.id_phone_group AND g.id_phone IN ({names}))))))"
        " ORDER BY s.priority DESC, s.due_at, s.id LIMIT 1"
    )


async def next_queued(
    db: Database,
    *,
    phone_ids: Sequence[int],
    now: float,
    include_unpinned: bool = True,
    id_user: int | None = None,
    exclusion_hold: float = EXCLUSION_HOLD,
) -> QueuedMessage | None:
    """The next message one of ``phone_ids`` may take now, or ``None``.

    Eligible: state ``queued``, ``next_attempt_at <= now``, and either pinned to a phone in
    ``phone_ids``, or sent through a phone group with a member in ``phone_ids``, or (when
    ``include_unpinned``) neither pinned nor grouped.

    Fail-over: a message requeued away from a phone (``exclude_phone``) is, for
    ``exclusion_hold`` seconds after its retry time, not offered to a caller listing that phone
    (unless it is pinned there) and offered to any other caller even when ``include_unpinned``
    is false (a lower-priority phone takes over). After the hold the usual rules apply again,
    so a message whose other phones vanished is not stranded.

    ``id_user`` restricts to one user's messages. Order: priority (highest first), due time, id.
    """
    ids = [int(p) for p in phone_ids]
    params: dict[str, object] = {f"p{i}": p for i, p in enumerate(ids)}
    params.update(now=now, hold=now - exclusion_hold, unpinned=int(include_unpinned), user=id_user)
    found = await db.fetchone(next_queued_sql(len(ids)), params)
    return None if found is None else QueuedMessage.of(found)


@dataclass(frozen=True)
class Claim:
    """A message a sender took: the message and the segments it must submit (1-based)."""

    message: QueuedMessage
    segments: tuple[int, ...]


def _charged(
    conn: sqlite3.Connection, id_sended: int, now: float, refused: list[tuple[int, str]] | None
) -> bool:
    """Charge a queued message to its user's quota; ``False`` (message failed) if refused."""
    found = conn.execute(
        "SELECT id_user, text, credits, sandbox FROM sended WHERE id = ? AND state = 'queued'",
        (id_sended,),
    ).fetchone()
    if found is None or int(found["credits"]) or int(found["sandbox"]):
        return True
    charged, reason = quota.charge(
        conn, id_user=int(found["id_user"]), text=str(found["text"]), now=now
    )
    if reason is not None:
        conn.execute(
            "UPDATE sended SET state = 'failed', reason = ?, updated_at = ? "
            "WHERE id = ? AND state = 'queued'",
            (reason, wall(now), id_sended),
        )
        conn.execute(
            "UPDATE sended_segment SET state = 'failed' WHERE id_sended = ? AND state = 'queued'",
            (id_sended,),
        )
        if refused is not None:
            refused.append((id_sended, reason))
        return False
    if charged:
        conn.execute("UPDATE sended SET credits = ? WHERE id = ?", (charged, id_sended))
    return True


def _take(
    conn: sqlite3.Connection,
    id_sended: int,
    id_phone: int,
    now: float,
    refused: list[tuple[int, str]] | None = None,
) -> bool:
    if not _charged(conn, id_sended, now, refused):
        return False
    taken = conn.execute(
        "UPDATE sended SET state = 'sending', id_phone = :phone, "
        "adapter = (SELECT adapter FROM phone WHERE id = :phone), updated_at = :wall "
        "WHERE id = :id AND state = 'queued' "
        "AND (pinned_phone IS NULL OR pinned_phone = :phone)",
        {"phone": id_phone, "wall": wall(now), "id": id_sended},
    ).rowcount
    if not taken:
        return False
    conn.execute(
        "UPDATE sended_segment SET state = 'sending', id_phone = ? "
        "WHERE id_sended = ? AND state = 'queued'",
        (id_phone, id_sended),
    )
    return True


def _claimed_segments(conn: sqlite3.Connection, id_sended: int) -> tuple[int, ...]:
    found = conn.execute(
        "SELECT seq FROM sended_segment WHERE id_sended = ? AND state = 'sending' ORDER BY seq",
        (id_sended,),
    )
    return tuple(int(r[0]) for r in found)


async def claim(db: Database, id_sended: int, *, id_phone: int, now: float) -> bool:
    """``queued -> sending`` for ``id_phone``, with every unsent segment; ``False`` if not queued.

    Also refused (``False``) when the message is pinned to another phone.
    """
    return await db.write("claim", lambda conn: _take(conn, id_sended, id_phone, now))


async def claim_next(
    db: Database,
    *,
    id_phone: int,
    now: float,
    phone_ids: Sequence[int] | None = None,
    include_unpinned: bool = True,
    id_user: int | None = None,
    exclusion_hold: float = EXCLUSION_HOLD,
    refused: list[tuple[int, str]] | None = None,
) -> Claim | None:
    """Choose the next message as :func:`next_queued` does and claim it, in one transition.

    The choice is made inside the write transaction, so two senders claiming at once get two
    different messages (never the same one, and never a wasted try). ``phone_ids`` defaults to
    ``[id_phone]``. ``None`` when nothing is eligible, or when the chosen message was failed
    because its user's quota could not pay for it: its ``(id, reason)`` is then appended to
    ``refused`` when given.
    """
    ids = [int(p) for p in (phone_ids if phone_ids is not None else [id_phone])]
    params: dict[str, object] = {f"p{i}": p for i, p in enumerate(ids)}
    params.update(now=now, hold=now - exclusion_hold, unpinned=int(include_unpinned), user=id_user)
    sql = next_queued_sql(len(ids))
    return await db.write(
        "claim",
        lambda conn: _claim_next(conn, sql, params, id_phone=id_phone, now=now, refused=refused),
    )


def _claim_next(
    conn: sqlite3.Connection,
    sql: str,
    params: dict[str, object],
    *,
    id_phone: int,
    now: float,
    refused: list[tuple[int, str]] | None,
) -> Claim | None:
    found = conn.execute(sql, params).fetchone()
    if found is None:
        return None
    message = QueuedMessage.of(found)
    if not _take(conn, message.id, id_phone, now, refused):
        return None
    return Claim(message, _claimed_segments(conn, message.id))


async def unsent_segments(db: Database, id_sended: int) -> list[int]:
    """Sequence numbers (1-based, ascending) of the claimed segments still to submit."""
    return list(await db.read(lambda conn: _claimed_segments(conn, id_sended)))


def _segment_sent(
    conn: sqlite3.Connection, id_sended: int, seq: int, reference: int | None, now: float
) -> None:
    if reference is not None and reference < 0:
        raise InvalidValueError(f"a message reference is >= 0, not {reference}")
    done = conn.execute(
        "UPDATE sended_segment SET state = 'sent', reference = ?, sent_at = ? "
        "WHERE id_sended = ? AND seq = ? AND state = 'sending' "
        "AND EXISTS (SELECT 1 FROM sended WHERE id = ? AND state = 'sending')",
        (reference, now, id_sended, seq, id_sended),
    ).rowcount
    if not done:
        segment = conn.execute(
            "SELECT state FROM sended_segment WHERE id_sended = ? AND seq = ?", (id_sended, seq)
        ).fetchone()
        detail = f"segment {seq} is {segment[0] if segment else 'missing'}"
        raise TransitionError("mark_segment_sent", id_sended, _state(conn, id_sended), detail)
    if reference is None:
        conn.execute(
            "UPDATE sended SET reason = ? WHERE id = ?", (NO_REFERENCE.format(seq=seq), id_sended)
        )
    conn.execute(
        "UPDATE sended SET updated_at = :wall, uid = ("
        "  SELECT group_concat(reference, ',') FROM ("
        "    SELECT reference FROM sended_segment "
        "    WHERE id_sended = :id AND reference IS NOT NULL ORDER BY seq)) "
        "WHERE id = :id",
        {"wall": wall(now), "id": id_sended},
    )


async def mark_segment_sent(
    db: Database, id_sended: int, seq: int, *, reference: int | None, now: float
) -> None:
    """Segment ``seq``: ``sending -> sent`` with its TP message reference; updates ``uid``.

    ``uid`` becomes the references of the message's sent segments in segment order, joined
    by ``,`` (one segment: just its reference). ``reference`` is ``None`` when the modem
    accepted the segment without one: the message's reason says so (:data:`NO_REFERENCE`).
    """
    if reference is not None and reference < 0:
        raise InvalidValueError(f"a message reference is >= 0, not {reference}")
    await db.write(
        "mark_segment_sent", lambda conn: _segment_sent(conn, id_sended, seq, reference, now)
    )


async def mark_sent(
    db: Database, id_sended: int, *, now: float, last: tuple[int, int | None] | None = None
) -> None:
    """``sending -> sent`` once every segment is sent; ``at`` becomes the sending time.

    ``last`` is ``(seq, reference)`` of the segment just submitted: recorded first, in the same
    transition (as :func:`mark_segment_sent` would), so a one-segment message costs one commit.
    If status reports for every segment already arrived, the message goes straight to
    ``delivered`` (or ``failed`` on a permanent failure report).
    """
    if last is not None and last[1] is not None and last[1] < 0:
        raise InvalidValueError(f"a message reference is >= 0, not {last[1]}")
    await db.write("mark_sent", lambda conn: _mark_sent(conn, id_sended, now, last))


async def mark_sent_and_claim(
    db: Database,
    id_sended: int,
    *,
    now: float,
    last: tuple[int, int | None] | None,
    id_phone: int,
    include_unpinned: bool,
    refused: list[tuple[int, str]] | None = None,
) -> Claim | None:
    """:func:`mark_sent`, then :func:`claim_next` for the same phone, in one commit.

    A sender that may go on at once records the message it sent and takes its next one in one
    transaction: each step is still on disk before the modem hears of the next message, and a
    busy queue costs one commit per message fewer. The claim runs in a savepoint of its own: if
    it fails, the message is recorded sent all the same and ``None`` is returned (the sender
    claims again the usual way).
    """
    if last is not None and last[1] is not None and last[1] < 0:
        raise InvalidValueError(f"a message reference is >= 0, not {last[1]}")
    params: dict[str, object] = {
        "p0": id_phone, "now": now, "hold": now - EXCLUSION_HOLD,
        "unpinned": int(include_unpinned), "user": None,
    }  # fmt: skip
    sql = next_queued_sql(1)

    def body(conn: sqlite3.Connection) -> Claim | None:
        _mark_sent(conn, id_sended, now, last)
        conn.execute("SAVEPOINT claim_next")
        try:
            taken = _claim_next(conn, sql, params, id_phone=id_phone, now=now, refused=refused)
        except Exception:  # noqa: BLE001 - the send is recorded; the next claim is retried apart
            conn.execute("ROLLBACK TO claim_next")
            taken = None
        conn.execute("RELEASE claim_next")
        return taken

    return await db.write("mark_sent_and_claim", body)


def _mark_sent(
    conn: sqlite3.Connection, id_sended: int, now: float, last: tuple[int, int | None] | None
) -> None:
    if last is not None:
        _segment_sent(conn, id_sended, last[0], last[1], now)
    counts = conn.execute(
        "SELECT count(*) AS total, coalesce(sum(state = 'sent'), 0) AS sent, "
        "coalesce(sum(report = 'delivered'), 0) AS delivered, "
        "coalesce(sum(report = 'failed'), 0) AS failed "
        "FROM sended_segment WHERE id_sended = ?",
        (id_sended,),
    ).fetchone()
    total, sent = int(counts["total"]), int(counts["sent"])
    state = _state(conn, id_sended)
    if state != MessageState.SENDING or total == 0 or sent != total:
        detail = f"{sent} of {total} segments sent" if state == MessageState.SENDING else ""
        raise TransitionError("mark_sent", id_sended, state, detail)
    target = MessageState.SENT
    if int(counts["failed"]):
        target = MessageState.FAILED
    elif int(counts["delivered"]) == total:
        target = MessageState.DELIVERED
    conn.execute(
        "UPDATE sended SET state = ?, at = ?, updated_at = ? WHERE id = ? AND state = 'sending'",
        (target.value, wall(now), wall(now), id_sended),
    )


async def requeue(
    db: Database,
    id_sended: int,
    *,
    reason: str,
    next_attempt_at: float,
    exclude_phone: int | None,
    count_attempt: bool = True,
) -> None:
    """``sending -> queued`` after a temporary failure, to retry at ``next_attempt_at``.

    ``attempts`` grows by one unless ``count_attempt`` is false (the phone went away, the
    message itself did not fail). Segments already sent stay sent: only the others are sent
    again. ``exclude_phone`` makes the next try prefer another phone (see :func:`next_queued`).
    """
    updated = wall(time.time())

    def body(conn: sqlite3.Connection) -> None:
        done = conn.execute(
            "UPDATE sended SET state = 'queued', attempts = attempts + ?, reason = ?, "
            "next_attempt_at = ?, excluded_phone = ?, updated_at = ? "
            "WHERE id = ? AND state = 'sending'",
            (int(count_attempt), reason, next_attempt_at, exclude_phone, updated, id_sended),
        ).rowcount
        if not done:
            raise TransitionError("requeue", id_sended, _state(conn, id_sended))
        conn.execute(
            "UPDATE sended_segment SET state = 'queued' WHERE id_sended = ? AND state = 'sending'",
            (id_sended,),
        )

    await db.write("requeue", body)


async def mark_failed(db: Database, id_sended: int, *, reason: str, now: float) -> None:
    """``queued | sending -> failed`` with ``reason``; segments not yet sent fail with it."""

    def body(conn: sqlite3.Connection) -> None:
        done = conn.execute(
            "UPDATE sended SET state = 'failed', reason = ?, updated_at = ? "
            "WHERE id = ? AND state IN ('queued', 'sending')",
            (reason, wall(now), id_sended),
        ).rowcount
        if not done:
            raise TransitionError("mark_failed", id_sended, _state(conn, id_sended))
        conn.execute(
            "UPDATE sended_segment SET state = 'failed' "
            "WHERE id_sended = ? AND state IN ('queued', 'sending')",
            (id_sended,),
        )
        quota.refund(conn, id_sended)

    await db.write("mark_failed", body)


async def mark_unknown(db: Database, id_sended: int, *, reason: str, now: float) -> None:
    """``sending -> unknown``: the submit may have left; the message is never sent again."""

    def body(conn: sqlite3.Connection) -> None:
        done = conn.execute(
            "UPDATE sended SET state = 'unknown', reason = ?, updated_at = ? "
            "WHERE id = ? AND state = 'sending'",
            (reason, wall(now), id_sended),
        ).rowcount
        if not done:
            raise TransitionError("mark_unknown", id_sended, _state(conn, id_sended))
        conn.execute(
            "UPDATE sended_segment SET state = 'unknown', sent_at = coalesce(sent_at, ?) "
            "WHERE id_sended = ? AND state = 'sending'",
            (now, id_sended),
        )

    await db.write("mark_unknown", body)


async def recover_interrupted(
    db: Database, *, at_least_once: bool = False, now: float | None = None
) -> int:
    """At start-up: settle the messages a previous run left in ``sending``; return how many.

    Default (at most once): they become ``unknown`` with reason ``interrupted`` and are never
    sent again (their segments in flight are counted as possibly sent). With ``at_least_once``
    they go back to ``queued`` (reason ``interrupted``) and their unsent segments will be sent,
    possibly a second time.
    """
    moment = time.time() if now is None else now
    settled = MessageState.QUEUED if at_least_once else MessageState.UNKNOWN
    message_state = segment_state = settled.value

    async def body(conn: AsyncConnection) -> int:
        await change(
            conn,
            "UPDATE sended_segment SET state = ?, "
            "sent_at = CASE WHEN ? = 'unknown' THEN coalesce(sent_at, ?) ELSE sent_at END "
            "WHERE state = 'sending' "
            "AND id_sended IN (SELECT id FROM sended WHERE state = 'sending')",
            (segment_state, segment_state, moment),
        )
        return await change(
            conn,
            "UPDATE sended SET state = ?, reason = ?, updated_at = ? WHERE state = 'sending'",
            (message_state, INTERRUPTED, wall(moment)),
        )

    return await db.atomic("recover_interrupted", body)


__all__ = [
    "EXCLUSION_HOLD",
    "INTERRUPTED",
    "NO_REFERENCE",
    "Claim",
    "QueuedMessage",
    "Recipient",
    "claim",
    "claim_next",
    "create_scheduled",
    "delete_scheduled",
    "due_scheduled",
    "expand_scheduled",
    "mark_failed",
    "mark_segment_sent",
    "mark_sent",
    "mark_sent_and_claim",
    "mark_unknown",
    "match_report",
    "next_queued",
    "next_queued_sql",
    "queue_depth",
    "record_report",
    "recover_interrupted",
    "requeue",
    "sent_volume",
    "unsent_segments",
]
