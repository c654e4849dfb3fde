"""Administration writes: create, update and delete a user's phones, contacts and groups.

Every function is one short transaction scoped by ``id_user``: an id that is not the user's
behaves exactly like an id that does not exist (``False`` or :class:`NotFoundError`), so one
user can never learn about, change or delete another user's rows. Names that must be unique
per user (phones, phone groups) are checked inside the same transaction and refused with
:class:`NameTakenError`. Membership lists (a group's contacts, a phone group's phones) keep
only the user's own ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store.accounts import check_json
from smsd.store.db import change, insert, row
from smsd.store.errors import ConstraintError, InvalidValueError, NotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from smsd.store.db import Database
    from smsd.store.writer import AsyncConnection

__all__ = [
    "NameTakenError",
    "PhoneFields",
    "create_phone",
    "delete_conditional_group",
    "delete_contact",
    "delete_group",
    "delete_phone",
    "delete_phone_group",
    "set_received_status",
    "update_conditional_group",
    "update_contact",
    "update_group",
    "update_phone",
    "update_phone_group",
]

_TOUCH = "updated_at = datetime('now', 'localtime')"
# Tables this module writes, with the columns an update may set (identifiers are constants).
_COLUMNS: dict[str, frozenset[str]] = {
    "phone": frozenset({"name", "adapter", "adapter_data", "priority"}),
    "contact": frozenset({"name", "number", "data"}),
    '"group"': frozenset({"name"}),
    "conditional_group": frozenset({"name", "condition"}),
    "phone_group": frozenset({"name"}),
}


class NameTakenError(ConstraintError):
    """Another row of the same user already has this name (phones, phone groups)."""


async def _owned(conn: AsyncConnection, table: str, id_row: int, id_user: int) -> bool:
    found = await row(
        conn,
        f"SELECT 1 FROM {table} WHERE id = ? AND id_user = ?",  # noqa: S608 - constant table
        (id_row, id_user),
    )
    return found is not None


async def _name_taken(
    conn: AsyncConnection, table: str, id_user: int, name: str, except_id: int | None
) -> bool:
    found = await row(
        conn,
        f"SELECT 1 FROM {table} WHERE id_user = ? AND name = ? AND id IS NOT ?",  # noqa: S608 - constant table
        (id_user, name, except_id),
    )
    return found is not None


async def _set(conn: AsyncConnection, table: str, id_row: int, values: Mapping[str, object]) -> int:
    """Update the given columns of one row; the number of rows whose values really changed."""
    wanted = {name: value for name, value in values.items() if value is not None}
    unknown = set(wanted) - _COLUMNS[table]
    if unknown:
        raise InvalidValueError(f"{table} has no column {sorted(unknown)}")
    if not wanted:
        return 0
    assignments = ", ".join(f"{name} = ?" for name in wanted)
    differs = " OR ".join(f"{name} IS NOT ?" for name in wanted)
    return await change(
        conn,
        f"UPDATE {table} SET {assignments}, {_TOUCH} WHERE id = ? AND ({differs})",  # noqa: S608 - constant identifiers, bound values
        (*wanted.values(), id_row, *wanted.values()),
    )


async def _delete(db: Database, table: str, id_row: int, id_user: int) -> bool:
    return bool(
        await db.execute(
            f"DELETE FROM {table} WHERE id = ? AND id_user = ?",  # noqa: S608 - constant table
            (id_row, id_user),
        )
    )


# ---------------------------------------------------------------------- phones


@dataclass(frozen=True)
class PhoneFields:
    """The columns of a phone a create or update writes (``None``: keep the stored value).

    ``limits``, when given, replace all the phone's limits: (volume, start point) pairs.
    """

    name: str | None = None
    adapter: str | None = None
    adapter_data: str | None = None
    priority: int | None = None
    limits: tuple[tuple[int, str], ...] | None = None

    def __post_init__(self) -> None:
        if self.adapter_data is not None:
            check_json(self.adapter_data, "adapter_data")
        if self.priority is not None and self.priority < 0:
            raise InvalidValueError(f"phone priority must be >= 0, not {self.priority}")
        for volume, startpoint in self.limits or ():
            if volume < 1 or not startpoint:
                raise InvalidValueError(f"bad phone limit ({volume}, {startpoint!r})")

    def columns(self) -> dict[str, object]:
        """The phone columns to write."""
        return {
            "name": self.name,
            "adapter": self.adapter,
            "adapter_data": self.adapter_data,
            "priority": self.priority,
        }


async def _replace_limits(
    conn: AsyncConnection, id_phone: int, limits: Sequence[tuple[int, str]]
) -> None:
    await change(conn, "DELETE FROM phone_limit WHERE id_phone = ?", (id_phone,))
    await conn.executemany(
        "INSERT INTO phone_limit (id_phone, volume, startpoint) VALUES (?, ?, ?)",
        [(id_phone, volume, startpoint) for volume, startpoint in limits],
    )


async def create_phone(db: Database, *, id_user: int, fields: PhoneFields) -> int:
    """Create a phone of ``id_user`` with its limits; :class:`NameTakenError` on a name clash."""
    if not fields.name or not fields.adapter:
        raise InvalidValueError("a phone needs a name and an adapter")
    name = fields.name

    async def body(conn: AsyncConnection) -> int:
        if await _name_taken(conn, "phone", id_user, name, None):
            raise NameTakenError(f"user {id_user} already has a phone named {name!r}")
        id_phone = await insert(
            conn,
            "INSERT INTO phone (id_user, name, adapter, adapter_data, priority) "
            "VALUES (?, ?, ?, ?, ?)",
            (id_user, name, fields.adapter, fields.adapter_data or "{}", fields.priority or 0),
        )
        await _replace_limits(conn, id_phone, fields.limits or ())
        return id_phone

    return await db.atomic("create_phone", body)


async def update_phone(db: Database, *, id_user: int, id_phone: int, fields: PhoneFields) -> bool:
    """Update ``id_user``'s phone; ``True`` if a column changed or limits were given.

    :class:`NotFoundError` if the phone is not the user's, :class:`NameTakenError` on a name
    clash. Limits, when given, replace all the phone's limits.
    """

    async def body(conn: AsyncConnection) -> bool:
        if not await _owned(conn, "phone", id_phone, id_user):
            raise NotFoundError(f"no phone {id_phone} for user {id_user}")
        if fields.name is not None and await _name_taken(
            conn, "phone", id_user, fields.name, id_phone
        ):
            raise NameTakenError(f"user {id_user} already has a phone named {fields.name!r}")
        changed = await _set(conn, "phone", id_phone, fields.columns())
        if fields.limits is not None:
            await _replace_limits(conn, id_phone, fields.limits)
            return True
        return changed > 0

    return await db.atomic("update_phone", body)


async def delete_phone(db: Database, *, id_user: int, id_phone: int) -> bool:
    """Delete ``id_user``'s phone (limits and group memberships go with it); ``False`` if none.

    Messages keep their rows: their phone references become null, as in RaspiSMS.
    """
    return await _delete(db, "phone", id_phone, id_user)


# ---------------------------------------------------------------------- contacts


async def update_contact(
    db: Database,
    *,
    id_user: int,
    id_contact: int,
    name: str | None = None,
    number: str | None = None,
    data: str | None = None,
) -> bool:
    """Update ``id_user``'s contact (``None``: keep); ``False`` if it is not the user's."""
    if data is not None:
        check_json(data, "data")

    async def body(conn: AsyncConnection) -> bool:
        if not await _owned(conn, "contact", id_contact, id_user):
            return False
        await _set(conn, "contact", id_contact, {"name": name, "number": number, "data": data})
        return True

    return await db.atomic("update_contact", body)


async def delete_contact(db: Database, *, id_user: int, id_contact: int) -> bool:
    """Delete ``id_user``'s contact (and its group memberships); ``False`` if none."""
    return await _delete(db, "contact", id_contact, id_user)


