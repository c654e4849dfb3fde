"""The ``/messages`` handlers: authenticate, parse, call the core, render.

Each handler runs inside :func:`gateway`, which authenticates the bearer token (the user's API
key, with the API's usual rate limiting of wrong keys) and turns every refusal into this door's
envelope: 401 (no or unknown token), 403 (suspended user), 429 (too many wrong tokens), 402
(credit too short), 404 (no such message: unknown or malformed id, another user's message),
406 (the message can no longer be changed or cancelled), 422 (invalid body, the fields named),
507 (the store is full or read-only: nothing was stored).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import structlog

from smsd.api.auth import AuthError, authenticate_key, storage_refusal
from smsd.api.gatewaysms import core
from smsd.api.gatewaysms.ids import read_id, render_id
from smsd.api.gatewaysms.jokers import to_template
from smsd.api.gatewaysms.parsing import core_priority, parse_amendment, parse_sending
from smsd.api.gatewaysms.recipients import parse_recipients
from smsd.api.gatewaysms.rendering import (
    DoorData,
    fates,
    message_object,
    recipient_object,
    summary,
)
from smsd.api.gatewaysms.replies import GatewayError, reply
from smsd.api.idempotency import HEADER, KeyHeaderError, request_key, run_once
from smsd.api.state import CLOCK, DB, USER, WAKE, user_of
from smsd.store import campaign_edits, campaigns
from smsd.store.errors import InvalidValueError, NotFoundError, StoreError, TransitionError
from smsd.store.idempotency import KeyReusedError
from smsd.store.rows import Recipient
from smsd.store.walltime import wall

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import web

    from smsd.api.gatewaysms.recipients import Parsed
    from smsd.store.idempotency import CommandKey, Recorder

__all__ = [
    "delete_message",
    "gateway",
    "get_message",
    "get_recipient",
    "get_recipients",
    "list_messages",
    "post_message",
    "put_message",
]

_AUTH_MESSAGES = {
    401: "Unauthorized: give the API key as 'Authorization: Bearer <key>'",
    403: "Forbidden: this user account is suspended",
    429: "Too many failed authentications from this address",
}
NOT_FOUND = "Message not found"
_log = structlog.get_logger("smsd.api.gatewaysms")


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def gateway(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Authenticate by bearer token, then run ``handler``; refusals in this door's envelope."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        async def token(_client: str) -> object:
            return _bearer(request)

        try:
            request[USER] = await authenticate_key(request, token)
        except AuthError as exc:
            return GatewayError(exc.http_status, _AUTH_MESSAGES[exc.http_status]).response()
        try:
            return await handler(request)
        except GatewayError as exc:
            return exc.response()
        except StoreError as exc:
            refusal = storage_refusal(exc)
            if refusal is None:
                raise
            _log.error("api_storage_refused", path=request.path, error=str(exc))
            return GatewayError(507, refusal.strip()).response()

    guarded.__name__ = getattr(handler, "__name__", "handler")
    guarded.__doc__ = handler.__doc__
    return guarded


async def _json(request: web.Request) -> object:
    raw = await request.read()
    try:
        return json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise GatewayError(422, "The body is not valid JSON", {"body": "not JSON"}) from exc


def _message_id(request: web.Request) -> int:
    found = read_id(request.match_info["id"])
    if found is None:
        raise GatewayError(404, NOT_FOUND)
    return found


async def _credit(request: web.Request) -> str | None:
    return await core.credit_text(
        request.app[DB], id_user=user_of(request).id, now=request.app[CLOCK]()
    )


async def _campaign(request: web.Request, id_message: int) -> campaigns.Campaign:
    found = await campaigns.campaign(
        request.app[DB], id_user=user_of(request).id, id_scheduled=id_message
    )
    if found is None:
        raise GatewayError(404, NOT_FOUND)
    return found


async def _rendered(request: web.Request, id_message: int) -> dict[str, object]:
    row = await _campaign(request, id_message)
    return message_object(row, segment_price=await core.segment_price(request.app[DB]))


def _fields_of(recipients: Parsed) -> list[dict[str, object]]:
    found = []
    for _number, data in recipients.valid:
        decoded = json.loads(data)
        found.append(decoded if isinstance(decoded, dict) else {})
    return found


def _numbers(recipients: Parsed) -> list[Recipient]:
    return [Recipient(number=number, data=data) for number, data in recipients.valid]


def _key(request: web.Request, body: object) -> CommandKey | None:
    try:
        return request_key(request, "gatewaysms.messages", {"body": body})
    except KeyHeaderError as exc:
        raise GatewayError(422, f"Invalid request: {exc}", {HEADER: str(exc)}) from exc


async def post_message(request: web.Request) -> web.Response:
    """Send a message to its recipients (or open a transaction)."""
    body = await _json(request)
    key = _key(request, body)
    sending = parse_sending(body)
    user, db, now = user_of(request), request.app[DB], request.app[CLOCK]()
    sender = core.check_sender(sending.sender)
    held = bool(sending.options.transaction)
    door = DoorData(
        body=sending.body,
        bulk=sending.options.bulk,
        realtime=sending.options.realtime,
        custom=sending.options.custom,
        invalid=sending.recipients.invalid,
    )
    send_at = sending.options.send_at

    async def create(record: Recorder) -> list[int]:
        if not sending.test and not held:
            needed = core.needed_credits(sending.body, _fields_of(sending.recipients))
            await core.ensure_credit(db, id_user=user.id, needed=needed, now=now)
        id_message = await core.create_message(
            db,
            id_user=user.id,
            template=to_template(sending.body),
            at=None if send_at is None else wall(send_at),
            flash=sending.options.flash,
            priority=core_priority(sending.priority),
            numbers=_numbers(sending.recipients),
            held=held,
            door_data=door.dump(),
            sender=sender,
            test=sending.test,
            record=record,
        )
        return [id_message]

    try:
        done = await run_once(request, id_user=user.id, key=key, create=create)
    except KeyReusedError as exc:
        raise GatewayError(422, f"Invalid request: {HEADER}: {exc}", {HEADER: str(exc)}) from exc
    except InvalidValueError as exc:
        raise GatewayError(422, f"Invalid request: {exc}") from exc
    id_message = done.ids[0]
    if not held and not done.replayed:
        request.app[WAKE]()
    data = [await _rendered(request, id_message)]
    message = "Transaction Open" if held else "Message Queued"
    return reply(data, status=201, message=message, credit=await _credit(request))


async def list_messages(request: web.Request) -> web.Response:
    """The user's messages, newest first."""
    rows = await campaigns.campaigns(request.app[DB], user_of(request).id)
    return reply(
        [summary(row) for row in rows],
        message=_results(len(rows)),
        credit=await _credit(request),
    )


