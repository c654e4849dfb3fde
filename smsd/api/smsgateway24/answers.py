"""SMSGateway24's answer shapes: ``{"error": 0, …}`` or ``{"error": 1, "message": …}``.

Every answer of the door is HTTP 200 with a JSON object whose ``error`` is 0 or 1, as the
provider answers. A failure's message starts with the parameter it is about
(``"sendto : +33 12 is not a valid phone number"``); :func:`guarded` turns every failure a
handler meets into that shape, including a store that refuses to write and an unexpected
exception (logged with an id the message repeats): never an HTTP 5xx.

The messages of this door, by cause:

============================  ==========================================================
cause                         message
============================  ==========================================================
missing parameter             ``<name> : missing parameter``
malformed value               ``<name> : <what is wrong>``
wrong e-mail or password      ``Login or password incorrect`` (the provider's words)
unknown or expired token      ``token : invalid or expired token, get one from gettoken``
suspended user                ``token : this user is suspended``
too many failed logins        ``token : too many failed attempts from this address, …``
unknown id                    ``sms_id : no such sms`` (and ``device_id``, ``ctag_id``, ``tags``)
bulk item                     ``smsdata[<i>].<name> : …`` for each refused item, ``; ``-joined
storage full or read-only     ``storage : …, nothing was stored``
anything else                 ``internal error, id <hex>: the server log has the details``
============================  ==========================================================
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from smsd.api.auth import storage_refusal
from smsd.store.errors import StoreError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["LOGIN_INCORRECT", "DoorError", "fail", "guarded", "missing", "ok"]

_log = structlog.get_logger("smsd.api.smsgateway24")

LOGIN_INCORRECT = "Login or password incorrect"


class DoorError(Exception):
    """A refused request: the message the client reads (it names the parameter)."""

    def __init__(self, message: str, *, parameter: str = "", **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        self.what = message
        self.extra = extra


def fail(name: str, what: str, **extra: object) -> DoorError:
    """The error about parameter ``name``."""
    error = DoorError(f"{name} : {what}", parameter=name, **extra)
    error.what = what
    return error


def missing(name: str) -> DoorError:
    """The error of a missing mandatory parameter."""
    return fail(name, "missing parameter")


def _reply(document: dict[str, object]) -> web.Response:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return web.Response(text=text, content_type="application/json", charset="utf-8")


def ok(message: str = "OK", **fields: object) -> web.Response:
    """A success: ``{"error": 0, "message": …, **fields}``."""
    return _reply({"error": 0, "message": message, **fields})


def _error(message: str, extra: dict[str, object] | None = None) -> web.Response:
    return _reply({"error": 1, "message": message, **(extra or {})})


def guarded(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap ``handler`` so that every failure is answered in the provider's error shape."""

    async def answer(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except DoorError as exc:
            return _error(exc.message, exc.extra)
        except StoreError as exc:
            refusal = storage_refusal(exc)
            if refusal is None:
                return _internal(request, exc)
            _log.error("api_storage_refused", path=request.path, error=str(exc))
            return _error(f"storage :{refusal.rstrip('.')}, nothing was stored.")
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except web.HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence: log it, answer
            return _internal(request, exc)

    answer.__name__ = getattr(handler, "__name__", "handler")
    answer.__doc__ = handler.__doc__
    return answer


def _internal(request: web.Request, exc: BaseException) -> web.Response:
    error_id = secrets.token_hex(8)
    _log.error(
        "api_internal_error",
        error_id=error_id,
        method=request.method,
        path=request.path,
        exc_info=exc,
    )
    return _error(f"internal error, id {error_id}: the server log has the details")
