"""The aiohttp application: built by :func:`make_app`, dependencies under typed AppKeys.

Every answer is an envelope. Handlers raise :class:`~smsd.api.envelope.ApiError`; the
``envelope_errors`` middleware turns it into the envelope with RaspiSMS's verb-based status
(GET 404, POST/DELETE 400; 401 and 403 for authentication). Intentional differences from
RaspiSMS, which answers these with HTML pages:

- an unknown path is HTTP 404 with error 2 (``path : …``);
- a known path with a wrong verb is HTTP 405 with error 2 (``method : …``) and an ``Allow``
  header (RaspiSMS: HTTP 500 HTML page);
- a body over ``[api] max_body_bytes`` is HTTP 413 with error 2;
- any unexpected exception is HTTP 500 with an envelope whose message carries an error id; the
  same id is logged with the traceback. No stack trace ever reaches the client.

Like RaspiSMS, routing happens before authentication, so those answers need no key.
``/metrics`` and ``/health`` (:mod:`smsd.api.metrics`) answer outside the envelope, without a
key; the ``request_latency`` middleware times every request for ``/metrics``.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from smsd.api.auth import AuthError
from smsd.api.docroute import openapi_route
from smsd.api.envelope import ApiError, ErrorCode, error_envelope, status_for
from smsd.api.gatewaysms import ROUTES as GATEWAYSMS_ROUTES
from smsd.api.manage import FEATURE_ROUTES, RULE_ROUTES
from smsd.api.metrics import HTTP_METRICS, LatencyHistogram, request_latency
from smsd.api.metrics import ROUTES as METRICS_ROUTES
from smsd.api.raspisms import raspisms_routes
from smsd.api.replies import json_reply
from smsd.api.routing import RouteTable
from smsd.api.segments import ROUTES as SEGMENT_ROUTES
from smsd.api.smsgateway24 import routes as smsgateway24_routes
from smsd.api.smspartner import ROUTES as SMSPARTNER_ROUTES
from smsd.api.state import (
    CLOCK,
    CONFIG,
    DB,
    KEYS,
    PHONES,
    REGION,
    WAKE,
    Clock,
    PhoneControl,
    Wake,
)
from smsd.api.ussd import ROUTES as USSD_ROUTES
from smsd.api.ussd import USSD
from smsd.api.webhooks import ROUTES as WEBHOOK_ROUTES
from smsd.api.webhooks import WEBHOOKS
from smsd.phone import check_region

if TYPE_CHECKING:
    from collections.abc import Iterable

    from smsd.api.routing import Handler, Route
    from smsd.api.ussd import UssdDoor
    from smsd.config import ApiConfig, WebhooksConfig
    from smsd.store.db import Database
    from smsd.webhooks.keys import KeyRing

__all__ = ["ROUTES", "make_app"]

ROUTES = web.AppKey("routes", RouteTable)
"""The table the application serves (and documents)."""

_log = structlog.get_logger("smsd.api")
_INTERNAL_CODES = {
    "POST": ErrorCode.CANNOT_CREATE,
    "DELETE": ErrorCode.CANNOT_DELETE,
    "PUT": ErrorCode.CANNOT_UPDATE,
    "PATCH": ErrorCode.CANNOT_UPDATE,
}


def _error(request: web.Request, code: ErrorCode, detail: str, status: int) -> web.Response:
    return json_reply(request, error_envelope(code, detail), status=status)


def _internal(request: web.Request, exc: BaseException) -> web.Response:
    error_id = secrets.token_hex(8)
    _log.error(
        "api_internal_error",
        error_id=error_id,
        method=request.method,
        path=request.path,
        exc_info=exc,
    )
    code = _INTERNAL_CODES.get(request.method, ErrorCode.INVALID_PARAMETER)
    document = {
        "error": int(code),
        "message": f"Internal error, id {error_id}: the server log has the details.",
        "response": None,
        "next": None,
        "prev": None,
    }
    return json_reply(request, document, status=500)


@web.middleware
async def envelope_errors(  # noqa: PLR0911 - one answer per kind of failure
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Turn every failure into an envelope (see the module docstring)."""
    try:
        return await handler(request)
    except AuthError as exc:
        return json_reply(request, exc.envelope(), status=exc.http_status)
    except ApiError as exc:
        status = status_for(request.method, ok=False)
        return json_reply(request, exc.envelope(), status=status)
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        detail = f"method : {request.method} is not allowed here, use {allowed}."
        response = _error(request, ErrorCode.INVALID_PARAMETER, detail, 405)
        response.headers["Allow"] = ",".join(sorted(exc.allowed_methods))
        return response
    except web.HTTPNotFound:
        detail = f"path : no such route {request.path}."
        return _error(request, ErrorCode.INVALID_PARAMETER, detail, 404)
    except web.HTTPRequestEntityTooLarge:
        detail = f"body : larger than {request.app[CONFIG].max_body_bytes} bytes."
        return _error(request, ErrorCode.INVALID_PARAMETER, detail, 413)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        detail = f"request : {exc.reason}."
        return _error(request, ErrorCode.INVALID_PARAMETER, detail, exc.status)
    except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: log it, answer 500
        return _internal(request, exc)


