"""Incoming rules in the store: rules, unseen received messages, and what each one caused.

Rules are JSON definitions (the configuration file's key names) in ``rule``, ordered per user:
the configuration's first (rewritten at every start by :func:`sync_config_rules`), then those
created over the API, by position and id. The runtime reads received messages past a cursor
(:func:`pending`) and commits, for each, in ONE transaction (:func:`apply`): the outgoing
messages it caused (ordinary scheduled messages, so the dispatcher applies limits, quiet hours
and the STOP list), their link to the cause, the auto-reply windows, the events to post or mail
(rows of the webhook outbox, see :mod:`smsd.store.webhooks`), the ``read`` and ``command``
flags, and the cursor. A crash before that commit handles the message again; after it, never.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smsd.store.db import change, insert, row
from smsd.store.errors import InvalidValueError
from smsd.store.walltime import wall
from smsd.store.webhooks import add_event

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    import aiosqlite

    from smsd.store.db import Database
    from smsd.store.rows import Recipient

__all__ = [
    "Action",
    "Event",
    "Outgoing",
    "Plan",
    "ReceivedRow",
    "RuleRow",
    "add_outgoing",
    "apply",
    "contact_of",
    "create_rule",
    "delete_rule",
    "expire_windows",
    "insert_outgoing",
    "list_rules",
    "pending",
    "recent_rule_text",
    "sync_config_rules",
    "users_with_transfer",
]

CURSOR = "received"
ECHO_WINDOW = 86400.0
"""Seconds during which a received text equal to one a rule of ours sent is never answered."""


@dataclass(frozen=True)
class RuleRow:
    """A stored rule: its definition is JSON with the configuration file's key names."""

    id: int
    id_user: int
    position: int
    source: str
    definition: str
    created_at: str

    @classmethod
    def of(cls, r: sqlite3.Row) -> RuleRow:
        """Build from a ``rule`` row."""
        return cls(
            id=int(r["id"]),
            id_user=int(r["id_user"]),
            position=int(r["position"]),
            source=str(r["source"]),
            definition=str(r["definition"]),
            created_at=str(r["created_at"]),
        )


@dataclass(frozen=True)
class ReceivedRow:
    """A received message the rules have not handled yet."""

    id: int
    id_user: int
    id_phone: int | None
    phone: str | None
    at: str
    origin: str
    text: str
    status: str

    @classmethod
    def of(cls, r: sqlite3.Row) -> ReceivedRow:
        """Build from a :func:`pending` row."""
        return cls(
            id=int(r["id"]),
            id_user=int(r["id_user"]),
            id_phone=None if r["id_phone"] is None else int(r["id_phone"]),
            phone=None if r["phone"] is None else str(r["phone"]),
            at=str(r["at"]),
            origin=str(r["origin"]),
            text=str(r["text"]),
            status=str(r["status"]),
        )


@dataclass(frozen=True)
class Outgoing:
    """One outgoing message a received message causes (an auto-reply, a forward, an output).

    ``window`` is ``(rule_key, number_key, seconds)``: send only if that rule has not replied to
    that number within ``seconds`` (checked and recorded in the transaction of :func:`apply`).
    """

    kind: str
    text: str
    recipients: tuple[Recipient, ...]
    id_rule: int | None = None
    id_phone: int | None = None
    window: tuple[str, str, float] | None = None


@dataclass(frozen=True)
class Event:
    """A row of the webhook outbox: a webhook post (``url`` http/https) or a mail (``mailto:``)."""

    type: str
    url: str
    body: object


@dataclass(frozen=True)
class Action:
    """Everything one received message causes."""

    outgoing: tuple[Outgoing, ...] = ()
    events: tuple[Event, ...] = ()
    mark_read: bool = False
    command: bool = False


@dataclass(frozen=True)
class Plan:
    """The :class:`Action` for the received message ``id_received`` of ``id_user``."""

    id_received: int
    id_user: int
    action: Action = field(default_factory=Action)


# ---------------------------------------------------------------------- rules


