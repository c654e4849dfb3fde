"""The web dashboard: a front door of pages over the core, served by the API's listener.

``/`` leads to ``/web/``: the overview (phones, queue, the last 48 hours), conversations, a send
form and the phones. Pages are rendered on the server with Jinja2 (escaping on) and refreshed in
place by a small script of our own (no build step, no CDN: the Pi may be offline). The send
form's segment count comes from ``/api/segments`` (:mod:`smsd.api.segments`), the daemon's own
codec. :func:`api_factory` is the daemon's HTTP factory: the API, plus these pages when
``[web] enabled``. The pages and Jinja2 are imported by the first request for a page
(:mod:`smsd.web.routes`), not at start.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from smsd.api.server import api_factory as api_only
from smsd.web.routes import PAGES, WEB

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import web

    from smsd.config import Config, WebConfig

__all__ = ["STATIC", "api_factory", "install"]

STATIC = Path(__file__).parent / "static"


def install(app: web.Application, config: WebConfig) -> None:
    """Add the dashboard's pages and static files to ``app`` (before it starts)."""
    app[WEB] = config
    for method, path, name in PAGES:
        app.router.add_route(method, path, _deferred(name))
    app.router.add_static("/web/static", STATIC)


def _deferred(name: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler ``name`` of :mod:`smsd.web.pages`, imported when a request first needs it."""

    async def handler(request: web.Request) -> web.StreamResponse:
        from smsd.web.pages import HANDLERS  # noqa: PLC0415 - Jinja2 with the first page

        return await HANDLERS[name](request)

    handler.__name__ = name
    return handler


def install_pages(app: web.Application, config: Config) -> None:
    """The dashboard when ``[web] enabled``: the ``pages`` of the API's factory."""
    if config.web.enabled:
        install(app, config.web)


api_factory = functools.partial(api_only, pages=install_pages)
"""The daemon's HTTP server: :func:`smsd.api.server.api_factory` plus the dashboard."""
