"""The webhook events of quotas: ``quota_level`` and ``quota_reached``, once per period each.

Written inside the transaction that consumed (or refused) credits, with the conventions of the
other events (one per webhook of that type of the user, unless the user's ``webhook`` setting is
off). The body is :meth:`smsd.store.quota.Quota.as_dict`; the subject names the user and period.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.quota import Quota

__all__ = ["LEVEL", "notify", "notify_reached"]

LEVEL = 0.8
"""Share of the credit used at which ``quota_level`` fires."""
_NOW = "(julianday('now') - 2440587.5) * 86400.0"


def _fan_out(conn: sqlite3.Connection, quota: Quota, kind: str, subject: str) -> None:
    """One ``kind`` event per webhook of that type of the user (unless ``webhook`` is off)."""
    conn.execute(
        "INSERT INTO webhook_event (id_user, id_webhook, url, target, type, subject, body, "  # noqa: S608 - a constant expression, values are bound
        "timestamp, random_id, created_at, next_attempt_at) "
        "SELECT w.id_user, w.id, NULL, 'webhook:' || w.id, w.type, :subject, :body, "
        "CAST(strftime('%s', 'now') AS INTEGER), "
        "strftime('%s', 'now') || '-' || lower(hex(randomblob(16))), "
        f"{_NOW}, {_NOW} "
        "FROM webhook AS w WHERE w.id_user = :user AND w.type = :type "
        "AND NOT EXISTS (SELECT 1 FROM setting WHERE id_user = :user AND name = 'webhook' "
        "AND value IN ('0', '')) ORDER BY w.id",
        {
            "user": quota.id_user,
            "type": kind,
            "subject": subject,
            "body": json.dumps(quota.as_dict(), separators=(",", ":")),
        },
    )


def notify(conn: sqlite3.Connection, quota: Quota) -> None:
    """Write this period's ``quota_level`` / ``quota_reached`` events once each."""
    subject = f"quota:{quota.id_user}:{quota.start_date}"
    if (
        quota.level >= LEVEL
        and conn.execute(
            "UPDATE quota SET level_notified = 1 WHERE id_user = ? AND level_notified = 0",
            (quota.id_user,),
        ).rowcount
    ):
        _fan_out(conn, quota, "quota_level", subject)
    if (
        quota.remaining == 0
        and conn.execute(
            "UPDATE quota SET reached_notified = 1 WHERE id_user = ? AND reached_notified = 0",
            (quota.id_user,),
        ).rowcount
    ):
        _fan_out(conn, quota, "quota_reached", subject)


def notify_reached(conn: sqlite3.Connection, quota: Quota) -> None:
    """Write this period's ``quota_reached`` event unless it was written already."""
    if conn.execute(
        "UPDATE quota SET reached_notified = 1 WHERE id_user = ? AND reached_notified = 0",
        (quota.id_user,),
    ).rowcount:
        _fan_out(conn, quota, "quota_reached", f"quota:{quota.id_user}:{quota.start_date}")
