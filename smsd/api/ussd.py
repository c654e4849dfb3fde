"""USSD over the API (smsd's extension, in RaspiSMS's envelope).

- ``POST /api/ussd/`` with ``id_phone`` and ``code`` (``*100#``) sends the code through that
  phone and waits up to ``wait`` seconds (default 20, at most 120) for the network's answer:
  the session comes back with ``status`` ``done``, ``waiting_reply`` (a menu: reply to it),
  ``not_supported``, ``timeout`` or ``failed``, or still ``pending`` (poll it by its ``id``).
- ``GET /api/ussd/{id}/`` polls a session (with every exchange in ``steps``).
- ``POST /api/ussd/{id}/`` with ``reply`` answers a menu; same waiting rule.
- ``DELETE /api/ussd/{id}/`` cancels an open session (``AT+CUSD=2``): 204.
- ``GET /api/list/ussd/`` lists the user's sessions (:mod:`smsd.api.listing`).

Errors: 4 for a missing field, 2 for a bad one (or an unknown session on GET), 8 when the
session cannot be opened or continued (phone not running, a session already open on the phone,
no session waiting for a reply), 32 when there is nothing to cancel. The daemon gives the core's
USSD service under :data:`USSD`; without it (an API with no modems) every call is error 8/32.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.params import read_params
from smsd.api.replies import no_content, success
from smsd.api.routing import Param, Route
from smsd.api.state import user_of
from smsd.errors import UssdRequestError
from smsd.phpvalues import php_bool, php_int

if TYPE_CHECKING:
    from smsd.store.ussd import UssdRow

__all__ = ["DEFAULT_WAIT", "MAX_WAIT", "ROUTES", "USSD", "UssdDoor", "render"]

DEFAULT_WAIT = 20.0
"""Seconds a request waits for the network's answer when ``wait`` is not given."""
MAX_WAIT = 120.0


class UssdDoor(Protocol):
    """What the API asks of the core's USSD service (:class:`smsd.runtime.ussd.UssdService`)."""

    async def start(
        self, *, id_user: int, id_phone: int, code: str, wait: float, origin: str = "api"
    ) -> UssdRow:
        """Open a session and send ``code``; the session after at most ``wait`` seconds."""

    async def reply(self, *, id_user: int, id_ussd: int, text: str, wait: float) -> UssdRow:
        """Answer a menu; the session after at most ``wait`` seconds."""

    async def cancel(self, *, id_user: int, id_ussd: int) -> UssdRow:
        """End an open session."""

    async def get(self, *, id_user: int, id_ussd: int) -> UssdRow | None:
        """A session of ``id_user``, or ``None``."""


USSD = web.AppKey[UssdDoor]("ussd")
"""Present only when a daemon runs the modems."""

_INVALID = ErrorCode.INVALID_PARAMETER
_MISSING = ErrorCode.MISSING_PARAMETER


def render(row: UssdRow) -> dict[str, object]:
    """A session as the API shows it: its columns, ``waiting_reply`` and its ``steps``."""
    found = asdict(row)
    found["waiting_reply"] = row.status == "waiting_reply"
    return found


def _door(request: web.Request, code: ErrorCode) -> UssdDoor:
    door = request.app.get(USSD)
    if door is None:
        raise ApiError(code, " This smsd runs no modems.")
    return door


def _refused(exc: UssdRequestError, field: str) -> ApiError:
    if exc.invalid:
        return ApiError(_INVALID, f"{field} : {exc}.")
    return ApiError(ErrorCode.CANNOT_CREATE, f" {exc}.")


def _wait(form: dict[str, object]) -> float:
    value = form.get("wait")
    if value is None or value == "":
        return DEFAULT_WAIT
    try:
        seconds = float(str(value))
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_WAIT:
        raise ApiError(_INVALID, f"wait : a number of seconds from 0 to {MAX_WAIT:g}.")
    return seconds


def _text(form: dict[str, object], name: str) -> str:
    value = form.get(name)
    if not php_bool(value):
        raise ApiError(_MISSING, f" You must specify {name}.")
    if not isinstance(value, str):
        raise ApiError(_INVALID, f"{name} : must be a string.")
    return value


async def create_ussd(request: web.Request) -> web.Response:
    """Send a USSD code through a phone; the session, answered or still pending."""
    form = (await read_params(request)).form
    if not php_bool(form.get("id_phone")):
        raise ApiError(_MISSING, " You must specify id_phone.")
    id_phone = php_int(form.get("id_phone"))
    code = _text(form, "code")
    wait = _wait(form)
    door = _door(request, ErrorCode.CANNOT_CREATE)
    try:
        row = await door.start(id_user=user_of(request).id, id_phone=id_phone, code=code, wait=wait)
    except UssdRequestError as exc:
        raise _refused(exc, "code") from exc
    return success(request, render(row))


async def get_ussd(request: web.Request) -> web.Response:
    """One session of the user, with its exchanges."""
    id_ussd = php_int(request.match_info["id"])
    door = _door(request, _INVALID)
    row = await door.get(id_user=user_of(request).id, id_ussd=id_ussd)
    if row is None:
        raise ApiError(_INVALID, f"id : no USSD session {id_ussd}.")
    return success(request, render(row))


async def reply_ussd(request: web.Request) -> web.Response:
    """Answer a menu of an open session."""
    form = (await read_params(request)).form
    text = _text(form, "reply")
    wait = _wait(form)
    id_ussd = php_int(request.match_info["id"])
    door = _door(request, ErrorCode.CANNOT_CREATE)
    try:
        row = await door.reply(id_user=user_of(request).id, id_ussd=id_ussd, text=text, wait=wait)
    except UssdRequestError as exc:
        raise _refused(exc, "reply") from exc
    return success(request, render(row))


async def cancel_ussd(request: web.Request) -> web.Response:
    """Cancel an open session: 204 (as RaspiSMS's deletions), then GET shows it ``cancelled``."""
    id_ussd = php_int(request.match_info["id"])
    door = _door(request, ErrorCode.CANNOT_DELETE)
    try:
        await door.cancel(id_user=user_of(request).id, id_ussd=id_ussd)
    except UssdRequestError as exc:
        raise ApiError(ErrorCode.CANNOT_DELETE, f" {exc}.") from exc
    return no_content()


_ID = Param("id", "path", "integer", required=True, description="the session id")
_WAIT = Param(
    "wait", "form", "number",
    description=f"seconds to wait for the answer (default {DEFAULT_WAIT:g}, at most {MAX_WAIT:g})",
)  # fmt: skip
ROUTES = (
    Route(
        "POST",
        "/api/ussd",
        create_ussd,
        "Send a USSD code through a phone (smsd extension)",
        (
            Param("id_phone", "form", "integer", required=True),
            Param("code", "form", required=True, description='e.g. "*100#"'),
            _WAIT,
        ),
        tag="smsd",
        success_status=201,
        description="Waits up to `wait` seconds for the network's answer; a session still "
        "`pending` is polled with GET /api/ussd/{id}/. `waiting_reply` means a menu.",
    ),
    Route(
        "GET", "/api/ussd/{id}", get_ussd, "A USSD session and its exchanges", (_ID,), tag="smsd"
    ),
    Route(
        "POST",
        "/api/ussd/{id}",
        reply_ussd,
        "Reply to a USSD menu",
        (_ID, Param("reply", "form", required=True, description='e.g. "1"'), _WAIT),
        tag="smsd",
        success_status=201,
    ),
    Route(
        "DELETE",
        "/api/ussd/{id}",
        cancel_ussd,
        "Cancel a USSD session",
        (_ID,),
        tag="smsd",
        success_status=204,
    ),
)
