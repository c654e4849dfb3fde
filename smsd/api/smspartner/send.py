"""``POST /v1/send``: one message to up to 500 numbers, now or at a chosen time.

The request is checked (:mod:`~smsd.api.smspartner.sending`), then stored as one scheduled
message of the core with one recipient per number; its id is SMSPartner's ``message_id``. The
answer is SMSPartner's: ``message_id``, ``nb_sms`` (parts per number times numbers), ``cost``
and ``currency``.

``urlDlr`` (or the ``webhookUrl`` field or header of SMSPartner's examples) receives each
recipient's delivery receipt, ``urlResponse`` the replies of the recipients, both in SMSPartner's
shape (:mod:`smsd.webhooks.smspartner`); an address the webhook rules refuse is a code 9 entry.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from smsd.api.smspartner.calls import Call, partner_call
from smsd.api.smspartner.replies import FieldError, PartnerError
from smsd.api.smspartner.sending import SendRequest, parse_send
from smsd.api.state import CLOCK, CONFIG, DB, WAKE
from smsd.api.webhooks import url_policy
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.rows import Recipient
from smsd.store.scheduled import create_scheduled
from smsd.store.walltime import wall
from smsd.webhooks.policy import UrlRefusedError, check_url

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["CALLBACK_FORMAT", "send"]

CALLBACK_FORMAT = "smspartner"
CURRENCY = "EUR"
WEBHOOK_HEADER = "webhookUrl"


def _url(request: web.Request, name: str, value: object, errors: list[FieldError]) -> str | None:
    if value is None or value == "":
        return None
    try:
        return check_url(value, url_policy(request))
    except UrlRefusedError as exc:
        errors.append(FieldError(name, f"L'url n'est pas valide ({exc})"))
        return None


def _callbacks(request: web.Request, call: Call) -> tuple[str | None, str | None]:
    errors: list[FieldError] = []
    dlr_name = "urlDlr"
    dlr = call.get("urlDlr")
    if dlr is None or dlr == "":
        dlr_name = "webhookUrl"
        dlr = call.get("webhookUrl") or request.headers.get(WEBHOOK_HEADER)
    url_dlr = _url(request, dlr_name, dlr, errors)
    url_response = _url(request, "urlResponse", call.get("urlResponse"), errors)
    if errors:
        raise PartnerError(9, errors=errors)
    return url_dlr, url_response


def _local_now(request: web.Request) -> dt.datetime:
    return dt.datetime.fromtimestamp(request.app[CLOCK]())  # noqa: DTZ006 - local wall time, like every `at`


async def _store(
    request: web.Request, call: Call, checked: SendRequest, urls: tuple[str | None, str | None]
) -> int:
    at = checked.at.strftime("%Y-%m-%d %H:%M:%S") if checked.at else wall(request.app[CLOCK]())
    try:
        return await create_scheduled(
            request.app[DB],
            id_user=call.user.id,
            text=checked.text,
            at=at,
            tag=checked.tag,
            callback_format=CALLBACK_FORMAT,
            numbers=[Recipient(number=number) for number in checked.numbers],
            url_dlr=urls[0],
            url_response=urls[1],
            # CORE CALL POINT (i14): sandbox=checked.sandbox, sender=checked.sender,
            # stop_mention=checked.stop_mention, commercial=..., once the core has them.
        )
    except (NotFoundError, InvalidValueError) as exc:
        raise PartnerError(
            500, f"Problème lors de l'ajout du sms dans la file d'attente ({exc})"
        ) from exc


async def send(request: web.Request, call: Call) -> dict[str, object]:
    """Send (or schedule) one message to the numbers given."""
    config = request.app[CONFIG].smspartner
    checked = parse_send(
        call.values,
        region=config.default_region,
        now=_local_now(request),
        json_body=call.json_body,
    )
    urls = _callbacks(request, call)
    id_scheduled = await _store(request, call, checked, urls)
    request.app[WAKE]()
    return {
        "message_id": id_scheduled,
        "nb_sms": checked.nb_sms,
        "cost": 0,
        "currency": CURRENCY,
    }


send_route = partner_call(send)
