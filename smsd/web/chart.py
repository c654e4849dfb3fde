"""The overview's chart: messages sent, delivered and failed per hour, drawn as SVG on the server.

Pure: hourly counts and the current hour in, coordinates out; the template writes the SVG. Hours
with no message are zeros, so the lines never skip a gap. A table of the same figures goes beside
the picture for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from smsd.store.dashboard import HourCount

__all__ = ["HOURS", "Chart", "Series", "build_chart"]

HOURS = 48
WIDTH = 640
HEIGHT = 200
LEFT = 36
BOTTOM = 24
TOP = 10
RIGHT = 10


@dataclass(frozen=True)
class Series:
    """One line: its name, its CSS class, the SVG ``points`` and the total it sums."""

    name: str
    css: str
    points: str
    total: int


@dataclass(frozen=True)
class Chart:
    """What the template draws."""

    width: int
    height: int
    series: tuple[Series, ...]
    y_ticks: tuple[tuple[float, int], ...]
    x_labels: tuple[tuple[float, str], ...]
    rows: tuple[tuple[str, int, int, int], ...]
    """(hour, sent, delivered, failed) for each hour with a message, for the table."""


def _nice_top(value: int) -> int:
    """The smallest of 1, 2, 5 times a power of ten at or above ``value`` (at least 4)."""
    top = max(value, 4)
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= top:
                return step * scale
        scale *= 10


def build_chart(counts: Sequence[HourCount], now: datetime, hours: int = HOURS) -> Chart:
    """The last ``hours`` hours up to ``now``'s hour, one point per hour and line."""
    current = now.replace(minute=0, second=0, microsecond=0)
    slots = [
        (current - timedelta(hours=hours - 1 - i)).strftime("%Y-%m-%d %H") for i in range(hours)
    ]
    by_hour = {count.hour: count for count in counts}
    values = {
        "sent": [by_hour[h].sent if h in by_hour else 0 for h in slots],
        "delivered": [by_hour[h].delivered if h in by_hour else 0 for h in slots],
        "failed": [by_hour[h].failed if h in by_hour else 0 for h in slots],
    }
    top = _nice_top(max((v for line in values.values() for v in line), default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + plot_w * i / max(hours - 1, 1), 1)

    def y(v: int) -> float:
        return round(TOP + plot_h * (1 - v / top), 1)

    series = tuple(
        Series(
            name=name.capitalize(),
            css=f"line-{name}",
            points=" ".join(f"{x(i)},{y(v)}" for i, v in enumerate(line)),
            total=sum(line),
        )
        for name, line in values.items()
    )
    y_ticks = tuple((y(v), v) for v in (0, top // 2, top))
    x_labels = tuple((x(i), slots[i][-2:] + "h") for i in range(0, hours, 6))
    rows = tuple(
        (h, by_hour[h].sent, by_hour[h].delivered, by_hour[h].failed) for h in slots if h in by_hour
    )
    return Chart(WIDTH, HEIGHT, series, y_ticks, x_labels, rows)
