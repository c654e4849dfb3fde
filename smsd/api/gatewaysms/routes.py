"""The ``/messages`` route table with each route's OpenAPI description (bearer token, JSON).

The handlers (:mod:`.handlers`) are imported by the door's first request.
"""

from __future__ import annotations

from smsd.api.idempotency import KEY_PARAM
from smsd.api.routing import Param, Route, lazy

__all__ = ["ROUTES"]

_TAG = "gatewaysms"
_HANDLERS = "smsd.api.gatewaysms.handlers"
_ENVELOPE: dict[str, object] = {
    "type": "object",
    "required": ["data", "success", "message", "error"],
    "properties": {
        "data": {"description": "the answer; on a 422 the refused fields and their reasons"},
        "success": {"type": "boolean"},
        "message": {"type": "string"},
        "credit": {
            "type": "string",
            "nullable": True,
            "description": "remaining credit (null: no quota)",
        },
        "error": {"type": "integer", "nullable": True, "description": "the HTTP status on error"},
    },
}
_JSON = {"application/json": {"schema": _ENVELOPE}}
_RECIPIENT = {
    "oneOf": [
        {"type": "string", "description": "+<country code>-<number>, or E.164"},
        {
            "type": "object",
            "required": ["number"],
            "properties": {
                "number": {"type": "string"},
                "fields": {"type": "object", "description": "values of the body's {{jokers}}"},
            },
        },
    ]
}
_OPTIONS = {
    "type": "object",
    "properties": {
        "transaction": {"type": "boolean", "description": "store, do not queue until closed"},
        "bulk": {"type": "boolean"},
        "flash": {"type": "boolean"},
        "realtime": {"type": "boolean"},
        "timestamp_send": {
            "oneOf": [{"type": "integer"}, {"type": "string"}],
            "description": "unix milliseconds, or YYYY-MM-DD [HH:MM:SS]",
        },
        "custom": {"description": "any value, shown back"},
    },
}
_RECIPIENTS = {"oneOf": [_RECIPIENT, {"type": "array", "items": _RECIPIENT}]}
_SEND_BODY: dict[str, object] = {
    "type": "object",
    "required": ["sender", "body", "recipients"],
    "properties": {
        "test": {"type": "boolean", "description": "simulated send: reaches no modem"},
        "sender": {"type": "string", "description": "3-11 letters and digits, or 3-14 digits"},
        "body": {"type": "string", "description": "text; {{field}} takes a recipient's field"},
        "recipients": _RECIPIENTS,
        "priority": {"type": "number", "minimum": 1, "description": "higher goes first"},
        "options": _OPTIONS,
        "transaction": {"type": "boolean"},
    },
}
_AMEND_BODY: dict[str, object] = {
    "type": "object",
    "properties": {
        "recipients": _RECIPIENTS,
        "transaction": {"type": "boolean", "description": "false closes the transaction"},
        "options": _OPTIONS,
    },
}


def _spec(ok: str, *errors: str, body: dict[str, object] | None = None) -> dict[str, object]:
    reasons = {
        "401": "missing or unknown bearer token",
        "402": "credit too short",
        "403": "suspended user",
        "404": "no such message",
        "406": "the message can no longer be changed or cancelled",
        "422": "invalid body (data names the fields)",
    }
    responses: dict[str, object] = {ok: {"description": "success", "content": _JSON}}
    for status in ("401", *errors):
        responses[status] = {"description": reasons[status], "content": _JSON}
    spec: dict[str, object] = {"security": [{"bearerAuth": []}], "responses": responses}
    if body is not None:
        spec["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return spec


_ID = Param("id", "path", description="message id (24 hex characters)")
_NUMBER = Param("number", "path", description="recipient number, +39-3491234567 or E.164")


def _route(  # noqa: PLR0917 - one line per route below
    method: str,
    path: str,
    handler: str,
    summary: str,
    params: tuple[Param, ...],
    spec: dict[str, object],
    success: int = 200,
) -> Route:
    return Route(
        method,
        path,
        lazy(f"{_HANDLERS}:{handler}", handler, wrap=f"{_HANDLERS}:gateway"),
        summary,
        params,
        auth=False,
        tag=_TAG,
        success_status=success,
        openapi=spec,
        head=method == "GET",
    )


ROUTES = (
    _route("GET", "/messages", "list_messages", "List messages (Gateway SMS)", (), _spec("200")),
    _route(
        "POST",
        "/messages",
        "post_message",
        "Send a message (Gateway SMS)",
        (KEY_PARAM,),
        _spec("201", "402", "422", body=_SEND_BODY),
        success=201,
    ),
    _route(
        "GET",
        "/messages/{id}",
        "get_message",
        "One message (Gateway SMS)",
        (_ID,),
        _spec("200", "404"),
    ),
    _route(
        "PUT",
        "/messages/{id}",
        "put_message",
        "Add recipients, close a transaction (Gateway SMS)",
        (_ID,),
        _spec("200", "402", "404", "406", "422", body=_AMEND_BODY),
    ),
    _route(
        "DELETE",
        "/messages/{id}",
        "delete_message",
        "Cancel what is not sent yet (Gateway SMS)",
        (_ID,),
        _spec("200", "404", "406"),
    ),
    _route(
        "GET",
        "/messages/{id}/recipients",
        "get_recipients",
        "A message's recipients (Gateway SMS)",
        (_ID,),
        _spec("200", "404"),
    ),
    _route(
        "GET",
        "/messages/{id}/recipients/{number}",
        "get_recipient",
        "One recipient of a message (Gateway SMS)",
        (_ID, _NUMBER),
        _spec("200", "404"),
    ),
)
