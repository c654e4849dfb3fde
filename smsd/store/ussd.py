"""USSD sessions and SIM balances (tables of the ``ussd`` migration).

A session is opened (``pending``) before the modem is asked, each exchange is recorded when the
network answers (``record_answer``), and the session is closed with its outcome (``finish``).
Every function is one transition through :meth:`Database.write`. ``record_balance`` stores the
balance the watch read and, when the phone goes below its minimum, writes the
``phone_balance_low`` webhook events in the same transaction (once per fall).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smsd.store.errors import InvalidValueError
from smsd.store.walltime import wall

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.db import Database

__all__ = [
    "BALANCE_LOW",
    "FINAL",
    "OPEN",
    "STATUSES",
    "BalanceRow",
    "UssdRow",
    "UssdStep",
    "balances",
    "close_open_sessions",
    "finish",
    "get_session",
    "open_session",
    "record_answer",
    "record_balance",
    "start_step",
]

STATUSES = (
    "pending",
    "waiting_reply",
    "done",
    "not_supported",
    "timeout",
    "cancelled",
    "failed",
)
OPEN = frozenset({"pending", "waiting_reply"})
FINAL = frozenset(STATUSES) - OPEN
ORIGINS = ("api", "balance")
BALANCE_LOW = "phone_balance_low"
"""The webhook type fired when a phone's balance falls below its minimum."""
MAX_CODE = 160

_NOW = "(julianday('now') - 2440587.5) * 86400.0"
# One event per phone_balance_low webhook of the user, while the user's setting `webhook` is not
# '0' (the conventions of the triggers of migration 0002).
_BALANCE_EVENTS = (
    "INSERT INTO webhook_event (id_user, id_webhook, url, target, type, subject, body, "  # noqa: S608 - constants only, values bound
    "timestamp, random_id, created_at, next_attempt_at) "
    f"SELECT w.id_user, w.id, NULL, 'webhook:' || w.id, '{BALANCE_LOW}', ?2, ?3, "
    "CAST(strftime('%s', 'now') AS INTEGER), "
    "strftime('%s', 'now') || '-' || lower(hex(randomblob(16))), "
    f"{_NOW}, {_NOW} FROM webhook AS w WHERE w.id_user = ?1 AND w.type = '{BALANCE_LOW}' "
    "AND NOT EXISTS (SELECT 1 FROM setting WHERE id_user = ?1 AND name = 'webhook' "
    "AND value IN ('0', '')) ORDER BY w.id"
)
_COLUMNS = (
    "id, id_user, id_phone, code, origin, status, answer, network_status, dcs, error, "
    "created_at, updated_at, finished_at"
)


@dataclass(frozen=True)
class UssdStep:
    """One exchange: what was sent, what the network answered (``None`` while it thinks)."""

    request: str
    answer: str | None
    network_status: int | None
    dcs: int | None
    sent_at: str
    answered_at: str | None


@dataclass(frozen=True)
class UssdRow:
    """One USSD session as stored and as the API shows it."""

    id: int
    id_user: int
    id_phone: int | None
    code: str
    origin: str
    status: str
    answer: str | None
    network_status: int | None
    dcs: int | None
    error: str | None
    created_at: str
    updated_at: str
    finished_at: str | None
    steps: tuple[UssdStep, ...] = field(default=())

    @property
    def open(self) -> bool:
        """Whether the session still waits for the network or for a reply."""
        return self.status in OPEN


@dataclass(frozen=True)
class BalanceRow:
    """A phone's last balance reading."""

    id_phone: int
    amount: float | None
    answer: str
    low: bool
    checked_at: str


def _check_text(text: str, what: str) -> None:
    if not text or len(text) > MAX_CODE:
        raise InvalidValueError(f"a USSD {what} is 1 to {MAX_CODE} characters, not {text!r}")


async def open_session(
    db: Database, *, id_user: int, id_phone: int, code: str, origin: str, now: float
) -> int:
    """Record a new session (``pending``) and its first request; return its id."""
    _check_text(code, "code")
    if origin not in ORIGINS:
        raise InvalidValueError(f"origin must be one of {', '.join(ORIGINS)}")
    stamp = wall(now)

    def body(conn: sqlite3.Connection) -> int:
        cursor = conn.execute(
            "INSERT INTO ussd (id_user, id_phone, code, origin, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (id_user, id_phone, code, origin, stamp, stamp),
        )
        assert cursor.lastrowid is not None
        new_id = int(cursor.lastrowid)
        conn.execute(
            "INSERT INTO ussd_step (id_ussd, request, sent_at) VALUES (?, ?, ?)",
            (new_id, code, stamp),
        )
        return new_id

    return await db.write("ussd_open", body)


async def start_step(db: Database, id_ussd: int, request: str, *, now: float) -> None:
    """A reply to a menu goes to the network: the session is ``pending`` again."""
    _check_text(request, "reply")
    stamp = wall(now)

    def body(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO ussd_step (id_ussd, request, sent_at) VALUES (?, ?, ?)",
            (id_ussd, request, stamp),
        )
        conn.execute(
            "UPDATE ussd SET status = 'pending', updated_at = ? WHERE id = ?", (stamp, id_ussd)
        )

    await db.write("ussd_reply", body)


