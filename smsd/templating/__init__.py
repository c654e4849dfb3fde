"""Message templates: RaspiSMS's sandboxed Twig, rendered with Jinja2's sandbox.

A template sees two variables: ``contact`` (the recipient's data map) and ``contact_metas``
(``id, name, number, created_at, updated_at`` for a contact, ``number`` for a bare number).
Like RaspiSMS's Twig setup: autoescape off; undefined values render as nothing, are false and
chain (``contact.missing.deeper`` is empty); tags ``if``/``for``/``set``/``apply`` only; the
filters and functions of RaspiSMS's whitelist; no method or attribute access beyond mapping keys
and the ``loop`` variable, so a template cannot reach ``__class__``, call methods or read files.

Twig compatibility: ``{% elseif %}`` and ``{% apply f %}…{% endapply %}`` are rewritten to
Jinja2's ``elif``/``filter``; ``==``, ``<`` … compare like PHP 8 (``"1" == 1`` is true);
arithmetic turns numeric strings into numbers; ``~`` and output print null as nothing,
booleans as ``1``/nothing; ``range`` is inclusive and accepts letters. Twig filters that need
ICU (``country_name``, ``format_currency`` …) and ``format``, ``date_modify`` are not offered:
a template using them fails to compile.

Bounds: every loop iteration is counted (`MAX_STEPS`) and the render must finish within
`MAX_SECONDS`; ``range`` makes at most `MAX_RANGE` items; no intermediate string or list may
exceed `MAX_OUTPUT` items; the output is at most `MAX_OUTPUT` characters. Any failure is a
`TemplateError`.

Inside: `limits` (the bounds and `TemplateError`), `values` (PHP values from `smsd.phpvalues`,
undefined as null), `dates`, `filters` (the whitelist) and `environment` (the sandbox and the
tree rewriting); this module compiles and renders.

Jinja2 and the sandbox (a few MB) are imported by the first template compiled or rendered, not
with this package: a daemon whose messages use no templating never loads them, and the
RaspiSMS expression evaluator (:mod:`smsd.templating.expressions`) imports this package without
them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.templating.limits import (
    BUDGET,
    MAX_OUTPUT,
    MAX_RANGE,
    MAX_SECONDS,
    MAX_STEPS,
    Budget,
    TemplateError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

__all__ = [
    "MAX_OUTPUT",
    "MAX_RANGE",
    "MAX_SECONDS",
    "MAX_STEPS",
    "TemplateError",
    "compile_template",
    "php_date",
    "render",
]


def compile_template(source: str) -> None:
    """Check that ``source`` compiles (for validating a message at submission time)."""
    from smsd.templating.environment import compile_source  # noqa: PLC0415 - Jinja2 on first use

    compile_source(source)


def php_date(moment: datetime, layout: str) -> str:
    """Format like PHP's ``date()`` (a backslash escapes the next character)."""
    from smsd.templating.dates import php_date as formatted  # noqa: PLC0415 - Jinja2 on first use

    return formatted(moment, layout)


def render(
    template: str, contact: Mapping[str, object], contact_metas: Mapping[str, object]
) -> str:
    """Render ``template`` for one recipient; raise `TemplateError` on any failure."""
    from smsd.templating.environment import compile_source  # noqa: PLC0415 - Jinja2 on first use

    compiled = compile_source(template)
    token = BUDGET.set(Budget())
    out: list[str] = []
    size = 0
    try:
        for chunk in compiled.generate(contact=contact, contact_metas=contact_metas):
            size += len(chunk)
            _check_output(size)
            out.append(chunk)
    except TemplateError:
        raise
    except Exception as exc:
        raise TemplateError(f"cannot render template: {exc}") from exc
    finally:
        BUDGET.reset(token)
    return "".join(out)


def _check_output(size: int) -> None:
    if size > MAX_OUTPUT:
        raise TemplateError(f"rendered text longer than {MAX_OUTPUT} characters")
