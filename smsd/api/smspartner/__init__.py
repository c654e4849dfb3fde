"""The SMSPartner-compatible door: ``/v1/send`` and the calls SMSPartner's clients make next.

A client written for ``https://api.smspartner.fr/v1/...`` works unchanged once pointed at
smsd: same paths, same parameters (``apiKey`` in the query or the body, JSON or form bodies,
``_format=xml``), same answers and error codes. The door parses, calls the core (the store's
scheduled messages, tracking and STOP list) and renders; it holds no business rule.

Modules: :mod:`.calls` (parameters, key, refusals), :mod:`.replies` (JSON/XML, error shapes and
HTTP statuses), :mod:`.sending` (``/v1/send``'s checks), :mod:`.send`, :mod:`.status`,
:mod:`.account`, :mod:`.unavailable` (the calls refused here). This module is the route table; the
handlers are imported by the door's first request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.api.idempotency import KEY_PARAM
from smsd.api.routing import Param, Route, lazy
from smsd.api.smspartner.unavailable import REFUSED, refused_name

if TYPE_CHECKING:
    from smsd.api.routing import Handler

__all__ = ["ROUTES"]

_TAG = "smspartner"
_PACKAGE = "smsd.api.smspartner"
_CALL = f"{_PACKAGE}.calls:partner_call"
_SEND = lazy(f"{_PACKAGE}.send:send_route", "send")
_FORMAT = Param("_format", "query", description="json (default) or xml")
_KEY = Param("apiKey", "query", required=True, description="the user's API key (query or body)")
_ID = Param("messageId", "query", "integer", required=True, description="message_id of /v1/send")

_SEND_FIELDS = (
    Param("apiKey", "form", required=True, description="the user's API key"),
    Param("phoneNumbers", "form", required=True, description="comma-separated, at most 500"),
    Param("message", "form", required=True, description=':br: line break, :euro: €, \\" for "'),
    Param(
        "sender", "form", description="3 to 11 letters or digits (stored; the SIM's number shows)"
    ),
    Param("tag", "form", description="at most 20 characters, lower case, no space"),
    Param("scheduledDeliveryDate", "form", description="dd/mm/YYYY (local time)"),
    Param("time", "form", "integer", description="0-24, required with a date"),
    Param("minute", "form", "integer", description="0-55 by fives, required with a date"),
    Param("urlDlr", "form", description="URL posted each recipient's delivery receipt"),
    Param("urlResponse", "form", description="URL posted the recipients' replies"),
    Param("webhookUrl", "form", description="as urlDlr (also a header)"),
    Param("isStopSms", "form", "integer", description="1: append the STOP mention"),
    Param("isUnicode", "form", "integer", description="1: count as Unicode (70 per SMS)"),
    Param("sandbox", "form", "integer", description="1: goes through every step but the modem"),
    Param("gamme", "form", "integer", description="1 premium, 2 low cost (one SMS at most)"),
    Param(
        "virtualNumber", "form", description="accepted, no effect: the SIM cards are the numbers"
    ),
    Param("_format", "form", description="json (default) or xml"),
)


def _route(method: str, path: str, target: str, summary: str, *params: Param) -> Route:
    handler = lazy(f"{_PACKAGE}.{target}", target.partition(":")[2], wrap=_CALL)
    return Route(method, path, handler, summary, (*params, _FORMAT), auth=False, tag=_TAG)


def _refused(path: str) -> Handler:
    return lazy(f"{_PACKAGE}.account:refused_handler", refused_name(path), args=(path,))


ROUTES: tuple[Route, ...] = (
    Route(
        "POST", "/v1/send", _SEND, "SMSPartner: send an SMS", (*_SEND_FIELDS, KEY_PARAM),
        auth=False, head=False, tag=_TAG,
    ),
    Route(
        "GET", "/v1/send", _SEND, "SMSPartner: send an SMS (parameters in the URL)",
        (*(Param(p.name, "query", p.kind, p.required, p.description) for p in _SEND_FIELDS),
         KEY_PARAM),
        auth=False, head=False, tag=_TAG,
        description="SMSPartner takes every call's parameters in the body or the URL; a HEAD "
        "request does not send.",
    ),
    _route("GET", "/v1/message-status", "status:message_status",
           "SMSPartner: status of one recipient",
           _KEY, _ID, Param("phoneNumber", "query", required=True)),
    _route("GET", "/v1/bulk-status", "status:bulk_status", "SMSPartner: statuses of a message",
           _KEY, _ID),
    _route("GET", "/v1/bulk-status-by-tag", "status:bulk_status_by_tag",
           "SMSPartner: statuses of the messages of a tag (the list of sent messages)",
           _KEY, Param("tag", "query", required=True), Param("page", "query", "integer")),
    _route("POST", "/v1/multi-status", "status:multi_status", "SMSPartner: statuses of pairs",
           Param("apiKey", "form", required=True),
           Param("SMSStatut_List", "form", "array", required=True,
                 description="[{phoneNumber, messageId}], at most 500")),
    _route("GET", "/v1/me", "account:me", "SMSPartner: account and credits", _KEY),
    _route("GET", "/v1/message-cancel", "account:message_cancel",
           "SMSPartner: cancel a scheduled send",
           _KEY, _ID),
    _route("GET", "/v1/stop-sms/list", "account:stop_list", "SMSPartner: the STOP list", _KEY),
    _route("POST", "/v1/stop-sms/add", "account:stop_add",
           "SMSPartner: add a number to the STOP list",
           Param("apiKey", "form", required=True), Param("phoneNumber", "form", required=True)),
    _route("GET", "/v1/stop-sms/delete", "account:stop_delete", "SMSPartner: remove a STOP entry",
           _KEY, Param("id", "query", "integer", required=True)),
    *(
        Route(method, path, _refused(path), "SMSPartner: not available here",
              (_KEY, _FORMAT), auth=False, head=False, tag=_TAG, description=reason)
        for path, reason in REFUSED.items()
        for method in ("GET", "POST")
    ),
)  # fmt: skip
"""Every route of the door, served at the root (and under ``[api] prefix``)."""
