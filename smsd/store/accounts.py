"""Users and API keys, settings, phones and phone groups, contacts and (conditional) groups.

API keys are stored as SHA-256 digests (``user.key_digest``, hex): a stolen database file or
backup does not give the keys away. A key is random (at least 128 bits, see
:func:`generate_key`), so one unsalted hash is enough: there is nothing to guess by brute force.
A request's key is hashed and looked up through the digest's unique index, and the digest read
back is compared again in constant time. A database written by an older smsd keeps plain keys in
``user.api_key`` until :func:`upgrade_keys` hashes them (SQLite has no SHA-256 of its own).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import TYPE_CHECKING

from smsd.phpvalues import INT64_MAX, INT64_MIN
from smsd.store.db import change, insert, row, rows
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.rows import PHONE_STATUSES, ContactRow, PhoneRow, UserRow

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence

    from smsd.store.db import Database
    from smsd.store.writer import AsyncConnection


def storable_ids(ids: Sequence[int]) -> list[int]:
    """The ids that fit SQLite's INTEGER (others name no row: an API client may send anything)."""
    return [value for value in ids if INT64_MIN <= value <= INT64_MAX]


def check_json(text: str, field: str) -> str:
    """``text`` if it is valid JSON text, else :class:`InvalidValueError` naming ``field``."""
    try:
        json.loads(text)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{field} must be valid JSON text: {exc}") from exc
    return text


# ---------------------------------------------------------------------- users


KEY_BYTES = 16
"""Random bytes in a generated key: 128 bits, written as 32 lowercase hex characters (RaspiSMS's
key format)."""


def generate_key() -> str:
    """A new API key from the operating system's CSPRNG (``KEY_BYTES`` random bytes, hex)."""
    return secrets.token_hex(KEY_BYTES)


def key_digest(api_key: str) -> str:
    """The stored form of ``api_key``: the hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()


async def ensure_user(db: Database, *, email: str, api_key: str, admin: bool = False) -> int:
    """Create the user ``email`` or update its key and role (the configuration is the source).

    Only the key's digest is written; a plain key left by an older smsd is cleared.
    """
    if not email or not api_key:
        raise InvalidValueError("a user needs an email and an API key")
    digest = key_digest(api_key)

    async def body(conn: AsyncConnection) -> int:
        found = await row(
            conn,
            "INSERT INTO user (email, key_digest, admin) VALUES (?, ?, ?) "
            "ON CONFLICT (email) DO UPDATE SET key_digest = excluded.key_digest, "
            "api_key = NULL, admin = excluded.admin, updated_at = datetime('now', 'localtime') "
            "WHERE key_digest IS NOT excluded.key_digest OR admin IS NOT excluded.admin "
            "OR api_key IS NOT NULL "
            "RETURNING id",
            (email, digest, int(admin)),
        )
        if found is None:  # nothing changed: the row is as configured
            found = await row(conn, "SELECT id FROM user WHERE email = ?", (email,))
        assert found is not None
        return int(found["id"])

    return await db.atomic("ensure_user", body)


async def first_admin(db: Database) -> int | None:
    """The id of the oldest admin user, or ``None`` when there is none."""
    found = await db.fetchone("SELECT id FROM user WHERE admin = 1 ORDER BY id LIMIT 1")
    return None if found is None else int(found["id"])


async def owns_phone_group(db: Database, *, id_user: int, id_phone_group: int) -> bool:
    """Whether the phone group ``id_phone_group`` is ``id_user``'s."""
    found = await db.fetchone(
        "SELECT 1 FROM phone_group WHERE id = ? AND id_user = ?", (id_phone_group, id_user)
    )
    return found is not None


async def upgrade_keys(db: Database) -> int:
    """Hash every plain API key an older smsd stored, and clear it; return how many.

    Idempotent and quick when there is nothing to do (the daemon calls it at every start, before
    the API serves a request).
    """

    async def body(conn: AsyncConnection) -> int:
        plain = await rows(
            conn, "SELECT id, api_key FROM user WHERE api_key IS NOT NULL AND key_digest IS NULL"
        )
        await conn.executemany(
            "UPDATE user SET key_digest = ?, api_key = NULL WHERE id = ?",
            [(key_digest(str(r[1])), int(r[0])) for r in plain],
        )
        await change(conn, "UPDATE user SET api_key = NULL WHERE api_key IS NOT NULL", ())
        return len(plain)

    return await db.atomic("upgrade_keys", body)


