"""How every SMSPartner call starts: its parameters read, its key checked, its refusals answered.

SMSPartner takes its parameters from the query string (GET) or the body (POST: JSON as its
examples send, or a form); both are read and the body wins. ``apiKey`` is the user's API key:
absent is code 1 ("La Clé API est requise"), unknown code 10 ("Clé API incorrecte"), a suspended
user code 20 ("Compte désactivé"). A body that does not parse is code 90 ("Le JSON est malformé:
erreur de syntaxe"). Guessing keys is limited per address like every other door
(:class:`smsd.api.auth.FailureLimiter`): a blocked address gets code 429 with HTTP 429.

:func:`partner_call` wraps a handler ``(request, call) -> document``: the document is answered
with HTTP 200, a :class:`~smsd.api.smspartner.replies.PartnerError` with its code, and a store
refusing to write (full or read-only disk) with code 500, SMSPartner's "Problème lors de l'ajout
du sms dans la file d'attente", naming the cause.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from smsd.api.auth import LIMITER, storage_refusal
from smsd.api.envelope import ApiError
from smsd.api.params import read_params
from smsd.api.smspartner.replies import FORMAT, PartnerError, answer, error_answer, wants_xml
from smsd.api.state import DB, KEYS, USER
from smsd.store import accounts
from smsd.store.errors import StoreError

if TYPE_CHECKING:
    from smsd.store.rows import UserRow

__all__ = ["Call", "partner_call"]

_log = structlog.get_logger("smsd.api.smspartner")
KEY = "apiKey"
TOO_MANY = 429
QUEUE_PROBLEM = 500


@dataclass(frozen=True)
class Call:
    """An authenticated SMSPartner call: its user and its parameters (body over query)."""

    user: UserRow
    values: dict[str, object]
    json_body: bool

    def get(self, name: str) -> object:
        """The parameter ``name`` (``None`` when absent)."""
        return self.values.get(name)


async def _values(request: web.Request) -> tuple[dict[str, object], bool]:
    try:
        params = await read_params(request)
    except ApiError as exc:
        request[FORMAT] = "xml" if wants_xml(request.rel_url.query.get("_format")) else "json"
        raise PartnerError(90, "Le JSON est malformé: erreur de syntaxe") from exc
    values = {**params.query, **params.form}
    request[FORMAT] = "xml" if wants_xml(values.get("_format")) else "json"
    return values, params.json_body


async def _user(request: web.Request, values: dict[str, object]) -> UserRow:
    limiter = request.app.get(LIMITER)
    client = request.remote or "unix"
    if limiter is not None:
        wait = limiter.retry_after(client)
        if wait > 0:
            raise PartnerError(
                TOO_MANY,
                f"Trop de requêtes : réessayez dans {math.ceil(wait)} secondes.",
                status=TOO_MANY,
            )
    key = values.get(KEY)
    if not isinstance(key, str) or not key:
        raise PartnerError(1, "La Clé API est requise")
    user = await accounts.user_by_api_key(request.app[DB], key)
    if user is None:
        _log.warning("api_auth_failed", client=client, path=request.path, reason="unknown key")
        if limiter is not None:
            limiter.fail(client)
        raise PartnerError(10, "Clé API incorrecte")
    if user.status == "suspended":
        raise PartnerError(20, "Compte désactivé")
    keys = request.app.get(KEYS)
    if keys is not None:
        keys.remember(user.id, key)
    return user


Body = Callable[[web.Request, Call], Awaitable[dict[str, object]]]


def partner_call(body: Body) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A route handler running ``body`` for an authenticated user (see the module docstring)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            values, json_body = await _values(request)
            user = await _user(request, values)
            request[USER] = user
            document = await body(request, Call(user, values, json_body))
        except PartnerError as exc:
            return error_answer(request, exc)
        except StoreError as exc:
            refusal = storage_refusal(exc)
            if refusal is None:
                raise
            _log.error("api_storage_refused", path=request.path, error=str(exc))
            problem = "Problème lors de l'ajout du sms dans la file d'attente." + refusal
            return error_answer(request, PartnerError(QUEUE_PROBLEM, problem))
        return answer(request, {"success": True, "code": 200, **document})

    handler.__name__ = body.__name__
    handler.__doc__ = body.__doc__
    return handler
