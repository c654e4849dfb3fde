"""Command records: a repeated command is answered with the first ids and stores nothing."""

from __future__ import annotations

import asyncio

import pytest

from smsd.store import accounts, idempotency
from smsd.store.errors import InvalidValueError, NotFoundError
from smsd.store.idempotency import WINDOW, CommandKey, KeyReusedError, digest
from smsd.store.rows import Recipient
from smsd.store.scheduled import create_scheduled
from smsd.store.submissions import Submission, submit_all

NOW = 1_800_000_000.0


def key(name: str, request: str = "body") -> CommandKey:
    return CommandKey("http", name, digest(request))


def creator(db, user, text="Your code is 1234", **extra):
    async def create(record):
        return [
            await create_scheduled(
                db,
                id_user=user,
                text=text,
                at=None,
                numbers=[Recipient(number="+33612345678")],
                record=record,
                **extra,
            )
        ]

    return create


async def count(db, table="scheduled") -> int:
    row = await db.fetchone(f"SELECT count(*) FROM {table}")  # noqa: S608 - test constant
    return int(row[0])


async def test_the_same_key_answers_the_first_ids_and_stores_nothing(db, user):
    first = await idempotency.once(
        db, id_user=user, keys=[key("k1")], create=creator(db, user), now=NOW
    )
    again = await idempotency.once(
        db, id_user=user, keys=[key("k1")], create=creator(db, user), now=NOW + 60
    )
    assert not first.replayed
    assert again.replayed
    assert again.ids == first.ids
    assert await count(db) == 1


async def test_the_same_key_with_another_request_is_refused(db, user):
    await idempotency.once(db, id_user=user, keys=[key("k1")], create=creator(db, user), now=NOW)
    with pytest.raises(KeyReusedError) as caught:
        await idempotency.once(
            db, id_user=user, keys=[key("k1", "other body")], create=creator(db, user), now=NOW
        )
    assert isinstance(caught.value, InvalidValueError)
    assert caught.value.key.key == "k1"
    assert await count(db) == 1


async def test_keys_belong_to_their_user(db, user):
    other = await accounts.ensure_user(db, email="b@example.org", api_key="b" * 32)
    a = await idempotency.once(db, id_user=user, keys=[key("k1")], create=creator(db, user))
    b = await idempotency.once(db, id_user=other, keys=[key("k1")], create=creator(db, other))
    assert not b.replayed
    assert a.ids != b.ids
    assert await count(db) == 2


async def test_concurrent_commands_with_one_key_store_one_message(db, user):
    outcomes = await asyncio.gather(
        *(
            idempotency.once(db, id_user=user, keys=[key("same")], create=creator(db, user))
            for _ in range(8)
        )
    )
    assert len({o.ids for o in outcomes}) == 1
    assert sum(not o.replayed for o in outcomes) == 1
    assert await count(db) == 1
    assert await count(db, "scheduled_number") == 1
    assert await count(db, "command_record") == 1


async def test_a_key_is_free_again_after_the_window_and_purged(db, user):
    first = await idempotency.once(
        db, id_user=user, keys=[key("k1")], create=creator(db, user), now=NOW
    )
    later = NOW + WINDOW + 1
    assert await idempotency.recorded(db, id_user=user, keys=[key("k1")], now=later) is None
    again = await idempotency.once(
        db, id_user=user, keys=[key("k1", "new body")], create=creator(db, user), now=later
    )
    assert not again.replayed
    assert again.ids != first.ids
    assert await count(db) == 2
    assert await idempotency.purge(db, now=later + WINDOW + 1) == 1
    assert await count(db, "command_record") == 0


async def test_purge_keeps_records_inside_the_window(db, user):
    await idempotency.once(db, id_user=user, keys=[key("k1")], create=creator(db, user), now=NOW)
    assert await idempotency.purge(db, now=NOW + WINDOW - 1) == 0
    assert await count(db, "command_record") == 1


async def test_a_refused_command_records_nothing(db, user):
    with pytest.raises(NotFoundError):
        await idempotency.once(
            db, id_user=user, keys=[key("k1")], create=creator(db, user, id_phone=999)
        )
    assert await count(db, "command_record") == 0
    done = await idempotency.once(db, id_user=user, keys=[key("k1")], create=creator(db, user))
    assert not done.replayed


async def test_remembered_keys_are_recorded_not_looked_up_and_replaced(db, user):
    delivery = key("client:7:abc", "payload")
    first = await idempotency.once(
        db, id_user=user, keys=[], remember=[delivery], create=creator(db, user), now=NOW
    )
    second = await idempotency.once(
        db, id_user=user, keys=[], remember=[delivery], create=creator(db, user), now=NOW + 1
    )
    assert not second.replayed
    assert await count(db) == 2
    # A later repeat finds the latest command under that key.
    found = await idempotency.recorded(db, id_user=user, keys=[delivery], now=NOW + 2)
    assert found == second.ids != first.ids


async def test_submissions_record_all_their_ids(db, user):
    items = [
        Submission(number="+33612345678", text="a"),
        Submission(number="+33698765432", text="b"),
    ]

    async def create(record):
        return await submit_all(db, id_user=user, items=items, record=record)

    first = await idempotency.once(db, id_user=user, keys=[key("bulk")], create=create)
    again = await idempotency.once(db, id_user=user, keys=[key("bulk")], create=create)
    assert len(first.ids) == 2
    assert again.ids == first.ids
    assert again.replayed
    assert await count(db) == 2


async def test_bad_keys_are_refused(db, user):
    with pytest.raises(InvalidValueError):
        await idempotency.once(db, id_user=user, keys=[key("")], create=creator(db, user))
    with pytest.raises(InvalidValueError):
        await idempotency.once(db, id_user=user, keys=[key("x" * 513)], create=creator(db, user))
    assert await count(db) == 0
