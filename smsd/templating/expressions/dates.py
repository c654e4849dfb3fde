"""The dates of a condition: small parts of PHP's ``date_create`` and ``date_create_from_format``.

Dates are naive, in the server's local wall time; ``now`` is the moment of the evaluation.
"""

from __future__ import annotations

import re
from datetime import datetime

from smsd.phpvalues import php_date_keyword
from smsd.templating.expressions.errors import EvaluationError

__all__ = ["as_date", "date_create", "date_from_format"]

_FORMAT_FIELDS = {
    "d": ("day", r"[0-9]{2}"),
    "j": ("day", r"[0-9]{1,2}"),
    "m": ("month", r"[0-9]{2}"),
    "n": ("month", r"[0-9]{1,2}"),
    "Y": ("year", r"[0-9]{4}"),
    "y": ("year2", r"[0-9]{2}"),
    "H": ("hour", r"[0-9]{2}"),
    "G": ("hour", r"[0-9]{1,2}"),
    "i": ("minute", r"[0-9]{2}"),
    "s": ("second", r"[0-9]{2}"),
}


def date_create(text: object, now: datetime) -> datetime | bool:
    """A small part of PHP's ``date_create``: keywords, ``@timestamp``, ISO and common forms.

    False (as PHP) when the text is not a date it reads.
    """
    if not isinstance(text, str):
        raise EvaluationError("date() needs a string")
    value = text.strip()
    relative = php_date_keyword(value, now)
    if relative is not None:
        return relative
    if value.startswith("@") and value[1:].lstrip("-").isdigit():
        return datetime.fromtimestamp(int(value[1:]))  # noqa: DTZ006 - server-local wall time
    for layout in ("%d-%m-%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S"):
        try:
            return datetime.strptime(value, layout)  # noqa: DTZ007 - server-local wall time
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.replace(tzinfo=None)


def date_from_format(layout: object, text: object, now: datetime) -> datetime | bool:
    """A small part of PHP's ``date_create_from_format`` (d j m n Y y H G i s, ``!``, ``|``)."""
    if not isinstance(layout, str) or not isinstance(text, str):
        raise EvaluationError("date_from_format() needs two strings")
    pattern: list[str] = []
    reset = False
    chars = iter(layout)
    for char in chars:
        if char in "!|":
            reset = True
        elif char == "\\":
            pattern.append(re.escape(next(chars, "")))
        elif char in _FORMAT_FIELDS:
            name, regex = _FORMAT_FIELDS[char]
            pattern.append(f"(?P<{name}>{regex})")
        else:
            pattern.append(re.escape(char))
    try:
        match = re.fullmatch("".join(pattern), text)
    except re.error:  # a field given twice
        return False
    if match is None:
        return False
    base = datetime(1970, 1, 1) if reset else now  # noqa: DTZ001 - server-local wall time
    fields = {key: int(value) for key, value in match.groupdict().items()}
    if "year2" in fields:
        year2 = fields.pop("year2")
        fields["year"] = year2 + (2000 if year2 < 70 else 1900)
    try:
        return base.replace(
            year=fields.get("year", base.year),
            month=fields.get("month", base.month),
            day=fields.get("day", base.day),
            hour=fields.get("hour", base.hour),
            minute=fields.get("minute", base.minute),
            second=fields.get("second", base.second),
        )
    except ValueError:
        return False


def as_date(value: object, now: datetime) -> datetime:
    """A date, or a text ``date_create`` reads; fail for anything else."""
    if isinstance(value, datetime):
        return value
    created = date_create(value, now) if isinstance(value, str) else False
    if isinstance(created, datetime):
        return created
    raise EvaluationError("is_birthday() needs a date")
