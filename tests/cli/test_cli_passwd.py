"""``smsd user passwd EMAIL``: the password from the terminal (no echo) or standard input."""

from __future__ import annotations

import asyncio
import io

import pytest

from smsd import cli
from smsd.store import accounts, passwords
from smsd.store.db import Database


@pytest.fixture
def config(tmp_path):
    async def create():
        db = await Database.open(tmp_path / "smsd.sqlite3")
        await accounts.ensure_user(db, email="ops@example.org", api_key="c" * 32)
        await db.close()

    asyncio.run(create())
    path = tmp_path / "smsd.toml"
    path.write_text('[daemon]\ndatabase = "smsd.sqlite3"\n', encoding="utf-8")
    return path


def _login(config, email: str, password: str):
    async def run():
        db = await Database.open(config.parent / "smsd.sqlite3")
        try:
            return await passwords.check_login(db, email, password)
        finally:
            await db.close()

    return asyncio.run(run())


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_passwd_from_standard_input(config, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    code = cli.main(["user", "passwd", "ops@example.org", "--config", str(config)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out == "password of ops@example.org set; its login sessions are closed\n"
    assert _login(config, "ops@example.org", "a long passphrase") is not None
    assert _login(config, "ops@example.org", "a long passphrasE") is None


def test_passwd_on_a_terminal_asks_twice_without_echo(config, capsys, monkeypatch) -> None:
    asked: list[str] = []
    answers = iter(["first try 123", "first try 123"])

    def getpass(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr("sys.stdin", _Tty())
    monkeypatch.setattr("getpass.getpass", getpass)
    code = cli.main(["user", "passwd", "ops@example.org", "--config", str(config)])
    assert code == 0
    assert asked == ["New password: ", "Again: "]
    assert "first try" not in capsys.readouterr().out
    assert _login(config, "ops@example.org", "first try 123") is not None


@pytest.mark.parametrize(
    "case",
    [
        ("ops@example.org", "short\n", 2, "smsd: a password needs at least 8 characters\n"),
        ("nobody@example.org", "long enough\n", 1, "smsd: no user nobody@example.org\n"),
    ],
)
def test_passwd_refusals(config, capsys, monkeypatch, case) -> None:
    email, typed, code, message = case
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    assert cli.main(["user", "passwd", email, "--config", str(config)]) == code
    assert capsys.readouterr().err == message


def test_passwd_on_a_terminal_refuses_two_different_passwords(config, capsys, monkeypatch) -> None:
    answers = iter(["one password", "another one"])
    monkeypatch.setattr("sys.stdin", _Tty())
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(answers))
    assert cli.main(["user", "passwd", "ops@example.org", "--config", str(config)]) == 2
    assert capsys.readouterr().err == "smsd: the two passwords differ\n"
