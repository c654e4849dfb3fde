"""Which queued message a phone takes next, and the ``claim`` that takes it (``queued -> sending``).

A claim is one compare-and-set on the message's state: it charges the user's quota (a message
the quota cannot pay for fails instead, nothing claimed), moves the message and its unsent
segments to ``sending`` for the phone, and gives back the segments to submit. It commits before
the modem hears of the message. :func:`claim_next` chooses and claims in one transition, so two
senders claiming at once get two different messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store import quota
from smsd.store.rows import QueuedMessage
from smsd.store.walltime import wall

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from smsd.store.db import Database

__all__ = [
    "EXCLUSION_HOLD",
    "Claim",
    "claim",
    "claim_next",
    "claim_next_in",
    "claim_on_accept",
    "next_queued",
    "next_queued_params",
    "next_queued_sql",
    "queued_due_after",
    "unsent_segments",
]

EXCLUSION_HOLD = 120.0
"""Seconds after its retry time during which a requeued message avoids the phone it failed on.

Afterwards any phone may take it again, so a message whose other phones all vanished is not
stranded."""


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
        "s.id_phone_group, s.attempts, s.segments, s.request_report, s.priority, s.mms, "
        "s.credits "
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


def next_queued_params(
    phone_ids: Sequence[int],
    *,
    now: float,
    include_unpinned: bool = True,
    id_user: int | None = None,
    exclusion_hold: float = EXCLUSION_HOLD,
) -> dict[str, object]:
    """The parameters of :func:`next_queued_sql` for ``phone_ids`` (see :func:`next_queued`)."""
    params: dict[str, object] = {f"p{i}": int(p) for i, p in enumerate(phone_ids)}
    params.update(now=now, hold=now - exclusion_hold, unpinned=int(include_unpinned), user=id_user)
    return params


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
    params = next_queued_params(
        phone_ids,
        now=now,
        include_unpinned=include_unpinned,
        id_user=id_user,
        exclusion_hold=exclusion_hold,
    )
    found = await db.fetchone(next_queued_sql(len(phone_ids)), params)
    return None if found is None else QueuedMessage.of(found)


@dataclass(frozen=True)
class Claim:
    """A message a sender took: the message and the segments it must submit (1-based)."""

    message: QueuedMessage
    segments: tuple[int, ...]


def _charged(
    conn: sqlite3.Connection,
    id_sended: int,
    now: float,
    refused: list[tuple[int, str]] | None,
    chosen: sqlite3.Row | None = None,
) -> bool:
    """Charge a queued message to its user's quota; ``False`` (message failed) if refused.

    ``chosen``: the message's row as the claim's own query read it (``id_user``, ``text``,
    ``credits``; sandbox messages are never chosen), so that it is not read twice.
    """
    found = chosen
    if found is None:
        found = conn.execute(
            "SELECT id_user, text, credits, sandbox FROM sended WHERE id = ? AND state = 'queued'",
            (id_sended,),
        ).fetchone()
        if found is None or int(found["sandbox"]):
            return True
    if int(found["credits"]):
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
    *,
    chosen: sqlite3.Row | None = None,
) -> tuple[int, ...] | None:
    """Claim a message for ``id_phone``: its unsent segments (ascending); ``None``: not taken."""
    if not _charged(conn, id_sended, now, refused, chosen):
        return None
    taken = conn.execute(
        "UPDATE sended SET state = 'sending', id_phone = :phone, "
        "adapter = (SELECT adapter FROM phone WHERE id = :phone), updated_at = :wall "
        "WHERE id = :id AND state = 'queued' "
        "AND (pinned_phone IS NULL OR pinned_phone = :phone)",
        {"phone": id_phone, "wall": wall(now), "id": id_sended},
    ).rowcount
    if not taken:
        return None
    # A SELECT then an UPDATE: ``RETURNING`` would have SQLite build two temporary tables.
    segments = conn.execute(
        "SELECT seq FROM sended_segment WHERE id_sended = ? AND state = 'queued' ORDER BY seq",
        (id_sended,),
    ).fetchall()
    conn.execute(
        "UPDATE sended_segment SET state = 'sending', id_phone = ? "
        "WHERE id_sended = ? AND state = 'queued'",
        (id_phone, id_sended),
    )
    return tuple(int(r[0]) for r in segments)


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
    return await db.write("claim", lambda conn: _take(conn, id_sended, id_phone, now) is not None)


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
    idle_until: list[float | None] | None = None,
) -> Claim | None:
    """Choose the next message as :func:`next_queued` does and claim it, in one transition.

    The choice is made inside the write transaction, so two senders claiming at once get two
    different messages (never the same one, and never a wasted try). ``phone_ids`` defaults to
    ``[id_phone]``. ``None`` when nothing is eligible, or when the chosen message was failed
    because its user's quota could not pay for it: its ``(id, reason)`` is then appended to
    ``refused`` when given. When nothing was eligible, ``idle_until`` (if given) gets the
    instant a queued message next becomes eligible (:func:`queued_due_after`), read in the same
    transaction.
    """
    ids = phone_ids if phone_ids is not None else [id_phone]
    params = next_queued_params(
        ids,
        now=now,
        include_unpinned=include_unpinned,
        id_user=id_user,
        exclusion_hold=exclusion_hold,
    )
    sql = next_queued_sql(len(ids))

    def body(conn: sqlite3.Connection) -> Claim | None:
        taken = claim_next_in(conn, sql, params, id_phone=id_phone, now=now, refused=refused)
        if taken is None and idle_until is not None and not refused:
            idle_until.append(queued_due_after(conn, now, exclusion_hold))
        return taken

    return await db.write("claim", body)


def claim_next_in(
    conn: sqlite3.Connection,
    sql: str,
    params: dict[str, object],
    *,
    id_phone: int,
    now: float,
    refused: list[tuple[int, str]] | None,
) -> Claim | None:
    """:func:`claim_next`'s body, for a transaction that does more (see ``mark_sent_and_claim``).

    ``sql`` is :func:`next_queued_sql` and ``params`` its parameters.
    """
    found = conn.execute(sql, params).fetchone()
    if found is None:
        return None
    message = QueuedMessage.of(found)
    segments = _take(conn, message.id, id_phone, now, refused, chosen=found)
    return None if segments is None else Claim(message, segments)


async def unsent_segments(db: Database, id_sended: int) -> list[int]:
    """Sequence numbers (1-based, ascending) of the claimed segments still to submit."""
    return list(await db.read(lambda conn: _claimed_segments(conn, id_sended)))


_QUEUED_DUE_AFTER = (
    "SELECT min(CASE WHEN next_attempt_at > :now THEN next_attempt_at "
    "ELSE next_attempt_at + :hold END) FROM sended "
    "WHERE state = 'queued' AND sandbox = 0 AND (next_attempt_at > :now "
    "OR (excluded_phone IS NOT NULL AND next_attempt_at + :hold > :now))"
)


def queued_due_after(
    conn: sqlite3.Connection, now: float, exclusion_hold: float = EXCLUSION_HOLD
) -> float | None:
    """The earliest instant after ``now`` a queued message becomes eligible for more phones.

    That is its ``next_attempt_at`` (a retry delay) or, for a message requeued away from a
    phone, the end of that exclusion (the phone may take it again). ``None``: no such instant.
    """
    found = conn.execute(_QUEUED_DUE_AFTER, {"now": now, "hold": exclusion_hold}).fetchone()
    return None if found is None or found[0] is None else float(found[0])


def claim_on_accept(
    conn: sqlite3.Connection,
    id_phone: int,
    *,
    now: float,
    refused: list[tuple[int, str]],
) -> Claim | None:
    """The claim an idle phone makes inside the transaction accepting messages.

    The same choice as :func:`claim_next` for ``id_phone`` taking unpinned messages, made in a
    savepoint of its own: if it fails, the acceptance stands and nothing is claimed.
    """
    params = next_queued_params([id_phone], now=now)
    conn.execute("SAVEPOINT claim_on_accept")
    try:
        taken = claim_next_in(
            conn, next_queued_sql(1), params, id_phone=id_phone, now=now, refused=refused
        )
    except Exception:  # noqa: BLE001 - the sender claims on its own instead
        conn.execute("ROLLBACK TO claim_on_accept")
        taken = None
        refused.clear()
    conn.execute("RELEASE claim_on_accept")
    return taken
