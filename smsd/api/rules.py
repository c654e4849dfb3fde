"""Incoming rules over the API (our extension, in RaspiSMS's envelope).

- ``POST /api/rule/`` creates a rule of the calling user from the configuration file's keys
  (``keyword``, ``match``, ``from``, ``phone``, ``reply``, ``forward_to``, ``email``,
  ``webhook``, ``mark_read``, ``window``, ``continue``) plus ``position`` (rules are tried by
  position, after those of the configuration file): 201 with the new id. Lists are given as
  PHP arrays (``from[]=+336*``), a JSON body, or comma-separated text.
- ``GET /api/rule/`` lists the user's rules in the order they are tried, each with its
  ``source`` (``config`` or ``api``) and its ``definition``.
- ``DELETE /api/rule/{id}/`` deletes one created over the API: 204, or error 32 (none, or one
  of the configuration file's).

A bad rule is error 2 naming the key; the checks are :func:`smsd.matching.make_rule`'s, the
same as the configuration file's, plus the webhook address rules of ``[webhooks]``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.params import read_params
from smsd.api.replies import no_content, success
from smsd.api.state import DB, user_of
from smsd.api.webhooks import url_policy
from smsd.matching import RULE_KEYS, RuleError, definition_of, rule_from_definition
from smsd.phpvalues import php_bool, php_int
from smsd.store import rules as store
from smsd.webhooks.policy import UrlRefusedError, check_url

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["create_rule", "delete_rule", "list_rules"]

_LISTS = ("from", "forward_to")
_FLAGS = ("mark_read", "continue")


def _list(value: object) -> list[object]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return [value]


def _value(key: str, value: object) -> object:
    if key in _LISTS:
        return _list(value)
    if key in _FLAGS:
        return value if isinstance(value, bool) else php_bool(value)
    if key == "window" and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


async def create_rule(request: web.Request) -> web.Response:
    """Create a rule of the calling user."""
    form = (await read_params(request)).form
    definition = {
        key: _value(key, form[key]) for key in RULE_KEYS if key in form and form[key] != ""
    }
    try:
        rule = rule_from_definition(definition)
    except RuleError as exc:
        raise ApiError(ErrorCode.INVALID_PARAMETER, f" {exc.field} : {exc.reason}.") from exc
    if rule.reply is not None and any(mark in rule.reply for mark in ("{{", "{%", "{#")):
        # Jinja2 is loaded by the first template, not at start (as smsd.templating.messages does).
        from smsd.templating import TemplateError, compile_template  # noqa: PLC0415

        try:
            compile_template(rule.reply)
        except TemplateError as exc:
            raise ApiError(ErrorCode.INVALID_PARAMETER, f" reply : {exc}.") from exc
    if rule.webhook is not None:
        try:
            check_url(rule.webhook, url_policy(request))
        except UrlRefusedError as exc:
            raise ApiError(ErrorCode.INVALID_PARAMETER, f" webhook : {exc}.") from exc
    position = php_int(form.get("position", 0))
    new_id = await store.create_rule(
        request.app[DB],
        id_user=user_of(request).id,
        definition=json.dumps(definition_of(rule)),
        position=position,
    )
    return success(request, new_id)


async def list_rules(request: web.Request) -> web.Response:
    """The user's rules in the order they are tried."""
    found = await store.list_rules(request.app[DB], id_user=user_of(request).id)
    rows = [
        {
            "id": row.id,
            "source": row.source,
            "position": row.position,
            "definition": json.loads(row.definition),
            "created_at": row.created_at,
        }
        for row in found
    ]
    return success(request, rows)


async def delete_rule(request: web.Request) -> web.Response:
    """Delete a rule created over the API."""
    id_rule = php_int(request.match_info["id"])
    if not await store.delete_rule(request.app[DB], id_user=user_of(request).id, id_rule=id_rule):
        raise ApiError(ErrorCode.CANNOT_DELETE)
    return no_content()
