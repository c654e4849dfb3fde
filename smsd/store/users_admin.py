"""User and API-key administration for the command line, working on the database file directly.

The daemon may be running meanwhile: SQLite in WAL mode lets this second process write, each
change being one short transaction. Keys are set through :func:`smsd.store.accounts.ensure_user`
only, so however :mod:`~smsd.store.accounts` stores them, a key made here works with the API.

A new key is RaspiSMS's format: 32 lowercase hexadecimal characters from the system's secure
random source (128 bits), shown once to the caller and never again.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store import accounts
from smsd.store.errors import ConstraintError, InvalidValueError, NotFoundError

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.db import Database

__all__ = [
    "KEY_BYTES",
    "UserExistsError",
    "UserSummary",
    "add_user",
    "find_user",
    "list_users",
    "new_api_key",
    "rotate_key",
    "set_status",
]

KEY_BYTES = 16
"""Random bytes in a new API key (printed as twice as many hexadecimal characters)."""
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_STATUSES = frozenset({"active", "suspended"})


class UserExistsError(ConstraintError):
    """A user with this e-mail address already exists."""


@dataclass(frozen=True)
class UserSummary:
    """A user as an administrator sees it (never its key)."""

    id: int
    email: str
    admin: bool
    status: str
    created_at: str


def new_api_key() -> str:
    """A fresh API key: 32 hexadecimal characters (128 random bits)."""
    return secrets.token_hex(KEY_BYTES)


def _check_email(email: str) -> str:
    if not _EMAIL.fullmatch(email):
        raise InvalidValueError(f"{email!r} is not an e-mail address")
    return email


_COLUMNS = "id, email, admin, status, created_at"


def _summary(row: sqlite3.Row) -> UserSummary:
    return UserSummary(
        id=int(row["id"]),
        email=str(row["email"]),
        admin=bool(row["admin"]),
        status=str(row["status"]),
        created_at=str(row["created_at"]),
    )


async def list_users(db: Database) -> list[UserSummary]:
    """Every user, by id."""
    return [_summary(r) for r in await db.fetchall(f"SELECT {_COLUMNS} FROM user ORDER BY id")]  # noqa: S608 - constant columns


async def find_user(db: Database, email: str) -> UserSummary | None:
    """The user ``email``, or ``None``."""
    found = await db.fetchone(f"SELECT {_COLUMNS} FROM user WHERE email = ?", (email,))  # noqa: S608 - constant columns
    return None if found is None else _summary(found)


async def _existing(db: Database, email: str) -> UserSummary:
    user = await find_user(db, email)
    if user is None:
        raise NotFoundError(f"no user {email}")
    return user


async def add_user(db: Database, *, email: str, admin: bool = False) -> tuple[UserSummary, str]:
    """Create the user ``email`` with a new key; return it and the key (to show once).

    :class:`UserExistsError` when the address is taken, :class:`InvalidValueError` when it is
    not an e-mail address.
    """
    _check_email(email)
    if await find_user(db, email) is not None:
        raise UserExistsError(f"user {email} already exists")
    api_key = new_api_key()
    await accounts.ensure_user(db, email=email, api_key=api_key, admin=admin)
    return await _existing(db, email), api_key


async def rotate_key(db: Database, email: str) -> str:
    """Give ``email`` a new key; return it.

    The old key stops working at once in this process, and within a second in a daemon running
    beside it (:mod:`smsd.store.keycache`).
    """
    user = await _existing(db, email)
    api_key = new_api_key()
    await accounts.ensure_user(db, email=email, api_key=api_key, admin=user.admin)
    return api_key


async def set_status(db: Database, email: str, status: str) -> UserSummary:
    """Suspend (``suspended``) or reactivate (``active``) ``email``; return the user."""
    if status not in _STATUSES:
        raise InvalidValueError(f"user status must be active or suspended, not {status!r}")
    user = await _existing(db, email)
    await accounts.set_user_status(db, user.id, status)
    return await _existing(db, email)
