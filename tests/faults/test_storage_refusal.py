"""A full disk or a read-only database: the API refuses new messages with a clear error instead
of accepting them and losing them (never a 201 for a row that was not stored)."""

from __future__ import annotations

import pytest
from support.security_rig import KEY_A, A, call, serve, store

from smsd.store import accounts, outbox
from smsd.store.db import Database
from smsd.store.errors import DatabaseFullError
from smsd.store.outbox import Recipient

FULL = "Storage is full"
READ_ONLY = "Storage is read-only"
MESSAGE = {"text": "hello", "numbers": "+33612345678"}


async def _fill(db: Database, id_user: int) -> None:
    """Cap the file at its current size (``max_page_count``), then use up the free pages."""
    async with db.transaction() as conn:
        pages = next(iter(await conn.execute_fetchall("PRAGMA page_count")))[0]
        await conn.execute(f"PRAGMA max_page_count = {int(pages)}")
    for size in (2000, 200, 20, 0):  # big rows first, then whatever still fits in a page
        for n in range(10_000):
            try:
                await accounts.create_contact(
                    db,
                    id_user=id_user,
                    name=f"filler {size} {n}" if size else "n",
                    number="+33612345678",
                    data='["' + "x" * size + '"]' if size else "[]",
                )
            except DatabaseFullError:
                break
        for n in range(10_000):
            try:
                await outbox.create_scheduled(
                    db,
                    id_user=id_user,
                    text="x" * max(size, 1),
                    # the last round is shaped like the refused messages (now, that number):
                    # the index leaves where those would go fill up too
                    at="2099-01-01 00:00:00" if size else None,
                    numbers=[Recipient(number=f"+336{n:08d}" if size else "+33612345678")],
                )
            except DatabaseFullError:
                break
    with pytest.raises(DatabaseFullError):
        await accounts.create_contact(db, id_user=id_user, name="n", number="+33612345678")


async def _count(db: Database, table: str) -> int:
    found = await db.fetchone(f"SELECT count(*) FROM {table}")  # noqa: S608 - constant names
    assert found is not None
    return int(found[0])


async def _message_refusals(client, db: Database, needle: str) -> None:
    """New messages (POST /api/scheduled, GET /api/send-sms) are refused, nothing stored."""
    # Where a new row lands in each index decides whether a page split is needed, so a message
    # of another shape than the filler may still fit: top up through the API itself first.
    send = f"/api/send-sms/?api_key={KEY_A}&to=%2B33612345678&text=x"
    for _ in range(100):
        status, body = await call(client, "GET", send)
        if body["error"]:
            break
    before = await _count(db, "scheduled")
    status, body = await call(client, "POST", "/api/scheduled/", headers=A, data=MESSAGE)
    assert (status, body["error"]) == (400, 8), body
    assert body["message"].startswith("Cannot create a new entry. ")
    assert needle in body["message"]
    assert set(body) == {"error", "message", "response", "next", "prev"}
    status, body = await call(
        client, "GET", f"/api/send-sms/?api_key={KEY_A}&to=%2B33612345678&text=x"
    )
    assert (status, body["error"]) == (404, 8), body
    assert needle in body["message"]
    assert await _count(db, "scheduled") == before


async def _entry_refusals(
    client, db: Database, needle: str, *, id_scheduled: int, id_contact: int, writes: bool = True
) -> None:
    """Creating entries (and with ``writes``, updating and deleting them: a full disk may still
    have room for those) is refused with the route's code; reading still works."""
    before = {t: await _count(db, t) for t in ("scheduled", "contact")}
    status, body = await call(
        client, "POST", "/api/contact/", headers=A, data={"name": "n", "number": "+33612345678"}
    )
    assert (status, body["error"]) == (400, 8), body
    assert needle in body["message"]
    if not writes:
        assert {t: await _count(db, t) for t in before} == before
        return
    status, body = await call(client, "DELETE", f"/api/scheduled/{id_scheduled}/", headers=A)
    assert (status, body["error"]) == (400, 32), body
    assert needle in body["message"]
    status, body = await call(
        client, "POST", f"/api/contact/{id_contact}/", headers=A, data={"name": "renamed"}
    )
    assert (status, body["error"]) == (400, 128), body
    assert needle in body["message"]
    assert {t: await _count(db, t) for t in before} == before
    status, body = await call(client, "GET", "/api/list/scheduled/", headers=A)
    assert status == 200
    assert id_scheduled in [r["id"] for r in body["response"]]


async def _seed(client) -> tuple[int, int]:
    status, body = await call(
        client,
        "POST",
        "/api/scheduled/",
        headers=A,
        data={**MESSAGE, "at": "2099-01-01 00:00:00"},
    )
    assert status == 201, body
    id_scheduled = body["response"]
    status, body = await call(
        client, "POST", "/api/contact/", headers=A, data={"name": "c", "number": "+33612345678"}
    )
    assert status == 201, body
    return id_scheduled, body["response"]


async def test_disk_full_refuses_entries_with_a_clear_error(tmp_path) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, id_a, _b), serve(db) as client:
        id_scheduled, id_contact = await _seed(client)
        await _fill(db, id_a)
        await _entry_refusals(
            client, db, FULL, id_scheduled=id_scheduled, id_contact=id_contact, writes=False
        )


async def test_disk_full_refuses_new_messages_with_error_8(tmp_path) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, id_a, _b), serve(db) as client:
        await _seed(client)
        await _fill(db, id_a)
        await _message_refusals(client, db, FULL)


async def test_query_only_database_refuses_with_error_8(tmp_path) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, _a, _b), serve(db) as client:
        id_scheduled, id_contact = await _seed(client)
        async with db.transaction() as conn:
            await conn.execute("PRAGMA query_only = ON")
        await _message_refusals(client, db, READ_ONLY)
        await _entry_refusals(
            client, db, READ_ONLY, id_scheduled=id_scheduled, id_contact=id_contact
        )


async def test_read_only_file_refuses_with_error_8(tmp_path) -> None:
    path = tmp_path / "s.sqlite3"
    async with store(path) as (db, _a, _b), serve(db) as client:
        id_scheduled, id_contact = await _seed(client)
    db = await Database.open(path, read_only=True)
    try:
        async with serve(db) as client:
            await _message_refusals(client, db, READ_ONLY)
            await _entry_refusals(
                client, db, READ_ONLY, id_scheduled=id_scheduled, id_contact=id_contact
            )
    finally:
        await db.close()
