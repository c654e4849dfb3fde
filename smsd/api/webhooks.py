"""Webhooks over the API (our extension; RaspiSMS manages them in its web interface only).

- ``POST /api/webhook/`` with ``url`` and ``type`` creates a webhook: 201 with
  ``{"id": …, "secret": …}``. The secret (64 hex characters) keys the ``X-Smsd-Signature``
  header of its deliveries and is shown this once only.
- ``GET /api/webhook/`` and ``GET /api/webhook/page/{page}/`` list the user's webhooks,
  ascending by id, 25 per page (from 0), with ``next``/``prev`` links carrying the key like the
  other lists; the secret is never listed.
- ``DELETE /api/webhook/{id}/`` deletes one, with its undelivered events: 204, or error 32.

``type`` is one of RaspiSMS's: ``send_sms``, ``send_sms_status_change``, ``receive_sms``,
``inbound_call``, ``phone_reliability`` (and smsd's ``phone_balance_low``).
``url`` must be ``http://`` or ``https://``; a
link-local or cloud metadata address is refused unless ``[webhooks] allow_link_local`` is on
(see :mod:`smsd.webhooks.policy`). Errors: 4 for a missing field, 2 for a bad one, in the
envelope and with the verb-based statuses of the other routes.

The daemon gives the ``[webhooks]`` settings under :data:`WEBHOOKS`; without them the defaults
apply. :func:`message_url` checks the per-message ``url_dlr`` / ``url_response`` of
``POST /api/scheduled/`` with the same rules.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict
from urllib.parse import quote

from aiohttp import web

from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.params import read_params
from smsd.api.replies import no_content, success
from smsd.api.routing import Param, Route, base_url
from smsd.api.state import DB, user_of
from smsd.config import WebhooksConfig
from smsd.phpvalues import php_bool, php_int
from smsd.store import webhooks as store
from smsd.webhooks.payload import EVENT_TYPES
from smsd.webhooks.policy import UrlPolicy, UrlRefusedError, check_url

__all__ = ["PAGE_SIZE", "ROUTES", "WEBHOOKS", "message_url", "url_policy"]

PAGE_SIZE = 25
WEBHOOKS = web.AppKey("webhooks", WebhooksConfig)
"""The ``[webhooks]`` settings (the defaults when absent)."""

_INVALID = ErrorCode.INVALID_PARAMETER
_MISSING = ErrorCode.MISSING_PARAMETER
_TYPES = ", ".join(EVENT_TYPES)
_DEFAULTS = WebhooksConfig()


def url_policy(request: web.Request) -> UrlPolicy:
    """The address rules the configuration asks for."""
    config = request.app.get(WEBHOOKS, _DEFAULTS)
    return UrlPolicy(allow_link_local=config.allow_link_local)


def message_url(request: web.Request, form: dict[str, object], name: str) -> str | None:
    """The checked URL in field ``name``; ``None`` when absent or empty (error 2 if bad)."""
    value = form.get(name)
    if not php_bool(value):
        return None
    try:
        return check_url(value, url_policy(request))
    except UrlRefusedError as exc:
        raise ApiError(_INVALID, f"{name} : {exc}.") from exc


async def create_webhook(request: web.Request) -> web.Response:
    """Create a webhook; the answer carries its signing secret, shown this once."""
    form = (await read_params(request)).form
    url, type_ = form.get("url"), form.get("type")
    if not php_bool(url):
        raise ApiError(_MISSING, " You must specify webhook url.")
    if not php_bool(type_):
        raise ApiError(_MISSING, " You must specify webhook type.")
    if not isinstance(type_, str) or type_ not in EVENT_TYPES:
        raise ApiError(_INVALID, f" type must be one of : {_TYPES}.")
    try:
        checked = check_url(url, url_policy(request))
    except UrlRefusedError as exc:
        raise ApiError(_INVALID, f" url : {exc}.") from exc
    secret = secrets.token_hex(32)
    new_id = await store.create_webhook(
        request.app[DB], id_user=user_of(request).id, url=checked, type_=type_, secret=secret
    )
    return success(request, {"id": new_id, "secret": secret})


async def _list(request: web.Request, page: int) -> web.Response:
    if page < 0:
        raise ApiError(_INVALID, "page must be a positive integer.")
    user = user_of(request)
    found = await store.list_webhooks(request.app[DB], id_user=user.id, page=page, limit=PAGE_SIZE)
    rows = [asdict(row) for row in found]
    stem, key = f"{base_url(request)}/api/webhook/page", quote(user.api_key, safe="")
    next_url = f"{stem}/{page + 1}/?api_key={key}" if len(rows) >= PAGE_SIZE else None
    prev_url = f"{stem}/{page - 1}/?api_key={key}" if page > 0 else None
    return success(request, rows, next_url=next_url, prev_url=prev_url)


async def list_webhooks(request: web.Request) -> web.Response:
    """The user's first 25 webhooks."""
    return await _list(request, 0)


async def list_webhooks_page(request: web.Request) -> web.Response:
    """Page ``page`` (from 0) of the user's webhooks, 25 per page."""
    return await _list(request, php_int(request.match_info["page"]))


async def delete_webhook(request: web.Request) -> web.Response:
    """Delete a webhook and its undelivered events."""
    id_webhook = php_int(request.match_info["id"])
    done = await store.delete_webhook(
        request.app[DB], id_user=user_of(request).id, id_webhook=id_webhook
    )
    if not done:
        raise ApiError(ErrorCode.CANNOT_DELETE)
    return no_content()


ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/webhook",
        create_webhook,
        "Create a webhook (the answer holds its secret, shown once)",
        (
            Param("url", "form", required=True, description="http:// or https:// URL"),
            Param("type", "form", required=True, description=f"one of: {_TYPES}"),
        ),
        tag="webhooks",
        success_status=201,
    ),
    Route(
        "GET", "/api/webhook", list_webhooks, "List the user's webhooks (page 0)", tag="webhooks"
    ),
    Route(
        "GET",
        "/api/webhook/page/{page}",
        list_webhooks_page,
        "List the user's webhooks, 25 per page",
        (Param("page", "path", "integer", required=True, description="from 0"),),
        tag="webhooks",
    ),
    Route(
        "DELETE",
        "/api/webhook/{id}",
        delete_webhook,
        "Delete a webhook and its undelivered events",
        (Param("id", "path", "integer", required=True),),
        tag="webhooks",
        success_status=204,
    ),
)
