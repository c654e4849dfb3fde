"""The lists nested in listed rows, one query per nested list for a whole page of rows.

A scheduled message's numbers, contacts, groups and medias; a group's contacts; a phone group's
phones; a sended or received message's medias. The listed ids are bound as placeholders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.store.listing import EntryType

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from smsd.store.db import Database

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


def as_dict(found: sqlite3.Row, *, skip: str | None = None) -> dict[str, object]:
    """A row as a plain dict of its columns (``skip`` left out)."""
    return {key: found[key] for key in found.keys() if key != skip}  # noqa: SIM118 - sqlite3.Row


async def nested_rows(
    db: Database, kind: EntryType, ids: Sequence[int]
) -> dict[str, dict[int, list[dict[str, object]]]]:
    """For each nested list of ``kind``: the nested rows of each of ``ids``, in id order."""
    lists: dict[str, dict[int, list[dict[str, object]]]] = {}
    for name, sql in _NESTED.get(kind, ()):
        nested: dict[int, list[dict[str, object]]] = {i: [] for i in ids}
        if ids:
            query = sql.format(ids=", ".join("?" * len(ids)))
            for r in await db.fetchall(query, list(ids)):
                nested[int(r["owner"])].append(as_dict(r, skip="owner"))
        lists[name] = nested
    return lists


__all__ = ["as_dict", "nested_rows"]
