"""Tokens of Symfony's expression language: numbers, C-escaped strings, names, operators."""

from __future__ import annotations

import re
from dataclasses import dataclass

from smsd.phpvalues import INT64_MAX
from smsd.templating.expressions.errors import ExpressionError

__all__ = ["NAME", "Token", "tokenize"]

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
NAME = re.compile(r"[a-zA-Z_\x7f-\U0010ffff][a-zA-Z_0-9\x7f-\U0010ffff]*")
"""A variable, function or attribute name."""
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.DOTALL)
_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "v": "\v", "b": "\b", "f": "\f"}


@dataclass(frozen=True, slots=True)
class Token:
    """One token and the character offset where it starts."""

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


def tokenize(text: str) -> list[Token]:  # noqa: C901, PLR0912 - one branch per token kind
    """The tokens of ``text``, ending with an ``end`` token; brackets must balance."""
    text = re.sub(r"[\r\n\t\v\f]", " ", text)
    tokens: list[Token] = []
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
            if isinstance(number, int) and number > INT64_MAX:
                number = float(number)
            tokens.append(Token("number", number, cursor))
            cursor = match.end()
        elif char in "([{":
            brackets.append((char, cursor))
            tokens.append(Token("punctuation", char, cursor))
            cursor += 1
        elif char in ")]}":
            if not brackets:
                raise ExpressionError(f'unexpected "{char}"', cursor)
            opening, where = brackets.pop()
            if "([{".index(opening) != ")]}".index(char):
                raise ExpressionError(f'unclosed "{opening}"', where)
            tokens.append(Token("punctuation", char, cursor))
            cursor += 1
        elif match := _STRING.match(text, cursor):
            body = match.group(1) if match.group(1) is not None else match.group(2)
            tokens.append(Token("string", _unescape(body), cursor))
            cursor = match.end()
        elif match := _OPERATOR.match(text, cursor):
            tokens.append(Token("operator", match.group(), cursor))
            cursor = match.end()
        elif char in ".,?:":
            tokens.append(Token("punctuation", char, cursor))
            cursor += 1
        elif match := NAME.match(text, cursor):
            tokens.append(Token("name", match.group(), cursor))
            cursor = match.end()
        else:
            raise ExpressionError(f'unexpected character "{char}"', cursor)
    if brackets:
        opening, where = brackets[-1]
        raise ExpressionError(f'unclosed "{opening}"', where)
    tokens.append(Token("end", "", len(text)))
    return tokens
