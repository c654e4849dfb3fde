"""Paged lists, accounts, and the query plans of the hot queries (every one uses an index)."""

from __future__ import annotations

import re

import pytest
from store_helpers import queue
from support.store import add_phone

from smsd.store import accounts, listing, outbox
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.listing import EntryType


async def test_pages_after_and_before(db, user) -> None:
    other = await accounts.ensure_user(db, email="o@example.org", api_key="o" * 32)
    mine = []
    for i in range(60):
        mine.append(
            await accounts.create_contact(db, id_user=user, name=f"c{i}", number=f"+336{i:08d}")
        )
        await accounts.create_contact(db, id_user=other, name=f"x{i}", number=f"+337{i:08d}")

    async def ids(**kw):
        return [r["id"] for r in await listing.list_page(db, "contact", id_user=user, **kw)]

    assert await ids() == mine[:25]
    assert await ids(page=1) == mine[25:50]
    assert await ids(page=2) == mine[50:]
    assert await ids(page=3) == []
    assert await ids(after=mine[24]) == mine[25:50]
    assert await ids(before=mine[30]) == mine[5:30]
    assert await ids(before=10**9) == mine[35:]
    rows = await listing.list_page(db, EntryType.CONTACT, id_user=user)
    assert list(rows[0].keys()) == [
        "id",
        "id_user",
        "name",
        "number",
        "data",
        "created_at",
        "updated_at",
    ]
    with pytest.raises(InvalidValueError):
        await listing.list_page(db, "nope", id_user=user)
    with pytest.raises(InvalidValueError):
        await listing.list_page(db, "contact", id_user=user, page=-1)


async def test_every_entry_type_lists_with_raspisms_columns(db, user, phone) -> None:
    await queue(db, user, "+33611111111")
    await outbox.create_scheduled(db, id_user=user, text="later", at="2099-01-01 00:00:00")
    contact = await accounts.create_contact(db, id_user=user, name="A", number="+33611111111")
    await accounts.create_group(db, id_user=user, name="g", contacts=[contact])
    await accounts.create_conditional_group(db, id_user=user, name="c", condition="1 == 1")
    await accounts.create_phone_group(db, id_user=user, name="pg", phones=[phone])
    await accounts.create_media(db, id_user=user, path="1/a.png")
    expected = {
        "sended": ["id", "at", "text", "destination", "flash", "status", "uid", "adapter",
                   "id_user", "id_phone", "mms", "originating_scheduled", "created_at",
                   "updated_at", "tag", "sandbox", "sender", "reason"],
        "received": ["id", "at", "text", "origin", "command", "status", "id_user", "id_phone",
                     "mms", "created_at", "updated_at"],
        "scheduled": ["id", "id_user", "at", "text", "flash", "id_phone", "id_phone_group", "mms",
                      "created_at", "updated_at", "tag", "sandbox", "commercial", "sender",
                      "deferred_to", "deferred_reason"],
        "group": ["id", "id_user", "name", "created_at", "updated_at", "nb_contact"],
        "conditional_group": ["id", "id_user", "name", "condition", "created_at", "updated_at"],
        "phone": ["id", "id_user", "adapter", "adapter_data", "name", "priority", "created_at",
                  "updated_at", "status", "balance"],
        "phone_group": ["id", "id_user", "name", "created_at", "updated_at", "nb_phone"],
        "media": ["id", "path", "id_user", "created_at", "updated_at"],
    }  # fmt: skip
    for entry_type, columns in expected.items():
        rows = await listing.list_page(db, entry_type, id_user=user)
        if entry_type == "received":
            assert rows == []
            continue
        assert list(rows[0].keys()) == columns, entry_type
    # the expanded scheduled message is hidden, the pending one shown
    [pending] = await listing.list_page(db, "scheduled", id_user=user)
    assert pending["text"] == "later"
    [group] = await listing.list_page(db, "group", id_user=user)
    assert group["nb_contact"] == 1
    [phone_group] = await listing.list_page(db, "phone_group", id_user=user)
    assert phone_group["nb_phone"] == 1


def _params(sql: str) -> dict[str, object]:
    return dict.fromkeys(re.findall(r":(\w+)", sql), 1)