async def record_answer(
    db: Database,
    id_ussd: int,
    *,
    status: str,
    answer: str,
    network_status: int,
    dcs: int | None,
    now: float,
) -> None:
    """The network answered the session's last request; ``status`` is its new state."""
    if status not in STATUSES or status in {"pending", "cancelled", "timeout", "failed"}:
        raise InvalidValueError(f"an answer cannot leave a session {status!r}")
    stamp = wall(now)
    finished = stamp if status in FINAL else None

    def body(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE ussd_step SET answer = ?, network_status = ?, dcs = ?, answered_at = ? "
            "WHERE id = (SELECT max(id) FROM ussd_step WHERE id_ussd = ?)",
            (answer, network_status, dcs, stamp, id_ussd),
        )
        conn.execute(
            "UPDATE ussd SET status = ?, answer = ?, network_status = ?, dcs = ?, "
            "updated_at = ?, finished_at = ? WHERE id = ?",
            (status, answer, network_status, dcs, stamp, finished, id_ussd),
        )

    await db.write("ussd_answer", body)


async def finish(db: Database, id_ussd: int, *, status: str, error: str | None, now: float) -> bool:
    """Close an open session as ``timeout``, ``cancelled`` or ``failed``; ``False`` if closed."""
    if status not in {"timeout", "cancelled", "failed"}:
        raise InvalidValueError(f"a session is not finished as {status!r}")
    stamp = wall(now)

    def body(conn: sqlite3.Connection) -> bool:
        return (
            conn.execute(
                "UPDATE ussd SET status = ?, error = ?, updated_at = ?, finished_at = ? "
                "WHERE id = ? AND status IN ('pending', 'waiting_reply')",
                (status, error, stamp, stamp, id_ussd),
            ).rowcount
            > 0
        )

    return await db.write("ussd_finish", body)


async def close_open_sessions(db: Database, *, now: float) -> int:
    """At start-up: sessions a previous run left open are over (the modem forgot them)."""
    stamp = wall(now)

    def body(conn: sqlite3.Connection) -> int:
        return conn.execute(
            "UPDATE ussd SET status = 'failed', error = 'interrupted', updated_at = ?, "
            "finished_at = ? WHERE status IN ('pending', 'waiting_reply')",
            (stamp, stamp),
        ).rowcount

    return await db.write("ussd_recover", body)


def _step(found: sqlite3.Row) -> UssdStep:
    return UssdStep(
        request=found["request"],
        answer=found["answer"],
        network_status=found["network_status"],
        dcs=found["dcs"],
        sent_at=found["sent_at"],
        answered_at=found["answered_at"],
    )


async def get_session(db: Database, id_ussd: int, *, id_user: int | None = None) -> UssdRow | None:
    """One session with its steps (``id_user``'s only, when given), or ``None``."""
    found = await db.fetchone(f"SELECT {_COLUMNS} FROM ussd WHERE id = ?", (id_ussd,))  # noqa: S608 - constant column list
    if found is None or (id_user is not None and found["id_user"] != id_user):
        return None
    steps = await db.fetchall(
        "SELECT request, answer, network_status, dcs, sent_at, answered_at FROM ussd_step "
        "WHERE id_ussd = ? ORDER BY id",
        (id_ussd,),
    )
    return UssdRow(
        id=found["id"],
        id_user=found["id_user"],
        id_phone=found["id_phone"],
        code=found["code"],
        origin=found["origin"],
        status=found["status"],
        answer=found["answer"],
        network_status=found["network_status"],
        dcs=found["dcs"],
        error=found["error"],
        created_at=found["created_at"],
        updated_at=found["updated_at"],
        finished_at=found["finished_at"],
        steps=tuple(_step(s) for s in steps),
    )


async def record_balance(
    db: Database,
    *,
    id_phone: int,
    id_user: int,
    phone: str,
    amount: float | None,
    answer: str,
    minimum: float | None,
    now: float,
) -> bool:
    """Store a balance reading; return ``True`` when it fell below ``minimum`` just now.

    The fall writes one ``phone_balance_low`` event per webhook of that type of ``id_user`` in
    the same transaction; staying low writes nothing more; going back up clears the mark.
    """
    low = amount is not None and minimum is not None and amount < minimum
    stamp = wall(now)
    payload = {
        "id_phone": id_phone,
        "name": phone,
        "balance": amount,
        "balance_min": minimum,
        "answer": answer,
        "at": stamp,
    }

    def body(conn: sqlite3.Connection) -> bool:
        before = conn.execute(
            "SELECT low FROM phone_balance WHERE id_phone = ?", (id_phone,)
        ).fetchone()
        was_low = bool(before[0]) if before is not None else False
        conn.execute(
            "INSERT INTO phone_balance (id_phone, amount, answer, low, checked_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id_phone) DO UPDATE SET amount = excluded.amount, "
            "answer = excluded.answer, low = excluded.low, checked_at = excluded.checked_at",
            (id_phone, amount, answer, int(low), stamp),
        )
        fell = low and not was_low
        if fell:
            conn.execute(_BALANCE_EVENTS, (id_user, f"phone:{id_phone}", json.dumps(payload)))
        return fell

    return await db.write("balance_record", body)


async def balances(db: Database) -> dict[int, BalanceRow]:
    """Every phone's last balance reading, by phone id."""
    found = await db.fetchall("SELECT id_phone, amount, answer, low, checked_at FROM phone_balance")
    return {
        r["id_phone"]: BalanceRow(
            r["id_phone"], r["amount"], r["answer"], bool(r["low"]), r["checked_at"]
        )
        for r in found
    }
