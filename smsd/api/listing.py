"""``GET /api/list/{entry_type}/`` and its page, ``after`` and ``before`` forms (contract §4.1).

Rows are the user's own, ascending by id, 25 at a time, with RaspiSMS's columns and nested lists:
``medias`` for sended, received and scheduled; ``numbers``, ``contacts``, ``groups``,
``conditional_groups`` for scheduled; ``contacts`` for a group; ``phones`` for a phone group.
Integers are JSON numbers, datetimes ``YYYY-MM-DD HH:MM:SS`` strings and JSON columns (``data``,
``adapter_data``) strings, as RaspiSMS on PHP 8.1 and later.

``next`` is given when the page is full or when a ``before`` page is not empty; ``prev`` when the
page number is above 0 or when an ``after``/``before`` page is not empty. Both are RaspiSMS's
``after``/``before`` links carrying the user's key in the query, built on :func:`base_url`.

Intentional differences: ``phone_group`` pages in the ``after``/``before`` forms work (RaspiSMS
fails them with an SQL error); an empty page above 0 gets no ``prev`` (RaspiSMS gives a broken
``…/before//`` link); a negative page number is error 2 (RaspiSMS fails in SQL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.forms import php_int
from smsd.api.replies import success
from smsd.api.routing import Param, Route, base_url
from smsd.api.state import DB, user_of
from smsd.store.listing import PAGE_SIZE, EntryType, list_page

if TYPE_CHECKING:
    import sqlite3

    from aiohttp import web

    from smsd.store.db import Database

__all__ = ["ROUTES", "fetch_rows", "list_links"]

_ENTRY_TYPES = ", ".join(kind.value for kind in EntryType)
_MEDIA = "m.id, m.id_user, m.path"
_CONTACT = "c.id, c.id_user, c.name, c.number, c.data, c.created_at, c.updated_at"
_PHONE = (
    "p.id, p.id_user, p.adapter, p.adapter_data, p.name, p.priority, p.created_at, "
    "p.updated_at, p.status, "
    "(SELECT b.amount FROM phone_balance AS b WHERE b.id_phone = p.id) AS balance"
)


def _through(owner: str, link: str, columns: str, table: str, alias: str, target: str) -> str:  # noqa: PLR0917 - reads as the SQL it builds
    """SQL selecting ``owner`` then a nested row's columns, through a link table."""
    return (
        f"SELECT t.{owner} AS owner, {columns} FROM {link} AS t "  # noqa: S608 - identifiers are constants; "{ids}" becomes bound placeholders
        f"JOIN {table} AS {alias} ON {alias}.id = t.{target} "
        f"WHERE t.{owner} IN ({{ids}}) ORDER BY t.id"
    )


_NUMBERS = (
    "SELECT id_scheduled AS owner, id, id_scheduled, number, data, created_at, updated_at "
    "FROM scheduled_number WHERE id_scheduled IN ({ids}) ORDER BY id"
)
_GROUP = "g.id, g.id_user, g.name, g.created_at, g.updated_at"
_CONDITIONAL = "g.id, g.id_user, g.name, g.condition, g.created_at, g.updated_at"
# nested list name -> SQL selecting "owner" (the listed row's id) then the nested row's columns,
# with "{ids}" standing for the listed ids' placeholders.
_NESTED: dict[EntryType, tuple[tuple[str, str], ...]] = {
    EntryType.SENDED: (
        ("medias", _through("id_sended", "sended_media", _MEDIA, "media", "m", "id_media")),
    ),
    EntryType.RECEIVED: (
        ("medias", _through("id_received", "received_media", _MEDIA, "media", "m", "id_media")),
    ),
    EntryType.SCHEDULED: (
        ("numbers", _NUMBERS),
        ("contacts", _through("id_scheduled", "scheduled_contact", _CONTACT, "contact", "c",
                              "id_contact")),
        ("groups", _through("id_scheduled", "scheduled_group", _GROUP, '"group"', "g",
                            "id_group")),
        ("conditional_groups", _through("id_scheduled", "scheduled_conditional_group",
                                        _CONDITIONAL, "conditional_group", "g",
                                        "id_conditional_group")),
        ("medias", _through("id_scheduled", "scheduled_media", _MEDIA, "media", "m",
                            "id_media")),
    ),
    EntryType.GROUP: (
        ("contacts", _through("id_group", "group_contact", _CONTACT, "contact", "c",
                              "id_contact")),
    ),
    EntryType.PHONE_GROUP: (
        ("phones", _through("id_phone_group", "phone_group_phone", _PHONE, "phone", "p",
                            "id_phone")),
    ),
}  # fmt: skip


