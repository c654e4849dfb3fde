"""Scheduling messages: ``/api/scheduled/`` (POST, DELETE) and ``/api/send-sms/`` (§4.2-§4.5).

The checks of ``POST /api/scheduled/`` run in RaspiSMS's order with its messages (see
:func:`parse_campaign`); the scheduled message and its recipients are committed in one
transaction before the answer, then the dispatcher is woken.

Extensions and intentional differences:

- ``priority`` (an integer, higher first) orders messages in the queue; a JSON body is accepted
  (JSON ``false`` is false, unlike the form string ``"false"``), ``numbers[i][data]`` may then
  be an object, and ``numbers_csv`` may be the CSV text itself;
- national numbers pass when a default region is configured;
- ``mms`` true (with the ``mms`` setting on) is refused with error 2: the phones here are GSM
  modems that send SMS only, so no media is stored;
- ``url_dlr`` and ``url_response`` (optional URLs, checked like webhook URLs by
  :func:`smsd.api.webhooks.message_url`): ``url_dlr`` receives the ``send_sms`` and
  ``send_sms_status_change`` events of the message's sends, ``url_response`` the messages its
  recipients send back to the sending phone within ``[webhooks] reply_window``, in RaspiSMS's
  webhook format (:mod:`smsd.webhooks`);
- ``GET /api/send-sms/`` refuses a text over 1000 characters with error 2 (RaspiSMS fails in SQL
  with an HTML 500) and answers only GET (HEAD would send a message);
- an ``Idempotency-Key`` header (:mod:`smsd.api.idempotency`) on either: the same key and
  request again within 24 h answers the first id and stores nothing; the same key with another
  request is error 2 (``Idempotency-Key : ...``). Without the header nothing changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smsd.api.csvnumbers import CsvError, parse_numbers_csv
from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.forms import as_list, php_bool, php_int, php_numeric
from smsd.api.idempotency import HEADER, KEY_PARAM, KeyHeaderError, request_key, run_once
from smsd.api.params import Params, Upload, read_params
from smsd.api.replies import no_content, success
from smsd.api.routing import Param, Route
from smsd.api.sendoptions import OPTION_FIELDS, SendOptions, send_options
from smsd.api.state import CLOCK, DB, REGION, WAKE, settings_of, user_of
from smsd.api.webhooks import message_url
from smsd.phone import to_e164
from smsd.store import accounts
from smsd.store.errors import InvalidValueError, NotFoundError, StoreError
from smsd.store.idempotency import CommandKey, KeyReusedError
from smsd.store.rows import Recipient
from smsd.store.scheduled import MAX_TEXT, create_scheduled, delete_scheduled
from smsd.store.walltime import parse_wall, wall

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from aiohttp import web

    from smsd.store.idempotency import Recorder

__all__ = ["MAX_TEXT", "ROUTES", "Campaign", "parse_campaign"]

_INVALID = ErrorCode.INVALID_PARAMETER
_MISSING = ErrorCode.MISSING_PARAMETER
MMS_REFUSED = (
    "mms : this gateway sends through GSM modems, which send SMS only; MMS is not supported."
)


@dataclass(frozen=True)
class Campaign:
    """A validated ``POST /api/scheduled/`` request, ready for the store."""

    text: str
    at: str | None
    numbers: tuple[Recipient, ...]
    contacts: tuple[int, ...] = ()
    groups: tuple[int, ...] = ()
    conditional_groups: tuple[int, ...] = ()
    id_phone: int | None = None
    id_phone_group: int | None = None
    flash: bool = False
    tag: str | None = None
    priority: int = 0
    options: SendOptions = field(default_factory=SendOptions)


def _ids(value: object) -> tuple[int, ...]:
    return tuple(i for i in (php_int(item) for item in as_list(value)) if i > 0)


def _data_text(data: object) -> str:
    """The JSON text of a number's ``data``; error 2 unless it decodes to something not null."""
    message = "number data must be a valid json or leave not set."
    if isinstance(data, dict | list):  # a JSON body gave the structure itself
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if not isinstance(data, str):
        raise ApiError(_INVALID, message)
    try:
        decoded = json.loads(data)
    except ValueError as exc:
        raise ApiError(_INVALID, message) from exc
    if decoded is None:
        raise ApiError(_INVALID, message)
    return data


