"""The two plain hooks an :class:`~smsd.store.expansion.AcceptExpansion` needs, for store tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd import pdu

if TYPE_CHECKING:
    from smsd.store.rows import Recipient

__all__ = ["plan", "verbatim"]


def plan(text: str) -> int:
    """Segments of ``text``, as the dispatcher counts them."""
    return pdu.count(text).segments


def verbatim(text: str, _recipient: Recipient, _metas: dict[str, object]) -> str | None:
    """The text as written: no templating."""
    return text
