"""Migrations: from every earlier version (0 = empty file) to the latest, data kept.

Each test is parametrised over the versions that exist, so a new numbered migration is covered
without touching this file: a database is built at version ``v`` (seeded with the newest seed
written for a version <= v), migrated to the latest, and compared with a fresh database: same
schema, every seeded row still there with the same values in the columns that still exist.
When a migration changes data on purpose, add a seed for its version and say so here.
"""

from __future__ import annotations

import sqlite3

import pytest

from smsd.store import migrate
from smsd.store.db import Database
from smsd.store.errors import MigrationError, StoreError

LATEST = migrate.latest_version()

# Seeds: SQL valid at the given schema version, touching every table.
SEEDS: dict[int, str] = {
    1: """
    INSERT INTO user (id, email, api_key, admin) VALUES (1, 'a@example.org', 'k1', 1);
    INSERT INTO setting (id_user, name, value) VALUES (1, 'templating', '1');
    INSERT INTO phone (id, id_user, adapter, adapter_data, name, priority)
        VALUES (1, 1, 'smsd\\Modem', '{"device": "virtual"}', 'm1', 2);
    INSERT INTO phone_limit (id_phone, volume, startpoint) VALUES (1, 100, 'today');
    INSERT INTO phone_group (id, id_user, name) VALUES (1, 1, 'pg');
    INSERT INTO phone_group_phone (id_phone_group, id_phone) VALUES (1, 1);
    INSERT INTO contact (id, id_user, name, number, data)
        VALUES (1, 1, 'Ann', '+33611111111', '{"firstname": "Ann"}');
    INSERT INTO "group" (id, id_user, name) VALUES (1, 1, 'friends');
    INSERT INTO group_contact (id_group, id_contact) VALUES (1, 1);
    INSERT INTO conditional_group (id, id_user, name, condition)
        VALUES (1, 1, 'vip', 'contact.vip == 1');
    INSERT INTO media (id, id_user, path) VALUES (1, 1, '1/a.png');
    INSERT INTO scheduled (id, id_user, at, text, due_at, priority)
        VALUES (1, 1, '2024-01-01 10:00:00', 'hello', 1704099600, 3);
    INSERT INTO scheduled_number (id_scheduled, number, data) VALUES (1, '+33622222222', '[]');
    INSERT INTO scheduled_contact (id_scheduled, id_contact) VALUES (1, 1);
    INSERT INTO scheduled_group (id_scheduled, id_group) VALUES (1, 1);
    INSERT INTO scheduled_conditional_group (id_scheduled, id_conditional_group) VALUES (1, 1);
    INSERT INTO scheduled_media (id_scheduled, id_media) VALUES (1, 1);
    INSERT INTO sended (id, at, text, destination, id_user, id_phone, originating_scheduled, state,
                        due_at, next_attempt_at, segments, uid)
        VALUES (1, '2024-01-01 10:00:01', 'hello', '+33622222222', 1, 1, 1, 'sent',
                1704099600, 1704099600, 1, '42');
    INSERT INTO sended_segment (id_sended, seq, state, reference, id_phone, sent_at)
        VALUES (1, 1, 'sent', 42, 1, 1704099601);
    INSERT INTO sended_media (id_sended, id_media) VALUES (1, 1);
    INSERT INTO received (id, at, text, origin, id_user, id_phone, dedupe_key)
        VALUES (1, '2024-01-01 11:00:00', 'hi', '+33622222222', 1, 1, 'k');
    INSERT INTO received_media (id_received, id_media) VALUES (1, 1);
    INSERT INTO received_part (id_phone, sender, reference, total, seq, text, smsc_timestamp, pdu,
                               received_at)
        VALUES (1, '+33633333333', 7, 2, 1, 'part', '2024-01-01 11:00:00', '00', 1704103200);
    INSERT INTO webhook (id_user, url, type) VALUES (1, 'https://example.org/hook', 'receive_sms');
    INSERT INTO smsstop (id_user, number) VALUES (1, '+33644444444');
    """,
}
SEEDS[2] = (
    SEEDS[1]  # noqa: S608 - constant SQL of the test itself
    + """
    UPDATE scheduled SET url_dlr = 'https://example.org/dlr', url_response = 'https://example.org/r'
        WHERE id = 1;
    INSERT INTO webhook_event (id_user, id_webhook, url, target, type, subject, body, timestamp,
                               random_id, created_at, next_attempt_at, state, attempts)
        VALUES (1, NULL, 'https://example.org/dlr', 'https://example.org/dlr',
                'send_sms_status_change', 'sended:1', '{"id":1,"status":"delivered"}',
                1704099700, '1704099700-0123456789abcdef0123456789abcdef', 1704099700.5,
                1704099702.0, 'pending', 1);
    INSERT INTO webhook_reply (id_user, id_phone, number_key, id_sended, id_scheduled, url, until)
        VALUES (1, 1, '622222222', 1, 1, 'https://example.org/r', 1704358901.0);
    """
)
SEEDS[3] = (
    SEEDS[2]  # noqa: S608 - constant SQL of the test itself
    + """
    INSERT INTO call (id, id_user, id_phone, uid, start, "end", direction, origin)
        VALUES (1, 1, 1, '20240101120000-1', '2024-01-01 12:00:00', '2024-01-01 12:00:04',
                'inbound', '+33655555555');
    """
)

