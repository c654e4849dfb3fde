"""The bounds of a render: its error type, the size limits and the per-render step budget."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar

__all__ = [
    "BUDGET",
    "MAX_OUTPUT",
    "MAX_RANGE",
    "MAX_SECONDS",
    "MAX_STEPS",
    "MAX_TEMPLATE",
    "Budget",
    "TemplateError",
    "cap",
    "counted",
]

MAX_OUTPUT = 10_000
MAX_RANGE = 10_000
MAX_STEPS = 100_000
MAX_SECONDS = 1.0
MAX_TEMPLATE = 20_000  # characters of template source


class TemplateError(ValueError):
    """A template cannot be compiled or rendered; the message says why."""


class Budget:
    """The loop iterations and the time one render may still spend."""

    def __init__(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def step(self) -> None:
        """Count one loop iteration; raise `TemplateError` once a bound is passed."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateError(f"template runs more than {MAX_STEPS} loop iterations")
        if time.monotonic() > self.deadline:
            raise TemplateError(f"template takes longer than {MAX_SECONDS} s to render")


BUDGET: ContextVar[Budget] = ContextVar("smsd_template_budget")


def counted(iterable: object) -> Iterator[object]:
    """The items a ``for`` tag iterates, each charged to the current render's budget."""
    budget = BUDGET.get()
    if isinstance(iterable, Mapping):
        iterable = iterable.values()  # Twig iterates the values of a hash
    if not isinstance(iterable, Iterable):
        return
    for item in iterable:
        budget.step()
        yield item


def cap(value: object) -> object:
    """``value`` itself, unless it is a string or collection longer than `MAX_OUTPUT`."""
    if isinstance(value, str | list | tuple | dict) and len(value) > MAX_OUTPUT:
        raise TemplateError(f"template builds a value longer than {MAX_OUTPUT}")
    return value
