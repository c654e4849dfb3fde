"""Reading the provider's parameters: one parser per kind of value, each error naming its field.

Parameters come from the query string and, for POST, from the form body or a JSON object body
(the form wins when both hold a name), like PHP's ``$_REQUEST``. ``sendto`` accepts any
characters (``+49 157 5298-2212``): everything but digits and a leading ``+`` is dropped, a
leading space that form decoding made of an unencoded ``+`` is read as the ``+`` (the seed asks
clients for ``%2B``; not all do), and the result must be a valid number (E.164; national numbers
only with ``[api] default_region``). Several numbers are separated by commas.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from smsd.api.envelope import ApiError
from smsd.api.params import read_params
from smsd.api.smsgateway24.answers import fail, missing
from smsd.phone import to_e164

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aiohttp import web

__all__ = [
    "MAX_BODY",
    "body_text",
    "integer",
    "moment",
    "numbers",
    "one_number",
    "read_values",
    "switch",
    "text",
]

MAX_BODY = 1000
"""Longest message text accepted (characters)."""
_INT = re.compile(r"-?\d{1,18}")
_NOT_NUMBER = re.compile(r"[^\d+]")
_PUNCTUATION = re.compile(r"[()\-./]")
_WALL = "%Y-%m-%d %H:%M:%S"
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y")


async def read_values(request: web.Request) -> dict[str, object]:
    """The request's parameters: query, then the form or JSON body on top."""
    try:
        params = await read_params(request)
    except ApiError as exc:
        raise fail("body", exc.detail.removeprefix("body : ").strip() or "unreadable") from exc
    return {**params.query, **params.form}


def text(
    values: Mapping[str, object], name: str, *, required: bool = True, limit: int = 255
) -> str | None:
    """A text parameter (``None`` when optional and absent or empty)."""
    value = values.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a JSON body's number
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str):
        raise fail(name, "must be text")
    if len(value) > limit:
        raise fail(name, f"at most {limit} characters")
    return value


def integer(
    values: Mapping[str, object],
    name: str,
    *,
    required: bool = False,
    low: int | None = None,
    high: int | None = None,
) -> int | None:
    """An integer parameter (``None`` when optional and absent or empty)."""
    value = values.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        number = int(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise fail(name, f"must be an integer, got {str(value)[:40]!r}")
    if (low is not None and number < low) or (high is not None and number > high):
        raise fail(name, f"must be between {low} and {high}, got {number}")
    return number


def switch(values: Mapping[str, object], name: str) -> bool:
    """A 0 | 1 parameter (absent: 0)."""
    return bool(integer(values, name, low=0, high=1))


def moment(values: Mapping[str, object], name: str) -> str | None:
    """A date parameter as local wall text ``YYYY-MM-DD HH:MM:SS`` (``None`` when absent or 0).

    Accepted: ``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM:SS``, ``DD.MM.YYYY`` and ``DD.MM.YYYY H:i:s``
    (a day alone means its midnight).
    """
    value = values.get(name)
    if value is None or (isinstance(value, str | int) and str(value).strip() in {"", "0"}):
        return None
    if isinstance(value, str):
        candidate = value.strip()
        for pattern in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(candidate, pattern)  # noqa: DTZ007 - local wall time
            except ValueError:
                continue
            return parsed.strftime(_WALL)
    raise fail(
        name,
        "must be a date YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (or DD.MM.YYYY H:i:s), "
        f"got {str(value)[:40]!r}",
    )


def one_number(raw: str, region: str | None) -> str | None:
    """The E.164 form of one written number, or ``None`` if it is not a valid number."""
    cleaned = _NOT_NUMBER.sub("", raw)
    plus = cleaned.startswith("+")
    digits = cleaned.replace("+", "")
    if not digits:
        return None
    unencoded_plus = _PUNCTUATION.sub("", raw).startswith(" ")  # "+" that form decoding ate
    if plus or unencoded_plus:
        found = to_e164("+" + digits, region)
        if found is not None or plus:
            return found
    return to_e164(digits, region)


def numbers(values: Mapping[str, object], name: str, region: str | None) -> list[str]:
    """The numbers of a comma-separated parameter, each normalised (at least one, none bad)."""
    raw = text(values, name, limit=10_000)
    assert raw is not None
    found: list[str] = []
    for written in raw.split(","):
        if not written.strip():
            continue
        number = one_number(written, region)
        if number is None:
            raise fail(name, f"{written.strip()!r} is not a valid phone number")
        if number not in found:
            found.append(number)
    if not found:
        raise missing(name)
    return found


def body_text(values: Mapping[str, object], name: str = "body") -> str:
    """The message text: mandatory, at most :data:`MAX_BODY` characters."""
    value = text(values, name, limit=MAX_BODY)
    assert value is not None
    if not value.strip():
        raise missing(name)
    return value