async def sync_config_rules(
    db: Database, rules: Sequence[tuple[str, str]], transfer: Sequence[tuple[str, bool]] = ()
) -> None:
    """Replace the configuration's rules, in one transaction.

    ``rules`` are ``(user e-mail, definition JSON)`` in order; ``transfer`` sets the users'
    ``transfer`` setting from ``(e-mail, on)`` pairs.
    """

    async def body(conn: aiosqlite.Connection) -> None:
        await change(conn, "DELETE FROM rule WHERE source = 'config'")
        for position, (email, definition) in enumerate(rules):
            await change(
                conn,
                "INSERT INTO rule (id_user, position, source, definition) "
                "SELECT id, ?, 'config', ? FROM user WHERE email = ?",
                (position, definition, email),
            )
        await conn.executemany(
            "INSERT INTO setting (id_user, name, value) SELECT id, 'transfer', ? FROM user "
            "WHERE email = ? ON CONFLICT (id_user, name) DO UPDATE SET value = excluded.value, "
            "updated_at = datetime('now', 'localtime')",
            [("1" if on else "0", email) for email, on in transfer],
        )

    await db.atomic("sync_config_rules", body)


async def create_rule(db: Database, *, id_user: int, definition: str, position: int = 0) -> int:
    """Store a rule created over the API; return its id."""
    try:
        json.loads(definition)
    except ValueError as exc:
        raise InvalidValueError(f"a rule definition is JSON: {exc}") from exc

    async def body(conn: aiosqlite.Connection) -> int:
        return await insert(
            conn,
            "INSERT INTO rule (id_user, position, source, definition) VALUES (?, ?, 'api', ?)",
            (id_user, position, definition),
        )

    return await db.atomic("create_rule", body)


async def list_rules(db: Database, *, id_user: int | None = None) -> list[RuleRow]:
    """Rules in the order they are tried (configuration first), of one user or all."""
    found = await db.fetchall(
        "SELECT * FROM rule WHERE (:user IS NULL OR id_user = :user) "
        "ORDER BY id_user, CASE source WHEN 'config' THEN 0 ELSE 1 END, position, id",
        {"user": id_user},
    )
    return [RuleRow.of(r) for r in found]


async def delete_rule(db: Database, *, id_user: int, id_rule: int) -> bool:
    """Delete one of ``id_user``'s API rules; ``False`` if none (configured ones stay)."""
    return bool(
        await db.execute(
            "DELETE FROM rule WHERE id = ? AND id_user = ? AND source = 'api'", (id_rule, id_user)
        )
    )


# ---------------------------------------------------------------------- reading


async def pending(db: Database, *, limit: int = 50) -> list[ReceivedRow]:
    """Received messages past the cursor, oldest first."""
    found = await db.fetchall(
        "SELECT r.id, r.id_user, r.id_phone, p.name AS phone, r.at, r.origin, r.text, r.status "
        "FROM received AS r LEFT JOIN phone AS p ON p.id = r.id_phone "
        "WHERE r.id > (SELECT last_id FROM rule_progress WHERE name = ?) ORDER BY r.id LIMIT ?",
        (CURSOR, limit),
    )
    return [ReceivedRow.of(r) for r in found]


async def contact_of(
    db: Database, *, id_user: int, number: str
) -> tuple[str, str, str, list[str]] | None:
    """The user's contact with that number: ``(name, number, data JSON, group names)``."""
    key = "".join(c for c in number if c.isdigit())[-9:]
    if not key:
        return None
    found = await db.fetchone(
        "SELECT id, name, number, data FROM contact WHERE id_user = ? "
        "AND substr(replace(ltrim(number, '+'), ' ', ''), -9) = ? ORDER BY id LIMIT 1",
        (id_user, key),
    )
    if found is None:
        return None
    groups = await db.fetchall(
        'SELECT g.name FROM "group" AS g JOIN group_contact AS gc ON gc.id_group = g.id '
        "WHERE gc.id_contact = ? ORDER BY g.id",
        (int(found["id"]),),
    )
    return (
        str(found["name"]),
        str(found["number"]),
        str(found["data"]),
        [str(g["name"]) for g in groups],
    )


async def recent_rule_text(db: Database, *, text: str, since: float) -> bool:
    """Whether a message smsd wrote itself (rule, command) with this text was created since."""
    found = await db.fetchone(
        "SELECT 1 FROM rule_cause AS c "
        "JOIN sended AS s ON s.originating_scheduled = c.id_scheduled "
        "WHERE c.created_at >= ? AND c.kind <> 'email' AND s.text = ? LIMIT 1",
        (since, text),
    )
    return found is not None


# ---------------------------------------------------------------------- writing


