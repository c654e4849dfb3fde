"""Login sessions: the expiring tokens a login with e-mail and password answers.

A token is 128 random bits written as 32 lowercase hexadecimal characters (the form of an API
key, and of the tokens SMSGateway24 hands out). Only its SHA-256 digest is stored
(``login_session.digest``, migration "login_sessions"), as for API keys: a copy of the database
gives no working token. A token is random, so an unsalted hash is enough.

A session ends at ``expires_at``; expired rows are deleted whenever a new session opens, so the
table stays as small as the number of live sessions. Setting a new password ends every session
of the user (:func:`smsd.store.passwords.set_password`).
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING

from smsd.store.accounts import key_digest
from smsd.store.db import change, insert
from smsd.store.errors import InvalidValueError
from smsd.store.rows import UserRow

if TYPE_CHECKING:
    import aiosqlite

    from smsd.store.db import Database

__all__ = [
    "DEFAULT_LIFETIME",
    "TOKEN_BYTES",
    "end_session",
    "open_session",
    "purge_sessions",
    "user_by_session",
]

TOKEN_BYTES = 16
"""Random bytes in a token (written as twice as many hexadecimal characters)."""
DEFAULT_LIFETIME = 7 * 24 * 3600.0
"""Seconds a session lasts unless told otherwise (``[api] session_lifetime``)."""


async def open_session(db: Database, id_user: int, *, now: float, lifetime: float) -> str:
    """Open a session of ``id_user`` lasting ``lifetime`` seconds; return its token (once)."""
    if not lifetime > 0:
        raise InvalidValueError(f"a session lifetime must be positive, not {lifetime}")
    token = secrets.token_hex(TOKEN_BYTES)

    async def body(conn: aiosqlite.Connection) -> None:
        await change(conn, "DELETE FROM login_session WHERE expires_at <= ?", (now,))
        await insert(
            conn,
            "INSERT INTO login_session (id_user, digest, created_at, expires_at) "
            "VALUES (?, ?, ?, ?)",
            (id_user, key_digest(token), now, now + lifetime),
        )

    await db.atomic("open_session", body)
    return token


async def user_by_session(db: Database, token: str, *, now: float) -> UserRow | None:
    """The user of the live session ``token``, or ``None`` (unknown or expired).

    The caller decides what a suspended user may do (``UserRow.status``); the row's ``api_key``
    is empty (the store knows only digests).
    """
    digest = key_digest(token)
    found = await db.fetchone(
        "SELECT u.id, u.email, u.status, u.admin, s.digest FROM login_session AS s "
        "JOIN user AS u ON u.id = s.id_user WHERE s.digest = ? AND s.expires_at > ?",
        (digest, now),
    )
    if found is None or not hmac.compare_digest(str(found["digest"]), digest):
        return None
    return UserRow(
        id=int(found["id"]),
        email=str(found["email"]),
        api_key="",
        status=str(found["status"]),
        admin=bool(found["admin"]),
    )


async def end_session(db: Database, token: str) -> bool:
    """End the session ``token`` (a logout); ``False`` if there was none."""
    return bool(
        await db.execute("DELETE FROM login_session WHERE digest = ?", (key_digest(token),))
    )


async def purge_sessions(db: Database, *, now: float) -> int:
    """Delete expired sessions; return how many."""
    return await db.execute("DELETE FROM login_session WHERE expires_at <= ?", (now,))
