"""Request parameters the way PHP sees them: bracket keys, truthiness, integer casts.

RaspiSMS reads ``$_GET``, ``$_POST`` and ``$_FILES``, so its clients send PHP bracket syntax
(``numbers[]=…``, ``numbers[0][number]=…``, ``adapter_data[login]=…``). `build` turns an ordered
list of (name, value) pairs into the same nested structure PHP builds, following the rules of
PHP's variable registration:

- leading spaces of a name are dropped; a NUL byte ends it;
- in the top-level name, ``.`` and space become ``_``; the first ``[`` opens the indexes;
- ``[]`` appends at the next free integer index, ``[k]`` sets key ``k``; an index ending at ``]``
  followed by something other than ``[`` ends the name (the rest is ignored);
- a ``[`` without a closing ``]`` at the first level is not an index: it becomes ``_`` and the
  rest of the name is kept (``a[b`` is the key ``a_b``); at a deeper level the unclosed part is
  dropped (``a[b][c`` sets ``a[b]``);
- canonical decimal integer keys (``0``, ``12``, ``-3``; not ``012``) are integer keys;
- a later value replaces an earlier one; an index under a name holding a scalar replaces the
  scalar with an array; an empty top-level name is ignored.

PHP has one ordered-map type. Here a map whose keys are exactly 0…n-1 in insertion order (PHP's
``array_is_list``) becomes a Python ``list``; any other map becomes a ``dict`` with string keys.
Values are kept as given (``str`` for text fields, any object for uploaded files).

Intentional differences from PHP, both about limits: more than ``max_vars`` variables, or
indexes nested deeper than ``max_depth`` (PHP: 64), raise `FormError` instead of being dropped
with a warning that nobody sees.

`from_json` is the JSON-body extension: a JSON object gives the same kind of structure, with
JSON scalars kept as they are (``int``, ``float``, ``bool``, ``None``), so ``"flash": false``
means false, unlike the form string ``"false"``. `php_bool` and `php_int` give PHP's casts for
both kinds of value (they and `php_numeric`, `php_leading_number` live in `smsd.phpvalues`).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from smsd.phpvalues import (
    INT64_MAX,
    INT64_MIN,
    php_bool,
    php_int,
    php_leading_number,
    php_numeric,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "MAX_DEPTH",
    "MAX_VARS",
    "FormError",
    "as_list",
    "build",
    "from_json",
    "parse_urlencoded",
    "php_bool",
    "php_int",
    "php_leading_number",
    "php_numeric",
]

MAX_DEPTH = 64  # PHP's max_input_nesting_level default
MAX_VARS = 10_000  # PHP's max_input_vars default is 1000 (excess silently dropped)
_CANONICAL_INT = re.compile(r"(?:0|-?[1-9][0-9]*)\Z")


class FormError(ValueError):
    """The request parameters cannot be represented (too many, too deep, not a JSON object)."""


class _PhpArray(dict[int | str, Any]):
    """A PHP array under construction: ordered keys and the next free integer index."""

    next_index: int = 0

    def append(self, value: object) -> None:
        if self.next_index > INT64_MAX:
            return  # PHP refuses the insertion ("next element is already occupied")
        self.set(self.next_index, value)

    def set(self, key: int | str, value: object) -> None:
        self[key] = value
        if isinstance(key, int) and key >= self.next_index:
            self.next_index = key + 1


def _php_key(index: str) -> int | str:
    """PHP turns canonical decimal integer strings into integer keys."""
    if _CANONICAL_INT.match(index):
        number = int(index)
        if INT64_MIN <= number <= INT64_MAX:
            return number
    return index


def _split_name(raw: str, max_depth: int) -> tuple[str, list[str | None]] | None:
    """Split a variable name into its top-level name and its indexes (None for ``[]``)."""
    name = raw.lstrip(" ").split("\x00", 1)[0]
    top_chars: list[str] = []
    position = len(name)
    for offset, char in enumerate(name):
        if char == "[":
            position = offset
            break
        top_chars.append("_" if char in " ." else char)
    top = "".join(top_chars)
    indexes: list[str | None] = []
    while position < len(name):  # name[position] == "["
        if len(indexes) >= max_depth:
            raise FormError(f"parameter {top!r} is nested deeper than {max_depth} levels")
        close = name.find("]", position + 1)
        if close < 0:
            if not indexes:  # first level: the bracket is part of the name
                rest = name[position + 1 :]
                top = top + "_" + "".join("_" if c in " .[" else c for c in rest)
            break
        content = name[position + 1 : close]
        indexes.append(content or None)
        position = close + 1
        if position >= len(name) or name[position] != "[":
            break
    if not top:
        return None
    return top, indexes


def _finalise(value: object) -> object:
    if not isinstance(value, _PhpArray):
        return value
    keys = list(value)
    if keys == list(range(len(keys))):
        return [_finalise(item) for item in value.values()]
    return {str(key): _finalise(item) for key, item in value.items()}


def build(
    pairs: Iterable[tuple[str, object]],
    *,
    max_vars: int = MAX_VARS,
    max_depth: int = MAX_DEPTH,
) -> dict[str, object]:
    """Build PHP's ``$_POST``-like structure from ordered (name, value) pairs."""
    root = _PhpArray()
    for count, (raw_name, value) in enumerate(pairs, start=1):
        if count > max_vars:
            raise FormError(f"more than {max_vars} parameters")
        split = _split_name(raw_name, max_depth)
        if split is None:
            continue
        top, indexes = split
        table = root
        key: int | str | None = _php_key(top)
        for index in indexes:
            if key is None:
                child = _PhpArray()
                table.append(child)
            else:
                existing = table.get(key)
                if isinstance(existing, _PhpArray):
                    child = existing
                else:
                    child = _PhpArray()
                    table.set(key, child)
            table = child
            key = None if index is None else _php_key(index)
        if key is None:
            table.append(value)
        else:
            table.set(key, value)
    return {str(key): _finalise(item) for key, item in root.items()}


def parse_urlencoded(data: str | bytes) -> list[tuple[str, str]]:
    """Split a query string or urlencoded body into decoded pairs the way PHP does.

    Pairs are separated by ``&`` (empty ones skipped); a pair without ``=`` has the value
    ``""``; ``+`` is a space and ``%XX`` a byte (a malformed escape stays as written); the bytes
    are read as UTF-8, invalid sequences replaced by U+FFFD.
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    pairs: list[tuple[str, str]] = []
    for chunk in raw.split(b"&"):
        if not chunk:
            continue
        name, _, value = chunk.partition(b"=")
        pairs.append((_url_decode(name), _url_decode(value)))
    return pairs


def _url_decode(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


def from_json(body: str | bytes, *, max_depth: int = MAX_DEPTH) -> dict[str, object]:
    """Read a JSON request body (our extension); it must be an object."""

    def refuse_constant(name: str) -> object:
        raise FormError(f"JSON body contains {name}, which is not JSON")

    try:
        document = json.loads(body, parse_constant=refuse_constant)
    except FormError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, huge integers
        raise FormError(f"JSON body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise FormError("JSON body must be an object")
    _check_depth(document, max_depth)
    return document


def _check_depth(value: object, max_depth: int) -> None:
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[object]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            raise FormError(f"JSON body is nested deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children)


def as_list(value: object) -> list[object]:
    """RaspiSMS's ``is_array($x) ? $x : [$x]`` after ``?? []``: the items of a parameter."""
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return list(value.values())
    return [value]
