"""SMSPartner's answers: JSON or its ``<result><entry>`` XML, and its error shapes.

Every answer carries ``success`` and ``code`` first (200 on success, the error's code
otherwise). ``_format=xml`` (in the query or the body) answers XML: the values of the JSON
document in order, each in an ``<entry>`` element, lists and objects as nested ``<entry>``
elements, as SMSPartner's documentation shows.

HTTP statuses: SMSPartner's pages document one, "une erreur 400 sera retournée" for a message
whose ``"`` is not escaped (a body that does not parse), and its official Go client treats any
status other than 200 as an error whose JSON body it reads (its own test answers the code 9
example with 400). So: 200 for every success, 400 for every ``success: false`` answer (calls
that cannot apply to SIM cards included, code 40), 429 when an address is blocked for guessing
keys (the code SMSPartner's error table gives for too many requests).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape

from aiohttp import web

__all__ = [
    "BAD_REQUEST",
    "FieldError",
    "PartnerError",
    "answer",
    "error_answer",
    "row_id",
    "wants_xml",
]

BAD_REQUEST = 400
FORMAT = web.RequestKey("smspartner_format", str)
"""Request key: ``"xml"`` or ``"json"``, set once the parameters are read."""


@dataclass(frozen=True)
class FieldError:
    """One violated constraint of a code 9 answer: ``children[<field>].data`` and why."""

    field: str
    message: str

    def document(self) -> dict[str, str]:
        """As SMSPartner writes it."""
        return {"elementId": f"children[{self.field}].data", "message": self.message}


@dataclass
class PartnerError(Exception):
    """A refusal in SMSPartner's terms: ``code``, and a ``message`` or a list of ``errors``."""

    code: int
    message: str = ""
    errors: list[FieldError] = field(default_factory=list)
    status: int = BAD_REQUEST

    def __str__(self) -> str:
        return f"{self.code}: {self.message or '; '.join(e.message for e in self.errors)}"

    def document(self) -> dict[str, object]:
        """The JSON document of the refusal."""
        found: dict[str, object] = {"success": False, "code": self.code}
        if self.errors:
            found["errors"] = [e.document() for e in self.errors]
        else:
            found["message"] = self.message
        return found


MAX_ID = 2**63 - 1
"""SQLite's largest integer: a longer id names nothing."""


def row_id(value: object) -> int | None:
    """A positive integer id from a parameter (``None``: not one, or beyond any row's id)."""
    if isinstance(value, bool):
        return None
    text = str(value).strip() if isinstance(value, int | str) else ""
    if not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def wants_xml(value: object) -> bool:
    """Does ``_format`` ask for XML (any case)?"""
    return isinstance(value, str) and value.strip().lower() == "xml"


def _entries(value: object, depth: int) -> str:
    pad = "  " * depth
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        inner = "".join(_entries(item, depth + 1) for item in value)
        return f"{pad}<entry>\n{inner}{pad}</entry>\n"
    return f"{pad}<entry>{escape(_scalar(value), quote=False)}</entry>\n"


def _scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_xml(document: dict[str, object]) -> str:
    """``document`` as SMSPartner's XML: ``<result>`` with one ``<entry>`` per value."""
    body = "".join(_entries(value, 1) for value in document.values())
    return f"<?xml version='1.0' encoding='UTF-8'?>\n<result>\n{body}</result>\n"


def answer(request: web.Request, document: dict[str, object], status: int = 200) -> web.Response:
    """``document`` in the format the request asked for (JSON unless ``_format=xml``)."""
    if request.get(FORMAT) == "xml":
        return web.Response(
            body=to_xml(document).encode("utf-8"),
            status=status,
            content_type="application/xml",
            charset="utf-8",
        )
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return web.Response(
        body=text.encode("utf-8"), status=status, content_type="application/json", charset="utf-8"
    )


def error_answer(request: web.Request, error: PartnerError) -> web.Response:
    """The refusal's document with its HTTP status."""
    return answer(request, error.document(), error.status)
