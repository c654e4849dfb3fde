"""Paged lists of one user's rows, as ``/api/list/<entry_type>`` serves them.

Rows come ascending by id, ``limit`` (25) at a time, in three forms: page ``n`` (offset
``25 * n``), ``after`` an id (``id > after``), ``before`` an id (the ``limit`` rows just below it,
still ascending). Columns are RaspiSMS's, in its order, plus ``nb_contact`` / ``nb_phone`` for
groups. Every form walks the table's ``(id_user, id)`` index; the page form first picks the ids
from that index alone (no table row is read for the skipped ones), which keeps a deep page of a
large table cheap.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from smsd.store.db import page_offset
from smsd.store.errors import InvalidValueError

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.db import Database

PAGE_SIZE = 25


class EntryType(enum.Enum):
    """The listable entry types (the ``entry_type`` path segment)."""

    SENDED = "sended"
    RECEIVED = "received"
    SCHEDULED = "scheduled"
    CONTACT = "contact"
    GROUP = "group"
    CONDITIONAL_GROUP = "conditional_group"
    PHONE = "phone"
    PHONE_GROUP = "phone_group"
    MEDIA = "media"
    USSD = "ussd"


_NB_CONTACT = (
    '(SELECT count(*) FROM group_contact AS m WHERE m.id_group = "group".id) AS nb_contact'
)
_NB_PHONE = (
    "(SELECT count(*) FROM phone_group_phone AS m WHERE m.id_phone_group = phone_group.id) "
    "AS nb_phone"
)
_STAMPS = ("created_at", "updated_at")
# smsd's columns after RaspiSMS's: sandbox marker, sender name asked for, failure reason; for a
# scheduled message also commercial, and the quiet-hours deferral (local wall time) and reason.
_SENDED_EXTRA = ("sandbox", "sender", "reason")
_SCHEDULED_EXTRA = (
    "sandbox",
    "commercial",
    "sender",
    (
        "CASE WHEN deferred_to IS NULL THEN NULL "
        "ELSE datetime(deferred_to, 'unixepoch', 'localtime') END AS deferred_to"
    ),
    "deferred_reason",
)
# smsd's extension: the SIM balance the balance watch last read (NULL when never read).
_BALANCE = "(SELECT b.amount FROM phone_balance AS b WHERE b.id_phone = phone.id) AS balance"

# table, columns (RaspiSMS's order), extra filter (it must repeat the partial index's predicate)
_SHAPES: dict[EntryType, tuple[str, tuple[str, ...], str]] = {
    EntryType.SENDED: (
        "sended",
        ("id", "at", "text", "destination", "flash", "status", "uid", "adapter", "id_user",
         "id_phone", "mms", "originating_scheduled", *_STAMPS, "tag", *_SENDED_EXTRA),
        "",
    ),
    EntryType.RECEIVED: (
        "received",
        ("id", "at", "text", "origin", "command", "status", "id_user", "id_phone", "mms",
         *_STAMPS),
        "",
    ),
    EntryType.SCHEDULED: (
        "scheduled",
        ("id", "id_user", "at", "text", "flash", "id_phone", "id_phone_group", "mms", *_STAMPS,
         "tag", *_SCHEDULED_EXTRA),
        "AND expanded_at IS NULL",
    ),
    EntryType.CONTACT: ("contact", ("id", "id_user", "name", "number", "data", *_STAMPS), ""),
    EntryType.GROUP: ('"group"', ("id", "id_user", "name", *_STAMPS, _NB_CONTACT), ""),
    EntryType.CONDITIONAL_GROUP: (
        "conditional_group",
        ("id", "id_user", "name", "condition", *_STAMPS),
        "",
    ),
    EntryType.PHONE: (
        "phone",
        ("id", "id_user", "adapter", "adapter_data", "name", "priority", *_STAMPS, "status",
         _BALANCE),
        "",
    ),
    EntryType.PHONE_GROUP: ("phone_group", ("id", "id_user", "name", *_STAMPS, _NB_PHONE), ""),
    EntryType.MEDIA: ("media", ("id", "path", "id_user", *_STAMPS), ""),
    EntryType.USSD: (
        "ussd",
        ("id", "id_user", "id_phone", "code", "origin", "status", "answer", "network_status",
         "dcs", "error", *_STAMPS, "finished_at"),
        "",
    ),
}  # fmt: skip


def page_sql(entry_type: EntryType, *, form: str) -> str:
    """SQL of a list form (``page``, ``after`` or ``before``) binding ``:user, :key, :limit``."""
    table, names, extra = _SHAPES[entry_type]
    columns = ", ".join(names)
    where = f"id_user = :user {extra}"
    if form == "page":
        return (
            f"SELECT {columns} FROM {table} WHERE id IN ("  # noqa: S608 - identifiers are constants, values are bound
            f"SELECT id FROM {table} WHERE {where} ORDER BY id LIMIT :limit OFFSET :key"
            ") ORDER BY id"
        )
    if form == "after":
        return f"SELECT {columns} FROM {table} WHERE {where} AND id > :key ORDER BY id LIMIT :limit"  # noqa: S608 - identifiers are constants, values are bound
    if form == "before":  # descending: the caller reverses the (at most ``limit``) rows
        return (
            f"SELECT {columns} FROM {table} WHERE {where} AND id < :key "  # noqa: S608 - identifiers are constants, values are bound
            "ORDER BY id DESC LIMIT :limit"
        )
    raise InvalidValueError(f"unknown list form {form!r}")


async def list_page(
    db: Database,
    entry_type: EntryType | str,
    *,
    id_user: int,
    page: int = 0,
    after: int | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> list[sqlite3.Row]:
    """A page of ``id_user``'s ``entry_type`` rows: by ``after``, else ``before``, else ``page``."""
    try:
        kind = EntryType(entry_type)
    except ValueError as exc:
        raise InvalidValueError(f"unknown entry type {entry_type!r}") from exc
    if page < 0 or limit < 1:
        raise InvalidValueError(f"bad page {page} / limit {limit}")
    if after is not None:
        form, key = "after", after
    elif before is not None:
        form, key = "before", before
    else:
        form, key = "page", page_offset(page, limit)
    found = await db.fetchall(
        page_sql(kind, form=form), {"user": id_user, "key": key, "limit": limit}
    )
    if form == "before":
        found.reverse()
    return found


__all__ = ["PAGE_SIZE", "EntryType", "list_page", "page_sql"]