def _numbers(value: object, region: str | None) -> list[Recipient]:
    found: list[Recipient] = []
    for item in as_list(value):
        raw: object = item
        data: object = None
        if isinstance(item, dict):
            raw = item.get("number")
            data = item.get("data")
        elif isinstance(item, list):  # ``numbers[0][]=…``: not a number
            raw = None
        number = to_e164(raw, region)
        if number is None:
            continue
        found.append(Recipient(number=number, data="[]" if data is None else _data_text(data)))
    return found


def _csv(params: Params, region: str | None) -> list[Recipient]:
    upload = params.files.get("numbers_csv")
    content: bytes | str | None = None
    if isinstance(upload, Upload):
        content = upload.data
    elif params.json_body and isinstance(params.form.get("numbers_csv"), str):
        content = str(params.form["numbers_csv"])
    if content is None:
        return []
    try:
        rows = parse_numbers_csv(content, default_region=region)
    except CsvError as exc:
        raise ApiError(_INVALID, f"csv : {exc}") from exc
    return [
        Recipient(number=number, data=json.dumps(data, ensure_ascii=False) if data else "[]")
        for number, data in rows
    ]


def _optional_id(value: object) -> int | None:
    return php_int(value) if php_bool(value) else None


def _priority(value: object) -> int:
    if value is None:
        return 0
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str):
        parsed = php_numeric(value)
        number = parsed if isinstance(parsed, int) else None
    if number is None or not -1_000_000 <= number <= 1_000_000:
        raise ApiError(_INVALID, "priority : priority must be an integer.")
    return number


def parse_campaign(params: Params, *, settings: dict[str, str], region: str | None) -> Campaign:  # noqa: C901 - RaspiSMS's checks, in its order
    """Check a request in RaspiSMS's order; ownership of phones is checked by the caller."""
    form = params.form
    text, at = form.get("text"), form.get("at")
    if not php_bool(text):
        raise ApiError(_MISSING, "text")
    if php_bool(at) and not isinstance(at, str):
        raise ApiError(_INVALID, " : at must be a string.")
    if not isinstance(text, str):
        raise ApiError(_INVALID, " : text must be a string.")
    if len(text) > MAX_TEXT:
        raise ApiError(_INVALID, f" : text must be less than {MAX_TEXT} char.")
    at_text: str | None = None
    if php_bool(at):
        assert isinstance(at, str)
        try:
            parse_wall(at)
        except InvalidValueError as exc:
            raise ApiError(_INVALID, 'at must be a date of format "Y-m-d H:i:s".') from exc
        at_text = at
    if php_bool(form.get("mms")):
        if settings.get("mms", "1") in {"", "0"}:
            raise ApiError(_INVALID, "mms is set to true, but mms are disabled in settings.")
        raise ApiError(_INVALID, MMS_REFUSED)
    from_csv = _csv(params, region)
    numbers = _numbers(form.get("numbers"), region) + from_csv
    raw_targets = [form.get(name) for name in ("contacts", "groups", "conditional_groups")]
    if not numbers and not any(as_list(raw) for raw in raw_targets):
        raise ApiError(
            _MISSING,
            "You must specify at least one valid number, contact, group or conditional_group.",
        )
    id_phone = _optional_id(form.get("id_phone"))
    id_phone_group = _optional_id(form.get("id_phone_group"))
    if id_phone is not None and id_phone_group is not None:
        raise ApiError(
            _INVALID,
            "id_phone, id_phone_group : You must specify at most one of id_phone or "
            "id_phone_group, not both.",
        )
    tag = form.get("tag")
    if tag is not None and not isinstance(tag, str):
        raise ApiError(_INVALID, "tag : tag must be a string.")
    return Campaign(
        text=text,
        at=at_text,
        numbers=tuple(numbers),
        contacts=_ids(raw_targets[0]),
        groups=_ids(raw_targets[1]),
        conditional_groups=_ids(raw_targets[2]),
        id_phone=id_phone,
        id_phone_group=id_phone_group,
        flash=php_bool(form.get("flash")),
        tag=tag,
        priority=_priority(form.get("priority")),
        options=send_options(form),
    )


