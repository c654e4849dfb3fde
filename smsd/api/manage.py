"""The RaspiSMS door's management routes: their table here, their handlers loaded on first use.

Contacts, groups and received status (:mod:`smsd.api.admin`), usage and delivery statistics
(:mod:`smsd.api.stats`), phones (:mod:`smsd.api.phones`), quotas, SMS STOP and settings
(:mod:`smsd.api.features`) and incoming rules (:mod:`smsd.api.rules`) are declared here with
their paths, parameters and OpenAPI fields, and each handler is :func:`~smsd.api.routing.lazy`:
its module (and the store modules only it uses) is imported by the first request of one of its
routes. A daemon that only sends and receives never loads them.
"""

from __future__ import annotations

from smsd.api.routing import Handler, Param, Route, lazy

__all__ = [
    "ADMIN_ROUTES",
    "FEATURE_ROUTES",
    "PHONE_ROUTES",
    "RULE_ROUTES",
    "SETTINGS",
    "STATS_ROUTES",
]

SETTINGS = {
    "commercial": "0",
    "quiet_hours": "",
    "smsstop": "1",
    "smsstop_respond": "1",
}
"""The settings of ``/api/setting`` and their defaults (``quiet_hours`` empty: the configured
rule)."""


def _handler(module: str, name: str) -> Handler:
    """Handler ``name`` of :mod:`smsd.api.<module>`, imported by its first request."""
    return lazy(f"smsd.api.{module}:{name}", name)


# ---------------------------------------------------------------------- contacts and groups

_ADMIN_ID = Param("id", "path", "integer", required=True)


def _admin_crud(
    path: str,
    what: str,
    fields: tuple[Param, ...],
    handlers: tuple[Handler, Handler, Handler],
) -> tuple[Route, ...]:
    create, update, delete = handlers
    optional = tuple(Param(p.name, p.location, p.kind, description=p.description) for p in fields)
    return (
        Route("POST", path, create, f"Create a {what}", fields, tag="admin", success_status=201),
        Route(
            "POST",
            f"{path}/{{id}}",
            update,
            f"Update a {what} (absent fields are kept)",
            (_ADMIN_ID, *optional),
            tag="admin",
            success_status=201,
        ),
        Route(
            "DELETE",
            f"{path}/{{id}}",
            delete,
            f"Delete a {what}",
            (_ADMIN_ID,),
            tag="admin",
            success_status=204,
        ),
    )


_CONTACT_NAME = Param("name", "form", required=True)

ADMIN_ROUTES: tuple[Route, ...] = (
    *_admin_crud(
        "/api/contact",
        "contact",
        (
            _CONTACT_NAME,
            Param("number", "form", required=True, description="international number"),
            Param("data", "form", description="JSON text: template variables, condition inputs"),
        ),
        (
            _handler("admin", "create_contact"),
            _handler("admin", "update_contact"),
            _handler("admin", "delete_contact"),
        ),
    ),
    *_admin_crud(
        "/api/group",
        "group",
        (_CONTACT_NAME, Param("contacts", "form", "array", description="contact ids (replace)")),
        (
            _handler("admin", "create_group"),
            _handler("admin", "update_group"),
            _handler("admin", "delete_group"),
        ),
    ),
    *_admin_crud(
        "/api/conditional_group",
        "conditional group",
        (
            _CONTACT_NAME,
            Param("condition", "form", required=True, description="RaspiSMS condition"),
        ),
        (
            _handler("admin", "create_conditional_group"),
            _handler("admin", "update_conditional_group"),
            _handler("admin", "delete_conditional_group"),
        ),
    ),
    *_admin_crud(
        "/api/phone_group",
        "phone group",
        (
            Param("name", "form", required=True, description="unique among the phone groups"),
            Param("phones", "form", "array", description="phone ids (replace)"),
        ),
        (
            _handler("admin", "create_phone_group"),
            _handler("admin", "update_phone_group"),
            _handler("admin", "delete_phone_group"),
        ),
    ),
    Route(
        "POST",
        "/api/received/{id}/status",
        _handler("admin", "set_received_status"),
        "Mark a received message read or unread",
        (_ADMIN_ID, Param("status", "form", required=True, description="read or unread")),
        tag="admin",
        success_status=201,
    ),
)


