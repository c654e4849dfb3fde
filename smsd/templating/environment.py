"""The Jinja2 sandbox that runs Twig templates: Twig syntax, PHP operators, counted loops.

`compile_source` turns template text into a Jinja2 `Template`: Twig-only tags are rewritten
(``elseif``, ``apply``), the parsed tree is reshaped (comparisons go through PHP's loose
``<=>``, concatenations and filter results are size-capped, loops are counted) and tags that
reach other templates or macros are refused. The environment reads mapping keys only.
"""

from __future__ import annotations

import math
import operator as operator_module
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, Template, nodes
from jinja2.exceptions import TemplateError as JinjaTemplateError
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

from smsd.phpvalues import php_mod
from smsd.templating.filters import FILTERS, FUNCTIONS, TESTS
from smsd.templating.limits import MAX_TEMPLATE, TemplateError, cap, counted
from smsd.templating.values import compare, number, text

__all__ = ["compile_source"]

_LOOP_ATTRIBUTES = frozenset(
    {"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0"}
)
_FORBIDDEN_NODES = (
    nodes.Macro,
    nodes.CallBlock,
    nodes.Include,
    nodes.Import,
    nodes.FromImport,
    nodes.Extends,
    nodes.Block,
    nodes.With,
    nodes.EvalContextModifier,
)
_COMPARISONS = frozenset({"eq", "ne", "lt", "gt", "lteq", "gteq"})


def _compare_filter(pair: Sequence[object], op: str) -> bool:
    try:
        order = compare(pair[0], pair[1])
    except TypeError:
        order = None
    if order is None:
        return op == "ne"
    return {
        "eq": order == 0,
        "ne": order != 0,
        "lt": order < 0,
        "gt": order > 0,
        "lteq": order <= 0,
        "gteq": order >= 0,
    }[op]


def _concat(parts: Sequence[object]) -> str:
    return str(cap("".join(text(part) for part in parts)))


class _TwigShape(NodeTransformer):
    """Rewrites a parsed template: PHP comparisons, capped concatenation, counted loops."""

    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802 - Jinja2 visitor name
        if node.recursive:
            raise TemplateError("recursive loops are not allowed")
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_smsd_loop", [], [], None, None)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802 - Jinja2 visitor name
        self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes), "_smsd_concat", [], [], None, None)

    def visit_Filter(self, node: nodes.Filter) -> nodes.Node:  # noqa: N802 - Jinja2 visitor name
        self.generic_visit(node)
        return nodes.Filter(node, "_smsd_cap", [], [], None, None)

    def visit_Compare(self, node: nodes.Compare) -> nodes.Node:  # noqa: N802 - Jinja2 visitor name
        self.generic_visit(node)
        if any(operand.op not in _COMPARISONS for operand in node.ops):
            return node
        result: nodes.Expr | None = None
        left = node.expr
        for operand in node.ops:
            pair = nodes.List([left, operand.expr])
            test = nodes.Filter(pair, "_smsd_compare", [nodes.Const(operand.op)], [], None, None)
            result = test if result is None else nodes.And(result, test)
            left = operand.expr
        assert result is not None
        return result

    def generic_visit(self, node: nodes.Node, *args: object, **kwargs: object) -> nodes.Node:
        if isinstance(node, _FORBIDDEN_NODES):
            raise TemplateError(f"tag {type(node).__name__.lower()!r} is not allowed")
        return super().generic_visit(node, *args, **kwargs)


class _Undefined(ChainableUndefined):
    """Renders as nothing, is false, and any key of it is undefined too."""

    __slots__ = ()


_ARITHMETIC: dict[str, Callable[[Any, Any], int | float]] = {
    "+": operator_module.add,
    "-": operator_module.sub,
    "*": operator_module.mul,
    "/": operator_module.truediv,
    "//": operator_module.floordiv,
    "**": operator_module.pow,
}


class _Environment(SandboxedEnvironment):
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:  # noqa: ANN401 - Jinja2 hook signature
        if isinstance(obj, LoopContext) and attribute in _LOOP_ATTRIBUTES:
            return getattr(obj, attribute)
        return self.getitem(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:  # noqa: ANN401 - Jinja2 hook signature
        if isinstance(obj, Mapping):
            try:
                return obj[argument]
            except (KeyError, TypeError):
                pass
        elif isinstance(obj, list | tuple | str) and isinstance(argument, int | slice):
            try:
                return self.undefined() if isinstance(argument, bool) else obj[argument]
            except IndexError:
                pass
        return self.undefined(obj=obj, name=argument)

    def call_binop(self, context: object, operator: str, left: object, right: object) -> object:  # noqa: ARG002 - Jinja2 hook signature
        a, b = number(left), number(right)
        if a is None or b is None:
            raise TemplateError(f"unsupported operands for {operator!r}: {left!r}, {right!r}")
        if operator == "**" and abs(b) > 1 and abs(a) > 1 and abs(b) * math.log2(abs(a)) > 1024:
            raise TemplateError("number too large")
        if operator == "%":
            x, y = int(a), int(b)
            if not y:
                raise TemplateError("modulo by zero")
            return php_mod(x, y)
        result = _ARITHMETIC[operator](a, b)
        if isinstance(result, float) and result.is_integer() and operator == "/":
            return int(result)
        return result


def _finalize(value: object) -> object:
    if callable(value):
        return ""  # a function name is not a variable in Twig
    return text(value) if value is None or isinstance(value, bool | float) else value


_ELSEIF = re.compile(r"(\{%-?\s*)elseif\b")
_APPLY = re.compile(r"(\{%-?\s*)(end)?apply\b")


def _twig_to_jinja(source: str) -> str:
    source = _ELSEIF.sub(r"\1elif", source)
    return _APPLY.sub(lambda m: m.group(1) + ("endfilter" if m.group(2) else "filter"), source)


@lru_cache(maxsize=1)
def _environment() -> _Environment:
    env = _Environment(autoescape=False, undefined=_Undefined, finalize=_finalize)
    env.filters = {
        **FILTERS,
        "_smsd_loop": counted,
        "_smsd_cap": cap,
        "_smsd_concat": _concat,
        "_smsd_compare": _compare_filter,
    }
    env.globals = dict(FUNCTIONS)
    env.tests = {**env.tests, **TESTS}
    return env


@lru_cache(maxsize=256)
def compile_source(source: str) -> Template:
    """The compiled template for ``source``; raise `TemplateError` if it is not valid."""
    if len(source) > MAX_TEMPLATE:
        raise TemplateError(f"template longer than {MAX_TEMPLATE} characters")
    env = _environment()
    try:
        tree = env.parse(_twig_to_jinja(source))
        shaped = _TwigShape().visit(tree)
        return env.from_string(shaped)
    except JinjaTemplateError as exc:
        raise TemplateError(f"invalid template: {exc}") from exc
    except RecursionError as exc:
        raise TemplateError("template nested too deeply") from exc
