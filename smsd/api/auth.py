"""API-key authentication, RaspiSMS's way.

The key is looked up in the query string (``api_key``), then in the form (``api_key``), then in
the ``X-Api-Key`` header, and the first source where it is PRESENT wins: a wrong key in the query
fails even when the header holds the right one, and a present but empty ``api_key=`` means "no
key" (later sources are not consulted). No key or an unknown key is HTTP 401 with error 1; a
suspended user is HTTP 403 with error 16, whatever the verb. RaspiSMS's session-cookie login has
no counterpart here (smsd has no web interface).

Authentication runs after routing, so an unknown path or a wrong verb is answered without a key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.params import read_params
from smsd.api.state import DB, USER
from smsd.store import accounts

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import web

    from smsd.store.rows import UserRow

__all__ = ["HEADER", "PARAMETER", "AuthError", "authenticate", "find_key", "requires_key"]

PARAMETER = "api_key"
HEADER = "X-Api-Key"


class AuthError(ApiError):
    """A refused key (401) or a suspended user (403): statuses that do not follow the verb."""

    def __init__(self, code: ErrorCode, http_status: int) -> None:
        super().__init__(code)
        self.http_status = http_status


def find_key(query: dict[str, object], form: dict[str, object], header: str | None) -> object:
    """The key from the first source where it is present (``None``: none present)."""
    if PARAMETER in query:
        return query[PARAMETER]
    if PARAMETER in form:
        return form[PARAMETER]
    return header


async def authenticate(request: web.Request) -> UserRow:
    """The request's user; :class:`AuthError` when the key is missing, unknown or suspended."""
    params = await read_params(request)
    key = find_key(params.query, params.form, request.headers.get(HEADER))
    if not isinstance(key, str) or not key:
        raise AuthError(ErrorCode.INVALID_CREDENTIALS, 401)
    user = await accounts.user_by_api_key(request.app[DB], key)
    if user is None:
        raise AuthError(ErrorCode.INVALID_CREDENTIALS, 401)
    if user.status == "suspended":
        raise AuthError(ErrorCode.SUSPENDED_USER, 403)
    return user


def requires_key(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap ``handler`` so that it runs only for an authenticated, active user."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        request[USER] = await authenticate(request)
        return await handler(request)

    guarded.__name__ = getattr(handler, "__name__", "handler")
    guarded.__doc__ = handler.__doc__
    return guarded
