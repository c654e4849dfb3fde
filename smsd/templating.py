"""Message templates: RaspiSMS's sandboxed Twig, rendered with Jinja2's sandbox.

A template sees two variables: ``contact`` (the recipient's data map) and ``contact_metas``
(``id, name, number, created_at, updated_at`` for a contact, ``number`` for a bare number).
Like RaspiSMS's Twig setup: autoescape off; undefined values render as nothing, are false and
chain (``contact.missing.deeper`` is empty); tags ``if``/``for``/``set``/``apply`` only; the
filters and functions of RaspiSMS's whitelist; no method or attribute access beyond mapping keys
and the ``loop`` variable, so a template cannot reach ``__class__``, call methods or read files.

Twig compatibility: ``{% elseif %}`` and ``{% apply f %}…{% endapply %}`` are rewritten to
Jinja2's ``elif``/``filter``; ``==``, ``<`` … compare like PHP 8 (``"1" == 1`` is true);
arithmetic turns numeric strings into numbers; ``~`` and output print null as nothing,
booleans as ``1``/nothing; ``range`` is inclusive and accepts letters. Twig filters that need
ICU (``country_name``, ``format_currency`` …) and ``format``, ``date_modify`` are not offered:
a template using them fails to compile.

Bounds: every loop iteration is counted (`MAX_STEPS`) and the render must finish within
`MAX_SECONDS`; ``range`` makes at most `MAX_RANGE` items; no intermediate string or list may
exceed `MAX_OUTPUT` items; the output is at most `MAX_OUTPUT` characters. Any failure is a
`TemplateError`.
"""

from __future__ import annotations

import json
import math
import operator as operator_module
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import ChainableUndefined, Template, nodes
from jinja2.exceptions import TemplateError as JinjaTemplateError
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

__all__ = [
    "MAX_OUTPUT",
    "MAX_RANGE",
    "MAX_SECONDS",
    "MAX_STEPS",
    "TemplateError",
    "compile_template",
    "php_date",
    "render",
]

MAX_OUTPUT = 10_000
MAX_RANGE = 10_000
MAX_STEPS = 100_000
MAX_SECONDS = 1.0
MAX_TEMPLATE = 20_000  # characters of template source
_LOOP_ATTRIBUTES = frozenset(
    {"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0"}
)
_FORBIDDEN_NODES = (
    nodes.Macro,
    nodes.CallBlock,
    nodes.Include,
    nodes.Import,
    nodes.FromImport,
    nodes.Extends,
    nodes.Block,
    nodes.With,
    nodes.EvalContextModifier,
)
_COMPARISONS = frozenset({"eq", "ne", "lt", "gt", "lteq", "gteq"})
_NUMERIC = re.compile(r"[ \t\n\r\v\f]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class TemplateError(ValueError):
    """A template cannot be compiled or rendered; the message says why."""


# ------------------------------------------------------------------ PHP value semantics


def _php_number(value: object) -> int | float | None:
    """The number PHP's arithmetic sees, None for a non-numeric value."""
    if value is None or isinstance(value, ChainableUndefined):
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if (
        isinstance(value, str)
        and (match := _NUMERIC.match(value))
        and not value[match.end() :].strip()
    ):
        literal = match.group().strip()
        return float(literal) if any(c in literal for c in ".eE") else int(literal)
    return None


def _php_str(value: object) -> str:
    if value is None or value is False or isinstance(value, ChainableUndefined):
        return ""
    if value is True:
        return "1"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).replace("e+", "E+").replace("e-", "E-")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _compare(left: object, right: object) -> int:  # noqa: C901 - PHP 8's comparison table
    """PHP 8 loose comparison (``<=>``) of scalars; raises TypeError for what it cannot order."""
    if isinstance(left, ChainableUndefined):
        left = None
    if isinstance(right, ChainableUndefined):
        right = None
    if isinstance(left, bool) or isinstance(right, bool) or left is None or right is None:
        if isinstance(left, str) and right is None:
            return (left > "") - (left < "")
        if isinstance(right, str) and left is None:
            return (right < "") - (right > "")
        a, b = _truthy(left), _truthy(right)
        return (a > b) - (a < b)
    if isinstance(left, str) and isinstance(right, str):
        num_left, num_right = _php_number(left), _php_number(right)
        if num_left is None or num_right is None:
            return (left > right) - (left < right)
        left, right = num_left, num_right
    elif isinstance(left, str) or isinstance(right, str):
        parsed = _php_number(left if isinstance(left, str) else right)
        if parsed is None:
            left, right = _php_str(left), _php_str(right)
        elif isinstance(left, str):
            left = parsed
        else:
            right = parsed
    return int((left > right) - (left < right))  # type: ignore[operator]


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value not in {"", "0"}
    return bool(value)


