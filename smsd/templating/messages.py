"""The dispatcher's render hook: RaspiSMS templating of a message for one recipient.

``contact`` is the recipient's data (a contact's ``data``, a number's ``data`` from the request or
its CSV columns), ``contact_metas`` what the dispatcher gives (``{number}`` for a bare number, the
contact's fields for a contact). A text with no template markup is returned as it is, without
compiling anything; a template that fails to compile or render skips that recipient (``None``),
as RaspiSMS does.

Use :func:`make_render` for the engine: ``Engine(db, render=make_render(), …)``;
``make_render(templating=False)`` sends texts as written (RaspiSMS's ``templating`` setting off).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from collections.abc import Callable

    from smsd.store.rows import ContactRow, Recipient

__all__ = ["make_render", "render_message", "resolve_conditional", "template_data"]

_MARKUP = ("{{", "{%", "{#")
_log = structlog.get_logger("smsd.templating")


def template_data(data: str) -> dict[str, object]:
    """The ``contact`` map of a recipient's JSON ``data`` (anything but an object is empty)."""
    try:
        decoded = json.loads(data)
    except (TypeError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def render_message(text: str, recipient: Recipient, metas: dict[str, object]) -> str | None:
    """``text`` rendered for ``recipient``; ``None`` when the template fails (skip the target)."""
    if not any(mark in text for mark in _MARKUP):
        return text
    # Jinja2 (about 1.5 MB) is loaded by the first message that uses templating, not at start.
    from smsd.templating import TemplateError, render  # noqa: PLC0415

    try:
        return render(text, template_data(recipient.data), metas)
    except TemplateError as exc:
        _log.info("template_failed", number=recipient.number, error=str(exc))
        return None


def _verbatim(text: str, _recipient: Recipient, _metas: dict[str, object]) -> str | None:
    return text


def make_render(
    *, templating: bool = True
) -> Callable[[str, Recipient, dict[str, object]], str | None]:
    """The render hook for ``Engine(render=…)``."""
    return render_message if templating else _verbatim


def resolve_conditional(condition: str, contacts: list[ContactRow]) -> list[ContactRow]:
    """The contacts a conditional group's ``condition`` selects now (the dispatcher's hook).

    ``contact`` is the contact's data map, ``contact_metas`` its own fields, as RaspiSMS gives
    them; a condition that does not compile selects nobody, one that fails on a contact leaves
    that contact out.
    """
    # The expression evaluator is loaded by the first conditional group, not at start.
    from smsd.templating.expressions import ExpressionError, compile_condition  # noqa: PLC0415

    try:
        compiled = compile_condition(condition)
    except ExpressionError as exc:
        _log.info("condition_invalid", condition=condition, error=str(exc))
        return []
    today = datetime.now().astimezone()
    return [
        contact
        for contact in contacts
        if compiled.matches(
            template_data(contact.data),
            {
                "id": contact.id,
                "name": contact.name,
                "number": contact.number,
                "created_at": contact.created_at,
                "updated_at": contact.updated_at,
            },
            today,
        )
    ]