# ---------------------------------------------------------------------- statistics

_DATE = "Y-m-d H:i:s, server local time"
_INVALID_PARAMS = (
    Param("volume", "query", "integer", required=True, description="minimum messages sent"),
    Param("percent_failed", "query", "number", required=True, description="0-100"),
    Param("percent_unknown", "query", "number", required=True, description="0-100"),
)
STATS_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/usage",
        _handler("stats", "usage"),
        "Messages sent per phone",
        (
            Param("start", "query", description=_DATE),
            Param("end", "query", description=_DATE + ", inclusive"),
            Param("tag", "query", description="SQL LIKE pattern (% and _ are wildcards)"),
        ),
    ),
    Route(
        "GET",
        "/api/stats/sms-status",
        _handler("stats", "sms_status"),
        "Sent messages per day, phone and status",
        (
            Param("start", "query", required=True, description="a PHP date string"),
            Param("end", "query", required=True, description="a PHP date string, inclusive"),
            Param("id_phone", "query", "integer"),
        ),
    ),
    Route(
        "GET",
        "/api/invalid_number",
        _handler("stats", "invalid_numbers"),
        "Numbers whose messages often fail",
        _INVALID_PARAMS,
    ),
    Route(
        "GET",
        "/api/invalid_number/{page}",
        _handler("stats", "invalid_numbers_page"),
        "Numbers whose messages often fail, page by page",
        (Param("page", "path", "integer", required=True), *_INVALID_PARAMS),
    ),
)


# ---------------------------------------------------------------------- phones

_PHONE_ID = Param("id", "path", "integer", required=True, description="phone id")
_PHONE_FIELDS = (
    Param("name", "form", description="unique among the user's phones"),
    Param(
        "adapter",
        "form",
        description="adapters\\TestAdapter, adapters\\SerialModemAdapter or adapters\\GammuAdapter",
    ),
    Param(
        "adapter_data",
        "form",
        "object",
        description="device, baudrate, pin (serial); config_file, pin (gammu)",
    ),
    Param("priority", "form", "integer", description="higher first; negative means 0"),
    Param("limits", "form", "array", description="[{volume, startpoint}]; invalid ones dropped"),
)

PHONE_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/phone",
        _handler("phones", "create_phone"),
        "Create a phone and start its modem",
        tuple(
            Param(p.name, p.location, p.kind, required=True, description=p.description)
            if p.name in {"name", "adapter"}
            else p
            for p in _PHONE_FIELDS
        ),
        success_status=201,
    ),
    Route(
        "POST",
        "/api/phone/{id}",
        _handler("phones", "update_phone"),
        "Update a phone (absent fields are kept) and restart its modem",
        (_PHONE_ID, *_PHONE_FIELDS),
        success_status=201,
    ),
    Route(
        "DELETE",
        "/api/phone/{id}",
        _handler("phones", "delete_phone"),
        "Delete a phone and stop its modem",
        (_PHONE_ID,),
        success_status=204,
    ),
    Route(
        "POST",
        "/api/phone/{id}/status",
        _handler("phones", "check_phone_status"),
        "Re-check a phone's status now",
        (_PHONE_ID,),
        success_status=201,
    ),
    Route(
        "POST",
        "/api/phone/{id}/status/force",
        _handler("phones", "force_phone_status"),
        "Enable or disable a phone by hand",
        (_PHONE_ID, Param("status", "form", required=True, description="available or disabled")),
        success_status=201,
    ),
)


# ---------------------------------------------------------------------- quotas, SMS STOP, settings

