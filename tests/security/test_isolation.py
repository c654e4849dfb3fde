"""Every query is scoped to the key's user: B can neither see, change, delete nor send with A's
phones, groups, contacts or messages, whether it knows the ids or guesses them."""

from __future__ import annotations

import pytest
from support.security_rig import KEY_B, A, B, call, serve, store

from smsd.store import accounts

LIST_TYPES = (
    "sended",
    "received",
    "scheduled",
    "contact",
    "group",
    "conditional_group",
    "phone",
    "phone_group",
    "media",
)
TABLES = (
    "phone",
    "contact",
    '"group"',
    "conditional_group",
    "phone_group",
    "scheduled",
    "received",
    "sended",
)


async def _seed_a(db, id_a: int) -> dict[str, int]:
    """One row of every kind owned by A."""
    phone = await accounts.sync_phone(
        db,
        id_user=id_a,
        name="a-phone",
        adapter="smsd\\Modem",
        adapter_data='{"device": "virtual"}',
        priority=0,
        limits=[],
    )
    contact = await accounts.create_contact(db, id_user=id_a, name="Ann", number="+33611111111")
    return {
        "phone": phone,
        "contact": contact,
        "group": await accounts.create_group(db, id_user=id_a, name="g", contacts=[contact]),
        "conditional_group": await accounts.create_conditional_group(
            db, id_user=id_a, name="cg", condition="1 == 1"
        ),
        "phone_group": await accounts.create_phone_group(
            db, id_user=id_a, name="pg", phones=[phone]
        ),
        "media": await accounts.create_media(db, id_user=id_a, path="1/a.png"),
        "received": await db.execute(
            "INSERT INTO received (at, text, origin, id_user, id_phone, dedupe_key) "
            "VALUES ('2024-01-01 11:00:00', 'secret', '+33622222222', ?, ?, 'k')",
            (id_a, phone),
        ),
        "sended": await db.execute(
            "INSERT INTO sended (at, text, destination, id_user, id_phone, state, due_at, "
            "next_attempt_at, segments) VALUES ('2024-01-02 10:00:00', 'secret', "
            "'+33633333333', ?, ?, 'sent', 0, 0, 1)",
            (id_a, phone),
        ),
    }


async def _snapshot(db) -> dict[str, list[tuple]]:
    found = {}
    for table in TABLES:
        rows = await db.fetchall(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 - constant
        found[table] = [tuple(r) for r in rows]
    return found


async def test_b_sees_nothing_of_a(tmp_path) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, id_a, _b), serve(db) as client:
        await _seed_a(db, id_a)
        status, body = await call(
            client,
            "POST",
            "/api/scheduled/",
            headers=A,
            data={"text": "later", "numbers": "+33612345678", "at": "2099-01-01 00:00:00"},
        )
        assert status == 201, body
        for entry in LIST_TYPES:
            status, body = await call(client, "GET", f"/api/list/{entry}/", headers=B)
            assert (status, body["response"]) == (200, []), entry
            status, body = await call(client, "GET", f"/api/list/{entry}/", headers=A)
            assert status == 200
            assert body["response"], entry  # A does see its own rows
            for path in (f"/api/list/{entry}/after/0/", f"/api/list/{entry}/before/999999/"):
                status, body = await call(client, "GET", path, headers=B)
                assert body["response"] in ([], None), (path, body)
        status, body = await call(client, "GET", "/api/stats/sms-status/", headers=B)
        assert "secret" not in str(body)


