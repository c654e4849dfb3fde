"""Events posted to a message's ``urlDlr`` / ``urlResponse`` in SMSPartner's shape.

A message sent through the SMSPartner door (``callback_format = 'smspartner'``) has its
per-message URLs called the way SMSPartner calls them, as ``application/x-www-form-urlencoded``
POSTs:

- ``urlDlr``, for each recipient, when its message leaves the queue and when its status report
  comes back: ``messageId`` (the ``message_id`` ``/v1/send`` answered), ``phoneNumber``,
  ``status`` (``Delivered``, ``Not delivered`` or ``Waiting``, the statuses of SMSPartner's
  status calls), ``stat`` (the operator code SMSPartner's error page lists: ``DELIVRD``,
  ``UNDELIV``, ``ENROUTE``), ``date`` (unix seconds of the event);
- ``urlResponse``, for each reply: the fields of SMSPartner's reply page, ``msisdn`` (who
  answered, international without ``+``), ``to``, ``messageId`` (the reply's id),
  ``text``, ``type`` (``text``), ``keyword`` (the first word), ``message-timestamp``.

SMSPartner documents the reply fields; its pages do not spell the receipt's, so the receipt
carries the names its status calls use. The ``X-Smsd-*`` headers (event id, timestamp,
signature) are added as for every delivery (:mod:`smsd.webhooks.payload`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from smsd.webhooks.payload import (
    CONTENT_TYPE,
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Delivery,
    form_encode,
    smsd_signature,
)

if TYPE_CHECKING:
    from smsd.store.webhooks import EventRow

__all__ = ["FORMAT", "build_smspartner_delivery"]

FORMAT = "smspartner"
_STATUS = {"delivered": ("Delivered", "DELIVRD"), "failed": ("Not delivered", "UNDELIV")}
_WAITING = ("Waiting", "ENROUTE")


def _receipt(event: EventRow, body: dict[str, object]) -> list[tuple[str, str]]:
    status, stat = _STATUS.get(str(body.get("status")), _WAITING)
    return [
        ("messageId", "" if event.id_scheduled is None else str(event.id_scheduled)),
        ("phoneNumber", event.destination or str(body.get("destination") or "")),
        ("status", status),
        ("stat", stat),
        ("date", str(event.timestamp)),
    ]


def _reply(body: dict[str, object]) -> list[tuple[str, str]]:
    text = str(body.get("text") or "")
    words = text.split()
    return [
        ("msisdn", str(body.get("origin") or "").removeprefix("+")),
        ("to", ""),
        ("messageId", str(body.get("id") or "")),
        ("text", text),
        ("type", "text"),
        ("keyword", words[0] if words else ""),
        ("message-timestamp", str(body.get("at") or "")),
    ]


def build_smspartner_delivery(event: EventRow, secret: str, now: int) -> Delivery:
    """The request for one attempt at ``event`` in SMSPartner's shape (``now``: unix seconds)."""
    body = json.loads(event.body)
    if not isinstance(body, dict):
        raise ValueError("event body is not an object")  # noqa: TRY004 - the sender counts a bad body as ValueError
    fields = _reply(body) if event.type == "receive_sms" else _receipt(event, body)
    encoded = form_encode(fields)
    headers = {
        "Content-Type": CONTENT_TYPE,
        EVENT_ID_HEADER: str(event.id),
        TIMESTAMP_HEADER: str(now),
    }
    if secret:
        headers[SIGNATURE_HEADER] = smsd_signature(secret, now, encoded)
    return Delivery(encoded, headers)
