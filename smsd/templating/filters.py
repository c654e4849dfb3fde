"""The filters, tests and functions of RaspiSMS's Twig whitelist, with Twig's PHP behaviour."""

from __future__ import annotations

import json
import math
import re
import secrets
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import ChainableUndefined

from smsd.templating.dates import date_filter, parse_date
from smsd.templating.limits import MAX_RANGE, TemplateError, cap
from smsd.templating.values import compare, is_null, number, text

__all__ = ["FILTERS", "FUNCTIONS", "TESTS"]


def _f_default(value: object, default: object = "") -> object:
    empty = value is False or is_null(value)
    return default if empty or value in ("", [], {}) else value


def _items(value: object) -> list[object]:
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, str):
        return list(value)
    if isinstance(value, Iterable):
        return list(value)
    return []


def _f_first(value: object) -> object:
    items = _items(value)
    return items[0] if items else None


def _f_last(value: object) -> object:
    items = _items(value)
    return items[-1] if items else None


def _f_join(value: object, glue: object = "", last: object = None) -> str:
    if isinstance(value, str):
        return value
    parts = [text(item) for item in _items(value)]
    if last is not None and len(parts) > 1:
        return text(glue).join(parts[:-1]) + text(last) + parts[-1]
    return text(glue).join(parts)


def _f_json_encode(value: object) -> str:
    plain = None if isinstance(value, ChainableUndefined) else value
    try:
        return json.dumps(plain, separators=(",", ":"), default=text).replace("/", "\\/")
    except ValueError as exc:
        raise TemplateError(str(exc)) from exc


def _f_keys(value: object) -> list[object]:
    if isinstance(value, Mapping):
        return list(value.keys())
    return list(range(len(_items(value))))


def _f_length(value: object) -> int:
    if is_null(value):
        return 0
    if isinstance(value, str | Mapping | list | tuple):
        return len(value)
    return len(text(value))


def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _decimal(value: object) -> Decimal:
    parsed = number(value)
    if parsed is None:
        raise TemplateError(f"{value!r} is not a number")
    try:
        return Decimal(repr(parsed)) if isinstance(parsed, float) else Decimal(parsed)
    except InvalidOperation as exc:
        raise TemplateError(f"{value!r} is not a finite number") from exc


def _f_number_format(
    value: object, decimals: int = 0, point: str = ".", separator: str = ","
) -> str:
    rounded = _round(_decimal(value), max(0, int(decimals)))
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    groups = f"{int(whole):,}".replace(",", "\0").replace("\0", separator)
    sign = "-" if rounded < 0 else ""
    return sign + groups + (point + fraction if fraction else "")


def _f_replace(value: object, pairs: object) -> str:
    """PHP ``strtr`` with an array: longest keys first, replaced text never re-scanned."""
    subject = text(value)
    if not isinstance(pairs, Mapping):
        raise TemplateError("replace needs a mapping of replacements")
    table = {text(k): text(v) for k, v in pairs.items() if text(k)}
    if not table:
        return subject
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))
    return str(cap(pattern.sub(lambda m: table[m.group()], subject)))


def _f_reverse(value: object) -> object:
    if isinstance(value, str):
        return value[::-1]
    if isinstance(value, Mapping):
        return dict(reversed(list(value.items())))
    return _items(value)[::-1]


def _f_round(value: object, precision: int = 0, method: str = "common") -> int | float:
    exact = _decimal(value)
    if method == "common":
        result = _round(exact, int(precision))
    elif method in {"ceil", "floor"}:
        scale = Decimal(10) ** int(precision)
        whole = math.ceil(exact * scale) if method == "ceil" else math.floor(exact * scale)
        result = Decimal(whole) / scale
    else:
        raise TemplateError("round method must be common, ceil or floor")
    return int(result) if result == result.to_integral_value() else float(result)


def _f_slice(value: object, start: int, length: int | None = None, _keys: object = None) -> object:
    items: Any = value if isinstance(value, str) else _items(value)
    start = int(start)
    if start < 0:
        start = max(0, len(items) + start)
    stop = len(items) if length is None else int(length)
    stop = start + stop if stop >= 0 else len(items) + stop
    return items[start:stop]


def _f_sort(value: object) -> list[object]:
    try:
        return sorted(_items(value))  # type: ignore[type-var]
    except TypeError as exc:
        raise TemplateError(f"cannot sort: {exc}") from exc


def _f_split(value: object, delimiter: object, limit: int | None = None) -> list[str]:
    subject, sep = text(value), text(delimiter)
    if not sep:
        size = max(1, int(limit or 1))
        return [subject[i : i + size] for i in range(0, len(subject), size)]
    if limit is None:
        return subject.split(sep)
    limit = int(limit)
    if limit > 0:
        return subject.split(sep, limit - 1)
    parts = subject.split(sep)
    return parts[:limit] if limit < 0 else [subject]


