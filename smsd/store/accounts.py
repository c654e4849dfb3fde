"""Users and API keys, settings, phones and phone groups, contacts and (conditional) groups."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from smsd.store.db import change, insert, row
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.rows import PHONE_STATUSES, ContactRow, PhoneRow, UserRow

if TYPE_CHECKING:
    from collections.abc import Sequence

    import aiosqlite

    from smsd.store.db import Database


def check_json(text: str, field: str) -> str:
    """``text`` if it is valid JSON text, else :class:`InvalidValueError` naming ``field``."""
    try:
        json.loads(text)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{field} must be valid JSON text: {exc}") from exc
    return text


# ---------------------------------------------------------------------- users


async def ensure_user(db: Database, *, email: str, api_key: str, admin: bool = False) -> int:
    """Create the user ``email`` or update its key and role (the configuration is the source)."""
    if not email or not api_key:
        raise InvalidValueError("a user needs an email and an API key")

    async def body(conn: aiosqlite.Connection) -> int:
        found = await row(
            conn,
            "INSERT INTO user (email, api_key, admin) VALUES (?, ?, ?) "
            "ON CONFLICT (email) DO UPDATE SET api_key = excluded.api_key, "
            "admin = excluded.admin, updated_at = datetime('now', 'localtime') "
            "WHERE api_key IS NOT excluded.api_key OR admin IS NOT excluded.admin "
            "RETURNING id",
            (email, api_key, int(admin)),
        )
        if found is None:  # nothing changed: the row is as configured
            found = await row(conn, "SELECT id FROM user WHERE email = ?", (email,))
        assert found is not None
        return int(found["id"])

    return await db.atomic("ensure_user", body)


async def user_by_api_key(db: Database, api_key: str) -> UserRow | None:
    """The user owning ``api_key``, or ``None``."""
    found = await db.fetchone(
        "SELECT id, email, api_key, status, admin FROM user WHERE api_key = ?", (api_key,)
    )
    return None if found is None else UserRow.of(found)


async def set_user_status(db: Database, id_user: int, status: str) -> None:
    """Set ``active`` or ``suspended``."""
    if status not in {"active", "suspended"}:
        raise InvalidValueError(f"user status must be active or suspended, not {status!r}")
    changed = await db.execute(
        "UPDATE user SET status = ?, updated_at = datetime('now', 'localtime') WHERE id = ?",
        (status, id_user),
    )
    if not changed:
        raise NotFoundError(f"no user {id_user}")


async def set_setting(db: Database, *, id_user: int, name: str, value: str) -> None:
    """Set one user setting (RaspiSMS names: ``templating``, ``smsstop``, ``mms`` …)."""
    await db.execute(
        "INSERT INTO setting (id_user, name, value) VALUES (?, ?, ?) "
        "ON CONFLICT (id_user, name) DO UPDATE SET value = excluded.value, "
        "updated_at = datetime('now', 'localtime')",
        (id_user, name, value),
    )


async def settings(db: Database, id_user: int) -> dict[str, str]:
    """A user's settings as stored (absent ones take RaspiSMS's defaults in the caller)."""
    found = await db.fetchall("SELECT name, value FROM setting WHERE id_user = ?", (id_user,))
    return {str(r["name"]): str(r["value"]) for r in found}


# ---------------------------------------------------------------------- phones


async def sync_phone(
    db: Database,
    *,
    id_user: int,
    name: str,
    adapter: str,
    adapter_data: str,
    priority: int,
    limits: Sequence[tuple[int, str]],
) -> int:
    """Create or update the phone ``name`` of ``id_user`` and replace its limits; return its id.

    Its status is kept (the runtime sets it with :func:`set_phone_status`).
    """
    check_json(adapter_data, "adapter_data")
    if priority < 0:
        raise InvalidValueError(f"phone priority must be >= 0, not {priority}")
    for volume, startpoint in limits:
        if volume < 1 or not startpoint:
            raise InvalidValueError(f"bad phone limit ({volume}, {startpoint!r})")

    async def body(conn: aiosqlite.Connection) -> int:
        found = await row(
            conn,
            "INSERT INTO phone (id_user, name, adapter, adapter_data, priority) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id_user, name) DO UPDATE SET "
            "adapter = excluded.adapter, adapter_data = excluded.adapter_data, "
            "priority = excluded.priority, updated_at = datetime('now', 'localtime') RETURNING id",
            (id_user, name, adapter, adapter_data, priority),
        )
        assert found is not None
        id_phone = int(found["id"])
        await change(conn, "DELETE FROM phone_limit WHERE id_phone = ?", (id_phone,))
        await conn.executemany(
            "INSERT INTO phone_limit (id_phone, volume, startpoint) VALUES (?, ?, ?)",
            [(id_phone, volume, startpoint) for volume, startpoint in limits],
        )
        return id_phone

    return await db.atomic("sync_phone", body)


async def set_phone_status(db: Database, id_phone: int, status: str) -> None:
    """Store a phone's RaspiSMS status (``available``, ``unavailable``, ``no_credit`` …)."""
    if status not in PHONE_STATUSES:
        raise InvalidValueError(
            f"phone status must be one of {sorted(PHONE_STATUSES)}, not {status!r}"
        )
    changed = await db.execute(
        "UPDATE phone SET status = ?, updated_at = datetime('now', 'localtime') WHERE id = ?",
        (status, id_phone),
    )
    if not changed:
        raise NotFoundError(f"no phone {id_phone}")


