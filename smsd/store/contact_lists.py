"""Contact lists (the core's groups of contacts) as list-centred doors use them.

RaspiSMS creates contacts and groups separately; other dialects add a contact straight to one
list. :func:`add_contact` does that in one transaction (the contact is not created when the list
is not the user's). A campaign to lists is a scheduled message with groups
(:func:`smsd.store.scheduled.create_scheduled`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.store.accounts import storable_ids
from smsd.store.db import insert, row
from smsd.store.errors import InvalidValueError, NotFoundError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import aiosqlite

    from smsd.store.db import Database

__all__ = ["add_contact", "member_numbers", "owned_groups"]


async def add_contact(
    db: Database, *, id_user: int, id_group: int, name: str, number: str, data: str = "[]"
) -> int:
    """Create a contact of ``id_user`` in its group ``id_group``; return the contact's id.

    :class:`NotFoundError` when the group is not the user's (nothing is created then).
    """
    if not number:
        raise InvalidValueError("a contact needs a number")

    async def body(conn: aiosqlite.Connection) -> int:
        owner = await row(conn, 'SELECT id_user FROM "group" WHERE id = ?', (id_group,))
        if owner is None or int(owner["id_user"]) != id_user:
            raise NotFoundError(f"no group {id_group} for user {id_user}")
        id_contact = await insert(
            conn,
            "INSERT INTO contact (id_user, name, number, data) VALUES (?, ?, ?, ?)",
            (id_user, name, number, data),
        )
        await insert(
            conn,
            "INSERT INTO group_contact (id_group, id_contact) VALUES (?, ?)",
            (id_group, id_contact),
        )
        return id_contact

    return await db.atomic("add_contact", body)


async def owned_groups(db: Database, *, id_user: int, ids: Sequence[int]) -> set[int]:
    """The ids among ``ids`` that name groups of ``id_user``."""
    wanted = storable_ids(ids)
    if not wanted:
        return set()
    marks = ",".join("?" for _ in wanted)
    found = await db.fetchall(
        f'SELECT id FROM "group" WHERE id_user = ? AND id IN ({marks})',  # noqa: S608 - placeholders only
        (id_user, *wanted),
    )
    return {int(r["id"]) for r in found}


async def member_numbers(db: Database, *, id_user: int, groups: Sequence[int]) -> int:
    """How many distinct numbers the user's contacts in ``groups`` have (a campaign's size)."""
    wanted = storable_ids(groups)
    if not wanted:
        return 0
    marks = ",".join("?" for _ in wanted)
    found = await db.fetchone(
        "SELECT count(DISTINCT c.number) AS n FROM group_contact AS gc "  # noqa: S608 - placeholders only
        "JOIN contact AS c ON c.id = gc.id_contact "
        f"WHERE c.id_user = ? AND gc.id_group IN ({marks})",
        (id_user, *wanted),
    )
    return 0 if found is None else int(found["n"])
