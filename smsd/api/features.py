"""Quotas, billing and the SMS STOP list over the API (our extensions, RaspiSMS's envelope).

- ``GET /api/quota/``: the caller's quota (``unlimited`` when there is none) with ``[billing]``'s
  ``currency`` and ``segment_price``;
- ``GET``/``POST``/``DELETE /api/user/{id}/quota/`` (administrators only, error 1 otherwise):
  read, set (``credit`` required; ``additional``, ``renewal`` = daily|weekly|monthly|yearly,
  ``start`` "Y-m-d H:i:s", ``auto_renew``, ``report_unused``, ``report_unused_additional``,
  ``reset``) or remove (unlimited again) a user's quota;
- ``GET /api/smsstop/`` (``after`` id for the next page), ``POST /api/smsstop/`` (``number``),
  ``DELETE /api/smsstop/{id}/``: the caller's STOP list;
- ``GET /api/setting/`` and ``POST /api/setting/{name}/`` (``value``): the caller's settings the
  core features read: ``commercial`` (0/1: messages commercial by default), ``quiet_hours``
  (``0`` never held, ``1`` the configured rule, ``HH:MM-HH:MM`` another window), ``smsstop`` and
  ``smsstop_respond`` (0/1, RaspiSMS's). Changing ``quiet_hours`` has held messages judged again.

Quotas are RaspiSMS's model: ``credit`` per period plus ``additional``, 1 credit = up to 160
GSM characters or 70 others; a message claimed without enough credit fails with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.forms import php_bool, php_int
from smsd.api.manage import SETTINGS
from smsd.api.params import read_params
from smsd.api.replies import no_content, success
from smsd.api.routing import base_url
from smsd.api.state import CLOCK, DB, REGION, WAKE, user_of
from smsd.phone import to_e164
from smsd.rules.quiet import parse_window
from smsd.store import accounts, deferral, quota, smsstop
from smsd.store.billing import billing
from smsd.store.errors import InvalidValueError, NotFoundError

if TYPE_CHECKING:
    from aiohttp import web

__all__ = [
    "SETTINGS",
    "add_stop",
    "delete_stop",
    "delete_user_quota",
    "get_own_quota",
    "get_settings",
    "get_user_quota",
    "list_stops",
    "set_setting",
    "set_user_quota",
]

_INVALID = ErrorCode.INVALID_PARAMETER
_MISSING = ErrorCode.MISSING_PARAMETER
PAGE = 25


async def _view(request: web.Request, id_user: int) -> dict[str, object]:
    db = request.app[DB]
    found = await quota.get_quota(db, id_user, now=request.app[CLOCK]())
    money = await billing(db)
    view: dict[str, object] = {"id_user": id_user, "unlimited": found is None}
    if found is not None:
        view.update(found.as_dict())
    view.update(currency=money.currency, segment_price=str(money.segment_price))
    return view


async def get_own_quota(request: web.Request) -> web.Response:
    """The caller's quota and what a segment costs."""
    return success(request, await _view(request, user_of(request).id))


def _admin_target(request: web.Request) -> int:
    if not user_of(request).admin:
        raise ApiError(ErrorCode.INVALID_CREDENTIALS, " only an administrator manages quotas.")
    return php_int(request.match_info["id"])


async def get_user_quota(request: web.Request) -> web.Response:
    """A user's quota (administrators)."""
    id_user = _admin_target(request)
    if not await accounts.user_exists(request.app[DB], id_user):
        raise ApiError(_INVALID, f" no user {id_user}.")
    return success(request, await _view(request, id_user))


def _count(form: dict[str, object], name: str) -> int | None:
    value = form.get(name)
    if value is None or value == "":
        return None
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.isdigit():
        number = int(value)
    if number is None or number < 0 or number > 10**12:
        raise ApiError(_INVALID, f" {name} must be a whole number >= 0.")
    return number


def _flag(form: dict[str, object], name: str) -> bool | None:
    return None if name not in form else php_bool(form[name])


def _text(form: dict[str, object], name: str) -> str | None:
    value = form.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApiError(_INVALID, f" {name} must be a string.")
    return value


