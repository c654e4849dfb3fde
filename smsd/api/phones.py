r"""Phone management: ``/api/phone/`` create, update, delete, re-check and force (§4.6-§4.10).

Fields, checks and messages are RaspiSMS's; the adapters smsd knows and their fields are in
:mod:`smsd.api.adapters`. A phone created, updated, deleted or forced through these routes is
handed to the daemon (:class:`~smsd.api.state.PhoneControl`), which starts, restarts or stops
its modem before the answer is sent.

Intentional differences from RaspiSMS:

- ``DELETE /api/phone/{id}/`` works (RaspiSMS's router shadows it with the update route);
- an update that changes nothing succeeds (RaspiSMS answers error 128 when nothing changed and
  no limits were given, so re-saving a phone "fails" there);
- ``status/force`` answers the full envelope (RaspiSMS sends partial bodies);
- ``status`` re-check reports the modem's live status as the daemon sees it (``available``,
  ``unavailable`` …) instead of a constant ``available``; without a daemon the stored status
  is kept;
- the adapter check that RaspiSMS runs before saving (``test()``) has no counterpart: a modem
  may be plugged in later, and its status then tells whether it answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from smsd.api.adapters import check_adapter
from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.forms import as_list, php_bool, php_int
from smsd.api.params import read_params
from smsd.api.replies import no_content, success
from smsd.api.state import CLOCK, DB, PHONES, user_of
from smsd.store import accounts, admin, reports
from smsd.store.errors import NotFoundError
from smsd.windows import StartpointError, validate_startpoint, window_start

if TYPE_CHECKING:
    from aiohttp import web

    from smsd.store.rows import PhoneRow

__all__ = [
    "MAX_NAME",
    "check_phone_status",
    "clean_limits",
    "create_phone",
    "delete_phone",
    "force_phone_status",
    "update_phone",
]

MAX_NAME = 255
_INVALID = ErrorCode.INVALID_PARAMETER
_MISSING = ErrorCode.MISSING_PARAMETER
_UPDATE = ErrorCode.CANNOT_UPDATE
_NAME_USED = " This name is already used for another phone."
_FORCED = frozenset({"available", "disabled"})


def clean_limits(value: object) -> tuple[tuple[int, str], ...]:
    """RaspiSMS's silent cleaning of ``limits``: bad entries dropped, volumes raised to 1."""
    cleaned: list[tuple[int, str]] = []
    for item in as_list(value):
        if not isinstance(item, dict):
            continue
        volume, startpoint = item.get("volume"), item.get("startpoint")
        if volume is None or not isinstance(startpoint, str):
            continue
        try:
            validate_startpoint(startpoint)
        except StartpointError:
            continue
        cleaned.append((max(1, php_int(volume)), startpoint))
    return tuple(cleaned)


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise ApiError(_INVALID, " name must be a string.")
    if len(value) > MAX_NAME:
        raise ApiError(_INVALID, f" name must be at most {MAX_NAME} characters.")
    return value


async def _own_phone(request: web.Request, id_phone: int) -> PhoneRow | None:
    found = await accounts.phones(request.app[DB], user_of(request).id)
    return next((phone for phone in found if phone.id == id_phone), None)


async def _apply(request: web.Request, id_phone: int) -> None:
    control = request.app.get(PHONES)
    if control is not None:
        await control.apply(id_phone)


async def create_phone(request: web.Request) -> web.Response:
    """Create a phone and start its modem."""
    user = user_of(request)
    form = (await read_params(request)).form
    if not php_bool(form.get("name")):
        raise ApiError(_MISSING, " You must specify phone name.")
    if not php_bool(form.get("adapter")):
        raise ApiError(_MISSING, " You must specify adapter name.")
    name = _name(form.get("name"))
    db = request.app[DB]
    if any(phone.name == name for phone in await accounts.phones(db, user.id)):
        raise ApiError(_INVALID, _NAME_USED)
    adapter, adapter_data = await check_adapter(form.get("adapter"), form.get("adapter_data"))
    fields = admin.PhoneFields(
        name=name,
        adapter=adapter,
        adapter_data=adapter_data,
        priority=max(0, php_int(form.get("priority"))),
        limits=clean_limits(form.get("limits")),
    )
    try:
        id_phone = await admin.create_phone(db, id_user=user.id, fields=fields)
    except admin.NameTakenError as exc:  # created meanwhile by another request
        raise ApiError(_INVALID, _NAME_USED) from exc
    await _apply(request, id_phone)
    return success(request, id_phone)


