"""Phone reliability: which phones fail (or leave unconfirmed) too many of their messages.

RaspiSMS's ``phone_reliability`` check, per active user and per reliability type (``failed``,
``unknown``) the user switched on in their settings:

- the window is ``[now - period, now - grace_period]`` (minutes, both bounds included) over
  ``sended.at``, the sending time; the grace period leaves recent messages time to get their
  status report;
- only messages sent after the phone's last alert of that type count, so a phone alerts again
  only once a fresh set of messages, sent after the previous alert, crosses the thresholds
  (never every run);
- a phone is unreliable when it has at least ``volume`` messages in the window and the share
  with that status is at least ``rate_limit`` percent; disabled phones are skipped;
- an alert records its time, writes one ``phone_reliability`` webhook event per webhook of the
  user (when the type's ``webhook`` setting and the user's ``webhook`` setting are on) with the
  body ``{reliability_type, id_phone, period, total, unreliable, rate}``, and, when the type's
  ``auto_disable`` setting is on, sets the phone's status to ``disabled``: all in one
  transaction. Stopping the modem of a disabled phone is the caller's job.

Differences from RaspiSMS, each deliberate: a message still waiting in the queue (``queued``,
``sending``) is not counted (RaspiSMS has no queue in ``sended``: its rows are sends already
tried); the rate threshold is compared exactly (``unreliable * 100 >= rate_limit * total``)
and the reported ``rate`` is rounded to 4 decimals as MySQL's division gives it; the e-mail
settings are read but no e-mail is sent (smsd has no mailer).

The time of a phone's last alert of a type is a row of ``setting`` of the user, named
``phone_reliability_<type>_last_alert_<id_phone>``, holding local wall time like ``sended.at``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from smsd.phpvalues import php_bool, php_int
from smsd.store.walltime import wall

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping

    from smsd.store.db import Database

__all__ = [
    "EVENT_TYPE",
    "SETTING_DEFAULTS",
    "Alert",
    "ReliabilityType",
    "Thresholds",
    "Unreliable",
    "alert_unreliable",
    "check_reliability",
    "event_subject",
    "find_candidates",
    "find_unreliable",
    "last_alert_name",
    "record_alert",
]

EVENT_TYPE = "phone_reliability"
"""The webhook type of an alert."""

_WALL_MIN = 0.0
_WALL_MAX = 253_402_300_799.0  # 9999-12-31 23:59:59 UTC: the last instant a 4-digit year holds
_NOW = "(julianday('now') - 2440587.5) * 86400.0"


class ReliabilityType(StrEnum):
    """What makes a message count as unreliable: its RaspiSMS status."""

    FAILED = "failed"
    UNKNOWN = "unknown"


# RaspiSMS's defaults for a user who never changed them (its env.php.dist), per setting name.
_DEFAULTS: dict[ReliabilityType, dict[str, str]] = {
    ReliabilityType.FAILED: {
        "": "1",
        "_rate_limit": "10",
        "_volume": "25",
        "_period": "120",
        "_grace_period": "1",
        "_email": "0",
        "_webhook": "1",
        "_auto_disable": "0",
    },
    ReliabilityType.UNKNOWN: {
        "": "0",
        "_rate_limit": "25",
        "_volume": "25",
        "_period": "120",
        "_grace_period": "1",
        "_email": "0",
        "_webhook": "1",
        "_auto_disable": "0",
    },
}

SETTING_DEFAULTS: Mapping[str, str] = {
    f"phone_reliability_{kind.value}{suffix}": value
    for kind, values in _DEFAULTS.items()
    for suffix, value in values.items()
}
"""Every reliability setting name with its default value (as ``setting.value`` text)."""


@dataclass(frozen=True)
class Thresholds:
    """One user's settings for one reliability type, read the way RaspiSMS reads them."""

    type: ReliabilityType
    enabled: bool
    rate_limit: int
    """Percent of the window's messages with the type's status from which a phone alerts."""
    volume: int
    """Fewest messages in the window for the rate to count."""
    period: int
    """Minutes back from now where the window starts."""
    grace_period: int
    """Minutes back from now where the window ends."""
    email: bool
    webhook: bool
    auto_disable: bool

    @classmethod
    def of(cls, settings: Mapping[str, str], kind: ReliabilityType) -> Thresholds:
        """From a user's stored settings; absent ones take RaspiSMS's defaults.

        Values are read as PHP reads them (``intval``, truthiness), so any text is accepted.
        """
        prefix = f"phone_reliability_{kind.value}"

        def value(suffix: str) -> str:
            name = prefix + suffix
            return settings.get(name, SETTING_DEFAULTS[name])

        return cls(
            type=kind,
            enabled=php_bool(value("")),
            rate_limit=php_int(value("_rate_limit")),
            volume=php_int(value("_volume")),
            period=php_int(value("_period")),
            grace_period=php_int(value("_grace_period")),
            email=php_bool(value("_email")),
            webhook=php_bool(value("_webhook")),
            auto_disable=php_bool(value("_auto_disable")),
        )

    def window(self, now: float) -> tuple[str, str]:
        """The window's first and last instants as local wall time (both included)."""
        start = _clamped_wall(now - self.period * 60.0)
        return start, _clamped_wall(now - self.grace_period * 60.0)


