"""Who is asking: ``gettoken`` (e-mail and password → a session token) and the token check.

A token is either a login session's token (:mod:`smsd.store.sessions`, lasting ``[api]
session_lifetime``) or the user's API key, so a client configured with a key needs no login.
Passwords are set with ``smsd user passwd EMAIL`` and checked by
:func:`smsd.store.passwords.check_login`.

Failed logins and unknown tokens count against the client's address in the API's failure limiter
(``[api] max_auth_failures`` per ``auth_failure_window``), as unknown API keys do elsewhere; a
blocked address is refused before any password is checked.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import structlog

from smsd.api.auth import LIMITER
from smsd.api.smsgateway24.answers import LOGIN_INCORRECT, DoorError, fail, missing, ok
from smsd.api.smsgateway24.fields import read_values, text
from smsd.api.state import CLOCK, CONFIG, DB
from smsd.store import accounts, passwords, sessions

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aiohttp import web

    from smsd.store.rows import UserRow

__all__ = ["get_token", "login_user", "token_user"]

_log = structlog.get_logger("smsd.api.smsgateway24")


def _client(request: web.Request) -> str:
    return request.remote or "unix"


def _check_blocked(request: web.Request, name: str) -> None:
    limiter = request.app.get(LIMITER)
    if limiter is None:
        return
    wait = limiter.retry_after(_client(request))
    if wait > 0:
        if limiter.first_refusal(_client(request)):
            _log.warning("api_auth_blocked", client=_client(request), retry_after=wait)
        raise fail(
            name,
            f"too many failed attempts from this address, retry in {math.ceil(wait)} seconds",
        )


def _failed(request: web.Request, reason: str) -> None:
    _log.warning("api_auth_failed", client=_client(request), path=request.path, reason=reason)
    limiter = request.app.get(LIMITER)
    if limiter is not None:
        limiter.fail(_client(request))


def _active(user: UserRow, name: str) -> UserRow:
    if user.status == "suspended":
        raise fail(name, "this user is suspended")
    return user


async def login_user(request: web.Request, values: Mapping[str, object]) -> UserRow:
    """The user whose ``email`` and ``pass`` the request gives; the seed's error otherwise."""
    email = text(values, "email")
    password = text(values, "pass", limit=passwords.MAX_PASSWORD)
    assert email is not None
    assert password is not None
    _check_blocked(request, "email")
    user = await passwords.check_login(request.app[DB], email, password)
    if user is None:
        _failed(request, "wrong e-mail or password")
        raise DoorError(LOGIN_INCORRECT)
    return _active(user, "email")


async def token_user(request: web.Request, values: Mapping[str, object]) -> UserRow:
    """The user of the request's ``token`` (a session token or an API key)."""
    token = values.get("token")
    if token is None or token == "":
        raise missing("token")
    if not isinstance(token, str) or len(token) > 200:
        raise fail("token", "must be the text gettoken answered")
    _check_blocked(request, "token")
    db = request.app[DB]
    user = await sessions.user_by_session(db, token, now=request.app[CLOCK]())
    if user is None:
        user = await accounts.user_by_api_key(db, token)
    if user is None:
        _failed(request, "unknown token")
        raise fail("token", "invalid or expired token, get one from gettoken")
    return _active(user, "token")


async def get_token(request: web.Request) -> web.Response:
    """``gettoken``: ``email`` and ``pass`` → a session token."""
    values = await read_values(request)
    user = await login_user(request, values)
    token = await sessions.open_session(
        request.app[DB],
        user.id,
        now=request.app[CLOCK](),
        lifetime=request.app[CONFIG].session_lifetime,
    )
    return ok(token=token)