# ---------------------------------------------------------------------- groups


async def update_group(
    db: Database,
    *,
    id_user: int,
    id_group: int,
    name: str | None = None,
    contacts: Sequence[int] | None = None,
) -> bool:
    """Rename a group and/or replace its contacts (the user's own only); ``False`` if none."""

    async def body(conn: AsyncConnection) -> bool:
        if not await _owned(conn, '"group"', id_group, id_user):
            return False
        await _set(conn, '"group"', id_group, {"name": name})
        if contacts is not None:
            await change(conn, "DELETE FROM group_contact WHERE id_group = ?", (id_group,))
            await conn.executemany(
                "INSERT OR IGNORE INTO group_contact (id_group, id_contact) "
                "SELECT ?, id FROM contact WHERE id = ? AND id_user = ?",
                [(id_group, id_contact, id_user) for id_contact in contacts],
            )
        return True

    return await db.atomic("update_group", body)


async def delete_group(db: Database, *, id_user: int, id_group: int) -> bool:
    """Delete ``id_user``'s group (the contacts stay); ``False`` if none."""
    return await _delete(db, '"group"', id_group, id_user)


async def update_conditional_group(
    db: Database,
    *,
    id_user: int,
    id_group: int,
    name: str | None = None,
    condition: str | None = None,
) -> bool:
    """Rename a conditional group and/or change its condition; ``False`` if none."""
    if condition is not None and not condition.strip():
        raise InvalidValueError("a conditional group needs a condition")

    async def body(conn: AsyncConnection) -> bool:
        if not await _owned(conn, "conditional_group", id_group, id_user):
            return False
        await _set(conn, "conditional_group", id_group, {"name": name, "condition": condition})
        return True

    return await db.atomic("update_conditional_group", body)


