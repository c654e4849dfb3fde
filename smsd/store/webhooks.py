"""Webhooks and their event outbox.

A user's webhooks (``webhook``: a URL, one RaspiSMS type, a secret) are created, listed and
deleted here. Their events (``webhook_event``) are written by the triggers of migration 0002 in
the transaction of the change that causes them; :func:`add_event` writes one from code, inside a
caller's transaction, for causes no trigger sees.

Delivery bookkeeping: :func:`due_events` hands out pending events whose time has come, never one
with an earlier pending event of the same target and subject (so a message's events reach each
receiver in order), and :func:`record_outcomes` commits a batch of attempts in one transaction:
``delivered``, retried later, or ``dead`` (given up). Nothing here knows HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store.db import insert, page_offset, rows
from smsd.store.errors import InvalidValueError

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from smsd.store.db import Database
    from smsd.store.writer import AsyncConnection

__all__ = [
    "PURGE_BATCH",
    "REPLY_WINDOW",
    "WEBHOOK_CHANNEL",
    "EventRow",
    "Outcome",
    "WebhookRow",
    "add_event",
    "count_webhooks",
    "create_webhook",
    "delete_webhook",
    "due_events",
    "due_sql",
    "event_states",
    "expire_replies",
    "fan_out",
    "list_webhooks",
    "next_due",
    "purge_finished",
    "record_outcomes",
    "set_reply_window",
]

REPLY_WINDOW = "reply_window"
WEBHOOK_CHANNEL = "webhook"
"""The events the webhook sender posts (``mqtt``: those the MQTT bridge publishes)."""
PURGE_BATCH = 500
"""Finished events deleted per transaction (the writer is never held long)."""

_NOW = "(julianday('now') - 2440587.5) * 86400.0"


@dataclass(frozen=True)
class WebhookRow:
    """A webhook as the API lists it (the secret is never listed)."""

    id: int
    id_user: int
    url: str
    type: str
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, r: sqlite3.Row) -> WebhookRow:
        """Build from a ``webhook`` row."""
        return cls(
            id=int(r["id"]),
            id_user=int(r["id_user"]),
            url=str(r["url"]),
            type=str(r["type"]),
            created_at=str(r["created_at"]),
            updated_at=str(r["updated_at"]),
        )


@dataclass(frozen=True)
class EventRow:
    """A pending event with what its delivery needs (URL, API key, signing secret)."""

    id: int
    id_user: int
    target: str
    url: str
    type: str
    subject: str
    body: str
    timestamp: int
    random_id: str
    created_at: float
    attempts: int
    api_key: str
    secret: str
    format: str = ""
    """The shape the event takes (``""``: RaspiSMS's; ``"smspartner"``: see migration
    callback_format), with the message fields that shape needs beyond the stored body."""
    destination: str = ""
    id_scheduled: int | None = None

    @classmethod
    def of(cls, r: sqlite3.Row) -> EventRow:
        """Build from a :func:`due_events` row."""
        # A plain key only while an older database awaits hashing; else the daemon's key ring
        # provides it at delivery time.
        api_key = "" if r["api_key"] is None else str(r["api_key"])
        return cls(
            id=int(r["id"]),
            id_user=int(r["id_user"]),
            target=str(r["target"]),
            url=str(r["url"]),
            type=str(r["type"]),
            subject=str(r["subject"]),
            body=str(r["body"]),
            timestamp=int(r["timestamp"]),
            random_id=str(r["random_id"]),
            created_at=float(r["created_at"]),
            attempts=int(r["attempts"]),
            api_key=api_key,
            secret="" if r["secret"] is None else str(r["secret"]),
            format="" if r["format"] is None else str(r["format"]),
            destination="" if r["destination"] is None else str(r["destination"]),
            id_scheduled=None if r["id_scheduled"] is None else int(r["id_scheduled"]),
        )


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt: delivered, to retry at ``retry_at``, or dead (given up)."""

    id: int
    at: float
    delivered: bool
    error: str | None = None
    retry_at: float | None = None

    @property
    def dead(self) -> bool:
        """Failed with no retry planned."""
        return not self.delivered and self.retry_at is None


# ---------------------------------------------------------------------- webhooks


async def create_webhook(db: Database, *, id_user: int, url: str, type_: str, secret: str) -> int:
    """Store a webhook; return its id. ``type_`` must be a known webhook type."""
    if not secret:
        raise InvalidValueError("a webhook needs a secret")

    async def body(conn: AsyncConnection) -> int:
        return await insert(
            conn,
            "INSERT INTO webhook (id_user, url, type, secret) VALUES (?, ?, ?, ?)",
            (id_user, url, type_, secret),
        )

    return await db.atomic("create_webhook", body)


