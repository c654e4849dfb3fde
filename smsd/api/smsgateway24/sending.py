"""Sending: ``addsms`` (token), ``smstosend`` (e-mail and password), ``addalotofsms`` (bulk).

Each SMS of the seed becomes one core submission (:mod:`smsd.store.submissions`): a scheduled
message to one number, pinned to the device (``device_id``: a phone, i.e. one modem) and due at
``timetosend`` (now when absent), with the client's ``customerid`` kept and ``urgent`` given the
core's urgent priority. ``sendto`` with several comma-separated numbers makes one SMS per number:
``sms_id`` is the first one's, ``sms_ids`` (our addition) lists them all.

``sim`` is the SIM slot: a GSM modem holds one SIM, in slot 0, so 0 is accepted and 1 is refused
naming the device. A bulk (``datajson``: ``{"token": …, "smsdata": [ … ]}``, or that object as a
JSON body) is stored all or nothing: when any item is refused, nothing is stored and the answer
names every refused item (``smsdata[3].sendto : …``), also listed in ``errors``.

An ``Idempotency-Key`` header (smsd's extension, :mod:`smsd.api.idempotency`) on any of the
three: the same key and request again within 24 h answers the first ids and stores nothing; the
same key with another request, or a malformed key, is an error naming ``Idempotency-Key``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from smsd.api.idempotency import HEADER, KeyHeaderError, request_key, run_once
from smsd.api.smsgateway24.answers import DoorError, fail, missing, ok
from smsd.api.smsgateway24.fields import body_text, integer, moment, numbers, read_values
from smsd.api.smsgateway24.statuses import KIND_DIGITS
from smsd.api.smsgateway24.tokens import login_user, token_user
from smsd.api.state import CLOCK, DB, REGION, WAKE
from smsd.rules.credits import credits_for
from smsd.store import accounts, quota
from smsd.store.idempotency import KeyReusedError
from smsd.store.submissions import Submission, SubmissionError, submit_all

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    from aiohttp import web

    from smsd.store.idempotency import CommandKey, Recorder
    from smsd.store.rows import UserRow

__all__ = [
    "MAX_BULK",
    "URGENT_PRIORITY",
    "add_a_lot_of_sms",
    "add_sms",
    "check_credit",
    "command_key",
    "device_of",
    "parse_sms",
    "sms_to_send",
    "store_once",
]

SAVED = "Sms has been saved successfully"
MAX_BULK = 5000
"""Most SMS in one ``addalotofsms`` request."""

URGENT_PRIORITY = 10
"""The queue priority of an ``urgent`` SMS (higher goes first; the default is 0; the core's
priority is an integer, and 10 is the value it suggests for a provider's "urgent")."""


def _sms_id(id_scheduled: int) -> int:
    return id_scheduled * 10 + KIND_DIGITS["submission"]


def device_of(values: Mapping[str, object], owned: set[int]) -> int:
    """The ``device_id`` (a phone of the user) and a ``sim`` slot it has."""
    device = integer(values, "device_id", required=True, low=1)
    assert device is not None
    if device not in owned:
        raise fail("device_id", f"no device {device} (getalldevices lists yours)")
    sim = integer(values, "sim", low=0, high=1) or 0
    if sim != 0:
        raise fail("sim", f"device {device} is a GSM modem with one SIM, in slot 0")
    return device


def parse_sms(
    values: Mapping[str, object], owned: set[int], region: str | None
) -> list[Submission]:
    """The submissions of one SMS of the seed (one per number of ``sendto``)."""
    recipients = numbers(values, "sendto", region)
    body = body_text(values)
    device = device_of(values, owned)
    at = moment(values, "timetosend")
    customer = integer(values, "customerid", low=-(2**63), high=2**63 - 1)
    urgent = integer(values, "urgent", low=0, high=1) or 0
    priority = URGENT_PRIORITY if urgent else 0
    return [
        Submission(
            number=number,
            text=body,
            at=at,
            id_phone=device,
            priority=priority,
            customer_id=customer,
        )
        for number in recipients
    ]


async def _owned(request: web.Request, user: UserRow) -> set[int]:
    return {phone.id for phone in await accounts.phones(request.app[DB], user.id)}


async def check_credit(request: web.Request, user: UserRow, needed: int) -> None:
    """Refuse, naming ``credit``, what the user's quota cannot pay for (the core's rule)."""
    try:
        await quota.check_credit(
            request.app[DB], id_user=user.id, needed=needed, now=request.app[CLOCK]()
        )
    except quota.InsufficientCreditError as exc:
        raise fail(
            "credit",
            f"insufficient credit: these SMS need {exc.needed} credits, {exc.remaining} left",
        ) from exc


def command_key(
    request: web.Request, operation: str, values: Mapping[str, object]
) -> CommandKey | None:
    """The request's ``Idempotency-Key`` for ``operation``; a malformed one names the header."""
    try:
        return request_key(request, f"smsgateway24.{operation}", values)
    except KeyHeaderError as exc:
        raise fail(HEADER, str(exc)) from exc


async def store_once(
    request: web.Request,
    user: UserRow,
    key: CommandKey | None,
    create: Callable[[Recorder], Awaitable[Sequence[int]]],
) -> tuple[int, ...]:
    """Store through ``create`` unless ``key`` was seen (then its first ids); wake the sender.

    The same key for another request is an error naming ``Idempotency-Key``.
    """
    try:
        done = await run_once(request, id_user=user.id, key=key, create=create)
    except KeyReusedError as exc:
        raise fail(HEADER, str(exc)) from exc
    if not done.replayed:
        request.app[WAKE]()
    return done.ids


async def _store(
    request: web.Request, user: UserRow, items: list[Submission], key: CommandKey | None
) -> list[int]:
    async def create(record: Recorder) -> list[int]:
        await check_credit(request, user, sum(credits_for(item.text) for item in items))
        try:
            return await submit_all(request.app[DB], id_user=user.id, items=items, record=record)
        except SubmissionError as exc:  # a device deleted meanwhile
            raise fail("device_id", str(exc)) from exc

    return [_sms_id(i) for i in await store_once(request, user, key, create)]


async def _send(
    request: web.Request, user: UserRow, values: Mapping[str, object], operation: str
) -> web.Response:
    key = command_key(request, operation, values)
    items = parse_sms(values, await _owned(request, user), request.app.get(REGION))
    ids = await _store(request, user, items, key)
    extra: dict[str, object] = {"sms_ids": ids} if len(ids) > 1 else {}
    customer = items[0].customer_id
    if customer is not None:
        extra["customerid"] = customer
    return ok(SAVED, sms_id=ids[0], **extra)


async def add_sms(request: web.Request) -> web.Response:
    """``addsms``: send an SMS with a token."""
    values = await read_values(request)
    user = await token_user(request, values)
    return await _send(request, user, values, "addsms")


async def sms_to_send(request: web.Request) -> web.Response:
    """``smstosend``: send an SMS with the account's e-mail and password."""
    values = await read_values(request)
    user = await login_user(request, values)
    return await _send(request, user, values, "smstosend")


def _bulk_document(values: Mapping[str, object]) -> Mapping[str, object]:
    raw = values.get("datajson")
    if raw is None or raw == "":
        if "smsdata" in values:  # the document itself as a JSON body (our extension)
            return values
        raise missing("datajson")
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        raise fail("datajson", "must be JSON text")
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise fail("datajson", f"is not valid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise fail("datajson", 'must be a JSON object {"token": …, "smsdata": […]}')
    return document


def _bulk_items(smsdata: object, owned: set[int], region: str | None) -> list[Submission]:
    if not isinstance(smsdata, list) or not smsdata:
        raise fail("smsdata", "must be a non-empty array of SMS objects")
    if len(smsdata) > MAX_BULK:
        raise fail("smsdata", f"at most {MAX_BULK} SMS per request, got {len(smsdata)}")
    items: list[Submission] = []
    errors: list[dict[str, object]] = []
    for index, sms in enumerate(smsdata):
        try:
            if not isinstance(sms, dict):
                raise fail("", "must be an object")
            items.extend(parse_sms(sms, owned, region))
        except DoorError as exc:
            where = f"smsdata[{index}]" + (f".{exc.parameter}" if exc.parameter else "")
            errors.append({"index": index, "parameter": exc.parameter, "message": exc.what})
            errors[-1]["text"] = f"{where} : {exc.what}"
    if errors:
        message = "; ".join(str(e.pop("text")) for e in errors)
        raise DoorError(f"nothing was stored: {message}", errors=errors)
    return items


async def add_a_lot_of_sms(request: web.Request) -> web.Response:
    """``addalotofsms``: many SMS in one JSON document, stored all or none."""
    values = await read_values(request)
    document = _bulk_document(values)
    token_holder = document if "token" in document else values
    user = await token_user(request, token_holder)
    key = command_key(request, "addalotofsms", document)
    items = _bulk_items(
        document.get("smsdata"), await _owned(request, user), request.app.get(REGION)
    )
    ids = await _store(request, user, items, key)
    return ok(SAVED, count=len(ids), sms_ids=ids)
