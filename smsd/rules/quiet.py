"""Quiet hours: when a commercial message may be sent.

French law forbids commercial SMS from 20:00 to 08:00, on Sundays and on public holidays; a
message posted then waits for the next allowed time (08:00 of the next working day). The rule is
data: a quiet window ``start`` → ``end`` (local wall time; crossing midnight when ``start`` is
later than ``end``; empty when they are equal), the weekdays on which sending is allowed at all,
and a holiday calendar from the ``holidays`` library (no hand-written tables).

Everything here is pure: the caller passes the local wall time to judge.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    import holidays

__all__ = [
    "ALL_DAYS",
    "DAY_NAMES",
    "QuietHours",
    "holiday_checker",
    "next_allowed",
    "parse_clock",
    "parse_window",
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS = frozenset(range(7))
_MIDNIGHT = dt.time(0, 0)
_SEARCH_DAYS = 400
"""Days looked ahead for an allowed time (a rule allowing none is refused by the config)."""


@dataclass(frozen=True)
class QuietHours:
    """A quiet-hours rule: the quiet window, allowed weekdays (0 = Monday), holiday country."""

    start: dt.time = dt.time(20, 0)
    end: dt.time = dt.time(8, 0)
    days: frozenset[int] = frozenset(range(6))
    country: str | None = "FR"

    def describe(self) -> str:
        """``20:00-08:00`` as written in the configuration."""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_clock(text: str) -> dt.time:
    """``"HH:MM"`` as a time; :class:`ValueError` otherwise."""
    hours, sep, minutes = text.partition(":")
    if not sep or len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(f'expected "HH:MM", got {text!r}')
    return dt.time(int(hours), int(minutes))


def parse_window(text: str) -> tuple[dt.time, dt.time]:
    """``"HH:MM-HH:MM"`` as (start, end); :class:`ValueError` otherwise."""
    start, sep, end = text.strip().partition("-")
    if not sep:
        raise ValueError(f'expected "HH:MM-HH:MM", got {text!r}')
    return parse_clock(start.strip()), parse_clock(end.strip())


@functools.cache
def _calendar(country: str) -> holidays.HolidayBase:
    import holidays  # noqa: PLC0415 - its calendars load only when quiet hours name a country

    return holidays.country_holidays(country)


def holiday_checker(country: str | None) -> Callable[[dt.date], bool]:
    """A test for public holidays of ``country`` (ISO code); none when ``country`` is ``None``.

    :class:`NotImplementedError` (from ``holidays``) for a country it does not know.
    """
    if country is None:
        return lambda _day: False
    calendar = _calendar(country)
    return lambda day: day in calendar


def _open_spans(rule: QuietHours) -> list[tuple[dt.time, dt.time | None]]:
    """The spans of a day outside the quiet window, ``None`` meaning midnight at the end."""
    if rule.start == rule.end:
        return [(_MIDNIGHT, None)]
    if rule.start > rule.end:  # crosses midnight: open from end to start
        return [(rule.end, rule.start)]
    return [(_MIDNIGHT, rule.start), (rule.end, None)]


def next_allowed(
    moment: dt.datetime, rule: QuietHours, is_holiday: Callable[[dt.date], bool]
) -> dt.datetime | None:
    """``moment`` if a commercial message may go then, else the first allowed time after it.

    ``moment`` is local wall time (naive). ``None`` when nothing is allowed within a year.
    """
    spans = _open_spans(rule)
    day = moment.date()
    for offset in range(_SEARCH_DAYS):
        current = day + dt.timedelta(days=offset)
        if current.weekday() not in rule.days or is_holiday(current):
            continue
        for begin, finish in spans:
            first = dt.datetime.combine(current, begin)
            last = (
                dt.datetime.combine(current + dt.timedelta(days=1), _MIDNIGHT)
                if finish is None
                else dt.datetime.combine(current, finish)
            )
            if moment < last:
                return max(moment, first)
    return None
