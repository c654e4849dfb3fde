"""``GET /api/segments/``: how a text would be sent (smsd extension), from the daemon's own codec.

The answer is the envelope with ``{"encoding": "gsm7" | "ucs2", "segments", "characters",
"per_segment", "remaining"}``: the encoding chosen, the number of SMS it takes, its length in
characters as the network counts them (a GSM-7 extension character such as ``€`` counts two, a
UCS-2 character outside the basic plane two), the characters one segment holds and those left in
the last one. The dashboard's send form counts with it, so no second codec lives in the browser.
It reads nothing and stores nothing, so it needs no key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.params import read_params
from smsd.api.replies import success
from smsd.api.routing import Param, Route
from smsd.api.scheduled import MAX_TEXT
from smsd.pdu import Encoding
from smsd.pdu.segments import count

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["ROUTES", "segments"]

_NAMES = {Encoding.GSM7: "gsm7", Encoding.UCS2: "ucs2"}


async def segments(request: web.Request) -> web.Response:
    """Count the segments of ``text``."""
    text = (await read_params(request)).query.get("text", "")
    if not isinstance(text, str):
        raise ApiError(ErrorCode.INVALID_PARAMETER, " text : must be a string.")
    if len(text) > MAX_TEXT:
        raise ApiError(ErrorCode.INVALID_PARAMETER, f" text : at most {MAX_TEXT} characters.")
    counted = count(text)
    return success(
        request,
        {
            "encoding": _NAMES[counted.encoding],
            "segments": counted.segments,
            "characters": counted.units,
            "per_segment": counted.per_segment,
            "remaining": counted.remaining,
        },
    )


ROUTES = (
    Route(
        "GET",
        "/api/segments",
        segments,
        "Count the SMS a text takes (smsd)",
        (Param("text", "query", description=f"the text, at most {MAX_TEXT} characters"),),
        auth=False,
        tag="smsd",
    ),
)
