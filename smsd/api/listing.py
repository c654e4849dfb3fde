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
from smsd.store.nested import as_dict, nested_rows

if TYPE_CHECKING:
    from aiohttp import web

    from smsd.store.db import Database

__all__ = ["ROUTES", "fetch_rows", "list_links"]

_ENTRY_TYPES = ", ".join(kind.value for kind in EntryType)


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
        as_dict(r)
        for r in await list_page(db, kind, id_user=id_user, page=page, after=after, before=before)
    ]
    ids = [int(str(r["id"])) for r in found]
    for name, nested in (await nested_rows(db, kind, ids)).items():
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
