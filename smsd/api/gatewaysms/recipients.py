"""Recipients as the Gateway SMS API writes them, and numbers as it shows them.

A recipient is a string, or an object ``{"number": …, "fields": {…}}``; ``recipients`` is one
recipient or an array of them. The documented number form is ``+<country code>-<number>``
(``+39-3491234567``); plain E.164 (``+393491234567``) is accepted too, as our extension. A number
in any other form, or not a valid phone number, is not an error of the request: it is listed
among the invalid recipients (as written) and the others are sent to.

Numbers are shown back in the documented form: ``+39-3491234567`` with ``prefix`` ``+39``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from smsd.phone import country_code, to_e164

__all__ = ["Parsed", "RecipientError", "dashed", "parse_recipients", "prefix_of"]

_DASHED = re.compile(r"\+([1-9][0-9]{0,3})-([0-9]{2,17})")
_E164 = re.compile(r"\+[1-9][0-9]{4,16}")
MAX_RECIPIENTS = 10_000
"""Recipients one request may name (valid and invalid together)."""


class RecipientError(ValueError):
    """``recipients`` is not a recipient, nor an array of them (a 422 naming the field)."""


@dataclass(frozen=True)
class Parsed:
    """The valid recipients (E.164 number, fields as JSON text) and the invalid ones."""

    valid: list[tuple[str, str]] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def _number(raw: str) -> str | None:
    """The E.164 number of a recipient written as documented (or as E.164), else ``None``."""
    text = raw.strip()
    dashed_form = _DASHED.fullmatch(text)
    if dashed_form:
        return to_e164(f"+{dashed_form[1]}{dashed_form[2]}")
    if _E164.fullmatch(text):
        return to_e164(text)
    return None


def _fields(value: object, where: str) -> str:
    if value is None:
        return "[]"
    if not isinstance(value, dict):
        raise RecipientError(f"{where}.fields must be an object")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def parse_recipients(value: object) -> Parsed:
    """Read ``recipients``; :class:`RecipientError` when its shape is wrong (not a number)."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise RecipientError("recipients must name at least one recipient")
    if len(items) > MAX_RECIPIENTS:
        raise RecipientError(f"recipients may name at most {MAX_RECIPIENTS} recipients")
    parsed = Parsed()
    seen: dict[str, int] = {}
    for position, item in enumerate(items):
        where = f"recipients[{position}]"
        if isinstance(item, str):
            raw, data = item, "[]"
        elif isinstance(item, dict):
            raw_number = item.get("number")
            if not isinstance(raw_number, str):
                raise RecipientError(f"{where}.number must be a string")
            raw, data = raw_number, _fields(item.get("fields"), where)
        else:
            raise RecipientError(f"{where} must be a string or an object with a number")
        number = _number(raw)
        if number is None:
            parsed.invalid.append(raw)
        elif number in seen:  # the last fields given for a number win
            parsed.valid[seen[number]] = (number, data)
        else:
            seen[number] = len(parsed.valid)
            parsed.valid.append((number, data))
    return parsed


def prefix_of(e164: str) -> str:
    """``+39`` for ``+393491234567`` (``""`` when the country cannot be told)."""
    code = country_code(e164)
    return "" if code is None else f"+{code}"


def dashed(e164: str) -> str:
    """``+39-3491234567`` for ``+393491234567`` (the number as given when not E.164)."""
    prefix = prefix_of(e164)
    if not prefix or not e164.startswith(prefix):
        return e164
    return f"{prefix}-{e164[len(prefix) :]}"
