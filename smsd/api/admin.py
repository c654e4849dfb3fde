"""Administration over the API (our extension; RaspiSMS offers these in its web interface only).

Contacts, groups, conditional groups, phone groups and the read status of received messages
are created (``POST /api/<type>/``), updated (``POST /api/<type>/{id}/``, absent fields are
kept) and deleted (``DELETE /api/<type>/{id}/``) in RaspiSMS's envelope, with its codes and
verb-based statuses: a create answers 201 with the new id, an update 201 with ``true``, a
delete 204 with no body. Error 4 names a missing field, 2 a bad one, 128 an update of an entry
that is not the user's, 32 such a delete. Every route works on the key's user's rows only:
another user's id behaves as an id that does not exist.

A contact's ``number`` is stored in E.164 (national numbers pass when a default region is
configured); its ``data`` is JSON text (a JSON body may give the object itself). A conditional
group's ``condition`` must compile in RaspiSMS's condition language; a syntax error is error 2
with its position. Membership lists (``contacts[]``, ``phones[]``) keep the user's own ids and
replace the whole list on update.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.forms import as_list, php_bool, php_int
from smsd.api.params import read_params
from smsd.api.replies import no_content, success
from smsd.api.state import DB, REGION, user_of
from smsd.phone import to_e164
from smsd.store import accounts, admin
from smsd.store.errors import ConstraintError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import web

    from smsd.store.db import Database

__all__ = [
    "MAX_NAME",
    "create_conditional_group",
    "create_contact",
    "create_group",
    "create_phone_group",
    "delete_conditional_group",
    "delete_contact",
    "delete_group",
    "delete_phone_group",
    "set_received_status",
    "update_conditional_group",
    "update_contact",
    "update_group",
    "update_phone_group",
]

MAX_NAME = 255
_INVALID = ErrorCode.INVALID_PARAMETER
_MISSING = ErrorCode.MISSING_PARAMETER
_UPDATE = ErrorCode.CANNOT_UPDATE
_GROUP_NAME_USED = " This name is already used for another phone group."


def _text(form: dict[str, object], name: str, *, required: str | None) -> str | None:
    """A text field: ``None`` when absent (error 4 naming ``required`` if it is required)."""
    value = form.get(name)
    if not php_bool(value):
        if required is not None:
            raise ApiError(_MISSING, f" You must specify {required} {name}.")
        return None
    if not isinstance(value, str):
        raise ApiError(_INVALID, f" {name} must be a string.")
    if name == "name" and len(value) > MAX_NAME:
        raise ApiError(_INVALID, f" name must be at most {MAX_NAME} characters.")
    return value


def _ids(form: dict[str, object], name: str) -> tuple[int, ...] | None:
    if name not in form:
        return None
    return tuple(i for i in (php_int(item) for item in as_list(form[name])) if i > 0)


def _number(request: web.Request, value: str | None) -> str | None:
    if value is None:
        return None
    number = to_e164(value, request.app.get(REGION))
    if number is None:
        raise ApiError(_INVALID, " number : not a valid phone number (use the + form).")
    return number


def _data(form: dict[str, object]) -> str | None:
    value = form.get("data")
    if value is None:
        return None
    if isinstance(value, dict | list):  # a JSON body gave the structure itself
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if not isinstance(value, str):
        raise ApiError(_INVALID, " data : must be valid JSON text.")
    try:
        decoded = json.loads(value)
    except ValueError as exc:
        raise ApiError(_INVALID, " data : must be valid JSON text.") from exc
    if not isinstance(decoded, dict | list):
        raise ApiError(_INVALID, " data : must be a JSON object.")
    return value


def _condition(value: str | None) -> str | None:
    if value is None:
        return None
    # The expression evaluator is loaded by the first condition, not at start.
    from smsd.templating.expressions import ExpressionError, compile_condition  # noqa: PLC0415

    try:
        compile_condition(value)
    except ExpressionError as exc:
        raise ApiError(_INVALID, f" condition : {exc}.") from exc
    return value


def _id(request: web.Request) -> int:
    return php_int(request.match_info["id"])


async def _form(request: web.Request) -> dict[str, object]:
    return (await read_params(request)).form


def _updated(found: bool, what: str) -> None:  # noqa: FBT001 - the store's answer
    if not found:
        raise ApiError(_UPDATE, f" No {what} with this id.")


def _deleter(
    remove: Callable[[Database, int, int], Awaitable[bool]], doc: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        if not await remove(request.app[DB], user_of(request).id, _id(request)):
            raise ApiError(ErrorCode.CANNOT_DELETE)
        return no_content()

    handler.__doc__ = doc
    return handler


# ---------------------------------------------------------------------- contacts


async def create_contact(request: web.Request) -> web.Response:
    """Create a contact."""
    form = await _form(request)
    name = _text(form, "name", required="contact")
    number = _number(request, _text(form, "number", required="contact"))
    assert name is not None
    assert number is not None
    data = _data(form) or "[]"
    db = request.app[DB]
    new_id = await accounts.create_contact(
        db, id_user=user_of(request).id, name=name, number=number, data=data
    )
    return success(request, new_id)


async def update_contact(request: web.Request) -> web.Response:
    """Change a contact's name, number or data."""
    form = await _form(request)
    found = await admin.update_contact(
        request.app[DB],
        id_user=user_of(request).id,
        id_contact=_id(request),
        name=_text(form, "name", required=None),
        number=_number(request, _text(form, "number", required=None)),
        data=_data(form),
    )
    _updated(found, "contact")
    return success(request, True)  # noqa: FBT003 - the response value


