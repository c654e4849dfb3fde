"""The web dashboard: a front door of pages over the core, served by the API's listener.

``/`` leads to ``/web/``: the overview (phones, queue, the last 48 hours), conversations, a send
form and the phones. Pages are rendered on the server with Jinja2 (escaping on) and refreshed in
place by a small script of our own (no build step, no CDN: the Pi may be offline). The send
form's segment count comes from ``/api/segments`` (:mod:`smsd.api.segments`), the daemon's own
codec. :func:`api_factory` is the daemon's HTTP factory: the API, plus these pages when
``[web] enabled``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from smsd.api.server import api_factory as api_only
from smsd.web.pages import ROUTES, TEMPLATES, WEB, environment

if TYPE_CHECKING:
    from aiohttp import web

    from smsd.api.server import ApiServer
    from smsd.api.state import Clock, PhoneControl, Wake
    from smsd.api.ussd import UssdDoor
    from smsd.config import Config, WebConfig
    from smsd.store.db import Database
    from smsd.webhooks.keys import KeyRing

__all__ = ["STATIC", "api_factory", "install"]

STATIC = Path(__file__).parent / "static"


def install(app: web.Application, config: WebConfig) -> None:
    """Add the dashboard's pages and static files to ``app`` (before it starts)."""
    app[TEMPLATES] = environment()
    app[WEB] = config
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    app.router.add_static("/web/static", STATIC)


def api_factory(
    config: Config,
    db: Database,
    wake: Wake,
    *,
    clock: Clock = time.time,
    default_region: str | None = None,
    phones: PhoneControl | None = None,
    keys: KeyRing | None = None,
    ussd: UssdDoor | None = None,
) -> ApiServer:
    """The daemon's HTTP server: :func:`smsd.api.server.api_factory` plus the dashboard."""
    server = api_only(
        config,
        db,
        wake,
        clock=clock,
        default_region=default_region,
        phones=phones,
        keys=keys,
        ussd=ussd,
    )
    if config.web.enabled:
        install(server.app, config.web)
    return server
