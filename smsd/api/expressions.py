"""Conditional-group conditions: a safe evaluator for RaspiSMS's expression language.

RaspiSMS stores a Symfony ExpressionLanguage (5.x) expression per conditional group and
evaluates it for every contact, with ``contact`` (the contact's data, a map of strings) and
``contact_metas`` (``id, name, number, created_at, updated_at``). This module tokenises and
parses the same syntax into a tree of frozen nodes and interprets it with PHP 8 value rules;
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

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from smsd.api.forms import php_bool, php_int, php_leading_number, php_numeric

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_RANGE",
    "Condition",
    "EvaluationError",
    "ExpressionError",
    "compile_condition",
]

MAX_LENGTH = 4096
MAX_DEPTH = 100
MAX_RANGE = 10_000
_INT64_MAX = 2**63 - 1
_VARIABLES = frozenset({"contact", "contact_metas"})


class ExpressionError(ValueError):
    """The condition does not compile; ``position`` is the offending character offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} around position {position}")
        self.position = position


class EvaluationError(ValueError):
    """The condition failed for this contact (RaspiSMS then leaves the contact out)."""


# ------------------------------------------------------------------ tokens

_WORD_OPS = ("not in", "not", "and", "or", "in", "matches")
_SYMBOL_OPS = (
    *("!==", "===", "==", "!=", ">=", "<=", "**", "..", "&&", "||"),
    *("*", "~", "%", "/", ">", "|", "!", "^", "&", "+", "<", "-"),
)
_OPERATOR = re.compile(
    "|".join(rf"(?<![^\s(]){re.escape(op)}(?=[\s(])" for op in _WORD_OPS[:-1])
    + r"|(?<![^\s(])matches"
    + "|"
    + "|".join(re.escape(op) for op in _SYMBOL_OPS)
)
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[Ee][+-][0-9]+)?")
_STRING = re.compile(r""""([^"\\]*(?:\\.[^"\\]*)*)"|'([^'\\]*(?:\\.[^'\\]*)*)'""", re.DOTALL)
_NAME = re.compile(r"[a-zA-Z_\x7f-\U0010ffff][a-zA-Z_0-9\x7f-\U0010ffff]*")
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.DOTALL)
_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "v": "\v", "b": "\b", "f": "\f"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "number", "string", "name", "operator", "punctuation", "end"
    value: str | int | float
    position: int