def _as_dict(found: sqlite3.Row, *, skip: str | None = None) -> dict[str, object]:
    return {key: found[key] for key in found.keys() if key != skip}  # noqa: SIM118 - sqlite3.Row


async def fetch_rows(
    db: Database,
    kind: EntryType,
    *,
    id_user: int,
    page: int = 0,
    after: int | None = None,
    before: int | None = None,
) -> list[dict[str, object]]:
    """One page of ``kind`` rows of ``id_user`` as API rows, nested lists attached."""
    found = [
        _as_dict(r)
        for r in await list_page(db, kind, id_user=id_user, page=page, after=after, before=before)
    ]
    ids = [int(str(r["id"])) for r in found]
    for name, sql in _NESTED.get(kind, ()):
        nested: dict[int, list[dict[str, object]]] = {i: [] for i in ids}
        if ids:
            query = sql.format(ids=", ".join("?" * len(ids)))
            for r in await db.fetchall(query, ids):
                nested[int(r["owner"])].append(_as_dict(r, skip="owner"))
        for item in found:
            item[name] = nested[int(str(item["id"]))]
    return found


def list_links(
    base: str,
    entry_type: str,
    api_key: str,
    rows: list[dict[str, object]],
    *,
    page: int,
    after: int | None,
    before: int | None,
) -> tuple[str | None, str | None]:
    """RaspiSMS's ``next`` and ``prev`` links for a page of ``rows``."""
    key = quote(api_key, safe="")
    stem = f"{base}/api/list/{entry_type}"
    next_url = prev_url = None
    if rows and (len(rows) >= PAGE_SIZE or before is not None):
        next_url = f"{stem}/after/{rows[-1]['id']}/?api_key={key}"
    if rows and (page > 0 or bool(after) or bool(before)):
        prev_url = f"{stem}/before/{rows[0]['id']}/?api_key={key}"
    return next_url, prev_url


async def _respond(
    request: web.Request, *, page: int = 0, after: int | None = None, before: int | None = None
) -> web.Response:
    entry_type = request.match_info["entry_type"]
    try:
        kind = EntryType(entry_type)
    except ValueError as exc:
        raise ApiError(
            ErrorCode.INVALID_PARAMETER, f"entry_type must be one of : {_ENTRY_TYPES}."
        ) from exc
    if page < 0:
        raise ApiError(ErrorCode.INVALID_PARAMETER, "page must be a positive integer.")
    user = user_of(request)
    rows = await fetch_rows(
        request.app[DB], kind, id_user=user.id, page=page, after=after, before=before
    )
    next_url, prev_url = list_links(
        base_url(request), kind.value, user.api_key, rows, page=page, after=after, before=before
    )
    return success(request, rows, next_url=next_url, prev_url=prev_url)


async def list_entries(request: web.Request) -> web.Response:
    """Page 0 of the user's entries of one type."""
    return await _respond(request)


async def list_entries_page(request: web.Request) -> web.Response:
    """Page ``page`` (offset 25 * page) of the user's entries of one type."""
    return await _respond(request, page=php_int(request.match_info["page"]))


async def list_entries_after(request: web.Request) -> web.Response:
    """The 25 entries following ``id``."""
    return await _respond(request, after=php_int(request.match_info["id"]))


async def list_entries_before(request: web.Request) -> web.Response:
    """The 25 entries preceding ``id`` (still ascending)."""
    return await _respond(request, before=php_int(request.match_info["id"]))


_TYPE = Param("entry_type", "path", required=True, description=f"one of: {_ENTRY_TYPES}")
ROUTES = (
    Route("GET", "/api/list/{entry_type}", list_entries, "List entries (page 0)", (_TYPE,)),
    Route(
        "GET",
        "/api/list/{entry_type}/after/{id}",
        list_entries_after,
        "List the 25 entries after an id",
        (_TYPE, Param("id", "path", "integer", required=True)),
    ),
    Route(
        "GET",
        "/api/list/{entry_type}/before/{id}",
        list_entries_before,
        "List the 25 entries before an id",
        (_TYPE, Param("id", "path", "integer", required=True)),
    ),
    Route(
        "GET",
        "/api/list/{entry_type}/{page}",
        list_entries_page,
        "List entries, page by page (25 per page)",
        (_TYPE, Param("page", "path", "integer", required=True)),
    ),
)