# The core-features migration (quotas, sandbox, quiet hours, sender names): found by its name,
# so its number is only in the file name.
_CORE = next(m.version for m in migrate.available() if m.name.endswith("_core_features.sql"))
SEEDS[_CORE] = (
    SEEDS[max(v for v in SEEDS if v < _CORE)]  # noqa: S608 - constant SQL of the test itself
    + """
    INSERT INTO quota (id_user, credit, additional, consumed, start_date, expiration_date)
        VALUES (1, 100, 5, 3, '2024-01-01 00:00:00', '2024-02-01 00:00:00');
    INSERT INTO core_option (name, value) VALUES ('currency', 'EUR');
    UPDATE scheduled SET sandbox = 0, commercial = 1, sender = 'Shop', deferred_to = 1704182400,
        deferred_reason = 'quiet hours' WHERE id = 1;
    UPDATE sended SET sender = 'Shop', credits = 1 WHERE id = 1;
    """
)

# Incoming rules (the migration named "rules"; its number is found, not written here).
_RULES = next(m.version for m in migrate.available() if m.name.endswith("_rules.sql"))
SEEDS[_RULES] = (
    SEEDS[max(v for v in SEEDS if v < _RULES)]  # noqa: S608 - constant SQL of the test itself
    + """
    INSERT INTO rule (id, id_user, position, source, definition)
        VALUES (1, 1, 0, 'api', '{"keyword": "INFO", "reply": "hello"}');
    INSERT INTO rule_reply (id_user, rule_key, number_key, until)
        VALUES (1, 'abc', '33622222222', 1704103300.0);
    INSERT INTO rule_cause (id_scheduled, id_received, id_rule, kind, created_at)
        VALUES (1, 1, 1, 'reply', 1704103200.0);
    INSERT INTO mail_in (id_user, dedupe_key, id_scheduled, sender, created_at)
        VALUES (1, 'k', 1, 'monitor@example.org', 1704103200.0);
    """
)

# USSD sessions and balances: keyed by the migration's number, whatever it is renumbered to.
_USSD = next(m.version for m in migrate.available() if m.name.endswith("_ussd.sql"))
SEEDS[_USSD] = (
    SEEDS[max(v for v in SEEDS if v < _USSD)]  # noqa: S608 - constant SQL of the test itself
    + """
    INSERT INTO ussd (id, id_user, id_phone, code, status, answer, network_status, dcs)
        VALUES (1, 1, 1, '*100#', 'done', 'Balance 5,00 EUR', 0, 15);
    INSERT INTO ussd_step (id, id_ussd, request, answer, network_status, dcs, sent_at)
        VALUES (1, 1, '*100#', 'Balance 5,00 EUR', 0, 15, '2024-01-01 12:00:00');
    INSERT INTO phone_balance (id_phone, amount, answer, low, checked_at)
        VALUES (1, 5.0, 'Balance 5,00 EUR', 0, '2024-01-01 12:00:00');
    """
)

# The login-sessions migration (passwords, session tokens, customer ids): found by its name, so
# its number is only in the file name.
_LOGINS = next(m.version for m in migrate.available() if m.name.endswith("_login_sessions.sql"))
SEEDS[_LOGINS] = (
    SEEDS[max(v for v in SEEDS if v < _LOGINS)]  # noqa: S608 - constant SQL of the test itself
    + """
    UPDATE user SET password = '$scrypt$v=1$ln=4,r=1,p=1$c2FsdA==$aGFzaA==' WHERE id = 1;
    INSERT INTO login_session (id_user, digest, created_at, expires_at)
        VALUES (1, '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
                1704099700.0, 1704704500.0);
    UPDATE scheduled SET customer_id = 122 WHERE id = 1;
    """
)

# Command records (a repeated command stores nothing twice): found by the migration's name.
_RECORDS = next(m.version for m in migrate.available() if m.name.endswith("_command_records.sql"))
SEEDS[_RECORDS] = (
    SEEDS[max(v for v in SEEDS if v < _RECORDS)]  # noqa: S608 - constant SQL of the test itself
    + """
    INSERT INTO command_record (id_user, scope, key, fingerprint, ids, created_at)
        VALUES (1, 'http', 'order-1001',
                '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', '[1]',
                1704099700.0);
    """
)


def seed_for(version: int) -> str | None:
    usable = [v for v in SEEDS if v <= version]
    return SEEDS[max(usable)] if usable else None