async def _check_phones(request: web.Request, campaign: Campaign, id_user: int) -> None:
    db = request.app[DB]
    if campaign.id_phone is not None:
        owned = {phone.id for phone in await accounts.phones(db, id_user)}
        if campaign.id_phone not in owned:
            raise ApiError(
                _INVALID,
                "id_phone : You must specify an id_phone number among thoses of user phones.",
            )
    if campaign.id_phone_group is not None and not await accounts.owns_phone_group(
        db, id_user=id_user, id_phone_group=campaign.id_phone_group
    ):
        raise ApiError(
            _INVALID,
            "id_phone_group : You must specify an id_phone_group number among thoses of "
            "user phone groups.",
        )


def _key(request: web.Request, operation: str, *values: Mapping[str, object]) -> CommandKey | None:
    try:
        return request_key(request, operation, *values)
    except KeyHeaderError as exc:
        raise ApiError(_INVALID, f"{HEADER} : {exc}.") from exc


_REUSED = f"{HEADER} : this key was already used in the last 24 hours for a different request."


async def post_scheduled(request: web.Request) -> web.Response:
    """Schedule a message to numbers, contacts, groups and conditional groups."""
    user = user_of(request)
    params = await read_params(request)
    key = _key(request, "raspisms.scheduled", params.query, params.form, params.files)
    db = request.app[DB]
    campaign = parse_campaign(
        params, settings=await settings_of(request), region=request.app.get(REGION)
    )
    await _check_phones(request, campaign, user.id)
    url_dlr = message_url(request, params.form, "url_dlr")
    url_response = message_url(request, params.form, "url_response")
    at = campaign.at if campaign.at is not None else wall(request.app[CLOCK]())

    async def create(record: Recorder) -> list[int]:
        id_scheduled = await create_scheduled(
            db,
            id_user=user.id,
            text=campaign.text,
            at=at,
            flash=campaign.flash,
            id_phone=campaign.id_phone,
            id_phone_group=campaign.id_phone_group,
            tag=campaign.tag,
            priority=campaign.priority,
            numbers=campaign.numbers,
            contacts=campaign.contacts,
            groups=campaign.groups,
            conditional_groups=campaign.conditional_groups,
            url_dlr=url_dlr,
            url_response=url_response,
            sandbox=campaign.options.sandbox,
            commercial=campaign.options.commercial,
            sender=campaign.options.sender,
            stop_mention=campaign.options.stop_mention,
            record=record,
        )
        return [id_scheduled]

    # a phone deleted meanwhile, or bad data
    return await _created_once(request, user.id, key, create, (NotFoundError, InvalidValueError))


async def delete_scheduled_entry(request: web.Request) -> web.Response:
    """Delete a scheduled message that has not been sent yet."""
    user = user_of(request)
    id_scheduled = php_int(request.match_info["id"])
    if not await delete_scheduled(request.app[DB], id_user=user.id, id_scheduled=id_scheduled):
        raise ApiError(ErrorCode.CANNOT_DELETE)
    return no_content()


