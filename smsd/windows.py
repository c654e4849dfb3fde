"""RaspiSMS limit windows: when a window named by a start point begins. Pure; takes ``now``.

Start points are PHP relative date strings as RaspiSMS stores them: ``today``, ``-24 hours``,
``this week midnight``, ``-7 days``, ``this week midnight -1 week``, ``-14 days``,
``this month midnight``, ``-1 month``, ``-28 days``, ``-30 days``, ``-31 days``, and the general
``-N hours|days|weeks|months`` forms (N at least 1).
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta

_RELATIVE = re.compile(r"^\s*-\s*(\d+)\s*(hour|day|week|month)s?\s*$", re.IGNORECASE)
_NAMED = re.compile(
    r"^\s*(today|this week midnight|this month midnight)"
    r"(?:\s*-\s*(\d+)\s*(hour|day|week|month)s?)?\s*$",
    re.IGNORECASE,
)


class StartpointError(ValueError):
    """A limit's start point is not one smsd understands."""


def _minus_months(moment: datetime, months: int) -> datetime:
    """PHP's ``-N months``: same day of month, overflowing into the next month like PHP does."""
    month_index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    days_in_month = calendar.monthrange(year, month)[1]
    day = moment.day
    base = moment.replace(year=year, month=month, day=min(day, days_in_month))
    return base + timedelta(days=max(0, day - days_in_month))


def _minus(moment: datetime, amount: int, unit: str) -> datetime:
    unit = unit.lower()
    if unit == "hour":
        return moment - timedelta(hours=amount)
    if unit == "day":
        return moment - timedelta(days=amount)
    if unit == "week":
        return moment - timedelta(weeks=amount)
    return _minus_months(moment, amount)


def window_start(startpoint: str, now: datetime) -> datetime:
    """The instant a limit window named by ``startpoint`` begins, for local wall time ``now``."""
    relative = _RELATIVE.match(startpoint)
    if relative:
        return _minus(now, int(relative.group(1)), relative.group(2))
    named = _NAMED.match(startpoint)
    if not named:
        raise StartpointError(f"unknown limit start point {startpoint!r}")
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    anchor = named.group(1).lower()
    if anchor == "today":
        start = midnight
    elif anchor == "this week midnight":
        start = midnight - timedelta(days=midnight.weekday())  # Monday 00:00, as PHP
    else:
        start = midnight.replace(day=1)
    if named.group(2):
        start = _minus(start, int(named.group(2)), named.group(3))
    return start


def validate_startpoint(startpoint: str) -> None:
    """Raise :class:`StartpointError` unless ``startpoint`` is understood and moves back at all."""
    relative = _RELATIVE.match(startpoint)
    named = _NAMED.match(startpoint)
    if relative:
        amount: str | None = relative.group(1)
    elif named:
        amount = named.group(2)
    else:
        raise StartpointError(f"unknown limit start point {startpoint!r}")
    if amount is not None and int(amount) == 0:
        raise StartpointError(f"a start point moves back at least one unit: {startpoint!r}")