def _unescape(body: str) -> str:
    """PHP ``stripcslashes``."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "x" and len(code) > 1:
            return chr(int(code[1:], 16))
        if code[0] in "01234567":
            return chr(int(code, 8) & 0xFF)
        return _C_ESCAPES.get(code, code)

    return _ESCAPE.sub(one, body)


def _tokenize(text: str) -> list[_Token]:  # noqa: C901, PLR0912 - one branch per token kind
    text = re.sub(r"[\r\n\t\v\f]", " ", text)
    tokens: list[_Token] = []
    brackets: list[tuple[str, int]] = []
    cursor = 0
    while cursor < len(text):
        char = text[cursor]
        if char == " ":
            cursor += 1
        elif match := _NUMBER.match(text, cursor):
            literal = match.group()
            number: int | float = (
                float(literal) if "." in literal or "e" in literal.lower() else int(literal)
            )
            if isinstance(number, int) and number > _INT64_MAX:
                number = float(number)
            tokens.append(_Token("number", number, cursor))
            cursor = match.end()
        elif char in "([{":
            brackets.append((char, cursor))
            tokens.append(_Token("punctuation", char, cursor))
            cursor += 1
        elif char in ")]}":
            if not brackets:
                raise ExpressionError(f'unexpected "{char}"', cursor)
            opening, where = brackets.pop()
            if "([{".index(opening) != ")]}".index(char):
                raise ExpressionError(f'unclosed "{opening}"', where)
            tokens.append(_Token("punctuation", char, cursor))
            cursor += 1
        elif match := _STRING.match(text, cursor):
            body = match.group(1) if match.group(1) is not None else match.group(2)
            tokens.append(_Token("string", _unescape(body), cursor))
            cursor = match.end()
        elif match := _OPERATOR.match(text, cursor):
            tokens.append(_Token("operator", match.group(), cursor))
            cursor = match.end()
        elif char in ".,?:":
            tokens.append(_Token("punctuation", char, cursor))
            cursor += 1
        elif match := _NAME.match(text, cursor):
            tokens.append(_Token("name", match.group(), cursor))
            cursor = match.end()
        else:
            raise ExpressionError(f'unexpected character "{char}"', cursor)
    if brackets:
        opening, where = brackets[-1]
        raise ExpressionError(f'unclosed "{opening}"', where)
    tokens.append(_Token("end", "", len(text)))
    return tokens


# ------------------------------------------------------------------ tree


@dataclass(frozen=True, slots=True)
class _Node:
    kind: str  # const, name, attr, item, unary, binary, ternary, call, array
    value: object = None  # constant, variable/attribute/function name, operator
    children: tuple[_Node, ...] = ()
    depth: int = 1


def _node(kind: str, value: object = None, *children: _Node) -> _Node:
    depth = 1 + max((child.depth for child in children), default=0)
    if depth > MAX_DEPTH:
        raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels", 0)
    return _Node(kind, value, children, depth)


_UNARY = {"not": 50, "!": 50, "-": 500, "+": 500}
_BINARY = {
    "or": 10, "||": 10, "and": 15, "&&": 15, "|": 16, "^": 17, "&": 18,
    "==": 20, "===": 20, "!=": 20, "!==": 20, "<": 20, ">": 20, ">=": 20, "<=": 20,
    "not in": 20, "in": 20, "matches": 20, "..": 25, "+": 30, "-": 30, "~": 40,
    "*": 60, "/": 60, "%": 60, "**": 200,
}  # fmt: skip
_FUNCTIONS = frozenset(
    {"constant", "exists", "is_birthday", "lower", "upper", "substr", "strlen", "abs", "date"}
    | {"date_from_format", "intval", "boolval", "count"}
)
_CONSTANTS = {
    "true": True,
    "TRUE": True,
    "false": False,
    "FALSE": False,
    "null": None,
    "NULL": None,
}


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.nesting = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def is_punct(self, value: str) -> bool:
        return self.current.kind == "punctuation" and self.current.value == value

    def expect(self, value: str) -> None:
        if not self.is_punct(value):
            raise ExpressionError(f'expected "{value}"', self.current.position)
        self.advance()

    def parse(self) -> _Node:
        tree = self.expression()
        if self.current.kind != "end":
            raise ExpressionError(f'unexpected "{self.current.value}"', self.current.position)
        return tree

    def expression(self, precedence: int = 0) -> _Node:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise ExpressionError(
                f"expression nested deeper than {MAX_DEPTH} levels", self.current.position
            )
        tree = self.primary()
        while (
            self.current.kind == "operator"
            and _BINARY.get(str(self.current.value), -1) >= precedence
        ):
            token = self.advance()
            operator = str(token.value)
            if operator == "matches":
                raise ExpressionError('"matches" is not supported', token.position)
            strength = _BINARY[operator]
            right = self.expression(strength if operator == "**" else strength + 1)
            tree = _node("binary", operator, tree, right)
        if precedence == 0 and self.is_punct("?"):
            tree = self.conditional(tree)
        self.nesting -= 1
        return tree

    def conditional(self, test: _Node) -> _Node:
        while self.is_punct("?"):
            self.advance()
            if self.is_punct(":"):
                self.advance()
                test = _node("ternary", None, test, test, self.expression())
                continue
            yes = self.expression()
            if self.is_punct(":"):
                self.advance()
                no = self.expression()
            else:
                no = _node("const", None)
            test = _node("ternary", None, test, yes, no)
        return test

    def primary(self) -> _Node:
        token = self.current
        if token.kind == "operator" and token.value in _UNARY:
            self.advance()
            operand = self.expression(_UNARY[str(token.value)])
            return self.postfix(_node("unary", token.value, operand))
        if self.is_punct("("):
            self.advance()
            inner = self.expression()
            self.expect(")")
            return self.postfix(inner)
        return self.postfix(self.atom())

    def atom(self) -> _Node:  # noqa: C901 - one branch per kind of atom
        token = self.advance()
        if token.kind in {"number", "string"}:
            return _node("const", token.value)
        if token.kind == "name":
            name = str(token.value)
            if name in _CONSTANTS:
                return _node("const", _CONSTANTS[name])
            if self.is_punct("("):
                if name not in _FUNCTIONS:
                    raise ExpressionError(f'the function "{name}" does not exist', token.position)
                return _node("call", name, *self.arguments())
            if name not in _VARIABLES:
                raise ExpressionError(f'variable "{name}" is not valid', token.position)
            return _node("name", name)
        if token.kind == "punctuation" and token.value == "[":
            items: list[_Node] = []
            while not self.is_punct("]"):
                if items:
                    self.expect(",")
                    if self.is_punct("]"):
                        break
                items.append(self.expression())
            self.expect("]")
            return _node("array", None, *items)
        if token.kind == "end":
            raise ExpressionError("unexpected end of expression", token.position)
        if token.kind == "punctuation" and token.value == "{":
            raise ExpressionError("hash literals are not supported", token.position)
        raise ExpressionError(f'unexpected "{token.value}"', token.position)

    def arguments(self) -> list[_Node]:
        self.expect("(")
        arguments: list[_Node] = []
        while not self.is_punct(")"):
            if arguments:
                self.expect(",")
            arguments.append(self.expression())
        self.expect(")")
        return arguments

    def postfix(self, tree: _Node) -> _Node:
        while True:
            if self.is_punct("."):
                self.advance()
                token = self.advance()
                named = token.kind == "name" or (
                    token.kind == "operator" and _NAME.fullmatch(str(token.value))
                )
                if not named:
                    raise ExpressionError("expected a name after a dot", token.position)
                if self.is_punct("("):
                    raise ExpressionError("method calls are not allowed", token.position)
                tree = _node("attr", token.value, tree)
            elif self.is_punct("["):
                self.advance()
                index = self.expression()
                self.expect("]")
                tree = _node("item", None, tree, index)
            else:
                return tree


# ------------------------------------------------------------------ values


def _fail(message: str) -> EvaluationError:
    return EvaluationError(message)


def _to_str(value: object) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).replace("e+", "E+").replace("e-", "E-")
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, list):
        return "Array"
    raise _fail(f"cannot convert {type(value).__name__} to a string")


def _to_number(value: object) -> int | float:
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        number = php_leading_number(value)
        if number is None:
            raise _fail(f"unsupported operand {value!r}")
        return number
    raise _fail(f"unsupported operand type {type(value).__name__}")


def _compare(left: object, right: object) -> int:  # noqa: C901, PLR0911 - PHP 8's comparison table
    """PHP 8 ``<=>`` with loose conversions."""
    if isinstance(left, bool) or isinstance(right, bool) or left is None or right is None:
        if left is None and isinstance(right, str):
            left = ""
        elif right is None and isinstance(left, str):
            right = ""
        else:
            a, b = php_bool(left), php_bool(right)
            return (a > b) - (a < b)
    if isinstance(left, datetime) or isinstance(right, datetime):
        if not (isinstance(left, datetime) and isinstance(right, datetime)):
            raise _fail("cannot compare a date with something else")
        return (left > right) - (left < right)
    if isinstance(left, list | Mapping) or isinstance(right, list | Mapping):
        return _compare_arrays(left, right)
    if isinstance(left, str) and isinstance(right, str):
        a_num, b_num = php_numeric(left), php_numeric(right)
        if a_num is not None and b_num is not None:
            return (a_num > b_num) - (a_num < b_num)
        return (left > right) - (left < right)
    if isinstance(left, str) or isinstance(right, str):
        text = left if isinstance(left, str) else right
        parsed = php_numeric(str(text))
        if parsed is None:
            a_text, b_text = _to_str(left), _to_str(right)
            return (a_text > b_text) - (a_text < b_text)
        left, right = (parsed, right) if isinstance(left, str) else (left, parsed)
    a_val, b_val = _to_number(left), _to_number(right)
    return (a_val > b_val) - (a_val < b_val)


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


def _int_result(value: int) -> int | float:
    return value if -_INT64_MAX - 1 <= value <= _INT64_MAX else float(value)


def _arithmetic(operator: str, left: object, right: object) -> object:  # noqa: C901, PLR0911, PLR0912
    if operator == "~":
        return _to_str(left) + _to_str(right)
    a, b = _to_number(left), _to_number(right)
    if operator in {"|", "^", "&", "%", ".."}:
        x, y = php_int(a), php_int(b)
        if operator == "%":
            if y == 0:
                raise _fail("modulo by zero")
            remainder = abs(x) % abs(y)
            return -remainder if x < 0 else remainder
        if operator == "..":
            if abs(y - x) >= MAX_RANGE:
                raise _fail(f"range larger than {MAX_RANGE} items")
            return list(range(x, y + 1)) if y >= x else list(range(x, y - 1, -1))
        return {"|": x | y, "^": x ^ y, "&": x & y}[operator]
    if operator == "/":
        if b == 0:
            raise _fail("division by zero")
        if isinstance(a, int) and isinstance(b, int) and a % b == 0:
            return _int_result(a // b)
        return a / b
    if operator == "**":
        if (
            isinstance(a, int)
            and isinstance(b, int)
            and b >= 0
            and (a in {-1, 0, 1} or b * math.log2(abs(a)) < 64)
        ):
            return _int_result(a**b)
        try:
            return math.pow(a, b)
        except OverflowError:
            return math.inf
        except ValueError as exc:  # negative base, fractional exponent: PHP gives NAN
            raise _fail(str(exc)) from exc
    result = {"+": a + b, "-": a - b, "*": a * b}[operator]
    return _int_result(result) if isinstance(result, int) else result


# ------------------------------------------------------------------ dates

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


def _date_create(text: object, now: datetime) -> datetime | bool:
    """A small part of PHP's ``date_create``: keywords, ``@timestamp``, ISO and common forms."""
    if not isinstance(text, str):
        raise _fail("date() needs a string")
    value = text.strip()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    keywords = {"": now, "now": now, "today": midnight, "midnight": midnight}
    keywords |= {
        "tomorrow": midnight + timedelta(days=1),
        "yesterday": midnight - timedelta(days=1),
    }
    if value.lower() in keywords:
        return keywords[value.lower()]
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


