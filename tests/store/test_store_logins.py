"""Passwords (scrypt, versioned format) and login sessions (expiring, stored as digests)."""

from __future__ import annotations

import sqlite3
from importlib import resources

import pytest

from smsd.store import passwords, sessions
from smsd.store.accounts import key_digest
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.passwords import ScryptParams, hash_password, needs_rehash, verify_password

FAST = ScryptParams(log_n=4, r=1, p=1)


def test_hash_is_salted_versioned_and_verifies() -> None:
    first = hash_password("correct horse")
    second = hash_password("correct horse")
    assert first != second  # a new salt each time
    assert first.startswith("$scrypt$v=1$ln=14,r=8,p=1$")
    assert verify_password("correct horse", first)
    assert not verify_password("correct horsE", first)
    assert not needs_rehash(first)


def test_other_parameters_still_verify_and_ask_for_a_rehash() -> None:
    stored = hash_password("pässwörd ✓", FAST)
    assert stored.startswith("$scrypt$v=1$ln=4,r=1,p=1$")
    assert verify_password("pässwörd ✓", stored)
    assert needs_rehash(stored)


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "plain text",
        "$scrypt$v=2$ln=4,r=1,p=1$c2FsdHNhbHQ=$" + "A" * 44,  # unknown version
        "$scrypt$v=1$ln=40,r=8,p=1$c2FsdHNhbHQ=$" + "A" * 44,  # absurd cost: refused, not run
        "$scrypt$v=1$ln=4,r=1,p=1$!!!$" + "A" * 44,
        "$scrypt$v=1$ln=4,r=1,p=1$c2FsdA==$QUJD",  # hash too short
    ],
)
def test_foreign_or_forged_hashes_never_verify(stored: str | None) -> None:
    assert not verify_password("anything", stored)


async def test_set_password_and_login(db, user) -> None:
    assert await passwords.check_login(db, "admin@example.org", "secret-pass") is None
    await passwords.set_password(db, "admin@example.org", "secret-pass")
    found = await passwords.check_login(db, "admin@example.org", "secret-pass")
    assert found is not None
    assert (found.id, found.email, found.status) == (user, "admin@example.org", "active")
    assert await passwords.check_login(db, "admin@example.org", "secret-pasS") is None
    assert await passwords.check_login(db, "nobody@example.org", "secret-pass") is None
    stored = await db.fetchone("SELECT password FROM user WHERE id = ?", (user,))
    assert "secret-pass" not in stored["password"]
    assert stored["password"].startswith("$scrypt$v=1$")


async def test_set_password_refuses_short_text_and_unknown_users(db, user) -> None:
    with pytest.raises(InvalidValueError, match="at least 8"):
        await passwords.set_password(db, "admin@example.org", "short")
    with pytest.raises(NotFoundError):
        await passwords.set_password(db, "nobody@example.org", "long enough")


async def test_a_login_with_an_old_hash_stores_a_fresh_one(db, user) -> None:
    await db.execute(
        "UPDATE user SET password = ? WHERE id = ?", (hash_password("old params", FAST), user)
    )
    assert await passwords.check_login(db, "admin@example.org", "old params") is not None
    stored = await db.fetchone("SELECT password FROM user WHERE id = ?", (user,))
    assert stored["password"].startswith("$scrypt$v=1$ln=14,r=8,p=1$")


async def test_session_tokens_are_stored_as_digests_and_expire(db, user) -> None:
    token = await sessions.open_session(db, user, now=1000.0, lifetime=60.0)
    assert len(token) == 32
    assert int(token, 16) >= 0
    stored = await db.fetchall("SELECT digest FROM login_session")
    assert [r["digest"] for r in stored] == [key_digest(token)]
    found = await sessions.user_by_session(db, token, now=1059.0)
    assert found is not None
    assert found.id == user
    assert await sessions.user_by_session(db, token, now=1060.0) is None
    assert await sessions.user_by_session(db, "0" * 32, now=1000.0) is None
    # a new session purges the expired ones
    other = await sessions.open_session(db, user, now=2000.0, lifetime=60.0)
    assert [r["digest"] for r in await db.fetchall("SELECT digest FROM login_session")] == [
        key_digest(other)
    ]
    assert await sessions.end_session(db, other)
    assert await sessions.user_by_session(db, other, now=2001.0) is None


async def test_a_new_password_ends_every_session(db, user) -> None:
    await passwords.set_password(db, "admin@example.org", "first password")
    token = await sessions.open_session(db, user, now=1000.0, lifetime=600.0)
    await passwords.set_password(db, "admin@example.org", "second password")
    assert await sessions.user_by_session(db, token, now=1001.0) is None


async def test_sessions_go_with_their_user(db, user) -> None:
    await sessions.open_session(db, user, now=1000.0, lifetime=600.0)
    await db.execute("DELETE FROM user WHERE id = ?", (user,))
    assert await db.fetchall("SELECT * FROM login_session") == []


def _migration(name: str) -> str:
    folder = resources.files("smsd.store").joinpath("migrations")
    (found,) = [p for p in folder.iterdir() if p.name.endswith(f"_{name}.sql")]
    return found.read_text(encoding="utf-8")


def test_digest_column_refuses_plain_tokens(tmp_path) -> None:
    conn = sqlite3.connect(tmp_path / "x.sqlite3")
    conn.executescript(
        "CREATE TABLE user (id INTEGER PRIMARY KEY);"
        "CREATE TABLE scheduled (id INTEGER PRIMARY KEY);" + _migration("login_sessions")
    )
    conn.execute("INSERT INTO user (id) VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO login_session (id_user, digest, created_at, expires_at) "
            "VALUES (1, 'abc', 0, 1)"
        )
