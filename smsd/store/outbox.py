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
from typing import TYPE_CHECKING

from smsd.model import MessageState
from smsd.store import quota
from smsd.store.claiming import (
    EXCLUSION_HOLD,
    Claim,
    claim,
    claim_next,
    claim_next_in,
    next_queued,
    next_queued_params,
    next_queued_sql,
    queued_due_after,
    unsent_segments,
)
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

    from smsd.store.db import Database
    from smsd.store.writer import AsyncConnection

INTERRUPTED = "interrupted"
NO_REFERENCE = (
    "the modem accepted segment {seq} without a message reference: "
    "no status report can be matched to it"
)
"""Reason kept on a message one of whose segments the modem accepted with a bare ``OK``."""


def _state(conn: sqlite3.Connection, id_sended: int) -> str | None:
    found = conn.execute("SELECT state FROM sended WHERE id = ?", (id_sended,)).fetchone()
    return None if found is None else str(found[0])


def _segment_sent(
    conn: sqlite3.Connection,
    id_sended: int,
    seq: int,
    reference: int | None,
    now: float,
    *,
    uid: bool = True,
) -> None:
    """Record one segment sent; ``uid=False``: the caller's next statement updates ``uid``."""
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
    if not uid:
        return
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
    idle_until: list[float | None] | None = None,
) -> Claim | None:
    """:func:`mark_sent`, then :func:`claim_next` for the same phone, in one commit.

    A sender that may go on at once records the message it sent and takes its next one in one
    transaction: each step is still on disk before the modem hears of the next message, and a
    busy queue costs one commit per message fewer. The claim runs in a savepoint of its own: if
    it fails, the message is recorded sent all the same and ``None`` is returned (the sender
    claims again the usual way). When the claim finds nothing, ``idle_until`` (if given) gets
    the instant a queued message next becomes eligible (:func:`queued_due_after`, ``None`` if
    none), read in the same transaction: the sender sleeps until then without a read of its own.
    """
    if last is not None and last[1] is not None and last[1] < 0:
        raise InvalidValueError(f"a message reference is >= 0, not {last[1]}")
    params = next_queued_params([id_phone], now=now, include_unpinned=include_unpinned)
    sql = next_queued_sql(1)

    def body(conn: sqlite3.Connection) -> Claim | None:
        _mark_sent(conn, id_sended, now, last)
        conn.execute("SAVEPOINT claim_next")
        try:
            taken = claim_next_in(conn, sql, params, id_phone=id_phone, now=now, refused=refused)
            if taken is None and idle_until is not None:
                idle_until.append(queued_due_after(conn, now))
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
        _segment_sent(conn, id_sended, last[0], last[1], now, uid=False)
    # One statement: the state the reports already decided, the references joined in segment
    # order, and the compare-and-set (still sending, has segments, every one of them sent).
    done = conn.execute(
        "UPDATE sended SET at = :wall, updated_at = :wall, "
        "uid = (SELECT group_concat(reference, ',') FROM ("
        "  SELECT reference FROM sended_segment "
        "  WHERE id_sended = :id AND reference IS NOT NULL ORDER BY seq)), "
        "state = CASE "
        "  WHEN EXISTS (SELECT 1 FROM sended_segment "
        "               WHERE id_sended = :id AND report = 'failed') THEN 'failed' "
        "  WHEN NOT EXISTS (SELECT 1 FROM sended_segment "
        "                   WHERE id_sended = :id AND report IS NOT 'delivered') THEN 'delivered' "
        "  ELSE 'sent' END "
        "WHERE id = :id AND state = 'sending' "
        "AND EXISTS (SELECT 1 FROM sended_segment WHERE id_sended = :id) "
        "AND NOT EXISTS (SELECT 1 FROM sended_segment WHERE id_sended = :id AND state <> 'sent')",
        {"wall": wall(now), "id": id_sended},
    ).rowcount
    if done:
        return
    counts = conn.execute(
        "SELECT count(*), coalesce(sum(state = 'sent'), 0) FROM sended_segment WHERE id_sended = ?",
        (id_sended,),
    ).fetchone()
    state = _state(conn, id_sended)
    detail = f"{counts[1]} of {counts[0]} segments sent" if state == MessageState.SENDING else ""
    raise TransitionError("mark_sent", id_sended, state, detail)


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