def _compare_filter(pair: Sequence[object], op: str) -> bool:
    try:
        order = _compare(pair[0], pair[1])
    except TypeError:
        order = None
    if order is None:
        return op == "ne"
    return {
        "eq": order == 0,
        "ne": order != 0,
        "lt": order < 0,
        "gt": order > 0,
        "lteq": order <= 0,
        "gteq": order >= 0,
    }[op]


# ------------------------------------------------------------------ render budget


class _Budget:
    def __init__(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateError(f"template runs more than {MAX_STEPS} loop iterations")
        if time.monotonic() > self.deadline:
            raise TemplateError(f"template takes longer than {MAX_SECONDS} s to render")


_BUDGET: ContextVar[_Budget] = ContextVar("smsd_template_budget")


def _loop(iterable: object) -> Iterator[object]:
    budget = _BUDGET.get()
    if isinstance(iterable, Mapping):
        iterable = iterable.values()  # Twig iterates the values of a hash
    if not isinstance(iterable, Iterable):
        return
    for item in iterable:
        budget.step()
        yield item


def _cap(value: object) -> object:
    if isinstance(value, str | list | tuple | dict) and len(value) > MAX_OUTPUT:
        raise TemplateError(f"template builds a value longer than {MAX_OUTPUT}")
    return value


def _concat(parts: Sequence[object]) -> str:
    return str(_cap("".join(_php_str(part) for part in parts)))


class _TwigShape(NodeTransformer):
    """Rewrites a parsed template: PHP comparisons, capped concatenation, counted loops."""

    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802 - Jinja2 visitor name
        if node.recursive:
            raise TemplateError("recursive loops are not allowed")
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_smsd_loop", [], [], None, None)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802 - Jinja2 visitor name
        self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes), "_smsd_concat", [], [], None, None)

    def visit_Filter(self, node: nodes.Filter) -> nodes.Node:  # noqa: N802 - Jinja2 visitor name
        self.generic_visit(node)
        return nodes.Filter(node, "_smsd_cap", [], [], None, None)

    def visit_Compare(self, node: nodes.Compare) -> nodes.Node:  # noqa: N802 - Jinja2 visitor name
        self.generic_visit(node)
        if any(operand.op not in _COMPARISONS for operand in node.ops):
            return node
        result: nodes.Expr | None = None
        left = node.expr
        for operand in node.ops:
            pair = nodes.List([left, operand.expr])
            test = nodes.Filter(pair, "_smsd_compare", [nodes.Const(operand.op)], [], None, None)
            result = test if result is None else nodes.And(result, test)
            left = operand.expr
        assert result is not None
        return result

    def generic_visit(self, node: nodes.Node, *args: object, **kwargs: object) -> nodes.Node:
        if isinstance(node, _FORBIDDEN_NODES):
            raise TemplateError(f"tag {type(node).__name__.lower()!r} is not allowed")
        return super().generic_visit(node, *args, **kwargs)


# ------------------------------------------------------------------ environment


class _Undefined(ChainableUndefined):
    """Renders as nothing, is false, and any key of it is undefined too."""

    __slots__ = ()


