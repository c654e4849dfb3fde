"""Twig's dates: reading a value as a moment and formatting it like PHP's ``date()``."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from jinja2 import ChainableUndefined

from smsd.phpvalues import php_date_keyword
from smsd.templating.limits import TemplateError
from smsd.templating.values import text

__all__ = ["date_filter", "parse_date", "php_date"]

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


def parse_date(value: object) -> datetime:  # noqa: PLR0911 - one return per kind of input
    """Twig's date converter: a date, a timestamp, ``now``/``today``… or an ISO-like text."""
    if value is None or isinstance(value, ChainableUndefined):
        return datetime.now()  # noqa: DTZ005 - templates use the server's local wall time
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - local wall time
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value)  # noqa: DTZ006 - local wall time
    written = text(value).strip()
    relative = php_date_keyword(written, datetime.now())  # noqa: DTZ005 - local wall time
    if relative is not None:
        return relative
    if written.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(written))  # noqa: DTZ006 - local wall time
    for layout in ("%d-%m-%Y", "%m/%d/%Y", "%d-%m-%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S"):
        try:
            return datetime.strptime(written, layout)  # noqa: DTZ007 - local wall time
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(written)
    except ValueError:
        raise TemplateError(f"cannot read {written!r} as a date") from None


def _suffix(day: int) -> str:
    if day in {11, 12, 13}:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _offset(moment: datetime, colon: str) -> str:
    delta = moment.astimezone().utcoffset() or timedelta()
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{colon}{abs(minutes) % 60:02d}"


def _date_codes(d: datetime) -> dict[str, str]:
    year_end = date(d.year, 12, 31)
    next_month = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    hour12 = d.hour % 12 or 12
    return {
        "d": f"{d.day:02d}", "D": _DAYS[d.weekday()][:3], "j": str(d.day),
        "l": _DAYS[d.weekday()], "N": str(d.isoweekday()), "S": _suffix(d.day),
        "w": str(d.isoweekday() % 7), "z": str(d.timetuple().tm_yday - 1),
        "W": f"{d.isocalendar()[1]:02d}", "F": _MONTHS[d.month - 1], "M": _MONTHS[d.month - 1][:3],
        "m": f"{d.month:02d}", "n": str(d.month), "t": str((next_month - timedelta(days=1)).day),
        "L": "1" if year_end.timetuple().tm_yday == 366 else "0", "o": str(d.isocalendar()[0]),
        "Y": str(d.year), "y": f"{d.year % 100:02d}", "a": "am" if d.hour < 12 else "pm",
        "A": "AM" if d.hour < 12 else "PM", "g": str(hour12), "G": str(d.hour),
        "h": f"{hour12:02d}", "H": f"{d.hour:02d}", "i": f"{d.minute:02d}", "s": f"{d.second:02d}",
        "u": f"{d.microsecond:06d}", "v": f"{d.microsecond // 1000:03d}",
        "O": _offset(d, ""), "P": _offset(d, ":"), "U": str(int(d.timestamp())),
    }  # fmt: skip


def php_date(moment: datetime, layout: str) -> str:
    """Format like PHP's ``date()`` (a backslash escapes the next character)."""
    codes = _date_codes(moment)
    codes["c"] = moment.strftime("%Y-%m-%dT%H:%M:%S") + codes["P"]
    codes["r"] = (
        f"{codes['D']}, {codes['d']} {codes['M']} {moment.strftime('%Y %H:%M:%S')} {codes['O']}"
    )
    chars = iter(layout)
    return "".join(next(chars, "") if char == "\\" else codes.get(char, char) for char in chars)


def date_filter(value: object, layout: str = "F j, Y H:i", _timezone: object = None) -> str:
    """Twig's ``date`` filter: the value read as a moment, formatted by ``layout``."""
    return php_date(parse_date(value), text(layout))