HOT_QUERIES = {
    "next_queued": (outbox.next_queued_sql(1), "sended_queued"),
    "next_queued, 3 phones": (outbox.next_queued_sql(3), "sended_queued"),
    "list sended page": (listing.page_sql(EntryType.SENDED, form="page"), "sended_list"),
    "list sended after": (listing.page_sql(EntryType.SENDED, form="after"), "sended_list"),
    "list sended before": (listing.page_sql(EntryType.SENDED, form="before"), "sended_list"),
    "list received page": (listing.page_sql(EntryType.RECEIVED, form="page"), "received_list"),
    "list scheduled page": (listing.page_sql(EntryType.SCHEDULED, form="page"), "scheduled_list"),
    "list contact after": (listing.page_sql(EntryType.CONTACT, form="after"), "contact_list"),
    "list group before": (listing.page_sql(EntryType.GROUP, form="before"), "group_list"),
    "list phone page": (listing.page_sql(EntryType.PHONE, form="page"), "phone_list"),
    "list phone_group after": (
        listing.page_sql(EntryType.PHONE_GROUP, form="after"), "phone_group_list",
    ),
    "list conditional_group page": (
        listing.page_sql(EntryType.CONDITIONAL_GROUP, form="page"), "conditional_group_list",
    ),
    "list media before": (listing.page_sql(EntryType.MEDIA, form="before"), "media_list"),
    "due scheduled": (
        ("SELECT id FROM scheduled WHERE expanded_at IS NULL AND held = 0 AND due_at <= :now "
         "ORDER BY due_at, id LIMIT :limit"),
        "scheduled_due",
    ),
    "expanded scheduled of a user": (
        ("SELECT * FROM scheduled WHERE id_user = :u AND expanded_at IS NOT NULL "
         "ORDER BY id DESC LIMIT :limit"),
        "scheduled_expanded",
    ),
    "match report": (
        ("SELECT g.id_sended, g.seq, s.destination FROM sended_segment AS g "
         "JOIN sended AS s ON s.id = g.id_sended "
         "WHERE g.id_phone = :p AND g.reference = :r AND g.sent_at >= :t AND g.state = 'sent' "
         "ORDER BY g.sent_at DESC, g.id DESC"),
        "sended_segment_reference",
    ),
    "sent volume": (
        ("SELECT count(*) FROM sended_segment "
         "WHERE id_phone = :p AND sent_at >= :t AND state IN ('sent', 'unknown')"),
        "sended_segment_volume",
    ),
    "queue depth": ("SELECT count(*) FROM sended WHERE state = 'queued'", "sended_queued"),
    "recovery": ("SELECT id FROM sended WHERE state = 'sending'", "sended_sending"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(HOT_QUERIES))
async def test_hot_queries_use_their_index(db, name) -> None:
    sql, index = HOT_QUERIES[name]
    plan = [str(r[3]) for r in await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", _params(sql))]
    text = " | ".join(plan)
    assert f"INDEX {index}" in text, text
    assert "TEMP B-TREE" not in text, text
    for step in plan:  # no full scan of a table, only index walks and keyed searches
        assert not re.match(r"SCAN \w+$", step), text


async def test_accounts(db) -> None:
    uid = await accounts.ensure_user(db, email="a@example.org", api_key="k" * 32)
    assert await accounts.ensure_user(db, email="a@example.org", api_key="k" * 32) == uid
    assert (
        await accounts.ensure_user(db, email="a@example.org", api_key="n" * 32, admin=True) == uid
    )
    assert await accounts.user_by_api_key(db, "k" * 32) is None
    found = await accounts.user_by_api_key(db, "n" * 32)
    assert (found.id, found.email, found.status, found.admin) == (
        uid,
        "a@example.org",
        "active",
        True,
    )
    await accounts.set_user_status(db, uid, "suspended")
    assert (await accounts.user_by_api_key(db, "n" * 32)).status == "suspended"
    with pytest.raises(InvalidValueError):
        await accounts.set_user_status(db, uid, "gone")
    with pytest.raises(NotFoundError):
        await accounts.set_user_status(db, 999, "active")
    with pytest.raises(InvalidValueError):
        await accounts.ensure_user(db, email="", api_key="x")
    await accounts.set_setting(db, id_user=uid, name="templating", value="0")
    await accounts.set_setting(db, id_user=uid, name="templating", value="1")
    assert await accounts.settings(db, uid) == {"templating": "1"}


async def test_phones_sync_and_status(db, user) -> None:
    first = await add_phone(db, user, "m1", priority=2, limits=[(100, "today"), (500, "-7 days")])
    assert await add_phone(db, user, "m1", priority=3, limits=[(10, "today")]) == first
    await add_phone(db, user, "m2")
    [one, two] = await accounts.phones(db, user)
    assert (one.id, one.name, one.priority, one.status, one.limits) == (
        first, "m1", 3, "available", ((10, "today"),),
    )  # fmt: skip
    assert two.limits == ()
    await accounts.set_phone_status(db, first, "unavailable")
    assert (await accounts.phones(db))[0].status == "unavailable"
    with pytest.raises(InvalidValueError):
        await accounts.set_phone_status(db, first, "broken")
    with pytest.raises(NotFoundError):
        await accounts.set_phone_status(db, 999, "available")
    with pytest.raises(InvalidValueError, match="adapter_data"):
        await accounts.sync_phone(db, id_user=user, name="x", adapter="a", adapter_data="{",
                                  priority=0, limits=[])  # fmt: skip
    with pytest.raises(InvalidValueError):
        await add_phone(db, user, "m3", priority=-1)
    with pytest.raises(InvalidValueError):
        await add_phone(db, user, "m3", limits=[(0, "today")])


async def test_groups_skip_foreign_members(db, user) -> None:
    other = await accounts.ensure_user(db, email="o@example.org", api_key="o" * 32)
    mine = await accounts.create_contact(db, id_user=user, name="A", number="+33611111111")
    theirs = await accounts.create_contact(db, id_user=other, name="B", number="+33622222222")
    group = await accounts.create_group(db, id_user=user, name="g", contacts=[mine, theirs, mine])
    members = await db.fetchall("SELECT id_contact FROM group_contact WHERE id_group = ?", (group,))
    assert [r["id_contact"] for r in members] == [mine]
    with pytest.raises(NotFoundError):
        await accounts.add_to_group(db, id_user=other, id_group=group, contacts=[theirs])
    with pytest.raises(InvalidValueError):
        await accounts.create_contact(db, id_user=user, name="C", number="+336", data="{bad")
    with pytest.raises(InvalidValueError):
        await accounts.create_conditional_group(db, id_user=user, name="c", condition="  ")
    assert [c.id for c in await accounts.contacts(db, user)] == [mine]
