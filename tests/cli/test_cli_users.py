"""``smsd user …`` and ``smsd key rotate`` on a database file, the way an operator runs them."""

from __future__ import annotations

import asyncio
import re

import pytest

from smsd import cli
from smsd.store import accounts, users_admin
from smsd.store.db import Database
from smsd.store.errors import InvalidValueError, NotFoundError

HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def config(tmp_path):
    """A configuration naming a database that exists (the daemon has run once)."""

    async def create():
        db = await Database.open(tmp_path / "data" / "smsd.sqlite3")
        await accounts.ensure_user(db, email="conf@example.org", api_key="c" * 32, admin=True)
        await db.close()

    (tmp_path / "data").mkdir()
    asyncio.run(create())
    path = tmp_path / "smsd.toml"
    path.write_text(
        '[daemon]\ndatabase = "data/smsd.sqlite3"\n'
        '[[users]]\nemail = "conf@example.org"\napi_key = "' + "c" * 32 + '"\nadmin = true\n',
        encoding="utf-8",
    )
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _with_db(config, work):
    async def run():
        db = await Database.open(config.parent / "data" / "smsd.sqlite3")
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


def test_user_add_prints_a_working_key_once(config, capsys) -> None:
    code, out, err = _run(
        capsys, "user", "add", "new@example.org", "--admin", "--config", str(config)
    )
    assert code == 0
    key = out.strip()
    assert HEX32.fullmatch(key), out
    assert "created admin new@example.org" in err
    assert key not in err
    user = _with_db(config, lambda db: accounts.user_by_api_key(db, key))
    assert (user.email, user.admin, user.status) == ("new@example.org", True, "active")


def test_two_added_users_get_different_keys(config, capsys) -> None:
    keys = set()
    for email in ("a@example.org", "b@example.org"):
        assert cli.main(["user", "add", email, "--config", str(config)]) == 0
        keys.add(capsys.readouterr().out.strip())
    assert len(keys) == 2


def test_user_add_refuses_a_taken_address(config, capsys) -> None:
    code, out, err = _run(capsys, "user", "add", "conf@example.org", "--config", str(config))
    assert (code, out) == (1, "")
    assert err == "smsd: user conf@example.org already exists\n"


def test_user_add_refuses_what_is_not_an_address(config, capsys) -> None:
    code, out, err = _run(capsys, "user", "add", "not-an-address", "--config", str(config))
    assert (code, out) == (1, "")
    assert "is not an e-mail address" in err


def test_user_list_never_shows_keys(config, capsys) -> None:
    assert cli.main(["user", "add", "b@example.org", "--config", str(config)]) == 0
    key = capsys.readouterr().out.strip()
    code, out, _ = _run(capsys, "user", "list", "--config", str(config))
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert [row[:4] for row in rows] == [
        ["1", "conf@example.org", "admin", "active"],
        ["2", "b@example.org", "user", "active"],
    ]
    assert key not in out
    assert "c" * 32 not in out


def test_key_rotate_replaces_the_key(config, capsys) -> None:
    assert cli.main(["user", "add", "r@example.org", "--config", str(config)]) == 0
    old = capsys.readouterr().out.strip()
    code, out, err = _run(capsys, "key", "rotate", "r@example.org", "--config", str(config))
    new = out.strip()
    assert (code, err) == (0, "")
    assert HEX32.fullmatch(new)
    assert new != old
    assert _with_db(config, lambda db: accounts.user_by_api_key(db, old)) is None
    found = _with_db(config, lambda db: accounts.user_by_api_key(db, new))
    assert found.email == "r@example.org"


def test_key_rotate_of_a_configured_user_warns(config, capsys) -> None:
    code, out, err = _run(capsys, "key", "rotate", "conf@example.org", "--config", str(config))
    assert code == 0
    assert HEX32.fullmatch(out.strip())
    assert "sets the configured key back" in err


def test_key_rotate_of_an_unknown_user_fails(config, capsys) -> None:
    code, out, err = _run(capsys, "key", "rotate", "ghost@example.org", "--config", str(config))
    assert (code, out) == (1, "")
    assert err == "smsd: no user ghost@example.org\n"


def test_suspend_then_activate(config, capsys) -> None:
    code, out, _ = _run(capsys, "user", "suspend", "conf@example.org", "--config", str(config))
    assert (code, out) == (0, "conf@example.org is now suspended\n")
    user = _with_db(config, lambda db: users_admin.find_user(db, "conf@example.org"))
    assert user.status == "suspended"
    code, out, _ = _run(capsys, "user", "activate", "conf@example.org", "--config", str(config))
    assert (code, out) == (0, "conf@example.org is now active\n")


def test_suspend_an_unknown_user_fails(config, capsys) -> None:
    code, _, err = _run(capsys, "user", "suspend", "ghost@example.org", "--config", str(config))
    assert code == 1
    assert "no user ghost@example.org" in err


def test_a_missing_database_is_not_created(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "user", "list")
    assert (code, out) == (1, "")
    assert "no database at" in err
    assert "see --config" in err
    assert not (tmp_path / "smsd.sqlite3").exists()


def test_an_invalid_configuration_is_bad_usage(tmp_path, capsys) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[daemon]\ndatabase = 12\n", encoding="utf-8")
    code, out, err = _run(capsys, "user", "list", "--config", str(path))
    assert (code, out) == (2, "")
    assert "daemon.database" in err


def test_store_functions_refuse_bad_values(tmp_path) -> None:
    async def run():
        db = await Database.open(tmp_path / "x.sqlite3")
        try:
            with pytest.raises(InvalidValueError):
                await users_admin.set_status(db, "a@example.org", "banned")
            with pytest.raises(NotFoundError):
                await users_admin.set_status(db, "a@example.org", "active")
            with pytest.raises(InvalidValueError):
                await users_admin.add_user(db, email="two@@example.org")
            user, key = await users_admin.add_user(db, email="a@example.org")
            assert (user.email, user.admin, len(key)) == ("a@example.org", False, 32)
            assert await users_admin.find_user(db, "b@example.org") is None
        finally:
            await db.close()

    asyncio.run(run())


def test_new_keys_carry_128_bits() -> None:
    keys = {users_admin.new_api_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(HEX32.fullmatch(key) for key in keys)
