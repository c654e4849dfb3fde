"""Parameter lists of AT responses and safe quoting of string arguments (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.at.errors import MalformedResponse, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "Param",
    "find_value",
    "find_values",
    "parse_hex_int",
    "parse_int",
    "quote",
    "split_params",
]

_FORBIDDEN_IN_STRING = re.compile(r'[\x00-\x1f\x7f"]')


@dataclass(frozen=True, slots=True)
class Param:
    """One comma-separated field of a response: its text and whether it was quoted."""

    text: str
    quoted: bool = False

    def __bool__(self) -> bool:
        return bool(self.text) or self.quoted


def split_params(value: str) -> list[Param]:
    """Split ``'"SM",3,,"a,b"'`` into fields; quotes removed, blanks around bare fields stripped."""
    fields: list[Param] = []
    i = 0
    n = len(value)
    while True:
        while i < n and value[i] == " ":
            i += 1
        if i < n and value[i] == '"':
            end = value.find('"', i + 1)
            if end < 0:
                raise MalformedResponse("a closing quote", value)
            fields.append(Param(value[i + 1 : end], quoted=True))
            i = end + 1
            while i < n and value[i] == " ":
                i += 1
            if i < n and value[i] != ",":
                raise MalformedResponse("a comma after a quoted string", value)
        else:
            end = value.find(",", i)
            end = n if end < 0 else end
            fields.append(Param(value[i:end].strip()))
            i = end
        if i >= n:
            return fields
        i += 1  # the comma


def find_values(lines: Iterable[str], prefix: str) -> list[str]:
    """Values of every line starting with ``prefix:`` (``"+CNUM"``), in order."""
    head = prefix + ":"
    size = len(head)
    return [line[size:].strip() for line in lines if line[:size].upper() == head.upper()]


def find_value(lines: Iterable[str], prefix: str) -> str:
    """The value of the first ``prefix:`` line; `MalformedResponse` if there is none."""
    values = find_values(lines, prefix)
    if not values:
        raise MalformedResponse(f"a {prefix}: line", " | ".join(lines))
    return values[0]


def parse_int(field: Param | str, what: str, *, low: int = 0, high: int = 1 << 31) -> int:
    """A decimal field within [low, high]."""
    text = field.text if isinstance(field, Param) else field
    if not text.isdigit() or not text.isascii():
        raise MalformedResponse(what, text)
    number = int(text)
    if not low <= number <= high:
        raise MalformedResponse(f"{what} in {low}..{high}", text)
    return number


def parse_hex_int(field: Param | str, what: str) -> int:
    """A hexadecimal field (LAC, TAC, cell id)."""
    text = field.text if isinstance(field, Param) else field
    try:
        return int(text, 16)
    except ValueError:
        raise MalformedResponse(what, text) from None


def quote(text: str) -> str:
    """``text`` as a quoted string argument; `UsageError` if it cannot be sent safely.

    Refuses quotes, CR, LF, Ctrl-Z, ESC and every other control character, and
    non-ASCII text (encode it for the character set in use first).
    """
    if not text.isascii() or _FORBIDDEN_IN_STRING.search(text):
        raise UsageError(f"cannot send this string in an AT command: {text!r}")
    return f'"{text}"'
