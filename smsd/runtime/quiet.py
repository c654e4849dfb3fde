"""Quiet hours at run time: the configured rule, a user's override, and the dispatcher's verdict.

The rule comes from ``[quiet_hours]``; a user's setting ``quiet_hours`` overrides it: ``"0"``
never holds that user's messages, ``"1"`` uses the configured rule (even when ``enabled`` is
false), ``"HH:MM-HH:MM"`` uses another window with the configured days and country.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.rules.quiet import DAY_NAMES, QuietHours, holiday_checker, next_allowed, parse_window

if TYPE_CHECKING:
    from collections.abc import Callable

    from smsd.config.settings import QuietHoursConfig

__all__ = ["QuietPolicy", "Verdict"]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Verdict:
    """A commercial message held: until when (unix seconds) and why."""

    until: float
    reason: str


class QuietPolicy:
    """Judges whether a commercial message may leave now."""

    def __init__(self, config: QuietHoursConfig) -> None:
        self.enabled = config.enabled
        self.rule = QuietHours(
            start=dt.time.fromisoformat(config.start),
            end=dt.time.fromisoformat(config.end),
            days=frozenset(DAY_NAMES.index(d) for d in config.days),
            country=config.country or None,
        )
        self._holiday: Callable[[dt.date], bool] | None = None

    def _is_holiday(self, day: dt.date) -> bool:
        # The calendar (the whole holidays package, several MB) loads with the first commercial
        # message judged: a daemon that never sends one never pays for it.
        if self._holiday is None:
            self._holiday = holiday_checker(self.rule.country)
        return self._holiday(day)

    def rule_for(self, setting: str | None) -> QuietHours | None:
        """The rule for a user whose ``quiet_hours`` setting is ``setting``; ``None``: no rule."""
        if setting is None or setting.strip() == "":
            return self.rule if self.enabled else None
        if setting.strip() == "0":
            return None
        if setting.strip() == "1":
            return self.rule
        try:
            start, end = parse_window(setting)
        except ValueError:
            return self.rule if self.enabled else None  # a bad override keeps the default
        return dataclasses.replace(self.rule, start=start, end=end)

    def judge(self, now: float, setting: str | None = None) -> Verdict | None:
        """``None`` when a commercial message may go at ``now``; else when it may, and why."""
        rule = self.rule_for(setting)
        if rule is None:
            return None
        moment = dt.datetime.fromtimestamp(now)  # noqa: DTZ006 - local wall time, as the law
        allowed = next_allowed(moment, rule, self._is_holiday)
        if allowed == moment:
            return None
        day = moment.date()
        if day.weekday() not in rule.days:
            why = f"no commercial SMS on {_WEEKDAYS[day.weekday()]}"
        elif self._is_holiday(day):
            why = "no commercial SMS on public holidays"
        else:
            why = f"quiet hours {rule.describe()}"
        if allowed is None:  # no allowed time within a year: look again in a day
            return Verdict(now + 86400.0, f"{why}; no allowed time found")
        return Verdict(allowed.timestamp(), f"{why}: held until {allowed:%Y-%m-%d %H:%M:%S}")
