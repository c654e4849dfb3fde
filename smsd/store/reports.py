"""Status reports matched to sent segments, and the counters the senders ask for.

A status report names the phone it came through, the TP message reference (0-255, reused
quickly) and the recipient. :func:`match_report` finds the most recent segment sent from that
phone with that reference, after ``since``, to a number that matches the recipient — national
and international forms of a number match (``0612345678`` and ``+33612345678``). The message
follows its segments (:func:`record_report`): ``delivered`` when every segment is reported
delivered, ``failed`` as soon as one is reported permanently failed; a temporary report changes
nothing but the segment. A message already ``delivered`` or ``failed`` keeps that state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store.db import change, row
from smsd.store.errors import NotFoundError, StoreError
from smsd.store.walltime import parse_wall

if TYPE_CHECKING:
    from smsd.store.db import Database
    from smsd.store.writer import AsyncConnection

_NON_DIGITS = re.compile(r"\D")
SHORTEST_SUFFIX = 7
"""Digits two numbers of different lengths must share to match (a short code must match whole)."""


def _digits(number: str) -> str:
    return _NON_DIGITS.sub("", number).lstrip("0")


def same_number(a: str, b: str) -> bool:
    """Whether two spellings name the same number (national, international, ``00`` prefix)."""
    da, db_ = _digits(a), _digits(b)
    if not da or not db_:
        return a.strip() == b.strip() and bool(a.strip())
    if da == db_:
        return True
    shorter, longer = sorted((da, db_), key=len)
    return len(shorter) >= SHORTEST_SUFFIX and longer.endswith(shorter)


async def match_report(
    db: Database, *, id_phone: int, reference: int, recipient: str, since: float
) -> tuple[int, int] | None:
    """``(id_sended, seq)`` of the segment a status report is about, or ``None``."""
    found = await db.fetchall(
        "SELECT g.id_sended, g.seq, s.destination FROM sended_segment AS g "
        "JOIN sended AS s ON s.id = g.id_sended "
        "WHERE g.id_phone = ? AND g.reference = ? AND g.sent_at >= ? AND g.state = 'sent' "
        "ORDER BY g.sent_at DESC, g.id DESC",
        (id_phone, reference, since),
    )
    for candidate in found:
        if same_number(str(candidate["destination"]), recipient):
            return int(candidate["id_sended"]), int(candidate["seq"])
    return None


_STATUS_OF_STATE = {"delivered": "delivered", "failed": "failed"}


async def record_report(
    db: Database,
    id_sended: int,
    seq: int,
    *,
    status: int,
    delivered: bool,
    permanent: bool,
    now: float,
) -> str:
    """Record a status report on segment ``seq``; return the message's RaspiSMS status.

    ``status`` is the TP-Status octet; ``delivered`` / ``permanent`` its meaning (neither: the
    service centre is still trying). A final report on a segment is not undone by a later
    temporary one. The message changes only while ``sent``.
    """
    report = "delivered" if delivered else "failed" if permanent else "pending"

    async def body(conn: AsyncConnection) -> str:
        done = await change(
            conn,
            "UPDATE sended_segment SET report_status = ?, reported_at = ?, "
            "report = CASE WHEN report IN ('delivered', 'failed') AND ? = 'pending' "
            "THEN report ELSE ? END WHERE id_sended = ? AND seq = ?",
            (status, now, report, report, id_sended, seq),
        )
        if not done:
            raise NotFoundError(f"no segment {seq} of message {id_sended}")
        counts = await row(
            conn,
            "SELECT count(*) AS total, coalesce(sum(report = 'delivered'), 0) AS delivered, "
            "coalesce(sum(report = 'failed'), 0) AS failed, "
            "(SELECT state FROM sended WHERE id = ?) AS state "
            "FROM sended_segment WHERE id_sended = ?",
            (id_sended, id_sended),
        )
        assert counts is not None
        state = str(counts["state"])
        if state == "sent":
            target = state
            if int(counts["failed"]):
                target = "failed"
            elif int(counts["delivered"]) == int(counts["total"]):
                target = "delivered"
            if target != state:
                reason = f"status report: TP-Status 0x{status:02X}" if target == "failed" else None
                await change(
                    conn,
                    "UPDATE sended SET state = ?, reason = coalesce(?, reason), "
                    "updated_at = datetime(?, 'unixepoch', 'localtime') "
                    "WHERE id = ? AND state = 'sent'",
                    (target, reason, now, id_sended),
                )
                state = target
        return _STATUS_OF_STATE.get(state, "unknown")

    return await db.atomic("record_report", body)


async def sent_volume(db: Database, *, id_phone: int, since_wall: str) -> int:
    """Segments ``id_phone`` sent (or may have: ``unknown``) since the local time ``since_wall``."""
    since = parse_wall(since_wall, field="since_wall")
    found = await db.fetchone(
        "SELECT count(*) FROM sended_segment "
        "WHERE id_phone = ? AND sent_at >= ? AND state IN ('sent', 'unknown')",
        (id_phone, since),
    )
    return 0 if found is None else int(found[0])


@dataclass(frozen=True)
class MessageCounts:
    """Outgoing messages by state, scheduled messages not yet expanded, received messages."""

    by_state: dict[str, int]
    scheduled: int
    received: int


async def message_counts(db: Database) -> MessageCounts:
    """Count messages by state, pending scheduled messages and received messages."""
    by_state = {
        str(found["state"]): int(found["n"])
        for found in await db.fetchall("SELECT state, count(*) AS n FROM sended GROUP BY state")
    }
    totals = await db.fetchone(
        "SELECT (SELECT count(*) FROM scheduled WHERE expanded_at IS NULL) AS scheduled, "
        "(SELECT count(*) FROM received) AS received"
    )
    if totals is None:  # pragma: no cover - a SELECT without FROM always yields one row
        raise StoreError("the store returned no totals")
    return MessageCounts(by_state, int(totals["scheduled"]), int(totals["received"]))


async def queue_depth(db: Database) -> int:
    """Messages waiting in the queue (due or not)."""
    found = await db.fetchone("SELECT count(*) FROM sended WHERE state = 'queued'")
    return 0 if found is None else int(found[0])


__all__ = [
    "SHORTEST_SUFFIX",
    "MessageCounts",
    "match_report",
    "message_counts",
    "queue_depth",
    "record_report",
    "same_number",
    "sent_volume",
]
