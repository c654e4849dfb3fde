"""The ``{{field}}`` jokers of a Gateway SMS body, written in the core's template language.

A body such as ``"Hello {{name}}"`` takes ``name`` from each recipient's ``fields``. The core
renders one text per recipient when it expands the message (its templates see the recipient's
data as ``contact``), so the body is stored as the equivalent core template: each joker becomes
``{{ contact["name"] }}`` and every other ``{`` is written ``{{ "{" }}`` so that nothing else in
the text can be read as template markup. A body without jokers and without ``{`` is stored as
written. A joker whose field a recipient lacks renders as nothing.

:func:`fill` gives the text a recipient will receive, for counting its parts before the core has
expanded the message.
"""

from __future__ import annotations

import json
import re

__all__ = ["fill", "to_template"]

_JOKER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_OPEN_BRACE = '{{ "{" }}'


def _literal(text: str) -> str:
    return text.replace("{", _OPEN_BRACE)


def to_template(body: str) -> str:
    """The core template equivalent to ``body``."""
    if "{" not in body:
        return body
    parts: list[str] = []
    last = 0
    for joker in _JOKER.finditer(body):
        parts.append(_literal(body[last : joker.start()]))
        name = json.dumps(joker[1], ensure_ascii=False)
        parts.append(f"{{{{ contact[{name}] }}}}")
        last = joker.end()
    parts.append(_literal(body[last:]))
    return "".join(parts)


def _text(value: object) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def fill(body: str, fields: dict[str, object]) -> str:
    """``body`` with each joker replaced by the recipient's field (for counting parts)."""
    return _JOKER.sub(lambda joker: _text(fields.get(joker[1])), body)