async def update_phone(request: web.Request) -> web.Response:
    """Change a phone's fields (absent ones are kept) and restart its modem."""
    user = user_of(request)
    form = (await read_params(request)).form
    id_phone = php_int(request.match_info["id"])
    phone = await _own_phone(request, id_phone)
    if phone is None:
        raise ApiError(_UPDATE, " No phone with this id.")
    name = _name(form["name"]) if php_bool(form.get("name")) else None
    adapter = adapter_data = None
    if php_bool(form.get("adapter")) or "adapter_data" in form:
        adapter, adapter_data = await check_adapter(
            form.get("adapter") if php_bool(form.get("adapter")) else phone.adapter,
            form.get("adapter_data"),
        )
    priority = form.get("priority")
    fields = admin.PhoneFields(
        name=name,
        adapter=adapter,
        adapter_data=adapter_data,
        priority=None if priority is None else max(0, php_int(priority)),
        limits=clean_limits(form["limits"]) if "limits" in form else None,
    )
    try:
        await admin.update_phone(request.app[DB], id_user=user.id, id_phone=id_phone, fields=fields)
    except admin.NameTakenError as exc:
        raise ApiError(_INVALID, _NAME_USED) from exc
    except NotFoundError as exc:  # deleted meanwhile
        raise ApiError(_UPDATE, " No phone with this id.") from exc
    await _apply(request, id_phone)
    return success(request, True)  # noqa: FBT003 - the response value RaspiSMS sends


async def delete_phone(request: web.Request) -> web.Response:
    """Delete a phone and stop its modem."""
    user = user_of(request)
    id_phone = php_int(request.match_info["id"])
    if not await admin.delete_phone(request.app[DB], id_user=user.id, id_phone=id_phone):
        raise ApiError(ErrorCode.CANNOT_DELETE)
    await _apply(request, id_phone)
    return no_content()


async def _limit_reached(request: web.Request, phone: PhoneRow) -> bool:
    db = request.app[DB]
    settings = await accounts.settings(db, phone.id_user)
    if not phone.limits or not php_bool(settings.get("phone_limit", "0")):
        return False
    now = datetime.fromtimestamp(request.app[CLOCK]())  # noqa: DTZ006 - limits count in local wall time
    for volume, startpoint in phone.limits:
        try:
            since = window_start(startpoint, now).strftime("%Y-%m-%d %H:%M:%S")
        except StartpointError:
            continue
        if await reports.sent_volume(db, id_phone=phone.id, since_wall=since) >= volume:
            return True
    return False


async def check_phone_status(request: web.Request) -> web.Response:
    """Re-check a phone now and store the status found (``limit_reached``, live status …)."""
    id_phone = php_int(request.match_info["id"])
    phone = await _own_phone(request, id_phone)
    if phone is None:
        raise ApiError(_UPDATE)
    if phone.status == "disabled":
        raise ApiError(
            _UPDATE, "Phone have been manually disabled, you need to re-enable it manually."
        )
    control = request.app.get(PHONES)
    live = None if control is None else control.status(id_phone)
    if await _limit_reached(request, phone):
        status = "limit_reached"
    elif live is not None:
        status = live
    elif control is not None:
        status = "unavailable"  # the daemon runs no modem for this phone
    else:
        status = "available" if phone.status == "limit_reached" else phone.status
    try:
        await accounts.set_phone_status(request.app[DB], id_phone, status)
    except NotFoundError as exc:
        raise ApiError(_UPDATE) from exc
    return success(request, status)


async def force_phone_status(request: web.Request) -> web.Response:
    """Enable (``available``) or disable (``disabled``) a phone by hand."""
    form = (await read_params(request)).form
    status = form.get("status")
    if not isinstance(status, str) or status not in _FORCED:
        raise ApiError(_INVALID, ' "status" must be "disabled" or "available".')
    id_phone = php_int(request.match_info["id"])
    if await _own_phone(request, id_phone) is None:
        raise ApiError(_UPDATE)
    try:
        await accounts.set_phone_status(request.app[DB], id_phone, status)
    except NotFoundError as exc:
        raise ApiError(_UPDATE) from exc
    await _apply(request, id_phone)
    return success(request, status)
