"""Twig values: PHP's semantics (`smsd.phpvalues`) with Jinja2's undefined standing for null."""

from __future__ import annotations

from datetime import datetime

from jinja2 import ChainableUndefined

from smsd.phpvalues import php_compare, php_number, php_str

__all__ = ["compare", "is_null", "number", "text"]


def is_null(value: object) -> bool:
    """Twig's ``is null``: null or an undefined value."""
    return value is None or isinstance(value, ChainableUndefined)


def number(value: object) -> int | float | None:
    """The number PHP's arithmetic sees, None for a non-numeric value."""
    return 0 if isinstance(value, ChainableUndefined) else php_number(value)


def text(value: object) -> str:
    """The text Twig prints for a value (a date as ``Y-m-d H:i:s``)."""
    if isinstance(value, ChainableUndefined):
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return php_str(value)


def compare(left: object, right: object) -> int:
    """PHP 8 loose comparison (``<=>``) of scalars; raises TypeError for what it cannot order."""
    return php_compare(
        None if isinstance(left, ChainableUndefined) else left,
        None if isinstance(right, ChainableUndefined) else right,
        text=text,
    )
