"""Conditional-group conditions: a safe evaluator for RaspiSMS's expression language.

RaspiSMS stores a Symfony ExpressionLanguage (5.x) expression per conditional group and
evaluates it for every contact, with ``contact`` (the contact's data, a map of strings) and
``contact_metas`` (``id, name, number, created_at, updated_at``). This package tokenises
(`lexer`) and parses (`parser`) the same syntax into a tree of frozen nodes and interprets it
(`evaluate`) with PHP 8 value rules (`operators`, `functions`, `dates`, on `smsd.phpvalues`);
nothing is ever handed to ``eval`` and no Python attribute is ever read.

Supported: literals (numbers, ``'…'``/``"…"`` strings with C escapes, ``true``/``false``/
``null`` in lower or upper case, ``[…]`` arrays); ``a.b`` (a missing key is null, a key of a
non-map is an error) and ``a[i]`` on arrays; unary ``not ! - +``; binary ``or || and && | ^ &
== === != !== < > <= >= in`` ``not in`` ``.. + - ~ * / % **`` with Symfony's precedences (``**``
binds right, unary minus binds tighter than ``**``); ``a ? b : c``, ``a ?: b``; the functions of
RaspiSMS (``exists``, ``is_birthday``, ``lower``, ``upper``, ``substr``, ``strlen``, ``abs``,
``date``, ``date_from_format``, ``intval``, ``boolval``, ``count``, ``constant`` → null).
Comparisons and ``in`` are PHP 8 loose comparisons (``'1' == 1``); arithmetic refuses
non-numeric strings as PHP 8 does. Not supported (compile error): ``matches`` (regular
expressions), method calls, ``{…}`` hash literals.

Compile errors raise `ExpressionError` with the character position. At evaluation any error
(a missing key of a missing key, a type error, division by zero) excludes the contact:
`Condition.matches` returns False, as RaspiSMS does. Bounds: `MAX_LENGTH` characters,
`MAX_DEPTH` levels of nesting, ranges of at most `MAX_RANGE` items.
"""

from __future__ import annotations

from functools import lru_cache

from smsd.templating.expressions.errors import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_RANGE,
    EvaluationError,
    ExpressionError,
)
from smsd.templating.expressions.evaluate import Condition
from smsd.templating.expressions.parser import parse

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_RANGE",
    "Condition",
    "EvaluationError",
    "ExpressionError",
    "compile_condition",
]


@lru_cache(maxsize=256)
def compile_condition(text: str) -> Condition:
    """Parse a condition; raise `ExpressionError` (with a position) if it is not valid."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"condition longer than {MAX_LENGTH} characters", MAX_LENGTH)
    try:
        root = parse(text)
    except RecursionError as exc:
        raise ExpressionError("expression nested too deeply", 0) from exc
    return Condition(text, root)
