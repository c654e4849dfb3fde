"""Figures over sent messages: volume per phone, counts per day and status, unreliable numbers.

The queries behind RaspiSMS's ``/api/usage/``, ``/api/stats/sms-status/`` and
``/api/invalid_number/``, each scoped to one user (RaspiSMS's invalid-number query reads every
user's messages; ours does not). Bounds are local wall-time texts ``YYYY-MM-DD HH:MM:SS``, compared
as text like RaspiSMS's MySQL ``DATETIME`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smsd.store.db import Database


@dataclass(frozen=True)
class DayCount:
    """Sent messages of one phone with one status on one day."""

    at_ymd: str
    id_phone: int
    status: str
    count: int


@dataclass(frozen=True)
class NumberReliability:
    """How a destination's messages ended."""

    destination: str
    total: int
    failed: int
    unknown: int


async def volumes(
    db: Database, id_user: int, *, start: str | None, end: str | None, tag: str | None
) -> dict[int, int]:
    """Messages sent per phone of the user (every phone, 0 included), ``tag`` a LIKE pattern."""
    found = await db.fetchall(
        "SELECT p.id AS id_phone, (SELECT count(*) FROM sended AS s "
        "WHERE s.id_user = :user AND s.id_phone = p.id "
        "AND (:start IS NULL OR s.at >= :start) AND (:end IS NULL OR s.at <= :end) "
        "AND (:tag IS NULL OR s.tag LIKE :tag)) AS volume "
        "FROM phone AS p WHERE p.id_user = :user ORDER BY p.id",
        {"user": id_user, "start": start, "end": end, "tag": tag},
    )
    return {int(r["id_phone"]): int(r["volume"]) for r in found}


async def status_per_day(
    db: Database, id_user: int, *, start: str, end: str, id_phone: int | None
) -> list[DayCount]:
    """Sent messages per day, phone and RaspiSMS status between two bounds (inclusive)."""
    found = await db.fetchall(
        "SELECT substr(at, 1, 10) AS at_ymd, id_phone, status, count(*) AS nb FROM sended "
        "WHERE id_user = :user AND id_phone IS NOT NULL AND at >= :start AND at <= :end "
        "AND (:phone IS NULL OR id_phone = :phone) "
        "GROUP BY at_ymd, status, id_phone ORDER BY at_ymd, id_phone, status",
        {"user": id_user, "start": start, "end": end, "phone": id_phone},
    )
    return [
        DayCount(str(r["at_ymd"]), int(r["id_phone"]), str(r["status"]), int(r["nb"]))
        for r in found
    ]


async def unreliable_numbers(
    db: Database,
    id_user: int,
    *,
    volume: float,
    percent_failed: float,
    percent_unknown: float,
    limit: int,
    offset: int,
) -> list[NumberReliability]:
    """Destinations with at least ``volume`` messages and both failure rates at their thresholds."""
    found = await db.fetchall(
        "SELECT destination, count(*) AS total, sum(status = 'failed') AS failed, "
        "sum(status = 'unknown') AS unknown FROM sended WHERE id_user = :user AND sandbox = 0 "
        "GROUP BY destination HAVING total >= :volume "
        "AND failed * 100.0 / total >= :failed AND unknown * 100.0 / total >= :unknown "
        "ORDER BY destination LIMIT :limit OFFSET :offset",
        {
            "user": id_user,
            "volume": volume,
            "failed": percent_failed,
            "unknown": percent_unknown,
            "limit": limit,
            "offset": offset,
        },
    )
    return [
        NumberReliability(str(r["destination"]), int(r["total"]), int(r["failed"]),
                          int(r["unknown"]))
        for r in found
    ]  # fmt: skip


__all__ = ["DayCount", "NumberReliability", "status_per_day", "unreliable_numbers", "volumes"]
