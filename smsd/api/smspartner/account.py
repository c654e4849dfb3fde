"""The account calls: credit (``/v1/me``), cancelling a scheduled send, the STOP list.

- ``GET /v1/me``: the user and the credits: ``toSend`` counts the messages not sent yet;
  ``creditSms`` is what the user's quota has left (``null`` without a quota: unlimited) and
  ``balance`` its worth at the ``[billing]`` segment price (``""`` when unlimited);
  ``creditSmsECO``, ``creditHlr`` are 0 (no low-cost range, no HLR lookups on SIM cards);
- ``GET /v1/message-cancel?messageId=``: deletes a scheduled message before the dispatcher
  takes it (code 7 once it was sent, code 4 when there is no such message). SMSPartner refuses
  within 5 minutes of the send time (code 6): a gateway of one's own can cancel until then;
- ``GET /v1/stop-sms/list``, ``POST /v1/stop-sms/add`` (``phoneNumber``), ``GET
  /v1/stop-sms/delete?id=``: the numbers the user must not write to (messages to them are
  skipped when sent).

Calls SMSPartner offers that cannot apply to a gateway of SIM cards answer code 40 ("L'accès à
l'API est refusé") with HTTP 400, like every refusal, and say why (:data:`REFUSED`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.api.smspartner.calls import Call, partner_call
from smsd.api.smspartner.replies import PartnerError, row_id
from smsd.api.smspartner.unavailable import REFUSED, refused_name
from smsd.api.state import CLOCK, CONFIG, DB
from smsd.phone import to_e164
from smsd.store import tracking
from smsd.store.billing import balance
from smsd.store.scheduled import delete_scheduled

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import web

__all__ = [
    "REFUSED",
    "me",
    "message_cancel",
    "refused_handler",
    "stop_add",
    "stop_delete",
    "stop_list",
]


async def me(request: web.Request, call: Call) -> dict[str, object]:
    """The account and its credits."""
    db = request.app[DB]
    to_send = await tracking.queued_count(db, id_user=call.user.id)
    left = await balance(db, id_user=call.user.id, now=request.app[CLOCK]())
    money = left.money
    return {
        "user": {"username": call.user.email, "firstname": "", "lastname": ""},
        "credits": {
            "creditSms": left.credits,
            "creditSmsECO": 0,
            "creditHlr": 0,
            "toSend": to_send,
            "balance": "" if money is None else str(money),
            "currency": left.currency,
        },
    }


def _positive_id(value: object, code: int, message: str) -> int:
    if isinstance(value, bool) or value is None or value == "":
        raise PartnerError(code, message)
    found = row_id(value)
    return -1 if found is None else found


async def message_cancel(request: web.Request, call: Call) -> dict[str, object]:
    """Cancel a message that has not been sent yet."""
    id_scheduled = _positive_id(call.get("messageId"), 3, "L'ID du message est requis")
    db = request.app[DB]
    found = await tracking.track_scheduled(db, id_user=call.user.id, id_scheduled=id_scheduled)
    if found is None:
        raise PartnerError(4, "Message introuvable")
    if found.expanded or not await delete_scheduled(
        db, id_user=call.user.id, id_scheduled=id_scheduled
    ):
        raise PartnerError(7, "Vous ne pouvez pas annuler un SMS déjà envoyé")
    return {"message": "L'envoi du SMS a été annulé."}


async def stop_list(request: web.Request, call: Call) -> dict[str, object]:
    """The STOP list."""
    entries = await tracking.stop_list(request.app[DB], id_user=call.user.id)
    return {
        "nbData": len(entries),
        "data": [{"id": e.id, "phoneNumber": e.number, "createdAt": e.created_at} for e in entries],
    }


async def stop_add(request: web.Request, call: Call) -> dict[str, object]:
    """Put a number on the STOP list."""
    raw = call.get("phoneNumber")
    if raw is None or raw == "":
        raise PartnerError(2, "Le numéro de téléphone est requis")
    number = to_e164(raw, request.app[CONFIG].smspartner.default_region)
    if number is None:
        raise PartnerError(9, "Le numéro de téléphone est invalide")
    stop_id = await tracking.add_stop(request.app[DB], id_user=call.user.id, number=number)
    return {"stopId": stop_id}


async def stop_delete(request: web.Request, call: Call) -> dict[str, object]:
    """Take a number off the STOP list, by the id the list gave."""
    id_stop = _positive_id(call.get("id"), 3, "L'ID du numéro est requis")
    if not await tracking.delete_stop(request.app[DB], id_user=call.user.id, id_stop=id_stop):
        raise PartnerError(4, "L'ID du numéro introuvable")
    return {}


def refused_handler(path: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A handler answering code 40 and why ``path`` cannot apply here (after the key check)."""
    reason = REFUSED[path]

    async def refused(request: web.Request, call: Call) -> dict[str, object]:
        del request, call
        raise PartnerError(
            40,
            f"L'accès à l'API est refusé : not available on this gateway of SIM cards ({reason}).",
        )

    refused.__name__ = refused_name(path)
    return partner_call(refused)
