"""Credit quotas (RaspiSMS's per-user quota), enforced when a message is claimed.

A user without a ``quota`` row sends without limit. With one, each outgoing message costs
:func:`smsd.rules.credits.credits_for` credits; :func:`charge` runs inside the claim transaction
and either consumes them or refuses (the claim then fails the message with the reason
:func:`refusal` gives). Front doors that refuse at request time ask :func:`check_credit` first;
the claim stays the authority (two requests racing for the last credits: one message fails).

Consumption comes from ``credit`` first, then ``additional``. A message that fails before any
segment left is refunded (RaspiSMS consumes only on success). Sandbox messages are never
charged.

Periods: when ``expiration_date`` passes and ``auto_renew`` is on, the period rolls over
(:func:`renew_due`, also done lazily by :func:`charge`): ``consumed`` goes back to 0, the new
period starts at the old expiration date, and ``additional`` becomes what was left of it (with
``report_unused_additional``) plus the unused ``credit`` (with ``report_unused``).

Webhooks: ``quota_level`` once per period when 80 % of the credit is used, ``quota_reached``
once per period when nothing is left (or a message is refused). Body::

    {
        "id_user",
        "credit",
        "additional",
        "consumed",
        "remaining",
        "level",
        "start_date",
        "expiration_date",
    }

with ``level`` the used share (0-1). Events are written in the transaction that consumed.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from smsd.errors import StoreError
from smsd.rules.credits import credits_for
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.quota_events import LEVEL, notify, notify_reached
from smsd.store.walltime import WALL_FORMAT, parse_wall, wall

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.db import Database

__all__ = [
    "LEVEL",
    "RENEWALS",
    "InsufficientCreditError",
    "Quota",
    "charge",
    "check_credit",
    "credits_for",
    "delete_quota",
    "get_quota",
    "next_expiration",
    "refund",
    "remaining_credit",
    "renew_due",
    "set_quota",
]

RENEWALS = ("daily", "weekly", "monthly", "yearly")


class InsufficientCreditError(StoreError):
    """The user's quota cannot pay for what was asked (doors answer "insufficient credit")."""

    def __init__(self, *, needed: int, remaining: int) -> None:
        super().__init__(f"insufficient credit: {needed} needed, {remaining} left")
        self.needed = needed
        self.remaining = remaining


@dataclass(frozen=True)
class Quota:
    """A user's quota and its current period."""

    id_user: int
    credit: int
    additional: int
    consumed: int
    start_date: str
    expiration_date: str
    renewal_interval: str
    auto_renew: bool
    report_unused: bool
    report_unused_additional: bool

    @property
    def total(self) -> int:
        """Credits of this period: ``credit + additional``."""
        return self.credit + self.additional

    @property
    def remaining(self) -> int:
        """Credits left in this period (never negative)."""
        return max(0, self.total - self.consumed)

    @property
    def level(self) -> float:
        """Share used, 0-1 (1 when the period has no credit at all)."""
        return 1.0 if self.total == 0 else min(1.0, self.consumed / self.total)

    def as_dict(self) -> dict[str, object]:
        """The API's view (also the webhook body, with ``level``)."""
        return {
            "id_user": self.id_user,
            "credit": self.credit,
            "additional": self.additional,
            "consumed": self.consumed,
            "remaining": self.remaining,
            "level": round(self.level, 4),
            "start_date": self.start_date,
            "expiration_date": self.expiration_date,
            "renewal_interval": self.renewal_interval,
            "auto_renew": self.auto_renew,
            "report_unused": self.report_unused,
            "report_unused_additional": self.report_unused_additional,
        }

    @classmethod
    def of(cls, r: sqlite3.Row) -> Quota:
        """Build from a ``quota`` row."""
        return cls(
            id_user=int(r["id_user"]),
            credit=int(r["credit"]),
            additional=int(r["additional"]),
            consumed=int(r["consumed"]),
            start_date=str(r["start_date"]),
            expiration_date=str(r["expiration_date"]),
            renewal_interval=str(r["renewal_interval"]),
            auto_renew=bool(r["auto_renew"]),
            report_unused=bool(r["report_unused"]),
            report_unused_additional=bool(r["report_unused_additional"]),
        )