def snapshot(path) -> dict[str, list[dict]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        found = {}
        for table in tables:
            query = f'SELECT * FROM "{table}" ORDER BY rowid'  # noqa: S608 - from sqlite_master
            found[table] = [dict(r) for r in conn.execute(query)]
        return found
    finally:
        conn.close()


def schema(path) -> dict[str, object]:
    conn = sqlite3.connect(path)
    try:
        objects = conn.execute(
            "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name"
        ).fetchall()
        columns = {
            name: conn.execute(f'PRAGMA table_xinfo("{name}")').fetchall()
            for kind, name, _t in objects
            if kind == "table"
        }
        indexes = {
            name: conn.execute(f'PRAGMA index_xinfo("{name}")').fetchall()
            for kind, name, _t in objects
            if kind == "index"
        }
        return {"objects": objects, "columns": columns, "indexes": indexes}
    finally:
        conn.close()


def user_version(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


async def build_at(path, version: int) -> None:
    database = await Database.open(path, target_version=version)
    try:
        seed = seed_for(version)
        if seed is not None:
            async with database.transaction() as conn:
                for statement in _statements(seed):
                    await conn.execute(statement)
    finally:
        await database.close()


def _statements(script: str) -> list[str]:
    found, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            found.append(current)
            current = ""
    return found


def test_migrations_are_package_data() -> None:
    found = migrate.available()
    assert found
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert found[0].name == "0001_initial.sql"
    assert "CREATE TABLE sended" in found[0].sql


async def test_fresh_file_gets_the_latest_version(tmp_path) -> None:
    path = tmp_path / "new.sqlite3"
    database = await Database.open(path)
    await database.close()
    assert user_version(path) == LATEST


async def test_reopening_is_idempotent(tmp_path) -> None:
    path = tmp_path / "again.sqlite3"
    await build_at(path, LATEST)
    before_schema, before_rows = schema(path), snapshot(path)
    for _ in range(2):
        database = await Database.open(path)
        await database.close()
    assert user_version(path) == LATEST
    assert schema(path) == before_schema
    assert snapshot(path) == before_rows


@pytest.mark.parametrize("start", range(LATEST + 1))
async def test_upgrade_from_every_version_keeps_data(tmp_path, start: int) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    await build_at(fresh, LATEST)
    old = tmp_path / f"v{start}.sqlite3"
    await build_at(old, start)
    assert user_version(old) == start
    before = snapshot(old)

    # one version at a time, reopening in between, as successive releases would
    for version in range(start + 1, LATEST + 1):
        database = await Database.open(old, target_version=version)
        await database.close()
        assert user_version(old) == version
    database = await Database.open(old)
    await database.close()

    assert user_version(old) == LATEST
    fresh_schema, old_schema = schema(fresh), schema(old)
    assert old_schema == fresh_schema
    after = snapshot(old)
    for table, rows in before.items():
        assert table in after, f"table {table} vanished"
        assert len(after[table]) == len(rows), f"rows of {table} changed"
        for was, now in zip(rows, after[table], strict=True):
            assert {k: now[k] for k in was if k in now} == {
                k: v for k, v in was.items() if k in now
            }
    with sqlite3.connect(old) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


async def test_seeds_cover_every_table(tmp_path) -> None:
    path = tmp_path / "seeded.sqlite3"
    await build_at(path, LATEST)
    empty = [t for t, rows in snapshot(path).items() if not rows]
    assert empty == [], f"seed {max(SEEDS)} leaves tables empty: {empty}"


async def test_newer_database_is_refused(tmp_path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(MigrationError, match="newer"):
        await Database.open(path)


async def test_downgrade_is_refused(tmp_path) -> None:
    path = tmp_path / "latest.sqlite3"
    await build_at(path, LATEST)
    with pytest.raises(MigrationError, match="downgrade"):
        await Database.open(path, target_version=LATEST - 1)
    with pytest.raises(MigrationError, match="no schema version"):
        await Database.open(path, target_version=LATEST + 5)


async def test_failed_migration_rolls_back_whole(tmp_path, monkeypatch) -> None:
    path = tmp_path / "broken.sqlite3"
    await build_at(path, LATEST)
    broken = migrate.Migration(
        LATEST + 1,
        f"{LATEST + 1:04d}_broken.sql",
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);",
    )
    shipped = migrate.available()
    monkeypatch.setattr(migrate, "available", lambda: (*shipped, broken))
    with pytest.raises(StoreError, match="broken"):
        await Database.open(path)
    assert user_version(path) == LATEST
    assert "half_done" not in snapshot(path)


async def test_migration_breaking_foreign_keys_is_refused(tmp_path, monkeypatch) -> None:
    path = tmp_path / "fk.sqlite3"
    await build_at(path, LATEST)
    orphan = migrate.Migration(
        LATEST + 1,
        f"{LATEST + 1:04d}_orphan.sql",
        "INSERT INTO phone (id_user, adapter, name) VALUES (999, 'x', 'orphan');",
    )
    shipped = migrate.available()
    monkeypatch.setattr(migrate, "available", lambda: (*shipped, orphan))
    with pytest.raises(MigrationError, match="foreign key"):
        await Database.open(path)
    assert user_version(path) == LATEST
    assert all(r["name"] != "orphan" for r in snapshot(path)["phone"])
