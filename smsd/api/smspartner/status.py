"""Where sends stand, in SMSPartner's shapes: by message and number, by message, by tag, by list.

- ``GET /v1/message-status?messageId=&phoneNumber=``: one recipient of one message;
- ``GET /v1/bulk-status?messageId=``: every recipient of one message;
- ``GET /v1/bulk-status-by-tag?tag=&page=``: every message sent with a tag, 100 per page
  (SMSPartner's way to list what was sent);
- ``POST /v1/multi-status`` with ``SMSStatut_List`` (or ``SMSStatus_List``): up to 500
  ``{phoneNumber, messageId}`` pairs, each answered on its own.

A message id is the id ``/v1/send`` answered. Statuses are SMSPartner's three: ``Delivered``
(the network's status report said so), ``Not delivered`` (failed, or not sent because the
number is on the STOP list), ``Waiting`` (not sent yet,
or sent and no report yet). ``stopSms`` tells whether the number is on the STOP list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import phonenumbers

from smsd.api.smspartner.replies import PartnerError, row_id
from smsd.api.smspartner.sending import MAX_NUMBERS
from smsd.api.state import CONFIG, DB
from smsd.phone import to_e164
from smsd.store.billing import billing
from smsd.store.errors import InvalidValueError
from smsd.store.tracking import RecipientState, track_scheduled, track_tag
from smsd.store.walltime import parse_wall

if TYPE_CHECKING:
    from aiohttp import web

    from smsd.api.smspartner.calls import Call
    from smsd.store.tracking import ScheduledTrack

__all__ = [
    "PAGE_SIZE",
    "bulk_status",
    "bulk_status_by_tag",
    "message_status",
    "multi_status",
    "partner_status",
]

PAGE_SIZE = 100
_STATUS = {"delivered": "Delivered", "failed": "Not delivered", "skipped": "Not delivered"}
MESSAGE_ID_REQUIRED = "L'ID du message est requis"
NOT_FOUND = "Message introuvable"


def partner_status(state: str) -> str:
    """SMSPartner's status of an engine state."""
    return _STATUS.get(state, "Waiting")


def _unix(recipient: RecipientState) -> str:
    if recipient.updated is not None:
        return str(int(recipient.updated))
    try:
        return str(int(parse_wall(recipient.at)))
    except InvalidValueError:
        return ""


def _country(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""


def _message_id(value: object) -> int:
    if isinstance(value, bool) or value is None or value == "":
        raise PartnerError(3, MESSAGE_ID_REQUIRED)
    found = row_id(value)
    if found is None:
        raise PartnerError(4, NOT_FOUND)
    return found


async def _track(request: web.Request, call: Call, value: object) -> ScheduledTrack:
    id_scheduled = _message_id(value)
    found = await track_scheduled(request.app[DB], id_user=call.user.id, id_scheduled=id_scheduled)
    if found is None:
        raise PartnerError(4, NOT_FOUND)
    return found


def _number(request: web.Request, value: object) -> str | None:
    return to_e164(value, request.app[CONFIG].smspartner.default_region)


def _find(found: ScheduledTrack, number: str | None) -> RecipientState | None:
    return next((r for r in found.recipients if r.number == number), None)


async def message_status(request: web.Request, call: Call) -> dict[str, object]:
    """The status of one recipient of one message."""
    raw_number = call.get("phoneNumber")
    if raw_number is None or raw_number == "":
        raise PartnerError(2, "Le numéro de téléphone est requis")
    found = await _track(request, call, call.get("messageId"))
    recipient = _find(found, _number(request, raw_number))
    if recipient is None:
        raise PartnerError(4, NOT_FOUND)
    prices = await billing(request.app[DB])
    return {
        "number": str(raw_number),
        "messageId": str(found.id),
        "stopSms": recipient.stopped,
        "date": recipient.at,
        "statut": partner_status(recipient.state),
        "cost": 0.0 if recipient.sandbox else float(prices.cost(recipient.segments)),
        "countryCode": _country(recipient.number),
        "currency": prices.currency,
    }


def _entry(recipient: RecipientState) -> dict[str, object]:
    return {
        "phoneNumber": recipient.number,
        "status": partner_status(recipient.state),
        "stopSMS": recipient.stopped,
        "date": _unix(recipient),
    }


async def bulk_status(request: web.Request, call: Call) -> dict[str, object]:
    """The status of every recipient of one message."""
    found = await _track(request, call, call.get("messageId"))
    return {
        "message_id": str(found.id),
        "StatutResponse_List": [_entry(r) for r in found.recipients],
    }


MAX_PAGE = 10**9


def _page(value: object) -> int:
    return min(row_id(value) or 1, MAX_PAGE)


async def bulk_status_by_tag(request: web.Request, call: Call) -> dict[str, object]:
    """The status of every message sent with ``tag``, a page at a time."""
    tag = call.get("tag")
    if not isinstance(tag, str) or not tag:
        raise PartnerError(3, "Le tag est requis")
    page = _page(call.get("page"))
    total, rows = await track_tag(
        request.app[DB],
        id_user=call.user.id,
        tag=tag,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    return {
        "currentPage": page,
        "total": total,
        "StatutResponse_List": [{**_entry(r), "messageId": r.id_scheduled} for r in rows],
    }


async def _one(request: web.Request, call: Call, item: object) -> dict[str, object]:
    pair = item if isinstance(item, dict) else {}
    raw_number, raw_id = pair.get("phoneNumber"), pair.get("messageId")
    missing = {"success": False, "code": 4, "phoneNumber": raw_number, "messageId": raw_id}
    try:
        found = await _track(request, call, raw_id)
    except PartnerError:
        return {**missing, "status": "Numéro introuvable"}
    recipient = _find(found, _number(request, raw_number))
    if recipient is None:
        return {**missing, "status": "Numéro introuvable"}
    return {
        "success": True,
        "code": 200,
        "phoneNumber": recipient.number,
        "messageId": found.id,
        "status": partner_status(recipient.state),
        "date": _unix(recipient),
        "stopSms": "1" if recipient.stopped else "0",
        "isSpam": "0",
    }


async def multi_status(request: web.Request, call: Call) -> dict[str, object]:
    """The status of up to 500 (number, message) pairs."""
    items = call.get("SMSStatut_List")
    if items is None:
        items = call.get("SMSStatus_List")
    if isinstance(items, dict):  # a form's SMSStatut_List[0][phoneNumber]=… builds an object
        items = list(items.values())
    if not isinstance(items, list) or not items:
        raise PartnerError(5, "La liste des numéros est vide")
    if len(items) > MAX_NUMBERS:
        raise PartnerError(50, f"Le nombre de numéros autorisés est de {MAX_NUMBERS} maxi")
    return {"StatutResponse_List": [await _one(request, call, item) for item in items]}
