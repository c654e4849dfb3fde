r"""Answers in RaspiSMS's form: the envelope's exact JSON text with the verb's HTTP status.

``Content-Type`` is ``application/json`` without a charset (the text is ASCII: every non-ASCII
character is ``\u``-escaped). The HTML escaping of the JSON text follows the ``[api]
html_escape`` switch unless a route says otherwise (``/api/invalid_number/`` never escapes).
"""

from __future__ import annotations

from aiohttp import web

from smsd.api.envelope import encode, envelope, status_for
from smsd.api.state import CONFIG

__all__ = ["CONTENT_TYPE", "json_reply", "no_content", "success"]

CONTENT_TYPE = "application/json"


def json_reply(
    request: web.Request,
    document: object,
    *,
    status: int,
    html_escape: bool | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """``document`` as PHP's JSON text (HTML-escaped per the switch) with ``status``."""
    escape = request.app[CONFIG].html_escape if html_escape is None else html_escape
    body = encode(document, html_escape=escape).encode("ascii")
    all_headers = {"Content-Type": CONTENT_TYPE, **(headers or {})}
    return web.Response(body=body, status=status, headers=all_headers)


def success(
    request: web.Request,
    response: object,
    *,
    next_url: str | None = None,
    prev_url: str | None = None,
    html_escape: bool | None = None,
) -> web.Response:
    """A success envelope with the verb's success status (GET 200, POST 201)."""
    return json_reply(
        request,
        envelope(response, next_url=next_url, prev_url=prev_url),
        status=status_for(request.method, ok=True),
        html_escape=html_escape,
    )


def no_content() -> web.Response:
    """HTTP 204 with no body and no ``Content-Type`` (what RaspiSMS's clients receive)."""
    return web.Response(status=204)
