"""API-key authentication, RaspiSMS's way.

The key is looked up in the query string (``api_key``), then in the form (``api_key``), then in
the ``X-Api-Key`` header, and the first source where it is PRESENT wins: a wrong key in the query
fails even when the header holds the right one, and a present but empty ``api_key=`` means "no
key" (later sources are not consulted). No key or an unknown key is HTTP 401 with error 1; a
suspended user is HTTP 403 with error 16, whatever the verb. RaspiSMS's session-cookie login has
no counterpart here (smsd has no web interface).

Authentication runs after routing, so an unknown path or a wrong verb is answered without a key.

Guessing keys is rate limited per client address when the application has a
:class:`FailureLimiter` (:func:`install_limiter`; ``[api] max_auth_failures`` per
``auth_failure_window`` seconds): once an address has presented that many unknown keys within
the window, every request from it that needs a key is answered HTTP 429 with error 1 (RaspiSMS's
"invalid API key" code, the message saying when to retry) until its oldest failure leaves the
window, even with a valid key, so a guess that happens to be right teaches nothing. Missing keys
and suspended users do not count: they guess nothing. Each refused key is logged (client
address, path, reason), never the key itself, and a blocked address is logged once per block.

Every authenticated handler runs inside :func:`requires_key`, which also names a refusal of the
storage: when a write fails because the database is full (disk or page limit) or read-only, the
answer keeps the route's error code (8 "cannot create" for a POST, 32, 128 …) and RaspiSMS's
verb-based status (400), and its message says that storage is full or read-only, so a client
knows its message was not accepted (never a 201 for something that was not stored).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.params import read_params
from smsd.api.state import CONFIG, DB, KEYS, SETTINGS, USER
from smsd.store import accounts
from smsd.store.errors import DatabaseFullError, DatabaseReadOnlyError, StoreError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from smsd.store.rows import UserRow

__all__ = [
    "HEADER",
    "LIMITER",
    "PARAMETER",
    "AuthError",
    "FailureLimiter",
    "authenticate",
    "authenticate_key",
    "find_key",
    "install_limiter",
    "requires_key",
    "storage_refusal",
]

_log = structlog.get_logger("smsd.api")

PARAMETER = "api_key"
HEADER = "X-Api-Key"


class AuthError(ApiError):
    """A refused key (401), suspended user (403) or blocked address (429): not verb-based."""

    def __init__(self, code: ErrorCode, http_status: int, detail: str = "") -> None:
        super().__init__(code, detail)
        self.http_status = http_status


class FailureLimiter:
    """Failed authentications per client address in a sliding window, in bounded memory.

    At most ``limit`` failures per ``window`` seconds are tolerated; the next attempt from that
    address is refused until the oldest failure is ``window`` seconds old. At most
    ``max_clients`` addresses are tracked (the least recently failing one is forgotten first),
    each with at most ``limit`` timestamps. ``clock`` is monotonic seconds (injectable).
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0 or max_clients < 1:
            raise ValueError("limit and max_clients must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._max_clients = max_clients
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._announced: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._failures)

    def _recent(self, client: str, now: float) -> deque[float] | None:
        failures = self._failures.get(client)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[client]
            self._announced.pop(client, None)
            return None
        return failures

    def retry_after(self, client: str) -> float:
        """Seconds ``client`` must wait before its next attempt (``0.0``: it may try now)."""
        now = self._clock()
        failures = self._recent(client, now)
        if failures is None or len(failures) < self.limit:
            return 0.0
        return max(failures[0] + self.window - now, 0.0)

    def first_refusal(self, client: str) -> bool:
        """``True`` the first time ``client`` is refused in its current block (log it once)."""
        failures = self._failures.get(client)
        if failures is None:
            return False
        started = failures[0]
        if self._announced.get(client) == started:
            return False
        self._announced[client] = started
        return True

    def fail(self, client: str) -> None:
        """Record one failed authentication of ``client``."""
        now = self._clock()
        failures = self._recent(client, now) or deque(maxlen=self.limit)
        failures.append(now)
        self._failures[client] = failures
        self._failures.move_to_end(client)
        while len(self._failures) > self._max_clients:
            forgotten, _ = self._failures.popitem(last=False)
            self._announced.pop(forgotten, None)


LIMITER = web.AppKey("auth_limiter", FailureLimiter)
"""The application's failure limiter (absent: no rate limiting)."""


def install_limiter(app: web.Application) -> None:
    """Give ``app`` a limiter from its ``[api]`` settings (none when ``max_auth_failures`` is 0).

    Call it before the application starts (its state is frozen then).
    """
    config = app[CONFIG]
    if config.max_auth_failures > 0:
        app[LIMITER] = FailureLimiter(config.max_auth_failures, config.auth_failure_window)


def _client(request: web.Request) -> str:
    """The client's address (a Unix socket's peers share one name)."""
    return request.remote or "unix"


