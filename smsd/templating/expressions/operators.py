"""The operators of a condition on PHP 8 values: casts, loose comparison, ``in``, arithmetic."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from smsd.phpvalues import (
    php_compare,
    php_int,
    php_integer,
    php_leading_number,
    php_mod,
    php_number,
    php_str,
)
from smsd.templating.expressions.errors import MAX_RANGE, EvaluationError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["binary", "negate", "to_number", "to_str"]


def to_str(value: object) -> str:
    """PHP's ``(string)``: an array is ``"Array"``; other compound values fail."""
    if isinstance(value, list):
        return "Array"
    if value is None or isinstance(value, bool | int | float | str):
        return php_str(value)
    raise EvaluationError(f"cannot convert {type(value).__name__} to a string")


def to_number(value: object) -> int | float:
    """The number PHP 8 arithmetic takes (``"12abc"`` is 12); fail for what it refuses."""
    if isinstance(value, str):
        number = php_leading_number(value)
        if number is None:
            raise EvaluationError(f"unsupported operand {value!r}")
        return number
    number = php_number(value)
    if number is None:
        raise EvaluationError(f"unsupported operand type {type(value).__name__}")
    return number


def _compare(left: object, right: object) -> int:
    """PHP 8 ``<=>`` with loose conversions, arrays and dates included."""
    return php_compare(left, right, text=to_str, compound=_compare_compound)


def _compare_compound(left: object, right: object) -> int:
    if isinstance(left, datetime) or isinstance(right, datetime):
        if not (isinstance(left, datetime) and isinstance(right, datetime)):
            raise EvaluationError("cannot compare a date with something else")
        return (left > right) - (left < right)
    if isinstance(left, list | Mapping) or isinstance(right, list | Mapping):
        return _compare_arrays(left, right)
    unknown = right if left is None or isinstance(left, bool | int | float | str) else left
    raise EvaluationError(f"unsupported operand type {type(unknown).__name__}")


def _compare_arrays(left: object, right: object) -> int:
    if not isinstance(left, list | Mapping):
        return -1
    if not isinstance(right, list | Mapping):
        return 1
    a = dict(enumerate(left)) if isinstance(left, list) else dict(left)
    b = dict(enumerate(right)) if isinstance(right, list) else dict(right)
    if len(a) != len(b):
        return (len(a) > len(b)) - (len(a) < len(b))
    for key, value in a.items():
        if key not in b:
            return 1
        order = _compare(value, b[key])
        if order:
            return order
    return 0


def _strict_equal(left: object, right: object) -> bool:
    return type(left) is type(right) and left == right


def negate(value: object) -> int | float:
    """Unary minus."""
    number = to_number(value)
    return -number if isinstance(number, float) else php_integer(-number)


def _arithmetic(operator: str, left: object, right: object) -> object:  # noqa: C901, PLR0911, PLR0912 - one branch per operator
    if operator == "~":
        return to_str(left) + to_str(right)
    a, b = to_number(left), to_number(right)
    if operator in {"|", "^", "&", "%", ".."}:
        x, y = php_int(a), php_int(b)
        if operator == "%":
            if y == 0:
                raise EvaluationError("modulo by zero")
            return php_mod(x, y)
        if operator == "..":
            if abs(y - x) >= MAX_RANGE:
                raise EvaluationError(f"range larger than {MAX_RANGE} items")
            return list(range(x, y + 1)) if y >= x else list(range(x, y - 1, -1))
        return {"|": x | y, "^": x ^ y, "&": x & y}[operator]
    if operator == "/":
        if b == 0:
            raise EvaluationError("division by zero")
        if isinstance(a, int) and isinstance(b, int) and a % b == 0:
            return php_integer(a // b)
        return a / b
    if operator == "**":
        if (
            isinstance(a, int)
            and isinstance(b, int)
            and b >= 0
            and (a in {-1, 0, 1} or b * math.log2(abs(a)) < 64)
        ):
            return php_integer(a**b)
        try:
            return math.pow(a, b)
        except OverflowError:
            return math.inf
        except ValueError as exc:  # negative base, fractional exponent: PHP gives NAN
            raise EvaluationError(str(exc)) from exc
    result = {"+": a + b, "-": a - b, "*": a * b}[operator]
    return php_integer(result) if isinstance(result, int) else result


_COMPARISONS: dict[str, Callable[[int], bool]] = {
    "==": lambda order: order == 0,
    "!=": lambda order: order != 0,
    "<": lambda order: order < 0,
    ">": lambda order: order > 0,
    "<=": lambda order: order <= 0,
    ">=": lambda order: order >= 0,
}


def binary(operator: str, left: object, right: object) -> object:
    """The value of ``left operator right`` (``and``/``or`` short-circuit in the evaluator)."""
    if operator in _COMPARISONS:
        return _COMPARISONS[operator](_compare(left, right))
    if operator == "===":
        return _strict_equal(left, right)
    if operator == "!==":
        return not _strict_equal(left, right)
    if operator in {"in", "not in"}:
        if not isinstance(right, list):
            raise EvaluationError('"in" needs an array on its right')
        found = any(_compare(left, item) == 0 for item in right)
        return found if operator == "in" else not found
    return _arithmetic(operator, left, right)