async def send_sms(request: web.Request) -> web.Response:
    """Send one SMS now: ``to``, ``text`` and optionally ``id_phone``, in the query string."""
    user = user_of(request)
    query = (await read_params(request)).query
    key = _key(request, "raspisms.send-sms", query)
    db = request.app[DB]
    number = to_e164(query.get("to"), request.app.get(REGION))
    text = query.get("text")
    missing = ("to " if number is None else "") + ("" if php_bool(text) else "text")
    if missing:
        raise ApiError(_MISSING, missing)
    if not isinstance(text, str):
        raise ApiError(_INVALID, " : text must be a string.")
    if len(text) > MAX_TEXT:
        raise ApiError(_INVALID, f" : text must be less than {MAX_TEXT} char.")
    assert number is not None
    options = send_options(query)
    id_phone = _optional_id(query.get("id_phone"))
    if id_phone is not None and id_phone not in {p.id for p in await accounts.phones(db, user.id)}:
        raise ApiError(ErrorCode.CANNOT_CREATE)

    async def create(record: Recorder) -> list[int]:
        id_scheduled = await create_scheduled(
            db,
            id_user=user.id,
            text=text,
            at=wall(request.app[CLOCK]()),
            id_phone=id_phone,
            numbers=[Recipient(number=number)],
            sandbox=options.sandbox,
            commercial=options.commercial,
            sender=options.sender,
            stop_mention=options.stop_mention,
            record=record,
        )
        return [id_scheduled]

    return await _created_once(request, user.id, key, create, (StoreError,))


_FORM_FIELDS = (
    Param("text", "form", required=True, description="message text, at most 1000 characters"),
    Param("at", "form", description='send time "Y-m-d H:i:s", server local time; default now'),
    Param("numbers", "form", "array", description="numbers, or {number, data} items"),
    Param("contacts", "form", "array", description="contact ids"),
    Param("groups", "form", "array", description="group ids"),
    Param("conditional_groups", "form", "array", description="conditional group ids"),
    Param("numbers_csv", "form", "file", description="CSV: number, then data columns"),
    Param("id_phone", "form", "integer", description="send through this phone"),
    Param("id_phone_group", "form", "integer", description="send through this phone group"),
    Param("flash", "form", "boolean", description="flash SMS (PHP truthiness)"),
    Param("mms", "form", "boolean", description="refused: modems send SMS only"),
    Param("tag", "form", description="free text copied to the sent messages"),
    Param("priority", "form", "integer", description="queue priority, higher first (smsd)"),
    Param("url_dlr", "form", description="URL posted each send's status events (smsd)"),
    Param("url_response", "form", description="URL posted the recipients' replies (smsd)"),
    *OPTION_FIELDS,
    KEY_PARAM,
)

ROUTES = (
    Route(
        "POST",
        "/api/scheduled",
        post_scheduled,
        "Schedule a message",
        _FORM_FIELDS,
        success_status=201,
    ),
    Route(
        "DELETE",
        "/api/scheduled/{id}",
        delete_scheduled_entry,
        "Delete a pending scheduled message",
        (Param("id", "path", "integer", required=True),),
        success_status=204,
    ),
    Route(
        "GET",
        "/api/send-sms",
        send_sms,
        "Send one SMS now",
        (
            Param("to", "query", required=True, description="international number"),
            Param("text", "query", required=True),
            Param("id_phone", "query", "integer"),
            *(Param(p.name, "query", p.kind, description=p.description) for p in OPTION_FIELDS),
            KEY_PARAM,
        ),
        head=False,
    ),
)


async def _created_once(
    request: web.Request,
    id_user: int,
    key: CommandKey | None,
    create: Callable[[Recorder], Awaitable[list[int]]],
    refused: tuple[type[StoreError], ...],
) -> web.Response:
    """Run ``create`` once per idempotency key and answer its id (``refused``: cannot create)."""
    try:
        done = await run_once(request, id_user=id_user, key=key, create=create)
    except KeyReusedError as exc:
        raise ApiError(_INVALID, _REUSED) from exc
    except refused as exc:
        raise ApiError(ErrorCode.CANNOT_CREATE) from exc
    if not done.replayed:
        request.app[WAKE]()
    return success(request, done.ids[0])
