"""PHP 8 value semantics: numeric strings, casts, loose comparison, integer overflow.

RaspiSMS is PHP: its request parameters, Twig templates and conditional-group expressions all
see values the PHP way. This leaf gathers the rules they share so that the API forms, the
template filters and the expression evaluator agree: what a numeric string is (``" 12"``,
``"1e3"``, ``"1.5 "``), the ``(bool)``, ``(int)`` and ``(string)`` casts, the ``<=>`` loose
comparison of scalars, ``%`` and the overflow of 64-bit integers to floats, and the relative
date keywords (``now``, ``today``, ``tomorrow`` …) of ``strtotime``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "php_bool",
    "php_compare",
    "php_date_keyword",
    "php_int",
    "php_integer",
    "php_json",
    "php_leading_number",
    "php_mod",
    "php_number",
    "php_numeric",
    "php_str",
]

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
_WHITESPACE = " \t\n\r\v\f"
# PHP numeric string: optional leading whitespace, sign, digits with optional fraction or a
# leading-dot fraction, optional exponent, optional trailing whitespace (PHP 8).
_NUMERIC = re.compile(r"[ \t\n\r\v\f]*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")


def php_integer(number: int) -> int | float:
    """An integer result as PHP holds it: beyond 64 bits it becomes a float."""
    return number if INT64_MIN <= number <= INT64_MAX else float(number)


def _literal(literal: str) -> int | float:
    if any(char in literal for char in ".eE"):
        return float(literal)
    return php_integer(int(literal))


def php_numeric(text: str) -> int | float | None:
    """The number a fully numeric PHP string denotes (``" 12"``, ``"1e3"``, ``"1.5 "``) or None."""
    match = _NUMERIC.match(text)
    if match is None or text[match.end() :].strip(_WHITESPACE):
        return None
    return _literal(match.group(1))


def php_leading_number(text: str) -> int | float | None:
    """The number at the start of a PHP string (``"12abc"`` → 12), None when there is none."""
    match = _NUMERIC.match(text)
    return None if match is None else _literal(match.group(1))


def php_number(value: object) -> int | float | None:
    """The number PHP 8 arithmetic accepts: null is 0, booleans 0/1, numeric strings; else None."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return php_numeric(value)
    return None


def php_bool(value: object) -> bool:
    """PHP's ``(bool)``: ``""``, ``"0"``, 0, 0.0, null, false and empty arrays are false."""
    if isinstance(value, str):
        return value not in {"", "0"}
    if value is None:
        return False
    if isinstance(value, bool | int | float):
        return bool(value)
    if isinstance(value, list | tuple | Mapping):
        return len(value) > 0
    return True  # objects (uploaded files, dates) are true


def php_int(value: object) -> int:  # noqa: PLR0911 - one return per PHP type
    """PHP's ``(int)``: ``"12abc"`` → 12, ``"abc"`` → 0, ``"1e3"`` → 1000, saturating strings."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or not INT64_MIN <= value <= INT64_MAX:
            return 0
        return int(value)
    if isinstance(value, str):
        number = php_leading_number(value)
        if number is None:
            return 0
        if isinstance(number, float):
            if not math.isfinite(number):
                return 0
            return max(INT64_MIN, min(INT64_MAX, int(number)))
        return number
    if value is None:
        return 0
    return 1 if php_bool(value) else 0


def php_str(value: object) -> str:
    """PHP's ``(string)`` of a scalar: null and false are ``""``, true is ``"1"``.

    A float prints without ``.0`` when it is a whole number below 10^15, else in its shortest
    form with a capital exponent (``1.0E+25``). Any other value is ``str(value)``.
    """
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).replace("e+", "E+").replace("e-", "E-")
    return str(value)


def _order(left: object, right: object) -> int:
    """-1, 0 or 1; raises TypeError for values Python cannot order."""
    return int((left > right) - (left < right))  # type: ignore[operator]


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def php_compare(
    left: object,
    right: object,
    *,
    text: Callable[[object], str] = php_str,
    compound: Callable[[object, object], int] | None = None,
) -> int:
    """PHP 8's loose ``<=>``: -1, 0 or 1 (so ``"1" == 1``, ``"abc" == 0`` is false).

    With null or a boolean on either side both are compared as booleans (null against a string
    is ``""`` against it); two numeric strings compare as numbers, other strings as text; a
    string against a number compares as numbers when the string is numeric, else both as text
    (``text`` is the string cast). Once booleans and null are out of the way, ``compound``
    orders any pair that is not two scalars (arrays, dates); without it such values compare in
    Python's order. Raises TypeError for values that cannot be ordered.
    """
    if isinstance(left, bool) or isinstance(right, bool) or left is None or right is None:
        if left is None and isinstance(right, str):
            left = ""
        elif right is None and isinstance(left, str):
            right = ""
        else:
            return _order(php_bool(left), php_bool(right))
    if compound is not None and not (_scalar(left) and _scalar(right)):
        return compound(left, right)
    if isinstance(left, str) and isinstance(right, str):
        a_number, b_number = php_numeric(left), php_numeric(right)
        if a_number is None or b_number is None:
            return _order(left, right)
        return _order(a_number, b_number)
    if isinstance(left, str) or isinstance(right, str):
        parsed = php_numeric(left if isinstance(left, str) else str(right))
        if parsed is None:
            return _order(text(left), text(right))
        left, right = (parsed, right) if isinstance(left, str) else (left, parsed)
    return _order(left, right)


def php_mod(dividend: int, divisor: int) -> int:
    """PHP's ``%``: the remainder takes the sign of the dividend; ``divisor`` must not be 0."""
    remainder = abs(dividend) % abs(divisor)
    return -remainder if dividend < 0 else remainder