async def insert_outgoing(
    conn: aiosqlite.Connection,
    *,
    id_user: int,
    text: str,
    recipients: Sequence[Recipient],
    kind: str,
    now: float,
    id_received: int | None = None,
    id_rule: int | None = None,
    id_phone: int | None = None,
) -> int:
    """Write a scheduled message due now and its link to its cause; return the scheduled id."""
    if not recipients:
        raise InvalidValueError("an outgoing message needs a recipient")
    id_scheduled = await insert(
        conn,
        "INSERT INTO scheduled (id_user, at, text, id_phone, due_at) VALUES (?, ?, ?, ?, ?)",
        (id_user, wall(now), text, id_phone, now),
    )
    await conn.executemany(
        "INSERT INTO scheduled_number (id_scheduled, number, data) VALUES (?, ?, ?)",
        [(id_scheduled, r.number, r.data) for r in recipients],
    )
    await insert(
        conn,
        "INSERT INTO rule_cause (id_scheduled, id_received, id_rule, kind, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (id_scheduled, id_received, id_rule, kind, now),
    )
    return id_scheduled


async def _window_open(
    conn: aiosqlite.Connection, id_user: int, window: tuple[str, str, float], now: float
) -> bool:
    """Take the reply window of (rule, number) if it is free; ``False`` if a reply is recent."""
    rule_key, number_key, seconds = window
    taken = await row(
        conn,
        "INSERT INTO rule_reply (id_user, rule_key, number_key, until) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (id_user, rule_key, number_key) DO UPDATE SET until = excluded.until "
        "WHERE rule_reply.until <= ? RETURNING id",
        (id_user, rule_key, number_key, now + seconds, now),
    )
    return taken is not None


async def apply(db: Database, plan: Plan, *, now: float | None = None) -> list[int] | None:
    """Commit what ``plan`` says and move the cursor past it; the scheduled ids written.

    A reply whose window is taken is left out. ``None``, with nothing written, when the cursor
    is already past the message (it was handled).
    """
    moment = time.time() if now is None else now
    action = plan.action

    async def body(conn: aiosqlite.Connection) -> list[int] | None:
        moved = await change(
            conn,
            "UPDATE rule_progress SET last_id = ? WHERE name = ? AND last_id < ?",
            (plan.id_received, CURSOR, plan.id_received),
        )
        if not moved:
            return None
        written: list[int] = []
        for item in action.outgoing:
            if item.window is not None and not await _window_open(
                conn, plan.id_user, item.window, moment
            ):
                continue
            written.append(
                await insert_outgoing(
                    conn,
                    id_user=plan.id_user,
                    text=item.text,
                    recipients=item.recipients,
                    kind=item.kind,
                    now=moment,
                    id_received=plan.id_received,
                    id_rule=item.id_rule,
                    id_phone=item.id_phone,
                )
            )
        for event in action.events:
            await add_event(
                conn,
                id_user=plan.id_user,
                type_=event.type,
                subject=f"received:{plan.id_received}",
                body=event.body,
                url=event.url,
            )
        if action.mark_read or action.command:
            await change(
                conn,
                "UPDATE received SET status = CASE WHEN ? THEN 'read' ELSE status END, "
                "command = CASE WHEN ? THEN 1 ELSE command END, "
                "updated_at = datetime('now', 'localtime') WHERE id = ?",
                (int(action.mark_read), int(action.command), plan.id_received),
            )
        return written

    return await db.atomic("apply_rules", body)


async def add_outgoing(
    db: Database,
    *,
    id_user: int,
    text: str,
    recipients: Sequence[Recipient],
    kind: str,
    id_received: int | None = None,
    id_phone: int | None = None,
) -> int:
    """Write one caused outgoing message in its own transaction (a command's output)."""
    now = time.time()

    async def body(conn: aiosqlite.Connection) -> int:
        return await insert_outgoing(
            conn,
            id_user=id_user,
            text=text,
            recipients=recipients,
            kind=kind,
            now=now,
            id_received=id_received,
            id_phone=id_phone,
        )

    return await db.atomic("add_outgoing", body)


async def expire_windows(db: Database, *, now: float) -> int:
    """Forget the auto-reply windows that closed before ``now``; the count."""
    return await db.execute("DELETE FROM rule_reply WHERE until < ?", (now,))


async def users_with_transfer(db: Database) -> dict[int, str]:
    """Users whose RaspiSMS setting ``transfer`` is on: their e-mail address, by id."""
    found = await db.fetchall(
        "SELECT u.id, u.email FROM user AS u JOIN setting AS s ON s.id_user = u.id "
        "WHERE s.name = 'transfer' AND s.value NOT IN ('0', '')"
    )
    return {int(r["id"]): str(r["email"]) for r in found}
