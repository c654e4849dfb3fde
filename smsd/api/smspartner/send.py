"""``POST /v1/send``: one message to up to 500 numbers, now or at a chosen time.

The request is checked (:mod:`~smsd.api.smspartner.sending`), then stored as one scheduled
message of the core with one recipient per number; its id is SMSPartner's ``message_id``. The
answer is SMSPartner's: ``message_id``, ``nb_sms`` (parts per number times numbers), ``cost``
and ``currency``.

``urlDlr`` (or the ``webhookUrl`` field or header of SMSPartner's examples) receives each
recipient's delivery receipt, ``urlResponse`` the replies of the recipients, both in SMSPartner's
shape (:mod:`smsd.webhooks.smspartner`); an address the webhook rules refuse is a code 9 entry.

An ``Idempotency-Key`` header (smsd's extension, :mod:`smsd.api.idempotency`): the same key and
request again within 24 h answers the first ``message_id`` and stores nothing; the same key
with another request, or a malformed key, is a code 9 entry for ``Idempotency-Key``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from smsd.api.idempotency import HEADER, KeyHeaderError, request_key, run_once
from smsd.api.smspartner.calls import Call, partner_call
from smsd.api.smspartner.replies import FieldError, PartnerError
from smsd.api.smspartner.sending import SendRequest, parse_send
from smsd.api.state import CLOCK, CONFIG, DB, WAKE
from smsd.api.webhooks import url_policy
from smsd.rules.credits import credits_for
from smsd.store import accounts, quota
from smsd.store.billing import billing
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.idempotency import KeyReusedError
from smsd.store.options import STOP_MENTION, option
from smsd.store.rows import Recipient
from smsd.store.scheduled import create_scheduled, with_mention
from smsd.store.walltime import wall
from smsd.webhooks.policy import UrlRefusedError, check_url

if TYPE_CHECKING:
    from aiohttp import web

    from smsd.store.idempotency import CommandKey, Recorder

__all__ = ["CALLBACK_FORMAT", "send"]

CALLBACK_FORMAT = "smspartner"
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


async def _commercial(request: web.Request, call: Call) -> bool | None:
    """The door's default unless the user's ``commercial`` setting decides (``None``)."""
    if "commercial" in await accounts.settings(request.app[DB], call.user.id):
        return None
    return request.app[CONFIG].smspartner.commercial


async def _check_credit(request: web.Request, call: Call, checked: SendRequest) -> None:
    if checked.sandbox:  # sandbox messages are never charged
        return
    mention = await option(request.app[DB], STOP_MENTION) if checked.stop_mention else ""
    text = with_mention(checked.text, mention) if checked.stop_mention else checked.text
    try:
        await quota.check_credit(
            request.app[DB],
            id_user=call.user.id,
            needed=credits_for(text) * len(checked.numbers),
            now=request.app[CLOCK](),
        )
    except quota.InsufficientCreditError as exc:
        raise PartnerError(
            11, f"Manque de crédits : {exc.needed} nécessaires, {exc.remaining} restants"
        ) from exc


def _key(request: web.Request, call: Call) -> CommandKey | None:
    try:
        return request_key(request, "smspartner.send", call.values)
    except KeyHeaderError as exc:
        raise PartnerError(9, errors=[FieldError(HEADER, str(exc))]) from exc


async def _store(
    request: web.Request,
    call: Call,
    checked: SendRequest,
    urls: tuple[str | None, str | None],
    record: Recorder,
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
            sandbox=checked.sandbox,
            commercial=await _commercial(request, call),
            sender=checked.sender,
            stop_mention=checked.stop_mention,
            record=record,
        )
    except InvalidValueError as exc:  # the core's rules (a sender it refuses …)
        field = "sender" if checked.sender and "sender" in str(exc) else "message"
        raise PartnerError(9, errors=[FieldError(field, str(exc))]) from exc
    except NotFoundError as exc:
        raise PartnerError(
            500, f"Problème lors de l'ajout du sms dans la file d'attente ({exc})"
        ) from exc


async def send(request: web.Request, call: Call) -> dict[str, object]:
    """Send (or schedule) one message to the numbers given."""
    db = request.app[DB]
    config = request.app[CONFIG].smspartner
    key = _key(request, call)
    checked = parse_send(
        call.values,
        region=config.default_region,
        now=_local_now(request),
        json_body=call.json_body,
        mention=await option(db, STOP_MENTION),
    )
    urls = _callbacks(request, call)

    async def create(record: Recorder) -> list[int]:
        await _check_credit(request, call, checked)
        return [await _store(request, call, checked, urls, record)]

    try:
        done = await run_once(request, id_user=call.user.id, key=key, create=create)
    except KeyReusedError as exc:
        raise PartnerError(9, errors=[FieldError(HEADER, str(exc))]) from exc
    id_scheduled = done.ids[0]
    if not done.replayed:
        request.app[WAKE]()
    prices = await billing(db)
    cost = Decimal(0) if checked.sandbox else prices.cost(checked.nb_sms)
    return {
        "message_id": id_scheduled,
        "nb_sms": checked.nb_sms,
        "cost": float(cost),
        "currency": prices.currency,
    }


send_route = partner_call(send)