def _results(count: int) -> str:
    return f"{count} Result" if count == 1 else f"{count} Results"


async def get_message(request: web.Request) -> web.Response:
    """One message with its live statistics."""
    data = [await _rendered(request, _message_id(request))]
    return reply(data, message=_results(1), credit=await _credit(request))


async def put_message(request: web.Request) -> web.Response:
    """Add recipients or move the send time of a message not yet queued; close a transaction."""
    id_message = _message_id(request)
    amendment = parse_amendment(await _json(request))
    user, db, now = user_of(request), request.app[DB], request.app[CLOCK]()
    row = await _campaign(request, id_message)
    door = DoorData.load(row.door_data, row.text)
    release = amendment.transaction is False and row.held
    if amendment.recipients is not None:
        door.invalid.extend(amendment.recipients.invalid)
    for flag in ("bulk", "realtime", "custom"):
        if flag in amendment.given:
            setattr(door, flag, getattr(amendment.options, flag))
    if release and not row.sandbox:
        fields = [json.loads(data) for data in row.number_data]
        if amendment.recipients is not None:
            fields += _fields_of(amendment.recipients)
        dicts = [f if isinstance(f, dict) else {} for f in fields]
        needed = core.needed_credits(door.body, dicts)
        await core.ensure_credit(db, id_user=user.id, needed=needed, now=now)
    try:
        await campaign_edits.amend_campaign(
            db,
            id_user=user.id,
            id_scheduled=id_message,
            numbers=[] if amendment.recipients is None else _numbers(amendment.recipients),
            due_at=amendment.options.send_at,
            door_data=door.dump(),
            release=release,
        )
    except NotFoundError as exc:
        raise GatewayError(404, NOT_FOUND) from exc
    except TransitionError as exc:
        raise GatewayError(406, "Message already queued: it can no longer be changed") from exc
    if release or (not row.held and amendment.options.send_at is not None):
        request.app[WAKE]()
    data = await _rendered(request, id_message)
    return reply(data, message="Updated", credit=await _credit(request))


async def delete_message(request: web.Request) -> web.Response:
    """Cancel what of a message has not been sent yet."""
    id_message = _message_id(request)
    try:
        cancelled = await campaign_edits.cancel_campaign(
            request.app[DB],
            id_user=user_of(request).id,
            id_scheduled=id_message,
            now=request.app[CLOCK](),
        )
    except NotFoundError as exc:
        raise GatewayError(404, NOT_FOUND) from exc
    if not cancelled:
        raise GatewayError(406, "Message already sent: nothing left to cancel")
    return reply([], message=f"{render_id(id_message)} Deleted", with_credit=False)


async def _recipient_objects(
    request: web.Request, number: str | None = None
) -> list[dict[str, object]]:
    """The recipients of the message in the path (only ``number``'s when given)."""
    id_message = _message_id(request)
    row = await _campaign(request, id_message)
    body = DoorData.load(row.door_data, row.text).body
    price = await core.segment_price(request.app[DB])
    return [
        recipient_object(fate, id_message=id_message, body=body, segment_price=price)
        for fate in fates(row)
        if number is None or fate.number == number
    ]


async def get_recipients(request: web.Request) -> web.Response:
    """Every recipient of a message with its state."""
    data = await _recipient_objects(request)
    return reply(data, message=_results(len(data)), credit=await _credit(request))


async def get_recipient(request: web.Request) -> web.Response:
    """One recipient of a message, by number (``+39-…`` or E.164)."""
    wanted = parse_recipients(request.match_info["number"]).valid
    data = await _recipient_objects(request, wanted[0][0] if wanted else "")
    if not data:
        raise GatewayError(404, "Recipient not found")
    return reply(data, message=_results(len(data)), credit=await _credit(request))