def _f_trim(value: object, mask: object = None, side: str = "both") -> str:
    chars = " \t\n\r\0\x0b" if mask is None else text(mask)
    strip = {"both": str.strip, "left": str.lstrip, "right": str.rstrip}.get(side)
    if strip is None:
        raise TemplateError("trim side must be both, left or right")
    return strip(text(value), chars)


def _f_url_encode(value: object) -> str:
    if isinstance(value, Mapping):
        return urlencode({text(k): text(v) for k, v in value.items()}, quote_via=quote)
    return quote(text(value), safe="-_.~")


_HTML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#039;"}
)


def _f_escape(value: object, strategy: str = "html") -> str:
    if strategy == "html":
        return text(value).translate(_HTML_ESCAPES)
    if strategy == "url":
        return quote(text(value), safe="-_.~")
    raise TemplateError(f"escape strategy {strategy!r} is not supported")


def _f_abs(value: object) -> int | float:
    parsed = number(value)
    if parsed is None:
        raise TemplateError(f"abs needs a number, not {value!r}")
    return abs(parsed)


def _fn_range(low: object, high: object, step: object = 1) -> list[object]:
    """PHP ``range``: inclusive, either direction, numbers or single letters."""
    letters = isinstance(low, str) and isinstance(high, str) and len(low) == len(high) == 1
    a = ord(str(low)) if letters else number(low)
    b = ord(str(high)) if letters else number(high)
    size = number(step)
    if a is None or b is None or not size:
        raise TemplateError("range needs numbers (or letters) and a non-zero step")
    size = abs(size)
    count = math.floor(abs(b - a) / size) + 1
    if count > MAX_RANGE:
        raise TemplateError(f"range larger than {MAX_RANGE} items")
    sign = 1 if b >= a else -1
    values = [a + sign * size * index for index in range(count)]
    return [chr(int(v)) for v in values] if letters else list(values)


def _extreme(name: str, pick: Any, values: tuple[object, ...]) -> object:  # noqa: ANN401 - max or min
    items = _items(values[0]) if len(values) == 1 else list(values)
    try:
        return pick(items, key=_SortKey) if items else None
    except TypeError as exc:
        raise TemplateError(f"{name}: {exc}") from exc


def _fn_max(*values: object) -> object:
    return _extreme("max", max, values)


def _fn_min(*values: object) -> object:
    return _extreme("min", min, values)


class _SortKey:
    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __lt__(self, other: _SortKey) -> bool:
        return compare(self.value, other.value) < 0


def _fn_random(values: object = None, maximum: object = None) -> object:
    if is_null(values):
        return secrets.randbelow(2**31)
    if isinstance(values, str) and number(values) is None:
        return secrets.choice(values) if values else ""
    if isinstance(values, Mapping | list | tuple):
        items = _items(values)
        return secrets.choice(items) if items else None
    low = int(number(values) or 0)
    high = low if maximum is None else int(number(maximum) or 0)
    low, high = (0, low) if maximum is None else (low, high)
    low, high = min(low, high), max(low, high)
    return low + secrets.randbelow(high - low + 1)


FILTERS: dict[str, Any] = {
    "abs": _f_abs,
    "capitalize": lambda v: text(v)[:1].upper() + text(v)[1:].lower(),
    "date": date_filter,
    "default": _f_default,
    "escape": _f_escape,
    "e": _f_escape,
    "first": _f_first,
    "join": _f_join,
    "json_encode": _f_json_encode,
    "keys": _f_keys,
    "last": _f_last,
    "length": _f_length,
    "lower": lambda v: text(v).lower(),
    "number_format": _f_number_format,
    "replace": _f_replace,
    "reverse": _f_reverse,
    "round": _f_round,
    "slice": _f_slice,
    "sort": _f_sort,
    "spaceless": lambda v: re.sub(r">\s+<", "><", text(v)).strip(),
    "split": _f_split,
    "title": lambda v: text(v).title(),
    "trim": _f_trim,
    "upper": lambda v: text(v).upper(),
    "url_encode": _f_url_encode,
}
"""Twig's filters, by name."""

FUNCTIONS: dict[str, Any] = {
    "date": parse_date,
    "max": _fn_max,
    "min": _fn_min,
    "random": _fn_random,
    "range": _fn_range,
}
"""Twig's functions, by name."""

TESTS: dict[str, Any] = {
    "null": is_null,
    "empty": lambda v: _f_default(v, None) is None,
}
"""Twig's tests that differ from Jinja2's, by name."""