_USER_ID = Param("id", "path", "integer", required=True, description="the user's id")
_QUOTA_FIELDS = (
    _USER_ID,
    Param("credit", "form", "integer", required=True, description="credits per period"),
    Param("additional", "form", "integer", description="extra credits of this period"),
    Param("renewal", "form", description="daily, weekly, monthly (default) or yearly"),
    Param("start", "form", description='period start "Y-m-d H:i:s" (default now)'),
    Param("auto_renew", "form", "boolean", description="renew at the end of a period (1)"),
    Param("report_unused", "form", "boolean", description="carry unused credit over (0)"),
    Param("report_unused_additional", "form", "boolean", description="keep unused additional (1)"),
    Param("reset", "form", "boolean", description="start a new period now, nothing consumed"),
)

FEATURE_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/quota",
        _handler("features", "get_own_quota"),
        "The caller's credit quota and segment price",
        tag="quota",
    ),
    Route(
        "GET",
        "/api/user/{id}/quota",
        _handler("features", "get_user_quota"),
        "A user's quota (administrators)",
        (_USER_ID,),
        tag="quota",
    ),
    Route(
        "POST",
        "/api/user/{id}/quota",
        _handler("features", "set_user_quota"),
        "Set a user's quota (administrators)",
        _QUOTA_FIELDS,
        tag="quota",
        success_status=201,
    ),
    Route(
        "DELETE",
        "/api/user/{id}/quota",
        _handler("features", "delete_user_quota"),
        "Remove a user's quota (administrators)",
        (_USER_ID,),
        tag="quota",
        success_status=204,
    ),
    Route(
        "GET",
        "/api/smsstop",
        _handler("features", "list_stops"),
        "The caller's SMS STOP list",
        (Param("after", "query", "integer", description="entries after this id"),),
        tag="smsstop",
    ),
    Route(
        "POST",
        "/api/smsstop",
        _handler("features", "add_stop"),
        "Add a number to the SMS STOP list",
        (Param("number", "form", required=True, description="international number"),),
        tag="smsstop",
        success_status=201,
    ),
    Route(
        "DELETE",
        "/api/smsstop/{id}",
        _handler("features", "delete_stop"),
        "Remove an SMS STOP entry",
        (Param("id", "path", "integer", required=True),),
        tag="smsstop",
        success_status=204,
    ),
    Route(
        "GET",
        "/api/setting",
        _handler("features", "get_settings"),
        "The caller's feature settings",
        tag="settings",
    ),
    Route(
        "POST",
        "/api/setting/{name}",
        _handler("features", "set_setting"),
        "Change a feature setting",
        (
            Param("name", "path", required=True, description=", ".join(SETTINGS)),
            Param("value", "form", required=True, description="0, 1 (quiet_hours: or HH:MM-HH:MM)"),
        ),
        tag="settings",
        success_status=201,
    ),
)


# ---------------------------------------------------------------------- incoming rules

_RULE_FIELDS = (
    Param("keyword", "form", description="first word of the text, any case"),
    Param("match", "form", description="regular expression searched in the text"),
    Param("from", "form", description="numbers, prefixes (+336*) or group:<name>"),
    Param("phone", "form", description="name of the phone the message came in on"),
    Param("reply", "form", description="auto-reply template ({{ contact.name }})"),
    Param("forward_to", "form", description="numbers the message is forwarded to by SMS"),
    Param("email", "form", description="address the message is mailed to"),
    Param("webhook", "form", description="URL posted RaspiSMS's receive_sms body"),
    Param("mark_read", "form", "boolean", description="mark the message read"),
    Param("window", "form", "number", description="seconds between two replies to a sender"),
    Param("continue", "form", "boolean", description="try the next rules too"),
    Param("position", "form", "integer", description="order among the API rules"),
)

RULE_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/rule",
        _handler("rules", "create_rule"),
        "Create an incoming rule",
        _RULE_FIELDS,
        tag="rules",
        success_status=201,
    ),
    Route(
        "GET",
        "/api/rule",
        _handler("rules", "list_rules"),
        "List the user's incoming rules",
        tag="rules",
    ),
    Route(
        "DELETE",
        "/api/rule/{id}",
        _handler("rules", "delete_rule"),
        "Delete an incoming rule created over the API",
        (Param("id", "path", "integer", required=True),),
        tag="rules",
        success_status=204,
    ),
)