async def delete_conditional_group(db: Database, *, id_user: int, id_group: int) -> bool:
    """Delete ``id_user``'s conditional group; ``False`` if none."""
    return await _delete(db, "conditional_group", id_group, id_user)


async def update_phone_group(
    db: Database,
    *,
    id_user: int,
    id_group: int,
    name: str | None = None,
    phones: Sequence[int] | None = None,
) -> bool:
    """Rename a phone group and/or replace its phones; ``False`` if it is not the user's.

    :class:`NameTakenError` if the user has another phone group of that name.
    """

    async def body(conn: AsyncConnection) -> bool:
        if not await _owned(conn, "phone_group", id_group, id_user):
            return False
        if name is not None and await _name_taken(conn, "phone_group", id_user, name, id_group):
            raise NameTakenError(f"user {id_user} already has a phone group named {name!r}")
        await _set(conn, "phone_group", id_group, {"name": name})
        if phones is not None:
            await change(
                conn, "DELETE FROM phone_group_phone WHERE id_phone_group = ?", (id_group,)
            )
            await conn.executemany(
                "INSERT OR IGNORE INTO phone_group_phone (id_phone_group, id_phone) "
                "SELECT ?, id FROM phone WHERE id = ? AND id_user = ?",
                [(id_group, id_phone, id_user) for id_phone in phones],
            )
        return True

    return await db.atomic("update_phone_group", body)


async def delete_phone_group(db: Database, *, id_user: int, id_group: int) -> bool:
    """Delete ``id_user``'s phone group (the phones stay); ``False`` if none."""
    return await _delete(db, "phone_group", id_group, id_user)


# ---------------------------------------------------------------------- received


async def set_received_status(db: Database, *, id_user: int, id_received: int, status: str) -> bool:
    """Mark ``id_user``'s received message ``read`` or ``unread``; ``False`` if none."""
    if status not in {"read", "unread"}:
        raise InvalidValueError(f"received status must be read or unread, not {status!r}")

    async def body(conn: AsyncConnection) -> bool:
        if not await _owned(conn, "received", id_received, id_user):
            return False
        await change(
            conn,
            f"UPDATE received SET status = ?, {_TOUCH} WHERE id = ? AND status IS NOT ?",  # noqa: S608 - constant clause
            (status, id_received, status),
        )
        return True

    return await db.atomic("set_received_status", body)