async def phones(db: Database, id_user: int | None = None) -> list[PhoneRow]:
    """Every phone (of ``id_user`` if given), by id, with its limits."""
    where, params = ("WHERE id_user = ?", (id_user,)) if id_user is not None else ("", ())
    found = await db.fetchall(
        "SELECT id, id_user, name, adapter, adapter_data, priority, status FROM phone "  # noqa: S608 - identifiers are constants, values are bound
        f"{where} ORDER BY id",
        params,
    )
    limits: dict[int, list[tuple[int, str]]] = {}
    for r in await db.fetchall("SELECT id_phone, volume, startpoint FROM phone_limit ORDER BY id"):
        limits.setdefault(int(r["id_phone"]), []).append((int(r["volume"]), str(r["startpoint"])))
    return [
        PhoneRow(
            id=int(r["id"]),
            id_user=int(r["id_user"]),
            name=str(r["name"]),
            adapter=str(r["adapter"]),
            adapter_data=str(r["adapter_data"]),
            priority=int(r["priority"]),
            status=str(r["status"]),
            limits=tuple(limits.get(int(r["id"]), ())),
        )
        for r in found
    ]


async def create_phone_group(
    db: Database, *, id_user: int, name: str, phones: Sequence[int] = ()
) -> int:
    """Create a phone group of ``id_user``'s phones (other users' ids are skipped)."""

    async def body(conn: aiosqlite.Connection) -> int:
        id_group = await insert(
            conn, "INSERT INTO phone_group (id_user, name) VALUES (?, ?)", (id_user, name)
        )
        await conn.executemany(
            "INSERT OR IGNORE INTO phone_group_phone (id_phone_group, id_phone) "
            "SELECT ?, id FROM phone WHERE id = ? AND id_user = ?",
            [(id_group, id_phone, id_user) for id_phone in phones],
        )
        return id_group

    return await db.atomic("create_phone_group", body)


# ---------------------------------------------------------------------- contacts and groups


async def create_contact(
    db: Database, *, id_user: int, name: str, number: str, data: str = "[]"
) -> int:
    """Create a contact; ``data`` is JSON text (template variables, condition inputs)."""
    check_json(data, "data")
    return await db.execute(
        "INSERT INTO contact (id_user, name, number, data) VALUES (?, ?, ?, ?)",
        (id_user, name, number, data),
    )


async def contacts(db: Database, id_user: int) -> list[ContactRow]:
    """Every contact of ``id_user``, by id."""
    found = await db.fetchall("SELECT * FROM contact WHERE id_user = ? ORDER BY id", (id_user,))
    return [ContactRow.of(r) for r in found]


async def create_group(
    db: Database, *, id_user: int, name: str, contacts: Sequence[int] = ()
) -> int:
    """Create a group of ``id_user``'s contacts (other users' ids are skipped)."""

    async def body(conn: aiosqlite.Connection) -> int:
        id_group = await insert(
            conn, 'INSERT INTO "group" (id_user, name) VALUES (?, ?)', (id_user, name)
        )
        await _add_to_group(conn, id_group, id_user, contacts)
        return id_group

    return await db.atomic("create_group", body)


async def add_to_group(
    db: Database, *, id_user: int, id_group: int, contacts: Sequence[int]
) -> None:
    """Add ``id_user``'s contacts to a group (duplicates and foreign ids are skipped)."""

    async def body(conn: aiosqlite.Connection) -> None:
        owner = await row(conn, 'SELECT id_user FROM "group" WHERE id = ?', (id_group,))
        if owner is None or int(owner["id_user"]) != id_user:
            raise NotFoundError(f"no group {id_group} for user {id_user}")
        await _add_to_group(conn, id_group, id_user, contacts)

    await db.atomic("add_to_group", body)


async def _add_to_group(
    conn: aiosqlite.Connection, id_group: int, id_user: int, contacts: Sequence[int]
) -> None:
    await conn.executemany(
        "INSERT OR IGNORE INTO group_contact (id_group, id_contact) "
        "SELECT ?, id FROM contact WHERE id = ? AND id_user = ?",
        [(id_group, id_contact, id_user) for id_contact in contacts],
    )


async def create_conditional_group(db: Database, *, id_user: int, name: str, condition: str) -> int:
    """Create a conditional group: its members are the contacts ``condition`` selects when sent."""
    if not condition.strip():
        raise InvalidValueError("a conditional group needs a condition")
    return await db.execute(
        "INSERT INTO conditional_group (id_user, name, condition) VALUES (?, ?, ?)",
        (id_user, name, condition),
    )


async def create_media(db: Database, *, id_user: int, path: str) -> int:
    """Record a media file of ``id_user`` (``path`` relative to the public data folder)."""
    if not path:
        raise InvalidValueError("a media needs a path")
    return await db.execute("INSERT INTO media (id_user, path) VALUES (?, ?)", (id_user, path))


async def add_smsstop(db: Database, *, id_user: int, number: str) -> bool:
    """Put ``number`` on ``id_user``'s SMS STOP list; ``False`` if it already was."""
    return bool(
        await db.execute(
            "INSERT INTO smsstop (id_user, number) VALUES (?, ?) "
            "ON CONFLICT (id_user, number) DO NOTHING",
            (id_user, number),
        )
    )


__all__ = [
    "add_smsstop",
    "add_to_group",
    "check_json",
    "contacts",
    "create_conditional_group",
    "create_contact",
    "create_group",
    "create_media",
    "create_phone_group",
    "ensure_user",
    "phones",
    "set_phone_status",
    "set_setting",
    "set_user_status",
    "settings",
    "sync_phone",
    "user_by_api_key",
]