def _date_from_format(layout: object, text: object, now: datetime) -> datetime | bool:
    """A small part of PHP's ``date_create_from_format`` (d j m n Y y H G i s, ``!``, ``|``)."""
    if not isinstance(layout, str) or not isinstance(text, str):
        raise _fail("date_from_format() needs two strings")
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


def _as_date(value: object, now: datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    created = _date_create(value, now) if isinstance(value, str) else False
    if isinstance(created, datetime):
        return created
    raise _fail("is_birthday() needs a date")


# ------------------------------------------------------------------ evaluation


@dataclass(frozen=True, slots=True)
class _Scope:
    contact: object
    contact_metas: object
    now: datetime


def _text_argument(value: object) -> str:
    if isinstance(value, list | Mapping | datetime):
        raise _fail("expected a string")
    return _to_str(value)


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
        raise _fail("abs() needs a number")
    return abs(_to_number(value))


def _count(value: object) -> int:
    if not isinstance(value, list):
        raise _fail("count() needs an array")
    return len(value)


def _intval(value: object, base: object = 10) -> int:
    radix = php_int(base)
    if radix == 10 or not isinstance(value, str):
        return php_int(value)
    try:
        return int(value.strip(), radix)
    except ValueError:
        return 0


def _call(name: str, arguments: list[object], scope: _Scope) -> object:
    simple: dict[str, tuple[int, int, Callable[..., object]]] = {
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
        "date": (0, 1, lambda text="now": _date_create(text, scope.now)),
        "date_from_format": (2, 2, lambda layout, text: _date_from_format(layout, text, scope.now)),
        "is_birthday": (
            1,
            1,
            lambda value: (
                _as_date(value, scope.now).strftime("%m-%d") == scope.now.strftime("%m-%d")
            ),
        ),
    }
    low, high, function = simple[name]
    if not low <= len(arguments) <= high:
        raise _fail(f"{name}() takes {low} to {high} arguments, {len(arguments)} given")
    return function(*arguments)


def _attribute(target: object, name: object) -> object:
    if not isinstance(target, Mapping):
        raise _fail(f'unable to get property "{name}" of a non-object')
    return target.get(name)


def _item(target: object, key: object) -> object:
    if not isinstance(target, list):
        raise _fail("cannot use a non-array as an array")
    index = php_int(key) if isinstance(key, bool | float | str) else key
    if isinstance(key, str) and str(index) != key:
        return None
    if not isinstance(index, int) or not 0 <= index < len(target):
        return None
    return target[index]


def _evaluate(node: _Node, scope: _Scope) -> object:  # noqa: C901, PLR0911
    kind = node.kind
    if kind == "const":
        return node.value
    if kind == "name":
        return scope.contact if node.value == "contact" else scope.contact_metas
    if kind == "attr":
        return _attribute(_evaluate(node.children[0], scope), node.value)
    if kind == "item":
        return _item(_evaluate(node.children[0], scope), _evaluate(node.children[1], scope))
    if kind == "array":
        return [_evaluate(child, scope) for child in node.children]
    if kind == "call":
        arguments = [_evaluate(child, scope) for child in node.children]
        return _call(str(node.value), arguments, scope)
    if kind == "ternary":
        test, yes, no = node.children
        chosen = yes if php_bool(_evaluate(test, scope)) else no
        return _evaluate(chosen, scope)
    if kind == "unary":
        operand = _evaluate(node.children[0], scope)
        if node.value in {"not", "!"}:
            return not php_bool(operand)
        number = _to_number(operand)
        return (
            (-number if isinstance(number, float) else _int_result(-number))
            if node.value == "-"
            else number
        )
    operator = str(node.value)
    left = _evaluate(node.children[0], scope)
    if operator in {"or", "||"}:
        return php_bool(left) or php_bool(_evaluate(node.children[1], scope))
    if operator in {"and", "&&"}:
        return php_bool(left) and php_bool(_evaluate(node.children[1], scope))
    right = _evaluate(node.children[1], scope)
    return _binary(operator, left, right)


def _binary(operator: str, left: object, right: object) -> object:
    comparisons: dict[str, Callable[[int], bool]] = {
        "==": lambda order: order == 0,
        "!=": lambda order: order != 0,
        "<": lambda order: order < 0,
        ">": lambda order: order > 0,
        "<=": lambda order: order <= 0,
        ">=": lambda order: order >= 0,
    }
    if operator in comparisons:
        return comparisons[operator](_compare(left, right))
    if operator == "===":
        return _strict_equal(left, right)
    if operator == "!==":
        return not _strict_equal(left, right)
    if operator in {"in", "not in"}:
        if not isinstance(right, list):
            raise _fail('"in" needs an array on its right')
        found = any(_compare(left, item) == 0 for item in right)
        return found if operator == "in" else not found
    return _arithmetic(operator, left, right)


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled condition; evaluate it per contact with `matches`."""

    text: str
    _root: _Node

    def evaluate(self, contact: object, contact_metas: object, today: date) -> object:
        """The PHP value of the expression; raises `EvaluationError` when it fails.

        ``today`` is the evaluation moment: a ``datetime`` (also used for ``date('now')``), or a
        ``date`` meaning its midnight.
        """
        now = today if isinstance(today, datetime) else datetime(today.year, today.month, today.day)  # noqa: DTZ001 - local wall time
        try:
            return _evaluate(self._root, _Scope(contact, contact_metas, now))
        except EvaluationError:
            raise
        except (TypeError, ValueError, OverflowError, ArithmeticError, RecursionError) as exc:
            raise EvaluationError(str(exc)) from exc

    def matches(self, contact: object, contact_metas: object, today: date) -> bool:
        """True when the contact is in the group; any evaluation error means False."""
        try:
            return php_bool(self.evaluate(contact, contact_metas, today))
        except EvaluationError:
            return False


@lru_cache(maxsize=256)
def compile_condition(text: str) -> Condition:
    """Parse a condition; raise `ExpressionError` (with a position) if it is not valid."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"condition longer than {MAX_LENGTH} characters", MAX_LENGTH)
    try:
        root = _Parser(_tokenize(text)).parse()
    except RecursionError as exc:
        raise ExpressionError("expression nested too deeply", 0) from exc
    return Condition(text, root)
