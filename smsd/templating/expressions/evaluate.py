"""Evaluating a parsed condition for one contact: the tree walked with PHP 8 value rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from smsd.phpvalues import php_bool, php_int
from smsd.templating.expressions.errors import EvaluationError
from smsd.templating.expressions.functions import call
from smsd.templating.expressions.operators import binary, negate, to_number

if TYPE_CHECKING:
    from smsd.templating.expressions.parser import Node

__all__ = ["Condition"]


@dataclass(frozen=True, slots=True)
class _Scope:
    contact: object
    contact_metas: object
    now: datetime


def _attribute(target: object, name: object) -> object:
    if not isinstance(target, Mapping):
        raise EvaluationError(f'unable to get property "{name}" of a non-object')
    return target.get(name)


def _item(target: object, key: object) -> object:
    if not isinstance(target, list):
        raise EvaluationError("cannot use a non-array as an array")
    index = php_int(key) if isinstance(key, bool | float | str) else key
    if isinstance(key, str) and str(index) != key:
        return None
    if not isinstance(index, int) or not 0 <= index < len(target):
        return None
    return target[index]


def _evaluate(node: Node, scope: _Scope) -> object:  # noqa: C901, PLR0911
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
        return call(str(node.value), arguments, scope.now)
    if kind == "ternary":
        test, yes, no = node.children
        chosen = yes if php_bool(_evaluate(test, scope)) else no
        return _evaluate(chosen, scope)
    if kind == "unary":
        operand = _evaluate(node.children[0], scope)
        if node.value in {"not", "!"}:
            return not php_bool(operand)
        return negate(operand) if node.value == "-" else to_number(operand)
    operator = str(node.value)
    left = _evaluate(node.children[0], scope)
    if operator in {"or", "||"}:
        return php_bool(left) or php_bool(_evaluate(node.children[1], scope))
    if operator in {"and", "&&"}:
        return php_bool(left) and php_bool(_evaluate(node.children[1], scope))
    right = _evaluate(node.children[1], scope)
    return binary(operator, left, right)


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled condition; evaluate it per contact with `matches`."""

    text: str
    _root: Node

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
