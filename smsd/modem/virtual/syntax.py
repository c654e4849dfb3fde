"""Split an AT command line into commands (V.250 §5.2-5.4 syntax, as modems accept it).

``AT`` is followed by basic commands (``E0``, ``Z``, ``&F``, ``S0=0``) and extended commands
(``+CMGF=0``, ``^CURC=0``), extended ones separated by ``;``. Each extended command is an
action (``+CSQ``), a read (``+CREG?``), a test (``+CNMI=?``) or a set (``+CNMI=2,1,0,2,0``).
Arguments are comma separated; double quotes protect commas and semicolons. A malformed line
raises :class:`~smsd.modem.virtual.results.Refusal` (plain ``ERROR``, as modems answer).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from smsd.modem.virtual.results import Refusal

_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class Op(enum.Enum):
    """What an extended command asks for."""

    EXEC = "exec"
    READ = "read"
    TEST = "test"
    SET = "set"


@dataclass(frozen=True)
class Command:
    """One command of a line: upper-case name (``+CMGS``, ``E``, ``&F``, ``S0``), op, arguments.

    Basic commands carry their number as the single argument (``E0`` -> ``("0",)``).
    ``None`` stands for an omitted argument (``AT+CMGD=1,`` -> ``("1", None)``).
    """

    name: str
    op: Op
    args: tuple[str | None, ...] = ()


def is_decimal(text: str) -> bool:
    """Whether ``text`` is ASCII decimal digits only (``"²"`` is a digit to ``str.isdigit``)."""
    return text.isascii() and text.isdigit()


def split_arguments(text: str) -> tuple[str | None, ...]:
    """Split ``a,"b,c",,d`` into ``("a", "b,c", None, "d")``; quotes removed, spaces trimmed."""
    args: list[str | None] = []
    current: list[str] = []
    quoted = False
    was_quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
            was_quoted = True
        elif char == "," and not quoted:
            args.append(_argument(current, was_quoted=was_quoted))
            current, was_quoted = [], False
        else:
            current.append(char)
    if quoted:
        raise Refusal.plain()
    args.append(_argument(current, was_quoted=was_quoted))
    return tuple(args)


def _argument(chars: list[str], *, was_quoted: bool) -> str | None:
    text = "".join(chars)
    if was_quoted:
        return text
    text = text.strip()
    return text or None


def _extended(line: str, start: int) -> tuple[Command, int]:
    """Parse the extended command at ``line[start]`` (its ``+``/``^``); return it and the end."""
    pos = start + 1
    while pos < len(line) and line[pos].upper() in _NAME_CHARS:
        pos += 1
    name = line[start:pos].upper()
    if len(name) < 2:
        raise Refusal.plain()
    end = pos
    quoted = False
    while end < len(line) and (quoted or line[end] != ";"):
        if line[end] == '"':
            quoted = not quoted
        end += 1
    if quoted:
        raise Refusal.plain()
    suffix = line[pos:end].strip()
    following = end + 1 if end < len(line) else end
    if suffix == "":
        return Command(name, Op.EXEC), following
    if suffix == "?":
        return Command(name, Op.READ), following
    if suffix == "=?":
        return Command(name, Op.TEST), following
    if suffix.startswith("="):
        return Command(name, Op.SET, split_arguments(suffix[1:])), following
    raise Refusal.plain()


def _basic(line: str, start: int) -> tuple[Command, int]:
    """Parse the basic command at ``line[start]`` (``E1``, ``Z``, ``&F``, ``S0=0``, ``S3?``)."""
    pos = start
    prefix = ""
    if line[pos] == "&":
        prefix = "&"
        pos += 1
    if pos >= len(line) or not line[pos].isalpha():
        raise Refusal.plain()
    letter = line[pos].upper()
    pos += 1
    digits_start = pos
    while pos < len(line) and is_decimal(line[pos]):
        pos += 1
    number = line[digits_start:pos]
    if letter == "S" and not prefix:
        if not number:
            raise Refusal.plain()
        name = f"S{int(number)}"
        if line.startswith("=?", pos):
            return Command(name, Op.TEST), pos + 2
        if line.startswith("?", pos):
            return Command(name, Op.READ), pos + 1
        if line.startswith("=", pos):
            value_start = pos + 1
            pos = value_start
            while pos < len(line) and is_decimal(line[pos]):
                pos += 1
            return Command(name, Op.SET, (line[value_start:pos] or "0",)), pos
        raise Refusal.plain()
    return Command(prefix + letter, Op.EXEC, (number,) if number else ()), pos


def parse_line(line: str) -> list[Command]:
    """Parse the text after ``AT`` into commands; bad syntax raises ``Refusal`` (``ERROR``)."""
    commands: list[Command] = []
    pos = 0
    while pos < len(line):
        char = line[pos]
        if char in " ;":
            pos += 1
            continue
        if char in "+^$%#":
            command, pos = _extended(line, pos)
        else:
            command, pos = _basic(line, pos)
        commands.append(command)
    return commands


__all__ = ["Command", "Op", "is_decimal", "parse_line", "split_arguments"]