@dataclass(frozen=True)
class Unreliable:
    """A phone over the thresholds: its messages in the window and how many had the status."""

    id_phone: int
    total: int
    unreliable: int

    @property
    def rate(self) -> float:
        """Share of unreliable messages, 0 to 1, rounded to 4 decimals."""
        return round(self.unreliable / self.total, 4) if self.total else 0.0


@dataclass(frozen=True)
class Alert:
    """An alert committed for a phone."""

    id_user: int
    id_phone: int
    type: ReliabilityType
    period: int
    total: int
    unreliable: int
    rate: float
    at: float
    """When the check ran (unix seconds)."""
    events: int
    """Webhook events written."""
    disabled: bool
    """The phone's status was set to ``disabled`` by this alert."""
    email: bool
    """The user asked for an e-mail too (smsd sends none)."""

    def payload(self) -> dict[str, object]:
        """The webhook body, RaspiSMS's fields in its order."""
        return {
            "reliability_type": self.type.value,
            "id_phone": self.id_phone,
            "period": self.period,
            "total": self.total,
            "unreliable": self.unreliable,
            "rate": self.rate,
        }


def _clamped_wall(moment: float) -> str:
    # Settings are free text: an absurd period must give an empty window, not an overflow.
    return wall(min(max(moment, _WALL_MIN), _WALL_MAX))


def _last_alert_prefix(kind: ReliabilityType) -> str:
    return f"phone_reliability_{kind.value}_last_alert_"


def last_alert_name(kind: ReliabilityType, id_phone: int) -> str:
    """The ``setting`` name holding the time of ``id_phone``'s last alert of type ``kind``."""
    return f"{_last_alert_prefix(kind)}{id_phone}"


def event_subject(id_phone: int) -> str:
    """The webhook event subject of a phone's alerts (events of one subject stay in order)."""
    return f"phone:{id_phone}"


# One row per phone of the user with messages in the window, after its last alert of the type.
_UNRELIABLE_SQL = """
SELECT s.id_phone AS id_phone, count(*) AS total,
       coalesce(sum(s.status = :status), 0) AS unreliable
FROM sended AS s
JOIN phone AS p ON p.id = s.id_phone
LEFT JOIN setting AS a ON a.id_user = :user AND a.name = :prefix || s.id_phone
WHERE s.id_user = :user
  AND p.status <> 'disabled'
  AND s.state NOT IN ('queued', 'sending')
  AND s.at BETWEEN :start AND :end
  AND s.at > coalesce(a.value, '')
GROUP BY s.id_phone
HAVING count(*) >= :volume AND coalesce(sum(s.status = :status), 0) * 100 >= :rate * count(*)
ORDER BY s.id_phone
"""


def find_unreliable(
    conn: sqlite3.Connection, *, id_user: int, thresholds: Thresholds, now: float
) -> list[Unreliable]:
    """The phones of ``id_user``'s messages over ``thresholds`` at ``now``, by id."""
    start, end = thresholds.window(now)
    found = conn.execute(
        _UNRELIABLE_SQL,
        {
            "status": thresholds.type.value,
            "user": id_user,
            "prefix": _last_alert_prefix(thresholds.type),
            "start": start,
            "end": end,
            "volume": thresholds.volume,
            "rate": thresholds.rate_limit,
        },
    ).fetchall()
    return [Unreliable(int(r[0]), int(r[1]), int(r[2])) for r in found]


