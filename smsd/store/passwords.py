"""User passwords: scrypt hashes in a versioned text form, set and checked in the store.

A password is never stored: ``user.password`` holds its hash made by :func:`hash_password` with
:func:`hashlib.scrypt`, a memory-hard function (guessing costs memory as well as time, which
takes the edge off GPUs), salted with 16 random bytes. The stored text says how it was made::

    $scrypt$v=1$ln=14,r=8,p=1$<salt, base64>$<hash, base64>

``v`` is the format's version, ``ln`` the base-2 logarithm of scrypt's cost ``N``, ``r`` the
block size, ``p`` the parallelism (the PHC string format's layout). The parameters fit a 512 MB
Raspberry Pi: ``N = 2**14, r = 8`` takes ``128 * N * r`` = 16 MiB per check and about a tenth of a
second on a Pi 3, while a stolen hash costs a guesser the same per try. A hash made with other
parameters still verifies; :func:`needs_rehash` tells when to store a fresh one (a login does).

Checking a hash costs real CPU time, so :func:`set_password` and :func:`check_login` run it in a
worker thread, never on the event loop, and at most two hashes run at once (their memory is
bounded however many clients log in together). An unknown address costs the same time as a wrong
password (a dummy hash is checked), so the answer's delay does not tell which addresses exist.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.store.db import change
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.rows import UserRow

if TYPE_CHECKING:
    import aiosqlite

    from smsd.store.db import Database

__all__ = [
    "DEFAULT",
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "ScryptParams",
    "check_login",
    "check_password_text",
    "hash_password",
    "needs_rehash",
    "set_password",
    "verify_password",
]

MIN_PASSWORD = 8
"""Shortest password accepted (characters)."""
MAX_PASSWORD = 1024
"""Longest password accepted: scrypt hashes any length, but a megabyte password is an attack."""
SALT_BYTES = 16
HASH_BYTES = 32
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ScryptParams:
    """scrypt's cost: ``N = 2**log_n``, block size ``r``, parallelism ``p``."""

    log_n: int = 14
    r: int = 8
    p: int = 1

    @property
    def memory(self) -> int:
        """Bytes scrypt needs for one hash (``128 * N * r``)."""
        return 128 * (1 << self.log_n) * self.r


DEFAULT = ScryptParams()
"""The parameters new hashes are made with (16 MiB, about 0.1 s on a Raspberry Pi 3)."""

# Hashes read back are refused beyond these bounds: a forged row must not make a login take
# gigabytes or minutes.
_MAX_LOG_N = 20
_MAX_R = 32
_MAX_P = 16
_MAX_MEMORY = 256 * 1024 * 1024
_FORMAT = re.compile(
    r"\$scrypt\$v=(?P<v>\d+)\$ln=(?P<ln>\d+),r=(?P<r>\d+),p=(?P<p>\d+)"
    r"\$(?P<salt>[A-Za-z0-9+/]+={0,2})\$(?P<hash>[A-Za-z0-9+/]+={0,2})"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


_HASHING = threading.BoundedSemaphore(2)
"""At most two hashes at once, whatever the number of worker threads: 2 x 16 MiB on a Pi."""


def _scrypt(password: str, salt: bytes, params: ScryptParams, length: int) -> bytes:
    with _HASHING:
        return _scrypt_now(password, salt, params, length)


def _scrypt_now(password: str, salt: bytes, params: ScryptParams, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=1 << params.log_n,
        r=params.r,
        p=params.p,
        maxmem=params.memory + 1024 * 1024,
        dklen=length,
    )


def check_password_text(password: object) -> str:
    """``password`` if it is acceptable as a new password, else :class:`InvalidValueError`."""
    if not isinstance(password, str):
        raise InvalidValueError("a password must be text")
    if len(password) < MIN_PASSWORD:
        raise InvalidValueError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidValueError(f"a password has at most {MAX_PASSWORD} characters")
    return password


def hash_password(password: str, params: ScryptParams = DEFAULT) -> str:
    """The stored form of ``password``: a new random salt, scrypt, the versioned text."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, params, HASH_BYTES)
    return (
        f"$scrypt$v={FORMAT_VERSION}$ln={params.log_n},r={params.r},p={params.p}"
        f"${_b64(salt)}${_b64(digest)}"
    )


def _parse(stored: str) -> tuple[ScryptParams, bytes, bytes] | None:
    found = _FORMAT.fullmatch(stored)
    if found is None or int(found["v"]) != FORMAT_VERSION:
        return None
    params = ScryptParams(log_n=int(found["ln"]), r=int(found["r"]), p=int(found["p"]))
    if not (
        1 <= params.log_n <= _MAX_LOG_N
        and 1 <= params.r <= _MAX_R
        and 1 <= params.p <= _MAX_P
        and params.memory <= _MAX_MEMORY
    ):
        return None
    try:
        salt = base64.b64decode(found["salt"], validate=True)
        digest = base64.b64decode(found["hash"], validate=True)
    except binascii.Error:
        return None
    if not salt or not 16 <= len(digest) <= 64:
        return None
    return params, salt, digest


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches the stored hash (``False`` for a missing or foreign hash)."""
    parsed = None if stored is None else _parse(stored)
    if parsed is None or len(password) > MAX_PASSWORD:
        return False
    params, salt, expected = parsed
    return hmac.compare_digest(_scrypt(password, salt, params, len(expected)), expected)


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than :data:`DEFAULT`'s."""
    parsed = _parse(stored)
    return parsed is None or parsed[0] != DEFAULT


_DUMMY = hash_password(secrets.token_hex(16))
"""Checked when the address is unknown, so that case costs the time of a real check."""


async def set_password(db: Database, email: str, password: str) -> None:
    """Give the user ``email`` the password ``password`` (checked by :func:`check_password_text`).

    Every login session of the user ends: whoever logged in with the old password is out.
    :class:`NotFoundError` when there is no such user.
    """
    check_password_text(password)
    stored = await asyncio.to_thread(hash_password, password)

    async def body(conn: aiosqlite.Connection) -> None:
        changed = await change(
            conn,
            "UPDATE user SET password = ?, updated_at = datetime('now', 'localtime') "
            "WHERE email = ?",
            (stored, email),
        )
        if not changed:
            raise NotFoundError(f"no user {email}")
        await change(
            conn,
            "DELETE FROM login_session WHERE id_user = (SELECT id FROM user WHERE email = ?)",
            (email,),
        )

    await db.atomic("set_password", body)


async def check_login(db: Database, email: str, password: str) -> UserRow | None:
    """The user ``email`` if ``password`` is its password, else ``None``.

    The caller decides what a suspended user may do (``UserRow.status``). The returned row's
    ``api_key`` is empty: the store knows only the key's digest. A hash made with older
    parameters is replaced by a fresh one after a successful check.
    """
    found = await db.fetchone(
        "SELECT id, email, password, status, admin FROM user WHERE email = ?", (email,)
    )
    stored = None if found is None or found["password"] is None else str(found["password"])
    ok = await asyncio.to_thread(verify_password, password, stored or _DUMMY)
    if found is None or stored is None or not ok:
        return None
    if needs_rehash(stored):
        fresh = await asyncio.to_thread(hash_password, password)
        await db.execute(
            "UPDATE user SET password = ? WHERE id = ? AND password = ?",
            (fresh, int(found["id"]), stored),
        )
    return UserRow(
        id=int(found["id"]),
        email=str(found["email"]),
        api_key="",
        status=str(found["status"]),
        admin=bool(found["admin"]),
    )
