"""The syntax tree of a condition: Symfony's precedences, a tree of frozen nodes, depth-bounded."""

from __future__ import annotations

from dataclasses import dataclass

from smsd.templating.expressions.errors import MAX_DEPTH, ExpressionError
from smsd.templating.expressions.functions import NAMES as _FUNCTIONS
from smsd.templating.expressions.lexer import NAME, Token, tokenize

__all__ = ["Node", "parse"]

_VARIABLES = frozenset({"contact", "contact_metas"})
_UNARY = {"not": 50, "!": 50, "-": 500, "+": 500}
_BINARY = {
    "or": 10, "||": 10, "and": 15, "&&": 15, "|": 16, "^": 17, "&": 18,
    "==": 20, "===": 20, "!=": 20, "!==": 20, "<": 20, ">": 20, ">=": 20, "<=": 20,
    "not in": 20, "in": 20, "matches": 20, "..": 25, "+": 30, "-": 30, "~": 40,
    "*": 60, "/": 60, "%": 60, "**": 200,
}  # fmt: skip
_CONSTANTS = {
    "true": True,
    "TRUE": True,
    "false": False,
    "FALSE": False,
    "null": None,
    "NULL": None,
}


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the tree; ``depth`` counts the levels below it, itself included."""

    kind: str  # const, name, attr, item, unary, binary, ternary, call, array
    value: object = None  # constant, variable/attribute/function name, operator
    children: tuple[Node, ...] = ()
    depth: int = 1


def _node(kind: str, value: object = None, *children: Node) -> Node:
    depth = 1 + max((child.depth for child in children), default=0)
    if depth > MAX_DEPTH:
        raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels", 0)
    return Node(kind, value, children, depth)


def parse(text: str) -> Node:
    """The tree of a condition; raise `ExpressionError` (with a position) if it is not valid."""
    return _Parser(tokenize(text)).parse()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.nesting = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def is_punct(self, value: str) -> bool:
        return self.current.kind == "punctuation" and self.current.value == value

    def expect(self, value: str) -> None:
        if not self.is_punct(value):
            raise ExpressionError(f'expected "{value}"', self.current.position)
        self.advance()

    def parse(self) -> Node:
        tree = self.expression()
        if self.current.kind != "end":
            raise ExpressionError(f'unexpected "{self.current.value}"', self.current.position)
        return tree

    def expression(self, precedence: int = 0) -> Node:
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

    def conditional(self, test: Node) -> Node:
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

    def primary(self) -> Node:
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

    def atom(self) -> Node:  # noqa: C901 - one branch per kind of atom
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
            items: list[Node] = []
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

    def arguments(self) -> list[Node]:
        self.expect("(")
        arguments: list[Node] = []
        while not self.is_punct(")"):
            if arguments:
                self.expect(",")
            arguments.append(self.expression())
        self.expect(")")
        return arguments

    def postfix(self, tree: Node) -> Node:
        while True:
            if self.is_punct("."):
                self.advance()
                token = self.advance()
                named = token.kind == "name" or (
                    token.kind == "operator" and NAME.fullmatch(str(token.value))
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