def find_key(query: dict[str, object], form: dict[str, object], header: str | None) -> object:
    """The key from the first source where it is present (``None``: none present)."""
    if PARAMETER in query:
        return query[PARAMETER]
    if PARAMETER in form:
        return form[PARAMETER]
    return header


async def _request_key(request: web.Request, client: str) -> object:
    """The key RaspiSMS's order finds (query, form, header); ``None`` when there is none.

    A body that cannot be parsed holds no key we can read: the query and the header are looked
    at alone, and with no key there the answer is "invalid credentials", as for any request
    without one. With a key, the handler reports the body's error once the user is known.
    """
    header = request.headers.get(HEADER)
    try:
        params = await read_params(request)
    except ApiError:
        key = request.rel_url.query.get(PARAMETER, header)
        if key is None:
            _log.debug("api_auth_failed", client=client, path=request.path, reason="bad body")
        return key
    return find_key(params.query, params.form, header)


async def authenticate(request: web.Request) -> UserRow:
    """The request's user; :class:`AuthError` when the key is missing, unknown or suspended."""
    return await authenticate_key(request, lambda client: _request_key(request, client))


async def authenticate_key(
    request: web.Request, find: Callable[[str], Awaitable[object]]
) -> UserRow:
    """The user of the key ``find(client)`` gives (a door's own way of carrying it).

    The same checks and rate limiting as :func:`authenticate`: :class:`AuthError` when the key
    is missing, unknown or suspended, or the client address is blocked.
    """
    limiter = request.app.get(LIMITER)
    client = _client(request)
    if limiter is not None:
        wait = limiter.retry_after(client)
        if wait > 0:
            if limiter.first_refusal(client):
                _log.warning(
                    "api_auth_blocked", client=client, failures=limiter.limit, retry_after=wait
                )
            detail = (
                f" Too many failed authentications from this address: retry in "
                f"{math.ceil(wait)} seconds."
            )
            raise AuthError(ErrorCode.INVALID_CREDENTIALS, 429, detail)
    key = await find(client)
    if not isinstance(key, str) or not key:
        _log.debug("api_auth_failed", client=client, path=request.path, reason="missing key")
        raise AuthError(ErrorCode.INVALID_CREDENTIALS, 401)
    # The user's settings come in the same visit to the store: most handlers need them.
    found = await accounts.key_owner(request.app[DB], key)
    if found is None:
        _log.warning("api_auth_failed", client=client, path=request.path, reason="unknown key")
        if limiter is not None:
            limiter.fail(client)
        raise AuthError(ErrorCode.INVALID_CREDENTIALS, 401)
    user, request[SETTINGS] = found
    if user.status == "suspended":
        _log.info("api_auth_failed", client=client, path=request.path, reason="suspended user")
        raise AuthError(ErrorCode.SUSPENDED_USER, 403)
    keys = request.app.get(KEYS)
    if keys is not None:
        keys.remember(user.id, key)  # in memory, for RaspiSMS's webhook signature
    return user


STORAGE_FULL = " Storage is full: nothing more can be stored until disk space is freed."
STORAGE_READ_ONLY = " Storage is read-only: nothing can be stored (check the database file)."
_VERB_CODES = {
    "DELETE": ErrorCode.CANNOT_DELETE,
    "PUT": ErrorCode.CANNOT_UPDATE,
    "PATCH": ErrorCode.CANNOT_UPDATE,
}


def storage_refusal(exc: BaseException | None) -> str | None:
    """The message detail for a full or read-only store (``None`` for anything else)."""
    if isinstance(exc, DatabaseFullError):
        return STORAGE_FULL
    if isinstance(exc, DatabaseReadOnlyError):
        return STORAGE_READ_ONLY
    return None


def _refused_code(request: web.Request) -> ErrorCode:
    """The error code of a refused write: delete, update (a POST to an entry) or create."""
    if request.method == "POST" and "id" in request.match_info:
        return ErrorCode.CANNOT_UPDATE
    return _VERB_CODES.get(request.method, ErrorCode.CANNOT_CREATE)


def requires_key(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap ``handler`` so that it runs only for an authenticated, active user."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        request[USER] = await authenticate(request)
        try:
            return await handler(request)
        except ApiError as exc:
            refusal = storage_refusal(exc.__cause__)
            if refusal is None:
                raise
            _log.error("api_storage_refused", path=request.path, error=str(exc.__cause__))
            raise ApiError(exc.code, exc.detail + refusal) from exc.__cause__
        except StoreError as exc:
            refusal = storage_refusal(exc)
            if refusal is None:
                raise
            _log.error("api_storage_refused", path=request.path, error=str(exc))
            raise ApiError(_refused_code(request), refusal) from exc

    guarded.__name__ = getattr(handler, "__name__", "handler")
    guarded.__doc__ = handler.__doc__
    return guarded