class _Environment(SandboxedEnvironment):
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:  # noqa: ANN401 - Jinja2 hook signature
        if isinstance(obj, LoopContext) and attribute in _LOOP_ATTRIBUTES:
            return getattr(obj, attribute)
        return self.getitem(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:  # noqa: ANN401 - Jinja2 hook signature
        if isinstance(obj, Mapping):
            try:
                return obj[argument]
            except (KeyError, TypeError):
                pass
        elif isinstance(obj, list | tuple | str) and isinstance(argument, int | slice):
            try:
                return self.undefined() if isinstance(argument, bool) else obj[argument]
            except IndexError:
                pass
        return self.undefined(obj=obj, name=argument)

    def call_binop(self, context: object, operator: str, left: object, right: object) -> object:  # noqa: ARG002 - Jinja2 hook signature
        a, b = _php_number(left), _php_number(right)
        if a is None or b is None:
            raise TemplateError(f"unsupported operands for {operator!r}: {left!r}, {right!r}")
        if operator == "**" and abs(b) > 1 and abs(a) > 1 and abs(b) * math.log2(abs(a)) > 1024:
            raise TemplateError("number too large")
        if operator == "%":
            x, y = int(a), int(b)
            if not y:
                raise TemplateError("modulo by zero")
            return -(abs(x) % abs(y)) if x < 0 else abs(x) % abs(y)
        result = _ARITHMETIC[operator](a, b)
        if isinstance(result, float) and result.is_integer() and operator == "/":
            return int(result)
        return result


_ARITHMETIC: dict[str, Callable[[Any, Any], int | float]] = {
    "+": operator_module.add,
    "-": operator_module.sub,
    "*": operator_module.mul,
    "/": operator_module.truediv,
    "//": operator_module.floordiv,
    "**": operator_module.pow,
}


def _finalize(value: object) -> object:
    if callable(value):
        return ""  # a function name is not a variable in Twig
    return _php_str(value) if value is None or isinstance(value, bool | float) else value


# ------------------------------------------------------------------ filters and functions


def _parse_date(value: object) -> datetime:  # noqa: PLR0911 - one return per kind of input
    """Twig's date converter: a date, a timestamp, ``now``/``today``… or an ISO-like text."""
    if value is None or isinstance(value, ChainableUndefined):
        return datetime.now()  # noqa: DTZ005 - templates use the server's local wall time
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - local wall time
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value)  # noqa: DTZ006 - local wall time
    text = _php_str(value).strip()
    now = datetime.now()  # noqa: DTZ005 - local wall time
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    relative = {"": now, "now": now, "today": midnight, "midnight": midnight}
    relative |= {
        "tomorrow": midnight + timedelta(days=1),
        "yesterday": midnight - timedelta(days=1),
    }
    if text.lower() in relative:
        return relative[text.lower()]
    if text.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(text))  # noqa: DTZ006 - local wall time
    for layout in ("%d-%m-%Y", "%m/%d/%Y", "%d-%m-%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S"):
        try:
            return datetime.strptime(text, layout)  # noqa: DTZ007 - local wall time
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise TemplateError(f"cannot read {text!r} as a date") from None


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


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


def _f_date(value: object, layout: str = "F j, Y H:i", _timezone: object = None) -> str:
    return php_date(_parse_date(value), _php_str(layout))


def _f_default(value: object, default: object = "") -> object:
    empty = value is None or value is False or isinstance(value, ChainableUndefined)
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
    parts = [_php_str(item) for item in _items(value)]
    if last is not None and len(parts) > 1:
        return _php_str(glue).join(parts[:-1]) + _php_str(last) + parts[-1]
    return _php_str(glue).join(parts)


def _f_json_encode(value: object) -> str:
    plain = None if isinstance(value, ChainableUndefined) else value
    try:
        return json.dumps(plain, separators=(",", ":"), default=_php_str).replace("/", "\\/")
    except ValueError as exc:
        raise TemplateError(str(exc)) from exc


def _f_keys(value: object) -> list[object]:
    if isinstance(value, Mapping):
        return list(value.keys())
    return list(range(len(_items(value))))


def _f_length(value: object) -> int:
    if value is None or isinstance(value, ChainableUndefined):
        return 0
    if isinstance(value, str | Mapping | list | tuple):
        return len(value)
    return len(_php_str(value))


