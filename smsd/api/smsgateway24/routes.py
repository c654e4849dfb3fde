"""The door's route table: every endpoint of the seed, under ``/getdata/``, by GET and POST.

Routes authenticate themselves (a ``token``, or ``email`` and ``pass``), so the table's API-key
check is off for them; every handler runs inside :func:`~smsd.api.smsgateway24.answers.guarded`.
A route that sends or stores answers GET but not HEAD (a HEAD or a link prefetch must not send).
The handlers (``module:function`` below) are imported by the door's first request.
"""

from __future__ import annotations

from smsd.api.idempotency import KEY_PARAM
from smsd.api.routing import Param, Route, lazy

__all__ = ["TAG", "routes"]

TAG = "smsgateway24"
_PACKAGE = "smsd.api.smsgateway24"
_GUARDED = f"{_PACKAGE}.answers:guarded"

_TOKEN = Param("token", "query", required=True, description="from gettoken, or the API key")
_LOGIN = (
    Param("email", "query", required=True, description="the user's e-mail address"),
    Param("pass", "query", required=True, description="its password (smsd user passwd)"),
)
_SMS = (
    Param("sendto", "query", required=True, description="number(s), any characters, commas"),
    Param("body", "query", required=True, description="message text"),
    Param("device_id", "query", "integer", required=True, description="a device (modem) id"),
    Param("sim", "query", "integer", description="SIM slot: 0 (a modem has one SIM)"),
    Param("timetosend", "query", description="YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, local time"),
    Param("customerid", "query", "integer", description="your own id, kept and returned"),
    Param("urgent", "query", "integer", description="1: ahead of the queue (OTP)"),
)
_ALL_SMS = (
    _TOKEN,
    Param("device_id", "query", "integer", description="only this device"),
    Param("status", "query", "integer", description="only this status code"),
    Param("begindate", "query", description="accepted or received from (included)"),
    Param("enddate", "query", description="accepted or received until (included)"),
    Param("sim", "query", "integer", description="SIM slot 0 or 1"),
    Param("customerid", "query", "integer", description="only this customer id"),
    Param("onlycount", "query", "integer", description="1: only the count"),
    Param("phone", "query", description="only this number (the other party)"),
    Param("orderbydesc", "query", "integer", description="1: newest first"),
    Param("timezone", "query", description="IANA zone of dates, e.g. Europe/Paris"),
)

_ANSWER = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "integer", "enum": [0, 1], "description": "1: refused"},
        "message": {"type": "string", "description": "OK, or the refusal naming the parameter"},
    },
}
_OPENAPI: dict[str, object] = {
    "responses": {
        "200": {
            "description": "HTTP 200 whatever the outcome: error 0 with the answer's fields, or "
            "error 1 and the message",
            "content": {"application/json": {"schema": _ANSWER}},
        }
    }
}
"""The provider's answer shape, instead of the RaspiSMS envelope, in the OpenAPI document."""

_ENDPOINTS: tuple[tuple[str, str, str, tuple[Param, ...], bool], ...] = (
    ("gettoken", "tokens:get_token", "Get a session token", _LOGIN, False),
    ("addsms", "sending:add_sms", "Send an SMS with a token", (_TOKEN, *_SMS, KEY_PARAM), False),
    (
        "smstosend",
        "sending:sms_to_send",
        "Send an SMS with e-mail and password",
        (*_LOGIN, *_SMS, KEY_PARAM),
        False,
    ),
    (
        "addalotofsms",
        "sending:add_a_lot_of_sms",
        "Send many SMS, all stored or none",
        (
            Param("datajson", "query", required=True, description='{"token":…,"smsdata":[…]}'),
            KEY_PARAM,
        ),
        False,
    ),
    ("getallsms", "messages:get_all_sms", "List sent and received SMS", _ALL_SMS, True),
    (
        "getsmsstatus",
        "messages:get_sms_status",
        "Status of one SMS",
        (_TOKEN, Param("sms_id", "query", "integer", required=True)),
        True,
    ),
    ("getalldevices", "devices:get_all_devices", "List devices (modems) and SIMs", (_TOKEN,), True),
    (
        "savetag",
        "lists:save_tag",
        "Create a contact list (tag)",
        (_TOKEN, Param("title", "query", required=True)),
        False,
    ),
    (
        "savecontact",
        "lists:save_contact",
        "Add a contact to a contact list",
        (
            _TOKEN,
            Param("phone", "query", required=True),
            Param("ctag_id", "query", "integer", required=True, description="tag id"),
            Param("fullname", "query", required=True),
        ),
        False,
    ),
    (
        "savepaket",
        "lists:save_paket",
        "Create a newsletter to contact lists",
        (
            _TOKEN,
            Param("title", "query", required=True),
            Param("device_id", "query", "integer", required=True),
            Param("body", "query", required=True),
            Param("tags", "query", required=True, description="tag ids, commas"),
            Param("sim", "query", "integer", description="SIM slot 0"),
            Param("time_to_send", "query", description="DD.MM.YYYY H:i:s; 0: now"),
            KEY_PARAM,
        ),
        False,
    ),
)


def routes() -> list[Route]:
    """Every endpoint, by GET and POST (parameters in the query, a form or a JSON body)."""
    return [
        Route(
            method,
            f"/getdata/{name}",
            lazy(f"{_PACKAGE}.{handler}", handler.partition(":")[2], wrap=_GUARDED),
            summary,
            params,
            auth=False,
            head=safe,
            tag=TAG,
            openapi=_OPENAPI,
        )
        for name, handler, summary, params, safe in _ENDPOINTS
        for method in ("GET", "POST")
    ]