async def user_by_api_key(db: Database, api_key: str) -> UserRow | None:
    """The user owning ``api_key``, or ``None``.

    The returned row carries the key as presented (the store only knows its digest), which the
    API needs for RaspiSMS's ``next``/``prev`` links.
    """
    found = await key_owner(db, api_key, settings=False)
    return None if found is None else found[0]


async def key_owner(
    db: Database, api_key: str, *, settings: bool = True
) -> tuple[UserRow, dict[str, str]] | None:
    """The user owning ``api_key`` and their settings (as :func:`settings`), in one read.

    ``None`` when no user has the key; ``settings=False`` reads the user alone (``{}``). A key
    found within the last second comes from :mod:`smsd.store.keycache` without a read.
    """
    cache = db.keys
    now = time.monotonic()
    generation = 0 if cache is None else cache.generation  # before the read (keycache explains)
    if cache is not None and (kept := cache.get(api_key, now, settings=settings)) is not None:
        return kept
    digest = key_digest(api_key)

    def body(conn: sqlite3.Connection) -> tuple[UserRow, dict[str, str]] | None:
        found = conn.execute(
            "SELECT id, email, key_digest, status, admin FROM user WHERE key_digest = ?",
            (digest,),
        ).fetchone()
        if found is None or not hmac.compare_digest(str(found["key_digest"]), digest):
            return None
        user = UserRow(
            id=int(found["id"]),
            email=str(found["email"]),
            api_key=api_key,
            status=str(found["status"]),
            admin=bool(found["admin"]),
        )
        if not settings:
            return user, {}
        return user, _settings(conn, user.id)

    found = await db.read(body)
    if found is not None and cache is not None:
        cache.put(api_key, found, generation, now, settings=settings)
    return found


async def user_exists(db: Database, id_user: int) -> bool:
    """Is there a user ``id_user``?"""
    return await db.fetchone("SELECT 1 FROM user WHERE id = ?", (id_user,)) is not None


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
    return await db.read(lambda conn: _settings(conn, id_user))


def _settings(conn: sqlite3.Connection, id_user: int) -> dict[str, str]:
    found = conn.execute("SELECT name, value FROM setting WHERE id_user = ?", (id_user,))
    return {str(r[0]): str(r[1]) for r in found}


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

    async def body(conn: AsyncConnection) -> int:
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

    async def body(conn: AsyncConnection) -> int:
        id_group = await insert(
            conn, "INSERT INTO phone_group (id_user, name) VALUES (?, ?)", (id_user, name)
        )
        await conn.executemany(
            "INSERT OR IGNORE INTO phone_group_phone (id_phone_group, id_phone) "
            "SELECT ?, id FROM phone WHERE id = ? AND id_user = ?",
            [(id_group, id_phone, id_user) for id_phone in storable_ids(phones)],
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

    async def body(conn: AsyncConnection) -> int:
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

    async def body(conn: AsyncConnection) -> None:
        owner = await row(conn, 'SELECT id_user FROM "group" WHERE id = ?', (id_group,))
        if owner is None or int(owner["id_user"]) != id_user:
            raise NotFoundError(f"no group {id_group} for user {id_user}")
        await _add_to_group(conn, id_group, id_user, contacts)

    await db.atomic("add_to_group", body)


async def _add_to_group(
    conn: AsyncConnection, id_group: int, id_user: int, contacts: Sequence[int]
) -> None:
    await conn.executemany(
        "INSERT OR IGNORE INTO group_contact (id_group, id_contact) "
        "SELECT ?, id FROM contact WHERE id = ? AND id_user = ?",
        [(id_group, id_contact, id_user) for id_contact in storable_ids(contacts)],
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
    "first_admin",
    "generate_key",
    "key_digest",
    "key_owner",
    "owns_phone_group",
    "phones",
    "set_phone_status",
    "set_setting",
    "set_user_status",
    "settings",
    "storable_ids",
    "sync_phone",
    "upgrade_keys",
    "user_by_api_key",
    "user_exists",
]