async def _delete_contact(db: Database, id_user: int, id_row: int) -> bool:
    return await admin.delete_contact(db, id_user=id_user, id_contact=id_row)


delete_contact = _deleter(_delete_contact, "Delete a contact.")
delete_contact.__name__ = "delete_contact"


# ---------------------------------------------------------------------- groups


async def create_group(request: web.Request) -> web.Response:
    """Create a group of contacts."""
    form = await _form(request)
    name = _text(form, "name", required="group")
    assert name is not None
    new_id = await accounts.create_group(
        request.app[DB],
        id_user=user_of(request).id,
        name=name,
        contacts=_ids(form, "contacts") or (),
    )
    return success(request, new_id)


async def update_group(request: web.Request) -> web.Response:
    """Rename a group or replace its contacts."""
    form = await _form(request)
    found = await admin.update_group(
        request.app[DB],
        id_user=user_of(request).id,
        id_group=_id(request),
        name=_text(form, "name", required=None),
        contacts=_ids(form, "contacts"),
    )
    _updated(found, "group")
    return success(request, True)  # noqa: FBT003 - the response value


async def _delete_group(db: Database, id_user: int, id_row: int) -> bool:
    return await admin.delete_group(db, id_user=id_user, id_group=id_row)


delete_group = _deleter(_delete_group, "Delete a group (its contacts stay).")
delete_group.__name__ = "delete_group"


# ---------------------------------------------------------------------- conditional groups


async def create_conditional_group(request: web.Request) -> web.Response:
    """Create a conditional group."""
    form = await _form(request)
    name = _text(form, "name", required="conditional group")
    condition = _condition(_text(form, "condition", required="conditional group"))
    assert name is not None
    assert condition is not None
    new_id = await accounts.create_conditional_group(
        request.app[DB], id_user=user_of(request).id, name=name, condition=condition
    )
    return success(request, new_id)


async def update_conditional_group(request: web.Request) -> web.Response:
    """Rename a conditional group or change its condition."""
    form = await _form(request)
    found = await admin.update_conditional_group(
        request.app[DB],
        id_user=user_of(request).id,
        id_group=_id(request),
        name=_text(form, "name", required=None),
        condition=_condition(_text(form, "condition", required=None)),
    )
    _updated(found, "conditional group")
    return success(request, True)  # noqa: FBT003 - the response value


async def _delete_conditional_group(db: Database, id_user: int, id_row: int) -> bool:
    return await admin.delete_conditional_group(db, id_user=id_user, id_group=id_row)


delete_conditional_group = _deleter(_delete_conditional_group, "Delete a conditional group.")
delete_conditional_group.__name__ = "delete_conditional_group"


# ---------------------------------------------------------------------- phone groups


async def create_phone_group(request: web.Request) -> web.Response:
    """Create a phone group."""
    form = await _form(request)
    name = _text(form, "name", required="phone group")
    assert name is not None
    try:
        new_id = await accounts.create_phone_group(
            request.app[DB],
            id_user=user_of(request).id,
            name=name,
            phones=_ids(form, "phones") or (),
        )
    except ConstraintError as exc:  # UNIQUE (id_user, name)
        raise ApiError(_INVALID, _GROUP_NAME_USED) from exc
    return success(request, new_id)


async def update_phone_group(request: web.Request) -> web.Response:
    """Rename a phone group or replace its phones."""
    form = await _form(request)
    try:
        found = await admin.update_phone_group(
            request.app[DB],
            id_user=user_of(request).id,
            id_group=_id(request),
            name=_text(form, "name", required=None),
            phones=_ids(form, "phones"),
        )
    except admin.NameTakenError as exc:
        raise ApiError(_INVALID, _GROUP_NAME_USED) from exc
    _updated(found, "phone group")
    return success(request, True)  # noqa: FBT003 - the response value


async def _delete_phone_group(db: Database, id_user: int, id_row: int) -> bool:
    return await admin.delete_phone_group(db, id_user=id_user, id_group=id_row)


delete_phone_group = _deleter(_delete_phone_group, "Delete a phone group (its phones stay).")
delete_phone_group.__name__ = "delete_phone_group"


# ---------------------------------------------------------------------- received


async def set_received_status(request: web.Request) -> web.Response:
    """Mark a received message read or unread."""
    status = (await _form(request)).get("status")
    if not isinstance(status, str) or status not in {"read", "unread"}:
        raise ApiError(_INVALID, ' "status" must be "read" or "unread".')
    found = await admin.set_received_status(
        request.app[DB], id_user=user_of(request).id, id_received=_id(request), status=status
    )
    _updated(found, "received message")
    return success(request, status)