def find_candidates(conn: sqlite3.Connection, *, now: float) -> list[tuple[int, Thresholds]]:
    """``(id_user, thresholds)`` of every active user and switched-on type with a phone to alert.

    Read only: the alerts themselves are written by :func:`alert_unreliable`.
    """
    users = [int(r[0]) for r in conn.execute("SELECT id FROM user WHERE status = 'active'")]
    names = list(SETTING_DEFAULTS)
    marks = ", ".join("?" for _ in names)
    stored: dict[int, dict[str, str]] = {}
    for id_user, name, value in conn.execute(
        f"SELECT id_user, name, value FROM setting WHERE name IN ({marks})",  # noqa: S608 - placeholders only
        names,
    ):
        stored.setdefault(int(id_user), {})[str(name)] = str(value)
    found: list[tuple[int, Thresholds]] = []
    for id_user in sorted(users):
        for kind in ReliabilityType:
            thresholds = Thresholds.of(stored.get(id_user, {}), kind)
            if thresholds.enabled and find_unreliable(
                conn, id_user=id_user, thresholds=thresholds, now=now
            ):
                found.append((id_user, thresholds))
    return found


def _fan_out(conn: sqlite3.Connection, *, id_user: int, subject: str, body: str) -> int:
    # One event per phone_reliability webhook of the user, unless the user's `webhook` setting
    # is off: what smsd.store.webhooks.fan_out does, on a plain connection.
    return conn.execute(
        "INSERT INTO webhook_event (id_user, id_webhook, url, target, type, subject, body, "  # noqa: S608 - a constant expression, values are bound
        "timestamp, random_id, created_at, next_attempt_at) "
        "SELECT w.id_user, w.id, NULL, 'webhook:' || w.id, w.type, :subject, :body, "
        "CAST(strftime('%s', 'now') AS INTEGER), "
        "strftime('%s', 'now') || '-' || lower(hex(randomblob(16))), "
        f"{_NOW}, {_NOW} "
        "FROM webhook AS w WHERE w.id_user = :user AND w.type = :type "
        "AND NOT EXISTS (SELECT 1 FROM setting WHERE id_user = :user AND name = 'webhook' "
        "AND value IN ('0', '')) ORDER BY w.id",
        {"user": id_user, "type": EVENT_TYPE, "subject": subject, "body": body},
    ).rowcount


def record_alert(
    conn: sqlite3.Connection,
    *,
    id_user: int,
    thresholds: Thresholds,
    found: Unreliable,
    now: float,
) -> Alert:
    """Record one alert inside the caller's transaction: time, webhook events, auto-disable."""
    moment = wall(now)
    conn.execute(
        "INSERT INTO setting (id_user, name, value, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (id_user, name) DO UPDATE SET value = excluded.value, "
        "updated_at = excluded.updated_at",
        (id_user, last_alert_name(thresholds.type, found.id_phone), moment, moment),
    )
    alert = Alert(
        id_user=id_user,
        id_phone=found.id_phone,
        type=thresholds.type,
        period=thresholds.period,
        total=found.total,
        unreliable=found.unreliable,
        rate=found.rate,
        at=now,
        events=0,
        disabled=False,
        email=thresholds.email,
    )
    events = 0
    if thresholds.webhook:
        events = _fan_out(
            conn,
            id_user=id_user,
            subject=event_subject(found.id_phone),
            body=json.dumps(alert.payload()),
        )
    disabled = False
    if thresholds.auto_disable:
        disabled = bool(
            conn.execute(
                "UPDATE phone SET status = 'disabled', updated_at = ? "
                "WHERE id = ? AND status <> 'disabled'",
                (moment, found.id_phone),
            ).rowcount
        )
    return replace(alert, events=events, disabled=disabled)


async def alert_unreliable(
    db: Database, *, id_user: int, thresholds: Thresholds, now: float
) -> list[Alert]:
    """The transition ``alert_phone_reliability``: find and alert ``id_user``'s phones.

    The phones are looked up again inside the write transaction, so two checks running at once
    never alert a phone twice and a phone disabled meanwhile is left alone.
    """

    def body(conn: sqlite3.Connection) -> list[Alert]:
        return [
            record_alert(conn, id_user=id_user, thresholds=thresholds, found=found, now=now)
            for found in find_unreliable(conn, id_user=id_user, thresholds=thresholds, now=now)
        ]

    return await db.write("alert_phone_reliability", body)


async def check_reliability(db: Database, *, now: float | None = None) -> list[Alert]:
    """One run of the check for every active user; the alerts committed.

    The search runs on the reader (a run that finds nothing writes nothing); each user and type
    with a phone to alert is then one transition, ``failed`` before ``unknown`` as RaspiSMS
    does (a phone the first disables is not alerted by the second).
    """
    moment = time.time() if now is None else now
    candidates = await db.read(lambda conn: find_candidates(conn, now=moment))
    alerts: list[Alert] = []
    for id_user, thresholds in candidates:
        alerts += await alert_unreliable(db, id_user=id_user, thresholds=thresholds, now=moment)
    return alerts