def php_date_keyword(text: str, now: datetime) -> datetime | None:
    """The moment a relative keyword of ``strtotime`` names, seen from ``now``; else None.

    The keywords, in any case: ``""`` and ``now``, ``today`` and ``midnight``, ``tomorrow``,
    ``yesterday``.
    """
    keyword = text.lower()
    if keyword in {"", "now"}:
        return now
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = {"today": 0, "midnight": 0, "tomorrow": 1, "yesterday": -1}.get(keyword)
    return None if days is None else midnight + timedelta(days=days)


# ------------------------------------------------------------------ json_encode

_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def php_json(value: object) -> str:
    r"""``value`` as PHP's ``json_encode`` writes it with default flags, byte for byte.

    ``/`` as ``\/``, every non-ASCII character as ``\uXXXX`` (astral ones as surrogate pairs),
    compact separators, floats in PHP's shortest round-trip form. Accepts ``None``, ``bool``,
    ``int``, finite ``float``, ``str``, lists and tuples (arrays) and mappings with string or
    integer keys (objects; an empty mapping is ``{}``). Anything else, or a non-finite float,
    raises ``TypeError``/``ValueError``, like ``json_encode`` failing. The API's answers and the
    webhooks' bodies are both written with it.
    """
    parts: list[str] = []
    _encode_into(value, parts)
    return "".join(parts)


def _encode_into(value: object, parts: list[str]) -> None:  # noqa: C901, PLR0912 - one branch per JSON type
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int):
        parts.append(str(int(value)))
    elif isinstance(value, float):
        parts.append(_encode_float(value))
    elif isinstance(value, str):
        parts.append(_encode_string(value))
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _encode_into(item, parts)
        parts.append("]")
    elif isinstance(value, Mapping):
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str | int):
                raise TypeError(f"JSON object keys must be str or int, not {type(key).__name__}")
            if index:
                parts.append(",")
            parts.append(_encode_string(str(key)))
            parts.append(":")
            _encode_into(item, parts)
        parts.append("}")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _encode_float(value: float) -> str:
    """PHP's shortest round-trip form (serialize_precision -1): ``0.1``, ``10``, ``1.0e+25``.

    Like PHP's ``zend_gcvt`` with 17 digits: exponential when the decimal point would sit more
    than 17 digits right of the first digit or more than 3 zeros left of it.
    """
    if not math.isfinite(value):
        raise ValueError("Inf and NaN cannot be JSON encoded")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    parts = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, parts.digits)).rstrip("0")
    exponent = parts.exponent
    assert isinstance(exponent, int)
    decpt = len(parts.digits) + exponent
    sign = "-" if parts.sign else ""
    if decpt < -3 or decpt > 17:
        power = decpt - 1
        return f"{sign}{digits[0]}.{digits[1:] or '0'}e{'-' if power < 0 else '+'}{abs(power)}"
    if decpt <= 0:
        return f"{sign}0.{'0' * -decpt}{digits}"
    if decpt >= len(digits):
        return f"{sign}{digits}{'0' * (decpt - len(digits))}"
    return f"{sign}{digits[:decpt]}.{digits[decpt:]}"


def _encode_string(text: str) -> str:
    out = ['"']
    for char in text:
        escaped = _SHORT_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
            continue
        code = ord(char)
        if 0x20 <= code < 0x80:
            out.append(char)
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    out.append('"')
    return "".join(out)
