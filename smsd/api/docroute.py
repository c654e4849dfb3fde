"""The route of ``GET /api/openapi.json``; the document is built by :mod:`smsd.api.openapi`.

The builder is imported by the first request for the document: a daemon nobody asks for it
never loads it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import web

from smsd.api.routing import Route

if TYPE_CHECKING:
    from smsd.api.routing import RouteTable

__all__ = ["openapi_route"]


def openapi_route(routes: RouteTable, prefix: str) -> Route:
    """The route serving the document of ``routes`` (itself included once it is added)."""

    async def openapi_document(_request: web.Request) -> web.Response:
        """The OpenAPI document."""
        from smsd.api.openapi import build_document  # noqa: PLC0415 - loaded on first request

        text = json.dumps(build_document(routes, prefix), indent=2)
        return web.Response(text=text, content_type="application/json")

    return Route("GET", "/api/openapi.json", openapi_document, "This document", auth=False)