def next_expiration(start: str, interval: str) -> str:
    """The end of a period starting at ``start`` (wall text) lasting one ``interval``.

    A month (or year) later keeps the day of the month, clamped to the month's last day.
    """
    if interval not in RENEWALS:
        raise InvalidValueError(f"renewal must be one of {', '.join(RENEWALS)}, not {interval!r}")
    moment = datetime.strptime(start, WALL_FORMAT)  # noqa: DTZ007 - local wall time by design
    if interval == "daily":
        return (moment + timedelta(days=1)).strftime(WALL_FORMAT)
    if interval == "weekly":
        return (moment + timedelta(days=7)).strftime(WALL_FORMAT)
    months = 1 if interval == "monthly" else 12
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day).strftime(WALL_FORMAT)


def _load(conn: sqlite3.Connection, id_user: int) -> Quota | None:
    found = conn.execute("SELECT * FROM quota WHERE id_user = ?", (id_user,)).fetchone()
    return None if found is None else Quota.of(found)


def _roll(conn: sqlite3.Connection, id_user: int, now: float) -> Quota | None:
    """Renew ``id_user``'s quota as many periods as have passed; the current quota."""
    quota = _load(conn, id_user)
    if quota is None or not quota.auto_renew:
        return quota
    current = wall(now)
    while quota.expiration_date <= current:
        unused_credit = max(0, quota.credit - quota.consumed)
        used_additional = max(0, quota.consumed - quota.credit)
        unused_additional = max(0, quota.additional - used_additional)
        additional = (unused_credit if quota.report_unused else 0) + (
            unused_additional if quota.report_unused_additional else 0
        )
        start = quota.expiration_date
        end = next_expiration(start, quota.renewal_interval)
        conn.execute(
            "UPDATE quota SET consumed = 0, additional = ?, start_date = ?, expiration_date = ?, "
            "level_notified = 0, reached_notified = 0, updated_at = ? WHERE id_user = ?",
            (additional, start, end, current, id_user),
        )
        quota = _load(conn, id_user)
        assert quota is not None
    return quota


def refusal(needed: int, remaining: int) -> str:
    """The reason recorded on a message refused for lack of credit."""
    return f"insufficient credit: the message needs {needed} credits, {remaining} left in quota"


def charge(
    conn: sqlite3.Connection, *, id_user: int, text: str, now: float
) -> tuple[int, str | None]:
    """Inside a claim: consume the credits of ``text``: ``(charged, None)`` or ``(0, reason)``.

    Unlimited users are charged nothing: ``(0, None)``.
    """
    quota = _roll(conn, id_user, now)
    if quota is None:
        return 0, None
    needed = credits_for(text)
    if needed > quota.remaining:
        notify_reached(conn, quota)
        return 0, refusal(needed, quota.remaining)
    conn.execute(
        "UPDATE quota SET consumed = consumed + ?, updated_at = ? WHERE id_user = ?",
        (needed, wall(now), id_user),
    )
    updated = _load(conn, id_user)
    assert updated is not None
    notify(conn, updated)
    return needed, None


def refund(conn: sqlite3.Connection, id_sended: int) -> None:
    """Inside a failing transition: refund a message's credits if no segment of it left."""
    found = conn.execute(
        "SELECT id_user, credits FROM sended WHERE id = ? AND credits > 0 "
        "AND NOT EXISTS (SELECT 1 FROM sended_segment WHERE id_sended = sended.id "
        "AND state IN ('sent', 'unknown'))",
        (id_sended,),
    ).fetchone()
    if found is None:
        return
    conn.execute(
        "UPDATE quota SET consumed = max(0, consumed - ?) WHERE id_user = ?",
        (int(found["credits"]), int(found["id_user"])),
    )
    conn.execute("UPDATE sended SET credits = 0 WHERE id = ?", (id_sended,))


async def get_quota(db: Database, id_user: int, *, now: float | None = None) -> Quota | None:
    """``id_user``'s quota (``None``: unlimited); renewed first when ``now`` is given."""
    if now is None:
        return await db.read(lambda conn: _load(conn, id_user))
    return await db.write("renew_quota", lambda conn: _roll(conn, id_user, now))


async def remaining_credit(db: Database, id_user: int, *, now: float) -> int | None:
    """Credits ``id_user`` has left now; ``None`` when unlimited."""
    quota = await get_quota(db, id_user, now=now)
    return None if quota is None else quota.remaining


