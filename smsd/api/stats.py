"""Counters: ``/api/usage/``, ``/api/stats/sms-status/``, ``/api/invalid_number/`` (§4.11-§4.13).

- usage: sent messages (any status) per phone the user owns now, ``start``/``end`` strict
  ``Y-m-d H:i:s`` (end inclusive), ``tag`` an SQL ``LIKE`` pattern; ``phones_volumes`` is ``[]``
  when the user has no phone (RaspiSMS's empty PHP array).
- sms-status: sent messages of the user per day, phone and status between ``start`` and ``end``
  (both required, end inclusive), which accept the PHP date strings clients use
  (``2023-05-01``, ``2023-05-01 10:00:00``, ``now``, ``today``, ``yesterday``, ``-7 days`` …).
- invalid_number: destinations with at least ``volume`` messages whose failed and unknown
  ratios reach the given percentages, 25 per page, page-number links. Intentional difference:
  only the user's own messages are counted (RaspiSMS counts every user's). Like RaspiSMS, this
  answer is never HTML-escaped.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING
from urllib.parse import quote

from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.forms import php_bool, php_int, php_leading_number
from smsd.api.params import read_params
from smsd.api.replies import success
from smsd.api.routing import base_url
from smsd.api.state import CLOCK, DB, user_of
from smsd.store import accounts
from smsd.store import stats as store_stats
from smsd.store.db import page_offset
from smsd.store.errors import InvalidValueError
from smsd.store.listing import PAGE_SIZE
from smsd.store.walltime import WALL_FORMAT, parse_wall
from smsd.windows import StartpointError, window_start

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["invalid_numbers", "invalid_numbers_page", "php_datetime", "sms_status", "usage"]

_INVALID = ErrorCode.INVALID_PARAMETER
_ABSOLUTE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?"
)
_SHIFT = re.compile(r"([+-])\s*(\d+)\s*(sec|second|min|minute|hour|day|week)s?", re.IGNORECASE)
_UNITS = {
    "sec": "seconds",
    "second": "seconds",
    "min": "minutes",
    "minute": "minutes",
    "hour": "hours",
    "day": "days",
    "week": "weeks",
}
_DAY_WORDS = {"today": 0, "midnight": 0, "yesterday": -1, "tomorrow": 1}
_CENT = Decimal("0.01")


def php_datetime(text: str, now: datetime) -> datetime | None:  # noqa: PLR0911 - one return per form
    """The moment a PHP date string names (the common subset of ``new DateTime($text)``)."""
    value = text.strip().lower()
    match = _ABSOLUTE.fullmatch(value)
    if match is not None:
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - local wall time
        except ValueError:
            return None
    if value == "now":
        return now
    days = _DAY_WORDS.get(value)
    if days is not None:
        return now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=days)
    shift_match = _SHIFT.fullmatch(value)
    if shift_match is not None:
        sign, amount, unit = shift_match.groups()
        delta = timedelta(**{_UNITS[unit.lower()]: int(amount)})
        return now + delta if sign == "+" else now - delta
    try:
        return window_start(text, now)  # "this week midnight", "-1 month" …
    except StartpointError:
        return None


def _strict(query: dict[str, object], name: str) -> str | None:
    value = query.get(name)
    if not php_bool(value):
        return None
    message = f'{name} must be a date of format "Y-m-d H:i:s".'
    if not isinstance(value, str):
        raise ApiError(_INVALID, message)
    try:
        parse_wall(value, field=name)
    except InvalidValueError as exc:
        raise ApiError(_INVALID, message) from exc
    return value


async def usage(request: web.Request) -> web.Response:
    """Messages sent per phone, optionally between two dates and for a tag pattern."""
    user = user_of(request)
    query = (await read_params(request)).query
    start, end = _strict(query, "start"), _strict(query, "end")
    tag = query.get("tag")
    pattern = tag if isinstance(tag, str) and php_bool(tag) else None
    found = await store_stats.volumes(request.app[DB], user.id, start=start, end=end, tag=pattern)
    volumes = {str(id_phone): volume for id_phone, volume in found.items()}
    total = sum(volumes.values())
    return success(request, {"total": total, "phones_volumes": volumes or []})


async def sms_status(request: web.Request) -> web.Response:
    """Sent messages per day, phone and status between ``start`` and ``end`` (inclusive)."""
    user = user_of(request)
    query = (await read_params(request)).query
    raw_start, raw_end = query.get("start"), query.get("end")
    if not php_bool(raw_start) or not php_bool(raw_end):
        raise ApiError(ErrorCode.MISSING_PARAMETER, "start and end date are required.")
    now = datetime.fromtimestamp(request.app[CLOCK]())  # noqa: DTZ006 - local wall time
    bounds: list[str] = []
    for name, raw in (("start", raw_start), ("end", raw_end)):
        moment = php_datetime(raw, now) if isinstance(raw, str) else None
        if moment is None:
            raise ApiError(_INVALID, f'{name} must be a date of format "Y-m-d H:i:s".')
        bounds.append(moment.strftime(WALL_FORMAT))
    id_phone = None
    raw_phone = query.get("id_phone")
    if php_bool(raw_phone):
        id_phone = php_int(raw_phone)
        if id_phone not in {p.id for p in await accounts.phones(request.app[DB], user.id)}:
            shown = raw_phone if isinstance(raw_phone, str) else id_phone
            raise ApiError(_INVALID, f"phone with id {shown} does not exists.")
    found = await store_stats.status_per_day(
        request.app[DB], user.id, start=bounds[0], end=bounds[1], id_phone=id_phone
    )
    rows = [
        {"at_ymd": r.at_ymd, "id_phone": r.id_phone, "status": r.status, "nb": r.count}
        for r in found
    ]
    return success(request, rows)


def _ratio(part: int, total: int) -> str:
    return str((Decimal(part) / Decimal(total)).quantize(_CENT, rounding=ROUND_HALF_UP))


async def invalid_numbers(request: web.Request) -> web.Response:
    """Numbers whose messages fail (or stay unknown) often; page 0."""
    return await _invalid_numbers(request, 0)


async def invalid_numbers_page(request: web.Request) -> web.Response:
    """Numbers whose messages fail (or stay unknown) often; page ``page``."""
    return await _invalid_numbers(request, php_int(request.match_info["page"]))


async def _invalid_numbers(request: web.Request, page: int) -> web.Response:
    user = user_of(request)
    query = (await read_params(request)).query
    names = ("volume", "percent_failed", "percent_unknown")
    if any(name not in query for name in names):
        raise ApiError(
            ErrorCode.MISSING_PARAMETER,
            "volume, percent_failed and percent_unknown are required.",
        )
    if page < 0:
        raise ApiError(_INVALID, "page must be a positive integer.")
    values = [query[name] for name in names]
    numbers = [(php_leading_number(v) or 0) if isinstance(v, str) else php_int(v) for v in values]
    found = await store_stats.unreliable_numbers(
        request.app[DB],
        user.id,
        volume=numbers[0],
        percent_failed=numbers[1],
        percent_unknown=numbers[2],
        limit=PAGE_SIZE,
        offset=page_offset(page, PAGE_SIZE),
    )
    rows = [
        {
            "destination": r.destination,
            "total_sms_sent": r.total,
            "failed_percentage": _ratio(r.failed, r.total),
            "unknown_percentage": _ratio(r.unknown, r.total),
        }
        for r in found
    ]
    link_query = "&".join(
        f"{name}={quote(v if isinstance(v, str) else str(v), safe='')}"
        for name, v in zip(names, values, strict=True)
    )
    stem = f"{base_url(request)}/api/invalid_number"
    key = quote(user.api_key, safe="")
    next_url = prev_url = None
    if len(rows) >= PAGE_SIZE:
        next_url = f"{stem}/{page + 1}/?api_key={key}&{link_query}"
    if page > 0:
        prev_url = f"{stem}/{page - 1}/?api_key={key}&{link_query}"
    return success(request, rows, next_url=next_url, prev_url=prev_url, html_escape=False)