def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _decimal(value: object) -> Decimal:
    number = _php_number(value)
    if number is None:
        raise TemplateError(f"{value!r} is not a number")
    try:
        return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
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
    text = _php_str(value)
    if not isinstance(pairs, Mapping):
        raise TemplateError("replace needs a mapping of replacements")
    table = {_php_str(k): _php_str(v) for k, v in pairs.items() if _php_str(k)}
    if not table:
        return text
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))
    return str(_cap(pattern.sub(lambda m: table[m.group()], text)))


def _f_reverse(value: object) -> object:
    if isinstance(value, str):
        return value[::-1]
    if isinstance(value, Mapping):
        return dict(reversed(list(value.items())))
    return _items(value)[::-1]


def _f_round(value: object, precision: int = 0, method: str = "common") -> int | float:
    number = _decimal(value)
    if method == "common":
        result = _round(number, int(precision))
    elif method in {"ceil", "floor"}:
        scale = Decimal(10) ** int(precision)
        whole = math.ceil(number * scale) if method == "ceil" else math.floor(number * scale)
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
    text, sep = _php_str(value), _php_str(delimiter)
    if not sep:
        size = max(1, int(limit or 1))
        return [text[i : i + size] for i in range(0, len(text), size)]
    if limit is None:
        return text.split(sep)
    limit = int(limit)
    if limit > 0:
        return text.split(sep, limit - 1)
    parts = text.split(sep)
    return parts[:limit] if limit < 0 else [text]


def _f_trim(value: object, mask: object = None, side: str = "both") -> str:
    text = _php_str(value)
    chars = " \t\n\r\0\x0b" if mask is None else _php_str(mask)
    strip = {"both": str.strip, "left": str.lstrip, "right": str.rstrip}.get(side)
    if strip is None:
        raise TemplateError("trim side must be both, left or right")
    return strip(text, chars)


def _f_url_encode(value: object) -> str:
    if isinstance(value, Mapping):
        return urlencode({_php_str(k): _php_str(v) for k, v in value.items()}, quote_via=quote)
    return quote(_php_str(value), safe="-_.~")


_HTML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#039;"}
)


def _f_escape(value: object, strategy: str = "html") -> str:
    if strategy == "html":
        return _php_str(value).translate(_HTML_ESCAPES)
    if strategy == "url":
        return quote(_php_str(value), safe="-_.~")
    raise TemplateError(f"escape strategy {strategy!r} is not supported")


def _f_abs(value: object) -> int | float:
    number = _php_number(value)
    if number is None:
        raise TemplateError(f"abs needs a number, not {value!r}")
    return abs(number)


def _fn_range(low: object, high: object, step: object = 1) -> list[object]:
    """PHP ``range``: inclusive, either direction, numbers or single letters."""
    letters = isinstance(low, str) and isinstance(high, str) and len(low) == len(high) == 1
    a = ord(str(low)) if letters else _php_number(low)
    b = ord(str(high)) if letters else _php_number(high)
    size = _php_number(step)
    if a is None or b is None or not size:
        raise TemplateError("range needs numbers (or letters) and a non-zero step")
    size = abs(size)
    count = math.floor(abs(b - a) / size) + 1
    if count > MAX_RANGE:
        raise TemplateError(f"range larger than {MAX_RANGE} items")
    sign = 1 if b >= a else -1
    values = [a + sign * size * index for index in range(count)]
    return [chr(int(v)) for v in values] if letters else list(values)


def _fn_max(*values: object) -> object:
    items = _items(values[0]) if len(values) == 1 else list(values)
    try:
        return max(items, key=_SortKey) if items else None
    except TypeError as exc:
        raise TemplateError(f"max: {exc}") from exc


def _fn_min(*values: object) -> object:
    items = _items(values[0]) if len(values) == 1 else list(values)
    try:
        return min(items, key=_SortKey) if items else None
    except TypeError as exc:
        raise TemplateError(f"min: {exc}") from exc


class _SortKey:
    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __lt__(self, other: _SortKey) -> bool:
        return _compare(self.value, other.value) < 0