def make_app(
    config: ApiConfig,
    db: Database,
    wake: Wake,
    *,
    clock: Clock = time.time,
    default_region: str | None = None,
    extra_routes: Iterable[Route] = (),
    phones: PhoneControl | None = None,
    webhooks: WebhooksConfig | None = None,
    keys: KeyRing | None = None,
    ussd: UssdDoor | None = None,
) -> web.Application:
    """The API application over an open store; ``wake`` is called after each new message.

    ``default_region`` (ISO 3166, e.g. ``"FR"``; else ``[api] default_region``) also accepts
    national numbers of that region (our extension; RaspiSMS accepts international numbers
    only). ``extra_routes`` are served and documented with the RaspiSMS routes. ``phones`` lets
    the phone routes start, restart and stop modems (without it they only change the store).
    ``webhooks`` is the ``[webhooks]`` section that checks webhook URLs (its defaults when
    absent). ``keys`` notes every key that authenticates (for RaspiSMS's webhook signature).
    ``ussd`` is the core's USSD service (the USSD routes answer error 8 without it).
    """
    app = web.Application(
        client_max_size=config.max_body_bytes, middlewares=[request_latency, envelope_errors]
    )
    app[HTTP_METRICS] = LatencyHistogram()
    app[DB] = db
    app[WAKE] = wake
    app[CONFIG] = config
    app[CLOCK] = clock
    region = default_region if default_region is not None else config.default_region
    if region is not None:
        app[REGION] = check_region(region)
    if phones is not None:
        app[PHONES] = phones
    if webhooks is not None:
        app[WEBHOOKS] = webhooks
    if keys is not None:
        app[KEYS] = keys
    if ussd is not None:
        app[USSD] = ussd
    table = raspisms_routes() if "raspisms" in config.dialects else RouteTable()
    if "raspisms" in config.dialects:
        table.extend(WEBHOOK_ROUTES)
        table.extend(RULE_ROUTES)
        table.extend(FEATURE_ROUTES)
        table.extend(USSD_ROUTES)
    if "gatewaysms" in config.dialects:
        table.extend(GATEWAYSMS_ROUTES)
    if "smsgateway24" in config.dialects:
        table.extend(smsgateway24_routes())
    if "smspartner" in config.dialects:
        table.extend(SMSPARTNER_ROUTES)
    table.extend(SEGMENT_ROUTES)
    table.extend(extra_routes)
    table.extend(METRICS_ROUTES)
    table.extend([openapi_route(table, config.prefix)])
    app[ROUTES] = table
    table.install(app, config.prefix)
    return app