async def test_b_cannot_change_or_delete_a_rows_by_guessing_ids(tmp_path) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, id_a, _b), serve(db) as client:
        await _seed_a(db, id_a)
        await call(
            client,
            "POST",
            "/api/scheduled/",
            headers=A,
            data={"text": "later", "numbers": "+33612345678", "at": "2099-01-01 00:00:00"},
        )
        before = await _snapshot(db)
        for guess in range(1, 8):
            for kind in ("contact", "group", "conditional_group", "phone_group", "phone"):
                status, body = await call(
                    client, "POST", f"/api/{kind}/{guess}/", headers=B, data={"name": "hijack"}
                )
                assert status == 400, (kind, guess, body)
                assert body["error"] in {2, 128}, (kind, guess, body)
                status, body = await call(client, "DELETE", f"/api/{kind}/{guess}/", headers=B)
                assert (status, body["error"]) == (400, 32), (kind, guess, body)
            status, body = await call(client, "DELETE", f"/api/scheduled/{guess}/", headers=B)
            assert (status, body["error"]) == (400, 32)
            status, body = await call(
                client,
                "POST",
                f"/api/received/{guess}/status/",
                headers=B,
                data={"status": "read"},
            )
            assert status == 400
            for suffix in ("status", "status/force"):
                status, body = await call(
                    client,
                    "POST",
                    f"/api/phone/{guess}/{suffix}/",
                    headers=B,
                    data={"status": "disabled"},
                )
                assert status == 400, (suffix, guess, body)
        assert await _snapshot(db) == before


@pytest.mark.parametrize(
    "form",
    [
        {"id_phone": "phone"},
        {"id_phone_group": "phone_group"},
    ],
)
async def test_b_cannot_send_through_a_phones(tmp_path, form) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, id_a, _b), serve(db) as client:
        ids = await _seed_a(db, id_a)
        data = {"text": "x", "numbers": "+33612345678"}
        data.update({name: str(ids[kind]) for name, kind in form.items()})
        status, body = await call(client, "POST", "/api/scheduled/", headers=B, data=data)
        assert status == 400, body
        assert body["error"] == 2
        count = await db.fetchone("SELECT count(*) FROM scheduled")
        assert count[0] == 0


async def test_b_cannot_send_sms_through_a_phone(tmp_path) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, id_a, _b), serve(db) as client:
        ids = await _seed_a(db, id_a)
        status, body = await call(
            client,
            "GET",
            f"/api/send-sms/?api_key={KEY_B}&to=%2B33612345678&text=x&id_phone={ids['phone']}",
        )
        assert status == 404, body
        assert body["error"] == 8
        count = await db.fetchone("SELECT count(*) FROM scheduled")
        assert count[0] == 0


async def test_b_cannot_reach_a_contacts_and_groups_as_recipients(tmp_path) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, id_a, id_b), serve(db) as client:
        ids = await _seed_a(db, id_a)
        data = {
            "text": "x",
            "contacts[]": str(ids["contact"]),
            "groups[]": str(ids["group"]),
            "conditional_groups[]": str(ids["conditional_group"]),
            "numbers": "+33612345678",
        }
        status, body = await call(client, "POST", "/api/scheduled/", headers=B, data=data)
        assert status == 201, body
        rows = await db.fetchall(
            "SELECT 'c' FROM scheduled_contact JOIN scheduled ON scheduled.id = id_scheduled "
            "WHERE scheduled.id_user = ? UNION ALL "
            "SELECT 'g' FROM scheduled_group JOIN scheduled ON scheduled.id = id_scheduled "
            "WHERE scheduled.id_user = ? UNION ALL "
            "SELECT 'cg' FROM scheduled_conditional_group JOIN scheduled "
            "ON scheduled.id = id_scheduled WHERE scheduled.id_user = ?",
            (id_b, id_b, id_b),
        )
        assert rows == []  # only the plain number became a recipient


async def test_ids_beyond_64_bits_name_no_row(tmp_path) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, id_a, _b), serve(db) as client:
        ids = await _seed_a(db, id_a)
        huge = str(2**70)
        for path, field in (("/api/group/", "contacts[]"), ("/api/phone_group/", "phones[]")):
            status, body = await call(
                client, "POST", path, headers=A, data={"name": f"n{path}", field: huge}
            )
            assert status == 201, body
        assert (
            await db.fetchall(
                "SELECT id_contact FROM group_contact WHERE id_contact > ?", (ids["contact"],)
            )
            == []
        )