async def check_credit(db: Database, *, id_user: int, needed: int, now: float) -> Quota | None:
    """Up-front check for doors: :class:`InsufficientCreditError` if ``needed`` exceeds the rest.

    Returns the quota (``None``: unlimited). Nothing is reserved: the claim charges.
    """
    quota = await get_quota(db, id_user, now=now)
    if quota is not None and needed > quota.remaining:
        raise InsufficientCreditError(needed=needed, remaining=quota.remaining)
    return quota


async def set_quota(
    db: Database,
    *,
    id_user: int,
    credit: int,
    now: float,
    additional: int | None = None,
    renewal: str | None = None,
    start: str | None = None,
    auto_renew: bool | None = None,
    report_unused: bool | None = None,
    report_unused_additional: bool | None = None,
    reset: bool = False,
) -> Quota:
    """Create or change ``id_user``'s quota; fields left ``None`` keep their value (or default).

    A new quota starts at ``start`` (wall text; default now) with nothing consumed; ``reset``
    also zeroes the consumption of an existing one. :class:`NotFoundError` for an unknown user.
    """
    if credit < 0 or (additional is not None and additional < 0):
        raise InvalidValueError("credit and additional credit are >= 0")
    if renewal is not None and renewal not in RENEWALS:
        raise InvalidValueError(f"renewal must be one of {', '.join(RENEWALS)}, not {renewal!r}")
    if start is not None:
        parse_wall(start, field="start")

    def body(conn: sqlite3.Connection) -> Quota:
        if conn.execute("SELECT 1 FROM user WHERE id = ?", (id_user,)).fetchone() is None:
            raise NotFoundError(f"no user {id_user}")
        old = _load(conn, id_user)
        interval = renewal or (old.renewal_interval if old else "monthly")
        begin = start or (old.start_date if old and not reset else wall(now))
        values = {
            "user": id_user,
            "credit": credit,
            "additional": additional if additional is not None else (old.additional if old else 0),
            "consumed": 0 if old is None or reset else old.consumed,
            "start": begin,
            "end": next_expiration(begin, interval),
            "interval": interval,
            "auto": _flag(auto_renew, old.auto_renew if old else True),
            "report": _flag(report_unused, old.report_unused if old else False),
            "report_add": _flag(
                report_unused_additional, old.report_unused_additional if old else True
            ),
            "wall": wall(now),
        }
        conn.execute(
            "INSERT INTO quota (id_user, credit, additional, consumed, start_date, "
            "expiration_date, renewal_interval, auto_renew, report_unused, "
            "report_unused_additional, updated_at) VALUES (:user, :credit, :additional, "
            ":consumed, :start, :end, :interval, :auto, :report, :report_add, :wall) "
            "ON CONFLICT (id_user) DO UPDATE SET credit = excluded.credit, "
            "additional = excluded.additional, consumed = excluded.consumed, "
            "start_date = excluded.start_date, expiration_date = excluded.expiration_date, "
            "renewal_interval = excluded.renewal_interval, auto_renew = excluded.auto_renew, "
            "report_unused = excluded.report_unused, "
            "report_unused_additional = excluded.report_unused_additional, "
            "level_notified = 0, reached_notified = 0, updated_at = excluded.updated_at",
            values,
        )
        quota = _roll(conn, id_user, now)
        assert quota is not None
        return quota

    return await db.write("set_quota", body)


def _flag(value: bool | None, default: bool) -> int:  # noqa: FBT001 - a plain value
    return int(default if value is None else value)


async def delete_quota(db: Database, id_user: int) -> bool:
    """Remove ``id_user``'s quota (unlimited again); ``False`` if there was none."""
    return bool(await db.execute("DELETE FROM quota WHERE id_user = ?", (id_user,)))


async def renew_due(db: Database, *, now: float) -> int:
    """Roll over every auto-renewed quota whose period ended; return how many were renewed."""

    def body(conn: sqlite3.Connection) -> int:
        due = conn.execute(
            "SELECT id_user FROM quota WHERE auto_renew = 1 AND expiration_date <= ?",
            (wall(now),),
        ).fetchall()
        for r in due:
            _roll(conn, int(r[0]), now)
        return len(due)

    return await db.write("renew_quotas", body)