async def list_webhooks(
    db: Database, *, id_user: int, page: int = 0, limit: int = 25
) -> list[WebhookRow]:
    """Page ``page`` of ``id_user``'s webhooks, ascending by id, ``limit`` per page."""
    if page < 0 or limit < 1:
        raise InvalidValueError(f"bad page {page} / limit {limit}")
    found = await db.fetchall(
        "SELECT id, id_user, url, type, created_at, updated_at FROM webhook "
        "WHERE id_user = ? ORDER BY id LIMIT ? OFFSET ?",
        (id_user, limit, page_offset(page, limit)),
    )
    return [WebhookRow.of(r) for r in found]


async def count_webhooks(db: Database, *, id_user: int) -> int:
    """How many webhooks ``id_user`` has."""
    found = await db.fetchone("SELECT count(*) FROM webhook WHERE id_user = ?", (id_user,))
    return 0 if found is None else int(found[0])


async def delete_webhook(db: Database, *, id_user: int, id_webhook: int) -> bool:
    """Delete one of ``id_user``'s webhooks and its undelivered events; ``False`` if none."""
    return bool(
        await db.execute("DELETE FROM webhook WHERE id = ? AND id_user = ?", (id_webhook, id_user))
    )


# ---------------------------------------------------------------------- writing events


async def add_event(
    conn: AsyncConnection,
    *,
    id_user: int,
    type_: str,
    subject: str,
    body: object,
    id_webhook: int | None = None,
    url: str | None = None,
) -> int:
    """Write one event for a webhook or a URL inside the caller's transaction; return its id."""
    if (id_webhook is None) == (url is None):
        raise InvalidValueError("an event goes to exactly one webhook or URL")
    target = url if url is not None else f"webhook:{id_webhook}"
    return await insert(
        conn,
        "INSERT INTO webhook_event (id_user, id_webhook, url, target, type, subject, body, "  # noqa: S608 - a constant expression, values are bound
        "timestamp, random_id, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
        "CAST(strftime('%s', 'now') AS INTEGER), "
        "strftime('%s', 'now') || '-' || lower(hex(randomblob(16))), "
        f"{_NOW}, {_NOW})",
        (id_user, id_webhook, url, target, type_, subject, json.dumps(body)),
    )


async def fan_out(
    conn: AsyncConnection, *, id_user: int, type_: str, subject: str, body: object
) -> int:
    """One event per webhook of ``id_user`` of type ``type_`` (setting permitting); the count.

    For causes no trigger sees (a phone's reliability, an inbound call), inside the caller's
    transaction.
    """
    hooks = await rows(
        conn,
        "SELECT id FROM webhook WHERE id_user = ? AND type = ? AND NOT EXISTS ("
        "SELECT 1 FROM setting WHERE id_user = ? AND name = 'webhook' AND value IN ('0', '')) "
        "ORDER BY id",
        (id_user, type_, id_user),
    )
    for hook in hooks:
        await add_event(
            conn, id_user=id_user, type_=type_, subject=subject, body=body, id_webhook=hook["id"]
        )
    return len(hooks)


async def set_reply_window(db: Database, seconds: float) -> None:
    """How long after a send its recipient's messages go to its ``url_response``."""
    if seconds < 0:
        raise InvalidValueError(f"a reply window is >= 0 seconds, not {seconds}")
    await db.execute(
        "INSERT INTO webhook_option (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (REPLY_WINDOW, float(seconds)),
    )


# ---------------------------------------------------------------------- delivering events


def due_sql(excluded_ids: int, excluded_targets: int) -> str:
    """The query of :func:`due_events` with that many ids and targets bound to leave out.

    ``:channel`` chooses the consumer's events (``webhook``, or ``mqtt`` for the MQTT bridge).
    """
    ids = ", ".join(f":i{n}" for n in range(excluded_ids))
    targets = ", ".join(f":t{n}" for n in range(excluded_targets))
    return (
        "SELECT e.id, e.id_user, e.target, coalesce(e.url, w.url) AS url, e.type, e.subject, "  # noqa: S608 - placeholders only
        "e.body, e.timestamp, e.random_id, e.created_at, e.attempts, u.api_key, w.secret, "
        "CASE WHEN e.url IS NOT NULL THEN sc.callback_format END AS format, "
        "sd.destination, sc.id AS id_scheduled "
        "FROM webhook_event AS e JOIN user AS u ON u.id = e.id_user "
        "LEFT JOIN webhook AS w ON w.id = e.id_webhook "
        "LEFT JOIN sended AS sd ON e.subject LIKE 'sended:%' "
        "AND sd.id = CAST(substr(e.subject, 8) AS INTEGER) "
        "LEFT JOIN scheduled AS sc ON sc.id = coalesce(sd.originating_scheduled, "
        "json_extract(e.body, '$.originating_scheduled')) "
        "WHERE e.state = 'pending' AND e.channel = :channel AND e.next_attempt_at <= :now "
        f"AND e.id NOT IN ({ids}) AND e.target NOT IN ({targets}) "
        "AND NOT EXISTS (SELECT 1 FROM webhook_event AS p WHERE p.state = 'pending' "
        "AND p.target = e.target AND p.subject = e.subject AND p.id < e.id) "
        "ORDER BY e.next_attempt_at, e.id LIMIT :limit"
    )


