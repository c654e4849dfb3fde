"""Scheduled messages: creation, deletion, due list, expansion of every recipient kind."""

from __future__ import annotations

import json

import pytest
from store_helpers import NOW, plain

from smsd.store import accounts, outbox
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.outbox import Recipient


async def sended(db, id_scheduled):
    return await db.fetchall(
        "SELECT * FROM sended WHERE originating_scheduled = ? ORDER BY id", (id_scheduled,)
    )


async def expand(db, id_scheduled, **kw):
    kw.setdefault("render", plain)
    kw.setdefault("plan", lambda text: 1 + len(text) // 160)
    return await outbox.expand_scheduled(db, id_scheduled, now=NOW, **kw)


async def test_every_recipient_kind_is_expanded_and_deduplicated(db, user) -> None:
    ann = await accounts.create_contact(db, id_user=user, name="Ann", number="+33611111111",
                                        data='{"vip": "1"}')  # fmt: skip
    bob = await accounts.create_contact(db, id_user=user, name="Bob", number="+33622222222")
    cid = await accounts.create_contact(db, id_user=user, name="Cid", number="+33633333333",
                                        data='{"vip": "1"}')  # fmt: skip
    dan = await accounts.create_contact(db, id_user=user, name="Dan", number="+33644444444")
    group = await accounts.create_group(db, id_user=user, name="g", contacts=[bob, dan, ann])
    vip = await accounts.create_conditional_group(
        db, id_user=user, name="vip", condition="contact.vip == '1'"
    )
    id_scheduled = await outbox.create_scheduled(
        db,
        id_user=user,
        text="hello",
        at=None,
        numbers=[Recipient("+33655555555", '{"firstname": "Eve"}'), Recipient("+33611111111")],
        contacts=[ann, bob],
        groups=[group],
        conditional_groups=[vip],
    )
    seen: list[tuple[Recipient, dict]] = []

    def render(text, recipient, metas):
        seen.append((recipient, metas))
        return f"{text} {metas.get('name', metas['number'])}"

    def resolve(condition, contacts):
        assert condition == "contact.vip == '1'"
        return [c for c in contacts if json.loads(c.data) == {"vip": "1"}]

    ids = await expand(db, id_scheduled, render=render, resolve_conditional=resolve)
    rows = await sended(db, id_scheduled)
    assert [r["id"] for r in rows] == ids
    # numbers first, then contacts, then groups, then conditional groups; first occurrence wins
    assert [r["destination"] for r in rows] == [
        "+33655555555", "+33611111111", "+33622222222", "+33644444444", "+33633333333",
    ]  # fmt: skip
    assert [r["text"] for r in rows] == [
        "hello +33655555555", "hello +33611111111", "hello Bob", "hello Dan", "hello Cid",
    ]  # fmt: skip
    assert seen[0][0] == Recipient("+33655555555", '{"firstname": "Eve"}')
    assert seen[2][0] == Recipient("+33622222222", "[]", bob)
    assert seen[2][1] == {
        "id": bob, "name": "Bob", "number": "+33622222222",
        "created_at": seen[2][1]["created_at"], "updated_at": seen[2][1]["updated_at"],
    }  # fmt: skip
    assert seen[4][0].id_contact == cid
    for r in rows:
        assert (r["state"], r["status"], r["segments"], r["due_at"]) == (
            "queued",
            "unknown",
            1,
            NOW,
        )
    segments = await db.fetchall("SELECT id_sended, seq, state FROM sended_segment ORDER BY id")
    assert [(s["id_sended"], s["seq"], s["state"]) for s in segments] == [
        (i, 1, "queued") for i in ids
    ]


async def test_segments_rows_follow_the_plan(db, user) -> None:
    id_scheduled = await outbox.create_scheduled(
        db,
        id_user=user,
        text="x",
        at=None,
        numbers=[Recipient("+33611111111"), Recipient("+33622222222")],
    )
    plans = iter([3, 1])
    ids = await expand(db, id_scheduled, plan=lambda _t: next(plans))
    segments = await db.fetchall("SELECT id_sended, seq FROM sended_segment ORDER BY id")
    assert [(s["id_sended"], s["seq"]) for s in segments] == [
        (ids[0], 1), (ids[0], 2), (ids[0], 3), (ids[1], 1),
    ]  # fmt: skip


async def test_render_none_or_blank_skips_the_recipient(db, user) -> None:
    id_scheduled = await outbox.create_scheduled(
        db, id_user=user, text="x", at=None,
        numbers=[Recipient("+33611111111"), Recipient("+33622222222"), Recipient("+33633333333")],
    )  # fmt: skip
    texts = {"+33611111111": None, "+33622222222": "   ", "+33633333333": "ok"}
    ids = await expand(db, id_scheduled, render=lambda _t, r, _m: texts[r.number])
    assert [r["destination"] for r in await sended(db, id_scheduled)] == ["+33633333333"]
    assert len(ids) == 1


async def test_expansion_happens_once(db, user) -> None:
    id_scheduled = await outbox.create_scheduled(
        db, id_user=user, text="x", at=None, numbers=[Recipient("+33611111111")]
    )
    assert await outbox.due_scheduled(db, now=NOW + 1e9) == [id_scheduled]
    assert len(await expand(db, id_scheduled)) == 1
    assert await expand(db, id_scheduled) == []
    assert await outbox.due_scheduled(db, now=NOW + 1e9) == []
    assert await outbox.expand_scheduled(db, 999, now=NOW, render=plain, plan=len) == []
    # expanded: no longer deletable, and hidden from the list
    assert not await outbox.delete_scheduled(db, id_user=user, id_scheduled=id_scheduled)


async def test_sms_stop_list_is_honoured(db, user) -> None:
    await accounts.add_smsstop(db, id_user=user, number="+33611111111")
    assert not await accounts.add_smsstop(db, id_user=user, number="+33611111111")
    numbers = [Recipient("+33611111111"), Recipient("+33622222222")]
    normal = await outbox.create_scheduled(db, id_user=user, text="x", at=None, numbers=numbers)
    answer = await outbox.create_scheduled(
        db, id_user=user, text="x", at=None, numbers=numbers, tag="SMS_STOP"
    )
    assert len(await expand(db, normal)) == 1
    assert len(await expand(db, answer)) == 2
    await accounts.set_setting(db, id_user=user, name="smsstop", value="0")
    off = await outbox.create_scheduled(db, id_user=user, text="x", at=None, numbers=numbers)
    assert len(await expand(db, off)) == 2


async def test_scheduled_fields_reach_the_messages(db, user, phone) -> None:
    media = await accounts.create_media(db, id_user=user, path="1/a.png")
    id_scheduled = await outbox.create_scheduled(
        db, id_user=user, text="x", at="2030-01-01 10:00:00", numbers=[Recipient("+33611111111")],
        flash=True, id_phone=phone, tag="campaign", priority=4, mms=True, medias=[media],
        request_report=True,
    )  # fmt: skip
    assert await outbox.due_scheduled(db, now=NOW) == []
    [mid] = await expand(db, id_scheduled)
    row = await db.fetchone("SELECT * FROM sended WHERE id = ?", (mid,))
    fields = ("flash", "pinned_phone", "id_phone", "tag", "priority", "mms", "request_report")
    assert tuple(row[f] for f in fields) == (1, phone, phone, "campaign", 4, 1, 1)
    links = await db.fetchall("SELECT id_media FROM sended_media WHERE id_sended = ?", (mid,))
    assert [r["id_media"] for r in links] == [media]


async def test_due_scheduled_order_and_at_parsing(db, user) -> None:
    late = await outbox.create_scheduled(
        db, id_user=user, text="x", at="2020-01-02 00:00:00", numbers=[Recipient("+336")]
    )
    early = await outbox.create_scheduled(
        db, id_user=user, text="x", at="2020-01-01 00:00:00", numbers=[Recipient("+336")]
    )
    assert await outbox.due_scheduled(db, now=NOW) == [early, late]
    row = await db.fetchone("SELECT at FROM scheduled WHERE id = ?", (early,))
    assert row["at"] == "2020-01-01 00:00:00"


@pytest.mark.parametrize(
    "at", ["2024-02-30 10:00:00", "2024-01-01 10:00", "tomorrow", "2024-1-1 10:00:00"]
)
async def test_bad_at_is_refused(db, user, at) -> None:
    with pytest.raises(InvalidValueError, match="at must be a date"):
        await outbox.create_scheduled(
            db, id_user=user, text="x", at=at, numbers=[Recipient("+336")]
        )


async def test_creation_validates_targets(db, user, phone) -> None:
    other = await accounts.ensure_user(db, email="o@example.org", api_key="o" * 32)
    foreign_contact = await accounts.create_contact(
        db, id_user=other, name="X", number="+33699999999"
    )
    group = await accounts.create_phone_group(db, id_user=user, name="pg", phones=[phone])
    with pytest.raises(InvalidValueError, match="at most one"):
        await outbox.create_scheduled(
            db, id_user=user, text="x", at=None, id_phone=phone, id_phone_group=group
        )
    with pytest.raises(NotFoundError):
        await outbox.create_scheduled(db, id_user=other, text="x", at=None, id_phone=phone)
    with pytest.raises(NotFoundError):
        await outbox.create_scheduled(db, id_user=other, text="x", at=None, id_phone_group=group)
    with pytest.raises(InvalidValueError, match="JSON"):
        await outbox.create_scheduled(
            db, id_user=user, text="x", at=None, numbers=[Recipient("+336", "{not json")]
        )
    # another user's contact is skipped silently, as RaspiSMS does
    id_scheduled = await outbox.create_scheduled(
        db, id_user=user, text="x", at=None, contacts=[foreign_contact]
    )
    assert await expand(db, id_scheduled) == []
    assert await db.fetchall("SELECT * FROM scheduled_contact") == []


async def test_delete_scheduled(db, user) -> None:
    other = await accounts.ensure_user(db, email="o@example.org", api_key="o" * 32)
    id_scheduled = await outbox.create_scheduled(
        db, id_user=user, text="x", at=None, numbers=[Recipient("+336")]
    )
    assert not await outbox.delete_scheduled(db, id_user=other, id_scheduled=id_scheduled)
    assert await outbox.delete_scheduled(db, id_user=user, id_scheduled=id_scheduled)
    assert not await outbox.delete_scheduled(db, id_user=user, id_scheduled=id_scheduled)
    assert await db.fetchall("SELECT * FROM scheduled_number") == []


async def test_conditional_groups_without_resolver_add_nobody(db, user) -> None:
    await accounts.create_contact(db, id_user=user, name="A", number="+33611111111")
    vip = await accounts.create_conditional_group(db, id_user=user, name="all", condition="1 == 1")
    id_scheduled = await outbox.create_scheduled(
        db, id_user=user, text="x", at=None, conditional_groups=[vip]
    )
    assert await expand(db, id_scheduled) == []
    again = await outbox.create_scheduled(
        db, id_user=user, text="x", at=None, conditional_groups=[vip]
    )
    assert len(await expand(db, again, resolve_conditional=lambda _c, contacts: contacts)) == 1
