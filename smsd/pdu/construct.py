"""Filling the decoder's frozen dataclasses without going through their `__init__`.

The `__init__` that `dataclass(frozen=True)` generates assigns each field with
`object.__setattr__`; for a 25-field SMS-SUBMIT that costs more than reading a
short PDU does. The decoder always knows every field, so it needs neither the
defaults nor the keyword binding: it writes each slot through its descriptor.
The result is the same object `__init__` would build (no class here has a
`__post_init__`), only cheaper to make.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["slot_filler"]

T = TypeVar("T")


def slot_filler(cls: type[T], order: str) -> Callable[..., T]:
    """A constructor of `cls` taking every field positionally, in the `order` given.

    `order` names the fields, separated by whitespace; it must name each field of
    the slotted dataclass `cls` exactly once, so that a field added to the class
    and forgotten here fails at import rather than leaving a slot unset.
    """
    names = order.split()
    if not is_dataclass(cls) or not hasattr(cls, "__slots__"):
        msg = f"{cls.__name__} is not a slotted dataclass"
        raise TypeError(msg)
    if hasattr(cls, "__post_init__"):
        msg = f"{cls.__name__} has a __post_init__ that filling its slots would skip"
        raise TypeError(msg)
    expected = sorted(field.name for field in fields(cls))
    if sorted(names) != expected:
        msg = f"{cls.__name__} has the fields {expected}, not {sorted(names)}"
        raise TypeError(msg)
    setters: tuple[Callable[[Any, Any], None], ...] = tuple(
        getattr(cls, name).__set__ for name in names
    )
    new = object.__new__

    def construct(*values: object) -> T:
        instance: T = new(cls)
        for setter, value in zip(setters, values, strict=True):
            setter(instance, value)
        return instance

    construct.__doc__ = f"{cls.__name__}({', '.join(names)}), every field given."
    return construct
