"""The functions a condition may call: RaspiSMS's list, with PHP's argument handling."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from smsd.phpvalues import php_bool, php_int, php_numeric
from smsd.templating.expressions.dates import as_date, date_create, date_from_format
from smsd.templating.expressions.errors import EvaluationError
from smsd.templating.expressions.operators import to_number, to_str

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["NAMES", "call"]


def _text_argument(value: object) -> str:
    if isinstance(value, list | Mapping | datetime):
        raise EvaluationError("expected a string")
    return to_str(value)


def _substr(text: object, start: object, length: object = None) -> str:
    value = _text_argument(text)
    begin = php_int(start)
    if begin < 0:
        begin = max(0, len(value) + begin)
    if length is None:
        return value[begin:]
    size = php_int(length)
    end = begin + size if size >= 0 else len(value) + size
    return value[begin:end]


def _abs(value: object) -> int | float:
    if isinstance(value, str) and php_numeric(value) is None:
        raise EvaluationError("abs() needs a number")
    return abs(to_number(value))


def _count(value: object) -> int:
    if not isinstance(value, list):
        raise EvaluationError("count() needs an array")
    return len(value)


def _intval(value: object, base: object = 10) -> int:
    radix = php_int(base)
    if radix == 10 or not isinstance(value, str):
        return php_int(value)
    try:
        return int(value.strip(), radix)
    except ValueError:
        return 0


def _is_birthday(now: datetime, value: object) -> bool:
    return as_date(value, now).strftime("%m-%d") == now.strftime("%m-%d")


# name: (fewest arguments, most arguments, function)
_PLAIN: dict[str, tuple[int, int, Callable[..., object]]] = {
    "constant": (1, 1, lambda _name: None),
    "exists": (1, 1, lambda value: value is not None),
    "lower": (1, 1, lambda value: _text_argument(value).lower()),
    "upper": (1, 1, lambda value: _text_argument(value).upper()),
    "substr": (2, 3, _substr),
    "strlen": (1, 1, lambda value: len(_text_argument(value))),
    "abs": (1, 1, _abs),
    "intval": (1, 2, _intval),
    "boolval": (1, 1, php_bool),
    "count": (1, 1, _count),
}
# the same, for functions that take the evaluation moment first
_DATED: dict[str, tuple[int, int, Callable[..., object]]] = {
    "date": (0, 1, lambda now, text="now": date_create(text, now)),
    "date_from_format": (2, 2, lambda now, layout, text: date_from_format(layout, text, now)),
    "is_birthday": (1, 1, _is_birthday),
}
NAMES = frozenset(_PLAIN) | frozenset(_DATED)
"""The names of the functions a condition may call."""


def call(name: str, arguments: list[object], now: datetime) -> object:
    """The value of ``name(*arguments)`` evaluated at ``now``; ``name`` is one of `NAMES`."""
    dated = name in _DATED
    low, high, function = _DATED[name] if dated else _PLAIN[name]
    if not low <= len(arguments) <= high:
        raise EvaluationError(f"{name}() takes {low} to {high} arguments, {len(arguments)} given")
    return function(now, *arguments) if dated else function(*arguments)