def _fn_random(values: object = None, maximum: object = None) -> object:
    if values is None or isinstance(values, ChainableUndefined):
        return secrets.randbelow(2**31)
    if isinstance(values, str) and _php_number(values) is None:
        return secrets.choice(values) if values else ""
    if isinstance(values, Mapping | list | tuple):
        items = _items(values)
        return secrets.choice(items) if items else None
    low = int(_php_number(values) or 0)
    high = low if maximum is None else int(_php_number(maximum) or 0)
    low, high = (0, low) if maximum is None else (low, high)
    low, high = min(low, high), max(low, high)
    return low + secrets.randbelow(high - low + 1)


_FILTERS: dict[str, Any] = {
    "abs": _f_abs,
    "capitalize": lambda v: _php_str(v)[:1].upper() + _php_str(v)[1:].lower(),
    "date": _f_date,
    "default": _f_default,
    "escape": _f_escape,
    "e": _f_escape,
    "first": _f_first,
    "join": _f_join,
    "json_encode": _f_json_encode,
    "keys": _f_keys,
    "last": _f_last,
    "length": _f_length,
    "lower": lambda v: _php_str(v).lower(),
    "number_format": _f_number_format,
    "replace": _f_replace,
    "reverse": _f_reverse,
    "round": _f_round,
    "slice": _f_slice,
    "sort": _f_sort,
    "spaceless": lambda v: re.sub(r">\s+<", "><", _php_str(v)).strip(),
    "split": _f_split,
    "title": lambda v: _php_str(v).title(),
    "trim": _f_trim,
    "upper": lambda v: _php_str(v).upper(),
    "url_encode": _f_url_encode,
}
_FUNCTIONS: dict[str, Any] = {
    "date": _parse_date,
    "max": _fn_max,
    "min": _fn_min,
    "random": _fn_random,
    "range": _fn_range,
}


# ------------------------------------------------------------------ compile and render

_ELSEIF = re.compile(r"(\{%-?\s*)elseif\b")
_APPLY = re.compile(r"(\{%-?\s*)(end)?apply\b")


def _twig_to_jinja(source: str) -> str:
    source = _ELSEIF.sub(r"\1elif", source)
    return _APPLY.sub(lambda m: m.group(1) + ("endfilter" if m.group(2) else "filter"), source)


@lru_cache(maxsize=1)
def _environment() -> _Environment:
    env = _Environment(autoescape=False, undefined=_Undefined, finalize=_finalize)
    env.filters = {
        **_FILTERS,
        "_smsd_loop": _loop,
        "_smsd_cap": _cap,
        "_smsd_concat": _concat,
        "_smsd_compare": _compare_filter,
    }
    env.globals = dict(_FUNCTIONS)
    env.tests = {
        **env.tests,
        "null": lambda v: v is None or isinstance(v, ChainableUndefined),
        "empty": lambda v: _f_default(v, None) is None,
    }
    return env


@lru_cache(maxsize=256)
def _compile(source: str) -> Template:
    if len(source) > MAX_TEMPLATE:
        raise TemplateError(f"template longer than {MAX_TEMPLATE} characters")
    env = _environment()
    try:
        tree = env.parse(_twig_to_jinja(source))
        shaped = _TwigShape().visit(tree)
        return env.from_string(shaped)
    except JinjaTemplateError as exc:
        raise TemplateError(f"invalid template: {exc}") from exc
    except RecursionError as exc:
        raise TemplateError("template nested too deeply") from exc


def compile_template(source: str) -> None:
    """Check that ``source`` compiles (for validating a message at submission time)."""
    _compile(source)


def render(
    template: str, contact: Mapping[str, object], contact_metas: Mapping[str, object]
) -> str:
    """Render ``template`` for one recipient; raise `TemplateError` on any failure."""
    compiled = _compile(template)
    token = _BUDGET.set(_Budget())
    out: list[str] = []
    size = 0
    try:
        for chunk in compiled.generate(contact=contact, contact_metas=contact_metas):
            size += len(chunk)
            _check_output(size)
            out.append(chunk)
    except TemplateError:
        raise
    except Exception as exc:
        raise TemplateError(f"cannot render template: {exc}") from exc
    finally:
        _BUDGET.reset(token)
    return "".join(out)


def _check_output(size: int) -> None:
    if size > MAX_OUTPUT:
        raise TemplateError(f"rendered text longer than {MAX_OUTPUT} characters")
