"""The web dashboard: a front door of pages over the core, served by the API's listener.

``/`` leads to ``/web/``: the overview (phones, queue, the last 48 hours), conversations, a send
form and the phones. Pages are rendered on the server with Jinja2 (escaping on) and refreshed in
place by a small script of our own (no build step, no CDN: the Pi may be offline). The send
form's segment count comes from ``/api/segments`` (:mod:`smsd.api.segments`), the daemon's own
codec. :func:`api_factory` is the daemon's HTTP factory: the API, plus these pages when
``[web] enabled``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from smsd.api.server import api_factory as api_only
from smsd.web.pages import ROUTES, TEMPLATES, WEB, environment

if TYPE_CHECKING:
    from aiohttp import web

    from smsd.config import Config, WebConfig

__all__ = ["STATIC", "api_factory", "install"]

STATIC = Path(__file__).parent / "static"


def install(app: web.Application, config: WebConfig) -> None:
    """Add the dashboard's pages and static files to ``app`` (before it starts)."""
    app[TEMPLATES] = environment()
    app[WEB] = config
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    app.router.add_static("/web/static", STATIC)


def install_pages(app: web.Application, config: Config) -> None:
    """The dashboard when ``[web] enabled``: the ``pages`` of the API's factory."""
    if config.web.enabled:
        install(app, config.web)


api_factory = functools.partial(api_only, pages=install_pages)
"""The daemon's HTTP server: :func:`smsd.api.server.api_factory` plus the dashboard."""