async def set_user_quota(request: web.Request) -> web.Response:
    """Create or change a user's quota (administrators)."""
    id_user = _admin_target(request)
    form = (await read_params(request)).form
    credit = _count(form, "credit")
    if credit is None:
        raise ApiError(_MISSING, " You must specify credit.")
    try:
        await quota.set_quota(
            request.app[DB],
            id_user=id_user,
            credit=credit,
            now=request.app[CLOCK](),
            additional=_count(form, "additional"),
            renewal=_text(form, "renewal"),
            start=_text(form, "start"),
            auto_renew=_flag(form, "auto_renew"),
            report_unused=_flag(form, "report_unused"),
            report_unused_additional=_flag(form, "report_unused_additional"),
            reset=bool(_flag(form, "reset")),
        )
    except NotFoundError as exc:
        raise ApiError(_INVALID, f" no user {id_user}.") from exc
    except InvalidValueError as exc:
        raise ApiError(_INVALID, f" {exc}.") from exc
    return success(request, await _view(request, id_user))


async def delete_user_quota(request: web.Request) -> web.Response:
    """Remove a user's quota: unlimited again (administrators)."""
    id_user = _admin_target(request)
    if not await quota.delete_quota(request.app[DB], id_user):
        raise ApiError(ErrorCode.CANNOT_DELETE)
    return no_content()


async def list_stops(request: web.Request) -> web.Response:
    """The caller's STOP list, 25 at a time after the id ``after``."""
    user = user_of(request)
    after = php_int(request.query.get("after", "0"))
    if after < 0:
        raise ApiError(_INVALID, " after must be a positive integer.")
    found = await smsstop.list_stops(request.app[DB], id_user=user.id, after=after, limit=PAGE)
    rows = [entry.as_dict() for entry in found]
    next_url = None
    if len(rows) >= PAGE:
        key = quote(user.api_key, safe="")
        next_url = f"{base_url(request)}/api/smsstop/?after={found[-1].id}&api_key={key}"
    return success(request, rows, next_url=next_url)


async def add_stop(request: web.Request) -> web.Response:
    """Put a number on the caller's STOP list (its messages to it are no longer sent)."""
    form = (await read_params(request)).form
    raw = form.get("number")
    if not php_bool(raw):
        raise ApiError(_MISSING, " You must specify number.")
    number = to_e164(raw, request.app.get(REGION))
    if number is None:
        raise ApiError(_INVALID, " number must be a valid phone number.")
    db = request.app[DB]
    user = user_of(request)
    await smsstop.add_stop(db, id_user=user.id, number=number)
    found = await smsstop.stop_id(db, id_user=user.id, number=number)
    return success(request, {"id": found or 0, "number": number})


async def delete_stop(request: web.Request) -> web.Response:
    """Take an entry off the caller's STOP list (by its id)."""
    id_entry = php_int(request.match_info["id"])
    done = await smsstop.remove_entry(
        request.app[DB], id_user=user_of(request).id, id_entry=id_entry
    )
    if not done:
        raise ApiError(ErrorCode.CANNOT_DELETE)
    return no_content()


async def get_settings(request: web.Request) -> web.Response:
    """The caller's feature settings (defaults filled in)."""
    stored = await accounts.settings(request.app[DB], user_of(request).id)
    values = {name: stored.get(name, default) for name, default in SETTINGS.items()}
    return success(request, values)


def _setting_value(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ApiError(_MISSING, " You must specify value.")
    text = value.strip()
    if name == "quiet_hours" and text not in {"0", "1", ""}:
        try:
            parse_window(text)
        except ValueError as exc:
            raise ApiError(_INVALID, ' value must be 0, 1 or "HH:MM-HH:MM".') from exc
        return text
    if text not in {"0", "1"} and name != "quiet_hours":
        raise ApiError(_INVALID, " value must be 0 or 1.")
    return text


async def set_setting(request: web.Request) -> web.Response:
    """Change one of the caller's feature settings."""
    name = request.match_info["name"]
    if name not in SETTINGS:
        raise ApiError(_INVALID, f" name must be one of : {', '.join(SETTINGS)}.")
    form = (await read_params(request)).form
    value = _setting_value(name, form.get("value"))
    db = request.app[DB]
    user = user_of(request)
    await accounts.set_setting(db, id_user=user.id, name=name, value=value)
    if name in {"quiet_hours", "commercial"}:
        await deferral.release_all(db, id_user=user.id)
        request.app[WAKE]()
    return success(request, {name: value})
