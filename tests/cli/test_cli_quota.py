"""``smsd user quota``: show, set, change and remove a user's credit quota in the database."""

from __future__ import annotations

import asyncio

import pytest

from smsd import cli
from smsd.store import accounts, quota
from smsd.store.db import Database


@pytest.fixture
def config(tmp_path):
    async def create():
        db = await Database.open(tmp_path / "smsd.sqlite3")
        await accounts.ensure_user(db, email="ann@example.org", api_key="a" * 32)
        await db.close()

    asyncio.run(create())
    path = tmp_path / "smsd.toml"
    path.write_text('[daemon]\ndatabase = "smsd.sqlite3"\n', encoding="utf-8")
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _stored(config) -> quota.Quota | None:
    async def read():
        db = await Database.open(config.parent / "smsd.sqlite3")
        try:
            found = await db.fetchone("SELECT id FROM user WHERE email = 'ann@example.org'")
            return await quota.get_quota(db, int(found[0]))
        finally:
            await db.close()

    return asyncio.run(read())


def test_set_show_change_remove(config, capsys) -> None:
    where = ("--config", str(config))
    assert _run(capsys, "user", "quota", "ann@example.org", *where)[1] == (
        "ann@example.org: no quota (unlimited)\n"
    )
    code, out, _ = _run(
        capsys, "user", "quota", "ann@example.org", "--credit", "100", "--renew", "weekly",
        "--report-unused", *where,
    )  # fmt: skip
    assert code == 0
    assert "0 of 100 credits used (100 + 0 additional), 100 left" in out
    assert "weekly, unused credit carried over" in out
    stored = _stored(config)
    assert stored is not None
    assert (stored.credit, stored.renewal_interval, stored.report_unused) == (100, "weekly", True)
    code, out, _ = _run(capsys, "user", "quota", "ann@example.org", "--additional", "5", *where)
    assert "(100 + 5 additional), 105 left" in out
    assert _run(capsys, "user", "quota", "ann@example.org", "--remove", *where)[0] == 0
    assert _stored(config) is None


def test_errors_are_named(config, capsys) -> None:
    where = ("--config", str(config))
    code, _, err = _run(capsys, "user", "quota", "nobody@example.org", "--credit", "1", *where)
    assert code == 1
    assert "no user nobody@example.org" in err
    code, _, err = _run(capsys, "user", "quota", "ann@example.org", "--additional", "1", *where)
    assert code == 1
    assert "give --credit N" in err
    with pytest.raises(SystemExit):
        _run(capsys, "user", "quota", "ann@example.org", "--credit", "-3", *where)
    assert "must be >= 0" in capsys.readouterr().err