async def due_events(
    db: Database,
    *,
    now: float,
    limit: int,
    exclude_ids: Sequence[int] = (),
    exclude_targets: Sequence[str] = (),
    channel: str = WEBHOOK_CHANNEL,
) -> list[EventRow]:
    """Pending events due at ``now``, first due first, at most ``limit``.

    An event is left out while an earlier pending event of the same target and subject exists
    (order per message), and when its id or target is excluded (in flight, or the target is
    busy or failing). Only events of ``channel`` are handed out.
    """
    params: dict[str, object] = {"now": now, "limit": limit, "channel": channel}
    params.update({f"i{n}": i for n, i in enumerate(exclude_ids)})
    params.update({f"t{n}": t for n, t in enumerate(exclude_targets)})
    found = await db.fetchall(due_sql(len(exclude_ids), len(exclude_targets)), params)
    return [EventRow.of(r) for r in found]


async def next_due(
    db: Database, channel: str = WEBHOOK_CHANNEL, *, after: float | None = None
) -> float | None:
    """When the earliest pending event is due, or ``None`` when nothing is pending.

    With ``after``, only events due later than that instant count: those due by then were
    offered to a consumer that looked at ``after`` (handed out, or held back by something that
    wakes the consumer itself), and must not hide a later one behind them.
    """
    found = await db.fetchone(
        "SELECT min(next_attempt_at) FROM webhook_event WHERE state = 'pending' AND channel = ? "
        "AND next_attempt_at > ?",
        (channel, float("-inf") if after is None else after),
    )
    return None if found is None or found[0] is None else float(found[0])


async def record_outcomes(
    db: Database, outcomes: Sequence[Outcome], holds: Sequence[tuple[str, float]] = ()
) -> None:
    """Commit the outcomes of a batch of attempts in one transaction.

    ``holds`` are ``(target, until)`` pairs: the target's pending events are not due before
    ``until`` (a failing receiver is left alone without its backlog being scanned meanwhile).
    """
    if not outcomes and not holds:
        return

    async def body(conn: AsyncConnection) -> None:
        await conn.executemany(
            "UPDATE webhook_event SET attempts = attempts + 1, last_error = ?, "
            "state = CASE WHEN ? THEN 'delivered' WHEN ? IS NULL THEN 'dead' ELSE state END, "
            "next_attempt_at = coalesce(?, next_attempt_at), "
            "finished_at = CASE WHEN ? OR ? IS NULL THEN ? ELSE NULL END "
            "WHERE id = ? AND state = 'pending'",
            [
                (o.error, int(o.delivered), o.retry_at, o.retry_at, int(o.delivered),
                 o.retry_at, o.at, o.id)
                for o in outcomes
            ],
        )  # fmt: skip
        await conn.executemany(
            "UPDATE webhook_event SET next_attempt_at = ? "
            "WHERE target = ? AND state = 'pending' AND next_attempt_at < ?",
            [(until, target, until) for target, until in holds],
        )

    await db.atomic("record_webhook_outcomes", body)


async def purge_finished(db: Database, *, before: float, batch: int = PURGE_BATCH) -> int:
    """Delete up to ``batch`` delivered or dead events finished before ``before``; the count."""
    return await db.execute(
        "DELETE FROM webhook_event WHERE id IN (SELECT id FROM webhook_event "
        "WHERE state <> 'pending' AND finished_at < ? ORDER BY finished_at LIMIT ?)",
        (before, batch),
    )


async def expire_replies(db: Database, *, now: float) -> int:
    """Forget the reply windows that closed before ``now``; the count."""
    return await db.execute("DELETE FROM webhook_reply WHERE until < ?", (now,))


async def event_states(db: Database, channel: str = WEBHOOK_CHANNEL) -> dict[str, int]:
    """How many events of ``channel`` are ``pending``, ``delivered`` and ``dead``."""
    found = await db.fetchall(
        "SELECT state, count(*) AS n FROM webhook_event WHERE channel = ? GROUP BY state",
        (channel,),
    )
    counts = {"pending": 0, "delivered": 0, "dead": 0}
    counts.update({str(r["state"]): int(r["n"]) for r in found})
    return counts
